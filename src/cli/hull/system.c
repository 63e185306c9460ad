/* hull system info|df|prune */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "container/create.h"
#include "container/event_emit.h"
#include "container/launch.h"
#include "container/programs.h"
#include "container/status.h"
#include "container/volume.h"
#include "image/image.h"
#include "net/attach.h"
#include "linux/rootless.h"
#include "net/network.h"
#include "oci/json_read.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull system COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  info [--format json]   data root, runtime state root, kernel, cgroup layout, overlayfs,\n"
    "                         counts of containers (running, paused, stopped), images, volumes\n"
    "  df [--format json]     disk use of images, containers (writable layers and logs) and\n"
    "                         volumes\n"
    "  prune [-f] [--volumes]\n"
    "                         remove every stopped (or dead) container, every network no\n"
    "                         container is attached to (not the default `bridge`), dangling\n"
    "                         images and unreferenced layers; with --volumes also every\n"
    "                         volume no container uses.\n"
    "                         hull never prompts: -f is accepted for docker compatibility\n"
    "\n"
    "Exit status: 0, 1 when something could not be read or removed, 125 for usage errors.\n";

/* The options of info and df: --format json, and no operand. */
static bool want_json(int argc, char **argv, const char *command, int *bad)
{
    static const struct option_spec opts[] = {{"format", 'f', true, 1, "json"},
                                              {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    if ((*bad = cli_options(command, opts, argc, argv, v, &first)) != 0)
        return false;
    if (first < argc)
        *bad = cli_usage(command, "unexpected argument `%s`", argv[first]);
    else if (v[1] && strcmp(v[1], "json") != 0)
        *bad = cli_usage(command, "--format `%s`: expected json", v[1]);
    return v[1] != NULL;
}

/* Bytes used under dirfd/name, not crossing mount points. */
static long long du_at(int parent, const char *name, dev_t dev)
{
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || (dev && st.st_dev != dev))
        return 0;
    long long total = (long long)st.st_blocks * 512;
    if (!S_ISDIR(st.st_mode))
        return total;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return total;
    cleanup_dir DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return total;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            total += du_at(dirfd(d), de->d_name, st.st_dev);
    return total;
}

struct counts {
    int total, running, paused, stopped;
};

static void count_containers(container_store *cs, struct counts *c, long long *bytes)
{
    memset(c, 0, sizeof *c);
    *bytes = 0;
    cleanup_strv char **ids = NULL;
    hull_err *err = NULL;
    if (container_list_ids(cs, &ids, &err) < 0) {
        hull_err_free(err);
        return;
    }
    for (char **id = ids; *id; id++) {
        cleanup_container_record container_record *r = NULL;
        struct container_state_info st;
        if (container_record_load(cs, *id, &r, &err) < 0 ||
            container_status_get(cs, r, &st, &err) < 0) {
            hull_err_free(err);
            err = NULL;
            continue;
        }
        c->total++;
        if (st.state == CONTAINER_RUNNING || st.state == CONTAINER_RESTARTING)
            c->running++;
        else if (st.state == CONTAINER_PAUSED)
            c->paused++;
        else
            c->stopped++;
        *bytes += du_at(cs->dirfd, *id, 0);
    }
}

static const char *cgroup_layout(void)
{
    struct stat st;
    if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0)
        return "v2 (unified)";
    if (stat("/sys/fs/cgroup/unified/cgroup.controllers", &st) == 0 ||
        stat("/sys/fs/cgroup/unified", &st) == 0)
        return "hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)";
    return "v1";
}

static bool has_overlay(void)
{
    cleanup_file FILE *f = fopen("/proc/filesystems", "r");
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "\toverlay\n"))
            return true;
    return false;
}

