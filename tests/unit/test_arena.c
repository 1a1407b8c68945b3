/* test_arena.c — the per-thread bump allocator under cmark-gfm and libxml2: blocks are aligned
 * and keep their bytes when they grow, the newest grows in place, a reset hands the same memory
 * out again, and a block tells whether it is the arena's. */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "harness.h"

static __thread arena a;

static void test_blocks(void)
{
    unsigned char *x = arena_alloc(&a, 10), *y = arena_alloc(&a, 0), *z = arena_alloc(&a, 33);
    CHECK(x && y && z && x != y && y != z);
    CHECK((uintptr_t)x % _Alignof(max_align_t) == 0 && (uintptr_t)z % _Alignof(max_align_t) == 0);
    CHECK(y >= x + 10 && z >= y + 1);
    harness_fill(x, 10, 1);
    harness_fill(z, 33, 2);
    /* The newest block grows where it is; an older one moves, with its bytes. */
    CHECK(arena_realloc(&a, z, 300) == z);
    CHECK(harness_holds(z, 33, 2));
    unsigned char *x2 = arena_realloc(&a, x, 500);
    CHECK(x2 != x && x2 > z);
    CHECK(harness_holds(x2, 10, 1));
    CHECK(arena_realloc(&a, x2, 5) == x2); /* shrinking keeps the block */
    CHECK(arena_realloc(&a, NULL, 7) != NULL);
    /* Ownership is by address: the arena's blocks, not malloc's or the stack's. */
    char *m = malloc(16), local = 0;
    CHECK(arena_owns(&a, x) && arena_owns(&a, z) && arena_owns(&a, x2 + 499));
    CHECK(!arena_owns(&a, m) && !arena_owns(&a, &local) && !arena_owns(&a, NULL));
    free(m);
    /* After a reset the same memory comes back, starting with the first block's place. */
    arena_reset(&a);
    unsigned char *again = arena_alloc(&a, 10);
    CHECK(again == x);
    arena_reset(&a);
}

static void test_large(void)
{
    /* Bigger than a chunk: a chunk of its own, and growing from small keeps the bytes. */
    unsigned char *small = arena_alloc(&a, 100);
    harness_fill(small, 100, 3);
    unsigned char *big = arena_alloc(&a, 10);
    unsigned char *grown = arena_realloc(&a, small, 3 * 1024 * 1024);
    CHECK(grown && grown != small && arena_owns(&a, grown + 3 * 1024 * 1024 - 1));
    CHECK(harness_holds(grown, 100, 3));
    harness_fill(grown, 3 * 1024 * 1024, 4);
    CHECK(arena_owns(&a, big));
    arena_reset(&a);
    /* The large chunk is kept: a second large block fits without a new one. */
    unsigned char *again = arena_alloc(&a, 2 * 1024 * 1024);
    CHECK(again && arena_owns(&a, again));
    arena_reset(&a);
}

/* A thread's arena is its own, and its chunks go when the thread exits (the sanitizer build
 * reports them as leaked otherwise). */
static void *worker(void *out)
{
    void *p = arena_alloc(&a, 64);
    *(bool *)out = p && arena_owns(&a, p);
    return NULL;
}

static void test_threads(void)
{
    void *mine = arena_alloc(&a, 8);
    bool ok = false;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, worker, &ok) == 0);
    pthread_join(t, NULL);
    CHECK(ok);
    CHECK(arena_owns(&a, mine));
    arena_reset(&a);
}

int main(void)
{
    test_blocks();
    test_large();
    test_threads();
    return harness_done();
}
