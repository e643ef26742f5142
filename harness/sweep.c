/* sweep.c: see sweep.h.  Values are checked with config.c's key table; nothing
 * here knows what a key means. */
#include "sweep.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_VALUES 100000 /* per list: a typo in a generator's count should not hang */
/* Per sweep (points x repeats): far beyond a real sweep, and a product of lists
 * that would overflow the count or ask for gigabytes of run records is refused. */
#define MAX_RUNS 1000000

/* A fresh copy of p[0..n) without surrounding blanks. */
static char *dup_trimmed(const char *p, size_t n) {
    while (n && isspace((unsigned char)*p)) p++, n--;
    while (n && isspace((unsigned char)p[n - 1])) n--;
    char *s = xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

typedef struct {
    char **v;
    size_t n, cap;
} str_list;

static void list_push(str_list *l, char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        char **v = xmalloc(l->cap * sizeof *v);
        if (l->n) memcpy(v, l->v, l->n * sizeof *v);
        free(l->v);
        l->v = v;
    }
    l->v[l->n++] = s;
}

static void list_free(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* logspace(a, b, n) (geometric) or linspace(a, b, n) into l; item is trimmed. */
static int expand_generator(const char *item, bool geometric, str_list *l, char *err,
                            size_t len) {
    const char *name = geometric ? "logspace" : "linspace";
    double a, b;
    int n, used = 0;
    if (sscanf(strchr(item, '(') + 1, " %lf , %lf , %d )%n", &a, &b, &n, &used) != 3 ||
        strchr(item, '(')[1 + used] != '\0') {
        snprintf(err, len, "'%s': want %s(first, last, count)", item, name);
        return -1;
    }
    if (n < 1 || n > MAX_VALUES || !isfinite(a) || !isfinite(b) ||
        (geometric && (a <= 0 || b <= 0))) {
        snprintf(err, len, "'%s': count must be 1..%d%s", item, MAX_VALUES,
                 geometric ? ", first and last > 0" : "");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        double t = n == 1 ? 0 : (double)i / (n - 1),
               x = geometric ? exp(log(a) + t * (log(b) - log(a))) : a + t * (b - a);
        char buf[32];
        snprintf(buf, sizeof buf, "%.6g", x);
        list_push(l, dup_trimmed(buf, strlen(buf)));
    }
    return 0;
}

int sweep_parse_values(const char *text, char ***values, size_t *n, char *err, size_t len) {
    char sep = strchr(text, '|') ? '|' : ',';
    str_list l = {0};
    int depth = 0;
    for (const char *start = text, *p = text;; p++) {
        if (*p == '(') depth++;
        if (*p == ')') depth--;
        if (*p != '\0' && (*p != sep || depth > 0)) continue;
        char *item = dup_trimmed(start, (size_t)(p - start));
        int rc = 0;
        if (!item[0]) {
            snprintf(err, len, "'%s': empty value (values are separated by '%c')", text, sep);
            rc = -1;
        } else if (!strncmp(item, "logspace(", 9) || !strncmp(item, "linspace(", 9)) {
            rc = expand_generator(item, item[1] == 'o', &l, err, len);
        } else {
            list_push(&l, item);
            item = NULL;
        }
        free(item);
        if (rc == 0 && l.n > MAX_VALUES) {
            snprintf(err, len, "'%s': more than %d values", text, MAX_VALUES);
            rc = -1;
        }
        if (rc) {
            list_free(l.v, l.n);
            return -1;
        }
        if (*p == '\0') break;
        start = p + 1;
    }
    *values = l.v;
    *n = l.n;
    return 0;
}

/* Sets key k of c from text (cfg_set_key by table index). */
static int set_key(cfg *c, int k, const char *value, char *err, size_t len) {
    const char *name = cfg_key_name((size_t)k), *dot = strchr(name, '.');
    char section[64];
    snprintf(section, sizeof section, "%.*s", (int)(dot - name), name);
    return cfg_set_key(c, section, dot + 1, value, err, len);
}

/* Checks a value of key k on its own. */
static int set_value(int k, const char *value, char *err, size_t len) {
    cfg scratch;
    cfg_defaults(&scratch);
    return set_key(&scratch, k, value, err, len);
}

/* One [sweep] line: a known, non-meta key listed once, every value valid. */
static int on_sweep_line(void *ctx, const char *key, const char *value, char *err, size_t len) {
    sweep *s = ctx;
    int k = cfg_key_index(key);
    if (k < 0) {
        snprintf(err, len, "[sweep] unknown key '%s' (want section.key, e.g. train.lr)", key);
        return -1;
    }
    if (cfg_key_is_meta((size_t)k)) {
        snprintf(err, len, "[sweep] %s describes the whole sweep and cannot be listed", key);
        return -1;
    }
    for (int a = 0; a < s->n_axes; a++)
        if (s->axes[a].key == k) {
            snprintf(err, len, "[sweep] %s is listed twice", key);
            return -1;
        }
    if (s->n_axes == SWEEP_MAX_AXES) {
        snprintf(err, len, "[sweep] more than %d lists", SWEEP_MAX_AXES);
        return -1;
    }
    sweep_axis *ax = &s->axes[s->n_axes];
    char msg[384];
    if (sweep_parse_values(value, &ax->values, &ax->n, msg, sizeof msg)) {
        snprintf(err, len, "[sweep] %s: %s", key, msg);
        return -1;
    }
    /* At most MAX_RUNS points so far and MAX_VALUES here: the product fits. */
    size_t points = sweep_n_points(s) * ax->n;
    if (points > MAX_RUNS) {
        snprintf(err, len, "[sweep] %s: %zu values make %zu points, more than the %d runs a "
                           "sweep may have", key, ax->n, points, MAX_RUNS);
        list_free(ax->values, ax->n);
        return -1;
    }
    for (size_t i = 0; i < ax->n; i++)
        if (set_value(k, ax->values[i], msg, sizeof msg)) {
            /* "784,128,10" alone is one value of model.layers, not three. */
            char ignored[8];
            bool one_value = !strchr(value, '|') && !set_value(k, value, ignored, sizeof ignored);
            snprintf(err, len, "[sweep] %s%s", msg,
                     one_value ? " (separate values that hold commas with '|': a | b)" : "");
            list_free(ax->values, ax->n);
            return -1;
        }
    ax->key = k;
    s->n_axes++;
    return 0;
}

int sweep_load(sweep *s, const char *path, const char *const *sets, int n_sets, char *err,
               size_t len) {
    memset(s, 0, sizeof *s);
    cfg_defaults(&s->base);
    if (cfg_load_sweep_file(&s->base, path, on_sweep_line, s, err, len)) {
        sweep_free(s);
        return -1;
    }
    char msg[512];
    for (int i = 0; i < n_sets; i++) {
        const char *eq = strchr(sets[i], '=');
        char name[128];
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - sets[i]) : 0, sets[i]);
        int k = cfg_key_index(name);
        for (int a = 0; k >= 0 && a < s->n_axes; a++)
            if (s->axes[a].key == k) {
                snprintf(err, len, "--set %s: %s lists %s in [sweep] (edit the list instead)",
                         sets[i], path, name);
                sweep_free(s);
                return -1;
            }
        if (cfg_set(&s->base, sets[i], msg, sizeof msg)) {
            snprintf(err, len, "--set %s", msg);
            sweep_free(s);
            return -1;
        }
    }
    /* Repeats may be set after the lists, or by --set. */
    if (sweep_n_runs(s) > MAX_RUNS) {
        snprintf(err, len, "%s: [sweep] %zu points x %d repeats = %zu runs, more than %d",
                 path, sweep_n_points(s), s->base.repeats, sweep_n_runs(s), MAX_RUNS);
        sweep_free(s);
        return -1;
    }
    return 0;
}

