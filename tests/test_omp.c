/* test_omp.c: the promise of the `omp` and `omp-bf16` GEMMs: they split C among
 * threads, never K, so the result is bit-identical for 1, 2, 3 and 4 threads, for gemm and for
 * the fused bias + ReLU layer; and kernels_parallel_for, the trainer's loop for
 * elementwise kernels: exact coverage, aligned ranges, the caller's denormal
 * mode; and STREAM's passes (stream.c).  (Without OpenMP every count runs one
 * thread and the tests still hold.) */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "util.h"

typedef struct {
    int M, N, K;
    bool ta, tb;
} omp_shape;

static const omp_shape shapes[] = {
    {32, 128, 784, false, false},  {784, 128, 32, true, false},  {32, 784, 128, false, true},
    {256, 1024, 784, false, false}, {1024, 1024, 256, true, false}, {256, 1024, 1024, false, true},
    {1, 1, 1, false, false},       {7, 13, 31, true, true},       {257, 255, 300, false, false},
    {97, 61, 500, true, true},     {512, 512, 512, false, false},
    /* narrow C (avx512bf16's row-sum path), and a wide one whose last column
     * block is as narrow */
    {256, 10, 1024, false, false}, {300, 10, 777, false, true},   {512, 112, 512, false, false},
};

static void fill(float *x, size_t n, rng_state *r) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(2 * rng_uniform(r) - 1);
}

/* The threaded entry k gives the same bits on 1 to 4 threads. */
static void check_bit_identical(const gemm_kernel *k) {
    rng_state r;
    rng_seed(&r, 77);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        omp_shape sh = shapes[s];
        size_t na = (size_t)sh.M * sh.K, nb = (size_t)sh.K * sh.N, nc = (size_t)sh.M * sh.N;
        float *A = xmalloc_aligned(na * 4), *B = xmalloc_aligned(nb * 4), *bias = xmalloc_aligned((size_t)sh.N * 4);
        float *C1 = xmalloc_aligned(nc * 4), *C = xmalloc_aligned(nc * 4);
        fill(A, na, &r);
        fill(B, nb, &r);
        fill(bias, (size_t)sh.N, &r);
        fill(C1, nc, &r);
        memcpy(C, C1, nc * 4);
        int lda = sh.ta ? sh.M : sh.K, ldb = sh.tb ? sh.K : sh.N;
        float *start = xmalloc_aligned(nc * 4);
        memcpy(start, C1, nc * 4);
        kernels_set_threads(1);
        k->run(sh.ta, sh.tb, sh.M, sh.N, sh.K, 0.75f, A, lda, B, ldb, 0.5f, C1, sh.N);
        for (int t = 2; t <= 4; t++) {
            memcpy(C, start, nc * 4);
            kernels_set_threads(t);
            k->run(sh.ta, sh.tb, sh.M, sh.N, sh.K, 0.75f, A, lda, B, ldb, 0.5f, C, sh.N);
            cr_assert_eq(memcmp(C, C1, nc * 4), 0, "gemm %dx%dx%d ta=%d tb=%d: %d threads differ from 1",
                         sh.M, sh.N, sh.K, sh.ta, sh.tb, t);
        }
        if (!sh.ta && !sh.tb && k->bias_act) {
            kernels_set_threads(1);
            k->bias_act(sh.M, sh.N, sh.K, A, lda, B, ldb, bias, true, C1, sh.N);
            for (int t = 2; t <= 4; t++) {
                kernels_set_threads(t);
                k->bias_act(sh.M, sh.N, sh.K, A, lda, B, ldb, bias, true, C, sh.N);
                cr_assert_eq(memcmp(C, C1, nc * 4), 0, "bias_act %dx%dx%d: %d threads differ from 1",
                             sh.M, sh.N, sh.K, t);
            }
        }
        free(A), free(B), free(bias), free(C1), free(C), free(start);
    }
    kernels_set_threads(0);
}

