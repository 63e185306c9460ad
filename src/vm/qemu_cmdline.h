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
    bool mmio_cmdline; /* the kernel finds virtio-mmio devices on its command line: no ACPI */
    int fd_control, fd_stdout, fd_stderr; /* connected unix sockets, inherited by qemu */
    int fd_config;                        /* memfd with the encoded vm_guest_config */
};

/* TCG translation cache per vCPU, MiB (qemu's default is 1 GiB, used as it fills). */
#define VM_TCG_TB_MIB 16

/* Guest initcalls skipped: the tracefs files (no one traces inside a hull guest). */
#define VM_KERNEL_INITCALL_BLACKLIST "initcall_blacklist=init_kprobe_trace,tracer_init_tracefs"

/* True when the kernel image has virtio_mmio built in with its `device=` parameter (a built-in
 * parameter's name is stored whole in the image, a module's is not): such a kernel finds the
 * microvm's devices on its command line and boots without ACPI (plan.mmio_cmdline). */
bool vm_kernel_takes_mmio_cmdline(const void *image, size_t len);

/* The -accel tcg,tb-size= value for `cpus` vCPUs (each MTTCG thread gets a region of it). */
unsigned vm_qemu_tb_size_mib(unsigned cpus);

/* A NULL-terminated, malloc'd argv (free with hull_strvfree). */
int vm_qemu_argv(const struct vm_qemu_plan *plan, char ***argv, hull_err **err);

/* Escape a value for qemu's option syntax (`,` doubles). malloc'd; NULL on ENOMEM. */
char *vm_qemu_escape(const char *value);

#endif
