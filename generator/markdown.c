/* markdown.c — GitHub-flavoured Markdown to HTML with cmark-gfm, plus heading ids, the table of
 * contents, every link with its source position, and the word count. */
#define _GNU_SOURCE /* PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP */
#include "markdown.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <cmark-gfm/houdini.h>

#include "arena.h"
#include "buf.h"
#include "slug.h"
#include "util.h"

/* cmark-gfm 0.29 keeps the inline parser's special-character tables in global arrays: at the
 * start of cmark_parser_finish it adds its extensions' characters ('~' for strikethrough, ':'
 * and 'w' for autolinks, ...) and at the end removes them again. Two parses at once would
 * clear each other's characters mid-parse (cmark-gfm pull request 176). Every parser here
 * attaches the same extensions, so md_global_init adds their characters once, for good, and
 * the library's own add and remove calls do nothing from then on (the function below takes
 * the place of the library's, which it reaches through the PLT). Parses then run in parallel.
 * Where that replacement does not take effect (the library calls its own function directly),
 * md_global_init finds out with a test parse, and every cmark parse goes through parse_lock
 * instead. A plain parser without extensions (entity_lookup) sees a few more special
 * characters than it would alone; they only split text nodes, which changes nothing it reads.
 * Rendering and our own tree walks touch no global state and always run in parallel. */
static pthread_mutex_t parse_lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static bool specials_kept; /* set once by md_global_init; then parses take no lock */
static void (*library_specials)(cmark_parser *, int); /* found once the function below runs */

/* Declared by no public header of cmark-gfm, but exported and called through the PLT. */
void cmark_manage_extensions_special_characters(cmark_parser *parser, int add);
void cmark_manage_extensions_special_characters(cmark_parser *parser, int add)
{
    if (__atomic_load_n(&specials_kept, __ATOMIC_ACQUIRE)) return;
    if (!library_specials)
        *(void **)&library_specials = dlsym(RTLD_NEXT, "cmark_manage_extensions_special_characters");
    if (library_specials) library_specials(parser, add);
}

static bool parse_begin(void)
{
    if (__atomic_load_n(&specials_kept, __ATOMIC_ACQUIRE)) return false;
    pthread_mutex_lock(&parse_lock);
    return true;
}

static void parse_end(bool locked)
{
    if (locked) pthread_mutex_unlock(&parse_lock);
}

/* ---- Memory for one render --------------------------------------------------------------- */

/* cmark-gfm allocates every node, string and buffer of a document separately: thousands of
 * mallocs and frees for a page. md_render gives its parser an arena of the calling thread
 * instead, and drops everything at once when it is done (nothing cmark allocated outlives
 * md_render: what md_result keeps is copied). */
static __thread arena md_arena;

