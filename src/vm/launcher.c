/* The VM launcher: spawns qemu for a vm_spec, then supervises it.
 *
 * Channels between host and guest are inherited fds only: three socketpairs (control, stdout,
 * stderr, each a virtio-serial port in the guest) and a memfd holding the launch description
 * (fw_cfg). qemu gets its own process group (a terminal's ^C must reach the launcher, which
 * forwards it through the control channel, not qemu, which would pull the plug) and dies with
 * the launcher (PR_SET_PDEATHSIG).
 *
 * The kernel and the initramfs reach qemu as private memfd copies: qemu maps the -kernel file for
 * the life of the VM (to reload it on a reset, which -no-reboot turns into an exit) and keeps the
 * initramfs for fw_cfg, so every byte of them would stay in its RSS. Once the guest program runs
 * the launcher punches the copies out (vm_release_boot_files): qemu's mappings then read as zeros
 * and ~37 MiB of host memory go back. */
#include "vm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "vm/accel.h"
#include "vm/config.h"
#include "vm/guest_config.h"
#include "vm/protocol.h"
#include "vm/qemu_cmdline.h"

#define EXIT_GRACE_S 5.0 /* after the exit code (or a KILL request): time for qemu to stop */

struct vm {
    pid_t qemu_pid;
    int pidfd;
    int ctl, out, err, qemu_stderr; /* launcher ends */
    int boot_files[2];              /* memfd copies of the kernel and initramfs, -1 once freed */
    int stdout_fd, stderr_fd;       /* destinations, not owned */
    const char *accel;
    double stop_timeout, boot_timeout;
    struct vm_times times;
    char ctl_buf[VM_CONTROL_LINE_MAX];
    size_t ctl_used;
    char qemu_errors[1024];
    size_t qemu_errors_len;
    char guest_error[VM_CONTROL_LINE_MAX];
    bool started, have_exit, qemu_gone, killed_by_us;
    int exit_code, qemu_status;
    double signal_deadline, kill_deadline;
};

static int vm_fail(hull_err **err, int exit_code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int vm_fail(hull_err **err, int exit_code, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hull_verror(err, errnum, fmt, ap);
    va_end(ap);
    if (err != NULL && *err != NULL)
        (*err)->exit_code = exit_code;
    return -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static char *existing_file(const char *dir, const char *name)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return NULL;
    if (access(path, R_OK) == 0)
        return path;
    free(path);
    return NULL;
}

char *vm_default_guest_file(const char *name)
{
    char *path = NULL;
    const char *dir = getenv("HULL_VM_GUEST_DIR");
    if (dir != NULL && *dir != '\0')
        return asprintf(&path, "%s/%s", dir, name) < 0 ? NULL : path;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
    if (slash != NULL) {
        /* a binary at the top of a build tree (build/krunclient) */
        static const char sub[] = "/src/vm/guest";
        if ((size_t)(slash - exe) + sizeof(sub) <= sizeof(exe)) {
            memcpy(slash, sub, sizeof(sub));
            if ((path = existing_file(exe, name)) != NULL)
                return path;
        }
    }
    if ((path = existing_file(HULL_VM_GUEST_INSTALL_DIR, name)) != NULL ||
        (path = existing_file(HULL_VM_GUEST_BUILD_DIR, name)) != NULL)
        return path;
    return asprintf(&path, "%s/%s", HULL_VM_GUEST_INSTALL_DIR, name) < 0 ? NULL : path;
}

/* ---- checks done before anything is spawned (fail fast, distinct exit codes) ---- */

static int check_port_free(uint16_t port, hull_err **err)
{
    cleanup_close int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return vm_fail(err, VM_EXIT_START, errno, "create a TCP socket");
    int one = 1;
    /* qemu's listener uses SO_REUSEADDR too: a port in TIME_WAIT is usable, a listener is not */
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return vm_fail(err, errno == EADDRINUSE ? VM_EXIT_PORT_BUSY : VM_EXIT_START, errno,
                       "host port 127.0.0.1:%u", port);
    return 0;
}

static int check_spec(const struct vm_spec *spec, const char *kernel, const char *initramfs,
                      hull_err **err)
{
    struct stat st;
    if (spec->rootfs == NULL || stat(spec->rootfs, &st) < 0)
        return vm_fail(err, VM_EXIT_ROOTFS, spec->rootfs ? errno : EINVAL, "root filesystem `%s`",
                       spec->rootfs ? spec->rootfs : "");
    if (!S_ISDIR(st.st_mode))
        return vm_fail(err, VM_EXIT_ROOTFS, ENOTDIR, "root filesystem `%s`", spec->rootfs);
    if (spec->argv == NULL || spec->argv[0] == NULL)
        return vm_fail(err, VM_EXIT_USAGE, EINVAL, "no program to run");
    if (access(kernel, R_OK) < 0)
        return vm_fail(err, VM_EXIT_START, errno, "guest kernel `%s`", kernel);
    if (access(initramfs, R_OK) < 0)
        return vm_fail(err, VM_EXIT_START, errno, "guest initramfs `%s`", initramfs);
    for (size_t i = 0; i < spec->n_ports; i++)
        if (check_port_free(spec->ports[i].host_port, err) < 0)
            return -1;
    return 0;
}

/* X_OK on a path, or on the first PATH entry that has `name`. */
static int executable_in_path(const char *name)
{
    if (strchr(name, '/') != NULL)
        return access(name, X_OK);
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        char full[PATH_MAX];
        if (n > 0 &&
            (size_t)snprintf(full, sizeof(full), "%.*s/%s", (int)n, path, name) < sizeof(full) &&
            access(full, X_OK) == 0)
            return 0;
        path += n + (path[n] == ':');
    }
    errno = ENOENT;
    return -1;
}

