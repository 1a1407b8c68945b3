/* site.h — the site model: site.yaml, the theme and its schema, every page loaded from
 * content/ (front matter checked, Markdown rendered), URLs, sections, taxonomies, related
 * pages, aliases, and the files to copy. Loading is the first of the two passes of a build;
 * rendering (context.c, build.c) only reads what is here. */
#ifndef REFPRESS_SITE_H
#define REFPRESS_SITE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "markdown.h"
#include "schema.h"
#include "strmap.h"
#include "value.h"

typedef enum {
    PAGE_REGULAR,  /* content/a/b.md, content/a/b/index.md */
    PAGE_SECTION,  /* a folder of content/, described by its _index.md when there is one */
    PAGE_HOME,     /* content/_index.md, or made up when absent */
    PAGE_TAXONOMY, /* /tags/: every term of a taxonomy */
    PAGE_TERM,     /* /tags/go/: the pages of one term */
    PAGE_404,      /* /404.html */
} page_type;

typedef struct page page;
struct page {
    page_type type;
    size_t index;        /* position in site->pages */
    char *src;           /* "content/tech/go.md"; NULL for made-up pages */
    char *dir;           /* content folder of the page's section: "tech", "" for the top */
    char *slug;          /* last URL segment ("go"); "" for home */
    char *url;           /* site path, starts with '/': "/tech/go/" (without the base path) */
    char *out;           /* output file: "tech/go/index.html" */
    const char *kind;    /* schema kind for regular pages; "section", "home", "taxonomy", "term", "404" */
    const char *title;
    const char *description; /* NULL when absent */
    const char *date;    /* as written, NULL when absent */
    const char *updated;
    bool draft;
    int weight;
    bool broken;         /* could not be read or parsed; left out of the build */
    size_t size;         /* the file's size when it was loaded; 0 for made-up pages */
    size_t body_off, body_len; /* the Markdown body within the file, rendered when the page
                                * is (site_read_page), so no body stays in memory */
    int body_line;       /* file line where the body starts */
    value_doc *doc;      /* front matter kept in memory (owned); NULL when none. For regular
                          * pages only the fields of site_kept_fields: the whole of it is read
                          * again when the page renders (site_read_page), unless whole holds it */
    value *front;        /* its root map; NULL when none or empty */
    value_doc *whole;    /* a regular page's whole front matter as loading checked it, kept
                          * for its own render (site_read_page takes it) while the site's
                          * allowance for them lasts (owned); NULL otherwise */
    size_t words;        /* words of the Markdown body (md_count_words) */
    size_t fm_words;     /* words in the Markdown fields of the front matter (the same) */
    page *parent;        /* the section page holding this page (home holds top-level ones) */
    page **children;     /* for sections/home: regular pages then subsections; for terms: pages */
    size_t nchildren, capchildren;
    page *prev, *next;   /* neighbours among the regular pages of the same section */
    page **related;      /* resolved front matter "related" */
    size_t nrelated;
    const char *taxonomy; /* "tags"/"categories" for taxonomy and term pages */
    char *term;          /* the term's name as written, for term pages */
    char *own_title;     /* title made up for pages without one (sections without _index.md) */
    char **aliases;      /* output paths of redirect pages to write */
    size_t naliases;
    /* Pagination of a section or term page with more pages than site->paginate: the page
     * itself is pager 1 of npagers; pagers 2 … npagers are pages of their own (/tech/page/2/)
     * that share everything with it (pager_of, borrowed) but their URL and output path. */
    page *pager_of;      /* the first pager, for pagers 2 …; NULL otherwise */
    size_t pager, npagers; /* this one's number and how many (1 and 1 when not paginated) */
};

typedef struct site_asset {
    char *rel;           /* path in the output: "style.css", "tech/diagram.png" */
    char *src;           /* file to copy, or NULL when the data is embedded */
    const char *data;    /* embedded data when src is NULL */
    size_t size;
    char *fingerprinted; /* "style.3f2a9c1d0b.css" */
    int used;            /* set (atomically) when a template asks asset() for it */
} site_asset;

typedef struct site_template {
    char *name;          /* "page.html", "partials/head.html" */
    char *path;          /* as shown in errors: "templates/page.html" */
    char *text;
    size_t len;
} site_template;

typedef struct site_options {
    const char *root;    /* the site folder */
    const char *base_url; /* overrides site.yaml base_url when not NULL */
    bool drafts;
    int jobs;            /* threads that read and check pages; 0: one per core */
} site_options;

