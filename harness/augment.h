/* augment.h: distortions of the training images, drawn anew for every image of
 * every batch ([data] augment), never applied to validation or test images.
 *
 *   affine   a shift of up to `shift` pixels in each direction, a rotation of up
 *            to `rotate` degrees either way and a change of size of up to
 *            `scale` either way, all uniform, about the image's centre;
 *   elastic  the same, plus Simard et al.'s (2003) elastic distortion: a field
 *            of uniform(-1, 1) displacements smoothed by a Gaussian of width
 *            elastic_sigma and scaled by elastic_alpha pixels.
 *
 * Output pixel (i, j) takes the bilinear interpolation of the source at
 *   (y, x) = c + s R (p - c) + t + alpha * field(i, j),  p = (i, j), c the centre,
 * with zeros outside the image.  Smoothing a field costs about 80,000
 * multiply-adds per image, more than the seed network's whole step per image, so
 * the fields come from a bank of AUGMENT_BANK fields drawn and smoothed at the
 * start of every epoch; each image takes one of them under one of the square's 8
 * symmetries and a sign, which leaves the field's distribution unchanged (the
 * smoothed noise is isotropic).  All draws come from the augmentation's own RNG,
 * seeded from experiment.seed, so a run is reproducible and the shuffling is
 * the same with and without augmentation. */
#ifndef AUGMENT_H
#define AUGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "kernels.h"
#include "util.h"

#define AUGMENT_BANK 256

typedef struct {
    bool elastic;
    int rows, cols;
    float shift, rotate, scale; /* rotate in radians */
    float alpha, sigma;
    float *bank;                /* (AUGMENT_BANK, 2, rows, cols): dy then dx, unscaled */
    const act_kernel *ak;       /* its warp */
    rng_state rng;
} augment;

/* For c's [data] keys and images of rows x cols, warped by ak's kernel; false
 * (nothing allocated) when data.augment is none.  The elastic field needs square
 * images. */
bool augment_init(augment *a, const cfg *c, int rows, int cols, const act_kernel *ak);
void augment_free(augment *a);

/* Draws a new bank of fields (elastic only): at the start of each epoch. */
void augment_epoch(augment *a);

/* One image's distortion: the content moves by (ty, tx) pixels, turns by theta
 * radians and grows by the factor size; field (elastic) is the bank's field
 * number field / 16 under symmetry field % 16 (bits: flip rows, flip columns,
 * transpose, negate). */
typedef struct {
    float theta, size, ty, tx;
    uint32_t field;
} augment_draw;

/* The next image's draw.  The draws are taken one after another, in the order
 * of the images; the warps that use them may then run on any threads. */
augment_draw augment_next(augment *a);

/* Floats of scratch one augment_warp needs, zeroed once before its first use
 * (it keeps the source's zero border there); one per thread. */
size_t augment_scratch_floats(const augment *a);

/* out (rows * cols floats) = image x (rows * cols floats) distorted by d, with
 * the act set's warp kernel; reads a, so any number may run at once. */
void augment_warp(const augment *a, const augment_draw *d, const float *x, float *out, float *scratch);

#endif
