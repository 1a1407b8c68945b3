/* mempool.c — small blocks from slabs with a free list per size class. */
#include "mempool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GRAIN 16
#define CLASSES (MEMPOOL_SMALL / GRAIN)
#define SLAB_BYTES (64 * 1024)

typedef struct slab {
    struct slab *next;
    size_t pad; /* keeps the blocks after the header 16-byte aligned */
} slab;

struct mempool {
    void *free_list[CLASSES]; /* freed blocks of each class, linked through their first word */
    slab *slabs;
    char *cur, *end;          /* the unused rest of the newest slab */
    size_t slab_bytes;
};

mempool *mempool_new(void)
{
    return calloc(1, sizeof(mempool));
}

void mempool_free(mempool *p)
{
    if (!p) return;
    for (slab *s = p->slabs, *next; s; s = next) {
        next = s->next;
        free(s);
    }
    free(p);
}

size_t mempool_slab_bytes(const mempool *p)
{
    return p->slab_bytes;
}

static size_t class_of(size_t n)
{
    return (n + GRAIN - 1) / GRAIN - 1;
}

static void *take(mempool *p, size_t c)
{
    void *b = p->free_list[c];
    if (b) {
        memcpy(&p->free_list[c], b, sizeof(void *));
        return b;
    }
    size_t size = (c + 1) * GRAIN;
    if ((size_t)(p->end - p->cur) < size) {
        slab *s = malloc(SLAB_BYTES);
        if (!s) return NULL;
        s->next = p->slabs;
        p->slabs = s;
        p->slab_bytes += SLAB_BYTES;
        /* The rest of the old slab is too small for this block: it goes to the free list of
         * the class that fits it, so nothing is lost. */
        size_t rest = (size_t)(p->end - p->cur);
        if (rest >= GRAIN) {
            size_t rc = rest / GRAIN - 1;
            memcpy(p->cur, &p->free_list[rc], sizeof(void *));
            p->free_list[rc] = p->cur;
        }
        p->cur = (char *)(s + 1);
        p->end = (char *)s + SLAB_BYTES;
    }
    b = p->cur;
    p->cur += size;
    return b;
}

static void give(mempool *p, void *b, size_t c)
{
    memcpy(b, &p->free_list[c], sizeof(void *));
    p->free_list[c] = b;
}

void *mempool_realloc(mempool *p, void *ptr, size_t osize, size_t nsize)
{
    if (!ptr) osize = 0;
    int was_small = ptr && osize <= MEMPOOL_SMALL, is_small = nsize <= MEMPOOL_SMALL;
    if (nsize == 0) {
        if (was_small) give(p, ptr, class_of(osize));
        else free(ptr);
        return NULL;
    }
    if (!ptr) return is_small ? take(p, class_of(nsize)) : malloc(nsize);
    if (!was_small && !is_small) return realloc(ptr, nsize);
    if (was_small && is_small && class_of(osize) == class_of(nsize)) return ptr;
    void *n = is_small ? take(p, class_of(nsize)) : malloc(nsize);
    if (!n) return NULL;
    memcpy(n, ptr, osize < nsize ? osize : nsize);
    if (was_small) give(p, ptr, class_of(osize));
    else free(ptr);
    return n;
}
