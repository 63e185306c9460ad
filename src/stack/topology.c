/* TOML topology reader (topology.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/request.h"
#include "stack/topology.h"
#include "util/cleanup.h"
#include "util/log.h"

struct topo {
    const char *file;
    const char *project_dir;
    hull_err **err;
};

static int type_error(struct topo *t, const struct stack_node *n, const char *path,
                      const char *want)
{
    char where[600];
    return hull_error(t->err, 0, "%s: %s: must be %s, not %s",
                      stack_node_where(n, where, sizeof(where)), path, want,
                      stack_node_kind_name(n->kind));
}

/* The topology's own validation errors: "FILE: message" (nucleus's wording). */
static int invalid(struct topo *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int invalid(struct topo *t, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return hull_error(t->err, 0, "%s: %s", t->file, msg);
}

static void warn_unknown(struct topo *t, const struct stack_node *n, const char *path,
                         const char *const *known)
{
    (void)t;
    for (size_t i = 0; i < n->n; i++) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, n->keys[i]) == 0;
        if (!ok) {
            char where[600];
            hull_warn("%s: unknown key %s%s%s (ignored)",
                      stack_node_where(n->items[i], where, sizeof(where)), path, path[0] ? "." : "",
                      n->keys[i]);
        }
    }
}

static int str_field(struct topo *t, const struct stack_node *tab, const char *key,
                     const char *path, const char **out)
{
    const struct stack_node *v = stack_node_get(tab, key);
    *out = NULL;
    if (v == NULL)
        return 0;
    if (v->kind != STACK_NODE_STRING) {
        char p[512];
        snprintf(p, sizeof(p), "%s.%s", path, key);
        return type_error(t, v, p, "a string");
    }
    *out = v->str;
    return 0;
}

static int strv_field(struct topo *t, const struct stack_node *tab, const char *key,
                      const char *path, const struct stack_node **out)
{
    const struct stack_node *v = stack_node_get(tab, key);
    *out = NULL;
    if (v == NULL)
        return 0;
    char p[512];
    snprintf(p, sizeof(p), "%s.%s", path, key);
    if (v->kind != STACK_NODE_SEQ)
        return type_error(t, v, p, "an array of strings");
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->kind != STACK_NODE_STRING)
            return type_error(t, v->items[i], p, "an array of strings");
    *out = v;
    return 0;
}

static json_t *strv_json(const struct stack_node *v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && i < v->n; i++)
        json_array_append_new(a, json_string(v->items[i]->str));
    return a;
}

static char *abs_path(struct topo *t, const char *p)
{
    if (p[0] == '/')
        return strdup(p);
    size_t n = strlen(t->project_dir) + strlen(p) + 2;
    char *buf = malloc(n);
    if (buf == NULL)
        abort();
    snprintf(buf, n, "%s/%s", t->project_dir, p);
    return buf;
}

