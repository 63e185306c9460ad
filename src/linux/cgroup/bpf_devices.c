/* Device rules on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from the device
 * policy, loaded and attached with the raw bpf(2) syscall (no libbpf).
 *
 * The program reads the kernel's struct bpf_cgroup_dev_ctx {access_type, major, minor}, walks
 * the policy's exceptions in order and returns the verdict of the first one that matches, else
 * the default. "Matches" follows the v1 controller exactly (see device_rules.c): under a
 * default-deny policy an exception must grant every requested access bit; under default-allow an
 * exception denies as soon as it names one requested bit. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#define INSN(c, d, s, o, i)                                                                        \
    ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off)         INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm)      INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src)          INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm)          INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP32_IMM(op, dst, imm, off) INSN(BPF_JMP32 | (op) | BPF_K, dst, 0, off, imm)
#define EXIT()                       INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0 = 0, R1, R2, R3, R4, R5 };

int bpf_devices_generate(const struct cgroup_device_policy *p, struct bpf_insn **insns,
                         size_t *n_insns, hull_err **err)
{
    /* Prologue 6, per exception at most 8, epilogue 2. */
    struct bpf_insn *prog = calloc(8 + 8 * p->n, sizeof(*prog));
    if (prog == NULL)
        return hull_error(err, ENOMEM, "device program");
    size_t n = 0;
    prog[n++] = LDX_W(R2, R1, 0);               /* access_type */
    prog[n++] = ALU32_IMM(BPF_AND, R2, 0xffff); /* r2 = device type */
    prog[n++] = LDX_W(R3, R1, 0);
    prog[n++] = ALU32_IMM(BPF_RSH, R3, 16); /* r3 = requested access */
    prog[n++] = LDX_W(R4, R1, 4);           /* major */
    prog[n++] = LDX_W(R5, R1, 8);           /* minor */
    for (size_t i = 0; i < p->n; i++) {
        const struct hull_device_rule *e = &p->exceptions[i];
        int len = 6 + (e->major >= 0) + (e->minor >= 0);
        int at = 0; /* index inside the block; a jump skips to the next block */
        int32_t type = e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
        prog[n++] = JMP32_IMM(BPF_JNE, R2, type, len - at - 1);
        at++;
        prog[n++] = MOV32_REG(R1, R3);
        at++;
        if (p->default_allow) {
            prog[n++] = ALU32_IMM(BPF_AND, R1, (int32_t)e->access);
            at++;
            prog[n++] = JMP32_IMM(BPF_JEQ, R1, 0, len - at - 1);
        } else {
            prog[n++] = ALU32_IMM(BPF_AND, R1, (int32_t)(~e->access & 0xffff));
            at++;
            prog[n++] = JMP32_IMM(BPF_JNE, R1, 0, len - at - 1);
        }
        at++;
        if (e->major >= 0) {
            prog[n++] = JMP32_IMM(BPF_JNE, R4, (int32_t)(uint32_t)e->major, len - at - 1);
            at++;
        }
        if (e->minor >= 0) {
            prog[n++] = JMP32_IMM(BPF_JNE, R5, (int32_t)(uint32_t)e->minor, len - at - 1);
            at++;
        }
        prog[n++] = MOV64_IMM(R0, e->allow ? 1 : 0);
        prog[n++] = EXIT();
    }
    prog[n++] = MOV64_IMM(R0, p->default_allow ? 1 : 0);
    prog[n++] = EXIT();
    *insns = prog;
    *n_insns = n;
    return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
    return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_program(const struct bpf_insn *insns, size_t n, hull_err **err)
{
    static char log[8192];
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = (uint32_t)n;
    attr.license = (uint64_t)(uintptr_t) "Apache-2.0";
    int fd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        return fd;
    int saved = errno;
    /* Again with the verifier's log, for the message. */
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = sizeof log;
    attr.log_level = 1;
    log[0] = '\0';
    fd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        return fd;
    return hull_error(err, saved, "load the device BPF program (%zu instructions)%s%s", n,
                      log[0] ? "; verifier: " : "", log);
}

/* IDs of the device programs attached directly to the cgroup. */
static int attached_ids(int cgroup_fd, uint32_t *ids, uint32_t *count, hull_err **err)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.query.target_fd = (uint32_t)cgroup_fd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = *count;
    if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
        return hull_error(err, errno, "query the cgroup's device programs");
    *count = attr.query.prog_cnt;
    return 0;
}

int bpf_devices_attach(int cgroup_fd, const struct cgroup_device_policy *p, hull_err **err)
{
    cleanup_free struct bpf_insn *insns = NULL;
    size_t n = 0;
    if (bpf_devices_generate(p, &insns, &n, err) < 0)
        return -1;
    uint32_t old[64];
    uint32_t n_old = 64;
    if (attached_ids(cgroup_fd, old, &n_old, err) < 0)
        return -1;
    cleanup_close int prog = load_program(insns, n, err);
    if (prog < 0)
        return -1;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
        return hull_error(err, errno, "attach the device BPF program");
    /* The new program is in force: now drop the ones it replaces. */
    for (uint32_t i = 0; i < n_old; i++) {
        memset(&attr, 0, sizeof attr);
        attr.prog_id = old[i];
        cleanup_close int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        if (fd < 0)
            return hull_error(err, errno, "open device BPF program %u", old[i]);
        memset(&attr, 0, sizeof attr);
        attr.target_fd = (uint32_t)cgroup_fd;
        attr.attach_bpf_fd = (uint32_t)fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
            return hull_error(err, errno, "detach device BPF program %u", old[i]);
    }
    hull_debug("device BPF program of %zu instructions attached (%u replaced)", n, n_old);
    return 0;
}
