/* profile.h: where a training step's time goes (mlp_profile, filled by
 * mlp_train_step) against this CPU's limits: the FMA peak for the GEMM phases
 * and STREAM's triad bandwidth for the memory-bound ones, both measured on the
 * training's own threads just after it (kernels.threads = 0 picks the team size
 * at the start of each epoch).  `./experiment train --profile` prints
 * the table and writes profile.csv; a sweep with train.profile = true appends
 * each run's rows to its profile.csv. */
#ifndef PROFILE_H
#define PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "mlp.h"

typedef struct {
    int threads;
    double peak_flops; /* FMA peak of the threads, flop/s */
    double bandwidth;  /* STREAM triad on the threads, bytes/s */
} profile_limits;

/* Measures both limits on `threads` threads (about 0.1 s). */
void profile_measure(int threads, profile_limits *l);

/* The name of phase ph as the table and profile.csv print it ("fwd_gemm"). */
const char *profile_phase_name(mlp_phase ph);

/* Prints the table: per phase, microseconds per step, share of the step,
 * GFLOP/s and % of peak (GEMM phases), GB/s and % of bandwidth (gather,
 * optimizer). */
void profile_print(const mlp_profile *p, const profile_limits *l);

/* Writes (append: adds to) the CSV at path, one row per phase:
 * run,gemm,activation,threads,layers,batch,phase,us_per_step,share_pct,gflops,
 * pct_peak,gbytes_per_s,pct_bandwidth (run: "" for ./experiment train, the
 * run's id in a sweep; empty cells where a figure does not apply).  A new file
 * gets the header.  0, or -1 + err. */
int profile_write(const char *path, bool append, const char *run, const cfg *c,
                  const char *gemm, const char *act, const mlp_profile *p,
                  const profile_limits *l, char *err, size_t err_len);

#endif
