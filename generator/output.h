/* output.h — the output folder: a build writes into a fresh staging folder beside the
 * target, every write confined to it, and the staging folder replaces the target only when the
 * build succeeded. */
#ifndef REFPRESS_OUTPUT_H
#define REFPRESS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef struct output output;

/* Name of the marker file that says a folder was written by refpress, so a later build may
 * replace it. */
#define OUTPUT_MARKER ".refpress-output"

/* Starts a build of the folder dir: checks that dir is absent, empty, or a previous refpress
 * output (holds OUTPUT_MARKER), then creates the staging folder ".<name>.refpress-XXXXXX"
 * beside it. On failure an error is added to dl and NULL returned. Caller ends with
 * output_commit() or output_abort(). */
output *output_begin(const char *dir, diag_list *dl);

/* Writes data to rel, a relative path inside the output ("tech/go/index.html"). A rel that is
 * absolute, holds a ".." or "." segment, an empty segment or a backslash is refused: an error
 * naming it is added to dl (file "refpress") and false returned. Safe to call from several
 * threads at once for different rel. */
bool output_write(output *o, const char *rel, const void *data, size_t len, diag_list *dl);
/* Copies the file src into the output at rel, with the same checks as output_write. */
bool output_copy(output *o, const char *rel, const char *src, diag_list *dl);

/* Every path written so far, in the order written. Borrowed; valid until the next write or
 * until o is freed. Not for use while other threads write. */
const char *const *output_files(output *o, size_t *n);

/* Swaps the staging folder into place (atomically where the kernel allows), removes the old
 * output and frees o. On failure the previous output is left as it was, the staging folder is
 * removed, an error is added and false returned; o is freed either way. */
bool output_commit(output *o, diag_list *dl);
/* Removes the staging folder and frees o. Accepts NULL. */
void output_abort(output *o);

#endif
