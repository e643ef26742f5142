/* peak.h: this CPU's FP32 FMA peak (and its bf16 dot-product peak), for the
 * benchmark's `peak/...` rows and the "% of peak" column of its report.  Each
 * function runs independent FMA chains held in registers (no loads, no stores), so
 * it measures the FMA ports and nothing else; it is not a kernel and no table
 * lists it.  The caller checks the CPU first (CPU_AVX2|CPU_FMA, CPU_AVX512F,
 * CPU_AVX512BF16 in kernels.h): on a CPU without the ISA these functions fault. */
#ifndef KERNELS_PEAK_H
#define KERNELS_PEAK_H

/* Runs `iters` rounds of PEAK_CHAINS independent FMAs on each of `threads`
 * OpenMP threads (threads <= 1, or a build without OpenMP: the calling thread
 * only) and returns the floating-point operations done: 2 per lane per FMA,
 * summed over the threads that really ran. */
double peak_fma_avx2(long iters, int threads);   /* 8-lane ymm; needs AVX2+FMA */
double peak_fma_avx512(long iters, int threads); /* 16-lane zmm; needs AVX-512F */
/* The same with vdpbf16ps (two bf16 products and their sums into each FP32 lane:
 * 4 operations per lane); needs AVX512-BF16. */
double peak_dp_bf16(long iters, int threads);

/* Independent accumulator chains per thread: enough to cover FMA latency (4)
 * times FMA ports (2) on the x86 cores in use, with room to spare. */
#define PEAK_CHAINS 12

/* Runs run(iters) once on each of `threads` OpenMP threads (threads <= 1, or a
 * build without OpenMP: the calling thread only), stores the sum of what they
 * return in *sink (so the compiler cannot drop the chains) and returns how many
 * threads ran.  Shared by the peak_*.c files, each compiling it with its ISA. */
static inline int peak_on_threads(float (*run)(long), long iters, int threads,
                                  volatile float *sink)
{
    float sum = 0.0f;
    int ran = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads > 1 ? threads : 1) reduction(+ : sum, ran)
#else
    (void)threads;
#endif
    {
        sum += run(iters);
        ran += 1;
    }
    *sink = sum;
    return ran;
}

#endif
