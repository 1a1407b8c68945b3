/* sitecheck.c — the link check of a build, with findings mapped back to their sources. */
#include "sitecheck.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "strmap.h"
#include "util.h"

struct sitecheck {
    const site *s;
    const lc_options *opt;
    lc_page **pages;        /* by page index; NULL until rendered */
    lc_page **redirects;
    size_t nredirects, capredirects;
    strmap *by_out;         /* output path -> page (pages and their redirects) */
    strmap *seen;           /* "page\nhref" -> findings so far + 1, while checking */
    md_result **bodies;     /* by page index: rendered again for pages with findings */
};

sitecheck *sitecheck_new(const site *s, const lc_options *opt)
{
    sitecheck *c = xcalloc(1, sizeof *c);
    c->s = s;
    c->opt = opt;
    c->pages = xcalloc(s->npages + 1, sizeof *c->pages);
    c->bodies = xcalloc(s->npages + 1, sizeof *c->bodies);
    c->by_out = strmap_new();
    for (size_t i = 0; i < s->npages; i++) strmap_put(c->by_out, s->pages[i]->out, s->pages[i]);
    lc_global_init();
    return c;
}

void sitecheck_free(sitecheck *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->s->npages; i++) {
        lc_page_free(c->pages[i]);
        md_result_free(c->bodies[i]);
        free(c->bodies[i]);
    }
    free(c->bodies);
    for (size_t i = 0; i < c->nredirects; i++) lc_page_free(c->redirects[i]);
    free(c->pages);
    free(c->redirects);
    strmap_free(c->by_out);
    free(c);
}

void sitecheck_page(sitecheck *c, const page *p, const char *html, size_t len)
{
    c->pages[p->index] = lc_page_parse(html, len, p->out);
}

void sitecheck_redirect(sitecheck *c, const page *p, const char *rel, const char *html,
                        size_t len)
{
    xgrow(&c->redirects, &c->capredirects, c->nredirects + 1, sizeof *c->redirects);
    c->redirects[c->nredirects++] = lc_page_parse(html, len, rel);
    strmap_put(c->by_out, rel, (void *)p);
}

/* ------------------------------------------------------------------ finding the source */

/* Whether href (as the page has it) is the Markdown destination dest: the same, or dest with
 * the base path in front, or the same once percent-decoded (cmark encodes spaces and such). */
static bool same_link(const char *href, const char *dest, const char *base_path)
{
    if (strcmp(href, dest) == 0) return true;
    size_t bp = strlen(base_path);
    while (bp > 0 && base_path[bp - 1] == '/') bp--;
    if (dest[0] == '/' && bp && strncmp(href, base_path, bp) == 0 && strcmp(href + bp, dest) == 0)
        return true;
    buf_t dec = BUF_INIT;
    bool same = lc_percent_decode(href, strlen(href), &dec) && strcmp(buf_cstr(&dec), dest) == 0;
    buf_free(&dec);
    return same;
}

/* The nth (from 0) Markdown link of p to href, front matter first (its fields come before the
 * body on every page), or the last one when there are fewer. */
/* The Markdown body of p, rendered again the first time a finding needs its links or its
 * headings (bodies are not kept from the build). */
static const md_result *body_of(sitecheck *c, const page *p)
{
    if (!c->bodies[p->index]) {
        diag_list ignored = DIAG_LIST_INIT; /* the render of the build reported it already */
        c->bodies[p->index] = xcalloc(1, sizeof(md_result));
        site_render_body(c->s, p, c->bodies[p->index], &ignored);
        diag_list_free(&ignored);
    }
    return c->bodies[p->index];
}

