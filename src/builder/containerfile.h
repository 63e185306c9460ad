/* Containerfile / Dockerfile parsing into a list of instructions, docker's rules:
 *  - parser directives (`# syntax=...`, `# escape=\` or `` ` ``) only at the very top;
 *  - comment lines (`#` first after blanks) dropped, also inside continuations;
 *  - a line ending in the escape character continues on the next one;
 *  - keywords are case-insensitive; `--flag=value` options directly after the keyword;
 *  - a JSON array after RUN, CMD, ENTRYPOINT, SHELL, COPY, ADD, VOLUME is the exec form.
 * Heredocs (`RUN <<EOF`) are not supported and refused. Variables are not expanded here: the
 * builder expands them step by step (expand.h), with the values of that point in the build. */
#ifndef HULL_BUILDER_CONTAINERFILE_H
#define HULL_BUILDER_CONTAINERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct cf_instruction {
    char *keyword;  /* upper case: FROM, RUN, COPY, ... */
    char **flags;   /* "--from=build", ... (NULL-terminated) */
    char *args;     /* the rest, continuations joined with a space */
    bool json;      /* args was a JSON string array: argv holds it */
    char **argv;    /* JSON form only (NULL-terminated) */
    char *original; /* "RUN apt-get ..." as written (continuations joined) */
    int line;       /* where the instruction starts (1-based) */
};

struct containerfile {
    char *path;  /* for messages: "Containerfile" */
    char escape; /* '\\' or '`' */
    struct cf_instruction *ins;
    size_t n;
};

/* Parse `text`. Errors read "PATH:LINE: ...". Keywords are checked against the set hull knows
 * (unknown: "unknown instruction: FOO"); what each instruction's arguments mean is checked by
 * the builder. */
int containerfile_parse(const char *path, const char *text, struct containerfile **out,
                        hull_err **err);
void containerfile_free(struct containerfile *cf);

/* Value of flag `name` ("from" for --from=...) or NULL; present without value gives "". */
const char *cf_flag(const struct cf_instruction *in, const char *name);

#endif
