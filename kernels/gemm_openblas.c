/* gemm_openblas.c: the `openblas` entry, an adapter from gemm_fn to cblas_sgemm
 * (row-major).  It is the external yardstick for the benchmark, listed but never
 * picked by `auto`; it is not our code and not tuned here.  The adapter only makes
 * the library keep our contract where BLAS would reject or differ. */
#include <cblas.h>

#include "impl.h"

/* gemm_openblas: C = alpha*op(A)*op(B) + beta*C through cblas_sgemm(CblasRowMajor).
 *   A is M x K (K x M if ta), B is K x N (N x K if tb), C is M x N; ld* >= row length.
 *   M, N or K == 0 and alpha == 0 are done here by gemm_trivial: BLAS rejects
 *   ld* < 1 (which K == 0 allows) and reports the error on stderr.
 *   beta == 0: OpenBLAS (0.3.21, Debian 12) overwrites C without reading it, so
 *   NaN in C does not leak (checked for every ta/tb, sizes 1..257, and by
 *   tests/test_gemm.c on every run); no workaround needed here.
 *   Threads: OpenBLAS's own pool, set here to kernels_set_threads()'s count when
 *   it differs (so OpenBLAS's workers start only when the kernel runs). */
void gemm_openblas(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (gemm_trivial(M, N, K, alpha, beta, C, ldc))
        return;
    const int threads = kernels_max_threads();
    if (openblas_get_num_threads() != threads)
        openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
