/* make-corpus.c — writes a deterministic refpress site of heavy reference pages for the
 * benchmark and the link checker's precision/recall test, with a manifest of the links it
 * broke on purpose (and, with --hugo, the same content as a Hugo site).
 *
 * Usage: make-corpus PAGES SEED DIR [--hugo]
 *
 * Every byte written is a function of PAGES and SEED only: the text comes from fixed word
 * lists through a seeded xorshift64* generator (one stream per page, so a page does not
 * depend on the pages before it), with no rand(), no clock, no locale and no floating point.
 * See bench/README.md. Depends on nothing but libc. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, list) ((list)[rng_below((r), NELEM(list))])

#define MAX_SECTIONS 20
#define NUM_IMAGES 8
#define MAX_HEADINGS 40
#define WRAP 92             /* prose is hard-wrapped at this many bytes, as authors do */
#define BROKEN_PER_MILLE 10 /* share of body links that are broken on purpose: 1% */

enum { K_MISSING_PAGE, K_MISSING_FRAGMENT, K_MISSING_IMAGE };
static const char *const kind_names[] = {"missing-page", "missing-fragment", "missing-image"};

/* ---- errors and the growable buffer ----------------------------------------------------- */

static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    fputs("make-corpus: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory");
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

/* Formats one integer argument of conversion conv (d, u or x) and length lng (0 int, 1 long,
 * 2 long long or size_t) into num, which holds 24 bytes; returns its length. */
static size_t fmt_number(char *num, char conv, int lng, va_list *ap)
{
    unsigned long long v = 0;
    int neg = 0;
    if (conv == 'd') {
        long long d = lng == 0   ? va_arg(*ap, int)
                      : lng == 1 ? va_arg(*ap, long)
                                 : va_arg(*ap, long long);
        neg = d < 0;
        v = neg ? 0ull - (unsigned long long)d : (unsigned long long)d;
    } else if (conv == 'u' || conv == 'x') {
        v = lng == 0   ? va_arg(*ap, unsigned)
            : lng == 1 ? va_arg(*ap, unsigned long)
                       : va_arg(*ap, unsigned long long);
    } else {
        die("internal: unsupported format %%%c", conv);
    }
    char tmp[24];
    size_t n = 0, len = 0;
    unsigned base = conv == 'x' ? 16 : 10;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg) num[len++] = '-';
    while (n)
        num[len++] = tmp[--n];
    return len;
}

/* Appends s[0..len) at out + *n as far as cap allows (keeping a byte for the '\0'). */
static void put_bytes(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
    if (*n + 1 < cap) {
        size_t room = cap - 1 - *n;
        memcpy(out + *n, s, len < room ? len : room);
    }
    *n += len;
}

/* A small snprintf for the formats this file uses ('%' with optional '0', a width or '*', a
 * precision ".*" or ".N", the lengths l, ll and z, and s c d u x): glibc's snprintf was most of
 * the run time. Writes at most cap - 1 bytes and a '\0'; returns the length it wanted. */
static size_t vfmt(char *out, size_t cap, const char *f, va_list ap_in)
{
    size_t n = 0;
    va_list ap; /* a copy, so that &ap is a va_list * whatever va_list is */
    va_copy(ap, ap_in);
#define EMIT(ch) (n + 1 < cap ? (void)(out[n] = (ch)) : (void)0, n++)
    for (; *f; f++) {
        if (*f != '%') {
            size_t run = strcspn(f, "%");
            put_bytes(out, cap, &n, f, run);
            f += run - 1;
            continue;
        }
        char pad = ' ', num[24];
        int width = 0, prec = -1, lng = 0;
        const char *s = num;
        size_t len;
        if (*++f == '0') {
            pad = '0';
            f++;
        }
        if (*f == '*') {
            width = va_arg(ap, int);
            f++;
        }
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (*f++ - '0');
        if (*f == '.' && f[1] == '*') {
            prec = va_arg(ap, int);
            f += 2;
        }
        for (; *f == 'l' || *f == 'z'; f++)
            lng += *f == 'z' ? 2 : 1;
        if (*f == 's') {
            s = va_arg(ap, const char *);
            len = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
        } else if (*f == 'c' || *f == '%') {
            num[0] = *f == '%' ? '%' : (char)va_arg(ap, int);
            len = 1;
        } else {
            len = fmt_number(num, *f, lng, &ap);
        }
        for (int w = (int)len; w < width; w++)
            EMIT(pad);
        put_bytes(out, cap, &n, s, len);
    }
    if (cap) out[n < cap ? n : cap - 1] = '\0';
#undef EMIT
    va_end(ap);
    return n;
}

