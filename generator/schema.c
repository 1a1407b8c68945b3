/* schema.c — front matter schemas declared in theme.yaml, and checks of pages against them. */
#include "schema.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

typedef enum {
    T_STRING,
    T_MARKDOWN,
    T_DATE,
    T_BOOL,
    T_INT,
    T_NUMBER,
    T_LIST,
    T_MAP,
    T_SERIES,
    T_COUNT
} stype;

static const char *const type_names[T_COUNT] = {
    "string", "markdown", "date", "bool", "int", "number", "list", "map", "series",
};
#define TYPE_LIST "string, markdown, date, bool, int, number, list, map, series"

typedef struct spec spec;

typedef struct field {
    const char *name; /* borrowed from the declaration */
    bool required;
    const spec *spec;
} field;

typedef struct fieldset {
    field *items;
    size_t n;
} fieldset;

struct spec {
    stype type;
    const spec *items; /* T_LIST */
    fieldset fields;   /* T_MAP */
};

typedef struct kind {
    const char *name;
    fieldset fields;
} kind;

struct schema {
    value_doc *mem; /* arena holding every spec, field and kind */
    fieldset common;
    kind *kinds;
    size_t nkinds;
};

/* ===== Messages ===== */

/* Appends s[0..n) in double quotes, escaped so the message stays on one line, and cut
 * (at a character boundary) when it is long. */
static void put_quoted(buf_t *b, const char *s, size_t n)
{
    enum { MAX_SHOWN = 60 };
    size_t shown = n;
    if (n > MAX_SHOWN) {
        shown = MAX_SHOWN;
        while (shown > 0 && ((unsigned char)s[shown] & 0xC0) == 0x80)
            shown--;
    }
    buf_putc(b, '"');
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            buf_printf(b, "\\%c", c);
        else if (c == '\n')
            buf_puts(b, "\\n");
        else if (c == '\t')
            buf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7F)
            buf_printf(b, "\\x%02X", c);
        else
            buf_putc(b, (char)c);
    }
    if (shown < n) buf_puts(b, "\xE2\x80\xA6"); /* … */
    buf_putc(b, '"');
}

/* What a value is, for "got …": null, true, a string "go", a number "3", a list, a map. */
static void put_got(buf_t *b, const value *v)
{
    switch (v->kind) {
    case VAL_NULL:
        buf_puts(b, "null");
        break;
    case VAL_BOOL:
        buf_put(b, v->str, v->len);
        break;
    case VAL_INT:
    case VAL_FLOAT:
    case VAL_STRING:
        buf_printf(b, "%s ", value_kind_name(v->kind));
        put_quoted(b, v->str, v->len);
        break;
    default:
        buf_puts(b, value_kind_name(v->kind));
        break;
    }
}

/* Adds the message in msg as an error at line:col and empties msg. */
static void emit(diag_list *dl, const char *file, int line, int col, buf_t *msg)
{
    diag_add(dl, DIAG_ERROR, file, line, col, "%s", buf_cstr(msg));
    buf_clear(msg);
}

/* ===== Reading the declaration ===== */

typedef struct decl_ctx {
    schema *s;
    const char *file;
    diag_list *dl;
    buf_t msg;
} decl_ctx;

static void decl_error(decl_ctx *c, int line, int col, const char *what, const value *got)
{
    buf_puts(&c->msg, what);
    if (got) put_got(&c->msg, got);
    emit(c->dl, c->file, line, col, &c->msg);
}

static void parse_fields(decl_ctx *c, const value *v, fieldset *out);

static bool parse_type(decl_ctx *c, const value *t, stype *type)
{
    if (value_is_scalar(t)) {
        for (int i = 0; i < T_COUNT; i++) {
            if (strcmp(t->str, type_names[i]) == 0) {
                *type = (stype)i;
                return true;
            }
        }
    }
    if (value_is_scalar(t)) {
        buf_puts(&c->msg, "unknown type ");
        put_quoted(&c->msg, t->str, t->len);
        buf_puts(&c->msg, " (types: " TYPE_LIST ")");
    } else {
        buf_printf(&c->msg, "type: expected a type name (types: " TYPE_LIST "), got %s",
                   value_kind_name(t->kind));
    }
    emit(c->dl, c->file, t->line, t->col, &c->msg);
    return false;
}

