/* test_value.c — unit tests for value.c: YAML scalars, positions, errors, aliases, limits. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "harness.h"
#include "value.h"

/* ---- helpers ---- */

/* Writes v compactly: ~ true i12 f1.5 "s" [a, b] {k: v}. */
static void show_value(buf_t *b, const value *v)
{
    switch (v->kind) {
    case VAL_NULL:
        buf_puts(b, "~");
        break;
    case VAL_BOOL:
        buf_puts(b, v->b ? "true" : "false");
        break;
    case VAL_INT:
        buf_printf(b, "i%lld", v->i);
        break;
    case VAL_FLOAT:
        buf_printf(b, "f%g", v->f);
        break;
    case VAL_STRING:
        buf_printf(b, "\"%s\"", v->str);
        break;
    case VAL_LIST:
        buf_putc(b, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i) buf_puts(b, ", ");
            show_value(b, v->items[i]);
        }
        buf_putc(b, ']');
        break;
    case VAL_MAP:
        buf_putc(b, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i) buf_puts(b, ", ");
            buf_printf(b, "%s: ", v->entries[i].key);
            show_value(b, v->entries[i].val);
        }
        buf_putc(b, '}');
        break;
    }
}

static char shown[4096];

/* Parses yaml (first_line 1) and returns the tree in show_value form, or "ERROR <diags>". */
static const char *show(const char *yaml)
{
    diag_list dl = DIAG_LIST_INIT;
    buf_t b = BUF_INIT;
    value_doc *doc = value_parse_yaml(yaml, strlen(yaml), "t.yaml", 1, 0, &dl);
    if (doc) {
        show_value(&b, value_doc_root(doc));
    } else {
        buf_puts(&b, "ERROR ");
        for (size_t i = 0; i < dl.len; i++)
            diag_format(&dl.items[i], &b);
    }
    snprintf(shown, sizeof shown, "%s", buf_cstr(&b));
    buf_free(&b);
    value_doc_free(doc);
    diag_list_free(&dl);
    return shown;
}

static char errors[4096];
static int n_errors;

/* Parses text[0..len) expecting failure; returns the diagnostics, one per line, without the
 * last newline ("(parsed)" when the parse succeeded). n_errors counts them. */
static const char *errs_n(const char *text, size_t len, int first_line, size_t max_nodes)
{
    diag_list dl = DIAG_LIST_INIT;
    buf_t b = BUF_INIT;
    value_doc *doc = value_parse_yaml(text, len, "content/a.md", first_line, max_nodes, &dl);
    for (size_t i = 0; i < dl.len; i++)
        diag_format(&dl.items[i], &b);
    if (b.len && b.ptr[b.len - 1] == '\n') b.ptr[--b.len] = '\0';
    snprintf(errors, sizeof errors, "%s", doc ? "(parsed)" : buf_cstr(&b));
    n_errors = (int)dl.len;
    buf_free(&b);
    value_doc_free(doc);
    diag_list_free(&dl);
    return errors;
}