static void *md_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = arena_alloc(&md_arena, n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

static void *md_realloc(void *p, size_t size)
{
    return arena_realloc(&md_arena, p, size);
}

static void md_free(void *p)
{
    (void)p; /* everything goes at once, in arena_reset */
}

static cmark_mem arena_mem = {md_calloc, md_realloc, md_free};

static const char *const extension_names[] = {
    "table", "strikethrough", "autolink", "tagfilter", "tasklist",
};

static cmark_parser *new_parser(cmark_mem *mem)
{
    cmark_parser *p = cmark_parser_new_with_mem(CMARK_OPT_FOOTNOTES, mem);
    for (size_t i = 0; i < sizeof extension_names / sizeof extension_names[0]; i++) {
        cmark_syntax_extension *e = cmark_find_syntax_extension(extension_names[i]);
        if (e) cmark_parser_attach_syntax_extension(p, e);
    }
    return p;
}

void md_global_init(void)
{
    pthread_mutex_lock(&parse_lock);
    cmark_gfm_core_extensions_ensure_registered();
    if (!specials_kept) {
        cmark_parser *p = new_parser(cmark_get_default_mem_allocator());
        static const char probe[] = "~~a~~ www.example.org\n";
        cmark_parser_feed(p, probe, sizeof probe - 1);
        cmark_node *doc = cmark_parser_finish(p);
        if (library_specials) { /* set: ours is the function the library called */
            library_specials(p, 1);
            __atomic_store_n(&specials_kept, true, __ATOMIC_RELEASE);
        }
        cmark_node_free(doc);
        cmark_parser_free(p);
    }
    pthread_mutex_unlock(&parse_lock);
}

bool md_parses_in_parallel(void)
{
    return __atomic_load_n(&specials_kept, __ATOMIC_ACQUIRE);
}

int md_reading_minutes(size_t words)
{
    size_t m = words / 220 + (words % 220 != 0);
    return m > INT_MAX ? INT_MAX : (int)m;
}

/* ---- The source text by lines ------------------------------------------------------------ */

typedef struct line_span {
    size_t start, end; /* [start, end): the line without its ending (\n, \r\n or \r) */
} line_span;

typedef struct src {
    const char *t;
    size_t len;
    line_span *lines; /* lines[k - 1] is line k, as cmark numbers them */
    size_t nlines, cap;
} src;

static void src_init(src *s, const char *t, size_t len)
{
    memset(s, 0, sizeof *s);
    s->t = t;
    s->len = len;
    size_t i = 0;
    bool cr = memchr(t, '\r', len) != NULL; /* without one, only '\n' ends a line */
    for (;;) {
        size_t j = i;
        if (!cr) {
            const char *nl = memchr(t + i, '\n', len - i);
            j = nl ? (size_t)(nl - t) : len;
        } else {
            while (j < len && t[j] != '\n' && t[j] != '\r')
                j++;
        }
        xgrow(&s->lines, &s->cap, s->nlines + 1, sizeof *s->lines);
        s->lines[s->nlines++] = (line_span){i, j};
        if (j >= len) break;
        i = j + (t[j] == '\r' && j + 1 < len && t[j + 1] == '\n' ? 2 : 1);
    }
}

static bool line_ok(const src *s, int line)
{
    return line >= 1 && (size_t)line <= s->nlines;
}

/* ---- Container prefixes ---------------------------------------------------------------------
 * cmark-gfm 0.29 gets inline positions wrong on continuation lines whose container prefix
 * differs from the first line's (lazy lines, deeper indentation, tabs), after multi-line code
 * spans, after escaped pipes in table cells, and gives extension autolinks no position at all.
 * So we find link positions ourselves: first the text of each line that belongs to a paragraph
 * (after the block-quote markers and list indentation cmark consumed), then an alignment of the
 * inline nodes with that text (below). The prefix rules mirror cmark's blocks.c. */

typedef struct lpos {
    size_t pos; /* byte offset in the source */
    int col;    /* visual column from the line start, tabs to multiples of 4 */
} lpos;

enum { K_QUOTE, K_ITEM, K_FOOTNOTE };

typedef struct frame {
    int kind;
    int line;   /* the line the container starts on */
    int width;  /* K_ITEM: marker offset + padding, the indent continuation lines need;
                   K_QUOTE and K_FOOTNOTE: extra indent allowed before a (hidden) '>' */
    lpos after; /* just past the container's own marker on its first line */
    bool ok;    /* false when the source did not look as cmark said; positions then fall back */
    int quotes; /* K_FOOTNOTE: block quotes it sat in; cmark moves definitions to the end of the
                   document, so those containers are no longer its ancestors */
} frame;

static lpos line_begin(const src *s, int line)
{
    lpos p = {s->lines[line - 1].start, 0};
    if (line == 1 && s->len >= 3 && memcmp(s->t, "\xEF\xBB\xBF", 3) == 0) p.pos = 3; /* BOM */
    return p;
}

static lpos skip_spaces(const src *s, size_t end, lpos p)
{
    for (; p.pos < end; p.pos++) {
        if (s->t[p.pos] == ' ')
            p.col++;
        else if (s->t[p.pos] == '\t')
            p.col += 4 - p.col % 4;
        else
            break;
    }
    return p;
}

/* Advances n columns the way cmark's S_advance_offset(columns = true) does: a tab may be taken
 * in part, and then pos stays on it. */
static lpos advance_cols(const src *s, size_t end, lpos p, int n)
{
    while (n > 0 && p.pos < end) {
        if (s->t[p.pos] == '\t') {
            int to_tab = 4 - p.col % 4;
            int step = to_tab < n ? to_tab : n;
            p.col += step;
            n -= step;
            if (step == to_tab) p.pos++;
        } else {
            p.pos++;
            p.col++;
            n--;
        }
    }
    return p;
}

/* Advances whole bytes up to offset `to`. */
static lpos advance_to(const src *s, lpos p, size_t to)
{
    for (; p.pos < to; p.pos++)
        p.col += s->t[p.pos] == '\t' ? 4 - p.col % 4 : 1;
    return p;
}

static bool is_space_tab(int c)
{
    return c == ' ' || c == '\t';
}

/* Matches frame f's prefix on a continuation line (cmark's check_open_blocks). *fns caches the
 * line's first non-blank at or after p, as cmark does, so a deep nest costs O(line), not
 * O(depth * line). */
static bool frame_continue(const src *s, size_t end, const frame *f, lpos *p, lpos *fns)
{
    if (fns->pos < p->pos || fns->col < 0) *fns = skip_spaces(s, end, *p);
    int indent = fns->col - p->col;
    switch (f->kind) {
    case K_QUOTE:
        if (indent > 3 + f->width || fns->pos >= end || s->t[fns->pos] != '>') return false;
        *p = advance_cols(s, end, *p, indent + 1);
        if (p->pos < end && is_space_tab(s->t[p->pos])) *p = advance_cols(s, end, *p, 1);
        return true;
    case K_ITEM:
        if (indent < f->width) return false;
        *p = advance_cols(s, end, *p, f->width);
        return true;
    default:
        if (f->quotes > 0) {
            frame q = {.kind = K_QUOTE, .width = f->width};
            for (int k = 0; k < f->quotes; k++)
                if (!frame_continue(s, end, &q, p, fns)) return false;
            if (fns->pos < p->pos) *fns = skip_spaces(s, end, *p);
            indent = fns->col - p->col;
        }
        if (indent < 4) return false;
        *p = advance_cols(s, end, *p, 4);
        return true;
    }
}

/* The cursor on `line` after the prefixes of frames [0, n). Frames that start on this very line
 * contribute their marker; the others must match as continuations. Stops early on a lazy line,
 * and then sets *lazy. */
static lpos prefix_walk(const src *s, int line, const frame *f, size_t n, bool *lazy)
{
    size_t end = s->lines[line - 1].end;
    lpos p = line_begin(s, line), fns = {0, -1};
    *lazy = false;
    for (size_t i = 0; i < n; i++) {
        if (f[i].line == line)
            p = f[i].after;
        else if (!frame_continue(s, end, &f[i], &p, &fns)) {
            *lazy = true;
            break;
        }
    }
    return p;
}

/* A list item's marker at q: sets width and the cursor after the marker and its padding. */
static bool open_item(const src *s, size_t end, frame *f, lpos p, lpos q)
{
    size_t m = q.pos;
    while (m < end && m - q.pos < 9 && s->t[m] >= '0' && s->t[m] <= '9')
        m++;
    if (m > q.pos) {
        if (m >= end || (s->t[m] != '.' && s->t[m] != ')')) return false;
    } else if (q.pos >= end || !s->t[q.pos] || !strchr("-+*", s->t[q.pos])) {
        return false;
    }
    m++;
    int mw = (int)(m - q.pos);
    lpos save = {m, q.col + mw}, r = save;
    while (r.col - save.col <= 5 && r.pos < end && is_space_tab(s->t[r.pos]))
        r = advance_cols(s, end, r, 1);
    int spaces = r.col - save.col, padding;
    if (spaces >= 5 || spaces < 1 || r.pos >= end) {
        padding = mw + 1;
        r = spaces > 0 ? advance_cols(s, end, save, 1) : save;
    } else {
        padding = mw + spaces;
    }
    f->width = (q.col - p.col) + padding;
    f->after = r;
    return true;
}

/* Computes the frame for a container that cmark says starts at (line, col), given the cursor p
 * after its ancestors' prefixes on that line. */
static bool frame_open(const src *s, frame *f, int col, lpos p)
{
    size_t end = s->lines[f->line - 1].end;
    size_t at = s->lines[f->line - 1].start + (size_t)(col > 0 ? col - 1 : 0);
    lpos q = skip_spaces(s, end, p);
    f->after = q;
    if (f->kind == K_FOOTNOTE) { /* cmark's column is just past "[^label]: " */
        int blank = q.col - p.col;
        while (q.pos < end && (is_space_tab(s->t[q.pos]) || s->t[q.pos] == '>')) {
            if (s->t[q.pos] == '>') {
                f->quotes++;
                if (blank > f->width) f->width = blank; /* the indent of hidden list items */
            }
            lpos r = advance_to(s, q, q.pos + 1);
            blank = s->t[q.pos] == '>' ? -1 : blank + (r.col - q.col);
            q = r;
        }
        if (at < q.pos || at > end) return false;
        f->after = advance_to(s, q, at);
        return q.pos < end && s->t[q.pos] == '[';
    }
    if (q.pos != at) return false;
    if (f->kind == K_ITEM) return open_item(s, end, f, p, q);
    if (q.pos >= end || s->t[q.pos] != '>') return false;
    q.pos++;
    q.col++;
    if (q.pos < end && is_space_tab(s->t[q.pos])) q = advance_cols(s, end, q, 1);
    f->after = q;
    return true;
}

/* ---- Rendering context ----------------------------------------------------------------- */

typedef struct seg {
    size_t start, end; /* [start, end) of one line's inline text */
    int line;
    bool glued; /* continues the previous segment's line: no '\n' between them */
} seg;

typedef struct link_rec {
    md_link link;
    size_t seq;
} link_rec;

typedef struct heading_rec {
    cmark_node *node;
    int level, line;
    char *raw;     /* plain text as GitHub sees it (line breaks kept) */
} heading_rec;

typedef struct ent_entry {
    char key[40];
    char val[16];
    size_t klen, vlen;
    bool decoded;
} ent_entry;

typedef struct mdctx {
    src s;
    int first_line, first_col;
    frame *frames;
    size_t nframes, frames_cap;
    seg *segs;
    size_t nsegs, segs_cap;
    cmark_node **leaf_links; /* the LINK and IMAGE nodes of the leaf being aligned */
    size_t nleaf_links, leaf_links_cap;
    size_t *found; /* per leaf link: segment index and offset, two entries each */
    size_t found_cap;
    int *stk; /* per open LINK/IMAGE/strikethrough: what its exit must consume */
    size_t nstk, stk_cap;
    link_rec *links;
    size_t nlinks, links_cap;
    heading_rec *heads;
    size_t nheads, heads_cap;
    cmark_node **inodes; /* LINK, IMAGE and (with ids) HEADING nodes, in document order */
    size_t ninodes, inodes_cap;
    bool has_html, has_footnotes;
    bool want_items;
    ent_entry ents[32];
    size_t nents, ent_next, ent_parses;
    bool lead;                 /* the next text node may start with blanks the stream has skipped */
    int shift_line, shift_col; /* cell_shift's cache: the last table row and where it starts */
} mdctx;

static bool is_block(cmark_node *n)
{
    return (cmark_node_get_type(n) & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK;
}

static bool type_named(cmark_node *n, const char *name)
{
    const char *s = cmark_node_get_type_string(n);
    return s && strcmp(s, name) == 0;
}

static const char *literal(cmark_node *n)
{
    const char *s = cmark_node_get_literal(n);
    return s ? s : "";
}

static bool ascii_punct(int c)
{
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
}

static bool ascii_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The file position of a (line, col) in the text: columns of the text's first line shift by
 * first_col, later lines are as written. */
static void file_pos(const mdctx *c, int line, int col, int *fline, int *fcol)
{
    *fline = c->first_line + line - 1;
    *fcol = line == 1 ? c->first_col + col - 1 : col;
}

/* ---- Frames: the open containers of the node being walked ------------------------------- */

static void frame_push(mdctx *c, cmark_node *n, int kind)
{
    xgrow(&c->frames, &c->frames_cap, c->nframes + 1, sizeof *c->frames);
    frame *f = &c->frames[c->nframes];
    const frame *parent = c->nframes ? f - 1 : NULL;
    *f = (frame){.kind = kind, .line = cmark_node_get_start_line(n), .ok = false};
    c->nframes++;
    if (!line_ok(&c->s, f->line)) return;
    f->after = line_begin(&c->s, f->line);
    if (parent && (!parent->ok || parent->line > f->line)) return;
    bool lazy;
    lpos p = parent && parent->line == f->line
                 ? parent->after
                 : prefix_walk(&c->s, f->line, c->frames, c->nframes - 1, &lazy);
    f->ok = frame_open(&c->s, f, cmark_node_get_start_column(n), p);
}

/* ---- The inline text of a leaf block as one stream --------------------------------------
 * A stream walks the leaf's segments (one per source line) as if they were joined by '\n'.
 * Every step costs budget, so that no input can make the alignment slow. */

typedef struct stream {
    const char *t;
    const seg *segs;
    size_t nseg, si, pos;
    long *budget;
} stream;

static int st_peek(const stream *st)
{
    if (st->pos < st->segs[st->si].end) return (unsigned char)st->t[st->pos];
    return st->si + 1 < st->nseg ? '\n' : -1;
}

/* Moves past the end of a segment that a glued one continues, so that pos == end always means
 * a line break (or the end of the text). */
static void st_settle(stream *st)
{
    while (st->pos >= st->segs[st->si].end && st->si + 1 < st->nseg && st->segs[st->si + 1].glued) {
        st->si++;
        st->pos = st->segs[st->si].start;
    }
}

static bool st_step(stream *st)
{
    if (st->pos < st->segs[st->si].end) {
        st->pos++;
    } else {
        if (st->si + 1 >= st->nseg) return false;
        st->si++;
        st->pos = st->segs[st->si].start;
    }
    st_settle(st);
    return true;
}

static bool st_adv(stream *st)
{
    return --*st->budget >= 0 && st_step(st);
}

static int st_peek_at(stream st, int k)
{
    while (k-- > 0)
        if (!st_step(&st)) return -1;
    return st_peek(&st);
}

static bool st_adv_n(stream *st, size_t n)
{
    while (n-- > 0)
        if (!st_adv(st)) return false;
    return true;
}

static bool cmark_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool skip_ws(stream *st)
{
    while (cmark_space(st_peek(st)))
        if (!st_adv(st)) return false;
    return true;
}

/* ---- Entities: cmark decodes them in text, so matching text must decode them too -------- */

/* Length of the entity reference at p[0..n) ("&amp;", "&#123;", "&#x1F;"), or 0. */
static size_t entity_len(const char *p, size_t n)
{
    size_t i = 1;
    if (n < 3 || p[0] != '&') return 0;
    if (p[1] == '#') {
        bool hex = p[2] == 'x' || p[2] == 'X';
        i = hex ? 3 : 2;
        size_t d0 = i, max = hex ? 6 : 7;
        while (i < n && i - d0 < max &&
               ((p[i] >= '0' && p[i] <= '9') ||
                (hex && ((p[i] >= 'a' && p[i] <= 'f') || (p[i] >= 'A' && p[i] <= 'F')))))
            i++;
        if (i == d0) return 0;
    } else {
        if (!ascii_alnum((unsigned char)p[1]) || (p[1] >= '0' && p[1] <= '9')) return 0;
        while (i < n && i < 33 && ascii_alnum((unsigned char)p[i]))
            i++;
    }
    return i < n && p[i] == ';' ? i + 1 : 0;
}

/* What cmark turns the entity p[0..n) into, asked of cmark itself and cached. NULL when we
 * cannot tell (too long, or too many distinct entities in one document). */
static const ent_entry *entity_lookup(mdctx *c, const char *p, size_t n)
{
    if (n >= sizeof c->ents[0].key) return NULL;
    for (size_t i = 0; i < c->nents; i++) {
        if (c->ents[i].klen == n && memcmp(c->ents[i].key, p, n) == 0) return &c->ents[i];
    }
    if (c->ent_parses >= 4096) return NULL;
    c->ent_parses++;
    ent_entry e = {.klen = n};
    memcpy(e.key, p, n);
    bool locked = parse_begin();
    cmark_node *doc = cmark_parse_document(p, n, CMARK_OPT_DEFAULT);
    parse_end(locked);
    cmark_node *para = cmark_node_first_child(doc);
    cmark_node *txt = para ? cmark_node_first_child(para) : NULL;
    if (txt && cmark_node_get_type(txt) == CMARK_NODE_TEXT && !cmark_node_next(txt)) {
        const char *lit = literal(txt);
        size_t len = strlen(lit);
        if (len < sizeof e.val && (len != n || memcmp(lit, p, n) != 0)) {
            e.decoded = true;
            e.vlen = len;
            memcpy(e.val, lit, len);
        }
    }
    cmark_node_free(doc);
    size_t slot = c->nents < 32 ? c->nents++ : c->ent_next++ % 32;
    c->ents[slot] = e;
    return &c->ents[slot];
}

/* At a '&' in the stream: when the literal holds the entity's decoded text, consumes both and
 * returns 1; returns 0 to match the '&' literally, -1 when out of budget. The autolink extension
 * keeps entities verbatim while text nodes decode them; "&amp;" fits both readings, so the
 * byte after the entity decides. */
static int match_entity(mdctx *c, stream *st, const char *lit, size_t n, size_t *i)
{
    const char *p = st->t + st->pos;
    size_t avail = st->segs[st->si].end - st->pos;
    size_t elen = entity_len(p, avail);
    if (!elen) return 0;
    const ent_entry *e = entity_lookup(c, p, elen);
    if (!e || !e->decoded || e->vlen > n - *i || memcmp(lit + *i, e->val, e->vlen) != 0) return 0;
    if (n - *i >= elen && memcmp(lit + *i, p, elen) == 0 && *i + e->vlen < n) {
        int after = elen < avail ? (unsigned char)p[elen] : st_peek_at(*st, (int)elen);
        if ((unsigned char)lit[*i + e->vlen] != after) return 0;
    }
    if (!st_adv_n(st, elen)) return -1;
    *i += e->vlen;
    return 1;
}

/* ---- Matching inline nodes against the stream ------------------------------------------- */

/* Matches the bytes of lit[0..n) that stand as they are on the stream's current line, at
 * once: up to the first difference, line end, backslash, '&' or NUL. Returns how many. */
static size_t match_run(stream *st, const char *lit, size_t n)
{
    const seg *sg = &st->segs[st->si];
    size_t max = st->pos < sg->end ? sg->end - st->pos : 0, j = 0;
    if (max > n) max = n;
    if (*st->budget <= (long)max) return 0; /* the careful way, which runs out where it must */
    const char *p = st->t + st->pos;
    while (j < max && p[j] == lit[j] && p[j] != '\\' && p[j] != '&' && p[j] != '\0') j++;
    if (j) {
        st->pos += j;
        *st->budget -= (long)j;
        st_settle(st);
    }
    return j;
}

static bool match_text(mdctx *c, stream *st, const char *lit, bool lead)
{
    size_t n = strlen(lit), i = 0;
    while (lead && (lit[i] == ' ' || lit[i] == '\t'))
        i++;
    while (i < n) {
        size_t run = match_run(st, lit + i, n - i);
        if (run) {
            i += run;
            continue;
        }
        int ch = st_peek(st);
        if (ch == '\\' && ascii_punct((unsigned char)lit[i]) &&
            st_peek_at(*st, 1) == (unsigned char)lit[i]) {
            if (!st_adv_n(st, 2)) return false;
            i++;
            continue;
        }
        if (ch == '&') {
            int r = match_entity(c, st, lit, n, &i);
            if (r < 0) return false;
            if (r > 0) continue;
        }
        if (ch == 0 && n - i >= 3 && memcmp(lit + i, "\xEF\xBF\xBD", 3) == 0) { /* NUL */
            if (!st_adv(st)) return false;
            i += 3;
            continue;
        }
        if (ch != (unsigned char)lit[i] || !st_adv(st)) return false;
        i++;
    }
    return true;
}

/* Raw HTML is kept verbatim. */
static bool match_html(stream *st, const char *lit)
{
    for (size_t i = 0; lit[i]; i++)
        if (st_peek(st) != (unsigned char)lit[i] || !st_adv(st)) return false;
    return true;
}

static bool skip_code(stream *st)
{
    size_t open = 0;
    while (st_peek(st) == '`') {
        if (!st_adv(st)) return false;
        open++;
    }
    if (open == 0) return false;
    for (;;) {
        int ch = st_peek(st);
        if (ch < 0) return false;
        if (ch != '`') {
            if (!st_adv(st)) return false;
            continue;
        }
        size_t run = 0;
        while (st_peek(st) == '`') {
            if (!st_adv(st)) return false;
            run++;
        }
        if (run == open) return true;
    }
}

/* A soft or hard line break, with the blanks that start the next line. After a backslash
 * break cmark keeps those blanks in the next text node when the line is lazy (and stores none
 * otherwise); *lead tells match_text to ignore them on its side too. */
static bool match_break(stream *st, bool hard, bool *lead)
{
    int ch;
    while ((ch = st_peek(st)) == ' ' || ch == '\t')
        if (!st_adv(st)) return false;
    bool backslash = hard && ch == '\\';
    if (backslash) {
        if (!st_adv(st)) return false;
        ch = st_peek(st);
    }
    if (ch != '\n' || !st_adv(st)) return false;
    while ((ch = st_peek(st)) == ' ' || ch == '\t')
        if (!st_adv(st)) return false;
    *lead = backslash;
    return true;
}

/* count delimiters of one kind ('*' or '_' for emphasis, '~' for strikethrough). */
static bool match_delims(stream *st, int count, bool tilde)
{
    int first = st_peek(st);
    if (tilde ? first != '~' : first != '*' && first != '_') return false;
    for (int k = 0; k < count; k++)
        if (st_peek(st) != first || !st_adv(st)) return false;
    return true;
}

static bool skip_footnote_ref(stream *st)
{
    if (st_peek(st) != '[' || st_peek_at(*st, 1) != '^') return false;
    for (;;) {
        int ch = st_peek(st);
        if (ch < 0 || !st_adv(st)) return false;
        if (ch == ']') return true;
    }
}

/* A link destination (cmark's manual_scan_link_url). */
static bool skip_dest(stream *st)
{
    if (st_peek(st) == '<') {
        if (!st_adv(st)) return false;
        for (;;) {
            int ch = st_peek(st);
            if (ch < 0 || ch == '\n' || ch == '<' || !st_adv(st)) return false;
            if (ch == '>') return true;
            if (ch == '\\' && st_peek(st) >= 0 && !st_adv(st)) return false;
        }
    }
    int depth = 0;
    for (;;) {
        int ch = st_peek(st);
        if (ch < 0) return false;
        if (ch == '\\' && ascii_punct(st_peek_at(*st, 1))) {
            if (!st_adv_n(st, 2)) return false;
            continue;
        }
        if (ch == '(' && ++depth > 32) return false;
        if (ch == ')' && depth-- == 0) return true;
        if (cmark_space(ch)) return true;
        if (!st_adv(st)) return false;
    }
}

/* A link title in "", '' or () (cmark's scan_link_title). */
static bool skip_title(stream *st)
{
    int open = st_peek(st), close = open == '(' ? ')' : open;
    if ((open != '"' && open != '\'' && open != '(') || !st_adv(st)) return false;
    for (;;) {
        int ch = st_peek(st);
        if (ch <= 0) return false;
        if (ch == '\\' && ascii_punct(st_peek_at(*st, 1))) {
            if (!st_adv_n(st, 2)) return false;
            continue;
        }
        if (!st_adv(st)) return false;
        if (ch == close) return true;
        if (open == '(' && ch == '(') return false;
    }
}

/* "(dest "title")" after a link's text. */
static bool skip_inline_tail(stream *st)
{
    if (!st_adv(st) || !skip_ws(st) || !skip_dest(st)) return false;
    stream before = *st;
    if (!skip_ws(st)) return false;
    if (st->si != before.si || st->pos != before.pos) {
        stream at_title = *st;
        if (!skip_title(st)) *st = at_title;
        if (!skip_ws(st)) return false;
    }
    return st_peek(st) == ')' && st_adv(st);
}

/* "[label]" or "[]" after a link's text (cmark's link_label). */
static bool skip_label(stream *st)
{
    if (!st_adv(st)) return false;
    for (int length = 0; length <= 1000;) {
        int ch = st_peek(st);
        if (ch <= 0 || ch == '[') return false;
        if (!st_adv(st)) return false;
        if (ch == ']') return true;
        length++;
        if (ch == '\\' && ascii_punct(st_peek(st))) {
            if (!st_adv(st)) return false;
            length++;
        }
    }
    return false;
}

/* What follows "]": an inline destination, else a reference label, else nothing (shortcut). */
static void skip_link_tail(stream *st)
{
    stream save = *st;
    if (st_peek(st) == '(') {
        if (skip_inline_tail(st)) return;
        *st = save;
    }
    if (st_peek(st) == '[') {
        if (skip_label(st)) return;
        *st = save;
    }
}

/* ---- Aligning a leaf's inline nodes with its source ------------------------------------- */

enum { LK_BRACKET = 1, LK_ANGLE, LK_BARE };

static void stk_push(mdctx *c, int v)
{
    xgrow(&c->stk, &c->stk_cap, c->nstk + 1, sizeof *c->stk);
    c->stk[c->nstk++] = v;
}

static int stk_pop(mdctx *c)
{
    return c->nstk ? c->stk[--c->nstk] : 0;
}

/* Records where link number *li starts and consumes its opening "[", "![", "<" or nothing
 * (an extension autolink starts with its own text). */
static bool link_enter(mdctx *c, stream *st, bool image, size_t *li)
{
    if (*li >= c->nleaf_links) return false;
    c->found[2 * *li] = st->si;
    c->found[2 * *li + 1] = st->pos;
    (*li)++;
    int ch = st_peek(st);
    if (image) {
        stk_push(c, LK_BRACKET);
        return ch == '!' && st_adv(st) && st_peek(st) == '[' && st_adv(st);
    }
    stk_push(c, ch == '[' ? LK_BRACKET : ch == '<' ? LK_ANGLE : LK_BARE);
    return ch == '[' || ch == '<' ? st_adv(st) : ch > 0 && ch != '\n';
}

static bool align_enter(mdctx *c, stream *st, cmark_node *n, size_t *li)
{
    bool lead = c->lead;
    c->lead = false;
    switch (cmark_node_get_type(n)) {
    case CMARK_NODE_TEXT:
        return match_text(c, st, literal(n), lead);
    case CMARK_NODE_CODE:
        return skip_code(st);
    case CMARK_NODE_HTML_INLINE:
        return match_html(st, literal(n));
    case CMARK_NODE_SOFTBREAK:
        return match_break(st, false, &c->lead);
    case CMARK_NODE_LINEBREAK:
        return match_break(st, true, &c->lead);
    case CMARK_NODE_EMPH:
        return match_delims(st, 1, false);
    case CMARK_NODE_STRONG:
        return match_delims(st, 2, false);
    case CMARK_NODE_FOOTNOTE_REFERENCE:
        return skip_footnote_ref(st);
    case CMARK_NODE_LINK:
        return link_enter(c, st, false, li);
    case CMARK_NODE_IMAGE:
        return link_enter(c, st, true, li);
    default:
        break;
    }
    if (!type_named(n, "strikethrough")) return false;
    int run = 0;
    while (run < 3 && st_peek_at(*st, run) == '~')
        run++;
    stk_push(c, run);
    return run > 0 && run < 3 && match_delims(st, run, true);
}

static bool align_exit(mdctx *c, stream *st, cmark_node *n)
{
    switch (cmark_node_get_type(n)) {
    case CMARK_NODE_EMPH:
        return match_delims(st, 1, false);
    case CMARK_NODE_STRONG:
        return match_delims(st, 2, false);
    case CMARK_NODE_LINK:
    case CMARK_NODE_IMAGE: {
        int kind = stk_pop(c);
        if (kind == LK_BARE) return true;
        if (kind == LK_ANGLE) return st_peek(st) == '>' && st_adv(st);
        if (st_peek(st) != ']' || !st_adv(st)) return false;
        skip_link_tail(st);
        return *st->budget >= 0;
    }
    default:
        break;
    }
    if (type_named(n, "strikethrough")) return match_delims(st, stk_pop(c), true);
    return true;
}

/* One attempt: true when every inline node matched and only blanks (and an ATX heading's
 * closing #s) remain. */
static bool align_attempt(mdctx *c, cmark_node *leaf, stream *st, bool atx)
{
    cmark_iter *it = cmark_iter_new(leaf);
    cmark_event_type ev;
    size_t li = 0;
    bool ok = true;
    c->nstk = 0;
    c->lead = false;
    while (ok && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        if (n == leaf) continue;
        ok = ev == CMARK_EVENT_ENTER ? align_enter(c, st, n, &li) : align_exit(c, st, n);
    }
    cmark_iter_free(it);
    if (!ok || li != c->nleaf_links) return false;
    int ch;
    while ((ch = st_peek(st)) == ' ' || ch == '\t' || ch == '\n' || (atx && ch == '#'))
        if (!st_adv(st)) return false;
    return st_peek(st) < 0;
}

static void seg_push(mdctx *c, size_t start, size_t end, int line)
{
    xgrow(&c->segs, &c->segs_cap, c->nsegs + 1, sizeof *c->segs);
    c->segs[c->nsegs++] = (seg){start, end < start ? start : end, line, false};
}

/* A table cell: the table extension deletes the backslash of every "\|" before parsing the
 * cell's inlines, so the stream skips those backslashes. */
static void segs_cell(mdctx *c, size_t start, size_t end, int line)
{
    size_t from = start;
    for (size_t i = start; i + 1 < end; i++) {
        if (c->s.t[i] != '\\' || c->s.t[i + 1] != '|') continue;
        seg_push(c, from, i, line);
        c->segs[c->nsegs - 1].glued = from != start;
        from = ++i;
    }
    seg_push(c, from, end, line);
    c->segs[c->nsegs - 1].glued = from != start;
}

/* cmark-gfm places every row's cells as if the row began in the table's first column; on a
 * row whose container prefix is wider (or narrower), the cells move by the difference. */
static int cell_shift(mdctx *c, cmark_node *cell, int line)
{
    cmark_node *row = cmark_node_parent(cell), *table = row ? cmark_node_parent(row) : NULL;
    if (!table || cmark_node_get_start_line(table) == line) return 0;
    if (c->nframes && !c->frames[c->nframes - 1].ok) return 0;
    if (c->shift_line != line) { /* once per row, not per cell */
        bool lazy;
        lpos p = prefix_walk(&c->s, line, c->frames, c->nframes, &lazy);
        p = skip_spaces(&c->s, c->s.lines[line - 1].end, p);
        c->shift_line = line;
        c->shift_col = (int)(p.pos - c->s.lines[line - 1].start) + 1;
    }
    return c->shift_col - cmark_node_get_start_column(table);
}

/* "===" or "---" with optional trailing blanks: a setext underline. */
static bool setext_underline(const src *s, size_t p, size_t end)
{
    char ch = p < end ? s->t[p] : 0;
    if (ch != '=' && ch != '-') return false;
    while (p < end && s->t[p] == ch)
        p++;
    while (p < end && is_space_tab(s->t[p]))
        p++;
    return p == end;
}

/* The lines after a paragraph's (or setext heading's) first one as cmark stores them: from the
 * first non-blank after the container prefix, but on a lazy line from the end of the prefix
 * that matched (the inline parser then skips those blanks, except after a backslash break). */
static bool segs_continuation(mdctx *c, int line, int last, bool setext)
{
    if (c->nframes && !c->frames[c->nframes - 1].ok) return line >= last;
    for (int l = line + 1; l <= last; l++) {
        size_t end = c->s.lines[l - 1].end;
        bool lazy;
        lpos p = prefix_walk(&c->s, l, c->frames, c->nframes, &lazy);
        lpos q = skip_spaces(&c->s, end, p);
        if (setext && setext_underline(&c->s, q.pos, end)) break;
        seg_push(c, lazy ? p.pos : q.pos, end, l);
    }
    return true;
}

/* Splits the leaf's source into segments. *atx is set for ATX headings. */
static bool build_segs(mdctx *c, cmark_node *leaf, bool *atx)
{
    int line = cmark_node_get_start_line(leaf), col = cmark_node_get_start_column(leaf);
    c->nsegs = 0;
    *atx = false;
    if (!line_ok(&c->s, line) || col < 1) return false;
    const line_span *ls = &c->s.lines[line - 1];
    size_t start = ls->start + (size_t)col - 1, end = ls->end;
    if (start > end) return false;
    if (type_named(leaf, "table_cell")) {
        int ecol = cmark_node_get_end_column(leaf), shift = cell_shift(c, leaf, line);
        if (col + shift < 1 || ls->start + (size_t)(col + shift) - 1 > end) return false;
        start = ls->start + (size_t)(col + shift) - 1;
        if (ecol >= col && ls->start + (size_t)(ecol + shift) < end)
            end = ls->start + (size_t)(ecol + shift);
        segs_cell(c, start, end, line);
        return true;
    }
    bool heading = cmark_node_get_type(leaf) == CMARK_NODE_HEADING;
    size_t h = start;
    while (heading && h < end && c->s.t[h] == '#' && h - start < 7)
        h++;
    if (heading && h > start && h - start <= 6 && (h == end || is_space_tab(c->s.t[h]))) {
        *atx = true;
        seg_push(c, h, end, line);
        return true;
    }
    if (cmark_node_get_type(leaf) != CMARK_NODE_PARAGRAPH && !heading) return false;
    seg_push(c, start, end, line);
    /* A setext heading stops at its underline; cmark's end line may be one past it. */
    int last = cmark_node_get_end_line(leaf) + (heading ? 1 : 0);
    if (last > (int)c->s.nlines) last = (int)c->s.nlines;
    return segs_continuation(c, line, last, heading);
}

/* Tries the alignment from the first segment and, for paragraphs whose first lines were link
 * reference definitions (cmark 0.29 does not move the start past them), from each later one. */
static bool align_leaf(mdctx *c, cmark_node *leaf)
{
    bool atx;
    if (!build_segs(c, leaf, &atx) || c->nsegs == 0) return false;
    size_t total = 0;
    for (size_t i = 0; i < c->nsegs; i++)
        total += c->segs[i].end - c->segs[i].start + 1;
    long budget = (long)(total < 1000000 ? total : 1000000) * 8 + 4096;
    for (size_t first = 0; first < c->nsegs && budget > 0; first++) {
        if (c->segs[first].glued) continue;
        stream st = {c->s.t, c->segs, c->nsegs, first, c->segs[first].start, &budget};
        st_settle(&st);
        while (is_space_tab(st_peek(&st)))
            if (!st_adv(&st)) break;
        if (align_attempt(c, leaf, &st, atx)) return true;
    }
    return false;
}

static void link_add(mdctx *c, cmark_node *n, int line, int col)
{
    xgrow(&c->links, &c->links_cap, c->nlinks + 1, sizeof *c->links);
    link_rec *r = &c->links[c->nlinks];
    const char *url = cmark_node_get_url(n);
    r->link.dest = xstrdup(url ? url : "");
    r->link.image = cmark_node_get_type(n) == CMARK_NODE_IMAGE;
    file_pos(c, line, col, &r->link.line, &r->link.col);
    r->seq = c->nlinks++;
}

/* Records the links of one leaf block with their positions: aligned when possible, else
 * cmark's own (or the block's) position. */
static void leaf_links(mdctx *c, cmark_node *leaf)
{
    c->nleaf_links = 0;
    cmark_iter *it = cmark_iter_new(leaf);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        cmark_node_type t = cmark_node_get_type(n);
        if (ev != CMARK_EVENT_ENTER || (t != CMARK_NODE_LINK && t != CMARK_NODE_IMAGE)) continue;
        xgrow(&c->leaf_links, &c->leaf_links_cap, c->nleaf_links + 1, sizeof *c->leaf_links);
        c->leaf_links[c->nleaf_links++] = n;
    }
    cmark_iter_free(it);
    if (c->nleaf_links == 0) return;
    xgrow(&c->found, &c->found_cap, 2 * c->nleaf_links, sizeof *c->found);
    bool aligned = align_leaf(c, leaf);
    for (size_t k = 0; k < c->nleaf_links; k++) {
        cmark_node *n = c->leaf_links[k];
        int line = cmark_node_get_start_line(n), col = cmark_node_get_start_column(n);
        if (aligned) {
            const seg *sg = &c->segs[c->found[2 * k]];
            line = sg->line;
            col = (int)(c->found[2 * k + 1] - c->s.lines[line - 1].start) + 1;
        } else if (line < 1 || col < 1) {
            line = cmark_node_get_start_line(leaf);
            col = cmark_node_get_start_column(leaf);
        }
        link_add(c, n, line < 1 ? 1 : line, col < 1 ? 1 : col);
    }
}

static int link_cmp(const void *a, const void *b)
{
    const link_rec *x = a, *y = b;
    if (x->link.line != y->link.line) return x->link.line < y->link.line ? -1 : 1;
    if (x->link.col != y->link.col) return x->link.col < y->link.col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- Headings ------------------------------------------------------------------------ */

/* The heading's text as GitHub's filter reads it from the HTML: text and code, line breaks as
 * '\n', no image alt text, no raw HTML tags. */
static void heading_collect(mdctx *c, cmark_node *h)
{
    buf_t b = BUF_INIT;
    int image = 0;
    cmark_iter *it = cmark_iter_new(h);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        cmark_node_type t = cmark_node_get_type(n);
        if (t == CMARK_NODE_IMAGE) image += ev == CMARK_EVENT_ENTER ? 1 : -1;
        if (ev != CMARK_EVENT_ENTER || image) continue;
        if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE)
            buf_puts(&b, literal(n));
        else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
            buf_putc(&b, '\n');
    }
    cmark_iter_free(it);
    xgrow(&c->heads, &c->heads_cap, c->nheads + 1, sizeof *c->heads);
    heading_rec *r = &c->heads[c->nheads++];
    r->node = h;
    r->level = cmark_node_get_heading_level(h);
    r->line = cmark_node_get_start_line(h);
    r->raw = buf_detach(&b);
}

