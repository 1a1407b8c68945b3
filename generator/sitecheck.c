/* sitecheck.c — the link check of a build, with findings mapped back to their sources. */
#define _GNU_SOURCE /* memmem */
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
};

sitecheck *sitecheck_new(const site *s, const lc_options *opt)
{
    sitecheck *c = xcalloc(1, sizeof *c);
    c->s = s;
    c->opt = opt;
    c->pages = xcalloc(s->npages + 1, sizeof *c->pages);
    c->by_out = strmap_new();
    for (size_t i = 0; i < s->npages; i++) strmap_put(c->by_out, s->pages[i]->out, s->pages[i]);
    lc_global_init();
    return c;
}

void sitecheck_free(sitecheck *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->s->npages; i++) lc_page_free(c->pages[i]);
    for (size_t i = 0; i < c->nredirects; i++) lc_page_free(c->redirects[i]);
    free(c->pages);
    free(c->redirects);
    strmap_free(c->by_out);
    free(c);
}

/* ------------------------------------------------------------------ finding the source */

/* The Markdown links of one page (front matter fields first: they come before the body on
 * every page), indexed by destination, while its HTML is parsed. */
typedef struct source_map {
    const page_text *text;
    const md_result *body;
    const char *base_path;
    size_t base_len;  /* of base_path without its trailing '/' ("" for "/") */
    size_t nfm, n;
    strmap *by_dest;  /* destination -> index + 1 of its first link */
    size_t *next;     /* index -> index + 1 of the next link with the same destination, or 0 */
    strmap *seen;     /* href -> how many times the page has linked to it so far */
    buf_t key;
} source_map;

static const md_link *map_link(const source_map *m, size_t i)
{
    return i < m->nfm ? &m->text->fm_links[i] : &m->body->links[i - m->nfm];
}

/* The first link at or after index from whose destination is key, as index + 1; 0: none. */
static size_t chain_from(const source_map *m, const char *key, size_t from)
{
    size_t i = key ? (size_t)(uintptr_t)strmap_get(m->by_dest, key) : 0;
    while (i && i - 1 < from) i = m->next[i - 1];
    return i;
}

/* The keys a Markdown link to href can be filed under: href itself, href without the base
 * path in front, href percent-decoded (cmark encodes spaces and such); NULL where one is the
 * same as href. Returns whether any Markdown link of the page has one of them. */
static bool link_keys(source_map *m, const char *href, const char *keys[3])
{
    size_t bp = m->base_len;
    keys[0] = href;
    keys[1] = keys[2] = NULL;
    if (bp && strncmp(href, m->base_path, bp) == 0 && href[bp] == '/') keys[1] = href + bp;
    buf_clear(&m->key);
    if (lc_percent_decode(href, strlen(href), &m->key) && strcmp(buf_cstr(&m->key), href) != 0)
        keys[2] = m->key.ptr;
    for (int k = 0; k < 3; k++)
        if (keys[k] && strmap_get(m->by_dest, keys[k])) return true;
    return false;
}

/* The nth (from 0) Markdown link filed under one of keys, or the last such link when there
 * are fewer; NULL when there is none. */
static const md_link *nth_link(const source_map *m, const char *const keys[3], size_t nth)
{
    const md_link *found = NULL;
    for (size_t from = 0;;) { /* the three chains merged in index order */
        size_t best = 0;
        for (int k = 0; k < 3; k++) {
            size_t i = chain_from(m, keys[k], from);
            if (i && (!best || i < best)) best = i;
        }
        if (!best) return found;
        found = map_link(m, best - 1);
        if (nth-- == 0) return found;
        from = best;
    }
}

static const md_heading *heading_with_id(const md_result *body, const char *id)
{
    for (size_t i = 0; i < body->ntoc; i++)
        if (strcmp(body->toc[i].id, id) == 0) return &body->toc[i];
    return NULL;
}

static bool map_source(void *ud, bool is_id, const char *str, int *line, int *col)
{
    source_map *m = ud;
    if (is_id) {
        const md_heading *h = heading_with_id(m->body, str);
        if (h) *line = h->line, *col = 1;
        return h != NULL;
    }
    const char *keys[3];
    if (!link_keys(m, str, keys)) return false; /* the template's link, not the Markdown's */
    size_t seen = (size_t)(uintptr_t)strmap_get(m->seen, str);
    strmap_put(m->seen, str, (void *)(uintptr_t)(seen + 1));
    const md_link *l = nth_link(m, keys, seen);
    if (l) *line = l->line, *col = l->col;
    return l != NULL;
}