void sweep_free(sweep *s) {
    for (int a = 0; a < s->n_axes; a++) list_free(s->axes[a].values, s->axes[a].n);
    s->n_axes = 0;
}

size_t sweep_n_points(const sweep *s) {
    size_t n = 1;
    for (int a = 0; a < s->n_axes; a++) n *= s->axes[a].n;
    return n;
}

size_t sweep_n_runs(const sweep *s) { return sweep_n_points(s) * (size_t)s->base.repeats; }

/* Index into axis a's list for a point: the last list varies fastest. */
static size_t axis_index(const sweep *s, size_t point, int a) {
    for (int b = s->n_axes - 1; b > a; b--) point /= s->axes[b].n;
    return point % s->axes[a].n;
}

void sweep_run(const sweep *s, size_t r, cfg *c, size_t *point, int *repeat) {
    char err[256];
    *point = r / (size_t)s->base.repeats;
    *repeat = (int)(r % (size_t)s->base.repeats);
    *c = s->base;
    for (int a = 0; a < s->n_axes; a++) {
        int rc = set_key(c, s->axes[a].key, s->axes[a].values[axis_index(s, *point, a)], err,
                         sizeof err);
        assert(rc == 0 && "sweep_load checked every value");
        (void)rc;
    }
    c->seed = s->base.seed + (uint64_t)*repeat;
}

