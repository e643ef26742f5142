/* test_act_simd.c: what test_act.c leaves open for the vectorized activation sets,
 * every activation table entry but scalar against scalar, tighter: bit for bit
 * where the set claims it (bias + ReLU, ReLU backward, bias gradient, xent
 * backward, SGD, Adam, EMA, pixels, the warp), with rows stored contiguously (ldy == N, the
 * trainer's layout) and with padding, widths around the vector sizes (8, 16) and
 * the 32-row blocks of softmax, -0 and NaN inputs, and the trainer's vector length
 * (109386 parameters).  softmax_xent: P within 4 ulp over a sweep of logits down to
 * the subnormal results, the loss within 2e-7 per row, and pred equal, ties and
 * NaN rows included.  New table rows are covered without touching this file. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "impl.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const uint64_t SEED = 0x51dd0ac7;
static const uint32_t GUARD_BITS = 0x7fc0deadu; /* a quiet NaN with a payload */
static const float SPECIALS[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e30f, -1e30f};
enum { N_PARAMS = 109386 }; /* the 784-128-64-10 MLP */

static uint64_t rng_next(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *rng) /* [0, 1) */
{
    return (double)(rng_next(rng) >> 11) / 0x1p53;
}

static float *alloc_floats(size_t n)
{
    float *y = malloc((n ? n : 1) * sizeof *y);
    cr_assert(y, "out of memory for %zu floats", n);
    return y;
}

/* n floats uniform in [-scale, scale), one in 4 a special value (or NaN, when
 * nan), in a fresh buffer (free()). */
static float *fill(size_t n, double scale, bool nan, uint64_t *rng)
{
    float *x = alloc_floats(n);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rng_next(rng), s = (r >> 8) % (COUNT(SPECIALS) + 1);
        x[i] = r % 4 != 0              ? (float)(scale * (2 * uniform(rng) - 1))
               : s < COUNT(SPECIALS) ? SPECIALS[s]
               : nan                 ? NAN
                                     : 1.0f;
    }
    return x;
}

/* n floats of GUARD_BITS, in a fresh buffer (free()): a write shows. */
static float *guards(size_t n)
{
    float *y = alloc_floats(n);
    for (size_t i = 0; i < n; i++)
        memcpy(&y[i], &GUARD_BITS, sizeof GUARD_BITS);
    return y;
}

static float *copy(const float *x, size_t n)
{
    float *y = alloc_floats(n);
    memcpy(y, x, n * sizeof *y);
    return y;
}

static uint32_t bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* got and want are the same float, bit for bit (so -0 != +0), or both NaN: which
 * NaN comes out of an operation on two NaNs depends on the operand order, which
 * the compiler may swap in a commutative operation. */
static void expect_identical(const char *set, const char *what, size_t n, const float *got,
                             const float *want)
{
    for (size_t i = 0; i < n; i++)
        cr_assert(bits(got[i]) == bits(want[i]) || (isnan(got[i]) && isnan(want[i])),
                  "activation '%s' %s: [%zu] = %a, scalar %a", set, what, i, (double)got[i],
                  (double)want[i]);
}

/* Distance in ulps between two floats of the same sign (also across subnormals). */
static uint32_t ulp_distance(float a, float b)
{
    uint32_t x = bits(a) & 0x7fffffffu, y = bits(b) & 0x7fffffffu;
    return x > y ? x - y : y - x;
}

static void free_params(struct criterion_test_params *crp)
{
    cr_free(crp->params);
}

/* The table rows to test: every one but row 0 (scalar, the reference). */
static struct criterion_test_params simd_rows(void)
{
    size_t n;
    act_table(&n);
    int *rows = cr_malloc((n > 1 ? n - 1 : 1) * sizeof *rows);
    for (size_t i = 1; i < n; i++)
        rows[i - 1] = (int)i;
    return cr_make_param_array(int, rows, n - 1, free_params);
}

/* The set in table row `row`, or the test skipped with the reason. */
static const act_kernel *set_or_skip(int row)
{
    size_t n;
    const act_kernel *k = &act_table(&n)[row];
    if (!kernel_runs_here(k->needs)) {
        char why[256];
        act_select(k->name, why, sizeof why);
        cr_skip_test("%s", why);
    }
    return k;
}

static const act_kernel *scalar(void)
{
    size_t n;
    return &act_table(&n)[0];
}

