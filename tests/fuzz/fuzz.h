/* fuzz.h: what the libFuzzer targets of tests/fuzz/ share (`make fuzz`).
 *
 * The loaders under test read files by path, so each target writes its input to
 * a temporary file (in $TMPDIR, else /tmp) and removes it afterwards.  A broken
 * invariant aborts with a message, which libFuzzer reports as a crash and saves
 * the input for. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Prints "fuzz: invariant broken: <message>" and aborts. */
__attribute__((noreturn, format(printf, 1, 2))) void fuzz_fail(const char *fmt, ...);
#define FUZZ_CHECK(cond, ...) ((cond) ? (void)0 : fuzz_fail(__VA_ARGS__))

/* Creates <tmp>/fuzz-XXXXXX<suffix> holding data; its name goes to path. */
void fuzz_temp_file(char *path, size_t path_len, const char *suffix, const uint8_t *data,
                    size_t size);
/* Creates a fresh folder <tmp>/fuzz-XXXXXX; its name goes to path. */
void fuzz_temp_dir(char *path, size_t path_len);
/* Writes data to path, replacing the file. */
void fuzz_write(const char *path, const uint8_t *data, size_t size);

/* The rule for every refusal: an error message that starts with the file's name. */
void fuzz_check_refusal(const char *path, const char *err);

/* A configuration that a loader accepted passes its own validation: every key
 * written with cfg_format reads back with cfg_set to the same text, and the
 * words the trainer compares against are whole choices.  `what` names the
 * loader in the message. */
void fuzz_check_cfg(const cfg *c, const char *what);

#endif