void sweep_label(const sweep *s, size_t point, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < s->n_axes && used < len; a++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", a ? " " : "",
                                 cfg_key_name((size_t)s->axes[a].key),
                                 s->axes[a].values[axis_index(s, point, a)]);
}

void sweep_keys(const sweep *s, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < s->n_axes && used < len; a++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", a ? " " : "",
                                 cfg_key_name((size_t)s->axes[a].key));
}

static uint64_t fnv1a(uint64_t h, const char *s) {
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}
#define FNV_OFFSET 0xcbf29ce484222325ull

void sweep_run_key(const cfg *c, int repeat, char key[SWEEP_KEY_LEN]) {
    uint64_t h = FNV_OFFSET;
    char value[1024];
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        if (cfg_key_is_meta(i)) continue;
        cfg_format(c, i, value, sizeof value);
        h = fnv1a(fnv1a(fnv1a(fnv1a(h, cfg_key_name(i)), "="), value), "\n");
    }
    snprintf(value, sizeof value, "repeat=%d\n", repeat);
    snprintf(key, SWEEP_KEY_LEN, "%016llx", (unsigned long long)fnv1a(h, value));
}

void sweep_id(const sweep *s, char id[SWEEP_KEY_LEN]) {
    uint64_t h = FNV_OFFSET;
    for (size_t r = 0; r < sweep_n_runs(s); r++) {
        cfg c;
        size_t point;
        int repeat;
        char key[SWEEP_KEY_LEN];
        sweep_run(s, r, &c, &point, &repeat);
        sweep_run_key(&c, repeat, key);
        h = fnv1a(h, key);
    }
    snprintf(id, SWEEP_KEY_LEN, "%016llx", (unsigned long long)h);
}

int sweep_parse_shard(const char *text, int *index, int *count, char *err, size_t len) {
    int used = 0;
    if (sscanf(text, "%d/%d%n", index, count, &used) != 2 || text[used] != '\0' || *count < 1 ||
        *index < 1 || *index > *count) {
        snprintf(err, len, "--shard '%s': want i/n with 1 <= i <= n, e.g. --shard 2/4", text);
        return -1;
    }
    return 0;
}

int sweep_shard_from_env(int *index, int *count, char *err, size_t len) {
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *n = getenv("SLURM_ARRAY_TASK_COUNT"),
               *min = getenv("SLURM_ARRAY_TASK_MIN");
    *index = *count = 1;
    if (!id || !n) return 0;
    char *end_id, *end_n, *end_min = NULL;
    long i = strtol(id, &end_id, 10), c = strtol(n, &end_n, 10),
         m = min ? strtol(min, &end_min, 10) : 0;
    if (*end_id || *end_n || (end_min && *end_min) || c < 1 || i - m < 0 || i - m >= c) {
        snprintf(err, len, "SLURM_ARRAY_TASK_ID=%s, SLURM_ARRAY_TASK_COUNT=%s, "
                           "SLURM_ARRAY_TASK_MIN=%s: want MIN <= ID < MIN + COUNT (a contiguous "
                           "--array, or pass --shard i/n)", id, n, min ? min : "(unset)");
        return -1;
    }
    *index = (int)(i - m) + 1;
    *count = (int)c;
    return 1;
}

bool sweep_in_shard(size_t r, int index, int count) {
    return r % (size_t)count == (size_t)(index - 1);
}

/* cfg_print's show: a listed key's values in place of the base value. */
static bool show_axis(FILE *f, size_t key, const void *ctx) {
    const sweep *s = ctx;
    for (int a = 0; a < s->n_axes; a++)
        if (s->axes[a].key == (int)key) {
            fprintf(f, "[%zu values]", s->axes[a].n);
            for (size_t v = 0; v < s->axes[a].n; v++)
                fprintf(f, "%s %s", v ? " |" : "", s->axes[a].values[v]);
            return true;
        }
    return false;
}

void sweep_print(FILE *f, const sweep *s) { cfg_print(f, &s->base, show_axis, s); }
