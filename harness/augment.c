/* augment.c: see augment.h. */
#include "augment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PAD = 2 }; /* the zero border of the padded source */

bool augment_init(augment *a, const cfg *c, int rows, int cols, const act_kernel *ak) {
    memset(a, 0, sizeof *a);
    if (!strcmp(c->augment, "none")) return false;
    a->elastic = !strcmp(c->augment, "elastic");
    a->rows = rows;
    a->cols = cols;
    a->shift = (float)c->shift;
    a->rotate = (float)(c->rotate * M_PI / 180);
    a->scale = (float)c->scale;
    a->alpha = (float)c->elastic_alpha;
    a->sigma = (float)c->elastic_sigma;
    a->ak = ak;
    if (a->elastic) a->bank = xmalloc((size_t)AUGMENT_BANK * 2 * (size_t)rows * (size_t)cols * sizeof *a->bank);
    rng_seed(&a->rng, c->seed ^ 0xa0a0a0a0a0a0a0a0ull);
    return true;
}

void augment_free(augment *a) {
    free(a->bank);
    memset(a, 0, sizeof *a);
}

/* Index i of n mirrored into [0, n) as scipy's gaussian_filter does at the
 * edges (mode 'reflect': d c b a | a b c d | d c b a), folding as often as the
 * kernel is wide. */
static int reflect(int i, int n) {
    for (;;) {
        if (i < 0) i = -i - 1;
        else if (i >= n) i = 2 * n - i - 1;
        else return i;
    }
}

/* f (rows, cols) convolved with the Gaussian g (radius r, 2r + 1 taps) along
 * the rows, then the columns; tmp is scratch of the same size. */
static void smooth(float *f, float *tmp, int rows, int cols, const float *g, int r) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            float s = 0;
            for (int k = -r; k <= r; k++) s += g[k + r] * f[i * cols + reflect(j + k, cols)];
            tmp[i * cols + j] = s;
        }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            float s = 0;
            for (int k = -r; k <= r; k++) s += g[k + r] * tmp[reflect(i + k, rows) * cols + j];
            f[i * cols + j] = s;
        }
}

void augment_epoch(augment *a) {
    if (!a->elastic) return;
    const int r = (int)ceilf(3 * a->sigma), n = a->rows * a->cols;
    float *g = xmalloc((size_t)(2 * r + 1) * sizeof *g), *tmp = xmalloc((size_t)n * sizeof *tmp);
    double sum = 0;
    for (int k = -r; k <= r; k++) sum += g[k + r] = expf(-(float)(k * k) / (2 * a->sigma * a->sigma));
    for (int k = 0; k <= 2 * r; k++) g[k] = (float)(g[k] / sum);
    for (int f = 0; f < 2 * AUGMENT_BANK; f++) {
        float *field = a->bank + (size_t)f * (size_t)n;
        for (int i = 0; i < n; i++) field[i] = (float)(2 * rng_uniform(&a->rng) - 1);
        smooth(field, tmp, a->rows, a->cols, g, r);
    }
    free(g);
    free(tmp);
}

/* A uniform draw in [-w, w]. */
static float spread(rng_state *r, float w) { return (float)((2 * rng_uniform(r) - 1) * w); }

augment_draw augment_next(augment *a) {
    augment_draw d = {0}; /* one draw after another: an initializer list has no order */
    d.theta = spread(&a->rng, a->rotate);
    d.size = 1 + spread(&a->rng, a->scale);
    d.ty = spread(&a->rng, a->shift);
    d.tx = spread(&a->rng, a->shift);
    if (a->elastic) d.field = rng_below(&a->rng, AUGMENT_BANK * 16);
    return d;
}

/* The field under the draw's symmetry, scaled by -1 where it flips an axis, into
 * fy, fx (rows x cols): the warp kernels then read it in order. */
static void field_under(const augment *a, unsigned field, float *fy, float *fx) {
    const int R = a->rows, C = a->cols, n = R * C;
    const unsigned sym = field % 16;
    const float *by = a->bank + (size_t)(field / 16 % AUGMENT_BANK) * 2 * (size_t)n, *bx = by + n;
    const bool turn = sym & 4 && R == C;
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) {
            const int ii = sym & 1 ? R - 1 - i : i, jj = sym & 2 ? C - 1 - j : j;
            const int at = turn ? jj * C + ii : ii * C + jj;
            const float dy = turn ? bx[at] : by[at], dx = turn ? by[at] : bx[at];
            fy[i * C + j] = sym & 1 ? -dy : dy;
            fx[i * C + j] = sym & 2 ? -dx : dx;
        }
}

size_t augment_scratch_floats(const augment *a) {
    return (size_t)(a->rows + 2 * PAD) * (size_t)(a->cols + 2 * PAD) + 2 * (size_t)a->rows * (size_t)a->cols;
}

void augment_warp(const augment *a, const augment_draw *d, const float *x, float *out, float *scratch) {
    const int R = a->rows, C = a->cols, W = C + 2 * PAD;
    float *padded = scratch, *fy = padded + (size_t)(R + 2 * PAD) * W, *fx = fy + R * C;
    for (int i = 0; i < R; i++) memcpy(padded + (size_t)(i + PAD) * W + PAD, x + (size_t)i * C, (size_t)C * sizeof *x);
    /* the source of output pixel p: c + R(-theta) (p - c) / size - t */
    const float s = 1 / d->size, r01 = s * sinf(d->theta);
    warp_params w = {.rows = R, .cols = C, .pad = PAD, .cy = (R - 1) / 2.0f, .cx = (C - 1) / 2.0f,
                     .r00 = s * cosf(d->theta), .r01 = r01, .r10 = -r01, .ty = d->ty, .tx = d->tx};
    w.r11 = w.r00;
    if (a->elastic) {
        field_under(a, d->field, fy, fx);
        w.alpha = d->field % 16 & 8 ? -a->alpha : a->alpha;
        w.fy = fy;
        w.fx = fx;
    }
    a->ak->warp(&w, padded, out);
}
