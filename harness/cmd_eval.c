/* cmd_eval.c: ./experiment eval CHECKPOINT [--set section.key=value ...]: a saved
 * model evaluated on the test images of the data set it was trained on, printed
 * as train prints its evaluation.  --set may change the data folder or the
 * kernels, not the layers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cmd.h"
#include "util.h"

int cmd_eval(int argc, char **argv) {
    char err[1024];
    cfg c, stored;
    cmd_args a;
    float *params = NULL;
    size_t n_params;
    cfg_defaults(&c);
    int bad = cmd_parse_args(argc, argv, "", 1, &a, err, sizeof err);
    if (!bad && !a.n_pos) {
        snprintf(err, sizeof err, "eval needs a checkpoint (e.g. results/mnist/model.ckpt)");
        bad = 1;
    }
    const char *path = bad ? NULL : a.pos[0];
    bad = bad || ckpt_load(path, &c, &params, &n_params, err, sizeof err);
    stored = c;
    bad = bad || cmd_apply_sets(&a, &c, err, sizeof err);
    cmd_free_args(&a);
    if (bad) {
        free(params);
        return cmd_fail(EXIT_INPUT, err);
    }
    if (c.n_sizes != stored.n_sizes ||
        memcmp(c.sizes, stored.sizes, (size_t)c.n_sizes * sizeof *c.sizes)) {
        char want[1024], have[1024];
        size_t layers = (size_t)cfg_key_index("model.layers");
        cfg_format(&c, layers, want, sizeof want);
        cfg_format(&stored, layers, have, sizeof have);
        snprintf(err, sizeof err, "--set model.layers=%.256s: %.256s has layers %.256s (eval cannot "
                                  "change them)", want, path, have);
        free(params);
        return cmd_fail(EXIT_INPUT, err);
    }
    run_kernels k;
    run_data d = {0};
    mlp_model m;
    char msg[768];
    bad = cmd_choose_kernels(&c, &k, err, sizeof err) || run_data_load(&c, false, &d, err, sizeof err);
    /* The layers are the checkpoint's: it is what does not fit the data. */
    if (!bad && run_data_check(&c, &d, msg, sizeof msg)) {
        snprintf(err, sizeof err, "%.240s: %s", path, msg);
        bad = 1;
    }
    if (bad || mlp_create(&m, c.n_sizes, c.sizes, RUN_EVAL_BATCH, k.gemm, k.act, err, sizeof err)) {
        free(params);
        run_data_free(&d);
        return cmd_fail(EXIT_INPUT, err);
    }
    const mnist_set test = d.test;
    memcpy(m.params, params, n_params * sizeof *params);
    free(params);
    printf("checkpoint: %s (experiment %s, layers", path, c.name);
    for (int i = 0; i < c.n_sizes; i++) printf("%c%d", i ? ',' : ' ', c.sizes[i]);
    printf(", %zu parameters)\n", n_params);
    eval_result r;
    uint8_t *pred = xmalloc((size_t)test.n);
    train_evaluate(&m, data_rows(&test, 0, test.n), &r, pred);
    train_print_evaluation(stdout, &r, &test, pred);
    free(pred);
    mlp_free(&m);
    run_data_free(&d);
    return 0;
}
