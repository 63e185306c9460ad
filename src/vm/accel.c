/* Accelerator detection and host TSC frequency for the VM launcher. */
#include "vm/accel.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

static bool has_word(const char *line, size_t len, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = line; p + wl <= line + len; p++) {
        bool start = p == line || p[-1] == ' ' || p[-1] == '\t';
        bool end = p + wl == line + len || p[wl] == ' ' || p[wl] == '\n';
        if (start && end && memcmp(p, word, wl) == 0)
            return true;
    }
    return false;
}

bool vm_cpuinfo_has_virt_flags(const char *cpuinfo)
{
    const char *line = cpuinfo;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (strncmp(line, "flags", 5) == 0)
            return has_word(line, len, "vmx") || has_word(line, len, "svm");
        line = nl ? nl + 1 : NULL;
    }
    return false;
}

unsigned long vm_cpuinfo_tsc_khz(const char *cpuinfo)
{
    const char *p = strstr(cpuinfo, "cpu MHz");
    if (p == NULL || (p = strchr(p, ':')) == NULL)
        return 0;
    char *end;
    double mhz = strtod(p + 1, &end);
    if (end == p + 1 || mhz <= 0 || mhz > 100000)
        return 0;
    return (unsigned long)(mhz * 1000.0 + 0.5);
}

static char *read_cpuinfo(void)
{
    char *buf = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    if (fs_read_file("/proc/cpuinfo", 0, &buf, &len, &e) < 0)
        return NULL;
    return buf;
}

bool vm_kvm_usable(void)
{
    cleanup_free char *cpuinfo = read_cpuinfo();
    if (cpuinfo == NULL || !vm_cpuinfo_has_virt_flags(cpuinfo))
        return false;
    cleanup_close int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    return fd >= 0 && ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
}

int vm_accel_parse(const char *s, enum vm_accel *out)
{
    if (strcmp(s, "auto") == 0)
        *out = VM_ACCEL_AUTO;
    else if (strcmp(s, "kvm") == 0)
        *out = VM_ACCEL_KVM;
    else if (strcmp(s, "tcg") == 0)
        *out = VM_ACCEL_TCG;
    else
        return -1;
    return 0;
}

int vm_accel_resolve(enum vm_accel want, const char **name, hull_err **err)
{
    switch (want) {
    case VM_ACCEL_TCG:
        *name = "tcg";
        return 0;
    case VM_ACCEL_KVM:
        if (access("/dev/kvm", R_OK | W_OK) < 0) {
            hull_error(err, errno, "accelerator kvm requested but /dev/kvm is not usable");
            (*err)->exit_code = VM_EXIT_START;
            return -1;
        }
        *name = "kvm";
        return 0;
    case VM_ACCEL_AUTO:
    default:
        *name = vm_kvm_usable() ? "kvm" : "tcg";
        return 0;
    }
}

unsigned long vm_host_tsc_khz(void)
{
    cleanup_free char *cpuinfo = read_cpuinfo();
    return cpuinfo ? vm_cpuinfo_tsc_khz(cpuinfo) : 0;
}
