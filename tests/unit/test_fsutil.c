/* test_fsutil.c — URL paths to output paths, confinement of every write, and the swap of
 * the staging folder into place. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fsutil.h"
#include "harness.h"
#include "output.h"
#include "util.h"

static const char *to_output(const char *url)
{
    static char result[256];
    buf_t b = BUF_INIT;
    bool ok = fs_url_to_output(url, &b);
    snprintf(result, sizeof result, "%s", ok ? buf_cstr(&b) : "(refused)");
    buf_free(&b);
    return result;
}

static void test_url_to_output(void)
{
    CHECK_STR(to_output("/"), "index.html");
    CHECK_STR(to_output("/tech/go/"), "tech/go/index.html");
    CHECK_STR(to_output("/feed.xml"), "feed.xml");
    CHECK_STR(to_output("/a/./b/"), "a/b/index.html");
    CHECK_STR(to_output("/a/b/../c/"), "a/c/index.html");
    CHECK_STR(to_output("/a/.."), "index.html");
    CHECK_STR(to_output("/.."), "(refused)");
    CHECK_STR(to_output("/../../etc/x"), "(refused)");
    CHECK_STR(to_output("/a/../../etc/passwd"), "(refused)");
    CHECK_STR(to_output("relative/"), "(refused)");
    CHECK_STR(to_output("/a//b/"), "(refused)");
    CHECK_STR(to_output("/a\\..\\..\\x/"), "(refused)");
    CHECK_STR(to_output("/tab\there/"), "(refused)");
}

static void test_output_confined(const char *root)
{
    diag_list dl = DIAG_LIST_INIT;
    char *target = fs_join(root, "public");
    output *o = output_begin(target, &dl);
    CHECK(o != NULL);
    const char *bad[] = {"../escape.html", "/etc/passwd", "a/../../b", "a//b", "./x", "",
                         "a\\b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(!output_write(o, bad[i], "x", 1, &dl));
    CHECK_INT(dl.errors, sizeof bad / sizeof *bad);
    CHECK_STR(dl.items[0].message,
              "refused to write \"../escape.html\": the path would leave the output folder");
    CHECK(output_write(o, "a/b/index.html", "<p>new</p>", 10, &dl));
    size_t nfiles;
    const char *const *files = output_files(o, &nfiles);
    CHECK(nfiles == 1 && strcmp(files[0], "a/b/index.html") == 0); /* refused paths not kept */
    char *escape = fs_join(root, "escape.html");
    CHECK(!fs_is_file(escape));
    free(escape);
    diag_list_free(&dl);
    CHECK(output_commit(o, &dl));
    char *page = fs_join(target, "a/b/index.html");
    size_t len;
    char *text = fs_read(page, 1000, &len);
    CHECK_STR(text, "<p>new</p>");
    free(text);
    free(page);

    /* A second build replaces the first; an aborted one leaves it alone. */
    o = output_begin(target, &dl);
    CHECK(o != NULL);
    output_write(o, "index.html", "second", 6, &dl);
    output_abort(o);
    char *index = fs_join(target, "index.html");
    CHECK(!fs_is_file(index));
    o = output_begin(target, &dl);
    output_write(o, "index.html", "third", 5, &dl);
    CHECK(output_commit(o, &dl));
    CHECK(fs_is_file(index));
    page = fs_join(target, "a/b/index.html");
    CHECK(!fs_is_file(page)); /* the old output is gone as a whole */
    free(page);
    free(index);

    /* A folder refpress did not write is refused. */
    char *foreign = fs_join(root, "foreign");
    char *note = fs_join(foreign, "note.txt");
    fs_write(note, "mine", 4);
    CHECK(output_begin(foreign, &dl) == NULL);
    CHECK_INT(dl.errors, 1);
    CHECK(fs_is_file(note));
    free(note);
    free(foreign);
    diag_list_free(&dl);
    free(target);
}

static void test_list_sorted(const char *root)
{
    char *dir = fs_join(root, "list");
    const char *names[] = {"b.md", "a.md", "C.md", ".hidden", "_index.md"};
    for (size_t i = 0; i < 5; i++) {
        char *p = fs_join(dir, names[i]);
        fs_write(p, "", 0);
        free(p);
    }
    fs_entry *e;
    size_t n;
    CHECK_INT(fs_list(dir, &e, &n), 0);
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK_STR(e[0].name, "C.md");
        CHECK_STR(e[1].name, "_index.md");
        CHECK_STR(e[2].name, "a.md");
        CHECK_STR(e[3].name, "b.md");
        CHECK(e[0].type == FS_FILE && !e[0].symlink);
    }
    fs_entries_free(e, n);
    free(dir);
}

int main(void)
{
    char tmpl[] = "/tmp/refpress-test-XXXXXX";
    char *root = mkdtemp(tmpl);
    test_url_to_output();
    test_output_confined(root);
    test_list_sorted(root);
    fs_remove_tree(root);
    return harness_done();
}
