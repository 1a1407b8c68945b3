/* linkcheck.c — link validation of built HTML: libxml2 SAX extraction, URL resolution as a
 * static host serves files, hash-set lookups, and the `check --html` folder walk. */
#include "linkcheck.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>

#include "arena.h"
#include "fsutil.h"
#include "strmap.h"
#include "util.h"

/* ---------------------------------------------------------------------------------------- */
/* Small text helpers                                                                       */

static bool is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Shortens b to n bytes, keeping buf_t's NUL terminator. */
static void buf_truncate(buf_t *b, size_t n)
{
    if (b->ptr && n <= b->len) {
        b->len = n;
        b->ptr[n] = '\0';
    }
}

static void buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n <= 0) return;
    buf_grow(b, (size_t)n);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

/* Decodes one UTF-8 sequence of s[0..n); returns its length, or 0 when it is not valid. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if ((s[0] & 0xE0) == 0xC0) { len = 2; c = s[0] & 0x1F; min = 0x80; }
    else if ((s[0] & 0xF0) == 0xE0) { len = 3; c = s[0] & 0x0F; min = 0x800; }
    else if ((s[0] & 0xF8) == 0xF0) { len = 4; c = s[0] & 0x07; min = 0x10000; }
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

/* Characters that do not show, or show as a plain space, and break a URL unnoticed. */
static bool is_invisible(uint32_t c)
{
    return c == 0xA0 || c == 0xAD || c == 0x34F || c == 0x61C || c == 0x180E ||
           (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
           (c >= 0x2060 && c <= 0x206F) || c == 0x3000 || c == 0xFEFF;
}

/* Appends s for a message: control bytes, invisible characters and invalid UTF-8 as %XX,
 * at most max bytes of s (then "..."). */
static void put_shown(buf_t *b, const char *str, size_t max)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    for (size_t i = 0; i < n;) {
        if (i >= max) {
            buf_puts(b, "...");
            return;
        }
        uint32_t cp = 0;
        size_t len = utf8_next(s + i, n - i, &cp);
        if (len == 0 || cp < 0x20 || cp == 0x7F || is_invisible(cp)) {
            size_t k = len ? len : 1;
            for (size_t j = 0; j < k; j++) buf_printf(b, "%%%02X", s[i + j]);
            i += k;
        } else {
            buf_put(b, s + i, len);
            i += len;
        }
    }
}

/* ---------------------------------------------------------------------------------------- */
/* URL pieces: percent-decoding, srcset, resolution                                          */

