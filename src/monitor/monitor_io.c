/* Log relay, rotation, signal forwarding and exit records of a container monitor (libc only,
 * see monitor_io.h for why). */
#include "monitor/monitor_io.h"
#include "monitor/events.h"
#include "monitor/monitor_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* After the container's first process exited, wait at most this long for the pipes to drain
 * (processes that inherited them elsewhere could otherwise keep the monitor forever). */
#define DRAIN_GRACE_MS 1000

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void monitor_time_now(char buf[40])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    /* Bounded fields: the compiler cannot know tm's ranges, so clamp them visibly. */
    snprintf(buf, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%09uZ", (unsigned)(tm.tm_year + 1900) % 10000,
             (unsigned)(tm.tm_mon + 1) % 100, (unsigned)tm.tm_mday % 100,
             (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100,
             (unsigned)(ts.tv_nsec % 1000000000));
}

int log_writer_open(struct log_writer *w, int dirfd, off_t max_size, int max_files)
{
    w->dirfd = dirfd;
    w->max_size = max_size;
    w->max_files = max_files < 1 ? 1 : max_files;
    w->failed = false;
    w->fd = -1; /* opened at the first line: a run without output makes no file */
    w->size = 0;
    return 0;
}

static int log_open_now(struct log_writer *w)
{
    w->fd = openat(w->dirfd, MONITOR_LOG_NAME, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (w->fd < 0)
        return -1;
    struct stat st;
    w->size = fstat(w->fd, &st) == 0 ? st.st_size : 0;
    return 0;
}

void log_writer_close(struct log_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

/* container.log.2 -> .3 ... container.log -> .1, then a fresh container.log. */
static int log_rotate(struct log_writer *w)
{
    char from[64], to[64];
    log_writer_close(w);
    for (int i = w->max_files - 1; i >= 1; i--) {
        if (i == 1)
            snprintf(from, sizeof from, "%s", MONITOR_LOG_NAME);
        else
            snprintf(from, sizeof from, "%s.%d", MONITOR_LOG_NAME, i - 1);
        snprintf(to, sizeof to, "%s.%d", MONITOR_LOG_NAME, i);
        if (renameat(w->dirfd, from, w->dirfd, to) < 0 && errno != ENOENT)
            return -1;
    }
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
    if (w->max_files == 1)
        flags |= O_TRUNC;
    w->fd = openat(w->dirfd, MONITOR_LOG_NAME, flags, 0640);
    w->size = 0;
    return w->fd < 0 ? -1 : 0;
}

size_t utf8_seq_len(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    unsigned min;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static size_t json_escape_into(char *out, const char *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)data;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t n = utf8_seq_len(p + i, len - i);
            if (n == 0) {
                memcpy(out + o, "\\ufffd", 6);
                o += 6;
                i++;
            } else {
                memcpy(out + o, p + i, n);
                o += n;
                i += n;
            }
            continue;
        }
        i++;
        switch (c) {
        case '"':
            out[o++] = '\\', out[o++] = '"';
            break;
        case '\\':
            out[o++] = '\\', out[o++] = '\\';
            break;
        case '\n':
            out[o++] = '\\', out[o++] = 'n';
            break;
        case '\r':
            out[o++] = '\\', out[o++] = 'r';
            break;
        case '\t':
            out[o++] = '\\', out[o++] = 't';
            break;
        default:
            if (c < 0x20) {
                memcpy(out + o, "\\u00", 4);
                out[o + 4] = hex[c >> 4];
                out[o + 5] = hex[c & 15];
                o += 6;
            } else {
                out[o++] = (char)c;
            }
        }
    }
    return o;
}

