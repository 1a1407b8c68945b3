/* test_template.c — the template runtime: the sandbox refuses every escape it is asked for,
 * limits stop runaway templates with errors naming the line, the engine stays usable after
 * errors, and the C API (safe strings, freezing, globals, caching) behaves as documented. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "template.h"
#include "util.h"

#define MAX_TEMPLATES 64

typedef struct store {
    char *names[MAX_TEMPLATES], *paths[MAX_TEMPLATES], *texts[MAX_TEMPLATES];
    int n;
    int lookups; /* how often lookup was called */
} store;

static void store_add(store *s, const char *name, const char *text)
{
    if (s->n == MAX_TEMPLATES) abort();
    s->names[s->n] = xstrdup(name);
    s->paths[s->n] = xasprintf("templates/%s", name);
    s->texts[s->n] = xstrdup(text);
    s->n++;
}

static void store_free(store *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->names[i]);
        free(s->paths[i]);
        free(s->texts[i]);
    }
    s->n = 0;
}

static bool lookup(void *ud, const char *name, tpl_source *out)
{
    store *s = ud;
    s->lookups++;
    for (int i = s->n - 1; i >= 0; i--) {
        if (strcmp(s->names[i], name) != 0) continue;
        *out = (tpl_source){s->texts[i], strlen(s->texts[i]), s->paths[i]};
        return true;
    }
    return false;
}

/* Pushes {page = frozen {title = "T <&>", tags = {"a", "b"}}}. */
static void push_ctx(lua_State *L)
{
    lua_newtable(L);
    lua_newtable(L);
    lua_pushstring(L, "T <&>");
    lua_setfield(L, -2, "title");
    lua_newtable(L);
    lua_pushstring(L, "a");
    lua_rawseti(L, -2, 1);
    lua_pushstring(L, "b");
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, "tags");
    tpl_freeze(L, -1);
    lua_setfield(L, -2, "page");
}

/* Renders template name with the standard context; returns the output, or the formatted
 * diagnostics of a failure. Caller frees. Checks that the stack is left as it was. */
static char *render_name(tpl_engine *e, const char *name)
{
    lua_State *L = tpl_engine_state(e);
    buf_t out = BUF_INIT;
    diag_list dl = DIAG_LIST_INIT;
    int top = lua_gettop(L);
    push_ctx(L);
    bool ok = tpl_render(e, name, -1, "content/a.md", &out, &dl);
    lua_pop(L, 1);
    CHECK_INT(lua_gettop(L), top);
    CHECK(lua_gethook(L) == NULL);
    if (!ok) {
        buf_clear(&out);
        CHECK_INT(dl.len, 1);
        for (size_t i = 0; i < dl.len; i++) diag_format(&dl.items[i], &out);
        if (out.len) out.ptr[--out.len] = '\0'; /* the newline */
    }
    diag_list_free(&dl);
    return buf_detach(&out);
}

/* Adds text as a fresh template t<N>.html and renders it. */
static char *render(tpl_engine *e, store *s, const char *text)
{
    char name[32];
    snprintf(name, sizeof name, "t%d.html", s->n);
    store_add(s, name, text);
    return render_name(e, name);
}

static void expect(tpl_engine *e, store *s, const char *text, const char *want, int line)
{
    char *got = render(e, s, text);
    if (strcmp(got, want) == 0) h_passed++;
    else {
        h_failed++;
        fprintf(stderr, "test_template.c:%d: rendering %s\n  got  %s\n  want %s\n", line, text,
                got, want);
    }
    free(got);
}
#define EXPECT(text, want) expect(e, &s, text, want, __LINE__)

/* The error of rendering text, which becomes template t<N>.html, at line ln. */
static char *err_at(const store *s, int ln, const char *msg)
{
    return xasprintf("templates/t%d.html:%d: error: %s while rendering content/a.md", s->n, ln,
                     msg);
}
#define EXPECT_ERR(text, ln, msg)                                                              \
    do {                                                                                       \
        char *w_ = err_at(&s, ln, msg);                                                        \
        expect(e, &s, text, w_, __LINE__);                                                     \
        free(w_);                                                                              \
    } while (0)

static tpl_engine *new_engine(store *s, size_t memory, unsigned long instructions,
                              long long now)
{
    tpl_limits limits = {memory, instructions, now};
    return tpl_engine_new(lookup, s, &limits);
}

/* ----------------------------------------------------------------------------- escapes */

