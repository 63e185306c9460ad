/* The escape battery: run inside a container (statically linked, no libc needed in the
 * rootfs), it attempts what a hostile workload would and prints one line per attempt,
 * "<name> <result>", where result is the errno name, "OK" when the attempt succeeded, or
 * "bytes=N" for reads. tests/e2e/test_security_battery.py asserts on every line.
 *
 * usage: escape-battery default | devices DIR | landlock ALLOWED_PORT DENIED_PORT | euid |
 *        mkdir PATH MODE
 *
 * `devices DIR` (and `default`, with /hostile) opens every device node in DIR, as an image
 * could ship them (kmsg, /dev/mem, a loop or host disk node), for reading and for writing:
 * "dev_<name>_read <result>", "dev_<name>_write <result>". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errname(int e)
{
    switch (e) {
    case 0:
        return "OK";
    case EPERM:
        return "EPERM";
    case EACCES:
        return "EACCES";
    case EROFS:
        return "EROFS";
    case ETXTBSY:
        return "ETXTBSY";
    case ENOENT:
        return "ENOENT";
    case ENOSYS:
        return "ENOSYS";
    case EINVAL:
        return "EINVAL";
    case ECONNREFUSED:
        return "ECONNREFUSED";
    case ENETUNREACH:
        return "ENETUNREACH";
    case EBUSY:
        return "EBUSY";
    case ENOTDIR:
        return "ENOTDIR";
    case EAFNOSUPPORT:
        return "EAFNOSUPPORT";
    case ENOSPC:
        return "ENOSPC";
    case EOPNOTSUPP:
        return "EOPNOTSUPP";
    case ENXIO:
        return "ENXIO";
    case ENODEV:
        return "ENODEV";
    }
    static char buf[32];
    snprintf(buf, sizeof buf, "errno%d", e);
    return buf;
}

static void report(const char *name, long rc)
{
    printf("%s %s\n", name, errname(rc < 0 ? errno : 0));
    fflush(stdout);
}

static void report_open(const char *name, const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    report(name, fd);
    if (fd >= 0)
        close(fd);
}

static void report_read(const char *name, const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        report(name, -1);
        return;
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0)
        report(name, -1);
    else
        printf("%s bytes=%zd\n", name, n);
    fflush(stdout);
}

/* ptrace PID 1 from a child: attaching to oneself is refused for other reasons. */
static void ptrace_pid1(void)
{
    int p[2];
    if (pipe(p) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        long r = ptrace(PTRACE_ATTACH, 1, NULL, NULL);
        int e = r < 0 ? errno : 0;
        if (r == 0)
            ptrace(PTRACE_DETACH, 1, NULL, NULL);
        (void)!write(p[1], &e, sizeof e);
        _exit(0);
    }
    int e = -1;
    (void)!read(p[0], &e, sizeof e);
    waitpid(pid, NULL, 0);
    errno = e;
    report("ptrace_pid1", e ? -1 : 0);
}

static void clone_newuser(void)
{
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    report("clone_newuser", pid);
}

static int tcp_connect(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(s);
    errno = e;
    return r;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_devices(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (name[0] != '.') {
            char path[512], label[300];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            snprintf(label, sizeof label, "dev_%s_read", name);
            report_open(label, path, O_RDONLY | O_NONBLOCK);
            snprintf(label, sizeof label, "dev_%s_write", name);
            report_open(label, path, O_WRONLY | O_NONBLOCK);
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    return 0;
}

static int run_default(void)
{
    report("mount", mount("tmpfs", "/mnt", "tmpfs", 0, NULL));
    report("umount", umount2("/proc", MNT_DETACH));
    report("pivot_root", syscall(SYS_pivot_root, "/", "/"));
    report("unshare_user", unshare(CLONE_NEWUSER));
    clone_newuser();
    report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
    ptrace_pid1();
    report_open("write_proc_sys", "/proc/sys/kernel/hostname", O_WRONLY);
    report_open("write_sysrq", "/proc/sysrq-trigger", O_WRONLY);
    report_open("write_sys", "/sys/kernel/hull-battery", O_WRONLY | O_CREAT);
    report_read("read_kcore", "/proc/kcore");
    report_read("read_keys", "/proc/keys");
    report_read("read_timer_list", "/proc/timer_list");
    report("raw_socket", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
    int fd = open("/tmp/battery-chown", O_CREAT | O_WRONLY, 0644);
    if (fd >= 0)
        close(fd);
    report("chown", chown("/tmp/battery-chown", 1000, 1000));
    report("setns", syscall(SYS_setns, -1, 0));
    report("bpf", syscall(SYS_bpf, 0, NULL, 0));
    report("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL));
    return run_devices("/hostile");
}

static int run_landlock(int allowed, int denied)
{
    report_open("landlock_read_denied", "/root/secret", O_RDONLY);
    report_open("landlock_read_allowed", "/etc/passwd", O_RDONLY);
    report_open("landlock_write_denied", "/data/new-file", O_WRONLY | O_CREAT);
    report_open("landlock_write_allowed", "/tmp/new-file", O_WRONLY | O_CREAT);
    report("landlock_connect_denied", tcp_connect(denied));
    report("landlock_connect_allowed", tcp_connect(allowed));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "default") == 0)
        return run_default();
    if (argc >= 3 && strcmp(argv[1], "devices") == 0)
        return run_devices(argv[2]);
    if (argc >= 4 && strcmp(argv[1], "landlock") == 0)
        return run_landlock((int)strtol(argv[2], NULL, 10), (int)strtol(argv[3], NULL, 10));
    if (argc >= 4 && strcmp(argv[1], "mkdir") == 0) {
        report("mkdir", mkdir(argv[2], (mode_t)strtol(argv[3], NULL, 8)));
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "euid") == 0) {
        printf("euid %d\n", (int)geteuid());
        return 0;
    }
    fprintf(stderr,
            "usage: escape-battery default | devices DIR | landlock ALLOWED DENIED | euid | "
            "mkdir P M\n");
    return 2;
}
