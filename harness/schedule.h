/* schedule.h: the learning rate of every training step ([train] schedule).
 *
 * A step's place in training is t = epoch + step / steps, in epochs from 0 (its
 * start).  With W = warmup_epochs and E = epochs:
 *   constant  lr
 *   step      lr * step_gamma^floor(epoch / step_epochs)
 *   cosine    lr_min + (lr - lr_min) (1 + cos(pi (t - W) / (E - W))) / 2 after W
 * and each of the three rises first, over the W * steps steps of the warm-up, as
 * (k + 1) / (W * steps) times its rate (k the step's index from the start):
 * linear warm-up (Goyal et al. 2017).
 *   onecycle  lr_min + (lr - lr_min) (1 - cos(pi t / U)) / 2 up to U, then the
 *             cosine above from U (U = W, or 0.3 E when W is 0): Smith's 1cycle
 *             with cosine halves, as PyTorch's OneCycleLR. */
#ifndef SCHEDULE_H
#define SCHEDULE_H

#include "config.h"

typedef enum { SCHED_CONSTANT, SCHED_STEP, SCHED_COSINE, SCHED_ONECYCLE } schedule_kind;

typedef struct {
    schedule_kind kind;
    double lr, lr_min, warmup_epochs, step_gamma;
    int step_epochs, epochs;
} schedule;

/* The schedule of c's [train] keys. */
schedule schedule_from_cfg(const cfg *c);

/* The rate of step `step` (0-based) of epoch `epoch` (0-based), in epochs of
 * `steps` steps. */
double schedule_lr(const schedule *s, int epoch, int step, int steps);

#endif
