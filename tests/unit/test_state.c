/* Unit tests for runtime/state.c: ids, atomic state files, locking, status from the pid. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "runtime/state.h"
#include "util/fs.h"

static void test_ids(void)
{
    hull_err *err = NULL;
    CHECK(state_validate_id("abc-123_x.y", &err) == 0);
    CHECK_ERROR(state_validate_id("", &err), &err, "must not be empty");
    CHECK_ERROR(state_validate_id("a/b", &err), &err, "invalid container id");
    CHECK_ERROR(state_validate_id("..", &err), &err, "invalid container id");
    CHECK_ERROR(state_validate_id("a\nb", &err), &err, "control characters");
    char long_id[1100];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    CHECK_ERROR(state_validate_id(long_id, &err), &err, "longer than 1024");
}

static void test_roundtrip(const char *root)
{
    hull_err *err = NULL;
    struct state_dir d = {.dirfd = -1};
    CHECK(state_dir_create(root, "c1", &d, &err) == 0);
    struct stat st;
    CHECK(fstat(d.dirfd, &st) == 0 && (st.st_mode & 0777) == 0700);

    /* A second create of the same id fails without touching the first. */
    struct state_dir d2 = {.dirfd = -1};
    CHECK_ERROR(state_dir_create(root, "c1", &d2, &err), &err, "container `c1` already exists");
    state_dir_close(&d2);

    struct runtime_state s = {0};
    CHECK(state_read(&d, &s, &err) == 0); /* absent: mid-create */
    CHECK(state_status(&d, &s) == RUNTIME_CREATING);
    runtime_state_clear(&s);

    s.id = strdup("c1");
    s.pid = getpid();
    s.start_time = proc_start_time(getpid());
    s.bundle = strdup("/b");
    CHECK(s.start_time != 0);
    CHECK(state_write(&d, &s, &err) == 0);
    struct runtime_state r = {0};
    CHECK(state_read(&d, &r, &err) == 1);
    CHECK(r.pid == getpid() && r.start_time == s.start_time && strcmp(r.bundle, "/b") == 0);
    CHECK(state_status(&d, &r) == RUNTIME_RUNNING);
    /* A recycled pid (other start time) is not our container. */
    r.start_time += 1;
    CHECK(state_status(&d, &r) == RUNTIME_STOPPED);
    runtime_state_clear(&r);
    runtime_state_clear(&s);

    /* The directory is locked: another open descriptor cannot take the lock. */
    char path[512];
    snprintf(path, sizeof path, "%s/c1", root);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0);
    close(fd);

    CHECK(state_dir_remove(&d, &err) == 0);
    state_dir_close(&d);
    CHECK(access(path, F_OK) < 0);
    struct state_dir d3 = {.dirfd = -1};
    CHECK_ERROR(state_dir_open(root, "c1", &d3, &err), &err, "container `c1` does not exist");
    state_dir_close(&d3);
}

int main(void)
{
    test_ids();
    char root[] = "/tmp/hull-unit-state-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    test_roundtrip(root);
    hull_err *err = NULL;
    CHECK(fs_remove_tree(root, &err) == 0);
    puts("ok");
    return 0;
}
