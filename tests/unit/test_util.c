/* test_util.c — the shared helpers: UTF-8 checks, positions, buffers, diagnostics, strmap,
 * counts from the environment. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "diag.h"
#include "harness.h"
#include "json.h"
#include "strmap.h"
#include "util.h"

static void test_utf8(void)
{
    size_t bad = 99;
    CHECK(utf8_valid("plain ascii", 11, &bad));
    CHECK(utf8_valid("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, &bad));
    CHECK(!utf8_valid("ab\xff", 3, &bad));
    CHECK_INT(bad, 2);
    CHECK(!utf8_valid("x\xc3", 2, &bad)); /* truncated at the end */
    CHECK_INT(bad, 1);
    CHECK(!utf8_valid("\xc0\xaf", 2, &bad)); /* overlong '/' */
    CHECK_INT(bad, 0);
    CHECK(!utf8_valid("a\xed\xa0\x80", 4, &bad)); /* a surrogate */
    CHECK_INT(bad, 1);
    CHECK(!utf8_valid("\xf4\x90\x80\x80", 4, &bad)); /* past U+10FFFF */
    CHECK(!utf8_valid("\xe2\x28\xa1", 3, &bad)); /* bad continuation */
    /* runs of ASCII are taken eight bytes at a time: what follows them is still checked */
    CHECK(utf8_valid("0123456789\xc3\xa9" "abcdefghijklmnop", 28, &bad));
    CHECK(!utf8_valid("0123456789abcdefghij\xffklmnop", 27, &bad));
    CHECK_INT(bad, 20);
    CHECK(!utf8_valid("0123456789abcdef\xffghijklmnopq", 28, &bad)); /* first of eight */
    CHECK_INT(bad, 16);
    CHECK(!utf8_valid("0123456789abcdefghijklmnopqrstu\xe2\x82", 33, &bad));
    CHECK_INT(bad, 31);
}

static void test_count_newlines(void)
{
    const char *s = "a\nbc\n\n\nd";
    CHECK_INT(count_newlines(s, s + strlen(s)), 4);
    CHECK_INT(count_newlines(s, s + 2), 1);
    CHECK_INT(count_newlines(s + 2, s + 6), 2);
    CHECK_INT(count_newlines(s, s), 0);
}

static void test_position(void)
{
    int line, col;
    text_position("ab\ncd\nef", 7, &line, &col);
    CHECK_INT(line, 3);
    CHECK_INT(col, 2);
    text_position("abc", 0, &line, &col);
    CHECK_INT(line, 1);
    CHECK_INT(col, 1);
}

static void test_buf(void)
{
    buf_t b = BUF_INIT;
    CHECK_STR(buf_cstr(&b), "");
    buf_puts(&b, "a");
    buf_printf(&b, "%d-%s", 42, "x");
    CHECK_STR(b.ptr, "a42-x");
    buf_clear(&b);
    buf_put_html_escaped(&b, "<a href=\"x\">Tom & Jerry's</a>", 29);
    CHECK_STR(b.ptr, "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
    buf_clear(&b);
    static const long long ints[] = {0, 7, -7, 10, -10, 123456789, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) { /* buf_put_int is "%lld" */
        char want[32];
        snprintf(want, sizeof want, "%lld", ints[i]);
        buf_clear(&b);
        buf_put_int(&b, ints[i]);
        CHECK_STR(buf_cstr(&b), want);
    }
    buf_clear(&b);
    for (int i = 0; i < 1000; i++) buf_printf(&b, "%0300d", i); /* past the stack buffer */
    CHECK_INT(b.len, 300000);
    char *s = buf_detach(&b);
    CHECK_INT(b.len, 0);
    CHECK(b.ptr == NULL);
    free(s);
}

static void test_diag(void)
{
    diag_list dl = DIAG_LIST_INIT, other = DIAG_LIST_INIT;
    diag_add(&dl, DIAG_ERROR, "content/b.md", 3, 7, "second %s", "file");
    diag_add(&other, DIAG_WARNING, "content/a.md", 10, 0, "no column");
    diag_add(&other, DIAG_ERROR, "content/a.md", 2, 5, "first");
    diag_add(&other, DIAG_ERROR, "site.yaml", 0, 0, "whole file");
    diag_list_take(&dl, &other);
    CHECK_INT(other.len, 0);
    CHECK_INT(dl.len, 4);
    CHECK_INT(dl.errors, 3);
    CHECK_INT(dl.warnings, 1);
    diag_list_sort(&dl);
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < dl.len; i++) diag_format(&dl.items[i], &b);
    CHECK_STR(b.ptr, "content/a.md:2:5: error: first\n"
                     "content/a.md:10: warning: no column\n"
                     "content/b.md:3:7: error: second file\n"
                     "site.yaml: error: whole file\n");
    buf_free(&b);
    diag_list_free(&dl);
}

