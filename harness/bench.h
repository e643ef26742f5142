/* bench.h: what the files of ./bench share (bench.cc: the GEMM and activation
 * families, context and main; bench_roofline.cc: the limits a training step is
 * held to and the step itself).  C++17; included by those files only. */
#ifndef BENCH_H
#define BENCH_H

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "kernels.h"
}

namespace bench {

/* The MLPs whose layer shapes and training steps are timed (inputs, hidden...,
 * classes). */
inline const std::vector<std::vector<int>> NETS = {{784, 128, 64, 10}, {784, 1024, 1024, 10}};

/* "784-128-64-10" */
inline std::string net_name(const std::vector<int> &net)
{
    std::string s;
    for (int d : net)
        s += (s.empty() ? "" : "-") + std::to_string(d);
    return s;
}

/* Rows (gemm/<kernel>[/threads:<n>], act/<set>) that disagreed with the reference:
 * the exit status is then 1. */
inline std::set<std::string> wrong_kernels;

struct free_delete {
    void operator()(void *p) const { std::free(p); }
};
template <class T> using buffer = std::unique_ptr<T[], free_delete>;

/* n elements of T, 64-byte aligned; exits naming the size when memory runs out. */
template <class T> buffer<T> aligned(size_t n)
{
    size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, bytes ? bytes : 64);
    if (!p) {
        std::fprintf(stderr, "bench: out of memory allocating %zu bytes (aligned)\n", bytes);
        std::exit(1);
    }
    return buffer<T>(static_cast<T *>(p));
}

/* Uniform floats in [lo, hi) from xorshift64 seeded by `seed`: the same seed
 * gives the same operands to a kernel and to its reference. */
inline void fill(float *x, size_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = lo + (hi - lo) * (float)((double)(s >> 40) / (double)(1u << 24));
    }
}

inline std::string features(unsigned mask)
{
    char buf[128];
    cpu_features_str(mask, buf, sizeof buf);
    return buf;
}

/* "" when this CPU runs a kernel that needs `needs`, else the reason. */
inline std::string cannot_run(unsigned needs)
{
    if (kernel_runs_here(needs))
        return "";
    return "needs " + features(needs) + "; this CPU has " + features(cpu_features());
}

/* Labels a row with `label` and, when this CPU cannot run what needs `needs`,
 * skips it with the reason: false then, and the row must return. */
inline bool label_and_check(benchmark::State &st, const char *label, unsigned needs)
{
    st.SetLabel(label);
    std::string why = cannot_run(needs);
    if (why.empty())
        return true;
    st.SkipWithError(why.c_str());
    return false;
}

/* Every benchmark reports a `min` next to Google Benchmark's mean/median/stddev/cv:
 * the best of the repetitions, as BLIS quotes it.  Threaded rows are timed in
 * real time (the CPU time of the calling thread would miss the others'). */
inline benchmark::internal::Benchmark *with_stats(benchmark::internal::Benchmark *b,
                                                  bool real_time)
{
    b->ComputeStatistics("min", [](const std::vector<double> &v) {
        return *std::min_element(v.begin(), v.end());
    });
    if (real_time)
        b->UseRealTime();
    return b;
}

/* bench_roofline.cc: peak/<isa>/threads:<n> (the FP32 FMA peak), mem/<copy|triad>/
 * threads:<n>/n:<floats> (STREAM) and step/<kernel>/threads:<n>/<net>/B:<batch>
 * (one whole training step).  --quick keeps one size of each. */
void register_peak(int all_threads);
/* bench_act.cc: act/<set>/<function>/... */
void register_act(bool quick);
void register_mem(int all_threads, bool quick);
void register_step(int all_threads, bool quick);

} // namespace bench

#endif