static int sys_info(struct hull_cli *cli, container_store *cs, int argc, char **argv)
{
    int bad;
    bool json = want_json(argc, argv, "system info", &bad);
    if (bad)
        return bad;
    struct counts c;
    long long bytes;
    count_containers(cs, &c, &bytes);
    hull_err *err = NULL;
    cleanup_image_store image_store *is = NULL;
    image_info **images = NULL;
    size_t n_images = 0;
    if (cli_open_store(cli, &is, &err) < 0 || image_list(is, &images, &n_images, &err) < 0)
        return cli_fail(err);
    image_info_list_free(images, n_images);
    cleanup_strv char **vols = NULL;
    if (volume_list(cs, &vols, &err) < 0)
        return cli_fail(err);
    size_t n_vols = 0;
    while (vols[n_vols])
        n_vols++;
    struct utsname u;
    uname(&u);
    cleanup_free char *monitor = container_helper_path("hull-monitor", &err);
    hull_err_free(err);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:I, s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:s}",
        "Version", HULL_VERSION, "DataRoot", cs->data_root, "RuntimeRoot", cs->runtime_root,
        "Containers", c.total, "ContainersRunning", c.running, "ContainersPaused", c.paused,
        "ContainersStopped", c.stopped, "Images", (json_int_t)n_images, "Volumes",
        (json_int_t)n_vols, "KernelVersion", u.release, "OperatingSystem", u.sysname,
        "Architecture", u.machine, "CgroupLayout", cgroup_layout(), "OverlayFS", has_overlay(),
        "LoggingDriver", "json-file", "Monitor", monitor ? monitor : "(missing)");
    if (json) {
        char *text = json_dumps(doc, JSON_INDENT(2));
        puts(text);
        free(text);
    } else {
        printf("Version:         %s\nData root:       %s\nRuntime root:    %s\n", HULL_VERSION,
               cs->data_root, cs->runtime_root);
        printf("Containers:      %d (running %d, paused %d, stopped %d)\n", c.total, c.running,
               c.paused, c.stopped);
        printf("Images:          %zu\nVolumes:         %zu\n", n_images, n_vols);
        printf("Kernel:          %s %s (%s)\nCgroups:         %s\n", u.sysname, u.release,
               u.machine, cgroup_layout());
        printf("Storage:         %s\nLogging driver:  json-file (rotated; see hull run --help)\n",
               has_overlay() ? "overlayfs" : "vfs (copies; overlayfs not available)");
        printf("Monitor:         %s\n", monitor ? monitor : "(missing)");
    }
    json_decref(doc);
    return 0;
}

