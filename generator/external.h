/* external.h — checks links to other web sites (http and https) with libcurl's multi
 * interface: bounded concurrency, a per-host limit, timeouts, one retry, a result cache. */
#ifndef REFPRESS_EXTERNAL_H
#define REFPRESS_EXTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "linkcheck.h"

/* How a URL is checked.
 *   Each distinct URL string is looked at once; URLs that differ only in their #fragment
 *   share one request. Requests go out at most max_connections at a time and at most
 *   per_host at a time to one scheme://host:port (counted by refpress itself, so queued URLs
 *   do not eat into their timeout while they wait; redirect hops count against the host they
 *   go to). User agent "refpress/VERSION (+link check)".
 *   HEAD first. 2xx is fine. 404 and 410 are final. 429 is final unless Retry-After says to
 *   wait at most 5 s (then one more try after that wait). Any other status (405, 501, 403,
 *   400, 5xx ...) is asked again with GET at once: many servers mishandle HEAD. A GET gets
 *   only the status and headers (the transfer is cut after them) unless fragments are checked.
 *   Redirects (301, 302, 303, 307, 308 with a Location) are followed hop by hop, at most 10,
 *   keeping the method, http and https only; a URL visited twice in one chain is a loop.
 *   One retry, after 500 ms (or the server's Retry-After, if longer, up to 5 s): on a 5xx
 *   answer to GET, on a timeout and on a connection error (a failed HEAD is retried as GET).
 *   A host name that does not resolve is final at once.
 *   Fragments (opt->fragments): a URL with a fragment is fetched with GET from the start, and
 *   when the answer is HTML (Content-Type with "html", or none and a body starting with '<')
 *   of at most 8 MiB, the fragment must be the id of an element, or the name of an <a>, in it:
 *   as written, or percent-decoded, as linkcheck.h does inside the site. "", "top", "#/route",
 *   "#!x" and text directives (":~:") always pass. Pages built by JavaScript often get their
 *   ids only in the browser: such links need an ignore pattern.
 * Findings, and their severity:
 *   error    HTTP 404                                  (any status that is not 2xx, 403, 429)
 *   error    HTTP 500 after one retry
 *   error    HTTP 404 (after a redirect to https://example.org/gone)
 *   error    timed out after 10 s            (also "timed out resolving host h after 10 s")
 *   error    cannot resolve host example.invalid
 *   error    cannot connect to example.org port 443
 *   error    TLS certificate problem: certificate has expired
 *   error    redirect loop through https://example.org/a
 *   error    too many redirects (more than 10)
 *   error    redirect to a URL that is not http(s): ftp://example.org/x
 *   error    no element with id "x" in the fetched page
 *   error    not an http(s) URL / malformed URL
 *   warning  HTTP 429 (rate limited; not treated as broken)
 *   warning  HTTP 403 (forbidden, often to robots; not treated as broken)
 *   warning  HTTP 999 (refused to robots; not treated as broken)    (LinkedIn's answer)
 * Cache (opt->cache_path): a text file of lines "URL\tSTATUS\tEPOCH\n", sorted by URL (byte
 *   order), replaced atomically (a temporary file in the same folder, then rename). Only
 *   successes are cached: a warning (429, 403) is asked again on every run, so that the
 *   moment a block lifts a real 404 shows, and so is an error, so that a fixed link clears at
 *   once. The key is the URL without its fragment, or with it when the fragment was checked
 *   (so "page#a" cached does not vouch for "page#b"). An entry is used while
 *   0 <= now - EPOCH < cache_max_age; a cached answer keeps its first EPOCH, so every URL is
 *   asked again at least once per cache_max_age. Expired entries are dropped when the file
 *   is written; fresh entries for URLs not asked about this time are kept. Unreadable lines
 *   are ignored. */

/* Every field may be zero. */
typedef struct ext_options {
    int max_connections;    /* requests in flight in all; 0: 16 */
    int per_host;           /* requests in flight to one scheme://host:port; 0: 2 */
    long timeout_ms;        /* per request (one hop, one try), connecting included; 0: 10000 */
    bool fragments;         /* fetch pages asked with a #fragment and look for the id */
    const char *cache_path; /* NULL: no cache; borrowed for the call */
    long cache_max_age;     /* seconds; 0: 86400 */
    long long now;          /* Unix time for cache ages; 0: the clock's (tests pass one) */
} ext_options;

/* What ext_check did. */
typedef struct ext_stats {
    size_t urls;        /* distinct URL strings given */
    size_t pages;       /* distinct pages among them (fragment removed) */
    size_t cached;      /* pages answered from the cache, with no request */
    size_t requests;    /* HTTP requests sent: redirect hops, GET after HEAD, retries */
    size_t retries;     /* of which retries after a failure */
    size_t fragments_unchecked; /* URLs whose fragment could not be looked for (not HTML,
                                   over 8 MiB, or a page that failed) */
    size_t errors, warnings;    /* reports made (not counting url == NULL ones) */
} ext_stats;

/* Called once for each URL with a problem, in byte order of the URLs, after every request
 * has finished. url is one of the strings given, exactly (the same pointer's text; borrowed
 * for the call). url == NULL: a problem of the run itself, not of a link — today only
 * "cannot read the link cache PATH: REASON" and "cannot write the link cache PATH: REASON"
 * (warnings), and "cannot initialise libcurl" (an error; nothing was checked). msg is
 * compiler style (lower case, no period); borrowed for the call. */
typedef void (*ext_report_fn)(void *ud, const char *url, diag_severity sev, const char *msg);

/* Initialises libcurl (curl_global_init) once. ext_check calls it itself; call it first only
 * when other threads may use libcurl at the same time. Thread-safe. */
void ext_global_init(void);
/* Releases libcurl's global state (curl_global_cleanup) if ext_global_init ran. Call at most
 * once, at exit, when no thread uses libcurl any more; ext_check must not be called after. */
void ext_global_cleanup(void);

/* Checks the n URLs of urls (absolute http or https URLs, as lc_site_each_external gives
 * them; NULL entries are skipped; urls may be NULL when n is 0) and calls report for each one
 * with a problem. Blocks until every request is done; one request (a redirect hop, a try)
 * never takes more than timeout_ms. opt may be NULL (every default, no cache); report and
 * stats may be NULL. Never prints, never exits. Not to be run by two threads at once with
 * the same cache_path. */
void ext_check(const char *const *urls, size_t n, const ext_options *opt, ext_report_fn report,
               void *ud, ext_stats *stats);

/* Checks the external links of a checked site (lc_site_each_external): each distinct URL once,
 * each problem reported as a diagnostic at every place the URL is written — "link to URL:
 * HTTP 404" — placed by locate (NULL: the page and its HTML line), like lc_site_check's. */
void ext_check_site(lc_site *site, const lc_options *lo, const ext_options *ext,
                    lc_locate_fn locate, void *ud, diag_list *dl, ext_stats *st);

#endif
