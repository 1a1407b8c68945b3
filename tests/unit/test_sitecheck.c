/* test_sitecheck.c — how the build parses its pages for the link check: a page with parts
 * whose links and ids are known (lc_page_parse_parts), and rendered Markdown bodies left out
 * of libxml2's work (sitecheck_parse), which must keep exactly what a whole parse keeps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chart.h"
#include "context.h"
#include "harness.h"
#include "linkcheck.h"
#include "markdown.h"
#include "sitecheck.h"
#include "util.h"

static char *describe(lc_page *p)
{
    buf_t b = BUF_INIT;
    lc_page_describe(p, &b);
    lc_page_free(p);
    return buf_detach(&b);
}

/* The items of a part are what the page reports for it: here they differ from its HTML on
 * purpose, to see that the fast path ran and put them in document order at the right lines. */
static void test_parts_items(void)
{
    const char html[] = "<html><body><a href=\"/before/\">b</a>\n<main>"
                        "<p>\n<a href=\"/real/\">r</a></p>\n<h2 id=\"real\">x</h2>"
                        "</main>\n<a href=\"/after/\">a</a></body></html>";
    const char *start = strstr(html, "<p>"), *end = strstr(html, "</main>");
    lc_part_item items[] = {{LC_PART_LINK, "/fake/", NULL, 1},
                            {LC_PART_IMAGE, "/fake.png", NULL, 1},
                            {LC_PART_ID, "fake", "h3", 2}};
    lc_part part = {(size_t)(start - html), (size_t)(end - start), items, 3};
    char *got = describe(lc_page_parse_parts(html, sizeof html - 1, "p/index.html", &part, 1));
    CHECK_STR(got, "link a href 0 1 0 0 /before/\n"
                   "link a href 0 3 0 0 /fake/\n"
                   "link img src 1 3 0 0 /fake.png\n"
                   "link a href 0 5 0 0 /after/\n"
                   "base -\nredirect 0\nsettled 0\nid fake\n");
    free(got);
    /* out of place: inside an ignored element, a comment, or with a bad offset; then the
     * page is parsed whole and the items are not used */
    const char *const wraps[] = {"<div data-refpress-ignore>%s</div>", "<!-- %s -->",
                                 "<div title=\"%s\"></div>"};
    for (size_t w = 0; w < sizeof wraps / sizeof *wraps; w++) {
        buf_t b = BUF_INIT;
        const char *at = strstr(wraps[w], "%s");
        buf_put(&b, wraps[w], (size_t)(at - wraps[w]));
        size_t off = b.len;
        buf_puts(&b, "<a href=\"/real/\">r</a>");
        size_t len = b.len - off;
        buf_puts(&b, at + 2);
        lc_part one = {off, len, items, 1};
        char *fast = describe(lc_page_parse_parts(b.ptr, b.len, "p.html", &one, 1));
        char *slow = describe(lc_page_parse(b.ptr, b.len, "p.html"));
        CHECK_STR(fast, slow);
        CHECK(strstr(fast, "/fake/") == NULL);
        free(fast);
        free(slow);
        buf_free(&b);
    }
    lc_part bad = {sizeof html, 4, items, 1};
    char *fast = describe(lc_page_parse_parts(html, sizeof html - 1, "p.html", &bad, 1));
    CHECK(strstr(fast, "/real/") != NULL);
    free(fast);
}

/* Rendered Markdown in a page, as its body or as a front matter field: sitecheck_parse
 * (libxml2 reads the page without it, its items come from md_render) keeps exactly what
 * lc_page_parse keeps, for Markdown with every kind of link and id, in every kind of place a
 * template can put it. */
