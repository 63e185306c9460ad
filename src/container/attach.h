/* hull's side of the attach endpoint (the monitor's side and the protocol: monitor_attach.h):
 * creating the listening socket for a run, connecting to it, and the detach key sequence of
 * `hull attach` (docker's --detach-keys syntax). */
#ifndef HULL_CONTAINER_ATTACH_H
#define HULL_CONTAINER_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "container/store.h"
#include "util/error.h"

/* Where a run's attach socket is. A store whose runtime state is in the per-boot run directory
 * (cs->attach_dir) keeps it there, named by the container id (RUN_DIR/<dev>-<ino>/.attach/ID,
 * on a tmpfs: binding it made an inode on the data root's file system per run; a reboot
 * empties it, so no socket outlives its monitor but a killed one's, which the next run of the
 * container and its removal unlink). Otherwise, and for runs that a hull from before
 * 2026-12-06 started, it is DIR/attach.sock. Paths are reached through /proc/self/fd/DIRFD, so
 * their length does not matter (sun_path holds 108 bytes). */

/* Bind and listen (mode 0600, replacing a stale socket) for the run about to be monitored.
 * Returns the fd (close-on-exec). */
int attach_listen(const container_store *cs, const container_record *r, hull_err **err);
/* Connect to the container's monitor: the store's place first, then DIR/attach.sock; -1 with
 * errno (ENOENT, ECONNREFUSED: no monitor listens). */
int attach_connect(const container_store *cs, const container_record *r);
/* The same with a socket of the caller's (AF_UNIX, SOCK_SEQPACKET); 0 or -1 with errno. */
int attach_connect_fd(int fd, const container_store *cs, const container_record *r);
/* Remove the socket where this store makes it (a run that failed to start; a container
 * removed after its monitor was killed: DIR/attach.sock goes with the directory). */
void attach_remove(const container_store *cs, const container_record *r);
/* What hull-monitor is told: the socket's directory, "-" for DIR/attach.sock (monitor_attach.h). */
const char *attach_monitor_dir(const container_store *cs);

#define DETACH_KEYS_MAX     16
#define DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"

/* "ctrl-p,ctrl-q", "ctrl-a,x": comma-separated keys, each a single character or `ctrl-` plus
 * one of a-z @ [ \ ] ^ _ (docker's syntax). Fills keys[] and *n (1..DETACH_KEYS_MAX). */
int detach_keys_parse(const char *spec, unsigned char keys[DETACH_KEYS_MAX], size_t *n,
                      hull_err **err);

/* Watches typed input for the key sequence. Keys that start the sequence are held back until
 * it is complete (detach) or broken (then they are passed on, in order). */
struct detach_matcher {
    unsigned char keys[DETACH_KEYS_MAX];
    size_t n;       /* 0: never detach */
    size_t matched; /* keys of the sequence seen so far (held back) */
};

/* Filter `len` input bytes into out (room for len + DETACH_KEYS_MAX bytes); returns how many
 * bytes to forward. *detached is set when the sequence completed: the input after it is
 * dropped. */
size_t detach_filter(struct detach_matcher *m, const char *in, size_t len, char *out,
                     bool *detached);

#endif
