/* test_frontmatter.c — unit tests for frontmatter.c: where the YAML and the body are. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frontmatter.h"
#include "harness.h"
#include "value.h"

static fm_split sp;
static diag_list dl;
static char yaml[256], body[256];

/* Splits text (of length len) into sp, copies the YAML and body parts into yaml[] and body[]
 * and returns what fm_split_text returned. Diagnostics collect in dl. */
static bool split_n(const char *text, size_t len)
{
    diag_list_free(&dl);
    memset(&sp, 0xAB, sizeof sp); /* every field must be written */
    bool ok = fm_split_text(text, len, "content/a.md", &sp, &dl);
    yaml[0] = body[0] = '\0';
    if (text) {
        snprintf(yaml, sizeof yaml, "%.*s", (int)sp.yaml_len, text + sp.yaml_off);
        snprintf(body, sizeof body, "%.*s", (int)sp.body_len, text + sp.body_off);
    }
    return ok;
}

static bool split(const char *text)
{
    return split_n(text, strlen(text));
}

static const char *first_diag(void)
{
    static char line[256];
    buf_t b = BUF_INIT;
    if (dl.len) diag_format(&dl.items[0], &b);
    if (b.len && b.ptr[b.len - 1] == '\n') b.ptr[--b.len] = '\0';
    snprintf(line, sizeof line, "%s", buf_cstr(&b));
    buf_free(&b);
    return line;
}

static void test_basic(void)
{
    CHECK(split("---\ntitle: Go\nkind: page\n---\n# Hello\n\nText.\n"));
    CHECK(sp.has_front);
    CHECK_STR(yaml, "title: Go\nkind: page\n");
    CHECK_INT(sp.yaml_off, 4);
    CHECK_INT(sp.yaml_line, 2);
    CHECK_STR(body, "# Hello\n\nText.\n");
    CHECK_INT(sp.body_off, 29);
    CHECK_INT(sp.body_line, 5);
    CHECK_INT(dl.len, 0);
}

static void test_no_front(void)
{
    CHECK(split("# Just Markdown\n\n---\nnot: yaml\n---\n"));
    CHECK(!sp.has_front);
    CHECK_INT(sp.yaml_len, 0);
    CHECK_INT(sp.body_off, 0);
    CHECK_INT(sp.body_line, 1);
    CHECK_STR(body, "# Just Markdown\n\n---\nnot: yaml\n---\n");
    /* "----" and "--- x" are not front matter openers */
    CHECK(split("----\na: 1\n---\nbody\n"));
    CHECK(!sp.has_front);
    CHECK_STR(body, "----\na: 1\n---\nbody\n");
    CHECK(split("--- x\na: 1\n---\n"));
    CHECK(!sp.has_front);
    CHECK_INT(sp.body_len, 15);
    CHECK(split(" ---\na: 1\n---\n"));
    CHECK(!sp.has_front);
    CHECK(split("...\na\n...\n"));
    CHECK(!sp.has_front);
    /* an empty file: no front matter, an empty body */
    CHECK(split(""));
    CHECK(!sp.has_front);
    CHECK_INT(sp.body_len, 0);
    CHECK_INT(sp.body_line, 1);
    CHECK(split_n(NULL, 0));
    CHECK(!sp.has_front);
    CHECK_INT(dl.len, 0);
}

static void test_markers(void)
{
    /* trailing spaces and tabs on both marker lines */
    CHECK(split("---   \na: 1\n--- \t\nbody"));
    CHECK(sp.has_front);
    CHECK_STR(yaml, "a: 1\n");
    CHECK_STR(body, "body");
    CHECK_INT(sp.body_line, 4);
    /* "..." closes as well */
    CHECK(split("---\na: 1\n...\nbody\n"));
    CHECK_STR(yaml, "a: 1\n");
    CHECK_STR(body, "body\n");
    /* lines that only start like a marker do not close */
    CHECK(split("---\na: |\n  ---x\n  ----\n  --- y\n---\nB"));
    CHECK_STR(yaml, "a: |\n  ---x\n  ----\n  --- y\n");
    CHECK_INT(sp.body_line, 7);
    CHECK_STR(body, "B");
    CHECK(split("---\na: 1\n----\n---\nB"));
    CHECK_STR(yaml, "a: 1\n----\n");
    /* the closing line may be the last, without a newline: the body is empty */
    CHECK(split("---\na: 1\n---"));
    CHECK_STR(yaml, "a: 1\n");
    CHECK_INT(sp.body_off, 12);
    CHECK_INT(sp.body_len, 0);
    CHECK_INT(sp.body_line, 4);
}

