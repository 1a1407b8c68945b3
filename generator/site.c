/* site.c — loads a site: configuration, theme and schema, templates, assets, and every page
 * of content/ with its URL, section, taxonomy terms, related pages and aliases. */
#include "site.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "embed.h"
#include "frontmatter.h"
#include "fsutil.h"
#include "slug.h"
#include "util.h"

#define MAX_FILE_BYTES ((size_t)16 << 20)
#define WHOLE_FRONT_BYTES ((size_t)32 << 20) /* see keep_front */

/* ------------------------------------------------------------------ pages and files */

static page *page_new(site *s, page_type type)
{
    page *p = xcalloc(1, sizeof *p);
    p->type = type;
    p->index = s->npages;
    xgrow(&s->pages, &s->cappages, s->npages + 1, sizeof *s->pages);
    s->pages[s->npages++] = p;
    return p;
}

static void page_free(page *p)
{
    if (!p) return;
    if (p->pager_of) { /* the rest is the first pager's */
        free(p->url);
        free(p->out);
        free(p);
        return;
    }
    free(p->src);
    free(p->dir);
    free(p->slug);
    free(p->url);
    free(p->out);
    value_doc_free(p->doc);
    value_doc_free(p->whole);
    free(p->children);
    free(p->related);
    free(p->term);
    free(p->own_title);
    for (size_t i = 0; i < p->naliases; i++)
        free(p->aliases[i]);
    free(p->aliases);
    free(p);
}

static void page_add_child(page *parent, page *child)
{
    xgrow(&parent->children, &parent->capchildren, parent->nchildren + 1, sizeof *parent->children);
    parent->children[parent->nchildren++] = child;
}

/* Reads a file of the site, or the embedded default at the same path. *shown is the path to
 * print in messages. The caller frees the returned text. */
static char *read_layered(const site *s, const char *rel, size_t *len)
{
    char *path = fs_join(s->root, rel);
    char *text = fs_read(path, MAX_FILE_BYTES, len);
    free(path);
    if (text) return text;
    const char *data;
    if (embed_find(rel, &data, len)) return xstrndup(data, *len);
    return NULL;
}

/* ------------------------------------------------------------------ configuration */

static value_doc *load_yaml(const site *s, const char *rel, bool optional, diag_list *dl)
{
    size_t len;
    char *text = read_layered(s, rel, &len);
    if (!text) {
        if (!optional) diag_add(dl, DIAG_ERROR, rel, 0, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    size_t bad;
    value_doc *doc = NULL;
    if (!utf8_valid(text, len, &bad)) {
        int line, col;
        text_position(text, bad, &line, &col);
        diag_add(dl, DIAG_ERROR, rel, line, col, "invalid UTF-8 (byte 0x%02x)",
                 (unsigned char)text[bad]);
    } else {
        doc = value_parse_yaml(text, len, rel, 1, 0, dl);
    }
    free(text);
    return doc;
}

static void set_base_url(site *s, const char *url)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, url && *url ? url : "/");
    if (b.ptr[b.len - 1] != '/') buf_putc(&b, '/');
    s->base_url = buf_detach(&b);
    const char *path = s->base_url;
    const char *scheme = strstr(path, "://");
    if (scheme) {
        path = strchr(scheme + 3, '/');
        if (!path) path = "/";
    }
    s->base_path = xstrdup(path);
}

static bool check_base_url(const char *url, const char *file, const value *node, diag_list *dl)
{
    if (!url || url[0] == '/' || str_starts_with(url, "http://") ||
        str_starts_with(url, "https://"))
        return true;
    diag_add(dl, DIAG_ERROR, file, node ? node->line : 0, node ? node->col : 0,
             "base_url: expected an http(s) URL or a path starting with '/', got \"%s\"", url);
    return false;
}

static const value *config_get(const site *s, const char *a, const char *b)
{
    const value *v = value_get(s->config, a);
    return b ? value_get(v, b) : v;
}

/* Reads site.yaml and the theme (with its schema), and checks one against the other. */
static bool load_config(site *s, const site_options *opt, diag_list *dl)
{
    s->config_doc = load_yaml(s, "site.yaml", true, dl);
    if (dl->errors) return false;
    s->config = s->config_doc ? value_doc_root(s->config_doc) : NULL;
    if (s->config && s->config->kind == VAL_NULL) s->config = NULL;
    if (s->config && s->config->kind != VAL_MAP) {
        diag_add(dl, DIAG_ERROR, "site.yaml", s->config->line, s->config->col,
                 "expected a map of settings, got %s", value_kind_name(s->config->kind));
        return false;
    }
    const char *theme = value_get_str(s->config, "theme");
    if (!theme) theme = "default";
    char *theme_file = xasprintf("themes/%s/theme.yaml", theme);
    s->theme_doc = load_yaml(s, theme_file, false, dl);
    value *decl = s->theme_doc ? value_get(value_doc_root(s->theme_doc), "schema") : NULL;
    value *config_decl = s->theme_doc ? value_get(value_doc_root(s->theme_doc), "config") : NULL;
    if (s->theme_doc && (!decl || !config_decl))
        diag_add(dl, DIAG_ERROR, theme_file, 1, 1, "theme declares no \"schema\" or \"config\"");
    if (decl) s->schema = schema_new(decl, theme_file, dl);
    schema *cs = config_decl ? schema_new(config_decl, theme_file, dl) : NULL;
    if (cs && s->config) schema_check(cs, "site", s->config, "site.yaml", NULL, NULL, dl);
    schema_free(cs);
    free(theme_file);
    if (!s->schema) return false;

    s->title = value_get_str(s->config, "title");
    if (!s->title) s->title = "Untitled site";
    s->language = value_get_str(s->config, "language");
    if (!s->language) s->language = "en";
    const char *base = opt->base_url ? opt->base_url : value_get_str(s->config, "base_url");
    if (!check_base_url(base, opt->base_url ? "--base-url" : "site.yaml",
                        opt->base_url ? NULL : value_get(s->config, "base_url"), dl))
        return false;
    set_base_url(s, base);
    if (dl->errors) return false;
    const value *unsafe = config_get(s, "markdown", "unsafe");
    s->unsafe_markdown = unsafe && unsafe->kind == VAL_BOOL && unsafe->b;
    const value *mem = config_get(s, "limits", "template_memory_mb");
    const value *ins = config_get(s, "limits", "template_instructions");
    const value *per = value_get(s->config, "paginate");
    s->paginate = per && per->kind == VAL_INT ? (per->i > 0 ? (size_t)per->i : 0) : 50;
    s->template_memory = mem && mem->i > 0 ? (size_t)mem->i << 20 : 0;
    s->template_instructions = ins && ins->i > 0 ? (unsigned long)ins->i : 0;
    return true;
}

