/* test_mlp.c: the MLP through every kernel set this CPU runs: a finite-difference
 * gradient check, optimizer steps against hand-computed values, loss curves
 * against naive's, and a short training run that must learn a synthetic task. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "train.h"

/* The kernel sets: every runnable gemm with the scalar activations, and every
 * runnable activation set with naive gemm. */
typedef struct {
    const gemm_kernel *g;
    const act_kernel *a;
} kernel_set;

static int kernel_sets(kernel_set *out, int max) {
    size_t ng, na;
    const gemm_kernel *g = gemm_table(&ng);
    const act_kernel *a = act_table(&na);
    int n = 0;
    for (size_t i = 0; i < ng && n < max; i++)
        if (kernel_runs_here(g[i].needs)) out[n++] = (kernel_set){&g[i], &a[0]};
    for (size_t j = 1; j < na && n < max; j++)
        if (kernel_runs_here(a[j].needs)) out[n++] = (kernel_set){&g[0], &a[j]};
    return n;
}

static void make_model(mlp_model *m, const int *sizes, int n_sizes, int batch, kernel_set k,
                       uint64_t seed) {
    char err[256];
    cr_assert_eq(mlp_create(m, n_sizes, sizes, batch, k.g, k.a, err, sizeof err), 0, "%s", err);
    rng_state r;
    rng_seed(&r, seed);
    mlp_init_he(m, &r);
    /* Nonzero biases, so that their gradients are checked through real values. */
    for (int l = 0; l < m->n_layers; l++)
        for (int j = 0; j < sizes[l + 1]; j++) m->b[l][j] = (float)(0.1 * (rng_uniform(&r) - 0.5));
}

static double mean_loss(mlp_model *m, const float *X, const uint8_t *y, int B) {
    return mlp_forward(m, X, (mlp_span){0, m->sizes[0]}, y, B) / B;
}

/* Central differences of the mean loss, one parameter at a time (kann's
 * kad_check_grad, but failing the test instead of printing).  A KERNEL_BF16 GEMM
 * rounds the weights to bf16 (spacing 2^-9 near 0.3), which a step of 1e-3 often
 * does not move: its gradient is held to naive's instead, within 2%, about four
 * times what the rounding of a 5-4-3 network's operands gives. */
Test(mlp, gradient_matches_finite_differences) {
    const int sizes[] = {5, 4, 3}, B = 2;
    const float X[] = {0.5f, -1.0f, 0.25f, 2.0f, -0.75f, 1.5f, 0.3f, -0.2f, 0.9f, -1.1f};
    const uint8_t y[] = {2, 0};
    kernel_set sets[16];
    int n = kernel_sets(sets, 16);
    cr_assert_geq(n, 1);
    float *ref = NULL; /* naive's gradient (sets[0]) */
    for (int s = 0; s < n; s++) {
        mlp_model m;
        make_model(&m, sizes, 3, B, sets[s], 11);
        mean_loss(&m, X, y, B);
        mlp_backward(&m, X, (mlp_span){0, 5}, y, B);
        if (s == 0) {
            ref = xmalloc(m.n_params * sizeof *ref);
            memcpy(ref, m.grads, m.n_params * sizeof *ref);
        }
        if (sets[s].g->flags & KERNEL_BF16) {
            for (size_t i = 0; i < m.n_params; i++)
                cr_assert_leq(fabs(m.grads[i] - ref[i]), 1e-3 + 2e-2 * fabs(ref[i]),
                              "gemm %s: parameter %zu: backward %g, naive's %g", sets[s].g->name, i,
                              (double)m.grads[i], (double)ref[i]);
            mlp_free(&m);
            continue;
        }
        const float eps = 1e-3f;
        for (size_t i = 0; i < m.n_params; i++) {
            float saved = m.params[i];
            m.params[i] = saved + eps;
            double up = mean_loss(&m, X, y, B);
            m.params[i] = saved - eps;
            double down = mean_loss(&m, X, y, B);
            m.params[i] = saved;
            double numeric = (up - down) / (2 * eps), analytic = m.grads[i];
            cr_assert_leq(fabs(numeric - analytic), 2e-3 + 1e-2 * fabs(analytic),
                          "gemm %s, activation %s: parameter %zu: backward %g, finite difference %g",
                          sets[s].g->name, sets[s].a->name, i, analytic, numeric);
        }
        mlp_free(&m);
    }
    free(ref);
}

