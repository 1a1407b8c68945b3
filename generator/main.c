/* main.c — the refpress command line: parses arguments, runs the command, prints the
 * diagnostics and the summary, and picks the exit code. The only file that prints or exits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "diag.h"
#include "external.h"
#include "fsutil.h"
#include "linkcheck.h"
#include "markdown.h"
#include "report.h"
#include "util.h"

enum { EXIT_OK = 0, EXIT_ERRORS = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

static const char usage[] =
    "usage: refpress build [SITE] [--out DIR] [--base-url URL] [--drafts] [--jobs N]\n"
    "                      [--no-check] [--strict] [--ignore PATTERN] [--quiet]\n"
    "       refpress check [SITE] [--format FORMAT] [--strict] [--ignore PATTERN] [--drafts]\n"
    "       refpress check --html DIR [--root DIR] [--base-url URL] [--map PREFIX=PATH]\n"
    "                      [--format FORMAT] [--strict] [--ignore PATTERN] [--jobs N]\n"
    "       (build and check also take --external [--external-fragments]\n"
    "        [--external-cache FILE])\n"
    "       refpress --help | --version\n"
    "\n"
    "build    render the site in SITE (default: the current folder) into DIR\n"
    "         (default: SITE/public), check every link, and replace the output only when\n"
    "         everything succeeded.\n"
    "check    build SITE into a temporary folder and report, or, with --html, check any\n"
    "         folder of HTML (other generators' output too).\n"
    "\n"
    "  --out DIR          write the site to DIR\n"
    "  --base-url URL     the address the site is served from (overrides site.yaml)\n"
    "  --drafts           include pages marked draft: true\n"
    "  --jobs N           work with N threads (default: one per core)\n"
    "  --no-check         skip the link check\n"
    "  --strict           link warnings fail too\n"
    "  --ignore PATTERN   skip links that contain PATTERN, or match it as a glob (* ? [)\n"
    "  --format FORMAT    text (default), json, junit, github or sarif\n"
    "  --external         fetch http(s) links outside the site too (HEAD, then GET)\n"
    "  --external-fragments  and look for their #fragments in the fetched pages\n"
    "  --external-cache FILE  good URLs to skip for a day (default:\n"
    "                     .refpress-cache/external-links.tsv in the site or current folder;\n"
    "                     '' for none)\n"
    "  --html DIR         the folder of HTML to check\n"
    "  --root DIR         the folder served as / when DIR is only part of it\n"
    "  --map PREFIX=PATH  URLs under PREFIX are files under PATH (a sub-path deployment)\n"
    "  --quiet            print nothing but errors and warnings\n"
    "\n"
    "Exit status: 0 success, 1 content, template or link errors, 2 usage error,\n"
    "3 internal or I/O error.\n";

#define MAX_LIST 64

typedef struct cli {
    const char *command;
    const char *site;
    build_options build;
    const char *html;
    const char *root;
    const char *ignore[MAX_LIST];
    size_t nignore;
    lc_map maps[MAX_LIST];
    size_t nmaps;
    report_format format;
    bool cache_given;
    bool quiet;
    bool progress;
} cli;

static int usage_error(const char *fmt, const char *arg)
{
    fputs("refpress: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see refpress --help)\n", stderr);
    return EXIT_USAGE;
}

/* The value of --name VALUE or --name=VALUE at argv[*i]; NULL when this is not --name. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int parse_jobs(const char *s, int *jobs)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 1 || v > 1024) return -1;
    *jobs = (int)v;
    return 0;
}

static int add_map(cli *c, const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v) return usage_error("--map takes PREFIX=PATH, not '%s'", v);
    if (c->nmaps == MAX_LIST) return usage_error("too many %s options", "--map");
    c->maps[c->nmaps++] = (lc_map){xstrndup(v, (size_t)(eq - v)), eq + 1};
    return EXIT_OK;
}

/* Options that take a value; returns EXIT_USAGE on a bad value, -1 when a is not one. */
static int value_option(int argc, char **argv, int *i, cli *c)
{
    bool missing = false;
    const char *v;
    if ((v = option_value(argc, argv, i, "--out", &missing))) c->build.out = v;
    else if ((v = option_value(argc, argv, i, "--base-url", &missing))) c->build.base_url = v;
    else if ((v = option_value(argc, argv, i, "--html", &missing))) c->html = v;
    else if ((v = option_value(argc, argv, i, "--root", &missing))) c->root = v;
    else if ((v = option_value(argc, argv, i, "--map", &missing))) return add_map(c, v);
    else if ((v = option_value(argc, argv, i, "--external-cache", &missing))) {
        c->build.external_cache = *v ? v : NULL;
        c->cache_given = true;
    }
    else if ((v = option_value(argc, argv, i, "--jobs", &missing))) {
        if (parse_jobs(v, &c->build.jobs) != 0)
            return usage_error("--jobs takes a whole number from 1 to 1024, not '%s'", v);
    } else if ((v = option_value(argc, argv, i, "--format", &missing))) {
        if (!report_format_parse(v, &c->format))
            return usage_error("--format takes text, json, junit, github or sarif, not '%s'", v);
    } else if ((v = option_value(argc, argv, i, "--ignore", &missing))) {
        if (c->nignore == MAX_LIST) return usage_error("too many %s options", "--ignore");
        c->ignore[c->nignore++] = v;
    } else if (missing) return usage_error("%s needs a value", argv[*i]);
    else return -1;
    return EXIT_OK;
}

