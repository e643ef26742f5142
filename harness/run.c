/* run.c: see run.h.  The executor forks one child per run: a crash or an
 * out-of-memory kill costs that run only (recorded as failed), OpenMP starts
 * fresh in each child with its share of the cores, and the parent never runs a
 * kernel, so forking is safe. */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results.h"

int run_data_load(const cfg *c, bool with_train, run_data *d, char *err, size_t len) {
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "%s", cfg_data_dir(c));
    if ((with_train && mnist_load(d->dir, "train", &d->train, err, len)) ||
        mnist_load(d->dir, "t10k", &d->test, err, len)) {
        if (!strcmp(c->dataset, "mnist") && !c->data_dir[0] && errno == ENOENT)
            snprintf(err + strlen(err), len - strlen(err), " (run: make data)");
        run_data_free(d);
        return -1;
    }
    return 0;
}

void run_data_free(run_data *d) {
    mnist_free(&d->train);
    mnist_free(&d->test);
}

int run_data_check(const cfg *c, const run_data *d, char *err, size_t len) {
    if (cfg_check(c, err, len)) return -1;
    if (!strcmp(c->augment, "elastic") && d->train.n && d->train.rows != d->train.cols) {
        snprintf(err, len, "data.augment: elastic needs square images, %s has %dx%d", d->dir,
                 d->train.rows, d->train.cols);
        return -1;
    }
    /* Each loaded split: the model reads sizes[0] pixels of every image, so training
     * images smaller than the test images would be read past their end. */
    const mnist_set *splits[] = {&d->test, &d->train};
    const char *names[] = {"test", "training"};
    int C = c->sizes[c->n_sizes - 1];
    for (int i = 0; i < 2; i++) {
        const mnist_set *s = splits[i];
        int pixels = s->rows * s->cols;
        if (s->n && (c->sizes[0] != pixels || C != MNIST_CLASSES)) {
            snprintf(err, len, "model.layers: %d inputs and %d outputs, but %s has %dx%d = %d-pixel "
                               "%s images and %d classes (layers must start with %d and end with %d)",
                     c->sizes[0], C, d->dir, s->rows, s->cols, pixels, names[i], MNIST_CLASSES,
                     pixels, MNIST_CLASSES);
            return -1;
        }
    }
    if (d->train.n && (int)(d->train.n * (1.0 - c->val_split)) < 1) {
        snprintf(err, len, "data.val_split: %g leaves no training images of %d", c->val_split,
                 d->train.n);
        return -1;
    }
    return 0;
}

void run_data_split(const cfg *c, const run_data *d, data_view *train, data_view *val) {
    int split_at = (int)(d->train.n * (1.0 - c->val_split));
    *train = data_rows(&d->train, 0, split_at);
    *val = data_rows(&d->train, split_at, d->train.n);
}

int run_select_kernels(const cfg *c, int default_threads, run_kernels *k, char *err,
                       size_t len) {
    char why[256];
    if (!(k->gemm = gemm_select(c->gemm, why, sizeof why)) ||
        !(k->act = act_select(c->activation, why, sizeof why))) {
        snprintf(err, len, "%s", why);
        return -1;
    }
    k->threads = kernels_set_threads(c->threads ? c->threads : default_threads);
    kernels_flush_denormals(true);
    return 0;
}

int run_model(const cfg *c, const gemm_kernel *g, const act_kernel *a, mlp_model *m,
              rng_state *rng, char *err, size_t len) {
    int max_batch = c->batch > RUN_EVAL_BATCH ? c->batch : RUN_EVAL_BATCH;
    if (mlp_create(m, c->n_sizes, c->sizes, max_batch, g, a, err, len)) return -1;
    rng_seed(rng, c->seed);
    mlp_init_he(m, rng);
    return 0;
}