int vm_preflight(const struct vm_spec *spec, hull_err **err)
{
    cleanup_free char *kernel =
        spec->kernel ? strdup(spec->kernel) : vm_default_guest_file("vmlinux");
    cleanup_free char *initramfs =
        spec->initramfs ? strdup(spec->initramfs) : vm_default_guest_file("initramfs.cpio");
    if (kernel == NULL || initramfs == NULL)
        return vm_fail(err, VM_EXIT_START, ENOMEM, "locate the guest kernel");
    if (check_spec(spec, kernel, initramfs, err) < 0)
        return -1;
    const char *qemu = spec->qemu ? spec->qemu : "qemu-system-x86_64";
    if (executable_in_path(qemu) < 0)
        return vm_fail(err, VM_EXIT_START, errno, "run `%s`", qemu);
    const char *accel;
    return vm_accel_resolve(spec->accel, &accel, err);
}

static int make_config_memfd(const struct vm_spec *spec, hull_err **err)
{
    struct vm_guest_config cfg = {
        .argv = (char **)spec->argv,
        .env = (char **)spec->env,
        .hosts = (char **)spec->hosts,
        .cwd = spec->cwd,
        .hostname = spec->hostname,
        .workspace = spec->workspace ? spec->workspace_path : NULL,
        .net_user = spec->network || spec->n_ports > 0,
        .uid = spec->uid,
        .gid = spec->gid,
    };
    cleanup_free char *blob = NULL;
    size_t len;
    int r = vm_guest_config_encode(&cfg, &blob, &len);
    if (r < 0)
        return vm_fail(err, VM_EXIT_USAGE, -r, "encode the guest launch description");
    cleanup_close int fd = memfd_create("hull-vm-config", MFD_CLOEXEC);
    if (fd < 0)
        return vm_fail(err, VM_EXIT_START, errno, "memfd_create");
    if (fs_write_all(fd, blob, len) < 0)
        return vm_fail(err, VM_EXIT_START, errno, "write the guest launch description");
    return steal_fd(&fd);
}

/* A memfd holding a copy of `path` (the guest kernel or initramfs), for qemu to load. */
static int boot_file_memfd(const char *path, const char *what, hull_err **err)
{
    cleanup_close int src = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (src < 0 || fstat(src, &st) < 0)
        return vm_fail(err, VM_EXIT_START, errno, "%s `%s`", what, path);
    cleanup_close int fd = memfd_create("hull-vm-boot", MFD_CLOEXEC);
    if (fd < 0)
        return vm_fail(err, VM_EXIT_START, errno, "memfd_create");
    for (off_t left = st.st_size; left > 0;) {
        ssize_t n = sendfile(fd, src, NULL, (size_t)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return vm_fail(err, VM_EXIT_START, n < 0 ? errno : EIO, "copy the %s `%s`", what, path);
        left -= n;
    }
    return steal_fd(&fd);
}

/* Whether the kernel in memfd `fd` reads its virtio-mmio devices from the command line (then
 * qemu runs without ACPI; see vm_kernel_takes_mmio_cmdline). Unreadable: assume not. */
static bool kernel_takes_mmio_cmdline(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size <= 0)
        return false;
    void *image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (image == MAP_FAILED)
        return false;
    bool yes = vm_kernel_takes_mmio_cmdline(image, (size_t)st.st_size);
    munmap(image, (size_t)st.st_size);
    return yes;
}

