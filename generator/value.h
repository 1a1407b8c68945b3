/* value.h — YAML documents (via libyaml) as a tree of values that remember where each node
 * was written, so every later check can report file:line:col. */
#ifndef REFPRESS_VALUE_H
#define REFPRESS_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

typedef enum {
    VAL_NULL,   /* ~, null, or an empty plain scalar */
    VAL_BOOL,   /* true / false (YAML 1.2 core schema, plain scalars only) */
    VAL_INT,    /* plain scalar that is a decimal integer */
    VAL_FLOAT,  /* plain scalar that is a decimal number with . or exponent */
    VAL_STRING, /* every other scalar, and every quoted or block scalar */
    VAL_LIST,
    VAL_MAP,
} value_kind;

typedef struct value value;

typedef struct value_entry {
    const char *key; /* map key as written (scalar text) */
    int line, col;   /* where the key was written */
    value *val;
} value_entry;

struct value {
    value_kind kind;
    int line, col;     /* 1-based position of the node in the *file* (not the YAML block) */
    uint32_t len;      /* length of str (files are at most 16 MiB) */
    uint32_t n;        /* number of items or entries; 0 for scalars */
    bool b;            /* VAL_BOOL */
    const char *str;   /* scalar text exactly as parsed (for every scalar kind); "" otherwise */
    union {            /* by kind; value_number() reads VAL_INT and VAL_FLOAT alike */
        long long i;          /* VAL_INT */
        double f;             /* VAL_FLOAT */
        value **items;        /* VAL_LIST */
        value_entry *entries; /* VAL_MAP, in document order */
    };
    /* Set by later passes (schema/site); NULL until then. For a field the schema types as
     * Markdown this is the rendered HTML; templates receive it as a safe string. */
    const char *html;
};
/* 48 bytes, a multiple of the arena's 16-byte alignment: every page's front matter stays in
 * memory for the whole build, a few hundred of these each. */

/* A parsed document. Every node, key and string belongs to the document's arena. */
typedef struct value_doc value_doc;

/* Parses text[0..len) as one YAML document. file names the source in diagnostics;
 * first_line is the file line on which text starts (1 for a whole file, 2 for front matter
 * after a "---" line), so node positions are file positions.
 * Errors (syntax, tabs, duplicate keys, more than one document, alias expansion past
 * max_nodes) are added to dl with file:line:col; then NULL is returned. Columns count bytes,
 * as everywhere in diag.h. Parsing stops at the first error, except that every duplicate key
 * is reported. A UTF-8 byte-order mark at the start is skipped; other encodings are errors.
 * An empty or comment-only text yields a document whose root is VAL_NULL.
 * Aliases are shared, not copied; max_nodes bounds the size of the tree as if every alias
 * were expanded (0 means the default of 100,000), so alias bombs are refused. The bound is
 * checked at each alias ("YAML aliases expand to more than N nodes"); plain nodes cost no
 * more than the text that writes them and are not limited by themselves.
 * Caller frees with value_doc_free(). */
value_doc *value_parse_yaml(const char *text, size_t len, const char *file, int first_line,
                            size_t max_nodes, diag_list *dl);
/* An empty document (root VAL_NULL at 1:1) whose arena the caller may fill with
 * value_doc_alloc(), e.g. to build values that did not come from YAML.
 * Caller frees with value_doc_free(). */
value_doc *value_doc_new(void);
/* Root node; borrowed, valid until value_doc_free(). */
value *value_doc_root(value_doc *doc);
/* Allocates size bytes (zeroed) in the document's arena, valid until value_doc_free(). */
void *value_doc_alloc(value_doc *doc, size_t size);
/* Copies s into the document's arena. */
const char *value_doc_strdup(value_doc *doc, const char *s);
void value_doc_free(value_doc *doc);
/* The bytes the document holds: its arena and itself. */
size_t value_doc_bytes(const value_doc *doc);
/* A deep copy of v in dst's arena: positions, scalar text and html included. Nodes that an
 * alias shares are copied once for each place. */
value *value_copy(value_doc *dst, const value *v);
/* A new document whose root is a copy of the map `map` with only the entries whose key
 * keep() accepts, in their order. Caller frees with value_doc_free(). */
value_doc *value_map_subset(const value *map, bool (*keep)(const char *key));

/* Looks key up in a VAL_MAP; NULL when v is not a map or has no such key. Borrowed. */
value *value_get(const value *v, const char *key);
/* The entry for key (to reach its position); NULL when absent. */
const value_entry *value_get_entry(const value *v, const char *key);
/* Scalar text of a map field, or NULL when absent or not a scalar. Borrowed. */
const char *value_get_str(const value *v, const char *key);
/* The number a VAL_INT or VAL_FLOAT holds, as a double; 0 for other kinds. */
double value_number(const value *v);
/* true for every scalar kind */
bool value_is_scalar(const value *v);
/* "a string", "a list", "a map", "a number", "true or false", "null" — for messages. */
const char *value_kind_name(value_kind k);

#endif
