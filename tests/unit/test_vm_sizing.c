/* Unit tests of VM sizing from annotations and linux.resources (src/vm/sizing.c). */
#include "vm/sizing.h"
#include "vm/vm.h"
#include "check.h"

static void test_parse_memory(void)
{
    unsigned m = 0;
    CHECK(vm_parse_memory_mib("512", &m) == 0 && m == 512);
    CHECK(vm_parse_memory_mib("512M", &m) == 0 && m == 512);
    CHECK(vm_parse_memory_mib("512Mi", &m) == 0 && m == 512);
    CHECK(vm_parse_memory_mib("2G", &m) == 0 && m == 2048);
    CHECK(vm_parse_memory_mib("2GiB", &m) == 0 && m == 2048);
    CHECK(vm_parse_memory_mib("1025k", &m) == 0 && m == 2); /* rounded up */
    CHECK(vm_parse_memory_mib("", &m) < 0);
    CHECK(vm_parse_memory_mib("-1", &m) < 0);
    CHECK(vm_parse_memory_mib("12X", &m) < 0);
    CHECK(vm_parse_memory_mib("12Mx", &m) < 0);
    CHECK(vm_parse_memory_mib("99999999999999999999", &m) < 0);
    CHECK(vm_parse_memory_mib("9999999G", &m) < 0);
}

static void test_cpuset_count(void)
{
    CHECK(vm_cpuset_count("0") == 1);
    CHECK(vm_cpuset_count("0-3,6") == 5);
    CHECK(vm_cpuset_count("1,3,5-6") == 4);
    CHECK(vm_cpuset_count("") < 0);
    CHECK(vm_cpuset_count("3-1") < 0);
    CHECK(vm_cpuset_count("a") < 0);
    CHECK(vm_cpuset_count("0-") < 0);
}

static void test_resolve_order(void)
{
    unsigned cpus, mib;
    hull_err *err = NULL;
    struct vm_size_hints none = {0};
    CHECK(vm_size_resolve(&none, &cpus, &mib, &err) == 0 && cpus == 1 && mib == 512);

    struct vm_size_hints res = {.cpu_quota = 150000,
                                .cpu_period = 100000,
                                .memory_limit = 256LL << 20,
                                .cpuset_cpus = "0-7"};
    CHECK(vm_size_resolve(&res, &cpus, &mib, &err) == 0 && cpus == 2 && mib == 256);

    struct vm_size_hints cpuset = {.cpuset_cpus = "0-3", .memory_limit = 1};
    CHECK(vm_size_resolve(&cpuset, &cpus, &mib, &err) == 0 && cpus == 4);
    CHECK(mib == VM_MIN_MEMORY_MIB); /* clamped */

    struct vm_size_hints ann = {.annotation_cpus = "3",
                                .annotation_memory = "1G",
                                .cpu_quota = 100000,
                                .memory_limit = 128LL << 20};
    CHECK(vm_size_resolve(&ann, &cpus, &mib, &err) == 0 && cpus == 3 && mib == 1024);
}

static void test_invalid_annotations(void)
{
    unsigned cpus, mib;
    hull_err *err = NULL;
    const char *bad_cpus[] = {"0", "-1", "two", "65", "1.5", ""};
    for (unsigned i = 0; i < sizeof(bad_cpus) / sizeof(bad_cpus[0]); i++) {
        struct vm_size_hints h = {.annotation_cpus = bad_cpus[i]};
        CHECK(vm_size_resolve(&h, &cpus, &mib, &err) < 0);
        CHECK(err != NULL && err->exit_code == VM_EXIT_USAGE);
    }
    struct vm_size_hints h = {.annotation_memory = "16M"}; /* below the minimum */
    CHECK(vm_size_resolve(&h, &cpus, &mib, &err) < 0);
    hull_err_free(err);
}

int main(void)
{
    test_parse_memory();
    test_cpuset_count();
    test_resolve_order();
    test_invalid_annotations();
    TEST_EXIT();
}
