/* bench.cc: ./bench, a thin Google Benchmark (1.7.1) shim over the C kernels.
 *
 * It registers one family per row of gemm_table() and act_table(), so a new
 * kernel is timed without a change here; adds the oneDNN reference (dnnl_sgemm,
 * rows gemm/onednn/...) next to the table's OpenBLAS row, which runs at 1 thread
 * and at all threads; and, from bench_roofline.cc, this CPU's FP32 FMA peak, its
 * memory bandwidth and whole training steps.  A
 * GEMM is checked against `naive`, an activation set against `scalar`, on the
 * same operands before it is timed; a wrong kernel is reported, never timed, and
 * makes the exit status 1.  It holds no kernel code and writes no CSV: Google
 * Benchmark writes the JSON and harness/tools/bench-report.sh reads it.
 *
 * Usage: ./bench [--quick] [Google Benchmark flags]   (`make bench`, `make bench-quick`)
 *   --quick  one size per family, for a CI smoke run. */
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <dnnl.h>

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

/* The batch sizes of the MLPs' (bench::NETS) layer shapes, and the square sizes; `naive` stops at NAIVE_MAX_N (1024^3 takes it
 * seconds, 2048^3 minutes).  --quick keeps the QUICK_* size of each family. */
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

/* Runs the row once on op and compares checked_rows(s) of C with naive's: "" when
 * every element is within 4*K*FLT_EPSILON*(|naive|+1) (the bound in STYLE.md),
 * else the worst one. */
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
            double tol = 4.0 * s.K * FLT_EPSILON * (std::fabs(*want) + 1.0);
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
                  4.0 * s.K * FLT_EPSILON * (std::fabs(worst_want) + 1.0));
    return why;
}

void bench_gemm(benchmark::State &st, const gemm_row &row, const gemm_shape &s)
{
    st.SetLabel(row.kernel.c_str());
    std::string why = cannot_run(row.needs);
    if (!why.empty()) {
        st.SkipWithError(why.c_str());
        return;
    }
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
        if (!(k.flags & KERNEL_THREADED)) {
            rows.push_back({k.name, k.run, k.needs, false, 1});
            continue;
        }
        if ((k.flags & KERNEL_REFERENCE) && all_threads > 1)
            rows.push_back({k.name, k.run, k.needs, true, 1});
        rows.push_back({k.name, k.run, k.needs, true, all_threads});
        if (std::strcmp(k.name, "omp") == 0 && all_threads > 1)
            register_omp_threshold(k, all_threads, quick);
    }
    if (all_threads > 1)
        rows.push_back({"onednn", gemm_onednn, 0, true, 1});
    rows.push_back({"onednn", gemm_onednn, 0, true, all_threads});
    for (const gemm_row &row : rows)
        register_gemm_row(row, quick);
}

/* ---- activations ------------------------------------------------------------- */

enum class act_func { bias_act, relu_bwd, bias_grad, softmax_xent, xent_bwd, sgd, adam, ema };

/* The operands of one act_func call: B x N for the row-wise functions (N = C
 * for the softmax pair), n = B*N; a flat vector of n for the optimizers (B = 1). */
struct act_operands {
    int B, N;
    size_t n;
    buffer<float> x, y, z, w, vec; /* n, n, n, n, N floats */
    buffer<uint8_t> label, pred;   /* B each */
    double loss = 0;
    act_operands(int B_, int N_)
        : B(B_), N(N_), n((size_t)B_ * N_), x(aligned<float>(n)), y(aligned<float>(n)),
          z(aligned<float>(n)), w(aligned<float>(n)), vec(aligned<float>(N_)),
          label(aligned<uint8_t>(B_)), pred(aligned<uint8_t>(B_))
    {
        fill(x.get(), n, 11);
        fill(y.get(), n, 12);
        fill(z.get(), n, 13);
        fill(w.get(), n, 14, 0.0f, 1.0f); /* Adam's v is >= 0 */
        fill(vec.get(), N, 15);
        for (int b = 0; b < B; b++) {
            label[b] = (uint8_t)((b * 7) % N % 256);
            pred[b] = 0;
        }
    }
};