/* Free the memfd copies of the kernel and initramfs: qemu read them at its reset, before the
 * guest ran, and reads them again only on a reset, which -no-reboot turns into an exit. A hole
 * keeps the size, so a stray read sees zeros, not SIGBUS. */
static void vm_release_boot_files(struct vm *vm)
{
    for (size_t i = 0; i < 2; i++) {
        struct stat st;
        if (vm->boot_files[i] >= 0 && fstat(vm->boot_files[i], &st) == 0 && st.st_size > 0 &&
            fallocate(vm->boot_files[i], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                      st.st_size) < 0)
            (void)0; /* best effort: the copy then lives as long as qemu */
        close_fd(&vm->boot_files[i]);
    }
}

/* ---- spawning qemu ---- */

struct qemu_fds {
    int ctl[2], out[2], err[2], log[2], status[2]; /* [0] launcher, [1] qemu */
    int config, kernel, initramfs;
};

static void qemu_fds_close(struct qemu_fds *f)
{
    int *all[] = {&f->ctl[0], &f->ctl[1], &f->out[0],   &f->out[1],    &f->err[0],
                  &f->err[1], &f->log[0], &f->log[1],   &f->status[0], &f->status[1],
                  &f->config, &f->kernel, &f->initramfs};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        close_fd(all[i]);
}

static int qemu_fds_open(struct qemu_fds *f, hull_err **err)
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->ctl) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->out) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, f->err) < 0 ||
        pipe2(f->log, O_CLOEXEC) < 0 || pipe2(f->status, O_CLOEXEC) < 0)
        return vm_fail(err, VM_EXIT_START, errno, "create the VM channels");
    return 0;
}

static void __attribute__((noreturn)) qemu_child(char **argv, struct qemu_fds *f, pid_t parent)
{
    int e = 0;
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDWR);
    int keep[] = {f->ctl[1], f->out[1], f->err[1], f->config, f->kernel, f->initramfs};
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(f->log[1], 2) < 0)
        e = errno;
    for (size_t i = 0; e == 0 && i < sizeof(keep) / sizeof(keep[0]); i++)
        if (fcntl(keep[i], F_SETFD, 0) < 0)
            e = errno;
    if (e == 0) {
        execvp(argv[0], argv);
        e = errno;
    }
    if (write(f->status[1], &e, sizeof(e)) < 0)
        _exit(127);
    _exit(127);
}

static int spawn_qemu(struct vm *vm, char **argv, struct qemu_fds *f, hull_err **err)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return vm_fail(err, VM_EXIT_START, errno, "fork");
    if (pid == 0)
        qemu_child(argv, f, parent);
    vm->qemu_pid = pid;
    vm->times.spawned = now_s();
    close_fd(&f->status[1]);
    int child_errno = 0;
    ssize_t n;
    do
        n = read(f->status[0], &child_errno, sizeof(child_errno));
    while (n < 0 && errno == EINTR);
    if (n == sizeof(child_errno)) {
        waitpid(pid, NULL, 0);
        vm->qemu_gone = true;
        return vm_fail(err, VM_EXIT_START, child_errno, "run `%s`", argv[0]);
    }
    return 0;
}

