/* buf.h — the one growable byte buffer used for all string building. */
#ifndef REFPRESS_BUF_H
#define REFPRESS_BUF_H

#include <stddef.h>

/* A buffer owns ptr. ptr is NUL-terminated whenever it is non-NULL, so buf.ptr can be
 * passed to C string functions; len never counts that NUL. A zeroed buf_t is empty and valid. */
typedef struct buf {
    char *ptr;
    size_t len;
    size_t cap;
} buf_t;

#define BUF_INIT {NULL, 0, 0}

void buf_grow(buf_t *b, size_t extra);
void buf_put(buf_t *b, const void *data, size_t n);
void buf_puts(buf_t *b, const char *s);
void buf_putc(buf_t *b, char c);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends n in decimal, as "%lld" would, without printf's cost (charts write thousands). */
void buf_put_int(buf_t *b, long long n);
/* Appends s with & < > " ' replaced by HTML entities. */
void buf_put_html_escaped(buf_t *b, const char *s, size_t n);
/* Empties the buffer and keeps its memory. */
void buf_clear(buf_t *b);
/* Returns the contents as a NUL-terminated string (never NULL) that the caller frees;
 * the buffer is left empty. */
char *buf_detach(buf_t *b);
/* Returns the contents as a C string (never NULL); borrowed, valid until the next change. */
const char *buf_cstr(buf_t *b);
void buf_free(buf_t *b);

#endif