/* The one call of f, on a's buffers:
 *   bias_act(B, N, bias=vec, relu, Y=x)    relu_bwd(n, Y=x, dY=y)
 *   bias_grad(B, N, dY=x, db=vec)          softmax_xent(B, C=N, Z=x, label, P=y, pred)
 *   xent_bwd(B, C=N, P=x, label, dZ=y)     sgd(n, p=x, g=y, vel=z)
 *   adam(n, p=x, g=y, m=z, v=w)            ema(n, avg=x, p=y) */
void act_call(const act_kernel &k, act_func f, act_operands &a)
{
    static const adam_params adam = {1e-3f, 0.9f, 0.999f, 1e-7f, 0.1f, 0.001f, 0.0f};
    switch (f) {
    case act_func::bias_act:
        k.bias_act(a.B, a.N, a.vec.get(), true, a.x.get(), a.N);
        break;
    case act_func::relu_bwd:
        k.relu_bwd(a.n, a.x.get(), a.y.get());
        break;
    case act_func::bias_grad:
        k.bias_grad(a.B, a.N, a.x.get(), a.N, a.vec.get());
        break;
    case act_func::softmax_xent:
        a.loss = k.softmax_xent(a.B, a.N, a.x.get(), a.label.get(), a.y.get(), a.pred.get());
        break;
    case act_func::xent_bwd:
        k.xent_bwd(a.B, a.N, a.x.get(), a.label.get(), 1.0f / a.B, a.y.get());
        break;
    case act_func::sgd:
        k.sgd(a.n, a.x.get(), a.y.get(), a.z.get(), 0.01f, 0.9f);
        break;
    case act_func::adam:
        k.adam(a.n, a.x.get(), a.y.get(), a.z.get(), a.w.get(), nullptr, &adam);
        break;
    case act_func::ema:
        k.ema(a.n, a.x.get(), a.y.get(), 0.999f);
        break;
    }
}

/* Bytes one call reads plus writes (the roofline that matters for these). */
double act_bytes(act_func f, const act_operands &a)
{
    const double n = (double)a.n, N = a.N, B = a.B, fl = sizeof(float);
    switch (f) {
    case act_func::bias_act:
        return fl * (2 * n + N);
    case act_func::relu_bwd:
        return fl * 3 * n;
    case act_func::bias_grad:
        return fl * (n + 2 * N);
    case act_func::softmax_xent:
    case act_func::xent_bwd:
        return fl * 2 * n + 2 * B;
    case act_func::sgd:
        return fl * 5 * n;
    case act_func::ema:
        return fl * 3 * n;
    case act_func::adam:
        break;
    }
    return fl * 7 * n;
}

/* Compares one call of k with one of the reference set on fresh operands:
 * "" when every output is within 1e-4*(|ref|+1) (a smoke check that catches a
 * broken kernel; tests/ hold the accuracy bounds), else the worst element. */
std::string act_check(const act_kernel &k, const act_kernel &ref, act_func f, int B, int N)
{
    act_operands got(B, N), want(B, N);
    act_call(k, f, got);
    act_call(ref, f, want);
    const std::pair<const char *, std::pair<const float *, const float *>> outs[] = {
        {"x", {got.x.get(), want.x.get()}}, {"y", {got.y.get(), want.y.get()}},
        {"z", {got.z.get(), want.z.get()}}, {"w", {got.w.get(), want.w.get()}}};
    char why[256];
    for (const auto &[name, gw] : outs) {
        for (size_t i = 0; i < got.n; i++) {
            float g = gw.first[i], w = gw.second[i];
            if (!(std::fabs(g - w) <= 1e-4 * (std::fabs(w) + 1.0))) {
                std::snprintf(why, sizeof why,
                              "wrong result, not timed: %s[%zu] = %.9g, %s %.9g", name, i, g,
                              ref.name, w);
                return why;
            }
        }
    }
    for (int j = 0; j < N; j++) {
        float g = got.vec[j], w = want.vec[j];
        if (!(std::fabs(g - w) <= 1e-4 * (std::fabs(w) + 1.0))) {
            std::snprintf(why, sizeof why, "wrong result, not timed: bias/db[%d] = %.9g, %s %.9g",
                          j, g, ref.name, w);
            return why;
        }
    }
    if (!(std::fabs(got.loss - want.loss) <= 1e-4 * (std::fabs(want.loss) + 1.0))) {
        std::snprintf(why, sizeof why, "wrong result, not timed: loss %.9g, %s %.9g", got.loss,
                      ref.name, want.loss);
        return why;
    }
    for (int b = 0; b < B; b++) {
        if (got.pred[b] != want.pred[b]) {
            std::snprintf(why, sizeof why, "wrong result, not timed: pred[%d] = %d, %s %d", b,
                          got.pred[b], ref.name, want.pred[b]);
            return why;
        }
    }
    return "";
}

