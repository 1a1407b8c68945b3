/* context.c — the site and its pages as frozen Lua tables, and the template helpers url,
 * asset, markdown, date, slugify and json. */
#include "context.h"

#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart.h"
#include "json.h"
#include "jsonld.h"
#include "markdown.h"
#include "slug.h"
#include "util.h"

/* Registry keys (their addresses are the keys). */
static const char SITE_KEY = 's'; /* the site model, as light userdata, for C helpers */
static const char PAGES_KEY = 'p'; /* array: page index + 1 -> frozen page table (cached) */
static const char PAGE_KEY = 'c';  /* the page being rendered, as light userdata */

static const site *site_of(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &SITE_KEY); /* stack: site */
    const site *s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return s;
}

/* ------------------------------------------------------------------ values to Lua */

static void push_value(lua_State *L, const value *v, bool frozen);

/* Map keys written as decimal integers (years of a series) become integer keys. */
static void push_key(lua_State *L, const char *key)
{
    char *end;
    long long n = strtoll(key, &end, 10);
    if (*key && !*end && (key[0] != '0' || !key[1]) && key[0] != '+')
        lua_pushinteger(L, (lua_Integer)n);
    else
        lua_pushstring(L, key);
}

/* Pushes v converted (Markdown fields as their HTML, a safe string); frozen, its tables are
 * read-only proxies, made as they are built. */
static void push_value(lua_State *L, const value *v, bool frozen)
{
    if (!v) {
        lua_pushnil(L);
        return;
    }
    if (v->html) {
        tpl_push_safe(L, v->html, strlen(v->html));
        return;
    }
    luaL_checkstack(L, 4, "front matter nested too deeply");
    switch (v->kind) {
    case VAL_NULL: lua_pushnil(L); break;
    case VAL_BOOL: lua_pushboolean(L, v->b); break;
    case VAL_INT: lua_pushinteger(L, (lua_Integer)v->i); break;
    case VAL_FLOAT: lua_pushnumber(L, v->f); break;
    case VAL_STRING: lua_pushlstring(L, v->str, v->len); break;
    case VAL_LIST:
        lua_createtable(L, (int)v->n, 0); /* stack: list */
        for (size_t i = 0; i < v->n; i++) {
            push_value(L, v->items[i], frozen);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        if (frozen) tpl_freeze_built(L, -1);
        break;
    case VAL_MAP:
        lua_createtable(L, 0, (int)v->n); /* stack: map */
        for (size_t i = 0; i < v->n; i++) {
            push_key(L, v->entries[i].key);
            push_value(L, v->entries[i].val, frozen);
            lua_rawset(L, -3);
        }
        if (frozen) tpl_freeze_built(L, -1);
        break;
    }
}

static void set_str(lua_State *L, const char *field, const char *s)
{
    if (!s) return;
    lua_pushstring(L, s);
    lua_setfield(L, -2, field);
}

static void set_int(lua_State *L, const char *field, lua_Integer n)
{
    lua_pushinteger(L, n);
    lua_setfield(L, -2, field);
}

/* ------------------------------------------------------------------ pages to Lua */

static const char *type_name(page_type t)
{
    static const char *names[] = {"page", "section", "home", "taxonomy", "term", "404"};
    return names[t];
}

/* ------------------------------------------------------------------ page tables on demand */

/* A worker makes the table of a page when a template first reaches it (through site.home, a
 * list, prev/next …), not every page's table up front, so a worker's memory does not grow
 * with the size of the site. A page table starts with the computed fields. The fields naming
 * other pages are made when first read, and so are the front matter fields every page keeps
 * in memory (site_kept_fields; a card reads adoption but not tags or authors); the rest of
 * the front matter (role, faq, signals … and params) too, and that is dropped again after the
 * render that used it. Tables stay cached between renders until more than 2,048 exist (or
 * the number in the environment variable REFPRESS_PAGE_CACHE: tests set 0); from then on the
 * cache is emptied after every render (within one render a page is always the same table, so
 * templates may compare pages with ==). A small site is thus rendered from one set of tables.
 * In a large one, tables kept for a while and then dropped all at once grow old in Lua's
 * generational collector and are expensive to collect: at 10,000 pages on 2 threads, a cache
 * of 16,384 tables cost 1.3 s more CPU and 135 MiB more memory than this, and one emptied
 * each time it passed 2,048 cost 5 s more; tables made again for each render die young and
 * cost less. At 1,000 pages on one thread the cache saves about 5%. */
enum { CACHE_PAGES = 2048 };
static const char CACHE_LIMIT_KEY = 'x'; /* the limit above, as an integer */
static const char REAL_KEY = 'r';   /* array: page index + 1 -> the page's own (unfrozen) table */
static const char INDEX_KEY = 'i';  /* page table -> page index */
static const char LAZY_KEY = 'l';   /* the metatable that makes fields on first use */
static const char LOADED_KEY = 'd'; /* array of page indices loaded during this render */
static const char CACHED_KEY = 'k'; /* how many page tables the cache holds */
static const char SITE_REAL_KEY = 't'; /* the site table itself (unfrozen) */
static const char TERMS_KEY = 'm';  /* userdata: the terms of every page (term_index) */

/* Fields refpress computes: front matter of the same name does not replace them. */
static const char *const computed_fields[] = {
    "title", "description", "kind", "type", "url", "permalink", "src", "section", "slug",
    "date", "updated", "taxonomy", "weight", "word_count", "reading_minutes", "count", "draft",
    "prev", "next", "parent", "related", "pages", "breadcrumbs", "terms", "params", "toc",
    "content", "paginator", NULL};
/* Computed fields that name other pages, made when first read. */
enum { REF_PREV, REF_NEXT, REF_PARENT, REF_RELATED, REF_PAGES, REF_BREADCRUMBS, REF_TERMS,
       REF_PAGINATOR };
static const char *const ref_fields[] = {"prev",  "next",        "parent", "related",
                                         "pages", "breadcrumbs", "terms",  "paginator", NULL};
/* Fields of the site table that name pages, made when first read, like those of pages. */
enum { SITE_HOME, SITE_PAGES, SITE_SECTIONS, SITE_TAXONOMIES };
static const char *const site_ref_fields[] = {"home", "pages", "sections", "taxonomies", NULL};

static int list_index(const char *const *list, const char *key)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], key) == 0) return i;
    return -1;
}

static bool in_list(const char *const *list, const char *key)
{
    return list_index(list, key) >= 0;
}

/* Whether the front matter field key is one every page keeps in memory (site_kept_fields),
 * set on first read from what the page keeps; the other fields (is_lazy_front) come from its
 * whole front matter and are dropped after the render (lazy_load). */
