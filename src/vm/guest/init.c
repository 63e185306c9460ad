/* hull-guest-init: PID 1 inside a hull microVM, packed into the initramfs.
 *
 * It loads the virtio modules listed in /lib/modules/load.list, reads the launch description
 * from fw_cfg, mounts the container root (virtio-9p read-only under a tmpfs overlay), switches
 * into it, runs the program with its stdout/stderr on virtio-serial ports, forwards signal
 * requests from the control port, reports the exit code there and powers the VM off.
 *
 * Statically linked and self-contained: it must not depend on anything in the container root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vm/guest_config.h"
#include "vm/protocol.h"

#define NEWROOT      "/newroot"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define PORT_WAIT_MS 10000

struct ports {
    int control, out, err;
};

static void say(const struct ports *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report an init failure everywhere someone may look: the program's stderr port, the control
 * channel (the launcher turns it into its error message) and the kernel console. */
static void say(const struct ports *p, const char *fmt, ...)
{
    char msg[VM_CONTROL_LINE_MAX - 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (char *c = msg; *c; c++)
        if (*c == '\n')
            *c = ' ';
    char line[VM_CONTROL_LINE_MAX];
    int n = snprintf(line, sizeof(line), "error %s\n", msg);
    if (p != NULL && p->control >= 0 && write(p->control, line, (size_t)n) < 0)
        (void)0;
    dprintf(p != NULL && p->err >= 0 ? p->err : 2, "hull-guest-init: %s\n", msg);
}

/* ACPI powers the VM off. Without ACPI (the minimal kernel; qemu then runs microvm,acpi=off) the
 * kernel has no way to and RB_POWER_OFF would only halt the CPU, with qemu still running: reset
 * instead, which qemu's -no-reboot turns into its exit. */
static void power_off(void)
{
    sync();
    if (access("/sys/firmware/acpi", F_OK) == 0)
        reboot(RB_POWER_OFF);
    reboot(RB_AUTOBOOT);
    for (;;)
        pause();
}

static void __attribute__((noreturn)) fail(const struct ports *p, const char *what, int errnum)
{
    if (errnum)
        say(p, "%s: %s", what, strerror(errnum));
    else
        say(p, "%s", what);
    power_off();
    exit(1);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The guest clock since the kernel started (CLOCK_BOOTTIME), for the "times" report. */
static long boot_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* ---- kernel modules ---- */

/* Load the modules `list` names, in order. Each file is deleted once loaded: the initramfs is
 * guest memory that nothing reads again. */
static int load_modules(const char *list)
{
    FILE *f = fopen(list, "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : -errno;
    char line[256];
    int r = 0;
    while (r == 0 && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0')
            continue;
        int fd = open(line, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            r = -errno;
            break;
        }
        if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
            r = -errno;
        close(fd);
        unlink(line);
    }
    fclose(f);
    return r;
}

/* Modules loaded once the program runs (virtio_balloon: free page reporting gives the guest's free
 * memory back to the host, the boot does not need it). Their files are opened before the switch
 * into the container root, which hides the initramfs. */
#define LATE_MODULES_MAX 8

struct late_modules {
    int fd[LATE_MODULES_MAX];
    size_t n;
};

static void open_late_modules(const char *list, struct late_modules *m)
{
    m->n = 0;
    FILE *f = fopen(list, "re");
    if (f == NULL)
        return;
    char line[256];
    while (m->n < LATE_MODULES_MAX && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0')
            continue;
        int fd = open(line, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            m->fd[m->n++] = fd;
        unlink(line);
    }
    fclose(f);
}

/* Best effort: without them the program runs the same, only the host gets no memory back. */
static void load_late_modules(struct late_modules *m)
{
    for (size_t i = 0; i < m->n; i++) {
        if (syscall(SYS_finit_module, m->fd[i], "", 0) < 0 && errno != EEXIST)
            dprintf(2, "hull-guest-init: load a late kernel module: %s\n", strerror(errno));
        close(m->fd[i]);
    }
    m->n = 0;
}

/* ---- fw_cfg over the legacy I/O port interface (no module needed) ---- */

#define FW_CFG_PORT_SEL  0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_FILE_DIR  0x19

static void fw_cfg_read(uint16_t key, void *buf, size_t len, bool select)
{
    if (select)
        outw(key, FW_CFG_PORT_SEL);
    insb(FW_CFG_PORT_DATA, buf, (unsigned long)len);
}

static int fw_cfg_read_file(const char *name, char **out, size_t *out_len)
{
    if (iopl(3) < 0)
        return -errno;
    uint32_t count_be;
    fw_cfg_read(FW_CFG_FILE_DIR, &count_be, sizeof(count_be), true);
    uint32_t count = ntohl(count_be);
    for (uint32_t i = 0; i < count; i++) {
        struct {
            uint32_t size;
            uint16_t select;
            uint16_t reserved;
            char name[56];
        } entry;
        fw_cfg_read(0, &entry, sizeof(entry), false);
        entry.name[sizeof(entry.name) - 1] = '\0';
        if (strcmp(entry.name, name) != 0)
            continue;
        uint32_t size = ntohl(entry.size);
        if (size > VM_GUEST_CONFIG_MAX_SIZE)
            return -E2BIG;
        char *buf = malloc(size + 1);
        if (buf == NULL)
            return -ENOMEM;
        fw_cfg_read(ntohs(entry.select), buf, size, true);
        buf[size] = '\0';
        *out = buf;
        *out_len = size;
        return 0;
    }
    return -ENOENT;
}

/* ---- virtio-serial ports, found by name in sysfs ---- */

static int open_port_by_name(const char *want)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (d == NULL)
        return -errno;
    int fd = -ENOENT;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[300], name[64] = "";
        snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", de->d_name);
        FILE *f = fopen(path, "re");
        if (f == NULL)
            continue;
        if (fgets(name, sizeof(name), f) == NULL)
            name[0] = '\0';
        fclose(f);
        name[strcspn(name, "\n")] = '\0';
        if (strcmp(name, want) != 0)
            continue;
        snprintf(path, sizeof(path), "/dev/%s", de->d_name);
        fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            fd = -errno;
        break;
    }
    closedir(d);
    return fd;
}

/* Ports appear asynchronously after virtio_console binds: poll briefly. */
static int wait_port(const char *name)
{
    long deadline = now_ms() + PORT_WAIT_MS;
    for (;;) {
        int fd = open_port_by_name(name);
        if (fd >= 0 || now_ms() > deadline)
            return fd;
        usleep(1000);
    }
}

/* ---- root filesystem ---- */

static int mount_root(void)
{
    if (mkdir("/lower", 0755) < 0 || mkdir("/rw", 0755) < 0 || mkdir(NEWROOT, 0755) < 0)
        return -errno;
    if (mount(VM_ROOT_TAG, "/lower", "9p", MS_RDONLY,
              "trans=virtio,version=9p2000.L,msize=262144,cache=loose") < 0)
        return -errno;
    if (mount("tmpfs", "/rw", "tmpfs", 0, "mode=0755") < 0)
        return -errno;
    if (mkdir("/rw/upper", 0755) < 0 || mkdir("/rw/work", 0755) < 0)
        return -errno;
    if (mount("overlay", NEWROOT, "overlay", 0,
              "lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work") < 0)
        return -errno;
    return 0;
}

/* The writable share at `path` of the new root (made when missing, in the tmpfs upper). */
static int mount_workspace(const char *path)
{
    char target[4096];
    if (snprintf(target, sizeof(target), NEWROOT "%s", path) >= (int)sizeof(target))
        return -ENAMETOOLONG;
    for (char *s = target + strlen(NEWROOT) + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(target, 0755) < 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    if (mkdir(target, 0755) < 0 && errno != EEXIST)
        return -errno;
    if (mount(VM_WORKSPACE_TAG, target, "9p", MS_NOSUID | MS_NODEV,
              "trans=virtio,version=9p2000.L,msize=262144") < 0)
        return -errno;
    return 0;
}

static int mount_api_filesystems(void)
{
    static const struct {
        const char *source, *target, *type, *data;
        unsigned long flags;
    } mounts[] = {
        {"proc", "proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC},
        {"sysfs", "sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC},
        /* the unified hierarchy only: the guest is a pure cgroup v2 system */
        {"cgroup2", "sys/fs/cgroup", "cgroup2", "nsdelegate", MS_NOSUID | MS_NODEV | MS_NOEXEC},
        {"devtmpfs", "dev", "devtmpfs", "mode=0755", MS_NOSUID},
        {"devpts", "dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620",
         MS_NOSUID | MS_NOEXEC},
        {"shm", "dev/shm", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV},
        {"tmpfs", "run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV},
    };
    for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), NEWROOT "/%s", mounts[i].target);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -errno;
        if (mount(mounts[i].source, path, mounts[i].type, mounts[i].flags, mounts[i].data) < 0)
            return -errno;
    }
    /* Each mount must be visible where it was made: if two mount points of the shared root are
     * one directory to the guest (colliding 9p inode numbers), a later mount hides an earlier
     * one and /proc silently becomes sysfs. Refuse to run the program on such a root. */
    struct statfs sf;
    if (statfs(NEWROOT "/proc", &sf) < 0)
        return -errno;
    if (sf.f_type != PROC_SUPER_MAGIC)
        return -EXDEV;
    return 0;
}

static int write_file(const char *path, const char *data)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -errno;
    size_t len = strlen(data);
    ssize_t n = write(fd, data, len);
    int saved = errno;
    close(fd);
    if (n != (ssize_t)len)
        return n < 0 ? -saved : -EIO;
    return 0;
}

/* /etc/hosts and /etc/resolv.conf in the tmpfs upper layer; the shared root is untouched. */
static int write_etc(const struct vm_guest_config *cfg)
{
    if (mkdir(NEWROOT "/etc", 0755) < 0 && errno != EEXIST)
        return -errno;
    /* Replace symlinks (e.g. resolv.conf -> /run/...) rather than writing through them. */
    unlink(NEWROOT "/etc/hosts");
    size_t cap = 128;
    for (char **h = cfg->hosts; *h; h++)
        cap += strlen(*h) + 1;
    char *hosts = malloc(cap);
    if (hosts == NULL)
        return -ENOMEM;
    size_t len = (size_t)snprintf(hosts, cap, "127.0.0.1\tlocalhost %s\n::1\tlocalhost\n",
                                  cfg->hostname ? cfg->hostname : "");
    for (char **h = cfg->hosts; *h; h++)
        len += (size_t)snprintf(hosts + len, cap - len, "%s\n", *h);
    int r = write_file(NEWROOT "/etc/hosts", hosts);
    free(hosts);
    if (r < 0 || !cfg->net_user)
        return r;
    unlink(NEWROOT "/etc/resolv.conf");
    return write_file(NEWROOT "/etc/resolv.conf", "nameserver " VM_NET_DNS "\n");
}

static int switch_root(void)
{
    if (chdir(NEWROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
        chdir("/") < 0)
        return -errno;
    return 0;
}

/* ---- network: QEMU user networking with its fixed addresses ---- */

static int set_sockaddr(struct sockaddr *sa, const char *addr)
{
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    memset(in, 0, sizeof(*in));
    in->sin_family = AF_INET;
    return inet_pton(AF_INET, addr, &in->sin_addr) == 1 ? 0 : -EINVAL;
}

static int link_up(int s, const char *ifname)
{
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return -errno;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static int configure_network(bool user_net)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    int r = link_up(s, "lo");
    if (r == 0 && user_net) {
        struct ifreq ifr = {0};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
        set_sockaddr(&ifr.ifr_addr, VM_NET_GUEST_ADDR);
        if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
            r = -errno;
        set_sockaddr(&ifr.ifr_netmask, "255.255.255.0");
        if (r == 0 && ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
            r = -errno;
        if (r == 0)
            r = link_up(s, "eth0");
        struct rtentry rt = {0};
        set_sockaddr(&rt.rt_dst, "0.0.0.0");
        set_sockaddr(&rt.rt_genmask, "0.0.0.0");
        set_sockaddr(&rt.rt_gateway, VM_NET_GATEWAY);
        rt.rt_flags = RTF_UP | RTF_GATEWAY;
        if (r == 0 && ioctl(s, SIOCADDRT, &rt) < 0)
            r = -errno;
    }
    close(s);
    return r;
}

/* ---- the program ---- */

static const char *env_path(char **env)
{
    for (char **e = env; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            return *e + 5;
    return DEFAULT_PATH;
}

/* execve with a PATH search done against the program's own environment. */
static void exec_program(char **argv, char **env)
{
    if (strchr(argv[0], '/') != NULL) {
        execve(argv[0], argv, env);
        return;
    }
    const char *path = env_path(env);
    int first_errno = ENOENT;
    while (*path) {
        size_t n = strcspn(path, ":");
        char full[4096];
        snprintf(full, sizeof(full), "%.*s%s%s", (int)n, path, n ? "/" : "", argv[0]);
        execve(full, argv, env);
        if (errno != ENOENT && first_errno == ENOENT)
            first_errno = errno;
        path += n;
        if (*path == ':')
            path++;
    }
    errno = first_errno;
}

/* Fork the program; returns its pid after execve() succeeded, or -errno (exec failures are
 * carried back over a close-on-exec pipe). */
static pid_t start_program(const struct vm_guest_config *cfg, const struct ports *p)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        setsid();
        int null = open("/dev/null", O_RDWR);
        int err = 0;
        if (null < 0 || dup2(null, 0) < 0 || dup2(p->out >= 0 ? p->out : null, 1) < 0 ||
            dup2(p->err >= 0 ? p->err : null, 2) < 0)
            err = errno;
        /* drop to the program's identity last: the ports and cwd were opened as root */
        if (err == 0 && (cfg->uid != 0 || cfg->gid != 0) &&
            (setgroups(0, NULL) < 0 || setresgid(cfg->gid, cfg->gid, cfg->gid) < 0 ||
             setresuid(cfg->uid, cfg->uid, cfg->uid) < 0))
            err = errno;
        if (err == 0 && chdir(cfg->cwd) < 0)
            err = errno;
        if (err == 0) {
            exec_program(cfg->argv, cfg->env);
            err = errno;
        }
        if (write(pipefd[1], &err, sizeof(err)) < 0)
            _exit(127);
        _exit(127);
    }
    close(pipefd[1]);
    int child_err = 0;
    ssize_t n;
    do
        n = read(pipefd[0], &child_err, sizeof(child_err));
    while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    if (n == sizeof(child_err)) {
        waitpid(pid, NULL, 0);
        return -child_err;
    }
    return pid;
}

static void send_line(const struct ports *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void send_line(const struct ports *p, const char *fmt, ...)
{
    char line[VM_CONTROL_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0 && write(p->control, line, (size_t)n) < 0)
        (void)0;
}

/* Handle "signal <n>" lines; partial lines are kept in `buf` between calls. */
static void handle_control(const struct ports *p, char *buf, size_t *used, pid_t program)
{
    ssize_t n = read(p->control, buf + *used, VM_CONTROL_LINE_MAX - 1 - *used);
    if (n <= 0)
        return;
    *used += (size_t)n;
    buf[*used] = '\0';
    char *line = buf, *nl;
    while ((nl = strchr(line, '\n')) != NULL) {
        *nl = '\0';
        int sig;
        if (sscanf(line, "signal %d", &sig) == 1 && sig > 0 && sig < NSIG)
            kill(program, sig);
        line = nl + 1;
    }
    *used = strlen(line);
    memmove(buf, line, *used + 1);
    if (*used == VM_CONTROL_LINE_MAX - 1)
        *used = 0; /* an overlong line is garbage: drop it */
}

static int exit_code_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

/* Wait for the program while forwarding signal requests and reaping orphans. */
static int supervise(const struct ports *p, pid_t program)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    char buf[VM_CONTROL_LINE_MAX];
    size_t used = 0;
    for (;;) {
        int status;
        pid_t r;
        while ((r = waitpid(-1, &status, WNOHANG)) > 0)
            if (r == program)
                return exit_code_of(status);
        struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN},
                                {.fd = p->control, .events = POLLIN}};
        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            return 255;
        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) > 0)
                ;
        }
        if (pfd[1].revents & POLLIN)
            handle_control(p, buf, &used, program);
        else if (pfd[1].revents & (POLLHUP | POLLERR))
            usleep(10000); /* host side not connected: keep waiting for the program */
    }
}

