/* test_linkcheck.c — the link checker: srcset, percent-decoding and URL resolution directly,
 * parsing, in-memory sites with a locate callback, hostile pages, folder walks, threads,
 * speed, and the fixture sites of tests/linkcheck/.
 *
 * Fixtures: tests/linkcheck/<case>/site/ is a folder of HTML (and other files) checked with
 * lc_check_folder; <case>/expected holds the exact text report (diag_format lines, sorted).
 * An optional <case>/options sets lc_options, one per line: "base-url URL",
 * "map PREFIX=PATH", "ignore PATTERN", "strict". Run from tests/ (as ctest does), or give the
 * fixture folder as the first argument. Each case is also checked with 1 and 4 threads, which
 * must give the same report. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlerror.h>

#include "buf.h"
#include "diag.h"
#include "fsutil.h"
#include "harness.h"
#include "linkcheck.h"
#include "util.h"

/* ---------------------------------------------------------------------------------------- */
/* URL pieces                                                                               */

/* The candidates of a srcset joined with " | ". */
static const char *srcset(const char *s)
{
    static char result[512];
    buf_t b = BUF_INIT;
    size_t n = lc_srcset_split(s, &b);
    buf_t joined = BUF_INIT;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) buf_puts(&joined, " | ");
        buf_puts(&joined, b.ptr + off);
        off += strlen(b.ptr + off) + 1;
    }
    snprintf(result, sizeof result, "%zu: %s", n, joined.ptr ? joined.ptr : "");
    buf_free(&b);
    buf_free(&joined);
    return result;
}

static void test_srcset(void)
{
    CHECK_STR(srcset("a.png"), "1: a.png");
    CHECK_STR(srcset("a.png 1x, b.png 2x"), "2: a.png | b.png");
    CHECK_STR(srcset("data:image/png;base64,AAA,BBB 2x"), "1: data:image/png;base64,AAA,BBB");
    CHECK_STR(srcset("data:image/gif;base64,R0l,GOD 1x,b.png 2x"),
              "2: data:image/gif;base64,R0l,GOD | b.png");
    CHECK_STR(srcset("a.png,b.png"), "1: a.png,b.png"); /* no space: one URL, as browsers */
    CHECK_STR(srcset("a.png, b.png"), "2: a.png | b.png");
    CHECK_STR(srcset("a.png,, b.png,,"), "2: a.png | b.png");
    CHECK_STR(srcset("  , ,a.png 1x,,b.png"), "2: a.png | b.png");
    CHECK_STR(srcset("a.png (max-width: 1px, odd) 1x, b.png 2x"), "2: a.png | b.png");
    CHECK_STR(srcset("a.png 100w,b.png 200w"), "2: a.png | b.png");
    CHECK_STR(srcset("\n a.png\t1x ,\r\n b.png   2x \n"), "2: a.png | b.png");
    CHECK_STR(srcset("a.png 1x (, b.png"), "1: a.png"); /* unclosed parenthesis eats the rest */
    CHECK_STR(srcset(""), "0: ");
    CHECK_STR(srcset("   "), "0: ");
    CHECK_STR(srcset(",,,"), "0: ");
}

/* Decoded text, or "(bad)". */
static const char *decode(const char *s)
{
    static char result[256];
    buf_t b = BUF_INIT;
    bool ok = lc_percent_decode(s, strlen(s), &b);
    snprintf(result, sizeof result, "%s", ok ? (b.ptr ? b.ptr : "") : "(bad)");
    buf_free(&b);
    return result;
}

static void test_percent_decode(void)
{
    CHECK_STR(decode("a%20b"), "a b");
    CHECK_STR(decode("caf%C3%A9"), "caf\xc3\xa9");
    CHECK_STR(decode("caf%c3%a9"), "caf\xc3\xa9");
    CHECK_STR(decode("%2F%2e%7E+"), "/.~+"); /* '+' stays: paths are not form data */
    CHECK_STR(decode("plain"), "plain");
    CHECK_STR(decode(""), "");
    CHECK_STR(decode("%25"), "%");
    CHECK_STR(decode("100%"), "(bad)");
    CHECK_STR(decode("%4"), "(bad)");
    CHECK_STR(decode("a%"), "(bad)");
    CHECK_STR(decode("%zz"), "(bad)");
    CHECK_STR(decode("%g0"), "(bad)");
    CHECK_STR(decode("%00"), "(bad)");
    /* only n bytes are read: a '%' just past them does not count */
    buf_t b = BUF_INIT;
    CHECK(lc_percent_decode("ab%41", 2, &b));
    CHECK_STR(b.ptr, "ab");
    buf_clear(&b);
    CHECK(!lc_percent_decode("ab%41", 4, &b));
    buf_free(&b);
}

static const char *resolve(const char *base, const char *ref)
{
    static char result[256];
    buf_t b = BUF_INIT;
    lc_url_resolve(base, ref, &b);
    snprintf(result, sizeof result, "%s", b.ptr ? b.ptr : "");
    buf_free(&b);
    return result;
}

