/* test_external.c — external link checking against an HTTP server of our own on 127.0.0.1
 * (libmicrohttpd, port chosen by the system): answers, retries, limits, fragments, the cache,
 * and lc_site_each_external. Never the internet: the one name looked up is under .invalid. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "diag.h"
#include "external.h"
#include "fsutil.h"
#include "harness.h"
#include "linkcheck.h"
#include "util.h"

/* ---------------------------------------------------------------------------------------- */
/* The server                                                                               */

#define LOG_MAX 4096

typedef struct hit {
    char line[160]; /* "HEAD /ok" */
    long long ms;   /* when it arrived (monotonic) */
} hit;

static struct {
    struct MHD_Daemon *daemon;
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" */
    pthread_mutex_t mu;
    hit log[LOG_MAX];
    size_t nlog;
    int flaky, after;        /* answers given so far by /flaky and /429-after */
    int active, max_active;  /* requests inside /hold/N at once */
    volatile int stopping;
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms in small steps, ending early when the server stops. */
static void nap(int ms)
{
    for (int i = 0; i < ms / 20 && !srv.stopping; i++) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, const char *type,
                              const char *body, const char *hname, const char *hvalue)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                        MHD_RESPMEM_MUST_COPY);
    if (type) MHD_add_response_header(r, "Content-Type", type);
    if (hname) MHD_add_response_header(r, hname, hvalue);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static const char ids_page[] =
    "<!doctype html>\n<html><head><title>ids</title></head><body>\n"
    "<h2 id=\"a\">A</h2>\n<p id=\"b\">B <a name=\"n\">n</a></p>\n"
    "<p id=\"caf\xC3\xA9\">utf-8</p>\n</body></html>\n";
static const char latin1_page[] = "<html><body><p id=\"caf\xE9\">latin-1</p></body></html>";

static int counter_next(int *counter)
{
    pthread_mutex_lock(&srv.mu);
    int n = (*counter)++;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

static enum MHD_Result hold(struct MHD_Connection *c)
{
    pthread_mutex_lock(&srv.mu);
    if (++srv.active > srv.max_active) srv.max_active = srv.active;
    pthread_mutex_unlock(&srv.mu);
    nap(300);
    pthread_mutex_lock(&srv.mu);
    srv.active--;
    pthread_mutex_unlock(&srv.mu);
    return answer(c, 200, "text/plain", "held", NULL, NULL);
}

static enum MHD_Result route_more(struct MHD_Connection *c, const char *url, bool head)
{
    const char *html = "text/html; charset=utf-8";
    if (strncmp(url, "/chain/", 7) == 0) {
        long n = strtol(url + 7, NULL, 10);
        if (n >= 30) return answer(c, 200, html, "end", NULL, NULL);
        char next[32];
        snprintf(next, sizeof next, "/chain/%ld", n + 1);
        return answer(c, 302, html, "", "Location", next);
    }
    if (strncmp(url, "/hold/", 6) == 0) return hold(c);
    if (strcmp(url, "/head-405") == 0)
        return head ? answer(c, 405, html, "", NULL, NULL) : answer(c, 200, html, "ok", NULL, NULL);
    if (strcmp(url, "/slow") == 0) {
        nap(3000);
        return answer(c, 200, html, "slow", NULL, NULL);
    }
    if (strcmp(url, "/flaky") == 0)
        return answer(c, counter_next(&srv.flaky) < 2 ? 500 : 200, html, "flaky", NULL, NULL);
    if (strcmp(url, "/429-after") == 0)
        return counter_next(&srv.after) < 1 ? answer(c, 429, html, "", "Retry-After", "1")
                                            : answer(c, 200, html, "ok", NULL, NULL);
    if (strcmp(url, "/ids") == 0) return answer(c, 200, html, ids_page, NULL, NULL);
    if (strcmp(url, "/latin1") == 0)
        return answer(c, 200, "text/html; charset=iso-8859-1", latin1_page, NULL, NULL);
    if (strcmp(url, "/text") == 0) return answer(c, 200, "text/plain", "id=\"x\"", NULL, NULL);
    if (strcmp(url, "/no-type") == 0) return answer(c, 200, NULL, ids_page, NULL, NULL);
    return answer(c, 404, html, "not found", NULL, NULL);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    pthread_mutex_lock(&srv.mu);
    if (srv.nlog < LOG_MAX) {
        snprintf(srv.log[srv.nlog].line, sizeof srv.log[0].line, "%s %s", method, url);
        srv.log[srv.nlog++].ms = mono_ms();
    }
    pthread_mutex_unlock(&srv.mu);
    bool head = strcmp(method, "HEAD") == 0;
    const char *html = "text/html; charset=utf-8";
    if (strcmp(url, "/ok") == 0) return answer(c, 200, html, "<p>ok</p>", NULL, NULL);
    if (strcmp(url, "/redirect") == 0) return answer(c, 302, html, "", "Location", "/ok");
    if (strcmp(url, "/redirect-404") == 0)
        return answer(c, 301, html, "", "Location", "/404");
    if (strcmp(url, "/redirect-ftp") == 0)
        return answer(c, 302, html, "", "Location", "ftp://example.org/x");
    if (strcmp(url, "/loop") == 0) return answer(c, 302, html, "", "Location", "/loop");
    if (strcmp(url, "/loop-a") == 0) return answer(c, 307, html, "", "Location", "/loop-b");
    if (strcmp(url, "/loop-b") == 0) return answer(c, 308, html, "", "Location", "/loop-a");
    if (strcmp(url, "/410") == 0) return answer(c, 410, html, "gone", NULL, NULL);
    if (strcmp(url, "/500") == 0) return answer(c, 500, html, "oops", NULL, NULL);
    if (strcmp(url, "/429") == 0) return answer(c, 429, html, "slow down", NULL, NULL);
    if (strcmp(url, "/403") == 0) return answer(c, 403, html, "no robots", NULL, NULL);
    return route_more(c, url, head);
}

static bool server_start(void)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
                                  0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                                  MHD_OPTION_END);
    if (!srv.daemon) return false;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv.port = info ? info->port : 0;
    snprintf(srv.base, sizeof srv.base, "http://127.0.0.1:%d", srv.port);
    return srv.port > 0;
}

