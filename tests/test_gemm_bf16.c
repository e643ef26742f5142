/* test_gemm_bf16.c: what test_gemm.c (every entry against naive, within
 * gemm_error_bound) leaves open for the KERNEL_BF16 entries: that they compute
 * what they say, tighter.  Hand-made operands show the rounding (to nearest even,
 * ties to even, denormals to zero) of A and of B; random problems (every
 * transpose, odd K, M, N and K across the kernel's blocks, alpha, beta, the fused
 * layer) match a scalar bf16 reference, the same rounding with exact products
 * summed in double, within FP32 summation's bound alone.  Skipped, with the
 * reason, on a CPU without AVX512-BF16. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl.h"
#include "util.h"

/* x rounded to bf16 as vcvtne2ps2bf16 does (kernels_bf16_bits), widened back. */
static float bf16_round(float x)
{
    const uint32_t u = (uint32_t)kernels_bf16_bits(x) << 16;
    memcpy(&x, &u, sizeof x);
    return x;
}

static void free_params(struct criterion_test_params *crp) { cr_free(crp->params); }

/* The KERNEL_BF16 rows of the GEMM table, as test parameters. */
static struct criterion_test_params bf16_rows(void)
{
    size_t n, m = 0;
    const gemm_kernel *t = gemm_table(&n);
    int *rows = cr_malloc(n * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        if (t[i].flags & KERNEL_BF16)
            rows[m++] = (int)i;
    return cr_make_param_array(int, rows, m, free_params);
}

ParameterizedTestParameters(gemm_bf16, hand_made_roundings) { return bf16_rows(); }

static const gemm_kernel *bf16_row_or_skip(int row)
{
    size_t n;
    const gemm_kernel *k = &gemm_table(&n)[row];
    char why[256];
    if (!kernel_runs_here(k->needs)) {
        gemm_select(k->name, why, sizeof why);
        cr_skip_test("%s", why);
    }
    return k;
}

/* C = a * b for one pair (M = N = K = 1), so C is the product of the two
 * roundings, exact in FP32.  Spacing of bf16 at 1 is 2^-7. */
ParameterizedTest(int *row, gemm_bf16, hand_made_roundings)
{
    const gemm_kernel *k = bf16_row_or_skip(*row);
    static const struct {
        float x, want;
    } cases[] = {
        {1.0f + 0x1p-8f, 1.0f},                      /* a tie: to the even 1 */
        {1.0f + 3 * 0x1p-8f, 1.0f + 0x1p-6f},        /* a tie: to the even 1 + 2^-6 */
        {1.0f + 0x1p-8f + 0x1p-16f, 1.0f + 0x1p-7f}, /* just above a tie: up */
        {1.0f + 0x1p-8f - 0x1p-20f, 1.0f},           /* just below: down */
        {-3.14159265f, -3.140625f},
        {0x1p-130f, 0.0f}, /* a denormal: zero (2^100 times it is not) */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const float x = cases[c].x, big = 0x1p100f;
        const float scale = x == 0x1p-130f ? big : 1.0f, want = cases[c].want * scale;
        float C = NAN;
        k->run(false, false, 1, 1, 1, 1.0f, &x, 1, &scale, 1, 0.0f, &C, 1);
        cr_expect_eq(C, want, "%s: A = %a times %a gives %a, want %a", k->name, (double)x,
                     (double)scale, (double)C, (double)want);
        C = NAN;
        k->run(false, false, 1, 1, 1, 1.0f, &scale, 1, &x, 1, 0.0f, &C, 1);
        cr_expect_eq(C, want, "%s: B = %a times %a gives %a, want %a", k->name, (double)x,
                     (double)scale, (double)C, (double)want);
        cr_expect_eq(bf16_round(x), cases[c].want, "the reference rounds %a to %a", (double)x,
                     (double)bf16_round(x));
    }
}

ParameterizedTestParameters(gemm_bf16, matches_the_bf16_reference) { return bf16_rows(); }

ParameterizedTest(int *row, gemm_bf16, matches_the_bf16_reference, .timeout = 60)
{
    const gemm_kernel *k = bf16_row_or_skip(*row);
    static const int SHAPES[][3] = {{1, 1, 1},     {8, 48, 2},    {9, 49, 3},     {7, 17, 385},
                                    {32, 128, 784}, {128, 1024, 784}, {100, 10, 1025}, {3, 200, 768},
                                    {33, 64, 31},  {200, 50, 520}, {2, 2020, 3}};
    rng_state r;
    rng_seed(&r, 0xbf16);
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++)
        for (int v = 0; v < 5; v++) {
            const int M = SHAPES[s][0], N = SHAPES[s][1], K = SHAPES[s][2];
            const bool ta = v & 1, tb = v & 2, fused = v == 4;
            const float alpha = fused ? 1.0f : v == 1 ? -0.5f : 1.0f, beta = fused ? 0.0f : v == 2 ? 0.5f : v == 3 ? 1.0f : 0.0f;
            const int lda = ta ? M : K, ldb = tb ? K : N;
            float *A = xmalloc((size_t)M * K * sizeof *A), *B = xmalloc((size_t)K * N * sizeof *B);
            float *C = xmalloc((size_t)M * N * sizeof *C), *C0 = xmalloc((size_t)M * N * sizeof *C0);
            float *bias = xmalloc((size_t)N * sizeof *bias);
            for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)(2 * rng_uniform(&r) - 1);
            for (size_t i = 0; i < (size_t)K * N; i++) B[i] = (float)(2 * rng_uniform(&r) - 1);
            for (size_t i = 0; i < (size_t)M * N; i++) C0[i] = (float)(2 * rng_uniform(&r) - 1);
            for (int j = 0; j < N; j++) bias[j] = (float)(2 * rng_uniform(&r) - 1);
            memcpy(C, C0, (size_t)M * N * sizeof *C);
            if (fused)
                k->bias_act(M, N, K, A, lda, B, ldb, bias, true, C, N);
            else
                k->run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, N);
            double worst = 0;
            int wi = 0, wj = 0;
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double sum = 0, T = 0;
                    for (int kk = 0; kk < K; kk++) {
                        const double p = (double)bf16_round(gemm_at(A, lda, ta, i, kk)) *
                                         bf16_round(gemm_at(B, ldb, tb, kk, j));
                        sum += p;
                        T += fabs(p);
                    }
                    double want = alpha * sum + (beta != 0 ? beta * C0[(size_t)i * N + j] : 0);
                    T = fabs(alpha) * T + fabs(beta * C0[(size_t)i * N + j]);
                    if (fused) {
                        want += bias[j];
                        want = want > 0 ? want : 0;
                        T += fabs(bias[j]);
                    }
                    const double err = fabs(C[(size_t)i * N + j] - want);
                    const double ratio = err / (gemm_error_bound(0, K) * T + 1e-300);
                    if (ratio > worst || isnan(err))
                        worst = isnan(err) ? INFINITY : ratio, wi = i, wj = j;
                }
            cr_assert(worst <= 1.0,
                      "%s %s M=%d N=%d K=%d ta=%d tb=%d alpha=%g beta=%g: C[%d][%d] = %.9g is "
                      "%.3g times FP32 summation's bound from the bf16 reference",
                      k->name, fused ? "bias_act" : "gemm", M, N, K, ta, tb, (double)alpha,
                      (double)beta, wi, wj, (double)C[(size_t)wi * N + wj], worst);
            free(A), free(B), free(C), free(C0), free(bias);
        }
}
