/* Unit tests for oci/config.c: parsing, validation and the messages users see. */
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "check.h"
#include "oci/config.h"
#include "util/cleanup.h"

static const char *bundle = "/";

static struct hull_config *parse_ok(const char *text)
{
    struct hull_config *cfg = NULL;
    hull_err *err = NULL;
    if (config_parse(text, strlen(text), "config.json", bundle, CONFIG_LOAD_DEFAULT, &cfg, &err) <
        0) {
        fprintf(stderr, "unexpected error: %s\n  for %s\n", err->msg, text);
        exit(1);
    }
    return cfg;
}

static void parse_fails(const char *text, const char *needle)
{
    struct hull_config *cfg = NULL;
    hull_err *err = NULL;
    CHECK_ERROR(
        config_parse(text, strlen(text), "config.json", bundle, CONFIG_LOAD_DEFAULT, &cfg, &err),
        &err, needle);
    CHECK(cfg == NULL);
}

#define BASE_PROCESS "\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\"}"
#define BASE_ROOT    "\"root\":{\"path\":\"/tmp\"}"
#define BASE_NS      "\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"pid\"},{\"type\":\"uts\"}]"

static void test_minimal(void)
{
    cleanup_config struct hull_config *cfg =
        parse_ok("{\"ociVersion\":\"1.3.0\"," BASE_PROCESS "," BASE_ROOT ",\"hostname\":\"h\","
                 "\"linux\":{" BASE_NS "}}");
    CHECK(strcmp(cfg->oci_version, "1.3.0") == 0);
    CHECK(strcmp(cfg->process.args[0], "/bin/true") == 0);
    CHECK(cfg->clone_flags == (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS));
    CHECK(strcmp(cfg->hostname, "h") == 0);
    CHECK(strcmp(cfg->root_path, "/tmp") == 0);
}

static void test_mount_options(void)
{
    struct hull_mount m = {0};
    char *opts[] = {"nosuid",  "ro",       "rw",  "nodev",   "rbind", "rslave",
                    "size=1m", "mode=755", "rro", "rnoexec", NULL};
    m.options = opts;
    m.type = "bind";
    hull_err *err = NULL;
    CHECK(config_parse_mount_options(&m, "mounts[0]", "config.json", &err) == 0);
    CHECK(m.bind && m.recursive_bind);
    CHECK(m.flags == (MS_NOSUID | MS_NODEV)); /* rw cleared ro */
    CHECK(m.propagation == (MS_SLAVE | MS_REC));
    CHECK(strcmp(m.data, "size=1m,mode=755") == 0);
    CHECK(m.attr_set == (0x1 | 0x8));
    free(m.data);
}

static void test_rlimits_and_caps(void)
{
    cleanup_config struct hull_config *cfg = parse_ok(
        "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/tmp\"},\"process\":{\"args\":[\"x\"],"
        "\"cwd\":\"/tmp\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":20}],"
        "\"capabilities\":{\"bounding\":[\"CAP_KILL\"]},\"oomScoreAdj\":100,"
        "\"user\":{\"uid\":5,\"gid\":6,\"additionalGids\":[7,8],\"umask\":18}},"
        "\"linux\":{" BASE_NS "}}");
    CHECK(cfg->process.n_rlimits == 1 && cfg->process.rlimits[0].resource == RLIMIT_NOFILE);
    CHECK(cfg->process.rlimits[0].soft == 10 && cfg->process.rlimits[0].hard == 20);
    CHECK(cfg->process.has_capabilities && strcmp(cfg->process.caps.bounding[0], "CAP_KILL") == 0);
    CHECK(cfg->process.caps.effective == NULL);
    CHECK(cfg->process.oom_score_adj == 100);
    CHECK(cfg->process.uid == 5 && cfg->process.gid == 6 && cfg->process.n_additional_gids == 2);
    CHECK(cfg->process.has_umask && cfg->process.umask == 18);
}

