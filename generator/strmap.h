/* strmap.h — a hash map from strings to pointers (open addressing, FNV-1a), for URL, slug
 * and id lookups that must stay O(1) at 100,000 pages. */
#ifndef REFPRESS_STRMAP_H
#define REFPRESS_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap strmap;

/* Caller frees with strmap_free(). Keys are copied; values are borrowed (never freed). */
strmap *strmap_new(void);
void strmap_free(strmap *m);
/* Sets key to value and returns the value it had (NULL when new). */
void *strmap_put(strmap *m, const char *key, void *value);
/* The value for key, or NULL. */
void *strmap_get(const strmap *m, const char *key);
size_t strmap_len(const strmap *m);

/* 64-bit FNV-1a of data[0..n). */
uint64_t hash_fnv1a(const void *data, size_t n);

#endif
