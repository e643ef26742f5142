/* fuzz_config.c: libFuzzer target for the INI loader (harness/config_ini.c) and the
 * [sweep] section (harness/sweep.c).
 *
 * The input is an INI file, loaded over the defaults twice: by cfg_load_file, as
 * `experiment train` does, and by sweep_load, as `experiment sweep` does.  A
 * refusal must name the file.  An accepted configuration must pass its own
 * validation (fuzz_check_cfg), and so must every run of an accepted sweep that
 * sweep_run builds (the first and last, and all of a small grid); the grid's run
 * count must not overflow.  The two loaders must agree: a file without [sweep]
 * lists loads to the same configuration both ways. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "sweep.h"

#define ALL_RUNS_MAX 64 /* grids up to this many runs are checked run by run */

static void check_run(const sweep *s, size_t r)
{
    cfg c;
    size_t point;
    int repeat;
    char what[64], label[4096];
    sweep_run(s, r, &c, &point, &repeat);
    snprintf(what, sizeof what, "sweep run %zu", r);
    fuzz_check_cfg(&c, what);
    sweep_label(s, point, label, sizeof label);
}

static void check_sweep(const sweep *s)
{
    fuzz_check_cfg(&s->base, "sweep_load");
    size_t points = 1, runs;
    for (int a = 0; a < s->n_axes; a++) {
        FUZZ_CHECK(s->axes[a].n >= 1, "list %d is empty", a);
        FUZZ_CHECK(!__builtin_mul_overflow(points, s->axes[a].n, &points),
                   "the grid's point count overflows");
    }
    FUZZ_CHECK(!__builtin_mul_overflow(points, (size_t)s->base.repeats, &runs),
               "the grid's run count overflows");
    FUZZ_CHECK(sweep_n_points(s) == points && sweep_n_runs(s) == runs,
               "sweep counts %zu points, %zu runs; want %zu, %zu", sweep_n_points(s),
               sweep_n_runs(s), points, runs);
    if (runs <= ALL_RUNS_MAX) {
        for (size_t r = 0; r < runs; r++)
            check_run(s, r);
        char id[SWEEP_KEY_LEN];
        sweep_id(s, id);
    } else {
        check_run(s, 0);
        check_run(s, runs - 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[PATH_MAX], err[1024] = "";
    fuzz_temp_file(path, sizeof path, ".ini", data, size);

    cfg c;
    cfg_defaults(&c);
    int train_rc = cfg_load_file(&c, path, err, sizeof err);
    if (train_rc)
        fuzz_check_refusal(path, err);
    else
        fuzz_check_cfg(&c, "cfg_load_file");

    sweep s;
    err[0] = '\0';
    if (sweep_load(&s, path, NULL, 0, err, sizeof err)) {
        fuzz_check_refusal(path, err);
        FUZZ_CHECK(train_rc, "cfg_load_file accepted what sweep_load refused: %s", err);
    } else {
        check_sweep(&s);
        FUZZ_CHECK(!train_rc || s.n_axes > 0, "sweep_load without lists accepted what "
                                              "cfg_load_file refused");
        if (!train_rc)
            for (size_t i = 0; i < cfg_n_keys(); i++) {
                char a[1024], b[1024];
                cfg_format(&c, i, a, sizeof a);
                cfg_format(&s.base, i, b, sizeof b);
                FUZZ_CHECK(!strcmp(a, b), "%s is '%s' in train, '%s' in sweep",
                           cfg_key_name(i), a, b);
            }
        sweep_free(&s);
    }
    unlink(path);
    return 0;
}