static void test_missing_globals(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 0, 0);
    static const char *const absent[] = {
        "io", "require", "package", "load", "loadstring", "dofile", "loadfile", "debug",
        "collectgarbage", "print", "pcall", "xpcall", "coroutine", "rawset", "_G", "warn",
        "os.execute", "os.getenv", "os.remove", "os.exit", "os.rename", "os.tmpname",
        "os.clock", "os.setlocale", "string.dump", "math.randomseed", "(\"\").dump"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        char *text = xasprintf("[{{ type(%s) }}]", absent[i]);
        EXPECT(text, "[nil]");
        free(text);
    }
    /* … and using them is a clear error at the template line */
    EXPECT_ERR("{% io.open('/etc/passwd') %}", 1, "attempt to index a nil value (global 'io')");
    EXPECT_ERR("\n{% os.execute('true') %}", 2, "attempt to call a nil value (field 'execute')");
    EXPECT_ERR("{% require('os') %}", 1, "attempt to call a nil value (global 'require')");
    EXPECT_ERR("{% load('return 1')() %}", 1, "attempt to call a nil value (global 'load')");
    EXPECT_ERR("{% dofile('/etc/passwd') %}", 1, "attempt to call a nil value (global 'dofile')");
    EXPECT_ERR("{% debug.getinfo(1) %}", 1, "attempt to index a nil value (global 'debug')");
    EXPECT_ERR("{% string.dump(function() end) %}", 1,
               "attempt to call a nil value (field 'dump')");
    EXPECT_ERR("{% collectgarbage('stop') %}", 1,
               "attempt to call a nil value (global 'collectgarbage')");
    EXPECT_ERR("{% rawset(page, 'title', 'x') %}", 1,
               "attempt to call a nil value (global 'rawset')");
    /* what is there works */
    EXPECT("{{ os.time() }} {{ string.format('%05.1f', 3.14159) }} {{ utf8.char(233) }} "
           "{{ math.floor(2.7) }} {{ table.concat({1, 2}, '+') }} {{ select('#', 1, 2) }} "
           "{{ tonumber('0x10') }} {{ rawequal(page, page) }} {{ rawlen({1}) }}",
           "0 003.1 \xc3\xa9 2 1+2 2 16 true 1");
    tpl_engine_free(e);
    store_free(&s);
}

static void test_string_metatable(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 0, 0);
    EXPECT("{{ getmetatable('') }}", "locked");
    EXPECT("[{{ getmetatable('').__index }}]", "[]");
    EXPECT("{{ ('x'):rep(3) }} {{ ('abc'):upper() }} {{ #('abc') }}", "xxx ABC 3");
    /* the methods strings reach are the frozen sandbox copy */
    EXPECT_ERR("{% ('').upper = nil %}", 1, "attempt to index a string value (constant '')");
    EXPECT_ERR("{% string.upper = function() return 'pwned' end %}", 1,
               "attempt to modify read-only data");
    EXPECT("{{ ('a'):upper() }}", "A");
    tpl_engine_free(e);
    store_free(&s);
}

static void test_read_only(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 0, 0);
    static const char *const writes[] = {
        "page.title = 'x'", "page.new = 1", "page.tags[1] = 'z'", "page.tags[3] = 'c'",
        "table.insert(page.tags, 'c')", "table.remove(page.tags)",
        "table.sort(page.tags, function(a, b) return a > b end)",
        "string.upper = nil", "string.x = 1", "table.insert = nil", "math.pi = 3",
        "utf8.char = nil", "os.time = nil", "os.date = nil"};
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        char *text = xasprintf("{%% %s %%}", writes[i]);
        EXPECT_ERR(text, 1, "attempt to modify read-only data");
        free(text);
    }
    /* metatables of frozen tables cannot be read or replaced */
    EXPECT("{{ getmetatable(page) }} {{ getmetatable(string) }} {{ getmetatable(_ENV) }}",
           "locked locked locked");
    EXPECT_ERR("{% setmetatable(page, nil) %}", 1, "cannot change a protected metatable");
    EXPECT_ERR("{% setmetatable(string, {}) %}", 1, "cannot change a protected metatable");
    EXPECT_ERR("{% setmetatable(_ENV, {}) %}", 1, "cannot change a protected metatable");
    /* the raw tables behind the proxies are out of reach */
    EXPECT("[{{ rawget(page, 'title') }}] {{ rawlen(page.tags) }}", "[] 0");
    EXPECT("{% local f, t = pairs(page) %}{{ rawequal(t, page) }}", "true");
    /* pairs visits keys sorted, through the proxy; next (raw order) is not there */
    EXPECT("{% for k, v in pairs(page) do %}{{ k }};{% end %}", "tags;title;");
    EXPECT("{% for k, v in pairs({b=1, a=2, [3]=0, [1]=0, c=3, [true]=1}) do %}{{ k }}{% end %}",
           "13abctrue");
    EXPECT_ERR("{{ next({}) }}", 1, "attempt to call a nil value (global 'next')");
    /* nothing changed for the next render */
    EXPECT("{{ page.title }} {{ #page.tags }} {{ math.pi > 3.14 }} {{ string.upper('a') }}",
           "T &lt;&amp;&gt; 2 true A");
    /* globals set by one render do not leak into the next */
    EXPECT("{% leak = 1 %}{{ leak }}", "1");
    EXPECT("[{{ leak }}]", "[]");
    tpl_engine_free(e);
    store_free(&s);
}

/* ----------------------------------------------------------------------------- limits */

