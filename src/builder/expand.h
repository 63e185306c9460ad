/* Words and variables in Containerfile arguments, the way docker's shell lexer reads them:
 * 'single quotes' are literal, "double quotes" expand variables, the escape character makes the
 * next character literal, and $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:+alt},
 * ${VAR+alt}, ${VAR:?message}, ${VAR?message} are replaced from the build's variables. Quotes
 * and escape characters are removed from the result. */
#ifndef HULL_BUILDER_EXPAND_H
#define HULL_BUILDER_EXPAND_H

#include "util/error.h"

/* vars: "K=V" strings, NULL-terminated; later entries win. */
int expand_word(const char *word, char escape, char *const *vars, char **out, hull_err **err);

/* Split on unquoted blanks, then expand each word (EXPOSE, VOLUME, USER, WORKDIR...). */
int expand_words(const char *text, char escape, char *const *vars, char ***out, hull_err **err);

/* Split on unquoted blanks keeping quotes and escapes (the first pass of ENV, LABEL, ARG). */
char **split_words(const char *text, char escape);

/* Value of K in vars (the last one), or NULL. */
const char *vars_get(char *const *vars, const char *key);
/* Set K=V in a malloc'd list (replacing an existing K). */
void vars_set(char ***vars, const char *key, const char *value);

#endif