static void test_empty_front(void)
{
    CHECK(split("---\n---\n"));
    CHECK(sp.has_front);
    CHECK_INT(sp.yaml_off, 4);
    CHECK_INT(sp.yaml_len, 0);
    CHECK_INT(sp.yaml_line, 2);
    CHECK_INT(sp.body_off, 8);
    CHECK_INT(sp.body_len, 0);
    CHECK_INT(sp.body_line, 3);
    CHECK(split("---\n---\nHello\n"));
    CHECK_STR(body, "Hello\n");
    CHECK_INT(sp.body_line, 3);
    CHECK(split("---\n\n# only a comment\n---\n"));
    CHECK_STR(yaml, "\n# only a comment\n");
    CHECK_INT(sp.body_line, 5);
}

static void test_crlf(void)
{
    CHECK(split("---\r\ntitle: Go\r\n---\r\nBody\r\n"));
    CHECK(sp.has_front);
    CHECK_STR(yaml, "title: Go\r\n");
    CHECK_INT(sp.yaml_off, 5);
    CHECK_INT(sp.yaml_line, 2);
    CHECK_STR(body, "Body\r\n");
    CHECK_INT(sp.body_off, 21);
    CHECK_INT(sp.body_line, 4);
    CHECK(split("---  \r\na: 1\r\n...  \r\nB"));
    CHECK_STR(yaml, "a: 1\r\n");
    CHECK_STR(body, "B");
    /* a lone CR inside a marker line is not a line ending */
    CHECK(split("---\r\r\na: 1\n---\n"));
    CHECK(!sp.has_front);
}

static void test_bom(void)
{
    CHECK(split("\xEF\xBB\xBF---\ntitle: x\n---\nBody"));
    CHECK(sp.has_front);
    CHECK_INT(sp.yaml_off, 7);
    CHECK_STR(yaml, "title: x\n");
    CHECK_INT(sp.yaml_line, 2);
    CHECK_STR(body, "Body");
    CHECK_INT(sp.body_line, 4);
    /* without front matter the body starts after the mark */
    CHECK(split("\xEF\xBB\xBF# Title\n"));
    CHECK(!sp.has_front);
    CHECK_INT(sp.body_off, 3);
    CHECK_STR(body, "# Title\n");
    /* half a mark is just text */
    CHECK(split("\xEF\xBB---\n---\n"));
    CHECK(!sp.has_front);
    CHECK_INT(sp.body_off, 0);
}

static void test_unterminated(void)
{
    const char *want = "content/a.md:1:1: error: front matter opened here is never closed "
                       "(expected a line '---')";
    CHECK(!split("---\ntitle: x\n\n# Body without a closing line\n"));
    CHECK_INT(dl.len, 1);
    CHECK_INT(dl.errors, 1);
    CHECK_STR(first_diag(), want);
    CHECK(sp.has_front);
    CHECK_INT(sp.body_len, 0);
    CHECK(!split("---"));
    CHECK_STR(first_diag(), want);
    CHECK(!split("---\n"));
    CHECK_STR(first_diag(), want);
    CHECK(!split("---\r\n"));
    CHECK_STR(first_diag(), want);
    CHECK(!split("---\na: 1\n-- -\n----\n .. .\n"));
    CHECK_STR(first_diag(), want);
    CHECK(!split("\xEF\xBB\xBF---\na: 1\n"));
    CHECK_STR(first_diag(), want);
}

/* Bytes the splitter must never read past: a buffer exactly len long on the heap. */
static void test_exact_bounds(void)
{
    const char *cases[] = {"---", "---\n---", "---\na", "--", "-", "---\n...", "---\n-"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = strlen(cases[i]);
        char *p = malloc(n ? n : 1);
        memcpy(p, cases[i], n);
        split_n(p, n);
        CHECK(sp.body_off + sp.body_len == n);
        CHECK(sp.yaml_off + sp.yaml_len <= n);
        free(p);
    }
}

/* The YAML part, parsed with yaml_line, reports positions in the file. */
static void test_with_value(void)
{
    const char *file = "\xEF\xBB\xBF---\r\ntitle: x\r\nrole: a: b\r\n---\r\nBody";
    CHECK(split(file));
    diag_list_free(&dl);
    value_doc *doc =
        value_parse_yaml(file + sp.yaml_off, sp.yaml_len, "content/a.md", sp.yaml_line, 0, &dl);
    CHECK(doc == NULL);
    CHECK_STR(first_diag(),
              "content/a.md:3:8: error: YAML: mapping values are not allowed in this context");
    value_doc_free(doc);
    diag_list_free(&dl);
    CHECK(split("---\n---\n"));
    doc = value_parse_yaml(file + sp.yaml_off, sp.yaml_len, "content/a.md", sp.yaml_line, 0, &dl);
    CHECK(doc && value_doc_root(doc)->kind == VAL_NULL);
    value_doc_free(doc);
}

int main(void)
{
    test_basic();
    test_no_front();
    test_markers();
    test_empty_front();
    test_crlf();
    test_bom();
    test_unterminated();
    test_exact_bounds();
    test_with_value();
    diag_list_free(&dl);
    return harness_done();
}
