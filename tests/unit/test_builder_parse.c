/* Unit tests of the builder's readers: the Containerfile parser (containerfile.c), docker's
 * word and variable rules (expand.c), ignore-file patterns (ignore.c) and durations
 * (instructions.c). */
#include <stdlib.h>
#include <string.h>

#include "builder/containerfile.h"
#include "builder/expand.h"
#include "builder/ignore.h"
#include "builder/instructions.h"
#include "check.h"
#include "util/cleanup.h"

static void test_parser(void)
{
    hull_err *err = NULL;
    struct containerfile *cf = NULL;
    const char *text = "# syntax=docker/dockerfile:1\n"
                       "# escape=`\n"
                       "\n"
                       "ARG V=1\n"
                       "from busybox AS b\n"
                       "RUN echo a && `\n"
                       "# comment inside\n"
                       "\n"
                       "    echo b\n"
                       "COPY --from=b --chmod=644 x y\n"
                       "CMD [\"a\", \"b c\"]\n"
                       "ENTRYPOINT [not json\n";
    CHECK(containerfile_parse("F", text, &cf, &err) == 0);
    CHECK(cf->escape == '`');
    CHECK(cf->n == 6);
    CHECK(strcmp(cf->ins[0].keyword, "ARG") == 0 && cf->ins[0].line == 4);
    CHECK(strcmp(cf->ins[1].keyword, "FROM") == 0 && strcmp(cf->ins[1].args, "busybox AS b") == 0);
    CHECK(strcmp(cf->ins[2].args, "echo a &&     echo b") == 0 && cf->ins[2].line == 6);
    CHECK(strcmp(cf_flag(&cf->ins[3], "from"), "b") == 0);
    CHECK(strcmp(cf_flag(&cf->ins[3], "chmod"), "644") == 0);
    CHECK(cf_flag(&cf->ins[3], "chown") == NULL);
    CHECK(strcmp(cf->ins[3].args, "x y") == 0);
    CHECK(cf->ins[4].json && strcmp(cf->ins[4].argv[1], "b c") == 0 && !cf->ins[4].argv[2]);
    CHECK(!cf->ins[5].json);
    containerfile_free(cf);

    CHECK_ERROR(containerfile_parse("F", "FROM a\nBOGUS x\n", &cf, &err), &err,
                "F:2: unknown instruction: BOGUS");
    CHECK_ERROR(containerfile_parse("F", "\nRUN x\n", &cf, &err), &err, "F:2: no build stage");
    CHECK_ERROR(containerfile_parse("F", "FROM a\nRUN <<EOF\nx\nEOF\n", &cf, &err), &err,
                "F:2: RUN: heredocs are not supported");
    CHECK_ERROR(containerfile_parse("F", "# escape=x\nFROM a\n", &cf, &err), &err,
                "F:1: invalid escape directive");
    CHECK_ERROR(containerfile_parse("F", "FROM a\nCOPY\n", &cf, &err), &err,
                "F:2: COPY requires at least one argument");
    CHECK_ERROR(containerfile_parse("F", "# only\n", &cf, &err), &err, "no instructions");
}

static char *ex(const char *word, char *const *vars)
{
    hull_err *err = NULL;
    char *out = NULL;
    CHECK(expand_word(word, '\\', vars, &out, &err) == 0);
    return out;
}

static void test_expand(void)
{
    char *vars[] = {"A=1", "B=two words", "E=", "A=3", NULL};
    struct {
        const char *in, *out;
    } cases[] = {
        {"$A", "3"},
        {"${A}x", "3x"},
        {"'$A'", "$A"},
        {"\"$A $B\"", "3 two words"},
        {"\\$A", "$A"},
        {"${E:-def}", "def"},
        {"${E-def}", ""},
        {"${N:-def}", "def"},
        {"${A:+alt}", "alt"},
        {"${N:+alt}", ""},
        {"${N}", ""},
        {"a$", "a$"},
        {"\"q\\\"uote\"", "q\"uote"},
        {"${N:-${A}}", "3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cleanup_free char *o = ex(cases[i].in, vars);
        if (strcmp(o, cases[i].out) != 0) {
            fprintf(stderr, "expand `%s`: got `%s`, want `%s`\n", cases[i].in, o, cases[i].out);
            exit(1);
        }
    }
    hull_err *err = NULL;
    char *out = NULL;
    CHECK_ERROR(expand_word("${N:?must be set}", '\\', vars, &out, &err), &err, "N: must be set");
    CHECK_ERROR(expand_word("${A", '\\', vars, &out, &err), &err, "missing '}'");
    CHECK_ERROR(expand_word("'open", '\\', vars, &out, &err), &err, "missing");
    char **words = split_words("a=\"b c\" d='e f' g\\ h", '\\');
    CHECK(strcmp(words[0], "a=\"b c\"") == 0 && strcmp(words[1], "d='e f'") == 0 &&
          strcmp(words[2], "g\\ h") == 0 && words[3] == NULL);
    hull_strvfree(words);
}

static void test_ignore(void)
{
    struct ignore_rules *r = ignore_parse("# comment\n"
                                          "*.key\n"
                                          "  logs  \n"
                                          "**/*.o\n"
                                          "docs/*.md\n"
                                          "!docs/README.md\n"
                                          "/abs/../top?\n"
                                          "a/**/z\n");
    CHECK(ignore_excluded(r, "x.key"));
    CHECK(!ignore_excluded(r, "dir/x.key")); /* `*` is one component */
    CHECK(ignore_excluded(r, "logs"));
    CHECK(ignore_excluded(r, "logs/deep/file")); /* a matched directory covers its contents */
    CHECK(ignore_excluded(r, "x.o") && ignore_excluded(r, "a/b/c.o"));
    CHECK(ignore_excluded(r, "docs/other.md"));
    CHECK(!ignore_excluded(r, "docs/README.md"));
    CHECK(ignore_excluded(r, "top1") && !ignore_excluded(r, "top12"));
    CHECK(ignore_excluded(r, "a/z") && ignore_excluded(r, "a/b/c/z"));
    CHECK(!ignore_excluded(r, "keep.txt"));
    CHECK(ignore_has_exceptions(r));
    ignore_free(r);
}

static void test_duration(void)
{
    hull_err *err = NULL;
    long long ns;
    CHECK(parse_duration("30s", &ns, &err) == 0 && ns == 30000000000LL);
    CHECK(parse_duration("1m30s", &ns, &err) == 0 && ns == 90000000000LL);
    CHECK(parse_duration("500ms", &ns, &err) == 0 && ns == 500000000LL);
    CHECK(parse_duration("1.5h", &ns, &err) == 0 && ns == 5400000000000LL);
    CHECK_ERROR(parse_duration("10", &ns, &err), &err, "missing unit");
    CHECK_ERROR(parse_duration("abc", &ns, &err), &err, "expected a duration");
}

int main(void)
{
    test_parser();
    test_expand();
    test_ignore();
    test_duration();
    return 0;
}
