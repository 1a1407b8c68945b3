/* tplcompile.c — the template language compiler: template text in, line-preserving Lua out. */
#include "tplcompile.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The generated chunk is itself the render function, called as chunk(env, __R): line 1
 * starts with the header, the body follows line for line, and the footer ends the last
 * line. (A chunk rather than "return function(_ENV,__R) … end": then a template's missing
 * {% end %} is reported as Lua sees it, "'end' expected (to close 'for' at line 3)", not as
 * a missing end of a function the template author never wrote, and no template code can
 * run when the chunk is loaded.) */
#define HEADER "local _ENV,__R=... local __b,__n,__e={},0,__R.esc "
#define FOOTER " return __b"
#define APPEND ";__n=__n+1;__b[__n]="

typedef struct open_block {
    char *name; /* owned */
    int line, col;
} open_block;

typedef struct compiler {
    const char *text;
    size_t len;
    const char *path;
    buf_t *out;
    diag_list *dl;
    int out_line;      /* the line the generated code has reached */
    size_t scan_off;   /* line counting: scan_line is the line of offset scan_off, */
    int scan_line;     /* which starts at offset scan_bol */
    size_t scan_bol;
    open_block *blocks;
    size_t nblocks, cap;
    buf_t code;        /* scratch: the current tag's code with its comments dropped */
} compiler;

/* ====================================================================== positions */

/* Line and column of offset off. Offsets are asked for in increasing order, so counting
 * newlines from the last one keeps the whole compile linear. */
static void position(compiler *c, size_t off, int *line, int *col)
{
    if (off < c->scan_off) {
        c->scan_off = 0;
        c->scan_line = 1;
        c->scan_bol = 0;
    }
    for (size_t i = c->scan_off; i < off; i++) {
        if (c->text[i] == '\n') {
            c->scan_line++;
            c->scan_bol = i + 1;
        }
    }
    c->scan_off = off;
    *line = c->scan_line;
    if (col) *col = (int)(off - c->scan_bol) + 1;
}

static int line_of(compiler *c, size_t off)
{
    int line;
    position(c, off, &line, NULL);
    return line;
}

/* Adds real newlines to the generated code until it stands on line. */
static void pad_to(compiler *c, int line)
{
    while (c->out_line < line) {
        buf_putc(c->out, '\n');
        c->out_line++;
    }
}

static void error_at(compiler *c, size_t off, const char *msg)
{
    int line, col;
    position(c, off, &line, &col);
    diag_add(c->dl, DIAG_ERROR, c->path, line, col, "%s", msg);
}

/* ====================================================================== Lua lexing */

/* If a long bracket ("[[", "[=[", …) opens at s[i], returns its length and sets *level to
 * its number of '='; otherwise returns 0. */
static size_t long_open(const char *s, size_t len, size_t i, size_t *level)
{
    if (i >= len || s[i] != '[') return 0;
    size_t j = i + 1;
    while (j < len && s[j] == '=') j++;
    if (j >= len || s[j] != '[') return 0;
    *level = j - i - 1;
    return j - i + 1;
}

/* Offset just past the closing long bracket of the given level at or after i; len when
 * there is none. */
static size_t long_close(const char *s, size_t len, size_t i, size_t level)
{
    for (; i < len; i++) {
        if (s[i] != ']') continue;
        size_t j = i + 1;
        while (j < len && s[j] == '=') j++;
        if (j < len && s[j] == ']' && j - i - 1 == level) return j + 1;
        i = j - 1; /* the '=' run cannot start a closing bracket */
    }
    return len;
}

/* s[i] is a quote: returns the offset just past the string, or of the line break (or end)
 * that leaves it unfinished, as Lua's lexer would. */
static size_t skip_quoted(const char *s, size_t len, size_t i)
{
    char q = s[i++];
    while (i < len) {
        char ch = s[i];
        if (ch == q) return i + 1;
        if (ch == '\n' || ch == '\r') return i;
        if (ch != '\\') {
            i++;
            continue;
        }
        i++;
        if (i >= len) break;
        if (s[i] == 'z') { /* \z skips the white space that follows, line breaks included */
            i++;
            while (i < len && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) i++;
        } else if ((s[i] == '\r' || s[i] == '\n') && i + 1 < len &&
                   (s[i + 1] == '\r' || s[i + 1] == '\n') && s[i + 1] != s[i]) {
            i += 2;
        } else {
            i++;
        }
    }
    return len;
}