/* Backward writes the gradients: whatever grads held before (NaN here) is
 * overwritten, and a second pass gives the same values, not twice them. */
Test(mlp, backward_overwrites) {
    const int sizes[] = {5, 4, 3};
    const float X[] = {0.5f, -1.0f, 0.25f, 2.0f, -0.75f};
    const uint8_t y[] = {1};
    kernel_set sets[16];
    int n = kernel_sets(sets, 16);
    for (int s = 0; s < n; s++) {
        mlp_model m;
        make_model(&m, sizes, 3, 1, sets[s], 3);
        for (size_t i = 0; i < m.n_params; i++) m.grads[i] = NAN;
        mlp_forward(&m, X, (mlp_span){0, 5}, y, 1);
        mlp_backward(&m, X, (mlp_span){0, 5}, y, 1);
        float *once = malloc(m.n_params * sizeof(float));
        memcpy(once, m.grads, m.n_params * sizeof(float));
        mlp_backward(&m, X, (mlp_span){0, 5}, y, 1);
        for (size_t i = 0; i < m.n_params; i++) {
            cr_assert(isfinite(once[i]), "gemm %s: grads[%zu] kept its NaN", sets[s].g->name, i);
            cr_assert_eq(m.grads[i], once[i], "gemm %s: grads[%zu]: %g, then %g", sets[s].g->name, i,
                         once[i], m.grads[i]);
        }
        free(once);
        mlp_free(&m);
    }
}

/* The input span: over inputs that are zero outside columns [2, 6) of 9, the
 * span {2, 6} gives full's probabilities (to rounding: the GEMMs sum fewer zero
 * terms) and gradients, with exact zeros in the first layer's rows outside it
 * (over grads that held NaN), through every kernel set. */
Test(mlp, input_span_skips_only_zero_columns) {
    enum { D = 9, B = 3 };
    const int sizes[] = {D, 6, 4};
    float X[B * D] = {0};
    const uint8_t y[B] = {0, 3, 1};
    rng_state r;
    rng_seed(&r, 21);
    for (int b = 0; b < B; b++)
        for (int k = 2; k < 6; k++) X[b * D + k] = (float)(rng_uniform(&r) - 0.3);
    kernel_set sets[16];
    int n = kernel_sets(sets, 16);
    for (int s = 0; s < n; s++) {
        mlp_model m;
        make_model(&m, sizes, 3, B, sets[s], 8);
        size_t np = m.n_params;
        float *full = malloc(np * sizeof(float)), probs[B * 4];
        double loss_full = mlp_forward(&m, X, (mlp_span){0, D}, y, B);
        memcpy(probs, m.probs, sizeof probs);
        mlp_backward(&m, X, (mlp_span){0, D}, y, B);
        memcpy(full, m.grads, np * sizeof(float));
        for (size_t i = 0; i < np; i++) m.grads[i] = NAN;
        double loss = mlp_forward(&m, X, (mlp_span){2, 6}, y, B);
        mlp_backward(&m, X, (mlp_span){2, 6}, y, B);
        const char *g = sets[s].g->name, *a = sets[s].a->name;
        cr_assert_float_eq(loss, loss_full, 1e-5, "gemm %s, activation %s: loss %g, full %g", g, a,
                           loss, loss_full);
        for (int i = 0; i < B * 4; i++)
            cr_assert_float_eq(m.probs[i], probs[i], 1e-6, "gemm %s, activation %s: probs[%d]", g,
                               a, i);
        for (size_t i = 0; i < np; i++) {
            int row = m.grads + i < m.gb[0] ? (int)((size_t)(m.grads + i - m.gw[0]) / 6) : -1;
            if (row >= 0 && (row < 2 || row >= 6))
                cr_assert(m.grads[i] == 0.0f, "gemm %s, activation %s: gW row %d: %g, want 0", g, a,
                          row, m.grads[i]);
            else
                cr_assert_float_eq(m.grads[i], full[i], 1e-6,
                                   "gemm %s, activation %s: grads[%zu]: %g, full %g", g, a, i,
                                   m.grads[i], full[i]);
        }
        free(full);
        mlp_free(&m);
    }
}

/* The trainer's spans: each row's, found in runs of 16 floats from either end,
 * and their union over a batch.  Rows whose nonzeros sit on either side of a
 * run's edge (columns 15, 16, 23 and 24 of 40), at both ends of the row, or
 * nowhere (row 3) train (one batch of all five rows) and evaluate (one row at a
 * time, so that each row's own span is used) as with the full span. */
