/* test_act.c: the scalar activation set against values worked out by hand (the
 * optimizers with Keras' formulas), every other activation set this CPU runs
 * against scalar (n = 0, 1, 7, 8, 9, 1003, inputs including 0, -0, +-1e-30 and
 * +-1e30), and the registry: lookup by name, `auto`, the messages for unknown and
 * unsupported names, CPU feature names and the thread count.  New activation
 * sets are covered without touching this file. */
#include <cblas.h>
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

/* |got - want| <= rel*|want| + abs, or equal (infinities), or both NaN. */
static bool close_to(double got, double want, double rel, double abs)
{
    return got == want || (isnan(got) && isnan(want)) ||
           fabs(got - want) <= rel * fabs(want) + abs;
}

static void expect_near(double got, double want, double rel, const char *what)
{
    cr_assert(close_to(got, want, rel, 0.0), "%s: got %.9g, want %.9g", what, got, want);
}

Test(act_scalar, bias_act_by_hand)
{
    /* Y + bias = [1.5 -1 0 -0; 0.25 4 -1.5 -1e-30]; ldy 5 with a guard in column 4. */
    const float y0[2][5] = {{1, -2, 0.5f, -0.0f, 42}, {-0.25f, 3, -1, -1e-30f, 42}};
    const float bias[4] = {0.5f, 1, -0.5f, -0.0f};
    const float sum[2][4] = {{1.5f, -1, 0, -0.0f}, {0.25f, 4, -1.5f, -1e-30f}};
    const float relu[2][4] = {{1.5f, 0, 0, 0}, {0.25f, 4, 0, 0}};
    for (int r = 0; r < 2; r++) {
        float Y[2][5];
        memcpy(Y, y0, sizeof Y);
        bias_act_scalar(2, 4, bias, r, &Y[0][0], 5);
        for (int b = 0; b < 2; b++) {
            for (int n = 0; n < 4; n++) {
                float want = r ? relu[b][n] : sum[b][n];
                cr_assert(Y[b][n] == want && !signbit(Y[b][n]) == !signbit(want),
                          "relu=%d: Y[%d][%d] = %g, want %g", r, b, n, (double)Y[b][n],
                          (double)want);
            }
            cr_assert(Y[b][4] == 42, "relu=%d: padding of row %d written", r, b);
        }
    }
}

Test(act_scalar, relu_bwd_by_hand)
{
    const float Y[6] = {2, 0, -0.0f, -1, 1e-30f, -1e-30f};
    float dY[6] = {1, 2, 3, 4, 5, 6};
    const float want[6] = {1, 0, 0, 0, 5, 0};
    relu_bwd_scalar(6, Y, dY);
    for (int i = 0; i < 6; i++)
        cr_assert(dY[i] == want[i], "dY[%d] = %g, want %g", i, (double)dY[i], (double)want[i]);
}

Test(act_scalar, bias_grad_accumulates)
{
    const float dY[2][3] = {{1, 2, 3}, {4, 5, 6}};
    float db[3] = {1, 2, 3};
    bias_grad_scalar(2, 3, &dY[0][0], 3, db);
    cr_assert(db[0] == 6 && db[1] == 9 && db[2] == 12, "db = %g %g %g, want 6 9 12",
              (double)db[0], (double)db[1], (double)db[2]);
    bias_grad_scalar(2, 3, &dY[0][0], 3, db);
    cr_assert(db[0] == 11 && db[1] == 16 && db[2] == 21, "db = %g %g %g, want 11 16 21",
              (double)db[0], (double)db[1], (double)db[2]);
}

