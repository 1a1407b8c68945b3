/* test_markdown.c — GFM rendering, heading ids and toc, link positions, word counts, and
 * hostile inputs for the markdown module. */
#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "harness.h"
#include "markdown.h"

static md_result R;

static void render_at(const char *md, int line, int col, bool ids, bool unsafe)
{
    md_options o = {unsafe, ids, NULL, true};
    md_result_free(&R);
    md_render(md, strlen(md), line, col, &o, &R);
}

static void render(const char *md)
{
    render_at(md, 1, 1, true, false);
}

/* "line:col" of the n-th link to dest (n from 0), or "missing". */
static const char *pos_of(const char *dest, int n)
{
    static char out[64];
    for (size_t i = 0; i < R.nlinks; i++) {
        if (strcmp(R.links[i].dest, dest) == 0 && n-- == 0) {
            snprintf(out, sizeof out, "%d:%d", R.links[i].line, R.links[i].col);
            return out;
        }
    }
    return "missing";
}

static double seconds_since(clock_t t0)
{
    return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* ---- HTML output ------------------------------------------------------------------------ */

static void test_tables(void)
{
    render_at("| L | C | R |\n|:--|:-:|--:|\n| 1 | `a|b` | x \\| y |\n", 1, 1, false, false);
    CHECK_STR(R.html, "<table>\n<thead>\n<tr>\n<th align=\"left\">L</th>\n"
                      "<th align=\"center\">C</th>\n<th align=\"right\">R</th>\n</tr>\n</thead>\n"
                      "<tbody>\n<tr>\n<td align=\"left\">1</td>\n<td align=\"center\">`a</td>\n"
                      "<td align=\"right\">b`</td>\n</tr>\n</tbody>\n</table>\n");
    render_at("| a |\n|---|\n| x \\| y |\n", 1, 1, false, false);
    CHECK_STR(R.html, "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n"
                      "<td>x | y</td>\n</tr>\n</tbody>\n</table>\n");
    CHECK_INT(R.html_len, strlen(R.html));
}

static void test_inline_extensions(void)
{
    render("~~gone~~ and ~one~ but not ~~~three~~~");
    CHECK_STR(R.html, "<p><del>gone</del> and <del>one</del> but not ~~~three~~~</p>\n");
    render("- [ ] todo\n- [x] done\n- [X] also\n");
    CHECK_STR(R.html,
              "<ul>\n<li><input type=\"checkbox\" disabled=\"\" /> todo</li>\n"
              "<li><input type=\"checkbox\" checked=\"\" disabled=\"\" /> done</li>\n"
              "<li><input type=\"checkbox\" checked=\"\" disabled=\"\" /> also</li>\n</ul>\n");
    render("See www.example.com, https://example.org/a?b=1 or <https://x.y/z> and mail "
           "me@example.com.");
    CHECK_STR(R.html, "<p>See <a href=\"http://www.example.com\">www.example.com</a>, "
                      "<a href=\"https://example.org/a?b=1\">https://example.org/a?b=1</a> or "
                      "<a href=\"https://x.y/z\">https://x.y/z</a> and mail "
                      "<a href=\"mailto:me@example.com\">me@example.com</a>.</p>\n");
    render("```python\nprint(\"hi\")\n```\n");
    CHECK_STR(R.html,
              "<pre><code class=\"language-python\">print(&quot;hi&quot;)\n</code></pre>\n");
    render("\"Straight\" quotes -- and ... stay");
    CHECK_STR(R.html, "<p>&quot;Straight&quot; quotes -- and ... stay</p>\n"); /* smart off */
}

static void test_footnotes(void)
{
    render("Note[^1] and again[^note].\n\n[^1]: First *note*.\n[^note]: Second.\n");
    CHECK_STR(R.html,
              "<p>Note<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\" "
              "data-footnote-ref>1</a></sup> and again<sup class=\"footnote-ref\"><a "
              "href=\"#fn-note\" id=\"fnref-note\" data-footnote-ref>2</a></sup>.</p>\n"
              "<section class=\"footnotes\" data-footnotes>\n<ol>\n<li id=\"fn-1\">\n"
              "<p>First <em>note</em>. <a href=\"#fnref-1\" class=\"footnote-backref\" "
              "data-footnote-backref aria-label=\"Back to content\">↩</a></p>\n</li>\n"
              "<li id=\"fn-note\">\n<p>Second. <a href=\"#fnref-note\" class=\"footnote-backref\" "
              "data-footnote-backref aria-label=\"Back to content\">↩</a></p>\n</li>\n</ol>\n"
              "</section>\n");
    CHECK_INT(R.nlinks, 0); /* footnote references and back-references are not links */
}

static void test_raw_html(void)
{
    const char *md = "<div onclick=\"x()\">\n*hi*\n</div>\n\nText <b>bold</b> "
                     "<script>alert(1)</script>\n\n[a](javascript:alert(1)) [v](VBScript:x) "
                     "![i](data:image/png;base64,AA) [ok](https://ok)\n";
    render_at(md, 1, 1, false, false);
    CHECK_STR(R.html, "<!-- raw HTML omitted -->\n<p>Text <!-- raw HTML omitted -->bold<!-- raw "
                      "HTML omitted --> <!-- raw HTML omitted -->alert(1)<!-- raw HTML omitted "
                      "--></p>\n<p><a href=\"\">a</a> <a href=\"\">v</a> <img "
                      "src=\"data:image/png;base64,AA\" alt=\"i\" /> <a "
                      "href=\"https://ok\">ok</a></p>\n");
    CHECK(!strstr(R.html, "javascript:"));
    CHECK(!strstr(R.html, "onclick"));
    CHECK_STR(pos_of("javascript:alert(1)", 0), "7:1"); /* still reported to the link checker */
    render_at(md, 1, 1, false, true);
    CHECK_STR(R.html,
              "<div onclick=\"x()\">\n*hi*\n</div>\n<p>Text <b>bold</b> "
              "&lt;script>alert(1)&lt;/script></p>\n<p><a href=\"javascript:alert(1)\">a</a> "
              "<a href=\"VBScript:x\">v</a> <img src=\"data:image/png;base64,AA\" alt=\"i\" /> "
              "<a href=\"https://ok\">ok</a></p>\n");
    /* tagfilter: the dangerous tags stay escaped even when raw HTML is allowed (here an HTML
     * block; the <script> above was inline) */
    render_at("<title>t</title> <textarea>x</textarea> <iframe src=y></iframe> <xmp> "
              "<noembed> <noframes> <plaintext> <style> <b>ok</b>",
              1, 1, false, true);
    CHECK_STR(R.html, "&lt;title>t&lt;/title> &lt;textarea>x&lt;/textarea> &lt;iframe src=y>"
                      "&lt;/iframe> &lt;xmp> &lt;noembed> &lt;noframes> &lt;plaintext> "
                      "&lt;style> <b>ok</b>\n");
}

/* ---- Heading ids and the table of contents ---------------------------------------------- */

static const char *const headings_md =
    "# Getting started\n"
    "## Getting started\n"
    "## `code` and *emphasis*\n"
    "## C++ & Rust!\n"
    "## Ünïcödé Straße\n"
    "## What's new in v2.0?\n"
    "### <span>Raw</span> <h2 id=\"evil\"> data-sourcepos=\"1:1-2:2\"\n"
    "#\n"
    "## !!!\n"
    "Setext *heading*\n"
    "================\n"
    "- ## In a list\n"
    "## ![logo](l.png) Install `make` [docs](/d)\n";

static void test_heading_ids(void)
{
    render(headings_md);
    CHECK_STR(R.html,
              "<h1 id=\"getting-started\">Getting started</h1>\n"
              "<h2 id=\"getting-started-1\">Getting started</h2>\n"
              "<h2 id=\"code-and-emphasis\"><code>code</code> and <em>emphasis</em></h2>\n"
              "<h2 id=\"c--rust\">C++ &amp; Rust!</h2>\n"
              "<h2 id=\"ünïcödé-straße\">Ünïcödé Straße</h2>\n"
              "<h2 id=\"whats-new-in-v20\">What's new in v2.0?</h2>\n"
              "<h3 id=\"raw--data-sourcepos11-22\"><!-- raw HTML omitted -->Raw<!-- raw HTML "
              "omitted --> <!-- raw HTML omitted --> data-sourcepos=&quot;1:1-2:2&quot;</h3>\n"
              "<h1></h1>\n"
              "<h2 id=\"-1\">!!!</h2>\n"
              "<h1 id=\"setext-heading\">Setext <em>heading</em></h1>\n"
              "<ul>\n<li>\n<h2 id=\"in-a-list\">In a list</h2>\n</li>\n</ul>\n"
              "<h2 id=\"-install-make-docs\"><img src=\"l.png\" alt=\"logo\" /> Install "
              "<code>make</code> <a href=\"/d\">docs</a></h2>\n");
    CHECK(!strstr(R.html, "data-sourcepos=\"")); /* only the author's escaped text */

    /* With raw HTML allowed, the author's own <h2 id="evil"> does not disturb our ids. */
    render_at(headings_md, 1, 1, true, true);
    CHECK(strstr(R.html, "<h3 id=\"raw--data-sourcepos11-22\"><span>Raw</span> <h2 id=\"evil\"> "
                         "data-sourcepos=&quot;1:1-2:2&quot;</h3>\n") != NULL);
    CHECK(strstr(R.html, "<h2 id=\"getting-started-1\">Getting started</h2>\n") != NULL);
}

static void test_toc(void)
{
    static const struct {
        int level;
        const char *id, *text;
        int line;
    } want[] = {
        {1, "getting-started", "Getting started", 21},
        {2, "getting-started-1", "Getting started", 22},
        {2, "code-and-emphasis", "code and emphasis", 23},
        {2, "c--rust", "C++ & Rust!", 24},
        {2, "ünïcödé-straße", "Ünïcödé Straße", 25},
        {2, "whats-new-in-v20", "What's new in v2.0?", 26},
        {3, "raw--data-sourcepos11-22", "Raw  data-sourcepos=\"1:1-2:2\"", 27},
        {1, "", "", 28},
        {2, "-1", "!!!", 29},
        {1, "setext-heading", "Setext heading", 30},
        {2, "in-a-list", "In a list", 32},
        {2, "-install-make-docs", "Install make docs", 33},
    };
    render_at(headings_md, 21, 5, true, false);
    CHECK_INT(R.ntoc, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < R.ntoc && i < sizeof want / sizeof want[0]; i++) {
        CHECK_INT(R.toc[i].level, want[i].level);
        CHECK_STR(R.toc[i].id, want[i].id);
        CHECK_STR(R.toc[i].text, want[i].text);
        CHECK_INT(R.toc[i].line, want[i].line);
    }
    render("Line one\nline two\n---\n");
    CHECK_INT(R.ntoc, 1);
    CHECK_STR(R.toc[0].id, "line-oneline-two"); /* GitHub: the line break is not a space */
    CHECK_STR(R.toc[0].text, "Line one line two");

    render_at(headings_md, 1, 1, false, false); /* heading_ids off: no ids, no toc */
    CHECK_INT(R.ntoc, 0);
    CHECK(strncmp(R.html, "<h1>Getting started</h1>\n<h2>Getting started</h2>\n", 50) == 0);
    CHECK(!strstr(R.html, " id=\""));
}

/* ---- Link positions ----------------------------------------------------------------------- */

static void test_positions_paragraphs(void)
{
    render("Intro [one](/one) text\nÜber naïve [two](/two) and ![img](/i.png)\n");
    CHECK_INT(R.nlinks, 3);
    CHECK_STR(pos_of("/one", 0), "1:7");
    CHECK_STR(pos_of("/two", 0), "2:14"); /* columns count bytes: Ü and ï are two each */
    CHECK_STR(pos_of("/i.png", 0), "2:30");
    CHECK(R.links[2].image && !R.links[0].image && !R.links[1].image);
    /* File positions: the first line shifts by first_col, later lines do not. */
    render_at("Intro [one](/one) text\nÜber naïve [two](/two)\n", 10, 5, false, false);
    CHECK_STR(pos_of("/one", 0), "10:11");
    CHECK_STR(pos_of("/two", 0), "11:14");
    /* Code spans and raw HTML across lines, entities and escapes before a link. */
    render("Code `spans\nacross` lines [c1](/c1) &amp; &copy; [c2](/c2)\n<span\n"
           " class=\"x\">html</span> [c3](/c3) \\[not\\] [c4](/c4)\n");
    CHECK_STR(pos_of("/c1", 0), "2:15");
    CHECK_STR(pos_of("/c2", 0), "2:38");
    CHECK_STR(pos_of("/c3", 0), "4:24");
    CHECK_STR(pos_of("/c4", 0), "4:42");
    /* Link text and destination spanning lines; CRLF endings; a tab before the link. */
    render("[multi\nline](/m\n \"title\") after [q](/q)\r\nfoo\r\n\tbar [t](/t)\r\n");
    CHECK_STR(pos_of("/m", 0), "1:1");
    CHECK_STR(pos_of("/q", 0), "3:17");
    CHECK_STR(pos_of("/t", 0), "5:6");
}

static void test_positions_containers(void)
{
    render("- item [a](/a)\n  continued [b](/b)\n    deeper [c](/c)\n- second\n"
           "  1. nested [d](/d)\n     more [e](/e)\n- [ ] task [f](/f)\n");
    CHECK_STR(pos_of("/a", 0), "1:8");
    CHECK_STR(pos_of("/b", 0), "2:13");
    CHECK_STR(pos_of("/c", 0), "3:12");
    CHECK_STR(pos_of("/d", 0), "5:13");
    CHECK_STR(pos_of("/e", 0), "6:11");
    CHECK_STR(pos_of("/f", 0), "7:12");
    render("> quoted [q1](/q1)\nlazy [q2](/q2)\n>   spaced [q3](/q3)\n>\n> > deep [q4](/q4)\n"
           "> >lazy\\\n  [q5](/q5)\n");
    CHECK_STR(pos_of("/q1", 0), "1:10");
    CHECK_STR(pos_of("/q2", 0), "2:6");
    CHECK_STR(pos_of("/q3", 0), "3:12");
    CHECK_STR(pos_of("/q4", 0), "5:10");
    CHECK_STR(pos_of("/q5", 0), "7:3");
    render("-\tfirst [x](/x)\n\tsecond [y](/y)\n");
    CHECK_STR(pos_of("/x", 0), "1:9");
    CHECK_STR(pos_of("/y", 0), "2:9");
}

static void test_positions_tables_headings(void)
{
    render("| Name | Link |\n|------|------|\n| a \\| b | [t1](/t1) |\n"
           "| 日本 | x \\| y [t2](/t2) |\n\n-\t| h |\n    |---|\n    | [t3](/t3) |\n\n"
           "> | h |\n> |---|\n>  | [t4](/t4) |\n");
    CHECK_STR(pos_of("/t1", 0), "3:12");
    CHECK_STR(pos_of("/t2", 0), "4:19");
    CHECK_STR(pos_of("/t3", 0), "8:7");
    CHECK_STR(pos_of("/t4", 0), "12:6");
    render("# Title [h1](/h1) #\nSetext [h2](/h2)\nsecond [h3](/h3)\n---\n> ## Quoted [h4](/h4)\n"
           "  ### Indented [h5](/h5) ###\n");
    CHECK_STR(pos_of("/h1", 0), "1:9");
    CHECK_STR(pos_of("/h2", 0), "2:8");
    CHECK_STR(pos_of("/h3", 0), "3:8");
    CHECK_STR(pos_of("/h4", 0), "5:13");
    CHECK_STR(pos_of("/h5", 0), "6:16");
}

static void test_positions_kinds(void)
{
    render("See www.example.com, https://example.org/a?b=1&amp;c or <https://x.y/z> and mail "
           "me@example.com.\n");
    CHECK_INT(R.nlinks, 4);
    CHECK_STR(pos_of("http://www.example.com", 0), "1:5");
    CHECK_STR(pos_of("https://example.org/a?b=1&amp;c", 0), "1:22");
    CHECK_STR(pos_of("https://x.y/z", 0), "1:57");
    CHECK_STR(pos_of("mailto:me@example.com", 0), "1:82");
    /* Reference links, in a paragraph that starts with a definition (cmark 0.29 leaves the
     * paragraph's start on the definition's line). */
    render("[ref]: /r1\n[ref] then [full][ref] and [coll][]\n\n[coll]: /r2\n\n"
           "Note[^1] here [n](/n).\n\n[^1]: Footnote [f1](/f1)\n    continued [f2](/f2)\n\n"
           "Last [z](/z)\n");
    CHECK_STR(pos_of("/r1", 0), "2:1");
    CHECK_STR(pos_of("/r1", 1), "2:12");
    CHECK_STR(pos_of("/r2", 0), "2:28");
    CHECK_STR(pos_of("/n", 0), "6:15");
    CHECK_STR(pos_of("/f1", 0), "8:16");
    CHECK_STR(pos_of("/f2", 0), "9:15");
    CHECK_STR(pos_of("/z", 0), "11:6");
    /* Document order is source order, even though cmark moves footnotes to the end. */
    CHECK_INT(R.nlinks, 7);
    for (size_t i = 1; i < R.nlinks; i++) {
        CHECK(R.links[i - 1].line < R.links[i].line ||
              (R.links[i - 1].line == R.links[i].line && R.links[i - 1].col < R.links[i].col));
    }
    CHECK_STR(R.links[6].dest, "/z");
    /* Destinations as cmark decodes them; an image inside a link counts twice. */
    render("[a &amp; b](/p%20q?x=1&amp;y=\\*) [![alt](/i.png)](/outer) <mailto:x@y.z>\n");
    CHECK_INT(R.nlinks, 4);
    CHECK_STR(R.links[0].dest, "/p%20q?x=1&y=*");
    CHECK_STR(R.links[1].dest, "/outer");
    CHECK_STR(pos_of("/outer", 0), "1:34");
    CHECK_STR(pos_of("/i.png", 0), "1:35");
    CHECK_STR(pos_of("mailto:x@y.z", 0), "1:59");
    /* Before the BOM a column counts its three bytes, as in the file. */
    render("\xEF\xBB\xBF- a [b](/b)\n  [c](/c)\n");
    CHECK_STR(pos_of("/b", 0), "1:8");
    CHECK_STR(pos_of("/c", 0), "2:3");
}

/* ---- Base path ---------------------------------------------------------------------------- */

static void test_base_path(void)
{
    md_options o = {false, false, "/docs/", false};
    md_result_free(&R);
    const char *md = "[a](/tech/go/#x) [b](//cdn.example/x) [c](../rel/) ![i](/img/a.png) "
                     "[d](https://example.org/) [e](#top)";
    md_render(md, strlen(md), 1, 1, &o, &R);
    CHECK_STR(R.html, "<p><a href=\"/docs/tech/go/#x\">a</a> <a href=\"//cdn.example/x\">b</a> "
                      "<a href=\"../rel/\">c</a> <img src=\"/docs/img/a.png\" alt=\"i\" /> "
                      "<a href=\"https://example.org/\">d</a> <a href=\"#top\">e</a></p>\n");
    CHECK_STR(R.links[0].dest, "/tech/go/#x"); /* as written, for source positions */
    md_options root = {false, false, "/", false};
    md_result_free(&R);
    md_render(md, strlen(md), 1, 1, &root, &R);
    CHECK(strstr(R.html, "href=\"/tech/go/#x\"") != NULL);
}

/* ---- Words -------------------------------------------------------------------------------- */

/* md_count_words reads the source, unparsed: runs of non-blank bytes with a letter or digit. */
static size_t words(const char *md)
{
    return md_count_words(md, strlen(md));
}

static void test_words(void)
{
    /* Hello *big* world foo*bar* `code span` int x 1; ("=" and the fences are no words) */
    CHECK_INT(words("Hello *big* world\n\nfoo*bar* `code span`\n\n```\nint x = 1;\n```\n"), 9);
    CHECK_INT(words("a\n\nb\nc  \nd"), 4);
    CHECK_INT(words("| one | two three |\n|---|---|\n| four | five |\n\n> six\n- seven\n# 8\n"),
              8);
    CHECK_INT(words(""), 0);
    CHECK_INT(words("- | ``` # --- > *"), 0); /* no letter or digit: no word */
    CHECK_INT(words("été\tnaïve\r\nx"), 3);
    /* Long texts are read 64 bytes at a time: a run that crosses a block boundary (with its
     * first letter before, after or on it) still counts once. */
    CHECK_INT(words("                                                              ab cd"), 2);
    CHECK_INT(words("***************************************************************a b"), 2);
    CHECK_INT(words("                                                               a-------"
                    "---------------------------------------------------------b c"), 2);
    CHECK_INT(md_reading_minutes(0), 0);
    CHECK_INT(md_reading_minutes(1), 1);
    CHECK_INT(md_reading_minutes(220), 1);
    CHECK_INT(md_reading_minutes(221), 2);
    CHECK_INT(md_reading_minutes(440), 2);
    CHECK_INT(md_reading_minutes(441), 3);
}

/* The same count, the obvious way, to hold md_count_words to on random text. */
static size_t words_slowly(const unsigned char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (strchr(" \t\n\r", s[i]) && s[i]) {
            i++;
            continue;
        }
        bool word = false;
        for (; i < len && !(strchr(" \t\n\r", s[i]) && s[i]); i++)
            word = word || s[i] >= 0x80 || isalnum(s[i]);
        n += word;
    }
    return n;
}

