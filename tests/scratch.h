/* scratch.h: a test's temporary folder and the files in it.  scratch_make
 * creates $TMPDIR/<prefix>-XXXXXX (or under /tmp), scratch_remove deletes it
 * with everything in it; names are relative to it.  Every helper fails the test
 * (cr_assert) on an I/O error, naming the path. */
#ifndef SCRATCH_H
#define SCRATCH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

extern char scratch_dir[PATH_MAX];

void scratch_make(const char *prefix);
void scratch_remove(void);

/* path = scratch_dir/name (path holds PATH_MAX bytes). */
void scratch_path(char *path, const char *name);
void scratch_mkdir(const char *name);
/* Removes name, and everything in it when it is a folder. */
void scratch_remove_tree(const char *name);

/* Writes len bytes to name, opened with fopen's mode ("wb" or "ab"). */
void scratch_write(const char *name, const void *data, size_t len, const char *mode);
void scratch_write_text(const char *name, const char *text);
/* Writes len bytes to name gzip-compressed. */
void scratch_write_gz(const char *name, const void *data, size_t len);
/* The whole file in a fresh buffer (free()), NUL-terminated; its length in *len. */
uint8_t *scratch_read(const char *name, size_t *len);
/* The file's number of lines, 0 when it does not exist. */
size_t scratch_lines(const char *name);
void scratch_truncate(const char *name, off_t size);

/* An IDX file of unsigned bytes: magic 0x0800 + n_dims, the big-endian sizes
 * dims[0..n_dims), then len bytes of body. */
void scratch_write_idx(const char *name, int n_dims, const uint32_t *dims, const uint8_t *body,
                       size_t len);

#endif
