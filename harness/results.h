/* results.h: a sweep's result files in results/<name>/.
 *
 *   runs.csv     one row per finished run: run_id (sweep.h's run key), sweep_id,
 *                point, repeat, swept (the listed keys), label (their values),
 *                every configuration key by its section.key name, status (ok,
 *                diverged, failed), why, the final metrics, timings and
 *                provenance (the columns are listed in README.md).
 *   epochs.csv   one row per run and epoch: run, epoch, train_loss, train_acc,
 *                val_loss, val_acc, seconds, label.
 *   summary.csv  one row per point, in grid order: mean and standard deviation
 *                over repeats, rewritten (atomically) after each sweep and merge.
 *
 * A run's epoch rows are appended first, then its runs.csv row, each with one
 * write() and an fsync under csv_lock, so a runs.csv row means a complete run,
 * and a run that has a row gets no second one.  results_prepare repairs what a
 * kill leaves (a partial last line, epoch rows of a run without a row) and drops
 * `failed` rows so those runs run again.  Not the runner (run.h): this module
 * reads and writes files, and prints the summary it computes. */
#ifndef RESULTS_H
#define RESULTS_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "csv.h"
#include "record.h"
#include "sweep.h"

/* One runs.csv row to append. */
typedef struct {
    const char *run_id, *sweep_id, *swept, *label;
    size_t point;
    int repeat;
    const cfg *c;
    const run_result *r; /* status, why, metrics, kernels; hist is appended to epochs.csv */
} results_run;

/* mkdir -p dir, repairs its CSVs under the lock, and loads runs.csv's complete
 * rows into *done (empty when there is none).  0, or -1 + err. */
int results_prepare(const char *dir, csv_table *done, char *err, size_t err_len);

/* True when `done` holds run_id. */
bool results_done(const csv_table *done, const char *run_id);

/* Appends the run's epoch rows, then its runs.csv row, unless runs.csv already
 * holds a row of the run: a run is recorded once, even when its child dies after
 * writing its row (the parent would add a `failed` one) or the same sweep runs
 * twice on one folder.  0 appended, 1 already recorded (nothing written), or
 * -1 + err. */
int results_append(const char *dir, const results_run *row, char *err, size_t err_len);

/* The status of run_id's complete row in dir/runs.csv, or -1 when it has none. */
int results_recorded(const char *dir, const char *run_id);

/* One point of a summary: its runs of one sweep, over the repeats. */
typedef struct {
    size_t point;          /* of its first row */
    char *label;           /* the listed values, "" without lists */
    char *x, *series;      /* the first listed value; the others ("" if none) */
    int runs, ok;
    double val_mean, val_std, test_mean, test_std, test_se; /* accuracies, fractions */
    double seconds_mean, sps_mean;
    long n_test;
} results_point;

typedef struct {
    char swept[256], x_key[64]; /* the listed keys; the first */
    size_t n;
    results_point *p;           /* best mean validation accuracy first */
} results_summary;

/* Groups the rows of runs whose run_id is listed (run_ids NULL: all rows) by
 * point (their label).  0, or -1 + err (a column is missing). */
int results_summarize(const csv_table *runs, const char *const *run_ids, size_t n_ids,
                      results_summary *s, char *err, size_t err_len);
void results_summary_free(results_summary *s);
int results_write_summary(const char *dir, const results_summary *s, char *err, size_t err_len);
/* The summary as a table, best point first, and what its standard error means. */
void results_print_summary(FILE *f, const results_summary *s);

/* results_merge.c: combines the runs.csv and epochs.csv of dirs into out (NULL: results/<name>
 * of the rows; *out_dir receives it): the columns and sweep_id must agree, a
 * run_id is kept once.  out must be one of dirs or hold no runs.csv.  0, or
 * -1 + err naming the mismatch. */
int results_merge(const char *const *dirs, int n_dirs, const char *out, char *out_dir,
                  size_t out_len, size_t *n_runs, char *err, size_t err_len);

#endif
