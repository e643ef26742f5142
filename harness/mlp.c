/* mlp.c: forward, backward and optimizer steps of mlp.h, through the kernel
 * tables only.  No loops over matrices here: every one is a kernel call. */
#include "mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "regularize.h"

int mlp_create(mlp_model *m, int n_sizes, const int *sizes, int max_batch,
               const gemm_kernel *gemm, const act_kernel *ak, char *err, size_t err_len) {
    memset(m, 0, sizeof *m);
    if (n_sizes < 2 || n_sizes > MLP_MAX_LAYERS + 1 || max_batch < 1) {
        snprintf(err, err_len, "model: %d layer sizes (want 2..%d), batch %d", n_sizes,
                 MLP_MAX_LAYERS + 1, max_batch);
        return -1;
    }
    m->n_layers = n_sizes - 1;
    m->max_batch = max_batch;
    m->gemm = gemm;
    m->ak = ak;
    memcpy(m->sizes, sizes, (size_t)n_sizes * sizeof *sizes);
    for (int l = 0; l < m->n_layers; l++)
        m->n_params += (size_t)sizes[l] * (size_t)sizes[l + 1] + (size_t)sizes[l + 1];

    size_t bytes = m->n_params * sizeof(float);
    m->params = xmalloc_aligned(bytes);
    m->grads = xmalloc_aligned(bytes);
    m->state1 = xmalloc_aligned(bytes);
    m->state2 = xmalloc_aligned(bytes);
    m->avg = xmalloc_aligned(bytes);
    memset(m->params, 0, bytes);
    memset(m->grads, 0, bytes);
    memset(m->state1, 0, bytes);
    memset(m->state2, 0, bytes);
    size_t off = 0;
    for (int l = 0; l < m->n_layers; l++) {
        m->w[l] = m->params + off;
        m->gw[l] = m->grads + off;
        off += (size_t)sizes[l] * (size_t)sizes[l + 1];
        m->b[l] = m->params + off;
        m->gb[l] = m->grads + off;
        off += (size_t)sizes[l + 1];
    }
    for (int l = 1; l <= m->n_layers; l++) {
        size_t n = (size_t)max_batch * (size_t)sizes[l] * sizeof(float);
        m->act[l] = xmalloc_aligned(n);
        m->dact[l] = xmalloc_aligned(n);
    }
    m->probs = xmalloc_aligned((size_t)max_batch * (size_t)sizes[m->n_layers] * sizeof(float));
    m->pred = xmalloc((size_t)max_batch);
    m->yb = xmalloc((size_t)max_batch);
    return 0;
}

void mlp_free(mlp_model *m) {
    free(m->params);
    free(m->grads);
    free(m->state1);
    free(m->state2);
    free(m->avg);
    for (int l = 1; l <= m->n_layers; l++) {
        free(m->act[l]);
        free(m->dact[l]);
    }
    free(m->probs);
    free(m->pred);
    free(m->yb);
    for (int t = 0; t < m->team_len; t++) free(m->team_x[t]);
    memset(m, 0, sizeof *m);
}

void mlp_init_he(mlp_model *m, rng_state *r) {
    for (int l = 0; l < m->n_layers; l++) {
        size_t n = (size_t)m->sizes[l] * (size_t)m->sizes[l + 1];
        double limit = sqrt(6.0 / m->sizes[l]);
        for (size_t i = 0; i < n; i++) m->w[l][i] = (float)((2.0 * rng_uniform(r) - 1.0) * limit);
        memset(m->b[l], 0, (size_t)m->sizes[l + 1] * sizeof(float));
    }
    memset(m->state1, 0, m->n_params * sizeof(float));
    memset(m->state2, 0, m->n_params * sizeof(float));
    memcpy(m->avg, m->params, m->n_params * sizeof(float));
    m->step = 0;
}

void mlp_swap_average(mlp_model *m) {
    for (size_t i = 0; i < m->n_params; i++) {
        float t = m->params[i];
        m->params[i] = m->avg[i];
        m->avg[i] = t;
    }
}

/* A block of columns [j0, j1) of a layer's output: the part of its forward
 * and backward GEMMs, and of its parameters' update, that one thread of the
 * team owns (the whole layer, {0, N}, outside a team). */
typedef struct {
    int j0, j1;
} mlp_cols;

