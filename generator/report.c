/* report.c — a diag_list as a report: text, JSON, JUnit XML, GitHub annotations or SARIF. */
#include "report.h"

#include <stdint.h>
#include <string.h>

#include "json.h"
#include "util.h"

static const char *const severity_names[] = {"error", "warning", "note"};

typedef struct rule {
    const char *id;
    const char *text;        /* SARIF shortDescription */
    const char *matches[3];  /* phrases of the messages of this kind */
} rule;

/* The kinds of problem, recognised by the phrases linkcheck.c writes. Keep in step with it:
 * test_report.c checks that every message of the link checker's fixtures has a kind. */
static const rule rules[] = {
    {"broken-link", "The link points to no file of the site",
     {"no such page", "no such file", "outside the site"}},
    {"missing-fragment", "The #fragment names no element of the target page",
     {"no element with id", NULL, NULL}},
    {"malformed-url", "The URL is malformed", {"malformed URL", "bad percent-escape", NULL}},
    {"file-url", "A file: URL, which does not work on a web site", {"file: URLs", NULL, NULL}},
    {"invalid-mailto", "A mailto: link without a valid e-mail address",
     {"e-mail address", NULL, NULL}},
    {"invalid-tel", "A tel: link without a valid phone number", {"phone number", NULL, NULL}},
    {"folder-without-slash", "A link to a folder without its trailing slash",
     {"needs a trailing slash", NULL, NULL}},
    {"empty-url", "An empty URL attribute", {"with an empty", NULL, NULL}},
    {"protocol-relative-url", "A protocol-relative URL", {"protocol-relative URL", NULL, NULL}},
    {"duplicate-id", "Two elements of a page share an id", {"duplicate id", NULL, NULL}},
    {"empty-id", "An empty id attribute", {"empty id attribute", NULL, NULL}},
    {"missing-alt", "An image without alt text", {"without alt text", NULL, NULL}},
    {"orphan-page", "A page no other page links to", {"no page links here", NULL, NULL}},
    {"invalid-utf8", "A page that is not valid UTF-8", {"page is not valid UTF-8", NULL, NULL}},
    {"unreadable", "A file or folder that could not be read",
     {"cannot read", "page too large", NULL}},
    {"symlink-not-followed", "A symbolic link leading out of the site",
     {"symbolic link", NULL, NULL}},
    {"other", "Another problem found by refpress", {NULL, NULL, NULL}},
};
#define NRULES (sizeof rules / sizeof *rules)

/* Messages about a URL quote it first ("link to URL: problem"); messages about a page or an
 * element start with their phrase. So: the rule whose phrase starts the message; else the
 * one whose phrase comes first after the first ": "; else first anywhere; else "other". */
static size_t rule_index(const diag *d)
{
    const char *msg = d->message ? d->message : "";
    const char *sep = strstr(msg, ": ");
    for (size_t i = 0; i + 1 < NRULES; i++)
        for (size_t k = 0; k < 3 && rules[i].matches[k]; k++)
            if (str_starts_with(msg, rules[i].matches[k])) return i;
    for (int pass = 0; pass < 2; pass++) {
        const char *from = pass == 0 && sep ? sep + 2 : msg;
        size_t best = NRULES - 1;
        const char *best_at = NULL;
        for (size_t i = 0; i + 1 < NRULES; i++)
            for (size_t k = 0; k < 3 && rules[i].matches[k]; k++) {
                const char *at = strstr(from, rules[i].matches[k]);
                if (at && (!best_at || at < best_at)) {
                    best = i;
                    best_at = at;
                }
            }
        if (best_at) return best;
    }
    return NRULES - 1;
}

const char *report_rule_id(const diag *d)
{
    return rules[rule_index(d)].id;
}

static const char *const format_names[] = {"text", "json", "junit", "github", "sarif"};

bool report_format_parse(const char *name, report_format *fmt)
{
    for (size_t i = 0; name && i < sizeof format_names / sizeof *format_names; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *fmt = (report_format)i;
            return true;
        }
    return false;
}

const char *report_format_name(report_format fmt)
{
    return (unsigned)fmt < sizeof format_names / sizeof *format_names ? format_names[fmt] : "";
}

/* ---------------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 character at s (n bytes left) that XML 1.0 allows, or 0. */
static size_t good_char(const unsigned char *s, size_t n, bool xml)
{
    uint32_t c;
    size_t len;
    if (s[0] < 0x80) {
        if (xml && s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r') return 0;
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) { len = 2; c = s[0] & 0x1F; }
    else if ((s[0] & 0xF0) == 0xE0) { len = 3; c = s[0] & 0x0F; }
    else if ((s[0] & 0xF8) == 0xF0) { len = 4; c = s[0] & 0x07; }
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    if (xml && (c == 0xFFFE || c == 0xFFFF)) return 0;
    return len;
}

/* s with every invalid UTF-8 sequence (and, for XML, every character XML forbids) replaced
 * by U+FFFD, into b; returns b's text. */
static const char *clean_text(buf_t *b, const char *str, bool xml)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t n = strlen((const char *)s);
    buf_clear(b);
    buf_grow(b, n);
    b->ptr[0] = '\0'; /* buf_grow leaves a new buffer unterminated */
    for (size_t i = 0; i < n;) {
        size_t len = good_char(s + i, n - i, xml);
        if (len == 0) {
            buf_puts(b, "\xEF\xBF\xBD");
            i++;
        } else {
            buf_put(b, s + i, len);
            i += len;
        }
    }
    return b->ptr;
}

