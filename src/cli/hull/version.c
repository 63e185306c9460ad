/* hull version */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli/hull/containers.h"

static const char help[] =
    "Usage: hull version [--format json]\n"
    "\n"
    "Print the version of hull, of the OCI runtime-spec it implements, and the platform.\n"
    "\n"
    "Options:\n"
    "      --format json   one JSON object: Version, OciVersion, Os, Arch, KernelVersion,\n"
    "                      Runtime\n"
    "  -h, --help          show this help\n";

int cmd_version(struct hull_cli *cli, int argc, char **argv)
{
    (void)cli;
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {{"format", 'f', true, 1, "json"},
                                              {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("version", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    if (first < argc)
        return cli_usage("version", "unexpected argument `%s`", argv[first]);
    if (v[1] && strcmp(v[1], "json") != 0)
        return cli_usage("version", "--format `%s`: expected json", v[1]);
    bool json = v[1] != NULL;
    struct utsname u;
    uname(&u);
    if (json) {
        json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Version", HULL_VERSION,
                                "OciVersion", "1.2.0", "Os", "linux", "Arch", u.machine,
                                "KernelVersion", u.release, "Runtime", "libhull (in-process)");
        char *text = json_dumps(doc, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(doc);
        return 0;
    }
    printf("hull version %s\nOCI runtime-spec: 1.2.0\nRuntime: libhull (in-process, no daemon)\n"
           "OS/Arch: linux/%s\nKernel: %s\n",
           HULL_VERSION, u.machine, u.release);
    return 0;
}
