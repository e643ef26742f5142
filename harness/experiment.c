/* experiment.c: main of ./experiment, the command line of simd-mlp.
 *
 *   ./experiment train [FILE.ini] [--set section.key=value ...]
 *   ./experiment eval CHECKPOINT [--set section.key=value ...]
 *   ./experiment kernels
 *
 * The only file that prints and picks exit codes: 0 ok, 1 the run failed
 * (diverged, could not write results), 2 bad input (usage, configuration, data). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "config.h"
#include "kernels.h"
#include "mlp.h"
#include "mnist.h"
#include "train.h"

#define EXIT_RUN 1
#define EXIT_INPUT 2
#define DEFAULT_EXPERIMENT "experiments/mnist.ini"
#define EVAL_BATCH 256 /* rows per forward pass when evaluating */

static int fail(int code, const char *msg) {
    fprintf(stderr, "experiment: %s\n", msg);
    return code;
}

static void usage(FILE *f) {
    fputs("usage: experiment <command> [args]\n"
          "  train [FILE.ini] [--set section.key=value ...]\n"
          "        train the MLP of FILE.ini (default " DEFAULT_EXPERIMENT "); a FILE with no\n"
          "        folder that is not in the current one is looked up in experiments/\n"
          "  eval CHECKPOINT [--set section.key=value ...]\n"
          "        evaluate a saved model on its data set's test images\n"
          "  kernels\n"
          "        list the GEMM and activation kernels and whether this CPU runs them\n"
          "  help  this text\n"
          "exit status: 0 ok, 1 the run failed, 2 bad input (usage, configuration, data)\n",
          f);
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* "lr.ini" finds experiments/lr.ini unless the current folder has one. */
static const char *resolve_ini(const char *arg, char *buf, size_t len) {
    if (strchr(arg, '/') || file_exists(arg)) return arg;
    snprintf(buf, len, "experiments/%s", arg);
    return file_exists(buf) ? buf : arg;
}

/* The arguments after the command: --set options and one positional. */
typedef struct {
    const char *positional;
    int n_sets;
    const char **sets; /* "section.key=value" */
} cmd_args;

static int parse_args(int argc, char **argv, cmd_args *a, char *err, size_t len) {
    a->positional = NULL;
    a->n_sets = 0;
    a->sets = xcalloc((size_t)argc, sizeof *a->sets);
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--set")) {
            if (i + 1 == argc) {
                snprintf(err, len, "--set needs an argument: --set section.key=value");
                return -1;
            }
            a->sets[a->n_sets++] = argv[++i];
        } else if (!strncmp(arg, "--set=", 6)) {
            a->sets[a->n_sets++] = arg + 6;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            snprintf(err, len, "unknown option '%s' (try: experiment help)", arg);
            return -1;
        } else if (!a->positional) {
            a->positional = arg;
        } else {
            snprintf(err, len, "unexpected argument '%s' (try: experiment help)", arg);
            return -1;
        }
    }
    return 0;
}

static int apply_sets(const cmd_args *a, cfg *c, char *err, size_t len) {
    char msg[512];
    for (int i = 0; i < a->n_sets; i++)
        if (cfg_set(c, a->sets[i], msg, sizeof msg)) {
            snprintf(err, len, "--set %s", msg);
            return -1;
        }
    return 0;
}

typedef struct {
    const gemm_kernel *gemm;
    const act_kernel *act;
    int threads;
} kernel_choice;

static int choose_kernels(const cfg *c, kernel_choice *k, char *err, size_t len) {
    char why[256];
    if (!(k->gemm = gemm_select(c->gemm, why, sizeof why)) ||
        !(k->act = act_select(c->activation, why, sizeof why))) {
        snprintf(err, len, "%s", why);
        return -1;
    }
    k->threads = kernels_set_threads(c->threads);
    char cpu[128];
    cpu_features_str(cpu_features(), cpu, sizeof cpu);
    printf("kernels: gemm %s%s, activation %s%s, %d thread%s (cpu: %s)\n", k->gemm->name,
           strcmp(c->gemm, "auto") ? "" : " (auto)", k->act->name,
           strcmp(c->activation, "auto") ? "" : " (auto)", k->threads, k->threads == 1 ? "" : "s",
           cpu);
    return 0;
}

static void print_config(const cfg *c, const char *source) {
    char value[1024];
    printf("config (%s):\n", source);
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        cfg_format(c, i, value, sizeof value);
        printf("  %-20s = %s\n", cfg_key_name(i), value);
    }
}