static size_t fmt(char *out, size_t cap, const char *f, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static size_t fmt(char *out, size_t cap, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    size_t n = vfmt(out, cap, f, ap);
    va_end(ap);
    return n;
}

typedef struct sb {
    char *p;
    size_t len, cap;
} sb;

static void sb_put(sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sb *b, const char *s)
{
    sb_put(b, s, strlen(s));
}
static void sb_putc(sb *b, char c)
{
    sb_put(b, &c, 1);
}
static void sb_clear(sb *b)
{
    b->len = 0;
    if (b->p) b->p[0] = '\0';
}
static void sb_free(sb *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

#if defined(__GNUC__)
static void sb_printf(sb *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
#endif
static void sb_printf(sb *b, const char *f, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, f);
    size_t n = vfmt(tmp, sizeof tmp, f, ap);
    va_end(ap);
    if (n >= sizeof tmp) die("internal: formatted text too long");
    sb_put(b, tmp, n);
}

/* ---- the random streams ----------------------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* One independent stream per (seed, page, purpose). */
static rng rng_for(uint64_t seed, uint64_t page, uint64_t stream)
{
    rng r;
    r.s = splitmix64(splitmix64(splitmix64(seed) ^ page) + stream);
    if (r.s == 0) r.s = 0x2545F4914F6CDD1Dull;
    return r;
}

static uint64_t rng_next(rng *r) /* xorshift64* */
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

static unsigned long rng_below(rng *r, unsigned long n)
{
    return (unsigned long)((rng_next(r) >> 11) % n);
}
static int rng_pct(rng *r, unsigned pct)
{
    return rng_below(r, 100) < pct;
}

/* ---- vocabulary ------------------------------------------------------------------------- */

static const char *const nouns[] =
    {/* plural by adding "s" */
     "buffer",    "cluster",   "connection", "consumer",  "container", "deployment", "driver",
     "endpoint",  "event",     "gateway",    "handler",   "job",       "key",        "lock",
     "log",       "message",   "metric",     "migration", "module",    "node",       "operator",
     "partition", "pipeline",  "pool",       "producer",  "queue",     "replica",    "request",
     "record",    "region",    "release",    "resource",  "response",  "rollout",    "route",
     "schema",    "secret",    "segment",    "service",   "shard",     "snapshot",   "socket",
     "stream",    "table",     "task",       "tenant",    "thread",    "timeout",    "token",
     "topic",     "trace",     "volume",     "worker",    "backup",    "checkpoint", "client",
     "cursor",    "dashboard", "field",      "file",      "flag",      "header",     "hook",
     "limit",     "listener",  "manifest",   "page",      "plan",      "port",       "probe",
     "quota",     "reader",    "retry",      "rule",      "sample",    "session",    "signal",
     "slot",      "tier",      "view",       "window",    "writer",    "alert",      "budget",
     "contract",  "tag"};
static const char *const mass_nouns[] = {
    "throughput",   "latency",   "capacity",      "storage",    "traffic",
    "memory",       "state",     "configuration", "ownership",  "telemetry",
    "backpressure", "retention", "consistency",   "durability", "isolation",
    "tooling",      "routing",   "compaction",    "scheduling", "caching"};
static const char *const adjectives[] = {
    "stale",      "durable",     "idle",        "noisy",        "slow",      "hot",
    "cold",       "large",       "small",       "shared",       "local",     "remote",
    "primary",    "secondary",   "regional",    "global",       "transient", "persistent",
    "bounded",    "partial",     "cached",      "encrypted",    "signed",    "versioned",
    "immutable",  "mutable",     "synchronous", "asynchronous", "default",   "explicit",
    "implicit",   "predictable", "steady",      "bursty",       "expensive", "cheap",
    "critical",   "optional",    "typed",       "stateless",    "stateful",  "sharded",
    "replicated", "frequent",    "rare",        "careful",      "narrow",    "wide",
    "fresh",      "busy"};
static const char *const verbs[] =
    {/* third person singular */
     "stores",       "reads",      "writes",    "retries",  "drops",       "buffers",   "batches",
     "routes",       "replicates", "compacts",  "evicts",   "throttles",   "rejects",   "accepts",
     "validates",    "serializes", "caches",    "indexes",  "schedules",   "streams",   "signs",
     "encrypts",     "rotates",    "pins",      "locks",    "releases",    "publishes", "consumes",
     "acknowledges", "flushes",    "snapshots", "restores", "migrates",    "measures",  "exposes",
     "hides",        "limits",     "splits",    "merges",   "tracks",      "reports",   "recovers",
     "degrades",     "scales",     "drains",    "warms",    "invalidates", "shards",    "persists",
     "checks",       "tolerates",  "absorbs",   "delays",   "orders"};
static const char *const gerunds[] = {
    "sizing",       "tuning",    "choosing",   "operating", "monitoring",   "testing",
    "securing",     "scaling",   "migrating",  "debugging", "deploying",    "configuring",
    "profiling",    "upgrading", "hardening",  "observing", "partitioning", "replicating",
    "benchmarking", "reviewing", "versioning", "draining",  "rotating",     "bounding",
    "indexing",     "sharing"};
static const char *const preps[] = {"under",  "behind",  "across",  "inside", "before",
                                    "after",  "around",  "between", "within", "against",
                                    "beyond", "without", "through", "beside"};
static const char *const adverbs[] = {
    "quietly", "safely",     "eventually",  "rarely",    "always",      "often", "lazily",
    "eagerly", "explicitly", "predictably", "gradually", "immediately", "twice", "silently"};
static const char *const units[] = {"seconds",   "milliseconds", "minutes", "requests",
                                    "megabytes", "partitions",   "retries", "connections"};
/* A few non-ASCII words, so columns are byte columns on some lines (as cmark counts them). */
static const char *const accented[] = {"naïve", "façade", "rôle", "café-style", "déjà-vu"};
static const char *const syllables[] = {
    "kor", "va", "ne",  "tes", "sa",  "ly",  "dra", "mi",  "quo", "ri",  "zen", "tal", "bar", "lo",
    "fen", "ix", "or",  "pel", "vin", "cas", "tor", "nu",  "bel", "gra", "sim", "don", "hal", "cy",
    "mer", "ro", "phi", "lux", "ka",  "te",  "mo",  "sel", "dar", "vex", "an",  "qui"};
static const char *const suffixes[] = {"DB",      "Queue", "Store",   "Mesh",     "Proxy",
                                       "Runtime", "Cache", "Gateway", "Index",    "Scheduler",
                                       "Stream",  "Vault", "Engine",  "Router",   "Lake",
                                       "Grid",    "Flow",  "Bus",     "Registry", "Broker"};
static const char *const section_names[MAX_SECTIONS] = {
    "Data stores",   "Messaging",  "Caching",   "Networking", "Observability",
    "Security",      "Compute",    "Storage",   "Languages",  "Build systems",
    "Deployment",    "Scheduling", "Search",    "Streaming",  "Identity",
    "Configuration", "Testing",    "Analytics", "Edge",       "Runtime platforms"};
static const char *const subcategories[] = {"Backend systems", "Infrastructure",    "Platform",
                                            "Data platform",   "Developer tooling", "Operations"};
static const char *const tag_vocab[] = {
    "automation",    "data",        "apis",      "caching",     "concurrency", "consistency",
    "containers",    "databases",   "debugging", "deployment",  "distributed", "durability",
    "encryption",    "events",      "failover",  "indexing",    "latency",     "logging",
    "memory",        "messaging",   "metrics",   "migrations",  "networking",  "observability",
    "orchestration", "performance", "queues",    "replication", "reliability", "scaling",
    "scheduling",    "schemas",     "search",    "security",    "sharding",    "storage",
    "streaming",     "testing",     "tracing",   "transactions"};
static const char *const authors[] = {
    "Ada Marsh",       "Bruno Keller", "Chidi Okafor",  "Dana Whitfield",
    "Elif Yılmaz",     "Farah Haddad", "Gus Lindqvist", "Hana Sato",
    "Iker Etxeberria", "Jonas Weiß",   "Kavya Rao",     "Liam O'Neill",
    "Zoë Martin",      "José Ortega",  "Mei Chen",      "Noor Aziz"};
static const char *const signal_kinds[] = {"Production capability", "Architecture decision",
                                           "Engineering signal", "Review checkpoint"};
static const char *const licenses[] = {"Apache-2.0", "MIT",      "BSD-3-Clause",
                                       "MPL-2.0",    "AGPL-3.0", "Proprietary"};
/* Ids the default theme's reference template has put on every page; generated headings and
 * made-up fragments avoid them, and any id starting with "rp-" (the prefix the templates use
 * for their own ids). No generated heading is a single word or starts with "rp". */
static const char *const template_ids[] = {
    "adoption", "architecture", "checks",  "faq",    "lens",  "main", "map",
    "position", "production",   "related", "review", "risks", "role", "signals"};

/* ---- the corpus and its manifest -------------------------------------------------------- */

typedef struct broken {
    char *file, *url;
    int line, col, kind;
} broken;

typedef struct corpus {
    unsigned long pages;
    uint64_t seed;
    unsigned nsec;
    broken *bad;
    size_t nbad, capbad;
} corpus;

typedef struct heading {
    int level;
    char text[160];
    char id[160];
} heading;

/* What other pages need to know about a page to link to it: recomputed on demand from the
 * page's own stream, so nothing is kept per page and 100,000 pages need no memory. */
typedef struct plan {
    unsigned long index;
    unsigned sec;
    char name[48];
    char title[80];
    char slug[128];
    rng rest; /* the plan's stream after the name: it goes on to make the headings */
    int nh;   /* -1 until plan_full() */
    heading h[MAX_HEADINGS];
} plan;

static unsigned page_section(const corpus *c, unsigned long p)
{
    return (unsigned)(p % c->nsec);
}

static void corpus_add_broken(corpus *c, const char *file, int line, int col, int kind,
                              const char *url)
{
    if (c->nbad == c->capbad) {
        c->capbad = c->capbad ? c->capbad * 2 : 64;
        c->bad = xrealloc(c->bad, c->capbad * sizeof *c->bad);
    }
    broken *b = &c->bad[c->nbad++];
    b->file = xstrdup(file);
    b->url = xstrdup(url);
    b->line = line;
    b->col = col;
    b->kind = kind;
}

/* GitHub's heading id for ASCII text: lower-case, letters, digits, '_' and '-' kept, spaces
 * become '-', everything else dropped. */
static void heading_id(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *s = text; *s && n + 1 < cap; s++) {
        char ch = *s;
        if (ch >= 'A' && ch <= 'Z')
            out[n++] = (char)(ch - 'A' + 'a');
        else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')
            out[n++] = ch;
        else if (ch == ' ')
            out[n++] = '-';
    }
    out[n] = '\0';
}

static int plan_has_id(const plan *pl, const char *id)
{
    if (strncmp(id, "rp-", 3) == 0) return 1;
    if (!strchr(id, '-')) /* the other template ids are single words */
        for (size_t i = 0; i < NELEM(template_ids); i++)
            if (strcmp(template_ids[i], id) == 0) return 1;
    for (int i = 0; i < pl->nh; i++)
        if (strcmp(pl->h[i].id, id) == 0) return 1;
    return 0;
}

static void capitalize(char *s)
{
    if (*s >= 'a' && *s <= 'z') *s = (char)(*s - 'a' + 'A');
}

/* One heading text from a handful of shapes a reference page's outline has. */
static void heading_text(rng *r, const plan *pl, char *out, size_t cap)
{
    const char *n1 = PICK(r, nouns), *n2 = PICK(r, nouns), *g = PICK(r, gerunds);
    const char *a = PICK(r, adjectives), *a2 = PICK(r, adjectives), *m = PICK(r, mass_nouns);
    switch (rng_below(r, 12)) {
    case 0:
        fmt(out, cap, "%s the %s %s", g, n1, n2);
        break;
    case 1:
        fmt(out, cap, "%s %ss under load", a, n1);
        break;
    case 2:
        fmt(out, cap, "How %s %s %ss", pl->title, PICK(r, verbs), n1);
        break;
    case 3:
        fmt(out, cap, "%ss and %s", n1, m);
        break;
    case 4:
        fmt(out, cap, "When the %s %s", n1, PICK(r, verbs));
        break;
    case 5:
        fmt(out, cap, "The `%s_%s` setting", n1, n2);
        break;
    case 6:
        fmt(out, cap, "%s %ss: %s versus %s", g, n1, a, a2);
        break;
    case 7:
        fmt(out, cap, "Step %lu: %s the %s", 1 + rng_below(r, 9), g, n1);
        break;
    case 8:
        fmt(out, cap, "%s in %s", m, pl->title);
        break;
    case 9:
        fmt(out, cap, "%s %s (and when not to)", g, m);
        break;
    case 10:
        fmt(out, cap, "A checklist for %s %ss", a, n1);
        break;
    default:
        fmt(out, cap, "%s %s and %s %ss", a, m, a2, n2);
        break;
    }
    capitalize(out);
}

static void plan_headings(rng *r, plan *pl)
{
    int n2 = 5 + (int)rng_below(r, 5); /* 5..9 "##" sections, each with 1..3 "###" */
    pl->nh = 0;
    for (int s = 0; s < n2; s++) {
        int n3 = 1 + (int)rng_below(r, 3);
        for (int k = 0; k <= n3 && pl->nh < MAX_HEADINGS; k++) {
            heading *h = &pl->h[pl->nh];
            h->level = k == 0 ? 2 : 3;
            for (int tries = 0;; tries++) {
                heading_text(r, pl, h->text, sizeof h->text);
                if (tries > 20) { /* practically never: make it unique by numbering */
                    size_t len = strlen(h->text);
                    fmt(h->text + len, sizeof h->text - len, " part %d", pl->nh);
                }
                heading_id(h->text, h->id, sizeof h->id);
                if (!plan_has_id(pl, h->id)) break;
            }
            pl->nh++;
        }
    }
}

static void make_name(rng *r, char *out, size_t cap)
{
    int n = 2 + (int)rng_below(r, 2);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(out);
        fmt(out + len, cap - len, "%s", PICK(r, syllables));
    }
    capitalize(out);
}

