/* scratch.c: the tests' temporary folders (scratch.h). */
#include "scratch.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

char scratch_dir[PATH_MAX];

void scratch_make(const char *prefix) {
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(scratch_dir, sizeof scratch_dir, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
                     prefix);
    cr_assert(n > 0 && (size_t)n < sizeof scratch_dir, "TMPDIR is too long");
    cr_assert_not_null(mkdtemp(scratch_dir), "mkdtemp %s: %s", scratch_dir, strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *path) { nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

void scratch_remove(void) {
    if (scratch_dir[0]) remove_tree(scratch_dir);
    scratch_dir[0] = '\0';
}

void scratch_path(char *path, const char *name) {
    int n = snprintf(path, PATH_MAX, "%s/%s", scratch_dir, name);
    cr_assert(n > 0 && n < PATH_MAX, "%s/%s: path too long", scratch_dir, name);
}

void scratch_remove_tree(const char *name) {
    char path[PATH_MAX];
    scratch_path(path, name);
    remove_tree(path);
}

void scratch_mkdir(const char *name) {
    char path[PATH_MAX];
    scratch_path(path, name);
    cr_assert_eq(mkdir(path, 0777), 0, "%s: %s", path, strerror(errno));
}

void scratch_write(const char *name, const void *data, size_t len, const char *mode) {
    char path[PATH_MAX];
    scratch_path(path, name);
    FILE *f = fopen(path, mode);
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len, "%s: %s", path, strerror(errno));
    cr_assert_eq(fclose(f), 0, "%s: %s", path, strerror(errno));
}

void scratch_write_text(const char *name, const char *text) {
    scratch_write(name, text, strlen(text), "w");
}

void scratch_write_gz(const char *name, const void *data, size_t len) {
    char path[PATH_MAX];
    scratch_path(path, name);
    gzFile gz = gzopen(path, "wb");
    cr_assert_not_null(gz, "gzopen %s", path);
    cr_assert_eq(gzwrite(gz, data, (unsigned)len), (int)len, "gzwrite %s", path);
    cr_assert_eq(gzclose(gz), Z_OK, "gzclose %s", path);
}

uint8_t *scratch_read(const char *name, size_t *len) {
    char path[PATH_MAX];
    scratch_path(path, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    uint8_t *p = malloc(*len + 1);
    cr_assert(p && fread(p, 1, *len, f) == *len, "%s: cannot read", path);
    fclose(f);
    p[*len] = '\0';
    return p;
}

size_t scratch_lines(const char *name) {
    char path[PATH_MAX];
    scratch_path(path, name);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = 0;
    int c, last = '\n';
    while ((c = fgetc(f)) != EOF) n += (last = c) == '\n';
    fclose(f);
    return n + (last != '\n'); /* a last line without its newline counts */
}

void scratch_truncate(const char *name, off_t size) {
    char path[PATH_MAX];
    scratch_path(path, name);
    cr_assert_eq(truncate(path, size), 0, "%s: %s", path, strerror(errno));
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

void scratch_write_idx(const char *name, int n_dims, const uint32_t *dims, const uint8_t *body,
                       size_t len) {
    size_t head = 4 + 4 * (size_t)n_dims;
    uint8_t *p = malloc(head + len);
    cr_assert_not_null(p);
    put_be32(p, 0x800u | (uint32_t)n_dims);
    for (int i = 0; i < n_dims; i++) put_be32(p + 4 + 4 * i, dims[i]);
    memcpy(p + head, body, len);
    scratch_write(name, p, head + len, "wb");
    free(p);
}