static void test_instruction_limit(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 100000, 0);
    const char *msg = "template exceeded its instruction limit (100000 instructions; "
                      "an endless loop?)";
    EXPECT_ERR("a\nb\n{% while true do end %}", 3, msg);
    EXPECT_ERR("{% local function f() return f() end %}\n{{ f() }}", 1, msg);
    EXPECT_ERR("{% for i = 1, math.huge do\n local x = i * 2\nend %}", 2, msg);
    /* no pcall to swallow it, and __close handlers cannot outlive it */
    EXPECT_ERR("{% pcall(function() while true do end end) %}", 1,
               "attempt to call a nil value (global 'pcall')");
    EXPECT_ERR("{% do local x <close> = setmetatable({}, {__close = function()\n"
               "  while true do end end})\n while true do end end %}", 2, msg);
    /* no finalizers: they would run with the hook off */
    EXPECT_ERR("{% setmetatable({}, {__gc = function() while true do end end}) %}", 1,
               "templates may not set a '__gc' metamethod");
    /* the engine is still usable, and the budget is per render */
    EXPECT("{% for i = 1, 5000 do end %}ok", "ok");
    EXPECT("{% for i = 1, 5000 do end %}ok", "ok");
    tpl_engine_free(e);
    store_free(&s);

    tpl_engine *d = new_engine(&s, 0, 0, 0); /* the default: 200 million */
    store_add(&s, "loop.html", "{% for i = 1, 1e6 do end %}done");
    char *got = render_name(d, "loop.html");
    CHECK_STR(got, "done");
    free(got);
    tpl_engine_free(d);
    store_free(&s);
}

static void test_memory_limit(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 4u << 20, 0, 0);
    const char *msg = "template exceeded its memory limit (4 MiB)";
    EXPECT_ERR("a\n{% local s = string.rep('x', 8 * 1024 * 1024) %}", 2, msg);
    EXPECT_ERR("{% local s = 'x' %}\n{% while true do s = s .. s end %}", 2, msg);
    EXPECT_ERR("{% local t = {}\n for i = 1, 1e9 do t[i] = i end %}", 2, msg);
    EXPECT_ERR("{% local t = {}\n for i = 1, 1e9 do t[#t + 1] = {i} end %}", 2, msg);
    EXPECT_ERR("{% for i = 1, 1e9 do %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n{% end %}", 1, msg);
    EXPECT_ERR("{% local s = ('x'):rep(1000):rep(5000) %}", 1, msg);
    EXPECT_ERR("{% local t = {} for i = 1, 1e9 do t[i] = tostring(i) end %}", 1, msg);
    /* a render after it gets its full allowance again */
    EXPECT("{% local s = string.rep('x', 1536 * 1024) %}{{ #s }}", "1572864");
    EXPECT("{% local s = string.rep('x', 1536 * 1024) %}{{ #s }}", "1572864");
    tpl_engine_free(e);
    store_free(&s);

    tpl_engine *odd = new_engine(&s, 3000 * 1024 + 1, 0, 0);
    store_add(&s, "big.html", "{% local s = string.rep('x', 1e8) %}");
    char *got = render_name(odd, "big.html");
    CHECK_STR(got, "templates/big.html:1: error: template exceeded its memory limit "
                   "(3072001 bytes) while rendering content/a.md");
    free(got);
    tpl_engine_free(odd);
    store_free(&s);
}

/* ----------------------------------------------------------------------------- errors */

static void test_errors(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 0, 0);
    char *want;
    store_add(&s, "partials/self.html", "{{ partial('self') }}");
    store_add(&s, "partials/ping.html", "\n{{ partial('pong') }}");
    store_add(&s, "partials/pong.html", "{{ partial('ping') }}");
    store_add(&s, "partials/fail.html", "one\ntwo\n{{ page.x.y }}");
    char *got = render(e, &s, "{{ partial('self') }}");
    CHECK_STR(got, "templates/partials/self.html:1: error: partials nested deeper than 32: "
                   "partials/self.html → partials/self.html → partials/self.html → … "
                   "while rendering content/a.md");
    free(got);
    got = render(e, &s, "{{ partial('ping') }}");
    CHECK_STR(got, "templates/partials/pong.html:1: error: partials nested deeper than 32: "
                   "partials/ping.html → partials/pong.html → partials/ping.html → … "
                   "while rendering content/a.md");
    free(got);
    got = render(e, &s, "x\n{{ partial('fail') }}");
    CHECK_STR(got, "templates/partials/fail.html:3: error: attempt to index a nil value "
                   "(field 'x') while rendering content/a.md");
    free(got);
    EXPECT_ERR("a\n\n\n{{ page.author.name }}", 4,
               "attempt to index a nil value (field 'author')");
    EXPECT_ERR("{% error('x', 0) %}", 1, "x");
    EXPECT_ERR("\n{% error(42) %}", 2, "42");
    EXPECT_ERR("{% error(safe('<b>')) %}", 1, "<b>");
    EXPECT_ERR("{% error() %}", 1, "error object is a nil value");
    EXPECT_ERR("{% local function f() error('deep', 2) end %}\n\n{% f() %}", 3, "deep");
    EXPECT_ERR("{% __R.esc = nil %}", 1, "attempt to modify read-only data");
    /* found after the template ran: no line */
    got = render(e, &s, "{% __b[1] = {} %}");
    want = xasprintf("templates/t%d.html: error: template output holds a table value while "
                     "rendering content/a.md", s.n - 1);
    CHECK_STR(got, want);
    free(got);
    free(want);
    EXPECT_ERR("{{ partial() }}", 1, "bad argument #1 to 'partial' (string expected, got no "
                                     "value)");
    EXPECT_ERR("{{ partial('a', 1) }}", 1, "bad argument #2 to 'partial' (table expected, got "
                                           "number)");
    EXPECT_ERR("{{ partial('/etc/passwd') }}", 1, "bad template name '/etc/passwd'");
    EXPECT_ERR("{{ partial('a/../../x') }}", 1, "bad template name 'a/../../x'");
    EXPECT_ERR("{{ safe({}) }}", 1, "bad argument #1 to 'safe' (string expected, got table)");
    EXPECT_ERR("{{ safe('a') .. {} }}", 1, "attempt to concatenate a table value");
    EXPECT_ERR("{{ os.date('%Ez') }}", 1, "bad argument #1 to 'date' (invalid conversion "
                                          "specifier '%Ez')");
    EXPECT_ERR("{{ os.date('%') }}", 1, "bad argument #1 to 'date' (invalid conversion "
                                        "specifier '%')");
    EXPECT_ERR("{{ os.time({year = 2000}) }}", 1, "field 'month' missing in date table");
    /* after all that, rendering still works */
    EXPECT("{{ page.title }}", "T &lt;&amp;&gt;");
    tpl_engine_free(e);
    store_free(&s);
}