bool lc_percent_decode(const char *s, size_t n, buf_t *out)
{
    buf_grow(out, n);
    out->ptr[out->len] = '\0'; /* buf_grow leaves a new buffer unterminated */
    size_t i = 0;
    while (i < n) {
        const char *pct = memchr(s + i, '%', n - i);
        size_t span = pct ? (size_t)(pct - (s + i)) : n - i;
        buf_put(out, s + i, span);
        i += span;
        if (i >= n) break;
        int hi = i + 1 < n ? hex_value((unsigned char)s[i + 1]) : -1;
        int lo = i + 2 < n ? hex_value((unsigned char)s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return false;
        buf_putc(out, (char)(hi * 16 + lo));
        i += 3;
    }
    return true;
}

/* The HTML "parse a srcset attribute" descriptor tokeniser: returns where the candidate that
 * starts its descriptors at p ends (after its comma, or at the end). */
static const char *srcset_skip_descriptors(const char *p)
{
    enum { START, IN_DESCRIPTOR, IN_PARENS, AFTER } state = START;
    for (;; p++) {
        char c = *p;
        if (c == '\0') return p;
        switch (state) {
        case START:
            if (c == ',') return p + 1;
            if (!is_ws(c)) state = c == '(' ? IN_PARENS : IN_DESCRIPTOR;
            break;
        case IN_DESCRIPTOR:
            if (is_ws(c)) state = AFTER;
            else if (c == ',') return p + 1;
            else if (c == '(') state = IN_PARENS;
            break;
        case IN_PARENS:
            if (c == ')') state = IN_DESCRIPTOR;
            break;
        case AFTER:
            if (!is_ws(c)) {
                state = IN_DESCRIPTOR;
                p--; /* reconsume */
            }
            break;
        }
    }
}

size_t lc_srcset_split(const char *srcset, buf_t *out)
{
    size_t count = 0;
    const char *p = srcset;
    for (;;) {
        while (is_ws(*p) || *p == ',') p++;
        if (*p == '\0') return count;
        const char *url = p;
        while (*p && !is_ws(*p)) p++;
        size_t len = (size_t)(p - url);
        if (url[len - 1] == ',') {
            while (len > 0 && url[len - 1] == ',') len--;
        } else {
            p = srcset_skip_descriptors(p);
        }
        if (len > 0) {
            buf_put(out, url, len);
            buf_putc(out, '\0');
            count++;
        }
    }
}

static bool is_dot_segment(const char *s, size_t n)
{
    return (n == 1 && s[0] == '.') || (n == 3 && strncasecmp(s, "%2e", 3) == 0);
}

static bool is_dotdot_segment(const char *s, size_t n)
{
    if (n == 2) return s[0] == '.' && s[1] == '.';
    if (n == 4) return strncasecmp(s, ".%2e", 4) == 0 || strncasecmp(s, "%2e.", 4) == 0;
    return n == 6 && strncasecmp(s, "%2e%2e", 6) == 0;
}

/* Removes "." and ".." segments from the absolute path b[start..len) in place, as RFC 3986
 * 5.2.4 does; ".." at the root stays at the root. The result never grows. */
static void path_remove_dots(buf_t *b, size_t start)
{
    if (b->len <= start) return;
    char *s = b->ptr;
    size_t end = b->len, r = start, w = start;
    while (r < end) {
        size_t seg = r + 1;
        char *slash = memchr(s + seg, '/', end - seg);
        size_t q = slash ? (size_t)(slash - s) : end;
        size_t n = q - seg;
        bool last = q == end;
        if (is_dot_segment(s + seg, n)) {
            if (last) s[w++] = '/';
        } else if (is_dotdot_segment(s + seg, n)) {
            while (w > start && s[w - 1] != '/') w--;
            if (w > start) w--;
            if (last) s[w++] = '/';
        } else {
            memmove(s + w, s + r, n + 1);
            w += n + 1;
        }
        r = q;
    }
    if (w == start) s[w++] = '/';
    buf_truncate(b, w);
}

/* Length of "scheme://authority" at the start of url; 0 when url is a path. */
static size_t origin_length(const char *url)
{
    if (url[0] == '/') return 0;
    const char *colon = strchr(url, ':');
    if (!colon || colon[1] != '/' || colon[2] != '/') return 0;
    const char *p = colon + 3;
    return (size_t)(p + strcspn(p, "/?#") - url);
}

void lc_url_resolve(const char *base, const char *ref, buf_t *out)
{
    size_t olen = origin_length(base);
    const char *bpath = base + olen;
    size_t bplen = strcspn(bpath, "?#"), bqlen = strcspn(bpath + bplen, "#");
    size_t rplen = strcspn(ref, "?#");
    if (ref[0] == '/' && ref[1] == '/') {
        const char *colon = olen ? strchr(base, ':') : NULL;
        if (colon) buf_put(out, base, (size_t)(colon - base) + 1);
        else buf_puts(out, "https:");
        size_t alen = 2 + strcspn(ref + 2, "/?#");
        buf_put(out, ref, alen);
        ref += alen;
        rplen = strcspn(ref, "?#");
        if (rplen == 0) {
            buf_puts(out, ref);
            return;
        }
    } else {
        buf_put(out, base, olen);
    }
    size_t start = out->len;
    if (ref[0] == '/') {
        buf_put(out, ref, rplen);
    } else if (rplen == 0) {
        if (bplen) buf_put(out, bpath, bplen);
        else buf_putc(out, '/');
        if (ref[0] != '?') buf_put(out, bpath + bplen, bqlen);
        buf_puts(out, ref);
        return;
    } else {
        size_t dir = bplen;
        while (dir > 0 && bpath[dir - 1] != '/') dir--;
        if (dir) buf_put(out, bpath, dir);
        else buf_putc(out, '/');
        buf_put(out, ref, rplen);
    }
    path_remove_dots(out, start);
    buf_puts(out, ref + rplen);
}

/* ---------------------------------------------------------------------------------------- */
/* Pages: what the parser keeps                                                             */

enum { EL_A, EL_AREA, EL_LINK, EL_IMG, EL_SOURCE, EL_SCRIPT, EL_IFRAME, EL_VIDEO, EL_AUDIO,
       EL_EMBED, EL_META, EL_BASE, EL_OTHER };
static const char *const element_names[] = {"a", "area", "link", "img", "source", "script",
                                            "iframe", "video", "audio", "embed", "meta",
                                            "base", ""};

enum { AT_HREF, AT_SRC, AT_SRCSET, AT_POSTER, AT_CONTENT, AT_ID, AT_ALT, AT_NONE };
static const char *const attr_names[] = {"href", "src", "srcset", "poster", "content", "id",
                                         "alt", ""};

/* How a message names what holds the URL: "link to X", "image X" ... */
enum { NOUN_LINK, NOUN_IMAGE, NOUN_SCRIPT, NOUN_FRAME, NOUN_MEDIA, NOUN_REDIRECT };
static const char *const noun_before_url[] = {"link to", "image", "script", "frame", "media",
                                              "redirect to"};
static const char *const noun_alone[] = {"link", "image", "script", "frame", "media",
                                         "redirect"};

typedef enum {
    REC_LINK, REC_DUP_ID, REC_EMPTY_ID, REC_NO_ALT, REC_TOO_LARGE, REC_BAD_UTF8
} rec_kind;

/* One finding of the parser: a URL to check, or a problem of the page itself. 24 bytes. */
typedef struct rec {
    uint32_t str;  /* offset in the page's pool: the URL; for ids the id, then the tag name */
    int32_t line;
    int32_t aux;   /* REC_DUP_ID: line of the first element with the id */
    int32_t src_line, src_col; /* lc_page_map_sources; 0 when not set */
    uint8_t kind, element, attr, noun;
} rec;

#define REC_IGNORED 0x80 /* or-ed into noun: inside data-refpress-ignore */

struct lc_page {
    char *path;
    char *base;     /* <base href>, or NULL */
    buf_t pool;     /* NUL-separated strings */
    rec *recs;
    size_t nrecs, cap, nlinks;
    strmap *ids;    /* while parsing: id or <a name> -> (line + 1) << 1 | is_id */
    uint32_t *id_offs; /* once parsed: those ids (pool offsets), sorted, for fragments */
    size_t nids, capids;
    size_t settled; /* links to an id of this page, settled while parsing (settle_own) */
    size_t index;   /* in the site's page list */
    bool redirect;  /* carries <meta http-equiv=refresh> */
    bool linked;    /* another page links here (lc_site_check) */
};

static const char *clean_path(const char *path)
{
    for (;;) {
        if (path[0] == '/') path++;
        else if (path[0] == '.' && path[1] == '/') path += 2;
        else return path;
    }
}

static lc_page *page_new(const char *path)
{
    lc_page *p = xcalloc(1, sizeof *p);
    p->path = xstrdup(clean_path(path ? path : ""));
    p->ids = strmap_new();
    return p;
}

void lc_page_free(lc_page *page)
{
    if (!page) return;
    free(page->path);
    free(page->base);
    buf_free(&page->pool);
    free(page->recs);
    strmap_free(page->ids);
    free(page->id_offs);
    free(page);
}

static __thread const char *sort_pool; /* the pool whose offsets id_cmp compares */

static int id_cmp(const void *a, const void *b)
{
    return strcmp(sort_pool + *(const uint32_t *)a, sort_pool + *(const uint32_t *)b);
}

static bool page_has_id(const lc_page *p, const char *id)
{
    size_t lo = 0, hi = p->nids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->pool.ptr + p->id_offs[mid], id);
        if (c == 0) return true;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

/* Whether the link URL u is "#" and an id of p, written so that the check would find exactly
 * that id on p and nothing else to say: printable ASCII, no second '#', no query, no text
 * directive, and no <base href> to send it elsewhere. */
static bool is_own_fragment(const lc_page *p, const char *u)
{
    if (p->base || u[0] != '#' || !u[1]) return false;
    for (const char *c = u + 1; *c; c++)
        if (*c <= ' ' || *c >= 0x7F || *c == '#' || *c == '?') return false;
    return !strstr(u, ":~:") && page_has_id(p, u + 1);
}

/* Drops the links to ids of p itself (a table of contents is half the links of a reference
 * page): the rest of the site cannot change their outcome. They still count as checked. Then
 * the pool is written again with only the strings still used. */
static void settle_own(lc_page *p)
{
    size_t w = 0;
    for (size_t i = 0; i < p->nrecs; i++) {
        const rec *r = &p->recs[i];
        if (r->kind == REC_LINK && is_own_fragment(p, p->pool.ptr + r->str)) p->settled++;
        else p->recs[w++] = *r;
    }
    if (w == p->nrecs) return;
    p->nrecs = w;
    buf_t pool = BUF_INIT;
    for (size_t i = 0; i < p->nrecs; i++) {
        rec *r = &p->recs[i];
        const char *str = p->pool.ptr + r->str;
        size_t n = strlen(str) + 1;
        if (r->kind == REC_DUP_ID || r->kind == REC_EMPTY_ID) n += strlen(str + n) + 1; /* tag */
        r->str = (uint32_t)pool.len;
        buf_put(&pool, str, n);
    }
    for (size_t i = 0; i < p->nids; i++) {
        const char *id = p->pool.ptr + p->id_offs[i];
        p->id_offs[i] = (uint32_t)pool.len;
        buf_put(&pool, id, strlen(id) + 1);
    }
    buf_free(&p->pool);
    p->pool = pool;
}

/* Ends parsing: the ids become a sorted array in the pool, links to them from the page itself
 * are settled, and every array is cut to its size, since pages are kept until the whole site
 * is checked. */
static lc_page *page_seal(lc_page *p)
{
    strmap_free(p->ids);
    p->ids = NULL;
    sort_pool = p->pool.ptr;
    xsort(p->id_offs, p->nids, sizeof *p->id_offs, id_cmp);
    settle_own(p);
    if (p->nids) p->id_offs = xrealloc(p->id_offs, p->nids * sizeof *p->id_offs);
    if (p->nrecs) p->recs = xrealloc(p->recs, p->nrecs * sizeof *p->recs);
    p->capids = p->nids;
    p->cap = p->nrecs;
    if (p->pool.len) {
        p->pool.ptr = xrealloc(p->pool.ptr, p->pool.len + 1);
        p->pool.cap = p->pool.len + 1;
    }
    return p;
}

void lc_page_describe(const lc_page *page, buf_t *out)
{
    static const char *const kinds[] = {"link", "dup-id", "empty-id", "no-alt", "too-large",
                                        "bad-utf8"};
    for (size_t i = 0; i < page->nrecs; i++) {
        const rec *r = &page->recs[i];
        const char *str = page->pool.ptr + r->str;
        buf_printf(out, "%s %s %s %d %d %d %d %s", kinds[r->kind], element_names[r->element],
                   attr_names[r->attr], r->noun, r->line, r->aux, r->src_line, str);
        if (r->kind == REC_DUP_ID || r->kind == REC_EMPTY_ID)
            buf_printf(out, " <%s>", str + strlen(str) + 1);
        buf_putc(out, '\n');
    }
    buf_printf(out, "base %s\nredirect %d\nsettled %zu\n", page->base ? page->base : "-",
               page->redirect, page->settled);
    for (size_t i = 0; i < page->nids; i++)
        buf_printf(out, "id %s\n", page->pool.ptr + page->id_offs[i]);
}

const char *lc_page_path(const lc_page *page)
{
    return page->path;
}

size_t lc_page_link_count(const lc_page *page)
{
    return page->nlinks;
}

/* Adds s to the NUL-separated strings of pool and returns its offset. Offsets fit in 32 bits:
 * pages are at most INT_MAX bytes, and pools hold attribute values and tag names, which are
 * never longer than their source text. */
static uint32_t pool_add(buf_t *pool, const char *s)
{
    uint32_t off = (uint32_t)pool->len;
    buf_put(pool, s, strlen(s) + 1);
    return off;
}

static rec *rec_add(lc_page *p, rec_kind kind, const char *str, int line)
{
    xgrow(&p->recs, &p->cap, p->nrecs + 1, sizeof *p->recs);
    rec *r = &p->recs[p->nrecs++];
    *r = (rec){pool_add(&p->pool, str), line, 0, 0, 0, (uint8_t)kind, EL_OTHER, AT_NONE, NOUN_LINK};
    return r;
}

/* Trims ASCII whitespace around the URL s and drops tabs and newlines inside, as URL
 * parsers do; in place (the result is never longer). Returns its length. */
static size_t href_clean(char *s)
{
    size_t b = 0, n = strlen(s), w = 0;
    while (b < n && is_ws(s[b])) b++;
    while (n > b && is_ws(s[n - 1])) n--;
    for (size_t i = b; i < n; i++)
        if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r') s[w++] = s[i];
    s[w] = '\0';
    return w;
}

/* A link, its URL kept cleaned (href_clean): the only form the check and the source mapping
 * use. */
static void link_add(lc_page *p, int element, int attr, int noun, const char *url, int line,
                     bool ignored)
{
    rec *r = rec_add(p, REC_LINK, url, line);
    href_clean(p->pool.ptr + r->str);
    r->element = (uint8_t)element;
    r->attr = (uint8_t)attr;
    r->noun = (uint8_t)(noun | (ignored ? REC_IGNORED : 0));
    p->nlinks++;
}

/* A problem about an id: the id and then the tag name go to the pool. */
static void id_issue_add(lc_page *p, rec_kind kind, const char *id, const char *tag, int line,
                         int first)
{
    rec *r = rec_add(p, kind, id, line);
    pool_add(&p->pool, tag);
    r->attr = AT_ID;
    r->aux = first;
}

static void id_add(lc_page *p, const char *id, const char *tag, int line, bool is_id,
                   bool ignored)
{
    if (id[0] == '\0') {
        if (is_id && !ignored) id_issue_add(p, REC_EMPTY_ID, "", tag, line, 0);
        return;
    }
    uintptr_t v = ((uintptr_t)(line > 0 ? line : 0) + 1) << 1 | (is_id ? 1 : 0);
    uintptr_t old = (uintptr_t)strmap_get(p->ids, id);
    if (!old) {
        xgrow(&p->id_offs, &p->capids, p->nids + 1, sizeof *p->id_offs);
        p->id_offs[p->nids++] = pool_add(&p->pool, id);
    }
    if (!old || (is_id && !(old & 1))) strmap_put(p->ids, id, (void *)v);
    else if (is_id && !ignored) id_issue_add(p, REC_DUP_ID, id, tag, line, (int)(old >> 1) - 1);
}

/* ---------------------------------------------------------------------------------------- */
/* Parsing: libxml2's HTML parser with SAX callbacks, no document tree                       */

#define PART_TARGET "refpress-part" /* the processing instruction that marks a part */

typedef struct parse_state {
    lc_page *page;
    int depth;
    int ignore_depth; /* depth of the outermost data-*-ignore element open, or -1 */
    buf_t scratch;
    const lc_part *parts; /* lc_page_parse_parts: the parts left out, */
    size_t nparts, next;  /* and how many of them the parser has reached */
    bool unsure;          /* a part stood where its place may change what it holds */
} parse_state;

/* The attributes of one start tag that matter; NULL when absent, "" when valueless. */
typedef struct tag_attrs {
    const char *id, *name, *href, *src, *srcset, *poster, *rel, *property, *content, *equiv;
    bool alt, ignore;
} tag_attrs;

/* The element's number, or EL_OTHER. Most tags of a page are none of these (div, span, td,
 * path ...), so the first letter rules most out before any string is compared. */
static int element_of(const char *name)
{
    for (int i = 0; i < EL_OTHER; i++)
        if (name[0] == element_names[i][0] && strcmp(name, element_names[i]) == 0) return i;
    return EL_OTHER;
}

/* libxml2 gives attribute names in lower case; a switch on the first letter keeps the common
 * ones that matter to nobody here (class, style, aria-*, viewbox ...) to one comparison. */
static void attrs_collect(const xmlChar **atts, tag_attrs *a)
{
    memset(a, 0, sizeof *a);
    for (size_t i = 0; atts && atts[i]; i += 2) {
        const char *n = (const char *)atts[i];
        const char *v = atts[i + 1] ? (const char *)atts[i + 1] : "";
        switch (n[0]) {
        case 'a':
            if (strcmp(n, "alt") == 0) a->alt = true;
            break;
        case 'c':
            if (strcmp(n, "content") == 0) a->content = v;
            break;
        case 'd':
            if (strcmp(n, "data-refpress-ignore") == 0 || strcmp(n, "data-proofer-ignore") == 0)
                a->ignore = true;
            break;
        case 'h':
            if (strcmp(n, "href") == 0) a->href = v;
            else if (strcmp(n, "http-equiv") == 0) a->equiv = v;
            break;
        case 'i':
            if (strcmp(n, "id") == 0) a->id = v;
            break;
        case 'n':
            if (strcmp(n, "name") == 0) a->name = v;
            break;
        case 'p':
            if (strcmp(n, "poster") == 0) a->poster = v;
            else if (strcmp(n, "property") == 0) a->property = v;
            break;
        case 'r':
            if (strcmp(n, "rel") == 0) a->rel = v;
            break;
        case 's':
            if (strcmp(n, "src") == 0) a->src = v;
            else if (strcmp(n, "srcset") == 0) a->srcset = v;
            break;
        }
    }
}

/* Whether the space-separated list has the token (ASCII case-insensitive). */
static bool has_token(const char *list, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = list; p && *p;) {
        while (is_ws(*p)) p++;
        const char *t = p;
        while (*p && !is_ws(*p)) p++;
        if ((size_t)(p - t) == n && strncasecmp(t, token, n) == 0) return true;
    }
    return false;
}

/* The URL of <meta http-equiv=refresh content="5; url='/x/'">, per the HTML refresh steps;
 * NULL when it names none (a refresh of the page itself). Copied into out. */
