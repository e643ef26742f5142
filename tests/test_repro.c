/* test_repro.c: a run is reproducible.  The same configuration, seed, kernels and
 * thread count train to bit-identical results (every epoch's losses and
 * accuracies, the test loss, accuracy, confusion matrix and predictions, and the
 * final weights; everything but the timings) on a second run, for every pair of
 * a GEMM kernel and an activation set this CPU runs (a pair it cannot run is
 * skipped, saying why).  And `omp`, which splits C among threads and never K,
 * trains to the same bits on 1 to 4 threads.  The data set is synthetic and in
 * memory; layer widths and batch sizes leave partial vectors, tiles and batches.
 * Three configurations: Adam with weight averaging, SGD with momentum, so that
 * every update kernel runs, and Adam with every regularizer, a schedule and
 * augmentation (their masks, clips and draws must not depend on the threads). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

enum { ROWS = 8, COLS = 9, N_TRAIN = 500, N_TEST = 300, EPOCHS = 2, THREADS = 2 };

static const char *const CONFIGS[] = {
    "train.optimizer=adam train.lr=0.003 train.ema=0.9",
    "train.optimizer=momentum train.lr=0.05 train.momentum=0.9",
    "train.optimizer=adam train.lr=0.003 train.dropout=0.3,0.2 train.max_norm=0.5 "
    "train.weight_decay=0.01 train.schedule=onecycle data.augment=affine",
};
#define N_CONFIGS (sizeof CONFIGS / sizeof *CONFIGS)

/* Everything a run produces but its timings. */
typedef struct {
    run_result r;
    size_t n_params;
    float *params;
} outcome;

/* Images whose label is the brightest pixel's row, over a pattern that differs
 * per image, as bytes and as the loader's floats; owned by the caller
 * (synthetic_free). */
static run_data synthetic(void) {
    run_data d = {.train = {.n = N_TRAIN, .rows = ROWS, .cols = COLS},
                  .test = {.n = N_TEST, .rows = ROWS, .cols = COLS}};
    int n = N_TRAIN + N_TEST, px = ROWS * COLS;
    float *x = malloc((size_t)n * px * sizeof *x);
    uint8_t *bytes = malloc((size_t)n * px), *y = malloc((size_t)n);
    cr_assert(x && bytes && y);
    for (int i = 0; i < n; i++) {
        y[i] = (uint8_t)((i * 7 + i / 13) % 10);
        int bright = y[i] * ROWS / 10 * COLS + i % COLS;
        for (int p = 0; p < px; p++) {
            size_t at = (size_t)i * px + p;
            bytes[at] = (uint8_t)(p == bright ? 255 : (p * 13 + i * 5) % 50);
            x[at] = bytes[at] / KERNELS_PIXEL_SCALE;
        }
    }
    d.train.x = x;
    d.train.px = bytes;
    d.train.y = y;
    d.test.x = x + (size_t)N_TRAIN * px;
    d.test.px = bytes + (size_t)N_TRAIN * px;
    d.test.y = y + N_TRAIN;
    return d;
}

static void synthetic_free(run_data *d) {
    free(d->train.x);
    free(d->train.px);
    free(d->train.y);
}

