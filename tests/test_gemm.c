/* test_gemm.c: gemm_naive against products worked out by hand, then every other
 * gemm table entry this CPU runs against gemm_naive: fixed shapes around the tile
 * and cache-block sizes with every ta/tb, alpha and beta, 200 random shapes, and
 * the degenerate cases (M, N, K or alpha zero).  C starts as NaN when beta == 0;
 * the ld padding of A, B and C holds NaN guard cells, and C's must come back bit
 * for bit.  Entries with a fused bias_act are checked against naive + the scalar
 * bias_act.  New table rows are covered without touching this file; an entry this
 * CPU cannot run is skipped with the reason. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const uint64_t SEED = 0x5eed2024;
static const uint32_t GUARD_BITS = 0x7fc0deadu; /* a quiet NaN with a payload */
static const float ALPHAS[] = {1.0f, -0.5f, 2.5f};
static const float BETAS[] = {0.0f, 0.5f, 1.0f};

/* splitmix64: small, and the same sequence everywhere. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static float rng_uniform(uint64_t *s) /* in [-1, 1) */
{
    return (float)((double)(rng_next(s) >> 40) / (double)(1u << 23) - 1.0);
}

static int rng_int(uint64_t *s, int lo, int hi) /* in [lo, hi] */
{
    return lo + (int)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

static float guard(void)
{
    float f;
    memcpy(&f, &GUARD_BITS, sizeof f);
    return f;
}

static bool is_guard(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits == GUARD_BITS;
}

/* A rows x cols row-major matrix with leading dimension ld = cols + pad; every
 * cell starts as a guard NaN. */
typedef struct {
    int rows, cols, ld;
    float *v; /* (rows, ld) */
} mat;

static mat mat_new(int rows, int cols, int pad)
{
    mat m = {rows, cols, cols + pad, NULL};
    size_t n = (size_t)rows * m.ld;
    m.v = malloc((n ? n : 1) * sizeof *m.v);
    cr_assert(m.v, "out of memory for a %d x %d matrix", rows, m.ld);
    for (size_t i = 0; i < n; i++)
        m.v[i] = guard();
    return m;
}

static float *at(const mat *m, int r, int c)
{
    return &m->v[(size_t)r * m->ld + c];
}

static void mat_fill(mat *m, uint64_t *rng)
{
    for (int r = 0; r < m->rows; r++)
        for (int c = 0; c < m->cols; c++)
            *at(m, r, c) = rng_uniform(rng);
}

/* A copy of m, with |x| in place of x inside the rows x cols block. */
static mat mat_copy(const mat *m, bool abs_values)
{
    mat c = mat_new(m->rows, m->cols, m->ld - m->cols);
    memcpy(c.v, m->v, (size_t)m->rows * m->ld * sizeof *m->v);
    for (int r = 0; abs_values && r < m->rows; r++)
        for (int k = 0; k < m->cols; k++)
            *at(&c, r, k) = fabsf(*at(&c, r, k));
    return c;
}

/* Compares got with want inside the M x N block and requires every padding cell of
 * got to still be the guard.  The bound, per element (u = FLT_EPSILON/2):
 *   T = |alpha| * sum_k |a_ik b_kj| + |beta c_ij|  (T from gemm_naive on |A|, |B|).
 *   A kernel that sums the K products in any order and blocking, with or without
 *   FMA, then applies alpha and beta (at most 3 more roundings, alpha folded into
 *   A or B included) is within gamma(K+3)*T of the exact value, gamma(n) =
 *   n*u/(1 - n*u) (Higham, Accuracy and Stability, 3.1 and 3.5); a K-block
 *   blocking that applies beta first and then adds each block stays within it.
 *   gemm_naive is within u*T (+ K*2^-53*T, double sums).  So |got - want| <=
 *   (K + 4)*u*T*(1 + tiny), and (K + 4)*FLT_EPSILON*T leaves a factor of 2: that is
 *   gemm_error_bound (kernels.h), which adds bf16's rounding for KERNEL_BF16. */
static void check_result(const char *what, const mat *got, const mat *want, const mat *T,
                         double rel_bound)
{
    double worst = 0.0, worst_err = 0.0, worst_bound = 0.0;
    int wi = -1, wj = -1;
    for (int i = 0; i < got->rows; i++)
        for (int j = 0; j < got->cols; j++) {
            double err = fabs((double)*at(got, i, j) - *at(want, i, j));
            double bound = rel_bound * *at(T, i, j);
            double ratio = err <= bound ? (bound > 0 ? err / bound : 0.0) : INFINITY;
            if (wi < 0 || ratio > worst) {
                worst = ratio, worst_err = err, worst_bound = bound;
                wi = i, wj = j;
            }
        }
    cr_assert(worst <= 1.0,
              "%s: worst C[%d][%d] = %.9g, want %.9g (|err| %.3g > bound %.3g)", what, wi,
              wj, (double)*at(got, wi, wj), (double)*at(want, wi, wj), worst_err,
              worst_bound);
    for (int i = 0; i < got->rows; i++)
        for (int j = got->cols; j < got->ld; j++)
            cr_assert(is_guard(*at(got, i, j)),
                      "%s: padding C[%d][%d] (ldc %d) was written: now %.9g", what, i, j,
                      got->ld, (double)*at(got, i, j));
}

/* One problem: fresh data from `seed`, the kernel against gemm_naive. */
typedef struct {
    bool ta, tb;
    int M, N, K;
    float alpha, beta;
    int pad; /* every ld is its row length + pad */
    uint64_t seed;
} problem;

static void check_problem(const gemm_kernel *k, problem p)
{
    uint64_t rng = p.seed;
    mat A = p.ta ? mat_new(p.K, p.M, p.pad) : mat_new(p.M, p.K, p.pad);
    mat B = p.tb ? mat_new(p.N, p.K, p.pad) : mat_new(p.K, p.N, p.pad);
    mat C0 = mat_new(p.M, p.N, p.pad);
    mat_fill(&A, &rng);
    mat_fill(&B, &rng);
    if (p.beta != 0) /* with beta == 0, C starts as the guard NaN everywhere */
        mat_fill(&C0, &rng);
    mat C = mat_copy(&C0, false), want = mat_copy(&C0, false);
    mat absA = mat_copy(&A, true), absB = mat_copy(&B, true), T = mat_copy(&C0, true);

    gemm_naive(p.ta, p.tb, p.M, p.N, p.K, p.alpha, A.v, A.ld, B.v, B.ld, p.beta, want.v,
               want.ld);
    gemm_naive(p.ta, p.tb, p.M, p.N, p.K, fabsf(p.alpha), absA.v, absA.ld, absB.v, absB.ld,
               fabsf(p.beta), T.v, T.ld);
    k->run(p.ta, p.tb, p.M, p.N, p.K, p.alpha, A.v, A.ld, B.v, B.ld, p.beta, C.v, C.ld);

    char what[256];
    snprintf(what, sizeof what,
             "gemm '%s' M=%d N=%d K=%d ta=%d tb=%d alpha=%g beta=%g lda=%d ldb=%d ldc=%d "
             "seed=%#llx",
             k->name, p.M, p.N, p.K, p.ta, p.tb, (double)p.alpha, (double)p.beta, A.ld, B.ld,
             C.ld, (unsigned long long)p.seed);
    check_result(what, &C, &want, &T, gemm_error_bound(k->flags, p.K));
    mat *all[] = {&A, &B, &C0, &C, &want, &absA, &absB, &T};
    for (size_t i = 0; i < COUNT(all); i++)
        free(all[i]->v);
}

/* Fixed shapes: `all` runs every ta/tb x alpha x beta (36 problems); the big
 * ones run each ta/tb once, with (alpha, beta) pairs that cover every value. */
static const struct {
    int M, N, K;
    bool all;
} SHAPES[] = {
    {1, 1, 1, true},
    {1, 1, 7, true},
    {7, 1, 1, true},
    {1, 13, 1, true},
    {13, 31, 1, true}, /* K = 1 */
    {7, 13, 31, true},
    {31, 7, 13, true},
    {13, 31, 7, true},
    {GEMM_BLOCKED_MR - 1, GEMM_BLOCKED_NR - 1, 5, true}, /* register tile +-1 */
    {GEMM_BLOCKED_MR + 1, GEMM_BLOCKED_NR + 1, 9, true},
    {2 * GEMM_BLOCKED_MR + 1, 2 * GEMM_BLOCKED_NR - 1, 17, true},
    {29, 64, GEMM_BLOCKED_KC + 3, true}, /* avx512's wide tile (6 x 64) with a 5-row tail */
    {255, 257, 255, false},
    {257, 255, 257, false},
    {GEMM_BLOCKED_MC - 1, 2 * GEMM_BLOCKED_NR + 1, GEMM_BLOCKED_KC - 1, false}, /* cache blocks +-1 */
    {GEMM_BLOCKED_MC + 1, GEMM_BLOCKED_NR + 3, GEMM_BLOCKED_KC + 1, false},
    {13, 17, 2 * GEMM_BLOCKED_KC + 1, false}, /* three K blocks */
    {7, GEMM_BLOCKED_NC + 1, 13, false},
    {GEMM_BLOCKED_MC + 1, GEMM_BLOCKED_NC + 1, GEMM_BLOCKED_KC + 1, false}, /* every block split at once */
    {263, 533, 2 * GEMM_BLOCKED_KC - 3, false},   /* avx512 packs B of !tb too (M >= 256, N >= 512) */
    {131, 517, 770, false}, /* and where M >= 128, K >= 512, N >= 512; two of its 768 K blocks */
};

/* One test parameter: a gemm table row and a shape (or other case) index. */
typedef struct {
    int kernel, shape;
} gemm_case;

static void free_params(struct criterion_test_params *crp)
{
    cr_free(crp->params);
}

/* Every (table row, case < n_cases) pair; gemm_naive's row only when with_naive
 * (it is the reference, checked by hand in naive_by_hand). */
static struct criterion_test_params gemm_cases(bool with_naive, int n_cases)
{
    size_t nk;
    const gemm_kernel *table = gemm_table(&nk);
    gemm_case *p = cr_malloc(nk * (size_t)n_cases * sizeof *p);
    size_t n = 0;
    for (size_t k = 0; k < nk; k++)
        for (int s = 0; s < n_cases && (with_naive || table[k].run != gemm_naive); s++)
            p[n++] = (gemm_case){(int)k, s};
    return cr_make_param_array(gemm_case, p, n, free_params);
}

/* The table row of a case, or a skip with the reason when this CPU cannot run it. */
static const gemm_kernel *runnable(const gemm_case *c)
{
    size_t nk;
    const gemm_kernel *k = &gemm_table(&nk)[c->kernel];
    if (!kernel_runs_here(k->needs)) {
        char why[256] = "";
        gemm_select(k->name, why, sizeof why);
        cr_skip_test("%s", why);
    }
    return k;
}

Test(gemm, naive_by_hand)
{
    /* op(A) = [1 2; 3 4], op(B) = [5 6 7; 8 9 10], op(A)*op(B) = [21 24 27; 47 54 61];
     * with alpha = 2, beta = 0.5 and C = [1 2 3; 4 5 6]: */
    const float a[2][2] = {{1, 2}, {3, 4}}, b[2][3] = {{5, 6, 7}, {8, 9, 10}};
    const float c0[2][3] = {{1, 2, 3}, {4, 5, 6}};
    const float want[2][3] = {{42.5f, 49.0f, 55.5f}, {96.0f, 110.5f, 125.0f}};
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        mat A = mat_new(2, 2, 1), B = tb ? mat_new(3, 2, 1) : mat_new(2, 3, 1);
        mat C = mat_new(2, 3, 1);
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 2; k++)
                *(ta ? at(&A, k, i) : at(&A, i, k)) = a[i][k];
        for (int k = 0; k < 2; k++)
            for (int j = 0; j < 3; j++)
                *(tb ? at(&B, j, k) : at(&B, k, j)) = b[k][j];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                *at(&C, i, j) = c0[i][j];
        gemm_naive(ta, tb, 2, 3, 2, 2.0f, A.v, A.ld, B.v, B.ld, 0.5f, C.v, C.ld);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++)
                cr_assert(*at(&C, i, j) == want[i][j], "ta=%d tb=%d: C[%d][%d] = %g, want %g",
                          ta, tb, i, j, (double)*at(&C, i, j), (double)want[i][j]);
            cr_assert(is_guard(*at(&C, i, 3)), "ta=%d tb=%d: padding of row %d written", ta,
                      tb, i);
        }
        free(A.v), free(B.v), free(C.v);
    }
}

