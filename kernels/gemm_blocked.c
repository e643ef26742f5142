/* gemm_blocked.c: cache-blocked GEMM in portable C, the step between gemm_naive
 * and the SIMD kernels.  Goto's algorithm in the loop order of BLIS: op(B) and
 * op(A) blocks are packed into contiguous micro-panels, and a small register tile
 * is written so that gcc -O2 vectorizes it for whatever ISA the file is built
 * for (SSE2 on plain x86-64).  No intrinsics, no ISA flags, one thread; not tuned
 * for any one CPU. */
#include <stdlib.h>

#include "impl.h"

enum {
    MR = GEMM_BLOCKED_MR,
    NR = GEMM_BLOCKED_NR,
    MC = GEMM_BLOCKED_MC,
    KC = GEMM_BLOCKED_KC,
    NC = GEMM_BLOCKED_NC,
    ALIGN = 64, /* bytes: a cache line, and a full vector for any ISA */
};

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

static size_t round_up(size_t x, size_t to)
{
    return (x + to - 1) / to * to;
}

/* Packs the mc x kc block of op(A) at (i0, p0) into ceil(mc/MR) micro-panels of
 * MR rows, each kc x MR with the MR values of one column k contiguous: panel r,
 * element (i, k) lands at Ap[r*kc*MR + k*MR + i].  Rows past mc are zero. */
static void pack_a(bool ta, const float *A, int lda, int i0, int p0, int mc, int kc,
                   float *Ap)
{
    for (int ir = 0; ir < mc; ir += MR, Ap += (size_t)kc * MR) {
        int mr = min_int(MR, mc - ir);
        for (int k = 0; k < kc; k++) {
            float *a_col = Ap + (size_t)k * MR;
            for (int i = 0; i < mr; i++)
                a_col[i] = gemm_at(A, lda, ta, i0 + ir + i, p0 + k);
            for (int i = mr; i < MR; i++)
                a_col[i] = 0.0f;
        }
    }
}

/* Packs the kc x nc block of op(B) at (p0, j0) into ceil(nc/NR) micro-panels of
 * NR columns, each kc x NR with one row k contiguous: panel s, element (k, j)
 * lands at Bp[s*kc*NR + k*NR + j].  Columns past nc are zero. */
static void pack_b(bool tb, const float *B, int ldb, int p0, int j0, int kc, int nc,
                   float *Bp)
{
    for (int jr = 0; jr < nc; jr += NR, Bp += (size_t)kc * NR) {
        int nr = min_int(NR, nc - jr);
        for (int k = 0; k < kc; k++) {
            float *b_row = Bp + (size_t)k * NR;
            for (int j = 0; j < nr; j++)
                b_row[j] = gemm_at(B, ldb, tb, p0 + k, j0 + jr + j);
            for (int j = nr; j < NR; j++)
                b_row[j] = 0.0f;
        }
    }
}

/* The register tile: acc (MR x NR, row-major) = a_panel (kc x MR) * b_panel
 * (kc x NR), both packed.  The pragma unrolls the i loop before the vectorizer
 * runs; each row's j loop then becomes NR/4 SSE multiply-adds on one broadcast
 * a_k[i], and gcc keeps all of t in registers (12 of the 16 xmm for 6x8).
 * Without it gcc -O2 keeps t in memory and runs at a third of the speed. */
static void gemm_blocked_6x8(int kc, const float *restrict a_panel,
                             const float *restrict b_panel, float *restrict acc)
{
    float t[MR][NR] = {{0}};
    for (int k = 0; k < kc; k++) {
        const float *a_k = a_panel + (size_t)k * MR, *b_k = b_panel + (size_t)k * NR;
#pragma GCC unroll MR
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                t[i][j] += a_k[i] * b_k[j];
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++)
            acc[i * NR + j] = t[i][j];
}

/* C (mr x nr, ldc) = alpha*acc + beta*C, acc being MR x NR; beta == 0: C not read. */
static void store_tile(int mr, int nr, float alpha, const float *acc, float beta,
                       float *C, int ldc)
{
    for (int i = 0; i < mr; i++) {
        float *c_row = C + (size_t)i * ldc;
        const float *acc_row = acc + i * NR;
        if (beta == 0)
            for (int j = 0; j < nr; j++)
                c_row[j] = alpha * acc_row[j];
        else
            for (int j = 0; j < nr; j++)
                c_row[j] = alpha * acc_row[j] + beta * c_row[j];
    }
}

/* gemm_blocked: C = alpha*op(A)*op(B) + beta*C, float, row-major.
 *   A is M x K (K x M if ta), B is K x N (N x K if tb), C is M x N; ld* >= row length.
 *   Loops jc (NC cols) > pc (KC of K) > ic (MC rows) > jr (NR) > ir (MR).  Packs
 *   op(B) KC x NC in 8-col panels and op(A) MC x KC in 6-row panels into one
 *   64-byte aligned scratch buffer allocated per call (sized to the problem);
 *   6x8 tile in a local array that gcc keeps in 12 xmm registers.  Edge tiles:
 *   panels are zero-padded, the tile is computed whole and only its mr x nr part
 *   stored.  beta applies at the first K block, later blocks add (beta == 0: C
 *   not read).  K == 0 or alpha == 0: C = beta*C.  If the scratch cannot be
 *   allocated, the call goes to gemm_naive.
 *   Float sums of at most KC terms per block: matches gemm_naive within
 *   (K+4)*FLT_EPSILON*(|alpha| sum_k |a||b| + |beta c|).  One thread; reentrant. */
void gemm_blocked(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (gemm_trivial(M, N, K, alpha, beta, C, ldc))
        return;
    size_t kc_max = (size_t)min_int(K, KC);
    size_t b_len = kc_max * round_up((size_t)min_int(N, NC), NR);
    size_t a_len = kc_max * round_up((size_t)min_int(M, MC), MR);
    float *scratch = aligned_alloc(ALIGN, round_up((a_len + b_len) * sizeof(float), ALIGN));
    if (!scratch) {
        gemm_naive(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    float *Bp = scratch, *Ap = scratch + b_len;
    _Alignas(ALIGN) float acc[MR * NR];

    for (int jc = 0; jc < N; jc += NC) {
        int nc = min_int(NC, N - jc);
        for (int pc = 0; pc < K; pc += KC) {
            int kc = min_int(KC, K - pc);
            float beta_pc = pc == 0 ? beta : 1.0f;
            pack_b(tb, B, ldb, pc, jc, kc, nc, Bp);
            for (int ic = 0; ic < M; ic += MC) {
                int mc = min_int(MC, M - ic);
                pack_a(ta, A, lda, ic, pc, mc, kc, Ap);
                for (int jr = 0; jr < nc; jr += NR) {
                    const float *b_panel = Bp + (size_t)(jr / NR) * kc * NR;
                    for (int ir = 0; ir < mc; ir += MR) {
                        const float *a_panel = Ap + (size_t)(ir / MR) * kc * MR;
                        gemm_blocked_6x8(kc, a_panel, b_panel, acc);
                        store_tile(min_int(MR, mc - ir), min_int(NR, nc - jr), alpha, acc,
                                   beta_pc, C + (size_t)(ic + ir) * ldc + jc + jr, ldc);
                    }
                }
            }
        }
    }
    free(scratch);
}
