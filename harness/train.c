/* train.c: see train.h.  The loop owns the shuffling and the bookkeeping of the
 * epochs; each step (gather included) is mlp_train_step, and all arithmetic on
 * matrices happens in the kernels, through mlp.c. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

data_view data_rows(const mnist_set *s, int from, int to) {
    int d = s->rows * s->cols;
    return (data_view){.n = to - from, .d = d, .x = s->x + (size_t)from * (size_t)d,
                       .y = s->y + from};
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

int train_fit(mlp_model *m, data_view train, data_view val, const train_opts *o,
              epoch_stats *hist, char *err, size_t err_len) {
    int n = train.n, steps = (n + o->batch - 1) / o->batch;
    int *order = xmalloc((size_t)n * sizeof *order);
    int rc = 0;
    for (int i = 0; i < n; i++) order[i] = i;

    for (int epoch = 1; epoch <= o->epochs && rc == 0; epoch++) {
        double t0 = now_seconds(), loss_sum = 0;
        long correct = 0, seen = 0;
        if (o->prof) o->prof->last = t0;
        for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)rng_below(o->rng, (uint32_t)i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int step = 0; step < steps; step++) {
            int first = step * o->batch, B = n - first < o->batch ? n - first : o->batch;
            mlp_batch batch = {train.x, train.y, train.d, order + first};
            double loss = mlp_train_step(m, &batch, B, &o->opt, o->prof);
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
        if (o->on_epoch) o->on_epoch(s, o->ctx);
    }
    /* As Keras does with use_ema: the averaged weights are the trained model. */
    if (rc == 0 && o->opt.ema > 0) mlp_swap_average(m);
    free(order);
    return rc;
}
