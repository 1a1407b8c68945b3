/* json.c — JSON string literals safe inside <script>. */
#include "json.h"

#include <stdbool.h>
#include <string.h>

/* Whether json_put_string looks at a byte: '"', '\\', controls, '<', '>', '&', and 0xE2 (the
 * first byte of U+2028 and U+2029). */
static bool special(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == 0xE2;
}

void json_put_string(buf_t *out, const char *s, size_t n)
{
    buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        size_t run = i;
        while (run < n && !special((unsigned char)s[run])) run++;
        buf_put(out, s + i, run - i); /* the plain bytes at once */
        if ((i = run) == n) break;
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf_putc(out, '\\');
            buf_putc(out, (char)c);
        } else if (c == '\n') buf_puts(out, "\\n");
        else if (c == '\r') buf_puts(out, "\\r");
        else if (c == '\t') buf_puts(out, "\\t");
        else if (c != 0xE2) {
            buf_puts(out, "\\u00");
            buf_putc(out, "0123456789abcdef"[c >> 4]);
            buf_putc(out, "0123456789abcdef"[c & 15]);
        } else if (i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            buf_puts(out, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
            i += 2;
        } else buf_putc(out, (char)c);
    }
    buf_putc(out, '"');
}

void json_put_cstr(buf_t *out, const char *s)
{
    json_put_string(out, s ? s : "", s ? strlen(s) : 0);
}