static void test_error_files(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 0, 0);
    /* a long path (Lua shortens chunk names past 60 characters) is reported in full */
    const char *name = "a/very/long/path/that/goes/on/and/on/past/sixty/characters/p.html";
    store_add(&s, name, "x\n{{ nil .. 1 }}");
    char *got = render_name(e, name);
    char *want = xasprintf("templates/%s:2: error: attempt to concatenate a nil value while "
                           "rendering content/a.md", name);
    CHECK_STR(got, want);
    free(got);
    free(want);

    /* a missing top-level template, and no "what" */
    buf_t out = BUF_INIT;
    diag_list dl = DIAG_LIST_INIT;
    lua_State *L = tpl_engine_state(e);
    push_ctx(L);
    CHECK(!tpl_render(e, "nope.html", -1, "content/b.md", &out, &dl));
    store_add(&s, "bad.html", "\n{{ x.y }}");
    CHECK(!tpl_render(e, "bad.html", -1, NULL, &out, &dl));
    lua_pop(L, 1);
    CHECK_INT(dl.len, 2);
    if (dl.len == 2) {
        CHECK_STR(dl.items[0].file, "content/b.md");
        CHECK_INT(dl.items[0].line, 0);
        CHECK_STR(dl.items[0].message, "no template named nope.html");
        CHECK_STR(dl.items[1].file, "templates/bad.html");
        CHECK_INT(dl.items[1].line, 2);
        CHECK_INT(dl.items[1].col, 0);
        CHECK_STR(dl.items[1].message, "attempt to index a nil value (global 'x')");
    }
    CHECK_INT(out.len, 0);
    buf_free(&out);
    diag_list_free(&dl);
    tpl_engine_free(e);
    store_free(&s);
}

/* A template that fails to compile is compiled once; every render reports the error. */
static void test_compile_errors(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 0, 0);
    store_add(&s, "bad.html", "a\n{% if x then %}\n");
    store_add(&s, "open.html", "a\n  {{ x");
    for (int i = 0; i < 3; i++) {
        char *got = render_name(e, "bad.html");
        CHECK_STR(got, "templates/bad.html:3: error: 'end' expected (to close 'if' at line 2) "
                       "near <eof>");
        free(got);
        got = render_name(e, "open.html");
        CHECK_STR(got, "templates/open.html:2:3: error: unclosed '{{' (expected '}}')");
        free(got);
    }
    int lookups = s.lookups; /* looked up (and compiled) on first use only */
    char *again = render_name(e, "bad.html");
    free(again);
    CHECK_INT(s.lookups, lookups);
    store_add(&s, "good.html", "{{ 1 + 1 }}");
    for (int i = 0; i < 5; i++) {
        char *got = render_name(e, "good.html");
        CHECK_STR(got, "2");
        free(got);
        if (i == 0) lookups = s.lookups;
    }
    CHECK_INT(s.lookups, lookups);
    CHECK(tpl_exists(e, "good.html"));
    CHECK(!tpl_exists(e, "missing.html"));
    tpl_engine_free(e);
    store_free(&s);
}

/* ----------------------------------------------------------------------------- determinism */

static void test_determinism(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 0, 1700000000);
    EXPECT("{{ os.date('%Y-%m-%d %H:%M:%S') }} {{ os.date('!%c') }} {{ os.time() }}",
           "2023-11-14 22:13:20 Tue Nov 14 22:13:20 2023 1700000000");
    EXPECT("{{ os.date('%d.%m.%Y %j %a %A %b %B %p %y %%', 951782400) }}",
           "29.02.2000 060 Tue Tuesday Feb February AM 00 %");
    EXPECT("{{ os.date('*t').hour }} {{ os.date('*t').isdst }} {{ os.date('*t').yday }}",
           "22 false 318");
    EXPECT("{{ os.time({year = 1970, month = 1, day = 1, hour = 0}) }} "
           "{{ os.time({year = 2024, month = 2, day = 30, hour = 0}) }} "
           "{{ os.time({year = 1969, month = 12, day = 31, hour = 23, min = 59, sec = 59}) }}",
           "0 1709251200 -1");
    store_add(&s, "rand.html", "{{ math.random(1, 1000000) }} {{ math.random() < 1 }}");
    char *a = render_name(e, "rand.html"), *b = render_name(e, "rand.html");
    CHECK_STR(a, b);
    free(a);
    free(b);
    tpl_engine_free(e);

    tpl_engine *epoch = new_engine(&s, 0, 0, 0);
    char *c = render_name(epoch, "rand.html");
    store_add(&s, "date.html", "{{ os.date('%Y-%m-%d') }}");
    char *d = render_name(epoch, "date.html");
    CHECK_STR(d, "1970-01-01");
    free(d);
    tpl_engine_free(epoch);
    /* and the same in a fresh engine */
    tpl_engine *again = new_engine(&s, 0, 0, 0);
    d = render_name(again, "rand.html");
    CHECK_STR(c, d);
    free(c);
    free(d);
    tpl_engine_free(again);
    store_free(&s);
}

