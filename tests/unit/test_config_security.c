/* oci/config_security.c: the seccomp and Landlock models parsed from JSON, and the errors that
 * name the field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "oci/config.h"
#include "oci/config_security.h"
#include "oci/json_read.h"

#define BASE                                                                                       \
    "{\"ociVersion\":\"1.2.0\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\",\"user\":"           \
    "{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"/tmp\"},\"linux\":{\"namespaces\":[{\"type\":"    \
    "\"mount\"}],%s}%s}"

static struct hull_config *parse(const char *linux_extra, const char *root_extra, hull_err **err)
{
    char doc[8192];
    snprintf(doc, sizeof doc, BASE, linux_extra, root_extra);
    struct hull_config *cfg = NULL;
    if (config_parse(doc, strlen(doc), "config.json", "/", CONFIG_LOAD_DEFAULT, &cfg, err) < 0)
        return NULL;
    return cfg;
}

static void expect_error(const char *linux_extra, const char *root_extra, const char *needle)
{
    hull_err *err = NULL;
    struct hull_config *cfg = parse(linux_extra, root_extra, &err);
    if (cfg != NULL) {
        fprintf(stderr, "parsed, wanted error containing `%s`\n", needle);
        check_failures++;
        config_free(cfg);
        return;
    }
    EXPECT_CONTAINS(err->msg, needle);
    hull_err_free(err);
}

static void test_seccomp_model(void)
{
    hull_err *err = NULL;
    struct hull_config *cfg =
        parse("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
              "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
              "\"listenerPath\":\"/run/agent.sock\",\"listenerMetadata\":\"m\",\"syscalls\":["
              "{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
              "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"},"
              "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
              "\"value\":8,\"valueTwo\":9,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
              "", &err);
    EXPECT(cfg != NULL);
    if (cfg == NULL) {
        fprintf(stderr, "%s\n", err->msg);
        hull_err_free(err);
        return;
    }
    const struct hull_seccomp *s = cfg->seccomp_profile;
    EXPECT(s != NULL);
    EXPECT(s->default_action == HULL_SCMP_ERRNO);
    EXPECT(s->has_default_errno_ret && s->default_errno_ret == 38);
    EXPECT(s->flags == HULL_SECCOMP_FLAG_LOG);
    EXPECT(s->n_rules == 3);
    EXPECT(strcmp(s->rules[0].names[1], "write") == 0);
    EXPECT(s->uses_notify);
    EXPECT(s->rules[2].n_args == 1 && s->rules[2].args[0].op == HULL_SCMP_CMP_MASKED_EQ &&
           s->rules[2].args[0].value == 8 && s->rules[2].args[0].value_two == 9);
    EXPECT(s->canonical && strstr(s->canonical, "\"defaultAction\":\"SCMP_ACT_ERRNO\""));
    config_free(cfg);
}

static void test_seccomp_errors(void)
{
    expect_error("\"seccomp\":{}", "", "linux.seccomp.defaultAction: missing");
    expect_error("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                 "[\"x\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":1,"
                 "\"op\":\"SCMP_CMP_NOPE\"}]}]}",
                 "", "linux.seccomp.syscalls[0].args[0].op: unknown operator `SCMP_CMP_NOPE`");
    expect_error("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                 "[\"close\"],\"action\":\"SCMP_ACT_NOTIFY\"}],\"listenerPath\":\"/x\"}",
                 "", "SCMP_ACT_NOTIFY on `close`");
}

static void test_landlock_model(void)
{
    hull_err *err = NULL;
    struct hull_config *cfg =
        parse("\"maskedPaths\":[]",
              ",\"annotations\":{\"run.hull.landlock\":\"{\\\"min_abi\\\":2,\\\"rules\\\":["
              "{\\\"path\\\":\\\"/usr\\\",\\\"access\\\":[\\\"read\\\",\\\"execute\\\"]},"
              "{\\\"ports\\\":[80,443],\\\"access\\\":[\\\"bind_tcp\\\"]}],\\\"scoped\\\":"
              "[\\\"signal\\\"]}\"}",
              &err);
    EXPECT(cfg != NULL);
    if (cfg == NULL) {
        fprintf(stderr, "%s\n", err->msg);
        hull_err_free(err);
        return;
    }
    const struct hull_landlock_policy *p = cfg->landlock;
    EXPECT(p && p->min_abi == 2 && p->n_rules == 2);
    EXPECT(p && strcmp(p->rules[0].path, "/usr") == 0 &&
           p->rules[0].access == (HULL_LL_READ | HULL_LL_EXECUTE));
    EXPECT(p && p->rules[1].n_ports == 2 && p->rules[1].ports[1] == 443 &&
           p->rules[1].access == HULL_LL_BIND_TCP);
    EXPECT(p && p->scoped == HULL_LL_SCOPE_SIGNAL);
    config_free(cfg);
}

static void test_proc_mounts(void)
{
    char mounts[512];
    snprintf(mounts, sizeof mounts,
             ",\"mounts\":[{\"destination\":\"/proc//self/../self/attr\",\"type\":\"bind\","
             "\"source\":\"/tmp\",\"options\":[\"bind\"]}]");
    expect_error("\"maskedPaths\":[]", mounts, "mounts[0].destination");
}

int main(void)
{
    test_seccomp_model();
    test_seccomp_errors();
    test_landlock_model();
    test_proc_mounts();
    TEST_EXIT();
}
