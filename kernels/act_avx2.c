/* act_avx2.c: the `avx2` activation set, every function of act_scalar.c with AVX2
 * and FMA intrinsics, 8 floats per ymm.  Full vectors use plain loads and stores;
 * the last partial vector of a row or array is a vmaskmovps load and a store in
 * pieces of 4, 2 and 1 floats (vmaskmovps stores are slow on AMD Zen 4: bias_act
 * on 32 x 10 runs 1.6x faster this way), so there is no scalar clean-up loop.
 * Each function does act_scalar.c's float operations in the same order, so all but
 * softmax_xent give bit-identical results; that needs -ffp-contract=off, which
 * -std=c11 implies (with contraction GCC fuses the intrinsics' multiplies and
 * adds).  softmax_xent uses the polynomial expf of act_expf.h instead of libm.
 * Not threaded.  Compiled with -mavx2 -mfma only; registry.c calls it after a CPU
 * check. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "act_expf.h"
#include "impl.h"

/* Lanes [0, len) of one ymm as a vmaskmovps mask, 0 <= len <= 8. */
static inline __m256i act_avx2_mask(int len)
{
    static const int32_t ones_then_zeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1};
    return _mm256_loadu_si256((const __m256i *)(ones_then_zeros + 8 - len));
}

/* x[0 .. len), zeros above; 1 <= len <= 8, and nothing past x[len - 1] is read. */
static inline __m256 act_avx2_load(const float *x, int len)
{
    return len == 8 ? _mm256_loadu_ps(x) : _mm256_maskload_ps(x, act_avx2_mask(len));
}

/* Stores lanes [0, len) of v to x, 1 <= len <= 8, and no byte past x[len - 1]. */
static inline void act_avx2_store(float *x, int len, __m256 v)
{
    if (len == 8) {
        _mm256_storeu_ps(x, v);
        return;
    }
    __m128 q = _mm256_castps256_ps128(v);
    if (len & 4) {
        _mm_storeu_ps(x, q);
        q = _mm256_extractf128_ps(v, 1);
        x += 4;
    }
    if (len & 2) {
        _mm_storel_epi64((__m128i *)x, _mm_castps_si128(q));
        q = _mm_movehl_ps(q, q);
        x += 2;
    }
    if (len & 1)
        _mm_store_ss(x, q);
}

/* Lanes left of a row or array from offset i, capped at one ymm. */
static inline int act_avx2_len(size_t n, size_t i)
{
    return n - i < 8 ? (int)(n - i) : 8;
}

/* expf_avx2: exp of each lane, the function of act_expf.h (within 1 ulp).  The
 * 2^n scaling is two multiplications by 2^(n/2) and 2^(n - n/2), both normal for
 * the clamped n in [-150, 128], so subnormal and overflowing results are rounded
 * once, in the last one. */
static inline __m256 expf_avx2(__m256 x)
{
    /* max/min return their second operand when either is NaN: NaN passes. */
    x = _mm256_min_ps(_mm256_set1_ps(EXPF_HI), _mm256_max_ps(_mm256_set1_ps(EXPF_LO), x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(EXPF_LOG2E)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(EXPF_LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(EXPF_LN2_LO), r);
    __m256 p = _mm256_set1_ps(EXPF_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P5));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
    p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
    const __m256i bias = _mm256_set1_epi32(127);
    __m256i n1 = _mm256_cvtps_epi32(n);
    __m256i n0 = _mm256_srai_epi32(n1, 1);
    n1 = _mm256_sub_epi32(n1, n0);
    __m256 s0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n0, bias), 23));
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s0), s1);
}

/* bias_act_avx2: Y[b][n] += bias[n], then Y = max(Y, 0) when relu (-0 and NaN
 *   give +0).  Y is B x N with row stride ldy >= N; the padding is not touched.
 *   Bit-identical to bias_act_scalar.  Needs AVX2 and FMA. */
void bias_act_avx2(int B, int N, const float *bias, bool relu, float *Y, int ldy)
{
    const __m256 zero = _mm256_setzero_ps();
    for (int b = 0; b < B; b++) {
        float *y_row = Y + (size_t)b * ldy;
        for (int n = 0; n < N; n += 8) {
            int len = act_avx2_len((size_t)N, (size_t)n);
            __m256 y = _mm256_add_ps(act_avx2_load(y_row + n, len), act_avx2_load(bias + n, len));
            if (relu)
                y = _mm256_max_ps(y, zero);
            act_avx2_store(y_row + n, len, y);
        }
    }
}