static void test_parts_markdown(void)
{
    static const char *const docs[] = {
        "# Intro\n\nSee [a](/a/?x=1&y='2' \"t\nt\") and <https://e.org/>, [up](../u/#intro).\n"
        "\n![pic](<img/c d.png> \"p\") [![in](i.png)](/t/)\n\n## Intro\n\n## !!!\n\n"
        "| a | b |\n|---|---|\n| [x](#intro-1) | `<a href=\"/no/\">` |\n\n"
        "- [ ] [todo](/todo/)\n- [x] done\n\n```c\n<a href=\"/code/\">\n```\n\n"
        "[bad](javascript:x) [é](/é/) [mail](mailto:a@b.org) www.example.org\n",
        "## Faq\n\nText with <b>raw</b> html and [a link](/faq/).\n\n### Intro\n",
        "No links at all, *just* text.\n",
    };
    static const char *const pages[] = {
        "<!DOCTYPE html>\n<html><head><title>t</title></head><body>\n"
        "<h2 id=\"intro\">Top</h2><main>\n%s\n</main>\n<section id=\"faq\"><a href=\"#faq\">f</a>"
        "</section>\n</body></html>\n",
        "<html><body><p>Lead: %s</p><p>after</p></body></html>",
        "<html><body><div data-refpress-ignore><p>%s</p></div><a href=\"/x/\">x</a></body></html>",
        "<html><body><!-- %s --><a href=\"/x/\">x</a></body></html>",
        "<html><head><script>var s = '%s';</script></head><body></body></html>",
        "<html><body><div title=\"%s\">x</div></body></html>",
        "<html><body><div>%s</div><p>again:</p>%s</body></html>",
    };
    static const char *const bases[] = {NULL, "/docs/"};
    int known = 0;
    for (size_t d = 0; d < sizeof docs / sizeof *docs; d++)
        for (size_t b = 0; b < 4; b++) {
            bool field = b >= 2; /* a field: no heading ids */
            md_options o = {false, !field, bases[b % 2], true};
            md_result r;
            md_render(docs[d], strlen(docs[d]), 1, 1, &o, &r);
            buf_t polished = BUF_INIT;
            md_polish_html(r.html, r.html_len, &polished);
            free(r.html);
            r.html_len = polished.len;
            r.html = buf_detach(&polished);
            known += r.items_known;
            page_text text = {0};
            page_field f = {r.html, r.html_len, r.items, r.nitems};
            if (field && r.items_known) text.fields = &f, text.nfields = 1;
            else if (!field) text.body = r;
            for (size_t t = 0; t < sizeof pages / sizeof *pages; t++) {
                buf_t html = BUF_INIT;
                for (const char *q = pages[t], *at; q; q = at ? at + 2 : NULL) {
                    at = strstr(q, "%s");
                    buf_put(&html, q, at ? (size_t)(at - q) : strlen(q));
                    if (at) buf_puts(&html, r.html);
                }
                const char *path = "p/index.html";
                char *fast = describe(sitecheck_parse(path, html.ptr, html.len, &text, NULL, NULL));
                char *slow = describe(lc_page_parse(html.ptr, html.len, "p/index.html"));
                if (strcmp(fast, slow) != 0)
                    fprintf(stderr, "doc %zu base %zu page %zu:\n--- parse\n%s--- parts\n%s", d,
                            b, t, slow, fast);
                CHECK_STR(fast, slow);
                free(fast);
                free(slow);
                buf_free(&html);
            }
            md_result_free(&r);
        }
    CHECK_INT(known, 12); /* every body and field took the fast path where it could */
}

/* Adds to c a chart as context_render_page hands it out: 0 adoption, 1 sparkline, 2 compared
 * bars, 3 compared lines (these two with links), 4 a <script> of structured data. */
static void part_add(context_parts *c, int kind, const char *id)
{
    static const chart_point pts[] = {{2019, 40}, {2020, 52.5}, {2022, 61}};
    chart_series s[] = {{"Lua & \"C\"", "/tech/lua/?a=1&b=2", pts, 3, 2019, 2022},
                        {"Go", NULL, pts, 2, 2019, 2020},
                        {"C", "#rp-chart-1-title", pts + 1, 2, 2020, 2022}};
    buf_t b = BUF_INIT;
    chart_ids ids = {0};
    switch (kind) {
    case 0: chart_adoption(s, NULL, id, &b, &ids); break;
    case 1: chart_spark(s, id, &b, &ids); break;
    case 2: chart_compare_bars(s, 3, NULL, id, &b, &ids); break;
    case 3: chart_compare_lines(s, 3, "Lines", id, &b, &ids); break;
    default:
        buf_puts(&b, "<script type=\"application/ld+json\">\n{\"url\": \"<a href=/no/>\"}\n"
                     "</script>\n");
    }
    xgrow(&c->v, &c->cap, c->n + 1, sizeof *c->v);
    c->v[c->n].len = b.len;
    c->v[c->n].html = buf_detach(&b);
    c->v[c->n++].ids = ids;
}

/* Charts and the structured data the render wrote are left out too, with their links and
 * ids, and so are Markdown fields: the same page comes out, in order or not, once or twice,
 * with the body, and where a part may not be used. */
