/* chart.c — accessible inline SVG charts of adoption indexes, written as HTML fragments. */
#include "chart.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define NYEARS (CHART_YEAR_MAX - CHART_YEAR_MIN + 1)
#define EN_DASH "\xE2\x80\x93"
#define MINUS_SIGN "\xE2\x88\x92"
#define ELLIPSIS "\xE2\x80\xA6"
#define SVG_NS "http://www.w3.org/2000/svg"

/* Paint: custom properties with light-theme fallbacks (see chart.h). */
#define ST_TEXT "fill:var(--chart-text,currentColor)"
#define ST_GRID "stroke:var(--chart-grid,#d8dee4)"
#define ST_AXIS "stroke:var(--chart-text,currentColor)"
#define ST_LINE "fill:none;stroke:var(--chart-line,#1f4fd1)"
#define ST_AREA "fill:var(--chart-area,rgba(31,79,209,.12))"
#define ST_POINT "fill:var(--chart-line,#1f4fd1)"
#define ST_CURRENT "fill:var(--chart-current,#c2410c)"
#define ST_BAR "fill:var(--chart-line,#1f4fd1)"

static const char *const series_colour[CHART_SERIES_MAX] = {
    "#1f4fd1", "#c2410c", "#15803d", "#7c3aed", "#be185d", "#0e7490",
};
/* Dash patterns tell the compared lines apart without relying on colour. */
static const char *const series_dash[CHART_SERIES_MAX] = {
    NULL, "8 4", "2 4", "12 4 2 4", "4 4", "1 3",
};

/* The big charts share one 640x300 frame; the line charts are drawn a second time in a
 * 360-wide frame for phones (the stylesheet shows one of the two), so that their 12-unit
 * text stays about 12 px on a 390 px screen. The spark is 120x32. */
enum { W = 640, W_NARROW = 360, H = 300, SPARK_W = 120, SPARK_H = 32, LABEL_GAP = 48 };

/* A series cleaned up: values in tenths (0..1000) indexed by year, and the span shown. */
typedef struct norm {
    int count;       /* present points */
    int y0, y1;      /* span shown; meaningful when count > 0 */
    int first, last; /* years of the first and last present points */
    bool has[NYEARS];
    int val[NYEARS];
} norm;

/* Where a chart draws: x of the span's first and last year, y of 100 and of 0. */
typedef struct plot {
    int width;
    double left, right, top, bottom;
    double grid_left, grid_right;
    int y0, y1;
} plot;

/* ---- numbers and text ---- */

static int tenths_of(double v)
{
    if (v < 0) v = 0;
    if (v > CHART_VALUE_MAX) v = CHART_VALUE_MAX;
    return (int)lround(v * 10.0);
}

/* Tenths as a decimal with at most one decimal digit, by integer arithmetic. */
static void put_tenths(buf_t *o, long t)
{
    if (t < 0) {
        buf_putc(o, '-');
        t = -t;
    }
    buf_put_int(o, t / 10);
    if (t % 10) {
        buf_putc(o, '.');
        buf_put_int(o, t % 10);
    }
}

static void put_coord(buf_t *o, double x)
{
    put_tenths(o, lround(x * 10.0));
}

/* An axis label's number, and the end of its <text>. */
static void put_label_int(buf_t *o, int v)
{
    buf_put_int(o, v);
    buf_puts(o, "</text>\n");
}

void chart_value_format(double v, buf_t *out)
{
    put_tenths(out, isfinite(v) ? tenths_of(v) : 0);
}

static void put_esc(buf_t *o, const char *s)
{
    buf_put_html_escaped(o, s, strlen(s));
}

static const char *label_of(const chart_series *s)
{
    return s->label && *s->label ? s->label : "Untitled";
}

static const char *id_of(const char *id)
{
    return id && *id ? id : "chart";
}

/* Appends s escaped, cut to at most max code points with "…" when longer (spaces before the
 * "…" dropped). */
static void put_esc_short(buf_t *o, const char *s, int max)
{
    size_t len = strlen(s), cut = len;
    int cps = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80) continue;
        if (cps == max - 1 && cut == len) cut = i;
        cps++;
    }
    if (cps <= max) {
        cut = len;
    } else {
        while (cut > 0 && s[cut - 1] == ' ')
            cut--;
    }
    buf_put_html_escaped(o, s, cut);
    if (cut < len) buf_puts(o, ELLIPSIS);
}

/* ---- cleaning a series ---- */

static bool norm_has(const norm *nm, int year)
{
    return year >= CHART_YEAR_MIN && year <= CHART_YEAR_MAX && nm->has[year - CHART_YEAR_MIN];
}

static int norm_val(const norm *nm, int year)
{
    return nm->val[year - CHART_YEAR_MIN];
}