/* ------------------------------------------------------------------ templates and assets */

/* Adds a file to copy to the output at rel, from the site file src (relative to the site
 * root) or from embedded data. The first layer to add a path wins. */
static void add_asset(site *s, const char *rel, const char *src, const char *data, size_t size)
{
    if (strmap_get(s->asset_by_rel, rel)) return;
    xgrow(&s->assets, &s->capassets, s->nassets + 1, sizeof *s->assets);
    site_asset *a = &s->assets[s->nassets++];
    *a = (site_asset){0};
    a->rel = xstrdup(rel);
    a->src = src ? fs_join(s->root, src) : NULL;
    a->data = data;
    a->size = size;
    strmap_put(s->asset_by_rel, rel, (void *)(uintptr_t)s->nassets); /* index + 1 */
}

static void add_template(site *s, const char *name, const char *path, char *text, size_t len)
{
    for (size_t i = 0; i < s->ntemplates; i++)
        if (strcmp(s->templates[i].name, name) == 0) {
            free(text); /* an earlier layer overrides this one */
            return;
        }
    s->templates = xrealloc(s->templates, (s->ntemplates + 1) * sizeof *s->templates);
    s->templates[s->ntemplates++] = (site_template){xstrdup(name), xstrdup(path), text, len};
}

/* Adds every file under the site folder rel_dir (recursively), as templates or assets. */
static void scan_files(site *s, const char *rel_dir, const char *prefix, bool templates,
                       diag_list *dl)
{
    char *dir = fs_join(s->root, rel_dir);
    fs_entry *e;
    size_t n;
    if (fs_list(dir, &e, &n) != 0) {
        free(dir);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char *rel = fs_join(rel_dir, e[i].name);
        char *name = *prefix ? fs_join(prefix, e[i].name) : xstrdup(e[i].name);
        if (e[i].symlink) {
            diag_add(dl, DIAG_WARNING, rel, 0, 0, "symbolic link not followed");
        } else if (e[i].type == FS_DIR) {
            scan_files(s, rel, name, templates, dl);
        } else if (e[i].type == FS_FILE && templates) {
            size_t len;
            char *path = fs_join(s->root, rel);
            char *text = fs_read(path, MAX_FILE_BYTES, &len);
            free(path);
            if (text)
                add_template(s, name, rel, text, len);
            else
                diag_add(dl, DIAG_ERROR, rel, 0, 0, "cannot read: %s", strerror(errno));
        } else if (e[i].type == FS_FILE) {
            add_asset(s, name, rel, NULL, 0);
        }
        free(name);
        free(rel);
    }
    fs_entries_free(e, n);
    free(dir);
}

typedef struct embed_ctx {
    site *s;
    size_t strip;
    bool templates;
} embed_ctx;

static void add_embedded(void *ud, const char *path, const char *data, size_t size)
{
    embed_ctx *c = ud;
    const char *name = path + c->strip;
    if (c->templates) {
        add_template(c->s, name, path, xstrndup(data, size), size);
    } else {
        add_asset(c->s, name, NULL, data, size);
    }
}

static int template_cmp(const void *a, const void *b)
{
    return strcmp(((const site_template *)a)->name, ((const site_template *)b)->name);
}

/* Templates: site templates/, then themes/<theme>/templates/, then the embedded defaults.
 * Assets: site assets/, then themes/<theme>/static/, then the embedded theme's static/. */
static void load_layers(site *s, diag_list *dl)
{
    const char *theme = value_get_str(s->config, "theme");
    if (!theme) theme = "default";
    char *theme_templates = xasprintf("themes/%s/templates", theme);
    char *theme_static = xasprintf("themes/%s/static", theme);
    scan_files(s, "templates", "", true, dl);
    scan_files(s, theme_templates, "", true, dl);
    embed_each("templates/", add_embedded, &(embed_ctx){s, strlen("templates/"), true});
    xsort(s->templates, s->ntemplates, sizeof *s->templates, template_cmp);
    scan_files(s, "assets", "", false, dl);
    scan_files(s, theme_static, "", false, dl);
    embed_each("themes/default/static/", add_embedded,
               &(embed_ctx){s, strlen("themes/default/static/"), false});
    free(theme_templates);
    free(theme_static);
}

/* ------------------------------------------------------------------ reading pages */

typedef struct loader {
    site *s;
    const site_options *opt;
    diag_list *dl;
} loader;

/* Checks a file's bytes: UTF-8, not empty, no NUL. false (with an error) otherwise. */
static bool text_ok(loader *ld, const page *p, const char *text, size_t len)
{
    size_t bad;
    int line, col;
    if (!utf8_valid(text, len, &bad)) {
        text_position(text, bad, &line, &col);
        diag_add(ld->dl, DIAG_ERROR, p->src, line, col, "invalid UTF-8 (byte 0x%02x)",
                 (unsigned char)text[bad]);
        return false;
    }
    size_t blank = 0;
    while (blank < len && (text[blank] == ' ' || text[blank] == '\t' || text[blank] == '\r' ||
                           text[blank] == '\n'))
        blank++;
    if (blank == len) {
        diag_add(ld->dl, DIAG_ERROR, p->src, 1, 1, "file is empty (a page needs at least a title)");
        return false;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        text_position(text, (size_t)(nul - text), &line, &col);
        diag_add(ld->dl, DIAG_ERROR, p->src, line, col, "NUL byte in a text file");
        return false;
    }
    return true;
}

