/* gemm_avx512.c: single-threaded AVX-512 SGEMM, BLIS style: an 8x48 register
 * tile (24 zmm accumulators) inside the cache blocking of gemm_pack.h, with
 * masked loads and stores for every partial tile, so there is no scalar
 * clean-up; a wide 6x64 tile for 48 < N <= 64 (the 64-wide layer of the seed's
 * network), where 8x48 would leave a 16-column tile with one broadcast of A per
 * FMA (+5-12% measured on its forward and weight-gradient shapes); and a
 * transposed 32x12 tile for ta products with at most 12 columns (the weight
 * gradient of a 10-class layer), where 8x48 would use 10 lanes of 16.
 * Also the fused forward epilogue gemm_avx512_bias_act (bias + ReLU applied while
 * C is in registers).  Not threaded (gemm_omp partitions C over it).  KC and MC
 * are derived from the CPU's L1d and L2 at the first call (gemm_avx512_blocking).
 * Where B is read in place with rows 4 KiB apart (ldb 1024) a long KC panel of
 * B falls into few cache sets: B is packed wherever M and N are large
 * (gemm_avx512_pack_b), and the MLP's in-place shapes measured no loss on Zen 5.
 * Compiled with -mavx512f/vl/bw/dq -mavx2 -mfma only; registry.c calls it after a
 * CPU check. */
#include <immintrin.h>

#include "gemm_avx512_epi.h"
#include "gemm_pack.h"

enum { MR = 8, NR = 48, MR_W = 6, NR_W = 64 };

/* One instance of the micro-kernel for a fixed tile shape: mr rows and nv zmm
 * columns (the last one masked by `last`): 1..8 rows of 1..3 vectors, or 1..6
 * rows of 4 (the wide tile); A read row-wise in place (rows) or k-major (packed,
 * or ta in place).  Inlined into gemm_avx512_8x48 once per shape, so every loop
 * here is unrolled and acc[][] lives in registers: up to 24 accumulators + 3 or
 * 4 B vectors + 1 broadcast A of the 32 zmm. */
static inline __attribute__((always_inline)) void
gemm_avx512_tile(const int mr, const int nv, const bool rows, int kc, const float *a,
                 ptrdiff_t rsa, ptrdiff_t csa, const float *b, ptrdiff_t rsb, float *c,
                 ptrdiff_t ldc, __mmask16 last, const gemm_epi *e)
{
    __m512 acc[MR][4];
    const float *a_row[MR];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++) {
        a_row[i] = a + i * rsa;
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm512_setzero_ps();
    }
#pragma GCC unroll 2
    for (int k = 0; k < kc; k++) {
        __m512 bv[4];
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
            bv[v] = v == nv - 1 ? _mm512_maskz_loadu_ps(last, b + 16 * v)
                                : _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_set1_ps(rows ? a_row[i][k] : a[i]);
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
        }
        b += rsb;
        if (!rows)
            a += csa;
    }
    gemm_avx512_store_tile(mr, nv, acc, c, ldc, last, e);
}

/* gemm_avx512_8x48: micro-kernel, C tile (mr x nr, mr <= 8, nr <= 48; or the
 * wide tile, mr <= 6, 48 < nr <= 64) = epilogue(sum_k a(i,k) b(k,j)) as
 * gemm_ukr_fn (gemm_pack.h) specifies.
 *   A: packed 8-row micro-panel (rsa 1, csa 8), ta in place (rsa 1, csa lda) or
 *   !ta in place (rsa lda, csa 1).  B: packed panel (rsb its width, 48 but the
 *   last) or in place (rsb ldb).  Per k: 3 zmm loads of B, 8 broadcasts of A, 24 FMAs into 24 zmm
 *   (wide tile: 4 loads, 6 broadcasts, 24 FMAs).
 *   Partial tiles: fewer rows are a smaller instance, columns past nr are masked
 *   off in the loads of B and C and in the store (C's padding never touched).
 *   beta == 0: C not read.  Sequential FMA chain per element, increasing k. */
