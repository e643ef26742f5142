/* parallel.c: kernels_parallel_for, the OpenMP loop in which the trainer runs its
 * elementwise kernels over all parameters (the optimizer update and the weight
 * average).  Those are memory-bound passes over 5 arrays (2.2 MB for
 * 784-128-64-10, more than one core's L2): split among the cores, each core
 * streams its own part through its own L2.  No SIMD intrinsics (only the MXCSR
 * access of SSE, part of x86-64) and no ISA flags here.  Without OpenMP
 * (NO_OMP=1) it runs on one thread. */
#include <stddef.h>
#include <xmmintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"

/* Ranges start on multiples of 16 floats, 64 bytes: with arrays aligned to 64
 * bytes no two threads write the same cache line. */
enum { PARALLEL_ALIGN = 16 };

void kernels_parallel_for(size_t n, size_t min_per_thread,
                          void (*fn)(size_t lo, size_t hi, void *ctx), void *ctx)
{
#ifdef _OPENMP
    int threads = omp_get_max_threads();
    if (min_per_thread < PARALLEL_ALIGN)
        min_per_thread = PARALLEL_ALIGN;
    if ((size_t)threads > n / min_per_thread)
        threads = (int)(n / min_per_thread);
    if (threads > 1) {
        /* The workers compute in the caller's floating-point mode (denormals
         * flushed or not), as gemm_omp's do, so results do not depend on the
         * thread count. */
        const unsigned csr = _mm_getcsr();
#pragma omp parallel num_threads(threads)
        {
            if (_mm_getcsr() != csr)
                _mm_setcsr(csr);
            size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
            size_t blocks = (n + PARALLEL_ALIGN - 1) / PARALLEL_ALIGN;
            size_t lo = blocks * t / nt * PARALLEL_ALIGN, hi = blocks * (t + 1) / nt * PARALLEL_ALIGN;
            if (hi > n)
                hi = n;
            if (lo < hi)
                fn(lo, hi, ctx);
        }
        return;
    }
#else
    (void)min_per_thread;
#endif
    fn(0, n, ctx);
}