int vm_start(const struct vm_spec *spec, struct vm **out, hull_err **err)
{
    cleanup_free char *kernel =
        spec->kernel ? strdup(spec->kernel) : vm_default_guest_file("vmlinux");
    cleanup_free char *initramfs =
        spec->initramfs ? strdup(spec->initramfs) : vm_default_guest_file("initramfs.cpio");
    if (kernel == NULL || initramfs == NULL)
        return vm_fail(err, VM_EXIT_START, ENOMEM, "locate the guest kernel");
    if (check_spec(spec, kernel, initramfs, err) < 0)
        return -1;
    const char *accel;
    if (vm_accel_resolve(spec->accel, &accel, err) < 0)
        return -1;

    struct qemu_fds f = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}, -1, -1, -1};
    struct vm *vm = calloc(1, sizeof(*vm));
    if (vm == NULL)
        return vm_fail(err, VM_EXIT_START, ENOMEM, "allocate the VM");
    *vm = (struct vm){.qemu_pid = -1,
                      .pidfd = -1,
                      .ctl = -1,
                      .out = -1,
                      .err = -1,
                      .qemu_stderr = -1,
                      .boot_files = {-1, -1},
                      .stdout_fd = spec->stdout_fd,
                      .stderr_fd = spec->stderr_fd,
                      .accel = accel,
                      .stop_timeout = spec->stop_timeout_s ? spec->stop_timeout_s : 10,
                      .boot_timeout = spec->boot_timeout_s ? spec->boot_timeout_s : 120,
                      .times = {.qemu_cpu_started = -1}};
    cleanup_strv char **argv = NULL;
    int r = qemu_fds_open(&f, err);
    if (r == 0 && (f.config = make_config_memfd(spec, err)) < 0)
        r = -1;
    if (r == 0 && (f.kernel = boot_file_memfd(kernel, "guest kernel", err)) < 0)
        r = -1;
    if (r == 0 && (f.initramfs = boot_file_memfd(initramfs, "guest initramfs", err)) < 0)
        r = -1;
    char kernel_fd_path[32], initramfs_fd_path[32];
    snprintf(kernel_fd_path, sizeof(kernel_fd_path), "/proc/self/fd/%d", f.kernel);
    snprintf(initramfs_fd_path, sizeof(initramfs_fd_path), "/proc/self/fd/%d", f.initramfs);
    if (r == 0) {
        struct vm_qemu_plan plan = {
            .qemu = spec->qemu ? spec->qemu : "qemu-system-x86_64",
            .kernel = kernel_fd_path,
            .initramfs = initramfs_fd_path,
            .rootfs = spec->rootfs,
            .workspace = spec->workspace,
            .console_log = spec->console_log,
            .kernel_args = spec->kernel_args,
            .accel = accel,
            .cpus = spec->cpus ? spec->cpus : 1,
            .memory_mib = spec->memory_mib ? spec->memory_mib : 512,
            .tsc_khz = strcmp(accel, "tcg") == 0 ? vm_host_tsc_khz() : 0,
            .ports = spec->ports,
            .n_ports = spec->n_ports,
            .network = spec->network,
            .mmio_cmdline = kernel_takes_mmio_cmdline(f.kernel),
            .fd_control = f.ctl[1],
            .fd_stdout = f.out[1],
            .fd_stderr = f.err[1],
            .fd_config = f.config,
        };
        r = vm_qemu_argv(&plan, &argv, err);
    }
    if (r == 0)
        r = spawn_qemu(vm, argv, &f, err);
    if (r < 0) {
        qemu_fds_close(&f);
        vm_destroy(vm);
        return -1;
    }
    vm->ctl = steal_fd(&f.ctl[0]);
    vm->out = steal_fd(&f.out[0]);
    vm->err = steal_fd(&f.err[0]);
    vm->qemu_stderr = steal_fd(&f.log[0]);
    vm->boot_files[0] = steal_fd(&f.kernel);
    vm->boot_files[1] = steal_fd(&f.initramfs);
    qemu_fds_close(&f);
    vm->pidfd = (int)syscall(SYS_pidfd_open, vm->qemu_pid, 0);
    int fds[] = {vm->ctl, vm->out, vm->err, vm->qemu_stderr};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    *out = vm;
    return 0;
}

/* ---- supervision ---- */

int vm_signal(struct vm *vm, int sig, hull_err **err)
{
    if (vm->qemu_gone || vm->have_exit)
        return 0;
    char line[32];
    int n = snprintf(line, sizeof(line), "signal %d\n", sig);
    if (send(vm->ctl, line, (size_t)n, MSG_NOSIGNAL) != n)
        return hull_error(err, errno, "send signal %d to the VM", sig);
    double now = now_s();
    if (sig == SIGKILL) {
        if (vm->kill_deadline == 0)
            vm->kill_deadline = now + EXIT_GRACE_S;
    } else if (vm->signal_deadline == 0) {
        vm->signal_deadline = now + vm->stop_timeout;
    }
    return 0;
}

/* utime + stime of a live process in seconds, -1 if unreadable */
static double process_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long utime, stime;
    /* after ")": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime
     * stime */
    if (p == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? (double)(utime + stime) / (double)hz : -1;
}

static void handle_control_line(struct vm *vm, const char *line)
{
    int code;
    if (strcmp(line, "started") == 0) {
        vm->started = true;
        vm->times.started = now_s();
        vm->times.qemu_cpu_started = process_cpu_s(vm->qemu_pid);
        vm_release_boot_files(vm);
    } else if (strncmp(line, "times ", 6) == 0) {
        snprintf(vm->times.guest, sizeof(vm->times.guest), "%s", line + 6);
    } else if (sscanf(line, "exit %d", &code) == 1) {
        vm->have_exit = true;
        vm->exit_code = code & 0xff;
        vm->times.exited = now_s();
        vm->kill_deadline = vm->times.exited + EXIT_GRACE_S;
    } else if (strncmp(line, "error ", 6) == 0) {
        snprintf(vm->guest_error, sizeof(vm->guest_error), "%s", line + 6);
    }
}

