/* gemm_avx512bf16.c: single-threaded mixed-precision GEMM with AVX512-BF16, the
 * FP32 contract of kernels.h (FP32 in and out, alpha, beta, every transpose, the
 * fused forward epilogue) computed on bfloat16 operands: A and B are rounded to
 * bf16 (round to nearest even, vcvtne2ps2bf16, which also flushes denormals to
 * zero) while they are packed, vdpbf16ps multiplies pairs of them (k, k+1) and
 * accumulates in FP32, and the epilogue is gemm_avx512's.  Each product of two
 * bf16 values is exact in FP32, so the error against the exact product is the
 * operands' rounding (8-bit significands: at most 2^-8 each, relatively) plus
 * FP32 summation, the bound gemm_error_bound (kernels.h) states.  Twice the
 * multiply-adds of vfmadd231ps per instruction, at half the bytes per operand.
 *
 * Loop nest (gemm_pack.h's, with bf16 panels, both operands always packed: the
 * rounding happens there):
 *   jc over N by NC       B block of KC x NC: NR-column panels of (k, k+1) pairs,
 *                         bpanel[kp*NR + j] = {bf16 B(2kp, j), bf16 B(2kp+1, j)}
 *                         as one 32-bit word (low half k even), zero-padded to NR
 *                         columns and to an even K
 *     pc over K by KC     (KC even; the last block shorter, so blocks depend on K
 *                         only)
 *       ic over M by MC   A block of MC x KC: MR-row panels of pairs,
 *                         apanel[kp*MR + i] = {bf16 A(i, 2kp), bf16 A(i, 2kp+1)}
 *         jr, ir          8x48 micro-kernel: per pair, 3 zmm of B, 8 broadcasts of
 *                         A, 24 vdpbf16ps into 24 FP32 accumulators
 * Each element of C is, per K block, one chain of vdpbf16ps in increasing k from
 * zero, then gemm_avx512's epilogue (later blocks with beta = 1): the same for
 * any tile position, so any partition of C (gemm_omp_bf16) is bit-identical.
 * A narrow C with whole rows (N <= 16, ldc == N: the 10-class layer) and !ta
 * takes bf16_dot_drive instead: A rounded as it is read, each element 16 lane
 * chains over all of K and then a fixed sum of the lanes, again the same for
 * any row block.
 * Compiled with -mavx512f/vl/bw/dq -mavx512bf16 -mfma only; registry.c calls it
 * after a CPU check. */
#include <immintrin.h>
#include <stdint.h>

#include "gemm_avx512_epi.h"
#include "gemm_pack.h"

/* MR x NR register tile.  KC x NC of B packed: KC/2 x NC words, 2 MiB, from L3;
 * one B micro-panel KC/2 x NR words, 48 KiB, from L1d and L2; MC x KC of A, 192
 * KiB, in L2.  Measured on Zen 5 (1024^3, 784-1024-1024-10's forward at B 128):
 * KC 384-768, MC 48-192 within 5% of each other once NC covers N (NC = 960 split
 * N = 1024 into 960 + 64 and cost 20%). */
enum { MR = 8, NR = 48, KC = 512, MC = 192, NC = 2016 };

/* Panels of P lines and kp_n pairs start PANEL_SKEW words apart beyond their
 * P*kp_n: when P*kp_n*4 bytes is a multiple of 4 KiB (8-line A panels at K =
 * 256), each pair's stores land 4 KiB after the last, as do the loads of the
 * rows they come from (lda = 1024), and the loads waited on the stores (4K
 * aliasing; measured on Zen 5, 784-1024-1024-10's bwd_weight L:3 at B 256: 49 ->
 * 107 GFLOP/s).  ROWS_AHEAD: rows prefetched ahead when packing across rows, as
 * each pair of rows lies on new pages, where the hardware prefetchers stop (3-5%
 * on the forward products). */
enum { PANEL_SKEW = 16, ROWS_AHEAD = 4 };

