/* fuzz_checkpoint.c: libFuzzer target for the checkpoint loader (harness/checkpoint.c).
 *
 * The input is a checkpoint file.  Almost every mutation breaks its trailing
 * crc32, which ckpt_load checks before it reads the stored configuration, so the
 * input is loaded twice: as it is, and (when that differs) with the crc32 set
 * right, which takes the fields behind the checksum within the fuzzer's reach.
 * A refusal must name the file and leave *params alone.  An accepted checkpoint
 * must hold as many parameters as its layer sizes need and a configuration of
 * text lines that passes its own validation, and must survive ckpt_save and
 * ckpt_load unchanged. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "checkpoint.h"
#include "fuzz.h"

static size_t params_for(const cfg *c)
{
    size_t n = 0;
    for (int l = 0; l + 1 < c->n_sizes; l++)
        n += (size_t)c->sizes[l] * (size_t)c->sizes[l + 1] + (size_t)c->sizes[l + 1];
    return n;
}

/* Saves what was loaded and loads it again: the same configuration and parameters. */
static void check_round_trip(const char *path, const cfg *c, const float *params, size_t n)
{
    mlp_model m = {.n_layers = c->n_sizes - 1, .n_params = n, .params = (float *)params};
    memcpy(m.sizes, c->sizes, sizeof m.sizes);
    char again_path[PATH_MAX + 8], err[1024] = "";
    snprintf(again_path, sizeof again_path, "%s.again", path);
    FUZZ_CHECK(ckpt_save(again_path, &m, c, err, sizeof err) == 0, "ckpt_save: %s", err);
    cfg again;
    float *again_params = NULL;
    size_t again_n = 0;
    cfg_defaults(&again);
    FUZZ_CHECK(ckpt_load(again_path, &again, &again_params, &again_n, err, sizeof err) == 0,
               "a saved checkpoint does not load: %s", err);
    FUZZ_CHECK(again_n == n && !memcmp(again_params, params, n * sizeof *params),
               "parameters change through ckpt_save and ckpt_load");
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        char a[1024], b[1024];
        cfg_format(c, i, a, sizeof a);
        cfg_format(&again, i, b, sizeof b);
        FUZZ_CHECK(!strcmp(a, b), "%s '%s' reads back as '%s'", cfg_key_name(i), a, b);
    }
    free(again_params);
    unlink(again_path);
}

static void load(const uint8_t *data, size_t size)
{
    char path[PATH_MAX], err[1024] = "";
    fuzz_temp_file(path, sizeof path, ".ckpt", data, size);
    cfg c;
    float *params = (float *)&params; /* must stay as it is on a refusal */
    size_t n = 0;
    cfg_defaults(&c);
    if (ckpt_load(path, &c, &params, &n, err, sizeof err)) {
        FUZZ_CHECK(params == (float *)&params, "refused, but *params changed");
        fuzz_check_refusal(path, err);
    } else {
        /* Accepted, so the header's fields are valid: the configuration is text
         * lines, and a NUL would have hidden the lines after it. */
        uint32_t n_sizes, config_len;
        memcpy(&n_sizes, data + 12, 4);
        size_t at = 16 + 4 * (size_t)n_sizes + 8;
        memcpy(&config_len, data + at, 4);
        FUZZ_CHECK(!memchr(data + at + 4, '\0', config_len),
                   "accepted a configuration that holds a NUL byte");
        FUZZ_CHECK(n == params_for(&c), "%zu parameters for layers that need %zu", n,
                   params_for(&c));
        fuzz_check_cfg(&c, "ckpt_load");
        check_round_trip(path, &c, params, n);
        free(params);
    }
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(data, size);
    if (size < 4)
        return 0;
    uint32_t crc = (uint32_t)crc32(0L, data, (uInt)(size - 4)), stored;
    memcpy(&stored, data + size - 4, 4);
    if (crc == stored)
        return 0;
    uint8_t *fixed = malloc(size);
    FUZZ_CHECK(fixed, "out of memory");
    memcpy(fixed, data, size - 4);
    memcpy(fixed + size - 4, &crc, 4);
    load(fixed, size);
    free(fixed);
    return 0;
}