static void test_words_random(void)
{
    static const unsigned char blanks[] = " \t\n\r";
    static const unsigned char others[] = {'\v', 'a', 'Z', '5', 'z', '@', '[', '`', '{', '/',
                                           ':',  '-', '*', '0', '9', 0xC3, 0x80, 0x7F};
    unsigned char text[300];
    uint32_t seed = 12345;
    int wrong = 0;
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)round % sizeof text;
        uint32_t blank_one_in = round % 3 == 0 ? 2 : round % 3 == 1 ? 12 : 90; /* run lengths */
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 8;
            text[i] = r % blank_one_in == 0 ? blanks[(r >> 8) % 4]
                                            : others[(r >> 8) % sizeof others];
        }
        if (md_count_words((const char *)text, len) != words_slowly(text, len)) wrong++;
    }
    CHECK_INT(wrong, 0); /* texts of the 3,000 whose count differs */
}

/* ---- Hostile inputs ----------------------------------------------------------------------- */

static char *repeat(const char *unit, size_t n, const char *tail)
{
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_puts(&b, unit);
    buf_puts(&b, tail);
    return buf_detach(&b);
}

static void check_fast(const char *what, char *md, size_t want_links)
{
    clock_t t0 = clock();
    render(md);
    double secs = seconds_since(t0);
    if (secs > 3.0 || R.nlinks != want_links)
        fprintf(stderr, "%s: %.2f s, %zu links\n", what, secs, R.nlinks);
    CHECK(secs < 3.0);
    CHECK_INT(R.nlinks, want_links);
    free(md);
}

