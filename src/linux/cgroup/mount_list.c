/* The cgroup mounts of this mount namespace as mountinfo lines, without reading
 * /proc/self/mountinfo when the kernel can list mounts (listmount(2) and statmount(2), Linux
 * 6.8; the superblock options need 6.11).
 *
 * Reading /proc/self/mountinfo formats every mount of the namespace, and an overlay mount's
 * line carries its whole lowerdir list: with a hundred containers' overlays on a host the read
 * costs milliseconds of kernel time, on every container start, for the dozen cgroup mounts
 * wanted. listmount gives the mount ids; a statmount of each id for its superblock magic is
 * cheap; only the cgroup mounts are asked for their root, mount point and options. First only
 * /sys/fs/cgroup and the mounts right on it are asked about (a dozen instead of every mount of
 * the host): when they hold as many cgroup hierarchies as /proc/self/cgroup lists, that is all
 * of them; otherwise every mount is. The lines
 * are written in mountinfo's format (the fields layout.c reads, with mountinfo's octal escapes)
 * so that one parser serves both sources. */
#include <errno.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* From linux/mount.h (6.11); Debian 12's headers predate them. Same numbers on every arch. */
#define HULL_NR_statmount        457
#define HULL_NR_listmount        458
#define HULL_LSMT_ROOT           0xffffffffffffffffULL
#define HULL_SM_SB_BASIC         0x1ULL
#define HULL_SM_MNT_BASIC        0x2ULL
#define HULL_SM_MNT_ROOT         0x8ULL
#define HULL_SM_MNT_POINT        0x10ULL
#define HULL_SM_MNT_OPTS         0x80ULL
#define HULL_SB_RDONLY           0x1u
#define HULL_MNT_ID_REQ_SIZE0    24u
#define HULL_STATX_MNT_ID_UNIQUE 0x4000u /* Linux 6.8 */

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

/* The ids of the mounts right below mount `parent` (HULL_LSMT_ROOT: every mount of the
 * namespace), in *ids (malloc'd). -1 when the kernel cannot list mounts. */
static int list_ids(uint64_t parent, uint64_t **ids_out, size_t *n_out)
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
            .size = HULL_MNT_ID_REQ_SIZE0, .mnt_id = parent, .param = n ? ids[n - 1] : 0};
        long got = syscall(HULL_NR_listmount, &req, ids + n, cap - n, 0);
        if (got < 0)
            return -1;
        n += (size_t)got;
        if ((size_t)got == 0 || n < cap)
            break;
    }
    *ids_out = steal_pointer(&ids);
    *n_out = n;
    return 0;
}

/* Write the mountinfo line of every cgroup mount among `ids` to `f`; *hierarchies counts the
 * distinct superblocks (hierarchies) met. `mostly_cgroup`: ask for everything at once (one
 * call per mount) rather than for the superblock first (strings only for cgroup mounts). -1
 * when the kernel cannot describe them. */
