/* Unit tests for image/reference.c and image/digest.c. */
#include <string.h>

#include "util/digest.h"
#include "image/reference.h"
#include "check.h"
#include "util/cleanup.h"

static void expect(const char *text, const char *domain, const char *path, const char *tag,
                   const char *digest, int short_name)
{
    image_ref *ref = NULL;
    hull_err *err = NULL;
    if (image_ref_parse(text, &ref, &err) < 0) {
        fprintf(stderr, "parse `%s`: %s\n", text, err->msg);
        exit(1);
    }
    CHECK(strcmp(ref->domain, domain) == 0);
    CHECK(path == NULL || strcmp(ref->path, path) == 0);
    CHECK(tag ? ref->tag && strcmp(ref->tag, tag) == 0 : ref->tag == NULL);
    CHECK(digest ? ref->digest && strcmp(ref->digest, digest) == 0 : ref->digest == NULL);
    CHECK(ref->short_name == short_name);
    image_ref_free(ref);
}

static void reject(const char *text)
{
    image_ref *ref = NULL;
    hull_err *err = NULL;
    CHECK(image_ref_parse(text, &ref, &err) < 0);
    CHECK(err != NULL && strstr(err->msg, "invalid image reference") != NULL);
    hull_err_free(err);
}

int main(void)
{
    const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char with_digest[128];
    expect("busybox", "docker.io", "library/busybox", "latest", NULL, 1);
    expect("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, 1);
    expect("user/app", "docker.io", "user/app", "latest", NULL, 1);
    expect("docker.io/busybox", "docker.io", "library/busybox", "latest", NULL, 0);
    expect("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", NULL, 0);
    expect("localhost/busybox", "localhost", "busybox", "latest", NULL, 0);
    expect("localhost:5000/a/b-c_d.e:v1.2", "localhost:5000", "a/b-c_d.e", "v1.2", NULL, 0);
    expect("127.0.0.1:5000/app:1.2", "127.0.0.1:5000", "app", "1.2", NULL, 0);
    expect("[::1]:5000/app", "[::1]:5000", "app", "latest", NULL, 0);
    snprintf(with_digest, sizeof(with_digest), "quay.io/x/y@%s", d);
    expect(with_digest, "quay.io", "x/y", NULL, d, 0);
    snprintf(with_digest, sizeof(with_digest), "quay.io/x/y:t@%s", d);
    expect(with_digest, "quay.io", "x/y", "t", d, 0);
    reject("");
    reject("UPPER");
    reject("a//b");
    reject("a/../b");
    reject("a:b:c");
    reject("app@sha256:short");
    reject("app@md5:0123456789abcdef0123456789abcdef");
    reject("-lead");
    reject("a:-tag");
    reject("host:port/app");

    /* 255 characters at most, counted on the normalised name: docker.io/library/ is 18. */
    char name[300];
    memset(name, 'a', sizeof name);
    name[255 - 18] = '\0';
    expect(name, "docker.io", NULL, "latest", NULL, 1);
    name[255 - 18] = 'a';
    name[256 - 18] = '\0';
    reject(name);
    {
        image_ref *long_ref = NULL;
        hull_err *lerr = NULL;
        CHECK(image_ref_parse(name, &long_ref, &lerr) < 0);
        CHECK(strstr(lerr->msg, "must not be more than 255 characters") != NULL);
        CHECK(strstr(lerr->msg, "is 256)") != NULL);
        hull_err_free(lerr);
    }

    image_ref *ref = NULL;
    CHECK(image_ref_parse("127.0.0.1:5000/app", &ref, NULL) == 0);
    cleanup_free char *s = image_ref_string(ref);
    CHECK(strcmp(s, "127.0.0.1:5000/app:latest") == 0);
    CHECK(strcmp(image_ref_registry_host(ref), "127.0.0.1:5000") == 0);
    image_ref_free(ref);

    char out[DIGEST_STR_LEN];
    digest_of_buffer("", 0, out);
    CHECK(strcmp(out, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") ==
          0);
    CHECK(digest_is_valid(out));
    CHECK(!digest_is_valid(
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
    CHECK(!digest_is_valid("sha256:../../../../etc/passwd"));
    CHECK(!digest_is_valid(NULL));
    return 0;
}
