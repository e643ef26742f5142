/* act_avx512.c: the `avx512` activation set, every function of act_scalar.c with
 * AVX-512 intrinsics, 16 floats per zmm.  Every vector is a masked load and store
 * (the mask is all-ones but for the last one of a row or array), so short rows
 * such as the C = 10 logits are one vector and there is no scalar clean-up loop.
 * On Zen 4 a load that overlaps a pending masked store waits until the store is
 * written (the mask does not count; 6x slower on rows of 10), so contiguous short
 * rows of bias_act run as one flat array.  Each function does act_scalar.c's float
 * operations in the same order, so all but softmax_xent give bit-identical
 * results; that needs -ffp-contract=off, which -std=c11 implies (with contraction
 * GCC fuses the intrinsics' multiplies and adds).  softmax_xent uses the
 * polynomial expf of act_expf.h instead of libm.  Not threaded.  Compiled with
 * -mavx512f/vl/bw/dq only (the compiler may use any of them, e.g. kmovd);
 * registry.c calls it after a CPU check. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "act_expf.h"
#include "impl.h"

/* Lanes [0, len) of one zmm: all 16 for len >= 16, none for len <= 0. */
static inline __mmask16 act_avx512_mask(ptrdiff_t len)
{
    return len >= 16 ? 0xFFFF : len <= 0 ? 0 : (__mmask16)((1u << len) - 1);
}

/* expf_avx512: exp of each lane, the function of act_expf.h (within 1 ulp);
 * _mm512_scalef_ps does the 2^n scaling, subnormal and overflowing results
 * included, with one rounding. */
static inline __m512 expf_avx512(__m512 x)
{
    /* max/min return their second operand when either is NaN: NaN passes. */
    x = _mm512_min_ps(_mm512_set1_ps(EXPF_HI), _mm512_max_ps(_mm512_set1_ps(EXPF_LO), x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(EXPF_LOG2E)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(EXPF_LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(EXPF_LN2_LO), r);
    __m512 p = _mm512_set1_ps(EXPF_P0);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P5));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
    p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* Y[0 .. 16) (lanes k) += bias, then max(Y, 0) when relu. */
static inline void bias_act_avx512_vec(float *y, __m512 bias, __mmask16 k, bool relu)
{
    __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(k, y), bias);
    if (relu)
        v = _mm512_max_ps(v, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(y, k, v);
}

/* Rows of at most this many columns, stored without padding, go through bias_act
 * as one flat array. */
enum { BIAS_ACT_FLAT_N = 256 };

/* bias_act_avx512: Y[b][n] += bias[n], then Y = max(Y, 0) when relu (-0 and NaN
 *   give +0).  Y is B x N with row stride ldy >= N; the padding is not touched.
 *   Row by row, except when ldy == N and N is not a multiple of 16 (and at most
 *   BIAS_ACT_FLAT_N): then the B*N floats run as one array against a copy of
 *   bias repeated past its end, so no row starts inside the previous row's masked
 *   store.  Bit-identical to bias_act_scalar.  Needs AVX-512F/VL/BW/DQ. */
void bias_act_avx512(int B, int N, const float *bias, bool relu, float *Y, int ldy)
{
    if (ldy == N && N % 16 != 0 && N <= BIAS_ACT_FLAT_N) {
        float wrap[BIAS_ACT_FLAT_N + 15]; /* wrap[t] = bias[t % N] */
        for (int t = 0; t < N + 15; t += N)
            memcpy(wrap + t, bias, (size_t)(N + 15 - t < N ? N + 15 - t : N) * sizeof *wrap);
        size_t total = (size_t)B * (size_t)N;
        const int step = 16 % N; /* the column moves on by 16 mod N per vector */
        for (size_t i = 0, col = 0; i < total; i += 16) {
            bias_act_avx512_vec(Y + i, _mm512_loadu_ps(wrap + col),
                                act_avx512_mask((ptrdiff_t)(total - i)), relu);
            col += step;
            col -= col >= (size_t)N ? (size_t)N : 0;
        }
        return;
    }
    for (int b = 0; b < B; b++)
        for (int n = 0; n < N; n += 16) {
            __mmask16 k = act_avx512_mask(N - n);
            bias_act_avx512_vec(Y + (size_t)b * ldy + n, _mm512_maskz_loadu_ps(k, bias + n), k,
                                relu);
        }
}

/* relu_bwd_avx512: dY[i] = 0 where Y[i] <= 0 (-0 included; NaN keeps dY);
 *   n contiguous floats.  Bit-identical to relu_bwd_scalar.  Needs AVX-512F/VL/BW/DQ. */
void relu_bwd_avx512(size_t n, const float *Y, float *dY)
{
    const __m512 zero = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = act_avx512_mask((ptrdiff_t)(n - i));
        __mmask16 dead = _mm512_mask_cmp_ps_mask(k, _mm512_maskz_loadu_ps(k, Y + i), zero,
                                                  _CMP_LE_OQ);
        _mm512_mask_storeu_ps(dY + i, dead, zero);
    }
}

