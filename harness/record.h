/* record.h: what one finished run produced, as run.c fills it and results.c
 * writes it to runs.csv and epochs.csv: the record both sides share, so that
 * the executor (run.h) depends on the result files (results.h) and not the
 * other way round. */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "mlp.h"
#include "profile.h"
#include "train.h"

typedef enum { RUN_OK, RUN_DIVERGED, RUN_FAILED } run_status;
/* "ok", "diverged", "failed": the status column of runs.csv */
static inline const char *run_status_name(run_status s) {
    return s == RUN_OK ? "ok" : s == RUN_DIVERGED ? "diverged" : "failed";
}

typedef struct {
    run_status status;
    char why[512];         /* diverged or failed: what happened */
    int epochs;            /* epochs in hist: all of them when ok, fewer after an early stop */
    int epoch_kept;        /* the epoch whose weights were kept (train.early_stop), else the last */
    int target_epoch;      /* train.target_acc: first epoch whose val_acc reached it, 0 if none */
    double target_seconds; /* the epochs' seconds up to and with target_epoch; NaN if none */
    epoch_stats *hist;     /* (c->epochs) */
    eval_result test;      /* ok only */
    uint8_t *pred;         /* (test.n) predictions, ok only */
    double train_seconds;  /* train_fit, validation passes included */
    double samples_per_second; /* training images * epochs / train_seconds */
    const char *gemm, *act; /* the kernels that ran */
    int threads;            /* of the training's team (mlp_team_size) */
    bool picked;            /* kernels.threads = 0: threads picked on the last epoch's */
    double pick_us[2];      /* first steps (train_pick), which took these us on 1 and all */
    bool profiled;          /* train.profile: prof and limits hold the steps' breakdown */
    mlp_profile prof;
    profile_limits limits;
} run_result;

#endif
