/* experiment.c: main of ./experiment, the command line of simd-mlp: a table of
 * the subcommands, each in its own file (cmd_<name>.c, declared in cmd.h), and
 * the usage text printed from it.
 *
 * Training itself is run.c's (train runs one configuration, sweep each point of
 * a grid in child processes).  Exit status: 0 ok, 1 the run failed (diverged,
 * could not write results), 2 bad input (usage, configuration, data). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "kernels.h"

static int cmd_help(int argc, char **argv);

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* main's argc and argv; returns the exit status */
    const char *args;                  /* its arguments in the usage */
    const char *help;                  /* what it does; '\n' between the usage's lines */
} command;

static const command commands[] = {
    {"train", cmd_train, "[FILE.ini] [--set section.key=value ...] [--profile]",
     "train the MLP of FILE.ini (default " DEFAULT_EXPERIMENT "); a FILE with no\n"
     "folder that is not in the current one is looked up in experiments/;\n"
     "--profile (train.profile=true): where each step's time goes, against\n"
     "the FMA peak and memory bandwidth: a table and results/<name>/profile.csv"},
    {"sweep", cmd_sweep, "FILE.ini [--set section.key=value ...] [--dry-run] [--jobs N] [--shard i/n]\n"
     "       FILE.ini [--set ...] --sbatch [--array-size N] [-- SBATCH-OPTIONS ...]",
     "train every point of FILE's [sweep] lists (lr.ini: experiments/lr.ini);\n"
     "results/<name>/runs.csv, epochs.csv, summary.csv; run again to resume.\n"
     "--dry-run lists the runs; --jobs N runs N at once, dividing the cores;\n"
     "--shard i/n (default: SLURM_ARRAY_TASK_ID/COUNT) runs every n-th run;\n"
     "--sbatch writes results/<name>/sweep.sbatch, a Slurm job array of N tasks\n"
     "(default: one per run), each a shard, for `sbatch` (resubmit to resume)"},
    {"merge", cmd_merge, "[--out DIR] DIR...",
     "combine the results of a sweep's shards (default DIR: results/<name>)"},
    {"eval", cmd_eval, "CHECKPOINT [--set section.key=value ...]",
     "evaluate a saved model on its data set's test images"},
    {"kernels", cmd_kernels, "",
     "list the GEMM and activation kernels and whether this CPU runs them"},
    {"keys", cmd_keys, "",
     "list every INI key: type, default, range and meaning (README's table)"},
    {"help", cmd_help, "", "this text"},
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f) {
    fputs("usage: experiment <command> [args]\n", f);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const command *c = &commands[i];
        fprintf(f, "  %s%s%s\n", c->name, c->args[0] ? " " : "", c->args);
        for (const char *line = c->help; *line;) {
            size_t n = strcspn(line, "\n");
            fprintf(f, "        %.*s\n", (int)n, line);
            line += n + (line[n] == '\n');
        }
    }
    fputs("exit status: 0 ok, 1 the run failed, 2 bad input (usage, configuration, data)\n", f);
}

static int cmd_help(int argc, char **argv) {
    (void)argc;
    (void)argv;
    usage(stdout);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs("experiment: missing command\n", stderr);
        usage(stderr);
        return EXIT_INPUT;
    }
    const char *name = argv[1];
    char why[128];
    if (kernels_env_error(why, sizeof why)) return cmd_fail(EXIT_INPUT, why);
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) name = "help";
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(name, commands[i].name)) return commands[i].run(argc, argv);
    fprintf(stderr, "experiment: unknown command '%s'\n", name);
    usage(stderr);
    return EXIT_INPUT;
}
