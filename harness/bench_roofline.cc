/* bench_roofline.cc: the limits a training step is held to, and the step itself.
 *
 *   peak/<isa>/threads:<n>             FP32 FMA peak (kernels/peak_*.c), GFLOPS;
 *                                      peak/bf16: vdpbf16ps's
 *   mem/<copy|triad>/threads:<n>/n:<floats>
 *                                      STREAM over three arrays of n floats
 *                                      (kernels/stream.c), bytes_per_second by
 *                                      STREAM's count
 *   step/<kernel>/threads:<n>/<net>/B:<batch>
 *                                      one mlp_train_step (gather, forward,
 *                                      backward, Adam with the weight average: the
 *                                      recipe of experiments/mnist.ini) on a
 *                                      synthetic data set, GFLOPS (the step's GEMM
 *                                      flops as mlp.c counts them) and images/s
 *
 * Together they are the roofline of a training step: `./experiment train
 * --profile` splits one real run's step into phases against the same peak and
 * triad; these rows compare whole steps across kernels, thread counts, nets and
 * batches in one run.  harness/tools/bench-report.sh turns them into mem.csv and
 * step.csv. */
#include <cmath>
#include <cstring>

#include "bench.h"

extern "C" {
#include "config.h"
#include "mlp.h"
#include "peak.h"
}

namespace bench {

namespace {

/* Rounds of PEAK_CHAINS FMAs per call of a peak function: about 0.2 ms on one core. */
const long PEAK_ITERS = 1L << 16;

/* STREAM sizes, floats per array: 1 MiB (past a 1 MiB L2, inside L3) and 32 MiB
 * (past L3: memory).  --quick keeps the second. */
const std::vector<int64_t> MEM_FLOATS = {1 << 18, 1 << 23};

/* Nets and batches of the step rows; `naive` runs the small net only (a step of
 * the wide one takes it seconds).  --quick keeps the first. */
const std::vector<std::pair<size_t, int64_t>> STEP_CASES = {{0, 32}, {0, 128}, {1, 128}};
/* Images of the synthetic data set the steps draw their batches from. */
const int STEP_IMAGES = 4096;

void bench_peak(benchmark::State &st, const char *isa, unsigned needs,
                double (*peak)(long, int), int threads)
{
    if (!label_and_check(st, isa, needs))
        return;
    double flops = 0;
    for (auto _ : st) {
        flops = peak(PEAK_ITERS, threads);
        benchmark::DoNotOptimize(flops);
    }
    st.counters["threads"] = threads;
    st.counters["GFLOPS"] =
        benchmark::Counter(1e-9 * flops, benchmark::Counter::kIsIterationInvariantRate);
}

void bench_mem(benchmark::State &st, stream_op op, const char *name, int threads)
{
    st.SetLabel(name);
    const size_t n = (size_t)st.range(0);
    buffer<float> a = aligned<float>(n), b = aligned<float>(n), c = aligned<float>(n);
    kernels_stream_pass(STREAM_FIRST_TOUCH, a.get(), b.get(), c.get(), n, threads);
    for (auto _ : st) {
        kernels_stream_pass(op, a.get(), b.get(), c.get(), n, threads);
        benchmark::ClobberMemory();
    }
    st.counters["threads"] = threads;
    st.SetBytesProcessed((int64_t)(kernels_stream_bytes(op, n) * (double)st.iterations()));
}

/* The model, optimizer and synthetic data of a step row: STEP_IMAGES images of
 * uniform pixel bytes (and their floats, as the loader makes them) with uniform
 * labels, batches taken in turn from a shuffled order, the next batch's rows
 * handed to the gather to prefetch, as an epoch of the trainer takes them. */
struct step_setup {
    mlp_model m{};
    mlp_opt o{};
    buffer<float> x;
    std::vector<uint8_t> px, y;
    std::vector<int> order;
    bool made = false;
    char err[256] = "";

    step_setup(const std::vector<int> &net, int B, const gemm_kernel *gemm, const act_kernel *ak)
        : x(aligned<float>((size_t)STEP_IMAGES * net[0])), px((size_t)STEP_IMAGES * net[0]),
          y(STEP_IMAGES), order(STEP_IMAGES)
    {
        cfg c;
        cfg_defaults(&c);
        if (cfg_set_key(&c, "train", "optimizer", "adam", err, sizeof err) ||
            cfg_set_key(&c, "train", "ema", "0.999", err, sizeof err))
            return;
        o = mlp_opt_from_cfg(&c);
        if (mlp_create(&m, (int)net.size(), net.data(), B, gemm, ak, err, sizeof err))
            return;
        made = true;
        rng_state r;
        rng_seed(&r, 42);
        mlp_init_he(&m, &r);
        for (size_t i = 0; i < px.size(); i++) {
            px[i] = (uint8_t)rng_below(&r, 256);
            x[i] = px[i] / KERNELS_PIXEL_SCALE;
        }
        for (int i = 0; i < STEP_IMAGES; i++) {
            y[i] = (uint8_t)rng_below(&r, (uint32_t)net.back());
            order[i] = i;
        }
        for (int i = STEP_IMAGES - 1; i > 0; i--)
            std::swap(order[i], order[rng_below(&r, (uint32_t)i + 1)]);
    }
    ~step_setup()
    {
        if (made)
            mlp_free(&m);
    }
    step_setup(const step_setup &) = delete;
    step_setup &operator=(const step_setup &) = delete;

