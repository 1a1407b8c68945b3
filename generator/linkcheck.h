/* linkcheck.h — link validation of built HTML: parse pages, then check every link against the
 * set of files of the site, with diagnostics mapped back to their source. */
#ifndef REFPRESS_LINKCHECK_H
#define REFPRESS_LINKCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "diag.h"

/* How it is used. While the build renders, each worker thread calls lc_page_parse() on the
 * HTML it has just produced (no second read of the output). One thread then adds every page
 * and every other output file to an lc_site and calls lc_site_check(), which looks each link
 * up in hash sets, the pages shared among threads. `refpress check --html DIR` does all of it
 * with lc_check_folder().
 *
 * What is checked (libxml2's HTML parser, never regular expressions):
 *   a/area[href], link[href] (not rel=dns-prefetch/preconnect), img/source[src, srcset],
 *   script/iframe/video/audio/embed[src], video[poster], meta[property=og:image][content]
 *   and meta[http-equiv=refresh][content]. Elements with data-refpress-ignore or
 *   data-proofer-ignore, and everything inside them, are not checked (their ids still count
 *   as targets, and their links still count against orphans).
 * Links resolve as a static host serves files: against the page URL or its <base href>,
 *   percent-decoded (UTF-8) before the lookup, query ignored; "dir/" and "dir" mean
 *   dir/index.html ("dir" gets a warning); ".html" is never guessed. file: URLs are errors;
 *   mailto: and tel: are checked for syntax; other schemes (javascript:, data:, ftp: ...) are
 *   skipped, as are http(s) URLs outside the base URL and the maps (no network here).
 * Fragments: "", "top" (any case), "#/route", "#!x" and text directives (":~:") always pass;
 *   a plain "#id" naming an id of the page itself is settled when the page is parsed, so a
 *   page kept for the site check does not hold its table of contents;
 *   otherwise the raw fragment, then its percent-decoded form, must equal an id (or <a name>)
 *   of the target page, case-sensitively. Fragments on files that are not parsed pages (a PDF,
 *   HTML added with lc_site_add_file) are not checked.
 * Warnings: a folder link without its trailing slash, an empty URL attribute, a
 *   protocol-relative URL, duplicate ids, id="", img without alt, a page that is not valid
 *   UTF-8, and orphan pages (parsed pages no other page links to, except the root
 *   index.html and 404.html, and redirect pages, which carry <meta http-equiv=refresh>).
 * Messages are compiler style and quote the URL as written (control and invisible
 * characters and bad bytes as %XX, at most 200 bytes):
 *   link to ../rust/#ownership: no element with id "ownership" in /tech/rust/
 *   link to /tech/missing/: no such page (/tech/missing/index.html does not exist)
 *   image /img/a.png: no such file
 *   link to /about: no such file (did you mean /about.html?)
 *   link to /x/: outside the site (not under /docs/)
 *   link to file:///etc/passwd: file: URLs do not work on a web site
 *   mailto:bob@: invalid e-mail address
 *   link to https;//example.org: malformed URL
 *   link to /a%E2%80%8Bb/: malformed URL (invisible character U+200B)
 *   warning: link to /guides: a folder needs a trailing slash (/guides/)
 *   warning: script //cdn.example.org/x.js: protocol-relative URL (write https://)
 *   warning: link with an empty href
 *   warning: duplicate id "intro" (first at line 12)
 *   warning: empty id attribute
 *   warning: image without alt text
 *   warning: no page links here (orphan)
 * ("link to" becomes "image", "script", "frame", "media" or "redirect to" by element.) */

typedef struct lc_page lc_page;
typedef struct lc_site lc_site;

/* URLs under prefix are files under path. prefix is a URL path ("/docs/") or an absolute
 * http(s) URL ("https://cdn.example.org/static/"); path is a folder of the checked root
 * ("." or "" for the root itself, "assets/"). A missing trailing slash is implied on both.
 * When a map (or the path of base_url) sends a prefix to the root, absolute paths under no
 * prefix are outside the site and reported as such. */