/* Loads a split and checks it against the model's input and output sizes. */
static int load_split(const cfg *c, const char *split, mnist_set *s, char *err, size_t len) {
    if (mnist_load(cfg_data_dir(c), split, s, err, len)) {
        if (!strcmp(c->dataset, "mnist") && !c->data_dir[0] && errno == ENOENT)
            snprintf(err + strlen(err), len - strlen(err), " (run: make data)");
        return -1;
    }
    int d = s->rows * s->cols, C = c->sizes[c->n_sizes - 1];
    if (c->sizes[0] != d || C != MNIST_CLASSES) {
        snprintf(err, len, "model.layers: %d inputs and %d outputs, but %s has %dx%d = %d pixels "
                           "and %d classes (layers must start with %d and end with %d)",
                 c->sizes[0], C, cfg_data_dir(c), s->rows, s->cols, d, MNIST_CLASSES, d,
                 MNIST_CLASSES);
        mnist_free(s);
        return -1;
    }
    return 0;
}

/* Keras' progress: a live bar on stderr when it is a terminal, one line per epoch. */
typedef struct {
    int epochs;
    bool live;
    double last_draw;
} progress;

static void draw_bar(int step, int steps, char *bar, size_t width) {
    size_t done = (size_t)((double)step / steps * (double)width);
    for (size_t i = 0; i < width; i++) bar[i] = i < done ? '=' : '.';
    if (done < width) bar[done] = '>';
    bar[width] = '\0';
}

static void on_batch(int epoch, int step, int steps, double loss, double acc, double seconds,
                     void *ctx) {
    progress *p = ctx;
    if (!p->live || (step < steps && seconds - p->last_draw < 0.1)) return;
    p->last_draw = seconds;
    char bar[31];
    draw_bar(step, steps, bar, 30);
    double eta = seconds / step * (steps - step);
    fprintf(stderr, "\rEpoch %d/%d %d/%d [%s] - ETA: %.0fs - loss: %.4f - accuracy: %.4f\033[K",
            epoch, p->epochs, step, steps, bar, eta, loss, acc);
    if (step == steps) fputs("\r\033[K", stderr);
}

static void on_epoch(const epoch_stats *s, void *ctx) {
    progress *p = ctx;
    p->last_draw = 0;
    printf("Epoch %d/%d - %.2fs - loss: %.4f - accuracy: %.4f - val_loss: %.4f - val_accuracy: %.4f\n",
           s->epoch, p->epochs, s->seconds, s->train_loss, s->train_acc, s->val_loss, s->val_acc);
    fflush(stdout);
}

/* The evaluation the seed took from scikit-learn: loss, accuracy, the
 * classification report and the confusion matrix, and a few sample predictions. */
static void print_evaluation(const eval_result *r, const mnist_set *test, const uint8_t *pred) {
    printf("\ntest loss: %.4f - test accuracy: %.2f%% (%d images, standard error %.2f points)\n",
           r->loss, 100 * r->acc, r->n, 100 * sqrt(r->acc * (1 - r->acc) / r->n));
    printf("\n%12s %9s %9s %9s %9s\n", "", "precision", "recall", "f1-score", "support");
    double macro[3] = {0}, weighted[3] = {0};
    for (int k = 0; k < MNIST_CLASSES; k++) {
        long tp = r->confusion[k][k], support = 0, predicted = 0;
        for (int j = 0; j < MNIST_CLASSES; j++) {
            support += r->confusion[k][j];
            predicted += r->confusion[j][k];
        }
        double prec = predicted ? (double)tp / predicted : 0, rec = support ? (double)tp / support : 0,
               f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0, v[3] = {prec, rec, f1};
        for (int i = 0; i < 3; i++) {
            macro[i] += v[i] / MNIST_CLASSES;
            weighted[i] += v[i] * (double)support / r->n;
        }
        printf("%12d %9.4f %9.4f %9.4f %9ld\n", k, prec, rec, f1, support);
    }
    printf("\n%12s %9s %9s %9.4f %9d\n", "accuracy", "", "", r->acc, r->n);
    printf("%12s %9.4f %9.4f %9.4f %9d\n", "macro avg", macro[0], macro[1], macro[2], r->n);
    printf("%12s %9.4f %9.4f %9.4f %9d\n", "weighted avg", weighted[0], weighted[1], weighted[2], r->n);

    printf("\nconfusion matrix (rows: true label, columns: predicted)\n      ");
    for (int j = 0; j < MNIST_CLASSES; j++) printf("%6d", j);
    for (int k = 0; k < MNIST_CLASSES; k++) {
        printf("\n%6d", k);
        for (int j = 0; j < MNIST_CLASSES; j++) printf("%6ld", r->confusion[k][j]);
    }
    int n = test->n < 20 ? test->n : 20;
    printf("\n\nsample predictions (first %d test images, * = wrong)\n  true:     ", n);
    for (int i = 0; i < n; i++) printf(" %d", test->y[i]);
    printf("\n  predicted:");
    for (int i = 0; i < n; i++) printf(" %d", pred[i]);
    printf("\n             ");
    for (int i = 0; i < n; i++) printf("%c ", pred[i] == test->y[i] ? ' ' : '*');
    printf("\n");
}

