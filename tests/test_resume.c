/* test_resume.c: a sweep killed with SIGKILL at any moment loses only the runs in
 * progress.  The built binary (build/experiment, which `make test` builds first)
 * runs a sweep of 8 short runs, two at a time, on synthetic IDX files in a
 * temporary folder; its whole process group (the sweep and the runs it forked) is
 * killed before any row is recorded, after 1 and 3 rows, and in the middle of a
 * run (a run has printed its first epoch but has no row), and resumed each time
 * with the same command until it finishes.  Then every run must be recorded
 * exactly once, the CSVs must hold whole rows only, and every value but the
 * timings must equal those of the same sweep run without interruption, one run at
 * a time, in another folder.  The kill points are polled for, never slept for. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "scratch.h"

enum { SIDE = 8, N_TRAIN = 1200, N_TEST = 200, N_RUNS = 8, EPOCHS = 2 };
#define POLL_LIMIT 60 /* seconds a sweep may take to reach a kill point */

static char exe[PATH_MAX];

static void setup(void) {
    scratch_make("test_resume");
    cr_assert(realpath("build/experiment", exe),
              "build/experiment: %s (`make test` builds it; run the suite from the repository root)",
              strerror(errno));
}

TestSuite(resume, .init = setup, .fini = scratch_remove);

/* An IDX file of n SIDE x SIDE images, or their labels: the label is a bright
 * pixel's row, over a pattern that differs per image, so the model learns. */
static void write_idx(const char *name, uint32_t n, bool images) {
    static uint8_t body[N_TRAIN * SIDE * SIDE];
    char path[PATH_MAX];
    snprintf(path, sizeof path, "data/%s", name);
    for (uint32_t i = 0; i < n; i++) {
        int label = (int)(i * 7 + i / 10) % 10;
        if (!images) body[i] = (uint8_t)label;
        for (int p = 0; images && p < SIDE * SIDE; p++)
            body[i * SIDE * SIDE + (uint32_t)p] =
                (uint8_t)(p == label * SIDE / 10 * SIDE + (int)i % SIDE ? 255 : (p * 13 + (int)i * 5) % 60);
    }
    if (images)
        scratch_write_idx(path, 3, (const uint32_t[]){n, SIDE, SIDE}, body, (size_t)n * SIDE * SIDE);
    else
        scratch_write_idx(path, 1, (const uint32_t[]){n}, body, n);
}

/* The data, the sweep file, and one folder per sweep (each gets results/resume/). */
static void write_fixtures(void) {
    char path[PATH_MAX + 64];
    scratch_mkdir("data");
    write_idx("train-images-idx3-ubyte", N_TRAIN, true);
    write_idx("train-labels-idx1-ubyte", N_TRAIN, false);
    write_idx("t10k-images-idx3-ubyte", N_TEST, true);
    write_idx("t10k-labels-idx1-ubyte", N_TEST, false);
    snprintf(path, sizeof path, "%s/sweep.ini", scratch_dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    /* The data folder is the same absolute path for both sweeps, so their run keys
     * (a hash of every value) agree. */
    fprintf(f, "[experiment]\nname = resume\nseed = 7\nrepeats = 2\n"
               "[data]\ndir = %s/data\nval_split = 0.25\n"
               "[model]\nlayers = %d,96,10\n"
               "[train]\noptimizer = adam\nepochs = %d\nbatch = 16\n"
               "[kernels]\ngemm = naive\nactivation = scalar\nthreads = 1\n"
               "[sweep]\ntrain.lr = 0.001, 0.003, 0.01, 0.03\n",
            scratch_dir, SIDE * SIDE, EPOCHS);
    cr_assert_eq(fclose(f), 0);
    scratch_mkdir("reference");
    scratch_mkdir("killed");
}

/* Starts `experiment sweep` in the scratch folder's `where` as the leader of a
 * new process group, its stdout and stderr appended to where/log. */
static pid_t start_sweep(const char *where, const char *jobs) {
    char cwd[PATH_MAX + 64], ini[PATH_MAX + 64];
    snprintf(cwd, sizeof cwd, "%s/%s", scratch_dir, where);
    snprintf(ini, sizeof ini, "%s/sweep.ini", scratch_dir);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fd;
        if (setpgid(0, 0) || chdir(cwd) ||
            (fd = open("log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644)) < 0 ||
            dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(126);
        execl(exe, "experiment", "sweep", ini, "--jobs", jobs, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid); /* also here, so the group exists before the parent kills it */
    return pid;
}

static char *slurp(const char *where, const char *file, size_t *len) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s/%s", scratch_dir, where, file);
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f) return NULL;
    char *buf = NULL;
    FILE *mem = open_memstream(&buf, len);
    char chunk[4096];
    for (size_t n; (n = fread(chunk, 1, sizeof chunk, f)) > 0;) fwrite(chunk, 1, n, mem);
    fclose(f);
    fclose(mem);
    return buf;
}

/* Whole rows of where/results/resume/runs.csv (lines after the header); -1 when
 * the file does not exist yet. */
static int rows_recorded(const char *where) {
    size_t len;
    char *s = slurp(where, "results/resume/runs.csv", &len);
    if (!s) return -1;
    int lines = 0;
    for (size_t i = 0; i < len; i++) lines += s[i] == '\n';
    free(s);
    return lines > 0 ? lines - 1 : 0;
}

static int count_in_log(const char *where, const char *what) {
    size_t len;
    char *s = slurp(where, "log", &len);
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, what)); p++) n++;
    free(s);
    return n;
}

