/* external.c — external link checking: a libcurl multi loop with our own per-host and total
 * limits, HEAD then GET, hop-by-hop redirects, one retry, fragment ids, a result cache. */
#include "external.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>

#include "buf.h"
#include "fsutil.h"
#include "linkcheck.h"
#include "strmap.h"
#include "util.h"

#ifndef REFPRESS_VERSION
#define REFPRESS_VERSION "0"
#endif

#define MAX_REDIRECTS 10
#define MAX_BODY ((size_t)8 << 20)   /* bytes of a page read to look for fragment ids */
#define RETRY_MS 500LL               /* the wait before the one retry */
#define RETRY_AFTER_CAP_S 5L         /* longest Retry-After honoured */
#define MAX_CACHE_BYTES ((size_t)64 << 20)

/* ---------------------------------------------------------------------------------------- */
/* libcurl, loaded on the first check                                                       */

/* libcurl is opened when a check first needs it, not linked: linked, it and the two dozen
 * libraries it pulls in (TLS, Kerberos, LDAP, SSH …) made every run of refpress spend about
 * 6 ms loading them before main(), as long as a one-page site takes to build. Its soname
 * has been libcurl.so.4 since 2006. The table holds the functions of <curl/curl.h> this file
 * calls, with their declared types, under their names without "curl_". */
#define CURL_FUNCTIONS(X)                                                                   \
    X(global_init) X(global_cleanup) X(easy_init) X(easy_setopt) X(easy_getinfo)             \
    X(easy_cleanup) X(easy_strerror) X(multi_init) X(multi_setopt) X(multi_add_handle)       \
    X(multi_remove_handle) X(multi_perform) X(multi_timeout) X(multi_poll)                   \
    X(multi_info_read) X(multi_cleanup) X(slist_append) X(slist_free_all) X(url)             \
    X(url_cleanup) X(url_set) X(url_get) X(free)

static struct {
#define CURL_FIELD(name) __typeof__(curl_##name) *name;
    CURL_FUNCTIONS(CURL_FIELD)
#undef CURL_FIELD
} curl;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ready;
static char curl_problem[256]; /* why curl_ready is false */

static void init_curl(void)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(curl_problem, sizeof curl_problem, "cannot load libcurl: %s", dlerror());
        return;
    }
#define CURL_LOAD(name)                                                                      \
    if (!(*(void **)&curl.name = dlsym(lib, "curl_" #name))) {                               \
        snprintf(curl_problem, sizeof curl_problem, "cannot load libcurl: %s", dlerror());  \
        return;                                                                              \
    }
    CURL_FUNCTIONS(CURL_LOAD)
#undef CURL_LOAD
    curl_ready = curl.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!curl_ready) snprintf(curl_problem, sizeof curl_problem, "cannot initialise libcurl");
}

void ext_global_init(void)
{
    pthread_once(&curl_once, init_curl);
}

void ext_global_cleanup(void)
{
    if (!curl_ready) return;
    curl.global_cleanup();
    curl_ready = false;
}

/* ---------------------------------------------------------------------------------------- */
/* State of one run                                                                         */

typedef enum { J_READY, J_RUNNING, J_WAITING, J_DONE } job_state;

/* One page to ask for: every URL given that names it (fragments aside) shares it. */
typedef struct job {
    char *page;            /* the URL requested first: encoded, no fragment */
    char *host;            /* "scheme://host:port" of the hop in progress (job_url), for the
                            * per-host limit */
    char *page_host;       /* the same for page */
    char **chain;          /* URLs of this attempt's redirect chain, page first; the last is
                            * the hop in progress */
    size_t nchain, capchain;
    job_state state;
    bool get;              /* GET, else HEAD */
    bool need_body;        /* some URL asks for a fragment of it */
    bool retried;          /* the one retry is spent */
    bool cached;           /* answered from the cache */
    size_t nurls, nfresh;  /* URLs naming it; of which fresh in the cache */
    long long wake;        /* J_WAITING: when to start again (monotonic ms) */
    CURL *easy;
    char errbuf[CURL_ERROR_SIZE];
    /* the hop in progress */
    long status;
    long retry_after;      /* seconds, or -1 */
    buf_t location, ctype, body;
    bool cut;              /* we ended the transfer ourselves */
    bool truncated;        /* the body passed MAX_BODY */
    /* the outcome */
    diag_severity sev;
    char *msg;             /* NULL: fine */
    strmap *ids;           /* ids (and <a name>s) of the page, when fetched as HTML */
} job;

/* One distinct URL given. */
typedef struct entry {
    const char *url;       /* borrowed from the caller */
    job *job;              /* NULL when not checkable: msg says why */
    const char *msg;
    char *frag;            /* the fragment to look for, or NULL */
    char *key;             /* cache key, or NULL when it cannot be cached */
} entry;

typedef struct cache_line {
    char *key;
    long status;           /* 0: dropped */
    long long epoch;
} cache_line;

