/* Where hull's own programs are (see programs.h). */
#include "container/programs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/exe_protect.h"
#include "util/cleanup.h"

char *container_helper_path(const char *name, hull_err **err)
{
    const char *env = strcmp(name, "hull-monitor") == 0  ? getenv("HULL_MONITOR")
                      : strcmp(name, "hull-init") == 0   ? getenv("HULL_INIT")
                      : strcmp(name, "hull-images") == 0 ? getenv("HULL_IMAGES")
                      : strcmp(name, "hull-nft") == 0    ? getenv("HULL_NFT")
                                                         : NULL;
    char *path = NULL;
    if (env && *env) {
        path = strdup(env);
    } else {
        cleanup_free char *dir = runtime_binary_dir(err);
        if (dir == NULL)
            return NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0)
            abort();
    }
    if (access(path, X_OK) < 0) {
        hull_error(err, errno, "helper program `%s` is missing (it is installed next to hull)",
                   path);
        free(path);
        return NULL;
    }
    return path;
}