/* One run of configuration `config` (a list of key=value) on `threads` threads. */
static void train_once(const run_data *d, const gemm_kernel *g, const act_kernel *a, int threads,
                       const char *config, outcome *o) {
    char err[512], set[128];
    cfg c;
    cfg_defaults(&c);
    /* Widths that leave partial vectors and tiles, and products big enough for
     * omp to split and for the training team to split the first two layers by
     * columns (mlp.c: from 400000 multiply-adds), the second one's input
     * gradient too; the last layer runs on thread 0 alone.  400
     * training rows in batches of 24 end with a batch of 16; the 300 test rows are
     * an evaluation batch of 256 and one of 44. */
    cr_assert_eq(cfg_set(&c, "model.layers=72,300,200,10", err, sizeof err), 0, "%s", err);
    const char *fixed[] = {"data.val_split=0.2", "train.batch=24", "train.epochs=2", "experiment.seed=11"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        cr_assert_eq(cfg_set(&c, fixed[i], err, sizeof err), 0, "%s", err);
    for (const char *p = config; *p;) {
        size_t n = strcspn(p, " ");
        snprintf(set, sizeof set, "%.*s", (int)n, p);
        cr_assert_eq(cfg_set(&c, set, err, sizeof err), 0, "%s", err);
        p += n + (p[n] == ' ');
    }
    snprintf(set, sizeof set, "kernels.threads=%d", threads);
    cr_assert_eq(cfg_set(&c, set, err, sizeof err), 0, "%s", err);
    mlp_model m;
    rng_state rng;
    kernels_set_threads(threads);
    cr_assert_eq(run_model(&c, g, a, &m, &rng, err, sizeof err), 0, "%s", err);
    run_fit(&c, d, &m, &rng, NULL, NULL, NULL, &o->r);
    cr_assert_eq(o->r.status, RUN_OK, "gemm %s, activation %s: %s", g->name, a->name, o->r.why);
    o->n_params = m.n_params;
    o->params = malloc(m.n_params * sizeof *o->params);
    cr_assert(o->params);
    memcpy(o->params, m.params, m.n_params * sizeof *o->params);
    mlp_free(&m);
    kernels_set_threads(0);
}

/* The kernels `auto` picks on this CPU. */
static void auto_kernels(const gemm_kernel **g, const act_kernel **a) {
    char why[256];
    *g = gemm_select("auto", why, sizeof why);
    *a = act_select("auto", why, sizeof why);
    cr_assert(*g && *a, "%s", why);
}

static void outcome_free(outcome *o) {
    run_result_free(&o->r);
    free(o->params);
}

/* Bits, not values: -0 against +0 or two NaNs of other payloads differ too. */
static bool same_bits(double x, double y) { return !memcmp(&x, &y, sizeof x); }

/* what names the two runs in a failure. */
static void assert_same(const outcome *x, const outcome *y, const char *what) {
    static const char *const field[] = {"train_loss", "train_acc", "val_loss", "val_acc"};
    for (int e = 0; e < EPOCHS; e++) {
        const epoch_stats *a = &x->r.hist[e], *b = &y->r.hist[e];
        double va[] = {a->train_loss, a->train_acc, a->val_loss, a->val_acc},
               vb[] = {b->train_loss, b->train_acc, b->val_loss, b->val_acc};
        for (int f = 0; f < 4; f++)
            cr_assert(same_bits(va[f], vb[f]), "%s: epoch %d %s %a vs %a", what, e + 1, field[f],
                      va[f], vb[f]);
    }
    cr_assert(same_bits(x->r.test.loss, y->r.test.loss), "%s: test loss %a vs %a", what,
              x->r.test.loss, y->r.test.loss);
    cr_assert(same_bits(x->r.test.acc, y->r.test.acc), "%s: test accuracy", what);
    cr_assert_eq(memcmp(x->r.test.confusion, y->r.test.confusion, sizeof x->r.test.confusion), 0,
                 "%s: confusion matrix", what);
    cr_assert_eq(memcmp(x->r.pred, y->r.pred, N_TEST), 0, "%s: test predictions", what);
    cr_assert_eq(x->n_params, y->n_params);
    for (size_t i = 0; i < x->n_params; i++)
        cr_assert_eq(memcmp(&x->params[i], &y->params[i], sizeof *x->params), 0,
                     "%s: weight %zu of %zu: %a vs %a", what, i, x->n_params,
                     (double)x->params[i], (double)y->params[i]);
}

static void free_params(struct criterion_test_params *crp) { cr_free(crp->params); }

/* Every (GEMM row, activation row) pair of the tables, as gemm_row * n_act + act_row. */
ParameterizedTestParameters(repro, same_bits_on_a_second_run) {
    size_t ng, na;
    gemm_table(&ng);
    act_table(&na);
    int *pairs = cr_malloc(ng * na * sizeof *pairs);
    for (size_t i = 0; i < ng * na; i++) pairs[i] = (int)i;
    return cr_make_param_array(int, pairs, ng * na, free_params);
}

ParameterizedTest(int *pair, repro, same_bits_on_a_second_run, .timeout = 60) {
    size_t ng, na;
    const act_kernel *acts = act_table(&na);
    const gemm_kernel *g = &gemm_table(&ng)[(size_t)*pair / na];
    const act_kernel *a = &acts[(size_t)*pair % na];
    char why[256];
    if (!kernel_runs_here(g->needs) || !kernel_runs_here(a->needs)) {
        if (!kernel_runs_here(g->needs))
            gemm_select(g->name, why, sizeof why);
        else
            act_select(a->name, why, sizeof why);
        cr_skip_test("%s", why);
    }
    run_data d = synthetic();
    for (size_t k = 0; k < N_CONFIGS; k++) {
        outcome first, second;
        char what[256];
        train_once(&d, g, a, THREADS, CONFIGS[k], &first);
        train_once(&d, g, a, THREADS, CONFIGS[k], &second);
        snprintf(what, sizeof what, "gemm %s, activation %s, %d threads, %s: a second run differs",
                 g->name, a->name, THREADS, CONFIGS[k]);
        assert_same(&first, &second, what);
        outcome_free(&first);
        outcome_free(&second);
    }
    synthetic_free(&d);
}

/* kernels.threads = 0 times blocks of each epoch's first steps on 1 thread and on
 * every core and keeps the faster (train.c): a size the CPU has, picked from its
 * two measured times. */
static void assert_picked(const run_result *r) {
    if (kernels_max_threads() < 2) return; /* one core: nothing to pick from */
    cr_assert(r->picked, "kernels.threads = 0 picked nothing");
    cr_assert(r->pick_us[0] > 0 && r->pick_us[1] > 0, "picked from %g and %g us", r->pick_us[0],
              r->pick_us[1]);
    cr_assert_eq(r->threads, r->pick_us[1] < r->pick_us[0] ? kernels_max_threads() : 1,
                 "picked %d threads from %g us on 1 and %g on all", r->threads, r->pick_us[0],
                 r->pick_us[1]);
}

/* omp trains to the bits of one thread on 2 to 4 threads, and with
 * kernels.threads = 0 (0 below), whichever size it picked and however often the
 * team size switched while it timed them. */
Test(repro, omp_same_bits_on_1_to_4_threads_and_picked, .timeout = 60) {
    char why[256];
    const gemm_kernel *g = gemm_select("omp", why, sizeof why);
    const act_kernel *a = act_select("auto", why, sizeof why);
    cr_assert(g && a, "%s", why);
    run_data d = synthetic();
    static const int counts[] = {2, 3, 4, 0};
    for (size_t k = 0; k < N_CONFIGS; k++) {
        outcome one, more;
        train_once(&d, g, a, 1, CONFIGS[k], &one);
        for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
            const int t = counts[i];
            char what[256];
            train_once(&d, g, a, t, CONFIGS[k], &more);
            if (t == 0) assert_picked(&more.r);
#ifdef _OPENMP /* without OpenMP, omp runs one thread whatever the count */
            else
                cr_assert_eq(more.r.threads, t, "omp ran %d threads, not %d", more.r.threads, t);
#endif
            snprintf(what, sizeof what, "gemm omp, activation %s, %s: %d threads differ from 1",
                     a->name, CONFIGS[k], t);
            assert_same(&one, &more, what);
            outcome_free(&more);
        }
        outcome_free(&one);
    }
    synthetic_free(&d);
}