static void norm_build(const chart_series *s, norm *nm)
{
    memset(nm, 0, sizeof *nm);
    if (!s || !s->points) return;
    for (size_t i = 0; i < s->n; i++) {
        const chart_point *p = &s->points[i];
        if (p->year < CHART_YEAR_MIN || p->year > CHART_YEAR_MAX || !isfinite(p->value)) continue;
        nm->has[p->year - CHART_YEAR_MIN] = true;
        nm->val[p->year - CHART_YEAR_MIN] = tenths_of(p->value);
    }
    for (int y = CHART_YEAR_MIN; y <= CHART_YEAR_MAX; y++) {
        if (!norm_has(nm, y)) continue;
        if (nm->count++ == 0) nm->first = y;
        nm->last = y;
    }
    nm->y0 = nm->first;
    nm->y1 = nm->last;
    if (s->first_year >= CHART_YEAR_MIN && s->first_year <= s->last_year &&
        s->last_year <= CHART_YEAR_MAX) {
        if (s->first_year < nm->y0) nm->y0 = s->first_year;
        if (s->last_year > nm->y1) nm->y1 = s->last_year;
    }
}

/* The last year of the run of consecutive present years that starts at year. */
static int run_end(const norm *nm, int year)
{
    while (year < nm->y1 && norm_has(nm, year + 1))
        year++;
    return year;
}

/* ---- trend ---- */

static void trend_put(const norm *nm, buf_t *o)
{
    if (nm->count == 0) {
        buf_puts(o, "no data");
        return;
    }
    if (nm->count == 1) {
        buf_puts(o, "a single point");
        return;
    }
    int peak = -1, peak_year = nm->first;
    for (int y = nm->first; y <= nm->last; y++) {
        if (norm_has(nm, y) && norm_val(nm, y) >= peak) {
            peak = norm_val(nm, y);
            peak_year = y;
        }
    }
    int first = norm_val(nm, nm->first), latest = norm_val(nm, nm->last);
    if (latest < peak - 20 && peak_year != nm->first) {
        buf_printf(o, "declining since %d", peak_year);
        return;
    }
    int d = latest - first;
    if (d > 20 || d < -20) {
        buf_puts(o, d > 0 ? "+" : MINUS_SIGN);
        put_tenths(o, d > 0 ? d : -d);
        buf_printf(o, " since %d", nm->first);
    } else {
        buf_puts(o, "stable");
    }
}

void chart_trend(const chart_series *s, buf_t *out)
{
    norm *nm = xmalloc(sizeof *nm);
    norm_build(s, nm);
    trend_put(nm, out);
    free(nm);
}

/* "2018–2026", or "2026" for a one-year span. */
static void put_span(buf_t *o, int y0, int y1)
{
    if (y0 == y1)
        buf_printf(o, "%d", y0);
    else
        buf_printf(o, "%d" EN_DASH "%d", y0, y1);
}

/* "86/100 in 2026" for the latest present point. */
static void put_current(buf_t *o, const norm *nm)
{
    put_tenths(o, norm_val(nm, nm->last));
    buf_printf(o, "/100 in %d", nm->last);
}

/* Missing years inside the span as ranges: " No value for 2020." or " No values for …". */
static void put_gaps(buf_t *o, const norm *nm)
{
    int gaps = nm->y1 - nm->y0 + 1 - nm->count;
    if (gaps == 0) return;
    buf_puts(o, gaps == 1 ? " No value for " : " No values for ");
    bool first = true;
    for (int y = nm->y0; y <= nm->y1; y++) {
        if (norm_has(nm, y)) continue;
        int e = y;
        while (e < nm->y1 && !norm_has(nm, e + 1))
            e++;
        buf_puts(o, first ? "" : ", ");
        put_span(o, y, e);
        first = false;
        y = e;
    }
    buf_putc(o, '.');
}

/* ---- SVG pieces ---- */

static double plot_x(const plot *p, int year)
{
    if (p->y1 == p->y0) return (p->left + p->right) / 2;
    return p->left + (p->right - p->left) * (year - p->y0) / (p->y1 - p->y0);
}

static double plot_y(const plot *p, int tenths)
{
    return p->bottom - (p->bottom - p->top) * tenths / 1000.0;
}

static plot plot_main(int y0, int y1, int width)
{
    double left = width < W ? 48 : 60;
    plot p = {width, left, width - 28, 36, 252, left - 16, width - 12, y0, y1};
    return p;
}

/* Text sizes in user units: larger in the narrow frame, which a phone shows at about 1:1. */
static int axis_font(int width)
{
    return width < W ? 14 : 12;
}

/* The class and id of the wide or the narrow drawing of a chart. */
static const char *variant_class(bool narrow)
{
    return narrow ? "chart-svg chart-narrow" : "chart-svg chart-wide";
}

static void variant_id(buf_t *b, const char *id, bool narrow)
{
    buf_puts(b, id);
    if (narrow) buf_puts(b, "-n");
}

/* Notes in ids the id (or with link, the URL) str (taken) just written on tag, whose '>' ends
 * o. */
