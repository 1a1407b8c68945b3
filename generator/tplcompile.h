/* tplcompile.h — the template language compiler: template text in, Lua source out.
 * Pure text processing; no Lua state is involved. */
#ifndef REFPRESS_TPLCOMPILE_H
#define REFPRESS_TPLCOMPILE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "diag.h"

/*
 * The language:
 *   {{ expr }}     writes the Lua expression's value, HTML-escaped (safe strings pass as they
 *                  are; nil writes nothing; a table that is not a safe string is an error)
 *   {% stmt %}     runs Lua statements: {% for _, p in ipairs(site.pages) do %} … {% end %}
 *   {# text #}     a comment, writes nothing
 *   {{- -}} {%- -%} {#- -#}   a '-' inside the delimiter trims all whitespace (newlines
 *                  included) on that side of the tag
 *   {% layout "base" %}       after this template renders, render templates/base.html with
 *                  `content` set to this template's output (a safe string)
 *   {% block name %} … {% endblock %}   a named block: the first template to define a name
 *                  wins (so a page's block replaces its layout's default); the winning
 *                  text is written where the block stands, except in a template that has
 *                  asked for a layout (the layout places it)
 * Line comments (-- …) inside {% %} are dropped.
 *
 * Details (additions to the above):
 * - Closers inside Lua strings ('…', "…" with escapes), long brackets ([[…]], [==[…]==]) and
 *   --[[ ]] comments do not end a tag; in {{ }} neither do closers inside a table
 *   constructor ({{ #{1, {2}} }}). A "--" line comment (in {% %} and in {{ }}) ends at the
 *   end of its line or at the closer, whichever comes first.
 * - A '-' right after an opener is always a trim marker ({{-1}} writes 1); a '-' right
 *   before a closer is one too.
 * - {{ }} with nothing inside writes nothing.
 * - "layout", "block" and "endblock" are recognised at the start of a {% %} tag: "layout"
 *   followed by a string or "(" (the rest of the tag is the name expression); "block"
 *   followed by a name (letters, digits, '_', '-', '.'; bare or quoted); "endblock"
 *   optionally followed by the name of the block it closes. Any other use of these words
 *   is plain Lua ({% layout = 1 %}).
 * - Errors (the first one stops the compile): unclosed tags, 'endblock' without a
 *   'block', 'endblock x' closing block 'y', a block never closed (reported at its
 *   {% block %} tag), 'block' without a name.
 *
 * The generated chunk is the render function itself: called as chunk(env, __R) it takes env
 * as its _ENV, appends to a list of strings and returns the list. __R supplies the runtime:
 * __R.esc, __R.layout, __R.block. (Its first line starts "local _ENV,__R=... local
 * __b,__n,__e={},0,__R.esc "; the last ends " return __b".)
 * Line N of the generated code is line N of the template, so Lua's own compile and runtime
 * errors name the template line without any mapping.
 */

/* Compiles text[0..len) into Lua source appended to out. path ("templates/page.html") names
 * the template in diagnostics: an unclosed tag reports
 *   templates/page.html:12:5: error: unclosed '{%' (expected '%}')
 * Returns false, with the errors added to dl, when the template cannot be compiled. */
bool tpl_compile(const char *text, size_t len, const char *path, buf_t *out, diag_list *dl);

#endif
