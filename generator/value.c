/* value.c — YAML documents (via libyaml's event API) as a tree of values with file positions. */
#include "value.h"

#include <limits.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "strmap.h"
#include "util.h"

#define MAX_DEPTH 64             /* deepest nesting of lists and maps we accept */
#define DEFAULT_MAX_NODES 100000 /* expanded tree size when the caller passes 0 */
#define LINEAR_KEYS 16           /* maps up to this size find duplicate keys by scanning */

/* ===== Arena: a chunked bump allocator that owns everything in a document ===== */

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[]; /* cap bytes */
} chunk;

struct value_doc {
    chunk *chunks;   /* newest first */
    size_t next_cap; /* size of the next ordinary chunk: 2 KiB, then 4 KiB, so that the
                      * unused end of the last one stays small (front matter of every page
                      * stays in memory for the whole build) */
    value *root;
};

_Static_assert(sizeof(value) % alignof(max_align_t) == 0, "value is padded in the arena");

static chunk *chunk_new(size_t cap)
{
    chunk *c = xmalloc(sizeof(chunk) + cap);
    c->next = NULL;
    c->used = 0;
    c->cap = cap;
    return c;
}

/* size bytes at an offset that is a multiple of align (a power of two): nodes get
 * max_align_t, strings 1, so strings waste no padding. */
static void *arena_take(value_doc *doc, size_t size, size_t align)
{
    size = size ? size : 1;
    chunk *c = doc->chunks;
    size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;
    if (!c || at > c->cap || c->cap - at < size) {
        if (size > doc->next_cap / 4) {
            /* A big block gets a chunk of its own, kept behind the current one. */
            chunk *big = chunk_new(size);
            big->used = size;
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                doc->chunks = big;
            }
            return big->data;
        }
        c = chunk_new(doc->next_cap);
        c->next = doc->chunks;
        doc->chunks = c;
        if (doc->next_cap < 4 * 1024) doc->next_cap *= 2;
        at = 0;
    }
    c->used = at + size;
    return (char *)c->data + at;
}

void *value_doc_alloc(value_doc *doc, size_t size)
{
    void *p = arena_take(doc, size, alignof(max_align_t));
    memset(p, 0, size);
    return p;
}

