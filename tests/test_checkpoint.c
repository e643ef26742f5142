/* test_checkpoint.c: checkpoints round-trip bit for bit with their
 * configuration, and every kind of damaged file is refused with a message. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "checkpoint.h"
#include "scratch.h"

static char path[PATH_MAX];
static mlp_model model;
static cfg config;

static void setup(void) {
    char err[256];
    scratch_make("test_ckpt");
    scratch_path(path, "model.ckpt");
    cfg_defaults(&config);
    cr_assert_eq(cfg_set(&config, "model.layers=6,5,3", err, sizeof err), 0);
    cr_assert_eq(cfg_set(&config, "train.lr=0.0123", err, sizeof err), 0);
    cr_assert_eq(mlp_create(&model, config.n_sizes, config.sizes, 4, gemm_select("naive", err, sizeof err),
                            act_select("scalar", err, sizeof err), err, sizeof err), 0);
    rng_state r;
    rng_seed(&r, 2);
    mlp_init_he(&model, &r);
    cr_assert_eq(ckpt_save(path, &model, &config, err, sizeof err), 0, "%s", err);
}

static void teardown(void) {
    mlp_free(&model);
    scratch_remove();
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

static long file_size(void) {
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Rewrites bytes [at, at+n) of the file, or truncates it at `at` when data is NULL. */
static void damage(long at, const void *data, size_t n) {
    if (!data) {
        cr_assert_eq(truncate(path, at), 0);
        return;
    }
    FILE *f = fopen(path, "r+b");
    fseek(f, at, SEEK_SET);
    fwrite(data, 1, n, f);
    fclose(f);
}

static void expect_refused(const char *piece) {
    cfg c;
    float *params = NULL;
    size_t n;
    char err[512] = "";
    cfg_defaults(&c);
    cr_assert_eq(ckpt_load(path, &c, &params, &n, err, sizeof err), -1, "accepted a damaged file");
    cr_assert_null(params);
    cr_assert(strstr(err, path), "message '%s' does not name the file", err);
    cr_assert(strstr(err, piece), "message '%s' does not say '%s'", err, piece);
}

Test(checkpoint, round_trip) {
    cfg c;
    float *params;
    size_t n;
    char err[512];
    cfg_defaults(&c);
    cr_assert_eq(ckpt_load(path, &c, &params, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, model.n_params);
    cr_assert_eq(memcmp(params, model.params, n * sizeof(float)), 0);
    cr_assert_eq(c.n_sizes, 3);
    cr_assert_eq(c.sizes[1], 5);
    cr_assert_float_eq(c.lr, 0.0123, 1e-15);
    free(params);
}

Test(checkpoint, no_temporary_file_left) {
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", scratch_dir);
    cr_assert_eq(system(cmd), 0, "only model.ckpt should be in %s", scratch_dir);
}

Test(checkpoint, file_mode_follows_the_umask) {
    struct stat st;
    char err[256];
    mode_t old = umask(027);
    int rc = ckpt_save(path, &model, &config, err, sizeof err);
    umask(old);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640, "mode %o, want 0640 (0666 less umask 027)",
                 (unsigned)(st.st_mode & 0777));
}

Test(checkpoint, missing_file) {
    unlink(path);
    expect_refused("cannot open");
}
Test(checkpoint, empty_file) {
    damage(0, NULL, 0);
    expect_refused("truncated header");
}
Test(checkpoint, bad_magic) {
    damage(0, "NOTACKPT", 8);
    expect_refused("bad magic");
}
Test(checkpoint, other_version) {
    unsigned v = 2;
    damage(8, &v, 4);
    expect_refused("format version 2 (this build reads version 1)");
}
Test(checkpoint, truncated_body) {
    damage(file_size() - 10, NULL, 0);
    expect_refused("truncated");
}
Test(checkpoint, trailing_bytes) {
    damage(file_size(), "xx", 2);
    expect_refused("bytes after the end");
}
Test(checkpoint, flipped_parameter_byte) {
    damage(file_size() - 12, "\x55", 1);
    expect_refused("checksum mismatch");
}
Test(checkpoint, sizes_disagree_with_count) {
    unsigned s = 7;
    damage(16, &s, 4); /* sizes[0] */
    expect_refused("parameters for layer sizes that need");
}
Test(checkpoint, too_many_layers) {
    unsigned n = 1000;
    damage(12, &n, 4);
    expect_refused("1000 layer sizes");
}

/* Found by make fuzz: a NUL in the stored configuration (behind a valid checksum)
 * ended it early, so the lines after it, here train.lr=0.0123, were dropped and
 * the checkpoint loaded with default values. */
Test(checkpoint, nul_in_configuration) {
    long n = file_size();
    unsigned char *p = malloc((size_t)n);
    FILE *f = fopen(path, "rb");
    cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    unsigned char *lr = memmem(p, (size_t)n, "\ntrain.lr=", 10);
    cr_assert_not_null(lr);
    lr[1] = '\0';
    uint32_t crc = (uint32_t)crc32(0L, p, (uInt)(n - 4));
    memcpy(p + n - 4, &crc, 4);
    damage(0, p, (size_t)n);
    free(p);
    expect_refused("configuration holds a NUL byte");
}
