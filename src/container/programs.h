/* Where hull's own programs are: hull itself, and the helpers installed next to it
 * (hull-monitor, hull-init, hull-images, hull-nft, hull-portmap). Hull's own path is
 * runtime_binary_path (linux/exe_protect.h). */
#ifndef HULL_CONTAINER_PROGRAMS_H
#define HULL_CONTAINER_PROGRAMS_H

#include "util/error.h"

/* DIR_OF_HULL/name (hull-monitor, hull-init, hull-images, hull-nft), or $HULL_MONITOR /
 * $HULL_INIT / $HULL_IMAGES / $HULL_NFT; malloc'd, NULL with an error when the file is missing. */
char *container_helper_path(const char *name, hull_err **err);

#endif
