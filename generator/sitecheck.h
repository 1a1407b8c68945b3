/* sitecheck.h — the link check of a build: pages parsed as they are rendered, then every link
 * checked, each finding named at its source — the Markdown file, line and column where the
 * link was written, or the template that wrote it and the page. */
#ifndef REFPRESS_SITECHECK_H
#define REFPRESS_SITECHECK_H

#include <stddef.h>

#include "diag.h"
#include "context.h"
#include "external.h"
#include "linkcheck.h"
#include "site.h"

typedef struct sitecheck sitecheck;

/* s and opt are borrowed and must outlive the check. Caller frees with sitecheck_free(). */
sitecheck *sitecheck_new(const site *s, const lc_options *opt);
void sitecheck_free(sitecheck *c);

/* Parses the HTML rendered for p (its out path) and notes where each link was written, from
 * text (what the render read of p's file: its rendered Markdown body and fields and the links
 * of its front matter). parts: what context_render_page handed out (may be NULL). pieces:
 * the calling thread's cache of template output (may be NULL).
 * Safe from several threads at once for different pages (each with its own pieces). */
void sitecheck_page(sitecheck *c, const page *p, const char *html, size_t len,
                    const page_text *text, const context_parts *parts, lc_piece_cache *pieces);
/* What sitecheck_page parses with: lc_page_parse of the page at path, except that libxml2
 * does not read what refpress wrote itself and knows the links and ids of (lc_page_parse_parts):
 * the body (text->body.html as the page holds it, see context_render_page) when its items are
 * known (md_result.items_known), each Markdown field of text->fields, and each part of parts,
 * wherever html holds them; and, with pieces, each output of a partial (parts->spans) that
 * the cache can read (lc_piece_parts). The page comes out the same either way. text, parts
 * and pieces may be NULL. */
lc_page *sitecheck_parse(const char *path, const char *html, size_t len, const page_text *text,
                         const context_parts *parts, lc_piece_cache *pieces);
/* Parses the redirect page written at rel for p's alias. One thread only. */
void sitecheck_redirect(sitecheck *c, const page *p, const char *rel, const char *html,
                        size_t len);

/* Checks every link against the files of the output (files: every path written, pages
 * included) and adds the findings to dl. With ext (NULL: off), http(s) links outside the
 * site are fetched too (external.h), each finding named at every place the URL is written.
 * stats and ext_st may be NULL. */
void sitecheck_run(sitecheck *c, const char *const *files, size_t nfiles,
                   const ext_options *ext, diag_list *dl, lc_stats *stats, ext_stats *ext_st);

#endif
