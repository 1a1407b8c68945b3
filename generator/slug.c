/* slug.c — GitHub-style heading ids, path slugs, and the set that keeps heading ids unique. */
#include "slug.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

#define BAD_CP UINT32_MAX /* what utf8_next returns for a malformed byte */

/* GitHub (html-pipeline's TableOfContentsFilter) keeps only \p{Word} (Alphabetic, Mark,
 * Decimal_Number, Connector_Punctuation), '-' and ' '. Without a Unicode library we list the
 * non-ASCII code points that are NOT \p{Word} in the blocks where headings meet punctuation and
 * symbols: Latin-1 to Arabic, Devanagari, Thai, U+2000..U+2BFF (punctuation, currency, letterlike,
 * arrows, maths, technical, boxes, shapes, dingbats), supplemental and CJK punctuation and symbols,
 * kana, Yijing and Yi radicals, presentation/vertical/small/full-width forms, specials (BOM,
 * U+FFFD), the emoji planes U+1F000..U+1FAFF and the tag characters of flag sequences.
 * Everything else outside ASCII counts as a word character. Derived from the Unicode 16
 * property tables with /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}]/u; sorted, disjoint. GitHub's own
 * output for every general category (github-slugger's test/fixtures.json, fetched from github.com)
 * agrees with this rule, including full Unicode lower-casing. */
typedef struct cp_range {
    uint32_t lo, hi;
} cp_range;

/* clang-format off */
static const cp_range nonword[] = {
    {0x0080, 0x00A9}, {0x00AB, 0x00B4}, {0x00B6, 0x00B9}, {0x00BB, 0x00BF},
    {0x00D7, 0x00D7}, {0x00F7, 0x00F7}, {0x02C2, 0x02C5}, {0x02D2, 0x02DF},
    {0x02E5, 0x02EB}, {0x02ED, 0x02ED}, {0x02EF, 0x02FF}, {0x0375, 0x0375},
    {0x0378, 0x0379}, {0x037E, 0x037E}, {0x0380, 0x0385}, {0x0387, 0x0387},
    {0x038B, 0x038B}, {0x038D, 0x038D}, {0x03A2, 0x03A2}, {0x03F6, 0x03F6},
    {0x0482, 0x0482}, {0x0530, 0x0530}, {0x0557, 0x0558}, {0x055A, 0x055F},
    {0x0589, 0x0590}, {0x05BE, 0x05BE}, {0x05C0, 0x05C0}, {0x05C3, 0x05C3},
    {0x05C6, 0x05C6}, {0x05C8, 0x05CF}, {0x05EB, 0x05EE}, {0x05F3, 0x060F},
    {0x061B, 0x061F}, {0x066A, 0x066D}, {0x06D4, 0x06D4}, {0x06DD, 0x06DE},
    {0x06E9, 0x06E9}, {0x06FD, 0x06FE}, {0x0964, 0x0965}, {0x0970, 0x0970},
    {0x0E00, 0x0E00}, {0x0E3B, 0x0E3F}, {0x0E4F, 0x0E4F}, {0x0E5A, 0x0E7F},
    {0x2000, 0x203E}, {0x2041, 0x2053}, {0x2055, 0x2070}, {0x2072, 0x207E},
    {0x2080, 0x208F}, {0x209D, 0x20CF}, {0x20F1, 0x2101}, {0x2103, 0x2106},
    {0x2108, 0x2109}, {0x2114, 0x2114}, {0x2116, 0x2118}, {0x211E, 0x2123},
    {0x2125, 0x2125}, {0x2127, 0x2127}, {0x2129, 0x2129}, {0x212E, 0x212E},
    {0x213A, 0x213B}, {0x2140, 0x2144}, {0x214A, 0x214D}, {0x214F, 0x215F},
    {0x2189, 0x24B5}, {0x24EA, 0x2BFF}, {0x2E00, 0x2E2E}, {0x2E30, 0x3004},
    {0x3008, 0x3020}, {0x3030, 0x3030}, {0x3036, 0x3037}, {0x303D, 0x3040},
    {0x3097, 0x3098}, {0x309B, 0x309C}, {0x30A0, 0x30A0}, {0x30FB, 0x30FB},
    {0x3100, 0x3104}, {0x3130, 0x3130}, {0x318F, 0x319F}, {0x31C0, 0x31EF},
    {0x3200, 0x33FF}, {0x4DC0, 0x4DFF}, {0xA490, 0xA4CF}, {0xFB07, 0xFB12},
    {0xFB18, 0xFB1C}, {0xFB29, 0xFB29}, {0xFB37, 0xFB37}, {0xFB3D, 0xFB3D},
    {0xFB3F, 0xFB3F}, {0xFB42, 0xFB42}, {0xFB45, 0xFB45}, {0xFBB2, 0xFBD2},
    {0xFD3E, 0xFD4F}, {0xFD90, 0xFD91}, {0xFDC8, 0xFDEF}, {0xFDFC, 0xFDFF},
    {0xFE10, 0xFE1F}, {0xFE30, 0xFE32}, {0xFE35, 0xFE4C}, {0xFE50, 0xFE6F},
    {0xFE75, 0xFE75}, {0xFEFD, 0xFF0F}, {0xFF1A, 0xFF20}, {0xFF3B, 0xFF3E},
    {0xFF40, 0xFF40}, {0xFF5B, 0xFF65}, {0xFFBF, 0xFFC1}, {0xFFC8, 0xFFC9},
    {0xFFD0, 0xFFD1}, {0xFFD8, 0xFFD9}, {0xFFDD, 0xFFFF}, {0x1F000, 0x1F12F},
    {0x1F14A, 0x1F14F}, {0x1F16A, 0x1F16F}, {0x1F18A, 0x1FAFF}, {0xE0000, 0xE007F},
};
/* clang-format on */