/* Adds the time since the last mark to phase ph (nothing when p is NULL). */
void mlp_profile_mark(mlp_profile *p, mlp_phase ph) {
    if (!p) return;
    double t = now_seconds();
    p->seconds[ph] += t - p->last;
    p->last = t;
}

/* The dropout rate after layer l while training with o (0 when o is NULL). */
static float mlp_drop(const mlp_model *m, const mlp_opt *o, int l) {
    return o && l + 1 < m->n_layers ? o->dropout[l] : 0.0f;
}

/* act[l+1][:, c] = act(in · W[l][:, c] + b[l][c]) for the B rows, over the
 * input columns `span` (all of them past layer 0); then the dropout of a
 * training step with o (NULL: evaluation). */
static void mlp_layer_forward(mlp_model *m, int l, const float *X, mlp_span span, int B,
                              mlp_cols c, const mlp_opt *o, mlp_profile *p) {
    int ld_in = m->sizes[l], N = m->sizes[l + 1], n = c.j1 - c.j0;
    if (n <= 0) return;
    /* layer 0 reads columns [lo, hi) of X and the same rows of W */
    mlp_span cols = l ? (mlp_span){0, ld_in} : span;
    const float *in = (l ? m->act[l] : X) + cols.lo;
    const float *w = m->w[l] + (size_t)cols.lo * (size_t)N + c.j0;
    int K = cols.hi - cols.lo;
    float *out = m->act[l + 1] + c.j0;
    bool relu = l + 1 < m->n_layers;
    if (p) p->flops[MLP_PH_FWD_GEMM] += 2.0 * B * K * N;
    if (m->gemm->bias_act) { /* the fused epilogue: C never leaves registers twice */
        m->gemm->bias_act(B, n, K, in, ld_in, w, N, m->b[l] + c.j0, relu, out, N);
        mlp_profile_mark(p, MLP_PH_FWD_GEMM);
    } else {
        m->gemm->run(false, false, B, n, K, 1.0f, in, ld_in, w, N, 0.0f, out, N);
        mlp_profile_mark(p, MLP_PH_FWD_GEMM);
        m->ak->bias_act(B, n, m->b[l] + c.j0, relu, out, N);
        mlp_profile_mark(p, MLP_PH_ACT);
    }
    if (mlp_drop(m, o, l) > 0) {
        dropout_forward(m->act[l + 1], B, N, c.j0, c.j1, dropout_key(o->seed, m->step, l),
                        mlp_drop(m, o, l));
        mlp_profile_mark(p, MLP_PH_ACT);
    }
}

/* The loss of the forward pass and its gradient dact[L] = (P - onehot(y)) / B,
 * the gradient of the mean loss over the B rows. */
static double mlp_loss(mlp_model *m, const uint8_t *y, int B, mlp_profile *p) {
    int L = m->n_layers, C = m->sizes[L];
    double loss = m->ak->softmax_xent(B, C, m->act[L], y, m->probs, m->pred);
    m->ak->xent_bwd(B, C, m->probs, y, 1.0f / (float)B, m->dact[L]);
    mlp_profile_mark(p, MLP_PH_ACT);
    return loss;
}

/* gW[l][:, c] = inᵀ (K, B) · dout[:, c], over the rows [lo, hi) that the input
 * can reach (the rest are zero); gb[l][c] = column sums of dout[:, c], which
 * bias_grad adds into a zeroed gb (writing, not adding, spares the optimizer
 * step a pass that clears every gradient). */
static void mlp_layer_grad(mlp_model *m, int l, const float *X, mlp_span span, int B,
                           mlp_cols c, mlp_profile *p) {
    int K = m->sizes[l], N = m->sizes[l + 1], n = c.j1 - c.j0;
    if (n <= 0) return;
    const float *dout = m->dact[l + 1] + c.j0;
    mlp_span rows = l ? (mlp_span){0, K} : span;
    const float *in = l ? m->act[l] : X;
    float *gw = m->gw[l] + c.j0;
    size_t width = (size_t)n * sizeof(float);
    for (int k = 0; k < rows.lo; k++) memset(gw + (size_t)k * (size_t)N, 0, width);
    for (int k = rows.hi; k < K; k++) memset(gw + (size_t)k * (size_t)N, 0, width);
    if (p) p->flops[MLP_PH_BWD_GEMM] += 2.0 * B * (rows.hi - rows.lo) * N;
    m->gemm->run(true, false, rows.hi - rows.lo, n, B, 1.0f, in + rows.lo, K, dout, N, 0.0f,
                 gw + (size_t)rows.lo * (size_t)N, N);
    mlp_profile_mark(p, MLP_PH_BWD_GEMM);
    memset(m->gb[l] + c.j0, 0, width);
    m->ak->bias_grad(B, n, dout, N, m->gb[l] + c.j0);
    mlp_profile_mark(p, MLP_PH_ACT);
}

