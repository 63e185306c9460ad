/* Go text/template, as docker's --format flags use it, evaluated over JSON documents.
 *
 * The language: text with {{actions}}: fields (.A.B, $var.A, (pipeline).A), literals, pipelines
 * (cmd | cmd), variables ($x := ..., $x = ..., $ is the data), if / else if / else, range
 * (arrays, objects in key order; $i, $v := ...; break, continue), with, comments, {{- -}}
 * trimming, and the functions of Go (and or not len index print printf println eq ne lt le gt
 * ge) and docker (json join split lower upper title pad truncate). A missing field is an error
 * naming it, as docker's templates (missingkey=error). A field given arguments indexes the
 * object it names, so docker's `.Label "com.example.key"` works on a "Label" object.
 *
 * Values print as Go's fmt prints decoded JSON: strings bare, integers in decimal, arrays as
 * [a b], objects as map[k:v], null as <nil>. Error messages have Go's wording:
 *   template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo" */
#ifndef HULL_UTIL_TEMPLATE_H
#define HULL_UTIL_TEMPLATE_H

#include <jansson.h>

#include "util/error.h"

typedef struct hull_template hull_template;

int template_parse(const char *text, hull_template **out, hull_err **err);
/* Execute over `data`; *out is the malloc'ed text. Nothing is returned on error. */
int template_execute(const hull_template *t, json_t *data, char **out, hull_err **err);
void template_free(hull_template *t);
void template_freep(hull_template **t);
#define cleanup_template __attribute__((cleanup(template_freep)))

/* Align text whose cells end with '\t' as Go's tabwriter with docker's settings (minimum width
 * 10, padding 3, blanks): every column as wide as its widest cell plus 3, at least 10. The last
 * cell of a line is not padded. Returns a malloc'ed string. */
char *template_tabwrite(const char *text);

#endif