typedef struct site {
    char *root;
    value_doc *config_doc;   /* site.yaml; NULL when absent */
    value *config;           /* its root map, or NULL */
    value_doc *theme_doc;
    schema *schema;
    const char *title;
    const char *language;
    char *base_url;          /* "https://example.org/docs/" (always ends with '/'), or "/" */
    char *base_path;         /* "/docs/" or "/" */
    bool unsafe_markdown;
    long long now;           /* build time: SOURCE_DATE_EPOCH, else the newest page date */
    size_t paginate;         /* pages a section or term page lists at most (0: all) */
    size_t template_memory;
    unsigned long template_instructions;
    page **pages;            /* every page to render, in a fixed order */
    size_t npages, cappages;
    size_t whole_bytes;      /* bytes kept in pages' whole (loading adds them, atomically), */
    size_t whole_limit;      /* up to this many (REFPRESS_WHOLE_FRONT, else 32 MiB) */
    page *home;
    strmap *by_url;          /* url -> page */
    site_template *templates; /* sorted by name */
    size_t ntemplates;
    site_asset *assets;      /* sorted by rel once loading ends */
    size_t nassets, capassets;
    strmap *asset_by_rel;    /* rel -> index + 1 into assets */
    page **taxonomies;       /* the PAGE_TAXONOMY pages */
    size_t ntaxonomies;
} site;

/* Loads the site at opt->root. Every problem found is added to dl (all of them, not just
 * the first). Returns the site even when errors were found, so that more can be reported;
 * NULL only when nothing could be loaded (no content folder, unreadable site.yaml).
 * Caller frees with site_free(). */
site *site_load(const site_options *opt, diag_list *dl);
void site_free(site *s);

/* The front matter fields every regular page keeps in memory for the whole build (NULL
 * ends the list): what lists, cards, feeds and structured data read of other pages, and what
 * loading itself needs. The rest (the long text fields: role, faq, signals …) is read again
 * from the file when a render asks for it, so memory grows with the number of pages only by
 * these. */
extern const char *const site_kept_fields[];
bool site_is_kept_field(const char *key);
/* Whether p keeps all of its front matter in memory (list pages, and pages without any);
 * a regular page with front matter keeps only the fields of site_kept_fields. */
bool site_keeps_whole_front(const page *p);

/* A Markdown field of the front matter as pages hold it, with the links and ids of its HTML. */
typedef struct page_field {
    const char *html;    /* the field's value->html, in page_text.doc */
    size_t len;
    md_item *items;      /* as md_result.items (owned) */
    size_t nitems;
} page_field;

/* What a render reads of a page's file, read again then. */
typedef struct page_text {
    value_doc *doc;      /* the whole front matter, parsed again or taken from page.whole
                          * (owned); NULL when none */
    value *front;        /* its root map, Markdown fields rendered; NULL when none */
    md_link *fm_links;   /* the links written in those Markdown fields, in file order */
    size_t nfm_links;
    page_field *fields;  /* with items: the Markdown fields whose items are known, file order */
    size_t nfields;
    md_result body;      /* the rendered body, when asked for */
} page_text;

/* Reads p's file again: its whole front matter (Markdown fields rendered, their links kept)
 * and, with body, its rendered Markdown body (headings get ids, links keep their file
 * positions). With body (the page's own render) the front matter is taken from p->whole
 * when loading kept it there, instead of parsed again. With items, md_result.items and
 * page_text.fields are filled for the link check. Returns false, with an error in dl (may be
 * NULL), when the file can no longer be read or has changed since the site was loaded; out
 * is then empty. A page without a source file gives nothing. Caller frees out with
 * page_text_free(). Safe from several threads. */
bool site_read_page(const site *s, const page *p, bool body, bool items, page_text *out,
                    diag_list *dl);
void page_text_free(page_text *t);

/* The site path of pager k (from 1) of the list page first: its own URL for 1, then
 * "/tech/page/2/" and so on. Caller frees. */
char *site_pager_url(const page *first, size_t k);

/* The template called name, or NULL. Borrowed; valid until site_free(). */
const site_template *site_find_template(const site *s, const char *name);
/* The asset at rel (a path in the output, no leading '/'), or NULL. */
site_asset *site_find_asset(const site *s, const char *rel);
/* The page at a site path ("/tech/go/"), or NULL. */
page *site_find_page(const site *s, const char *url);

#endif
