/* The VM backend's public API: run one program from a container root filesystem inside a QEMU
 * microvm, with hull's static init as the guest's PID 1.
 *
 * vm_run() is the one-call form (krunclient). The split form serves the runtime handler:
 * vm_start() spawns qemu and returns at once; vm_wait() relays the program's output, forwards
 * signals read from a signalfd through the control channel and returns the program's exit code;
 * vm_signal() asks the guest to deliver a signal; vm_destroy() kills whatever is left.
 *
 * Failures carry a documented exit code in hull_err.exit_code (the VM_EXIT_* values below),
 * so command-line front ends can fail fast with distinct codes. */
#ifndef HULL_VM_VM_H
#define HULL_VM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* Exit codes of launcher failures (documented in docs/vm.md). Program exit codes pass through
 * unchanged; 126/127 mean the program could not be executed inside the guest. */
#define VM_EXIT_USAGE     2  /* bad arguments */
#define VM_EXIT_ROOTFS    66 /* root filesystem missing or unusable */
#define VM_EXIT_START     69 /* the VM could not start: qemu, kernel, accelerator, guest init */
#define VM_EXIT_LOST      70 /* the VM died after the program started, without an exit code */
#define VM_EXIT_PORT_BUSY 98 /* a host port to forward is already in use */

enum vm_accel { VM_ACCEL_AUTO = 0, VM_ACCEL_KVM, VM_ACCEL_TCG };

struct vm_port_forward {
    uint16_t host_port;  /* on 127.0.0.1 */
    uint16_t guest_port; /* TCP port inside the guest */
};

struct vm_spec {
    const char *rootfs; /* host directory, shared read-only (9p) under a tmpfs overlay */
    /* A host directory shared read-write (9p) and mounted at workspace_path in the guest, so
     * that what the program writes there reaches the host (hull sandbox --isolation vm); NULL:
     * none. Files the guest creates belong to qemu's user on the host. */
    const char *workspace, *workspace_path;
    char *const *argv;    /* NULL-terminated, argv[0] looked up in the guest's PATH */
    char *const *env;     /* NULL-terminated KEY=VALUE */
    const char *cwd;      /* NULL: "/" */
    char *const *hosts;   /* extra /etc/hosts lines, NULL-terminated or NULL */
    const char *hostname; /* NULL: kernel default */
    unsigned uid, gid;    /* identity of the program inside the guest (default root) */
    unsigned cpus;        /* 0: 1 */
    unsigned memory_mib;  /* 0: 512 */
    const struct vm_port_forward *ports;
    size_t n_ports;
    bool network; /* QEMU user networking (implied by ports) */
    enum vm_accel accel;
    const char *qemu;        /* NULL: qemu-system-x86_64 from PATH */
    const char *kernel;      /* NULL: vm_default_guest_file("vmlinux") */
    const char *initramfs;   /* NULL: vm_default_guest_file("initramfs.cpio") */
    const char *console_log; /* NULL: the guest kernel console is discarded */
    const char *kernel_args; /* appended to the guest kernel command line, may be NULL */
    int stdout_fd;           /* where the program's stdout goes; -1: discarded */
    int stderr_fd;
    unsigned stop_timeout_s; /* after a forwarded signal, SIGKILL the program after this; 0: 10 */
    unsigned boot_timeout_s; /* no "started" by then: give up; 0: 120 */
};

#define VM_GUEST_TIMES_MAX 160

/* Monotonic timestamps (seconds) of one VM's life, for benchmarks; 0 = did not happen. */
struct vm_times {
    double spawned; /* qemu forked */
    double started; /* the program's execve() succeeded in the guest */
    double exited;  /* the guest reported the exit code */
    double stopped; /* qemu exited */
    /* CPU seconds (user + system) qemu had used when the program started: under TCG the boot's
     * cost independent of how busy the host is; -1 if unknown */
    double qemu_cpu_started;
    /* the guest init's phases, guest clock: "init=MS modules=MS ... exec=MS" ("" if none) */
    char guest[VM_GUEST_TIMES_MAX];
};

struct vm;

int vm_start(const struct vm_spec *spec, struct vm **out, hull_err **err);
/* signal_fd: a signalfd whose signals are forwarded to the program (-1: none). */
int vm_wait(struct vm *vm, int signal_fd, int *exit_code, hull_err **err);
int vm_signal(struct vm *vm, int sig, hull_err **err);
pid_t vm_qemu_pid(const struct vm *vm);
const char *vm_accel_name(const struct vm *vm);
void vm_get_times(const struct vm *vm, struct vm_times *times);
void vm_destroy(struct vm *vm);

/* Start, forward SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 while waiting, destroy. The caller's
 * signal mask is restored on return. `times` and `accel` (static string) may be NULL. */
int vm_run(const struct vm_spec *spec, int *exit_code, struct vm_times *times, const char **accel,
           hull_err **err);

/* Everything vm_start() checks before spawning (root, program, kernel, initramfs, free ports,
 * accelerator) plus the qemu binary, without starting anything: for fail-fast front ends. */
int vm_preflight(const struct vm_spec *spec, hull_err **err);

/* Check that `path` (absolute, in the guest's view) exists inside `rootfs`, resolving symlinks
 * inside the root as the guest will. Fails with VM_EXIT_ROOTFS. */
int vm_rootfs_check_program(const char *rootfs, const char *path, hull_err **err);

/* Where the guest kernel and initramfs are: $HULL_VM_GUEST_DIR, then next to the running
 * binary in the build tree (src/vm/guest/), then the install directory. malloc'd path. */
char *vm_default_guest_file(const char *name);

#endif