static void test_parts_helpers(void)
{
    context_parts c = {0};
    part_add(&c, 0, "rp-chart-1");
    part_add(&c, 1, "rp-chart-2");
    part_add(&c, 1, "a\"b<");
    part_add(&c, 2, "rp-chart-4");
    part_add(&c, 3, "rp-chart-5");
    part_add(&c, 4, NULL);
    CHECK_INT(c.v[0].ids.n, 4); /* title and desc, wide and narrow */
    CHECK_INT(c.v[1].ids.n, 1);
    CHECK_INT(c.v[3].ids.n, 4 + 6); /* 2 links in each drawing and 2 in the table */
    CHECK_INT(c.v[4].ids.n, 4 + 2); /* 2 links in the legend */
    CHECK_INT(c.v[5].ids.n, 0);
    CHECK(c.v[3].ids.v[2].link && strcmp(c.v[3].ids.v[2].str, "#rp-chart-1-title") == 0);
    CHECK(c.v[3].ids.v[3].link && strcmp(c.v[3].ids.v[3].str, "/tech/lua/?a=1&b=2") == 0);
    md_options o = {false, true, NULL, true};
    md_result r;
    const char md[] = "# Top\n\n[x](#rp-chart-1-title) [y](/y/)\n";
    md_render(md, sizeof md - 1, 1, 1, &o, &r);
    md_options fo = {false, false, NULL, true};
    md_result fr;
    const char fmd[] = "A [field](/f/) with ![an image](f.png).\n";
    md_render(fmd, sizeof fmd - 1, 1, 1, &fo, &fr);
    page_field f = {fr.html, fr.html_len, fr.items, fr.nitems};
    page_text text = {.body = r, .fields = &f, .nfields = 1};
    static const char *const orders[] = {"0b12", "2b10", "b0021", "1i0b", "0c2b1", "f3b4f5",
                                         "5f4i3b0", "c5b4f1i3"};
    for (size_t k = 0; k < sizeof orders / sizeof *orders; k++) {
        buf_t html = BUF_INIT;
        buf_puts(&html, "<html><body>\n<h1 id=\"rp-chart-2-title\">dup</h1>\n");
        /* b: the body; f: the field; 0-5: a part; i and c: the next one inside an ignored
         * <div> or a comment */
        char prev = 0;
        for (const char *q = orders[k]; *q; prev = *q++) {
            if (*q == 'i') buf_puts(&html, "<div data-refpress-ignore>");
            else if (*q == 'c') buf_puts(&html, "<!-- ");
            else if (*q == 'b') buf_put(&html, r.html, r.html_len);
            else if (*q == 'f') buf_put(&html, fr.html, fr.html_len);
            else buf_put(&html, c.v[*q - '0'].html, c.v[*q - '0'].len);
            if (*q == 'i' || *q == 'c') continue;
            buf_puts(&html, prev == 'i' ? "</div>\n" : prev == 'c' ? " -->\n" : "\n");
        }
        buf_puts(&html, "</body></html>\n");
        char *fast =
            describe(sitecheck_parse("p/index.html", html.ptr, html.len, &text, &c, NULL));
        char *slow = describe(lc_page_parse(html.ptr, html.len, "p/index.html"));
        if (strcmp(fast, slow) != 0)
            fprintf(stderr, "order %s:\n--- parse\n%s--- parts\n%s", orders[k], slow, fast);
        CHECK_STR(fast, slow);
        if (strchr(orders[k], '0')) CHECK(strstr(fast, "id rp-chart-1-n-desc") != NULL);
        free(fast);
        free(slow);
        buf_free(&html);
    }
    /* the field's items are what the page reports for it: the fast path ran */
    free(f.items[0].str);
    f.items[0].str = xstrdup("/fake/");
    buf_t html = BUF_INIT;
    buf_printf(&html, "<html><body>\n%s</body></html>\n", fr.html);
    char *fast = describe(sitecheck_parse("p/index.html", html.ptr, html.len, &text, &c, NULL));
    CHECK(strstr(fast, "/fake/") != NULL && strstr(fast, "/f/") == NULL);
    free(fast);
    buf_free(&html);
    md_result_free(&r);
    md_result_free(&fr);
    context_parts_free(&c);
}

/* Pieces of template output: every usable piece read once alone gives the page that a whole
 * parse gives, wherever it stands, and a piece that libxml2 could read otherwise in another
 * place is never used. Each page holds the piece twice, so the cache reads it at once. */
