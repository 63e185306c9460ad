/* hull's containers on disk: one directory per container under DATA_ROOT/containers, a name
 * index that makes names unique, the record written at create and the per-run files the
 * monitor maintains.
 *
 *   DATA_ROOT/containers/<id>/     0700, <id> = 64 hex digits
 *       container.json             the record (docker-inspect-like: Config, HostConfig, Mounts)
 *       creating.json              while create runs: Name, Image, ImageDigest, Created (what a
 *                                  dead container needs to be removed; gone once the record is)
 *       (the directory itself)     flock: create, start, restart, clean-up and rm are serialised
 *       bundle/config.json         the OCI bundle generated at create; bundle/rootfs mount point
 *       storage/                   overlay upper/work (or the vfs copy) of the root filesystem
 *       hostname, hosts, resolv.conf   bind-mounted into the container
 *       container.log[.1 .2]       JSON-lines logs (monitor_io.h)
 *       run.json                   the current run: Generation, Pid, StartedAt, RestartCount,
 *                                  MonitorPid, MonitorStartTime (written at every start)
 *       exit.json                  the last exit: ExitCode, FinishedAt, Generation, Restarting
 *       stopped                    marker: stopped by the user, no restart
 *       health-schedule            when probes run (health_sched.h), written at create
 *       health.json                health: Status, FailingStreak, Log (health.h)
 *       attach.sock                the running monitor's attach endpoint (monitor_attach.h)
 *   DATA_ROOT/names/<name> -> <id> symlinks, created with symlinkat: a name is taken once
 *   DATA_ROOT/volumes/<name>/_data named volumes (volume.h)
 *
 * The runtime's state of the containers (--root of the lifecycle API: a directory per created
 * container, with state.json, the config's copy, exec.fifo) is per boot: it lives
 * in a run directory, CONTAINER_RUN_DIR/<dev>-<ino> (the data root's device and inode numbers,
 * hex), on a tmpfs (made by tmpfs_dir_ready where /run is a plain directory on disk), so that no
 * run creates and deletes inodes on the data root's file system for it; after a reboot it is
 * empty and every container reads as stopped (status.h), as the runtime's old state would. In
 * rootless mode: $XDG_RUNTIME_DIR/hull/containers/<dev>-<ino>. It stays DATA_ROOT/runtime/
 * (the layout of hulls before 2026-12-06) while that holds any container's state (an older
 * hull's containers; it is removed once only dot entries such as .seccomp-cache are left), and
 * where the run directory cannot be made (no $XDG_RUNTIME_DIR in rootless mode, a read-only
 * /run).
 */
#ifndef HULL_CONTAINER_STORE_H
#define HULL_CONTAINER_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runtime/lifecycle.h"
#include "util/error.h"

#define CONTAINER_ID_LEN    64
#define CONTAINER_SHORT_LEN 12
#define CONTAINER_RECORD    "container.json"
#define CONTAINER_RUN_INFO  "run.json"
/* The intent record of an interrupted create, written by hull before 2026-12-06 (read still). */
#define CONTAINER_INTENT "creating.json"
/* Where the runtime's state of hull's containers lives (see above), and its tmpfs's options. */
#define CONTAINER_RUN_DIR       "/run/hull-containers"
#define CONTAINER_RUN_DIR_TMPFS "mode=0711,size=256m,nr_inodes=1048576"

typedef struct container_store {
    char *data_root;
    char *dir;          /* DATA_ROOT/containers */
    char *runtime_root; /* CONTAINER_RUN_DIR/<dev>-<ino>, or DATA_ROOT/runtime (see above) */
    /* How every call into the runtime is made: root = runtime_root; the front end that opens
     * the store sets the handlers it offers. */
    struct runtime_opts runtime;
    char *volumes_dir;              /* DATA_ROOT/volumes */
    int dirfd;                      /* containers/ */
    bool runtime_root_in_data_root; /* DATA_ROOT/runtime: the config's copy can be a hard link */
    /* The runs' attach sockets, named by container id: runtime_root/.attach when that is the
     * per-boot run directory (a tmpfs: no inode on the data root's file system per run), NULL
     * when they are DIR/attach.sock (runtime_root in the data root). See container/attach.h. */
    char *attach_dir;
    int names_fd;     /* names/ */
    int run_dir_hold; /* CONTAINER_RUN_DIR's shared flock where it is on disk (tmpfs_dir.h) */
    /* The host's cgroup hierarchies when container_launch_detect_cgroups found them (NULL
     * otherwise): the launch that follows hands them to the runtime, which then does not list
     * the host's mounts a second time. */
    struct cgroup_host *cgroup_host;
} container_store;