static void note(chart_ids *ids, const buf_t *o, const char *tag, bool link, char *str)
{
    if (ids->counted < o->len - 1) {
        ids->lines += (int)count_newlines(o->ptr + ids->counted, o->ptr + o->len - 1);
        ids->counted = o->len - 1;
    }
    xgrow(&ids->v, &ids->cap, ids->n + 1, sizeof *ids->v);
    ids->v[ids->n++] = (chart_id){str, tag, link, ids->lines};
}

/* Notes in ids (when not NULL) the id just written on tag, whose '>' ends o. */
static void note_id(chart_ids *ids, const buf_t *o, const char *tag, const char *id,
                    const char *suffix)
{
    if (ids) note(ids, o, tag, false, xasprintf("%s%s", id, suffix));
}

/* Opens <svg> (with width and height only when sized) with role="img", and writes its
 * <title> and, when desc is not NULL, its <desc>, both wired by aria-labelledby. */
static void put_svg_open(buf_t *o, const char *cls, int w, size_t h, bool sized, const char *id,
                         const char *title, const char *desc, chart_ids *ids)
{
    buf_printf(o, "<svg xmlns=\"" SVG_NS "\" class=\"%s\" viewBox=\"0 0 %d %zu\"", cls, w, h);
    if (sized) buf_printf(o, " width=\"%d\" height=\"%zu\"", w, h);
    buf_puts(o, " role=\"img\" aria-labelledby=\"");
    put_esc(o, id);
    buf_puts(o, "-title");
    if (desc) {
        buf_putc(o, ' ');
        put_esc(o, id);
        buf_puts(o, "-desc");
    }
    buf_puts(o, "\">\n<title id=\"");
    put_esc(o, id);
    buf_puts(o, "-title\">");
    note_id(ids, o, "title", id, "-title");
    put_esc(o, title);
    buf_puts(o, "</title>\n");
    if (!desc) return;
    buf_puts(o, "<desc id=\"");
    put_esc(o, id);
    buf_puts(o, "-desc\">");
    note_id(ids, o, "desc", id, "-desc");
    put_esc(o, desc);
    buf_puts(o, "</desc>\n");
}

/* One label every k years, k the smallest that keeps labels LABEL_GAP units apart. */
static int label_step(const plot *p)
{
    int years = p->y1 - p->y0;
    int k = 1;
    while (years > 0 && k < years && k * (p->right - p->left) < (double)LABEL_GAP * years)
        k++;
    return k;
}

static void put_hline(buf_t *o, const plot *p, double y, const char *attrs)
{
    buf_puts(o, "<line");
    buf_puts(o, attrs);
    buf_puts(o, " x1=\"");
    put_coord(o, p->grid_left);
    buf_puts(o, "\" y1=\"");
    put_coord(o, y);
    buf_puts(o, "\" x2=\"");
    put_coord(o, p->grid_right);
    buf_puts(o, "\" y2=\"");
    put_coord(o, y);
    buf_puts(o, "\"/>\n");
}

/* Gridlines at 25..100, the x axis at 0, y labels at 0, 25, 50, 75, 100 and year labels
 * (the latest year always labelled, then every label_step years back). */
static void put_axes(buf_t *o, const plot *p)
{
    buf_puts(o, "<g class=\"chart-grid\" style=\"" ST_GRID "\" stroke-width=\"1\">\n");
    for (int v = 25; v <= 100; v += 25)
        put_hline(o, p, plot_y(p, v * 10), "");
    buf_puts(o, "</g>\n");
    put_hline(o, p, p->bottom, " class=\"chart-axis\" style=\"" ST_AXIS "\" stroke-width=\"1\"");
    buf_printf(o, "<g class=\"chart-label\" style=\"" ST_TEXT "\" font-size=\"%d\">\n",
               axis_font(p->width));
    for (int v = 0; v <= 100; v += 25) {
        buf_puts(o, "<text x=\"");
        put_coord(o, p->grid_left - 6);
        buf_puts(o, "\" y=\"");
        put_coord(o, plot_y(p, v * 10) + 4);
        buf_puts(o, "\" text-anchor=\"end\">");
        put_label_int(o, v);
    }
    int step = label_step(p);
    for (int y = p->y0; y <= p->y1; y++) {
        if ((p->y1 - y) % step) continue;
        buf_puts(o, "<text x=\"");
        put_coord(o, plot_x(p, y));
        buf_puts(o, "\" y=\"");
        put_coord(o, p->bottom + 20);
        buf_puts(o, "\" text-anchor=\"middle\">");
        put_label_int(o, y);
    }
    buf_puts(o, "</g>\n");
}

static void put_xy(buf_t *o, const plot *p, int year, int tenths)
{
    put_coord(o, plot_x(p, year));
    buf_putc(o, ' ');
    put_coord(o, plot_y(p, tenths));
}

/* One <path> per run of consecutive present years (a run of one year is a dot with round
 * caps), so a gap breaks the line instead of dropping it to zero. */
