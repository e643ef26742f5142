/* parallel.c: the trainer's threads.  kernels_parallel_for, the OpenMP loop in
 * which elementwise kernels run over all parameters (the optimizer update and
 * the weight average) outside a training step, and kernels_team_run, the one
 * parallel region of a training step (kernels.h).  No SIMD intrinsics (only the
 * MXCSR access of SSE, part of x86-64) and no ISA flags here.  Without OpenMP
 * (NO_OMP=1) both run on one thread. */
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <unistd.h>
#include <xmmintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "impl.h"

/* Ranges start on multiples of 16 floats, 64 bytes: with arrays aligned to 64
 * bytes no two threads write the same cache line. */
enum { PARALLEL_ALIGN = 16 };

void kernels_parallel_for(size_t n, size_t min_per_thread,
                          void (*fn)(size_t lo, size_t hi, void *ctx), void *ctx)
{
#ifdef _OPENMP
    int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
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

#ifdef _OPENMP
/* The CPUs this process may run on, read once before any thread of the team is
 * bound (binding the caller narrows what sched_getaffinity reports for it). */
static cpu_set_t team_cpus;
static int team_ncpus;
static pthread_once_t team_cpus_once = PTHREAD_ONCE_INIT;

static void team_read_cpus(void)
{
    if (sched_getaffinity(0, sizeof team_cpus, &team_cpus) == 0)
        team_ncpus = CPU_COUNT(&team_cpus);
}

#endif

/* Every CPU this process may run on, as it started: OpenMP's count
 * (omp_get_num_procs) follows the caller's affinity, which team_bind narrows to
 * one CPU, and kernels_set_threads(0) after a team would then ask for 1 thread.
 * Without OpenMP, the online CPUs. */
int kernels_all_cores(void)
{
#ifdef _OPENMP
    pthread_once(&team_cpus_once, team_read_cpus);
    return team_ncpus > 0 ? team_ncpus : omp_get_num_procs();
#else
    long procs = sysconf(_SC_NPROCESSORS_ONLN);
    return procs > 0 ? (int)procs : 1;
#endif
}

#ifdef _OPENMP
/* Binds the calling thread, thread t of nt, to the t-th allowed CPU, once per
 * thread (OpenMP keeps the same threads for teams of the same size).  Only when
 * the team fills the allowed CPUs exactly: a sweep running several jobs at once
 * gives each a share of the cores, and two jobs bound to the same first cores
 * would share them. */
static void team_bind(int t, int nt)
{
    static _Thread_local int bound_to = -1;
    if (nt != team_ncpus || bound_to == t)
        return;
    for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &team_cpus) || seen++ != t)
            continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0)
            bound_to = t;
        return;
    }
}
#endif

void kernels_team_run(int nt, void (*fn)(int t, int nt, void *ctx), void *ctx)
{
#ifdef _OPENMP
    if (nt > 1) {
        pthread_once(&team_cpus_once, team_read_cpus);
        const unsigned csr = _mm_getcsr();
#pragma omp parallel num_threads(nt)
        {
            if (_mm_getcsr() != csr)
                _mm_setcsr(csr);
            const int t = omp_get_thread_num(), n = omp_get_num_threads();
            team_bind(t, n);
            fn(t, n, ctx);
        }
        return;
    }
    /* a team of one: the kernels it calls stay on this thread too */
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    fn(0, 1, ctx);
    omp_set_num_threads(threads);
#else
    (void)nt;
    fn(0, 1, ctx);
#endif
}

void kernels_team_sync(void)
{
#ifdef _OPENMP
#pragma omp barrier
#endif
}