int log_writer_line(struct log_writer *w, const char *stream, const char *data, size_t len)
{
    /* Worst case: every byte becomes a 6-byte escape. Static: no allocation per line, and the
     * pages are only touched as far as lines are long. */
    static char rec[MONITOR_LINE_MAX * 6 + 128];
    if (len > MONITOR_LINE_MAX)
        return -1;
    if (w->fd < 0 && (w->failed || log_open_now(w) < 0)) {
        w->failed = true;
        return -1;
    }
    char now[40];
    monitor_time_now(now);
    size_t o = (size_t)snprintf(rec, sizeof rec, "{\"log\":\"");
    o += json_escape_into(rec + o, data, len);
    o += (size_t)snprintf(rec + o, sizeof rec - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
                          stream, now);
    if (w->max_size > 0 && w->size > 0 && w->size + (off_t)o > w->max_size && log_rotate(w) < 0) {
        w->failed = true;
        return -1;
    }
    if (write_all(w->fd, rec, o) < 0) {
        w->failed = true;
        return -1;
    }
    w->size += (off_t)o;
    return 0;
}

/* Emit every complete line in the buffer; a full buffer without newline is emitted as a
 * partial record; at EOF whatever is left goes out too. */
static void stream_flush(struct relay_stream *s, struct log_writer *log, bool eof)
{
    size_t start = 0;
    for (;;) {
        char *nl = memchr(s->buf + start, '\n', s->len - start);
        if (nl == NULL)
            break;
        size_t n = (size_t)(nl - (s->buf + start)) + 1;
        if (log)
            log_writer_line(log, s->name, s->buf + start, n);
        start += n;
    }
    size_t rest = s->len - start;
    if (rest > 0 && (eof || (start == 0 && rest == sizeof s->buf))) {
        if (log)
            log_writer_line(log, s->name, s->buf + start, rest);
        start += rest;
        rest = 0;
    }
    if (start > 0 && rest > 0)
        memmove(s->buf, s->buf + start, rest);
    s->len = rest;
}

static void stream_read(struct relay_stream *s, struct log_writer *log, struct relay_attach *attach)
{
    ssize_t n;
    do
        n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return;
    if (n <= 0) {
        close(s->fd);
        s->fd = -1;
        stream_flush(s, log, true);
        return;
    }
    if (s->tee_fd >= 0 && write_all(s->tee_fd, s->buf + s->len, (size_t)n) < 0)
        s->tee_fd = -1; /* our own reader went away: keep logging */
    if (attach)
        attach_broadcast(attach, strcmp(s->name, "stderr") == 0 ? ATTACH_STDERR : ATTACH_STDOUT,
                         s->buf + s->len, (size_t)n);
    s->len += (size_t)n;
    stream_flush(s, log, false);
}

int relay_exit_code(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void relay_copy_winsize(int master)
{
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

static bool handle_signals(struct relay *r, int sfd, int *status, bool *exited)
{
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
            int st;
            pid_t p;
            /* We are a subreaper: orphans of the container are reaped here too. */
            while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
                if (p == r->child) {
                    *status = st;
                    *exited = true;
                } else if (r->health) {
                    health_sched_reaped(r->health, p, st);
                }
            }
            continue;
        }
        if (sig == SIGWINCH && r->winsize_fd >= 0) {
            relay_copy_winsize(r->winsize_fd);
            continue;
        }
        if (sigismember(&r->stop_signals, sig))
            r->stop_requested = true;
        if (sigismember(&r->forward, sig) && !*exited)
            kill(r->child, sig);
    }
    return true;
}

int monitor_watch_adopted(pid_t pid, bool *stop_requested)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0)
        return -1; /* already gone */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    for (;;) {
        struct pollfd p[2] = {{.fd = pfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        struct signalfd_siginfo si;
        while (sfd >= 0 && read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
            *stop_requested = true;
            if (si.ssi_signo == SIGTERM)
                syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0);
        }
    }
    close(pfd);
    if (sfd >= 0)
        close(sfd);
    return -1;
}

