/* test_schema.c — unit tests for schema.c: declarations, field types, paths and messages. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "schema.h"
#include "value.h"

static const char *const theme =
    "fields:\n"
    "  title: {type: string, required: true}\n"
    "  kind: {type: string}\n"
    "  date: {type: date}\n"
    "  draft: {type: bool}\n"
    "  tags: {type: list, items: {type: string}}\n"
    "  weight: {type: int}\n"
    "  description: {type: string}\n"
    "kinds:\n"
    "  page: {}\n"
    "  guide:\n"
    "  article:\n"
    "    fields:\n"
    "      date: {type: date, required: true}\n"
    "  reference:\n"
    "    description: the technology reference page\n"
    "    fields:\n"
    "      description: {type: string, required: true, description: for meta tags}\n"
    "      role: {type: markdown}\n"
    "      risks: {type: list, items: {type: markdown}}\n"
    "      score: {type: number}\n"
    "      faq:\n"
    "        type: list\n"
    "        items:\n"
    "          type: map\n"
    "          fields:\n"
    "            q: {type: string, required: true}\n"
    "            a: {type: markdown, required: true}\n"
    "      adoption:\n"
    "        type: map\n"
    "        fields:\n"
    "          title: {type: string}\n"
    "          method: {type: markdown}\n"
    "          series: {type: series, required: true}\n"
    "      matrix: {type: list, items: {type: list, items: {type: int}}}\n";

static value_doc *theme_doc;
static schema *sch;

/* Markdown nodes seen by the callback, "|"-separated. */
static buf_t md_seen;

static void on_md(void *ud, value *node)
{
    int *count = ud;
    (*count)++;
    buf_printf(&md_seen, "%s|", node->str);
    node->html = "<p>rendered</p>";
}

static char out[8192];
static int md_count;
static bool check_ok;

/* Checks the front matter front_yaml (file lines from 2) as kind; returns the diagnostics,
 * one per line without the final newline ("" when there are none). */
static const char *check(const char *kind, const char *front_yaml)
{
    diag_list dl = DIAG_LIST_INIT;
    buf_t b = BUF_INIT;
    buf_clear(&md_seen);
    md_count = 0;
    value_doc *doc = value_parse_yaml(front_yaml, strlen(front_yaml), "content/t.md", 2, 0, &dl);
    if (!doc) {
        snprintf(out, sizeof out, "YAML did not parse");
        diag_list_free(&dl);
        return out;
    }
    check_ok = schema_check(sch, kind, value_doc_root(doc), "content/t.md", on_md, &md_count, &dl);
    for (size_t i = 0; i < dl.len; i++)
        diag_format(&dl.items[i], &b);
    if (b.len && b.ptr[b.len - 1] == '\n') b.ptr[--b.len] = '\0';
    snprintf(out, sizeof out, "%s", buf_cstr(&b));
    CHECK(check_ok == (dl.errors == 0));
    buf_free(&b);
    value_doc_free(doc);
    diag_list_free(&dl);
    return out;
}

/* Builds a schema from decl_yaml and returns schema_new's diagnostics ("" when it worked). */
static const char *declare(const char *decl_yaml)
{
    diag_list dl = DIAG_LIST_INIT;
    buf_t b = BUF_INIT;
    value_doc *doc = value_parse_yaml(decl_yaml, strlen(decl_yaml), "theme.yaml", 1, 0, &dl);
    CHECK(doc != NULL);
    schema *s = schema_new(doc ? value_doc_root(doc) : NULL, "theme.yaml", &dl);
    CHECK((s == NULL) == (dl.errors > 0));
    for (size_t i = 0; i < dl.len; i++)
        diag_format(&dl.items[i], &b);
    if (b.len && b.ptr[b.len - 1] == '\n') b.ptr[--b.len] = '\0';
    snprintf(out, sizeof out, "%s", buf_cstr(&b));
    schema_free(s);
    value_doc_free(doc);
    buf_free(&b);
    diag_list_free(&dl);
    return out;
}