/* Lower-cases ASCII letters and turns spaces into '-': enough for the generated names. */
static void to_slug(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        out[n++] = *s == ' ' ? '-' : (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
    out[n] = '\0';
}

static void plan_make(const corpus *c, unsigned long p, plan *pl)
{
    rng r = rng_for(c->seed, p, 1);
    char lower[96];
    pl->index = p;
    pl->sec = page_section(c, p);
    make_name(&r, pl->name, sizeof pl->name);
    fmt(pl->title, sizeof pl->title, "%s %s", pl->name, PICK(&r, suffixes));
    to_slug(pl->title, lower, sizeof lower);
    fmt(pl->slug, sizeof pl->slug, "%s-%lu", lower, p);
    pl->rest = r;
    pl->nh = -1;
}

/* The headings too, made when first needed: half the links need only a page's URL. */
static plan *plan_full(plan *pl)
{
    if (pl->nh < 0) plan_headings(&pl->rest, pl);
    return pl;
}

/* ---- writing one page: position tracking and wrapped inline text ------------------------ */

typedef struct page {
    corpus *c;
    plan self;
    plan other; /* scratch for the target of a link */
    rng r;
    sb out;
    char file[160];   /* content/sNN/slug.md, as the manifest names it */
    int in_body;      /* links may be broken only in the Markdown body */
    int forced;       /* page 0 breaks its first three body links, one of each kind */
    size_t scanned;   /* position tracking: out.p[0..scanned) has been counted */
    int line;         /* line number at out.p[scanned] */
    size_t line_head; /* offset where that line starts */
    int first;        /* wrapping: next token starts the paragraph (or cell) */
    char article;     /* 'a' or 'A' waiting for the next word, to become "an" if needed */
    int wrap;         /* wrapping on (prose) or off (table cells, YAML strings) */
    size_t wrap_head; /* where the line being wrapped starts */
    const char *cont; /* what continuation lines start with */
    const char *tags[6];
    int ntags;
} page;

/* 1-based line and byte column of the next byte to be written. */
static void page_here(page *pg, int *line, int *col)
{
    for (; pg->scanned < pg->out.len; pg->scanned++)
        if (pg->out.p[pg->scanned] == '\n') {
            pg->line++;
            pg->line_head = pg->scanned + 1;
        }
    *line = pg->line;
    *col = (int)(pg->out.len - pg->line_head) + 1;
}

/* Starts a paragraph-like run of tokens: the caller has written the first line's prefix.
 * Until the run ends, only tok_space() writes line breaks. */
static void para_begin(page *pg, int wrap, const char *cont)
{
    size_t i = pg->out.len;
    while (i > 0 && pg->out.p[i - 1] != '\n')
        i--;
    pg->wrap_head = i;
    pg->first = 1;
    pg->wrap = wrap;
    pg->cont = cont;
}

/* Writes the space or line break that goes before a token of n bytes. */
static void tok_space(page *pg, size_t n)
{
    if (pg->first) {
        pg->first = 0;
        return;
    }
    if (pg->wrap && pg->out.len - pg->wrap_head + 1 + n > WRAP) {
        sb_putc(&pg->out, '\n');
        pg->wrap_head = pg->out.len;
        sb_puts(&pg->out, pg->cont);
    } else {
        sb_putc(&pg->out, ' ');
    }
}

static void tok(page *pg, const char *s)
{
    size_t n = strlen(s);
    tok_space(pg, n);
    sb_put(&pg->out, s, n);
}

/* ---- links --------------------------------------------------------------------------------
 * Valid links point at pages, headings (GitHub ids), sections, tags, the home page and the
 * images in content/images/. A broken link is one of three kinds, each made so that it
 * cannot exist: a page path whose number is >= PAGES or whose section is not the page's;
 * a fragment checked against the target's ids; an image number beyond NUM_IMAGES or a .png. */

static void section_dir(unsigned sec, char *out, size_t cap)
{
    fmt(out, cap, "s%02u", sec + 1);
}

static void page_url(const plan *pl, char *out, size_t cap)
{
    char dir[16];
    section_dir(pl->sec, dir, sizeof dir);
    fmt(out, cap, "/%s/%s/", dir, pl->slug);
}

static unsigned long pick_other(page *pg)
{
    unsigned long n = pg->c->pages, p = pg->self.index;
    if (n == 1) return p;
    unsigned long q = rng_below(&pg->r, n - 1);
    return q >= p ? q + 1 : q;
}

/* Another page of the same section, or -1 when there is none. */
static long pick_same_section(page *pg)
{
    const corpus *c = pg->c;
    unsigned long sec = pg->self.sec, count = (c->pages - sec + c->nsec - 1) / c->nsec;
    if (count < 2) return -1;
    unsigned long k = rng_below(&pg->r, count - 1), q = sec + k * c->nsec;
    if (q >= pg->self.index) q += c->nsec;
    return (long)q;
}

/* Link text from a heading: its words, backticks and all (a code span inside a link). */
static const heading *pick_heading(page *pg, plan *pl)
{
    plan_full(pl);
    return &pl->h[rng_below(&pg->r, (unsigned long)pl->nh)];
}

static void valid_page_link(page *pg, sb *text, sb *url, int relative)
{
    char u[160];
    long q = relative ? pick_same_section(pg) : -1;
    if (q < 0) {
        relative = 0;
        q = (long)pick_other(pg);
    }
    plan_make(pg->c, (unsigned long)q, &pg->other);
    if (relative)
        fmt(u, sizeof u, "../%s/", pg->other.slug);
    else
        page_url(&pg->other, u, sizeof u);
    sb_puts(url, u);
    if (rng_pct(&pg->r, 55)) {
        const heading *h = pick_heading(pg, &pg->other);
        sb_printf(url, "#%s", h->id);
        sb_puts(text, h->text);
    } else {
        sb_puts(text, pg->other.title);
    }
}

static void valid_link(page *pg, sb *text, sb *url)
{
    unsigned long roll = rng_below(&pg->r, 100);
    char dir[16];
    section_dir(pg->self.sec, dir, sizeof dir);
    if (roll < 62) {
        valid_page_link(pg, text, url, 0);
    } else if (roll < 72) {
        const heading *h = pick_heading(pg, &pg->self);
        sb_puts(text, h->text);
        sb_printf(url, "#%s", h->id);
    } else if (roll < 80) {
        valid_page_link(pg, text, url, 1);
    } else if (roll < 86) {
        unsigned sec = (unsigned)rng_below(&pg->r, pg->c->nsec);
        section_dir(sec, dir, sizeof dir);
        sb_printf(text, "%s reference", section_names[sec]);
        sb_printf(url, "/%s/", dir);
    } else if (roll < 91) {
        const char *t = pg->tags[rng_below(&pg->r, (unsigned long)pg->ntags)];
        sb_printf(text, "pages tagged %s", t);
        sb_printf(url, "/tags/%s/", t);
    } else if (roll < 93) {
        sb_puts(text, "the reference home");
        sb_puts(url, "/");
    } else {
        const char *w = PICK(&pg->r, nouns);
        sb_printf(text, "the upstream %s notes", w);
        sb_printf(url, "https://docs.example.com/%s/%s.html", w, PICK(&pg->r, gerunds));
    }
}

static void valid_image(page *pg, sb *text, sb *url)
{
    unsigned long n = 1 + rng_below(&pg->r, NUM_IMAGES);
    const char *a = PICK(&pg->r, adjectives), *w = PICK(&pg->r, nouns);
    sb_printf(text, "Diagram of %s %ss in %s", a, w, pg->self.title);
    sb_printf(url, "%s/images/figure-%lu.svg", rng_pct(&pg->r, 30) ? "../.." : "", n);
}

/* A fragment id that plausibly could exist on pl but does not. */
static void bogus_fragment(page *pg, plan *pl, char *out, size_t cap)
{
    plan_full(pl);
    for (int tries = 0; tries < 50; tries++) {
        const heading *h = pick_heading(pg, pl);
        char *dash;
        switch (rng_below(&pg->r, 3)) {
        case 0: /* a heading renamed since: the id without its last word */
            fmt(out, cap, "%s", h->id);
            dash = strrchr(out, '-');
            if (dash) *dash = '\0';
            break;
        case 1: /* written by hand with underscores */
            fmt(out, cap, "%s", h->id);
            for (char *s = out; *s; s++)
                if (*s == '-') *s = '_';
            break;
        default: { /* an anchor that never was */
            const char *g = PICK(&pg->r, gerunds), *w = PICK(&pg->r, nouns);
            fmt(out, cap, "%s-%ss", g, w);
            break;
        }
        }
        if (out[0] && !plan_has_id(pl, out)) return;
    }
    fmt(out, cap, "no-such-heading-%lu", rng_below(&pg->r, 1000));
}

static void broken_page(page *pg, sb *text, sb *url)
{
    const corpus *c = pg->c;
    unsigned long v = rng_below(&pg->r, 3);
    char dir[16], name[48], lower[96];
    if (v == 0 && c->nsec > 1) { /* a real page, under the wrong section */
        plan_make(c, pick_other(pg), &pg->other);
        unsigned sec = (pg->other.sec + 1 + (unsigned)rng_below(&pg->r, c->nsec - 1)) % c->nsec;
        section_dir(sec, dir, sizeof dir);
        sb_puts(text, pg->other.title);
        sb_printf(url, "/%s/%s/", dir, pg->other.slug);
        return;
    }
    make_name(&pg->r, name, sizeof name);
    to_slug(name, lower, sizeof lower);
    unsigned long num = c->pages + rng_below(&pg->r, 1000); /* no page has this number */
    const char *suffix = PICK(&pg->r, suffixes);
    sb_printf(text, "%s %s", name, suffix);
    section_dir(pg->self.sec, dir, sizeof dir);
    to_slug(suffix, name, sizeof name);
    if (v == 2)
        sb_printf(url, "../%s-%s-%lu/", lower, name, num);
    else
        sb_printf(url, "/%s/%s-%s-%lu/", dir, lower, name, num);
    if (rng_pct(&pg->r, 30)) {
        const char *g = PICK(&pg->r, gerunds), *w = PICK(&pg->r, nouns);
        sb_printf(url, "#%s-%ss", g, w);
    }
}

static void broken_fragment(page *pg, sb *text, sb *url)
{
    char frag[160], u[160];
    unsigned long v = rng_below(&pg->r, 3);
    long q = v == 2 ? pick_same_section(pg) : -1;
    if (v == 1) {
        bogus_fragment(pg, &pg->self, frag, sizeof frag);
        sb_printf(text, "the section on %s", pg->self.h[0].text);
        sb_printf(url, "#%s", frag);
        return;
    }
    plan_make(pg->c, q >= 0 ? (unsigned long)q : pick_other(pg), &pg->other);
    bogus_fragment(pg, &pg->other, frag, sizeof frag);
    if (q >= 0)
        fmt(u, sizeof u, "../%s/", pg->other.slug);
    else
        page_url(&pg->other, u, sizeof u);
    sb_puts(text, pg->other.title);
    sb_printf(url, "%s#%s", u, frag);
}

static void broken_image(page *pg, sb *text, sb *url)
{
    const char *a = PICK(&pg->r, adjectives), *w = PICK(&pg->r, nouns), *w2 = PICK(&pg->r, nouns);
    sb_printf(text, "Diagram of the %s %s", a, w);
    switch (rng_below(&pg->r, 3)) {
    case 0:
        sb_printf(url, "/images/figure-%lu.svg", NUM_IMAGES + 1 + rng_below(&pg->r, 40));
        break;
    case 1:
        sb_printf(url, "/images/%s-%s.png", w, w2);
        break;
    default:
        sb_printf(url, "../../images/figure-%lu.svg", NUM_IMAGES + 1 + rng_below(&pg->r, 40));
        break;
    }
}

/* Decides whether the next body link is broken on purpose: returns its kind or -1. */
static int broken_roll(page *pg)
{
    if (!pg->in_body) return -1;
    if (pg->self.index == 0 && pg->forced < 3) return pg->forced++;
    if (rng_below(&pg->r, 1000) < BROKEN_PER_MILLE) return (int)rng_below(&pg->r, 3);
    return -1;
}

/* Writes one link (or image) token followed by trail ("", ".", ","), recording it in the
 * manifest when it is broken. */
static void link_tok(page *pg, int image, const char *trail)
{
    sb text = {0}, url = {0}, t = {0};
    int kind = broken_roll(pg);
    if (kind == K_MISSING_PAGE)
        broken_page(pg, &text, &url);
    else if (kind == K_MISSING_FRAGMENT)
        broken_fragment(pg, &text, &url);
    else if (kind == K_MISSING_IMAGE)
        broken_image(pg, &text, &url);
    else if (image)
        valid_image(pg, &text, &url);
    else
        valid_link(pg, &text, &url);
    sb_printf(&t, "%s[%s](%s)%s", kind == K_MISSING_IMAGE || (kind < 0 && image) ? "!" : "", text.p,
              url.p, trail);
    tok_space(pg, t.len);
    if (kind >= 0) {
        int line, col;
        page_here(pg, &line, &col);
        corpus_add_broken(pg->c, pg->file, line, col, kind, url.p);
    }
    sb_put(&pg->out, t.p, t.len);
    sb_free(&text);
    sb_free(&url);
    sb_free(&t);
}

/* ---- prose ----------------------------------------------------------------------------- */

/* Sentence shapes; slots: {a} adjective, {n} noun, {N} plural noun, {m} mass noun, {v} verb,
 * {g} gerund, {p} preposition, {d} adverb, {x} number, {u} unit, {c} code span, {T} title,
 * {A} accented word, {L} a link, {b} bold noun, {i} italic adjective. Trailing punctuation
 * after a slot stays attached to it. */
static const char *const plain_sentences[] = {
    "The {a} {n} {v} the {n} {p} the {n}.",
    "{g} the {n} {v} {m} {d} once the {n} {v}.",
    "Each {n} {v} its own {n}, so the {a} {n} {v} {d}.",
    "{T} {v} {N} {p} a {a} {n}.",
    "A {a} {n} {v} {N} within {x} {u}.",
    "Teams that skip the {n} review find that the {n} {v} {p} the {n}.",
    "In practice the {n} {v} {d}, and the {c} setting decides how far.",
    "Keep the {n} {a}: a {a} {n} {v} every {n} {p} it.",
    "If the {n} {v}, {T} {v} the {n} and {v} a {a} {n}.",
    "Measure {m} and {m} before changing {c}.",
    "The {A} approach {v} the {n}, which is why {m} matters here.",
    "Use {b} for {a} work and {i} {N} for the rest.",
    "Nothing in {T} {v} {m} by default; the {n} {v} it {d}.",
    "Set {c} to {x} when the {n} {v} more than {x} {u}.",
    "Most {m} problems start as a {a} {n} that nobody {v}.",
    "A {n} {p} the {n} {v} {m}, not {m}.",
};
static const char *const link_sentences[] = {
    "See {L} for how the {n} {v} {p} the {n}.",
    "{L} covers the {a} case, where the {n} {v} {d}.",
    "Compare this with {L}, where the {n} {v} the {n} instead.",
    "The {n} {v} {m} {p} the {n}, as {L} explains.",
    "When {m} matters more than {m}, read {L} first.",
    "{T} {v} {N} much like {L} does, but the {n} {v} {d}.",
    "The {A} reading of {m} is in {L}, under {m}.",
};

/* The word behind a one-word slot, or NULL for the others. */
static const char *slot_list_pick(rng *r, char slot)
{
    switch (slot) {
    case 'a':
        return PICK(r, adjectives);
    case 'n':
        return PICK(r, nouns);
    case 'm':
        return PICK(r, mass_nouns);
    case 'v':
        return PICK(r, verbs);
    case 'g':
        return PICK(r, gerunds);
    case 'p':
        return PICK(r, preps);
    case 'd':
        return PICK(r, adverbs);
    case 'u':
        return PICK(r, units);
    case 'A':
        return PICK(r, accented);
    default:
        return NULL;
    }
}

static void slot_word(page *pg, char slot, const char *trail, int cap)
{
    rng *r = &pg->r;
    const char *word = slot_list_pick(r, slot);
    char w[192];
    if (word)
        fmt(w, sizeof w, "%s%s", word, trail);
    else if (slot == 'N')
        fmt(w, sizeof w, "%ss%s", PICK(r, nouns), trail);
    else if (slot == 'x')
        fmt(w, sizeof w, "%lu%s", 2 + rng_below(r, 510), trail);
    else if (slot == 'c' || slot == 'b') {
        const char *x = slot == 'c' ? PICK(r, nouns) : PICK(r, adjectives);
        const char *y = PICK(r, nouns);
        fmt(w, sizeof w, slot == 'c' ? "`%s_%s`%s" : "**%s %ss**%s", x, y, trail);
    } else if (slot == 'i')
        fmt(w, sizeof w, "*%s*%s", PICK(r, adjectives), trail);
    else
        fmt(w, sizeof w, "%s", trail);
    if (pg->article) { /* "a" before a slot: "an" before a vowel */
        const char *s = w + strspn(w, "*`");
        char aw[224];
        int an = strchr("aeiou", *s) != NULL && *s;
        fmt(aw, sizeof aw, "%s %s", an ? "an" : "a", w);
        if (pg->article == 'A') capitalize(aw);
        pg->article = 0;
        tok(pg, aw);
        return;
    }
    if (cap) capitalize(w);
    tok(pg, w);
}

/* Writes one sentence as tokens; the title ({T}) is two words, so it wraps like them. */
static void sentence(page *pg, const char *shape)
{
    int first = 1;
    for (const char *s = shape; *s; first = 0) {
        const char *end = strchr(s, ' ');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        char word[64], trail[64];
        if (n >= sizeof word) die("internal: sentence word too long");
        memcpy(word, s, n);
        word[n] = '\0';
        if (word[0] == '{' && word[1] && word[2] == '}') {
            fmt(trail, sizeof trail, "%s", word + 3);
            if (word[1] == 'L') {
                link_tok(pg, 0, trail);
            } else if (word[1] == 'T') {
                char w[96];
                fmt(w, sizeof w, "%s%s", pg->self.title + strlen(pg->self.name) + 1, trail);
                tok(pg, pg->self.name);
                tok(pg, w);
            } else {
                slot_word(pg, word[1], trail, first);
            }
        } else if ((strcmp(word, "a") == 0 || strcmp(word, "A") == 0) && s[n] == ' ' &&
                   s[n + 1] == '{') {
            pg->article = word[0];
        } else {
            tok(pg, word);
        }
        s += n;
        while (*s == ' ')
            s++;
    }
}

static void sentences(page *pg, int count, unsigned link_pct)
{
    for (int i = 0; i < count; i++)
        sentence(pg, rng_pct(&pg->r, link_pct) ? PICK(&pg->r, link_sentences)
                                               : PICK(&pg->r, plain_sentences));
}

/* A wrapped paragraph; prefix starts the first line, cont the others. */
static void paragraph(page *pg, const char *prefix, const char *cont, int count, unsigned lpct)
{
    sb_puts(&pg->out, prefix);
    para_begin(pg, 1, cont);
    sentences(pg, count, lpct);
    sb_putc(&pg->out, '\n');
}

/* ---- blocks: lists, tables, code, quotes, figures ---------------------------------------- */

static void bullet_list(page *pg)
{
    int n = 3 + (int)rng_below(&pg->r, 4);
    for (int i = 0; i < n; i++) {
        paragraph(pg, "- ", "  ", 1 + (int)rng_below(&pg->r, 2), 25);
        if (rng_pct(&pg->r, 12)) paragraph(pg, "  - ", "    ", 1, 20);
    }
}

static void numbered_list(page *pg)
{
    int n = 3 + (int)rng_below(&pg->r, 5);
    for (int i = 0; i < n; i++) {
        char prefix[16];
        fmt(prefix, sizeof prefix, "%d. ", i + 1);
        paragraph(pg, prefix, "   ", 1 + (int)rng_below(&pg->r, 2), 25);
    }
}

static void table_cell_words(page *pg, const char *shape)
{
    sb_puts(&pg->out, " ");
    para_begin(pg, 0, "");
    sentence(pg, shape);
    sb_puts(&pg->out, " |");
}

static const char *const cell_shapes[] = {"{v} the {n} {p} the {n}", "{a} {N} only", "{v} {m} {d}",
                                          "keeps {N} {a}", "{x} {u}"};

static void table(page *pg)
{
    int four = rng_pct(&pg->r, 50), rows = 3 + (int)rng_below(&pg->r, 5);
    sb_puts(&pg->out, four ? "| Setting | Default | Scope | Effect |\n|---|---|---|---|\n"
                           : "| Setting | Default | Effect |\n|---|---|---|\n");
    for (int i = 0; i < rows; i++) {
        sb_puts(&pg->out, "|");
        table_cell_words(pg, "{c}");
        table_cell_words(pg, rng_pct(&pg->r, 60) ? "{x}" : "{a}");
        if (four) table_cell_words(pg, "{a} {n}");
        if (rng_pct(&pg->r, 15))
            table_cell_words(pg, "{v} the {n}, see {L}");
        else
            table_cell_words(pg, PICK(&pg->r, cell_shapes));
        sb_putc(&pg->out, '\n');
    }
}

typedef struct lang {
    const char *name, *open, *close;
    const char *lines[8];
} lang;

static const lang langs[] = {
    {"python",
     "def {i}({i}, {i}={n}):\n",
     "    return {i}\n",
     {"    {i} = {i}.{w}({n})", "    if {i} > {n}:\n        raise ValueError(\"{w} {w}\")",
      "    for {i} in {i}.{w}s():\n        {i}.append({i})", "    # {w} the {w} before {w}",
      "    {i} = [{i} for {i} in {i} if {i}.{w}]", "    {i}.{w}(timeout={n})",
      "    with {i}.{w}() as {i}:\n        {i}.{w}({i})", "    {i} = {{\"{w}\": {n}}}"}},
    {"go",
     "func {I}(ctx context.Context, {i} int) error {\n",
     "\treturn nil\n}\n",
     {"\t{i} := {i}.{I}({n})", "\tif err != nil {\n\t\treturn fmt.Errorf(\"{w}: %w\", err)\n\t}",
      "\t// {w} the {w} before the {w}", "\tfor _, {i} := range {i} {\n\t\t{i}.{I}()\n\t}",
      "\tctx, cancel := context.WithTimeout(ctx, {n}*time.Millisecond)\n\tdefer cancel()",
      "\t{i} := make(map[string]int, {n})", "\tif {i} > {n} && {i} < {n} {\n\t\t{i}++\n\t}",
      "\tlog.Printf(\"{w} %d\", {i})"}},
    {"c",
     "static int {i}(struct {i} *{i}, size_t {i})\n{\n",
     "    return 0;\n}\n",
     {"    if ({i} == NULL || {i} < {n})\n        return -1;", "    {i}->{i} = {n};",
      "    for (size_t i = 0; i < {i}; i++)\n        {i}[i] = {i}(&{i}[i]);",
      "    /* {w} the {w} before the {w} */", "    memset({i}, 0, sizeof *{i});",
      "    if ({i} & {n})\n        {i} |= {n};", "    {i} = {i}_{w}({i}, {n});",
      "    assert({i} <= {n});"}},
    {"sql",
     "",
     "",
     {"SELECT {i}, count(*) FROM {i}", "WHERE {i} > {n} AND {i} <> '{w}'", "GROUP BY {i}",
      "ORDER BY {i} DESC", "LIMIT {n};", "CREATE INDEX {i}_idx ON {i} ({i});",
      "UPDATE {i} SET {i} = {n} WHERE {i} < {n};", "-- {w} the {w} first"}},
    {"yaml",
     "{i}:\n",
     "",
     {"  {i}: {n}", "  {i}: {w}", "  {i}:\n    - {w}\n    - {w}", "  # {w} before {w}",
      "  {i}: \"{w}-{w}\"", "  {i}: true", "  {i}: {n}ms", "  {i}: [{w}, {w}]"}},
    {"sh",
     "set -eu\n",
     "",
     {"{w} --{w}={n} {i}", "export {U}={n}", "if [ -f /etc/{w}/{w}.conf ]; then\n  {w} reload\nfi",
      "curl -fsS https://{w}.example.com/{w} | jq .{w}", "# {w} the {w}",
      "for f in /var/lib/{w}/*; do\n  {w} check \"$f\"\ndone", "{w} {w} > /tmp/{i}.log 2>&1",
      "test \"${U}\" -gt {n} && exit 1"}},
    {"json",
     "{\n",
     "  \"{i}\": {n}\n}\n",
     {"  \"{i}\": {n},", "  \"{i}\": \"{w}\",", "  \"{i}\": [\"{w}\", \"{w}\"],",
      "  \"{i}\": true,", "  \"{i}\": {\"{i}\": {n}},", "  \"{i}\": null,", "  \"{i}\": {n},",
      "  \"{i}\": \"{w}-{w}\","}},
    {"rust",
     "fn {i}({i}: &str) -> Result<u64, Error> {\n",
     "    Ok({n})\n}\n",
     {"    let {i} = {i}.{i}()?;", "    if {i} > {n} {\n        return Err(Error::{I});\n    }",
      "    // {w} the {w}", "    let mut {i} = Vec::with_capacity({n});",
      "    for {i} in {i}.iter() {\n        {i}.push({i});\n    }", "    let {i} = &{i}[..{n}];",
      "    {i}.{i}({n}).await?;",
      "    match {i} {\n        Some(v) => v,\n        None => {n},\n    };"}},
    {"toml",
     "[{i}]\n",
     "",
     {"{i} = {n}", "{i} = \"{w}\"", "{i} = [\"{w}\", \"{w}\"]", "# {w} the {w}", "{i} = true",
      "{i} = {n}.5", "{i} = \"{n}ms\"", "[{i}.{i}]"}},
};

/* Expands {i} snake_case, {I} CamelCase, {U} UPPER_CASE, {w} word, {n} number. */
static void expand(page *pg, const char *t)
{
    for (; *t; t++) {
        if (t[0] != '{' || !t[1] || t[2] != '}') {
            sb_putc(&pg->out, *t);
            continue;
        }
        char w[96];
        const char *a = PICK(&pg->r, nouns), *b = PICK(&pg->r, nouns);
        switch (t[1]) {
        case 'i':
            fmt(w, sizeof w, "%s_%s", a, b);
            break;
        case 'I':
            fmt(w, sizeof w, "%s%s", a, b);
            capitalize(w);
            capitalize(w + strlen(a));
            break;
        case 'U':
            fmt(w, sizeof w, "%s_%s", a, b);
            for (char *s = w; *s; s++)
                if (*s >= 'a' && *s <= 'z') *s = (char)(*s - 'a' + 'A');
            break;
        case 'w':
            fmt(w, sizeof w, "%s", a);
            break;
        case 'n':
            fmt(w, sizeof w, "%lu", 1 + rng_below(&pg->r, 4096));
            break;
        default:
            fmt(w, sizeof w, "{%c}", t[1]);
            break;
        }
        sb_puts(&pg->out, w);
        t += 2;
    }
}

static void code_block(page *pg)
{
    const lang *l = &PICK(&pg->r, langs);
    int n = 5 + (int)rng_below(&pg->r, 9);
    sb_printf(&pg->out, "```%s\n", l->name);
    expand(pg, l->open);
    for (int i = 0; i < n; i++) {
        expand(pg, PICK(&pg->r, l->lines));
        sb_putc(&pg->out, '\n');
    }
    expand(pg, l->close);
    sb_puts(&pg->out, "```\n");
}

static void quote(page *pg)
{
    sb_puts(&pg->out, "> **Note.** ");
    para_begin(pg, 1, "> ");
    sentences(pg, 2 + (int)rng_below(&pg->r, 2), 30);
    sb_putc(&pg->out, '\n');
}

static void figure(page *pg)
{
    para_begin(pg, 1, "");
    link_tok(pg, 1, "");
    sb_putc(&pg->out, '\n');
    para_begin(pg, 1, "");
    tok(pg, "*Figure.*");
    sentences(pg, 1, 0);
    sb_putc(&pg->out, '\n');
}

static void block(page *pg)
{
    unsigned long roll = rng_below(&pg->r, 100);
    if (roll < 38)
        paragraph(pg, "", "", 3 + (int)rng_below(&pg->r, 4), 22);
    else if (roll < 52)
        bullet_list(pg);
    else if (roll < 61)
        numbered_list(pg);
    else if (roll < 71)
        table(pg);
    else if (roll < 85)
        code_block(pg);
    else if (roll < 91)
        quote(pg);
    else
        figure(pg);
    sb_putc(&pg->out, '\n');
}

/* The body: the planned headings in order, each "###" filled with blocks until the page
 * reaches its size (22..26 KB with the front matter). */
static void body(page *pg)
{
    size_t target = 22000 + rng_below(&pg->r, 4000);
    int subs_left = 0;
    for (int i = 0; i < pg->self.nh; i++)
        subs_left += pg->self.h[i].level == 3;
    pg->in_body = 1;
    for (int i = 0; i < pg->self.nh; i++) {
        const heading *h = &pg->self.h[i];
        sb_printf(&pg->out, "%s %s\n\n", h->level == 2 ? "##" : "###", h->text);
        if (h->level == 2) {
            paragraph(pg, "", "", 2 + (int)rng_below(&pg->r, 3), 22);
            sb_putc(&pg->out, '\n');
            continue;
        }
        size_t start = pg->out.len;
        size_t budget = pg->out.len < target ? (target - pg->out.len) / (size_t)subs_left : 0;
        paragraph(pg, "", "", 2 + (int)rng_below(&pg->r, 4), 22);
        sb_putc(&pg->out, '\n');
        while (pg->out.len < start + budget)
            block(pg);
        subs_left--;
    }
    pg->in_body = 0;
}

/* ---- front matter ------------------------------------------------------------------------ */

/* A YAML block scalar ("key: |") of wrapped Markdown prose, indented by indent spaces. */
static void fm_block(page *pg, const char *key, int indent, int count, unsigned lpct)
{
    char pad[16];
    fmt(pad, sizeof pad, "%*s", indent, "");
    sb_printf(&pg->out, "%s: |\n", key);
    paragraph(pg, pad, pad, count, lpct);
}

/* A list of one-line Markdown strings, double-quoted (the text has no '"' or '\'). */
static void fm_list(page *pg, const char *key, int n)
{
    sb_printf(&pg->out, "%s:\n", key);
    for (int i = 0; i < n; i++) {
        sb_puts(&pg->out, "  - \"");
        para_begin(pg, 0, "");
        sentences(pg, 1 + (int)rng_pct(&pg->r, 30), 10);
        sb_puts(&pg->out, "\"\n");
    }
}

static void fm_tags(page *pg)
{
    pg->ntags = 3 + (int)rng_below(&pg->r, 3);
    for (int i = 0; i < pg->ntags; i++) {
        const char *t;
        int dup;
        do {
            t = PICK(&pg->r, tag_vocab);
            dup = 0;
            for (int k = 0; k < i; k++)
                dup |= pg->tags[k] == t;
        } while (dup);
        pg->tags[i] = t;
    }
    sb_puts(&pg->out, "tags: [");
    for (int i = 0; i < pg->ntags; i++)
        sb_printf(&pg->out, "%s%s", i ? ", " : "", pg->tags[i]);
    sb_puts(&pg->out, "]\n");
}

static void fm_header(page *pg)
{
    rng *r = &pg->r;
    const plan *s = &pg->self;
    unsigned y = 2019 + (unsigned)rng_below(r, 7), m = 1 + (unsigned)rng_below(r, 12);
    unsigned d = 1 + (unsigned)rng_below(r, 28), later = 1 + (unsigned)rng_below(r, 30);
    unsigned uy = y + (m - 1 + later) / 12, um = (m - 1 + later) % 12 + 1;
    const char *a1 = PICK(r, authors), *a2 = PICK(r, authors);
    sb_printf(&pg->out, "---\ntitle: %s\ndescription: \"", s->title);
    para_begin(pg, 0, "");
    tok(pg, s->title);
    sentence(pg, "is a {a} {n} for {a} {N}, judged by its {m}, {m} and {m}.\"");
    sb_putc(&pg->out, '\n');
    sb_printf(&pg->out, "date: %u-%02u-%02u\nupdated: %u-%02u-%02u\n", y, m, d,
              uy > 2026 ? 2026 : uy, uy > 2026 ? 12 : um, d);
    if (a1 == a2 || rng_pct(r, 50))
        sb_printf(&pg->out, "authors: [%s]\n", a1);
    else
        sb_printf(&pg->out, "authors: [%s, %s]\n", a1, a2);
    sb_printf(&pg->out, "category: [%s, %s]\n", section_names[s->sec], PICK(r, subcategories));
    fm_tags(pg);
    sb_printf(&pg->out, "license: %s\n", PICK(r, licenses));
    if (rng_pct(r, 10)) sb_printf(&pg->out, "aliases: [/old/%s/]\n", s->slug);
}

static void fm_signals_adoption(page *pg)
{
    rng *r = &pg->r;
    int n = 4 + (int)rng_below(r, 3);
    sb_puts(&pg->out, "signals:\n");
    unsigned long first = rng_below(r, NELEM(mass_nouns));
    for (int i = 0; i < n; i++) { /* n consecutive names: no repeats */
        char name[48];
        fmt(name, sizeof name, "%s", mass_nouns[(first + (unsigned long)i) % NELEM(mass_nouns)]);
        capitalize(name);
        sb_printf(&pg->out, "  - name: %s\n    kind: %s\n    text: \"", name,
                  PICK(r, signal_kinds));
        para_begin(pg, 0, "");
        sentences(pg, 1, 0);
        sb_puts(&pg->out, "\"\n");
    }
    sb_printf(&pg->out, "adoption:\n  title: %s adoption index\n", pg->self.title);
    fm_block(pg, "  method", 4, 2, 0);
    fm_block(pg, "  meaning", 4, 2, 0);
    long v = 5 + (long)rng_below(r, 55);
    sb_puts(&pg->out, "  series: {");
    for (int y = 2018; y <= 2026; y++) {
        sb_printf(&pg->out, "%s%d: %ld", y > 2018 ? ", " : "", y, v);
        v += (long)rng_below(r, 15) - 4;
        v = v < 0 ? 0 : v > 100 ? 100 : v;
    }
    sb_puts(&pg->out, "}\n");
}

static const char *const faq_shapes[] = {"How does %s handle %ss?",
                                         "When should a team avoid %s for %s work?",
                                         "Is %s a good fit for %ss?",
                                         "What does %s cost to operate at %s scale?",
                                         "Which %s settings matter most in %s?",
                                         "How does %s recover after a %s failure?"};

static void fm_faq(page *pg)
{
    rng *r = &pg->r;
    int n = 4 + (int)rng_below(r, 3);
    unsigned long first = rng_below(r, NELEM(faq_shapes));
    sb_puts(&pg->out, "faq:\n");
    for (int i = 0; i < n; i++) {
        unsigned long k = (first + (unsigned long)i) % NELEM(faq_shapes);
        const char *w = k == 1 || k == 3 ? PICK(r, adjectives) : PICK(r, nouns);
        char q[160];
        if (k == 4)
            fmt(q, sizeof q, faq_shapes[k], w, pg->self.title);
        else
            fmt(q, sizeof q, faq_shapes[k], pg->self.title, w);
        sb_printf(&pg->out, "  - q: \"%s\"\n", q);
        fm_block(pg, "    a", 6, 2 + (int)rng_below(r, 3), 20);
    }
}

/* related: 2..3 other pages as section/slug; cta: one more. */
static void fm_related_cta(page *pg)
{
    unsigned long picked[3];
    int n = pg->c->pages > 3 ? 2 + (int)rng_below(&pg->r, 2) : (int)pg->c->pages - 1;
    char dir[16], u[160];
    if (n > 0) {
        sb_puts(&pg->out, "related: [");
        for (int i = 0; i < n; i++) {
            int dup;
            do {
                picked[i] = pick_other(pg);
                dup = 0;
                for (int k = 0; k < i; k++)
                    dup |= picked[k] == picked[i];
            } while (dup);
            plan_make(pg->c, picked[i], &pg->other);
            section_dir(pg->other.sec, dir, sizeof dir);
            sb_printf(&pg->out, "%s%s/%s", i ? ", " : "", dir, pg->other.slug);
        }
        sb_puts(&pg->out, "]\n");
    }
    plan_make(pg->c, pick_other(pg), &pg->other);
    page_url(&pg->other, u, sizeof u);
    sb_printf(&pg->out, "cta:\n  text: Compare %s with %s\n  url: %s\n---\n", pg->self.title,
              pg->other.title, u);
}

static void front_matter(page *pg)
{
    fm_header(pg);
    fm_block(pg, "lede", 2, 3, 0);
    fm_block(pg, "lens", 2, 3, 0);
    fm_block(pg, "position", 2, 3, 10);
    fm_block(pg, "role", 2, 4, 15);
    fm_list(pg, "architecture", 4 + (int)rng_below(&pg->r, 3));
    fm_list(pg, "production", 4 + (int)rng_below(&pg->r, 3));
    fm_list(pg, "risks", 4 + (int)rng_below(&pg->r, 3));
    fm_list(pg, "checks", 3 + (int)rng_below(&pg->r, 3));
    fm_block(pg, "review", 2, 3, 0);
    fm_signals_adoption(pg);
    fm_faq(pg);
    fm_related_cta(pg);
}

/* ---- files ------------------------------------------------------------------------------- */

typedef struct outdirs {
    const char *site; /* DIR */
    char *hugo;       /* DIR-hugo, or NULL */
} outdirs;

static void mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char keep = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                die("cannot create %s: %s", p, strerror(errno));
            *s = keep;
            if (!keep) break;
        }
    }
    free(p);
}

