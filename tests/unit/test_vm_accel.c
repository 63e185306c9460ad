/* Unit tests of accelerator selection helpers (src/vm/accel.c). */
#include <string.h>

#include "vm/accel.h"
#include "check.h"

static void test_virt_flags(void)
{
    CHECK(vm_cpuinfo_has_virt_flags("processor\t: 0\nflags\t\t: fpu vme vmx sse\n"));
    CHECK(vm_cpuinfo_has_virt_flags("flags\t\t: fpu svm\n"));
    CHECK(!vm_cpuinfo_has_virt_flags("flags\t\t: fpu vmxx svmsomething sse\n"));
    CHECK(!vm_cpuinfo_has_virt_flags("flags\t\t: fpu sse\nbugs\t\t: vmx\n"));
    CHECK(!vm_cpuinfo_has_virt_flags(""));
}

static void test_tsc_khz(void)
{
    CHECK(vm_cpuinfo_tsc_khz("model name\t: AMD EPYC\ncpu MHz\t\t: 2445.426\n") == 2445426);
    CHECK(vm_cpuinfo_tsc_khz("cpu MHz\t\t: 3000\n") == 3000000);
    CHECK(vm_cpuinfo_tsc_khz("cpu MHz\t\t: garbage\n") == 0);
    CHECK(vm_cpuinfo_tsc_khz("no such line\n") == 0);
}

static void test_parse_and_resolve(void)
{
    enum vm_accel a;
    CHECK(vm_accel_parse("auto", &a) == 0 && a == VM_ACCEL_AUTO);
    CHECK(vm_accel_parse("kvm", &a) == 0 && a == VM_ACCEL_KVM);
    CHECK(vm_accel_parse("tcg", &a) == 0 && a == VM_ACCEL_TCG);
    CHECK(vm_accel_parse("xen", &a) < 0);
    const char *name = NULL;
    hull_err *err = NULL;
    CHECK(vm_accel_resolve(VM_ACCEL_TCG, &name, &err) == 0 && strcmp(name, "tcg") == 0);
    CHECK(vm_accel_resolve(VM_ACCEL_AUTO, &name, &err) == 0);
    CHECK(strcmp(name, vm_kvm_usable() ? "kvm" : "tcg") == 0);
    hull_err_free(err);
}

int main(void)
{
    test_virt_flags();
    test_tsc_khz();
    test_parse_and_resolve();
    TEST_EXIT();
}
