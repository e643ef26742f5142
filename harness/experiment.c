/* experiment.c: main of ./experiment, the command line of simd-mlp.
 *
 *   ./experiment train [FILE.ini] [--set section.key=value ...]
 *   ./experiment sweep FILE.ini [--set ...] [--dry-run] [--jobs N] [--shard i/n]
 *   ./experiment merge [--out DIR] DIR...
 *   ./experiment eval CHECKPOINT [--set section.key=value ...]
 *   ./experiment kernels
 *
 * Training itself is run.c's (train runs one configuration, sweep each point of
 * a grid in child processes); this file parses arguments and prints.
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
#include "csv.h"
#include "kernels.h"
#include "mlp.h"
#include "mnist.h"
#include "results.h"
#include "run.h"
#include "sweep.h"
#include "train.h"

#define EXIT_RUN 1
#define EXIT_INPUT 2
#define DEFAULT_EXPERIMENT "experiments/mnist.ini"
#define MAX_JOBS 256

static int fail(int code, const char *msg) {
    fprintf(stderr, "experiment: %s\n", msg);
    return code;
}

static void usage(FILE *f) {
    fputs("usage: experiment <command> [args]\n"
          "  train [FILE.ini] [--set section.key=value ...] [--profile]\n"
          "        train the MLP of FILE.ini (default " DEFAULT_EXPERIMENT "); a FILE with no\n"
          "        folder that is not in the current one is looked up in experiments/;\n"
          "        --profile (train.profile=true): where each step's time goes, against\n"
          "        the FMA peak and memory bandwidth: a table and results/<name>/profile.csv\n"
          "  sweep FILE.ini [--set section.key=value ...] [--dry-run] [--jobs N] [--shard i/n]\n"
          "        train every point of FILE's [sweep] lists (lr.ini: experiments/lr.ini);\n"
          "        results/<name>/runs.csv, epochs.csv, summary.csv; run again to resume.\n"
          "        --dry-run lists the runs; --jobs N runs N at once, dividing the cores;\n"
          "        --shard i/n (default: SLURM_ARRAY_TASK_ID/COUNT) runs every n-th run\n"
          "  merge [--out DIR] DIR...\n"
          "        combine the results of a sweep's shards (default DIR: results/<name>)\n"
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

/* The arguments after the command: options and positionals. */
typedef struct {
    int n_pos, n_sets;
    const char **pos, **sets; /* sets: "section.key=value" */
    bool dry_run;
    const char *jobs, *shard, *out; /* NULL unless given */
} cmd_args;

/* The value of option `name` at argv[*i] ("--name V" or "--name=V"), or NULL
 * when argv[*i] is another option. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != '\0') return NULL;
    if (*i + 1 == argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* takes: the options besides --set this command accepts ("--dry-run --jobs ...");
 * max_pos: how many positionals. */
static int parse_args(int argc, char **argv, const char *takes, int max_pos, cmd_args *a,
                      char *err, size_t len) {
    memset(a, 0, sizeof *a);
    a->sets = xcalloc((size_t)argc, sizeof *a->sets);
    a->pos = xcalloc((size_t)argc, sizeof *a->pos);
    const char *names[] = {"--set", "--jobs", "--shard", "--out"};
    const char **slots[] = {NULL, &a->jobs, &a->shard, &a->out};
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        bool missing = false;
        size_t o = 0;
        for (; o < 4 && !value && !missing; o++)
            if (o == 0 || strstr(takes, names[o])) value = option_value(argc, argv, &i, names[o], &missing);
        if (missing) {
            snprintf(err, len, "%s needs a value (try: experiment help)", arg);
            return -1;
        }
        if (value && o == 1)
            a->sets[a->n_sets++] = value;
        else if (value)
            *slots[o - 1] = value;
        else if (!strcmp(arg, "--dry-run") && strstr(takes, "--dry-run"))
            a->dry_run = true;
        else if (!strcmp(arg, "--profile") && strstr(takes, "--profile"))
            a->sets[a->n_sets++] = "train.profile=true";
        else if (arg[0] == '-' && arg[1] != '\0') {
            snprintf(err, len, "unknown option '%s' (try: experiment help)", arg);
            return -1;
        } else if (a->n_pos < max_pos) {
            a->pos[a->n_pos++] = arg;
        } else {
            snprintf(err, len, "unexpected argument '%s' (try: experiment help)", arg);
            return -1;
        }
    }
    return 0;
}