/* ----------------------------------------------------------------------------- C API */

static int helper_render(lua_State *L);
static tpl_engine *helper_engine;

static void test_api(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 0, 0);
    lua_State *L = tpl_engine_state(e);
    int top = lua_gettop(L);

    tpl_push_safe(L, "<b>\0x", 5);
    size_t n = 0;
    const char *p = tpl_to_safe(L, -1, &n);
    CHECK(p != NULL && n == 5 && memcmp(p, "<b>\0x", 5) == 0);
    lua_pushstring(L, "<b>");
    CHECK(tpl_to_safe(L, -1, &n) == NULL);
    lua_pushinteger(L, 1);
    CHECK(tpl_to_safe(L, -1, NULL) == NULL);
    lua_pop(L, 3);
    CHECK_INT(lua_gettop(L), top);

    /* freezing: cycles, shared tables, safe strings inside, long chains */
    lua_newtable(L);                 /* stack: t */
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "self");
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "a");
    lua_setfield(L, -2, "b");        /* t.a == t.b */
    tpl_push_safe(L, "<i>", 3);
    lua_setfield(L, -2, "html");
    lua_newtable(L);                 /* a chain of 200000 nested tables */
    for (int i = 0; i < 200000; i++) {
        lua_newtable(L);
        lua_insert(L, -2);
        lua_setfield(L, -2, "next");
    }
    lua_setfield(L, -2, "chain");
    tpl_freeze(L, -1);
    tpl_freeze(L, -1);               /* freezing twice is harmless */
    tpl_engine_set_global(e, "data");
    CHECK_INT(lua_gettop(L), top);
    EXPECT("{{ rawequal(data.self, data) }} {{ rawequal(data.a, data.b) }} {{ data.html }} "
           "{{ data.self.self.html }}", "true true <i> <i>");
    EXPECT_ERR("{% data.self.x = 1 %}", 1, "attempt to modify read-only data");
    EXPECT_ERR("{% data.chain.next.next.next.x = 1 %}", 1, "attempt to modify read-only data");
    EXPECT("{% local n, t = 0, data.chain while t.next do n = n + 1 t = t.next end %}{{ n }}",
           "200000");

    /* a context with a metatable of its own (here: frozen) still works */
    buf_t out = BUF_INIT;
    diag_list dl = DIAG_LIST_INIT;
    store_add(&s, "ctx.html", "{{ page.title }} {{ data.html }} {{ type(os) }}");
    push_ctx(L);
    tpl_freeze(L, -1);
    CHECK(tpl_render(e, "ctx.html", -1, "x", &out, &dl));
    CHECK(tpl_render(e, "ctx.html", lua_gettop(L), "x", &out, &dl));
    lua_pop(L, 1);
    CHECK_STR(buf_cstr(&out), "T &lt;&amp;&gt; <i> tableT &lt;&amp;&gt; <i> table");
    CHECK_INT(dl.len, 0);

    /* a render cannot start inside another one */
    helper_engine = e;
    lua_pushcfunction(L, helper_render);
    tpl_engine_set_global(e, "nested");
    EXPECT("{{ nested() }}", "refused");
    buf_free(&out);
    diag_list_free(&dl);
    tpl_engine_free(e);
    tpl_engine_free(NULL);
    store_free(&s);
}

static int helper_render(lua_State *L)
{
    buf_t out = BUF_INIT;
    diag_list dl = DIAG_LIST_INIT;
    lua_newtable(L);
    bool ok = tpl_render(helper_engine, "ctx.html", -1, "inner", &out, &dl);
    lua_pushstring(L, !ok && dl.len == 1 && strstr(dl.items[0].message, "inside another")
                          ? "refused" : "ran");
    buf_free(&out);
    diag_list_free(&dl);
    return 1;
}

/* ----------------------------------------------------------------------------- patterns */

/* Lua source of ser(...): how many values, then each as type:value. It starts every snippet
 * run below, in the sandbox and in a stock state alike, on line 1 of both. */
#define SER                                                                                    \
    "local function ser(...) local t = {tostring(select('#', ...))} "                           \
    "for i = 1, select('#', ...) do local v = select(i, ...) "                                  \
    "t[#t + 1] = type(v) .. ':' .. tostring(v) end return table.concat(t, ' ') end "

/* What stock Lua 5.4 (its own string library, in a plain state) makes of expr: ser(expr), or
 * the error message without its "stock:1: " prefix, and then *failed is set. Caller frees. */
static char *stock_result(const char *expr, bool *failed)
{
    lua_State *L = luaL_newstate();
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    lua_pop(L, 4);
    char *code = xasprintf(SER "return ser(%s)", expr);
    int status = luaL_loadbufferx(L, code, strlen(code), "=stock", "t");
    if (status == LUA_OK) status = lua_pcall(L, 0, 1, 0);
    const char *msg = lua_tostring(L, -1);
    if (status != LUA_OK && msg && str_starts_with(msg, "stock:1: ")) msg += 9;
    char *got = xstrdup(msg ? msg : "?");
    *failed = status != LUA_OK;
    free(code);
    lua_close(L);
    return got;
}

