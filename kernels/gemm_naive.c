/* gemm_naive.c: the reference GEMM, the one every other gemm entry is tested
 * against and the fallback when a kernel cannot get scratch memory.  A plain
 * triple loop with each dot product in double; written to be obviously right,
 * not fast (no blocking, no packing, no vectorization, one thread). */
#include "impl.h"

/* gemm_naive: C = alpha*op(A)*op(B) + beta*C, float, row-major.
 *   A is M x K (K x M if ta), B is K x N (N x K if tb), C is M x N; ld* >= row length.
 *   Each C[i][j] is one dot product over k in double (products of floats are exact
 *   there), then alpha*dot + beta*C[i][j] in double, rounded to float once: within
 *   half an ulp of the exact result plus K*DBL_EPSILON*(sum_k |a||b|).
 *   beta == 0: C not read.  K == 0 or alpha == 0: C = beta*C, A and B not read.
 *   Only the M x N block of C is written.  One thread; reentrant. */
void gemm_naive(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (gemm_trivial(M, N, K, alpha, beta, C, ldc))
        return;
    for (int i = 0; i < M; i++) {
        float *c_row = C + (size_t)i * ldc;
        for (int j = 0; j < N; j++) {
            double dot = 0.0;
            for (int k = 0; k < K; k++)
                dot += (double)gemm_at(A, lda, ta, i, k) * gemm_at(B, ldb, tb, k, j);
            double c = (double)alpha * dot;
            if (beta != 0)
                c += (double)beta * c_row[j];
            c_row[j] = (float)c;
        }
    }
}
