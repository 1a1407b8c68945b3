/* frontmatter.h — splits a content file into its YAML front matter and its Markdown body. */
#ifndef REFPRESS_FRONTMATTER_H
#define REFPRESS_FRONTMATTER_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef struct fm_split {
    bool has_front;    /* the file opened with a "---" line */
    size_t yaml_off;   /* the YAML text: file[yaml_off .. yaml_off+yaml_len) */
    size_t yaml_len;
    int yaml_line;     /* file line where the YAML text starts (2 after a plain "---") */
    size_t body_off;   /* the Markdown body: file[body_off .. body_off+body_len) */
    size_t body_len;
    int body_line;     /* file line where the body starts */
} fm_split;

/* Splits text[0..len). A UTF-8 byte-order mark is skipped. Front matter is present when the
 * first line is exactly "---" (trailing spaces allowed, CRLF allowed); it ends at the next
 * line that is exactly "---" or "...". When it never ends, an error
 * "file:1:1: error: front matter opened here is never closed (expected a line '---')"
 * is added and false returned. Without front matter, the whole text is the body. */
bool fm_split_text(const char *text, size_t len, const char *file, fm_split *out,
                   diag_list *dl);

#endif
