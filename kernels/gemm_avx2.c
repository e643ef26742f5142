/* gemm_avx2.c: single-threaded AVX2+FMA SGEMM, BLIS style: a 6x16 register tile
 * (12 ymm accumulators) inside the cache blocking of gemm_pack.h; partial tiles
 * use masked loads and stores (vmaskmovps), so there is no scalar clean-up.
 * Also the fused forward epilogue gemm_avx2_bias_act, and the transposing pack
 * (8x8 register transposes) that gemm_pack.h uses for both SIMD kernels.  Not
 * threaded (gemm_omp partitions C over it).  Compiled with -mavx2 -mfma only;
 * registry.c calls it after a CPU check. */
#include <immintrin.h>

#include "gemm_pack.h"

enum { MR = 6, NR = 16 };

/* Transposes the rows x cols block (<= 8 x 8) at src (row stride ld) into dst
 * (row stride dstride): dst[c*dstride + r] = src[r*ld + c].  A full block
 * (constant 8, 8 after inlining) uses plain loads and stores; an edge block masked
 * ones, touching only its cells. */
static inline __attribute__((always_inline)) void
gemm_avx2_transpose_8x8(const float *src, ptrdiff_t ld, float *dst, ptrdiff_t dstride,
                        int rows, int cols)
{
    const bool full = rows == 8 && cols == 8;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i col_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
    const __m256i row_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rows), lane);
    __m256 r[8], t[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        r[i] = full         ? _mm256_loadu_ps(src + i * ld)
               : i < rows ? _mm256_maskload_ps(src + i * ld, col_mask)
                          : _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 8; i += 4) { /* r[i + q]: each 128-bit half holds column 4h + q */
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) { /* columns q and q + 4: low and high halves */
        const __m256 lo = _mm256_permute2f128_ps(r[q], r[4 + q], 0x20),
                     hi = _mm256_permute2f128_ps(r[q], r[4 + q], 0x31);
        if (full) {
            _mm256_storeu_ps(dst + q * dstride, lo);
            _mm256_storeu_ps(dst + (q + 4) * dstride, hi);
        } else {
            if (q < cols)
                _mm256_maskstore_ps(dst + q * dstride, row_mask, lo);
            if (q + 4 < cols)
                _mm256_maskstore_ps(dst + (q + 4) * dstride, row_mask, hi);
        }
    }
}

/* gemm_avx2_pack_t: dst[c*dstride + r] = src[r*ld + c] (gemm_pack.h), in 8x8
 * blocks through registers.  Past the last full block, a block that ends at the
 * edge overlaps the previous one (rewriting equal values) where the extent is at
 * least 8, and a masked block covers the rest when it is under 8. */
void gemm_avx2_pack_t(int rows, int cols, const float *src, ptrdiff_t ld, float *dst,
                      ptrdiff_t dstride)
{
    for (int r = 0; r < rows; r += 8) {
        const int r0 = r + 8 <= rows || rows < 8 ? r : rows - 8;
        const int rr = rows - r0 < 8 ? rows - r0 : 8;
        for (int c = 0; c < cols; c += 8) {
            const int c0 = c + 8 <= cols || cols < 8 ? c : cols - 8;
            const int cc = cols - c0 < 8 ? cols - c0 : 8;
            const float *s = src + r0 * ld + c0;
            float *d = dst + c0 * dstride + r0;
            if (rr == 8 && cc == 8)
                gemm_avx2_transpose_8x8(s, ld, d, dstride, 8, 8);
            else
                gemm_avx2_transpose_8x8(s, ld, d, dstride, rr, cc);
        }
    }
}

/* One instance of the micro-kernel for a fixed tile shape: mr rows (1..6), nv ymm
 * columns (1..2), the last one masked when `masked`, A row-wise in place (rows)
 * or k-major.  Inlined once per shape, so acc[][] lives in registers: up to 12
 * accumulators + 2 B vectors + 1 broadcast A of the 16 ymm. */
static inline __attribute__((always_inline)) void
gemm_avx2_tile(const int mr, const int nv, const bool masked, const bool rows, int kc,
               const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b, ptrdiff_t rsb,
               float *c, ptrdiff_t ldc, __m256i last, const gemm_epi *e)
{
    __m256 acc[MR][2];
    const float *a_row[MR];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++) {
        a_row[i] = a + i * rsa;
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm256_setzero_ps();
    }
    for (int k = 0; k < kc; k++) {
        __m256 bv[2];
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
            bv[v] = masked && v == nv - 1 ? _mm256_maskload_ps(b + 8 * v, last)
                                          : _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m256 av = _mm256_broadcast_ss(rows ? a_row[i] + k : a + i);
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
        }
        b += rsb;
        if (!rows)
            a += csa;
    }
    const __m256 alpha = _mm256_set1_ps(e->alpha), beta = _mm256_set1_ps(e->beta);
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++) {
        float *c_row = c + i * ldc;
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            const bool m = masked && v == nv - 1;
            /* alpha or beta of 1 skips a multiply by 1, which is exact */
            __m256 r = acc[i][v];
            if (e->beta == 0.0f) {
                if (e->alpha != 1.0f)
                    r = _mm256_mul_ps(alpha, r);
            } else {
                __m256 cv = m ? _mm256_maskload_ps(c_row + 8 * v, last)
                              : _mm256_loadu_ps(c_row + 8 * v);
                if (e->beta != 1.0f)
                    cv = _mm256_mul_ps(beta, cv);
                r = e->alpha == 1.0f ? _mm256_add_ps(r, cv) : _mm256_fmadd_ps(alpha, r, cv);
            }
            if (e->bias)
                r = _mm256_add_ps(r, m ? _mm256_maskload_ps(e->bias + 8 * v, last)
                                       : _mm256_loadu_ps(e->bias + 8 * v));
            if (e->relu)
                r = _mm256_max_ps(r, _mm256_setzero_ps());
            if (m)
                _mm256_maskstore_ps(c_row + 8 * v, last, r);
            else
                _mm256_storeu_ps(c_row + 8 * v, r);
        }
    }
}

