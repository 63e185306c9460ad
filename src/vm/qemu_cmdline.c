/* Builds the qemu microvm command line. Why each choice:
 *  - microvm with ACPI on: the guest finds the virtio-mmio devices through ACPI tables; with ACPI
 *    off when the kernel can read them from its command line (virtio_mmio.device=, which qemu
 *    then adds): hull's minimal guest kernel has no ACPI, and skips its interpreter at boot.
 *  - PVH boot of the ELF vmlinux, no option ROMs, no default devices: the fastest path to init.
 *  - -no-reboot: a guest reset ends qemu instead of rebooting (backup for ACPI power-off).
 *  - tsc_early_khz under TCG: without it the guest sometimes hangs calibrating the TSC. And
 *    tsc=reliable: TCG's TSC follows the host clock, but the kernel's clocksource watchdog checks
 *    it against jiffies (microvm has no HPET or ACPI PM timer), whose ticks an emulated guest
 *    on a busy host receives late: it then marks the TSC unstable and falls back to jiffies as
 *    the clock (10 ms resolution).
 *  - TCG translation cache of VM_TCG_TB_MIB per vCPU instead of qemu's 1 GiB default: a boot
 *    translates about 44 MiB of code, every byte of it stays resident; a smaller cache is
 *    flushed and refilled instead (docs/performance.md has the cost).
 *  - the tracefs initcalls are skipped: they create ~10k tracefs inodes (8 MiB of guest memory)
 *    for a tracing interface nobody mounts in the guest.
 *  - a virtio balloon that is never inflated, for free page reporting: the guest reports the
 *    memory it frees (the initramfs, boot-time allocations, whatever the program used and
 *    freed) and qemu gives those pages back to the host (the guest loads its driver once the
 *    program runs, so the boot does not wait for it).
 *  - every host-facing channel is an inherited fd (socketpairs, memfd), so no socket or
 *    temporary file exists in the filesystem to clean up or to race on. */
#include "vm/qemu_cmdline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "vm/guest_config.h"
#include "vm/protocol.h"

struct argv_builder {
    char **v;
    size_t n;
    bool failed;
};

static void add(struct argv_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct argv_builder *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    char **nv = r < 0 ? NULL : realloc(b->v, (b->n + 2) * sizeof(char *));
    if (nv == NULL) {
        free(r < 0 ? NULL : s);
        b->failed = true;
        return;
    }
    nv[b->n++] = s;
    nv[b->n] = NULL;
    b->v = nv;
}

bool vm_kernel_takes_mmio_cmdline(const void *image, size_t len)
{
    static const char param[] = "virtio_mmio.device";
    return image != NULL && memmem(image, len, param, sizeof(param) - 1) != NULL;
}

unsigned vm_qemu_tb_size_mib(unsigned cpus)
{
    unsigned n = cpus == 0 ? 1 : cpus > 16 ? 16 : cpus;
    return VM_TCG_TB_MIB * n;
}

char *vm_qemu_escape(const char *value)
{
    size_t n = strlen(value), commas = 0;
    for (const char *p = value; *p; p++)
        commas += *p == ',';
    char *out = malloc(n + commas + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const char *p = value; *p; p++) {
        *o++ = *p;
        if (*p == ',')
            *o++ = ',';
    }
    *o = '\0';
    return out;
}

static void add_serial_port(struct argv_builder *b, const char *id, int fd, const char *name)
{
    add(b, "-chardev");
    add(b, "socket,id=%s,fd=%d", id, fd);
    add(b, "-device");
    add(b, "virtserialport,chardev=%s,name=%s", id, name);
}

static void add_network(struct argv_builder *b, const struct vm_qemu_plan *plan)
{
    size_t cap = 64 + plan->n_ports * 48;
    cleanup_free char *netdev = malloc(cap);
    if (netdev == NULL) {
        b->failed = true;
        return;
    }
    size_t len = (size_t)snprintf(netdev, cap, "user,id=net0");
    for (size_t i = 0; i < plan->n_ports; i++)
        len += (size_t)snprintf(netdev + len, cap - len, ",hostfwd=tcp:127.0.0.1:%u-:%u",
                                plan->ports[i].host_port, plan->ports[i].guest_port);
    add(b, "-netdev");
    add(b, "%s", netdev);
    add(b, "-device");
    add(b, "virtio-net-device,netdev=net0");
}