/* Gives each link of the parsed page the place its Markdown wrote it: the nth link to a URL in
 * the HTML is the nth one in the Markdown. Links no Markdown wrote came from the template. */
static void map_sources(const sitecheck *c, const page_text *text, lc_page *lp)
{
    source_map m = {text, &text->body, c->s->base_path, strlen(c->s->base_path),
                    text->nfm_links, 0, NULL, NULL, NULL, BUF_INIT};
    while (m.base_len > 0 && m.base_path[m.base_len - 1] == '/') m.base_len--;
    m.n = m.nfm + m.body->nlinks;
    m.by_dest = strmap_new();
    m.seen = strmap_new();
    m.next = xcalloc(m.n + 1, sizeof *m.next);
    for (size_t i = m.n; i-- > 0;) { /* backwards, so each chain runs in document order */
        void *first = strmap_put(m.by_dest, map_link(&m, i)->dest, (void *)(uintptr_t)(i + 1));
        m.next[i] = (size_t)(uintptr_t)first;
    }
    lc_page_map_sources(lp, map_source, &m);
    free(m.next);
    strmap_free(m.by_dest);
    strmap_free(m.seen);
    buf_free(&m.key);
}

typedef struct part_list {
    lc_part *v;
    size_t n, cap;
    lc_part_item *items; /* every part's, one array */
    size_t nitems, capitems;
} part_list;

/* Adds a part at off of len bytes whose items are the last k added. */
static void part_add(part_list *ps, size_t off, size_t len, size_t k)
{
    xgrow(&ps->v, &ps->cap, ps->n + 1, sizeof *ps->v);
    ps->v[ps->n++] = (lc_part){off, len, NULL, k};
}

static lc_part_item *item_add(part_list *ps)
{
    xgrow(&ps->items, &ps->capitems, ps->nitems + 1, sizeof *ps->items);
    return &ps->items[ps->nitems++];
}

/* In page order; of two at one place, the longer first, so that it is the one kept. */
static int part_cmp(const void *a, const void *b)
{
    const lc_part *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->len > y->len ? -1 : x->len < y->len;
}

/* The first frag[0..n) in hay[0..len), or NULL. Pieces start with '<', the commonest byte of a
 * page, so rather than mem_find's memchr this looks for their first bytes with glibc's memmem
 * (which skips ahead on pairs of bytes for a short needle), then compares the rest. */
static const char *find_in(const char *hay, size_t len, const char *frag, size_t n)
{
    size_t k = n < 64 ? n : 64;
    for (const char *at, *end = hay + len; (size_t)(end - hay) >= n; hay = at + 1) {
        at = memmem(hay, (size_t)(end - hay) - (n - k), frag, k);
        if (!at || memcmp(at + k, frag + k, n - k) == 0) return at;
    }
    return NULL;
}

/* Where html holds frag[0..n): the first place at or after *from, else the first anywhere
 * (a template may write pieces out of their order); NULL when nowhere. *from moves past it. */
static const char *find_piece(const char *html, size_t len, size_t *from, const char *frag,
                              size_t n)
{
    if (n == 0) return NULL;
    const char *at = find_in(html + *from, len - *from, frag, n);
    if (!at && *from) /* then before it, never the same bytes twice */
        at = find_in(html, *from + n - 1 < len ? *from + n - 1 : len, frag, n);
    if (at) *from = (size_t)(at - html) + n;
    return at;
}

/* Rendered Markdown (the body or a field) as a part, where html holds it. */
static void md_part(part_list *ps, const char *html, size_t len, size_t *from, const char *frag,
                    size_t n, const md_item *items, size_t nitems)
{
    static const char *const tags[] = {"h1", "h2", "h3", "h4", "h5", "h6"};
    const char *at = find_piece(html, len, from, frag, n);
    if (!at) return;
    for (size_t i = 0; i < nitems; i++) {
        const md_item *m = &items[i];
        *item_add(ps) = (lc_part_item){
            m->kind == MD_ITEM_LINK ? LC_PART_LINK
            : m->kind == MD_ITEM_IMAGE ? LC_PART_IMAGE : LC_PART_ID,
            m->str, tags[(m->level >= 1 && m->level <= 6 ? m->level : 1) - 1], m->line};
    }
    part_add(ps, (size_t)(at - html), n, nitems);
}

