/* Device rules: the v1 semantics computed in user space, and the generated BPF program, which
 * is run here by a small interpreter of the instructions the generator uses and must agree with
 * cgroup_devices_allows() on every device and access combination. */
#include <linux/bpf.h>
#include <string.h>

#include "check.h"
#include "linux/cgroup/internal.h"

#define ALL (HULL_DEV_READ | HULL_DEV_WRITE | HULL_DEV_MKNOD)

static struct hull_device_rule rule(bool allow, char type, int64_t major, int64_t minor,
                                    unsigned access)
{
    return (struct hull_device_rule){allow, type, major, minor, access};
}

/* Interpret the subset bpf_devices_generate emits; returns r0, or -1 on anything unexpected
 * (a read of a register never written included). */
static int run_program(const struct bpf_insn *prog, size_t n, uint32_t ctx[3])
{
    uint64_t reg[11] = {0};
    unsigned written = 1u << 1; /* r1: the context */
#define SRC()                                                                                      \
    do {                                                                                           \
        if (!(written & (1u << i->src_reg)))                                                       \
            return -1;                                                                             \
    } while (0)
#define DST()                                                                                      \
    do {                                                                                           \
        if (!(written & (1u << i->dst_reg)))                                                       \
            return -1;                                                                             \
    } while (0)
    for (size_t pc = 0; pc < n; pc++) {
        const struct bpf_insn *i = &prog[pc];
        uint64_t *d = &reg[i->dst_reg];
        uint64_t s = (uint64_t)(int64_t)i->imm;
        if ((i->code & BPF_X) &&
            (BPF_CLASS(i->code) == BPF_ALU || BPF_CLASS(i->code) == BPF_ALU64)) {
            SRC();
            s = reg[i->src_reg];
        }
        switch (i->code) {
        case BPF_LDX | BPF_MEM | BPF_W:
            if (i->src_reg != 1 || i->off % 4 || i->off < 0 || i->off > 8)
                return -1;
            *d = ctx[i->off / 4];
            break;
        case BPF_LD | BPF_DW | BPF_IMM:
            if (pc + 1 >= n || i->src_reg != 0)
                return -1;
            *d = (uint32_t)i->imm | (uint64_t)(uint32_t)prog[pc + 1].imm << 32;
            pc++;
            break;
        case BPF_ALU | BPF_AND | BPF_K:
            DST();
            *d = (uint32_t)*d & (uint32_t)s;
            break;
        case BPF_ALU | BPF_XOR | BPF_K:
            DST();
            *d = (uint32_t)*d ^ (uint32_t)s;
            break;
        case BPF_ALU | BPF_RSH | BPF_K:
            DST();
            *d = (uint32_t)*d >> i->imm;
            break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
        case BPF_ALU64 | BPF_MOV | BPF_X:
            *d = s;
            break;
        case BPF_ALU64 | BPF_LSH | BPF_K:
            DST();
            *d <<= i->imm;
            break;
        case BPF_ALU64 | BPF_RSH | BPF_K:
            DST();
            *d >>= i->imm;
            break;
        case BPF_ALU64 | BPF_SUB | BPF_K:
            DST();
            *d -= s;
            break;
        case BPF_ALU64 | BPF_OR | BPF_X:
            DST();
            *d |= s;
            break;
        case BPF_ALU64 | BPF_AND | BPF_X:
            DST();
            *d &= s;
            break;
        case BPF_ALU64 | BPF_XOR | BPF_X:
        case BPF_ALU64 | BPF_XOR | BPF_K:
            DST();
            *d ^= s;
            break;
        case BPF_ALU64 | BPF_NEG:
            DST();
            *d = -*d;
            break;
        case BPF_JMP | BPF_EXIT:
            if (!(written & 1u))
                return -1;
            return reg[0] <= 1 ? (int)reg[0] : -1;
        default:
            return -1;
        }
        written |= 1u << i->dst_reg;
    }
#undef SRC
#undef DST
    return -1; /* fell off the end */
}

/* The program has no jumps: the kernel's verifier then walks it once. */
static void branch_free(const struct bpf_insn *prog, size_t n)
{
    for (size_t pc = 0; pc + 1 < n; pc++)
        CHECK(BPF_CLASS(prog[pc].code) != BPF_JMP && BPF_CLASS(prog[pc].code) != BPF_JMP32);
}