static const struct stack_node *services_of(const struct stack_node *root)
{
    const struct stack_node *s = stack_node_get(root, "services");
    return s && s->kind == STACK_NODE_MAP ? s : NULL;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* nucleus validates in service-name order (a BTreeMap) */
static char **sorted_keys(const struct stack_node *m)
{
    char **k = calloc(m->n + 1, sizeof(*k));
    for (size_t i = 0; i < m->n; i++)
        k[i] = m->keys[i];
    qsort(k, m->n, sizeof(*k), compare_keys);
    return k;
}

static int validate(struct topo *t, const struct stack_node *root)
{
    const struct stack_node *name = stack_node_get(root, "name");
    if (name && name->kind != STACK_NODE_STRING)
        return type_error(t, name, "name", "a string");
    if (name == NULL || name->str[0] == '\0')
        return invalid(t, "Topology name cannot be empty");
    const struct stack_node *services = stack_node_get(root, "services");
    if (services && services->kind != STACK_NODE_MAP)
        return type_error(t, services, "services", "a table");
    if (services == NULL || services->n == 0)
        return invalid(t, "Topology must have at least one service");
    const struct stack_node *networks = stack_node_get(root, "networks");
    const struct stack_node *volumes = stack_node_get(root, "volumes");
    if (networks && networks->kind != STACK_NODE_MAP)
        return type_error(t, networks, "networks", "a table");
    if (volumes && volumes->kind != STACK_NODE_MAP)
        return type_error(t, volumes, "volumes", "a table");
    cleanup_free char **names = sorted_keys(services);
    for (size_t i = 0; i < services->n; i++) {
        const char *sname = names[i];
        const struct stack_node *svc = stack_node_get(services, sname);
        char path[300];
        snprintf(path, sizeof(path), "services.%s", sname);
        if (svc->kind != STACK_NODE_MAP)
            return type_error(t, svc, path, "a table");
        const struct stack_node *deps = stack_node_get(svc, "depends_on");
        if (deps && deps->kind != STACK_NODE_SEQ)
            return type_error(t, deps, path, "an array of tables ([[...depends_on]])");
        for (size_t d = 0; deps && d < deps->n; d++) {
            const struct stack_node *dep = deps->items[d];
            if (dep->kind != STACK_NODE_MAP)
                return type_error(t, dep, path, "a table with service and condition");
            const char *ds, *cond;
            if (str_field(t, dep, "service", path, &ds) < 0 ||
                str_field(t, dep, "condition", path, &cond) < 0)
                return -1;
            if (ds == NULL)
                return invalid(t, "Service '%s' has a depends_on entry without a service", sname);
            if (cond == NULL)
                cond = "started";
            const struct stack_node *target = stack_node_get(services, ds);
            if (target == NULL)
                return invalid(t, "Service '%s' depends on unknown service '%s'", sname, ds);
            if (strcmp(cond, "started") && strcmp(cond, "healthy"))
                return invalid(t, "Invalid dependency condition '%s' for service '%s'", cond,
                               sname);
            if (!strcmp(cond, "healthy") && stack_node_get(target, "health_check") == NULL)
                return invalid(t,
                               "Service '%s' depends on '%s' being healthy, but '%s' has no "
                               "health_check",
                               sname, ds, ds);
        }
        const struct stack_node *nets;
        if (strv_field(t, svc, "networks", path, &nets) < 0)
            return -1;
        for (size_t k = 0; nets && k < nets->n; k++)
            if (stack_node_get(networks, nets->items[k]->str) == NULL)
                return invalid(t, "Service '%s' references unknown network '%s'", sname,
                               nets->items[k]->str);
        const struct stack_node *vols;
        if (strv_field(t, svc, "volumes", path, &vols) < 0)
            return -1;
        for (size_t k = 0; vols && k < vols->n; k++) {
            const char *mount = vols->items[k]->str;
            const char *colon = strchr(mount, ':');
            cleanup_free char *vname =
                colon ? strndup(mount, (size_t)(colon - mount)) : strdup(mount);
            if (vname[0] == '/')
                return invalid(t,
                               "Service '%s' uses absolute host-path volume mount '%s'; topology "
                               "configs must reference a named volume instead",
                               sname, vname);
            if (stack_node_get(volumes, vname) == NULL)
                return invalid(t, "Service '%s' references unknown volume '%s'", sname, vname);
        }
    }
    return 0;
}

static int convert_networks(struct topo *t, const struct stack_node *networks, const char *project,
                            json_t *out)
{
    static const char *const known[] = {"subnet", "encrypted", NULL};
    for (size_t i = 0; networks && i < networks->n; i++) {
        const char *nname = networks->keys[i];
        const struct stack_node *n = networks->items[i];
        char path[300];
        snprintf(path, sizeof(path), "networks.%s", nname);
        if (n->kind != STACK_NODE_MAP)
            return type_error(t, n, path, "a table");
        warn_unknown(t, n, path, known);
        const char *subnet;
        if (str_field(t, n, "subnet", path, &subnet) < 0)
            return -1;
        const struct stack_node *enc = stack_node_get(n, "encrypted");
        if (enc && enc->kind != STACK_NODE_BOOL)
            return type_error(t, enc, path, "a boolean");
        if (enc && enc->b)
            return invalid(t,
                           "network '%s': encrypted = true (WireGuard between hosts) is not "
                           "supported by hull; all of a stack's containers run on this host",
                           nname);
        char *full = NULL;
        if (asprintf(&full, "%s_%s", project, nname) < 0)
            abort();
        json_object_set_new(out, nname,
                            json_pack("{s:s,s:s,s:{s:[{s:s}]}}", "name", full, "driver", "bridge",
                                      "ipam", "config", "subnet",
                                      subnet ? subnet : "10.42.0.0/24"));
        free(full);
    }
    return 0;
}

static int convert_volumes(struct topo *t, const struct stack_node *volumes, const char *project,
                           json_t *out)
{
    static const char *const known[] = {"volume_type", "path", "owner", "size", NULL};
    for (size_t i = 0; volumes && i < volumes->n; i++) {
        const char *vname = volumes->keys[i];
        const struct stack_node *v = volumes->items[i];
        char path[300];
        snprintf(path, sizeof(path), "volumes.%s", vname);
        if (v->kind != STACK_NODE_MAP)
            return type_error(t, v, path, "a table");
        warn_unknown(t, v, path, known);
        const char *type, *hpath, *owner, *size;
        if (str_field(t, v, "volume_type", path, &type) < 0 ||
            str_field(t, v, "path", path, &hpath) < 0 ||
            str_field(t, v, "owner", path, &owner) < 0 || str_field(t, v, "size", path, &size) < 0)
            return -1;
        if (type == NULL)
            type = "ephemeral";
        if (strcmp(type, "persistent") && strcmp(type, "ephemeral"))
            return invalid(t,
                           "volume '%s': volume_type must be \"persistent\" or \"ephemeral\", "
                           "not \"%s\"",
                           vname, type);
        if (owner) {
            unsigned uid, gid;
            char extra;
            if (sscanf(owner, "%u:%u%c", &uid, &gid, &extra) != 2)
                return invalid(t, "volume '%s': owner must be \"UID:GID\", not \"%s\"", vname,
                               owner);
        }
        long long bytes = 0;
        if (size) {
            cleanup_err hull_err *e = NULL;
            if (parse_size(size, &bytes, &e) < 0)
                return invalid(t, "volume '%s': invalid size \"%s\" (like 512M, 1G)", vname, size);
        }
        char *full = NULL;
        if (asprintf(&full, "%s_%s", project, vname) < 0)
            abort();
        json_t *vol = json_pack("{s:s,s:s}", "name", full, "driver", "local");
        free(full);
        json_t *x = json_pack("{s:s}", "volume_type", type);
        if (hpath) {
            cleanup_free char *p = abs_path(t, hpath);
            json_object_set_new(x, "path", json_string(p));
            if (!strcmp(type, "persistent"))
                json_object_set_new(
                    vol, "driver_opts",
                    json_pack("{s:s,s:s,s:s}", "type", "none", "o", "bind", "device", p));
        }
        if (owner)
            json_object_set_new(x, "owner", json_string(owner));
        if (size)
            json_object_set_new(x, "size", json_integer(bytes));
        json_object_set_new(vol, "x-hull", x);
        json_object_set_new(out, vname, vol);
    }
    return 0;
}

static int convert_service(struct topo *t, const char *sname, const struct stack_node *svc,
                           json_t *doc, json_t **out)
{
    static const char *const known[] = {"rootfs",
                                        "image",
                                        "command",
                                        "memory",
                                        "cpus",
                                        "pids",
                                        "networks",
                                        "volumes",
                                        "depends_on",
                                        "health_check",
                                        "health_interval",
                                        "egress_allow",
                                        "egress_tcp_ports",
                                        "port_forwards",
                                        "environment",
                                        "secrets",
                                        "dns",
                                        "replicas",
                                        "runtime",
                                        "hooks",
                                        NULL};
    char path[300];
    snprintf(path, sizeof(path), "services.%s", sname);
    warn_unknown(t, svc, path, known);
    json_t *s = json_object();
    *out = s;
    json_t *x = json_object();
    json_object_set_new(s, "x-hull", x);
    const char *rootfs, *image, *memory, *health, *runtime;
    if (str_field(t, svc, "rootfs", path, &rootfs) < 0 ||
        str_field(t, svc, "image", path, &image) < 0 ||
        str_field(t, svc, "memory", path, &memory) < 0 ||
        str_field(t, svc, "health_check", path, &health) < 0 ||
        str_field(t, svc, "runtime", path, &runtime) < 0)
        return -1;
    if (rootfs == NULL && image == NULL)
        return invalid(t, "Service '%s' needs rootfs (a directory) or image", sname);
    if (rootfs && image)
        return invalid(t, "Service '%s' has both rootfs and image; give one", sname);
    if (image)
        json_object_set_new(s, "image", json_string(image));
    if (rootfs) {
        cleanup_free char *p = abs_path(t, rootfs);
        json_object_set_new(x, "rootfs", json_string(p));
    }
    const struct stack_node *cmd, *nets, *vols, *egress, *ports, *secrets, *dns;
    if (strv_field(t, svc, "command", path, &cmd) < 0 ||
        strv_field(t, svc, "networks", path, &nets) < 0 ||
        strv_field(t, svc, "volumes", path, &vols) < 0 ||
        strv_field(t, svc, "egress_allow", path, &egress) < 0 ||
        strv_field(t, svc, "port_forwards", path, &ports) < 0 ||
        strv_field(t, svc, "secrets", path, &secrets) < 0 ||
        strv_field(t, svc, "dns", path, &dns) < 0)
        return -1;
    if (cmd == NULL && rootfs)
        return invalid(t, "Service '%s' is missing required field 'command'", sname);
    if (cmd)
        json_object_set_new(s, "command", strv_json(cmd));
    if (memory == NULL)
        return invalid(t, "Service '%s' is missing required field 'memory'", sname);
    long long mem;
    {
        cleanup_err hull_err *e = NULL;
        if (parse_size(memory, &mem, &e) < 0)
            return invalid(t, "Service '%s': invalid memory \"%s\" (like 512M, 2G)", sname, memory);
    }
    double cpus = 1.0;
    const struct stack_node *cv = stack_node_get(svc, "cpus");
    if (cv) {
        if (cv->kind == STACK_NODE_FLOAT)
            cpus = cv->f;
        else if (cv->kind == STACK_NODE_INT)
            cpus = (double)cv->i;
        else
            return type_error(t, cv, path, "a number (cpus)");
        if (!(cpus > 0) || cpus > 4096)
            return invalid(t, "Service '%s': cpus must be a positive number", sname);
    }
    long long pids = 512, interval = 30, replicas = 1;
    const char *int_keys[] = {"pids", "health_interval", "replicas"};
    long long *int_vals[] = {&pids, &interval, &replicas};
    for (int k = 0; k < 3; k++) {
        const struct stack_node *v = stack_node_get(svc, int_keys[k]);
        if (v == NULL)
            continue;
        if (v->kind != STACK_NODE_INT)
            return type_error(t, v, path, "an integer");
        if (v->i < (k == 2 ? 0 : 1))
            return invalid(t, "Service '%s': %s must be %s", sname, int_keys[k],
                           k == 2 ? "0 or more" : "positive");
        *int_vals[k] = v->i;
    }
    char cpus_text[32];
    snprintf(cpus_text, sizeof(cpus_text), "%g", cpus);
    json_object_set_new(s, "deploy",
                        json_pack("{s:I,s:{s:{s:s,s:I,s:I}}}", "replicas", (json_int_t)replicas,
                                  "resources", "limits", "cpus", cpus_text, "memory",
                                  (json_int_t)mem, "pids", (json_int_t)pids));
    json_t *jn = json_object();
    for (size_t k = 0; nets && k < nets->n; k++)
        json_object_set_new(jn, nets->items[k]->str, json_object());
    if (json_object_size(jn))
        json_object_set_new(s, "networks", jn);
    else {
        json_decref(jn);
        json_object_set_new(s, "network_mode", json_string("none"));
    }
    json_t *jv = json_array();
    json_t *topvols = json_object_get(doc, "volumes");
    for (size_t k = 0; vols && k < vols->n; k++) {
        const char *mount = vols->items[k]->str;
        const char *colon = strchr(mount, ':');
        if (colon == NULL || colon[1] != '/')
            return invalid(t, "Service '%s': volume \"%s\" must be \"volume-name:/mount/path\"",
                           sname, mount);
        cleanup_free char *vname = strndup(mount, (size_t)(colon - mount));
        json_t *tv = json_object_get(json_object_get(topvols, vname), "x-hull");
        const char *vt = json_string_value(json_object_get(tv, "volume_type"));
        if (vt && !strcmp(vt, "ephemeral")) {
            json_t *m = json_pack("{s:s,s:s}", "type", "tmpfs", "target", colon + 1);
            if (json_object_get(tv, "size"))
                json_object_set_new(m, "tmpfs",
                                    json_pack("{s:O}", "size", json_object_get(tv, "size")));
            json_array_append_new(jv, m);
        } else {
            json_array_append_new(jv, json_pack("{s:s,s:s,s:s}", "type", "volume", "source", vname,
                                                "target", colon + 1));
        }
    }
    if (json_array_size(jv))
        json_object_set_new(s, "volumes", jv);
    else
        json_decref(jv);
    const struct stack_node *deps = stack_node_get(svc, "depends_on");
    if (deps && deps->n) {
        json_t *jd = json_object();
        for (size_t d = 0; d < deps->n; d++) {
            const struct stack_node *ds = stack_node_get(deps->items[d], "service");
            const struct stack_node *dc = stack_node_get(deps->items[d], "condition");
            bool healthy = dc && !strcmp(dc->str, "healthy");
            json_object_set_new(jd, ds->str,
                                json_pack("{s:s,s:b,s:b}", "condition",
                                          healthy ? "service_healthy" : "service_started",
                                          "required", 1, "restart", 0));
        }
        json_object_set_new(s, "depends_on", jd);
    }
    if (health) {
        char iv[32];
        snprintf(iv, sizeof(iv), "%llds", interval);
        json_object_set_new(s, "healthcheck",
                            json_pack("{s:[ss],s:s}", "test", "CMD-SHELL", health, "interval", iv));
    }
    if (egress)
        json_object_set_new(x, "egress_allow", strv_json(egress));
    const struct stack_node *tcp = stack_node_get(svc, "egress_tcp_ports");
    if (tcp) {
        if (tcp->kind != STACK_NODE_SEQ)
            return type_error(t, tcp, path, "an array of port numbers");
        json_t *a = json_array();
        json_object_set_new(x, "egress_tcp_ports", a);
        for (size_t k = 0; k < tcp->n; k++) {
            if (tcp->items[k]->kind != STACK_NODE_INT || tcp->items[k]->i < 1 ||
                tcp->items[k]->i > 65535)
                return type_error(t, tcp->items[k], path, "a port number (1-65535)");
            json_array_append_new(a, json_integer(tcp->items[k]->i));
        }
    }
    if (ports) {
        json_t *a = json_array();
        json_object_set_new(s, "ports", a);
        for (size_t k = 0; k < ports->n; k++) {
            unsigned h, c;
            char extra;
            if (sscanf(ports->items[k]->str, "%u:%u%c", &h, &c, &extra) != 2 || h < 1 ||
                h > 65535 || c < 1 || c > 65535)
                return invalid(t,
                               "Service '%s': port_forwards entry \"%s\" must be "
                               "\"HOST:CONTAINER\"",
                               sname, ports->items[k]->str);
            char pub[16];
            snprintf(pub, sizeof(pub), "%u", h);
            json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s}", "target", (json_int_t)c,
                                               "published", pub, "protocol", "tcp", "mode",
                                               "ingress"));
        }
    }
    const struct stack_node *env = stack_node_get(svc, "environment");
    if (env) {
        if (env->kind != STACK_NODE_MAP)
            return type_error(t, env, path, "a table (environment)");
        json_t *e = json_object();
        json_object_set_new(s, "environment", e);
        for (size_t k = 0; k < env->n; k++) {
            if (env->items[k]->kind != STACK_NODE_STRING)
                return type_error(t, env->items[k], path, "a string (environment value)");
            json_object_set_new(e, env->keys[k], json_string(env->items[k]->str));
        }
    }
    if (secrets) {
        json_t *a = json_array();
        json_object_set_new(s, "secrets", a);
        json_t *top = json_object_get(doc, "secrets");
        for (size_t k = 0; k < secrets->n; k++) {
            const char *spec = secrets->items[k]->str;
            const char *colon = strchr(spec, ':');
            if (colon == NULL || colon == spec || colon[1] == '\0')
                return invalid(t, "Service '%s': secret \"%s\" must be \"source:dest\"", sname,
                               spec);
            cleanup_free char *src = strndup(spec, (size_t)(colon - spec));
            cleanup_free char *file = abs_path(t, src);
            cleanup_free char *base = strdup(strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
            if (!json_object_get(top, base))
                json_object_set_new(top, base, json_pack("{s:s,s:s}", "name", base, "file", file));
            const char *dest = colon + 1;
            char *target = NULL;
            if (asprintf(&target, "%s%s", dest[0] == '/' ? "" : "/run/secrets/", dest) < 0)
                abort();
            json_array_append_new(
                a, json_pack("{s:s,s:s,s:i}", "source", base, "target", target, "mode", 0400));
            free(target);
        }
    }
    if (dns)
        json_object_set_new(s, "dns", strv_json(dns));
    if (runtime) {
        if (strcmp(runtime, "native") && strcmp(runtime, "vm"))
            return invalid(t, "Service '%s': runtime must be \"native\" or \"vm\", not \"%s\"",
                           sname, runtime);
        json_object_set_new(x, "runtime", json_string(runtime));
    }
    const struct stack_node *hooks = stack_node_get(svc, "hooks");
    if (hooks) {
        if (hooks->kind != STACK_NODE_MAP)
            return type_error(t, hooks, path, "a table (OCI hooks)");
        json_object_set_new(x, "hooks", json_string("(OCI hooks)"));
    }
    return 0;
}

