/* config.c: the key table of config.h: checking and setting a value (--set, and
 * each line config_ini.c reads), formatting it back, and describing each key
 * (`./experiment keys`, README's table).  INI files are config_ini.c's. */
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

typedef enum { T_STR, T_NAME, T_ENUM, T_U64, T_INT, T_REAL, T_BOOL, T_LAYERS, T_RATES, T_GEMM, T_ACT } key_type;

typedef struct {
    const char *section, *key, *name; /* name: "section.key" */
    key_type type;
    size_t offset, size;              /* field in cfg; size for strings */
    double min, max;                  /* range of numbers (inclusive unless noted) */
    bool min_open;                    /* min itself is out of range */
    bool meta;                        /* cfg_key_is_meta */
    const char *choices;              /* T_ENUM: space-separated */
    const char *def;                  /* default, as text */
    const char *meaning;              /* one Markdown line: README's table is printed from it */
} key_spec;

#define F(field) offsetof(cfg, field), sizeof(((cfg *)0)->field)
static const key_spec keys[] = {
    {"experiment", "name", "experiment.name", T_NAME, F(name), 0, 0, false, true, NULL, "mnist",
     "results go to `results/<name>/`"},
    {"experiment", "seed", "experiment.seed", T_U64, F(seed), 0, 0, false, false, NULL, "42",
     "initialization and shuffling"},
    {"experiment", "repeats", "experiment.repeats", T_INT, F(repeats), 1, 1000, false, true, NULL, "1",
     "a sweep runs each point this many times, with seeds `seed`, `seed+1`, ..."},
    {"data", "dataset", "data.dataset", T_ENUM, F(dataset), 0, 0, false, false, "mnist fashion-mnist", "mnist",
     "MNIST or Fashion-MNIST"},
    {"data", "dir", "data.dir", T_STR, F(data_dir), 0, 0, false, false, NULL, "",
     "folder of the four IDX files, raw or `.gz`; empty: the data set's default, `data/mnist` for "
     "MNIST, Debian's `/usr/share/datasets/fashion-mnist` for Fashion-MNIST (`make data-fashion`)"},
    {"data", "val_split", "data.val_split", T_REAL, F(val_split), 0, 0.99, false, false, NULL, "0.1",
     "fraction held out from the *end* of the training set for validation (Keras' "
     "`validation_split`)"},
    {"data", "augment", "data.augment", T_ENUM, F(augment), 0, 0, false, false, "none affine elastic", "none",
     "distort every training image on the fly, seeded (never validation or test images): "
     "`affine` shifts, rotates and scales; `elastic` adds Simard's elastic field to that"},
    {"data", "shift", "data.shift", T_REAL, F(shift), 0, 14, false, false, NULL, "2",
     "augment: largest shift, pixels, uniform in each direction"},
    {"data", "rotate", "data.rotate", T_REAL, F(rotate), 0, 180, false, false, NULL, "10",
     "augment: largest rotation, degrees, uniform either way"},
    {"data", "scale", "data.scale", T_REAL, F(scale), 0, 0.5, false, false, NULL, "0.1",
     "augment: largest change of size, a fraction, uniform either way"},
    {"data", "elastic_alpha", "data.elastic_alpha", T_REAL, F(elastic_alpha), 0, 100, false, false, NULL, "34",
     "`elastic`: scale of the displacement field, pixels (Simard et al. 2003); 0 is no field"},
    {"data", "elastic_sigma", "data.elastic_sigma", T_REAL, F(elastic_sigma), 0, 16, true, false, NULL, "4",
     "`elastic`: width of the Gaussian that smooths the field, pixels"},
    {"model", "layers", "model.layers", T_LAYERS, F(sizes), 1, 65536, false, false, NULL, "784,128,64,10",
     "sizes from input to output; hidden layers use ReLU, the output softmax. The first must "
     "match the images (784) and the last the classes (10)"},
    {"train", "optimizer", "train.optimizer", T_ENUM, F(optimizer), 0, 0, false, false, "sgd momentum adam", "adam",
     "Keras' formulas; Adam β₁ 0.9, β₂ 0.999, ε 1e-7"},
    {"train", "lr", "train.lr", T_REAL, F(lr), 0, 10, true, false, NULL, "0.001",
     "learning rate"},
    {"train", "momentum", "train.momentum", T_REAL, F(momentum), 0, 0.999, false, false, NULL, "0.9",
     "for `optimizer = momentum`"},
    {"train", "ema", "train.ema", T_REAL, F(ema), 0, 0.99999, false, false, NULL, "0",
     "when > 0, evaluate (and save) the exponential moving average of the weights with this "
     "decay, like Keras' `use_ema`/`ema_momentum`; 0 is off"},
    {"train", "batch", "train.batch", T_INT, F(batch), 1, 65536, false, false, NULL, "32",
     "mini-batch size; the training set is reshuffled every epoch"},
    {"train", "epochs", "train.epochs", T_INT, F(epochs), 1, 100000, false, false, NULL, "5",
     "passes over the training set"},
    {"train", "dropout", "train.dropout", T_RATES, F(dropout), 0, 0.95, false, false, NULL, "0",
     "inverted dropout after each hidden ReLU while training: one rate for every hidden layer, "
     "or a comma-separated list with one per hidden layer; 0 is off"},
    {"train", "weight_decay", "train.weight_decay", T_REAL, F(weight_decay), 0, 1, false, false, NULL, "0",
     "L2 penalty, added to the gradient for `sgd` and `momentum`; decoupled for `adam` (AdamW: "
     "`p -= lr * weight_decay * p` beside the Adam step); every parameter, biases included"},
    {"train", "max_norm", "train.max_norm", T_REAL, F(max_norm), 0, 100, false, false, NULL, "0",
     "after each step, scale each hidden unit's incoming weight vector down to this L2 norm "
     "when it is longer (Srivastava et al. 2014); 0 is off"},
    {"train", "schedule", "train.schedule", T_ENUM, F(schedule), 0, 0, false, false, "constant step cosine onecycle", "constant",
     "learning rate per step: `constant` lr; `step` lr times `step_gamma` every `step_epochs`; "
     "`cosine` from lr down to `lr_min`; `onecycle` up from `lr_min` to lr over `warmup_epochs` "
     "(0: 30% of the epochs), then down to `lr_min`, both halves cosine"},
    {"train", "warmup_epochs", "train.warmup_epochs", T_REAL, F(warmup_epochs), 0, 100000, false, false, NULL, "0",
     "`constant`, `step`, `cosine`: first rise linearly, step by step, to the schedule's rate "
     "over this many epochs (may be fractional)"},
    {"train", "lr_min", "train.lr_min", T_REAL, F(lr_min), 0, 10, false, false, NULL, "0",
     "`cosine`, `onecycle`: the learning rate at the end (and `onecycle`'s at the start)"},
    {"train", "step_epochs", "train.step_epochs", T_INT, F(step_epochs), 1, 100000, false, false, NULL, "10",
     "`step`: epochs between two drops"},
    {"train", "step_gamma", "train.step_gamma", T_REAL, F(step_gamma), 0, 1, true, false, NULL, "0.1",
     "`step`: factor of each drop"},
    {"train", "early_stop", "train.early_stop", T_INT, F(early_stop), 0, 100000, false, false, NULL, "0",
     "stop after this many epochs without a lower validation loss and keep the weights of the "
     "best epoch (Keras' `EarlyStopping(restore_best_weights=True)`); `runs.csv`'s `epoch_kept` "
     "says which; 0 is off"},
    {"train", "target_acc", "train.target_acc", T_REAL, F(target_acc), 0, 1, false, false, NULL, "0",
     "`runs.csv` records the epoch and the seconds of training at which the validation "
     "accuracy first reached this (`target_epoch`, `target_seconds`; empty when never); 0 is off"},
    {"train", "profile", "train.profile", T_BOOL, F(profile), 0, 0, false, true, NULL, "false",
     "`true` (or `./experiment train --profile`): time every phase of the training steps, print "
     "the table of [Where a step's time goes](#where-a-steps-time-goes) and write "
     "`results/<name>/profile.csv` (a sweep appends each run's rows, keyed by run id)"},
    {"kernels", "gemm", "kernels.gemm", T_GEMM, F(gemm), 0, 0, false, false, NULL, "auto",
     "the GEMM kernel; `auto` picks the fastest this CPU runs"},
    {"kernels", "activation", "kernels.activation", T_ACT, F(activation), 0, 0, false, false, NULL, "auto",
     "the activation kernel set; `auto` picks the fastest this CPU runs"},
    {"kernels", "threads", "kernels.threads", T_INT, F(threads), 0, 1024, false, false, NULL, "0",
     "threads of a training step (threaded kernels: the whole step runs in one team); 0 runs "
     "up to 128 steps at the start of each epoch in blocks on 1 thread and on every core, "
     "keeps the faster for the epoch and prints the last choice (`threads: 2, picked by "
     "kernels.threads = 0 (a step measured 168.2 us on 1 thread, 142.0 us on 2)`)"},
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

/* A comma-separated list of at most max numbers (integers when `integer`), each
 * in k's range, into out; returns how many, or -1 + err. */
static int parse_list(const key_spec *k, const char *v, bool integer, double *out, int max,
                      char *err, size_t len) {
    const char *what = integer ? "sizes" : "rates";
    int n = 0;
    for (const char *p = v;; p++) {
        char *end;
        double x = integer ? (double)strtol(p, &end, 10) : strtod(p, &end);
        if (end == p || (*end != ',' && *end != '\0') || !isfinite(x)) {
            snprintf(err, len, "%s: '%s' is not a comma-separated list of %s", k->name, v, what);
            return -1;
        }
        if (x < k->min || x > k->max) {
            snprintf(err, len, "%s: %s %g is out of range (want %g..%g)", k->name,
                     integer ? "size" : "rate", x, k->min, k->max);
            return -1;
        }
        if (n == max) {
            snprintf(err, len, "%s: more than %d %s", k->name, max, what);
            return -1;
        }
        out[n++] = x;
        if (*end == '\0') return n;
        p = end;
    }
}

static int parse_layers(const key_spec *k, const char *v, cfg *c, char *err, size_t len) {
    double sizes[MLP_MAX_LAYERS + 1];
    int n = parse_list(k, v, true, sizes, MLP_MAX_LAYERS + 1, err, len);
    if (n < 0) return -1;
    if (n < 2) {
        snprintf(err, len, "%s: '%s' needs at least an input and an output size", k->name, v);
        return -1;
    }
    memset(c->sizes, 0, sizeof c->sizes);
    for (int i = 0; i < n; i++) c->sizes[i] = (int)sizes[i];
    c->n_sizes = n;
    return 0;
}

/* A rate, or a comma-separated list of rates. */
static int parse_rates(const key_spec *k, const char *v, cfg *c, char *err, size_t len) {
    double rates[MLP_MAX_LAYERS];
    int n = parse_list(k, v, false, rates, MLP_MAX_LAYERS, err, len);
    if (n < 0) return -1;
    memset(c->dropout, 0, sizeof c->dropout);
    memcpy(c->dropout, rates, (size_t)n * sizeof *rates);
    c->n_dropout = n;
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
    case T_RATES:
        return parse_rates(k, value, c, err, len);
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
    case T_RATES: {
        size_t used = 0;
        buf[0] = '\0';
        for (int j = 0; j < c->n_dropout && used < len; j++)
            used += (size_t)snprintf(buf + used, len - used, j ? ",%.17g" : "%.17g", c->dropout[j]);
        return;
    }
    }
}

