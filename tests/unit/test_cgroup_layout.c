/* Layout detection from mountinfo and /proc/self/cgroup texts, path planning, the state record,
 * and the resource checks against a host's controllers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "linux/cgroup/cgroup.h"
#include "linux/cgroup/internal.h"
#include "oci/json_read.h"
#include "util/fs.h"

static const char hybrid_mountinfo[] =
    "30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu\n"
    "32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "34 30 0:30 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "35 30 0:31 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "36 30 0:32 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "37 25 0:33 / /proc rw - proc proc rw\n";
static const char hybrid_self[] = "5:name=systemd:/\n4:devices:/\n3:memory:/process_api/abc\n"
                                  "2:cpuacct:/\n1:cpu:/\n0::/user.slice\n";

static void test_hybrid_detection_and_default_path(void)
{
    struct cgroup_host host;
    hull_err *err = NULL;
    CHECK(cgroup_host_parse(&host, hybrid_mountinfo, hybrid_self, "hugetlb misc\n", &err) == 0);
    CHECK(host.layout == CGROUP_LAYOUT_HYBRID);
    CHECK(host.n == 6);
    const struct cgroup_hierarchy *v2 = &host.h[5];
    CHECK(v2->v2 && strcmp(v2->mountpoint, "/sys/fs/cgroup/unified") == 0);
    CHECK(v2->controllers == (CG_BIT(CG_HUGETLB) | CG_BIT(CG_MISC)));
    CHECK(strcmp(v2->own, "/user.slice") == 0);
    CHECK(host.h[4].name && strcmp(host.h[4].name, "systemd") == 0 && host.h[4].controllers == 0);
    CHECK(strcmp(host.h[2].own, "/process_api/abc") == 0);

    struct cgroup_set set;
    CHECK(cgroup_set_plan(&host, NULL, "c1", &set, &err) == 0);
    CHECK(set.n == 6 && strcmp(set.path, "/hull/c1") == 0);
    CHECK(strcmp(set.dirs[2].path, "/sys/fs/cgroup/memory/hull/c1") == 0);
    CHECK(set.dirs[2].base_len == strlen("/sys/fs/cgroup/memory"));
    CHECK(cgroup_set_dir_for(&set, CG_MEMORY) == &set.dirs[2]);
    CHECK(cgroup_set_dir_for(&set, CG_HUGETLB) == &set.dirs[5]);
    CHECK(cgroup_set_dir_for(&set, CG_PIDS) == NULL);
    CHECK(cgroup_set_v2_dir(&set) == &set.dirs[5]);
    cgroup_set_clear(&set);

    /* Relative: under our own cgroup in each hierarchy, which may differ. */
    CHECK(cgroup_set_plan(&host, "pod//c2/", "c2", &set, &err) == 0);
    CHECK(strcmp(set.dirs[2].path, "/sys/fs/cgroup/memory/process_api/abc/pod/c2") == 0);
    CHECK(set.dirs[2].base_len == strlen("/sys/fs/cgroup/memory/process_api/abc"));
    CHECK(strcmp(set.dirs[0].path, "/sys/fs/cgroup/cpu/pod/c2") == 0);
    CHECK(strcmp(set.dirs[5].path, "/sys/fs/cgroup/unified/user.slice/pod/c2") == 0);
    cgroup_set_clear(&set);
    cgroup_host_clear(&host);
}

/* What exec and the container's cgroup mounts take from the one mountinfo reader: the mount
 * root, the super options, and the hierarchy of a /proc/PID/cgroup line. */