static bool is_kept_front(const char *key)
{
    return !in_list(computed_fields, key) && site_is_kept_field(key);
}

static bool is_lazy_front(const char *key)
{
    return !in_list(computed_fields, key) && !site_is_kept_field(key);
}

/* For the __index of a table t at stack index 1 whose fields names[] are made on first use:
 * makes the field key names, or every one not made yet when key is "", with push(L, ud, k),
 * and returns the index of key in names (-1 when it is none of them). */
static int make_fields(lua_State *L, const char *const *names, const char *key,
                       void (*push)(lua_State *, const void *, int), const void *ud)
{
    int r = list_index(names, key);
    for (int k = 0; names[k]; k++) {
        if (*key && k != r) continue;
        lua_pushstring(L, names[k]);
        bool made = !*key && lua_rawget(L, 1) != LUA_TNIL; /* "": keep what is there */
        lua_pop(L, 1);
        if (made) continue;
        lua_pushstring(L, names[k]);
        push(L, ud, k);
        lua_rawset(L, 1);
    }
    return r;
}

/* The term pages of every regular page, in taxonomy order and then term order: the entries
 * of page i are terms[off[i] .. off[i + 1]). Made once per engine, in one pass over the
 * terms. */
typedef struct term_index {
    size_t *off;
    const page **terms;
} term_index;

static int term_index_gc(lua_State *L)
{
    term_index *ti = lua_touserdata(L, 1);
    free(ti->off);
    free(ti->terms);
    *ti = (term_index){0};
    return 0;
}

static void install_terms(lua_State *L, const site *s)
{
    term_index *ti = lua_newuserdatauv(L, sizeof *ti, 0);
    *ti = (term_index){0};
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, term_index_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &TERMS_KEY);
    ti->off = xcalloc(s->npages + 1, sizeof *ti->off);
    for (size_t t = 0; t < s->ntaxonomies; t++)
        for (size_t k = 0; k < s->taxonomies[t]->nchildren; k++) {
            const page *term = s->taxonomies[t]->children[k];
            for (size_t m = 0; m < term->nchildren; m++) ti->off[term->children[m]->index + 1]++;
        }
    for (size_t i = 0; i < s->npages; i++) ti->off[i + 1] += ti->off[i];
    size_t *fill = xmalloc((s->npages + 1) * sizeof *fill);
    memcpy(fill, ti->off, (s->npages + 1) * sizeof *fill);
    ti->terms = xcalloc(ti->off[s->npages] + 1, sizeof *ti->terms);
    for (size_t t = 0; t < s->ntaxonomies; t++)
        for (size_t k = 0; k < s->taxonomies[t]->nchildren; k++) {
            const page *term = s->taxonomies[t]->children[k];
            for (size_t m = 0; m < term->nchildren; m++)
                ti->terms[fill[term->children[m]->index]++] = term;
        }
    free(fill);
}

/* Sets the kept front matter field key (one is_kept_front accepts, or "" for all of them) on
 * the page table on top of the stack, unless it is set already. */
static void set_kept_fields(lua_State *L, const page *p, const char *key)
{
    for (size_t i = 0; p->front && i < p->front->n; i++) {
        const value_entry *e = &p->front->entries[i];
        if (*key ? strcmp(key, e->key) != 0 : !is_kept_front(e->key)) continue;
        lua_pushstring(L, e->key);
        bool computed = lua_rawget(L, -2) != LUA_TNIL;
        lua_pop(L, 1);
        if (computed) continue;
        lua_pushstring(L, e->key);
        push_value(L, e->val, true);
        lua_rawset(L, -3); /* stack: page */
    }
}

static void push_page_ref(lua_State *L, const page *p);

