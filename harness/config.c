/* config.c: the key table and the --set parsing of config.h; INI files are
 * config_ini.c's. */
#include "config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

typedef enum { T_STR, T_NAME, T_ENUM, T_U64, T_INT, T_REAL, T_BOOL, T_LAYERS, T_GEMM, T_ACT } key_type;

typedef struct {
    const char *section, *key, *name; /* name: "section.key" */
    key_type type;
    size_t offset, size;              /* field in cfg; size for strings */
    double min, max;                  /* range of numbers (inclusive unless noted) */
    bool min_open;                    /* min itself is out of range */
    bool meta;                        /* cfg_key_is_meta */
    const char *choices;              /* T_ENUM: space-separated */
    const char *def;                  /* default, as text */
} key_spec;

#define F(field) offsetof(cfg, field), sizeof(((cfg *)0)->field)
static const key_spec keys[] = {
    {"experiment", "name", "experiment.name", T_NAME, F(name), 0, 0, false, true, NULL, "mnist"},
    {"experiment", "seed", "experiment.seed", T_U64, F(seed), 0, 0, false, false, NULL, "42"},
    {"experiment", "repeats", "experiment.repeats", T_INT, F(repeats), 1, 1000, false, true, NULL, "1"},
    {"data", "dataset", "data.dataset", T_ENUM, F(dataset), 0, 0, false, false, "mnist fashion-mnist", "mnist"},
    {"data", "dir", "data.dir", T_STR, F(data_dir), 0, 0, false, false, NULL, ""},
    {"data", "val_split", "data.val_split", T_REAL, F(val_split), 0, 0.99, false, false, NULL, "0.1"},
    {"model", "layers", "model.layers", T_LAYERS, F(sizes), 1, 65536, false, false, NULL, "784,128,64,10"},
    {"train", "optimizer", "train.optimizer", T_ENUM, F(optimizer), 0, 0, false, false, "sgd momentum adam", "adam"},
    {"train", "lr", "train.lr", T_REAL, F(lr), 0, 10, true, false, NULL, "0.001"},
    {"train", "momentum", "train.momentum", T_REAL, F(momentum), 0, 0.999, false, false, NULL, "0.9"},
    {"train", "ema", "train.ema", T_REAL, F(ema), 0, 0.99999, false, false, NULL, "0"},
    {"train", "batch", "train.batch", T_INT, F(batch), 1, 65536, false, false, NULL, "32"},
    {"train", "epochs", "train.epochs", T_INT, F(epochs), 1, 100000, false, false, NULL, "5"},
    {"train", "profile", "train.profile", T_BOOL, F(profile), 0, 0, false, true, NULL, "false"},
    {"kernels", "gemm", "kernels.gemm", T_GEMM, F(gemm), 0, 0, false, false, NULL, "auto"},
    {"kernels", "activation", "kernels.activation", T_ACT, F(activation), 0, 0, false, false, NULL, "auto"},
    {"kernels", "threads", "kernels.threads", T_INT, F(threads), 0, 1024, false, false, NULL, "0"},
};
#undef F
#define N_KEYS (sizeof keys / sizeof keys[0])

size_t cfg_n_keys(void) { return N_KEYS; }
const char *cfg_key_name(size_t i) { return keys[i].name; }
bool cfg_key_is_meta(size_t i) { return keys[i].meta; }

int cfg_key_index(const char *name) {
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].name, name)) return (int)i;
    return -1;
}

void cfg_defaults(cfg *c) {
    char err[256];
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_KEYS; i++) {
        int rc = cfg_set_key(c, keys[i].section, keys[i].key, keys[i].def, err, sizeof err);
        assert(rc == 0 && "every default is a valid value");
        (void)rc;
    }
}

static const key_spec *find_key(const char *section, const char *key) {
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, key)) return &keys[i];
    return NULL;
}

static bool known_section(const char *section) {
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section)) return true;
    return false;
}

/* Whether w is one of the space-separated words.  An empty w is none (strstr
 * finds "" everywhere, and the search would never move on), nor is a run of
 * several words ("sgd momentum" is found whole in the list). */
static bool has_word(const char *words, const char *w) {
    size_t n = strlen(w);
    if (n == 0 || strchr(w, ' ')) return false;
    for (const char *p = words; (p = strstr(p, w)); p += n)
        if ((p == words || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return true;
    return false;
}

static int parse_real(const key_spec *k, const char *v, double *out, char *err, size_t len) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end != '\0') {
        snprintf(err, len, "%s: '%s' is not a number", k->name, v);
        return -1;
    }
    if (!isfinite(x) || x < k->min || x > k->max || (k->min_open && x == k->min)) {
        snprintf(err, len, "%s: %s is out of range (want %s%g, %g])", k->name, v,
                 k->min_open ? "(" : "[", k->min, k->max);
        return -1;
    }
    *out = x;
    return 0;
}

static int parse_int(const key_spec *k, const char *v, long *out, char *err, size_t len) {
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0') {
        snprintf(err, len, "%s: '%s' is not an integer", k->name, v);
        return -1;
    }
    if (x < (long)k->min || x > (long)k->max) {
        snprintf(err, len, "%s: %s is out of range (want %ld..%ld)", k->name, v, (long)k->min,
                 (long)k->max);
        return -1;
    }
    *out = x;
    return 0;
}

