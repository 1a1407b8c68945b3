/* markdown.h — Markdown to HTML with cmark-gfm, plus what the rest of refpress needs from a
 * document: the table of contents with stable heading ids, every link with its source
 * position, and the word count. */
#ifndef REFPRESS_MARKDOWN_H
#define REFPRESS_MARKDOWN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct md_heading {
    int level;   /* 1..6 */
    char *id;    /* unique within the document, GitHub style ("getting-started", "faq-1") */
    char *text;  /* plain text of the heading */
    int line;    /* file line */
} md_heading;

typedef struct md_link {
    char *dest;  /* the URL as written (after entity/escape processing by cmark) */
    int line;    /* file line and column of the link's opening "[" / "<" / "!" */
    int col;
    bool image;  /* ![alt](src) */
} md_link;

typedef struct md_result {
    char *html;          /* NUL-terminated; headings carry id="…" */
    size_t html_len;
    md_heading *toc;     /* every heading in document order */
    size_t ntoc;
    md_link *links;      /* every link, image and autolink in document order */
    size_t nlinks;
    size_t words;        /* words of text, code included */
} md_result;

typedef struct md_options {
    bool unsafe;         /* let raw HTML through (site.yaml markdown.unsafe); off by default */
    bool heading_ids;    /* add id="…" to headings and fill toc */
} md_options;

/* Calls cmark_gfm_core_extensions_ensure_registered(); call once before any thread renders. */
void md_global_init(void);

/* Renders text[0..len) as GitHub-flavoured Markdown: tables, strikethrough, autolinks,
 * tagfilter, task lists, footnotes; smart punctuation off. first_line and first_col give the
 * file position of text[0] so that link and heading positions are file positions (columns
 * on later lines are taken as written). Fills *out; caller frees with md_result_free(). */
void md_render(const char *text, size_t len, int first_line, int first_col,
               const md_options *opt, md_result *out);
void md_result_free(md_result *r);

/* Reading time at 220 words a minute, at least 1 for a non-empty text. */
int md_reading_minutes(size_t words);

#endif
