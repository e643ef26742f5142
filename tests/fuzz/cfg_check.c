/* cfg_check.c: fuzz_check_cfg (fuzz.h), for the targets that load configurations. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

/* Whether s is one of the NULL-terminated words. */
static int one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (!strcmp(s, *words))
            return 1;
    return 0;
}

void fuzz_check_cfg(const cfg *c, const char *what)
{
    /* The trainer and cfg_data_dir compare these with strcmp: a value that is
     * not exactly one choice would silently pick the wrong branch. */
    static const char *const optimizers[] = {"sgd", "momentum", "adam", NULL};
    static const char *const datasets[] = {"mnist", "fashion-mnist", NULL};
    FUZZ_CHECK(one_of(c->optimizer, optimizers), "%s: train.optimizer '%s' is not a choice",
               what, c->optimizer);
    FUZZ_CHECK(one_of(c->dataset, datasets), "%s: data.dataset '%s' is not a choice", what,
               c->dataset);

    cfg copy;
    cfg_defaults(&copy);
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        char value[1024], again[1024], line[1100], err[512];
        cfg_format(c, i, value, sizeof value);
        snprintf(line, sizeof line, "%s=%s", cfg_key_name(i), value);
        FUZZ_CHECK(cfg_set(&copy, line, err, sizeof err) == 0,
                   "%s: accepted '%s', which does not read back: %s", what, line, err);
        cfg_format(&copy, i, again, sizeof again);
        FUZZ_CHECK(!strcmp(value, again), "%s: %s reads back as '%s'", what, line, again);
    }
}
