/* test_mnist.c: Criterion tests of the IDX reader (harness/mnist.c).
 *
 * Each test writes its own tiny IDX files (5 images of 4x3, raw or gzip) into a fresh
 * temporary folder, which the suite removes afterwards; no test needs the real MNIST
 * files. One valid set must load with exact values in both encodings, and every bad
 * input must fail with a message naming the file and the fault, leaving the output
 * empty. Speed and the real data sets are not checked here. */

#include <criterion/criterion.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mnist.h"
#include "scratch.h"

#define N_IMG 5
#define ROWS  4
#define COLS  3
#define N_PX  (N_IMG * ROWS * COLS)
#define IMAGES "train-images-idx3-ubyte"
#define LABELS "train-labels-idx1-ubyte"

static const uint8_t labels_ok[N_IMG] = {7, 0, 9, 3, 1};
static struct rlimit heap_limit_before; /* set by limit_heap, put back after each test */
static bool heap_limited;

/* Pixel i of the valid set: i*17 mod 256 covers 0 (i = 0) and 255 (i = 15). */
static uint8_t pixel(int i)
{
    return (uint8_t)(i * 17);
}

static void make_dir(void) { scratch_make("test_mnist"); }

/* Criterion runs each test in its own process; this also covers runs that do not. */
static void clean_up(void)
{
    scratch_remove();
    if (heap_limited)
        setrlimit(RLIMIT_DATA, &heap_limit_before);
}

TestSuite(mnist, .init = make_dir, .fini = clean_up);

/* Caps this test process's heap (RLIMIT_DATA) at its present size plus `extra` bytes,
 * so that a reader which allocates what a header claims fails the test. */
static void limit_heap(size_t extra)
{
    FILE *f = fopen("/proc/self/status", "r");
    cr_assert_not_null(f, "/proc/self/status: %s", strerror(errno));
    char line[256];
    unsigned long kib = 0;
    while (fgets(line, sizeof line, f) && sscanf(line, "VmData: %lu kB", &kib) != 1)
        continue;
    fclose(f);
    cr_assert_gt(kib, 0, "no VmData in /proc/self/status");
    cr_assert_eq(getrlimit(RLIMIT_DATA, &heap_limit_before), 0, "getrlimit: %s",
                 strerror(errno));
    heap_limited = true;
    struct rlimit r = heap_limit_before;
    if (r.rlim_cur > kib * 1024 + extra)
        r.rlim_cur = kib * 1024 + extra;
    cr_assert_eq(setrlimit(RLIMIT_DATA, &r), 0, "setrlimit: %s", strerror(errno));
}

/* An IDX file in memory: 4-byte magic 0x0000 <type> <ndims>, big-endian sizes, body. */
typedef struct {
    uint8_t b[512];
    size_t len;
} blob;

static blob idx(uint32_t magic, int ndims, const uint32_t *dims, const uint8_t *body,
                size_t body_len)
{
    blob f = {.len = 0};
    for (int i = -1; i < ndims; i++) {
        uint32_t v = i < 0 ? magic : dims[i];
        for (int s = 24; s >= 0; s -= 8)
            f.b[f.len++] = (uint8_t)(v >> s);
    }
    cr_assert_leq(f.len + body_len, sizeof f.b);
    if (body_len > 0) /* header-only callers pass NULL */
        memcpy(f.b + f.len, body, body_len);
    f.len += body_len;
    return f;
}

static blob images_ok(void)
{
    uint8_t px[N_PX];
    for (int i = 0; i < N_PX; i++)
        px[i] = pixel(i);
    return idx(0x803, 3, (const uint32_t[]){N_IMG, ROWS, COLS}, px, N_PX);
}

static blob labels_of(const uint8_t *labels, uint32_t n)
{
    return idx(0x801, 1, &n, labels, n);
}

static void write_labels_ok(void)
{
    blob labels = labels_of(labels_ok, N_IMG);
    scratch_write(LABELS, labels.b, labels.len, "wb");
}

/* A valid labels file beside the images, so that only the images can fail. */
static void write_images_raw(blob images)
{
    scratch_write(IMAGES, images.b, images.len, "wb");
    write_labels_ok();
}

static void assert_empty(const mnist_set *s)
{
    cr_assert(s->n == 0 && s->rows == 0 && s->cols == 0 && s->x == NULL && s->px == NULL &&
                  s->y == NULL,
              "the set is not empty after a failed load (n=%d rows=%d cols=%d)", s->n,
              s->rows, s->cols);
}

/* mnist_load(scratch_dir, "train") must fail with `piece` in its message and an empty set. */
static void expect_load_error(const char *piece)
{
    mnist_set s;
    memset(&s, 0xA5, sizeof s);
    char err[512] = "";
    cr_assert_eq(mnist_load(scratch_dir, "train", &s, err, sizeof err), -1,
                 "loaded; want an error with \"%s\"", piece);
    cr_assert_not_null(strstr(err, piece), "error \"%s\" lacks \"%s\"", err, piece);
    assert_empty(&s);
}