/* Renders ser(expr) in the sandbox and checks it against stock Lua: the same values, or the
 * same error message (as a diagnostic at line 1). */
static void same_as_stock(tpl_engine *e, store *s, const char *expr, int line)
{
    bool failed;
    char *stock = stock_result(expr, &failed);
    char *want = failed ? err_at(s, 1, stock) : xstrdup(stock);
    char *text = xasprintf("{%% " SER " %%}{{ safe(ser(%s)) }}", expr);
    expect(e, s, text, want, line);
    free(text);
    free(want);
    free(stock);
}
#define SAME(expr) same_as_stock(e, &s, expr, __LINE__)

/* The copy of Lua's matcher gives what stock Lua gives, errors included. */
static void test_patterns_like_stock(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 0, 0);
    /* the comparison itself is real: a few outputs spelled out */
    bool failed;
    char *known = stock_result("('hello world'):find('o w')", &failed);
    CHECK_STR(known, "2 number:5 number:7");
    CHECK(!failed);
    free(known);
    known = stock_result("('x'):find('%')", &failed);
    CHECK_STR(known, "malformed pattern (ends with '%')");
    CHECK(failed);
    free(known);
    EXPECT("{{ ('hello world'):find('o w') }} {{ ('k=v'):match('(%w)=(%w)') }}", "5 k");
    static const char *const exprs[] = {
        /* anchors */
        "string.find('hello world', '^hello')", "('hello'):find('^ello')",
        "('hello'):match('o$')", "('a$b'):find('$b')", "('a^b'):find('a^b')",
        "('^x'):gsub('^^', 'y')", "('aaa'):gsub('^a', 'b')", "('x$'):match('.$')",
        "(''):find('^$')", "(''):match('^')",
        /* captures, position captures, back-references */
        "('key = value'):match('(%w+)%s*=%s*(%w+)')", "('abc'):match('((a)(b))')",
        "('hello'):find('(l)(l)')", "('hello'):match('()ll()')", "('hello'):find('()')",
        "('say \"hi\" now'):match('([\"\\'])(.-)%1')", "('abcabc'):find('(abc)%1')",
        "('abcabd'):find('(ab).%1d')", "('aXbXc'):match('^(.-)X(.*)$')",
        /* %b and %f */
        "('f(a(b)c)d'):match('%b()')", "('((x)'):find('%b()')", "('[[]]'):match('%b[]')",
        "('THE (quick) fox'):gsub('%f[%a]%a+', 'X')", "('hello world'):find('%f[%w]%w+', 2)",
        "('THE (quick) fox'):find('%f[%l]')", "('x'):find('%f[%z]')",
        /* classes and sets */
        "('a1 B2_c3!'):gsub('%W', '.')", "('a b\\tc\\n'):gsub('%s', '_')",
        "('\\0a\\0'):gsub('%z', 'Z')", "('a b\\tc'):gsub('%g', '')", "('[x]'):find('[]]')",
        "('a-b'):match('[a%-]+')", "('abcxyz'):gsub('[a-c]', '')", "('a.b'):gsub('[^%a]', '')",
        "('x-y'):match('[%a-]+')", "('h\\195\\169llo'):gsub('[\\128-\\255]+', '?')",
        "('AbC'):gsub('%u', '%%')", "('12ab'):match('^%d+%x*')", "('a,b;c'):gsub('%p', ' ')",
        "('\\1\\2x'):gsub('%c', '')", "('a]b'):match('[]]')", "('^'):find('[%^]')",
        "('a.b'):find('%.')", "('a+b'):match('a%+b')",
        /* repetitions */
        "('aaab'):match('a-b')", "('aaab'):match('a*')", "('aaab'):match('a+')",
        "('b'):match('a?b')", "('xaaay'):find('a+', 3)", "('hello'):gsub('l*', 'x')",
        "('abc'):gsub('', '-')", "('abc'):gsub('.-', '-')", "('<a><b>'):match('<(.-)>')",
        "('<a><b>'):match('<(.*)>')",
        /* init arguments and negative indexes */
        "('abc'):find('b', -1)", "('abc'):find('b', -2)", "('abc'):find('', 10)",
        "('abc'):find('', 4)", "('abc'):find('c', -10)", "('abc'):match('.', 0)",
        "('hello'):match('l+', -2)", "('abc'):find('b', 3)", "('abc'):match('()', 4)",
        "('abc'):match('()', 5)", "('abc'):find('^b', 2)", "('abc'):find('b', math.mininteger)",
        "('abc'):find('b', math.maxinteger)",
        /* plain finds */
        "('a.b'):find('.', 1, true)", "('a+b'):find('+', 1, true)", "('a\\0b'):find('\\0b')",
        "('a.b'):find('.', 1, false)", "('abc'):find('', 2, true)", "('abab'):find('ab', 2)",
        "('aaa'):find('aab', 1, true)",
        /* gsub replacements: strings, tables, functions, counts */
        "('hello world'):gsub('(o)', '[%1%0%%]')", "('aaa'):gsub('a', 'b', 2)",
        "('aaa'):gsub('a', 'b', 0)", "('aaa'):gsub('a', 'b', -1)",
        "('$name is $age'):gsub('%$(%w+)', {name = 'Ann', age = 3})",
        "('a b'):gsub('%w', {a = false})", "('a b'):gsub('(%w)(%w*)', {})",
        "('abc'):gsub('%w', function(c) return c:upper() .. '.' end)",
        "('abc'):gsub('%w', function() end)", "('abc'):gsub('(%w)()', function(c, p) return p end)",
        "('abc'):gsub('()', '%1')", "('abc'):gsub('b', 5)", "string.gsub(123, 2, 9)",
        "string.find(12345, 34)", "('abc'):gsub('(b)', '%0%1')", "('x'):gsub('x', '%%%%')",
        /* gmatch: iteration, anchors, init */
        "(function() local r = {} for k, v in ('a=1, b=2'):gmatch('(%w+)=(%w+)') do "
        "r[#r + 1] = k .. v end return table.concat(r, ',') end)()",
        "(function() local r = {} for a in ('^a^a'):gmatch('^a') do r[#r + 1] = a end "
        "return table.concat(r, ',') end)()",
        "(function() local r = {} for a in ('abcabc'):gmatch('b', 3) do r[#r + 1] = a end "
        "return #r end)()",
        "(function() local r = {} for a in ('abcabc'):gmatch('()b', -2) do r[#r + 1] = a end "
        "return table.concat(r, ',') end)()",
        "(function() local n = 0 for a in ('abc'):gmatch('.', 10) do n = n + 1 end "
        "return n end)()",
        "(function() local r = {} for p in ('abc'):gmatch('()') do r[#r + 1] = p end "
        "return table.concat(r, ',') end)()",
        "(function() local r = {} for w in ('one two  three'):gmatch('%a*') do "
        "r[#r + 1] = '[' .. w .. ']' end return table.concat(r) end)()",
        /* malformed patterns and bad arguments: the same messages */
        "('x'):find('%')", "('x'):find('[a-')", "('x'):find('[')", "('x'):find('[^')",
        "('x'):find('%b')", "('x'):find('%bx')", "('x'):find('%f')", "('x'):find('%fx')",
        "('x'):find('(')", "('x'):find(')')", "('x'):find('%1')", "('x'):match('(x)%2')",
        "('xx'):find('(x)(%1)')", "('x'):gsub('(', '')", "('abc'):gsub('%w', '%2')",
        "('abc'):gsub('(%w)', '%2')", "('abc'):gsub('%w', '%x')",
        "('abc'):gsub('%w', {a = {}})", "('abc'):gsub('%w', function() return true end)",
        "('abc'):gsub('%w')", "('abc'):gsub('%w', true)", "string.find(nil, 'x')",
        "string.find('x', {})", "('x'):find()", "string.find('abc', 'b', 1.5)",
        "string.gsub('abc', 'b', 'x', 'y')", "string.gmatch('x')", "string.match()",
        "('abc'):gsub('%w', string.find)", "('a'):rep(40):find(('()'):rep(33))",
        "('x'):rep(250):find(('x?'):rep(250))", "('x'):rep(180):find(('x?'):rep(180))",
        "(function() for a in ('x'):gmatch('%') do end end)()", "('x'):match(')')",
        "('x'):find('.)')", "('abc'):gsub('%w', '%1')", "('abc'):gsub('%w', '%0%1')",
        "('abc'):gsub('x*', '-', 2)", "('a\\0b'):gsub('%Z', '.')", "('x'):find('[%')",
    };
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        if (s.n == MAX_TEMPLATES) { /* a fresh engine when the store is full */
            tpl_engine_free(e);
            store_free(&s);
            e = new_engine(&s, 0, 0, 0);
        }
        SAME(exprs[i]);
    }
    tpl_engine_free(e);
    store_free(&s);
}

