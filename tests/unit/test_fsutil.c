/* test_fsutil.c — URL paths to output paths, confinement of every write, the swap of the
 * staging folder into place, and rm -rf. */
#include <stdio.h>
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

/* rm -rf of nested folders, files and links: a link is removed, never what it points to. */
static void test_remove_tree(const char *root)
{
    char *outside = fs_join(root, "outside"), *keep = fs_join(root, "outside/keep.txt");
    char *tree = fs_join(root, "tree"), *deep = fs_join(root, "tree/a/b/c/d.html");
    char *link_dir = fs_join(root, "tree/a/to-outside"), *link_file = fs_join(root, "tree/f");
    CHECK_INT(fs_write(keep, "k", 1), 0);
    CHECK_INT(fs_write(deep, "<p>", 3), 0);
    for (int i = 0; i < 40; i++) { /* enough entries for readdir to take several reads */
        char name[64];
        snprintf(name, sizeof name, "tree/a/many-%d/index.html", i);
        char *p = fs_join(root, name);
        CHECK_INT(fs_write(p, "x", 1), 0);
        free(p);
    }
    CHECK_INT(symlink(outside, link_dir), 0);
    CHECK_INT(symlink(keep, link_file), 0);
    CHECK_INT(fs_remove_tree(tree), 0);
    CHECK(!fs_is_dir(tree) && access(tree, F_OK) != 0);
    CHECK(fs_is_file(keep)); /* the links went, not their targets */
    CHECK_INT(fs_remove_tree(tree), 0); /* nothing there: nothing to do */
    CHECK_INT(fs_remove_tree(keep), 0); /* a file */
    CHECK(!fs_is_file(keep) && fs_is_dir(outside));
    free(outside);
    free(keep);
    free(tree);
    free(deep);
    free(link_dir);
    free(link_file);
}

int main(void)
{
    char tmpl[] = "/tmp/refpress-test-XXXXXX";
    char *root = mkdtemp(tmpl);
    test_url_to_output();
    test_output_confined(root);
    test_list_sorted(root);
    test_remove_tree(root);
    CHECK_INT(fs_remove_tree(root), 0);
    CHECK(!fs_is_dir(root));
    return harness_done();
}
