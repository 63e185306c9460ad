/* Unit tests of the qemu command line builder (src/vm/qemu_cmdline.c). */
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "vm/qemu_cmdline.h"
#include "check.h"

static int has_pair(char **argv, const char *opt, const char *value)
{
    for (size_t i = 0; argv[i] && argv[i + 1]; i++)
        if (strcmp(argv[i], opt) == 0 && strcmp(argv[i + 1], value) == 0)
            return 1;
    return 0;
}

static int has_arg_containing(char **argv, const char *needle)
{
    for (size_t i = 0; argv[i]; i++)
        if (strstr(argv[i], needle))
            return 1;
    return 0;
}

static struct vm_qemu_plan base_plan(void)
{
    return (struct vm_qemu_plan){.qemu = "qemu-system-x86_64",
                                 .kernel = "/k/vmlinux",
                                 .initramfs = "/k/initramfs.cpio",
                                 .rootfs = "/srv/root",
                                 .accel = "tcg",
                                 .cpus = 1,
                                 .memory_mib = 512,
                                 .tsc_khz = 2445426,
                                 .fd_control = 10,
                                 .fd_stdout = 11,
                                 .fd_stderr = 12,
                                 .fd_config = 13};
}

static void test_tcg_plan(void)
{
    struct vm_qemu_plan plan = base_plan();
    struct vm_port_forward ports[] = {{8080, 80}, {2222, 22}};
    plan.ports = ports;
    plan.n_ports = 2;
    cleanup_strv char **argv = NULL;
    cleanup_err hull_err *err = NULL;
    CHECK(vm_qemu_argv(&plan, &argv, &err) == 0);
    CHECK(strcmp(argv[0], "qemu-system-x86_64") == 0);
    CHECK(has_pair(argv, "-M", "microvm,acpi=on,x-option-roms=off,isa-serial=off"));
    CHECK(has_pair(argv, "-accel", "tcg,tb-size=16"));
    CHECK(has_pair(argv, "-cpu", "max"));
    CHECK(has_pair(argv, "-smp", "1"));
    CHECK(has_pair(argv, "-m", "512"));
    CHECK(has_pair(argv, "-kernel", "/k/vmlinux"));
    CHECK(has_pair(argv, "-initrd", "/k/initramfs.cpio"));
    CHECK(has_pair(argv, "-append",
                   "quiet panic=-1 reboot=t cryptomgr.notests "
                   "initcall_blacklist=init_kprobe_trace,tracer_init_tracefs "
                   "tsc_early_khz=2445426 tsc=reliable"));
    CHECK(has_pair(argv, "-chardev", "socket,id=ctl,fd=10"));
    CHECK(has_pair(argv, "-device", "virtserialport,chardev=ctl,name=hull.ctl"));
    CHECK(has_pair(argv, "-chardev", "socket,id=out,fd=11"));
    CHECK(has_pair(argv, "-chardev", "socket,id=err,fd=12"));
    CHECK(has_pair(argv, "-fsdev",
                   "local,id=root,path=/srv/root,security_model=none,readonly=on,multidevs=remap"));
    CHECK(has_pair(argv, "-netdev",
                   "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,"
                   "hostfwd=tcp:127.0.0.1:2222-:22"));
    CHECK(has_pair(argv, "-fw_cfg", "name=opt/hull/config,file=/proc/self/fd/13"));
    CHECK(has_pair(argv, "-device", "virtio-balloon-device,free-page-reporting=on"));
    CHECK(!has_arg_containing(argv, "console=ttyS0"));
}

static void test_kvm_console_and_no_network(void)
{
    struct vm_qemu_plan plan = base_plan();
    plan.accel = "kvm";
    plan.console_log = "/tmp/con,sole.log";
    plan.rootfs = "/a,b";
    cleanup_strv char **argv = NULL;
    cleanup_err hull_err *err = NULL;
    CHECK(vm_qemu_argv(&plan, &argv, &err) == 0);
    CHECK(has_pair(argv, "-cpu", "host"));
    CHECK(has_pair(argv, "-accel", "kvm")); /* no translation cache under KVM */
    CHECK(has_pair(argv, "-M", "microvm,acpi=on,x-option-roms=off,isa-serial=on"));
    CHECK(has_pair(argv, "-chardev", "file,id=console,path=/tmp/con,,sole.log"));
    CHECK(has_pair(argv, "-append",
                   "console=ttyS0 panic=-1 reboot=t cryptomgr.notests "
                   "initcall_blacklist=init_kprobe_trace,tracer_init_tracefs")); /* no TSC */
    CHECK(has_pair(argv, "-fsdev",
                   "local,id=root,path=/a,,b,security_model=none,readonly=on,multidevs=remap"));
    CHECK(!has_arg_containing(argv, "netdev"));
}

static void test_tb_size(void)
{
    CHECK(vm_qemu_tb_size_mib(0) == 16);
    CHECK(vm_qemu_tb_size_mib(1) == 16);
    CHECK(vm_qemu_tb_size_mib(4) == 64);
    CHECK(vm_qemu_tb_size_mib(64) == 256);
}

static void test_workspace_share(void)
{
    struct vm_qemu_plan plan = base_plan();
    cleanup_strv char **argv = NULL;
    cleanup_err hull_err *err = NULL;
    CHECK(vm_qemu_argv(&plan, &argv, &err) == 0);
    CHECK(!has_arg_containing(argv, "hullws"));
    hull_strvfree(argv);
    argv = NULL;
    plan.workspace = "/run/ws";
    CHECK(vm_qemu_argv(&plan, &argv, &err) == 0);
    CHECK(has_pair(argv, "-fsdev", "local,id=ws,path=/run/ws,security_model=none,multidevs=remap"));
    CHECK(has_pair(argv, "-device", "virtio-9p-device,fsdev=ws,mount_tag=hullws"));
}

/* A kernel that takes its virtio-mmio devices from the command line boots without ACPI. */
static void test_mmio_cmdline_kernel_without_acpi(void)
{
    static const char builtin[] = "\177ELF\0\0virtio_mmio.device\0more";
    static const char module[] = "\177ELF\0\0virtio_mmio\0device\0";
    CHECK(vm_kernel_takes_mmio_cmdline(builtin, sizeof(builtin) - 1));
    CHECK(!vm_kernel_takes_mmio_cmdline(module, sizeof(module) - 1));
    CHECK(!vm_kernel_takes_mmio_cmdline(builtin, 8)); /* the name cut off at the end */
    CHECK(!vm_kernel_takes_mmio_cmdline(NULL, 0));
    struct vm_qemu_plan plan = base_plan();
    plan.mmio_cmdline = true;
    cleanup_strv char **argv = NULL;
    cleanup_err hull_err *err = NULL;
    CHECK(vm_qemu_argv(&plan, &argv, &err) == 0);
    CHECK(has_pair(argv, "-M", "microvm,acpi=off,x-option-roms=off,isa-serial=off"));
}

static void test_escape(void)
{
    char *s = vm_qemu_escape(",a,,b,");
    CHECK(strcmp(s, ",,a,,,,b,,") == 0);
    free(s);
    s = vm_qemu_escape("");
    CHECK(strcmp(s, "") == 0);
    free(s);
}

int main(void)
{
    test_tcg_plan();
    test_kvm_console_and_no_network();
    test_tb_size();
    test_workspace_share();
    test_mmio_cmdline_kernel_without_acpi();
    test_escape();
    TEST_EXIT();
}
