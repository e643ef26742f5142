/* test_config.c: the configuration table: defaults, INI files, --set, and the
 * messages of every kind of bad value (file, line and key named). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char ini_path[64];

/* Writes text to a fresh temporary .ini file and loads it over the defaults. */
static int load_text(cfg *c, const char *text, char *err, size_t len) {
    snprintf(ini_path, sizeof ini_path, "/tmp/test_config_XXXXXX.ini");
    int fd = mkstemps(ini_path, 4);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cfg_defaults(c);
    int rc = cfg_load_file(c, ini_path, err, len);
    unlink(ini_path);
    return rc;
}

Test(config, defaults_are_the_seeds_setup) {
    cfg c;
    cfg_defaults(&c);
    cr_assert_str_eq(c.name, "mnist");
    cr_assert_str_eq(c.optimizer, "adam");
    cr_assert_float_eq(c.lr, 0.001, 1e-12);
    cr_assert_eq(c.batch, 32);
    cr_assert_eq(c.epochs, 5);
    cr_assert_float_eq(c.val_split, 0.1, 1e-12);
    cr_assert_eq(c.n_sizes, 4);
    int want[] = {784, 128, 64, 10};
    cr_assert_arr_eq(c.sizes, want, sizeof want);
    cr_assert_str_eq(cfg_data_dir(&c), "data/mnist");
}

Test(config, reads_every_section) {
    cfg c;
    char err[512];
    int rc = load_text(&c,
                       "; a comment\n[experiment]\nname = run-1\nseed = 7\n"
                       "[data]\ndataset = fashion-mnist\nval_split = 0\n"
                       "[model]\nlayers = 784,32,10\n"
                       "[train]\noptimizer = momentum\nlr = 0.05\nmomentum = 0.8\nbatch = 64\nepochs = 2\n"
                       "[kernels]\ngemm = naive\nactivation = scalar\nthreads = 1\n",
                       err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(c.name, "run-1");
    cr_assert_eq(c.seed, 7);
    cr_assert_str_eq(c.dataset, "fashion-mnist");
    cr_assert_str_eq(cfg_data_dir(&c), "/usr/share/datasets/fashion-mnist");
    cr_assert_eq(c.n_sizes, 3);
    cr_assert_eq(c.sizes[1], 32);
    cr_assert_str_eq(c.optimizer, "momentum");
    cr_assert_float_eq(c.momentum, 0.8, 1e-12);
    cr_assert_eq(c.batch, 64);
    cr_assert_str_eq(c.gemm, "naive");
    cr_assert_eq(c.threads, 1);
}

/* Each bad file must fail and name its line and the problem. */
static void expect_error(const char *text, const char *line, const char *piece) {
    cfg c;
    char err[512] = "";
    cr_assert_eq(load_text(&c, text, err, sizeof err), -1, "accepted: %s", text);
    char where[80];
    snprintf(where, sizeof where, "%s:%s: ", ini_path, line);
    cr_assert(strstr(err, where), "message '%s' does not name '%s'", err, where);
    cr_assert(strstr(err, piece), "message '%s' does not say '%s'", err, piece);
}

Test(config, unknown_key_names_file_line_key) {
    expect_error("[train]\nlr = 0.1\nlerning_rate = 0.1\n", "3", "[train] unknown key 'lerning_rate'");
}
Test(config, unknown_section) { expect_error("[traning]\nlr = 0.1\n", "2", "unknown section [traning]"); }
Test(config, value_does_not_parse) { expect_error("[train]\nlr = 0.0.1\n", "2", "train.lr: '0.0.1' is not a number"); }
Test(config, lr_zero) { expect_error("[train]\nlr = 0\n", "2", "train.lr: 0 is out of range"); }
Test(config, lr_nan) { expect_error("[train]\nlr = nan\n", "2", "train.lr: nan is out of range"); }
Test(config, lr_inf) { expect_error("[train]\nlr = inf\n", "2", "out of range"); }
Test(config, batch_zero) { expect_error("[train]\nbatch = 0\n", "2", "train.batch: 0 is out of range"); }
Test(config, batch_negative) { expect_error("[train]\nbatch = -3\n", "2", "train.batch: -3 is out of range"); }
Test(config, batch_not_integer) { expect_error("[train]\nbatch = 3.5\n", "2", "not an integer"); }
Test(config, profile_not_a_boolean) { expect_error("[train]\nprofile = yes\n", "2", "train.profile: 'yes' is not true or false"); }
Test(config, epochs_zero) { expect_error("[train]\nepochs = 0\n", "2", "train.epochs: 0"); }
Test(config, val_split_one) { expect_error("[data]\nval_split = 1\n", "2", "data.val_split: 1 is out of range"); }
Test(config, val_split_negative) { expect_error("[data]\nval_split = -0.1\n", "2", "out of range"); }
Test(config, unknown_optimizer) { expect_error("[train]\noptimizer = adamw\n", "2", "unknown value 'adamw' (choose from: sgd momentum adam)"); }
Test(config, unknown_dataset) { expect_error("[data]\ndataset = cifar\n", "2", "data.dataset: unknown value 'cifar'"); }
/* Found by make fuzz: an empty choice hung the loader (the word search never moved
 * on), and two words of the list were taken for one. */
Test(config, empty_choice, .timeout = 10) { expect_error("[train]\noptimizer =\n", "2", "train.optimizer: unknown value ''"); }
Test(config, two_choices_in_one) { expect_error("[data]\ndataset = mnist fashion-mnist\n", "2", "data.dataset: unknown value 'mnist fashion-mnist'"); }
Test(config, unknown_gemm_kernel) { expect_error("[kernels]\ngemm = fast\n", "2", "kernels.gemm: unknown gemm kernel 'fast'"); }
Test(config, unknown_activation_kernel) { expect_error("[kernels]\nactivation = fast\n", "2", "kernels.activation:"); }
Test(config, layers_not_a_list) { expect_error("[model]\nlayers = 784;10\n", "2", "not a comma-separated list"); }
Test(config, layers_one_size) { expect_error("[model]\nlayers = 784\n", "2", "at least an input and an output"); }
Test(config, layers_zero_size) { expect_error("[model]\nlayers = 784,0,10\n", "2", "size 0 is out of range"); }
Test(config, name_with_slash) { expect_error("[experiment]\nname = ../x\n", "2", "names a folder"); }
Test(config, seed_negative) { expect_error("[experiment]\nseed = -1\n", "2", "not a non-negative integer"); }
/* strtoull clamped a seed past 2^64-1 to it, and read " -5" as 2^64-5. */
Test(config, seed_past_2_64) { expect_error("[experiment]\nseed = 18446744073709551616\n", "2", "experiment.seed: 18446744073709551616 is out of range (want 0..18446744073709551615)"); }
Test(config, seed_blank_and_sign) {
    cfg c;
    char err[512];
    cfg_defaults(&c);
    cr_assert_eq(cfg_set(&c, "experiment.seed= -5", err, sizeof err), -1);
    cr_assert(strstr(err, "experiment.seed: ' -5' is not a non-negative integer"), "%s", err);
    cr_assert_eq(c.seed, 42);
}
Test(config, not_key_value) { expect_error("[train]\njust words\n", "2", "not a 'key = value' line"); }
Test(config, first_error_wins) { expect_error("[train]\nbatch = 0\nepochs = 0\n", "2", "train.batch"); }

Test(config, binary_file_is_not_text) {
    cfg c;
    char err[512];
    cr_assert_eq(load_text(&c, "[train]\nlr = 1\n\0\x01\x02", err, sizeof err), 0,
                 "(strlen stops at the NUL: this one is text)");
    snprintf(ini_path, sizeof ini_path, "/tmp/test_config_XXXXXX");
    int fd = mkstemp(ini_path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "\x7f" "ELF\0\0\0", 7), 7);
    close(fd);
    cr_assert_eq(cfg_load_file(&c, ini_path, err, sizeof err), -1);
    unlink(ini_path);
    cr_assert(strstr(err, "not a text file"), "%s", err);
}