int relay_run(struct relay *r, int *status)
{
    sigset_t mask = r->forward;
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&r->stop_signals, s))
            sigaddset(&mask, s);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return -1;
    bool exited = false;
    long long deadline = 0;
    char in_buf[4096];
    size_t in_len = 0, in_off = 0;
    if (r->health && health_sched_start(r->health) < 0)
        r->health = NULL; /* no timer: no probes, the container still runs */
    /* The child may have exited before the signalfd existed. */
    raise(SIGCHLD);
    for (;;) {
        if (exited && r->out.fd < 0 && r->err.fd < 0)
            break;
        struct pollfd p[5 + 1 + ATTACH_MAX_CLIENTS];
        int n = 0, i_out = -1, i_err = -1, i_sig, i_in = -1, i_attach = -1, attach_timeout = -1;
        int i_health = -1;
        if (r->attach) {
            /* First: it drops clients stalled too long, which may release the output. */
            i_attach = n;
            n = attach_poll_fill(r->attach, p, n, in_len == in_off, &attach_timeout);
        }
        /* While an attached client holds output back, the container's pipes wait. */
        bool held = r->attach && attach_output_blocked(r->attach);
        if (r->out.fd >= 0 && !held)
            i_out = n, p[n++] = (struct pollfd){.fd = r->out.fd, .events = POLLIN};
        if (r->err.fd >= 0 && !held)
            i_err = n, p[n++] = (struct pollfd){.fd = r->err.fd, .events = POLLIN};
        i_sig = n, p[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
        if (r->stdin_dst >= 0 && !exited) {
            if (in_len > in_off)
                i_in = n, p[n++] = (struct pollfd){.fd = r->stdin_dst, .events = POLLOUT};
            else if (r->stdin_src >= 0)
                i_in = n, p[n++] = (struct pollfd){.fd = r->stdin_src, .events = POLLIN};
        }
        if (r->health && !exited)
            i_health = n, p[n++] = (struct pollfd){.fd = r->health->timer_fd, .events = POLLIN};
        int timeout = -1;
        if (exited) {
            long long now = now_ms();
            /* The grace period does not run out while a client holds output back (its stall
             * limit bounds that): the log gets everything. */
            if (held && deadline < now + 100)
                deadline = now + 100;
            long long left = deadline - now;
            if (left <= 0)
                break;
            timeout = (int)left;
        }
        if (attach_timeout >= 0 && (timeout < 0 || attach_timeout < timeout))
            timeout = attach_timeout;
        int rc = poll(p, (nfds_t)n, timeout);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            if (r->health)
                health_sched_stop(r->health);
            close(sfd);
            errno = e;
            return -1;
        }
        if (rc == 0)
            continue;
        if (p[i_sig].revents) {
            bool was = exited;
            handle_signals(r, sfd, status, &exited);
            if (!was && exited) {
                if (r->health)
                    health_sched_stop(r->health);
                deadline = now_ms() + DRAIN_GRACE_MS;
            }
        }
        if (i_health >= 0 && p[i_health].revents && !exited)
            health_sched_on_timer(r->health);
        if (i_out >= 0 && p[i_out].revents)
            stream_read(&r->out, r->log, r->attach);
        if (i_err >= 0 && p[i_err].revents && !(r->attach && attach_output_blocked(r->attach)))
            stream_read(&r->err, r->log, r->attach);
        if (i_in >= 0 && p[i_in].revents) {
            if (in_len > in_off) {
                ssize_t w = write(r->stdin_dst, in_buf + in_off, in_len - in_off);
                if (w > 0) {
                    in_off += (size_t)w;
                    if (in_off == in_len)
                        in_len = in_off = 0;
                } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    close(r->stdin_dst); /* the container closed its stdin */
                    r->stdin_dst = -1;
                    in_len = in_off = 0; /* dropped: attach frames may be read again */
                }
            } else {
                ssize_t got = read(r->stdin_src, in_buf, sizeof in_buf);
                if (got > 0) {
                    in_len = (size_t)got;
                    in_off = 0;
                } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                    close(r->stdin_dst); /* EOF on our stdin: EOF for the container */
                    r->stdin_dst = -1;
                }
            }
        }
        if (i_attach >= 0) {
            /* Stdin frames land in in_buf when it is free (in_len 0). */
            attach_poll_handle(r->attach, r, p + i_attach, exited, in_buf, sizeof in_buf, &in_len);
        }
    }
    /* Anything still buffered after the grace period. */
    if (r->out.fd >= 0) {
        close(r->out.fd);
        r->out.fd = -1;
        stream_flush(&r->out, r->log, true);
    }
    if (r->err.fd >= 0) {
        close(r->err.fd);
        r->err.fd = -1;
        stream_flush(&r->err, r->log, true);
    }
    if (r->stdin_dst >= 0) {
        close(r->stdin_dst);
        r->stdin_dst = -1;
    }
    if (r->health)
        health_sched_stop(r->health);
    close(sfd);
    return exited ? 0 : -1;
}