static const char *const piece_texts[] = {
    /* usable */
    "<ol>\n<li><a href=\"#a\">A</a></li>\n<li><a href=\"/x/#b\" id=\"q\">B</a>\n</li>\n</ol>",
    "<header class=\"h\"><a href=\"/\"><img src=\"/logo.svg\" alt=\"\"></a><nav><ul>"
    "<li><a href=\"/s/\" aria-current=\"true\">S</a></li></ul></nav></header>",
    "<div id=\"dup\">a</div><div id=\"dup\">b</div><span id=\"\">e</span><p>and more</p>",
    "<DIV ID=\"Up\"><A HREF=\"/Caps/\">c</A></DIV ><br/><hr><input value=\"&amp;\">"
    "<a href=\"/amp?a=1&amp;b=2\">x</a>",
    "<svg viewBox=\"0 0 1 1\"><path d=\"M0 0\"/><a href=\"/svg/\">s</a><title id=\"t\">t</title>"
    "</svg>",
    "<style>p > a { color: red }</style><a href=\"/st/\">s</a> and text",
    "<a href=\"/multi/\"\n title=\"x\">m\n</a>\n<h2 id=\"l3\">x</h2>\n"
    "<img src=\"i.png\"\nalt=\"i\">",
    "<table><tr><td><a href=\"/td/\">t</a></td></tr></table><!-- a closed comment -->",
    "<p class=\"lede\">A paragraph with <b>bold</b> text, and no link or id at all.</p>",
    /* not usable */
    "<p>open paragraph <a href=\"/p/\">p</a> and nothing to close it",
    "<p>para<div><a href=\"/d/\">d</a></div></p> with a div that ends the paragraph",
    "</div><a href=\"/stray/\">s</a> after an end tag with nothing of its own to end",
    "<!-- an open comment <a href=\"/c/\">c</a> and nothing to close it",
    "<a href=\"/t/\" title=\"an attribute value that goes on and on",
    "<script>var a = \"<a href='/s/'>\";</script><a href=\"/after-script/\">x</a>",
    "<style>p { color: red } /* </div> ends the style for libxml2 */</style><p>x</p>",
    "<div data-refpress-ignore><a href=\"/i/\">i</a></div><a href=\"/not/\">n</a>",
    "<img src=\"/noalt.png\"><a href=\"/x/\">an image without alt text</a>",
    "<a name=\"anchor\">n</a><a href=\"#anchor\">a name is not an id to a part</a>",
    "<base href=\"/other/\"><a href=\"x/\">a base changes every link after it</a>",
    "text & more <a href=\"/bare/\">a bare ampersand</a> is an error to libxml2",
    "<ul><li>one<li>two <a href=\"/li/\">l</a></ul> with items that end each other",
    "<a href=\"/a1/\">one <a href=\"/a2/\">two</a></a> links inside links",
    "<img src=\"/s.png\" alt=\"s\" srcset=\"/s2.png 2x\"><a href=\"/srcset/\">x</a>",
    "<meta http-equiv=\"refresh\" content=\"0; url=/r/\"><a href=\"/meta/\">x</a>",
    "<body><a href=\"/body/\">a body tag where there is one already</a></body>",
    "<textarea><a href=\"/ta/\">in a textarea</a> and no end",
    "<p>a processing instruction left open</p><?php echo 1 <a href=\"/php/\">x</a>",
    "<div class=\"x\"><p>a paragraph ended by the end of its div</div><a href=\"/p/\">p</a>",
};
#define PIECES_USABLE 9

static const char *const piece_pages[] = {
    "<!DOCTYPE html>\n<html><head><title>t</title></head><body>\n<main>%s</main>\n"
    "<p id=\"mid\">m</p>\n<div>%s</div>\n<a href=\"#mid\">m</a> <a href=\"#q\">q</a></body>"
    "</html>\n",
    "<html><body><p>lead %s tail</p><ul><li>%s</li></ul><a href=\"/end/\">e</a></body></html>",
    "<html><head>%s</head><body>%s</body></html>",
    "<html><body><div data-refpress-ignore>%s</div>%s<a href=\"/after/\">a</a></body></html>",
    "<html><body><!-- %s -->%s<a href=\"/after/\">a</a></body></html>",
    "<html><body><table><tr><td>%s</td></tr></table><select>%s</select></body></html>",
    "<html><body><script>var x = '%s';</script><div title=\"%s\"></div><a href=\"/z/\">z</a>"
    "</body></html>",
    "<html><body><ul><li>%s<li>%s</ul><p><span data-refpress-ignore><a href=\"/ign/\">i</a>"
    "</span></p></body></html>",
};

/* The page of piece_pages[t] with the piece at each %s, and the two spans in c. */
static void piece_page(size_t t, const char *piece, buf_t *html, context_parts *c)
{
    c->spans.n = 0;
    for (const char *q = piece_pages[t], *at; q; q = at ? at + 2 : NULL) {
        at = strstr(q, "%s");
        buf_put(html, q, at ? (size_t)(at - q) : strlen(q));
        if (!at) continue;
        xgrow(&c->spans.v, &c->spans.cap, c->spans.n + 1, sizeof *c->spans.v);
        c->spans.v[c->spans.n++] = (tpl_span){html->len, strlen(piece)};
        buf_puts(html, piece);
    }
}