/* Pattern functions spend the render's instruction budget: a pattern that would backtrack
 * for minutes fails at once, at the line that called it, and the engine stays usable. */
static void test_pattern_limit(void)
{
    store s = {0};
    tpl_engine *e = new_engine(&s, 0, 100000, 0);
    const char *msg = "template exceeded its instruction limit (100000 instructions; "
                      "an endless loop?)";
    clock_t start = clock();
    EXPECT_ERR("a\n{% local x = ('a'):rep(3000):find('.-.-.-.-b') %}", 2, msg);
    EXPECT_ERR("a\nb\n{{ string.match(('a'):rep(3000), '.-.-.-.-b') }}", 3, msg);
    EXPECT_ERR("{% local s = ('a'):rep(3000) %}\n{{ s:gsub('.-.-.-.-b', 'x') }}", 2, msg);
    EXPECT_ERR("{% for x in ('a'):rep(3000):gmatch('.-.-.-.-b') do end %}", 1, msg);
    EXPECT_ERR("{% local s = ('a'):rep(3000) %}\n{% local f = string.find %}\n"
               "{{ f(s, '.*.*.*.*b') }}", 3, msg);
    /* each of the matcher's other long loops is counted too */
    EXPECT_ERR("{{ ('('):rep(100000):find('%b()') }}", 1, msg);                 /* %b */
    EXPECT_ERR("{{ ('a'):rep(100000):find('[' .. ('b'):rep(10000) .. ']') }}", 1, msg);
    EXPECT_ERR("{{ ('a'):rep(100000):find(('a'):rep(50000) .. 'b', 1, true) }}", 1, msg);
    EXPECT_ERR("{{ ('a'):rep(100000):find('.' .. ('a'):rep(50000) .. 'b') }}", 1, msg);
    EXPECT_ERR("{{ ('a'):rep(4000):find('(.*)%1b') }}", 1, msg);               /* %1 */
    EXPECT_ERR("{{ ('b'):rep(10000):gsub('(a*)', ('%1'):rep(20000)) }}", 1, msg);
    EXPECT_ERR("{{ ('a'):rep(100000):find('%f[' .. ('b'):rep(10000) .. ']') }}", 1, msg);
    /* a function replacement's own code is counted by the hook as usual */
    EXPECT_ERR("{{ ('abc'):gsub('%w', function() while true do end end) }}", 1, msg);
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    CHECK(secs < 10);
    /* ordinary pattern work fits, render after render */
    for (int i = 0; i < 3; i++)
        EXPECT("{{ select(2, ('a b c '):rep(2000):gsub('%a', 'x')) }}", "6000");
    EXPECT("{% local n = 0 for w in ('word '):rep(5000):gmatch('%a+') do n = n + 1 end %}"
           "{{ n }}", "5000");
    tpl_engine_free(e);
    store_free(&s);

    /* the default budget (200 million) stops the same hang in seconds, not minutes */
    tpl_engine *d = new_engine(&s, 0, 0, 0);
    store_add(&s, "hang.html", "x\n{{ ('a'):rep(3000):find('.-.-.-.-b') }}");
    start = clock();
    char *got = render_name(d, "hang.html");
    secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    CHECK_STR(got, "templates/hang.html:2: error: template exceeded its instruction limit "
                   "(200000000 instructions; an endless loop?) while rendering content/a.md");
    CHECK(secs < 60);
    free(got);
    /* outside a render the functions work, with no budget to spend */
    lua_State *L = tpl_engine_state(d);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, LUA_STRLIBNAME);
    lua_getfield(L, -1, "find"); /* stack: loaded string find */
    lua_pushliteral(L, "hello");
    lua_pushliteral(L, "l+");
    lua_call(L, 2, 2);
    CHECK_INT(lua_tointeger(L, -2), 3);
    CHECK_INT(lua_tointeger(L, -1), 4);
    lua_pop(L, 4);
    CHECK_INT(lua_gettop(L), 0);
    tpl_engine_free(d);
    store_free(&s);
}