/* The batch gather reads the images' bytes when the set has them (and floats
 * otherwise): every activation set's conversion gives the floats the loader
 * made, so a run on bytes and a run on floats alone train to the same bits. */
Test(repro, bytes_and_floats_train_alike, .timeout = 60) {
    char why[256];
    const gemm_kernel *g = gemm_select("auto", why, sizeof why);
    cr_assert(g, "%s", why);
    size_t na;
    const act_kernel *acts = act_table(&na);
    run_data d = synthetic(), floats = d;
    floats.train.px = floats.test.px = NULL;
    for (size_t i = 0; i < na; i++) {
        if (!kernel_runs_here(acts[i].needs)) continue;
        outcome a, b;
        char what[256];
        train_once(&d, g, &acts[i], THREADS, CONFIGS[0], &a);
        train_once(&floats, g, &acts[i], THREADS, CONFIGS[0], &b);
        snprintf(what, sizeof what, "gemm %s, activation %s: bytes and floats differ", g->name,
                 acts[i].name);
        assert_same(&a, &b, what);
        outcome_free(&a);
        outcome_free(&b);
    }
    synthetic_free(&d);
}

/* train.profile: every moment of the training loop is in one phase, so the
 * phases add up to the epochs' training time (within 5%: the loop's own clock
 * reads sit between them); the GEMM phases count the flops of every layer. */