/* relu_bwd_avx2: dY[i] = 0 where Y[i] <= 0 (-0 included; NaN keeps dY);
 *   n contiguous floats.  Bit-identical to relu_bwd_scalar.  Needs AVX2 and FMA. */
void relu_bwd_avx2(size_t n, const float *Y, float *dY)
{
    const __m256 zero = _mm256_setzero_ps();
    for (size_t i = 0; i < n; i += 8) {
        int len = act_avx2_len(n, i);
        __m256 live = _mm256_cmp_ps(act_avx2_load(Y + i, len), zero, _CMP_NLE_UQ);
        act_avx2_store(dY + i, len, _mm256_and_ps(live, act_avx2_load(dY + i, len)));
    }
}

/* db[0 .. width) += the column sums of dY (B rows, row stride ld), nv ymm
 * accumulators (width <= 8*nv, the last one masked): nv independent add chains,
 * each adding one row at a time. */
static inline __attribute__((always_inline)) void
bias_grad_avx2_cols(const int nv, int B, int width, ptrdiff_t ld, const float *dY, float *db)
{
    int last = width - 8 * (nv - 1);
    __m256i k = act_avx2_mask(last);
    __m256 acc[4];
    #pragma GCC unroll 4
    for (int v = 0; v < nv; v++)
        acc[v] = v < nv - 1 ? _mm256_loadu_ps(db + 8 * v) : _mm256_maskload_ps(db + 8 * v, k);
    for (int b = 0; b < B; b++, dY += ld) {
        #pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[v] = _mm256_add_ps(acc[v], v < nv - 1 ? _mm256_loadu_ps(dY + 8 * v)
                                                      : _mm256_maskload_ps(dY + 8 * v, k));
    }
    #pragma GCC unroll 4
    for (int v = 0; v < nv; v++)
        act_avx2_store(db + 8 * v, v < nv - 1 ? 8 : last, acc[v]);
}

/* bias_grad_avx2: db[n] += dY[0][n] + dY[1][n] + ..., added into db one row at a
 *   time in float, as bias_grad_scalar does (bit-identical).  dY is B x N,
 *   row stride ldy >= N.  Blocks of up to 32 columns, one ymm accumulator per 8, so up to 4
 *   independent add chains run per row.  Needs AVX2 and FMA. */
void bias_grad_avx2(int B, int N, const float *dY, int ldy, float *db)
{
    for (int n = 0; n < N; n += 32) {
        int width = N - n;
        switch (width > 24 ? 4 : (width + 7) / 8) {
        case 1: bias_grad_avx2_cols(1, B, width, ldy, dY + n, db + n); break;
        case 2: bias_grad_avx2_cols(2, B, width, ldy, dY + n, db + n); break;
        case 3: bias_grad_avx2_cols(3, B, width, ldy, dY + n, db + n); break;
        default: bias_grad_avx2_cols(4, B, width > 32 ? 32 : width, ldy, dY + n, db + n); break;
        }
    }
}

/* Largest lane of v. */
static inline float act_avx2_hmax(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

/* The maximum of the row z (C >= 1 floats) that softmax_xent_scalar's loop
 * `if (z[c] > z[arg]) arg = c` ends with, and that arg: the first element holding
 * the largest number (NaNs ignored), or z[0] and 0 when z[0] is NaN.  The value
 * may differ from z[arg] in the sign of a zero, which changes neither P nor the
 * loss. */
static float row_max_avx2(int C, const float *z, int *arg)
{
    *arg = 0;
    if (isnan(z[0]))
        return z[0];
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    __m256 vmax = ninf;
    for (int c = 0; c < C; c += 8) {
        int len = act_avx2_len((size_t)C, (size_t)c);
        __m256 zc = act_avx2_load(z + c, len);
        __m256 use = _mm256_and_ps(_mm256_castsi256_ps(act_avx2_mask(len)),
                                   _mm256_cmp_ps(zc, zc, _CMP_ORD_Q));
        vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(ninf, zc, use));
    }
    float max = act_avx2_hmax(vmax);
    const __m256 m = _mm256_set1_ps(max);
    for (int c = 0; c < C; c += 8) {
        int len = act_avx2_len((size_t)C, (size_t)c);
        __m256 eq = _mm256_cmp_ps(act_avx2_load(z + c, len), m, _CMP_EQ_OQ);
        unsigned hit = (unsigned)_mm256_movemask_ps(eq) & ((1u << len) - 1);
        if (hit) {
            *arg = c + __builtin_ctz(hit);
            break;
        }
    }
    return max;
}