/* tpl_record_spans: the place of every partial's, block's and layout content's output in
 * what the render wrote, inner ones first; a partial's output written twice is noted twice;
 * a failed render notes nothing. */
static void test_spans(void)
{
    store s = {0};
    store_add(&s, "partials/li.html", "<li>{{ x }}</li>");
    store_add(&s, "partials/list.html",
              "{% local a = partial(\"li\", {x = 1}) %}<ul>{{ a }}{{ a }}"
              "{{ partial(\"li\", {x = 2}) }}</ul>");
    store_add(&s, "partials/same.html", "{{ partial(\"li\", {x = 4}) }}");
    store_add(&s, "base.html", "<main>{{ content }}</main><p>{% block b %}B{% endblock %}</p>");
    store_add(&s, "page.html", "{% layout \"base\" %}[{{ partial(\"list\") }}]"
                                "{% block b %}<i>{{ partial(\"li\", {x = 3}) }}</i>{% endblock %}"
                                "{{ partial(\"same\") }}");
    store_add(&s, "bad.html", "{{ partial(\"li\", {x = 1}) }}{{ nothing.here }}");
    tpl_engine *e = new_engine(&s, 0, 0, 0);
    tpl_spans spans = {0};
    tpl_record_spans(e, &spans);
    char *out = render_name(e, "page.html");
    CHECK_STR(out, "<main>[<ul><li>1</li><li>1</li><li>2</li></ul>]<li>4</li></main>"
                   "<p><i><li>3</li></i></p>");
    buf_t got = BUF_INIT;
    for (size_t i = 0; i < spans.n; i++)
        buf_printf(&got, "%.*s|", (int)spans.v[i].len, out + spans.v[i].off);
    CHECK_STR(got.ptr, "<li>1</li>|<li>1</li>|<li>2</li>|<ul><li>1</li><li>1</li><li>2</li></ul>|"
                       "<li>4</li>|[<ul><li>1</li><li>1</li><li>2</li></ul>]<li>4</li>|"
                       "<li>3</li>|<i><li>3</li></i>|");
    buf_free(&got);
    free(out);
    size_t n = spans.n;
    out = render_name(e, "bad.html");
    CHECK(strstr(out, "error") != NULL);
    CHECK_INT(spans.n, n);
    free(out);
    tpl_record_spans(e, NULL);
    out = render_name(e, "page.html");
    CHECK_INT(spans.n, n);
    free(out);
    free(spans.v);
    tpl_engine_free(e);
    store_free(&s);
}

int main(void)
{
    test_missing_globals();
    test_string_metatable();
    test_read_only();
    test_instruction_limit();
    test_memory_limit();
    test_errors();
    test_error_files();
    test_compile_errors();
    test_determinism();
    test_api();
    test_patterns_like_stock();
    test_pattern_limit();
    test_spans();
    return harness_done();
}
