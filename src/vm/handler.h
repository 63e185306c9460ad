/* The `vm` handler of hull-runtime: a bundle annotated run.oci.handler=vm (or any bundle when the
 * runtime is invoked as hull-runtime-vm) runs its process in a microVM.
 *
 * The runtime clones its container process as usual, but without namespaces: the process waits
 * for `start` on the exec fifo like a native one, then becomes the VM launcher (vm_run). So the
 * lifecycle needs nothing new: `kill` signals reach the launcher, which forwards them to the
 * guest program; the launcher's exit status is the program's; `delete --force` SIGKILLs it and
 * qemu dies with it (PR_SET_PDEATHSIG). */
#ifndef HULL_VM_HANDLER_H
#define HULL_VM_HANDLER_H

#include <stdbool.h>

#include "oci/config.h"
#include "runtime/init.h"
#include "util/error.h"
#include "vm/vm.h"

#define VM_HANDLER_NAME       "vm"
#define VM_HANDLER_ANNOTATION "run.oci.handler"

/* True when the bundle asks for the vm handler, or `forced` (hull-runtime-vm). */
bool vm_handler_selected(const struct hull_config *cfg, bool forced);

/* The vm_spec of a bundle: rootfs, process args/env/cwd, hostname, size from annotations or
 * linux.resources, user networking unless the bundle asks for a fresh network namespace.
 * The spec borrows from cfg. */
int vm_handler_spec(const struct hull_config *cfg, struct vm_spec *spec, hull_err **err);

/* The container process of a vm-handled container (replaces runtime_init). */
__attribute__((noreturn)) void vm_handler_init(struct init_args *a);

#endif