static void test_resolve(void)
{
    const char *go = "/tech/go/index.html";
    CHECK_STR(resolve(go, "../rust/#ownership"), "/tech/rust/#ownership");
    CHECK_STR(resolve(go, "x.html"), "/tech/go/x.html");
    CHECK_STR(resolve(go, "./"), "/tech/go/");
    CHECK_STR(resolve(go, "."), "/tech/go/");
    CHECK_STR(resolve(go, ".."), "/tech/");
    CHECK_STR(resolve(go, "/a/./b/../c"), "/a/c");
    CHECK_STR(resolve(go, "../../../../../x"), "/x"); /* stops at the root */
    CHECK_STR(resolve(go, "/.."), "/");
    CHECK_STR(resolve(go, "%2e%2e/%2E/x"), "/tech/x");
    CHECK_STR(resolve(go, "a/..%2Fb"), "/tech/go/a/..%2Fb"); /* not a dot segment */
    CHECK_STR(resolve(go, "...a/"), "/tech/go/...a/");
    CHECK_STR(resolve("/a/b.html", "?q=1"), "/a/b.html?q=1");
    CHECK_STR(resolve("/a/b.html?x=1", "#f"), "/a/b.html?x=1#f");
    CHECK_STR(resolve("/a/b.html?x=1#old", "#f"), "/a/b.html?x=1#f");
    CHECK_STR(resolve("/a/b.html?x=1", "?y"), "/a/b.html?y");
    CHECK_STR(resolve("/a/b.html", "x.html?q=../y#../z"), "/a/x.html?q=../y#../z");
    CHECK_STR(resolve("/a//b/", "../c"), "/a//c");
    CHECK_STR(resolve("/", "a b/c d.html"), "/a b/c d.html");
    CHECK_STR(resolve("https://h.example/p/q.html", "r.html"), "https://h.example/p/r.html");
    CHECK_STR(resolve("https://h.example/p/q.html", "/r"), "https://h.example/r");
    CHECK_STR(resolve("https://h.example", "x"), "https://h.example/x");
    CHECK_STR(resolve("https://h.example/p/", "../../x"), "https://h.example/x");
    CHECK_STR(resolve("https://h.example/p/", "//cdn.example/a/../b"), "https://cdn.example/b");
    CHECK_STR(resolve("http://h.example/p/", "//cdn.example"), "http://cdn.example");
    CHECK_STR(resolve("/a/", "//cdn.example?x#y"), "https://cdn.example?x#y");
}

/* ---------------------------------------------------------------------------------------- */
/* Sites in memory                                                                          */

static lc_page *parse(const char *html, const char *path)
{
    return lc_page_parse(html, strlen(html), path);
}

/* Runs the check and returns the text report; caller frees. */
static char *check_site(lc_site *site, const lc_options *opt, lc_locate_fn locate, void *ud,
                        lc_stats *stats)
{
    diag_list dl = DIAG_LIST_INIT;
    lc_site_check(site, opt, locate, ud, &dl, stats);
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < dl.len; i++) diag_format(&dl.items[i], &b);
    diag_list_free(&dl);
    return buf_detach(&b);
}

static void test_spec_messages(void)
{
    lc_site *s = lc_site_new();
    lc_site_add_page(s, parse("<!doctype html>\n<title>Go</title>\n"
                              "<p><a href=\"../rust/#ownership\">own</a>\n"
                              "<a href=\"/tech/missing/\">x</a>\n"
                              "<img src=\"/img/a.png\" alt=\"A\">\n"
                              "<a href=\"file:///etc/passwd\">x</a>\n"
                              "<a href=\"mailto:bob@\">bob</a>\n"
                              "<a href=\"https;//example.org\">x</a>\n"
                              "<a href=\"/guides\">g</a>\n"
                              "<h2 id=\"intro\">a</h2>\n\n\n<h2 id=\"intro\">b</h2>\n"
                              "<img src=\"/guides/\">\n",
                              "tech/go/index.html"));
    lc_site_add_page(s, parse("<h1 id=\"borrowing\">Rust</h1>", "tech/rust/index.html"));
    lc_site_add_page(s, parse("<a href=\"tech/go/\">go</a>", "index.html"));
    lc_site_add_page(s, parse("<a href=\"../tech/rust/\">rust</a>", "guides/index.html"));
    char *got = check_site(s, NULL, NULL, NULL, NULL);
    CHECK_STR(got,
              "tech/go/index.html:3: error: link to ../rust/#ownership: no element with id "
              "\"ownership\" in /tech/rust/\n"
              "tech/go/index.html:4: error: link to /tech/missing/: no such page "
              "(/tech/missing/index.html does not exist)\n"
              "tech/go/index.html:5: error: image /img/a.png: no such file\n"
              "tech/go/index.html:6: error: link to file:///etc/passwd: file: URLs do not work "
              "on a web site\n"
              "tech/go/index.html:7: error: mailto:bob@: invalid e-mail address\n"
              "tech/go/index.html:8: error: link to https;//example.org: malformed URL\n"
              "tech/go/index.html:9: warning: link to /guides: a folder needs a trailing slash "
              "(/guides/)\n"
              "tech/go/index.html:13: warning: duplicate id \"intro\" (first at line 10)\n"
              "tech/go/index.html:14: warning: image without alt text\n");
    free(got);
    lc_site_free(s);
}

