/* stream.c: the memory bandwidth the trainer's memory-bound phases are measured
 * against (`./experiment train --profile`) and the benchmark's mem/ rows: John
 * McCalpin's STREAM copy (a = b) and triad (a = b + s*c) over arrays of n
 * floats, each thread streaming its own contiguous part, which it also wrote
 * first (so its pages and lines start where it runs).  Plain C: gcc vectorizes
 * the loops for x86-64's SSE2, enough to saturate memory.  Without OpenMP
 * (NO_OMP=1) it runs on one thread. */
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"

static double stream_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Thread t's part [lo, hi) of n, in 16-float (64-byte) runs. */
static void stream_part(size_t n, int t, int nt, size_t *lo, size_t *hi)
{
    size_t runs = (n + 15) / 16;
    *lo = runs * (size_t)t / (size_t)nt * 16;
    *hi = runs * (size_t)(t + 1) / (size_t)nt * 16;
    if (*hi > n)
        *hi = n;
}

double kernels_stream(bool triad, size_t n, int threads, int reps)
{
    float *a = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
    float *b = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
    float *c = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
    double best = 0;
    if (a && b && c) {
        if (threads < 1)
            threads = 1;
        double seconds = 0;
        for (int r = -1; r < reps; r++) { /* r = -1: the first touch */
            double t0 = stream_now();
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
            {
#ifdef _OPENMP
                const int t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
                const int t = 0, nt = 1;
#endif
                size_t lo, hi;
                stream_part(n, t, nt, &lo, &hi);
                if (r < 0) {
                    for (size_t i = lo; i < hi; i++)
                        a[i] = 0.0f, b[i] = 1.0f, c[i] = 2.0f;
                } else if (triad) {
                    for (size_t i = lo; i < hi; i++)
                        a[i] = b[i] + 3.0f * c[i];
                } else {
                    for (size_t i = lo; i < hi; i++)
                        a[i] = b[i];
                }
            }
            double dt = stream_now() - t0;
            if (r >= 0 && (seconds == 0 || dt < seconds))
                seconds = dt;
        }
        /* STREAM's count: the arrays read and written, no write-allocate reads */
        best = (triad ? 3.0 : 2.0) * (double)n * sizeof(float) / seconds;
    }
    free(a);
    free(b);
    free(c);
    return best;
}
