/* bench/measure: run a command once and print "wall_ms cpu_ms maxrss_kib exit_code".
 * A tiny static launcher: a forked Python child would report Python's own RSS as the peak of
 * every measured process, since exec keeps the pre-exec high-water mark. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: measure COMMAND [ARGS...]\n");
        return 2;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        /* The measured command's stdio goes to /dev/null (or MEASURE_LOG): a created container
         * inherits it and would hold our caller's pipe open. */
        const char *log = getenv("MEASURE_LOG");
        int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (fd >= 0 && in >= 0) {
            dup2(in, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0)
        return 2;
    clock_gettime(CLOCK_MONOTONIC, &b);
    double wall = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("%.3f %.3f %ld %d\n", wall, cpu, ru.ru_maxrss, code);
    return 0;
}
