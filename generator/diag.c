/* diag.c — diagnostics as values, collected in a list. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void diag_add(diag_list *dl, diag_severity sev, const char *file, int line, int col,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = xmalloc(n > 0 ? (size_t)n + 1 : 1);
    va_start(ap, fmt);
    vsnprintf(msg, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
    va_end(ap);

    xgrow(&dl->items, &dl->cap, dl->len + 1, sizeof *dl->items);
    dl->items[dl->len++] = (diag){xstrdup(file ? file : ""), line, col, sev, msg};
    if (sev == DIAG_ERROR) dl->errors++;
    if (sev == DIAG_WARNING) dl->warnings++;
}

void diag_list_take(diag_list *dst, diag_list *src)
{
    xgrow(&dst->items, &dst->cap, dst->len + src->len, sizeof *dst->items);
    if (src->len) memcpy(dst->items + dst->len, src->items, src->len * sizeof *src->items);
    dst->len += src->len;
    dst->errors += src->errors;
    dst->warnings += src->warnings;
    free(src->items);
    *src = (diag_list)DIAG_LIST_INIT;
}

static int diag_cmp(const void *a, const void *b)
{
    const diag *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c) return c;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->col != y->col) return x->col < y->col ? -1 : 1;
    c = strcmp(x->message, y->message);
    if (c) return c;
    return x->severity < y->severity ? -1 : x->severity > y->severity;
}

void diag_list_sort(diag_list *dl)
{
    if (dl->len > 1) qsort(dl->items, dl->len, sizeof *dl->items, diag_cmp);
}

void diag_format(const diag *d, buf_t *out)
{
    static const char *names[] = {"error", "warning", "note"};
    buf_puts(out, d->file);
    if (d->line > 0) {
        buf_printf(out, ":%d", d->line);
        if (d->col > 0) buf_printf(out, ":%d", d->col);
    }
    buf_printf(out, ": %s: %s\n", names[d->severity], d->message);
}

void diag_list_free(diag_list *dl)
{
    for (size_t i = 0; i < dl->len; i++) {
        free(dl->items[i].file);
        free(dl->items[i].message);
    }
    free(dl->items);
    *dl = (diag_list)DIAG_LIST_INIT;
}
