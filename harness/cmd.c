/* cmd.c: see cmd.h.  The one place where the commands' options are parsed. */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"
#include "kernels.h"
#include "results.h"
#include "util.h"

int cmd_fail(int code, const char *msg) {
    fprintf(stderr, "experiment: %s\n", msg);
    return code;
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

const char *cmd_resolve_ini(const char *arg, char *buf, size_t len) {
    if (strchr(arg, '/') || file_exists(arg)) return arg;
    snprintf(buf, len, "experiments/%s", arg);
    return file_exists(buf) ? buf : arg;
}

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

int cmd_parse_args(int argc, char **argv, const char *takes, int max_pos, cmd_args *a,
                   char *err, size_t len) {
    memset(a, 0, sizeof *a);
    a->sets = xcalloc((size_t)argc, sizeof *a->sets);
    a->pos = xcalloc((size_t)argc, sizeof *a->pos);
    const char *names[] = {"--set", "--jobs", "--shard", "--out", "--array-size"};
    const char **slots[] = {NULL, &a->jobs, &a->shard, &a->out, &a->array_size};
    const size_t n_names = sizeof names / sizeof *names;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        bool missing = false;
        size_t o = 0;
        if (!strcmp(arg, "--") && strstr(takes, "-- ARGS")) {
            a->rest = (const char **)argv + i + 1;
            a->n_rest = argc - i - 1;
            break;
        }
        for (; o < n_names && !value && !missing; o++)
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
        else if (!strcmp(arg, "--sbatch") && strstr(takes, "--sbatch"))
            a->sbatch = true;
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

int cmd_parse_count(const char *text, const char *option, int max, const char *why, int *out,
                    char *err, size_t len) {
    char *end;
    long n = strtol(text, &end, 10);
    if (*end || end == text || n < 1 || n > max) {
        snprintf(err, len, "%s '%s': want a count of 1..%d%s", option, text, max, why);
        return -1;
    }
    *out = (int)n;
    return 0;
}

void cmd_free_args(cmd_args *a) {
    free(a->sets);
    free(a->pos);
}

/* argv parsed once already with takes, so parsing it again cannot fail. */
void cmd_blame_key(int argc, char **argv, const char *takes, const char *path, char *err,
                   size_t len) {
    char key[64], where[512], msg[1024];
    size_t n = strcspn(err, ":");
    if (n >= sizeof key) return;
    snprintf(key, sizeof key, "%.*s", (int)n, err);
    if (cfg_key_index(key) < 0) return;
    cmd_args a;
    const char *set = NULL;
    cmd_parse_args(argc, argv, takes, 1, &a, msg, sizeof msg);
    for (int i = 0; i < a.n_sets; i++)
        if (!strncmp(a.sets[i], key, n) && a.sets[i][n] == '=') set = a.sets[i];
    int line = set ? 0 : cfg_key_line(path, key);
    if (set)
        snprintf(where, sizeof where, "--set %s", set);
    else if (line)
        snprintf(where, sizeof where, "%s:%d", path, line);
    else
        snprintf(where, sizeof where, "%s", path);
    cmd_free_args(&a);
    snprintf(msg, sizeof msg, "%s", err);
    snprintf(err, len, "%.300s: %.700s", where, msg);
}

int cmd_apply_sets(const cmd_args *a, cfg *c, char *err, size_t len) {
    char msg[512];
    for (int i = 0; i < a->n_sets; i++)
        if (cfg_set(c, a->sets[i], msg, sizeof msg)) {
            snprintf(err, len, "--set %s", msg);
            return -1;
        }
    return 0;
}

int cmd_choose_kernels(const cfg *c, run_kernels *k, char *err, size_t len) {
    if (run_select_kernels(c, 0, k, err, len)) return -1;
    char cpu[128];
    cpu_features_str(cpu_features(), cpu, sizeof cpu);
    printf("kernels: gemm %s%s, activation %s%s, %d thread%s (cpu: %s)\n", k->gemm->name,
           strcmp(c->gemm, "auto") ? "" : " (auto)", k->act->name,
           strcmp(c->activation, "auto") ? "" : " (auto)", k->threads, k->threads == 1 ? "" : "s",
           cpu);
    return 0;
}

int cmd_summarize(const char *dir, const sweep *sw, char *err, size_t len) {
    char path[256];
    csv_table runs = {0};
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
    /* Read and written under the folder's lock: otherwise two shards finishing
     * together could each summarize the runs.csv before the other's last run,
     * and the later rename would leave summary.csv one run short. */
    int fd, rc = -1;
    if (csv_lock(dir, &fd, err, len) == 0) {
        bool failed = csv_load(path, &runs, err, len) < 0 ||
                      results_summarize(&runs, sw ? ids : NULL, n, &s, err, len) ||
                      results_write_summary(dir, &s, err, len);
        rc = failed ? -1 : 0;
        csv_unlock(fd);
    }
    if (rc == 0) results_print_summary(stdout, &s);
    results_summary_free(&s);
    csv_free(&runs);
    free(keys);
    free(ids);
    return rc;
}
