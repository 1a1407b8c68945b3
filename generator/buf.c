/* buf.c — the one growable byte buffer used for all string building. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void buf_grow(buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->ptr = xrealloc(b->ptr, cap);
    b->ptr[b->len] = '\0';
    b->cap = cap;
}

void buf_put(buf_t *b, const void *data, size_t n)
{
    buf_grow(b, n);
    if (n) memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

void buf_puts(buf_t *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

void buf_putc(buf_t *b, char c)
{
    buf_grow(b, 1);
    b->ptr[b->len++] = c;
    b->ptr[b->len] = '\0';
}

void buf_put_int(buf_t *b, long long n)
{
    char tmp[24], *p = tmp + sizeof tmp;
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    do *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (n < 0) *--p = '-';
    buf_put(b, p, (size_t)(tmp + sizeof tmp - p));
}

void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        buf_put(b, tmp, (size_t)n);
        return;
    }
    buf_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_put_html_escaped(buf_t *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        buf_put(b, s + start, i - start);
        buf_puts(b, rep);
        start = i + 1;
    }
    buf_put(b, s + start, n - start);
}

void buf_clear(buf_t *b)
{
    b->len = 0;
    if (b->ptr) b->ptr[0] = '\0';
}

char *buf_detach(buf_t *b)
{
    char *p = b->ptr ? b->ptr : xstrdup("");
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *buf_cstr(buf_t *b)
{
    return b->ptr ? b->ptr : "";
}

void buf_free(buf_t *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}