static void push_page_list(lua_State *L, page *const *list, size_t n)
{
    luaL_checkstack(L, 4, "page lists nested too deeply");
    lua_createtable(L, (int)n, 0); /* stack: list */
    for (size_t i = 0; i < n; i++) {
        push_page_ref(L, list[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    tpl_freeze_built(L, -1); /* page tables are proxies already */
}

/* __index of a lazy page list (push_page_list_lazy): entry k made on first use and kept. */
static int lazy_list_index(lua_State *L)
{
    page *const *list = lua_touserdata(L, lua_upvalueindex(1));
    lua_Integer n = lua_tointeger(L, lua_upvalueindex(2));
    if (!lua_isinteger(L, 2)) return 0;
    lua_Integer k = lua_tointeger(L, 2);
    if (k < 1 || k > n) return 0;
    push_page_ref(L, list[k - 1]);
    lua_pushvalue(L, -1);
    lua_rawseti(L, 1, k);
    return 1;
}

static int lazy_list_len(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    return 1;
}

/* A frozen list of the n pages at list (which must outlive the engine: the site's own
 * arrays) whose page tables are made as entries are read: a section of 5,000 pages of which a
 * template shows six makes six. #, ipairs, pairs and indexing see all n. */
static void push_page_list_lazy(lua_State *L, page *const *list, size_t n)
{
    luaL_checkstack(L, 4, "page lists nested too deeply");
    lua_newtable(L);          /* stack: list */
    lua_createtable(L, 0, 2); /* stack: list mt */
    lua_pushlightuserdata(L, (void *)list);
    lua_pushinteger(L, (lua_Integer)n);
    lua_pushcclosure(L, lazy_list_index, 2);
    lua_setfield(L, -2, "__index");
    lua_pushinteger(L, (lua_Integer)n);
    lua_pushcclosure(L, lazy_list_len, 1);
    lua_setfield(L, -2, "__len");
    lua_setmetatable(L, -2);
    tpl_freeze_built(L, -1); /* no entries yet; each one made is a page proxy */
}

/* page.terms = {tags = {term pages}, categories = {…}}, for regular pages only. */
static void push_terms(lua_State *L, const site *s, const page *p)
{
    if (p->type != PAGE_REGULAR) {
        lua_pushnil(L);
        return;
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &TERMS_KEY);
    const term_index *ti = lua_touserdata(L, -1);
    lua_pop(L, 1);
    lua_createtable(L, 0, (int)s->ntaxonomies); /* stack: terms */
    for (size_t t = 0; t < s->ntaxonomies; t++) {
        lua_newtable(L);
        lua_setfield(L, -2, s->taxonomies[t]->taxonomy);
    }
    for (size_t e = ti->off[p->index]; e < ti->off[p->index + 1]; e++) {
        lua_getfield(L, -1, ti->terms[e]->taxonomy); /* stack: terms list */
        push_page_ref(L, ti->terms[e]);
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        lua_pop(L, 1);
    }
    tpl_freeze(L, -1);
}

/* Pushes the URL (with the base path) of pager k of the list page first. */
static void push_pager_url(lua_State *L, const site *s, const page *first, size_t k)
{
    char *url = site_pager_url(first, k);
    lua_pushfstring(L, "%s%s", s->base_path, url + 1);
    free(url);
}

/* page.paginator of a section or term page: the pages of this pager (pages), its number
 * (number, from 1), how many pagers there are (count), how many pages each lists (size), the
 * pages of all pagers (total), and the URLs of all pagers (urls) and of the first, last,
 * previous and next ones (nil when there is none). nil for other pages. */
static void push_paginator(lua_State *L, const site *s, const page *p)
{
    if (p->type != PAGE_SECTION && p->type != PAGE_TERM) {
        lua_pushnil(L);
        return;
    }
    const page *first = p->pager_of ? p->pager_of : p;
    size_t size = p->npagers > 1 ? s->paginate : p->nchildren;
    size_t from = (p->pager - 1) * size;
    size_t to = from + size < p->nchildren ? from + size : p->nchildren;
    lua_createtable(L, 0, 10); /* stack: paginator */
    push_page_list(L, p->children + from, to - from);
    lua_setfield(L, -2, "pages");
    set_int(L, "number", (lua_Integer)p->pager);
    set_int(L, "count", (lua_Integer)p->npagers);
    set_int(L, "size", (lua_Integer)size);
    set_int(L, "total", (lua_Integer)p->nchildren);
    lua_createtable(L, (int)p->npagers, 0); /* stack: paginator urls */
    for (size_t k = 1; k <= p->npagers; k++) {
        push_pager_url(L, s, first, k);
        lua_rawseti(L, -2, (lua_Integer)k);
    }
    tpl_freeze_built(L, -1);
    lua_setfield(L, -2, "urls");
    static const char *const names[] = {"first", "last", "prev", "next"};
    size_t at[] = {1, p->npagers, p->pager - 1, p->pager + 1};
    for (size_t i = 0; i < 4; i++) {
        if (at[i] < 1 || at[i] > p->npagers) continue;
        push_pager_url(L, s, first, at[i]);
        lua_setfield(L, -2, names[i]);
    }
    tpl_freeze_built(L, -1); /* its pages and urls are proxies already */
}

/* Pushes the value of page p's field ref_fields[r]. */
static void push_ref(lua_State *L, const void *ud, int r)
{
    const page *p = ud;
    const site *s = site_of(L);
    const page *trail[66];
    switch (r) {
    case REF_PREV: push_page_ref(L, p->prev); break;
    case REF_NEXT: push_page_ref(L, p->next); break;
    case REF_PARENT: push_page_ref(L, p->parent); break;
    case REF_RELATED: push_page_list(L, p->related, p->nrelated); break;
    case REF_PAGES: push_page_list_lazy(L, p->children, p->nchildren); break;
    case REF_BREADCRUMBS:
        push_page_list(L, (page *const *)trail,
                       jsonld_trail(s, p, trail, sizeof trail / sizeof *trail));
        break;
    case REF_TERMS: push_terms(L, s, p); break;
    default: push_paginator(L, s, p); break;
    }
}

static const char TEXT_KEY = 'f'; /* the page_text of the page being rendered, or none */

/* The whole front matter of p: what the render read when p is the page being rendered, what
 * p keeps when it keeps all of it, else read again into t (the caller frees it). */
static const value *whole_front(lua_State *L, const page *p, page_text *t)
{
    *t = (page_text){0};
    if (site_keeps_whole_front(p)) return p->front;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &PAGE_KEY);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &TEXT_KEY);
    const page *current = lua_touserdata(L, -2);
    const page_text *own = lua_touserdata(L, -1);
    lua_pop(L, 2);
    if (current == p && own) return own->front;
    site_read_page(site_of(L), p, false, false, t, NULL); /* its own render reports errors */
    return t->front;
}

/* Converts the rest of p's front matter (and params) into its table t and records p, with the
 * fields set, for unload_pages. */
static void load_front(lua_State *L, int t, const page *p)
{
    page_text text;
    const value *front = whole_front(L, p, &text);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &LOADED_KEY);     /* stack: loaded */
    lua_createtable(L, 4, 0);                          /* stack: loaded record */
    lua_pushinteger(L, (lua_Integer)p->index);
    lua_rawseti(L, -2, 1);
    lua_createtable(L, 0, front ? (int)front->n : 0); /* stack: loaded record params */
    lua_Integer set = 1;
    for (size_t k = 0; front && k < front->n; k++) {
        const value_entry *e = &front->entries[k];
        push_value(L, e->val, true); /* one conversion for params and the page alike */
        if (is_lazy_front(e->key)) {
            lua_pushvalue(L, -1);
            lua_setfield(L, t, e->key);
            lua_pushstring(L, e->key);
            lua_rawseti(L, -4, ++set);
        }
        lua_setfield(L, -2, e->key);
    }
    tpl_freeze_built(L, -1);
    lua_setfield(L, t, "params");                      /* stack: loaded record */
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
    page_text_free(&text);
}

/* __index of a page table: makes a field naming other pages, or converts the rest of the front
 * matter, and answers the lookup. The key "" (sandboxed pairs() asks for it) makes them all. */
static int lazy_load(lua_State *L)
{
    lua_settop(L, 2); /* stack: t key */
    if (lua_type(L, 2) != LUA_TSTRING) return 0;
    luaL_checkstack(L, 8, "page data nested too deeply");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &INDEX_KEY);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, -2) != LUA_TNUMBER) return 0;
    size_t i = (size_t)lua_tointeger(L, -1);
    lua_settop(L, 2);
    const page *p = site_of(L)->pages[i];
    const char *key = lua_tostring(L, 2);
    int r = make_fields(L, ref_fields, key, push_ref, p);
    if (r < 0 && (!*key || is_kept_front(key))) { /* kept fields: from memory */
        lua_pushvalue(L, 1);
        set_kept_fields(L, p, key);
        lua_settop(L, 2);
        if (*key) {
            lua_rawget(L, 1);
            return 1;
        }
    }
    lua_pushliteral(L, "params");
    if (r < 0 && lua_rawget(L, 1) == LUA_TNIL) load_front(L, 1, p);
    lua_settop(L, 2);
    lua_rawget(L, 1);
    return 1;
}

/* Drops what lazy_load converted of the front matter during the render that just ended: each
 * record of LOADED_KEY is {page index, field, field …}. */
