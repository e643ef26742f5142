/* test_regularize.c: the research features of [train] and [data] against values
 * computed by hand: weight decay in the update kernels (coupled L2 for SGD,
 * AdamW's for Adam), every learning-rate schedule, dropout's mask and scale,
 * the max-norm clip, and the augmentation on known images (a shift moves a pixel
 * where it should go, an elastic field of alpha 0 is the identity).  Whole
 * training runs with them (bit-identity on every thread count, early stopping)
 * are test_repro.c's. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "impl.h"
#include "regularize.h"
#include "schedule.h"

static void expect_near(double got, double want, double tol, const char *what) {
    cr_assert(fabs(got - want) <= tol * fmax(1, fabs(want)), "%s: got %.9g, want %.9g", what, got, want);
}

/* SGD(lr 0.1, wd 0.5) from p = 2, g = 0.25: g' = 0.25 + 0.5*2 = 1.25, p = 2 - 0.125;
 * with momentum 0.9 and vel 0.1: vel = 0.09 - 0.125 = -0.035. */
Test(weight_decay, sgd_adds_l2_to_the_gradient) {
    float p = 2, g = 0.25f, vel = 0.1f;
    sgd_scalar(1, &p, &g, NULL, 0.1f, 0.0f, 0.5f);
    expect_near(p, 1.875, 1e-7, "sgd p");
    p = 2;
    sgd_scalar(1, &p, &g, &vel, 0.1f, 0.9f, 0.5f);
    expect_near(vel, -0.035, 1e-6, "momentum vel");
    expect_near(p, 1.965, 1e-6, "momentum p");
}

/* AdamW: p = (p - decay*p) - step*m/(sqrt(v)+eps), the decay outside the moments:
 * with g = 0 the moments stay 0 and only the decay moves p (2 -> 2 - 0.01*2);
 * decay 0 gives Adam's bits. */
Test(weight_decay, adam_decays_decoupled) {
    adam_params a = {.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f, .bias_corr1 = 0.1f,
                     .bias_corr2 = 0.001f, .decay = 0.01f};
    float p = 2, g = 0, m = 0, v = 0;
    adam_scalar(1, &p, &g, &m, &v, NULL, &a);
    expect_near(p, 1.98, 1e-7, "decay alone");
    cr_assert(m == 0 && v == 0, "the moments saw no gradient: m %g v %g", (double)m, (double)v);
    float p0 = 0.5f, p1 = 0.5f, m0 = 0, m1 = 0, v0 = 0, v1 = 0;
    g = 0.3f;
    adam_scalar(1, &p0, &g, &m0, &v0, NULL, &a);
    a.decay = 0;
    adam_scalar(1, &p1, &g, &m1, &v1, NULL, &a);
    expect_near(p0, p1 - 0.01 * 0.5, 1e-6, "decay beside the step");
}

static schedule sched(const char *kind, double warmup) {
    return (schedule){.kind = !strcmp(kind, "step")       ? SCHED_STEP
                              : !strcmp(kind, "cosine")   ? SCHED_COSINE
                              : !strcmp(kind, "onecycle") ? SCHED_ONECYCLE
                                                          : SCHED_CONSTANT,
                      .lr = 0.1, .lr_min = 0.01, .warmup_epochs = warmup, .step_gamma = 0.5,
                      .step_epochs = 2, .epochs = 4};
}

/* Epochs of 10 steps, 4 epochs, lr 0.1, lr_min 0.01. */
Test(schedule, every_kind_by_hand) {
    schedule s = sched("constant", 0);
    expect_near(schedule_lr(&s, 3, 9, 10), 0.1, 1e-12, "constant");
    s = sched("step", 0); /* 0.1 for epochs 0-1, 0.05 for 2-3 */
    expect_near(schedule_lr(&s, 1, 9, 10), 0.1, 1e-12, "step, epoch 2");
    expect_near(schedule_lr(&s, 2, 0, 10), 0.05, 1e-12, "step, epoch 3");
    s = sched("cosine", 0); /* t = 2 is half way: (0.1 + 0.01) / 2 */
    expect_near(schedule_lr(&s, 0, 0, 10), 0.1, 1e-12, "cosine start");
    expect_near(schedule_lr(&s, 2, 0, 10), 0.055, 1e-12, "cosine half way");
    expect_near(schedule_lr(&s, 3, 0, 10), 0.01 + 0.09 * (1 + cos(M_PI * 0.75)) / 2, 1e-12, "cosine 3/4");
    s = sched("cosine", 1); /* warm-up: step k of the first 10 at (k+1)/10 of the cosine at 0 */
    expect_near(schedule_lr(&s, 0, 0, 10), 0.01, 1e-12, "warm-up step 1");
    expect_near(schedule_lr(&s, 0, 4, 10), 0.05, 1e-12, "warm-up step 5");
    expect_near(schedule_lr(&s, 1, 0, 10), 0.1, 1e-12, "after the warm-up");
    expect_near(schedule_lr(&s, 2, 5, 10), 0.055, 1e-12, "cosine over the 3 epochs after it");
    s = sched("onecycle", 0); /* up over 0.3 * 4 = 1.2 epochs, then down */
    expect_near(schedule_lr(&s, 0, 0, 10), 0.01, 1e-12, "onecycle start");
    expect_near(schedule_lr(&s, 0, 6, 10), 0.055, 1e-12, "onecycle half way up (t = 0.6)");
    expect_near(schedule_lr(&s, 1, 2, 10), 0.1, 1e-12, "onecycle top (t = 1.2)");
    expect_near(schedule_lr(&s, 2, 6, 10), 0.055, 1e-12, "onecycle half way down (t = 2.6)");
}