static void server_stop(void)
{
    srv.stopping = 1;
    if (srv.daemon) MHD_stop_daemon(srv.daemon);
}

static void log_clear(void)
{
    pthread_mutex_lock(&srv.mu);
    srv.nlog = 0;
    srv.max_active = 0;
    pthread_mutex_unlock(&srv.mu);
}

/* The methods that asked for path, in order: "HEAD,GET,GET". */
static const char *hits(const char *path)
{
    static char out[512];
    out[0] = '\0';
    pthread_mutex_lock(&srv.mu);
    for (size_t i = 0; i < srv.nlog; i++) {
        const char *sp = strchr(srv.log[i].line, ' ');
        if (!sp || strcmp(sp + 1, path) != 0) continue;
        if (out[0]) strncat(out, ",", sizeof out - strlen(out) - 1);
        strncat(out, srv.log[i].line, (size_t)(sp - srv.log[i].line));
    }
    pthread_mutex_unlock(&srv.mu);
    return out;
}

/* Milliseconds between the k-th and (k+1)-th requests for path; -1 when there are fewer. */
static long long gap_ms(const char *path, int k)
{
    long long t[2] = {-1, -1};
    int seen = 0;
    pthread_mutex_lock(&srv.mu);
    for (size_t i = 0; i < srv.nlog; i++) {
        const char *sp = strchr(srv.log[i].line, ' ');
        if (!sp || strcmp(sp + 1, path) != 0) continue;
        if (seen == k) t[0] = srv.log[i].ms;
        if (seen == k + 1) t[1] = srv.log[i].ms;
        seen++;
    }
    pthread_mutex_unlock(&srv.mu);
    return t[0] < 0 || t[1] < 0 ? -1 : t[1] - t[0];
}

