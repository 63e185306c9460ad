/* Unit tests for util/template.c: Go text/template over JSON, with docker's documented
 * --format examples. */
#include <jansson.h>
#include <string.h>

#include "check.h"
#include "util/template.h"

static const char *doc_text =
    "{\"Id\":\"4fa6e0f0c678\",\"Name\":\"/web\",\"Path\":\"sh\",\"Args\":[\"-c\",\"sleep 1\"],"
    "\"State\":{\"Status\":\"running\",\"Pid\":4242,\"Running\":true,\"ExitCode\":0,"
    "\"Health\":null,\"Ratio\":1.5,\"Big\":1000000.0},"
    "\"Image\":\"busybox:latest\","
    "\"Config\":{\"Labels\":{\"com.example.b\":\"2\",\"com.example.a\":\"1\"},"
    "\"Env\":[\"PATH=/bin\",\"A=b\"],\"Cmd\":null,\"Empty\":[],\"Tty\":false},"
    "\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAddress\":\"10.88.0.2\"},"
    "\"host2\":{\"IPAddress\":\"10.89.0.3\"}},"
    "\"Ports\":{\"8787/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8787\"}]}},"
    "\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"data\",\"Destination\":\"/data\"}],"
    "\"Label\":{\"app\":\"web\"}}";

static json_t *doc(void)
{
    json_error_t je;
    json_t *d = json_loads(doc_text, 0, &je);
    CHECK(d != NULL);
    return d;
}

/* Render `tmpl` over the document and compare (a mismatch is reported and counted). */
static void expect(const char *tmpl, const char *want)
{
    json_t *d = doc();
    hull_template *t = NULL;
    hull_err *err = NULL;
    char *out = NULL;
    if (template_parse(tmpl, &t, &err) < 0 || template_execute(t, d, &out, &err) < 0) {
        fprintf(stderr, "`%s`: %s\n", tmpl, err->msg);
        check_failures++;
    } else if (strcmp(out, want) != 0) {
        fprintf(stderr, "`%s`\n  got  `%s`\n  want `%s`\n", tmpl, out, want);
        check_failures++;
    }
    hull_err_free(err);
    free(out);
    template_free(t);
    json_decref(d);
}

/* Parse or execution fails with exactly `want`, and renders nothing. */
static void expect_error(const char *tmpl, const char *want)
{
    json_t *d = doc();
    hull_template *t = NULL;
    hull_err *err = NULL;
    char *out = NULL;
    int rc = template_parse(tmpl, &t, &err);
    if (rc == 0)
        rc = template_execute(t, d, &out, &err);
    if (rc == 0) {
        fprintf(stderr, "`%s`: expected an error, got `%s`\n", tmpl, out);
        check_failures++;
    } else if (strcmp(err->msg, want) != 0) {
        fprintf(stderr, "`%s`\n  error `%s`\n  want  `%s`\n", tmpl, err->msg, want);
        check_failures++;
    }
    EXPECT(rc == 0 || out == NULL);
    free(out);
    template_free(t);
    hull_err_free(err);
    json_decref(d);
}

static void test_fields(void)
{
    expect("{{.State.Status}} {{.State.Pid}}", "running 4242");
    expect("{{.Name}}", "/web");
    expect("id={{.Id}} image={{.Image}}\n", "id=4fa6e0f0c678 image=busybox:latest\n");
    expect("{{.State.Running}} {{.Config.Tty}} {{.State.Health}}", "true false <nil>");
    expect("{{.Args}}", "[-c sleep 1]");
    expect("{{.Config.Labels}}", "map[com.example.a:1 com.example.b:2]");
    expect("{{.State.Ratio}} {{.State.Big}}", "1.5 1e+06");
    expect("{{with .Label}}{{.}}{{end}}", "map[app:web]");
    expect("plain text", "plain text");
    expect("", "");
    expect("{{ .State.Status }}", "running");
    expect("{{(.State).Status}}", "running");
}