/* Unicode lower-case mapping (UnicodeData simple mappings, which equal the full mappings except
 * U+0130, handled in code), as runs: every stride-th code point from lo to hi maps to cp + delta.
 * Ruby's String#downcase, which GitHub uses, is context-free, so a per-code-point table is
 * exact. Sorted, disjoint. */
typedef struct case_run {
    uint32_t lo, hi;
    uint32_t stride;
    int32_t delta;
} case_run;

/* clang-format off */
static const case_run lower_runs[] = {
    {0x00C0, 0x00D6, 1, 32}, {0x00D8, 0x00DE, 1, 32}, {0x0100, 0x012E, 2, 1},
    {0x0132, 0x0136, 2, 1}, {0x0139, 0x0147, 2, 1}, {0x014A, 0x0176, 2, 1},
    {0x0178, 0x0178, 1, -121}, {0x0179, 0x017D, 2, 1}, {0x0181, 0x0181, 1, 210},
    {0x0182, 0x0184, 2, 1}, {0x0186, 0x0186, 1, 206}, {0x0187, 0x0187, 1, 1},
    {0x0189, 0x018A, 1, 205}, {0x018B, 0x018B, 1, 1}, {0x018E, 0x018E, 1, 79},
    {0x018F, 0x018F, 1, 202}, {0x0190, 0x0190, 1, 203}, {0x0191, 0x0191, 1, 1},
    {0x0193, 0x0193, 1, 205}, {0x0194, 0x0194, 1, 207}, {0x0196, 0x0196, 1, 211},
    {0x0197, 0x0197, 1, 209}, {0x0198, 0x0198, 1, 1}, {0x019C, 0x019C, 1, 211},
    {0x019D, 0x019D, 1, 213}, {0x019F, 0x019F, 1, 214}, {0x01A0, 0x01A4, 2, 1},
    {0x01A6, 0x01A6, 1, 218}, {0x01A7, 0x01A7, 1, 1}, {0x01A9, 0x01A9, 1, 218},
    {0x01AC, 0x01AC, 1, 1}, {0x01AE, 0x01AE, 1, 218}, {0x01AF, 0x01AF, 1, 1},
    {0x01B1, 0x01B2, 1, 217}, {0x01B3, 0x01B5, 2, 1}, {0x01B7, 0x01B7, 1, 219},
    {0x01B8, 0x01B8, 1, 1}, {0x01BC, 0x01BC, 1, 1}, {0x01C4, 0x01C4, 1, 2},
    {0x01C5, 0x01C5, 1, 1}, {0x01C7, 0x01C7, 1, 2}, {0x01C8, 0x01C8, 1, 1},
    {0x01CA, 0x01CA, 1, 2}, {0x01CB, 0x01DB, 2, 1}, {0x01DE, 0x01EE, 2, 1},
    {0x01F1, 0x01F1, 1, 2}, {0x01F2, 0x01F4, 2, 1}, {0x01F6, 0x01F6, 1, -97},
    {0x01F7, 0x01F7, 1, -56}, {0x01F8, 0x021E, 2, 1}, {0x0220, 0x0220, 1, -130},
    {0x0222, 0x0232, 2, 1}, {0x023A, 0x023A, 1, 10795}, {0x023B, 0x023B, 1, 1},
    {0x023D, 0x023D, 1, -163}, {0x023E, 0x023E, 1, 10792}, {0x0241, 0x0241, 1, 1},
    {0x0243, 0x0243, 1, -195}, {0x0244, 0x0244, 1, 69}, {0x0245, 0x0245, 1, 71},
    {0x0246, 0x024E, 2, 1}, {0x0370, 0x0372, 2, 1}, {0x0376, 0x0376, 1, 1},
    {0x037F, 0x037F, 1, 116}, {0x0386, 0x0386, 1, 38}, {0x0388, 0x038A, 1, 37},
    {0x038C, 0x038C, 1, 64}, {0x038E, 0x038F, 1, 63}, {0x0391, 0x03A1, 1, 32},
    {0x03A3, 0x03AB, 1, 32}, {0x03CF, 0x03CF, 1, 8}, {0x03D8, 0x03EE, 2, 1},
    {0x03F4, 0x03F4, 1, -60}, {0x03F7, 0x03F7, 1, 1}, {0x03F9, 0x03F9, 1, -7},
    {0x03FA, 0x03FA, 1, 1}, {0x03FD, 0x03FF, 1, -130}, {0x0400, 0x040F, 1, 80},
    {0x0410, 0x042F, 1, 32}, {0x0460, 0x0480, 2, 1}, {0x048A, 0x04BE, 2, 1},
    {0x04C0, 0x04C0, 1, 15}, {0x04C1, 0x04CD, 2, 1}, {0x04D0, 0x052E, 2, 1},
    {0x0531, 0x0556, 1, 48}, {0x10A0, 0x10C5, 1, 7264}, {0x10C7, 0x10C7, 1, 7264},
    {0x10CD, 0x10CD, 1, 7264}, {0x13A0, 0x13EF, 1, 38864}, {0x13F0, 0x13F5, 1, 8},
    {0x1C89, 0x1C89, 1, 1}, {0x1C90, 0x1CBA, 1, -3008}, {0x1CBD, 0x1CBF, 1, -3008},
    {0x1E00, 0x1E94, 2, 1}, {0x1E9E, 0x1E9E, 1, -7615}, {0x1EA0, 0x1EFE, 2, 1},
    {0x1F08, 0x1F0F, 1, -8}, {0x1F18, 0x1F1D, 1, -8}, {0x1F28, 0x1F2F, 1, -8},
    {0x1F38, 0x1F3F, 1, -8}, {0x1F48, 0x1F4D, 1, -8}, {0x1F59, 0x1F5F, 2, -8},
    {0x1F68, 0x1F6F, 1, -8}, {0x1F88, 0x1F8F, 1, -8}, {0x1F98, 0x1F9F, 1, -8},
    {0x1FA8, 0x1FAF, 1, -8}, {0x1FB8, 0x1FB9, 1, -8}, {0x1FBA, 0x1FBB, 1, -74},
    {0x1FBC, 0x1FBC, 1, -9}, {0x1FC8, 0x1FCB, 1, -86}, {0x1FCC, 0x1FCC, 1, -9},
    {0x1FD8, 0x1FD9, 1, -8}, {0x1FDA, 0x1FDB, 1, -100}, {0x1FE8, 0x1FE9, 1, -8},
    {0x1FEA, 0x1FEB, 1, -112}, {0x1FEC, 0x1FEC, 1, -7}, {0x1FF8, 0x1FF9, 1, -128},
    {0x1FFA, 0x1FFB, 1, -126}, {0x1FFC, 0x1FFC, 1, -9}, {0x2126, 0x2126, 1, -7517},
    {0x212A, 0x212A, 1, -8383}, {0x212B, 0x212B, 1, -8262}, {0x2132, 0x2132, 1, 28},
    {0x2160, 0x216F, 1, 16}, {0x2183, 0x2183, 1, 1}, {0x24B6, 0x24CF, 1, 26},
    {0x2C00, 0x2C2F, 1, 48}, {0x2C60, 0x2C60, 1, 1}, {0x2C62, 0x2C62, 1, -10743},
    {0x2C63, 0x2C63, 1, -3814}, {0x2C64, 0x2C64, 1, -10727}, {0x2C67, 0x2C6B, 2, 1},
    {0x2C6D, 0x2C6D, 1, -10780}, {0x2C6E, 0x2C6E, 1, -10749}, {0x2C6F, 0x2C6F, 1, -10783},
    {0x2C70, 0x2C70, 1, -10782}, {0x2C72, 0x2C72, 1, 1}, {0x2C75, 0x2C75, 1, 1},
    {0x2C7E, 0x2C7F, 1, -10815}, {0x2C80, 0x2CE2, 2, 1}, {0x2CEB, 0x2CED, 2, 1},
    {0x2CF2, 0x2CF2, 1, 1}, {0xA640, 0xA66C, 2, 1}, {0xA680, 0xA69A, 2, 1},
    {0xA722, 0xA72E, 2, 1}, {0xA732, 0xA76E, 2, 1}, {0xA779, 0xA77B, 2, 1},
    {0xA77D, 0xA77D, 1, -35332}, {0xA77E, 0xA786, 2, 1}, {0xA78B, 0xA78B, 1, 1},
    {0xA78D, 0xA78D, 1, -42280}, {0xA790, 0xA792, 2, 1}, {0xA796, 0xA7A8, 2, 1},
    {0xA7AA, 0xA7AA, 1, -42308}, {0xA7AB, 0xA7AB, 1, -42319}, {0xA7AC, 0xA7AC, 1, -42315},
    {0xA7AD, 0xA7AD, 1, -42305}, {0xA7AE, 0xA7AE, 1, -42308}, {0xA7B0, 0xA7B0, 1, -42258},
    {0xA7B1, 0xA7B1, 1, -42282}, {0xA7B2, 0xA7B2, 1, -42261}, {0xA7B3, 0xA7B3, 1, 928},
    {0xA7B4, 0xA7C2, 2, 1}, {0xA7C4, 0xA7C4, 1, -48}, {0xA7C5, 0xA7C5, 1, -42307},
    {0xA7C6, 0xA7C6, 1, -35384}, {0xA7C7, 0xA7C9, 2, 1}, {0xA7CB, 0xA7CB, 1, -42343},
    {0xA7CC, 0xA7DA, 2, 1}, {0xA7DC, 0xA7DC, 1, -42561}, {0xA7F5, 0xA7F5, 1, 1},
    {0xFF21, 0xFF3A, 1, 32}, {0x10400, 0x10427, 1, 40}, {0x104B0, 0x104D3, 1, 40},
    {0x10570, 0x1057A, 1, 39}, {0x1057C, 0x1058A, 1, 39}, {0x1058C, 0x10592, 1, 39},
    {0x10594, 0x10595, 1, 39}, {0x10C80, 0x10CB2, 1, 64}, {0x10D50, 0x10D65, 1, 32},
    {0x118A0, 0x118BF, 1, 32}, {0x16E40, 0x16E5F, 1, 32}, {0x16EA0, 0x16EB8, 1, 27},
    {0x1E900, 0x1E921, 1, 34},
};
/* clang-format on */

