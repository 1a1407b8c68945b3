/* diag.h — diagnostics as values: {file, line, col, severity, message}, collected in a list.
 * Modules add to a diag_list; only main.c prints them and picks the exit code. */
#ifndef REFPRESS_DIAG_H
#define REFPRESS_DIAG_H

#include <stddef.h>

#include "buf.h"

typedef enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } diag_severity;

typedef struct diag {
    char *file;   /* path relative to the site root, e.g. "content/tech/go.md"; owned */
    int line;     /* 1-based; 0 when the message is about the whole file */
    int col;      /* 1-based, in bytes; 0 when unknown */
    diag_severity severity;
    char *message; /* owned; no trailing newline */
} diag;

typedef struct diag_list {
    diag *items;
    size_t len, cap;
    size_t errors, warnings;
} diag_list;

#define DIAG_LIST_INIT {NULL, 0, 0, 0, 0}

void diag_add(diag_list *dl, diag_severity sev, const char *file, int line, int col,
              const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Moves every diagnostic of src to the end of dst and leaves src empty. */
void diag_list_take(diag_list *dst, diag_list *src);
/* Sorts by file, line, column, message, then severity, so the report does not depend on work
 * order. */
void diag_list_sort(diag_list *dl);
/* Appends "file:line:col: error: message\n" (line and col left out when 0). */
void diag_format(const diag *d, buf_t *out);
void diag_list_free(diag_list *dl);

#endif
