/* The PDF invoice renderer (see pdf.h).
 *
 * Two phases. invoice_doc_read (invoice_doc.h) checks the JSON document and fills a struct
 * invoice_doc of borrowed pointers and integers, and check_print() adds what a printed invoice
 * needs besides; nothing is drawn until the whole document is known to be good. Its text limits
 * (INVOICE_TEXT_*, in characters) bound the height of every block, so that the fixed layout of
 * the first page cannot overflow and a single table row always fits on a page. Then draw()
 * lays the invoice out with libharu, on a thread of its own with a large stack (libharu's
 * CIDFontType2_New, which makes every UTF-8 font, alone puts 128 KiB on the stack: more than a
 * civetweb worker has). libharu reports errors through a handler; ours longjmps back to run(),
 * which frees the HPDF_Doc (and with it every libharu allocation, the fonts included). Between
 * the setjmp and the longjmp the renderer allocates nothing of its own except the output
 * buffer, which lives in the heap-allocated struct ctx with every large work buffer, so an error
 * at any point leaks nothing. (FriBidi and libunistring allocate and free within one call,
 * never across a libharu call.)
 *
 * Money is int64 cents and formatted with integer arithmetic only; floats are used for page
 * coordinates and text widths, never for amounts.
 *
 * Text is UTF-8 until layout() turns it into lines of code points in visual order: decoded
 * (control characters become spaces, malformed input U+FFFD), composed (NFC: "a" + U+0301 is
 * drawn with the font's "á", whose accent sits right on capitals too), characters the font has
 * no glyph for replaced (by their compatibility equivalent when the font has that, 𝕏 -> X,
 * else by U+FFFD; libharu's UTF-8 path knows the BMP only), each paragraph ordered by the
 * Unicode bidi algorithm and Arabic joined into presentation forms (FriBidi), broken into lines
 * by the font's advance widths, and each line put in visual order. It is drawn in DejaVu Sans,
 * embedded as a CID TrueType font through libharu's UTF-8 encoder (code = CID = BMP code point;
 * libharu writes only the glyphs used). */
#include "pdf.h"

#include "bigstack.h"
#include "errbuf.h"
#include "invoice_doc.h"

#include <errno.h>
#include <fribidi/fribidi.h>
#include <hpdf.h>
#include <hpdf_doc.h>
#include <hpdf_fontdef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>

#define NBSP "\xc2\xa0" /* UTF-8 no-break space: keeps "€ 12,00" and IBAN groups together */

/* ---- fonts ----------------------------------------------------------------------------------
 * DejaVu Sans (Debian: fonts-dejavu-core), from COOPD_FONT_DIR when that is set. */
#define FONT_DIR "/usr/share/fonts/truetype/dejavu"
#define PATH_CAP 4096
#define NFACES   2
static const char *const font_files[NFACES] = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"};

/* ---- what the PDF needs beyond a consistent invoice (invoice_doc.h checks the rest) ------- */

static int check_print(struct errbuf *e, const struct invoice_doc *d)
{
	/* an invoice, and anything with an amount to pay, says "Gelieve … vóór <due date> …" */
	if ((!d->credit_note || d->open_cents > 0) && !d->due_date)
		return errbuf_set(e, "invoice.due_date: missing");
	if (d->credit_note && !d->credit_of_issue_date)
		return errbuf_set(e, "invoice.credit_of_issue_date: missing");
	if (!d->supplier.iban)
		return errbuf_set(e, "supplier.iban: missing");
	return 0;
}

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
static void fmt_money(int64_t cents, char *out, size_t n)
{
	uint64_t m = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	char g[32];
	fmt_grouped(m / 100, g);
	snprintf(out, n, "€" NBSP "%s%s,%02u", cents < 0 ? "-" : "", g, (unsigned)(m % 100));
}

/* Thousandths -> Dutch decimal: -1500250 -> "-1.500,25": grouped, trailing fraction zeros
 * dropped, no sign on zero. */
static void fmt_quantity(int64_t milli, char *out, size_t n)
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
static void fmt_rate(int64_t bp, char *out, size_t n)
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
static void fmt_date(const char *s, char *out, size_t n)
{
	snprintf(out, n, "%.2s-%.2s-%.4s", s + 8, s + 5, s);
}

/* "NL91ABNA0417164300" -> "NL91 ABNA 0417 1643 00" (no-break spaces) */
static void fmt_iban(const char *s, char *out, size_t n)
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

static const char *unit_name(enum invoice_unit u)
{
	static const char *const names[] = {"uur", "stuk", "dag", "km"}; /* enum invoice_unit */
	return names[u];
}