static void free_args(cmd_args *a) {
    free(a->sets);
    free(a->pos);
}

/* Prefixes err with where the configuration key it starts with was set, when it
 * starts with one ("model.layers: ...", as run_data_check writes): the key's last
 * --set, else the line of the INI file at path that sets it, else the file (the
 * key has its default there).  The command's arguments, which parsed before
 * with takes, are parsed again for their --set options. */
static void blame_key(int argc, char **argv, const char *takes, const char *path, char *err,
                      size_t len) {
    char key[64], where[512], msg[1024];
    size_t n = strcspn(err, ":");
    if (n >= sizeof key) return;
    snprintf(key, sizeof key, "%.*s", (int)n, err);
    if (cfg_key_index(key) < 0) return;
    cmd_args a;
    const char *set = NULL;
    parse_args(argc, argv, takes, 1, &a, msg, sizeof msg);
    for (int i = 0; i < a.n_sets; i++)
        if (!strncmp(a.sets[i], key, n) && a.sets[i][n] == '=') set = a.sets[i];
    int line = set ? 0 : cfg_key_line(path, key);
    if (set)
        snprintf(where, sizeof where, "--set %s", set);
    else if (line)
        snprintf(where, sizeof where, "%s:%d", path, line);
    else
        snprintf(where, sizeof where, "%s", path);
    free_args(&a);
    snprintf(msg, sizeof msg, "%s", err);
    snprintf(err, len, "%.300s: %.700s", where, msg);
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

/* Selects c's kernels (all cores unless kernels.threads) and says which. */
static int choose_kernels(const cfg *c, run_kernels *k, char *err, size_t len) {
    if (run_select_kernels(c, 0, k, err, len)) return -1;
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

/* Keras' progress: a live bar on stderr when it is a terminal, one line per
 * epoch; prefix names the run in a sweep. */
typedef struct {
    int epochs;
    bool live;
    double last_draw;
    char prefix[32];
} progress;

static void draw_bar(int step, int steps, char *bar, size_t width) {
    size_t done = (size_t)((double)step / steps * (double)width);
    for (size_t i = 0; i < width; i++) bar[i] = i < done ? '=' : '.';
    if (done < width) bar[done] = '>';
    bar[width] = '\0';
}

static void show_batch(progress *p, int epoch, int step, int steps, double loss, double acc,
                       double seconds) {
    if (!p->live || (step < steps && seconds - p->last_draw < 0.1)) return;
    p->last_draw = seconds;
    char bar[31];
    draw_bar(step, steps, bar, 30);
    double eta = seconds / step * (steps - step);
    fprintf(stderr, "\r%sEpoch %d/%d %d/%d [%s] - ETA: %.0fs - loss: %.4f - accuracy: %.4f\033[K",
            p->prefix, epoch, p->epochs, step, steps, bar, eta, loss, acc);
    if (step == steps) fputs("\r\033[K", stderr);
}

static void show_epoch(progress *p, const epoch_stats *s) {
    p->last_draw = 0;
    printf("%sEpoch %d/%d - %.2fs - loss: %.4f - accuracy: %.4f", p->prefix, s->epoch, p->epochs,
           s->seconds, s->train_loss, s->train_acc);
    /* As Keras: no validation columns without validation data (val_split = 0). */
    if (!isnan(s->val_loss)) printf(" - val_loss: %.4f - val_accuracy: %.4f", s->val_loss, s->val_acc);
    putchar('\n');
    fflush(stdout);
}

static void on_batch(int epoch, int step, int steps, double loss, double acc, double seconds,
                     void *ctx) {
    show_batch(ctx, epoch, step, steps, loss, acc, seconds);
}

static void on_epoch(const epoch_stats *s, void *ctx) { show_epoch(ctx, s); }

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

static int write_results(const char *dir, const cfg *c, const run_result *r,
                         const mnist_set *test_set, const mlp_model *m, char *err, size_t len) {
    const epoch_stats *hist = r->hist;
    const eval_result *test = &r->test;
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
    fprintf(a.f, ",%.6f,%.6f,%.4f\n", test->loss, test->acc, r->train_seconds);
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

static int cmd_train(int argc, char **argv) {
    char err[1024], buf[4096];
    cfg c;
    cmd_args a;
    cfg_defaults(&c);
    int bad = parse_args(argc, argv, "--profile", 1, &a, err, sizeof err);
    /* The file first, so that the --set options override it. */
    const char *path = bad ? NULL : resolve_ini(a.n_pos ? a.pos[0] : DEFAULT_EXPERIMENT, buf, sizeof buf);
    bad = bad || cfg_load_file(&c, path, err, sizeof err) || apply_sets(&a, &c, err, sizeof err);
    free_args(&a);
    if (bad) return fail(EXIT_INPUT, err);

    run_kernels k;
    if (choose_kernels(&c, &k, err, sizeof err)) return fail(EXIT_INPUT, err);
    print_config(&c, path);

    run_data d;
    if (run_data_load(&c, true, &d, err, sizeof err)) return fail(EXIT_INPUT, err);
    data_view tr, val;
    mlp_model m;
    rng_state rng;
    if (run_data_check(&c, &d, err, sizeof err) ||
        run_model(&c, k.gemm, k.act, &m, &rng, err, sizeof err)) {
        blame_key(argc, argv, "", path, err, sizeof err);
        run_data_free(&d);
        return fail(EXIT_INPUT, err);
    }
    run_data_split(&c, &d, &tr, &val);
    printf("data: %s: %d training, %d validation, %d test images of %dx%d\n", d.dir, tr.n, val.n,
           d.test.n, d.train.rows, d.train.cols);
    printf("model: %zu parameters\n", m.n_params);

    progress p = {.epochs = c.epochs, .live = isatty(STDERR_FILENO)};
    run_result r;
    run_fit(&c, &d, &m, &rng, on_batch, on_epoch, &p, &r);
    int rc = r.status != RUN_OK;
    if (rc) snprintf(err, sizeof err, "%s", r.why);
    if (r.picked)
        printf("threads: %d, picked by kernels.threads = 0 (a step measured %.1f us on 1 thread, "
               "%.1f us on %d)\n", r.threads, r.pick_us[0], r.pick_us[1], kernels_max_threads());
    if (rc == 0) {
        print_evaluation(&r.test, &d.test, r.pred);
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
    return rc ? fail(EXIT_RUN, err) : 0;
}

static int cmd_eval(int argc, char **argv) {
    char err[1024];
    cfg c, stored;
    cmd_args a;
    float *params = NULL;
    size_t n_params;
    cfg_defaults(&c);
    int bad = parse_args(argc, argv, "", 1, &a, err, sizeof err);
    if (!bad && !a.n_pos) {
        snprintf(err, sizeof err, "eval needs a checkpoint (e.g. results/mnist/model.ckpt)");
        bad = 1;
    }
    const char *path = bad ? NULL : a.pos[0];
    bad = bad || ckpt_load(path, &c, &params, &n_params, err, sizeof err);
    stored = c;
    bad = bad || apply_sets(&a, &c, err, sizeof err);
    free_args(&a);
    if (bad) {
        free(params);
        return fail(EXIT_INPUT, err);
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
        return fail(EXIT_INPUT, err);
    }
    run_kernels k;
    run_data d = {0};
    mlp_model m;
    char msg[768];
    bad = choose_kernels(&c, &k, err, sizeof err) || run_data_load(&c, false, &d, err, sizeof err);
    /* The layers are the checkpoint's: it is what does not fit the data. */
    if (!bad && run_data_check(&c, &d, msg, sizeof msg)) {
        snprintf(err, sizeof err, "%.240s: %s", path, msg);
        bad = 1;
    }
    if (bad || mlp_create(&m, c.n_sizes, c.sizes, RUN_EVAL_BATCH, k.gemm, k.act, err, sizeof err)) {
        free(params);
        run_data_free(&d);
        return fail(EXIT_INPUT, err);
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
    print_evaluation(&r, &test, pred);
    free(pred);
    mlp_free(&m);
    run_data_free(&d);
    return 0;
}

/* Sweep progress: the parent announces each run; a child prints its epochs
 * (prefixed with the run when several run at once) and its result. */
static void format_duration(double s, char *buf, size_t len) {
    if (isnan(s))
        snprintf(buf, len, "?");
    else if (s < 60)
        snprintf(buf, len, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, len, "%.0fm%02.0fs", floor(s / 60), fmod(s, 60));
    else
        snprintf(buf, len, "%.0fh%02.0fm", floor(s / 3600), fmod(floor(s / 60), 60));
}

static void run_name(const run_progress *p, char *buf, size_t len) {
    snprintf(buf, len, "run %zu/%zu", p->run + 1, p->n_runs);
}

static void sweep_on_start(const run_progress *p) {
    char name[48], eta[32];
    run_name(p, name, sizeof name);
    format_duration(p->eta, eta, sizeof eta);
    printf("\n%s (ETA %s): %s%sseed=%llu\n", name, eta, p->label, p->label[0] ? " " : "",
           (unsigned long long)p->seed);
}

/* The child's progress state: one run per process, so a static is its own. */
static progress child_progress(const run_progress *p) {
    static progress pr;
    if (pr.epochs == 0) {
        pr.epochs = p->epochs;
        pr.live = p->jobs == 1 && isatty(STDERR_FILENO);
        if (p->jobs > 1) snprintf(pr.prefix, sizeof pr.prefix, "[run %zu/%zu] ", p->run + 1, p->n_runs);
    }
    return pr;
}

static void sweep_on_batch(int epoch, int step, int steps, double loss, double acc,
                           double seconds, void *ctx) {
    progress pr = child_progress(ctx);
    show_batch(&pr, epoch, step, steps, loss, acc, seconds);
}

static void sweep_on_epoch(const epoch_stats *s, void *ctx) {
    progress pr = child_progress(ctx);
    show_epoch(&pr, s);
}

static void sweep_on_end(const run_progress *p, const run_result *r) {
    char name[48];
    run_name(p, name, sizeof name);
    if (r->status == RUN_OK)
        printf("%s: ok - val_accuracy: %.4f - test accuracy: %.2f%% (standard error %.2f points) "
               "- %.1fs, %.0f images/s on gemm %s, activation %s, %d thread%s\n",
               name, r->epochs ? r->hist[r->epochs - 1].val_acc : NAN, 100 * r->test.acc,
               100 * sqrt(r->test.acc * (1 - r->test.acc) / r->test.n), r->train_seconds,
               r->samples_per_second, r->gemm, r->act, r->threads, r->threads == 1 ? "" : "s");
    else
        printf("%s: %s - %s\n", name, run_status_name(r->status), r->why);
}

static void sweep_on_error(const run_progress *p, const char *msg) {
    char name[48];
    run_name(p, name, sizeof name);
    fprintf(stderr, "experiment: %s (%s): %s\n", name, p->label, msg);
}

static void print_summary(const results_summary *s) {
    if (!s->n) return;
    printf("\nsummary (%zu point%s, best mean validation accuracy first; +- is the standard "
           "deviation over repeats, se the binomial standard error of the test accuracy):\n"
           "  %-9s %-16s %-16s %-5s %-9s %s\n",
           s->n, s->n == 1 ? "" : "s", "runs ok", "val_acc %", "test_acc %", "se", "seconds",
           "point");
    long n_test = 0;
    for (size_t i = 0; i < s->n; i++) {
        const results_point *p = &s->p[i];
        char runs[24], val[32], test[32];
        snprintf(runs, sizeof runs, "%d/%d", p->ok, p->runs);
        snprintf(val, sizeof val, "%.2f +- %.2f", 100 * p->val_mean, 100 * p->val_std);
        snprintf(test, sizeof test, "%.2f +- %.2f", 100 * p->test_mean, 100 * p->test_std);
        printf("  %-9s %-16s %-16s %-5.2f %-9.1f %s\n", runs, p->ok ? val : "-",
               p->ok ? test : "-", 100 * p->test_se, p->seconds_mean,
               p->label[0] ? p->label : "(the file's configuration)");
        if (p->n_test) n_test = p->n_test;
    }
    if (n_test)
        printf("note: on %ld test images an accuracy near 98%% has a standard error of about "
               "%.2f points, so test accuracies less than ~%.1f points apart are noise.\n",
               n_test, 100 * sqrt(0.98 * 0.02 / n_test), 200 * sqrt(0.98 * 0.02 / n_test));
}

/* Reads runs.csv back and prints and writes the summary of the sweep's runs
 * (sw NULL: of every row). */
static int summarize(const char *dir, const sweep *sw, char *err, size_t len) {
    char path[256];
    csv_table runs;
    results_summary s = {0};
    size_t n = sw ? sweep_n_runs(sw) : 0;
    char (*keys)[SWEEP_KEY_LEN] = xcalloc(n + 1, sizeof *keys);
    const char **ids = xcalloc(n + 1, sizeof *ids);
    for (size_t r = 0; r < n; r++) {
        cfg c;
        size_t point;
        int repeat;
        sweep_run(sw, r, &c, &point, &repeat);
        sweep_run_key(&c, repeat, keys[r]);
        ids[r] = keys[r];
    }
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    int rc = csv_load(path, &runs, err, len) < 0 ||
                     results_summarize(&runs, sw ? ids : NULL, n, &s, err, len) ||
                     results_write_summary(dir, &s, err, len)
                 ? -1
                 : 0;
    if (rc == 0) print_summary(&s);
    results_summary_free(&s);
    csv_free(&runs);
    free(keys);
    free(ids);
    return rc;
}

static void print_sweep(const sweep *s, const char *path, const char *id, int index, int count,
                        int jobs) {
    char value[1024];
    printf("sweep (%s), id %s:\n", path, id);
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        int a = 0;
        while (a < s->n_axes && s->axes[a].key != (int)i) a++;
        if (a < s->n_axes) {
            printf("  %-20s = [%zu values]", cfg_key_name(i), s->axes[a].n);
            for (size_t v = 0; v < s->axes[a].n; v++) printf("%s %s", v ? " |" : "", s->axes[a].values[v]);
            printf("\n");
            continue;
        }
        cfg_format(&s->base, i, value, sizeof value);
        printf("  %-20s = %s\n", cfg_key_name(i), value);
    }
    printf("%zu point%s x %d repeat%s = %zu runs", sweep_n_points(s),
           sweep_n_points(s) == 1 ? "" : "s", s->base.repeats, s->base.repeats == 1 ? "" : "s",
           sweep_n_runs(s));
    if (count > 1) printf("; shard %d/%d", index, count);
    printf("; %d at once\n", jobs);
}

/* Every data folder the shard's runs read, loaded, and each run checked against
 * it, before the first run starts. */
static int load_sweep_data(const sweep *s, int index, int count, run_data **data, size_t *n,
                           char *err, size_t len) {
    *data = xcalloc(sweep_n_runs(s) + 1, sizeof **data);
    *n = 0;
    for (size_t r = 0; r < sweep_n_runs(s); r++) {
        cfg c;
        size_t point, i = 0;
        int repeat;
        if (!sweep_in_shard(r, index, count)) continue;
        sweep_run(s, r, &c, &point, &repeat);
        while (i < *n && strcmp((*data)[i].dir, cfg_data_dir(&c))) i++;
        if (i == *n && run_data_load(&c, true, &(*data)[(*n)++], err, len)) {
            (*n)--;
            return -1;
        }
        char msg[768], label[256];
        if (run_data_check(&c, &(*data)[i], msg, sizeof msg)) {
            /* The key first, for blame_key. */
            sweep_label(s, point, label, sizeof label);
            snprintf(err, len, "%.700s (run %zu%s%.200s)", msg, r + 1, label[0] ? ": " : "", label);
            return -1;
        }
    }
    return 0;
}

static int cmd_sweep(int argc, char **argv) {
    char err[1024], buf[4096], id[SWEEP_KEY_LEN], dir[96];
    cmd_args a;
    sweep s = {0};
    int index = 1, count = 1, jobs = 1;
    const char *takes = "--dry-run --jobs --shard";
    int bad = parse_args(argc, argv, takes, 1, &a, err, sizeof err);
    if (!bad && !a.n_pos) {
        snprintf(err, sizeof err, "sweep needs an INI file (e.g. experiment sweep lr.ini)");
        bad = 1;
    }
    if (!bad && a.jobs) {
        char *end;
        long j = strtol(a.jobs, &end, 10);
        if (*end || end == a.jobs || j < 1 || j > MAX_JOBS) {
            snprintf(err, sizeof err, "--jobs '%s': want a count of 1..%d", a.jobs, MAX_JOBS);
            bad = 1;
        }
        jobs = (int)j;
    }
    if (!bad)
        bad = a.shard ? sweep_parse_shard(a.shard, &index, &count, err, sizeof err)
                      : sweep_shard_from_env(&index, &count, err, sizeof err) < 0;
    const char *path = bad ? NULL : resolve_ini(a.pos[0], buf, sizeof buf);
    bad = bad || sweep_load(&s, path, a.sets, a.n_sets, err, sizeof err);
    bool dry_run = a.dry_run;
    free_args(&a);
    if (bad) return fail(EXIT_INPUT, err);
    sweep_id(&s, id);
    snprintf(dir, sizeof dir, "results/%s", s.base.name);
    print_sweep(&s, path, id, index, count, jobs);

    if (dry_run) {
        csv_table done = {0};
        snprintf(buf, sizeof buf, "%s/runs.csv", dir);
        int rc = csv_load(buf, &done, err, sizeof err);
        if (rc < 0) {
            sweep_free(&s);
            return fail(EXIT_INPUT, err);
        }
        for (size_t r = 0; r < sweep_n_runs(&s); r++) {
            cfg c;
            size_t point;
            int repeat;
            char key[SWEEP_KEY_LEN], label[1024];
            if (!sweep_in_shard(r, index, count)) continue;
            sweep_run(&s, r, &c, &point, &repeat);
            sweep_run_key(&c, repeat, key);
            sweep_label(&s, point, label, sizeof label);
            printf("  run %zu/%zu  %s  %-4s  %s%sseed=%llu\n", r + 1, sweep_n_runs(&s), key,
                   results_done(&done, key) ? "done" : "", label, label[0] ? " " : "",
                   (unsigned long long)c.seed);
        }
        csv_free(&done);
        sweep_free(&s);
        return 0;
    }

    run_data *data;
    size_t n_data;
    csv_table done = {0};
    int cores = kernels_set_threads(0);
    if (load_sweep_data(&s, index, count, &data, &n_data, err, sizeof err) ||
        results_prepare(dir, &done, err, sizeof err)) {
        blame_key(argc, argv, takes, path, err, sizeof err);
        for (size_t i = 0; i < n_data; i++) run_data_free(&data[i]);
        free(data);
        sweep_free(&s);
        return fail(EXIT_INPUT, err);
    }
    run_plan plan = {.s = &s, .dir = dir, .sweep_id = id, .data = data, .n_data = n_data,
                     .jobs = jobs, .shard_index = index, .shard_count = count, .cores = cores,
                     .done = &done,
                     .hooks = {.on_start = sweep_on_start, .on_batch = sweep_on_batch,
                               .on_epoch = sweep_on_epoch, .on_end = sweep_on_end,
                               .on_error = sweep_on_error}};
    run_counts n;
    int rc = run_sweep(&plan, &n, err, sizeof err);
    printf("\n%zu run%s done before, %zu now: %zu ok, %zu diverged, %zu failed\n", n.skipped,
           n.skipped == 1 ? "" : "s", n.ok + n.diverged + n.failed, n.ok, n.diverged, n.failed);
    if (rc == 0 && !n.interrupted) rc = summarize(dir, &s, err, sizeof err);
    if (rc == 0 && !n.interrupted) printf("wrote %s/{runs,epochs,summary}.csv\n", dir);
    for (size_t i = 0; i < n_data; i++) run_data_free(&data[i]);
    free(data);
    csv_free(&done);
    sweep_free(&s);
    if (rc) return fail(EXIT_RUN, err);
    if (n.interrupted)
        return fail(EXIT_RUN, "interrupted: the runs in progress were stopped and left no rows; "
                              "run the same command again to resume");
    if (n.failed) {
        snprintf(err, sizeof err, "%zu run%s failed (see the why column of %s/runs.csv); they run "
                                  "again when the sweep is resumed", n.failed, n.failed == 1 ? "" : "s", dir);
        return fail(EXIT_RUN, err);
    }
    return 0;
}

static int cmd_merge(int argc, char **argv) {
    char err[1024], out[256];
    cmd_args a;
    size_t n_runs;
    if (parse_args(argc, argv, "--out", argc, &a, err, sizeof err)) {
        free_args(&a);
        return fail(EXIT_INPUT, err);
    }
    if (!a.n_pos) {
        free_args(&a);
        return fail(EXIT_INPUT, "merge needs the results folders of a sweep's shards");
    }
    int rc = results_merge(a.pos, a.n_pos, a.out, out, sizeof out, &n_runs, err, sizeof err);
    free_args(&a);
    if (rc) return fail(EXIT_INPUT, err);
    printf("merged %zu runs into %s/{runs,epochs,summary}.csv\n", n_runs, out);
    return summarize(out, NULL, err, sizeof err) ? fail(EXIT_RUN, err) : 0;
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
        fputs("experiment: missing command\n", stderr);
        usage(stderr);
        return EXIT_INPUT;
    }
    const char *cmd = argv[1];
    char why[128];
    if (kernels_env_error(why, sizeof why)) return fail(EXIT_INPUT, why);
    if (!strcmp(cmd, "train")) return cmd_train(argc, argv);
    if (!strcmp(cmd, "sweep")) return cmd_sweep(argc, argv);
    if (!strcmp(cmd, "merge")) return cmd_merge(argc, argv);
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