static void write_file(const char *root, const char *rel, const char *data, size_t len)
{
    char path[4096];
    if (fmt(path, sizeof path, "%s/%s", root, rel) >= sizeof path)
        die("path too long: %s/%s", root, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) die("cannot write %s: %s", path, strerror(errno));
    while (len > 0) { /* one write() for a whole page, usually */
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) die("cannot write %s: %s", path, strerror(errno));
        data += w;
        len -= (size_t)w;
    }
    if (close(fd) != 0) die("cannot write %s: %s", path, strerror(errno));
}

/* Content goes to both sites; hrel is where the Hugo site keeps it (NULL: the same path). */
static void write_both(const outdirs *o, const char *rel, const char *hrel, const sb *b)
{
    write_file(o->site, rel, b->p, b->len);
    if (o->hugo) write_file(o->hugo, hrel ? hrel : rel, b->p, b->len);
}

static void page_init(page *pg, corpus *c, unsigned long p)
{
    char dir[16];
    memset(pg, 0, sizeof *pg);
    pg->c = c;
    plan_make(c, p, &pg->self);
    plan_full(&pg->self);
    pg->r = rng_for(c->seed, p, 2);
    pg->line = 1;
    section_dir(pg->self.sec, dir, sizeof dir);
    fmt(pg->file, sizeof pg->file, "content/%s/%s.md", dir, pg->self.slug);
}

