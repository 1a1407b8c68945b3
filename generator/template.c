/* template.c — the template runtime: a sandboxed Lua 5.4 state, compiled templates cached in
 * it, renders with layouts, blocks and partials under memory and instruction limits. */
#include "template.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mempool.h"
#include "tplcompile.h"
#include "tplpattern.h"
#include "util.h"

#define DEFAULT_MEMORY ((size_t)64 << 20)
#define DEFAULT_INSTRUCTIONS 200000000UL
#define HOOK_STEP 1000     /* the count hook runs every HOOK_STEP VM instructions */
#define LAYOUT_MAX 16
#define PARTIAL_MAX 32
#define RANDOM_SEED 42
#define SAFE_MT "refpress.safe"
#define LOCKED "locked"    /* what getmetatable() shows for protected metatables */

struct tpl_engine {
    lua_State *L;
    tpl_lookup_fn lookup;
    void *ud;
    size_t memory;              /* what one render may add to the state */
    unsigned long instructions; /* VM instructions one render may run */
    long long now;
    mempool *pool;              /* where the state's small blocks come from */
    size_t used, limit;         /* allocator: bytes in use, bytes allowed */
    bool mem_hit;               /* the allocator refused a request during this render */
    bool rendering;
    buf_t *out;                 /* where the current render writes */
    unsigned long budget;       /* instructions left in this render */
    char last_file[256];        /* the last template position the hook saw */
    int last_line;
    char pend_file[256];        /* a position for the next error raised (raise_at) */
    int pend_line;
    bool pend;
    char *err_file;             /* where the message handler placed the error; owned */
    int err_line;
    tpl_spans *spans;           /* where renders note the places of partials' output, or NULL */
    int pdepth;                 /* partials being rendered, and their names */
    const char *pchain[PARTIAL_MAX + 1];
};

/* Registry keys: their addresses are the keys. */
static const char KEY_CACHE;      /* template name -> render function or compile error */
static const char KEY_GLOBALS;    /* the sandbox globals, raw (writable from C) */
static const char KEY_SANDBOX;    /* the sandbox globals, frozen */
static const char KEY_RUNTIME;    /* __R: esc, layout, block (frozen) */
static const char KEY_CTXMT;      /* metatable chaining a render context to the sandbox */
static const char KEY_RENDER;     /* this render's state: blocks, env_mt, layout, … */
static const char KEY_COMPILE_MT; /* metatable marking compile-error objects */
static const char KEY_RANDOMSEED; /* the real math.randomseed */

static tpl_engine *engine_of(lua_State *L)
{
    return *(tpl_engine **)lua_getextraspace(L);
}

/* ======================================================================= allocator */

/* Remembers the innermost template position, for a memory error: Lua raises those without
 * calling the message handler. Called by the allocator when it refuses a request; getinfo
 * "Sl" does not allocate. (In a C function such as string.rep the template's line is exact;
 * in the VM itself it is the last line Lua saved.) This is only safe while the call stack is
 * intact during an allocation: true up to Lua 5.4.4, which reallocates its stack by
 * allocating first; 5.4.6 turns stack pointers into offsets before it allocates. Elsewhere
 * the count hook's last position is used instead. */
static void note_position(tpl_engine *e)
{
#if LUA_VERSION_RELEASE_NUM > 50404
    (void)e;
#else
    lua_Debug ar;
    for (int level = 0; lua_getstack(e->L, level, &ar); level++) {
        if (!lua_getinfo(e->L, "Sl", &ar) || ar.source[0] != '@' || ar.currentline <= 0)
            continue;
        snprintf(e->last_file, sizeof e->last_file, "%s", ar.source + 1);
        e->last_line = ar.currentline;
        return;
    }
#endif
}

/* lua_Alloc with a limit: growth past e->limit is refused (Lua then raises a memory error);
 * frees and shrinks never fail. When ptr is NULL, osize is a type tag, not a size. */
static void *engine_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    tpl_engine *e = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        mempool_realloc(e->pool, ptr, old, 0);
        e->used -= old;
        return NULL;
    }
    if (nsize > old && (e->used > e->limit || nsize - old > e->limit - e->used)) {
        if (e->rendering) note_position(e);
        e->mem_hit = true;
        return NULL;
    }
    void *p = mempool_realloc(e->pool, ptr, old, nsize);
    if (!p) {
        if (nsize > old) return NULL;
        p = ptr; /* a failed shrink keeps the bigger block */
    }
    e->used = e->used - old + nsize;
    return p;
}

/* Last resort for an error outside any protected call (only a real out-of-memory can get
 * here): there is nothing to return to, so say so and stop. */
static int on_panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "refpress: unprotected error in the template engine: %s\n",
            msg ? msg : "?");
    abort();
}

/* ======================================================================= values */

