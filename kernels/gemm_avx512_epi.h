/* gemm_avx512_epi.h: the AVX-512 GEMM kernels' epilogue (gemm_avx512.c,
 * gemm_avx512bf16.c): a tile of FP32 accumulators through gemm_pack.h's
 * gemm_epi into C.  Private to those files, which compile it with their AVX-512
 * flags. */
#ifndef GEMM_AVX512_EPI_H
#define GEMM_AVX512_EPI_H

#include <immintrin.h>

#include "gemm_pack.h"

/* The epilogue (gemm_epi) of one vector of C's tile, the cells in mask m; mode
 * (gemm_epi_mode) is a constant after inlining.  alpha or beta of 1 skips a
 * multiply by 1, which is exact, so every mode gives the same values. */
static inline __attribute__((always_inline)) void
gemm_avx512_epi(const int mode, __m512 r, float *c, __mmask16 m, const float *bias,
                const gemm_epi *e)
{
    if (mode == GEMM_EPI_ADD) {
        r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(m, c));
    } else if (mode == GEMM_EPI_ANY) {
        const __m512 alpha = _mm512_set1_ps(e->alpha);
        if (e->beta == 0.0f) {
            if (e->alpha != 1.0f)
                r = _mm512_mul_ps(alpha, r);
        } else {
            __m512 cv = _mm512_maskz_loadu_ps(m, c);
            if (e->beta != 1.0f)
                cv = _mm512_mul_ps(_mm512_set1_ps(e->beta), cv);
            r = e->alpha == 1.0f ? _mm512_add_ps(r, cv) : _mm512_fmadd_ps(alpha, r, cv);
        }
        if (bias)
            r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(m, bias));
        if (e->relu)
            r = _mm512_max_ps(r, _mm512_setzero_ps());
    }
    _mm512_mask_storeu_ps(c, m, r);
}

/* Stores the mr x nv tile acc[][] through the epilogue of the given mode. */
static inline __attribute__((always_inline)) void
gemm_avx512_store(const int mode, const int mr, const int nv, __m512 acc[][4], float *c,
                  ptrdiff_t ldc, __mmask16 last, const gemm_epi *e)
{
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
            gemm_avx512_epi(mode, acc[i][v], c + i * ldc + 16 * v,
                            v == nv - 1 ? last : 0xFFFF, e->bias ? e->bias + 16 * v : NULL, e);
}

/* gemm_avx512_store in the mode e calls for: each mode its own inlined copy. */
static inline __attribute__((always_inline)) void
gemm_avx512_store_tile(const int mr, const int nv, __m512 acc[][4], float *c, ptrdiff_t ldc,
                       __mmask16 last, const gemm_epi *e)
{
    const int mode = gemm_epi_mode(e);
    if (mode == GEMM_EPI_STORE)
        gemm_avx512_store(GEMM_EPI_STORE, mr, nv, acc, c, ldc, last, e);
    else if (mode == GEMM_EPI_ADD)
        gemm_avx512_store(GEMM_EPI_ADD, mr, nv, acc, c, ldc, last, e);
    else
        gemm_avx512_store(GEMM_EPI_ANY, mr, nv, acc, c, ldc, last, e);
}

#endif
