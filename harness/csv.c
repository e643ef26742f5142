/* csv.c: see csv.h.  Fields are written by util.c's csv_field. */
#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* An array of n elements grown to cap (xmalloc exits when memory runs out). */
static void *grow(void *p, size_t n, size_t cap, size_t size) {
    void *q = xmalloc(cap * size);
    if (n) memcpy(q, p, n * size);
    free(p);
    return q;
}

void csv_free_fields(char **fields, size_t n) {
    for (size_t i = 0; i < n; i++) free(fields[i]);
    free(fields);
}

int csv_split(const char *line, char ***fields, size_t *n) {
    size_t cap = 8, len = strlen(line);
    char **f = xmalloc(cap * sizeof *f);
    *n = 0;
    const char *p = line;
    for (;;) {
        char *out = xmalloc(len + 1), *o = out;
        if (*p == '"') {
            for (p++;; p++) {
                if (*p == '\0') {
                    free(out);
                    csv_free_fields(f, *n);
                    return -1;
                }
                if (*p == '"' && p[1] != '"') break;
                if (*p == '"') p++;
                *o++ = *p;
            }
            p++;
        }
        while (*p && *p != ',') *o++ = *p++;
        *o = '\0';
        if (*n == cap) f = grow(f, *n, cap *= 2, sizeof *f);
        f[(*n)++] = out;
        if (*p == '\0') break;
        p++;
    }
    *fields = f;
    return 0;
}

void csv_free(csv_table *t) {
    csv_free_fields(t->header, t->n_cols);
    for (size_t r = 0; r < t->n_rows; r++) csv_free_fields(t->rows[r], t->n_cols);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

int csv_load(const char *path, csv_table *t, char *err, size_t len) {
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 1;
        snprintf(err, len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, rows_cap = 0;
    ssize_t got;
    int lineno = 0, rc = 0;
    while ((got = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[got - 1] == '\n') line[--got] = '\0';
        if (got > 0 && line[got - 1] == '\r') line[--got] = '\0';
        char **fields;
        size_t n;
        if (csv_split(line, &fields, &n)) {
            snprintf(err, len, "%s:%d: a quoted field is not closed", path, lineno);
            rc = -1;
            break;
        }
        if (!t->header) {
            t->header = fields;
            t->n_cols = n;
            continue;
        }
        if (n != t->n_cols) {
            snprintf(err, len, "%s:%d: %zu fields, but the header has %zu", path, lineno, n,
                     t->n_cols);
            csv_free_fields(fields, n);
            rc = -1;
            break;
        }
        if (t->n_rows == rows_cap)
            t->rows = grow(t->rows, t->n_rows, rows_cap = rows_cap ? 2 * rows_cap : 64,
                           sizeof *t->rows);
        t->rows[t->n_rows++] = fields;
    }
    free(line);
    fclose(f);
    if (rc) csv_free(t);
    return rc;
}

int csv_col(const csv_table *t, const char *name) {
    for (size_t i = 0; i < t->n_cols; i++)
        if (!strcmp(t->header[i], name)) return (int)i;
    return -1;
}

const char *csv_get(const csv_table *t, size_t row, int col) {
    return col < 0 ? NULL : t->rows[row][col];
}

static void write_record(FILE *f, char *const *fields, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        csv_field(f, fields[i]);
    }
    fputc('\n', f);
}

char *csv_join(const char *const *fields, size_t n) {
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    write_record(f, (char *const *)fields, n);
    fclose(f);
    return buf;
}

int csv_save(const char *path, const csv_table *t, const bool *keep, char *err, size_t len) {
    afile a;
    if (afile_open(&a, path, err, len)) return -1;
    write_record(a.f, t->header, t->n_cols);
    for (size_t r = 0; r < t->n_rows; r++)
        if (!keep || keep[r]) write_record(a.f, t->rows[r], t->n_cols);
    return afile_commit(&a, err, len);
}

int csv_lock(const char *dir, int *fd, char *err, size_t len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/.lock", dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0) {
        snprintf(err, len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    while (flock(*fd, LOCK_EX))
        if (errno != EINTR) {
            snprintf(err, len, "%s: cannot lock: %s", path, strerror(errno));
            close(*fd);
            return -1;
        }
    return 0;
}

void csv_unlock(int fd) {
    flock(fd, LOCK_UN);
    close(fd);
}

static int write_all(int fd, const char *s, size_t n) {
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Cuts a trailing partial line; returns the new size, or -1. */
static off_t cut_partial_line(int fd) {
    off_t size = lseek(fd, 0, SEEK_END), end = size;
    char buf[4096];
    while (end > 0) {
        size_t n = end < (off_t)sizeof buf ? (size_t)end : sizeof buf;
        if (pread(fd, buf, n, end - (off_t)n) != (ssize_t)n) return -1;
        size_t i = n;
        while (i > 0 && buf[i - 1] != '\n') i--;
        if (i > 0) {
            end = end - (off_t)n + (off_t)i;
            break;
        }
        end -= (off_t)n;
    }
    if (end != size && ftruncate(fd, end)) return -1;
    return end;
}

int csv_append(const char *path, const char *header, const char *text, char *err, size_t len) {
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    off_t size = cut_partial_line(fd);
    size_t hlen = strlen(header);
    char *buf = NULL;
    int rc = -1;
    if (size < 0) {
        snprintf(err, len, "%s: cannot repair its last line: %s", path, strerror(errno));
        goto done;
    }
    if (size > 0) {
        char *first = xmalloc(hlen);
        bool same = pread(fd, first, hlen, 0) == (ssize_t)hlen && !memcmp(first, header, hlen);
        free(first);
        if (!same) {
            snprintf(err, len, "%s: its columns differ from this version's (move it away, or "
                               "set another experiment.name)", path);
            goto done;
        }
    }
    size_t tlen = strlen(text);
    buf = xmalloc(hlen + tlen + 1);
    size_t n = 0;
    if (size == 0) {
        memcpy(buf, header, hlen);
        n = hlen;
    }
    memcpy(buf + n, text, tlen);
    n += tlen;
    if (write_all(fd, buf, n) || fsync(fd)) {
        snprintf(err, len, "%s: cannot write: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(buf);
    close(fd);
    return rc;
}