/* softmax_xent_avx2: row-wise softmax of Z (B x C, contiguous) into P (B x C);
 *   returns the summed cross-entropy over the rows and writes each row's argmax
 *   into pred[b] (first index on ties, softmax_xent_scalar's rule for NaN).
 *   label[b] < C.  With m the row max: P = e / s, e = expf(z - m) (act_expf.h),
 *   s = sum of e in double, the division done as (float)(e * (1/s)) in double;
 *   loss_b = log(s) + (m - z[label]) in double.  Each P is within 3 ulp of
 *   softmax_xent_scalar's (expf's 1 ulp, through e and through s, plus the
 *   rounding; measured: 2), pred is identical, the loss within 2e-7 per row.
 *   Two passes over each row (the sum, then P); e is kept in registers for the
 *   first 16 classes and recomputed for the others rather than read back from P.
 *   The logs run after each block of 32 rows, so no libm call splits the vector
 *   loop.  Needs AVX2 and FMA. */
double softmax_xent_avx2(int B, int C, const float *Z, const uint8_t *label, float *P,
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
            float max = row_max_avx2(C, z_row, &arg);
            const __m256 m = _mm256_set1_ps(max);
            __m256 e01[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
            __m256d acc = _mm256_setzero_pd();
            for (int c = 0; c < C; c += 8) {
                int len = act_avx2_len((size_t)C, (size_t)c);
                __m256 e = expf_avx2(_mm256_sub_ps(act_avx2_load(z_row + c, len), m));
                e = _mm256_and_ps(e, _mm256_castsi256_ps(act_avx2_mask(len)));
                if (c < 16)
                    e01[c / 8] = e;
                acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
                acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
            }
            __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(acc), _mm256_extractf128_pd(acc, 1));
            sum[r] = _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
            const __m256d inv = _mm256_set1_pd(1.0 / sum[r]);
            for (int c = 0; c < C; c += 8) {
                int len = act_avx2_len((size_t)C, (size_t)c);
                __m256 e = c < 16 ? e01[c / 8]
                                  : expf_avx2(_mm256_sub_ps(act_avx2_load(z_row + c, len), m));
                __m256d lo = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e)), inv);
                __m256d hi = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)), inv);
                act_avx2_store(p_row + c, len,
                               _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo)));
            }
            margin[r] = (double)max - z_row[label[b0 + r]];
            pred[b0 + r] = (uint8_t)arg;
        }
        for (int r = 0; r < rows; r++)
            loss += log(sum[r]) + margin[r];
    }
    return loss;
}

/* xent_bwd_avx2: dZ = scale * (P - onehot(label)).  P and dZ are B x C,
 *   contiguous, and may alias.  P - 0 is P exactly (-0 and NaN included), so the
 *   result is bit-identical to xent_bwd_scalar's.  Needs AVX2 and FMA. */
void xent_bwd_avx2(int B, int C, const float *P, const uint8_t *label, float scale,
                   float *dZ)
{
    const __m256 vscale = _mm256_set1_ps(scale), one = _mm256_set1_ps(1.0f);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int b = 0; b < B; b++) {
        const float *p_row = P + (size_t)b * C;
        float *dz_row = dZ + (size_t)b * C;
        for (int c = 0; c < C; c += 8) {
            int len = act_avx2_len((size_t)C, (size_t)c);
            __m256i hot = _mm256_cmpeq_epi32(lane, _mm256_set1_epi32(label[b] - c));
            __m256 p = _mm256_sub_ps(act_avx2_load(p_row + c, len),
                                     _mm256_and_ps(_mm256_castsi256_ps(hot), one));
            act_avx2_store(dz_row + c, len, _mm256_mul_ps(vscale, p));
        }
    }
}

/* sgd_avx2: g' = g + wd*p; vel = mu*vel - lr*g'; p += vel (Keras' SGD(momentum=mu),
 *   coupled L2 decay wd).  mu == 0: p -= lr*g', vel not touched (may be NULL).  n
 *   contiguous floats each.  Bit-identical to sgd_scalar.  Needs AVX2 and FMA. */
