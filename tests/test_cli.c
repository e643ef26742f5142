/* test_cli.c: bad input at the command line, through the real build/experiment
 * (`make test` builds it first and runs the suite from the repository root), in
 * the fixture of cli_fixture.h.  Each case breaks one thing: an IDX file, the
 * INI file, the CPU's features, a checkpoint.  The sanity tests run the unbroken
 * fixtures to exit 0, so every bad case fails for the reason it names. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cli_fixture.h"

TestSuite(cli, .init = cli_setup, .fini = cli_teardown, .timeout = 60);

/* ---- Sanity: the fixtures are good --------------------------------------- */

Test(cli, sanity_train_and_eval) {
    cli_expect_ok((const char *const[]){"train", "cli.ini", NULL});
    const char *files[] = {"epochs.csv", "summary.csv", "confusion.csv", "predictions.csv", "model.ckpt"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char name[64];
        snprintf(name, sizeof name, "results/t/%s", files[i]);
        cr_assert(cli_exists(name), "train wrote no %s", name);
    }
    cli_expect_ok((const char *const[]){"eval", "results/t/model.ckpt", NULL});
}

Test(cli, sanity_sweep) {
    cli_append_ini("[sweep]\ntrain.lr = 0.001, 0.01\n");
    cli_expect_ok((const char *const[]){"sweep", "cli.ini", NULL});
    cr_assert(cli_exists("results/t/runs.csv"));
}

/* --sbatch writes the job array's script and trains nothing: the shards fixed in
 * it, the --set values quoted for sh, the user's sbatch options after its own. */
