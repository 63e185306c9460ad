/* The result document of a sandbox run or exec (docs/sandbox.md, "Result") and the audit log
 * DATA_ROOT/sandbox/audit.log: one JSON object per line per run/exec (time, id, session, command,
 * exit, timed_out, attestation), appended under an flock. */
#ifndef HULL_SANDBOX_RESULT_H
#define HULL_SANDBOX_RESULT_H

#include <jansson.h>

#include "sandbox/capture.h"
#include "sandbox/counters.h"
#include "util/error.h"

/* exit_code/signal/timed_out/stdout/stderr/wall_ms from the capture; cpu_ms, peak_memory_bytes
 * and oom_killed (oom_kills > 0) from `counts`, the caller's cgroup readings for this result. */
json_t *sandbox_result_new(const struct sandbox_capture *c, const struct sandbox_counts *counts);

/* Write result.json into `dir` (atomically). */
int sandbox_result_write(const char *dir, json_t *result, hull_err **err);

int sandbox_audit_append(const char *sandbox_root, const char *id, const char *session, char **cmd,
                         json_t *result, hull_err **err);

#endif