static int parse_layers(const key_spec *k, const char *v, cfg *c, char *err, size_t len) {
    int sizes[MLP_MAX_LAYERS + 1] = {0}, n = 0;
    const char *p = v;
    for (;;) {
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p || (*end != ',' && *end != '\0')) {
            snprintf(err, len, "%s: '%s' is not a comma-separated list of sizes", k->name, v);
            return -1;
        }
        if (x < (long)k->min || x > (long)k->max) {
            snprintf(err, len, "%s: size %ld is out of range (want %ld..%ld)", k->name, x,
                     (long)k->min, (long)k->max);
            return -1;
        }
        if (n == MLP_MAX_LAYERS + 1) {
            snprintf(err, len, "%s: more than %d sizes", k->name, MLP_MAX_LAYERS + 1);
            return -1;
        }
        sizes[n++] = (int)x;
        if (*end == '\0') break;
        p = end + 1;
    }
    if (n < 2) {
        snprintf(err, len, "%s: '%s' needs at least an input and an output size", k->name, v);
        return -1;
    }
    memcpy(c->sizes, sizes, sizeof sizes);
    c->n_sizes = n;
    return 0;
}

int cfg_set_key(cfg *c, const char *section, const char *key, const char *value, char *err,
                size_t len) {
    const key_spec *k = find_key(section, key);
    if (!k) {
        if (known_section(section))
            snprintf(err, len, "[%s] unknown key '%s'", section, key);
        else
            snprintf(err, len, "unknown section [%s] (key '%s')", section, key);
        return -1;
    }
    char *field = (char *)c + k->offset;
    switch (k->type) {
    case T_NAME:
        if (!*value || strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789._-") != strlen(value) || value[0] == '.') {
            snprintf(err, len, "%s: '%s' must be letters, digits, '.', '_' or '-' (it names a folder)",
                     k->name, value);
            return -1;
        }
        /* fallthrough */
    case T_STR:
        if (strlen(value) >= k->size) {
            snprintf(err, len, "%s: value longer than %zu characters", k->name, k->size - 1);
            return -1;
        }
        strcpy(field, value);
        return 0;
    case T_ENUM:
        if (!has_word(k->choices, value)) {
            snprintf(err, len, "%s: unknown value '%s' (choose from: %s)", k->name, value,
                     k->choices);
            return -1;
        }
        strcpy(field, value);
        return 0;
    case T_GEMM:
    case T_ACT: {
        char why[256];
        const void *found = k->type == T_GEMM ? (const void *)gemm_select(value, why, sizeof why)
                                              : (const void *)act_select(value, why, sizeof why);
        if (!found) {
            snprintf(err, len, "%s: %s", k->name, why);
            return -1;
        }
        snprintf(field, k->size, "%s", value); /* table names are short */
        return 0;
    }
    case T_U64: {
        char *end;
        /* strtoull skips blanks, takes a sign (" -5" is 2^64-5) and clamps what is
         * past 2^64-1 to it: digits only, and ERANGE is an error. */
        if (!isdigit((unsigned char)value[0])) goto not_integer;
        errno = 0;
        unsigned long long x = strtoull(value, &end, 10);
        if (*end != '\0') goto not_integer;
        if (errno == ERANGE) {
            snprintf(err, len, "%s: %s is out of range (want 0..%llu)", k->name, value,
                     (unsigned long long)UINT64_MAX);
            return -1;
        }
        *(uint64_t *)field = x;
        return 0;
    not_integer:
        snprintf(err, len, "%s: '%s' is not a non-negative integer", k->name, value);
        return -1;
    }
    case T_INT: {
        long x;
        if (parse_int(k, value, &x, err, len)) return -1;
        *(int *)field = (int)x;
        return 0;
    }
    case T_REAL:
        return parse_real(k, value, (double *)field, err, len);
    case T_BOOL:
        if (strcmp(value, "true") && strcmp(value, "false")) {
            snprintf(err, len, "%s: '%s' is not true or false", k->name, value);
            return -1;
        }
        *(bool *)field = !strcmp(value, "true");
        return 0;
    case T_LAYERS:
        return parse_layers(k, value, c, err, len);
    }
    return -1;
}

void cfg_format(const cfg *c, size_t i, char *buf, size_t len) {
    const key_spec *k = &keys[i];
    const char *field = (const char *)c + k->offset;
    switch (k->type) {
    case T_STR:
    case T_NAME:
    case T_ENUM:
    case T_GEMM:
    case T_ACT:
        snprintf(buf, len, "%s", field);
        return;
    case T_U64:
        snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)field);
        return;
    case T_INT:
        snprintf(buf, len, "%d", *(const int *)field);
        return;
    case T_REAL:
        snprintf(buf, len, "%.17g", *(const double *)field);
        return;
    case T_BOOL:
        snprintf(buf, len, "%s", *(const bool *)field ? "true" : "false");
        return;
    case T_LAYERS: {
        size_t used = 0;
        buf[0] = '\0';
        for (int j = 0; j < c->n_sizes && used < len; j++)
            used += (size_t)snprintf(buf + used, len - used, j ? ",%d" : "%d", c->sizes[j]);
        return;
    }
    }
}

int cfg_set(cfg *c, const char *assignment, char *err, size_t len) {
    const char *eq = strchr(assignment, '='), *dot = strchr(assignment, '.');
    if (!eq || !dot || dot > eq) {
        snprintf(err, len, "'%s': want section.key=value", assignment);
        return -1;
    }
    char section[64], key[64];
    size_t ns = (size_t)(dot - assignment), nk = (size_t)(eq - dot - 1);
    if (ns >= sizeof section || nk >= sizeof key) {
        snprintf(err, len, "'%s': section or key too long", assignment);
        return -1;
    }
    memcpy(section, assignment, ns);
    section[ns] = '\0';
    memcpy(key, dot + 1, nk);
    key[nk] = '\0';
    return cfg_set_key(c, section, key, eq + 1, err, len);
}

const char *cfg_data_dir(const cfg *c) {
    if (c->data_dir[0]) return c->data_dir;
    return strcmp(c->dataset, "fashion-mnist") ? "data/mnist" : "/usr/share/datasets/fashion-mnist";
}