/* Which options each command takes. */
static bool allowed(const cli *c, const char *opt)
{
    static const char *const build_only[] = {"--out", "--no-check", "--quiet", "-q", NULL};
    static const char *const check_only[] = {"--format", "--html", "--root", "--map", NULL};
    const char *const *deny = strcmp(c->command, "build") == 0 ? check_only : build_only;
    size_t n = strcspn(opt, "=");
    for (; *deny; deny++)
        if (strlen(*deny) == n && strncmp(opt, *deny, n) == 0) return false;
    return true;
}

static int parse_args(int argc, char **argv, cli *c)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] && !allowed(c, a))
            return usage_error("'%s' does not go with this command", a);
        int r = value_option(argc, argv, &i, c);
        if (r == EXIT_USAGE) return r;
        if (r == EXIT_OK) continue;
        if (strcmp(a, "--drafts") == 0) c->build.drafts = true;
        else if (strcmp(a, "--no-check") == 0) c->build.no_check = true;
        else if (strcmp(a, "--strict") == 0) c->build.strict = true;
        else if (strcmp(a, "--external") == 0) c->build.external = true;
        else if (strcmp(a, "--external-fragments") == 0)
            c->build.external = c->build.external_fragments = true;
        else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) c->quiet = true;
        else if (a[0] == '-' && a[1]) return usage_error("unknown option '%s'", a);
        else if (c->site) return usage_error("more than one site folder given ('%s')", a);
        else c->site = a;
    }
    if (c->html && c->site) return usage_error("give a site or --html, not both ('%s')", c->site);
    if (c->root && !c->html) return usage_error("%s goes with --html", "--root");
    c->build.ignore = c->ignore;
    c->build.nignore = c->nignore;
    if (c->cache_given && !c->build.external)
        return usage_error("%s goes with --external", "--external-cache");
    return EXIT_OK;
}

static void print_diagnostics(const cli *c, const diag_list *dl)
{
    buf_t b = BUF_INIT;
    report_options ro = {c->build.strict, REFPRESS_VERSION};
    report_write(&b, c->format, dl, &ro);
    if (b.len) fwrite(b.ptr, 1, b.len, c->format == REPORT_TEXT ? stderr : stdout);
    buf_free(&b);
}

/* Writes n with thousands separators: 1204 -> "1,204". */
static void put_count(buf_t *b, size_t n)
{
    if (n >= 1000) {
        put_count(b, n / 1000);
        buf_printf(b, ",%03zu", n % 1000);
    } else {
        buf_printf(b, "%zu", n);
    }
}

static void put_counted(buf_t *b, size_t n, const char *one, const char *many)
{
    put_count(b, n);
    buf_printf(b, " %s", n == 1 ? one : many);
}