Test(config, missing_file) {
    cfg c;
    char err[512];
    cfg_defaults(&c);
    cr_assert_eq(cfg_load_file(&c, "/nonexistent/x.ini", err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent/x.ini: cannot open"), "%s", err);
}

Test(config, set_overrides_and_checks) {
    cfg c;
    char err[512];
    cfg_defaults(&c);
    cr_assert_eq(cfg_set(&c, "train.lr=0.01", err, sizeof err), 0, "%s", err);
    cr_assert_float_eq(c.lr, 0.01, 1e-12);
    cr_assert_eq(cfg_set(&c, "model.layers=784,10", err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.n_sizes, 2);
    cr_assert_eq(cfg_set(&c, "train.lr", err, sizeof err), -1);
    cr_assert(strstr(err, "want section.key=value"), "%s", err);
    cr_assert_eq(cfg_set(&c, "lr=0.1", err, sizeof err), -1);
    cr_assert(strstr(err, "want section.key=value"), "%s", err);
    cr_assert_eq(cfg_set(&c, "train.bogus=1", err, sizeof err), -1);
    cr_assert(strstr(err, "[train] unknown key 'bogus'"), "%s", err);
}

/* Every key formats to text that reads back to the same configuration: the
 * checkpoint and the CSV columns rely on it. */
Test(config, format_round_trips) {
    cfg a, b;
    char err[512], value[1024], line[1200];
    cfg_defaults(&a);
    cr_assert_eq(cfg_set(&a, "train.lr=0.000123456789", err, sizeof err), 0);
    cr_assert_eq(cfg_set(&a, "model.layers=784,300,100,10", err, sizeof err), 0);
    cr_assert_eq(cfg_set(&a, "experiment.seed=18446744073709551615", err, sizeof err), 0);
    cfg_defaults(&b);
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        cfg_format(&a, i, value, sizeof value);
        snprintf(line, sizeof line, "%s=%s", cfg_key_name(i), value);
        cr_assert_eq(cfg_set(&b, line, err, sizeof err), 0, "%s: %s", line, err);
    }
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
}