static void test_valid_pages(void)
{
    CHECK_STR(check("page", "title: Hello\n"), "");
    CHECK(check_ok);
    CHECK_STR(check("page", "title: 42\nunknown: [kept, for, params]\nx: {y: z}\n"), "");
    CHECK_STR(check("guide", "title: G\ndescription: ~\ndraft: false\nweight: -3\n"), "");
    CHECK_STR(check("article", "title: A\ndate: 2026-04-21\n"), "");
    CHECK_STR(check("reference",
                    "title: Python\n"
                    "kind: reference\n"
                    "description: One sentence.\n"
                    "date: 2026-04-21\n"
                    "tags: [automation, data]\n"
                    "role: Python *glues* systems.\n"
                    "risks:\n  - Slow loops\n  - GIL\n"
                    "score: 7.5\n"
                    "faq:\n  - q: What?\n    a: '**This**.'\n  - q: Why?\n    a: Because.\n"
                    "adoption:\n  title: Index\n  method: Modelled.\n"
                    "  series: {2020: 74, 2021: ~, 2022: 100, 2023: 0, 2024: 99.5}\n"
                    "matrix: [[1, 2], [], [3]]\n"),
              "");
    CHECK(check_ok);
    CHECK_INT(md_count, 6);
    CHECK_STR(md_seen.ptr, "Python *glues* systems.|Slow loops|GIL|**This**.|Because.|Modelled.|");
}

static void test_markdown_callback(void)
{
    diag_list dl = DIAG_LIST_INIT;
    const char *y = "title: T\ndescription: d\nrole: Hi\nrisks: [a, ~]\nfaq: [{q: x, a: ~}]\n";
    value_doc *doc = value_parse_yaml(y, strlen(y), "c.md", 2, 0, &dl);
    int count = 0;
    buf_clear(&md_seen);
    CHECK(!schema_check(sch, "reference", value_doc_root(doc), "c.md", on_md, &count, &dl));
    /* role and risks[0] render; the null list item and the null required answer are errors */
    CHECK_INT(count, 2);
    CHECK_STR(value_get(value_doc_root(doc), "role")->html, "<p>rendered</p>");
    CHECK(value_get(value_doc_root(doc), "title")->html == NULL);
    CHECK_INT(dl.errors, 2);
    CHECK_STR(dl.items[0].message, "risks[1]: expected a string, got null");
    CHECK_STR(dl.items[1].message, "faq[0].a: expected a string, got null");
    /* a NULL callback is fine */
    diag_list_free(&dl);
    CHECK(schema_check(sch, "reference", value_get(value_doc_root(doc), "nope"), "c.md", NULL, NULL,
                       &dl) == false);
    value_doc_free(doc);
    diag_list_free(&dl);
    /* optional markdown left empty is not rendered; a list where markdown belongs is not */
    CHECK_STR(check("reference", "title: T\ndescription: d\nrole:\n"), "");
    CHECK_INT(md_count, 0);
    CHECK_STR(check("reference", "title: T\ndescription: d\nrole: [a]\n"),
              "content/t.md:4:7: error: role: expected a string, got a list");
    CHECK_INT(md_count, 0);
}

static void test_missing_required(void)
{
    CHECK_STR(check("reference", "title: Python\n"),
              "content/t.md:2:1: error: missing required field \"description\" "
              "(kind \"reference\")");
    CHECK(!check_ok);
    /* an empty front matter reports at 1:1 */
    CHECK_STR(check("page", ""), "content/t.md:1:1: error: missing required field \"title\" "
                                 "(kind \"page\")");
    CHECK_STR(check("page", "# just a comment\n"),
              "content/t.md:1:1: error: missing required field \"title\" (kind \"page\")");
    CHECK_STR(check("reference", ""),
              "content/t.md:1:1: error: missing required field \"description\" (kind "
              "\"reference\")\n"
              "content/t.md:1:1: error: missing required field \"title\" (kind \"reference\")");
    /* the kind's own spec wins over the common one: required only for reference */
    CHECK_STR(check("page", "title: x\n"), "");
    CHECK_STR(check("article", "title: x\n"),
              "content/t.md:2:1: error: missing required field \"date\" (kind \"article\")");
    /* a required field left empty is reported where it is written */
    CHECK_STR(check("page", "draft: true\ntitle:\n"),
              "content/t.md:3:7: error: title: expected a string, got null");
    /* nested: at the map that lacks the field */
    CHECK_STR(check("reference", "title: T\ndescription: d\nadoption:\n  title: I\n"),
              "content/t.md:5:3: error: missing required field \"adoption.series\" "
              "(kind \"reference\")");
    CHECK_STR(check("reference", "title: T\ndescription: d\nadoption: {}\n"),
              "content/t.md:4:11: error: missing required field \"adoption.series\" "
              "(kind \"reference\")");
    CHECK_STR(check("reference", "title: T\ndescription: d\n"
                                 "faq:\n  - {q: a, a: b}\n  - {q: c, a: d}\n  - q: e\n"),
              "content/t.md:7:5: error: missing required field \"faq[2].a\" (kind \"reference\")");
}