typedef struct lc_map {
    const char *prefix;
    const char *path;
} lc_map;

/* Every field may be zero. All strings are borrowed for the duration of the call. */
typedef struct lc_options {
    /* "https://example.org/blog/": absolute http(s) URLs with this scheme, host and path
     * prefix are internal, and the site is served under its path (here /blog/). */
    const char *base_url;
    /* Links to skip. A pattern with none of * ? [ matches a URL that contains it; otherwise it
     * is an fnmatch(3) glob (flags 0, so * also matches '/') against the whole URL. Each link is
     * tried as written (trimmed) and, once resolved, as an absolute URL ("/tech/go/#x" or
     * "https://host/p"). Skipped links still count as links for orphans. */
    const char *const *ignore;
    size_t nignore;
    const lc_map *maps;
    size_t nmaps;
    /* Warnings count as failures in lc_stats.failures; the caller picks the exit code. */
    bool strict;
    /* Threads for lc_check_folder's parsing and for lc_site_check; 0 = one per CPU. */
    int jobs;
    /* lc_check_folder calls this (when set) after its check, with these options, the checked
     * site and the findings so far, so more checks can run on the same site (external
     * links). */
    void (*after_check)(void *ud, const struct lc_options *opt, lc_site *site, diag_list *dl);
    void *after_ud;
} lc_options;

/* What lc_site_check did; every count is for that call only. */
typedef struct lc_stats {
    size_t pages;     /* parsed pages checked */
    size_t files;     /* other files known */
    size_t links;     /* URLs looked at (each srcset candidate counts) */
    size_t internal;  /* of which resolved inside the site and looked up */
    size_t external;  /* of which http(s) outside the site: not checked */
    size_t skipped;   /* of which ignored (pattern or data-*-ignore) or another scheme */
    size_t errors, warnings;
    size_t failures;  /* errors, plus warnings when options.strict */
} lc_stats;

/* The element a finding is about, handed to the locate callback. Every string is borrowed
 * for the duration of the call and never NULL.
 *   href       the URL as written (one srcset candidate); for a duplicate or empty id the id;
 *              for an image without alt its src; "" for an orphan page
 *   page       the page path, "tech/go/index.html"
 *   html_line  line of the element in the page's HTML (the line of its closing '>', as
 *              xmlGetLineNo); 0 for an orphan page
 *   element    "a", "img" ... (the tag of the element holding an id); "" for an orphan page
 *   attr       "href", "src", "srcset", "poster", "content", "id", "alt"; "" for an orphan
 *   src_line, src_col  the source position lc_page_map_sources gave the element; 0, 0 when
 *              none was given */
typedef struct lc_link {
    const char *href;
    const char *page;
    int html_line;
    const char *element;
    const char *attr;
    int src_line, src_col;
} lc_link;

/* Maps a finding to its source position. *file, *line and *col arrive set to the defaults
 * (page path, html_line, 0); the callback may overwrite them. A *file it sets must stay valid
 * until the callback returns to lc_site_check (which copies it). Text the callback appends to
 * note (which arrives empty) ends the message in parentheses: "… (in /tech/go/)". */
typedef void (*lc_locate_fn)(void *ud, const lc_link *link, const char **file, int *line,
                             int *col, buf_t *note);

/* Initialises libxml2 once (xmlInitParser). lc_page_parse calls it itself, so calling it
 * first is only needed before other threads use libxml2. Thread-safe. */
void lc_global_init(void);

/* Parses one page of HTML (any encoding libxml2 knows: a declared charset is honoured, UTF-8
 * otherwise) and keeps only what checking needs: ids, links, <base href>. path is the page's
 * path relative to the site root ("tech/go/index.html"; a leading '/' is dropped). Never
 * fails: input libxml2 cannot make sense of yields a page with fewer links. Thread-safe.
 * Caller frees with lc_page_free(), or hands it to lc_site_add_page(). */
