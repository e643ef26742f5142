/* bench.cc: ./bench, a thin Google Benchmark (1.7.1) shim over the C kernels.
 *
 * This file holds the GEMM families, one per row of gemm_table() (so a new kernel
 * is timed without a change here) plus the oneDNN references (dnnl_sgemm, rows
 * gemm/onednn/...; its bf16 matmul, gemm/onednn-bf16/...) next to the table's
 * OpenBLAS row, which runs at 1 thread and
 * at all threads, and the context and main.  bench_act.cc registers a family per
 * row of act_table(); bench_roofline.cc the FMA peak, memory bandwidth and whole
 * training steps.  A GEMM is checked against `naive`, an activation set against
 * `scalar`, on the same operands before it is timed; a wrong kernel is reported,
 * never timed, and makes the exit status 1.  It holds no kernel code and writes no CSV: Google
 * Benchmark writes the JSON and harness/tools/bench-report.sh reads it.
 *
 * Usage: ./bench [--quick] [Google Benchmark flags]   (`make bench`, `make bench-quick`)
 *   --quick  one size per family, for a CI smoke run. */
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <dnnl.h>
#include <dnnl.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <string>
#include <tuple>
#include <vector>

#include "bench.h"

using namespace bench;

/* Provenance, passed in by the Makefile; the fallbacks serve a build by hand. */
#ifndef BENCH_COMMIT
#define BENCH_COMMIT "unknown"
#endif
#ifndef BENCH_CC_VERSION
#define BENCH_CC_VERSION "unknown"
#endif
#ifndef BENCH_CFLAGS
#define BENCH_CFLAGS "unknown"
#endif
#ifndef BENCH_CXXFLAGS
#define BENCH_CXXFLAGS "unknown"
#endif