static const unsigned char needs_escape[256] = {['&'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1,
                                                ['\''] = 1};

static const char *html_entity(char ch)
{
    switch (ch) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

static void add_escaped(luaL_Buffer *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (!needs_escape[(unsigned char)s[i]]) continue;
        luaL_addlstring(b, s + start, i - start);
        luaL_addstring(b, html_entity(s[i]));
        start = i + 1;
    }
    luaL_addlstring(b, s + start, n - start);
}

/* Pushes the string at idx HTML-escaped (the same string when nothing needs escaping). */
static void push_escaped(lua_State *L, int idx)
{
    size_t n, i = 0;
    const char *s = lua_tolstring(L, idx, &n);
    while (i < n && !needs_escape[(unsigned char)s[i]]) i++;
    if (i == n) {
        lua_pushvalue(L, idx);
        return;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, s, i);
    add_escaped(&b, s + i, n - i);
    luaL_pushresult(&b);
}

/* Pushes the number at idx as text: integers as they are, floats with %.14g (so 3.0 is
 * "3"), and "nan", "inf", "-inf". */
static void push_number_text(lua_State *L, int idx)
{
    char tmp[64];
    if (lua_isinteger(L, idx)) {
        snprintf(tmp, sizeof tmp, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
    } else {
        double d = (double)lua_tonumber(L, idx);
        if (isnan(d)) snprintf(tmp, sizeof tmp, "nan");
        else if (isinf(d)) snprintf(tmp, sizeof tmp, "%s", d < 0 ? "-inf" : "inf");
        else snprintf(tmp, sizeof tmp, "%.14g", d);
    }
    lua_pushstring(L, tmp);
}

/* Replaces the string on top of the stack with a safe string holding it. */
static void wrap_safe(lua_State *L)
{
    lua_newuserdatauv(L, 0, 1);  /* stack: s u */
    lua_rotate(L, -2, 1);        /* stack: u s */
    lua_setiuservalue(L, -2, 1); /* stack: u */
    luaL_setmetatable(L, SAFE_MT);
}

/* ----------------------------------------------------------------------- ropes
 * The output of a partial, block or template goes on as a rope: a safe string that holds
 * the output list itself rather than its concatenation. A page's text is then put together
 * once, where it is written, instead of once more at every level of partials and layouts
 * (and each of those copies made the collector run). A rope becomes a plain safe string of
 * its text (flattened, the same userdata) when its text is asked for: tostring, .., == and
 * the helpers written in C. It is flattened too when it would be an item of a second rope,
 * or nest too deep, so ropes form trees of bounded depth: a walk visits each list once,
 * and what it copies the template paid for with its own instructions and memory. */

#define ROPE_DEPTH 16

typedef struct rope {
    size_t size;    /* bytes of text */
    lua_Integer n;  /* the items of the list that count (later additions do not) */
    int depth;      /* 1 + the depth of the deepest rope among them */
    bool used;      /* an item of a rope already */
} rope;

/* For the safe string at idx: pushes its text or, for a rope, its list and returns the rope
 * (NULL for a plain one). */
static rope *safe_value(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    return lua_getiuservalue(L, idx, 1) == LUA_TTABLE ? lua_touserdata(L, idx) : NULL;
}

/* Where rope_copy writes: the text goes to p, never past end; with spans, the place of every
 * item that was the output of a partial, block or template (a rope, or one flattened since)
 * is noted, as an offset from base. */
typedef struct rope_dest {
    char *p, *end;
    const char *base;
    tpl_spans *spans;
} rope_dest;

/* Copies the text of the first n items of the output list at list to d. (Checked items could
 * only have changed since under a template that kept its own output list: then the copy stops
 * short, never overruns.) */
static void rope_copy(lua_State *L, int list, lua_Integer n, rope_dest *d)
{
    list = lua_absindex(L, list);
    int top = lua_gettop(L);
    luaL_checkstack(L, 3, "writing template output");
    for (lua_Integer i = 1; i <= n; i++) {
        /* a string, or a safe string: its text, or the list of a rope (wrap_list checked) */
        char *start = d->p;
        bool from_rope = false, copied = false;
        if (lua_rawgeti(L, list, i) == LUA_TUSERDATA) {
            bool list_value = lua_getiuservalue(L, -1, 1) == LUA_TTABLE;
            from_rope = lua_rawlen(L, -2) == sizeof(rope);
            if (list_value && from_rope) {
                rope_copy(L, -1, ((const rope *)lua_touserdata(L, -2))->n, d);
                copied = true;
            }
        }
        if (!copied) {
            size_t len;
            const char *s = lua_tolstring(L, -1, &len);
            if (s && len <= (size_t)(d->end - d->p)) {
                memcpy(d->p, s, len);
                d->p += len;
            }
        }
        if (from_rope && d->spans && d->p > start) {
            tpl_spans *sp = d->spans;
            tpl_span span = {(size_t)(start - d->base), (size_t)(d->p - start)};
            /* an output that is all of the one inside it: the same place, noted once */
            const tpl_span *last = sp->n ? &sp->v[sp->n - 1] : NULL;
            if (!last || last->off != span.off || last->len != span.len) {
                xgrow(&sp->v, &sp->cap, sp->n + 1, sizeof *sp->v);
                sp->v[sp->n++] = span;
            }
        }
        lua_settop(L, top);
    }
}

static void raise_memory(lua_State *L)
{
    engine_of(L)->mem_hit = true;
    lua_pushliteral(L, "not enough memory");
    lua_error(L);
}

/* Copies the text of the rope r, whose list is on top of the stack, to p (r->size bytes),
 * noting the places of partials' output in spans (may be NULL), and pops the list. */
static void rope_write(lua_State *L, const rope *r, char *p, tpl_spans *spans)
{
    rope_dest d = {p, p + r->size, p, spans};
    rope_copy(L, -1, r->n, &d);
    if (d.p != p + r->size) luaL_error(L, "template output changed after it was written");
    lua_pop(L, 1);
}

/* Turns the rope r at idx into a plain safe string: its text, put together at its size. */
static void rope_flatten(lua_State *L, int idx, const rope *r)
{
    idx = lua_absindex(L, idx);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, r->size);
    lua_getiuservalue(L, idx, 1); /* the stack is used between buffer calls, evenly */
    rope_write(L, r, p, NULL);
    luaL_pushresultsize(&b, r->size);
    lua_setiuservalue(L, idx, 1);
}

/* Replaces the output list on top of the stack with a rope of its text. */
static void wrap_list(lua_State *L)
{
    int list = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, list);
    size_t size = 0, len;
    int depth = 1;
    for (lua_Integer i = 1; i <= n; i++) {
        int t = lua_rawgeti(L, list, i);
        rope *r = NULL;
        if (t == LUA_TUSERDATA && luaL_testudata(L, -1, SAFE_MT)) {
            r = safe_value(L, -1);
            if (r && (r->used || r->depth >= ROPE_DEPTH)) {
                lua_pop(L, 1);
                rope_flatten(L, -1, r);
                r = safe_value(L, -1);
            }
        } else if (t != LUA_TSTRING) {
            luaL_error(L, "template output holds a %s value", luaL_typename(L, -1));
        }
        if (r) {
            r->used = true;
            if (r->depth >= depth) depth = r->depth + 1;
            len = r->size;
        } else {
            len = lua_rawlen(L, -1); /* the string, or the safe string's text */
        }
        if (len > SIZE_MAX - size) raise_memory(L);
        size += len;
        lua_settop(L, list);
    }
    if (size > engine_of(L)->memory) raise_memory(L);
    rope *r = lua_newuserdatauv(L, sizeof *r, 1);
    *r = (rope){size, n, depth, false};
    lua_pushvalue(L, list);
    lua_setiuservalue(L, -2, 1);
    luaL_setmetatable(L, SAFE_MT);
    lua_replace(L, list);
}

/* If the value at idx is a safe string, pushes its text and returns it; otherwise returns
 * NULL and pushes nothing. */
static const char *safe_text(lua_State *L, int idx, size_t *n)
{
    idx = lua_absindex(L, idx);
    if (!luaL_testudata(L, idx, SAFE_MT)) return NULL;
    rope *r = safe_value(L, idx);
    if (r) {
        lua_pop(L, 1);
        rope_flatten(L, idx, r);
        safe_value(L, idx);
    }
    return lua_tolstring(L, -1, n);
}

void tpl_push_safe(lua_State *L, const char *s, size_t n)
{
    lua_pushlstring(L, s ? s : "", s ? n : 0);
    wrap_safe(L);
}

const char *tpl_to_safe(lua_State *L, int idx, size_t *n)
{
    size_t len;
    idx = lua_absindex(L, idx);
    const char *s = safe_text(L, idx, &len);
    if (!s) return NULL;
    lua_pop(L, 1); /* the userdata at idx keeps the string alive */
    if (n) *n = len;
    return s;
}

/* Operand of a .. with a safe string: pushes its text; *raw says whether it goes in as is. */
static const char *concat_operand(lua_State *L, int idx, size_t *n, bool *raw)
{
    const char *s = safe_text(L, idx, n);
    *raw = s != NULL;
    if (s) return s;
    if (lua_type(L, idx) == LUA_TSTRING) lua_pushvalue(L, idx);
    else if (lua_type(L, idx) == LUA_TNUMBER) push_number_text(L, idx);
    else luaL_error(L, "attempt to concatenate a %s value", luaL_typename(L, idx));
    return lua_tolstring(L, -1, n);
}

/* __concat: safe .. x and x .. safe give a safe string, x HTML-escaped. */
static int safe_concat(lua_State *L)
{
    size_t n1, n2;
    bool raw1, raw2;
    const char *s1 = concat_operand(L, 1, &n1, &raw1);
    const char *s2 = concat_operand(L, 2, &n2, &raw2);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (raw1) luaL_addlstring(&b, s1, n1);
    else add_escaped(&b, s1, n1);
    if (raw2) luaL_addlstring(&b, s2, n2);
    else add_escaped(&b, s2, n2);
    luaL_pushresult(&b);
    wrap_safe(L);
    return 1;
}

static int safe_tostring(lua_State *L)
{
    luaL_checkudata(L, 1, SAFE_MT);
    safe_text(L, 1, NULL);
    return 1;
}

