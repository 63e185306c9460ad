/* stack/toml.c: the TOML 1.0 specification's examples (strings, integers, floats, booleans,
 * arrays, tables, inline tables, arrays of tables) read back value by value, and its invalid
 * examples refused with line:column. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "stack/toml.h"

/* A compact, deterministic rendering of a node tree: {k:v,...} [a,b] "s" 1 1.5 true */
static void dump(const struct stack_node *n, char *buf, size_t size)
{
    size_t len = strlen(buf);
    char *o = buf + len;
    size_t room = size - len;
    switch (n->kind) {
    case STACK_NODE_STRING:
        snprintf(o, room, "\"%s\"", n->str);
        break;
    case STACK_NODE_INT:
        snprintf(o, room, "%lld", n->i);
        break;
    case STACK_NODE_FLOAT:
        snprintf(o, room, "%g", n->f);
        break;
    case STACK_NODE_BOOL:
        snprintf(o, room, "%s", n->b ? "true" : "false");
        break;
    case STACK_NODE_NULL:
        snprintf(o, room, "null");
        break;
    case STACK_NODE_MAP:
    case STACK_NODE_SEQ:
        snprintf(o, room, n->kind == STACK_NODE_MAP ? "{" : "[");
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                strncat(buf, ",", size - strlen(buf) - 1);
            if (n->kind == STACK_NODE_MAP) {
                strncat(buf, n->keys[i], size - strlen(buf) - 1);
                strncat(buf, ":", size - strlen(buf) - 1);
            }
            dump(n->items[i], buf, size);
        }
        strncat(buf, n->kind == STACK_NODE_MAP ? "}" : "]", size - strlen(buf) - 1);
        break;
    }
}

static int expect(const char *toml, const char *want)
{
    hull_err *err = NULL;
    struct stack_node *root = NULL;
    if (stack_toml_parse(toml, strlen(toml), "t.toml", &root, &err) < 0) {
        fprintf(stderr, "parse failed: %s\n--- input:\n%s\n", err->msg, toml);
        hull_err_free(err);
        return 1;
    }
    char buf[8192] = "";
    dump(root, buf, sizeof(buf));
    stack_node_free(root);
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "--- input:\n%s\n--- got:  %s\n--- want: %s\n", toml, buf, want);
        return 1;
    }
    return 0;
}

static int refuse(const char *toml, const char *needle)
{
    hull_err *err = NULL;
    struct stack_node *root = NULL;
    if (stack_toml_parse(toml, strlen(toml), "t.toml", &root, &err) == 0) {
        fprintf(stderr, "accepted invalid input:\n%s\n", toml);
        stack_node_free(root);
        return 1;
    }
    int bad = strstr(err->msg, needle) == NULL || strncmp(err->msg, "t.toml:", 7) != 0;
    if (bad)
        fprintf(stderr, "input:\n%s\nerror `%s` lacks `%s`\n", toml, err->msg, needle);
    hull_err_free(err);
    return bad;
}

static struct stack_node *parse(const char *toml)
{
    hull_err *err = NULL;
    struct stack_node *root = NULL;
    if (stack_toml_parse(toml, strlen(toml), "t.toml", &root, &err) < 0) {
        fprintf(stderr, "parse failed: %s\n", err->msg);
        exit(1);
    }
    return root;
}

