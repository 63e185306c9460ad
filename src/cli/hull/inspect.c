/* hull inspect: JSON documents of containers, images and volumes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hull/containers.h"
#include "cli/hull/format.h"
#include "container/network.h"
#include "container/inspect.h"
#include "container/volume.h"
#include "image/image.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull inspect [OPTIONS] NAME [NAME...]\n"
    "\n"
    "Print a JSON array with one document per NAME: a container (name, ID or ID prefix), else an\n"
    "image, else a volume. A container's document has docker's shape: Id, Name, Created, Path,\n"
    "Args, State {Status, Running, Paused, Restarting, OOMKilled, Dead, Pid, ExitCode, Error,\n"
    "StartedAt, FinishedAt, MonitorPid}, Image, ImageName, Config, HostConfig, Mounts,\n"
    "RestartCount, LogPath, HostnamePath, HostsPath, ResolvConfPath, GraphDriver.\n"
    "\n"
    "Options:\n"
    "      --type TYPE      only look for a container, image or volume\n"
    "  -f, --format TMPL    render a Go template per NAME instead, as docker does:\n"
    "                       '{{.State.Status}} {{.State.Pid}}', '{{json .Config}}',\n"
    "                       '{{index .Config.Labels \"k\"}}', '{{range .Mounts}}{{.Source}} "
    "{{end}}';\n"
    "                       a field the document lacks is an error naming it (see\n"
    "                       docs/hull-cli.md, \"Formatting output\")\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 when every NAME was found, 1 otherwise, 125 for usage errors.\n";

static int find(struct hull_cli *cli, container_store *cs, const char *ref, const char *type,
                json_t **out, hull_err **err)
{
    if (type == NULL || strcmp(type, "container") == 0) {
        cleanup_container_record container_record *r = NULL;
        hull_err *e = NULL;
        if (container_record_find(cs, ref, &r, &e) == 0) {
            struct container_state_info st;
            if (container_status_get(cs, r, &st, err) < 0)
                return -1;
            *out = container_inspect_json(r, &st);
            json_object_set_new(*out, "NetworkSettings", container_network_settings(cs, r));
            return 0;
        }
        if (type) {
            *err = e;
            return -1;
        }
        hull_err_free(e);
    }
    if (type == NULL || strcmp(type, "image") == 0) {
        cleanup_image_store image_store *is = NULL;
        cleanup_image_info image_info *img = NULL;
        hull_err *e = NULL;
        if (cli_open_store(cli, &is, &e) == 0 && image_lookup(is, ref, &img, &e) == 0) {
            *out = image_info_to_json(img);
            return 0;
        }
        if (type) {
            *err = e;
            return -1;
        }
        hull_err_free(e);
    }
    hull_err *e = NULL;
    if (volume_inspect(cs, ref, out, &e) == 0)
        return 0;
    if (type) {
        *err = e;
        return -1;
    }
    hull_err_free(e);
    return hull_error(err, 0, "no such object: %s", ref);
}

int cmd_inspect(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    enum { OPT_TYPE = 256 };
    static const struct option_spec optspec[] = {{"type", 0, true, 1, "container, image or volume"},
                                                 {"format", 'f', true, 2, "a Go template"},
                                                 {NULL, 0, false, 0, NULL}};
    const char *type = NULL, *format = NULL;
    hull_err *err = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        if (id < 0)
            return cli_usage_options("inspect", err);
        if (id == 1) {
            if (strcmp(arg, "container") != 0 && strcmp(arg, "image") != 0 &&
                strcmp(arg, "volume") != 0)
                return cli_usage("inspect", "--type `%s`: expected container, image or volume",
                                 arg);
            type = arg;
        } else {
            format = arg;
        }
    }
    int first = p.index;
    if (first >= argc)
        return cli_usage("inspect", "expected at least one NAME");
    cleanup_container_store container_store *cs = NULL;
    if (ctr_open(cli, &cs, &err) < 0)
        return cli_fail(err);
    struct cli_format fmt = {0};
    if (format) {
        int rc = cli_format_begin(&fmt, "inspect", format, NULL);
        if (rc != 0)
            return rc;
    }
    int status = 0;
    json_t *arr = json_array();
    for (int i = first; i < argc; i++) {
        json_t *doc = NULL;
        if (find(cli, cs, argv[i], type, &doc, &err) < 0) {
            status = cli_fail(err);
            err = NULL;
            continue;
        }
        if (format) {
            int rc = cli_format_row(&fmt, doc, &err);
            json_decref(doc);
            if (rc < 0) {
                cli_format_clear(&fmt);
                json_decref(arr);
                return cli_fail(err);
            }
        } else {
            json_array_append_new(arr, doc);
        }
    }
    if (format && cli_format_end(&fmt, &err) < 0)
        status = cli_fail(err);
    if (!format) {
        char *text = json_dumps(arr, JSON_INDENT(4));
        puts(text ? text : "[]");
        free(text);
    }
    json_decref(arr);
    return status;
}