ParameterizedTestParameters(gemm, fixed_shapes)
{
    return gemm_cases(false, (int)COUNT(SHAPES));
}

ParameterizedTest(gemm_case *c, gemm, fixed_shapes)
{
    static const float FEW[4][2] = {{2.5f, 0.0f}, {-0.5f, 0.5f}, {1.0f, 1.0f}, {2.5f, 0.5f}};
    const gemm_kernel *k = runnable(c);
    int M = SHAPES[c->shape].M, N = SHAPES[c->shape].N, K = SHAPES[c->shape].K;
    int n = SHAPES[c->shape].all ? 4 * 3 * 3 : 4;
    for (int i = 0; i < n; i++) {
        problem p = {.ta = i & 1, .tb = i & 2, .M = M, .N = N, .K = K};
        p.alpha = SHAPES[c->shape].all ? ALPHAS[i / 4 % 3] : FEW[i][0];
        p.beta = SHAPES[c->shape].all ? BETAS[i / 12] : FEW[i][1];
        p.pad = i % 3 == 0 ? 0 : 1 + i % 4;
        p.seed = SEED + (uint64_t)c->shape * 64 + (uint64_t)i;
        check_problem(k, p);
    }
}

ParameterizedTestParameters(gemm, random_shapes)
{
    return gemm_cases(false, 1);
}