static void assert_valid_set(const mnist_set *s)
{
    cr_assert_eq(s->n, N_IMG);
    cr_assert_eq(s->rows, ROWS);
    cr_assert_eq(s->cols, COLS);
    for (int i = 0; i < N_PX; i++) {
        cr_assert_eq(s->px[i], pixel(i), "px[%d] = %u, want %u", i, s->px[i], pixel(i));
        cr_assert_eq(s->x[i], pixel(i) / 255.0f, "x[%d] = %.9g, want %u/255", i, s->x[i],
                     pixel(i));
    }
    cr_assert_eq(s->x[0], 0.0f);
    cr_assert_eq(s->x[15], 1.0f);
    cr_assert_arr_eq(s->y, labels_ok, N_IMG);
}

Test(mnist, loads_raw_set)
{
    write_images_raw(images_ok());
    mnist_set s;
    char err[512] = "";
    cr_assert_eq(mnist_load(scratch_dir, "train", &s, err, sizeof err), 0, "%s", err);
    assert_valid_set(&s);
    mnist_free(&s);
    assert_empty(&s);
}

Test(mnist, loads_gzip_set_identically)
{
    blob images = images_ok(), labels = labels_of(labels_ok, N_IMG);
    write_images_raw(images);
    scratch_write_gz("t10k-images-idx3-ubyte.gz", images.b, images.len);
    scratch_write_gz("t10k-labels-idx1-ubyte.gz", labels.b, labels.len);
    mnist_set raw, gz;
    char err[512] = "";
    cr_assert_eq(mnist_load(scratch_dir, "train", &raw, err, sizeof err), 0, "%s", err);
    cr_assert_eq(mnist_load(scratch_dir, "t10k", &gz, err, sizeof err), 0, "%s", err);
    assert_valid_set(&gz);
    cr_assert_arr_eq(gz.x, raw.x, N_PX * sizeof *gz.x);
    mnist_free(&raw);
    mnist_free(&gz);
}

Test(mnist, content_not_name_decides_gzip)
{
    blob images = images_ok(), labels = labels_of(labels_ok, N_IMG);
    scratch_write_gz(IMAGES, images.b, images.len);
    scratch_write(LABELS ".gz", labels.b, labels.len, "wb");
    mnist_set s;
    char err[512] = "";
    cr_assert_eq(mnist_load(scratch_dir, "train", &s, err, sizeof err), 0, "%s", err);
    assert_valid_set(&s);
    mnist_free(&s);
}

Test(mnist, raw_name_wins_over_gz)
{
    write_images_raw(images_ok());
    scratch_write(IMAGES ".gz", "junk", 4, "wb");
    mnist_set s;
    char err[512] = "";
    cr_assert_eq(mnist_load(scratch_dir, "train", &s, err, sizeof err), 0, "%s", err);
    mnist_free(&s);
}

Test(mnist, read_idx_gives_sizes_and_bytes)
{
    write_images_raw(images_ok());
    char path[PATH_MAX], err[512] = "";
    scratch_path(path, IMAGES);
    uint8_t *data;
    int dims[3];
    cr_assert_eq(mnist_read_idx(path, 3, &data, dims, err, sizeof err), 0, "%s", err);
    cr_assert_arr_eq(dims, ((int[]){N_IMG, ROWS, COLS}), sizeof dims);
    for (int i = 0; i < N_PX; i++)
        cr_assert_eq(data[i], pixel(i), "byte %d", i);
    free(data);
}

Test(mnist, read_idx_rejects_dimension_argument)
{
    char err[512] = "";
    uint8_t *data;
    int dims[5];
    cr_assert_eq(mnist_read_idx("any", 5, &data, dims, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "any: cannot read 5 dimensions (this reader takes 1..4)"),
                       "%s", err);
    cr_assert_null(data);
}

Test(mnist, missing_file)
{
    char path[PATH_MAX], err[512] = "";
    scratch_path(path, "absent");
    uint8_t sentinel, *data = &sentinel;
    int dims[1];
    cr_assert_eq(mnist_read_idx(path, 1, &data, dims, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "absent: cannot open: No such file or directory"), "%s", err);
    cr_assert_null(data);
    expect_load_error(IMAGES ": cannot open: No such file or directory (nor ");
    expect_load_error(IMAGES ".gz)");
}

Test(mnist, missing_labels)
{
    blob images = images_ok();
    scratch_write(IMAGES, images.b, images.len, "wb");
    expect_load_error(LABELS ": cannot open: No such file or directory (nor ");
}

Test(mnist, empty_file)
{
    write_images_raw((blob){.len = 0});
    expect_load_error(IMAGES ": empty file");
}

Test(mnist, truncated_header)
{
    blob f = images_ok();
    f.len = 10;
    write_images_raw(f);
    expect_load_error(IMAGES ": truncated header: 10 bytes, but an IDX header with 3 "
                      "dimensions has 16");
    f.len = 2;
    write_images_raw(f);
    expect_load_error(IMAGES ": truncated header: 2 bytes");
}

