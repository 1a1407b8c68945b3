/* test_tplcompile.c — the template compiler: exact generated Lua, line preservation, lexing of
 * strings and comments inside tags, trimming, blocks, layouts, and compile errors. */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tplcompile.h"
#include "util.h"

#define HEAD "local _ENV,__R=... local __b,__n,__e={},0,__R.esc "
#define FOOT " return __b"
#define APP ";__n=__n+1;__b[__n]="

/* Compiles text; returns the generated code (or NULL) and leaves any diagnostics in dl. */
static char *compile_n(const char *text, size_t len, diag_list *dl)
{
    buf_t out = BUF_INIT;
    bool ok = tpl_compile(text, len, "templates/t.html", &out, dl);
    if (!ok) {
        buf_free(&out);
        return NULL;
    }
    return buf_detach(&out);
}

static char *compile(const char *text, diag_list *dl)
{
    return compile_n(text, strlen(text), dl);
}

/* The generated code of text, which must compile without diagnostics. */
static void check_code(const char *text, const char *want, int line)
{
    diag_list dl = DIAG_LIST_INIT;
    char *got = compile(text, &dl);
    if (!got || dl.len != 0 || strcmp(got, want) != 0) {
        h_failed++;
        fprintf(stderr, "test_tplcompile.c:%d: compiling \"%s\"\n  got  \"%s\"\n  want \"%s\"\n",
                line, text, got ? got : "(failed)", want);
    } else {
        h_passed++;
    }
    free(got);
    diag_list_free(&dl);
}
#define CHECK_CODE(text, want) check_code(text, want, __LINE__)

/* text must fail with exactly one diagnostic: "templates/t.html:LINE:COL: error: MSG". */
static void check_error(const char *text, const char *want, int line)
{
    diag_list dl = DIAG_LIST_INIT;
    char *got = compile(text, &dl);
    buf_t b = BUF_INIT;
    if (dl.len) diag_format(&dl.items[0], &b);
    if (got || dl.len != 1 || strcmp(buf_cstr(&b), want) != 0) {
        h_failed++;
        fprintf(stderr, "test_tplcompile.c:%d: compiling \"%s\"\n  got  %s  (%zu diags)\n"
                        "  want %s\n", line, text, got ? "success\n" : buf_cstr(&b), dl.len, want);
    } else {
        h_passed++;
    }
    free(got);
    buf_free(&b);
    diag_list_free(&dl);
}
#define CHECK_ERROR(text, want) check_error(text, want, __LINE__)

/* Line n (1-based) of s, copied; caller frees. */
static char *line_at(const char *s, int n)
{
    for (int i = 1; i < n && s; i++) {
        s = strchr(s, '\n');
        if (s) s++;
    }
    if (!s) return xstrdup("");
    const char *e = strchr(s, '\n');
    return e ? xstrndup(s, (size_t)(e - s)) : xstrdup(s);
}

static void test_text(void)
{
    CHECK_CODE("", HEAD FOOT);
    CHECK_CODE("Hello", HEAD APP "\"Hello\"" FOOT);
    /* Lua's escapes are escaped; control bytes as three-digit escapes; UTF-8 as it is. */
    CHECK_CODE("a\\b\"c'd\te\rf", HEAD APP "\"a\\\\b\\\"c'd\\te\\rf\"" FOOT);
    CHECK_CODE("\x01\x7f" "1 \xc3\xa9", HEAD APP "\"\\001\\1271 \xc3\xa9\"" FOOT);
    CHECK_CODE("a\nb\n", HEAD APP "\"a\\nb\\n\"\n\n" FOOT);
    CHECK_CODE("x { y } {x}", HEAD APP "\"x { y } {x}\"" FOOT);
    CHECK_CODE("a{", HEAD APP "\"a{\"" FOOT);

    diag_list dl = DIAG_LIST_INIT;
    char *got = compile_n("a\0b", 3, &dl);
    CHECK_STR(got, HEAD APP "\"a\\000b\"" FOOT);
    free(got);
    diag_list_free(&dl);
}