Test(act_scalar, softmax_xent_by_hand)
{
    /* Row by row: uniform; the textbook row; huge logits of both signs; a tie. */
    const float Z[4][3] = {{0, 0, 0}, {1, 2, 3}, {1e30f, -1e30f, 0}, {-1e30f, 5, 5}};
    const uint8_t label[4] = {1, 0, 1, 2};
    const double P[4][3] = {{1 / 3.0, 1 / 3.0, 1 / 3.0},
                            {0.09003057317038046, 0.24472847105479764, 0.6652409557748218},
                            {1, 0, 0},
                            {0, 0.5, 0.5}};
    const double loss[4] = {1.0986122886681098, 2.40760596444438, 2e30, 0.6931471805599453};
    const uint8_t pred[4] = {0, 2, 0, 1};
    double total = 0;
    for (int b = 0; b < 4; b++) {
        float p[3];
        uint8_t got_pred = 99;
        double got = softmax_xent_scalar(1, 3, Z[b], &label[b], p, &got_pred);
        cr_assert(isfinite(got), "row %d: loss %g is not finite", b, got);
        char what[32];
        snprintf(what, sizeof what, "row %d: loss", b);
        expect_near(got, loss[b], 1e-6, what);
        cr_assert(got_pred == pred[b], "row %d: pred %d, want %d", b, got_pred, pred[b]);
        for (int c = 0; c < 3; c++) {
            snprintf(what, sizeof what, "row %d: P[%d]", b, c);
            expect_near(p[c], P[b][c], 4 * FLT_EPSILON, what);
        }
        total += got;
    }
    float p[4][3];
    uint8_t got_pred[4];
    double got = softmax_xent_scalar(4, 3, &Z[0][0], label, &p[0][0], got_pred);
    expect_near(got, total, 1e-15, "4 rows at once: summed loss");
}

Test(act_scalar, xent_bwd_by_hand_and_aliased)
{
    float P[2][3] = {{0.2f, 0.5f, 0.3f}, {0.1f, 0.1f, 0.8f}}, dZ[2][3];
    const uint8_t label[2] = {1, 2};
    const float want[2][3] = {{0.1f, -0.25f, 0.15f}, {0.05f, 0.05f, -0.1f}};
    xent_bwd_scalar(2, 3, &P[0][0], label, 0.5f, &dZ[0][0]);
    xent_bwd_scalar(2, 3, &P[0][0], label, 0.5f, &P[0][0]); /* dZ aliasing P */
    for (int b = 0; b < 2; b++)
        for (int c = 0; c < 3; c++) {
            cr_assert(close_to(dZ[b][c], want[b][c], FLT_EPSILON, 0),
                      "dZ[%d][%d] = %.9g, want %.9g", b, c, (double)dZ[b][c],
                      (double)want[b][c]);
            cr_assert(P[b][c] == dZ[b][c], "aliased dZ[%d][%d] = %g, want %g", b, c,
                      (double)P[b][c], (double)dZ[b][c]);
        }
}

/* Keras: SGD(learning_rate=0.1) and SGD(learning_rate=0.1, momentum=0.9). */
Test(act_scalar, sgd_and_momentum_by_hand)
{
    float p = 1, g = 0.5f;
    sgd_scalar(1, &p, &g, NULL, 0.1f, 0.0f, 0.0f); /* p -= lr*g; vel unused */
    expect_near(p, 0.95, 2 * FLT_EPSILON, "plain SGD: p");

    float vel = 0.2f;
    p = 1;
    sgd_scalar(1, &p, &g, &vel, 0.1f, 0.9f, 0.0f); /* vel = 0.9*0.2 - 0.1*0.5 */
    expect_near(vel, 0.13, 2 * FLT_EPSILON, "momentum step 1: vel");
    expect_near(p, 1.13, 2 * FLT_EPSILON, "momentum step 1: p");
    g = -1;
    sgd_scalar(1, &p, &g, &vel, 0.1f, 0.9f, 0.0f); /* vel = 0.9*0.13 + 0.1 */
    expect_near(vel, 0.217, 4 * FLT_EPSILON, "momentum step 2: vel");
    expect_near(p, 1.347, 4 * FLT_EPSILON, "momentum step 2: p");
}

/* Every byte value: the correctly rounded u / 255 (the double quotient rounded
 * to float is correctly rounded, as 53 >= 2 * 24 + 2). */
Test(act_scalar, pixels_every_byte)
{
    uint8_t u[256];
    float x[256];
    for (int i = 0; i < 256; i++)
        u[i] = (uint8_t)i;
    pixels_scalar(256, u, x);
    for (int i = 0; i < 256; i++)
        cr_assert(x[i] == (float)(i / 255.0), "pixels(%d) = %a, want %a", i, (double)x[i],
                  (double)(float)(i / 255.0));
    cr_assert(x[0] == 0 && x[255] == 1, "the ends: %g %g", (double)x[0], (double)x[255]);
}

/* Keras' Adam(learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7), two
 * steps from p = 0 with g = 0.5 then -0.25; the values come from the formula in
 * kernels.h evaluated in double on the float32 values of the constants (which is
 * what Keras holds: 1 - 0.999f is 0.00099998713, not 0.001). */