static const int WIDTHS[] = {1, 2, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65,
                             100, 128, 255, 256, 257, 300};
static const int BATCHES[] = {0, 1, 3, 32, 33};

ParameterizedTestParameters(act_simd, bias_act_bitwise) { return simd_rows(); }

/* Every width with ldy == N (contiguous rows) and ldy > N (padding that holds NaN
 * guards and must come back as it was), with and without ReLU. */
ParameterizedTest(int *row, act_simd, bias_act_bitwise)
{
    const act_kernel *k = set_or_skip(*row), *ref = scalar();
    uint64_t rng = SEED;
    for (size_t w = 0; w < COUNT(WIDTHS); w++)
        for (size_t t = 0; t < COUNT(BATCHES); t++)
            for (int pad = 0; pad <= 17; pad += 17) {
                int N = WIDTHS[w], B = BATCHES[t], ldy = N + pad;
                size_t size = (size_t)B * ldy;
                float *bias = fill((size_t)N, 2, true, &rng);
                float *Y = fill(size, 4, true, &rng);
                for (int b = 0; b < B; b++)
                    for (int j = N; j < ldy; j++)
                        memcpy(&Y[(size_t)b * ldy + j], &GUARD_BITS, sizeof GUARD_BITS);
                for (int relu = 0; relu < 2; relu++) {
                    float *got = copy(Y, size), *want = copy(Y, size);
                    k->bias_act(B, N, bias, relu, got, ldy);
                    ref->bias_act(B, N, bias, relu, want, ldy);
                    for (size_t i = 0; i < size; i++)
                        cr_assert(bits(got[i]) == bits(want[i]),
                                  "activation '%s' bias_act relu=%d, B=%d N=%d ldy=%d: Y[%zu] "
                                  "= %a, scalar %a", k->name, relu, B, N, ldy, i,
                                  (double)got[i], (double)want[i]);
                    free(got), free(want);
                }
                free(bias), free(Y);
            }
}

ParameterizedTestParameters(act_simd, relu_bwd_and_bias_grad_bitwise) { return simd_rows(); }

/* relu_bwd with -0, NaN and tiny values in Y; bias_grad, whose float sums must
 * run in scalar's order (row after row, into db). */
ParameterizedTest(int *row, act_simd, relu_bwd_and_bias_grad_bitwise)
{
    const act_kernel *k = set_or_skip(*row), *ref = scalar();
    uint64_t rng = SEED + 1;
    for (size_t w = 0; w < COUNT(WIDTHS); w++)
        for (size_t t = 0; t < COUNT(BATCHES); t++) {
            int N = WIDTHS[w], B = BATCHES[t];
            size_t n = (size_t)B * N;
            float *Y = fill(n, 1, true, &rng), *dY = fill(n, 3, true, &rng);
            float *got = copy(dY, n), *want = copy(dY, n);
            k->relu_bwd(n, Y, got);
            ref->relu_bwd(n, Y, want);
            char what[64];
            snprintf(what, sizeof what, "relu_bwd n=%zu", n);
            expect_identical(k->name, what, n, got, want);
            free(got), free(want);

            float *db = fill((size_t)N, 1, false, &rng);
            float *dY_finite = fill(n, 3, false, &rng);
            got = copy(db, (size_t)N), want = copy(db, (size_t)N);
            k->bias_grad(B, N, dY_finite, N, got);
            ref->bias_grad(B, N, dY_finite, N, want);
            snprintf(what, sizeof what, "bias_grad B=%d N=%d", B, N);
            expect_identical(k->name, what, (size_t)N, got, want);
            /* a block of columns [1, N) of the B x N matrix, row stride N, as one
             * thread of the trainer's team takes it; the cells outside it stay */
            if (N > 1) {
                k->bias_grad(B, N - 1, dY_finite + 1, N, got + 1);
                ref->bias_grad(B, N - 1, dY_finite + 1, N, want + 1);
                snprintf(what, sizeof what, "bias_grad B=%d, columns 1..%d of %d", B, N - 1, N);
                expect_identical(k->name, what, (size_t)N, got, want);
            }
            free(got), free(want), free(db), free(dY_finite), free(Y), free(dY);
        }
}