/* When to kill: once runs.csv exists and holds at least `rows` rows, or, with
 * mid_run, once a run of this invocation has printed its first epoch but recorded
 * no row. */
typedef struct {
    int rows;
    bool mid_run;
} kill_point;

static bool reached(const kill_point *k, int rows_before) {
    int rows = rows_recorded("killed");
    if (!k->mid_run) return rows >= 0 && rows >= k->rows;
    /* Rows first, then the log: a row written in between only delays the kill. */
    return count_in_log("killed", "Epoch 1/") > rows - rows_before;
}

/* Reports the log of a sweep that ended otherwise than expected. */
static void fail_with_log(const char *where, const char *what, int status) {
    size_t len;
    char *log = slurp(where, "log", &len);
    cr_assert_fail("%s sweep %s (wait status %#x); its output:\n%s", where, what, status, log ? log : "");
}

/* Kills the sweep's whole group with SIGKILL and reaps every process of it: the
 * runs it forked are reparented to this process, a subreaper. */
static void kill_group(pid_t pid) {
    cr_assert_eq(kill(-pid, SIGKILL), 0, "kill: %s", strerror(errno));
    int status;
    while (waitpid(-pid, &status, 0) > 0 || errno == EINTR) continue;
    cr_assert_eq(errno, ECHILD, "waitpid: %s", strerror(errno));
}

/* Runs one invocation until the kill point; true when the kill caught the sweep
 * still running (it may finish first on a fast machine: then it must succeed). */
static bool run_until(const kill_point *k) {
    int rows_before = rows_recorded("killed"), status;
    pid_t pid = start_sweep("killed", "2");
    struct timespec pause = {0, 2000000}, start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (now = start; now.tv_sec - start.tv_sec < POLL_LIMIT; clock_gettime(CLOCK_MONOTONIC, &now)) {
        bool at_point = reached(k, rows_before);
        /* Asked after reached(): a sweep that ended before the kill was not caught. */
        if (waitpid(pid, &status, WNOHANG) == pid) {
            if (!WIFEXITED(status) || WEXITSTATUS(status)) fail_with_log("killed", "failed", status);
            return false;
        }
        if (at_point) {
            kill_group(pid);
            return true;
        }
        nanosleep(&pause, NULL);
    }
    kill_group(pid);
    fail_with_log("killed", "never reached its kill point", 0);
    return false;
}

static void run_to_end(const char *where, const char *jobs) {
    int status;
    pid_t pid = start_sweep(where, jobs);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status)) fail_with_log(where, "failed", status);
}

static void load(const char *where, const char *file, csv_table *t) {
    char path[PATH_MAX + 64], err[512];
    snprintf(path, sizeof path, "%s/%s/results/resume/%s", scratch_dir, where, file);
    cr_assert_eq(csv_load(path, t, err, sizeof err), 0, "%s", err);
}

