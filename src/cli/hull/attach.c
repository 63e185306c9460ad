/* hull attach: connect this terminal to a running container's stdio through its monitor's
 * attach socket (protocol: src/monitor/monitor_attach.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "container/attach.h"
#include "monitor/monitor_attach.h"
#include "container/status.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char help[] =
    "Usage: hull attach [OPTIONS] CONTAINER\n"
    "\n"
    "Connect this terminal to a running container's standard input, output and error, as if\n"
    "its command ran here: its output from now on is printed (it keeps going to the log too),\n"
    "and for a container created with -i what is typed goes to its stdin. Works for containers\n"
    "started with `hull run -d`, `hull start` or attached by another hull, any number of times\n"
    "(up to 8 clients at once; each sees all output, all of them feed the one stdin).\n"
    "\n"
    "With a terminal (-t), the local terminal is put in raw mode, the container's pseudo-\n"
    "terminal follows its size, and the detach keys (default ctrl-p ctrl-q) leave the container\n"
    "running: hull prints `read escape sequence` and exits 1, as docker does. Without one, the\n"
    "end of hull's input closes the container's stdin (like `hull run -i`), and signals hull\n"
    "receives (INT, TERM, HUP, QUIT, USR1, USR2) go to the container (--sig-proxy).\n"
    "When the container's command exits, hull exits with its status.\n"
    "\n"
    "Options:\n"
    "      --no-stdin              do not attach stdin (only relay output)\n"
    "      --detach-keys KEYS      the detach sequence: keys separated by commas, each a\n"
    "                              character or ctrl-a..ctrl-z, ctrl-@, ctrl-[, ctrl-\\, ctrl-],\n"
    "                              ctrl-^, ctrl-_ (default ctrl-p,ctrl-q)\n"
    "      --sig-proxy[=true|false]\n"
    "                              forward signals to the container (default true; not with a\n"
    "                              terminal, where ctrl-c is a key the container receives)\n"
    "  -h, --help                  show this help\n"
    "\n"
    "Exit status: the container's exit status (128+N after signal N); 1 when the container is\n"
    "not running, after a detach, or when the connection is lost; 125 for usage errors.\n";

/* What is left to send to the monitor; sent as the socket takes it. */
struct attach_outbox {
    char frame[1 + ATTACH_STDIN_MAX]; /* one stdin frame, frame_len 0 = none */
    size_t frame_len;
    uint64_t signals; /* bit N: signal N to forward */
    bool resize;
    bool close_stdin;
};

struct attach_session {
    int sock;
    bool tty;       /* the container has a terminal */
    bool stdin_on;  /* our stdin feeds the container (until its end) */
    bool sig_proxy; /* forward signals (never with a terminal) */
    bool raw;       /* our terminal is raw: restore `saved` */
    struct termios saved;
    struct detach_matcher keys;
    struct attach_outbox out;
};

/* How a session ended. */
enum { ATTACH_DONE, ATTACH_DETACHED, ATTACH_LOST, ATTACH_REFUSED, ATTACH_KILLED, ATTACH_GONE };

static bool send_frame(int sock, char kind, const void *payload, size_t len)
{
    char msg[1 + 16];
    msg[0] = kind;
    if (len > 0)
        memcpy(msg + 1, payload, len);
    return send(sock, msg, 1 + len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)(1 + len);
}

static bool send_size(int sock, int delta)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
        return true;
    uint16_t rc[2] = {(uint16_t)(ws.ws_row + delta), (uint16_t)(ws.ws_col + delta)};
    return send_frame(sock, ATTACH_RESIZE, rc, sizeof rc);
}