static int safe_len(lua_State *L)
{
    size_t n;
    luaL_checkudata(L, 1, SAFE_MT);
    rope *r = safe_value(L, 1);
    if (r) n = r->size;
    else lua_tolstring(L, -1, &n);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

static int safe_eq(lua_State *L)
{
    size_t n1, n2;
    const char *s1 = safe_text(L, 1, &n1);
    const char *s2 = s1 ? safe_text(L, 2, &n2) : NULL;
    lua_pushboolean(L, s1 && s2 && n1 == n2 && memcmp(s1, s2, n1) == 0);
    return 1;
}

/* ======================================================================= freezing */

static int ro_newindex(lua_State *L)
{
    return luaL_error(L, "attempt to modify read-only data");
}

/* If the value at idx is a read-only proxy, pushes the table it guards and returns true. */
static bool proxy_target(lua_State *L, int idx)
{
    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx)) return false; /* stack: mt */
    lua_pushliteral(L, "__newindex");
    lua_rawget(L, -2);                                                    /* stack: mt ni */
    bool proxy = lua_tocfunction(L, -1) == ro_newindex;
    lua_pop(L, 1);
    if (!proxy) {
        lua_pop(L, 1);
        return false;
    }
    lua_pushliteral(L, "__index");
    lua_rawget(L, -2); /* stack: mt target */
    lua_remove(L, -2);
    return true;
}

static bool is_proxy(lua_State *L, int idx)
{
    if (!proxy_target(L, idx)) return false;
    lua_pop(L, 1);
    return true;
}

/* The length of the guarded table, through its own __len when it has one (a list whose
 * entries are made on first use, see ro_pairs). */
static int ro_len(lua_State *L)
{
    if (!proxy_target(L, 1)) return luaL_argerror(L, 1, "read-only table expected");
    lua_len(L, -1);
    return 1;
}

/* The iterator pairs() returns for a proxy: next() over the guarded table, which is never
 * handed to the template. */
static int ro_next(lua_State *L)
{
    lua_settop(L, 2);
    if (!proxy_target(L, 1)) return luaL_argerror(L, 1, "read-only table expected");
    lua_insert(L, 2); /* stack: proxy target key */
    if (lua_next(L, 2)) return 2;
    lua_pushnil(L);
    return 1;
}

/* A guarded table that makes its entries on first use (it has a metatable of its own) makes
 * them all before it is walked with next(), so the walk sees every one: a page table makes
 * every field when asked for the key "", a page list (a __len of its own) entries 1 … #. */
static void make_entries(lua_State *L, int t)
{
    t = lua_absindex(L, t);
    if (!lua_getmetatable(L, t)) return;
    lua_pop(L, 1);
    lua_pushliteral(L, "");
    lua_gettable(L, t);
    lua_pop(L, 1);
    if (luaL_getmetafield(L, t, "__len") == LUA_TNIL) return;
    lua_pop(L, 1);
    lua_Integer n = luaL_len(L, t);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, t, i);
        lua_pop(L, 1);
    }
}

bool tpl_frozen_entries(lua_State *L, int idx)
{
    if (!proxy_target(L, idx)) return false;
    make_entries(L, -1);
    return true;
}

static int ro_pairs(lua_State *L)
{
    if (tpl_frozen_entries(L, 1)) lua_pop(L, 1);
    lua_pushcfunction(L, ro_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* ======================================================================= sorted pairs */

/* Lua's own traversal order depends on a hash seed that changes from run to run, so the
 * sandbox's pairs() visits keys in sorted order: numbers ascending, then strings bytewise,
 * then booleans (false first); other keys last, in traversal order. */
typedef struct sort_key {
    int rank;          /* 0 number, 1 string, 2 boolean, 3 other */
    lua_Number num;
    const char *str;   /* borrowed from the table being iterated */
    size_t len;
    lua_Integer pos;   /* traversal position: the tie-breaker for "other" */
} sort_key;

static int sort_key_cmp(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    if (x->rank == 0 && x->num != y->num) return x->num < y->num ? -1 : 1;
    if (x->rank == 1) {
        int c = memcmp(x->str, y->str, x->len < y->len ? x->len : y->len);
        if (c) return c;
        if (x->len != y->len) return x->len < y->len ? -1 : 1;
    }
    if (x->rank == 2 && x->num != y->num) return x->num < y->num ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Iterator: upvalue 1 the sorted keys, upvalue 2 the position; reads t[k] through __index. */
static int sorted_next(lua_State *L)
{
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(2)) + 1;
    if (lua_rawgeti(L, lua_upvalueindex(1), i) == LUA_TNIL) return 1;
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(2));
    lua_pushvalue(L, -1);
    lua_gettable(L, 1); /* stack: key value */
    return 2;
}

/* pairs(t) for templates: see sort_key. */
static int sb_pairs(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    int t = tpl_frozen_entries(L, 1) ? 2 : 1;
    lua_Integer n = 0;
    lua_newtable(L); /* stack: … raw-keys */
    int raw = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, raw, ++n);
    }
    sort_key *keys = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *keys, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        sort_key *k = &keys[i - 1];
        int type = lua_rawgeti(L, raw, i);
        *k = (sort_key){.rank = 3, .pos = i};
        if (type == LUA_TNUMBER) *k = (sort_key){0, lua_tonumber(L, -1), NULL, 0, i};
        else if (type == LUA_TSTRING) {
            k->rank = 1;
            k->str = lua_tolstring(L, -1, &k->len);
        } else if (type == LUA_TBOOLEAN) *k = (sort_key){2, lua_toboolean(L, -1), NULL, 0, i};
        lua_pop(L, 1);
    }
    xsort(keys, (size_t)n, sizeof *keys, sort_key_cmp);
    lua_createtable(L, (int)n, 0); /* stack: … raw-keys keys sorted */
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, raw, keys[i - 1].pos);
        lua_rawseti(L, -2, i);
    }
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, sorted_next, 2); /* stack: … iterator */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Pushes a new proxy of the table at t. */
static void push_new_proxy(lua_State *L, int t)
{
    t = lua_absindex(L, t);
    lua_newtable(L);              /* stack: proxy */
    lua_createtable(L, 0, 5);     /* stack: proxy mt */
    lua_pushvalue(L, t);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, ro_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, ro_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, LOCKED);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);      /* stack: proxy */
}

/* Pushes the proxy of the table at t: the one made earlier in this freeze (seen), or a new
 * one, in which case t is queued on work to have its fields frozen. */
static void push_proxy(lua_State *L, int t, int seen, int work, lua_Integer *nwork)
{
    lua_pushvalue(L, t);
    if (lua_rawget(L, seen) != LUA_TNIL) return; /* stack: proxy */
    lua_pop(L, 1);
    push_new_proxy(L, t);
    lua_pushvalue(L, t);
    lua_pushvalue(L, -2);
    lua_rawset(L, seen);
    lua_pushvalue(L, t);
    lua_rawseti(L, work, ++*nwork);
}

/* Replaces every table value of the table at t with its proxy. */
static void freeze_fields(lua_State *L, int t, int seen, int work, lua_Integer *nwork)
{
    lua_pushnil(L);
    while (lua_next(L, t)) { /* stack: k v */
        if (lua_type(L, -1) == LUA_TTABLE && !is_proxy(L, -1)) {
            push_proxy(L, lua_gettop(L), seen, work, nwork); /* stack: k v proxy */
            lua_pushvalue(L, -3);
            lua_insert(L, -2);                               /* stack: k v k proxy */
            lua_rawset(L, t);                                /* an existing field: allowed */
        }
        lua_pop(L, 1);
    }
}

