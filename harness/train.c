/* train.c: see train.h.  The loop owns the shuffling and the bookkeeping of the
 * epochs; each step (gather included) is mlp_train_step, and all arithmetic on
 * matrices happens in the kernels, through mlp.c.  The progress and evaluation
 * printers are here, next to the statistics they print. */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

data_view data_rows(const mnist_set *s, int from, int to) {
    int d = s->rows * s->cols;
    return (data_view){.n = to - from, .d = d, .x = s->x + (size_t)from * (size_t)d,
                       .y = s->y + from, .px = s->px ? s->px + (size_t)from * (size_t)d : NULL};
}

void train_evaluate(mlp_model *m, data_view d, eval_result *r, uint8_t *pred) {
    memset(r, 0, sizeof *r);
    double loss = 0;
    long correct = 0;
    for (int i = 0; i < d.n; i += m->max_batch) {
        int B = d.n - i < m->max_batch ? d.n - i : m->max_batch;
        const float *x = d.x + (size_t)i * (size_t)d.d;
        loss += mlp_forward(m, x, mlp_batch_span(x, B, d.d), d.y + i, B);
        for (int b = 0; b < B; b++) {
            r->confusion[d.y[i + b]][m->pred[b]]++;
            correct += d.y[i + b] == m->pred[b];
        }
        if (pred) memcpy(pred + i, m->pred, (size_t)B);
    }
    r->n = d.n;
    r->loss = d.n ? loss / d.n : NAN;
    r->acc = d.n ? (double)correct / d.n : NAN;
}

/* The choice of kernels.threads = 0, on real steps, at the start of every epoch:
 * after TRAIN_PICK_WARM steps (on all threads in the first epoch, while the
 * caches and pages settle; the second half of them sizes the blocks),
 * TRAIN_PICK_BLOCKS blocks of steps run on 1, all, all, 1, 1, all, all, 1
 * threads, so that neither size gains from running second or from a slow moment
 * of a shared machine, and the rest of the epoch keeps the size whose blocks
 * took less time.  Picking again every epoch bounds the cost of a bad moment:
 * on a 2-core VM whose second core was now and then taken by the host, one pick
 * in six timed 2 threads at 490 us a step against 140-190 us otherwise, and kept
 * 1 thread for the whole run.  A block is as many steps as take about
 * TRAIN_PICK_BLOCK_SECONDS (1 to TRAIN_PICK_STEPS): enough to time, and little
 * spent on the slower size where a step is long (784-1024-1024-10 at batch 128,
 * 9 ms a step on two Zen 4 threads and 16 ms on one: blocks of one step).  The
 * step is bit-identical for every team size, so the choice, and the switching,
 * change the time only.  A measurement on a scratch copy of the model before
 * training cost up to 6% of the wide network's epoch and, on a Zen 4 VM, once
 * misjudged 2 threads as 3x slower than 1. */
enum { TRAIN_PICK_WARM = 16, TRAIN_PICK_BLOCKS = 8, TRAIN_PICK_STEPS = 16 };
#define TRAIN_PICK_BLOCK_SECONDS 0.003

typedef struct {
    int warm;     /* steps before the blocks */
    int len, max; /* block k covers steps [warm + k len, warm + (k + 1) len); len <= max */
    double t0, seconds[2]; /* seconds[1]: the blocks on all threads */
} pick_clock;

/* The plan for an epoch of `steps` steps; max is 0 where it is too short. */
static pick_clock pick_plan(int steps) {
    int warm = steps / 4 < TRAIN_PICK_WARM ? steps / 4 : TRAIN_PICK_WARM;
    int max = (steps - warm) / TRAIN_PICK_BLOCKS;
    return (pick_clock){.warm = warm, .max = warm < 2 ? 0 : max < TRAIN_PICK_STEPS ? max : TRAIN_PICK_STEPS};
}

/* The block that step `step` is in, -1 outside them (before the warm-up ends,
 * or after the last block). */
static int pick_block(const pick_clock *c, int step) {
    int k = step < c->warm ? -1 : (step - c->warm) / c->len;
    return k < TRAIN_PICK_BLOCKS ? k : -1;
}

/* Before step `step` of an epoch: sizes the blocks at the end of the
 * warm-up, then sets the team size of each block's steps (1, all, all, 1, ...). */
