/* hull's side of the attach endpoint (the monitor's side and the protocol: monitor_attach.h):
 * creating the listening socket for a run, connecting to it, and the detach key sequence of
 * `hull attach` (docker's --detach-keys syntax). */
#ifndef HULL_CONTAINER_ATTACH_H
#define HULL_CONTAINER_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* Bind and listen on DIR/attach.sock (mode 0600, replacing a stale one) for the run about to be
 * monitored. The path is reached through /proc/self/fd/DIRFD, so the length of the data root
 * does not matter (sun_path holds 108 bytes). Returns the fd (close-on-exec). */
int attach_listen(int dirfd, hull_err **err);

/* Connect to DIR/attach.sock; -1 with errno (ENOENT, ECONNREFUSED: no monitor listens). */
int attach_connect(int dirfd);
/* The same with a socket of the caller's (AF_UNIX, SOCK_SEQPACKET); 0 or -1 with errno. */
int attach_connect_fd(int fd, int dirfd);

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
