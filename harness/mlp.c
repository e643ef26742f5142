/* mlp.c: forward, backward and optimizer steps of mlp.h, through the kernel
 * tables only.  No loops over matrices here: every one is a kernel call. */
#include "mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

double mlp_forward(mlp_model *m, const float *X, mlp_span span, const uint8_t *y, int B) {
    for (int l = 0; l < m->n_layers; l++) {
        int ld_in = m->sizes[l], N = m->sizes[l + 1];
        /* layer 0 reads columns [lo, hi) of X and the same rows of W */
        mlp_span cols = l ? (mlp_span){0, ld_in} : span;
        const float *in = (l ? m->act[l] : X) + cols.lo;
        const float *w = m->w[l] + (size_t)cols.lo * (size_t)N;
        int K = cols.hi - cols.lo;
        float *out = m->act[l + 1];
        bool relu = l + 1 < m->n_layers;
        if (m->gemm->bias_act) { /* the fused epilogue: C never leaves registers twice */
            m->gemm->bias_act(B, N, K, in, ld_in, w, N, m->b[l], relu, out, N);
        } else {
            m->gemm->run(false, false, B, N, K, 1.0f, in, ld_in, w, N, 0.0f, out, N);
            m->ak->bias_act(B, N, m->b[l], relu, out, N);
        }
    }
    int C = m->sizes[m->n_layers];
    return m->ak->softmax_xent(B, C, m->act[m->n_layers], y, m->probs, m->pred);
}

void mlp_backward(mlp_model *m, const float *X, mlp_span span, const uint8_t *y, int B) {
    int L = m->n_layers, C = m->sizes[L];
    /* d(mean loss)/d(logits) = (P - onehot(y)) / B */
    m->ak->xent_bwd(B, C, m->probs, y, 1.0f / (float)B, m->dact[L]);
    for (int l = L - 1; l >= 0; l--) {
        int K = m->sizes[l], N = m->sizes[l + 1];
        const float *dout = m->dact[l + 1];
        /* gW (K, N) = inᵀ (K, B) · dout (B, N), over the rows [lo, hi) that the
         * input can reach (the rest are zero); gb = column sums of dout, which
         * bias_grad adds into a zeroed gb (writing, not adding, spares the
         * optimizer step a pass that clears every gradient) */
        mlp_span rows = l ? (mlp_span){0, K} : span;
        const float *in = l ? m->act[l] : X;
        size_t row_floats = (size_t)N * sizeof(float);
        memset(m->gw[l], 0, (size_t)rows.lo * row_floats);
        memset(m->gw[l] + (size_t)rows.hi * (size_t)N, 0, (size_t)(K - rows.hi) * row_floats);
        m->gemm->run(true, false, rows.hi - rows.lo, N, B, 1.0f, in + rows.lo, K, dout, N, 0.0f,
                     m->gw[l] + (size_t)rows.lo * (size_t)N, N);
        memset(m->gb[l], 0, (size_t)N * sizeof(float));
        m->ak->bias_grad(B, N, dout, m->gb[l]);
        if (l == 0) break;
        /* din (B, K) = dout (B, N) · Wᵀ (N, K), then through the ReLU of layer l-1 */
        m->gemm->run(false, true, B, K, N, 1.0f, dout, N, m->w[l], N, 0.0f, m->dact[l], K);
        m->ak->relu_bwd((size_t)B * (size_t)K, m->act[l], m->dact[l]);
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
    case OPT_SGD: m->ak->sgd(n, p, g, s1, o->lr, 0.0f); break;
    case OPT_MOMENTUM: m->ak->sgd(n, p, g, s1, o->lr, o->momentum); break;
    case OPT_ADAM: m->ak->adam(n, p, g, s1, m->state2 + lo, avg, &j->adam); return;
    }
    if (avg) m->ak->ema(n, avg, p, o->ema);
}

/* Below this many parameters per thread, waking the team costs more than the
 * split saves (a step of 784-128-64-10, 109,386 parameters, takes about 40 us). */
enum { MLP_STEP_MIN_PER_THREAD = 16384 };

void mlp_step(mlp_model *m, const mlp_opt *o) {
    m->step++;
    mlp_step_job j = {.m = m, .o = o};
    if (o->kind == OPT_ADAM)
        j.adam = (adam_params){
            .lr = o->lr, .beta1 = o->beta1, .beta2 = o->beta2, .eps = o->eps,
            .bias_corr1 = (float)(1.0 - pow(o->beta1, (double)m->step)),
            .bias_corr2 = (float)(1.0 - pow(o->beta2, (double)m->step)),
            .ema = o->ema,
        };
    mlp_parallel_for(m, m->n_params, MLP_STEP_MIN_PER_THREAD, mlp_step_range, &j);
}

mlp_opt mlp_opt_from_cfg(const cfg *c) {
    mlp_opt o = {.lr = (float)c->lr, .momentum = (float)c->momentum,
                 .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f, .ema = (float)c->ema};
    o.kind = !strcmp(c->optimizer, "adam")       ? OPT_ADAM
             : !strcmp(c->optimizer, "momentum") ? OPT_MOMENTUM
                                                 : OPT_SGD;
    return o;
}