static const char *refresh_url(const char *content, buf_t *out)
{
    const char *p = content;
    while (is_ws(*p)) p++;
    while (is_digit(*p) || *p == '.') p++;
    while (is_ws(*p)) p++;
    if (*p == ';' || *p == ',') p++;
    while (is_ws(*p)) p++;
    if (*p == '\0') return NULL;
    if (strncasecmp(p, "url", 3) == 0) {
        const char *q = p + 3;
        while (is_ws(*q)) q++;
        if (*q == '=') {
            p = q + 1;
            while (is_ws(*p)) p++;
        }
    }
    size_t n = strlen(p);
    if (*p == '"' || *p == '\'') {
        const char *close = strchr(p + 1, *p);
        n = close ? (size_t)(close - p - 1) : n - 1;
        p++;
    }
    buf_clear(out);
    buf_put(out, p, n);
    return out->ptr;
}

static void srcset_add(parse_state *st, int element, const char *srcset, int line, bool ign)
{
    buf_clear(&st->scratch);
    size_t n = lc_srcset_split(srcset, &st->scratch);
    if (n == 0) link_add(st->page, element, AT_SRCSET, NOUN_IMAGE, "", line, ign);
    for (size_t i = 0, off = 0; i < n; i++) {
        const char *url = st->scratch.ptr + off;
        link_add(st->page, element, AT_SRCSET, NOUN_IMAGE, url, line, ign);
        off += strlen(url) + 1;
    }
}

static void meta_add(parse_state *st, const tag_attrs *a, int line, bool ign)
{
    if (!a->content) return;
    if (a->property && strcasecmp(a->property, "og:image") == 0)
        link_add(st->page, EL_META, AT_CONTENT, NOUN_IMAGE, a->content, line, ign);
    if (a->equiv && strcasecmp(a->equiv, "refresh") == 0) {
        st->page->redirect = true;
        const char *url = refresh_url(a->content, &st->scratch);
        if (url) link_add(st->page, EL_META, AT_CONTENT, NOUN_REDIRECT, url, line, ign);
    }
}

static void links_add(parse_state *st, int el, const tag_attrs *a, int line, bool ign)
{
    lc_page *p = st->page;
    switch (el) {
    case EL_A:
    case EL_AREA:
        if (a->href) link_add(p, el, AT_HREF, NOUN_LINK, a->href, line, ign);
        break;
    case EL_LINK:
        if (a->href && !has_token(a->rel, "dns-prefetch") && !has_token(a->rel, "preconnect"))
            link_add(p, el, AT_HREF, NOUN_LINK, a->href, line, ign);
        break;
    case EL_IMG:
    case EL_SOURCE:
        if (el == EL_IMG && !a->alt && !ign) {
            rec *r = rec_add(p, REC_NO_ALT, a->src ? a->src : "", line);
            r->element = EL_IMG;
            r->attr = AT_ALT;
        }
        if (a->src)
            link_add(p, el, AT_SRC, el == EL_IMG ? NOUN_IMAGE : NOUN_MEDIA, a->src, line, ign);
        if (a->srcset) srcset_add(st, el, a->srcset, line, ign);
        break;
    case EL_VIDEO:
    case EL_AUDIO:
    case EL_EMBED:
    case EL_SCRIPT:
    case EL_IFRAME:
        if (el == EL_VIDEO && a->poster)
            link_add(p, el, AT_POSTER, NOUN_IMAGE, a->poster, line, ign);
        if (a->src) {
            int noun = el == EL_SCRIPT ? NOUN_SCRIPT : el == EL_IFRAME ? NOUN_FRAME : NOUN_MEDIA;
            link_add(p, el, AT_SRC, noun, a->src, line, ign);
        }
        break;
    case EL_META:
        meta_add(st, a, line, ign);
        break;
    case EL_BASE:
        if (a->href && !p->base) p->base = xstrdup(a->href);
        break;
    }
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    htmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;
    int depth = st->depth++;
    tag_attrs a;
    attrs_collect(atts, &a);
    if (st->ignore_depth < 0 && a.ignore) st->ignore_depth = depth;
    bool ignored = st->ignore_depth >= 0;
    int line = ctxt->input ? ctxt->input->line : 0;
    const char *tag = (const char *)name;
    int el = element_of(tag);
    if (a.id) id_add(st->page, a.id, tag, line, true, ignored);
    if (a.name && el == EL_A) id_add(st->page, a.name, tag, line, false, ignored);
    links_add(st, el, &a, line, ignored);
}

static void on_end(void *ctx, const xmlChar *name)
{
    htmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;
    (void)name;
    if (st->depth > 0) st->depth--;
    if (st->ignore_depth >= 0 && st->depth <= st->ignore_depth) st->ignore_depth = -1;
}

/* A part's marker, <?refpress-part K?>: adds part K's links and ids where it stood. Inside an
 * ignored element (or out of turn) the page is parsed again whole instead: there the parser
 * may have closed the ignored element before the part's first tag. */
static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    htmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;
    if (!st->parts || strcmp((const char *)target, PART_TARGET) != 0) return;
    char *end;
    unsigned long k = strtoul(data ? (const char *)data : "", &end, 10);
    if (k != st->next || end == (const char *)data || st->ignore_depth >= 0) {
        st->unsure = true;
        return;
    }
    const lc_part *part = &st->parts[st->next++];
    int line = ctxt->input ? ctxt->input->line : 0;
    for (size_t i = 0; i < part->nitems; i++) {
        const lc_part_item *it = &part->items[i];
        int at = line + it->line;
        switch (it->kind) {
        case LC_PART_LINK: link_add(st->page, EL_A, AT_HREF, NOUN_LINK, it->str, at, false); break;
        case LC_PART_IMAGE:
            link_add(st->page, EL_IMG, AT_SRC, NOUN_IMAGE, it->str, at, false);
            break;
        case LC_PART_ID: id_add(st->page, it->str, it->tag, at, true, false); break;
        }
    }
}

/* Whether the page declares an encoding other than UTF-8 (a UTF-16 byte-order mark, or a
 * charset in its first 1024 bytes, where the HTML prescan looks). Pages that declare
 * nothing are read as UTF-8, which libxml2 2.9 would otherwise read as Latin-1. */
static bool declares_other_charset(const char *html, size_t len)
{
    const unsigned char *u = (const unsigned char *)html;
    if (len >= 2 && ((u[0] == 0xFE && u[1] == 0xFF) || (u[0] == 0xFF && u[1] == 0xFE)))
        return true;
    size_t n = len < 1024 ? len : 1024;
    for (size_t i = 0; i + 7 <= n; i++) {
        if (strncasecmp(html + i, "charset", 7) != 0) continue;
        size_t j = i + 7;
        while (j < n && is_ws(html[j])) j++;
        if (j >= n || html[j] != '=') continue;
        j++;
        while (j < n && (is_ws(html[j]) || html[j] == '"' || html[j] == '\'')) j++;
        if (j + 4 <= n && strncasecmp(html + j, "utf8", 4) == 0) return false;
        if (j + 5 <= n && strncasecmp(html + j, "utf-8", 5) == 0) return false;
        return true;
    }
    return false;
}

/* NULL when html can go to libxml2 as it is; otherwise a copy (caller frees, *len updated)
 * with NUL bytes and, for UTF-8 pages, invalid UTF-8 replaced by U+FFFD, as an HTML decoder
 * reads them: libxml2 2.9 would stop at a NUL, and switch to Latin-1 for the rest of the page
 * at the first invalid byte. *bad_line: the line of the first invalid byte, or 0. */
static char *sanitized_copy(const char *html, size_t *len, bool utf8, int *bad_line)
{
    size_t n = *len;
    if (!memchr(html, '\0', n) && (!utf8 || utf8_valid(html, n, NULL))) return NULL;
    buf_t b = BUF_INIT;
    buf_grow(&b, n + 16);
    int line = 1;
    const unsigned char *u = (const unsigned char *)html;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = u[i] == 0 ? 0 : !utf8 || u[i] < 0x80 ? 1 : utf8_next(u + i, n - i, &cp);
        if (k == 0) {
            if (u[i] != 0 && !*bad_line) *bad_line = line;
            buf_puts(&b, "\xEF\xBF\xBD");
            i++;
            continue;
        }
        if (u[i] == '\n') line++;
        buf_put(&b, html + i, k);
        i += k;
    }
    *len = b.len;
    return buf_detach(&b);
}

/* libxml2's memory. While it parses a page, libxml2 allocates and frees a block for about
 * every attribute and name, and grows every attribute value with realloc (2.9 starts each at
 * 100 bytes and grows it on the first byte): a tenth of its instructions went to malloc,
 * realloc and free. During a page's parse (parsing is set) its blocks come from an arena of
 * the thread instead, dropped when the parse ends; nothing libxml2 allocates then outlives
 * the parse (the parser's context and dictionary are freed, and the thread's last error is
 * reset before the arena). Outside one (xmlInitParser, the external checker's parse of the
 * pages it fetches) blocks come from malloc. Blocks from malloc are told from arena blocks
 * by their address. */
static __thread arena xml_arena;
static __thread bool parsing;

static void *xml_malloc(size_t size)
{
    return parsing ? arena_alloc(&xml_arena, size) : malloc(size);
}

static void *xml_realloc(void *p, size_t size)
{
    if (!p) return xml_malloc(size);
    if (arena_owns(&xml_arena, p)) return arena_realloc(&xml_arena, p, size); /* this parse's */
    return realloc(p, size);
}

static void xml_free(void *p)
{
    if (p && !arena_owns(&xml_arena, p)) free(p);
}

static char *xml_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xml_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libxml(void)
{
    xmlMemSetup(xml_free, xml_malloc, xml_realloc, xml_strdup);
    xmlInitParser();
}

void lc_global_init(void)
{
    pthread_once(&init_once, init_libxml);
}

/* Ends the parse: what libxml2 took from the arena goes. */
static void parse_done(void)
{
    xmlResetLastError(); /* its strings are in the arena */
    parsing = false;
    arena_reset(&xml_arena);
}

/* Runs libxml2's HTML parser over html[0..len) (read as UTF-8 when utf8) with only the
 * callbacks of cb, and st as the context's _private; its blocks come from the thread's arena. */