static void test_pathological(void)
{
    check_fast("100000 [", repeat("[", 100000, ""), 0);
    CHECK_INT(R.html_len, 100000 + strlen("<p></p>\n"));
    buf_t b = BUF_INIT;
    for (int i = 0; i < 50000; i++)
        buf_putc(&b, '[');
    buf_puts(&b, "a](/x)");
    for (int i = 0; i < 50000; i++)
        buf_putc(&b, ']');
    check_fast("50000 nested brackets", buf_detach(&b), 1);
    CHECK_STR(pos_of("/x", 0), "1:50000");
    check_fast("[a](b x30000", repeat("[a](b", 30000, ""), 0);
    check_fast("[a](<b x30000", repeat("[a](<b", 30000, ""), 0);
    check_fast("[a][b x30000", repeat("[a][b", 30000, "\n\n[b]: /u\n"), 0);
    check_fast("quotes 20000 deep", repeat("> ", 20000, "a [x](/y)\n"), 1);
    check_fast("lists 20000 deep", repeat("- ", 20000, "a [x](/y)\n"), 1);
    check_fast("lazy lines", repeat("b [x](/y)\n", 5000, ""), 5000);
    buf_clear(&b);
    for (int i = 0; i < 2000; i++) {
        for (int k = 0; k < i; k++)
            buf_puts(&b, "  ");
        buf_puts(&b, "- a [x](/y)\n");
    }
    check_fast("2000 nested list lines", buf_detach(&b), 2000);
    CHECK_STR(pos_of("/y", 1999), "2000:4003");
    check_fast("entities", repeat("&amp;&#1;&bogus;&copy;[x](/y) ", 20000, ""), 20000);
    buf_clear(&b);
    for (int i = 0; i < 20000; i++)
        buf_printf(&b, "[r%d]: /u\n", i);
    buf_puts(&b, "text [x](/y)\n");
    check_fast("20000 reference definitions", buf_detach(&b), 1);
    CHECK_STR(pos_of("/y", 0), "20001:6");
    check_fast("unclosed title", repeat("x", 50000, "[a](b \""), 0);
    buf_clear(&b);
    buf_puts(&b, "[a](b \"");
    for (int i = 0; i < 50000; i++)
        buf_puts(&b, "x\\\"");
    check_fast("unclosed title 2", buf_detach(&b), 0);
    check_fast("headings", repeat("# same [a](/b)\n", 20000, ""), 20000);
    CHECK_INT(R.ntoc, 20000);
    CHECK_STR(R.toc[19999].id, "same-a-19999");
    buf_free(&b);
}

