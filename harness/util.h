/* util.h: small helpers shared by harness/: allocation that names its call site,
 * a seeded RNG, a monotonic clock, and files written atomically (temporary file
 * in the same folder, flushed, then renamed into place). */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* malloc/calloc that print the size and the call site and exit(1) when memory
 * runs out: no caller can go on without the memory. */
#define xmalloc(n) xmalloc_at((n), __FILE__, __LINE__)
#define xcalloc(n, size) xcalloc_at((n), (size), __FILE__, __LINE__)
/* 64-byte aligned, for kernel operands; free() releases it. */
#define xmalloc_aligned(n) xmalloc_aligned_at((n), __FILE__, __LINE__)
void *xmalloc_at(size_t n, const char *file, int line);
void *xcalloc_at(size_t n, size_t size, const char *file, int line);
void *xmalloc_aligned_at(size_t n, const char *file, int line);

/* xoshiro256** seeded through splitmix64: fast, and the same stream on every
 * platform for a given seed. */
typedef struct {
    uint64_t s[4];
} rng_state;
void rng_seed(rng_state *r, uint64_t seed);
uint64_t rng_next(rng_state *r);
uint32_t rng_below(rng_state *r, uint32_t n); /* uniform in [0, n), n >= 1 */
double rng_uniform(rng_state *r);             /* uniform in [0, 1) */

double now_seconds(void); /* CLOCK_MONOTONIC */

/* Creates the folder and its parents (mkdir -p). */
int mkdir_p(const char *path, char *err, size_t err_len);

/* A file written atomically: afile_open creates `<path>.tmp.XXXXXX` beside path
 * (mode 0666 less the umask, as fopen would); afile_commit flushes, fsyncs and
 * renames it over path; afile_abort removes it.  A reader therefore sees the old
 * file or the new one, never a partial one. */
typedef struct {
    FILE *f;
    char path[4096], tmp[4096];
} afile;
int afile_open(afile *a, const char *path, char *err, size_t err_len);
int afile_commit(afile *a, char *err, size_t err_len);
void afile_abort(afile *a);

/* Writes one CSV field, quoted (RFC 4180) when it holds a comma, quote, CR or LF. */
void csv_field(FILE *f, const char *s);

#endif