/* Runs softmax_xent of both sets on Z (B x C) and checks P (4 ulp), pred (equal)
 * and the loss (2e-7 per row: log s moves by at most that when every e is 1 ulp
 * off), all NaN where scalar's is. */
static void expect_softmax(const act_kernel *k, int B, int C, const float *Z,
                           const uint8_t *label, const char *what)
{
    const act_kernel *ref = scalar();
    size_t n = (size_t)B * C;
    float *P_got = alloc_floats(n), *P_want = alloc_floats(n);
    uint8_t *pred_got = malloc((size_t)B + 1), *pred_want = malloc((size_t)B + 1);
    cr_assert(pred_got && pred_want, "out of memory");
    double loss_got = k->softmax_xent(B, C, Z, label, P_got, pred_got);
    double loss_want = ref->softmax_xent(B, C, Z, label, P_want, pred_want);
    cr_assert(loss_got == loss_want || (isnan(loss_got) && isnan(loss_want)) ||
                  fabs(loss_got - loss_want) <= 2e-7 * B + 1e-12 * fabs(loss_want),
              "activation '%s' softmax_xent %s, %d x %d: loss %.17g, scalar %.17g", k->name,
              what, B, C, loss_got, loss_want);
    for (size_t i = 0; i < n; i++)
        cr_assert((isnan(P_got[i]) && isnan(P_want[i])) ||
                      (!isnan(P_got[i]) && ulp_distance(P_got[i], P_want[i]) <= 4),
                  "activation '%s' softmax_xent %s, %d x %d: P[%zu] = %a, scalar %a (z = %g)",
                  k->name, what, B, C, i, (double)P_got[i], (double)P_want[i], (double)Z[i]);
    for (int b = 0; b < B; b++)
        cr_assert(pred_got[b] == pred_want[b],
                  "activation '%s' softmax_xent %s, %d x %d: pred[%d] = %d, scalar %d", k->name,
                  what, B, C, b, pred_got[b], pred_want[b]);
    free(P_got), free(P_want), free(pred_got), free(pred_want);
}

ParameterizedTestParameters(act_simd, softmax_xent_shapes) { return simd_rows(); }

/* Random logits in [-20, 20) with +-0, +-1e-30 and +-1e30 among them, every C
 * around the vector widths and B around the 32-row blocks; then rows that are all
 * ties (pred is the first index), and small integer logits, which tie often. */
ParameterizedTest(int *row, act_simd, softmax_xent_shapes)
{
    static const int CS[] = {1, 2, 7, 8, 9, 10, 15, 16, 17, 24, 31, 32, 33, 100, 256};
    static const int BS[] = {0, 1, 31, 32, 33, 64, 65, 256};
    const act_kernel *k = set_or_skip(*row);
    uint64_t rng = SEED + 2;
    for (size_t c = 0; c < COUNT(CS); c++)
        for (size_t t = 0; t < COUNT(BS); t++) {
            int C = CS[c], B = BS[t];
            size_t n = (size_t)B * C;
            float *Z = fill(n, 20, false, &rng);
            uint8_t *label = malloc((size_t)B + 1);
            cr_assert(label, "out of memory");
            for (int b = 0; b < B; b++)
                label[b] = (uint8_t)(rng_next(&rng) % (uint64_t)C);
            expect_softmax(k, B, C, Z, label, "random");
            for (size_t i = 0; i < n; i++)
                Z[i] = (float)(rng_next(&rng) % 3) - 1.0f;
            expect_softmax(k, B, C, Z, label, "small integers");
            for (size_t i = 0; i < n; i++)
                Z[i] = -7.5f;
            expect_softmax(k, B, C, Z, label, "all equal");
            free(Z), free(label);
        }
}

ParameterizedTestParameters(act_simd, softmax_xent_special_rows) { return simd_rows(); }

/* Rows of 10 (the trainer's C) with extreme logits, signed-zero ties and NaN:
 * scalar's argmax keeps index 0 when z[0] is NaN and skips NaN elsewhere (the
 * whole row of P is NaN either way). */
