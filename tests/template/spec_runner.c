/* spec_runner.c — runs the examples of tests/template/spec.txt through the real template
 * engine and prints "N passed, N failed" (with a diff for each failure).
 * Usage: template_spec spec.txt [example-number] */
#include <ctype.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "template.h"
#include "util.h"

#define FENCE "````````````````````````````````"
#define MAX_FILES 16

typedef struct spec_file {
    char *name; /* "page.html", "partials/card.html", … */
    char *path; /* "templates/" + name */
    buf_t text;
} spec_file;

typedef struct example {
    int number, line;
    spec_file files[MAX_FILES];
    int nfiles;
    buf_t expected;
} example;

/* The fixed context every example renders with (see the top of spec.txt). */
static const char CONTEXT[] =
    "return {\n"
    "  page = {title = 'T <&>', tags = {'a', 'b'}, n = 3, f = 2.5, whole = 4.0, big = 1e15,\n"
    "          yes = true, no = false, zero = 0, quote = [[\"It's\"]], amp = 'a & b',\n"
    "          author = {name = 'Ann'}, url = '/a/', params = {}},\n"
    "  site = {name = 'Site', pages = {{title = 'One', url = '/one/'},\n"
    "                                  {title = 'Two <2>', url = '/two/'}}},\n"
    "}\n";

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    buf_t b = BUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) buf_put(&b, tmp, n);
    fclose(f);
    *len = b.len;
    return buf_detach(&b);
}

/* Appends one line of the spec (with its '\n') to b, "␉" standing for a tab. */
static void put_spec_line(buf_t *b, const char *s, size_t n)
{
    static const char tab[] = "\xe2\x90\x89"; /* U+2409 */
    for (size_t i = 0; i < n; i++) {
        if (i + 3 <= n && memcmp(s + i, tab, 3) == 0) {
            buf_putc(b, '\t');
            i += 2;
        } else {
            buf_putc(b, s[i]);
        }
    }
    buf_putc(b, '\n');
}

static spec_file *add_file(example *ex, const char *name, size_t n)
{
    if (ex->nfiles == MAX_FILES) return &ex->files[MAX_FILES - 1];
    spec_file *f = &ex->files[ex->nfiles++];
    f->name = xstrndup(name, n);
    f->path = xasprintf("templates/%s", f->name);
    f->text = (buf_t)BUF_INIT;
    return f;
}

static void example_free(example *ex)
{
    for (int i = 0; i < ex->nfiles; i++) {
        free(ex->files[i].name);
        free(ex->files[i].path);
        buf_free(&ex->files[i].text);
    }
    buf_free(&ex->expected);
}

static bool lookup(void *ud, const char *name, tpl_source *out)
{
    example *ex = ud;
    for (int i = 0; i < ex->nfiles; i++) {
        if (strcmp(ex->files[i].name, name) != 0) continue;
        out->text = buf_cstr(&ex->files[i].text);
        out->len = ex->files[i].text.len;
        out->path = ex->files[i].path;
        return true;
    }
    return false;
}

/* shout(s): a host helper, as context.c installs them: s in capitals. */
static int shout(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n);
    for (size_t i = 0; i < n; i++) p[i] = (char)toupper((unsigned char)s[i]);
    luaL_pushresultsize(&b, n);
    return 1;
}

/* Pushes the context table: CONTEXT, with page.html a safe string, page and site frozen. */
static void push_context(tpl_engine *e)
{
    lua_State *L = tpl_engine_state(e);
    if (luaL_loadstring(L, CONTEXT) != LUA_OK) abort();
    lua_call(L, 0, 1);           /* stack: ctx */
    lua_getfield(L, -1, "page"); /* stack: ctx page */
    tpl_push_safe(L, "<b>bold</b>", 11);
    lua_setfield(L, -2, "html");
    tpl_freeze(L, -1);
    lua_setfield(L, -2, "page");
    lua_getfield(L, -1, "site");
    tpl_freeze(L, -1);
    lua_setfield(L, -2, "site");
    lua_pushcfunction(L, shout);
    tpl_engine_set_global(e, "shout");
}

/* Renders the example's first file; the result is its output, or its diagnostics. */
static void run_example(example *ex, buf_t *got)
{
    tpl_limits limits = {16u << 20, 1000000, 1700000000};
    tpl_engine *e = tpl_engine_new(lookup, ex, &limits);
    lua_State *L = tpl_engine_state(e);
    diag_list dl = DIAG_LIST_INIT;
    push_context(e);
    if (!tpl_render(e, ex->files[0].name, -1, "content/a.md", got, &dl))
        for (size_t i = 0; i < dl.len; i++) diag_format(&dl.items[i], got);
    lua_pop(L, 1);
    diag_list_free(&dl);
    tpl_engine_free(e);
}

