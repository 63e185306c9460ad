/* The steady-state work of a container monitor: relay the container's stdout/stderr into
 * JSON-lines logs (docker's json-file format) with size-based rotation, forward signals, reap
 * children and record the exit atomically.
 *
 * This file is deliberately libc-only (no jansson, no libhull, no allocation after start-up): it
 * is linked into the small static `hull-monitor` that stays resident next to every detached
 * container (idle RSS well under 1 MiB), and into `hull` for attached runs. */
#ifndef HULL_MONITOR_MONITOR_IO_H
#define HULL_MONITOR_MONITOR_IO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "monitor/health_sched.h"

#define MONITOR_LOG_NAME  "container.log"
#define MONITOR_EXIT_NAME "exit.json"
/* Created by `hull stop`/`kill`/`rm`: the user stopped the container, do not restart it. */
#define MONITOR_STOPPED_NAME "stopped"
/* Docker's json-file driver splits lines longer than this into partial records. */
#define MONITOR_LINE_MAX 16384

struct log_writer {
    int dirfd;      /* container directory */
    int fd;         /* current log file, O_APPEND */
    off_t size;     /* bytes in the current file */
    off_t max_size; /* rotate before exceeding this; 0 = never */
    int max_files;  /* files kept including the current one (>= 1) */
    bool failed;    /* a write failed (disk full...): further lines are dropped */
};

/* Set up the writer of DIR/container.log, which is opened (append, created when missing) at
 * the first line: a run without output makes no file (readers take a missing log for an
 * empty one; `logs -f` waits for it). A failure to open then counts as a failed write. */
int log_writer_open(struct log_writer *w, int dirfd, off_t max_size, int max_files);
void log_writer_close(struct log_writer *w);
/* One JSON record {"log":..., "stream":..., "time":...}. `data` holds one line including its
 * '\n', or a partial line without one. Invalid UTF-8 becomes U+FFFD. */
int log_writer_line(struct log_writer *w, const char *stream, const char *data, size_t len);
/* Length of a valid UTF-8 sequence at p (1..4), or 0 when invalid. */
size_t utf8_seq_len(const unsigned char *p, size_t left);

struct relay_stream {
    int fd;           /* read end of the container's pipe, -1 once at EOF */
    int tee_fd;       /* also copy raw bytes here (attached runs), -1 = none */
    const char *name; /* "stdout" / "stderr" */
    size_t len;
    char buf[MONITOR_LINE_MAX];
};

struct relay_attach; /* monitor_attach.h */

struct relay {
    struct relay_stream out, err;
    struct log_writer *log; /* may be NULL */
    pid_t child;            /* the container's first process (our child) */
    int stdin_src;          /* attached -i: copy from here (-1 = none) ... */
    int stdin_dst;          /* ... into the container's stdin (pipe or pty master); -1 = none */
    int winsize_fd;         /* attached terminal: the pty master SIGWINCH resizes; -1 = none */
    /* The attach endpoint (`hull attach` clients): output is copied to them, their stdin
     * frames feed stdin_dst. NULL = none. */
    struct relay_attach *attach;
    /* Signals taken through a signalfd. `forward` ones go to the child; SIGCHLD reaps. */
    sigset_t forward;
    /* Set when a signal in `stop_signals` arrived (the monitor was asked to stop). */
    sigset_t stop_signals;
    bool stop_requested;
    /* Health probes on their schedule (timer in the poll set); NULL = no health check. */
    struct health_sched *health;
};

/* Block SIGCHLD and every signal in `forward`/`stop_signals`, then relay until the child
 * exited and both streams reached EOF (or a short grace period passed), running health probes
 * meanwhile (stopped when the child exits). *status receives the wait status. Returns -1 with
 * errno on a fatal error. */
int relay_run(struct relay *r, int *status);

/* An adopted container (its first monitor died; it is not our child): wait for `pid` to end
 * through a pidfd, forwarding SIGTERM to it (and setting *stop_requested, as relay_run does for
 * `stop_signals`). Its exit status went to whoever reaped it: returns -1 (unknown). */
int monitor_watch_adopted(pid_t pid, bool *stop_requested);

/* Give the pty `master` the size of our stdin's terminal (when it is one). */
void relay_copy_winsize(int master);

/* 128+N for a signal, the exit status otherwise. */
int relay_exit_code(int status);

/* The restart policy: no, on-failure (exit code != 0, at most max_retries restarts when
 * max_retries > 0), always, unless-stopped (the same without a daemon to restart). */
bool monitor_should_restart(const char *policy, int exit_code, long restarts, long max_retries);
/* Capped exponential backoff before restart number restarts+1: base * 2^restarts, base
 * $HULL_RESTART_BACKOFF_MS (100), cap $HULL_RESTART_BACKOFF_MAX_MS (60000). */
long monitor_backoff_ms(long restarts);
/* Sleep unless SIGTERM or SIGINT arrives first (then false: do not restart). */
bool monitor_backoff_sleep(long ms);

/* "2006-01-02T15:04:05.999999999Z" (UTC) into buf[40]. */
void monitor_time_now(char buf[40]);

/* Write DIR/exit.json atomically (temporary file + rename):
 * {"ExitCode":N,"FinishedAt":"...","Generation":G,"Restarting":bool,"OOMKilled":bool} */
int exit_record_write(int dirfd, int exit_code, long generation, bool restarting, bool oom_killed);

/* The kernel's verdict on the run that just ended, read before its cgroup is removed: whether
 * the memory cgroup directory `memcg` (NULL: none) counted an OOM kill (`oom_kill` of v2's
 * memory.events, or of v1's memory.oom_control). A fresh cgroup is made for every run. */
bool monitor_oom_killed(const char *memcg);

/* The `oom` (when oom_killed) and `die` (exitCode) events of container `id` in DATA_ROOT's event
 * log, with the attributes of DIR/event-attrs (events.h). Best effort. */
void monitor_exit_events(const char *data_root, int dirfd, const char *id, int exit_code,
                         bool oom_killed);

#endif