/* Every combination of type, a few majors/minors and access masks. */
static void agree_everywhere(const struct cgroup_device_policy *p)
{
    struct bpf_insn *prog = NULL;
    size_t n = 0;
    hull_err *err = NULL;
    CHECK(bpf_devices_generate(p, &prog, &n, &err) == 0);
    branch_free(prog, n);
    const int64_t majors[] = {0, 1, 5, 10, 136, 4000000000};
    const int64_t minors[] = {0, 1, 3, 5, 11, 200, 4000000000};
    const char types[] = {'c', 'b'};
    int mismatches = 0;
    for (size_t t = 0; t < 2; t++)
        for (size_t a = 0; a < sizeof majors / sizeof majors[0]; a++)
            for (size_t b = 0; b < sizeof minors / sizeof minors[0]; b++)
                for (unsigned acc = 1; acc <= ALL; acc++) {
                    uint32_t ctx[3] = {
                        (types[t] == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR) | (acc << 16),
                        (uint32_t)majors[a], (uint32_t)minors[b]};
                    int got = run_program(prog, n, ctx);
                    int want = cgroup_devices_allows(p, types[t], majors[a], minors[b], acc);
                    if (got != want && mismatches++ < 5)
                        fprintf(stderr, "  %c %lld:%lld acc=%u: program %d, model %d\n", types[t],
                                (long long)majors[a], (long long)minors[b], acc, got, want);
                }
    CHECK(mismatches == 0);
    free(prog);
}

static void test_deny_all_then_allow(void)
{
    struct hull_device_rule rules[] = {rule(false, 'a', -1, -1, ALL), rule(true, 'c', 1, 3, ALL),
                                       rule(true, 'c', 1, 11, HULL_DEV_READ)};
    struct cgroup_device_policy p;
    hull_err *err = NULL;
    CHECK(cgroup_devices_compute(rules, 3, &p, &err) == 0);
    CHECK(!p.default_allow && p.n == 2);
    CHECK(cgroup_devices_allows(&p, 'c', 1, 3, HULL_DEV_READ | HULL_DEV_WRITE));
    CHECK(cgroup_devices_allows(&p, 'c', 1, 11, HULL_DEV_READ));
    CHECK(!cgroup_devices_allows(&p, 'c', 1, 11, HULL_DEV_READ | HULL_DEV_WRITE));
    CHECK(!cgroup_devices_allows(&p, 'b', 1, 3, HULL_DEV_READ));
    CHECK(!cgroup_devices_allows(&p, 'c', 1, 5, HULL_DEV_READ));
    agree_everywhere(&p);
    cgroup_device_policy_clear(&p);
}

static void test_allow_all_with_denials_and_wildcards(void)
{
    /* The kernel's default: allow; a denied exception covers a requested bit -> denied. */
    struct hull_device_rule rules[] = {rule(false, 'c', 136, -1, HULL_DEV_WRITE),
                                       rule(false, 'a', 7, -1, ALL)};
    struct cgroup_device_policy p;
    hull_err *err = NULL;
    CHECK(cgroup_devices_compute(rules, 2, &p, &err) == 0);
    CHECK(p.default_allow && p.n == 3); /* 'a' 7:* splits into c and b */
    CHECK(!cgroup_devices_allows(&p, 'c', 136, 4, HULL_DEV_READ | HULL_DEV_WRITE));
    CHECK(cgroup_devices_allows(&p, 'c', 136, 4, HULL_DEV_READ));
    CHECK(!cgroup_devices_allows(&p, 'b', 7, 0, HULL_DEV_MKNOD));
    CHECK(cgroup_devices_allows(&p, 'b', 8, 0, ALL));
    agree_everywhere(&p);
    cgroup_device_policy_clear(&p);
}