static const spec *parse_spec(decl_ctx *c, const value *v, bool *required);

/* Checks the parts of a spec that depend on its type: items for lists, fields for maps. */
static void parse_spec_parts(decl_ctx *c, const value *v, spec *sp)
{
    const value_entry *items = value_get_entry(v, "items");
    const value_entry *fields = value_get_entry(v, "fields");
    if (sp->type == T_LIST && !items)
        decl_error(c, v->line, v->col, "list without \"items\"", NULL);
    else if (items && sp->type != T_LIST)
        decl_error(c, items->line, items->col, "\"items\" is only for type list", NULL);
    else if (items)
        sp->items = parse_spec(c, items->val, NULL);
    if (fields && sp->type != T_MAP)
        decl_error(c, fields->line, fields->col, "\"fields\" is only for type map", NULL);
    else if (fields)
        parse_fields(c, fields->val, &sp->fields);
}

/* A field spec such as {type: list, items: {type: string}, required: true}. */
static const spec *parse_spec(decl_ctx *c, const value *v, bool *required)
{
    spec *sp = value_doc_alloc(c->s->mem, sizeof *sp);
    if (v->kind != VAL_MAP) {
        decl_error(c, v->line, v->col, "a field spec must be a map such as {type: string}, got ",
                   v);
        return sp;
    }
    bool typed = false;
    for (size_t i = 0; i < v->n; i++) {
        const value_entry *e = &v->entries[i];
        if (strcmp(e->key, "type") == 0) {
            typed = parse_type(c, e->val, &sp->type);
        } else if (strcmp(e->key, "required") == 0) {
            if (e->val->kind == VAL_BOOL) {
                if (required) *required = e->val->b;
            } else {
                decl_error(c, e->val->line, e->val->col, "required: expected true or false, got ",
                           e->val);
            }
        } else if (strcmp(e->key, "items") != 0 && strcmp(e->key, "fields") != 0 &&
                   strcmp(e->key, "description") != 0) {
            buf_puts(&c->msg, "unknown key ");
            put_quoted(&c->msg, e->key, strlen(e->key));
            buf_puts(&c->msg,
                     " in a field spec (keys: type, required, items, fields, description)");
            emit(c->dl, c->file, e->line, e->col, &c->msg);
        }
    }
    if (!typed && !value_get_entry(v, "type"))
        decl_error(c, v->line, v->col, "field spec without \"type\"", NULL);
    if (typed) parse_spec_parts(c, v, sp);
    return sp;
}

/* The value of a "fields" key: a map from field names to specs (null: no fields). */
static void parse_fields(decl_ctx *c, const value *v, fieldset *out)
{
    out->n = 0;
    if (v->kind == VAL_NULL) return;
    if (v->kind != VAL_MAP) {
        decl_error(c, v->line, v->col, "fields: expected a map from field names to specs, got ", v);
        return;
    }
    out->items = value_doc_alloc(c->s->mem, v->n * sizeof(field));
    for (size_t i = 0; i < v->n; i++) {
        field *f = &out->items[out->n++];
        f->name = v->entries[i].key;
        f->spec = parse_spec(c, v->entries[i].val, &f->required);
    }
}

static void parse_kind(decl_ctx *c, const value_entry *e, kind *k)
{
    const value *v = e->val;
    k->name = e->key;
    if (v->kind == VAL_NULL) return;
    if (v->kind != VAL_MAP) {
        buf_puts(&c->msg, "kind ");
        put_quoted(&c->msg, e->key, strlen(e->key));
        decl_error(c, v->line, v->col, " must be a map such as {fields: ...}, got ", v);
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        const value_entry *x = &v->entries[i];
        if (strcmp(x->key, "fields") == 0) {
            parse_fields(c, x->val, &k->fields);
        } else if (strcmp(x->key, "description") != 0) {
            buf_puts(&c->msg, "unknown key ");
            put_quoted(&c->msg, x->key, strlen(x->key));
            buf_puts(&c->msg, " in kind ");
            put_quoted(&c->msg, e->key, strlen(e->key));
            buf_puts(&c->msg, " (keys: fields, description)");
            emit(c->dl, c->file, x->line, x->col, &c->msg);
        }
    }
}