ParameterizedTest(int *row, act_simd, softmax_xent_special_rows)
{
    const act_kernel *k = set_or_skip(*row);
    enum { C = 10 };
    const float inf = INFINITY, big = FLT_MAX;
    float Z[][C] = {
        {0, -87.3f, -87.4f, -88, -90, -100, -103.9f, -104, -120, -1e30f},
        {1e30f, -1e30f, 0, 1e30f, 5, -5, 1e-30f, -1e-30f, 1e29f, 3},
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
        {-0.0f, 0, -0.0f, 0, -0.0f, 0, -0.0f, 0, -0.0f, 0},
        {0, -0.0f, 0, -0.0f, 0, -0.0f, 0, -0.0f, 0, -0.0f},
        {0}, /* {-FLT_MAX, ..., FLT_MAX} filled below */
        {0}, /* all -FLT_MAX */
        {0}, /* NaN first */
        {1, 2, 3, 4, 5, 6, 7, 8, 9, 0}, /* NaN in the middle, below */
        {-5, -5, -5, -5, -5, -5, -5, -5, -5, 7},
        {7, -5, -5, -5, -5, -5, -5, -5, -5, 7},
        {-inf, 3, -inf, 2, 1, 0, -1, -2, -3, -inf},
    };
    for (int j = 0; j < C; j++) {
        Z[5][j] = j % 2 ? big : -big;
        Z[6][j] = -big;
        Z[7][j] = j ? (float)j : NAN;
    }
    Z[8][4] = NAN;
    const int rows = (int)COUNT(Z);
    uint8_t label[COUNT(Z)];
    for (int l = 0; l < C; l++) {
        for (int b = 0; b < rows; b++)
            label[b] = (uint8_t)((b + l) % C);
        for (int b = 0; b < rows; b++) {
            char what[32];
            snprintf(what, sizeof what, "special row %d", b);
            expect_softmax(k, 1, C, Z[b], &label[b], what);
        }
        expect_softmax(k, rows, C, &Z[0][0], label, "special rows together");
    }
}

ParameterizedTestParameters(act_simd, softmax_xent_exp_sweep) { return simd_rows(); }

/* The exp behind P over its whole input range: rows {0, x} and {x, 0, x} for 2^18
 * x spread over [-105, 0], with the subnormal results of x < -87.3 (P = e^x/(1 + e^x)
 * within 4 ulp of scalar's libm expf, subnormals counted in their own ulps). */
ParameterizedTest(int *row, act_simd, softmax_xent_exp_sweep)
{
    const act_kernel *k = set_or_skip(*row);
    enum { ROWS = 1 << 17 };
    float *Z2 = malloc(2 * ROWS * sizeof *Z2), *Z3 = malloc(3 * ROWS * sizeof *Z3);
    uint8_t *label = malloc(ROWS);
    cr_assert(Z2 && Z3 && label, "out of memory");
    for (int half = 0; half < 2; half++) {
        for (int b = 0; b < ROWS; b++) {
            float x = (float)(-105.0 * (half * ROWS + b) / (2.0 * ROWS));
            Z2[2 * b] = 0, Z2[2 * b + 1] = x;
            Z3[3 * b] = x, Z3[3 * b + 1] = 0, Z3[3 * b + 2] = x;
            label[b] = (uint8_t)(b % 2);
        }
        expect_softmax(k, ROWS, 2, Z2, label, "sweep {0, x}");
        expect_softmax(k, ROWS, 3, Z3, label, "sweep {x, 0, x}");
    }
    free(Z2), free(Z3), free(label);
}

ParameterizedTestParameters(act_simd, xent_bwd_bitwise) { return simd_rows(); }

/* dZ = scale * (P - onehot), with P holding -0, NaN and 1e30, into its own buffer
 * and in place. */
ParameterizedTest(int *row, act_simd, xent_bwd_bitwise)
{
    static const int CS[] = {1, 2, 8, 9, 10, 16, 17, 33, 256};
    const act_kernel *k = set_or_skip(*row), *ref = scalar();
    uint64_t rng = SEED + 3;
    for (size_t c = 0; c < COUNT(CS); c++)
        for (size_t t = 0; t < COUNT(BATCHES); t++) {
            int C = CS[c], B = BATCHES[t];
            size_t n = (size_t)B * C;
            float *P = fill(n, 1, true, &rng);
            uint8_t *label = malloc((size_t)B + 1);
            cr_assert(label, "out of memory");
            for (int b = 0; b < B; b++)
                label[b] = (uint8_t)(rng_next(&rng) % (uint64_t)C);
            float *want = alloc_floats(n), *got = alloc_floats(n);
            ref->xent_bwd(B, C, P, label, 1.0f / 32, want);
            k->xent_bwd(B, C, P, label, 1.0f / 32, got);
            char what[64];
            snprintf(what, sizeof what, "xent_bwd B=%d C=%d", B, C);
            expect_identical(k->name, what, n, got, want);
            k->xent_bwd(B, C, P, label, 1.0f / 32, P);
            snprintf(what, sizeof what, "xent_bwd in place B=%d C=%d", B, C);
            expect_identical(k->name, what, n, P, want);
            free(P), free(label), free(want), free(got);
        }
}

