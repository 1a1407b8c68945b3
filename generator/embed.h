/* embed.h — the default templates and theme compiled into the binary (templates/..., 
 * themes/default/...), so a folder holding only content/ builds. */
#ifndef REFPRESS_EMBED_H
#define REFPRESS_EMBED_H

#include <stdbool.h>
#include <stddef.h>

/* Finds the embedded file at path ("templates/page.html"). The data is NUL-terminated and
 * lives as long as the program. Returns false when there is no such file. */
bool embed_find(const char *path, const char **data, size_t *size);

/* Calls fn for every embedded file whose path starts with prefix, in path order. */
void embed_each(const char *prefix, void (*fn)(void *ud, const char *path, const char *data,
                                                size_t size),
                void *ud);

#endif
