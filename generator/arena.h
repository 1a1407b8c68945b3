/* arena.h — a thread's bump allocator for the many blocks a library allocates while it does one
 * job (cmark-gfm rendering a document, libxml2 parsing a page): blocks are cut one after
 * another from large chunks, freeing one does nothing, and arena_reset drops them all at once
 * when the job is done. Each block starts with its size, so realloc needs no size from the
 * caller, and the newest block grows where it is. The chunks stay for the thread's next job
 * and are freed when the thread exits. Under AddressSanitizer the memory of dropped blocks is
 * poisoned. Not thread-safe: declare each arena `static __thread arena name;` (all zero). */
#ifndef REFPRESS_ARENA_H
#define REFPRESS_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct arena_chunk arena_chunk;

typedef struct arena {
    arena_chunk *chunks; /* the one in use first; the others are full or not used yet */
    void *last;          /* the newest block, which arena_realloc can grow in place */
    struct arena *next;  /* the thread's other arenas, for freeing them when it exits */
    bool listed;
} arena;

/* A block of size bytes (aligned as max_align_t); NULL when malloc fails or size is absurd. */
void *arena_alloc(arena *a, size_t size);
/* realloc for a block of a (NULL: arena_alloc); the contents are kept up to the smaller size. */
void *arena_realloc(arena *a, void *p, size_t size);
/* Whether p points into one of a's chunks (a block of a, live or dropped). */
bool arena_owns(const arena *a, const void *p);
/* Drops every block: the chunks are empty again, for the next job. */
void arena_reset(arena *a);

#endif
