/* results.c: see results.h (merging is results_merge.c's).  Reading and appending
 * go through csv.h. */
#include "results.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

#ifndef SMLP_COMMIT /* the Makefile passes `git rev-parse --short HEAD` */
#define SMLP_COMMIT "unknown"
#endif
#ifdef __clang__
#define COMPILER "clang " __clang_version__
#else
#define COMPILER "gcc " __VERSION__
#endif

#define EPOCHS_HEADER "run,epoch,train_loss,train_acc,val_loss,val_acc,seconds,lr,label\n"

static const char *const run_prefix[] = {"run_id", "sweep_id", "point", "repeat", "swept", "label"};
static const char *const run_suffix[] = {
    "status",  "why",        "train_loss",    "train_acc",          "val_loss",
    "val_acc", "test_loss",  "test_acc",      "test_n",             "train_seconds",
    "samples_per_second",    "epoch_kept",    "target_epoch",       "target_seconds",
    "gemm_kernel",           "act_kernel",    "threads",
    "commit",  "cpu",        "compiler",      "date"};
#define N_PREFIX (sizeof run_prefix / sizeof *run_prefix)
#define N_SUFFIX (sizeof run_suffix / sizeof *run_suffix)

/* runs.csv's columns; fields[] receives their count. */
static size_t run_columns(const char **names) {
    size_t n = 0;
    for (size_t i = 0; i < N_PREFIX; i++) names[n++] = run_prefix[i];
    for (size_t i = 0; i < cfg_n_keys(); i++) names[n++] = cfg_key_name(i);
    for (size_t i = 0; i < N_SUFFIX; i++) names[n++] = run_suffix[i];
    return n;
}

#define MAX_KEYS 64 /* configuration keys a row holds */
#define MAX_COLS (N_PREFIX + N_SUFFIX + MAX_KEYS)

static char *runs_header(void) {
    const char *names[MAX_COLS];
    return csv_join(names, run_columns(names));
}

static void path_in(char *buf, size_t len, const char *dir, const char *file) {
    snprintf(buf, len, "%s/%s", dir, file);
}

/* Numbers in CSV: NaN as gnuplot's `set datafile missing NaN` reads it. */
static char *num(char *buf, size_t len, const char *fmt, double x) {
    if (isnan(x))
        snprintf(buf, len, "NaN");
    else
        snprintf(buf, len, fmt, x);
    return buf;
}

static void cpu_model(char *buf, size_t len) {
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            const char *v = strchr(line, ':') + 1;
            v += strspn(v, " \t");
            snprintf(buf, len, "%.*s", (int)strcspn(v, "\n"), v);
            break;
        }
    fclose(f);
}

static char *run_line(const results_run *row) {
    const run_result *r = row->r;
    const epoch_stats *last = r->epochs ? &r->hist[r->epochs - 1] : NULL;
    bool ok = r->status == RUN_OK;
    char point[24], repeat[16], values[MAX_KEYS][1024], nums[12][32], threads[16], cpu[256],
        date[32];
    assert(cfg_n_keys() <= MAX_KEYS);
    const char *f[MAX_COLS];
    size_t n = 0;
    snprintf(point, sizeof point, "%zu", row->point);
    snprintf(repeat, sizeof repeat, "%d", row->repeat);
    const char *prefix[] = {row->run_id, row->sweep_id, point, repeat, row->swept, row->label};
    for (size_t i = 0; i < N_PREFIX; i++) f[n++] = prefix[i];
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        cfg_format(row->c, i, values[i], sizeof values[i]);
        f[n++] = values[i];
    }
    double m[] = {last ? last->train_loss : NAN, last ? last->train_acc : NAN,
                  last ? last->val_loss : NAN,   last ? last->val_acc : NAN,
                  ok ? r->test.loss : NAN,       ok ? r->test.acc : NAN,
                  ok ? r->test.n : NAN,          r->train_seconds,
                  r->samples_per_second,         ok ? r->epoch_kept : NAN,
                  r->target_epoch ? r->target_epoch : NAN, r->target_seconds};
    const char *fmt[] = {"%.6f", "%.6f", "%.6f", "%.6f", "%.6f", "%.6f", "%.0f", "%.4f", "%.1f",
                         "%.0f", "%.0f", "%.4f"};
    f[n++] = run_status_name(r->status);
    f[n++] = r->why;
    /* an empty target when it was never reached (README: runs.csv) */
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        f[n++] = i >= 10 && isnan(m[i]) ? "" : num(nums[i], sizeof nums[i], fmt[i], m[i]);
    snprintf(threads, sizeof threads, "%d", r->threads);
    cpu_model(cpu, sizeof cpu);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    const char *prov[] = {r->gemm ? r->gemm : "", r->act ? r->act : "", threads, SMLP_COMMIT,
                          cpu, COMPILER, date};
    for (size_t i = 0; i < sizeof prov / sizeof *prov; i++) f[n++] = prov[i];
    return csv_join(f, n);
}