static void put_lines(buf_t *o, const norm *nm, const plot *p, const char *attrs)
{
    for (int y = nm->y0; y <= nm->y1; y++) {
        if (!norm_has(nm, y)) continue;
        int e = run_end(nm, y);
        buf_puts(o, "<path");
        buf_puts(o, attrs);
        buf_puts(o, " d=\"M");
        for (int k = y; k <= e; k++) {
            if (k > y) buf_putc(o, 'L');
            put_xy(o, p, k, norm_val(nm, k));
        }
        buf_puts(o, "\"/>\n");
        y = e;
    }
}

/* The area under each run of two or more years, closed down to the 0 line. */
static void put_areas(buf_t *o, const norm *nm, const plot *p)
{
    for (int y = nm->y0; y <= nm->y1; y++) {
        if (!norm_has(nm, y)) continue;
        int e = run_end(nm, y);
        if (e > y) {
            buf_puts(o, "<path class=\"chart-area\" style=\"" ST_AREA "\" d=\"M");
            put_xy(o, p, y, 0);
            for (int k = y; k <= e; k++) {
                buf_putc(o, 'L');
                put_xy(o, p, k, norm_val(nm, k));
            }
            buf_putc(o, 'L');
            put_xy(o, p, e, 0);
            buf_puts(o, "Z\"/>\n");
        }
        y = e;
    }
}

static void put_circle(buf_t *o, const plot *p, int year, int tenths, const char *r,
                       const char *attrs)
{
    buf_puts(o, "<circle");
    buf_puts(o, attrs);
    buf_puts(o, " cx=\"");
    put_coord(o, plot_x(p, year));
    buf_puts(o, "\" cy=\"");
    put_coord(o, plot_y(p, tenths));
    buf_puts(o, "\" r=\"");
    buf_puts(o, r);
    buf_puts(o, "\"/>\n");
}

static void put_table_open(buf_t *o, const char *caption)
{
    buf_puts(o, "<details class=\"chart-data\"><summary>Data table</summary>\n<table>\n<caption>");
    put_esc(o, caption);
    buf_puts(o, "</caption>\n");
}

static void put_table_close(buf_t *o)
{
    buf_puts(o, "</tbody>\n</table>\n</details>\n");
}

/* A link when url is set (tabindex -1 for links inside an img-role SVG), else nothing;
 * noted in ids. */
static void put_link_open(buf_t *o, const char *url, bool in_svg, chart_ids *ids)
{
    if (!url) return;
    buf_puts(o, "<a href=\"");
    put_esc(o, url);
    buf_puts(o, in_svg ? "\" tabindex=\"-1\">" : "\">");
    if (ids) note(ids, o, "a", true, xstrdup(url));
}

static void put_link_close(buf_t *o, const char *url)
{
    if (url) buf_puts(o, "</a>");
}

/* ---- adoption chart ---- */

static int peak_year(const norm *nm)
{
    int peak = -1, year = nm->first;
    for (int y = nm->first; y <= nm->last; y++) {
        if (norm_has(nm, y) && norm_val(nm, y) >= peak) {
            peak = norm_val(nm, y);
            year = y;
        }
    }
    return year;
}

static void put_value_in(buf_t *o, const norm *nm, int year)
{
    put_tenths(o, norm_val(nm, year));
    buf_printf(o, " in %d", year);
}

/* The data in words: scale, span, first, latest and peak values, trend and gaps. */
static void adoption_desc(buf_t *d, const norm *nm, const char *name)
{
    buf_puts(d, name);
    buf_puts(d, ", on a scale of 0 to 100, ");
    if (nm->y0 == nm->y1)
        buf_printf(d, "in %d.", nm->y0);
    else
        buf_printf(d, "from %d to %d.", nm->y0, nm->y1);
    if (nm->count == 1) {
        buf_puts(d, " One value: ");
        put_value_in(d, nm, nm->last);
        buf_putc(d, '.');
    } else {
        buf_puts(d, " First value ");
        put_value_in(d, nm, nm->first);
        buf_puts(d, ", latest ");
        put_value_in(d, nm, nm->last);
        buf_puts(d, ", peak ");
        put_value_in(d, nm, peak_year(nm));
        buf_puts(d, ". Trend: ");
        trend_put(nm, d);
        buf_putc(d, '.');
    }
    put_gaps(d, nm);
}

/* "86/100 in 2026" beside the latest point, kept inside the viewBox: anchored at its end
 * near the right edge, at its start near the left edge, and below the point when the line
 * comes down into it (so the label does not sit on the line). */
