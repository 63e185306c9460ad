/* Host device nodes for --device and --privileged (see devices.h). */
#include "container/devices.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util/cleanup.h"

/* A recursion guard: /dev is shallow, a deeper tree is a loop or a mistake. */
#define MAX_DEPTH 8

struct walk {
    const char *perms; /* NULL: no cgroup rules (privileged) */
    bool privileged;   /* skip what runc's HostDevices skips */
    json_t *devices, *rules;
};

static void add_node(const struct walk *w, const char *container, const struct stat *st)
{
    const char *type = S_ISBLK(st->st_mode) ? "b" : "c";
    json_int_t major = major(st->st_rdev), minor = minor(st->st_rdev);
    json_array_append_new(w->devices,
                          json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", container,
                                    "type", type, "major", major, "minor", minor, "fileMode",
                                    (json_int_t)(st->st_mode & 0777), "uid", (json_int_t)st->st_uid,
                                    "gid", (json_int_t)st->st_gid));
    if (w->perms)
        json_array_append_new(w->rules,
                              json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type,
                                        "major", major, "minor", minor, "access", w->perms));
}

static bool skipped_by_privileged(const char *name, bool dir)
{
    static const char *const dirs[] = {"pts",  "shm",         "fd",   "mqueue",
                                       ".lxc", ".lxd-mounts", ".udev"};
    if (!dir)
        return strcmp(name, "console") == 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (strcmp(name, dirs[i]) == 0)
            return true;
    return false;
}

static int walk_dir(const struct walk *w, const char *host, const char *container, int depth,
                    hull_err **err)
{
    if (depth > MAX_DEPTH)
        return 0;
    cleanup_dir DIR *d = opendir(host);
    if (d == NULL)
        return hull_error(err, errno, "open `%s`", host);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char hp[PATH_MAX], cp[PATH_MAX];
        if ((size_t)snprintf(hp, sizeof hp, "%s/%s", host, de->d_name) >= sizeof hp ||
            (size_t)snprintf(cp, sizeof cp, "%s/%s", container, de->d_name) >= sizeof cp)
            continue;
        struct stat st;
        /* Inside a directory symlinks are not followed (runc and docker do the same). */
        if (lstat(hp, &st) < 0)
            continue;
        if (w->privileged && skipped_by_privileged(de->d_name, S_ISDIR(st.st_mode)))
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (walk_dir(w, hp, cp, depth + 1, err) < 0)
                return -1;
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            /* 0:0 is a whiteout-like placeholder, never a usable device. */
            if (st.st_rdev != makedev(0, 0))
                add_node(w, cp, &st);
        }
    }
    return 0;
}

int container_devices_from_host(const char *host, const char *container, const char *perms,
                                json_t *devices, json_t *rules, hull_err **err)
{
    struct walk w = {.perms = perms, .devices = devices, .rules = rules};
    struct stat st;
    if (stat(host, &st) < 0)
        return hull_error(err, errno, "--device `%s`", host);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        add_node(&w, container, &st);
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return hull_error(err, 0, "--device `%s`: not a device node", host);
    size_t before = json_array_size(devices);
    if (walk_dir(&w, host, strcmp(container, "/") == 0 ? "" : container, 0, err) < 0)
        return hull_error_prefix(err, "--device `%s`", host);
    if (json_array_size(devices) == before)
        return hull_error(err, 0, "--device `%s`: no device node in the directory", host);
    return 0;
}

int container_devices_all_host(json_t *devices, hull_err **err)
{
    struct walk w = {.privileged = true, .devices = devices};
    if (walk_dir(&w, "/dev", "/dev", 0, err) < 0)
        return hull_error_prefix(err, "--privileged: host devices");
    return 0;
}