static char *epoch_lines(const results_run *row) {
    char *buf;
    size_t len;
    FILE *out = open_memstream(&buf, &len);
    if (!out) return NULL;
    for (int e = 0; e < row->r->epochs; e++) {
        const epoch_stats *s = &row->r->hist[e];
        char epoch[16], v[6][32];
        snprintf(epoch, sizeof epoch, "%d", s->epoch);
        const char *f[] = {row->run_id,
                           epoch,
                           num(v[0], sizeof v[0], "%.6f", s->train_loss),
                           num(v[1], sizeof v[1], "%.6f", s->train_acc),
                           num(v[2], sizeof v[2], "%.6f", s->val_loss),
                           num(v[3], sizeof v[3], "%.6f", s->val_acc),
                           num(v[4], sizeof v[4], "%.4f", s->seconds),
                           num(v[5], sizeof v[5], "%.6g", s->lr),
                           row->label};
        char *line = csv_join(f, sizeof f / sizeof *f);
        if (!line) {
            fclose(out);
            free(buf);
            return NULL;
        }
        fputs(line, out);
        free(line);
    }
    fclose(out);
    return buf;
}

int results_append(const char *dir, const results_run *row, char *err, size_t len) {
    char *header = runs_header(), *line = run_line(row), *epochs = epoch_lines(row);
    char path[4096];
    int fd = -1, rc = -1;
    if (!header || !line || !epochs)
        snprintf(err, len, "%s: out of memory formatting a row", dir);
    else if (csv_lock(dir, &fd, err, len) == 0) {
        path_in(path, sizeof path, dir, "epochs.csv");
        /* Checked under the lock, so that no other writer records the run in between. */
        if (results_recorded(dir, row->run_id) >= 0)
            rc = 1;
        else if (csv_append(path, EPOCHS_HEADER, epochs, err, len) == 0) {
            path_in(path, sizeof path, dir, "runs.csv");
            rc = csv_append(path, header, line, err, len);
        }
        csv_unlock(fd);
    }
    free(header);
    free(line);
    free(epochs);
    return rc;
}

int results_recorded(const char *dir, const char *run_id) {
    char path[4096], *line = NULL, **fields;
    size_t cap = 0, n, id_len = strlen(run_id), status_col = N_PREFIX + cfg_n_keys();
    ssize_t got;
    int found = -1;
    path_in(path, sizeof path, dir, "runs.csv");
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    while ((got = getline(&line, &cap, f)) > 0) {
        /* Whole lines only: a partial last line (a writer killed) records nothing. */
        if (line[got - 1] != '\n' || strncmp(line, run_id, id_len) || line[id_len] != ',') continue;
        line[got - 1] = '\0';
        if (csv_split(line, &fields, &n) == 0) {
            for (int s = RUN_OK; s <= RUN_FAILED && n > status_col; s++)
                if (!strcmp(fields[status_col], run_status_name((run_status)s))) found = s;
            csv_free_fields(fields, n);
        }
        break;
    }
    free(line);
    fclose(f);
    return found;
}

bool results_done(const csv_table *done, const char *run_id) {
    int col = csv_col(done, "run_id");
    for (size_t r = 0; col >= 0 && r < done->n_rows; r++)
        if (!strcmp(done->rows[r][col], run_id)) return true;
    return false;
}

/* Loads path and keeps the rows for which keep_row says so, rewriting the file
 * when any is dropped. */
static int filter_rows(const char *path, csv_table *t, bool (*keep_row)(const csv_table *, size_t, const void *),
                       const void *ctx, char *err, size_t len) {
    if (csv_load(path, t, err, len) < 0) return -1;
    bool *keep = xcalloc(t->n_rows, sizeof *keep), dropped = false;
    for (size_t r = 0; r < t->n_rows; r++) dropped |= !(keep[r] = keep_row(t, r, ctx));
    int rc = dropped ? csv_save(path, t, keep, err, len) : 0;
    free(keep);
    return rc;
}

static bool not_failed(const csv_table *t, size_t r, const void *ctx) {
    (void)ctx;
    const char *status = csv_get(t, r, csv_col(t, "status"));
    return !status || strcmp(status, "failed");
}

static bool has_run_row(const csv_table *t, size_t r, const void *runs) {
    const char *run = csv_get(t, r, csv_col(t, "run"));
    return run && results_done(runs, run);
}