/* Whitespace around a URL goes, and tabs and newlines inside it, before the URL is checked,
 * shown, or matched to its source. */
static void test_href_cleaned(void)
{
    lc_site *s = lc_site_new();
    lc_page *p = parse("<a href=\"\t /no\npe/\r\n\">x</a> <a href=\" /ok.h\ttml \">y</a>",
                       "index.html");
    lc_site_add_file(s, "ok.html");
    lc_site_add_page(s, p);
    char *got = check_site(s, NULL, NULL, NULL, NULL);
    CHECK_STR(got, "index.html:3: error: link to /nope/: no such page (/nope/index.html does "
                   "not exist)\n");
    free(got);
    lc_site_free(s);
}

typedef struct located {
    int calls;
    char seen[2048];
} located;

/* Maps links of tech/go/index.html to "content/tech/go.md", HTML line L to Markdown line
 * 100 + L, column 7; records what it was given. */
static void locate_markdown(void *ud, const lc_link *l, const char **file, int *line, int *col,
                            buf_t *note)
{
    located *x = ud;
    x->calls++;
    size_t n = strlen(x->seen);
    snprintf(x->seen + n, sizeof x->seen - n, "[%s|%s|%d|%s|%s|%s:%d:%d]", l->href, l->page,
             l->html_line, l->element, l->attr, *file, *line, *col);
    if (strcmp(l->page, "tech/go/index.html") == 0) {
        *file = "content/tech/go.md";
        *line = 100 + l->html_line;
        *col = 7;
    } else if (strcmp(l->page, "index.html") == 0) {
        *file = "templates/home.html";
        *line = 0;
        buf_puts(note, "on /");
    }
}

static void test_locate(void)
{
    lc_site *s = lc_site_new();
    lc_site_add_page(s, parse("<a href='/'>home</a>\n<a href=' /nope/ '>x</a>\n"
                              "<img srcset='/a.png 1x, b.png 2x' alt=''>\n<p id='x'><p id='x'>",
                              "tech/go/index.html"));
    lc_site_add_page(s, parse("<a href='/tech/go/'>go</a><a href='#gone'>", "index.html"));
    lc_site_add_file(s, "a.png");
    lc_site_add_page(s, parse("", "lonely.html"));
    located x = {0, ""};
    lc_stats st;
    lc_options one = {.jobs = 1}; /* the callback records its calls in order */
    char *got = check_site(s, &one, locate_markdown, &x, &st);
    CHECK_STR(got, "content/tech/go.md:102:7: error: link to /nope/: no such page "
                   "(/nope/index.html does not exist)\n"
                   "content/tech/go.md:103:7: error: image b.png: no such file\n"
                   "content/tech/go.md:104:7: warning: duplicate id \"x\" (first at line 4)\n"
                   "lonely.html: warning: no page links here (orphan)\n"
                   "templates/home.html: error: link to #gone: no element with id \"gone\" in / "
                   "(on /)\n");
    CHECK_INT(x.calls, 5);
    CHECK_STR(x.seen, "[/nope/|tech/go/index.html|2|a|href|tech/go/index.html:2:0]"
                      "[b.png|tech/go/index.html|3|img|srcset|tech/go/index.html:3:0]"
                      "[x|tech/go/index.html|4|p|id|tech/go/index.html:4:0]"
                      "[#gone|index.html|1|a|href|index.html:1:0]"
                      "[|lonely.html|0|||lonely.html:0:0]");
    CHECK_INT(st.pages, 3);
    CHECK_INT(st.files, 1);
    CHECK_INT(st.links, 6);
    CHECK_INT(st.internal, 6);
    CHECK_INT(st.errors, 3);
    CHECK_INT(st.warnings, 2);
    CHECK_INT(st.failures, 3);
    lc_options strict = {.strict = true};
    char *again = check_site(s, &strict, NULL, NULL, &st);
    CHECK_INT(st.failures, 5);
    /* a second run finds the same, in page positions this time */
    CHECK(strstr(again, "tech/go/index.html:2: error: link to /nope/") != NULL);
    CHECK(strstr(again, "lonely.html: warning: no page links here (orphan)\n") != NULL);
    free(again);
    free(got);
    lc_site_free(s);
}

/* Links to ids of the page itself are settled while parsing, and only those the rest of the
 * check could say nothing more about; they still count as checked. */
