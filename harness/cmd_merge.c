/* cmd_merge.c: ./experiment merge [--out DIR] DIR...: the results of a sweep's
 * shards combined (results.h's results_merge) and summarized. */
#include <stdio.h>

#include "cmd.h"
#include "results.h"

int cmd_merge(int argc, char **argv) {
    char err[1024], out[256];
    cmd_args a;
    size_t n_runs;
    if (cmd_parse_args(argc, argv, "--out", argc, &a, err, sizeof err)) {
        cmd_free_args(&a);
        return cmd_fail(EXIT_INPUT, err);
    }
    if (!a.n_pos) {
        cmd_free_args(&a);
        return cmd_fail(EXIT_INPUT, "merge needs the results folders of a sweep's shards");
    }
    int rc = results_merge(a.pos, a.n_pos, a.out, out, sizeof out, &n_runs, err, sizeof err);
    cmd_free_args(&a);
    if (rc) return cmd_fail(EXIT_INPUT, err);
    printf("merged %zu runs into %s/{runs,epochs,summary}.csv\n", n_runs, out);
    return cmd_summarize(out, NULL, err, sizeof err) ? cmd_fail(EXIT_RUN, err) : 0;
}
