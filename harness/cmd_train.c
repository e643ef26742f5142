/* cmd_train.c: ./experiment train [FILE.ini] [--set section.key=value ...]
 * [--profile]: one configuration trained (run.c's run_fit), with Keras' progress,
 * the evaluation on the test set and results/<name>/'s files: epochs, summary,
 * confusion, predictions (and profile) CSVs and model.ckpt. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cmd.h"
#include "csv.h"
#include "kernels.h"
#include "profile.h"
#include "util.h"

static void on_batch(int epoch, int step, int steps, double loss, double acc, double seconds,
                     void *ctx) {
    train_show_batch(ctx, epoch, step, steps, loss, acc, seconds);
}

static void on_epoch(const epoch_stats *s, void *ctx) { train_show_epoch(ctx, s); }

/* Opens dir/name for an atomic write. */
static int open_result(afile *a, const char *dir, const char *name, char *err, size_t len) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return afile_open(a, path, err, len);
}

/* summary.csv's header and row: every configuration key (by its section.key
 * name, then its value), then the test metrics.  0, or -1 when memory ran out. */
static int write_summary(FILE *f, const cfg *c, const run_result *r) {
    static const char *const metric[] = {"test_loss", "test_acc", "train_seconds", "epoch_kept",
                                         "target_epoch", "target_seconds"},
                             *const fmt[] = {"%.6f", "%.6f", "%.4f", "%.0f", "%.0f", "%.4f"};
    const double x[] = {r->test.loss, r->test.acc, r->train_seconds, r->epoch_kept,
                        r->target_epoch ? r->target_epoch : NAN, r->target_seconds};
    size_t n_keys = cfg_n_keys(), n = n_keys + sizeof x / sizeof *x;
    const char **names = xcalloc(n, sizeof *names), **values = xcalloc(n, sizeof *values);
    char(*text)[1024] = xcalloc(n, sizeof *text);
    for (size_t i = 0; i < n; i++) {
        if (i < n_keys) {
            names[i] = cfg_key_name(i);
            cfg_format(c, i, text[i], sizeof text[i]);
        } else {
            names[i] = metric[i - n_keys];
            /* a target never reached is empty, as in runs.csv */
            if (isnan(x[i - n_keys])) text[i][0] = '\0';
            else snprintf(text[i], sizeof text[i], fmt[i - n_keys], x[i - n_keys]);
        }
        values[i] = text[i];
    }
    char *header = csv_join(names, n), *row = csv_join(values, n);
    int rc = header && row ? 0 : -1;
    if (rc == 0) {
        fputs(header, f);
        fputs(row, f);
    }
    free(header);
    free(row);
    free(names);
    free(values);
    free(text);
    return rc;
}

static int write_results(const char *dir, const cfg *c, const run_result *r,
                         const mnist_set *test_set, const mlp_model *m, char *err, size_t len) {
    const epoch_stats *hist = r->hist;
    const eval_result *test = &r->test;
    char path[256];
    afile a;
    if (mkdir_p(dir, err, len) || open_result(&a, dir, "epochs.csv", err, len)) return -1;
    fprintf(a.f, "epoch,train_loss,train_acc,val_loss,val_acc,seconds,lr\n");
    for (int e = 0; e < r->epochs; e++)
        fprintf(a.f, "%d,%.6f,%.6f,%.6f,%.6f,%.4f,%.6g\n", hist[e].epoch, hist[e].train_loss,
                hist[e].train_acc, hist[e].val_loss, hist[e].val_acc, hist[e].seconds, hist[e].lr);
    if (afile_commit(&a, err, len)) return -1;

    if (open_result(&a, dir, "summary.csv", err, len)) return -1;
    if (write_summary(a.f, c, r)) {
        afile_abort(&a);
        snprintf(err, len, "%s/summary.csv: out of memory", dir);
        return -1;
    }
    if (afile_commit(&a, err, len)) return -1;

    if (open_result(&a, dir, "confusion.csv", err, len)) return -1;
    fprintf(a.f, "true");
    for (int j = 0; j < MNIST_CLASSES; j++) fprintf(a.f, ",pred_%d", j);
    for (int k = 0; k < MNIST_CLASSES; k++) {
        fprintf(a.f, "\n%d", k);
        for (int j = 0; j < MNIST_CLASSES; j++) fprintf(a.f, ",%ld", test->confusion[k][j]);
    }
    fputc('\n', a.f);
    if (afile_commit(&a, err, len)) return -1;

    if (open_result(&a, dir, "predictions.csv", err, len)) return -1;
    fprintf(a.f, "index,label,predicted\n");
    for (int i = 0; i < test_set->n; i++) fprintf(a.f, "%d,%d,%d\n", i, test_set->y[i], r->pred[i]);
    if (afile_commit(&a, err, len)) return -1;

    snprintf(path, sizeof path, "%s/model.ckpt", dir);
    return ckpt_save(path, m, c, err, len);
}

