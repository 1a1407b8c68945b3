/* test_site.c — unit tests for site.c: what of each page's front matter stays in memory, and
 * what site_read_page reads again when the page renders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "harness.h"
#include "site.h"

static char root[64];

static void put(const char *rel, const char *text)
{
    char *path = fs_join(root, rel);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(path);
}

static const char go_md[] =
    "---\n"
    "title: Go\n"
    "role: Go is *small*, see [Lua](../lua/).\n"
    "adoption:\n"
    "  title: Index\n"
    "  method: Counted **by hand**.\n"
    "  series: {2020: 40}\n"
    "faq:\n"
    "  - q: Why?\n"
    "    a: Because [this](#why).\n"
    "description: D.\n"
    "---\n"
    "Body with a [link](/x/).\n";

static void make_site(void)
{
    snprintf(root, sizeof root, "/tmp/refpress-test-site-XXXXXX");
    CHECK(mkdtemp(root) != NULL);
    char *dir = fs_join(root, "content/tech");
    CHECK(fs_mkdirs(dir) == 0);
    free(dir);
    put("site.yaml", "title: T\nbase_url: https://example.org/\n");
    put("content/tech/_index.md",
        "---\ntitle: Tech\nkind: reference\nfaq:\n  - {q: Q?, a: Section *answer*.}\n---\nAll.\n");
    put("content/tech/go.md", go_md);
    put("content/tech/plain.md", "# Plain\n\nNo front matter.\n");
}

static void test_kept_fields(site *s)
{
    const page *go = site_find_page(s, "/tech/go/");
    const page *tech = site_find_page(s, "/tech/");
    CHECK(go && tech);
    if (!go || !tech) return;
    /* a regular page keeps only the kept fields; the Markdown among them is rendered */
    CHECK(!site_keeps_whole_front(go));
    CHECK(value_get(go->front, "role") == NULL);
    CHECK(value_get(go->front, "faq") == NULL);
    CHECK_STR(go->title, "Go");
    CHECK_STR(go->kind, "reference"); /* from its section */
    const value *method = value_get(value_get(go->front, "adoption"), "method");
    CHECK(method && method->html && strstr(method->html, "<strong>by hand</strong>"));
    CHECK_INT(value_get_entry(go->front, "adoption")->line, 4);
    /* words of every Markdown field, counted as the body's are: role 5, method 3, answer 2 */
    CHECK_INT(go->fm_words, 10);
    CHECK_INT(go->words, 4);
    /* a list page keeps all of it, rendered */
    CHECK(site_keeps_whole_front(tech));
    const value *faq = value_get(tech->front, "faq");
    const value *a = faq && faq->n ? value_get(faq->items[0], "a") : NULL;
    CHECK(a && a->html && strstr(a->html, "<em>answer</em>"));
    CHECK(site_is_kept_field("adoption") && !site_is_kept_field("faq"));
}

static void test_read_again(site *s)
{
    const page *go = site_find_page(s, "/tech/go/");
    if (!go) return;
    diag_list dl = DIAG_LIST_INIT;
    page_text t;
    CHECK(site_read_page(s, go, true, false, &t, &dl));
    const value *role = value_get(t.front, "role");
    CHECK(role && role->html && strstr(role->html, "<a href=\"../lua/\">Lua</a>"));
    CHECK_INT(role ? role->line : 0, 3);
    const value *faq = value_get(t.front, "faq");
    CHECK(faq && faq->n == 1 && value_get(faq->items[0], "a")->html);
    CHECK_INT(t.nfm_links, 2);
    if (t.nfm_links == 2) {
        CHECK_STR(t.fm_links[0].dest, "../lua/");
        CHECK_INT(t.fm_links[0].line, 3);
        CHECK_STR(t.fm_links[1].dest, "#why");
        CHECK_INT(t.fm_links[1].line, 10);
    }
    CHECK_INT(t.body.nlinks, 1);
    if (t.body.nlinks == 1) {
        CHECK_STR(t.body.links[0].dest, "/x/");
        CHECK_INT(t.body.links[0].line, 13);
    }
    CHECK(strstr(t.body.html, "<a href=\"/x/\">link</a>") != NULL);
    page_text_free(&t);

    /* without the body, and for a page with no front matter at all */
    CHECK(site_read_page(s, go, false, false, &t, &dl));
    CHECK(t.body.html == NULL && t.front != NULL);
    page_text_free(&t);
    const page *plain = site_find_page(s, "/tech/plain/");
    CHECK(plain && site_keeps_whole_front(plain) && plain->front == NULL);
    if (plain) {
        CHECK(site_read_page(s, plain, true, false, &t, &dl));
        CHECK(t.front == NULL && t.nfm_links == 0 && t.body.html != NULL);
        page_text_free(&t);
    }
    CHECK_INT(dl.len, 0);

    /* a file that changed since loading is an error, not another page's data */
    put("content/tech/go.md", "---\ntitle: Go, longer now\n---\n");
    CHECK(!site_read_page(s, go, true, false, &t, &dl));
    CHECK(t.front == NULL && t.body.html == NULL);
    CHECK_INT(dl.errors, 1);
    if (dl.len) CHECK_STR(dl.items[0].message, "file changed during the build");
    diag_list_free(&dl);
}

int main(void)
{
    make_site();
    diag_list dl = DIAG_LIST_INIT;
    site_options opt = {root, NULL, false, 2};
    site *s = site_load(&opt, &dl);
    CHECK(s != NULL);
    CHECK_INT(dl.errors, 0);
    for (size_t i = 0; i < dl.len; i++) fprintf(stderr, "load: %s\n", dl.items[i].message);
    if (s) {
        test_kept_fields(s);
        test_read_again(s);
    }
    site_free(s);
    diag_list_free(&dl);
    char *cmd = malloc(strlen(root) + 16);
    sprintf(cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
    free(cmd);
    return harness_done();
}