static void test_errors(void)
{
    parse_fails("[]", "config.json: (document): expected a JSON object");
    parse_fails("{", "config.json: invalid JSON at line");
    parse_fails("{\"ociVersion\":\"2.0.0\"," BASE_PROCESS "," BASE_ROOT "}",
                "ociVersion: unsupported version `2.0.0`");
    parse_fails("{" BASE_PROCESS "," BASE_ROOT "}", "config.json: ociVersion: missing");
    parse_fails("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":\"sh\",\"cwd\":\"/\"}," BASE_ROOT
                "}",
                "config.json: process.args: expected array of strings");
    parse_fails("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[],\"cwd\":\"/\"}," BASE_ROOT "}",
                "process.args: must contain at least one element");
    parse_fails(
        "{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"rel\"}," BASE_ROOT "}",
        "process.cwd: `rel` is not an absolute path");
    parse_fails("{\"ociVersion\":\"1.0.0\"," BASE_PROCESS
                ",\"root\":{\"path\":\"/nonexistent-x\"}}",
                "root.path: `/nonexistent-x`: No such file or directory");
    parse_fails("{\"ociVersion\":\"1.0.0\"," BASE_PROCESS "," BASE_ROOT
                ",\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}}",
                "linux.namespaces[0].type: unknown namespace type `bogus`");
    parse_fails("{\"ociVersion\":\"1.0.0\"," BASE_PROCESS "," BASE_ROOT
                ",\"mounts\":[{\"destination\":\"tmp\",\"type\":\"tmpfs\"}],\"linux\":{" BASE_NS
                "}}",
                "mounts[0].destination: `tmp` is not an absolute path");
    parse_fails("{\"ociVersion\":\"1.0.0\"," BASE_PROCESS "," BASE_ROOT
                ",\"hostname\":\"x\",\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}",
                "config.json: hostname: needs a uts namespace");
    parse_fails("{\"ociVersion\":\"1.0.0\"," BASE_PROCESS "," BASE_ROOT ",\"linux\":{" BASE_NS
                ",\"sysctl\":{\"kernel.panic\":\"1\"}}}",
                "linux.sysctl.kernel.panic: not a namespaced sysctl");
    parse_fails("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\","
                "\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]}," BASE_ROOT "}",
                "process.rlimits[0].type: unknown rlimit `RLIMIT_BOGUS`");
    parse_fails("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\","
                "\"env\":[\"NOEQUALS\"]}," BASE_ROOT "}",
                "process.env: `NOEQUALS` is not of the form KEY=VALUE");
    parse_fails("{\"ociVersion\":\"1.0.0\"," BASE_PROCESS "," BASE_ROOT ",\"linux\":{" BASE_NS
                ",\"devices\":[{\"path\":\"/dev/../x\",\"type\":\"c\",\"major\":1,\"minor\":3}]}}",
                "linux.devices[0].path: `/dev/../x`: not a file path (`/` or `..`)");
    parse_fails("{\"ociVersion\":\"1.0.0\"," BASE_PROCESS "," BASE_ROOT ",\"linux\":{"
                "\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"user\"}]}}",
                "a new user namespace needs uidMappings and gidMappings");
    parse_fails("{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\","
                "\"oomScoreAdj\":5000}," BASE_ROOT "}",
                "process.oomScoreAdj: 5000 is outside -1000..1000");
    parse_fails("{\"ociVersion\":\"1.0.0\"," BASE_PROCESS "," BASE_ROOT ",\"linux\":{" BASE_NS
                ",\"timeOffsets\":{\"monotonic\":{\"secs\":1}}}}",
                "linux.timeOffsets: needs a new time namespace");
    parse_fails("{\"ociVersion\":\"1.0.0\"," BASE_PROCESS "," BASE_ROOT
                ",\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}}",
                "hooks.prestart[0].path: must be an absolute path");
}

#define SCHED_PROCESS(x)                                                                           \
    "{\"ociVersion\":\"1.3.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"," x "}," BASE_ROOT      \
    ",\"linux\":{" BASE_NS "}}"

