/* Device rules on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from the device
 * policy, loaded and attached with the raw bpf(2) syscall (no libbpf).
 *
 * The program reads the kernel's struct bpf_cgroup_dev_ctx {access_type, major, minor} and asks
 * of every exception of the policy whether it applies; all exceptions of a policy carry the same
 * verdict (the opposite of the default), so the answer is the default when none applies and the
 * exception's verdict otherwise. "Applies" follows the v1 controller exactly (see
 * device_rules.c): under a default-deny policy an exception must grant every requested access
 * bit; under default-allow an exception applies as soon as it names one requested bit.
 *
 * The program has no branches: each exception folds into a value that is zero exactly when it
 * applies, and a 0/1 "none applied" flag is ANDed with (value != 0), computed as
 * (v | -v) >> 63. The verifier walks a branch-free program once, instruction by instruction;
 * the former program (a conditional jump per field of every exception) made it explore and
 * compare about 40 states, 0.2-0.4 ms per container on the hosts of docs/performance.md.
 *
 * Loading (verifying and compiling) the program is still most of its cost, and nearly every
 * container gets the default policy's program. So that program, once loaded, is kept for the
 * next container (the caller passes an anchor parent for the default policy only) by an anchor: an
 * empty cgroup `.devices-<sha256 of the instructions>` next to the containers (in hull's own parent
 * `/hull`), which no process ever joins, with the program attached. The next container takes the
 * anchor's program when it is one program of the device type whose tag (the kernel's hash of the
 * instructions it was loaded with: sha256 since Linux 6.18, sha1 before) is that of the
 * instructions it would load itself, and loads its own otherwise. The anchor stays, as `/hull`
 * does: one small program on the host. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/log.h"

#define INSN(c, d, s, o, i)                                                                        \
    ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off)    INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define ALU64_IMM(op, dst, imm) INSN(BPF_ALU64 | (op) | BPF_K, dst, 0, 0, imm)
#define ALU64_REG(op, dst, src) INSN(BPF_ALU64 | (op) | BPF_X, dst, src, 0, 0)
/* A 64-bit immediate takes two instruction slots. */
#define LD_IMM64_LO(dst, v) INSN(BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (int32_t)(uint32_t)(v))
#define LD_IMM64_HI(v)      INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))
#define EXIT()              INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0 = 0, R1, R2, R3, R4, R5, R6, R7, R8, R9 };

