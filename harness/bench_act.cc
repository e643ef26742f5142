/* bench_act.cc: the act/<set>/<function>/... rows of ./bench: every function of
 * every activation set at the trainer's sizes, checked against `scalar` on the
 * same operands before it is timed (a set that disagrees is reported, never
 * timed), with bytes and elements per second. */
#include <cmath>
#include <cstring>

#include "bench.h"

namespace bench {

namespace {

constexpr int WARP_PAD = 2; /* the augmentation's border (harness/augment.c) */

enum class act_func { bias_act, relu_bwd, bias_grad, softmax_xent, xent_bwd, sgd, adam, ema, warp };

/* The operands of one act_func call: B x N for the row-wise functions (N = C
 * for the softmax pair), n = B*N; a flat vector of n for the optimizers (B = 1);
 * for warp, the source image with its border of WARP_PAD pixels. */
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
 *   adam(n, p=x, g=y, m=z, v=w)            ema(n, avg=x, p=y)
 *   warp(src=x, field y and z, out=w): a turn of 0.1 rad, a tenth larger, a
 *     shift of (1.5, -0.7) and the field scaled by 3, as the augmentation draws */
void act_call(const act_kernel &k, act_func f, act_operands &a)
{
    static const adam_params adam = {1e-3f, 0.9f, 0.999f, 1e-7f, 0.1f, 0.001f, 0.0f, 0.0f};
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
        k.sgd(a.n, a.x.get(), a.y.get(), a.z.get(), 0.01f, 0.9f, 0.0f);
        break;
    case act_func::adam:
        k.adam(a.n, a.x.get(), a.y.get(), a.z.get(), a.w.get(), nullptr, &adam);
        break;
    case act_func::ema:
        k.ema(a.n, a.x.get(), a.y.get(), 0.999f);
        break;
    case act_func::warp: {
        const int rows = a.B - 2 * WARP_PAD, cols = a.N - 2 * WARP_PAD;
        const float c = std::cos(0.1f) / 1.1f, s = std::sin(0.1f) / 1.1f;
        const warp_params w = {rows, cols, WARP_PAD, (rows - 1) / 2.0f, (cols - 1) / 2.0f,
                               c, s, -s, c, 1.5f, -0.7f, 3.0f, a.y.get(), a.z.get()};
        k.warp(&w, a.x.get(), a.w.get());
        break;
    }
    }
}

/* Output elements of one call: the image's pixels for warp, else n. */
double act_items(act_func f, const act_operands &a)
{
    return f == act_func::warp ? (double)(a.B - 2 * WARP_PAD) * (a.N - 2 * WARP_PAD) : (double)a.n;
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
    case act_func::warp: /* the source, the field, the image */
        return fl * (n + 3 * act_items(f, a));
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
    if (!label_and_check(st, k.name, k.needs))
        return;
    char err[256];
    const act_kernel *ref = act_select("scalar", err, sizeof err);
    std::string why = ref ? (ref == &k ? "" : act_check(k, *ref, f, B, N))
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
    st.SetItemsProcessed((int64_t)(act_items(f, a) * (double)st.iterations()));
}

size_t n_params(const std::vector<int> &net)
{
    size_t n = 0;
    for (size_t l = 1; l < net.size(); l++)
        n += (size_t)net[l - 1] * net[l] + net[l];
    return n;
}

} // namespace

void register_act(bool quick)
{
    /* Sizes per function, the first is the one --quick keeps: B x N for the
     * row-wise ones (N = C for the softmax pair), n_params for the optimizers,
     * the padded MNIST image for warp. */
    const std::vector<std::vector<int64_t>> rows = {{32, 128}, {32, 10}, {256, 1024}};
    const std::vector<std::vector<int64_t>> logits = {{32, 10}, {256, 10}};
    const std::vector<std::vector<int64_t>> image = {{28 + 2 * WARP_PAD, 28 + 2 * WARP_PAD}};
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
        {"warp", act_func::warp, image},
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


} // namespace bench