/* db[0 .. width) += the column sums of dY (B rows, row stride ld), nv zmm
 * accumulators (width <= 16*nv, the last one masked): nv independent add chains,
 * each adding one row at a time. */
static inline __attribute__((always_inline)) void
bias_grad_avx512_cols(const int nv, int B, int width, ptrdiff_t ld, const float *dY, float *db)
{
    __mmask16 k[4];
    __m512 acc[4];
    #pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        k[v] = act_avx512_mask(width - 16 * v);
        acc[v] = _mm512_maskz_loadu_ps(k[v], db + 16 * v);
    }
    for (int b = 0; b < B; b++, dY += ld) {
        #pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[v] = _mm512_add_ps(acc[v], _mm512_maskz_loadu_ps(k[v], dY + 16 * v));
    }
    #pragma GCC unroll 4
    for (int v = 0; v < nv; v++)
        _mm512_mask_storeu_ps(db + 16 * v, k[v], acc[v]);
}

/* bias_grad_avx512: db[n] += dY[0][n] + dY[1][n] + ..., added into db one row at
 *   a time in float, as bias_grad_scalar does (bit-identical).  dY is B x N,
 *   row stride ldy >= N.  Blocks of up to 64 columns, one zmm accumulator per 16, so up to
 *   4 independent add chains run per row.  Needs AVX-512F/VL/BW/DQ. */
void bias_grad_avx512(int B, int N, const float *dY, int ldy, float *db)
{
    for (int n = 0; n < N; n += 64) {
        int width = N - n;
        switch (width > 48 ? 4 : (width + 15) / 16) {
        case 1: bias_grad_avx512_cols(1, B, width, ldy, dY + n, db + n); break;
        case 2: bias_grad_avx512_cols(2, B, width, ldy, dY + n, db + n); break;
        case 3: bias_grad_avx512_cols(3, B, width, ldy, dY + n, db + n); break;
        default: bias_grad_avx512_cols(4, B, width, ldy, dY + n, db + n); break;
        }
    }
}

/* The maximum of the row z (C >= 1 floats) that softmax_xent_scalar's loop
 * `if (z[c] > z[arg]) arg = c` ends with, and that arg: the first lane holding the
 * largest number (NaN lanes ignored), or z[0] and 0 when z[0] is NaN.  The value
 * may differ from z[arg] in the sign of a zero, which changes neither P nor the
 * loss. */
static float row_max_avx512(int C, const float *z, int *arg)
{
    *arg = 0;
    if (isnan(z[0]))
        return z[0];
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    for (int c = 0; c < C; c += 16) {
        __mmask16 k = act_avx512_mask(C - c);
        __m512 zc = _mm512_maskz_loadu_ps(k, z + c);
        vmax = _mm512_mask_max_ps(vmax, _mm512_mask_cmp_ps_mask(k, zc, zc, _CMP_ORD_Q), vmax, zc);
    }
    float max = _mm512_reduce_max_ps(vmax);
    const __m512 m = _mm512_set1_ps(max);
    for (int c = 0; c < C; c += 16) {
        __mmask16 k = act_avx512_mask(C - c);
        unsigned hit = _mm512_mask_cmp_ps_mask(k, _mm512_maskz_loadu_ps(k, z + c), m, _CMP_EQ_OQ);
        if (hit) {
            *arg = c + __builtin_ctz(hit);
            break;
        }
    }
    return max;
}

/* softmax_xent_avx512: row-wise softmax of Z (B x C, contiguous) into P (B x C);
 *   returns the summed cross-entropy over the rows and writes each row's argmax
 *   into pred[b] (first index on ties, softmax_xent_scalar's rule for NaN).
 *   label[b] < C.  With m the row max: P = e / s, e = expf(z - m) (act_expf.h),
 *   s = sum of e in double, the division done as (float)(e * (1/s)) in double;
 *   loss_b = log(s) + (m - z[label]) in double.  Each P is within 3 ulp of
 *   softmax_xent_scalar's (expf's 1 ulp, through e and through s, plus the
 *   rounding; measured: 2), pred is identical, the loss within 2e-7 per row.
 *   Two passes over each row (the sum, then P); e is kept in a register for the
 *   first 16 classes and recomputed for the others rather than read back from P,
 *   which would wait for the masked store.  The logs run after each block of 32
 *   rows, so no libm call splits the vector loop.  Needs AVX-512F/VL/BW/DQ. */