/* Writes one reference page; returns its size in bytes. */
static size_t page_write(corpus *c, const outdirs *o, unsigned long p, page *pg)
{
    sb keep = pg->out; /* the buffer is reused from page to page */
    page_init(pg, c, p);
    pg->out = keep;
    sb_clear(&pg->out);
    front_matter(pg);
    body(pg);
    while (pg->out.len > 1 && pg->out.p[pg->out.len - 2] == '\n')
        pg->out.p[--pg->out.len] = '\0';
    write_both(o, pg->file, NULL, &pg->out);
    return pg->out.len;
}

/* content/sNN/_index.md: the section's list page, kind reference, linking a few pages. */
static void section_write(corpus *c, const outdirs *o, unsigned sec, page *pg)
{
    char dir[16], rel[64];
    sb keep = pg->out;
    section_dir(sec, dir, sizeof dir);
    page_init(pg, c, sec); /* page `sec` is this section's first page */
    pg->r = rng_for(c->seed, sec, 3);
    pg->out = keep;
    sb_clear(&pg->out);
    sb_printf(&pg->out,
              "---\ntitle: %s\ndescription: \"Reference pages about %s: what each "
              "technology contributes, how it fails and how to run it.\"\nkind: reference\n"
              "weight: %u\n---\n",
              section_names[sec], section_names[sec], sec + 1);
    sb_printf(&pg->out,
              "Pages in this section share one outline, so %s can be compared "
              "side by side. Start with\n",
              section_names[sec]);
    sb_printf(&pg->out, "[%s](/%s/%s/) or read on.\n\n", pg->self.title, dir, pg->self.slug);
    paragraph(pg, "", "", 2, 0);
    sb_putc(&pg->out, '\n');
    for (int i = 0; i < 3 && sec + (unsigned long)(i + 1) * c->nsec < c->pages; i++) {
        plan_make(c, sec + (unsigned long)(i + 1) * c->nsec, &pg->other);
        plan_full(&pg->other);
        sb_printf(&pg->out, "- [%s](/%s/%s/#%s)\n", pg->other.title, dir, pg->other.slug,
                  pg->other.h[0].id);
    }
    fmt(rel, sizeof rel, "content/%s/_index.md", dir);
    write_both(o, rel, NULL, &pg->out);
}