static void test_wrong_types(void)
{
    CHECK_STR(check("page", "title: x\ntags: go\n"),
              "content/t.md:3:7: error: tags: expected a list, got a string \"go\"");
    CHECK_STR(check("page", "title: [a]\n"),
              "content/t.md:2:8: error: title: expected a string, got a list");
    CHECK_STR(check("page", "title: {a: b}\n"),
              "content/t.md:2:8: error: title: expected a string, got a map");
    CHECK_STR(check("page", "title: x\ndraft: yes\n"),
              "content/t.md:3:8: error: draft: expected true or false, got a string \"yes\"");
    CHECK_STR(check("page", "title: x\ndraft: \"true\"\n"),
              "content/t.md:3:8: error: draft: expected true or false, got a string \"true\"");
    CHECK_STR(check("page", "title: x\nweight: 1.5\n"),
              "content/t.md:3:9: error: weight: expected an integer, got a number \"1.5\"");
    CHECK_STR(check("page", "title: x\nweight: '3'\n"),
              "content/t.md:3:9: error: weight: expected an integer, got a string \"3\"");
    CHECK_STR(check("page", "title: x\ntags: 3\n"),
              "content/t.md:3:7: error: tags: expected a list, got a number \"3\"");
    CHECK_STR(check("page", "title: x\ntags: TRUE\n"),
              "content/t.md:3:7: error: tags: expected a list, got TRUE");
    CHECK_STR(check("reference", "title: x\ndescription: d\nscore: high\n"),
              "content/t.md:4:8: error: score: expected a number, got a string \"high\"");
    CHECK_STR(check("reference", "title: x\ndescription: d\nscore: .inf\n"), "");
    CHECK_STR(check("page", "title: x\ntags: [a, [b], {c: d}, 4, ~]\n"),
              "content/t.md:3:11: error: tags[1]: expected a string, got a list\n"
              "content/t.md:3:16: error: tags[2]: expected a string, got a map\n"
              "content/t.md:3:27: error: tags[4]: expected a string, got null");
    CHECK_STR(check("reference", "title: x\ndescription: d\nfaq: {q: a}\n"),
              "content/t.md:4:6: error: faq: expected a list, got a map");
    CHECK_STR(check("reference", "title: x\ndescription: d\nfaq:\n  - ~\n  - q: [x]\n    a: y\n"),
              "content/t.md:5:5: error: faq[0]: expected a map, got null\n"
              "content/t.md:6:8: error: faq[1].q: expected a string, got a list");
    CHECK_STR(check("reference", "title: x\ndescription: d\nmatrix: [[1, 2], [3, x], 4]\n"),
              "content/t.md:4:22: error: matrix[1][1]: expected an integer, got a string \"x\"\n"
              "content/t.md:4:26: error: matrix[2]: expected a list, got a number \"4\"");
    CHECK_STR(check("reference", "title: x\ndescription: d\nadoption: [1]\n"),
              "content/t.md:4:11: error: adoption: expected a map, got a list");
    /* every problem is reported, not only the first */
    CHECK_STR(check("reference", "title: [x]\ndescription: {}\ntags: x\n"),
              "content/t.md:3:14: error: description: expected a string, got a map\n"
              "content/t.md:2:8: error: title: expected a string, got a list\n"
              "content/t.md:4:7: error: tags: expected a list, got a string \"x\"");
}