static void test_pieces(void)
{
    size_t npieces = sizeof piece_texts / sizeof *piece_texts;
    int used[sizeof piece_texts / sizeof *piece_texts] = {0};
    for (size_t i = 0; i < npieces; i++)
        for (size_t t = 0; t < sizeof piece_pages / sizeof *piece_pages; t++) {
            lc_piece_cache *cache = lc_piece_cache_new();
            context_parts c = {0};
            buf_t html = BUF_INIT;
            piece_page(t, piece_texts[i], &html, &c);
            lc_part out[2];
            lc_part in[2] = {{c.spans.v[0].off, c.spans.v[0].len, NULL, 0},
                             {c.spans.v[1].off, c.spans.v[1].len, NULL, 0}};
            used[i] += lc_piece_parts(cache, html.ptr, html.len, in, 2, out) == 2;
            char *fast = describe(sitecheck_parse("p/index.html", html.ptr, html.len, NULL, &c,
                                                  cache));
            char *slow = describe(lc_page_parse(html.ptr, html.len, "p/index.html"));
            if (strcmp(fast, slow) != 0)
                fprintf(stderr, "piece %zu page %zu:\n--- parse\n%s--- pieces\n%s", i, t, slow,
                        fast);
            CHECK_STR(fast, slow);
            free(fast);
            free(slow);
            buf_free(&html);
            context_parts_free(&c);
            lc_piece_cache_free(cache);
        }
    for (size_t i = 0; i < npieces; i++) {
        if (used[i] != (i < PIECES_USABLE ? 8 : 0)) fprintf(stderr, "piece %zu\n", i);
        CHECK_INT(used[i], i < PIECES_USABLE ? 8 : 0);
    }
}

/* The cache: a piece is read at its second sighting, on one page or across two; then its
 * items, not its HTML, say what the page holds; other bytes of the same length are not taken
 * for it; and a page that is not UTF-8 uses none. */
static void test_piece_cache(void)
{
    const char *piece = piece_texts[0];
    lc_piece_cache *cache = lc_piece_cache_new();
    buf_t html = BUF_INIT;
    buf_printf(&html, "<html><body><nav>%s</nav></body></html>", piece);
    lc_part in = {strlen("<html><body><nav>"), strlen(piece), NULL, 0}, out;
    CHECK_INT(lc_piece_parts(cache, html.ptr, html.len, &in, 1, &out), 0);
    CHECK_INT(lc_piece_parts(cache, html.ptr, html.len, &in, 1, &out), 1);
    CHECK_INT(out.off, in.off);
    CHECK_INT(out.len, in.len);
    CHECK_INT(out.nitems, 3);
    CHECK(out.items[0].kind == LC_PART_LINK && strcmp(out.items[0].str, "#a") == 0);
    CHECK(out.items[1].kind == LC_PART_ID && strcmp(out.items[1].str, "q") == 0 &&
          strcmp(out.items[1].tag, "a") == 0 && out.items[1].line == 2);
    CHECK(out.items[2].kind == LC_PART_LINK && strcmp(out.items[2].str, "/x/#b") == 0);
    char *p = strstr(html.ptr, "/x/#b");
    p[1] = 'y'; /* same length, other bytes: read as they are */
    CHECK_INT(lc_piece_parts(cache, html.ptr, html.len, &in, 1, &out), 0);
    CHECK_INT(lc_piece_parts(cache, html.ptr, html.len, &in, 1, &out), 1);
    CHECK(strcmp(out.items[2].str, "/y/#b") == 0);
    buf_t latin = BUF_INIT;
    buf_printf(&latin, "<html><head><meta charset=\"latin1\"></head><body>%s</body></html>",
               html.ptr);
    in.off += latin.len - html.len - strlen("</body></html>");
    CHECK_INT(lc_piece_parts(cache, latin.ptr, latin.len, &in, 1, &out), 0);
    CHECK_INT(lc_piece_parts(cache, latin.ptr, latin.len, &in, 1, &out), 0);
    buf_free(&latin);
    buf_free(&html);
    lc_piece_cache_free(cache);
}

int main(void)
{
    md_global_init();
    test_parts_items();
    test_parts_markdown();
    test_parts_helpers();
    test_pieces();
    test_piece_cache();
    return harness_done();
}