/* Parses the front matter of text (a YAML map, or none). false on errors. */
static bool parse_front(loader *ld, page *p, const char *text, const fm_split *sp)
{
    if (!sp->has_front) return true;
    p->doc = value_parse_yaml(text + sp->yaml_off, sp->yaml_len, p->src, sp->yaml_line, 0, ld->dl);
    if (!p->doc) return false;
    p->front = value_doc_root(p->doc);
    if (p->front->kind == VAL_NULL) p->front = NULL;
    else if (p->front->kind != VAL_MAP) {
        diag_add(ld->dl, DIAG_ERROR, p->src, p->front->line, p->front->col,
                 "front matter must be a map of fields, got %s", value_kind_name(p->front->kind));
        p->front = NULL;
        return false;
    }
    return true;
}

/* Reads, checks and splits one Markdown file; parses its front matter and counts the words
 * of its body. The body itself is rendered later, when the page is (site_read_page), so
 * the file's text is not kept. false on errors. */
static bool page_read(loader *ld, page *p)
{
    char *path = fs_join(ld->s->root, p->src);
    size_t len;
    char *text = fs_read(path, MAX_FILE_BYTES, &len);
    free(path);
    if (!text) {
        diag_add(ld->dl, DIAG_ERROR, p->src, 0, 0, "%s",
                 errno == EFBIG ? "file is larger than 16 MiB" : strerror(errno));
        return false;
    }
    fm_split sp;
    bool ok = text_ok(ld, p, text, len) && fm_split_text(text, len, p->src, &sp, ld->dl) &&
              parse_front(ld, p, text, &sp);
    if (ok) {
        p->size = len;
        p->body_off = sp.body_off;
        p->body_len = sp.body_len;
        p->body_line = sp.body_line;
        p->words = md_count_words(text + sp.body_off, sp.body_len);
        buf_t h1 = BUF_INIT;
        if (!value_get_str(p->front, "title") &&
            md_first_heading(text + sp.body_off, sp.body_len, &h1))
            p->own_title = buf_detach(&h1);
        buf_free(&h1);
    }
    free(text);
    return ok;
}

/* ------------------------------------------------------------------ front matter kept */

const char *const site_kept_fields[] = {"title",   "description", "kind",    "date",
                                        "updated", "tags",        "category", "authors",
                                        "adoption", "image",      "weight",  "draft",
                                        "slug",    "aliases",     "related", NULL};

bool site_is_kept_field(const char *key)
{
    for (size_t i = 0; site_kept_fields[i]; i++)
        if (strcmp(site_kept_fields[i], key) == 0) return true;
    return false;
}

/* node->html of a Markdown field that loading has not rendered (yet). */
static const char md_pending[] = "";

/* What a render keeps of its Markdown fields (site_read_page): their links, and with items
 * the links and ids of their HTML. */
typedef struct render_fields {
    const site *s;
    page_text *t;
    bool items;
    size_t caplinks, capfields;
} render_fields;

/* Renders the Markdown field node into doc's arena (node->html), keeping what rf (may be
 * NULL) asks for. */
static void render_field(const site *s, value_doc *doc, value *node, render_fields *rf)
{
    md_options o = {s->unsafe_markdown, false, s->base_path, rf && rf->items};
    md_result r;
    md_render(node->str, node->len, node->line, node->col, &o, &r);
    buf_t html = BUF_INIT;
    md_polish_html(r.html, r.html_len, &html);
    node->html = value_doc_strdup(doc, buf_cstr(&html));
    if (rf) {
        page_text *t = rf->t;
        xgrow(&t->fm_links, &rf->caplinks, t->nfm_links + r.nlinks, sizeof *t->fm_links);
        for (size_t i = 0; i < r.nlinks; i++) { /* r gives them up */
            t->fm_links[t->nfm_links++] = r.links[i];
            r.links[i].dest = NULL;
        }
        if (r.items_known && html.len) {
            xgrow(&t->fields, &rf->capfields, t->nfields + 1, sizeof *t->fields);
            t->fields[t->nfields++] = (page_field){node->html, html.len, r.items, r.nitems};
            r.items = NULL;
            r.nitems = 0;
        }
    }
    buf_free(&html);
    md_result_free(&r);
}

/* While loading, a Markdown field is only counted; it is rendered if it stays in memory
 * (keep_front) or when its page renders (site_read_page). */
static void on_markdown(void *ud, value *node)
{
    page *p = ud;
    p->fm_words += md_count_words(node->str, node->len);
    node->html = md_pending;
}

/* Renders the Markdown fields under v that loading left pending. */
static void render_pending(const site *s, value_doc *doc, value *v)
{
    if (v->html == md_pending) {
        render_field(s, doc, v, NULL);
    } else if (v->kind == VAL_LIST) {
        for (size_t i = 0; i < v->n; i++) render_pending(s, doc, v->items[i]);
    } else if (v->kind == VAL_MAP) {
        for (size_t i = 0; i < v->n; i++) render_pending(s, doc, v->entries[i].val);
    }
}

bool site_keeps_whole_front(const page *p)
{
    return p->type != PAGE_REGULAR || !p->front;
}

/* What stays in memory of p's checked front matter: for a regular page the kept fields only,
 * for a list page (few, and their pages read their "kind") all of it. A regular page also
 * keeps the whole of it until it renders (page.whole), while the pages' wholes stay within
 * site.whole_limit: then its render need not parse it again. That pays on small sites (7%
 * fewer instructions at 100 pages); at 10,000 pages keeping them all (196 MB, 19.6 KB a
 * page) saved no time (the same user time, 0.5 s more system time), so the default keeps
 * about 1,700. */
static void keep_front(site *s, page *p)
{
    if (site_keeps_whole_front(p)) {
        if (p->front) render_pending(s, p->doc, p->front);
        return;
    }
    for (size_t i = 0; i < p->front->n; i++)
        if (site_is_kept_field(p->front->entries[i].key))
            render_pending(s, p->doc, p->front->entries[i].val);
    value_doc *kept = value_map_subset(p->front, site_is_kept_field);
    size_t bytes = value_doc_bytes(p->doc);
    if (__atomic_add_fetch(&s->whole_bytes, bytes, __ATOMIC_RELAXED) <= s->whole_limit)
        p->whole = p->doc;
    else
        value_doc_free(p->doc);
    p->doc = kept;
    p->front = value_doc_root(kept);
}