void bench_act(benchmark::State &st, const act_kernel &k, act_func f, int B, int N)
{
    st.SetLabel(k.name);
    std::string why = cannot_run(k.needs);
    if (!why.empty()) {
        st.SkipWithError(why.c_str());
        return;
    }
    char err[256];
    const act_kernel *ref = act_select("scalar", err, sizeof err);
    why = ref ? (ref == &k ? "" : act_check(k, *ref, f, B, N))
              : std::string("no reference to check against: ") + err;
    if (!why.empty()) {
        wrong_kernels.insert(std::string("act/") + k.name);
        st.SkipWithError(why.c_str());
        return;
    }
    act_operands a(B, N);
    for (auto _ : st) {
        act_call(k, f, a);
        benchmark::DoNotOptimize(a.x.get());
        benchmark::ClobberMemory();
    }
    st.SetBytesProcessed((int64_t)(act_bytes(f, a) * (double)st.iterations()));
    st.SetItemsProcessed((int64_t)a.n * st.iterations());
}

size_t n_params(const std::vector<int> &net)
{
    size_t n = 0;
    for (size_t l = 1; l < net.size(); l++)
        n += (size_t)net[l - 1] * net[l] + net[l];
    return n;
}

void register_act(bool quick)
{
    /* Sizes per function, the first is the one --quick keeps: B x N for the
     * row-wise ones (N = C for the softmax pair), n_params for the optimizers. */
    const std::vector<std::vector<int64_t>> rows = {{32, 128}, {32, 10}, {256, 1024}};
    const std::vector<std::vector<int64_t>> logits = {{32, 10}, {256, 10}};
    std::vector<std::vector<int64_t>> params;
    for (const auto &net : NETS)
        params.push_back({(int64_t)n_params(net)});
    const struct {
        const char *name;
        act_func f;
        const std::vector<std::vector<int64_t>> &sizes;
    } funcs[] = {
        {"bias_act", act_func::bias_act, rows},
        {"relu_bwd", act_func::relu_bwd, rows},
        {"bias_grad", act_func::bias_grad, rows},
        {"softmax_xent", act_func::softmax_xent, logits},
        {"xent_bwd", act_func::xent_bwd, logits},
        {"sgd", act_func::sgd, params},
        {"adam", act_func::adam, params},
        {"ema", act_func::ema, params},
    };
    size_t n;
    const act_kernel *t = act_table(&n);
    for (size_t i = 0; i < n; i++) {
        const act_kernel *k = &t[i];
        for (const auto &fn : funcs) {
            const act_func f = fn.f;
            const bool flat = fn.sizes[0].size() == 1; /* one vector of n, B = 1 */
            auto *b = benchmark::RegisterBenchmark(
                (std::string("act/") + k->name + "/" + fn.name).c_str(),
                [k, f, flat](benchmark::State &st) {
                    bench_act(st, *k, f, flat ? 1 : (int)st.range(0),
                              (int)st.range(flat ? 0 : 1));
                });
            for (const auto &args : fn.sizes) {
                b->Args(args);
                if (quick)
                    break;
            }
            if (flat)
                b->ArgNames({"n"});
            else
                b->ArgNames({"B", "N"});
            with_stats(b, false);
        }
    }
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
