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

void kernels_stream_pass(stream_op op, float *a, float *b, float *c, size_t n, int threads)
{
    if (threads < 1)
        threads = 1;
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
        switch (op) {
        case STREAM_FIRST_TOUCH:
            for (size_t i = lo; i < hi; i++)
                a[i] = 0.0f, b[i] = 1.0f, c[i] = 2.0f;
            break;
        case STREAM_COPY:
            for (size_t i = lo; i < hi; i++)
                a[i] = b[i];
            break;
        case STREAM_TRIAD:
            for (size_t i = lo; i < hi; i++)
                a[i] = b[i] + 3.0f * c[i];
            break;
        }
    }
}

double kernels_stream_bytes(stream_op op, size_t n)
{
    /* STREAM's count: the arrays read and written, no write-allocate reads */
    return (op == STREAM_TRIAD ? 3.0 : 2.0) * (double)n * sizeof(float);
}

double kernels_stream(stream_op op, size_t n, int threads, int reps)
{
    float *a = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
    float *b = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
    float *c = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
    double best = 0;
    if (a && b && c) {
        kernels_stream_pass(STREAM_FIRST_TOUCH, a, b, c, n, threads);
        double seconds = 0;
        for (int r = 0; r < reps; r++) {
            double t0 = stream_now();
            kernels_stream_pass(op, a, b, c, n, threads);
            double dt = stream_now() - t0;
            if (seconds == 0 || dt < seconds)
                seconds = dt;
        }
        best = kernels_stream_bytes(op, n) / seconds;
    }
    free(a);
    free(b);
    free(c);
    return best;
}