/* s[i..] starts with "--": returns the offset just past a long comment, or of the end of a
 * line comment: the next '\n', or the closer "<closer>}" when closer is not '\0'. */
static size_t skip_comment(const char *s, size_t len, size_t i, char closer)
{
    size_t level, n = long_open(s, len, i + 2, &level);
    if (n) return long_close(s, len, i + 2 + n, level);
    i += 2;
    while (i < len && s[i] != '\n') {
        if (closer && s[i] == closer && i + 1 < len && s[i + 1] == '}') break;
        i++;
    }
    return i;
}

/* Offset of the closer of a tag whose body starts at i ("}}" for kind '{', "%}" for '%',
 * "#}" for '#'), skipping closers inside strings, long brackets and comments (and, in
 * "{{ }}", inside table constructors). len when there is none. */
static size_t find_closer(const compiler *c, size_t i, char kind)
{
    const char *s = c->text;
    size_t len = c->len, level, n;
    char closer = kind == '{' ? '}' : kind;
    int depth = 0;
    while (i < len) {
        char ch = s[i];
        if (ch == closer && depth == 0 && i + 1 < len && s[i + 1] == '}') return i;
        if (kind == '#') {
            i++;
            continue;
        }
        if (ch == '"' || ch == '\'') {
            i = skip_quoted(s, len, i);
            continue;
        }
        if ((n = long_open(s, len, i, &level)) != 0) {
            i = long_close(s, len, i + n, level);
            continue;
        }
        if (ch == '-' && i + 1 < len && s[i + 1] == '-') {
            i = skip_comment(s, len, i, closer);
            continue;
        }
        if (kind == '{' && ch == '{') depth++;
        if (kind == '{' && ch == '}' && depth > 0) depth--;
        i++;
    }
    return len;
}

/* ====================================================================== code */

/* Appends s[0..n) to the code, with "\r\n" made '\n' and a lone '\r' a space, so that the
 * code's lines are counted as the template's are. */
static void put_code(buf_t *code, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\r') buf_putc(code, s[i]);
        else if (i + 1 < n && s[i + 1] == '\n') continue;
        else buf_putc(code, ' ');
    }
}

/* Copies the code s[i..end) into c->code with its comments dropped (a long comment leaves
 * a space and its line breaks behind; a line comment ends at a line break or the end). */
static void strip_code(compiler *c, size_t i, size_t end)
{
    const char *s = c->text;
    size_t level, n, j;
    buf_clear(&c->code);
    while (i < end) {
        if (s[i] == '"' || s[i] == '\'') {
            j = skip_quoted(s, end, i);
        } else if ((n = long_open(s, end, i, &level)) != 0) {
            j = long_close(s, end, i + n, level);
        } else if (s[i] == '-' && i + 1 < end && s[i + 1] == '-') {
            j = skip_comment(s, end, i, '\0');
            if (j > i + 2 && s[j - 1] == ']') buf_putc(&c->code, ' '); /* "a--[[ ]]b" */
            for (; i < j; i++)
                if (s[i] == '\n') buf_putc(&c->code, '\n');
            continue;
        } else {
            j = i + 1 + (s[i] == '\r' && i + 1 < end && s[i + 1] == '\n');
        }
        put_code(&c->code, s + i, j - i);
        i = j;
    }
}

/* Appends code to the output, keeping count of the lines it spans. */
static void emit_code(compiler *c, const char *s, size_t n)
{
    buf_put(c->out, s, n);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n') c->out_line++;
}

/* Adds one '\n' to the output for each line break in s[0..n). */
static void emit_breaks(compiler *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n') emit_code(c, "\n", 1);
}