static bool has_inline_child(cmark_node *n)
{
    cmark_node *ch = cmark_node_first_child(n);
    return ch && (cmark_node_get_type(ch) & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_INLINE;
}

static void walk_event(mdctx *c, cmark_node *n, bool enter, bool want_headings)
{
    cmark_node_type t = cmark_node_get_type(n);
    int kind = t == CMARK_NODE_BLOCK_QUOTE           ? K_QUOTE
               : t == CMARK_NODE_ITEM                ? K_ITEM
               : t == CMARK_NODE_FOOTNOTE_DEFINITION ? K_FOOTNOTE
                                                     : -1;
    if (kind >= 0) {
        if (enter)
            frame_push(c, n, kind);
        else if (c->nframes)
            c->nframes--;
    }
    if (!enter) return;
    if (t == CMARK_NODE_HEADING && want_headings) heading_collect(c, n);
    if (c->want_items && (t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE ||
                          (t == CMARK_NODE_HEADING && want_headings))) {
        xgrow(&c->inodes, &c->inodes_cap, c->ninodes + 1, sizeof *c->inodes);
        c->inodes[c->ninodes++] = n;
    }
    if (t == CMARK_NODE_HTML_BLOCK || t == CMARK_NODE_HTML_INLINE) c->has_html = true;
    if (t == CMARK_NODE_FOOTNOTE_DEFINITION || t == CMARK_NODE_FOOTNOTE_REFERENCE)
        c->has_footnotes = true;
    if (is_block(n) && has_inline_child(n)) leaf_links(c, n);
}

static void walk(mdctx *c, cmark_node *doc, bool want_headings)
{
    cmark_iter *it = cmark_iter_new(doc);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
        walk_event(c, cmark_iter_get_node(it), ev == CMARK_EVENT_ENTER, want_headings);
    cmark_iter_free(it);
}

/* Replaces heading node h by a custom block that renders exactly like it but with our opening
 * tag: the id lives in the AST, so no heading text or raw HTML can confuse it. h is unlinked,
 * not freed: its inline nodes point into its content buffer, so it must outlive rendering
 * (the arena drops it with the rest of the tree). */
static void heading_replace(cmark_node *h, const char *open, const char *close)
{
    cmark_node *blk = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_BLOCK, &arena_mem);
    cmark_node *o = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_INLINE, &arena_mem);
    cmark_node *e = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_INLINE, &arena_mem);
    cmark_node_set_on_enter(o, open);
    cmark_node_set_on_enter(e, close);
    if (!cmark_node_insert_before(h, blk) || !cmark_node_append_child(blk, o)) return;
    for (cmark_node *ch; (ch = cmark_node_first_child(h));)
        if (!cmark_node_append_child(blk, ch)) cmark_node_unlink(ch);
    cmark_node_append_child(blk, e);
    cmark_node_unlink(h);
}