int cmd_train(int argc, char **argv) {
    char err[1024], buf[4096];
    cfg c;
    cmd_args a;
    cfg_defaults(&c);
    int bad = cmd_parse_args(argc, argv, "--profile", 1, &a, err, sizeof err);
    /* The file first, so that the --set options override it. */
    const char *path =
        bad ? NULL : cmd_resolve_ini(a.n_pos ? a.pos[0] : DEFAULT_EXPERIMENT, buf, sizeof buf);
    bad = bad || cfg_load_file(&c, path, err, sizeof err) || cmd_apply_sets(&a, &c, err, sizeof err);
    cmd_free_args(&a);
    if (bad) return cmd_fail(EXIT_INPUT, err);

    run_kernels k;
    if (cmd_choose_kernels(&c, &k, err, sizeof err)) return cmd_fail(EXIT_INPUT, err);
    printf("config (%s):\n", path);
    cfg_print(stdout, &c, NULL, NULL);

    run_data d;
    if (run_data_load(&c, true, &d, err, sizeof err)) return cmd_fail(EXIT_INPUT, err);
    data_view tr, val;
    mlp_model m;
    rng_state rng;
    if (run_data_check(&c, &d, err, sizeof err) ||
        run_model(&c, k.gemm, k.act, &m, &rng, err, sizeof err)) {
        cmd_blame_key(argc, argv, "", path, err, sizeof err);
        run_data_free(&d);
        return cmd_fail(EXIT_INPUT, err);
    }
    run_data_split(&c, &d, &tr, &val);
    printf("data: %s: %d training, %d validation, %d test images of %dx%d\n", d.dir, tr.n, val.n,
           d.test.n, d.train.rows, d.train.cols);
    printf("model: %zu parameters\n", m.n_params);

    train_progress p = {.epochs = c.epochs, .live = isatty(STDERR_FILENO)};
    run_result r;
    run_fit(&c, &d, &m, &rng, on_batch, on_epoch, &p, &r);
    int rc = r.status != RUN_OK;
    if (rc) snprintf(err, sizeof err, "%s", r.why);
    if (r.picked)
        printf("threads: %d, picked by kernels.threads = 0 (a step measured %.1f us on 1 thread, "
               "%.1f us on %d)\n", r.threads, r.pick_us[0], r.pick_us[1], kernels_max_threads());
    if (rc == 0 && c.early_stop > 0)
        printf("early stopping: %d of %d epochs run, kept the weights of epoch %d (val_loss %.4f)\n",
               r.epochs, c.epochs, r.epoch_kept, r.hist[r.epoch_kept - 1].val_loss);
    if (rc == 0 && c.target_acc > 0) {
        if (r.target_epoch)
            printf("target: val_accuracy %.4f first reached at epoch %d, after %.2fs\n", c.target_acc,
                   r.target_epoch, r.target_seconds);
        else
            printf("target: val_accuracy %.4f not reached in %d epochs\n", c.target_acc, r.epochs);
    }
    if (rc == 0) {
        train_print_evaluation(stdout, &r.test, &d.test, r.pred);
        char dir[96];
        snprintf(dir, sizeof dir, "results/%s", c.name);
        rc = write_results(dir, &c, &r, &d.test, &m, err, sizeof err);
        if (rc == 0 && r.profiled) {
            char path[128];
            snprintf(path, sizeof path, "%s/profile.csv", dir);
            profile_print(&r.prof, &r.limits);
            rc = profile_write(path, false, "", &c, r.gemm, r.act, &r.prof, &r.limits, err,
                               sizeof err);
        }
        if (rc == 0)
            printf("\ntrained in %.2fs; wrote %s/{epochs,summary,confusion,predictions%s}.csv and "
                   "%s/model.ckpt\n", r.train_seconds, dir, r.profiled ? ",profile" : "", dir);
    }
    run_result_free(&r);
    mlp_free(&m);
    run_data_free(&d);
    return rc ? cmd_fail(EXIT_RUN, err) : 0;
}
