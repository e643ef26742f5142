/* cmd_kernels.c: ./experiment kernels: the GEMM and activation tables, what each
 * kernel needs and whether this CPU runs it, and what `auto` picks here. */
#include <stdio.h>

#include "cmd.h"
#include "kernels.h"

static void print_kernel(const char *name, unsigned needs, const char *desc) {
    char feats[128];
    cpu_features_str(needs, feats, sizeof feats);
    printf("  %s %-10s needs %-48s %s\n", kernel_runs_here(needs) ? "\u2713" : "\u2717", name,
           needs ? feats : "-", desc);
}

int cmd_kernels(int argc, char **argv) {
    (void)argv;
    if (argc > 2) return cmd_fail(EXIT_INPUT, "kernels takes no arguments");
    char cpu[128], why[256];
    size_t ng, na;
    const gemm_kernel *g = gemm_table(&ng);
    const act_kernel *a = act_table(&na);
    cpu_features_str(cpu_features(), cpu, sizeof cpu);
    printf("cpu: %s; threads: %d\ngemm:\n", cpu, kernels_max_threads());
    for (size_t i = 0; i < ng; i++) print_kernel(g[i].name, g[i].needs, g[i].desc);
    printf("activation:\n");
    for (size_t i = 0; i < na; i++) print_kernel(a[i].name, a[i].needs, a[i].desc);
    printf("auto: gemm %s, activation %s\n", gemm_select("auto", why, sizeof why)->name,
           act_select("auto", why, sizeof why)->name);
    return 0;
}
