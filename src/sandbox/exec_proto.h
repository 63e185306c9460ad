/* The exec protocol between `hull sandbox exec` and hull-sandbox-init, the first process of a
 * session (src/sandbox/init/init.c has the description). Shared by both sides; no hull
 * includes (the init is static and libc only). */
#ifndef HULL_SANDBOX_EXEC_PROTO_H
#define HULL_SANDBOX_EXEC_PROTO_H

#define HSX_MAGIC       "HSX1"
#define HSX_LISTEN_FD   3
#define HSX_MAX_REQUEST (128 * 1024)
/* In the session: the bind-mounted directory holding the init (read-only). */
#define HSX_DIR_IN_SANDBOX "/.hull"
#define HSX_INIT_NAME      "hull-sandbox-init"

#endif
