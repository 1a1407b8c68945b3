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
 *                  wins (so a page's block replaces its layout's default), and the winning
 *                  text is written where the block stands
 * Line comments (-- …) inside {% %} are dropped.
 *
 * The generated chunk, when run, returns one function(_ENV, __R) that appends to a list of
 * strings and returns it. __R supplies the runtime: __R.esc, __R.layout, __R.block.
 * Line N of the generated code is line N of the template, so Lua's own compile and runtime
 * errors name the template line without any mapping.
 */

/* Compiles text[0..len) into Lua source appended to out. path ("templates/page.html") names
 * the template in diagnostics: an unclosed tag reports
 *   templates/page.html:12:5: error: unclosed '{%' (expected '%}')
 * Returns false, with the errors added to dl, when the template cannot be compiled. */
bool tpl_compile(const char *text, size_t len, const char *path, buf_t *out, diag_list *dl);

#endif
