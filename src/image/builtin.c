/* The built-in `localhost/busybox:latest` image, built offline from the installed busybox-static:
 * one layer with the binary, one symlink per applet, /etc/passwd and /etc/group. File times are
 * the binary's mtime, so the same busybox always gives the same digests. */
#include "image/builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "image/index.h"
#include "image/manifest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/time.h"

extern char **environ;

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char group[] = "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n";

const char *builtin_busybox_path(void)
{
    const char *env = getenv("HULL_BUSYBOX");
    return env && *env ? env : "/bin/busybox";
}

/* `busybox --list-full`: "bin/ls\nusr/bin/env\n..." */
static int list_applets(const char *busybox, char **out, hull_err **err)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return hull_error(err, errno, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    char *argv[] = {(char *)busybox, (char *)"--list-full", NULL};
    pid_t pid;
    int r = posix_spawn(&pid, busybox, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (r != 0) {
        close(pipefd[0]);
        return hull_error(err, r, "run `%s --list-full`", busybox);
    }
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", pipefd[0]);
    cleanup_err hull_err *read_err = NULL;
    r = fs_read_file(self, 1 << 20, out, NULL, &read_err);
    close(pipefd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (r == 0)
            free(*out);
        return hull_error(err, 0, "`%s --list-full` failed", busybox);
    }
    return 0;
}

struct tar_writer {
    struct archive *a;
    blob_writer *blob;
    hull_err *err;
    time_t mtime;
};

static la_ssize_t tar_write_cb(struct archive *a, void *opaque, const void *buf, size_t len)
{
    (void)a;
    struct tar_writer *t = opaque;
    if (blob_writer_write(t->blob, buf, len, &t->err) < 0)
        return -1;
    return (la_ssize_t)len;
}

static int add_entry(struct tar_writer *t, const char *path, mode_t mode, const char *link,
                     const void *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_mode(e, mode);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, t->mtime, 0);
    if (link != NULL)
        archive_entry_set_symlink(e, link);
    archive_entry_set_size(e, S_ISREG(mode) ? (la_int64_t)len : 0);
    int r = archive_write_header(t->a, e);
    if (r == ARCHIVE_OK && S_ISREG(mode) && len > 0 &&
        archive_write_data(t->a, data, len) != (la_ssize_t)len)
        r = ARCHIVE_FATAL;
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : -1;
}

static int write_layer(struct tar_writer *t, const char *bin, size_t bin_len, char *applets)
{
    static const struct {
        const char *path;
        mode_t mode;
    } dirs[] = {{"bin", 0755},      {"dev", 0755},  {"etc", 0755},    {"home", 0755},
                {"proc", 0755},     {"root", 0700}, {"run", 0755},    {"sbin", 0755},
                {"sys", 0755},      {"tmp", 01777}, {"usr", 0755},    {"usr/bin", 0755},
                {"usr/sbin", 0755}, {"var", 0755},  {"var/log", 0755}};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (add_entry(t, dirs[i].path, S_IFDIR | dirs[i].mode, NULL, NULL, 0) < 0)
            return -1;
    if (add_entry(t, "bin/busybox", S_IFREG | 0755, NULL, bin, bin_len) < 0 ||
        add_entry(t, "etc/passwd", S_IFREG | 0644, NULL, passwd, strlen(passwd)) < 0 ||
        add_entry(t, "etc/group", S_IFREG | 0644, NULL, group, strlen(group)) < 0)
        return -1;
    for (char *line = applets, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        while (*line == '/')
            line++;
        if (*line == '\0' || strcmp(line, "bin/busybox") == 0 || strstr(line, ".."))
            continue;
        if (add_entry(t, line, S_IFLNK | 0777, "/bin/busybox", NULL, 0) < 0)
            return -1;
    }
    return 0;
}

