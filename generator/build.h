/* build.h — one build of a site: load it, render every page on worker threads into a staging
 * folder, copy assets, write redirects, and swap the result into place only on success. */
#ifndef REFPRESS_BUILD_H
#define REFPRESS_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef struct build_options {
    const char *root;     /* site folder */
    const char *out;      /* output folder; NULL: <root>/public */
    const char *base_url; /* NULL: from site.yaml */
    bool drafts;
    int jobs;             /* worker threads; 0: one per core */
    bool no_check;        /* skip the link check */
    bool strict;          /* link warnings fail the build too */
    const char *const *ignore; /* link patterns to skip (see lc_options) */
    size_t nignore;
    bool external;        /* fetch http(s) links outside the site too */
    bool external_fragments; /* and check their #fragments in the fetched pages */
    const char *external_cache; /* cache file of good external URLs; NULL: none */
    /* Called now and then with the pages rendered so far (from one thread at a time). */
    void (*progress)(void *ud, size_t done, size_t total);
    void *progress_ud;
} build_options;

typedef struct build_stats {
    size_t pages;         /* HTML pages rendered */
    size_t redirects;     /* alias pages written */
    size_t files;         /* assets copied, fingerprinted copies included */
    int jobs;             /* worker threads used */
    bool checked;         /* the link check ran */
    size_t links;         /* links looked at */
    size_t broken;        /* link errors */
    size_t link_warnings;
    size_t external;      /* distinct external URLs checked (with --external) */
} build_stats;

typedef enum {
    BUILD_OK = 0,
    BUILD_ERRORS = 1,     /* content, template or link errors: see the diagnostics */
    BUILD_IO = 3,         /* the output could not be written */
} build_status;

/* Runs a build. Every diagnostic goes to dl (sorted). On any error the previous output is
 * left as it was. */
build_status build_run(const build_options *opt, build_stats *stats, diag_list *dl);

#endif