/* Iterative (a work list, not recursion), so long chains such as prev/next links between
 * pages cannot exhaust the C stack; a table reached twice gets one proxy. */
void tpl_freeze(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE || is_proxy(L, idx)) return;
    luaL_checkstack(L, 12, "freezing template data");
    lua_newtable(L); /* stack: seen */
    lua_newtable(L); /* stack: seen work */
    int seen = lua_gettop(L) - 1, work = seen + 1;
    lua_Integer nwork = 0;
    push_proxy(L, idx, seen, work, &nwork); /* stack: seen work proxy */
    lua_replace(L, idx);
    while (nwork > 0) {
        lua_rawgeti(L, work, nwork); /* stack: seen work t */
        lua_pushnil(L);
        lua_rawseti(L, work, nwork--);
        freeze_fields(L, lua_gettop(L), seen, work, &nwork);
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

void tpl_freeze_built(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 4, "freezing template data");
    push_new_proxy(L, idx);
    lua_replace(L, idx);
}

/* Copies the fields of the table (or proxy) at src into the table at dst. */
static void copy_fields(lua_State *L, int src, int dst)
{
    src = lua_absindex(L, src);
    dst = lua_absindex(L, dst);
    bool proxy = proxy_target(L, src);
    if (proxy) src = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, src)) { /* stack: k v */
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, dst);
    }
    if (proxy) lua_pop(L, 1);
}

/* ======================================================================= os.date, os.time */

/* Whether p (just past a '%') starts a conversion C99 strftime defines; *n its length. */
static bool valid_conversion(const char *p, size_t *n)
{
    if (*p && strchr("aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%", *p)) {
        *n = 1;
        return true;
    }
    if ((*p == 'E' && p[1] && strchr("cCxXyY", p[1])) ||
        (*p == 'O' && p[1] && strchr("deHImMSuUVwWy", p[1]))) {
        *n = 2;
        return true;
    }
    return false;
}

static void set_int_field(lua_State *L, const char *k, long long v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

static void push_date_table(lua_State *L, const struct tm *tm)
{
    lua_createtable(L, 0, 9);
    set_int_field(L, "year", (long long)tm->tm_year + 1900);
    set_int_field(L, "month", tm->tm_mon + 1);
    set_int_field(L, "day", tm->tm_mday);
    set_int_field(L, "hour", tm->tm_hour);
    set_int_field(L, "min", tm->tm_min);
    set_int_field(L, "sec", tm->tm_sec);
    set_int_field(L, "yday", tm->tm_yday + 1);
    set_int_field(L, "wday", tm->tm_wday + 1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "isdst");
}

/* os.date([format [, time]]): always UTC ("!" is implied); time defaults to the engine's
 * "now", never the wall clock. */
static int os_date(lua_State *L)
{
    size_t len, n;
    const char *fmt = luaL_optlstring(L, 1, "%c", &len);
    time_t t = lua_isnoneornil(L, 2) ? (time_t)engine_of(L)->now
                                     : (time_t)luaL_checkinteger(L, 2);
    struct tm tm;
    const char *end = fmt + len;
    if (*fmt == '!') fmt++;
    if (!gmtime_r(&t, &tm)) return luaL_error(L, "date result cannot be represented");
    if (strcmp(fmt, "*t") == 0) {
        push_date_table(L, &tm);
        return 1;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    while (fmt < end) {
        if (*fmt != '%') {
            luaL_addchar(&b, *fmt++);
            continue;
        }
        if (!valid_conversion(fmt + 1, &n)) {
            char bad[4] = {'%', fmt[1], fmt[1] ? fmt[2] : '\0', '\0'};
            return luaL_error(L, "bad argument #1 to 'date' (invalid conversion specifier '%s')",
                              bad);
        }
        char spec[4] = {'%', fmt[1], n == 2 ? fmt[2] : '\0', '\0'}, tmp[256];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* spec is one checked conversion */
        luaL_addlstring(&b, tmp, strftime(tmp, sizeof tmp, spec, &tm));
#pragma GCC diagnostic pop
        fmt += 1 + n;
    }
    luaL_pushresult(&b);
    return 1;
}

static lua_Integer date_field(lua_State *L, const char *key, lua_Integer dflt)
{
    int isnum, t = lua_getfield(L, 1, key);
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    if (t == LUA_TNIL && dflt >= 0) return dflt;
    if (t == LUA_TNIL) return luaL_error(L, "field '%s' missing in date table", key);
    if (!isnum) return luaL_error(L, "field '%s' is not an integer", key);
    if (v < INT32_MIN || v > INT32_MAX) return luaL_error(L, "field '%s' is out-of-bound", key);
    return v;
}

/* Days from 1970-01-01 to the given day of the proleptic Gregorian calendar; m in 1..12,
 * d may run past the month (it counts on). */
static long long days_from_civil(long long y, long long m, long long d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* os.time([table]): the engine's "now", or the UTC time of a date table. */
static int os_time(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_pushinteger(L, (lua_Integer)engine_of(L)->now);
        return 1;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    long long year = date_field(L, "year", -1), month = date_field(L, "month", -1) - 1;
    long long day = date_field(L, "day", -1), hour = date_field(L, "hour", 12);
    long long min = date_field(L, "min", 0), sec = date_field(L, "sec", 0);
    long long years = month >= 0 ? month / 12 : -((11 - month) / 12);
    year += years;
    month -= years * 12;
    long long days = days_from_civil(year, month + 1, day);
    lua_pushinteger(L, (lua_Integer)(days * 86400 + hour * 3600 + min * 60 + sec));
    return 1;
}

/* ======================================================================= sandbox helpers */

/* setmetatable that refuses metatables with __gc: finalizers run with hooks off, where no
 * instruction limit could stop them. */
static int sb_setmetatable(lua_State *L)
{
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "templates may not set a '__gc' metamethod");
        lua_pop(L, 1);
    }
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* safe(x): x as a safe string; nil gives "", numbers and strings are wrapped as they are. */
static int sb_safe(lua_State *L)
{
    switch (lua_type(L, 1)) {
    case LUA_TNONE:
    case LUA_TNIL: lua_pushliteral(L, ""); break;
    case LUA_TSTRING: lua_settop(L, 1); break;
    case LUA_TNUMBER: push_number_text(L, 1); break;
    default:
        if (luaL_testudata(L, 1, SAFE_MT)) {
            lua_settop(L, 1);
            return 1;
        }
        return luaL_typeerror(L, 1, "string");
    }
    wrap_safe(L);
    return 1;
}

/* Checks the template name at idx (given to partial() or layout) and pushes prefix .. name,
 * with ".html" appended unless it ends so. Names stay inside the templates folder. */
static const char *push_template_name(lua_State *L, int idx, const char *prefix)
{
    size_t n;
    const char *s = luaL_checklstring(L, idx, &n);
    bool bad = n == 0 || strlen(s) != n || s[0] == '/' || strchr(s, '\\') != NULL;
    for (const char *p = s; !bad && *p;) {
        const char *slash = strchr(p, '/');
        size_t seg = slash ? (size_t)(slash - p) : strlen(p);
        bad = seg == 2 && p[0] == '.' && p[1] == '.';
        p += slash ? seg + 1 : seg;
    }
    if (bad) luaL_error(L, "bad template name '%s'", s);
    return lua_pushfstring(L, "%s%s%s", prefix, s, str_ends_with(s, ".html") ? "" : ".html");
}

/* Pushes this render's state table; returns its index. */
static int push_render_state(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_RENDER) != LUA_TTABLE)
        luaL_error(L, "templates run only inside a render");
    return lua_gettop(L);
}

