/* docker's --format flag for listings (ps, images, stats, volume ls) and inspect: a Go template
 * (util/template.h) run once per object. "table TEMPLATE" adds a header row (each field's docker
 * column name) and aligns the cells as docker's tabwriter does; `\t` and `\n` written as two
 * characters in the flag are a tab and a newline. */
#ifndef HULL_CLI_HULL_FORMAT_H
#define HULL_CLI_HULL_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "util/template.h"

struct cli_format {
    hull_template *tmpl;
    bool table;
    json_t *headers; /* field -> column name, for the table's header row */
    char *buf;       /* rendered rows */
    size_t size;
    FILE *rows;
};

/* Parse `format` ("table ..." or a template). `headers` (borrowed, may be NULL) maps each field
 * to its column name. A parse error is a usage error (exit status 125) naming the flag. */
int cli_format_begin(struct cli_format *f, const char *command, const char *format,
                     json_t *headers);
/* Render one object (row); fills *err on a template error (a missing field). */
int cli_format_row(struct cli_format *f, json_t *row, hull_err **err);
/* Print the header row (tables) and every row; frees f. */
int cli_format_end(struct cli_format *f, hull_err **err);
void cli_format_clear(struct cli_format *f);

/* The whole listing at once: every object of `rows` rendered, then printed (with the header
 * row for tables). Takes both references. Returns the exit status (125 for a bad template, 1
 * for a template error). */
int cli_format_print(const char *command, const char *format, json_t *headers, json_t *rows);

/* docker's units.HumanSizeWithPrecision(n, 3): "0B", "398B", "2.13MB". */
void cli_docker_size(int64_t n, char *buf, size_t len);

#endif
