/* docker's --format: the "table" prefix, header rows and tabwriter alignment (format.h). */
#include "cli/hull/format.h"

#include <stdlib.h>
#include <string.h>

#include "cli/hull/cli.h"
#include "util/cleanup.h"

/* docker replaces the two characters `\t` and `\n` of the flag before parsing. */
static char *unescape(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    if (out == NULL)
        abort();
    for (; *s; s++) {
        if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n')) {
            *o++ = s[1] == 't' ? '\t' : '\n';
            s++;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

int cli_format_begin(struct cli_format *f, const char *command, const char *format, json_t *headers)
{
    *f = (struct cli_format){.headers = json_incref(headers)};
    const char *body = format;
    if (strncmp(format, "table", 5) == 0) {
        f->table = true;
        body = format + 5;
    }
    cleanup_free char *text = unescape(body);
    /* docker trims the blanks around the template */
    char *start = text;
    while (*start == ' ')
        start++;
    size_t len = strlen(start);
    while (len > 0 && start[len - 1] == ' ')
        start[--len] = '\0';
    cleanup_err hull_err *err = NULL;
    if (template_parse(start, &f->tmpl, &err) < 0) {
        json_decref(f->headers);
        f->headers = NULL;
        return cli_usage(command, "--format: %s", err->msg);
    }
    f->rows = open_memstream(&f->buf, &f->size);
    if (f->rows == NULL)
        abort();
    return 0;
}

int cli_format_row(struct cli_format *f, json_t *row, hull_err **err)
{
    cleanup_free char *out = NULL;
    if (template_execute(f->tmpl, row, &out, err) < 0)
        return -1;
    fprintf(f->rows, "%s\n", out);
    return 0;
}

int cli_format_end(struct cli_format *f, hull_err **err)
{
    fclose(f->rows);
    f->rows = NULL;
    int rc = 0;
    if (f->table) {
        cleanup_free char *header = NULL;
        json_t *h = f->headers ? f->headers : json_object();
        rc = template_execute(f->tmpl, h, &header, err);
        if (h != f->headers)
            json_decref(h);
        if (rc == 0) {
            cleanup_free char *all = NULL;
            if (asprintf(&all, "%s\n%s", header, f->buf ? f->buf : "") < 0)
                abort();
            cleanup_free char *aligned = template_tabwrite(all);
            fputs(aligned, stdout);
        }
    } else if (f->buf) {
        fputs(f->buf, stdout);
    }
    cli_format_clear(f);
    return rc;
}

void cli_format_clear(struct cli_format *f)
{
    if (f->rows)
        fclose(f->rows);
    free(f->buf);
    template_free(f->tmpl);
    json_decref(f->headers);
    *f = (struct cli_format){0};
}

int cli_format_print(const char *command, const char *format, json_t *headers, json_t *rows)
{
    struct cli_format fmt;
    int rc = cli_format_begin(&fmt, command, format, headers);
    json_decref(headers);
    hull_err *err = NULL;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        if (rc == 0 && cli_format_row(&fmt, row, &err) < 0)
            rc = cli_fail(err);
    }
    json_decref(rows);
    if (rc != 0) {
        cli_format_clear(&fmt);
        return rc;
    }
    return cli_format_end(&fmt, &err) < 0 ? cli_fail(err) : 0;
}

void cli_docker_size(int64_t n, char *buf, size_t len)
{
    const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    snprintf(buf, len, "%.3g%s", v, units[u]);
}