typedef struct run {
    int max_total, per_host;
    long timeout_ms, max_age;
    long long now;
    const char *cache_path;
    ext_report_fn report;
    void *ud;
    entry *entries;
    size_t nentries;
    job **jobs;
    size_t njobs, capjobs;
    strmap *job_by_page;
    strmap *busy;          /* host -> requests in flight (as a uintptr_t) */
    size_t running;
    CURLM *multi;
    struct curl_slist *headers;
    cache_line *cache;
    size_t ncache, capcache;
    strmap *cache_index;   /* key -> index + 1 */
    ext_stats st;
    buf_t tmp, tmp2;
} run;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends s for a message: control bytes as %XX, at most max bytes (then "..."). */
static void put_shown(buf_t *b, const char *s, size_t max)
{
    for (size_t i = 0; s[i]; i++) {
        if (i >= max) {
            buf_puts(b, "...");
            return;
        }
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F) buf_printf(b, "%%%02X", c);
        else buf_putc(b, (char)c);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* URLs                                                                                     */

static bool is_http_url(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

/* Appends s[0..n) with the bytes curl refuses in a URL percent-encoded: controls, space,
 * non-ASCII and " < > \ ^ ` { | }. The host of an absolute URL is left alone (curl turns a
 * non-ASCII host into its IDN form). */
static void url_encode(const char *s, size_t n, buf_t *out)
{
    size_t from = 0;
    if (n >= 8 && is_http_url(s)) {
        from = (size_t)(strstr(s, "://") + 3 - s);
        from += strcspn(s + from, "/?#");
        if (from > n) from = n;
    }
    buf_put(out, s, from);
    for (size_t i = from; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F || strchr("\"<>\\^`{|}", c)) buf_printf(out, "%%%02X", c);
        else buf_putc(out, (char)c);
    }
}

/* Parses url (absolute, or relative to base when base is not NULL) with curl's URL parser.
 * On success returns the normalised URL without its fragment (caller frees) and sets *host
 * to "scheme://host:port" in lower case (caller frees). NULL when it does not parse or is
 * not http(s); *not_http tells which. */
static char *url_parse(const char *base, const char *url, char **host, bool *not_http)
{
    CURLU *u = curl.url();
    char *result = NULL, *scheme = NULL, *name = NULL, *port = NULL, *full = NULL;
    *not_http = false;
    bool ok = u && (!base || curl.url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK);
    CURLUcode rc = ok ? curl.url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME)
                      : CURLUE_MALFORMED_INPUT;
    if (rc == CURLUE_OK && curl.url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
        *not_http = true;
    else if (rc == CURLUE_OK && curl.url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
             curl.url_get(u, CURLUPART_HOST, &name, 0) == CURLUE_OK &&
             curl.url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
             curl.url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK) {
        result = xstrdup(full);
        *host = xasprintf("%s://%s:%s", scheme, name, port);
        for (char *p = *host; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    }
    curl.free(scheme);
    curl.free(name);
    curl.free(port);
    curl.free(full);
    curl.url_cleanup(u);
    return result;
}

/* Fragments that need no looking: "", "top", "/route", "!x", and text directives. */
static bool fragment_trivial(const char *f)
{
    const char *directive = strstr(f, ":~:");
    size_t n = directive ? (size_t)(directive - f) : strlen(f);
    return n == 0 || (n == 3 && strncasecmp(f, "top", 3) == 0) || f[0] == '/' || f[0] == '!';
}

/* ---------------------------------------------------------------------------------------- */
/* Jobs and entries                                                                         */

static void chain_reset(job *j)
{
    for (size_t i = 0; i < j->nchain; i++) free(j->chain[i]);
    j->nchain = 0;
}

static void chain_push(job *j, const char *url)
{
    xgrow(&j->chain, &j->capchain, j->nchain + 1, sizeof *j->chain);
    j->chain[j->nchain++] = xstrdup(url);
}

/* The URL of the hop in progress. */
static const char *job_url(const job *j)
{
    return j->chain[j->nchain - 1];
}

static void job_free(job *j)
{
    if (!j) return;
    if (j->easy) curl.easy_cleanup(j->easy);
    chain_reset(j);
    free(j->chain);
    free(j->page);
    free(j->host);
    free(j->page_host);
    buf_free(&j->location);
    buf_free(&j->ctype);
    buf_free(&j->body);
    free(j->msg);
    strmap_free(j->ids);
    free(j);
}

/* Sets the job up to ask for its page again from the start, as GET or HEAD. */
static void job_restart(job *j, bool get)
{
    chain_reset(j);
    chain_push(j, j->page);
    free(j->host);
    j->host = xstrdup(j->page_host);
    j->get = get || j->need_body; /* fragments need the page itself */
}

/* The job for page (creating it); host: page's host key, taken over. */
static job *job_for(run *r, const char *page, char *host)
{
    job *j = strmap_get(r->job_by_page, page);
    if (j) {
        free(host);
        return j;
    }
    j = xcalloc(1, sizeof *j);
    j->page = xstrdup(page);
    j->page_host = host;
    job_restart(j, false);
    xgrow(&r->jobs, &r->capjobs, r->njobs + 1, sizeof *r->jobs);
    r->jobs[r->njobs++] = j;
    strmap_put(r->job_by_page, page, j);
    return j;
}

static char *cache_key(const char *page, const char *frag)
{
    char *key = frag ? xasprintf("%s#%s", page, frag) : xstrdup(page);
    if (strpbrk(key, "\t\r\n")) {
        free(key);
        return NULL;
    }
    return key;
}

/* Fills e for its URL: a job to ask, a fragment to look for, a cache key. */
static void entry_setup(run *r, entry *e, bool fragments)
{
    const char *url = e->url;
    if (!is_http_url(url)) {
        e->msg = "not an http(s) URL";
        return;
    }
    const char *hash = strchr(url, '#');
    size_t n = hash ? (size_t)(hash - url) : strlen(url);
    buf_clear(&r->tmp);
    url_encode(url, n, &r->tmp);
    char *host = NULL;
    bool not_http;
    char *page = url_parse(NULL, r->tmp.ptr, &host, &not_http);
    if (!page) {
        e->msg = "malformed URL"; /* is_http_url passed, so the scheme is http(s) */
        return;
    }
    e->job = job_for(r, page, host);
    e->job->nurls++;
    if (fragments && hash && !fragment_trivial(hash + 1)) {
        e->frag = xstrdup(hash + 1);
        e->job->need_body = e->job->get = true;
    }
    e->key = cache_key(page, e->frag);
    free(page);
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->url, ((const entry *)b)->url);
}

/* The distinct URLs of urls, sorted, each set up. */
static void entries_make(run *r, const char *const *urls, size_t n, bool fragments)
{
    strmap *seen = strmap_new();
    r->entries = xcalloc(n + 1, sizeof *r->entries);
    for (size_t i = 0; i < n; i++) {
        if (!urls[i] || strmap_get(seen, urls[i])) continue;
        strmap_put(seen, urls[i], &r->entries);
        r->entries[r->nentries++].url = urls[i];
    }
    strmap_free(seen);
    xsort(r->entries, r->nentries, sizeof *r->entries, entry_cmp);
    for (size_t i = 0; i < r->nentries; i++) entry_setup(r, &r->entries[i], fragments);
}

/* ---------------------------------------------------------------------------------------- */
/* The cache file                                                                           */

static bool cache_fresh_line(const run *r, const cache_line *c)
{
    return c->status != 0 && r->now - c->epoch >= 0 && r->now - c->epoch < r->max_age;
}

static cache_line *cache_find(const run *r, const char *key)
{
    uintptr_t i = key ? (uintptr_t)strmap_get(r->cache_index, key) : 0;
    return i ? &r->cache[i - 1] : NULL;
}

static void cache_set(run *r, const char *key, long status, long long epoch)
{
    cache_line *c = cache_find(r, key);
    if (!c) {
        xgrow(&r->cache, &r->capcache, r->ncache + 1, sizeof *r->cache);
        c = &r->cache[r->ncache++];
        c->key = xstrdup(key);
        strmap_put(r->cache_index, key, (void *)(uintptr_t)r->ncache);
    }
    c->status = status;
    c->epoch = epoch;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0 || n > 18) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* One line "URL\tSTATUS\tEPOCH" (without its newline); anything else is ignored. */
static void cache_parse_line(run *r, char *line)
{
    char *t1 = strchr(line, '\t');
    char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    if (!t1 || !t2 || t1 == line || strchr(t2 + 1, '\t')) return;
    if (!all_digits(t1 + 1, (size_t)(t2 - t1 - 1)) || !all_digits(t2 + 1, strlen(t2 + 1)))
        return;
    long status = strtol(t1 + 1, NULL, 10);
    if (status < 200 || status > 299) return;
    *t1 = '\0';
    cache_set(r, line, status, strtoll(t2 + 1, NULL, 10));
}

static void run_warn(run *r, const char *fmt, const char *path, int err)
{
    buf_clear(&r->tmp);
    buf_printf(&r->tmp, fmt, path, strerror(err));
    r->report(r->ud, NULL, DIAG_WARNING, r->tmp.ptr);
}

static void cache_load(run *r)
{
    size_t len = 0;
    char *text = fs_read(r->cache_path, MAX_CACHE_BYTES, &len);
    if (!text) {
        if (errno != ENOENT) run_warn(r, "cannot read the link cache %s: %s", r->cache_path,
                                      errno);
        return;
    }
    for (char *line = text; line < text + len;) {
        char *end = memchr(line, '\n', (size_t)(text + len - line));
        if (!end) end = text + len;
        size_t n = (size_t)(end - line);
        bool nul = memchr(line, '\0', n) != NULL; /* such a line is skipped */
        *end = '\0';
        if (n > 0 && line[n - 1] == '\r') line[n - 1] = '\0';
        if (!nul) cache_parse_line(r, line);
        line = end + 1;
    }
    free(text);
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(((const cache_line *)a)->key, ((const cache_line *)b)->key);
}

/* Writes every fresh line, sorted, to a temporary file beside the cache, then renames it. */
static void cache_write(run *r)
{
    buf_t out = BUF_INIT;
    cache_line *lines = xcalloc(r->ncache + 1, sizeof *lines);
    size_t n = 0;
    for (size_t i = 0; i < r->ncache; i++)
        if (cache_fresh_line(r, &r->cache[i])) lines[n++] = r->cache[i];
    xsort(lines, n, sizeof *lines, line_cmp);
    for (size_t i = 0; i < n; i++)
        buf_printf(&out, "%s\t%ld\t%lld\n", lines[i].key, lines[i].status, lines[i].epoch);
    free(lines);
    char *tmp = xasprintf("%s.XXXXXX", r->cache_path);
    int fd = mkstemp(tmp);
    int err = fd < 0 ? errno : 0;
    for (size_t done = 0; fd >= 0 && !err && done < out.len;) {
        ssize_t w = write(fd, out.ptr + done, out.len - done);
        if (w < 0 && errno != EINTR) err = errno;
        else if (w > 0) done += (size_t)w;
    }
    if (fd >= 0 && close(fd) != 0 && !err) err = errno;
    if (!err && rename(tmp, r->cache_path) != 0) err = errno;
    if (err && fd >= 0) unlink(tmp);
    if (err) run_warn(r, "cannot write the link cache %s: %s", r->cache_path, err);
    free(tmp);
    buf_free(&out);
}

/* Marks the jobs whose every URL has a fresh cache entry as answered. */
static void cache_apply(run *r)
{
    for (size_t i = 0; i < r->nentries; i++) {
        const entry *e = &r->entries[i];
        const cache_line *c = cache_find(r, e->key);
        if (e->job && c && cache_fresh_line(r, c)) e->job->nfresh++;
    }
    for (size_t i = 0; i < r->njobs; i++) {
        job *j = r->jobs[i];
        if (j->nfresh == j->nurls) {
            j->cached = true;
            j->state = J_DONE;
            r->st.cached++;
        }
    }
}

/* After the checks: successes refreshed (a cached one keeps its epoch), the rest dropped. */
static void cache_update(run *r, const entry *e, bool ok)
{
    if (!e->key || !e->job) return;
    cache_line *c = cache_find(r, e->key);
    if (!ok) {
        if (c) c->status = 0;
    } else if (!e->job->cached) {
        cache_set(r, e->key, e->job->status, r->now); /* the 2xx the job ended on */
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Fragment ids: libxml2's HTML parser with one SAX callback                                 */

static char id_marker;

static void ids_on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    htmlParserCtxtPtr ctxt = ctx;
    strmap *ids = ctxt->_private;
    bool is_a = strcmp((const char *)name, "a") == 0;
    for (size_t i = 0; atts && atts[i]; i += 2) {
        const char *n = (const char *)atts[i];
        const char *v = (const char *)atts[i + 1];
        if (v && v[0] && (strcmp(n, "id") == 0 || (is_a && strcmp(n, "name") == 0)))
            strmap_put(ids, v, &id_marker);
    }
}

/* The first place needle occurs in s[0..n), ignoring ASCII case; NULL when nowhere. */
static const char *find_ci(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(s + i, needle, k) == 0) return s + i;
    return NULL;
}

/* The charset named by a Content-Type, or NULL; copied into out. */
static const char *ctype_charset(const char *ctype, buf_t *out)
{
    const char *p = find_ci(ctype, strlen(ctype), "charset=");
    if (!p) return NULL;
    p += 8;
    if (*p == '"') p++;
    buf_clear(out);
    buf_put(out, p, strcspn(p, "\"; \t"));
    return out->len ? out->ptr : NULL;
}

static strmap *ids_parse(const char *html, size_t len, const char *ctype, buf_t *tmp)
{
    lc_global_init();
    strmap *ids = strmap_new();
    if (len == 0 || len > INT32_MAX) return ids;
    htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(html, (int)len);
    if (!ctxt) return ids;
    memset(ctxt->sax, 0, sizeof *ctxt->sax); /* no tree, only the start tags */
    ctxt->sax->startElement = ids_on_start;
    ctxt->_private = ids;
    const char *cs = ctype_charset(ctype, tmp);
    xmlCharEncodingHandlerPtr h = cs ? xmlFindCharEncodingHandler(cs) : NULL;
    size_t head = len < 1024 ? len : 1024;
    if (h) xmlSwitchToEncoding(ctxt, h);
    else if (!find_ci(html, head, "charset")) xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
    htmlCtxtUseOptions(ctxt, HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    htmlParseDocument(ctxt);
    if (ctxt->myDoc) xmlFreeDoc(ctxt->myDoc);
    ctxt->myDoc = NULL;
    htmlFreeParserCtxt(ctxt);
    return ids;
}

static bool looks_html(const job *j)
{
    if (j->ctype.len) return find_ci(j->ctype.ptr, j->ctype.len, "html") != NULL;
    const char *p = j->body.ptr ? j->body.ptr : "";
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return *p == '<';
}

/* Whether frag (not trivial) names an id of ids: as written, or percent-decoded. *shown gets
 * the form to quote in a message. */
static bool fragment_found(const strmap *ids, const char *frag, buf_t *key, buf_t *dec)
{
    const char *directive = strstr(frag, ":~:");
    size_t n = directive ? (size_t)(directive - frag) : strlen(frag);
    buf_clear(key);
    buf_put(key, frag, n);
    if (strmap_get(ids, key->ptr)) return true;
    buf_clear(dec);
    if (lc_percent_decode(frag, n, dec) && utf8_valid(dec->ptr, dec->len, NULL)) {
        if (strmap_get(ids, dec->ptr) || strcasecmp(dec->ptr, "top") == 0) return true;
        buf_clear(key);
        buf_puts(key, dec->ptr);
    }
    return false;
}

/* ---------------------------------------------------------------------------------------- */
/* Transfers                                                                                */

static bool header_is(const char *line, size_t n, const char *name, const char **value)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') return false;
    *value = line + k + 1;
    return true;
}

/* Copies the value of a header line, trimmed, into out. */
static void header_value(const char *v, const char *end, buf_t *out)
{
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    buf_clear(out);
    buf_put(out, v, (size_t)(end - v));
}

/* Each header line of each response. Ends a transfer after the headers when the body is of
 * no use: HEAD has none, and a GET only needs it for the ids of a 2xx page. */
static size_t on_header(char *data, size_t size, size_t nitems, void *ud)
{
    job *j = ud;
    size_t n = size * nitems;
    const char *v, *end = data + n;
    if (n > 5 && strncmp(data, "HTTP/", 5) == 0) {
        const char *sp = memchr(data, ' ', n);
        j->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        j->retry_after = -1;
        buf_clear(&j->location);
        buf_clear(&j->ctype);
    } else if (header_is(data, n, "location", &v)) {
        header_value(v, end, &j->location);
    } else if (header_is(data, n, "content-type", &v)) {
        header_value(v, end, &j->ctype);
    } else if (header_is(data, n, "retry-after", &v)) {
        buf_t b = BUF_INIT;
        header_value(v, end, &b);
        if (b.len && all_digits(b.ptr, b.len)) j->retry_after = strtol(b.ptr, NULL, 10);
        buf_free(&b);
    } else if ((n == 2 && data[0] == '\r') || (n == 1 && data[0] == '\n')) {
        bool body_wanted = j->need_body && j->status >= 200 && j->status <= 299;
        if (j->get && j->status >= 200 && !body_wanted) {
            j->cut = true;
            return 0;
        }
    }
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    job *j = ud;
    size_t n = size * nmemb;
    if (!j->need_body || j->status < 200 || j->status > 299 || j->body.len + n > MAX_BODY) {
        j->truncated = j->body.len + n > MAX_BODY;
        j->cut = true;
        return 0;
    }
    buf_put(&j->body, data, n);
    return n;
}

static void easy_setup(run *r, job *j)
{
    CURL *e = j->easy;
    curl.easy_setopt(e, CURLOPT_URL, job_url(j));
    curl.easy_setopt(e, CURLOPT_PRIVATE, (void *)j);
    curl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl.easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl.easy_setopt(e, CURLOPT_USERAGENT, "refpress/" REFPRESS_VERSION " (+link check)");
    curl.easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl.easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl.easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms);
    curl.easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl.easy_setopt(e, CURLOPT_HEADERDATA, (void *)j);
    curl.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl.easy_setopt(e, CURLOPT_WRITEDATA, (void *)j);
    if (j->get) curl.easy_setopt(e, CURLOPT_HTTPGET, 1L);
    else curl.easy_setopt(e, CURLOPT_NOBODY, 1L);
}

