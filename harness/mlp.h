/* mlp.h: a multi-layer perceptron with ReLU hidden layers and a softmax output,
 * trained with cross-entropy, running every GEMM and activation through the
 * kernel tables of kernels.h (the trainer never names an implementation).
 *
 * Dimensions: B batch, D inputs (784), H hidden width, C classes (10).
 * Layer l maps sizes[l] -> sizes[l+1]:  act[l+1] = relu(act[l] · W[l] + b[l]),
 * without the ReLU on the last layer, whose act[L] holds the logits; their
 * softmax goes to probs.  W[l] is (sizes[l], sizes[l+1]) row-major, so the three
 * GEMMs per layer are forward X·W, backward-weight Xᵀ·dY and backward-input dY·Wᵀ.
 *
 * Parameters, gradients and the two optimizer states each live in one flat
 * buffer (W0 b0 W1 b1 ...) that the named pointers index into, so an optimizer
 * step is one call over n_params (llm.c, kann).  Backward writes the
 * gradients (of one batch; nothing accumulates across calls). */
#ifndef MLP_H
#define MLP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "kernels.h"
#include "util.h"

typedef enum { OPT_SGD, OPT_MOMENTUM, OPT_ADAM } mlp_optimizer;

/* Threads mlp_train_step runs at most. */
#define MLP_MAX_TEAM 256

typedef struct {
    mlp_optimizer kind;
    float lr, momentum;           /* momentum: OPT_MOMENTUM only */
    float beta1, beta2, eps;      /* OPT_ADAM: Keras' defaults 0.9, 0.999, 1e-7 */
    float ema;                    /* > 0: keep avg = ema*avg + (1-ema)*params after each
                                     step (Keras' use_ema, ema_momentum) */
    float wd;                     /* weight decay: L2 for SGD and momentum, AdamW's for Adam */
    float max_norm;               /* > 0: mlp_train_step clips hidden units' weights (regularize.h) */
    float dropout[MLP_MAX_LAYERS];/* mlp_train_step's rate after hidden layer l; 0 is off */
    uint64_t seed;                /* of the dropout masks */
} mlp_opt;

typedef struct {
    int n_layers;                   /* L weight layers */
    int sizes[MLP_MAX_LAYERS + 1];  /* D, H..., C */
    size_t n_params;
    float *params, *grads;          /* (n_params) each, 64-byte aligned */
    float *state1, *state2;         /* (n_params): SGD velocity or Adam m; Adam v */
    float *avg;                     /* (n_params): moving average of params (mlp_opt.ema) */
    float *w[MLP_MAX_LAYERS];       /* (sizes[l], sizes[l+1]) into params */
    float *b[MLP_MAX_LAYERS];       /* (sizes[l+1]) into params */
    float *gw[MLP_MAX_LAYERS];      /* like w, into grads */
    float *gb[MLP_MAX_LAYERS];      /* like b, into grads */
    int max_batch;                  /* rows the activation buffers hold */
    float *act[MLP_MAX_LAYERS + 1]; /* act[l]: (max_batch, sizes[l]); act[0] unused (input) */
    float *dact[MLP_MAX_LAYERS + 1];/* gradients of act[1..L], same shapes */
    float *probs;                   /* (max_batch, C) softmax of the last forward */
    uint8_t *pred;                  /* (max_batch) argmax of the last forward */
    uint8_t *yb;                    /* (max_batch) labels of mlp_train_step's batch */
    float *team_x[MLP_MAX_TEAM];    /* (max_batch, D) each: thread t's copy of the batch */
    int team_len;                   /* team_x allocated so far */
    int team_max;                   /* > 0: mlp_train_step runs at most this many threads */
    long step;                      /* optimizer steps taken (Adam's t) */
    const gemm_kernel *gemm;
    const act_kernel *ak;
} mlp_model;

/* Allocates a model for sizes[0..n_sizes-1] and batches up to max_batch, with
 * zero parameters (mlp_init_he fills them).  0, or -1 + err. */
int mlp_create(mlp_model *m, int n_sizes, const int *sizes, int max_batch,
               const gemm_kernel *gemm, const act_kernel *ak, char *err, size_t err_len);
void mlp_free(mlp_model *m);

/* He-uniform weights U(-sqrt(6/fan_in), +sqrt(6/fan_in)), zero biases. */
void mlp_init_he(mlp_model *m, rng_state *r);

/* The input columns [lo, hi) of a batch outside which every row of X is zero:
 * the first layer's GEMMs run over K = hi - lo columns only, as a zero column
 * adds nothing to X·W and makes its rows of Xᵀ·dY zero (MNIST's digits leave
 * the first and last few image rows blank: about 13% of a batch of 32).
 * 0 <= lo < hi <= D; {0, D} claims nothing. */
typedef struct {
    int lo, hi;
} mlp_span;