static char *doc_strndup(value_doc *doc, const char *s, size_t n)
{
    char *d = arena_take(doc, n + 1, 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

const char *value_doc_strdup(value_doc *doc, const char *s)
{
    return doc_strndup(doc, s, strlen(s));
}

/* A document whose first chunk holds first_cap bytes (0: the ordinary first chunk). */
static value_doc *doc_new(size_t first_cap)
{
    value_doc *doc = xcalloc(1, sizeof *doc);
    doc->next_cap = 2048;
    if (first_cap) doc->chunks = chunk_new(first_cap);
    doc->root = value_doc_alloc(doc, sizeof(value));
    doc->root->kind = VAL_NULL;
    doc->root->line = 1;
    doc->root->col = 1;
    doc->root->str = "";
    return doc;
}

value_doc *value_doc_new(void)
{
    return doc_new(0);
}

void value_doc_free(value_doc *doc)
{
    if (!doc) return;
    chunk *c = doc->chunks;
    while (c) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(doc);
}

size_t value_doc_bytes(const value_doc *doc)
{
    size_t n = sizeof *doc;
    for (const chunk *c = doc->chunks; c; c = c->next) n += sizeof *c + c->cap;
    return n;
}

value *value_doc_root(value_doc *doc)
{
    return doc->root;
}

value *value_copy(value_doc *dst, const value *v)
{
    value *c = value_doc_alloc(dst, sizeof *c);
    *c = *v;
    c->str = value_is_scalar(v) ? doc_strndup(dst, v->str, v->len) : "";
    if (v->html) c->html = value_doc_strdup(dst, v->html);
    if (v->kind == VAL_LIST) {
        c->items = value_doc_alloc(dst, (v->n ? v->n : 1) * sizeof *c->items);
        for (size_t i = 0; i < v->n; i++) c->items[i] = value_copy(dst, v->items[i]);
    } else if (v->kind == VAL_MAP) {
        c->entries = value_doc_alloc(dst, (v->n ? v->n : 1) * sizeof *c->entries);
        for (size_t i = 0; i < v->n; i++) {
            c->entries[i] = v->entries[i];
            c->entries[i].key = value_doc_strdup(dst, v->entries[i].key);
            c->entries[i].val = value_copy(dst, v->entries[i].val);
        }
    }
    return c;
}

/* The arena bytes value_copy(v) takes at most: every node, array and string, and the padding
 * each node or array may need before it. */
static size_t copy_size(const value *v)
{
    const size_t pad = alignof(max_align_t) - 1;
    size_t n = pad + sizeof(value) + (value_is_scalar(v) ? v->len + 1 : 0) +
               (v->html ? strlen(v->html) + 1 : 0);
    if (v->kind == VAL_LIST) {
        n += pad + (v->n ? v->n : 1) * sizeof(value *);
        for (size_t i = 0; i < v->n; i++) n += copy_size(v->items[i]);
    } else if (v->kind == VAL_MAP) {
        n += pad + (v->n ? v->n : 1) * sizeof(value_entry);
        for (size_t i = 0; i < v->n; i++)
            n += strlen(v->entries[i].key) + 1 + copy_size(v->entries[i].val);
    }
    return n;
}

value_doc *value_map_subset(const value *map, bool (*keep)(const char *key))
{
    /* one chunk of the size it needs: these stay in memory for the whole build */
    size_t size = 2 * (alignof(max_align_t) - 1) + sizeof(value) + sizeof(value_entry);
    for (size_t i = 0; i < map->n; i++)
        if (keep(map->entries[i].key))
            size += sizeof(value_entry) + strlen(map->entries[i].key) + 1 +
                    copy_size(map->entries[i].val);
    value_doc *doc = doc_new(size);
    value *root = doc->root;
    root->line = map->line;
    root->col = map->col;
    root->kind = VAL_MAP;
    size_t n = 0;
    for (size_t i = 0; i < map->n; i++) n += keep(map->entries[i].key);
    root->entries = value_doc_alloc(doc, (n ? n : 1) * sizeof *root->entries);
    for (size_t i = 0; i < map->n; i++) {
        const value_entry *e = &map->entries[i];
        if (!keep(e->key)) continue;
        root->entries[root->n] = *e;
        root->entries[root->n].key = value_doc_strdup(doc, e->key);
        root->entries[root->n].val = value_copy(doc, e->val);
        root->n++;
    }
    return doc;
}

/* ===== A small string-keyed hash table (anchors; keys of big maps) ===== */

typedef struct slot {
    const char *key; /* NULL when free; borrowed from the arena */
    size_t len;
    value *node; /* anchors: the anchored node */
    size_t num;  /* anchors: expanded size; keys: index of the entry */
} slot;

typedef struct table {
    slot *slots;
    size_t cap, count; /* cap is 0 or a power of two */
} table;

static slot *table_probe(slot *slots, size_t cap, const char *key, size_t len)
{
    size_t i = (size_t)hash_fnv1a(key, len) & (cap - 1);
    while (slots[i].key && !(slots[i].len == len && memcmp(slots[i].key, key, len) == 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

/* Returns the slot for key: found (key set) or free where it would go. */
static slot *table_find(table *t, const char *key, size_t len)
{
    if ((t->count + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        slot *slots = xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].key)
                *table_probe(slots, cap, t->slots[i].key, t->slots[i].len) = t->slots[i];
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    return table_probe(t->slots, t->cap, key, len);
}

static void table_free(table *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->count = 0;
}

/* ===== The builder: events in, tree out ===== */

typedef struct frame {
    value *node; /* the open VAL_LIST or VAL_MAP (in the arena) */
    void *kids;  /* value * items or value_entry entries; heap until closed */
    size_t n, cap;
    size_t size;        /* expanded size so far, counting the node itself */
    const char *anchor; /* anchor to define when the node closes, or NULL */
    bool have_key; /* map: a key was read and waits for its value */
    value_entry key;
    size_t key_len;
    table keys; /* map: index of keys once the map is big */
} frame;

typedef struct builder {
    value_doc *doc;
    const char *text, *file;
    size_t len;
    int first_line;
    diag_list *dl;
    bool failed;             /* an error was added: the result is NULL */
    bool stop;               /* an error after which parsing cannot go on */
    size_t max_nodes, total; /* total: nodes so far, aliases counted as expanded */
    frame stack[MAX_DEPTH];
    int depth;
    table anchors;
    int docs;
    value *root;
    size_t skip; /* bytes of a byte-order mark libyaml does not see */
    /* cursor turning libyaml's character index into a file line and byte column */
    size_t cur_chars, cur_off, cur_line_start;
    int cur_line;
} builder;

/* Moves the cursor to character index (as libyaml counts) and returns the byte offset. */
static size_t cursor_seek(builder *b, size_t index)
{
    if (index < b->cur_chars) {
        b->cur_chars = b->cur_line_start = 0;
        b->cur_off = b->skip;
        b->cur_line = 0;
    }
    while (b->cur_chars < index && b->cur_off < b->len) {
        unsigned char ch = (unsigned char)b->text[b->cur_off++];
        if (ch == '\n') {
            b->cur_line++;
            b->cur_line_start = b->cur_off;
        }
        while (b->cur_off < b->len && ((unsigned char)b->text[b->cur_off] & 0xC0) == 0x80)
            b->cur_off++;
        b->cur_chars++;
    }
    return b->cur_off;
}

static void mark_position(builder *b, yaml_mark_t m, int *line, int *col)
{
    cursor_seek(b, m.index);
    *line = b->first_line + b->cur_line;
    *col = (int)(b->cur_off - b->cur_line_start) + 1;
}

static void errorf(builder *b, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds an error at file position line:col and marks the parse failed. */
static void errorf(builder *b, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = xmalloc(n > 0 ? (size_t)n + 1 : 1);
    msg[0] = '\0';
    va_start(ap, fmt);
    if (n > 0) vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    diag_add(b->dl, DIAG_ERROR, b->file, line, col, "%s", msg);
    free(msg);
    b->failed = true;
}

/* Reports a libyaml failure. Reader errors (bad UTF-8, control characters) carry a byte
 * offset; scanner and parser errors carry a mark. */
static void report_libyaml_error(builder *b, const yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "the parser failed";
    b->failed = b->stop = true;
    if (p->error == YAML_READER_ERROR) {
        bool utf8 = strstr(problem, "UTF-8") || strstr(problem, "Unicode");
        size_t off = b->skip + p->problem_offset;
        /* libyaml points at the byte where it noticed; point at the sequence's first byte */
        size_t bad;
        if (utf8 && !utf8_valid(b->text, b->len, &bad)) off = bad;
        if (off > b->len) off = b->len;
        int line, col;
        text_position(b->text, off, &line, &col);
        line += b->first_line - 1;
        if (utf8)
            diag_add(b->dl, DIAG_ERROR, b->file, line, col, "YAML: text is not valid UTF-8 (%s)",
                     problem);
        else
            diag_add(b->dl, DIAG_ERROR, b->file, line, col, "YAML: %s", problem);
        return;
    }
    yaml_mark_t m = p->problem_mark;
    if (m.index == 0 && m.line == 0 && m.column == 0 && p->context_mark.index > 0)
        m = p->context_mark;
    int line, col;
    mark_position(b, m, &line, &col);
    if (b->cur_off < b->len && b->text[b->cur_off] == '\t')
        errorf(b, line, col, "YAML: tab character used for indentation (YAML needs spaces)");
    else
        errorf(b, line, col, "YAML: %s", problem);
}

/* ===== Scalars: the YAML 1.2 core schema ===== */

static bool is_digit(char c, int base)
{
    if (base == 8) return c >= '0' && c <= '7';
    if (base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return true;
    return c >= '0' && c <= '9';
}

static bool all_digits(const char *s, size_t n, int base)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i], base)) return false;
    return true;
}

static bool is_one_of(const char *s, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == n && memcmp(s, *words, n) == 0) return true;
    return false;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_decimal_float(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (digits == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t exp = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, exp++;
        if (exp == 0) return false;
    }
    return i == n;
}

/* Integer in base 8, 10 or 16; one that does not fit a long long becomes a float. */
static void set_integer(value *v, const char *s, size_t n, int base, bool neg)
{
    long long i = 0;
    double f = 0;
    bool overflow = false;
    for (size_t k = 0; k < n; k++) {
        int d = s[k] <= '9' ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10;
        f = f * base + d;
        if (i > (LLONG_MAX - d) / base)
            overflow = true;
        else
            i = i * base + d;
    }
    if (overflow) {
        v->kind = VAL_FLOAT;
        v->f = neg ? -f : f;
    } else {
        v->kind = VAL_INT;
        v->i = neg ? -i : i;
    }
}

static void resolve_plain(value *v, const char *s, size_t n)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const infs[] = {".inf", ".Inf", ".INF", NULL};
    static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
    bool sign = n > 0 && (s[0] == '-' || s[0] == '+');
    v->kind = VAL_STRING;
    if (n == 0 || is_one_of(s, n, nulls)) {
        v->kind = VAL_NULL;
    } else if (is_one_of(s, n, trues) || is_one_of(s, n, falses)) {
        v->kind = VAL_BOOL;
        v->b = s[0] == 't' || s[0] == 'T';
    } else if (all_digits(s + sign, n - sign, 10)) {
        set_integer(v, s + sign, n - sign, 10, s[0] == '-');
    } else if (n > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x') &&
               all_digits(s + 2, n - 2, s[1] == 'o' ? 8 : 16)) {
        set_integer(v, s + 2, n - 2, s[1] == 'o' ? 8 : 16, false);
    } else if (is_decimal_float(s, n)) {
        v->kind = VAL_FLOAT;
        v->f = strtod(s, NULL); /* s is NUL-terminated right after the n bytes */
    } else if (is_one_of(s + sign, n - sign, infs)) {
        v->kind = VAL_FLOAT;
        v->f = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    } else if (is_one_of(s, n, nans)) {
        v->kind = VAL_FLOAT;
        v->f = (double)NAN;
    }
}

static bool tag_is(const unsigned char *tag, const char *want)
{
    return tag && strcmp((const char *)tag, want) == 0;
}

/* A new scalar node in the arena. Quoted, block, "!!str" and "!"-tagged scalars are strings. */
static value *scalar_new(builder *b, const yaml_event_t *ev)
{
    value *v = value_doc_alloc(b->doc, sizeof *v);
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    v->str = doc_strndup(b->doc, s, n);
    v->len = n;
    mark_position(b, ev->start_mark, &v->line, &v->col);
    const unsigned char *tag = ev->data.scalar.tag;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || tag_is(tag, "tag:yaml.org,2002:str") ||
        tag_is(tag, "!"))
        v->kind = VAL_STRING;
    else
        resolve_plain(v, v->str, n);
    return v;
}

/* ===== Building the tree ===== */

static void anchor_define(builder *b, const unsigned char *name, value *node, size_t size)
{
    size_t len = strlen((const char *)name);
    slot *s = table_find(&b->anchors, (const char *)name, len);
    if (!s->key) {
        s->key = doc_strndup(b->doc, (const char *)name, len);
        s->len = len;
        b->anchors.count++;
    }
    s->node = node; /* a later anchor of the same name replaces the earlier one */
    s->num = size;
}

/* Index of the entry in f whose key is key, or (size_t)-1. Big maps get a hash index. */
static size_t map_find_key(frame *f, const char *key, size_t len)
{
    value_entry *e = f->kids;
    if (f->n <= LINEAR_KEYS && !f->keys.cap) {
        for (size_t i = 0; i < f->n; i++)
            if (strcmp(e[i].key, key) == 0) return i;
        return (size_t)-1;
    }
    if (!f->keys.cap) {
        for (size_t i = 0; i < f->n; i++) {
            slot *s = table_find(&f->keys, e[i].key, strlen(e[i].key));
            if (!s->key) {
                *s = (slot){e[i].key, strlen(e[i].key), NULL, i};
                f->keys.count++;
            }
        }
    }
    slot *s = table_find(&f->keys, key, len);
    return s->key ? s->num : (size_t)-1;
}

static void map_add_entry(frame *f)
{
    xgrow(&f->kids, &f->cap, f->n + 1, sizeof(value_entry));
    ((value_entry *)f->kids)[f->n] = f->key;
    if (f->keys.cap) {
        slot *s = table_find(&f->keys, f->key.key, f->key_len);
        if (!s->key) {
            *s = (slot){f->key.key, f->key_len, NULL, f->n};
            f->keys.count++;
        }
    }
    f->n++;
    f->have_key = false;
}

/* node was written at line:col as a key of the map f. */
static void map_take_key(builder *b, frame *f, const value *node, int line, int col)
{
    if (!value_is_scalar(node)) {
        errorf(b, line, col, "YAML map key must be a scalar, not %s", value_kind_name(node->kind));
        b->stop = true;
        return;
    }
    size_t len = strlen(node->str);
    size_t first = map_find_key(f, node->str, len);
    if (first != (size_t)-1) {
        errorf(b, line, col, "duplicate key \"%s\" (first written at line %d)", node->str,
               ((value_entry *)f->kids)[first].line);
    }
    f->key = (value_entry){node->str, line, col, NULL};
    f->key_len = len;
    f->have_key = true;
}

/* Hands a finished node (of expanded size size, written at line:col) to its parent. */
static void attach(builder *b, value *node, size_t size, int line, int col)
{
    if (b->depth == 0) {
        b->root = node;
        return;
    }
    frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == VAL_LIST) {
        xgrow(&f->kids, &f->cap, f->n + 1, sizeof(value *));
        ((value **)f->kids)[f->n++] = node;
        f->size += size;
    } else if (f->have_key) {
        f->key.val = node;
        map_add_entry(f);
        f->size += size;
    } else {
        map_take_key(b, f, node, line, col);
    }
}