static void sax_parse(const char *html, size_t len, bool utf8, const xmlSAXHandler *cb, void *st)
{
    parsing = true;
    htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(html, (int)len);
    if (ctxt) {
        *ctxt->sax = *cb;
        ctxt->_private = st;
        if (utf8) xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
        htmlCtxtUseOptions(ctxt, HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
        htmlParseDocument(ctxt);
        if (ctxt->myDoc) xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = NULL;
        htmlFreeParserCtxt(ctxt);
    }
    parse_done();
}

/* lc_page_parse, and with parts the parse of a page whose parts are left out (see
 * lc_page_parse_parts); NULL then when a part was not met in its place. */
static lc_page *parse(const char *html, size_t len, const char *path, const lc_part *parts,
                      size_t nparts)
{
    lc_global_init();
    lc_page *p = page_new(path);
    if (!html || len == 0) return page_seal(p);
    bool utf8 = !declares_other_charset(html, len);
    int bad_line = 0;
    char *copy = len > INT_MAX ? NULL : sanitized_copy(html, &len, utf8, &bad_line);
    if (copy) html = copy;
    if (bad_line) rec_add(p, REC_BAD_UTF8, "", bad_line);
    if (len > INT_MAX) {
        free(copy);
        rec_add(p, REC_TOO_LARGE, "", 0);
        return page_seal(p);
    }
    parse_state st = {p, 0, -1, BUF_INIT, parts, nparts, 0, false};
    xmlSAXHandler cb = {0}; /* no tree: only our callbacks */
    cb.startElement = on_start;
    cb.endElement = on_end;
    cb.processingInstruction = on_pi;
    sax_parse(html, len, utf8, &cb, &st);
    buf_free(&st.scratch);
    free(copy);
    if (parts && (st.unsure || st.next != nparts)) {
        lc_page_free(p);
        return NULL;
    }
    return page_seal(p);
}

lc_page *lc_page_parse(const char *html, size_t len, const char *path)
{
    return parse(html, len, path, NULL, 0);
}

lc_page *lc_page_parse_parts(const char *html, size_t len, const char *path,
                             const lc_part *parts, size_t nparts)
{
    if (nparts == 0 || !html) return lc_page_parse(html, len, path);
    buf_t b = BUF_INIT;
    size_t at = 0;
    for (size_t k = 0; k < nparts; k++) {
        const lc_part *part = &parts[k];
        if (part->off < at || part->off > len || part->len > len - part->off) {
            buf_free(&b);
            return lc_page_parse(html, len, path);
        }
        buf_put(&b, html + at, part->off - at);
        buf_puts(&b, "<?" PART_TARGET " ");
        buf_put_int(&b, (long long)k);
        buf_puts(&b, "?>");
        size_t nl = count_newlines(html + part->off, html + part->off + part->len);
        buf_grow(&b, nl); /* its newlines: the lines after it keep their numbers */
        memset(b.ptr + b.len, '\n', nl);
        b.len += nl;
        b.ptr[b.len] = '\0';
        at = part->off + part->len;
    }
    buf_put(&b, html + at, len - at);
    lc_page *p = parse(b.ptr, b.len, path, parts, nparts);
    buf_free(&b);
    return p ? p : lc_page_parse(html, len, path);
}

/* ---------------------------------------------------------------------------------------- */
/* Pieces: template output met again, read alone once                                        */

#define PIECE_MIN 64           /* bytes: shorter pieces are not worth a lookup */
#define PIECE_MAX (32 * 1024)  /* longer ones (whole pages under a layout) never repeat */
#define PIECE_SLOTS 8192       /* the table is emptied before it is half full, */
#define PIECE_BYTES (4 << 20)  /* or when the pieces read alone take this much */
#define PIECE_DEPTH 3          /* the wrapper's elements: html, body, div */
#define PIECE_END "refpress-piece-end"

/* A piece read alone and usable as a part, with its items and its bytes (to tell it from
 * another piece with the same hash). One block: this, the items, the bytes, the strings of
 * the items. */
typedef struct piece {
    size_t size;  /* of the block */
    size_t nitems;
    lc_part_item *items;
    char *bytes;
} piece;

static piece unusable_piece; /* read alone, and not usable */

typedef struct piece_slot {
    uint64_t key;  /* 0: empty */
    uint32_t len;
    uint32_t seen; /* how many times its bytes were met (up to 2) */
    piece *p;      /* once read alone */
} piece_slot;

struct lc_piece_cache {
    piece_slot *slots;
    size_t used, bytes;
};

lc_piece_cache *lc_piece_cache_new(void)
{
    lc_piece_cache *c = xcalloc(1, sizeof *c);
    c->slots = xcalloc(PIECE_SLOTS, sizeof *c->slots);
    return c;
}

static void piece_cache_free_pieces(lc_piece_cache *c)
{
    for (size_t i = 0; i < PIECE_SLOTS; i++)
        if (c->slots[i].p != &unusable_piece) free(c->slots[i].p);
}

static void piece_cache_clear(lc_piece_cache *c)
{
    piece_cache_free_pieces(c);
    memset(c->slots, 0, PIECE_SLOTS * sizeof *c->slots);
    c->used = c->bytes = 0;
}

void lc_piece_cache_free(lc_piece_cache *c)
{
    if (!c) return;
    piece_cache_free_pieces(c);
    free(c->slots);
    free(c);
}

/* A hash of s[0..n) eight bytes at a time; never 0. Pieces found by it are compared byte for
 * byte before they are used, so a collision costs a lookup, never a wrong part. */
static uint64_t piece_hash(const char *s, size_t n)
{
    const uint64_t k = 0x517CC1B727220A95ULL;
    uint64_t h = n * 0x9E3779B97F4A7C15ULL, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (((h << 5) | (h >> 59)) ^ w) * k;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (((h << 5) | (h >> 59)) ^ w) * k;
    h ^= h >> 29;
    return h ? h : 1;
}

/* The slot of the piece key of len bytes, added when new; NULL when the table is full. */
static piece_slot *piece_slot_of(lc_piece_cache *c, uint64_t key, size_t len)
{
    size_t i = (size_t)key & (PIECE_SLOTS - 1);
    while (c->slots[i].key && (c->slots[i].key != key || c->slots[i].len != len))
        i = (i + 1) & (PIECE_SLOTS - 1);
    piece_slot *sl = &c->slots[i];
    if (!sl->key) {
        if (c->used >= PIECE_SLOTS / 2) return NULL;
        c->used++;
        *sl = (piece_slot){key, (uint32_t)len, 0, NULL};
    }
    return sl;
}

/* The parse of a piece alone: its items, and whether anything makes it unusable. */
typedef struct piece_state {
    int depth;              /* elements open, the wrapper's included */
    bool ended, unusable;   /* the end marker was met with the piece closed; a reason not */
    const xmlChar *last;    /* the element of the last event if it was a start, else NULL */
    unsigned long last_at;  /* and where the parser stood then */
    lc_part_item *items;    /* str and tag hold offsets in pool until the piece is made */
    size_t nitems, cap;
    buf_t pool;
} piece_state;

/* Where the parser stands: bytes from the start of the input. */
static unsigned long piece_at(htmlParserCtxtPtr ctxt)
{
    return ctxt->input->consumed + (unsigned long)(ctxt->input->cur - ctxt->input->base);
}

static void piece_item(htmlParserCtxtPtr ctxt, lc_part_kind kind, const char *str,
                       const char *tag)
{
    piece_state *st = ctxt->_private;
    xgrow(&st->items, &st->cap, st->nitems + 1, sizeof *st->items);
    lc_part_item *it = &st->items[st->nitems++];
    it->kind = kind;
    it->str = (const char *)(uintptr_t)pool_add(&st->pool, str);
    it->tag = (const char *)(uintptr_t)pool_add(&st->pool, tag);
    it->line = ctxt->input->line - 1; /* the piece starts on line 1 */
}

/* A piece may hold elements of every kind, but only three kinds of items: <a href>, <img src
 * alt> and ids (lc_part_item), outside any data-*-ignore element. */
static void piece_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    htmlParserCtxtPtr ctxt = ctx;
    piece_state *st = ctxt->_private;
    st->ended = false;
    st->last = name;
    st->last_at = piece_at(ctxt);
    if (st->depth++ < PIECE_DEPTH) return;
    tag_attrs a;
    attrs_collect(atts, &a);
    int el = element_of((const char *)name);
    if (a.ignore || (el != EL_A && el != EL_IMG && el != EL_OTHER) || (el == EL_A && a.name) ||
        (el == EL_IMG && (!a.src || !a.alt || a.srcset))) {
        st->unusable = true;
        return;
    }
    if (a.id) piece_item(ctxt, LC_PART_ID, a.id, (const char *)name);
    if (el == EL_A && a.href) piece_item(ctxt, LC_PART_LINK, a.href, "");
    if (el == EL_IMG) piece_item(ctxt, LC_PART_IMAGE, a.src, "");
}

/* Whether the input just before the parser holds the end tag of name, as in "</Name >". */
static bool piece_end_tag_before(htmlParserCtxtPtr ctxt, const xmlChar *name)
{
    const xmlChar *cur = ctxt->input->cur, *base = ctxt->input->base;
    size_t n = strlen((const char *)name);
    if (cur - base < 1 || cur[-1] != '>') return false;
    cur--;
    while (cur > base && is_ws(cur[-1])) cur--;
    if ((size_t)(cur - base) < n + 2) return false;
    cur -= n;
    return cur[-2] == '<' && cur[-1] == '/' &&
           strncasecmp((const char *)cur, (const char *)name, n) == 0;
}

/* Every element of the piece must end where the piece says so: at its own end tag, or, for a
 * void element (<img>) or one written <x/>, right after its start tag. An end that the parser
 * implies (a <p> closed by a <div>, an element left open, a stray end tag closing the
 * wrapper) depends on where the piece stands, and makes the piece unusable. */
static void piece_end(void *ctx, const xmlChar *name)
{
    htmlParserCtxtPtr ctxt = ctx;
    piece_state *st = ctxt->_private;
    bool at_once = st->last == name && piece_at(ctxt) - st->last_at <= 2 &&
                   ctxt->input->cur[-1] == '>';
    st->last = NULL;
    st->depth--;
    if (st->ended) return; /* the wrapper, closed at the end of the input */
    if (st->depth < PIECE_DEPTH || (!at_once && !piece_end_tag_before(ctxt, name)))
        st->unusable = true;
}

/* The marker after the piece: met as a processing instruction with the piece closed, it shows
 * that the piece left no comment, tag, attribute value or <script> open. */
static void piece_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    htmlParserCtxtPtr ctxt = ctx;
    piece_state *st = ctxt->_private;
    (void)data;
    st->last = NULL;
    st->ended = st->depth == PIECE_DEPTH && strcmp((const char *)target, PIECE_END) == 0;
}

/* Errors: only a tag HTML 4 does not know (nav, svg ...) is allowed; the parser reads those
 * the same anywhere. Any other error (a misplaced <body>, an end tag with nothing to end, a
 * bare '&') is a sign that the piece reads differently in other places. */
static void piece_error(void *ud, xmlErrorPtr err)
{
    htmlParserCtxtPtr ctxt = ud;
    piece_state *st = ctxt->_private;
    if (err->code != XML_HTML_UNKNOWN_TAG) st->unusable = true;
}

/* Reads html[0..len) alone, inside <html><body><div>, and makes it a piece; &unusable_piece
 * when libxml2 might read it otherwise in some other place of a page, when it holds something
 * a part cannot say (a <link>, a <script src>, an image without alt text, <a name>, a
 * data-*-ignore element) or bytes that are not UTF-8. */
static piece *piece_read(const char *html, size_t len)
{
    static const char head[] = "<html><body><div>", tail[] = "<?" PIECE_END " ?>";
    if (memchr(html, '\0', len) || !utf8_valid(html, len, NULL)) return &unusable_piece;
    buf_t in = BUF_INIT;
    buf_puts(&in, head);
    buf_put(&in, html, len);
    buf_puts(&in, tail);
    lc_global_init();
    piece_state st = {0, false, false, NULL, 0, NULL, 0, 0, BUF_INIT};
    xmlSAXHandler cb = {0};
    cb.initialized = XML_SAX2_MAGIC; /* so that serror is called */
    cb.startElement = piece_start;
    cb.endElement = piece_end;
    cb.processingInstruction = piece_pi;
    cb.serror = piece_error;
    sax_parse(in.ptr, in.len, true, &cb, &st);
    buf_free(&in);
    piece *p = &unusable_piece;
    if (st.ended && !st.unusable) {
        size_t items = st.nitems * sizeof *st.items, size = sizeof *p + items + len + st.pool.len;
        p = xmalloc(size);
        *p = (piece){size, st.nitems, (lc_part_item *)(void *)(p + 1), NULL};
        if (items) memcpy(p->items, st.items, items);
        p->bytes = (char *)(p->items + st.nitems);
        memcpy(p->bytes, html, len);
        char *pool = p->bytes + len;
        if (st.pool.len) memcpy(pool, st.pool.ptr, st.pool.len);
        for (size_t i = 0; i < p->nitems; i++) {
            p->items[i].str = pool + (uintptr_t)p->items[i].str;
            p->items[i].tag = pool + (uintptr_t)p->items[i].tag;
        }
    }
    free(st.items);
    buf_free(&st.pool);
    return p;
}

