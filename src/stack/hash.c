/* Service config hash (hash.h). */
#include <stdlib.h>
#include <string.h>

#include "stack/hash.h"
#include "util/digest.h"

char *stack_service_canonical_json(json_t *service)
{
    json_t *copy = json_deep_copy(service);
    json_object_del(copy, "build");
    json_object_del(copy, "scale");
    json_object_del(copy, "depends_on");
    json_object_del(copy, "profiles");
    json_object_del(json_object_get(copy, "deploy"), "replicas");
    char *text = json_dumps(copy, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(copy);
    if (text == NULL)
        abort();
    return text;
}

void stack_service_hash(json_t *service, char out[65])
{
    char *text = stack_service_canonical_json(service);
    char d[DIGEST_STR_LEN];
    digest_of_buffer(text, strlen(text), d);
    free(text);
    memcpy(out, digest_hex(d), 64);
    out[64] = '\0';
}
