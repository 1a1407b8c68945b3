/* mempool.h — an allocator for one thread's many small, short-lived blocks of a few sizes
 * (Lua's strings, tables and closures): blocks of up to MEMPOOL_SMALL bytes are cut from
 * 64 KiB slabs and kept, once freed, on a free list per 16-byte size class, so that taking
 * or giving one back is a few instructions instead of a trip through malloc. Larger blocks
 * go to malloc. Not thread-safe: one pool per thread (or per Lua state). */
#ifndef REFPRESS_MEMPOOL_H
#define REFPRESS_MEMPOOL_H

#include <stddef.h>

#define MEMPOOL_SMALL 256

typedef struct mempool mempool;

/* Caller frees with mempool_free(), which releases every block still out. */
mempool *mempool_new(void);
void mempool_free(mempool *p);

/* realloc with the block's size known, as lua_Alloc has it: ptr NULL (osize ignored) takes a
 * new block of nsize bytes; nsize 0 gives ptr (of osize bytes) back and returns NULL;
 * otherwise the block is resized (moved, with min(osize, nsize) bytes kept, when its size
 * class changes). osize must be the size the block was last asked for. Returns NULL only
 * when malloc fails, with ptr left as it was. */
void *mempool_realloc(mempool *p, void *ptr, size_t osize, size_t nsize);

/* Bytes of slabs the pool holds (in use or free), for tests. */
size_t mempool_slab_bytes(const mempool *p);

#endif
