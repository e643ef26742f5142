/* cmd_sweep.c: ./experiment sweep FILE.ini [--set ...] [--dry-run] [--jobs N]
 * [--shard i/n]: every point of FILE's [sweep] lists trained in child processes
 * (run.c's run_sweep), resumed from results/<name>/runs.csv.  The parent
 * announces each run; a child prints its epochs (prefixed with the run when
 * several run at once) and its result. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "csv.h"
#include "kernels.h"
#include "results.h"
#include "util.h"

#define MAX_JOBS 256

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
static train_progress child_progress(const run_progress *p) {
    static train_progress pr;
    if (pr.epochs == 0) {
        pr.epochs = p->epochs;
        pr.live = p->jobs == 1 && isatty(STDERR_FILENO);
        if (p->jobs > 1) snprintf(pr.prefix, sizeof pr.prefix, "[run %zu/%zu] ", p->run + 1, p->n_runs);
    }
    return pr;
}

static void sweep_on_batch(int epoch, int step, int steps, double loss, double acc,
                           double seconds, void *ctx) {
    train_progress pr = child_progress(ctx);
    train_show_batch(&pr, epoch, step, steps, loss, acc, seconds);
}

static void sweep_on_epoch(const epoch_stats *s, void *ctx) {
    train_progress pr = child_progress(ctx);
    train_show_epoch(&pr, s);
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
            /* The key first, for cmd_blame_key. */
            sweep_label(s, point, label, sizeof label);
            snprintf(err, len, "%.700s (run %zu%s%.200s)", msg, r + 1, label[0] ? ": " : "", label);
            return -1;
        }
    }
    return 0;
}

/* s as shell words: single-quoted, each ' as '\'' . */
static void put_sh_word(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) fputs(*s == '\'' ? "'\\''" : (char[]){*s, 0}, f);
    fputc('\'', f);
}

/* What cannot go on an #SBATCH line or into the script: a control character
 * (a newline would end the line), and on #SBATCH lines, which sbatch splits at
 * white space and does not unquote as a shell does, a space or a quote. */
static const char *sbatch_unsafe(const char *s, bool directive) {
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return "a control character";
        if (directive && strchr(" \t\"'\\", *s)) return "a space, quote or backslash";
    }
    return NULL;
}

/* results/<name>/sweep.sbatch: a job array of `tasks` tasks, task i running
 * `experiment sweep <ini> --set ... --shard i/tasks` from this folder, all of them
 * appending to results/<name>/ (its lock and run keys make that safe, and a task
 * rerun skips what it finished: resubmitting the script, or one task of it with
 * sbatch --array=i, is the resume).  Shards are fixed in the script rather than
 * read from SLURM_ARRAY_TASK_COUNT, so that a resubmitted single task runs its
 * own shard.  rest: the user's sbatch options, one #SBATCH line each, after the
 * script's own (so they override them).  Written atomically; the path in out. */
static int write_sbatch(const sweep *s, const char *ini, const cmd_args *a, int tasks,
                        const char *dir, char *out, size_t out_len, char *err, size_t len) {
    char exe[4096], cwd[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0 || !getcwd(cwd, sizeof cwd)) {
        snprintf(err, len, "--sbatch: cannot find this program or folder: %s", strerror(errno));
        return -1;
    }
    exe[n] = '\0';
    const char *why;
    if ((why = sbatch_unsafe(cwd, true))) {
        snprintf(err, len, "--sbatch: the current folder '%.900s' holds %s, which #SBATCH "
                           "--chdir cannot take", cwd, why);
        return -1;
    }
    for (int i = 0; i < a->n_rest; i++)
        if ((why = sbatch_unsafe(a->rest[i], true)) || a->rest[i][0] != '-') {
            snprintf(err, len, "--sbatch: sbatch option '%s' %s%s (one option per word, e.g. "
                               "-- --time=1:00:00 --partition=cpu)",
                     a->rest[i], why ? "holds " : "is not an option", why ? why : "");
            return -1;
        }
    for (int i = 0; i < a->n_sets; i++)
        if ((why = sbatch_unsafe(a->sets[i], false))) {
            snprintf(err, len, "--sbatch: --set '%s' holds %s", a->sets[i], why);
            return -1;
        }
    snprintf(out, out_len, "%s/sweep.sbatch", dir);
    afile f;
    if (mkdir_p(dir, err, len) || afile_open(&f, out, err, len)) return -1;
    fprintf(f.f, "#!/bin/sh\n"
                 "# The sweep %s as a Slurm job array: submit with `sbatch %s`.  Task i of %d\n"
                 "# trains every %d-th run from the i-th, into %s/ (resumed: a rerun skips\n"
                 "# finished runs, so resubmitting it, or one task with --array=i, resumes).\n"
                 "# Written by ./experiment sweep --sbatch.\n",
            s->base.name, out, tasks, tasks, dir);
    fprintf(f.f, "#SBATCH --job-name=%s\n#SBATCH --array=1-%d\n#SBATCH --chdir=\"%s\"\n"
                 "#SBATCH --output=%s/slurm-%%A_%%a.out\n",
            s->base.name, tasks, cwd, dir);
    for (int i = 0; i < a->n_rest; i++) fprintf(f.f, "#SBATCH %s\n", a->rest[i]);
    fputs("exec ", f.f);
    put_sh_word(f.f, exe);
    fputs(" sweep ", f.f);
    put_sh_word(f.f, ini);
    for (int i = 0; i < a->n_sets; i++) {
        fputs(" --set ", f.f);
        put_sh_word(f.f, a->sets[i]);
    }
    fprintf(f.f, " --shard \"$SLURM_ARRAY_TASK_ID/%d\"\n", tasks);
    return afile_commit(&f, err, len);
}

