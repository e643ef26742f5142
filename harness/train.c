/* train.c: see train.h.  The loop owns the shuffling and the batch gather; all
 * arithmetic on matrices happens in the kernels, through mlp.c. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

data_view data_rows(const mnist_set *s, int from, int to) {
    int d = s->rows * s->cols;
    return (data_view){.n = to - from, .d = d, .x = s->x + (size_t)from * (size_t)d,
                       .y = s->y + from};
}

/* Whether the n floats at x are all zero (+0 or -0): an OR of their bits
 * without the sign, which gcc vectorizes, where a compare loop exits early. */
static bool all_zero(const float *x, int n) {
    uint32_t bits = 0;
    for (int i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        bits |= u << 1;
    }
    return bits == 0;
}

/* The columns [lo, hi) outside which row x (d floats) is zero, {d, 0} when it
 * is zero throughout: runs of 16 from each end, then one by one. */
static mlp_span row_span(const float *x, int d) {
    enum { RUN = 16 };
    int lo = 0, hi = d;
    while (lo + RUN <= d && all_zero(x + lo, RUN)) lo += RUN;
    while (lo < d && x[lo] == 0.0f) lo++;
    while (hi - RUN >= lo && all_zero(x + hi - RUN, RUN)) hi -= RUN;
    while (hi > lo && x[hi - 1] == 0.0f) hi--;
    return lo < hi ? (mlp_span){lo, hi} : (mlp_span){d, 0};
}

/* The union of n row spans, as mlp_forward takes it (never empty: a batch of
 * zero rows gets column 0). */
static mlp_span span_union(const mlp_span *s, int n) {
    mlp_span u = s[0];
    for (int i = 1; i < n; i++) {
        if (s[i].lo < u.lo) u.lo = s[i].lo;
        if (s[i].hi > u.hi) u.hi = s[i].hi;
    }
    return u.lo < u.hi ? u : (mlp_span){0, 1};
}

void train_evaluate(mlp_model *m, data_view d, eval_result *r, uint8_t *pred) {
    memset(r, 0, sizeof *r);
    double loss = 0;
    long correct = 0;
    mlp_span *spans = xmalloc((size_t)m->max_batch * sizeof *spans);
    for (int i = 0; i < d.n; i += m->max_batch) {
        int B = d.n - i < m->max_batch ? d.n - i : m->max_batch;
        const float *x = d.x + (size_t)i * (size_t)d.d;
        for (int b = 0; b < B; b++) spans[b] = row_span(x + (size_t)b * (size_t)d.d, d.d);
        loss += mlp_forward(m, x, span_union(spans, B), d.y + i, B);
        for (int b = 0; b < B; b++) {
            r->confusion[d.y[i + b]][m->pred[b]]++;
            correct += d.y[i + b] == m->pred[b];
        }
        if (pred) memcpy(pred + i, m->pred, (size_t)B);
    }
    free(spans);
    r->n = d.n;
    r->loss = d.n ? loss / d.n : NAN;
    r->acc = d.n ? (double)correct / d.n : NAN;
}

/* The batch gather: rows[b] of `from` into row b of xb (and its label into yb,
 * its nonzero columns into spans[b], scanned while the row is in L1).  The rows
 * are scattered over the 188 MB of training images, so each copy waits on
 * memory; split among the threads (at least GATHER_MIN_ROWS each), the cores
 * wait in parallel. */
typedef struct {
    float *xb;
    uint8_t *yb;
    mlp_span *spans;
    data_view from;
    const int *rows;
} gather_job;

enum { GATHER_MIN_ROWS = 16 };

static void gather_rows(size_t lo, size_t hi, void *ctx) {
    const gather_job *g = ctx;
    size_t d = (size_t)g->from.d;
    for (size_t b = lo; b < hi; b++) {
        int row = g->rows[b];
        memcpy(g->xb + b * d, g->from.x + (size_t)row * d, d * sizeof(float));
        g->yb[b] = g->from.y[row];
        g->spans[b] = row_span(g->xb + b * d, (int)d);
    }
}

int train_fit(mlp_model *m, data_view train, data_view val, const train_opts *o,
              epoch_stats *hist, char *err, size_t err_len) {
    int n = train.n, d = train.d, steps = (n + o->batch - 1) / o->batch;
    int *order = xmalloc((size_t)n * sizeof *order);
    float *xb = xmalloc_aligned((size_t)o->batch * (size_t)d * sizeof(float));
    uint8_t *yb = xmalloc((size_t)o->batch);
    mlp_span *spans = xmalloc((size_t)o->batch * sizeof *spans);
    int rc = 0;
    for (int i = 0; i < n; i++) order[i] = i;

    for (int epoch = 1; epoch <= o->epochs && rc == 0; epoch++) {
        double t0 = now_seconds(), loss_sum = 0;
        long correct = 0, seen = 0;
        for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)rng_below(o->rng, (uint32_t)i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int step = 0; step < steps; step++) {
            int first = step * o->batch, B = n - first < o->batch ? n - first : o->batch;
            gather_job gj = {xb, yb, spans, train, order + first};
            mlp_parallel_for(m, (size_t)B, GATHER_MIN_ROWS, gather_rows, &gj);
            mlp_span span = span_union(spans, B);
            double loss = mlp_forward(m, xb, span, yb, B);
            if (!isfinite(loss)) {
                snprintf(err, err_len, "diverged: loss is %g at epoch %d, step %d/%d (try a smaller train.lr)",
                         loss, epoch, step + 1, steps);
                rc = 1;
                break;
            }
            for (int b = 0; b < B; b++) correct += m->pred[b] == yb[b];
            loss_sum += loss;
            seen += B;
            mlp_backward(m, xb, span, yb, B);
            mlp_step(m, &o->opt);
            if (o->on_batch)
                o->on_batch(epoch, step + 1, steps, loss_sum / seen, (double)correct / seen,
                            now_seconds() - t0, o->ctx);
        }
        if (rc) break;
        epoch_stats *s = &hist[epoch - 1];
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
    free(spans);
    free(xb);
    free(yb);
    return rc;
}
