/* cli_fixture.h: the command-line tests' fixture (test_cli.c).  Each test runs
 * in a scratch folder (scratch.h) with small valid inputs: data/ holds 20
 * training and 10 test images of 28x28 with their labels (raw IDX), cli.ini
 * trains a 784-8-10 model on them for one epoch, writing to results/ there.  A
 * case breaks one thing and runs the real build/experiment in that folder. */
#ifndef CLI_FIXTURE_H
#define CLI_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scratch.h"

#define TRAIN_IMAGES "data/train-images-idx3-ubyte"
#define TRAIN_LABELS "data/train-labels-idx1-ubyte"
#define TEST_IMAGES "data/t10k-images-idx3-ubyte"
#define TEST_LABELS "data/t10k-labels-idx1-ubyte"
#define N_TRAIN 20
#define N_TEST 10
#define IMAGE_BYTES (N_TRAIN * 28 * 28)

/* The last run's stderr. */
extern char cli_stderr[16384];

/* The suite's .init and .fini: the scratch folder with the fixtures, and its
 * removal. */
void cli_setup(void);
void cli_teardown(void);

/* Runs build/experiment with args (NULL-terminated) in the scratch folder, its
 * stdout and stderr in files there, stderr read back into cli_stderr.  Returns
 * the wait status. */
int cli_run(const char *const *args);
bool cli_exists(const char *name);

void cli_append_ini(const char *text);
/* Overwrites n bytes of the file at offset `at`. */
void cli_patch(const char *name, long at, const void *bytes, size_t n);
/* n images of rows x cols with made-up pixels; n labels 0..9 in turn. */
void cli_write_images(const char *name, uint32_t n, uint32_t rows, uint32_t cols);
void cli_write_labels(const char *name, uint32_t n);

/* A case of bad input: the arguments (none: train cli.ini, or none at all with
 * bare), what it appends to cli.ini and how it breaks a fixture.  The program
 * must exit with status 2 (not a signal), print one line on stderr that starts
 * with "experiment: " and holds `want` (the usage text may follow it), and
 * leave no results/ folder behind. */
typedef struct {
    const char *args[8];
    const char *ini;
    void (*setup)(void);
    bool bare;
    const char *want;
    bool usage;
} bad_case;

void cli_expect_bad(const bad_case *c);
/* The program exits 0 on args. */
void cli_expect_ok(const char *const *args);

#define BAD(name, ...) \
    Test(cli, name) { cli_expect_bad(&(const bad_case){__VA_ARGS__}); }

#endif
