/* The cgroup mounts of this mount namespace as mountinfo lines, without reading
 * /proc/self/mountinfo when the kernel can list mounts (listmount(2) and statmount(2), Linux
 * 6.8; the superblock options need 6.11).
 *
 * Reading /proc/self/mountinfo formats every mount of the namespace, and an overlay mount's
 * line carries its whole lowerdir list: with a hundred containers' overlays on a host the read
 * costs milliseconds of kernel time, on every container start, for the dozen cgroup mounts
 * wanted. listmount gives the mount ids; a statmount of each id for its superblock magic is
 * cheap; only the cgroup mounts are asked for their root, mount point and options. The lines
 * are written in mountinfo's format (the fields layout.c reads, with mountinfo's octal escapes)
 * so that one parser serves both sources. */
#include <errno.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* From linux/mount.h (6.11); Debian 12's headers predate them. Same numbers on every arch. */
#define HULL_NR_statmount     457
#define HULL_NR_listmount     458
#define HULL_LSMT_ROOT        0xffffffffffffffffULL
#define HULL_SM_SB_BASIC      0x1ULL
#define HULL_SM_MNT_BASIC     0x2ULL
#define HULL_SM_MNT_ROOT      0x8ULL
#define HULL_SM_MNT_POINT     0x10ULL
#define HULL_SM_MNT_OPTS      0x80ULL
#define HULL_SB_RDONLY        0x1u
#define HULL_MNT_ID_REQ_SIZE0 24u

struct hull_mnt_id_req {
    uint32_t size;
    uint32_t spare;
    uint64_t mnt_id;
    uint64_t param;
};

struct hull_statmount {
    uint32_t size;
    uint32_t mnt_opts;
    uint64_t mask;
    uint32_t sb_dev_major;
    uint32_t sb_dev_minor;
    uint64_t sb_magic;
    uint32_t sb_flags;
    uint32_t fs_type;
    uint64_t mnt_id;
    uint64_t mnt_parent_id;
    uint32_t mnt_id_old;
    uint32_t mnt_parent_id_old;
    uint64_t mnt_attr;
    uint64_t mnt_propagation;
    uint64_t mnt_peer_group;
    uint64_t mnt_master;
    uint64_t propagate_from;
    uint32_t mnt_root;
    uint32_t mnt_point;
    uint64_t spare2[50];
    char str[];
};

enum { MAX_MOUNTS = 1 << 16, STATMOUNT_BUF = 16384 };

static long statmount_id(uint64_t id, uint64_t mask, struct hull_statmount *buf, size_t size)
{
    struct hull_mnt_id_req req = {.size = HULL_MNT_ID_REQ_SIZE0, .mnt_id = id, .param = mask};
    return syscall(HULL_NR_statmount, &req, buf, size, 0);
}

/* Append `s` with mountinfo's escapes (space, tab, newline, backslash as \ooo). */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
            fprintf(f, "\\%03o", (unsigned char)*s);
        else
            fputc(*s, f);
    }
}

/* 0 and the text, or -1 when the kernel cannot list mounts this way (the caller falls back). */
static int list_cgroup_mounts(char **out)
{
    cleanup_free uint64_t *ids = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_MOUNTS)
                return -1;
            cap = cap ? cap * 2 : 256;
            uint64_t *grown = realloc(ids, cap * sizeof *ids);
            if (grown == NULL)
                return -1;
            ids = grown;
        }
        struct hull_mnt_id_req req = {
            .size = HULL_MNT_ID_REQ_SIZE0, .mnt_id = HULL_LSMT_ROOT, .param = n ? ids[n - 1] : 0};
        long got = syscall(HULL_NR_listmount, &req, ids + n, cap - n, 0);
        if (got < 0)
            return -1;
        n += (size_t)got;
        if ((size_t)got == 0 || n < cap)
            break;
    }
    cleanup_free struct hull_statmount *sm = malloc(STATMOUNT_BUF);
    cleanup_free char *text = NULL;
    size_t len = 0;
    cleanup_file FILE *f = open_memstream(&text, &len);
    if (sm == NULL || f == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        /* The fixed part only: no strings asked for, none to copy. */
        if (statmount_id(ids[i], HULL_SM_SB_BASIC, sm, sizeof *sm) < 0) {
            if (errno == ENOENT)
                continue; /* unmounted since the listing */
            return -1;
        }
        bool v2 = sm->sb_magic == CGROUP2_SUPER_MAGIC;
        if (!v2 && sm->sb_magic != CGROUP_SUPER_MAGIC)
            continue;
        uint64_t want = HULL_SM_SB_BASIC | HULL_SM_MNT_BASIC | HULL_SM_MNT_ROOT |
                        HULL_SM_MNT_POINT | HULL_SM_MNT_OPTS;
        if (statmount_id(ids[i], want, sm, STATMOUNT_BUF) < 0) {
            if (errno == ENOENT)
                continue;
            return -1;
        }
        /* A v1 hierarchy is known by its options (its controllers), which kernels before 6.11
         * do not report: mountinfo it is then. The kernel leaves the bit clear for an empty
         * string too, which only a cgroup2 mount can have (whose options nothing reads). */
        uint64_t need = v2 ? want & ~HULL_SM_MNT_OPTS : want;
        if ((sm->mask & need) != need)
            return -1;
        const char *opts = (sm->mask & HULL_SM_MNT_OPTS) ? sm->str + sm->mnt_opts : "";
        bool ro = sm->sb_flags & HULL_SB_RDONLY;
        /* id parent maj:min root mountpoint opts - fstype source superopts */
        fprintf(f, "%u %u %u:%u ", sm->mnt_id_old, sm->mnt_parent_id_old, sm->sb_dev_major,
                sm->sb_dev_minor);
        put_escaped(f, sm->str + sm->mnt_root);
        fputc(' ', f);
        put_escaped(f, sm->str + sm->mnt_point);
        fprintf(f, " %s - %s %s %s", ro ? "ro" : "rw", v2 ? "cgroup2" : "cgroup",
                v2 ? "cgroup2" : "cgroup", ro ? "ro" : "rw");
        if (*opts) {
            fputc(',', f);
            put_escaped(f, opts);
        }
        fputc('\n', f);
    }
    if (fflush(f) != 0 || ferror(f))
        return -1;
    fclose(steal_pointer(&f));
    *out = steal_pointer(&text);
    return 0;
}

int cgroup_mounts_text(char **out, hull_err **err)
{
    if (list_cgroup_mounts(out) == 0)
        return 0;
    size_t len;
    return fs_read_file("/proc/self/mountinfo", 0, out, &len, err);
}