/* Words from panel 0 to panel p of P lines and kp_n pairs. */
static inline ptrdiff_t bf16_panel_at(int p, int kp_n, int P)
{
    return (ptrdiff_t)p * ((ptrdiff_t)kp_n * P + PANEL_SKEW);
}

/* Lanes [0, len) of one zmm: all 16 for len >= 16, none for len <= 0. */
static inline __mmask16 bf16_mask(ptrdiff_t len)
{
    return len >= 16 ? 0xFFFF : len <= 0 ? 0 : (__mmask16)((1u << len) - 1);
}

/* r[0..15], 16 rows of 16 words, transposed in place: word j of row i moves to
 * word i of row j.  Four stages of two-input shuffles (64 in all): within
 * 128-bit lanes by 32 and by 64 bits, then across lanes twice. */
static inline void bf16_transpose16(__m512i r[16])
{
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    /* r[4g + e], lane L: words 4L + e of rows 4g..4g+3 */
    for (int g = 0; g < 16; g += 4) {
        r[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);
        r[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);
        r[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
        r[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
    }
    /* lanes 0, 1 (t[e]) and 2, 3 (t[8 + e]) of row groups 0, 1, then 2, 3 (t[4 + e], t[12 + e]) */
    for (int e = 0; e < 4; e++) {
        t[e] = _mm512_shuffle_i32x4(r[e], r[4 + e], 0x44);
        t[8 + e] = _mm512_shuffle_i32x4(r[e], r[4 + e], 0xEE);
        t[4 + e] = _mm512_shuffle_i32x4(r[8 + e], r[12 + e], 0x44);
        t[12 + e] = _mm512_shuffle_i32x4(r[8 + e], r[12 + e], 0xEE);
    }
    /* word 4L + e of all 16 rows: lane L of each row group */
    for (int e = 0; e < 4; e++) {
        r[e] = _mm512_shuffle_i32x4(t[e], t[4 + e], 0x88);
        r[4 + e] = _mm512_shuffle_i32x4(t[e], t[4 + e], 0xDD);
        r[8 + e] = _mm512_shuffle_i32x4(t[8 + e], t[12 + e], 0x88);
        r[12 + e] = _mm512_shuffle_i32x4(t[8 + e], t[12 + e], 0xDD);
    }
}

/* Pair kp of lines l0..l0+15 (the 16 words of w) into panels of P lines (P a
 * multiple of 8) and kp_n pairs: line l's word kp at dst + bf16_panel_at(l / P)
 * + kp*P + l % P: one store when P is a multiple of 16, else two halves of 8 lines
 * (one panel each when P = 8), a half wholly past the last panel (nl lines) not
 * at all.  P is a constant once inlined (bf16_pack's callers), so % is cheap. */
static inline void bf16_store_pair(__m512i w, int l0, int nl, int kp, int kp_n, int P,
                                   uint32_t *dst)
{
    if (P % 16 == 0) { /* l0 is too: the 16 lines lie in one panel */
        const ptrdiff_t at = bf16_panel_at(l0 / P, kp_n, P) + (ptrdiff_t)kp * P + l0 % P;
        _mm512_storeu_si512(dst + at, w);
        return;
    }
    for (int half = 0; half < 2; half++) {
        const int l = l0 + 8 * half;
        if (l >= nl) return;
        const ptrdiff_t at = bf16_panel_at(l / P, kp_n, P) + (ptrdiff_t)kp * P + l % P;
        _mm256_storeu_si256((__m256i *)(dst + at),
                            half ? _mm512_extracti64x4_epi64(w, 1) : _mm512_castsi512_si256(w));
    }
}

/* Lines l0..l0+15 of panels of P lines, each contiguous along k: line l is the
 * kc floats at x + l*ld (zeros for l >= n).  Sixteen pairs of the 16 lines at a
 * time: cvtne2ps makes each line's 16 words, which a transpose turns into each
 * pair's 16 lines for bf16_store_pair. */
static inline __attribute__((always_inline)) void
bf16_pack_lines(const float *x, ptrdiff_t ld, int n, int nl, int l0, int kc, int P, uint32_t *dst)
{
    const int kp_n = (kc + 1) / 2;
    for (int kp0 = 0; kp0 < kp_n; kp0 += 16) {
        __m512i r[16];
        const __mmask16 lo = bf16_mask(kc - 2 * kp0), hi = bf16_mask(kc - 2 * kp0 - 16);
        for (int l = 0; l < 16; l++) {
            r[l] = _mm512_setzero_si512();
            if (l0 + l >= n) continue;
            const float *line = x + (ptrdiff_t)(l0 + l) * ld + 2 * kp0;
            r[l] = (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, line + 16),
                                                _mm512_maskz_loadu_ps(lo, line));
        }
        bf16_transpose16(r);
        for (int q = 0; q < 16 && kp0 + q < kp_n; q++)
            bf16_store_pair(r[q], l0, nl, kp0 + q, kp_n, P, dst);
    }
}

/* n lines by kc of op(X) (rows of op(A), columns of op(B)) into panels of P lines
 * (8, 16 or 48) and (kc + 1) / 2 pairs: line l of panel p (at dst +
 * bf16_panel_at(p)) holds pair kp in word kp*P + l; lines past n are zero.
 * along_k: each line is contiguous along k, at x + l*ld (A when !ta, B when tb);
 * else row k of x + k*ld holds the lines side by side (A when ta, B when !tb),
 * read a pair of rows at a time across every panel, so that the reads are
 * sequential. */
static inline __attribute__((always_inline)) void
bf16_pack(bool along_k, int n, int kc, const float *x, int ld, int P, uint32_t *dst)
{
    const int kp_n = (kc + 1) / 2, nl = (n + P - 1) / P * P;
    if (along_k) {
        for (int l0 = 0; l0 < nl; l0 += 16)
            bf16_pack_lines(x, ld, n, nl, l0, kc, P, dst);
        return;
    }
    /* cvtne2ps gives row 2kp's 16 bf16 then row 2kp+1's; interleave them into words */
    const __m512i inter = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25,
                                           9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2,
                                           17, 1, 16, 0);
    for (int kp = 0; kp < kp_n; kp++) {
        const float *r0 = x + (ptrdiff_t)(2 * kp) * ld, *r1 = 2 * kp + 1 < kc ? r0 + ld : NULL;
        for (int l0 = 0; l0 < nl; l0 += 16) {
            __m512i w = _mm512_setzero_si512();
            if (l0 < n) {
                if (2 * kp + ROWS_AHEAD + 1 < kc) {
                    _mm_prefetch((const char *)(r0 + ROWS_AHEAD * (ptrdiff_t)ld + l0), _MM_HINT_T0);
                    _mm_prefetch((const char *)(r0 + (ROWS_AHEAD + 1) * (ptrdiff_t)ld + l0),
                                 _MM_HINT_T0);
                }
                const __mmask16 k = bf16_mask(n - l0);
                const __m512 lo = _mm512_maskz_loadu_ps(k, r0 + l0);
                const __m512 hi = r1 ? _mm512_maskz_loadu_ps(k, r1 + l0) : _mm512_setzero_ps();
                w = _mm512_permutexvar_epi16(inter, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
            }
            bf16_store_pair(w, l0, nl, kp, kp_n, P, dst);
        }
    }
}

/* One instance of the micro-kernel: mr rows (1..8) by nv zmm (1..3, the last
 * masked by `last` in C): C tile = epilogue(sum over kp < kp_n of the pairs'
 * products), a and b the packed panels.  Inlined once per shape, so acc[][] lives
 * in registers: 24 accumulators + 3 B vectors + 1 broadcast of the 32 zmm. */
static inline __attribute__((always_inline)) void
bf16_tile(const int mr, const int nv, int kp_n, const uint32_t *a, const uint32_t *b, float *c,
          ptrdiff_t ldc, __mmask16 last, const gemm_epi *e)
{
    __m512 acc[MR][4];
    /* C's lines are fetched while the products are summed, not waited for in
     * the epilogue: C is the one operand not packed, so not in L1 or L2. */
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            acc[i][v] = _mm512_setzero_ps();
            _mm_prefetch((const char *)(c + i * ldc + 16 * v), _MM_HINT_T0);
        }
#pragma GCC unroll 2
    for (int kp = 0; kp < kp_n; kp++) {
        __m512bh bv[3];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            bv[v] = (__m512bh)_mm512_loadu_si512(b + kp * NR + 16 * v);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            const __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[kp * MR + i]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm512_dpbf16_ps(acc[i][v], av, bv[v]);
        }
    }
    gemm_avx512_store_tile(mr, nv, acc, c, ldc, last, e);
}