static void test_quoting_in_messages(void)
{
    CHECK_STR(check("page", "title: x\ntags: \"line1\\nline2 \\\"q\\\" \\\\ \\t\"\n"),
              "content/t.md:3:7: error: tags: expected a list, got a string "
              "\"line1\\nline2 \\\"q\\\" \\\\ \\t\"");
    /* long text is cut at a character boundary */
    CHECK_STR(check("page", "title: x\ntags: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                            "\xC3\xA9\xC3\xA9\xC3\xA9 and more text\"\n"),
              "content/t.md:3:7: error: tags: expected a list, got a string "
              "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xC3\xA9\xE2\x80\xA6\"");
    CHECK_STR(check("page", "title: x\ntags: \"\\u00e9t\\u00e9 \\x01\"\n"),
              "content/t.md:3:7: error: tags: expected a list, got a string "
              "\"\xC3\xA9t\xC3\xA9 \\x01\"");
}

static void test_dates(void)
{
    const char *good[] = {
        "2026-04-21",
        "2024-02-29",
        "2000-02-29",
        "1999-12-31",
        "2026-01-31",
        "2026-04-21T10:00:00Z",
        "2026-04-21T10:00:00+02:00",
        "2026-04-21T23:59:60-05:30",
        "2026-04-21T10:00:00.123456Z",
        "2026-04-21t10:00:00z",
        "2026-04-21 10:00:00",
        "2026-04-21T10:00:00",
        "'2026-04-21'",
        NULL,
    };
    char front[128];
    for (int i = 0; good[i]; i++) {
        snprintf(front, sizeof front, "title: x\ndate: %s\n", good[i]);
        CHECK_STR(check("page", front), "");
    }
    const char *bad[] = {
        "2026-13-01",
        "2026-00-10",
        "2026-02-29",
        "1900-02-29",
        "2026-04-31",
        "2026-04-00",
        "2026-4-21",
        "26-04-21",
        "2026/04/21",
        "2026-04-21T25:00:00Z",
        "2026-04-21T10:60:00Z",
        "2026-04-21T10:00Z",
        "2026-04-21T10:00:00+2:00",
        "2026-04-21T10:00:00+02:00x",
        "2026-04-21T10:00:00.Z",
        "2026-04-21x",
        "2026-04-21T",
        "20260421",
        "April 21, 2026",
        "2026-04-21T10:00:00+24:00",
        NULL,
    };
    for (int i = 0; bad[i]; i++) {
        char want[256];
        snprintf(front, sizeof front, "title: x\ndate: %s\n", bad[i]);
        snprintf(want, sizeof want,
                 "content/t.md:3:7: error: date: expected a date (YYYY-MM-DD), got \"%s\"", bad[i]);
        CHECK_STR(check("page", front), want);
    }
    CHECK_STR(check("page", "title: x\ndate: [2026-04-21]\n"),
              "content/t.md:3:7: error: date: expected a date (YYYY-MM-DD), got a list");
    CHECK_STR(check("article", "title: x\ndate:\n"),
              "content/t.md:3:6: error: date: expected a date (YYYY-MM-DD), got null");
    CHECK_STR(check("page", "title: x\ndate:\n"), ""); /* optional and empty */
}

static const char *series_page(const char *series)
{
    static char front[512];
    snprintf(front, sizeof front, "title: x\ndescription: d\nadoption:\n  series: %s\n", series);
    return check("reference", front);
}

