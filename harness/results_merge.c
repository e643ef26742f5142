/* results_merge.c: results_merge of results.h, the combining of a sweep's
 * shards' runs.csv and epochs.csv into one folder. */
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A table of all dirs' rows of one file; the headers must agree.  ends (NULL or
 * n_dirs entries) gets the row count after each dir, so ends[d-1] <= r < ends[d]
 * for the rows of dirs[d]. */
static int load_all(const char *const *dirs, int n_dirs, const char *file, csv_table *all,
                    size_t *ends, char *err, size_t len) {
    char path[4096];
    memset(all, 0, sizeof *all);
    for (int d = 0; d < n_dirs; d++) {
        csv_table t;
        snprintf(path, sizeof path, "%s/%s", dirs[d], file);
        int rc = csv_load(path, &t, err, len);
        if (rc == 1) snprintf(err, len, "%s: no such file (not a sweep's results folder?)", path);
        if (rc) {
            csv_free(all);
            return -1;
        }
        bool same = !all->header || t.n_cols == all->n_cols;
        for (size_t c = 0; same && all->header && c < t.n_cols; c++)
            same = !strcmp(t.header[c], all->header[c]);
        if (!same) {
            snprintf(err, len, "%s: its columns differ from %s/%s's (results of another version?)",
                     path, dirs[0], file);
            csv_free(&t);
            csv_free(all);
            return -1;
        }
        if (!all->header) {
            all->header = t.header;
            all->n_cols = t.n_cols;
        } else {
            csv_free_fields(t.header, t.n_cols);
        }
        char ***rows = xmalloc((all->n_rows + t.n_rows + 1) * sizeof *rows);
        if (all->n_rows) memcpy(rows, all->rows, all->n_rows * sizeof *rows);
        if (t.n_rows) memcpy(rows + all->n_rows, t.rows, t.n_rows * sizeof *rows);
        free(all->rows);
        free(t.rows);
        all->rows = rows;
        all->n_rows += t.n_rows;
        if (ends) ends[d] = all->n_rows;
    }
    return 0;
}

int results_merge(const char *const *dirs, int n_dirs, const char *out, char *out_dir,
                  size_t out_len, size_t *n_runs, char *err, size_t len) {
    csv_table runs, epochs;
    size_t *ends = xmalloc((size_t)n_dirs * sizeof *ends);
    if (load_all(dirs, n_dirs, "runs.csv", &runs, ends, err, len)) {
        free(ends);
        return -1;
    }
    if (load_all(dirs, n_dirs, "epochs.csv", &epochs, NULL, err, len)) {
        free(ends);
        csv_free(&runs);
        return -1;
    }
    int id = csv_col(&runs, "run_id"), sid = csv_col(&runs, "sweep_id"),
        name = csv_col(&runs, "experiment.name"), run = csv_col(&epochs, "run"),
        epoch = csv_col(&epochs, "epoch"), rc = -1;
    bool *keep_run = xcalloc(runs.n_rows + 1, sizeof *keep_run),
         *keep_epoch = xcalloc(epochs.n_rows + 1, sizeof *keep_epoch);
    char path[4096];
    *n_runs = 0;
    if (id < 0 || sid < 0 || name < 0 || run < 0 || epoch < 0 || runs.n_rows == 0) {
        snprintf(err, len, "%s: no runs to merge (or not a sweep's runs.csv)", dirs[0]);
        goto done;
    }
    for (size_t r = 0; r < runs.n_rows; r++)
        if (strcmp(runs.rows[r][sid], runs.rows[0][sid])) {
            int d0 = 0, d = 0;
            while (ends[d0] == 0) d0++;
            while (ends[d] <= r) d++;
            snprintf(err, len, "%s (sweep_id %s) and %s (sweep_id %s) hold different sweeps "
                               "(another file, --set or version); merge refuses to mix them",
                     dirs[d0], runs.rows[0][sid], dirs[d], runs.rows[r][sid]);
            goto done;
        }
    snprintf(out_dir, out_len, out ? "%s" : "results/%s", out ? out : runs.rows[0][name]);
    bool out_is_input = false;
    for (int d = 0; d < n_dirs; d++) out_is_input |= !strcmp(dirs[d], out_dir);
    snprintf(path, sizeof path, "%s/runs.csv", out_dir);
    csv_table existing;
    if (!out_is_input && csv_load(path, &existing, err, len) != 1) {
        csv_free(&existing);
        snprintf(err, len, "%s exists: list %s among the folders to merge into it, or choose "
                           "another output", path, out_dir);
        goto done;
    }
    for (size_t r = 0; r < runs.n_rows; r++) {
        keep_run[r] = true;
        for (size_t q = 0; q < r && keep_run[r]; q++)
            keep_run[r] = !keep_run[q] || strcmp(runs.rows[q][id], runs.rows[r][id]);
        *n_runs += keep_run[r];
    }
    for (size_t e = 0; e < epochs.n_rows; e++) {
        for (size_t r = 0; r < runs.n_rows && !keep_epoch[e]; r++)
            keep_epoch[e] = keep_run[r] && !strcmp(runs.rows[r][id], epochs.rows[e][run]);
        for (size_t q = 0; q < e && keep_epoch[e]; q++)
            keep_epoch[e] = !keep_epoch[q] || strcmp(epochs.rows[q][run], epochs.rows[e][run]) ||
                            strcmp(epochs.rows[q][epoch], epochs.rows[e][epoch]);
    }
    int fd;
    if (mkdir_p(out_dir, err, len) || csv_lock(out_dir, &fd, err, len)) goto done;
    rc = csv_save(path, &runs, keep_run, err, len);
    snprintf(path, sizeof path, "%s/epochs.csv", out_dir);
    rc = rc || csv_save(path, &epochs, keep_epoch, err, len);
    csv_unlock(fd);
done:
    free(ends);
    free(keep_run);
    free(keep_epoch);
    csv_free(&runs);
    csv_free(&epochs);
    return rc;
}