double softmax_xent_avx512(int B, int C, const float *Z, const uint8_t *label, float *P,
                           uint8_t *pred)
{
    enum { ROWS = 32 };
    double loss = 0.0;
    for (int b0 = 0; b0 < B; b0 += ROWS) {
        int rows = B - b0 < ROWS ? B - b0 : ROWS;
        double sum[ROWS], margin[ROWS];
        for (int r = 0; r < rows; r++) {
            const float *z_row = Z + (size_t)(b0 + r) * C;
            float *p_row = P + (size_t)(b0 + r) * C;
            int arg;
            float max = row_max_avx512(C, z_row, &arg);
            const __m512 m = _mm512_set1_ps(max);
            __m512 e0 = _mm512_setzero_ps();
            __m512d acc = _mm512_setzero_pd();
            for (int c = 0; c < C; c += 16) {
                __mmask16 k = act_avx512_mask(C - c);
                __m512 e = _mm512_maskz_mov_ps(
                    k, expf_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, z_row + c), m)));
                e0 = c == 0 ? e : e0;
                acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
                acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)));
            }
            sum[r] = _mm512_reduce_add_pd(acc);
            const __m512d inv = _mm512_set1_pd(1.0 / sum[r]);
            for (int c = 0; c < C; c += 16) {
                __mmask16 k = act_avx512_mask(C - c);
                __m512 e = c == 0 ? e0
                                  : expf_avx512(
                                        _mm512_sub_ps(_mm512_maskz_loadu_ps(k, z_row + c), m));
                __m512d lo = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(e)), inv);
                __m512d hi = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1)), inv);
                __m512 p = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)),
                                              _mm512_cvtpd_ps(hi), 1);
                _mm512_mask_storeu_ps(p_row + c, k, p);
            }
            margin[r] = (double)max - z_row[label[b0 + r]];
            pred[b0 + r] = (uint8_t)arg;
        }
        for (int r = 0; r < rows; r++)
            loss += log(sum[r]) + margin[r];
    }
    return loss;
}

/* xent_bwd_avx512: dZ = scale * (P - onehot(label)).  P and dZ are B x C,
 *   contiguous, and may alias.  The 1 is subtracted in the label's lane only, so
 *   the result is bit-identical to xent_bwd_scalar's.  Needs AVX-512F/VL/BW/DQ. */
void xent_bwd_avx512(int B, int C, const float *P, const uint8_t *label, float scale,
                     float *dZ)
{
    const __m512 vscale = _mm512_set1_ps(scale), one = _mm512_set1_ps(1.0f);
    for (int b = 0; b < B; b++) {
        const float *p_row = P + (size_t)b * C;
        float *dz_row = dZ + (size_t)b * C;
        for (int c = 0; c < C; c += 16) {
            __mmask16 k = act_avx512_mask(C - c);
            unsigned at = (unsigned)(label[b] - c);
            __mmask16 hot = at < 16 ? (__mmask16)(1u << at) : 0;
            __m512 p = _mm512_maskz_loadu_ps(k, p_row + c);
            p = _mm512_mask_sub_ps(p, hot, p, one);
            _mm512_mask_storeu_ps(dz_row + c, k, _mm512_mul_ps(vscale, p));
        }
    }
}

/* sgd_avx512: g' = g + wd*p; vel = mu*vel - lr*g'; p += vel (Keras' SGD(momentum=mu),
 *   coupled L2 decay wd).  mu == 0: p -= lr*g', vel not touched (may be NULL).  n
 *   contiguous floats each.  Bit-identical to sgd_scalar.  Needs AVX-512F/VL/BW/DQ. */
