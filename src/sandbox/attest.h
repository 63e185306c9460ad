/* The attestation of a sandbox run: a SHA-256 Merkle hash of a directory tree (the context the
 * code ran on) over paths, modes and contents, and the hashes of the effective configuration.
 * The scheme (docs/sandbox.md, "Attestation"):
 *   file     H("F " + octal(mode & 07777) + " " + hex(SHA-256(contents)))
 *   symlink  H("L " + target)
 *   other    H("O " + octal(st_mode))        (fifos, sockets, devices: type and mode only)
 *   dir      H("D " + octal(mode & 07777) + "\n" + for each entry sorted by name (bytes):
 *              name + "\0" + hex(child) + "\n")
 * H is SHA-256; the tree hash is "sha256:" + hex of the root directory's node. Owners and times
 * are not part of it, so the same tree copied anywhere hashes the same. */
#ifndef HULL_SANDBOX_ATTEST_H
#define HULL_SANDBOX_ATTEST_H

#include <jansson.h>

#include "util/digest.h"
#include "util/error.h"

/* Hash the tree below directory fd `dirfd`. With `files` (a JSON object), every non-directory
 * entry is recorded as "rel/path": "<node hex>" (for change detection). With chown_uid >= 0
 * every entry is also given that owner (uid and gid) on the way. */
int sandbox_tree_hash(int dirfd, json_t *files, long long chown_uid, char out[DIGEST_STR_LEN],
                      hull_err **err);

/* "sha256:..." of the compact, key-sorted serialisation of a JSON value. */
void sandbox_json_hash(const json_t *v, char out[DIGEST_STR_LEN]);

#endif
