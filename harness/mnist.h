/* mnist.h: the IDX reader (raw or gzip) for MNIST-format data sets.
 *
 * Reads the four files of an MNIST-like data set from one folder: for split
 * "train" or "t10k", `<split>-images-idx3-ubyte` and `<split>-labels-idx1-ubyte`,
 * each either raw or gzip-compressed (a `.gz` name is tried when the raw one is
 * missing; the content, not the name, decides whether it is inflated).
 * Everything is validated: magic number, element type (unsigned byte), number of
 * dimensions, every size (nonzero, no overflow) against the file's length, trailing
 * bytes, image and label counts against each other, and labels within 0..9.
 * Any problem is an error naming the file and what is wrong; nothing is ever
 * returned short. */
#ifndef MNIST_H
#define MNIST_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n;          /* number of examples */
    int rows, cols; /* image size: D = rows*cols inputs */
    float *x;       /* (n, rows*cols), px / KERNELS_PIXEL_SCALE in [0, 1] */
    uint8_t *px;    /* (n, rows*cols), the pixels as read */
    uint8_t *y;     /* (n), labels 0..9 */
} mnist_set;

#define MNIST_CLASSES 10

/* Reads one IDX file of unsigned bytes with `want_dims` (1..4) dimensions into a
 * fresh buffer (*data, free()), its sizes into dims[0..want_dims-1].  Each size must
 * be 1..2^24 and their product at most 2^31-1, and the file must end right after the
 * data.  0, or -1 with err set and *data NULL. */
int mnist_read_idx(const char *path, int want_dims, uint8_t **data, int *dims,
                   char *err, size_t err_len);

/* Loads split "train" or "t10k" from dir.  0, or -1 with err set (out is empty). */
int mnist_load(const char *dir, const char *split, mnist_set *out, char *err,
               size_t err_len);

/* Frees what mnist_load allocated; safe on a zeroed set. */
void mnist_free(mnist_set *s);

#endif