static void parse_kinds(decl_ctx *c, const value *v)
{
    if (v->kind == VAL_NULL) return;
    if (v->kind != VAL_MAP) {
        decl_error(c, v->line, v->col, "kinds: expected a map from kind names to kinds, got ", v);
        return;
    }
    c->s->kinds = value_doc_alloc(c->s->mem, v->n * sizeof(kind));
    c->s->nkinds = v->n;
    for (size_t i = 0; i < v->n; i++)
        parse_kind(c, &v->entries[i], &c->s->kinds[i]);
}

schema *schema_new(const value *decl, const char *file, diag_list *dl)
{
    schema *s = xcalloc(1, sizeof *s);
    s->mem = value_doc_new();
    decl_ctx c = {s, file, dl, BUF_INIT};
    size_t errors = dl->errors;
    if (decl && decl->kind != VAL_NULL && decl->kind != VAL_MAP) {
        decl_error(&c, decl->line, decl->col,
                   "schema: expected a map with \"fields\" and "
                   "\"kinds\", got ",
                   decl);
    } else if (decl && decl->kind == VAL_MAP) {
        for (size_t i = 0; i < decl->n; i++) {
            const value_entry *e = &decl->entries[i];
            if (strcmp(e->key, "fields") == 0) {
                parse_fields(&c, e->val, &s->common);
            } else if (strcmp(e->key, "kinds") == 0) {
                parse_kinds(&c, e->val);
            } else {
                buf_puts(&c.msg, "unknown key ");
                put_quoted(&c.msg, e->key, strlen(e->key));
                buf_puts(&c.msg, " in schema (keys: fields, kinds)");
                emit(dl, file, e->line, e->col, &c.msg);
            }
        }
    }
    buf_free(&c.msg);
    if (dl->errors > errors) {
        schema_free(s);
        return NULL;
    }
    return s;
}

void schema_free(schema *s)
{
    if (!s) return;
    value_doc_free(s->mem);
    free(s);
}

static const kind *find_kind(const schema *s, const char *name)
{
    for (size_t i = 0; i < s->nkinds; i++)
        if (strcmp(s->kinds[i].name, name) == 0) return &s->kinds[i];
    return NULL;
}

bool schema_has_kind(const schema *s, const char *kind_name)
{
    return s && kind_name && find_kind(s, kind_name) != NULL;
}

/* ===== Dates and years ===== */

static bool read_digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    return m == 2 && leap ? 29 : days[m - 1];
}

/* The part of an RFC 3339 date-time after the date: [Tt ]HH:MM:SS[.frac][Z|z|+HH:MM|-HH:MM].
 * A missing offset (local time) is accepted too. */
static bool time_valid(const char *s, size_t n)
{
    int h, mi, sec, oh, om;
    if (n < 9 || (s[0] != 'T' && s[0] != 't' && s[0] != ' ')) return false;
    if (!read_digits(s + 1, 2, &h) || s[3] != ':' || !read_digits(s + 4, 2, &mi) || s[6] != ':' ||
        !read_digits(s + 7, 2, &sec) || h > 23 || mi > 59 || sec > 60)
        return false;
    size_t i = 9;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start) return false;
    }
    if (i == n) return true;
    if (s[i] == 'Z' || s[i] == 'z') return i + 1 == n;
    return (s[i] == '+' || s[i] == '-') && n - i == 6 && read_digits(s + i + 1, 2, &oh) &&
           s[i + 3] == ':' && read_digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59;
}

