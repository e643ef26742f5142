/* impl.h: private to kernels/ and tests/: the functions the tables in registry.c
 * point at, the blocking constants of gemm_blocked, and the small helpers every
 * GEMM shares (op() indexing, the degenerate cases).  harness/ includes kernels.h
 * only and never calls a kernel by its own name. */
#ifndef KERNELS_IMPL_H
#define KERNELS_IMPL_H

#include <stddef.h>

#include "kernels.h"

/* The CPUs this process may run on, read before any thread was bound
 * (parallel.c); kernels_set_threads(0) asks for this many. */
int kernels_all_cores(void);

/* GEMM kernels; the contract is gemm_fn's in kernels.h, the details above each. */
void gemm_naive(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                int lda, const float *B, int ldb, float beta, float *C, int ldc);
void gemm_blocked(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc);
void gemm_avx2(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
               int lda, const float *B, int ldb, float beta, float *C, int ldc);
void gemm_avx512(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc);
void gemm_omp(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);
void gemm_avx512bf16(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc);
void gemm_omp_bf16(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* Their fused forward layers (gemm_bias_act_fn in kernels.h). */
void gemm_avx2_bias_act(int M, int N, int K, const float *A, int lda, const float *B,
                        int ldb, const float *bias, bool relu, float *C, int ldc);
void gemm_avx512_bias_act(int M, int N, int K, const float *A, int lda, const float *B,
                          int ldb, const float *bias, bool relu, float *C, int ldc);
void gemm_omp_bias_act(int M, int N, int K, const float *A, int lda, const float *B,
                       int ldb, const float *bias, bool relu, float *C, int ldc);
void gemm_avx512bf16_bias_act(int M, int N, int K, const float *A, int lda, const float *B,
                              int ldb, const float *bias, bool relu, float *C, int ldc);
void gemm_omp_bf16_bias_act(int M, int N, int K, const float *A, int lda, const float *B,
                            int ldb, const float *bias, bool relu, float *C, int ldc);
void gemm_openblas(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* dst[c*dstride + r] = src[r*ld + c] for r < rows, c < cols: the transposing
 * pack in 8x8 AVX2 register transposes (gemm_avx2.c), which the AVX-512 GEMM
 * also takes as its gemm_arch.pack_t (gemm_pack.h). */
void gemm_avx2_pack_t(int rows, int cols, const float *src, ptrdiff_t ld, float *dst,
                      ptrdiff_t dstride);

/* gemm_blocked's register tile (MR x NR) and cache blocks (MC x KC of op(A), KC x NC
 * of op(B)); MC is a multiple of MR and NC of NR.  The tests size shapes around them. */
#define GEMM_BLOCKED_MR 6
#define GEMM_BLOCKED_NR 8
#define GEMM_BLOCKED_MC 120
#define GEMM_BLOCKED_KC 256
#define GEMM_BLOCKED_NC 2048

/* An activation set `impl` is ten functions named <field>_<impl>, one per
 * function pointer of act_kernel; ACT_DECLARE(impl) declares them all, and
 * registry.c's ACT_ROW(impl, ...) makes the table row from the same names. */
#define ACT_DECLARE(impl)                                                              \
    void bias_act_##impl(int B, int N, const float *bias, bool relu, float *Y, int ldy); \
    void relu_bwd_##impl(size_t n, const float *Y, float *dY);                         \
    void bias_grad_##impl(int B, int N, const float *dY, int ldy, float *db);          \
    double softmax_xent_##impl(int B, int C, const float *Z, const uint8_t *label,     \
                               float *P, uint8_t *pred);                               \
    void xent_bwd_##impl(int B, int C, const float *P, const uint8_t *label,           \
                         float scale, float *dZ);                                      \
    void sgd_##impl(size_t n, float *p, const float *g, float *vel, float lr, float mu,   \
                    float wd);                                                         \
    void adam_##impl(size_t n, float *p, const float *g, float *m, float *v,           \
                     float *avg, const adam_params *a);                                \
    void ema_##impl(size_t n, float *avg, const float *p, float mu);                   \
    void pixels_##impl(size_t n, const uint8_t *src, float *dst);                      \
    void warp_##impl(const warp_params *w, const float *src, float *out)

ACT_DECLARE(scalar);
ACT_DECLARE(avx2);
ACT_DECLARE(avx512);

/* Element (r, c) of op(X): X is row-major with leading dimension ld and is read
 * transposed when t, so gemm_at(A, lda, ta, i, k) is op(A)[i][k] and
 * gemm_at(B, ldb, tb, k, j) is op(B)[k][j]. */
static inline float gemm_at(const float *X, int ld, bool t, int r, int c)
{
    return t ? X[(size_t)c * ld + r] : X[(size_t)r * ld + c];
}

/* The cases every GEMM kernel hands off first: M or N == 0 (nothing to do) and
 * K == 0 or alpha == 0, where C = beta*C without reading A or B (BLAS semantics;
 * beta == 0 writes zeros, beta == 1 leaves C as it is).  Returns true when it has
 * done the whole call. */
static inline bool gemm_trivial(int M, int N, int K, float alpha, float beta, float *C,
                                int ldc)
{
    if (M == 0 || N == 0)
        return true;
    if (K > 0 && alpha != 0)
        return false;
    if (beta == 1)
        return true;
    for (int i = 0; i < M; i++) {
        float *c_row = C + (size_t)i * ldc;
        for (int j = 0; j < N; j++)
            c_row[j] = beta == 0 ? 0.0f : beta * c_row[j];
    }
    return true;
}

#endif
