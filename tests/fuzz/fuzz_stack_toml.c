/* libFuzzer target for the TOML reader (src/stack/toml.c): any byte string either parses into a
 * tree or fails with an error, without crashes, leaks or undefined behaviour. Built and run by
 * tests/fuzz/run-fuzz-toml (clang, -fsanitize=fuzzer,address,undefined). */
#include <stddef.h>
#include <stdint.h>

#include "stack/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hull_err *err = NULL;
    struct stack_node *root = NULL;
    if (stack_toml_parse((const char *)data, size, "fuzz.toml", &root, &err) == 0)
        stack_node_free(root);
    hull_err_free(err);
    return 0;
}
