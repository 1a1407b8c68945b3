/* publish.c — sitemap.xml, the Atom feed and robots.txt. */
#include "publish.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static void put_xml(buf_t *b, const char *s)
{
    buf_put_html_escaped(b, s, strlen(s));
}

/* An absolute URL of a site path. */
static void put_url(buf_t *b, const site *s, const char *path)
{
    put_xml(b, s->base_url);
    put_xml(b, path[0] == '/' ? path + 1 : path);
}

/* Every page but the 404 page, drafts and pagers after the first (as Hugo does). */
static bool in_sitemap(const page *p)
{
    return p->type != PAGE_404 && !p->draft && !p->pager_of;
}

void publish_sitemap(const site *s, buf_t *out)
{
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (size_t i = 0; i < s->npages; i++) {
        const page *p = s->pages[i];
        if (!in_sitemap(p)) continue;
        buf_puts(out, "  <url><loc>");
        put_url(out, s, p->url);
        buf_puts(out, "</loc>");
        const char *mod = p->updated ? p->updated : p->date;
        if (mod) {
            buf_puts(out, "<lastmod>");
            put_xml(out, mod);
            buf_puts(out, "</lastmod>");
        }
        buf_puts(out, "</url>\n");
    }
    buf_puts(out, "</urlset>\n");
}

/* Newest first by date, then by URL, so the feed never depends on load order. */
static int newest_first(const void *a, const void *b)
{
    const page *x = *(page *const *)a, *y = *(page *const *)b;
    int c = strcmp(y->date, x->date);
    return c ? c : strcmp(x->url, y->url);
}

/* RFC 3339 for Atom: a bare date becomes midnight UTC. */
static void put_time(buf_t *b, const char *d)
{
    put_xml(b, d);
    if (strlen(d) == 10) buf_puts(b, "T00:00:00Z");
}

static void feed_entry(const site *s, const page *p, buf_t *out)
{
    buf_puts(out, "  <entry>\n    <title>");
    put_xml(out, p->title);
    buf_puts(out, "</title>\n    <link href=\"");
    put_url(out, s, p->url);
    buf_puts(out, "\"/>\n    <id>");
    put_url(out, s, p->url);
    buf_puts(out, "</id>\n    <published>");
    put_time(out, p->date);
    buf_puts(out, "</published>\n    <updated>");
    put_time(out, p->updated ? p->updated : p->date);
    buf_puts(out, "</updated>\n");
    const value *authors = value_get(p->front, "authors");
    for (size_t i = 0; authors && authors->kind == VAL_LIST && i < authors->n; i++) {
        buf_puts(out, "    <author><name>");
        put_xml(out, authors->items[i]->str);
        buf_puts(out, "</name></author>\n");
    }
    if (p->description) {
        buf_puts(out, "    <summary>");
        put_xml(out, p->description);
        buf_puts(out, "</summary>\n");
    }
    buf_puts(out, "  </entry>\n");
}

void publish_feed(const site *s, buf_t *out)
{
    const page **dated = xcalloc(s->npages + 1, sizeof *dated);
    size_t n = 0;
    for (size_t i = 0; i < s->npages; i++)
        if (s->pages[i]->type == PAGE_REGULAR && s->pages[i]->date && !s->pages[i]->draft)
            dated[n++] = s->pages[i];
    xsort(dated, n, sizeof *dated, newest_first);
    if (n > PUBLISH_FEED_ENTRIES) n = PUBLISH_FEED_ENTRIES;
    const char *newest = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *u = dated[i]->updated ? dated[i]->updated : dated[i]->date;
        if (!newest || strcmp(u, newest) > 0) newest = u;
    }
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                  "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <title>");
    put_xml(out, s->title);
    buf_puts(out, "</title>\n  <link href=\"");
    put_url(out, s, "/");
    buf_puts(out, "\"/>\n  <link rel=\"self\" href=\"");
    put_url(out, s, "/feed.xml");
    buf_puts(out, "\"/>\n  <id>");
    put_url(out, s, "/");
    buf_puts(out, "</id>\n  <updated>");
    put_time(out, newest ? newest : "1970-01-01");
    buf_puts(out, "</updated>\n");
    const char *author = value_get_str(value_get(s->config, "author"), "name");
    if (author) {
        buf_puts(out, "  <author><name>");
        put_xml(out, author);
        buf_puts(out, "</name></author>\n");
    }
    for (size_t i = 0; i < n; i++) feed_entry(s, dated[i], out);
    buf_puts(out, "</feed>\n");
    free(dated);
}

void publish_robots(const site *s, buf_t *out)
{
    buf_puts(out, "User-agent: *\nAllow: /\n\nSitemap: ");
    buf_puts(out, s->base_url);
    buf_puts(out, "sitemap.xml\n");
}
