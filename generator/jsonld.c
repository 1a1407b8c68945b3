/* jsonld.c — schema.org JSON-LD for a page: article, breadcrumbs, FAQ. */
#include "jsonld.h"

#include <string.h>

#include "json.h"
#include "slug.h"
#include "util.h"

size_t jsonld_trail(const site *s, const page *p, const page **trail, size_t max)
{
    const page *chain[64];
    size_t n = 0, len = 0;
    const value *cats = p->type == PAGE_REGULAR ? value_get(p->front, "category") : NULL;
    if (cats && cats->kind == VAL_LIST && cats->n) {
        for (size_t i = cats->n; i-- > 0 && n < 63;) {
            const page *term = NULL;
            buf_t url = BUF_INIT, slug = BUF_INIT;
            slug_path(cats->items[i]->str, cats->items[i]->len, &slug);
            buf_printf(&url, "/categories/%s/", buf_cstr(&slug));
            term = site_find_page(s, url.ptr);
            if (term) chain[n++] = term;
            buf_free(&url);
            buf_free(&slug);
        }
    } else {
        for (const page *q = p->parent; q && q != s->home && n < 63; q = q->parent)
            chain[n++] = q;
    }
    if (max > len && p != s->home) trail[len++] = s->home;
    while (n > 0 && len < max) trail[len++] = chain[--n];
    if (len < max) trail[len++] = p;
    return len;
}

/* "key": — after a comma when first is false. */
static void key(buf_t *b, bool *first, const char *k)
{
    if (!*first) buf_putc(b, ',');
    *first = false;
    json_put_cstr(b, k);
    buf_putc(b, ':');
}

static void str_field(buf_t *b, bool *first, const char *k, const char *v)
{
    if (!v) return;
    key(b, first, k);
    json_put_cstr(b, v);
}

/* An absolute URL for a site path ("/tech/go/") or a page's own URL. */
static void put_abs_url(buf_t *b, const site *s, const char *path)
{
    buf_t u = BUF_INIT;
    if (str_starts_with(path, "http://") || str_starts_with(path, "https://")) buf_puts(&u, path);
    else buf_printf(&u, "%s%s", s->base_url, path[0] == '/' ? path + 1 : path);
    json_put_string(b, u.ptr, u.len);
    buf_free(&u);
}

static void url_field(buf_t *b, bool *first, const site *s, const char *k, const char *path)
{
    if (!path) return;
    key(b, first, k);
    put_abs_url(b, s, path);
}

/* {"@type": type, "name": …, "url": …} from a map with name and url (author, publisher). */
static void party(buf_t *b, const site *s, const char *type, const value *v)
{
    bool first = true;
    buf_putc(b, '{');
    str_field(b, &first, "@type", type);
    str_field(b, &first, "name", value_get_str(v, "name"));
    const char *url = value_get_str(v, "url");
    if (url) url_field(b, &first, s, "url", url);
    const char *logo = value_get_str(v, "logo");
    if (logo) {
        key(b, &first, "logo");
        buf_puts(b, "{\"@type\":\"ImageObject\",\"url\":");
        put_abs_url(b, s, logo);
        buf_putc(b, '}');
    }
    buf_putc(b, '}');
}

static void authors(buf_t *b, bool *first, const site *s, const page *p)
{
    const value *list = value_get(p->front, "authors");
    const value *site_author = value_get(s->config, "author");
    if (list && list->kind == VAL_LIST && list->n) {
        key(b, first, "author");
        buf_putc(b, '[');
        for (size_t i = 0; i < list->n; i++) {
            if (i) buf_putc(b, ',');
            buf_puts(b, "{\"@type\":\"Person\",\"name\":");
            json_put_string(b, list->items[i]->str, list->items[i]->len);
            buf_putc(b, '}');
        }
        buf_putc(b, ']');
    } else if (site_author && site_author->kind == VAL_MAP) {
        key(b, first, "author");
        party(b, s, "Person", site_author);
    }
}