static bool at_key(const builder *b)
{
    if (b->depth == 0) return false;
    const frame *f = &b->stack[b->depth - 1];
    return f->node->kind == VAL_MAP && !f->have_key;
}

static void on_scalar(builder *b, const yaml_event_t *ev)
{
    value *v = scalar_new(b, ev);
    if (ev->data.scalar.anchor) anchor_define(b, ev->data.scalar.anchor, v, 1);
    if (!at_key(b)) b->total++;
    attach(b, v, 1, v->line, v->col);
}

static void on_alias(builder *b, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    int line, col;
    mark_position(b, ev->start_mark, &line, &col);
    slot *s = table_find(&b->anchors, name, strlen(name));
    if (!s->key) {
        for (int d = 0; d < b->depth; d++) {
            if (b->stack[d].anchor && strcmp(b->stack[d].anchor, name) == 0) {
                errorf(b, line, col, "YAML alias *%s refers to the node that contains it", name);
                b->stop = true;
                return;
            }
        }
        errorf(b, line, col, "YAML alias *%s has no anchor &%s before it", name, name);
        b->stop = true;
        return;
    }
    if (at_key(b)) {
        attach(b, s->node, 0, line, col);
        return;
    }
    if (b->total > b->max_nodes || s->num > b->max_nodes - b->total) {
        errorf(b, line, col, "YAML aliases expand to more than %zu nodes", b->max_nodes);
        b->stop = true;
        return;
    }
    b->total += s->num;
    attach(b, s->node, s->num, line, col);
}