/* Whether a part of ps lies inside [off, off + len). */
static bool holds_part(const part_list *ps, size_t off, size_t len)
{
    for (size_t i = 0; i < ps->n; i++)
        if (ps->v[i].off >= off && ps->v[i].off - off + ps->v[i].len <= len) return true;
    return false;
}

/* The partials' output that pieces knows how to read, as parts: none holding a part already
 * known, whose HTML libxml2 would otherwise read with the piece. */
static void piece_parts(part_list *ps, const char *html, size_t len, const tpl_spans *spans,
                        lc_piece_cache *pieces)
{
    lc_part *in = xmalloc((spans->n ? spans->n : 1) * sizeof *in);
    size_t n = 0;
    for (size_t i = 0; i < spans->n; i++) {
        const tpl_span *sp = &spans->v[i];
        if (!holds_part(ps, sp->off, sp->len)) in[n++] = (lc_part){sp->off, sp->len, NULL, 0};
    }
    xgrow(&ps->v, &ps->cap, ps->n + n, sizeof *ps->v);
    ps->n += lc_piece_parts(pieces, html, len, in, n, ps->v + ps->n);
    free(in);
}

lc_page *sitecheck_parse(const char *path, const char *html, size_t len, const page_text *text,
                         const context_parts *parts, lc_piece_cache *pieces)
{
    part_list ps = {0};
    size_t from = 0;
    if (text && text->body.items_known)
        md_part(&ps, html, len, &from, text->body.html, text->body.html_len, text->body.items,
                text->body.nitems);
    from = 0; /* the fields, in the order the template wrote them, if it kept their order */
    for (size_t i = 0; text && i < text->nfields; i++) {
        const page_field *f = &text->fields[i];
        md_part(&ps, html, len, &from, f->html, f->len, f->items, f->nitems);
    }
    from = 0;
    for (size_t i = 0; parts && i < parts->n; i++) {
        const context_part *part = &parts->v[i];
        const char *at = find_piece(html, len, &from, part->html, part->len);
        if (!at) continue;
        for (size_t k = 0; k < part->ids.n; k++) {
            const chart_id *id = &part->ids.v[k];
            *item_add(&ps) = (lc_part_item){id->link ? LC_PART_LINK : LC_PART_ID, id->str,
                                            id->tag, id->line};
        }
        part_add(&ps, (size_t)(at - html), part->len, part->ids.n);
    }
    for (size_t i = 0, first = 0; i < ps.n; i++) { /* items are all added: point at them */
        ps.v[i].items = ps.items + first;
        first += ps.v[i].nitems;
    }
    if (parts && pieces) piece_parts(&ps, html, len, &parts->spans, pieces);
    xsort(ps.v, ps.n, sizeof *ps.v, part_cmp);
    size_t n = 0;
    for (size_t i = 0; i < ps.n; i++) /* a part found inside another (same HTML) goes */
        if (n == 0 || ps.v[i].off >= ps.v[n - 1].off + ps.v[n - 1].len) ps.v[n++] = ps.v[i];
    lc_page *lp = lc_page_parse_parts(html, len, path, ps.v, n);
    free(ps.v);
    free(ps.items);
    return lp;
}

void sitecheck_page(sitecheck *c, const page *p, const char *html, size_t len,
                    const page_text *text, const context_parts *parts, lc_piece_cache *pieces)
{
    lc_page *lp = sitecheck_parse(p->out, html, len, text, parts, pieces);
    if (p->src) map_sources(c, text, lp);
    c->pages[p->index] = lp;
}

void sitecheck_redirect(sitecheck *c, const page *p, const char *rel, const char *html,
                        size_t len)
{
    xgrow(&c->redirects, &c->capredirects, c->nredirects + 1, sizeof *c->redirects);
    c->redirects[c->nredirects++] = lc_page_parse(html, len, rel);
    strmap_put(c->by_out, rel, (void *)p);
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
    if (l->src_line) *file = p->src, *line = l->src_line, *col = l->src_col;
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
    lc_site_check(ls, c->opt, locate, c, dl, stats);
    if (ext) ext_check_site(ls, c->opt, ext, locate, c, dl, ext_st);
    strmap_free(parsed);
    lc_site_free(ls);
}
