/* What the front ends share (see common.h). */
#include "cli/common.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/random.h>

#include "util/log.h"

int cli_fail(hull_err *err)
{
    int code = err && err->exit_code ? err->exit_code : 1;
    if (!(err && err->msg && err->msg[0] == '\0'))
        hull_log(HULL_LOG_ERROR, "%s", err && err->msg ? err->msg : "unknown error");
    hull_err_free(err);
    return code;
}

void cli_seed_json_hash(void)
{
    uint32_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == sizeof seed)
        json_object_seed(seed);
}