static void test_odd_bytes(void)
{
    static const char nul[] = "a\0b [x](/x)\0\n\0[y](/y)";
    md_options o = {false, true, NULL, false};
    md_result_free(&R);
    md_render(nul, sizeof nul - 1, 1, 1, &o, &R);
    CHECK(strstr(R.html, "a\xEF\xBF\xBD"
                         "b") != NULL); /* cmark turns NUL into U+FFFD */
    CHECK_STR(pos_of("/x", 0), "1:5");
    CHECK_STR(pos_of("/y", 0), "2:2");
    render("a\rb [x](/x)\r\r[y](/y)");
    CHECK_STR(pos_of("/x", 0), "2:3");
    CHECK_STR(pos_of("/y", 0), "4:1");
    md_result_free(&R);
    md_render(NULL, 0, 1, 1, NULL, &R); /* no text and no options: an empty page */
    CHECK_STR(R.html, "");
    CHECK_INT(R.nlinks + R.ntoc, 0);
    md_result_free(&R);
    md_result_free(NULL);
}

/* ---- Threads ------------------------------------------------------------------------------ */

static const char *const thread_md =
    "# Title\n\n| a | b |\n|---|---|\n| ~~x~~ | www.example.com |\n\n- [x] done "
    "https://e.org\n\n> quote [l](/l) ~y~ &amp; &copy; &nosuch;\n\n## Title\n";
