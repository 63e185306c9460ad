/* linux/seccomp_trace.c: the tracing profile, the listener against a real user-notification
 * filter (a forked child that hands its notify fd over the socket, as the runtime does, then
 * makes three getppid calls that must go on and be counted), a serve cancelled before any
 * connection, and the trace file -> `hull seccomp generate` profile round trip. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "linux/seccomp_trace.h"

static char dir[] = "/tmp/hull-test-seccomp-trace-XXXXXX";

static bool has_name(json_t *names, const char *want)
{
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (strcmp(json_string_value(v), want) == 0)
            return true;
    }
    return false;
}

static void test_profile(void)
{
    json_t *p = seccomp_trace_profile("/run/x.sock");
    EXPECT_STREQ(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ALLOW");
    EXPECT_STREQ(json_string_value(json_object_get(p, "listenerPath")), "/run/x.sock");
    json_t *rule = json_array_get(json_object_get(p, "syscalls"), 0);
    EXPECT_STREQ(json_string_value(json_object_get(rule, "action")), "SCMP_ACT_NOTIFY");
    json_t *names = json_object_get(rule, "names");
    EXPECT(has_name(names, "execve") && has_name(names, "getppid"));
    /* The runtime hands the notify fd over with these after installing the filter. */
    EXPECT(!has_name(names, "sendmsg") && !has_name(names, "close"));
    json_decref(p);
}

/* What the runtime's container process does: connect, install a notifying filter, send the
 * notify fd, then run the workload. */
static void __attribute__((noreturn)) traced_child(const char *sock)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, sock);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        _exit(10);
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getppid), 0) < 0 ||
        seccomp_load(ctx) < 0)
        _exit(11);
    int nfd = seccomp_notify_fd(ctx);
    char byte = 's';
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &nfd, sizeof(int));
    if (nfd < 0 || sendmsg(s, &m, 0) != 1)
        _exit(12);
    close(nfd);
    pid_t parent = (pid_t)syscall(SYS_getppid);
    for (int i = 0; i < 2; i++)
        if ((pid_t)syscall(SYS_getppid) != parent || parent <= 1)
            _exit(13); /* the call did not go on as without a filter */
    _exit(0);
}

static void test_listener_counts(void)
{
    char sock[256], trace[256];
    snprintf(sock, sizeof sock, "%s/s.sock", dir);
    snprintf(trace, sizeof trace, "%s/trace.json", dir);
    struct seccomp_trace t;
    hull_err *err = NULL;
    CHECK(seccomp_trace_begin(&t, sock, NULL, &err) == 0);
    CHECK(seccomp_trace_start(&t, &err) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        traced_child(sock);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(seccomp_trace_stop(&t, &err) == 0);
    json_t *getppid = json_object_get(t.calls, "getppid");
    EXPECT(json_integer_value(json_object_get(getppid, "count")) == 3);
    EXPECT(json_array_size(json_object_get(getppid, "first_args")) == 6);
    CHECK(seccomp_trace_write(&t, trace, &err) == 0);
    seccomp_trace_clear(&t);
    EXPECT(access(sock, F_OK) < 0); /* the socket goes with the tracer */

    json_t *profile = NULL;
    CHECK(seccomp_trace_generate(trace, &profile, &err) == 0);
    EXPECT_STREQ(json_string_value(json_object_get(profile, "defaultAction")), "SCMP_ACT_ERRNO");
    EXPECT(json_integer_value(json_object_get(profile, "defaultErrnoRet")) == ENOSYS);
    json_t *names =
        json_object_get(json_array_get(json_object_get(profile, "syscalls"), 0), "names");
    EXPECT(has_name(names, "getppid") && has_name(names, "sendmsg") && has_name(names, "close"));
    EXPECT(!has_name(names, "execve"));
    json_decref(profile);
}

static void test_serve_cancelled(void)
{
    char sock[256];
    snprintf(sock, sizeof sock, "%s/c.sock", dir);
    struct seccomp_trace t;
    hull_err *err = NULL;
    CHECK(seccomp_trace_begin(&t, sock, NULL, &err) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    close(p[1]); /* the start is over and nobody connected */
    CHECK_ERROR(seccomp_trace_serve(&t, p[0], &err), &err, "never connected");
    close(p[0]);
    seccomp_trace_clear(&t);
}

static void test_generate_bad(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("{\"format\": \"x\"}", f);
    fclose(f);
    json_t *profile = NULL;
    hull_err *err = NULL;
    CHECK_ERROR(seccomp_trace_generate(path, &profile, &err), &err, "not a seccomp trace");
    CHECK_ERROR(seccomp_trace_generate("/nonexistent/t.json", &profile, &err), &err,
                "/nonexistent/t.json");
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    RUN(test_profile);
    RUN(test_listener_counts);
    RUN(test_serve_cancelled);
    RUN(test_generate_bad);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    TEST_EXIT();
}