/* Decodes the code point at s[*i..len) and advances *i. A malformed sequence yields BAD_CP and
 * advances one byte, so any byte string is safe to walk. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || c > 0xF4 || len - *i < n) {
        (*i)++;
        return BAD_CP;
    }
    uint32_t cp = c & (0x7F >> n);
    for (size_t k = 1; k < n; k++) {
        if ((s[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return BAD_CP;
        }
        cp = (cp << 6) | (s[*i + k] & 0x3F);
    }
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        (*i)++;
        return BAD_CP;
    }
    *i += n;
    return cp;
}

static void utf8_put(buf_t *out, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_put(out, b, n);
}

static bool ascii_alnum(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
}

/* True when cp is \p{Word}: a letter, mark, decimal digit or connector such as '_'. */
static bool is_word(uint32_t cp)
{
    if (cp < 0x80) return ascii_alnum(cp) || cp == '_';
    if (cp == BAD_CP) return false;
    size_t lo = 0, hi = sizeof nonword / sizeof nonword[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < nonword[mid].lo)
            hi = mid;
        else if (cp > nonword[mid].hi)
            lo = mid + 1;
        else
            return false;
    }
    return true;
}

static uint32_t to_lower(uint32_t cp)
{
    if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if (cp == BAD_CP) return cp;
    size_t lo = 0, hi = sizeof lower_runs / sizeof lower_runs[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const case_run *r = &lower_runs[mid];
        if (cp < r->lo)
            hi = mid;
        else if (cp > r->hi)
            lo = mid + 1;
        else
            return (cp - r->lo) % r->stride == 0 ? (uint32_t)((int32_t)cp + r->delta) : cp;
    }
    return cp;
}

