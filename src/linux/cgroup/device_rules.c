/* Device rules: the kernel's v1 device-controller semantics computed in user space (see
 * internal.h), shared by the v1 writer and the BPF program generator. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linux/cgroup/internal.h"
#include "oci/spec_default.h"

#define ACCESS_ALL (HULL_DEV_READ | HULL_DEV_WRITE | HULL_DEV_MKNOD)

void cgroup_device_policy_clear(struct cgroup_device_policy *p)
{
    free(p->exceptions);
    memset(p, 0, sizeof(*p));
}

static bool is_everything(const struct hull_device_rule *r)
{
    return r->type == 'a' && r->major == -1 && r->minor == -1 && r->access == ACCESS_ALL;
}

/* Add or merge an exception (same type, major and minor: access bits are or'ed). */
static void add_exception(struct cgroup_device_policy *p, const struct hull_device_rule *r)
{
    for (size_t i = 0; i < p->n; i++) {
        struct hull_device_rule *e = &p->exceptions[i];
        if (e->type == r->type && e->major == r->major && e->minor == r->minor) {
            e->access |= r->access;
            return;
        }
    }
    p->exceptions[p->n] = *r;
    p->exceptions[p->n].allow = !p->default_allow;
    p->n++;
}

/* Remove access bits from the identical exception, dropping it when none are left. */
static void remove_exception(struct cgroup_device_policy *p, const struct hull_device_rule *r)
{
    for (size_t i = 0; i < p->n; i++) {
        struct hull_device_rule *e = &p->exceptions[i];
        if (e->type != r->type || e->major != r->major || e->minor != r->minor)
            continue;
        e->access &= ~r->access;
        if (e->access == 0) {
            memmove(e, e + 1, (p->n - i - 1) * sizeof(*e));
            p->n--;
        }
        return;
    }
}

int cgroup_devices_compute(const struct hull_device_rule *rules, size_t n,
                           struct cgroup_device_policy *out, hull_err **err)
{
    memset(out, 0, sizeof(*out));
    out->default_allow = true;
    /* A type 'a' rule that is not "everything" stands for both a 'c' and a 'b' rule. */
    out->exceptions = calloc(2 * n + 1, sizeof(*out->exceptions));
    if (out->exceptions == NULL)
        return hull_error(err, ENOMEM, "device rules");
    for (size_t i = 0; i < n; i++) {
        const struct hull_device_rule *r = &rules[i];
        if (r->access == 0)
            continue;
        if (is_everything(r)) {
            out->default_allow = r->allow;
            out->n = 0;
            continue;
        }
        struct hull_device_rule split[2] = {*r, *r};
        size_t n_split = 1;
        if (r->type == 'a') {
            split[0].type = 'c';
            split[1].type = 'b';
            n_split = 2;
        }
        for (size_t k = 0; k < n_split; k++) {
            if (r->allow == out->default_allow)
                remove_exception(out, &split[k]);
            else
                add_exception(out, &split[k]);
        }
    }
    return 0;
}

static bool matches(const struct hull_device_rule *e, char type, int64_t major, int64_t minor)
{
    return e->type == type && (e->major == -1 || e->major == major) &&
           (e->minor == -1 || e->minor == minor);
}

bool cgroup_devices_allows(const struct cgroup_device_policy *p, char type, int64_t major,
                           int64_t minor, unsigned access)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct hull_device_rule *e = &p->exceptions[i];
        if (!matches(e, type, major, minor))
            continue;
        /* As the kernel: a default-deny exception must grant every requested bit; under
         * default-allow any requested bit an exception names denies. */
        if (!p->default_allow && (access & ~e->access) == 0)
            return true;
        if (p->default_allow && (access & e->access) != 0)
            return false;
    }
    return p->default_allow;
}

int cgroup_devices_with_defaults(const struct hull_resources *r, struct hull_device_rule **out,
                                 size_t *n, hull_err **err)
{
    size_t nd = spec_default_n_device_rules;
    struct hull_device_rule *all = calloc(r->n_devices + nd, sizeof(*all));
    if (all == NULL)
        return hull_error(err, ENOMEM, "device rules");
    if (r->n_devices)
        memcpy(all, r->devices, r->n_devices * sizeof(*all));
    memcpy(all + r->n_devices, spec_default_device_rules, nd * sizeof(*all));
    *out = all;
    *n = r->n_devices + nd;
    return 0;
}

bool cgroup_devices_is_default(const struct cgroup_device_policy *p)
{
    struct hull_device_rule all[1 + 64] = {
        {.allow = false,
         .type = 'a',
         .major = -1,
         .minor = -1,
         .access = HULL_DEV_READ | HULL_DEV_WRITE | HULL_DEV_MKNOD}};
    size_t nd = spec_default_n_device_rules;
    if (nd > 64)
        return false;
    memcpy(all + 1, spec_default_device_rules, nd * sizeof(*all));
    struct cgroup_device_policy def;
    hull_err *e = NULL;
    if (cgroup_devices_compute(all, 1 + nd, &def, &e) < 0) {
        hull_err_free(e);
        return false;
    }
    bool same = def.default_allow == p->default_allow && def.n == p->n;
    for (size_t i = 0; same && i < def.n; i++) {
        const struct hull_device_rule *a = &def.exceptions[i], *b = &p->exceptions[i];
        same = a->allow == b->allow && a->type == b->type && a->major == b->major &&
               a->minor == b->minor && a->access == b->access;
    }
    cgroup_device_policy_clear(&def);
    return same;
}
