/* Stack loading (load.h): parse -> interpolate -> merge -> read -> model. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack/compose.h"
#include "stack/interpolate.h"
#include "stack/load.h"
#include "stack/merge.h"
#include "stack/toml.h"
#include "stack/topology.h"
#include "stack/yaml.h"
#include "util/cleanup.h"

#define STACK_FILE_MAX (16 << 20)

static int read_file(const char *path, char **data, size_t *len, hull_err **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return hull_error(err, errno, "stat %s", path);
    if (!S_ISREG(st.st_mode))
        return hull_error(err, 0, "%s is not a regular file", path);
    if (st.st_size > STACK_FILE_MAX)
        return hull_error(err, 0, "%s is too large (more than 16 MiB)", path);
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0) {
            free(buf);
            return hull_error(err, errno, "read %s", path);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static const char *const candidates[] = {"compose.yaml", "compose.yml", "docker-compose.yaml",
                                         "docker-compose.yml", NULL};
static const char *const overrides[] = {"compose.override.yaml", "compose.override.yml",
                                        "docker-compose.override.yaml",
                                        "docker-compose.override.yml", NULL};

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The compose file (and override) of the working directory or the nearest parent. */
static int discover(char ***files, hull_err **err)
{
    char dir[PATH_MAX];
    if (getcwd(dir, sizeof(dir)) == NULL)
        return hull_error(err, errno, "getcwd");
    for (;;) {
        for (const char *const *c = candidates; *c; c++) {
            char *p = join(dir, *c);
            if (access(p, F_OK) == 0) {
                char **v = calloc(3, sizeof(char *));
                v[0] = p;
                for (const char *const *o = overrides; *o; o++) {
                    char *q = join(dir, *o);
                    if (access(q, F_OK) == 0) {
                        v[1] = q;
                        break;
                    }
                    free(q);
                }
                *files = v;
                return 0;
            }
            free(p);
        }
        char *slash = strrchr(dir, '/');
        if (slash == NULL || slash == dir)
            break;
        *slash = '\0';
    }
    return hull_error(err, 0,
                      "no configuration file provided: not found (looked for compose.yaml, "
                      "compose.yml, docker-compose.yaml, docker-compose.yml here and in parent "
                      "directories)");
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static char *dir_of(const char *path)
{
    char real[PATH_MAX];
    if (realpath(path, real) == NULL)
        return NULL;
    char *slash = strrchr(real, '/');
    if (slash == real)
        slash[1] = '\0';
    else
        *slash = '\0';
    return strdup(real);
}

/* drop services whose profiles are not active */
static void apply_profiles(json_t *doc, const char *const *profiles)
{
    json_t *services = json_object_get(doc, "services");
    const char *name;
    json_t *svc, *tmp;
    json_object_foreach_safe(services, tmp, name, svc)
    {
        json_t *p = json_object_get(svc, "profiles");
        if (json_array_size(p) == 0)
            continue;
        bool active = false;
        size_t i;
        json_t *e;
        json_array_foreach(p, i, e) for (const char *const *q = profiles; q && *q;
                                         q++) if (!strcmp(*q, json_string_value(e)) ||
                                                  !strcmp(*q, "*")) active = true;
        if (!active)
            json_object_del(services, name);
    }
}

int stack_load(const struct stack_load_options *opts, struct stack **out, hull_err **err)
{
    cleanup_strv char **files = NULL;
    if (opts->files && opts->files[0]) {
        size_t n = 0;
        while (opts->files[n])
            n++;
        files = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            files[i] = strdup(opts->files[i]);
    } else if (discover(&files, err) < 0) {
        return -1;
    }
    cleanup_free char *project_dir = dir_of(files[0]);
    if (project_dir == NULL)
        return hull_error(err, errno, "open %s", files[0]);
    if (opts->project_name && stack_project_name_check(opts->project_name, err) < 0)
        return -1;
    json_t *doc = NULL;
    if (ends_with(files[0], ".toml")) {
        if (files[1])
            return hull_error(err, 0, "%s: a topology file cannot be combined with other -f files",
                              files[1]);
        cleanup_free char *data = NULL;
        size_t len;
        cleanup_stack_node struct stack_node *root = NULL;
        if (read_file(files[0], &data, &len, err) < 0 ||
            stack_toml_parse(data, len, files[0], &root, err) < 0 ||
            stack_topology_to_doc(root, files[0], opts->project_name, project_dir, &doc, err) < 0)
            return -1;
        if (stack_project_name_check(json_string_value(json_object_get(doc, "name")), err) < 0) {
            json_decref(doc);
            return hull_error_prefix(err, "%s", files[0]);
        }
    } else {
        struct stack_env env = {0};
        if (opts->env_files && opts->env_files[0]) {
            for (const char *const *e = opts->env_files; *e; e++)
                if (stack_env_read_file(&env, *e, true, err) < 0) {
                    stack_env_clear(&env);
                    return -1;
                }
        } else {
            cleanup_free char *dotenv = join(project_dir, ".env");
            if (stack_env_read_file(&env, dotenv, false, err) < 0) {
                stack_env_clear(&env);
                return -1;
            }
        }
        stack_env_add_process(&env);
        cleanup_stack_node struct stack_node *merged = NULL;
        for (size_t i = 0; files[i]; i++) {
            cleanup_free char *data = NULL;
            size_t len;
            struct stack_node *root = NULL;
            if (read_file(files[i], &data, &len, err) < 0 ||
                stack_yaml_parse(data, len, files[i], &root, err) < 0 ||
                stack_interpolate_tree(root, &env, err) < 0) {
                stack_node_free(root);
                stack_env_clear(&env);
                return -1;
            }
            if (merged == NULL) {
                merged = root;
            } else {
                stack_merge_compose(merged, root);
                stack_node_free(root);
            }
        }
        const char *project = opts->project_name;
        cleanup_free char *from_dir = NULL;
        const struct stack_node *name = stack_node_get(merged, "name");
        if (project == NULL && name && name->kind == STACK_NODE_STRING) {
            project = name->str;
            if (stack_project_name_check(project, err) < 0) {
                stack_env_clear(&env);
                char where[600];
                return hull_error_prefix(err, "%s: name",
                                         stack_node_where(name, where, sizeof(where)));
            }
        }
        if (project == NULL)
            project = from_dir = stack_project_name_from_dir(project_dir);
        int rc = stack_compose_to_doc(merged, project, project_dir, &env, &doc, err);
        stack_env_clear(&env);
        if (rc < 0)
            return -1;
    }
    apply_profiles(doc, opts->profiles);
    return stack_from_doc(doc, project_dir, out, err);
}