static void test_series(void)
{
    CHECK_STR(series_page("{1900: 0, 2100: 100, 2050: ~, 2051: 12.5}"), "");
    CHECK_STR(series_page("{2020: 74, 20x1: 5}"),
              "content/t.md:5:22: error: adoption.series: expected a year from 1900 to 2100, "
              "got \"20x1\"");
    CHECK_STR(series_page("{1899: 1, 2101: 2, 02020: 3, '': 4, -2020: 5}"),
              "content/t.md:5:12: error: adoption.series: expected a year from 1900 to 2100, "
              "got \"1899\"\n"
              "content/t.md:5:21: error: adoption.series: expected a year from 1900 to 2100, "
              "got \"2101\"\n"
              "content/t.md:5:30: error: adoption.series: expected a year from 1900 to 2100, "
              "got \"02020\"\n"
              "content/t.md:5:40: error: adoption.series: expected a year from 1900 to 2100, "
              "got \"\"\n"
              "content/t.md:5:47: error: adoption.series: expected a year from 1900 to 2100, "
              "got \"-2020\"");
    CHECK_STR(series_page("{2020: 74, 2024: high}"),
              "content/t.md:5:28: error: adoption.series.2024: expected a number from 0 to 100, "
              "got \"high\"");
    CHECK_STR(series_page("{2020: 120, 2021: -1, 2022: 100.5, 2023: '50'}"),
              "content/t.md:5:18: error: adoption.series.2020: expected a number from 0 to 100, "
              "got 120\n"
              "content/t.md:5:29: error: adoption.series.2021: expected a number from 0 to 100, "
              "got -1\n"
              "content/t.md:5:39: error: adoption.series.2022: expected a number from 0 to 100, "
              "got 100.5\n"
              "content/t.md:5:52: error: adoption.series.2023: expected a number from 0 to 100, "
              "got \"50\"");
    CHECK_STR(series_page("{2020: [1], 2021: true, 2022: .nan}"),
              "content/t.md:5:18: error: adoption.series.2020: expected a number from 0 to 100, "
              "got a list\n"
              "content/t.md:5:29: error: adoption.series.2021: expected a number from 0 to 100, "
              "got true\n"
              "content/t.md:5:41: error: adoption.series.2022: expected a number from 0 to 100, "
              "got .nan");
    CHECK_STR(series_page("{}"),
              "content/t.md:5:11: error: adoption.series: expected at least one year");
    CHECK_STR(series_page("[74, 77]"),
              "content/t.md:5:11: error: adoption.series: expected a map from years to numbers, "
              "got a list");
    CHECK_STR(series_page("\n    2020: 74\n    2021: x\n"),
              "content/t.md:7:11: error: adoption.series.2021: expected a number from 0 to 100, "
              "got \"x\"");
    CHECK_STR(series_page(""),
              "content/t.md:5:10: error: adoption.series: expected a map from years to numbers, "
              "got null");
}

static void test_unknown_kind(void)
{
    CHECK_STR(check("foo", "title: x\nkind: foo\n"),
              "content/t.md:3:1: error: unknown kind \"foo\" (known kinds: article, guide, page, "
              "reference)");
    CHECK(!check_ok);
    /* without a kind key (the kind came from the section): at 1:1; common fields still checked */
    CHECK_STR(check("blog", "tags: x\n"),
              "content/t.md:1:1: error: unknown kind \"blog\" (known kinds: article, guide, page, "
              "reference)\n"
              "content/t.md:2:1: error: missing required field \"title\" (kind \"blog\")\n"
              "content/t.md:2:7: error: tags: expected a list, got a string \"x\"");
    CHECK_STR(check("", ""),
              "content/t.md:1:1: error: unknown kind \"\" (known kinds: article, guide, page, "
              "reference)\n"
              "content/t.md:1:1: error: missing required field \"title\" (kind \"\")");
    CHECK(schema_has_kind(sch, "page"));
    CHECK(schema_has_kind(sch, "guide"));
    CHECK(schema_has_kind(sch, "reference"));
    CHECK(!schema_has_kind(sch, "Page"));
    CHECK(!schema_has_kind(sch, "fields"));
    CHECK(!schema_has_kind(sch, NULL));
    CHECK(!schema_has_kind(NULL, "page"));
}

