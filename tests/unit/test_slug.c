/* test_slug.c — heading ids as GitHub makes them, path slugs, and the unique-id set. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "slug.h"

static char got[4096];

static const char *heading_id(const char *text)
{
    buf_t b = BUF_INIT;
    slug_heading_id(text, strlen(text), &b);
    snprintf(got, sizeof got, "%s", buf_cstr(&b));
    buf_free(&b);
    return got;
}

static const char *path_slug(const char *text)
{
    buf_t b = BUF_INIT;
    slug_path(text, strlen(text), &b);
    snprintf(got, sizeof got, "%s", buf_cstr(&b));
    buf_free(&b);
    return got;
}

static void test_heading_ascii(void)
{
    CHECK_STR(heading_id("Hello World"), "hello-world");
    CHECK_STR(heading_id("C++ & Rust"), "c--rust");
    CHECK_STR(heading_id("What's new?"), "whats-new");
    CHECK_STR(heading_id("  Spaces  "), "--spaces--"); /* GitHub does not trim */
    CHECK_STR(heading_id("snake_case"), "snake_case");
    CHECK_STR(heading_id("heading with a - dash"), "heading-with-a---dash");
    CHECK_STR(heading_id("heading with a period.txt"), "heading-with-a-periodtxt");
    CHECK_STR(heading_id("exchange.bind_headers(exchange, routing [, bindCallback])"),
              "exchangebind_headersexchange-routing--bindcallback");
    CHECK_STR(heading_id("-a-"), "-a-");
    CHECK_STR(heading_id(":ok_hand: Single"), "ok_hand-single");
    CHECK_STR(heading_id("!\"#$%&'()*+,./:;<=>?@[\\]^`{|}~"), "");
    CHECK_STR(heading_id("tab\there\nnewline"), "tabherenewline"); /* only ' ' becomes '-' */
    CHECK_STR(heading_id("v1.2.3 Release 2024"), "v123-release-2024");
    CHECK_STR(heading_id(""), "");
}

static void test_heading_unicode(void)
{
    CHECK_STR(heading_id("Ünïcödé Straße"), "ünïcödé-straße");
    CHECK_STR(heading_id("API v2.0 — overview"), "api-v20--overview");
    CHECK_STR(heading_id("ÀÉÎÕÜ Ÿ Ĳ Ő"), "àéîõü-ÿ-ĳ-ő");
    CHECK_STR(heading_id("Привет non-latin 你好"), "привет-non-latin-你好");
    CHECK_STR(heading_id("Профили пользователей"), "профили-пользователей");
    /* Ruby's downcase is context-free: a final capital sigma becomes σ, not ς. */
    CHECK_STR(heading_id("ΟΔΟΣ Ωμέγα"), "οδοσ-ωμέγα");
    CHECK_STR(heading_id("İstanbul"), "i\xCC\x87stanbul"); /* full mapping: i + U+0307 */
    CHECK_STR(heading_id("ǅungla ᾼ Ⅻ Ⓔ"), "ǆungla-ᾳ-ⅻ-ⓔ");
    CHECK_STR(heading_id("ＡＢＣ（全角）"), "ａｂｃ全角");
    CHECK_STR(heading_id("「こんにちは」、世界！"), "こんにちは世界");
    CHECK_STR(heading_id("apostrophe’s should be trimmed"), "apostrophes-should-be-trimmed");
    CHECK_STR(heading_id("en–dash em—dash"), "endash-emdash");
    CHECK_STR(heading_id("I ♥ unicode"), "i--unicode");
    CHECK_STR(heading_id("Price: 5 € or £4 ¥3 ₿"), "price-5--or-4-3-");
    CHECK_STR(heading_id("¿Qué? ¡Sí! «citation» ½ ² ° ©®™"), "qué-sí-citation----");
    CHECK_STR(heading_id("ª µ º"), "ª-µ-º"); /* letters in the Latin-1 punctuation range */
}

static void test_heading_symbols(void)
{
    CHECK_STR(heading_id("😄 unicode emoji"), "-unicode-emoji");
    CHECK_STR(heading_id("😄-😄 unicode emoji"), "--unicode-emoji");
    CHECK_STR(heading_id("😄_😄 unicode emoji"), "_-unicode-emoji");
    CHECK_STR(heading_id("🚀 Launch ✅ 👍🏽"), "-launch--");
    CHECK_STR(heading_id("Flag 🇫🇷 and 🏴\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2\xF3\xA0\x81\xBF"),
              "flag--and-");
    /* U+FE0F is a Mark, so GitHub keeps it after removing the warning sign itself. */
    CHECK_STR(heading_id("\xE2\x9A\xA0\xEF\xB8\x8F Warning"), "\xEF\xB8\x8F-warning");
    CHECK_STR(heading_id("a → b ⇒ c ∞ ≤ d"), "a--b--c---d");
    CHECK_STR(heading_id("zero\xE2\x80\x8Bwidth\xC2\xA0nbsp\xE2\x80\xA8"), "zerowidthnbsp");
    CHECK_STR(heading_id("\xEF\xBB\xBF"
                         "bom"),
              "bom");
    CHECK_STR(heading_id("a\xE2\x80\xBF"
                         "b"),
              "a\xE2\x80\xBF"
              "b"); /* ‿ is connector punct */
}