static const char *page_schema_type(const page *p)
{
    if (p->type == PAGE_HOME) return "WebSite";
    if (p->type != PAGE_REGULAR) return "WebPage";
    if (strcmp(p->kind, "article") == 0) return "Article";
    if (strcmp(p->kind, "reference") == 0 || strcmp(p->kind, "guide") == 0 ||
        strcmp(p->kind, "skill") == 0)
        return "TechArticle";
    return "WebPage";
}

static void keywords(buf_t *b, bool *first, const page *p)
{
    const value *tags = value_get(p->front, "tags");
    if (!tags || tags->kind != VAL_LIST || !tags->n) return;
    buf_t k = BUF_INIT;
    for (size_t i = 0; i < tags->n; i++) {
        if (i) buf_puts(&k, ", ");
        buf_put(&k, tags->items[i]->str, tags->items[i]->len);
    }
    key(b, first, "keywords");
    json_put_string(b, k.ptr, k.len);
    buf_free(&k);
}

static void article(buf_t *b, const site *s, const page *p)
{
    bool first = true;
    const char *type = page_schema_type(p);
    bool is_article = strcmp(type, "Article") == 0 || strcmp(type, "TechArticle") == 0;
    buf_putc(b, '{');
    str_field(b, &first, "@type", type);
    url_field(b, &first, s, "@id", p->url);
    str_field(b, &first, is_article ? "headline" : "name", p->title);
    str_field(b, &first, "description", p->description);
    url_field(b, &first, s, "url", p->url);
    str_field(b, &first, "datePublished", p->date ? p->date : p->updated);
    str_field(b, &first, "dateModified", p->updated ? p->updated : p->date);
    str_field(b, &first, "inLanguage", s->language);
    if (is_article) {
        authors(b, &first, s, p);
        const value *pub = value_get(s->config, "publisher");
        if (pub && pub->kind == VAL_MAP) {
            key(b, &first, "publisher");
            party(b, s, "Organization", pub);
        }
        const char *image = value_get_str(p->front, "image");
        if (image) url_field(b, &first, s, "image", image);
        key(b, &first, "mainEntityOfPage");
        buf_puts(b, "{\"@type\":\"WebPage\",\"@id\":");
        put_abs_url(b, s, p->url);
        buf_putc(b, '}');
        keywords(b, &first, p);
    }
    buf_putc(b, '}');
}

static void breadcrumbs(buf_t *b, const site *s, const page *p)
{
    const page *trail[66];
    size_t n = jsonld_trail(s, p, trail, sizeof trail / sizeof *trail);
    buf_puts(b, "{\"@type\":\"BreadcrumbList\",\"itemListElement\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(b, ',');
        buf_printf(b, "{\"@type\":\"ListItem\",\"position\":%zu,\"name\":", i + 1);
        json_put_cstr(b, trail[i]->title);
        buf_puts(b, ",\"item\":");
        put_abs_url(b, s, trail[i]->url);
        buf_putc(b, '}');
    }
    buf_puts(b, "]}");
}

/* The FAQ answers are the same rendered HTML the page shows, so both always agree. */
static void faq(buf_t *b, const value *list)
{
    buf_puts(b, "{\"@type\":\"FAQPage\",\"mainEntity\":[");
    bool first = true;
    for (size_t i = 0; i < list->n; i++) {
        const char *q = value_get_str(list->items[i], "q");
        const value *a = value_get(list->items[i], "a");
        if (!q || !a) continue;
        if (!first) buf_putc(b, ',');
        first = false;
        buf_puts(b, "{\"@type\":\"Question\",\"name\":");
        json_put_cstr(b, q);
        buf_puts(b, ",\"acceptedAnswer\":{\"@type\":\"Answer\",\"text\":");
        json_put_cstr(b, a->html ? a->html : a->str);
        buf_puts(b, "}}");
    }
    buf_puts(b, "]}");
}

void jsonld_page(const site *s, const page *p, const value *front, buf_t *out)
{
    buf_puts(out, "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\","
                  "\"@graph\":[");
    article(out, s, p);
    buf_putc(out, ',');
    breadcrumbs(out, s, p);
    const value *list = value_get(front, "faq");
    if (list && list->kind == VAL_LIST && list->n) {
        buf_putc(out, ',');
        faq(out, list);
    }
    buf_puts(out, "]}</script>");
}