static void test_front_not_a_map(void)
{
    CHECK_STR(check("page", "- a\n- b\n"),
              "content/t.md:2:1: error: front matter must be a map of fields, got a list");
    CHECK_STR(check("page", "just a sentence\n"),
              "content/t.md:2:1: error: front matter must be a map of fields, got a string "
              "\"just a sentence\"");
    /* NULL front: the same as an empty one */
    diag_list dl = DIAG_LIST_INIT;
    CHECK(!schema_check(sch, "page", NULL, "x.md", NULL, NULL, &dl));
    CHECK_INT(dl.len, 1);
    CHECK_INT(dl.items[0].line, 1);
    CHECK_INT(dl.items[0].col, 1);
    diag_list_free(&dl);
}

static void test_aliases_checked(void)
{
    /* a shared node is checked where it is used; errors point at where it was written */
    CHECK_STR(check("page", "title: &t [x]\nkind: *t\ndescription: *t\n"),
              "content/t.md:2:8: error: title: expected a string, got a list\n"
              "content/t.md:2:8: error: kind: expected a string, got a list\n"
              "content/t.md:2:8: error: description: expected a string, got a list");
    CHECK_STR(check("reference", "title: x\ndescription: d\nrole: &r Shared text\n"
                                 "risks: [*r, *r]\n"),
              "");
    CHECK_INT(md_count, 3);
}

/* Errors add to a list that already holds some; the result counts only new ones. */
static void test_accumulates(void)
{
    diag_list dl = DIAG_LIST_INIT;
    diag_add(&dl, DIAG_ERROR, "other.md", 1, 1, "earlier");
    const char *y = "title: ok\n";
    value_doc *doc = value_parse_yaml(y, strlen(y), "c.md", 2, 0, &dl);
    CHECK(schema_check(sch, "page", value_doc_root(doc), "c.md", NULL, NULL, &dl));
    CHECK_INT(dl.len, 1);
    value_doc_free(doc);
    diag_list_free(&dl);
}

static void test_declaration_errors(void)
{
    CHECK_STR(declare("fields:\n  title: {type: strng}\n"),
              "theme.yaml:2:17: error: unknown type \"strng\" (types: string, markdown, date, "
              "bool, int, number, list, map, series)");
    CHECK_STR(declare("kinds:\n  page:\n    fields:\n      tags: {type: list}\n"),
              "theme.yaml:4:13: error: list without \"items\"");
    CHECK_STR(declare("fields:\n  tags:\n    type: list\n    items: {type: lst}\n"),
              "theme.yaml:4:19: error: unknown type \"lst\" (types: string, markdown, date, "
              "bool, int, number, list, map, series)");
    CHECK_STR(declare("fields:\n  t: {type: string, items: {type: string}}\n"),
              "theme.yaml:2:21: error: \"items\" is only for type list");
    CHECK_STR(declare("fields:\n  t: {type: list, items: {type: int}, fields: {}}\n"),
              "theme.yaml:2:39: error: \"fields\" is only for type map");
    CHECK_STR(declare("fields:\n  t: {required: true}\n"),
              "theme.yaml:2:6: error: field spec without \"type\"");
    CHECK_STR(declare("fields:\n  t: {type: string, required: yes}\n"),
              "theme.yaml:2:31: error: required: expected true or false, got a string \"yes\"");
    CHECK_STR(declare("fields:\n  t: string\n"),
              "theme.yaml:2:6: error: a field spec must be a map such as {type: string}, got a "
              "string \"string\"");
    CHECK_STR(declare("fields:\n  t: {type: [string]}\n"),
              "theme.yaml:2:13: error: type: expected a type name (types: string, markdown, "
              "date, bool, int, number, list, map, series), got a list");
    CHECK_STR(declare("fields:\n  t: {type: string, requird: true}\n"),
              "theme.yaml:2:21: error: unknown key \"requird\" in a field spec (keys: type, "
              "required, items, fields, description)");
    CHECK_STR(declare("fields: [title]\n"),
              "theme.yaml:1:9: error: fields: expected a map from field names to specs, got a "
              "list");
    CHECK_STR(declare("kinds: [page]\n"),
              "theme.yaml:1:8: error: kinds: expected a map from kind names to kinds, got a list");
    CHECK_STR(declare("kinds:\n  page: yes\n"),
              "theme.yaml:2:9: error: kind \"page\" must be a map such as {fields: ...}, got a "
              "string \"yes\"");
    CHECK_STR(declare("kinds:\n  page: {feilds: {}}\n"),
              "theme.yaml:2:10: error: unknown key \"feilds\" in kind \"page\" (keys: fields, "
              "description)");
    CHECK_STR(declare("kind:\n  page: {}\n"),
              "theme.yaml:1:1: error: unknown key \"kind\" in schema (keys: fields, kinds)");
    CHECK_STR(declare("- fields\n"),
              "theme.yaml:1:1: error: schema: expected a map with \"fields\" and \"kinds\", got "
              "a list");
    /* deep inside a map inside a list */
    CHECK_STR(declare("kinds:\n  k:\n    fields:\n      faq:\n        type: list\n        items:\n"
                      "          type: map\n          fields:\n            q: {type: nope}\n"),
              "theme.yaml:9:23: error: unknown type \"nope\" (types: string, markdown, date, "
              "bool, int, number, list, map, series)");
    /* several mistakes are all reported */
    CHECK_STR(declare("fields:\n  a: {type: x}\n  b: {type: list}\nkinds:\n  p: 3\n"),
              "theme.yaml:2:13: error: unknown type \"x\" (types: string, markdown, date, bool, "
              "int, number, list, map, series)\n"
              "theme.yaml:3:6: error: list without \"items\"\n"
              "theme.yaml:5:6: error: kind \"p\" must be a map such as {fields: ...}, got a "
              "number \"3\"");
    /* fine declarations */
    CHECK_STR(declare(""), "");
    CHECK_STR(declare("kinds:\n  page:\n"), "");
    CHECK_STR(declare("fields:\nkinds:\n  p: {fields: ~}\n"), "");
    CHECK_STR(declare("fields:\n  m: {type: map}\n  s: {type: series}\n"), "");
}