Test(act_scalar, adam_two_steps_by_hand)
{
    adam_params a = {.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f};
    float p = 0, m = 0, v = 0, g = 0.5f;
    a.bias_corr1 = 0.1f, a.bias_corr2 = 0.001f;
    adam_scalar(1, &p, &g, &m, &v, NULL, &a);
    expect_near(m, 0.050000011920928955, 4 * FLT_EPSILON, "step 1: m");
    expect_near(v, 0.00024999678134918213, 4 * FLT_EPSILON, "step 1: v");
    expect_near(p, -0.0010000004075306152, 1e-6, "step 1: p");
    g = -0.25f;
    a.bias_corr1 = 0.19f, a.bias_corr2 = 0.001999f;
    adam_scalar(1, &p, &g, &m, &v, NULL, &a);
    expect_near(m, 0.020000003576278402, 8 * FLT_EPSILON, "step 2: m");
    expect_near(v, 0.00031224598312373786, 8 * FLT_EPSILON, "step 2: v");
    expect_near(p, -0.0012663377225213461, 1e-6, "step 2: p");
}

/* --- every activation set against scalar ------------------------------------ */

static const uint64_t SEED = 0xac75eed;
static const size_t NS[] = {0, 1, 7, 8, 9, 1003};
static const float SPECIALS[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e30f, -1e30f};

static uint64_t rng_next(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* n floats uniform in [-scale, scale), every fifth one a special value when
 * specials (a fresh buffer, free()). */
static float *fill(size_t n, double scale, bool specials, uint64_t *rng)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    cr_assert(x, "out of memory for %zu floats", n);
    for (size_t i = 0; i < n; i++)
        x[i] = specials && i % 5 == 4
                   ? SPECIALS[i / 5 % COUNT(SPECIALS)]
                   : (float)(scale * ((double)(rng_next(rng) >> 11) / 0x1p52 - 1.0));
    return x;
}

static float *copy(const float *x, size_t n)
{
    float *y = malloc((n ? n : 1) * sizeof *y);
    cr_assert(y, "out of memory for %zu floats", n);
    memcpy(y, x, n * sizeof *y);
    return y;
}

/* Every element of got within rel*|want| + abs of want (both NaN counts as equal). */
static void expect_close(const char *set, const char *what, size_t n, const float *got,
                         const float *want, double rel, double abs)
{
    for (size_t i = 0; i < n; i++)
        cr_assert(close_to(got[i], want[i], rel, abs),
                  "activation '%s' %s, n=%zu: [%zu] = %.9g, scalar %.9g", set, what, n, i,
                  (double)got[i], (double)want[i]);
}

static void free_params(struct criterion_test_params *crp)
{
    cr_free(crp->params);
}

ParameterizedTestParameters(act, matches_scalar)
{
    size_t n;
    act_table(&n);
    int *rows = cr_malloc(n * sizeof *rows);
    size_t k = 0;
    for (size_t i = 1; i < n; i++) /* row 0 is scalar itself */
        rows[k++] = (int)i;
    return cr_make_param_array(int, rows, k, free_params);
}

/* Tolerances: element-wise results (bias + ReLU, ReLU backward) must be equal;
 * sums may be reordered (bias_grad: B*eps of the absolute sum); exp may be
 * approximated (softmax: 16 eps relative per P, 1e-6 of the loss); updates may use
 * FMA (a few eps of the terms). */