/* The toc text: the heading's text on one line, trimmed. */
static char *toc_text(const char *raw)
{
    size_t a = 0, z = strlen(raw);
    while (a < z && cmark_space((unsigned char)raw[a]))
        a++;
    while (z > a && cmark_space((unsigned char)raw[z - 1]))
        z--;
    char *s = xstrndup(raw + a, z - a);
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    return s;
}

static void headings_finish(mdctx *c, md_result *out)
{
    slug_set *set = slug_set_new();
    buf_t id = BUF_INIT, open = BUF_INIT;
    char close[8];
    out->toc = xcalloc(c->nheads ? c->nheads : 1, sizeof *out->toc);
    for (size_t i = 0; i < c->nheads; i++) {
        heading_rec *h = &c->heads[i];
        buf_clear(&id);
        slug_heading_id(h->raw, strlen(h->raw), &id);
        slug_set_unique(set, &id);
        md_heading *m = &out->toc[out->ntoc++];
        int col;
        m->level = h->level;
        m->id = xstrdup(buf_cstr(&id));
        m->text = toc_text(h->raw);
        file_pos(c, h->line, 1, &m->line, &col);
        buf_clear(&open);
        buf_printf(&open, "<h%d", h->level);
        if (id.len) { /* an empty id is not valid HTML; such a heading gets no anchor */
            buf_puts(&open, " id=\"");
            buf_put_html_escaped(&open, id.ptr, id.len);
            buf_putc(&open, '"');
        }
        buf_putc(&open, '>');
        snprintf(close, sizeof close, "</h%d>", h->level);
        heading_replace(h->node, buf_cstr(&open), close);
    }
    buf_free(&id);
    buf_free(&open);
    slug_set_free(set);
}

