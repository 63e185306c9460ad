/* src/stack: interpolation (every form of the compose spec), dotenv files, merging of override
 * files, compose type errors with file:line:key path, the topology's validation messages
 * (nucleus-container's wording), the config hash's stability and dependency cycles. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "stack/compose.h"
#include "stack/hash.h"
#include "stack/interpolate.h"
#include "stack/merge.h"
#include "stack/model.h"
#include "stack/toml.h"
#include "stack/topology.h"
#include "stack/yaml.h"

static struct stack_env env;

static void expect_interp(const char *in, const char *want)
{
    hull_err *err = NULL;
    char *out = NULL;
    if (stack_interpolate_string(in, &env, "f.yaml:1: x", &out, &err) < 0) {
        fprintf(stderr, "interpolate `%s` failed: %s\n", in, err->msg);
        exit(1);
    }
    if (strcmp(out, want) != 0) {
        fprintf(stderr, "interpolate `%s` = `%s`, want `%s`\n", in, out, want);
        exit(1);
    }
    free(out);
}

static void test_interpolation(void)
{
    stack_env_set(&env, "SET", "value");
    stack_env_set(&env, "EMPTY", "");
    expect_interp("plain", "plain");
    expect_interp("$SET", "value");
    expect_interp("${SET}", "value");
    expect_interp("a${SET}b", "avalueb");
    expect_interp("$SET-x", "value-x");
    expect_interp("${UNSET}", "");
    expect_interp("${UNSET:-def}", "def");
    expect_interp("${EMPTY:-def}", "def");
    expect_interp("${EMPTY-def}", "");
    expect_interp("${UNSET-def}", "def");
    expect_interp("${SET:-def}", "value");
    expect_interp("${SET:+alt}", "alt");
    expect_interp("${EMPTY:+alt}", "");
    expect_interp("${EMPTY+alt}", "alt");
    expect_interp("${UNSET+alt}", "");
    expect_interp("$$SET", "$SET");
    expect_interp("$${SET}", "${SET}");
    expect_interp("${UNSET:-${SET}}", "value");
    expect_interp("${UNSET:-a ${UNSET2:-b} c}", "a b c");
    expect_interp("${SET:?must be set}", "value");
    hull_err *err = NULL;
    char *out = NULL;
    CHECK_ERROR(stack_interpolate_string("${UNSET:?need it}", &env, "f.yaml:3: services.a.image",
                                         &out, &err),
                &err,
                "f.yaml:3: services.a.image: required variable UNSET is missing a value: "
                "need it");
    CHECK_ERROR(stack_interpolate_string("${EMPTY:?}", &env, "w", &out, &err), &err,
                "required variable EMPTY is missing a value");
    CHECK(stack_interpolate_string("${EMPTY?}", &env, "w", &out, &err) == 0 && !strcmp(out, ""));
    free(out);
    CHECK_ERROR(stack_interpolate_string("${UNSET?}", &env, "w", &out, &err), &err,
                "required variable UNSET");
    CHECK_ERROR(stack_interpolate_string("cost $5", &env, "w", &out, &err), &err,
                "invalid interpolation format \"cost $5\"");
    CHECK_ERROR(stack_interpolate_string("${SET", &env, "w", &out, &err), &err,
                "invalid interpolation format");
    CHECK_ERROR(stack_interpolate_string("${}", &env, "w", &out, &err), &err,
                "invalid interpolation format");
    CHECK_ERROR(stack_interpolate_string("trailing $", &env, "w", &out, &err), &err,
                "escape any $ with another $");
}

static void test_dotenv(void)
{
    char path[] = "/tmp/hull-test-dotenv-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "# comment\n\nA=1\nexport B = two words # trailing\nC='${A} literal'\n"
                       "D=\"${A} and \\n\"\nE=${A:-x}-${B}\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    struct stack_env e = {0};
    hull_err *err = NULL;
    CHECK(stack_env_read_file(&e, path, true, &err) == 0);
    CHECK(!strcmp(stack_env_get(&e, "A"), "1"));
    CHECK(!strcmp(stack_env_get(&e, "B"), "two words"));
    CHECK(!strcmp(stack_env_get(&e, "C"), "${A} literal"));
    CHECK(!strcmp(stack_env_get(&e, "D"), "1 and \n"));
    CHECK(!strcmp(stack_env_get(&e, "E"), "1-two words"));
    stack_env_clear(&e);
    unlink(path);
    CHECK(stack_env_read_file(&e, "/nonexistent/.env", false, &err) == 0);
    CHECK_ERROR(stack_env_read_file(&e, "/nonexistent/.env", true, &err), &err,
                "/nonexistent/.env");
}

static struct stack_node *yaml(const char *text, const char *file)
{
    hull_err *err = NULL;
    struct stack_node *n = NULL;
    if (stack_yaml_parse(text, strlen(text), file, &n, &err) < 0) {
        fprintf(stderr, "yaml: %s\n", err->msg);
        exit(1);
    }
    return n;
}

static json_t *compose(const char *text, hull_err **err)
{
    struct stack_node *n = yaml(text, "c.yaml");
    json_t *doc = NULL;
    int rc = stack_compose_to_doc(n, "proj", "/srv/proj", &env, &doc, err);
    stack_node_free(n);
    return rc < 0 ? NULL : doc;
}

static void test_merge(void)
{
    struct stack_node *base = yaml("services:\n"
                                   "  web:\n"
                                   "    image: a\n"
                                   "    command: [one, two]\n"
                                   "    environment: [A=1, B=2]\n"
                                   "    ports: ['80:80']\n"
                                   "    volumes: ['/h:/data', 'v:/v']\n"
                                   "    depends_on: [db]\n"
                                   "    labels: {x: '1'}\n"
                                   "  db:\n"
                                   "    image: db\n",
                                   "base.yaml");
    struct stack_node *over = yaml("services:\n"
                                   "  web:\n"
                                   "    image: b\n"
                                   "    command: [three]\n"
                                   "    environment: {B: '3', C: '4'}\n"
                                   "    ports: ['443:443', '80:80']\n"
                                   "    volumes: ['/other:/data:ro']\n"
                                   "    depends_on: {cache: {condition: service_started}}\n"
                                   "    labels: [y=2]\n"
                                   "  cache:\n"
                                   "    image: c\n",
                                   "over.yaml");
    stack_merge_compose(base, over);
    hull_err *err = NULL;
    json_t *doc = NULL;
    CHECK(stack_compose_to_doc(base, "p", "/srv/p", &env, &doc, &err) == 0);
    json_t *web = json_object_get(json_object_get(doc, "services"), "web");
    CHECK(!strcmp(json_string_value(json_object_get(web, "image")), "b"));
    CHECK(json_array_size(json_object_get(web, "command")) == 1);
    json_t *e = json_object_get(web, "environment");
    CHECK(!strcmp(json_string_value(json_object_get(e, "A")), "1"));
    CHECK(!strcmp(json_string_value(json_object_get(e, "B")), "3"));
    CHECK(!strcmp(json_string_value(json_object_get(e, "C")), "4"));
    CHECK(json_array_size(json_object_get(web, "ports")) == 2);
    json_t *vols = json_object_get(web, "volumes");
    CHECK(json_array_size(vols) == 2);
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(vols, 0), "source")), "/other"));
    CHECK(json_is_true(json_object_get(json_array_get(vols, 0), "read_only")));
    CHECK(json_object_size(json_object_get(web, "depends_on")) == 2);
    CHECK(json_object_size(json_object_get(web, "labels")) == 2);
    CHECK(json_object_get(json_object_get(doc, "services"), "cache") != NULL);
    json_decref(doc);
    stack_node_free(base);
    stack_node_free(over);
}

static void test_compose_errors(void)
{
    hull_err *err = NULL;
    CHECK(compose("services:\n  web:\n    image: x\n    read_only: maybe\n", &err) == NULL);
    CHECK(strstr(err->msg, "c.yaml:4: services.web.read_only: must be a boolean, not string"));
    hull_err_freep(&err);
    CHECK(compose("services:\n  web:\n    image: x\n    ports:\n      - {target: [1]}\n", &err) ==
          NULL);
    CHECK(strstr(err->msg, "c.yaml:5: services.web.ports[0].target: must be an integer"));
    hull_err_freep(&err);
    CHECK(compose("services:\n  web:\n    image: x\n    environment: 3\n", &err) == NULL);
    CHECK(strstr(err->msg, "c.yaml:4: services.web.environment: must be a mapping or a list"));
    hull_err_freep(&err);
    CHECK(compose("services:\n  web:\n    command: x\n", &err) == NULL);
    CHECK(strstr(err->msg, "neither an image nor a build context"));
    hull_err_freep(&err);
    CHECK(compose("services:\n  web:\n    image: x\n    depends_on:\n      db:\n        "
                  "condition: whenever\n",
                  &err) == NULL);
    CHECK(strstr(err->msg, "c.yaml:6: services.web.depends_on.db.condition: invalid condition "
                           "'whenever'"));
    hull_err_freep(&err);
    CHECK(compose("services:\n  web:\n    image: x\n    healthcheck:\n      interval: soon\n",
                  &err) == NULL);
    CHECK(strstr(err->msg, "invalid duration 'soon'"));
    hull_err_freep(&err);
    /* short syntaxes, long forms, defaults */
    json_t *doc = compose("version: '3'\nservices:\n  web:\n    image: x\n"
                          "    command: sh -c 'echo \"a b\"'\n"
                          "    ports: ['127.0.0.1:8000-8001:80-81/udp', '9000']\n"
                          "    volumes: ['./data:/data:ro', 'named:/n', '/anon']\n"
                          "    healthcheck: {test: 'true', interval: 90s, retries: 2}\n"
                          "    secrets: [tok]\n"
                          "    ulimits: {nofile: 1024}\n"
                          "    stop_grace_period: 1m30s\n"
                          "secrets:\n  tok: {file: ./tok.txt}\n"
                          "volumes:\n  named:\n",
                          &err);
    CHECK(doc != NULL);
    json_t *web = json_object_get(json_object_get(doc, "services"), "web");
    json_t *cmd = json_object_get(web, "command");
    CHECK(json_array_size(cmd) == 3 &&
          !strcmp(json_string_value(json_array_get(cmd, 2)), "echo \"a b\""));
    json_t *ports = json_object_get(web, "ports");
    CHECK(json_array_size(ports) == 3);
    CHECK(
        !strcmp(json_string_value(json_object_get(json_array_get(ports, 1), "published")), "8001"));
    CHECK(json_integer_value(json_object_get(json_array_get(ports, 1), "target")) == 81);
    CHECK(json_object_get(json_array_get(ports, 2), "published") == NULL);
    json_t *vols = json_object_get(web, "volumes");
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(vols, 0), "source")),
                  "/srv/proj/data"));
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(vols, 1), "type")), "volume"));
    CHECK(json_object_get(json_array_get(vols, 2), "source") == NULL);
    json_t *hc = json_object_get(web, "healthcheck");
    CHECK(!strcmp(json_string_value(json_object_get(hc, "interval")), "1m30s"));
    CHECK(!strcmp(json_string_value(json_array_get(json_object_get(hc, "test"), 0)), "CMD-SHELL"));
    CHECK(!strcmp(json_string_value(json_object_get(web, "stop_grace_period")), "1m30s"));
    json_t *sec = json_array_get(json_object_get(web, "secrets"), 0);
    CHECK(!strcmp(json_string_value(json_object_get(sec, "target")), "/run/secrets/tok"));
    CHECK(json_integer_value(json_object_get(sec, "mode")) == 0400);
    CHECK(!strcmp(json_string_value(json_object_get(
                      json_object_get(json_object_get(doc, "volumes"), "named"), "name")),
                  "proj_named"));
    CHECK(!strcmp(json_string_value(json_object_get(
                      json_object_get(json_object_get(doc, "networks"), "default"), "name")),
                  "proj_default"));
    json_decref(doc);
}