static void unload_pages(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &LOADED_KEY); /* stack: loaded */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &REAL_KEY);   /* stack: loaded real */
    lua_Integer n = (lua_Integer)lua_rawlen(L, -2);
    for (lua_Integer k = 1; k <= n; k++) {
        lua_rawgeti(L, -2, k);                      /* stack: loaded real record */
        lua_rawgeti(L, -1, 1);
        lua_Integer i = lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_rawgeti(L, -2, i + 1);                  /* stack: loaded real record t */
        lua_Integer nf = (lua_Integer)lua_rawlen(L, -2);
        for (lua_Integer f = 2; f <= nf; f++) {
            lua_rawgeti(L, -2, f);
            lua_pushnil(L);
            lua_rawset(L, -3);
        }
        lua_pushnil(L);
        lua_setfield(L, -2, "params");
        lua_pop(L, 2);
        lua_pushnil(L);
        lua_rawseti(L, -3, k);
    }
    lua_pop(L, 2);
}

/* Empty caches for page tables: the arrays of real tables and of their frozen proxies, and
 * the map back from a real table to its page. */
static void new_page_cache(lua_State *L)
{
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &PAGES_KEY);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &REAL_KEY);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &INDEX_KEY);
    lua_pushinteger(L, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &CACHED_KEY);
}

/* After a render: empties the cache when it holds more pages than its limit, and with it the
 * site's fields that name pages. */
static void trim_page_cache(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &CACHED_KEY);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &CACHE_LIMIT_KEY);
    bool full = lua_tointeger(L, -2) > lua_tointeger(L, -1);
    lua_pop(L, 2);
    if (!full) return;
    new_page_cache(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &SITE_REAL_KEY); /* stack: site */
    for (size_t k = 0; site_ref_fields[k]; k++) {
        lua_pushnil(L);
        lua_setfield(L, -2, site_ref_fields[k]);
    }
    lua_pop(L, 1);
    lua_pushinteger(L, 0); /* from now on, after every render */
    lua_rawsetp(L, LUA_REGISTRYINDEX, &CACHE_LIMIT_KEY);
}

static void install_lazy(lua_State *L)
{
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, lazy_load);
    lua_setfield(L, -2, "__index");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &LAZY_KEY);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &LOADED_KEY);
    new_page_cache(L);
    lua_pushinteger(L, (lua_Integer)env_count("REFPRESS_PAGE_CACHE", CACHE_PAGES));
    lua_rawsetp(L, LUA_REGISTRYINDEX, &CACHE_LIMIT_KEY);
}

/* Pushes the body's headings as a frozen list of {level, id, text}. */
static void push_toc(lua_State *L, const md_result *body)
{
    lua_createtable(L, (int)body->ntoc, 0); /* stack: toc */
    for (size_t i = 0; i < body->ntoc; i++) {
        lua_createtable(L, 0, 3);
        set_int(L, "level", body->toc[i].level);
        set_str(L, "id", body->toc[i].id);
        set_str(L, "text", body->toc[i].text);
        tpl_freeze_built(L, -1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    tpl_freeze_built(L, -1);
}

/* Pushes a new table with the page's own fields (no links to other pages yet). */
static void push_page(lua_State *L, const site *s, const page *p)
{
    lua_createtable(L, 0, 32); /* stack: page */
    set_str(L, "title", p->title);
    set_str(L, "description", p->description);
    set_str(L, "kind", p->kind);
    set_str(L, "type", type_name(p->type));
    char *url = xasprintf("%s%s", s->base_path, p->url + 1);
    set_str(L, "url", url);
    free(url);
    char *permalink = xasprintf("%s%s", s->base_url, p->url + 1);
    set_str(L, "permalink", permalink);
    free(permalink);
    set_str(L, "src", p->src);
    set_str(L, "section", p->dir);
    set_str(L, "slug", p->slug);
    set_str(L, "date", p->date);
    set_str(L, "updated", p->updated ? p->updated : p->date);
    set_str(L, "taxonomy", p->taxonomy);
    set_int(L, "weight", p->weight);
    set_int(L, "word_count", (lua_Integer)(p->words + p->fm_words));
    set_int(L, "reading_minutes", md_reading_minutes(p->words + p->fm_words));
    set_int(L, "count", (lua_Integer)p->nchildren);
    lua_pushboolean(L, p->draft);
    lua_setfield(L, -2, "draft");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &INDEX_KEY); /* stack: page index */
    lua_pushvalue(L, -2);
    lua_pushinteger(L, (lua_Integer)p->index);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &LAZY_KEY);
    lua_setmetatable(L, -2);                       /* stack: page */
}

/* Pushes the (frozen) table of page p, or nil: the cached one, or a new one. */
static void push_page_ref(lua_State *L, const page *p)
{
    if (!p) {
        lua_pushnil(L);
        return;
    }
    luaL_checkstack(L, 6, "page data nested too deeply");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &PAGES_KEY); /* stack: pages */
    if (lua_rawgeti(L, -1, (lua_Integer)p->index + 1) == LUA_TNIL) {
        lua_pop(L, 1);
        push_page(L, site_of(L), p);                 /* stack: pages t */
        lua_rawgetp(L, LUA_REGISTRYINDEX, &REAL_KEY);
        lua_pushvalue(L, -2);
        lua_rawseti(L, -2, (lua_Integer)p->index + 1);
        lua_pop(L, 1);
        tpl_freeze_built(L, -1);                     /* stack: pages proxy (fields: scalars) */
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, (lua_Integer)p->index + 1);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &CACHED_KEY);
        lua_pushinteger(L, lua_tointeger(L, -1) + 1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &CACHED_KEY);
        lua_pop(L, 1);
    }
    lua_remove(L, -2);
}

/* ------------------------------------------------------------------ the site table */

static void set_config(lua_State *L, const site *s, const char *field)
{
    push_value(L, value_get(s->config, field), false);
    lua_setfield(L, -2, field);
}

/* Pushes the value of the site's field site_ref_fields[k]. */
static void push_site_ref(lua_State *L, const void *ud, int k)
{
    const site *s = ud;
    if (k == SITE_HOME) {
        push_page_ref(L, s->home);
        return;
    }
    lua_newtable(L);
    if (k == SITE_TAXONOMIES) {
        for (size_t t = 0; t < s->ntaxonomies; t++) {
            push_page_ref(L, s->taxonomies[t]);
            lua_setfield(L, -2, s->taxonomies[t]->taxonomy);
        }
    } else {
        page_type want = k == SITE_PAGES ? PAGE_REGULAR : PAGE_SECTION;
        lua_Integer n = 0;
        for (size_t i = 0; i < s->npages; i++) {
            if (s->pages[i]->type != want || s->pages[i]->pager_of) continue;
            push_page_ref(L, s->pages[i]);
            lua_rawseti(L, -2, ++n);
        }
    }
    tpl_freeze_built(L, -1); /* page tables are proxies already */
}

