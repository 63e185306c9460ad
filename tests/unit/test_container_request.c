/* Unit tests of the `hull run` flag mini-languages (src/container/request.c), the capability
 * arithmetic of --cap-add/--cap-drop (bundle.c) and the log writer's JSON records and rotation
 * (monitor_io.c). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "container/bundle.h"
#include "monitor/monitor_io.h"
#include "container/request.h"

static void test_sizes(void)
{
    hull_err *err = NULL;
    long long v;
    CHECK(parse_size("10m", &v, &err) == 0 && v == 10ll << 20);
    CHECK(parse_size("512k", &v, &err) == 0 && v == 512 << 10);
    CHECK(parse_size("1.5G", &v, &err) == 0 && v == 3ll << 29);
    CHECK(parse_size("4096", &v, &err) == 0 && v == 4096);
    CHECK(parse_size("64mb", &v, &err) == 0 && v == 64ll << 20);
    CHECK_ERROR(parse_size("ten", &v, &err), &err, "invalid size `ten`");
    CHECK_ERROR(parse_size("10x", &v, &err), &err, "invalid size");
    CHECK_ERROR(parse_size("-1", &v, &err), &err, "invalid size");
}

static void test_restart(void)
{
    hull_err *err = NULL;
    const char *name;
    long n;
    CHECK(parse_restart_policy("no", &name, &n, &err) == 0 && strcmp(name, "no") == 0);
    CHECK(parse_restart_policy("on-failure", &name, &n, &err) == 0 && n == 0);
    CHECK(parse_restart_policy("on-failure:3", &name, &n, &err) == 0 && n == 3 &&
          strcmp(name, "on-failure") == 0);
    CHECK(parse_restart_policy("unless-stopped", &name, &n, &err) == 0);
    CHECK_ERROR(parse_restart_policy("on-failure:x", &name, &n, &err), &err, "retry count");
    CHECK_ERROR(parse_restart_policy("always:2", &name, &n, &err), &err, "invalid restart");
    CHECK_ERROR(parse_restart_policy("sometimes", &name, &n, &err), &err, "invalid restart");
}

static void test_volumes(void)
{
    hull_err *err = NULL;
    struct mount_request m;
    CHECK(parse_volume_flag("/host:/c:ro", &m, &err) == 0);
    CHECK(m.kind == MOUNT_BIND && strcmp(m.source, "/host") == 0 && strcmp(m.target, "/c") == 0 &&
          m.readonly);
    mount_request_clear(&m);
    CHECK(parse_volume_flag("data:/srv", &m, &err) == 0);
    CHECK(m.kind == MOUNT_VOLUME && strcmp(m.source, "data") == 0 && !m.readonly);
    mount_request_clear(&m);
    CHECK(parse_volume_flag("/anon", &m, &err) == 0);
    CHECK(m.kind == MOUNT_VOLUME && m.source == NULL && strcmp(m.target, "/anon") == 0);
    mount_request_clear(&m);
    CHECK(parse_volume_flag("./rel:/r", &m, &err) == 0);
    CHECK(m.kind == MOUNT_BIND && m.source[0] == '/' && strstr(m.source, "/./rel"));
    mount_request_clear(&m);
    CHECK_ERROR(parse_volume_flag("a:b", &m, &err), &err, "must be absolute");
    CHECK_ERROR(parse_volume_flag("/a:/b:rx", &m, &err), &err, "unknown option `rx`");
    CHECK_ERROR(parse_volume_flag("/a:/", &m, &err), &err, "cannot mount over");
    CHECK_ERROR(parse_volume_flag("/a:/x/../etc", &m, &err), &err, "`..` is not allowed");
    CHECK_ERROR(parse_volume_flag("b@d:/x", &m, &err), &err, "neither an absolute path");
    CHECK_ERROR(parse_volume_flag("/a::/b", &m, &err), &err, "expected SRC:DST");
}

static void test_mount_and_tmpfs(void)
{
    hull_err *err = NULL;
    struct mount_request m;
    CHECK(parse_mount_flag("type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1777", &m, &err) == 0);
    CHECK(m.kind == MOUNT_TMPFS && strcmp(m.tmpfs_options, "size=1048576,mode=1777") == 0);
    mount_request_clear(&m);
    CHECK(parse_mount_flag("type=volume,src=v1,dst=/v,readonly", &m, &err) == 0);
    CHECK(m.kind == MOUNT_VOLUME && m.readonly && strcmp(m.source, "v1") == 0);
    mount_request_clear(&m);
    CHECK(parse_mount_flag("type=bind,source=/s,target=/d,readonly=false", &m, &err) == 0);
    CHECK(m.kind == MOUNT_BIND && !m.readonly);
    mount_request_clear(&m);
    CHECK_ERROR(parse_mount_flag("source=/s,target=/d", &m, &err), &err, "type= is required");
    CHECK_ERROR(parse_mount_flag("type=bind,target=/d", &m, &err), &err, "needs source=");
    CHECK_ERROR(parse_mount_flag("type=nfs,target=/d", &m, &err), &err, "unknown type `nfs`");
    CHECK_ERROR(parse_mount_flag("type=bind,source=/s,target=/d,tmpfs-size=1m", &m, &err), &err,
                "need type=tmpfs");
    CHECK_ERROR(parse_mount_flag("type=tmpfs,target=/d,bogus=1", &m, &err), &err,
                "unknown or incomplete field `bogus`");
    CHECK(parse_tmpfs_flag("/run:size=64m,exec,ro", &m, &err) == 0);
    CHECK(m.readonly && strcmp(m.tmpfs_options, "size=64m,exec") == 0);
    mount_request_clear(&m);
    CHECK_ERROR(parse_tmpfs_flag("/run:bind", &m, &err), &err, "unsupported option `bind`");
    CHECK_ERROR(parse_tmpfs_flag("run", &m, &err), &err, "must be absolute");
}

static void test_devices(void)
{
    hull_err *err = NULL;
    struct device_request d;
    CHECK(parse_device_flag("/dev/fuse", &d, &err) == 0);
    CHECK(strcmp(d.host, "/dev/fuse") == 0 && strcmp(d.container, "/dev/fuse") == 0 &&
          strcmp(d.perms, "rwm") == 0);
    device_request_clear(&d);
    CHECK(parse_device_flag("/dev/sda:r", &d, &err) == 0);
    CHECK(strcmp(d.container, "/dev/sda") == 0 && strcmp(d.perms, "r") == 0);
    device_request_clear(&d);
    CHECK(parse_device_flag("/dev/sda:/dev/xvda", &d, &err) == 0);
    CHECK(strcmp(d.container, "/dev/xvda") == 0 && strcmp(d.perms, "rwm") == 0);
    device_request_clear(&d);
    CHECK(parse_device_flag("/dev/sda:/dev/xvda:mw", &d, &err) == 0);
    CHECK(strcmp(d.container, "/dev/xvda") == 0 && strcmp(d.perms, "mw") == 0);
    device_request_clear(&d);
    CHECK_ERROR(parse_device_flag("/dev/sda:/x:rr", &d, &err), &err, "invalid permissions `rr`");
    CHECK_ERROR(parse_device_flag("/dev/sda:/x:q", &d, &err), &err, "invalid permissions `q`");
    CHECK_ERROR(parse_device_flag("sda", &d, &err), &err, "host path `sda` must be absolute");
    CHECK_ERROR(parse_device_flag("/dev/sda:xvda", &d, &err), &err,
                "container path `xvda` must be absolute");
    CHECK_ERROR(parse_device_flag("/dev/sda:/dev/../etc/x", &d, &err), &err, "`..` is not allowed");
    CHECK_ERROR(parse_device_flag("/a:/b:r:x", &d, &err), &err, "expected HOST[:CONTAINER]");
    CHECK_ERROR(parse_device_flag("", &d, &err), &err, "expected HOST[:CONTAINER]");
}

static bool has(json_t *caps, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(caps, i, v)
    {
        if (strcmp(json_string_value(v), name) == 0)
            return true;
    }
    return false;
}

static void test_capabilities(void)
{
    hull_err *err = NULL;
    json_t *caps = NULL;
    json_t *add = json_pack("[s, s]", "net_admin", "CAP_SYS_TIME");
    json_t *drop = json_pack("[s]", "KILL");
    CHECK(container_capabilities(add, drop, &caps, &err) == 0);
    CHECK(has(caps, "CAP_NET_ADMIN") && has(caps, "CAP_SYS_TIME") && !has(caps, "CAP_KILL"));
    CHECK(has(caps, "CAP_AUDIT_WRITE") && json_array_size(caps) == 4);
    json_decref(caps);
    json_decref(add);
    json_decref(drop);
    add = json_pack("[s]", "chown");
    drop = json_pack("[s]", "all");
    CHECK(container_capabilities(add, drop, &caps, &err) == 0);
    CHECK(json_array_size(caps) == 1 && has(caps, "CAP_CHOWN"));
    json_decref(caps);
    json_decref(add);
    json_decref(drop);
    add = json_pack("[s]", "ALL");
    drop = json_pack("[s]", "CAP_SYS_ADMIN");
    CHECK(container_capabilities(add, drop, &caps, &err) == 0);
    CHECK(json_array_size(caps) > 30 && !has(caps, "CAP_SYS_ADMIN") && has(caps, "CAP_SYS_PTRACE"));
    json_decref(caps);
    json_decref(add);
    json_decref(drop);
    add = json_pack("[s]", "CAP_FLY");
    CHECK_ERROR(container_capabilities(add, NULL, &caps, &err), &err,
                "--cap-add: unknown capability `CAP_FLY`");
    json_decref(add);
}

static void test_log_writer(void)
{
    char dir[] = "/tmp/hull-test-log-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    struct log_writer w;
    CHECK(log_writer_open(&w, dfd, 200, 2) == 0);
    const char line[] = "tab\there \"quoted\" \\ \x01 \xff bad utf8, caf\xc3\xa9\n";
    CHECK(log_writer_line(&w, "stdout", line, sizeof line - 1) == 0);
    log_writer_close(&w);
    char buf[1024];
    int fd = openat(dfd, MONITOR_LOG_NAME, O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    CHECK(n > 0);
    buf[n] = '\0';
    json_error_t je;
    json_t *rec = json_loads(buf, 0, &je);
    CHECK(rec != NULL);
    CHECK(strcmp(json_string_value(json_object_get(rec, "log")),
                 "tab\there \"quoted\" \\ \x01 \xef\xbf\xbd bad utf8, caf\xc3\xa9\n") == 0);
    CHECK(strcmp(json_string_value(json_object_get(rec, "stream")), "stdout") == 0);
    json_decref(rec);
    /* Rotation: files stay under 200 bytes, two kept. */
    CHECK(log_writer_open(&w, dfd, 200, 2) == 0);
    for (int i = 0; i < 20; i++)
        CHECK(log_writer_line(&w, "stderr", "0123456789\n", 11) == 0);
    log_writer_close(&w);
    struct stat st;
    CHECK(fstatat(dfd, MONITOR_LOG_NAME, &st, 0) == 0 && st.st_size <= 200);
    CHECK(fstatat(dfd, MONITOR_LOG_NAME ".1", &st, 0) == 0 && st.st_size <= 200);
    CHECK(fstatat(dfd, MONITOR_LOG_NAME ".2", &st, 0) < 0);
    unlinkat(dfd, MONITOR_LOG_NAME, 0);
    unlinkat(dfd, MONITOR_LOG_NAME ".1", 0);
    close(dfd);
    rmdir(dir);
}