static void pick_before(mlp_model *m, const train_pick *p, pick_clock *c, int step) {
    if (step == c->warm / 2) c->t0 = now_seconds();
    if (step == c->warm) {
        double per_step = (now_seconds() - c->t0) / (c->warm - c->warm / 2);
        double len = TRAIN_PICK_BLOCK_SECONDS / per_step; /* inf where per_step is 0 */
        c->len = len < 1 ? 1 : len > c->max ? c->max : (int)len;
    }
    int k = pick_block(c, step);
    if (k < 0 || (step - c->warm) % c->len) return;
    m->team_max = k % 4 == 0 || k % 4 == 3 ? 1 : p->all;
    c->t0 = now_seconds();
}

/* After step `step`: the block's time, and the choice after the last block;
 * each size ran half the blocks. */
static void pick_after(mlp_model *m, train_pick *p, pick_clock *c, int step) {
    int k = pick_block(c, step);
    if (k < 0 || (step + 1 - c->warm) % c->len) return;
    c->seconds[m->team_max > 1] += now_seconds() - c->t0;
    if (k < TRAIN_PICK_BLOCKS - 1) return;
    const double steps_each = TRAIN_PICK_BLOCKS / 2 * (double)c->len;
    for (int i = 0; i < 2; i++) p->us[i] = 1e6 * c->seconds[i] / steps_each;
    m->team_max = p->us[1] < p->us[0] ? p->all : 1;
    p->picked = true;
}

/* The augmented batch: B distorted images, their labels, rows 0..B-1, and the
 * draws of its images. */
typedef struct {
    float *x;
    uint8_t *y;
    int *rows;
    augment_draw *draws;
} aug_batch;

/* Images [lo, hi) of a batch, warped on one thread with scratch of its own. */
typedef struct {
    const augment *aug;
    const augment_draw *draws;
    const float *x; /* the training images, d floats each */
    size_t d;
    const int *rows; /* which image each of the batch is */
    float *out;      /* (B, d) */
} warp_job;

static void warp_range(size_t lo, size_t hi, void *ctx) {
    const warp_job *j = ctx;
    float *scratch = xcalloc(augment_scratch_floats(j->aug), sizeof *scratch);
    for (size_t b = lo; b < hi; b++)
        augment_warp(j->aug, &j->draws[b], j->x + (size_t)j->rows[b] * j->d, j->out + b * j->d, scratch);
    free(scratch);
}

/* The batch of step `first` of order: the images in place, or (o->aug) their
 * distortions in ab: the draws in the images' order, then the warps split over
 * the threads (16 images or more each), so the batch is the same for any count. */
static mlp_batch batch_at(const mlp_model *m, const train_opts *o, data_view train, const int *order,
                          int first, int B, bool last, aug_batch *ab) {
    const int n = train.n, next = first + B, n_next = n - next < o->batch ? n - next : o->batch;
    if (!o->aug)
        return (mlp_batch){train.x, train.y, train.d, order + first, train.px,
                           last ? NULL : order + next, n_next};
    for (int b = 0; b < B; b++) {
        ab->draws[b] = augment_next(o->aug);
        ab->y[b] = train.y[order[first + b]];
    }
    warp_job job = {o->aug, ab->draws, train.x, (size_t)train.d, order + first, ab->x};
    mlp_parallel_for(m, (size_t)B, 16, warp_range, &job);
    mlp_profile_mark(o->prof, MLP_PH_AUGMENT);
    return (mlp_batch){ab->x, ab->y, train.d, ab->rows, NULL, NULL, 0};
}

/* Early stopping: the best epoch so far and the weights it validated. */
typedef struct {
    double loss;
    int epoch;
    float *w; /* (n_params) */
} best_epoch;

/* After epoch s: keeps its weights when its val_loss is the lowest yet;
 * whether training goes on. */
static bool best_update(const mlp_model *m, const train_opts *o, best_epoch *b, const epoch_stats *s) {
    if (!b->w) return true;
    if (s->val_loss < b->loss) {
        b->loss = s->val_loss;
        b->epoch = s->epoch;
        memcpy(b->w, o->opt.ema > 0 ? m->avg : m->params, m->n_params * sizeof *b->w);
    }
    return s->epoch - b->epoch < o->early_stop;
}