static void put_json(buf_t *out, buf_t *tmp, const char *s)
{
    json_put_cstr(out, clean_text(tmp, s, false));
}

static void write_text(buf_t *out, const diag_list *dl, buf_t *tmp)
{
    buf_t line = BUF_INIT;
    for (size_t i = 0; i < dl->len; i++) {
        buf_clear(&line);
        diag_format(&dl->items[i], &line);
        buf_puts(out, clean_text(tmp, line.ptr, false));
    }
    buf_free(&line);
}

static void write_json(buf_t *out, const diag_list *dl, buf_t *tmp)
{
    if (dl->len == 0) {
        buf_puts(out, "[]\n");
        return;
    }
    buf_puts(out, "[\n");
    for (size_t i = 0; i < dl->len; i++) {
        const diag *d = &dl->items[i];
        buf_puts(out, "  {\"file\": ");
        put_json(out, tmp, d->file);
        buf_printf(out, ", \"line\": %d, \"col\": %d, \"severity\": \"%s\", \"message\": ",
                   d->line > 0 ? d->line : 0, d->col > 0 ? d->col : 0,
                   severity_names[d->severity]);
        put_json(out, tmp, d->message);
        buf_puts(out, i + 1 < dl->len ? "},\n" : "}\n");
    }
    buf_puts(out, "]\n");
}

/* ---------------------------------------------------------------------------------------- */

/* XML text or attribute value (attr: line breaks and tabs as character references). */
static void put_xml(buf_t *out, buf_t *tmp, const char *s, bool attr)
{
    for (const char *p = clean_text(tmp, s, true); *p; p++) {
        switch (*p) {
        case '&': buf_puts(out, "&amp;"); break;
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '"': buf_puts(out, attr ? "&quot;" : "\""); break;
        case '\n': buf_puts(out, attr ? "&#10;" : "\n"); break;
        case '\r': buf_puts(out, "&#13;"); break;
        case '\t': buf_puts(out, attr ? "&#9;" : "\t"); break;
        default: buf_putc(out, *p);
        }
    }
}

static bool is_failure(const diag *d, bool strict)
{
    return d->severity == DIAG_ERROR || (strict && d->severity == DIAG_WARNING);
}

static void write_junit_case(buf_t *out, const diag *d, bool strict, buf_t *tmp, buf_t *line)
{
    buf_puts(out, "  <testcase classname=\"");
    put_xml(out, tmp, d->file && *d->file ? d->file : "refpress", true);
    buf_puts(out, "\" name=\"");
    buf_clear(line);
    if (d->line > 0) buf_printf(line, d->col > 0 ? "%d:%d: " : "%d: ", d->line, d->col);
    buf_puts(line, d->message);
    put_xml(out, tmp, line->ptr, true);
    buf_puts(out, "\">\n");
    buf_clear(line);
    diag_format(d, line);
    if (line->len && line->ptr[line->len - 1] == '\n') line->ptr[--line->len] = '\0';
    if (is_failure(d, strict)) {
        buf_printf(out, "    <failure type=\"%s\" message=\"", severity_names[d->severity]);
        put_xml(out, tmp, d->message, true);
        buf_puts(out, "\">");
        put_xml(out, tmp, line->ptr, false);
        buf_puts(out, "</failure>\n");
    } else {
        buf_puts(out, "    <system-out>");
        put_xml(out, tmp, line->ptr, false);
        buf_puts(out, "</system-out>\n");
    }
    buf_puts(out, "  </testcase>\n");
}

static void write_junit(buf_t *out, const diag_list *dl, bool strict, buf_t *tmp)
{
    size_t failures = 0;
    for (size_t i = 0; i < dl->len; i++) failures += is_failure(&dl->items[i], strict);
    buf_printf(out,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<testsuite name=\"refpress\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
               "skipped=\"0\">\n",
               dl->len ? dl->len : 1, failures);
    if (dl->len == 0)
        buf_puts(out, "  <testcase classname=\"refpress\" name=\"refpress\"/>\n");
    buf_t line = BUF_INIT;
    for (size_t i = 0; i < dl->len; i++) write_junit_case(out, &dl->items[i], strict, tmp, &line);
    buf_free(&line);
    buf_puts(out, "</testsuite>\n");
}

/* ---------------------------------------------------------------------------------------- */

