/* Capabilities: libcap for names, raw capset/prctl for application (no allocation between
 * setuid and exec). */
#include "linux/capabilities.h"

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

int capabilities_last_cap(void)
{
    static int last = -1;
    if (last < 0) {
        last = (int)cap_max_bits() - 1;
        if (last < 0 || last > 63)
            last = CAP_LAST_CAP;
    }
    return last;
}

bool capabilities_in_bounding_set(int cap)
{
    return prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) == 1;
}

const char *capability_name(int cap)
{
    static char names[64][32];
    if (cap < 0 || cap > 63)
        return "CAP_?";
    if (names[cap][0] == '\0') {
        char *n = cap_to_name((cap_value_t)cap);
        snprintf(names[cap], sizeof names[cap], "%s", n ? n : "?");
        cap_free(n);
        for (char *p = names[cap]; *p; p++)
            *p = (char)toupper((unsigned char)*p);
    }
    return names[cap];
}

static int resolve_list(char **names, const char *field, const char *set, uint64_t *mask,
                        hull_err **err)
{
    *mask = 0;
    int last = capabilities_last_cap();
    for (char **n = names; n && *n; n++) {
        const char *name = *n;
        cap_value_t v;
        if (strncasecmp(name, "CAP_", 4) != 0 || cap_from_name(name, &v) < 0) {
            /* A name libcap does not know at all is most likely a typo or a newer capability:
             * runc warns and skips it; so do we. */
            hull_warn("%s.%s: unknown capability `%s` ignored", field, set, name);
            continue;
        }
        if ((int)v > last) {
            hull_warn("%s.%s: capability `%s` is not supported by this kernel; ignored", field, set,
                      name);
            continue;
        }
        *mask |= 1ULL << v;
    }
    (void)err;
    return 0;
}

int capabilities_resolve(const struct hull_process *p, const char *field, struct cap_sets *out,
                         hull_err **err)
{
    memset(out, 0, sizeof(*out));
    if (!p->has_capabilities)
        return 0;
    out->present = true;
    if (resolve_list(p->caps.bounding, field, "bounding", &out->bounding, err) < 0 ||
        resolve_list(p->caps.effective, field, "effective", &out->effective, err) < 0 ||
        resolve_list(p->caps.permitted, field, "permitted", &out->permitted, err) < 0 ||
        resolve_list(p->caps.inheritable, field, "inheritable", &out->inheritable, err) < 0 ||
        resolve_list(p->caps.ambient, field, "ambient", &out->ambient, err) < 0)
        return -1;
    /* The kernel would refuse ambient capabilities that are not permitted and inheritable;
     * say which ones instead of failing at exec time with a bare EPERM. One line for all of
     * them: `crun spec` puts its three capabilities in ambient and none in inheritable. */
    uint64_t bad = out->ambient & ~(out->permitted & out->inheritable);
    if (bad == 0)
        return 0;
    out->ambient &= ~bad;
    char names[64 * 32];
    size_t used = 0;
    int count = 0;
    for (int c = 0; c < 64; c++)
        if (bad & (1ULL << c)) {
            int n = snprintf(names + used, sizeof names - used, "%s%s", count ? ", " : "",
                             capability_name(c));
            if (n > 0 && (size_t)n < sizeof names - used)
                used += (size_t)n;
            count++;
        }
    hull_warn("%s.ambient: %s %s not in both permitted and inheritable; ignored", field, names,
              count == 1 ? "is" : "are");
    return 0;
}

int capabilities_prepare_identity_change(const struct cap_sets *s, hull_err **err)
{
    if (!s->present)
        return 0;
    int last = capabilities_last_cap();
    for (int c = 0; c <= last; c++) {
        if (s->bounding & (1ULL << c))
            continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return hull_error(err, errno, "process.capabilities.bounding: drop %s",
                              capability_name(c));
    }
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return hull_error(err, errno, "prctl(PR_SET_KEEPCAPS)");
    return 0;
}

int capabilities_apply(const struct cap_sets *s, hull_err **err)
{
    if (!s->present)
        return 0;
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2] = {{0}};
    data[0].effective = (uint32_t)s->effective;
    data[1].effective = (uint32_t)(s->effective >> 32);
    data[0].permitted = (uint32_t)s->permitted;
    data[1].permitted = (uint32_t)(s->permitted >> 32);
    data[0].inheritable = (uint32_t)s->inheritable;
    data[1].inheritable = (uint32_t)(s->inheritable >> 32);
    if (syscall(SYS_capset, &hdr, data) < 0)
        return hull_error(err, errno, "process.capabilities: capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return hull_error(err, errno, "process.capabilities.ambient: clear");
    for (int c = 0; c < 64; c++)
        if ((s->ambient & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
            return hull_error(err, errno, "process.capabilities.ambient: raise %s",
                              capability_name(c));
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return hull_error(err, errno, "prctl(PR_SET_KEEPCAPS, 0)");
    return 0;
}