static char *thread_want;

static void *thread_main(void *arg)
{
    long *bad = arg;
    md_options o = {false, true, NULL, false};
    for (int i = 0; i < 400; i++) {
        md_result r;
        md_render(thread_md, strlen(thread_md), 1, 1, &o, &r);
        if (strcmp(r.html, thread_want) != 0 || r.nlinks != 3 || r.ntoc != 2) (*bad)++;
        md_result_free(&r);
    }
    return NULL;
}

/* Several threads render at once; cmark-gfm's global special-character tables must not let
 * one parse clear another's strikethrough, table and autolink characters. On this platform
 * (glibc, Debian's shared cmark-gfm) the parses really run at the same time, so this is the
 * race itself, not the lock. */
static void test_threads(void)
{
    CHECK(md_parses_in_parallel());
    render(thread_md);
    thread_want = strdup(R.html);
    CHECK(strstr(thread_want, "<del>x</del>") != NULL);
    CHECK(strstr(thread_want, "<h2 id=\"title-1\">Title</h2>") != NULL);
    pthread_t t[4];
    long bad[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        CHECK_INT(pthread_create(&t[i], NULL, thread_main, &bad[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(bad[0] + bad[1] + bad[2] + bad[3], 0);
    free(thread_want);
}

/* The items: each link, image and heading id as an HTML parser will read it, with the
 * newlines before its tag's '>'; and when they cannot all be known. */
static void test_items(void)
{
    static const char doc[] = "# Intro & more\n"
                              "\n"
                              "A [link](/a%20b/?x=1&y='2' \"two\nlines\") and <https://e.org/q>.\n"
                              "\n"
                              "![a *b*](<img/c d.png>) [![in](i.png)](/t/)\n"
                              "\n"
                              "## !!!\n"
                              "\n"
                              "[bad](javascript:alert(1)) [ok](data:image/png;base64,AA) "
                              "[no](data:text/html,x) [é](/é/)\n"
                              "\n"
                              "# Intro & more\n";
    render(doc);
    CHECK(R.items_known);
    CHECK_INT(R.nitems, 11);
    const char *want[][3] = {
        {"id", "intro--more", "0"},          {"a", "/a%20b/?x=1&y='2'", "2"},
        {"a", "https://e.org/q", "2"},       {"img", "img/c%20d.png", "3"},
        {"a", "/t/", "3"},                   {"img", "i.png", "3"},
        {"a", "", "5"},                      {"a", "data:image/png;base64,AA", "5"},
        {"a", "", "5"},                      {"a", "/%C3%A9/", "5"},
        {"id", "intro--more-1", "6"},
    };
    static const char *const kinds[] = {"a", "img", "id"};
    for (size_t i = 0; i < R.nitems && i < sizeof want / sizeof *want; i++) {
        CHECK_STR(kinds[R.items[i].kind], want[i][0]);
        CHECK_STR(R.items[i].str, want[i][1]);
        CHECK_INT(R.items[i].line, atoi(want[i][2]));
    }
    CHECK_INT(R.items[0].level, 1);

    md_options base = {false, true, "/docs/", true};
    md_result_free(&R);
    md_render("[x](/a/) [y](b/)\n", 17, 1, 1, &base, &R);
    CHECK(R.items_known && R.nitems == 2);
    if (R.nitems == 2) {
        CHECK_STR(R.items[0].str, "/docs/a/");
        CHECK_STR(R.items[1].str, "b/");
    }

    render("Text[^1] and [x](/x/).\n\n[^1]: A note.\n");
    CHECK(!R.items_known);
    CHECK_INT(R.nitems, 0);
    render("![see [x](/x/)](i.png)\n"); /* the link is only alt text: no <a> */
    CHECK(!R.items_known);
    render_at("<a href=\"/raw/\">raw</a> [x](/x/)\n", 1, 1, true, true);
    CHECK(!R.items_known);
    render("<a href=\"/raw/\">raw</a> [x](/x/)\n"); /* raw HTML omitted: a comment */
    CHECK(R.items_known);
    CHECK_INT(R.nitems, 1);
    render_at("## Not an id\n[x](/x/)\n", 1, 1, false, false);
    CHECK(R.items_known);
    CHECK_INT(R.nitems, 1);
    md_options off = {false, true, NULL, false}; /* not asked for: not made */
    md_result_free(&R);
    md_render("[x](/x/)\n", 9, 1, 1, &off, &R);
    CHECK(!R.items_known);
    CHECK_INT(R.nitems, 0);
}

int main(void)
{
    md_global_init();
    test_items();
    test_tables();
    test_inline_extensions();
    test_footnotes();
    test_raw_html();
    test_heading_ids();
    test_toc();
    test_positions_paragraphs();
    test_positions_containers();
    test_positions_tables_headings();
    test_positions_kinds();
    test_words();
    test_words_random();
    test_base_path();
    test_pathological();
    test_odd_bytes();
    test_threads();
    md_result_free(&R);
    return harness_done();
}
