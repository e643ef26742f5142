/* mlp_pick.c: kernels.threads = 0's choice of the team size, by timing a few
 * training steps of a scratch copy of the model on 1 thread and on every core.
 * The choice cannot change the results (the step is bit-identical for every
 * thread count), only the time. */
#include "mlp.h"

#include <string.h>


/* mlp_pick_team measures each size in a block of its own (warm-up steps, then
 * rounds of steps, the fastest round counting), in the order 1, all, all, 1, so
 * that neither gains from running second: switching sizes moves the model's
 * data between the cores' caches, and on a VM the host may move its pages. */
enum { MLP_PICK_ROUNDS = 4, MLP_PICK_STEPS = 8 };

static double mlp_pick_time(mlp_model *s, int nt, const mlp_batch *in, int B, const mlp_opt *o) {
    s->team_max = nt;
    for (int i = 0; i < MLP_PICK_STEPS; i++) mlp_train_step(s, in, B, o, NULL);
    double best = 0;
    for (int r = 0; r < MLP_PICK_ROUNDS; r++) {
        double t0 = now_seconds();
        for (int i = 0; i < MLP_PICK_STEPS; i++) mlp_train_step(s, in, B, o, NULL);
        double t = 1e6 * (now_seconds() - t0) / MLP_PICK_STEPS;
        if (r == 0 || t < best) best = t;
    }
    return best;
}

int mlp_pick_team(const mlp_model *m, const mlp_batch *in, int B, const mlp_opt *o,
                  double us[2]) {
    const int all = mlp_team_size(m);
    mlp_model s;
    char err[128];
    us[0] = us[1] = 0;
    if (all == 1 || mlp_create(&s, m->n_layers + 1, m->sizes, m->max_batch, m->gemm, m->ak, err,
                               sizeof err))
        return 1;
    memcpy(s.params, m->params, m->n_params * sizeof(float));
    memcpy(s.avg, m->params, m->n_params * sizeof(float));
    static const int order[4] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++) {
        int c = order[i];
        double t = mlp_pick_time(&s, c ? all : 1, in, B, o);
        if (i < 2 || t < us[c]) us[c] = t;
    }
    mlp_free(&s);
    return us[1] < us[0] ? all : 1;
}
