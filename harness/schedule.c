/* schedule.c: see schedule.h. */
#include "schedule.h"

#include <math.h>
#include <string.h>

schedule schedule_from_cfg(const cfg *c) {
    schedule s = {.lr = c->lr, .lr_min = c->lr_min, .warmup_epochs = c->warmup_epochs,
                  .step_gamma = c->step_gamma, .step_epochs = c->step_epochs,
                  .epochs = c->epochs};
    s.kind = !strcmp(c->schedule, "step")       ? SCHED_STEP
             : !strcmp(c->schedule, "cosine")   ? SCHED_COSINE
             : !strcmp(c->schedule, "onecycle") ? SCHED_ONECYCLE
                                                : SCHED_CONSTANT;
    return s;
}

/* From hi at p = 0 down to lo at p = 1, half a cosine. */
static double cosine_down(double hi, double lo, double p) {
    return lo + (hi - lo) * (1 + cos(M_PI * p)) / 2;
}

double schedule_lr(const schedule *s, int epoch, int step, int steps) {
    const double t = epoch + (double)step / steps, E = s->epochs;
    if (s->kind == SCHED_ONECYCLE) {
        double up = s->warmup_epochs > 0 ? s->warmup_epochs : 0.3 * E;
        return t < up ? cosine_down(s->lr_min, s->lr, t / up)
                      : cosine_down(s->lr, s->lr_min, (t - up) / (E - up));
    }
    const double W = s->warmup_epochs;
    double lr = s->kind == SCHED_STEP     ? s->lr * pow(s->step_gamma, epoch / s->step_epochs)
                : s->kind == SCHED_COSINE ? cosine_down(s->lr, s->lr_min, t < W ? 0 : (t - W) / (E - W))
                                          : s->lr;
    const double warm_steps = W * steps, k = (double)epoch * steps + step;
    return k + 1 < warm_steps ? lr * (k + 1) / warm_steps : lr;
}
