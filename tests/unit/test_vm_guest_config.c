/* Unit tests of the guest launch description codec (src/vm/guest_config.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm/guest_config.h"
#include "check.h"

static void test_round_trip_keeps_bytes_intact(void)
{
    char *argv[] = {"/bin/sh", "-c", "echo \"$@\"", "a b", "c=d", "", "line\nbreak", NULL};
    char *env[] = {"FOO=a b", "EQ=x=y=z", "EMPTY=", NULL};
    char *hosts[] = {"10.0.2.2 internal.example", NULL};
    struct vm_guest_config in = {.argv = argv,
                                 .env = env,
                                 .hosts = hosts,
                                 .cwd = "/srv x",
                                 .hostname = "vm1",
                                 .workspace = "/workspace",
                                 .net_user = true,
                                 .uid = 1000,
                                 .gid = 4294967294u};
    char *blob = NULL;
    size_t len = 0;
    CHECK(vm_guest_config_encode(&in, &blob, &len) == 0);
    struct vm_guest_config out;
    CHECK(vm_guest_config_decode(blob, len, &out) == 0);
    for (int i = 0; argv[i]; i++)
        CHECK(out.argv[i] && strcmp(out.argv[i], argv[i]) == 0);
    CHECK(out.argv[7] == NULL);
    for (int i = 0; env[i]; i++)
        CHECK(out.env[i] && strcmp(out.env[i], env[i]) == 0);
    CHECK(out.env[3] == NULL);
    CHECK(strcmp(out.hosts[0], hosts[0]) == 0 && out.hosts[1] == NULL);
    CHECK(strcmp(out.cwd, "/srv x") == 0);
    CHECK(strcmp(out.hostname, "vm1") == 0);
    CHECK(strcmp(out.workspace, "/workspace") == 0);
    CHECK(out.net_user);
    CHECK(out.uid == 1000 && out.gid == 4294967294u);
    vm_guest_config_free(&out);
    free(blob);
}

static void test_defaults_when_only_argv(void)
{
    char *argv[] = {"/bin/app", NULL};
    struct vm_guest_config in = {.argv = argv};
    char *blob = NULL;
    size_t len = 0;
    CHECK(vm_guest_config_encode(&in, &blob, &len) == 0);
    struct vm_guest_config out;
    CHECK(vm_guest_config_decode(blob, len, &out) == 0);
    CHECK(strcmp(out.cwd, "/") == 0);
    CHECK(out.env != NULL && out.env[0] == NULL);
    CHECK(out.hosts != NULL && out.hosts[0] == NULL);
    CHECK(out.hostname == NULL && !out.net_user && out.workspace == NULL);
    CHECK(out.uid == 0 && out.gid == 0);
    vm_guest_config_free(&out);
    free(blob);
}

static void test_encode_rejects_invalid(void)
{
    char *blob = NULL;
    size_t len;
    char *empty[] = {NULL};
    char *argv[] = {"/bin/app", NULL};
    char *bad_env[] = {"NOEQUALS", NULL};
    char *bad_env2[] = {"=value", NULL};
    char *bad_hosts[] = {"1.2.3.4 a\n5.6.7.8 b", NULL};
    struct vm_guest_config c = {.argv = empty};
    CHECK(vm_guest_config_encode(&c, &blob, &len) == -EINVAL);
    c = (struct vm_guest_config){.argv = argv, .env = bad_env};
    CHECK(vm_guest_config_encode(&c, &blob, &len) == -EINVAL);
    c = (struct vm_guest_config){.argv = argv, .env = bad_env2};
    CHECK(vm_guest_config_encode(&c, &blob, &len) == -EINVAL);
    c = (struct vm_guest_config){.argv = argv, .hosts = bad_hosts};
    CHECK(vm_guest_config_encode(&c, &blob, &len) == -EINVAL);
    CHECK(blob == NULL);
}

static void test_encode_rejects_oversized(void)
{
    size_t big = VM_GUEST_CONFIG_MAX_SIZE;
    char *huge = malloc(big + 1);
    memset(huge, 'x', big);
    huge[big] = '\0';
    char *argv[] = {huge, NULL};
    struct vm_guest_config c = {.argv = argv};
    char *blob = NULL;
    size_t len;
    CHECK(vm_guest_config_encode(&c, &blob, &len) == -E2BIG);
    CHECK(blob == NULL);
    free(huge);
}

static int decode_str(const char *data, size_t len)
{
    char *buf = malloc(len + 1);
    memcpy(buf, data, len);
    struct vm_guest_config out;
    int r = vm_guest_config_decode(buf, len, &out);
    if (r == 0)
        vm_guest_config_free(&out);
    free(buf);
    return r;
}

static void test_decode_rejects_malformed(void)
{
    CHECK(decode_str("", 0) == -EINVAL);                     /* no argv */
    CHECK(decode_str("a/bin/app", 9) == -EINVAL);            /* unterminated */
    CHECK(decode_str("a/bin/app\0zfoo\0", 15) == -EINVAL);   /* unknown tag */
    CHECK(decode_str("a/bin/app\0nslirp\0", 17) == -EINVAL); /* unknown network */
    CHECK(decode_str("eA=b\0", 5) == -EINVAL);               /* env but no argv */
    CHECK(decode_str("a/bin/app\0i1000\0", 16) == -EINVAL);  /* uid without gid */
    CHECK(decode_str("a/bin/app\0i-1 0\0", 16) == -EINVAL);  /* negative uid */
    CHECK(decode_str("a/bin/app\0i1 2x\0", 16) == -EINVAL);  /* trailing junk */
    CHECK(decode_str("a/bin/app\0wrel\0", 15) == -EINVAL);   /* relative workspace */
    CHECK(decode_str("a/bin/app\0w/ws\0", 15) == 0);
    CHECK(decode_str("a/bin/app\0i1 2\0", 15) == 0);
    CHECK(decode_str("a/bin/app\0", 10) == 0);
}

int main(void)
{
    test_round_trip_keeps_bytes_intact();
    test_defaults_when_only_argv();
    test_encode_rejects_invalid();
    test_encode_rejects_oversized();
    test_decode_rejects_malformed();
    TEST_EXIT();
}
