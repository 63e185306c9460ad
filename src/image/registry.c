/* Distribution API v2 client. One easy handle per request keeps threads independent; the only
 * shared state is the bearer token, behind a mutex. */
#include "image/registry.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "image/auth.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define MAX_DOCUMENT (4u << 20)
#define USER_AGENT   "hull/" HULL_VERSION

struct registry_source {
    image_source base;
    char *host;     /* "127.0.0.1:5000", "registry-1.docker.io" */
    char *registry; /* the reference's domain, key for credentials */
    char *path;
    char *tag;
    char *digest;
    char *base_url; /* "https://host" or "http://host"; NULL until the first request */
    int insecure;
    image_store *store;          /* where the scheme of each host is remembered (NULL: nowhere) */
    bool remembered;             /* base_url came from that memory, not from a ping this time */
    pthread_mutex_t ready_mutex; /* the first request of any thread chooses the scheme */
    CURLSH *share;               /* one connection pool and DNS cache for every request */
    pthread_mutex_t share_mutex[CURL_LOCK_DATA_LAST];
    char *user, *password;
    pthread_mutex_t mutex;
    char *bearer;
    /* From the last 401 challenge. */
    char *scheme, *realm, *service, *scope;
};

/* A request body (push): bytes in memory or a range of a file, re-read on every attempt. */
struct upload {
    const struct registry_request *req;
    int64_t sent;
    uint64_t progress_base, progress_total;
};

/* Where the response body goes: a bounded buffer or a blob writer. */
struct response {
    long status;
    char *content_type;
    char *www_authenticate;
    char *location;       /* uploads: where the session continues */
    char *content_digest; /* Docker-Content-Digest */
    char *buf;
    size_t len, cap, limit;
    blob_writer *blob;
    hull_err *write_err;
    const struct image_progress *progress;
    const char *digest;
    struct upload *upload; /* the request body, for push */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void response_reset(struct response *r)
{
    r->status = 0;
    free(r->content_type);
    free(r->www_authenticate);
    free(r->location);
    free(r->content_digest);
    free(r->buf);
    r->content_type = r->www_authenticate = r->buf = r->location = r->content_digest = NULL;
    r->len = r->cap = 0;
}

static int is_success(long status)
{
    return status >= 200 && status < 300;
}

static int append_buf(struct response *r, const char *data, size_t len, size_t limit)
{
    if (r->len + len > limit)
        return -1;
    if (r->len + len + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + len + 1)
            cap *= 2;
        char *nb = realloc(r->buf, cap);
        if (nb == NULL)
            return -1;
        r->buf = nb;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, data, len);
    r->len += len;
    r->buf[r->len] = '\0';
    return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *opaque)
{
    struct response *r = opaque;
    size_t len = size * nmemb;
    if (r->blob != NULL && is_success(r->status)) {
        if (blob_writer_write(r->blob, data, len, &r->write_err) < 0)
            return 0;
        return len;
    }
    /* Documents and error bodies; error bodies are only kept for their message. */
    size_t limit = is_success(r->status) ? r->limit : 16384;
    if (append_buf(r, data, len, limit) < 0)
        return is_success(r->status) ? 0 : len;
    return len;
}

static char *header_value(const char *line, size_t len, const char *name)
{
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return NULL;
    const char *v = line + nl + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    return strndup(v, (size_t)(end - v));
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *opaque)
{
    struct response *r = opaque;
    size_t len = size * nmemb;
    char *v;
    if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a redirect or 100-continue): start over. */
        const char *sp = memchr(line, ' ', len);
        r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        free(r->content_type);
        free(r->www_authenticate);
        free(r->location);
        free(r->content_digest);
        r->content_type = r->www_authenticate = r->location = r->content_digest = NULL;
        r->len = 0;
    } else if ((v = header_value(line, len, "Location")) != NULL) {
        free(r->location);
        r->location = v;
    } else if ((v = header_value(line, len, "Docker-Content-Digest")) != NULL) {
        free(r->content_digest);
        r->content_digest = v;
    } else if ((v = header_value(line, len, "Content-Type")) != NULL) {
        free(r->content_type);
        r->content_type = v;
    } else if ((v = header_value(line, len, "WWW-Authenticate")) != NULL) {
        free(r->www_authenticate);
        r->www_authenticate = v;
    }
    return len;
}