/* 200 problems, M, N, K in 1..300, each drawn from its own seed (in the message). */
ParameterizedTest(gemm_case *c, gemm, random_shapes)
{
    const gemm_kernel *k = runnable(c);
    for (int i = 0; i < 200; i++) {
        uint64_t seed = SEED ^ ((uint64_t)(i + 1) << 32), rng = seed;
        problem p;
        p.ta = rng_next(&rng) & 1;
        p.tb = rng_next(&rng) & 1;
        p.M = rng_int(&rng, 1, 300);
        p.N = rng_int(&rng, 1, 300);
        p.K = rng_int(&rng, 1, 300);
        p.alpha = ALPHAS[rng_int(&rng, 0, 2)];
        p.beta = BETAS[rng_int(&rng, 0, 2)];
        p.pad = rng_int(&rng, 0, 3);
        p.seed = rng_next(&rng);
        check_problem(k, p);
    }
}

ParameterizedTestParameters(gemm, degenerate)
{
    return gemm_cases(true, 1);
}

/* M or N == 0: nothing is touched.  K == 0 (lda or ldb 0, as the contract allows)
 * or alpha == 0 (A and B all NaN, so reading them shows): C = beta*C exactly,
 * zeros when beta == 0 even over NaN. */
ParameterizedTest(gemm_case *c, gemm, degenerate)
{
    const gemm_kernel *k = runnable(c);
    uint64_t rng = SEED;
    mat nan_a = mat_new(4, 5, 0), nan_b = mat_new(5, 3, 0), C = mat_new(4, 3, 2);

    k->run(false, false, 0, 3, 5, 1.0f, nan_a.v, 5, nan_b.v, 3, 0.5f, C.v, C.ld);
    k->run(false, false, 4, 0, 5, 1.0f, nan_a.v, 5, nan_b.v, 3, 0.5f, C.v, C.ld);
    for (size_t i = 0; i < (size_t)C.rows * C.ld; i++)
        cr_assert(is_guard(C.v[i]), "gemm '%s': M or N == 0 wrote C[%zu]", k->name, i);

    for (int i = 0; i < 2 * 4 * 3; i++) {
        bool zero_k = i < 12, ta = i & 1, tb = i & 2;
        float alpha = zero_k ? 2.5f : 0.0f, beta = BETAS[i / 4 % 3];
        int K = zero_k ? 0 : 5;
        int lda = zero_k ? (ta ? 4 : 0) : (ta ? 4 : 5), ldb = zero_k ? (tb ? 0 : 3) : (tb ? 5 : 3);
        mat C0 = mat_new(4, 3, 2);
        if (beta != 0)
            mat_fill(&C0, &rng);
        mat got = mat_copy(&C0, false);
        k->run(ta, tb, 4, 3, K, alpha, nan_a.v, lda, nan_b.v, ldb, beta, got.v, got.ld);
        for (int r = 0; r < 4; r++)
            for (int j = 0; j < got.ld; j++) {
                float g = *at(&got, r, j), c0 = *at(&C0, r, j);
                bool ok = j < 3 ? g == (beta == 0 ? 0.0f : beta * c0) : is_guard(g);
                cr_assert(ok, "gemm '%s' K=%d alpha=%g beta=%g ta=%d tb=%d: C[%d][%d] = %g, "
                          "want %g", k->name, K, (double)alpha, (double)beta, ta, tb, r, j,
                          (double)g, j < 3 ? (double)(beta == 0 ? 0.0f : beta * c0) : NAN);
            }
        free(C0.v), free(got.v);
    }
    free(nan_a.v), free(nan_b.v), free(C.v);
}