lc_page *lc_page_parse(const char *html, size_t len, const char *path);
/* A part of a page whose links and ids the caller knows because it wrote that HTML itself
 * (Markdown that cmark-gfm rendered, a chart): off and len place it in the page; items are
 * its elements with a link or an id, in document order, each with the number of newlines in
 * the part before the element's closing '>'. An image always has alt text; a link or image
 * is not inside a data-*-ignore element of the part. */
typedef enum { LC_PART_LINK, LC_PART_IMAGE, LC_PART_ID } lc_part_kind;
typedef struct lc_part_item {
    lc_part_kind kind;  /* <a href=str>, <img src=str alt>, <tag id=str> */
    const char *str;
    const char *tag;    /* LC_PART_ID: the element's name ("h2", "title") */
    int line;
} lc_part_item;
typedef struct lc_part {
    size_t off, len;
    const lc_part_item *items;
    size_t nitems;
} lc_part;

/* lc_page_parse for a page with parts (sorted by off, not overlapping) whose links and ids
 * are given: libxml2 reads the page with each part replaced by a processing instruction and
 * the part's newlines, and the part's items are added where the instruction is met. The page
 * comes out as lc_page_parse would make it: when a part is not met where its HTML would have
 * been parsed as elements (inside <script>, a comment or an attribute value) or lies inside
 * a data-*-ignore element, the whole page is parsed instead. */
lc_page *lc_page_parse_parts(const char *html, size_t len, const char *path,
                             const lc_part *parts, size_t nparts);

/* Pieces of template output that come back (a site's header and footer, a table of contents
 * written twice) need libxml2's work once. A cache per thread remembers the pieces it was
 * shown, and from the second time it meets the same bytes it has them read alone once and
 * knows their items. A piece is used only when libxml2 reads it the same wherever it stands:
 * every element it opens it closes with its own end tag (or is void), it leaves no comment,
 * tag or <script> open, libxml2 finds no error in it but tags HTML 4 does not know, and its
 * links and ids are all items a part can hold (lc_part), none inside a data-*-ignore element.
 * Like any part, it is parsed whole instead when it stands where it would not be parsed as
 * elements, or inside an ignored element. */
typedef struct lc_piece_cache lc_piece_cache;
lc_piece_cache *lc_piece_cache_new(void);
void lc_piece_cache_free(lc_piece_cache *c);
/* Of the n pieces of the page html[0..len) at pieces[i].off, .len (items unused), writes to
 * out (room for n) those usable as parts, with their items, and returns how many; in the
 * order given, nested ones included. None for a page that declares a charset other than
 * UTF-8. The items are the cache's, valid until its next call. */
size_t lc_piece_parts(lc_piece_cache *c, const char *html, size_t len, const lc_part *pieces,
                      size_t n, lc_part *out);
void lc_page_free(lc_page *page);
/* Borrowed; valid until the page is freed. */
const char *lc_page_path(const lc_page *page);
/* Number of URLs found in the page (each srcset candidate counts). */
size_t lc_page_link_count(const lc_page *page);

/* Lets a caller that knows where the page came from record, while the page is parsed and its
 * source is at hand, the source position of each link and of each id problem (a duplicate
 * or empty id): fn is called once for each, in document order, with the URL as the locate
 * callback will get it (trimmed; one srcset candidate) or the id, and returns true after
 * setting *line and *col. The position reaches the locate callback as src_line/src_col. */
typedef bool (*lc_source_fn)(void *ud, bool is_id, const char *str, int *line, int *col);
void lc_page_map_sources(lc_page *page, lc_source_fn fn, void *ud);

/* Caller frees with lc_site_free(), which frees the pages it holds. */
lc_site *lc_site_new(void);
void lc_site_free(lc_site *site);
/* A file of the output that is not a parsed page (CSS, image, PDF, or HTML not parsed).
 * path as for lc_page_parse. Adding a path twice is harmless. */