namespace {

/* The batch sizes of the MLPs' (bench::NETS) layer shapes, and the square
 * sizes; `naive` stops at NAIVE_MAX_N (1024^3 takes it seconds, 2048^3
 * minutes).  --quick keeps the QUICK_* size of each family. */
const std::vector<int64_t> BATCHES = {32, 128, 256};
const std::vector<int64_t> SQUARE = {64, 128, 256, 512, 1024, 2048};
const int64_t NAIVE_MAX_N = 512;
const int64_t QUICK_N = 256, QUICK_B = 128, QUICK_LAYER = 2;
/* Squares around gemm_omp's threshold (kernels_omp_min_work): 16^3 = 4096 to
 * 128^3 = 2097152 multiply-adds, timed on one thread and split on all of them. */
const std::vector<int64_t> SMALL = {16, 24, 32, 40, 48, 56, 64, 80, 96, 128};
const int64_t QUICK_SMALL = 64;

/* ---- GEMM ------------------------------------------------------------------- */

/* One GEMM call: op(A) is M x K, op(B) is K x N, C is M x N, all tightly packed.
 * beta is 0, as the trainer calls every GEMM (mlp_backward writes the gradients). */
struct gemm_shape {
    int M, N, K;
    bool ta, tb;
    float beta;
    int lda() const { return ta ? M : K; }
    int ldb() const { return tb ? K : N; }
    auto key() const { return std::make_tuple(M, N, K, ta, tb, beta); }
};

/* A and B, C's starting value C0, and C; filled before any timing. */
struct gemm_operands {
    buffer<float> A, B, C0, C;
    explicit gemm_operands(const gemm_shape &s)
        : A(aligned<float>((size_t)s.M * s.K)), B(aligned<float>((size_t)s.K * s.N)),
          C0(aligned<float>((size_t)s.M * s.N)), C(aligned<float>((size_t)s.M * s.N))
    {
        fill(A.get(), (size_t)s.M * s.K, 1);
        fill(B.get(), (size_t)s.K * s.N, 2);
        fill(C0.get(), (size_t)s.M * s.N, 3);
        reset(s);
    }
    void reset(const gemm_shape &s) { std::memcpy(C.get(), C0.get(), sizeof(float) * s.M * s.N); }
    void run(gemm_fn f, const gemm_shape &s)
    {
        f(s.ta, s.tb, s.M, s.N, s.K, 1.0f, A.get(), s.lda(), B.get(), s.ldb(), s.beta, C.get(),
          s.N);
    }
};

/* A row of the benchmark: a table entry (or oneDNN) at one thread count. */
struct gemm_row {
    std::string kernel; /* the label: the table name, or "onednn" */
    gemm_fn run;
    unsigned needs;
    bool threaded; /* KERNEL_THREADED: the name carries threads:<n>, timed in real time */
    int threads;
    bool bf16 = false; /* KERNEL_BF16: checked with bf16's bound */
    std::string prefix() const
    {
        return "gemm/" + kernel + (threaded ? "/threads:" + std::to_string(threads) : "");
    }
};

/* oneDNN's reference SGEMM (row-major) behind the gemm_fn signature.  A failed call
 * leaves C as it was, which the check against naive then reports. */
void gemm_onednn(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
                 const float *B, int ldb, float beta, float *C, int ldc)
{
    dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* oneDNN's bf16 matmul, the anchor of the bf16 rows: bf16 source and weights,
 * an FP32 destination, alpha as its output scale and beta as a sum post-op.
 * oneDNN takes bf16 operands, so each (shape, A, B) is rounded to bf16 once
 * (kernels_bf16_bits, as the kernels round) and its primitive made once, outside
 * the timing: the timed call is the matmul alone, where avx512bf16 also rounds and
 * packs.  The benchmark's operands do not change between calls. */
void gemm_onednn_bf16(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
                      const float *B, int ldb, float beta, float *C, int ldc)
{
    using dnnl::memory;
    struct call {
        std::vector<uint16_t> a, b;
        dnnl::matmul prim;
        memory am, bm;
        memory::desc cd;
    };
    static const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    static dnnl::stream strm(eng);
    static std::map<std::tuple<bool, bool, int, int, int, float, float, int, int, int,
                               const float *, const float *>,
                    call>
        calls;
    const auto key = std::make_tuple(ta, tb, M, N, K, alpha, beta, lda, ldb, ldc, A, B);
    auto it = calls.find(key);
    if (it == calls.end()) {
        call c;
        const auto bf16 = [](const float *x, size_t n) {
            std::vector<uint16_t> v(n);
            for (size_t i = 0; i < n; i++)
                v[i] = kernels_bf16_bits(x[i]);
            return v;
        };
        c.a = bf16(A, (size_t)(ta ? K : M) * lda);
        c.b = bf16(B, (size_t)(tb ? N : K) * ldb);
        const memory::desc ad({M, K}, memory::data_type::bf16,
                              ta ? memory::dims{1, lda} : memory::dims{lda, 1});
        const memory::desc bd({K, N}, memory::data_type::bf16,
                              tb ? memory::dims{1, ldb} : memory::dims{ldb, 1});
        c.cd = memory::desc({M, N}, memory::data_type::f32, memory::dims{ldc, 1});
        dnnl::primitive_attr attr;
        if (alpha != 1.0f)
            attr.set_output_scales(0, {alpha});
        if (beta != 0.0f) {
            dnnl::post_ops po;
            po.append_sum(beta);
            attr.set_post_ops(po);
        }
        c.prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(ad, bd, c.cd), attr, eng));
        c.am = memory(ad, eng, c.a.data());
        c.bm = memory(bd, eng, c.b.data());
        it = calls.emplace(key, std::move(c)).first;
    }
    call &c = it->second;
    memory cm(c.cd, eng, C);
    c.prim.execute(strm, {{DNNL_ARG_SRC, c.am}, {DNNL_ARG_WEIGHTS, c.bm}, {DNNL_ARG_DST, cm}});
    strm.wait();
}

/* Rows of C the check compares, as [first, last) blocks: all of them when naive
 * does the whole shape in about a second (2*M*N*K <= CHECK_ALL_FLOPS), else 16 at
 * the top, the middle and the bottom (naive needs minutes for 2048^3). */
const double CHECK_ALL_FLOPS = 1e9;
const int CHECK_BLOCK = 16;

std::vector<std::pair<int, int>> checked_rows(const gemm_shape &s)
{
    if (2.0 * s.M * s.N * s.K <= CHECK_ALL_FLOPS || s.M <= 3 * CHECK_BLOCK)
        return {{0, s.M}};
    const int mid = s.M / 2 - CHECK_BLOCK / 2;
    return {{0, CHECK_BLOCK}, {mid, mid + CHECK_BLOCK}, {s.M - CHECK_BLOCK, s.M}};
}

/* naive's rows checked_rows(s) of C, on the operands gemm_operands(s) holds, one
 * block after the other; computed once per shape.  A block of rows of C is the
 * same GEMM with M = its height and A, C0 offset to its first row. */
