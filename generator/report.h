/* report.h — a diag_list as a report: text, JSON, JUnit XML, GitHub annotations or SARIF. */
#ifndef REFPRESS_REPORT_H
#define REFPRESS_REPORT_H

#include <stdbool.h>

#include "buf.h"
#include "diag.h"

typedef enum { REPORT_TEXT, REPORT_JSON, REPORT_JUNIT, REPORT_GITHUB, REPORT_SARIF } report_format;

typedef struct report_options {
    bool strict;              /* junit: warnings are failures too (as with --strict) */
    const char *tool_version; /* sarif: tool.driver.version; NULL leaves it out */
} report_options;

/* "text", "json", "junit", "github", "sarif" -> *fmt. False for anything else. */
bool report_format_parse(const char *name, report_format *fmt);
const char *report_format_name(report_format fmt);

/* Appends the whole report of dl to out, in dl's order (sort it first). opt may be NULL.
 * Every format is valid UTF-8 whatever the messages hold (bad bytes become U+FFFD).
 *   text    "file:line:col: error: message" lines, as diag_format.
 *   json    an array of {"file", "line", "col", "severity", "message"}; line and col are 0
 *           when unknown, severity is "error", "warning" or "note".
 *   junit   one <testsuite name="refpress">, one <testcase> per diagnostic (classname = the
 *           file, name = "line:col: message"); errors, and warnings when strict, carry a
 *           <failure>; other diagnostics their text in <system-out>. With no diagnostics, one
 *           passing testcase "refpress" so that CI dashboards show a run.
 *   github  workflow commands, "::error file=F,line=L,col=C::message" (warning, notice),
 *           escaped as GitHub requires (% CR LF everywhere, and : , in properties).
 *   sarif   SARIF 2.1.0, tool "refpress", one result per diagnostic with the ruleId of
 *           report_rule_id and the rules used listed in tool.driver.rules. */
void report_write(buf_t *out, report_format fmt, const diag_list *dl, const report_options *opt);

/* The kind of problem a diagnostic reports, from its message: "broken-link",
 * "missing-fragment", "malformed-url", "file-url", "invalid-mailto", "invalid-tel",
 * "folder-without-slash", "empty-url", "protocol-relative-url", "duplicate-id", "empty-id",
 * "missing-alt", "orphan-page", "invalid-utf8", "unreadable", "symlink-not-followed", or
 * "other" (diagnostics of other modules). Static string. */
const char *report_rule_id(const diag *d);

#endif
