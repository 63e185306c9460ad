/* The cgroup v2 (and v1) resource writers, run against a temporary directory tree of plain
 * files: this host's cgroup2 mount has no resource controllers (they are all bound to v1), so
 * the v2 file writes are verified here; the full v2 end-to-end run comes with the VM backend.
 * Knob files are created empty first: a missing file means a missing feature, as on cgroupfs. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "linux/cgroup/internal.h"
#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char root[] = "/tmp/hull-cg-v2-XXXXXX";

static void touch(int dirfd, const char *name, const char *content)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    if (content)
        CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
}

static char *slurp(int dirfd, const char *name)
{
    char *text = NULL;
    size_t len;
    hull_err *err = NULL;
    if (fs_read_file_at(dirfd, name, 0, &text, &len, &err) < 0) {
        hull_err_free(err);
        return strdup("<missing>");
    }
    return text;
}

static void expect(int dirfd, const char *name, const char *want)
{
    cleanup_free char *got = slurp(dirfd, name);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "  in %s:\n", name);
    EXPECT_STREQ(got, want);
}

static int parse(const char *text, struct hull_resources *r)
{
    json_t *doc = json_loads(text, 0, NULL);
    struct json_ctx c = {.file = "test"};
    hull_err *err = NULL;
    int rc = config_parse_resources_object(&c, doc, "", r, &err);
    if (rc < 0)
        fprintf(stderr, "  parse: %s\n", err->msg);
    hull_err_free(err);
    json_decref(doc);
    return rc;
}

static int fresh_dir(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, name);
    mkdir(path, 0755);
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void test_v2_writes_every_controller_file(void)
{
    int fd = fresh_dir("v2");
    const char *files[] = {"memory.max",    "memory.swap.max", "memory.low",  "cpu.weight",
                           "cpu.max.burst", "cpu.idle",        "cpuset.cpus", "cpuset.mems",
                           "pids.max",      "io.weight",       "io.max",      "hugetlb.2MB.max",
                           "rdma.max",      "memory.high"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        touch(fd, files[i], NULL);
    touch(fd, "cpu.max", "max 100000\n");
    struct hull_resources r = {0};
    CHECK(parse("{\"memory\":{\"limit\":268435456,\"swap\":536870912,\"reservation\":1048576},"
                "\"cpu\":{\"shares\":1024,\"quota\":50000,\"burst\":1000,\"idle\":1,"
                "\"cpus\":\"0-1\",\"mems\":\"0\"},"
                "\"pids\":{\"limit\":-1},"
                "\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
                "\"rate\":1048576}]},"
                "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
                "\"rdma\":{\"mlx5_0\":{\"hcaHandles\":3}},"
                "\"unified\":{\"memory.high\":\"200M\"}}",
                &r) == 0);
    unsigned all = CG_BIT(CG_MEMORY) | CG_BIT(CG_CPU) | CG_BIT(CG_CPUSET) | CG_BIT(CG_PIDS) |
                   CG_BIT(CG_BLKIO) | CG_BIT(CG_HUGETLB) | CG_BIT(CG_RDMA);
    hull_err *err = NULL;
    int rc = cgroup_v2_apply(fd, all, &r, false, &err);
    if (rc < 0)
        fprintf(stderr, "  apply: %s\n", err->msg);
    CHECK(rc == 0);
    expect(fd, "memory.max", "268435456");
    expect(fd, "memory.swap.max", "268435456"); /* memory+swap minus memory */
    expect(fd, "memory.low", "1048576");
    expect(fd, "cpu.weight", "100");
    expect(fd, "cpu.max", "50000 100000"); /* the period kept from the file */
    expect(fd, "cpu.max.burst", "1000");
    expect(fd, "cpu.idle", "1");
    expect(fd, "cpuset.cpus", "0-1");
    expect(fd, "cpuset.mems", "0");
    expect(fd, "pids.max", "max");
    expect(fd, "io.weight", "default 4950");
    expect(fd, "io.max", "8:0 rbps=1048576");
    expect(fd, "hugetlb.2MB.max", "4194304");
    expect(fd, "rdma.max", "mlx5_0 hca_handle=3 hca_object=max");
    expect(fd, "memory.high", "200M");
    config_resources_clear(&r);

    /* A missing knob is an error naming the field; BFQ takes the blkio scale unconverted. */
    CHECK(parse("{\"unified\":{\"memory.oom.group\":\"1\"}}", &r) == 0);
    CHECK(cgroup_v2_apply(fd, all, &r, false, &err) < 0);
    CHECK(err && strstr(err->msg, "unified.memory.oom.group") != NULL);
    hull_err_freep(&err);
    config_resources_clear(&r);
    touch(fd, "io.bfq.weight", NULL);
    CHECK(parse("{\"blockIO\":{\"weight\":500}}", &r) == 0);
    CHECK(cgroup_v2_apply(fd, all, &r, false, &err) == 0);
    expect(fd, "io.bfq.weight", "default 500");
    config_resources_clear(&r);
    close(fd);
}

static void test_v2_check_before_update_and_freeze(void)
{
    int fd = fresh_dir("v2b");
    touch(fd, "memory.max", NULL);
    touch(fd, "memory.current", "10485760\n");
    struct hull_resources r = {0};
    CHECK(parse("{\"memory\":{\"limit\":1048576,\"checkBeforeUpdate\":true}}", &r) == 0);
    hull_err *err = NULL;
    CHECK(cgroup_v2_apply(fd, CG_BIT(CG_MEMORY), &r, true, &err) < 0);
    CHECK(err && strstr(err->msg, "checkBeforeUpdate") != NULL);
    hull_err_freep(&err);
    expect(fd, "memory.max", "");
    CHECK(cgroup_v2_apply(fd, CG_BIT(CG_MEMORY), &r, false, &err) == 0); /* create: no check */
    expect(fd, "memory.max", "1048576");
    config_resources_clear(&r);

    touch(fd, "cgroup.freeze", "0\n");
    touch(fd, "cgroup.events", "populated 1\nfrozen 1\n");
    CHECK(cgroup_v2_freeze(fd, true, &err) == 0);
    expect(fd, "cgroup.freeze", "1");
    CHECK(cgroup_v2_is_frozen(fd) == 1);
    close(fd);
}

