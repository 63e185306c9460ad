/* hull-init: the `--init` process of hull containers (what tini is to docker). Bind-mounted
 * read-only at /dev/init and run as PID 1 with `-- CMD...`: it starts CMD as its only child,
 * forwards every signal it receives to it, reaps every zombie (orphans are reparented to PID 1)
 * and exits with CMD's status (128+N when CMD was killed by signal N). Static, libc only. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "--") == 0)
        first = 2;
    if (first >= argc) {
        fputs("usage: hull-init -- COMMAND [ARG...]\n", stderr);
        return 125;
    }
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t child = fork();
    if (child < 0) {
        perror("hull-init: fork");
        return 125;
    }
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        setpgid(0, 0);
        execvp(argv[first], argv + first);
        fprintf(stderr, "hull-init: exec `%s`: %s\n", argv[first], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            if (sig != SIGKILL && sig != SIGSTOP)
                kill(child, sig);
            continue;
        }
        int status;
        pid_t p;
        while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
            if (p == child)
                return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        }
    }
}