static int on_progress(void *opaque, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)ultotal;
    struct response *r = opaque;
    if (r->progress && r->digest && dlnow > 0)
        image_progress_emit(r->progress, IMAGE_PROGRESS_BYTES, r->digest, (uint64_t)dlnow,
                            (uint64_t)dltotal);
    if (r->progress && r->digest && r->upload && ulnow > 0)
        image_progress_emit(r->progress, IMAGE_PROGRESS_BYTES, r->digest,
                            r->upload->progress_base + (uint64_t)ulnow, r->upload->progress_total);
    return 0;
}

static int host_is_local(const char *host)
{
    size_t n;
    if (host[0] == '[')
        n = strcspn(host, "]") + 1;
    else
        n = strcspn(host, ":");
    return (n == 9 && strncmp(host, "localhost", 9) == 0) ||
           (n == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
           (n == 5 && strncmp(host, "[::1]", 5) == 0);
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *opaque)
{
    struct upload *u = opaque;
    const struct registry_request *req = u->req;
    int64_t left = req->body_size - u->sent;
    size_t want = size * nmemb;
    if (left <= 0)
        return 0;
    if ((int64_t)want > left)
        want = (size_t)left;
    if (req->body_fd < 0) {
        memcpy(buf, (const char *)req->body + u->sent, want);
    } else {
        ssize_t n = pread(req->body_fd, buf, want, (off_t)(req->body_offset + u->sent));
        if (n <= 0)
            return CURL_READFUNC_ABORT;
        want = (size_t)n;
    }
    u->sent += (int64_t)want;
    return want;
}

/* One HTTP request: a GET unless `req` says otherwise. `auth` is a full "Authorization: ..."
 * header or NULL. */
static CURLcode http_request(const struct registry_source *src, const char *url,
                             const struct registry_request *req, const char *accept,
                             const char *auth, struct response *r, char *errbuf)
{
    int insecure = src->insecure;
    CURL *c = curl_easy_init();
    if (c == NULL)
        return CURLE_OUT_OF_MEMORY;
    struct curl_slist *headers = NULL;
    char header[512];
    if (accept != NULL) {
        snprintf(header, sizeof(header), "Accept: %s", accept);
        headers = curl_slist_append(headers, header);
    }
    if (auth != NULL)
        headers = curl_slist_append(headers, auth);
    const char *method = req ? req->method : "GET";
    struct upload upload = {.req = req};
    if (req && req->content_type) {
        snprintf(header, sizeof(header), "Content-Type: %s", req->content_type);
        headers = curl_slist_append(headers, header);
    }
    if (req && req->content_range) {
        snprintf(header, sizeof(header), "Content-Range: %s", req->content_range);
        headers = curl_slist_append(headers, header);
    }
    if (req)
        headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
    /* Only reads follow redirects: an upload's Location is where the session continues. */
    bool read_only = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, read_only ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    /* Abort transfers stalled below 1 byte/s for 60 s rather than hang forever. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    /* Keep-alive across requests (and threads): a pull is a handful of small requests to one
     * host, each would otherwise pay a connection (and TLS handshake). */
    if (src->share != NULL)
        curl_easy_setopt(c, CURLOPT_SHARE, src->share);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    } else if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &upload);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_size);
        if (strcmp(method, "PATCH") == 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
        upload.progress_base = req->progress_base;
        upload.progress_total = req->progress_total;
        r->upload = &upload;
    }
    if (r->progress != NULL) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    if (insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    errbuf[0] = '\0';
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        r->status = code;
    }
    r->upload = NULL;
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return rc;
}

static CURLcode http_get(const struct registry_source *src, const char *url, const char *accept,
                         const char *auth, struct response *r, char *errbuf)
{
    return http_request(src, url, NULL, accept, auth, r, errbuf);
}