void cfg_print(FILE *f, const cfg *c, cfg_show_fn show, const void *ctx) {
    char value[1024];
    for (size_t i = 0; i < N_KEYS; i++) {
        fprintf(f, "  %-20s = ", keys[i].name);
        if (show && show(f, i, ctx)) {
            fputc('\n', f);
            continue;
        }
        cfg_format(c, i, value, sizeof value);
        fprintf(f, "%s\n", value);
    }
}

/* Key k's range in words, from the same fields that cfg_set_key checks. */
static void key_range(const key_spec *k, FILE *f) {
    switch (k->type) {
    case T_STR:
        fprintf(f, "up to %zu characters", k->size - 1);
        return;
    case T_NAME:
        fprintf(f, "letters, digits, `.`, `_`, `-` (not first `.`); up to %zu characters",
                k->size - 1);
        return;
    case T_ENUM:
        for (const char *w = k->choices; *w;) {
            size_t n = strcspn(w, " ");
            fprintf(f, "%s`%.*s`", w == k->choices ? "" : ", ", (int)n, w);
            w += n + (w[n] == ' ');
        }
        return;
    case T_U64:
        fprintf(f, "0..%llu", (unsigned long long)UINT64_MAX);
        return;
    case T_INT:
        fprintf(f, "%ld..%ld", (long)k->min, (long)k->max);
        return;
    case T_REAL:
        fprintf(f, "%s%g, %g]", k->min_open ? "(" : "[", k->min, k->max);
        return;
    case T_BOOL:
        fputs("`true`, `false`", f);
        return;
    case T_LAYERS:
        fprintf(f, "2..%d sizes, each %ld..%ld", MLP_MAX_LAYERS + 1, (long)k->min, (long)k->max);
        return;
    case T_RATES:
        fprintf(f, "1 or one per hidden layer, each [%g, %g]", k->min, k->max);
        return;
    case T_GEMM:
        fputs("`auto` or a GEMM kernel of `./experiment kernels`", f);
        return;
    case T_ACT:
        fputs("`auto` or an activation set of `./experiment kernels`", f);
        return;
    }
}

