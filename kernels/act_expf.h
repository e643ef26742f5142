/* act_expf.h: the constants of the vector expf that act_avx2.c and act_avx512.c
 * evaluate in softmax_xent, kept in one place so that both ISAs compute the same
 * function.  Constants only: each file writes the evaluation in its own
 * intrinsics.  Private to kernels/.
 *
 * Cephes expf (Moshier, expf.c) with FMA:
 *   n = round(x * log2(e)),  r = x - n*ln2  (|r| <= ln2/2; ln2 split in two, so
 *   n*LN2_HI is exact for |n| < 2^15), exp(r) = 1 + r + r^2 * P(r) with P of
 *   degree 5, and exp(x) = 2^n * exp(r) scaled with one rounding (subnormal
 *   results are rounded once, from the full-precision value).
 * x is clamped to [EXPF_LO, EXPF_HI] first: below EXPF_LO the result is +0, above
 * EXPF_HI (and +inf) it overflows to +inf, -inf gives +0, NaN gives NaN.
 * Measured against exp() in double over every float in [EXPF_LO, EXPF_HI]
 * (2.2e9 inputs, subnormal results included): at most 1.02 ulp from the exact
 * value, so the correctly rounded float or its neighbour (0.8% of inputs); the
 * AVX2 and AVX-512 evaluations agree bit for bit on every one of them. */
#ifndef KERNELS_ACT_EXPF_H
#define KERNELS_ACT_EXPF_H

#define EXPF_LO (-104.0f) /* exp(-104) < 2^-150: rounds to +0 */
#define EXPF_HI 89.0f     /* exp(89) > FLT_MAX: rounds to +inf */
#define EXPF_LOG2E 1.44269504088896341f
#define EXPF_LN2_HI 0.693359375f /* 9 significant bits */
#define EXPF_LN2_LO (-2.12194440e-4f)
/* P(r) = ((((P0 r + P1) r + P2) r + P3) r + P4) r + P5 */
#define EXPF_P0 1.9875691500e-4f
#define EXPF_P1 1.3981999507e-3f
#define EXPF_P2 8.3334519073e-3f
#define EXPF_P3 4.1665795894e-2f
#define EXPF_P4 1.6666665459e-1f
#define EXPF_P5 5.0000001201e-1f

#endif
