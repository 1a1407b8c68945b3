/* tplpattern.h — string.find, match, gmatch and gsub for templates: Lua 5.4.4's pattern matcher
 * with a step budget, so a pattern that backtracks for ever stops like an endless loop. */
#ifndef REFPRESS_TPLPATTERN_H
#define REFPRESS_TPLPATTERN_H

#include <lua.h>

/* Receives the work the matcher did: steps taken since the last call (at least one). It is
 * called every thousand steps or so while a match runs, and with what is left when a call of
 * find, match, gsub or a gmatch iterator returns. It may raise a Lua error (say, "instruction
 * limit exceeded"), which stops the match there. */
typedef void (*tpl_pattern_charge_fn)(lua_State *L, unsigned long steps);

/* Sets find, match, gmatch and gsub in the table at idx (a string library table) to copies of
 * Lua 5.4.4's, which give the same results and the same error messages, but count their work
 * and report it to charge (NULL: no one is told). A step is one pattern item tried, one
 * character a repetition or %b scans, or 16 bytes compared, scanned or copied over in one go
 * (long classes, back-references %1-%9, plain finds, gsub replacement strings), so any match
 * that takes long takes many steps. The gmatch iterators keep charge too. Pops nothing. */
void tpl_pattern_install(lua_State *L, int idx, tpl_pattern_charge_fn charge);

#endif
