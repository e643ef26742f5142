/* train.h: the training loop (mini-batches, reshuffled every epoch from a seeded
 * RNG, Keras-style running metrics) and evaluation (loss, accuracy, confusion
 * matrix) of an mlp_model over a data set held in memory, and how the commands
 * print both. */
#ifndef TRAIN_H
#define TRAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "augment.h"
#include "mlp.h"
#include "mnist.h"
#include "schedule.h"

typedef struct {
    int n, d;          /* rows, inputs per row */
    const float *x;    /* (n, d) */
    const uint8_t *y;  /* (n) */
    const uint8_t *px; /* (n, d) x as image bytes (x = px / KERNELS_PIXEL_SCALE), or NULL */
} data_view;

/* Rows [from, to) of a loaded set. */
data_view data_rows(const mnist_set *s, int from, int to);

typedef struct {
    int epoch;                    /* 1-based */
    double train_loss, train_acc; /* running means over the epoch's batches, as Keras */
    double val_loss, val_acc;     /* after the epoch; NaN without a validation set */
    double lr;                    /* the learning rate of the epoch's last step */
    double seconds;               /* training pass and validation */
    double train_seconds;         /* training pass */
} epoch_stats;

typedef struct {
    int n;
    double loss, acc; /* mean cross-entropy, fraction correct */
    long confusion[MNIST_CLASSES][MNIST_CLASSES]; /* [true][predicted] */
} eval_result;

/* Called after each batch (for a progress bar) and after each epoch. */
typedef void (*batch_fn)(int epoch, int step, int steps, double loss, double acc,
                         double seconds, void *ctx);
typedef void (*epoch_fn)(const epoch_stats *s, void *ctx);

/* kernels.threads = 0: the team size, 1 or `all`, chosen on the first steps of
 * each epoch (train_fit); us holds the last epoch's times. */
typedef struct {
    int all;       /* the larger size, > 1 */
    bool picked;   /* out: the steps were timed, and team_max holds the faster size */
    double us[2];  /* out: microseconds per step measured on 1 and on all threads */
} train_pick;

typedef struct {
    int epochs, batch;
    mlp_opt opt;
    const schedule *sched; /* may be NULL: opt.lr throughout; else its rate at every step */
    int early_stop;    /* > 0: Keras' EarlyStopping(patience=early_stop, restore_best_weights) */
    augment *aug;      /* may be NULL: every training image distorted before its step */
    rng_state *rng; /* shuffling */
    batch_fn on_batch; /* may be NULL */
    epoch_fn on_epoch; /* may be NULL */
    void *ctx;
    mlp_profile *prof; /* may be NULL: where the steps' time goes (mlp_train_step) */
    train_pick *pick;  /* may be NULL: the team size is the model's team_max */
} train_opts;

/* Trains m on train, evaluating on val (n == 0: none) after each epoch; the
 * statistics of each epoch go to hist[0..epochs-1] (hist[k].epoch stays 0 past
 * an early stop).  With o->opt.ema > 0 the validation uses the averaged
 * weights, and they replace params at the end.  With o->early_stop, training
 * stops after that many epochs without a lower val_loss, and params end as the
 * weights validated at the best epoch, whose number goes to *kept (else the last
 * epoch's).
 * With o->pick, each epoch's first steps also choose m->team_max (train_pick).
 * Returns 0, or 1 when the loss became NaN or infinite (err says where; the
 * model is then unusable). */
int train_fit(mlp_model *m, data_view train, data_view val, const train_opts *o,
              epoch_stats *hist, int *kept, char *err, size_t err_len);

/* Evaluates m on d in chunks of m->max_batch rows; pred (d.n), if not NULL,
 * receives every prediction. */
void train_evaluate(mlp_model *m, data_view d, eval_result *r, uint8_t *pred);

/* Keras' progress: a live bar on stderr when it is a terminal (live), one line
 * per epoch on stdout; prefix names the run in a sweep. */
typedef struct {
    int epochs;
    bool live;
    double last_draw;
    char prefix[32];
} train_progress;

void train_show_batch(train_progress *p, int epoch, int step, int steps, double loss, double acc,
                      double seconds);
void train_show_epoch(train_progress *p, const epoch_stats *s);

/* The evaluation the seed took from scikit-learn: loss, accuracy, the
 * classification report and the confusion matrix, and the predictions of the
 * first 20 test images (pred: test->n predictions). */
void train_print_evaluation(FILE *f, const eval_result *r, const mnist_set *test,
                            const uint8_t *pred);

#endif