int main(void)
{
    int f = 0;
    /* keys */
    f += expect("key = \"value\"\nbare_key = \"value\"\nbare-key = \"value\"\n1234 = \"value\"\n",
                "{key:\"value\",bare_key:\"value\",bare-key:\"value\",1234:\"value\"}");
    f += expect("\"127.0.0.1\" = \"value\"\n\"character encoding\" = \"value\"\n"
                "\"ʎǝʞ\" = \"value\"\n'key2' = \"value\"\n'quoted \"value\"' = \"value\"\n",
                "{127.0.0.1:\"value\",character encoding:\"value\",ʎǝʞ:\"value\",key2:\"value\","
                "quoted \"value\":\"value\"}");
    f += expect("\"\" = \"blank\"\n", "{:\"blank\"}");
    f += expect("name = \"Orange\"\nphysical.color = \"orange\"\nphysical.shape = \"round\"\n"
                "site.\"google.com\" = true\n",
                "{name:\"Orange\",physical:{color:\"orange\",shape:\"round\"},"
                "site:{google.com:true}}");
    f += expect("fruit.name = \"banana\"     # this is best practice\n"
                "fruit. color = \"yellow\"    # same as fruit.color\n"
                "fruit . flavor = \"banana\"   # same as fruit.flavor\n",
                "{fruit:{name:\"banana\",color:\"yellow\",flavor:\"banana\"}}");
    f += expect("apple.type = \"fruit\"\norange.type = \"fruit\"\napple.skin = \"thin\"\n",
                "{apple:{type:\"fruit\",skin:\"thin\"},orange:{type:\"fruit\"}}");
    f += expect("3.14159 = \"pi\"\n", "{3:{14159:\"pi\"}}");
    /* strings */
    f += expect(
        "str = \"I'm a string. \\\"You can quote me\\\". Name\\tJos\\u00E9\\nLocation\\tSF.\"\n",
        "{str:\"I'm a string. \"You can quote me\". Name\tJosé\nLocation\tSF.\"}");
    f += expect("s = \"\\U0001F600 \\b\\f\\r\\\\\"\n", "{s:\"😀 \b\f\r\\\"}");
    f += expect("str1 = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n",
                "{str1:\"Roses are red\nViolets are blue\"}");
    f += expect(
        "str1 = \"The quick brown fox jumps over the lazy dog.\"\n"
        "str2 = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"\n"
        "str3 = \"\"\"\\\n       The quick brown \\\n       fox jumps over \\\n"
        "       the lazy dog.\\\n       \"\"\"\n",
        "{str1:\"The quick brown fox jumps over the lazy dog.\","
        "str2:\"The quick brown fox jumps over the lazy dog.\","
        "str3:\"The quick brown fox jumps over the lazy dog.\"}");
    f += expect("str4 = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\n"
                "str5 = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"\n"
                "str7 = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n",
                "{str4:\"Here are two quotation marks: \"\". Simple enough.\","
                "str5:\"Here are three quotation marks: \"\"\".\","
                "str7:\"\"This,\" she said, \"is just a pointless statement.\"\"}");
    f += expect(
        "winpath  = 'C:\\Users\\nodejs\\templates'\nquoted   = 'Tom \"Dubs\" Preston-Werner'\n"
        "regex    = '<\\i\\c*\\s*>'\n",
        "{winpath:\"C:\\Users\\nodejs\\templates\",quoted:\"Tom \"Dubs\" Preston-Werner\","
        "regex:\"<\\i\\c*\\s*>\"}");
    f += expect("regex2 = '''I [dw]on't need \\d{2} apples'''\nlines  = '''\nThe first newline is\n"
                "trimmed in raw strings.\n'''\nquot15 = '''Here are fifteen quotation marks: "
                "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\napos15 = \"Here are fifteen apostrophes: "
                "'''''''''''''''\"\nstr = ''''That,' she said, 'is still pointless.''''\n",
                "{regex2:\"I [dw]on't need \\d{2} apples\",lines:\"The first newline is\ntrimmed "
                "in raw strings.\n\",quot15:\"Here are fifteen quotation marks: "
                "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\",apos15:\"Here are fifteen apostrophes: "
                "'''''''''''''''\",str:\"'That,' she said, 'is still pointless.'\"}");
    f += expect("s = \"\"\"a\r\nb\"\"\"\r\n", "{s:\"a\nb\"}");
    /* integers */
    f += expect("int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\nint5 = 1_000\nint6 = 5_349_221\n"
                "int7 = 53_49_221\nint8 = 1_2_3_4_5\n",
                "{int1:99,int2:42,int3:0,int4:-17,int5:1000,int6:5349221,int7:5349221,"
                "int8:12345}");
    f += expect("hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\noct1 = 0o01234567\n"
                "oct2 = 0o755\nbin1 = 0b11010110\n",
                "{hex1:3735928559,hex2:3735928559,hex3:3735928559,oct1:342391,oct2:493,"
                "bin1:214}");
    f += expect("max = 9223372036854775807\nmin = -9223372036854775808\n",
                "{max:9223372036854775807,min:-9223372036854775808}");
    /* floats */
    f += expect("flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\nflt4 = 5e+22\nflt5 = 1e06\n"
                "flt6 = -2E-2\nflt7 = 6.626e-34\nflt8 = 224_617.445_991_228\n",
                "{flt1:1,flt2:3.1415,flt3:-0.01,flt4:5e+22,flt5:1e+06,flt6:-0.02,"
                "flt7:6.626e-34,flt8:224617}");
    {
        struct stack_node *r = parse("sf1 = inf\nsf2 = +inf\nsf3 = -inf\nsf4 = nan\nsf5 = +nan\n"
                                     "sf6 = -nan\nz = -0.0\n");
        CHECK(isinf(stack_node_get(r, "sf1")->f) && stack_node_get(r, "sf1")->f > 0);
        CHECK(isinf(stack_node_get(r, "sf2")->f) && stack_node_get(r, "sf2")->f > 0);
        CHECK(isinf(stack_node_get(r, "sf3")->f) && stack_node_get(r, "sf3")->f < 0);
        CHECK(isnan(stack_node_get(r, "sf4")->f) && isnan(stack_node_get(r, "sf6")->f));
        CHECK(stack_node_get(r, "z")->kind == STACK_NODE_FLOAT &&
              signbit(stack_node_get(r, "z")->f));
        stack_node_free(r);
        r = parse("x = 224_617.445_991_228");
        CHECK(fabs(stack_node_get(r, "x")->f - 224617.445991228) < 1e-9);
        stack_node_free(r);
    }
    /* booleans, arrays */
    f += expect("bool1 = true\nbool2 = false\n", "{bool1:true,bool2:false}");
    f += expect("integers = [ 1, 2, 3 ]\ncolors = [ \"red\", \"yellow\", \"green\" ]\n"
                "nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\n"
                "nested_mixed_array = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]\n"
                "string_array = [ \"all\", 'strings', \"\"\"are the same\"\"\", '''type''' ]\n"
                "numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\n"
                "contributors = [\n  \"Foo Bar <foo@example.com>\",\n"
                "  { name = \"Baz Qux\", email = \"bazqux@example.com\", url = "
                "\"https://example.com/bazqux\" }\n]\n"
                "integers2 = [\n  1, 2, 3\n]\nintegers3 = [\n  1,\n  2, # this is ok\n]\n",
                "{integers:[1,2,3],colors:[\"red\",\"yellow\",\"green\"],"
                "nested_arrays_of_ints:[[1,2],[3,4,5]],nested_mixed_array:[[1,2],[\"a\",\"b\","
                "\"c\"]],string_array:[\"all\",\"strings\",\"are the same\",\"type\"],"
                "numbers:[0.1,0.2,0.5,1,2,5],contributors:[\"Foo Bar <foo@example.com>\","
                "{name:\"Baz Qux\",email:\"bazqux@example.com\",url:\"https://example.com/"
                "bazqux\"}],integers2:[1,2,3],integers3:[1,2]}");
    /* tables */
    f += expect("[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n[table-2]\nkey1 = \"another "
                "string\"\nkey2 = 456\n",
                "{table-1:{key1:\"some string\",key2:123},table-2:{key1:\"another string\","
                "key2:456}}");
    f += expect("[dog.\"tater.man\"]\ntype.name = \"pug\"\n",
                "{dog:{tater.man:{type:{name:\"pug\"}}}}");
    f += expect("[a.b.c]            # this is best practice\n[ d.e.f ]          # same as "
                "[d.e.f]\n[ g .  h  . i ]    # same as [g.h.i]\n[ j . \"ʞ\" . 'l' ]  # same as "
                "[j.\"ʞ\".'l']\n",
                "{a:{b:{c:{}}},d:{e:{f:{}}},g:{h:{i:{}}},j:{ʞ:{l:{}}}}");
    f += expect("[x.y.z.w]\n[x]\n", "{x:{y:{z:{w:{}}}}}");
    f += expect("# Top-level table begins.\nname = \"Fido\"\nbreed = \"pug\"\n\n[owner]\nname = "
                "\"Regina Dogman\"\nmember_since = 1999\n",
                "{name:\"Fido\",breed:\"pug\",owner:{name:\"Regina Dogman\",member_since:1999}}");
    f += expect("[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n\n"
                "[fruit.apple.texture]  # you can add sub-tables\nsmooth = true\n",
                "{fruit:{apple:{color:\"red\",taste:{sweet:true},texture:{smooth:true}}}}");
    f += expect("[fruit.apple]\n[animal]\n[fruit.orange]\n",
                "{fruit:{apple:{},orange:{}},animal:{}}");
    /* inline tables */
    f += expect("name = { first = \"Tom\", last = \"Preston-Werner\" }\npoint = { x = 1, y = 2 }\n"
                "animal = { type.name = \"pug\" }\n",
                "{name:{first:\"Tom\",last:\"Preston-Werner\"},point:{x:1,y:2},"
                "animal:{type:{name:\"pug\"}}}");
    f += expect("e = {}\n", "{e:{}}");
    /* arrays of tables */
    f += expect("[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n[[products]]  # empty table "
                "within the array\n\n[[products]]\nname = \"Nail\"\nsku = 284758393\n\ncolor = "
                "\"gray\"\n",
                "{products:[{name:\"Hammer\",sku:738594937},{},{name:\"Nail\",sku:284758393,"
                "color:\"gray\"}]}");
    f +=
        expect("[[fruits]]\nname = \"apple\"\n\n[fruits.physical]  # subtable\ncolor = \"red\"\n"
               "shape = \"round\"\n\n[[fruits.varieties]]  # nested array of tables\nname = \"red "
               "delicious\"\n\n[[fruits.varieties]]\nname = \"granny smith\"\n\n\n[[fruits]]\nname "
               "= \"banana\"\n\n[[fruits.varieties]]\nname = \"plantain\"\n",
               "{fruits:[{name:\"apple\",physical:{color:\"red\",shape:\"round\"},varieties:["
               "{name:\"red delicious\"},{name:\"granny smith\"}]},{name:\"banana\",varieties:["
               "{name:\"plantain\"}]}]}");
    f += expect("points = [ { x = 1, y = 2, z = 3 },\n           { x = 7, y = 8, z = 9 },\n"
                "           { x = 2, y = 4, z = 8 } ]\n",
                "{points:[{x:1,y:2,z:3},{x:7,y:8,z:9},{x:2,y:4,z:8}]}");
    f += expect("\xEF\xBB\xBF# bom\r\na = 1\r\n", "{a:1}");
    f += expect("", "{}");

    /* invalid documents from the specification, with where they fail */
    f += refuse("key = # INVALID\n", "t.toml:1:7: expected a value");
    f += refuse("first = \"Tom\" last = \"Preston-Werner\" # INVALID\n", "1:15: expected the end");
    f += refuse("= \"no key name\"  # INVALID\n", "expected a key");
    f += refuse("\"\"\" = 1\n", "");
    f += refuse("name = \"Tom\"\nname = \"Pradyun\"\n", "2:1: duplicate key 'name'");
    f += refuse("spelling = \"favorite\"\n\"spelling\" = \"favourite\"\n", "duplicate key");
    f += refuse("fruit.apple = 1\nfruit.apple.smooth = true\n", "cannot add to 'fruit.apple'");
    f += refuse("[fruit]\napple = \"red\"\n\n[fruit]\norange = \"orange\"\n",
                "4:1: table 'fruit' is defined more than once");
    f += refuse("[fruit]\napple = \"red\"\n\n[fruit.apple]\ntexture = \"smooth\"\n",
                "table 'fruit.apple' is defined more than once");
    f += refuse("[fruit]\napple.color = \"red\"\n[fruit.apple]\n", "defined more than once");
    f += refuse("[product]\ntype = { name = \"Nail\" }\ntype.edible = false  # INVALID\n",
                "cannot add to 'type'");
    f += refuse("[product]\ntype.name = \"Nail\"\ntype = { edible = false }  # INVALID\n",
                "duplicate key 'type'");
    f += refuse("[[fruits]]\nname = \"apple\"\n[[fruits.varieties]]\nname = \"red delicious\"\n"
                "[fruits.varieties]\nname = \"granny smith\"\n",
                "5:1: table 'fruits.varieties' is defined more than once");
    f += refuse("[fruit.physical]\ncolor = \"red\"\n[[fruit]]\nname = \"apple\"\n",
                "not an array of tables");
    f += refuse("fruits = []\n[[fruits]] # Not allowed\n", "not an array of tables");
    f += refuse("[a]\nb = 1\n[a.b]\n", "defined more than once");
    f += refuse("a = { b = 1,\n c = 2 }\n", "inline tables are one line");
    f += refuse("a = { b = 1, }\n", "expected a key");
    f += refuse("int = 0123\n", "leading zeros");
    f += refuse("int = 1__2\n", "invalid number");
    f += refuse("int = _1\n", "invalid value");
    f += refuse("int = 1_\n", "invalid number");
    f += refuse("int = 0x\n", "invalid value");
    f += refuse("int = +0x10\n", "invalid");
    f += refuse("int = 9223372036854775808\n", "does not fit in 64 bits");
    f += refuse("int = 0xFFFFFFFFFFFFFFFF\n", "does not fit in 64 bits");
    f += refuse("invalid_float_1 = .7\n", "invalid value '.7'");
    f += refuse("invalid_float_2 = 7.\n", "invalid float");
    f += refuse("invalid_float_3 = 3.e+20\n", "invalid float");
    f += refuse("x = 1e\n", "exponent");
    f += refuse("b = True\n", "strings need quotes");
    f += refuse("s = \"abc\n", "1:9: newline in a single-line string");
    f += refuse("s = \"a\\qb\"\n", "invalid escape sequence \\q");
    f += refuse("s = \"\\uD800\"\n", "not a Unicode scalar value");
    f += refuse("s = \"\\u12\"\n", "4 hex digits");
    f += refuse("s = \"\"\"abc\"\"\"\"\"\"\n", "too many quotes");
    f += refuse("s = 'a\x01'\n", "control character 0x01");
    f += refuse("s = \"unterminated", "unterminated string");
    f += refuse("a = [1, 2\n", "unterminated array");
    f += refuse("a = [1 2]\n", "expected ',' or ']'");
    f += refuse("[a\nb = 1\n", "to close a table header");
    f += refuse("[[a]\n", "expected ']]'");
    f += refuse("odt1 = 1979-05-27T07:32:00Z\n", "dates and times ('1979-05-27T07:32:00Z') are not "
                                                 "supported");
    f += refuse("lt1 = 07:32:00\n", "dates and times");
    f += refuse("a = 1\rb = 2\n", "carriage return");
    f += refuse("a = \"\xff\"\n", "1:6: invalid UTF-8");
    f += refuse("a = \"\xed\xa0\x80\"\n", "invalid UTF-8");
    f += refuse("# c\x7f\n", "control character 0x7f in a comment");
    {
        char deep[600];
        memset(deep, '[', sizeof(deep));
        memcpy(deep, "a = ", 4);
        deep[sizeof(deep) - 1] = '\0';
        f += refuse(deep, "nested more than");
    }
    {
        hull_err *err = NULL;
        struct stack_node *r = NULL;
        CHECK_ERROR(stack_toml_parse("a = 1\0", 6, "t.toml", &r, &err), &err, "1:6: NUL byte");
    }
    /* positions of values, for the readers' errors */
    {
        struct stack_node *r = parse("\n[services.web]\nmemory = \"1G\"\n");
        struct stack_node *m =
            stack_node_get(stack_node_get(stack_node_get(r, "services"), "web"), "memory");
        CHECK(m && m->line == 3 && m->col == 10 && strcmp(m->file, "t.toml") == 0);
        stack_node_free(r);
    }
    if (f)
        fprintf(stderr, "%d failures\n", f);
    return f ? 1 : 0;
}