void sgd_avx512(size_t n, float *p, const float *g, float *vel, float lr, float mu, float wd)
{
    const __m512 vlr = _mm512_set1_ps(lr), vmu = _mm512_set1_ps(mu), vwd = _mm512_set1_ps(wd);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = act_avx512_mask((ptrdiff_t)(n - i));
        __m512 pv = _mm512_maskz_loadu_ps(k, p + i);
        __m512 gv = _mm512_add_ps(_mm512_maskz_loadu_ps(k, g + i), _mm512_mul_ps(vwd, pv));
        __m512 step = _mm512_mul_ps(vlr, gv);
        if (mu == 0) {
            pv = _mm512_sub_ps(pv, step);
        } else {
            __m512 v = _mm512_sub_ps(_mm512_mul_ps(vmu, _mm512_maskz_loadu_ps(k, vel + i)), step);
            _mm512_mask_storeu_ps(vel + i, k, v);
            pv = _mm512_add_ps(pv, v);
        }
        _mm512_mask_storeu_ps(p + i, k, pv);
    }
}

/* One vector of the weight average: mu*avg + rest*p, rest = 1 - mu, with ema_scalar's
 * two roundings (no FMA), for ema_avx512 and the average inside adam_avx512. */
static inline __m512 ema_avx512_vec(__m512 avg, __m512 p, __m512 mu, __m512 rest)
{
    return _mm512_add_ps(_mm512_mul_ps(mu, avg), _mm512_mul_ps(rest, p));
}

/* adam_avx512: m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;
 *   p = (p - decay*p) - step * m / (sqrt(v) + eps), step = lr * sqrtf(bc2) / bc1 computed once.
 *   n contiguous floats each.  vsqrtps and vdivps round correctly, so the result is
 *   bit-identical to adam_scalar's; so is the average of the new p into avg (when
 *   not NULL), taken while p is in registers.  Needs AVX-512F/VL/BW/DQ. */
void adam_avx512(size_t n, float *p, const float *g, float *m, float *v, float *avg,
                 const adam_params *a)
{
    const __m512 b1 = _mm512_set1_ps(a->beta1), c1 = _mm512_set1_ps(1.0f - a->beta1);
    const __m512 b2 = _mm512_set1_ps(a->beta2), c2 = _mm512_set1_ps(1.0f - a->beta2);
    const __m512 eps = _mm512_set1_ps(a->eps);
    const __m512 step = _mm512_set1_ps(a->lr * sqrtf(a->bias_corr2) / a->bias_corr1);
    const __m512 mu = _mm512_set1_ps(a->ema), rest = _mm512_set1_ps(1.0f - a->ema);
    const __m512 decay = _mm512_set1_ps(a->decay);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = act_avx512_mask((ptrdiff_t)(n - i));
        __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
        __m512 mv = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_maskz_loadu_ps(k, m + i)),
                                  _mm512_mul_ps(c1, gv));
        __m512 vv = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_maskz_loadu_ps(k, v + i)),
                                  _mm512_mul_ps(_mm512_mul_ps(c2, gv), gv));
        __m512 upd = _mm512_div_ps(_mm512_mul_ps(step, mv),
                                   _mm512_add_ps(_mm512_sqrt_ps(vv), eps));
        _mm512_mask_storeu_ps(m + i, k, mv);
        _mm512_mask_storeu_ps(v + i, k, vv);
        __m512 pv = _mm512_maskz_loadu_ps(k, p + i);
        pv = _mm512_sub_ps(_mm512_sub_ps(pv, _mm512_mul_ps(decay, pv)), upd);
        _mm512_mask_storeu_ps(p + i, k, pv);
        if (avg)
            _mm512_mask_storeu_ps(avg + i, k,
                                  ema_avx512_vec(_mm512_maskz_loadu_ps(k, avg + i), pv, mu, rest));
    }
}

/* ema_avx512: avg = mu*avg + (1-mu)*p (Keras' use_ema weight averaging); n
 *   contiguous floats each.  Bit-identical to ema_scalar.  Needs AVX-512F/VL/BW/DQ. */
void ema_avx512(size_t n, float *avg, const float *p, float mu)
{
    const __m512 vmu = _mm512_set1_ps(mu), rest = _mm512_set1_ps(1.0f - mu);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = act_avx512_mask((ptrdiff_t)(n - i));
        _mm512_mask_storeu_ps(avg + i, k,
                              ema_avx512_vec(_mm512_maskz_loadu_ps(k, avg + i),
                                             _mm512_maskz_loadu_ps(k, p + i), vmu, rest));
    }
}

/* pixels_avx512: dst[i] = src[i] / KERNELS_PIXEL_SCALE, n bytes into n floats, 16
 *   per vector (the last one masked).  vdivps rounds as the scalar division does,
 *   so the result is bit-identical to pixels_scalar.  The gather that calls it
 *   waits on memory, not on the division (measured: the same time as a reciprocal
 *   and FMA correction). */
