/* common.c: temporary files and the shared checks of fuzz.h. */
#include "fuzz.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: invariant broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void temp_name(char *path, size_t path_len, const char *suffix)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(path, path_len, "%s/fuzz-XXXXXX%s", tmp && *tmp ? tmp : "/tmp", suffix);
    FUZZ_CHECK(n > 0 && (size_t)n < path_len, "temporary path too long");
}

void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f, "cannot create %s: %s", path, strerror(errno));
    FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write %s", path);
}

void fuzz_temp_file(char *path, size_t path_len, const char *suffix, const uint8_t *data,
                    size_t size)
{
    temp_name(path, path_len, suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    FUZZ_CHECK(fd >= 0, "mkstemps %s: %s", path, strerror(errno));
    close(fd);
    fuzz_write(path, data, size);
}

void fuzz_temp_dir(char *path, size_t path_len)
{
    temp_name(path, path_len, "");
    FUZZ_CHECK(mkdtemp(path), "mkdtemp %s: %s", path, strerror(errno));
}

void fuzz_check_refusal(const char *path, const char *err)
{
    size_t n = strlen(path);
    FUZZ_CHECK(!strncmp(err, path, n) && err[n] == ':' && err[n + 1] != '\0',
               "refusal of %s does not start with its name and say why: '%s'", path, err);
}