static void test_settle_own(void)
{
    const char *html = "<h2 id=a>A</h2><p id='x y'>\n"
                       "<a href='#a'>1</a><a href=' #a '>2</a><a href='#b'>3</a>\n"
                       "<a href='#a:~:text=A'>4</a><a href='#a?q'>5</a><a href='#x%20y'>6</a>\n"
                       "<a href='#'>7</a><a href='#top'>8</a><a href='#\xe2\x80\x8b" "a'>9</a>\n";
    lc_page *p = parse(html, "index.html");
    buf_t d = BUF_INIT;
    lc_page_describe(p, &d);
    CHECK_STR(d.ptr, "link a href 0 2 0 0 #b\n"
                     "link a href 0 3 0 0 #a:~:text=A\n"
                     "link a href 0 3 0 0 #a?q\n"
                     "link a href 0 3 0 0 #x%20y\n"
                     "link a href 0 4 0 0 #\n"
                     "link a href 0 4 0 0 #top\n"
                     "link a href 0 4 0 0 #\xe2\x80\x8b" "a\n"
                     "base -\nredirect 0\nsettled 2\nid a\nid x y\n");
    CHECK_INT(lc_page_link_count(p), 9);
    lc_site *s = lc_site_new();
    lc_site_add_page(s, p);
    lc_stats st;
    char *got = check_site(s, NULL, NULL, NULL, &st);
    CHECK_STR(got, "index.html:2: error: link to #b: no element with id \"b\" in /\n"
                   "index.html:3: error: link to #a?q: no element with id \"a?q\" in /\n"
                   "index.html:4: error: link to #%E2%80%8Ba: malformed URL (invisible character "
                   "U+200B)\n");
    CHECK_INT(st.links, 9);
    free(got);
    lc_site_free(s);
    buf_free(&d);

    /* a <base href> sends "#a" to another page: nothing is settled */
    p = parse("<base href='/other/'><h2 id=a>A</h2><a href='#a'>1</a>", "p.html");
    lc_page_describe(p, &d);
    CHECK(strstr(d.ptr, "link a href 0 1 0 0 #a\n") && strstr(d.ptr, "settled 0\n"));
    lc_page_free(p);
    buf_free(&d);
}

static void test_site_bookkeeping(void)
{
    lc_site *s = lc_site_new();
    lc_site_add_file(s, "/page.html"); /* added as a file first: fragments not checked */
    lc_site_add_page(s, parse("<a href='page.html#nope'>x</a>", "index.html"));
    char *got = check_site(s, NULL, NULL, NULL, NULL);
    CHECK_STR(got, "");
    free(got);
    lc_site_add_page(s, parse("<p id='yes'>", "./page.html")); /* now a page */
    got = check_site(s, NULL, NULL, NULL, NULL);
    CHECK_STR(got, "index.html:1: error: link to page.html#nope: no element with id \"nope\" in "
                   "/page.html\n");
    free(got);
    lc_site_add_page(s, parse("<p id='nope'>", "page.html")); /* replaces the page */
    lc_site_add_file(s, "page.html");                        /* and stays a page */
    got = check_site(s, NULL, NULL, NULL, NULL);
    CHECK_STR(got, "");
    free(got);
    lc_site_free(s);
    lc_site_free(NULL);
    lc_page_free(NULL);

    lc_page *p = parse("<a href=x><img src=y srcset='a 1x, b 2x'><link rel=preconnect href=z>",
                       "/a/b.html");
    CHECK_STR(lc_page_path(p), "a/b.html");
    CHECK_INT(lc_page_link_count(p), 4);
    lc_page_free(p);
    p = lc_page_parse(NULL, 0, NULL);
    CHECK_STR(lc_page_path(p), "");
    CHECK_INT(lc_page_link_count(p), 0);
    lc_page_free(p);
}

static void test_options(void)
{
    CHECK(lc_options_error(NULL) == NULL);
    lc_options o = {.base_url = "https://example.org/blog"};
    CHECK(lc_options_error(&o) == NULL);
    o.base_url = "ftp://example.org/";
    char *e = lc_options_error(&o);
    CHECK_STR(e, "--base-url ftp://example.org/: not an http(s) URL with a host and no query");
    free(e);
    o.base_url = "https://example.org/?x=1";
    e = lc_options_error(&o);
    CHECK(e != NULL);
    free(e);
    lc_map maps[] = {{"/docs/", "."}, {"docs", "."}, {"/x/", "../up"}};
    o = (lc_options){.maps = maps, .nmaps = 1};
    CHECK(lc_options_error(&o) == NULL);
    o.nmaps = 2;
    e = lc_options_error(&o);
    CHECK_STR(e, "--map docs=.: the prefix must be a path starting with / or an http(s) URL, "
                 "and the path a folder inside the site");
    free(e);
    o.maps = maps + 2;
    o.nmaps = 1;
    e = lc_options_error(&o);
    CHECK(e != NULL);
    free(e);
    /* invalid options are ignored by the check itself */
    lc_site *s = lc_site_new();
    lc_site_add_page(s, parse("<a href='/x/'>x</a>", "index.html"));
    o = (lc_options){.base_url = "not a url", .maps = maps + 1, .nmaps = 2};
    char *got = check_site(s, &o, NULL, NULL, NULL);
    CHECK_STR(got, "index.html:1: error: link to /x/: no such page (/x/index.html does not "
                   "exist)\n");
    free(got);
    lc_site_free(s);
}

