/* context.h — what templates see: the site and its pages as frozen Lua tables in a template
 * engine, the helpers url, asset, markdown, date, slugify and json, and the choice of template
 * for each page. */
#ifndef REFPRESS_CONTEXT_H
#define REFPRESS_CONTEXT_H

#include <stdbool.h>

#include "buf.h"
#include "chart.h"
#include "diag.h"
#include "site.h"
#include "template.h"

/* Creates a template engine for one worker, with the globals `site` (title, base_url,
 * language, description, params, menu, author, publisher, config, pages, sections, home,
 * taxonomies, now) and the helpers installed. s is borrowed and must outlive the engine; it is
 * only read, so engines of several threads may share it (asset() marks assets used with an
 * atomic store). Caller frees with tpl_engine_free(). */
tpl_engine *context_engine_new(const site *s);

/* The template a page is rendered with: "<kind>.html" (falling back to "page.html") for
 * regular pages, "section.html", "home.html", "taxonomy.html", "term.html", "404.html". */
const char *context_template_for(const site *s, const page *p);

/* A piece of HTML a helper wrote for a render, exactly as the template received it (a chart,
 * the structured data), with every link and id it holds (none for the structured data). */
typedef struct context_part {
    char *html;
    size_t len;
    chart_ids ids;
} context_part;
typedef struct context_parts {
    context_part *v;
    size_t n, cap;
    tpl_spans spans; /* where the output of each partial landed in the page (tpl_record_spans) */
} context_parts;
void context_parts_free(context_parts *c);

/* Renders p with its template into out (appended). Errors go to dl; returns false then.
 * With text_out (may be NULL), what the render read of p's file is handed out for the link
 * check: its front matter with the links of its Markdown fields, and its rendered body, whose
 * html is as the page holds it (md_polish_html applied; the items' lines still hold); caller
 * frees with page_text_free(). It is left zeroed when the file could not be read.
 * With parts_out (may be NULL; empty on entry), every chart and the structured data the
 * render wrote are handed out with their links and ids, and the places of the partials'
 * output in out (from where the render began to write), for the same purpose; free with
 * context_parts_free(). */
bool context_render_page(tpl_engine *e, const site *s, const page *p, buf_t *out,
                         diag_list *dl, page_text *text_out, context_parts *parts_out);

/* Appends the JSON text of the Lua value at idx: keys sorted, so output is deterministic;
 * '<', '>', '&', U+2028 and U+2029 written as \u escapes so the text is safe inside a
 * <script> element. Returns false (with a message in err) for values JSON cannot hold
 * (functions, NaN, nesting deeper than 64). */
bool context_json(lua_State *L, int idx, buf_t *out, const char **err);

#endif