static size_t total_hits(void)
{
    pthread_mutex_lock(&srv.mu);
    size_t n = srv.nlog;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

/* ---------------------------------------------------------------------------------------- */
/* Running ext_check                                                                        */

static buf_t reports;

/* Each report as a line "error URL: message", with the server's address shown as "S". */
static void on_report(void *ud, const char *url, diag_severity sev, const char *msg)
{
    (void)ud;
    const char *s = sev == DIAG_ERROR ? "error" : sev == DIAG_WARNING ? "warning" : "note";
    buf_t line = BUF_INIT;
    buf_printf(&line, "%s %s: %s\n", s, url ? url : "(run)", msg);
    size_t blen = strlen(srv.base);
    for (const char *p = line.ptr; *p;) {
        if (strncmp(p, srv.base, blen) == 0) {
            buf_putc(&reports, 'S');
            p += blen;
        } else {
            buf_putc(&reports, *p++);
        }
    }
    buf_free(&line);
}

/* Checks the URLs ("/path" means on the server) and returns the reports, as above. */
static const char *check(const char *const *urls, size_t n, const ext_options *opt,
                         ext_stats *st)
{
    char **full = xcalloc(n + 1, sizeof *full);
    for (size_t i = 0; i < n; i++)
        if (urls[i]) full[i] = urls[i][0] == '/' ? xasprintf("%s%s", srv.base, urls[i])
                                                 : xstrdup(urls[i]);
    buf_clear(&reports);
    ext_check((const char *const *)full, n, opt, on_report, NULL, st);
    for (size_t i = 0; i < n; i++) free(full[i]);
    free(full);
    return buf_cstr(&reports);
}

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* ---------------------------------------------------------------------------------------- */
/* Answers                                                                                  */

static void test_answers(void)
{
    const char *urls[] = {"/ok", "/ok", "/redirect", "/404", "/410", "/500", "/head-405",
                          "/429", "/403", "/loop", "/loop-a", "/redirect-404", "/redirect-ftp",
                          "/chain/0", "/chain/20"};
    ext_options o = {.timeout_ms = 5000};
    ext_stats st;
    log_clear();
    CHECK_STR(check(urls, COUNT(urls), &o, &st),
              "warning S/403: HTTP 403 (forbidden, often to robots; not treated as broken)\n"
              "error S/404: HTTP 404\n"
              "error S/410: HTTP 410\n"
              "warning S/429: HTTP 429 (rate limited; not treated as broken)\n"
              "error S/500: HTTP 500 after one retry\n"
              "error S/chain/0: too many redirects (more than 10)\n"
              "error S/loop: redirect loop through S/loop\n"
              "error S/loop-a: redirect loop through S/loop-a\n"
              "error S/redirect-404: HTTP 404 (after a redirect to S/404)\n"
              "error S/redirect-ftp: redirect to a URL that is not http(s): ftp://example.org/x\n");
    CHECK_STR(hits("/ok"), "HEAD,HEAD"); /* asked once, and once at the end of /redirect */
    CHECK_STR(hits("/redirect"), "HEAD");
    CHECK_STR(hits("/404"), "HEAD,HEAD"); /* a clear 404 gets no GET */
    CHECK_STR(hits("/410"), "HEAD");
    CHECK_STR(hits("/500"), "HEAD,GET,GET"); /* GET after HEAD, then the one retry */
    CHECK(gap_ms("/500", 1) >= 450);
    CHECK_STR(hits("/head-405"), "HEAD,GET");
    CHECK_STR(hits("/429"), "HEAD");         /* no Retry-After: no second try */
    CHECK_STR(hits("/403"), "HEAD,GET");
    CHECK_STR(hits("/loop"), "HEAD");
    CHECK_STR(hits("/loop-b"), "HEAD");
    CHECK_STR(hits("/chain/10"), "HEAD");    /* 10 redirects followed ... */
    CHECK_STR(hits("/chain/11"), "");        /* ... and not the 11th */
    CHECK_STR(hits("/chain/30"), "HEAD");    /* exactly 10 is fine */
    CHECK_INT(st.urls, 14);
    CHECK_INT(st.pages, 14);
    CHECK_INT(st.cached, 0);
    CHECK_INT(st.requests, 41);
    CHECK_INT(st.requests, total_hits());
    CHECK_INT(st.retries, 1);
    CHECK_INT(st.errors, 8);
    CHECK_INT(st.warnings, 2);
}

static void test_retries(void)
{
    ext_stats st;
    const char *flaky[] = {"/flaky"};
    log_clear();
    CHECK_STR(check(flaky, 1, NULL, &st), "");
    CHECK_STR(hits("/flaky"), "HEAD,GET,GET"); /* 500, 500, then 200 after the backoff */
    CHECK(gap_ms("/flaky", 1) >= 450);
    CHECK_INT(st.retries, 1);
    CHECK_INT(st.requests, 3);

    const char *after[] = {"/429-after"}; /* 429 with Retry-After: 1, then 200 */
    log_clear();
    CHECK_STR(check(after, 1, NULL, &st), "");
    CHECK_STR(hits("/429-after"), "HEAD,HEAD");
    CHECK(gap_ms("/429-after", 0) >= 950);
    CHECK_INT(st.retries, 1);

    const char *slow[] = {"/slow"}; /* answers after 3 s */
    ext_options o = {.timeout_ms = 500};
    log_clear();
    long long t0 = mono_ms();
    CHECK_STR(check(slow, 1, &o, &st), "error S/slow: timed out after 0.5 s\n");
    long long took = mono_ms() - t0;
    /* 0.5 s, the 0.5 s backoff, 0.5 s again; no upper bound on the clock (a loaded machine
     * stretches it): the message above says the 3 s answer was cut short */
    CHECK(took >= 1400);
    CHECK_STR(hits("/slow"), "HEAD,GET");
    CHECK_INT(st.retries, 1);
    CHECK_INT(st.errors, 1);
}

/* A port with nothing listening: bound and held (*fd), never listened on, so connections are
 * refused. Closing it at once would let another process that runs meanwhile (the browser
 * tests serve on 127.0.0.1 too) be given the same port. */
static int closed_port(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    int port = 0;
    if (*fd >= 0 && bind(*fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(*fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    return port;
}

static void test_no_server(void)
{
    ext_stats st;
    char url[64], want[160];
    int held;
    int port = closed_port(&held);
    CHECK(port > 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
    snprintf(want, sizeof want, "error %s: cannot connect to 127.0.0.1 port %d\n", url, port);
    const char *refused[] = {url};
    CHECK_STR(check(refused, 1, NULL, &st), want);
    CHECK_INT(st.requests, 2); /* a connection error is retried once */
    CHECK_INT(st.retries, 1);
    if (held >= 0) close(held);

    const char *invalid[] = {"http://refpress-test.invalid/"};
    ext_options o = {.timeout_ms = 5000};
    CHECK_STR(check(invalid, 1, &o, &st),
              "error http://refpress-test.invalid/: cannot resolve host refpress-test.invalid\n");
    CHECK_INT(st.requests, 1); /* a name that does not resolve is final */
    CHECK_INT(st.retries, 0);
}

/* Bad and hostile URLs: reported, never a crash, never a request to anywhere but ours. */
static void test_hostile(void)
{
    ext_stats st;
    CHECK_STR(check(NULL, 0, NULL, &st), "");
    CHECK_INT(st.urls, 0);
    const char *none[] = {NULL, NULL};
    CHECK_STR(check(none, 2, NULL, &st), "");
    const char *urls[] = {"ftp://example.org/x", "javascript:alert(1)", "http://",
                          "https://exa mple.org/", "/sp ace/\xC3\xA9?q=a b#f", "/ctl\x01z",
                          "HTTP://127.0.0.1:1/", ""};
    char upper[80];
    snprintf(upper, sizeof upper, "HTTP://127.0.0.1:%d/ok", srv.port);
    urls[6] = upper;
    log_clear();
    CHECK_STR(check(urls, COUNT(urls), NULL, &st),
              "error : not an http(s) URL\n"
              "error ftp://example.org/x: not an http(s) URL\n"
              "error http://: malformed URL\n"
              "error S/ctl\x01z: HTTP 404\n"
              "error S/sp ace/\xC3\xA9?q=a b#f: HTTP 404\n"
              "error https://exa mple.org/: malformed URL\n"
              "error javascript:alert(1): not an http(s) URL\n");
    CHECK_STR(hits("/sp ace/\xC3\xA9"), "HEAD"); /* sent encoded, decoded by the server */
    CHECK_STR(hits("/ok"), "HEAD");              /* the scheme in capitals is fine */
    CHECK_INT(st.urls, 8);
    CHECK_INT(st.pages, 3);

    /* 100 kB of path: the server refuses it, and the report carries the URL whole */
    char *huge = xcalloc(100001, 1);
    memcpy(huge, "/long/", 6);
    memset(huge + 6, 'x', 99994);
    const char *big[] = {huge};
    const char *got = check(big, 1, NULL, &st);
    CHECK(strncmp(got, "error S/long/xxx", 16) == 0);
    CHECK(strlen(got) == 6 + 1 + 100000 + 2 + strlen("HTTP 414") + 1);
    CHECK(str_ends_with(got, "xxx: HTTP 414\n"));
    free(huge);
}

/* ---------------------------------------------------------------------------------------- */
/* Fragments                                                                                */

static void test_fragments(void)
{
    const char *urls[] = {"/ids#a", "/ids#b", "/ids#n", "/ids#zz", "/ids#caf%C3%A9",
                          "/ids#caf\xC3\xA9", "/ids#top", "/ids#TOP", "/ids#", "/ids#:~:text=x",
                          "/ids#a:~:text=x", "/ids#zz:~:text=x", "/ids#%ZZ", "/ids#%00",
                          "/ids#q\x01", "/text#x", "/404#a", "/latin1#caf%C3%A9",
                          "/no-type#a", "/no-type#q", "/ids"};
    ext_options o = {.fragments = true};
    ext_stats st;
    log_clear();
    CHECK_STR(check(urls, COUNT(urls), &o, &st),
              "error S/404#a: HTTP 404\n"
              "error S/ids#%00: no element with id \"%00\" in the fetched page\n"
              "error S/ids#%ZZ: no element with id \"%ZZ\" in the fetched page\n"
              "error S/ids#q\x01: no element with id \"q%01\" in the fetched page\n"
              "error S/ids#zz: no element with id \"zz\" in the fetched page\n"
              "error S/ids#zz:~:text=x: no element with id \"zz\" in the fetched page\n"
              "error S/no-type#q: no element with id \"q\" in the fetched page\n");
    CHECK_STR(hits("/ids"), "GET");   /* one GET for every fragment asked of the page */
    CHECK_STR(hits("/text"), "GET");  /* not HTML: fragment not looked for */
    CHECK_STR(hits("/404"), "GET");
    CHECK_STR(hits("/latin1"), "GET");
    CHECK_INT(st.urls, 21);
    CHECK_INT(st.pages, 5);
    CHECK_INT(st.fragments_unchecked, 2); /* /text#x, /404#a */
    CHECK_INT(st.errors, 7);

    /* without --external-fragments a fragment is not looked for, and HEAD is enough */
    const char *plain[] = {"/ids#zz", "/ids#a"};
    log_clear();
    CHECK_STR(check(plain, 2, NULL, &st), "");
    CHECK_STR(hits("/ids"), "HEAD");
    CHECK_INT(st.pages, 1);
}

/* ---------------------------------------------------------------------------------------- */
/* Limits                                                                                   */

/* The most requests the server had inside /hold/N at once, for 8 such URLs. */
static int most_at_once(int max_connections, int per_host)
{
    const char *urls[] = {"/hold/1", "/hold/2", "/hold/3", "/hold/4",
                          "/hold/5", "/hold/6", "/hold/7", "/hold/8"};
    ext_options o = {.max_connections = max_connections, .per_host = per_host};
    ext_stats st;
    log_clear();
    const char *got = check(urls, COUNT(urls), &o, &st);
    CHECK_STR(got, "");
    CHECK_INT(st.requests, 8);
    pthread_mutex_lock(&srv.mu);
    int most = srv.max_active;
    pthread_mutex_unlock(&srv.mu);
    return most;
}

static void test_limits(void)
{
    CHECK_INT(most_at_once(0, 0), 2);  /* the default per-host limit */
    CHECK_INT(most_at_once(16, 3), 3);
    CHECK_INT(most_at_once(1, 4), 1);  /* the total limit */
    CHECK_INT(most_at_once(8, 8), 8);  /* all at once, as the server saw them */
}

/* ---------------------------------------------------------------------------------------- */
/* The cache                                                                                */

static char tmpdir[64];

static char *read_text(const char *path)
{
    size_t len;
    char *s = fs_read(path, 1 << 20, &len);
    return s ? s : xstrdup("(unreadable)");
}

/* A cache file's text with the server's address shown as "S". */
static const char *cache_text(const char *path)
{
    static buf_t b;
    char *s = read_text(path);
    buf_clear(&b);
    size_t blen = strlen(srv.base);
    for (const char *p = s; *p;) {
        if (strncmp(p, srv.base, blen) == 0) {
            buf_putc(&b, 'S');
            p += blen;
        } else {
            buf_putc(&b, *p++);
        }
    }
    free(s);
    return buf_cstr(&b);
}

static void test_cache_expiry(const char *path);

static void test_cache(void)
{
    char *path = xasprintf("%s/links.cache", tmpdir);
    const char *urls[] = {"/redirect", "/ok", "/404", "/ids#a", "/ids#zz", "/429"};
    const char *want = "error S/404: HTTP 404\n"
                       "warning S/429: HTTP 429 (rate limited; not treated as broken)\n"
                       "error S/ids#zz: no element with id \"zz\" in the fetched page\n";
    ext_options o = {.fragments = true, .cache_path = path, .now = 1700000000};
    ext_stats st;
    log_clear();
    CHECK_STR(check(urls, COUNT(urls), &o, &st), want);
    CHECK_INT(st.cached, 0);
    const char *file = "S/ids#a\t200\t1700000000\nS/ok\t200\t1700000000\n"
                       "S/redirect\t200\t1700000000\n";
    CHECK_STR(cache_text(path), file); /* successes only, sorted */
    char *first = read_text(path);

    /* a second run: no request for what is cached; the rest asked again */
    o.now += 100;
    log_clear();
    CHECK_STR(check(urls, COUNT(urls), &o, &st), want);
    CHECK_STR(hits("/ok"), "");
    CHECK_STR(hits("/redirect"), "");
    CHECK_STR(hits("/404"), "HEAD");
    CHECK_STR(hits("/429"), "HEAD");
    CHECK_STR(hits("/ids"), "GET"); /* #zz is not cached, so the page is fetched */
    CHECK_INT(st.cached, 2);
    file = "S/ids#a\t200\t1700000100\nS/ok\t200\t1700000000\nS/redirect\t200\t1700000000\n";
    CHECK_STR(cache_text(path), file); /* cached answers keep their time; #a was checked anew */
    char *second = read_text(path);
    CHECK(strcmp(first, second) != 0);
    free(first);
    first = second;
    CHECK_STR(check(urls, COUNT(urls), &o, &st), want);
    second = read_text(path);
    CHECK_STR(second, first);       /* the same run again: the same bytes */

    /* a run about one URL keeps the other fresh entries */
    const char *one[] = {"/ok"};
    log_clear();
    CHECK_STR(check(one, 1, &o, &st), "");
    CHECK_INT(total_hits(), 0);
    CHECK_INT(st.cached, 1);
    CHECK_STR(cache_text(path), file);

    free(first);
    free(second);
    test_cache_expiry(path);
    free(path);
}

/* After test_cache: expiry by age, and cache_max_age. */
static void test_cache_expiry(const char *path)
{
    const char *one[] = {"/ok"};
    ext_options o = {.cache_path = path};
    ext_stats st;
    /* a day later: /ok has expired and is asked again; /redirect is dropped; #a (checked
     * 100 s later) is still fresh */
    o.now = 1700000000 + 86400;
    log_clear();
    CHECK_STR(check(one, 1, &o, &st), "");
    CHECK_STR(hits("/ok"), "HEAD");
    CHECK_INT(st.cached, 0);
    CHECK_STR(cache_text(path), "S/ids#a\t200\t1700000100\nS/ok\t200\t1700086400\n");
    o.now += 5;
    o.cache_max_age = 10;
    log_clear();
    CHECK_STR(check(one, 1, &o, &st), "");
    CHECK_INT(total_hits(), 0);
    o.now += 5;  /* age 10 of 10: expired */
    log_clear();
    CHECK_STR(check(one, 1, &o, &st), "");
    CHECK_STR(hits("/ok"), "HEAD");
}

/* A cache written by hand: odd lines ignored, a time in the future not trusted, an entry for
 * a URL that is now broken dropped, fresh entries trusted as they are. */
static void test_cache_hostile(void)
{
    char *path = xasprintf("%s/hand.cache", tmpdir);
    buf_t b = BUF_INIT;
    const char *base = srv.base;
    buf_printf(&b, "garbage\n\t200\t1\n%s/ok\t404\t1000\n%s/redirect\t200\t5000\n", base, base);
    buf_printf(&b, "%s/410\t200\t990\r\n%s/404\t200\t995\n%s/500\t200\t990\textra\n", base,
               base, base);
    buf_printf(&b, "%s/429\t2x0\t990\n%s/403\t200\t99999999999999999999\n", base, base);
    buf_printf(&b, "%s/nul\t200\t990\n", base);
    b.ptr[b.len - 9] = '\0'; /* a NUL byte inside the last line */
    buf_printf(&b, "%s/zz\t200\t999", base); /* no final newline */
    CHECK_INT(fs_write(path, b.ptr, b.len), 0);
    buf_free(&b);
    const char *urls[] = {"/ok", "/redirect", "/410", "/404", "/404#b", "/500"};
    ext_options o = {.fragments = true, .cache_path = path, .now = 1000, .timeout_ms = 5000};
    ext_stats st;
    log_clear();
    CHECK_STR(check(urls, COUNT(urls), &o, &st),
              "error S/404: HTTP 404\n"           /* /404#b is not cached: the page is asked */
              "error S/404#b: HTTP 404\n"
              "error S/500: HTTP 500 after one retry\n");
    CHECK_STR(hits("/ok"), "HEAD,HEAD");          /* a cached 404 is no entry; /redirect */
    CHECK_STR(hits("/redirect"), "HEAD");         /* written in the future: not trusted */
    CHECK_STR(hits("/410"), "");                  /* fresh (CRLF is fine): trusted */
    CHECK_STR(hits("/404"), "GET");
    CHECK_INT(st.cached, 1);
    CHECK_STR(cache_text(path), "S/410\t200\t990\nS/ok\t200\t1000\nS/redirect\t200\t1000\n"
                                "S/zz\t200\t999\n");
    free(path);
}

static void test_cache_errors(void)
{
    const char *one[] = {"/ok"};
    ext_options o = {.cache_path = "/nonexistent-refpress-dir/links.cache", .now = 1000};
    ext_stats st;
    CHECK_STR(check(one, 1, &o, &st),
              "warning (run): cannot write the link cache /nonexistent-refpress-dir/links.cache: "
              "No such file or directory\n");
    CHECK_INT(st.errors + st.warnings, 0); /* not about a link */
    char *dir = xasprintf("%s/adir", tmpdir);
    CHECK_INT(fs_mkdirs(dir), 0);
    o.cache_path = dir;
    buf_t want = BUF_INIT;
    buf_printf(&want, "warning (run): cannot read the link cache %s: Is a directory\n"
                      "warning (run): cannot write the link cache %s: Is a directory\n", dir, dir);
    CHECK_STR(check(one, 1, &o, &st), want.ptr);
    buf_free(&want);
    size_t n = 0;
    fs_entry *e = NULL;
    CHECK_INT(fs_list(tmpdir, &e, &n), 0);
    for (size_t i = 0; i < n; i++) /* no temporary file left behind */
        CHECK(strstr(e[i].name, ".cache.") == NULL && strstr(e[i].name, "adir.") == NULL);
    fs_entries_free(e, n);
    free(dir);
}

/* ---------------------------------------------------------------------------------------- */
/* lc_site_each_external                                                                    */

static void on_external(void *ud, const lc_link *l, const char *url)
{
    buf_printf(ud, "%s:%d: %s %s=%s -> %s\n", l->page, l->html_line, l->element, l->attr,
               l->href, url);
}

static const char page_with_base[] =
    "<!doctype html>\n"
    "<html><head><base href=\"https://Base.example/dir/sub/\"><title>t</title></head><body>\n"
    "<a href=\"../up#frag\">1</a>\n"
    "<a href=\" https://Example.ORG/a/./b/../c?q=1#x \">2</a>\n"
    "<img src=\"//cdn.example.net/i.png\" alt=\"\">\n"
    "<a href=\"https://site.example/blog/p/\">ours</a>\n"
    "<a href=\"https://ignored.example/x\">ignored</a>\n"
    "<div data-refpress-ignore><a href=\"https://inside.example/\">x</a></div>\n"
    "<a href=\"mailto:a@b.org\">m</a> <a href=\"ftp://f.example/\">f</a>\n"
    "<a href=\"/local/\">local</a>\n"
    "<img srcset=\"https://img.example/1.png 1x, https://img.example/2.png 2x\" alt=\"\">\n"
    "<a href=\"https://x.org\">again</a>\n"
    "</body></html>\n";

static void test_each_external(void)
{
    lc_site *site = lc_site_new();
    lc_site_add_page(site, lc_page_parse(page_with_base, strlen(page_with_base), "index.html"));
    const char *other = "<p><a href=\"https://x.org\">x</a> <a href=\"index.html\">home</a>\n"
                        "<a href=\"https://cdn.example.org/static/a.css\">ours too</a></p>";
    lc_site_add_page(site, lc_page_parse(other, strlen(other), "tech/a.html"));
    lc_site_add_file(site, "assets/a.css");
    const char *ignore[] = {"ignored.example"};
    lc_map maps[] = {{"https://cdn.example.org/static/", "assets/"}};
    lc_options o = {.base_url = "https://site.example/blog/", .ignore = ignore, .nignore = 1,
                    .maps = maps, .nmaps = 1};
    diag_list before = DIAG_LIST_INIT, after = DIAG_LIST_INIT;
    lc_stats st;
    lc_site_check(site, &o, NULL, NULL, &before, &st);
    buf_t got = BUF_INIT;
    lc_site_each_external(site, &o, on_external, &got);
    CHECK_STR(buf_cstr(&got),
              "index.html:3: a href=../up#frag -> https://base.example/dir/up#frag\n"
              "index.html:4: a href=https://Example.ORG/a/./b/../c?q=1#x -> "
              "https://example.org/a/c?q=1#x\n"
              "index.html:5: img src=//cdn.example.net/i.png -> https://cdn.example.net/i.png\n"
              "index.html:10: a href=/local/ -> https://base.example/local/\n"
              "index.html:11: img srcset=https://img.example/1.png -> https://img.example/1.png\n"
              "index.html:11: img srcset=https://img.example/2.png -> https://img.example/2.png\n"
              "index.html:12: a href=https://x.org -> https://x.org/\n"
              "tech/a.html:1: a href=https://x.org -> https://x.org/\n");
    CHECK_INT(st.external, 8);
    lc_stats st2;
    lc_site_check(site, &o, NULL, NULL, &after, &st2);
    CHECK_INT(after.len, before.len); /* lc_site_check is unaffected */
    for (size_t i = 0; i < before.len && i < after.len; i++)
        CHECK_STR(after.items[i].message, before.items[i].message);
    CHECK_INT(st2.external, 8);
    buf_clear(&got);
    lc_site_each_external(site, NULL, on_external, &got); /* no options: all http(s) links */
    CHECK(strstr(buf_cstr(&got), "-> https://site.example/blog/p/\n") != NULL);
    CHECK(strstr(buf_cstr(&got), "-> https://ignored.example/x\n") != NULL);
    CHECK(strstr(buf_cstr(&got), "inside.example") == NULL); /* data-refpress-ignore */
    buf_free(&got);
    diag_list_free(&before);
    diag_list_free(&after);
    lc_site_free(site);
}

/* ext_check_site: a site's external links checked, each problem reported at every place the
 * URL is written, placed by the locate callback (as the build places them in Markdown). */
static void locate_md(void *ud, const lc_link *l, const char **file, int *line, int *col,
                      buf_t *note)
{
    *file = "content/a.md";
    *line = 10 + l->html_line;
    *col = 3;
    buf_puts(note, "test");
}

static void test_check_site(void)
{
    char html[512];
    snprintf(html, sizeof html,
             "<a href=\"%s/ok\">ok</a>\n<a href=\"%s/404\">gone</a>\n"
             "<a href=\"%s/403\">blocked</a>\n<a href=\"%s/404\">gone again</a>\n",
             srv.base, srv.base, srv.base, srv.base);
    lc_site *site = lc_site_new();
    lc_site_add_page(site, lc_page_parse(html, strlen(html), "index.html"));
    diag_list dl = DIAG_LIST_INIT;
    ext_stats st = {0};
    ext_options opt = {0};
    ext_check_site(site, NULL, &opt, locate_md, NULL, &dl, &st);
    buf_t got = BUF_INIT;
    for (size_t i = 0; i < dl.len; i++) diag_format(&dl.items[i], &got);
    char want[1024];
    snprintf(want, sizeof want,
             "content/a.md:12:3: error: link to %s/404: HTTP 404 (test)\n"
             "content/a.md:13:3: warning: link to %s/403: HTTP 403 (forbidden, often to robots; "
             "not treated as broken) (test)\n"
             "content/a.md:14:3: error: link to %s/404: HTTP 404 (test)\n",
             srv.base, srv.base, srv.base);
    CHECK_STR(buf_cstr(&got), want);
    CHECK_INT(st.urls, 3);
    CHECK_INT(dl.errors, 2);
    CHECK_INT(dl.warnings, 1);
    buf_free(&got);
    diag_list_free(&dl);
    lc_site_free(site);
}

int main(void)
{
    static const char *const proxies[] = {"http_proxy", "HTTP_PROXY", "https_proxy",
                                          "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < COUNT(proxies); i++) unsetenv(proxies[i]); /* straight to us */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/refpress-external-XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
    test_each_external();
    if (!server_start()) {
        fprintf(stderr, "cannot start the test server on 127.0.0.1\n");
        return 1;
    }
    test_answers();
    test_check_site();
    test_retries();
    test_no_server();
    test_hostile();
    test_fragments();
    test_limits();
    test_cache();
    test_cache_hostile();
    test_cache_errors();
    server_stop();
    ext_global_cleanup();
    fs_remove_tree(tmpdir);
    buf_free(&reports);
    return harness_done();
}