static void on_markdown_render(void *ud, value *node)
{
    render_fields *rf = ud;
    render_field(rf->s, rf->t->doc, node, rf);
}

/* The schema kind p's front matter is checked against: a list page's is "page". */
static const char *schema_kind(const page *p)
{
    return p->type == PAGE_REGULAR ? p->kind : "page";
}

bool site_read_page(const site *s, const page *p, bool body, bool items, page_text *out,
                    diag_list *dl)
{
    *out = (page_text){0};
    if (!p->src) return true;
    char *path = fs_join(s->root, p->src);
    size_t len;
    char *text = fs_read(path, MAX_FILE_BYTES, &len);
    free(path);
    if (!text || len != p->size) {
        if (dl)
            diag_add(dl, DIAG_ERROR, p->src, 0, 0, "%s",
                     text ? "file changed during the build" : strerror(errno));
        free(text);
        return false;
    }
    fm_split sp;
    diag_list quiet = DIAG_LIST_INIT; /* reported when the site was loaded */
    /* the page's own render takes what loading kept; nothing else writes page.whole then */
    out->doc = body ? __atomic_exchange_n(&((page *)p)->whole, NULL, __ATOMIC_RELAXED) : NULL;
    if (!out->doc && p->doc && fm_split_text(text, len, p->src, &sp, &quiet) && sp.has_front)
        out->doc = value_parse_yaml(text + sp.yaml_off, sp.yaml_len, p->src, sp.yaml_line, 0,
                                    &quiet);
    value *front = out->doc ? value_doc_root(out->doc) : NULL;
    if (front && front->kind == VAL_MAP) {
        out->front = front;
        render_fields rf = {s, out, items, 0, 0};
        schema_check(s->schema, schema_kind(p), front, p->src, on_markdown_render, &rf, &quiet);
    }
    diag_list_free(&quiet);
    if (body) {
        md_options o = {s->unsafe_markdown, true, s->base_path, items};
        md_render(text + p->body_off, p->body_len, p->body_line, 1, &o, &out->body);
    }
    free(text);
    return true;
}

void page_text_free(page_text *t)
{
    value_doc_free(t->doc);
    for (size_t i = 0; i < t->nfm_links; i++) free(t->fm_links[i].dest);
    free(t->fm_links);
    for (size_t i = 0; i < t->nfields; i++) md_items_free(t->fields[i].items, t->fields[i].nitems);
    free(t->fields);
    md_result_free(&t->body);
    *t = (page_text){0};
}

/* ------------------------------------------------------------------ walking content/ */

static char *title_from_name(const char *name)
{
    char *t = xstrdup(name);
    for (char *c = t; *c; c++)
        if (*c == '-' || *c == '_') *c = ' ';
    if (t[0] >= 'a' && t[0] <= 'z') t[0] = (char)(t[0] - 'a' + 'A');
    return t;
}

static void walk_dir(loader *ld, const char *dir, page *section);

/* A folder holding index.md is one page (a bundle): the other files are its resources. */
static void walk_bundle(loader *ld, const char *dir, const char *name, page *section)
{
    page *p = page_new(ld->s, PAGE_REGULAR);
    char *rel = *dir ? fs_join(dir, name) : xstrdup(name);
    p->src = xasprintf("content/%s/index.md", rel);
    p->dir = xstrdup(dir);
    p->slug = xstrdup(name);
    p->parent = section;
    fs_entry *e;
    size_t n;
    char *content_dir = xasprintf("content/%s", rel);
    char *full = fs_join(ld->s->root, content_dir);
    if (fs_list(full, &e, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(e[i].name, "index.md") == 0 || e[i].type != FS_FILE || e[i].symlink)
                continue;
            char *res = fs_join(rel, e[i].name);
            char *src = fs_join(content_dir, e[i].name);
            add_asset(ld->s, res, src, NULL, 0);
            free(src);
            free(res);
        }
        fs_entries_free(e, n);
    }
    free(full);
    free(content_dir);
    free(rel);
}

static page *section_new(loader *ld, const char *dir, page *parent)
{
    bool home = !*dir;
    page *sec = page_new(ld->s, home ? PAGE_HOME : PAGE_SECTION);
    sec->dir = xstrdup(dir);
    sec->kind = home ? "home" : "section";
    sec->parent = parent;
    const char *slash = strrchr(dir, '/');
    sec->slug = xstrdup(slash ? slash + 1 : dir);
    char *index_rel = home ? xstrdup("content/_index.md") : xasprintf("content/%s/_index.md", dir);
    char *index_path = fs_join(ld->s->root, index_rel);
    if (fs_is_file(index_path)) sec->src = index_rel;
    else free(index_rel);
    free(index_path);
    return sec;
}

/* Whether the content folder rel holds a Markdown file, at any depth. */
static bool has_markdown(const char *root, const char *rel)
{
    char *path = xasprintf("%s/content/%s", root, rel);
    fs_entry *e;
    size_t n;
    bool found = false;
    if (fs_list(path, &e, &n) == 0) {
        for (size_t i = 0; i < n && !found; i++) {
            if (e[i].symlink) continue;
            if (e[i].type == FS_FILE)
                found = str_ends_with(e[i].name, ".md");
            else if (e[i].type == FS_DIR) {
                char *sub = fs_join(rel, e[i].name);
                found = has_markdown(root, sub);
                free(sub);
            }
        }
        fs_entries_free(e, n);
    }
    free(path);
    return found;
}

/* A folder without Markdown (images, downloads) is no section: its files are copied. */
static void copy_folder(loader *ld, const char *rel)
{
    char *path = xasprintf("%s/content/%s", ld->s->root, rel);
    fs_entry *e;
    size_t n;
    if (fs_list(path, &e, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            char *sub = fs_join(rel, e[i].name);
            char *src = xasprintf("content/%s", sub);
            if (e[i].symlink)
                diag_add(ld->dl, DIAG_WARNING, src, 0, 0, "symbolic link not followed");
            else if (e[i].type == FS_DIR)
                copy_folder(ld, sub);
            else if (e[i].type == FS_FILE)
                add_asset(ld->s, sub, src, NULL, 0);
            free(src);
            free(sub);
        }
        fs_entries_free(e, n);
    }
    free(path);
}

