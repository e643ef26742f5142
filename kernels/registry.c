/* registry.c: the kernel tables and the choice among them at run time: CPU
 * feature detection (once, cached), lookup by name with `auto` and clear
 * messages, and the thread count of the threaded kernels.  It holds no kernel
 * code: a new kernel is one row in a table here and its declaration in impl.h. */
#include <cblas.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <xmmintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "impl.h"
#include "peak.h"

/* Tables run slowest to fastest: `auto` takes the last row this CPU runs that is
 * neither KERNEL_REFERENCE nor KERNEL_BF16.  Columns: name, desc, needs, flags,
 * run, bias_act (the fused forward layer, NULL when the kernel has none). */
#define NEEDS_BF16                                                                     \
    (CPU_AVX512F | CPU_AVX512VL | CPU_AVX512BW | CPU_AVX512DQ | CPU_AVX512BF16 | CPU_FMA)
static const gemm_kernel gemm_kernels[] = {
    {"naive", "reference: triple loop, dot products in double", 0, 0, gemm_naive, NULL},
    {"blocked", "cache-blocked portable C, 6x8 tile vectorized by the compiler", 0, 0,
     gemm_blocked, NULL},
    {"avx2", "AVX2+FMA intrinsics, packed panels, 6x16 register tile", CPU_AVX2 | CPU_FMA, 0,
     gemm_avx2, gemm_avx2_bias_act},
    {"avx512", "AVX-512 intrinsics, masked tails, 8x48 register tile",
     CPU_AVX512F | CPU_AVX512VL | CPU_AVX512BW | CPU_AVX512DQ | CPU_FMA, 0, gemm_avx512,
     gemm_avx512_bias_act},
    {"omp", "OpenMP over the fastest kernel above, C split among threads (never K)", 0,
     KERNEL_THREADED, gemm_omp, gemm_omp_bias_act},
    {"avx512bf16", "AVX512-BF16: operands rounded to bfloat16, vdpbf16ps, FP32 sums; 8x48 tile",
     NEEDS_BF16, KERNEL_BF16, gemm_avx512bf16, gemm_avx512bf16_bias_act},
    {"omp-bf16", "OpenMP over avx512bf16, C split among threads (never K)", NEEDS_BF16,
     KERNEL_BF16 | KERNEL_THREADED, gemm_omp_bf16, gemm_omp_bf16_bias_act},
    {"openblas", "OpenBLAS cblas_sgemm, the external yardstick", 0,
     KERNEL_REFERENCE | KERNEL_THREADED | KERNEL_OWN_POOL, gemm_openblas, NULL},
};

/* One activation set per row: name, desc, needs; the ten functions come from
 * the name (see ACT_DECLARE in impl.h). */