int results_prepare(const char *dir, csv_table *done, char *err, size_t len) {
    char runs_path[4096], epochs_path[4096], *header = runs_header();
    int fd = -1, rc = -1;
    csv_table runs = {0}, epochs = {0};
    memset(done, 0, sizeof *done);
    path_in(runs_path, sizeof runs_path, dir, "runs.csv");
    path_in(epochs_path, sizeof epochs_path, dir, "epochs.csv");
    if (!header || mkdir_p(dir, err, len) || csv_lock(dir, &fd, err, len)) {
        if (!header) snprintf(err, len, "%s: out of memory", dir);
        free(header);
        return -1;
    }
    /* Appending nothing cuts a partial last line and checks the columns. */
    rc = csv_append(runs_path, header, "", err, len) || csv_append(epochs_path, EPOCHS_HEADER, "", err, len) ||
         filter_rows(runs_path, &runs, not_failed, NULL, err, len) ||
         csv_load(runs_path, done, err, len) < 0 ||
         filter_rows(epochs_path, &epochs, has_run_row, done, err, len) ? -1 : 0;
    csv_free(&runs);
    csv_free(&epochs);
    csv_unlock(fd);
    free(header);
    return rc;
}

/* Mean and sample standard deviation of x[0..n); NaN for none. */
static void mean_std(const double *x, int n, double *mean, double *std) {
    double sum = 0, ss = 0;
    for (int i = 0; i < n; i++) sum += x[i];
    *mean = n ? sum / n : NAN;
    for (int i = 0; i < n; i++) ss += (x[i] - *mean) * (x[i] - *mean);
    *std = n > 1 ? sqrt(ss / (n - 1)) : n ? 0 : NAN;
}

static char *dup_n(const char *s, size_t n) {
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int by_val_acc(const void *a, const void *b) {
    double x = ((const results_point *)a)->val_mean, y = ((const results_point *)b)->val_mean;
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return (x < y) - (x > y);
}

static bool listed(const char *const *ids, size_t n, const char *id) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ids[i], id)) return true;
    return false;
}

int results_summarize(const csv_table *runs, const char *const *run_ids, size_t n_ids,
                      results_summary *s, char *err, size_t len) {
    static const char *const need[] = {"run_id", "point", "swept", "label", "status",
                                       "val_acc", "test_acc", "test_n", "train_seconds",
                                       "samples_per_second"};
    enum { RUN_ID, POINT, SWEPT, LABEL, STATUS, VAL, TEST, TEST_N, SECONDS, SPS, N_NEED };
    int col[N_NEED];
    memset(s, 0, sizeof *s);
    for (int i = 0; i < N_NEED; i++)
        if ((col[i] = csv_col(runs, need[i])) < 0) {
            snprintf(err, len, "runs.csv has no column '%s'", need[i]);
            return -1;
        }
    size_t n_rows = runs->n_rows;
    double *v = xcalloc(4 * n_rows + 1, sizeof *v);
    size_t *point_of = xcalloc(n_rows + 1, sizeof *point_of);
    s->p = xcalloc(n_rows + 1, sizeof *s->p);
    for (size_t r = 0; r < n_rows; r++) {
        char **row = runs->rows[r];
        if (run_ids && !listed(run_ids, n_ids, row[col[RUN_ID]])) continue;
        if (!s->swept[0]) {
            snprintf(s->swept, sizeof s->swept, "%s", row[col[SWEPT]]);
            snprintf(s->x_key, sizeof s->x_key, "%.*s", (int)strcspn(s->swept, " "), s->swept);
        }
        size_t i = 0;
        while (i < s->n && strcmp(s->p[i].label, row[col[LABEL]])) i++;
        if (i == s->n) {
            results_point *p = &s->p[s->n++];
            /* The label is "k1=v1 k2=v2 ...": x is v1, the series "k2=v2 ...". */
            const char *label = row[col[LABEL]], *rest = label + strlen(label),
                       *second = strchr(s->swept, ' ');
            if (second) {
                char key[80];
                snprintf(key, sizeof key, " %.*s=", (int)strcspn(second + 1, " "), second + 1);
                if (strstr(label, key)) rest = strstr(label, key);
            }
            size_t x_from = strlen(s->x_key) + 1, x_to = (size_t)(rest - label);
            p->point = strtoull(row[col[POINT]], NULL, 10);
            p->label = dup_n(label, strlen(label));
            p->x = dup_n(label + x_from, x_to > x_from ? x_to - x_from : 0);
            p->series = dup_n(rest + (*rest == ' '), strlen(rest + (*rest == ' ')));
        }
        results_point *p = &s->p[i];
        p->runs++;
        point_of[r] = i + 1;
        if (strcmp(row[col[STATUS]], "ok")) continue;
        p->ok++;
        p->n_test = strtol(row[col[TEST_N]], NULL, 10);
    }
    for (size_t i = 0; i < s->n; i++) {
        results_point *p = &s->p[i];
        int k = 0;
        double *val = v, *test = v + n_rows, *sec = v + 2 * n_rows, *sps = v + 3 * n_rows;
        for (size_t r = 0; r < n_rows; r++) {
            char **row = runs->rows[r];
            if (point_of[r] != i + 1 || strcmp(row[col[STATUS]], "ok")) continue;
            val[k] = strtod(row[col[VAL]], NULL);
            test[k] = strtod(row[col[TEST]], NULL);
            sec[k] = strtod(row[col[SECONDS]], NULL);
            sps[k++] = strtod(row[col[SPS]], NULL);
        }
        double unused;
        mean_std(val, k, &p->val_mean, &p->val_std);
        mean_std(test, k, &p->test_mean, &p->test_std);
        mean_std(sec, k, &p->seconds_mean, &unused);
        mean_std(sps, k, &p->sps_mean, &unused);
        p->test_se = k && p->n_test ? sqrt(p->test_mean * (1 - p->test_mean) / p->n_test) : NAN;
    }
    qsort(s->p, s->n, sizeof *s->p, by_val_acc);
    free(v);
    free(point_of);
    return 0;
}