/* gemm_avx2_6x16: micro-kernel, C tile (mr x nr, mr <= 6, nr <= 16) =
 * epilogue(sum_k a(i,k) b(k,j)) as gemm_ukr_fn (gemm_pack.h) specifies.
 *   A: packed 6-row micro-panel (rsa 1, csa 6), ta in place (rsa 1, csa lda) or
 *   !ta in place (rsa lda, csa 1).  B: packed panel (rsb its width, 16 but the
 *   last) or in place (rsb ldb).  Per k: 2 ymm loads of B, 6 broadcasts of A, 12 FMAs into 12 ymm.
 *   Partial tiles: fewer rows are a smaller instance, columns past nr are masked
 *   off (vmaskmovps) in the loads of B and C and in the store.  beta == 0: C not
 *   read.  Sequential FMA chain per element, increasing k. */
static void gemm_avx2_6x16(int kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
                           const float *b, ptrdiff_t rsb, float *c, ptrdiff_t ldc, int mr,
                           int nr, const gemm_epi *e)
{
    const int nv = (nr + 7) / 8;
    const bool masked = nr % 8 != 0;
    const __m256i last = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8 * (nv - 1)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const bool rows = csa == 1;
#define TILE(m, v, mk, r)                                                                  \
    gemm_avx2_tile(m, v, mk, r, kc, a, rsa, csa, b, rsb, c, ldc, last, e)
#define TILE_NV(m, r)                                                                      \
    (nv == 2 ? (masked ? TILE(m, 2, true, r) : TILE(m, 2, false, r))                      \
             : (masked ? TILE(m, 1, true, r) : TILE(m, 1, false, r)))
#define TILE_CASE(m)                                                                       \
    case m:                                                                                \
        if (rows)                                                                          \
            TILE_NV(m, true);                                                              \
        else                                                                               \
            TILE_NV(m, false);                                                             \
        break;
    switch (mr) {
        TILE_CASE(1)
        TILE_CASE(2)
        TILE_CASE(3)
        TILE_CASE(4)
        TILE_CASE(5)
        TILE_CASE(6)
    }
#undef TILE_CASE
#undef TILE_NV
#undef TILE
}

/* Pack A when each micro-panel serves more than 4 column panels (N > 64);
 * otherwise the micro-kernel reads it in place. */
static bool gemm_avx2_pack_a(bool ta, int M, int N, int K)
{
    (void)M;
    (void)ta;
    (void)K;
    return N > 4 * NR;
}

/* Pack B (when !tb) when many row tiles (M > 48) reuse a large block of it
 * (K*N > 64Ki): in place, a 16-wide micro-panel's rows lie a row of B apart and
 * do not stay in L1 (1024^3: 80 against 99 GFLOP/s), but for few row tiles the
 * copy costs more than it saves (32x1024x784: 53 against 93). */
static bool gemm_avx2_pack_b(bool tb, int M, int N, int K)
{
    return tb || (M > 8 * MR && (double)K * N > 64 * 1024);
}

static const gemm_arch gemm_avx2_arch = {
    .mr = MR, .nr = NR, .kc = 512, .mc = 192, .nc = 1536,
    .ukr = gemm_avx2_6x16, .pack_a = gemm_avx2_pack_a, .pack_b = gemm_avx2_pack_b,
    .pack_t = gemm_avx2_pack_t,
};

/* gemm_avx2: C = alpha*op(A)*op(B) + beta*C, float, row-major (kernels.h).
 *   A is M x K (K x M if ta), B is K x N (N x K if tb), C is M x N; ld* >= row length.
 *   Packs A in 6-row micro-panels when N > 64 and B in 16-column ones when tb or
 *   when M > 48 and K*N > 64Ki (64-byte aligned thread-local scratch), else reads
 *   them in place; KC 512 (K in near-equal blocks), MC 192, NC 1536.
 *   6x16 tile, 12 ymm accumulators; partial tiles masked.  beta == 0: C not read;
 *   the ldc padding is never touched.  One thread; reentrant.  Every element is
 *   one FMA chain per K block whatever the shape or tile, so sub-blocks of C
 *   compute bit-identical values (gemm_omp relies on this).
 *   Matches gemm_naive within 4*K*FLT_EPSILON*(sum|a*b| + |beta*c|).  Needs AVX2+FMA. */
void gemm_avx2(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
               const float *B, int ldb, float beta, float *C, int ldc)
{
    gemm_drive(&gemm_avx2_arch, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL,
               false);
}

/* gemm_avx2_bias_act: C = A*B + bias (bias[j] added to every row), then max(C, 0)
 * when relu.  A is M x K, B is K x N, C is M x N, no transposes, C write-only.
 * Bias and ReLU are applied by the micro-kernel to the tile in registers at the
 * last K block.  Same blocking, accuracy and threading as gemm_avx2. */
void gemm_avx2_bias_act(int M, int N, int K, const float *A, int lda, const float *B,
                        int ldb, const float *bias, bool relu, float *C, int ldc)
{
    gemm_drive(&gemm_avx2_arch, false, false, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc,
               bias, relu);
}
