/* cmd_keys.c: ./experiment keys: every INI key with its type, default, range and
 * meaning, as the Markdown table of README's "Configuration" (config.c's key
 * table prints it; tests/test_keys.c checks that README holds this output). */
#include <stdio.h>

#include "cmd.h"

int cmd_keys(int argc, char **argv) {
    (void)argv;
    if (argc > 2) return cmd_fail(EXIT_INPUT, "keys takes no arguments");
    cfg_print_keys(stdout);
    return 0;
}
