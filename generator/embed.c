/* embed.c — lookups in the table of embedded files written at build time by embedgen. */
#include "embed.h"

#include <string.h>

#include "util.h"

struct embedded_file {
    const char *path;
    const unsigned char *data;
    size_t size;
};
extern const struct embedded_file embedded_files[];
extern const size_t embedded_files_count;

bool embed_find(const char *path, const char **data, size_t *size)
{
    for (size_t i = 0; i < embedded_files_count; i++) {
        if (strcmp(embedded_files[i].path, path) == 0) {
            *data = (const char *)embedded_files[i].data;
            *size = embedded_files[i].size;
            return true;
        }
    }
    return false;
}

void embed_each(const char *prefix,
                void (*fn)(void *ud, const char *path, const char *data, size_t size), void *ud)
{
    for (size_t i = 0; i < embedded_files_count; i++)
        if (str_starts_with(embedded_files[i].path, prefix))
            fn(ud, embedded_files[i].path, (const char *)embedded_files[i].data,
               embedded_files[i].size);
}
