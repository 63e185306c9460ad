/* Container terminals: pty inside the container's devpts, console socket, attached relay. */
#include "linux/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "linux/resolve.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* runc's utils.MaxNameLen: receivers refuse longer names. */
#define CONSOLE_NAME_MAX 4096

int terminal_connect_console_socket(const char *path, hull_err **err)
{
    cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hull_error(err, errno, "--console-socket: socket");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    cleanup_close int pathfd = -1;
    if (strlen(path) >= sizeof addr.sun_path) {
        /* Too long for sun_path: connect through an O_PATH fd of the socket file. */
        pathfd = open(path, O_PATH | O_CLOEXEC);
        if (pathfd < 0)
            return hull_error(err, errno, "--console-socket `%s`", path);
        snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d", pathfd);
    } else {
        memcpy(addr.sun_path, path, strlen(path) + 1);
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        return hull_error(err, errno, "--console-socket: connect to `%s`", path);
    return steal_fd(&fd);
}

int terminal_send_fd(int sock, const char *name, int fd, hull_err **err)
{
    size_t len = strlen(name);
    if (len >= CONSOLE_NAME_MAX)
        return hull_error(err, ENAMETOOLONG, "send terminal: name too long");
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = (void *)name, .iov_len = len};
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof control.buf,
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return hull_error(err, errno, "send the terminal over the console socket");
    return 0;
}

int terminal_recv_fd(int sock, int *fd, hull_err **err)
{
    char name[CONSOLE_NAME_MAX];
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = name, .iov_len = sizeof name};
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof control.buf,
    };
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return hull_error(err, errno, "receive the terminal");
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(sizeof(int)))
        return hull_error(err, EPROTO, "receive the terminal: no file descriptor was sent");
    memcpy(fd, CMSG_DATA(c), sizeof(int));
    return 0;
}

/* /dev/console becomes the slave, as runc does: programs that write to the console reach the
 * container's terminal, never the host's. */
static int bind_dev_console(int rootfd, int slave, hull_err **err)
{
    cleanup_close int target = resolve_in_root(rootfd, "/dev/console", RESOLVE_MKFILE, err);
    if (target < 0)
        return hull_error_prefix(err, "/dev/console");
    if (bind_fd(slave, target, false) < 0)
        return hull_error(err, errno, "bind the terminal onto /dev/console");
    return 0;
}

int terminal_setup_in_container(int console_sock, const struct hull_process *p, bool bind_console,
                                hull_err **err)
{
    cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return hull_error(err, errno, "terminal: open the container root");
    /* Resolved inside the container's root: its /dev/ptmx (normally -> pts/ptmx) opens the
     * container's own devpts instance, so the pty number and permissions are the container's. */
    cleanup_close int master =
        resolve_open_in_root(root, "/dev/ptmx", O_RDWR | O_NOCTTY, false, err);
    if (master < 0)
        return hull_error_prefix(err, "terminal");
    struct stat st;
    if (fstat(master, &st) < 0)
        return hull_error(err, errno, "terminal: stat /dev/ptmx");
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
        return hull_error(err, EINVAL,
                          "terminal: /dev/ptmx in the container is not a pty multiplexer");
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
        return hull_error(err, errno, "terminal: unlockpt");
    /* The peer through the master itself: no path lookup in /dev/pts that could be raced. */
    cleanup_close int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return hull_error(err, errno, "terminal: open the pty slave");
    if (p->has_console_size) {
        struct winsize ws = {.ws_row = (unsigned short)p->console_height,
                             .ws_col = (unsigned short)p->console_width};
        if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
            return hull_error(err, errno, "process.consoleSize");
    }
    /* The process's own user owns its terminal (login does the same), so a non-root process
     * can use /dev/tty. */
    if (fchown(slave, p->uid, (gid_t)-1) < 0)
        return hull_error(err, errno, "terminal: chown the pty to uid %u", p->uid);
    if (bind_console && bind_dev_console(root, slave, err) < 0)
        return -1;
    if (terminal_send_fd(console_sock, "/dev/ptmx", master, err) < 0)
        return -1;
    hull_closep(&master);
    if (setsid() < 0)
        return hull_error(err, errno, "terminal: setsid");
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return hull_error(err, errno, "terminal: make the pty the controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            return hull_error(err, errno, "terminal: dup2 onto fd %d", fd);
    return 0;
}

/* ---- attached relay ---------------------------------------------------------------------- */

static void copy_window_size(int from, int to)
{
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0 && (ws.ws_row || ws.ws_col))
        ioctl(to, TIOCSWINSZ, &ws);
}

/* Copy what is readable from `in` to `out`; returns 0 at EOF or on a closed pty, 1 otherwise. */
static int pump(int in, int out)
{
    char buf[16384];
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 1;
    if (n <= 0)
        return 0;
    fs_write_all(out, buf, (size_t)n);
    return 1;
}

static void drain(int master)
{
    int fl = fcntl(master, F_GETFL);
    if (fl >= 0)
        fcntl(master, F_SETFL, fl | O_NONBLOCK);
    char buf[16384];
    ssize_t n;
    while ((n = read(master, buf, sizeof buf)) > 0)
        fs_write_all(STDOUT_FILENO, buf, (size_t)n);
}

static int reap(pid_t pid, int *exit_code, bool *done, hull_err **err)
{
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r < 0 && errno != EINTR)
        return hull_error(err, errno, "wait for the container process");
    if (r == pid && (WIFEXITED(status) || WIFSIGNALED(status))) {
        *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        *done = true;
    }
    return 0;
}

int terminal_relay_until_exit(int master, pid_t pid, int *exit_code, hull_err **err)
{
    sigset_t all;
    sigfillset(&all);
    cleanup_close int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return hull_error(err, errno, "terminal: signalfd");
    bool host_tty = isatty(STDIN_FILENO);
    struct termios saved;
    bool restore = false;
    if (host_tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios raw = saved;
        cfmakeraw(&raw);
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
            restore = true;
        copy_window_size(STDIN_FILENO, master);
    }
    bool stdin_open = true, master_open = true, done = false;
    int rc = 0;
    while (!done) {
        struct pollfd fds[3] = {
            {.fd = sfd, .events = POLLIN},
            {.fd = master_open ? master : -1, .events = POLLIN},
            {.fd = stdin_open && master_open ? STDIN_FILENO : -1, .events = POLLIN},
        };
        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            rc = hull_error(err, errno, "terminal: poll");
            break;
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
            master_open = pump(master, STDOUT_FILENO) == 1;
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
            stdin_open = pump(STDIN_FILENO, master) == 1;
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                int sig = (int)si.ssi_signo;
                if (sig == SIGCHLD)
                    continue;
                if (sig == SIGWINCH) {
                    if (host_tty)
                        copy_window_size(STDIN_FILENO, master);
                    continue;
                }
                kill(pid, sig);
            }
        }
        if (reap(pid, exit_code, &done, err) < 0) {
            rc = -1;
            break;
        }
    }
    if (done)
        drain(master);
    if (restore)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
    return rc;
}
