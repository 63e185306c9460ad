/* The runtime-spec "features" document: what this runtime build and kernel support. */
#ifndef HULL_OCI_FEATURES_H
#define HULL_OCI_FEATURES_H

#include <jansson.h>

json_t *features_document(void);

#endif
