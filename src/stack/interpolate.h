/* Variable interpolation in compose files, as the compose specification defines it:
 * `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`, `$$` for a
 * literal `$`; defaults and replacements may themselves hold interpolations. Values come from a
 * stack_env: the process environment over the project's `.env` or `--env-file` files. */
#ifndef HULL_STACK_INTERPOLATE_H
#define HULL_STACK_INTERPOLATE_H

#include "stack/node.h"
#include "util/error.h"

struct stack_env {
    char **vars; /* "NAME=VALUE", later entries win */
};

void stack_env_clear(struct stack_env *env);
/* Add NAME=VALUE (replacing an earlier NAME). */
void stack_env_set(struct stack_env *env, const char *name, const char *value);
/* The value of NAME, NULL when unset. */
const char *stack_env_get(const struct stack_env *env, const char *name);
/* Add every variable of the process environment. */
void stack_env_add_process(struct stack_env *env);
/* Read a dotenv file (KEY=VALUE lines, `export ` prefix, # comments, single- and double-quoted
 * values, `${VAR}` in unquoted and double-quoted values resolved against what is known so far).
 * A missing file is an error when `required`. */
int stack_env_read_file(struct stack_env *env, const char *path, bool required, hull_err **err);

/* Interpolate one string; `where` names it in errors ("file:line" and the key path). *out is
 * malloc'd. */
int stack_interpolate_string(const char *in, const struct stack_env *env, const char *where,
                             char **out, hull_err **err);
/* Interpolate every scalar value of a document tree in place (keys are left alone). */
int stack_interpolate_tree(struct stack_node *root, const struct stack_env *env, hull_err **err);

#endif