static int curl_failure(struct response *r, CURLcode rc, const char *errbuf, const char *host,
                        hull_err **err)
{
    if (r->write_err != NULL) {
        if (err) {
            hull_err_free(*err);
            *err = steal_pointer(&r->write_err);
        }
        return -1;
    }
    if (rc == CURLE_WRITE_ERROR && is_success(r->status))
        return hull_error(err, EFBIG, "registry `%s` sent a document larger than %u bytes", host,
                          MAX_DOCUMENT);
    return hull_error(err, 0, "registry `%s` unreachable: %s", host,
                      errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

/* ---- auth ---- */

/* Parse `Bearer realm="...",service="...",scope="..."`. */
static void parse_challenge(struct registry_source *src, const char *header)
{
    free(src->scheme);
    free(src->realm);
    free(src->service);
    free(src->scope);
    src->scheme = src->realm = src->service = src->scope = NULL;
    const char *p = header;
    size_t n = strcspn(p, " ");
    src->scheme = strndup(p, n);
    p += n;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *eq = strchr(p, '=');
        if (eq == NULL)
            break;
        cleanup_free char *key = strndup(p, (size_t)(eq - p));
        p = eq + 1;
        char *value;
        if (*p == '"') {
            p++;
            const char *end = strchr(p, '"');
            if (end == NULL)
                break;
            value = strndup(p, (size_t)(end - p));
            p = end + 1;
        } else {
            size_t vl = strcspn(p, ",");
            value = strndup(p, vl);
            p += vl;
        }
        char **slot = strcasecmp(key, "realm") == 0     ? &src->realm
                      : strcasecmp(key, "service") == 0 ? &src->service
                      : strcasecmp(key, "scope") == 0   ? &src->scope
                                                        : NULL;
        if (slot) {
            free(*slot);
            *slot = value;
        } else {
            free(value);
        }
    }
}

static char *basic_header(const char *user, const char *password)
{
    cleanup_free char *plain = NULL;
    if (asprintf(&plain, "%s:%s", user, password) < 0)
        abort();
    cleanup_free char *enc = base64_encode(plain, strlen(plain));
    char *h = NULL;
    if (asprintf(&h, "Authorization: Basic %s", enc) < 0)
        abort();
    return h;
}

static char *url_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *copy = strdup(e ? e : "");
    curl_free(e);
    return copy;
}

/* Get a bearer token from the challenge's realm. Caller holds src->mutex. */
static int fetch_token(struct registry_source *src, hull_err **err)
{
    if (src->realm == NULL)
        return hull_error(err, 0, "registry `%s` asked for a token without a realm", src->host);
    if (strncmp(src->realm, "https://", 8) != 0 &&
        !(strncmp(src->realm, "http://", 7) == 0 &&
          (src->insecure || host_is_local(src->realm + 7))))
        return hull_error(err, 0, "registry `%s`: refusing token realm `%s` (not HTTPS)", src->host,
                          src->realm);
    cleanup_free char *default_scope = NULL;
    if (asprintf(&default_scope, "repository:%s:pull", src->path) < 0)
        abort();
    cleanup_free char *service = url_escape(src->service ? src->service : "");
    cleanup_free char *scope = url_escape(src->scope ? src->scope : default_scope);
    cleanup_free char *url = NULL;
    if (asprintf(&url, "%s%sservice=%s&scope=%s", src->realm, strchr(src->realm, '?') ? "&" : "?",
                 service, scope) < 0)
        abort();
    cleanup_free char *auth = src->user ? basic_header(src->user, src->password) : NULL;
    struct response r = {.limit = 1 << 20};
    char errbuf[CURL_ERROR_SIZE];
    CURLcode rc = http_get(src, url, "application/json", auth, &r, errbuf);
    int ret = 0;
    if (rc != CURLE_OK) {
        ret = curl_failure(&r, rc, errbuf, src->realm, err);
    } else if (r.status == 401 || r.status == 403) {
        ret = hull_error(err, 0, "registry `%s`: token server refused the credentials (HTTP %ld)",
                         src->host, r.status);
    } else if (!is_success(r.status)) {
        ret = hull_error(err, 0, "registry `%s`: token server returned HTTP %ld", src->host,
                         r.status);
    } else {
        json_auto_t *j = json_loads(r.buf ? r.buf : "", 0, NULL);
        const char *token = json_string_value(json_object_get(j, "token"));
        if (token == NULL)
            token = json_string_value(json_object_get(j, "access_token"));
        if (token == NULL) {
            ret = hull_error(err, 0, "registry `%s`: token server sent no token", src->host);
        } else {
            free(src->bearer);
            if (asprintf(&src->bearer, "Authorization: Bearer %s", token) < 0)
                abort();
        }
    }
    response_reset(&r);
    return ret;
}

/* The Authorization header to send now (malloc'd or NULL). */
static char *current_auth(struct registry_source *src)
{
    pthread_mutex_lock(&src->mutex);
    char *h = NULL;
    if (src->bearer)
        h = strdup(src->bearer);
    else if (src->scheme && strcasecmp(src->scheme, "Basic") == 0 && src->user)
        h = basic_header(src->user, src->password);
    pthread_mutex_unlock(&src->mutex);
    return h;
}