int train_fit(mlp_model *m, data_view train, data_view val, const train_opts *o,
              epoch_stats *hist, int *kept, char *err, size_t err_len) {
    int n = train.n, steps = (n + o->batch - 1) / o->batch;
    int *order = xmalloc((size_t)n * sizeof *order);
    int rc = 0, last = 0;
    bool go_on = true;
    for (int i = 0; i < n; i++) order[i] = i;
    aug_batch ab = {0};
    if (o->aug) {
        ab.x = xmalloc_aligned((size_t)o->batch * (size_t)train.d * sizeof *ab.x);
        ab.y = xmalloc((size_t)o->batch);
        ab.rows = xmalloc((size_t)o->batch * sizeof *ab.rows);
        for (int b = 0; b < o->batch; b++) ab.rows[b] = b;
        ab.draws = xmalloc((size_t)o->batch * sizeof *ab.draws);
    }
    best_epoch best = {.loss = INFINITY};
    if (o->early_stop > 0) best.w = xmalloc(m->n_params * sizeof *best.w);
    mlp_opt opt = o->opt;

    for (int epoch = 1; epoch <= o->epochs && rc == 0 && go_on; epoch++) {
        double t0 = now_seconds(), loss_sum = 0;
        long correct = 0, seen = 0;
        if (o->prof) o->prof->last = t0;
        if (o->aug) {
            augment_epoch(o->aug);
            mlp_profile_mark(o->prof, MLP_PH_AUGMENT);
        }
        for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)rng_below(o->rng, (uint32_t)i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        pick_clock pick = pick_plan(steps);
        const bool picking = o->pick && pick.max > 0;
        for (int step = 0; step < steps; step++) {
            int first = step * o->batch, B = n - first < o->batch ? n - first : o->batch;
            mlp_batch batch = batch_at(m, o, train, order, first, B, step + 1 == steps, &ab);
            if (o->sched) opt.lr = (float)schedule_lr(o->sched, epoch - 1, step, steps);
            if (picking) pick_before(m, o->pick, &pick, step);
            double loss = mlp_train_step(m, &batch, B, &opt, o->prof);
            if (picking) pick_after(m, o->pick, &pick, step);
            if (!isfinite(loss)) {
                snprintf(err, err_len, "diverged: loss is %g at epoch %d, step %d/%d (try a smaller train.lr)",
                         loss, epoch, step + 1, steps);
                rc = 1;
                break;
            }
            for (int b = 0; b < B; b++) correct += m->pred[b] == m->yb[b];
            loss_sum += loss;
            seen += B;
            if (o->on_batch)
                o->on_batch(epoch, step + 1, steps, loss_sum / seen, (double)correct / seen,
                            now_seconds() - t0, o->ctx);
        }
        if (rc) break;
        mlp_profile_mark(o->prof, MLP_PH_OTHER);
        epoch_stats *s = &hist[epoch - 1];
        s->train_seconds = now_seconds() - t0;
        s->epoch = epoch;
        s->train_loss = loss_sum / seen;
        s->train_acc = (double)correct / seen;
        s->lr = opt.lr;
        s->val_loss = s->val_acc = NAN;
        if (val.n) {
            eval_result r;
            if (o->opt.ema > 0) mlp_swap_average(m);
            train_evaluate(m, val, &r, NULL);
            if (o->opt.ema > 0) mlp_swap_average(m);
            s->val_loss = r.loss;
            s->val_acc = r.acc;
        }
        s->seconds = now_seconds() - t0;
        last = epoch;
        go_on = best_update(m, o, &best, s);
        if (o->on_epoch) o->on_epoch(s, o->ctx);
    }
    /* As Keras does with use_ema: the averaged weights are the trained model. */
    if (rc == 0 && o->opt.ema > 0) mlp_swap_average(m);
    if (rc == 0 && best.epoch > 0 && best.epoch < last) memcpy(m->params, best.w, m->n_params * sizeof *best.w);
    if (kept) *kept = best.epoch > 0 ? best.epoch : last;
    free(best.w);
    free(ab.x);
    free(ab.y);
    free(ab.rows);
    free(ab.draws);
    free(order);
    return rc;
}