static void test_heading_bad_bytes(void)
{
    /* Malformed UTF-8 never crashes and never reaches the id. */
    CHECK_STR(heading_id("a\xFF"
                         "b\xC3"),
              "ab");
    CHECK_STR(heading_id("\xE2\x82"
                         "x"),
              "x");
    CHECK_STR(heading_id("\xED\xA0\x80s"), "s");     /* surrogate */
    CHECK_STR(heading_id("\xC0\xAFo"), "o");         /* overlong '/' */
    CHECK_STR(heading_id("\xF4\x90\x80\x80z"), "z"); /* past U+10FFFF */
    buf_t b = BUF_INIT;
    slug_heading_id("A\0B", 3, &b); /* NUL is not a word character */
    CHECK_INT(b.len, 2);
    CHECK_STR(buf_cstr(&b), "ab");
    buf_free(&b);
}

static void test_heading_appends(void)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, "x:");
    slug_heading_id("Hello World", 5, &b); /* only the first len bytes */
    CHECK_STR(buf_cstr(&b), "x:hello");
    buf_free(&b);
}

static void test_path(void)
{
    CHECK_STR(path_slug("C++ & Rust"), "c-rust");
    CHECK_STR(path_slug("Backend systems"), "backend-systems");
    CHECK_STR(path_slug(""), "");
    CHECK_STR(path_slug("  --Hello,   World!--  "), "hello-world");
    CHECK_STR(path_slug("snake_case_name"), "snake-case-name");
    CHECK_STR(path_slug("Straße Über"), "straße-über");
    CHECK_STR(path_slug("İstanbul"), "istanbul");
    CHECK_STR(path_slug("日本語 テスト"), "日本語-テスト");
    CHECK_STR(path_slug("../../etc/passwd"), "etc-passwd");
    CHECK_STR(path_slug("Go 1.22"), "go-1-22");
    CHECK_STR(path_slug("!!!"), "");
    CHECK_STR(path_slug("🚀 rockets 🚀"), "rockets");
    CHECK_STR(path_slug("a\xFF\xFE"
                        "b"),
              "a-b");
    buf_t b = BUF_INIT;
    buf_puts(&b, "tags/");
    slug_path("  Rust  ", 8, &b);
    CHECK_STR(buf_cstr(&b), "tags/rust"); /* no leading dash even when appending */
    buf_free(&b);
}

static const char *unique(slug_set *s, const char *id)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, id);
    slug_set_unique(s, &b);
    snprintf(got, sizeof got, "%s", buf_cstr(&b));
    buf_free(&b);
    return got;
}

static void test_set(void)
{
    slug_set *s = slug_set_new();
    CHECK_STR(unique(s, "intro"), "intro");
    CHECK_STR(unique(s, "intro"), "intro-1");
    CHECK_STR(unique(s, "intro"), "intro-2");
    CHECK_STR(unique(s, "other"), "other");
    slug_set_free(s);

    /* The sequence github.com produced for github-slugger's fixtures. */
    s = slug_set_new();
    CHECK_STR(unique(s, "echo"), "echo");
    CHECK_STR(unique(s, "echo"), "echo-1");
    CHECK_STR(unique(s, "echo-1"), "echo-1-1");
    CHECK_STR(unique(s, "echo-1"), "echo-1-2");
    CHECK_STR(unique(s, "echo"), "echo-2");
    CHECK_STR(unique(s, "foxtrot-1"), "foxtrot-1");
    CHECK_STR(unique(s, "foxtrot"), "foxtrot");
    CHECK_STR(unique(s, "foxtrot"), "foxtrot-2"); /* foxtrot-1 is taken */
    CHECK_STR(unique(s, ""), "");
    CHECK_STR(unique(s, ""), "-1");
    CHECK_STR(unique(s, "-1"), "-1-1");
    slug_set_free(s);

    /* An empty, never-allocated buffer works too. */
    s = slug_set_new();
    buf_t b = BUF_INIT;
    slug_set_unique(s, &b);
    CHECK_STR(buf_cstr(&b), "");
    buf_clear(&b);
    slug_set_unique(s, &b);
    CHECK_STR(buf_cstr(&b), "-1");
    buf_free(&b);
    slug_set_free(s);
    slug_set_free(NULL);
}

/* 10,000 identical headings plus 10,000 distinct ones: must stay linear (a hash set). */
static void test_set_many(void)
{
    clock_t t0 = clock();
    slug_set *s = slug_set_new();
    buf_t b = BUF_INIT;
    int ok = 1;
    for (int i = 0; i < 10000; i++) {
        buf_clear(&b);
        buf_puts(&b, "faq");
        slug_set_unique(s, &b);
        char want[32];
        if (i == 0)
            snprintf(want, sizeof want, "faq");
        else
            snprintf(want, sizeof want, "faq-%d", i);
        if (strcmp(buf_cstr(&b), want) != 0) ok = 0;
    }
    for (int i = 0; i < 10000; i++) {
        buf_clear(&b);
        buf_printf(&b, "section-%d", i);
        slug_set_unique(s, &b);
        char want[32];
        snprintf(want, sizeof want, "section-%d", i);
        if (strcmp(buf_cstr(&b), want) != 0) ok = 0;
    }
    buf_clear(&b);
    buf_puts(&b, "faq");
    slug_set_unique(s, &b);
    CHECK_STR(buf_cstr(&b), "faq-10000");
    buf_free(&b);
    slug_set_free(s);
    CHECK(ok);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(secs < 1.0);
}

int main(void)
{
    test_heading_ascii();
    test_heading_unicode();
    test_heading_symbols();
    test_heading_bad_bytes();
    test_heading_appends();
    test_path();
    test_set();
    test_set_many();
    return harness_done();
}