static void test_empty_schema(void)
{
    diag_list dl = DIAG_LIST_INIT;
    schema *s = schema_new(NULL, "theme.yaml", &dl);
    CHECK(s != NULL);
    CHECK(!schema_has_kind(s, "page"));
    CHECK(!schema_check(s, "page", NULL, "a.md", NULL, NULL, &dl));
    CHECK_INT(dl.len, 1);
    CHECK_STR(dl.items[0].message, "unknown kind \"page\" (the schema declares no kinds)");
    schema_free(s);
    schema_free(NULL);
    diag_list_free(&dl);
    /* a map-typed field without fields takes any map */
    value_doc *d =
        value_parse_yaml("fields: {m: {type: map}}\nkinds: {p: }\n", 38, "t.yaml", 1, 0, &dl);
    s = schema_new(value_doc_root(d), "t.yaml", &dl);
    CHECK(s != NULL);
    value_doc *f = value_parse_yaml("m: {anything: [1, 2]}\n", 22, "a.md", 2, 0, &dl);
    CHECK(schema_check(s, "p", value_doc_root(f), "a.md", NULL, NULL, &dl));
    CHECK_INT(dl.len, 0);
    schema_free(s);
    value_doc_free(f);
    value_doc_free(d);
    diag_list_free(&dl);
}

int main(void)
{
    diag_list dl = DIAG_LIST_INIT;
    theme_doc = value_parse_yaml(theme, strlen(theme), "theme.yaml", 1, 0, &dl);
    CHECK(theme_doc != NULL);
    sch = schema_new(theme_doc ? value_doc_root(theme_doc) : NULL, "theme.yaml", &dl);
    CHECK(sch != NULL);
    CHECK_INT(dl.len, 0);
    diag_list_free(&dl);
    if (!sch) return harness_done();
    test_valid_pages();
    test_markdown_callback();
    test_missing_required();
    test_wrong_types();
    test_quoting_in_messages();
    test_dates();
    test_series();
    test_unknown_kind();
    test_front_not_a_map();
    test_aliases_checked();
    test_accumulates();
    test_declaration_errors();
    test_empty_schema();
    schema_free(sch);
    value_doc_free(theme_doc);
    buf_free(&md_seen);
    return harness_done();
}
