/* test_keys.c: README's "Configuration" table is `./experiment keys`'s output.
 *
 * The key table of harness/config.c prints it (cfg_print_keys); README.md holds
 * a copy between `<!-- keys:begin -->` and `<!-- keys:end -->`, so that a key,
 * default, range or meaning changed in the code and not in README (or the other
 * way round) fails here.  Run from the repository root, as `make test` does. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define README "README.md"
#define BEGIN "<!-- keys:begin -->"
#define END "<!-- keys:end -->"

/* The whole file, NUL-terminated (free it). */
static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s: cannot open (run the suite from the repository root)", path);
    cr_assert(fseek(f, 0, SEEK_END) == 0);
    long size = ftell(f);
    cr_assert(size >= 0 && fseek(f, 0, SEEK_SET) == 0);
    char *text = malloc((size_t)size + 1);
    cr_assert(text && fread(text, 1, (size_t)size, f) == (size_t)size, "%s: cannot read", path);
    text[size] = '\0';
    fclose(f);
    return text;
}

/* The 1-based line at which a and b first differ, and that line of each. */
static int first_difference(const char *a, const char *b, char *la, char *lb, size_t len) {
    int line = 1;
    const char *sa = a, *sb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            sa = a + 1;
            sb = b + 1;
        }
        a++, b++;
    }
    snprintf(la, len, "%.*s", (int)strcspn(sa, "\n"), sa);
    snprintf(lb, len, "%.*s", (int)strcspn(sb, "\n"), sb);
    return line;
}

Test(keys, readme_holds_the_key_table) {
    char *readme = read_all(README), *printed;
    size_t len;
    FILE *f = open_memstream(&printed, &len);
    cr_assert(f);
    cfg_print_keys(f);
    fclose(f);

    char *begin = strstr(readme, BEGIN "\n"), *end = begin ? strstr(begin, END) : NULL;
    cr_assert(begin && end, README ": no line '" BEGIN "' followed by '" END "'");
    begin += strlen(BEGIN "\n");
    *end = '\0';
    char have[512], want[512];
    int line = first_difference(begin, printed, have, want, sizeof have);
    cr_assert(!strcmp(begin, printed),
              README "'s key table differs from `./experiment keys` at its line %d:\n"
              "  README: %s\n  keys:   %s\n"
              "(paste the output of ./experiment keys between the markers)",
              line, have, want);
    free(printed);
    free(readme);
}

/* Every key has a row, in table order, and each row has the five columns. */
Test(keys, one_row_per_key) {
    char *printed, name[80];
    size_t len;
    FILE *f = open_memstream(&printed, &len);
    cr_assert(f);
    cfg_print_keys(f);
    fclose(f);
    const char *row = strchr(strchr(printed, '\n') + 1, '\n') + 1; /* after the header */
    for (size_t i = 0; i < cfg_n_keys(); i++) {
        snprintf(name, sizeof name, "| `%s` | ", cfg_key_name(i));
        cr_assert(!strncmp(row, name, strlen(name)), "row %zu is not %s's: %.60s", i + 1,
                  cfg_key_name(i), row);
        int bars = 0;
        for (const char *p = row; *p != '\n'; p++) bars += *p == '|';
        cr_assert_eq(bars, 6, "%s's row has %d '|', not 6 (a '|' in its meaning?)",
                     cfg_key_name(i), bars);
        row = strchr(row, '\n') + 1;
    }
    cr_assert_eq(*row, '\0', "rows after the last key: %.60s", row);
    free(printed);
}