static uintptr_t busy_count(const run *r, const char *host)
{
    return (uintptr_t)strmap_get(r->busy, host);
}

static void busy_add(run *r, const char *host, int delta)
{
    strmap_put(r->busy, host, (void *)(busy_count(r, host) + (uintptr_t)(intptr_t)delta));
}

static void job_finish(job *j, diag_severity sev, char *msg)
{
    j->sev = sev;
    j->msg = msg;
    j->state = J_DONE;
}

/* Starts the job's hop (or finishes the job when libcurl will not take it). */
static void job_start(run *r, job *j)
{
    j->easy = curl.easy_init();
    j->status = 0;
    j->retry_after = -1;
    j->cut = j->truncated = false;
    j->errbuf[0] = '\0';
    buf_clear(&j->location);
    buf_clear(&j->ctype);
    buf_clear(&j->body);
    if (!j->easy) {
        job_finish(j, DIAG_ERROR, xstrdup("cannot start a request (libcurl)"));
        return;
    }
    easy_setup(r, j);
    if (curl.multi_add_handle(r->multi, j->easy) != CURLM_OK) {
        curl.easy_cleanup(j->easy);
        j->easy = NULL;
        job_finish(j, DIAG_ERROR, xstrdup("cannot start a request (libcurl)"));
        return;
    }
    j->state = J_RUNNING;
    busy_add(r, j->host, 1);
    r->running++;
    r->st.requests++;
}

