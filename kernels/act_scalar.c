/* act_scalar.c: the `scalar` activation set, plain C loops for everything element-
 * or row-wise the trainer runs: bias + ReLU, ReLU backward, bias gradient, softmax
 * + cross-entropy forward and backward, SGD (with momentum), Adam and the weight
 * average.  It is the reference every other activation set is tested against and
 * runs on any CPU; it is written to be obviously right, not fast (no intrinsics,
 * no threads). */
#include <math.h>

#include "impl.h"

/* bias_act_scalar: Y[b][n] += bias[n], then ReLU when relu.  Y is B x N, stride ldy.
 *   ReLU is y > 0 ? y : +0, so -0 and NaN give +0, as the SIMD max(y, 0) does. */
void bias_act_scalar(int B, int N, const float *bias, bool relu, float *Y, int ldy)
{
    for (int b = 0; b < B; b++) {
        float *y_row = Y + (size_t)b * ldy;
        for (int n = 0; n < N; n++) {
            float y = y_row[n] + bias[n];
            y_row[n] = relu && !(y > 0) ? 0.0f : y;
        }
    }
}

/* relu_bwd_scalar: dY[i] = 0 where Y[i] <= 0 (Y the ReLU output, -0 included);
 * n contiguous floats. */
void relu_bwd_scalar(size_t n, const float *Y, float *dY)
{
    for (size_t i = 0; i < n; i++)
        if (Y[i] <= 0)
            dY[i] = 0.0f;
}

/* bias_grad_scalar: db[n] += dY[0][n] + dY[1][n] + ..., added into db one row at a
 * time in float.  dY is B x N, row stride ldy >= N. */
void bias_grad_scalar(int B, int N, const float *dY, int ldy, float *db)
{
    for (int b = 0; b < B; b++) {
        const float *dy_row = dY + (size_t)b * (size_t)ldy;
        for (int n = 0; n < N; n++)
            db[n] += dy_row[n];
    }
}

/* softmax_xent_scalar: row-wise softmax of Z (B x C, contiguous) into P (B x C);
 * returns the summed cross-entropy over the rows, writes each row's argmax into
 * pred[b] (first index on ties).  label[b] < C.
 *   With m the row max: P = expf(z - m) / s, s = sum of expf(z - m) (in double);
 *   loss_b = log(s) + (m - z[label]), in double, so finite for any finite Z
 *   (|z| up to FLT_MAX). */
double softmax_xent_scalar(int B, int C, const float *Z, const uint8_t *label, float *P,
                           uint8_t *pred)
{
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        const float *z_row = Z + (size_t)b * C;
        float *p_row = P + (size_t)b * C;
        int arg = 0;
        for (int c = 1; c < C; c++)
            if (z_row[c] > z_row[arg])
                arg = c;
        float z_max = z_row[arg];
        double margin = (double)z_max - z_row[label[b]];
        double sum = 0.0;
        for (int c = 0; c < C; c++) {
            p_row[c] = expf(z_row[c] - z_max);
            sum += p_row[c];
        }
        for (int c = 0; c < C; c++)
            p_row[c] = (float)(p_row[c] / sum);
        loss += log(sum) + margin;
        pred[b] = (uint8_t)arg;
    }
    return loss;
}

/* xent_bwd_scalar: dZ = scale * (P - onehot(label)).  P and dZ are B x C,
 * contiguous; may alias. */
void xent_bwd_scalar(int B, int C, const float *P, const uint8_t *label, float scale,
                     float *dZ)
{
    for (int b = 0; b < B; b++) {
        const float *p_row = P + (size_t)b * C;
        float *dz_row = dZ + (size_t)b * C;
        for (int c = 0; c < C; c++)
            dz_row[c] = scale * (p_row[c] - (c == label[b] ? 1.0f : 0.0f));
    }
}

/* sgd_scalar: g' = g + wd*p; vel = mu*vel - lr*g'; p += vel (Keras' SGD(momentum=mu),
 *   with coupled L2 decay wd).  mu == 0: p -= lr*g', vel not touched (may be NULL). */
void sgd_scalar(size_t n, float *p, const float *g, float *vel, float lr, float mu, float wd)
{
    if (mu == 0) {
        for (size_t i = 0; i < n; i++)
            p[i] -= lr * (g[i] + wd * p[i]);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        vel[i] = mu * vel[i] - lr * (g[i] + wd * p[i]);
        p[i] += vel[i];
    }
}

/* adam_scalar: m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;
 *   p = (p - decay*p) - step * m / (sqrtf(v) + eps), step = lr * sqrtf(bc2) / bc1 computed once
 *   (Keras' Adam: epsilon outside the bias correction); then avg = ema_scalar's
 *   average of the new p when avg is not NULL. */
void adam_scalar(size_t n, float *p, const float *g, float *m, float *v, float *avg,
                 const adam_params *a)
{
    float step = a->lr * sqrtf(a->bias_corr2) / a->bias_corr1;
    for (size_t i = 0; i < n; i++) {
        m[i] = a->beta1 * m[i] + (1.0f - a->beta1) * g[i];
        v[i] = a->beta2 * v[i] + (1.0f - a->beta2) * g[i] * g[i];
        p[i] = (p[i] - a->decay * p[i]) - step * m[i] / (sqrtf(v[i]) + a->eps);
    }
    if (avg)
        ema_scalar(n, avg, p, a->ema);
}

/* ema_scalar: avg = mu*avg + (1-mu)*p over n floats (Keras' use_ema average),
 *   two roundings: the product mu*avg, then the sum with the product (1-mu)*p. */
void ema_scalar(size_t n, float *avg, const float *p, float mu)
{
    for (size_t i = 0; i < n; i++)
        avg[i] = mu * avg[i] + (1.0f - mu) * p[i];
}

/* pixels_scalar: dst[i] = src[i] / KERNELS_PIXEL_SCALE, n bytes into n floats. */
void pixels_scalar(size_t n, const uint8_t *src, float *dst)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] / KERNELS_PIXEL_SCALE;
}

/* warp_scalar: out = src warped by w (kernels.h's warp_params), pixel by pixel.
 *   The clamps are ternaries and truncation a cast (the coordinates are >= 0.5
 *   there, so it is floor), which x86-64's baseline inlines: floorf and fminf
 *   are calls there. */
void warp_scalar(const warp_params *w, const float *src, float *out)
{
    const int R = w->rows, C = w->cols, ld = C + 2 * w->pad;
    const float hi_y = (float)(R + w->pad) + 0.5f, hi_x = (float)(C + w->pad) + 0.5f;
    for (int i = 0; i < R; i++) {
        const float v = (float)i - w->cy, ry = w->r11 * v, rx = w->r01 * v;
        for (int j = 0; j < C; j++) {
            const float u = (float)j - w->cx;
            float y = w->cy + w->r10 * u + ry - w->ty, x = w->cx + w->r00 * u + rx - w->tx;
            if (w->fy) {
                y += w->alpha * w->fy[i * C + j];
                x += w->alpha * w->fx[i * C + j];
            }
            y += (float)w->pad;
            x += (float)w->pad;
            y = y < 0.5f ? 0.5f : y > hi_y ? hi_y : y;
            x = x < 0.5f ? 0.5f : x > hi_x ? hi_x : x;
            const int y0 = (int)y, x0 = (int)x;
            const float wy = y - (float)y0, wx = x - (float)x0;
            const float *p = src + (size_t)y0 * ld + x0;
            const float top = p[0] + wx * (p[1] - p[0]), bot = p[ld] + wx * (p[ld + 1] - p[ld]);
            out[i * C + j] = top + wy * (bot - top);
        }
    }
}
