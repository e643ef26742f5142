/* cmd.h: the subcommands of ./experiment (one file each, cmd_<name>.c) and what
 * they share (cmd.c): their options, the exit codes, where a bad key was set,
 * the kernels' choice and a sweep's summary.
 *
 * A command gets main's argc and argv (argv[1] is its name), prints, and returns
 * the exit status: 0 ok, 1 the run failed (diverged, could not write results),
 * 2 bad input (usage, configuration, data).  Everything below the commands
 * returns 0 or -1 with a message; only the commands print errors. */
#ifndef CMD_H
#define CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "run.h"
#include "sweep.h"

#define EXIT_RUN 1
#define EXIT_INPUT 2
#define DEFAULT_EXPERIMENT "experiments/mnist.ini"

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_kernels(int argc, char **argv);
int cmd_keys(int argc, char **argv);

/* "experiment: msg" on stderr; returns code. */
int cmd_fail(int code, const char *msg);

/* The arguments after the command: options and positionals. */
typedef struct {
    int n_pos, n_sets;
    const char **pos, **sets; /* sets: "section.key=value" */
    bool dry_run, sbatch;
    const char *jobs, *shard, *out, *array_size; /* NULL unless given */
    int n_rest;
    const char **rest; /* after "--" (only where takes has "--"): passed on verbatim */
} cmd_args;

/* Parses argv[2..]: --set everywhere, and the options of takes ("--dry-run
 * --jobs --shard --out --profile --sbatch --array-size -- ARGS": those this command
 * accepts; "--" ends the options, what follows goes to rest); at most max_pos
 * positionals.  0, or -1 + err naming the argument (free with cmd_free_args
 * either way). */
int cmd_parse_args(int argc, char **argv, const char *takes, int max_pos, cmd_args *a,
                   char *err, size_t err_len);
void cmd_free_args(cmd_args *a);

/* text as a whole number in 1..max, the value of option: 0, or -1 + err
 * ("--jobs 'x': want a count of 1..max" and then why, e.g. " (the sweep's runs)"). */
int cmd_parse_count(const char *text, const char *option, int max, const char *why, int *out,
                    char *err, size_t err_len);

/* Applies a's --set options to c in order.  0, or -1 + err ("--set ..."). */
int cmd_apply_sets(const cmd_args *a, cfg *c, char *err, size_t err_len);

/* "lr.ini" finds experiments/lr.ini unless the current folder has one; buf
 * holds the path when it is not arg. */
const char *cmd_resolve_ini(const char *arg, char *buf, size_t len);

/* Prefixes err with where the configuration key it starts with was set, when it
 * starts with one ("model.layers: ...", as run_data_check writes): the key's last
 * --set, else the line of the INI file at path that sets it, else the file (the
 * key has its default there).  argv is parsed again, with takes, for the sets. */
void cmd_blame_key(int argc, char **argv, const char *takes, const char *path, char *err,
                   size_t err_len);

/* Selects c's kernels (all cores unless kernels.threads) and says which.  0, or
 * -1 + err. */
int cmd_choose_kernels(const cfg *c, run_kernels *k, char *err, size_t err_len);

/* Reads dir/runs.csv back, writes dir/summary.csv and prints the summary of the
 * sweep's runs (sw NULL: of every row).  0, or -1 + err. */
int cmd_summarize(const char *dir, const sweep *sw, char *err, size_t err_len);

#endif
