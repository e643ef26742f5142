/* test_results.c: a sweep's result files (harness/results.c, csv.c): CSV
 * quoting, a run recorded once whenever its process dies, resume repairing
 * interruptions at several points, merge refusing mismatched sweeps, the
 * summary over repeats, and a diverged run recorded as such. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"
#include "results.h"
#include "run.h"
#include "scratch.h"
#include "sweep.h"

static void setup(void) { scratch_make("test_results"); }

TestSuite(results, .init = setup, .fini = scratch_remove);

Test(results, csv_quoting_round_trips) {
    const char *fields[] = {"plain", "a,b", "say \"hi\"", "", "784,128,10"};
    char *line = csv_join(fields, 5), **back;
    size_t n;
    cr_assert_str_eq(line, "plain,\"a,b\",\"say \"\"hi\"\"\",,\"784,128,10\"\n");
    line[strlen(line) - 1] = '\0';
    cr_assert_eq(csv_split(line, &back, &n), 0);
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++) cr_assert_str_eq(back[i], fields[i]);
    csv_free_fields(back, n);
    free(line);
    cr_assert_eq(csv_split("\"open", &back, &n), -1);
    char path[PATH_MAX], err[256];
    csv_table t;
    scratch_write_text("t.csv", "a,b\n1,2\n3\n");
    scratch_path(path, "t.csv");
    cr_assert_eq(csv_load(path, &t, err, sizeof err), -1);
    cr_assert(strstr(err, "t.csv:3: 1 fields, but the header has 2"), "%s", err);
}

/* Appends a fake finished run (id "run<k>") to scratch_dir/name; results_append's code. */
static int try_append_run(const char *where, int k, run_status status, const char *sweep_id) {
    char id[SWEEP_KEY_LEN], label[32], err[512];
    cfg c;
    cfg_defaults(&c);
    c.epochs = 2;
    epoch_stats hist[2] = {{1, 0.5, 0.8, 0.4, 0.85, 0.001, 1.0, 0.9}, {2, 0.3, 0.9, 0.3, 0.9, 0.001, 1.0, 0.9}};
    run_result r = {.status = status, .epochs = status == RUN_DIVERGED ? 1 : 2, .hist = hist,
                    .test = {.n = 100, .loss = 0.3, .acc = 0.9}, .train_seconds = 2,
                    .samples_per_second = 100, .gemm = "naive", .act = "scalar", .threads = 1};
    snprintf(id, sizeof id, "run%d", k);
    snprintf(label, sizeof label, "train.lr=0.%d", k);
    results_run row = {.run_id = id, .sweep_id = sweep_id, .swept = "train.lr", .label = label,
                       .point = (size_t)k, .repeat = 0, .c = &c, .r = &r};
    int rc = results_append(where, &row, err, sizeof err);
    cr_assert_geq(rc, 0, "%s", err);
    return rc;
}

static void append_run(const char *where, int k, run_status status, const char *sweep_id) {
    cr_assert_eq(try_append_run(where, k, status, sweep_id), 0, "run%d was recorded already", k);
}

static void truncate_by(const char *name, off_t bytes) {
    char path[PATH_MAX];
    struct stat st;
    scratch_path(path, name);
    cr_assert_eq(stat(path, &st), 0);
    scratch_truncate(name, st.st_size - bytes);
}

static void append_text(const char *name, const char *text) {
    scratch_write(name, text, strlen(text), "ab");
}

