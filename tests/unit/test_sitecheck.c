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
                char *fast = describe(sitecheck_parse(path, html.ptr, html.len, &text, NULL));
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
        char *fast = describe(sitecheck_parse("p/index.html", html.ptr, html.len, &text, &c));
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
    char *fast = describe(sitecheck_parse("p/index.html", html.ptr, html.len, &text, &c));
    CHECK(strstr(fast, "/fake/") != NULL && strstr(fast, "/f/") == NULL);
    free(fast);
    buf_free(&html);
    md_result_free(&r);
    md_result_free(&fr);
    context_parts_free(&c);
}

int main(void)
{
    md_global_init();
    test_parts_items();
    test_parts_markdown();
    test_parts_helpers();
    return harness_done();
}