Test(mnist, truncated_body)
{
    blob f = images_ok();
    f.len--;
    write_images_raw(f);
    expect_load_error(IMAGES ": truncated: header says 5 x 4 x 3 = 60 bytes of data, file "
                      "has 59");
}

Test(mnist, trailing_bytes)
{
    blob f = images_ok();
    f.len += 16;
    write_images_raw(f);
    expect_load_error(IMAGES ": 16 bytes after the data (file longer than its header says)");
}

Test(mnist, bad_magic)
{
    blob f = images_ok();
    memcpy(f.b, "PK\3\4", 4);
    write_images_raw(f);
    expect_load_error(IMAGES ": bad magic 0x504B0304 (want 0x00000803: unsigned-byte IDX with "
                      "3 dimensions); not an IDX file");
}

Test(mnist, wrong_element_type)
{
    blob f = images_ok();
    f.b[2] = 0x0D;
    write_images_raw(f);
    expect_load_error(IMAGES ": element type 0x0D (float) is not supported");
}

Test(mnist, wrong_dimension_count)
{
    write_images_raw(idx(0x802, 2, (const uint32_t[]){N_IMG, ROWS * COLS}, NULL, 0));
    expect_load_error(IMAGES ": bad magic 0x00000802 (want 0x00000803: unsigned-byte IDX with "
                      "3 dimensions; this file has 2)");
}

Test(mnist, zero_dimension)
{
    write_images_raw(idx(0x803, 3, (const uint32_t[]){N_IMG, 0, COLS}, NULL, 0));
    expect_load_error(IMAGES ": dimension 2 of 3 is 0 (sizes 5 x 0 x 3)");
}

Test(mnist, dimension_over_limit)
{
    limit_heap(64 << 20);
    write_images_raw(idx(0x803, 3, (const uint32_t[]){0xFFFFFFFF, 0xFFFFFFFF, 1}, NULL, 0));
    expect_load_error(IMAGES ": dimension 1 of 3 is 4294967295, over the limit of 16777216 "
                      "(2^24)");
}

Test(mnist, element_count_over_limit)
{
    limit_heap(64 << 20);
    write_images_raw(idx(0x803, 3, (const uint32_t[]){4096, 4096, 4096}, NULL, 0));
    expect_load_error(IMAGES ": sizes 4096 x 4096 x 4096 exceed the limit of 2147483647 "
                      "(2^31-1) elements");
}

/* A gzip file that claims just under 2 GiB and holds 60 bytes fails as truncated; the
 * reader's buffer grows with the data, so this costs a chunk, not the claim. */
Test(mnist, huge_claim_in_small_gzip)
{
    limit_heap(64 << 20);
    uint8_t px[N_PX] = {0};
    blob f = idx(0x803, 3, (const uint32_t[]){127, 4096, 4096}, px, N_PX);
    scratch_write_gz(IMAGES ".gz", f.b, f.len);
    write_labels_ok();
    expect_load_error(IMAGES ".gz: truncated: header says 127 x 4096 x 4096 = 2130706432 "
                      "bytes of data, file has 60");
}

Test(mnist, label_count_mismatch)
{
    blob labels = labels_of(labels_ok, N_IMG - 1);
    write_images_raw(images_ok());
    scratch_write(LABELS, labels.b, labels.len, "wb");
    expect_load_error(LABELS ": 4 labels for 5 images (");
}

Test(mnist, label_out_of_range)
{
    blob labels = labels_of((const uint8_t[]){1, 2, 10, 3, 4}, N_IMG);
    write_images_raw(images_ok());
    scratch_write(LABELS, labels.b, labels.len, "wb");
    expect_load_error(LABELS ": label 10 at index 2 is outside 0..9");
}

Test(mnist, gzip_header_then_garbage)
{
    /* A gzip member header, then deflate blocks of type 3, which does not exist. */
    uint8_t bad[42] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    memset(bad + 10, 0xFF, sizeof bad - 10);
    scratch_write(IMAGES ".gz", bad, sizeof bad, "wb");
    write_labels_ok();
    expect_load_error(IMAGES ".gz: corrupt gzip stream: ");
}

/* Cut the compressed file: in the middle, and just before its 8-byte trailer (the body
 * then inflates whole, and only the missing stream end shows). */
Test(mnist, gzip_cut_short)
{
    blob images = images_ok();
    scratch_write_gz("whole.gz", images.b, images.len);
    size_t len;
    uint8_t *gz = scratch_read("whole.gz", &len);
    write_labels_ok();
    scratch_write(IMAGES ".gz", gz, len / 2, "wb");
    expect_load_error(IMAGES ".gz: corrupt gzip stream: unexpected end of file");
    scratch_write(IMAGES ".gz", gz, len - 8, "wb");
    expect_load_error(IMAGES ".gz: corrupt gzip stream: unexpected end of file");
    free(gz);
}

Test(mnist, free_zeroed_set)
{
    mnist_set s = {0};
    mnist_free(&s);
    assert_empty(&s);
    mnist_free(NULL);
}