void results_summary_free(results_summary *s) {
    for (size_t i = 0; i < s->n; i++) {
        free(s->p[i].label);
        free(s->p[i].x);
        free(s->p[i].series);
    }
    free(s->p);
    memset(s, 0, sizeof *s);
}

static int by_point(const void *a, const void *b) {
    size_t x = (*(const results_point *const *)a)->point, y = (*(const results_point *const *)b)->point;
    return (x > y) - (x < y);
}

int results_write_summary(const char *dir, const results_summary *s, char *err, size_t len) {
    char path[4096];
    afile a;
    path_in(path, sizeof path, dir, "summary.csv");
    if (afile_open(&a, path, err, len)) return -1;
    /* In grid order, so that plots draw each series from left to right. */
    const results_point **order = xcalloc(s->n + 1, sizeof *order);
    for (size_t i = 0; i < s->n; i++) order[i] = &s->p[i];
    qsort(order, s->n, sizeof *order, by_point);
    fputs("point,x_key,x,series,label,runs,ok,val_acc_mean,val_acc_std,test_acc_mean,"
          "test_acc_std,test_acc_se,test_n,train_seconds_mean,samples_per_second_mean\n",
          a.f);
    for (size_t i = 0; i < s->n; i++) {
        const results_point *p = order[i];
        char v[8][32];
        fprintf(a.f, "%zu,", p->point);
        const char *text[] = {s->x_key, p->x, p->series, p->label};
        for (size_t t = 0; t < 4; t++) {
            csv_field(a.f, text[t]);
            fputc(',', a.f);
        }
        fprintf(a.f, "%d,%d,%s,%s,%s,%s,%s,%ld,%s,%s\n", p->runs, p->ok,
                num(v[0], sizeof v[0], "%.6f", p->val_mean), num(v[1], sizeof v[1], "%.6f", p->val_std),
                num(v[2], sizeof v[2], "%.6f", p->test_mean), num(v[3], sizeof v[3], "%.6f", p->test_std),
                num(v[4], sizeof v[4], "%.6f", p->test_se), p->n_test,
                num(v[5], sizeof v[5], "%.4f", p->seconds_mean), num(v[6], sizeof v[6], "%.1f", p->sps_mean));
    }
    free(order);
    return afile_commit(&a, err, len);
}

void results_print_summary(FILE *f, const results_summary *s) {
    if (!s->n) return;
    fprintf(f, "\nsummary (%zu point%s, best mean validation accuracy first; +- is the standard "
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
        fprintf(f, "  %-9s %-16s %-16s %-5.2f %-9.1f %s\n", runs, p->ok ? val : "-",
                p->ok ? test : "-", 100 * p->test_se, p->seconds_mean,
                p->label[0] ? p->label : "(the file's configuration)");
        if (p->n_test) n_test = p->n_test;
    }
    if (n_test)
        fprintf(f, "note: on %ld test images an accuracy near 98%% has a standard error of about "
                "%.2f points, so test accuracies less than ~%.1f points apart are noise.\n",
                n_test, 100 * sqrt(0.98 * 0.02 / n_test), 200 * sqrt(0.98 * 0.02 / n_test));
}
