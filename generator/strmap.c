/* strmap.c — open-addressing string hash map. */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct slot {
    char *key; /* NULL: empty */
    uint64_t hash;
    void *value;
} slot;

struct strmap {
    slot *slots;
    size_t cap; /* a power of two */
    size_t len;
};

uint64_t hash_fnv1a(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

strmap *strmap_new(void)
{
    strmap *m = xcalloc(1, sizeof *m);
    m->cap = 16;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    return m;
}

void strmap_free(strmap *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->cap; i++) free(m->slots[i].key);
    free(m->slots);
    free(m);
}

static slot *find(slot *slots, size_t cap, const char *key, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (slots[i].key && (slots[i].hash != h || strcmp(slots[i].key, key) != 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void grow(strmap *m)
{
    size_t cap = m->cap * 2;
    slot *slots = xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) *find(slots, cap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
}

void *strmap_put(strmap *m, const char *key, void *value)
{
    if ((m->len + 1) * 4 > m->cap * 3) grow(m);
    uint64_t h = hash_fnv1a(key, strlen(key));
    slot *s = find(m->slots, m->cap, key, h);
    if (s->key) {
        void *old = s->value;
        s->value = value;
        return old;
    }
    *s = (slot){xstrdup(key), h, value};
    m->len++;
    return NULL;
}

void *strmap_get(const strmap *m, const char *key)
{
    slot *s = find(m->slots, m->cap, key, hash_fnv1a(key, strlen(key)));
    return s->key ? s->value : NULL;
}

size_t strmap_len(const strmap *m)
{
    return m->len;
}