/* Send what the socket takes now; false when the monitor is gone. */
static bool outbox_flush(struct attach_session *s)
{
    struct attach_outbox *o = &s->out;
    if (o->frame_len > 0) {
        ssize_t n = send(s->sock, o->frame, o->frame_len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        o->frame_len = 0;
    }
    for (int sig = 1; sig < 64 && o->signals; sig++) {
        if (!(o->signals & (1ULL << sig)))
            continue;
        int32_t v = sig;
        if (!send_frame(s->sock, ATTACH_SIGNAL, &v, sizeof v))
            return errno == EAGAIN || errno == EINTR;
        o->signals &= ~(1ULL << sig);
    }
    if (o->resize) {
        if (!send_size(s->sock, 0))
            return errno == EAGAIN || errno == EINTR;
        o->resize = false;
    }
    if (o->close_stdin) {
        if (!send_frame(s->sock, ATTACH_STDIN_CLOSE, NULL, 0))
            return errno == EAGAIN || errno == EINTR;
        o->close_stdin = false;
    }
    return true;
}

static bool outbox_pending(const struct attach_outbox *o)
{
    return o->frame_len > 0 || o->signals || o->resize || o->close_stdin;
}

/* One frame from the monitor. Returns -1 to go on, else an ATTACH_* outcome (*code set). */
static int receive(struct attach_session *s, int *code)
{
    static char msg[ATTACH_MSG_MAX];
    ssize_t n = recv(s->sock, msg, sizeof msg, MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? -1 : ATTACH_LOST;
    if (n == 0)
        return ATTACH_LOST;
    switch (msg[0]) {
    case ATTACH_STDOUT:
    case ATTACH_STDERR:
        /* Our reader went away (a closed pipe): nothing left to attach to. */
        if (fs_write_all(msg[0] == ATTACH_STDOUT ? STDOUT_FILENO : STDERR_FILENO, msg + 1,
                         (size_t)n - 1) < 0)
            return ATTACH_GONE;
        return -1;
    case ATTACH_EXIT: {
        int32_t v = 0;
        if ((size_t)n >= 1 + sizeof v)
            memcpy(&v, msg + 1, sizeof v);
        *code = v;
        return ATTACH_DONE;
    }
    case ATTACH_BUSY:
        return ATTACH_REFUSED;
    default:
        return -1; /* a newer monitor's frame: ignore it */
    }
}

/* Typed input: through the detach filter (with a terminal), into the outbox. */
static int read_stdin(struct attach_session *s)
{
    char in[ATTACH_STDIN_MAX - DETACH_KEYS_MAX];
    ssize_t n = read(STDIN_FILENO, in, sizeof in);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return -1;
    if (n <= 0) {
        /* End of our input: a pipe is closed for the container too; a pty cannot be. */
        s->stdin_on = false;
        s->out.close_stdin = !s->tty;
        return -1;
    }
    bool detached = false;
    size_t len = (size_t)n;
    if (s->tty)
        len = detach_filter(&s->keys, in, (size_t)n, s->out.frame + 1, &detached);
    else
        memcpy(s->out.frame + 1, in, len);
    if (len > 0) {
        s->out.frame[0] = ATTACH_STDIN;
        s->out.frame_len = 1 + len;
    }
    return detached ? ATTACH_DETACHED : -1;
}

static int session_loop(struct attach_session *s, int sfd, int *code)
{
    for (;;) {
        struct pollfd p[3] = {
            {.fd = s->sock, .events = POLLIN | (outbox_pending(&s->out) ? POLLOUT : 0)},
            {.fd = sfd, .events = POLLIN},
            {.fd = s->stdin_on && s->out.frame_len == 0 ? STDIN_FILENO : -1, .events = POLLIN},
        };
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return ATTACH_LOST;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int rc = receive(s, code);
            if (rc >= 0)
                return rc;
        }
        if (p[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                int sig = (int)si.ssi_signo;
                if (sig == SIGWINCH)
                    s->out.resize = s->tty;
                else if (s->sig_proxy)
                    s->out.signals |= 1ULL << sig;
                else {
                    *code = 128 + sig;
                    return ATTACH_KILLED;
                }
            }
        }
        if (p[2].revents) {
            int rc = read_stdin(s);
            if (rc >= 0) {
                outbox_flush(s); /* what was typed before the detach keys */
                return rc;
            }
        }
        if (!outbox_flush(s))
            return ATTACH_LOST;
    }
}

static int fail1(hull_err *err)
{
    return cli_fail(err);
}

/* docker's refusals, one line each. */
static int check_running(container_store *cs, container_record *r, hull_err **err)
{
    struct container_state_info st;
    if (container_status_get(cs, r, &st, err) < 0)
        return -1;
    switch (st.state) {
    case CONTAINER_RUNNING:
        return 0;
    case CONTAINER_PAUSED:
        return hull_error(err, 0, "cannot attach to a paused container, unpause it first");
    case CONTAINER_RESTARTING:
        return hull_error(err, 0,
                          "cannot attach to a restarting container, wait until it is running");
    default:
        return hull_error(err, 0, "cannot attach to a stopped container, start it first");
    }
}

/* The socket exists from before the process runs; retry briefly all the same (a monitor
 * between two runs, a start in progress). */
static int connect_monitor(container_store *cs, container_record *r, const char *ref,
                           hull_err **err)
{
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int tries = 0;; tries++) {
        int fd = attach_connect(cs, r);
        if (fd >= 0)
            return fd;
        if (errno != ENOENT && errno != ECONNREFUSED)
            return hull_error(err, errno, "container %s: connect to its monitor", ref);
        if (check_running(cs, r, err) < 0)
            return -1;
        if (tries == 100)
            return hull_error(err, errno, "container %s: its monitor has no attach endpoint", ref);
        nanosleep(&pause, NULL);
    }
}