/* __index of the site table: makes home, pages (the regular pages), sections and
 * taxonomies on first use; "" makes them all. */
static int site_lazy(lua_State *L)
{
    lua_settop(L, 2); /* stack: t key */
    if (lua_type(L, 2) != LUA_TSTRING) return 0;
    luaL_checkstack(L, 8, "site data");
    make_fields(L, site_ref_fields, lua_tostring(L, 2), push_site_ref, site_of(L));
    lua_rawget(L, 1);
    return 1;
}

/* Pushes the site table (not frozen yet). */
static void push_site(lua_State *L, const site *s)
{
    lua_createtable(L, 0, 16); /* stack: site */
    set_str(L, "title", s->title);
    set_str(L, "language", s->language);
    set_str(L, "base_url", s->base_url);
    set_str(L, "base_path", s->base_path);
    lua_pushinteger(L, (lua_Integer)s->now);
    lua_setfield(L, -2, "now");
    static const char *fields[] = {"description", "params", "menu", "author", "publisher"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) set_config(L, s, fields[i]);
    push_value(L, s->config, false);
    lua_setfield(L, -2, "config");
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, site_lazy);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

/* Sets the frozen global `site`; page tables are made as templates reach them. */
static void install_site(tpl_engine *e, const site *s)
{
    lua_State *L = tpl_engine_state(e);
    install_lazy(L);
    install_terms(L, s);
    push_site(L, s);                             /* stack: site */
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &SITE_REAL_KEY);
    tpl_freeze(L, -1);                           /* stack: proxy */
    tpl_engine_set_global(e, "site");
}

/* ------------------------------------------------------------------ helpers */

/* Returns the text of a string or safe string argument. */
static const char *check_text(lua_State *L, int arg, size_t *n)
{
    const char *safe = tpl_to_safe(L, arg, n);
    return safe ? safe : luaL_checklstring(L, arg, n);
}

/* url(path [, absolute]) — a site path ("/tech/go/") with the base path in front, or the whole
 * URL when absolute is true. Other URLs are returned as they are. */
static int helper_url(lua_State *L)
{
    const site *s = site_of(L);
    size_t n;
    const char *path = luaL_checklstring(L, 1, &n);
    bool absolute = lua_toboolean(L, 2);
    if (path[0] != '/' || (n > 1 && path[1] == '/')) {
        lua_settop(L, 1);
        return 1;
    }
    lua_pushstring(L, absolute ? s->base_url : s->base_path);
    lua_pushlstring(L, path + 1, n - 1);
    lua_concat(L, 2);
    return 1;
}

/* asset(path) — the fingerprinted URL of an asset ("style.css" -> "/style.1a2b3c4d5e.css"). */
static int helper_asset(lua_State *L)
{
    const site *s = site_of(L);
    const char *rel = luaL_checkstring(L, 1);
    while (*rel == '/') rel++;
    site_asset *a = site_find_asset(s, rel);
    if (!a || !a->fingerprinted) return luaL_error(L, "no asset named \"%s\"", rel);
    __atomic_store_n(&a->used, 1, __ATOMIC_RELAXED);
    lua_pushfstring(L, "%s%s", s->base_path, a->fingerprinted);
    return 1;
}

/* markdown(text) — the text rendered as Markdown, a safe string. */
static int helper_markdown(lua_State *L)
{
    const site *s = site_of(L);
    size_t n;
    const char *text = check_text(L, 1, &n);
    md_options o = {s->unsafe_markdown, false, s->base_path, false};
    md_result r;
    md_render(text, n, 1, 1, &o, &r);
    buf_t html = BUF_INIT;
    md_polish_html(r.html, r.html_len, &html);
    md_result_free(&r);
    tpl_push_safe(L, buf_cstr(&html), html.len);
    buf_free(&html);
    return 1;
}

static const char *const month_names[] = {"January", "February", "March",     "April",
                                          "May",     "June",     "July",      "August",
                                          "September", "October", "November", "December"};
static const char *const day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

/* Formats t (UTC) with %Y %m %d %-d %e %B %b %A %a %H %M %S %F %%; English names, so output
 * never depends on the machine's locale. */
static void format_date(lua_State *L, const struct tm *t, const char *fmt)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%' || !f[1]) {
            luaL_addchar(&b, *f);
            continue;
        }
        char c = *++f;
        bool nopad = c == '-' && f[1];
        if (nopad) c = *++f;
        char tmp[32];
        switch (c) {
        case 'Y': snprintf(tmp, sizeof tmp, "%04d", t->tm_year + 1900); break;
        case 'm': snprintf(tmp, sizeof tmp, nopad ? "%d" : "%02d", t->tm_mon + 1); break;
        case 'd': snprintf(tmp, sizeof tmp, nopad ? "%d" : "%02d", t->tm_mday); break;
        case 'e': snprintf(tmp, sizeof tmp, "%d", t->tm_mday); break;
        case 'H': snprintf(tmp, sizeof tmp, "%02d", t->tm_hour); break;
        case 'M': snprintf(tmp, sizeof tmp, "%02d", t->tm_min); break;
        case 'S': snprintf(tmp, sizeof tmp, "%02d", t->tm_sec); break;
        case 'F':
            snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", t->tm_year + 1900, t->tm_mon + 1,
                     t->tm_mday);
            break;
        case 'B': snprintf(tmp, sizeof tmp, "%s", month_names[t->tm_mon]); break;
        case 'b': snprintf(tmp, sizeof tmp, "%.3s", month_names[t->tm_mon]); break;
        case 'A': snprintf(tmp, sizeof tmp, "%s", day_names[t->tm_wday]); break;
        case 'a': snprintf(tmp, sizeof tmp, "%.3s", day_names[t->tm_wday]); break;
        case '%': snprintf(tmp, sizeof tmp, "%%"); break;
        default: luaL_error(L, "date: unknown conversion '%%%c'", c); return;
        }
        luaL_addstring(&b, tmp);
    }
    luaL_pushresult(&b);
}

/* date(d [, fmt]) — d is "YYYY-MM-DD" (a time part is allowed) or seconds since 1970;
 * fmt defaults to "%B %-d, %Y" ("April 21, 2026"). nil gives nil. */