/* ---------------------------------------------------------------------------------------- */
/* libxml2's memory                                                                         */

/* libxml2 allocates from an arena while it parses a page, dropped when the parse ends, so no
 * libxml2 state may keep a block past it: the errors it raised (an HTML5 tag is "invalid" to
 * libxml2 2.9) are gone, and the next page parses as the first did. */
static void test_parse_memory(void)
{
    static const char html[] = "<!DOCTYPE html><html><body><main><section id=a><nav>"
                               "<a href='#a'>x</a><a href='/b/' href=dup>y</a><foo></bar>"
                               "</nav></section></main></body></html>";
    buf_t first = BUF_INIT, again = BUF_INIT;
    for (int i = 0; i < 3; i++) {
        lc_page *p = lc_page_parse(html, sizeof html - 1, "index.html");
        CHECK(xmlGetLastError() == NULL);
        lc_page_describe(p, i == 0 ? &first : &again);
        lc_page_free(p);
        if (i) CHECK_STR(buf_cstr(&again), buf_cstr(&first));
        buf_clear(&again);
    }
    CHECK(strstr(buf_cstr(&first), "/b/") != NULL);
    buf_free(&first);
    buf_free(&again);
}

/* ---------------------------------------------------------------------------------------- */
/* Hostile pages                                                                            */

static void test_hostile(void)
{
    /* 200,000 nested elements: no recursion to overflow, the ignore scope still closes */
    buf_t b = BUF_INIT;
    buf_puts(&b, "<div data-refpress-ignore><a href='/ignored/'>x</a>");
    for (int i = 0; i < 200000; i++) buf_puts(&b, "<div>");
    buf_puts(&b, "<a href='/deep/'>deep</a>");
    for (int i = 0; i < 200000; i++) buf_puts(&b, "</div>");
    buf_puts(&b, "</div><a href='/after/'>after</a>");
    lc_site *s = lc_site_new();
    lc_site_add_page(s, lc_page_parse(b.ptr, b.len, "index.html"));
    char *got = check_site(s, NULL, NULL, NULL, NULL);
    CHECK(strstr(got, "/ignored/") == NULL);
    CHECK(strstr(got, "/deep/") == NULL);
    CHECK(strstr(got, "link to /after/: no such page") != NULL);
    free(got);
    lc_site_free(s);

    /* a 1 MB URL: the message quotes only its start */
    buf_clear(&b);
    buf_puts(&b, "<a href=\"/");
    for (int i = 0; i < 1000000; i++) buf_putc(&b, 'x');
    buf_puts(&b, "\">x</a>");
    s = lc_site_new();
    lc_site_add_page(s, lc_page_parse(b.ptr, b.len, "index.html"));
    got = check_site(s, NULL, NULL, NULL, NULL);
    CHECK(strlen(got) < 300);
    CHECK(strstr(got, "xxx...: no such file") != NULL);
    free(got);
    lc_site_free(s);

    /* truncated markup, stray end tags, attributes without values, binary noise */
    const char *bad[] = {"<a href=\"/x", "<a href=", "</div></div></a><a href='/y'>", "<",
                         "<a href><img src><base href><meta http-equiv=refresh content>",
                         "<![CDATA[<a href='/z'>", "<!-- <a href='/c'>", "<svg><a href='#q'>",
                         "<meta http-equiv=refresh content=\"0; url='\">",
                         "<base href='javascript:alert(1)'><a href='x'>x</a>",
                         "<base href='//'><a href='x'>x</a>", "\xef\xbb\xbf\xfe\xff<a href=x>",
                         "\xff\xfe<\0a\0 \0h\0r\0e\0f\0=\0x\0>\0"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        s = lc_site_new();
        size_t len = i + 1 == sizeof bad / sizeof *bad ? 20 : strlen(bad[i]);
        lc_site_add_page(s, lc_page_parse(bad[i], len, "index.html"));
        got = check_site(s, NULL, NULL, NULL, NULL);
        CHECK(got != NULL);
        free(got);
        lc_site_free(s);
    }
    unsigned seed = 12345;
    buf_clear(&b);
    for (int i = 0; i < 1 << 18; i++) {
        seed = seed * 1103515245u + 12345u;
        const char *pieces[] = {"<a href='", "'>", "<img srcset='", ",", " ", "#", "%", "/",
                                "..", "<div data-refpress-ignore>", "</div>", "\xc3", "\0",
                                "id='", "<base href='", "\n", "mailto:", "?"};
        const char *piece = pieces[(seed >> 16) % (sizeof pieces / sizeof *pieces)];
        if (*piece) buf_puts(&b, piece);
        else buf_putc(&b, '\0');
    }
    s = lc_site_new();
    lc_site_add_page(s, lc_page_parse(b.ptr, b.len, "index.html"));
    lc_site_add_page(s, lc_page_parse(b.ptr, b.len / 2, "x/index.html"));
    got = check_site(s, NULL, NULL, NULL, NULL);
    CHECK(got != NULL && utf8_valid(got, strlen(got), NULL));
    free(got);
    lc_site_free(s);
    buf_free(&b);
}