static void read_control(struct vm *vm)
{
    for (;;) {
        ssize_t n =
            read(vm->ctl, vm->ctl_buf + vm->ctl_used, sizeof(vm->ctl_buf) - 1 - vm->ctl_used);
        if (n <= 0)
            return;
        vm->ctl_used += (size_t)n;
        vm->ctl_buf[vm->ctl_used] = '\0';
        char *line = vm->ctl_buf, *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            *nl = '\0';
            handle_control_line(vm, line);
            line = nl + 1;
        }
        vm->ctl_used = strlen(line);
        memmove(vm->ctl_buf, line, vm->ctl_used + 1);
        if (vm->ctl_used == sizeof(vm->ctl_buf) - 1)
            vm->ctl_used = 0;
    }
}

/* Copy what is readable from `from` to `to` (-1: discard). */
static void relay(int from, int to)
{
    char buf[16384];
    ssize_t n;
    while ((n = read(from, buf, sizeof(buf))) > 0)
        if (to >= 0 && fs_write_all(to, buf, (size_t)n) < 0)
            to = -1;
}

static void read_qemu_stderr(struct vm *vm)
{
    char buf[1024];
    ssize_t n;
    while ((n = read(vm->qemu_stderr, buf, sizeof(buf))) > 0) {
        size_t room = sizeof(vm->qemu_errors) - 1 - vm->qemu_errors_len;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(vm->qemu_errors + vm->qemu_errors_len, buf, take);
        vm->qemu_errors_len += take;
        vm->qemu_errors[vm->qemu_errors_len] = '\0';
    }
}

static void kill_qemu(struct vm *vm)
{
    if (!vm->qemu_gone && vm->qemu_pid > 0) {
        kill(vm->qemu_pid, SIGKILL);
        vm->killed_by_us = true;
    }
}

static bool reap_qemu(struct vm *vm)
{
    if (vm->qemu_gone)
        return true;
    int status;
    if (waitpid(vm->qemu_pid, &status, WNOHANG) != vm->qemu_pid)
        return false;
    vm->qemu_gone = true;
    vm->qemu_status = status;
    vm->times.stopped = now_s();
    return true;
}

/* Deadlines: boot timeout, signal grace (then KILL), exit grace (then qemu is killed). */
static int check_deadlines(struct vm *vm, hull_err **err)
{
    double now = now_s();
    if (!vm->started && !vm->have_exit && now > vm->times.spawned + vm->boot_timeout) {
        kill_qemu(vm);
        return vm_fail(err, VM_EXIT_START, 0, "the guest did not start the program within %.0f s",
                       vm->boot_timeout);
    }
    if (vm->signal_deadline != 0 && now > vm->signal_deadline && !vm->have_exit) {
        vm->signal_deadline = 0;
        vm_signal(vm, SIGKILL, NULL);
    }
    if (vm->kill_deadline != 0 && now > vm->kill_deadline)
        kill_qemu(vm);
    return 0;
}

static int poll_timeout_ms(const struct vm *vm)
{
    return vm->pidfd >= 0 ? 250 : 20; /* without a pidfd, reaping is polled */
}

static void forward_signals(struct vm *vm, int signal_fd)
{
    struct signalfd_siginfo si;
    while (read(signal_fd, &si, sizeof(si)) == sizeof(si))
        vm_signal(vm, (int)si.ssi_signo, NULL);
}

static void first_line(char *s)
{
    s[strcspn(s, "\n")] = '\0';
}

static int outcome(struct vm *vm, int *exit_code, hull_err **err)
{
    if (vm->have_exit) {
        *exit_code = vm->exit_code;
        return 0;
    }
    if (vm->killed_by_us && vm->started) {
        *exit_code = 128 + SIGKILL;
        return 0;
    }
    if (vm->guest_error[0] != '\0')
        return vm_fail(err, vm->started ? VM_EXIT_LOST : VM_EXIT_START, 0, "guest init: %s",
                       vm->guest_error);
    if (vm->started)
        return vm_fail(err, VM_EXIT_LOST, 0,
                       "the VM stopped before the program reported an exit code");
    first_line(vm->qemu_errors);
    if (strstr(vm->qemu_errors, "host forwarding") != NULL || strstr(vm->qemu_errors, "hostfwd"))
        return vm_fail(err, VM_EXIT_PORT_BUSY, 0, "qemu: %s", vm->qemu_errors);
    int st = vm->qemu_status;
    return vm_fail(err, VM_EXIT_START, 0, "qemu exited (%s %d) before the guest started%s%s",
                   WIFSIGNALED(st) ? "signal" : "status",
                   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), vm->qemu_errors[0] ? ": " : "",
                   vm->qemu_errors);
}