    mlp_batch batch(long step, int B) const
    {
        const int per_pass = STEP_IMAGES / B;
        const int *rows = order.data() + (size_t)(step % per_pass) * B;
        const bool last = step % per_pass == per_pass - 1;
        return {x.get(), y.data(), m.sizes[0], rows, px.data(), last ? nullptr : rows + B, B};
    }
};

void bench_step(benchmark::State &st, const gemm_kernel &k, int threads,
                const std::vector<int> &net, int B)
{
    if (!label_and_check(st, k.name, k.needs))
        return;
    char err[256];
    const act_kernel *ak = act_select("auto", err, sizeof err);
    if (!ak) {
        st.SkipWithError(err);
        return;
    }
    kernels_set_threads(threads);
    const bool was_flushing = kernels_flush_denormals(true); /* as the trainer runs */
    step_setup s(net, B, &k, ak);
    if (!s.made) {
        kernels_flush_denormals(was_flushing);
        st.SkipWithError(s.err);
        return;
    }
    /* One profiled step first: its flops (mlp.c's count) make the GFLOPS
     * counter, and a loss that is not finite says the step is broken. */
    mlp_profile prof{};
    prof.last = now_seconds();
    mlp_batch b = s.batch(0, B);
    const double loss = mlp_train_step(&s.m, &b, B, &s.o, &prof);
    double flops = 0;
    for (double f : prof.flops)
        flops += f;
    if (!std::isfinite(loss)) {
        kernels_flush_denormals(was_flushing);
        st.SkipWithError("the first step's loss is not finite");
        return;
    }
    long step = 1;
    for (auto _ : st) {
        b = s.batch(step++, B);
        benchmark::DoNotOptimize(mlp_train_step(&s.m, &b, B, &s.o, nullptr));
    }
    kernels_flush_denormals(was_flushing);
    st.counters["threads"] = threads;
    st.counters["GFLOPS"] =
        benchmark::Counter(1e-9 * flops, benchmark::Counter::kIsIterationInvariantRate);
    st.SetItemsProcessed((int64_t)B * st.iterations());
}

} // namespace

void register_peak(int all_threads)
{
    const struct {
        const char *isa;
        unsigned needs;
        double (*fn)(long, int);
    } isas[] = {{"avx2", CPU_AVX2 | CPU_FMA, peak_fma_avx2},
                {"avx512", CPU_AVX512F, peak_fma_avx512},
                {"bf16", CPU_AVX512F | CPU_AVX512BF16, peak_dp_bf16}};
    for (const auto &p : isas) {
        std::vector<int> counts = {1};
        if (all_threads > 1)
            counts.push_back(all_threads);
        for (int t : counts) {
            auto *b = benchmark::RegisterBenchmark(
                (std::string("peak/") + p.isa + "/threads:" + std::to_string(t)).c_str(),
                [p, t](benchmark::State &st) { bench_peak(st, p.isa, p.needs, p.fn, t); });
            with_stats(b, t > 1);
        }
    }
}

void register_mem(int all_threads, bool quick)
{
    const std::pair<stream_op, const char *> ops[] = {{STREAM_COPY, "copy"},
                                                      {STREAM_TRIAD, "triad"}};
    std::vector<int> counts = {1};
    if (all_threads > 1)
        counts.push_back(all_threads);
    for (const auto &[op, name] : ops)
        for (int t : counts) {
            auto *b = benchmark::RegisterBenchmark(
                (std::string("mem/") + name + "/threads:" + std::to_string(t)).c_str(),
                [op = op, name = name, t](benchmark::State &st) { bench_mem(st, op, name, t); });
            for (int64_t n : MEM_FLOATS)
                if (!quick || n == MEM_FLOATS.back())
                    b->Arg(n);
            b->ArgName("n");
            with_stats(b, true);
        }
}

/* Every table kernel on 1 thread, and a threaded one also on all threads: the
 * trainer's team for omp, the kernel's own threads for a reference library. */
void register_step(int all_threads, bool quick)
{
    size_t n;
    const gemm_kernel *t = gemm_table(&n);
    for (size_t i = 0; i < n; i++) {
        const gemm_kernel &k = t[i];
        std::vector<int> counts = {1};
        if ((k.flags & KERNEL_THREADED) && all_threads > 1)
            counts.push_back(all_threads);
        for (const auto &[net_i, B] : STEP_CASES) {
            const std::vector<int> &net = NETS[net_i];
            if (std::strcmp(k.name, "naive") == 0 && net_i != 0)
                continue;
            for (int threads : counts) {
                const int batch = (int)B;
                auto *b = benchmark::RegisterBenchmark(
                    ("step/" + std::string(k.name) + "/threads:" + std::to_string(threads) + "/" +
                     net_name(net) + "/B:" + std::to_string(B))
                        .c_str(),
                    [&k, threads, &net, batch](benchmark::State &st) {
                        bench_step(st, k, threads, net, batch);
                    });
                with_stats(b, true);
            }
            if (quick)
                break;
        }
    }
}

} // namespace bench