/* ---- Entry points ------------------------------------------------------------------------ */

static cmark_parser *parse(const char *text, size_t len, cmark_node **doc)
{
    bool locked = parse_begin();
    if (locked) cmark_gfm_core_extensions_ensure_registered();
    cmark_parser *p = new_parser(&arena_mem);
    cmark_parser_feed(p, text, len);
    *doc = cmark_parser_finish(p);
    parse_end(locked);
    return p;
}

static void ctx_free(mdctx *c)
{
    for (size_t i = 0; i < c->nheads; i++)
        free(c->heads[i].raw);
    free(c->heads);
    free(c->links);
    free(c->frames);
    free(c->segs);
    free(c->leaf_links);
    free(c->found);
    free(c->stk);
    free(c->inodes);
    free(c->s.lines);
}

/* ---- What an HTML parser will find ------------------------------------------------------ */

/* Whether cmark-gfm (without CMARK_OPT_UNSAFE) writes href="" for this URL: its
 * scan_dangerous_url, which no public header offers. Guessing wrong costs nothing but speed:
 * the markup expected would not be found, and items_known would be false. */
static bool url_dangerous(const char *u)
{
    if (strncasecmp(u, "data:image/", 11) == 0) {
        static const char *const ok[] = {"png", "gif", "jpeg", "webp"};
        for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
            if (strncasecmp(u + 11, ok[i], strlen(ok[i])) == 0) return false;
    }
    return strncasecmp(u, "javascript:", 11) == 0 || strncasecmp(u, "vbscript:", 9) == 0 ||
           strncasecmp(u, "file:", 5) == 0 || strncasecmp(u, "data:", 5) == 0;
}

