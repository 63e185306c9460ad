/* libFuzzer target for the compose reader: YAML -> interpolation -> compose reader -> model, on
 * arbitrary bytes; either an error or a stack, never a crash, leak or undefined behaviour.
 * Built and run by tests/fuzz/run-fuzz-compose. */
#include <stddef.h>
#include <stdint.h>

#include "stack/compose.h"
#include "stack/model.h"
#include "stack/yaml.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        hull_log_init(NULL, HULL_LOG_TEXT, HULL_LOG_ERROR);
        quiet = 1;
    }
    hull_err *err = NULL;
    struct stack_node *root = NULL;
    struct stack_env env = {0};
    stack_env_set(&env, "SET", "value");
    if (stack_yaml_parse((const char *)data, size, "fuzz.yaml", &root, &err) == 0 &&
        stack_interpolate_tree(root, &env, &err) == 0) {
        json_t *doc = NULL;
        if (stack_compose_to_doc(root, "fuzz", "/srv/fuzz", &env, &doc, &err) == 0) {
            struct stack *s = NULL;
            if (stack_from_doc(doc, "/srv/fuzz", &s, &err) == 0)
                stack_free(s);
        }
    }
    stack_node_free(root);
    stack_env_clear(&env);
    hull_err_free(err);
    return 0;
}