int container_store_open(const char *data_root, container_store **out, hull_err **err);
void container_store_close(container_store *s);
void container_store_closep(container_store **s);
#define cleanup_container_store __attribute__((cleanup(container_store_closep)))

/* 64 random hex digits. */
void container_new_id(char out[CONTAINER_ID_LEN + 1]);

/* Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+, at most 128 bytes. */
int container_name_validate(const char *name, hull_err **err);
/* Take `name` for `id` (NULL: generate a free adjective_noun name). *out receives the name. */
int container_name_reserve(container_store *s, const char *name, const char *id, char **out,
                           hull_err **err);
/* Drop the name when it still points at `id`. */
void container_name_release(container_store *s, const char *name, const char *id);
/* Drop every name that points at `id` (a create interrupted between the reservation and the
 * record leaves one that no record names). */
void container_names_release_id(container_store *s, const char *id);

/* A full id, a name, or an unambiguous id prefix -> the full id. Unknown: "no such container". */
int container_resolve(container_store *s, const char *ref, char **id, hull_err **err);
/* Every container id (NULL-terminated, unsorted). */
int container_list_ids(container_store *s, char ***ids, hull_err **err);

/* The record and the typed fields commands need from it. */
typedef struct container_record {
    char *id;
    char *name;
    char *dir;    /* DATA_ROOT/containers/<id> */
    char *bundle; /* dir/bundle */
    int dirfd;
    json_t *doc; /* container.json */
    /* Views into doc: */
    const char *image_digest; /* manifest digest (image store user record) */
    bool auto_remove;
    bool interactive;
    bool tty;
    const char *restart_policy; /* no, on-failure, always, unless-stopped */
    long max_retries;
    int stop_signal;
    long stop_timeout;
    long long log_max_size;
    int log_max_files;
    json_t *healthcheck; /* Config.Healthcheck when it runs probes (health.h), else NULL */
    /* No container.json: a create that was interrupted (or is still running, with the lock
     * held). doc is then made from creating.json: Id, Name, Image, ImageDigest, Created and
     * empty Config/HostConfig. Such a container can only be listed, inspected and removed. */
    bool dead;
    /* bundle/config.json as this process wrote it (create, or a rewrite of it), for the runtime
     * to use without reading it back; NULL when this process has not written it. */
    json_t *bundle_config;
    char *bundle_config_text; /* its compact encoding, as written (NULL with bundle_config) */
} container_record;

/* Read containers/<id>/container.json; a directory without one gives a `dead` record. */
int container_record_load(container_store *s, const char *id, container_record **out,
                          hull_err **err);
/* Resolve `ref` and load it. */
int container_record_find(container_store *s, const char *ref, container_record **out,
                          hull_err **err);
/* Fill the typed views from doc (after building or loading it). */
int container_record_index(container_record *r, hull_err **err);
int container_record_save(container_record *r, hull_err **err);
void container_record_free(container_record *r);
void container_record_freep(container_record **r);
#define cleanup_container_record __attribute__((cleanup(container_record_freep)))

/* flock on the container directory; returns the fd (close to unlock). Fails with "no such
 * container" (errnum ENOENT) when the directory was removed meanwhile (a concurrent rm), so
 * that of several removals exactly one succeeds. */
int container_lock(const container_record *r, hull_err **err);
/* Flock on a container directory fd (create holds it until the record is complete). */
int container_lock_dirfd(int dirfd, const char *what, hull_err **err);
/* Whether someone holds the container's lock now (a dead record whose create still runs). */
bool container_lock_busy(const container_record *r);

/* Write a small file atomically (temporary + rename; not fsynced: these records describe
 * processes, which do not survive a power loss either). */
int container_write_file(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                         hull_err **err);
/* Write a file of a container that nobody can read yet (create, before container.json): made
 * in place (O_EXCL), no temporary and rename. A create killed half-way leaves a dead container
 * that rm and prune remove whole, so a torn file is never read. */
int container_write_new_file(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                             hull_err **err);
int container_write_json(int dirfd, const char *name, json_t *doc, hull_err **err);
/* Write `spec` as bfd's config.json (atomically, by rename; `fresh`: a new bundle of a create,
 * written in place as container_write_new_file does) and keep it and its encoding in
 * r->bundle_config(_text) for the runtime (no read, parse or encoding again). */
int container_write_bundle_config(container_record *r, int bfd, json_t *spec, bool fresh,
                                  hull_err **err);
/* Read a JSON file of the container directory; *out = NULL when it does not exist. */
int container_read_json(int dirfd, const char *name, json_t **out, hull_err **err);

#endif