/* Counts the markup items_find looks for in html, by kind: <a href=", <img src=" and  id=",
 * in one pass over the '=' signs (a search for each, from its '<' or ' ', stops at every
 * tag or word). */
static void count_markup(const char *html, size_t len, size_t n[3])
{
    static const struct {
        const char *s;
        size_t n;
    } before[] = {{"<a href", 7}, {"<img src", 8}, {" id", 3}}; /* by md_item_kind */
    for (const char *p = html, *end = html + len; (p = memchr(p, '=', (size_t)(end - p))); p++) {
        if (end - p < 2 || p[1] != '"') continue;
        for (int k = 0; k < 3; k++)
            if ((size_t)(p - html) >= before[k].n &&
                memcmp(p - before[k].n, before[k].s, before[k].n) == 0)
                n[k]++;
    }
}

/* Appends the start of the tag cmark writes for a link or image node: <a href="…" or
 * <img src="…", the URL escaped by cmark's own houdini_escape_href; *value gets the URL as an
 * HTML parser reads it back (&amp; and &#x27;, the only entities that escaping writes, decoded). */
static void link_markup(cmark_node *n, bool unsafe, buf_t *markup, buf_t *value)
{
    const char *url = cmark_node_get_url(n);
    if (!url || (!unsafe && url_dangerous(url))) url = "";
    cmark_strbuf esc;
    cmark_strbuf_init(cmark_get_default_mem_allocator(), &esc, 0);
    houdini_escape_href(&esc, (const uint8_t *)url, (bufsize_t)strlen(url));
    const char *e = (const char *)esc.ptr;
    size_t elen = (size_t)esc.size;
    buf_puts(markup, cmark_node_get_type(n) == CMARK_NODE_IMAGE ? "<img src=\"" : "<a href=\"");
    buf_put(markup, e, elen);
    buf_putc(markup, '"');
    for (size_t i = 0; i < elen;) {
        if (e[i] != '&') buf_putc(value, e[i++]);
        else if (strncmp(e + i, "&amp;", 5) == 0) buf_putc(value, '&'), i += 5;
        else if (strncmp(e + i, "&#x27;", 6) == 0) buf_putc(value, '\''), i += 6;
        else buf_putc(value, e[i++]);
    }
    cmark_strbuf_free(&esc);
}