/* The layer tarball, stored as a blob; its digest is also the diff_id (it is uncompressed). */
static int build_layer(image_store *s, const char *busybox, time_t *mtime,
                       char digest[DIGEST_STR_LEN], int64_t *size, hull_err **err)
{
    cleanup_free char *bin = NULL;
    size_t bin_len = 0;
    if (fs_read_file(busybox, 64u << 20, &bin, &bin_len, err) < 0)
        return hull_error_prefix(err, "read busybox");
    struct stat st;
    if (stat(busybox, &st) < 0)
        return hull_error(err, errno, "stat `%s`", busybox);
    cleanup_free char *applets = NULL;
    if (list_applets(busybox, &applets, err) < 0)
        return -1;
    struct tar_writer t = {.mtime = st.st_mtime};
    if (blob_writer_begin(s, &t.blob, err) < 0)
        return -1;
    t.a = archive_write_new();
    archive_write_set_format_pax_restricted(t.a);
    archive_write_set_bytes_in_last_block(t.a, 1);
    int r = archive_write_open(t.a, &t, NULL, tar_write_cb, NULL);
    if (r == ARCHIVE_OK)
        r = write_layer(&t, bin, bin_len, applets) < 0 ? ARCHIVE_FATAL : ARCHIVE_OK;
    if (r == ARCHIVE_OK)
        r = archive_write_close(t.a);
    if (r != ARCHIVE_OK) {
        if (t.err == NULL)
            hull_error(&t.err, 0, "write busybox layer: %s", archive_error_string(t.a));
        archive_write_free(t.a);
        blob_writer_abort(t.blob);
        if (err != NULL) {
            hull_err_free(*err);
            *err = steal_pointer(&t.err);
        }
        hull_err_free(t.err);
        return -1;
    }
    archive_write_free(t.a);
    *size = (int64_t)blob_writer_size(t.blob);
    *mtime = st.st_mtime;
    return blob_writer_commit(t.blob, NULL, -1, digest, err);
}

int builtin_busybox_seed(image_store *s, hull_err **err)
{
    const char *busybox = builtin_busybox_path();
    char layer[DIGEST_STR_LEN], config[DIGEST_STR_LEN], manifest[DIGEST_STR_LEN];
    int64_t layer_size = 0, config_size = 0;
    time_t mtime = 0;
    if (build_layer(s, busybox, &mtime, layer, &layer_size, err) < 0)
        return hull_error_prefix(err, "build the built-in busybox image from `%s`", busybox);
    if (store_layer_unpack(s, layer, err) < 0)
        return -1;
    char created[TIME_RFC3339_MAX];
    time_rfc3339(created, &(struct timespec){.tv_sec = mtime}, false);
    const char *platform = image_host_platform();
    json_auto_t *cfg =
        json_pack("{s:s,s:s,s:s,s:{s:[s],s:[s]},s:{s:s,s:[s]},s:[{s:s,s:s}]}", "architecture",
                  strchr(platform, '/') + 1, "os", "linux", "created", created, "config", "Env",
                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "Cmd", "sh",
                  "rootfs", "type", "layers", "diff_ids", layer, "history", "created", created,
                  "created_by", "hull: built-in image from the host's busybox-static");
    if (cfg == NULL)
        return hull_error(err, 0, "build busybox image config");
    if (store_blob_put_json(s, cfg, config, &config_size, err) < 0)
        return -1;
    json_auto_t *man =
        json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:[{s:s,s:s,s:I}]}", "schemaVersion", 2, "mediaType",
                  MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest", config, "size",
                  (json_int_t)config_size, "layers", "mediaType", MT_OCI_LAYER, "digest", layer,
                  "size", (json_int_t)layer_size);
    if (man == NULL || store_blob_put_json(s, man, manifest, NULL, err) < 0)
        return man == NULL ? hull_error(err, 0, "build busybox manifest") : -1;
    return index_add_image(s, manifest, config, BUILTIN_BUSYBOX_NAME, err);
}
