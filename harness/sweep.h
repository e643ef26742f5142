/* sweep.h: a sweep is an INI file's configuration plus its [sweep] section, a
 * list of values for any configuration key:
 *
 *   [sweep]
 *   train.lr        = logspace(1e-4, 1e-1, 7)
 *   train.optimizer = sgd, adam
 *   model.layers    = 784,128,10 | 784,256,10     ; values holding commas: '|'
 *
 * A list is separated by '|' when its line holds one, by ',' otherwise; items
 * may be values or the generators logspace(a, b, n) and linspace(a, b, n) (n
 * values from a to b, both included).  The points are the cartesian product of
 * the lists (the first list varies slowest), and each point runs
 * experiment.repeats times with seeds seed, seed+1, ...; run r is point
 * r / repeats, repeat r % repeats.  Every value is checked against the key table
 * when the file is read, so errors name the file and line.
 *
 * This module expands the grid and names runs (keys, shards); it does not train
 * (run.h) or write results (results.h). */
#ifndef SWEEP_H
#define SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define SWEEP_MAX_AXES 16
#define SWEEP_KEY_LEN 17 /* 16 hex digits and a NUL */

typedef struct {
    int key;       /* index in the config key table */
    size_t n;      /* >= 1 */
    char **values; /* (n) text values, each valid for the key */
} sweep_axis;

typedef struct {
    cfg base; /* the file's configuration and --set overrides */
    int n_axes;
    sweep_axis axes[SWEEP_MAX_AXES];
} sweep;

/* Splits a [sweep] value into its list (fresh strings, free each and the array),
 * expanding generators.  0, or -1 + err naming the item. */
int sweep_parse_values(const char *text, char ***values, size_t *n, char *err, size_t err_len);

/* Reads path over the defaults, applies the "section.key=value" sets, and checks
 * every listed value.  0, or -1 + err ("FILE:LINE: message" for the file). */
int sweep_load(sweep *s, const char *path, const char *const *sets, int n_sets, char *err,
               size_t err_len);
void sweep_free(sweep *s);

size_t sweep_n_points(const sweep *s);
size_t sweep_n_runs(const sweep *s); /* points * repeats */

/* The configuration of run r (0-based), its point and its repeat. */
void sweep_run(const sweep *s, size_t r, cfg *c, size_t *point, int *repeat);

/* "train.lr=0.001 train.optimizer=adam": the listed values of a point, as
 * written; "" without lists. */
void sweep_label(const sweep *s, size_t point, char *buf, size_t len);
/* "train.lr train.optimizer": the listed keys in order. */
void sweep_keys(const sweep *s, char *buf, size_t len);

/* The echo of the sweep's configuration, as cfg_print writes one, with each
 * listed key's values ("[2 values] sgd | adam") in place of its base value. */
void sweep_print(FILE *f, const sweep *s);

/* A run's key: FNV-1a 64 of every resolved value (meta keys left out) and the
 * repeat, in hex.  Equal keys mean equal runs, so results are resumed by key. */
void sweep_run_key(const cfg *c, int repeat, char key[SWEEP_KEY_LEN]);

/* The sweep's identity: a hash of all its run keys in order.  Shards of one sweep
 * share it; merge refuses results whose ids differ. */
void sweep_id(const sweep *s, char id[SWEEP_KEY_LEN]);

/* "--shard i/n": 1 <= i <= n.  0, or -1 + err. */
int sweep_parse_shard(const char *text, int *index, int *count, char *err, size_t err_len);
/* The shard of a Slurm job array (SLURM_ARRAY_TASK_ID, _COUNT and _MIN): 1 when
 * the variables are set, 0 when not (1/1), -1 + err when they make no sense. */
int sweep_shard_from_env(int *index, int *count, char *err, size_t err_len);
/* Run r belongs to shard i of n (round robin, so every shard gets a similar mix). */
bool sweep_in_shard(size_t r, int index, int count);

#endif
