/* mnist.c: the IDX reader behind mnist.h, raw and gzip files through one zlib path.
 *
 * Every file is read with gzopen/gzread, which inflate gzip content and copy anything
 * else as it is, so raw and compressed files share one path. After any short read,
 * gzerror tells a corrupt or cut-off gzip stream (or a failed read) from the plain end
 * of the data. The header is checked (magic, type, sizes against fixed limits) before
 * anything is allocated, and the body buffer then grows only as bytes arrive, so a file
 * or gzip bomb that claims more than it holds costs only what it holds. It is not a
 * general IDX library: unsigned bytes only, at most IDX_MAX_DIMS dimensions. It never
 * prints or exits: every failure is one line in the caller's buffer. */

#include "mnist.h"
#include "kernels.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_UBYTE     0x08
#define IDX_MAX_DIMS  4
#define IDX_DIM_MAX   (1u << 24)    /* largest size of one dimension (2^24) */
#define IDX_ELEMS_MAX 2147483647u   /* largest element count (2^31-1), so counts fit int */
#define BODY_CHUNK    (1u << 20)    /* first size of the body buffer, which then doubles */
#define TRAIL_MAX     (1u << 20)    /* trailing bytes counted before the count gives up */

/* Writes "<where>: <what>" into err (as much as fits) and returns -1. */
__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t err_len, const char *where, const char *fmt, ...)
{
    int n = snprintf(err, err_len, "%s: ", where);
    if (n >= 0 && (size_t)n < err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Reads up to n (<= INT_MAX) bytes: the count, short only where the data ends, or -1
 * with err set when zlib reports an error (corrupt or cut-off gzip, failed read). */
static int read_some(gzFile gz, void *buf, size_t n, const char *path, char *err,
                     size_t err_len)
{
    int got = gzread(gz, buf, (unsigned)n);
    if (got >= 0 && (size_t)got == n)
        return got;
    int code;
    const char *msg = gzerror(gz, &code);
    if (code == Z_OK && got >= 0)
        return got;
    size_t path_len = strlen(path); /* zlib starts its message with "<path>: " */
    if (strncmp(msg, path, path_len) == 0 && msg[path_len] == ':' && msg[path_len + 1] == ' ')
        msg += path_len + 2;
    if (code == Z_ERRNO)
        return fail(err, err_len, path, "read error: %s", msg);
    if (code == Z_MEM_ERROR)
        return fail(err, err_len, path, "out of memory in zlib");
    return fail(err, err_len, path, "corrupt gzip stream: %s", msg);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *idx_type_name(unsigned type)
{
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit int";
    case 0x0C: return "32-bit int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default:   return "not an IDX type";
    }
}

/* Reads and checks the header: magic, then want_dims sizes into dims and "a x b x c"
 * into shape; *total gets their product, within IDX_ELEMS_MAX. 0 or -1 + err. */
static int read_header(gzFile gz, const char *path, int want_dims, int *dims,
                       char *shape, size_t shape_len, size_t *total, char *err,
                       size_t err_len)
{
    uint8_t head[4 + 4 * IDX_MAX_DIMS];
    int head_len = 4 + 4 * want_dims;
    const char *plural = want_dims == 1 ? "" : "s";
    int got = read_some(gz, head, 4, path, err, err_len);
    if (got < 0)
        return -1;
    if (got == 0)
        return fail(err, err_len, path, "empty file");
    if (got == 4) {
        uint32_t magic = be32(head), want = 0x800u | (uint32_t)want_dims;
        if (magic != want && (head[0] || head[1]))
            return fail(err, err_len, path,
                        "bad magic 0x%08X (want 0x%08X: unsigned-byte IDX with %d dimension%s); "
                        "not an IDX file", magic, want, want_dims, plural);
        if (magic != want && head[2] != IDX_UBYTE)
            return fail(err, err_len, path,
                        "element type 0x%02X (%s) is not supported (want 0x08, unsigned byte)",
                        head[2], idx_type_name(head[2]));
        if (magic != want)
            return fail(err, err_len, path,
                        "bad magic 0x%08X (want 0x%08X: unsigned-byte IDX with %d dimension%s; "
                        "this file has %d)", magic, want, want_dims, plural, head[3]);
        int rest = read_some(gz, head + 4, (size_t)head_len - 4, path, err, err_len);
        if (rest < 0)
            return -1;
        got += rest;
    }
    if (got < head_len)
        return fail(err, err_len, path,
                    "truncated header: %d bytes, but an IDX header with %d dimension%s has %d",
                    got, want_dims, plural, head_len);

    size_t used = 0;
    for (int i = 0; i < want_dims; i++)
        used += (size_t)snprintf(shape + used, shape_len - used, "%s%u", i ? " x " : "",
                                 be32(head + 4 + 4 * i));
    uint64_t n = 1;
    for (int i = 0; i < want_dims; i++) {
        uint32_t d = be32(head + 4 + 4 * i);
        if (d == 0)
            return fail(err, err_len, path, "dimension %d of %d is 0 (sizes %s)", i + 1,
                        want_dims, shape);
        if (d > IDX_DIM_MAX)
            return fail(err, err_len, path,
                        "dimension %d of %d is %u, over the limit of %u (2^24) (sizes %s)",
                        i + 1, want_dims, d, IDX_DIM_MAX, shape);
        n *= d; /* < 2^31 * 2^24: cannot wrap */
        if (n > IDX_ELEMS_MAX)
            return fail(err, err_len, path,
                        "sizes %s exceed the limit of %u (2^31-1) elements", shape,
                        IDX_ELEMS_MAX);
        dims[i] = (int)d;
    }
    *total = (size_t)n;
    return 0;
}

/* Reads exactly total bytes into a fresh buffer that grows as data arrives. */
static int read_body(gzFile gz, const char *path, size_t total, const char *shape,
                     uint8_t **data, char *err, size_t err_len)
{
    uint8_t *buf = NULL;
    size_t cap = 0, have = 0;
    int got = 1;
    while (have < total && got > 0) {
        if (have == cap) {
            cap = cap ? 2 * cap : BODY_CHUNK;
            cap = cap < total ? cap : total;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                return fail(err, err_len, path, "out of memory for %zu bytes", cap);
            }
            buf = grown;
        }
        got = read_some(gz, buf + have, cap - have, path, err, err_len);
        have += got > 0 ? (size_t)got : 0;
    }
    if (got < 0) {
        free(buf);
        return -1;
    }
    if (have < total) {
        free(buf);
        return fail(err, err_len, path,
                    "truncated: header says %s = %zu bytes of data, file has %zu", shape,
                    total, have);
    }
    *data = buf;
    return 0;
}

/* Requires the end of the data (and, for gzip, an intact stream end) after the body. */
static int check_end(gzFile gz, const char *path, char *err, size_t err_len)
{
    uint8_t scratch[4096];
    size_t extra = 0;
    int got;
    do {
        got = read_some(gz, scratch, sizeof scratch, path, err, err_len);
        extra += got > 0 ? (size_t)got : 0;
    } while (got > 0 && extra <= TRAIL_MAX);
    if (got < 0)
        return -1;
    if (extra > TRAIL_MAX)
        return fail(err, err_len, path,
                    "more than %u bytes after the data (file longer than its header says)",
                    TRAIL_MAX);
    if (extra > 0)
        return fail(err, err_len, path,
                    "%zu bytes after the data (file longer than its header says)", extra);
    return 0;
}

int mnist_read_idx(const char *path, int want_dims, uint8_t **data, int *dims,
                   char *err, size_t err_len)
{
    *data = NULL;
    if (want_dims < 1 || want_dims > IDX_MAX_DIMS)
        return fail(err, err_len, path, "cannot read %d dimensions (this reader takes 1..%d)",
                    want_dims, IDX_MAX_DIMS);
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return fail(err, err_len, path, "cannot open: %s",
                    errno ? strerror(errno) : "out of memory in zlib");

    char shape[IDX_MAX_DIMS * 14];
    size_t total = 0;
    uint8_t *buf = NULL;
    int rc = read_header(gz, path, want_dims, dims, shape, sizeof shape, &total, err, err_len);
    if (rc == 0)
        rc = read_body(gz, path, total, shape, &buf, err, err_len);
    if (rc == 0)
        rc = check_end(gz, path, err, err_len);
    gzclose(gz);
    if (rc == 0)
        *data = buf;
    else
        free(buf);
    return rc;
}

/* Puts <dir>/<split>-<name> into path, or the same with ".gz" when only that exists.
 * When neither exists, the error names both. */
static int find_idx(const char *dir, const char *split, const char *name, char *path,
                    size_t path_len, char *err, size_t err_len)
{
    int n = snprintf(path, path_len, "%s/%s-%s", dir, split, name);
    if (n < 0 || (size_t)n + sizeof ".gz" > path_len)
        return fail(err, err_len, dir, "path of %s-%s is too long", split, name);
    if (access(path, F_OK) == 0 || errno != ENOENT)
        return 0;
    strcpy(path + n, ".gz");
    if (access(path, F_OK) == 0 || errno != ENOENT)
        return 0;
    path[n] = '\0';
    return fail(err, err_len, path, "cannot open: %s (nor %s.gz)", strerror(ENOENT), path);
}

/* Memory for a set's pixels (free() releases it), NULL when out of memory.
 * Sets of 2 MiB and up get 2 MiB pages where the kernel offers them
 * (transparent huge pages, asked for with madvise; only a hint): the trainer's
 * batch gather reads rows at random from the 47 MB of MNIST's training
 * images, and with 4 KiB pages (11,500 of them, far past the TLB) nearly every
 * row costs a page walk; an epoch measured 4% faster with 2 MiB pages. */
static void *pixels_alloc(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    if (bytes < huge)
        return malloc(bytes);
    void *p;
    size_t rounded = (bytes + huge - 1) & ~(huge - 1);
    if (posix_memalign(&p, huge, rounded))
        return NULL;
    madvise(p, rounded, MADV_HUGEPAGE);
    return p;
}

int mnist_load(const char *dir, const char *split, mnist_set *out, char *err,
               size_t err_len)
{
    *out = (mnist_set){0};
    char img_path[PATH_MAX], lab_path[PATH_MAX];
    uint8_t *pixels = NULL, *labels = NULL;
    int img_dims[3], lab_dims[1];
    if (find_idx(dir, split, "images-idx3-ubyte", img_path, sizeof img_path, err, err_len) ||
        mnist_read_idx(img_path, 3, &pixels, img_dims, err, err_len) ||
        find_idx(dir, split, "labels-idx1-ubyte", lab_path, sizeof lab_path, err, err_len) ||
        mnist_read_idx(lab_path, 1, &labels, lab_dims, err, err_len))
        goto fail;
    if (lab_dims[0] != img_dims[0]) {
        fail(err, err_len, lab_path, "%d labels for %d images (%s)", lab_dims[0], img_dims[0],
             img_path);
        goto fail;
    }
    for (int i = 0; i < lab_dims[0]; i++)
        if (labels[i] >= MNIST_CLASSES) {
            fail(err, err_len, lab_path, "label %u at index %d is outside 0..%d", labels[i], i,
                 MNIST_CLASSES - 1);
            goto fail;
        }

    size_t n_px = (size_t)img_dims[0] * (size_t)img_dims[1] * (size_t)img_dims[2];
    float *x = pixels_alloc(n_px * sizeof *x);
    uint8_t *px = pixels_alloc(n_px);
    if (!x || !px) {
        fail(err, err_len, img_path, "out of memory for %zu bytes of pixels", n_px * 5);
        free(x);
        free(px);
        goto fail;
    }
    memcpy(px, pixels, n_px);
    for (size_t i = 0; i < n_px; i++)
        x[i] = pixels[i] / KERNELS_PIXEL_SCALE;
    free(pixels);
    *out = (mnist_set){.n = img_dims[0], .rows = img_dims[1], .cols = img_dims[2], .x = x,
                       .px = px, .y = labels};
    return 0;

fail:
    free(pixels);
    free(labels);
    return -1;
}

void mnist_free(mnist_set *s)
{
    if (!s)
        return;
    free(s->x);
    free(s->px);
    free(s->y);
    *s = (mnist_set){0};
}