void slug_heading_id(const char *text, size_t len, buf_t *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        uint32_t cp = utf8_next(s, len, &i);
        if (cp == 0x130) { /* İ lower-cases to "i" + U+0307 COMBINING DOT ABOVE, both kept */
            buf_put(out, "i\xCC\x87", 3);
            continue;
        }
        cp = to_lower(cp);
        if (cp == ' ' || cp == '-')
            buf_putc(out, '-');
        else if (is_word(cp))
            utf8_put(out, cp);
    }
}

void slug_path(const char *text, size_t len, buf_t *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    bool any = false, gap = false;
    while (i < len) {
        uint32_t cp = utf8_next(s, len, &i);
        cp = cp == 0x130 ? 'i' : to_lower(cp);
        bool keep = cp < 0x80 ? ascii_alnum(cp) : is_word(cp);
        if (!keep) {
            gap = true;
            continue;
        }
        if (gap && any) buf_putc(out, '-');
        gap = false;
        any = true;
        utf8_put(out, cp);
    }
}

/* An open-addressing hash set of ids. Each entry also remembers the last suffix handed out for
 * it as a base, so that n copies of one heading cost O(n) in total, not O(n^2). */
typedef struct slug_entry {
    char *key; /* NULL for an empty slot */
    size_t len;
    size_t last_suffix;
} slug_entry;

