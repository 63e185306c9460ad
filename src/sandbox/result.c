/* Result documents and the audit log (result.h). */
#include "sandbox/result.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/time.h"

static json_t *stream_json(const struct sandbox_stream *s)
{
    /* Output is bytes; JSON wants text: invalid UTF-8 is replaced byte by byte. */
    json_t *v = json_stringn(s->data ? s->data : "", s->len);
    if (v == NULL) {
        char *copy = malloc(s->len + 1);
        for (size_t i = 0; i < s->len; i++)
            copy[i] = (unsigned char)s->data[i] < 0x80 ? s->data[i] : '?';
        v = json_stringn(copy, s->len);
        free(copy);
    }
    return json_pack("{s:o, s:b, s:I}", "data", v, "truncated", s->truncated, "bytes",
                     (json_int_t)s->len);
}

json_t *sandbox_result_new(const struct sandbox_capture *c, const struct sandbox_counts *counts)
{
    json_t *r = json_object();
    if (WIFEXITED(c->status)) {
        json_object_set_new(r, "exit_code", json_integer(WEXITSTATUS(c->status)));
        json_object_set_new(r, "signal", json_null());
    } else if (WIFSIGNALED(c->status)) {
        json_object_set_new(r, "exit_code", json_integer(128 + WTERMSIG(c->status)));
        json_object_set_new(r, "signal", json_string(strsignal(WTERMSIG(c->status))));
    }
    json_object_set_new(r, "timed_out", json_boolean(c->timed_out));
    json_object_set_new(r, "stdout", stream_json(&c->out));
    json_object_set_new(r, "stderr", stream_json(&c->err));
    json_object_set_new(r, "wall_ms", json_real((double)c->wall_ns / 1e6));
    json_object_set_new(r, "cpu_ms", json_real((double)counts->cpu_ns / 1e6));
    json_object_set_new(r, "peak_memory_bytes", json_integer((json_int_t)counts->peak_bytes));
    json_object_set_new(r, "oom_killed", json_boolean(counts->oom_kills > 0));
    return r;
}

int sandbox_result_write(const char *dir, json_t *result, hull_err **err)
{
    if (fs_mkdir_p(dir, 0755, err) < 0)
        return -1;
    cleanup_free char *text = json_dumps(result, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/result.json", dir) < 0)
        abort();
    size_t len = strlen(text);
    text[len] = '\n';
    return fs_write_file_atomic(path, text, len + 1, 0644, err);
}

int sandbox_audit_append(const char *sandbox_root, const char *id, const char *session, char **cmd,
                         json_t *result, hull_err **err)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/audit.log", sandbox_root) < 0)
        abort();
    json_t *args = json_array();
    for (char **a = cmd; a && *a; a++)
        json_array_append_new(args, json_string(*a));
    char when[TIME_RFC3339_MAX];
    time_rfc3339_now(when, false);
    json_t *line = json_pack("{s:s, s:s, s:o, s:o, s:O, s:O, s:O}", "time", when, "id", id,
                             "session", session ? json_string(session) : json_null(), "cmd", args,
                             "exit_code", json_object_get(result, "exit_code") ?: json_null(),
                             "timed_out", json_object_get(result, "timed_out") ?: json_false(),
                             "attestation", json_object_get(result, "attestation") ?: json_null());
    cleanup_free char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return hull_error(err, errno, "open the audit log `%s`", path);
    if (flock(fd, LOCK_EX) < 0)
        return hull_error(err, errno, "lock `%s`", path);
    size_t len = strlen(text);
    text[len] = '\n';
    if (fs_write_all(fd, text, len + 1) < 0)
        return hull_error(err, errno, "append to `%s`", path);
    return 0;
}
