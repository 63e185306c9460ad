/* hull-runtime features: the runtime-spec features document. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "oci/json_read.h"
#include "runtime/features.h"

int cmd_features(struct cli_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    (void)argv;
    if (argc > 1)
        return cli_usage_error("features", "takes no arguments");
    cleanup_json json_t *f = runtime_features_document();
    char *text = json_dumps(f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(text);
    free(text);
    return 0;
}

const struct cli_command command_features = {
    "features",
    cmd_features,
    "print the features this runtime supports (JSON)",
    "Usage: hull-runtime features\n"
    "\n"
    "Print the runtime-spec features document: supported ociVersion range, hooks, mount\n"
    "options, namespaces, capabilities, and which optional subsystems are enabled.\n",
};