/* GitHub workflow command escaping: % CR LF always; : and , in property values too. */
static void put_github(buf_t *out, buf_t *tmp, const char *s, bool property)
{
    for (const char *p = clean_text(tmp, s, false); *p; p++) {
        switch (*p) {
        case '%': buf_puts(out, "%25"); break;
        case '\r': buf_puts(out, "%0D"); break;
        case '\n': buf_puts(out, "%0A"); break;
        case ':': buf_puts(out, property ? "%3A" : ":"); break;
        case ',': buf_puts(out, property ? "%2C" : ","); break;
        default: buf_putc(out, *p);
        }
    }
}

static void write_github(buf_t *out, const diag_list *dl, buf_t *tmp)
{
    static const char *const commands[] = {"error", "warning", "notice"};
    for (size_t i = 0; i < dl->len; i++) {
        const diag *d = &dl->items[i];
        buf_printf(out, "::%s", commands[d->severity]);
        const char *sep = " ";
        if (d->file && *d->file) {
            buf_puts(out, " file=");
            put_github(out, tmp, d->file, true);
            sep = ",";
        }
        if (d->line > 0) {
            buf_printf(out, "%sline=%d", sep, d->line);
            if (d->col > 0) buf_printf(out, ",col=%d", d->col);
        }
        buf_puts(out, "::");
        put_github(out, tmp, d->message, false);
        buf_putc(out, '\n');
    }
}

/* ---------------------------------------------------------------------------------------- */

/* A relative path as a URI reference: unreserved characters and '/' stay, the rest is
 * percent-encoded (bytes of non-ASCII characters too). */
static void put_uri(buf_t *out, const char *path)
{
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            buf_putc(out, (char)*p);
        else buf_printf(out, "%%%02X", *p);
    }
}

static void write_sarif_rules(buf_t *out, const bool *used, int *index)
{
    buf_puts(out, "          \"rules\": [");
    int n = 0;
    for (size_t i = 0; i < NRULES; i++) {
        if (!used[i]) continue;
        index[i] = n;
        buf_printf(out,
                   "%s\n            {\"id\": \"%s\", \"shortDescription\": {\"text\": \"%s\"}}",
                   n++ ? "," : "", rules[i].id, rules[i].text);
    }
    buf_puts(out, n ? "\n          ]\n" : "]\n");
}

static void write_sarif_result(buf_t *out, const diag *d, size_t r, int index, buf_t *tmp)
{
    static const char *const levels[] = {"error", "warning", "note"};
    buf_printf(out, "        {\"ruleId\": \"%s\", \"ruleIndex\": %d, \"level\": \"%s\", "
                    "\"message\": {\"text\": ",
               rules[r].id, index, levels[d->severity]);
    put_json(out, tmp, d->message);
    buf_puts(out, "}");
    if (d->file && *d->file) {
        buf_puts(out, ",\n         \"locations\": [{\"physicalLocation\": "
                      "{\"artifactLocation\": {\"uri\": \"");
        put_uri(out, d->file);
        buf_puts(out, "\"}");
        if (d->line > 0) {
            buf_printf(out, ", \"region\": {\"startLine\": %d", d->line);
            if (d->col > 0) buf_printf(out, ", \"startColumn\": %d", d->col);
            buf_puts(out, "}");
        }
        buf_puts(out, "}}]");
    }
    buf_puts(out, "}");
}

static void write_sarif(buf_t *out, const diag_list *dl, const char *version, buf_t *tmp)
{
    bool used[NRULES] = {false};
    int index[NRULES] = {0};
    for (size_t i = 0; i < dl->len; i++) used[rule_index(&dl->items[i])] = true;
    buf_puts(out, "{\n"
                  "  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
                  "  \"version\": \"2.1.0\",\n"
                  "  \"runs\": [\n"
                  "    {\n"
                  "      \"tool\": {\n"
                  "        \"driver\": {\n"
                  "          \"name\": \"refpress\",\n");
    if (version) {
        buf_puts(out, "          \"version\": ");
        put_json(out, tmp, version);
        buf_puts(out, ",\n");
    }
    write_sarif_rules(out, used, index);
    buf_puts(out, "        }\n      },\n      \"results\": [");
    for (size_t i = 0; i < dl->len; i++) {
        size_t r = rule_index(&dl->items[i]);
        buf_puts(out, i ? ",\n" : "\n");
        write_sarif_result(out, &dl->items[i], r, index[r], tmp);
    }
    buf_puts(out, dl->len ? "\n      ]\n    }\n  ]\n}\n" : "]\n    }\n  ]\n}\n");
}

void report_write(buf_t *out, report_format fmt, const diag_list *dl, const report_options *opt)
{
    buf_t tmp = BUF_INIT;
    bool strict = opt && opt->strict;
    switch (fmt) {
    case REPORT_TEXT: write_text(out, dl, &tmp); break;
    case REPORT_JSON: write_json(out, dl, &tmp); break;
    case REPORT_JUNIT: write_junit(out, dl, strict, &tmp); break;
    case REPORT_GITHUB: write_github(out, dl, &tmp); break;
    case REPORT_SARIF: write_sarif(out, dl, opt ? opt->tool_version : NULL, &tmp); break;
    }
    buf_free(&tmp);
}
