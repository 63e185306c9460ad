/* Who owns a sandbox bundle under SANDBOX_RUN_DIR, and the repair of bundles whose owner is
 * gone (a `kill -9` of hull, a crash).
 *
 * Before SANDBOX_RUN_DIR/<id> exists, its creator makes SANDBOX_RUN_DIR/<id>.lock: an unnamed
 * file (O_TMPFILE) flocked, filled with the owner document ({"id", "data_root", "runtime_root",
 * "session", "network"}) and then linked into place, so a lock file is never seen unlocked and
 * empty (without O_TMPFILE: <id>.lock.tmp renamed, and only a .tmp older than a minute is
 * taken for dead). The creator holds the flock for as long as it runs. A session's creator exits:
 * its document then names the session, and the bundle is kept while DATA_ROOT/sandbox/sessions/
 * NAME.json names the same id.
 *
 * sandbox_reap_stale (run by every `hull sandbox` command) takes each lock it can: a bundle
 * whose lock is free and that no session record claims is stale: its container is killed and
 * deleted (runtime state, cgroup), its network attachments detached, its mounts lazily
 * unmounted, the bundle and the lock removed. */
#ifndef HULL_SANDBOX_OWNER_H
#define HULL_SANDBOX_OWNER_H

#include <stdbool.h>

#include "util/error.h"

/* SANDBOX_RUN_DIR, made, and on a tmpfs (tmpfs_dir_ready: where it is a plain directory on a
 * disk file system, a small tmpfs is mounted there once, while the directory is empty). Owner
 * locks and bundle mount points then never touch the disk: on such a host each run created and
 * freed blocks there, and with the `discard` mount option every free waited for a discard
 * request to the device. *hold: as tmpfs_dir_ready's (kept until the bundle is made). */
int sandbox_run_dir_ready(int *hold, hull_err **err);
/* Make and lock SANDBOX_RUN_DIR/<id>.lock (SANDBOX_RUN_DIR must exist); returns the fd. */
int sandbox_owner_lock(const char *id, const char *data_root, const char *runtime_root,
                       const char *network, hull_err **err);
/* Record that the bundle belongs to session `name` from now on (its creator may exit). */
int sandbox_owner_set_session(int fd, const char *name, hull_err **err);
/* Take the lock of <id> (blocking), e.g. before removing a session's bundle; returns the fd or
 * -1 when there is none. */
int sandbox_owner_take(const char *id);
/* Remove SANDBOX_RUN_DIR/<id>.lock and close fd (after the bundle is gone). */
void sandbox_owner_release(const char *id, int fd);

/* Repair every stale bundle of any data root; returns how many were removed. Best effort:
 * failures to remove one are skipped (the next command tries again). */
int sandbox_reap_stale(void);

#endif