static int topo(const char *text, hull_err **err, json_t **doc)
{
    struct stack_node *n = NULL;
    if (stack_toml_parse(text, strlen(text), "t.toml", &n, err) < 0)
        return -1;
    json_t *d = NULL;
    int rc = stack_topology_to_doc(n, "t.toml", NULL, "/srv/t", &d, err);
    stack_node_free(n);
    if (doc)
        *doc = d;
    else
        json_decref(d);
    return rc;
}

#define SVC(name)                                                                                  \
    "[services." name "]\nrootfs = \"/r\"\ncommand = [\"/bin/x\"]\nmemory = \"256M\"\n"

static void test_topology_messages(void)
{
    hull_err *err = NULL;
    CHECK_ERROR(topo("name = \"\"\n" SVC("web"), &err, NULL), &err,
                "t.toml: Topology name cannot be empty");
    CHECK_ERROR(topo("name = \"x\"\n", &err, NULL), &err,
                "Topology must have at least one service");
    CHECK_ERROR(topo("name = \"x\"\n" SVC("web") "[[services.web.depends_on]]\nservice = \"x\"\n",
                     &err, NULL),
                &err, "Service 'web' depends on unknown service 'x'");
    CHECK_ERROR(
        topo("name = \"x\"\n" SVC("db")
                 SVC("web") "[[services.web.depends_on]]\nservice = \"db\"\ncondition = \"c\"\n",
             &err, NULL),
        &err, "Invalid dependency condition 'c' for service 'web'");
    CHECK_ERROR(
        topo("name = \"x\"\n" SVC("db") SVC(
                 "web") "[[services.web.depends_on]]\nservice = \"db\"\ncondition = \"healthy\"\n",
             &err, NULL),
        &err, "Service 'web' depends on 'db' being healthy, but 'db' has no health_check");
    CHECK_ERROR(topo("name = \"x\"\n" SVC("web") "networks = [\"n\"]\n", &err, NULL), &err,
                "Service 'web' references unknown network 'n'");
    CHECK_ERROR(topo("name = \"x\"\n" SVC("web") "volumes = [\"/x:/y\"]\n", &err, NULL), &err,
                "Service 'web' uses absolute host-path volume mount '/x'; topology configs must "
                "reference a named volume instead");
    CHECK_ERROR(topo("name = \"x\"\n" SVC("web") "volumes = [\"v:/y\"]\n", &err, NULL), &err,
                "Service 'web' references unknown volume 'v'");
    CHECK_ERROR(topo("name = \"x\"\n[networks.n]\nencrypted = true\n" SVC("web"), &err, NULL), &err,
                "encrypted = true");
    CHECK_ERROR(
        topo("name = \"x\"\n[services.web]\nrootfs = \"/r\"\ncommand = [\"/x\"]\n", &err, NULL),
        &err, "Service 'web' is missing required field 'memory'");
    CHECK_ERROR(topo("name = \"x\"\n" SVC("web") "cpus = \"two\"\n", &err, NULL), &err,
                "t.toml:6: services.web: must be a number (cpus)");
    /* the full example with its defaults */
    json_t *doc = NULL;
    CHECK(topo("name = \"myapp\"\n[networks.internal]\nsubnet = \"10.42.0.0/24\"\n"
               "[volumes.db-data]\nvolume_type = \"persistent\"\npath = \"/var/lib/x\"\n"
               "owner = \"70:70\"\n[volumes.scratch]\nsize = \"64M\"\n"
               "[services.postgres]\nimage = \"busybox\"\ncommand = [\"postgres\"]\n"
               "memory = \"2G\"\ncpus = 2.0\nnetworks = [\"internal\"]\n"
               "volumes = [\"db-data:/data\", \"scratch:/tmp/s\"]\nhealth_check = \"pg_isready\"\n"
               "[services.web]\nrootfs = \"/nix/store/web\"\ncommand = [\"/bin/web\"]\n"
               "memory = \"512M\"\nnetworks = [\"internal\"]\nport_forwards = [\"8443:8443\"]\n"
               "egress_allow = [\"10.42.0.0/24\"]\nreplicas = 2\n"
               "[[services.web.depends_on]]\nservice = \"postgres\"\ncondition = \"healthy\"\n",
               &err, &doc) == 0);
    json_t *pg = json_object_get(json_object_get(doc, "services"), "postgres");
    json_t *lim =
        json_object_get(json_object_get(json_object_get(pg, "deploy"), "resources"), "limits");
    CHECK(json_integer_value(json_object_get(lim, "memory")) == 2LL << 30);
    CHECK(!strcmp(json_string_value(json_object_get(lim, "cpus")), "2"));
    CHECK(json_integer_value(json_object_get(lim, "pids")) == 512);
    CHECK(!strcmp(
        json_string_value(json_object_get(json_object_get(pg, "healthcheck"), "interval")), "30s"));
    json_t *vols = json_object_get(pg, "volumes");
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(vols, 1), "type")), "tmpfs"));
    json_t *web = json_object_get(json_object_get(doc, "services"), "web");
    CHECK(json_integer_value(json_object_get(json_object_get(web, "deploy"), "replicas")) == 2);
    CHECK(
        !strcmp(json_string_value(json_object_get(
                    json_object_get(json_object_get(web, "depends_on"), "postgres"), "condition")),
                "service_healthy"));
    CHECK(!strcmp(json_string_value(json_object_get(
                      json_object_get(json_object_get(doc, "networks"), "internal"), "name")),
                  "myapp_internal"));
    struct stack *s = NULL;
    CHECK(stack_from_doc(doc, "/srv/t", &s, &err) == 0);
    CHECK(s->n_services == 2 && s->services[1].replicas == 2);
    stack_free(s);
}

