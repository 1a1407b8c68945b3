/* build.c — one build: load, render on worker threads, copy, swap into place. */
#include "build.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "context.h"
#include "fsutil.h"
#include "output.h"
#include "publish.h"
#include "site.h"
#include "sitecheck.h"
#include "util.h"

/* Each worker thread's own: a template engine (made by the thread on its first page), the
 * page being written, its diagnostics, and, for the link check, its cache of template output
 * (made with the engine). */
typedef struct worker {
    tpl_engine *engine;
    lc_piece_cache *pieces;
    buf_t html;
    diag_list dl;
} worker;

typedef struct render_job {
    const site *site;
    output *out;
    const build_options *opt;
    sitecheck *check;     /* NULL with --no-check */
    worker *workers;      /* one per job */
    size_t done;          /* pages rendered (atomic) */
} render_job;

static void render_one(void *ud, int wi, size_t i)
{
    render_job *job = ud;
    worker *w = &job->workers[wi];
    const site *s = job->site;
    const page *p = s->pages[i];
    if (!w->engine) {
        w->engine = context_engine_new(s);
        if (job->check) w->pieces = lc_piece_cache_new();
    }
    buf_clear(&w->html);
    page_text text = {0};
    context_parts parts = {0};
    if (context_render_page(w->engine, s, p, &w->html, &w->dl, job->check ? &text : NULL,
                            job->check ? &parts : NULL) &&
        output_write(job->out, p->out, buf_cstr(&w->html), w->html.len, &w->dl) && job->check)
        sitecheck_page(job->check, p, buf_cstr(&w->html), w->html.len, &text, &parts,
                       w->pieces);
    page_text_free(&text);
    context_parts_free(&parts);
    size_t done = __atomic_add_fetch(&job->done, 1, __ATOMIC_RELAXED);
    if (wi == 0 && job->opt->progress && (done % 64 == 0 || done == s->npages))
        job->opt->progress(job->opt->progress_ud, done, s->npages); /* the calling thread */
}

/* Renders, writes and parses back every page on jobs threads. */
static void render_all(const site *s, output *out, const build_options *opt, sitecheck *check,
                       int jobs, diag_list *dl)
{
    render_job job = {s, out, opt, check, xcalloc((size_t)jobs, sizeof(worker)), 0};
    parallel_each(s->npages, jobs, render_one, &job);
    for (int i = 0; i < jobs; i++) {
        worker *w = &job.workers[i];
        tpl_engine_free(w->engine);
        lc_piece_cache_free(w->pieces);
        buf_free(&w->html);
        diag_list_take(dl, &w->dl);
    }
    free(job.workers);
}

static void write_redirect(const site *s, output *out, sitecheck *check, const page *p,
                           const char *rel, diag_list *dl)
{
    buf_t b = BUF_INIT, url = BUF_INIT;
    buf_printf(&url, "%s%s", s->base_path, p->url + 1);
    buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"");
    buf_put_html_escaped(&b, s->language, strlen(s->language));
    buf_puts(&b, "\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    buf_put_html_escaped(&b, p->title, strlen(p->title));
    buf_puts(&b, "</title>\n<meta name=\"robots\" content=\"noindex\">\n"
                 "<meta http-equiv=\"refresh\" content=\"0; url=");
    buf_put_html_escaped(&b, url.ptr, url.len);
    buf_puts(&b, "\">\n<link rel=\"canonical\" href=\"");
    buf_printf(&b, "%s", s->base_url);
    buf_put_html_escaped(&b, p->url + 1, strlen(p->url + 1));
    buf_puts(&b, "\">\n</head>\n<body>\n<p>This page has moved to <a href=\"");
    buf_put_html_escaped(&b, url.ptr, url.len);
    buf_puts(&b, "\">");
    buf_put_html_escaped(&b, p->title, strlen(p->title));
    buf_puts(&b, "</a>.</p>\n</body>\n</html>\n");
    if (output_write(out, rel, b.ptr, b.len, dl) && check)
        sitecheck_redirect(check, p, rel, b.ptr, b.len);
    buf_free(&b);
    buf_free(&url);
}