/* The mr x nr tile (mr <= 8, nr <= 48) of C at c: the instance of its shape. */
static void bf16_8x48(int kp_n, const uint32_t *a, const uint32_t *b, float *c, ptrdiff_t ldc,
                      int mr, int nr, const gemm_epi *e)
{
    const int nv = (nr + 15) / 16;
    const __mmask16 last = (__mmask16)(0xFFFFu >> (16 * nv - nr));
#define TILE(m, v)                                                                         \
    case (v) * MR + (m):                                                                   \
        bf16_tile(m, v, kp_n, a, b, c, ldc, last, e);                                      \
        break;
#define TILE_ROWS(v)                                                                       \
    TILE(1, v) TILE(2, v) TILE(3, v) TILE(4, v) TILE(5, v) TILE(6, v) TILE(7, v) TILE(8, v)
    switch (nv * MR + mr) {
        TILE_ROWS(1)
        TILE_ROWS(2)
        TILE_ROWS(3)
    }
#undef TILE_ROWS
#undef TILE
}

/* The 16 row sums of v[0..15] as one vector: lane j = the sum of v[j]'s 16
 * lanes, by a fixed tree (halves of 256, then 128 bits across vectors, then
 * within 128-bit lanes), so the same for every row of C. */
static inline __m512 bf16_row_sums(const __m512 v[16])
{
    __m512 s1[8], s2[4], s3[2];
#pragma GCC unroll 8
    for (int p = 0; p < 8; p++) /* [8 of v[2p] | 8 of v[2p+1]] */
        s1[p] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], 0x44),
                              _mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], 0xEE));