Test(cli, sbatch_script) {
    cli_append_ini("[sweep]\ntrain.lr = 0.001, 0.01, 0.1\n");
    size_t len;
    uint8_t *ini = scratch_read("cli.ini", &len);
    scratch_write("it's.ini", ini, len, "wb");
    free(ini);
    cli_expect_ok((const char *const[]){"sweep", "it's.ini", "--set", "model.layers=784, 8, 10",
                                        "--sbatch", "--array-size", "2", "--", "--time=5", NULL});
    char *text = (char *)scratch_read("results/t/sweep.sbatch", &len);
    text = realloc(text, len + 1);
    text[len] = '\0';
    const char *want[] = {"#!/bin/sh\n", "#SBATCH --array=1-2\n",
                          "#SBATCH --output=results/t/slurm-%A_%a.out\n#SBATCH --time=5\n",
                          " sweep 'it'\\''s.ini' --set 'model.layers=784, 8, 10' "
                          "--shard \"$SLURM_ARRAY_TASK_ID/2\"\n"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_expect(strstr(text, want[i]), "the script lacks \"%s\":\n%s", want[i], text);
    cr_expect(!cli_exists("results/t/runs.csv"), "--sbatch trained runs");
    free(text);
}

/* Replaces a fixture file with its gzip compression, name.gz. */
static void gzip_file(const char *name) {
    char gz_name[PATH_MAX];
    size_t len;
    uint8_t *p = scratch_read(name, &len);
    scratch_remove_tree(name);
    snprintf(gz_name, sizeof gz_name, "%s.gz", name);
    scratch_write_gz(gz_name, p, len);
    free(p);
}

/* The gzip cases below break a file that is good when intact. */
Test(cli, sanity_gzip) {
    const char *files[] = {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS};
    for (size_t i = 0; i < 4; i++) gzip_file(files[i]);
    cli_expect_ok((const char *const[]){"train", "cli.ini", NULL});
}

/* ---- IDX files ----------------------------------------------------------- */

static void images_missing(void) {
    char path[PATH_MAX];
    scratch_path(path, TRAIN_IMAGES);
    cr_assert_eq(unlink(path), 0);
}
static void images_empty(void) { scratch_truncate(TRAIN_IMAGES, 0); }
static void images_header_cut(void) { scratch_truncate(TRAIN_IMAGES, 10); }
static void images_body_cut(void) { scratch_truncate(TRAIN_IMAGES, 16 + IMAGE_BYTES - 100); }
static void labels_body_cut(void) { scratch_truncate(TRAIN_LABELS, 8 + 5); }
static void images_trailing(void) { scratch_write(TRAIN_IMAGES, "junk", 4, "ab"); }
static void images_magic(void) { cli_patch(TRAIN_IMAGES, 0, "GIF8", 4); }
static void images_type(void) { cli_patch(TRAIN_IMAGES, 0, "\0\0\x0d\x03", 4); }
static void images_rows_zero(void) { cli_patch(TRAIN_IMAGES, 8, "\0\0\0\0", 4); }
static void images_count_zero(void) { cli_patch(TEST_IMAGES, 4, "\0\0\0\0", 4); }
static void images_rows_huge(void) { cli_patch(TRAIN_IMAGES, 8, "\x7f\xff\xff\xff", 4); }
/* 20 x 2^24-1 x 2^24-1: each size within its limit, the product past 2^31-1 (and 2^32) */
static void images_size_overflow(void) { cli_patch(TRAIN_IMAGES, 8, "\0\xff\xff\xff\0\xff\xff\xff", 8); }
static void labels_more(void) { cli_write_labels(TRAIN_LABELS, N_TRAIN + 1); }
static void labels_fewer(void) { cli_write_labels(TEST_LABELS, N_TEST - 1); }
static void label_ten(void) { cli_patch(TRAIN_LABELS, 8 + 3, "\x0a", 1); }
static void images_10x10(void) {
    cli_write_images(TRAIN_IMAGES, N_TRAIN, 10, 10);
    cli_write_images(TEST_IMAGES, N_TEST, 10, 10);
}
static void train_images_10x10(void) { cli_write_images(TRAIN_IMAGES, N_TRAIN, 10, 10); }
/* A byte in the middle of the deflate data flipped: the gzip CRC cannot match. */
static void gzip_corrupt(void) {
    size_t len;
    gzip_file(TRAIN_IMAGES);
    uint8_t *p = scratch_read(TRAIN_IMAGES ".gz", &len);
    p[len / 2] ^= 0x55;
    scratch_write(TRAIN_IMAGES ".gz", p, len, "wb");
    free(p);
}
static void gzip_cut(void) {
    size_t len;
    gzip_file(TRAIN_IMAGES);
    free(scratch_read(TRAIN_IMAGES ".gz", &len));
    scratch_truncate(TRAIN_IMAGES ".gz", (off_t)len / 2);
}

BAD(idx_missing, .setup = images_missing,
    .want = "data/train-images-idx3-ubyte: cannot open: No such file or directory")
BAD(idx_empty, .setup = images_empty, .want = "data/train-images-idx3-ubyte: empty file")
BAD(idx_truncated_header, .setup = images_header_cut,
    .want = "data/train-images-idx3-ubyte: truncated header: 10 bytes")
BAD(idx_truncated_images, .setup = images_body_cut,
    .want = "data/train-images-idx3-ubyte: truncated: header says 20 x 28 x 28 = 15680 bytes")
BAD(idx_truncated_labels, .setup = labels_body_cut,
    .want = "data/train-labels-idx1-ubyte: truncated: header says 20 = 20 bytes of data, file has 5")
BAD(idx_trailing_bytes, .setup = images_trailing,
    .want = "data/train-images-idx3-ubyte: 4 bytes after the data")
BAD(idx_wrong_magic, .setup = images_magic,
    .want = "data/train-images-idx3-ubyte: bad magic 0x47494638")
BAD(idx_wrong_element_type, .setup = images_type,
    .want = "data/train-images-idx3-ubyte: element type 0x0D (float) is not supported")
BAD(idx_dimension_zero, .setup = images_rows_zero,
    .want = "data/train-images-idx3-ubyte: dimension 2 of 3 is 0")
BAD(idx_test_count_zero, .setup = images_count_zero,
    .want = "data/t10k-images-idx3-ubyte: dimension 1 of 3 is 0")
BAD(idx_dimension_too_large, .setup = images_rows_huge,
    .want = "data/train-images-idx3-ubyte: dimension 2 of 3 is 2147483647, over the limit")
BAD(idx_size_overflows, .setup = images_size_overflow,
    .want = "data/train-images-idx3-ubyte: sizes 20 x 16777215 x 16777215 exceed the limit")
BAD(idx_more_labels_than_images, .setup = labels_more,
    .want = "data/train-labels-idx1-ubyte: 21 labels for 20 images")
BAD(idx_fewer_labels_than_images, .setup = labels_fewer,
    .want = "data/t10k-labels-idx1-ubyte: 9 labels for 10 images")
BAD(idx_label_outside_0_9, .setup = label_ten,
    .want = "data/train-labels-idx1-ubyte: label 10 at index 3 is outside 0..9")
BAD(idx_images_smaller_than_input_layer, .setup = images_10x10,
    .want = "cli.ini:7: model.layers: 784 inputs and 10 outputs, but data has 10x10 = 100-pixel "
            "test images")
BAD(idx_training_images_smaller_than_input_layer, .setup = train_images_10x10,
    .want = "cli.ini:7: model.layers: 784 inputs and 10 outputs, but data has 10x10 = 100-pixel "
            "training images")
BAD(idx_gzip_corrupt, .setup = gzip_corrupt,
    .want = "data/train-images-idx3-ubyte.gz: corrupt gzip stream")
BAD(idx_gzip_truncated, .setup = gzip_cut,
    .want = "data/train-images-idx3-ubyte.gz: corrupt gzip stream: unexpected end of file")
BAD(idx_missing_in_sweep, .setup = images_missing, .ini = "[sweep]\ntrain.lr = 0.001, 0.01\n",
    .args = {"sweep", "cli.ini"}, .want = "data/train-images-idx3-ubyte: cannot open")
BAD(idx_data_dir_missing, .args = {"train", "cli.ini", "--set", "data.dir=nowhere"},
    .want = "nowhere/train-images-idx3-ubyte: cannot open")

/* ---- INI files ------------------------------------------------------------ */

BAD(ini_missing, .args = {"train", "nowhere.ini"}, .want = "nowhere.ini: cannot open")
BAD(ini_unknown_section, .ini = "[optimizer]\nlr = 0.1\n",
    .want = "cli.ini:14: unknown section [optimizer]")
BAD(ini_unknown_key, .ini = "[train]\nlerning_rate = 0.1\n",
    .want = "cli.ini:14: [train] unknown key 'lerning_rate'")
BAD(ini_lr_not_a_number, .ini = "[train]\nlr = 0.0.1\n",
    .want = "cli.ini:14: train.lr: '0.0.1' is not a number")
BAD(ini_batch_not_an_integer, .ini = "[train]\nbatch = 3.5\n",
    .want = "cli.ini:14: train.batch: '3.5' is not an integer")
BAD(ini_batch_negative, .ini = "[train]\nbatch = -4\n",
    .want = "cli.ini:14: train.batch: -4 is out of range")
BAD(ini_batch_zero, .ini = "[train]\nbatch = 0\n", .want = "cli.ini:14: train.batch: 0 is out of range")
BAD(ini_epochs_zero, .ini = "[train]\nepochs = 0\n",
    .want = "cli.ini:14: train.epochs: 0 is out of range")
BAD(ini_lr_zero, .ini = "[train]\nlr = 0\n", .want = "cli.ini:14: train.lr: 0 is out of range")
BAD(ini_lr_negative, .ini = "[train]\nlr = -0.01\n",
    .want = "cli.ini:14: train.lr: -0.01 is out of range")
BAD(ini_lr_nan, .ini = "[train]\nlr = nan\n", .want = "cli.ini:14: train.lr: nan is out of range")
BAD(ini_lr_inf, .ini = "[train]\nlr = inf\n", .want = "cli.ini:14: train.lr: inf is out of range")
BAD(ini_val_split_one, .ini = "[data]\nval_split = 1\n",
    .want = "cli.ini:14: data.val_split: 1 is out of range")
BAD(ini_val_split_negative, .ini = "[data]\nval_split = -0.1\n",
    .want = "cli.ini:14: data.val_split: -0.1 is out of range")
BAD(ini_val_split_nan, .ini = "[data]\nval_split = nan\n",
    .want = "cli.ini:14: data.val_split: nan is out of range")
BAD(ini_val_split_leaves_no_training, .ini = "[data]\nval_split = 0.98\n",
    .want = "cli.ini:14: data.val_split: 0.98 leaves no training images of 20")
BAD(ini_layers_first_size, .ini = "[model]\nlayers = 100,8,10\n",
    .want = "cli.ini:14: model.layers: 100 inputs and 10 outputs, but data has 28x28 = "
            "784-pixel test images")
BAD(ini_layers_last_size, .ini = "[model]\nlayers = 784,8,9\n",
    .want = "cli.ini:14: model.layers: 784 inputs and 9 outputs")
BAD(ini_layers_not_a_list, .ini = "[model]\nlayers = 784,8,ten\n",
    .want = "cli.ini:14: model.layers: '784,8,ten' is not a comma-separated list of sizes")

/* The research keys: ranges, lists, and the checks across keys, each blamed on
 * the line of the key it names. */
BAD(ini_dropout_rates_for_other_layers, .ini = "[train]\ndropout = 0.2,0.3\n",
    .want = "cli.ini:14: train.dropout: 2 rates for 1 hidden layer (give one rate, or one per")
BAD(ini_dropout_one, .ini = "[train]\ndropout = 1\n",
    .want = "cli.ini:14: train.dropout: rate 1 is out of range (want 0..0.95)")
BAD(ini_dropout_not_a_list, .ini = "[train]\ndropout = 0.2,x\n",
    .want = "cli.ini:14: train.dropout: '0.2,x' is not a comma-separated list of rates")
BAD(ini_early_stop_without_validation, .ini = "[data]\nval_split = 0\n[train]\nearly_stop = 3\n",
    .want = "cli.ini:16: train.early_stop: 3 needs a validation set (data.val_split > 0)")
BAD(ini_target_acc_without_validation, .ini = "[data]\nval_split = 0\n[train]\ntarget_acc = 0.9\n",
    .want = "cli.ini:16: train.target_acc: 0.9 needs a validation set")
BAD(ini_lr_min_above_lr, .ini = "[train]\nschedule = cosine\nlr_min = 0.5\n",
    .want = "cli.ini:15: train.lr_min: 0.5 is above train.lr 0.001")
BAD(ini_warmup_past_the_epochs, .ini = "[train]\nwarmup_epochs = 1\n",
    .want = "cli.ini:14: train.warmup_epochs: 1 leaves no epoch after it (train.epochs is 1)")
BAD(ini_unknown_schedule, .ini = "[train]\nschedule = linear\n",
    .want = "cli.ini:14: train.schedule: unknown value 'linear' (choose from: constant step cosine onecycle)")
BAD(ini_unknown_augment, .ini = "[data]\naugment = mixup\n",
    .want = "cli.ini:14: data.augment: unknown value 'mixup'")
BAD(ini_elastic_sigma_zero, .ini = "[data]\nelastic_sigma = 0\n",
    .want = "cli.ini:14: data.elastic_sigma: 0 is out of range (want (0, 16])")

/* The layers are the default 784,128,64,10: the message names the file alone. */
static void ini_default_layers_10x10(void) {
    static const char ini[] = "[experiment]\nname = t\n[data]\ndir = data\n[train]\nepochs = 1\n";
    scratch_write("cli.ini", ini, strlen(ini), "w");
    images_10x10();
}

BAD(ini_default_layers_against_data, .setup = ini_default_layers_10x10,
    .want = "cli.ini: model.layers: 784 inputs and 10 outputs, but data has 10x10 = 100-pixel")
BAD(set_layers_against_data, .args = {"train", "cli.ini", "--set", "model.layers=100,8,10"},
    .want = "--set model.layers=100,8,10: model.layers: 100 inputs and 10 outputs")
BAD(ini_unknown_optimizer, .ini = "[train]\noptimizer = rmsprop\n",
    .want = "cli.ini:14: train.optimizer: unknown value 'rmsprop'")
BAD(ini_unknown_gemm, .ini = "[kernels]\ngemm = fast\n",
    .want = "cli.ini:14: kernels.gemm: unknown gemm kernel 'fast'")
BAD(ini_unknown_activation, .ini = "[kernels]\nactivation = fast\n",
    .want = "cli.ini:14: kernels.activation: unknown activation kernel 'fast'")
BAD(ini_sweep_section_in_train, .ini = "[sweep]\ntrain.lr = 0.1\n",
    .want = "cli.ini:14: [sweep] lists values for ./experiment sweep")
BAD(ini_sweep_empty_list, .ini = "[sweep]\ntrain.lr =\n", .args = {"sweep", "cli.ini"},
    .want = "cli.ini:14: [sweep] train.lr: '': empty value")
BAD(ini_sweep_empty_item, .ini = "[sweep]\ntrain.lr = 0.1,\n", .args = {"sweep", "cli.ini"},
    .want = "cli.ini:14: [sweep] train.lr: '0.1,': empty value")
BAD(ini_sweep_unknown_key, .ini = "[sweep]\ntrain.lerning_rate = 0.1, 0.01\n",
    .args = {"sweep", "cli.ini"}, .want = "cli.ini:14: [sweep] unknown key 'train.lerning_rate'")
BAD(ini_sweep_value_out_of_range, .ini = "[sweep]\ntrain.lr = 0.1, 20\n",
    .args = {"sweep", "cli.ini"}, .want = "cli.ini:14: [sweep] train.lr: 20 is out of range")
BAD(ini_sweep_layers_against_data, .ini = "[sweep]\nmodel.layers = 784,8,10 | 784,8,9\n",
    .args = {"sweep", "cli.ini"},
    .want = "cli.ini:14: model.layers: 784 inputs and 9 outputs, but data has 28x28 = 784-pixel "
            "test images and 10 classes (layers must start with 784 and end with 10) "
            "(run 2: model.layers=784,8,9)")

/* Binary garbage: every byte value, starting with 0x01. */
static void ini_binary(void) {
    uint8_t junk[512];
    for (int i = 0; i < 512; i++) junk[i] = (uint8_t)(i * 37 + 1);
    scratch_write("cli.ini", junk, sizeof junk, "wb");
}
/* NUL bytes after 4 KiB of comments: a reader that checks only the head misses them. */
static void ini_nul_late(void) {
    for (int i = 0; i < 100; i++) cli_append_ini("; a comment that pads the file past its first 4 KiB\n");
    scratch_write("cli.ini", "[train]\nlr = 0.1\0\0\n", 19, "ab");
}
static void ini_long_line(void) {
    char line[400];
    snprintf(line, sizeof line, "[data]\ndir = %0300d\n", 0);
    cli_append_ini(line);
}

BAD(ini_not_text_binary, .setup = ini_binary, .want = "cli.ini:1: not a text file")
BAD(ini_not_text_nul_bytes, .setup = ini_nul_late,
    .want = "cli.ini:114: not a text file (control character 0x00)")
BAD(ini_line_too_long, .setup = ini_long_line, .want = "cli.ini:14: line longer than 199 characters")

/* A kernel this CPU cannot run: SIMD_MLP_MAX_ISA=x86-64 hides every SIMD feature
 * from the registry's check (as on a CPU without them), so avx2 and avx512 are
 * refused on any machine; and a value of SIMD_MLP_MAX_ISA it does not know. */
static void hide_simd(void) { setenv("SIMD_MLP_MAX_ISA", "x86-64", 1); }
static void bad_isa(void) { setenv("SIMD_MLP_MAX_ISA", "sse9", 1); }
BAD(ini_gemm_this_cpu_cannot_run, .setup = hide_simd, .ini = "[kernels]\ngemm = avx2\n",
    .want = "cli.ini:14: kernels.gemm: gemm 'avx2' needs avx2 fma; this CPU has none under "
            "SIMD_MLP_MAX_ISA=x86-64")
BAD(ini_activation_this_cpu_cannot_run, .setup = hide_simd,
    .ini = "[kernels]\nactivation = avx512\n",
    .want = "cli.ini:14: kernels.activation: activation 'avx512' needs avx512f")
BAD(env_unknown_isa, .setup = bad_isa, .args = {"kernels"},
    .want = "SIMD_MLP_MAX_ISA: 'sse9' is not one of avx512, avx2, x86-64")

/* ---- The command line ----------------------------------------------------- */

BAD(cli_no_command, .bare = true, .want = "experiment: missing command", .usage = true)
BAD(cli_unknown_command, .args = {"trian", "cli.ini"}, .want = "unknown command 'trian'", .usage = true)
BAD(cli_unknown_flag, .args = {"train", "cli.ini", "--fast"}, .want = "unknown option '--fast'")
BAD(cli_flag_of_another_command, .args = {"train", "--dry-run", "cli.ini"},
    .want = "unknown option '--dry-run'")
BAD(cli_extra_argument, .args = {"train", "cli.ini", "other.ini"},
    .want = "unexpected argument 'other.ini'")
BAD(cli_set_without_value, .args = {"train", "cli.ini", "--set"}, .want = "--set needs a value")
BAD(cli_set_without_equals, .args = {"train", "cli.ini", "--set", "train.lr"},
    .want = "--set 'train.lr': want section.key=value")
BAD(cli_set_without_section, .args = {"train", "cli.ini", "--set", "lr=0.1"},
    .want = "--set 'lr=0.1': want section.key=value")
BAD(cli_set_bad_value, .args = {"train", "cli.ini", "--set", "train.lr=0.0.1"},
    .want = "--set train.lr: '0.0.1' is not a number")
BAD(cli_set_unknown_key, .args = {"train", "cli.ini", "--set", "train.speed=2"},
    .want = "--set [train] unknown key 'speed'")
BAD(cli_eval_without_checkpoint, .args = {"eval"}, .want = "eval needs a checkpoint")
BAD(cli_sweep_without_file, .args = {"sweep"}, .want = "sweep needs an INI file")
BAD(cli_jobs_without_number, .args = {"sweep", "cli.ini", "--jobs"}, .want = "--jobs needs a value")
BAD(cli_jobs_not_a_number, .args = {"sweep", "cli.ini", "--jobs", "many"},
    .want = "--jobs 'many': want a count of 1..")
BAD(cli_jobs_zero, .args = {"sweep", "cli.ini", "--jobs=0"}, .want = "--jobs '0': want a count of 1..")
BAD(cli_shard_out_of_range, .args = {"sweep", "cli.ini", "--shard", "3/2"},
    .want = "--shard '3/2': want i/n with 1 <= i <= n")
BAD(cli_sbatch_array_too_large, .args = {"sweep", "cli.ini", "--sbatch", "--array-size", "2"},
    .want = "--array-size '2': want a count of 1..1 (the sweep's runs)")
BAD(cli_array_size_without_sbatch, .args = {"sweep", "cli.ini", "--array-size", "1"},
    .want = "--array-size is for --sbatch")
BAD(cli_sbatch_with_shard, .args = {"sweep", "cli.ini", "--sbatch", "--shard", "1/2"},
    .want = "drop --shard")
BAD(cli_sbatch_option_with_space, .args = {"sweep", "cli.ini", "--sbatch", "--", "--comment=a b"},
    .want = "sbatch option '--comment=a b' holds a space, quote or backslash")
BAD(cli_sbatch_not_an_option, .args = {"sweep", "cli.ini", "--sbatch", "--", "time"},
    .want = "sbatch option 'time' is not an option")
BAD(cli_merge_without_folders, .args = {"merge"}, .want = "merge needs the results folders")
BAD(cli_kernels_with_argument, .args = {"kernels", "avx2"}, .want = "kernels takes no arguments")
BAD(cli_keys_with_argument, .args = {"keys", "train"}, .want = "keys takes no arguments")

/* ---- Checkpoints (./experiment eval FILE) -------------------------------- */

/* model.ckpt in the scratch folder, trained from the fixtures (results/ removed again).  Layout
 * (harness/checkpoint.h): magic 0-7, version 8-11, n_sizes 12-15, sizes 16-27
 * (784, 8, 10), n_params 28-35, config_len 36-39, the configuration, the
 * parameters, and the CRC-32 of everything before it in the last 4 bytes. */
static void make_checkpoint(void) {
    cli_expect_ok((const char *const[]){"train", "cli.ini", NULL});
    char from[PATH_MAX], to[PATH_MAX];
    scratch_path(from, "results/t/model.ckpt");
    scratch_path(to, "model.ckpt");
    cr_assert_eq(rename(from, to), 0, "%s: %s", from, strerror(errno));
    scratch_remove_tree("results");
}

/* Overwrites n bytes at `at` (at < 0: the text `bytes` replaces `find` in the
 * stored configuration), then puts a matching CRC-32 back when fix_crc. */
static void damage_checkpoint(long at, const char *find, const void *bytes, size_t n, bool fix_crc) {
    size_t len;
    make_checkpoint();
    uint8_t *p = scratch_read("model.ckpt", &len);
    if (find) {
        uint8_t *hit = memmem(p, len, find, strlen(find));
        cr_assert_not_null(hit, "model.ckpt holds no '%s'", find);
        at = hit - p;
    }
    memcpy(p + at, bytes, n);
    if (fix_crc) {
        uint32_t crc = (uint32_t)crc32(0L, p, (uInt)(len - 4));
        memcpy(p + len - 4, &crc, 4); /* little-endian, as the file */
    }
    scratch_write("model.ckpt", p, len, "wb");
    free(p);
}

static void ckpt_cut(void) {
    size_t len;
    make_checkpoint();
    free(scratch_read("model.ckpt", &len));
    scratch_truncate("model.ckpt", (off_t)len / 2);
}
static void ckpt_cut_header(void) {
    make_checkpoint();
    scratch_truncate("model.ckpt", 5);
}
static void ckpt_version(void) { damage_checkpoint(8, NULL, "\x02\0\0\0", 4, true); }
static void ckpt_checksum(void) {
    size_t len;
    make_checkpoint();
    uint8_t *p = scratch_read("model.ckpt", &len);
    p[len - 10] ^= 0x5a; /* a parameter */
    scratch_write("model.ckpt", p, len, "wb");
    free(p);
}
static void ckpt_config_layers(void) {
    damage_checkpoint(-1, "model.layers=784,8,10\n", "model.layers=784,9,10\n", 22, true);
}
static void ckpt_sizes(void) { damage_checkpoint(20, NULL, "\x09\0\0\0", 4, true); }
static void ckpt_and_fewer_labels(void) {
    make_checkpoint();
    labels_fewer();
}
static void ckpt_and_10x10(void) {
    make_checkpoint();
    images_10x10();
}

BAD(ckpt_missing, .args = {"eval", "nowhere.ckpt"}, .want = "nowhere.ckpt: cannot open")
BAD(ckpt_a_folder, .args = {"eval", "data"}, .want = "data: read error: Is a directory")
BAD(ckpt_not_a_checkpoint, .args = {"eval", "cli.ini"},
    .want = "cli.ini: not a simd-mlp checkpoint (bad magic)")
BAD(ckpt_truncated, .setup = ckpt_cut, .args = {"eval", "model.ckpt"}, .want = "model.ckpt: truncated")
BAD(ckpt_truncated_header, .setup = ckpt_cut_header, .args = {"eval", "model.ckpt"},
    .want = "model.ckpt: truncated header")
BAD(ckpt_other_version, .setup = ckpt_version, .args = {"eval", "model.ckpt"},
    .want = "model.ckpt: format version 2 (this build reads version 1)")
BAD(ckpt_checksum_mismatch, .setup = ckpt_checksum, .args = {"eval", "model.ckpt"},
    .want = "model.ckpt: checksum mismatch")
BAD(ckpt_config_layers_differ_from_sizes, .setup = ckpt_config_layers, .args = {"eval", "model.ckpt"},
    .want = "model.ckpt: model.layers in the stored configuration does not match the stored sizes")
BAD(ckpt_sizes_differ_from_parameter_count, .setup = ckpt_sizes, .args = {"eval", "model.ckpt"},
    .want = "model.ckpt: 6370 parameters for layer sizes that need 7165")
BAD(ckpt_set_other_layers, .setup = make_checkpoint,
    .args = {"eval", "model.ckpt", "--set", "model.layers=784,9,10"},
    .want = "--set model.layers=784,9,10: model.ckpt has layers 784,8,10 (eval cannot change them)")
BAD(ckpt_test_set_broken, .setup = ckpt_and_fewer_labels, .args = {"eval", "model.ckpt"},
    .want = "data/t10k-labels-idx1-ubyte: 9 labels for 10 images")
BAD(ckpt_layers_against_data, .setup = ckpt_and_10x10, .args = {"eval", "model.ckpt"},
    .want = "model.ckpt: model.layers: 784 inputs and 10 outputs, but data has 10x10 = 100-pixel "
            "test images")
