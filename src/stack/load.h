/* Loading a stack the way `docker compose` does: find the files (compose.yaml, compose.yml,
 * docker-compose.yaml, docker-compose.yml and their override, in the working directory or its
 * parents) unless -f names them; read `.env` (or --env-file) under the process environment;
 * parse, interpolate and merge every file; read the result into the stack model. A file ending
 * in .toml is a topology (topology.h). */
#ifndef HULL_STACK_LOAD_H
#define HULL_STACK_LOAD_H

#include "stack/model.h"

struct stack_load_options {
    const char *const *files;     /* NULL-terminated, may be NULL/empty: discovery */
    const char *project_name;     /* -p, else the file's name, else the directory */
    const char *const *env_files; /* --env-file, NULL-terminated */
    const char *const *profiles;  /* --profile, NULL-terminated */
};

int stack_load(const struct stack_load_options *opts, struct stack **out, hull_err **err);

#endif