static void home_write(const corpus *c, const outdirs *o, sb *b)
{
    char dir[16];
    sb_clear(b);
    sb_printf(b,
              "---\ntitle: Benchmark reference\ndescription: \"%lu generated reference pages "
              "in %u sections, for benchmarking static site generators.\"\n---\n",
              c->pages, c->nsec);
    sb_puts(b, "Every page here was written by `bench/make-corpus` from word lists: the text "
               "means nothing,\nbut its shape is that of a heavy reference page.\n\n");
    for (unsigned s = 0; s < c->nsec; s++) {
        section_dir(s, dir, sizeof dir);
        sb_printf(b, "- [%s](/%s/)\n", section_names[s], dir);
    }
    sb_puts(b, "- [All tags](/tags/)\n");
    write_both(o, "content/_index.md", NULL, b);
}

static void site_yaml_write(const corpus *c, const outdirs *o, sb *b)
{
    char dir[16];
    sb_clear(b);
    sb_printf(b, "# Written by bench/make-corpus %lu %llu: a benchmark corpus, not a real site.\n",
              c->pages, (unsigned long long)c->seed);
    sb_puts(b, "title: Benchmark reference\n"
               "description: Generated reference pages for benchmarking refpress.\n"
               "base_url: https://bench.example.org/\nlanguage: en\n"
               "author:\n  name: Bench Writer\n  url: https://bench.example.org/\n"
               "publisher:\n  name: refpress bench\n  url: https://bench.example.org/\n"
               "menu:\n");
    for (unsigned s = 0; s < c->nsec && s < 4; s++) {
        section_dir(s, dir, sizeof dir);
        sb_printf(b, "  - name: %s\n    url: /%s/\n", section_names[s], dir);
    }
    sb_puts(b, "  - name: Tags\n    url: /tags/\n");
    write_file(o->site, "site.yaml", b->p, b->len);
}

