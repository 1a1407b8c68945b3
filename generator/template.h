/* template.h — the template runtime: a sandboxed Lua 5.4 state per worker, compiled
 * templates cached in it, rendering with layouts, blocks and partials, memory and instruction
 * limits, and errors that name the template line and the page being rendered. */
#ifndef REFPRESS_TEMPLATE_H
#define REFPRESS_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "buf.h"
#include "diag.h"

typedef struct tpl_engine tpl_engine;

/* A template's source. Both strings are borrowed and must stay valid while the engine lives. */
typedef struct tpl_source {
    const char *text;
    size_t len;
    const char *path; /* as shown in diagnostics: "templates/page.html" */
} tpl_source;

/* Finds the template called name ("page.html", "partials/head.html": always relative to the
 * templates folder, ".html" already appended). Returns false when there is none. */
typedef bool (*tpl_lookup_fn)(void *ud, const char *name, tpl_source *out);

typedef struct tpl_limits {
    size_t memory;             /* bytes a single render may add to the state; 0: 64 MiB */
    unsigned long instructions; /* Lua VM instructions per render; 0: 200 million */
    long long now;             /* what os.time() / os.date() use as "now" (seconds, UTC) */
} tpl_limits;

/* Creates the sandboxed state: base (allow-listed), string (no dump), table, math (random
 * reseeded before every render), utf8, os.date/os.time (UTC, "now" from limits), and the
 * helpers safe(s) and partial(name[, params]). No io, os.execute, require, load, dofile,
 * debug, pcall, print. Shared library tables are frozen so one render cannot change another.
 * lookup/ud resolve template names. Caller frees with tpl_engine_free(). Never NULL.
 * (Also: math.randomseed is left out, so a template cannot seed from the clock;
 * setmetatable refuses metatables with __gc, whose finalizers would run with the
 * instruction limit off; getmetatable("") and getmetatable of frozen tables give "locked";
 * partial and layout names may not be absolute or contain ".." segments. Only a real
 * out-of-memory outside any render can reach Lua's panic, which prints and aborts.) */
tpl_engine *tpl_engine_new(tpl_lookup_fn lookup, void *ud, const tpl_limits *limits);
void tpl_engine_free(tpl_engine *e);

/* The engine's state, for pushing data and registering helpers before the first render. */
lua_State *tpl_engine_state(tpl_engine *e);

/* Pops the value on top of the stack and makes it the sandbox global name (for site data,
 * url, asset, markdown, …). Tables should be frozen first (tpl_freeze). */
void tpl_engine_set_global(tpl_engine *e, const char *name);

/* Whether the template name exists (through lookup). */
bool tpl_exists(tpl_engine *e, const char *name);

/* Renders template name. The table at stack index ctx holds this render's variables (say
 * {page = …}); templates see them as globals, ahead of the sandbox globals, and so do the
 * layouts and partials this render reaches. what names the input in errors
 * ("content/tech/python.md"). On success the output is appended to out and true returned;
 * otherwise one error is added to dl, e.g.
 *   templates/guide.html:23: error: attempt to index a nil value (field 'author') while rendering content/tech/python.md
 * and false returned. The stack is left as it was.
 *
 * Details (additions to the above):
 * - ctx is given a metatable that chains it to the sandbox globals (kept for later
 *   renders); a ctx that already has another metatable (say a frozen one) is shallow-copied
 *   instead. Each template run gets a fresh global table in front of ctx, so globals a
 *   template assigns are its own: its layouts and partials do not see them.
 * - Layouts run after the template, with `content` (a safe string of its output); a layout
 *   asked for inside a partial applies to that partial's output. At most 16 layouts chain,
 *   partials nest at most 32 deep.
 * - Blocks: per render, the first template to define a name wins; its text is written
 *   where each {% block %} of that name stands, except in templates that asked for a
 *   layout (there the layout places it).
 * - pairs() visits keys in sorted order (numbers, then strings, then booleans), so output
 *   never depends on Lua's hash seed; next() is not available.
 * - Compile errors (an unclosed tag, a Lua syntax error) name the template, line and, for
 *   tags, column, without " while rendering …": they are the same for every page. A
 *   template is compiled once per engine, failed or not, so every page using a broken
 *   template gets the same diagnostic. A missing top-level template is reported as
 *   {what, 0, 0, "no template named NAME"}.
 * - Memory errors give "template exceeded its memory limit (64 MiB)"; instruction-limit
 *   errors "template exceeded its instruction limit (200000000 instructions; an endless
 *   loop?)"; both at the template line that was running (line 0 when none is known yet).
 * - On failure out is left as it was. A render may not start inside another render (a
 *   helper calling tpl_render gets an "internal error" diagnostic). */
bool tpl_render(tpl_engine *e, const char *name, int ctx, const char *what, buf_t *out,
                diag_list *dl);

/* Where the output of a partial, a block or a template under a layout landed in the output of
 * a render: bytes [off, off + len) of it. */
typedef struct tpl_span {
    size_t off, len;
} tpl_span;
typedef struct tpl_spans {
    tpl_span *v;
    size_t n, cap;
} tpl_spans;
/* While spans is set (NULL: not), each render appends to it the place of every such output
 * in what it wrote, offsets counted from where the render began to write; outputs inside
 * others come before them, and a place is noted once (an output that is all of another's).
 * Caller frees spans->v. */
void tpl_record_spans(tpl_engine *e, tpl_spans *spans);

/* Pushes s[0..n) as a safe string: {{ }} writes it without escaping. */
void tpl_push_safe(lua_State *L, const char *s, size_t n);
/* If the value at idx is a safe string, returns its text (length in *n, which may be NULL);
 * otherwise NULL. The text is borrowed: valid while the safe string is alive (say, while it
 * stays at idx). */
const char *tpl_to_safe(lua_State *L, int idx, size_t *n);

/* Replaces the table at idx (and, recursively, every table it holds) with a read-only proxy:
 * reads, #, ipairs and pairs work; any write raises "attempt to modify read-only data".
 * Safe strings are left as they are.
 * (Iterative, so long chains of tables cannot exhaust the C stack; a table reached twice in
 * one call gets one proxy, cycles included; tables already frozen are left as they are.
 * The tables behind the proxies keep their proxies in place of their table values; other
 * references to them stay writable from C. Table keys are not frozen.) */
void tpl_freeze(lua_State *L, int idx);
/* tpl_freeze for a table built bottom-up, whose table values are proxies already: replaces
 * the table at idx with its proxy without looking inside (no walk, no bookkeeping). */
void tpl_freeze_built(lua_State *L, int idx);
/* If the value at idx is a read-only proxy, pushes the table it guards, with every entry made
 * (a page table's fields, a lazy list's entries: what pairs() would walk), and returns true;
 * otherwise pushes nothing. For C that walks frozen data with next() instead of through the
 * proxy's metamethods; the table must never reach a template. */
bool tpl_frozen_entries(lua_State *L, int idx);

#endif