#define ACT_ROW(impl, desc, needs)                                                     \
    {#impl, desc, needs, bias_act_##impl, relu_bwd_##impl, bias_grad_##impl,          \
     softmax_xent_##impl, xent_bwd_##impl, sgd_##impl, adam_##impl, ema_##impl,       \
     pixels_##impl, warp_##impl}

static const act_kernel act_kernels[] = {
    ACT_ROW(scalar, "plain C loops, the reference", 0),
    ACT_ROW(avx2, "AVX2+FMA, 8 floats per vector, polynomial expf", CPU_AVX2 | CPU_FMA),
    ACT_ROW(avx512, "AVX-512, 16 floats per masked vector, polynomial expf",
            CPU_AVX512F | CPU_AVX512VL | CPU_AVX512BW | CPU_AVX512DQ),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* CPU_* bit, the name __builtin_cpu_supports knows it by (also the name printed). */
#define CPU_FEATURE_LIST                                                               \
    X(CPU_AVX2, "avx2")                                                                \
    X(CPU_FMA, "fma")                                                                  \
    X(CPU_AVX512F, "avx512f")                                                          \
    X(CPU_AVX512VL, "avx512vl")                                                        \
    X(CPU_AVX512BW, "avx512bw")                                                        \
    X(CPU_AVX512DQ, "avx512dq")                                                        \
    X(CPU_AVX512BF16, "avx512bf16")

static const struct {
    unsigned bit;
    const char *name;
} cpu_feature_names[] = {
#define X(bit, name) {bit, name},
    CPU_FEATURE_LIST
#undef X
};

/* SIMD_MLP_MAX_ISA's values (as oneDNN's ONEDNN_MAX_CPU_ISA) and the features
 * each lets the kernels use; unset or empty means all. */
static const struct {
    const char *name;
    unsigned allowed;
} cpu_isa_limits[] = {
    {"avx512", ~0u},
    {"avx2", ~(unsigned)(CPU_AVX512F | CPU_AVX512VL | CPU_AVX512BW | CPU_AVX512DQ |
                         CPU_AVX512BF16)},
    {"x86-64", 0},
};

/* The features SIMD_MLP_MAX_ISA allows, or 0 with *bad set when it is invalid. */
static unsigned cpu_isa_limit(bool *bad)
{
    const char *isa = getenv("SIMD_MLP_MAX_ISA");
    *bad = false;
    if (!isa || !*isa)
        return ~0u;
    for (size_t i = 0; i < sizeof cpu_isa_limits / sizeof cpu_isa_limits[0]; i++)
        if (!strcasecmp(isa, cpu_isa_limits[i].name))
            return cpu_isa_limits[i].allowed;
    *bad = true;
    return 0;
}

const char *kernels_env_error(char *buf, size_t len)
{
    bool bad;
    cpu_isa_limit(&bad);
    if (!bad)
        return NULL;
    snprintf(buf, len, "SIMD_MLP_MAX_ISA: '%s' is not one of avx512, avx2, x86-64",
             getenv("SIMD_MLP_MAX_ISA"));
    return buf;
}

unsigned cpu_features(void)
{
    const unsigned known = 1u << 31; /* set once the cache holds the answer */
    static atomic_uint cache;
    unsigned f = atomic_load_explicit(&cache, memory_order_relaxed);
    if (f & known)
        return f & ~known;
    __builtin_cpu_init();
    f = known;
#define X(bit, name)                                                                   \
    if (__builtin_cpu_supports(name))                                                  \
        f |= bit;
    CPU_FEATURE_LIST
#undef X
    bool bad;
    f &= cpu_isa_limit(&bad) | known;
    if (bad) { /* programs check kernels_env_error() first; this is the backstop */
        char why[128];
        fprintf(stderr, "%s\n", kernels_env_error(why, sizeof why));
        exit(2);
    }
    atomic_store_explicit(&cache, f, memory_order_relaxed);
    return f & ~known;
}

void cpu_features_str(unsigned mask, char *buf, size_t len)
{
    if (len == 0)
        return;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < COUNT(cpu_feature_names); i++) {
        if (!(mask & cpu_feature_names[i].bit))
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
                         cpu_feature_names[i].name);
        if (w < 0 || (size_t)w >= len - used) {
            buf[used] = '\0'; /* truncated: whole names only */
            return;
        }
        used += (size_t)w;
    }
    if (used == 0)
        snprintf(buf, len, "none");
}

bool kernel_runs_here(unsigned needs)
{
    return (cpu_features() & needs) == needs;
}

const gemm_kernel *gemm_table(size_t *n)
{
    *n = COUNT(gemm_kernels);
    return gemm_kernels;
}

const act_kernel *act_table(size_t *n)
{
    *n = COUNT(act_kernels);
    return act_kernels;
}

/* What the lookup needs to know of one row, whichever family it comes from. */
typedef struct {
    const char *name;
    unsigned needs, flags;
} row_info;

static row_info gemm_row(size_t i)
{
    return (row_info){gemm_kernels[i].name, gemm_kernels[i].needs, gemm_kernels[i].flags};
}

static row_info act_row(size_t i)
{
    return (row_info){act_kernels[i].name, act_kernels[i].needs, 0};
}

/* Index of `name` among the n rows of `family` ("gemm", "activation": also the
 * .ini key the hint names), or -1 with the reason in why.  NULL or "auto" is the
 * last row this CPU runs that is neither KERNEL_REFERENCE nor KERNEL_BF16 (an
 * external library; a changed arithmetic), else row 0: the reference
 * (naive, scalar), which needs nothing. */