static void test_tags(void)
{
    CHECK_CODE("a\n{{ x }}\nb", HEAD APP "\"a\\n\"\n" APP "__e( x );" APP "\"\\nb\"\n" FOOT);
    CHECK_CODE("{% for i=1,2 do %}x{% end %}",
               HEAD "; for i=1,2 do  " APP "\"x\"" "; end  " FOOT);
    CHECK_CODE("a{# {{ not code }} #}b", HEAD APP "\"a\"" APP "\"b\"" FOOT);
    CHECK_CODE("{##}", HEAD FOOT);
    /* a tag's code stays on the line it starts on, with its own line breaks */
    CHECK_CODE("{{\nx\n}}", HEAD APP "__e(\nx\n);" FOOT);
    CHECK_CODE("{{ }}", HEAD APP "__e( );" FOOT);
}

static void test_lexing(void)
{
    /* closers inside strings, long brackets and table constructors */
    CHECK_CODE("{% s = \"%}\" %}", HEAD "; s = \"%}\"  " FOOT);
    CHECK_CODE("{% s = '%}\\'%}' %}", HEAD "; s = '%}\\'%}'  " FOOT);
    CHECK_CODE("{{ [[}}]] }}", HEAD APP "__e( [[}}]] );" FOOT);
    CHECK_CODE("{{ [==[ ]] }} ]=] ]==] }}", HEAD APP "__e( [==[ ]] }} ]=] ]==] );" FOOT);
    CHECK_CODE("{{ {{1}} }}", HEAD APP "__e( {{1}} );" FOOT);
    CHECK_CODE("{{ t[ [[k]] ] }}", HEAD APP "__e( t[ [[k]] ] );" FOOT);
    /* a string with \z runs on past its line break */
    CHECK_CODE("{{ \"a\\z\n  }}\" }}", HEAD APP "__e( \"a\\z\n  }}\" );" FOOT);
    /* comments are dropped; a line comment ends at the closer; long comments keep lines */
    CHECK_CODE("{% x = 1 -- note %}", HEAD "; x = 1  " FOOT);
    CHECK_CODE("{% x = 1 -- don't %}", HEAD "; x = 1  " FOOT);
    CHECK_CODE("{% a = 1 -- c\nb = 2 %}", HEAD "; a = 1 \nb = 2  " FOOT);
    CHECK_CODE("{% a = 1 --[[ %}\n]] b = 2 %}", HEAD "; a = 1  \n b = 2  " FOOT);
    CHECK_CODE("{% a = 1 --[==[ ]] %} ]==] %}", HEAD "; a = 1    " FOOT);
    CHECK_CODE("{{ x -- the x }}", HEAD APP "__e( x );" FOOT);
    CHECK_CODE("{{ a--[[c]]b }}", HEAD APP "__e( a b );" FOOT);
    /* "--" inside strings is not a comment */
    CHECK_CODE("{% s = \"a--b\" %}", HEAD "; s = \"a--b\"  " FOOT);
    CHECK_CODE("{% s = [[--]] %}", HEAD "; s = [[--]]  " FOOT);
    /* CRLF inside code counts as one line break, as Lua counts it */
    CHECK_CODE("{%\r\nx = 1\r\n%}", HEAD ";\nx = 1\n " FOOT);
    CHECK_CODE("a\r\n{{ x }}", HEAD APP "\"a\\r\\n\"\n" APP "__e( x );" FOOT);
}

static void test_trimming(void)
{
    CHECK_CODE("a \n{{- x -}}\n b", HEAD APP "\"a\"\n" APP "__e( x );\n" APP "\"b\"" FOOT);
    CHECK_CODE("a\t\r\n {%- s -%} \t\nb", HEAD APP "\"a\"\n" "; s  \n" APP "\"b\"" FOOT);
    CHECK_CODE("a {#- c -#} b", HEAD APP "\"a\"" APP "\"b\"" FOOT);
    /* trimmed text that started on an earlier line moves the next code to its own line */
    CHECK_CODE("\n\n  {%- x = 1 %}", HEAD "\n\n; x = 1  " FOOT);
    CHECK_CODE("{{- x }}", HEAD APP "__e( x );" FOOT);
    CHECK_CODE("{{-1}}", HEAD APP "__e(1);" FOOT);
    CHECK_CODE("{{-}}", HEAD APP "__e();" FOOT);
    CHECK_CODE("x {{ 1 -}}\n", HEAD APP "\"x \"" APP "__e( 1 );\n" FOOT);
}