ParameterizedTestParameters(act_simd, optimizers_bitwise) { return simd_rows(); }

/* SGD (plain and momentum), Adam over three steps and EMA on the trainer's 109386
 * parameters, from an aligned and from an odd start, and on short lengths. */
ParameterizedTest(int *row, act_simd, optimizers_bitwise)
{
    static const size_t NS[] = {1, 7, 8, 9, 15, 16, 17, 31, 33, N_PARAMS};
    const act_kernel *k = set_or_skip(*row), *ref = scalar();
    uint64_t rng = SEED + 4;
    for (size_t t = 0; t < COUNT(NS); t++)
        for (size_t off = 0; off < 2; off++) {
            size_t n = NS[t] - off, all = NS[t];
            float *p = fill(all, 1, true, &rng), *g = fill(all, 1, true, &rng);
            float *s1 = fill(all, 0.1, false, &rng), *s2 = fill(all, 0.01, false, &rng);
            for (size_t i = 0; i < all; i++)
                s2[i] = fabsf(s2[i]);
            char what[64];
            for (int variant = 0; variant < 4; variant++) { /* momentum, and L2 decay */
                float mu = variant & 1 ? 0.9f : 0.0f, wd = variant & 2 ? 5e-3f : 0.0f;
                float *p_got = copy(p, all), *p_want = copy(p, all);
                float *v_got = copy(s1, all), *v_want = copy(s1, all);
                k->sgd(n, p_got + off, g + off, v_got + off, 0.01f, mu, wd);
                ref->sgd(n, p_want + off, g + off, v_want + off, 0.01f, mu, wd);
                snprintf(what, sizeof what, "sgd mu=%g wd=%g n=%zu at +%zu: p", (double)mu, (double)wd, n, off);
                expect_identical(k->name, what, all, p_got, p_want);
                snprintf(what, sizeof what, "sgd mu=%g n=%zu at +%zu: vel", (double)mu, n, off);
                expect_identical(k->name, what, all, v_got, v_want);
                free(p_got), free(p_want), free(v_got), free(v_want);
            }
            float *p_got = copy(p, all), *p_want = copy(p, all), *m_got = copy(s1, all),
                  *m_want = copy(s1, all), *v_got = copy(s2, all), *v_want = copy(s2, all);
            float *avg_got = copy(p, all), *avg_want = copy(p, all);
            for (int step = 1; step <= 3; step++) {
                adam_params a = {1e-3f, 0.9f, 0.999f, 1e-7f, (float)(1 - pow(0.9, step)),
                                 (float)(1 - pow(0.999, step)), 0.99f, step == 2 ? 1e-5f : 0.0f};
                /* odd steps average inside adam's pass, even ones not: both must
                 * match the reference's adam followed by its own ema */
                k->adam(n, p_got + off, g + off, m_got + off, v_got + off,
                        step % 2 ? avg_got + off : NULL, &a);
                ref->adam(n, p_want + off, g + off, m_want + off, v_want + off, NULL, &a);
                if (step % 2)
                    ref->ema(n, avg_want + off, p_want + off, a.ema);
            }
            snprintf(what, sizeof what, "adam n=%zu at +%zu: avg", n, off);
            expect_identical(k->name, what, all, avg_got, avg_want);
            free(avg_got), free(avg_want);
            snprintf(what, sizeof what, "adam n=%zu at +%zu: p", n, off);
            expect_identical(k->name, what, all, p_got, p_want);
            snprintf(what, sizeof what, "adam n=%zu at +%zu: m", n, off);
            expect_identical(k->name, what, all, m_got, m_want);
            snprintf(what, sizeof what, "adam n=%zu at +%zu: v", n, off);
            expect_identical(k->name, what, all, v_got, v_want);
            k->ema(n, m_got + off, p + off, 0.999f);
            ref->ema(n, m_want + off, p + off, 0.999f);
            snprintf(what, sizeof what, "ema n=%zu at +%zu", n, off);
            expect_identical(k->name, what, all, m_got, m_want);
            free(p_got), free(p_want), free(m_got), free(m_want), free(v_got), free(v_want);
            free(p), free(g), free(s1), free(s2);
        }
}

