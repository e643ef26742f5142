/* profile.c: the table and profile.csv of profile.h. */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "kernels.h"
#include "util.h"

/* STREAM's arrays: 8 Mi floats (32 MiB) each, past every core's L2 and most L3
 * slices, so that triad measures the memory the optimizer's arrays fall back to. */
enum { PROFILE_STREAM_FLOATS = 8 << 20, PROFILE_STREAM_REPS = 5 };

void profile_measure(int threads, profile_limits *l) {
    l->threads = threads;
    l->peak_flops = kernels_fma_peak(threads);
    l->bandwidth = kernels_stream(STREAM_TRIAD, PROFILE_STREAM_FLOATS, threads, PROFILE_STREAM_REPS);
}

const char *profile_phase_name(mlp_phase ph) {
    static const char *const names[MLP_PHASES] = {"augment",  "gather",    "fwd_gemm",
                                                  "bwd_gemm", "act_loss",  "optimizer",
                                                  "sync",     "other"};
    return names[ph];
}

/* One phase's figures per step; a rate is 0 where it does not apply. */
typedef struct {
    double us, share, gflops, pct_peak, gbs, pct_bw;
} profile_row;

static double profile_total(const mlp_profile *p) {
    double t = 0;
    for (int ph = 0; ph < MLP_PHASES; ph++) t += p->seconds[ph];
    return t;
}

static profile_row profile_figures(const mlp_profile *p, const profile_limits *l, mlp_phase ph) {
    profile_row r = {0};
    double s = p->seconds[ph], total = profile_total(p);
    if (p->steps) r.us = 1e6 * s / (double)p->steps;
    if (total > 0) r.share = 100 * s / total;
    if (s > 0 && p->flops[ph] > 0) {
        r.gflops = 1e-9 * p->flops[ph] / s;
        if (l->peak_flops > 0) r.pct_peak = 100 * p->flops[ph] / s / l->peak_flops;
    }
    if (s > 0 && p->bytes[ph] > 0) {
        r.gbs = 1e-9 * p->bytes[ph] / s;
        if (l->bandwidth > 0) r.pct_bw = 100 * p->bytes[ph] / s / l->bandwidth;
    }
    return r;
}

void profile_print(const mlp_profile *p, const profile_limits *l) {
    printf("\nprofile: %ld steps on %d thread%s; FMA peak %.0f GFLOP/s, STREAM triad %.1f GB/s "
           "(measured after training)\n",
           p->steps, l->threads, l->threads == 1 ? "" : "s", 1e-9 * l->peak_flops,
           1e-9 * l->bandwidth);
    printf("  %-10s %10s %7s %9s %7s %8s %7s\n", "phase", "us/step", "share", "GFLOP/s", "%peak",
           "GB/s", "%bw");
    for (int ph = 0; ph < MLP_PHASES; ph++) {
        profile_row r = profile_figures(p, l, (mlp_phase)ph);
        char flops[2][16] = {"", ""}, bytes[2][16] = {"", ""};
        if (r.gflops > 0) {
            snprintf(flops[0], sizeof flops[0], "%.1f", r.gflops);
            snprintf(flops[1], sizeof flops[1], "%.1f", r.pct_peak);
        }
        if (r.gbs > 0) {
            snprintf(bytes[0], sizeof bytes[0], "%.1f", r.gbs);
            snprintf(bytes[1], sizeof bytes[1], "%.1f", r.pct_bw);
        }
        printf("  %-10s %10.2f %6.1f%% %9s %7s %8s %7s\n", profile_phase_name((mlp_phase)ph), r.us,
               r.share, flops[0], flops[1], bytes[0], bytes[1]);
    }
    printf("  %-10s %10.2f %6.1f%%\n", "step", p->steps ? 1e6 * profile_total(p) / (double)p->steps : 0.0,
           100.0);
}

#define PROFILE_HEADER                                                                       \
    "run,gemm,activation,threads,layers,batch,phase,us_per_step,share_pct,gflops,pct_peak," \
    "gbytes_per_s,pct_bandwidth\n"

/* A number, or nothing where it does not apply (0). */
static void profile_cell(FILE *f, double x) {
    if (x > 0) fprintf(f, ",%.4g", x);
    else fputs(",", f);
}

/* The rows as one string (caller frees), NULL when out of memory. */
static char *profile_rows(const char *run, const cfg *c, const char *gemm, const char *act,
                          const mlp_profile *p, const profile_limits *l) {
    char *text = NULL, layers[256] = "";
    size_t len = 0, used = 0;
    for (int i = 0; i < c->n_sizes; i++)
        used += (size_t)snprintf(layers + used, sizeof layers - used, "%s%d", i ? "-" : "", c->sizes[i]);
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    for (int ph = 0; ph < MLP_PHASES; ph++) {
        profile_row r = profile_figures(p, l, (mlp_phase)ph);
        csv_field(f, run);
        fputc(',', f);
        csv_field(f, gemm);
        fputc(',', f);
        csv_field(f, act);
        fprintf(f, ",%d,%s,%d,%s,%.4g,%.4g", l->threads, layers, c->batch,
                profile_phase_name((mlp_phase)ph), r.us, r.share);
        profile_cell(f, r.gflops);
        profile_cell(f, r.pct_peak);
        profile_cell(f, r.gbs);
        profile_cell(f, r.pct_bw);
        fputc('\n', f);
    }
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

int profile_write(const char *path, bool append, const char *run, const cfg *c,
                  const char *gemm, const char *act, const mlp_profile *p,
                  const profile_limits *l, char *err, size_t err_len) {
    char *rows = profile_rows(run, c, gemm, act, p, l);
    if (!rows) {
        snprintf(err, err_len, "%s: out of memory formatting the profile", path);
        return -1;
    }
    int rc;
    if (append) {
        rc = csv_append(path, PROFILE_HEADER, rows, err, err_len);
    } else {
        afile a;
        rc = afile_open(&a, path, err, err_len);
        if (rc == 0) {
            fputs(PROFILE_HEADER, a.f);
            fputs(rows, a.f);
            rc = afile_commit(&a, err, err_len);
        }
    }
    free(rows);
    return rc;
}