static void test_restart_decision(void)
{
    CHECK(!monitor_should_restart("no", 1, 0, 0));
    CHECK(monitor_should_restart("on-failure", 1, 2, 3));
    CHECK(!monitor_should_restart("on-failure", 1, 3, 3));
    CHECK(!monitor_should_restart("on-failure", 0, 0, 3));
    CHECK(monitor_should_restart("on-failure", 2, 100, 0));
    CHECK(monitor_should_restart("always", 0, 100, 0));
    setenv("HULL_RESTART_BACKOFF_MS", "10", 1);
    setenv("HULL_RESTART_BACKOFF_MAX_MS", "50", 1);
    CHECK(monitor_backoff_ms(0) == 10 && monitor_backoff_ms(1) == 20 &&
          monitor_backoff_ms(2) == 40);
    CHECK(monitor_backoff_ms(3) == 50 && monitor_backoff_ms(60) == 50);
}

static void test_sysctl_and_ulimit(void)
{
    hull_err *err = NULL;
    CHECK(parse_sysctl_flag("net.ipv4.ip_forward=1", &err) == 0);
    CHECK(parse_sysctl_flag("fs.mqueue.msg_max=20", &err) == 0);
    CHECK(parse_sysctl_flag("kernel.shm_rmid_forced=1", &err) == 0);
    CHECK_ERROR(parse_sysctl_flag("kernel.shm_rmid=1", &err), &err,
                "sysctl 'kernel.shm_rmid=1' is not allowed");
    CHECK_ERROR(parse_sysctl_flag("kernel.hostname=x", &err), &err, "is not allowed");
    CHECK_ERROR(parse_sysctl_flag("net.ipv4.ip_forward", &err), &err, "is not allowed");
    CHECK_ERROR(parse_sysctl_flag("=1", &err), &err, "is not allowed");
    const char *rl;
    unsigned long long soft, hard;
    CHECK(parse_ulimit_flag("nofile=10:20", &rl, &soft, &hard, &err) == 0 &&
          strcmp(rl, "RLIMIT_NOFILE") == 0 && soft == 10 && hard == 20);
    CHECK(parse_ulimit_flag("core=0", &rl, &soft, &hard, &err) == 0 &&
          strcmp(rl, "RLIMIT_CORE") == 0 && soft == 0 && hard == 0);
    CHECK_ERROR(parse_ulimit_flag("nofile", &rl, &soft, &hard, &err), &err,
                "invalid ulimit argument: nofile");
    CHECK_ERROR(parse_ulimit_flag("files=1", &rl, &soft, &hard, &err), &err,
                "invalid ulimit type: files");
    CHECK_ERROR(parse_ulimit_flag("nofile=-1", &rl, &soft, &hard, &err), &err,
                "invalid ulimit soft value -1");
    CHECK_ERROR(parse_ulimit_flag("nofile=1:", &rl, &soft, &hard, &err), &err,
                "invalid ulimit hard value");
    CHECK_ERROR(parse_ulimit_flag("nofile=1:2:3", &rl, &soft, &hard, &err), &err,
                "too many limit value arguments");
    CHECK_ERROR(parse_ulimit_flag("nofile=3:2", &rl, &soft, &hard, &err), &err,
                "ulimit soft limit must be less than or equal to hard limit: 3 > 2");
}

int main(void)
{
    test_sizes();
    test_sysctl_and_ulimit();
    test_restart();
    test_volumes();
    test_mount_and_tmpfs();
    test_devices();
    test_capabilities();
    test_log_writer();
    test_restart_decision();
    return 0;
}
