/* hull login / hull logout: registry credentials. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hull/cli.h"
#include "image/auth.h"
#include "image/registry.h"
#include "util/cleanup.h"

static const char login_help[] =
    "Usage: hull login [OPTIONS] REGISTRY\n"
    "\n"
    "Check credentials against REGISTRY (HOST[:PORT]) and store them for `hull pull`. They are\n"
    "written to the auth file with mode 0600, in Docker's format:\n"
    "  {\"auths\": {\"REGISTRY\": {\"auth\": \"base64(USER:PASSWORD)\"}}}\n"
    "The auth file is --authfile, else $HULL_AUTH_FILE, else $XDG_CONFIG_HOME/hull/auth.json,\n"
    "else ~/.config/hull/auth.json. Pulls also read ~/.docker/config.json.\n"
    "\n"
    "Options:\n"
    "  -u, --username USER    user name (required)\n"
    "  -p, --password PASS    password (visible to other users in ps; prefer --password-stdin)\n"
    "  --password-stdin       read the password from stdin\n"
    "  --authfile FILE        credentials file to write\n"
    "  --insecure             allow plain HTTP and unverified TLS\n"
    "  --no-verify            store without contacting the registry\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 when stored, 1 when the registry refused the credentials or is\n"
    "unreachable, 125 for usage errors.\n";

static const char logout_help[] =
    "Usage: hull logout [--authfile FILE] REGISTRY\n"
    "\n"
    "Remove the stored credentials for REGISTRY from the auth file (see `hull login --help`).\n"
    "\n"
    "Exit status: 0 when removed, 1 when there were none, 125 for usage errors.\n";

static char *read_stdin_line(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

int cmd_login(struct hull_cli *cli, int argc, char **argv)
{
    (void)cli;
    if (cli_wants_help(argc, argv, login_help))
        return 0;
    enum { L_USER = 1, L_PASSWORD, L_STDIN, L_AUTHFILE, L_INSECURE, L_NO_VERIFY };
    static const struct option_spec optspec[] = {
        {"username", 'u', true, L_USER, "the user name"},
        {"password", 'p', true, L_PASSWORD, "the password (prefer --password-stdin)"},
        {"password-stdin", 0, false, L_STDIN, "read the password from stdin"},
        {"authfile", 0, true, L_AUTHFILE, "credentials file"},
        {"insecure", 0, false, L_INSECURE, "plain HTTP or unverified TLS"},
        {"no-verify", 0, false, L_NO_VERIFY, "store without checking with the registry"},
        {NULL, 0, false, 0, NULL}};
    const char *v[L_NO_VERIFY + 1] = {NULL};
    int first;
    int usage = cli_options("login", optspec, argc, argv, v, &first);
    if (usage)
        return usage;
    const char *user = v[L_USER], *password = v[L_PASSWORD];
    struct registry_options ro = {.authfile = v[L_AUTHFILE], .insecure = cli_flag(v[L_INSECURE])};
    bool verify = !cli_flag(v[L_NO_VERIFY]);
    if (first != argc - 1 || user == NULL)
        return cli_usage("login", "expected -u USER and one REGISTRY");
    cleanup_free char *stdin_password = NULL;
    if (cli_flag(v[L_STDIN])) {
        stdin_password = read_stdin_line();
        password = stdin_password;
    }
    if (password == NULL)
        return cli_usage("login", "give the password with -p or --password-stdin");
    const char *registry = argv[first];
    hull_err *err = NULL;
    if (verify && registry_check_login(registry, user, password, &ro, &err) < 0) {
        hull_error_prefix(&err, "login to `%s`", registry);
        return cli_fail(err);
    }
    if (auth_store(ro.authfile, registry, user, password, &err) < 0)
        return cli_fail(err);
    printf("Login Succeeded\n");
    return 0;
}

int cmd_logout(struct hull_cli *cli, int argc, char **argv)
{
    (void)cli;
    if (cli_wants_help(argc, argv, logout_help))
        return 0;
    static const struct option_spec optspec[] = {{"authfile", 0, true, 1, "credentials file"},
                                                 {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("logout", optspec, argc, argv, v, &first);
    if (usage)
        return usage;
    if (first != argc - 1)
        return cli_usage("logout", "expected one REGISTRY");
    hull_err *err = NULL;
    int r = auth_remove(v[1], argv[first], &err);
    if (r < 0)
        return cli_fail(err);
    if (r == 0) {
        fprintf(stderr, "hull: not logged in to `%s`\n", argv[first]);
        return 1;
    }
    printf("Removed login credentials for %s\n", argv[first]);
    return 0;
}