static int helper_date(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) return 0;
    const char *fmt = luaL_optstring(L, 2, "%B %-d, %Y");
    time_t when;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        when = (time_t)luaL_checkinteger(L, 1);
    } else {
        const char *d = luaL_checkstring(L, 1);
        int y, m, day, hh = 0, mm = 0, ss = 0;
        if (sscanf(d, "%4d-%2d-%2d", &y, &m, &day) != 3 || m < 1 || m > 12 || day < 1 ||
            day > 31)
            return luaL_error(L, "date: expected YYYY-MM-DD, got \"%s\"", d);
        if (strlen(d) > 10) sscanf(d + 10, "%*1[T ]%2d:%2d:%2d", &hh, &mm, &ss);
        struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = day,
                        .tm_hour = hh, .tm_min = mm, .tm_sec = ss};
        when = timegm(&tm);
    }
    struct tm t;
    if (!gmtime_r(&when, &t)) return luaL_error(L, "date: time out of range");
    format_date(L, &t, fmt);
    return 1;
}

/* slugify(text) — "Backend systems" -> "backend-systems". */
static int helper_slugify(lua_State *L)
{
    size_t n;
    const char *text = check_text(L, 1, &n);
    buf_t b = BUF_INIT;
    slug_path(text, n, &b);
    lua_pushlstring(L, buf_cstr(&b), b.len);
    buf_free(&b);
    return 1;
}

/* ------------------------------------------------------------------ parts */

static const char PARTS_KEY = 'h'; /* the render's context_parts, or none */

/* The context_parts of this render, or NULL when nobody asked for them. */
static context_parts *parts_of(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &PARTS_KEY);
    context_parts *c = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return c;
}

/* Returns the HTML b holds (freed) to the template as a safe string and, with c (the render's
 * parts), hands it to c too, with the links and ids ids (taken; NULL: none) says it holds. */
static int push_part(lua_State *L, buf_t *b, context_parts *c, chart_ids *ids)
{
    tpl_push_safe(L, buf_cstr(b), b->len);
    if (c && b->len) {
        xgrow(&c->v, &c->cap, c->n + 1, sizeof *c->v);
        context_part *part = &c->v[c->n++];
        part->len = b->len;
        part->html = buf_detach(b);
        part->ids = ids ? *ids : (chart_ids){0};
    } else if (ids) {
        chart_ids_free(ids);
    }
    buf_free(b);
    return 1;
}

void context_parts_free(context_parts *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].html);
        chart_ids_free(&c->v[i].ids);
    }
    free(c->v);
    free(c->spans.v);
    *c = (context_parts){0};
}

/* jsonld() — the structured data of the page being rendered: a <script> element. */
static int helper_jsonld(lua_State *L)
{
    const site *s = site_of(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &PAGE_KEY);
    const page *p = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!p) return luaL_error(L, "jsonld: no page is being rendered");
    page_text text;
    buf_t b = BUF_INIT;
    jsonld_page(s, p, whole_front(L, p, &text), &b);
    page_text_free(&text);
    return push_part(L, &b, parts_of(L), NULL);
}

/* ------------------------------------------------------------------ charts */

static const char CHART_COUNT_KEY = 'n'; /* charts written in this render, for unique ids */

/* The next chart id of this render: "rp-chart-1", "rp-chart-2", … */
static void next_chart_id(lua_State *L, buf_t *id)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &CHART_COUNT_KEY);
    lua_Integer n = lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
    lua_pushinteger(L, n);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &CHART_COUNT_KEY);
    buf_printf(id, "rp-chart-%lld", (long long)n);
}

/* Calls fn(L, ud) for each pair of the table at idx, with the key at -2 and the value at -1:
 * with next() over the table, or over the one a frozen table guards (its entries made first,
 * tpl_frozen_entries), or through __pairs when a template gave the table one. */
static void each_pair(lua_State *L, int idx, void (*fn)(lua_State *, void *), void *ud)
{
    idx = lua_absindex(L, idx);
    int top = lua_gettop(L);
    if (tpl_frozen_entries(L, idx)) {
        idx = lua_gettop(L); /* stack: guarded */
    } else if (luaL_getmetafield(L, idx, "__pairs") != LUA_TNIL) {
        lua_pushvalue(L, idx);
        lua_call(L, 1, 3); /* stack: f t k */
        for (;;) {
            lua_pushvalue(L, -3);
            lua_pushvalue(L, -3);
            lua_pushvalue(L, -3);
            lua_call(L, 2, 2); /* stack: f t k k' v */
            if (lua_isnil(L, -2)) break;
            fn(L, ud); /* sees k' at -2 and v at -1 */
            lua_pop(L, 1);
            lua_replace(L, -2);
        }
        lua_settop(L, top);
        return;
    }
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        fn(L, ud);
        lua_pop(L, 1);
    }
    lua_settop(L, top);
}

typedef struct series_buf {
    chart_point *points;
    size_t n, cap;
    int first, last;
} series_buf;

static void add_point(lua_State *L, void *ud)
{
    series_buf *sb = ud;
    if (!lua_isinteger(L, -2) || lua_type(L, -1) != LUA_TNUMBER) return;
    int year = (int)lua_tointeger(L, -2);
    xgrow(&sb->points, &sb->cap, sb->n + 1, sizeof *sb->points);
    sb->points[sb->n++] = (chart_point){year, lua_tonumber(L, -1)};
    if (!sb->first || year < sb->first) sb->first = year;
    if (year > sb->last) sb->last = year;
}

enum { SERIES_NONE, SERIES_PAGE, SERIES_BARE };

/* Pushes the series of the table at idx, or nil: a page's adoption.series (SERIES_PAGE, which
 * is also the answer for a page whose adoption has no series), or the table itself when it is
 * a bare series {[2020] = 74, …}, with neither adoption nor title (SERIES_BARE). */
static int push_series(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    int t = lua_getfield(L, idx, "adoption");
    if (t == LUA_TTABLE) {
        if (lua_getfield(L, -1, "series") != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_pushnil(L);
        }
        lua_remove(L, -2);
        return SERIES_PAGE;
    }
    lua_pop(L, 1);
    if (t == LUA_TNIL && lua_getfield(L, idx, "title") == LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushvalue(L, idx);
        return SERIES_BARE;
    }
    if (t == LUA_TNIL) lua_pop(L, 1);
    lua_pushnil(L);
    return SERIES_NONE;
}

/* Reads the series of the value at idx (see push_series). Also gives the page's title and url
 * when idx is a page. */