static bool is_timing(const char *column) {
    static const char *const timing[] = {"seconds", "train_seconds", "samples_per_second", "date",
                                         "train_seconds_mean", "samples_per_second_mean"};
    for (size_t i = 0; i < sizeof timing / sizeof *timing; i++)
        if (!strcmp(column, timing[i])) return true;
    return false;
}

/* Row r of a matches the row of b whose key columns are equal, in every column
 * but the timings; each key appears once in each table. */
static void same_rows(const char *file, const csv_table *a, const csv_table *b,
                      const char *const *keys, int n_keys) {
    cr_assert_eq(a->n_cols, b->n_cols, "%s: columns differ", file);
    for (size_t c = 0; c < a->n_cols; c++) cr_assert_str_eq(a->header[c], b->header[c], "%s", file);
    cr_assert_eq(a->n_rows, b->n_rows, "%s: %zu rows after the kills, %zu without", file,
                 a->n_rows, b->n_rows);
    int col[2];
    for (int k = 0; k < n_keys; k++) cr_assert_geq(col[k] = csv_col(a, keys[k]), 0, "%s", keys[k]);
    for (size_t r = 0; r < a->n_rows; r++) {
        size_t match = b->n_rows, dup = 0;
        for (size_t q = 0; q < b->n_rows; q++) {
            bool same_key = true;
            for (int k = 0; k < n_keys; k++) same_key &= !strcmp(a->rows[r][col[k]], b->rows[q][col[k]]);
            if (same_key) match = q;
        }
        for (size_t q = 0; q < a->n_rows; q++) {
            bool same_key = true;
            for (int k = 0; k < n_keys; k++) same_key &= !strcmp(a->rows[r][col[k]], a->rows[q][col[k]]);
            dup += same_key;
        }
        cr_assert_eq(dup, 1, "%s: %s %s is recorded %zu times", file, keys[0], a->rows[r][col[0]], dup);
        cr_assert_lt(match, b->n_rows, "%s: %s %s is not in the reference", file, keys[0],
                     a->rows[r][col[0]]);
        for (size_t c = 0; c < a->n_cols; c++)
            if (!is_timing(a->header[c]))
                cr_assert_str_eq(a->rows[r][c], b->rows[match][c], "%s: %s %s, column %s", file,
                                 keys[0], a->rows[r][col[0]], a->header[c]);
    }
}

Test(resume, killed_sweeps_resume_to_the_uninterrupted_results, .timeout = 240) {
    /* The runs the sweep forks outlive it when it is killed; they come to this
     * process, so that kill_group can reap them all. */
    cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    write_fixtures();
    run_to_end("reference", "1");
    const kill_point points[] = {{0, false}, {1, false}, {3, false}, {0, true}};
    int caught = 0;
    for (size_t i = 0; i < sizeof points / sizeof *points; i++) caught += run_until(&points[i]);
    cr_assert_geq(caught, 1, "no kill caught the sweep running: the test tested nothing");
    run_to_end("killed", "2");
    cr_assert_eq(rows_recorded("killed"), N_RUNS);

    static const char *const files[] = {"runs.csv", "epochs.csv", "summary.csv"};
    static const char *const keys[][2] = {{"run_id", NULL}, {"run", "epoch"}, {"point", NULL}};
    static const int n_keys[] = {1, 2, 1}, n_rows[] = {N_RUNS, N_RUNS * EPOCHS, N_RUNS / 2};
    for (int f = 0; f < 3; f++) {
        csv_table killed, reference;
        char path[64];
        size_t len;
        snprintf(path, sizeof path, "results/resume/%s", files[f]);
        /* csv_load takes a last line without its '\n': a whole file has none. */
        char *text = slurp("killed", path, &len);
        cr_assert(text && len && text[len - 1] == '\n', "%s: a partial last line", files[f]);
        free(text);
        load("killed", files[f], &killed);
        load("reference", files[f], &reference);
        cr_assert_eq(reference.n_rows, (size_t)n_rows[f], "%s", files[f]);
        same_rows(files[f], &killed, &reference, keys[f], n_keys[f]);
        csv_free(&killed);
        csv_free(&reference);
    }
}
