/* cli_fixture.c: the command-line tests' fixture (cli_fixture.h). */
#include "cli_fixture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXPERIMENT "build/experiment"

/* 12 lines, so a section appended by a case starts at line 13 and its key is on 14. */
static const char good_ini[] = "[experiment]\nname = t\n"
                               "[data]\ndir = data\nval_split = 0.25\n"
                               "[model]\nlayers = 784,8,10\n"
                               "[train]\nepochs = 1\nbatch = 4\n"
                               "[kernels]\nthreads = 1\n";

static char exe[PATH_MAX];
char cli_stderr[16384];

void cli_write_images(const char *name, uint32_t n, uint32_t rows, uint32_t cols) {
    size_t len = (size_t)n * rows * cols;
    uint8_t *px = malloc(len);
    cr_assert_not_null(px);
    for (size_t i = 0; i < len; i++) px[i] = (uint8_t)(i * 7);
    scratch_write_idx(name, 3, (const uint32_t[]){n, rows, cols}, px, len);
    free(px);
}

void cli_write_labels(const char *name, uint32_t n) {
    uint8_t y[64];
    cr_assert_leq(n, sizeof y);
    for (uint32_t i = 0; i < n; i++) y[i] = (uint8_t)(i % 10);
    scratch_write_idx(name, 1, (const uint32_t[]){n}, y, n);
}

void cli_setup(void) {
    cr_assert_not_null(realpath(EXPERIMENT, exe),
                       "%s: %s (run from the repository root after make build/experiment)",
                       EXPERIMENT, strerror(errno));
    scratch_make("test_cli");
    scratch_mkdir("data");
    cli_write_images(TRAIN_IMAGES, N_TRAIN, 28, 28);
    cli_write_labels(TRAIN_LABELS, N_TRAIN);
    cli_write_images(TEST_IMAGES, N_TEST, 28, 28);
    cli_write_labels(TEST_LABELS, N_TEST);
    scratch_write("cli.ini", good_ini, strlen(good_ini), "w");
}

void cli_teardown(void) { scratch_remove(); }

int cli_run(const char *const *args) {
    char *argv[16] = {exe};
    int n = 1;
    for (; args[n - 1]; n++) {
        cr_assert_lt(n, 15);
        argv[n] = (char *)args[n - 1];
    }
    char out_path[PATH_MAX], err_path[PATH_MAX];
    scratch_path(out_path, "stdout.txt");
    scratch_path(err_path, "stderr.txt");
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) { /* open + dup2: freopen would flush the parent's buffers twice */
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0666),
            err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || chdir(scratch_dir)) _exit(126);
        close(out);
        close(err);
        execv(exe, argv);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid: %s", strerror(errno));
    size_t len;
    uint8_t *text = scratch_read("stderr.txt", &len);
    snprintf(cli_stderr, sizeof cli_stderr, "%s", (char *)text);
    free(text);
    return status;
}

bool cli_exists(const char *name) {
    char path[PATH_MAX];
    scratch_path(path, name);
    return access(path, F_OK) == 0;
}

void cli_append_ini(const char *text) { scratch_write("cli.ini", text, strlen(text), "a"); }

/* Overwrites n bytes of the file at offset `at`. */
void cli_patch(const char *name, long at, const void *bytes, size_t n) {
    size_t len;
    uint8_t *p = scratch_read(name, &len);
    cr_assert_leq(at + (long)n, (long)len);
    memcpy(p + at, bytes, n);
    scratch_write(name, p, len, "wb");
    free(p);
}

void cli_expect_bad(const bad_case *c) {
    static const char *const train[] = {"train", "cli.ini", NULL}, *const none[] = {NULL};
    if (c->ini) cli_append_ini(c->ini);
    if (c->setup) c->setup();
    int status = cli_run(c->bare ? none : c->args[0] ? c->args : train);
    cr_assert(!WIFSIGNALED(status), "killed by signal %d (%s); stderr:\n%s", WTERMSIG(status),
              strsignal(WTERMSIG(status)), cli_stderr);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2,
              "exit status %d, want 2 (bad input); stderr:\n%s", WEXITSTATUS(status), cli_stderr);
    size_t first = strcspn(cli_stderr, "\n");
    cr_assert(!strncmp(cli_stderr, "experiment: ", 12), "stderr does not start with 'experiment: ':\n%s",
              cli_stderr);
    cr_assert(cli_stderr[first] == '\n' && (c->usage || cli_stderr[first + 1] == '\0'),
              "stderr is not one line:\n%s", cli_stderr);
    cli_stderr[first] = '\0';
    cr_assert(strstr(cli_stderr, c->want), "stderr lacks '%s':\n%s", c->want, cli_stderr);
    cr_assert(!cli_exists("results"), "bad input left %s/results behind", scratch_dir);
}

void cli_expect_ok(const char *const *args) {
    int status = cli_run(args);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status 0x%x; stderr:\n%s",
              args[0], status, cli_stderr);
}