static const char *errs(const char *text, int first_line)
{
    return errs_n(text, strlen(text), first_line, 0);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* ---- scalars ---- */

static void test_core_schema(void)
{
    CHECK_STR(show("[~, null, Null, NULL, '', \"\"]"), "[~, ~, ~, ~, \"\", \"\"]");
    CHECK_STR(show("a:\nb: ~"), "{a: ~, b: ~}");
    CHECK_STR(show("[nULL, none, nil]"), "[\"nULL\", \"none\", \"nil\"]");
    CHECK_STR(show("[true, True, TRUE, false, False, FALSE]"),
              "[true, true, true, false, false, false]");
    CHECK_STR(show("[yes, no, on, off, tRUE, y]"),
              "[\"yes\", \"no\", \"on\", \"off\", \"tRUE\", \"y\"]");
    CHECK_STR(show("[0, 12, -7, +3, 007, 0o17, 0x1F, 0xff]"),
              "[i0, i12, i-7, i3, i7, i15, i31, i255]");
    CHECK_STR(show("[0o8, 0x, 0X1F, -0x1F, 0o, 1_000, 12a, 0b101]"),
              "[\"0o8\", \"0x\", \"0X1F\", \"-0x1F\", \"0o\", \"1_000\", \"12a\", \"0b101\"]");
    CHECK_STR(show("[1.5, .5, 5., -2.25, 1e3, 1E-2, +1.5e+2, 0.0]"),
              "[f1.5, f0.5, f5, f-2.25, f1000, f0.01, f150, f0]");
    CHECK_STR(show("[., 1e, e3, 1.5.2, --1, 1,5]"),
              "[\".\", \"1e\", \"e3\", \"1.5.2\", \"--1\", i1, i5]");
    CHECK_STR(show("[.inf, .Inf, .INF, +.inf, -.inf, -.Inf, .iNF]"),
              "[finf, finf, finf, finf, f-inf, f-inf, \".iNF\"]");
    CHECK_STR(show("[.nan, .NaN, .NAN, -.nan, .Nan]"), "[fnan, fnan, fnan, \"-.nan\", \".Nan\"]");
    CHECK_STR(show("[2026-04-21, 2026-04-21T10:00:00Z, 12:30, 1.2.3]"),
              "[\"2026-04-21\", \"2026-04-21T10:00:00Z\", \"12:30\", \"1.2.3\"]");
    /* quoted, block and !!str scalars are strings whatever they look like */
    CHECK_STR(show("['12', \"true\", !!str 12, ! 1.5, !!str null]"),
              "[\"12\", \"true\", \"12\", \"1.5\", \"null\"]");
    CHECK_STR(show("a: !!str\nb: ''\n"), "{a: \"\", b: \"\"}");
    CHECK_STR(show("a: |\n  12\nb: >\n  true\n"), "{a: \"12\n\", b: \"true\n\"}");
    /* other tags do not change how a plain scalar resolves */
    CHECK_STR(show("[!foo 12, !!int 3]"), "[i12, i3]");
}

static void test_scalar_details(void)
{
    diag_list dl = DIAG_LIST_INIT;
    const char *y = "a: 0x1F\nb: -7\nc: 1e3\nd: \"x\\ty\\u00e9\\0z\"\ne: True\n"
                    "f: 99999999999999999999\n"
                    "g: -9223372036854775808\nh: 9223372036854775807\n";
    value_doc *doc = value_parse_yaml(y, strlen(y), "t.yaml", 1, 0, &dl);
    CHECK(doc != NULL);
    if (!doc) return;
    value *r = value_doc_root(doc);
    value *a = value_get(r, "a");
    CHECK_INT(a->kind, VAL_INT);
    CHECK_STR(a->str, "0x1F");
    CHECK_INT(a->len, 4);
    CHECK(value_number(a) == 31.0);
    value *b = value_get(r, "b");
    CHECK_INT(b->i, -7);
    CHECK(value_number(b) == -7.0);
    value *c = value_get(r, "c");
    CHECK_INT(c->kind, VAL_FLOAT);
    CHECK(c->f == 1000.0);
    CHECK_STR(c->str, "1e3");
    value *d = value_get(r, "d");
    CHECK_INT(d->kind, VAL_STRING);
    CHECK_INT(d->len, 7); /* x TAB y é(2 bytes) NUL z */
    CHECK(memcmp(d->str, "x\ty\xC3\xA9\0z", 7) == 0);
    CHECK(value_get(r, "e")->b);
    CHECK_STR(value_get(r, "e")->str, "True");
    value *f = value_get(r, "f");
    CHECK_INT(f->kind, VAL_FLOAT); /* too big for a long long: still a number */
    CHECK(f->f > 9.9e19 && f->f < 1.1e20);
    CHECK_INT(value_get(r, "g")->kind, VAL_FLOAT);
    CHECK_INT(value_get(r, "h")->kind, VAL_INT);
    CHECK(value_get(r, "h")->i == INT64_C(9223372036854775807));
    CHECK(isnan(value_number(value_get(value_doc_root(doc), "a"))) == 0);
    CHECK(value_number(value_get(r, "e")) == 0); /* a bool is no number */
    value_doc_free(doc);
    CHECK_INT(dl.len, 0);
    diag_list_free(&dl);
}

static void test_structure(void)
{
    CHECK_STR(show("title: Python\ntags: [a, b]\nadoption:\n  series: {2020: 74, 2021: 77.5}\n"
                   "faq:\n  - q: Why?\n    a: Because.\n  - q: How?\n"),
              "{title: \"Python\", tags: [\"a\", \"b\"], adoption: {series: {2020: i74, "
              "2021: f77.5}}, faq: [{q: \"Why?\", a: \"Because.\"}, {q: \"How?\"}]}");
    CHECK_STR(show("- - - x\n  - y\n- {}\n- []\n"), "[[[\"x\"], \"y\"], {}, []]");
    CHECK_STR(show("just text"), "\"just text\"");
    CHECK_STR(show("42"), "i42");
    CHECK_STR(show("? a\n: 1\n"), "{a: i1}");
    CHECK_STR(show("{a, b: }"), "{a: ~, b: ~}");
    CHECK_STR(show("'': empty key\n"), "{: \"empty key\"}");
    CHECK_STR(show("a: >-\n  folded\n  text\n\n  para\n"), "{a: \"folded text\npara\"}");
    CHECK_STR(show("--- \na: 1\n...\n"), "{a: i1}");
    CHECK_STR(show("%YAML 1.2\n---\na: 1\n"), "{a: i1}");
    CHECK_STR(show("<<: {a: 1}\n"), "{<<: {a: i1}}"); /* no merge keys in YAML 1.2 */
}

static void test_empty(void)
{
    const char *texts[] = {"", "# only a comment\n", "\n\n   \n", "# a\n# b", NULL};
    for (int i = 0; texts[i]; i++) {
        diag_list dl = DIAG_LIST_INIT;
        value_doc *doc = value_parse_yaml(texts[i], strlen(texts[i]), "t.md", 2, 0, &dl);
        CHECK(doc != NULL);
        if (!doc) continue;
        value *r = value_doc_root(doc);
        CHECK_INT(r->kind, VAL_NULL);
        CHECK_INT(r->line, 2);
        CHECK_INT(r->col, 1);
        CHECK_STR(r->str, "");
        CHECK_INT(r->n, 0);
        value_doc_free(doc);
        CHECK_INT(dl.len, 0);
        diag_list_free(&dl);
    }
    /* NULL text with length 0 is an empty document too */
    diag_list dl = DIAG_LIST_INIT;
    value_doc *doc = value_parse_yaml(NULL, 0, "t.md", 1, 0, &dl);
    CHECK(doc && value_doc_root(doc)->kind == VAL_NULL);
    value_doc_free(doc);
    diag_list_free(&dl);
}

/* ---- positions ---- */

static void test_positions(void)
{
    diag_list dl = DIAG_LIST_INIT;
    const char *y = "title: Go\n"
                    "tags:\n"
                    "  - web\n"
                    "  - \"cli\"\n"
                    "meta: {k: [1, 2]}\n"
                    "\xC3\xA9t\xC3\xA9: caf\xC3\xA9\n"
                    "empty:\n";
    value_doc *doc = value_parse_yaml(y, strlen(y), "c.md", 2, 0, &dl);
    CHECK(doc != NULL);
    if (!doc) return;
    value *r = value_doc_root(doc);
    CHECK_INT(r->line, 2);
    CHECK_INT(r->col, 1);
    const value_entry *e = value_get_entry(r, "title");
    CHECK_INT(e->line, 2);
    CHECK_INT(e->col, 1);
    CHECK_INT(e->val->line, 2);
    CHECK_INT(e->val->col, 8);
    e = value_get_entry(r, "tags");
    CHECK_INT(e->line, 3);
    CHECK_INT(e->val->kind, VAL_LIST);
    CHECK_INT(e->val->line, 4);
    CHECK_INT(e->val->col, 3);
    CHECK_INT(e->val->items[0]->line, 4);
    CHECK_INT(e->val->items[0]->col, 5);
    CHECK_INT(e->val->items[1]->line, 5);
    CHECK_INT(e->val->items[1]->col, 5); /* at the opening quote */
    value *meta = value_get(r, "meta");
    CHECK_INT(meta->line, 6);
    CHECK_INT(meta->col, 7);
    CHECK_INT(meta->entries[0].col, 8);
    value *k = value_get(meta, "k");
    CHECK_INT(k->col, 11);
    CHECK_INT(k->items[1]->col, 15);
    /* columns count bytes: "été" is 5 bytes, "café" starts after "été: " */
    e = value_get_entry(r, "\xC3\xA9t\xC3\xA9");
    CHECK(e != NULL);
    if (e) {
        CHECK_INT(e->line, 7);
        CHECK_INT(e->col, 1);
        CHECK_INT(e->val->col, 8);
        CHECK_STR(e->val->str, "caf\xC3\xA9");
    }
    e = value_get_entry(r, "empty");
    CHECK_INT(e->val->kind, VAL_NULL);
    CHECK_INT(e->val->line, 8);
    value_doc_free(doc);
    diag_list_free(&dl);
}

static void test_crlf(void)
{
    diag_list dl = DIAG_LIST_INIT;
    const char *y = "a: one\r\nb: [x, y]\r\nc: |\r\n  l1\r\n  l2\r\nd: 'q'\r\n";
    value_doc *doc = value_parse_yaml(y, strlen(y), "w.md", 2, 0, &dl);
    CHECK(doc != NULL);
    if (!doc) return;
    value *r = value_doc_root(doc);
    CHECK_STR(value_get_str(r, "a"), "one");
    CHECK_STR(value_get_str(r, "c"), "l1\nl2\n");
    value *b = value_get(r, "b");
    CHECK_INT(b->line, 3);
    CHECK_INT(b->items[1]->line, 3);
    CHECK_INT(b->items[1]->col, 8);
    const value_entry *d = value_get_entry(r, "d");
    CHECK_INT(d->line, 7);
    CHECK_INT(d->val->col, 4);
    value_doc_free(doc);
    diag_list_free(&dl);
    CHECK_STR(errs("a: 1\r\nb: x: y\r\n", 2), "content/a.md:3:5: error: YAML: mapping values are "
                                              "not allowed in this context");
}

static void test_bom(void)
{
    /* data files may open with a byte-order mark; columns count its bytes */
    diag_list dl = DIAG_LIST_INIT;
    const char *y = "\xEF\xBB\xBF"
                    "a: 1\nb: 2\n";
    value_doc *doc = value_parse_yaml(y, strlen(y), "site.yaml", 1, 0, &dl);
    CHECK(doc != NULL);
    if (doc) {
        const value_entry *a = value_get_entry(value_doc_root(doc), "a");
        CHECK(a && a->line == 1 && a->col == 4);
        CHECK_INT(value_get(value_doc_root(doc), "b")->i, 2);
    }
    value_doc_free(doc);
    diag_list_free(&dl);
}

/* ---- errors ---- */

static void test_syntax_errors(void)
{
    CHECK_STR(errs("title: x\ndescription: y\nrole: a: b\n", 1),
              "content/a.md:3:8: error: YAML: mapping values are not allowed in this context");
    /* first_line shifts every position: front matter starts on file line 2 */
    CHECK_STR(errs("title: x\ndescription: y\nrole: a: b\n", 2),
              "content/a.md:4:8: error: YAML: mapping values are not allowed in this context");
    CHECK_STR(errs("tags: [a, b\nnext: 1\n", 2),
              "content/a.md:3:5: error: YAML: did not find expected ',' or ']'");
    CHECK_STR(errs("a: \"unterminated\n", 1),
              "content/a.md:2:1: error: YAML: found unexpected end of stream");
    CHECK_STR(errs("a: 1\n b: 2\n", 1),
              "content/a.md:2:3: error: YAML: mapping values are not allowed in this context");
    CHECK_STR(errs("- a\nb: 1\n", 1),
              "content/a.md:2:1: error: YAML: did not find expected '-' indicator");
    CHECK_STR(errs("a: @x\n", 1),
              "content/a.md:1:4: error: YAML: found character that cannot start any token");
    CHECK_STR(errs("a: !<x y\n", 1),
              "content/a.md:1:7: error: YAML: did not find the expected '>'");
    CHECK_INT(n_errors, 1);
}

static void test_tabs(void)
{
    const char *tab = "error: YAML: tab character used for indentation (YAML needs spaces)";
    char want[200];
    snprintf(want, sizeof want, "content/a.md:4:1: %s", tab);
    CHECK_STR(errs("title: x\nmeta:\n\tk: v\n", 2), want);
    snprintf(want, sizeof want, "content/a.md:3:2: %s", tab);
    CHECK_STR(errs("a:\n  b: 1\n \tc: 2\n", 1), want);
    snprintf(want, sizeof want, "content/a.md:2:2: %s", tab);
    CHECK_STR(errs("- a\n-\tb\n", 1), want);
    snprintf(want, sizeof want, "content/a.md:3:1: %s", tab);
    CHECK_STR(errs("a: |\n  x\n\ty\n", 1), want);
    /* tabs inside values and after ": " are fine */
    CHECK_STR(show("a: \"x\ty\"\nb:\tc\n"), "{a: \"x\ty\", b: \"c\"}");
}

static void test_duplicate_keys(void)
{
    CHECK_STR(errs("title: a\ndate: 2026-01-01\ntitle: b\n", 2),
              "content/a.md:4:1: error: duplicate key \"title\" (first written at line 2)");
    CHECK_STR(errs("m:\n  x: 1\n  y: 2\n  x: 3\n", 1),
              "content/a.md:4:3: error: duplicate key \"x\" (first written at line 2)");
    CHECK_STR(errs("{a: 1, b: 2, a: 3}", 5),
              "content/a.md:5:14: error: duplicate key \"a\" (first written at line 5)");
    /* the same key in different maps is fine; quoting does not make a key different */
    CHECK_STR(show("a: {x: 1}\nb: {x: 2}\n"), "{a: {x: i1}, b: {x: i2}}");
    CHECK_STR(errs("x: 1\n\"x\": 2\n", 1),
              "content/a.md:2:1: error: duplicate key \"x\" (first written at line 1)");
    /* every duplicate is reported, in document order */
    CHECK_STR(errs("a: 1\nb: 2\na: 3\nb: 4\n", 1),
              "content/a.md:3:1: error: duplicate key \"a\" (first written at line 1)\n"
              "content/a.md:4:1: error: duplicate key \"b\" (first written at line 2)");
    CHECK_INT(n_errors, 2);
    /* a big map (hash index) finds duplicates as well */
    buf_t b = BUF_INIT;
    for (int i = 0; i < 500; i++)
        buf_printf(&b, "key%d: %d\n", i, i);
    buf_puts(&b, "key123: again\n");
    CHECK_STR(errs(b.ptr, 1),
              "content/a.md:501:1: error: duplicate key \"key123\" (first written at line 124)");
    buf_free(&b);
}

static void test_multiple_documents(void)
{
    CHECK_STR(errs("title: a\n--- b\n", 2),
              "content/a.md:3:1: error: front matter holds more than one YAML document");
    CHECK_STR(errs("a: 1\n---\nb: 2\n", 1),
              "content/a.md:2:1: error: YAML file holds more than one document");
    CHECK_STR(errs("a: 1\n...\n---\nb: 2\n", 3),
              "content/a.md:5:1: error: front matter holds more than one YAML document");
    /* the second document's own errors are not reached */
    CHECK_STR(errs("a: 1\n---\nb: [\n", 2),
              "content/a.md:3:1: error: front matter holds more than one YAML document");
}

static void test_bad_keys(void)
{
    CHECK_STR(errs("[a, b]: 1\n", 1),
              "content/a.md:1:1: error: YAML map key must be a scalar, not a list");
    CHECK_STR(errs("x: 1\n? {k: v}\n: 2\n", 1),
              "content/a.md:2:3: error: YAML map key must be a scalar, not a map");
    CHECK_STR(errs("a: &l [1]\n*l : 2\n", 1),
              "content/a.md:2:1: error: YAML map key must be a scalar, not a list");
    /* an alias to a scalar is a fine key */
    CHECK_STR(show("a: &k name\n*k : 2\n"), "{a: \"name\", name: i2}");
}

static void test_depth(void)
{
    buf_t b = BUF_INIT;
    for (int i = 0; i < 64; i++)
        buf_putc(&b, '[');
    buf_puts(&b, "x");
    for (int i = 0; i < 64; i++)
        buf_putc(&b, ']');
    CHECK_STR(errs(b.ptr, 1), "(parsed)");
    buf_clear(&b);
    for (int i = 0; i < 65; i++)
        buf_putc(&b, '[');
    for (int i = 0; i < 65; i++)
        buf_putc(&b, ']');
    CHECK_STR(errs(b.ptr, 1),
              "content/a.md:1:65: error: YAML nesting is too deep (more than 64 levels)");
    /* block maps: the 65th level is on line 65, indented 64 spaces */
    buf_clear(&b);
    for (int i = 0; i < 70; i++)
        buf_printf(&b, "%*sk%d:\n", i, "", i);
    CHECK_STR(errs(b.ptr, 1),
              "content/a.md:65:65: error: YAML nesting is too deep (more than 64 levels)");
    /* a million open brackets fail fast and cleanly */
    buf_clear(&b);
    for (int i = 0; i < 1000000; i++)
        buf_putc(&b, '[');
    double t0 = now_ms();
    CHECK_STR(errs(b.ptr, 2),
              "content/a.md:2:65: error: YAML nesting is too deep (more than 64 levels)");
    CHECK(now_ms() - t0 < 2000);
    buf_free(&b);
}

static void test_utf8(void)
{
    CHECK_STR(errs("a: caf\xC3\xA9\nb: \xFF\n", 2),
              "content/a.md:3:4: error: YAML: text is not valid UTF-8 (invalid leading UTF-8 "
              "octet)");
    CHECK_STR(errs("a: \xC3\n", 1),
              "content/a.md:1:4: error: YAML: text is not valid UTF-8 (invalid trailing UTF-8 "
              "octet)");
    CHECK_STR(errs("a: \xE2\x82", 1),
              "content/a.md:1:4: error: YAML: text is not valid UTF-8 (incomplete UTF-8 octet "
              "sequence)");
    CHECK_STR(errs("a: \xC0\xAF\n", 1),
              "content/a.md:1:4: error: YAML: text is not valid UTF-8 (invalid length of a UTF-8 "
              "sequence)");
    CHECK_STR(errs("a: \xED\xA0\x80\n", 1),
              "content/a.md:1:4: error: YAML: text is not valid UTF-8 (invalid Unicode "
              "character)");
    CHECK_STR(errs("a: \x01\n", 1),
              "content/a.md:1:4: error: YAML: control characters are not allowed");
    CHECK_STR(errs_n("a: x\0y\n", 7, 1, 0),
              "content/a.md:1:5: error: YAML: control characters are not allowed");
    /* a UTF-16 byte-order mark does not switch encodings: the text must be UTF-8 */
    CHECK_STR(errs_n("\xFF\xFE"
                     "a\0:\0",
                     6, 1, 0),
              "content/a.md:1:1: error: YAML: text is not valid UTF-8 (invalid leading UTF-8 "
              "octet)");
    /* astral characters and right-to-left text are fine */
    CHECK_STR(show("t: \"\xF0\x9F\x98\x80 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\"\n"),
              "{t: \"\xF0\x9F\x98\x80 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\"}");
    CHECK_STR(show("t: \"\\U0001F600\"\n"), "{t: \"\xF0\x9F\x98\x80\"}");
}

/* ---- aliases ---- */

static void test_aliases_shared(void)
{
    diag_list dl = DIAG_LIST_INIT;
    const char *y = "base: &b {x: 1, y: [a, b]}\none: *b\ntwo: *b\ns: &s text\nt: *s\n";
    value_doc *doc = value_parse_yaml(y, strlen(y), "t.yaml", 1, 0, &dl);
    CHECK(doc != NULL);
    if (!doc) return;
    value *r = value_doc_root(doc);
    CHECK(value_get(r, "one") == value_get(r, "base")); /* shared, not copied */
    CHECK(value_get(r, "two") == value_get(r, "base"));
    CHECK(value_get(r, "t") == value_get(r, "s"));
    CHECK_STR(value_get_str(r, "t"), "text");
    const value_entry *one = value_get_entry(r, "one");
    CHECK_INT(one->line, 2);
    CHECK_INT(one->val->line, 1); /* the node keeps where it was written */
    value_doc_free(doc);
    diag_list_free(&dl);
    /* a later anchor of the same name replaces the earlier one */
    CHECK_STR(show("a: &x 1\nb: *x\nc: &x 2\nd: *x\n"), "{a: i1, b: i1, c: i2, d: i2}");
}

static void test_alias_errors(void)
{
    CHECK_STR(errs("a: 1\nb: *nope\n", 2),
              "content/a.md:3:4: error: YAML alias *nope has no anchor &nope before it");
    CHECK_STR(errs("a: *x\nb: &x 1\n", 1),
              "content/a.md:1:4: error: YAML alias *x has no anchor &x before it");
    CHECK_STR(errs("a: &r\n  b: [1, *r]\n", 1),
              "content/a.md:2:10: error: YAML alias *r refers to the node that contains it");
}

/* nodes: root map, list, 1, 2 = 4; each *x adds 3 */
static void test_alias_limit_exact(void)
{
    const char *y = "a: &x [1, 2]\nb: *x\nc: *x\n";
    CHECK_STR(errs_n(y, strlen(y), 1, 10), "(parsed)");
    CHECK_STR(errs_n(y, strlen(y), 1, 9),
              "content/a.md:3:4: error: YAML aliases expand to more than 9 nodes");
    CHECK_INT(n_errors, 1);
    /* plain nodes alone may pass the limit (they cost no more than the text), but then any
     * alias is refused */
    const char *many = "a: [1, 2, 3, 4, 5, 6, 7, 8]\nb: &x 1\n";
    CHECK_STR(errs_n(many, strlen(many), 1, 5), "(parsed)");
    const char *more = "a: [1, 2, 3, 4, 5, 6, 7, 8]\nb: &x 1\nc: *x\n";
    CHECK_STR(errs_n(more, strlen(more), 1, 5),
              "content/a.md:3:4: error: YAML aliases expand to more than 5 nodes");
}

static void test_billion_laughs(void)
{
    const char *bomb =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    double t0 = now_ms();
    /* sizes: a 10, b 91, c 820, d 7381, e 66430; with 74734 nodes before f's first *e,
     * that alias passes 100000 */
    CHECK_STR(errs(bomb, 2),
              "content/a.md:7:8: error: YAML aliases expand to more than 100000 nodes");
    CHECK(now_ms() - t0 < 100);
    /* maps are counted too: a 9-node map, then lists of ten aliases each */
    buf_t b = BUF_INIT;
    buf_puts(&b, "a: &l {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x}\n");
    for (int i = 0; i < 6; i++) {
        buf_printf(&b, "l%d: &l%d [", i, i);
        for (int j = 0; j < 10; j++) {
            if (i)
                buf_printf(&b, "%s*l%d", j ? ", " : "", i - 1);
            else
                buf_printf(&b, "%s*l", j ? ", " : "");
        }
        buf_puts(&b, "]\n");
    }
    /* sizes 9, 91, 911, 9111, 91111: the 10th *l2 inside l3 passes the limit */
    CHECK_STR(errs(b.ptr, 1),
              "content/a.md:5:55: error: YAML aliases expand to more than 100000 nodes");
    buf_free(&b);
}

/* ---- size ---- */

static void test_one_megabyte(void)
{
    /* a 1 MB block map of 40,000 entries, each a small flow list */
    buf_t b = BUF_INIT;
    int n = 0;
    while (b.len < 1024 * 1024) {
        buf_printf(&b, "field_%06d: [alpha, %d, \"quoted text here\"]\n", n, n);
        n++;
    }
    diag_list dl = DIAG_LIST_INIT;
    double t0 = now_ms();
    value_doc *doc = value_parse_yaml(b.ptr, b.len, "big.yaml", 1, 0, &dl);
    double ms = now_ms() - t0;
    CHECK(doc != NULL);
    CHECK(ms < 5000);
    if (doc) {
        value *r = value_doc_root(doc);
        CHECK_INT(r->n, n);
        const value_entry *last = &r->entries[n - 1];
        CHECK_INT(last->line, n);
        CHECK_INT(last->val->items[1]->i, n - 1);
        CHECK_INT(last->val->items[2]->col, 30);
        char key[32];
        snprintf(key, sizeof key, "field_%06d", n / 2);
        CHECK_INT(value_get(r, key)->items[1]->i, n / 2);
    }
    value_doc_free(doc);
    diag_list_free(&dl);

    /* 1 MB on one line: a flow list of 300,000 numbers (no aliases, so no node limit) */
    buf_clear(&b);
    buf_putc(&b, '[');
    for (int i = 0; i < 300000; i++)
        buf_printf(&b, "%s%d", i ? "," : "", i % 10);
    buf_putc(&b, ']');
    t0 = now_ms();
    doc = value_parse_yaml(b.ptr, b.len, "big.yaml", 1, 0, &dl);
    CHECK(now_ms() - t0 < 5000);
    CHECK(doc != NULL);
    if (doc) {
        value *r = value_doc_root(doc);
        CHECK_INT(r->n, 300000);
        CHECK_INT(r->items[299999]->col, 600000);
        CHECK_INT(r->items[299999]->i, 9);
    }
    value_doc_free(doc);
    diag_list_free(&dl);

    /* one 1 MB string */
    buf_clear(&b);
    buf_puts(&b, "body: \"");
    for (int i = 0; i < 1024 * 1024; i++)
        buf_putc(&b, (char)('a' + i % 26));
    buf_puts(&b, "\"\nafter: 1\n");
    doc = value_parse_yaml(b.ptr, b.len, "big.yaml", 1, 0, &dl);
    CHECK(doc != NULL);
    if (doc) {
        CHECK_INT(value_get(value_doc_root(doc), "body")->len, 1024 * 1024);
        CHECK_INT(value_get_entry(value_doc_root(doc), "after")->line, 2);
    }
    value_doc_free(doc);
    diag_list_free(&dl);
    buf_free(&b);
}

/* ---- the arena and lookups ---- */

static void test_arena(void)
{
    value_doc *doc = value_doc_new();
    CHECK_INT(value_doc_root(doc)->kind, VAL_NULL);
    CHECK_INT(value_doc_root(doc)->line, 1);
    unsigned char *small = value_doc_alloc(doc, 10);
    CHECK(((uintptr_t)small % sizeof(double)) == 0);
    bool zero = true;
    for (int i = 0; i < 10; i++)
        zero = zero && small[i] == 0;
    CHECK(zero);
    /* many small and some huge blocks, all distinct, aligned and zeroed */
    char *prev = NULL;
    bool distinct = true, aligned = true, zeroed = true;
    for (int i = 0; i < 10000; i++) {
        size_t n = (size_t)(i % 7) * 13 + 1;
        char *p = value_doc_alloc(doc, n);
        distinct = distinct && p != prev && (!prev || p >= prev + 1 || p + n <= prev);
        aligned = aligned && (uintptr_t)p % 8 == 0;
        zeroed = zeroed && p[0] == 0 && p[n - 1] == 0;
        memset(p, 'x', n);
        prev = p;
    }
    CHECK(distinct);
    CHECK(aligned);
    CHECK(zeroed);
    char *big = value_doc_alloc(doc, 3 * 1024 * 1024);
    CHECK(big[0] == 0 && big[3 * 1024 * 1024 - 1] == 0);
    memset(big, 1, 3 * 1024 * 1024);
    char *after = value_doc_alloc(doc, 16);
    CHECK(after[0] == 0 && after[15] == 0);
    const char *s = value_doc_strdup(doc, "hello");
    CHECK_STR(s, "hello");
    value_doc_free(doc);
    value_doc_free(NULL);
}

static void test_lookups(void)
{
    diag_list dl = DIAG_LIST_INIT;
    const char *y = "title: Hi\ncount: 3\nlist: [1]\nmap: {a: b}\nnothing: ~\n";
    value_doc *doc = value_parse_yaml(y, strlen(y), "t.yaml", 1, 0, &dl);
    value *r = value_doc_root(doc);
    CHECK_STR(value_get_str(r, "title"), "Hi");
    CHECK_STR(value_get_str(r, "count"), "3");
    CHECK_STR(value_get_str(r, "nothing"), "~");
    CHECK(value_get_str(r, "list") == NULL);
    CHECK(value_get_str(r, "map") == NULL);
    CHECK(value_get_str(r, "absent") == NULL);
    CHECK(value_get(r, "absent") == NULL);
    CHECK(value_get(value_get(r, "list"), "a") == NULL); /* not a map */
    CHECK(value_get(NULL, "a") == NULL);
    CHECK(value_get_entry(NULL, "a") == NULL);
    CHECK_STR(value_get(r, "list")->str, "");
    CHECK_INT(value_get_entry(r, "map")->line, 4);
    CHECK(value_is_scalar(value_get(r, "nothing")));
    CHECK(value_is_scalar(value_get(r, "count")));
    CHECK(!value_is_scalar(value_get(r, "list")));
    CHECK(!value_is_scalar(value_get(r, "map")));
    CHECK(!value_is_scalar(NULL));
    CHECK_STR(value_kind_name(VAL_NULL), "null");
    CHECK_STR(value_kind_name(VAL_BOOL), "true or false");
    CHECK_STR(value_kind_name(VAL_INT), "a number");
    CHECK_STR(value_kind_name(VAL_FLOAT), "a number");
    CHECK_STR(value_kind_name(VAL_STRING), "a string");
    CHECK_STR(value_kind_name(VAL_LIST), "a list");
    CHECK_STR(value_kind_name(VAL_MAP), "a map");
    CHECK(r->html == NULL);
    value_doc_free(doc);
    diag_list_free(&dl);
}

static bool keep_ab(const char *key)
{
    return strcmp(key, "a") == 0 || strcmp(key, "b") == 0;
}

/* value_map_subset keeps the chosen fields of a map as deep copies that outlive the original
 * document: positions, scalar text, kinds, html and shared (aliased) nodes included. */
static void test_subset(void)
{
    diag_list dl = DIAG_LIST_INIT;
    const char *y = "x: drop me\nb: &s {k: [1, 2.5, true, ~, \"q\"]}\nc: [long, text]\n"
                    "a: *s\n";
    value_doc *doc = value_parse_yaml(y, strlen(y), "t.yaml", 5, 0, &dl);
    value *r = value_doc_root(doc);
    value_get(value_get(r, "b"), "k")->items[4]->html = "<p>q</p>";
    value_doc *sub = value_map_subset(r, keep_ab);
    value_doc_free(doc); /* the copy must not need the original (ASan would see it) */
    value *s = value_doc_root(sub);
    buf_t b = BUF_INIT;
    show_value(&b, s);
    CHECK_STR(buf_cstr(&b), "{b: {k: [i1, f2.5, true, ~, \"q\"]}, a: {k: [i1, f2.5, true, ~, \"q\"]}}");
    CHECK_INT(s->line, 5);
    CHECK_INT(value_get_entry(s, "a")->line, 8);
    CHECK_INT(value_get_entry(s, "a")->col, 1);
    const value *k = value_get(value_get(s, "b"), "k");
    CHECK_INT(k->line, 6);
    CHECK_INT(k->items[1]->col, 15);
    CHECK_STR(k->items[1]->str, "2.5");
    CHECK_STR(k->items[4]->html, "<p>q</p>");
    CHECK(value_get(value_get(s, "a"), "k")->items[3]->html == NULL);
    CHECK(value_get(s, "x") == NULL && value_get(s, "c") == NULL);
    CHECK_INT(s->n, 2);
    buf_free(&b);
    value_doc_free(sub);

    const char *none = "x: 1\n";
    doc = value_parse_yaml(none, strlen(none), "t.yaml", 1, 0, &dl);
    sub = value_map_subset(value_doc_root(doc), keep_ab);
    CHECK_INT(value_doc_root(sub)->kind, VAL_MAP);
    CHECK_INT(value_doc_root(sub)->n, 0);
    value_doc_free(sub);
    value_doc_free(doc);
    CHECK_INT(dl.len, 0);
    diag_list_free(&dl);
}

/* Errors are added to an existing list, never replace what is there. */
static void test_diag_accumulates(void)
{
    diag_list dl = DIAG_LIST_INIT;
    diag_add(&dl, DIAG_WARNING, "x", 1, 1, "earlier");
    value_doc *doc = value_parse_yaml("a: [", 4, "b.md", 2, 0, &dl);
    CHECK(doc == NULL);
    CHECK_INT(dl.len, 2);
    CHECK_INT(dl.errors, 1);
    CHECK_STR(dl.items[0].message, "earlier");
    CHECK_STR(dl.items[1].file, "b.md");
    diag_list_free(&dl);
}

int main(void)
{
    test_core_schema();
    test_scalar_details();
    test_structure();
    test_empty();
    test_positions();
    test_crlf();
    test_bom();
    test_syntax_errors();
    test_tabs();
    test_duplicate_keys();
    test_multiple_documents();
    test_bad_keys();
    test_depth();
    test_utf8();
    test_aliases_shared();
    test_alias_errors();
    test_alias_limit_exact();
    test_billion_laughs();
    test_one_megabyte();
    test_arena();
    test_lookups();
    test_subset();
    test_diag_accumulates();
    return harness_done();
}