static void walk_entry(loader *ld, const char *dir, const fs_entry *e, page *section)
{
    char *rel = *dir ? fs_join(dir, e->name) : xstrdup(e->name);
    char *src = xasprintf("content/%s", rel);
    if (e->symlink) {
        diag_add(ld->dl, DIAG_WARNING, src, 0, 0, "symbolic link not followed");
    } else if (e->type == FS_DIR) {
        char *index = xasprintf("%s/%s/index.md", ld->s->root, src);
        if (fs_is_file(index))
            walk_bundle(ld, dir, e->name, section);
        else if (!has_markdown(ld->s->root, rel))
            copy_folder(ld, rel);
        else {
            page *sub = section_new(ld, rel, section);
            page_add_child(section, sub);
            walk_dir(ld, rel, sub);
        }
        free(index);
    } else if (e->type == FS_FILE && str_ends_with(e->name, ".md")) {
        if (strcmp(e->name, "_index.md") != 0) {
            page *p = page_new(ld->s, PAGE_REGULAR);
            p->src = xstrdup(src);
            p->dir = xstrdup(dir);
            p->slug = xstrndup(e->name, strlen(e->name) - 3);
            p->parent = section;
        }
    } else if (e->type == FS_FILE) {
        add_asset(ld->s, rel, src, NULL, 0);
    }
    free(src);
    free(rel);
}

static void walk_dir(loader *ld, const char *dir, page *section)
{
    char *path =
        *dir ? xasprintf("%s/content/%s", ld->s->root, dir) : xasprintf("%s/content", ld->s->root);
    fs_entry *e;
    size_t n;
    if (fs_list(path, &e, &n) != 0) {
        diag_add(ld->dl, DIAG_ERROR, *dir ? dir : "content", 0, 0, "cannot read folder: %s",
                 strerror(errno));
        free(path);
        return;
    }
    for (size_t i = 0; i < n; i++)
        walk_entry(ld, dir, &e[i], section);
    fs_entries_free(e, n);
    free(path);
}

/* ------------------------------------------------------------------ checking pages */

/* The kind a section hands to its pages: its own front matter "kind", else its parent's. */
static const char *inherited_kind(const page *sec)
{
    for (; sec; sec = sec->parent) {
        const char *k = value_get_str(sec->front, "kind");
        if (k) return k;
    }
    return NULL;
}

/* A regular page's kind: its own "kind", else its section's, else "page". */
static const char *regular_kind(const page *p)
{
    const char *k = value_get_str(p->front, "kind");
    if (!k) k = inherited_kind(p->parent);
    return k ? k : "page";
}

static void check_page(loader *ld, page *p)
{
    site *s = ld->s;
    bool list = p->type != PAGE_REGULAR;
    if (!list) {
        p->kind = regular_kind(p);
    } else {
        const value_entry *k = value_get_entry(p->front, "kind");
        const char *kind = value_get_str(p->front, "kind");
        if (kind && !schema_has_kind(s->schema, kind))
            diag_add(ld->dl, DIAG_ERROR, p->src, k->val->line, k->val->col,
                     "kind: unknown kind \"%s\" for the pages of this section", kind);
    }
    static value no_front = {.kind = VAL_NULL, .line = 1, .col = 1, .str = ""};
    if (p->doc) /* a plain Markdown file, with no front matter at all, needs none */
        schema_check(s->schema, schema_kind(p), p->front ? p->front : &no_front, p->src,
                     on_markdown, p, ld->dl);
    keep_front(s, p);
    if (!list) p->kind = regular_kind(p); /* the same, from the fields kept */
    p->title = value_get_str(p->front, "title");
    p->description = value_get_str(p->front, "description");
    p->date = value_get_str(p->front, "date");
    p->updated = value_get_str(p->front, "updated");
    const value *d = value_get(p->front, "draft");
    p->draft = d && d->kind == VAL_BOOL && d->b;
    const value *w = value_get(p->front, "weight");
    p->weight = w && w->kind == VAL_INT && w->i > INT_MIN && w->i < INT_MAX ? (int)w->i : 0;
    if (!p->title) p->title = p->own_title; /* a plain Markdown file's first heading */
}

/* Reads and checks every page found (page_read, check_page) on jobs threads: first the
 * section and home pages, whose "kind" their pages read, then each regular page read and
 * checked in one go, so that its whole front matter is in memory only until check_page has
 * kept what stays (keep_front): reading all pages first held every page's whole front matter
 * at once (1.5 GB of 2 at 100,000 pages). Each page gets a list of its own for diagnostics,
 * taken in page order at the end, so they come out as from one thread. */
typedef enum { READ_LISTS, CHECK_LISTS, LOAD_REGULAR } load_step;

typedef struct load_pass {
    loader *ld;
    diag_list *dls;
    load_step step;
} load_pass;

static void load_one(void *ud, int worker, size_t i)
{
    (void)worker;
    load_pass *pass = ud;
    page *p = pass->ld->s->pages[i];
    if ((p->type == PAGE_REGULAR) != (pass->step == LOAD_REGULAR)) return;
    loader ld = *pass->ld;
    ld.dl = &pass->dls[i];
    if (pass->step != CHECK_LISTS && p->src) p->broken = !page_read(&ld, p);
    if (pass->step != READ_LISTS && !p->broken) check_page(&ld, p);
}

static void load_pages(loader *ld, int jobs)
{
    size_t n = ld->s->npages;
    load_pass pass = {ld, xcalloc(n + 1, sizeof *pass.dls), READ_LISTS};
    for (size_t i = 0; i < n; i++) pass.dls[i] = (diag_list)DIAG_LIST_INIT;
    for (; pass.step <= LOAD_REGULAR; pass.step++) parallel_each(n, jobs, load_one, &pass);
    for (size_t i = 0; i < n; i++) diag_list_take(ld->dl, &pass.dls[i]);
    free(pass.dls);
}

/* ------------------------------------------------------------------ URLs */