static void test_mount_roots_options_and_lookup(void)
{
    static const char nested[] =
        "31 30 0:27 /outer /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "32 30 0:28 /outer /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
        "33 30 0:28 / /run/other rw - cgroup cgroup rw,xattr,name=systemd\n"
        "36 30 0:32 /outer /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n";
    struct cgroup_host host;
    hull_err *err = NULL;
    CHECK(cgroup_host_parse(&host, nested, "", NULL, &err) == 0);
    CHECK(host.n == 3); /* the second systemd mount is the same hierarchy */
    CHECK(strcmp(host.h[0].root, "/outer") == 0);
    CHECK(strcmp(host.h[0].options, "rw,cpu,cpuacct") == 0);
    CHECK(strcmp(host.h[1].mountpoint, "/sys/fs/cgroup/systemd") == 0);
    CHECK(strcmp(host.h[2].options, "rw,nsdelegate") == 0);
    CHECK(cgroup_host_find(&host, "cpu,cpuacct") == &host.h[0]);
    CHECK(cgroup_host_find(&host, "cpuacct,cpu") == &host.h[0]);
    CHECK(cgroup_host_find(&host, "name=systemd") == &host.h[1]);
    CHECK(cgroup_host_find(&host, "") == &host.h[2]);
    CHECK(cgroup_host_find(&host, "cpu") == NULL);
    CHECK(cgroup_host_find(&host, "memory") == NULL);
    cgroup_host_clear(&host);
}

static void test_unified_and_legacy_layouts(void)
{
    struct cgroup_host host;
    hull_err *err = NULL;
    const char v2[] = "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
    CHECK(cgroup_host_parse(&host, v2, "0::/init.scope\n", "cpuset cpu io memory pids\n", &err) ==
          0);
    CHECK(host.layout == CGROUP_LAYOUT_UNIFIED && host.n == 1);
    CHECK(host.h[0].controllers == (CG_BIT(CG_CPUSET) | CG_BIT(CG_CPU) | CG_BIT(CG_BLKIO) |
                                    CG_BIT(CG_MEMORY) | CG_BIT(CG_PIDS)));
    cgroup_host_clear(&host);

    /* Co-mounted cpu,cpuacct (the usual v1 layout); the hierarchy is listed once even when
     * mounted twice. */
    const char v1[] = "31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
                      "32 30 0:28 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
                      "40 30 0:27 / /mnt/again rw - cgroup cgroup rw,cpu,cpuacct\n";
    CHECK(cgroup_host_parse(&host, v1, "2:pids:/p\n1:cpu,cpuacct:/c\n", NULL, &err) == 0);
    CHECK(host.layout == CGROUP_LAYOUT_LEGACY && host.n == 2);
    CHECK(host.h[0].controllers == (CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT)));
    CHECK(strcmp(host.h[0].own, "/c") == 0 && strcmp(host.h[1].own, "/p") == 0);
    cgroup_host_clear(&host);
}

static void test_plan_rejects_bad_paths(void)
{
    struct cgroup_host host;
    hull_err *err = NULL;
    CHECK(cgroup_host_parse(&host, hybrid_mountinfo, hybrid_self, "", &err) == 0);
    const char *bad[] = {"/a/../b", "machine.slice:libpod:abc", "/", "a/./b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cgroup_set set;
        CHECK(cgroup_set_plan(&host, bad[i], "x", &set, &err) < 0);
        if (i == 1)
            CHECK(err && strstr(err->msg, "--systemd-cgroup") != NULL);
        hull_err_freep(&err);
    }
    cgroup_host_clear(&host);
}

static void check_same_set(const struct cgroup_set *back, const struct cgroup_set *set)
{
    CHECK(back->n == set->n && strcmp(back->path, set->path) == 0);
    for (size_t i = 0; i < set->n && i < back->n; i++) {
        CHECK(strcmp(back->dirs[i].path, set->dirs[i].path) == 0);
        CHECK(back->dirs[i].base_len == set->dirs[i].base_len);
        CHECK(back->dirs[i].v2 == set->dirs[i].v2);
        CHECK(back->dirs[i].controllers == set->dirs[i].controllers);
    }
}

/* The record the runtime keeps in state.json, and the cgroup.json of older states (the same
 * document in a file of its own). */
