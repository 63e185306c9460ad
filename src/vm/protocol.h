/* What the host launcher and the guest init agree on besides the launch description: the
 * virtio-serial port names, the 9p mount tag and the control-channel messages.
 *
 * The control channel carries one short text line per message.
 *   host -> guest:  "signal <n>\n"   deliver signal n to the program (TERM, INT, KILL...)
 *   guest -> host:  "times <phase>=<ms> ...\n" just before "started": the guest clock (ms since
 *                                    the guest kernel started) at the end of each init phase
 *                   "started\n"      the program's execve() succeeded
 *                   "exit <code>\n"  the program ended; code is 0-255, 128+n for signal n
 *                   "error <text>\n" the guest init failed before the program could run */
#ifndef HULL_VM_PROTOCOL_H
#define HULL_VM_PROTOCOL_H

#define VM_PORT_CONTROL "hull.ctl"
#define VM_PORT_STDOUT  "hull.stdout"
#define VM_PORT_STDERR  "hull.stderr"
#define VM_ROOT_TAG     "hullroot"
/* The optional writable share (vm_spec.workspace), mounted at its guest path. */
#define VM_WORKSPACE_TAG "hullws"

/* QEMU user networking (slirp) addresses as seen from the guest. These are QEMU-internal:
 * traffic to the gateway reaches the host's loopback, never a real 10.x network. */
#define VM_NET_GUEST_ADDR "10.0.2.15"
#define VM_NET_GATEWAY    "10.0.2.2"
#define VM_NET_DNS        "10.0.2.3"
#define VM_NET_PREFIX     24

#define VM_CONTROL_LINE_MAX 512

#endif