/* content/images/figure-N.svg: small diagrams (static/images/ in the Hugo site). */
static void images_write(const corpus *c, const outdirs *o, sb *b)
{
    for (unsigned n = 1; n <= NUM_IMAGES; n++) {
        rng r = rng_for(c->seed, n, 4);
        char rel[64], hrel[64];
        sb_clear(b);
        sb_printf(b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 320 120\" "
                  "role=\"img\" aria-label=\"Figure %u\">\n",
                  n);
        for (int i = 0; i < 4; i++) {
            unsigned long y = 10 + rng_below(&r, 40), h = 30 + rng_below(&r, 40);
            unsigned long rgb = rng_below(&r, 0x1000000);
            sb_printf(b,
                      "  <rect x=\"%d\" y=\"%lu\" width=\"64\" height=\"%lu\" rx=\"6\" "
                      "fill=\"#%06lx\"/>\n",
                      10 + i * 76, y, h, rgb);
        }
        sb_printf(b, "  <text x=\"10\" y=\"112\" font-size=\"10\">figure %u</text>\n</svg>\n", n);
        fmt(rel, sizeof rel, "content/images/figure-%u.svg", n);
        fmt(hrel, sizeof hrel, "static/images/figure-%u.svg", n);
        write_both(o, rel, hrel, b);
    }
}
/* ---- the Hugo twin ------------------------------------------------------------------------
 * Templates doing the work refpress's reference template does: the front matter fields, the
 * table of contents, the body, the FAQ, JSON-LD (jsonify) and an SVG chart of the series.
 * One string per line (ISO C promises only 4095-byte string literals). */

static const char *const hugo_baseof[] = {
    "<!DOCTYPE html>\n",
    "<html lang=\"{{ site.LanguageCode }}\">\n",
    "<head>\n",
    "<meta charset=\"utf-8\">\n",
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    "<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} · {{ site.Title }}{{ e"
    "nd }}</title>\n",
    "<meta name=\"description\" content=\"{{ with .Description }}{{ . }}{{ else }}{{ site.Pa"
    "rams.description }}{{ end }}\">\n",
    "<link rel=\"canonical\" href=\"{{ .Permalink }}\">\n",
    "<meta property=\"og:title\" content=\"{{ .Title }}\">\n",
    "<meta property=\"og:url\" content=\"{{ .Permalink }}\">\n",
    "</head>\n",
    "<body>\n",
    "<header><a href=\"{{ \"/\" | relURL }}\">{{ site.Title }}</a>\n",
    "<nav aria-label=\"Main\"><ul>{{ range site.Menus.main }}<li><a href=\"{{ .URL | relURL "
    "}}\">{{ .Name }}</a></li>{{ end }}</ul></nav>\n",
    "</header>\n",
    "<main id=\"main\">\n",
    "{{- block \"main\" . }}{{ end }}\n",
    "</main>\n",
    "<footer><p>{{ with site.Params.publisher }}{{ .name }}{{ end }}</p></footer>\n",
    "</body>\n",
    "</html>\n",
};

static const char *const hugo_list[] = {
    "{{ define \"main\" }}\n",
    "<h1>{{ .Title }}</h1>\n",
    "{{ .Content }}\n",
    "<ul class=\"cards\">\n",
    "{{- range .Pages }}\n",
    "<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a><p>{{ .Description }}</p></li>\n",
    "{{- end }}\n",
    "</ul>\n",
    "{{ end }}\n",
};

static const char *const hugo_single[] = {
    "{{ define \"main\" }}\n",
    "<article class=\"reference\">\n",
    "<nav class=\"breadcrumbs\" aria-label=\"Breadcrumbs\"><a href=\"{{ \"/\" | relURL }}\">Home<"
    "/a>{{ with .Parent }} › <a href=\"{{ .RelPermalink }}\">{{ .Title }}</a>{{ end }}</nav"
    ">\n",
    "<header>\n",
    "<p class=\"eyebrow\">Reference page</p>\n",
    "<h1>{{ .Title }}</h1>\n",
    "<p class=\"lede\">{{ .Description }}</p>\n",
    "{{- with .Params.lede }}\n",
    "<div class=\"intro\">{{ . | markdownify }}</div>\n",
    "{{- end }}\n",
    "{{- with .Params.signals }}\n",
    "<ul class=\"chips\">{{ range . }}<li>{{ .name }}</li>{{ end }}</ul>\n",
    "{{- end }}\n",
    "<p class=\"meta\">{{ with .Params.authors }}{{ delimit . \", \" }} · {{ end }}<time date"
    "time=\"{{ .Date.Format \"2006-01-02\" }}\">{{ .Date.Format \"January 2, 2006\" }}</time>{{"
    " with .Params.updated }} · updated {{ . }}{{ end }} · {{ .ReadingTime }} min read</p"
    ">\n",
    "{{- with .Params.tags }}\n",
    "<ul class=\"tags\">{{ range . }}<li><a href=\"{{ printf \"tags/%s/\" (urlize .) | relURL "
    "}}\">{{ . }}</a></li>{{ end }}</ul>\n",
    "{{- end }}\n",
    "</header>\n",
    "{{- with .Params.lens }}\n",
    "<section aria-labelledby=\"lens\"><h2 id=\"lens\">Production lens</h2>{{ . | markdownify"
    " }}</section>\n",
    "{{- end }}\n",
    "{{- with .Params.position }}\n",
    "<section aria-labelledby=\"position\"><h2 id=\"position\">Expert position</h2>{{ . | mar"
    "kdownify }}</section>\n",
    "{{- end }}\n",
    "{{- with .Params.adoption }}\n",
    "<section class=\"adoption\" aria-labelledby=\"adoption\">\n",
    "<h2 id=\"adoption\">{{ .title }}</h2>\n",
    "{{- $pts := slice }}{{ $i := 0 }}\n",
    "{{- range $year, $v := .series }}{{ $pts = $pts | append (printf \"%d,%d\" (add 10 (mu"
    "l $i 37)) (sub 110 $v)) }}{{ $i = add $i 1 }}{{ end }}\n",
    "<svg viewBox=\"0 0 320 120\" role=\"img\" aria-label=\"{{ .title }}\"><polyline fill=\"none"
    "\" stroke=\"currentColor\" stroke-width=\"2\" points=\"{{ delimit $pts \" \" }}\"/></svg>\n",
    "<table>\n",
    "<caption>Adoption index by year (0–100)</caption>\n",
    "<tbody>\n",
    "{{- range $year, $v := .series }}\n",
    "<tr><th scope=\"row\">{{ $year }}</th><td>{{ $v }}</td></tr>\n",
    "{{- end }}\n",
    "</tbody>\n",
    "</table>\n",
    "{{- with .meaning }}<div class=\"meaning\">{{ . | markdownify }}</div>{{ end }}\n",
    "{{- with .method }}<div class=\"method\">{{ . | markdownify }}</div>{{ end }}\n",
    "</section>\n",
    "{{- end }}\n",
    "{{- with .Params.signals }}\n",
    "<section aria-labelledby=\"signals\"><h2 id=\"signals\">Signals</h2>\n",
    "<ol class=\"signals\">{{ range . }}<li><strong>{{ .name }}</strong> <em>{{ .kind }}</e"
    "m> {{ .text | markdownify }}</li>{{ end }}</ol>\n",
    "</section>\n",
    "{{- end }}\n",
    "{{- with .Params.role }}\n",
    "<section aria-labelledby=\"role\"><h2 id=\"role\">What {{ $.Title }} contributes</h2>{{ "
    ". | markdownify }}</section>\n",
    "{{- end }}\n",
    "{{- range $k := slice \"architecture\" \"production\" \"risks\" \"checks\" }}{{ with index $"
    ".Params $k }}\n",
    "<section aria-labelledby=\"{{ $k }}\"><h2 id=\"{{ $k }}\">{{ $k | humanize }}</h2>\n",
    "<ul>{{ range . }}<li>{{ . | markdownify }}</li>{{ end }}</ul>\n",
    "</section>\n",
    "{{- end }}{{ end }}\n",
    "<nav class=\"toc\" aria-label=\"On this page\"><h2>On this page</h2>{{ .TableOfContents "
    "}}</nav>\n",
    "<div class=\"prose\">\n",
    "{{ .Content }}\n",
    "</div>\n",
    "{{- with .Params.review }}\n",
    "<section aria-labelledby=\"review\"><h2 id=\"review\">Senior review</h2>{{ . | markdowni"
    "fy }}</section>\n",
    "{{- end }}\n",
    "{{- with .Params.faq }}\n",
    "<section class=\"faq\" aria-labelledby=\"faq\"><h2 id=\"faq\">Frequently asked questions</"
    "h2>\n",
    "{{- range . }}\n",
    "<details><summary>{{ .q }}</summary>{{ .a | markdownify }}</details>\n",
    "{{- end }}\n",
    "</section>\n",
    "{{- end }}\n",
    "{{- with .Params.related }}\n",
    "<section class=\"related\" aria-labelledby=\"related\"><h2 id=\"related\">Related</h2>\n",
    "<ul>{{ range . }}{{ with site.GetPage . }}<li><a href=\"{{ .RelPermalink }}\">{{ .Titl"
    "e }}</a> {{ .Description }}</li>{{ end }}{{ end }}</ul>\n",
    "</section>\n",
    "{{- end }}\n",
    "{{- with .Params.cta }}\n",
    "<p class=\"cta\"><a href=\"{{ .url | relURL }}\">{{ .text }}</a></p>\n",
    "{{- end }}\n",
    "</article>\n",
    "{{- $authors := slice }}{{ range .Params.authors }}{{ $authors = $authors | append ("
    "dict \"@type\" \"Person\" \"name\" .) }}{{ end }}\n",
    "{{- $crumbs := slice (dict \"@type\" \"ListItem\" \"position\" 1 \"name\" \"Home\" \"item\" "
    "site"
    ".BaseURL) }}\n",
    "{{- with .Parent }}{{ $crumbs = $crumbs | append (dict \"@type\" \"ListItem\" \"position\""
    " 2 \"name\" .Title \"item\" .Permalink) }}{{ end }}\n",
    "{{- $crumbs = $crumbs | append (dict \"@type\" \"ListItem\" \"position\" (add (len $crumbs"
    ") 1) \"name\" .Title \"item\" .Permalink) }}\n",
    "{{- $ld := slice (dict \"@context\" \"https://schema.org\" \"@type\" \"TechArticle\" \"headli"
    "ne\" .Title \"description\" .Description \"datePublished\" (.Date.Format \"2006-01-02\") \"d"
    "ateModified\" (.Lastmod.Format \"2006-01-02\") \"author\" $authors \"url\" .Permalink) (dic"
    "t \"@context\" \"https://schema.org\" \"@type\" \"BreadcrumbList\" \"itemListElement\" $crumbs"
    ") }}\n",
    "{{- with .Params.faq }}\n",
    "{{- $qs := slice }}{{ range . }}{{ $qs = $qs | append (dict \"@type\" \"Question\" \"name"
    "\" .q \"acceptedAnswer\" (dict \"@type\" \"Answer\" \"text\" (.a | markdownify | plainify))) "
    "}}{{ end }}\n",
    "{{- $ld = $ld | append (dict \"@context\" \"https://schema.org\" \"@type\" \"FAQPage\" \"main"
    "Entity\" $qs) }}\n",
    "{{- end }}\n",
    "<script type=\"application/ld+json\">{{ $ld | jsonify | safeJS }}</script>\n",
    "{{ end }}\n",
};