void run_fit(const cfg *c, const run_data *d, mlp_model *m, rng_state *rng, batch_fn on_batch,
             epoch_fn on_epoch, void *ctx, run_result *r) {
    data_view tr, val;
    run_data_split(c, d, &tr, &val);
    memset(r, 0, sizeof *r);
    const mlp_opt o_opt = mlp_opt_from_cfg(c);
    r->hist = xcalloc((size_t)c->epochs, sizeof *r->hist);
    r->gemm = m->gemm->name;
    r->act = m->ak->name;
    /* kernels.threads = 0: each epoch's first steps pick 1 or every thread */
    train_pick pick = {.all = mlp_team_size(m)};
    train_opts o = {.epochs = c->epochs, .batch = c->batch, .opt = o_opt, .rng = rng,
                    .on_batch = on_batch, .on_epoch = on_epoch, .ctx = ctx,
                    .prof = c->profile ? &r->prof : NULL,
                    .pick = c->threads == 0 && pick.all > 1 ? &pick : NULL,
                    .early_stop = c->early_stop};
    /* constant without a warm-up gives (float)lr at every step: opt.lr's bits */
    const schedule sched = schedule_from_cfg(c);
    o.sched = &sched;
    augment aug;
    if (augment_init(&aug, c, d->train.rows, d->train.cols, m->ak)) o.aug = &aug;
    double t0 = now_seconds();
    int diverged = train_fit(m, tr, val, &o, r->hist, &r->epoch_kept, r->why, sizeof r->why);
    r->train_seconds = now_seconds() - t0;
    augment_free(&aug); /* augment_init zeroed it when it said no */
    r->threads = mlp_team_size(m);
    r->picked = pick.picked;
    memcpy(r->pick_us, pick.us, sizeof r->pick_us);
    if (c->profile) { /* the limits of the team that ran, measured after its steps */
        r->profiled = true;
        profile_measure(r->threads, &r->limits);
    }
    while (r->epochs < c->epochs && r->hist[r->epochs].epoch) r->epochs++;
    /* train.target_acc: the first epoch that reached it, and the seconds until then */
    r->target_seconds = NAN;
    double seconds = 0;
    for (int e = 0; c->target_acc > 0 && e < r->epochs && !r->target_epoch; e++) {
        seconds += r->hist[e].seconds;
        if (r->hist[e].val_acc >= c->target_acc) r->target_epoch = e + 1, r->target_seconds = seconds;
    }
    r->samples_per_second = r->epochs ? (double)tr.n * r->epochs / r->train_seconds : NAN;
    if (diverged) {
        r->status = RUN_DIVERGED;
        return;
    }
    r->pred = xmalloc((size_t)d->test.n);
    train_evaluate(m, data_rows(&d->test, 0, d->test.n), &r->test, r->pred);
    r->status = RUN_OK;
}

void run_result_free(run_result *r) {
    free(r->hist);
    free(r->pred);
    memset(r, 0, sizeof *r);
}

const run_data *run_plan_data(const run_plan *p, const cfg *c) {
    for (size_t i = 0; i < p->n_data; i++)
        if (!strcmp(p->data[i].dir, cfg_data_dir(c))) return &p->data[i];
    return NULL;
}

static volatile sig_atomic_t stop_signal; /* SIGINT or SIGTERM received by the parent */

static void on_stop(int sig) { stop_signal = sig; }

/* The child's exit status: CHILD_ROW + run_status once its row is written. */
enum { CHILD_ROW = 0, CHILD_NO_ROW = 9 };

