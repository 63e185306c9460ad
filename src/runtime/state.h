/* The runtime's on-disk state: one directory per container under --root (0700), guarded by an
 * flock on the directory, holding state.json (written atomically), a copy of the bundle's
 * config.json and, until `start`, the exec.fifo the container's process waits on. */
#ifndef HULL_RUNTIME_STATE_H
#define HULL_RUNTIME_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "linux/procfs.h" /* proc_start_time */
#include "util/error.h"

enum runtime_status {
    RUNTIME_CREATING = 0,
    RUNTIME_CREATED,
    RUNTIME_RUNNING,
    RUNTIME_PAUSED,
    RUNTIME_STOPPED,
};

const char *runtime_status_name(enum runtime_status s);

struct runtime_state {
    char *id;
    char *oci_version;
    pid_t pid;
    unsigned long long start_time; /* /proc/PID/stat field 22, guards against pid reuse */
    char *bundle;
    char *rootfs;
    char *created; /* RFC 3339 */
    uid_t owner;
    json_t *annotations; /* owned, may be NULL */
    char *cgroup_path;   /* may be NULL */
    /* The container's cgroup set (cgroup_set_to_json), owned; NULL: none. state_write records
     * it before any cgroup is made, so that a runtime killed at any moment leaves a record
     * that delete removes them by. cgroups_in_old_file: a state of before 2026-12-06 (or none
     * yet), whose set is in cgroup.json if anywhere. */
    json_t *cgroups;
    bool cgroups_in_old_file;
    char *freezer; /* cgroup_set_freezer_line; NULL without cgroups or in older states */
    /* Which hooks of the config start and delete run (RUNTIME_HOOKS_*), so that they read the
     * config's copy only when it has some; -1: not recorded (an older state), read it. */
    int hooks;
    bool systemd_cgroup;
    char *handler; /* NULL = native */
    json_t *extra; /* handler-specific data, owned, may be NULL */
    /* The container's copy of its config, when state.json carries it (state_write: not owned,
     * written after the state's line; NULL: none, or a config.json of its own beside it). */
    const char *config_text;
};

enum { RUNTIME_HOOKS_START = 1, RUNTIME_HOOKS_POSTSTOP = 2 };

void runtime_state_clear(struct runtime_state *s);

/* A locked container directory. */
struct state_dir {
    char *root; /* --root */
    char *id;
    char *path; /* root/id */
    int dirfd;  /* open and flock'ed */
    dev_t dev;  /* the directory's identity, from the check after the lock */
    ino_t ino;
};

void state_dir_close(struct state_dir *d);
static inline void state_dir_closep(struct state_dir *d)
{
    state_dir_close(d);
}
#define cleanup_state_dir __attribute__((cleanup(state_dir_closep)))

/* Check an id: non-empty, at most 1024 bytes, no '/', no NUL, not "." or "..". */
int state_validate_id(const char *id, hull_err **err);

/* Create root/id (fails with "already exists") and lock it. */
int state_dir_create(const char *root, const char *id, struct state_dir *out, hull_err **err);
/* Open and lock an existing container directory ("does not exist" error otherwise). */
int state_dir_open(const char *root, const char *id, struct state_dir *out, hull_err **err);
/* Remove the container directory (the caller holds the lock): state.json and the directory by
 * name, every other entry (older layouts, fifos, a config.json) by a listing only when there
 * are some. */
int state_dir_remove(struct state_dir *d, hull_err **err);

/* Write state.json atomically (temp + rename): the state as one line of compact JSON, then,
 * with s->config_text, a newline and the container's copy of its config (one file, one inode,
 * rather than a config.json of its own). The line starts with "pid" and "startTime" in fields
 * of fixed width (padded with spaces, which JSON allows), for state_write_pid. */
int state_write(struct state_dir *d, const struct runtime_state *s, hull_err **err);
/* Record s->pid and s->start_time in the state.json that state_write wrote (create writes it
 * before it makes the cgroups and clones, with pid 0: "creating"): one pwrite of the two
 * fixed-width fields in place, under the directory's lock, so no reader sees it half-done, and
 * a single write of 43 bytes within the first page, so a kill leaves the old or the new
 * fields, never a mix. No new inode, where a temp + rename would make one. */
int state_write_pid(struct state_dir *d, const struct runtime_state *s, hull_err **err);
/* Read state.json (its first line); returns 1 if present, 0 if absent (container mid-create),
 * -1 on error. A present state with pid 0 is a create that has not cloned yet (or was killed
 * before it did). */
int state_read(struct state_dir *d, struct runtime_state *s, hull_err **err);
/* The container's copy of its config: what follows state.json's first line, else (states
 * written by `hull`, which links the bundle's file, and older ones) config.json. */
int state_read_config(struct state_dir *d, char **text, size_t *len, hull_err **err);

/* Open and lock root/id, read its state and derive the live status, in one step. Returns 1
 * when state.json exists, 0 when the container is mid-create (status RUNTIME_CREATING), -1 on
 * error. `s` must be cleared by the caller (runtime_state_clear) on success. */
int state_load(const char *root, const char *id, struct state_dir *dir, struct runtime_state *s,
               enum runtime_status *status, hull_err **err);

/* The live status from the recorded pid, its start time and the exec fifo. */
enum runtime_status state_status(struct state_dir *d, const struct runtime_state *s);

/* The runtime-spec state document (ociVersion, id, status, pid, bundle, ...). */
json_t *state_to_json(const struct runtime_state *s, enum runtime_status status);

/* IDs of every container directory under root, sorted; NULL-terminated. */
int state_list_ids(const char *root, char ***out, hull_err **err);

/* --pid-file: the pid as text, replaced atomically (not durable: it means nothing after a
 * reboot); a relative path is taken from the current directory. Nothing when path is NULL or
 * empty. */
int state_write_pid_file(const char *path, pid_t pid, hull_err **err);

/* The default --root: /run/hull for root, $XDG_RUNTIME_DIR/hull otherwise. */
const char *state_default_root(void);

#endif