size_t lc_piece_parts(lc_piece_cache *c, const char *html, size_t len, const lc_part *pieces,
                      size_t n, lc_part *out)
{
    if (declares_other_charset(html, len)) return 0; /* pieces are read as UTF-8 */
    if (c->used >= PIECE_SLOTS / 2 || c->bytes >= PIECE_BYTES) piece_cache_clear(c);
    piece_slot **at = xcalloc(n ? n : 1, sizeof *at);
    for (size_t i = 0; i < n; i++) { /* first count them all: a piece met twice on one page */
        size_t plen = pieces[i].len;
        if (plen < PIECE_MIN || plen > PIECE_MAX || plen > len || pieces[i].off > len - plen)
            continue;
        const char *s = html + pieces[i].off;
        at[i] = piece_slot_of(c, piece_hash(s, plen), plen);
        if (at[i] && at[i]->seen < 2) at[i]->seen++;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        piece_slot *sl = at[i];
        if (!sl || sl->seen < 2) continue;
        const char *s = html + pieces[i].off;
        if (!sl->p) {
            sl->p = piece_read(s, sl->len);
            c->bytes += sl->p->size;
        }
        if (sl->p == &unusable_piece || memcmp(sl->p->bytes, s, sl->len) != 0) continue;
        out[k++] = (lc_part){pieces[i].off, sl->len, sl->p->items, sl->p->nitems};
    }
    free(at);
    return k;
}

/* ---------------------------------------------------------------------------------------- */
/* The site: hash sets of files, folders and pages                                          */

struct lc_site {
    strmap *files;  /* path -> its lc_page, or &file_marker */
    strmap *dirs;   /* folder path ("tech/go") -> &file_marker */
    lc_page **pages;
    size_t npages, cap;
};

static char file_marker;

lc_site *lc_site_new(void)
{
    lc_site *s = xcalloc(1, sizeof *s);
    s->files = strmap_new();
    s->dirs = strmap_new();
    return s;
}

void lc_site_free(lc_site *site)
{
    if (!site) return;
    for (size_t i = 0; i < site->npages; i++) lc_page_free(site->pages[i]);
    free(site->pages);
    strmap_free(site->files);
    strmap_free(site->dirs);
    free(site);
}

/* Records every folder above path, deepest first, stopping at one already known. */
static void dirs_add(lc_site *s, const char *path)
{
    char *dir = xstrdup(path);
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash) break;
        *slash = '\0';
        if (strmap_get(s->dirs, dir)) break;
        strmap_put(s->dirs, dir, &file_marker);
    }
    free(dir);
}

void lc_site_add_file(lc_site *site, const char *path)
{
    path = clean_path(path);
    if (strmap_get(site->files, path)) return;
    strmap_put(site->files, path, &file_marker);
    dirs_add(site, path);
}

void lc_site_add_page(lc_site *site, lc_page *page)
{
    lc_page *old = strmap_put(site->files, page->path, page);
    if (old && old != (lc_page *)(void *)&file_marker) {
        page->index = old->index;
        site->pages[page->index] = page;
        lc_page_free(old);
        return;
    }
    xgrow(&site->pages, &site->cap, site->npages + 1, sizeof *site->pages);
    page->index = site->npages;
    site->pages[site->npages++] = page;
    dirs_add(site, page->path);
}

/* The parsed page at path, or NULL (no file, or a file that is not a parsed page). */
static lc_page *site_page(const lc_site *s, const char *path)
{
    void *v = strmap_get(s->files, path);
    return v == (void *)&file_marker ? NULL : v;
}

static bool site_has(const lc_site *s, const char *path)
{
    return strmap_get(s->files, path) != NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Options: base URL and maps, normalised                                                   */

typedef struct map_rule {
    char *prefix;   /* ends with '/': "/docs/", or "https://cdn.example.org/static/" */
    size_t plen;
    char *path;     /* folder in the site: "" (the root) or "assets/" */
    bool is_url;
} map_rule;

/* Checks an absolute http(s) URL (scheme already known to be http or https, any case).
 * Returns NULL when well-formed, "" when malformed for no nameable reason, or the reason. */
static const char *http_url_problem(const char *url)
{
    const char *colon = strchr(url, ':');
    size_t pre = strcspn(url, "?#");
    if (memchr(url, '\\', pre)) return "backslash";
    if (colon[1] != '/' || colon[2] != '/') return "";
    const char *auth = colon + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@') at = auth + i;
    const char *host = at ? at + 1 : auth;
    size_t hlen = (size_t)(auth + alen - host), port = hlen;
    if (hlen > 0 && host[0] == '[') {
        const char *close = memchr(host, ']', hlen);
        if (!close) return "stray bracket";
        port = (size_t)(close - host) + 1;
        if (port < hlen && host[port] != ':') return "bad host";
    } else {
        const char *c = memchr(host, ':', hlen);
        if (c) port = (size_t)(c - host);
        if (port == 0) return "no host";
        for (size_t i = 0; i < port; i++) {
            unsigned char ch = (unsigned char)host[i];
            if (ch == '[' || ch == ']') return "stray bracket";
            if (!(is_alpha(ch) || is_digit(ch) || ch >= 0x80 || strchr("-._~%", ch)))
                return "bad host";
        }
    }
    if (port < hlen) {
        if (hlen - port - 1 > 5) return "bad port";
        for (size_t i = port + 1; i < hlen; i++)
            if (!is_digit(host[i])) return "bad port";
        if (hlen - port > 1 && strtol(host + port + 1, NULL, 10) > 65535) return "bad port";
    }
    const char *path = auth + alen;
    size_t plen = strcspn(path, "?#");
    if (memchr(path, '[', plen) || memchr(path, ']', plen)) return "stray bracket";
    return NULL;
}

static bool is_http_scheme(const char *s)
{
    return strncasecmp(s, "http:", 5) == 0 || strncasecmp(s, "https:", 6) == 0;
}

/* Appends url's "scheme://authority" in lower case; returns its length in url. */
static size_t put_origin_lower(buf_t *out, const char *url)
{
    size_t n = origin_length(url);
    for (size_t i = 0; i < n; i++) {
        char c = url[i];
        buf_putc(out, c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
    }
    return n;
}

/* "https://Example.org/docs" -> "https://example.org/docs/"; false when not http(s). */
static bool normalise_url_prefix(const char *url, buf_t *out)
{
    if (!is_http_scheme(url) || http_url_problem(url) || url[strcspn(url, "?#")]) return false;
    size_t n = put_origin_lower(out, url);
    buf_puts(out, url[n] ? url + n : "/");
    if (out->ptr[out->len - 1] != '/') buf_putc(out, '/');
    return true;
}

/* "/docs" -> "/docs/"; "." "" "/" "./" -> ""; "sub" -> "sub/"; false on ".." or "//". */
static bool normalise_folder(const char *path, buf_t *out)
{
    path = clean_path(path);
    if (strcmp(path, ".") == 0) path = "";
    buf_puts(out, path);
    if (out->len && out->ptr[out->len - 1] != '/') buf_putc(out, '/');
    const char *s = out->ptr ? out->ptr : "";
    return !strstr(s, "//") && strncmp(s, "../", 3) != 0 && !strstr(s, "/../");
}

static bool map_rule_make(const char *prefix, const char *path, map_rule *m)
{
    buf_t p = BUF_INIT, f = BUF_INIT;
    bool ok;
    if (prefix[0] == '/') {
        buf_puts(&p, prefix);
        if (p.ptr[p.len - 1] != '/') buf_putc(&p, '/');
        ok = !strchr(prefix, '?') && !strchr(prefix, '#');
        m->is_url = false;
    } else {
        ok = normalise_url_prefix(prefix, &p);
        m->is_url = true;
    }
    ok = ok && normalise_folder(path, &f);
    m->plen = p.len;
    m->prefix = buf_detach(&p);
    m->path = buf_detach(&f);
    if (!ok) {
        free(m->prefix);
        free(m->path);
    }
    return ok;
}

char *lc_options_error(const lc_options *opt)
{
    if (!opt) return NULL;
    if (opt->base_url) {
        buf_t b = BUF_INIT;
        bool ok = normalise_url_prefix(opt->base_url, &b);
        buf_free(&b);
        if (!ok)
            return xasprintf("--base-url %s: not an http(s) URL with a host and no query",
                             opt->base_url);
    }
    for (size_t i = 0; i < opt->nmaps; i++) {
        map_rule m;
        const lc_map *x = &opt->maps[i];
        if (!x->prefix || !x->path || !map_rule_make(x->prefix, x->path, &m))
            return xasprintf("--map %s=%s: the prefix must be a path starting with / or an "
                             "http(s) URL, and the path a folder inside the site",
                             x->prefix ? x->prefix : "", x->path ? x->path : "");
        free(m.prefix);
        free(m.path);
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Checking                                                                                 */

typedef struct checker {
    lc_site *site;
    const lc_options *opt;
    lc_locate_fn locate;
    void *ud;
    diag_list out;
    lc_stats st;
    char *origin;            /* the base URL's "https://example.org", lower case, or NULL */
    char *base_path;         /* its path: "/" or "/blog/" */
    map_rule *maps;          /* path rules (one for "/" unless the root is claimed), URL rules */
    size_t nmaps;
    const char *root_prefix; /* the prefix given for the root folder, or NULL */
    lc_page *page;           /* being checked */
    const rec *rec;          /* being checked */
    bool quiet;              /* the URL is ignored: resolve it for orphans, report nothing */
    buf_t page_url, base, href, abs, canon, file, key, frag, msg, s1, s2;
    buf_t note;              /* what the locate callback adds to a message */
    lc_external_fn external; /* lc_site_each_external's callback, or NULL */
    void *external_ud;
} checker;

static void checker_add_rule(checker *c, const char *prefix, const char *path)
{
    if (map_rule_make(prefix, path, &c->maps[c->nmaps])) c->nmaps++;
}

static void checker_setup(checker *c)
{
    const lc_options *o = c->opt;
    buf_t b = BUF_INIT;
    if (o && o->base_url && normalise_url_prefix(o->base_url, &b)) {
        size_t n = origin_length(b.ptr);
        c->origin = xstrndup(b.ptr, n);
        c->base_path = xstrdup(b.ptr + n);
    }
    buf_free(&b);
    size_t given = o ? o->nmaps : 0;
    c->maps = xcalloc(given + 2, sizeof *c->maps);
    for (size_t i = 0; i < given; i++)
        if (o->maps[i].prefix && o->maps[i].path)
            checker_add_rule(c, o->maps[i].prefix, o->maps[i].path);
    bool base_mapped = false;
    for (size_t i = 0; i < c->nmaps; i++)
        if (c->base_path && !c->maps[i].is_url && strcmp(c->maps[i].prefix, c->base_path) == 0)
            base_mapped = true;
    if (c->base_path && strcmp(c->base_path, "/") != 0 && !base_mapped)
        checker_add_rule(c, c->base_path, "");
    for (size_t i = 0; i < c->nmaps && !c->root_prefix; i++)
        if (!c->maps[i].is_url && c->maps[i].path[0] == '\0') c->root_prefix = c->maps[i].prefix;
    if (!c->root_prefix) checker_add_rule(c, "/", "");
}

static void checker_free(checker *c)
{
    free(c->origin);
    free(c->base_path);
    for (size_t i = 0; i < c->nmaps; i++) {
        free(c->maps[i].prefix);
        free(c->maps[i].path);
    }
    free(c->maps);
    buf_t *bufs[] = {&c->page_url, &c->base, &c->href, &c->abs, &c->canon, &c->file, &c->key,
                     &c->frag, &c->msg, &c->s1, &c->s2, &c->note};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) buf_free(bufs[i]);
    diag_list_free(&c->out);
}

/* Appends the URL path that serves file (the maps read backwards). encode: as a URL, with
 * % ? # spaces and control bytes escaped; otherwise as text for messages. */
static void url_of_file(const checker *c, const char *file, buf_t *out, bool encode)
{
    const map_rule *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < c->nmaps; i++) {
        const map_rule *m = &c->maps[i];
        size_t n = strlen(m->path);
        if (m->is_url || strncmp(file, m->path, n) != 0 || (best && n <= best_len)) continue;
        best = m;
        best_len = n;
    }
    buf_puts(out, best ? best->prefix : "/");
    const char *rest = file + best_len;
    if (!encode) {
        buf_puts(out, rest);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)rest; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#' || *p <= 0x20 || *p == 0x7F)
            buf_printf(out, "%%%02X", *p);
        else buf_putc(out, (char)*p);
    }
}

/* A page's address for messages: "/tech/rust/" for tech/rust/index.html. */
static const char *page_shown(checker *c, const char *file, buf_t *out)
{
    buf_clear(out);
    url_of_file(c, file, out, false);
    if (str_ends_with(out->ptr, "/index.html")) buf_truncate(out, out->len - 10);
    return out->ptr;
}

static void report(checker *c, diag_severity sev, const lc_link *l)
{
    const char *file = l->page;
    int line = l->html_line, col = 0;
    buf_clear(&c->note);
    if (c->locate) c->locate(c->ud, l, &file, &line, &col, &c->note);
    diag_add(&c->out, sev, file ? file : l->page, line, col, "%s%s%s%s",
             c->msg.ptr ? c->msg.ptr : "", c->note.len ? " (" : "", buf_cstr(&c->note),
             c->note.len ? ")" : "");
}

/* Reports about the current URL: "[link to ]URL: " and the rest; nothing when quiet. */
static void problem(checker *c, diag_severity sev, bool noun, const char *url, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));
static void problem(checker *c, diag_severity sev, bool noun, const char *url, const char *fmt,
                    ...)
{
    if (c->quiet) return;
    const rec *r = c->rec;
    buf_clear(&c->msg);
    if (noun) {
        buf_puts(&c->msg, noun_before_url[r->noun & ~REC_IGNORED]);
        buf_putc(&c->msg, ' ');
    }
    put_shown(&c->msg, url, 200);
    buf_puts(&c->msg, ": ");
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&c->msg, fmt, ap);
    va_end(ap);
    lc_link l = {url, c->page->path, r->line, element_names[r->element], attr_names[r->attr],
                 r->src_line, r->src_col};
    report(c, sev, &l);
}

