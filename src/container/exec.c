/* hull exec's library side (see exec.h). */
#include "container/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/request.h"
#include "container/user.h"
#include "runtime/exec.h"
#include "util/cleanup.h"

static char **layer_dirs(container_record *r, size_t *n)
{
    json_t *layers = json_object_get(r->doc, "LayerDirs");
    *n = json_array_size(layers);
    char **v = calloc(*n + 1, sizeof *v);
    if (v == NULL)
        abort();
    for (size_t i = 0; i < *n; i++)
        v[i] = (char *)json_string_value(json_array_get(layers, i));
    return v;
}

/* Redirect fd to /dev/null. */
static void devnull(int fd, int flags)
{
    int n = open("/dev/null", flags | O_CLOEXEC);
    if (n >= 0) {
        dup2(n, fd);
        close(n);
    }
}

int container_exec(container_store *cs, container_record *r,
                   const struct container_exec_request *req, int *exit_code, hull_err **err)
{
    struct exec_opts eo = {
        .id = r->id,
        .args = req->args,
        .tty = req->tty,
        .tty_set = true,
        .detach = req->detach,
        .cwd = req->cwd,
        .env = req->env,
        .no_new_privs = !json_is_false(
            json_object_get(json_object_get(r->doc, "HostConfig"), "NoNewPrivileges")),
    };
    char idbuf[64];
    cleanup_strv char **gids = NULL;
    if (req->user) {
        size_t n;
        cleanup_free char **layers = layer_dirs(r, &n);
        struct user_ids ids;
        if (user_resolve(layers, n, req->user, &ids, err) < 0)
            return -1;
        snprintf(idbuf, sizeof idbuf, "%u:%u", (unsigned)ids.uid, (unsigned)ids.gid);
        eo.user = idbuf;
        for (size_t i = 0; i < ids.n_additional; i++) {
            char g[16];
            snprintf(g, sizeof g, "%u", (unsigned)ids.additional[i]);
            strv_append(&gids, g);
        }
        eo.additional_gids = gids;
        user_ids_clear(&ids);
    }
    if (!req->interactive && !req->tty)
        devnull(STDIN_FILENO, O_RDONLY);
    if (req->detach) {
        devnull(STDIN_FILENO, O_RDONLY);
        devnull(STDOUT_FILENO, O_WRONLY);
        devnull(STDERR_FILENO, O_WRONLY);
    }
    if (runtime_exec(&cs->runtime, &eo, exit_code, err) < 0) {
        if (strstr((*err)->msg, "exec: ") && (*err)->exit_code == 0)
            (*err)->exit_code = (*err)->errnum == ENOENT ? 127 : 126;
        return -1;
    }
    return 0;
}
