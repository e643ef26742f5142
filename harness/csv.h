/* csv.h: the CSV files the harness writes, read back (RFC 4180 quoting, as
 * util.h's csv_field writes it), rewritten atomically, and appended to by several
 * processes at once so that a kill at any moment leaves whole rows only.
 *
 * Not a general CSV library: a record is one line (the harness never writes a
 * line break inside a field), and a file is small enough to hold in memory. */
#ifndef CSV_H
#define CSV_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t n_cols, n_rows;
    char **header; /* (n_cols) */
    char ***rows;  /* (n_rows, n_cols) */
} csv_table;

/* Splits one record (no line break) into fresh strings (*fields, free with
 * csv_free_fields).  0, or -1 when a quoted field is not closed. */
int csv_split(const char *line, char ***fields, size_t *n);
void csv_free_fields(char **fields, size_t n);

/* Reads a whole file: header, then rows that must have as many fields.  Returns
 * 0, 1 when the file does not exist (t empty), or -1 + "FILE:LINE: message". */
int csv_load(const char *path, csv_table *t, char *err, size_t err_len);
void csv_free(csv_table *t);

/* Column index by header name, or -1; csv_get returns NULL for a missing column. */
int csv_col(const csv_table *t, const char *name);
const char *csv_get(const csv_table *t, size_t row, int col);

/* One record with its '\n', quoted where needed; malloc'ed, NULL when memory ran out. */
char *csv_join(const char *const *fields, size_t n);

/* Writes t's header and the rows with keep[i] (keep NULL: all) atomically. */
int csv_save(const char *path, const csv_table *t, const bool *keep, char *err, size_t err_len);

/* An exclusive lock on `<dir>/.lock` (flock), held until csv_unlock. */
int csv_lock(const char *dir, int *fd, char *err, size_t err_len);
void csv_unlock(int fd);

/* Appends text (whole lines) to path under a lock the caller holds: a trailing
 * partial line (left by a kill) is cut off first; an empty file gets header
 * (one line with '\n') first, in the same single write(); an existing file must
 * start with that header.  Then fsync.  0, or -1 + err. */
int csv_append(const char *path, const char *header, const char *text, char *err,
               size_t err_len);

#endif
