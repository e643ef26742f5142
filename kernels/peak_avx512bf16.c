/* peak_avx512bf16.c: the AVX512-BF16 dot-product peak (see peak.h): PEAK_CHAINS zmm
 * FP32 accumulators, each updated as acc += a0*b0 + a1*b1 per lane by vdpbf16ps
 * (4 floating-point operations per lane), so no instruction waits on another
 * within a round.  The products are 2^-20 each: over the 2^16 rounds of a peak
 * call a chain grows by 1/8 and stays a normal float.  Compiled with the AVX512-BF16
 * flags like every *_avx512bf16.c; it is a measurement, not a kernel. */
#include <immintrin.h>

#include "peak.h"

/* Keeps the sums alive, so the compiler cannot drop the chains. */
static volatile float peak_bf16_sink;

_Static_assert(PEAK_CHAINS == 12, "the round below writes out 12 chains");

#define DP_ROUND(r) r = _mm512_dpbf16_ps(r, a, b)

/* One thread: iters rounds of the 12 chains; returns the sum of the accumulators. */
static float peak_bf16_run(long iters)
{
    const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0x1p-10f), _mm512_set1_ps(0x1p-10f));
    const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0x1p-10f), _mm512_set1_ps(0x1p-10f));
    __m512 r0 = _mm512_set1_ps(0.0f), r1 = _mm512_set1_ps(0.1f), r2 = _mm512_set1_ps(0.2f),
           r3 = _mm512_set1_ps(0.3f), r4 = _mm512_set1_ps(0.4f), r5 = _mm512_set1_ps(0.5f),
           r6 = _mm512_set1_ps(0.6f), r7 = _mm512_set1_ps(0.7f), r8 = _mm512_set1_ps(0.8f),
           r9 = _mm512_set1_ps(0.9f), r10 = _mm512_set1_ps(1.0f), r11 = _mm512_set1_ps(1.1f);
    for (long i = 0; i < iters; i++) {
        DP_ROUND(r0);
        DP_ROUND(r1);
        DP_ROUND(r2);
        DP_ROUND(r3);
        DP_ROUND(r4);
        DP_ROUND(r5);
        DP_ROUND(r6);
        DP_ROUND(r7);
        DP_ROUND(r8);
        DP_ROUND(r9);
        DP_ROUND(r10);
        DP_ROUND(r11);
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r0, r1), _mm512_add_ps(r2, r3)),
                             _mm512_add_ps(_mm512_add_ps(r4, r5), _mm512_add_ps(r6, r7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(r8, r9), _mm512_add_ps(r10, r11)));
    return _mm512_reduce_add_ps(s);
}

double peak_dp_bf16(long iters, int threads)
{
    const int ran = peak_on_threads(peak_bf16_run, iters, threads, &peak_bf16_sink);
    return 4.0 * 16 * PEAK_CHAINS * (double)iters * ran;
}