/* ---------------------------------------------------------------------------------------- */
/* Threads and speed                                                                        */

typedef struct thread_job {
    const char *html;
    size_t links;
} thread_job;

static void *parse_many(void *arg)
{
    thread_job *job = arg;
    job->links = 0;
    for (int i = 0; i < 200; i++) {
        lc_page *p = lc_page_parse(job->html, strlen(job->html), "t.html");
        job->links += lc_page_link_count(p);
        lc_page_free(p);
    }
    return NULL;
}

static void test_threads(void)
{
    const char *html = "<!doctype html><meta charset=utf-8><title>t</title>"
                       "<a href='/a/'>a</a><img src='b.png' srcset='c.png 1x, d.png 2x' alt=''>"
                       "<p id='x' data-refpress-ignore><a href='#x'>x</a></p>";
    lc_global_init();
    thread_job jobs[8];
    pthread_t threads[8];
    for (int i = 0; i < 8; i++) {
        jobs[i] = (thread_job){html, 0};
        CHECK(pthread_create(&threads[i], NULL, parse_many, &jobs[i]) == 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        CHECK_INT(jobs[i].links, 200 * 5);
    }
}

/* Names the page in the note, from whichever thread checks it. */
static void locate_note(void *ud, const lc_link *l, const char **file, int *line, int *col,
                        buf_t *note)
{
    buf_printf(note, "on %s", l->page);
}

/* The pages are shared among threads: the same findings, in the same order, and the same
 * counts, for any number of them. */
static void test_check_jobs(void)
{
    char *first = NULL;
    lc_stats first_st = {0};
    for (int jobs = 1; jobs <= 7; jobs += 3) {
        lc_site *s = lc_site_new();
        buf_t html = BUF_INIT;
        char path[64];
        for (int i = 0; i < 300; i++) {
            buf_clear(&html);
            buf_printf(&html, "<!doctype html><title>%d</title><h1 id='t%d'>x</h1><p id='d'>\n"
                              "<p id='d'><a href='/p%d/#t%d'>n</a><a href='/p%d/#t0'>f</a>\n"
                              "<a href='/missing%d/'>m</a><img src='/i%d.png'>\n",
                       i, i, (i + 1) % 300, (i + 1) % 300, (i + 7) % 300, i % 5, i % 3);
            snprintf(path, sizeof path, i % 50 ? "p%d/index.html" : "q%d/index.html", i);
            lc_site_add_page(s, lc_page_parse(html.ptr, html.len, path));
        }
        lc_site_add_file(s, "i0.png");
        lc_options o = {0};
        o.jobs = jobs;
        lc_stats st;
        char *got = check_site(s, &o, locate_note, NULL, &st);
        CHECK(strstr(got, "orphan") != NULL && strstr(got, "duplicate id") != NULL);
        if (!first) {
            first = got;
            first_st = st;
        } else {
            CHECK_STR(got, first);
            CHECK(memcmp(&st, &first_st, sizeof st) == 0);
            free(got);
        }
        buf_free(&html);
        lc_site_free(s);
    }
    free(first);
}

/* 10,000 pages of 60 links each (internal, fragments, srcset, external, folders without
 * slash): the check must stay linear. Prints the CPU time of lc_site_check. */
static void test_speed(void)
{
    enum { PAGES = 10000 };
    lc_site *s = lc_site_new();
    buf_t html = BUF_INIT;
    char path[64];
    for (int i = 0; i < PAGES; i++) {
        buf_clear(&html);
        buf_printf(&html, "<!doctype html><title>%d</title><h1 id='top-%d'>x</h1>\n", i, i);
        for (int k = 0; k < 15; k++) {
            int t = (i * 31 + k * 17) % PAGES;
            buf_printf(&html, "<a href='../p%d/'>a</a><a href='/p%d/#top-%d'>b</a>\n", t, t, t);
            buf_printf(&html, "<img src='/img/%d.png' srcset='/img/%d.png 2x' alt=''>\n", k, k);
        }
        buf_printf(&html, "<a href='https://example.org/%d'>e</a>\n", i);
        snprintf(path, sizeof path, "p%d/index.html", i);
        lc_site_add_page(s, lc_page_parse(html.ptr, html.len, path));
    }
    for (int k = 0; k < 15; k++) {
        snprintf(path, sizeof path, "img/%d.png", k);
        lc_site_add_file(s, path);
    }
    lc_site_add_page(s, lc_page_parse("<a href='p0/'>", 14, "index.html"));
    lc_stats st;
    clock_t t0 = clock();
    char *got = check_site(s, NULL, NULL, NULL, &st);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("speed: %zu links of %zu pages checked in %.3f s of CPU\n", st.links, st.pages, secs);
    CHECK_INT(st.links, PAGES * 61 + 1);
    CHECK_INT(st.external, PAGES);
    CHECK(secs < 10.0); /* generous: sanitizer builds are several times slower */
    free(got);
    buf_free(&html);
    lc_site_free(s);
}

/* ---------------------------------------------------------------------------------------- */
/* Folders                                                                                  */

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = fs_join(dir, name);
    CHECK(fs_write(path, text, strlen(text)) == 0);
    free(path);
}

