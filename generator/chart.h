/* chart.h — accessible inline SVG charts of adoption indexes, written as HTML fragments. */
#ifndef REFPRESS_CHART_H
#define REFPRESS_CHART_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The years and values an adoption index may hold. */
#define CHART_YEAR_MIN 1900
#define CHART_YEAR_MAX 2100
#define CHART_VALUE_MAX 100
/* chart_compare_lines draws at most this many series. */
#define CHART_SERIES_MAX 6

/* One present (non-null) value of a series. */
typedef struct chart_point {
    int year;
    double value;
} chart_point;

/* One adoption index. Everything is borrowed: the chart functions only read it.
 *
 * The caller is expected to pass points sorted by year, ascending, without duplicates, with
 * years in CHART_YEAR_MIN..CHART_YEAR_MAX and values in 0..100. The functions never crash on
 * anything else: a point whose year is out of range or whose value is not finite is ignored
 * (treated as a gap), values are clamped to 0..100, the last of several points for one year
 * wins, and unsorted points are sorted. Values are drawn and printed rounded to one decimal.
 *
 * first_year..last_year is the span the author wrote: a year inside it without a point is a
 * gap (the line breaks there, it never drops to zero). The span shown is widened to cover
 * every point; when first_year..last_year is not a valid range inside the year limits (for
 * example both 0), the span of the points is used instead. */
typedef struct chart_series {
    const char *label;         /* "Python"; NULL or "" reads "Untitled" */
    const char *url;           /* link target for bars and legend entries; may be NULL */
    const chart_point *points; /* present points only; may be NULL when n is 0 */
    size_t n;
    int first_year, last_year;
} chart_series;

/* Appends the trend of s in words (plain UTF-8 text without HTML special characters).
 * The rule, over the present points:
 *   - no point: "no data"; one point: "a single point";
 *   - peak = the largest value (the latest year among equal values);
 *   - if latest < peak - 2 and the peak is not the first point: "declining since <peak year>";
 *   - else d = latest - first: d > 2 gives "+<d> since <first year>", d < -2 gives
 *     "−<|d|> since <first year>" (U+2212 MINUS SIGN), anything else "stable".
 * "first" and "latest" are the first and last present points, not the ends of the span.
 * Values are rounded to one decimal before comparing, and d is printed with at most one
 * decimal and no trailing ".0": "+12 since 2020", "+2.5 since 2021", "−4 since 2018". */
void chart_trend(const chart_series *s, buf_t *out);

/* Appends v (clamped to 0..100) rounded to one decimal, without a trailing ".0": "86", "86.5".
 * The same formatting every chart uses for values; never depends on the locale. */
void chart_value_format(double v, buf_t *out);

/* Every chart function below appends an HTML fragment to out and writes nothing at all when
 * there is no present point to draw, so templates can call them unconditionally.
 *
 * id is a prefix unique within the page: every id="..." a chart writes starts with it
 * ("<id>-title", "<id>-desc"), so several charts on one page never clash. NULL means "chart".
 * All text (labels, titles, URLs, id) is HTML-escaped.
 *
 * Paint comes from CSS custom properties with light-theme fallbacks, set in style attributes,
 * so a stylesheet can restyle charts for dark mode: --chart-text (all text, default
 * currentColor), --chart-grid (gridlines), --chart-line (line, points, bars), --chart-area
 * (the translucent fill under the line: give it an alpha), --chart-current (the latest
 * point), --chart-series-1 .. --chart-series-6 (compared lines). Elements also carry classes:
 * chart-grid, chart-axis, chart-line, chart-area, chart-point, chart-current, chart-label,
 * chart-bar, series-1 .. series-6. SVGs carry a viewBox and no width or height (except the
 * sparkline), so they scale with CSS width:100%. The adoption, bar and line charts are drawn
 * twice: class "chart-svg chart-wide" (640 units wide) and "chart-svg chart-narrow" (360
 * wide, ids "<id>-n-…"), so that their text stays legible on a phone; the stylesheet shows
 * one of them (display:none takes the other out of the accessibility tree too). Output is deterministic: coordinates are
 * printed with at most one decimal by integer formatting, never by the C locale.
 * Golden examples of each chart: the .svg.html files in tests/chart/. */

/* The links and ids a chart wrote, for a link check that does not parse the chart again:
 * each with the element holding it and the number of newlines the chart wrote before that
 * element's '>'. Start from a zeroed chart_ids for each chart; free with chart_ids_free(). */
typedef struct chart_id {
    char *str;       /* the id, or the link's URL (as an HTML parser reads the attribute) */
    const char *tag; /* "title" or "desc" for an id; "a" for a link (<a href>) */
    bool link;
    int line;
} chart_id;
typedef struct chart_ids {
    chart_id *v;
    size_t n, cap;
    size_t counted; /* private: newlines of out counted up to here */
    int lines;
} chart_ids;
void chart_ids_free(chart_ids *ids);

/* The adoption chart of one page: <figure class="chart chart-adoption"> holding an <svg>
 * (role="img", <title> "<title>, 2018–2026", <desc> with the data in words; y axis 0–100 with
 * gridlines; one label per year, thinned to one every ~48 units when there are many; the line
 * and the area under it, broken at gaps; a circle per present point, the latest one larger
 * and labelled "86/100 in 2026"), a <details> data table (one row per present point), and a
 * <figcaption> with the current value and the trend. title NULL or "" gives
 * "<label> adoption index". ids (may be NULL) gets its ids; out must be empty when it is
 * given. */
void chart_adoption(const chart_series *s, const char *title, const char *id, buf_t *out,
                    chart_ids *ids);

/* A 120x32 sparkline for cards: an <svg class="chart chart-spark"> with role="img" and a
 * <title> "Python adoption 2018–2026: 86/100 in 2026", the line broken at gaps and a dot on
 * the latest point. The y scale is always 0..100 so cards compare honestly. ids as for
 * chart_adoption. */
void chart_spark(const chart_series *s, const char *id, buf_t *out, chart_ids *ids);

/* Horizontal bars of the latest value of each item, highest first (equal values by label, then
 * by input order): <figure class="chart chart-bars"> with an <svg> (role="img", title, desc),
 * each bar labelled with its label and value, and a <details> data table. Items without a
 * present point are left out. When an item has a url, its bar and label are a link; those SVG
 * links have tabindex="-1" because an img role hides them from assistive technology, so the
 * same links are also in the data table, where keyboard and screen-reader users reach them.
 * title NULL or "" gives "Adoption index compared". Labels longer than 22 characters are
 * shortened with "…" inside the SVG (never in the table). ids as for chart_adoption, links
 * included. */
void chart_compare_bars(const chart_series *items, size_t n, const char *title, const char *id,
                        buf_t *out, chart_ids *ids);

/* Up to CHART_SERIES_MAX lines over the union of the items' spans: <figure class="chart
 * chart-lines"> with an <svg> (role="img", title, desc naming each series and its trend), one
 * line per series broken at its gaps, coloured by class series-1 .. series-6 and also told
 * apart by dash pattern, an HTML legend list (linked labels when url is set), and a <details>
 * data table (a row per year that has any value, a column per series). Items without a present
 * point are skipped; of the rest only the first CHART_SERIES_MAX are drawn, and a <figcaption>
 * then says "Showing the first 6 of N series.". title NULL or "" gives "Adoption index
 * compared"; the <title> adds the span: "Backend languages, 2016–2026". ids as for
 * chart_compare_bars. */
void chart_compare_lines(const chart_series *items, size_t n, const char *title, const char *id,
                         buf_t *out, chart_ids *ids);

#endif