int exit_record_write(int dirfd, int exit_code, long generation, bool restarting, bool oom_killed)
{
    char now[40], buf[256];
    monitor_time_now(now);
    int n = snprintf(buf, sizeof buf,
                     "{\"ExitCode\":%d,\"FinishedAt\":\"%s\",\"Generation\":%ld,"
                     "\"Restarting\":%s,\"OOMKilled\":%s}\n",
                     exit_code, now, generation, restarting ? "true" : "false",
                     oom_killed ? "true" : "false");
    int fd =
        openat(dirfd, MONITOR_EXIT_NAME ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, buf, (size_t)n);
    close(fd);
    if (rc < 0 || renameat(dirfd, MONITOR_EXIT_NAME ".tmp", dirfd, MONITOR_EXIT_NAME) < 0)
        return -1;
    return 0;
}

/* The value of "KEY N" lines in a cgroup file; -1 when absent. */
static long long cgroup_counter(const char *dir, const char *file, const char *key)
{
    char path[4200], buf[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    size_t klen = strlen(key);
    for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
            return strtoll(line + klen + 1, NULL, 10);
    return -1;
}

bool monitor_oom_killed(const char *memcg)
{
    if (memcg == NULL || *memcg == '\0')
        return false;
    long long kills = cgroup_counter(memcg, "memory.events", "oom_kill");
    if (kills < 0)
        kills = cgroup_counter(memcg, "memory.oom_control", "oom_kill");
    return kills > 0;
}

void monitor_exit_events(const char *data_root, int dirfd, const char *id, int exit_code,
                         bool oom_killed)
{
    char image[1024], attrs[EVENT_LINE_MAX / 2];
    event_attrs_read(dirfd, image, sizeof image, attrs, sizeof attrs);
    struct event ev = {"container", "oom", id, image, attrs};
    if (oom_killed)
        event_log_append(data_root, &ev);
    char code[16];
    snprintf(code, sizeof code, "%d", exit_code);
    event_attr_append(attrs, sizeof attrs, "exitCode", code);
    ev.action = "die";
    event_log_append(data_root, &ev);
}

bool monitor_should_restart(const char *policy, int exit_code, long restarts, long max_retries)
{
    if (strcmp(policy, "always") == 0 || strcmp(policy, "unless-stopped") == 0)
        return true;
    if (strcmp(policy, "on-failure") == 0)
        return exit_code != 0 && (max_retries == 0 || restarts < max_retries);
    return false;
}

static long env_ms(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return dflt;
    char *end;
    long n = strtol(v, &end, 10);
    return (*end == '\0' && n >= 0) ? n : dflt;
}

long monitor_backoff_ms(long restarts)
{
    long base = env_ms("HULL_RESTART_BACKOFF_MS", 100);
    long cap = env_ms("HULL_RESTART_BACKOFF_MAX_MS", 60000);
    long delay = base;
    for (long i = 0; i < restarts && delay < cap; i++)
        delay *= 2;
    return delay > cap ? cap : delay;
}

bool monitor_backoff_sleep(long ms)
{
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, &old);
    int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
    if (sfd < 0)
        return true;
    struct pollfd p = {.fd = sfd, .events = POLLIN};
    int rc;
    do
        rc = poll(&p, 1, ms > 0x7fffffff ? 0x7fffffff : (int)ms);
    while (rc < 0 && errno == EINTR);
    if (rc > 0) {
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof si); /* consume it: it must not fire later */
        (void)n;
    }
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc == 0;
}