ParameterizedTestParameters(act_simd, pixels_bitwise) { return simd_rows(); }

/* Every byte value, at lengths around the vector sizes and the 784 of an MNIST
 * row, the bytes ending where an unreadable page begins (a read past src[n - 1]
 * faults) and NaN guards after dst[n - 1] (a write past it shows). */
ParameterizedTest(int *row, act_simd, pixels_bitwise)
{
    static const size_t NS[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 255, 256, 784};
    const act_kernel *k = set_or_skip(*row), *ref = scalar();
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *pages = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                          -1, 0);
    cr_assert(pages != MAP_FAILED, "mmap: %s", strerror(errno));
    cr_assert_eq(mprotect(pages + page, page, PROT_NONE), 0, "mprotect: %s", strerror(errno));
    for (size_t t = 0; t < COUNT(NS); t++) {
        size_t n = NS[t];
        uint8_t *src = pages + page - n;
        for (size_t i = 0; i < n; i++)
            src[i] = (uint8_t)(i * 37 + 11);
        float *got = guards(n + 16), *want = guards(n + 16);
        k->pixels(n, src, got);
        ref->pixels(n, src, want);
        char what[64];
        snprintf(what, sizeof what, "pixels n=%zu", n);
        expect_identical(k->name, what, n + 16, got, want);
        free(got), free(want);
    }
    munmap(pages, 2 * page);
}

ParameterizedTestParameters(act_simd, warp_bitwise) { return simd_rows(); }

/* Random warps (turns either way, sizes 0.5-1.5, shifts past the image's edge so
 * that the clamps act, with and without a field) of images whose widths fall
 * around the vector sizes, the MNIST 28 x 28 among them, with NaN guards after
 * out's last pixel. */
ParameterizedTest(int *row, act_simd, warp_bitwise)
{
    static const int SHAPES[][2] = {{28, 28}, {1, 1}, {5, 17}, {9, 33}, {16, 16}, {3, 8}};
    const act_kernel *k = set_or_skip(*row), *ref = scalar();
    uint64_t rng = SEED;
    for (size_t t = 0; t < COUNT(SHAPES); t++)
        for (int trial = 0; trial < 24; trial++) {
            const int R = SHAPES[t][0], C = SHAPES[t][1], pad = 2 + trial % 2, ld = C + 2 * pad;
            const size_t n = (size_t)R * C, np = (size_t)(R + 2 * pad) * ld;
            float *src = calloc(np, sizeof *src), *fy = fill(n, 1, false, &rng), *fx = fill(n, 1, false, &rng);
            cr_assert(src, "out of memory");
            for (int i = 0; i < R; i++)
                for (int j = 0; j < C; j++)
                    src[(size_t)(i + pad) * ld + pad + j] = (float)uniform(&rng);
            const float theta = (float)(6.3 * uniform(&rng) - 3.15), s = (float)(0.5 + uniform(&rng));
            warp_params w = {.rows = R, .cols = C, .pad = pad, .cy = (R - 1) / 2.0f,
                             .cx = (C - 1) / 2.0f, .r00 = s * cosf(theta), .r01 = s * sinf(theta),
                             .r10 = -s * sinf(theta), .r11 = s * cosf(theta),
                             .ty = (float)(C * (2 * uniform(&rng) - 1)),
                             .tx = (float)(C * (2 * uniform(&rng) - 1)),
                             .alpha = (float)(20 * uniform(&rng) - 10)};
            if (trial % 3) {
                w.fy = fy;
                w.fx = fx;
            }
            float *got = guards(n + 16), *want = guards(n + 16);
            k->warp(&w, src, got);
            ref->warp(&w, src, want);
            char what[80];
            snprintf(what, sizeof what, "warp %dx%d pad %d trial %d%s", R, C, pad, trial,
                     w.fy ? " with a field" : "");
            expect_identical(k->name, what, n + 16, got, want);
            free(src), free(fy), free(fx), free(got), free(want);
        }
}