void lc_site_add_file(lc_site *site, const char *path);
/* Takes ownership of page. A second page with the same path replaces the first. */
void lc_site_add_page(lc_site *site, lc_page *page);

/* Checks every link of every page and adds one diagnostic per finding to dl, sorted among
 * themselves (diag_list_sort), after whatever dl held. locate may be NULL (positions are then
 * the page path and the HTML line). opt may be NULL; invalid base_url or maps (see
 * lc_options_error) are ignored. stats may be NULL. Pages are checked on opt->jobs threads,
 * so locate must be safe to call from several threads at once (for different pages); the
 * findings are the same for any number. The site is not changed except for orphan
 * bookkeeping, so calling it twice gives the same findings. */
void lc_site_check(lc_site *site, const lc_options *opt, lc_locate_fn locate, void *ud,
                   diag_list *dl, lc_stats *stats);

/* Calls fn once for every http(s) link that lc_site_check would count as external (outside
 * the base URL and the maps, not ignored by a pattern or data-*-ignore), in page order and
 * then document order, duplicates included. link is as the locate callback gets it (href as
 * written, page, html_line, element, attr); absolute_url is the link resolved against the
 * page or its <base href>, scheme and host in lower case, dot segments removed, query and
 * fragment kept ("https://example.org/a/b?q#frag"). Both are borrowed for the call. opt as
 * for lc_site_check. Single-threaded; reports nothing and leaves the site as it was (other
 * than the orphan bookkeeping, which lc_site_check redoes). */
typedef void (*lc_external_fn)(void *ud, const lc_link *link, const char *absolute_url);
void lc_site_each_external(lc_site *site, const lc_options *opt, lc_external_fn fn, void *ud);

/* NULL when base_url and every map are usable; otherwise a message for the command line
 * ("--base-url ftp://x: not an http(s) URL"), which the caller frees. */
char *lc_options_error(const lc_options *opt);

/* The whole of `refpress check --html DIR`: walks dir in sorted order (dot files included;
 * symbolic links followed only when they stay inside dir, otherwise noted and skipped),
 * parses every .html/.htm file on opt->jobs threads, adds every other file, checks, and
 * appends the findings to dl with file names relative to dir. Returns false only when dir
 * cannot be read (with a diagnostic); unreadable files inside it are errors in dl. */
bool lc_check_folder(const char *dir, const lc_options *opt, diag_list *dl, lc_stats *stats);

/* Pieces exposed for tests and for the build's locate callback. */

/* Appends everything the parse of page kept, a line each: its links and problems in
 * document order (kind, element, attribute, HTML line, first line of a duplicate id, text),
 * then its <base href>, whether it redirects, how many links to its own ids were settled
 * while parsing, and its ids in sorted order. Two pages with the same description check the
 * same. */
void lc_page_describe(const lc_page *page, buf_t *out);

/* Splits a srcset attribute per the HTML algorithm ("parse a srcset attribute"): appends each
 * candidate URL to out followed by a NUL byte, descriptors dropped, and returns how many.
 * "data:image/png;base64,AAA,BBB 2x" is one candidate. */
size_t lc_srcset_split(const char *srcset, buf_t *out);

/* Percent-decodes s[0..n) and appends the bytes to out. Returns false (out then holds a
 * partial result) on '%' without two hex digits after it, or on %00. */
bool lc_percent_decode(const char *s, size_t n, buf_t *out);

/* Resolves ref (a URL with no scheme: "../a/", "/x", "?q", "#f", "//host/p") against base,
 * which is an absolute path ("/tech/go/index.html") or an absolute URL ("https://h/p/").
 * Appends the result to out: "." and ".." segments (also as %2e) removed, never climbing
 * above the root, query and fragment kept. */
void lc_url_resolve(const char *base, const char *ref, buf_t *out);

#endif