#pragma GCC unroll 8
    for (int q = 0; q < 4; q++) /* 128-bit lane L: 4 of v[4q + L] */
        s2[q] = _mm512_add_ps(_mm512_shuffle_f32x4(s1[2 * q], s1[2 * q + 1], 0x88),
                              _mm512_shuffle_f32x4(s1[2 * q], s1[2 * q + 1], 0xDD));
#pragma GCC unroll 8
    for (int h = 0; h < 2; h++) /* lane L: 2 of v[8h + L], 2 of v[8h + 4 + L] */
        s3[h] = _mm512_add_ps(_mm512_shuffle_ps(s2[2 * h], s2[2 * h + 1], 0x44),
                              _mm512_shuffle_ps(s2[2 * h], s2[2 * h + 1], 0xEE));
    /* word 4L + m: the sum of v[4m + L]; the permute puts v[j]'s at word j */
    const __m512 s = _mm512_add_ps(_mm512_shuffle_ps(s3[0], s3[1], 0x88),
                                   _mm512_shuffle_ps(s3[0], s3[1], 0xDD));
    const __m512i at = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
    return _mm512_permutexvar_ps(at, s);
}

/* rows (1 or 2) rows of a narrow C, w = 4*nq columns (zero columns of cols past
 * N): C row i, column j = sum over k of bf16 a(i, k) * bf16 B(k, j), as 16
 * lane chains of vdpbf16ps (lane l: pairs 16t + l, t increasing) and then
 * bf16_row_sums.  a: the rows' FP32 floats along k (rounded here, 16 pairs at a
 * time); cols: bf16 pairs of each column along k in blocks of 16 pairs, pairs
 * 16t..16t+15 of column j at cols + (16t + j)*16, zero past K.  Inlined once per
 * shape: rows*w accumulators in registers. */
