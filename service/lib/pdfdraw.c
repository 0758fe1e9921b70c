/* The drawing layer of the PDF documents (see pdfdraw.h).
 *
 * pd_render() runs a document's draw function on a thread of its own with a large stack
 * (libharu's CIDFontType2_New, which makes every UTF-8 font, alone puts 128 KiB on the stack:
 * more than a civetweb worker has). libharu reports errors through a handler; ours longjmps back
 * to run(), which frees the HPDF_Doc (and with it every libharu allocation, the fonts included).
 * Between the setjmp and the longjmp the layer allocates nothing of its own except the output
 * buffer, which lives in the heap-allocated struct pd with every large work buffer, so an error
 * at any point leaks nothing. (FriBidi and libunistring allocate and free within one call, never
 * across a libharu call.)
 *
 * Money is int64 cents and formatted with integer arithmetic only; floats are used for page
 * coordinates and text widths, never for amounts.
 *
 * Text is UTF-8 until pd_layout() turns it into lines of code points in visual order: decoded
 * (control characters become spaces, malformed input U+FFFD), composed (NFC: "a" + U+0301 is
 * drawn with the font's "á", whose accent sits right on capitals too), characters the font has
 * no glyph for replaced (by their compatibility equivalent when the font has that, 𝕏 -> X,
 * else by U+FFFD; libharu's UTF-8 path knows the BMP only), each paragraph ordered by the
 * Unicode bidi algorithm and Arabic joined into presentation forms (FriBidi), broken into lines
 * by the font's advance widths, and each line put in visual order. It is drawn in DejaVu Sans,
 * embedded as a CID TrueType font through libharu's UTF-8 encoder (code = CID = BMP code point;
 * libharu writes only the glyphs used). */
#include "pdfdraw.h"

#include "bigstack.h"

#include <errno.h>
#include <hpdf_doc.h>
#include <hpdf_fontdef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>

/* DejaVu Sans (Debian: fonts-dejavu-core), from COOPD_FONT_DIR when that is set. */
#define FONT_DIR     "/usr/share/fonts/truetype/dejavu"
#define PATH_CAP     PD_PATH_CAP
#define RENDER_STACK (1u << 20) /* libharu takes 128 KiB of it for a UTF-8 font (see the top) */
static const char *const font_files[PD_NFACES] = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"};

/* ---- formatting (integer arithmetic only) ---------------------------------------------------- */

/* 1234567 -> "1.234.567" */
static void fmt_grouped(uint64_t v, char *out)
{
	char tmp[24];
	int n = 0, o = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = n - 1; i >= 0; i--) {
		out[o++] = tmp[i];
		if (i && i % 3 == 0)
			out[o++] = '.';
	}
	out[o] = '\0';
}

/* 123456 -> "€ 1.234,56", -5 -> "€ -0,05" (the space is a no-break space). */
void pd_money(int64_t cents, char *out, size_t n)
{
	uint64_t m = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	char g[32];
	fmt_grouped(m / 100, g);
	snprintf(out, n, "€" NBSP "%s%s,%02u", cents < 0 ? "-" : "", g, (unsigned)(m % 100));
}

/* Thousandths -> Dutch decimal: -1500250 -> "-1.500,25": grouped, trailing fraction zeros
 * dropped, no sign on zero. */
void pd_quantity(int64_t milli, char *out, size_t n)
{
	uint64_t m = milli < 0 ? (uint64_t)0 - (uint64_t)milli : (uint64_t)milli;
	char g[32], frac[4];
	unsigned f = (unsigned)(m % 1000), fl = 3;
	snprintf(frac, sizeof frac, "%03u", f);
	while (fl && frac[fl - 1] == '0')
		fl--;
	frac[fl] = '\0';
	fmt_grouped(m / 1000, g);
	snprintf(out, n, "%s%s%s%s", milli < 0 ? "-" : "", g, fl ? "," : "", frac);
}

