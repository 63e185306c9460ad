/* The qemu command line of a hull microVM, built from resolved decisions (no syscalls here, so
 * unit tests can check it line by line). */
#ifndef HULL_VM_QEMU_CMDLINE_H
#define HULL_VM_QEMU_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"
#include "vm/vm.h"

struct vm_qemu_plan {
    const char *qemu, *kernel, *initramfs, *rootfs;
    const char *workspace;   /* host directory shared read-write as VM_WORKSPACE_TAG, or NULL */
    const char *console_log; /* NULL: no serial console at all (faster boots) */
    const char *accel;       /* "kvm" or "tcg" */
    unsigned cpus, memory_mib;
    unsigned long tsc_khz;   /* TCG only: tsc_early_khz=, 0 = omit */
    const char *kernel_args; /* extra guest kernel arguments, may be NULL */
    const struct vm_port_forward *ports;
    size_t n_ports;
    bool network;
    int fd_control, fd_stdout, fd_stderr; /* connected unix sockets, inherited by qemu */
    int fd_config;                        /* memfd with the encoded vm_guest_config */
};

/* A NULL-terminated, malloc'd argv (free with hull_strvfree). */
int vm_qemu_argv(const struct vm_qemu_plan *plan, char ***argv, hull_err **err);

/* Escape a value for qemu's option syntax (`,` doubles). malloc'd; NULL on ENOMEM. */
char *vm_qemu_escape(const char *value);

#endif