Test(mlp, trainer_spans_cover_every_row) {
    enum { N = 5, D = 40 };
    const int sizes[] = {D, 6, 4};
    float X[N * D] = {0};
    const uint8_t y[N] = {0, 3, 1, 2, 0};
    X[0 * D + 15] = 0.8f;
    X[1 * D + 16] = -0.5f;
    X[2 * D + 23] = 0.25f;
    X[2 * D + 24] = 0.75f;
    X[4 * D + 0] = 1.0f;
    X[4 * D + 39] = -0.25f;
    data_view all = {.n = N, .d = D, .x = X, .y = y};
    const mlp_span full = {0, D};
    mlp_opt opt = {.kind = OPT_SGD, .lr = 0.5f};
    kernel_set sets[16];
    int n = kernel_sets(sets, 16);
    for (int s = 0; s < n; s++) {
        mlp_model fit, ref;
        make_model(&fit, sizes, 3, N, sets[s], 4);
        make_model(&ref, sizes, 3, N, sets[s], 4);
        rng_state r;
        rng_seed(&r, 1);
        train_opts o = {.epochs = 1, .batch = N, .rng = &r, .opt = opt};
        epoch_stats hist[1];
        char err[256];
        cr_assert_eq(train_fit(&fit, all, (data_view){0}, &o, hist, NULL, err, sizeof err), 0, "%s", err);
        /* the batch's row order does not change the mean gradient beyond rounding */
        double loss = mlp_forward(&ref, X, full, y, N);
        mlp_backward(&ref, X, full, y, N);
        mlp_step(&ref, &opt);
        const char *g = sets[s].g->name, *a = sets[s].a->name;
        cr_assert_float_eq(hist[0].train_loss, loss / N, 1e-6, "gemm %s, activation %s", g, a);
        for (size_t i = 0; i < ref.n_params; i++)
            cr_assert_float_eq(fit.params[i], ref.params[i], 1e-6,
                               "gemm %s, activation %s: params[%zu]: %g, want %g", g, a, i,
                               fit.params[i], ref.params[i]);
        mlp_model small;
        make_model(&small, sizes, 3, 1, sets[s], 4);
        memcpy(small.params, ref.params, ref.n_params * sizeof(float));
        eval_result e;
        train_evaluate(&small, all, &e, NULL);
        loss = mlp_forward(&ref, X, full, y, N) / N;
        cr_assert_float_eq(e.loss, loss, 1e-6, "gemm %s, activation %s: evaluation loss %g, want %g",
                           g, a, e.loss, loss);
        mlp_free(&fit);
        mlp_free(&ref);
        mlp_free(&small);
    }
}

/* One step of each optimizer from a known gradient, against Keras' formulas
 * worked by hand for a parameter 1.0 with gradient 0.5. */
Test(mlp, optimizer_steps_by_hand) {
    const int sizes[] = {1, 1};
    kernel_set sets[16];
    int n = kernel_sets(sets, 16);
    for (int s = 0; s < n; s++) {
        mlp_model m;
        char err[256];
        cr_assert_eq(mlp_create(&m, 2, sizes, 1, sets[s].g, sets[s].a, err, sizeof err), 0);
        /* params: w = 1.0, b = -2.0; grads 0.5 and -0.25 */
        struct { mlp_opt o; float w1, w2; } cases[] = {
            /* sgd: w - lr*g */
            {{.kind = OPT_SGD, .lr = 0.1f}, 0.95f, 0.90f},
            /* momentum 0.9: v1 = -0.05, w1 = 0.95; v2 = -0.045 - 0.05 = -0.095, w2 = 0.855 */
            {{.kind = OPT_MOMENTUM, .lr = 0.1f, .momentum = 0.9f}, 0.95f, 0.855f},
            /* adam: m1 = 0.05, v1 = 0.00025, step lr*sqrt(1-b2)/(1-b1) * m/(sqrt(v)+eps)
             * = 0.1 * 0.0316228/0.1 * 0.05/(0.0158114+1e-7) = 0.0999994 -> 0.9000006;
             * t=2: m = 0.095, v = 0.00049975, lr_t = 0.1*sqrt(0.001999)/0.19 = 0.0235321,
             * step = 0.0235321 * 0.095/(0.0223551+1e-7) = 0.0999995 -> 0.8000011 */
            {{.kind = OPT_ADAM, .lr = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f},
             0.9000006f, 0.8000011f},
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            memset(m.state1, 0, 2 * sizeof(float));
            memset(m.state2, 0, 2 * sizeof(float));
            m.step = 0;
            m.params[0] = 1.0f;
            m.params[1] = -2.0f;
            for (int t = 0; t < 2; t++) {
                m.grads[0] = 0.5f;
                m.grads[1] = -0.25f;
                mlp_step(&m, &cases[c].o);
                cr_assert_float_eq(m.params[0], t ? cases[c].w2 : cases[c].w1, 2e-6,
                                   "activation %s, optimizer %d, step %d: w = %.7f", sets[s].a->name,
                                   (int)cases[c].o.kind, t + 1, m.params[0]);
            }
        }
        mlp_free(&m);
    }
}

