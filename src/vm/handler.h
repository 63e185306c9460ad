/* The `vm` custom handler (runtime/custom_handler.h): a bundle annotated run.oci.handler=vm (or any
 * bundle when the runtime is invoked as hull-runtime-vm) runs its process in a microVM.
 *
 * The runtime clones its container process as usual, but without namespaces: the process waits
 * for `start` on the exec fifo like a native one, then becomes the VM launcher (vm_run). So the
 * lifecycle needs nothing new: `kill` signals reach the launcher, which forwards them to the
 * guest program; the launcher's exit status is the program's; `delete --force` SIGKILLs it and
 * qemu dies with it (PR_SET_PDEATHSIG). The front ends hand vm_runtime_handler to the runtime in
 * struct runtime_opts. */
#ifndef HULL_VM_HANDLER_H
#define HULL_VM_HANDLER_H

#include "oci/config.h"
#include "runtime/custom_handler.h"
#include "util/error.h"
#include "vm/vm.h"

#define VM_HANDLER_NAME "vm"

extern const struct runtime_handler vm_runtime_handler;

/* The vm_spec of a bundle: rootfs, process args/env/cwd, hostname, size from annotations or
 * linux.resources, user networking unless the bundle asks for a fresh network namespace.
 * The spec borrows from cfg. */
int vm_handler_spec(const struct hull_config *cfg, struct vm_spec *spec, hull_err **err);

#endif
