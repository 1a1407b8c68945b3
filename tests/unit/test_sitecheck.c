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

/* Rendered Markdown in a page: sitecheck_parse (libxml2 reads the page without the body, the
 * body's items come from md_render) keeps exactly what lc_page_parse keeps, for bodies with
 * every kind of link and id, in every kind of place a template can put them. */
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
    };
    static const char *const bases[] = {NULL, "/docs/"};
    int known = 0;
    for (size_t d = 0; d < sizeof docs / sizeof *docs; d++)
        for (size_t b = 0; b < 2; b++) {
            md_options o = {false, true, bases[b], true};
            md_result r;
            md_render(docs[d], strlen(docs[d]), 1, 1, &o, &r);
            buf_t body = BUF_INIT;
            md_polish_html(r.html, r.html_len, &body);
            free(r.html);
            r.html_len = body.len;
            r.html = buf_detach(&body);
            known += r.items_known;
            for (size_t t = 0; t < sizeof pages / sizeof *pages; t++) {
                buf_t html = BUF_INIT;
                const char *at = strstr(pages[t], "%s");
                buf_put(&html, pages[t], (size_t)(at - pages[t]));
                buf_puts(&html, r.html);
                buf_puts(&html, at + 2);
                const char *path = "p/index.html";
                char *fast = describe(sitecheck_parse(path, html.ptr, html.len, &r, NULL));
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
    CHECK_INT(known, 6); /* every body took the fast path where it could */
}

static void chart_add(context_charts *c, bool spark, const char *id)
{
    static const chart_point pts[] = {{2019, 40}, {2020, 52.5}, {2022, 61}};
    chart_series s = {"Lua & \"C\"", NULL, pts, 3, 2019, 2022};
    buf_t b = BUF_INIT;
    chart_ids ids = {0};
    if (spark) chart_spark(&s, id, &b, &ids);
    else chart_adoption(&s, NULL, id, &b, &ids);
    xgrow(&c->v, &c->cap, c->n + 1, sizeof *c->v);
    c->v[c->n].len = b.len;
    c->v[c->n].html = buf_detach(&b);
    c->v[c->n++].ids = ids;
}

/* Charts the render wrote are left out too, with their ids: the same page comes out, in
 * order or not, once or twice, with the body, and where a part may not be used. */
static void test_parts_charts(void)
{
    context_charts c = {0};
    chart_add(&c, false, "rp-chart-1");
    chart_add(&c, true, "rp-chart-2");
    chart_add(&c, true, "a\"b<");
    CHECK_INT(c.v[0].ids.n, 4); /* title and desc, wide and narrow */
    CHECK_INT(c.v[1].ids.n, 1);
    md_options o = {false, true, NULL, true};
    md_result r;
    const char md[] = "# Top\n\n[x](#rp-chart-1-title) [y](/y/)\n";
    md_render(md, sizeof md - 1, 1, 1, &o, &r);
    static const char *const orders[] = {"0b12", "2b10", "b0021", "1i0b", "0c2b1"};
    for (size_t k = 0; k < sizeof orders / sizeof *orders; k++) {
        buf_t html = BUF_INIT;
        buf_puts(&html, "<html><body>\n<h1 id=\"rp-chart-2-title\">dup</h1>\n");
        /* b: the body; 0-2: a chart; i and c: the next one inside an ignored <div> or a
         * comment */
        char prev = 0;
        for (const char *q = orders[k]; *q; prev = *q++) {
            if (*q == 'i') buf_puts(&html, "<div data-refpress-ignore>");
            else if (*q == 'c') buf_puts(&html, "<!-- ");
            else if (*q == 'b') buf_put(&html, r.html, r.html_len);
            else buf_put(&html, c.v[*q - '0'].html, c.v[*q - '0'].len);
            if (*q == 'i' || *q == 'c') continue;
            buf_puts(&html, prev == 'i' ? "</div>\n" : prev == 'c' ? " -->\n" : "\n");
        }
        buf_puts(&html, "</body></html>\n");
        char *fast = describe(sitecheck_parse("p/index.html", html.ptr, html.len, &r, &c));
        char *slow = describe(lc_page_parse(html.ptr, html.len, "p/index.html"));
        if (strcmp(fast, slow) != 0)
            fprintf(stderr, "order %s:\n--- parse\n%s--- parts\n%s", orders[k], slow, fast);
        CHECK_STR(fast, slow);
        CHECK(strstr(fast, "id rp-chart-1-n-desc") != NULL);
        free(fast);
        free(slow);
        buf_free(&html);
    }
    md_result_free(&r);
    context_charts_free(&c);
}

int main(void)
{
    md_global_init();
    test_parts_items();
    test_parts_markdown();
    test_parts_charts();
    return harness_done();
}