/* ---------------------------------------------------------------------------------------- */
/* What an answer means                                                                     */

static void job_wait(job *j, long long delay_ms)
{
    j->state = J_WAITING;
    j->wake = mono_ms() + delay_ms;
}

/* The one retry: from the page again, after the backoff or the server's Retry-After. */
static void job_retry(run *r, job *j, bool get, long retry_after)
{
    long long delay = RETRY_MS;
    if (retry_after >= 0 && retry_after <= RETRY_AFTER_CAP_S && retry_after * 1000 > delay)
        delay = retry_after * 1000LL;
    j->retried = true;
    r->st.retries++;
    job_restart(j, get);
    job_wait(j, delay);
}

/* " (after a redirect to URL)" when the answer came from elsewhere than the page. */
static char *with_redirect_note(const job *j, const char *msg)
{
    if (j->nchain == 1) return xstrdup(msg);
    buf_t b = BUF_INIT;
    buf_printf(&b, "%s (after a redirect to ", msg);
    put_shown(&b, job_url(j), 200);
    buf_putc(&b, ')');
    return buf_detach(&b);
}

static bool is_redirect(long s)
{
    return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

static void finish_status(job *j, long s)
{
    char text[80];
    if (s == 429) {
        job_finish(j, DIAG_WARNING, xstrdup("HTTP 429 (rate limited; not treated as broken)"));
        return;
    }
    if (s == 403) {
        job_finish(j, DIAG_WARNING,
                   xstrdup("HTTP 403 (forbidden, often to robots; not treated as broken)"));
        return;
    }
    if (s == 999) {
        job_finish(j, DIAG_WARNING, xstrdup("HTTP 999 (refused to robots; not treated as broken)"));
        return;
    }
    if (is_redirect(s)) snprintf(text, sizeof text, "HTTP %ld without a Location", s);
    else if (s < 100 || s > 999)
        snprintf(text, sizeof text, "no valid HTTP answer");
    else snprintf(text, sizeof text, "HTTP %ld%s", s, j->retried ? " after one retry" : "");
    job_finish(j, DIAG_ERROR, with_redirect_note(j, text));
}

static void finish_ok(run *r, job *j)
{
    j->state = J_DONE;
    if (j->need_body && !j->truncated && looks_html(j))
        j->ids = ids_parse(j->body.ptr ? j->body.ptr : "", j->body.len, buf_cstr(&j->ctype),
                           &r->tmp2);
    buf_free(&j->body);
}

/* A 3xx with a Location: the next hop, unless it loops, goes too far or leaves http(s). */
static void follow(run *r, job *j)
{
    buf_clear(&r->tmp);
    url_encode(j->location.ptr, j->location.len, &r->tmp);
    char *host = NULL;
    bool not_http;
    char *next = url_parse(job_url(j), r->tmp.ptr, &host, &not_http);
    buf_t msg = BUF_INIT;
    const char *shown = NULL; /* the URL the message ends with */
    if (!next) {
        buf_puts(&msg, not_http ? "redirect to a URL that is not http(s): "
                                : "redirect to a malformed URL: ");
        shown = j->location.ptr;
    } else if (j->nchain > MAX_REDIRECTS) {
        buf_printf(&msg, "too many redirects (more than %d)", MAX_REDIRECTS);
    }
    for (size_t i = 0; next && !msg.len && i < j->nchain; i++)
        if (strcmp(j->chain[i], next) == 0) {
            buf_puts(&msg, "redirect loop through ");
            shown = next;
        }
    if (msg.len) {
        if (shown) put_shown(&msg, shown, 200);
        job_finish(j, DIAG_ERROR, buf_detach(&msg));
    } else {
        chain_push(j, next);
        free(j->host);
        j->host = host;
        host = NULL;
        j->state = J_READY;
    }
    free(next);
    free(host);
}

/* An HTTP answer to the hop that just ended. */
static void on_answer(run *r, job *j)
{
    long s = j->status;
    if (is_redirect(s) && j->location.len) {
        follow(r, j);
    } else if (s >= 200 && s <= 299) {
        finish_ok(r, j);
    } else if (s == 429) {
        if (!j->retried && j->retry_after >= 0 && j->retry_after <= RETRY_AFTER_CAP_S)
            job_retry(r, j, j->get, j->retry_after);
        else finish_status(j, s);
    } else if (!j->get && s != 404 && s != 410) {
        job_restart(j, true); /* many servers mishandle HEAD: ask with GET at once */
        j->state = J_READY;
    } else if (s >= 500 && s <= 599 && !j->retried) {
        job_retry(r, j, true, j->retry_after);
    } else {
        finish_status(j, s);
    }
}

static bool retryable(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
           rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
           rc == CURLE_PARTIAL_FILE || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM ||
           rc == CURLE_SSL_CONNECT_ERROR;
}

/* The host and port of the current hop, for messages. */
static char *hop_host(const job *j, bool with_port)
{
    const char *h = strstr(j->host, "://");
    h = h ? h + 3 : j->host;
    const char *colon = strrchr(h, ':');
    size_t n = colon ? (size_t)(colon - h) : strlen(h);
    if (with_port && colon) return xasprintf("%.*s port %s", (int)n, h, colon + 1);
    return xstrndup(h, n);
}

/* A message for a transfer that ended without an HTTP answer. */
static char *transport_message(run *r, const job *j, CURLcode rc)
{
    char *host = hop_host(j, rc == CURLE_COULDNT_CONNECT), *msg;
    const char *tls = strstr(j->errbuf, "certificate problem: ");
    if (rc == CURLE_COULDNT_RESOLVE_HOST) msg = xasprintf("cannot resolve host %s", host);
    else if (rc == CURLE_COULDNT_CONNECT) msg = xasprintf("cannot connect to %s", host);
    else if (rc == CURLE_OPERATION_TIMEDOUT && strncmp(j->errbuf, "Resolving", 9) == 0)
        msg = xasprintf("timed out resolving host %s after %g s", host,
                        (double)r->timeout_ms / 1000.0);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        msg = xasprintf("timed out after %g s", (double)r->timeout_ms / 1000.0);
    else if (rc == CURLE_PEER_FAILED_VERIFICATION && tls)
        msg = xasprintf("TLS certificate problem: %s", tls + 21);
    else if (rc == CURLE_PEER_FAILED_VERIFICATION)
        msg = xasprintf("TLS certificate not valid for %s", host);
    else if (rc == CURLE_SSL_CONNECT_ERROR) msg = xasprintf("TLS handshake with %s failed", host);
    else if (rc == CURLE_GOT_NOTHING) msg = xasprintf("%s closed the connection with no answer",
                                                      host);
    else msg = xasprintf("request failed (curl error %d: %s)", (int)rc, curl.easy_strerror(rc));
    free(host);
    char *noted = with_redirect_note(j, msg);
    free(msg);
    return noted;
}

/* A hop has ended: what to do next. */
static void on_done(run *r, job *j, CURLcode rc)
{
    busy_add(r, j->host, -1);
    r->running--;
    curl.multi_remove_handle(r->multi, j->easy);
    curl.easy_cleanup(j->easy);
    j->easy = NULL;
    if (rc == CURLE_WRITE_ERROR && j->cut) rc = CURLE_OK;
    if (rc == CURLE_OK && j->status >= 100) {
        on_answer(r, j);
    } else if (rc != CURLE_OK && retryable(rc) && !j->retried) {
        job_retry(r, j, true, -1); /* a HEAD that failed is tried again as GET */
    } else {
        job_finish(j, DIAG_ERROR,
                   rc == CURLE_OK ? xstrdup("no valid HTTP answer") : transport_message(r, j, rc));
    }
}

/* ---------------------------------------------------------------------------------------- */
/* The loop                                                                                 */

/* Wakes jobs whose wait is over, starts what the limits allow; returns the ms until the next
 * wake-up (-1: none waiting). */
static long long schedule(run *r)
{
    long long now = mono_ms(), next = -1;
    for (size_t i = 0; i < r->njobs; i++) {
        job *j = r->jobs[i];
        if (j->state == J_WAITING && j->wake <= now) j->state = J_READY;
        if (j->state == J_WAITING && (next < 0 || j->wake - now < next)) next = j->wake - now;
        if (j->state != J_READY || r->running >= (size_t)r->max_total ||
            busy_count(r, j->host) >= (uintptr_t)r->per_host)
            continue;
        job_start(r, j);
    }
    return next;
}

static bool pending(const run *r)
{
    if (r->running) return true;
    for (size_t i = 0; i < r->njobs; i++)
        if (r->jobs[i]->state != J_DONE) return true;
    return false;
}

static bool collect(run *r)
{
    bool any = false;
    CURLMsg *m;
    int left;
    while ((m = curl.multi_info_read(r->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) continue;
        char *priv = NULL;
        curl.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        job *j = (job *)(void *)priv;
        CURLcode rc = m->data.result; /* m is invalid once the handle is removed */
        if (j) on_done(r, j, rc);
        any = true;
    }
    return any;
}

static void transfers_run(run *r)
{
    for (;;) {
        long long wake = schedule(r);
        if (!pending(r)) break;
        int still = 0;
        if (r->running) curl.multi_perform(r->multi, &still);
        if (collect(r)) continue;
        long timeout = -1;
        curl.multi_timeout(r->multi, &timeout);
        if (timeout < 0 || timeout > 1000) timeout = 1000;
        if (wake >= 0 && wake < timeout) timeout = (long)wake;
        if (timeout > 0) curl.multi_poll(r->multi, NULL, 0, (int)timeout, NULL);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Reports                                                                                  */

static void report_one(run *r, const entry *e, diag_severity sev, const char *msg)
{
    if (sev == DIAG_ERROR) r->st.errors++;
    else if (sev == DIAG_WARNING) r->st.warnings++;
    r->report(r->ud, e->url, sev, msg);
}

/* Reports the problem of e, if any; returns whether it is fine. */
static bool entry_verdict(run *r, const entry *e)
{
    const job *j = e->job;
    if (!j) {
        report_one(r, e, DIAG_ERROR, e->msg);
        return false;
    }
    if (j->msg) {
        if (e->frag) r->st.fragments_unchecked++;
        report_one(r, e, j->sev, j->msg);
        return false;
    }
    if (!e->frag || j->cached) return true;
    if (!j->ids) {
        r->st.fragments_unchecked++;
        return true;
    }
    buf_t key = BUF_INIT, dec = BUF_INIT;
    bool found = fragment_found(j->ids, e->frag, &key, &dec);
    if (!found) {
        buf_clear(&dec);
        buf_puts(&dec, "no element with id \"");
        put_shown(&dec, key.ptr, 200);
        buf_puts(&dec, "\" in the fetched page");
        report_one(r, e, DIAG_ERROR, dec.ptr);
    }
    buf_free(&key);
    buf_free(&dec);
    return found;
}

/* ---------------------------------------------------------------------------------------- */
/* ext_check                                                                                */

static void run_init(run *r, const ext_options *opt, ext_report_fn report, void *ud)
{
    memset(r, 0, sizeof *r);
    ext_options none = {0};
    if (!opt) opt = &none;
    r->max_total = opt->max_connections > 0 ? opt->max_connections : 16;
    r->per_host = opt->per_host > 0 ? opt->per_host : 2;
    r->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : 10000;
    r->max_age = opt->cache_max_age > 0 ? opt->cache_max_age : 86400;
    r->now = opt->now ? opt->now : (long long)time(NULL);
    r->cache_path = opt->cache_path;
    r->report = report;
    r->ud = ud;
    r->job_by_page = strmap_new();
    r->busy = strmap_new();
    r->cache_index = strmap_new();
}

static void run_free(run *r)
{
    for (size_t i = 0; i < r->njobs; i++) {
        if (r->jobs[i]->easy) curl.multi_remove_handle(r->multi, r->jobs[i]->easy);
        job_free(r->jobs[i]);
    }
    free(r->jobs);
    for (size_t i = 0; i < r->nentries; i++) {
        free(r->entries[i].frag);
        free(r->entries[i].key);
    }
    free(r->entries);
    for (size_t i = 0; i < r->ncache; i++) free(r->cache[i].key);
    free(r->cache);
    strmap_free(r->cache_index);
    strmap_free(r->job_by_page);
    strmap_free(r->busy);
    if (r->multi) curl.multi_cleanup(r->multi);
    curl.slist_free_all(r->headers);
    buf_free(&r->tmp);
    buf_free(&r->tmp2);
}

static bool multi_make(run *r)
{
    ext_global_init();
    if (!curl_ready || !(r->multi = curl.multi_init())) return false;
    curl.multi_setopt(r->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)r->max_total);
    curl.multi_setopt(r->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)r->per_host);
    r->headers = curl.slist_append(NULL, "Accept: text/html,application/xhtml+xml,*/*;q=0.8");
    return r->headers != NULL;
}

static void report_nothing(void *ud, const char *url, diag_severity sev, const char *msg)
{
}

void ext_check(const char *const *urls, size_t n, const ext_options *opt, ext_report_fn report,
               void *ud, ext_stats *stats)
{
    run r;
    if (!report) report = report_nothing;
    run_init(&r, opt, report, ud);
    if (!multi_make(&r)) {
        report(ud, NULL, DIAG_ERROR, curl_problem[0] ? curl_problem : "cannot initialise libcurl");
    } else {
        entries_make(&r, urls, n, opt && opt->fragments);
        if (r.cache_path) cache_load(&r);
        cache_apply(&r);
        transfers_run(&r);
        for (size_t i = 0; i < r.nentries; i++)
            cache_update(&r, &r.entries[i], entry_verdict(&r, &r.entries[i]));
        if (r.cache_path) cache_write(&r);
        r.st.urls = r.nentries;
        r.st.pages = r.njobs;
    }
    if (stats) *stats = r.st;
    run_free(&r);
}

/* ======================================================================= a site's links */

/* One place an external URL is written. */
typedef struct ext_use {
    char *href, *page, *element, *attr;
    int html_line, src_line, src_col;
} ext_use;

typedef struct ext_url {
    char *url;
    ext_use *uses;
    size_t nuses, capuses;
} ext_url;

typedef struct ext_run {
    lc_locate_fn locate;
    void *locate_ud;
    strmap *by_url; /* absolute URL -> index + 1 into urls */
    ext_url *urls;
    size_t nurls, capurls;
    diag_list *dl;
} ext_run;

static void collect_external(void *ud, const lc_link *l, const char *absolute_url)
{
    ext_run *r = ud;
    size_t i = (size_t)(uintptr_t)strmap_get(r->by_url, absolute_url);
    if (!i) {
        xgrow(&r->urls, &r->capurls, r->nurls + 1, sizeof *r->urls);
        r->urls[r->nurls] = (ext_url){xstrdup(absolute_url), NULL, 0, 0};
        i = ++r->nurls;
        strmap_put(r->by_url, absolute_url, (void *)(uintptr_t)i);
    }
    ext_url *u = &r->urls[i - 1];
    xgrow(&u->uses, &u->capuses, u->nuses + 1, sizeof *u->uses);
    u->uses[u->nuses++] = (ext_use){xstrdup(l->href), xstrdup(l->page), xstrdup(l->element),
                                    xstrdup(l->attr), l->html_line, l->src_line,
                                    l->src_col};
}

/* A problem with an external URL becomes one diagnostic at each place it is written. */
static void report_external(void *ud, const char *url, diag_severity sev, const char *msg)
{
    ext_run *r = ud;
    if (!url) {
        diag_add(r->dl, sev, "refpress", 0, 0, "%s", msg);
        return;
    }
    size_t i = (size_t)(uintptr_t)strmap_get(r->by_url, url);
    if (!i) return;
    const ext_url *u = &r->urls[i - 1];
    buf_t note = BUF_INIT;
    for (size_t k = 0; k < u->nuses; k++) {
        const ext_use *use = &u->uses[k];
        lc_link l = {use->href, use->page, use->html_line, use->element, use->attr,
                     use->src_line, use->src_col};
        const char *file = use->page;
        int line = use->html_line, col = 0;
        buf_clear(&note);
        if (r->locate) r->locate(r->locate_ud, &l, &file, &line, &col, &note);
        diag_add(r->dl, sev, file, line, col, "link to %s: %s%s%s%s", use->href, msg,
                 note.len ? " (" : "", buf_cstr(&note), note.len ? ")" : "");
    }
    buf_free(&note);
}

void ext_check_site(lc_site *ls, const lc_options *lo, const ext_options *ext,
                    lc_locate_fn locate, void *ud, diag_list *dl, ext_stats *st)
{
    ext_run r = {locate, ud, strmap_new(), NULL, 0, 0, dl};
    lc_site_each_external(ls, lo, collect_external, &r);
    const char **urls = xcalloc(r.nurls + 1, sizeof *urls);
    for (size_t i = 0; i < r.nurls; i++) urls[i] = r.urls[i].url;
    diag_list found = DIAG_LIST_INIT;
    r.dl = &found;
    ext_check(urls, r.nurls, ext, report_external, &r, st);
    diag_list_sort(&found);
    diag_list_take(dl, &found);
    for (size_t i = 0; i < r.nurls; i++) {
        for (size_t k = 0; k < r.urls[i].nuses; k++) {
            ext_use *u = &r.urls[i].uses[k];
            free(u->href);
            free(u->page);
            free(u->element);
            free(u->attr);
        }
        free(r.urls[i].uses);
        free(r.urls[i].url);
    }
    free(r.urls);
    free(urls);
    strmap_free(r.by_url);
}