static void test_record_roundtrip_and_older_file(void)
{
    char tmpl[] = "/tmp/hull-cg-state-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL);
    int dirfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct cgroup_host host;
    hull_err *err = NULL;
    CHECK(cgroup_host_parse(&host, hybrid_mountinfo, hybrid_self, "hugetlb", &err) == 0);
    struct cgroup_set set, back;
    CHECK(cgroup_set_load(dirfd, &back, &err) == 0); /* no cgroup.json: no cgroups */
    CHECK(cgroup_set_plan(&host, "/x/y", "y", &set, &err) == 0);
    json_t *record = cgroup_set_to_json(&set);
    CHECK(cgroup_set_from_json(record, &back, &err) == 0);
    check_same_set(&back, &set);
    cgroup_set_clear(&back);
    char *text = json_dumps(record, JSON_COMPACT);
    CHECK(fs_replace_file_at(dirfd, "cgroup.json", text, strlen(text), 0600, &err) == 0);
    CHECK(cgroup_set_load(dirfd, &back, &err) == 1);
    check_same_set(&back, &set);
    cgroup_set_clear(&back);
    /* A malformed record is refused, not taken for an empty set. */
    json_t *bad =
        json_pack("{s:s, s:[{s:s, s:i}]}", "path", "/x", "dirs", "path", "/sys/x", "base", 99);
    CHECK(cgroup_set_from_json(bad, &back, &err) < 0 && err != NULL);
    hull_err_freep(&err);
    json_decref(bad);
    free(text);
    json_decref(record);
    cgroup_set_clear(&set);
    cgroup_host_clear(&host);
    unlinkat(dirfd, "cgroup.json", 0);
    close(dirfd);
    rmdir(tmpl);
}

static int parse(const char *text, struct hull_resources *r)
{
    json_t *doc = json_loads(text, 0, NULL);
    struct json_ctx c = {.file = "config.json"};
    hull_err *err = NULL;
    int rc = config_parse_resources_object(&c, doc, "linux.resources", r, &err);
    hull_err_free(err);
    json_decref(doc);
    return rc;
}

static void expect_check_error(const struct cgroup_set *set, const char *json, const char *needle)
{
    struct hull_resources r = {0};
    CHECK(parse(json, &r) == 0);
    hull_err *err = NULL;
    int rc = cgroup_check_resources(set, &r, "linux.resources", &err);
    CHECK(rc < 0);
    EXPECT_CONTAINS(err->msg, needle);
    hull_err_free(err);
    config_resources_clear(&r);
}

static void test_check_resources_against_the_host(void)
{
    struct cgroup_host host;
    hull_err *err = NULL;
    CHECK(cgroup_host_parse(&host, hybrid_mountinfo, hybrid_self, "hugetlb", &err) == 0);
    struct cgroup_set set;
    CHECK(cgroup_set_plan(&host, NULL, "c", &set, &err) == 0);
    expect_check_error(&set, "{\"network\":{\"classID\":3}}", "linux.resources.network.classID");
    expect_check_error(&set, "{\"pids\":{\"limit\":3}}", "linux.resources.pids");
    expect_check_error(&set, "{\"unified\":{\"memory.high\":\"1G\"}}",
                       "linux.resources.unified.memory.high");
    struct hull_resources ok = {0};
    CHECK(
        parse("{\"memory\":{\"limit\":1000000},\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
              "\"unified\":{\"hugetlb.2MB.max\":\"0\"},\"hugepageLimits\":[{\"pageSize\":\"2MB\","
              "\"limit\":0}]}",
              &ok) == 0);
    CHECK(cgroup_check_resources(&set, &ok, "linux.resources", &err) == 0);
    hull_err_freep(&err);
    config_resources_clear(&ok);
    cgroup_set_clear(&set);
    cgroup_host_clear(&host);

    /* On pure v2 the v1-only knobs are refused by name. */
    const char v2[] = "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    CHECK(cgroup_host_parse(&host, v2, "0::/\n", "cpu memory pids io", &err) == 0);
    CHECK(cgroup_set_plan(&host, NULL, "c", &set, &err) == 0);
    expect_check_error(&set, "{\"memory\":{\"swappiness\":10}}", "memory.swappiness");
    expect_check_error(&set, "{\"cpu\":{\"realtimeRuntime\":1000}}", "cpu.realtimeRuntime");
    expect_check_error(&set, "{\"blockIO\":{\"leafWeight\":100}}", "blockIO.leafWeight");
    cgroup_set_clear(&set);
    cgroup_host_clear(&host);
}

/* The cgroup mounts listed with statmount(2) (where the kernel has it) describe this host's
 * hierarchies exactly as /proc/self/mountinfo does. */
