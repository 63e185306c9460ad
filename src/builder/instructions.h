/* The state a build stage carries from step to step, and the instructions that only change the
 * image config (ENV, ARG, LABEL, WORKDIR, USER, EXPOSE, VOLUME, CMD, ENTRYPOINT, SHELL,
 * STOPSIGNAL, HEALTHCHECK, MAINTAINER), applied the way docker applies them. The same code
 * serves `hull commit --change`. */
#ifndef HULL_BUILDER_INSTRUCTIONS_H
#define HULL_BUILDER_INSTRUCTIONS_H

#include <stdbool.h>

#include "builder/containerfile.h"
#include "image/draft.h"
#include "util/digest.h"

struct build_state {
    image_draft d;
    char key[DIGEST_STR_LEN]; /* cache key of the state (cache.h) */
    char **env;               /* config Env, K=V */
    char **args;              /* ARGs declared in the stage with a value, K=V */
    char **vars;              /* what ${...} sees: args, then env (env wins) */
    char **shell;             /* SHELL, default ["/bin/sh", "-c"] */
    char *workdir;            /* config WorkingDir or NULL */
    char *user;               /* config User or NULL */
    bool cmd_set;             /* CMD given in this stage (ENTRYPOINT keeps it) */
};

void build_state_init_scratch(struct build_state *st);
int build_state_init_image(struct build_state *st, const image_info *img, hull_err **err);
int build_state_copy(struct build_state *dst, const struct build_state *src);
void build_state_clear(struct build_state *st);
/* Env, shell, workdir and user from the draft's config (after setting st->d). */
void build_state_load_config(struct build_state *st);

/* `path` in the container: absolute, or relative to WORKDIR; cleaned (malloc'd). */
char *build_state_path(const struct build_state *st, const char *path);
/* RUN's argv: the exec form as given, or SHELL + the command line. */
char **build_state_command(const struct build_state *st, const struct cf_instruction *in);

/* ARG NAME[=default]: the value is the --build-arg, else the default, else the meta ARG of
 * that name (declared before the first FROM). */
int build_state_arg(struct build_state *st, const struct cf_instruction *in, char escape,
                    char *const *build_args, char *const *meta_args, hull_err **err);
/* Every other config-only instruction. */
int build_state_apply(struct build_state *st, const struct cf_instruction *in, char escape,
                      hull_err **err);
/* --label K=V of `hull build`. */
void build_state_add_labels(struct build_state *st, char *const *labels);

/* Go duration ("30s", "1m30s", "500ms") in nanoseconds. */
int parse_duration(const char *text, long long *out, hull_err **err);

#endif