static void malformed(checker *c, const char *url, const char *why)
{
    if (why) problem(c, DIAG_ERROR, true, url, "malformed URL (%s)", why);
    else problem(c, DIAG_ERROR, true, url, "malformed URL");
}

static const char *shown(buf_t *b, const char *s)
{
    buf_clear(b);
    put_shown(b, s, 200);
    return b->ptr ? b->ptr : "";
}

static bool ignored_by_pattern(const checker *c, const char *url)
{
    const lc_options *o = c->opt;
    for (size_t i = 0; o && i < o->nignore; i++) {
        const char *pat = o->ignore[i];
        if (!pat || !*pat) continue;
        if (strpbrk(pat, "*?[") ? fnmatch(pat, url, 0) == 0 : strstr(url, pat) != NULL)
            return true;
    }
    return false;
}

static void quiet_if_ignored(checker *c, const char *url)
{
    if (!c->quiet && ignored_by_pattern(c, url)) {
        c->quiet = true;
        c->st.skipped++;
    }
}

static void check_fragment(checker *c, const char *url, const lc_page *target, const char *frag)
{
    const char *directive = strstr(frag, ":~:");
    size_t n = directive ? (size_t)(directive - frag) : strlen(frag);
    if (n == 0 || (n == 3 && strncasecmp(frag, "top", 3) == 0) || frag[0] == '/' ||
        frag[0] == '!')
        return;
    buf_clear(&c->key);
    buf_put(&c->key, frag, n);
    if (page_has_id(target, c->key.ptr)) return;
    buf_clear(&c->frag);
    bool decoded = lc_percent_decode(frag, n, &c->frag) &&
                   utf8_valid(c->frag.ptr, c->frag.len, NULL);
    if (decoded && (page_has_id(target, c->frag.ptr) || strcasecmp(c->frag.ptr, "top") == 0))
        return;
    problem(c, DIAG_ERROR, true, url, "no element with id \"%s\" in %s",
            shown(&c->s1, decoded ? c->frag.ptr : c->key.ptr),
            page_shown(c, target->path, &c->s2));
}

/* The URL as it should have been written: a '/' before its query or fragment. */
static const char *with_slash(buf_t *b, const char *url)
{
    size_t n = strcspn(url, "?#");
    buf_clear(b);
    buf_put(b, url, n);
    buf_putc(b, '/');
    buf_puts(b, url + n);
    buf_t tmp = BUF_INIT;
    put_shown(&tmp, b->ptr, 200);
    buf_clear(b);
    buf_puts(b, tmp.ptr);
    buf_free(&tmp);
    return b->ptr;
}

/* Finds folder + decoded rest among the site's files, as a static host would serve it;
 * no_slash: the URL named the folder without its trailing slash. */
static void lookup(checker *c, const char *url, const char *folder, const char *rest,
                   size_t rlen, bool no_slash, const char *frag)
{
    if (!c->quiet) c->st.internal++;
    buf_clear(&c->file);
    buf_puts(&c->file, folder);
    if (!lc_percent_decode(rest, rlen, &c->file)) {
        malformed(c, url, "bad percent-escape");
        return;
    }
    if (no_slash && c->file.len) buf_truncate(&c->file, c->file.len - 1);
    const char *f = c->file.ptr;
    size_t n = c->file.len;
    const char *target = NULL;
    buf_clear(&c->key);
    if (n == 0 ? !no_slash : f[n - 1] == '/') {
        buf_put(&c->key, f, n);
        buf_puts(&c->key, "index.html");
        if (site_has(c->site, c->key.ptr)) target = c->key.ptr;
        else problem(c, DIAG_ERROR, true, url, "no such page (/%s does not exist)",
                     shown(&c->s1, c->key.ptr));
    } else if (site_has(c->site, f)) {
        target = f;
    } else {
        buf_put(&c->key, f, n);
        buf_puts(&c->key, n ? "/index.html" : "index.html");
        if (site_has(c->site, c->key.ptr)) {
            target = c->key.ptr;
            problem(c, DIAG_WARNING, true, url, "a folder needs a trailing slash (%s)",
                    with_slash(&c->s1, url));
        } else if (n == 0 || strmap_get(c->site->dirs, f)) {
            problem(c, DIAG_ERROR, true, url, "no such page (/%s does not exist)",
                    shown(&c->s1, c->key.ptr));
        } else {
            buf_clear(&c->key);
            buf_put(&c->key, f, n);
            buf_puts(&c->key, ".html");
            bool guess = site_has(c->site, c->key.ptr);
            buf_clear(&c->s2);
            buf_put(&c->s2, url, strcspn(url, "?#"));
            buf_puts(&c->s2, ".html");
            if (guess) problem(c, DIAG_ERROR, true, url, "no such file (did you mean %s?)",
                               shown(&c->s1, c->s2.ptr));
            else problem(c, DIAG_ERROR, true, url, "no such file");
        }
    }
    if (!target) return;
    lc_page *page = site_page(c->site, target);
    if (page && page != c->page) __atomic_store_n(&page->linked, true, __ATOMIC_RELAXED);
    if (frag && page) check_fragment(c, url, page, frag);
}

/* url: an absolute path with its query and fragment, in the site's URL space. */
static void check_internal(checker *c, const char *href, const char *url)
{
    quiet_if_ignored(c, url);
    size_t plen = strcspn(url, "?#");
    const char *hash = strchr(url, '#');
    const map_rule *best = NULL;
    bool no_slash = false;
    for (size_t i = 0; i < c->nmaps; i++) {
        const map_rule *m = &c->maps[i];
        if (m->is_url || (best && m->plen <= best->plen)) continue;
        bool under = plen >= m->plen && strncmp(url, m->prefix, m->plen) == 0;
        bool bare = plen + 1 == m->plen && strncmp(url, m->prefix, plen) == 0;
        if (!under && !bare) continue;
        best = m;
        no_slash = bare;
    }
    if (!best) {
        problem(c, DIAG_ERROR, true, href, "outside the site (not under %s)", c->root_prefix);
        return;
    }
    size_t skip = no_slash ? plen : best->plen;
    lookup(c, href, best->path, url + skip, plen - skip, no_slash, hash ? hash + 1 : NULL);
}

/* Appends url with its scheme and host in lower case and its path free of dot segments;
 * returns the length of "scheme://authority". */
static size_t canonical_url(const char *url, buf_t *out)
{
    size_t begin = out->len;
    size_t olen = put_origin_lower(out, url);
    size_t start = out->len;
    const char *path = url + olen;
    size_t plen = strcspn(path, "?#");
    if (plen == 0) buf_putc(out, '/');
    buf_put(out, path, plen);
    path_remove_dots(out, start);
    buf_puts(out, path + plen);
    return start - begin;
}

/* Whether the absolute path path (with query/fragment) lies under the base URL's path. */
static bool under_base_path(const checker *c, const char *path)
{
    size_t n = strlen(c->base_path);
    if (strncmp(path, c->base_path, n) == 0) return true;
    return strncmp(path, c->base_path, n - 1) == 0 &&
           (path[n - 1] == '\0' || path[n - 1] == '?' || path[n - 1] == '#');
}

