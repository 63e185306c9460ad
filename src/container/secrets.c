/* Secret files on a host tmpfs (secrets.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/secrets.h"
#include "util/cleanup.h"

static char *project_dir(container_store *s, const char *project)
{
    char *p = NULL;
    if (asprintf(&p, "%s/secrets/%s", s->data_root, project) < 0)
        abort();
    return p;
}

static bool is_mountpoint(const char *path)
{
    struct stat a, b;
    cleanup_free char *parent = NULL;
    if (asprintf(&parent, "%s/..", path) < 0)
        abort();
    return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

static int ensure_tmpfs(container_store *s, const char *project, char **out, hull_err **err)
{
    cleanup_free char *top = NULL;
    if (asprintf(&top, "%s/secrets", s->data_root) < 0)
        abort();
    if (mkdir(top, 0700) < 0 && errno != EEXIST)
        return hull_error(err, errno, "create %s", top);
    char *dir = project_dir(s, project);
    if (mkdir(dir, 0711) < 0 && errno != EEXIST) {
        int e = errno;
        free(dir);
        return hull_error(err, e, "create %s", top);
    }
    if (!is_mountpoint(dir) &&
        mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0711,size=16m") < 0) {
        int e = errno;
        free(dir);
        return hull_error(err, e, "mount a tmpfs for secrets of project %s", project);
    }
    *out = dir;
    return 0;
}

static int copy_secret(const struct secret_file *f, const char *dest, hull_err **err)
{
    cleanup_close int out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (out < 0)
        return hull_error(err, errno, "create %s", dest);
    int rc = 0;
    if (f->value) {
        size_t len = strlen(f->value);
        if (write(out, f->value, len) != (ssize_t)len)
            rc = hull_error(err, errno, "write %s", dest);
    } else {
        cleanup_close int in = open(f->source_path, O_RDONLY | O_CLOEXEC);
        if (in < 0)
            return hull_error(err, errno, "open secret file %s", f->source_path);
        char buf[8192];
        ssize_t n;
        while ((n = read(in, buf, sizeof(buf))) > 0)
            if (write(out, buf, (size_t)n) != n) {
                rc = hull_error(err, errno, "write %s", dest);
                break;
            }
        if (n < 0 && rc == 0)
            rc = hull_error(err, errno, "read secret file %s", f->source_path);
        explicit_bzero(buf, sizeof(buf));
    }
    if (rc == 0 && fchown(out, f->uid, f->gid) < 0)
        rc = hull_error(err, errno, "chown %s", dest);
    if (rc == 0 && fchmod(out, f->mode) < 0)
        rc = hull_error(err, errno, "chmod %s", dest);
    return rc;
}

int container_secrets_write(container_store *s, const char *project, const char *container,
                            const struct secret_file *files, size_t n, char ***paths,
                            hull_err **err)
{
    cleanup_free char *dir = NULL;
    if (ensure_tmpfs(s, project, &dir, err) < 0)
        return -1;
    cleanup_free char *cdir = NULL;
    if (asprintf(&cdir, "%s/%s", dir, container) < 0)
        abort();
    container_secrets_remove(s, project, container);
    if (mkdir(cdir, 0711) < 0)
        return hull_error(err, errno, "create %s", cdir);
    char **out = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        if (asprintf(&out[i], "%s/%zu", cdir, i) < 0)
            abort();
        if (copy_secret(&files[i], out[i], err) < 0) {
            hull_strvfree(out);
            container_secrets_remove(s, project, container);
            return -1;
        }
    }
    *paths = out;
    return 0;
}

void container_secrets_remove(container_store *s, const char *project, const char *container)
{
    cleanup_free char *dir = project_dir(s, project);
    cleanup_free char *cdir = NULL;
    if (asprintf(&cdir, "%s/%s", dir, container) < 0)
        abort();
    cleanup_dir DIR *d = opendir(cdir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            unlinkat(dirfd(d), e->d_name, 0);
    rmdir(cdir);
}

void container_secrets_release(container_store *s, const char *project)
{
    cleanup_free char *dir = project_dir(s, project);
    if (is_mountpoint(dir))
        umount2(dir, MNT_DETACH);
    rmdir(dir);
    cleanup_free char *top = NULL;
    if (asprintf(&top, "%s/secrets", s->data_root) >= 0)
        rmdir(top);
}