static int write_cgroup_mounts(const uint64_t *ids, size_t n, bool mostly_cgroup,
                               struct hull_statmount *sm, FILE *f, size_t *hierarchies)
{
    uint64_t seen[64];
    size_t n_seen = 0;
    const uint64_t want = HULL_SM_SB_BASIC | HULL_SM_MNT_BASIC | HULL_SM_MNT_ROOT |
                          HULL_SM_MNT_POINT | HULL_SM_MNT_OPTS;
    for (size_t i = 0; i < n; i++) {
        /* The fixed part only: no strings asked for, none to copy. */
        if (!mostly_cgroup && statmount_id(ids[i], HULL_SM_SB_BASIC, sm, sizeof *sm) < 0) {
            if (errno == ENOENT)
                continue; /* unmounted since the listing */
            return -1;
        }
        if (!mostly_cgroup && sm->sb_magic != CGROUP2_SUPER_MAGIC &&
            sm->sb_magic != CGROUP_SUPER_MAGIC)
            continue;
        if (statmount_id(ids[i], want, sm, STATMOUNT_BUF) < 0) {
            if (errno == ENOENT)
                continue;
            return -1;
        }
        bool v2 = sm->sb_magic == CGROUP2_SUPER_MAGIC;
        if (!v2 && sm->sb_magic != CGROUP_SUPER_MAGIC)
            continue;
        /* A v1 hierarchy is known by its options (its controllers), which kernels before 6.11
         * do not report: mountinfo it is then. The kernel leaves the bit clear for an empty
         * string too, which only a cgroup2 mount can have (whose options nothing reads). */
        uint64_t need = v2 ? want & ~HULL_SM_MNT_OPTS : want;
        if ((sm->mask & need) != need)
            return -1;
        uint64_t dev = (uint64_t)sm->sb_dev_major << 32 | sm->sb_dev_minor;
        bool known = false;
        for (size_t k = 0; k < n_seen && !known; k++)
            known = seen[k] == dev;
        if (!known && n_seen < sizeof seen / sizeof seen[0])
            seen[n_seen++] = dev;
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
    *hierarchies = n_seen;
    return 0;
}

/* How many hierarchies the kernel has: the lines of /proc/self/cgroup, as the caller read it
 * (`self`) or read here (0 when unreadable). */
static size_t count_hierarchies(const char *self)
{
    char buf[4096];
    ssize_t len;
    if (self != NULL) {
        len = (ssize_t)strlen(self);
    } else {
        cleanup_close int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        len = fd < 0 ? -1 : read(fd, buf, sizeof buf);
        if ((size_t)len == sizeof buf)
            return 0;
        self = buf;
    }
    size_t lines = 0;
    for (ssize_t i = 0; i < len; i++)
        lines += self[i] == '\n';
    return lines;
}

/* The id of the mount at /sys/fs/cgroup, 0 when unknown. */
static uint64_t sys_fs_cgroup_mount(void)
{
    struct statx stx;
    if (statx(AT_FDCWD, "/sys/fs/cgroup", AT_NO_AUTOMOUNT, HULL_STATX_MNT_ID_UNIQUE, &stx) < 0 ||
        !(stx.stx_mask & HULL_STATX_MNT_ID_UNIQUE))
        return 0;
    return stx.stx_mnt_id;
}

/* The lines of the cgroup mounts among `ids` (plus `first` when not 0) into *out; *hierarchies
 * as write_cgroup_mounts. */
static int mounts_text(uint64_t first, const uint64_t *ids, size_t n, struct hull_statmount *sm,
                       char **out, size_t *hierarchies)
{
    cleanup_free char *text = NULL;
    size_t len = 0, in_first = 0;
    cleanup_file FILE *f = open_memstream(&text, &len);
    if (f == NULL || (first && write_cgroup_mounts(&first, 1, true, sm, f, &in_first) < 0) ||
        write_cgroup_mounts(ids, n, first != 0, sm, f, hierarchies) < 0)
        return -1;
    *hierarchies += in_first;
    if (fflush(f) != 0 || ferror(f))
        return -1;
    fclose(steal_pointer(&f));
    *out = steal_pointer(&text);
    return 0;
}

/* 0 and the text, or -1 when the kernel cannot list mounts this way (the caller falls back). */
static int list_cgroup_mounts(const char *self, char **out)
{
    cleanup_free struct hull_statmount *sm = malloc(STATMOUNT_BUF);
    if (sm == NULL)
        return -1;
    cleanup_free uint64_t *ids = NULL;
    size_t n = 0, found = 0;
    /* /sys/fs/cgroup itself (cgroup2 on a unified host) and what is mounted right on it. */
    uint64_t top = sys_fs_cgroup_mount();
    size_t expected = top ? count_hierarchies(self) : 0;
    if (expected && list_ids(top, &ids, &n) == 0) {
        cleanup_free char *text = NULL;
        if (mounts_text(top, ids, n, sm, &text, &found) < 0)
            return -1;
        if (found == expected) {
            *out = steal_pointer(&text);
            return 0;
        }
        free(steal_pointer(&ids));
    }
    /* Not all of them there: every mount of the namespace. */
    if (list_ids(HULL_LSMT_ROOT, &ids, &n) < 0)
        return -1;
    return mounts_text(0, ids, n, sm, out, &found);
}

int cgroup_mounts_text(const char *self, char **out, hull_err **err)
{
    if (list_cgroup_mounts(self, out) == 0)
        return 0;
    size_t len;
    return fs_read_file("/proc/self/mountinfo", 0, out, &len, err);
}
