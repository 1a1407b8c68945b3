/* frontmatter.c — splits a content file into its YAML front matter and its Markdown body. */
#include "frontmatter.h"

#include <string.h>

/* Length of the line starting at off, without its line break; *next gets the offset after
 * the break (len when the line is the last one). */
static size_t line_at(const char *text, size_t len, size_t off, size_t *next)
{
    const char *nl = memchr(text + off, '\n', len - off);
    size_t end = nl ? (size_t)(nl - text) : len;
    *next = nl ? end + 1 : len;
    return end - off;
}

/* Is the line text[off..off+n) exactly marker, allowing trailing spaces, tabs and a CR? */
static bool line_is(const char *text, size_t off, size_t n, const char *marker)
{
    size_t m = strlen(marker);
    if (n < m || memcmp(text + off, marker, m) != 0) return false;
    for (size_t i = m; i < n; i++) {
        char c = text[off + i];
        if (c != ' ' && c != '\t' && !(c == '\r' && i == n - 1)) return false;
    }
    return true;
}

bool fm_split_text(const char *text, size_t len, const char *file, fm_split *out, diag_list *dl)
{
    size_t start = 0;
    if (!text) text = "", len = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) start = 3;
    memset(out, 0, sizeof *out);
    out->yaml_off = start;
    out->yaml_line = 1;
    out->body_off = start;
    out->body_len = len - start;
    out->body_line = 1;

    size_t next;
    size_t n = line_at(text, len, start, &next);
    if (!line_is(text, start, n, "---")) return true;

    out->has_front = true;
    out->yaml_off = next;
    out->yaml_line = 2;
    int line = 2;
    for (size_t off = next; off < len; off = next, line++) {
        n = line_at(text, len, off, &next);
        if (line_is(text, off, n, "---") || line_is(text, off, n, "...")) {
            out->yaml_len = off - out->yaml_off;
            out->body_off = next;
            out->body_len = len - next;
            out->body_line = line + 1;
            return true;
        }
    }
    out->yaml_len = len - out->yaml_off;
    out->body_off = len;
    out->body_len = 0;
    out->body_line = line;
    diag_add(dl, DIAG_ERROR, file, 1, 1,
             "front matter opened here is never closed (expected a line '---')");
    return false;
}