static chart_series read_series(lua_State *L, int idx, series_buf *sb)
{
    idx = lua_absindex(L, idx);
    chart_series s = {0};
    *sb = (series_buf){0};
    int top = lua_gettop(L);
    int kind = push_series(L, idx);
    if (lua_istable(L, -1)) each_pair(L, -1, add_point, sb);
    if (kind == SERIES_PAGE) {
        lua_getfield(L, idx, "title");
        s.label = lua_tostring(L, -1);
        lua_getfield(L, idx, "url");
        s.url = lua_tostring(L, -1);
    }
    /* label and url stay valid: the strings are held by the (frozen) page tables */
    lua_settop(L, top);
    s.points = sb->points;
    s.n = sb->n;
    s.first_year = sb->first;
    s.last_year = sb->last;
    return s;
}

/* chart.adoption(page [, title]) — the page's adoption index as a <figure>; "" without one. */
static int chart_adoption_lua(lua_State *L)
{
    series_buf sb;
    chart_series s = read_series(L, 1, &sb);
    const char *title = luaL_optstring(L, 2, NULL);
    if (!title && lua_getfield(L, 1, "adoption") == LUA_TTABLE) {
        lua_getfield(L, -1, "title");
        title = lua_tostring(L, -1);
    }
    buf_t id = BUF_INIT, out = BUF_INIT;
    next_chart_id(L, &id);
    chart_ids ids = {0};
    context_parts *c = parts_of(L);
    chart_adoption(&s, title, id.ptr, &out, c ? &ids : NULL);
    buf_free(&id);
    free(sb.points);
    return push_part(L, &out, c, &ids);
}

/* chart.spark(page or series) — a sparkline. */
static int chart_spark_lua(lua_State *L)
{
    series_buf sb;
    chart_series s = read_series(L, 1, &sb);
    buf_t id = BUF_INIT, out = BUF_INIT;
    next_chart_id(L, &id);
    chart_ids ids = {0};
    context_parts *c = parts_of(L);
    chart_spark(&s, id.ptr, &out, c ? &ids : NULL);
    buf_free(&id);
    free(sb.points);
    return push_part(L, &out, c, &ids);
}

/* chart.trend(page or series) — the trend in words ("+12 since 2020"). */
static int chart_trend_lua(lua_State *L)
{
    series_buf sb;
    chart_series s = read_series(L, 1, &sb);
    buf_t out = BUF_INIT;
    chart_trend(&s, &out);
    free(sb.points);
    lua_pushlstring(L, buf_cstr(&out), out.len);
    buf_free(&out);
    return 1;
}

static void latest_year(lua_State *L, void *ud)
{
    lua_Integer *year = ud;
    if (lua_isinteger(L, -2) && lua_type(L, -1) == LUA_TNUMBER && lua_tointeger(L, -2) > *year)
        *year = lua_tointeger(L, -2);
}

/* chart.latest(page or series) — the latest year and its value, as the series holds it (an
 * integer stays one); nothing when there is no series. */
static int chart_latest_lua(lua_State *L)
{
    push_series(L, 1);
    if (!lua_istable(L, -1)) return 0;
    lua_Integer year = LUA_MININTEGER;
    each_pair(L, -1, latest_year, &year);
    if (year == LUA_MININTEGER) return 0;
    lua_pushinteger(L, year);
    lua_geti(L, -2, year);
    return 2;
}

/* chart.compare(pages [, title]) and chart.lines(pages [, title]) — the latest values as
 * sorted bars, or the series as lines (at most six). */
static int compare(lua_State *L, bool lines)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *title = luaL_optstring(L, 2, NULL);
    lua_Integer n = luaL_len(L, 1);
    if (n > 100000) n = 100000;
    chart_series *items = xcalloc((size_t)n + 1, sizeof *items);
    series_buf *bufs = xcalloc((size_t)n + 1, sizeof *bufs);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i); /* stays on the stack, so label and url stay valid */
        if (lua_istable(L, -1)) items[i - 1] = read_series(L, -1, &bufs[i - 1]);
    }
    buf_t id = BUF_INIT, out = BUF_INIT;
    next_chart_id(L, &id);
    chart_ids ids = {0};
    context_parts *c = parts_of(L);
    if (lines) chart_compare_lines(items, (size_t)n, title, id.ptr, &out, c ? &ids : NULL);
    else chart_compare_bars(items, (size_t)n, title, id.ptr, &out, c ? &ids : NULL);
    for (lua_Integer i = 0; i < n; i++) free(bufs[i].points);
    free(bufs);
    free(items);
    buf_free(&id);
    return push_part(L, &out, c, &ids);
}

static int chart_compare_lua(lua_State *L)
{
    return compare(L, false);
}

static int chart_lines_lua(lua_State *L)
{
    return compare(L, true);
}

static void install_charts(tpl_engine *e)
{
    lua_State *L = tpl_engine_state(e);
    static const luaL_Reg fns[] = {{"adoption", chart_adoption_lua}, {"spark", chart_spark_lua},
                                   {"trend", chart_trend_lua},       {"latest", chart_latest_lua},
                                   {"compare", chart_compare_lua},   {"lines", chart_lines_lua},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    tpl_freeze(L, -1);
    tpl_engine_set_global(e, "chart");
}

/* json(value) — JSON text, safe to put inside <script>, as a safe string. */
static int helper_json(lua_State *L)
{
    luaL_checkany(L, 1);
    buf_t b = BUF_INIT;
    const char *err = NULL;
    if (!context_json(L, 1, &b, &err)) {
        buf_free(&b);
        return luaL_error(L, "json: %s", err);
    }
    tpl_push_safe(L, buf_cstr(&b), b.len);
    buf_free(&b);
    return 1;
}

/* ------------------------------------------------------------------ JSON */

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct key_list {
    char **keys;
    size_t n, cap;
} key_list;

static void add_key(lua_State *L, void *ud)
{
    key_list *kl = ud;
    lua_pushvalue(L, -2); /* a copy of the key, so tostring does not change the key itself */
    const char *k = lua_tostring(L, -1);
    xgrow(&kl->keys, &kl->cap, kl->n + 1, sizeof *kl->keys);
    kl->keys[kl->n++] = xstrdup(k ? k : "");
    lua_pop(L, 1);
}

/* Collects the keys of the table at idx as strings, sorted (through __pairs when it has one:
 * frozen proxies do). Caller frees each key and the array. */
static char **json_keys(lua_State *L, int idx, size_t *count)
{
    key_list kl = {NULL, 0, 0};
    each_pair(L, idx, add_key, &kl);
    xsort(kl.keys, kl.n, sizeof *kl.keys, key_cmp);
    *count = kl.n;
    return kl.keys;
}

static bool json_value(lua_State *L, int idx, buf_t *out, int depth, const char **err);

static bool json_table(lua_State *L, int idx, buf_t *out, int depth, const char **err)
{
    lua_Integer len = luaL_len(L, idx);
    bool ok = true;
    if (len > 0) {
        buf_putc(out, '[');
        for (lua_Integer i = 1; i <= len && ok; i++) {
            if (i > 1) buf_putc(out, ',');
            lua_geti(L, idx, i);
            ok = json_value(L, -1, out, depth + 1, err);
            lua_pop(L, 1);
        }
        buf_putc(out, ']');
        return ok;
    }
    size_t n;
    char **keys = json_keys(L, idx, &n);
    buf_putc(out, n ? '{' : '[');
    for (size_t i = 0; i < n; i++) {
        if (ok) {
            if (i) buf_putc(out, ',');
            json_put_string(out, keys[i], strlen(keys[i]));
            buf_putc(out, ':');
            lua_getfield(L, idx, keys[i]);
            ok = json_value(L, -1, out, depth + 1, err);
            lua_pop(L, 1);
        }
        free(keys[i]);
    }
    free(keys);
    buf_putc(out, n ? '}' : ']');
    return ok;
}

static bool json_value(lua_State *L, int idx, buf_t *out, int depth, const char **err)
{
    idx = lua_absindex(L, idx);
    size_t n;
    const char *s;
    if (depth > 64) {
        *err = "value nested deeper than 64 levels (does it contain itself?)";
        return false;
    }
    if ((s = tpl_to_safe(L, idx, &n))) {
        json_put_string(out, s, n);
        return true;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL: buf_puts(out, "null"); return true;
    case LUA_TBOOLEAN: buf_puts(out, lua_toboolean(L, idx) ? "true" : "false"); return true;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            buf_printf(out, "%lld", (long long)lua_tointeger(L, idx));
        } else {
            double d = lua_tonumber(L, idx);
            if (!isfinite(d)) {
                *err = "JSON has no infinity or NaN";
                return false;
            }
            buf_printf(out, "%.17g", d);
        }
        return true;
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &n);
        json_put_string(out, s, n);
        return true;
    case LUA_TTABLE: return json_table(L, idx, out, depth, err);
    default: *err = "functions and other such values have no JSON form"; return false;
    }
}

