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
#include "markdown.h"

enum { EXIT_OK = 0, EXIT_ERRORS = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

static const char usage[] =
    "usage: refpress build [SITE] [--out DIR] [--base-url URL] [--drafts] [--jobs N] [--quiet]\n"
    "       refpress --help | --version\n"
    "\n"
    "build    render the site in SITE (default: the current folder) into DIR\n"
    "         (default: SITE/public). The output is replaced only when the build succeeds.\n"
    "\n"
    "  --out DIR        write the site to DIR\n"
    "  --base-url URL   the address the site is served from (overrides site.yaml base_url)\n"
    "  --drafts         include pages marked draft: true\n"
    "  --jobs N         render with N threads (default: one per core)\n"
    "  --quiet          print nothing but errors and warnings\n"
    "\n"
    "Exit status: 0 success, 1 content, template or link errors, 2 usage error,\n"
    "3 internal or I/O error.\n";

typedef struct cli {
    const char *command;
    const char *site;
    build_options build;
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

static int parse_build_args(int argc, char **argv, cli *c)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        bool missing = false;
        if ((v = option_value(argc, argv, &i, "--out", &missing))) c->build.out = v;
        else if ((v = option_value(argc, argv, &i, "--base-url", &missing))) c->build.base_url = v;
        else if ((v = option_value(argc, argv, &i, "--jobs", &missing))) {
            if (parse_jobs(v, &c->build.jobs) != 0)
                return usage_error("--jobs takes a whole number from 1 to 1024, not '%s'", v);
        } else if (missing) return usage_error("%s needs a value", a);
        else if (strcmp(a, "--drafts") == 0) c->build.drafts = true;
        else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) c->quiet = true;
        else if (a[0] == '-' && a[1]) return usage_error("unknown option '%s'", a);
        else if (c->site) return usage_error("more than one site folder given ('%s')", a);
        else c->site = a;
    }
    return EXIT_OK;
}

static void print_diagnostics(const diag_list *dl)
{
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < dl->len; i++) diag_format(&dl->items[i], &b);
    if (b.len) fwrite(b.ptr, 1, b.len, stderr);
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

static int run_build(cli *c)
{
    c->build.root = c->site ? c->site : ".";
    if (c->progress) c->build.progress = progress;
    double start = now_seconds();
    diag_list dl = DIAG_LIST_INIT;
    build_stats st;
    build_status status = build_run(&c->build, &st, &dl);
    if (c->progress) fputs("\r\033[K", stderr);
    print_diagnostics(&dl);
    buf_t line = BUF_INIT;
    if (status == BUILD_OK && !c->quiet) {
        buf_puts(&line, "built ");
        put_count(&line, st.pages);
        buf_printf(&line, " page%s in %.2f s", st.pages == 1 ? "" : "s", now_seconds() - start);
        if (st.redirects) {
            buf_puts(&line, " · ");
            put_count(&line, st.redirects);
            buf_printf(&line, " redirect%s", st.redirects == 1 ? "" : "s");
        }
        buf_puts(&line, " · ");
        put_count(&line, st.files);
        buf_printf(&line, " file%s copied\n", st.files == 1 ? "" : "s");
        fputs(line.ptr, stdout);
    } else if (status != BUILD_OK) {
        buf_printf(&line, "refpress: build failed with %zu error%s; the output was left as it "
                          "was\n",
                   dl.errors, dl.errors == 1 ? "" : "s");
        fputs(line.ptr, stderr);
    }
    buf_free(&line);
    diag_list_free(&dl);
    return status == BUILD_OK ? EXIT_OK : status == BUILD_ERRORS ? EXIT_ERRORS : EXIT_INTERNAL;
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
    cli c = {.command = argv[1]};
    if (strcmp(c.command, "build") != 0) return usage_error("unknown command '%s'", c.command);
    int r = parse_build_args(argc, argv, &c);
    if (r != EXIT_OK) return r;
    const char *ci = getenv("CI");
    c.progress = !c.quiet && isatty(STDERR_FILENO) && !(ci && *ci);
    md_global_init();
    return run_build(&c);
}