static void test_layout_and_blocks(void)
{
    CHECK_CODE("{% layout \"base\" %}", HEAD " ;__R.layout( \"base\" ,1);" FOOT);
    CHECK_CODE("\n\n{%layout('base')%}", HEAD APP "\"\\n\\n\"\n\n;__R.layout(('base'),3);" FOOT);
    CHECK_CODE("{%layout [[b]]%}", HEAD ";__R.layout( [[b]],1);" FOOT);
    CHECK_CODE("{%\nlayout \"b\" %}", HEAD "\n;__R.layout( \"b\" ,2);" FOOT);
    /* other uses of the word stay Lua */
    CHECK_CODE("{% layout_x = 1 %}", HEAD "; layout_x = 1  " FOOT);
    CHECK_CODE("{% layout = 1 %}", HEAD "; layout = 1  " FOOT);
    CHECK_CODE("{% block title %}T{% endblock %}",
               HEAD APP "__R.block(\"title\",function() local __b,__n={},0 " APP "\"T\""
                    " return __b end);" FOOT);
    CHECK_CODE("{% block 'a.b-c' %}{% endblock a.b-c %}",
               HEAD APP "__R.block(\"a.b-c\",function() local __b,__n={},0  return __b end);"
                    FOOT);
    CHECK_CODE("{% block\na %}\n{% endblock %}",
               HEAD APP "__R.block(\"a\",function() local __b,__n={},0 \n" APP "\"\\n\"\n"
                    " return __b end);" FOOT);
    CHECK_CODE("{% blocky = 1 %}", HEAD "; blocky = 1  " FOOT);
    CHECK_CODE("{% block = 1 %}", HEAD "; block = 1  " FOOT);
}

static void test_errors(void)
{
    CHECK_ERROR("a\nb {{ x", "templates/t.html:2:3: error: unclosed '{{' (expected '}}')\n");
    CHECK_ERROR("{% x", "templates/t.html:1:1: error: unclosed '{%' (expected '%}')\n");
    CHECK_ERROR("ab\n\n  {# x", "templates/t.html:3:3: error: unclosed '{#' (expected '#}')\n");
    CHECK_ERROR("{{", "templates/t.html:1:1: error: unclosed '{{' (expected '}}')\n");
    CHECK_ERROR("{{-", "templates/t.html:1:1: error: unclosed '{{' (expected '}}')\n");
    /* a closer inside an unclosed long string or comment does not count */
    CHECK_ERROR("{% x = [[ %}", "templates/t.html:1:1: error: unclosed '{%' (expected '%}')\n");
    CHECK_ERROR("{% --[[ %}", "templates/t.html:1:1: error: unclosed '{%' (expected '%}')\n");
    CHECK_ERROR("{{ {1 }}", "templates/t.html:1:1: error: unclosed '{{' (expected '}}')\n");
    CHECK_ERROR("x\n{% endblock %}",
                "templates/t.html:2:1: error: 'endblock' without a matching 'block'\n");
    CHECK_ERROR("\n  {% block a %}x",
                "templates/t.html:2:3: error: block 'a' is never closed "
                "(expected '{% endblock %}')\n");
    CHECK_ERROR("{% block a %}{% block b %}{% endblock %}",
                "templates/t.html:1:1: error: block 'a' is never closed "
                "(expected '{% endblock %}')\n");
    CHECK_ERROR("{% block a %}{% endblock b %}",
                "templates/t.html:1:14: error: 'endblock b' closes block 'a'\n");
    CHECK_ERROR("{% block %}", "templates/t.html:1:1: error: expected a block name after "
                               "'block'\n");
    CHECK_ERROR("{% block a %}{{ x", "templates/t.html:1:14: error: unclosed '{{' "
                                     "(expected '}}')\n");
}

/* Every template line break is one generated line break, and code stays on its line. */
static void test_line_preservation(void)
{
    const char *text = "<h1>{{ v1 }}</h1>\n"
                       "{# a\ncomment #} {% v3 = 1 %}\n"
                       "{%- for i = 1, 2 do\n"
                       "  v5 = i -- c\n"
                       "end -%}\n"
                       "text\n\n"
                       "{{ v9\n"
                       "  .. v10 }} {% --[[ long\n\n"
                       "comment ]] v13 = 1 %}\n"
                       "{% layout \"v14\" %}{% block v14b %}\r\n"
                       "{{ v15 }}{% endblock %}\n";
    diag_list dl = DIAG_LIST_INIT;
    char *code = compile(text, &dl);
    CHECK(code != NULL);
    if (!code) return;
    CHECK_INT(count_newlines(code, code + strlen(code)),
              count_newlines(text, text + strlen(text)));
    static const struct { int line; const char *needle; } at[] = {
        {1, "__e( v1 )"}, {3, "v3 = 1"}, {4, "for i = 1, 2 do"}, {5, "v5 = i"}, {6, "end"},
        {9, "__e( v9"}, {10, ".. v10 )"}, {12, "v13 = 1"}, {13, "__R.layout( \"v14\" ,13)"},
        {13, "__R.block(\"v14b\""}, {14, "__e( v15 )"}, {14, "return __b end)"}};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        char *l = line_at(code, at[i].line);
        if (strstr(l, at[i].needle)) h_passed++;
        else {
            h_failed++;
            fprintf(stderr, "test_tplcompile.c: line %d is \"%s\", expected it to hold \"%s\"\n",
                    at[i].line, l, at[i].needle);
        }
        free(l);
    }
    CHECK(strstr(code, "-- c") == NULL);
    CHECK(strstr(code, "long") == NULL);
    free(code);
    diag_list_free(&dl);
}

