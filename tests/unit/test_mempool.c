/* test_mempool.c — the small-block allocator behind each template engine: blocks keep their
 * bytes across resizes, freed blocks are used again, and large blocks go to malloc. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mempool.h"

static void test_reuse(void)
{
    mempool *p = mempool_new();
    void *a = mempool_realloc(p, NULL, 0, 24);
    void *b = mempool_realloc(p, NULL, 0, 24);
    CHECK(a && b && a != b);
    CHECK((uintptr_t)a % 16 == 0 && (uintptr_t)b % 16 == 0);
    CHECK(mempool_realloc(p, a, 24, 0) == NULL);
    void *c = mempool_realloc(p, NULL, 0, 20); /* same 32-byte class: a comes back */
    CHECK(c == a);
    void *d = mempool_realloc(p, NULL, 0, 40); /* another class: not a */
    CHECK(d != a && d != b);
    /* A resize within the class keeps the block where it is. */
    CHECK(mempool_realloc(p, b, 24, 30) == b);
    CHECK_INT((long)mempool_slab_bytes(p), 64 * 1024);
    mempool_free(p);
}

static void test_resizes_keep_bytes(void)
{
    mempool *p = mempool_new();
    /* From 1 byte up through the small classes into malloc and back down again. */
    static const size_t sizes[] = {1, 15, 16, 17, 100, 256, 257, 5000, 300, 200, 8, 0};
    unsigned char *b = NULL;
    size_t have = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        unsigned char *nb = mempool_realloc(p, b, have, n);
        if (n == 0) {
            CHECK(nb == NULL);
            break;
        }
        CHECK(nb != NULL);
        size_t kept = have < n ? have : n;
        /* A new pattern at each step, so a block that comes back from a free list still
         * holding an older step's bytes does not pass for a copy. */
        CHECK(harness_holds(nb, kept, (unsigned)k + 6));
        harness_fill(nb, n, (unsigned)k + 7);
        b = nb;
        have = n;
    }
    mempool_free(p);
}

/* Many blocks of mixed sizes, freed in another order and taken again: no block is handed out
 * twice while in use (each keeps its own pattern), and slabs stop growing once blocks return. */
static void test_churn(void)
{
    enum { N = 5000 };
    mempool *p = mempool_new();
    unsigned char **blocks = calloc(N, sizeof *blocks);
    size_t *sizes = calloc(N, sizeof *sizes);
    size_t first_round = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            sizes[i] = (size_t)(i * 7919 % 300) + 1; /* some above MEMPOOL_SMALL */
            blocks[i] = mempool_realloc(p, NULL, 0, sizes[i]);
            harness_fill(blocks[i], sizes[i], (unsigned)i);
        }
        bool intact = true;
        for (int i = 0; i < N; i++) intact = intact && harness_holds(blocks[i], sizes[i], (unsigned)i);
        CHECK(intact);
        /* The same blocks again: the freed ones of the round before serve them all. */
        if (round == 0) first_round = mempool_slab_bytes(p);
        else CHECK_INT((long)mempool_slab_bytes(p), (long)first_round);
        for (int i = N - 1; i >= 0; i -= 2) mempool_realloc(p, blocks[i], sizes[i], 0);
        for (int i = N - 2; i >= 0; i -= 2) mempool_realloc(p, blocks[i], sizes[i], 0);
    }
    CHECK(first_round > 64 * 1024); /* the blocks did need more than one slab */
    free(blocks);
    free(sizes);
    mempool_free(p);
}

int main(void)
{
    test_reuse();
    test_resizes_keep_bytes();
    test_churn();
    return harness_done();
}
