/* regularize.h: dropout and the max-norm constraint, the two regularizers of a
 * training step that are not the optimizer's (weight decay is: kernels.h, sgd
 * and adam).
 *
 * Dropout (Srivastava et al. 2014), inverted: while training, each hidden unit of
 * each row is kept with probability 1 - rate and scaled by 1 / (1 - rate), so
 * that evaluation runs the plain network.  Whether element (b, j) of layer l is
 * kept at optimizer step t is a hash of (seed, t, l, b * N + j): the mask does not
 * depend on which thread computes which block, nor on the order, so the step
 * stays bit-identical for every team size.  Backward needs no mask: a dropped
 * unit's output is 0, so the ReLU's backward already zeroes its gradient, and
 * the kept ones take the same 1 / (1 - rate). */
#ifndef REGULARIZE_H
#define REGULARIZE_H

#include <stdint.h>

/* The key of layer l's masks at optimizer step t. */
uint64_t dropout_key(uint64_t seed, long t, int l);

/* Columns [j0, j1) of the B rows of Y (row stride N, the layer's width): each
 * element dropped (+0) or scaled by 1 / (1 - rate), by the mask of key.
 * 0 < rate < 1. */
void dropout_forward(float *Y, int B, int N, int j0, int j1, uint64_t key, float rate);

/* Columns [j0, j1) of the B rows of dY (row stride ld), after the ReLU's backward
 * has zeroed the dropped units: times 1 / (1 - rate). */
void dropout_backward(float *dY, int B, int ld, int j0, int j1, float rate);

/* W (K, N) row-major, the weights into a layer's N units: each column j in
 * [j0, j1) whose L2 norm exceeds max_norm is scaled by max_norm / norm (Keras'
 * MaxNorm, without its epsilon).  Each column's sum of squares runs over k in
 * order, whatever the block. */
void max_norm_clip(float *W, int K, int N, int j0, int j1, float max_norm);

#endif