/* dact[l][:, c] (B, K) = dout (B, N) · W[l][c, :]ᵀ, then through the ReLU of
 * layer l-1 and its dropout (l >= 1; c is a block of layer l-1's columns, K's). */
static void mlp_layer_din(mlp_model *m, int l, int B, mlp_cols c, const mlp_opt *o,
                          mlp_profile *p) {
    int K = m->sizes[l], N = m->sizes[l + 1], n = c.j1 - c.j0;
    if (n <= 0) return;
    if (p) p->flops[MLP_PH_BWD_GEMM] += 2.0 * B * K * N;
    float *din = m->dact[l] + c.j0;
    m->gemm->run(false, true, B, n, N, 1.0f, m->dact[l + 1], N, m->w[l] + (size_t)c.j0 * (size_t)N,
                 N, 0.0f, din, K);
    mlp_profile_mark(p, MLP_PH_BWD_GEMM);
    if (n == K) {
        m->ak->relu_bwd((size_t)B * (size_t)K, m->act[l], din);
    } else {
        for (int b = 0; b < B; b++)
            m->ak->relu_bwd((size_t)n, m->act[l] + (size_t)b * (size_t)K + c.j0,
                            din + (size_t)b * (size_t)K);
    }
    if (mlp_drop(m, o, l - 1) > 0) dropout_backward(m->dact[l], B, K, c.j0, c.j1, mlp_drop(m, o, l - 1));
    mlp_profile_mark(p, MLP_PH_ACT);
}

double mlp_forward(mlp_model *m, const float *X, mlp_span span, const uint8_t *y, int B) {
    for (int l = 0; l < m->n_layers; l++)
        mlp_layer_forward(m, l, X, span, B, (mlp_cols){0, m->sizes[l + 1]}, NULL, NULL);
    int C = m->sizes[m->n_layers];
    return m->ak->softmax_xent(B, C, m->act[m->n_layers], y, m->probs, m->pred);
}

void mlp_backward(mlp_model *m, const float *X, mlp_span span, const uint8_t *y, int B) {
    int L = m->n_layers, C = m->sizes[L];
    m->ak->xent_bwd(B, C, m->probs, y, 1.0f / (float)B, m->dact[L]);
    for (int l = L - 1; l >= 0; l--) {
        mlp_layer_grad(m, l, X, span, B, (mlp_cols){0, m->sizes[l + 1]}, NULL);
        if (l > 0) mlp_layer_din(m, l, B, (mlp_cols){0, m->sizes[l]}, NULL, NULL);
    }
}

void mlp_parallel_for(const mlp_model *m, size_t n, size_t min_per_thread,
                      void (*fn)(size_t lo, size_t hi, void *ctx), void *ctx) {
    if (m->gemm->flags & KERNEL_OWN_POOL)
        fn(0, n, ctx);
    else
        kernels_parallel_for(n, min_per_thread, fn, ctx);
}

/* One thread's part [lo, hi) of the optimizer step: the update, then the weight
 * average of the same range while it is still in this core's caches (Adam takes
 * it into its own pass, so that p is read and written once). */
typedef struct {
    mlp_model *m;
    const mlp_opt *o;
    adam_params adam;
} mlp_step_job;

static void mlp_step_range(size_t lo, size_t hi, void *ctx) {
    const mlp_step_job *j = ctx;
    mlp_model *m = j->m;
    const mlp_opt *o = j->o;
    size_t n = hi - lo;
    float *p = m->params + lo, *s1 = m->state1 + lo, *avg = o->ema > 0 ? m->avg + lo : NULL;
    const float *g = m->grads + lo;
    switch (o->kind) {
    case OPT_SGD: m->ak->sgd(n, p, g, s1, o->lr, 0.0f, o->wd); break;
    case OPT_MOMENTUM: m->ak->sgd(n, p, g, s1, o->lr, o->momentum, o->wd); break;
    case OPT_ADAM: m->ak->adam(n, p, g, s1, m->state2 + lo, avg, &j->adam); return;
    }
    if (avg) m->ak->ema(n, avg, p, o->ema);
}