static void render_chain(lua_State *L, tpl_engine *e, const char *name, int env);

/* partial(name [, params]): renders partials/<name>.html with params as its own variables
 * (over the render's context) and returns its output as a safe string. */
static int sb_partial(lua_State *L)
{
    tpl_engine *e = engine_of(L);
    luaL_checkstring(L, 1);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    const char *name = push_template_name(L, 1, "partials/"); /* stack: arg params name */
    if (e->pdepth >= PARTIAL_MAX)
        return luaL_error(L, "partials nested deeper than %d: %s → %s → %s → …", PARTIAL_MAX,
                          e->pchain[0], e->pchain[1], e->pchain[2]);
    e->pchain[e->pdepth++] = name;
    push_render_state(L);
    lua_getfield(L, -1, "env_mt"); /* stack: arg params name rs env_mt */
    lua_newtable(L);               /* stack: arg params name rs env_mt env */
    if (!lua_isnil(L, 2)) copy_fields(L, 2, 6);
    lua_pushvalue(L, 5);
    lua_setmetatable(L, 6);
    render_chain(L, e, name, 6);   /* stack: arg params name rs env_mt env list */
    e->pdepth--;
    wrap_list(L);
    return 1;
}

/* ======================================================================= runtime (__R) */

/* __R.esc(v): what {{ v }} writes. */
static int rt_esc(lua_State *L)
{
    switch (lua_type(L, 1)) {
    case LUA_TSTRING: push_escaped(L, 1); return 1;
    case LUA_TNUMBER: push_number_text(L, 1); return 1;
    case LUA_TBOOLEAN: lua_pushstring(L, lua_toboolean(L, 1) ? "true" : "false"); return 1;
    case LUA_TNONE:
    case LUA_TNIL: lua_pushliteral(L, ""); return 1;
    case LUA_TUSERDATA:
        if (luaL_testudata(L, 1, SAFE_MT)) {
            lua_settop(L, 1); /* a rope stays one: its text is put together once, at the end */
            return 1;
        }
        break;
    case LUA_TTABLE:
        return luaL_error(L, "cannot write a table value into the page "
                             "(did you mean one of its fields?)");
    case LUA_TFUNCTION:
        return luaL_error(L, "cannot write a function value into the page "
                             "(did you mean to call it?)");
    }
    return luaL_error(L, "cannot write a %s value into the page", luaL_typename(L, 1));
}

/* __R.layout(name, line): after this template, render the layout name with its output. */
static int rt_layout(lua_State *L)
{
    lua_Debug ar;
    lua_Integer line = luaL_optinteger(L, 2, 0);
    lua_settop(L, 2);
    push_template_name(L, 1, ""); /* stack: name line full */
    int rs = push_render_state(L);
    lua_pushvalue(L, 3);
    lua_setfield(L, rs, "layout");
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) && ar.source[0] == '@')
        lua_pushstring(L, ar.source + 1);
    else
        lua_pushliteral(L, "");
    lua_setfield(L, rs, "lfile");
    lua_pushinteger(L, line);
    lua_setfield(L, rs, "lline");
    return 0;
}

/* Replaces the value on top with "" (a safe string) when the running template has asked for
 * a layout: its blocks are written by the layout, not where they stand. */
static void hide_if_layout(lua_State *L, int rs)
{
    if (lua_getfield(L, rs, "layout") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 2);
    tpl_push_safe(L, "", 0);
}

/* __R.block(name, fn): the text of block name: the first definition in this render wins;
 * fn (the block's body, returning its output list) runs only when it is the first. The text
 * is written where the block stands, unless the template has a layout. */
static int rt_block(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TSTRING);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    push_render_state(L);
    lua_getfield(L, 3, "blocks"); /* stack: name fn rs blocks */
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 4) != LUA_TNIL) {
        hide_if_layout(L, 3);
        return 1;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 0, 1);            /* stack: name fn rs blocks list */
    if (!lua_istable(L, 5)) return luaL_error(L, "block '%s' did not finish", lua_tostring(L, 1));
    lua_pushvalue(L, 5);
    wrap_list(L);                 /* stack: name fn rs blocks list text */
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 4) == LUA_TNIL) {
        lua_pushvalue(L, 1);
        lua_pushvalue(L, 6);
        lua_rawset(L, 4);
    }
    lua_settop(L, 6);
    hide_if_layout(L, 3);
    return 1;
}

/* ======================================================================= compiling */

/* Pushes a compile-error object (recognised by the message handler and tpl_render). */
static void push_compile_error(lua_State *L, const char *file, int line, int col,
                               const char *msg)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, file);
    lua_setfield(L, -2, "file");
    lua_pushinteger(L, line);
    lua_setfield(L, -2, "line");
    lua_pushinteger(L, col);
    lua_setfield(L, -2, "col");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_COMPILE_MT);
    lua_setmetatable(L, -2);
}

static bool is_compile_error(lua_State *L, int idx)
{
    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx)) return false;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_COMPILE_MT);
    bool same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

/* Splits "path:12: message" into line 12 and "message"; no position gives line 0, msg. */
static const char *split_position(const char *msg, int *line)
{
    for (const char *p = strchr(msg, ':'); p; p = strchr(p + 1, ':')) {
        const char *q = p + 1;
        long n = 0;
        while (*q >= '0' && *q <= '9' && n < 100000000) n = n * 10 + (*q++ - '0');
        if (q > p + 1 && q[0] == ':' && q[1] == ' ') {
            *line = (int)n;
            return q + 2;
        }
    }
    *line = 0;
    return msg;
}

/* Turns the template source into Lua and pushes the render function (the loaded chunk).
 * Returns LUA_OK, or LUA_ERRSYNTAX with a compile-error object pushed instead, or
 * LUA_ERRMEM with a message pushed. */
static int load_template(lua_State *L, const tpl_source *src)
{
    const char *path = src->path ? src->path : "?";
    const char *chunkname = lua_pushfstring(L, "@%s", path); /* stack: chunkname */
    buf_t code = BUF_INIT;
    diag_list dl = DIAG_LIST_INIT;
    if (!tpl_compile(src->text, src->len, path, &code, &dl)) {
        char msg[512];
        int line = dl.len ? dl.items[0].line : 0, col = dl.len ? dl.items[0].col : 0;
        snprintf(msg, sizeof msg, "%s", dl.len ? dl.items[0].message : "cannot compile");
        buf_free(&code);
        diag_list_free(&dl);
        lua_pop(L, 1);
        push_compile_error(L, path, line, col, msg);
        return LUA_ERRSYNTAX;
    }
    int status = luaL_loadbufferx(L, buf_cstr(&code), code.len, chunkname, "t");
    buf_free(&code);
    diag_list_free(&dl);
    lua_remove(L, -2); /* stack: chunk-or-message */
    if (status == LUA_ERRMEM) return status;
    if (status != LUA_OK) {
        int line;
        const char *rest = split_position(lua_tostring(L, -1), &line);
        push_compile_error(L, path, line, 0, rest);
        lua_remove(L, -2);
        return LUA_ERRSYNTAX;
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_SANDBOX);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1); /* the chunk's _ENV: never the real one */
    return LUA_OK;
}

/* Pushes the render function of template name, compiling and caching it on first use.
 * Returns false, pushing nothing, when there is no such template. A template that does not
 * compile raises its (cached) compile error. */