static void put_current_label(buf_t *o, const norm *nm, const plot *p)
{
    buf_t text = BUF_INIT;
    put_current(&text, nm);
    double x = plot_x(p, nm->last), y = plot_y(p, norm_val(nm, nm->last));
    int font = axis_font(p->width) + 1;
    double half = (double)text.len * 0.58 * font / 2; /* ASCII only: ~0.58 em a glyph */
    const char *anchor = "middle";
    double tx = x;
    if (x + half > p->width - 4) {
        anchor = "end";
        tx = x + 4 > p->width - 4 ? p->width - 4 : x + 4;
    } else if (x - half < 4) {
        anchor = "start";
        tx = x - 4 < 4 ? 4 : x - 4;
    }
    int latest = norm_val(nm, nm->last);
    bool below = norm_has(nm, nm->last - 1) && norm_val(nm, nm->last - 1) > latest && latest >= 150;
    buf_puts(o, "<text class=\"chart-label chart-current-label\" style=\"" ST_TEXT "\" x=\"");
    put_coord(o, tx);
    buf_puts(o, "\" y=\"");
    put_coord(o, below ? y + 24 : y - 12);
    buf_printf(o, "\" text-anchor=\"%s\" font-size=\"%d\" font-weight=\"600\">", anchor, font);
    buf_put(o, text.ptr, text.len);
    buf_puts(o, "</text>\n");
    buf_free(&text);
}

static void adoption_svg(buf_t *o, const norm *nm, const char *id, const char *title,
                         const char *desc, bool narrow, chart_ids *ids)
{
    plot p = plot_main(nm->y0, nm->y1, narrow ? W_NARROW : W);
    buf_t vid = BUF_INIT;
    variant_id(&vid, id, narrow);
    put_svg_open(o, variant_class(narrow), p.width, H, false, buf_cstr(&vid), title, desc, ids);
    buf_free(&vid);
    put_axes(o, &p);
    put_areas(o, nm, &p);
    put_lines(o, nm, &p,
              " class=\"chart-line\" style=\"" ST_LINE "\" stroke-width=\"2.5\""
              " stroke-linejoin=\"round\" stroke-linecap=\"round\"");
    buf_puts(o, "<g style=\"" ST_POINT "\">\n");
    for (int y = nm->y0; y <= nm->y1; y++) {
        if (!norm_has(nm, y)) continue;
        if (y == nm->last)
            put_circle(o, &p, y, norm_val(nm, y), "6",
                       " class=\"chart-point chart-current\" style=\"" ST_CURRENT "\"");
        else
            put_circle(o, &p, y, norm_val(nm, y), "3.5", " class=\"chart-point\"");
    }
    buf_puts(o, "</g>\n");
    put_current_label(o, nm, &p);
    buf_puts(o, "</svg>\n");
}

static void adoption_table(buf_t *o, const norm *nm, const char *caption)
{
    put_table_open(o, caption);
    buf_puts(o, "<thead><tr><th scope=\"col\">Year</th><th scope=\"col\">Value (0" EN_DASH
                "100)</th></tr></thead>\n<tbody>\n");
    for (int y = nm->y0; y <= nm->y1; y++) {
        if (!norm_has(nm, y)) continue;
        buf_printf(o, "<tr><th scope=\"row\">%d</th><td>", y);
        put_tenths(o, norm_val(nm, y));
        buf_puts(o, "</td></tr>\n");
    }
    put_table_close(o);
}

void chart_adoption(const chart_series *s, const char *title, const char *id, buf_t *out,
                    chart_ids *ids)
{
    norm *nm = xmalloc(sizeof *nm);
    norm_build(s, nm);
    if (nm->count == 0) {
        free(nm);
        return;
    }
    buf_t name = BUF_INIT, full = BUF_INIT, desc = BUF_INIT;
    if (title && *title)
        buf_puts(&name, title);
    else
        buf_printf(&name, "%s adoption index", label_of(s));
    buf_printf(&full, "%s, ", buf_cstr(&name));
    put_span(&full, nm->y0, nm->y1);
    adoption_desc(&desc, nm, buf_cstr(&name));

    buf_puts(out, "<figure class=\"chart chart-adoption\">\n");
    adoption_svg(out, nm, id_of(id), buf_cstr(&full), buf_cstr(&desc), false, ids);
    adoption_svg(out, nm, id_of(id), buf_cstr(&full), buf_cstr(&desc), true, ids);
    adoption_table(out, nm, buf_cstr(&full));
    buf_puts(out, "<figcaption><span class=\"chart-value\">");
    put_current(out, nm);
    buf_puts(out, "</span>, <span class=\"chart-trend\">");
    trend_put(nm, out);
    buf_puts(out, "</span></figcaption>\n</figure>\n");
    buf_free(&name);
    buf_free(&full);
    buf_free(&desc);
    free(nm);
}

void chart_ids_free(chart_ids *ids)
{
    for (size_t i = 0; i < ids->n; i++) free(ids->v[i].str);
    free(ids->v);
    *ids = (chart_ids){0};
}

/* ---- sparkline ---- */