ParameterizedTest(int *row, act, matches_scalar)
{
    size_t n_sets;
    const act_kernel *k = &act_table(&n_sets)[*row], *ref = &act_table(&n_sets)[0];
    if (!kernel_runs_here(k->needs)) {
        char why[256] = "";
        act_select(k->name, why, sizeof why);
        cr_skip_test("%s", why);
    }
    for (size_t t = 0; t < COUNT(NS); t++) {
        size_t n = NS[t];
        uint64_t rng = SEED + n;
        const int B = 5, ld = (int)n + 3;

        /* bias_act: B rows of n, stride n + 3 (the padding must come back as is). */
        float *bias = fill(n, 2, true, &rng), *Y = fill((size_t)B * ld, 4, true, &rng);
        for (int relu = 0; relu < 2; relu++) {
            float *got = copy(Y, (size_t)B * ld), *want = copy(Y, (size_t)B * ld);
            k->bias_act(B, (int)n, bias, relu, got, ld);
            ref->bias_act(B, (int)n, bias, relu, want, ld);
            expect_close(k->name, relu ? "bias_act relu" : "bias_act", (size_t)B * ld, got,
                         want, 0, 0);
            free(got), free(want);
        }

        /* relu_bwd on a ReLU output (so with zeros, never -0 or NaN), and bias_grad. */
        float *relu_y = fill(n, 1, true, &rng), *dY = fill((size_t)B * n, 3, true, &rng);
        for (size_t i = 0; i < n; i++)
            relu_y[i] = relu_y[i] > 0 ? relu_y[i] : 0.0f;
        float *got = copy(dY, n), *want = copy(dY, n);
        k->relu_bwd(n, relu_y, got);
        ref->relu_bwd(n, relu_y, want);
        expect_close(k->name, "relu_bwd", n, got, want, 0, 0);
        free(got), free(want);

        float *db = fill(n, 1, false, &rng);
        got = copy(db, n), want = copy(db, n);
        k->bias_grad(B, (int)n, dY, (int)n, got);
        ref->bias_grad(B, (int)n, dY, (int)n, want);
        for (size_t j = 0; j < n; j++) {
            double abs_sum = fabs(db[j]);
            for (int b = 0; b < B; b++)
                abs_sum += fabs(dY[(size_t)b * n + j]);
            cr_assert(close_to(got[j], want[j], 0, 2 * B * FLT_EPSILON * abs_sum),
                      "activation '%s' bias_grad, n=%zu: db[%zu] = %.9g, scalar %.9g",
                      k->name, n, j, (double)got[j], (double)want[j]);
        }
        free(got), free(want), free(db), free(relu_y), free(dY), free(bias), free(Y);

        /* softmax_xent and xent_bwd: n rows of C classes (C from 1 to 256, the most
         * a uint8_t label can name), logits in [-10, 10) with the specials. */
        static const int CS[] = {1, 7, 8, 9, 10, 256};
        int C = CS[t], rows = (int)n;
        float *Z = fill((size_t)rows * C, 10, true, &rng);
        uint8_t *label = malloc((size_t)rows + 1), *pred_got = malloc((size_t)rows + 1),
                *pred_want = malloc((size_t)rows + 1);
        cr_assert(label && pred_got && pred_want, "out of memory");
        for (int b = 0; b < rows; b++)
            label[b] = (uint8_t)(rng_next(&rng) % (uint64_t)C);
        float *P_got = copy(Z, (size_t)rows * C), *P_want = copy(Z, (size_t)rows * C);
        double loss_got = k->softmax_xent(rows, C, Z, label, P_got, pred_got);
        double loss_want = ref->softmax_xent(rows, C, Z, label, P_want, pred_want);
        cr_assert(close_to(loss_got, loss_want, 1e-6, 0), "activation '%s' softmax_xent, "
                  "%d x %d: loss %.12g, scalar %.12g", k->name, rows, C, loss_got, loss_want);
        expect_close(k->name, "softmax_xent P", (size_t)rows * C, P_got, P_want,
                     16 * FLT_EPSILON, FLT_MIN);
        for (int b = 0; b < rows; b++)
            cr_assert(pred_got[b] == pred_want[b], "activation '%s' softmax_xent, %d x %d: "
                      "pred[%d] = %d, scalar %d", k->name, rows, C, b, pred_got[b],
                      pred_want[b]);
        k->xent_bwd(rows, C, P_want, label, 0.25f, P_got);
        ref->xent_bwd(rows, C, P_want, label, 0.25f, P_want); /* aliased */
        expect_close(k->name, "xent_bwd", (size_t)rows * C, P_got, P_want, 2 * FLT_EPSILON,
                     FLT_MIN);
        free(Z), free(label), free(pred_got), free(pred_want), free(P_got), free(P_want);

        /* sgd (plain and momentum) and adam on n parameters. */
        float *p = fill(n, 1, true, &rng), *g = fill(n, 1, true, &rng);
        float *vel = fill(n, 0.1, false, &rng), *m = fill(n, 0.1, false, &rng);
        float *v = fill(n, 0.01, false, &rng);
        for (size_t i = 0; i < n; i++)
            v[i] = fabsf(v[i]);
        for (int variant = 0; variant < 4; variant++) { /* momentum, and L2 decay */
            bool momentum = variant & 1;
            float mu = momentum ? 0.9f : 0.0f, wd = variant & 2 ? 5e-3f : 0.0f;
            float *p_got = copy(p, n), *p_want = copy(p, n);
            float *vel_got = copy(vel, n), *vel_want = copy(vel, n);
            k->sgd(n, p_got, g, vel_got, 0.01f, mu, wd);
            ref->sgd(n, p_want, g, vel_want, 0.01f, mu, wd);
            expect_close(k->name, momentum ? "sgd momentum vel" : "sgd vel", n, vel_got,
                         vel_want, 4 * FLT_EPSILON, FLT_MIN);
            expect_close(k->name, momentum ? "sgd momentum p" : "sgd p", n, p_got, p_want,
                         4 * FLT_EPSILON, 1e-9);
            free(p_got), free(p_want), free(vel_got), free(vel_want);
        }
        adam_params a = {1e-3f, 0.9f, 0.999f, 1e-7f, 1 - 0.9f * 0.9f, 1 - 0.999f * 0.999f, 0.9f,
                         1e-5f};
        float *p_got = copy(p, n), *p_want = copy(p, n), *m_got = copy(m, n),
              *m_want = copy(m, n), *v_got = copy(v, n), *v_want = copy(v, n);
        float *avg_got = copy(vel, n), *avg_want = copy(vel, n);
        k->adam(n, p_got, g, m_got, v_got, avg_got, &a); /* with the average in its pass */
        ref->adam(n, p_want, g, m_want, v_want, NULL, &a);
        ref->ema(n, avg_want, p_want, a.ema);
        expect_close(k->name, "adam m", n, m_got, m_want, 4 * FLT_EPSILON, FLT_MIN);
        expect_close(k->name, "adam v", n, v_got, v_want, 4 * FLT_EPSILON, FLT_MIN);
        expect_close(k->name, "adam p", n, p_got, p_want, 4 * FLT_EPSILON, 1e-8);
        expect_close(k->name, "adam avg", n, avg_got, avg_want, 4 * FLT_EPSILON, 1e-8);
        free(p_got), free(p_want), free(m_got), free(m_want), free(v_got), free(v_want);
        free(avg_got), free(avg_want);
        free(p), free(g), free(vel), free(m), free(v);
    }
}