static char *check_folder_text(const char *dir, const lc_options *opt, bool *ok)
{
    diag_list dl = DIAG_LIST_INIT;
    *ok = lc_check_folder(dir, opt, &dl, NULL);
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < dl.len; i++) diag_format(&dl.items[i], &b);
    diag_list_free(&dl);
    return buf_detach(&b);
}

static void test_folder(void)
{
    char tmpl[] = "/tmp/refpress-linkcheck-XXXXXX";
    char *root = mkdtemp(tmpl);
    CHECK(root != NULL);
    if (!root) return;
    char *site = fs_join(root, "site");
    write_file(root, "outside.html", "<p>outside</p>");
    write_file(site, "index.html",
               "<a href='real.html'>r</a>\n<a href='inside-link.html#here'>i</a>\n"
               "<a href='outside-link.html'>o</a>\n<a href='.well-known/security.txt'>s</a>\n"
               "<a href='loop/real.html'>l</a>\n<a href='locked.html'>x</a>\n"
               "<a href='dangling.html'>d</a>\n");
    write_file(site, "real.html", "<p id='here'>here</p>");
    write_file(site, ".well-known/security.txt", "Contact: mailto:x@example.org\n");
    write_file(site, "locked.html", "<p>locked</p>");
    char *p = fs_join(site, "inside-link.html");
    CHECK(symlink("real.html", p) == 0);
    free(p);
    p = fs_join(site, "outside-link.html");
    CHECK(symlink("../outside.html", p) == 0);
    free(p);
    p = fs_join(site, "loop");
    CHECK(symlink(".", p) == 0); /* a folder link back to the root: walked once */
    free(p);
    p = fs_join(site, "dangling.html");
    CHECK(symlink("nowhere.html", p) == 0);
    free(p);
    char *locked = fs_join(site, "locked.html");
    CHECK(chmod(locked, 0) == 0);
    bool ok = false;
    char *got = check_folder_text(site, NULL, &ok);
    CHECK(ok);
    const char *want_locked = geteuid() == 0 ? "" : "locked.html: error: cannot read the page: "
                                                    "Permission denied\n";
    buf_t want = BUF_INIT;
    buf_printf(&want,
               "dangling.html: note: symbolic link leads outside the folder (or nowhere); not "
               "followed\n"
               "index.html:3: error: link to outside-link.html: no such file\n"
               "index.html:5: error: link to loop/real.html: no such file\n"
               "index.html:7: error: link to dangling.html: no such file\n"
               "%s"
               "outside-link.html: note: symbolic link leads outside the folder (or nowhere); not "
               "followed\n",
               want_locked);
    CHECK_STR(got, want.ptr);
    buf_free(&want);
    free(got);
    CHECK(chmod(locked, 0644) == 0);
    free(locked);

    char *missing = fs_join(root, "missing");
    got = check_folder_text(missing, NULL, &ok);
    CHECK(!ok);
    buf_t w2 = BUF_INIT;
    buf_printf(&w2, "%s: error: cannot read the folder: No such file or directory\n", missing);
    CHECK_STR(got, w2.ptr);
    free(got);
    char *file = fs_join(root, "outside.html");
    got = check_folder_text(file, NULL, &ok);
    CHECK(!ok);
    buf_clear(&w2);
    buf_printf(&w2, "%s: error: cannot read the folder: Not a directory\n", file);
    CHECK_STR(got, w2.ptr);
    free(got);
    buf_free(&w2);
    free(file);
    free(missing);
    CHECK(fs_remove_tree(root) == 0);
    free(site);
}

/* ---------------------------------------------------------------------------------------- */
/* Fixtures                                                                                 */

