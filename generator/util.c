/* util.c — allocation wrappers that never return NULL, a parallel loop, and small string
 * helpers. */
#include "util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die_oom(void)
{
    fputs("refpress: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die_oom();
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) die_oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die_oom();
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) die_oom();
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void xgrow(void *items_ptr, size_t *cap, size_t need, size_t elem_size)
{
    void **items = items_ptr;
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 8;
    while (c < need) c *= 2;
    *items = xrealloc(*items, c * elem_size);
    *cap = c;
}

void xsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1) qsort(base, n, size, cmp);
}

int cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

typedef struct parallel_job {
    size_t n, next;
    void (*fn)(void *ud, int worker, size_t i);
    void *ud;
} parallel_job;

typedef struct parallel_thread {
    parallel_job *job;
    int worker;
    pthread_t id;
    bool started;
} parallel_thread;

static void *parallel_run(void *arg)
{
    parallel_thread *t = arg;
    parallel_job *job = t->job;
    for (size_t i; (i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) < job->n;)
        job->fn(job->ud, t->worker, i);
    return NULL;
}

void parallel_each(size_t n, int jobs, void (*fn)(void *ud, int worker, size_t i), void *ud)
{
    parallel_job job = {n, 0, fn, ud};
    if (jobs <= 0) jobs = cpu_count();
    if ((size_t)jobs > n) jobs = n > 0 ? (int)n : 1;
    parallel_thread *t = xcalloc((size_t)jobs, sizeof *t);
    for (int i = 0; i < jobs; i++) t[i] = (parallel_thread){&job, i, 0, false};
    for (int i = 1; i < jobs; i++) /* a thread that cannot start leaves its share to others */
        t[i].started = pthread_create(&t[i].id, NULL, parallel_run, &t[i]) == 0;
    parallel_run(&t[0]);
    for (int i = 1; i < jobs; i++)
        if (t[i].started) pthread_join(t[i].id, NULL);
    free(t);
}

const char *mem_find(const char *p, const char *end, const char *needle, size_t k)
{
    for (; (size_t)(end - p) >= k && (p = memchr(p, needle[0], (size_t)(end - p) - k + 1)); p++)
        if (memcmp(p, needle, k) == 0) return p;
    return NULL;
}

bool str_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool utf8_valid(const char *str, size_t len, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080u) == 0) { /* eight ASCII bytes */
                i += 8;
                continue;
            }
        }
        unsigned c = s[i];
        size_t n;
        unsigned min;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; c &= 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; c &= 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; c &= 0x07; }
        else goto fail;
        if (i + n >= len) goto fail; /* truncated sequence */
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) goto fail;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) goto fail;
        i += n + 1;
    }
    return true;
fail:
    if (bad) *bad = i;
    return false;
}

size_t count_newlines(const char *p, const char *end)
{
    size_t n = 0;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
        n++;
        p++;
    }
    return n;
}

void text_position(const char *s, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') { l++; c = 1; }
        else c++;
    }
    *line = l;
    *col = c;
}

long long env_count(const char *name, long long dflt)
{
    const char *v = getenv(name);
    char *end;
    if (!v || *v < '0' || *v > '9') return dflt;
    long long n = strtoll(v, &end, 10);
    return *end ? dflt : n;
}
