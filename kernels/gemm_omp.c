/* gemm_omp.c: the OpenMP GEMM.  It partitions C (never K) into one block per
 * thread and runs the fastest single-threaded kernel this CPU supports on each
 * block: gemm_avx512, else gemm_avx2, else gemm_naive, chosen by a CPU check and
 * called through a function pointer.  No SIMD intrinsics (only the MXCSR access
 * of SSE, part of x86-64) and no ISA flags here.
 * Because those kernels compute every element of C with the same FMA chain
 * whatever sub-block it falls in, the result is bit-identical for every thread
 * count.  Without OpenMP (NO_OMP=1) it runs on one thread. */
#include <stdatomic.h>
#include <stddef.h>
#include <xmmintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "impl.h"

/* Below this many multiply-adds (M*N*K) the call stays on one thread: waking the
 * team and splitting the tiles costs more than it saves.  `make bench` measures
 * the crossover (the small/ family: this code split on every thread against one
 * thread, reported as "omp threshold").  On 2 cores of an AMD Zen 4, two threads
 * lost at 65536 (32x64x32) and won from 110592 (48^3); on 2 cores of an Intel
 * Xeon with AMX they lost up to 56^3 = 175616, tied at 64^3 = 262144 and won
 * from 80^3 = 512000 (1.27x).  The threshold sits between the two: on the Xeon
 * a split at 175616 ran at half the speed of one thread, while on Zen 4 staying
 * on one thread below 400000 forgoes at most a third. */
#define GEMM_OMP_MIN_WORK 400000.0

static _Atomic double gemm_omp_min_work = GEMM_OMP_MIN_WORK;

double kernels_omp_min_work(double macs)
{
    return macs >= 0 ? atomic_exchange(&gemm_omp_min_work, macs) : gemm_omp_min_work;
}

/* Time to transpose one element of B into a packed panel, in multiply-adds of
 * the inner kernel (measured: 8x8 AVX2 transposes ~0.3 cycle/element against 16
 * multiply-adds/cycle).  With it, gemm_omp splits the columns of a tb product
 * with few rows (32x784x128: 1.6x -> 1.9x on 2 threads) instead of having both
 * threads pack all of B. */
#define GEMM_OMP_PACK_COST 5

/* The single-threaded kernel the blocks run on, its register tile (the partition
 * unit, so blocks do not split tiles) and its fused forward epilogue (NULL: run
 * gemm and add bias and ReLU in a second pass). */
typedef struct {
    gemm_fn run;
    gemm_bias_act_fn bias_act;
    int mr, nr;
} gemm_omp_inner;

static gemm_omp_inner gemm_omp_pick(void)
{
    const unsigned f = cpu_features();
    const unsigned avx512 = CPU_AVX512F | CPU_AVX512VL | CPU_AVX512BW | CPU_AVX512DQ;
    if ((f & avx512) == avx512 && (f & (CPU_AVX2 | CPU_FMA)) == (CPU_AVX2 | CPU_FMA))
        return (gemm_omp_inner){gemm_avx512, gemm_avx512_bias_act, 8, 48};
    if ((f & (CPU_AVX2 | CPU_FMA)) == (CPU_AVX2 | CPU_FMA))
        return (gemm_omp_inner){gemm_avx2, gemm_avx2_bias_act, 6, 16};
    return (gemm_omp_inner){gemm_naive, NULL, 1, 1};
}

/* omp-bf16's inner kernel (registry.c checks the CPU before either is called). */
static const gemm_omp_inner gemm_omp_bf16_inner = {gemm_avx512bf16, gemm_avx512bf16_bias_act,
                                                   8, 48};

/* A block of C for one thread: rows [i0, i1) and columns [j0, j1). */
typedef struct {
    int i0, i1, j0, j1;
} gemm_omp_block;

#ifdef _OPENMP
/* Splits the M x N tiles of C into a pm x pn grid, pm*pn = nt, picking the grid
 * whose largest block costs least: its multiply-adds per k (tiles * mr * nr)
 * plus, when tb, transposing its columns of B (each thread packs its own, about
 * GEMM_OMP_PACK_COST multiply-adds' time per element).  Ties go to more row
 * splits, which keep each block's rows of B contiguous.  Returns block t of nt. */
static gemm_omp_block gemm_omp_split(int M, int N, int mr, int nr, bool tb, int nt, int t)
{
    const int tm = (M + mr - 1) / mr, tn = (N + nr - 1) / nr;
    int pm = 1;
    long best = -1;
    for (int p = 1; p <= nt; p++) {
        if (nt % p)
            continue;
        const long rows = (long)(tm + p - 1) / p * mr;
        const long cols = (long)(tn + nt / p - 1) / (nt / p) * nr;
        const long cost = rows * cols + (tb ? GEMM_OMP_PACK_COST * cols : 0);
        if (best < 0 || cost <= best)
            best = cost, pm = p;
    }
    const int pn = nt / pm, ti = t / pn, tj = t % pn;
    gemm_omp_block blk;
    blk.i0 = (int)((long)tm * ti / pm) * mr;
    blk.i1 = (int)((long)tm * (ti + 1) / pm) * mr;
    blk.j0 = (int)((long)tn * tj / pn) * nr;
    blk.j1 = (int)((long)tn * (tj + 1) / pn) * nr;
    blk.i1 = blk.i1 < M ? blk.i1 : M;
    blk.j1 = blk.j1 < N ? blk.j1 : N;
    return blk;
}
#endif

