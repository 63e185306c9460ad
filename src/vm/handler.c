/* The container process of a vm-handled container: sync with the runtime, wait for `start`,
 * run the VM, exit with the program's code. See handler.h. */
#include "vm/handler.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runtime/sync.h"
#include "util/log.h"
#include "vm/sizing.h"

static const char *annotation(const struct hull_config *cfg, const char *key)
{
    json_t *v = cfg->annotations ? json_object_get(cfg->annotations, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

bool vm_handler_selected(const struct hull_config *cfg, bool forced)
{
    const char *h = annotation(cfg, VM_HANDLER_ANNOTATION);
    return forced || (h != NULL && strcmp(h, VM_HANDLER_NAME) == 0);
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
        .stdout_fd = STDOUT_FILENO,
        .stderr_fd = STDERR_FILENO,
    };
    if (vm_size_resolve(&hints, &spec->cpus, &spec->memory_mib, err) < 0)
        return hull_error_prefix(err, "config.json");
    return 0;
}

static __attribute__((noreturn)) void fail(struct init_args *a, hull_err *e)
{
    sync_send_error(a->sync_fd, e);
    _exit(1);
}

void vm_handler_init(struct init_args *a)
{
    hull_err *err = NULL;
    /* the state directory's flock belongs to the runtime, not to us (see runtime_init) */
    if (a->state_dir_fd >= 0)
        close(a->state_dir_fd);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    struct vm_spec spec;
    if (sync_expect(a->sync_fd, SYNC_GO, &err) < 0 ||
        sync_expect(a->sync_fd, SYNC_CGROUPS_JOINED, &err) < 0)
        _exit(1);
    if (vm_handler_spec(a->cfg, &spec, &err) < 0)
        fail(a, err);
    /* fail at `create`, not after `start`, when the VM could not run at all */
    if (vm_preflight(&spec, &err) < 0)
        fail(a, err);
    runtime_init_ready_and_wait_start(a);

    /* Signals vm_run forwards stay blocked across the switch: a `kill` that came between
     * create and start is then delivered to the guest program instead of killing the launcher. */
    sigset_t mask = a->saved_sigmask;
    int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaddset(&mask, forwarded[i]);
    sigprocmask(SIG_SETMASK, &mask, NULL);
    int code = 0;
    if (vm_run(&spec, &code, NULL, NULL, &err) < 0) {
        dprintf(STDERR_FILENO, "%s: vm: %s\n", hull_log_program(), err->msg);
        _exit(err->exit_code ? err->exit_code : 1);
    }
    _exit(code);
}
