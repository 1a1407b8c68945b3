/* fsutil.c — whole-file reads and writes, sorted listings, mkdir -p, rm -rf, URL paths
 * turned into confined output paths. */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

char *fs_read(const char *path, size_t max_bytes, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) goto fail;
    if (!S_ISREG(st.st_mode)) {
        errno = EISDIR;
        goto fail;
    }
    if ((size_t)st.st_size > max_bytes) {
        errno = EFBIG;
        goto fail;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *data = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max_bytes) {
                free(data);
                errno = EFBIG;
                goto fail;
            }
            cap *= 2;
            data = xrealloc(data, cap);
        }
        ssize_t r = read(fd, data + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR) continue;
            free(data);
            goto fail;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    data[n] = '\0';
    *len = n;
    return data;
fail:
    {
        int e = errno;
        close(fd);
        errno = e;
    }
    return NULL;
}

static int make_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char *dir = xstrndup(path, (size_t)(slash - path));
    int r = fs_mkdirs(dir);
    free(dir);
    return r;
}

int fs_write(const char *path, const void *data, size_t len)
{
    const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW;
    int fd = open(path, flags, 0644);
    if (fd < 0 && errno == ENOENT && make_parent(path) == 0) /* the folder first */
        fd = open(path, flags, 0644);
    if (fd < 0) return -1;
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return close(fd);
}

int fs_copy(const char *from, const char *to)
{
    size_t len;
    char *data = fs_read(from, (size_t)1 << 31, &len);
    if (!data) return -1;
    int r = fs_write(to, data, len);
    free(data);
    return r;
}

/* From the folder itself up, so that making a page's folder in a folder that exists costs
 * one mkdir, not one per component of the path. */
int fs_mkdirs(const char *path)
{
    if (mkdir(path, 0755) == 0) return 0;
    if (errno == ENOENT && make_parent(path) == 0 && mkdir(path, 0755) == 0) return 0;
    if (errno != EEXIST) return -1;
    if (fs_is_dir(path)) return 0; /* (made by another thread, perhaps) */
    errno = EEXIST;
    return -1;
}

static bool is_dots(const char *name)
{
    return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

static int remove_entries(int fd);

/* Removes the entry name of the folder open at dirfd, a folder with all it holds. type is
 * readdir's d_type, or DT_UNKNOWN to ask the file system. */
static int remove_entry(int dirfd, const char *name, unsigned char type)
{
    bool dir = type == DT_DIR, ok = true;
    struct stat st;
    if (type == DT_UNKNOWN && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        dir = S_ISDIR(st.st_mode);
    if (dir) {
        int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        ok = sub >= 0 && remove_entries(sub) == 0;
    }
    return unlinkat(dirfd, name, dir ? AT_REMOVEDIR : 0) == 0 && ok ? 0 : -1;
}

/* Removes what the folder open at fd holds, depth first, and closes fd. Entries are named
 * relative to their folder (no path building) and typed by readdir where the file system
 * says (no stat): removing a built site is one unlink per file. */
static int remove_entries(int fd)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    int r = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (!is_dots(de->d_name) && remove_entry(dirfd(d), de->d_name, de->d_type) != 0) r = -1;
    closedir(d);
    return r;
}

typedef struct top_entries {
    int fd;         /* the folder */
    char **names;   /* what it holds */
    int failed;     /* atomic */
} top_entries;

static void remove_top(void *ud, int worker, size_t i)
{
    top_entries *t = ud;
    if (remove_entry(t->fd, t->names[i], DT_UNKNOWN) != 0)
        __atomic_store_n(&t->failed, 1, __ATOMIC_RELAXED);
}

int fs_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    /* the folder's entries are removed one per thread: the kernel's work of freeing a built
     * site's files is most of the time a failed build spends after its check */
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL; /* lists the folder and names its entries */
    if (!d) {
        if (fd >= 0) close(fd);
        return -1;
    }
    top_entries t = {fd, NULL, 0};
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (is_dots(de->d_name)) continue;
        xgrow(&t.names, &cap, n + 1, sizeof *t.names);
        t.names[n++] = xstrdup(de->d_name);
    }
    parallel_each(n, 0, remove_top, &t);
    for (size_t i = 0; i < n; i++) free(t.names[i]);
    free(t.names);
    closedir(d); /* and fd */
    return rmdir(path) == 0 && !t.failed ? 0 : -1;
}

bool fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fs_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const fs_entry *)a)->name, ((const fs_entry *)b)->name);
}

int fs_list(const char *dir, fs_entry **out, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    fs_entry *items = NULL;
    size_t len = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char *full = fs_join(dir, de->d_name);
        struct stat lst, st;
        fs_entry e = {xstrdup(de->d_name), FS_OTHER, false};
        if (lstat(full, &lst) == 0) {
            e.symlink = S_ISLNK(lst.st_mode);
            if (stat(full, &st) == 0)
                e.type = S_ISDIR(st.st_mode) ? FS_DIR : S_ISREG(st.st_mode) ? FS_FILE : FS_OTHER;
        }
        free(full);
        xgrow(&items, &cap, len + 1, sizeof *items);
        items[len++] = e;
    }
    closedir(d);
    if (len > 1) qsort(items, len, sizeof *items, entry_cmp);
    *out = items;
    *n = len;
    return 0;
}

void fs_entries_free(fs_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) free(e[i].name);
    free(e);
}

bool fs_url_to_output(const char *url, buf_t *out)
{
    if (url[0] != '/') return false;
    buf_t res = BUF_INIT;
    const char *p = url + 1;
    bool ends_dir = true;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        ends_dir = e != NULL;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c < 0x20 || c == 0x7f || c == '\\') goto fail;
        }
        if (n == 0 && e) goto fail; /* "//" */
        if (n == 1 && p[0] == '.') {
            ends_dir = true;
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (res.len == 0) goto fail;
            char *slash = strrchr(res.ptr, '/');
            res.len = slash ? (size_t)(slash - res.ptr) : 0;
            res.ptr[res.len] = '\0';
            ends_dir = true;
        } else {
            if (res.len) buf_putc(&res, '/');
            buf_put(&res, p, n);
        }
        p += n + (e ? 1 : 0);
    }
    if (ends_dir) {
        if (res.len) buf_putc(&res, '/');
        buf_puts(&res, "index.html");
    }
    buf_put(out, res.ptr, res.len);
    buf_free(&res);
    return true;
fail:
    buf_free(&res);
    return false;
}

char *fs_join(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n == 0) return xstrdup(b);
    return xasprintf("%s%s%s", a, a[n - 1] == '/' ? "" : "/", b);
}
