/* test_report.c — the report formats: exact output of each, hostile messages, JSON and SARIF
 * checked with a strict JSON validator, JUnit parsed back with libxml2, and a kind of problem
 * (SARIF ruleId) for every message the link checker's fixtures produce. */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "diag.h"
#include "fsutil.h"
#include "harness.h"
#include "linkcheck.h"
#include "report.h"
#include "util.h"

/* ---------------------------------------------------------------------------------------- */
/* A strict JSON validator (RFC 8259), enough to prove the output parses.                  */

typedef struct json_in {
    const char *p;
    int depth;
} json_in;

static bool json_value(json_in *in);

static void json_ws(json_in *in)
{
    while (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r') in->p++;
}

static bool json_string(json_in *in)
{
    if (*in->p != '"') return false;
    for (in->p++;; in->p++) {
        unsigned char c = (unsigned char)*in->p;
        if (c == '"') {
            in->p++;
            return true;
        }
        if (c < 0x20) return false; /* includes the end of the text */
        if (c != '\\') continue;
        c = (unsigned char)*++in->p;
        if (c == 'u') {
            for (int i = 1; i <= 4; i++)
                if (!strchr("0123456789abcdefABCDEF", in->p[i]) || !in->p[i]) return false;
            in->p += 4;
        } else if (!c || !strchr("\"\\/bfnrt", c)) {
            return false;
        }
    }
}

static bool json_number(json_in *in)
{
    const char *p = in->p;
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (*p >= '0' && *p <= '9') p++;
    else return false;
    if (*p == '.') {
        if (!(*++p >= '0' && *p <= '9')) return false;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return false;
        while (*p >= '0' && *p <= '9') p++;
    }
    in->p = p;
    return true;
}

static bool json_members(json_in *in, char close, bool object)
{
    in->p++;
    json_ws(in);
    if (*in->p == close) {
        in->p++;
        return true;
    }
    for (;;) {
        json_ws(in);
        if (object) {
            if (!json_string(in)) return false;
            json_ws(in);
            if (*in->p++ != ':') return false;
        }
        if (!json_value(in)) return false;
        json_ws(in);
        if (*in->p == close) {
            in->p++;
            return true;
        }
        if (*in->p++ != ',') return false;
    }
}

static bool json_value(json_in *in)
{
    json_ws(in);
    if (++in->depth > 64) return false;
    bool ok;
    switch (*in->p) {
    case '{': ok = json_members(in, '}', true); break;
    case '[': ok = json_members(in, ']', false); break;
    case '"': ok = json_string(in); break;
    case 't': ok = strncmp(in->p, "true", 4) == 0 && (in->p += 4); break;
    case 'f': ok = strncmp(in->p, "false", 5) == 0 && (in->p += 5); break;
    case 'n': ok = strncmp(in->p, "null", 4) == 0 && (in->p += 4); break;
    default: ok = json_number(in);
    }
    in->depth--;
    return ok;
}

static bool json_valid(const char *text)
{
    if (!utf8_valid(text, strlen(text), NULL)) return false;
    json_in in = {text, 0};
    if (!json_value(&in)) return false;
    json_ws(&in);
    return *in.p == '\0';
}

static void test_json_validator(void)
{
    CHECK(json_valid("[]"));
    CHECK(json_valid(" {\"a\": [1, -2.5e+3, true, false, null, \"x\\u00e9\\n\"]} "));
    CHECK(!json_valid("[1,]"));
    CHECK(!json_valid("{\"a\" 1}"));
    CHECK(!json_valid("\"tab\there\""));
    CHECK(!json_valid("\"bad \\x escape\""));
    CHECK(!json_valid("[01]"));
    CHECK(!json_valid("[1] x"));
    CHECK(!json_valid("\"\xff\""));
    CHECK(!json_valid("[\"unterminated"));
}

/* ---------------------------------------------------------------------------------------- */

static char *report(report_format fmt, const diag_list *dl, const report_options *opt)
{
    buf_t b = BUF_INIT;
    report_write(&b, fmt, dl, opt);
    return buf_detach(&b);
}

/* Three ordinary diagnostics. */
static void sample(diag_list *dl)
{
    diag_add(dl, DIAG_ERROR, "content/tech/go.md", 12, 7,
             "link to ../rust/#ownership: no element with id \"ownership\" in /tech/rust/");
    diag_add(dl, DIAG_WARNING, "tech/go/index.html", 40, 0, "image without alt text");
    diag_add(dl, DIAG_WARNING, "orphan.html", 0, 0, "no page links here (orphan)");
}

static void test_text_and_json(void)
{
    diag_list dl = DIAG_LIST_INIT;
    sample(&dl);
    char *text = report(REPORT_TEXT, &dl, NULL);
    CHECK_STR(text, "content/tech/go.md:12:7: error: link to ../rust/#ownership: no element "
                    "with id \"ownership\" in /tech/rust/\n"
                    "tech/go/index.html:40: warning: image without alt text\n"
                    "orphan.html: warning: no page links here (orphan)\n");
    free(text);
    char *json = report(REPORT_JSON, &dl, NULL);
    CHECK_STR(json, "[\n"
                    "  {\"file\": \"content/tech/go.md\", \"line\": 12, \"col\": 7, \"severity\": "
                    "\"error\", \"message\": \"link to ../rust/#ownership: no element with id "
                    "\\\"ownership\\\" in /tech/rust/\"},\n"
                    "  {\"file\": \"tech/go/index.html\", \"line\": 40, \"col\": 0, \"severity\": "
                    "\"warning\", \"message\": \"image without alt text\"},\n"
                    "  {\"file\": \"orphan.html\", \"line\": 0, \"col\": 0, \"severity\": "
                    "\"warning\", \"message\": \"no page links here (orphan)\"}\n"
                    "]\n");
    CHECK(json_valid(json));
    free(json);
    diag_list_free(&dl);
    json = report(REPORT_JSON, &dl, NULL);
    CHECK_STR(json, "[]\n");
    free(json);
}

/* Messages and file names no format may break on. */
static void hostile(diag_list *dl)
{
    diag_add(dl, DIAG_ERROR, "we\"ird\\dir/a,b:c%d.html", 3, 4,
             "link to \"q\" \\ <&> 100%% a,b:c\nsecond line\r\tend \x01\x1f");
    diag_add(dl, DIAG_WARNING, "lat\xe9n.html", 1, 1, "bad \xff\xfe bytes \xc3 and \xed\xa0\x80");
    diag_add(dl, DIAG_NOTE, "", 0, 0, "no file at all \xe2\x80\xa8 \xef\xbf\xbf");
}

static void test_hostile_json_and_text(void)
{
    diag_list dl = DIAG_LIST_INIT;
    hostile(&dl);
    char *json = report(REPORT_JSON, &dl, NULL);
    CHECK(json_valid(json));
    CHECK(strstr(json, "\"we\\\"ird\\\\dir/a,b:c%d.html\"") != NULL);
    CHECK(strstr(json, "a,b:c\\nsecond line\\r\\tend \\u0001\\u001f\"") != NULL);
    CHECK(strstr(json, "\"lat\xef\xbf\xbdn.html\"") != NULL); /* bad byte -> U+FFFD */
    CHECK(strstr(json, "\"note\"") != NULL);
    free(json);
    char *text = report(REPORT_TEXT, &dl, NULL);
    CHECK(utf8_valid(text, strlen(text), NULL));
    CHECK(strstr(text, ": note: no file at all") != NULL);
    free(text);
    diag_list_free(&dl);
}

static void test_github(void)
{
    diag_list dl = DIAG_LIST_INIT;
    sample(&dl);
    hostile(&dl);
    char *gh = report(REPORT_GITHUB, &dl, NULL);
    CHECK_STR(gh,
              "::error file=content/tech/go.md,line=12,col=7::link to ../rust/#ownership: no "
              "element with id \"ownership\" in /tech/rust/\n"
              "::warning file=tech/go/index.html,line=40::image without alt text\n"
              "::warning file=orphan.html::no page links here (orphan)\n"
              "::error file=we\"ird\\dir/a%2Cb%3Ac%25d.html,line=3,col=4::link to \"q\" \\ <&> "
              "100%25 a,b:c%0Asecond line%0D\tend \x01\x1f\n"
              "::warning file=lat\xef\xbf\xbdn.html,line=1,col=1::bad \xef\xbf\xbd\xef\xbf\xbd "
              "bytes \xef\xbf\xbd and \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n"
              "::notice::no file at all \xe2\x80\xa8 \xef\xbf\xbf\n");
    free(gh);
    diag_list_free(&dl);
}

/* ---------------------------------------------------------------------------------------- */

static xmlDocPtr parse_xml(const char *xml)
{
    return xmlReadMemory(xml, (int)strlen(xml), "junit.xml", NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static int count_children(xmlNodePtr n, const char *name)
{
    int c = 0;
    for (xmlNodePtr k = n->children; k; k = k->next)
        if (k->type == XML_ELEMENT_NODE && strcmp((const char *)k->name, name) == 0) c++;
    return c;
}

static xmlNodePtr child(xmlNodePtr n, const char *name, int nth)
{
    for (xmlNodePtr k = n->children; k; k = k->next)
        if (k->type == XML_ELEMENT_NODE && strcmp((const char *)k->name, name) == 0 && nth-- == 0)
            return k;
    return NULL;
}

static char *attr(xmlNodePtr n, const char *name)
{
    static char value[1024];
    xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)name) : NULL;
    snprintf(value, sizeof value, "%s", v ? (const char *)v : "(none)");
    xmlFree(v);
    return value;
}

static void test_junit(void)
{
    diag_list dl = DIAG_LIST_INIT;
    sample(&dl);
    char *xml = report(REPORT_JUNIT, &dl, NULL);
    CHECK_STR(xml,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<testsuite name=\"refpress\" tests=\"3\" failures=\"1\" errors=\"0\" "
              "skipped=\"0\">\n"
              "  <testcase classname=\"content/tech/go.md\" name=\"12:7: link to "
              "../rust/#ownership: no element with id &quot;ownership&quot; in /tech/rust/\">\n"
              "    <failure type=\"error\" message=\"link to ../rust/#ownership: no element with "
              "id &quot;ownership&quot; in /tech/rust/\">content/tech/go.md:12:7: error: link to "
              "../rust/#ownership: no element with id \"ownership\" in /tech/rust/</failure>\n"
              "  </testcase>\n"
              "  <testcase classname=\"tech/go/index.html\" name=\"40: image without alt text\">\n"
              "    <system-out>tech/go/index.html:40: warning: image without alt text"
              "</system-out>\n"
              "  </testcase>\n"
              "  <testcase classname=\"orphan.html\" name=\"no page links here (orphan)\">\n"
              "    <system-out>orphan.html: warning: no page links here (orphan)</system-out>\n"
              "  </testcase>\n"
              "</testsuite>\n");
    free(xml);

    report_options strict = {.strict = true, .tool_version = NULL};
    hostile(&dl);
    xml = report(REPORT_JUNIT, &dl, &strict);
    xmlDocPtr doc = parse_xml(xml);
    CHECK(doc != NULL);
    if (doc) {
        xmlNodePtr suite = xmlDocGetRootElement(doc);
        CHECK_STR((const char *)suite->name, "testsuite");
        CHECK_STR(attr(suite, "tests"), "6");
        CHECK_STR(attr(suite, "failures"), "5"); /* 2 errors + 3 warnings when strict */
        CHECK_INT(count_children(suite, "testcase"), 6);
        xmlNodePtr c4 = child(suite, "testcase", 3);
        CHECK_STR(attr(c4, "classname"), "we\"ird\\dir/a,b:c%d.html");
        CHECK_STR(attr(child(c4, "failure", 0), "message"),
                  "link to \"q\" \\ <&> 100% a,b:c\nsecond line\r\tend \xef\xbf\xbd\xef\xbf\xbd");
        xmlNodePtr c6 = child(suite, "testcase", 5);
        CHECK_STR(attr(c6, "classname"), "refpress");
        CHECK_INT(count_children(c6, "failure"), 0);
        CHECK_INT(count_children(c6, "system-out"), 1);
        xmlFreeDoc(doc);
    }
    free(xml);
    diag_list_free(&dl);

    xml = report(REPORT_JUNIT, &dl, NULL);
    CHECK_STR(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<testsuite name=\"refpress\" tests=\"1\" failures=\"0\" errors=\"0\" "
                   "skipped=\"0\">\n"
                   "  <testcase classname=\"refpress\" name=\"refpress\"/>\n"
                   "</testsuite>\n");
    doc = parse_xml(xml);
    CHECK(doc != NULL);
    xmlFreeDoc(doc);
    free(xml);
}

static void test_sarif(void)
{
    diag_list dl = DIAG_LIST_INIT;
    diag_add(&dl, DIAG_ERROR, "content/a b.md", 3, 9, "link to /x/: no such page "
                                                       "(/x/index.html does not exist)");
    diag_add(&dl, DIAG_WARNING, "orphan.html", 0, 0, "no page links here (orphan)");
    report_options opt = {.strict = false, .tool_version = "0.1.0"};
    char *sarif = report(REPORT_SARIF, &dl, &opt);
    CHECK_STR(sarif,
              "{\n"
              "  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
              "  \"version\": \"2.1.0\",\n"
              "  \"runs\": [\n"
              "    {\n"
              "      \"tool\": {\n"
              "        \"driver\": {\n"
              "          \"name\": \"refpress\",\n"
              "          \"version\": \"0.1.0\",\n"
              "          \"rules\": [\n"
              "            {\"id\": \"broken-link\", \"shortDescription\": {\"text\": \"The link "
              "points to no file of the site\"}},\n"
              "            {\"id\": \"orphan-page\", \"shortDescription\": {\"text\": \"A page no "
              "other page links to\"}}\n"
              "          ]\n"
              "        }\n"
              "      },\n"
              "      \"results\": [\n"
              "        {\"ruleId\": \"broken-link\", \"ruleIndex\": 0, \"level\": \"error\", "
              "\"message\": {\"text\": \"link to /x/: no such page (/x/index.html does not "
              "exist)\"},\n"
              "         \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": "
              "\"content/a%20b.md\"}, \"region\": {\"startLine\": 3, \"startColumn\": 9}}}]},\n"
              "        {\"ruleId\": \"orphan-page\", \"ruleIndex\": 1, \"level\": \"warning\", "
              "\"message\": {\"text\": \"no page links here (orphan)\"},\n"
              "         \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": "
              "\"orphan.html\"}}}]}\n"
              "      ]\n"
              "    }\n"
              "  ]\n"
              "}\n");
    CHECK(json_valid(sarif));
    free(sarif);
    hostile(&dl);
    sarif = report(REPORT_SARIF, &dl, NULL);
    CHECK(json_valid(sarif));
    CHECK(strstr(sarif, "\"uri\": \"we%22ird%5Cdir/a%2Cb%3Ac%25d.html\"") != NULL);
    CHECK(strstr(sarif, "\"uri\": \"lat%E9n.html\"") != NULL);
    CHECK(strstr(sarif, "\"version\": \"0.1.0\"") == NULL);
    free(sarif);
    diag_list_free(&dl);
    sarif = report(REPORT_SARIF, &dl, NULL);
    CHECK(json_valid(sarif));
    CHECK(strstr(sarif, "\"rules\": []") != NULL && strstr(sarif, "\"results\": []") != NULL);
    free(sarif);
}

static void test_formats(void)
{
    const char *names[] = {"text", "json", "junit", "github", "sarif"};
    for (int i = 0; i < 5; i++) {
        report_format f = REPORT_TEXT;
        CHECK(report_format_parse(names[i], &f));
        CHECK_INT(f, i);
        CHECK_STR(report_format_name(f), names[i]);
    }
    report_format f = REPORT_SARIF;
    CHECK(!report_format_parse("JSON", &f));
    CHECK(!report_format_parse("", &f));
    CHECK(!report_format_parse(NULL, &f));
    CHECK_INT(f, REPORT_SARIF);
}

/* ---------------------------------------------------------------------------------------- */

static const char *rule_of(const char *msg)
{
    diag d = {(char *)"f", 1, 1, DIAG_ERROR, (char *)msg};
    return report_rule_id(&d);
}

static void test_rules(void)
{
    CHECK_STR(rule_of("link to /a/: no such page (/a/index.html does not exist)"),
              "broken-link");
    CHECK_STR(rule_of("image /no such file/x.png: malformed URL (bad host)"), "malformed-url");
    CHECK_STR(rule_of("link to #x: no element with id \"no such file\" in /"),
              "missing-fragment");
    CHECK_STR(rule_of("mailto:a@: invalid e-mail address"), "invalid-mailto");
    CHECK_STR(rule_of("duplicate id \"a: no such file\" (first at line 2)"), "duplicate-id");
    CHECK_STR(rule_of("unknown key \"titel\""), "other");
    CHECK_STR(rule_of(""), "other");
}

/* Every message the link checker gives on its fixtures has a kind other than "other". */
static void test_rules_cover_linkcheck(const char *root)
{
    size_t n = 0;
    fs_entry *e = NULL;
    if (fs_list(root, &e, &n) != 0) {
        CHECK(!"the link checker's fixtures can be listed");
        return;
    }
    size_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        char *site = xasprintf("%s/%s/site", root, e[i].name);
        diag_list dl = DIAG_LIST_INIT;
        lc_check_folder(site, NULL, &dl, NULL);
        for (size_t k = 0; k < dl.len; k++, seen++)
            if (strcmp(report_rule_id(&dl.items[k]), "other") == 0) {
                fprintf(stderr, "no kind of problem for: %s\n", dl.items[k].message);
                CHECK(!"a kind for every link checker message");
            }
        diag_list_free(&dl);
        free(site);
    }
    CHECK(seen > 100);
    fs_entries_free(e, n);
}

int main(int argc, char **argv)
{
    xmlInitParser();
    test_json_validator();
    test_text_and_json();
    test_hostile_json_and_text();
    test_github();
    test_junit();
    test_sarif();
    test_formats();
    test_rules();
    test_rules_cover_linkcheck(argc > 1 ? argv[1] : fs_is_dir("linkcheck") ? "linkcheck"
                                                                             : "tests/linkcheck");
    return harness_done();
}
