/* CNI plugin invocation (see cni_exec.h). stdin and stdout are memfds, so a plugin that exits
 * early can neither block us nor raise SIGPIPE, and nothing depends on pipe buffer sizes. */
#include "net/cni_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define PLUGIN_OUTPUT_MAX (1u << 20)

char *net_cni_find_plugin(const char *type, const char *path, hull_err **err)
{
    if (type == NULL || *type == '\0' || strchr(type, '/') != NULL) {
        hull_error(err, 0, "network config: plugin type `%s` is not a plugin name",
                   type ? type : "");
        return NULL;
    }
    cleanup_free char *dirs = strdup(path ? path : NET_CNI_DEFAULT_PATH);
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char *p;
        if (asprintf(&p, "%s/%s", d, type) < 0)
            abort();
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    hull_error(err, ENOENT,
               "CNI plugin `%s` not found in `%s` (apt-get install "
               "containernetworking-plugins)",
               type, path ? path : NET_CNI_DEFAULT_PATH);
    return NULL;
}

static int memfd_with(const char *name, const char *data, size_t len, hull_err **err)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "memfd_create");
    if (len && fs_write_all(fd, data, len) < 0) {
        int e = errno;
        close(fd);
        return hull_error(err, e, "write the plugin's stdin");
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static char *read_memfd(int fd, size_t *len)
{
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0)
        size = 0;
    if ((size_t)size > PLUGIN_OUTPUT_MAX)
        size = PLUGIN_OUTPUT_MAX;
    char *buf = malloc((size_t)size + 1);
    if (buf == NULL)
        abort();
    ssize_t n = pread(fd, buf, (size_t)size, 0);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void child_exec(const char *plugin, const char *command, const struct net_cni_runtime *rt,
                       int in, int out, int errfd)
{
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
        _exit(127);
    char *env[8];
    size_t n = 0;
    if (asprintf(&env[n++], "CNI_COMMAND=%s", command) < 0 ||
        asprintf(&env[n++], "CNI_CONTAINERID=%s", rt->container_id ? rt->container_id : "") < 0 ||
        asprintf(&env[n++], "CNI_NETNS=%s", rt->netns ? rt->netns : "") < 0 ||
        asprintf(&env[n++], "CNI_IFNAME=%s", rt->ifname ? rt->ifname : "") < 0 ||
        asprintf(&env[n++], "CNI_ARGS=%s", rt->args ? rt->args : "") < 0 ||
        asprintf(&env[n++], "CNI_PATH=%s", rt->path ? rt->path : NET_CNI_DEFAULT_PATH) < 0)
        _exit(127);
    /* The plugins run iptables/ip6tables/nft: the system's, never a user's PATH. */
    env[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    env[n] = NULL;
    const char *type = strrchr(plugin, '/');
    char *argv[] = {(char *)(type ? type + 1 : plugin), NULL};
    execve(plugin, argv, env);
    _exit(127);
}

/* A plugin's failure: its error object (code, msg, details), else its stderr. */
static int plugin_error(const char *type, const char *command, const char *out, size_t out_len,
                        const char *errtext, int status, hull_err **err)
{
    cleanup_json json_t *doc = json_loadb(out, out_len, 0, NULL);
    const char *msg = json_string_value(json_object_get(doc, "msg"));
    const char *details = json_string_value(json_object_get(doc, "details"));
    if (msg)
        return hull_error(err, 0, "plugin %s: %s: %s%s%s", type, command, msg,
                          details && *details ? ": " : "", details ? details : "");
    size_t l = strlen(errtext);
    while (l && (errtext[l - 1] == '\n' || errtext[l - 1] == ' '))
        l--;
    if (WIFSIGNALED(status))
        return hull_error(err, 0, "plugin %s: %s: killed by signal %d", type, command,
                          WTERMSIG(status));
    return hull_error(err, 0, "plugin %s: %s: exit status %d%s%.*s", type, command,
                      WEXITSTATUS(status), l ? ": " : "", (int)l, errtext);
}

int net_cni_exec(const char *command, json_t *conf, const struct net_cni_runtime *rt,
                 json_t **result, hull_err **err)
{
    if (result)
        *result = NULL;
    const char *type = json_string_value(json_object_get(conf, "type"));
    cleanup_free char *plugin = net_cni_find_plugin(type, rt->path, err);
    if (plugin == NULL)
        return -1;
    cleanup_free char *text = json_dumps(conf, JSON_COMPACT);
    if (text == NULL)
        return hull_error(err, 0, "plugin %s: cannot encode its config", type);
    cleanup_close int in = memfd_with("cni-stdin", text, strlen(text), err);
    if (in < 0)
        return -1;
    cleanup_close int out = memfd_with("cni-stdout", NULL, 0, err);
    if (out < 0)
        return -1;
    cleanup_close int errfd = memfd_with("cni-stderr", NULL, 0, err);
    if (errfd < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return hull_error(err, errno, "plugin %s: fork", type);
    if (pid == 0)
        child_exec(plugin, command, rt, in, out, errfd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return hull_error(err, errno, "plugin %s: wait", type);
    size_t out_len = 0, err_len = 0;
    cleanup_free char *stdout_text = read_memfd(out, &out_len);
    cleanup_free char *stderr_text = read_memfd(errfd, &err_len);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return plugin_error(type, command, stdout_text, out_len, stderr_text, status, err);
    if (result == NULL || out_len == 0)
        return 0;
    json_error_t je;
    *result = json_loadb(stdout_text, out_len, 0, &je);
    if (*result == NULL)
        return hull_error(err, 0, "plugin %s: %s: its result is not JSON: %s", type, command,
                          je.text);
    return 0;
}
