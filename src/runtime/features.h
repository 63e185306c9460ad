/* The runtime-spec "features" document: what this runtime build and kernel support. It asks
 * linux/ what the kernel offers, so it lives here rather than in the pure model of oci/. */
#ifndef HULL_RUNTIME_FEATURES_H
#define HULL_RUNTIME_FEATURES_H

#include <jansson.h>

json_t *runtime_features_document(void);

#endif
