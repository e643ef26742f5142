/* test_sweep.c: sweeps (harness/sweep.c) and the executor (run.c): grid
 * expansion with generated lists and repeats, the '|' separator, file:line
 * errors, shards covering every run once, and a tiny sweep end to end and
 * resumed on synthetic IDX files in a scratch folder (never the real MNIST
 * files).  Their result files are test_results.c's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "results.h"
#include "run.h"
#include "scratch.h"
#include "sweep.h"

static void setup(void) { scratch_make("test_sweep"); }

TestSuite(sweep, .init = setup, .fini = scratch_remove);

static int load(sweep *s, const char *text, char *err, size_t len) {
    char path[PATH_MAX];
    scratch_write_text("s.ini", text);
    scratch_path(path, "s.ini");
    return sweep_load(s, path, NULL, 0, err, len);
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
    char path[PATH_MAX];
    scratch_path(path, "s.ini");
    scratch_write_text("s.ini", "[sweep]\ntrain.lr = 0.1, 0.2\n");
    const char *bad[] = {"train.lr=0.5"}, *good[] = {"train.epochs=1"};
    cr_assert_eq(sweep_load(&s, path, bad, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "lists train.lr in [sweep]"), "%s", err);
    cr_assert_eq(sweep_load(&s, path, good, 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.base.epochs, 1);
    sweep_free(&s);
}

Test(sweep, train_refuses_a_sweep_file) {
    cfg c;
    char path[PATH_MAX], err[512];
    scratch_write_text("s.ini", "[train]\nepochs = 1\n[sweep]\ntrain.lr = 0.1, 0.2\n");
    scratch_path(path, "s.ini");
    cfg_defaults(&c);
    cr_assert_eq(cfg_load_file(&c, path, err, sizeof err), -1);
    cr_assert(strstr(err, "s.ini:4: [sweep]"), "%s", err);
}

/* Found by make fuzz: four lists of 100000 values overflowed the run count, and a
 * count that fits could still ask for gigabytes of run records.  A sweep has at
 * most 1000000 runs: the list that passes it is named, or else the repeats. */
Test(sweep, too_many_runs) {
    sweep s;
    char path[PATH_MAX], err[512];
    cr_assert_eq(load(&s, "[sweep]\ntrain.lr = linspace(0.001, 1, 1000)\n"
                          "train.momentum = linspace(0, 0.9, 1000)\n"
                          "data.val_split = 0.1, 0.2\n", err, sizeof err), -1);
    cr_assert(strstr(err, "s.ini:4: [sweep] data.val_split: 2 values make 2000000 points, "
                          "more than the 1000000 runs"), "%s", err);
    scratch_write_text("s.ini", "[sweep]\ntrain.lr = linspace(0.001, 1, 1000)\n"
                        "train.momentum = linspace(0, 0.9, 1000)\n");
    scratch_path(path, "s.ini");
    const char *twice[] = {"experiment.repeats=2"};
    cr_assert_eq(sweep_load(&s, path, twice, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "s.ini: [sweep] 1000000 points x 2 repeats = 2000000 runs, more than "
                          "1000000"), "%s", err);
    cr_assert_eq(sweep_load(&s, path, NULL, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(sweep_n_runs(&s), 1000000);
    sweep_free(&s);
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

/* A tiny IDX data set: n images of 4x4 whose label is the brightest quadrant
 * pattern, so a model can learn it. */
static void write_idx(const char *name, uint32_t n, bool images) {
    uint8_t body[200 * 16];
    cr_assert_leq(n, 200);
    for (uint32_t i = 0; i < n; i++) {
        int label = (int)(i * 7) % 10;
        if (!images) body[i] = (uint8_t)label;
        for (int p = 0; images && p < 16; p++)
            body[i * 16 + p] = (uint8_t)(p == label ? 255 : (p * 13 + (int)i) % 40);
    }
    if (images)
        scratch_write_idx(name, 3, (const uint32_t[]){n, 4, 4}, body, (size_t)n * 16);
    else
        scratch_write_idx(name, 1, (const uint32_t[]){n}, body, n);
}

Test(sweep, tiny_sweep_end_to_end_and_resume, .timeout = 120) {
    char data[PATH_MAX], results[PATH_MAX], ini[PATH_MAX + 512], err[1024];
    scratch_mkdir("data");
    scratch_path(data, "data");
    write_idx("data/train-images-idx3-ubyte", 200, true);
    write_idx("data/train-labels-idx1-ubyte", 200, false);
    write_idx("data/t10k-images-idx3-ubyte", 50, true);
    write_idx("data/t10k-labels-idx1-ubyte", 50, false);
    scratch_path(results, "results/tiny");
    snprintf(ini, sizeof ini,
             "[experiment]\nname = tiny\nrepeats = 2\n[data]\ndir = %s\nval_split = 0.2\n"
             "[model]\nlayers = 16,8,10\n[train]\noptimizer = sgd\nepochs = 2\nbatch = 8\n"
             "[kernels]\ngemm = naive\nactivation = scalar\nthreads = 1\n"
             "[sweep]\ntrain.lr = 0.05, 0.5\n", data);
    scratch_write_text("tiny.ini", ini);
    sweep s;
    char path[PATH_MAX];
    scratch_path(path, "tiny.ini");
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
        cr_assert_eq(scratch_lines("results/tiny/runs.csv"), 5, "round %d", round);
        csv_table t;
        char runs[PATH_MAX + 16];
        snprintf(runs, sizeof runs, "%s/runs.csv", results);
        cr_assert_eq(csv_load(runs, &t, err, sizeof err), 0, "%s", err);
        int status = csv_col(&t, "status"), rid = csv_col(&t, "run_id");
        for (size_t r = 0; r < t.n_rows; r++) {
            cr_assert_str_eq(t.rows[r][status], "ok");
            for (size_t q = 0; q < r; q++) cr_assert_str_neq(t.rows[q][rid], t.rows[r][rid]);
        }
        csv_free(&t);
        cr_assert_eq(scratch_lines("results/tiny/epochs.csv"), 1 + 4 * 2, "round %d", round);
        /* Then as if killed right after an ok run's epoch rows: its row is gone. */
        if (round == 1) {
            scratch_path(path, "results/tiny/runs.csv");
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