/* url: an absolute http(s) URL, href as written. */
static void check_absolute(checker *c, const char *href, const char *url)
{
    const char *why = http_url_problem(url);
    if (why) {
        malformed(c, href, *why ? why : NULL);
        return;
    }
    buf_clear(&c->canon);
    size_t olen = canonical_url(url, &c->canon);
    const char *canon = c->canon.ptr, *path = canon + olen;
    quiet_if_ignored(c, canon);
    if (c->origin && strlen(c->origin) == olen && strncmp(canon, c->origin, olen) == 0 &&
        under_base_path(c, path)) {
        check_internal(c, href, path);
        return;
    }
    size_t plen = strcspn(canon, "?#");
    const char *hash = strchr(canon, '#');
    for (size_t i = 0; i < c->nmaps; i++) {
        const map_rule *m = &c->maps[i];
        if (!m->is_url) continue;
        bool under = plen >= m->plen && strncmp(canon, m->prefix, m->plen) == 0;
        bool bare = plen + 1 == m->plen && strncmp(canon, m->prefix, plen) == 0;
        if (!under && !bare) continue;
        size_t skip = bare ? plen : m->plen;
        lookup(c, href, m->path, canon + skip, plen - skip, bare, hash ? hash + 1 : NULL);
        return;
    }
    if (c->quiet) return;
    c->st.external++;
    if (c->external) {
        const rec *r = c->rec;
        lc_link l = {href, c->page->path, r->line, element_names[r->element],
                     attr_names[r->attr], r->src_line, r->src_col};
        c->external(c->external_ud, &l, canon);
    }
}

/* local@domain, as the HTML spec's valid e-mail address (plus quoted local parts, IP literals
 * and non-ASCII letters for internationalised addresses). */
static bool email_valid(const char *s, size_t n)
{
    size_t at = n;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@') at = i;
    if (at == n || at == 0 || at > 64 || at + 1 >= n || n - at - 1 > 253) return false;
    if (s[0] == '"') {
        if (at < 2 || s[at - 1] != '"') return false;
    } else {
        if (s[0] == '.' || s[at - 1] == '.') return false;
        for (size_t i = 0; i < at; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (!(is_alpha(ch) || is_digit(ch) || ch >= 0x80 || strchr(".!#$%&'*+/=?^_`{|}~-", ch)))
                return false;
            if (ch == '.' && s[i + 1] == '.') return false;
        }
    }
    const char *d = s + at + 1;
    size_t dn = n - at - 1;
    if (d[0] == '[') return d[dn - 1] == ']' && dn > 2;
    for (size_t i = 0, label = 0; i <= dn; i++, label++) {
        if (i == dn || d[i] == '.') {
            if (label == 0 || label > 63 || d[i - 1] == '-' || d[i - label] == '-') return false;
            label = (size_t)-1;
            continue;
        }
        unsigned char ch = (unsigned char)d[i];
        if (!(is_alpha(ch) || is_digit(ch) || ch >= 0x80 || ch == '-')) return false;
    }
    return true;
}

static void check_mailto(checker *c, const char *url)
{
    const char *rest = url + 7;
    buf_clear(&c->file);
    if (!lc_percent_decode(rest, strlen(rest), &c->file)) {
        problem(c, DIAG_ERROR, false, url, "bad percent-escape");
        return;
    }
    buf_clear(&c->file);
    lc_percent_decode(rest, strcspn(rest, "?"), &c->file);
    const char *to = c->file.ptr;
    size_t n = c->file.len;
    while (n > 0 && is_ws(*to)) to++, n--;
    if (n == 0) {
        problem(c, DIAG_ERROR, false, url, "no e-mail address");
        return;
    }
    for (size_t i = 0; i <= n;) {
        size_t end = i;
        while (end < n && to[end] != ',') end++;
        size_t a = i, b = end;
        while (a < b && is_ws(to[a])) a++;
        while (b > a && is_ws(to[b - 1])) b--;
        if (!email_valid(to + a, b - a)) {
            problem(c, DIAG_ERROR, false, url, "invalid e-mail address");
            return;
        }
        i = end + 1;
    }
    if (!c->quiet) c->st.skipped++;
}

/* tel: a global (+…) or local number: digits with visual separators, parameters after ';'. */
static void check_tel(checker *c, const char *url)
{
    const char *rest = url + 4;
    buf_clear(&c->file);
    if (!lc_percent_decode(rest, strlen(rest), &c->file)) {
        problem(c, DIAG_ERROR, false, url, "bad percent-escape");
        return;
    }
    const char *num = c->file.ptr;
    size_t n = strcspn(num, ";"), digits = 0;
    while (n > 0 && is_ws(*num)) num++, n--;
    while (n > 0 && is_ws(num[n - 1])) n--;
    if (n == 0) {
        problem(c, DIAG_ERROR, false, url, "no phone number");
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        if (is_digit(num[i])) digits++;
        else ok = strchr("-.() *#", num[i]) || (i == 0 && num[i] == '+');
    }
    if (!ok || digits == 0) problem(c, DIAG_ERROR, false, url, "invalid phone number");
    else if (!c->quiet) c->st.skipped++;
}

/* Length of the URL scheme at the start of h ("https" of "https://x"), or 0 for none. */
static size_t scheme_length(const char *h)
{
    if (!is_alpha(h[0])) return 0;
    size_t i = 1;
    while (is_alpha(h[i]) || is_digit(h[i]) || h[i] == '+' || h[i] == '-' || h[i] == '.') i++;
    return h[i] == ':' ? i : 0;
}

/* "https;//x", "http//x", "https:\\x" written without a valid scheme. */
static bool scheme_typo(const char *h)
{
    size_t i;
    if (strncasecmp(h, "https", 5) == 0) i = 5;
    else if (strncasecmp(h, "http", 4) == 0) i = 4;
    else return false;
    while (h[i] == ';' || h[i] == ',' || h[i] == '.' || h[i] == ':') i++;
    return (h[i] == '/' || h[i] == '\\') && (h[i + 1] == '/' || h[i + 1] == '\\');
}

static void check_scheme(checker *c, const char *url, size_t len)
{
    if (len == 1) malformed(c, url, "a Windows path?");
    else if ((len == 4 || len == 5) && is_http_scheme(url)) check_absolute(c, url, url);
    else if (len == 6 && strncasecmp(url, "mailto", 6) == 0) check_mailto(c, url);
    else if (len == 3 && strncasecmp(url, "tel", 3) == 0) check_tel(c, url);
    else if (len == 4 && strncasecmp(url, "file", 4) == 0)
        problem(c, DIAG_ERROR, true, url, "file: URLs do not work on a web site");
    else if ((memchr(url, '.', len) || (len == 9 && strncasecmp(url, "localhost", 9) == 0)) &&
             is_digit(url[len + 1]))
        malformed(c, url, "missing http://?");
    else if (!c->quiet) c->st.skipped++;
}

void lc_page_map_sources(lc_page *page, lc_source_fn fn, void *ud)
{
    for (size_t i = 0; i < page->nrecs; i++) {
        rec *r = &page->recs[i];
        bool is_id = r->kind == REC_DUP_ID || r->kind == REC_EMPTY_ID;
        if (r->kind != REC_LINK && !is_id) continue;
        int line = 0, col = 0;
        if (fn(ud, is_id, page->pool.ptr + r->str, &line, &col))
            r->src_line = line, r->src_col = col;
    }
}

/* Why h cannot be a URL at all (control or invisible characters, invalid UTF-8), or NULL. */
static const char *char_problem(const char *h, buf_t *why)
{
    const unsigned char *s = (const unsigned char *)h;
    size_t n = strlen(h);
    for (size_t i = 0; i < n;) {
        if (s[i] >= 0x20 && s[i] < 0x7F) {
            i++;
            continue;
        }
        uint32_t cp = 0;
        size_t len = utf8_next(s + i, n - i, &cp);
        if (len == 0) return "invalid UTF-8";
        buf_clear(why);
        if (cp < 0x20 || cp == 0x7F) buf_printf(why, "control character U+%04X", (unsigned)cp);
        else if (is_invisible(cp)) buf_printf(why, "invisible character U+%04X", (unsigned)cp);
        if (why->len) return why->ptr;
        i += len;
    }
    return NULL;
}

static void check_url(checker *c, const char *h)
{
    const rec *r = c->rec;
    c->st.links++;
    c->quiet = false;
    if ((r->noun & REC_IGNORED) || ignored_by_pattern(c, h)) {
        c->quiet = true;
        c->st.skipped++;
    }
    if (*h == '\0') {
        if (c->quiet) return;
        buf_clear(&c->msg);
        buf_printf(&c->msg, "%s with an empty %s", noun_alone[r->noun & ~REC_IGNORED],
                   attr_names[r->attr]);
        lc_link l = {"", c->page->path, r->line, element_names[r->element],
                     attr_names[r->attr], r->src_line, r->src_col};
        report(c, DIAG_WARNING, &l);
        return;
    }
    const char *why = char_problem(h, &c->s1);
    size_t scheme = why ? 0 : scheme_length(h), plen = strcspn(h, "?#");
    if (why) malformed(c, h, why);
    else if (scheme) check_scheme(c, h, scheme);
    else if (h[0] == '/' && h[1] == '/') {
        problem(c, DIAG_WARNING, true, h, "protocol-relative URL (write https://)");
        buf_clear(&c->abs);
        buf_puts(&c->abs, "https:");
        buf_puts(&c->abs, h);
        check_absolute(c, h, c->abs.ptr);
    } else if (scheme_typo(h)) malformed(c, h, NULL);
    else if (memchr(h, '\\', plen)) malformed(c, h, "backslash");
    else if (memchr(h, '[', plen) || memchr(h, ']', plen)) malformed(c, h, "stray bracket");
    else {
        buf_clear(&c->abs);
        lc_url_resolve(c->base.ptr, h, &c->abs);
        if (c->abs.ptr[0] == '/') check_internal(c, h, c->abs.ptr);
        else check_absolute(c, h, c->abs.ptr);
    }
}

/* A problem of the page itself, found by the parser. */
static void check_page_issue(checker *c, const char *str)
{
    const rec *r = c->rec;
    bool about_id = r->kind == REC_DUP_ID || r->kind == REC_EMPTY_ID;
    const char *tag = about_id ? str + strlen(str) + 1 : ""; /* an id, then its tag name */
    lc_link l = {str, c->page->path, r->line, tag, attr_names[r->attr], r->src_line, r->src_col};
    buf_clear(&c->msg);
    switch ((rec_kind)r->kind) {
    case REC_DUP_ID:
        buf_puts(&c->msg, "duplicate id \"");
        put_shown(&c->msg, str, 200);
        buf_printf(&c->msg, "\" (first at line %d)", (int)r->aux);
        report(c, DIAG_WARNING, &l);
        break;
    case REC_EMPTY_ID:
        buf_puts(&c->msg, "empty id attribute");
        report(c, DIAG_WARNING, &l);
        break;
    case REC_NO_ALT:
        l.element = "img";
        buf_puts(&c->msg, "image without alt text");
        report(c, DIAG_WARNING, &l);
        break;
    case REC_TOO_LARGE:
        buf_puts(&c->msg, "page too large to check (over 2 GiB)");
        report(c, DIAG_ERROR, &l);
        break;
    case REC_BAD_UTF8:
        buf_puts(&c->msg, "page is not valid UTF-8 (read as U+FFFD from here)");
        report(c, DIAG_WARNING, &l);
        break;
    case REC_LINK:
        break;
    }
}