static bool push_template(lua_State *L, tpl_engine *e, const char *name)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_CACHE); /* stack: cache */
    int t = lua_getfield(L, -1, name);             /* stack: cache entry */
    if (t == LUA_TTABLE) lua_error(L);
    if (t == LUA_TFUNCTION) {
        lua_remove(L, -2);
        return true;
    }
    lua_pop(L, 1);
    tpl_source src = {0};
    if (!e->lookup || !e->lookup(e->ud, name, &src)) {
        lua_pop(L, 1);
        return false;
    }
    int status = load_template(L, &src); /* stack: cache fn-or-error */
    if (status == LUA_ERRMEM) lua_error(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    lua_remove(L, -2);
    if (status != LUA_OK) lua_error(L);
    return true;
}

/* ======================================================================= rendering */

/* Raises msg with the given template position (for errors found outside template code). */
static int raise_at(lua_State *L, const char *file, int line, const char *msg)
{
    tpl_engine *e = engine_of(L);
    lua_pushstring(L, msg);
    snprintf(e->pend_file, sizeof e->pend_file, "%s", file ? file : "");
    e->pend_line = line;
    e->pend = true;
    return lua_error(L);
}

/* Runs template name with the environment at env and pushes its output list. file/line,
 * when given, say where a missing template was asked for. */
static void run_template(lua_State *L, tpl_engine *e, const char *name, int env,
                         const char *file, int line)
{
    lua_Debug ar;
    if (!push_template(L, e, name)) {
        lua_pushfstring(L, "no template named %s", name);
        if (file) raise_at(L, file, line, lua_tostring(L, -1));
        lua_error(L);
    }
    if (!e->last_file[0]) { /* a position for memory errors before the hook has run */
        lua_pushvalue(L, -1);
        if (lua_getinfo(L, ">S", &ar) && ar.source[0] == '@')
            snprintf(e->last_file, sizeof e->last_file, "%s", ar.source + 1);
    }
    lua_pushvalue(L, -1);                                /* stack: fn fn */
    lua_pushvalue(L, env);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_RUNTIME);     /* stack: fn fn env R */
    lua_call(L, 2, 1);                                   /* stack: fn list */
    if (lua_istable(L, -1)) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    lua_getinfo(L, ">S", &ar);
    raise_at(L, ar.source[0] == '@' ? ar.source + 1 : name, 0,
             "a template must not 'return' at its top level (its output would be lost)");
}

/* Moves field k of the table at from into slot i of the table at to, leaving nil behind. */
static void move_field(lua_State *L, int from, const char *k, int to, int i)
{
    lua_getfield(L, from, k);
    lua_rawseti(L, to, i);
    lua_pushnil(L);
    lua_setfield(L, from, k);
}

/* After a template ran: if it asked for a layout, pushes the layout's name, file and line
 * (where it was asked for) and returns true. */
static bool next_layout(lua_State *L, int rs, int chain, int depth)
{
    if (lua_getfield(L, rs, "layout") == LUA_TNIL) {
        lua_pop(L, 1);
        return false;
    }
    lua_getfield(L, rs, "lfile");
    lua_getfield(L, rs, "lline"); /* stack: lname lfile lline */
    lua_pushnil(L);
    lua_setfield(L, rs, "layout");
    lua_pushfstring(L, "%s → %s", lua_tostring(L, chain), lua_tostring(L, -3));
    lua_replace(L, chain);
    if (depth >= LAYOUT_MAX) {
        lua_pushfstring(L, "layouts nested deeper than %d: %s", LAYOUT_MAX,
                        lua_tostring(L, chain));
        raise_at(L, lua_tostring(L, -3), (int)lua_tointeger(L, -2), lua_tostring(L, -1));
    }
    return true;
}

/* Runs template name with the environment at env, then the layouts it asks for (each with
 * `content`, the output so far, as a safe string), and pushes the final output list. */
static void render_chain(lua_State *L, tpl_engine *e, const char *name, int env)
{
    env = lua_absindex(L, env);
    int base = lua_gettop(L), rs = base + 1, saved = base + 2, list = base + 3;
    int chain = base + 4;
    push_render_state(L);
    lua_createtable(L, 3, 0);                    /* stack: rs saved */
    move_field(L, rs, "layout", saved, 1);       /* an enclosing template's layout waits */
    move_field(L, rs, "lfile", saved, 2);
    move_field(L, rs, "lline", saved, 3);
    run_template(L, e, name, env, NULL, 0);      /* stack: rs saved list */
    lua_pushstring(L, name);                     /* stack: rs saved list chain */
    for (int depth = 0; next_layout(L, rs, chain, depth); depth++) {
        lua_pushvalue(L, list);
        wrap_list(L);                            /* stack: … chain lname lfile lline text */
        lua_createtable(L, 0, 1);
        lua_insert(L, -2);
        lua_setfield(L, -2, "content");          /* stack: … chain lname lfile lline env */
        lua_getfield(L, rs, "env_mt");
        lua_setmetatable(L, -2);
        run_template(L, e, lua_tostring(L, chain + 1), chain + 4, lua_tostring(L, chain + 2),
                     (int)lua_tointeger(L, chain + 3));
        lua_replace(L, list);
        lua_settop(L, chain);
    }
    lua_rawgeti(L, saved, 1);
    lua_setfield(L, rs, "layout");
    lua_rawgeti(L, saved, 2);
    lua_setfield(L, rs, "lfile");
    lua_rawgeti(L, saved, 3);
    lua_setfield(L, rs, "lline");
    lua_settop(L, list);
    lua_replace(L, rs);
    lua_settop(L, base + 1);                     /* stack: list */
}

/* Returns the index of a table that reads the context at ctx, then the sandbox globals:
 * ctx itself, given the shared chaining metatable, unless it has a metatable of its own. */
static int chain_context(lua_State *L, int ctx)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_CTXMT); /* stack: ctxmt */
    if (!lua_getmetatable(L, ctx)) {
        lua_setmetatable(L, ctx);
        return ctx;
    }
    bool same = lua_rawequal(L, -1, -2);           /* stack: ctxmt mt */
    lua_pop(L, 1);
    if (same) {
        lua_pop(L, 1);
        return ctx;
    }
    lua_newtable(L);                               /* stack: ctxmt copy */
    copy_fields(L, ctx, -1);
    lua_insert(L, -2);
    lua_setmetatable(L, -2);                       /* stack: copy */
    return lua_gettop(L);
}

/* The protected body of tpl_render. Arguments: ctx, name. */
static int render_main(lua_State *L)
{
    tpl_engine *e = engine_of(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_RANDOMSEED);
    lua_pushinteger(L, RANDOM_SEED);
    lua_call(L, 1, 0);
    int ctx = chain_context(L, 1);
    lua_createtable(L, 0, 2);                      /* stack: … env_mt */
    int env_mt = lua_gettop(L);
    lua_pushvalue(L, ctx);
    lua_setfield(L, env_mt, "__index");
    lua_pushliteral(L, LOCKED);
    lua_setfield(L, env_mt, "__metatable");
    lua_createtable(L, 0, 5);                      /* stack: … env_mt rs */
    lua_newtable(L);
    lua_setfield(L, -2, "blocks");
    lua_pushvalue(L, env_mt);
    lua_setfield(L, -2, "env_mt");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_RENDER);
    lua_newtable(L);                               /* stack: … env_mt env */
    lua_pushvalue(L, env_mt);
    lua_setmetatable(L, -2);
    render_chain(L, e, lua_tostring(L, 2), lua_gettop(L)); /* stack: … env list */
    wrap_list(L);                                  /* stack: … env page */
    const rope *r = safe_value(L, -1);             /* stack: … env page list */
    buf_grow(e->out, r->size);
    rope_write(L, r, e->out->ptr + e->out->len, e->spans);
    e->out->len += r->size;
    e->out->ptr[e->out->len] = '\0';
    return 0;
}