/* Runs the inner kernel on the caller's block of C (all of it on one thread):
 * plain GEMM, or the fused forward pass when bias_act. */
static void gemm_omp_block_run(const gemm_omp_inner *in, bool bias_act, gemm_omp_block b,
                               bool ta, bool tb, int K, float alpha, const float *A,
                               int lda, const float *B, int ldb, float beta,
                               const float *bias, bool relu, float *C, int ldc)
{
    if (b.i0 >= b.i1 || b.j0 >= b.j1)
        return;
    A = ta ? A + b.i0 : A + (ptrdiff_t)b.i0 * lda;
    B = tb ? B + (ptrdiff_t)b.j0 * ldb : B + b.j0;
    C += (ptrdiff_t)b.i0 * ldc + b.j0;
    if (bias_act)
        in->bias_act(b.i1 - b.i0, b.j1 - b.j0, K, A, lda, B, ldb, bias + b.j0, relu, C,
                     ldc);
    else
        in->run(ta, tb, b.i1 - b.i0, b.j1 - b.j0, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* Splits C among the threads (one thread below GEMM_OMP_MIN_WORK) and runs. */
static void gemm_omp_parallel(const gemm_omp_inner *in, bool bias_act, bool ta, bool tb,
                              int M, int N, int K, float alpha, const float *A, int lda,
                              const float *B, int ldb, float beta, const float *bias,
                              bool relu, float *C, int ldc)
{
#ifdef _OPENMP
    if ((double)M * N * K >= gemm_omp_min_work && omp_get_max_threads() > 1 &&
        !omp_in_parallel()) {
        /* The workers compute in the caller's floating-point mode (denormals
         * flushed or not: kernels_flush_denormals), whenever they were created,
         * so that the result does not depend on the thread count. */
        const unsigned csr = _mm_getcsr();
#pragma omp parallel
        {
            if (_mm_getcsr() != csr)
                _mm_setcsr(csr);
            gemm_omp_block b = gemm_omp_split(M, N, in->mr, in->nr, tb,
                                              omp_get_num_threads(), omp_get_thread_num());
            gemm_omp_block_run(in, bias_act, b, ta, tb, K, alpha, A, lda, B, ldb, beta,
                               bias, relu, C, ldc);
        }
        return;
    }
#endif
    gemm_omp_block_run(in, bias_act, (gemm_omp_block){0, M, 0, N}, ta, tb, K, alpha, A,
                       lda, B, ldb, beta, bias, relu, C, ldc);
}

/* gemm_omp: C = alpha*op(A)*op(B) + beta*C, float, row-major (kernels.h).
 *   C is split into omp_get_max_threads() blocks along whole register tiles of
 *   the inner kernel (gemm_omp_split); each thread runs that kernel on its block,
 *   with its own thread-local packing scratch.  K is never split, so every
 *   element's FMA order, and so the result, is the same for any thread count.
 *   One thread below GEMM_OMP_MIN_WORK multiply-adds, and inside a parallel
 *   region (the trainer's team, which has split the work itself).  beta == 0: C
 *   not read.
 *   Accuracy and ISA as the inner kernel (gemm_avx512 / gemm_avx2 / gemm_naive). */
void gemm_omp(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc)
{
    const gemm_omp_inner in = gemm_omp_pick();
    gemm_omp_parallel(&in, false, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, NULL, false,
                      C, ldc);
}

/* gemm_omp_bf16: gemm_omp over gemm_avx512bf16, so bit-identical to it for any
 *   thread count and within its bound (gemm_error_bound). */
void gemm_omp_bf16(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc)
{
    gemm_omp_parallel(&gemm_omp_bf16_inner, false, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta,
                      NULL, false, C, ldc);
}

/* gemm_omp_bf16_bias_act: gemm_omp_bias_act over gemm_avx512bf16's fused epilogue. */
void gemm_omp_bf16_bias_act(int M, int N, int K, const float *A, int lda, const float *B,
                            int ldb, const float *bias, bool relu, float *C, int ldc)
{
    gemm_omp_parallel(&gemm_omp_bf16_inner, true, false, false, M, N, K, 1.0f, A, lda, B, ldb,
                      0.0f, bias, relu, C, ldc);
}

/* gemm_omp_bias_act: C = A*B + bias (broadcast over rows), then max(C, 0) when
 * relu; no transposes, C write-only.  Partitioned like gemm_omp over the inner
 * kernel's fused epilogue, so the values equal that kernel's for any thread
 * count; without one (no AVX2), gemm_omp and then bias_act_scalar. */
void gemm_omp_bias_act(int M, int N, int K, const float *A, int lda, const float *B,
                       int ldb, const float *bias, bool relu, float *C, int ldc)
{
    const gemm_omp_inner in = gemm_omp_pick();
    if (in.bias_act) {
        gemm_omp_parallel(&in, true, false, false, M, N, K, 1.0f, A, lda, B, ldb, 0.0f,
                          bias, relu, C, ldc);
        return;
    }
    gemm_omp_parallel(&in, false, false, false, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, NULL,
                      false, C, ldc);
    bias_act_scalar(M, N, bias, relu, C, ldc);
}