static void test_scheduler_io_priority_memory_policy(void)
{
    cleanup_config struct hull_config *cfg = parse_ok(
        SCHED_PROCESS("\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":2000,\"deadline\":"
                      "5000,\"flags\":[\"SCHED_FLAG_RESET_ON_FORK\"]},\"ioPriority\":{\"class\":"
                      "\"IOPRIO_CLASS_IDLE\",\"priority\":2}"));
    CHECK(cfg->process.has_scheduler && cfg->process.scheduler.policy == 6);
    CHECK(cfg->process.scheduler.runtime == 2000 && cfg->process.scheduler.deadline == 5000);
    CHECK(cfg->process.scheduler.period == 0 && cfg->process.scheduler.flags == 1);
    CHECK(cfg->process.has_io_priority && cfg->process.io_priority == ((3 << 13) | 2));
    parse_fails(SCHED_PROCESS("\"scheduler\":{\"nice\":1}"), "process.scheduler.policy: missing");
    parse_fails(SCHED_PROCESS("\"scheduler\":{\"policy\":\"SCHED_ISO\"}"),
                "SCHED_ISO is not implemented by Linux");
    parse_fails(SCHED_PROCESS("\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":20}"),
                "process.scheduler.nice: 20 is outside -20..19");
    parse_fails(SCHED_PROCESS("\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":"
                              "2000,\"deadline\":5000,\"period\":4000}"),
                "process.scheduler.period: 4000 is below the deadline 5000");
    parse_fails(SCHED_PROCESS("\"scheduler\":{\"policy\":\"SCHED_RR\",\"priority\":5,"
                              "\"flags\":[\"SCHED_FLAG_NOPE\"]}"),
                "process.scheduler.flags: unknown flag `SCHED_FLAG_NOPE`");
    parse_fails(SCHED_PROCESS("\"ioPriority\":{\"priority\":1}"),
                "process.ioPriority.class: missing");

    const char *mp = "{\"ociVersion\":\"1.3.0\"," BASE_PROCESS "," BASE_ROOT ",\"linux\":{" BASE_NS
                     ",\"memoryPolicy\":{\"mode\":\"MPOL_INTERLEAVE\",\"nodes\":\"0-2,5\","
                     "\"flags\":[\"MPOL_F_STATIC_NODES\"]}}}";
    cleanup_config struct hull_config *m = parse_ok(mp);
    CHECK(m->has_memory_policy && m->memory_policy.mode == 3);
    CHECK(m->memory_policy.nodes[0] == 0x27 && m->memory_policy.maxnode == 7);
    CHECK(m->memory_policy.flags == (1u << 15));
    parse_fails("{\"ociVersion\":\"1.3.0\"," BASE_PROCESS "," BASE_ROOT ",\"linux\":{" BASE_NS
                ",\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"4096\"}}}",
                "linux.memoryPolicy.nodes: `4096`: a node above 1023");
    parse_fails("{\"ociVersion\":\"1.3.0\"," BASE_PROCESS "," BASE_ROOT ",\"linux\":{" BASE_NS
                ",\"memoryPolicy\":{\"mode\":\"MPOL_LOCAL\",\"flags\":"
                "[\"MPOL_F_STATIC_NODES\"]}}}",
                "linux.memoryPolicy.flags: MPOL_LOCAL takes no flags");
    parse_fails("{\"ociVersion\":\"1.3.0\"," BASE_PROCESS "," BASE_ROOT ",\"linux\":{" BASE_NS
                ",\"memoryPolicy\":{\"mode\":\"MPOL_INTERLEAVE\",\"nodes\":\"0\",\"flags\":"
                "[\"MPOL_F_NUMA_BALANCING\"]}}}",
                "MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY");
}

int main(void)
{
    test_minimal();
    test_mount_options();
    test_rlimits_and_caps();
    test_errors();
    test_scheduler_io_priority_memory_policy();
    puts("ok");
    return 0;
}