/* A synthetic task: class k lights up inputs 3k..3k+2, plus noise. */
#define SYN_D 16
#define SYN_C 4
#define SYN_N 256
static void synthetic(float *x, uint8_t *y, uint64_t seed) {
    rng_state r;
    rng_seed(&r, seed);
    for (int i = 0; i < SYN_N; i++) {
        y[i] = (uint8_t)(i % SYN_C);
        for (int j = 0; j < SYN_D; j++) x[i * SYN_D + j] = (float)(0.3 * rng_uniform(&r));
        for (int j = 0; j < 3; j++) x[i * SYN_D + 3 * y[i] + j] += 0.7f;
    }
}

static double train_synthetic(kernel_set k, int epochs, epoch_stats *hist, double *test_acc) {
    static float x[SYN_N * SYN_D];
    static uint8_t y[SYN_N];
    synthetic(x, y, 5);
    const int sizes[] = {SYN_D, 12, 8, SYN_C};
    mlp_model m;
    make_model(&m, sizes, 4, 64, k, 9);
    rng_state r;
    rng_seed(&r, 1);
    train_opts o = {.epochs = epochs, .batch = 16, .rng = &r,
                    .opt = {.kind = OPT_ADAM, .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f}};
    data_view train = {.n = 192, .d = SYN_D, .x = x, .y = y};
    data_view val = {.n = 64, .d = SYN_D, .x = x + 192 * SYN_D, .y = y + 192};
    char err[256];
    cr_assert_eq(train_fit(&m, train, val, &o, hist, NULL, err, sizeof err), 0, "%s", err);
    eval_result res;
    train_evaluate(&m, val, &res, NULL);
    *test_acc = res.acc;
    mlp_free(&m);
    return hist[epochs - 1].train_loss;
}

Test(mlp, learns_synthetic_task_perfectly) {
    kernel_set sets[16];
    int n = kernel_sets(sets, 16);
    for (int s = 0; s < n; s++) {
        epoch_stats hist[30];
        double acc;
        train_synthetic(sets[s], 30, hist, &acc);
        cr_assert_eq(acc, 1.0, "gemm %s, activation %s: held-out accuracy %.4f", sets[s].g->name,
                     sets[s].a->name, acc);
        cr_assert_eq(hist[29].train_acc, 1.0);
        cr_assert_lt(hist[29].train_loss, hist[0].train_loss / 10);
    }
}

/* llm.c's test_gpt2 idea: each kernel set's loss curve follows naive's, within
 * 0.1% (1% for a KERNEL_BF16 GEMM, whose rounding of the operands moves the
 * whole trajectory: 0.13% by the third epoch measured on Zen 5). */
Test(mlp, loss_curves_match_naive) {
    kernel_set sets[16];
    int n = kernel_sets(sets, 16);
    epoch_stats ref[5], got[5];
    double acc;
    train_synthetic(sets[0], 5, ref, &acc);
    for (int s = 1; s < n; s++) {
        train_synthetic(sets[s], 5, got, &acc);
        for (int e = 0; e < 5; e++)
            cr_assert_leq(fabs(got[e].train_loss - ref[e].train_loss),
                          (sets[s].g->flags & KERNEL_BF16 ? 1e-2 : 1e-3) * ref[e].train_loss,
                          "gemm %s, activation %s, epoch %d: loss %.7f, naive %.7f", sets[s].g->name,
                          sets[s].a->name, e + 1, got[e].train_loss, ref[e].train_loss);
    }
}

/* The optimizer step runs on every thread (kernels_parallel_for) for a model of
 * 101,770 parameters: params, moments and average bit-identical for 1-4 threads,
 * for each optimizer, with weight averaging. */