static void test_later_rules_remove_access_like_the_kernel(void)
{
    /* deny all; allow c 1:3 rwm; deny c 1:3 w -> exception keeps rm. An "a" rule resets. */
    struct hull_device_rule rules[] = {rule(false, 'a', -1, -1, ALL), rule(true, 'c', 1, 3, ALL),
                                       rule(false, 'c', 1, 3, HULL_DEV_WRITE)};
    struct cgroup_device_policy p;
    hull_err *err = NULL;
    CHECK(cgroup_devices_compute(rules, 3, &p, &err) == 0);
    CHECK(p.n == 1 && p.exceptions[0].access == (HULL_DEV_READ | HULL_DEV_MKNOD));
    CHECK(!cgroup_devices_allows(&p, 'c', 1, 3, HULL_DEV_WRITE));
    agree_everywhere(&p);
    cgroup_device_policy_clear(&p);

    struct hull_device_rule reset[] = {rule(false, 'a', -1, -1, ALL), rule(true, 'c', 1, 3, ALL),
                                       rule(true, 'a', -1, -1, ALL)};
    CHECK(cgroup_devices_compute(reset, 3, &p, &err) == 0);
    CHECK(p.default_allow && p.n == 0);
    agree_everywhere(&p);
    cgroup_device_policy_clear(&p);
}

static void test_defaults_as_podman_relies_on_them(void)
{
    /* podman sends only "deny all": /dev/null and friends come from the runtime's defaults. */
    struct hull_resources r = {0};
    struct hull_device_rule deny = rule(false, 'a', -1, -1, ALL);
    r.devices = &deny;
    r.n_devices = 1;
    r.has_devices = true;
    struct hull_device_rule *all = NULL;
    size_t n = 0;
    hull_err *err = NULL;
    CHECK(cgroup_devices_with_defaults(&r, &all, &n, &err) == 0);
    struct cgroup_device_policy p;
    CHECK(cgroup_devices_compute(all, n, &p, &err) == 0);
    CHECK(!p.default_allow);
    CHECK(cgroup_devices_allows(&p, 'c', 1, 3, ALL));   /* null */
    CHECK(cgroup_devices_allows(&p, 'c', 136, 9, ALL)); /* pts */
    CHECK(cgroup_devices_allows(&p, 'b', 8, 0, HULL_DEV_MKNOD));
    CHECK(!cgroup_devices_allows(&p, 'b', 8, 0, HULL_DEV_READ));
    CHECK(!cgroup_devices_allows(&p, 'c', 1, 1, HULL_DEV_READ)); /* /dev/mem */
    agree_everywhere(&p);
    cgroup_device_policy_clear(&p);
    free(all);
}

static void test_minor_only_and_major_only_exceptions(void)
{
    struct hull_device_rule deny_default[] = {rule(false, 'a', -1, -1, ALL),
                                              rule(true, 'c', -1, 5, HULL_DEV_READ),
                                              rule(true, 'b', 8, -1, HULL_DEV_WRITE)};
    struct cgroup_device_policy p;
    hull_err *err = NULL;
    CHECK(cgroup_devices_compute(deny_default, 3, &p, &err) == 0);
    CHECK(cgroup_devices_allows(&p, 'c', 10, 5, HULL_DEV_READ));
    CHECK(!cgroup_devices_allows(&p, 'c', 10, 5, HULL_DEV_READ | HULL_DEV_WRITE));
    agree_everywhere(&p);
    cgroup_device_policy_clear(&p);

    struct hull_device_rule allow_default[] = {rule(false, 'c', -1, 3, HULL_DEV_MKNOD),
                                               rule(false, 'b', 4000000000, -1, ALL)};
    CHECK(cgroup_devices_compute(allow_default, 2, &p, &err) == 0);
    CHECK(!cgroup_devices_allows(&p, 'c', 1, 3, HULL_DEV_MKNOD | HULL_DEV_READ));
    CHECK(cgroup_devices_allows(&p, 'c', 1, 3, HULL_DEV_READ));
    agree_everywhere(&p);
    cgroup_device_policy_clear(&p);
}

int main(void)
{
    RUN(test_deny_all_then_allow);
    RUN(test_allow_all_with_denials_and_wildcards);
    RUN(test_later_rules_remove_access_like_the_kernel);
    RUN(test_defaults_as_podman_relies_on_them);
    RUN(test_minor_only_and_major_only_exceptions);
    TEST_EXIT();
}