static void on_collection_start(builder *b, const yaml_event_t *ev, value_kind kind)
{
    int line, col;
    mark_position(b, ev->start_mark, &line, &col);
    if (b->depth == MAX_DEPTH) {
        errorf(b, line, col, "YAML nesting is too deep (more than %d levels)", MAX_DEPTH);
        b->stop = true;
        return;
    }
    const unsigned char *anchor =
        kind == VAL_LIST ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
    frame *f = &b->stack[b->depth++];
    memset(f, 0, sizeof *f);
    f->node = value_doc_alloc(b->doc, sizeof(value));
    f->node->kind = kind;
    f->node->line = line;
    f->node->col = col;
    f->node->str = "";
    f->size = 1;
    if (anchor) f->anchor = value_doc_strdup(b->doc, (const char *)anchor);
    b->total++;
}

static void on_collection_end(builder *b)
{
    frame *f = &b->stack[--b->depth];
    value *v = f->node;
    v->n = f->n;
    if (v->kind == VAL_LIST) {
        v->items = value_doc_alloc(b->doc, f->n * sizeof(value *));
        if (f->n) memcpy(v->items, f->kids, f->n * sizeof(value *));
    } else {
        v->entries = value_doc_alloc(b->doc, f->n * sizeof(value_entry));
        if (f->n) memcpy(v->entries, f->kids, f->n * sizeof(value_entry));
    }
    free(f->kids);
    table_free(&f->keys);
    if (f->anchor) anchor_define(b, (const unsigned char *)f->anchor, v, f->size);
    attach(b, v, f->size, v->line, v->col);
}