struct slug_set {
    slug_entry *slots;
    size_t cap; /* a power of two */
    size_t count;
};

/* The slot that holds key, or the empty slot where it belongs. */
static slug_entry *set_find(const slug_set *s, const char *key, size_t len)
{
    size_t mask = s->cap - 1;
    size_t i = (size_t)hash_fnv1a(key, len) & mask;
    for (;;) {
        slug_entry *e = &s->slots[i];
        if (!e->key || (e->len == len && memcmp(e->key, key, len) == 0)) return e;
        i = (i + 1) & mask;
    }
}

static void set_grow(slug_set *s)
{
    slug_entry *old = s->slots;
    size_t old_cap = s->cap;
    s->cap *= 2;
    s->slots = xcalloc(s->cap, sizeof *s->slots);
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key) *set_find(s, old[i].key, old[i].len) = old[i];
    }
    free(old);
}

slug_set *slug_set_new(void)
{
    slug_set *s = xcalloc(1, sizeof *s);
    s->cap = 64;
    s->slots = xcalloc(s->cap, sizeof *s->slots);
    return s;
}

void slug_set_unique(slug_set *s, buf_t *id)
{
    const size_t base_len = id->len;
    buf_put(id, "", 0); /* makes id->ptr non-NULL even for an empty id */
    const char *key = id->ptr;
    if (set_find(s, key, base_len)->key) {
        for (;;) {
            size_t n = ++set_find(s, id->ptr, base_len)->last_suffix;
            id->len = base_len;
            id->ptr[base_len] = '\0';
            buf_printf(id, "-%zu", n);
            if (!set_find(s, id->ptr, id->len)->key) break;
        }
        key = id->ptr;
    }
    if ((s->count + 1) * 2 > s->cap) set_grow(s);
    slug_entry *e = set_find(s, key, id->len);
    e->key = xstrndup(key, id->len);
    e->len = id->len;
    e->last_suffix = 0;
    s->count++;
}

void slug_set_free(slug_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i].key);
    free(s->slots);
    free(s);
}