void sgd_avx2(size_t n, float *p, const float *g, float *vel, float lr, float mu, float wd)
{
    const __m256 vlr = _mm256_set1_ps(lr), vmu = _mm256_set1_ps(mu), vwd = _mm256_set1_ps(wd);
    for (size_t i = 0; i < n; i += 8) {
        int len = act_avx2_len(n, i);
        __m256 pv = act_avx2_load(p + i, len);
        __m256 gv = _mm256_add_ps(act_avx2_load(g + i, len), _mm256_mul_ps(vwd, pv));
        __m256 step = _mm256_mul_ps(vlr, gv);
        if (mu == 0) {
            pv = _mm256_sub_ps(pv, step);
        } else {
            __m256 v = _mm256_sub_ps(_mm256_mul_ps(vmu, act_avx2_load(vel + i, len)), step);
            act_avx2_store(vel + i, len, v);
            pv = _mm256_add_ps(pv, v);
        }
        act_avx2_store(p + i, len, pv);
    }
}

/* One vector of the weight average: mu*avg + rest*p, rest = 1 - mu, with ema_scalar's
 * two roundings (no FMA), for ema_avx2 and the average inside adam_avx2. */
static inline __m256 ema_avx2_vec(__m256 avg, __m256 p, __m256 mu, __m256 rest)
{
    return _mm256_add_ps(_mm256_mul_ps(mu, avg), _mm256_mul_ps(rest, p));
}

/* adam_avx2: m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;
 *   p = (p - decay*p) - step * m / (sqrt(v) + eps), step = lr * sqrtf(bc2) / bc1 computed once.
 *   n contiguous floats each.  vsqrtps and vdivps round correctly, so the result is
 *   bit-identical to adam_scalar's; so is the average of the new p into avg (when
 *   not NULL), taken while p is in registers.  Needs AVX2 and FMA. */
void adam_avx2(size_t n, float *p, const float *g, float *m, float *v, float *avg,
               const adam_params *a)
{
    const __m256 b1 = _mm256_set1_ps(a->beta1), c1 = _mm256_set1_ps(1.0f - a->beta1);
    const __m256 b2 = _mm256_set1_ps(a->beta2), c2 = _mm256_set1_ps(1.0f - a->beta2);
    const __m256 eps = _mm256_set1_ps(a->eps);
    const __m256 step = _mm256_set1_ps(a->lr * sqrtf(a->bias_corr2) / a->bias_corr1);
    const __m256 mu = _mm256_set1_ps(a->ema), rest = _mm256_set1_ps(1.0f - a->ema);
    const __m256 decay = _mm256_set1_ps(a->decay);
    for (size_t i = 0; i < n; i += 8) {
        int len = act_avx2_len(n, i);
        __m256 gv = act_avx2_load(g + i, len);
        __m256 mv = _mm256_add_ps(_mm256_mul_ps(b1, act_avx2_load(m + i, len)),
                                  _mm256_mul_ps(c1, gv));
        __m256 vv = _mm256_add_ps(_mm256_mul_ps(b2, act_avx2_load(v + i, len)),
                                  _mm256_mul_ps(_mm256_mul_ps(c2, gv), gv));
        __m256 upd = _mm256_div_ps(_mm256_mul_ps(step, mv),
                                   _mm256_add_ps(_mm256_sqrt_ps(vv), eps));
        act_avx2_store(m + i, len, mv);
        act_avx2_store(v + i, len, vv);
        __m256 pv = act_avx2_load(p + i, len);
        pv = _mm256_sub_ps(_mm256_sub_ps(pv, _mm256_mul_ps(decay, pv)), upd);
        act_avx2_store(p + i, len, pv);
        if (avg)
            act_avx2_store(avg + i, len, ema_avx2_vec(act_avx2_load(avg + i, len), pv, mu, rest));
    }
}

/* ema_avx2: avg = mu*avg + (1-mu)*p (Keras' use_ema weight averaging); n
 *   contiguous floats each.  Bit-identical to ema_scalar.  Needs AVX2 and FMA. */
void ema_avx2(size_t n, float *avg, const float *p, float mu)
{
    const __m256 vmu = _mm256_set1_ps(mu), rest = _mm256_set1_ps(1.0f - mu);
    for (size_t i = 0; i < n; i += 8) {
        int len = act_avx2_len(n, i);
        act_avx2_store(avg + i, len,
                       ema_avx2_vec(act_avx2_load(avg + i, len), act_avx2_load(p + i, len), vmu, rest));
    }
}

/* pixels_avx2: dst[i] = src[i] / KERNELS_PIXEL_SCALE, n bytes into n floats, 8 per
 *   vector.  vdivps rounds as the scalar division does, so the result is
 *   bit-identical to pixels_scalar.  The last partial vector is read through a
 *   zero-padded copy, so no byte past src[n - 1] is touched. */