int cmd_sweep(int argc, char **argv) {
    char err[1024], buf[4096], id[SWEEP_KEY_LEN], dir[96];
    cmd_args a;
    sweep s = {0};
    int index = 1, count = 1, jobs = 1;
    const char *takes = "--dry-run --jobs --shard --sbatch --array-size -- ARGS";
    int bad = cmd_parse_args(argc, argv, takes, 1, &a, err, sizeof err);
    if (!bad && !a.n_pos) {
        snprintf(err, sizeof err, "sweep needs an INI file (e.g. experiment sweep lr.ini)");
        bad = 1;
    }
    if (!bad && a.jobs) bad = cmd_parse_count(a.jobs, "--jobs", MAX_JOBS, "", &jobs, err, sizeof err);
    if (!bad && !a.sbatch && (a.array_size || a.rest)) {
        snprintf(err, sizeof err, "%s is for --sbatch (try: experiment help)",
                 a.array_size ? "--array-size" : "'--' and sbatch options");
        bad = 1;
    }
    if (!bad && a.sbatch && (a.shard || a.dry_run || a.jobs)) {
        snprintf(err, sizeof err, "--sbatch writes a job array whose tasks are the shards: drop %s",
                 a.shard ? "--shard" : a.dry_run ? "--dry-run" : "--jobs");
        bad = 1;
    }
    if (!bad && !a.sbatch)
        bad = a.shard ? sweep_parse_shard(a.shard, &index, &count, err, sizeof err)
                      : sweep_shard_from_env(&index, &count, err, sizeof err) < 0;
    const char *path = bad ? NULL : cmd_resolve_ini(a.pos[0], buf, sizeof buf);
    bad = bad || sweep_load(&s, path, a.sets, a.n_sets, err, sizeof err);
    if (!bad) snprintf(dir, sizeof dir, "results/%s", s.base.name);
    if (!bad && a.sbatch) {
        int tasks = (int)sweep_n_runs(&s);
        if (a.array_size)
            bad = cmd_parse_count(a.array_size, "--array-size", tasks, " (the sweep's runs)",
                                  &tasks, err, sizeof err);
        char script[160];
        bad = bad || write_sbatch(&s, path, &a, tasks, dir, script, sizeof script, err,
                                  sizeof err);
        if (!bad)
            printf("wrote %s: a job array of %d task%s over %zu runs; submit it with: sbatch %s\n",
                   script, tasks, tasks == 1 ? "" : "s", sweep_n_runs(&s), script);
        cmd_free_args(&a);
        sweep_free(&s);
        return bad ? cmd_fail(EXIT_INPUT, err) : 0;
    }
    bool dry_run = a.dry_run;
    cmd_free_args(&a);
    if (bad) return cmd_fail(EXIT_INPUT, err);
    sweep_id(&s, id);
    printf("sweep (%s), id %s:\n", path, id);
    sweep_print(stdout, &s);
    printf("%zu point%s x %d repeat%s = %zu runs", sweep_n_points(&s),
           sweep_n_points(&s) == 1 ? "" : "s", s.base.repeats, s.base.repeats == 1 ? "" : "s",
           sweep_n_runs(&s));
    if (count > 1) printf("; shard %d/%d", index, count);
    printf("; %d at once\n", jobs);

    if (dry_run) {
        csv_table done = {0};
        snprintf(buf, sizeof buf, "%s/runs.csv", dir);
        int rc = csv_load(buf, &done, err, sizeof err);
        if (rc < 0) {
            sweep_free(&s);
            return cmd_fail(EXIT_INPUT, err);
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
        cmd_blame_key(argc, argv, takes, path, err, sizeof err);
        for (size_t i = 0; i < n_data; i++) run_data_free(&data[i]);
        free(data);
        sweep_free(&s);
        return cmd_fail(EXIT_INPUT, err);
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
    if (rc == 0 && !n.interrupted) rc = cmd_summarize(dir, &s, err, sizeof err);
    if (rc == 0 && !n.interrupted) printf("wrote %s/{runs,epochs,summary}.csv\n", dir);
    for (size_t i = 0; i < n_data; i++) run_data_free(&data[i]);
    free(data);
    csv_free(&done);
    sweep_free(&s);
    if (rc) return cmd_fail(EXIT_RUN, err);
    if (n.interrupted)
        return cmd_fail(EXIT_RUN, "interrupted: the runs in progress were stopped and left no rows; "
                              "run the same command again to resume");
    if (n.failed) {
        snprintf(err, sizeof err, "%zu run%s failed (see the why column of %s/runs.csv); they run "
                                  "again when the sweep is resumed", n.failed, n.failed == 1 ? "" : "s", dir);
        return cmd_fail(EXIT_RUN, err);
    }
    return 0;
}
