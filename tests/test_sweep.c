/* test_sweep.c: sweeps (harness/sweep.c), their result files (results.c, csv.c)
 * and the executor (run.c): grid expansion with generated lists and repeats,
 * the '|' separator, file:line errors, CSV quoting, shards covering every run
 * once, a run recorded once whenever its process dies, resume after
 * interruptions at several points, merge refusing mismatched
 * sweeps, divergence, and a tiny sweep end to end on synthetic IDX files in a
 * temporary folder (never the real MNIST files). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "results.h"
#include "run.h"
#include "sweep.h"

static char dir[64];

static void setup(void) {
    snprintf(dir, sizeof dir, "/tmp/test_sweep_XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void teardown(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(sweep, .init = setup, .fini = teardown);

static void path_of(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

static void write_file(const char *name, const char *text) {
    char path[128];
    path_of(path, sizeof path, name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

static int load(sweep *s, const char *text, char *err, size_t len) {
    char path[128];
    write_file("s.ini", text);
    path_of(path, sizeof path, "s.ini");
    return sweep_load(s, path, NULL, 0, err, len);
}

static size_t count_lines(const char *name) {
    char path[128], line[4096];
    path_of(path, sizeof path, name);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = 0;
    while (fgets(line, sizeof line, f)) n++;
    fclose(f);
    return n;
}

Test(sweep, cartesian_product_with_repeats) {
    sweep s;
    char err[512];
    cr_assert_eq(load(&s, "[experiment]\nseed = 7\nrepeats = 2\n[sweep]\ntrain.lr = 0.1, 0.2, 0.3\n"
                          "train.optimizer = sgd, adam\n", err, sizeof err), 0, "%s", err);
    cr_assert_eq(sweep_n_points(&s), 6);
    cr_assert_eq(sweep_n_runs(&s), 12);
    cfg c;
    size_t point;
    int repeat;
    char label[256];
    sweep_run(&s, 0, &c, &point, &repeat);
    cr_assert_float_eq(c.lr, 0.1, 1e-12);
    cr_assert_str_eq(c.optimizer, "sgd");
    cr_assert_eq(c.seed, 7);
    sweep_run(&s, 3, &c, &point, &repeat); /* point 1 (lr 0.1, adam), repeat 1 */
    cr_assert_eq(point, 1);
    cr_assert_eq(repeat, 1);
    cr_assert_str_eq(c.optimizer, "adam");
    cr_assert_eq(c.seed, 8);
    sweep_run(&s, 11, &c, &point, &repeat);
    cr_assert_float_eq(c.lr, 0.3, 1e-12);
    cr_assert_str_eq(c.optimizer, "adam");
    sweep_label(&s, 5, label, sizeof label);
    cr_assert_str_eq(label, "train.lr=0.3 train.optimizer=adam");
    /* Every run has its own key; a key depends on the values, not the file. */
    char keys[12][SWEEP_KEY_LEN];
    for (size_t r = 0; r < 12; r++) {
        sweep_run(&s, r, &c, &point, &repeat);
        sweep_run_key(&c, repeat, keys[r]);
        for (size_t q = 0; q < r; q++) cr_assert_str_neq(keys[q], keys[r]);
    }
    sweep_free(&s);
}

