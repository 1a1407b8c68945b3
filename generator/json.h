/* json.h — writing JSON text that is safe to place inside an HTML <script> element. */
#ifndef REFPRESS_JSON_H
#define REFPRESS_JSON_H

#include <stddef.h>

#include "buf.h"

/* Appends s[0..n) as a JSON string literal. Besides the escapes JSON requires, '<', '>' and
 * '&' are written as \u003c, \u003e and \u0026, and U+2028/U+2029 as \u2028/\u2029, so the
 * text can never end a <script> element or open an HTML comment, and stays valid JavaScript. */
void json_put_string(buf_t *out, const char *s, size_t n);
/* json_put_string of a NUL-terminated string. */
void json_put_cstr(buf_t *out, const char *s);

#endif
