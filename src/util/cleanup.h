/* Cleanup attributes: resources are released on every return path, no goto ladders. */
#ifndef HULL_UTIL_CLEANUP_H
#define HULL_UTIL_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

static inline void hull_freep(void *p)
{
    free(*(void **)p);
}

static inline void hull_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
    *fd = -1;
}

static inline void hull_fclosep(FILE **f)
{
    if (*f != NULL)
        fclose(*f);
}

static inline void hull_closedirp(DIR **d)
{
    if (*d != NULL)
        closedir(*d);
}

/* Free a NULL-terminated array of strings. */
static inline void hull_strvfree(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static inline void hull_strvfreep(char ***v)
{
    hull_strvfree(*v);
}

#define cleanup_free  __attribute__((cleanup(hull_freep)))
#define cleanup_close __attribute__((cleanup(hull_closep)))
#define cleanup_file  __attribute__((cleanup(hull_fclosep)))
#define cleanup_dir   __attribute__((cleanup(hull_closedirp)))
#define cleanup_strv  __attribute__((cleanup(hull_strvfreep)))

/* Hand ownership out of a cleanup variable: returns the value and disarms the cleanup. */
#define steal_pointer(pp)                                                                          \
    ({                                                                                             \
        __typeof__(*(pp)) _v = *(pp);                                                              \
        *(pp) = NULL;                                                                              \
        _v;                                                                                        \
    })
#define steal_fd(fdp)                                                                              \
    ({                                                                                             \
        int _fd = *(fdp);                                                                          \
        *(fdp) = -1;                                                                               \
        _fd;                                                                                       \
    })

#endif