Test(omp, bit_identical_for_1_to_4_threads) {
    char why[256];
    const gemm_kernel *k = gemm_select("omp", why, sizeof why);
    cr_assert_not_null(k, "%s", why);
    check_bit_identical(k);
}

/* omp-bf16, where the CPU has AVX512-BF16 (else skipped with the reason). */
Test(omp, bf16_bit_identical_for_1_to_4_threads) {
    char why[256];
    const gemm_kernel *k = gemm_select("omp-bf16", why, sizeof why);
    if (!k) cr_skip_test("%s", why);
    check_bit_identical(k);
}

/* Products that underflow: every a*b is 1e-20 * 1e-20 = 1e-40, a denormal.  With
 * denormals flushed (kernels_flush_denormals) C must be exactly 0 for every
 * thread count, which holds only if the OpenMP workers, created before the mode
 * was set, compute in the caller's mode; with gradual underflow it is not 0. */
Test(omp, workers_follow_the_callers_denormal_mode) {
    char why[256];
    const gemm_kernel *k = gemm_select("omp", why, sizeof why);
    cr_assert_not_null(k, "%s", why);
    enum { M = 64, N = 256, K = 64 };
    float *A = xmalloc_aligned(M * K * 4), *B = xmalloc_aligned(K * N * 4), *C = xmalloc_aligned(M * N * 4);
    for (int i = 0; i < M * K; i++) A[i] = 1e-20f;
    for (int i = 0; i < K * N; i++) B[i] = 1e-20f;
    for (int t = 1; t <= 4; t++) {
        kernels_set_threads(t);
        kernels_flush_denormals(false);
        k->run(false, false, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N); /* wake the workers */
        for (int i = 0; i < M * N; i++)
            cr_assert_gt(C[i], 0.0f, "%d threads, gradual underflow: C[%d] = %g", t, i, C[i]);
        bool was = kernels_flush_denormals(true);
        cr_assert_not(was, "kernels_flush_denormals(false) did not turn flushing off");
        k->run(false, false, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
        /* Checked with flushing off: with DAZ on, a denormal compares equal to 0. */
        cr_assert(kernels_flush_denormals(false), "flushing was not on");
        for (int i = 0; i < M * N; i++)
            cr_assert_eq(C[i], 0.0f, "%d threads, denormals flushed: C[%d] = %g", t, i, C[i]);
    }
    free(A), free(B), free(C);
    kernels_set_threads(0);
}

/* --- kernels_parallel_for ---------------------------------------------------- */

typedef struct {
    unsigned char *seen; /* times each element was visited */
    size_t min_per_thread;
    atomic_int calls, bad_start, short_range;
} cover_job;

static void cover(size_t lo, size_t hi, void *ctx) {
    cover_job *j = ctx;
    atomic_fetch_add(&j->calls, 1);
    if (lo % 16) atomic_fetch_add(&j->bad_start, 1);
    if (hi - lo < j->min_per_thread) atomic_fetch_add(&j->short_range, 1);
    for (size_t i = lo; i < hi; i++) j->seen[i]++;
}

/* Every element exactly once, ranges from multiples of 16, no more calls than
 * threads, and (when split) none shorter than asked. */
Test(parallel_for, covers_every_element_once) {
    const size_t ns[] = {0, 1, 15, 16, 17, 100, 1000, 4096, 65537, 109386};
    const size_t mins[] = {1, 16, 100, 16384};
    for (int t = 1; t <= 4; t++) {
        kernels_set_threads(t);
        for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
            for (size_t b = 0; b < sizeof mins / sizeof mins[0]; b++) {
                size_t n = ns[a];
                cover_job j = {.seen = calloc(n + 1, 1), .min_per_thread = mins[b] < 16 ? 16 : mins[b]};
                kernels_parallel_for(n, mins[b], cover, &j);
                for (size_t i = 0; i < n; i++)
                    cr_assert_eq(j.seen[i], 1, "n %zu, min %zu, %d threads: element %zu visited %d times",
                                 n, mins[b], t, i, j.seen[i]);
                cr_assert_leq(j.calls, t, "n %zu: %d calls on %d threads", n, (int)j.calls, t);
                cr_assert_eq(j.bad_start, 0, "n %zu: a range starts off a multiple of 16", n);
                if (j.calls > 1)
                    cr_assert_eq(j.short_range, 0, "n %zu, min %zu: a range below the minimum", n,
                                 mins[b]);
                free(j.seen);
            }
    }
    kernels_set_threads(0);
}

typedef struct {
    const float *a, *b;
    float *c;
} product_job;

static void product(size_t lo, size_t hi, void *ctx) {
    const product_job *j = ctx;
    for (size_t i = lo; i < hi; i++) j->c[i] = j->a[i] * j->b[i];
}

/* 1e-20 * 1e-20 is a denormal: 0 in every range when the caller flushes
 * denormals, which holds only if the workers take the caller's mode. */
Test(parallel_for, workers_follow_the_callers_denormal_mode) {
    enum { N = 4096 };
    float *a = xmalloc_aligned(N * 4), *b = xmalloc_aligned(N * 4), *c = xmalloc_aligned(N * 4);
    for (int i = 0; i < N; i++) a[i] = b[i] = 1e-20f;
    product_job j = {a, b, c};
    for (int t = 1; t <= 4; t++) {
        kernels_set_threads(t);
        kernels_flush_denormals(false);
        kernels_parallel_for(N, 16, product, &j); /* wake the workers */
        for (int i = 0; i < N; i++)
            cr_assert_gt(c[i], 0.0f, "%d threads, gradual underflow: c[%d] = %g", t, i, c[i]);
        kernels_flush_denormals(true);
        kernels_parallel_for(N, 16, product, &j);
        cr_assert(kernels_flush_denormals(false), "flushing was not on");
        for (int i = 0; i < N; i++)
            cr_assert_eq(c[i], 0.0f, "%d threads, denormals flushed: c[%d] = %g", t, i, c[i]);
    }
    free(a), free(b), free(c);
    kernels_set_threads(0);
}

/* STREAM's passes (the bandwidth the profile and the mem/ rows are held to):
 * every element of a written, by the right formula, on any thread count and a
 * size that is not a multiple of a thread's 16-float runs; the byte count is
 * STREAM's; a measured bandwidth is positive. */
Test(stream, copy_and_triad_write_every_element_on_1_to_3_threads) {
    enum { N = 1000 };
    float *a = xmalloc_aligned(N * 4), *b = xmalloc_aligned(N * 4), *c = xmalloc_aligned(N * 4);
    for (int t = 1; t <= 3; t++) {
        kernels_stream_pass(STREAM_FIRST_TOUCH, a, b, c, N, t);
        for (int i = 0; i < N; i++)
            cr_assert(a[i] == 0 && b[i] == 1 && c[i] == 2,
                      "%d threads, first touch at %d: %g %g %g", t, i, a[i], b[i], c[i]);
        for (int i = 0; i < N; i++) b[i] = (float)i, c[i] = (float)(2 * i);
        kernels_stream_pass(STREAM_COPY, a, b, c, N, t);
        for (int i = 0; i < N; i++)
            cr_assert_eq(a[i], (float)i, "%d threads, copy at %d: %g", t, i, a[i]);
        kernels_stream_pass(STREAM_TRIAD, a, b, c, N, t);
        for (int i = 0; i < N; i++)
            cr_assert_eq(a[i], (float)(7 * i), "%d threads, triad at %d: %g", t, i, a[i]);
    }
    cr_assert_eq(kernels_stream_bytes(STREAM_COPY, N), 8.0 * N);
    cr_assert_eq(kernels_stream_bytes(STREAM_TRIAD, N), 12.0 * N);
    cr_assert_gt(kernels_stream(STREAM_TRIAD, N, 2, 2), 0.0);
    free(a), free(b), free(c);
}