static void test_listed_mounts_match_mountinfo(void)
{
    char *listed = NULL, *mountinfo = NULL, *self = NULL, *given = NULL;
    size_t len;
    hull_err *err = NULL;
    CHECK(cgroup_mounts_text(NULL, &listed, &err) == 0);
    CHECK(fs_read_file("/proc/self/mountinfo", 0, &mountinfo, &len, &err) == 0);
    /* The same with /proc/self/cgroup as the caller read it. */
    CHECK(fs_read_file("/proc/self/cgroup", 0, &self, &len, &err) == 0);
    CHECK(cgroup_mounts_text(self, &given, &err) == 0);
    CHECK(strcmp(given, listed) == 0);
    free(given);
    free(self);
    struct cgroup_host a, b;
    CHECK(cgroup_host_parse(&a, listed, "", "", &err) == 0);
    CHECK(cgroup_host_parse(&b, mountinfo, "", "", &err) == 0);
    CHECK(a.n == b.n);
    CHECK(a.layout == b.layout);
    for (size_t i = 0; i < a.n && i < b.n; i++) {
        CHECK(strcmp(a.h[i].mountpoint, b.h[i].mountpoint) == 0);
        CHECK(strcmp(a.h[i].root, b.h[i].root) == 0);
        CHECK(a.h[i].v2 == b.h[i].v2);
        CHECK(a.h[i].controllers == b.h[i].controllers);
        CHECK((a.h[i].name == NULL) == (b.h[i].name == NULL));
        CHECK(a.h[i].name == NULL || strcmp(a.h[i].name, b.h[i].name) == 0);
        if (!a.h[i].v2)
            CHECK(strcmp(a.h[i].options, b.h[i].options) == 0);
    }
    cgroup_host_clear(&a);
    cgroup_host_clear(&b);
    free(listed);
    free(mountinfo);
}

/* A create that reuses its caller's detection plans from a deep copy: the same set, and the
 * copy outlives the original. */
static void test_host_copy_plans_the_same(void)
{
    struct cgroup_host host, copy;
    hull_err *err = NULL;
    CHECK(cgroup_host_parse(&host, hybrid_mountinfo, hybrid_self, "hugetlb misc\n", &err) == 0);
    CHECK(cgroup_host_copy(&copy, &host, &err) == 0);
    CHECK(copy.layout == host.layout && copy.n == host.n);
    for (size_t i = 0; i < host.n && i < copy.n; i++) {
        CHECK(copy.h[i].mountpoint != host.h[i].mountpoint);
        CHECK(strcmp(copy.h[i].mountpoint, host.h[i].mountpoint) == 0);
        CHECK(copy.h[i].controllers == host.h[i].controllers && copy.h[i].v2 == host.h[i].v2);
        CHECK((copy.h[i].name == NULL) == (host.h[i].name == NULL));
        CHECK((copy.h[i].own == NULL) == (host.h[i].own == NULL));
    }
    struct cgroup_set a, b;
    CHECK(cgroup_set_plan(&host, "pod/c3", "c3", &a, &err) == 0);
    cgroup_host_clear(&host);
    CHECK(cgroup_set_plan(&copy, "pod/c3", "c3", &b, &err) == 0);
    CHECK(a.n == b.n);
    for (size_t i = 0; i < a.n && i < b.n; i++)
        CHECK(strcmp(a.dirs[i].path, b.dirs[i].path) == 0);
    cgroup_set_clear(&a);
    cgroup_set_clear(&b);
    cgroup_host_clear(&copy);

    struct cgroup_host empty = {0};
    CHECK(cgroup_host_copy(&copy, &empty, &err) == 0);
    CHECK(copy.n == 0 && copy.h == NULL);
}

int main(void)
{
    RUN(test_hybrid_detection_and_default_path);
    RUN(test_mount_roots_options_and_lookup);
    RUN(test_unified_and_legacy_layouts);
    RUN(test_plan_rejects_bad_paths);
    RUN(test_record_roundtrip_and_older_file);
    RUN(test_check_resources_against_the_host);
    RUN(test_listed_mounts_match_mountinfo);
    RUN(test_host_copy_plans_the_same);
    TEST_EXIT();
}
