/* hull inspect: JSON documents of containers, images and volumes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hull/containers.h"
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
    "  -f, --format TMPL    print one value per NAME instead: {{.Path.To.Field}} prints that\n"
    "                       field (strings bare, other values as JSON); {{json .Path}} prints "
    "JSON\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 when every NAME was found, 1 otherwise, 125 for usage errors.\n";

/* {{.A.B}} / {{json .A.B}} -> the value (borrowed), or NULL. */
static int format_value(json_t *doc, const char *tmpl, char **out)
{
    const char *p = strstr(tmpl, "{{");
    const char *end = p ? strstr(p, "}}") : NULL;
    if (p == NULL || end == NULL)
        return -1;
    p += 2;
    while (*p == ' ')
        p++;
    bool as_json = strncmp(p, "json ", 5) == 0;
    if (as_json)
        p += 5;
    while (*p == ' ')
        p++;
    if (*p != '.')
        return -1;
    json_t *cur = doc;
    const char *q = p + 1;
    while (q < end && *q != ' ' && *q != '}') {
        size_t len = strcspn(q, ". }");
        if (len == 0)
            break;
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)len, q);
        cur = json_object_get(cur, key);
        q += len;
        if (*q == '.')
            q++;
    }
    cleanup_free char *value = NULL;
    if (cur == NULL)
        value = strdup("<no value>");
    else if (!as_json && json_is_string(cur))
        value = strdup(json_string_value(cur));
    else
        value = json_dumps(cur, JSON_ENCODE_ANY | JSON_COMPACT);
    if (asprintf(out, "%.*s%s%s", (int)(strstr(tmpl, "{{") - tmpl), tmpl, value, end + 2) < 0)
        abort();
    return 0;
}

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
    static const struct option opts[] = {{"type", required_argument, NULL, OPT_TYPE},
                                         {"format", required_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    const char *type = NULL, *format = NULL;
    int c;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, "+:f:", opts, NULL)) != -1) {
        if (c == OPT_TYPE) {
            if (strcmp(optarg, "container") != 0 && strcmp(optarg, "image") != 0 &&
                strcmp(optarg, "volume") != 0)
                return cli_usage("inspect", "--type `%s`: expected container, image or volume",
                                 optarg);
            type = optarg;
        } else if (c == 'f') {
            format = optarg;
        } else {
            return ctr_bad_option("inspect", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("inspect", "expected at least one NAME");
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    if (ctr_open(cli, &cs, &err) < 0)
        return cli_fail(err);
    int status = 0;
    json_t *arr = json_array();
    for (int i = optind; i < argc; i++) {
        json_t *doc = NULL;
        if (find(cli, cs, argv[i], type, &doc, &err) < 0) {
            status = cli_fail(err);
            err = NULL;
            continue;
        }
        if (format) {
            char *line = NULL;
            if (format_value(doc, format, &line) < 0) {
                json_decref(doc);
                json_decref(arr);
                return cli_usage("inspect",
                                 "--format `%s`: expected {{.Field.Path}} or "
                                 "{{json .Field.Path}}",
                                 format);
            }
            puts(line);
            free(line);
            json_decref(doc);
        } else {
            json_array_append_new(arr, doc);
        }
    }
    if (!format) {
        char *text = json_dumps(arr, JSON_INDENT(4));
        puts(text ? text : "[]");
        free(text);
    }
    json_decref(arr);
    return status;
}