static void config_header(FILE *f) {
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        if (i) fputc(',', f);
        csv_field(f, cfg_key_name(i));
    }
}

static void config_values(FILE *f, const cfg *c) {
    char value[1024];
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        if (i) fputc(',', f);
        cfg_format(c, i, value, sizeof value);
        csv_field(f, value);
    }
}

/* Opens dir/name for an atomic write. */
static int open_result(afile *a, const char *dir, const char *name, char *err, size_t len) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return afile_open(a, path, err, len);
}

static int write_results(const char *dir, const cfg *c, const epoch_stats *hist,
                         const eval_result *test, double train_seconds, const mlp_model *m,
                         char *err, size_t len) {
    char path[256];
    afile a;
    if (mkdir_p(dir, err, len) || open_result(&a, dir, "epochs.csv", err, len)) return -1;
    fprintf(a.f, "epoch,train_loss,train_acc,val_loss,val_acc,seconds\n");
    for (int e = 0; e < c->epochs; e++)
        fprintf(a.f, "%d,%.6f,%.6f,%.6f,%.6f,%.4f\n", hist[e].epoch, hist[e].train_loss,
                hist[e].train_acc, hist[e].val_loss, hist[e].val_acc, hist[e].seconds);
    if (afile_commit(&a, err, len)) return -1;

    if (open_result(&a, dir, "summary.csv", err, len)) return -1;
    config_header(a.f);
    fprintf(a.f, ",test_loss,test_acc,train_seconds\n");
    config_values(a.f, c);
    fprintf(a.f, ",%.6f,%.6f,%.4f\n", test->loss, test->acc, train_seconds);
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

    snprintf(path, sizeof path, "%s/model.ckpt", dir);
    return ckpt_save(path, m, c, err, len);
}

static int cmd_train(int argc, char **argv) {
    char err[1024], buf[4096];
    cfg c;
    cmd_args a;
    cfg_defaults(&c);
    int bad = parse_args(argc, argv, &a, err, sizeof err);
    /* The file first, so that the --set options override it. */
    const char *path = bad ? NULL : resolve_ini(a.positional ? a.positional : DEFAULT_EXPERIMENT, buf, sizeof buf);
    bad = bad || cfg_load_file(&c, path, err, sizeof err) || apply_sets(&a, &c, err, sizeof err);
    free(a.sets);
    if (bad) return fail(EXIT_INPUT, err);

    kernel_choice k;
    if (choose_kernels(&c, &k, err, sizeof err)) return fail(EXIT_INPUT, err);
    print_config(&c, path);

    mnist_set train = {0}, test = {0};
    if (load_split(&c, "train", &train, err, sizeof err) ||
        load_split(&c, "t10k", &test, err, sizeof err)) {
        mnist_free(&train);
        return fail(EXIT_INPUT, err);
    }
    /* Keras' validation_split: the last fraction of the training set, unshuffled. */
    int split_at = (int)(train.n * (1.0 - c.val_split));
    if (split_at < 1) {
        snprintf(err, sizeof err, "data.val_split: %g leaves no training images of %d", c.val_split,
                 train.n);
        mnist_free(&train);
        mnist_free(&test);
        return fail(EXIT_INPUT, err);
    }
    data_view tr = data_rows(&train, 0, split_at), val = data_rows(&train, split_at, train.n);
    printf("data: %s: %d training, %d validation, %d test images of %dx%d\n", cfg_data_dir(&c),
           tr.n, val.n, test.n, train.rows, train.cols);

    mlp_model m;
    int max_batch = c.batch > EVAL_BATCH ? c.batch : EVAL_BATCH;
    if (mlp_create(&m, c.n_sizes, c.sizes, max_batch, k.gemm, k.act, err, sizeof err)) {
        mnist_free(&train);
        mnist_free(&test);
        return fail(EXIT_INPUT, err);
    }
    rng_state rng;
    rng_seed(&rng, c.seed);
    mlp_init_he(&m, &rng);
    printf("model: %zu parameters\n", m.n_params);

    progress p = {.epochs = c.epochs, .live = isatty(STDERR_FILENO)};
    train_opts o = {.epochs = c.epochs, .batch = c.batch, .opt = mlp_opt_from_cfg(&c), .rng = &rng,
                    .on_batch = on_batch, .on_epoch = on_epoch, .ctx = &p};
    epoch_stats *hist = xcalloc((size_t)c.epochs, sizeof *hist);
    double t0 = now_seconds();
    int rc = train_fit(&m, tr, val, &o, hist, err, sizeof err);
    double train_seconds = now_seconds() - t0;
    if (rc == 0) {
        eval_result r;
        uint8_t *pred = xmalloc((size_t)test.n);
        train_evaluate(&m, data_rows(&test, 0, test.n), &r, pred);
        print_evaluation(&r, &test, pred);
        free(pred);
        char dir[96];
        snprintf(dir, sizeof dir, "results/%s", c.name);
        rc = write_results(dir, &c, hist, &r, train_seconds, &m, err, sizeof err);
        if (rc == 0)
            printf("\ntrained in %.2fs; wrote %s/{epochs,summary,confusion}.csv and %s/model.ckpt\n",
                   train_seconds, dir, dir);
    }
    free(hist);
    mlp_free(&m);
    mnist_free(&train);
    mnist_free(&test);
    return rc ? fail(EXIT_RUN, err) : 0;
}