static void test_v2_enable_controllers_on_every_ancestor(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tree/a/b/leaf", root);
    hull_err *err = NULL;
    CHECK(fs_mkdir_p(path, 0755, &err) == 0);
    const char *levels[] = {"tree", "tree/a", "tree/a/b"};
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (int i = 0; i < 3; i++) {
        char f[128];
        snprintf(f, sizeof f, "%s/cgroup.subtree_control", levels[i]);
        touch(rootfd, f, NULL);
    }
    struct cgroup_dir d = {.path = path, .base_len = strlen(root) + strlen("/tree"), .v2 = true};
    CHECK(cgroup_v2_enable_controllers(&d, CG_BIT(CG_PIDS), &err) == 0);
    expect(rootfd, "tree/cgroup.subtree_control", "+pids");
    expect(rootfd, "tree/a/b/cgroup.subtree_control", "+pids");
    expect(rootfd, "tree/a/b/leaf/cgroup.subtree_control", "<missing>");
    close(rootfd);
}

static void test_conversions(void)
{
    CHECK(cgroup_v2_shares_to_weight(2) == 1);
    CHECK(cgroup_v2_shares_to_weight(1024) == 100);
    CHECK(cgroup_v2_shares_to_weight(262144) == 10000);
    uint64_t w512 = cgroup_v2_shares_to_weight(512), w2048 = cgroup_v2_shares_to_weight(2048);
    CHECK(w512 > 1 && w512 < 100 && w2048 > 100 && w2048 < 10000);
    CHECK(cgroup_v2_blkio_to_io_weight(10) == 1);
    CHECK(cgroup_v2_blkio_to_io_weight(1000) == 10000);
    int64_t out;
    hull_err *err = NULL;
    CHECK(cgroup_v2_swap_value(100, true, -1, &out, &err) == 0 && out == -1);
    CHECK(cgroup_v2_swap_value(100, true, 300, &out, &err) == 0 && out == 200);
    CHECK(cgroup_v2_swap_value(100, false, 300, &out, &err) < 0);
    hull_err_freep(&err);
    CHECK(cgroup_v2_swap_value(100, true, 50, &out, &err) < 0);
    hull_err_freep(&err);
}

static void test_v1_memory_order_and_files(void)
{
    int fd = fresh_dir("v1");
    const char *files[] = {"memory.limit_in_bytes",
                           "memory.memsw.limit_in_bytes",
                           "memory.soft_limit_in_bytes",
                           "memory.swappiness",
                           "memory.oom_control",
                           "cpu.shares",
                           "cpu.cfs_quota_us",
                           "cpu.cfs_period_us",
                           "pids.max",
                           "devices.allow",
                           "devices.deny"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        touch(fd, files[i], NULL);
    struct hull_resources r = {0};
    CHECK(parse("{\"memory\":{\"limit\":1000,\"swap\":-1,\"reservation\":10,\"swappiness\":0,"
                "\"disableOOMKiller\":true},\"cpu\":{\"shares\":512,\"quota\":-1,"
                "\"period\":50000},\"pids\":{\"limit\":64}}",
                &r) == 0);
    hull_err *err = NULL;
    unsigned ctrls = CG_BIT(CG_MEMORY) | CG_BIT(CG_CPU) | CG_BIT(CG_PIDS);
    CHECK(cgroup_v1_apply(fd, ctrls, &r, false, &err) == 0);
    expect(fd, "memory.limit_in_bytes", "1000");
    expect(fd, "memory.memsw.limit_in_bytes", "-1");
    expect(fd, "memory.soft_limit_in_bytes", "10");
    expect(fd, "memory.swappiness", "0");
    expect(fd, "memory.oom_control", "1");
    expect(fd, "cpu.shares", "512");
    expect(fd, "cpu.cfs_quota_us", "-1");
    expect(fd, "cpu.cfs_period_us", "50000");
    expect(fd, "pids.max", "64");
    config_resources_clear(&r);
    /* The device policy: default first, then the exceptions. */
    struct hull_device_rule rules[] = {
        {false, 'a', -1, -1, HULL_DEV_READ | HULL_DEV_WRITE | HULL_DEV_MKNOD},
        {true, 'c', 136, -1, HULL_DEV_READ | HULL_DEV_WRITE}};
    struct cgroup_device_policy p;
    CHECK(cgroup_devices_compute(rules, 2, &p, &err) == 0);
    CHECK(cgroup_v1_apply_devices(fd, &p, &err) == 0);
    expect(fd, "devices.deny", "a");
    expect(fd, "devices.allow", "c 136:* rw");
    cgroup_device_policy_clear(&p);
    close(fd);
}

int main(void)
{
    if (mkdtemp(root) == NULL)
        return 1;
    RUN(test_v2_writes_every_controller_file);
    RUN(test_v2_check_before_update_and_freeze);
    RUN(test_v2_enable_controllers_on_every_ancestor);
    RUN(test_conversions);
    RUN(test_v1_memory_order_and_files);
    hull_err *err = NULL;
    fs_remove_tree(root, &err);
    hull_err_free(err);
    TEST_EXIT();
}