const std::vector<float> &naive_result(const gemm_kernel &naive, const gemm_shape &s)
{
    static std::map<decltype(s.key()), std::vector<float>> cache;
    auto it = cache.find(s.key());
    if (it != cache.end())
        return it->second;
    gemm_operands op(s);
    std::vector<float> c;
    for (const auto &[first, last] : checked_rows(s)) {
        const float *a = op.A.get() + (s.ta ? (size_t)first : (size_t)first * s.lda());
        float *c_rows = op.C.get() + (size_t)first * s.N;
        naive.run(s.ta, s.tb, last - first, s.N, s.K, 1.0f, a, s.lda(), op.B.get(), s.ldb(),
                  s.beta, c_rows, s.N);
        c.insert(c.end(), c_rows, c_rows + (size_t)(last - first) * s.N);
    }
    return cache.emplace(s.key(), std::move(c)).first->second;
}

/* The tolerance of one element of C against naive's: 4*K*FLT_EPSILON*(|naive|+1)
 * (the bound in STYLE.md), plus for bf16 the operands' rounding of
 * gemm_error_bound, 2^-7 + 2^-15 of sum_k |a_ik b_kj| <= K (operands in [-1, 1]). */
double gemm_tolerance(const gemm_row &row, const gemm_shape &s, float want)
{
    return 4.0 * s.K * FLT_EPSILON * (std::fabs(want) + 1.0) +
           (row.bf16 ? (0x1p-7 + 0x1p-15) * s.K : 0.0);
}

/* Runs the row once on op and compares checked_rows(s) of C with naive's: "" when
 * every element is within gemm_tolerance, else the worst one. */
std::string gemm_check(const gemm_row &row, const gemm_shape &s, gemm_operands &op)
{
    char why[256];
    const gemm_kernel *naive = gemm_select("naive", why, sizeof why);
    if (!naive)
        return std::string("no reference to check against: ") + why;
    if (naive->run == row.run)
        return "";
    op.reset(s);
    op.run(row.run, s);
    const float *want = naive_result(*naive, s).data();
    size_t worst = 0;
    float worst_want = 0;
    double worst_ratio = 0;
    for (const auto &[first, last] : checked_rows(s)) {
        for (size_t i = (size_t)first * s.N; i < (size_t)last * s.N; i++, want++) {
            double tol = gemm_tolerance(row, s, *want);
            double ratio = std::fabs((double)op.C[i] - *want) / tol;
            if (!(ratio <= worst_ratio)) { /* also catches NaN */
                worst = i;
                worst_want = *want;
                worst_ratio = std::isnan(ratio) ? INFINITY : ratio;
            }
        }
    }
    if (worst_ratio <= 1.0)
        return "";
    std::snprintf(why, sizeof why,
                  "wrong result, not timed: C[%zu][%zu] = %.9g, naive %.9g (tolerance %.3g)",
                  worst / s.N, worst % s.N, op.C[worst], worst_want,
                  gemm_tolerance(row, s, worst_want));
    return why;
}