static void draw_bar(int step, int steps, char *bar, size_t width) {
    size_t done = (size_t)((double)step / steps * (double)width);
    for (size_t i = 0; i < width; i++) bar[i] = i < done ? '=' : '.';
    if (done < width) bar[done] = '>';
    bar[width] = '\0';
}

void train_show_batch(train_progress *p, int epoch, int step, int steps, double loss, double acc,
                      double seconds) {
    if (!p->live || (step < steps && seconds - p->last_draw < 0.1)) return;
    p->last_draw = seconds;
    char bar[31];
    draw_bar(step, steps, bar, 30);
    double eta = seconds / step * (steps - step);
    fprintf(stderr, "\r%sEpoch %d/%d %d/%d [%s] - ETA: %.0fs - loss: %.4f - accuracy: %.4f\033[K",
            p->prefix, epoch, p->epochs, step, steps, bar, eta, loss, acc);
    if (step == steps) fputs("\r\033[K", stderr);
}

void train_show_epoch(train_progress *p, const epoch_stats *s) {
    p->last_draw = 0;
    printf("%sEpoch %d/%d - %.2fs - loss: %.4f - accuracy: %.4f", p->prefix, s->epoch, p->epochs,
           s->seconds, s->train_loss, s->train_acc);
    /* As Keras: no validation columns without validation data (val_split = 0). */
    if (!isnan(s->val_loss)) printf(" - val_loss: %.4f - val_accuracy: %.4f", s->val_loss, s->val_acc);
    putchar('\n');
    fflush(stdout);
}

void train_print_evaluation(FILE *f, const eval_result *r, const mnist_set *test,
                            const uint8_t *pred) {
    fprintf(f, "\ntest loss: %.4f - test accuracy: %.2f%% (%d images, standard error %.2f points)\n",
            r->loss, 100 * r->acc, r->n, 100 * sqrt(r->acc * (1 - r->acc) / r->n));
    fprintf(f, "\n%12s %9s %9s %9s %9s\n", "", "precision", "recall", "f1-score", "support");
    double macro[3] = {0}, weighted[3] = {0};
    for (int k = 0; k < MNIST_CLASSES; k++) {
        long tp = r->confusion[k][k], support = 0, predicted = 0;
        for (int j = 0; j < MNIST_CLASSES; j++) {
            support += r->confusion[k][j];
            predicted += r->confusion[j][k];
        }
        double prec = predicted ? (double)tp / predicted : 0, rec = support ? (double)tp / support : 0,
               f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0, v[3] = {prec, rec, f1};
        for (int i = 0; i < 3; i++) {
            macro[i] += v[i] / MNIST_CLASSES;
            weighted[i] += v[i] * (double)support / r->n;
        }
        fprintf(f, "%12d %9.4f %9.4f %9.4f %9ld\n", k, prec, rec, f1, support);
    }
    fprintf(f, "\n%12s %9s %9s %9.4f %9d\n", "accuracy", "", "", r->acc, r->n);
    fprintf(f, "%12s %9.4f %9.4f %9.4f %9d\n", "macro avg", macro[0], macro[1], macro[2], r->n);
    fprintf(f, "%12s %9.4f %9.4f %9.4f %9d\n", "weighted avg", weighted[0], weighted[1], weighted[2],
            r->n);

    fprintf(f, "\nconfusion matrix (rows: true label, columns: predicted)\n      ");
    for (int j = 0; j < MNIST_CLASSES; j++) fprintf(f, "%6d", j);
    for (int k = 0; k < MNIST_CLASSES; k++) {
        fprintf(f, "\n%6d", k);
        for (int j = 0; j < MNIST_CLASSES; j++) fprintf(f, "%6ld", r->confusion[k][j]);
    }
    int n = test->n < 20 ? test->n : 20;
    fprintf(f, "\n\nsample predictions (first %d test images, * = wrong)\n  true:     ", n);
    for (int i = 0; i < n; i++) fprintf(f, " %d", test->y[i]);
    fprintf(f, "\n  predicted:");
    for (int i = 0; i < n; i++) fprintf(f, " %d", pred[i]);
    fprintf(f, "\n             ");
    for (int i = 0; i < n; i++) fprintf(f, "%c ", pred[i] == test->y[i] ? ' ' : '*');
    fprintf(f, "\n");
}
