/* linux.resources parsing: the model, runc's "0 means unset" reading, and errors that name the
 * JSON path of the bad field. */
#include <string.h>

#include "check.h"
#include "oci/config.h"
#include "oci/json_read.h"

static int parse(const char *text, struct hull_resources *r, char **msg)
{
    json_t *doc = json_loads(text, 0, NULL);
    struct json_ctx c = {.file = "config.json"};
    hull_err *err = NULL;
    int rc = config_parse_resources_object(&c, doc, "linux.resources", r, &err);
    if (msg)
        *msg = err ? strdup(err->msg) : NULL;
    hull_err_free(err);
    json_decref(doc);
    return rc;
}

static void test_full_document(void)
{
    struct hull_resources r = {0};
    CHECK(parse("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\","
                "\"major\":136,\"access\":\"rw\"}],\"memory\":{\"limit\":1073741824,\"swap\":0,"
                "\"kernel\":-1,\"disableOOMKiller\":false},\"cpu\":{\"shares\":0,\"quota\":-1,"
                "\"cpus\":\"0-3,5\"},\"pids\":{\"limit\":0},\"blockIO\":{\"weight\":0,"
                "\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":200}]},"
                "\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\","
                "\"priority\":5}]},\"unified\":{\"io.weight\":\"50\"}}",
                &r, NULL) == 0);
    CHECK(r.has_devices && r.n_devices == 2);
    CHECK(!r.devices[0].allow && r.devices[0].type == 'a' && r.devices[0].major == -1);
    CHECK(r.devices[1].type == 'c' && r.devices[1].major == 136 && r.devices[1].minor == -1);
    CHECK(r.devices[1].access == (HULL_DEV_READ | HULL_DEV_WRITE));
    CHECK(r.memory.limit.set && r.memory.limit.v == 1073741824);
    CHECK(!r.memory.swap.set); /* 0 = unset, as runc reads it */
    CHECK(r.memory.kernel.set && r.memory.kernel.v == -1);
    CHECK(r.memory.has_disable_oom_killer && !r.memory.disable_oom_killer);
    CHECK(!r.cpu.shares.set && r.cpu.quota.set && r.cpu.quota.v == -1);
    CHECK(strcmp(r.cpu.cpus, "0-3,5") == 0);
    CHECK(r.pids_limit.set && r.pids_limit.v == 0);
    CHECK(!r.block_io.weight.set && r.block_io.n_weight_devices == 1);
    CHECK(r.net_class_id.set && r.n_net_priorities == 1);
    CHECK(r.n_unified == 1 && strcmp(r.unified[0], "io.weight") == 0);
    config_resources_clear(&r);
}

static void expect_error(const char *doc, const char *path)
{
    struct hull_resources r = {0};
    char *msg = NULL;
    CHECK(parse(doc, &r, &msg) < 0);
    EXPECT_CONTAINS(msg, path);
    free(msg);
    config_resources_clear(&r);
}

static void test_errors_name_the_field(void)
{
    expect_error("{\"devices\":[{\"access\":\"rwm\"}]}", "linux.resources.devices[0]");
    expect_error("{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}",
                 "linux.resources.devices[0].access");
    expect_error("{\"memory\":{\"limit\":-2}}", "linux.resources.memory.limit");
    expect_error("{\"memory\":{\"limit\":200,\"swap\":100}}", "linux.resources.memory.swap");
    expect_error("{\"memory\":{\"swappiness\":200}}", "linux.resources.memory.swappiness");
    expect_error("{\"memory\":{\"useHierarchy\":false}}", "linux.resources.memory.useHierarchy");
    expect_error("{\"cpu\":{\"shares\":1}}", "linux.resources.cpu.shares");
    expect_error("{\"cpu\":{\"quota\":10}}", "linux.resources.cpu.quota");
    expect_error("{\"cpu\":{\"period\":100}}", "linux.resources.cpu.period");
    expect_error("{\"cpu\":{\"cpus\":\"all\"}}", "linux.resources.cpu.cpus");
    expect_error("{\"cpu\":{\"idle\":2}}", "linux.resources.cpu.idle");
    expect_error("{\"pids\":{}}", "linux.resources.pids");
    expect_error("{\"blockIO\":{\"weight\":5}}", "linux.resources.blockIO.weight");
    expect_error("{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"rate\":1}]}}",
                 "linux.resources.blockIO.throttleReadBpsDevice[0]");
    expect_error("{\"hugepageLimits\":[{\"pageSize\":\"2M\",\"limit\":1}]}",
                 "linux.resources.hugepageLimits[0]");
    expect_error("{\"unified\":{\"../escape\":\"1\"}}", "linux.resources.unified.../escape");
    expect_error("{\"unified\":{\"cgroup.procs\":\"1\"}}", "linux.resources.unified.cgroup.procs");
    expect_error("{\"unified\":{\"memory.max\":5}}", "linux.resources.unified.memory.max");
    expect_error("{\"rdma\":{\"mlx\":{\"hcaHandles\":-1}}}", "linux.resources.rdma.mlx.hcaHandles");
}

int main(void)
{
    RUN(test_full_document);
    RUN(test_errors_name_the_field);
    TEST_EXIT();
}