/* Writes text[start..end) as a quoted Lua string literal appended to the output list. */
static void emit_text(compiler *c, size_t start, size_t end)
{
    if (start >= end) return;
    pad_to(c, line_of(c, start));
    buf_puts(c->out, APPEND "\"");
    for (size_t i = start; i < end; i++) {
        unsigned char ch = (unsigned char)c->text[i];
        switch (ch) {
        case '\\': buf_puts(c->out, "\\\\"); break;
        case '"': buf_puts(c->out, "\\\""); break;
        case '\n': buf_puts(c->out, "\\n"); break;
        case '\r': buf_puts(c->out, "\\r"); break;
        case '\t': buf_puts(c->out, "\\t"); break;
        default:
            if (ch < 0x20 || ch == 0x7f) buf_printf(c->out, "\\%03u", (unsigned)ch);
            else buf_putc(c->out, (char)ch);
        }
    }
    buf_putc(c->out, '"');
}

/* ====================================================================== tags */

static bool is_ident_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

static bool is_space(char ch)
{
    return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

/* If code starts (after white space) with the word w, returns the offset just past it. */
static size_t after_word(const buf_t *code, const char *w, size_t *word_at)
{
    size_t i = 0, n = strlen(w);
    while (i < code->len && is_space(code->ptr[i])) i++;
    if (code->len - i < n || memcmp(code->ptr + i, w, n) != 0) return 0;
    if (i + n < code->len && is_ident_char(code->ptr[i + n])) return 0;
    if (word_at) *word_at = i;
    return i + n;
}

/* Parses what follows "block"/"endblock": nothing (returns 1 with *name NULL), a block name,
 * bare or quoted (returns 1 with *name set, owned by the caller), or anything else
 * (returns 0). */
static int parse_block_name(const buf_t *code, size_t i, char **name)
{
    const char *s = code->ptr;
    size_t end = code->len;
    *name = NULL;
    while (i < end && is_space(s[i])) i++;
    while (end > i && is_space(s[end - 1])) end--;
    if (i == end) return 1;
    if (end - i >= 2 && (s[i] == '"' || s[i] == '\'') && s[end - 1] == s[i]) {
        i++;
        end--;
    }
    if (i == end || (s[i] >= '0' && s[i] <= '9')) return 0;
    for (size_t j = i; j < end; j++)
        if (!is_ident_char(s[j]) && s[j] != '-' && s[j] != '.') return 0;
    *name = xstrndup(s + i, end - i);
    return 1;
}

static bool open_block_tag(compiler *c, size_t open, char *name)
{
    if (!name) {
        error_at(c, open, "expected a block name after 'block'");
        return false;
    }
    int line, col;
    position(c, open, &line, &col);
    xgrow(&c->blocks, &c->cap, c->nblocks + 1, sizeof *c->blocks);
    c->blocks[c->nblocks++] = (open_block){name, line, col};
    buf_printf(c->out, APPEND "__R.block(\"%s\",function() local __b,__n={},0 ", name);
    emit_breaks(c, c->code.ptr, c->code.len);
    return true;
}

static bool close_block_tag(compiler *c, size_t open, char *name)
{
    bool ok = false;
    if (c->nblocks == 0) {
        error_at(c, open, "'endblock' without a matching 'block'");
    } else if (name && strcmp(name, c->blocks[c->nblocks - 1].name) != 0) {
        char *msg = xasprintf("'endblock %s' closes block '%s'", name,
                              c->blocks[c->nblocks - 1].name);
        error_at(c, open, msg);
        free(msg);
    } else {
        free(c->blocks[--c->nblocks].name);
        buf_puts(c->out, " return __b end);");
        emit_breaks(c, c->code.ptr, c->code.len);
        ok = true;
    }
    free(name);
    return ok;
}

/* {% layout "name" %} or {% layout("name") %}: returns true when code is one. */
static bool layout_tag(compiler *c)
{
    size_t at, i = after_word(&c->code, "layout", &at);
    if (!i) return false;
    size_t j = i, level;
    while (j < c->code.len && is_space(c->code.ptr[j])) j++;
    if (j >= c->code.len) return false;
    char ch = c->code.ptr[j];
    if (ch != '"' && ch != '\'' && ch != '(' && !long_open(c->code.ptr, c->code.len, j, &level))
        return false;
    emit_code(c, c->code.ptr, at);
    int line = c->out_line;
    buf_puts(c->out, ";__R.layout(");
    emit_code(c, c->code.ptr + i, c->code.len - i);
    buf_printf(c->out, ",%d);", line);
    return true;
}

/* A {% %} tag whose code (comments dropped) is in c->code. */
static bool stmt_tag(compiler *c, size_t open)
{
    char *name;
    size_t i;
    if (layout_tag(c)) return true;
    if ((i = after_word(&c->code, "block", NULL)) && parse_block_name(&c->code, i, &name))
        return open_block_tag(c, open, name);
    if ((i = after_word(&c->code, "endblock", NULL)) && parse_block_name(&c->code, i, &name))
        return close_block_tag(c, open, name);
    buf_putc(c->out, ';');
    emit_code(c, c->code.ptr, c->code.len);
    buf_putc(c->out, ' ');
    return true;
}

/* Compiles the tag of the given kind opening at open, with its body in [bs, be). */
static bool compile_tag(compiler *c, char kind, size_t open, size_t bs, size_t be)
{
    if (kind == '#') return true;
    strip_code(c, bs, be);
    pad_to(c, line_of(c, open));
    if (kind == '%') return stmt_tag(c, open);
    buf_puts(c->out, APPEND "__e(");
    emit_code(c, c->code.ptr, c->code.len);
    buf_puts(c->out, ");");
    return true;
}

/* Offset of the next "{{", "{%" or "{#" at or after i; len when there is none. */
static size_t next_opener(const compiler *c, size_t i)
{
    while (i + 1 < c->len) {
        const char *p = memchr(c->text + i, '{', c->len - i - 1);
        if (!p) break;
        i = (size_t)(p - c->text);
        if (p[1] == '{' || p[1] == '%' || p[1] == '#') return i;
        i++;
    }
    return c->len;
}

/* The main loop: text, tag, text, tag, … */
static bool compile_body(compiler *c)
{
    size_t pos = 0;
    bool trim = false;
    for (;;) {
        size_t open = next_opener(c, pos), text_end = open;
        if (trim)
            while (pos < text_end && is_space(c->text[pos])) pos++;
        if (open < c->len && open + 2 < c->len && c->text[open + 2] == '-')
            while (text_end > pos && is_space(c->text[text_end - 1])) text_end--;
        emit_text(c, pos, text_end);
        if (open >= c->len) return true;

        char kind = c->text[open + 1];
        size_t bs = open + 2;
        if (bs < c->len && c->text[bs] == '-') bs++;
        size_t close = find_closer(c, bs, kind);
        if (close >= c->len) {
            char *msg = xasprintf("unclosed '{%c' (expected '%c}')", kind,
                                  kind == '{' ? '}' : kind);
            error_at(c, open, msg);
            free(msg);
            return false;
        }
        trim = close > bs && c->text[close - 1] == '-';
        if (!compile_tag(c, kind, open, bs, trim ? close - 1 : close)) return false;
        pos = close + 2;
    }
}

bool tpl_compile(const char *text, size_t len, const char *path, buf_t *out, diag_list *dl)
{
    compiler c = {0};
    c.text = text ? text : "";
    c.len = text ? len : 0;
    c.path = path;
    c.out = out;
    c.dl = dl;
    c.out_line = 1;
    c.scan_line = 1;
    buf_puts(out, HEADER);
    bool ok = compile_body(&c);
    if (ok && c.nblocks > 0) {
        open_block *b = &c.blocks[c.nblocks - 1];
        diag_add(dl, DIAG_ERROR, path, b->line, b->col,
                 "block '%s' is never closed (expected '{%% endblock %%}')", b->name);
        ok = false;
    }
    if (ok) {
        pad_to(&c, line_of(&c, c.len));
        buf_puts(out, FOOTER);
    }
    for (size_t i = 0; i < c.nblocks; i++) free(c.blocks[i].name);
    free(c.blocks);
    buf_free(&c.code);
    return ok;
}