/* What relative URLs of the page resolve against: its own URL, or its <base href>. */
static void page_base_set(checker *c, const lc_page *p)
{
    buf_clear(&c->base);
    buf_clear(&c->href);
    buf_puts(&c->href, p->base ? p->base : "");
    c->href.len = href_clean(c->href.ptr);
    const char *h = c->href.ptr;
    size_t scheme = scheme_length(h);
    if (!*h || char_problem(h, &c->s1)) {
        /* no usable <base>: the page's own URL */
    } else if (scheme == 0 && !(h[0] == '/' && h[1] == '/')) {
        lc_url_resolve(c->page_url.ptr, h, &c->base);
    } else if (scheme == 0 || is_http_scheme(h)) {
        buf_clear(&c->abs);
        if (scheme == 0) buf_puts(&c->abs, "https:");
        buf_puts(&c->abs, h);
        if (!http_url_problem(c->abs.ptr)) {
            size_t olen = canonical_url(c->abs.ptr, &c->base);
            const char *path = c->base.ptr + olen;
            if (c->origin && strlen(c->origin) == olen &&
                strncmp(c->base.ptr, c->origin, olen) == 0 && under_base_path(c, path)) {
                buf_clear(&c->abs); /* our own site: keep the path only */
                buf_puts(&c->abs, path);
                buf_clear(&c->base);
                buf_puts(&c->base, c->abs.ptr);
            }
        }
    }
    if (!c->base.len) buf_puts(&c->base, c->page_url.ptr);
}

static void check_page(checker *c, lc_page *p)
{
    c->page = p;
    c->st.pages++;
    buf_clear(&c->page_url);
    url_of_file(c, p->path, &c->page_url, true);
    page_base_set(c, p);
    c->st.links += p->settled;
    for (size_t i = 0; i < p->nrecs; i++) {
        c->rec = &p->recs[i];
        const char *str = p->pool.ptr + c->rec->str;
        if (c->rec->kind == REC_LINK) check_url(c, str);
        else check_page_issue(c, str);
    }
}

static void report_orphans(checker *c)
{
    for (size_t i = 0; i < c->site->npages; i++) {
        const lc_page *p = c->site->pages[i];
        if (p->linked || p->redirect || strcmp(p->path, "index.html") == 0 ||
            strcmp(p->path, "404.html") == 0)
            continue;
        lc_link l = {"", p->path, 0, "", "", 0, 0};
        buf_clear(&c->msg);
        buf_puts(&c->msg, "no page links here (orphan)");
        report(c, DIAG_WARNING, &l);
    }
}

typedef struct check_job {
    lc_site *site;
    checker *workers; /* one per thread, each set up alike */
} check_job;

static void check_one(void *ud, int worker, size_t i)
{
    check_job *job = ud;
    check_page(&job->workers[worker], job->site->pages[i]);
}

/* Pages are checked on opt->jobs threads, each with a checker of its own: the site is only
 * read (a page's "linked" mark is an atomic store), and the findings are merged and sorted,
 * so the report is the same for any number of threads. */
void lc_site_check(lc_site *site, const lc_options *opt, lc_locate_fn locate, void *ud,
                   diag_list *dl, lc_stats *stats)
{
    int jobs = opt && opt->jobs > 0 ? opt->jobs : cpu_count();
    if ((size_t)jobs > site->npages) jobs = site->npages ? (int)site->npages : 1;
    check_job job = {site, xcalloc((size_t)jobs, sizeof(checker))};
    for (int w = 0; w < jobs; w++) {
        checker *c = &job.workers[w];
        c->site = site;
        c->opt = opt;
        c->locate = locate;
        c->ud = ud;
        checker_setup(c);
    }
    for (size_t i = 0; i < site->npages; i++) site->pages[i]->linked = false;
    parallel_each(site->npages, jobs, check_one, &job);
    checker *c = &job.workers[0];
    for (int w = 1; w < jobs; w++) {
        const lc_stats *o = &job.workers[w].st;
        c->st.pages += o->pages;
        c->st.links += o->links;
        c->st.internal += o->internal;
        c->st.external += o->external;
        c->st.skipped += o->skipped;
        diag_list_take(&c->out, &job.workers[w].out);
        checker_free(&job.workers[w]);
    }
    report_orphans(c);
    diag_list_sort(&c->out);
    c->st.files = strmap_len(site->files) - site->npages;
    c->st.errors = c->out.errors;
    c->st.warnings = c->out.warnings;
    c->st.failures = c->st.errors + (opt && opt->strict ? c->st.warnings : 0);
    if (stats) *stats = c->st;
    diag_list_take(dl, &c->out);
    checker_free(c);
    free(job.workers);
}

void lc_site_each_external(lc_site *site, const lc_options *opt, lc_external_fn fn, void *ud)
{
    checker c;
    memset(&c, 0, sizeof c);
    c.site = site;
    c.opt = opt;
    c.external = fn;
    c.external_ud = ud;
    checker_setup(&c);
    for (size_t i = 0; i < site->npages; i++) check_page(&c, site->pages[i]);
    checker_free(&c); /* the findings are lc_site_check's business */
}

/* ---------------------------------------------------------------------------------------- */
/* check --html DIR                                                                         */

#define LC_MAX_PAGE_BYTES ((size_t)INT_MAX)

typedef struct folder_walk {
    const char *root;
    char *root_real;
    strmap *seen;       /* real paths of the folders walked: symbolic link loops end here */
    lc_site *site;
    diag_list *dl;
    char **html;        /* relative paths of the pages to parse, in walk order */
    size_t nhtml, cap;
} folder_walk;

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_html_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcasecmp(name + n - 5, ".html") == 0) ||
           (n > 4 && strcasecmp(name + n - 4, ".htm") == 0);
}

/* Sorted names of the folder's entries ("." and ".." left out); NULL with errno set. */
static char **folder_names(const char *path, size_t *count)
{
    DIR *d = opendir(path);
    if (!d) return NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        xgrow(&names, &cap, n + 1, sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof *names, name_cmp);
    *count = n;
    return names ? names : xcalloc(1, sizeof *names);
}

static bool inside_root(const folder_walk *w, const char *real)
{
    size_t n = strlen(w->root_real);
    if (strcmp(w->root_real, "/") == 0) return true;
    return strncmp(real, w->root_real, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

static void walk_folder(folder_walk *w, const char *rel);

/* One entry: a page to parse, a file to add, a folder to walk, or a link to leave alone. */
static void walk_entry(folder_walk *w, const char *full, const char *rel)
{
    struct stat st;
    if (lstat(full, &st) != 0) return;
    if (S_ISLNK(st.st_mode)) {
        char *real = realpath(full, NULL);
        bool inside = real && inside_root(w, real);
        free(real);
        if (!inside || stat(full, &st) != 0) {
            diag_add(w->dl, DIAG_NOTE, rel, 0, 0,
                     "symbolic link leads outside the folder (or nowhere); not followed");
            return;
        }
    }
    if (S_ISDIR(st.st_mode)) {
        char *sub = xasprintf("%s/", rel);
        walk_folder(w, sub);
        free(sub);
    } else if (S_ISREG(st.st_mode)) {
        if (is_html_name(rel)) {
            xgrow(&w->html, &w->cap, w->nhtml + 1, sizeof *w->html);
            w->html[w->nhtml++] = xstrdup(rel);
        } else {
            lc_site_add_file(w->site, rel);
        }
    }
}

/* rel: "" for the root, else "a/b/". */
static void walk_folder(folder_walk *w, const char *rel)
{
    char *path = rel[0] ? fs_join(w->root, rel) : xstrdup(w->root);
    char *real = realpath(path, NULL);
    if (!real || strmap_get(w->seen, real)) {
        free(real);
        free(path);
        return;
    }
    strmap_put(w->seen, real, w);
    free(real);
    size_t n = 0;
    char **names = folder_names(path, &n);
    if (!names) {
        diag_add(w->dl, DIAG_ERROR, rel[0] ? rel : w->root, 0, 0, "cannot read the folder: %s",
                 strerror(errno));
        free(path);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char *full = fs_join(path, names[i]);
        char *sub = xasprintf("%s%s", rel, names[i]);
        walk_entry(w, full, sub);
        free(sub);
        free(full);
        free(names[i]);
    }
    free(names);
    free(path);
}

typedef struct parse_pool {
    const folder_walk *walk;
    lc_page **pages;
    int *errs;          /* errno of a page that could not be read, else 0 */
} parse_pool;

static void parse_one(void *ud, int worker, size_t i)
{
    (void)worker;
    parse_pool *pool = ud;
    const folder_walk *w = pool->walk;
    char *full = fs_join(w->root, w->html[i]);
    size_t len = 0;
    char *html = fs_read(full, LC_MAX_PAGE_BYTES, &len);
    if (html) pool->pages[i] = lc_page_parse(html, len, w->html[i]);
    else pool->errs[i] = errno ? errno : EIO;
    free(html);
    free(full);
}

/* Parses every page found on jobs threads (the calling one included), adding them in walk
 * order so that the result does not depend on the number of threads. */
static void parse_pages(folder_walk *w, int jobs)
{
    parse_pool pool = {w, xcalloc(w->nhtml + 1, sizeof *pool.pages),
                       xcalloc(w->nhtml + 1, sizeof *pool.errs)};
    parallel_each(w->nhtml, jobs, parse_one, &pool);
    for (size_t i = 0; i < w->nhtml; i++) {
        if (pool.pages[i]) {
            lc_site_add_page(w->site, pool.pages[i]);
            continue;
        }
        if (pool.errs[i] == EFBIG)
            diag_add(w->dl, DIAG_ERROR, w->html[i], 0, 0, "page too large to check (over 2 GiB)");
        else
            diag_add(w->dl, DIAG_ERROR, w->html[i], 0, 0, "cannot read the page: %s",
                     strerror(pool.errs[i]));
        lc_site_add_file(w->site, w->html[i]);
    }
    free(pool.pages);
    free(pool.errs);
}

bool lc_check_folder(const char *dir, const lc_options *opt, diag_list *dl, lc_stats *stats)
{
    folder_walk w;
    memset(&w, 0, sizeof w);
    w.root = dir;
    w.root_real = realpath(dir, NULL);
    struct stat st;
    if (!w.root_real || stat(w.root_real, &st) != 0 || !S_ISDIR(st.st_mode)) {
        diag_add(dl, DIAG_ERROR, dir, 0, 0, "cannot read the folder: %s",
                 strerror(w.root_real ? ENOTDIR : errno));
        free(w.root_real);
        if (stats) memset(stats, 0, sizeof *stats);
        return false;
    }
    lc_global_init();
    diag_list found = DIAG_LIST_INIT;
    w.seen = strmap_new();
    w.site = lc_site_new();
    w.dl = &found;
    walk_folder(&w, "");
    parse_pages(&w, opt ? opt->jobs : 0);
    lc_stats s;
    lc_site_check(w.site, opt, NULL, NULL, &found, &s);
    if (opt && opt->after_check) opt->after_check(opt->after_ud, opt, w.site, &found);
    s.errors = found.errors;
    s.warnings = found.warnings;
    s.failures = s.errors + (opt && opt->strict ? s.warnings : 0);
    if (stats) *stats = s;
    diag_list_sort(&found);
    diag_list_take(dl, &found);
    for (size_t i = 0; i < w.nhtml; i++) free(w.html[i]);
    free(w.html);
    lc_site_free(w.site);
    strmap_free(w.seen);
    free(w.root_real);
    return true;
}