static int cmd_eval(int argc, char **argv) {
    char err[1024];
    cfg c, stored;
    cmd_args a;
    float *params = NULL;
    size_t n_params;
    cfg_defaults(&c);
    int bad = parse_args(argc, argv, &a, err, sizeof err);
    if (!bad && !a.positional) {
        snprintf(err, sizeof err, "eval needs a checkpoint (e.g. results/mnist/model.ckpt)");
        bad = 1;
    }
    bad = bad || ckpt_load(a.positional, &c, &params, &n_params, err, sizeof err);
    stored = c;
    bad = bad || apply_sets(&a, &c, err, sizeof err);
    const char *path = a.positional;
    free(a.sets);
    if (bad) {
        free(params);
        return fail(EXIT_INPUT, err);
    }
    if (c.n_sizes != stored.n_sizes ||
        memcmp(c.sizes, stored.sizes, (size_t)c.n_sizes * sizeof *c.sizes)) {
        free(params);
        return fail(EXIT_INPUT, "--set model.layers: differs from the checkpoint's layers");
    }
    kernel_choice k;
    mnist_set test = {0};
    mlp_model m;
    if (choose_kernels(&c, &k, err, sizeof err) || load_split(&c, "t10k", &test, err, sizeof err) ||
        mlp_create(&m, c.n_sizes, c.sizes, EVAL_BATCH, k.gemm, k.act, err, sizeof err)) {
        free(params);
        mnist_free(&test);
        return fail(EXIT_INPUT, err);
    }
    memcpy(m.params, params, n_params * sizeof *params);
    free(params);
    printf("checkpoint: %s (experiment %s, layers", path, c.name);
    for (int i = 0; i < c.n_sizes; i++) printf("%c%d", i ? ',' : ' ', c.sizes[i]);
    printf(", %zu parameters)\n", n_params);
    eval_result r;
    uint8_t *pred = xmalloc((size_t)test.n);
    train_evaluate(&m, data_rows(&test, 0, test.n), &r, pred);
    print_evaluation(&r, &test, pred);
    free(pred);
    mlp_free(&m);
    mnist_free(&test);
    return 0;
}

static void print_kernel(const char *name, unsigned needs, const char *desc) {
    char feats[128];
    cpu_features_str(needs, feats, sizeof feats);
    printf("  %s %-10s needs %-36s %s\n", kernel_runs_here(needs) ? "\u2713" : "\u2717", name,
           needs ? feats : "-", desc);
}

static int cmd_kernels(void) {
    char cpu[128], why[256];
    size_t ng, na;
    const gemm_kernel *g = gemm_table(&ng);
    const act_kernel *a = act_table(&na);
    cpu_features_str(cpu_features(), cpu, sizeof cpu);
    printf("cpu: %s; threads: %d\ngemm:\n", cpu, kernels_max_threads());
    for (size_t i = 0; i < ng; i++) print_kernel(g[i].name, g[i].needs, g[i].desc);
    printf("activation:\n");
    for (size_t i = 0; i < na; i++) print_kernel(a[i].name, a[i].needs, a[i].desc);
    printf("auto: gemm %s, activation %s\n", gemm_select("auto", why, sizeof why)->name,
           act_select("auto", why, sizeof why)->name);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "train")) return cmd_train(argc, argv);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc, argv);
    if (!strcmp(cmd, "kernels")) return argc == 2 ? cmd_kernels() : fail(EXIT_INPUT, "kernels takes no arguments");
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "experiment: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_INPUT;
}
