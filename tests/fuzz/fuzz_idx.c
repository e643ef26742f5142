/* fuzz_idx.c: libFuzzer target for the IDX reader (harness/mnist.c).
 *
 * The input is one IDX file, raw or gzip.  mnist_read_idx reads it as 1..4
 * dimensions; whatever it accepts must have sizes within the documented limits
 * and, for a raw file, exactly the bytes after the header.  Every refusal must
 * name the file.  An accepted file is then loaded with mnist_load beside a valid
 * partner: as the images of a set (3 dimensions) with valid labels, or as the
 * labels (1 dimension) of 1x1 images; the set must hold exactly its bytes, and
 * labels are accepted exactly when all are 0..9. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "mnist.h"

#define IMAGES "train-images-idx3-ubyte"
#define LABELS "train-labels-idx1-ubyte"
#define LOAD_MAX (1u << 20) /* larger accepted files are not loaded again (time) */

/* An unsigned-byte IDX file with the given sizes whose element i is i % 10 (a valid
 * label, and a pixel). */
static uint8_t *idx_file(int n_dims, const uint32_t *dims, size_t *len)
{
    size_t n = 1, head = 4 + 4 * (size_t)n_dims;
    for (int i = 0; i < n_dims; i++)
        n *= dims[i];
    uint8_t *p = malloc(head + n);
    FUZZ_CHECK(p, "out of memory");
    p[0] = p[1] = 0;
    p[2] = 0x08;
    p[3] = (uint8_t)n_dims;
    for (int i = 0; i < n_dims; i++)
        for (int b = 0; b < 4; b++)
            p[4 + 4 * i + b] = (uint8_t)(dims[i] >> (24 - 8 * b));
    for (size_t i = 0; i < n; i++)
        p[head + i] = (uint8_t)(i % MNIST_CLASSES);
    *len = head + n;
    return p;
}

/* Loads the accepted file as images (n_dims 3) or labels (1) beside a partner. */
static void load_as_set(const uint8_t *input, size_t size, int n_dims, const int *dims,
                        const uint8_t *body)
{
    char dir[PATH_MAX], img[PATH_MAX + 32], lab[PATH_MAX + 32], err[1024] = "";
    fuzz_temp_dir(dir, sizeof dir);
    snprintf(img, sizeof img, "%s/" IMAGES, dir);
    snprintf(lab, sizeof lab, "%s/" LABELS, dir);
    uint32_t partner_dims[3] = {(uint32_t)dims[0], 1, 1};
    size_t partner_len;
    uint8_t *partner = idx_file(n_dims == 3 ? 1 : 3, partner_dims, &partner_len);
    fuzz_write(n_dims == 3 ? img : lab, input, size);
    fuzz_write(n_dims == 3 ? lab : img, partner, partner_len);

    mnist_set s;
    int rc = mnist_load(dir, "train", &s, err, sizeof err);
    int labels_ok = 1;
    for (int i = 0; n_dims == 1 && i < dims[0]; i++)
        labels_ok &= body[i] < MNIST_CLASSES;
    if (n_dims == 3 || labels_ok) {
        FUZZ_CHECK(rc == 0, "mnist_load refused a valid set: %s", err);
        int rows = n_dims == 3 ? dims[1] : 1, cols = n_dims == 3 ? dims[2] : 1;
        FUZZ_CHECK(s.n == dims[0] && s.rows == rows && s.cols == cols,
                   "set of %d x %d x %d from sizes %d x %d x %d", s.n, s.rows, s.cols, dims[0],
                   rows, cols);
        const uint8_t *pixels = n_dims == 3 ? body : partner + 4 + 4 * 3;
        const uint8_t *labels = n_dims == 3 ? partner + 4 + 4 : body;
        for (size_t i = 0; i < (size_t)s.n * (size_t)rows * (size_t)cols; i++)
            FUZZ_CHECK(s.x[i] == pixels[i] / 255.0f, "pixel %zu is %g, not %u/255", i, s.x[i],
                       pixels[i]);
        FUZZ_CHECK(!memcmp(s.y, labels, (size_t)s.n), "labels differ from the file's");
        mnist_free(&s);
    } else {
        FUZZ_CHECK(rc == -1, "mnist_load accepted a label outside 0..%d", MNIST_CLASSES - 1);
        fuzz_check_refusal(lab, err);
        FUZZ_CHECK(!s.n && !s.rows && !s.cols && !s.x && !s.y, "refused set is not empty");
    }
    free(partner);
    unlink(img);
    unlink(lab);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[PATH_MAX];
    fuzz_temp_file(path, sizeof path, "", data, size);
    /* gzread copies anything that does not start with the gzip magic as it is. */
    int raw = size < 2 || data[0] != 0x1f || data[1] != 0x8b;
    for (int n_dims = 1; n_dims <= 4; n_dims++) {
        uint8_t *body = (uint8_t *)&body; /* must become NULL on a refusal */
        int dims[4];
        char err[1024] = "";
        if (mnist_read_idx(path, n_dims, &body, dims, err, sizeof err)) {
            FUZZ_CHECK(!body, "refused, but the buffer is set");
            fuzz_check_refusal(path, err);
            continue;
        }
        size_t total = 1;
        for (int i = 0; i < n_dims; i++) {
            FUZZ_CHECK(dims[i] >= 1 && dims[i] <= 1 << 24, "size %d out of 1..2^24", dims[i]);
            total *= (size_t)dims[i];
        }
        FUZZ_CHECK(total <= INT_MAX, "%zu elements, over 2^31-1", total);
        FUZZ_CHECK(!raw || size == 4 + 4 * (size_t)n_dims + total,
                   "raw file of %zu bytes accepted with %zu elements", size, total);
        FUZZ_CHECK(!raw || !memcmp(body, data + 4 + 4 * n_dims, total),
                   "body differs from the raw file's bytes");
        (void)*(volatile uint8_t *)&body[total - 1]; /* all there (AddressSanitizer) */
        if ((n_dims == 1 || n_dims == 3) && total <= LOAD_MAX)
            load_as_set(data, size, n_dims, dims, body);
        free(body);
    }
    unlink(path);
    return 0;
}
