/* harness.h — a tiny unit-test harness: CHECK macros and a closing "N passed, N failed" line. */
#ifndef REFPRESS_HARNESS_H
#define REFPRESS_HARNESS_H

#include <stdio.h>
#include <string.h>

static int h_passed, h_failed;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (cond) h_passed++;                                                                  \
        else {                                                                                 \
            h_failed++;                                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);           \
        }                                                                                      \
    } while (0)

#define CHECK_INT(got, want)                                                                   \
    do {                                                                                       \
        long long g_ = (long long)(got), w_ = (long long)(want);                               \
        if (g_ == w_) h_passed++;                                                              \
        else {                                                                                 \
            h_failed++;                                                                        \
            fprintf(stderr, "%s:%d: %s is %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_); \
        }                                                                                      \
    } while (0)

#define CHECK_STR(got, want)                                                                   \
    do {                                                                                       \
        const char *g_ = (got), *w_ = (want);                                                  \
        if (g_ && w_ && strcmp(g_, w_) == 0) h_passed++;                                       \
        else {                                                                                 \
            h_failed++;                                                                        \
            fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got,    \
                    g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                   \
        }                                                                                      \
    } while (0)

/* For allocator tests: fills a block of n bytes with a pattern derived from seed, and tells
 * whether a block still holds it. */
static inline void harness_fill(unsigned char *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(seed * 31 + i);
}

static inline int harness_holds(const unsigned char *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(seed * 31 + i)) return 0;
    return 1;
}

/* Prints the closing line ctest logs show and returns the process exit status. */
static inline int harness_done(void)
{
    printf("%d passed, %d failed\n", h_passed, h_failed);
    return h_failed ? 1 : 0;
}

#endif
