/* The documented default Landlock policy `hull-runtime spec --landlock-default` writes into the
 * run.hull.landlock annotation (docs/security.md): system directories read and execute, /etc
 * and /sys read, /proc read and write, /dev read, write and device ioctls, /tmp, /var/tmp, /run,
 * /dev/shm and the given volume destinations fully writable. Nothing else is reachable. */
#ifndef HULL_OCI_LANDLOCK_DEFAULT_H
#define HULL_OCI_LANDLOCK_DEFAULT_H

/* The policy as compact JSON text (malloc'd); `writable_volumes` is NULL-terminated or NULL. */
char *landlock_default_policy_json(const char *const *writable_volumes);

#endif