static void write_lines(const char *root, const char *rel, const char *const *lines, size_t n,
                        sb *b)
{
    sb_clear(b);
    for (size_t i = 0; i < n; i++)
        sb_puts(b, lines[i]);
    write_file(root, rel, b->p, b->len);
}

static void hugo_write(const corpus *c, const outdirs *o, sb *b)
{
    char dir[16];
    sb_clear(b);
    sb_printf(b, "# Written by bench/make-corpus %lu %llu: the refpress corpus as a Hugo site.\n",
              c->pages, (unsigned long long)c->seed);
    sb_puts(b, "baseURL = \"https://bench.example.org/\"\nlanguageCode = \"en\"\n"
               "title = \"Benchmark reference\"\n\n"
               "[params]\ndescription = \"Generated reference pages for benchmarking refpress.\"\n"
               "author = {name = \"Bench Writer\", url = \"https://bench.example.org/\"}\n"
               "publisher = {name = \"refpress bench\", url = \"https://bench.example.org/\"}\n\n"
               "[taxonomies]\ntag = \"tags\"\ncategory = \"category\"\n\n"
               "[frontmatter]\nlastmod = [\"updated\", \":default\"]\n\n"
               "# refpress does not highlight code, so neither does Hugo here.\n"
               "[markup.highlight]\ncodeFences = false\n"
               "[markup.goldmark.renderer]\nunsafe = false\n"
               "[markup.tableOfContents]\nstartLevel = 2\nendLevel = 3\n");
    for (unsigned s = 0; s < c->nsec && s < 4; s++) {
        section_dir(s, dir, sizeof dir);
        sb_printf(b, "\n[[menu.main]]\nname = \"%s\"\nurl = \"/%s/\"\nweight = %u\n",
                  section_names[s], dir, s + 1);
    }
    sb_puts(b, "\n[[menu.main]]\nname = \"Tags\"\nurl = \"/tags/\"\nweight = 99\n");
    write_file(o->hugo, "config.toml", b->p, b->len);
    write_lines(o->hugo, "layouts/_default/baseof.html", hugo_baseof, NELEM(hugo_baseof), b);
    write_lines(o->hugo, "layouts/_default/list.html", hugo_list, NELEM(hugo_list), b);
    write_lines(o->hugo, "layouts/_default/single.html", hugo_single, NELEM(hugo_single), b);
}

/* ---- the manifest, the folders, main ----------------------------------------------------- */

static int broken_cmp(const void *a, const void *b)
{
    const broken *x = a, *y = b;
    int d = strcmp(x->file, y->file);
    if (d) return d;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    return (x->col > y->col) - (x->col < y->col);
}

/* DIR/manifest.tsv: file, line, col, kind, url; sorted by file, then line and column as
 * numbers (sort -t"$TAB" -k1,1 -k2,2n -k3,3n gives the same order). */
static void manifest_write(corpus *c, const outdirs *o, sb *b, size_t per_kind[3])
{
    if (c->nbad > 1) qsort(c->bad, c->nbad, sizeof *c->bad, broken_cmp);
    sb_clear(b);
    for (size_t i = 0; i < c->nbad; i++) {
        const broken *x = &c->bad[i];
        sb_printf(b, "%s\t%d\t%d\t%s\t%s\n", x->file, x->line, x->col, kind_names[x->kind], x->url);
        per_kind[x->kind]++;
    }
    write_file(o->site, "manifest.tsv", b->p, b->len);
}

/* Creates dir, which must not exist or be empty: stale pages from a bigger corpus would
 * otherwise stay and change the benchmark. */
static void fresh_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                closedir(d);
                die("%s is not empty; remove it first", dir);
            }
        closedir(d);
    }
    mkdir_p(dir);
}

static void make_dirs(const corpus *c, const char *root, int hugo)
{
    char path[4096], dir[16];
    fresh_dir(root);
    for (unsigned s = 0; s < c->nsec; s++) {
        section_dir(s, dir, sizeof dir);
        fmt(path, sizeof path, "%s/content/%s", root, dir);
        mkdir_p(path);
    }
    fmt(path, sizeof path, "%s/%s", root, hugo ? "static/images" : "content/images");
    mkdir_p(path);
    if (hugo) {
        fmt(path, sizeof path, "%s/layouts/_default", root);
        mkdir_p(path);
    }
}

static unsigned long long parse_number(const char *s, const char *what, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *s == '-' || *end || errno || v > max)
        die("%s must be a whole number from 0 to %llu, got \"%s\"", what, max, s);
    return v;
}

static void usage(void)
{
    fputs("usage: make-corpus PAGES SEED DIR [--hugo]\n"
          "Writes PAGES generated reference pages (1..1000000) into the new folder DIR,\n"
          "with DIR/manifest.tsv listing the links broken on purpose; --hugo also writes\n"
          "the same content as a Hugo site into DIR-hugo. Same PAGES and SEED, same bytes.\n",
          stderr);
    exit(2);
}

static void generate(corpus *c, const outdirs *o)
{
    sb b = {0};
    page *pg = calloc(1, sizeof *pg);
    size_t per_kind[3] = {0, 0, 0};
    unsigned long long bytes = 0;
    if (!pg) die("out of memory");
    site_yaml_write(c, o, &b);
    images_write(c, o, &b);
    home_write(c, o, &b);
    for (unsigned s = 0; s < c->nsec; s++)
        section_write(c, o, s, pg);
    for (unsigned long p = 0; p < c->pages; p++)
        bytes += page_write(c, o, p, pg);
    manifest_write(c, o, &b, per_kind);
    if (o->hugo) hugo_write(c, o, &b);
    printf("wrote %lu pages (%llu.%llu MB) in %u sections to %s%s%s; broken on purpose: "
           "%zu missing-page, %zu missing-fragment, %zu missing-image\n",
           c->pages, bytes / 1000000, bytes / 100000 % 10, c->nsec, o->site, o->hugo ? " and " : "",
           o->hugo ? o->hugo : "", per_kind[0], per_kind[1], per_kind[2]);
    sb_free(&pg->out);
    free(pg);
    sb_free(&b);
}

int main(int argc, char **argv)
{
    const char *args[3];
    int nargs = 0, hugo = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--hugo") == 0)
            hugo = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0' && (argv[i][1] < '0' || argv[i][1] > '9'))
            usage();
        else if (nargs < 3)
            args[nargs++] = argv[i];
        else
            usage();
    }
    if (nargs != 3) usage();
    corpus c = {0};
    c.pages = (unsigned long)parse_number(args[0], "PAGES", 1000000);
    c.seed = parse_number(args[1], "SEED", UINT64_MAX);
    if (c.pages == 0) die("PAGES must be at least 1");
    c.nsec = c.pages < MAX_SECTIONS ? (unsigned)c.pages : MAX_SECTIONS;
    outdirs o = {args[2], NULL};
    size_t n = strlen(args[2]);
    while (n > 1 && args[2][n - 1] == '/')
        n--;
    if (hugo) {
        o.hugo = xrealloc(NULL, n + 6);
        fmt(o.hugo, n + 6, "%.*s-hugo", (int)n, args[2]);
    }
    make_dirs(&c, o.site, 0);
    if (o.hugo) make_dirs(&c, o.hugo, 1);
    generate(&c, &o);
    for (size_t i = 0; i < c.nbad; i++) {
        free(c.bad[i].file);
        free(c.bad[i].url);
    }
    free(c.bad);
    free(o.hugo);
    return fflush(stdout) == 0 ? 0 : 1;
}