Test(repro, profile_phases_add_up_to_the_training_time, .timeout = 60) {
    char err[512];
    const gemm_kernel *g;
    const act_kernel *a;
    auto_kernels(&g, &a);
    run_data d = synthetic();
    cfg c;
    cfg_defaults(&c);
    const char *sets[] = {"model.layers=72,300,200,10", "train.batch=24", "train.epochs=2",
                          "data.val_split=0.2", "train.profile=true"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        cr_assert_eq(cfg_set(&c, sets[i], err, sizeof err), 0, "%s", err);
    mlp_model m;
    rng_state rng;
    cr_assert_eq(run_model(&c, g, a, &m, &rng, err, sizeof err), 0, "%s", err);
    run_result r;
    run_fit(&c, &d, &m, &rng, NULL, NULL, NULL, &r);
    cr_assert_eq(r.status, RUN_OK, "%s", r.why);
    cr_assert(r.profiled && r.limits.threads == r.threads && r.limits.peak_flops > 0 &&
                  r.limits.bandwidth > 0,
              "profile limits: %d threads (ran %d), %g flop/s, %g B/s", r.limits.threads,
              r.threads, r.limits.peak_flops, r.limits.bandwidth);
    /* kernels.threads = 0 (the default): a team size the CPU has, from timings */
    cr_assert(r.threads == 1 || r.threads == kernels_max_threads(), "picked %d threads of %d",
              r.threads, kernels_max_threads());
    if (r.picked) assert_picked(&r);
    double phases = 0, train = 0;
    for (int ph = 0; ph < MLP_PHASES; ph++) phases += r.prof.seconds[ph];
    for (int e = 0; e < r.epochs; e++) train += r.hist[e].train_seconds;
    cr_assert(fabs(phases - train) <= 0.05 * train, "phases add up to %.6f s, the epochs trained %.6f s",
              phases, train);
    int steps = ((int)(N_TRAIN * (1 - 0.2)) + 23) / 24 * 2;
    cr_assert_eq(r.prof.steps, steps, "profiled %ld steps, want %d", r.prof.steps, steps);
    /* forward: 2*B*K*N per layer, K of layer 0 at most 72 (the span) */
    double fwd_max = 2.0 * (N_TRAIN * (1 - 0.2)) * 2 * (72 * 300 + 300 * 200 + 200 * 10);
    cr_assert(r.prof.flops[MLP_PH_FWD_GEMM] > 0.5 * fwd_max && r.prof.flops[MLP_PH_FWD_GEMM] <= fwd_max,
              "forward flops %g, want at most %g", r.prof.flops[MLP_PH_FWD_GEMM], fwd_max);
    cr_assert(r.prof.bytes[MLP_PH_OPT] > 0 && r.prof.flops[MLP_PH_OPT] == 0, "optimizer counts bytes only");
    run_result_free(&r);
    mlp_free(&m);
    synthetic_free(&d);
}

/* Whether two runs ended with the same weights, bit for bit. */
static bool same_weights(const outcome *x, const outcome *y) {
    return x->n_params == y->n_params &&
           !memcmp(x->params, y->params, x->n_params * sizeof *x->params);
}

/* Dropout at rate 0 and an augmentation that moves nothing (affine with no
 * shift, turn or change of size) train to the bits of neither; dropout 0.5 and
 * a shift of one pixel do not. */
Test(repro, zero_dropout_and_identity_augmentation_change_no_bit, .timeout = 60) {
    const gemm_kernel *g;
    const act_kernel *a;
    auto_kernels(&g, &a);
    run_data d = synthetic();
    outcome plain, same, other;
    train_once(&d, g, a, THREADS, CONFIGS[0], &plain);
    train_once(&d, g, a, THREADS, "train.optimizer=adam train.lr=0.003 train.ema=0.9 "
               "train.dropout=0,0 data.augment=affine data.shift=0 data.rotate=0 data.scale=0", &same);
    assert_same(&plain, &same, "dropout 0 and the identity augmentation differ from neither");
    train_once(&d, g, a, THREADS, "train.optimizer=adam train.lr=0.003 train.ema=0.9 train.dropout=0.5", &other);
    cr_assert(!same_weights(&plain, &other), "dropout 0.5 changed nothing");
    outcome_free(&other);
    train_once(&d, g, a, THREADS, "train.optimizer=adam train.lr=0.003 train.ema=0.9 "
               "data.augment=affine data.shift=1 data.rotate=0 data.scale=0", &other);
    cr_assert(!same_weights(&plain, &other), "a shift of one pixel changed nothing");
    outcome_free(&other);
    outcome_free(&same);
    outcome_free(&plain);
    synthetic_free(&d);
}

/* train.early_stop: a run that stops early ends with exactly the weights that a
 * run of just its kept epochs ends with (the same shuffles and steps up to it). */
Test(repro, early_stop_keeps_the_best_epochs_weights, .timeout = 60) {
    char config[256];
    const gemm_kernel *g;
    const act_kernel *a;
    auto_kernels(&g, &a);
    run_data d = synthetic();
    /* a rate high enough that the validation loss turns up within 12 epochs */
    static const char *const base = "train.optimizer=adam train.lr=0.02 train.ema=0.5";
    outcome stopped, kept;
    snprintf(config, sizeof config, "%s train.epochs=12 train.early_stop=2", base);
    train_once(&d, g, a, THREADS, config, &stopped);
    const int k = stopped.r.epoch_kept;
    cr_assert(k >= 1 && stopped.r.epochs == k + 2 && stopped.r.epochs < 12,
              "kept epoch %d of %d run (want an early stop two epochs after the best)", k,
              stopped.r.epochs);
    for (int e = 0; e < stopped.r.epochs; e++)
        cr_assert(e + 1 == k || stopped.r.hist[e].val_loss >= stopped.r.hist[k - 1].val_loss,
                  "epoch %d's val_loss %g is below the kept epoch %d's %g", e + 1,
                  stopped.r.hist[e].val_loss, k, stopped.r.hist[k - 1].val_loss);
    snprintf(config, sizeof config, "%s train.epochs=%d", base, k);
    train_once(&d, g, a, THREADS, config, &kept);
    cr_assert(same_weights(&stopped, &kept), "early stopping at epoch %d did not keep its weights", k);
    cr_assert(same_bits(stopped.r.test.loss, kept.r.test.loss), "test loss %a vs %a",
              stopped.r.test.loss, kept.r.test.loss);
    outcome_free(&kept);
    outcome_free(&stopped);
    synthetic_free(&d);
}