/* Splits s into lines (without their '\n'); returns how many. */
static size_t split_lines(const char *s, size_t len, const char ***lines, size_t **lens)
{
    size_t n = 0, cap = 0, capl = 0;
    *lines = NULL;
    *lens = NULL;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - s) : len;
        xgrow(lines, &cap, n + 1, sizeof **lines);
        xgrow(lens, &capl, n + 1, sizeof **lens);
        (*lines)[n] = s + i;
        (*lens)[n++] = end - i;
        i = end + 1;
    }
    return n;
}

/* Prints a line diff of want and got (longest common subsequence). */
static void print_diff(const buf_t *want, const buf_t *got)
{
    const char **a, **b;
    size_t *al, *bl;
    size_t n = split_lines(buf_cstr((buf_t *)want), want->len, &a, &al);
    size_t m = split_lines(buf_cstr((buf_t *)got), got->len, &b, &bl);
    size_t *lcs = xcalloc((n + 1) * (m + 1), sizeof *lcs);
#define LCS(i, j) lcs[(i) * (m + 1) + (j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            LCS(i, j) = al[i] == bl[j] && memcmp(a[i], b[j], al[i]) == 0
                            ? LCS(i + 1, j + 1) + 1
                            : (LCS(i + 1, j) > LCS(i, j + 1) ? LCS(i + 1, j) : LCS(i, j + 1));
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && al[i] == bl[j] && memcmp(a[i], b[j], al[i]) == 0) {
            printf("   %.*s\n", (int)al[i], a[i]);
            i++, j++;
        } else if (j < m && (i == n || LCS(i, j + 1) >= LCS(i + 1, j))) {
            printf("  +%.*s\n", (int)bl[j], b[j]);
            j++;
        } else {
            printf("  -%.*s\n", (int)al[i], a[i]);
            i++;
        }
    }
#undef LCS
    if (want->len && want->ptr[want->len - 1] != '\n') printf("  (expected: no final newline)\n");
    if (got->len && got->ptr[got->len - 1] != '\n') printf("  (got: no final newline)\n");
    free(lcs);
    free(a);
    free(al);
    free(b);
    free(bl);
}

/* Runs one example; returns whether it passed. */
static bool check_example(example *ex)
{
    buf_t got = BUF_INIT;
    if (ex->nfiles == 0) add_file(ex, "page.html", 9);
    run_example(ex, &got);
    bool ok = got.len == ex->expected.len &&
              memcmp(buf_cstr(&got), buf_cstr(&ex->expected), got.len) == 0;
    if (!ok) {
        printf("example %d (spec line %d) failed:\n", ex->number, ex->line);
        print_diff(&ex->expected, &got);
    }
    buf_free(&got);
    return ok;
}

/* Reads the example starting after line *i; leaves *i on its closing fence. */
static void parse_example(const char **lines, const size_t *lens, size_t n, size_t *i,
                          example *ex)
{
    int part = 0; /* 0: template files, 1: expected output */
    spec_file *f = NULL;
    for ((*i)++; *i < n; (*i)++) {
        const char *s = lines[*i];
        size_t len = lens[*i];
        if (len == strlen(FENCE) && memcmp(s, FENCE, len) == 0) break;
        if (part == 0 && len == 1 && s[0] == '.') {
            part = 1;
        } else if (part == 0 && len > 4 && memcmp(s, "==> ", 4) == 0) {
            f = add_file(ex, s + 4, len - 4);
        } else if (part == 0) {
            if (!f) f = add_file(ex, "page.html", 9);
            put_spec_line(&f->text, s, len);
        } else {
            put_spec_line(&ex->expected, s, len);
        }
    }
    static const char no_eol[] = "<no eol>\n";
    size_t k = strlen(no_eol);
    if (ex->expected.len >= k &&
        memcmp(ex->expected.ptr + ex->expected.len - k, no_eol, k) == 0) {
        ex->expected.len -= k + 1 <= ex->expected.len ? k + 1 : k;
        ex->expected.ptr[ex->expected.len] = '\0';
    }
}

int main(int argc, char **argv)
{
    size_t len;
    char *text = argc > 1 ? read_file(argv[1], &len) : NULL;
    if (!text) {
        fprintf(stderr, "usage: template_spec spec.txt [example-number]\n");
        return 2;
    }
    int only = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 0, passed = 0, failed = 0;
    const char **lines;
    size_t *lens;
    size_t n = split_lines(text, len, &lines, &lens);
    int number = 0;
    for (size_t i = 0; i < n; i++) {
        static const char open[] = FENCE " example";
        if (lens[i] != strlen(open) || memcmp(lines[i], open, lens[i]) != 0) continue;
        example ex = {0};
        ex.number = ++number;
        ex.line = (int)i + 1;
        parse_example(lines, lens, n, &i, &ex);
        if (!only || only == ex.number) {
            if (check_example(&ex)) passed++;
            else failed++;
        }
        example_free(&ex);
    }
    free(lines);
    free(lens);
    free(text);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
