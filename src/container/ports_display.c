/* docker's PORTS column (ports_display.h). */
#include "container/ports_display.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct port_row {
    unsigned priv, pub; /* pub 0: exposed, not published */
    char ip[46];
    char proto[8];
};

static int row_order(const void *a, const void *b)
{
    const struct port_row *x = a, *y = b;
    if (x->priv != y->priv)
        return x->priv < y->priv ? -1 : 1;
    int c = strcmp(x->ip, y->ip);
    if (c)
        return c;
    if (x->pub != y->pub)
        return x->pub < y->pub ? -1 : 1;
    return strcmp(x->proto, y->proto);
}

/* `IP:PORT` with an IPv6 address in brackets; "" when there is no address. */
static void host_part(FILE *f, const char *ip, const char *ports)
{
    if (*ip == '\0')
        return;
    fprintf(f, strchr(ip, ':') ? "[%s]:%s->" : "%s:%s->", ip, ports);
}

/* A run of consecutive ports on one address and protocol. */
struct port_group {
    char ip[46];
    char proto[8];
    unsigned first, last;
};

static void put_group(FILE *f, bool *sep, const struct port_group *g)
{
    char range[16];
    if (g->first == g->last)
        snprintf(range, sizeof range, "%u", g->first);
    else
        snprintf(range, sizeof range, "%u-%u", g->first, g->last);
    fputs(*sep ? ", " : "", f);
    host_part(f, g->ip, range);
    fprintf(f, "%s/%s", range, g->proto);
    *sep = true;
}

static size_t collect(json_t *ports, struct port_row **out)
{
    size_t n = 0, cap = 0;
    struct port_row *rows = NULL;
    const char *key;
    json_t *list;
    json_object_foreach(ports, key, list)
    {
        struct port_row r = {0};
        if (sscanf(key, "%u/%7s", &r.priv, r.proto) != 2)
            continue;
        size_t count = json_is_array(list) ? json_array_size(list) : 0;
        for (size_t i = 0; i == 0 || i < count; i++) {
            json_t *b = json_array_get(list, i);
            const char *ip = json_string_value(json_object_get(b, "HostIp"));
            const char *hp = json_string_value(json_object_get(b, "HostPort"));
            r.pub = b && hp ? (unsigned)strtoul(hp, NULL, 10) : 0;
            snprintf(r.ip, sizeof r.ip, "%s", r.pub && ip && *ip ? ip : r.pub ? "0.0.0.0" : "");
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                rows = realloc(rows, cap * sizeof *rows);
                if (rows == NULL)
                    abort();
            }
            rows[n++] = r;
        }
    }
    *out = rows;
    return n;
}

char *container_ports_display(json_t *ports)
{
    struct port_row *rows = NULL;
    size_t n = collect(ports, &rows);
    if (n > 1)
        qsort(rows, n, sizeof *rows, row_order);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (f == NULL)
        abort();
    /* Open groups in the order their address and protocol first appear. */
    struct port_group *groups = calloc(n ? n : 1, sizeof *groups);
    if (groups == NULL)
        abort();
    size_t ng = 0;
    bool sep = false;
    for (size_t i = 0; i < n; i++) {
        const struct port_row *r = &rows[i];
        if (r->pub != 0 && r->pub != r->priv)
            continue; /* a mapping to another number: listed after the groups */
        const char *ip = r->pub ? r->ip : "";
        size_t g = 0;
        while (g < ng && (strcmp(groups[g].ip, ip) || strcmp(groups[g].proto, r->proto)))
            g++;
        if (g == ng) {
            snprintf(groups[g].ip, sizeof groups[g].ip, "%s", ip);
            snprintf(groups[g].proto, sizeof groups[g].proto, "%s", r->proto);
            groups[g].first = groups[g].last = r->priv;
            ng++;
        } else if (r->priv == groups[g].last + 1) {
            groups[g].last = r->priv;
        } else if (r->priv != groups[g].last) {
            put_group(f, &sep, &groups[g]);
            groups[g].first = groups[g].last = r->priv;
        }
    }
    for (size_t g = 0; g < ng; g++)
        put_group(f, &sep, &groups[g]);
    for (size_t i = 0; i < n; i++) {
        const struct port_row *r = &rows[i];
        if (r->pub == 0 || r->pub == r->priv)
            continue;
        char pub[12];
        snprintf(pub, sizeof pub, "%u", r->pub);
        fputs(sep ? ", " : "", f);
        host_part(f, r->ip, pub);
        fprintf(f, "%u/%s", r->priv, r->proto);
        sep = true;
    }
    free(groups);
    free(rows);
    fclose(f);
    return buf;
}