static long find_row(const char *family, const char *name, size_t n, row_info (*row)(size_t),
                     char *why, size_t why_len)
{
    char tmp[1];
    if (!why || why_len == 0) {
        why = tmp;
        why_len = sizeof tmp;
    }
    if (!name || strcmp(name, "auto") == 0) {
        size_t i = n - 1;
        while (i > 0 && (!kernel_runs_here(row(i).needs) ||
                         (row(i).flags & (KERNEL_REFERENCE | KERNEL_BF16))))
            i--;
        return (long)i;
    }
    for (size_t i = 0; i < n; i++) {
        row_info r = row(i);
        if (strcmp(name, r.name) != 0)
            continue;
        if (kernel_runs_here(r.needs))
            return (long)i;
        char needs[128], has[128];
        cpu_features_str(r.needs, needs, sizeof needs);
        cpu_features_str(cpu_features(), has, sizeof has);
        const char *isa = getenv("SIMD_MLP_MAX_ISA");
        snprintf(why, why_len, "%s '%s' needs %s; this CPU has %s%s%s (try %s = auto)", family,
                 name, needs, has, isa && *isa ? " under SIMD_MLP_MAX_ISA=" : "",
                 isa && *isa ? isa : "", family);
        return -1;
    }
    int used = snprintf(why, why_len, "unknown %s kernel '%s' (choose from: auto", family, name);
    for (size_t i = 0; i < n && used >= 0 && (size_t)used < why_len; i++)
        used += snprintf(why + used, why_len - (size_t)used, " %s", row(i).name);
    if (used >= 0 && (size_t)used < why_len)
        snprintf(why + used, why_len - (size_t)used, ")");
    return -1;
}

const gemm_kernel *gemm_select(const char *name, char *why, size_t why_len)
{
    long i = find_row("gemm", name, COUNT(gemm_kernels), gemm_row, why, why_len);
    return i < 0 ? NULL : &gemm_kernels[i];
}

const act_kernel *act_select(const char *name, char *why, size_t why_len)
{
    long i = find_row("activation", name, COUNT(act_kernels), act_row, why, why_len);
    return i < 0 ? NULL : &act_kernels[i];
}

#ifndef _OPENMP
/* Without OpenMP, the count kernels_set_threads asked for (0: none yet, every
 * core); with it, OpenMP's own setting is the count. */
static _Atomic int kernels_threads;
#endif

/* OpenBLAS gets the count from gemm_openblas at its next call, not here: setting
 * it starts OpenBLAS's workers, which then spin for a while waiting for work,
 * and in a sweep's child (which sets the count for every run) they spun beside
 * an omp run's own two threads, which then ran a third of their repeats 1.4x
 * slower. */
int kernels_set_threads(int n)
{
    if (n <= 0)
        n = kernels_all_cores();
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    kernels_threads = n;
#endif
    return kernels_max_threads();
}

/* MXCSR's flush-to-zero and denormals-are-zero bits (SSE is part of x86-64, so
 * this file needs no ISA flag for them). */
#define KERNELS_MXCSR_FTZ_DAZ 0x8040u

bool kernels_flush_denormals(bool on)
{
    unsigned csr = _mm_getcsr();
    _mm_setcsr(on ? csr | KERNELS_MXCSR_FTZ_DAZ : csr & ~KERNELS_MXCSR_FTZ_DAZ);
    return (csr & KERNELS_MXCSR_FTZ_DAZ) == KERNELS_MXCSR_FTZ_DAZ;
}

/* With OpenMP, what our threaded kernels use; without, the count that
 * gemm_openblas will apply (ours then run on one thread). */
int kernels_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return kernels_threads > 0 ? kernels_threads : kernels_all_cores();
#endif
}

/* About 20 ms of the peak loop: the fastest of 8 calls of 2^14 rounds. */
double kernels_fma_peak(int threads)
{
    const unsigned f = cpu_features();
    double (*peak)(long, int) = (f & CPU_AVX512F)                        ? peak_fma_avx512
                                : (f & (CPU_AVX2 | CPU_FMA)) == (CPU_AVX2 | CPU_FMA) ? peak_fma_avx2
                                                                         : NULL;
    if (!peak)
        return 0;
    double best = 0;
    for (int r = 0; r < 8; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        double flops = peak(1L << 14, threads);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (dt > 0 && flops / dt > best)
            best = flops / dt;
    }
    return best;
}