/* A slug from front matter must be one plain path segment. */
static bool slug_ok(const char *slug)
{
    if (!*slug || strcmp(slug, ".") == 0 || strcmp(slug, "..") == 0) return false;
    for (const char *c = slug; *c; c++)
        if (*c == '/' || *c == '\\' || (unsigned char)*c < 0x20 || *c == '?' || *c == '#')
            return false;
    return true;
}

static void assign_url(loader *ld, page *p)
{
    const value_entry *se = value_get_entry(p->front, "slug");
    if (se && p->type == PAGE_REGULAR) {
        const char *slug = se->val->str;
        if (!slug_ok(slug)) {
            diag_add(ld->dl, DIAG_ERROR, p->src, se->val->line, se->val->col,
                     "slug: \"%s\" is not a single path segment (no '/', '\\', '.', '..', "
                     "'?' or '#')",
                     slug);
            p->broken = true;
            return;
        }
        free(p->slug);
        p->slug = xstrdup(slug);
    }
    switch (p->type) {
    case PAGE_HOME:
        p->url = xstrdup("/");
        break;
    case PAGE_SECTION:
        p->url = xasprintf("/%s/", p->dir);
        break;
    default:
        p->url = *p->dir ? xasprintf("/%s/%s/", p->dir, p->slug) : xasprintf("/%s/", p->slug);
    }
}

/* Registers p's URL and output path; two pages with one URL is an error naming both. */
static void register_url(loader *ld, page *p)
{
    buf_t out = BUF_INIT;
    if (!fs_url_to_output(p->url, &out)) {
        diag_add(ld->dl, DIAG_ERROR, p->src ? p->src : p->url, 0, 0,
                 "URL %s would leave the output folder", p->url);
        p->broken = true;
        buf_free(&out);
        return;
    }
    p->out = buf_detach(&out);
    page *other = strmap_get(ld->s->by_url, p->url);
    if (other) {
        const value_entry *se = value_get_entry(p->front, "slug");
        diag_add(ld->dl, DIAG_ERROR, p->src ? p->src : p->url, se ? se->val->line : 1,
                 se ? se->val->col : 1, "URL %s is also the URL of %s", p->url,
                 other->src ? other->src : "a page refpress makes");
        p->broken = true;
        return;
    }
    strmap_put(ld->s->by_url, p->url, p);
}

/* Aliases: each becomes a redirect page; it must stay inside the output and be free. */
static void resolve_aliases(loader *ld, page *p)
{
    const value *list = value_get(p->front, "aliases");
    if (!list || list->kind != VAL_LIST) return;
    p->aliases = xcalloc(list->n, sizeof *p->aliases);
    for (size_t i = 0; i < list->n; i++) {
        const value *a = list->items[i];
        char *url = a->str[0] == '/' ? xstrdup(a->str)
                                     : xasprintf("%s%s", p->parent ? p->parent->url : "/", a->str);
        const char *last = strrchr(url, '/');
        if (!strchr(last, '.') && url[strlen(url) - 1] != '/') {
            char *u = xasprintf("%s/", url);
            free(url);
            url = u;
        }
        buf_t out = BUF_INIT;
        if (!fs_url_to_output(url, &out)) {
            diag_add(ld->dl, DIAG_ERROR, p->src, a->line, a->col,
                     "aliases[%zu]: \"%s\" points outside the output folder", i, a->str);
        } else if (strmap_get(ld->s->by_url, url)) {
            page *o = strmap_get(ld->s->by_url, url);
            diag_add(ld->dl, DIAG_ERROR, p->src, a->line, a->col,
                     "aliases[%zu]: \"%s\" is already the URL of %s", i, a->str,
                     o->src ? o->src : o->url);
        } else {
            strmap_put(ld->s->by_url, url, p);
            p->aliases[p->naliases++] = buf_detach(&out);
        }
        buf_free(&out);
        free(url);
    }
}

/* ------------------------------------------------------------------ sections, order */

/* Sections list pages by weight, then newest first, then title, then source path. */
static int page_order(const void *a, const void *b)
{
    const page *x = *(page *const *)a, *y = *(page *const *)b;
    if (x->type != y->type) return x->type == PAGE_REGULAR ? -1 : 1;
    if (x->weight != y->weight) return x->weight < y->weight ? -1 : 1;
    const char *dx = x->date ? x->date : "", *dy = y->date ? y->date : "";
    int c = strcmp(dy, dx);
    if (c) return c;
    c = strcmp(x->title ? x->title : "", y->title ? y->title : "");
    if (c) return c;
    return strcmp(x->url, y->url);
}

static void link_sections(site *s)
{
    for (size_t i = 0; i < s->npages; i++) {
        page *p = s->pages[i];
        if (p->type == PAGE_REGULAR && p->parent) page_add_child(p->parent, p);
    }
    for (size_t i = 0; i < s->npages; i++) {
        page *sec = s->pages[i];
        if (sec->type != PAGE_SECTION && sec->type != PAGE_HOME) continue;
        xsort(sec->children, sec->nchildren, sizeof *sec->children, page_order);
        page *prev = NULL;
        for (size_t k = 0; k < sec->nchildren; k++) {
            page *c = sec->children[k];
            if (c->type != PAGE_REGULAR) continue;
            c->prev = prev;
            if (prev) prev->next = c;
            prev = c;
        }
    }
}

/* ------------------------------------------------------------------ taxonomies */

typedef struct taxonomy_def {
    const char *field; /* front matter list */
    const char *name;  /* URL segment and taxonomy name */
    const char *title;
} taxonomy_def;

static const taxonomy_def taxonomies[] = {
    {"tags", "tags", "Tags"},
    {"category", "categories", "Categories"},
};