/* After a 401: answer the challenge. Returns 0 when a retry makes sense. */
static int authenticate(struct registry_source *src, const char *challenge, const char *used,
                        hull_err **err)
{
    pthread_mutex_lock(&src->mutex);
    int ret = 0;
    /* Another thread may have refreshed the token meanwhile. */
    if (src->bearer && (used == NULL || strcmp(used, src->bearer) != 0))
        goto out;
    if (challenge != NULL)
        parse_challenge(src, challenge);
    if (src->scheme && strcasecmp(src->scheme, "Bearer") == 0) {
        ret = fetch_token(src, err);
    } else if (src->scheme && strcasecmp(src->scheme, "Basic") == 0 && src->user && used == NULL) {
        ret = 0;
    } else {
        ret = hull_error(err, 0, "registry `%s`: authentication required%s", src->host,
                         src->user ? "" : " (use `hull login`)");
    }
out:
    pthread_mutex_unlock(&src->mutex);
    return ret;
}

/* ---- requests ---- */

static void registry_message(struct response *r, char *out, size_t size)
{
    out[0] = '\0';
    json_auto_t *j = r->buf ? json_loads(r->buf, 0, NULL) : NULL;
    json_t *e = json_array_get(json_object_get(j, "errors"), 0);
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (code || msg)
        snprintf(out, size, " (%s%s%s)", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
}

static int http_failure(struct registry_source *src, struct response *r, const char *what,
                        hull_err **err)
{
    char msg[512];
    registry_message(r, msg, sizeof(msg));
    switch (r->status) {
    case 401:
        return hull_error(err, 0, "registry `%s`: unauthorized for %s%s", src->host, what, msg);
    case 403:
        return hull_error(err, 0, "registry `%s`: access to %s denied%s", src->host, what, msg);
    case 404:
        return hull_error(err, 0, "registry `%s`: %s not found%s", src->host, what, msg);
    case 429:
        return hull_error(err, 0, "registry `%s`: too many requests%s", src->host, msg);
    default:
        return hull_error(err, 0, "registry `%s`: HTTP %ld for %s%s", src->host, r->status, what,
                          msg);
    }
}

static int ensure_ready(struct registry_source *src, hull_err **err);
static bool stale_scheme(struct registry_source *src, CURLcode rc, long status, hull_err **err,
                         int *failed);

/* base_url + path, read under the lock that a re-chosen scheme is written under. */
static char *request_url(struct registry_source *src, const char *path)
{
    char *url = NULL;
    pthread_mutex_lock(&src->ready_mutex);
    int n = asprintf(&url, "%s%s", src->base_url, path);
    pthread_mutex_unlock(&src->ready_mutex);
    if (n < 0)
        abort();
    return url;
}

/* GET base_url + path with auth, retrying once after answering a 401 challenge (and once with a
 * freshly chosen scheme when the remembered one no longer works). */
static int registry_get(struct registry_source *src, const char *path, const char *accept,
                        const char *what, struct response *r, hull_err **err)
{
    if (ensure_ready(src, err) < 0)
        return -1;
    for (int attempt = 0;; attempt++) {
        cleanup_free char *url = request_url(src, path);
        cleanup_free char *auth = current_auth(src);
        char errbuf[CURL_ERROR_SIZE];
        CURLcode rc = http_get(src, url, accept, auth, r, errbuf);
        int failed = 0;
        if (stale_scheme(src, rc, r->status, err, &failed)) {
            response_reset(r);
            if (failed)
                return -1;
            attempt--;
            continue;
        }
        if (rc != CURLE_OK)
            return curl_failure(r, rc, errbuf, src->host, err);
        if (r->status == 401 && attempt == 0) {
            if (authenticate(src, r->www_authenticate, auth, err) < 0)
                return -1;
            response_reset(r);
            continue;
        }
        if (!is_success(r->status))
            return http_failure(src, r, what, err);
        return 0;
    }
}

/* Where an upload's Location points: absolute URLs as they are, paths under the base URL. */
static char *absolute_url(struct registry_source *src, const char *location)
{
    if (strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0) {
        char *url = strdup(location);
        if (url == NULL)
            abort();
        return url;
    }
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s%s", location[0] == '/' ? "" : "/", location) < 0)
        abort();
    return request_url(src, path);
}

int registry_send(image_source *base, const struct registry_request *req,
                  struct registry_reply *reply, hull_err **err)
{
    struct registry_source *src = (struct registry_source *)base;
    *reply = (struct registry_reply){0};
    if (ensure_ready(src, err) < 0)
        return -1;
    for (int attempt = 0;; attempt++) {
        cleanup_free char *url = absolute_url(src, req->url);
        struct response r = {.limit = 16384, .progress = req->progress, .digest = req->digest};
        cleanup_free char *auth = current_auth(src);
        char errbuf[CURL_ERROR_SIZE];
        CURLcode rc = http_request(src, url, req, req->accept, auth, &r, errbuf);
        int ret = 0, failed = 0;
        if (stale_scheme(src, rc, r.status, err, &failed)) {
            response_reset(&r);
            if (failed)
                return -1;
            attempt--;
            continue;
        }
        if (rc != CURLE_OK) {
            ret = curl_failure(&r, rc, errbuf, src->host, err);
        } else if (r.status == 401 && attempt == 0) {
            ret = authenticate(src, r.www_authenticate, auth, err);
            response_reset(&r);
            if (ret == 0)
                continue;
        } else if (!is_success(r.status) && !(req->missing_ok && r.status == 404)) {
            ret = http_failure(src, &r, req->what, err);
        } else {
            reply->status = r.status;
            reply->location = r.location ? absolute_url(src, r.location) : NULL;
            reply->digest = steal_pointer(&r.content_digest);
        }
        response_reset(&r);
        return ret;
    }
}

void registry_reply_clear(struct registry_reply *reply)
{
    free(reply->location);
    free(reply->digest);
    *reply = (struct registry_reply){0};
}

const char *registry_source_repository(image_source *base)
{
    return ((struct registry_source *)base)->path;
}

const char *registry_source_host(image_source *base)
{
    return ((struct registry_source *)base)->host;
}

static int reg_get_manifest(image_source *base, const char *digest, char **data, size_t *len,
                            char **media_type, hull_err **err)
{
    struct registry_source *src = (struct registry_source *)base;
    const char *want = digest ? digest : src->digest ? src->digest : src->tag;
    cleanup_free char *path = NULL;
    cleanup_free char *what = NULL;
    if (asprintf(&path, "/v2/%s/manifests/%s", src->path, want) < 0 ||
        asprintf(&what, "manifest `%s/%s%s%s`", src->registry, src->path,
                 strchr(want, ':') ? "@" : ":", want) < 0)
        abort();
    struct response r = {.limit = MAX_DOCUMENT};
    if (registry_get(src, path, MANIFEST_ACCEPT, what, &r, err) < 0) {
        response_reset(&r);
        return -1;
    }
    if (strchr(want, ':') != NULL) {
        char actual[DIGEST_STR_LEN];
        digest_of_buffer(r.buf ? r.buf : "", r.len, actual);
        if (strcmp(actual, want) != 0) {
            response_reset(&r);
            return hull_error(err, 0, "%s: digest mismatch: expected %s, got %s", what, want,
                              actual);
        }
    }
    *data = r.buf ? r.buf : strdup("");
    *len = r.len;
    *media_type = r.content_type;
    r.buf = r.content_type = NULL;
    response_reset(&r);
    return 0;
}

static int reg_fetch_blob(image_source *base, image_store *s, const image_descriptor *d,
                          hull_err **err)
{
    struct registry_source *src = (struct registry_source *)base;
    cleanup_free char *path = NULL;
    cleanup_free char *what = NULL;
    if (asprintf(&path, "/v2/%s/blobs/%s", src->path, d->digest) < 0 ||
        asprintf(&what, "blob %s", d->digest) < 0)
        abort();
    for (int attempt = 0;; attempt++) {
        struct response r = {.limit = 16384, .progress = src->base.progress, .digest = d->digest};
        if (blob_writer_begin(s, &r.blob, err) < 0)
            return -1;
        int ret = registry_get(src, path, NULL, what, &r, err);
        blob_writer *w = r.blob;
        r.blob = NULL;
        response_reset(&r);
        hull_err_free(r.write_err);
        if (ret < 0) {
            blob_writer_abort(w);
            return -1;
        }
        /* A 401 retry inside registry_get may have written nothing twice; sizes are checked. */
        (void)attempt;
        return blob_writer_commit(w, d->digest, d->size, NULL, err);
    }
}

static void reg_destroy(image_source *base)
{
    struct registry_source *src = (struct registry_source *)base;
    free(src->host);
    free(src->registry);
    free(src->path);
    free(src->tag);
    free(src->digest);
    free(src->base_url);
    free(src->user);
    if (src->password)
        explicit_bzero(src->password, strlen(src->password));
    free(src->password);
    free(src->bearer);
    free(src->scheme);
    free(src->realm);
    free(src->service);
    free(src->scope);
    if (src->share != NULL)
        curl_share_cleanup(src->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&src->share_mutex[i]);
    pthread_mutex_destroy(&src->ready_mutex);
    pthread_mutex_destroy(&src->mutex);
    free(src);
}

static const struct image_source_ops registry_ops = {
    .get_manifest = reg_get_manifest,
    .fetch_blob = reg_fetch_blob,
    .destroy = reg_destroy,
};

/* ---- the scheme of each host, remembered in the store ----
 *
 * Choosing between HTTPS and HTTP costs a request (a refused TLS handshake, then GET /v2/ in
 * plain HTTP, for a local registry): images/registries/HOST says which one answered last time,
 * and the first request goes straight there. Plain HTTP is still only used where it is allowed
 * (local hosts, --insecure); a remembered scheme that fails to connect or gets HTTP 400 (plain
 * HTTP to a TLS port) is chosen afresh. A cache: written atomically, not durably. */

#define SCHEMES_DIR "registries"

static bool host_file_name_ok(const char *host)
{
    return host[0] != '\0' && host[0] != '.' && strchr(host, '/') == NULL && strlen(host) < 256;
}

static bool recall_scheme(struct registry_source *src)
{
    if (src->store == NULL || !host_file_name_ok(src->host))
        return false;
    cleanup_close int dirfd =
        openat(src->store->dirfd, SCHEMES_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0)
        return false;
    cleanup_close int fd = openat(dirfd, src->host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char buf[8];
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    bool http = strcmp(buf, "http") == 0;
    if (!http && strcmp(buf, "https") != 0)
        return false;
    if (http && !(src->insecure || host_is_local(src->host)))
        return false;
    free(src->base_url);
    if (asprintf(&src->base_url, "%s://%s", buf, src->host) < 0)
        abort();
    src->remembered = true;
    return true;
}

static void remember_scheme(struct registry_source *src)
{
    if (src->store == NULL || !host_file_name_ok(src->host))
        return;
    const char *scheme = strncmp(src->base_url, "http://", 7) == 0 ? "http\n" : "https\n";
    cleanup_err hull_err *err = NULL;
    cleanup_close int lock = -1;
    if (mkdirat(src->store->dirfd, SCHEMES_DIR, 0700) < 0 && errno != EEXIST)
        return;
    cleanup_close int dirfd =
        openat(src->store->dirfd, SCHEMES_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0 || image_store_lock(src->store, SCHEMES_DIR, &lock, &err) < 0)
        return;
    fs_replace_file_at(dirfd, src->host, scheme, strlen(scheme), 0600, &err);
}

/* GET /v2/ over HTTPS, falling back to HTTP where allowed; remembers the auth challenge. */
static int ping(struct registry_source *src, hull_err **err)
{
    int allow_http = src->insecure || host_is_local(src->host);
    const char *schemes[] = {"https", "http"};
    for (int i = 0; i < (allow_http ? 2 : 1); i++) {
        free(src->base_url);
        if (asprintf(&src->base_url, "%s://%s", schemes[i], src->host) < 0)
            abort();
        cleanup_free char *url = NULL;
        if (asprintf(&url, "%s/v2/", src->base_url) < 0)
            abort();
        struct response r = {.limit = 1 << 16};
        char errbuf[CURL_ERROR_SIZE];
        CURLcode rc = http_get(src, url, NULL, NULL, &r, errbuf);
        if (rc != CURLE_OK) {
            if (i == 0 && allow_http) {
                response_reset(&r);
                continue;
            }
            int ret = curl_failure(&r, rc, errbuf, src->host, err);
            response_reset(&r);
            return ret;
        }
        if (r.status == 401 && r.www_authenticate)
            parse_challenge(src, r.www_authenticate);
        response_reset(&r);
        remember_scheme(src);
        return 0;
    }
    return hull_error(err, 0, "registry `%s` unreachable", src->host);
}

/* The scheme for this source's requests: remembered, or found by a ping (once, whichever
 * thread asks first). */
static int ensure_ready(struct registry_source *src, hull_err **err)
{
    pthread_mutex_lock(&src->ready_mutex);
    int ret = 0;
    if (src->base_url == NULL && !recall_scheme(src))
        ret = ping(src, err);
    pthread_mutex_unlock(&src->ready_mutex);
    return ret;
}

/* After a request: true when the scheme it used was remembered and did not work (no
 * connection, a refused handshake, HTTP 400 from a TLS port): the scheme has been chosen again
 * by a ping (*failed when that failed, with *err set) and the request should be retried. A
 * remembered scheme that worked once is kept for the rest of the source's life. */
static bool stale_scheme(struct registry_source *src, CURLcode rc, long status, hull_err **err,
                         int *failed)
{
    bool bad = rc == CURLE_COULDNT_CONNECT || rc == CURLE_SSL_CONNECT_ERROR ||
               rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
               rc == CURLE_WEIRD_SERVER_REPLY || (rc == CURLE_OK && status == 400);
    pthread_mutex_lock(&src->ready_mutex);
    bool retry = false;
    if (src->remembered) {
        src->remembered = false;
        if (bad) {
            retry = true;
            *failed = ping(src, err) < 0;
        }
    }
    pthread_mutex_unlock(&src->ready_mutex);
    return retry;
}

static int share_lock_index(curl_lock_data data)
{
    return data >= 0 && data < CURL_LOCK_DATA_LAST ? (int)data : 0;
}

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *opaque)
{
    (void)c;
    (void)access;
    struct registry_source *src = opaque;
    pthread_mutex_lock(&src->share_mutex[share_lock_index(data)]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *opaque)
{
    (void)c;
    struct registry_source *src = opaque;
    pthread_mutex_unlock(&src->share_mutex[share_lock_index(data)]);
}

static struct registry_source *source_alloc(const char *registry, const char *host,
                                            const struct registry_options *opts)
{
    pthread_once(&curl_once, curl_init_once);
    struct registry_source *src = calloc(1, sizeof(*src));
    if (src == NULL)
        abort();
    src->base.ops = &registry_ops;
    pthread_mutex_init(&src->mutex, NULL);
    pthread_mutex_init(&src->ready_mutex, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&src->share_mutex[i], NULL);
    src->share = curl_share_init();
    if (src->share != NULL &&
        (curl_share_setopt(src->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
         curl_share_setopt(src->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
         curl_share_setopt(src->share, CURLSHOPT_USERDATA, src) != CURLSHE_OK ||
         curl_share_setopt(src->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
         curl_share_setopt(src->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK)) {
        curl_share_cleanup(src->share); /* no sharing: every request connects anew */
        src->share = NULL;
    }
    src->registry = strdup(registry);
    src->host = strdup(host);
    src->insecure = opts && opts->insecure;
    src->store = opts ? opts->store : NULL;
    return src;
}

int registry_source_new(const image_ref *ref, const struct registry_options *opts,
                        image_source **out, hull_err **err)
{
    struct registry_source *src = source_alloc(ref->domain, image_ref_registry_host(ref), opts);
    src->path = strdup(ref->path);
    src->tag = ref->tag ? strdup(ref->tag) : NULL;
    src->digest = ref->digest ? strdup(ref->digest) : NULL;
    src->base.digest = src->digest;
    /* No request yet: the first one chooses the scheme (ensure_ready), and a pull that finds
     * everything in the store makes none. */
    if (auth_lookup(opts ? opts->authfile : NULL, ref->domain, &src->user, &src->password, err) <
        0) {
        reg_destroy(&src->base);
        return -1;
    }
    *out = &src->base;
    return 0;
}

int registry_check_login(const char *host, const char *user, const char *password,
                         const struct registry_options *opts, hull_err **err)
{
    const char *connect = strcmp(host, "docker.io") == 0 ? "registry-1.docker.io" : host;
    struct registry_source *src = source_alloc(host, connect, opts);
    src->path = strdup("");
    src->user = strdup(user);
    src->password = strdup(password);
    int ret = ping(src, err);
    if (ret == 0 && src->scheme != NULL) {
        /* Answer the challenge: a token (for any scope) or /v2/ with basic credentials. */
        struct response r = {.limit = 1 << 16};
        free(src->scope);
        src->scope = strdup("");
        ret = registry_get(src, "/v2/", NULL, "/v2/", &r, err);
        response_reset(&r);
    }
    reg_destroy(&src->base);
    return ret;
}
