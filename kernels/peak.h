/* peak.h: this CPU's FP32 FMA peak, for the benchmark's `peak/...` rows and the
 * "% of peak" column of its report.  Each function runs independent FMA chains
 * held in registers (no loads, no stores), so it measures the FMA ports and
 * nothing else; it is not a kernel and no table lists it.  The caller checks the
 * CPU first (CPU_AVX2|CPU_FMA, CPU_AVX512F in kernels.h): on a CPU without the
 * ISA these functions fault. */
#ifndef KERNELS_PEAK_H
#define KERNELS_PEAK_H

/* Runs `iters` rounds of PEAK_CHAINS independent FMAs on each of `threads`
 * OpenMP threads (threads <= 1, or a build without OpenMP: the calling thread
 * only) and returns the floating-point operations done: 2 per lane per FMA,
 * summed over the threads that really ran. */
double peak_fma_avx2(long iters, int threads);   /* 8-lane ymm; needs AVX2+FMA */
double peak_fma_avx512(long iters, int threads); /* 16-lane zmm; needs AVX-512F */

/* Independent accumulator chains per thread: enough to cover FMA latency (4)
 * times FMA ports (2) on the x86 cores in use, with room to spare. */
#define PEAK_CHAINS 12

#endif