static void add_term(loader *ld, page *tax, strmap *terms, page *p, const value *v)
{
    buf_t slug = BUF_INIT;
    slug_path(v->str, v->len, &slug);
    if (slug.len == 0) {
        diag_add(ld->dl, DIAG_ERROR, p->src, v->line, v->col,
                 "%s: \"%s\" has no letters or digits to make a URL from", tax->taxonomy, v->str);
        buf_free(&slug);
        return;
    }
    page *term = strmap_get(terms, slug.ptr);
    if (!term) {
        term = page_new(ld->s, PAGE_TERM);
        term->kind = "term";
        term->taxonomy = tax->taxonomy;
        term->term = xstrdup(v->str);
        term->title = term->term;
        term->dir = xstrdup(tax->taxonomy);
        term->slug = xstrdup(slug.ptr);
        term->parent = tax;
        term->url = xasprintf("/%s/%s/", tax->taxonomy, slug.ptr);
        register_url(ld, term);
        strmap_put(terms, slug.ptr, term);
        page_add_child(tax, term);
    }
    bool seen = term->nchildren && term->children[term->nchildren - 1] == p;
    if (!seen) page_add_child(term, p);
    buf_free(&slug);
}

static int term_order(const void *a, const void *b)
{
    const page *x = *(page *const *)a, *y = *(page *const *)b;
    return strcmp(x->slug, y->slug);
}

static void build_taxonomies(loader *ld)
{
    site *s = ld->s;
    size_t ntax = sizeof taxonomies / sizeof *taxonomies;
    s->taxonomies = xcalloc(ntax, sizeof *s->taxonomies);
    for (size_t t = 0; t < ntax; t++) {
        page *tax = page_new(s, PAGE_TAXONOMY);
        tax->kind = "taxonomy";
        tax->taxonomy = taxonomies[t].name;
        tax->title = taxonomies[t].title;
        tax->dir = xstrdup("");
        tax->slug = xstrdup(taxonomies[t].name);
        tax->parent = s->home;
        tax->url = xasprintf("/%s/", taxonomies[t].name);
        register_url(ld, tax);
        s->taxonomies[s->ntaxonomies++] = tax;
        strmap *terms = strmap_new();
        size_t n = s->npages;
        for (size_t i = 0; i < n; i++) {
            page *p = s->pages[i];
            const value *list =
                p->type == PAGE_REGULAR ? value_get(p->front, taxonomies[t].field) : NULL;
            if (!list || list->kind != VAL_LIST) continue;
            for (size_t k = 0; k < list->n; k++)
                if (value_is_scalar(list->items[k]) && list->items[k]->kind != VAL_NULL)
                    add_term(ld, tax, terms, p, list->items[k]);
        }
        strmap_free(terms);
        xsort(tax->children, tax->nchildren, sizeof *tax->children, term_order);
        for (size_t k = 0; k < tax->nchildren; k++)
            xsort(tax->children[k]->children, tax->children[k]->nchildren, sizeof(page *),
                  page_order);
    }
}

/* ------------------------------------------------------------------ pagination */

char *site_pager_url(const page *first, size_t k)
{
    return k <= 1 ? xstrdup(first->url) : xasprintf("%spage/%zu/", first->url, k);
}

/* Splits every section and term page with more than s->paginate pages into pagers: the page
 * is the first, /url/page/2/ … the others. A pager page copies the list page (everything but
 * its URL, output path, index and number is borrowed from it). */
static void paginate(loader *ld)
{
    site *s = ld->s;
    size_t n = s->npages;
    for (size_t i = 0; i < n; i++) {
        page *list = s->pages[i];
        list->pager = list->npagers = 1;
        bool listing = list->type == PAGE_SECTION || list->type == PAGE_TERM;
        if (!listing || list->broken || !s->paginate || list->nchildren <= s->paginate) continue;
        list->npagers = (list->nchildren + s->paginate - 1) / s->paginate;
        for (size_t k = 2; k <= list->npagers; k++) {
            page *q = page_new(s, list->type);
            size_t index = q->index;
            *q = *list;
            q->index = index;
            q->pager_of = list;
            q->pager = k;
            q->url = site_pager_url(list, k);
            q->out = NULL;
            q->aliases = NULL;
            q->naliases = 0;
            register_url(ld, q);
        }
    }
}

/* ------------------------------------------------------------------ related pages */

/* "related" names pages by slug ("postgresql") or by section and slug ("tech/postgresql"). */
static void resolve_related(loader *ld, strmap *by_slug, page *p)
{
    const value *list = value_get(p->front, "related");
    if (!list || list->kind != VAL_LIST) return;
    p->related = xcalloc(list->n, sizeof *p->related);
    for (size_t i = 0; i < list->n; i++) {
        const value *v = list->items[i];
        if (!value_is_scalar(v)) continue;
        char *url = xasprintf("/%s/", v->str);
        page *target = strmap_get(ld->s->by_url, url);
        free(url);
        if (!target || target->type != PAGE_REGULAR) target = strmap_get(by_slug, v->str);
        if (target == (page *)by_slug) {
            diag_add(ld->dl, DIAG_ERROR, p->src, v->line, v->col,
                     "related[%zu]: slug \"%s\" names more than one page; write section/slug", i,
                     v->str);
        } else if (!target) {
            diag_add(ld->dl, DIAG_ERROR, p->src, v->line, v->col,
                     "related[%zu]: no page with slug \"%s\"", i, v->str);
        } else if (target == p) {
            diag_add(ld->dl, DIAG_ERROR, p->src, v->line, v->col,
                     "related[%zu]: a page cannot be related to itself", i);
        } else {
            p->related[p->nrelated++] = target;
        }
    }
}

static void link_related(loader *ld)
{
    site *s = ld->s;
    strmap *by_slug = strmap_new(); /* slug -> page, or the map itself when ambiguous */
    for (size_t i = 0; i < s->npages; i++) {
        page *p = s->pages[i];
        if (p->type != PAGE_REGULAR) continue;
        if (strmap_put(by_slug, p->slug, p)) strmap_put(by_slug, p->slug, by_slug);
        char *path = *p->dir ? xasprintf("%s/%s", p->dir, p->slug) : xstrdup(p->slug);
        strmap_put(by_slug, path, p);
        free(path);
    }
    for (size_t i = 0; i < s->npages; i++)
        if (s->pages[i]->type == PAGE_REGULAR) resolve_related(ld, by_slug, s->pages[i]);
    strmap_free(by_slug);
}

/* ------------------------------------------------------------------ finishing */