/* Fills out->items from the nodes the walk kept, each found in html (see md_render). */
static void items_find(mdctx *c, const md_options *opt, md_result *out)
{
    const char *html = out->html, *end = html + out->html_len, *at = html, *counted = html;
    if (!c->want_items || c->has_footnotes || (opt->unsafe && c->has_html)) return;
    size_t want[3] = {0}, head = 0;
    int lines = 0;
    buf_t markup = BUF_INIT, value = BUF_INIT;
    out->items = xcalloc(c->ninodes ? c->ninodes : 1, sizeof *out->items);
    bool ok = true;
    for (size_t i = 0; ok && i < c->ninodes; i++) {
        cmark_node *n = c->inodes[i];
        md_item it = {MD_ITEM_LINK, 0, NULL, 0};
        buf_clear(&markup);
        buf_clear(&value);
        if (cmark_node_get_type(n) == CMARK_NODE_HEADING) {
            const md_heading *h = &out->toc[head++];
            if (!h->id[0]) continue; /* no id attribute */
            it.kind = MD_ITEM_ID;
            it.level = h->level;
            buf_printf(&markup, "<h%d id=\"", h->level);
            buf_put_html_escaped(&markup, h->id, strlen(h->id));
            buf_puts(&markup, "\">");
            buf_puts(&value, h->id);
        } else {
            it.kind = cmark_node_get_type(n) == CMARK_NODE_IMAGE ? MD_ITEM_IMAGE : MD_ITEM_LINK;
            link_markup(n, opt->unsafe, &markup, &value);
        }
        const char *hit = mem_find(at, end, markup.ptr, markup.len);
        const char *gt = hit ? memchr(hit, '>', (size_t)(end - hit)) : NULL;
        if (!gt) {
            ok = false;
            break;
        }
        lines += (int)count_newlines(counted, gt);
        counted = gt;
        it.line = lines;
        it.str = xstrdup(buf_cstr(&value));
        out->items[out->nitems++] = it;
        want[it.kind]++;
        at = hit + markup.len;
    }
    size_t found[3] = {0};
    if (ok) count_markup(html, out->html_len, found);
    ok = ok && found[MD_ITEM_LINK] == want[MD_ITEM_LINK] &&
         found[MD_ITEM_IMAGE] == want[MD_ITEM_IMAGE] && found[MD_ITEM_ID] == want[MD_ITEM_ID];
    buf_free(&markup);
    buf_free(&value);
    out->items_known = ok;
    if (ok) return;
    for (size_t i = 0; i < out->nitems; i++) free(out->items[i].str);
    free(out->items);
    out->items = NULL;
    out->nitems = 0;
}

/* Puts base_path in front of every root-relative link and image URL ("/x/", not "//host"). */
static void prefix_root_links(cmark_node *doc, const char *base_path)
{
    size_t n = base_path ? strlen(base_path) : 0;
    while (n > 0 && base_path[n - 1] == '/') n--;
    if (n == 0) return;
    buf_t url = BUF_INIT;
    cmark_iter *it = cmark_iter_new(doc);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *node = cmark_iter_get_node(it);
        cmark_node_type t = cmark_node_get_type(node);
        if (ev != CMARK_EVENT_ENTER || (t != CMARK_NODE_LINK && t != CMARK_NODE_IMAGE)) continue;
        const char *dest = cmark_node_get_url(node);
        if (!dest || dest[0] != '/' || dest[1] == '/') continue;
        buf_clear(&url);
        buf_put(&url, base_path, n);
        buf_puts(&url, dest);
        cmark_node_set_url(node, url.ptr);
    }
    cmark_iter_free(it);
    buf_free(&url);
}

