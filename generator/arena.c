/* arena.c — a thread's bump allocator, dropped all at once (see arena.h). */
#include "arena.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct arena_chunk {
    arena_chunk *next;
    size_t cap, used;
    max_align_t data[]; /* cap bytes */
};

#define HEADER sizeof(max_align_t)
#define CHUNK (256 * 1024 - 64)

static __thread arena *thread_arenas; /* every arena of this thread that holds chunks */
static pthread_key_t exit_key;        /* its destructor frees them when the thread exits */
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void release_thread(void *unused)
{
    (void)unused;
    for (arena *a = thread_arenas, *next; a; a = next) {
        next = a->next;
        for (arena_chunk *c = a->chunks, *cn; c; c = cn) {
            cn = c->next;
            UNPOISON(c->data, c->cap);
            free(c);
        }
        *a = (arena){0};
    }
    thread_arenas = NULL;
}

static void exit_key_create(void)
{
    pthread_key_create(&exit_key, release_thread);
}

static size_t round_up(size_t n)
{
    return (n + HEADER - 1) / HEADER * HEADER;
}

void *arena_alloc(arena *a, size_t size)
{
    if (size > SIZE_MAX / 2) return NULL;
    size_t need = HEADER + round_up(size ? size : 1);
    arena_chunk *c = a->chunks;
    if (!c || c->cap - c->used < need) {
        /* a chunk with room further down the list (emptied by the last reset), else a new one */
        arena_chunk **at = c ? &c->next : &a->chunks;
        while (*at && (*at)->cap - (*at)->used < need) at = &(*at)->next;
        if (*at) {
            arena_chunk *found = *at;
            *at = found->next;
            c = found;
        } else {
            size_t cap = need > CHUNK ? need : CHUNK;
            c = malloc(sizeof *c + cap);
            if (!c) return NULL;
            c->cap = cap;
            c->used = 0;
            POISON(c->data, cap);
            if (!a->listed) {
                a->listed = true;
                a->next = thread_arenas;
                thread_arenas = a;
                pthread_once(&exit_once, exit_key_create);
                pthread_setspecific(exit_key, a); /* any value but NULL runs the destructor */
            }
        }
        c->next = a->chunks;
        a->chunks = c;
    }
    char *b = (char *)c->data + c->used;
    c->used += need;
    UNPOISON(b, need);
    memcpy(b, &size, sizeof size);
    a->last = b + HEADER;
    return a->last;
}

void *arena_realloc(arena *a, void *p, size_t size)
{
    if (!p) return arena_alloc(a, size);
    size_t old;
    memcpy(&old, (char *)p - HEADER, sizeof old);
    if (size <= old) return p;
    arena_chunk *c = a->chunks;
    size_t grow = round_up(size) - round_up(old ? old : 1);
    if (p == a->last && c->cap - c->used >= grow) {
        UNPOISON((char *)c->data + c->used, grow);
        c->used += grow;
        memcpy((char *)p - HEADER, &size, sizeof size);
        return p;
    }
    void *n = arena_alloc(a, size);
    if (n) memcpy(n, p, old);
    return n;
}

bool arena_owns(const arena *a, const void *p)
{
    uintptr_t u = (uintptr_t)p;
    for (const arena_chunk *c = a->chunks; c; c = c->next)
        if (u >= (uintptr_t)c->data && u < (uintptr_t)c->data + c->cap) return true;
    return false;
}

void arena_reset(arena *a)
{
    for (arena_chunk *c = a->chunks; c; c = c->next) {
        POISON(c->data, c->cap);
        c->used = 0;
    }
    a->last = NULL;
}
