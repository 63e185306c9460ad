/* krunclient <root_path> <local_port>: the KrunClient interface on hull's VM backend.
 *
 * Runs /bin/app from root_path in a microVM (1 vCPU, 512 MiB), guest port 80 on host
 * 127.0.0.1:<local_port>, HOST and INTERNAL_SECRET passed in, internal.$HOST resolving to the
 * host. Fails fast with one line and a distinct exit code; never retries. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "vm/accel.h"
#include "vm/protocol.h"
#include "vm/vm.h"

#define APP_PATH   "/bin/app"
#define GUEST_PORT 80
#define GUEST_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char usage_text[] =
    "usage: krunclient [OPTIONS] <root_path> <local_port>\n"
    "\n"
    "Run " APP_PATH " from <root_path> in a microVM (1 vCPU, 512 MiB). Guest TCP port 80 is\n"
    "reachable on 127.0.0.1:<local_port>. HOST and INTERNAL_SECRET are passed to the program;\n"
    "inside the guest, internal.$HOST resolves to the host. SIGTERM/SIGINT are forwarded to the\n"
    "program; krunclient exits with the program's exit code.\n"
    "\n"
    "options:\n"
    "  --accel auto|kvm|tcg   accelerator (auto: kvm when the CPU has vmx/svm, else tcg)\n"
    "  --kernel PATH          guest kernel (ELF vmlinux)\n"
    "  --initramfs PATH       guest initramfs with hull's init\n"
    "  --qemu PATH            qemu-system-x86_64 binary\n"
    "  --console-log FILE     write the guest kernel console to FILE\n"
    "  --timings              print boot and exit timings to stderr\n"
    "  --stop-timeout SECONDS after a forwarded SIGTERM/SIGINT, stop the VM after this long if\n"
    "                         the program has not exited (default 10; the wait includes the rest\n"
    "                         of the boot when the signal came before the program ran)\n"
    "  -h, --help             this text\n"
    "\n"
    "exit codes:\n"
    "  0-255  the exit code of " APP_PATH " (128+N when it was killed by signal N, e.g. 143)\n"
    "  2      usage error (bad arguments, invalid HOST)\n"
    "  66     root filesystem missing, not a directory, or without " APP_PATH "\n"
    "  69     the VM could not start (qemu, kernel, initramfs, accelerator, guest init)\n"
    "  70     the VM stopped before " APP_PATH " reported an exit code\n"
    "  98     <local_port> is already in use on 127.0.0.1\n"
    "  126/127 " APP_PATH " could not be executed inside the guest\n";

enum {
    OPT_ACCEL = 256,
    OPT_KERNEL,
    OPT_INITRAMFS,
    OPT_QEMU,
    OPT_CONSOLE,
    OPT_TIMINGS,
    OPT_STOP_TIMEOUT
};

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("krunclient: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

static int parse_port(const char *s, uint16_t *port)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || s[0] == '+' || v == 0 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* HOST ends up in /etc/hosts: only host-name characters. */
static int valid_host(const char *h)
{
    if (*h == '\0' || strlen(h) > 240)
        return 0;
    for (const char *p = h; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-'))
            return 0;
    return 1;
}

static char *env_entry(const char *name)
{
    const char *v = getenv(name);
    char *s = NULL;
    if (v == NULL)
        return NULL;
    return asprintf(&s, "%s=%s", name, v) < 0 ? NULL : s;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"accel", required_argument, NULL, OPT_ACCEL},
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"initramfs", required_argument, NULL, OPT_INITRAMFS},
        {"qemu", required_argument, NULL, OPT_QEMU},
        {"console-log", required_argument, NULL, OPT_CONSOLE},
        {"timings", no_argument, NULL, OPT_TIMINGS},
        {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct vm_spec spec = {.cpus = 1, .memory_mib = 512, .stdout_fd = 1, .stderr_fd = 2};
    int timings = 0, c;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ACCEL:
            if (vm_accel_parse(optarg, &spec.accel) < 0)
                return fail(VM_EXIT_USAGE, "--accel must be auto, kvm or tcg, not `%s`", optarg);
            break;
        case OPT_KERNEL:
            spec.kernel = optarg;
            break;
        case OPT_INITRAMFS:
            spec.initramfs = optarg;
            break;
        case OPT_QEMU:
            spec.qemu = optarg;
            break;
        case OPT_CONSOLE:
            spec.console_log = optarg;
            break;
        case OPT_TIMINGS:
            timings = 1;
            break;
        case OPT_STOP_TIMEOUT: {
            char *end;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' || v == 0 || v > 86400)
                return fail(VM_EXIT_USAGE, "--stop-timeout must be 1 to 86400 seconds, not `%s`",
                            optarg);
            spec.stop_timeout_s = (unsigned)v;
            break;
        }
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs(usage_text, stderr);
            return VM_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        fputs(usage_text, stderr);
        return VM_EXIT_USAGE;
    }
    const char *root = argv[optind];
    struct vm_port_forward port = {.guest_port = GUEST_PORT};
    if (parse_port(argv[optind + 1], &port.host_port) < 0)
        return fail(VM_EXIT_USAGE, "local port `%s` is not a number in 1-65535", argv[optind + 1]);

    const char *host = getenv("HOST");
    if (host != NULL && !valid_host(host))
        return fail(VM_EXIT_USAGE, "HOST `%s` is not a valid host name", host);
    cleanup_free char *host_env = env_entry("HOST");
    cleanup_free char *secret_env = env_entry("INTERNAL_SECRET");
    cleanup_free char *hosts_line = NULL;
    if (host != NULL && asprintf(&hosts_line, VM_NET_GATEWAY " internal.%s", host) < 0)
        return fail(VM_EXIT_START, "out of memory");
    char *env[4] = {GUEST_PATH, NULL, NULL, NULL};
    size_t n = 1;
    if (host_env)
        env[n++] = host_env;
    if (secret_env)
        env[n++] = secret_env;
    char *hosts[2] = {hosts_line, NULL};
    char *app_argv[2] = {APP_PATH, NULL};

    spec.rootfs = root;
    spec.argv = app_argv;
    spec.env = env;
    spec.hosts = hosts;
    spec.ports = &port;
    spec.n_ports = 1;
    spec.network = true;

    cleanup_err hull_err *err = NULL;
    if (vm_rootfs_check_program(root, APP_PATH, &err) < 0)
        return fail(err->exit_code, "%s", err->msg);
    int code = 0;
    struct vm_times t = {0};
    const char *accel = "?";
    int r = vm_run(&spec, &code, &t, &accel, &err);
    if (timings && t.spawned > 0)
        fprintf(stderr,
                "krunclient: accel=%s started=%.3f exited=%.3f stopped=%.3f "
                "qemu_cpu_at_start=%.2f guest_ms: %s\n",
                accel, t.started ? t.started - t.spawned : -1.0,
                t.exited ? t.exited - t.spawned : -1.0, t.stopped ? t.stopped - t.spawned : -1.0,
                t.qemu_cpu_started, t.guest[0] ? t.guest : "-");
    if (r < 0)
        return fail(err->exit_code ? err->exit_code : VM_EXIT_START, "%s", err->msg);
    return code;
}
