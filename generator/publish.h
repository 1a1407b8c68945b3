/* publish.h — the files a published site needs beside its pages: sitemap.xml (with
 * lastmod), an Atom feed of the newest pages (feed.xml) and robots.txt, all with absolute
 * URLs from the base URL. */
#ifndef REFPRESS_PUBLISH_H
#define REFPRESS_PUBLISH_H

#include "buf.h"
#include "site.h"

/* How many pages the feed lists, newest first. */
#define PUBLISH_FEED_ENTRIES 20

/* Each appends one file's text to out. */
void publish_sitemap(const site *s, buf_t *out);
void publish_feed(const site *s, buf_t *out);
void publish_robots(const site *s, buf_t *out);

#endif
