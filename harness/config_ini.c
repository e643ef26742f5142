/* config_ini.c: the INI files of config.h, read with inih: a line reader that
 * refuses what inih would misread, the [sweep] callback, and the search for the
 * line that sets a key.  Values go through cfg_set_key, so the key table
 * (config.c) checks them as it checks --set. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

/* inih's line reader (fgets's contract), in place of fgets: it counts lines as
 * inih does, so that a handler knows its line, and it stops where inih would
 * misread the file: at a control character (a binary file would be read as lines
 * of garbage, and fgets's line ends at a NUL, hiding what follows it) and at a
 * line longer than inih's buffer (inih would cut it in two and keep the head as a
 * silently truncated value). */
typedef struct {
    FILE *f;
    int line;      /* of the last line read */
    int bad_byte;  /* the control character that stopped it, or -1 */
    int too_long;  /* the length that stopped it (inih's limit), or 0 */
} line_reader;

static char *read_line(char *str, int num, void *stream) {
    line_reader *r = stream;
    int n = 0, ch = 0;
    r->line++;
    while (n < num - 1 && ch != '\n' && (ch = getc(r->f)) != EOF) {
        if ((ch < 0x20 && !isspace(ch)) || ch == 0x7f) {
            r->bad_byte = ch;
            return NULL;
        }
        str[n++] = (char)ch;
    }
    str[n] = '\0';
    /* A full buffer is a whole line only when its newline or the end comes next. */
    if (n > 0 && n == num - 1 && str[n - 1] != '\n' && (ch = getc(r->f)) != '\n' && ch != EOF) {
        r->too_long = num - 1;
        return NULL;
    }
    return n ? str : NULL;
}

typedef struct {
    cfg *c;
    cfg_sweep_fn on_sweep; /* NULL: a [sweep] section is an error */
    void *sweep_ctx;
    char msg[512]; /* the first error; ini_parse returns its line */
} ini_ctx;

static int on_ini_key(void *user, const char *section, const char *key, const char *value) {
    ini_ctx *ctx = user;
    char err[448];
    int rc = -1;
    if (strcmp(section, "sweep"))
        rc = cfg_set_key(ctx->c, section, key, value, err, sizeof err);
    else if (ctx->on_sweep)
        rc = ctx->on_sweep(ctx->sweep_ctx, key, value, err, sizeof err);
    else
        snprintf(err, sizeof err, "[sweep] lists values for ./experiment sweep; train runs "
                                  "one configuration (try: experiment sweep FILE)");
    if (rc == 0) return 1;
    if (!ctx->msg[0]) snprintf(ctx->msg, sizeof ctx->msg, "%s", err);
    return 0;
}

int cfg_load_file(cfg *c, const char *path, char *err, size_t len) {
    return cfg_load_sweep_file(c, path, NULL, NULL, err, len);
}

int cfg_load_sweep_file(cfg *c, const char *path, cfg_sweep_fn on_sweep, void *sweep_ctx,
                        char *err, size_t len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    line_reader in = {.f = f, .bad_byte = -1};
    ini_ctx ctx = {.c = c, .on_sweep = on_sweep, .sweep_ctx = sweep_ctx};
    int line = ini_parse_stream(read_line, &in, on_ini_key, &ctx);
    fclose(f);
    /* Ahead of inih's first error: in a binary file, the lines before the first
     * control character are garbage too. */
    if (in.bad_byte >= 0)
        snprintf(err, len, "%s:%d: not a text file (control character 0x%02X)", path, in.line,
                 (unsigned)in.bad_byte);
    else if (in.too_long)
        snprintf(err, len, "%s:%d: line longer than %d characters", path, in.line, in.too_long);
    else if (line == 0)
        return 0;
    else if (ctx.msg[0])
        snprintf(err, len, "%s:%d: %s", path, line, ctx.msg);
    else
        snprintf(err, len, "%s:%d: not a 'key = value' line or a [section] header", path, line);
    return -1;
}

/* cfg_key_line's search: the lines that set one key. */
typedef struct {
    line_reader in;
    const char *name;
    int line, sweep_line;
} key_lines;

static int on_key_line(void *user, const char *section, const char *key, const char *value) {
    key_lines *k = user;
    size_t ns = strlen(section);
    (void)value;
    if (!strcmp(section, "sweep") && !strcmp(key, k->name))
        k->sweep_line = k->in.line;
    else if (!strncmp(k->name, section, ns) && k->name[ns] == '.' && !strcmp(k->name + ns + 1, key))
        k->line = k->in.line;
    return 1;
}

int cfg_key_line(const char *path, const char *name) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    key_lines k = {.in = {.f = f, .bad_byte = -1}, .name = name};
    ini_parse_stream(read_line, &k.in, on_key_line, &k);
    fclose(f);
    return k.sweep_line ? k.sweep_line : k.line;
}