/* ======================================================================= errors */

/* Pushes the error value at idx as a message and returns it. */
static const char *error_text(lua_State *L, int idx)
{
    const char *s;
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
    case LUA_TNUMBER:
        lua_pushvalue(L, idx);
        return lua_tostring(L, -1);
    case LUA_TUSERDATA:
        if ((s = safe_text(L, idx, NULL)) != NULL) return s;
        break;
    }
    return lua_pushfstring(L, "error object is a %s value", luaL_typename(L, idx));
}

/* Finds where the error with message msg happened: a position raise_at left, else the
 * "path:line: " prefix Lua gave it (for a template on the stack), else the innermost
 * template frame. Sets e->err_file and e->err_line; returns msg without its prefix. */
static const char *place_error(lua_State *L, tpl_engine *e, const char *msg)
{
    lua_Debug ar;
    free(e->err_file);
    e->err_file = NULL;
    e->err_line = 0;
    if (e->pend) {
        e->pend = false;
        e->err_file = xstrdup(e->pend_file);
        e->err_line = e->pend_line;
        return msg;
    }
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.source[0] != '@') continue;
        if (!e->err_file && ar.currentline > 0) {
            e->err_file = xstrdup(ar.source + 1);
            e->err_line = ar.currentline;
        }
        size_t n = strlen(ar.short_src);
        if (strncmp(msg, ar.short_src, n) != 0 || msg[n] != ':') continue;
        const char *p = msg + n + 1;
        long line = 0;
        while (*p >= '0' && *p <= '9' && line < 100000000) line = line * 10 + (*p++ - '0');
        if (p == msg + n + 1 || p[0] != ':' || p[1] != ' ') continue;
        free(e->err_file);
        e->err_file = xstrdup(ar.source + 1);
        e->err_line = (int)line;
        return p + 2;
    }
    return msg;
}

static void format_size(char *out, size_t cap, size_t n)
{
    if (n % ((size_t)1 << 20) == 0) snprintf(out, cap, "%zu MiB", n >> 20);
    else if (n % 1024 == 0) snprintf(out, cap, "%zu KiB", n >> 10);
    else snprintf(out, cap, "%zu bytes", n);
}

static void push_memory_message(lua_State *L, tpl_engine *e)
{
    char size[48];
    format_size(size, sizeof size, e->memory);
    lua_pushfstring(L, "template exceeded its memory limit (%s)", size);
}

/* The message handler of every render: leaves a compile-error object as it is; otherwise
 * returns the message without its position, which goes to e->err_file and e->err_line. */
static int on_error(lua_State *L)
{
    tpl_engine *e = engine_of(L);
    size_t limit = e->limit;
    e->limit = SIZE_MAX; /* room to build the message */
    if (!is_compile_error(L, 1)) {
        const char *rest = place_error(L, e, error_text(L, 1));
        if (e->mem_hit && strcmp(rest, "not enough memory") == 0) push_memory_message(L, e);
        else lua_pushstring(L, rest);
    }
    e->limit = limit;
    return 1;
}

/* Spends n of the render's instructions; when they run out, raises the instruction-limit
 * error (and keeps raising it for whatever runs after, such as __close handlers). */
static void spend_instructions(lua_State *L, tpl_engine *e, unsigned long n)
{
    if (e->budget > n) {
        e->budget -= n;
        return;
    }
    e->budget = 0;
    char msg[128];
    snprintf(msg, sizeof msg,
             "template exceeded its instruction limit (%lu instructions; an endless loop?)",
             e->instructions);
    lua_pushstring(L, msg);
    lua_error(L);
}

/* The count hook: remembers where the template is, and stops it when its instructions are
 * spent. */
static void on_count(lua_State *L, lua_Debug *ar)
{
    tpl_engine *e = engine_of(L);
    if (lua_getinfo(L, "Sl", ar) && ar->source[0] == '@' && ar->currentline > 0) {
        snprintf(e->last_file, sizeof e->last_file, "%s", ar->source + 1);
        e->last_line = ar->currentline;
    }
    spend_instructions(L, e, HOOK_STEP);
}

/* The pattern functions' charge (tplpattern.h): a matcher step costs one instruction, so a
 * pattern that backtracks for ever is stopped like an endless loop, at the template line that
 * called it. Outside a render there is no budget. */
static void on_pattern_steps(lua_State *L, unsigned long steps)
{
    tpl_engine *e = engine_of(L);
    if (e->rendering) spend_instructions(L, e, steps);
}

/* Adds the one diagnostic of a failed render; the error value is on top of the stack. */
static void report_error(tpl_engine *e, int status, const char *what, diag_list *dl)
{
    lua_State *L = e->L;
    const char *sep = what ? " while rendering " : "", *w = what ? what : "";
    if (status == LUA_ERRRUN && is_compile_error(L, -1)) {
        lua_getfield(L, -1, "file");
        lua_getfield(L, -2, "line");
        lua_getfield(L, -3, "col");
        lua_getfield(L, -4, "message");
        diag_add(dl, DIAG_ERROR, lua_tostring(L, -4), (int)lua_tointeger(L, -3),
                 (int)lua_tointeger(L, -2), "%s", lua_tostring(L, -1));
        lua_pop(L, 4);
        return;
    }
    const char *file = e->err_file, *msg = NULL;
    int line = e->err_line;
    if (status != LUA_ERRRUN || !file) {
        file = e->last_file[0] ? e->last_file : w;
        line = e->last_line;
    }
    if (status == LUA_ERRRUN) msg = lua_tostring(L, -1);
    else if (status == LUA_ERRERR) msg = "error while reporting a template error";
    else if (status == LUA_ERRMEM && !e->mem_hit) msg = "out of memory";
    if (status == LUA_ERRMEM && e->mem_hit) {
        char size[48];
        format_size(size, sizeof size, e->memory);
        diag_add(dl, DIAG_ERROR, file, line, 0, "template exceeded its memory limit (%s)%s%s",
                 size, sep, w);
        return;
    }
    diag_add(dl, DIAG_ERROR, file, line, 0, "%s%s%s", msg ? msg : "unknown error", sep, w);
}

/* ======================================================================= the sandbox */

static const char *const BASE_ALLOWED[] = {
    "assert", "error", "ipairs", "select", "tonumber", "tostring", "type",
    "rawequal", "rawlen", "rawget", "getmetatable", NULL};

/* Opens library name and stores a copy of it, without the field drop, in the table at g. */
static void add_library(lua_State *L, int g, const char *name, lua_CFunction open,
                        const char *drop)
{
    luaL_requiref(L, name, open, 0); /* stack: lib */
    lua_newtable(L);                 /* stack: lib copy */
    copy_fields(L, -2, -1);
    if (drop) {
        lua_pushnil(L);
        lua_setfield(L, -2, drop);
    }
    lua_setfield(L, g, name);
    lua_pop(L, 1);
}

static void add_function(lua_State *L, int t, const char *name, lua_CFunction f)
{
    lua_pushcfunction(L, f);
    lua_setfield(L, t, name);
}