/* The child: one run, its rows appended. */
static int child_run(const run_plan *p, run_progress *pr, const cfg *c) {
    char err[1024], why[256], run_id[SWEEP_KEY_LEN], swept[256];
    run_result r = {0};
    mlp_model m;
    rng_state rng;
    run_kernels k;
    int share = p->cores / p->jobs;
    bool have_kernels = run_select_kernels(c, share > 0 ? share : 1, &k, why, sizeof why) == 0;
    const run_data *d = run_plan_data(p, c);
    if (!have_kernels || !d || run_model(c, k.gemm, k.act, &m, &rng, r.why, sizeof r.why)) {
        /* Checked before the sweep started; kept as a failed row if it happens. */
        snprintf(r.why, sizeof r.why, "%s", !have_kernels ? why : !d ? "data set not loaded" : r.why);
        r.status = RUN_FAILED;
        r.train_seconds = r.samples_per_second = NAN;
    } else {
        run_fit(c, d, &m, &rng, p->hooks.on_batch, p->hooks.on_epoch, pr, &r);
        mlp_free(&m);
    }
    sweep_run_key(c, pr->repeat, run_id);
    sweep_keys(p->s, swept, sizeof swept);
    results_run row = {.run_id = run_id, .sweep_id = p->sweep_id, .swept = swept,
                       .label = pr->label, .point = pr->point, .repeat = pr->repeat, .c = c,
                       .r = &r};
    /* rc 1: the same run was recorded by another process (the same sweep running
     * twice on this folder); its row stands. */
    int rc = results_append(p->dir, &row, err, sizeof err);
    if (rc == 0 && r.profiled) { /* train.profile: this run's rows of profile.csv */
        char path[4096];
        int fd;
        snprintf(path, sizeof path, "%s/profile.csv", p->dir);
        if ((rc = csv_lock(p->dir, &fd, err, sizeof err)) == 0) {
            rc = profile_write(path, true, run_id, c, r.gemm, r.act, &r.prof, &r.limits, err,
                               sizeof err);
            csv_unlock(fd);
        }
    }
    if (rc < 0 && p->hooks.on_error) p->hooks.on_error(pr, err);
    if (rc >= 0 && p->hooks.on_end) p->hooks.on_end(pr, &r);
    int code = rc < 0 ? CHILD_NO_ROW : CHILD_ROW + (int)r.status;
    run_result_free(&r);
    return code;
}

/* A row for a run whose child died without writing one. */
static int record_failure(const run_plan *p, const run_progress *pr, const cfg *c,
                          const char *why, char *err, size_t len) {
    char run_id[SWEEP_KEY_LEN], swept[256];
    run_result r = {.status = RUN_FAILED, .train_seconds = NAN, .samples_per_second = NAN};
    snprintf(r.why, sizeof r.why, "%s", why);
    sweep_run_key(c, pr->repeat, run_id);
    sweep_keys(p->s, swept, sizeof swept);
    results_run row = {.run_id = run_id, .sweep_id = p->sweep_id, .swept = swept,
                       .label = pr->label, .point = pr->point, .repeat = pr->repeat, .c = c,
                       .r = &r};
    return results_append(p->dir, &row, err, len) < 0 ? -1 : 0;
}

typedef struct {
    pid_t pid;
    size_t run;
    double started;
} child;

typedef struct {
    const run_plan *p;
    child *kids;
    int active;
    bool killed;
    double busy;     /* seconds of finished runs */
    size_t finished; /* runs that wrote their row */
    run_counts *n;
} pool;

static run_progress progress_of(const run_plan *p, size_t r, cfg *c, char *label, size_t len) {
    size_t point;
    int repeat;
    sweep_run(p->s, r, c, &point, &repeat);
    sweep_label(p->s, point, label, len);
    return (run_progress){.run = r, .n_runs = sweep_n_runs(p->s), .point = point,
                          .repeat = repeat, .jobs = p->jobs, .epochs = c->epochs,
                          .seed = c->seed, .label = label,
                          .eta = NAN, .user = p->hooks.user};
}

/* A child's run recorded with status st. */
static void count_done(pool *q, const child *kid, run_status st) {
    *(st == RUN_OK ? &q->n->ok : st == RUN_DIVERGED ? &q->n->diverged : &q->n->failed) += 1;
    q->busy += now_seconds() - kid->started;
    q->finished++;
}

