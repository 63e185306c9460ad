/* Per-process kernel state of the container's process: hostname, sysctl, rlimits, OOM score,
 * personality, identity (uid/gid/groups), umask, working directory, and the executable lookup. */
#ifndef HULL_LINUX_PROCESS_SETUP_H
#define HULL_LINUX_PROCESS_SETUP_H

#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

int process_set_hostname(const struct hull_config *cfg, hull_err **err);
int process_apply_sysctl(const struct hull_config *cfg, hull_err **err);
int process_apply_rlimits(const struct hull_process *p, hull_err **err);
int process_apply_oom_score(const struct hull_process *p, pid_t pid, hull_err **err);
int process_apply_personality(const struct hull_config *cfg, hull_err **err);
/* setgroups + setresgid + setresuid; capabilities survive via PR_SET_KEEPCAPS. */
int process_set_identity(const struct hull_process *p, bool setgroups_allowed, hull_err **err);
/* chdir into cwd inside the (already pivoted) root and check it really is inside (getcwd).
 * Done with the runtime's privileges, before any seccomp filter exists. */
int process_check_cwd(const struct hull_process *p, hull_err **err);
/* chdir into cwd again as the process's user (its permission check). */
int process_enter_cwd(const struct hull_process *p, hull_err **err);
/* process.scheduler (sched_setattr), process.ioPriority (ioprio_set) and linux.memoryPolicy
 * (set_mempolicy): applied to the process itself, inherited by what it execs; done before the
 * capabilities are dropped (real-time policies need CAP_SYS_NICE). */
int process_apply_scheduler(const struct hull_process *p, hull_err **err);
int process_apply_io_priority(const struct hull_process *p, hull_err **err);
int process_apply_memory_policy(const struct hull_config *cfg, hull_err **err);
/* A non-root process user gets the pipes on its stdin/stdout/stderr (the caller's pipes, owned
 * by the caller) chowned to it, so that it can reopen /proc/self/fd/N (crun; runc chowns any
 * stdio file). Best effort, as runc: a pipe that cannot be chowned is left alone. */
void process_chown_stdio_pipes(const struct hull_process *p);
/* process.env, plus HOME when it has none (as runc): the home directory of the process uid in
 * the container's /etc/passwd, `/` when there is no entry. Call after pivot_root, before the
 * identity change; returns p->env itself or a new array that lives until execve. */
char **process_env_with_home(const struct hull_process *p);
/* Look args[0] up in PATH from env as execvp would; returns malloc'd path. */
int process_find_executable(const struct hull_process *p, char **out, hull_err **err);
/* Close every fd >= first, or mark them close-on-exec: close_range, else (a kernel or a seccomp
 * profile without it) one by one through /proc/self/fd. */
int process_close_fds_from(int first, bool cloexec_only, hull_err **err);

#endif