/* Builds the sandbox globals (raw, in the registry) from an allow-list. */
static void build_globals(lua_State *L)
{
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1); /* stack: _G */
    lua_newtable(L);                              /* stack: _G g */
    int g = lua_gettop(L);
    for (const char *const *p = BASE_ALLOWED; *p; p++) {
        lua_getfield(L, g - 1, *p);
        lua_setfield(L, g, *p);
    }
    add_function(L, g, "pairs", sb_pairs);
    add_function(L, g, "setmetatable", sb_setmetatable);
    add_function(L, g, "safe", sb_safe);
    add_function(L, g, "partial", sb_partial);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0); /* stack: _G g string */
    tpl_pattern_install(L, -1, on_pattern_steps); /* in the library itself, so error messages
                                                     name them "string.find" as Lua's do */
    lua_pop(L, 1);
    add_library(L, g, LUA_STRLIBNAME, luaopen_string, "dump");
    add_library(L, g, LUA_TABLIBNAME, luaopen_table, NULL);
    add_library(L, g, LUA_UTF8LIBNAME, luaopen_utf8, NULL);
    add_library(L, g, LUA_MATHLIBNAME, luaopen_math, "randomseed");
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, LUA_MATHLIBNAME);
    lua_getfield(L, -1, "randomseed");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_RANDOMSEED);
    lua_pop(L, 2);
    lua_createtable(L, 0, 2);
    add_function(L, lua_gettop(L), "date", os_date);
    add_function(L, lua_gettop(L), "time", os_time);
    lua_setfield(L, g, "os");
    lua_pushvalue(L, g);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_GLOBALS);
    lua_pushvalue(L, g);
    tpl_freeze(L, -1);                            /* stack: _G g proxy */
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_SANDBOX);
    lua_pop(L, 2);
}

/* Points the shared string metatable at the sandbox's frozen string table and hides it. */
static void fix_string_metatable(lua_State *L)
{
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);                      /* stack: "" mt */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_GLOBALS);
    lua_getfield(L, -1, LUA_STRLIBNAME);          /* stack: "" mt g string */
    lua_setfield(L, -3, "__index");
    lua_pop(L, 1);
    lua_pushliteral(L, LOCKED);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
}

static void build_metatables(lua_State *L)
{
    static const luaL_Reg safe_meta[] = {{"__tostring", safe_tostring},
                                         {"__concat", safe_concat},
                                         {"__len", safe_len},
                                         {"__eq", safe_eq},
                                         {NULL, NULL}};
    luaL_newmetatable(L, SAFE_MT);
    luaL_setfuncs(L, safe_meta, 0);
    lua_pushliteral(L, "safe string");
    lua_setfield(L, -2, "__name");
    lua_pushliteral(L, LOCKED);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_COMPILE_MT);
    lua_createtable(L, 0, 2);                     /* stack: ctxmt */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_SANDBOX);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, LOCKED);
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_CTXMT);
}

/* The protected body of tpl_engine_new. */
static int setup_state(lua_State *L)
{
    build_globals(L);
    fix_string_metatable(L);
    build_metatables(L);
    lua_createtable(L, 0, 3);                     /* stack: R */
    add_function(L, 1, "esc", rt_esc);
    add_function(L, 1, "layout", rt_layout);
    add_function(L, 1, "block", rt_block);
    tpl_freeze(L, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_RUNTIME);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &KEY_CACHE);
    return 0;
}

/* ======================================================================= public API */

static void out_of_memory(void)
{
    fputs("refpress: out of memory\n", stderr);
    abort();
}

tpl_engine *tpl_engine_new(tpl_lookup_fn lookup, void *ud, const tpl_limits *limits)
{
    tpl_engine *e = xcalloc(1, sizeof *e);
    e->lookup = lookup;
    e->ud = ud;
    e->memory = limits && limits->memory ? limits->memory : DEFAULT_MEMORY;
    e->instructions =
        limits && limits->instructions ? limits->instructions : DEFAULT_INSTRUCTIONS;
    e->now = limits ? limits->now : 0;
    e->limit = SIZE_MAX;
    e->pool = mempool_new();
    if (!e->pool) out_of_memory();
    e->L = lua_newstate(engine_alloc, e);
    if (!e->L) out_of_memory();
    lua_atpanic(e->L, on_panic);
    lua_gc(e->L, LUA_GCGEN, 10, 50); /* page tables live long, render garbage dies young */
    *(tpl_engine **)lua_getextraspace(e->L) = e;
    lua_pushcfunction(e->L, setup_state);
    if (lua_pcall(e->L, 0, 0, 0) != LUA_OK) out_of_memory();
    return e;
}

void tpl_engine_free(tpl_engine *e)
{
    if (!e) return;
    lua_close(e->L);
    mempool_free(e->pool);
    free(e->err_file);
    free(e);
}

lua_State *tpl_engine_state(tpl_engine *e)
{
    return e->L;
}

void tpl_engine_set_global(tpl_engine *e, const char *name)
{
    lua_State *L = e->L;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_GLOBALS); /* stack: v g */
    lua_insert(L, -2);                               /* stack: g v */
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

bool tpl_exists(tpl_engine *e, const char *name)
{
    lua_State *L = e->L;
    tpl_source src;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &KEY_CACHE);
    int t = lua_getfield(L, -1, name);
    lua_pop(L, 2);
    return t != LUA_TNIL || (e->lookup && e->lookup(e->ud, name, &src));
}

static void begin_render(tpl_engine *e, buf_t *out)
{
    e->limit = e->used + (e->memory < SIZE_MAX - e->used ? e->memory : SIZE_MAX - e->used);
    e->mem_hit = false;
    e->rendering = true;
    e->out = out;
    e->budget = e->instructions;
    e->last_file[0] = '\0';
    e->last_line = 0;
    e->pend = false;
    free(e->err_file);
    e->err_file = NULL;
    e->err_line = 0;
    e->pdepth = 0;
    lua_sethook(e->L, on_count, LUA_MASKCOUNT, HOOK_STEP);
}

static void end_render(tpl_engine *e)
{
    lua_sethook(e->L, NULL, 0, 0);
    e->limit = SIZE_MAX;
    e->rendering = false;
    e->out = NULL;
    lua_pushnil(e->L);
    lua_rawsetp(e->L, LUA_REGISTRYINDEX, &KEY_RENDER);
}

void tpl_record_spans(tpl_engine *e, tpl_spans *spans)
{
    e->spans = spans;
}

bool tpl_render(tpl_engine *e, const char *name, int ctx, const char *what, buf_t *out,
                diag_list *dl)
{
    lua_State *L = e->L;
    int top = lua_gettop(L);
    ctx = lua_absindex(L, ctx);
    const char *problem = NULL;
    if (e->rendering) problem = "a render cannot start inside another render";
    else if (!lua_istable(L, ctx)) problem = "the render context is not a table";
    if (problem || !tpl_exists(e, name)) {
        if (problem) diag_add(dl, DIAG_ERROR, what, 0, 0, "internal error: %s", problem);
        else diag_add(dl, DIAG_ERROR, what, 0, 0, "no template named %s", name);
        return false;
    }
    size_t out_len = out->len, nspans = e->spans ? e->spans->n : 0;
    lua_pushcfunction(L, on_error);  /* stack: handler */
    lua_pushcfunction(L, render_main);
    lua_pushvalue(L, ctx);
    lua_pushstring(L, name);         /* stack: handler main ctx name */
    begin_render(e, out);
    int status = lua_pcall(L, 2, 0, top + 1);
    end_render(e);
    if (status != LUA_OK) {
        report_error(e, status, what, dl);
        out->len = out_len;
        if (out->ptr) out->ptr[out_len] = '\0';
        if (e->spans) e->spans->n = nspans;
    }
    lua_settop(L, top);
    if (status != LUA_OK) lua_gc(L, LUA_GCCOLLECT, 0);
    return status == LUA_OK;
}
