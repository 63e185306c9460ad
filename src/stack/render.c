/* YAML rendering of a resolved stack (render.h). */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stack/render.h"

static bool needs_quotes(const char *s)
{
    if (s[0] == '\0')
        return true;
    static const char *const words[] = {"true", "false", "yes",   "no",    "on", "off", "null",
                                        "~",    "True",  "False", "Yes",   "No", "On",  "Off",
                                        "Null", "NULL",  "TRUE",  "FALSE", NULL};
    for (const char *const *w = words; *w; w++)
        if (strcmp(s, *w) == 0)
            return true;
    if (isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.')
        return true;
    if (strchr("!&*[]{}|>'\"%@`#,?:", s[0]) || isspace((unsigned char)s[strlen(s) - 1]) ||
        isspace((unsigned char)s[0]))
        return true;
    return strstr(s, ": ") || strstr(s, " #") || strchr(s, '\n') || strchr(s, '\t') ||
           s[strlen(s) - 1] == ':';
}

static void scalar(FILE *out, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        if (!needs_quotes(s)) {
            fputs(s, out);
            break;
        }
        fputc('"', out);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
            if (*p == '"' || *p == '\\')
                fprintf(out, "\\%c", *p);
            else if (*p == '\n')
                fputs("\\n", out);
            else if (*p == '\t')
                fputs("\\t", out);
            else if (*p < 0x20)
                fprintf(out, "\\x%02x", *p);
            else
                fputc(*p, out);
        }
        fputc('"', out);
        break;
    }
    case JSON_INTEGER:
        fprintf(out, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        fprintf(out, "%g", json_real_value(v));
        break;
    case JSON_TRUE:
        fputs("true", out);
        break;
    case JSON_FALSE:
        fputs("false", out);
        break;
    default:
        fputs("null", out);
        break;
    }
}

static bool is_empty_container(json_t *v)
{
    return (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

static void key(FILE *out, const char *k)
{
    json_t *s = json_string(k);
    scalar(out, s);
    json_decref(s);
}

static void node(FILE *out, json_t *v, int indent);

static void map_body(FILE *out, json_t *v, int indent)
{
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x)
    {
        fprintf(out, "%*s", indent, "");
        key(out, k);
        if (is_empty_container(x)) {
            fputs(json_is_object(x) ? ": {}\n" : ": []\n", out);
        } else if (json_is_object(x) || json_is_array(x)) {
            fputs(":\n", out);
            node(out, x, indent + 2);
        } else {
            fputs(": ", out);
            scalar(out, x);
            fputc('\n', out);
        }
    }
}

static void node(FILE *out, json_t *v, int indent)
{
    if (json_is_object(v)) {
        map_body(out, v, indent);
        return;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        fprintf(out, "%*s- ", indent, "");
        if (is_empty_container(x)) {
            fputs(json_is_object(x) ? "{}\n" : "[]\n", out);
        } else if (json_is_object(x)) {
            /* first key on the dash line, the rest aligned under it */
            char *buf = NULL;
            size_t len = 0;
            FILE *m = open_memstream(&buf, &len);
            map_body(m, x, indent + 2);
            fclose(m);
            fputs(buf + indent + 2, out);
            free(buf);
        } else if (json_is_array(x)) {
            fputc('\n', out);
            node(out, x, indent + 2);
        } else {
            scalar(out, x);
            fputc('\n', out);
        }
    }
}

void stack_render_yaml(FILE *out, json_t *doc)
{
    node(out, doc, 0);
}