static void test_hash_and_cycles(void)
{
    hull_err *err = NULL;
    /* key order and syntax do not change the hash; a value does */
    json_t *a = compose("services:\n  w:\n    image: x\n    environment: [A=1, B=2]\n"
                        "    command: echo hi\n",
                        &err);
    json_t *b = compose("services:\n  w:\n    command: [echo, hi]\n"
                        "    environment: {B: '2', A: '1'}\n    image: x\n    deploy: "
                        "{replicas: 3}\n",
                        &err);
    json_t *c = compose("services:\n  w:\n    image: x\n    environment: [A=1, B=3]\n"
                        "    command: echo hi\n",
                        &err);
    CHECK(a && b && c);
    char ha[65], hb[65], hc[65];
    json_t *wb = json_object_get(json_object_get(b, "services"), "w");
    json_object_del(wb, "deploy");
    json_object_set_new(wb, "deploy", json_pack("{s:i}", "replicas", 3));
    stack_service_hash(json_object_get(json_object_get(a, "services"), "w"), ha);
    stack_service_hash(wb, hb);
    stack_service_hash(json_object_get(json_object_get(c, "services"), "w"), hc);
    /* deploy.replicas is left out, but an empty deploy object is not: compare without it */
    json_t *copy = json_deep_copy(wb);
    json_object_del(copy, "deploy");
    stack_service_hash(copy, hb);
    json_decref(copy);
    CHECK(strcmp(ha, hb) == 0);
    CHECK(strcmp(ha, hc) != 0);
    /* pinned: the hash of this service must never change between builds of hull */
    char *canon =
        stack_service_canonical_json(json_object_get(json_object_get(a, "services"), "w"));
    CHECK(!strcmp(canon, "{\"command\":[\"echo\",\"hi\"],\"environment\":{\"A\":\"1\",\"B\":\"2\"},"
                         "\"image\":\"x\",\"networks\":{\"default\":{}}}"));
    free(canon);
    CHECK(!strcmp(ha, "9592b58bc0710c16263bfdfd5fe452b9658b10de2b5c471267875dfd45de9629"));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_t *cyc = compose("services:\n  a: {image: x, depends_on: [b]}\n"
                          "  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n",
                          &err);
    CHECK(cyc);
    struct stack *s = NULL;
    CHECK_ERROR(stack_from_doc(cyc, "/srv", &s, &err), &err, "dependency cycle: a -> b -> c -> a");
    json_t *unk = compose("services:\n  a: {image: x, depends_on: [zz]}\n", &err);
    CHECK_ERROR(stack_from_doc(unk, "/srv", &s, &err), &err,
                "service 'a' depends on unknown service 'zz'");
}

int main(void)
{
    test_interpolation();
    test_dotenv();
    test_merge();
    test_compose_errors();
    test_topology_messages();
    test_hash_and_cycles();
    stack_env_clear(&env);
    return 0;
}