void bench_gemm(benchmark::State &st, const gemm_row &row, const gemm_shape &s)
{
    if (!label_and_check(st, row.kernel.c_str(), row.needs))
        return;
    kernels_set_threads(row.threads);
    gemm_operands op(s);
    /* Checked once per row and shape, not once per repetition. */
    static std::map<std::pair<std::string, decltype(s.key())>, std::string> checked;
    auto key = std::make_pair(row.prefix(), s.key());
    auto it = checked.find(key);
    if (it == checked.end())
        it = checked.emplace(key, gemm_check(row, s, op)).first;
    if (!it->second.empty()) {
        wrong_kernels.insert(row.prefix());
        st.SkipWithError(it->second.c_str());
        return;
    }
    op.reset(s);
    float *C = op.C.get();
    const float *A = op.A.get(), *B = op.B.get();
    const int lda = s.lda(), ldb = s.ldb();
    for (auto _ : st) {
        row.run(s.ta, s.tb, s.M, s.N, s.K, 1.0f, A, lda, B, ldb, s.beta, C, s.N);
        benchmark::DoNotOptimize(C);
        benchmark::ClobberMemory();
    }
    st.counters["M"] = s.M;
    st.counters["N"] = s.N;
    st.counters["K"] = s.K;
    st.counters["threads"] = row.threads;
    st.counters["GFLOPS"] = benchmark::Counter(2e-9 * s.M * s.N * s.K,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

using shape_of = std::function<gemm_shape(const benchmark::State &)>;

benchmark::internal::Benchmark *add_gemm(const gemm_row &row, const std::string &family,
                                         const shape_of &shape)
{
    auto *b = benchmark::RegisterBenchmark(
        (row.prefix() + "/" + family).c_str(),
        [row, shape](benchmark::State &st) { bench_gemm(st, row, shape(st)); });
    return with_stats(b, row.threaded);
}

/* The three GEMMs of layer L (1-based) of `net` at batch B, as the trainer calls them:
 *   fwd         Y = X W        M = B,  N = out, K = in
 *   bwd_weight  dW = X^T dY    M = in, N = out, K = B   (ta)
 *   bwd_input   dX = dY W^T    M = B,  N = in,  K = out (tb; not for layer 1) */
enum class pass { fwd, bwd_weight, bwd_input };

gemm_shape mlp_shape(const std::vector<int> &net, pass p, int B, int L)
{
    const int in = net[L - 1], out = net[L];
    switch (p) {
    case pass::fwd:
        return {B, out, in, false, false, 0.0f};
    case pass::bwd_weight:
        return {in, out, B, true, false, 0.0f};
    case pass::bwd_input:
        break;
    }
    return {B, in, out, false, true, 0.0f};
}

/* n x n x n, no transposes: the square/ and small/ families, n = the argument. */
gemm_shape square_shape(const benchmark::State &st)
{
    const int n = (int)st.range(0);
    return {n, n, n, false, false, 0.0f};
}

void register_gemm_row(const gemm_row &row, bool quick)
{
    std::vector<int64_t> square;
    for (int64_t n : SQUARE)
        if ((quick ? n == QUICK_N : true) && (row.kernel != "naive" || n <= NAIVE_MAX_N))
            square.push_back(n);
    add_gemm(row, "square", square_shape)
        ->ArgsProduct({square})
        ->ArgNames({"n"});

    const std::vector<int64_t> batches = quick ? std::vector<int64_t>{QUICK_B} : BATCHES;
    const std::pair<pass, const char *> passes[] = {
        {pass::fwd, "fwd"}, {pass::bwd_weight, "bwd_weight"}, {pass::bwd_input, "bwd_input"}};
    for (const auto &net : NETS) {
        for (const auto &[p, pass_name] : passes) {
            std::vector<int64_t> layers;
            for (int64_t L = p == pass::bwd_input ? 2 : 1; L < (int64_t)net.size(); L++)
                if (!quick || L == QUICK_LAYER)
                    layers.push_back(L);
            pass pp = p;
            add_gemm(row, net_name(net) + "/" + pass_name,
                     [net, pp](const benchmark::State &st) {
                         return mlp_shape(net, pp, (int)st.range(0), (int)st.range(1));
                     })
                ->ArgsProduct({batches, layers})
                ->ArgNames({"B", "L"});
        }
    }
}

/* gemm_omp with its threshold at 0, so that it splits every call among the
 * threads: the small/ family times it against gemm_omp on one thread to measure
 * where the split starts to pay (the report's "omp threshold"). */
gemm_fn omp_run;

void gemm_omp_split_always(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                           int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    const double was = kernels_omp_min_work(0);
    omp_run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    kernels_omp_min_work(was);
}

void register_omp_threshold(const gemm_kernel &omp, int all_threads, bool quick)
{
    omp_run = omp.run;
    std::vector<int64_t> sizes;
    for (int64_t n : SMALL)
        if (!quick || n == QUICK_SMALL)
            sizes.push_back(n);
    const gemm_row rows[] = {{omp.name, omp.run, omp.needs, true, 1},
                             {"omp-split", gemm_omp_split_always, omp.needs, true, all_threads}};
    for (const gemm_row &row : rows)
        add_gemm(row, "small", square_shape)
            ->ArgsProduct({sizes})
            ->ArgNames({"n"});
}

/* Table rows, then oneDNN.  A threaded reference library (OpenBLAS, oneDNN) also
 * runs on 1 thread, the fair yardstick for the single-threaded kernels. */
void register_gemm(int all_threads, bool quick)
{
    size_t n;
    const gemm_kernel *t = gemm_table(&n);
    std::vector<gemm_row> rows;
    for (size_t i = 0; i < n; i++) {
        const gemm_kernel &k = t[i];
        const bool bf16 = k.flags & KERNEL_BF16;
        if (!(k.flags & KERNEL_THREADED)) {
            rows.push_back({k.name, k.run, k.needs, false, 1, bf16});
            continue;
        }
        if ((k.flags & KERNEL_REFERENCE) && all_threads > 1)
            rows.push_back({k.name, k.run, k.needs, true, 1, bf16});
        rows.push_back({k.name, k.run, k.needs, true, all_threads, bf16});
        if (std::strcmp(k.name, "omp") == 0 && all_threads > 1)
            register_omp_threshold(k, all_threads, quick);
    }
    if (all_threads > 1)
        rows.push_back({"onednn", gemm_onednn, 0, true, 1});
    rows.push_back({"onednn", gemm_onednn, 0, true, all_threads});
    const unsigned bf16_needs = CPU_AVX512F | CPU_AVX512BF16;
    if (all_threads > 1)
        rows.push_back({"onednn-bf16", gemm_onednn_bf16, bf16_needs, true, 1, true});
    rows.push_back({"onednn-bf16", gemm_onednn_bf16, bf16_needs, true, all_threads, true});
    for (const gemm_row &row : rows)
        register_gemm_row(row, quick);
}

/* ---- context and main ---------------------------------------------------------- */

std::string cpu_model()
{
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) != 0)
            continue;
        size_t p = line.find(':');
        return p == std::string::npos ? line : line.substr(line.find_first_not_of(" \t", p + 1));
    }
    return "unknown";
}

