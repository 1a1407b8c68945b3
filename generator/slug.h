/* slug.h — the two ways refpress turns text into URL pieces: heading ids (as GitHub makes
 * them) and slugs for paths (tags, categories, file names). */
#ifndef REFPRESS_SLUG_H
#define REFPRESS_SLUG_H

#include <stddef.h>

#include "buf.h"

/* Appends the GitHub-style anchor for heading text: lower-cased, characters that are not
 * letters, digits, '_', '-' or ' ' removed, each space turned into '-'. Non-ASCII letters
 * are kept (lower-cased for Latin-1, Latin Extended-A, Greek and Cyrillic); common Unicode
 * punctuation (U+2000..U+206F, Latin-1 punctuation) is removed. */
void slug_heading_id(const char *text, size_t len, buf_t *out);
/* As implemented: lower-casing is Unicode's full lower-case mapping for every script, as Ruby's
 * String#downcase does on GitHub ("İ" gives "i" + U+0307); removed are all ASCII punctuation
 * and controls and, outside ASCII, every non-\p{Word} character (punctuation, symbols, emoji,
 * format characters, separators such as U+00A0) in the blocks where they occur in practice;
 * other non-ASCII characters are kept. Malformed UTF-8 bytes are dropped. */

/* Appends a path slug: ASCII letters lower-cased, digits kept, non-ASCII UTF-8 letters kept,
 * every other run of characters turned into one '-', no leading or trailing '-'.
 * "C++ & Rust" -> "c-rust"; "Backend systems" -> "backend-systems". Empty input gives "". */
void slug_path(const char *text, size_t len, buf_t *out);
/* As implemented: non-ASCII letters are lower-cased too ("Über" and "über" share a URL, which
 * case-insensitive file systems need anyway), with "İ" becoming plain "i". */

/* Keeps unique heading ids: the first "intro" stays "intro", then "intro-1", "intro-2", as
 * GitHub does. Caller frees with slug_set_free(). */
typedef struct slug_set slug_set;
slug_set *slug_set_new(void);
/* Makes id unique within the set (appending -N in place when needed) and records it. */
void slug_set_unique(slug_set *s, buf_t *id);
/* As implemented, and as github.com numbers them: the next free -N per base id, skipping any
 * taken by a literal heading ("foxtrot-1", "foxtrot", "foxtrot" give "foxtrot-1", "foxtrot",
 * "foxtrot-2"). Amortised O(1) per call. */
void slug_set_free(slug_set *s);

#endif