/* YYYY-MM-DD (a real calendar date), optionally followed by a time of day. */
static bool date_valid(const char *s, size_t n)
{
    int y, m, d;
    if (n < 10 || !read_digits(s, 4, &y) || s[4] != '-' || !read_digits(s + 5, 2, &m) ||
        s[7] != '-' || !read_digits(s + 8, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
    return n == 10 || time_valid(s + 10, n - 10);
}

static bool year_valid(const char *s)
{
    int y;
    return strlen(s) == 4 && read_digits(s, 4, &y) && y >= 1900 && y <= 2100;
}

/* ===== Checking a page ===== */

typedef struct check_ctx {
    const char *kind, *file;
    diag_list *dl;
    schema_markdown_fn on_markdown;
    void *ud;
    buf_t path; /* e.g. "faq[2].a" */
    buf_t msg;
} check_ctx;

static size_t path_push(check_ctx *c, const char *name)
{
    size_t old = c->path.len;
    if (old) buf_putc(&c->path, '.');
    buf_puts(&c->path, name);
    return old;
}

static void path_pop(check_ctx *c, size_t old)
{
    c->path.len = old;
    if (c->path.ptr) c->path.ptr[old] = '\0';
}

/* "<path>: expected <what>, got <v>" at v. */
static void mismatch(check_ctx *c, const value *v, const char *what)
{
    buf_printf(&c->msg, "%s: expected %s, got ", buf_cstr(&c->path), what);
    put_got(&c->msg, v);
    emit(c->dl, c->file, v->line, v->col, &c->msg);
}

static void check_value(check_ctx *c, const spec *sp, value *v);
static void check_fields(check_ctx *c, const fieldset *fs, const fieldset *shadow, const value *map,
                         int line, int col);

static void check_date(check_ctx *c, const value *v)
{
    if (v->kind != VAL_NULL && value_is_scalar(v) && date_valid(v->str, v->len)) return;
    buf_printf(&c->msg, "%s: expected a date (YYYY-MM-DD), got ", buf_cstr(&c->path));
    if (v->kind != VAL_NULL && value_is_scalar(v))
        put_quoted(&c->msg, v->str, v->len);
    else
        buf_puts(&c->msg, value_kind_name(v->kind));
    emit(c->dl, c->file, v->line, v->col, &c->msg);
}

static void check_series_value(check_ctx *c, const value_entry *e)
{
    const value *v = e->val;
    if (v->kind == VAL_NULL) return; /* a gap in the series */
    if ((v->kind == VAL_INT || v->kind == VAL_FLOAT) && value_number(v) >= 0 &&
        value_number(v) <= 100)
        return;
    buf_printf(&c->msg, "%s.%s: expected a number from 0 to 100, got ", buf_cstr(&c->path), e->key);
    if (v->kind == VAL_STRING)
        put_quoted(&c->msg, v->str, v->len);
    else if (value_is_scalar(v))
        buf_put(&c->msg, v->str, v->len);
    else
        buf_puts(&c->msg, value_kind_name(v->kind));
    emit(c->dl, c->file, v->line, v->col, &c->msg);
}

static void check_series(check_ctx *c, const value *v)
{
    if (v->kind != VAL_MAP) {
        mismatch(c, v, "a map from years to numbers");
        return;
    }
    if (v->n == 0) {
        buf_printf(&c->msg, "%s: expected at least one year", buf_cstr(&c->path));
        emit(c->dl, c->file, v->line, v->col, &c->msg);
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        const value_entry *e = &v->entries[i];
        if (!year_valid(e->key)) {
            buf_printf(&c->msg, "%s: expected a year from 1900 to 2100, got ", buf_cstr(&c->path));
            put_quoted(&c->msg, e->key, strlen(e->key));
            emit(c->dl, c->file, e->line, e->col, &c->msg);
        }
        check_series_value(c, e);
    }
}

static void check_list(check_ctx *c, const spec *sp, value *v)
{
    if (v->kind != VAL_LIST) {
        mismatch(c, v, "a list");
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t old = c->path.len;
        buf_putc(&c->path, '[');
        buf_put_int(&c->path, (long long)i);
        buf_putc(&c->path, ']');
        check_value(c, sp->items, v->items[i]);
        path_pop(c, old);
    }
}

static void check_value(check_ctx *c, const spec *sp, value *v)
{
    bool scalar = v->kind != VAL_NULL && value_is_scalar(v);
    switch (sp->type) {
    case T_STRING:
        if (!scalar) mismatch(c, v, "a string");
        break;
    case T_MARKDOWN:
        if (!scalar)
            mismatch(c, v, "a string");
        else if (c->on_markdown)
            c->on_markdown(c->ud, v);
        break;
    case T_DATE:
        check_date(c, v);
        break;
    case T_BOOL:
        if (v->kind != VAL_BOOL) mismatch(c, v, "true or false");
        break;
    case T_INT:
        if (v->kind != VAL_INT) mismatch(c, v, "an integer");
        break;
    case T_NUMBER:
        if (v->kind != VAL_INT && v->kind != VAL_FLOAT) mismatch(c, v, "a number");
        break;
    case T_LIST:
        check_list(c, sp, v);
        break;
    case T_MAP:
        if (v->kind != VAL_MAP)
            mismatch(c, v, "a map");
        else
            check_fields(c, &sp->fields, NULL, v, v->line, v->col);
        break;
    case T_SERIES:
        check_series(c, v);
        break;
    case T_COUNT:
        break;
    }
}

static void check_field(check_ctx *c, const field *f, const value *map, int line, int col)
{
    size_t old = path_push(c, f->name);
    const value_entry *e = value_get_entry(map, f->name);
    if (!e) {
        if (f->required) {
            buf_printf(&c->msg, "missing required field \"%s\" (kind \"%s\")", buf_cstr(&c->path),
                       c->kind);
            emit(c->dl, c->file, line, col, &c->msg);
        }
    } else if (e->val->kind != VAL_NULL || f->required) {
        check_value(c, f->spec, e->val); /* an optional field may be left empty */
    }
    path_pop(c, old);
}

static bool fieldset_has(const fieldset *fs, const char *name)
{
    for (size_t i = 0; fs && i < fs->n; i++)
        if (strcmp(fs->items[i].name, name) == 0) return true;
    return false;
}

/* Checks map (NULL or VAL_NULL: no fields; written at line:col) against the fields of fs,
 * then those of shadow that fs does not redeclare. */
static void check_fields(check_ctx *c, const fieldset *fs, const fieldset *shadow, const value *map,
                         int line, int col)
{
    for (size_t i = 0; fs && i < fs->n; i++)
        check_field(c, &fs->items[i], map, line, col);
    for (size_t i = 0; shadow && i < shadow->n; i++)
        if (!fieldset_has(fs, shadow->items[i].name))
            check_field(c, &shadow->items[i], map, line, col);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void report_unknown_kind(const schema *s, check_ctx *c, const value *front)
{
    const value_entry *e = value_get_entry(front, "kind");
    buf_puts(&c->msg, "unknown kind ");
    put_quoted(&c->msg, c->kind, strlen(c->kind));
    if (s->nkinds == 0) {
        buf_puts(&c->msg, " (the schema declares no kinds)");
    } else {
        const char **names = xmalloc(s->nkinds * sizeof *names);
        for (size_t i = 0; i < s->nkinds; i++)
            names[i] = s->kinds[i].name;
        xsort(names, s->nkinds, sizeof *names, cmp_str);
        buf_puts(&c->msg, " (known kinds: ");
        for (size_t i = 0; i < s->nkinds; i++)
            buf_printf(&c->msg, "%s%s", i ? ", " : "", names[i]);
        buf_putc(&c->msg, ')');
        free(names);
    }
    emit(c->dl, c->file, e ? e->line : 1, e ? e->col : 1, &c->msg);
}

bool schema_check(const schema *s, const char *kind_name, value *front, const char *file,
                  schema_markdown_fn on_markdown, void *ud, diag_list *dl)
{
    size_t errors = dl->errors;
    check_ctx c = {kind_name ? kind_name : "", file, dl, on_markdown, ud, BUF_INIT, BUF_INIT};
    if (front && front->kind != VAL_NULL && front->kind != VAL_MAP) {
        buf_puts(&c.msg, "front matter must be a map of fields, got ");
        put_got(&c.msg, front);
        emit(dl, file, front->line, front->col, &c.msg);
        buf_free(&c.msg);
        return false;
    }
    bool empty = !front || front->kind == VAL_NULL;
    int line = empty ? 1 : front->line, col = empty ? 1 : front->col;
    const kind *k = find_kind(s, c.kind);
    if (!k) report_unknown_kind(s, &c, front);
    check_fields(&c, k ? &k->fields : NULL, &s->common, empty ? NULL : front, line, col);
    buf_free(&c.path);
    buf_free(&c.msg);
    return dl->errors == errors;
}
