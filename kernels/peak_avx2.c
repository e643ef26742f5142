/* peak_avx2.c: the AVX2 FP32 FMA peak (see peak.h): PEAK_CHAINS ymm accumulators,
 * each updated as acc = acc*a + b, so no FMA waits on another within a round.  a
 * is just below 1, so every chain converges to b/(1-a) and stays a normal float
 * (no denormal slowdowns).  Compiled with -mavx2 -mfma like every *_avx2.c; it
 * is a measurement, not a kernel. */
#include <immintrin.h>

#include "peak.h"

/* Keeps the sums alive, so the compiler cannot drop the chains. */
static volatile float peak_avx2_sink;

_Static_assert(PEAK_CHAINS == 12, "the round below writes out 12 chains");

#define FMA_ROUND(r) r = _mm256_fmadd_ps(r, a, b)

/* One thread: iters rounds of the 12 chains; returns the sum of the accumulators. */
static float peak_avx2_run(long iters)
{
    const __m256 a = _mm256_set1_ps(0.9999f), b = _mm256_set1_ps(1e-4f);
    __m256 r0 = _mm256_set1_ps(0.0f), r1 = _mm256_set1_ps(0.1f), r2 = _mm256_set1_ps(0.2f),
           r3 = _mm256_set1_ps(0.3f), r4 = _mm256_set1_ps(0.4f), r5 = _mm256_set1_ps(0.5f),
           r6 = _mm256_set1_ps(0.6f), r7 = _mm256_set1_ps(0.7f), r8 = _mm256_set1_ps(0.8f),
           r9 = _mm256_set1_ps(0.9f), r10 = _mm256_set1_ps(1.0f), r11 = _mm256_set1_ps(1.1f);
    for (long i = 0; i < iters; i++) {
        FMA_ROUND(r0);
        FMA_ROUND(r1);
        FMA_ROUND(r2);
        FMA_ROUND(r3);
        FMA_ROUND(r4);
        FMA_ROUND(r5);
        FMA_ROUND(r6);
        FMA_ROUND(r7);
        FMA_ROUND(r8);
        FMA_ROUND(r9);
        FMA_ROUND(r10);
        FMA_ROUND(r11);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(r0, r1), _mm256_add_ps(r2, r3)),
                             _mm256_add_ps(_mm256_add_ps(r4, r5), _mm256_add_ps(r6, r7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(r8, r9), _mm256_add_ps(r10, r11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
}

double peak_fma_avx2(long iters, int threads)
{
    const int ran = peak_on_threads(peak_avx2_run, iters, threads, &peak_avx2_sink);
    return 2.0 * 8 * PEAK_CHAINS * (double)iters * ran;
}