Test(mlp, step_is_bit_identical_for_1_to_4_threads) {
    const int sizes[] = {784, 128, 10};
    char err[256];
    kernel_set k = {gemm_select("naive", err, sizeof err), act_select("auto", err, sizeof err)};
    const mlp_opt opts[] = {
        {.kind = OPT_SGD, .lr = 0.1f, .ema = 0.99f},
        {.kind = OPT_MOMENTUM, .lr = 0.1f, .momentum = 0.9f, .ema = 0.99f},
        {.kind = OPT_ADAM, .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f, .ema = 0.99f},
    };
    for (size_t o = 0; o < sizeof opts / sizeof opts[0]; o++) {
        float *want = NULL;
        for (int t = 1; t <= 4; t++) {
            kernels_set_threads(t);
            mlp_model m;
            make_model(&m, sizes, 3, 1, k, 5);
            rng_state r;
            rng_seed(&r, 9);
            for (int step = 0; step < 3; step++) {
                for (size_t i = 0; i < m.n_params; i++) m.grads[i] = (float)(rng_uniform(&r) - 0.5);
                mlp_step(&m, &opts[o]);
            }
            size_t n = m.n_params;
            float *got = xmalloc(4 * n * sizeof(float));
            memcpy(got, m.params, n * sizeof(float));
            memcpy(got + n, m.state1, n * sizeof(float));
            memcpy(got + 2 * n, m.state2, n * sizeof(float));
            memcpy(got + 3 * n, m.avg, n * sizeof(float));
            if (!want)
                want = got;
            else {
                for (size_t i = 0; i < 4 * n; i++)
                    cr_assert(memcmp(&got[i], &want[i], sizeof(float)) == 0,
                              "optimizer %zu, %d threads: %s[%zu] = %.9g, 1 thread %.9g", o, t,
                              (const char *[]){"params", "state1", "state2", "avg"}[i / n], i % n,
                              got[i], want[i]);
                free(got);
            }
            mlp_free(&m);
        }
        free(want);
    }
    kernels_set_threads(0);
}

static void count_call(size_t lo, size_t hi, void *ctx) {
    atomic_int *calls = ctx;
    atomic_fetch_add(&calls[0], 1);
    if (lo == 0 && hi == 100000) atomic_fetch_add(&calls[1], 1);
}

/* Beside a GEMM with a thread pool of its own (openblas) the trainer's
 * elementwise work stays on the calling thread; beside omp it is split. */
Test(mlp, parallel_for_keeps_one_thread_beside_an_own_pool) {
    const int sizes[] = {4, 2};
    char err[256];
    kernels_set_threads(2);
#ifdef _OPENMP
    const int threads = 2;
#else
    const int threads = 1; /* NO_OMP=1: kernels_parallel_for runs one call */
#endif
    const char *names[] = {"openblas", "omp"};
    for (int g = 0; g < 2; g++) {
        kernel_set k = {gemm_select(names[g], err, sizeof err), act_select("scalar", err, sizeof err)};
        cr_assert_not_null(k.g, "%s", err);
        mlp_model m;
        make_model(&m, sizes, 2, 1, k, 1);
        atomic_int calls[2] = {0, 0};
        mlp_parallel_for(&m, 100000, 16, count_call, calls);
        if (k.g->flags & KERNEL_OWN_POOL)
            cr_assert(calls[0] == 1 && calls[1] == 1, "%s: %d calls, want one over all", names[g],
                      (int)calls[0]);
        else
            cr_assert_eq(calls[0], threads, "%s: %d calls on %d threads", names[g], (int)calls[0],
                         threads);
        mlp_free(&m);
    }
    kernels_set_threads(0);
}

Test(mlp, divergence_is_reported) {
    kernel_set k;
    kernel_sets(&k, 1);
    static float x[SYN_N * SYN_D];
    static uint8_t y[SYN_N];
    synthetic(x, y, 5);
    const int sizes[] = {SYN_D, 8, SYN_C};
    mlp_model m;
    make_model(&m, sizes, 3, 16, k, 9);
    rng_state r;
    rng_seed(&r, 1);
    train_opts o = {.epochs = 1, .batch = 16, .rng = &r, .opt = {.kind = OPT_SGD, .lr = 1e30f}};
    epoch_stats hist[1];
    char err[256];
    cr_assert_eq(train_fit(&m, (data_view){.n = SYN_N, .d = SYN_D, .x = x, .y = y}, (data_view){0}, &o, hist, NULL, err,
                           sizeof err), 1);
    cr_assert(strstr(err, "diverged"), "%s", err);
    mlp_free(&m);
}