static inline __attribute__((always_inline)) void
bf16_dot_tile(const int rows, const int nq, int K, int kp_pad, const float *a, int lda,
              const uint32_t *cols, float *c, ptrdiff_t ldc, __mmask16 last, const gemm_epi *e)
{
    __m512 acc[2][16], out[MR][4];
#pragma GCC unroll 2
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++)
            acc[r][j] = _mm512_setzero_ps();
    for (int kp0 = 0; kp0 < kp_pad; kp0 += 16) {
        const __mmask16 lo = bf16_mask(K - 2 * kp0), hi = bf16_mask(K - 2 * kp0 - 16);
        __m512bh av[2];
#pragma GCC unroll 2
        for (int r = 0; r < rows; r++) {
            const float *x = a + (ptrdiff_t)r * lda + 2 * kp0;
            av[r] = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, x + 16),
                                        _mm512_maskz_loadu_ps(lo, x));
        }
#pragma GCC unroll 16
        for (int j = 0; j < 4 * nq; j++) {
            const __m512bh bv = (__m512bh)_mm512_loadu_si512(cols + (ptrdiff_t)(kp0 + j) * 16);
#pragma GCC unroll 2
            for (int r = 0; r < rows; r++)
                acc[r][j] = _mm512_dpbf16_ps(acc[r][j], av[r], bv);
        }
    }
#pragma GCC unroll 2
    for (int r = 0; r < rows; r++)
        out[r][0] = bf16_row_sums(acc[r]);
    gemm_avx512_store_tile(rows, 1, out, c, ldc, last, e);
}

/* C = epilogue(op(A)*op(B)) for a narrow C whose rows are whole (N <= 16,
 * ldc == N: the 10-class layer) and A along k (!ta): the tile path would pack
 * all of A, used once, to fill a third of one 16-column vector.  Here A is
 * rounded as it is read, each row against every column at once, and only B is
 * packed: bf16_pack's panel of 16 columns ([kp][16]) transposed, 16 pairs at a
 * time, into lines of 16 pairs of one column.  Whether a product goes here
 * depends on C's shape and not on a block of it: gemm_omp's blocks of such a C
 * are row blocks (N < NR), and any column block of a wider C has ldc > N, so
 * every element is computed the same way for any partition. */
static void bf16_dot_drive(bool tb, int M, int N, int K, const float *A, int lda, const float *B,
                           int ldb, float *C, int ldc, const gemm_epi *e)
{
    const int kp_n = (K + 1) / 2, kp_pad = (kp_n + 15) / 16 * 16;
    uint32_t *pairs = (uint32_t *)gemm_scratch((size_t)32 * kp_pad), *cols = pairs + 16 * kp_pad;
    bf16_pack(tb, N, K, B, ldb, 16, pairs);
    for (int kp0 = 0; kp0 < kp_pad; kp0 += 16) {
        __m512i r[16];
        for (int q = 0; q < 16; q++)
            r[q] = kp0 + q < kp_n ? _mm512_loadu_si512(pairs + (ptrdiff_t)(kp0 + q) * 16)
                                  : _mm512_setzero_si512();
        bf16_transpose16(r);
        for (int j = 0; j < 16; j++)
            _mm512_storeu_si512(cols + (ptrdiff_t)(kp0 + j) * 16, r[j]);
    }
    const int nq = (N + 3) / 4, step = nq <= 3 ? 2 : 1;
    const __mmask16 last = (__mmask16)(0xFFFFu >> (16 - N));
    for (int i = 0; i < M; i += step) {
        const float *a = A + (ptrdiff_t)i * lda;
        float *c = C + (ptrdiff_t)i * ldc;
        const bool two = step == 2 && i + 1 < M;
#define DOT(q)                                                                                 \
    case q:                                                                                    \
        if (two)                                                                               \
            bf16_dot_tile(2, q, K, kp_pad, a, lda, cols, c, ldc, last, e);                     \
        else                                                                                   \
            bf16_dot_tile(1, q, K, kp_pad, a, lda, cols, c, ldc, last, e);                     \
        break;
        switch (nq) {
            DOT(1)
            DOT(2)
            DOT(3)
            DOT(4)
        }
#undef DOT
    }
}