static void test_docker_examples(void)
{
    /* docs.docker.com/reference/cli/docker/inspect/ and /config/formatting/ */
    expect("{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "10.88.0.210.89.0.3");
    expect("{{(index (index .NetworkSettings.Ports \"8787/tcp\") 0).HostPort}}", "8787");
    expect("{{json .Config.Labels}}", "{\"com.example.b\":\"2\",\"com.example.a\":\"1\"}");
    expect("{{join .Args \" , \"}}", "-c , sleep 1");
    expect("{{lower \"ABC\"}} {{upper .State.Status}} {{title \"hello docker-world\"}}",
           "abc RUNNING Hello Docker-World");
    expect("{{split .Image \":\"}}", "[busybox latest]");
    expect("{{pad .State.Status 2 1}}|", "  running |");
    expect("{{truncate .Id 4}}", "4fa6");
    expect("{{json .Mounts}}",
           "[{\"Type\":\"volume\",\"Name\":\"data\",\"Destination\":\"/data\"}]");
    expect("{{.Name | json}}", "\"/web\"");
    expect("{{json .State.Pid}} {{json .Config.Cmd}} {{json .Config.Empty}}", "4242 null []");
}

static void test_index_and_methods(void)
{
    expect("{{index .Config.Labels \"com.example.a\"}}", "1");
    expect("[{{index .Config.Labels \"missing\"}}]", "[]");
    expect("{{index .Args 1}}", "sleep 1");
    expect("{{index .NetworkSettings.Ports \"8787/tcp\" 0 \"HostPort\"}}", "8787");
    expect("{{.Label \"app\"}}", "web");
    expect("{{.Label \"nope\"}}|", "|");
    expect_error("{{index .Args 5}}",
                 "template: :1:2: executing \"\" at <index .Args 5>: error calling index: index "
                 "out of range: 5");
}

static void test_range(void)
{
    expect("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}",
           "com.example.a=1;com.example.b=2;");
    expect("{{range $i, $e := .Args}}{{$i}}:{{$e}} {{end}}", "0:-c 1:sleep 1 ");
    expect("{{range $e := .Args}}<{{$e}}>{{end}}", "<-c><sleep 1>");
    expect("{{range .Config.Empty}}x{{else}}none{{end}}", "none");
    expect("{{range .Config.Cmd}}x{{else}}nil{{end}}", "nil");
    expect("{{range .Args}}{{$.Name}}{{.}} {{end}}", "/web-c /websleep 1 ");
    expect("{{range .Args}}{{if eq . \"-c\"}}{{continue}}{{end}}{{.}}{{end}}", "sleep 1");
    expect("{{range .Args}}{{.}}{{break}}{{end}}", "-c");
    expect("{{range .Mounts}}{{.Name}}:{{.Destination}}{{end}}", "data:/data");
    expect_error("{{range .State.Status}}{{end}}",
                 "template: :1:8: executing \"\" at <.State.Status>: range can't iterate over "
                 "running");
}

static void test_if_with(void)
{
    expect("{{if .State.Running}}up{{else}}down{{end}}", "up");
    expect("{{if .Config.Tty}}tty{{else if .State.Running}}run{{else}}no{{end}}", "run");
    expect("{{if .Config.Tty}}a{{else if .Config.Empty}}b{{else}}c{{end}}", "c");
    expect("{{if .Config.Cmd}}cmd{{end}}", "");
    expect("{{if not .Config.Tty}}notty{{end}}", "notty");
    expect("{{with .State}}{{.Status}}/{{.Pid}}{{end}}", "running/4242");
    expect("{{with .Config.Cmd}}x{{else}}no cmd{{end}}", "no cmd");
    expect("{{with $s := .State.Status}}{{$s}}{{end}}", "running");
    expect("{{if and .State.Running (gt .State.Pid 1)}}ok{{end}}", "ok");
    expect("{{or .Config.Cmd .Config.Env}}", "[PATH=/bin A=b]");
    expect("{{and .State.Running .Config.Tty}}", "false");
    /* and/or short-circuit: the missing field is never evaluated */
    expect("{{or .State.Running .Nope}}", "true");
    expect("{{if 0}}a{{else if 0.0}}b{{else if \"\"}}c{{else}}d{{end}}", "d");
}

static void test_comparisons(void)
{
    expect("{{eq .State.Status \"running\"}} {{eq .State.Status \"a\" \"b\" \"running\"}}",
           "true true");
    expect("{{ne .State.Pid 1}} {{lt 1 2}} {{le 2 2}} {{gt 1.5 2}} {{ge \"b\" \"a\"}}",
           "true true true false true");
    expect("{{eq .State.Pid 4242}} {{eq .State.Ratio 1.5}}", "true true");
    expect("{{len .Args}} {{len .Config.Labels}} {{len .Name}}", "2 2 4");
    expect_error("{{lt .Args 1}}",
                 "template: :1:2: executing \"\" at <lt .Args 1>: error calling lt: "
                 "non-comparable type");
    expect_error("{{len .State.Pid}}",
                 "template: :1:2: executing \"\" at <len .State.Pid>: error calling len: len of "
                 "type int");
}

static void test_printf_print(void)
{
    expect("{{printf \"%s is %d\" .State.Status .State.Pid}}", "running is 4242");
    expect("{{printf \"%-8s|%5d|%.2f|%q|%v|%t\" \"ab\" 42 .State.Ratio \"x\" .Args true}}",
           "ab      |   42|1.50|\"x\"|[-c sleep 1]|true");
    expect("{{printf \"%x %X %%\" 255 \"hi\"}}", "ff 6869 %");
    expect("{{printf \"%d\"}}", "%!d(MISSING)");
    expect("{{printf \"%d\" \"s\"}}", "%!d(string=s)");
    expect("{{.State.Pid | printf \"pid=%d\"}}", "pid=4242");
    expect("{{print \"a\" 1 2 \"b\"}}", "a1 2b");
    expect("{{println \"a\" 1}}", "a 1\n");
}

static void test_pipelines_variables(void)
{
    expect("{{.State.Status | upper | printf \"[%s]\"}}", "[RUNNING]");
    expect("{{$x := .State.Status}}{{$x}}-{{$x}}", "running-running");
    expect("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2");
    expect("{{$.Name}}", "/web");
    expect("{{$n := .Name}}{{with .State}}{{$n}} {{.Status}}{{end}}", "/web running");
    expect("{{\"quote\\\"d\\n\"}}", "quote\"d\n");
    expect("{{`raw\\n`}}", "raw\\n");
    expect("{{-1}} {{ -3 }}", "-1 -3");
    expect("{{\"a\" | printf \"%s-%s\" \"b\"}}", "b-a");
    expect("{{range $i := 3}}{{$i}}{{end}}", "012");
    expect("{{with .Config.Cmd}}x{{else with .State}}{{.Status}}{{end}}", "running");
    expect("{{split \"héj\" \"\"}} {{len (split \"a,b,,c\" \",\")}}", "[h é j] 4");
    expect("{{printf \"%+d|%x|%05.1f|%-4t|%c\" 5 -255 2.25 true 233}}", "+5|-ff|002.2|true|é");
    expect("{{printf \"%v %d\" 1 2 3}}", "1 2%!(EXTRA int=3)");
    expect("{{truncate \"héllo\" 2}}{{truncate \"ab\" 9}}", "héab");
}

static void test_trim_and_comments(void)
{
    expect("a  {{- .State.Status -}}  \n b", "arunningb");
    expect("a {{- /* comment */ -}} b", "ab");
    expect("x{{/* comment */}}y", "xy");
    expect("{{range .Args -}}\n  {{.}}\n{{- end}}", "-csleep 1");
}

static void test_errors(void)
{
    expect_error("{{.Foo}}",
                 "template: :1:2: executing \"\" at <.Foo>: map has no entry for key \"Foo\"");
    expect_error("{{.State.Status}} {{.State.Foo}}",
                 "template: :1:20: executing \"\" at <.State.Foo>: map has no entry for key "
                 "\"Foo\"");
    expect_error("line one\n  {{.Nope}}",
                 "template: :2:4: executing \"\" at <.Nope>: map has no entry for key \"Nope\"");
    expect_error("{{.State.Status.X}}", "template: :1:2: executing \"\" at <.State.Status.X>: "
                                        "can't evaluate field X in type string");
    expect_error("{{.State.Health.Status}}", "template: :1:2: executing \"\" at "
                                             "<.State.Health.Status>: nil pointer evaluating "
                                             "interface {}.Status");
    expect_error("{{nosuch .Name}}", "template: :1: function \"nosuch\" not defined");
    expect_error("{{.Name", "template: :1: unclosed action");
    expect_error("{{if .Name}}x", "template: :1: unexpected EOF");
    expect_error("x{{end}}", "template: :1: unexpected {{end}}");
    expect_error("{{else}}", "template: :1: unexpected {{else}}");
    expect_error("{{break}}", "template: :1: {{break}} outside {{range}}");
    expect_error("{{\"abc}}", "template: :1: unterminated quoted string");
    expect_error("{{(.Name}}", "template: :1: unclosed left paren");
    expect_error("{{$y}}", "template: :1:2: executing \"\" at <$y>: undefined variable: $y");
    expect_error("{{join .Name \",\"}}", "template: :1:2: executing \"\" at <join .Name \",\">: "
                                         "wrong type for value; expected []string; got string");
    expect_error("{{upper}}",
                 "template: :1:2: executing \"\" at <upper>: wrong number of args for upper: "
                 "want 1 got 0");
    expect_error("{{.State.Pid 1}}", "template: :1:2: executing \"\" at <.State.Pid 1>: can't "
                                     "give argument to non-function .State.Pid");
    expect_error("{{}}", "template: :1: missing value for command");
    expect_error("{{define \"x\"}}{{end}}", "template: :1: {{define}} is not supported");
}

static void expect_tab(const char *in, const char *want)
{
    char *out = template_tabwrite(in);
    EXPECT_STREQ(out, want);
    free(out);
}

static void test_tabwriter(void)
{
    /* docker ps's layout: minimum width 10, padding 3, last column unpadded */
    expect_tab("CONTAINER ID\tIMAGE\tNAMES\n4fa6e0f0c678\tbusybox\tweb\n",
               "CONTAINER ID   IMAGE     NAMES\n4fa6e0f0c678   busybox   web\n");
    expect_tab("a\tb\nlonger cell here\tc", "a                  b\nlonger cell here   c");
    expect_tab("no tabs\n", "no tabs\n");
    expect_tab("é\tx\n", "é         x\n");
    /* a line without the column ends the block */
    expect_tab("a\tb\nplain\nlong-cell-xyz\tc\n", "a         b\nplain\nlong-cell-xyz   c\n");
    /* nested blocks: the second column only spans the lines that have it */
    expect_tab("a\tb\tc\nx\ty\nlonglonglong\tz\tw\n",
               "a              b         c\nx              y\nlonglonglong   z         w\n");
}

int main(void)
{
    RUN(test_fields);
    RUN(test_docker_examples);
    RUN(test_index_and_methods);
    RUN(test_range);
    RUN(test_if_with);
    RUN(test_comparisons);
    RUN(test_printf_print);
    RUN(test_pipelines_variables);
    RUN(test_trim_and_comments);
    RUN(test_errors);
    RUN(test_tabwriter);
    TEST_EXIT();
}