int vm_qemu_argv(const struct vm_qemu_plan *plan, char ***argv, hull_err **err)
{
    cleanup_free char *rootfs = vm_qemu_escape(plan->rootfs);
    cleanup_free char *console = plan->console_log ? vm_qemu_escape(plan->console_log) : NULL;
    if (rootfs == NULL || (plan->console_log != NULL && console == NULL))
        return hull_error(err, ENOMEM, "build the qemu command line");
    struct argv_builder b = {0};
    add(&b, "%s", plan->qemu);
    add(&b, "-M");
    add(&b, "microvm,acpi=%s,x-option-roms=off,isa-serial=%s", plan->mmio_cmdline ? "off" : "on",
        console ? "on" : "off");
    add(&b, "-accel");
    if (strcmp(plan->accel, "tcg") == 0)
        add(&b, "tcg,tb-size=%u", vm_qemu_tb_size_mib(plan->cpus));
    else
        add(&b, "%s", plan->accel);
    add(&b, "-cpu");
    add(&b, "%s", strcmp(plan->accel, "kvm") == 0 ? "host" : "max");
    add(&b, "-smp");
    add(&b, "%u", plan->cpus);
    add(&b, "-m");
    add(&b, "%u", plan->memory_mib);
    add(&b, "-nodefaults");
    add(&b, "-no-user-config");
    add(&b, "-display");
    add(&b, "none");
    add(&b, "-no-reboot");
    if (console) {
        add(&b, "-chardev");
        add(&b, "file,id=console,path=%s", console);
        add(&b, "-serial");
        add(&b, "chardev:console");
    }
    add(&b, "-kernel");
    add(&b, "%s", plan->kernel);
    add(&b, "-initrd");
    add(&b, "%s", plan->initramfs);
    char tsc[64] = "";
    if (plan->tsc_khz != 0 && strcmp(plan->accel, "tcg") == 0)
        snprintf(tsc, sizeof(tsc), " tsc_early_khz=%lu tsc=reliable", plan->tsc_khz);
    add(&b, "-append");
    /* cryptomgr.notests: the crypto self-tests are a third of a TCG boot */
    add(&b, "%s panic=-1 reboot=t cryptomgr.notests %s%s%s%s", console ? "console=ttyS0" : "quiet",
        VM_KERNEL_INITCALL_BLACKLIST, tsc, plan->kernel_args ? " " : "",
        plan->kernel_args ? plan->kernel_args : "");
    add(&b, "-device");
    add(&b, "virtio-serial-device,max_ports=4");
    add_serial_port(&b, "ctl", plan->fd_control, VM_PORT_CONTROL);
    add_serial_port(&b, "out", plan->fd_stdout, VM_PORT_STDOUT);
    add_serial_port(&b, "err", plan->fd_stderr, VM_PORT_STDERR);
    /* multidevs=remap: the shared root spans several host file systems (/, /proc, /sys, ...)
     * whose inode numbers collide (proc's and sysfs's roots are both inode 1). Without it the
     * guest's 9p client sees those directories as one inode, so one dentry, and mounting sysfs on
     * /sys also covers /proc. */
    add(&b, "-fsdev");
    add(&b, "local,id=root,path=%s,security_model=none,readonly=on,multidevs=remap", rootfs);
    add(&b, "-device");
    add(&b, "virtio-9p-device,fsdev=root,mount_tag=%s", VM_ROOT_TAG);
    if (plan->workspace) {
        add(&b, "-fsdev");
        add(&b, "local,id=ws,path=%s,security_model=none,multidevs=remap", plan->workspace);
        add(&b, "-device");
        add(&b, "virtio-9p-device,fsdev=ws,mount_tag=%s", VM_WORKSPACE_TAG);
    }
    if (plan->network || plan->n_ports > 0)
        add_network(&b, plan);
    add(&b, "-device");
    add(&b, "virtio-balloon-device,free-page-reporting=on");
    add(&b, "-fw_cfg");
    add(&b, "name=%s,file=/proc/self/fd/%d", VM_GUEST_CONFIG_FW_CFG_NAME, plan->fd_config);
    if (b.failed) {
        hull_strvfree(b.v);
        return hull_error(err, ENOMEM, "build the qemu command line");
    }
    *argv = b.v;
    return 0;
}
