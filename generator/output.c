/* output.c — staging folder, confined writes, and the swap into place. */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "util.h"

struct output {
    char *dir;      /* the target, as given */
    char *staging;  /* the folder being written */
    pthread_mutex_t lock; /* guards written */
    char **written;
    size_t nwritten, capwritten;
};

/* A folder may be replaced when it is missing, empty or marked as ours. */
static bool may_replace(const char *dir, diag_list *dl)
{
    struct stat st;
    if (lstat(dir, &st) != 0) return true;
    if (!S_ISDIR(st.st_mode)) {
        diag_add(dl, DIAG_ERROR, dir, 0, 0, "output path exists and is not a folder");
        return false;
    }
    fs_entry *e;
    size_t n;
    if (fs_list(dir, &e, &n) != 0) {
        diag_add(dl, DIAG_ERROR, dir, 0, 0, "cannot read output folder: %s", strerror(errno));
        return false;
    }
    fs_entries_free(e, n);
    char *marker = fs_join(dir, OUTPUT_MARKER);
    bool ours = fs_is_file(marker);
    free(marker);
    if (n == 0 || ours) return true;
    diag_add(dl, DIAG_ERROR, dir, 0, 0,
             "refusing to replace a folder that refpress did not write (no %s in it); "
             "remove it or choose another --out",
             OUTPUT_MARKER);
    return false;
}

output *output_begin(const char *dir, diag_list *dl)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    char *target = xstrndup(dir, n);
    if (!may_replace(target, dl)) {
        free(target);
        return NULL;
    }
    const char *slash = strrchr(target, '/');
    char *tmpl = slash ? xasprintf("%.*s/.%s.refpress-XXXXXX", (int)(slash - target), target,
                                   slash + 1)
                       : xasprintf(".%s.refpress-XXXXXX", target);
    char *parent = slash ? xstrndup(target, (size_t)(slash - target)) : xstrdup(".");
    if ((*parent && fs_mkdirs(parent) != 0) || !mkdtemp(tmpl)) {
        diag_add(dl, DIAG_ERROR, target, 0, 0, "cannot create a staging folder: %s",
                 strerror(errno));
        free(parent);
        free(tmpl);
        free(target);
        return NULL;
    }
    free(parent);
    chmod(tmpl, 0755);
    output *o = xcalloc(1, sizeof *o);
    o->dir = target;
    o->staging = tmpl;
    pthread_mutex_init(&o->lock, NULL);
    char *marker = fs_join(tmpl, OUTPUT_MARKER);
    fs_write(marker, "", 0);
    free(marker);
    return o;
}

static bool rel_ok(const char *rel)
{
    if (!*rel || rel[0] == '/') return false;
    const char *p = rel;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)p[i] < 0x20 || p[i] == '\\') return false;
        p += n + (e ? 1 : 0);
    }
    return true;
}

static bool claim(output *o, const char *rel, diag_list *dl)
{
    if (!rel_ok(rel)) {
        diag_add(dl, DIAG_ERROR, "refpress", 0, 0,
                 "refused to write \"%s\": the path would leave the output folder", rel);
        return false;
    }
    pthread_mutex_lock(&o->lock);
    xgrow(&o->written, &o->capwritten, o->nwritten + 1, sizeof *o->written);
    o->written[o->nwritten++] = xstrdup(rel);
    pthread_mutex_unlock(&o->lock);
    return true;
}

const char *const *output_files(output *o, size_t *n)
{
    *n = o->nwritten;
    return (const char *const *)o->written;
}

bool output_write(output *o, const char *rel, const void *data, size_t len, diag_list *dl)
{
    if (!claim(o, rel, dl)) return false;
    char *path = fs_join(o->staging, rel);
    bool ok = fs_write(path, data, len) == 0;
    if (!ok) diag_add(dl, DIAG_ERROR, rel, 0, 0, "cannot write: %s", strerror(errno));
    free(path);
    return ok;
}

bool output_copy(output *o, const char *rel, const char *src, diag_list *dl)
{
    if (!claim(o, rel, dl)) return false;
    char *path = fs_join(o->staging, rel);
    bool ok = fs_copy(src, path) == 0;
    if (!ok) diag_add(dl, DIAG_ERROR, src, 0, 0, "cannot copy to %s: %s", rel, strerror(errno));
    free(path);
    return ok;
}

static void output_free(output *o)
{
    for (size_t i = 0; i < o->nwritten; i++) free(o->written[i]);
    free(o->written);
    pthread_mutex_destroy(&o->lock);
    free(o->dir);
    free(o->staging);
    free(o);
}

/* Exchanges the two paths atomically (renameat2 RENAME_EXCHANGE); -1 where unsupported. */
static int exchange(const char *a, const char *b)
{
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* EXCHANGE */);
#else
    errno = ENOSYS;
    return -1;
#endif
}

bool output_commit(output *o, diag_list *dl)
{
    bool ok = true;
    if (!fs_is_dir(o->dir)) {
        if (rename(o->staging, o->dir) != 0) ok = false;
    } else if (exchange(o->staging, o->dir) == 0) {
        fs_remove_tree(o->staging); /* now the old output */
    } else {
        char *old = xasprintf("%s.old", o->staging);
        ok = rename(o->dir, old) == 0 && rename(o->staging, o->dir) == 0;
        if (ok) fs_remove_tree(old);
        free(old);
    }
    if (!ok) {
        diag_add(dl, DIAG_ERROR, o->dir, 0, 0, "cannot move the new output into place: %s",
                 strerror(errno));
        fs_remove_tree(o->staging);
    }
    output_free(o);
    return ok;
}

void output_abort(output *o)
{
    if (!o) return;
    fs_remove_tree(o->staging);
    output_free(o);
}