/* Waits for one child and accounts for it.  0, or -1 + err. */
static int reap(pool *q, char *err, size_t len) {
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
        if (errno != EINTR) {
            snprintf(err, len, "waitpid: %s", strerror(errno));
            return -1;
        }
        if (stop_signal && !q->killed)
            for (int k = 0; k < q->active; k++) kill(q->kids[k].pid, SIGTERM);
        q->killed = stop_signal != 0;
        return 0;
    }
    int k = 0;
    while (k < q->active && q->kids[k].pid != pid) k++;
    if (k == q->active) return 0;
    child kid = q->kids[k];
    q->kids[k] = q->kids[--q->active];
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code >= CHILD_ROW && code <= CHILD_ROW + RUN_FAILED) {
        count_done(q, &kid, (run_status)(code - CHILD_ROW));
        return 0;
    }
    if (stop_signal) return 0; /* stopped on purpose: no row, so it runs on resume */
    cfg c;
    char label[1024], why[160];
    run_progress pr = progress_of(q->p, kid.run, &c, label, sizeof label);
    if (code == CHILD_NO_ROW) { /* the child said why */
        snprintf(err, len, "%s: could not write the results of run %zu", q->p->dir, kid.run + 1);
        return -1;
    }
    char run_id[SWEEP_KEY_LEN];
    sweep_run_key(&c, pr.repeat, run_id);
    int recorded = results_recorded(q->p->dir, run_id);
    if (recorded >= 0) { /* killed on its way out, after writing its row: the run is done */
        count_done(q, &kid, (run_status)recorded);
        return 0;
    }
    if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "its process was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(why, sizeof why, "its process exited with status %d", code);
    if (q->p->hooks.on_error) q->p->hooks.on_error(&pr, why);
    q->n->failed++;
    return record_failure(q->p, &pr, &c, why, err, len);
}

int run_sweep(const run_plan *p, run_counts *n, char *err, size_t len) {
    size_t n_runs = sweep_n_runs(p->s);
    bool *todo = xcalloc(n_runs + 1, sizeof *todo);
    memset(n, 0, sizeof *n);
    for (size_t r = 0; r < n_runs; r++) {
        cfg c;
        size_t point;
        int repeat;
        char key[SWEEP_KEY_LEN];
        if (!sweep_in_shard(r, p->shard_index, p->shard_count)) continue;
        sweep_run(p->s, r, &c, &point, &repeat);
        sweep_run_key(&c, repeat, key);
        todo[r] = !results_done(p->done, key);
        *(todo[r] ? &n->todo : &n->skipped) += 1;
    }
    pool q = {.p = p, .kids = xcalloc((size_t)p->jobs, sizeof(child)), .n = n};
    struct sigaction stop = {.sa_handler = on_stop}, old_int, old_term;
    sigemptyset(&stop.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &stop, &old_int);
    sigaction(SIGTERM, &stop, &old_term);
    int rc = 0;
    size_t launched = 0;
    pid_t parent = getpid();
    for (size_t r = 0; r < n_runs && rc == 0 && !stop_signal; r++) {
        if (!todo[r]) continue;
        while (rc == 0 && q.active == p->jobs && !stop_signal) rc = reap(&q, err, len);
        if (rc || stop_signal) break;
        cfg c;
        char label[1024];
        run_progress pr = progress_of(p, r, &c, label, sizeof label);
        if (q.finished)
            pr.eta = q.busy / (double)q.finished * (double)(n->todo - launched) / p->jobs;
        if (p->hooks.on_start) p->hooks.on_start(&pr);
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            snprintf(err, len, "fork: %s", strerror(errno));
            rc = -1;
        } else if (pid == 0) {
            /* A run outliving a killed parent could race a resumed sweep for its row. */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent) _exit(CHILD_NO_ROW);
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            free(q.kids); /* the parent's bookkeeping: the child leaves by _exit */
            free(todo);
            int code = child_run(p, &pr, &c);
            fflush(stdout);
            fflush(stderr);
            _exit(code);
        } else {
            q.kids[q.active++] = (child){.pid = pid, .run = r, .started = now_seconds()};
            launched++;
        }
    }
    while (q.active > 0) {
        char more[512];
        if (stop_signal && !q.killed) {
            for (int k = 0; k < q.active; k++) kill(q.kids[k].pid, SIGTERM);
            q.killed = true;
        }
        if (reap(&q, rc ? more : err, rc ? sizeof more : len)) rc = -1;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    n->interrupted = stop_signal != 0;
    free(q.kids);
    free(todo);
    return rc;
}