int main(void)
{
    struct ports p = {-1, -1, -1};
    long t_init = boot_ms();
    sigset_t block;
    sigfillset(&block);
    sigprocmask(SIG_BLOCK, &block, NULL);

    if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0 && errno != EBUSY)
        fail(NULL, "mount /dev", errno);
    if (mount("proc", "/proc", "proc", 0, NULL) < 0)
        fail(NULL, "mount /proc", errno);
    if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
        fail(NULL, "mount /sys", errno);
    int r = load_modules("/lib/modules/load.list");
    if (r < 0)
        fail(NULL, "load kernel modules", -r);
    struct late_modules late;
    open_late_modules("/lib/modules/late.list", &late);
    long t_modules = boot_ms();

    p.control = wait_port(VM_PORT_CONTROL);
    if (p.control < 0)
        fail(NULL, "open control port " VM_PORT_CONTROL, -p.control);
    p.out = open_port_by_name(VM_PORT_STDOUT);
    p.err = open_port_by_name(VM_PORT_STDERR);
    long t_ports = boot_ms();

    char *blob = NULL;
    size_t blob_len = 0;
    r = fw_cfg_read_file(VM_GUEST_CONFIG_FW_CFG_NAME, &blob, &blob_len);
    if (r < 0)
        fail(&p, "read fw_cfg " VM_GUEST_CONFIG_FW_CFG_NAME, -r);
    struct vm_guest_config cfg;
    r = vm_guest_config_decode(blob, blob_len, &cfg);
    if (r < 0)
        fail(&p, "decode the launch description", -r);

    if ((r = mount_root()) < 0)
        fail(&p, "mount the root filesystem", -r);
    if ((r = mount_api_filesystems()) < 0)
        fail(&p, "mount /proc, /sys, /dev in the root filesystem", -r);
    if ((r = write_etc(&cfg)) < 0)
        fail(&p, "write /etc/hosts", -r);
    if (cfg.workspace != NULL && (r = mount_workspace(cfg.workspace)) < 0)
        fail(&p, "mount the workspace", -r);
    if ((r = switch_root()) < 0)
        fail(&p, "switch to the root filesystem", -r);
    long t_root = boot_ms();
    if (cfg.hostname != NULL && sethostname(cfg.hostname, strlen(cfg.hostname)) < 0)
        fail(&p, "set the hostname", errno);
    if ((r = configure_network(cfg.net_user)) < 0)
        fail(&p, "configure the network", -r);
    long t_net = boot_ms();

    pid_t program = start_program(&cfg, &p);
    int code;
    if (program < 0) {
        say(&p, "exec `%s`: %s", cfg.argv[0], strerror((int)-program));
        code = program == -ENOENT ? 127 : 126;
    } else {
        send_line(&p, "times init=%ld modules=%ld ports=%ld root=%ld net=%ld exec=%ld\n", t_init,
                  t_modules, t_ports, t_root, t_net, boot_ms());
        send_line(&p, "started\n");
        load_late_modules(&late);
        code = supervise(&p, program);
    }
    kill(-1, SIGKILL);
    while (wait(NULL) > 0)
        ;
    send_line(&p, "exit %d\n", code);
    power_off();
    return 0;
}