void pixels_avx2(size_t n, const uint8_t *src, float *dst)
{
    const __m256 scale = _mm256_set1_ps(KERNELS_PIXEL_SCALE);
    for (size_t i = 0; i < n; i += 8) {
        int len = act_avx2_len(n, i);
        uint8_t tail[8] = {0};
        const uint8_t *s = src + i;
        if (len < 8) {
            memcpy(tail, s, (size_t)len);
            s = tail;
        }
        __m256i u = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)s));
        act_avx2_store(dst + i, len, _mm256_div_ps(_mm256_cvtepi32_ps(u), scale));
    }
}

/* warp_avx2: out = src warped by w (kernels.h's warp_params), 8 pixels of a row
 *   per vector (the last in part), the four neighbours of each fetched by masked
 *   gathers (masked lanes fetch nothing).  The coordinates take warp_scalar's
 *   operations in its order, and max/min clamp as its ternaries do (the
 *   coordinates are never NaN), so the result is bit-identical. */
void warp_avx2(const warp_params *w, const float *src, float *out)
{
    const int R = w->rows, C = w->cols, ld = C + 2 * w->pad;
    const __m256 cy = _mm256_set1_ps(w->cy), cx = _mm256_set1_ps(w->cx);
    const __m256 r00 = _mm256_set1_ps(w->r00), r10 = _mm256_set1_ps(w->r10);
    const __m256 ty = _mm256_set1_ps(w->ty), tx = _mm256_set1_ps(w->tx);
    const __m256 alpha = _mm256_set1_ps(w->alpha), pad = _mm256_set1_ps((float)w->pad);
    const __m256 lo = _mm256_set1_ps(0.5f), hi_y = _mm256_set1_ps((float)(R + w->pad) + 0.5f),
                 hi_x = _mm256_set1_ps((float)(C + w->pad) + 0.5f);
    const __m256i vld = _mm256_set1_epi32(ld), one = _mm256_set1_epi32(1);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int i = 0; i < R; i++) {
        const float v = (float)i - w->cy;
        const __m256 ry = _mm256_set1_ps(w->r11 * v), rx = _mm256_set1_ps(w->r01 * v);
        for (int j = 0; j < C; j += 8) {
            const int len = C - j < 8 ? C - j : 8;
            const __m256 k = _mm256_castsi256_ps(act_avx2_mask(len));
            const size_t at = (size_t)i * C + j;
            const __m256 u = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_set1_epi32(j), lane)), cx);
            __m256 y = _mm256_sub_ps(_mm256_add_ps(_mm256_add_ps(cy, _mm256_mul_ps(r10, u)), ry), ty);
            __m256 x = _mm256_sub_ps(_mm256_add_ps(_mm256_add_ps(cx, _mm256_mul_ps(r00, u)), rx), tx);
            if (w->fy) {
                y = _mm256_add_ps(y, _mm256_mul_ps(alpha, act_avx2_load(w->fy + at, len)));
                x = _mm256_add_ps(x, _mm256_mul_ps(alpha, act_avx2_load(w->fx + at, len)));
            }
            y = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(y, pad), lo), hi_y);
            x = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(x, pad), lo), hi_x);
            const __m256i y0 = _mm256_cvttps_epi32(y), x0 = _mm256_cvttps_epi32(x);
            const __m256 wy = _mm256_sub_ps(y, _mm256_cvtepi32_ps(y0));
            const __m256 wx = _mm256_sub_ps(x, _mm256_cvtepi32_ps(x0));
            const __m256i at00 = _mm256_add_epi32(_mm256_mullo_epi32(y0, vld), x0);
            const __m256i at10 = _mm256_add_epi32(at00, vld);
            const __m256 zero = _mm256_setzero_ps();
            const __m256 p00 = _mm256_mask_i32gather_ps(zero, src, at00, k, 4);
            const __m256 p01 = _mm256_mask_i32gather_ps(zero, src, _mm256_add_epi32(at00, one), k, 4);
            const __m256 p10 = _mm256_mask_i32gather_ps(zero, src, at10, k, 4);
            const __m256 p11 = _mm256_mask_i32gather_ps(zero, src, _mm256_add_epi32(at10, one), k, 4);
            const __m256 top = _mm256_add_ps(p00, _mm256_mul_ps(wx, _mm256_sub_ps(p01, p00)));
            const __m256 bot = _mm256_add_ps(p10, _mm256_mul_ps(wx, _mm256_sub_ps(p11, p10)));
            act_avx2_store(out + at, len, _mm256_add_ps(top, _mm256_mul_ps(wy, _mm256_sub_ps(bot, top))));
        }
    }
}