static const char *country_name(const char *code)
{
	static const char *const names[][2] = {
	    {"BE", "België"},    {"DE", "Duitsland"},           {"FR", "Frankrijk"},
	    {"LU", "Luxemburg"}, {"GB", "Verenigd Koninkrijk"}, {"ES", "Spanje"},
	    {"IT", "Italië"},    {"AT", "Oostenrijk"},          {"PL", "Polen"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(code, names[i][0]) == 0)
			return names[i][1];
	return code;
}

/* ---- page geometry and colours --------------------------------------------------------------- */

#define PAGE_W   595.276f
#define PAGE_H   841.89f
#define LEFT     56.0f
#define RIGHT    (PAGE_W - 56.0f)
#define WIDTH    (RIGHT - LEFT)
#define TOP      (PAGE_H - 48.0f)
#define BOTTOM   76.0f /* content stays above; the footer is below */
#define FOOTER_Y 40.0f

/* Code points of one text block: the longest input (INVOICE_TEXT_LONG characters) even after
 * NFC, which can make three of one; a longer text is cut (its block would be cut by MAX_LINES
 * anyway). */
#define TEXT_CAP     4096
#define MAX_LINES    64
#define FMT_CAP      4096 /* bytes of one composed text: two names and an activity, 4 bytes each */
#define IBAN_CAP     320  /* an IBAN of INVOICE_TEXT_CODE characters with its no-break spaces */
#define RENDER_STACK (1u << 20) /* libharu takes 128 KiB of it for a UTF-8 font (see the top) */

struct rgb {
	float r, g, b;
};
static const struct rgb INK = {0.12f, 0.12f, 0.14f};
static const struct rgb MUTED = {0.42f, 0.44f, 0.48f};
static const struct rgb ACCENT = {0.07f, 0.26f, 0.42f};
static const struct rgb RULE = {0.78f, 0.80f, 0.83f};
static const struct rgb SHADE = {0.925f, 0.94f, 0.955f};

enum align { AL_LEFT, AL_RIGHT };

/* A loaded font: the libharu font (UTF-8 encoder) and its TrueType data. */
struct face {
	HPDF_Font font;
	HPDF_FontDef def;
	HPDF_UINT16 gid[256]; /* the glyphs and advances of U+0000..U+00FF, looked up once */
	short adv[256];
	int ellipsis; /* the advance of U+2026 */
};

/* A text block laid out in lines of at most a given width: code points in visual order, the
 * width of each line in 1/1000 em (the last line of a cut text ends in U+2026). */
struct text {
	uint32_t cp[TEXT_CAP + 1];
	int n, truncated;
	unsigned short off[MAX_LINES], len[MAX_LINES];
	int units[MAX_LINES];
	size_t used;
};

/* The work arrays of layout(): the text in its stages, and per paragraph what FriBidi needs. */
struct shaping {
	uint32_t in[TEXT_CAP], nfc[TEXT_CAP];
	FriBidiChar cps[TEXT_CAP], orig[TEXT_CAP];
	FriBidiCharType types[TEXT_CAP];
	FriBidiBracketType brackets[TEXT_CAP];
	FriBidiLevel levels[TEXT_CAP];
	FriBidiArabicProp props[TEXT_CAP];
	int adv[TEXT_CAP];
	int loff[MAX_LINES], llen[MAX_LINES];
};

struct ctx {
	jmp_buf jump;
	HPDF_Doc pdf;
	struct face faces[NFACES];
	const struct face *regular, *bold;
	HPDF_Page page;
	unsigned npages;
	float y; /* the top of the free space on the current page */
	const struct invoice_doc *v;
	HPDF_STATUS error, detail;
	long steps, fail_step; /* test hook: libharu reports an error at drawing step fail_step */
	int failed;
	unsigned char *out;
	size_t out_len;
	char font_path[NFACES][PATH_CAP];
	/* work buffers, here rather than on the stack */
	struct shaping sh;
	struct text blk, one; /* a block being laid out and drawn; a single line (put()) */
	char utf8[3 * (TEXT_CAP + 1) + 1];
	char fmt[4][FMT_CAP];
};

static void on_error(HPDF_STATUS error, HPDF_STATUS detail, void *user)
{
	struct ctx *c = user;
	c->error = error;
	c->detail = detail;
	longjmp(c->jump, 1);
}

/* Counts a drawing step; at the step a test asked for, provokes a libharu error (an invalid
 * compression mode), which goes through on_error like any other. */
static void step(struct ctx *c)
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
	for (int i = 0; i < NFACES; i++) {
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

static HPDF_UINT16 glyph(const struct face *f, uint32_t cp)
{
	if (cp < 256)
		return f->gid[cp];
	return cp <= 0xFFFF ? HPDF_TTFontDef_GetGlyphid(f->def, (HPDF_UINT16)cp) : 0;
}

/* The advance of a character the font has, in 1/1000 em. */
static int advance(const struct face *f, uint32_t cp)
{
	if (cp < 256)
		return f->adv[cp];
	return HPDF_TTFontDef_GetGidWidth(f->def, glyph(f, cp));
}

/* Loads a TrueType font, embedded, for UTF-8 text. An error longjmps (on_error). */
static void load_face(struct ctx *c, struct face *f, const char *path)
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

static int has_glyph(const struct face *f, uint32_t cp)
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
static size_t compose(struct shaping *s, size_t n)
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
static size_t substitute(const struct face *f, const uint32_t *in, size_t n, FriBidiChar *out,
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
static void unshape_missing(const struct face *f, struct shaping *s, FriBidiChar *str, int len)
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
static int fit(const struct shaping *s, const FriBidiChar *str, int q, int pe, float limit)
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
static void paragraph(struct ctx *c, struct text *t, const struct face *f, float limit,
                      FriBidiChar *str, int len, int max_lines, int more)
{
	struct shaping *s = &c->sh;
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
static void layout(struct ctx *c, struct text *t, const struct face *f, float size, float width,
                   const char *utf8, int max_lines)
{
	struct shaping *s = &c->sh;
	size_t n = decode(utf8 ? utf8 : "", s->in, TEXT_CAP);
	n = compose(s, n);
	n = substitute(f, s->nfc, n, s->cps, TEXT_CAP);
	t->n = t->truncated = 0;
	t->used = 0;
	if (max_lines > MAX_LINES)
		max_lines = MAX_LINES;
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
static float text_width(struct ctx *c, const struct face *f, float size, const char *utf8)
{
	layout(c, &c->one, f, size, 1e9f, utf8, 1);
	return c->one.n ? (float)c->one.units[0] * size / 1000.0f : 0;
}

static void set_fill(struct ctx *c, struct rgb col)
{
	HPDF_Page_SetRGBFill(c->page, col.r, col.g, col.b);
}

/* Draws n code points (visual order, `units` wide) with the baseline at y; a no-break space is
 * drawn as a space (the same glyph width; text extraction then finds plain spaces). */
static void show(struct ctx *c, const struct face *f, float size, float x, float y,
                 const uint32_t *cp, size_t n, int width_units, enum align al)
{
	size_t o = 0;
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		o += utf8_put(cp[i] == 0xA0 ? ' ' : cp[i], c->utf8 + o);
	c->utf8[o] = '\0';
	step(c);
	if (al == AL_RIGHT)
		x -= (float)width_units * size / 1000.0f;
	HPDF_Page_BeginText(c->page);
	HPDF_Page_SetFontAndSize(c->page, f->font, size);
	HPDF_Page_TextOut(c->page, x, y, c->utf8);
	HPDF_Page_EndText(c->page);
}

/* Draws a laid-out text, line i with its baseline at y - i * leading. */
static void draw_text(struct ctx *c, const struct text *t, const struct face *f, float size,
                      float x, float y, float leading, enum align al)
{
	for (int i = 0; i < t->n; i++)
		show(c, f, size, x, y - (float)i * leading, t->cp + t->off[i], t->len[i],
		     t->units[i], al);
}

/* One line of UTF-8 text, cut with an ellipsis when wider than width. */
static void put(struct ctx *c, const struct face *f, float size, float x, float y, float width,
                const char *utf8, enum align al)
{
	layout(c, &c->one, f, size, width, utf8, 1);
	draw_text(c, &c->one, f, size, x, y, 0, al);
}

/* One line of UTF-8 text that must show whole (an invoice number): in a smaller size, down to
 * 7 pt, when it is wider than width at size; only then cut. */
static void put_whole(struct ctx *c, const struct face *f, float size, float x, float y,
                      float width, const char *utf8)
{
	float w = text_width(c, f, size, utf8), s = size;
	while (s > 7 && w * s / size > width)
		s -= 0.5f;
	put(c, f, s, x, y, width, utf8, AL_LEFT);
}

/* A wrapped block from the baseline y down; returns the baseline below its last line. */
static float block(struct ctx *c, const struct face *f, float size, float x, float y, float width,
                   float leading, const char *utf8, int max_lines)
{
	layout(c, &c->blk, f, size, width, utf8, max_lines);
	draw_text(c, &c->blk, f, size, x, y, leading, AL_LEFT);
	return y - (float)c->blk.n * leading;
}

static void hline(struct ctx *c, float x0, float x1, float y, float w, struct rgb col)
{
	step(c);
	HPDF_Page_SetLineWidth(c->page, w);
	HPDF_Page_SetRGBStroke(c->page, col.r, col.g, col.b);
	HPDF_Page_MoveTo(c->page, x0, y);
	HPDF_Page_LineTo(c->page, x1, y);
	HPDF_Page_Stroke(c->page);
}

static void fill_rect(struct ctx *c, float x, float y, float w, float h, struct rgb col)
{
	step(c);
	set_fill(c, col);
	HPDF_Page_Rectangle(c->page, x, y, w, h);
	HPDF_Page_Fill(c->page);
}
/* ---- pages ----------------------------------------------------------------------------------- */

static const char *brand(const struct invoice_doc *v)
{
	return v->supplier.trade_name ? v->supplier.trade_name : v->supplier.legal_name;
}

static const char *title(const struct invoice_doc *v)
{
	return v->credit_note ? "Creditnota" : "Factuur";
}

static void start_page(struct ctx *c)
{
	step(c);
	c->page = HPDF_AddPage(c->pdf);
	HPDF_Page_SetSize(c->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	c->npages++;
	c->y = TOP;
	if (c->npages == 1)
		return;
	/* a continuation page: who and which invoice, above a rule */
	char buf[4 * INVOICE_TEXT_CODE + 32];
	snprintf(buf, sizeof buf, "%s %s (vervolg)", title(c->v), c->v->number);
	set_fill(c, ACCENT);
	put(c, c->bold, 11, LEFT, TOP - 10, WIDTH * 0.5f, brand(c->v), AL_LEFT);
	set_fill(c, MUTED);
	put(c, c->regular, 9, RIGHT, TOP - 10, WIDTH * 0.48f, buf, AL_RIGHT);
	hline(c, LEFT, RIGHT, TOP - 20, 0.5f, RULE);
	c->y = TOP - 34;
}

/* The lines table: columns, their headers (one or two lines) and alignment. The numeric
 * columns fit "€ -1.234.567,89", "-1.500,25" and "vrijgesteld" in DejaVu Sans at ROW_SIZE. */
static const struct column {
	const char *h1, *h2;
	float x0, x1;
	enum align al;
} columns[] = {
    {"Omschrijving", NULL, LEFT, LEFT + 178, AL_LEFT},
    {"Aantal", NULL, LEFT + 178, LEFT + 228, AL_RIGHT},
    {"Eenheid", NULL, LEFT + 228, LEFT + 270, AL_LEFT},
    {"Prijs per eenheid", "excl. btw", LEFT + 270, LEFT + 350, AL_RIGHT},
    {"Btw %", NULL, LEFT + 350, LEFT + 404, AL_RIGHT},
    {"Bedrag", "excl. btw", LEFT + 404, RIGHT, AL_RIGHT},
};
#define NCOLUMNS    (sizeof columns / sizeof columns[0])
#define NUMBER_W    150.0f /* the column of an invoice number: 20 characters in bold 10 pt */
#define CELL_PAD    5.0f
#define ROW_SIZE    9.0f
#define ROW_LEADING 11.5f
#define HEADER_H    26.0f

static float cell_x(const struct column *col)
{
	return col->al == AL_LEFT ? col->x0 + CELL_PAD : col->x1 - CELL_PAD;
}

static void table_header(struct ctx *c)
{
	float y = c->y;
	fill_rect(c, LEFT, y - HEADER_H, WIDTH, HEADER_H, SHADE);
	hline(c, LEFT, RIGHT, y - HEADER_H, 0.8f, ACCENT);
	set_fill(c, INK);
	for (size_t i = 0; i < NCOLUMNS; i++) {
		const struct column *col = &columns[i];
		float w = col->x1 - col->x0 - 2 * CELL_PAD + 4;
		if (col->h2) {
			put(c, c->bold, 7.5f, cell_x(col), y - 11, w, col->h1, col->al);
			put(c, c->bold, 7.5f, cell_x(col), y - 20.5f, w, col->h2, col->al);
		} else {
			put(c, c->bold, 7.5f, cell_x(col), y - 15.5f, w, col->h1, col->al);
		}
	}
	c->y = y - HEADER_H;
}

/* Starts a new page unless h points fit above the footer; repeats the table header when asked. */
static void ensure(struct ctx *c, float h, int with_table_header)
{
	if (c->y - h >= BOTTOM)
		return;
	start_page(c);
	if (with_table_header)
		table_header(c);
}

/* ---- the first page's head ------------------------------------------------------------------- */

static void address_lines(const struct invoice_address *a, char *l1, char *l2, char *l3, size_t n)
{
	snprintf(l1, n, "%s%s%s", a->street, a->house_number ? " " : "",
	         a->house_number ? a->house_number : "");
	snprintf(l2, n, "%s  %s", a->postal_code, a->city);
	snprintf(l3, n, "%s",
	         a->country && strcmp(a->country, "NL") ? country_name(a->country) : "");
}

static float supplier_block(struct ctx *c)
{
	const struct invoice_doc *v = c->v;
	const float x = LEFT + 318, w = RIGHT - x, size = 8.5f, lead = 11.5f;
	char *l1 = c->fmt[0], *l2 = c->fmt[1], *l3 = c->fmt[2], *buf = c->fmt[3];
	float y = TOP - 8;

	set_fill(c, INK);
	y = block(c, c->bold, size, x, y, w, lead, v->supplier.legal_name, 3);
	address_lines(&v->supplier.address, l1, l2, l3, FMT_CAP);
	y = block(c, c->regular, size, x, y, w, lead, l1, 2);
	y = block(c, c->regular, size, x, y, w, lead, l2, 2);
	if (*l3)
		y = block(c, c->regular, size, x, y, w, lead, l3, 1);
	y -= 5;
	snprintf(buf, FMT_CAP, "KvK %s", v->supplier.kvk_number);
	y = block(c, c->regular, size, x, y, w, lead, buf, 1);
	if (v->supplier.vat_id) {
		snprintf(buf, FMT_CAP, "Btw-id %s", v->supplier.vat_id);
		y = block(c, c->regular, size, x, y, w, lead, buf, 1);
	}
	char iban[IBAN_CAP];
	fmt_iban(v->supplier.iban, iban, sizeof iban);
	snprintf(buf, FMT_CAP, "IBAN %s", iban);
	y = block(c, c->regular, size, x, y, w, lead, buf, 1);
	if (v->supplier.bic) {
		snprintf(buf, FMT_CAP, "BIC %s", v->supplier.bic);
		y = block(c, c->regular, size, x, y, w, lead, buf, 1);
	}
	if (v->supplier.email)
		y = block(c, c->regular, size, x, y, w, lead, v->supplier.email, 1);
	if (v->supplier.phone) {
		snprintf(buf, FMT_CAP, "Tel. %s", v->supplier.phone);
		y = block(c, c->regular, size, x, y, w, lead, buf, 1);
	}
	return y;
}

static float customer_block(struct ctx *c)
{
	const struct invoice_doc *v = c->v;
	const float x = LEFT, w = 270;
	char *l1 = c->fmt[0], *l2 = c->fmt[1], *l3 = c->fmt[2], *buf = c->fmt[3];
	float y = TOP - 104;

	set_fill(c, MUTED);
	put(c, c->regular, 7.5f, x, y, w, v->credit_note ? "Creditnota aan" : "Factuur aan",
	    AL_LEFT);
	y -= 15;
	set_fill(c, INK);
	y = block(c, c->bold, 10.5f, x, y, w, 13.5f, v->customer.name, 3);
	if (v->customer.has_address) {
		address_lines(&v->customer.address, l1, l2, l3, FMT_CAP);
		y = block(c, c->regular, 10, x, y, w, 13.5f, l1, 2);
		y = block(c, c->regular, 10, x, y, w, 13.5f, l2, 2);
		if (*l3)
			y = block(c, c->regular, 10, x, y, w, 13.5f, l3, 1);
	}
	if (v->customer.kvk_number || v->customer.vat_id)
		y -= 3;
	if (v->customer.kvk_number) {
		snprintf(buf, FMT_CAP, "KvK %s", v->customer.kvk_number);
		y = block(c, c->regular, 8.5f, x, y, w, 11.5f, buf, 1);
	}
	if (v->customer.vat_id) {
		snprintf(buf, FMT_CAP, "Btw-id %s", v->customer.vat_id);
		y = block(c, c->regular, 8.5f, x, y, w, 11.5f, buf, 1);
	}
	return y;
}

/* "Label:" in a fixed column, the wrapped value beside it; starts at c->y. */
static void labelled(struct ctx *c, const char *label, const char *value, int max_lines)
{
	const float lw = 96, size = 9.5f, lead = 12.5f;
	struct text *t = &c->blk;
	layout(c, t, c->regular, size, WIDTH - lw, value, max_lines);
	ensure(c, (float)t->n * lead + 4, 0);
	set_fill(c, MUTED);
	put(c, c->regular, size, LEFT, c->y - 10, lw, label, AL_LEFT);
	set_fill(c, INK);
	draw_text(c, t, c->regular, size, LEFT + lw, c->y - 10, lead, AL_LEFT);
	c->y -= (float)t->n * lead + 3;
}

/* The trade name (or legal name) large at the top left: 18 pt, smaller for a long name down
 * to 12 pt, and from there on two lines. */
static void brand_name(struct ctx *c)
{
	const float w = 300;
	float size = 18, w18 = text_width(c, c->bold, size, brand(c->v));
	while (size > 12 && w18 * size / 18 > w)
		size -= 1;
	set_fill(c, ACCENT);
	block(c, c->bold, size, LEFT, TOP - 16, w, size + 2, brand(c->v), 2);
}

static void head(struct ctx *c)
{
	const struct invoice_doc *v = c->v;
	char *buf = c->fmt[0], d[4][16];

	brand_name(c);
	float ys = supplier_block(c);
	float yc = customer_block(c);
	float y = (ys < yc ? ys : yc) - 26;

	set_fill(c, ACCENT);
	put(c, c->bold, 22, LEFT, y - 16, WIDTH, title(v), AL_LEFT);
	y -= 30;

	/* number and dates in columns (a number NUMBER_W wide, the dates share the rest); the
	 * delivery date is always shown */
	const char *label[4], *value[4];
	int n = 0, wide[4] = {0}, nwide = 0;
	fmt_date(v->issue_date, d[0], sizeof d[0]);
	label[n] = v->credit_note ? "Creditnotanummer" : "Factuurnummer";
	wide[n] = 1;
	value[n++] = v->number;
	label[n] = v->credit_note ? "Creditnotadatum" : "Factuurdatum";
	value[n++] = d[0];
	if (v->supply_date) {
		fmt_date(v->supply_date, d[1], sizeof d[1]);
		label[n] = "Leverdatum";
		value[n++] = d[1];
	}
	if (v->credit_note) {
		label[n] = "Op factuur";
		wide[n] = 1;
		value[n++] = v->credit_of_number;
	} else {
		fmt_date(v->due_date, d[2], sizeof d[2]);
		label[n] = "Vervaldatum";
		value[n++] = d[2];
	}
	for (int i = 0; i < n; i++)
		nwide += wide[i];
	float x = LEFT, date_w = (WIDTH - (float)nwide * NUMBER_W) / (float)(n - nwide);
	hline(c, LEFT, RIGHT, y, 0.5f, RULE);
	for (int i = 0; i < n; i++) {
		float w = wide[i] ? NUMBER_W : date_w;
		set_fill(c, MUTED);
		put(c, c->regular, 7.5f, x, y - 13, w - 8, label[i], AL_LEFT);
		set_fill(c, INK);
		put_whole(c, c->bold, 10, x, y - 27, w - 8, value[i]);
		x += w;
	}
	y -= 36;
	hline(c, LEFT, RIGHT, y, 0.5f, RULE);
	c->y = y - 8;

	if (v->credit_note) {
		fmt_date(v->credit_of_issue_date, d[3], sizeof d[3]);
		snprintf(buf, FMT_CAP, "Creditnota op factuur %s van %s", v->credit_of_number,
		         d[3]);
		set_fill(c, INK);
		put(c, c->bold, 9.5f, LEFT, c->y - 10, WIDTH, buf, AL_LEFT);
		c->y -= 15.5f;
		if (v->reason)
			labelled(c, "Reden:", v->reason, 20);
	}
	if (v->description)
		labelled(c, "Betreft:", v->description, 4);
	snprintf(buf, FMT_CAP, "%s %s%s%s", v->member.first_name, v->member.last_name,
	         v->member.activity_description ? " — " : "",
	         v->member.activity_description ? v->member.activity_description : "");
	labelled(c, "Uitgevoerd door:", buf, 3);
	c->y -= 12;
}

/* ---- lines ----------------------------------------------------------------------------------- */

static void vat_cell(enum invoice_vat_category cat, int64_t bp, char *out, size_t n)
{
	if (cat == INVOICE_VAT_E)
		snprintf(out, n, "vrijgesteld");
	else if (cat == INVOICE_VAT_AE)
		snprintf(out, n, "verlegd");
	else
		fmt_rate(bp, out, n);
}

static void lines(struct ctx *c)
{
	const struct column *desc = &columns[0];
	for (size_t i = 0; i < c->v->nlines; i++) {
		const struct invoice_line *l = &c->v->lines[i];
		struct text *t = &c->blk;
		char qty[48], price[48], net[48], rate[24];

		layout(c, t, c->regular, ROW_SIZE, desc->x1 - desc->x0 - 2 * CELL_PAD,
		       l->description, MAX_LINES);
		float h = (float)t->n * ROW_LEADING + 8;
		if (i == 0) { /* the header never stands alone at the foot of a page */
			ensure(c, HEADER_H + h, 0);
			table_header(c);
		}
		ensure(c, h, 1);

		fmt_quantity(l->quantity_milli, qty, sizeof qty);
		fmt_money(l->unit_price_cents, price, sizeof price);
		fmt_money(l->net_cents, net, sizeof net);
		vat_cell(l->vat_category, l->vat_rate_bp, rate, sizeof rate);
		const char *cells[NCOLUMNS] = {NULL, qty, unit_name(l->unit), price, rate, net};

		float base = c->y - 12;
		set_fill(c, INK);
		draw_text(c, t, c->regular, ROW_SIZE, cell_x(desc), base, ROW_LEADING, AL_LEFT);
		for (size_t k = 1; k < NCOLUMNS; k++) {
			const struct column *col = &columns[k];
			put(c, c->regular, ROW_SIZE, cell_x(col), base,
			    col->x1 - col->x0 - 2 * CELL_PAD + 4, cells[k], col->al);
		}
		c->y -= h;
		hline(c, LEFT, RIGHT, c->y, 0.4f, RULE);
	}
}

/* ---- VAT breakdown, totals, notes ------------------------------------------------------------ */

static void vat_label(enum invoice_vat_category cat, int64_t bp, char *out, size_t n)
{
	char r[24];
	if (cat == INVOICE_VAT_E) {
		snprintf(out, n, "Vrijgesteld");
	} else if (cat == INVOICE_VAT_AE) {
		snprintf(out, n, "Btw verlegd");
	} else {
		fmt_rate(bp, r, sizeof r);
		snprintf(out, n, "Btw %s", r);
	}
}

#define SUM_LEAD      14.0f
#define TOTAL_LABEL_X (LEFT + 290)

/* One line of the totals, right: the label and the amount, bold for a total to pay. */
static void total_row(struct ctx *c, int bold, float y, const char *label, int64_t cents)
{
	char a[48];
	fmt_money(cents, a, sizeof a);
	const struct face *f = bold ? c->bold : c->regular;
	float size = bold ? 10.5f : 9.5f;
	put(c, f, size, TOTAL_LABEL_X, y, 110, label, AL_LEFT);
	put(c, f, size, RIGHT - CELL_PAD, y, 100, a, AL_RIGHT);
}

static void summary(struct ctx *c)
{
	const struct invoice_doc *v = c->v;
	size_t nvat = v->nvat;
	int ntot = v->paid_cents ? 5 : 3;
	float vat_h = 12 + (float)nvat * SUM_LEAD;
	float tot_h = (float)ntot * SUM_LEAD + (v->paid_cents ? 12 : 6);
	ensure(c, 18 + (vat_h > tot_h ? vat_h : tot_h), 0);
	c->y -= 18;

	/* the VAT breakdown, left */
	const float vx = LEFT, vg = LEFT + 168, vb = LEFT + 236;
	float y = c->y;
	char a[48], b[48], lab[40];
	set_fill(c, MUTED);
	put(c, c->bold, 7.5f, vx, y - 9, 90, "Btw-specificatie", AL_LEFT);
	put(c, c->bold, 7.5f, vg, y - 9, 80, "Grondslag", AL_RIGHT);
	put(c, c->bold, 7.5f, vb, y - 9, 66, "Btw", AL_RIGHT);
	hline(c, vx, vb, y - 13, 0.5f, RULE);
	y -= 9 + SUM_LEAD;
	set_fill(c, INK);
	for (size_t i = 0; i < nvat; i++) {
		const struct invoice_vat *r = &v->vat[i];
		vat_label(r->category, r->rate_bp, lab, sizeof lab);
		fmt_money(r->base_cents, a, sizeof a);
		fmt_money(r->vat_cents, b, sizeof b);
		put(c, c->regular, 9, vx, y, 90, lab, AL_LEFT);
		put(c, c->regular, 9, vg, y, 80, a, AL_RIGHT);
		put(c, c->regular, 9, vb, y, 66, b, AL_RIGHT);
		y -= SUM_LEAD;
	}

	/* the totals, right */
	y = c->y - 9;
	total_row(c, 0, y, "Totaal excl. btw", v->net_cents);
	y -= SUM_LEAD;
	total_row(c, 0, y, "Btw", v->vat_cents);
	hline(c, TOTAL_LABEL_X, RIGHT, y - 5, 0.8f, ACCENT);
	y -= SUM_LEAD + 3;
	total_row(c, 1, y, "Totaal incl. btw", v->gross_cents);
	if (v->paid_cents) {
		y -= SUM_LEAD + 3;
		total_row(c, 0, y, "Reeds betaald", v->paid_cents);
		hline(c, TOTAL_LABEL_X, RIGHT, y - 5, 0.5f, RULE);
		y -= SUM_LEAD + 3;
		total_row(c, 1, y, "Te betalen", v->open_cents);
	}
	c->y -= vat_h > tot_h ? vat_h : tot_h;
}

/* A note paragraph over the full width, moved to the next page whole when it does not fit. */
static void note(struct ctx *c, const struct face *f, const char *utf8)
{
	const float size = 9, lead = 12;
	struct text *t = &c->blk;
	layout(c, t, f, size, WIDTH, utf8, MAX_LINES);
	ensure(c, (float)t->n * lead + 4, 0);
	set_fill(c, INK);
	draw_text(c, t, f, size, LEFT, c->y - 10, lead, AL_LEFT);
	c->y -= (float)t->n * lead + 4;
}

static void notes(struct ctx *c)
{
	const struct invoice_doc *v = c->v;
	char *buf = c->fmt[0], amount[48], iban[IBAN_CAP], due[16];

	c->y -= 16;
	if (v->supplier.kor)
		note(c, c->regular,
		     "Vrijgesteld van btw op grond van de kleineondernemersregeling (KOR).");
	else if (v->any_exempt)
		note(c, c->regular,
		     "Vrijgesteld van btw op grond van artikel 11 van de Wet op de omzetbelasting "
		     "1968.");
	if (v->any_reverse_charge) {
		snprintf(buf, FMT_CAP, "Btw verlegd. Btw-id afnemer: %s.", v->customer.vat_id);
		note(c, c->bold, buf);
	}

	/* the payment instruction, in a shaded box */
	if (v->open_cents > 0) {
		fmt_money(v->open_cents, amount, sizeof amount);
		fmt_date(v->due_date, due, sizeof due);
		fmt_iban(v->supplier.iban, iban, sizeof iban);
		snprintf(
		    buf, FMT_CAP,
		    "Gelieve %s vóór %s over te maken op %s t.n.v. %s onder vermelding van %s.",
		    amount, due, iban, v->supplier.legal_name,
		    v->payment_reference ? v->payment_reference : v->number);
	} else if (v->open_cents < 0) {
		fmt_money(-v->open_cents, amount, sizeof amount);
		snprintf(buf, FMT_CAP, "Het bedrag van %s wordt verrekend of naar u overgemaakt.",
		         amount);
	} else {
		snprintf(buf, FMT_CAP, "%s is volledig betaald.",
		         v->credit_note ? "Deze creditnota" : "Deze factuur");
	}
	const float size = 9.5f, lead = 13, pad = 9;
	struct text *t = &c->blk;
	layout(c, t, c->regular, size, WIDTH - 2 * pad, buf, MAX_LINES);
	float h = (float)t->n * lead + 2 * pad - 3;
	ensure(c, h + 10, 0);
	c->y -= 8;
	fill_rect(c, LEFT, c->y - h, WIDTH, h, SHADE);
	set_fill(c, INK);
	draw_text(c, t, c->regular, size, LEFT + pad, c->y - pad - 7, lead, AL_LEFT);
	c->y -= h;
}

static void footers(struct ctx *c)
{
	const struct invoice_doc *v = c->v;
	char *line = c->fmt[0], iban[IBAN_CAP], page[48];
	int o;

	fmt_iban(v->supplier.iban, iban, sizeof iban);
	o = snprintf(line, FMT_CAP, "%s · KvK %s", v->supplier.legal_name, v->supplier.kvk_number);
	if (v->supplier.vat_id)
		o += snprintf(line + o, FMT_CAP - (size_t)o, " · Btw-id %s", v->supplier.vat_id);
	snprintf(line + o, FMT_CAP - (size_t)o, " · IBAN %s", iban);
	for (unsigned i = 0; i < c->npages; i++) {
		c->page = HPDF_GetPageByIndex(c->pdf, i);
		hline(c, LEFT, RIGHT, FOOTER_Y + 12, 0.5f, RULE);
		set_fill(c, MUTED);
		put(c, c->regular, 7, LEFT, FOOTER_Y, WIDTH - 80, line, AL_LEFT);
		snprintf(page, sizeof page, "Pagina %u van %u", i + 1, c->npages);
		put(c, c->regular, 7.5f, RIGHT, FOOTER_Y, 80, page, AL_RIGHT);
	}
}

/* ---- the document ---------------------------------------------------------------------------- */

static void draw(struct ctx *c)
{
	char title_ascii[INVOICE_TEXT_CODE + 1];
	size_t n = 0;
	/* the title is a PDF text string: printable ASCII only (invoice numbers are) */
	for (const char *p = c->v->number; *p && n < INVOICE_TEXT_CODE; p++)
		title_ascii[n++] = *p >= 0x20 && *p < 0x7F ? *p : '?';
	title_ascii[n] = '\0';
	HPDF_SetCompressionMode(c->pdf, HPDF_COMP_ALL);
	HPDF_SetInfoAttr(c->pdf, HPDF_INFO_TITLE, title_ascii);
	HPDF_SetInfoAttr(c->pdf, HPDF_INFO_CREATOR, "coopd");
	HPDF_UseUTFEncodings(c->pdf);
	for (int i = 0; i < NFACES; i++)
		load_face(c, &c->faces[i], c->font_path[i]);
	c->regular = &c->faces[0];
	c->bold = &c->faces[1];

	start_page(c);
	head(c);
	lines(c);
	summary(c);
	notes(c);
	footers(c);
}

/* Copies the saved document out of libharu's memory stream into c->out. */
static void save(struct ctx *c)
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

/* Everything that can longjmp happens here, on the render thread; c is on the heap, so its
 * fields survive it. */
static void run(void *arg)
{
	struct ctx *c = arg;
	if (setjmp(c->jump) == 0) {
		c->pdf = HPDF_New(on_error, c);
		if (!c->pdf) {
			c->failed = 2;
			return;
		}
		draw(c);
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

static unsigned char *render(const json_t *doc, size_t *len, char *err, size_t errlen,
                             long fail_step)
{
	struct errbuf e = errbuf_of(err, errlen);
	struct invoice_doc v;
	unsigned char *out = NULL;

	if (!len) {
		errbuf_set(&e, "len: NULL");
		return NULL;
	}
	*len = 0;
	if (invoice_doc_read(doc, &v, err, errlen) != 0)
		return NULL;
	struct ctx *c = check_print(&e, &v) == 0 ? calloc(1, sizeof *c) : NULL;
	if (!c) {
		errbuf_set(&e, "out of memory"); /* unless check_print said why */
		invoice_doc_release(&v);
		return NULL;
	}
	c->v = &v;
	c->fail_step = fail_step;
	for (int i = 0; i < NFACES; i++)
		if (font_path(i, c->font_path[i], sizeof c->font_path[i]) != 0)
			c->failed = 3;
	if (!c->failed && run_with_stack(run, c, RENDER_STACK) != 0)
		c->failed = 4;
	if (c->failed == 2)
		errbuf_set(&e, "out of memory");
	else if (c->failed == 3)
		errbuf_set(&e, "COOPD_FONT_DIR: too long");
	else if (c->failed == 4)
		errbuf_set(&e, "pdf: no thread for rendering");
	else if (c->failed)
		errbuf_set(&e, "pdf: libharu error 0x%04X (detail %u)", (unsigned)c->error,
		           (unsigned)c->detail);
	else {
		out = c->out;
		*len = c->out_len;
	}
	free(c);
	invoice_doc_release(&v);
	return out;
}

unsigned char *pdf_render(const json_t *doc, size_t *len, char *err, size_t errlen)
{
	return render(doc, len, err, errlen, -1);
}

unsigned char *pdf_render_failing_at(const json_t *doc, size_t *len, char *err, size_t errlen,
                                     long step)
{
	return render(doc, len, err, errlen, step < 0 ? -1 : step);
}
