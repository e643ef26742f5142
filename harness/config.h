/* config.h: the experiment configuration, read from INI files with inih.
 *
 * Every key is a row of one table (config.c): its section, name, type, range,
 * default and meaning.  The same table parses INI files (config_ini.c),
 * `--set section.key=value`, the configuration stored in a checkpoint, writes
 * the `section.key` columns of the CSV files and prints `./experiment keys`, so
 * a new key is one row.  Every value is checked when it is set; errors name the
 * file, the line and the key.  The [sweep] section of an INI file (lists of
 * values, harness/sweep.h) goes to a callback of cfg_load_sweep_file;
 * cfg_load_file refuses it. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MLP_MAX_LAYERS 16 /* weight layers; sizes has one more entry */

typedef struct {
    /* [experiment] */
    char name[64];      /* results go to results/<name>/ */
    uint64_t seed;      /* initialization, shuffling */
    int repeats;        /* a sweep runs each point with seeds seed, seed+1, ... */
    /* [data] */
    char dataset[32];   /* mnist | fashion-mnist */
    char data_dir[512]; /* "" = the data set's default folder */
    double val_split;   /* fraction held out from the end of the training set */
    char augment[16];   /* none | affine | elastic: training batches only (augment.h) */
    double shift, rotate, scale;            /* affine: pixels, degrees, fraction */
    double elastic_alpha, elastic_sigma;    /* elastic: Simard's alpha and sigma, pixels */
    /* [model] */
    int n_sizes;        /* layers: D, hidden..., C */
    int sizes[MLP_MAX_LAYERS + 1];
    /* [train] */
    char optimizer[16]; /* sgd | momentum | adam */
    double lr, momentum;
    double ema;         /* weight averaging for evaluation; 0 = off */
    int batch, epochs;
    int n_dropout;      /* 1 (every hidden layer) or one per hidden layer */
    double dropout[MLP_MAX_LAYERS];
    double weight_decay; /* L2 (SGD, momentum) or decoupled (Adam: AdamW) */
    double max_norm;    /* clip each hidden unit's incoming weights to this L2 norm; 0 = off */
    char schedule[16];  /* constant | step | cosine | onecycle (schedule.h) */
    double warmup_epochs, lr_min, step_gamma;
    int step_epochs;
    int early_stop;     /* epochs without a better val_loss before stopping; 0 = off */
    double target_acc;  /* validation accuracy whose first epoch runs.csv records; 0 = off */
    bool profile;       /* time each phase of the steps: profile.csv (meta: no effect on results) */
    /* [kernels] */
    char gemm[32], activation[32]; /* table names or "auto" */
    int threads;                   /* 0 = every core */
} cfg;

void cfg_defaults(cfg *c);

/* Reads an INI file over *c.  On error returns -1 with "FILE:LINE: message". */
int cfg_load_file(cfg *c, const char *path, char *err, size_t err_len);

/* Applies one "section.key=value" (as given to --set, or stored in a checkpoint).
 * -1 + err on error. */
int cfg_set(cfg *c, const char *assignment, char *err, size_t err_len);

/* Called for each line of an INI file's [sweep] section, key "section.key";
 * returns 0, or -1 with a message in err (the caller adds file and line). */
typedef int (*cfg_sweep_fn)(void *ctx, const char *key, const char *value, char *err,
                            size_t err_len);

/* cfg_load_file, passing each [sweep] line to on_sweep. */
int cfg_load_sweep_file(cfg *c, const char *path, cfg_sweep_fn on_sweep, void *ctx, char *err,
                        size_t err_len);

/* The line of the INI file at path that sets key `name` ("section.key"): the line
 * that lists it in [sweep] if one does (a sweep's runs take its values from there),
 * else the last line that sets it; 0 when none does or the file cannot be read.
 * For errors about a value that only the data set can check. */
int cfg_key_line(const char *path, const char *name);

/* Sets one key from its text value, checking type and range. */
int cfg_set_key(cfg *c, const char *section, const char *key, const char *value,
                char *err, size_t err_len);

/* The keys in table order, for CSV columns and checkpoints: name i is
 * "section.key"; cfg_format writes key i's value as cfg_set_key reads it. */
size_t cfg_n_keys(void);
const char *cfg_key_name(size_t i);
/* Index of "section.key", or -1. */
int cfg_key_index(const char *name);
/* Keys that describe the experiment rather than one run (experiment.name,
 * experiment.repeats): a sweep cannot list them and a run's key leaves them out. */
bool cfg_key_is_meta(size_t i);
void cfg_format(const cfg *c, size_t i, char *buf, size_t len);

/* The echo of a resolved configuration: "  section.key = value" per key, in
 * table order.  show, when not NULL, may print key i's value itself (a sweep
 * prints its list there) and return true; otherwise c's value is printed. */
typedef bool (*cfg_show_fn)(FILE *f, size_t i, const void *ctx);
void cfg_print(FILE *f, const cfg *c, cfg_show_fn show, const void *ctx);

/* `./experiment keys`: the key table as a Markdown table, one row per key (key
 * as section.key, type, default, range, meaning).  README's "Configuration"
 * holds exactly this output (tests/test_keys.c compares them). */
void cfg_print_keys(FILE *f);

/* The checks that span keys (the dropout list against the hidden layers, early
 * stopping and target_acc against the validation set, the schedule's rates and
 * epochs): 0, or -1 with "section.key: message" in err. */
int cfg_check(const cfg *c, char *err, size_t err_len);

/* Hidden layer l's dropout rate (0 <= l < n_sizes - 2). */
double cfg_dropout(const cfg *c, int l);

/* The folder the data set is read from: data_dir, or the data set's default. */
const char *cfg_data_dir(const cfg *c);

#endif