static int sys_df(struct hull_cli *cli, container_store *cs, int argc, char **argv)
{
    int bad;
    bool json = want_json(argc, argv, "system df", &bad);
    if (bad)
        return bad;
    struct counts c;
    long long ctr_bytes;
    count_containers(cs, &c, &ctr_bytes);
    hull_err *err = NULL;
    cleanup_image_store image_store *is = NULL;
    image_info **images = NULL;
    size_t n_images = 0;
    if (cli_open_store(cli, &is, &err) < 0 || image_list(is, &images, &n_images, &err) < 0)
        return cli_fail(err);
    long long img_bytes = 0;
    int img_active = 0;
    for (size_t i = 0; i < n_images; i++) {
        img_bytes += images[i]->size;
        img_active += images[i]->users > 0;
    }
    image_info_list_free(images, n_images);
    cleanup_strv char **vols = NULL;
    if (volume_list(cs, &vols, &err) < 0)
        return cli_fail(err);
    long long vol_bytes = 0;
    int n_vols = 0, vol_active = 0;
    cleanup_close int vfd = open(cs->volumes_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (char **v = vols; *v; v++) {
        n_vols++;
        vol_bytes += du_at(vfd, *v, 0);
        cleanup_strv char **users = NULL;
        if (volume_users(cs, *v, &users, &err) == 0)
            vol_active += users[0] != NULL;
        else
            hull_err_free(err), err = NULL;
    }
    if (json) {
        json_t *doc = json_pack(
            "{s:{s:i, s:i, s:I}, s:{s:i, s:i, s:I}, s:{s:i, s:i, s:I}}", "Images", "Total",
            (int)n_images, "Active", img_active, "Size", (json_int_t)img_bytes, "Containers",
            "Total", c.total, "Active", c.running + c.paused, "Size", (json_int_t)ctr_bytes,
            "Volumes", "Total", n_vols, "Active", vol_active, "Size", (json_int_t)vol_bytes);
        char *text = json_dumps(doc, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(doc);
        return 0;
    }
    printf("%-12s %-8s %-8s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE");
    printf("%-12s %-8zu %-8d %.1f MB\n", "Images", n_images, img_active, (double)img_bytes / 1e6);
    printf("%-12s %-8d %-8d %.1f MB\n", "Containers", c.total, c.running + c.paused,
           (double)ctr_bytes / 1e6);
    printf("%-12s %-8d %-8d %.1f MB\n", "Volumes", n_vols, vol_active, (double)vol_bytes / 1e6);
    return 0;
}

/* docker's "Deleted Networks:" list. Stale attachments (crashed containers) go first. */
static int prune_networks(container_store *cs, hull_err **err)
{
    if (rootless_in_userns()) /* no networks to prune (docs/rootless.md) */
        return 0;
    cleanup_net_store net_store *ns = NULL;
    if (net_store_open(cs->data_root, &ns, err) < 0)
        return -1;
    cleanup_err hull_err *re = NULL;
    net_reconcile(ns, &re);
    cleanup_json json_t *removed = NULL;
    if (net_network_prune(ns, &removed, err) < 0)
        return -1;
    size_t i;
    json_t *n;
    json_array_foreach(removed, i, n)
    {
        if (i == 0)
            puts("Deleted Networks:");
        puts(json_string_value(n));
    }
    return 0;
}

static int sys_prune(struct hull_cli *cli, container_store *cs, int argc, char **argv)
{
    static const struct option_spec opts[] = {
        {"volumes", 0, false, 1, "also volumes no container uses"},
        {"force", 'f', false, 2, "do not prompt (hull never does)"},
        {"all", 'a', false, 3, "accepted for docker compatibility"},
        {NULL, 0, false, 0, NULL}};
    const char *val[4] = {NULL};
    int first;
    int usage = cli_options("system prune", opts, argc, argv, val, &first);
    if (usage)
        return usage;
    if (first < argc)
        return cli_usage("system prune", "unexpected argument `%s`", argv[first]);
    bool volumes = cli_flag(val[1]);
    hull_err *err = NULL;
    cleanup_image_store image_store *is = NULL;
    if (image_store_open(cli->data_root, &is, &err) < 0)
        return cli_fail(err);
    cleanup_strv char **ids = NULL;
    if (container_list_ids(cs, &ids, &err) < 0)
        return cli_fail(err);
    int status = 0;
    for (char **id = ids; *id; id++) {
        cleanup_container_record container_record *r = NULL;
        struct container_state_info st;
        if (container_record_load(cs, *id, &r, &err) < 0 ||
            container_status_get(cs, r, &st, &err) < 0) {
            hull_err_free(err);
            err = NULL;
            continue;
        }
        if (st.state != CONTAINER_EXITED && st.state != CONTAINER_CREATED &&
            st.state != CONTAINER_DEAD)
            continue;
        if (st.monitor_alive || (r->dead && st.state == CONTAINER_CREATED))
            continue; /* running, or its create is still running */
        cleanup_close int lock = container_lock(r, &err);
        if (lock < 0 || container_remove_all(cs, is, r, true, &err) < 0) {
            status = cli_fail(err);
            err = NULL;
            continue;
        }
        printf("Deleted container: %s\n", r->id);
    }
    if (prune_networks(cs, &err) < 0) {
        status = cli_fail(err);
        err = NULL;
    }
    if (volumes) {
        cleanup_strv char **vols = NULL;
        if (volume_list(cs, &vols, &err) < 0)
            return cli_fail(err);
        for (char **v = vols; *v; v++) {
            cleanup_strv char **users = NULL;
            if (volume_users(cs, *v, &users, &err) < 0 || users[0] ||
                volume_remove(cs, *v, false, &err) < 0) {
                if (err)
                    status = cli_fail(err);
                err = NULL;
                continue;
            }
            printf("Deleted volume: %s\n", *v);
        }
    }
    struct image_prune_report rep = {0};
    int rc = image_prune(is, &rep, &err);
    for (char **d = rep.deleted; d && *d; d++)
        image_event(is->data_root, "delete", *d, NULL);
    hull_strvfree(rep.deleted);
    if (rc < 0)
        return cli_fail(err);
    printf("Deleted images: %zu, layers: %zu, blobs: %zu (%.1f MB reclaimed)\n", rep.images,
           rep.layers, rep.blobs, (double)rep.bytes / 1e6);
    return status;
}

int cmd_system(struct hull_cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        fputs(help, stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(help, stdout);
        return 0;
    }
    if (cli_wants_sub_help(argc - 1, argv + 1, "system", help))
        return 0;
    static const struct {
        const char *name;
        int (*fn)(struct hull_cli *, container_store *, int, char **);
    } cmds[] = {{"info", sys_info}, {"df", sys_df}, {"prune", sys_prune}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        hull_err *err = NULL;
        cleanup_container_store container_store *cs = NULL;
        if (ctr_open(cli, &cs, &err) < 0)
            return cli_fail(err);
        return cmds[i].fn(cli, cs, argc - 1, argv + 1);
    }
    return cli_usage("system", "unknown command `%s`", argv[1]);
}