int bpf_devices_generate(const struct cgroup_device_policy *p, struct bpf_insn **insns,
                         size_t *n_insns, hull_err **err)
{
    /* Prologue 7, per exception at most 18, epilogue 2. */
    struct bpf_insn *prog = calloc(10 + 18 * p->n, sizeof(*prog));
    if (prog == NULL)
        return hull_error(err, ENOMEM, "device program");
    size_t n = 0;
    prog[n++] = LDX_W(R6, R1, 0); /* access_type: device type | requested access << 16 */
    prog[n++] = LDX_W(R7, R1, 4); /* major */
    prog[n++] = LDX_W(R8, R1, 8); /* minor */
    prog[n++] = ALU64_REG(BPF_MOV, R9, R7);
    prog[n++] = ALU64_IMM(BPF_LSH, R9, 32);
    prog[n++] = ALU64_REG(BPF_OR, R9, R8); /* r9 = major << 32 | minor */
    prog[n++] = ALU64_IMM(BPF_MOV, R0, 1); /* no exception applies (yet) */
    for (size_t i = 0; i < p->n; i++) {
        const struct hull_device_rule *e = &p->exceptions[i];
        int32_t type = e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
        /* r1 = 0 iff the exception applies. */
        prog[n++] = ALU64_REG(BPF_MOV, R1, R6);
        if (p->default_allow) {
            /* Device type equal, and (requested & access) != 0: r2 = 1 when it is 0. */
            prog[n++] = ALU32_IMM(BPF_AND, R1, 0xffff);
            prog[n++] = ALU32_IMM(BPF_XOR, R1, type);
            prog[n++] = ALU64_REG(BPF_MOV, R2, R6);
            prog[n++] = ALU32_IMM(BPF_RSH, R2, 16);
            prog[n++] = ALU32_IMM(BPF_AND, R2, (int32_t)e->access);
            prog[n++] = ALU64_IMM(BPF_SUB, R2, 1);
            prog[n++] = ALU64_IMM(BPF_RSH, R2, 63);
            prog[n++] = ALU64_REG(BPF_OR, R1, R2);
        } else {
            /* Device type equal, and no requested bit outside the exception's access. */
            uint32_t keep = ((~e->access & 0xffffu) << 16) | 0xffffu;
            prog[n++] = ALU32_IMM(BPF_AND, R1, (int32_t)keep);
            prog[n++] = ALU32_IMM(BPF_XOR, R1, type);
        }
        if (e->major >= 0 && e->minor >= 0) {
            uint64_t key = (uint64_t)(uint32_t)e->major << 32 | (uint32_t)e->minor;
            prog[n++] = LD_IMM64_LO(R2, key);
            prog[n++] = LD_IMM64_HI(key);
            prog[n++] = ALU64_REG(BPF_XOR, R2, R9);
            prog[n++] = ALU64_REG(BPF_OR, R1, R2);
        } else if (e->major >= 0 || e->minor >= 0) {
            bool major = e->major >= 0;
            prog[n++] = ALU64_REG(BPF_MOV, R2, major ? R7 : R8);
            prog[n++] = ALU32_IMM(BPF_XOR, R2, (int32_t)(uint32_t)(major ? e->major : e->minor));
            prog[n++] = ALU64_REG(BPF_OR, R1, R2);
        }
        /* r0 &= (r1 != 0) */
        prog[n++] = ALU64_REG(BPF_MOV, R2, R1);
        prog[n++] = ALU64_IMM(BPF_NEG, R2, 0);
        prog[n++] = ALU64_REG(BPF_OR, R1, R2);
        prog[n++] = ALU64_IMM(BPF_RSH, R1, 63);
        prog[n++] = ALU64_REG(BPF_AND, R0, R1);
    }
    /* Default allow: allowed iff none applied (r0). Default deny: iff one did (r0 ^ 1). */
    if (!p->default_allow)
        prog[n++] = ALU64_IMM(BPF_XOR, R0, 1);
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

/* The identity of a program's instructions: the anchor's name and the tags the kernel may give
 * it. */
struct program_id {
    char anchor[32]; /* ".devices-" + 16 hex digits of the sha256 */
    uint8_t sha256[32];
    uint8_t sha1[20];
};

static void program_id_of(const struct bpf_insn *insns, size_t n, struct program_id *id)
{
    digest_sha256_raw(insns, n * sizeof *insns, id->sha256);
    digest_sha1_raw(insns, n * sizeof *insns, id->sha1);
    int len = snprintf(id->anchor, sizeof id->anchor, ".devices-");
    for (int i = 0; i < 8; i++)
        len += snprintf(id->anchor + len, sizeof id->anchor - (size_t)len, "%02x", id->sha256[i]);
}

/* The anchor's program when it is exactly one device program loaded from these instructions:
 * an fd of it, else -1. */
static int anchored_program(int parent_fd, const struct program_id *id)
{
    cleanup_close int anchor = openat(parent_fd, id->anchor, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (anchor < 0)
        return -1;
    uint32_t ids[2];
    uint32_t n = 2;
    hull_err *e = NULL;
    if (attached_ids(anchor, ids, &n, &e) < 0 || n != 1) {
        hull_err_free(e);
        return -1;
    }
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_id = ids[0];
    int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (fd < 0)
        return -1; /* replaced and gone meanwhile */
    struct bpf_prog_info info;
    memset(&info, 0, sizeof info);
    memset(&attr, 0, sizeof attr);
    attr.info.bpf_fd = (uint32_t)fd;
    attr.info.info_len = sizeof info;
    attr.info.info = (uint64_t)(uintptr_t)&info;
    if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) == 0 && info.type == BPF_PROG_TYPE_CGROUP_DEVICE &&
        (memcmp(info.tag, id->sha256, BPF_TAG_SIZE) == 0 ||
         memcmp(info.tag, id->sha1, BPF_TAG_SIZE) == 0))
        return fd;
    close(fd);
    return -1;
}

/* Keep `prog` for the next container: attached alone to its anchor (made if missing; a program
 * attached there before is replaced). Best effort: without it the next container loads its own. */
static void anchor_program(int parent_fd, const struct program_id *id, int prog)
{
    if (mkdirat(parent_fd, id->anchor, 0755) < 0 && errno != EEXIST)
        return;
    cleanup_close int anchor = openat(parent_fd, id->anchor, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (anchor < 0)
        return;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)anchor;
    attr.attach_bpf_fd = (uint32_t)prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
        hull_debug("keep the device program in `%s`: %s", id->anchor, strerror(errno));
}

int bpf_devices_attach(int cgroup_fd, const struct cgroup_device_policy *p, int anchor_parent_fd,
                       hull_err **err)
{
    cleanup_free struct bpf_insn *insns = NULL;
    size_t n = 0;
    if (bpf_devices_generate(p, &insns, &n, err) < 0)
        return -1;
    uint32_t old[64];
    uint32_t n_old = 64;
    if (attached_ids(cgroup_fd, old, &n_old, err) < 0)
        return -1;
    struct program_id id;
    cleanup_close int prog = -1;
    if (anchor_parent_fd >= 0) {
        program_id_of(insns, n, &id);
        prog = anchored_program(anchor_parent_fd, &id);
    }
    bool shared = prog >= 0;
    if (prog < 0 && (prog = load_program(insns, n, err)) < 0)
        return -1;
    if (!shared && anchor_parent_fd >= 0)
        anchor_program(anchor_parent_fd, &id, prog);
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
    hull_debug("device BPF program of %zu instructions attached (%s; %u replaced)", n,
               shared ? "kept by its anchor" : "loaded", n_old);
    return 0;
}
