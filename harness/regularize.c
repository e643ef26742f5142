/* regularize.c: see regularize.h.  Plain loops over rows that gcc vectorizes
 * across the columns; they run only when their key is on. */
#include "regularize.h"

#include <math.h>
#include <stddef.h>

/* splitmix64's finalizer: every bit of x moves every bit of the result. */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t dropout_key(uint64_t seed, long t, int l) {
    return mix64(mix64(seed ^ 0xd50f0e7ull) + (uint64_t)t * 0x9e3779b97f4a7c15ull + (uint64_t)l);
}

/* The mask's 32 random bits of element i. */
static inline uint32_t dropout_bits(uint64_t key, uint64_t i) {
    return (uint32_t)(mix64(key + i * 0x9e3779b97f4a7c15ull) >> 32);
}

void dropout_forward(float *Y, int B, int N, int j0, int j1, uint64_t key, float rate) {
    const uint32_t cut = (uint32_t)((double)rate * 4294967296.0); /* dropped below it */
    const float scale = 1.0f / (1.0f - rate);
    for (int b = 0; b < B; b++) {
        float *y = Y + (size_t)b * (size_t)N;
        const uint64_t row = (uint64_t)b * (uint64_t)N;
        for (int j = j0; j < j1; j++) y[j] = dropout_bits(key, row + (uint64_t)j) < cut ? 0.0f : y[j] * scale;
    }
}

void dropout_backward(float *dY, int B, int ld, int j0, int j1, float rate) {
    const float scale = 1.0f / (1.0f - rate);
    for (int b = 0; b < B; b++) {
        float *d = dY + (size_t)b * (size_t)ld;
        for (int j = j0; j < j1; j++) d[j] *= scale;
    }
}

void max_norm_clip(float *W, int K, int N, int j0, int j1, float max_norm) {
    enum { CHUNK = 256 }; /* columns at a time: their sums stay in L1 */
    float sq[CHUNK];
    for (int c0 = j0; c0 < j1; c0 += CHUNK) {
        const int n = j1 - c0 < CHUNK ? j1 - c0 : CHUNK;
        for (int j = 0; j < n; j++) sq[j] = 0;
        for (int k = 0; k < K; k++) {
            const float *w = W + (size_t)k * (size_t)N + c0;
            for (int j = 0; j < n; j++) sq[j] += w[j] * w[j];
        }
        for (int j = 0; j < n; j++) {
            const float norm = sqrtf(sq[j]);
            sq[j] = norm > max_norm ? max_norm / norm : 1.0f;
        }
        for (int k = 0; k < K; k++) {
            float *w = W + (size_t)k * (size_t)N + c0;
            for (int j = 0; j < n; j++) w[j] *= sq[j];
        }
    }
}
