/* The `vm` custom handler: what the container process of a vm-handled container does instead
 * of building a container. See handler.h. */
#include "vm/handler.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "util/log.h"
#include "vm/sizing.h"

static const char *annotation(const struct hull_config *cfg, const char *key)
{
    json_t *v = cfg->annotations ? json_object_get(cfg->annotations, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_int_t resource_int(json_t *resources, const char *section, const char *key)
{
    json_t *v = json_object_get(json_object_get(resources, section), key);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

int vm_handler_spec(const struct hull_config *cfg, struct vm_spec *spec, hull_err **err)
{
    json_t *res = cfg->resources;
    json_t *cpuset = json_object_get(json_object_get(res, "cpu"), "cpus");
    struct vm_size_hints hints = {
        .annotation_cpus = annotation(cfg, "run.hull.vm.cpus"),
        .annotation_memory = annotation(cfg, "run.hull.vm.memory"),
        .cpu_quota = resource_int(res, "cpu", "quota"),
        .cpu_period = (uint64_t)resource_int(res, "cpu", "period"),
        .cpuset_cpus = json_is_string(cpuset) ? json_string_value(cpuset) : NULL,
        .memory_limit = resource_int(res, "memory", "limit"),
    };
    if (!cfg->has_process || cfg->process.args == NULL || cfg->process.args[0] == NULL)
        return hull_error(err, EINVAL, "config.json: process.args: required by the vm handler");
    *spec = (struct vm_spec){
        .rootfs = cfg->root_path,
        .argv = cfg->process.args,
        .env = cfg->process.env,
        .cwd = cfg->process.cwd,
        .hostname = cfg->hostname,
        .uid = cfg->process.uid,
        .gid = cfg->process.gid,
        /* a fresh network namespace means "no network": the guest gets only loopback */
        .network = (cfg->clone_flags & CLONE_NEWNET) == 0,
        .workspace = annotation(cfg, "run.hull.vm.workspace"),
        .workspace_path = annotation(cfg, "run.hull.vm.workspace-path"),
        .stdout_fd = STDOUT_FILENO,
        .stderr_fd = STDERR_FILENO,
    };
    if (vm_size_resolve(&hints, &spec->cpus, &spec->memory_mib, err) < 0)
        return hull_error_prefix(err, "config.json");
    return 0;
}

static unsigned long no_namespaces(const struct hull_config *cfg)
{
    (void)cfg;
    return 0;
}

/* Fail at `create`, not after `start`, when the VM could not run at all. */
static int prepare(const struct hull_config *cfg, hull_err **err)
{
    struct vm_spec spec;
    if (vm_handler_spec(cfg, &spec, err) < 0)
        return -1;
    return vm_preflight(&spec, err);
}

static __attribute__((noreturn)) void run(const struct hull_config *cfg, const sigset_t *sigmask)
{
    hull_err *err = NULL;
    struct vm_spec spec;
    /* Signals vm_run forwards stay blocked across the switch: a `kill` that came between
     * create and start is then delivered to the guest program instead of killing the launcher. */
    sigset_t mask = *sigmask;
    int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaddset(&mask, forwarded[i]);
    sigprocmask(SIG_SETMASK, &mask, NULL);
    int code = 0;
    if (vm_handler_spec(cfg, &spec, &err) < 0 || vm_run(&spec, &code, NULL, NULL, &err) < 0) {
        dprintf(STDERR_FILENO, "%s: vm: %s\n", hull_log_program(), err->msg);
        _exit(err->exit_code ? err->exit_code : 1);
    }
    _exit(code);
}

const struct runtime_handler vm_runtime_handler = {
    .name = VM_HANDLER_NAME,
    .clone_flags = no_namespaces,
    .prepare = prepare,
    .run = run,
};
