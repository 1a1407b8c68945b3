/* schema.h — front matter schemas: what fields each page kind has and of what type, as
 * declared by the theme in YAML (theme.yaml), and the checks of a page against them. */
#ifndef REFPRESS_SCHEMA_H
#define REFPRESS_SCHEMA_H

#include <stdbool.h>

#include "diag.h"
#include "value.h"

/*
 * The declaration (the "schema" part of theme.yaml) looks like:
 *
 *   fields:                        # fields every kind has
 *     title: {type: string, required: true}
 *     tags:  {type: list, items: {type: string}}
 *   kinds:
 *     page: {}
 *     reference:
 *       fields:
 *         description: {type: string, required: true}
 *         role: {type: markdown}
 *         adoption:
 *           type: map
 *           fields:
 *             series: {type: series, required: true}
 *
 * Types: string (any non-null scalar), markdown (a string rendered as Markdown), date
 * (YYYY-MM-DD or an RFC 3339 date-time, a real calendar date), bool, int, number,
 * list (items: a field spec), map (fields: specs; other keys allowed), and series (a map
 * from years 1900..2100 to numbers from 0 to 100, at least one entry).
 * A field spec may also say "required: true" and carry a "description" (ignored). Any other
 * key in the declaration is a mistake and reported, as are specs without "type".
 * Fields a kind does not declare are allowed: they reach templates under page.params.
 */
typedef struct schema schema;

/* Builds a schema from the declaration decl (the value of theme.yaml's "schema" key).
 * Mistakes in the declaration itself (an unknown type, list without items) are added to dl
 * at their position in file; then NULL is returned. decl is borrowed and must outlive the
 * schema. Caller frees with schema_free(). */
schema *schema_new(const value *decl, const char *file, diag_list *dl);
void schema_free(schema *s);

bool schema_has_kind(const schema *s, const char *kind);

/* Called for each node that the schema types as markdown (a scalar), so the caller can
 * render it and set node->html. */
typedef void (*schema_markdown_fn)(void *ud, value *node);

/* Checks front (the page's front matter root; VAL_NULL for an empty one is allowed) against
 * the common fields and those of kind. Every problem is added to dl, e.g.
 *   content/tech/python.md:14:5: error: adoption.series.2024: expected a number from 0 to 100, got "high"
 *   content/tech/python.md:1:1: error: missing required field "description" (kind "reference")
 * Paths are dotted keys with [i] for list items (faq[2].a). A missing field is reported at
 * the position of the map that lacks it (line 1, col 1 for an empty front matter).
 * on_markdown (may be NULL) is called for each markdown node that passed its check.
 * List indexes in paths count from 0. A missing nested field is named by its whole path
 * ('missing required field "adoption.series" (kind "reference")'). An optional field left
 * empty (null) counts as absent; a required one left empty is an error where it is written.
 * A field that both the common fields and the kind declare is checked by the kind's spec.
 * An unknown kind is reported at front's "kind" key (1:1 without one); the common fields are
 * still checked. Returns true when no error was added. */
bool schema_check(const schema *s, const char *kind, value *front, const char *file,
                  schema_markdown_fn on_markdown, void *ud, diag_list *dl);

#endif