Test(results, resume_repairs_every_interruption_point) {
    char err[512];
    csv_table done;
    cr_assert_eq(results_prepare(scratch_dir, &done, err, sizeof err), 0, "%s", err);
    cr_assert_eq(done.n_rows, 0);
    csv_free(&done);
    append_run(scratch_dir, 1, RUN_OK, "s");
    append_run(scratch_dir, 2, RUN_DIVERGED, "s");
    append_run(scratch_dir, 3, RUN_FAILED, "s");
    /* Killed after run 4's epoch rows, before its runs.csv row. */
    append_text("epochs.csv", "run4,1,0.5,0.8,0.4,0.85,1.0,0.001,train.lr=0.4\n");
    /* Killed in the middle of a line, in both files. */
    append_text("epochs.csv", "run5,1,0.5,0.");
    append_text("runs.csv", "run5,s,5,0,train.lr");
    cr_assert_eq(results_prepare(scratch_dir, &done, err, sizeof err), 0, "%s", err);
    cr_assert_eq(done.n_rows, 2, "ok and diverged runs are complete; failed ones run again");
    cr_assert(results_done(&done, "run1") && results_done(&done, "run2"));
    cr_assert(!results_done(&done, "run3") && !results_done(&done, "run4"));
    csv_free(&done);
    cr_assert_eq(scratch_lines("runs.csv"), 3);
    cr_assert_eq(scratch_lines("epochs.csv"), 1 + 2 + 1, "the epochs of runs 1 and 2 only");
    /* A partial line appearing while a sweep runs (another shard killed) is cut
     * before the next append, and appends stay whole lines. */
    append_text("runs.csv", "partial");
    append_run(scratch_dir, 4, RUN_OK, "s");
    csv_table t;
    char path[PATH_MAX];
    scratch_path(path, "runs.csv");
    cr_assert_eq(csv_load(path, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.n_rows, 3);
    cr_assert_str_eq(csv_get(&t, 1, csv_col(&t, "status")), "diverged");
    cr_assert_str_eq(csv_get(&t, 1, csv_col(&t, "test_acc")), "NaN");
    csv_free(&t);
    /* A file cut anywhere inside its last row: that run is simply not done. */
    for (off_t cut = 1; cut < 40; cut += 13) {
        truncate_by("runs.csv", cut);
        cr_assert_eq(results_prepare(scratch_dir, &done, err, sizeof err), 0, "%s", err);
        cr_assert_eq(done.n_rows, 2, "cut %ld", (long)cut);
        csv_free(&done);
        append_run(scratch_dir, 4, RUN_OK, "s");
    }
    cr_assert_eq(scratch_lines("runs.csv"), 4);
    cr_assert_eq(scratch_lines("epochs.csv"), 1 + 2 + 1 + 2);
    /* A runs.csv of other columns is refused, not appended to. */
    scratch_write_text("runs.csv", "a,b\n1,2\n");
    cr_assert_eq(results_prepare(scratch_dir, &done, err, sizeof err), -1);
    cr_assert(strstr(err, "columns differ"), "%s", err);
}

Test(results, a_run_is_recorded_once) {
    append_run(scratch_dir, 1, RUN_DIVERGED, "s");
    cr_assert_eq(results_recorded(scratch_dir, "run1"), RUN_DIVERGED);
    cr_assert_eq(results_recorded(scratch_dir, "run2"), -1);
    /* Its child killed after writing the row: the parent's failed row must not
     * follow it (nor a second sweep's row of the same run). */
    cr_assert_eq(try_append_run(scratch_dir, 1, RUN_FAILED, "s"), 1);
    cr_assert_eq(try_append_run(scratch_dir, 1, RUN_OK, "s"), 1);
    cr_assert_eq(scratch_lines("runs.csv"), 2);
    cr_assert_eq(scratch_lines("epochs.csv"), 1 + 1);
    cr_assert_eq(results_recorded(scratch_dir, "run1"), RUN_DIVERGED);
    /* A partial row (a writer killed) records nothing. */
    append_text("runs.csv", "run2,s,2,0,train.lr");
    cr_assert_eq(results_recorded(scratch_dir, "run2"), -1);
    append_run(scratch_dir, 2, RUN_OK, "s");
    cr_assert_eq(results_recorded(scratch_dir, "run2"), RUN_OK);
    cr_assert_eq(scratch_lines("runs.csv"), 3);
}

Test(results, merge_combines_shards_and_refuses_mismatches) {
    char a[PATH_MAX], b[PATH_MAX], c2[PATH_MAX], out[PATH_MAX], err[512], chosen[PATH_MAX];
    const char *dirs[3];
    size_t n;
    scratch_path(a, "a");
    scratch_path(b, "b");
    scratch_path(c2, "c");
    scratch_path(out, "out");
    scratch_mkdir("a");
    scratch_mkdir("b");
    scratch_mkdir("c");
    append_run(a, 1, RUN_OK, "same");
    append_run(a, 2, RUN_OK, "same");
    append_run(b, 2, RUN_OK, "same"); /* also in a: kept once */
    append_run(b, 3, RUN_DIVERGED, "same");
    append_run(c2, 4, RUN_OK, "other");
    dirs[0] = a;
    dirs[1] = b;
    cr_assert_eq(results_merge(dirs, 2, out, chosen, sizeof chosen, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(chosen, out);
    cr_assert_eq(scratch_lines("out/runs.csv"), 4);
    cr_assert_eq(scratch_lines("out/epochs.csv"), 1 + 2 + 2 + 1);
    dirs[1] = c2;
    cr_assert_eq(results_merge(dirs, 2, NULL, chosen, sizeof chosen, &n, err, sizeof err), -1);
    cr_assert(strstr(err, "different sweeps"), "%s", err);
    cr_assert(strstr(err, a) && strstr(err, c2), "message does not name the folders: %s", err);
    dirs[1] = b;
    cr_assert_eq(results_merge(dirs, 2, out, chosen, sizeof chosen, &n, err, sizeof err), -1,
                 "overwrote an existing result");
    cr_assert(strstr(err, "exists"), "%s", err);
}

Test(results, summary_means_over_repeats) {
    char path[PATH_MAX], err[512];
    append_run(scratch_dir, 1, RUN_OK, "s");
    append_run(scratch_dir, 2, RUN_DIVERGED, "s");
    csv_table t;
    results_summary s;
    scratch_path(path, "runs.csv");
    cr_assert_eq(csv_load(path, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(results_summarize(&t, NULL, 0, &s, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.x_key, "train.lr");
    cr_assert_str_eq(s.p[0].x, "0.1");
    cr_assert_eq(s.p[0].ok, 1);
    cr_assert_float_eq(s.p[0].test_se, sqrt(0.9 * 0.1 / 100), 1e-9);
    cr_assert_eq(s.p[1].ok, 0, "a diverged run is not averaged");
    cr_assert(isnan(s.p[1].val_mean));
    results_summary_free(&s);
    csv_free(&t);
}

Test(results, a_nan_loss_is_recorded_as_diverged) {
    char err[512];
    cfg c;
    cfg_defaults(&c);
    cr_assert_eq(cfg_set(&c, "model.layers=16,8,10", err, sizeof err), 0);
    c.epochs = 2;
    c.batch = 4;
    c.val_split = 0.5;
    run_data d = {.train = {.n = 8, .rows = 4, .cols = 4}, .test = {.n = 4, .rows = 4, .cols = 4}};
    float x[8 * 16];
    uint8_t y[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (int i = 0; i < 8 * 16; i++) x[i] = (float)(i % 5) / 4;
    d.train.x = d.test.x = x;
    d.train.y = d.test.y = y;
    mlp_model m;
    rng_state rng;
    cr_assert_eq(run_model(&c, gemm_select("naive", err, sizeof err), act_select("scalar", err, sizeof err),
                           &m, &rng, err, sizeof err), 0, "%s", err);
    for (size_t i = 0; i < m.n_params; i++) m.params[i] = 1e30f; /* overflows to inf */
    run_result r;
    run_fit(&c, &d, &m, &rng, NULL, NULL, NULL, &r);
    cr_assert_eq(r.status, RUN_DIVERGED);
    cr_assert(strstr(r.why, "diverged"), "%s", r.why);
    cr_assert_eq(r.epochs, 0);
    append_run(scratch_dir, 1, RUN_DIVERGED, "s");
    csv_table done;
    cr_assert_eq(results_prepare(scratch_dir, &done, err, sizeof err), 0, "%s", err);
    cr_assert(results_done(&done, "run1"), "a diverged run is complete: resume skips it");
    csv_free(&done);
    run_result_free(&r);
    mlp_free(&m);
}

