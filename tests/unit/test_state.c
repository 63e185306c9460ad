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

    /* The config's copy rides after the state's line: the state reads the same, the copy
     * comes back byte for byte (newlines and all), and no config.json is made. */
    char *text = NULL;
    size_t len = 0;
    CHECK_ERROR(state_read_config(&d, &text, &len, &err), &err, "config.json");
    const char *cfg = "{\n \"ociVersion\": \"1.0.2\"\n}\n";
    s.config_text = cfg;
    CHECK(state_write(&d, &s, &err) == 0);
    CHECK(state_read(&d, &r, &err) == 1);
    CHECK(r.pid == getpid() && strcmp(r.bundle, "/b") == 0 && r.config_text == NULL);
    runtime_state_clear(&r);
    CHECK(state_read_config(&d, &text, &len, &err) == 0);
    CHECK(len == strlen(cfg) && strcmp(text, cfg) == 0);
    free(text);
    CHECK(faccessat(d.dirfd, "config.json", F_OK, 0) < 0);
    /* An older state: the line alone, the copy in config.json beside it. */
    s.config_text = NULL;
    CHECK(state_write(&d, &s, &err) == 0);
    CHECK(fs_replace_file_at(d.dirfd, "config.json", "{}", 2, 0600, &err) == 0);
    CHECK(state_read_config(&d, &text, &len, &err) == 0);
    CHECK(len == 2 && strcmp(text, "{}") == 0);
    free(text);
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