int vm_wait(struct vm *vm, int signal_fd, int *exit_code, hull_err **err)
{
    while (!reap_qemu(vm)) {
        if (check_deadlines(vm, err) < 0) {
            waitpid(vm->qemu_pid, &vm->qemu_status, 0);
            vm->qemu_gone = true;
            return -1;
        }
        struct pollfd pfd[] = {
            {.fd = vm->pidfd, .events = POLLIN},       {.fd = vm->ctl, .events = POLLIN},
            {.fd = vm->out, .events = POLLIN},         {.fd = vm->err, .events = POLLIN},
            {.fd = vm->qemu_stderr, .events = POLLIN}, {.fd = signal_fd, .events = POLLIN},
        };
        if (poll(pfd, sizeof(pfd) / sizeof(pfd[0]), poll_timeout_ms(vm)) < 0 && errno != EINTR)
            return vm_fail(err, VM_EXIT_LOST, errno, "poll");
        if (pfd[1].revents)
            read_control(vm);
        if (pfd[2].revents)
            relay(vm->out, vm->stdout_fd);
        if (pfd[3].revents)
            relay(vm->err, vm->stderr_fd);
        if (pfd[4].revents)
            read_qemu_stderr(vm);
        if (pfd[5].revents)
            forward_signals(vm, signal_fd);
    }
    /* qemu is gone: every peer end is closed, drain what it wrote last */
    read_control(vm);
    relay(vm->out, vm->stdout_fd);
    relay(vm->err, vm->stderr_fd);
    read_qemu_stderr(vm);
    return outcome(vm, exit_code, err);
}

pid_t vm_qemu_pid(const struct vm *vm)
{
    return vm->qemu_pid;
}

const char *vm_accel_name(const struct vm *vm)
{
    return vm->accel;
}

void vm_get_times(const struct vm *vm, struct vm_times *times)
{
    *times = vm->times;
}

void vm_destroy(struct vm *vm)
{
    if (vm == NULL)
        return;
    if (!vm->qemu_gone && vm->qemu_pid > 0) {
        kill(vm->qemu_pid, SIGKILL);
        waitpid(vm->qemu_pid, NULL, 0);
    }
    int *fds[] = {&vm->pidfd,       &vm->ctl,           &vm->out,          &vm->err,
                  &vm->qemu_stderr, &vm->boot_files[0], &vm->boot_files[1]};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        close_fd(fds[i]);
    free(vm);
}

int vm_run(const struct vm_spec *spec, int *exit_code, struct vm_times *times, const char **accel,
           hull_err **err)
{
    sigset_t forward, saved;
    sigemptyset(&forward);
    int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaddset(&forward, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &forward, &saved) < 0)
        return vm_fail(err, VM_EXIT_START, errno, "block signals");
    cleanup_close int sfd = signalfd(-1, &forward, SFD_CLOEXEC | SFD_NONBLOCK);
    int r = -1;
    if (sfd < 0) {
        vm_fail(err, VM_EXIT_START, errno, "signalfd");
    } else {
        struct vm *vm = NULL;
        r = vm_start(spec, &vm, err);
        if (r == 0) {
            r = vm_wait(vm, sfd, exit_code, err);
            if (times != NULL)
                vm_get_times(vm, times);
            if (accel != NULL)
                *accel = vm->accel;
        }
        vm_destroy(vm);
    }
    sigprocmask(SIG_SETMASK, &saved, NULL);
    return r;
}

int vm_rootfs_check_program(const char *rootfs, const char *path, hull_err **err)
{
    cleanup_close int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return vm_fail(err, VM_EXIT_ROOTFS, errno, "root filesystem `%s`", rootfs);
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    cleanup_close int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
    if (fd < 0 && errno != ENOSYS)
        return vm_fail(err, VM_EXIT_ROOTFS, errno, "root filesystem `%s`: `%s`", rootfs, path);
    return 0;
}