static bool parse_bool(const char *v, bool *out)
{
    if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        return *out = true, true;
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return *out = false, true;
    return false;
}

/* After the run ended without telling us (the monitor was killed, or we connected as it
 * finished): the recorded exit, when there is one. */
static int lost_connection(container_store *cs, container_record *r, const char *ref)
{
    hull_err *err = NULL;
    struct container_state_info st;
    if (container_status_get(cs, r, &st, &err) == 0 && st.state == CONTAINER_EXITED &&
        st.exit_known && st.exit_code >= 0)
        return st.exit_code;
    hull_err_free(err);
    err = NULL;
    return fail1(
        (hull_error(&err, 0, "container %s: lost the connection to its monitor", ref), err));
}

int cmd_attach(struct hull_cli *cli, int argc, char **argv)
{
    enum { OPT_NO_STDIN = 256, OPT_DETACH_KEYS, OPT_SIG_PROXY };
    static const struct option_spec optspec[] = {
        {"no-stdin", 0, false, OPT_NO_STDIN, "do not attach stdin"},
        {"detach-keys", 0, true, OPT_DETACH_KEYS, "the key sequence that detaches"},
        {"sig-proxy", 0, false, OPT_SIG_PROXY, "forward signals to the container"},
        {"help", 'h', false, 'h', "show this help"},
        {NULL, 0, false, 0, NULL}};
    bool no_stdin = false, sig_proxy = true;
    const char *keys_spec = DETACH_KEYS_DEFAULT;
    int c;
    hull_err *perr = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &perr) < 0)
        return cli_fail(perr);
    const char *arg;
    while ((c = options_next(&p, &arg, &perr)) != 0) {
        switch (c) {
        case OPT_NO_STDIN:
            if (options_bool("no-stdin", arg, &no_stdin, &perr) < 0)
                return cli_usage_options("attach", perr);
            break;
        case OPT_DETACH_KEYS:
            keys_spec = *arg ? arg : DETACH_KEYS_DEFAULT;
            break;
        case OPT_SIG_PROXY:
            if (!parse_bool(arg, &sig_proxy))
                return cli_usage("attach", "--sig-proxy `%s`: expected true or false", arg);
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return cli_usage_options("attach", perr);
        }
    }
    if (argc - p.index != 1)
        return cli_usage("attach", "expected exactly one CONTAINER");
    const char *ref = argv[p.index];
    struct ctr_attach_opts o = {.sig_proxy = sig_proxy};
    hull_err *err = NULL;
    if (detach_keys_parse(keys_spec, o.keys, &o.n_keys, &err) < 0) {
        int rc = cli_usage("attach", "%s", err->msg);
        hull_err_free(err);
        return rc;
    }
    cleanup_container_store container_store *cs = NULL;
    cleanup_container_record container_record *r = NULL;
    if (ctr_open(cli, &cs, &err) < 0 || container_record_find(cs, ref, &r, &err) < 0 ||
        check_running(cs, r, &err) < 0)
        return fail1(err);
    o.stdin_on = !no_stdin && r->interactive;
    if (r->tty && o.stdin_on && !isatty(STDIN_FILENO))
        return fail1((hull_error(&err, 0, "the input device is not a TTY"), err));
    /* Blocked from before the connection: a signal between it and the session loop (where the
     * monitor already counts this client) waits for the loop instead of killing us. */
    sigset_t old;
    ctr_attach_block_signals(&old);
    cleanup_close int sock = connect_monitor(cs, r, ref, &err);
    if (sock < 0)
        return fail1(err);
    bool detached = false;
    int rc = ctr_attach_session(cs, r, ref, sock, &o, &detached);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (detached) {
        fputs("read escape sequence\n", stderr);
        return 1;
    }
    return rc;
}

