/* jsonld.h — a page's structured data for search engines (schema.org JSON-LD): the article,
 * its breadcrumb trail and its FAQ, from the same data the page shows. */
#ifndef REFPRESS_JSONLD_H
#define REFPRESS_JSONLD_H

#include <stddef.h>

#include "buf.h"
#include "site.h"

/* Fills trail with the breadcrumb trail of p, home first and p last: home, then the pages of
 * p's `category` terms when it has any, else the sections that hold p. Returns the number of
 * entries (at most max). The pages are borrowed from s. */
size_t jsonld_trail(const site *s, const page *p, const page **trail, size_t max);

/* Appends one <script type="application/ld+json"> element holding an @graph of: a
 * TechArticle (kinds reference, guide, skill), an Article (kind article), a WebSite (home)
 * or a WebPage (everything else) with headline, description, dates, authors, publisher,
 * image, mainEntityOfPage, inLanguage and keywords; a BreadcrumbList (positions from 1,
 * absolute URLs); and a FAQPage when the page has a `faq`, each answer's text being its
 * rendered HTML. front is p's whole front matter (site_read_page), or NULL for none. The JSON
 * is escaped so no front matter can end the script element. */
void jsonld_page(const site *s, const page *p, const value *front, buf_t *out);

#endif