static void gemm_avx512_8x48(int kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
                             const float *b, ptrdiff_t rsb, float *c, ptrdiff_t ldc,
                             int mr, int nr, const gemm_epi *e)
{
    const int nv = (nr + 15) / 16;
    const __mmask16 last = (__mmask16)(0xFFFFu >> (16 * nv - nr));
    const bool rows = csa == 1;
#define TILE(m, v)                                                                         \
    case (v) * MR + (m):                                                                   \
        if (rows)                                                                          \
            gemm_avx512_tile(m, v, true, kc, a, rsa, csa, b, rsb, c, ldc, last, e);       \
        else                                                                               \
            gemm_avx512_tile(m, v, false, kc, a, rsa, csa, b, rsb, c, ldc, last, e);      \
        break;
#define TILE_ROWS(v)                                                                       \
    TILE(1, v) TILE(2, v) TILE(3, v) TILE(4, v) TILE(5, v) TILE(6, v) TILE(7, v) TILE(8, v)
    switch (nv * MR + mr) {
        TILE_ROWS(1)
        TILE_ROWS(2)
        TILE_ROWS(3)
        TILE(1, 4) TILE(2, 4) TILE(3, 4) TILE(4, 4) TILE(5, 4) TILE(6, 4)
    }
#undef TILE_ROWS
#undef TILE
}

/* In-register transpose of the 16x16 block r[0..15] (row i in r[i]). */
static inline __attribute__((always_inline)) void gemm_avx512_transpose_16x16(__m512 r[16])
{
    __m512 t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 16; i += 4) { /* r[i + q]: 128-bit lane l holds column 4l + q */
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        const __m512 w1 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x44),
                     w2 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xEE),
                     x1 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x44),
                     x2 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xEE);
        t[q] = _mm512_shuffle_f32x4(w1, x1, 0x88);
        t[4 + q] = _mm512_shuffle_f32x4(w1, x1, 0xDD);
        t[8 + q] = _mm512_shuffle_f32x4(w2, x2, 0x88);
        t[12 + q] = _mm512_shuffle_f32x4(w2, x2, 0xDD);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        r[i] = t[i];
}

/* One instance of the transposed micro-kernel: nr columns (1..12), nv zmm of
 * rows (1..2, the last masked by `last`).  acc[j][v] holds column j for rows
 * 16v..16v+15: up to 24 accumulators + 2 A vectors + 1 broadcast B. */
static inline __attribute__((always_inline)) void
gemm_avx512_tile_t(const int nr, const int nv, int kc, const float *a, ptrdiff_t csa,
                   const float *b, ptrdiff_t rsb, float *c, ptrdiff_t ldc, int mr,
                   __mmask16 last, const gemm_epi *e)
{
    __m512 acc[12][2];
#pragma GCC unroll 12
    for (int j = 0; j < nr; j++)
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++)
            acc[j][v] = _mm512_setzero_ps();
    for (int k = 0; k < kc; k++) {
        __m512 av[2];
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++)
            av[v] = v == nv - 1 ? _mm512_maskz_loadu_ps(last, a + 16 * v)
                                : _mm512_loadu_ps(a + 16 * v);
#pragma GCC unroll 12
        for (int j = 0; j < nr; j++) {
            const __m512 bv = _mm512_set1_ps(b[j]);
#pragma GCC unroll 2
            for (int v = 0; v < nv; v++)
                acc[j][v] = _mm512_fmadd_ps(av[v], bv, acc[j][v]);
        }
        a += csa;
        b += rsb;
    }
    const __mmask16 cols = (__mmask16)((1u << nr) - 1);
    const int mode = gemm_epi_mode(e);
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++) {
        __m512 r[16];
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++)
            r[j] = j < nr ? acc[j][v] : _mm512_setzero_ps();
        gemm_avx512_transpose_16x16(r);
        const int rows = mr - 16 * v < 16 ? mr - 16 * v : 16;
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
            if (i >= rows)
                break;
            float *c_row = c + (16 * v + i) * ldc;
            if (mode == GEMM_EPI_STORE)
                gemm_avx512_epi(GEMM_EPI_STORE, r[i], c_row, cols, NULL, e);
            else if (mode == GEMM_EPI_ADD)
                gemm_avx512_epi(GEMM_EPI_ADD, r[i], c_row, cols, NULL, e);
            else
                gemm_avx512_epi(GEMM_EPI_ANY, r[i], c_row, cols, NULL, e);
        }
    }
}