/* The signals an attached client catches (forwards, or ends on with 128 + the signal). */
static void caught_signals(sigset_t *mask)
{
    static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
    sigemptyset(mask);
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaddset(mask, caught[i]);
}

void ctr_attach_block_signals(sigset_t *old)
{
    sigset_t mask;
    caught_signals(&mask);
    sigprocmask(SIG_BLOCK, &mask, old);
}

int ctr_attach_session(container_store *cs, container_record *r, const char *ref, int sock,
                       const struct ctr_attach_opts *o, bool *detached)
{
    struct attach_session s = {.sock = sock};
    hull_err *err = NULL;
    *detached = false;
    memcpy(s.keys.keys, o->keys, sizeof s.keys.keys);
    s.keys.n = o->n_keys;
    s.tty = r->tty;
    s.stdin_on = o->stdin_on;
    s.sig_proxy = o->sig_proxy && !s.tty;

    sigset_t mask, old;
    caught_signals(&mask);
    sigprocmask(SIG_BLOCK, &mask, &old);
    signal(SIGPIPE, SIG_IGN);
    cleanup_close int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return fail1((hull_error(&err, errno, "signalfd"), err));

    if (s.tty && s.stdin_on && tcgetattr(STDIN_FILENO, &s.saved) == 0) {
        struct termios t = s.saved;
        cfmakeraw(&t);
        s.raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
    }
    /* A size one off, then the real one: the container sees a change (SIGWINCH) and redraws,
     * like docker does on attach. */
    if (s.tty && isatty(STDOUT_FILENO)) {
        send_size(sock, 1);
        send_size(sock, 0);
    }
    int code = 0;
    int outcome = session_loop(&s, sfd, &code);
    if (s.raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &s.saved);
    sigprocmask(SIG_SETMASK, &old, NULL);
    switch (outcome) {
    case ATTACH_DONE:
    case ATTACH_KILLED:
        return code;
    case ATTACH_DETACHED:
        *detached = true;
        return 0;
    case ATTACH_GONE:
        return 1;
    case ATTACH_REFUSED:
        return fail1((hull_error(&err, 0, "container %s: too many clients attached (at most %d)",
                                 ref, ATTACH_MAX_CLIENTS),
                      err));
    default:
        return lost_connection(cs, r, ref);
    }
}