void pixels_avx512(size_t n, const uint8_t *src, float *dst)
{
    const __m512 scale = _mm512_set1_ps(KERNELS_PIXEL_SCALE);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = act_avx512_mask((ptrdiff_t)(n - i));
        __m512i u = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(k, src + i));
        _mm512_mask_storeu_ps(dst + i, k, _mm512_div_ps(_mm512_cvtepi32_ps(u), scale));
    }
}

/* warp_avx512: out = src warped by w (kernels.h's warp_params), 16 pixels of a
 *   row per vector (the last masked), the four neighbours of each fetched by
 *   gathers (masked lanes fetch nothing).  The coordinates take warp_scalar's
 *   operations in its order, and max/min clamp as its ternaries do (the
 *   coordinates are never NaN), so the result is bit-identical. */
void warp_avx512(const warp_params *w, const float *src, float *out)
{
    const int R = w->rows, C = w->cols, ld = C + 2 * w->pad;
    const __m512 cy = _mm512_set1_ps(w->cy), cx = _mm512_set1_ps(w->cx);
    const __m512 r00 = _mm512_set1_ps(w->r00), r10 = _mm512_set1_ps(w->r10);
    const __m512 ty = _mm512_set1_ps(w->ty), tx = _mm512_set1_ps(w->tx);
    const __m512 alpha = _mm512_set1_ps(w->alpha), pad = _mm512_set1_ps((float)w->pad);
    const __m512 lo = _mm512_set1_ps(0.5f), hi_y = _mm512_set1_ps((float)(R + w->pad) + 0.5f),
                 hi_x = _mm512_set1_ps((float)(C + w->pad) + 0.5f);
    const __m512i vld = _mm512_set1_epi32(ld), one = _mm512_set1_epi32(1);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int i = 0; i < R; i++) {
        const float v = (float)i - w->cy;
        const __m512 ry = _mm512_set1_ps(w->r11 * v), rx = _mm512_set1_ps(w->r01 * v);
        for (int j = 0; j < C; j += 16) {
            const __mmask16 k = act_avx512_mask(C - j);
            const size_t at = (size_t)i * C + j;
            const __m512 u = _mm512_sub_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_set1_epi32(j), lane)), cx);
            __m512 y = _mm512_sub_ps(_mm512_add_ps(_mm512_add_ps(cy, _mm512_mul_ps(r10, u)), ry), ty);
            __m512 x = _mm512_sub_ps(_mm512_add_ps(_mm512_add_ps(cx, _mm512_mul_ps(r00, u)), rx), tx);
            if (w->fy) {
                y = _mm512_add_ps(y, _mm512_mul_ps(alpha, _mm512_maskz_loadu_ps(k, w->fy + at)));
                x = _mm512_add_ps(x, _mm512_mul_ps(alpha, _mm512_maskz_loadu_ps(k, w->fx + at)));
            }
            y = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(y, pad), lo), hi_y);
            x = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(x, pad), lo), hi_x);
            const __m512i y0 = _mm512_cvttps_epi32(y), x0 = _mm512_cvttps_epi32(x);
            const __m512 wy = _mm512_sub_ps(y, _mm512_cvtepi32_ps(y0));
            const __m512 wx = _mm512_sub_ps(x, _mm512_cvtepi32_ps(x0));
            const __m512i at00 = _mm512_add_epi32(_mm512_mullo_epi32(y0, vld), x0);
            const __m512i at10 = _mm512_add_epi32(at00, vld);
            const __m512 zero = _mm512_setzero_ps();
            const __m512 p00 = _mm512_mask_i32gather_ps(zero, k, at00, src, 4);
            const __m512 p01 = _mm512_mask_i32gather_ps(zero, k, _mm512_add_epi32(at00, one), src, 4);
            const __m512 p10 = _mm512_mask_i32gather_ps(zero, k, at10, src, 4);
            const __m512 p11 = _mm512_mask_i32gather_ps(zero, k, _mm512_add_epi32(at10, one), src, 4);
            const __m512 top = _mm512_add_ps(p00, _mm512_mul_ps(wx, _mm512_sub_ps(p01, p00)));
            const __m512 bot = _mm512_add_ps(p10, _mm512_mul_ps(wx, _mm512_sub_ps(p11, p10)));
            _mm512_mask_storeu_ps(out + at, k, _mm512_add_ps(top, _mm512_mul_ps(wy, _mm512_sub_ps(bot, top))));
        }
    }
}
