/* checkpoint.c: see checkpoint.h for the format.  Loading reads the whole file
 * first (it is small: a 784-1024-1024-10 model is 7.4 MB) and then checks it
 * field by field before trusting any size in it. */
#include "checkpoint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char magic[8] = {'S', 'M', 'L', 'P', 'C', 'K', 'P', 'T'};
#define MAX_CONFIG 65536u
#define MAX_FILE (1ull << 32)

static size_t params_for(int n_sizes, const uint32_t *sizes) {
    size_t n = 0;
    for (int l = 0; l + 1 < n_sizes; l++) n += (size_t)sizes[l] * sizes[l + 1] + sizes[l + 1];
    return n;
}

/* Appends to a growing byte buffer that the crc covers. */
typedef struct {
    unsigned char *p;
    size_t len;
} bytes;
static void put(bytes *b, const void *src, size_t n) {
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

int ckpt_save(const char *path, const mlp_model *m, const cfg *c, char *err, size_t err_len) {
    char config[MAX_CONFIG], value[1024];
    size_t clen = 0;
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        cfg_format(c, i, value, sizeof value);
        clen += (size_t)snprintf(config + clen, sizeof config - clen, "%s=%s\n",
                                 cfg_key_name(i), value);
    }
    uint32_t n_sizes = (uint32_t)m->n_layers + 1, version = CKPT_VERSION,
             config_len = (uint32_t)clen, sizes[MLP_MAX_LAYERS + 1];
    uint64_t n_params = m->n_params;
    for (uint32_t i = 0; i < n_sizes; i++) sizes[i] = (uint32_t)m->sizes[i];
    bytes b = {xmalloc(8 + 4 + 4 + 4 * n_sizes + 8 + 4 + clen + 4 * n_params + 4), 0};
    put(&b, magic, 8);
    put(&b, &version, 4);
    put(&b, &n_sizes, 4);
    put(&b, sizes, 4 * n_sizes);
    put(&b, &n_params, 8);
    put(&b, &config_len, 4);
    put(&b, config, clen);
    put(&b, m->params, 4 * n_params);
    uint32_t crc = (uint32_t)crc32(0L, b.p, (uInt)b.len);
    put(&b, &crc, 4);

    afile a;
    int rc = afile_open(&a, path, err, err_len);
    if (rc == 0) {
        fwrite(b.p, 1, b.len, a.f);
        rc = afile_commit(&a, err, err_len);
    }
    free(b.p);
    return rc;
}

/* Reads the next n bytes of the loaded file, or fails naming what was cut. */
typedef struct {
    const unsigned char *p;
    size_t len, at;
} reader;
static int take(reader *r, void *dst, size_t n) {
    if (r->len - r->at < n) return -1;
    memcpy(dst, r->p + r->at, n);
    r->at += n;
    return 0;
}

static int read_all(const char *path, unsigned char **data, size_t *len, char *err, size_t err_len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *p = xmalloc(cap);
    for (;;) {
        n += fread(p + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap >= MAX_FILE) {
            free(p);
            fclose(f);
            snprintf(err, err_len, "%s: larger than %llu bytes: not a checkpoint", path, MAX_FILE);
            return -1;
        }
        unsigned char *q = realloc(p, cap *= 2);
        if (!q) {
            free(p);
            fclose(f);
            snprintf(err, err_len, "%s: out of memory reading %zu bytes", path, cap);
            return -1;
        }
        p = q;
    }
    int bad = ferror(f), saved = errno; /* the why, e.g. a folder given as the file */
    fclose(f);
    if (bad) {
        free(p);
        snprintf(err, err_len, "%s: read error: %s", path, strerror(saved));
        return -1;
    }
    *data = p;
    *len = n;
    return 0;
}

int ckpt_load(const char *path, cfg *c, float **params, size_t *n_params, char *err,
              size_t err_len) {
    unsigned char *data;
    size_t len;
    if (read_all(path, &data, &len, err, err_len)) return -1;
    reader r = {data, len, 0};
    char head[8], *config = NULL;
    uint32_t version, n_sizes, sizes[MLP_MAX_LAYERS + 1], config_len, crc;
    uint64_t n;
    const char *what = NULL;
    if (take(&r, head, 8) || memcmp(head, magic, 8)) {
        what = len < 8 ? "truncated header" : "not a simd-mlp checkpoint (bad magic)";
        goto fail;
    }
    if (take(&r, &version, 4) || take(&r, &n_sizes, 4)) goto truncated;
    if (version != CKPT_VERSION) {
        snprintf(err, err_len, "%s: format version %u (this build reads version %u)", path,
                 version, CKPT_VERSION);
        goto fail_msg;
    }
    if (n_sizes < 2 || n_sizes > MLP_MAX_LAYERS + 1) {
        snprintf(err, err_len, "%s: %u layer sizes (want 2..%d)", path, n_sizes, MLP_MAX_LAYERS + 1);
        goto fail_msg;
    }
    if (take(&r, sizes, 4 * n_sizes)) goto truncated;
    for (uint32_t i = 0; i < n_sizes; i++)
        if (sizes[i] < 1 || sizes[i] > 65536) {
            snprintf(err, err_len, "%s: layer size %u is out of range (1..65536)", path, sizes[i]);
            goto fail_msg;
        }
    if (take(&r, &n, 8) || take(&r, &config_len, 4)) goto truncated;
    if (n != params_for((int)n_sizes, sizes)) {
        snprintf(err, err_len, "%s: %llu parameters for layer sizes that need %zu", path,
                 (unsigned long long)n, params_for((int)n_sizes, sizes));
        goto fail_msg;
    }
    if (config_len > MAX_CONFIG) {
        snprintf(err, err_len, "%s: configuration of %u bytes (at most %u)", path, config_len, MAX_CONFIG);
        goto fail_msg;
    }
    if (len - r.at < (size_t)config_len + 4 * n + 4) goto truncated;
    if (len - r.at > (size_t)config_len + 4 * n + 4) {
        what = "bytes after the end of the checkpoint";
        goto fail;
    }
    memcpy(&crc, data + len - 4, 4);
    if (crc != (uint32_t)crc32(0L, data, (uInt)(len - 4))) {
        what = "checksum mismatch (the file is corrupt)";
        goto fail;
    }
    config = xmalloc(config_len + 1);
    take(&r, config, config_len);
    config[config_len] = '\0';
    if (memchr(config, '\0', config_len)) { /* it would end the lines early, unseen */
        what = "configuration holds a NUL byte";
        goto fail;
    }
    for (char *line = config, *next; *line; line = next) {
        next = strchr(line, '\n');
        if (!next) {
            what = "configuration does not end with a newline";
            goto fail;
        }
        *next++ = '\0';
        char msg[512];
        if (cfg_set(c, line, msg, sizeof msg)) {
            snprintf(err, err_len, "%s: stored configuration: %s", path, msg);
            goto fail_msg;
        }
    }
    if (c->n_sizes != (int)n_sizes) goto shape_mismatch;
    for (uint32_t i = 0; i < n_sizes; i++)
        if (c->sizes[i] != (int)sizes[i]) goto shape_mismatch;
    *params = xmalloc_aligned(4 * n);
    take(&r, *params, 4 * n);
    *n_params = n;
    free(config);
    free(data);
    return 0;

shape_mismatch:
    what = "model.layers in the stored configuration does not match the stored sizes";
    goto fail;
truncated:
    what = "truncated";
fail:
    snprintf(err, err_len, "%s: %s", path, what);
fail_msg:
    free(config);
    free(data);
    return -1;
}
