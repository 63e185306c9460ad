/* util/tmpfs_dir: a run directory is mounted as a tmpfs once while empty; where it cannot be
 * (files in it), the caller gets a shared flock that keeps mounters away, and a second caller
 * in the same process gets one too (no wait on itself). Runs in a mount namespace of its own,
 * over a ramfs (a file system that is not a tmpfs, like /run on a disk), so nothing outlives it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "util/tmpfs_dir.h"

#define OPTS "mode=0711,size=1m,nr_inodes=64"

/* Whether another open file description could take dir's lock exclusively now. */
static bool lockable(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(fd >= 0);
    bool ok = flock(fd, LOCK_EX | LOCK_NB) == 0;
    CHECK(ok || errno == EWOULDBLOCK);
    close(fd);
    return ok;
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test_tmpfs_dir needs root (mounts)\n");
        return 77;
    }
    CHECK(unshare(CLONE_NEWNS) == 0);
    CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
    char base[] = "/tmp/hull-tmpfs-dir-XXXXXX";
    CHECK(mkdtemp(base) != NULL);
    CHECK(mount("ramfs", base, "ramfs", 0, "mode=0700") == 0);
    char dir[600], old[640];
    snprintf(dir, sizeof dir, "%s/run/hull", base);
    snprintf(old, sizeof old, "%s/old-state", dir);
    hull_err *err = NULL;

    /* Missing: made (with its parent) and mounted; the next call only looks. */
    int hold = 7;
    CHECK(!tmpfs_dir_is_tmpfs(base));
    CHECK(tmpfs_dir_ready(dir, OPTS, &hold, &err) == 0);
    EXPECT(hold == -1);
    EXPECT(tmpfs_dir_is_tmpfs(dir));
    CHECK(tmpfs_dir_ready(dir, OPTS, &hold, &err) == 0);
    EXPECT(hold == -1);
    CHECK(umount(dir) == 0);

    /* Not empty (an older hull's files): used on the disk, with a shared lock held. */
    int f = open(old, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(f >= 0);
    close(f);
    int hold1 = -1, hold2 = -1;
    CHECK(tmpfs_dir_ready(dir, OPTS, &hold1, &err) == 0);
    EXPECT(hold1 >= 0);
    EXPECT(!tmpfs_dir_is_tmpfs(dir));
    EXPECT(!lockable(dir));
    /* A second user in this process (another store) does not wait for the first. */
    CHECK(tmpfs_dir_ready(dir, OPTS, &hold2, &err) == 0);
    EXPECT(hold2 >= 0 && hold2 != hold1);
    EXPECT(!tmpfs_dir_is_tmpfs(dir));
    close(hold1);
    EXPECT(!lockable(dir)); /* the second holder still works there */
    close(hold2);
    EXPECT(lockable(dir));

    /* Emptied: the next user mounts it. */
    CHECK(unlink(old) == 0);
    CHECK(tmpfs_dir_ready(dir, OPTS, &hold, &err) == 0);
    EXPECT(hold == -1);
    EXPECT(tmpfs_dir_is_tmpfs(dir));
    /* The old files are not visible under it, and new ones land on the tmpfs. */
    EXPECT(access(old, F_OK) < 0 && errno == ENOENT);

    CHECK(umount(dir) == 0);
    CHECK(umount(base) == 0);
    CHECK(rmdir(base) == 0);
    TEST_EXIT();
}