/* The generated code is valid Lua, and Lua's errors name the template's line. */
static void test_loads_in_lua(void)
{
    lua_State *L = luaL_newstate();
    static const struct { const char *text; const char *err; } cases[] = {
        {"a {{ x }} b {% for i = 1, 3 do %}{{ i }}{% end %}", NULL},
        {"{% if a then %}x{% elseif b then %}y{% else %}z{% end %}", NULL},
        {"{% layout 'b' %}{% block t %}{% block u %}{% endblock %}{% endblock %}", NULL},
        {"{% local function f() return 1 end %}{{ f() }}{# c #}", NULL},
        {"{% f() %}{% (g)() %}", NULL},
        {"a\n\n{% for i = 1, 2 do %}\n", "templates/t.html:4: 'end' expected (to close 'for' "
                                         "at line 3) near <eof>"},
        {"a\n{% end %}", "templates/t.html:2: <eof> expected near 'end'"},
        {"{{ \"abc }}\n x }}", "templates/t.html:1: unfinished string near '\"abc }}'"},
        {"\n\n{{ 1 + }}", "templates/t.html:3: unexpected symbol near ')'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        diag_list dl = DIAG_LIST_INIT;
        char *code = compile(cases[i].text, &dl);
        CHECK(code != NULL);
        if (!code) continue;
        int status = luaL_loadbufferx(L, code, strlen(code), "@templates/t.html", "t");
        if (!cases[i].err) {
            CHECK_INT(status, LUA_OK);
            if (status != LUA_OK) fprintf(stderr, "  %s\n", lua_tostring(L, -1));
        } else {
            CHECK_INT(status, LUA_ERRSYNTAX);
            CHECK_STR(lua_tostring(L, -1), cases[i].err);
        }
        lua_settop(L, 0);
        free(code);
        diag_list_free(&dl);
    }
    lua_close(L);
}

/* Arbitrary input never crashes the compiler; when it compiles, the line count holds, and
 * Lua's errors (if any) point inside the template. */
static void test_random_input(void)
{
    static const char alphabet[] = "{}%#-[]='\"\\\n\r ax()z";
    lua_State *L = luaL_newstate();
    unsigned seed = 12345;
    int compiled = 0, bad_lines = 0, bad_errors = 0;
    for (int round = 0; round < 4000; round++) {
        char text[64];
        size_t n = (size_t)(round % 60);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            text[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        diag_list dl = DIAG_LIST_INIT;
        char *code = compile_n(text, n, &dl);
        if (code) {
            compiled++;
            size_t lines = count_newlines(text, text + n) + 1;
            if (count_newlines(code, code + strlen(code)) + 1 != lines) bad_lines++;
            if (luaL_loadbufferx(L, code, strlen(code), "@t", "t") != LUA_OK) {
                const char *m = lua_tostring(L, -1);
                long line = m && strncmp(m, "t:", 2) == 0 ? strtol(m + 2, NULL, 10) : 0;
                if (line < 1 || (size_t)line > lines) bad_errors++;
            }
            lua_settop(L, 0);
        } else if (dl.len != 1) {
            bad_errors++;
        }
        free(code);
        diag_list_free(&dl);
    }
    CHECK(compiled > 100);
    CHECK_INT(bad_lines, 0);
    CHECK_INT(bad_errors, 0);
    lua_close(L);
}

int main(void)
{
    test_text();
    test_tags();
    test_lexing();
    test_trimming();
    test_layout_and_blocks();
    test_errors();
    test_line_preservation();
    test_loads_in_lua();
    test_random_input();
    return harness_done();
}