/* Forward pass of B <= max_batch rows of X (B, D), zero outside the columns
 * `in`: probabilities in probs, argmax in pred.  Returns the summed
 * cross-entropy over the rows. */
double mlp_forward(mlp_model *m, const float *X, mlp_span in, const uint8_t *y, int B);

/* Backward pass after mlp_forward on the same X, in, y: writes the gradient of
 * the mean loss over the B rows into grads (whatever they held before; the
 * first layer's weight rows outside `in` get zeros). */
void mlp_backward(mlp_model *m, const float *X, mlp_span in, const uint8_t *y, int B);

/* kernels_parallel_for(n, min_per_thread, fn, ctx) on the kernels' threads, or
 * fn(0, n, ctx) on this thread when m's GEMM runs a pool of its own
 * (KERNEL_OWN_POOL).  For the trainer's elementwise work. */
void mlp_parallel_for(const mlp_model *m, size_t n, size_t min_per_thread,
                      void (*fn)(size_t lo, size_t hi, void *ctx), void *ctx);

/* One optimizer step from grads (without max_norm, which mlp_train_step adds);
 * then, when o->ema > 0, the average update.  The
 * parameters are split among the threads (mlp_parallel_for); elementwise, so the
 * result is the same for any count. */
void mlp_step(mlp_model *m, const mlp_opt *o);
/* Exchanges params and avg, so that the averaged weights are evaluated (and
 * swapped back by a second call). */
void mlp_swap_average(mlp_model *m);

/* The union of the spans of the B rows of X (B, d), as mlp_forward takes it
 * (never empty: a batch of zero rows gets column 0). */
mlp_span mlp_batch_span(const float *X, int B, int d);

/* Where a training step's time goes, on thread 0 (the phases of the other
 * threads end at the same barriers): every moment from one step's start to the
 * next is in exactly one phase, so the phases add up to the training loop's
 * time.  SYNC is waiting at the team's barriers (and for the team to start and
 * stop), OTHER the trainer's bookkeeping between steps. */
typedef enum {
    MLP_PH_AUGMENT,  /* distorting the batch's images (data.augment; train.c, before the step) */
    MLP_PH_GATHER,   /* copying the batch's rows (every thread its own copy) */
    MLP_PH_FWD_GEMM, /* forward GEMMs, with the fused bias + ReLU */
    MLP_PH_BWD_GEMM, /* weight- and input-gradient GEMMs */
    MLP_PH_ACT,      /* unfused bias + ReLU, softmax and loss, ReLU backward, bias gradient */
    MLP_PH_OPT,      /* the optimizer update with the weight average */
    MLP_PH_SYNC,
    MLP_PH_OTHER,
    MLP_PHASES
} mlp_phase;

typedef struct {
    double seconds[MLP_PHASES]; /* summed over the steps */
    double flops[MLP_PHASES];   /* GEMM flops (2 per multiply-add), all threads */
    double bytes[MLP_PHASES];   /* memory traffic of GATHER and OPT, all threads */
    long steps;
    double last; /* now_seconds() of the last mark; set before the first step */
} mlp_profile;

/* Adds the time since p->last to phase ph and moves p->last to now (nothing
 * when p is NULL). */
void mlp_profile_mark(mlp_profile *p, mlp_phase ph);

/* A batch: rows rows[0..B) of the images x (n, d) with labels y.  px, when not
 * NULL, holds the same images as bytes (x = px / KERNELS_PIXEL_SCALE), and the
 * gather reads those: a quarter of the bytes from memory, the same floats.  next,
 * when not NULL, holds the n_next rows of the next step's batch, which the gather
 * prefetches. */
typedef struct {
    const float *x;
    const uint8_t *y;
    int d;
    const int *rows;
    const uint8_t *px;
    const int *next;
    int n_next;
} mlp_batch;

/* Threads mlp_train_step runs: every thread of the kernels (kernels_set_threads),
 * or team_max when fewer, for a threaded GEMM that runs on OpenMP, else 1 (a single-threaded kernel, or
 * one with its own pool, KERNEL_OWN_POOL, whose elementwise work stays on one
 * thread beside it). */
int mlp_team_size(const mlp_model *m);

/* One training step on the batch (B <= max_batch rows): gather, forward (pred,
 * labels in yb), backward and optimizer update, all in one parallel region of
 * mlp_team_size(m) threads (kernels_team_run).  The same values as mlp_forward,
 * mlp_backward and mlp_step in turn, bit for bit, for any number of threads
 * (without dropout and max_norm, which only this step applies; they too give the
 * same bits on any number of threads).
 * Returns the summed cross-entropy over the rows; adds its time per phase into
 * prof when not NULL. */
double mlp_train_step(mlp_model *m, const mlp_batch *in, int B, const mlp_opt *o,
                      mlp_profile *prof);

/* mlp_opt for the [train] section of a configuration. */
mlp_opt mlp_opt_from_cfg(const cfg *c);

#endif