/* --- the registry ---------------------------------------------------------- */

Test(registry, select_by_name)
{
    size_t ng, na;
    const gemm_kernel *g = gemm_table(&ng);
    const act_kernel *a = act_table(&na);
    cr_assert(ng >= 3 && strcmp(g[0].name, "naive") == 0 && strcmp(g[1].name, "blocked") == 0,
              "the gemm table starts naive, blocked");
    cr_assert(na >= 1 && strcmp(a[0].name, "scalar") == 0, "the activation table starts scalar");
    char why[256];
    for (size_t i = 0; i < ng; i++)
        if (kernel_runs_here(g[i].needs))
            cr_assert(gemm_select(g[i].name, why, sizeof why) == &g[i], "gemm '%s'", g[i].name);
    for (size_t i = 0; i < na; i++)
        if (kernel_runs_here(a[i].needs))
            cr_assert(act_select(a[i].name, why, sizeof why) == &a[i], "activation '%s'",
                      a[i].name);
}

Test(registry, auto_is_the_last_runnable_non_reference_fp32)
{
    size_t ng, na;
    const gemm_kernel *g = gemm_table(&ng);
    const act_kernel *a = act_table(&na);
    char why[256];
    const gemm_kernel *pick = gemm_select("auto", why, sizeof why);
    const unsigned never = KERNEL_REFERENCE | KERNEL_BF16;
    cr_assert(pick && !(pick->flags & never) && kernel_runs_here(pick->needs),
              "gemm auto picked '%s'", pick ? pick->name : "(null)");
    for (const gemm_kernel *later = pick + 1; later < g + ng; later++)
        cr_assert((later->flags & never) || !kernel_runs_here(later->needs),
                  "gemm auto picked '%s', but '%s' comes later and runs here", pick->name,
                  later->name);
    cr_assert(gemm_select(NULL, why, sizeof why) == pick, "NULL means auto");
    const act_kernel *act = act_select("auto", why, sizeof why);
    cr_assert(act && kernel_runs_here(act->needs), "activation auto picked nothing it runs");
    for (const act_kernel *later = act + 1; later < a + na; later++)
        cr_assert(!kernel_runs_here(later->needs),
                  "activation auto picked '%s', but '%s' comes later and runs here", act->name,
                  later->name);
}

