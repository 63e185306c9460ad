/* Volumes under DATA_ROOT/volumes (see volume.h). */
#include "container/volume.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/event_emit.h"
#include "monitor/monitor_io.h"
#include "container/request.h"
#include "container/root_path.h"
#include "util/cleanup.h"
#include "util/time.h"
#include "util/fs.h"
#include "util/fs_copy.h"

int volume_name_validate(const char *name, hull_err **err)
{
    size_t len = strlen(name);
    bool ok = len >= 2 && len <= 128 && isalnum((unsigned char)name[0]);
    for (const char *p = name; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-';
    if (!ok)
        return hull_error(err, 0,
                          "invalid volume name `%s`: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, "
                          "2 to 128 characters",
                          name);
    return 0;
}

static int volumes_fd(container_store *s, hull_err **err)
{
    int fd = open(s->volumes_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", s->volumes_dir);
    return fd;
}

int volume_ensure(container_store *s, const char *name, bool anonymous, char **name_out,
                  char **path_out, bool *created, hull_err **err)
{
    char anon[CONTAINER_ID_LEN + 1];
    if (name == NULL) {
        container_new_id(anon);
        name = anon;
        anonymous = true;
    } else if (volume_name_validate(name, err) < 0) {
        return -1;
    }
    cleanup_close int vfd = volumes_fd(s, err);
    if (vfd < 0)
        return -1;
    *created = false;
    /* The volume exists once volume.json does: a crash between mkdir and the record leaves a
     * directory that the next ensure completes. */
    if (mkdirat(vfd, name, 0700) == 0)
        *created = true;
    else if (errno != EEXIST)
        return hull_error(err, errno, "create volume `%s`", name);
    cleanup_close int dfd = openat(vfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return hull_error(err, errno, "open volume `%s`", name);
    if (mkdirat(dfd, "_data", 0755) < 0 && errno != EEXIST)
        return hull_error(err, errno, "create volume `%s`", name);
    if (faccessat(dfd, "volume.json", F_OK, 0) < 0) {
        char now[40];
        time_rfc3339_now(now, true);
        json_t *doc = json_pack("{s:s, s:s, s:b, s:{}}", "Name", name, "CreatedAt", now,
                                "Anonymous", anonymous, "Labels");
        int rc = container_write_json(dfd, "volume.json", doc, err);
        json_decref(doc);
        if (rc < 0)
            return -1;
        *created = true;
        volume_event(s->data_root, name, "create");
    }
    *name_out = strdup(name);
    if (asprintf(path_out, "%s/%s/_data", s->volumes_dir, name) < 0)
        abort();
    return 0;
}

static bool record_uses_volume(json_t *doc, const char *name)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "Mounts"), i, m)
    {
        const char *type = json_string_value(json_object_get(m, "Type"));
        const char *n = json_string_value(json_object_get(m, "Name"));
        if (type && n && strcmp(type, "volume") == 0 && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

int volume_users(container_store *s, const char *name, char ***out, hull_err **err)
{
    cleanup_strv char **ids = NULL;
    if (container_list_ids(s, &ids, err) < 0)
        return -1;
    char **users = calloc(1, sizeof *users);
    for (char **id = ids; *id; id++) {
        cleanup_close int dfd = openat(s->dirfd, *id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            continue;
        json_t *doc = NULL;
        cleanup_err hull_err *e = NULL;
        if (container_read_json(dfd, CONTAINER_RECORD, &doc, &e) < 0 || doc == NULL)
            continue;
        if (record_uses_volume(doc, name))
            strv_append(&users, *id);
        json_decref(doc);
    }
    *out = users;
    return 0;
}

int volume_remove(container_store *s, const char *name, bool force, hull_err **err)
{
    if (volume_name_validate(name, err) < 0)
        return -1;
    cleanup_close int vfd = volumes_fd(s, err);
    if (vfd < 0)
        return -1;
    struct stat st;
    if (fstatat(vfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
        hull_error(err, 0, "no such volume: %s", name);
        return -1;
    }
    if (!force) {
        cleanup_strv char **users = NULL;
        if (volume_users(s, name, &users, err) < 0)
            return -1;
        if (users[0]) {
            char ids[256] = "";
            size_t o = 0;
            for (char **u = users; *u && o + 16 < sizeof ids; u++)
                o += (size_t)snprintf(ids + o, sizeof ids - o, "%s%.12s", o ? ", " : "", *u);
            return hull_error(err, 0, "volume `%s` is in use by container %s", name, ids);
        }
    }
    if (fs_remove_tree_at(vfd, name, err) < 0)
        return hull_error_prefix(err, "remove volume `%s`", name);
    volume_event(s->data_root, name, "destroy");
    return 0;
}

int volume_list(container_store *s, char ***out, hull_err **err)
{
    int fd = volumes_fd(s, err);
    if (fd < 0)
        return -1;
    cleanup_dir DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return hull_error(err, errno, "list volumes");
    }
    char **names = calloc(1, sizeof *names);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (faccessat(dirfd(d), de->d_name, F_OK, 0) == 0)
            strv_append(&names, de->d_name);
    }
    *out = names;
    return 0;
}

int volume_inspect(container_store *s, const char *name, json_t **out, hull_err **err)
{
    if (volume_name_validate(name, err) < 0)
        return -1;
    cleanup_close int vfd = volumes_fd(s, err);
    if (vfd < 0)
        return -1;
    cleanup_close int dfd = openat(vfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return hull_error(err, 0, "no such volume: %s", name);
    json_t *doc = NULL;
    if (container_read_json(dfd, "volume.json", &doc, err) < 0)
        return -1;
    if (doc == NULL)
        doc = json_pack("{s:s}", "Name", name);
    cleanup_free char *mp = NULL;
    if (asprintf(&mp, "%s/%s/_data", s->volumes_dir, name) < 0)
        abort();
    json_object_set_new(doc, "Driver", json_string("local"));
    json_object_set_new(doc, "Mountpoint", json_string(mp));
    json_object_set_new(doc, "Scope", json_string("local"));
    cleanup_strv char **users = NULL;
    if (volume_users(s, name, &users, err) < 0) {
        json_decref(doc);
        return -1;
    }
    json_t *used = json_array();
    for (char **u = users; *u; u++)
        json_array_append_new(used, json_string(*u));
    json_object_set_new(doc, "UsedBy", used);
    *out = doc;
    return 0;
}

int volume_prefill_from_image(container_record *r, int rootfd, hull_err **err)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(r->doc, "Mounts"), i, m)
    {
        const char *type = json_string_value(json_object_get(m, "Type"));
        const char *src = json_string_value(json_object_get(m, "Source"));
        const char *dst = json_string_value(json_object_get(m, "Destination"));
        if (type == NULL || strcmp(type, "volume") != 0 || src == NULL || dst == NULL)
            continue;
        cleanup_close int vol = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (vol < 0)
            return hull_error(err, errno, "volume `%s`: open `%s`",
                              json_string_value(json_object_get(m, "Name")), src);
        if (!fs_dir_is_empty(vol))
            continue;
        cleanup_err hull_err *absent = NULL;
        cleanup_close int img = container_root_open_dir(rootfd, dst, &absent);
        if (img < 0)
            continue; /* nothing (or no directory) there in the image */
        struct stat st;
        if (fstat(img, &st) < 0)
            return hull_error(err, errno, "stat `%s` of the image", dst);
        if (fs_copy_dir_contents(img, vol, FS_COPY_OWNER | FS_COPY_TIMES, err) < 0 ||
            fchown(vol, st.st_uid, st.st_gid) < 0 || fchmod(vol, st.st_mode & 07777) < 0) {
            if (*err == NULL)
                hull_error(err, errno, "set the owner of `%s`", src);
            return hull_error_prefix(err, "fill volume `%s` from the image's `%s`",
                                     json_string_value(json_object_get(m, "Name")), dst);
        }
    }
    return 0;
}