/* Below this many parameters per thread, waking the team costs more than the
 * split saves (a step of 784-128-64-10, 109,386 parameters, takes about 40 us). */
enum { MLP_STEP_MIN_PER_THREAD = 16384 };

/* Counts the step and makes its job (Adam's bias corrections for step t). */
static mlp_step_job mlp_step_begin(mlp_model *m, const mlp_opt *o) {
    m->step++;
    mlp_step_job j = {.m = m, .o = o};
    if (o->kind == OPT_ADAM)
        j.adam = (adam_params){
            .lr = o->lr, .beta1 = o->beta1, .beta2 = o->beta2, .eps = o->eps,
            .bias_corr1 = (float)(1.0 - pow(o->beta1, (double)m->step)),
            .bias_corr2 = (float)(1.0 - pow(o->beta2, (double)m->step)),
            .ema = o->ema, .decay = o->lr * o->wd,
        };
    return j;
}

void mlp_step(mlp_model *m, const mlp_opt *o) {
    mlp_step_job j = mlp_step_begin(m, o);
    mlp_parallel_for(m, m->n_params, MLP_STEP_MIN_PER_THREAD, mlp_step_range, &j);
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

/* u grown by row x's span; a batch of zero rows gets column 0, so that the
 * span mlp_forward takes is never empty. */
static mlp_span span_add(mlp_span u, const float *x, int d) {
    mlp_span r = row_span(x, d);
    return (mlp_span){r.lo < u.lo ? r.lo : u.lo, r.hi > u.hi ? r.hi : u.hi};
}
static mlp_span span_end(mlp_span u) { return u.lo < u.hi ? u : (mlp_span){0, 1}; }

mlp_span mlp_batch_span(const float *X, int B, int d) {
    mlp_span u = {d, 0};
    for (int b = 0; b < B; b++) u = span_add(u, X + (size_t)b * (size_t)d, d);
    return span_end(u);
}

/* The batch gather: row rows[b] of the images into row b of X (from the bytes
 * when the batch has them), and (y not NULL) its label into y[b]; returns the
 * span of the batch, each row scanned while it is in L1.  Then it prefetches the
 * next batch's rows in one burst, so that the next gather finds them in cache:
 * rows at random from the 47 MB of MNIST's bytes miss every cache, and the rest
 * of the step hides the fetch.  784-128-64-10, batch 32, 1 thread on a Zen 5:
 * 21-22 us per step with floats read in place, 8-11 us with bytes and the
 * prefetch; a prefetch of each next row after each row's copy was slower. */
static mlp_span mlp_gather(const mlp_model *m, const mlp_batch *in, int B, float *X,
                           uint8_t *y) {
    size_t d = (size_t)in->d;
    mlp_span u = {in->d, 0};
    for (int b = 0; b < B; b++) {
        const size_t row = (size_t)in->rows[b];
        if (in->px)
            m->ak->pixels(d, in->px + row * d, X + (size_t)b * d);
        else
            memcpy(X + (size_t)b * d, in->x + row * d, d * sizeof(float));
        if (y) y[b] = in->y[row];
        u = span_add(u, X + (size_t)b * d, in->d);
    }
    const char *base = in->px ? (const char *)in->px : (const char *)in->x;
    const size_t row_bytes = d * (in->px ? 1 : sizeof(float));
    for (int b = 0; in->next && b < in->n_next; b++)
        for (size_t o = 0; o < row_bytes; o += 64)
            __builtin_prefetch(base + (size_t)in->next[b] * row_bytes + o, 0, 3);
    return span_end(u);
}

/* The team's step.  Thread t of nt owns a block of columns of every layer it
 * splits (mlp_team_split): that block's forward outputs, weight gradient and
 * bias gradient, so the activations and gradients of a block are written by one
 * core only.  The input gradient dact[l] = dout · W[l]ᵀ is split by the columns
 * of layer l-1, the block the same thread then owns there.  After a barrier the
 * optimizer updates W by row blocks (mlp_team_update).  A layer too small to
 * repay a barrier runs on thread 0 alone.  Each thread gathers the whole batch
 * into its own X, which every block of layer 0 reads.
 * Bit-identity: a block only changes which thread computes an element, never
 * its FMA chain (every GEMM kernel computes each element of C the same way in
 * any sub-block), and the elementwise kernels are elementwise. */
typedef struct {
    mlp_model *m;
    mlp_batch in;
    int B;
    mlp_step_job job;
    mlp_profile *prof;
    double loss; /* written by thread 0 */
} mlp_team_job;

/* Below this many multiply-adds in its forward GEMM (B x sizes[l] x
 * sizes[l+1]) a layer runs on thread 0: splitting costs two barriers and the
 * moves of its activations between the cores. */
#define MLP_TEAM_SPLIT_MACS 400000.0

static bool mlp_team_split(const mlp_model *m, int l, int B, int nt) {
    return nt > 1 && l >= 0 && l < m->n_layers && m->sizes[l + 1] >= 32 &&
           (double)B * m->sizes[l] * m->sizes[l + 1] >= MLP_TEAM_SPLIT_MACS;
}

/* Thread t's block of layer l's columns, in runs of 16 (64-byte lines). */
static mlp_cols mlp_team_cols(const mlp_model *m, int l, int B, int t, int nt) {
    int N = m->sizes[l + 1];
    if (!mlp_team_split(m, l, B, nt)) return t == 0 ? (mlp_cols){0, N} : (mlp_cols){0, 0};
    int units = (N + 15) / 16, j0 = units * t / nt * 16, j1 = units * (t + 1) / nt * 16;
    return (mlp_cols){j0, j1 < N ? j1 : N};
}

static void mlp_team_sync(mlp_profile *p) {
    kernels_team_sync();
    mlp_profile_mark(p, MLP_PH_SYNC);
}

/* Thread t's share of layer l's optimizer update.  A layer that runs on thread 0
 * alone is updated there, W and b in one range (they are contiguous).  A split
 * layer's W is updated by rows, thread t taking rows [K t/nt, K (t+1)/nt): its
 * own pages, where its column block shares every page with the neighbour's, and
 * on a 2-core Zen 5 VM two cores writing the same 4 KiB pages ran 4-8x slower
 * (README: Where a step's time goes).  Row blocks halved the 2-thread optimizer
 * phase (seed network, batch 32: 204-211 us -> 105-117 us per step; 784-1024-1024-10,
 * batch 128: 2.92-2.96 ms -> 1.96-2.01 ms), although each thread now reads
 * gradients the other wrote.  b[l] is updated by its column block. */
static void mlp_team_update(mlp_team_job *j, int l, int B, int t, int nt) {
    mlp_model *m = j->m;
    size_t N = (size_t)m->sizes[l + 1], K = (size_t)m->sizes[l];
    size_t w = (size_t)(m->w[l] - m->params), b = (size_t)(m->b[l] - m->params);
    if (!mlp_team_split(m, l, B, nt)) {
        if (t == 0) mlp_step_range(w, b + N, &j->job);
        return;
    }
    size_t k0 = K * (size_t)t / (size_t)nt, k1 = K * (size_t)(t + 1) / (size_t)nt;
    mlp_step_range(w + k0 * N, w + k1 * N, &j->job);
    mlp_cols c = mlp_team_cols(m, l, B, t, nt);
    mlp_step_range(b + (size_t)c.j0, b + (size_t)c.j1, &j->job);
}

static void mlp_team_step(int t, int nt, void *ctx) {
    mlp_team_job *j = ctx;
    mlp_model *m = j->m;
    const int L = m->n_layers, B = j->B;
    mlp_profile *p = t == 0 ? j->prof : NULL;
    float *X = m->team_x[t];
    mlp_span span = mlp_gather(m, &j->in, B, X, t == 0 ? m->yb : NULL);
    mlp_profile_mark(p, MLP_PH_GATHER);
    /* a barrier wherever a block reads what another thread wrote: between two
     * layers unless both run on thread 0 alone */
    for (int l = 0; l < L; l++) {
        mlp_layer_forward(m, l, X, span, B, mlp_team_cols(m, l, B, t, nt), j->job.o, p);
        if (mlp_team_split(m, l, B, nt) || mlp_team_split(m, l + 1, B, nt)) mlp_team_sync(p);
    }
    if (t == 0) j->loss = mlp_loss(m, m->yb, B, p);
    if (mlp_team_split(m, L - 1, B, nt)) mlp_team_sync(p);
    bool any_split = false;
    for (int l = L - 1; l >= 0; l--) {
        any_split |= mlp_team_split(m, l, B, nt);
        mlp_layer_grad(m, l, X, span, B, mlp_team_cols(m, l, B, t, nt), p);
        if (l == 0) break;
        if (mlp_team_split(m, l, B, nt) || mlp_team_split(m, l - 1, B, nt)) mlp_team_sync(p);
        mlp_layer_din(m, l, B, mlp_team_cols(m, l - 1, B, t, nt), j->job.o, p);
    }
    /* every block of dact has been read with the weights before the update */
    if (any_split) mlp_team_sync(p);
    for (int l = 0; l < L; l++) mlp_team_update(j, l, B, t, nt);
    mlp_profile_mark(p, MLP_PH_OPT);
    if (j->job.o->max_norm > 0) { /* by column blocks, once the rows are updated */
        if (any_split) mlp_team_sync(p);
        for (int l = 0; l + 1 < L; l++) {
            mlp_cols c = mlp_team_cols(m, l, B, t, nt);
            if (c.j1 > c.j0) max_norm_clip(m->w[l], m->sizes[l], m->sizes[l + 1], c.j0, c.j1, j->job.o->max_norm);
        }
        mlp_profile_mark(p, MLP_PH_OPT);
    }
}

int mlp_team_size(const mlp_model *m) {
    unsigned f = m->gemm->flags;
    int nt = (f & KERNEL_THREADED) && !(f & KERNEL_OWN_POOL) ? kernels_max_threads() : 1;
    if (m->team_max > 0 && nt > m->team_max) nt = m->team_max;
    return nt < MLP_MAX_TEAM ? nt : MLP_MAX_TEAM;
}

/* Bytes one parameter's update moves through memory: Adam reads p, g, m, v and
 * writes p, m, v; SGD with momentum reads p, g, vel and writes p, vel; the
 * weight average reads and writes avg (Adam fuses it; SGD reads p again). */
static double mlp_update_bytes(const mlp_opt *o) {
    double b = o->kind == OPT_ADAM ? 7 : o->kind == OPT_MOMENTUM ? 5 : 3;
    if (o->ema > 0) b += o->kind == OPT_ADAM ? 2 : 3;
    return b * sizeof(float);
}

double mlp_train_step(mlp_model *m, const mlp_batch *in, int B, const mlp_opt *o,
                      mlp_profile *p) {
    int nt = mlp_team_size(m);
    for (; m->team_len < nt; m->team_len++)
        m->team_x[m->team_len] =
            xmalloc_aligned((size_t)m->max_batch * (size_t)m->sizes[0] * sizeof(float));
    mlp_team_job j = {.m = m, .in = *in, .B = B, .job = mlp_step_begin(m, o), .prof = p};
    mlp_profile_mark(p, MLP_PH_OTHER);
    kernels_team_run(nt, mlp_team_step, &j);
    mlp_profile_mark(p, MLP_PH_SYNC);
    if (p) {
        p->steps++;
        /* each thread reads the rows and writes its X */
        const double read = in->px ? 1 : sizeof(float);
        p->bytes[MLP_PH_GATHER] += (read + sizeof(float)) * nt * B * in->d;
        p->bytes[MLP_PH_OPT] += (double)m->n_params * mlp_update_bytes(o);
    }
    return j.loss;
}

mlp_opt mlp_opt_from_cfg(const cfg *c) {
    mlp_opt o = {.lr = (float)c->lr, .momentum = (float)c->momentum,
                 .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f, .ema = (float)c->ema,
                 .wd = (float)c->weight_decay, .max_norm = (float)c->max_norm, .seed = c->seed};
    for (int l = 0; l + 2 < c->n_sizes; l++) o.dropout[l] = (float)cfg_dropout(c, l);
    o.kind = !strcmp(c->optimizer, "adam")       ? OPT_ADAM
             : !strcmp(c->optimizer, "momentum") ? OPT_MOMENTUM
                                                 : OPT_SGD;
    return o;
}