/* Rate 0.25 over 64 x 64 ones: about a quarter dropped, the rest exactly 4/3;
 * the mask is the same for any split into column blocks; backward scales. */
Test(dropout, mask_scale_and_blocks) {
    enum { B = 64, N = 64 };
    static float y[B * N], z[B * N];
    for (int i = 0; i < B * N; i++) y[i] = z[i] = 1;
    uint64_t key = dropout_key(7, 3, 1);
    dropout_forward(y, B, N, 0, N, key, 0.25f);
    dropout_forward(z, B, N, 0, 20, key, 0.25f);
    dropout_forward(z, B, N, 20, N, key, 0.25f);
    int dropped = 0;
    for (int i = 0; i < B * N; i++) {
        cr_assert(y[i] == 0 || y[i] == 1.0f / 0.75f, "element %d is %g", i, (double)y[i]);
        dropped += y[i] == 0;
    }
    cr_assert(dropped > 0.2 * B * N && dropped < 0.3 * B * N, "%d of %d dropped at rate 0.25", dropped, B * N);
    cr_assert_eq(memcmp(y, z, sizeof y), 0, "two column blocks gave another mask");
    dropout_forward(z, B, N, 0, N, dropout_key(7, 4, 1), 0.25f);
    cr_assert_neq(memcmp(y, z, sizeof y), 0, "the next step drew the same mask");
    float d[4] = {1, 2, 0, 3};
    dropout_backward(d, 2, 2, 0, 2, 0.5f);
    cr_assert(d[0] == 2 && d[1] == 4 && d[2] == 0 && d[3] == 6, "backward: %g %g %g %g", (double)d[0],
              (double)d[1], (double)d[2], (double)d[3]);
}

/* W (2, 3): column 0 (3, 4) has norm 5, clipped to 2 -> (1.2, 1.6); column 1
 * (0.6, 0.8) stays; column 2 is outside the block. */
Test(max_norm, clips_long_columns_only) {
    float w[6] = {3, 0.6f, 30, 4, 0.8f, 40};
    max_norm_clip(w, 2, 3, 0, 2, 2.0f);
    expect_near(w[0], 1.2, 1e-6, "w[0][0]");
    expect_near(w[3], 1.6, 1e-6, "w[1][0]");
    cr_assert(w[1] == 0.6f && w[4] == 0.8f, "a short column changed");
    cr_assert(w[2] == 30 && w[5] == 40, "a column outside the block changed");
}

/* Scratch for one warp of a 28 x 28 image: augment_scratch_floats. */
enum { SCRATCH = 32 * 32 + 2 * 784 };

/* An augment for 28 x 28 images from [data] keys, warped by the scalar kernel. */
static augment make(const char *kind, const char *alpha) {
    cfg c;
    char err[256];
    cfg_defaults(&c);
    const char *sets[] = {"data.augment=", "data.elastic_alpha="}, *vals[] = {kind, alpha};
    for (int i = 0; i < 2; i++) {
        char s[64];
        snprintf(s, sizeof s, "%s%s", sets[i], vals[i]);
        cr_assert_eq(cfg_set(&c, s, err, sizeof err), 0, "%s", err);
    }
    augment a;
    cr_assert(augment_init(&a, &c, 28, 28, act_select("scalar", err, sizeof err)), "augment %s is on", kind);
    cr_assert_eq(augment_scratch_floats(&a), SCRATCH);
    augment_epoch(&a);
    return a;
}

/* One bright pixel at (10, 12): a shift by (+3, -2) puts it at (13, 10), a
 * half-pixel shift spreads it over two pixels equally, and a quarter turn about
 * the centre (13.5, 13.5) takes it to (12, 17) (clockwise on screen, rows down). */
Test(augment, shift_and_turn_move_a_pixel_where_they_should) {
    augment a = make("affine", "34");
    float x[784] = {0}, out[784], scratch[SCRATCH] = {0};
    x[10 * 28 + 12] = 1;
    augment_warp(&a, &(augment_draw){.size = 1, .ty = 3, .tx = -2}, x, out, scratch);
    for (int i = 0; i < 784; i++)
        expect_near(out[i], i == 13 * 28 + 10, 1e-6, "shifted image");
    augment_warp(&a, &(augment_draw){.size = 1, .tx = 0.5f}, x, out, scratch);
    expect_near(out[10 * 28 + 12], 0.5, 1e-6, "half a pixel: the old place");
    expect_near(out[10 * 28 + 13], 0.5, 1e-6, "half a pixel: the next one");
    augment_warp(&a, &(augment_draw){.size = 1, .theta = (float)(M_PI / 2)}, x, out, scratch);
    expect_near(out[12 * 28 + 17], 1, 1e-5, "a quarter turn");
    augment_free(&a);
}

/* elastic with alpha 0 and no affine part: every pixel as it was, bit for bit,
 * for every field and symmetry of the bank. */
Test(augment, elastic_with_alpha_0_is_the_identity) {
    augment a = make("elastic", "0");
    float x[784], out[784], scratch[SCRATCH] = {0};
    for (int i = 0; i < 784; i++) x[i] = (float)((i * 37) % 256) / 255.0f;
    for (uint32_t f = 0; f < 16 * 3; f++) {
        augment_warp(&a, &(augment_draw){.size = 1, .field = f}, x, out, scratch);
        cr_assert_eq(memcmp(x, out, sizeof x), 0, "field %u moved a pixel", f);
    }
    augment_free(&a);
    a = make("elastic", "34"); /* and a real field moves some */
    augment_warp(&a, &(augment_draw){.size = 1, .field = 5}, x, out, scratch);
    cr_assert_neq(memcmp(x, out, sizeof x), 0, "alpha 34 moved nothing");
    augment_free(&a);
}