/* Leaves out unreadable pages, and drafts unless they were asked for. */
static void drop_pages(site *s, bool drafts)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->npages; i++) {
        page *p = s->pages[i];
        bool drop = p->type == PAGE_REGULAR && (p->broken || (p->draft && !drafts));
        if (drop) {
            page_free(p);
            continue;
        }
        p->index = kept;
        s->pages[kept++] = p;
    }
    s->npages = kept;
}

static void name_untitled(site *s)
{
    for (size_t i = 0; i < s->npages; i++) {
        page *p = s->pages[i];
        if (p->title) continue;
        if (p->type == PAGE_HOME)
            p->title = s->title;
        else {
            p->own_title = title_from_name(p->slug);
            p->title = p->own_title;
        }
    }
}

/* Days since 1970-01-01 of a "YYYY-MM-DD…" date, or -1. */
static long long date_epoch(const char *d)
{
    int y, m, day;
    if (!d || sscanf(d, "%4d-%2d-%2d", &y, &m, &day) != 3) return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = day};
    return (long long)timegm(&tm);
}

/* The build time: SOURCE_DATE_EPOCH when set, else the newest date of any page, so that
 * output never depends on the wall clock. */
static void set_now(site *s)
{
    long long sde = env_count("SOURCE_DATE_EPOCH", -1);
    if (sde >= 0) {
        s->now = sde;
        return;
    }
    for (size_t i = 0; i < s->npages; i++) {
        long long a = date_epoch(s->pages[i]->date), b = date_epoch(s->pages[i]->updated);
        if (a > s->now) s->now = a;
        if (b > s->now) s->now = b;
    }
}

static int asset_cmp(const void *a, const void *b)
{
    return strcmp(((const site_asset *)a)->rel, ((const site_asset *)b)->rel);
}

/* Sorts the assets and names each one's fingerprinted copy after a hash of its bytes. */
static void fingerprint_assets(site *s, diag_list *dl)
{
    xsort(s->assets, s->nassets, sizeof *s->assets, asset_cmp);
    for (size_t i = 0; i < s->nassets; i++) {
        site_asset *a = &s->assets[i];
        strmap_put(s->asset_by_rel, a->rel, (void *)(uintptr_t)(i + 1));
        size_t len = a->size;
        char *data = a->src ? fs_read(a->src, (size_t)1 << 30, &len) : NULL;
        if (a->src && !data) {
            diag_add(dl, DIAG_ERROR, a->rel, 0, 0, "cannot read: %s", strerror(errno));
            continue;
        }
        uint64_t h = hash_fnv1a(data ? data : a->data, len);
        free(data);
        const char *slash = strrchr(a->rel, '/');
        const char *dot = strrchr(slash ? slash : a->rel, '.');
        if (dot && dot != (slash ? slash + 1 : a->rel))
            a->fingerprinted = xasprintf("%.*s.%010llx%s", (int)(dot - a->rel), a->rel,
                                         (unsigned long long)(h & 0xffffffffffULL), dot);
        else
            a->fingerprinted =
                xasprintf("%s.%010llx", a->rel, (unsigned long long)(h & 0xffffffffffULL));
    }
}

static void add_404(loader *ld)
{
    page *p = page_new(ld->s, PAGE_404);
    p->kind = "404";
    p->title = "Page not found";
    p->dir = xstrdup("");
    p->slug = xstrdup("404");
    p->parent = ld->s->home;
    p->url = xstrdup("/404.html");
    register_url(ld, p);
}

site *site_load(const site_options *opt, diag_list *dl)
{
    site *s = xcalloc(1, sizeof *s);
    s->root = xstrdup(opt->root);
    s->whole_limit = (size_t)env_count("REFPRESS_WHOLE_FRONT", WHOLE_FRONT_BYTES);
    s->by_url = strmap_new();
    s->asset_by_rel = strmap_new();
    char *content = fs_join(s->root, "content");
    bool has_content = fs_is_dir(content);
    free(content);
    if (!has_content) {
        diag_add(dl, DIAG_ERROR, opt->root, 0, 0, "no content folder here (expected %s/content)",
                 opt->root);
        site_free(s);
        return NULL;
    }
    if (!load_config(s, opt, dl)) return s;
    load_layers(s, dl);
    loader ld = {s, opt, dl};
    s->home = section_new(&ld, "", NULL);
    walk_dir(&ld, "", s->home);
    load_pages(&ld, opt->jobs);
    drop_pages(s, opt->drafts);
    name_untitled(s);
    for (size_t i = 0; i < s->npages; i++) {
        assign_url(&ld, s->pages[i]);
        if (!s->pages[i]->broken) register_url(&ld, s->pages[i]);
    }
    for (size_t i = 0; i < s->npages; i++)
        resolve_aliases(&ld, s->pages[i]);
    link_sections(s);
    build_taxonomies(&ld);
    paginate(&ld);
    link_related(&ld);
    add_404(&ld);
    set_now(s);
    fingerprint_assets(s, dl);
    return s;
}

void site_free(site *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->npages; i++)
        page_free(s->pages[i]);
    free(s->pages);
    for (size_t i = 0; i < s->ntemplates; i++) {
        free(s->templates[i].name);
        free(s->templates[i].path);
        free(s->templates[i].text);
    }
    free(s->templates);
    for (size_t i = 0; i < s->nassets; i++) {
        free(s->assets[i].rel);
        free(s->assets[i].src);
        free(s->assets[i].fingerprinted);
    }
    free(s->assets);
    strmap_free(s->asset_by_rel);
    strmap_free(s->by_url);
    free(s->taxonomies);
    schema_free(s->schema);
    value_doc_free(s->theme_doc);
    value_doc_free(s->config_doc);
    free(s->base_url);
    free(s->base_path);
    free(s->root);
    free(s);
}

const site_template *site_find_template(const site *s, const char *name)
{
    site_template key = {.name = (char *)name};
    if (!s->ntemplates) return NULL;
    return bsearch(&key, s->templates, s->ntemplates, sizeof *s->templates, template_cmp);
}

site_asset *site_find_asset(const site *s, const char *rel)
{
    uintptr_t i = (uintptr_t)strmap_get(s->asset_by_rel, rel);
    return i ? &s->assets[i - 1] : NULL;
}

page *site_find_page(const site *s, const char *url)
{
    return strmap_get(s->by_url, url);
}
