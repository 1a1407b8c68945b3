/* test_chart.c — trend words, chart structure, gaps, escaping, determinism and goldens. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "harness.h"
#include "util.h"

#define MINUS "\xE2\x88\x92"
#define NDASH "\xE2\x80\x93"
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char got[1 << 16];

/* ---- helpers ---- */

static chart_series series(const char *label, const char *url, const chart_point *p, size_t n,
                           int first, int last)
{
    chart_series s = {label, url, p, n, first, last};
    return s;
}

static const char *trend(const chart_point *p, size_t n)
{
    chart_series s = series("X", NULL, p, n, 0, 0);
    buf_t b = BUF_INIT;
    chart_trend(&s, &b);
    snprintf(got, sizeof got, "%s", buf_cstr(&b));
    buf_free(&b);
    return got;
}

static const char *value(double v)
{
    buf_t b = BUF_INIT;
    chart_value_format(v, &b);
    snprintf(got, sizeof got, "%s", buf_cstr(&b));
    buf_free(&b);
    return got;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* The text between the first `from` and the next `to` after it, or "" when absent. */
static const char *between(const char *hay, const char *from, const char *to)
{
    static char part[4096];
    const char *a = strstr(hay, from);
    const char *b = a ? strstr(a + strlen(from), to) : NULL;
    if (!b) return "";
    a += strlen(from);
    snprintf(part, sizeof part, "%.*s", (int)(b - a), a);
    return part;
}

/* Collects the number in every attribute attr (e.g. " x=\"") into out; returns how many. */
static int attr_numbers(const char *html, const char *attr, double *out, int max)
{
    int n = 0;
    for (const char *p = strstr(html, attr); p && n < max; p = strstr(p + 1, attr))
        out[n++] = strtod(p + strlen(attr), NULL);
    return n;
}

/* Every number pair in every path's d="…" lies inside 0..w x 0..h. */
static int paths_inside(const char *html, double w, double h)
{
    int bad = 0;
    for (const char *p = strstr(html, " d=\"M"); p; p = strstr(p + 1, " d=\"M")) {
        const char *s = p + 5;
        while (*s && *s != '"') {
            char *end;
            double x = strtod(s, &end);
            double y = strtod(end, &end);
            if (x < 0 || x > w || y < 0 || y > h) bad++;
            while (*end == 'L' || *end == 'Z')
                end++;
            if (end == s) break;
            s = end;
        }
    }
    return bad;
}

static int coords_outside(const char *html, const char *attr, double lo, double hi)
{
    static double v[4096];
    int n = attr_numbers(html, attr, v, 4096), bad = 0;
    for (int i = 0; i < n; i++)
        if (v[i] < lo || v[i] > hi) bad++;
    return bad;
}

/* ---- trend words ---- */

static void test_trend_words(void)
{
    chart_point rising[] = {{2020, 74}, {2021, 77}, {2022, 79}, {2023, 83}, {2024, 86}};
    CHECK_STR(trend(rising, COUNT(rising)), "+12 since 2020");
    chart_point falling[] = {{2018, 60}, {2019, 55}, {2020, 50}};
    CHECK_STR(trend(falling, COUNT(falling)), MINUS "10 since 2018");
    chart_point stable[] = {{2018, 50}, {2019, 51}, {2020, 52}};
    CHECK_STR(trend(stable, COUNT(stable)), "stable");
    chart_point down2[] = {{2018, 52}, {2019, 51}, {2020, 50}};
    CHECK_STR(trend(down2, COUNT(down2)), "stable");
    chart_point peak[] = {{2018, 40}, {2019, 70}, {2020, 65}};
    CHECK_STR(trend(peak, COUNT(peak)), "declining since 2019");
    chart_point edge[] = {{2018, 40}, {2019, 70}, {2020, 68}};
    CHECK_STR(trend(edge, COUNT(edge)), "+28 since 2018");
    chart_point slight[] = {{2018, 40}, {2019, 70}, {2020, 67.9}};
    CHECK_STR(trend(slight, COUNT(slight)), "declining since 2019");
    chart_point ties[] = {{2018, 50}, {2019, 80}, {2020, 70}, {2021, 80}, {2022, 75}};
    CHECK_STR(trend(ties, COUNT(ties)), "declining since 2021");
    chart_point peak_last[] = {{2018, 50}, {2019, 80}, {2020, 70}, {2021, 80}};
    CHECK_STR(trend(peak_last, COUNT(peak_last)), "+30 since 2018");
    chart_point one[] = {{2026, 86}};
    CHECK_STR(trend(one, 1), "a single point");
    CHECK_STR(trend(NULL, 0), "no data");
    CHECK_STR(trend(one, 0), "no data");
}

static void test_trend_gaps_and_decimals(void)
{
    chart_point gaps[] = {{2018, 20}, {2021, 25}, {2026, 26}};
    CHECK_STR(trend(gaps, COUNT(gaps)), "+6 since 2018");
    /* A leading gap in the span: "since" names the first present point, not the span start. */
    chart_series lead = series("X", NULL, gaps, COUNT(gaps), 2015, 2026);
    buf_t b = BUF_INIT;
    chart_trend(&lead, &b);
    CHECK_STR(buf_cstr(&b), "+6 since 2018");
    buf_free(&b);
    chart_point half[] = {{2021, 70}, {2022, 72.5}};
    CHECK_STR(trend(half, 2), "+2.5 since 2021");
    chart_point fall_half[] = {{2021, 80}, {2022, 77.5}};
    CHECK_STR(trend(fall_half, 2), MINUS "2.5 since 2021");
    chart_point just[] = {{2021, 70.04}, {2022, 72.06}}; /* 70 -> 72.1 after rounding */
    CHECK_STR(trend(just, 2), "+2.1 since 2021");
    chart_point flat[] = {{2021, 70}, {2022, 72.04}}; /* 72.0: d = 2 is not > 2 */
    CHECK_STR(trend(flat, 2), "stable");
    chart_point whole[] = {{2021, 70.5}, {2022, 82.5}};
    CHECK_STR(trend(whole, 2), "+12 since 2021"); /* no trailing ".0" */
}

static void test_trend_bad_input(void)
{
    chart_point unsorted[] = {{2022, 50}, {2020, 40}, {2020, 45}}; /* last 2020 wins */
    CHECK_STR(trend(unsorted, COUNT(unsorted)), "+5 since 2020");
    chart_point clamp[] = {{2020, -30}, {2021, 250}};
    CHECK_STR(trend(clamp, 2), "+100 since 2020");
    chart_point odd[] = {{1899, 10},       {2020, NAN},  {2021, 30}, {2101, 90},
                         {2022, INFINITY}, {INT_MIN, 1}, {2023, 40}};
    CHECK_STR(trend(odd, COUNT(odd)), "+10 since 2021");
    chart_point only_bad[] = {{0, 50}, {2020, NAN}};
    CHECK_STR(trend(only_bad, 2), "no data");
    buf_t b = BUF_INIT;
    chart_trend(NULL, &b);
    CHECK_STR(buf_cstr(&b), "no data");
    buf_free(&b);
}

static void test_value_format(void)
{
    CHECK_STR(value(86), "86");
    CHECK_STR(value(86.5), "86.5");
    CHECK_STR(value(86.04), "86");
    CHECK_STR(value(86.06), "86.1");
    CHECK_STR(value(0), "0");
    CHECK_STR(value(-0.0), "0");
    CHECK_STR(value(-5), "0");
    CHECK_STR(value(150), "100");
    CHECK_STR(value(NAN), "0");
    CHECK_STR(value(99.96), "100");
}

/* ---- adoption chart ---- */

static chart_point lua_points[] = {{2018, 21}, {2019, 21}, {2021, 22}, {2022, 23},
                                   {2023, 24}, {2024, 24}, {2025, 25}, {2026, 25}};

/* Removes the narrow (phone) drawings, so counts below speak of one drawing; test_narrow
 * checks the narrow ones against the wide ones. */
static void drop_narrow(buf_t *b)
{
    char *start;
    while ((start = strstr(b->ptr ? b->ptr : "", "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                                                  "class=\"chart-svg chart-narrow\""))) {
        char *end = strstr(start, "</svg>\n");
        if (!end) break;
        end += strlen("</svg>\n");
        memmove(start, end, strlen(end) + 1);
        b->len = strlen(b->ptr);
    }
}

static char *adoption(const chart_series *s, const char *title, const char *id)
{
    buf_t b = BUF_INIT;
    chart_adoption(s, title, id, &b, NULL);
    drop_narrow(&b);
    return buf_detach(&b);
}

/* Every chart is drawn twice, wide and narrow, with the same marks and distinct ids. */
static void test_narrow(void)
{
    chart_series s = series("Lua", "/lua/", lua_points, COUNT(lua_points), 2018, 2026);
    buf_t b = BUF_INIT;
    chart_adoption(&s, NULL, "lua", &b, NULL);
    const char *h = buf_cstr(&b);
    CHECK_INT(count(h, "class=\"chart-svg chart-wide\" viewBox=\"0 0 640 300\""), 1);
    CHECK_INT(count(h, "class=\"chart-svg chart-narrow\" viewBox=\"0 0 360 300\""), 1);
    CHECK_INT(count(h, "<title id=\"lua-n-title\">"), 1);
    CHECK_INT(count(h, "aria-labelledby=\"lua-n-title lua-n-desc\""), 1);
    int all = count(h, "<circle");
    drop_narrow(&b);
    CHECK_INT(count(buf_cstr(&b), "<circle"), COUNT(lua_points));
    CHECK_INT(all, 2 * (int)COUNT(lua_points));
    CHECK(strstr(buf_cstr(&b), "chart-narrow") == NULL);
    buf_free(&b);
    chart_compare_bars(&s, 1, NULL, "bars", &b, NULL);
    CHECK_INT(count(buf_cstr(&b), "class=\"chart-svg chart-narrow\" viewBox=\"0 0 360 "), 1);
    CHECK_INT(count(buf_cstr(&b), "<rect class=\"chart-bar\""), 2);
    buf_free(&b);
}

static void test_adoption_structure(void)
{
    chart_point py[] = {{2020, 74}, {2021, 77}, {2022, 79}, {2023, 83},
                        {2024, 84}, {2025, 85}, {2026, 86}};
    chart_series s = series("Python", "/tech/python/", py, COUNT(py), 2020, 2026);
    char *h = adoption(&s, "Python adoption index", "py");
    CHECK(str_starts_with(h,
                          "<figure class=\"chart chart-adoption\">\n<svg xmlns=\"http://www.w3."
                          "org/2000/svg\" class=\"chart-svg chart-wide\" viewBox=\"0 0 640 300\" role=\"img\""
                          " aria-labelledby=\"py-title py-desc\">\n"));
    CHECK(str_ends_with(h, "</figcaption>\n</figure>\n"));
    CHECK_STR(between(h, "<title id=\"py-title\">", "</title>"),
              "Python adoption index, 2020" NDASH "2026");
    CHECK_STR(between(h, "<desc id=\"py-desc\">", "</desc>"),
              "Python adoption index, on a scale of 0 to 100, from 2020 to 2026. First value 74 "
              "in 2020, latest 86 in 2026, peak 86 in 2026. Trend: +12 since 2020.");
    CHECK(!strstr(between(h, "<svg", ">"), "width="));
    CHECK_INT(count(h, "<circle"), 7);
    CHECK_INT(count(h, "chart-current\""), 1);
    CHECK_INT(count(h, "<path class=\"chart-line\""), 1);
    CHECK_INT(count(h, "<path class=\"chart-area\""), 1);
    CHECK_STR(between(h, "font-weight=\"600\">", "</text>"), "86/100 in 2026");
    CHECK_INT(count(h, "<tr><th scope=\"row\">"), 7);
    CHECK(strstr(h, "<tr><th scope=\"row\">2023</th><td>83</td></tr>") != NULL);
    CHECK(strstr(h, "<details class=\"chart-data\"><summary>Data table</summary>") != NULL);
    CHECK_STR(between(h, "<caption>", "</caption>"), "Python adoption index, 2020" NDASH "2026");
    CHECK_STR(between(h, "<figcaption>", "</figcaption>"),
              "<span class=\"chart-value\">86/100 in 2026</span>, "
              "<span class=\"chart-trend\">+12 since 2020</span>");
    /* y labels 0..100 and one gridline per 25 above the axis */
    for (int v = 0; v <= 100; v += 25) {
        char t[64];
        snprintf(t, sizeof t, "text-anchor=\"end\">%d</text>", v);
        CHECK_INT(count(h, t), 1);
    }
    CHECK_INT(count(between(h, "<g class=\"chart-grid\"", "</g>"), "<line"), 4);
    CHECK_INT(count(h, "class=\"chart-axis\""), 1);
    /* paint comes from custom properties, never bare colours */
    CHECK(strstr(h, "stroke:var(--chart-line,#1f4fd1)") != NULL);
    CHECK(strstr(h, "fill:var(--chart-area,") != NULL);
    CHECK(strstr(h, "fill:var(--chart-current,") != NULL);
    CHECK_INT(count(h, "fill=\"#"), 0);
    CHECK_INT(count(h, "stroke=\"#"), 0);
    CHECK_INT(paths_inside(h, 640, 300), 0);
    CHECK_INT(coords_outside(h, " x=\"", 0, 640), 0);
    CHECK_INT(coords_outside(h, " y=\"", 0, 300), 0);
    free(h);
}

static void test_adoption_title_default(void)
{
    chart_series s = series("Lua", NULL, lua_points, COUNT(lua_points), 2018, 2026);
    char *h = adoption(&s, NULL, NULL);
    CHECK_STR(between(h, "<title id=\"chart-title\">", "</title>"),
              "Lua adoption index, 2018" NDASH "2026");
    CHECK(strstr(h, "aria-labelledby=\"chart-title chart-desc\"") != NULL);
    free(h);
    s.label = NULL;
    h = adoption(&s, "", "a");
    CHECK_STR(between(h, "<title id=\"a-title\">", "</title>"),
              "Untitled adoption index, 2018" NDASH "2026");
    free(h);
}

static void test_adoption_gaps(void)
{
    /* runs: 2010-2012, 2014, 2017-2018; gaps 2013, 2015-2016 */
    chart_point p[] = {{2010, 40}, {2011, 42}, {2012, 45}, {2014, 50}, {2017, 55}, {2018, 60}};
    chart_series s = series("Go", NULL, p, COUNT(p), 2010, 2018);
    char *h = adoption(&s, NULL, "go");
    CHECK_INT(count(h, "<path class=\"chart-line\""), 3);
    CHECK_INT(count(h, "<path class=\"chart-area\""), 2); /* a lone year has no area */
    CHECK_INT(count(h, "<circle"), 6);
    CHECK_INT(count(h, "<tr><th scope=\"row\">"), 6);
    CHECK(strstr(h, "No values for 2013, 2015" NDASH "2016.</desc>") != NULL);
    /* gaps never drop to zero: no line vertex sits on the 0 line (y=252) */
    const char *line = strstr(h, "<path class=\"chart-line\"");
    CHECK(line && !strstr(between(line, "d=\"", "</svg>"), " 252"));
    /* the lone 2014 run is a one-vertex path */
    CHECK(strstr(h, "d=\"M336 144\"/>") != NULL);
    free(h);

    /* trailing gap: the span goes on after the latest point; the label stays inside */
    chart_point q[] = {{2018, 98}, {2019, 99}};
    s = series("Q", NULL, q, COUNT(q), 2018, 2026);
    h = adoption(&s, NULL, "q");
    CHECK(strstr(h, "No values for 2020" NDASH "2026.") != NULL);
    CHECK_INT(count(h, "text-anchor=\"middle\">2026</text>"), 1);
    CHECK_STR(between(h, "font-weight=\"600\">", "</text>"), "99/100 in 2019");
    CHECK_INT(coords_outside(h, " y=\"", 0, 300), 0);
    free(h);

    chart_series lua = series("Lua", NULL, lua_points, COUNT(lua_points), 2018, 2026);
    h = adoption(&lua, NULL, "lua");
    CHECK_INT(count(h, "<path class=\"chart-line\""), 2);
    CHECK(strstr(h, "No value for 2020.</desc>") != NULL);
    free(h);
}

/* Year labels are thinned so they are at least 48 units apart, the latest year kept. */
static void test_adoption_year_labels(void)
{
    chart_point p[37];
    for (int i = 0; i < 37; i++) {
        p[i].year = 1990 + i;
        p[i].value = 10 + i * 2;
    }
    for (int years = 2; years <= 37; years++) {
        chart_series s = series("Long", NULL, p + 37 - years, (size_t)years, 0, 0);
        char *h = adoption(&s, NULL, "long");
        double xs[64];
        int n = 0;
        for (const char *t = strstr(h, "<text x=\""); t; t = strstr(t + 1, "<text x=\"")) {
            const char *close = strchr(t, '>');
            if (close && strncmp(close - 20, "text-anchor=\"middle\"", 20) == 0 && n < 64)
                xs[n++] = strtod(t + 9, NULL);
        }
        int close_pairs = 0;
        for (int i = 1; i < n; i++)
            if (xs[i] - xs[i - 1] < 48) close_pairs++;
        CHECK_INT(close_pairs, 0);
        CHECK(n >= 2 && n <= 12);
        CHECK(years > 12 || n == years); /* up to 12 years every year is labelled */
        CHECK(strstr(h, "text-anchor=\"middle\">2026</text>") != NULL);
        CHECK_INT(count(h, "font-size=\"1"), 2); /* 12 for axes, 13 for the current label */
        free(h);
    }
    chart_series s = series("Long", NULL, p, 37, 0, 0);
    char *h = adoption(&s, NULL, "long");
    CHECK(strstr(h, ">1990</text>") != NULL && strstr(h, ">1994</text>") != NULL);
    CHECK(strstr(h, ">1991</text>") == NULL);
    free(h);
}

/* The "86/100 in 2026" label stays inside the viewBox wherever the point is. */
static void test_adoption_current_label(void)
{
    chart_point one[] = {{2026, 100}};
    chart_series s = series("One", NULL, one, 1, 2026, 2026);
    char *h = adoption(&s, NULL, "one");
    CHECK(strstr(h, "x=\"336\" y=\"24\" text-anchor=\"middle\" font-size=\"13\"") != NULL);
    CHECK(strstr(h, "One value: 100 in 2026.") != NULL);
    CHECK_STR(between(h, "<span class=\"chart-trend\">", "</span>"), "a single point");
    free(h);
    chart_point left[] = {{2000, 0}};
    s = series("Left", NULL, left, 1, 2000, 2026);
    h = adoption(&s, NULL, "left");
    CHECK(strstr(h, "x=\"60\" y=\"240\" text-anchor=\"middle\"") != NULL); /* fits centred */
    free(h);
    left[0].value = 100; /* "100/100 in 2000" is wider: anchored at its start */
    h = adoption(&s, NULL, "left");
    CHECK(strstr(h, "x=\"56\" y=\"24\" text-anchor=\"start\"") != NULL);
    free(h);
    /* coming down into the latest point: the label goes below it */
    chart_point down[] = {{2020, 90}, {2021, 60}};
    s = series("Down", NULL, down, 2, 0, 0);
    h = adoption(&s, NULL, "down");
    CHECK(strstr(h, "x=\"616\" y=\"146.4\" text-anchor=\"end\"") != NULL);
    free(h);
}

/* ---- sparkline ---- */

static void test_spark(void)
{
    chart_series s = series("Lua", NULL, lua_points, COUNT(lua_points), 2018, 2026);
    buf_t b = BUF_INIT;
    chart_spark(&s, "card-lua", &b, NULL);
    const char *h = buf_cstr(&b);
    CHECK(str_starts_with(h, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-spark\""
                             " viewBox=\"0 0 120 32\" width=\"120\" height=\"32\" role=\"img\""
                             " aria-labelledby=\"card-lua-title\">\n"));
    CHECK_STR(between(h, "<title id=\"card-lua-title\">", "</title>"),
              "Lua adoption 2018" NDASH "2026: 25/100 in 2026");
    CHECK_INT(count(h, "<path class=\"chart-line\""), 2);
    CHECK_INT(count(h, "<circle class=\"chart-current\""), 1);
    CHECK_INT(count(h, "<circle"), 1);
    CHECK_INT(paths_inside(h, 120, 32), 0);
    CHECK_INT(coords_outside(h, " cx=\"", 0, 120), 0);
    CHECK(str_ends_with(h, "</svg>\n"));
    buf_free(&b);
}

/* ---- compared bars ---- */

static void test_bars(void)
{
    chart_point a[] = {{2025, 40}, {2026, 88}}, b2[] = {{2026, 60}}, c[] = {{2024, 60}},
                d[] = {{2026, 95.5}};
    chart_series items[] = {
        series("Beta", "/tech/beta/", b2, 1, 0, 0),
        series("Alpha", "/tech/alpha/", c, 1, 0, 0),
        series("Empty", "/tech/empty/", NULL, 0, 2020, 2026),
        series("Python", "/tech/python/", a, 2, 0, 0),
        series("Rust", NULL, d, 1, 0, 0),
    };
    buf_t b = BUF_INIT;
    chart_compare_bars(items, COUNT(items), "Languages", "cmp", &b, NULL);
    drop_narrow(&b);
    const char *h = buf_cstr(&b);
    CHECK(str_starts_with(h, "<figure class=\"chart chart-bars\">\n<svg xmlns=\"http://www.w3.org/"
                             "2000/svg\" class=\"chart-svg chart-wide\" viewBox=\"0 0 640 156\" role=\"img\""
                             " aria-labelledby=\"cmp-title cmp-desc\">\n"));
    CHECK_STR(between(h, "<title id=\"cmp-title\">", "</title>"), "Languages");
    CHECK_STR(between(h, "<desc id=\"cmp-desc\">", "</desc>"),
              "Latest value of each, on a scale of 0 to 100, highest first: Rust 95.5 in 2026; "
              "Python 88 in 2026; Alpha 60 in 2024; Beta 60 in 2026.");
    CHECK_INT(count(h, "<rect class=\"chart-bar\""), 4);
    CHECK(!strstr(h, "Empty"));
    /* descending, ties by label */
    const char *r = strstr(h, ">Rust</text>"), *p = strstr(h, ">Python</text>"),
               *al = strstr(h, ">Alpha</text>"), *be = strstr(h, ">Beta</text>");
    CHECK(r && p && al && be && r < p && p < al && al < be);
    CHECK_INT(count(h, "<a href=\"/tech/python/\" tabindex=\"-1\"><text"), 1);
    CHECK_INT(count(h, "tabindex=\"-1\""), 3);
    CHECK(strstr(h, "<th scope=\"row\"><a href=\"/tech/python/\">Python</a></th><td>88</td>"
                    "<td>2026</td></tr>") != NULL);
    CHECK(strstr(h, "<tr><th scope=\"row\">Rust</th><td>95.5</td><td>2026</td></tr>") != NULL);
    CHECK_INT(count(h, "<tr><th scope=\"row\">"), 4);
    CHECK(strstr(h, "width=\"352\" height=\"18\"") != NULL); /* 88 of 100 over 400 units */
    CHECK_INT(coords_outside(h, " x=\"", 0, 640), 0);
    buf_free(&b);

    buf_t e = BUF_INIT;
    chart_compare_bars(items + 2, 1, NULL, "none", &e, NULL);
    chart_compare_bars(NULL, 0, NULL, "none", &e, NULL);
    CHECK_INT(e.len, 0);
    buf_free(&e);
}

static void test_bars_long_labels(void)
{
    chart_point p[] = {{2026, 50}};
    chart_series items[] = {
        series("Exactly twenty-two chr", NULL, p, 1, 0, 0),
        series("Extraordinarily long technology name", NULL, p, 1, 0, 0),
        series("Ünïcödé ünïcödé ünïcödé ünïcödé", NULL, p, 1, 0, 0),
    };
    buf_t b = BUF_INIT;
    chart_compare_bars(items, COUNT(items), NULL, "long", &b, NULL);
    drop_narrow(&b);
    const char *h = buf_cstr(&b);
    CHECK_STR(between(h, "<title id=\"long-title\">", "</title>"), "Adoption index compared");
    CHECK(strstr(h, ">Exactly twenty-two chr</text>") != NULL);
    CHECK(strstr(h, ">Extraordinarily long\xE2\x80\xA6</text>") != NULL);
    CHECK(strstr(h, ">Ünïcödé ünïcödé ünïcö\xE2\x80\xA6</text>") != NULL);
    /* the table keeps the whole label */
    CHECK(strstr(h, "<th scope=\"row\">Extraordinarily long technology name</th>") != NULL);
    buf_free(&b);
}

/* ---- compared lines ---- */

static void test_lines(void)
{
    chart_point a[] = {{2018, 70}, {2019, 72}, {2021, 80}}, b2[] = {{2020, 30}, {2022, 35}};
    chart_point many[] = {{2020, 50}, {2021, 55}};
    chart_series items[9];
    items[0] = series("A", "/a/", a, COUNT(a), 0, 0);
    items[1] = series("Empty", NULL, NULL, 0, 0, 0);
    items[2] = series("B", NULL, b2, COUNT(b2), 2019, 2023);
    for (int i = 3; i < 9; i++) {
        static const char *names[] = {"C", "D", "E", "F", "G", "H"};
        items[i] = series(names[i - 3], NULL, many, 2, 0, 0);
    }
    buf_t b = BUF_INIT;
    chart_compare_lines(items, COUNT(items), NULL, "cl", &b, NULL);
    drop_narrow(&b);
    const char *h = buf_cstr(&b);
    CHECK(str_starts_with(h, "<figure class=\"chart chart-lines\">\n<svg xmlns=\"http://www.w3.org/"
                             "2000/svg\" class=\"chart-svg chart-wide\" viewBox=\"0 0 640 300\" role=\"img\""
                             " aria-labelledby=\"cl-title cl-desc\">\n"));
    CHECK_STR(between(h, "<title id=\"cl-title\">", "</title>"),
              "Adoption index compared, 2018" NDASH "2023");
    CHECK(strstr(h, ". A: 70 in 2018 to 80 in 2021, +10 since 2018. B: 30 in 2020 to 35 in "
                    "2022, +5 since 2020. C: 50 in 2020 to 55 in 2021, +5 since 2020.") != NULL);
    for (int k = 1; k <= 6; k++) {
        char cls[64];
        snprintf(cls, sizeof cls, "class=\"chart-line series-%d\"", k);
        CHECK(count(h, cls) >= 1);
        snprintf(cls, sizeof cls, "stroke:var(--chart-series-%d,#", k);
        CHECK(strstr(h, cls) != NULL);
    }
    CHECK(!strstr(h, "series-7"));
    CHECK(!strstr(h, ">G<") && !strstr(h, ">H<") && !strstr(h, "Empty"));
    CHECK_INT(count(h, "class=\"chart-line series-1\""), 2); /* gap at 2020 */
    CHECK_INT(count(h, "class=\"chart-line series-2\""), 2); /* gap at 2021 */
    CHECK_INT(count(h, "<path class=\"chart-line"), 2 + 2 + 4);
    CHECK_INT(count(h, "<circle"), 3 + 2 + 4 * 2);
    CHECK_INT(count(between(h, "<ul class=\"chart-legend\">", "</ul>"), "<li "), 6);
    CHECK(strstr(h, "aria-hidden=\"true\" focusable=\"false\"") != NULL);
    CHECK(strstr(h, "</svg> <a href=\"/a/\">A</a></li>") != NULL);
    CHECK(strstr(h,
                 "<thead><tr><th scope=\"col\">Year</th><th scope=\"col\">A</th><th scope=\"col\""
                 ">B</th>") != NULL);
    CHECK_INT(count(h, "<tr><th scope=\"row\">"), 5); /* 2018..2022; 2023 has no value */
    CHECK(strstr(h, "<tr><th scope=\"row\">2020</th><td>no data</td><td>30</td><td>50</td>") !=
          NULL);
    CHECK_STR(between(h, "<figcaption>", "</figcaption>"), "Showing the first 6 of 8 series.");
    CHECK_INT(paths_inside(h, 640, 300), 0);
    buf_free(&b);

    buf_t two = BUF_INIT;
    chart_compare_lines(items, 1, "Just A", "one", &two, NULL);
    CHECK(!strstr(buf_cstr(&two), "<figcaption>"));
    CHECK(strstr(buf_cstr(&two), "<title id=\"one-title\">Just A, 2018" NDASH "2021</title>"));
    buf_free(&two);
}

/* ---- hostile input, ids, empties, determinism ---- */

static void test_escaping(void)
{
    chart_point p[] = {{2025, 10}, {2026, 20}};
    const char *evil = "<script>alert(\"x\")</script>&'";
    chart_series s = series(evil, "\"><script>alert(1)</script>", p, 2, 0, 0);
    buf_t b = BUF_INIT;
    chart_adoption(&s, evil, "a\"b", &b, NULL);
    chart_spark(&s, "s<", &b, NULL);
    chart_compare_bars(&s, 1, evil, "c'", &b, NULL);
    chart_compare_lines(&s, 1, evil, "d&", &b, NULL);
    const char *h = buf_cstr(&b);
    CHECK(!strstr(h, "<script"));
    CHECK(!strstr(h, "\"x\""));
    CHECK(strstr(h, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;") != NULL);
    CHECK(strstr(h, "href=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"") != NULL);
    CHECK(strstr(h, "id=\"a&quot;b-title\"") != NULL);
    CHECK(strstr(h, "aria-labelledby=\"s&lt;-title\"") != NULL);
    CHECK(strstr(h, "id=\"c&#39;-desc\"") != NULL);
    CHECK(strstr(h, "id=\"d&amp;-title\"") != NULL);
    buf_free(&b);
}

static void test_ids_unique(void)
{
    chart_series s = series("Lua", "/lua/", lua_points, COUNT(lua_points), 2018, 2026);
    buf_t b = BUF_INIT;
    chart_adoption(&s, NULL, "one", &b, NULL);
    chart_adoption(&s, NULL, "two", &b, NULL);
    chart_spark(&s, "three", &b, NULL);
    chart_compare_bars(&s, 1, NULL, "four", &b, NULL);
    chart_compare_lines(&s, 1, NULL, "five", &b, NULL);
    const char *h = buf_cstr(&b);
    static char ids[64][64];
    int n = 0, dup = 0;
    for (const char *p = strstr(h, " id=\""); p && n < 64; p = strstr(p + 1, " id=\"")) {
        snprintf(ids[n], sizeof ids[n], "%.*s", (int)strcspn(p + 5, "\""), p + 5);
        for (int i = 0; i < n; i++)
            dup += strcmp(ids[i], ids[n]) == 0;
        n++;
    }
    CHECK_INT(n, 17); /* the narrow drawings add their own "-n" ids */
    CHECK_INT(dup, 0);
    /* every aria-labelledby id exists */
    int missing = 0;
    for (const char *p = strstr(h, "aria-labelledby=\""); p; p = strstr(p + 1, "aria-labelledby")) {
        char list[128], want[160];
        snprintf(list, sizeof list, "%.*s", (int)strcspn(p + 17, "\""), p + 17);
        for (char *t = list; *t;) {
            size_t len = strcspn(t, " ");
            snprintf(want, sizeof want, " id=\"%.*s\"", (int)len, t);
            if (!strstr(h, want)) missing++;
            t += len + (t[len] == ' ');
        }
    }
    CHECK_INT(missing, 0);
    buf_free(&b);
}

static void test_empty(void)
{
    chart_point nulls[] = {{2020, NAN}};
    chart_series none = series("None", NULL, NULL, 0, 2020, 2026);
    chart_series bad = series("Bad", NULL, nulls, 1, 2020, 2026);
    chart_series wild = series("Wild", NULL, NULL, 5, INT_MIN, INT_MAX); /* points NULL */
    buf_t b = BUF_INIT;
    chart_adoption(&none, NULL, "x", &b, NULL);
    chart_adoption(&bad, NULL, "x", &b, NULL);
    chart_adoption(NULL, NULL, "x", &b, NULL);
    chart_spark(&wild, "x", &b, NULL);
    chart_spark(NULL, NULL, &b, NULL);
    chart_compare_lines(&bad, 1, NULL, "x", &b, NULL);
    chart_compare_lines(NULL, 3, NULL, "x", &b, NULL);
    CHECK_INT(b.len, 0);
    /* a wild declared span is ignored, not looped over */
    chart_point p[] = {{2020, 50}, {2021, 60}};
    chart_series s = series("S", NULL, p, 2, INT_MIN, INT_MAX);
    chart_adoption(&s, NULL, "s", &b, NULL);
    CHECK(
        strstr(buf_cstr(&b), "<title id=\"s-title\">S adoption index, 2020" NDASH "2021</title>"));
    buf_clear(&b);
    s = series("S", NULL, p, 2, 2025, 2019); /* reversed: ignored */
    chart_adoption(&s, NULL, "s", &b, NULL);
    CHECK(strstr(buf_cstr(&b), "2020" NDASH "2021</title>"));
    buf_free(&b);
}

static void test_deterministic(void)
{
    chart_point p[] = {{2018, 33.333}, {2019, 66.667}, {2021, 12.35}, {2022, 99.95}};
    chart_series s = series("D", "/d/", p, COUNT(p), 2017, 2023);
    char *first = NULL;
    for (int round = 0; round < 2; round++) {
        buf_t b = BUF_INIT;
        chart_adoption(&s, NULL, "d", &b, NULL);
        chart_spark(&s, "ds", &b, NULL);
        chart_compare_bars(&s, 1, NULL, "db", &b, NULL);
        chart_compare_lines(&s, 1, NULL, "dl", &b, NULL);
        if (round == 0)
            first = buf_detach(&b);
        else
            CHECK_STR(buf_cstr(&b), first);
        buf_free(&b);
    }
    /* no float noise: no coordinate has more than one decimal */
    int noisy = 0;
    for (const char *c = first; *c; c++)
        if (c[0] == '.' && c[1] >= '0' && c[1] <= '9' && c[2] >= '0' && c[2] <= '9' &&
            c[-1] >= '0' && c[-1] <= '9')
            noisy++;
    CHECK_INT(noisy, 0);
    CHECK(strstr(first, "<td>33.3</td>") && strstr(first, "<td>100</td>"));
    free(first);
}

/* The current-value label's estimated extent (7.5 units a glyph) stays inside 0..640. */
static int current_label_outside(const char *h)
{
    const char *t = strstr(h, "chart-current-label");
    if (!t) return 0;
    double x = strtod(strstr(t, " x=\"") + 4, NULL);
    const char *anchor = strstr(t, "text-anchor=\"") + 13;
    const char *text = strchr(t, '>') + 1;
    double w = (double)(strchr(text, '<') - text) * 7.5;
    double left = anchor[0] == 's' ? x : anchor[0] == 'e' ? x - w : x - w / 2;
    return left < 0 || left + w > 640;
}

static unsigned rng_state = 12345;

static unsigned rng(unsigned n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 16) % n;
}

/* Random series, including bad years, NaN, out-of-range values and wild spans: nothing
 * crashes (the sanitizers watch) and every drawn coordinate stays inside the viewBox. */
static void test_random(void)
{
    static chart_point pts[8][40];
    int outside = 0, labels_out = 0;
    for (int round = 0; round < 400; round++) {
        chart_series items[8];
        for (int k = 0; k < 8; k++) {
            size_t n = rng(40);
            int base = 1890 + (int)rng(230);
            for (size_t i = 0; i < n; i++) {
                pts[k][i].year = rng(8) ? base + (int)rng(30) : (int)rng(3000);
                pts[k][i].value = rng(20) ? (double)rng(1400) / 10.0 - 20 : NAN;
            }
            int first = rng(3) ? base - (int)rng(5) : (int)rng(3000) - 500;
            items[k] = series(rng(4) ? "Tech" : "", rng(2) ? "/t/" : NULL, pts[k], n, first,
                              first + (int)rng(40) - 5);
        }
        buf_t b = BUF_INIT;
        chart_adoption(&items[0], NULL, "r", &b, NULL);
        outside += paths_inside(buf_cstr(&b), 640, 300);
        outside += coords_outside(buf_cstr(&b), " x=\"", 0, 640);
        outside += coords_outside(buf_cstr(&b), " y=\"", 0, 300);
        outside += coords_outside(buf_cstr(&b), " cy=\"", 0, 300);
        labels_out += current_label_outside(buf_cstr(&b));
        buf_clear(&b);
        chart_spark(&items[1], "s", &b, NULL);
        outside += paths_inside(buf_cstr(&b), 120, 32);
        buf_clear(&b);
        chart_compare_lines(items, 1 + rng(8), NULL, "l", &b, NULL);
        outside += paths_inside(buf_cstr(&b), 640, 300);
        outside += coords_outside(buf_cstr(&b), " cx=\"", 0, 640);
        buf_clear(&b);
        chart_compare_bars(items, rng(9), NULL, "b", &b, NULL);
        outside += coords_outside(buf_cstr(&b), " x=\"", 0, 640);
        buf_free(&b);
    }
    CHECK_INT(outside, 0);
    CHECK_INT(labels_out, 0);
}

/* ---- goldens: tests/chart/<name>.svg.html, byte for byte ---- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    buf_t b = BUF_INIT;
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_put(&b, tmp, n);
    fclose(f);
    return buf_detach(&b);
}

/* Compares html with the golden file, found from tests/ (as ctest runs) or the repository
 * root; with CHART_UPDATE_GOLDEN=1 in the environment it rewrites the file instead. */
static void check_golden(const char *name, const char *html)
{
    static const char *const dirs[] = {"chart", "tests/chart"};
    char path[256];
    if (getenv("CHART_UPDATE_GOLDEN")) {
        for (size_t i = 0; i < COUNT(dirs); i++) {
            snprintf(path, sizeof path, "%s/%s", dirs[i], name);
            FILE *f = fopen(path, "wb");
            if (!f) continue;
            fputs(html, f);
            fclose(f);
            fprintf(stderr, "wrote %s\n", path);
            return;
        }
    }
    char *want = NULL;
    for (size_t i = 0; i < COUNT(dirs) && !want; i++) {
        snprintf(path, sizeof path, "%s/%s", dirs[i], name);
        want = slurp(path);
    }
    if (!want) {
        fprintf(stderr, "missing golden file %s\n", name);
        CHECK(want != NULL);
        return;
    }
    size_t i = 0;
    while (want[i] && want[i] == html[i])
        i++;
    if (want[i] != html[i])
        fprintf(stderr, "%s: differs at byte %zu: got \"%.60s\"\n", path, i, html + i);
    CHECK(strcmp(html, want) == 0);
    free(want);
}

static char *render(void (*fn)(buf_t *))
{
    buf_t b = BUF_INIT;
    fn(&b);
    return buf_detach(&b);
}

/* The example site's Lua page: a null year (2020) and a decimal. */
static void golden_adoption(buf_t *b)
{
    chart_point p[] = {{2018, 21}, {2019, 21}, {2021, 22}, {2022, 23.5},
                       {2023, 24}, {2024, 24}, {2025, 25}, {2026, 25}};
    chart_series s = series("Lua", "/tech/lua/", p, COUNT(p), 2018, 2026);
    chart_adoption(&s, "Lua adoption index", "adoption-lua", b, NULL);
}

static void golden_spark(buf_t *b)
{
    chart_point p[] = {{2018, 71}, {2019, 74}, {2020, 77}, {2022, 82},
                       {2023, 84}, {2024, 86}, {2025, 87}, {2026, 86}};
    chart_series s = series("Python", "/tech/python/", p, COUNT(p), 2018, 2026);
    chart_spark(&s, "spark-python", b, NULL);
}

static chart_point gp_py[] = {{2018, 71}, {2019, 74}, {2020, 77}, {2021, 80}, {2022, 82},
                              {2023, 84}, {2024, 86}, {2025, 87}, {2026, 88}};
static chart_point gp_go[] = {{2018, 52}, {2019, 56}, {2020, 60}, {2021, 63}, {2022, 66},
                              {2023, 69}, {2024, 71}, {2025, 73}, {2026, 74}};
static chart_point gp_lua[] = {{2018, 21}, {2019, 21}, {2021, 22}, {2022, 23},
                               {2023, 24}, {2024, 24}, {2025, 25}, {2026, 25}};
static chart_point gp_cob[] = {{2016, 30}, {2017, 34}, {2018, 31}, {2020, 26.5}, {2022, 24}};

static void golden_items(chart_series *items)
{
    items[0] = series("Python", "/tech/python/", gp_py, COUNT(gp_py), 2018, 2026);
    items[1] = series("Lua", "/tech/lua/", gp_lua, COUNT(gp_lua), 2018, 2026);
    items[2] = series("Go & <friends>", "/tech/go/", gp_go, COUNT(gp_go), 2018, 2026);
    items[3] = series("COBOL", NULL, gp_cob, COUNT(gp_cob), 2016, 2022);
    items[4] = series("Nothing yet", "/tech/none/", NULL, 0, 0, 0);
}

static void golden_bars(buf_t *b)
{
    chart_series items[5];
    golden_items(items);
    chart_compare_bars(items, COUNT(items), "Backend languages", "bars-backend", b, NULL);
}

static void golden_lines(buf_t *b)
{
    chart_series items[5];
    golden_items(items);
    chart_compare_lines(items, COUNT(items), "Backend languages", "lines-backend", b, NULL);
}

static void test_goldens(void)
{
    static const struct {
        const char *name;
        void (*fn)(buf_t *);
    } goldens[] = {
        {"adoption.svg.html", golden_adoption},
        {"spark.svg.html", golden_spark},
        {"bars.svg.html", golden_bars},
        {"lines.svg.html", golden_lines},
    };
    for (size_t i = 0; i < COUNT(goldens); i++) {
        char *html = render(goldens[i].fn);
        check_golden(goldens[i].name, html);
        free(html);
    }
}

int main(void)
{
    test_trend_words();
    test_trend_gaps_and_decimals();
    test_trend_bad_input();
    test_value_format();
    test_adoption_structure();
    test_narrow();
    test_adoption_title_default();
    test_adoption_gaps();
    test_adoption_year_labels();
    test_adoption_current_label();
    test_spark();
    test_bars();
    test_bars_long_labels();
    test_lines();
    test_escaping();
    test_ids_unique();
    test_empty();
    test_deterministic();
    test_random();
    test_goldens();
    return harness_done();
}