Test(sweep, generated_lists) {
    char **v, err[256];
    size_t n;
    cr_assert_eq(sweep_parse_values("logspace(1e-4, 1e-1, 4)", &v, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 4);
    const char *want[] = {"0.0001", "0.001", "0.01", "0.1"};
    for (size_t i = 0; i < n; i++) cr_assert_str_eq(v[i], want[i]);
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
    cr_assert_eq(sweep_parse_values("linspace(0, 1, 3), 7", &v, &n, err, sizeof err), 0, "%s", err);
    const char *want2[] = {"0", "0.5", "1", "7"};
    cr_assert_eq(n, 4);
    for (size_t i = 0; i < n; i++) cr_assert_str_eq(v[i], want2[i]);
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
    cr_assert_eq(sweep_parse_values("logspace(0, 1, 3)", &v, &n, err, sizeof err), -1);
    cr_assert(strstr(err, "first and last > 0"), "%s", err);
    cr_assert_eq(sweep_parse_values("linspace(1, 2)", &v, &n, err, sizeof err), -1);
    cr_assert(strstr(err, "linspace(first, last, count)"), "%s", err);
    cr_assert_eq(sweep_parse_values("1,,2", &v, &n, err, sizeof err), -1);
    cr_assert(strstr(err, "empty value"), "%s", err);
}

Test(sweep, separator_for_values_with_commas) {
    sweep s;
    char err[512];
    cr_assert_eq(load(&s, "[sweep]\nmodel.layers = 784,128,10 | 784,256,64,10\n", err, sizeof err), 0,
                 "%s", err);
    cr_assert_eq(sweep_n_points(&s), 2);
    cfg c;
    size_t point;
    int repeat;
    sweep_run(&s, 1, &c, &point, &repeat);
    cr_assert_eq(c.n_sizes, 4);
    cr_assert_eq(c.sizes[2], 64);
    sweep_free(&s);
    /* One layer list without '|' would be three bad values: the message says why. */
    cr_assert_eq(load(&s, "[sweep]\nmodel.layers = 784,128,10\n", err, sizeof err), -1);
    cr_assert(strstr(err, "s.ini:2:"), "%s", err);
    cr_assert(strstr(err, "'|'"), "%s", err);
}

Test(sweep, errors_name_file_line_and_value) {
    sweep s;
    char err[512];
    const struct {
        const char *text, *piece;
    } cases[] = {
        {"[train]\nlr = 0.1\n[sweep]\ntrain.lerning_rate = 1, 2\n", "s.ini:4: [sweep] unknown key 'train.lerning_rate'"},
        {"[sweep]\n\ntrain.lr = 0.1, 20\n", "s.ini:3: [sweep] train.lr: 20 is out of range"},
        {"[sweep]\nkernels.gemm = naive, turbo\n", "s.ini:2: [sweep] kernels.gemm:"},
        {"[sweep]\nexperiment.repeats = 1, 2\n", "s.ini:2: [sweep] experiment.repeats describes"},
        {"[sweep]\ntrain.lr = 0.1\ntrain.lr = 0.2\n", "s.ini:3: [sweep] train.lr is listed twice"},
        {"[experiment]\nrepeats = 0\n", "s.ini:2: experiment.repeats: 0 is out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cr_assert_eq(load(&s, cases[i].text, err, sizeof err), -1, "accepted case %zu", i);
        cr_assert(strstr(err, cases[i].piece), "case %zu: '%s' lacks '%s'", i, err, cases[i].piece);
    }
    /* A --set on a listed key is refused; on another key it applies. */
    char path[128];
    path_of(path, sizeof path, "s.ini");
    write_file("s.ini", "[sweep]\ntrain.lr = 0.1, 0.2\n");
    const char *bad[] = {"train.lr=0.5"}, *good[] = {"train.epochs=1"};
    cr_assert_eq(sweep_load(&s, path, bad, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "lists train.lr in [sweep]"), "%s", err);
    cr_assert_eq(sweep_load(&s, path, good, 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.base.epochs, 1);
    sweep_free(&s);
}

Test(sweep, train_refuses_a_sweep_file) {
    cfg c;
    char path[128], err[512];
    write_file("s.ini", "[train]\nepochs = 1\n[sweep]\ntrain.lr = 0.1, 0.2\n");
    path_of(path, sizeof path, "s.ini");
    cfg_defaults(&c);
    cr_assert_eq(cfg_load_file(&c, path, err, sizeof err), -1);
    cr_assert(strstr(err, "s.ini:4: [sweep]"), "%s", err);
}

/* Found by make fuzz: four lists of 100000 values overflowed the run count, and a
 * count that fits could still ask for gigabytes of run records.  A sweep has at
 * most 1000000 runs: the list that passes it is named, or else the repeats. */
Test(sweep, too_many_runs) {
    sweep s;
    char path[128], err[512];
    cr_assert_eq(load(&s, "[sweep]\ntrain.lr = linspace(0.001, 1, 1000)\n"
                          "train.momentum = linspace(0, 0.9, 1000)\n"
                          "data.val_split = 0.1, 0.2\n", err, sizeof err), -1);
    cr_assert(strstr(err, "s.ini:4: [sweep] data.val_split: 2 values make 2000000 points, "
                          "more than the 1000000 runs"), "%s", err);
    write_file("s.ini", "[sweep]\ntrain.lr = linspace(0.001, 1, 1000)\n"
                        "train.momentum = linspace(0, 0.9, 1000)\n");
    path_of(path, sizeof path, "s.ini");
    const char *twice[] = {"experiment.repeats=2"};
    cr_assert_eq(sweep_load(&s, path, twice, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "s.ini: [sweep] 1000000 points x 2 repeats = 2000000 runs, more than "
                          "1000000"), "%s", err);
    cr_assert_eq(sweep_load(&s, path, NULL, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(sweep_n_runs(&s), 1000000);
    sweep_free(&s);
}

Test(sweep, csv_quoting_round_trips) {
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
    char path[128], err[256];
    csv_table t;
    write_file("t.csv", "a,b\n1,2\n3\n");
    path_of(path, sizeof path, "t.csv");
    cr_assert_eq(csv_load(path, &t, err, sizeof err), -1);
    cr_assert(strstr(err, "t.csv:3: 1 fields, but the header has 2"), "%s", err);
}

Test(sweep, shards_cover_every_run_once) {
    for (int count = 1; count <= 5; count++)
        for (size_t r = 0; r < 37; r++) {
            int owners = 0;
            for (int i = 1; i <= count; i++) owners += sweep_in_shard(r, i, count);
            cr_assert_eq(owners, 1, "run %zu in %d of %d shards", r, owners, count);
        }
    int i, n;
    char err[256];
    cr_assert_eq(sweep_parse_shard("2/4", &i, &n, err, sizeof err), 0);
    cr_assert(i == 2 && n == 4);
    cr_assert_eq(sweep_parse_shard("0/4", &i, &n, err, sizeof err), -1);
    cr_assert_eq(sweep_parse_shard("5/4", &i, &n, err, sizeof err), -1);
    cr_assert_eq(sweep_parse_shard("2of4", &i, &n, err, sizeof err), -1);
    setenv("SLURM_ARRAY_TASK_ID", "3", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "1", 1);
    cr_assert_eq(sweep_shard_from_env(&i, &n, err, sizeof err), 1);
    cr_assert(i == 3 && n == 3, "%d/%d", i, n);
    setenv("SLURM_ARRAY_TASK_ID", "9", 1);
    cr_assert_eq(sweep_shard_from_env(&i, &n, err, sizeof err), -1);
    unsetenv("SLURM_ARRAY_TASK_ID");
    cr_assert_eq(sweep_shard_from_env(&i, &n, err, sizeof err), 0);
    cr_assert(i == 1 && n == 1);
}

/* Appends a fake finished run (id "run<k>") to dir/name; results_append's code. */
static int try_append_run(const char *where, int k, run_status status, const char *sweep_id) {
    char id[SWEEP_KEY_LEN], label[32], err[512];
    cfg c;
    cfg_defaults(&c);
    c.epochs = 2;
    epoch_stats hist[2] = {{1, 0.5, 0.8, 0.4, 0.85, 1.0, 0.9}, {2, 0.3, 0.9, 0.3, 0.9, 1.0, 0.9}};
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
    char path[128];
    struct stat st;
    path_of(path, sizeof path, name);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(truncate(path, st.st_size - bytes), 0);
}

static void append_text(const char *name, const char *text) {
    char path[128];
    path_of(path, sizeof path, name);
    FILE *f = fopen(path, "a");
    fputs(text, f);
    fclose(f);
}

Test(sweep, resume_repairs_every_interruption_point) {
    char err[512];
    csv_table done;
    cr_assert_eq(results_prepare(dir, &done, err, sizeof err), 0, "%s", err);
    cr_assert_eq(done.n_rows, 0);
    csv_free(&done);
    append_run(dir, 1, RUN_OK, "s");
    append_run(dir, 2, RUN_DIVERGED, "s");
    append_run(dir, 3, RUN_FAILED, "s");
    /* Killed after run 4's epoch rows, before its runs.csv row. */
    append_text("epochs.csv", "run4,1,0.5,0.8,0.4,0.85,1.0,train.lr=0.4\n");
    /* Killed in the middle of a line, in both files. */
    append_text("epochs.csv", "run5,1,0.5,0.");
    append_text("runs.csv", "run5,s,5,0,train.lr");
    cr_assert_eq(results_prepare(dir, &done, err, sizeof err), 0, "%s", err);
    cr_assert_eq(done.n_rows, 2, "ok and diverged runs are complete; failed ones run again");
    cr_assert(results_done(&done, "run1") && results_done(&done, "run2"));
    cr_assert(!results_done(&done, "run3") && !results_done(&done, "run4"));
    csv_free(&done);
    cr_assert_eq(count_lines("runs.csv"), 3);
    cr_assert_eq(count_lines("epochs.csv"), 1 + 2 + 1, "the epochs of runs 1 and 2 only");
    /* A partial line appearing while a sweep runs (another shard killed) is cut
     * before the next append, and appends stay whole lines. */
    append_text("runs.csv", "partial");
    append_run(dir, 4, RUN_OK, "s");
    csv_table t;
    char path[128];
    path_of(path, sizeof path, "runs.csv");
    cr_assert_eq(csv_load(path, &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.n_rows, 3);
    cr_assert_str_eq(csv_get(&t, 1, csv_col(&t, "status")), "diverged");
    cr_assert_str_eq(csv_get(&t, 1, csv_col(&t, "test_acc")), "NaN");
    csv_free(&t);
    /* A file cut anywhere inside its last row: that run is simply not done. */
    for (off_t cut = 1; cut < 40; cut += 13) {
        truncate_by("runs.csv", cut);
        cr_assert_eq(results_prepare(dir, &done, err, sizeof err), 0, "%s", err);
        cr_assert_eq(done.n_rows, 2, "cut %ld", (long)cut);
        csv_free(&done);
        append_run(dir, 4, RUN_OK, "s");
    }
    cr_assert_eq(count_lines("runs.csv"), 4);
    cr_assert_eq(count_lines("epochs.csv"), 1 + 2 + 1 + 2);
    /* A runs.csv of other columns is refused, not appended to. */
    write_file("runs.csv", "a,b\n1,2\n");
    cr_assert_eq(results_prepare(dir, &done, err, sizeof err), -1);
    cr_assert(strstr(err, "columns differ"), "%s", err);
}

Test(sweep, a_run_is_recorded_once) {
    append_run(dir, 1, RUN_DIVERGED, "s");
    cr_assert_eq(results_recorded(dir, "run1"), RUN_DIVERGED);
    cr_assert_eq(results_recorded(dir, "run2"), -1);
    /* Its child killed after writing the row: the parent's failed row must not
     * follow it (nor a second sweep's row of the same run). */
    cr_assert_eq(try_append_run(dir, 1, RUN_FAILED, "s"), 1);
    cr_assert_eq(try_append_run(dir, 1, RUN_OK, "s"), 1);
    cr_assert_eq(count_lines("runs.csv"), 2);
    cr_assert_eq(count_lines("epochs.csv"), 1 + 1);
    cr_assert_eq(results_recorded(dir, "run1"), RUN_DIVERGED);
    /* A partial row (a writer killed) records nothing. */
    append_text("runs.csv", "run2,s,2,0,train.lr");
    cr_assert_eq(results_recorded(dir, "run2"), -1);
    append_run(dir, 2, RUN_OK, "s");
    cr_assert_eq(results_recorded(dir, "run2"), RUN_OK);
    cr_assert_eq(count_lines("runs.csv"), 3);
}

Test(sweep, merge_combines_shards_and_refuses_mismatches) {
    char a[128], b[128], c2[128], out[128], err[512], chosen[256];
    const char *dirs[3];
    size_t n;
    path_of(a, sizeof a, "a");
    path_of(b, sizeof b, "b");
    path_of(c2, sizeof c2, "c");
    path_of(out, sizeof out, "out");
    mkdir(a, 0755);
    mkdir(b, 0755);
    mkdir(c2, 0755);
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
    cr_assert_eq(count_lines("out/runs.csv"), 4);
    cr_assert_eq(count_lines("out/epochs.csv"), 1 + 2 + 2 + 1);
    dirs[1] = c2;
    cr_assert_eq(results_merge(dirs, 2, NULL, chosen, sizeof chosen, &n, err, sizeof err), -1);
    cr_assert(strstr(err, "different sweeps"), "%s", err);
    cr_assert(strstr(err, a) && strstr(err, c2), "message does not name the folders: %s", err);
    dirs[1] = b;
    cr_assert_eq(results_merge(dirs, 2, out, chosen, sizeof chosen, &n, err, sizeof err), -1,
                 "overwrote an existing result");
    cr_assert(strstr(err, "exists"), "%s", err);
}

Test(sweep, summary_means_over_repeats) {
    char path[128], err[512];
    append_run(dir, 1, RUN_OK, "s");
    append_run(dir, 2, RUN_DIVERGED, "s");
    csv_table t;
    results_summary s;
    path_of(path, sizeof path, "runs.csv");
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

Test(sweep, a_nan_loss_is_recorded_as_diverged) {
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
    append_run(dir, 1, RUN_DIVERGED, "s");
    csv_table done;
    cr_assert_eq(results_prepare(dir, &done, err, sizeof err), 0, "%s", err);
    cr_assert(results_done(&done, "run1"), "a diverged run is complete: resume skips it");
    csv_free(&done);
    run_result_free(&r);
    mlp_free(&m);
}

/* A tiny IDX data set: n images of 4x4 whose label is the brightest quadrant
 * pattern, so a model can learn it. */
static void write_idx(const char *name, int n, bool images) {
    char path[128];
    path_of(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    unsigned char head[16] = {0, 0, 8, images ? 3 : 1, 0, 0, (unsigned char)(n >> 8), (unsigned char)n,
                              0, 0, 0, 4, 0, 0, 0, 4};
    fwrite(head, 1, images ? 16 : 8, f);
    for (int i = 0; i < n; i++) {
        int label = (i * 7) % 10;
        if (!images) {
            fputc(label, f);
            continue;
        }
        for (int p = 0; p < 16; p++) fputc(p == label ? 255 : (p * 13 + i) % 40, f);
    }
    fclose(f);
}

Test(sweep, tiny_sweep_end_to_end_and_resume, .timeout = 120) {
    char data[128], results[128], ini[1024], err[1024];
    mkdir(strcat(strcpy(data, dir), "/data"), 0755);
    write_idx("data/train-images-idx3-ubyte", 200, true);
    write_idx("data/train-labels-idx1-ubyte", 200, false);
    write_idx("data/t10k-images-idx3-ubyte", 50, true);
    write_idx("data/t10k-labels-idx1-ubyte", 50, false);
    path_of(results, sizeof results, "results/tiny");
    snprintf(ini, sizeof ini,
             "[experiment]\nname = tiny\nrepeats = 2\n[data]\ndir = %s\nval_split = 0.2\n"
             "[model]\nlayers = 16,8,10\n[train]\noptimizer = sgd\nepochs = 2\nbatch = 8\n"
             "[kernels]\ngemm = naive\nactivation = scalar\nthreads = 1\n"
             "[sweep]\ntrain.lr = 0.05, 0.5\n", data);
    write_file("tiny.ini", ini);
    sweep s;
    char path[128];
    path_of(path, sizeof path, "tiny.ini");
    cr_assert_eq(sweep_load(&s, path, NULL, 0, err, sizeof err), 0, "%s", err);
    cfg c = s.base;
    run_data d;
    cr_assert_eq(run_data_load(&c, true, &d, err, sizeof err), 0, "%s", err);
    cr_assert_eq(run_data_check(&c, &d, err, sizeof err), 0, "%s", err);
    char id[SWEEP_KEY_LEN];
    sweep_id(&s, id);
    run_plan plan = {.s = &s, .dir = results, .sweep_id = id, .data = &d, .n_data = 1, .jobs = 2,
                     .shard_index = 1, .shard_count = 1, .cores = 2};
    for (int round = 0; round < 3; round++) {
        csv_table done;
        run_counts n;
        cr_assert_eq(results_prepare(results, &done, err, sizeof err), 0, "%s", err);
        plan.done = &done;
        cr_assert_eq(run_sweep(&plan, &n, err, sizeof err), 0, "%s", err);
        csv_free(&done);
        size_t want_new[] = {4, 0, 1};
        cr_assert_eq(n.ok + n.diverged + n.failed, want_new[round], "round %d", round);
        cr_assert_eq(n.failed, 0);
        cr_assert_eq(count_lines("results/tiny/runs.csv"), 5, "round %d", round);
        csv_table t;
        char runs[160];
        snprintf(runs, sizeof runs, "%s/runs.csv", results);
        cr_assert_eq(csv_load(runs, &t, err, sizeof err), 0, "%s", err);
        int status = csv_col(&t, "status"), rid = csv_col(&t, "run_id");
        for (size_t r = 0; r < t.n_rows; r++) {
            cr_assert_str_eq(t.rows[r][status], "ok");
            for (size_t q = 0; q < r; q++) cr_assert_str_neq(t.rows[q][rid], t.rows[r][rid]);
        }
        csv_free(&t);
        cr_assert_eq(count_lines("results/tiny/epochs.csv"), 1 + 4 * 2, "round %d", round);
        /* Then as if killed right after an ok run's epoch rows: its row is gone. */
        if (round == 1) {
            path_of(path, sizeof path, "results/tiny/runs.csv");
            cr_assert_eq(csv_load(path, &t, err, sizeof err), 0);
            bool *keep = calloc(t.n_rows, sizeof *keep);
            size_t dropped = t.n_rows;
            for (size_t r = 0; r < t.n_rows; r++) {
                keep[r] = !(dropped == t.n_rows && !strcmp(t.rows[r][status], "ok"));
                if (!keep[r]) dropped = r;
            }
            cr_assert_eq(csv_save(path, &t, keep, err, sizeof err), 0);
            free(keep);
            csv_free(&t);
        }
    }
    run_data_free(&d);
    sweep_free(&s);
}
