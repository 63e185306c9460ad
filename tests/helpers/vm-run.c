/* Test driver for the VM library: vm_run() with everything on the command line.
 * usage: vm-run [--env K=V]... [--host LINE]... [--port HOST:GUEST]... [--cwd DIR]
 *               [--accel A] [--kernel P] [--console-log F] [--kernel-args S]
 *               [--timings] [--cpus N] [--memory MIB] ROOTFS ARGS...
 * Exits with the program's exit code, or the VM_EXIT_* code of a launcher failure. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "vm/accel.h"
#include "vm/sizing.h"
#include "vm/vm.h"

#define MAX_ITEMS 64

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"env", required_argument, NULL, 'e'},
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"cwd", required_argument, NULL, 'c'},
        {"accel", required_argument, NULL, 'a'},
        {"kernel", required_argument, NULL, 'k'},
        {"console-log", required_argument, NULL, 'l'},
        {"kernel-args", required_argument, NULL, 'K'},
        {"timings", no_argument, NULL, 'T'},
        {"cpus", required_argument, NULL, 'C'},
        {"memory", required_argument, NULL, 'M'},
        {NULL, 0, NULL, 0},
    };
    char *env[MAX_ITEMS + 1] = {0}, *hosts[MAX_ITEMS + 1] = {0};
    struct vm_port_forward ports[MAX_ITEMS];
    size_t n_env = 0, n_hosts = 0, n_ports = 0;
    struct vm_spec spec = {.stdout_fd = 1, .stderr_fd = 2};
    int c, timings = 0;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        unsigned h, g;
        if ((c == 'e' && n_env == MAX_ITEMS) || (c == 'H' && n_hosts == MAX_ITEMS) ||
            (c == 'p' && n_ports == MAX_ITEMS))
            return VM_EXIT_USAGE;
        switch (c) {
        case 'e':
            env[n_env++] = optarg;
            break;
        case 'H':
            hosts[n_hosts++] = optarg;
            break;
        case 'p':
            if (sscanf(optarg, "%u:%u", &h, &g) != 2 || h > 65535 || g > 65535)
                return VM_EXIT_USAGE;
            ports[n_ports++] = (struct vm_port_forward){(uint16_t)h, (uint16_t)g};
            break;
        case 'c':
            spec.cwd = optarg;
            break;
        case 'a':
            if (vm_accel_parse(optarg, &spec.accel) < 0)
                return VM_EXIT_USAGE;
            break;
        case 'k':
            spec.kernel = optarg;
            break;
        case 'l':
            spec.console_log = optarg;
            break;
        case 'K':
            spec.kernel_args = optarg;
            break;
        case 'T':
            timings = 1;
            break;
        case 'C':
            spec.cpus = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'M':
            if (vm_parse_memory_mib(optarg, &spec.memory_mib) < 0)
                return VM_EXIT_USAGE;
            break;
        default:
            return VM_EXIT_USAGE;
        }
    }
    if (argc - optind < 2)
        return VM_EXIT_USAGE;
    spec.rootfs = argv[optind];
    spec.argv = argv + optind + 1;
    spec.env = env;
    spec.hosts = hosts;
    spec.ports = ports;
    spec.n_ports = n_ports;
    spec.network = true;
    hull_err *err = NULL;
    int code = 0;
    struct vm_times t = {0};
    int r = vm_run(&spec, &code, &t, NULL, &err);
    if (timings)
        fprintf(stderr, "vm-run: started=%.3f exited=%.3f stopped=%.3f\n",
                t.started ? t.started - t.spawned : -1.0, t.exited ? t.exited - t.spawned : -1.0,
                t.stopped ? t.stopped - t.spawned : -1.0);
    if (r < 0) {
        fprintf(stderr, "vm-run: %s\n", err->msg);
        code = err->exit_code ? err->exit_code : 1;
        hull_err_free(err);
    }
    return code;
}