int stack_topology_to_doc(const struct stack_node *root, const char *file, const char *project,
                          const char *project_dir, json_t **out, hull_err **err)
{
    struct topo t = {.file = file, .project_dir = project_dir, .err = err};
    static const char *const known[] = {"name", "networks", "volumes", "services", NULL};
    if (validate(&t, root) < 0)
        return -1;
    warn_unknown(&t, root, "", known);
    if (project == NULL)
        project = stack_node_get(root, "name")->str;
    json_t *doc = json_pack("{s:s,s:{},s:{},s:{},s:{},s:{}}", "name", project, "services",
                            "networks", "volumes", "secrets", "configs");
    if (convert_networks(&t, stack_node_get(root, "networks"), project,
                         json_object_get(doc, "networks")) < 0 ||
        convert_volumes(&t, stack_node_get(root, "volumes"), project,
                        json_object_get(doc, "volumes")) < 0) {
        json_decref(doc);
        return -1;
    }
    const struct stack_node *services = services_of(root);
    for (size_t i = 0; i < services->n; i++) {
        json_t *svc = NULL;
        int rc = convert_service(&t, services->keys[i], services->items[i], doc, &svc);
        json_object_set_new(json_object_get(doc, "services"), services->keys[i], svc);
        if (rc < 0) {
            json_decref(doc);
            return -1;
        }
    }
    *out = doc;
    return 0;
}