bool context_json(lua_State *L, int idx, buf_t *out, const char **err)
{
    return json_value(L, idx, out, 0, err);
}

/* ------------------------------------------------------------------ engines and rendering */

static bool lookup_template(void *ud, const char *name, tpl_source *out)
{
    const site_template *t = site_find_template(ud, name);
    if (!t) return false;
    *out = (tpl_source){t->text, t->len, t->path};
    return true;
}

tpl_engine *context_engine_new(const site *s)
{
    tpl_limits limits = {s->template_memory, s->template_instructions, s->now};
    tpl_engine *e = tpl_engine_new(lookup_template, (void *)s, &limits);
    lua_State *L = tpl_engine_state(e);
    lua_pushlightuserdata(L, (void *)s);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &SITE_KEY);
    static const luaL_Reg helpers[] = {
        {"url", helper_url},         {"asset", helper_asset}, {"markdown", helper_markdown},
        {"date", helper_date},       {"slugify", helper_slugify}, {"json", helper_json},
        {"jsonld", helper_jsonld},
        {NULL, NULL}};
    for (const luaL_Reg *h = helpers; h->name; h++) {
        lua_pushcfunction(L, h->func);
        tpl_engine_set_global(e, h->name);
    }
    install_charts(e);
    install_site(e, s);
    return e;
}

const char *context_template_for(const site *s, const page *p)
{
    static _Thread_local char name[128];
    switch (p->type) {
    case PAGE_REGULAR:
        snprintf(name, sizeof name, "%s.html", p->kind);
        return site_find_template(s, name) ? name : "page.html";
    case PAGE_SECTION: return "section.html";
    case PAGE_HOME: return "home.html";
    case PAGE_TAXONOMY: return "taxonomy.html";
    case PAGE_TERM: return "term.html";
    case PAGE_404: return "404.html";
    }
    return "page.html";
}

/* This page's own fields, content and toc, go into its table only while it renders, so
 * templates see one `page` (pairs(page) included) while no body stays in memory. */
bool context_render_page(tpl_engine *e, const site *s, const page *p, buf_t *out,
                         diag_list *dl, page_text *text_out, context_parts *parts_out)
{
    lua_State *L = tpl_engine_state(e);
    int top = lua_gettop(L);
    page_text text;
    /* pagers after the first show no body: its relative links are written for the list's URL */
    if (!site_read_page(s, p, !p->pager_of, text_out != NULL, &text, dl)) return false;
    push_page_ref(L, p);                                /* stack: page */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &REAL_KEY);
    lua_rawgeti(L, -1, (lua_Integer)p->index + 1);      /* stack: page real t */
    buf_t html = BUF_INIT;
    md_polish_html(text.body.html ? text.body.html : "", text.body.html_len, &html);
    lua_pushliteral(L, "content");
    tpl_push_safe(L, buf_cstr(&html), html.len);
    lua_rawset(L, -3);
    lua_pushliteral(L, "toc");
    push_toc(L, &text.body);
    lua_rawset(L, -3);                                  /* stack: page real t */
    /* for the link check: the body as the page holds it */
    free(text.body.html);
    text.body.html_len = html.len;
    text.body.html = buf_detach(&html);
    lua_pop(L, 2);                                      /* stack: page */
    lua_createtable(L, 0, 1);                           /* stack: page ctx */
    lua_insert(L, -2);
    lua_setfield(L, -2, "page");                        /* stack: ctx */
    const char *what = p->src ? p->src : p->url;
    lua_pushlightuserdata(L, (void *)p);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &PAGE_KEY);
    lua_pushlightuserdata(L, &text);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &TEXT_KEY);
    lua_pushinteger(L, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &CHART_COUNT_KEY);
    if (parts_out) lua_pushlightuserdata(L, parts_out);
    else lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &PARTS_KEY);
    tpl_record_spans(e, parts_out ? &parts_out->spans : NULL);
    bool ok = tpl_render(e, context_template_for(s, p), lua_gettop(L), what, out, dl);
    tpl_record_spans(e, NULL);
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &PARTS_KEY);
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &PAGE_KEY);
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &TEXT_KEY);
    lua_settop(L, top);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &REAL_KEY);
    lua_rawgeti(L, -1, (lua_Integer)p->index + 1);      /* stack: real t */
    lua_pushnil(L);
    lua_setfield(L, -2, "content");
    lua_pushnil(L);
    lua_setfield(L, -2, "toc");
    lua_settop(L, top);
    unload_pages(L);
    trim_page_cache(L);
    if (text_out) *text_out = text;
    else page_text_free(&text);
    return ok;
}