/* gemm_avx512_32x12t: transposed micro-kernel (gemm_ukr_t_fn) for ta && !tb with
 * N <= 12.  C tile mr x nr, mr <= 32, nr <= 12; A^T and B read in place.  Per k:
 * 2 zmm loads of A^T (32 rows of C), nr broadcasts of B, 2*nr FMAs into up to 24
 * zmm, so every lane works where gemm_avx512_8x48 would use nr of 16.  Each
 * 16-row group is transposed in registers (16x16) before the epilogue, which is
 * gemm_avx512_tile's; masked loads and stores, C's padding never touched.
 * Same FMA chain per element as gemm_avx512_8x48, so results are bit-identical. */
static void gemm_avx512_32x12t(int kc, const float *a, ptrdiff_t csa, const float *b,
                               ptrdiff_t rsb, float *c, ptrdiff_t ldc, int mr, int nr,
                               const gemm_epi *e)
{
    const int nv = mr > 16 ? 2 : 1;
    const __mmask16 last = (__mmask16)(0xFFFFu >> (16 * nv - mr));
#define TILE_T(n)                                                                          \
    case n:                                                                                \
        if (nv == 2)                                                                       \
            gemm_avx512_tile_t(n, 2, kc, a, csa, b, rsb, c, ldc, mr, last, e);            \
        else                                                                               \
            gemm_avx512_tile_t(n, 1, kc, a, csa, b, rsb, c, ldc, mr, last, e);            \
        break;
    switch (nr) {
        TILE_T(1) TILE_T(2) TILE_T(3) TILE_T(4) TILE_T(5) TILE_T(6)
        TILE_T(7) TILE_T(8) TILE_T(9) TILE_T(10) TILE_T(11) TILE_T(12)
    }
#undef TILE_T
}

/* Pack A when each micro-panel serves more than 4 column panels (N > 192);
 * otherwise the micro-kernel reads it in place (rows of A, or of A^T when ta),
 * which measured faster for the MLP's narrower products. */
static bool gemm_avx512_pack_a(bool ta, int M, int N, int K)
{
    (void)M;
    (void)ta;
    (void)K;
    return N > 4 * NR;
}

/* Pack B when tb, and when B has at least 512 columns and either A at least 256
 * rows (32 row tiles reuse each micro-panel) or A at least 128 rows and B at
 * least 512 rows.  Otherwise the micro-kernel streams B's rows (48 contiguous
 * floats per k) in place: for the MLP's small-M shapes packing costs up to 1.6x.
 * Where M and N are large, rows of B 2-4 KiB apart crowd a KC x 48 panel into
 * a few L1 sets, and the packed panel measured 4-10% faster (Xeon with AMX:
 * 1024^3, 2048^3, and Xᵀ·dY at batch 128 and 256 of the 1024-wide network).
 * A B of 512 x 512 floats or more (1 MiB, an L2) is cold in a training step,
 * where the optimizer has streamed every parameter through the caches since
 * the last forward pass, and reading it in place, one 192-byte run per row 4
 * KiB apart, leaves the hardware prefetcher nothing to follow: the forward
 * GEMMs of 784-1024-1024-10 at batch 128 ran at 131-136 GFLOP/s in a training
 * step and at 153-159 with B packed (Zen 5, one thread), though `./bench`,
 * which reads a hot B, shows packing cost 0-5% there. */
static bool gemm_avx512_pack_b(bool tb, int M, int N, int K)
{
    return tb || (N >= 512 && (M >= 256 || (M >= 128 && K >= 512)));
}

static gemm_arch gemm_avx512_arch = {
    .mr = MR, .nr = NR, .nc = 1536,
    .ukr = gemm_avx512_8x48, .ukr_t = gemm_avx512_32x12t, .mr_t = 32, .nr_t = 12,
    .mr_w = MR_W, .nr_w = NR_W,
    .pack_a = gemm_avx512_pack_a, .pack_b = gemm_avx512_pack_b, .pack_t = gemm_avx2_pack_t,
};