/* Prints a line diff of want and got (longest common subsequence of lines). */
static void print_diff(const char *want, const char *got)
{
    const char *a[512], *b[512];
    size_t na = 0, nb = 0;
    for (const char *p = want; *p && na < 512; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
        a[na++] = p;
    for (const char *p = got; *p && nb < 512; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
        b[nb++] = p;
    size_t *lcs = xcalloc((na + 1) * (nb + 1), sizeof *lcs);
#define L(i, j) lcs[(i) * (nb + 1) + (j)]
    for (size_t i = na; i-- > 0;)
        for (size_t j = nb; j-- > 0;) {
            size_t la = strcspn(a[i], "\n"), lb = strcspn(b[j], "\n");
            if (la == lb && memcmp(a[i], b[j], la) == 0) L(i, j) = L(i + 1, j + 1) + 1;
            else L(i, j) = L(i + 1, j) > L(i, j + 1) ? L(i + 1, j) : L(i, j + 1);
        }
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        size_t la = i < na ? strcspn(a[i], "\n") : 0, lb = j < nb ? strcspn(b[j], "\n") : 0;
        if (i < na && j < nb && la == lb && memcmp(a[i], b[j], la) == 0) {
            fprintf(stderr, "  %.*s\n", (int)la, a[i]);
            i++, j++;
        } else if (j < nb && (i == na || L(i, j + 1) >= L(i + 1, j))) {
            fprintf(stderr, "+ %.*s\n", (int)lb, b[j++]);
        } else {
            fprintf(stderr, "- %.*s\n", (int)la, a[i++]);
        }
    }
#undef L
    free(lcs);
}

typedef struct fixture_options {
    lc_options opt;
    char *text;
    const char *ignore[16];
    lc_map maps[16];
} fixture_options;

static void fixture_options_read(const char *dir, fixture_options *fo)
{
    memset(fo, 0, sizeof *fo);
    fo->opt.ignore = fo->ignore;
    fo->opt.maps = fo->maps;
    char *path = fs_join(dir, "options");
    size_t len;
    fo->text = fs_read(path, 1 << 20, &len);
    free(path);
    for (char *line = fo->text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        char *eq = strchr(line, '=');
        if (strncmp(line, "base-url ", 9) == 0) fo->opt.base_url = line + 9;
        else if (strncmp(line, "ignore ", 7) == 0 && fo->opt.nignore < 16)
            fo->ignore[fo->opt.nignore++] = line + 7;
        else if (strncmp(line, "map ", 4) == 0 && eq && fo->opt.nmaps < 16) {
            *eq = '\0';
            fo->maps[fo->opt.nmaps++] = (lc_map){line + 4, eq + 1};
        } else if (strcmp(line, "strict") == 0) fo->opt.strict = true;
        else if (*line) fprintf(stderr, "%s/options: unknown line \"%s\"\n", dir, line);
        line = nl ? nl + 1 : line + strlen(line);
    }
}

static int run_fixture(const char *dir)
{
    fixture_options fo;
    fixture_options_read(dir, &fo);
    char *expected_path = fs_join(dir, "expected");
    char *site = fs_join(dir, "site");
    size_t len;
    char *want = fs_read(expected_path, 1 << 20, &len);
    CHECK(want != NULL);
    int failed = 0;
    for (int jobs = 1; want && jobs <= 4; jobs += 3) {
        fo.opt.jobs = jobs;
        bool ok;
        char *got = check_folder_text(site, &fo.opt, &ok);
        CHECK(ok);
        if (strcmp(got, want) == 0) h_passed++;
        else {
            h_failed++;
            failed = 1;
            fprintf(stderr, "%s (%d threads): the report differs from expected (- expected, "
                            "+ got):\n", dir, jobs);
            print_diff(want, got);
        }
        free(got);
    }
    free(want);
    free(site);
    free(expected_path);
    free(fo.text);
    return failed;
}

static void test_fixtures(const char *root)
{
    size_t n = 0;
    fs_entry *e = NULL;
    if (fs_list(root, &e, &n) != 0) {
        fprintf(stderr, "%s: %s\n", root, strerror(errno));
        CHECK(!"the fixture folder can be listed");
        return;
    }
    int cases = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].type != FS_DIR) continue;
        char *dir = fs_join(root, e[i].name);
        failed += run_fixture(dir);
        cases++;
        free(dir);
    }
    printf("fixtures: %d cases, %d failed\n", cases, failed);
    CHECK(cases >= 14);
    fs_entries_free(e, n);
}

int main(int argc, char **argv)
{
    test_srcset();
    test_percent_decode();
    test_resolve();
    test_spec_messages();
    test_href_cleaned();
    test_locate();
    test_settle_own();
    test_site_bookkeeping();
    test_options();
    test_parse_memory();
    test_hostile();
    test_threads();
    test_check_jobs();
    test_speed();
    test_folder();
    const char *fixtures = argc > 1 ? argv[1] : fs_is_dir("linkcheck") ? "linkcheck"
                                                                         : "tests/linkcheck";
    test_fixtures(fixtures);
    return harness_done();
}