static void progress(void *ud, size_t done, size_t total)
{
    fprintf(stderr, "\rrendering %zu/%zu pages", done, total);
    fflush(stderr);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "built 1,204 pages in 0.41 s · 18,310 links checked, 0 broken · 3 redirects"; the time
 * is left out when seconds is negative. */
static void summary(const build_stats *st, double seconds, const char *verb, buf_t *line)
{
    buf_printf(line, "%s ", verb);
    put_counted(line, st->pages, "page", "pages");
    if (seconds >= 0) buf_printf(line, " in %.2f s", seconds);
    if (st->checked) {
        buf_puts(line, " · ");
        put_counted(line, st->links, "link", "links");
        buf_puts(line, " checked, ");
        put_count(line, st->broken);
        buf_puts(line, " broken");
        if (st->link_warnings) {
            buf_puts(line, ", ");
            put_counted(line, st->link_warnings, "warning", "warnings");
        }
    }
    if (st->redirects) {
        buf_puts(line, " · ");
        put_counted(line, st->redirects, "redirect", "redirects");
    }
    buf_putc(line, '\n');
}

static int exit_for(build_status status)
{
    return status == BUILD_OK ? EXIT_OK : status == BUILD_ERRORS ? EXIT_ERRORS : EXIT_INTERNAL;
}

static int run_build(cli *c)
{
    c->build.root = c->site ? c->site : ".";
    if (c->progress) c->build.progress = progress;
    double start = now_seconds();
    diag_list dl = DIAG_LIST_INIT;
    build_stats st;
    build_status status = build_run(&c->build, &st, &dl);
    if (c->progress) fputs("\r\033[K", stderr);
    print_diagnostics(c, &dl);
    buf_t line = BUF_INIT;
    if (status == BUILD_OK && !c->quiet) {
        summary(&st, now_seconds() - start, "built", &line);
        fputs(line.ptr, stdout);
    } else if (status != BUILD_OK) {
        size_t failures = dl.errors + (c->build.strict ? dl.warnings : 0);
        buf_printf(&line, "refpress: build failed with %zu %s%s; the output was left as it was\n",
                   failures, c->build.strict ? "problem" : "error", failures == 1 ? "" : "s");
        fputs(line.ptr, stderr);
    }
    buf_free(&line);
    diag_list_free(&dl);
    return exit_for(status);
}

/* check SITE: the whole build into a temporary folder, which is then removed. */
static int check_site(cli *c)
{
    char tmpl[] = "/tmp/refpress-check-XXXXXX";
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "refpress: cannot make a temporary folder: %s\n", strerror(errno));
        return EXIT_INTERNAL;
    }
    c->build.root = c->site ? c->site : ".";
    c->build.out = tmpl;
    diag_list dl = DIAG_LIST_INIT;
    build_stats st;
    build_status status = build_run(&c->build, &st, &dl);
    fs_remove_tree(tmpl);
    print_diagnostics(c, &dl);
    if (c->format == REPORT_TEXT && status == BUILD_OK && !c->quiet) {
        buf_t line = BUF_INIT;
        summary(&st, -1, "checked", &line);
        fputs(line.ptr, stderr);
        buf_free(&line);
    }
    diag_list_free(&dl);
    return exit_for(status);
}

/* Keeps only the diagnostics about files under prefix ("docs/"), with the prefix removed. */
static void keep_under(diag_list *dl, const char *prefix)
{
    size_t n = strlen(prefix);
    diag_list out = DIAG_LIST_INIT;
    for (size_t i = 0; i < dl->len; i++) {
        diag *d = &dl->items[i];
        if (strncmp(d->file, prefix, n) == 0)
            diag_add(&out, d->severity, d->file + n, d->line, d->col, "%s", d->message);
    }
    diag_list_free(dl);
    *dl = out;
}