ParameterizedTestParameters(gemm, fused_bias_act)
{
    return gemm_cases(false, 1);
}

/* bias_act(M, N, K, A, B, bias, relu, C) against gemm_naive then bias_act_scalar,
 * C starting as NaN; the bound of check_result with |bias| added to T (ReLU does
 * not increase a difference). */
ParameterizedTest(gemm_case *c, gemm, fused_bias_act)
{
    const gemm_kernel *k = runnable(c);
    if (!k->bias_act)
        cr_skip_test("gemm '%s' has no fused bias_act", k->name);
    static const int FIXED[][3] = {{1, 1, 1}, {7, 13, 31}, {GEMM_BLOCKED_MR + 1, GEMM_BLOCKED_NR + 1, GEMM_BLOCKED_KC + 1},
                                   {64, 10, 128}, {100, 784, 128}, {32, 64, 128},
                                   {29, 57, 33}};
    for (int i = 0; i < (int)COUNT(FIXED) + 40; i++) {
        uint64_t seed = SEED + 1000 + (uint64_t)i, rng = seed;
        int M = i < (int)COUNT(FIXED) ? FIXED[i][0] : rng_int(&rng, 1, 200);
        int N = i < (int)COUNT(FIXED) ? FIXED[i][1] : rng_int(&rng, 1, 200);
        int K = i < (int)COUNT(FIXED) ? FIXED[i][2] : rng_int(&rng, 1, 200);
        bool relu = i & 1;
        int pad = i % 3;
        mat A = mat_new(M, K, pad), B = mat_new(K, N, pad), bias = mat_new(1, N, 0);
        mat_fill(&A, &rng);
        mat_fill(&B, &rng);
        mat_fill(&bias, &rng);
        mat got = mat_new(M, N, pad), want = mat_new(M, N, pad), T = mat_new(M, N, pad);
        mat absA = mat_copy(&A, true), absB = mat_copy(&B, true);
        gemm_naive(false, false, M, N, K, 1.0f, A.v, A.ld, B.v, B.ld, 0.0f, want.v, want.ld);
        bias_act_scalar(M, N, bias.v, relu, want.v, want.ld);
        gemm_naive(false, false, M, N, K, 1.0f, absA.v, absA.ld, absB.v, absB.ld, 0.0f, T.v,
                   T.ld);
        for (int r = 0; r < M; r++)
            for (int j = 0; j < N; j++)
                *at(&T, r, j) += fabsf(bias.v[j]);
        k->bias_act(M, N, K, A.v, A.ld, B.v, B.ld, bias.v, relu, got.v, got.ld);

        char what[256];
        snprintf(what, sizeof what,
                 "gemm '%s' bias_act M=%d N=%d K=%d relu=%d ld pad %d seed=%#llx", k->name, M,
                 N, K, relu, pad, (unsigned long long)seed);
        check_result(what, &got, &want, &T, gemm_error_bound(k->flags, K));
        mat *all[] = {&A, &B, &bias, &got, &want, &T, &absA, &absB};
        for (size_t j = 0; j < COUNT(all); j++)
            free(all[j]->v);
    }
}
