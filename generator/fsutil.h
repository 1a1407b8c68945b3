/* fsutil.h — the file system calls refpress makes: whole-file reads and writes, sorted
 * directory listings, recursive mkdir and removal, and URL paths turned into confined
 * output paths. */
#ifndef REFPRESS_FSUTIL_H
#define REFPRESS_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Reads the whole file. Returns a NUL-terminated copy (the caller frees) and its length in
 * *len, or NULL with errno set. Files over max_bytes fail with EFBIG. */
char *fs_read(const char *path, size_t max_bytes, size_t *len);
/* Writes data to path, creating missing parent folders. 0, or -1 with errno set. */
int fs_write(const char *path, const void *data, size_t len);
/* Copies a file, creating missing parent folders. 0, or -1 with errno set. */
int fs_copy(const char *from, const char *to);
/* mkdir -p. 0, or -1 with errno set. */
int fs_mkdirs(const char *path);
/* rm -rf that never follows symbolic links. 0, or -1 with errno set. */
int fs_remove_tree(const char *path);
bool fs_is_dir(const char *path);
bool fs_is_file(const char *path);

typedef enum { FS_FILE, FS_DIR, FS_OTHER } fs_type;
typedef struct fs_entry {
    char *name;
    fs_type type;   /* of the entry itself, or of what a symbolic link points at */
    bool symlink;
} fs_entry;

/* Lists dir sorted by name (byte order), without "." and ".." and names starting with '.'.
 * Returns 0 and sets *out (caller frees with fs_entries_free) and *n, or -1 with errno set. */
int fs_list(const char *dir, fs_entry **out, size_t *n);
void fs_entries_free(fs_entry *e, size_t n);

/* Turns a site URL path into the output file that serves it: "/" -> "index.html",
 * "/tech/go/" -> "tech/go/index.html", "/feed.xml" -> "feed.xml". "." segments are dropped
 * and ".." removes the previous segment. Returns false (out unchanged) when the path starts
 * without '/', climbs above the root, or holds a backslash, a control character or an
 * empty segment other than the final one. */
bool fs_url_to_output(const char *url, buf_t *out);

/* Path join with one '/'. Caller frees. */
char *fs_join(const char *a, const char *b);

#endif
