/* run.h: one training run, as `./experiment train` does it and a sweep does it
 * per point (data loaded and checked against the model, He init from the seed,
 * train_fit, evaluation on the test set), and the sweep executor: each run in a
 * child process, up to `jobs` at once with the cores divided between them, each
 * finished run appended to results/<name>/ (results.h).
 *
 * Prints nothing: progress goes through callbacks and hooks that the commands supply
 * (cmd_train.c, cmd_sweep.c). */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "csv.h"
#include "kernels.h"
#include "mlp.h"
#include "mnist.h"
#include "record.h"
#include "sweep.h"
#include "train.h"

#define RUN_EVAL_BATCH 256 /* rows per forward pass when evaluating */

/* A data set in memory: both splits of the folder `dir`. */
typedef struct {
    char dir[512];
    mnist_set train, test;
} run_data;

/* Loads cfg_data_dir(c): the test split, and the training split too when
 * with_train.  0, or -1 + err (with a hint to `make data`). */
int run_data_load(const cfg *c, bool with_train, run_data *d, char *err, size_t err_len);
void run_data_free(run_data *d);
/* The model's first and last sizes against the images (of each split loaded) and
 * the classes, and (when the training split is loaded) a validation split that
 * leaves training images.  0, or -1 + err, which starts with the key at fault
 * ("model.layers: ...") so that the caller can say where that key was set. */
int run_data_check(const cfg *c, const run_data *d, char *err, size_t err_len);
/* The training and validation rows (Keras' validation_split: the last fraction
 * of the training set, unshuffled). */
void run_data_split(const cfg *c, const run_data *d, data_view *train, data_view *val);

/* The kernels c names ("auto" resolved), with the threads set: kernels.threads,
 * or default_threads when that is 0 (<= 0: every core).  0, or -1 + err. */
typedef struct {
    const gemm_kernel *gemm;
    const act_kernel *act;
    int threads; /* now in force */
} run_kernels;
int run_select_kernels(const cfg *c, int default_threads, run_kernels *k, char *err,
                       size_t err_len);

/* Creates *m for c with kernels g and a, initialized from c->seed.  0, or -1 + err. */
int run_model(const cfg *c, const gemm_kernel *g, const act_kernel *a, mlp_model *m,
              rng_state *rng, char *err, size_t err_len);
/* Trains m (from run_model, same rng) on d's split and evaluates it on the test
 * set; fills r (run_result_free).  Divergence is r->status, not an error. */
void run_fit(const cfg *c, const run_data *d, mlp_model *m, rng_state *rng, batch_fn on_batch,
             epoch_fn on_epoch, void *ctx, run_result *r);
void run_result_free(run_result *r);

/* What the executor tells the hooks about a run. */
typedef struct {
    size_t run, n_runs;   /* 0-based run of the sweep, and the sweep's runs */
    size_t point;
    int repeat, jobs, epochs;
    uint64_t seed;
    const char *label;    /* sweep_label */
    double eta;           /* parent: seconds left for the runs to do, NaN unknown */
    void *user;
} run_progress;

typedef struct {
    void (*on_start)(const run_progress *p);                 /* parent, before the fork */
    batch_fn on_batch;                                       /* child; ctx = run_progress */
    epoch_fn on_epoch;                                       /* child; ctx = run_progress */
    void (*on_end)(const run_progress *p, const run_result *r); /* child, row written */
    void (*on_error)(const run_progress *p, const char *msg);   /* parent or child */
    void *user;
} run_hooks;

typedef struct {
    const sweep *s;
    const char *dir;            /* results/<name> */
    const char *sweep_id;
    const run_data *data;       /* (n_data) every data folder the runs read */
    size_t n_data;
    int jobs;                   /* runs at once, >= 1 */
    int shard_index, shard_count;
    int cores;                  /* divided between the jobs when kernels.threads = 0 */
    const csv_table *done;      /* runs.csv rows from results_prepare */
    run_hooks hooks;
} run_plan;

typedef struct {
    size_t ok, diverged, failed, skipped, todo;
    bool interrupted; /* SIGINT or SIGTERM: the runs in progress were stopped */
} run_counts;

/* The data set of the plan that c reads. */
const run_data *run_plan_data(const run_plan *p, const cfg *c);

/* Runs every run of the plan's shard that `done` lacks.  Returns 0 when every run
 * wrote its row (ok, diverged or failed) or the sweep was interrupted; -1 + err
 * when a result could not be written. */
int run_sweep(const run_plan *p, run_counts *n, char *err, size_t err_len);

#endif
