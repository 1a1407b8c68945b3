/* util.h — allocation wrappers that never return NULL, a parallel loop, and small string
 * helpers. */
#ifndef REFPRESS_UTIL_H
#define REFPRESS_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Each of these prints "refpress: out of memory" and aborts instead of returning NULL.
 * Every returned pointer is owned by the caller and released with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *items (of *cap elements of elem_size bytes) so that it holds at least need elements. */
void xgrow(void *items_ptr, size_t *cap, size_t need, size_t elem_size);

/* qsort that accepts an empty or NULL array (qsort itself must not be given NULL). */
void xsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* The number of threads "one per core" means: the online CPUs, 1 to 64. */
int cpu_count(void);

/* Calls fn(ud, worker, i) for every i in [0, n), on up to jobs threads (jobs <= 0:
 * cpu_count()), each taking the next i as it finishes one. worker numbers the thread, from 0
 * (the calling thread) to jobs - 1, so callers can keep per-thread state in an array of jobs
 * entries. Returns when all calls have returned. fn must be safe to run on several threads
 * at once for different i. */
void parallel_each(size_t n, int jobs, void (*fn)(void *ud, int worker, size_t i), void *ud);

bool str_starts_with(const char *s, const char *prefix);
/* The first needle[0..k) (k > 0) in [p, end), or NULL. A memchr loop rather than memmem, for
 * many short searches, each after the last, in one text (md_render finding each link it
 * wrote): the sanitizers' memmem marks the whole rest of the text as read on every call,
 * which makes such searches quadratic in the test builds. */
const char *mem_find(const char *p, const char *end, const char *needle, size_t k);
bool str_ends_with(const char *s, const char *suffix);

/* Checks that s[0..len) is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
 * Returns true when it is; otherwise false with *bad set to the offset of the first bad byte. */
bool utf8_valid(const char *s, size_t len, size_t *bad);

/* How many '\n' there are in [p, end). */
size_t count_newlines(const char *p, const char *end);

/* Line and column (1-based, column counted in bytes) of offset off in s. */
void text_position(const char *s, size_t off, int *line, int *col);

/* The environment variable name as a count (decimal digits, 0 or more), or dflt when it is
 * unset, empty or anything else. */
long long env_count(const char *name, long long dflt);

#endif