/* The --html folder relative to --root, with a trailing '/', or NULL when it is not inside. */
static char *html_within_root(const char *html, const char *root)
{
    char *h = realpath(html, NULL), *r = realpath(root, NULL);
    char *rel = NULL;
    size_t n = r ? strlen(r) : 0;
    if (h && r && strncmp(h, r, n) == 0 && (h[n] == '/' || h[n] == '\0'))
        rel = h[n] ? xasprintf("%s/", h + n + 1) : xstrdup("");
    free(h);
    free(r);
    return rel;
}

static void external_after_check(void *ud, const lc_options *opt, lc_site *site,
                                 diag_list *dl);

static int check_html(cli *c)
{
    lc_options lo = {c->build.base_url, c->ignore, c->nignore, c->maps, c->nmaps,
                     c->build.strict, c->build.jobs, NULL, NULL};
    if (c->build.external) {
        lo.after_check = external_after_check;
        lo.after_ud = c;
    }
    char *err = lc_options_error(&lo);
    if (err) {
        int r = usage_error("%s", err);
        free(err);
        return r;
    }
    char *prefix = NULL;
    if (c->root && !(prefix = html_within_root(c->html, c->root)))
        return usage_error("--html %s is not inside --root", c->html);
    diag_list dl = DIAG_LIST_INIT;
    lc_stats st = {0};
    bool ok = lc_check_folder(c->root ? c->root : c->html, &lo, &dl, &st);
    if (prefix && *prefix) keep_under(&dl, prefix);
    free(prefix);
    print_diagnostics(c, &dl);
    if (ok && c->format == REPORT_TEXT && !c->quiet) {
        buf_t line = BUF_INIT;
        buf_puts(&line, "checked ");
        put_counted(&line, st.pages, "page", "pages");
        buf_puts(&line, " · ");
        put_counted(&line, st.links, "link", "links");
        buf_printf(&line, ", %zu broken", dl.errors);
        if (dl.warnings) {
            buf_puts(&line, ", ");
            put_counted(&line, dl.warnings, "warning", "warnings");
        }
        buf_putc(&line, '\n');
        fputs(line.ptr, stderr);
        buf_free(&line);
    }
    size_t failures = dl.errors + (c->build.strict ? dl.warnings : 0);
    diag_list_free(&dl);
    if (!ok) return EXIT_INTERNAL;
    return failures ? EXIT_ERRORS : EXIT_OK;
}

/* The folder of the default external-link cache file. */
static void make_cache_dir(const char *file)
{
    char *dir = xstrdup(file);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        fs_mkdirs(dir);
    }
    free(dir);
}

/* check --html --external: the external links of the checked folder, at their HTML lines. */
static void external_after_check(void *ud, const lc_options *opt, lc_site *site,
                                 diag_list *dl)
{
    const cli *c = ud;
    ext_options eo = {0, 0, 0, c->build.external_fragments, c->build.external_cache, 0, 0};
    ext_check_site(site, opt, &eo, NULL, NULL, dl, NULL);
}

static void free_cli(cli *c)
{
    for (size_t i = 0; i < c->nmaps; i++) free((char *)c->maps[i].prefix);
}

int main(int argc, char **argv)
{
    setenv("TZ", "UTC", 1); /* dates in templates never depend on the machine's zone */
    tzset();
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("refpress %s\n", REFPRESS_VERSION);
        return EXIT_OK;
    }
    cli c = {.command = argv[1], .format = REPORT_TEXT};
    bool build = strcmp(c.command, "build") == 0, check = strcmp(c.command, "check") == 0;
    if (!build && !check) return usage_error("unknown command '%s'", c.command);
    int r = parse_args(argc, argv, &c);
    if (r == EXIT_OK) {
        const char *ci = getenv("CI");
        c.progress = build && !c.quiet && isatty(STDERR_FILENO) && !(ci && *ci);
        md_global_init();
        lc_global_init();
        char *cache = NULL;
        if (c.build.external && !c.cache_given)
            c.build.external_cache = cache =
                fs_join(c.html ? "." : c.site ? c.site : ".", ".refpress-cache/external-links.tsv");
        if (cache) make_cache_dir(cache);
        r = build ? run_build(&c) : c.html ? check_html(&c) : check_site(&c);
        free(cache);
    }
    free_cli(&c);
    return r;
}