Test(registry, unknown_name_lists_the_choices)
{
    size_t ng, na;
    const gemm_kernel *g = gemm_table(&ng);
    const act_kernel *a = act_table(&na);
    char why[256], want[256] = "unknown gemm kernel 'foo' (choose from: auto";
    for (size_t i = 0; i < ng; i++)
        strcat(strcat(want, " "), g[i].name);
    strcat(want, ")");
    cr_assert(gemm_select("foo", why, sizeof why) == NULL, "gemm 'foo' was found");
    cr_assert_str_eq(why, want);
    cr_assert(gemm_select("Naive", NULL, 0) == NULL, "names are case-sensitive, why may be NULL");

    strcpy(want, "unknown activation kernel 'bogus' (choose from: auto");
    for (size_t i = 0; i < na; i++)
        strcat(strcat(want, " "), a[i].name);
    strcat(want, ")");
    cr_assert(act_select("bogus", why, sizeof why) == NULL, "activation 'bogus' was found");
    cr_assert_str_eq(why, want);

    char small[20];
    cr_assert(gemm_select("foo", small, sizeof small) == NULL, "gemm 'foo' was found");
    cr_assert_str_eq(small, "unknown gemm kernel");
}

/* Rows this CPU cannot run (none on an AVX-512 machine) give the needs/has hint. */
Test(registry, unsupported_name_says_why)
{
    size_t ng;
    const gemm_kernel *g = gemm_table(&ng);
    char why[256], needs[128], has[128], want[512];
    cpu_features_str(cpu_features(), has, sizeof has);
    for (size_t i = 0; i < ng; i++) {
        if (kernel_runs_here(g[i].needs))
            continue;
        cpu_features_str(g[i].needs, needs, sizeof needs);
        const char *isa = getenv("SIMD_MLP_MAX_ISA"); /* .ci/run hides AVX-512 once */
        snprintf(want, sizeof want, "gemm '%s' needs %s; this CPU has %s%s%s (try gemm = auto)",
                 g[i].name, needs, has, isa && *isa ? " under SIMD_MLP_MAX_ISA=" : "",
                 isa && *isa ? isa : "");
        cr_assert(gemm_select(g[i].name, why, sizeof why) == NULL, "'%s' runs", g[i].name);
        cr_assert_str_eq(why, want);
    }
}

Test(registry, cpu_features)
{
    char buf[64];
    cpu_features_str(0, buf, sizeof buf);
    cr_assert_str_eq(buf, "none");
    cpu_features_str(CPU_FMA | CPU_AVX2 | CPU_AVX512VL, buf, sizeof buf);
    cr_assert_str_eq(buf, "avx2 fma avx512vl");
    cpu_features_str(CPU_AVX2 | CPU_FMA, buf, 6);
    cr_assert_str_eq(buf, "avx2", "a short buffer keeps whole names");
    unsigned f = cpu_features();
    cr_assert(cpu_features() == f, "cached");
    cr_assert(kernel_runs_here(0) && kernel_runs_here(f), "features %#x", f);
    for (unsigned bit = 1; bit <= CPU_AVX512DQ; bit <<= 1)
        cr_assert(kernel_runs_here(bit) == ((f & bit) != 0), "bit %#x", bit);
}

Test(registry, threads)
{
    cr_assert_eq(kernels_set_threads(1), 1);
    cr_assert_eq(kernels_max_threads(), 1);
    int all = kernels_set_threads(0);
    cr_assert(all >= 1, "every core: %d", all);
    cr_assert_eq(kernels_max_threads(), all);
}

/* OpenBLAS takes the count at gemm_openblas's next call, not from
 * kernels_set_threads (which would start its spinning workers in every run). */
Test(registry, openblas_threads_at_its_call)
{
    const float a = 2.0f, b = 3.0f;
    float c = 0.0f;
    kernels_set_threads(1);
    gemm_openblas(false, false, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
    cr_assert_eq(c, 6.0f);
    cr_assert_eq(openblas_get_num_threads(), 1);
    kernels_set_threads(3);
    cr_assert_eq(openblas_get_num_threads(), 1, "kernels_set_threads reached OpenBLAS");
    gemm_openblas(false, false, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
    cr_assert_eq(openblas_get_num_threads(), 3, "gemm_openblas did not apply the count");
    kernels_set_threads(0);
}