void chart_spark(const chart_series *s, const char *id, buf_t *out, chart_ids *ids)
{
    norm *nm = xmalloc(sizeof *nm);
    norm_build(s, nm);
    if (nm->count == 0) {
        free(nm);
        return;
    }
    buf_t title = BUF_INIT;
    buf_printf(&title, "%s adoption ", label_of(s));
    put_span(&title, nm->y0, nm->y1);
    buf_puts(&title, ": ");
    put_current(&title, nm);
    plot p = {SPARK_W, 4, 116, 4, 28, 0, SPARK_W, nm->y0, nm->y1};
    put_svg_open(out, "chart chart-spark", SPARK_W, SPARK_H, true, id_of(id), buf_cstr(&title),
                 NULL, ids);
    put_lines(out, nm, &p,
              " class=\"chart-line\" style=\"" ST_LINE "\" stroke-width=\"1.5\""
              " stroke-linejoin=\"round\" stroke-linecap=\"round\"");
    put_circle(out, &p, nm->last, norm_val(nm, nm->last), "2.5",
               " class=\"chart-current\" style=\"" ST_CURRENT "\"");
    buf_puts(out, "</svg>\n");
    buf_free(&title);
    free(nm);
}

/* ---- compared bars ---- */

typedef struct bar {
    const chart_series *s;
    size_t idx;
    int val, year;
} bar;

enum { BAR_X = 168, BAR_TOP = 10, BAR_ROW = 30, BAR_LABEL_MAX = 22 };

