/* What `hull run`/`hull create` were asked for, as a plain model: the CLI parses flags into it,
 * container_create_from_image() (create.h) turns it plus the image config into a record and an
 * OCI bundle. The parsers of the flag mini-languages (-v, --mount, --tmpfs, sizes, restart
 * policies) live here so they can be unit-tested without a command line. */
#ifndef HULL_CONTAINER_REQUEST_H
#define HULL_CONTAINER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

enum mount_kind { MOUNT_BIND, MOUNT_VOLUME, MOUNT_TMPFS };

struct mount_request {
    enum mount_kind kind;
    char *source; /* bind: absolute host path; volume: name (NULL = anonymous); tmpfs: NULL */
    char *target; /* absolute container path */
    bool readonly;
    char *tmpfs_options; /* tmpfs: "size=...,mode=..." (may be NULL) */
};

/* --device HOST[:CONTAINER][:PERMS] (docker's syntax). */
struct device_request {
    char *host;      /* absolute host path (a node or a directory of nodes) */
    char *container; /* absolute container path (default: host) */
    char perms[4];   /* non-empty subset of "rwm" (default "rwm") */
};

struct run_request {
    const char *image;
    char **cmd; /* borrowed from argv, NULL-terminated, may be empty */
    bool has_entrypoint;
    const char *entrypoint; /* "" clears the image's entrypoint */
    const char *name;
    const char *hostname;
    const char *workdir;
    const char *user;
    char **env;       /* "K=V" or "K" (taken from hull's environment), NULL-terminated */
    char **env_files; /* files of K=V lines */
    char **labels;    /* "K=V" */
    struct mount_request *mounts;
    size_t n_mounts;
    struct device_request *devices;
    size_t n_devices;
    bool privileged; /* docker's --privileged (docs/security.md) */
    bool detach, remove, interactive, tty, read_only, init;
    const char *detach_keys; /* `hull run -it`: the detach sequence (default ctrl-p,ctrl-q) */
    bool no_new_privileges;  /* default true (hardened) */
    char **cap_add, **cap_drop;
    const char *seccomp;  /* --security-opt seccomp=FILE|unconfined */
    const char *landlock; /* --security-opt landlock=FILE */
    char *seccomp_trace;  /* hull run --seccomp-trace FILE, made absolute (owned) */
    const char *stop_signal;
    long stop_timeout;   /* -1 = default (10) */
    const char *restart; /* no | on-failure | always | unless-stopped */
    long max_retries;
    const char *network;    /* bridge (default) | none | host | container:C | a network name */
    char **network_aliases; /* --network-alias */
    const char *ip;         /* --ip */
    const char *ip6;        /* --ip6 */
    char **publish;         /* -p specs */
    bool publish_all;       /* -P */
    char **expose;          /* --expose PORT[-END][/PROTO] */
    char **dns, **dns_search, **dns_options, **add_hosts;
    char **sysctls; /* --sysctl K=V (checked by parse_sysctl_flag) */
    char **ulimits; /* --ulimit NAME=SOFT[:HARD] (checked by parse_ulimit_flag) */
    /* --egress-allow, --egress-tcp-port */
    char **egress_allow, **egress_tcp_ports;
    long long ingress_rate, egress_rate; /* bits/s, 0 = unlimited */
    const char *runtime;                 /* native | vm */
    const char *pull;                    /* missing (default) | always | never */
    long long memory;                    /* bytes, 0 = unlimited */
    long long cpus_milli;                /* --cpus N * 1000, 0 = unlimited */
    long long pids_limit;                /* 0 = unlimited */
    long long log_max_size;              /* bytes, 0 = unlimited */
    int log_max_files;
    /* --health-*: NULL / 0 = not given (the image's value, else docker's default) */
    const char *health_cmd; /* CMD-SHELL */
    long long health_interval, health_timeout, health_start_period, health_start_interval;
    long long health_retries;
    bool no_healthcheck;
};

void run_request_init(struct run_request *r);
void run_request_clear(struct run_request *r);
/* Append a string to a NULL-terminated list (ownership of a copy). */
void strv_append(char ***v, const char *s);

/* "10m", "512k", "1g", "1024" (bytes; b/k/m/g, case-insensitive, optional trailing 'b'). */
int parse_size(const char *text, long long *out, hull_err **err);
/* "no", "on-failure[:N]", "always", "unless-stopped". */
int parse_restart_policy(const char *text, const char **name, long *max_retries, hull_err **err);
/* -v SRC:DST[:OPTS], -v DST (anonymous volume). SRC starting with / or . is a bind mount,
 * otherwise a volume name. OPTS: ro, rw (others refused). */
int parse_volume_flag(const char *text, struct mount_request *out, hull_err **err);
/* --mount type=bind|volume|tmpfs,source=...,target=...,readonly,tmpfs-size=...,tmpfs-mode=... */
int parse_mount_flag(const char *text, struct mount_request *out, hull_err **err);
/* --tmpfs DST[:OPTS] */
int parse_tmpfs_flag(const char *text, struct mount_request *out, hull_err **err);
void mount_request_clear(struct mount_request *m);
/* --device HOST[:CONTAINER][:PERMS]; HOST:PERMS when the second part is made of r, w, m. */
int parse_device_flag(const char *text, struct device_request *out, hull_err **err);
void device_request_clear(struct device_request *d);
/* --sysctl K=V: docker's namespaced sysctls (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*,
 * net.*); the error is docker's: "sysctl 'K=V' is not allowed". */
int parse_sysctl_flag(const char *text, hull_err **err);
/* --ulimit NAME=SOFT[:HARD] (docker's names: nofile, nproc, core, ...); HARD defaults to SOFT.
 * *rlimit is the OCI name ("RLIMIT_NOFILE"), static. */
int parse_ulimit_flag(const char *text, const char **rlimit, unsigned long long *soft,
                      unsigned long long *hard, hull_err **err);

#endif
