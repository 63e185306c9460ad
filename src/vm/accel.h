/* Choosing the accelerator (KVM only where it can boot a stock kernel, else TCG) and the
 * host facts TCG guests need. */
#ifndef HULL_VM_ACCEL_H
#define HULL_VM_ACCEL_H

#include <stdbool.h>

#include "util/error.h"
#include "vm/vm.h"

/* True when the CPU advertises vmx or svm and /dev/kvm answers KVM_GET_API_VERSION. A /dev/kvm
 * without vmx/svm (PVM) cannot boot stock kernels, so it does not count. */
bool vm_kvm_usable(void);

/* "kvm" or "tcg" for `want`; forcing kvm where it is unusable fails with VM_EXIT_START. */
int vm_accel_resolve(enum vm_accel want, const char **name, hull_err **err);

/* Parse "auto", "kvm", "tcg". Returns -1 for anything else. */
int vm_accel_parse(const char *s, enum vm_accel *out);

/* The host TSC frequency in kHz from /proc/cpuinfo, 0 when unknown. Under TCG the guest TSC
 * runs at the host rate. */
unsigned long vm_host_tsc_khz(void);

/* Pure parsers behind the two functions above (unit-tested). */
bool vm_cpuinfo_has_virt_flags(const char *cpuinfo);
unsigned long vm_cpuinfo_tsc_khz(const char *cpuinfo);

#endif