static const md_link *find_md_link(sitecheck *c, const page *p, const char *href, size_t nth)
{
    const char *base_path = c->s->base_path;
    const md_result *body = body_of(c, p);
    const md_link *found = NULL;
    for (size_t i = 0; i < p->nfm_links; i++)
        if (same_link(href, p->fm_links[i].dest, base_path) && (found = &p->fm_links[i]) &&
            nth-- == 0)
            return found;
    for (size_t i = 0; i < body->nlinks; i++)
        if (same_link(href, body->links[i].dest, base_path) && (found = &body->links[i]) &&
            nth-- == 0)
            return found;
    return found;
}

/* How many findings about href on page came before this one: the checker reports a page's
 * links in document order, so the nth finding is the nth time the link was written. */
static size_t finding_rank(sitecheck *c, const char *page_path, const char *href)
{
    buf_t key = BUF_INIT;
    buf_printf(&key, "%s\n%s", page_path, href);
    size_t n = (size_t)(uintptr_t)strmap_get(c->seen, key.ptr);
    strmap_put(c->seen, key.ptr, (void *)(uintptr_t)(n + 1));
    buf_free(&key);
    return n;
}

static const md_heading *find_heading(sitecheck *c, const page *p, const char *id)
{
    const md_result *body = body_of(c, p);
    for (size_t i = 0; i < body->ntoc; i++)
        if (strcmp(body->toc[i].id, id) == 0) return &body->toc[i];
    return NULL;
}

/* Names the template that wrote the link, and the page in the note. */
static void from_template(const sitecheck *c, const page *p, const char **file, int *line,
                          buf_t *note)
{
    const site_template *t = site_find_template(c->s, context_template_for(c->s, p));
    if (t) *file = t->path;
    *line = 0;
    buf_printf(note, "on %s", p->url);
}

static void locate(void *ud, const lc_link *l, const char **file, int *line, int *col,
                   buf_t *note)
{
    sitecheck *c = ud;
    const page *p = strmap_get(c->by_out, l->page);
    if (!p) return;
    if (strcmp(p->out, l->page) != 0) { /* a redirect page written for an alias */
        const value_entry *e = value_get_entry(p->front, "aliases");
        *file = p->src;
        *line = e ? e->line : 0;
        *col = e ? e->col : 0;
        return;
    }
    if (!*l->element) { /* the page itself (an orphan) */
        if (p->src) *file = p->src, *line = 0;
        return;
    }
    if (strcmp(l->attr, "id") == 0) {
        const md_heading *h = p->src ? find_heading(c, p, l->href) : NULL;
        if (h) *file = p->src, *line = h->line, *col = 1;
        else from_template(c, p, file, line, note);
        return;
    }
    const md_link *m =
        p->src ? find_md_link(c, p, l->href, finding_rank(c, l->page, l->href)) : NULL;
    if (m) *file = p->src, *line = m->line, *col = m->col;
    else from_template(c, p, file, line, note);
}

void sitecheck_run(sitecheck *c, const char *const *files, size_t nfiles,
                   const ext_options *ext, diag_list *dl, lc_stats *stats, ext_stats *ext_st)
{
    lc_site *ls = lc_site_new();
    strmap *parsed = strmap_new();
    for (size_t i = 0; i < c->s->npages; i++) {
        if (!c->pages[i]) continue;
        strmap_put(parsed, lc_page_path(c->pages[i]), c);
        lc_site_add_page(ls, c->pages[i]);
        c->pages[i] = NULL;
    }
    for (size_t i = 0; i < c->nredirects; i++) {
        strmap_put(parsed, lc_page_path(c->redirects[i]), c);
        lc_site_add_page(ls, c->redirects[i]);
    }
    c->nredirects = 0;
    for (size_t i = 0; i < nfiles; i++)
        if (!strmap_get(parsed, files[i])) lc_site_add_file(ls, files[i]);
    c->seen = strmap_new();
    lc_site_check(ls, c->opt, locate, c, dl, stats);
    if (ext) ext_check_site(ls, c->opt, ext, locate, c, dl, ext_st);
    strmap_free(c->seen);
    c->seen = NULL;
    strmap_free(parsed);
    lc_site_free(ls);
}