static void on_event(builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->docs > 1) {
            int line, col;
            mark_position(b, ev->start_mark, &line, &col);
            errorf(b, line, col,
                   b->first_line > 1 ? "front matter holds more than one YAML document"
                                     : "YAML file holds more than one document");
            b->stop = true;
        }
        break;
    case YAML_SCALAR_EVENT:
        on_scalar(b, ev);
        break;
    case YAML_ALIAS_EVENT:
        on_alias(b, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        on_collection_start(b, ev, VAL_LIST);
        break;
    case YAML_MAPPING_START_EVENT:
        on_collection_start(b, ev, VAL_MAP);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        on_collection_end(b);
        break;
    default:
        break;
    }
}

value_doc *value_parse_yaml(const char *text, size_t len, const char *file, int first_line,
                            size_t max_nodes, diag_list *dl)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.doc = value_doc_new();
    b.text = text ? text : "";
    b.len = text ? len : 0;
    b.file = file;
    b.first_line = first_line;
    b.dl = dl;
    b.max_nodes = max_nodes ? max_nodes : DEFAULT_MAX_NODES;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        errorf(&b, first_line, 1, "YAML: the parser could not start (out of memory)");
        value_doc_free(b.doc);
        return NULL;
    }
    if (b.len >= 3 && memcmp(b.text, "\xEF\xBB\xBF", 3) == 0) b.skip = 3;
    b.cur_off = b.skip;
    /* UTF-8 only: a UTF-16 byte-order mark must not switch libyaml to UTF-16 */
    yaml_parser_set_input_string(&p, (const unsigned char *)b.text + b.skip, b.len - b.skip);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    while (!b.stop) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            report_libyaml_error(&b, &p);
            break;
        }
        bool end = ev.type == YAML_STREAM_END_EVENT;
        on_event(&b, &ev);
        yaml_event_delete(&ev);
        if (end) break;
    }
    yaml_parser_delete(&p);
    for (int d = 0; d < b.depth; d++) {
        free(b.stack[d].kids);
        table_free(&b.stack[d].keys);
    }
    table_free(&b.anchors);
    if (b.failed) {
        value_doc_free(b.doc);
        return NULL;
    }
    if (b.root)
        b.doc->root = b.root;
    else
        b.doc->root->line = first_line;
    return b.doc;
}

/* ===== Lookups ===== */

const value_entry *value_get_entry(const value *v, const char *key)
{
    if (!v || v->kind != VAL_MAP) return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->entries[i].key, key) == 0) return &v->entries[i];
    return NULL;
}

value *value_get(const value *v, const char *key)
{
    const value_entry *e = value_get_entry(v, key);
    return e ? e->val : NULL;
}

double value_number(const value *v)
{
    return v->kind == VAL_INT ? (double)v->i : v->kind == VAL_FLOAT ? v->f : 0;
}

bool value_is_scalar(const value *v)
{
    return v && v->kind != VAL_LIST && v->kind != VAL_MAP;
}

const char *value_get_str(const value *v, const char *key)
{
    const value *x = value_get(v, key);
    return value_is_scalar(x) ? x->str : NULL;
}

const char *value_kind_name(value_kind k)
{
    switch (k) {
    case VAL_NULL:
        return "null";
    case VAL_BOOL:
        return "true or false";
    case VAL_INT:
    case VAL_FLOAT:
        return "a number";
    case VAL_STRING:
        return "a string";
    case VAL_LIST:
        return "a list";
    case VAL_MAP:
        return "a map";
    }
    return "a value";
}