static int bar_cmp(const void *a, const void *b)
{
    const bar *x = a, *y = b;
    if (x->val != y->val) return x->val > y->val ? -1 : 1;
    int c = strcmp(label_of(x->s), label_of(y->s));
    if (c) return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The latest value of every item that has one, sorted; caller frees. */
static bar *bars_collect(const chart_series *items, size_t n, size_t *nb)
{
    if (!items) n = 0;
    bar *bars = xcalloc(n ? n : 1, sizeof *bars);
    norm *nm = xmalloc(sizeof *nm);
    *nb = 0;
    for (size_t i = 0; i < n; i++) {
        norm_build(&items[i], nm);
        if (nm->count == 0) continue;
        bar b = {&items[i], i, norm_val(nm, nm->last), nm->last};
        bars[(*nb)++] = b;
    }
    free(nm);
    qsort(bars, *nb, sizeof *bars, bar_cmp);
    return bars;
}

static void bars_desc(buf_t *d, const bar *bars, size_t nb)
{
    buf_puts(d, "Latest value of each, on a scale of 0 to 100, highest first: ");
    for (size_t i = 0; i < nb; i++) {
        buf_puts(d, i ? "; " : "");
        buf_puts(d, label_of(bars[i].s));
        buf_putc(d, ' ');
        put_tenths(d, bars[i].val);
        buf_printf(d, " in %d", bars[i].year);
    }
    buf_putc(d, '.');
}

/* Where bars start and how many units a point of value takes, in the wide or narrow frame. */
typedef struct bar_frame {
    int width, x, label_max;
    double unit;
} bar_frame;

static bar_frame bar_frame_of(bool narrow)
{
    if (narrow) return (bar_frame){W_NARROW, 128, 14, 1.86};
    return (bar_frame){W, BAR_X, BAR_LABEL_MAX, 4};
}

static void bars_scale(buf_t *o, size_t nb, const bar_frame *f)
{
    double bottom = BAR_TOP + (double)nb * BAR_ROW;
    buf_puts(o, "<g class=\"chart-grid\" style=\"" ST_GRID "\" stroke-width=\"1\">\n");
    for (int v = 0; v <= 100; v += 25) {
        buf_puts(o, "<line x1=\"");
        put_coord(o, f->x + v * f->unit);
        buf_puts(o, "\" y1=\"");
        buf_put_int(o, BAR_TOP - 4);
        buf_puts(o, "\" x2=\"");
        put_coord(o, f->x + v * f->unit);
        buf_puts(o, "\" y2=\"");
        put_coord(o, bottom);
        buf_puts(o, "\"/>\n");
    }
    buf_printf(o, "</g>\n<g class=\"chart-label\" style=\"" ST_TEXT "\" font-size=\"%d\">\n",
               axis_font(f->width));
    for (int v = 0; v <= 100; v += 25) {
        buf_puts(o, "<text x=\"");
        put_coord(o, f->x + v * f->unit);
        buf_puts(o, "\" y=\"");
        put_coord(o, bottom + 18);
        buf_puts(o, "\" text-anchor=\"middle\">");
        put_label_int(o, v);
    }
}

static void bars_row(buf_t *o, const bar *b, size_t i, const bar_frame *f, chart_ids *ids)
{
    double cy = BAR_TOP + (double)i * BAR_ROW + BAR_ROW / 2.0, w = b->val * f->unit / 10;
    put_link_open(o, b->s->url, true, ids);
    buf_puts(o, "<text x=\"");
    buf_put_int(o, f->x - 8);
    buf_puts(o, "\" y=\"");
    put_coord(o, cy + 4);
    buf_puts(o, "\" text-anchor=\"end\">");
    put_esc_short(o, label_of(b->s), f->label_max);
    buf_puts(o, "</text><rect class=\"chart-bar\" style=\"" ST_BAR "\" x=\"");
    buf_put_int(o, f->x);
    buf_puts(o, "\" y=\"");
    put_coord(o, cy - 9);
    buf_puts(o, "\" width=\"");
    put_coord(o, w);
    buf_puts(o, "\" height=\"18\" rx=\"2\"/>");
    put_link_close(o, b->s->url);
    buf_puts(o, "\n<text class=\"chart-value\" x=\"");
    put_coord(o, f->x + w + 6);
    buf_puts(o, "\" y=\"");
    put_coord(o, cy + 4);
    buf_puts(o, "\">");
    put_tenths(o, b->val);
    buf_puts(o, "</text>\n");
}

static void bars_table(buf_t *o, const bar *bars, size_t nb, const char *caption,
                       chart_ids *ids)
{
    put_table_open(o, caption);
    buf_puts(o, "<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Latest value (0" EN_DASH
                "100)</th><th scope=\"col\">Year</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < nb; i++) {
        buf_puts(o, "<tr><th scope=\"row\">");
        put_link_open(o, bars[i].s->url, false, ids);
        put_esc(o, label_of(bars[i].s));
        put_link_close(o, bars[i].s->url);
        buf_puts(o, "</th><td>");
        put_tenths(o, bars[i].val);
        buf_printf(o, "</td><td>%d</td></tr>\n", bars[i].year);
    }
    put_table_close(o);
}

void chart_compare_bars(const chart_series *items, size_t n, const char *title, const char *id,
                        buf_t *out, chart_ids *ids)
{
    size_t nb;
    bar *bars = bars_collect(items, n, &nb);
    if (nb == 0) {
        free(bars);
        return;
    }
    const char *name = title && *title ? title : "Adoption index compared";
    buf_t desc = BUF_INIT;
    bars_desc(&desc, bars, nb);
    buf_puts(out, "<figure class=\"chart chart-bars\">\n");
    buf_t vid = BUF_INIT;
    for (int narrow = 0; narrow < 2; narrow++) {
        bar_frame f = bar_frame_of(narrow);
        buf_clear(&vid);
        variant_id(&vid, id_of(id), narrow);
        put_svg_open(out, variant_class(narrow), f.width, BAR_TOP + nb * BAR_ROW + 26, false,
                     buf_cstr(&vid), name, buf_cstr(&desc), ids);
        bars_scale(out, nb, &f);
        for (size_t i = 0; i < nb; i++)
            bars_row(out, &bars[i], i, &f, ids);
        buf_puts(out, "</g>\n</svg>\n");
    }
    buf_free(&vid);
    bars_table(out, bars, nb, name, ids);
    buf_puts(out, "</figure>\n");
    buf_free(&desc);
    free(bars);
}

/* ---- compared lines ---- */

typedef struct lineset {
    const chart_series *src[CHART_SERIES_MAX];
    norm nm[CHART_SERIES_MAX];
    size_t kept, nonempty; /* series drawn; items with a present point */
    int y0, y1;            /* the union of the spans */
} lineset;

static void lineset_build(lineset *ls, const chart_series *items, size_t n)
{
    norm *scratch = xmalloc(sizeof *scratch);
    memset(ls, 0, sizeof *ls);
    for (size_t i = 0; items && i < n; i++) {
        norm *nm = ls->kept < CHART_SERIES_MAX ? &ls->nm[ls->kept] : scratch;
        norm_build(&items[i], nm);
        if (nm->count == 0) continue;
        ls->nonempty++;
        if (nm == scratch) continue;
        if (ls->kept == 0 || nm->y0 < ls->y0) ls->y0 = nm->y0;
        if (ls->kept == 0 || nm->y1 > ls->y1) ls->y1 = nm->y1;
        ls->src[ls->kept++] = &items[i];
    }
    free(scratch);
}

/* The stroke of series k (0-based): colour variable with fallback, and its dash pattern. */
static void put_series_stroke(buf_t *o, size_t k)
{
    buf_printf(o, " style=\"fill:none;stroke:var(--chart-series-%zu,%s)\" stroke-width=\"2.5\"",
               k + 1, series_colour[k]);
    if (series_dash[k]) buf_printf(o, " stroke-dasharray=\"%s\"", series_dash[k]);
}

static void lines_desc(buf_t *d, const lineset *ls, const char *name)
{
    buf_printf(d, "%s, on a scale of 0 to 100, ", name);
    if (ls->y0 == ls->y1)
        buf_printf(d, "in %d.", ls->y0);
    else
        buf_printf(d, "from %d to %d.", ls->y0, ls->y1);
    for (size_t k = 0; k < ls->kept; k++) {
        const norm *nm = &ls->nm[k];
        buf_printf(d, " %s: ", label_of(ls->src[k]));
        put_value_in(d, nm, nm->first);
        if (nm->count == 1) {
            buf_puts(d, " only.");
            continue;
        }
        buf_puts(d, " to ");
        put_value_in(d, nm, nm->last);
        buf_puts(d, ", ");
        trend_put(nm, d);
        buf_putc(d, '.');
    }
}

static void lines_svg(buf_t *o, const lineset *ls, const char *id, const char *title,
                      const char *desc, bool narrow, chart_ids *ids)
{
    plot p = plot_main(ls->y0, ls->y1, narrow ? W_NARROW : W);
    buf_t attrs = BUF_INIT;
    variant_id(&attrs, id, narrow);
    put_svg_open(o, variant_class(narrow), p.width, H, false, buf_cstr(&attrs), title, desc, ids);
    put_axes(o, &p);
    for (size_t k = 0; k < ls->kept; k++) {
        const norm *nm = &ls->nm[k];
        buf_clear(&attrs);
        buf_printf(&attrs, " class=\"chart-line series-%zu\"", k + 1);
        put_series_stroke(&attrs, k);
        buf_puts(&attrs, " stroke-linejoin=\"round\" stroke-linecap=\"round\"");
        put_lines(o, nm, &p, buf_cstr(&attrs));
        buf_clear(&attrs);
        buf_printf(&attrs,
                   " class=\"chart-point series-%zu\" style=\"fill:var(--chart-series-%zu,%s)\"",
                   k + 1, k + 1, series_colour[k]);
        for (int y = nm->y0; y <= nm->y1; y++)
            if (norm_has(nm, y)) put_circle(o, &p, y, norm_val(nm, y), "3", buf_cstr(&attrs));
    }
    buf_puts(o, "</svg>\n");
    buf_free(&attrs);
}

/* The legend: a swatch drawn like the line (colour and dash), then the label or its link. */
static void lines_legend(buf_t *o, const lineset *ls, chart_ids *ids)
{
    buf_puts(o, "<ul class=\"chart-legend\">\n");
    for (size_t k = 0; k < ls->kept; k++) {
        buf_printf(o,
                   "<li class=\"series-%zu\"><svg xmlns=\"" SVG_NS "\" class=\"chart-swatch\""
                   " width=\"24\" height=\"10\" viewBox=\"0 0 24 10\" aria-hidden=\"true\""
                   " focusable=\"false\"><line x1=\"2\" y1=\"5\" x2=\"22\" y2=\"5\"",
                   k + 1);
        put_series_stroke(o, k);
        buf_puts(o, "/></svg> ");
        put_link_open(o, ls->src[k]->url, false, ids);
        put_esc(o, label_of(ls->src[k]));
        put_link_close(o, ls->src[k]->url);
        buf_puts(o, "</li>\n");
    }
    buf_puts(o, "</ul>\n");
}

/* A row per year in which any series has a value, a column per series. */
static void lines_table(buf_t *o, const lineset *ls, const char *caption)
{
    put_table_open(o, caption);
    buf_puts(o, "<thead><tr><th scope=\"col\">Year</th>");
    for (size_t k = 0; k < ls->kept; k++) {
        buf_puts(o, "<th scope=\"col\">");
        put_esc(o, label_of(ls->src[k]));
        buf_puts(o, "</th>");
    }
    buf_puts(o, "</tr></thead>\n<tbody>\n");
    for (int y = ls->y0; y <= ls->y1; y++) {
        bool any = false;
        for (size_t k = 0; k < ls->kept; k++)
            any = any || norm_has(&ls->nm[k], y);
        if (!any) continue;
        buf_printf(o, "<tr><th scope=\"row\">%d</th>", y);
        for (size_t k = 0; k < ls->kept; k++) {
            if (!norm_has(&ls->nm[k], y)) {
                buf_puts(o, "<td>no data</td>");
                continue;
            }
            buf_puts(o, "<td>");
            put_tenths(o, norm_val(&ls->nm[k], y));
            buf_puts(o, "</td>");
        }
        buf_puts(o, "</tr>\n");
    }
    put_table_close(o);
}

void chart_compare_lines(const chart_series *items, size_t n, const char *title, const char *id,
                         buf_t *out, chart_ids *ids)
{
    lineset *ls = xmalloc(sizeof *ls);
    lineset_build(ls, items, n);
    if (ls->kept == 0) {
        free(ls);
        return;
    }
    const char *name = title && *title ? title : "Adoption index compared";
    buf_t full = BUF_INIT, desc = BUF_INIT;
    buf_printf(&full, "%s, ", name);
    put_span(&full, ls->y0, ls->y1);
    lines_desc(&desc, ls, name);
    buf_puts(out, "<figure class=\"chart chart-lines\">\n");
    lines_svg(out, ls, id_of(id), buf_cstr(&full), buf_cstr(&desc), false, ids);
    lines_svg(out, ls, id_of(id), buf_cstr(&full), buf_cstr(&desc), true, ids);
    lines_legend(out, ls, ids);
    lines_table(out, ls, buf_cstr(&full));
    if (ls->nonempty > ls->kept)
        buf_printf(out, "<figcaption>Showing the first %zu of %zu series.</figcaption>\n", ls->kept,
                   ls->nonempty);
    buf_puts(out, "</figure>\n");
    buf_free(&full);
    buf_free(&desc);
    free(ls);
}