/* sitemap.xml, feed.xml and robots.txt, unless the site ships its own. */
static void write_publishing(const site *s, output *out, diag_list *dl)
{
    static const struct {
        const char *rel;
        void (*write)(const site *, buf_t *);
    } files[] = {{"sitemap.xml", publish_sitemap},
                 {"feed.xml", publish_feed},
                 {"robots.txt", publish_robots}};
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        if (site_find_asset(s, files[i].rel)) continue;
        buf_clear(&b);
        files[i].write(s, &b);
        output_write(out, files[i].rel, b.ptr, b.len, dl);
    }
    buf_free(&b);
}

static void write_assets(const site *s, output *out, build_stats *st, diag_list *dl)
{
    for (size_t i = 0; i < s->nassets; i++) {
        const site_asset *a = &s->assets[i];
        const char *names[2] = {a->rel, a->used ? a->fingerprinted : NULL};
        for (int k = 0; k < 2; k++) {
            if (!names[k]) continue;
            bool ok = a->src ? output_copy(out, names[k], a->src, dl)
                             : output_write(out, names[k], a->data, a->size, dl);
            if (ok) st->files++;
        }
    }
}

/* The link check's options: the site's base URL when it is absolute, else its base path
 * mapped to the output root. */
static void check_options(const site *s, const build_options *opt, lc_options *lo, lc_map *map)
{
    *lo = (lc_options){0};
    lo->ignore = opt->ignore;
    lo->nignore = opt->nignore;
    lo->strict = opt->strict;
    lo->jobs = opt->jobs;
    if (str_starts_with(s->base_url, "http://") || str_starts_with(s->base_url, "https://")) {
        lo->base_url = s->base_url;
    } else if (strcmp(s->base_path, "/") != 0) {
        *map = (lc_map){s->base_path, "."};
        lo->maps = map;
        lo->nmaps = 1;
    }
}

static void run_check(sitecheck *check, output *out, const build_options *opt, build_stats *st,
                      diag_list *dl)
{
    lc_stats ls;
    ext_stats es = {0};
    ext_options eo = {0, 0, 0, opt->external_fragments, opt->external_cache, 0, 0};
    size_t nfiles;
    const char *const *files = output_files(out, &nfiles);
    size_t before = dl->errors, warned = dl->warnings;
    sitecheck_run(check, files, nfiles, opt->external ? &eo : NULL, dl, &ls, &es);
    st->external = es.urls;
    st->checked = true;
    st->links = ls.links;
    st->broken = dl->errors - before;
    st->link_warnings = dl->warnings - warned;
}

build_status build_run(const build_options *opt, build_stats *st, diag_list *dl)
{
    *st = (build_stats){0};
    site_options so = {opt->root, opt->base_url, opt->drafts, opt->jobs};
    site *s = site_load(&so, dl);
    if (!s || dl->errors) {
        site_free(s);
        diag_list_sort(dl);
        return BUILD_ERRORS;
    }
    char *out_dir = opt->out ? xstrdup(opt->out) : fs_join(opt->root, "public");
    output *out = output_begin(out_dir, dl);
    free(out_dir);
    if (!out) {
        site_free(s);
        return BUILD_IO;
    }
    int jobs = opt->jobs > 0 ? opt->jobs : cpu_count();
    if ((size_t)jobs > s->npages) jobs = s->npages ? (int)s->npages : 1;
    st->jobs = jobs;
    lc_options lo;
    lc_map map;
    check_options(s, opt, &lo, &map);
    sitecheck *check = opt->no_check ? NULL : sitecheck_new(s, &lo);
    render_all(s, out, opt, check, jobs, dl);
    st->pages = s->npages;
    for (size_t i = 0; i < s->npages; i++)
        for (size_t k = 0; k < s->pages[i]->naliases; k++, st->redirects++)
            write_redirect(s, out, check, s->pages[i], s->pages[i]->aliases[k], dl);
    write_publishing(s, out, dl);
    write_assets(s, out, st, dl);
    if (check && !dl->errors) run_check(check, out, opt, st, dl);
    sitecheck_free(check);
    site_free(s);
    diag_list_sort(dl);
    if (dl->errors || (opt->strict && st->link_warnings)) {
        output_abort(out);
        return BUILD_ERRORS;
    }
    return output_commit(out, dl) ? BUILD_OK : BUILD_IO;
}
