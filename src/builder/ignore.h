/* .containerignore / .dockerignore: which files of the build context COPY and ADD never see.
 * docker's rules: one pattern a line, `#` comments, blanks trimmed, paths cleaned and taken
 * relative to the context (a leading `/` is dropped), `*` `?` `[...]` within one path component,
 * `**` for any number of components, `!` re-includes; the last matching pattern decides, and a
 * pattern that matches a directory matches everything below it. */
#ifndef HULL_BUILDER_IGNORE_H
#define HULL_BUILDER_IGNORE_H

#include <stdbool.h>

#include "util/error.h"

struct ignore_rules;

/* Read .containerignore (preferred, as podman) or .dockerignore from the context directory;
 * *out is an empty rule set when neither exists. */
int ignore_load(int context_fd, struct ignore_rules **out, hull_err **err);
/* Rules from text (for tests). */
struct ignore_rules *ignore_parse(const char *text);
void ignore_free(struct ignore_rules *r);

/* Whether `path` (relative to the context, no leading "./") is excluded. */
bool ignore_excluded(const struct ignore_rules *r, const char *path);
/* Whether a directory that is excluded may still hold re-included files (walk into it). */
bool ignore_has_exceptions(const struct ignore_rules *r);

#endif
