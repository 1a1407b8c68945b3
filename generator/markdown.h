/* markdown.h — Markdown to HTML with cmark-gfm, plus what the rest of refpress needs from a
 * document: the table of contents with stable heading ids, every link with its source
 * position, and the word count. */
#ifndef REFPRESS_MARKDOWN_H
#define REFPRESS_MARKDOWN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

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

/* An element of the HTML that an HTML parser will find a link or an id on. */
typedef enum { MD_ITEM_LINK, MD_ITEM_IMAGE, MD_ITEM_ID } md_item_kind;

typedef struct md_item {
    md_item_kind kind; /* <a href>, <img src> (always with alt), <hN id> */
    int level;         /* MD_ITEM_ID: the heading's level */
    char *str;         /* the attribute's value as an HTML parser reads it (entities decoded) */
    int line;          /* newlines in html before the element's closing '>' */
} md_item;

typedef struct md_result {
    char *html;          /* NUL-terminated; headings carry id="…" */
    size_t html_len;
    md_item *items;      /* the links and ids of html, in document order */
    size_t nitems;
    bool items_known;    /* items lists every link and id of html: see md_render */
    md_heading *toc;     /* every heading in document order */
    size_t ntoc;
    md_link *links;      /* every link, image and autolink in document order */
    size_t nlinks;
} md_result;

typedef struct md_options {
    bool unsafe;         /* let raw HTML through (site.yaml markdown.unsafe); off by default */
    bool heading_ids;    /* add id="…" to headings and fill toc */
    const char *base_path; /* put in front of root-relative link and image URLs, so that
                            * "/tech/go/" becomes "/docs/tech/go/" on a site served under
                            * /docs/; NULL or "/" changes nothing. md_result.links keep the
                            * URLs as written. */
    bool items;          /* fill md_result.items (for a link check); off: items_known false */
} md_options;

/* Calls cmark_gfm_core_extensions_ensure_registered(); call once before any thread renders. */
void md_global_init(void);
/* Whether md_global_init could let cmark parse on several threads at once (else every parse
 * takes a lock; the output is the same either way). */
bool md_parses_in_parallel(void);

/* Renders text[0..len) as GitHub-flavoured Markdown: tables, strikethrough, autolinks,
 * tagfilter, task lists, footnotes; smart punctuation off. first_line and first_col give the
 * file position of text[0] so that link and heading positions are file positions (columns
 * on later lines are taken as written). Fills *out; caller frees with md_result_free(). */
void md_render(const char *text, size_t len, int first_line, int first_col,
               const md_options *opt, md_result *out);
void md_result_free(md_result *r);
/* Frees n items taken from an md_result. */
void md_items_free(md_item *items, size_t n);

/* Details of md_render, as implemented:
 * - Heading ids follow GitHub: slug_heading_id() of the heading's text (text and code spans;
 *   emphasis and links flattened; no image alt text, no raw HTML tags; a line break inside a
 *   setext heading counts as nothing), made unique with a slug_set in document order. A heading
 *   whose text has no letter or digit gets id "" and no id attribute, but stays in the toc and
 *   still counts as a duplicate ("## !!!" after "#" becomes "-1", as on GitHub). toc text is
 *   that text on one line, trimmed.
 * - links are in source order (cmark moves footnote definitions to the end; we do not). An
 *   image inside a link gives two entries. Footnote references are not links. www. autolinks
 *   get "http://" and e-mail autolinks "mailto:"; cmark-gfm's autolink extension keeps entities
 *   such as "&amp;" verbatim in the URL. Positions come from aligning the parse tree with the
 *   source (cmark-gfm 0.29's own inline positions are wrong on lazy and indented continuation
 *   lines, after multi-line code spans and escaped table pipes, and missing for autolinks); in
 *   the rare block where that fails (footnote definitions nested in quoted lists), cmark's own
 *   position or the block's start is used.
 * - items (with md_options.items): each link, image and heading id as cmark-gfm wrote it into
 *   html, each found there (the exact markup, in order, and as many of each kind as html
 *   holds). items_known is false, and items empty, when the document has raw HTML that is
 *   let through (unsafe) or footnotes, whose markup cmark writes on its own, or when any
 *   item is not where it should be; a link checker must then parse html itself.
 * - Several threads may call md_render at once, once md_global_init has run: cmark-gfm 0.29
 *   edits global tables while it parses; md_global_init settles them for good (see
 *   markdown.c), or, where it cannot, parsing is serialised inside. Link with pthreads. */

/* Appends html (as md_render writes it) with the changes a reader needs: each <table> inside
 * <div class="table-wrap" tabindex="0"> so a wide table scrolls in its own box and can be
 * scrolled from the keyboard; <pre> blocks focusable (tabindex="0") and, for fenced code
 * with a language, carrying data-lang="python"; task-list checkboxes (unlabelled disabled
 * inputs) replaced by a drawn box and the words "Done:" or "To do:" for screen readers; and
 * the footnotes section named. Only cmark's own markup is matched. */
void md_polish_html(const char *html, size_t len, buf_t *out);

/* Counts the words of Markdown source cheaply, without parsing: runs of non-blank bytes that
 * hold a letter or digit (so "-", "|", "```" and "#" are not words). Close to the count
 * md_render gives, and what page lists use for reading times before pages are rendered. */
size_t md_count_words(const char *text, size_t len);

/* Appends the text of the first level-1 ATX heading ("# Title") outside fenced code, with
 * closing #s and surrounding blanks removed. Returns false (out unchanged) when there is none. */
bool md_first_heading(const char *text, size_t len, buf_t *out);

/* Reading time at 220 words a minute, at least 1 for a non-empty text. */
int md_reading_minutes(size_t words);

#endif
