/* LISTEN_FDS / LISTEN_PID passthrough. */
#include "runtime/socket_activation.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int socket_activation_fds(void)
{
    const char *fds = getenv("LISTEN_FDS");
    const char *pid = getenv("LISTEN_PID");
    if (fds == NULL || pid == NULL)
        return 0;
    char *end;
    long p = strtol(pid, &end, 10);
    if (*pid == '\0' || *end != '\0' || p != (long)getpid())
        return 0;
    long n = strtol(fds, &end, 10);
    if (*fds == '\0' || *end != '\0' || n <= 0 || n > 65536)
        return 0;
    return (int)n;
}

static bool is_listen_var(const char *e)
{
    return strncmp(e, "LISTEN_FDS=", 11) == 0 || strncmp(e, "LISTEN_PID=", 11) == 0;
}

char **socket_activation_env(char **env, int n)
{
    if (n <= 0)
        return env;
    size_t count = 0;
    for (char **e = env; e && *e; e++)
        count++;
    /* Runs in the container process just before execve: the memory is never freed. */
    char **out = calloc(count + 3, sizeof(char *));
    if (out == NULL)
        return env;
    size_t k = 0;
    for (char **e = env; e && *e; e++)
        if (!is_listen_var(*e))
            out[k++] = *e;
    if (asprintf(&out[k], "LISTEN_FDS=%d", n) < 0)
        return env;
    k++;
    if (asprintf(&out[k], "LISTEN_PID=%d", (int)getpid()) < 0)
        return env;
    return out;
}