static void test_strmap(void)
{
    strmap *m = strmap_new();
    char names[2000][16];
    for (int i = 0; i < 2000; i++) {
        snprintf(names[i], sizeof names[i], "/p/%d/", i);
        CHECK(strmap_put(m, names[i], names[i]) == NULL || i < 0);
    }
    CHECK_INT(strmap_len(m), 2000);
    int found = 0;
    for (int i = 0; i < 2000; i++) found += strmap_get(m, names[i]) == names[i];
    CHECK_INT(found, 2000);
    CHECK(strmap_get(m, "/p/2000/") == NULL);
    CHECK(strmap_put(m, "/p/7/", names[0]) == names[7]);
    CHECK(strmap_get(m, "/p/7/") == names[0]);
    CHECK_INT(strmap_len(m), 2000);
    strmap_free(m);
    strmap_free(NULL);
    CHECK(hash_fnv1a("", 0) == 14695981039346656037ULL);
    CHECK(hash_fnv1a("a", 1) == 0xaf63dc4c8601ec8cULL);
}

static void test_json(void)
{
    buf_t b = BUF_INIT;
    json_put_cstr(&b, "</script><!-- \"q\" \\ \n\t\x01 a&b \xe2\x80\xa8\xe2\x80\xa9 \xc3\xa9");
    CHECK_STR(b.ptr, "\"\\u003c/script\\u003e\\u003c!-- \\\"q\\\" \\\\ \\n\\t\\u0001 a\\u0026b "
                     "\\u2028\\u2029 \xc3\xa9\"");
    buf_clear(&b);
    json_put_cstr(&b, NULL);
    CHECK_STR(b.ptr, "\"\"");
    /* Other characters that start with 0xE2 pass as they are ("→", and one cut short at the
     * end); plain runs before, between and after escapes are kept whole. */
    buf_clear(&b);
    json_put_cstr(&b, "<a \xe2\x86\x92 b\xe2\x80\xa8" "c>\xe2\x80");
    CHECK_STR(b.ptr, "\"\\u003ca \xe2\x86\x92 b\\u2028c\\u003e\xe2\x80\"");
    buf_clear(&b);
    json_put_cstr(&b, "plain text only");
    CHECK_STR(b.ptr, "\"plain text only\"");
    buf_free(&b);
}

/* mem_find finds the first whole needle, never one that runs past the end. */
static void test_mem_find(void)
{
    const char h[] = "<p><a><a href><a href=\"x\">";
    const char *end = h + sizeof h - 1;
    CHECK(mem_find(h, end, "<a href", 7) == h + 6);
    CHECK(mem_find(h + 7, end, "<a href", 7) == h + 14);
    CHECK(mem_find(h, end, "<a href=\"x\">", 12) == h + 14);
    CHECK(mem_find(h, end, "<a href=\"x\">!", 13) == NULL); /* would end past the end */
    CHECK(mem_find(h, end - 1, "<a href=\"x\">", 12) == NULL);
    CHECK(mem_find(h, end, "<p>", 3) == h);
    CHECK(mem_find(h, h, "<", 1) == NULL);
    CHECK(mem_find(h, end, h, sizeof h - 1) == h); /* the whole haystack */
}

static void test_env_count(void)
{
    static const struct {
        const char *value; /* NULL: unset */
        long long want;
    } cases[] = {{NULL, 7}, {"", 7}, {"0", 0}, {"42", 42}, {"-1", 7}, {" 5", 7}, {"5x", 7},
                 {"+5", 7}, {"1700000000", 1700000000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].value) setenv("REFPRESS_TEST_COUNT", cases[i].value, 1);
        else unsetenv("REFPRESS_TEST_COUNT");
        CHECK_INT(env_count("REFPRESS_TEST_COUNT", 7), cases[i].want);
    }
    unsetenv("REFPRESS_TEST_COUNT");
}

int main(void)
{
    test_env_count();
    test_mem_find();
    test_json();
    test_utf8();
    test_position();
    test_count_newlines();
    test_buf();
    test_diag();
    test_strmap();
    return harness_done();
}