/* 2100 -> "21%", 550 -> "5,5%", 925 -> "9,25%" */
void pd_rate(int64_t bp, char *out, size_t n)
{
	unsigned whole = (unsigned)(bp / 100), frac = (unsigned)(bp % 100);
	if (frac == 0)
		snprintf(out, n, "%u%%", whole);
	else if (frac % 10 == 0)
		snprintf(out, n, "%u,%u%%", whole, frac / 10);
	else
		snprintf(out, n, "%u,%02u%%", whole, frac);
}

/* A checked date "2026-03-31" -> "31-03-2026" */
void pd_date(const char *s, char *out, size_t n)
{
	snprintf(out, n, "%.2s-%.2s-%.4s", s + 8, s + 5, s);
}

/* "NL91ABNA0417164300" -> "NL91 ABNA 0417 1643 00" (no-break spaces) */
void pd_iban(const char *s, char *out, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; s[i] && o + 4 < n; i++) {
		if (i && i % 4 == 0) {
			memcpy(out + o, NBSP, 2);
			o += 2;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
}

static void on_error(HPDF_STATUS error, HPDF_STATUS detail, void *user)
{
	struct pd *c = user;
	c->error = error;
	c->detail = detail;
	longjmp(c->jump, 1);
}

/* Counts a drawing step; at the step a test asked for, provokes a libharu error (an invalid
 * compression mode), which goes through on_error like any other. */
static void step(struct pd *c)
{
	if (c->fail_step >= 0 && c->steps++ == c->fail_step)
		HPDF_SetCompressionMode(c->pdf, 0xFFFF);
}

/* ---- fonts ----------------------------------------------------------------------------------- */

/* The path of font i: in COOPD_FONT_DIR when that is set, else in FONT_DIR. -1: too long. */
static int font_path(int i, char *path, size_t cap)
{
	const char *dir = getenv("COOPD_FONT_DIR");
	if (!dir || !*dir)
		dir = FONT_DIR;
	int n = snprintf(path, cap, "%s/%s", dir, font_files[i]);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int pdf_fonts_check(char *err, size_t errlen)
{
	struct errbuf e = errbuf_of(err, errlen);
	char path[PATH_CAP];
	for (int i = 0; i < PD_NFACES; i++) {
		if (font_path(i, path, sizeof path) != 0)
			return errbuf_set(&e, "COOPD_FONT_DIR: too long");
		FILE *f = fopen(path, "rb");
		if (!f)
			return errbuf_set(
			    &e,
			    "font %s: %s (install fonts-dejavu-core, or set COOPD_FONT_DIR to "
			    "the directory of DejaVuSans.ttf and DejaVuSans-Bold.ttf)",
			    path, strerror(errno));
		unsigned char magic[4] = {0};
		size_t got = fread(magic, 1, sizeof magic, f);
		fclose(f);
		if (got != sizeof magic ||
		    (memcmp(magic, "\0\1\0\0", 4) != 0 && memcmp(magic, "true", 4) != 0))
			return errbuf_set(&e, "font %s: not a TrueType font", path);
		/* and libharu reads it as the renderer will */
		HPDF_Doc pdf = HPDF_New(NULL, NULL);
		if (!pdf)
			return errbuf_set(&e, "out of memory");
		const char *name = HPDF_LoadTTFontFromFile(pdf, path, HPDF_TRUE);
		HPDF_STATUS st = HPDF_GetError(pdf);
		HPDF_Free(pdf);
		if (!name)
			return errbuf_set(&e, "font %s: libharu cannot read it (error 0x%04X)",
			                  path, (unsigned)st);
	}
	return 0;
}

static HPDF_UINT16 glyph(const struct pd_face *f, uint32_t cp)
{
	if (cp < 256)
		return f->gid[cp];
	return cp <= 0xFFFF ? HPDF_TTFontDef_GetGlyphid(f->def, (HPDF_UINT16)cp) : 0;
}

/* The advance of a character the font has, in 1/1000 em. */
static int advance(const struct pd_face *f, uint32_t cp)
{
	if (cp < 256)
		return f->adv[cp];
	return HPDF_TTFontDef_GetGidWidth(f->def, glyph(f, cp));
}

/* Loads a TrueType font, embedded, for UTF-8 text. An error longjmps (on_error). */
static void load_face(struct pd *c, struct pd_face *f, const char *path)
{
	const char *name = HPDF_LoadTTFontFromFile(c->pdf, path, HPDF_TRUE);
	f->font = HPDF_GetFont(c->pdf, name, "UTF-8");
	f->def = HPDF_GetFontDef(c->pdf, name);
	for (unsigned i = 0; i < 256; i++) {
		f->gid[i] = HPDF_TTFontDef_GetGlyphid(f->def, (HPDF_UINT16)i);
		f->adv[i] = HPDF_TTFontDef_GetGidWidth(f->def, f->gid[i]);
	}
	f->ellipsis = advance(f, 0x2026);
}

/* ---- text: UTF-8 to lines of glyphs ---------------------------------------------------------- */

/* One code point from s; *cp = 0xFFFD for a malformed sequence (one byte consumed). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	*cp = c;
	return n;
}

/* A BMP code point as UTF-8 (1 to 3 bytes); returns the length. */
static size_t utf8_put(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp > 0xFFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	o[0] = (char)(0xE0 | (cp >> 12));
	o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* Format characters that show nothing: bidi controls, joiners, the soft hyphen, variation
 * selectors, U+FEFF (also FriBidi's filler beside a ligature), tags. They take part in the bidi
 * algorithm and in Arabic joining, then are dropped. */
static int invisible(uint32_t cp)
{
	return cp == 0x00AD || cp == 0x034F || cp == 0x061C || (cp >= 0x200B && cp <= 0x200F) ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) ||
	       (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || (cp >= 0xE0000 && cp <= 0xE0FFF);
}

static int has_glyph(const struct pd_face *f, uint32_t cp)
{
	return cp <= 0xFFFF && glyph(f, cp) != 0;
}

/* UTF-8 to at most cap code points: control characters become a space ('\n', U+2028 and U+2029
 * a line break, '\r' is dropped), malformed sequences and noncharacters U+FFFD. */
static size_t decode(const char *in, uint32_t *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = 0;
	while (*s && n < cap) {
		uint32_t cp;
		s += utf8_next(s, &cp);
		if (cp == '\r')
			continue;
		if (cp == '\n' || cp == 0x2028 || cp == 0x2029)
			cp = '\n';
		else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
			cp = ' ';
		else if ((cp & 0xFFFE) == 0xFFFE || (cp >= 0xFDD0 && cp <= 0xFDEF))
			cp = 0xFFFD;
		out[n++] = cp;
	}
	return n;
}

/* s->in (n code points) in NFC to s->nfc; returns its length. */
static size_t compose(struct pd_shaping *s, size_t n)
{
	size_t len = TEXT_CAP;
	uint32_t *r = u32_normalize(UNINORM_NFC, s->in, n, s->nfc, &len);
	if (!r) { /* no memory: as it is */
		memcpy(s->nfc, s->in, n * sizeof *s->in);
		return n;
	}
	if (r != s->nfc) { /* longer than TEXT_CAP: cut */
		if (len > TEXT_CAP)
			len = TEXT_CAP;
		memcpy(s->nfc, r, len * sizeof *r);
		free(r);
	}
	return len;
}

/* Copies in to out (at most cap), replacing every character the font has no glyph for (all
 * outside the BMP): by its compatibility decomposition (NFKC) when the font has every character
 * of that (𝕏 -> X, ＡＢ -> AB), else by U+FFFD. Returns the length. */
static size_t substitute(const struct pd_face *f, const uint32_t *in, size_t n, FriBidiChar *out,
                         size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o < cap; i++) {
		uint32_t cp = in[i], k[24];
		if (cp == '\n' || invisible(cp) || has_glyph(f, cp)) {
			out[o++] = cp;
			continue;
		}
		size_t kn = sizeof k / sizeof k[0];
		uint32_t *r = u32_normalize(UNINORM_NFKC, &cp, 1, k, &kn);
		int ok = r == k && kn > 0 && !(kn == 1 && k[0] == cp) && o + kn <= cap;
		for (size_t j = 0; ok && j < kn; j++)
			ok = k[j] >= 0x20 && !invisible(k[j]) && has_glyph(f, k[j]);
		if (r && r != k)
			free(r);
		if (ok) {
			memcpy(out + o, k, kn * sizeof *k);
			o += kn;
		} else {
			out[o++] = 0xFFFD;
		}
	}
	return o;
}

/* A presentation form or mirrored character (from fribidi_shape) that the font lacks becomes
 * the plain character again, and so does a ligature's filler beside it. */
static void unshape_missing(const struct pd_face *f, struct pd_shaping *s, FriBidiChar *str,
                            int len)
{
	for (int i = 0; i < len; i++) {
		if (str[i] == s->orig[i] || str[i] == FRIBIDI_CHAR_FILL || glyph(f, str[i]))
			continue;
		str[i] = s->orig[i];
		for (int k = i - 1; k <= i + 1; k += 2)
			if (k >= 0 && k < len && str[k] == FRIBIDI_CHAR_FILL &&
			    s->orig[k] != FRIBIDI_CHAR_FILL)
				str[k] = s->orig[k];
	}
}

static int units(const int *adv, int a, int b)
{
	int w = 0;
	for (; a < b; a++)
		w += adv[a];
	return w;
}

/* The end of the longest run from q (inside a paragraph ending at pe) that fits limit (1/1000
 * em) and breaks at a space; a word wider than limit alone is broken where it must, but never
 * between a letter and its combining marks. */
static int fit(const struct pd_shaping *s, const FriBidiChar *str, int q, int pe, float limit)
{
	int best = 0, k = q, w = 0;
	for (;;) {
		int we = k;
		while (we < pe && str[we] != ' ')
			w += s->adv[we++];
		if ((float)w > limit)
			break;
		best = we;
		while (we < pe && str[we] == ' ')
			w += s->adv[we++];
		if (we >= pe) {
			best = pe;
			break;
		}
		k = we;
	}
	if (best)
		return best;
	int we = q, n = 1;
	while (we < pe && str[we] != ' ')
		we++;
	w = s->adv[q];
	while (q + n < we && (float)(w + s->adv[q + n]) <= limit)
		w += s->adv[q + n++];
	while (q + n < we && s->types[q + n] == FRIBIDI_TYPE_NSM)
		n++;
	return q + n;
}

/* Lays out one paragraph (str, len code points, no '\n') in the lines left of max_lines: bidi
 * and Arabic shaping, advances, line breaks, the ellipsis when the text goes on (more: another
 * paragraph follows), visual order. At least one line is left (the caller checks). */
static void paragraph(struct pd *c, struct pd_text *t, const struct pd_face *f, float limit,
                      FriBidiChar *str, int len, int max_lines, int more)
{
	struct pd_shaping *s = &c->sh;
	FriBidiParType base = FRIBIDI_PAR_LTR;
	int bidi = 0;

	fribidi_get_bidi_types(str, len, s->types);
	for (int i = 0; i < len && !bidi; i++) /* below U+0590 everything is left-to-right */
		bidi = str[i] >= 0x0590;
	if (bidi) {
		base = FRIBIDI_PAR_ON; /* the direction of the first strong character */
		fribidi_get_bracket_types(str, len, s->types, s->brackets);
		if (!fribidi_get_par_embedding_levels_ex(s->types, s->brackets, len, &base,
		                                         s->levels)) {
			bidi = 0; /* no memory: logical order */
			base = FRIBIDI_PAR_LTR;
		}
	}
	if (bidi) {
		fribidi_get_joining_types(str, len, s->props);
		fribidi_join_arabic(s->types, len, s->levels, s->props);
		memcpy(s->orig, str, (size_t)len * sizeof *str);
		fribidi_shape(FRIBIDI_FLAGS_DEFAULT | FRIBIDI_FLAGS_ARABIC, s->levels, len,
		              s->props, str);
		unshape_missing(f, s, str, len);
	}
	for (int i = 0; i < len; i++) {
		if (invisible(str[i])) {
			str[i] = 0; /* dropped */
			s->adv[i] = 0;
			continue;
		}
		if (!glyph(f, str[i]))
			str[i] = 0xFFFD;
		s->adv[i] = advance(f, str[i]);
	}

	int nl = 0, room = max_lines - t->n, q = 0, cut = 0;
	for (;;) {
		while (q < len && str[q] == ' ')
			q++;
		if (q >= len)
			break;
		if (nl == room) {
			cut = 1;
			break;
		}
		int end = fit(s, str, q, len, limit), e = end;
		while (e > q && str[e - 1] == ' ')
			e--;
		s->loff[nl] = q;
		s->llen[nl++] = e - q;
		q = end;
	}
	if (nl == 0) { /* an empty paragraph is an empty line */
		s->loff[0] = s->llen[0] = 0;
		nl = 1;
	}
	int ellipsis = cut || (nl == room && more);
	if (ellipsis) { /* the last line, shortened by whole characters until "…" fits after it */
		int lo = s->loff[nl - 1], n = s->llen[nl - 1];
		while (n > 0 && (float)(units(s->adv, lo, lo + n) + f->ellipsis) > limit) {
			do
				n--;
			while (n > 0 && s->types[lo + n] == FRIBIDI_TYPE_NSM);
		}
		while (n > 0 && str[lo + n - 1] == ' ')
			n--;
		s->llen[nl - 1] = n;
		t->truncated = 1;
	}

	int rtl = FRIBIDI_IS_RTL(base);
	for (int k = 0; k < nl; k++) {
		int lo = s->loff[k], n = s->llen[k], w = units(s->adv, lo, lo + n);
		int ell = ellipsis && k == nl - 1;
		size_t o = t->used;
		/* on failure (no memory) the line stays in logical order */
		if (bidi && n > 0 &&
		    !fribidi_reorder_line(FRIBIDI_FLAGS_DEFAULT, s->types, n, lo, base, s->levels,
		                          str, NULL))
			bidi = 0;
		if (ell && rtl) /* the end of a right-to-left paragraph is on the left */
			t->cp[o++] = 0x2026;
		for (int i = lo; i < lo + n; i++)
			if (str[i])
				t->cp[o++] = str[i];
		if (ell && !rtl)
			t->cp[o++] = 0x2026;
		t->off[t->n] = (unsigned short)t->used;
		t->len[t->n] = (unsigned short)(o - t->used);
		t->units[t->n++] = w + (ell ? f->ellipsis : 0);
		t->used = o;
	}
}

/* Lays utf8 out in lines of at most width; '\n' starts a new line. At most max_lines lines:
 * the last one of a longer text ends in an ellipsis. */
void pd_layout(struct pd *c, struct pd_text *t, const struct pd_face *f, float size, float width,
               const char *utf8, int max_lines)
{
	struct pd_shaping *s = &c->sh;
	size_t n = decode(utf8 ? utf8 : "", s->in, TEXT_CAP);
	n = compose(s, n);
	n = substitute(f, s->nfc, n, s->cps, TEXT_CAP);
	t->n = t->truncated = 0;
	t->used = 0;
	if (max_lines > PD_MAX_LINES)
		max_lines = PD_MAX_LINES;
	for (size_t p = 0; p < n && t->n < max_lines;) {
		size_t pe = p;
		while (pe < n && s->cps[pe] != '\n')
			pe++;
		paragraph(c, t, f, width * 1000.0f / size, s->cps + p, (int)(pe - p), max_lines,
		          pe + 1 < n);
		p = pe + 1;
	}
}

/* The width of utf8 set in one line. */
float pd_text_width(struct pd *c, const struct pd_face *f, float size, const char *utf8)
{
	pd_layout(c, &c->one, f, size, 1e9f, utf8, 1);
	return c->one.n ? (float)c->one.units[0] * size / 1000.0f : 0;
}

void pd_set_fill(struct pd *c, struct pd_rgb col)
{
	HPDF_Page_SetRGBFill(c->page, col.r, col.g, col.b);
}

/* Draws n code points (visual order, `units` wide) with the baseline at y; a no-break space is
 * drawn as a space (the same glyph width; text extraction then finds plain spaces). */
static void show(struct pd *c, const struct pd_face *f, float size, float x, float y,
                 const uint32_t *cp, size_t n, int width_units, enum pd_align al)
{
	size_t o = 0;
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		o += utf8_put(cp[i] == 0xA0 ? ' ' : cp[i], c->utf8 + o);
	c->utf8[o] = '\0';
	step(c);
	if (al == PD_RIGHT)
		x -= (float)width_units * size / 1000.0f;
	HPDF_Page_BeginText(c->page);
	HPDF_Page_SetFontAndSize(c->page, f->font, size);
	HPDF_Page_TextOut(c->page, x, y, c->utf8);
	HPDF_Page_EndText(c->page);
}

/* Draws a laid-out text, line i with its baseline at y - i * leading. */
void pd_draw_text(struct pd *c, const struct pd_text *t, const struct pd_face *f, float size,
                  float x, float y, float leading, enum pd_align al)
{
	for (int i = 0; i < t->n; i++)
		show(c, f, size, x, y - (float)i * leading, t->cp + t->off[i], t->len[i],
		     t->units[i], al);
}

/* One line of UTF-8 text, cut with an ellipsis when wider than width. */
void pd_put(struct pd *c, const struct pd_face *f, float size, float x, float y, float width,
            const char *utf8, enum pd_align al)
{
	pd_layout(c, &c->one, f, size, width, utf8, 1);
	pd_draw_text(c, &c->one, f, size, x, y, 0, al);
}

/* One line of UTF-8 text that must show whole (an invoice number): in a smaller size, down to
 * 7 pt, when it is wider than width at size; only then cut. */
void pd_put_whole(struct pd *c, const struct pd_face *f, float size, float x, float y, float width,
                  const char *utf8, enum pd_align al)
{
	float w = pd_text_width(c, f, size, utf8), s = size;
	while (s > 7 && w * s / size > width)
		s -= 0.5f;
	pd_put(c, f, s, x, y, width, utf8, al);
}

/* A wrapped block from the baseline y down; returns the baseline below its last line. */
float pd_block(struct pd *c, const struct pd_face *f, float size, float x, float y, float width,
               float leading, const char *utf8, int max_lines)
{
	pd_layout(c, &c->blk, f, size, width, utf8, max_lines);
	pd_draw_text(c, &c->blk, f, size, x, y, leading, PD_LEFT);
	return y - (float)c->blk.n * leading;
}

void pd_hline(struct pd *c, float x0, float x1, float y, float w, struct pd_rgb col)
{
	step(c);
	HPDF_Page_SetLineWidth(c->page, w);
	HPDF_Page_SetRGBStroke(c->page, col.r, col.g, col.b);
	HPDF_Page_MoveTo(c->page, x0, y);
	HPDF_Page_LineTo(c->page, x1, y);
	HPDF_Page_Stroke(c->page);
}

void pd_fill_rect(struct pd *c, float x, float y, float w, float h, struct pd_rgb col)
{
	step(c);
	pd_set_fill(c, col);
	HPDF_Page_Rectangle(c->page, x, y, w, h);
	HPDF_Page_Fill(c->page);
}
/* Copies the saved document out of libharu's memory stream into c->out. */
static void save(struct pd *c)
{
	step(c);
	HPDF_SaveToStream(c->pdf);
	HPDF_UINT32 size = HPDF_GetStreamSize(c->pdf), got = 0;
	if (HPDF_GetError(c->pdf) != HPDF_OK || size == 0) {
		c->failed = 1;
		return;
	}
	c->out = malloc(size);
	if (!c->out) {
		c->failed = 2;
		return;
	}
	HPDF_ResetStream(c->pdf);
	while (got < size) {
		HPDF_UINT32 n = size - got;
		HPDF_STATUS st = HPDF_ReadFromStream(c->pdf, c->out + got, &n);
		got += n;
		if (n == 0 || (st != HPDF_OK && st != HPDF_STREAM_EOF))
			break;
	}
	if (got != size) {
		c->failed = 1;
		return;
	}
	c->out_len = size;
}

/* The document's settings and fonts, before its drawing. */
static void setup(struct pd *c)
{
	HPDF_SetCompressionMode(c->pdf, HPDF_COMP_ALL);
	HPDF_SetInfoAttr(c->pdf, HPDF_INFO_TITLE, c->title);
	HPDF_SetInfoAttr(c->pdf, HPDF_INFO_CREATOR, "coopd");
	HPDF_UseUTFEncodings(c->pdf);
	for (int i = 0; i < PD_NFACES; i++)
		load_face(c, &c->faces[i], c->font_path[i]);
	c->regular = &c->faces[0];
	c->bold = &c->faces[1];
}

/* Everything that can longjmp happens here, on the render thread; c is on the heap, so its
 * fields survive it. */
static void run(void *arg)
{
	struct pd *c = arg;
	if (setjmp(c->jump) == 0) {
		c->pdf = HPDF_New(on_error, c);
		if (!c->pdf) {
			c->failed = 2;
			return;
		}
		setup(c);
		c->draw(c);
		if (HPDF_GetError(c->pdf) != HPDF_OK)
			c->failed = 1;
		else
			save(c);
	} else {
		c->failed = 1;
	}
	if (c->failed) {
		free(c->out);
		c->out = NULL;
	}
	HPDF_Free(c->pdf);
	c->pdf = NULL;
}

/* ---- pages ----------------------------------------------------------------------------------- */

void pd_new_page(struct pd *c)
{
	step(c);
	c->page = HPDF_AddPage(c->pdf);
	HPDF_Page_SetSize(c->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	c->npages++;
	c->y = TOP;
	if (c->npages > 1 && c->continuation)
		c->continuation(c);
}

int pd_ensure(struct pd *c, float h)
{
	if (c->y - h >= BOTTOM)
		return 0;
	pd_new_page(c);
	return 1;
}

void pd_footers(struct pd *c, const char *line, const char *second)
{
	char page[48];
	/* one line sits on FOOTER_Y; two share the room from a little above it */
	float y = second ? FOOTER_Y + 5 : FOOTER_Y, rule = second ? FOOTER_Y + 16 : FOOTER_Y + 12;
	for (unsigned i = 0; i < c->npages; i++) {
		c->page = HPDF_GetPageByIndex(c->pdf, i);
		pd_hline(c, LEFT, RIGHT, rule, 0.5f, PD_RULE);
		pd_set_fill(c, PD_MUTED);
		pd_put_whole(c, c->regular, second ? 7.5f : 7, LEFT, y, WIDTH - 80, line, PD_LEFT);
		if (second)
			pd_put(c, c->regular, 7, LEFT, FOOTER_Y - 4, WIDTH - 80, second, PD_LEFT);
		snprintf(page, sizeof page, "Pagina %u van %u", i + 1, c->npages);
		pd_put(c, c->regular, 7.5f, RIGHT, y, 80, page, PD_RIGHT);
	}
}

unsigned char *pd_render(void (*draw)(struct pd *c), const void *doc, const char *title,
                         long fail_step, size_t *len, struct errbuf *e)
{
	unsigned char *out = NULL;
	struct pd *c = calloc(1, sizeof *c);
	*len = 0;
	if (!c) {
		errbuf_set(e, "out of memory");
		return NULL;
	}
	c->draw = draw;
	c->doc = doc;
	c->fail_step = fail_step < 0 ? -1 : fail_step;
	/* the title is a PDF text string: printable ASCII only */
	size_t n = 0;
	for (const char *p = title; *p && n + 1 < sizeof c->title; p++)
		c->title[n++] = *p >= 0x20 && *p < 0x7F ? *p : '?';
	for (int i = 0; i < PD_NFACES; i++)
		if (font_path(i, c->font_path[i], sizeof c->font_path[i]) != 0)
			c->failed = 3;
	if (!c->failed && run_with_stack(run, c, RENDER_STACK) != 0)
		c->failed = 4;
	if (c->failed == 2)
		errbuf_set(e, "out of memory");
	else if (c->failed == 3)
		errbuf_set(e, "COOPD_FONT_DIR: too long");
	else if (c->failed == 4)
		errbuf_set(e, "pdf: no thread for rendering");
	else if (c->failed)
		errbuf_set(e, "pdf: libharu error 0x%04X (detail %u)", (unsigned)c->error,
		           (unsigned)c->detail);
	else {
		out = c->out;
		*len = c->out_len;
	}
	free(c);
	return out;
}