std::string env(const char *name)
{
    const char *v = std::getenv(name);
    return v ? v : "(unset)";
}

std::string onednn_version()
{
    const dnnl_version_t *v = dnnl_version();
    const char *rt = v->cpu_runtime == DNNL_RUNTIME_OMP   ? "OpenMP"
                     : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB"
                     : v->cpu_runtime == DNNL_RUNTIME_SEQ ? "sequential"
                                                          : "other";
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
           std::to_string(v->patch) + " (" + (v->hash ? v->hash : "no hash") + ", CPU runtime " +
           rt + ")";
}

void add_context(int all_threads)
{
    benchmark::AddCustomContext("cpu_model", cpu_model());
    benchmark::AddCustomContext("cpu_features", features(cpu_features()));
    benchmark::AddCustomContext("threads_all", std::to_string(all_threads));
    benchmark::AddCustomContext("omp_min_work", std::to_string(kernels_omp_min_work(-1)));
    benchmark::AddCustomContext("compiler_c", BENCH_CC_VERSION);
    benchmark::AddCustomContext("cflags", BENCH_CFLAGS);
    benchmark::AddCustomContext("compiler_cxx", __VERSION__);
    benchmark::AddCustomContext("cxxflags", BENCH_CXXFLAGS);
    benchmark::AddCustomContext("git_commit", BENCH_COMMIT);
    benchmark::AddCustomContext("OMP_NUM_THREADS", env("OMP_NUM_THREADS"));
    benchmark::AddCustomContext("OMP_PROC_BIND", env("OMP_PROC_BIND"));
    benchmark::AddCustomContext("OMP_PLACES", env("OMP_PLACES"));
    benchmark::AddCustomContext("OPENBLAS_CORETYPE", env("OPENBLAS_CORETYPE"));
    benchmark::AddCustomContext("openblas_corename", openblas_get_corename());
    benchmark::AddCustomContext("openblas_config", openblas_get_config());
    benchmark::AddCustomContext("onednn_version", onednn_version());
}

void print_help()
{
    benchmark::PrintDefaultHelp();
    std::printf("          [--quick]   one size per family (make bench-quick)\n");
}

/* Removes `flag` from argv; true when it was there. */
bool take_flag(int *argc, char **argv, const char *flag)
{
    bool found = false;
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (std::strcmp(argv[i], flag) == 0)
            found = true;
        else
            argv[out++] = argv[i];
    }
    *argc = out;
    argv[out] = nullptr;
    return found;
}

} // namespace

int main(int argc, char **argv)
{
    const bool quick = take_flag(&argc, argv, "--quick");
    benchmark::Initialize(&argc, argv, print_help);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    char why[128];
    if (kernels_env_error(why, sizeof why)) {
        std::fprintf(stderr, "bench: %s\n", why);
        return 2;
    }
    const int all_threads = kernels_max_threads(); /* before any row changes it */
    add_context(all_threads);
    register_peak(all_threads);
    register_mem(all_threads, quick);
    register_gemm(all_threads, quick);
    register_act(quick);
    register_step(all_threads, quick);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (!wrong_kernels.empty()) {
        std::string names;
        for (const std::string &w : wrong_kernels)
            names += " " + w;
        std::fprintf(stderr, "bench: disagreed with the reference, not timed:%s\n", names.c_str());
        return 1;
    }
    return 0;
}