void md_render(const char *text, size_t len, int first_line, int first_col, const md_options *opt,
               md_result *out)
{
    static const md_options defaults = {false, false, NULL, false};
    mdctx c;
    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    if (!opt) opt = &defaults;
    if (!text) text = "", len = 0;
    src_init(&c.s, text, len);
    c.first_line = first_line;
    c.first_col = first_col;
    c.want_items = opt->items;
    cmark_node *doc;
    cmark_parser *parser = parse(text, len, &doc);
    walk(&c, doc, opt->heading_ids);
    if (c.nlinks > 1) qsort(c.links, c.nlinks, sizeof *c.links, link_cmp);
    out->links = xcalloc(c.nlinks ? c.nlinks : 1, sizeof *out->links);
    for (size_t i = 0; i < c.nlinks; i++)
        out->links[i] = c.links[i].link;
    out->nlinks = c.nlinks;
    if (opt->heading_ids) headings_finish(&c, out);
    prefix_root_links(doc, opt->base_path);
    int ropt = opt->unsafe ? CMARK_OPT_UNSAFE : CMARK_OPT_DEFAULT;
    char *html = cmark_render_html(doc, ropt, cmark_parser_get_syntax_extensions(parser));
    out->html_len = strlen(html);
    out->html = xstrndup(html, out->html_len);
    items_find(&c, opt, out);
    cmark_parser_free(parser);
    arena_reset(&md_arena); /* the tree, the parser and the HTML */
    ctx_free(&c);
}

/* md_count_words' byte classes: 0 blank (space, tab, LF, CR), 2 a letter, digit or byte of a
 * non-ASCII character, 1 anything else. */
static const unsigned char word_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1,
    1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1,
    1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

#ifdef __SSE2__
/* Bit k set when byte k of v equals c. */
static unsigned bytes_eq(__m128i v, char c)
{
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}

/* Bit k set when byte k of v is in lo..hi. */
static unsigned bytes_in(__m128i v, unsigned char lo, unsigned char hi)
{
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8((char)lo)); /* in range: 0 .. hi - lo */
    return (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((char)(hi - lo))), d));
}

/* md_count_words for the 64 bytes at p, with bit masks: with R the non-blank bytes and A the
 * letters, digits and non-ASCII bytes (A is inside R), the first A of each run of R is a bit
 * of A & ~(R + A): adding A's bit to its run clears the run from there and carries past its
 * end, and each later A of the run adds to that carry and stays set. *carry (0 or 1) comes
 * in set when the run that ends the previous block is already a word, and goes out so. */
static size_t words64(const unsigned char *p, uint64_t *carry)
{
    uint64_t blank = 0, alnum = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        unsigned b = bytes_eq(v, ' ') | bytes_eq(v, '\t') | bytes_eq(v, '\n') | bytes_eq(v, '\r');
        unsigned a = (unsigned)_mm_movemask_epi8(v) | bytes_in(v, '0', '9') |
                     bytes_in(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z'); /* A-Z too */
        blank |= (uint64_t)b << (16 * k);
        alnum |= (uint64_t)a << (16 * k);
    }
    uint64_t run = ~blank, sum, total;
    bool c1 = __builtin_add_overflow(run, alnum, &sum);
    bool c2 = __builtin_add_overflow(sum, *carry, &total);
    *carry = c1 | c2;
    return (size_t)__builtin_popcountll(alnum & ~total);
}
#endif

size_t md_count_words(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t words = 0, i = 0;
    unsigned counted = 0; /* 1: the current run is already a word */
#ifdef __SSE2__
    uint64_t carry = 0;
    for (; len - i >= 64; i += 64)
        words += words64(s + i, &carry);
    counted = (unsigned)carry;
#endif
    /* Without branches on the bytes (words and blanks alternate too often to predict): a
     * run of non-blank bytes counts once, at its first letter or digit. */
    for (; i < len; i++) {
        unsigned k = word_class[s[i]], first = (k >> 1) & ~counted;
        words += first;
        counted = (counted | first) & (k != 0);
    }
    return words;
}

/* A line that opens or closes a fenced code block: up to 3 spaces, then ``` or ~~~. */
static bool is_fence(const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && i < 3 && line[i] == ' ') i++;
    return n - i >= 3 && (memcmp(line + i, "```", 3) == 0 || memcmp(line + i, "~~~", 3) == 0);
}

bool md_first_heading(const char *text, size_t len, buf_t *out)
{
    bool fenced = false;
    for (size_t at = 0; at < len;) {
        const char *line = text + at, *nl = memchr(line, '\n', len - at);
        size_t n = nl ? (size_t)(nl - line) : len - at;
        at += n + 1;
        if (is_fence(line, n)) fenced = !fenced;
        size_t i = 0;
        while (i < n && i < 3 && line[i] == ' ') i++;
        if (fenced || i + 1 >= n || line[i] != '#' || (line[i + 1] != ' ' && line[i + 1] != '\t'))
            continue;
        const char *b = line + i + 2, *e = line + n;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
        while (e > b && e[-1] == '#') e--;
        while (b < e && (*b == ' ' || *b == '\t')) b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t')) e--;
        if (e == b) continue;
        buf_put(out, b, (size_t)(e - b));
        return true;
    }
    return false;
}

/* One replacement of md_polish_html: cmark's markup, and what replaces it. */
typedef struct polish_rule {
    const char *from;
    size_t len; /* of from */
    const char *to;
} polish_rule;

#define RULE(from, to) {from, sizeof from - 1, to}

static const polish_rule polish_rules[] = {
    RULE("<table>", "<div class=\"table-wrap\" tabindex=\"0\"><table>"),
    RULE("</table>", "</table></div>"),
    RULE("<pre>", "<pre tabindex=\"0\">"),
    RULE("<input type=\"checkbox\" checked=\"\" disabled=\"\" /> ",
         "<span class=\"task-box task-done\" aria-hidden=\"true\"></span>"
         "<span class=\"visually-hidden\">Done: </span>"),
    RULE("<input type=\"checkbox\" disabled=\"\" /> ",
         "<span class=\"task-box\" aria-hidden=\"true\"></span>"
         "<span class=\"visually-hidden\">To do: </span>"),
    RULE("<section class=\"footnotes\" data-footnotes>",
         "<section class=\"footnotes\" data-footnotes aria-label=\"Footnotes\">"),
};

/* <pre><code class="language-xyz"> becomes <pre data-lang="xyz" tabindex="0"><code …>. */
static size_t polish_code(const char *p, const char *end, buf_t *out)
{
    static const char open[] = "<pre><code class=\"language-";
    size_t n = sizeof open - 1;
    if ((size_t)(end - p) <= n || memcmp(p, open, n) != 0) return 0;
    const char *lang = p + n, *q = memchr(lang, '"', (size_t)(end - lang));
    if (!q || q == lang) return 0;
    buf_puts(out, "<pre data-lang=\"");
    buf_put(out, lang, (size_t)(q - lang));
    buf_puts(out, "\" tabindex=\"0\"><code class=\"language-");
    buf_put(out, lang, (size_t)(q - lang));
    return (size_t)(q - p);
}

void md_polish_html(const char *html, size_t len, buf_t *out)
{
    const char *p = html, *end = html + len, *run = html;
    buf_grow(out, len + len / 8);
    while ((p = memchr(p, '<', (size_t)(end - p)))) {
        buf_put(out, run, (size_t)(p - run));
        size_t took = polish_code(p, end, out);
        for (size_t i = 0; !took && i < sizeof polish_rules / sizeof *polish_rules; i++) {
            size_t n = polish_rules[i].len;
            if ((size_t)(end - p) >= n && memcmp(p, polish_rules[i].from, n) == 0) {
                buf_puts(out, polish_rules[i].to);
                took = n;
            }
        }
        if (!took) {
            buf_putc(out, '<');
            took = 1;
        }
        p += took;
        run = p;
    }
    buf_put(out, run, (size_t)(end - run));
}

void md_items_free(md_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) free(items[i].str);
    free(items);
}

void md_result_free(md_result *r)
{
    if (!r) return;
    free(r->html);
    for (size_t i = 0; i < r->ntoc; i++) {
        free(r->toc[i].id);
        free(r->toc[i].text);
    }
    free(r->toc);
    for (size_t i = 0; i < r->nlinks; i++)
        free(r->links[i].dest);
    free(r->links);
    md_items_free(r->items, r->nitems);
    memset(r, 0, sizeof *r);
}