/* The loop nest of the file's comment: C = alpha*op(A)*op(B) + beta*C, then + bias
 * and ReLU when asked (bias NULL, relu false for plain GEMM). */
static void bf16_drive(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                       int lda, const float *B, int ldb, float beta, float *C, int ldc,
                       const float *bias, bool relu)
{
    if (gemm_trivial(M, N, K, alpha, beta, C, ldc)) {
        if (bias) /* the fused forward pass with K == 0: C = relu?(0 + bias) */
            bias_act_scalar(M, N, bias, relu, C, ldc);
        return;
    }
    if (!ta && N <= 16 && ldc == N) {
        const gemm_epi e = {alpha, beta, bias, relu};
        bf16_dot_drive(tb, M, N, K, A, lda, B, ldb, C, ldc, &e);
        return;
    }
    const int kc_max = K < KC ? K : KC, kp_max = (kc_max + 1) / 2;
    const int mc_max = M < MC ? M : MC, nc_max = N < NC ? N : NC;
    const size_t a_len = (size_t)bf16_panel_at((mc_max + MR - 1) / MR, kp_max, MR);
    const size_t b_len = (size_t)bf16_panel_at((nc_max + NR - 1) / NR, kp_max, NR);
    uint32_t *a_buf = (uint32_t *)gemm_scratch(a_len + b_len), *b_buf = a_buf + a_len;
    for (int jc = 0; jc < N; jc += NC) {
        const int nc = N - jc < NC ? N - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            const int kc = K - pc < KC ? K - pc : KC, kp_n = (kc + 1) / 2;
            const bool last = pc + kc == K;
            gemm_epi e = {alpha, pc == 0 ? beta : 1.0f, NULL, relu && last};
            bf16_pack(tb, nc, kc, tb ? B + (ptrdiff_t)jc * ldb + pc : B + (ptrdiff_t)pc * ldb + jc,
                      ldb, NR, b_buf);
            for (int ic = 0; ic < M; ic += MC) {
                const int mc = M - ic < MC ? M - ic : MC;
                const float *a = ta ? A + (ptrdiff_t)pc * lda + ic : A + (ptrdiff_t)ic * lda + pc;
                bf16_pack(!ta, mc, kc, a, lda, MR, a_buf);
                for (int jr = 0; jr < nc; jr += NR) {
                    const int nr = nc - jr < NR ? nc - jr : NR;
                    e.bias = last && bias ? bias + jc + jr : NULL;
                    for (int ir = 0; ir < mc; ir += MR)
                        bf16_8x48(kp_n, a_buf + bf16_panel_at(ir / MR, kp_n, MR),
                                  b_buf + bf16_panel_at(jr / NR, kp_n, NR),
                                  C + (ptrdiff_t)(ic + ir) * ldc + jc + jr, ldc,
                                  mc - ir < MR ? mc - ir : MR, nr, &e);
                }
            }
        }
    }
}

/* gemm_avx512bf16: C = alpha*op(A)*op(B) + beta*C (kernels.h), the products on
 *   operands rounded to bf16 and summed in FP32: within gemm_error_bound of the
 *   exact product.  beta == 0: C not read. */
void gemm_avx512bf16(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc)
{
    bf16_drive(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, false);
}

/* gemm_avx512bf16_bias_act: C = A*B + bias, then max(C, 0) when relu, in the
 *   last K block's epilogue; C write-only. */
void gemm_avx512bf16_bias_act(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                              const float *bias, bool relu, float *C, int ldc)
{
    bf16_drive(false, false, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc, bias, relu);
}