void cfg_print_keys(FILE *f) {
    static const char *const type_names[] = {
        [T_STR] = "text",    [T_NAME] = "name", [T_ENUM] = "choice",  [T_U64] = "integer",
        [T_INT] = "integer", [T_REAL] = "real", [T_BOOL] = "boolean", [T_LAYERS] = "sizes",
        [T_RATES] = "rates",
        [T_GEMM] = "kernel", [T_ACT] = "kernel"};
    fputs("| key | type | default | range | meaning |\n|---|---|---|---|---|\n", f);
    for (size_t i = 0; i < N_KEYS; i++) {
        const key_spec *k = &keys[i];
        /* An empty code span is no Markdown: the meaning says what empty means. */
        fprintf(f, "| `%s` | %s | %s%s%s | ", k->name, type_names[k->type], k->def[0] ? "`" : "",
                k->def[0] ? k->def : "(empty)", k->def[0] ? "`" : "");
        key_range(k, f);
        fprintf(f, " | %s |\n", k->meaning);
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

double cfg_dropout(const cfg *c, int l) { return c->dropout[c->n_dropout == 1 ? 0 : l]; }

int cfg_check(const cfg *c, char *err, size_t len) {
    int hidden = c->n_sizes - 2;
    if (c->n_dropout > 1 && c->n_dropout != hidden)
        snprintf(err, len, "train.dropout: %d rates for %d hidden layer%s (give one rate, or one "
                           "per hidden layer)", c->n_dropout, hidden, hidden == 1 ? "" : "s");
    else if (c->early_stop > 0 && c->val_split == 0)
        snprintf(err, len, "train.early_stop: %d needs a validation set (data.val_split > 0)",
                 c->early_stop);
    else if (c->target_acc > 0 && c->val_split == 0)
        snprintf(err, len, "train.target_acc: %g needs a validation set (data.val_split > 0)",
                 c->target_acc);
    else if (c->lr_min > c->lr && (!strcmp(c->schedule, "cosine") || !strcmp(c->schedule, "onecycle")))
        snprintf(err, len, "train.lr_min: %g is above train.lr %g", c->lr_min, c->lr);
    else if (c->warmup_epochs >= c->epochs)
        snprintf(err, len, "train.warmup_epochs: %g leaves no epoch after it (train.epochs is %d)",
                 c->warmup_epochs, c->epochs);
    else
        return 0;
    return -1;
}

const char *cfg_data_dir(const cfg *c) {
    if (c->data_dir[0]) return c->data_dir;
    return strcmp(c->dataset, "fashion-mnist") ? "data/mnist" : "/usr/share/datasets/fashion-mnist";
}