/* KC and MC from the caches the CPU reports, once (BLIS's analytical model):
 *   KC = L1d / (2 * MR * 4): a tile's A micro-panel (MR x KC floats) fills half
 *        of L1d while its k loop runs, the rest left to the lines of B's panel
 *        streaming in from L2.  48 KiB: 768, 32 KiB: 512; within [128, 1024].
 *   MC = L2 / (4 * KC * 4), a multiple of MR: the packed A block (MC x KC) takes
 *        a quarter of L2, beside the B micro-panel (KC x 48, also in L2 at this
 *        KC) and C's tiles.  1 MiB and KC 768: 80.
 * A long KC amortizes C: each K block loads and stores C's tile once, and C
 * passes through memory once per K block.  On Zen 5 (48 KiB L1d, 1 MiB L2) KC 768
 * ran 2048^3 at 1.2-1.36x KC 128 and left 1024^3 and the MLP's shapes within
 * the noise (README: GEMM against OpenBLAS and oneDNN).  NC 1536: B's block (KC x NC, 4.5 MiB
 * at KC 768) in L3.  The blocking depends on the CPU alone, never on the shape
 * or the thread count, so an element's FMA chain depends on K and the CPU only. */
static pthread_once_t gemm_avx512_blocking_once = PTHREAD_ONCE_INIT;
static void gemm_avx512_blocking(void)
{
    long l1d, l2;
    gemm_cache_sizes(&l1d, &l2);
    long kc = l1d / (2 * MR * (long)sizeof(float));
    kc = kc < 128 ? 128 : kc > 1024 ? 1024 : kc;
    long mc = l2 / (4 * kc * (long)sizeof(float)) / MR * MR;
    gemm_avx512_arch.kc = (int)kc;
    gemm_avx512_arch.mc = (int)(mc < MR ? MR : mc);
}

static const gemm_arch *gemm_avx512_get(void)
{
    pthread_once(&gemm_avx512_blocking_once, gemm_avx512_blocking);
    return &gemm_avx512_arch;
}

/* gemm_avx512: C = alpha*op(A)*op(B) + beta*C, float, row-major (kernels.h).
 *   A is M x K (K x M if ta), B is K x N (N x K if tb), C is M x N; ld* >= row length.
 *   Packs A in 8-row micro-panels when N > 192, and B in 48-column panels when tb
 *   or when N >= 512 and M >= 256 (or M >= 128 and K >= 512: gemm_avx512_pack_b)
 *   (64-byte aligned thread-local scratch), else
 *   reads them in place; KC and MC from the CPU's caches (768 and 80 on a
 *   48 KiB L1d, 1 MiB L2; K in near-equal blocks), NC 1536.  8x48 tile, 24 zmm accumulators (6x64
 *   for 48 < N <= 64 with neither operand packed); ta && !tb with N <= 12 runs
 *   the transposed 32x12 tile.  Partial tiles masked.
 *   beta == 0: C not read;
 *   the ldc padding is never touched.  One thread; reentrant.  Every element is
 *   one FMA chain per K block whatever the shape or tile, so sub-blocks of C
 *   compute bit-identical values (gemm_omp relies on this).
 *   Matches gemm_naive within 4*K*FLT_EPSILON*(sum|a*b| + |beta*c|).
 *   Needs AVX-512F/VL/BW/DQ. */
void gemm_avx512(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    gemm_drive(gemm_avx512_get(), ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
               NULL, false);
}

/* gemm_avx512_bias_act: C = A*B + bias (bias[j] added to every row), then
 * max(C, 0) when relu; the forward pass of a dense layer.  A is M x K, B is K x N,
 * C is M x N, no transposes, C write-only.  Bias and ReLU are applied by the
 * micro-kernel to the tile in registers at the last K block, so C is written once
 * (for K <= KC).  Same blocking, accuracy and threading as gemm_avx512. */
void gemm_avx512_bias_act(int M, int N, int K, const float *A, int lda, const float *B,
                          int ldb, const float *bias, bool relu, float *C, int ldc)
{
    gemm_drive(gemm_avx512_get(), false, false, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C,
               ldc, bias, relu);
}
