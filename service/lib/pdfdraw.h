/* The drawing layer of coopd's PDF documents (the invoice, lib/pdf.h; the member's monthly
 * statement, lib/statement_pdf.h): A4 pages in DejaVu Sans with every valid UTF-8 text rendered,
 * amounts and dates in Dutch notation, lines, shaded boxes, and the machinery that runs a
 * document's drawing on a thread with a large stack, turns every libharu error into a clean
 * failure and hands back the saved PDF. Used by the renderers in lib/ only.
 *
 * Text: drawn in DejaVu Sans and DejaVu Sans Bold, embedded (only the glyphs used), read from
 * COOPD_FONT_DIR or else /usr/share/fonts/truetype/dejavu (Debian: fonts-dejavu-core) at every
 * render. Decomposed accents are composed (NFC); Arabic and Hebrew are shaped and ordered
 * right-to-left (FriBidi); a character the font has no glyph for prints as its compatibility
 * equivalent (𝕏 as X) or else as U+FFFD; control characters print as spaces. Long texts wrap,
 * and are cut with an ellipsis where their block ends.
 *
 * A document's draw function gets a struct pd and draws with the pd_ functions. Every one of
 * them may longjmp out on a libharu error (pd_render catches it): between pd_render's start and
 * its return the draw function must not allocate anything of its own. */
#ifndef COOPD_PDFDRAW_H
#define COOPD_PDFDRAW_H

#include "errbuf.h"

#include <fribidi/fribidi.h>
#include <hpdf.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#define NBSP "\xc2\xa0" /* UTF-8 no-break space: keeps "€ 12,00" and IBAN groups together */

/* ---- page geometry (points) and colours ----------------------------------------------------- */
#define PAGE_W   595.276f
#define PAGE_H   841.89f
#define LEFT     56.0f
#define RIGHT    (PAGE_W - 56.0f)
#define WIDTH    (RIGHT - LEFT)
#define TOP      (PAGE_H - 48.0f)
#define BOTTOM   76.0f /* content stays above; the footer is below */
#define FOOTER_Y 40.0f

struct pd_rgb {
	float r, g, b;
};
static const struct pd_rgb PD_INK = {0.12f, 0.12f, 0.14f};
static const struct pd_rgb PD_MUTED = {0.42f, 0.44f, 0.48f};
static const struct pd_rgb PD_ACCENT = {0.07f, 0.26f, 0.42f};
static const struct pd_rgb PD_RULE = {0.78f, 0.80f, 0.83f};
static const struct pd_rgb PD_SHADE = {0.925f, 0.94f, 0.955f};

enum pd_align { PD_LEFT, PD_RIGHT };

/* ---- capacities ------------------------------------------------------------------------------
 * Code points of one text block: the longest document text (4,000 characters) even after NFC,
 * which can make three of one; a longer text is cut (its block would be cut by PD_MAX_LINES
 * anyway). */
#define TEXT_CAP     4096
#define PD_MAX_LINES 64
#define FMT_CAP      4096 /* bytes of one composed text: two names and an activity, 4 bytes each */
#define IBAN_CAP     320  /* an IBAN of 64 characters with its no-break spaces */
#define PD_NFACES    2
#define PD_PATH_CAP  4096

/* A loaded font: the libharu font (UTF-8 encoder) and its TrueType data. */
struct pd_face {
	HPDF_Font font;
	HPDF_FontDef def;
	HPDF_UINT16 gid[256]; /* the glyphs and advances of U+0000..U+00FF, looked up once */
	short adv[256];
	int ellipsis; /* the advance of U+2026 */
};

/* A text block laid out in lines of at most a given width: code points in visual order, the
 * width of each line in 1/1000 em (the last line of a cut text ends in U+2026). */
struct pd_text {
	uint32_t cp[TEXT_CAP + 1];
	int n, truncated;
	unsigned short off[PD_MAX_LINES], len[PD_MAX_LINES];
	int units[PD_MAX_LINES];
	size_t used;
};

/* The work arrays of pd_layout(): the text in its stages, and per paragraph what FriBidi
 * needs. */
struct pd_shaping {
	uint32_t in[TEXT_CAP], nfc[TEXT_CAP];
	FriBidiChar cps[TEXT_CAP], orig[TEXT_CAP];
	FriBidiCharType types[TEXT_CAP];
	FriBidiBracketType brackets[TEXT_CAP];
	FriBidiLevel levels[TEXT_CAP];
	FriBidiArabicProp props[TEXT_CAP];
	int adv[TEXT_CAP];
	int loff[PD_MAX_LINES], llen[PD_MAX_LINES];
};

/* One rendering: heap-allocated by pd_render, with every large work buffer. A draw function
 * reads doc, regular, bold, page, npages and y, and may use blk and fmt as scratch. */
struct pd {
	const void *doc; /* the document being drawn (the renderer's own struct) */
	/* draws the head of a continuation page (pages 2..n) from TOP down and sets y below it;
	 * NULL: none */
	void (*continuation)(struct pd *c);
	const struct pd_face *regular, *bold;
	HPDF_Doc pdf;
	HPDF_Page page;
	unsigned npages;
	float y;                 /* the top of the free space on the current page */
	struct pd_text blk, one; /* a block being laid out and drawn; a single line (pd_put()) */
	char fmt[4][FMT_CAP];

	/* the layer's own */
	void (*draw)(struct pd *c);
	char title[128];
	jmp_buf jump;
	struct pd_face faces[PD_NFACES];
	HPDF_STATUS error, detail;
	long steps, fail_step; /* test hook: libharu reports an error at drawing step fail_step */
	int failed;
	unsigned char *out;
	size_t out_len;
	char font_path[PD_NFACES][PD_PATH_CAP];
	struct pd_shaping sh;
	char utf8[3 * (TEXT_CAP + 1) + 1];
};

/* Renders a document: sets up the PDF (fonts loaded into c->regular and c->bold, the title, an
 * ASCII text string, in its metadata), calls draw(c) with c->doc = doc, and returns the saved
 * PDF, malloc'ed (the caller frees it), with its length in *len; or NULL with the reason in e.
 * fail_step >= 0: for tests, libharu reports an error at that drawing step (pages, text runs,
 * rules, fills and the save count). Thread-safe; draws on a thread of its own with a large
 * stack (libharu puts 128 KiB on the stack for a UTF-8 font). */
unsigned char *pd_render(void (*draw)(struct pd *c), const void *doc, const char *title,
                         long fail_step, size_t *len, struct errbuf *e);

/* The start-up check of the fonts: 0 when both font files are readable TrueType fonts that
 * libharu loads; else -1 with a message naming the file in err (errlen bytes). Reads
 * COOPD_FONT_DIR. Call it before threads start. */
int pdf_fonts_check(char *err, size_t errlen);

/* ---- pages ----------------------------------------------------------------------------------- */
/* Adds an A4 page, makes it current and sets y to TOP; pages after the first get their
 * continuation head. */
void pd_new_page(struct pd *c);
/* Starts a new page unless h points fit above the footer: 1 when it did. */
int pd_ensure(struct pd *c, float h);
/* Once every page is drawn: on each, below a rule, the document's footer — line, and under it
 * second when given — on the left (line in a smaller size where it must, to show whole;
 * second cut where it must) and "Pagina i van n" on the right. */
void pd_footers(struct pd *c, const char *line, const char *second);

/* ---- text ------------------------------------------------------------------------------------ */
/* Lays utf8 out in lines of at most width (points) at size; '\n' starts a new line. At most
 * max_lines lines: the last one of a longer text ends in an ellipsis. */
void pd_layout(struct pd *c, struct pd_text *t, const struct pd_face *f, float size, float width,
               const char *utf8, int max_lines);
/* The width of utf8 set in one line. */
float pd_text_width(struct pd *c, const struct pd_face *f, float size, const char *utf8);
/* Draws a laid-out text, line i with its baseline at y - i * leading. */
void pd_draw_text(struct pd *c, const struct pd_text *t, const struct pd_face *f, float size,
                  float x, float y, float leading, enum pd_align al);
/* One line of UTF-8 text, cut with an ellipsis when wider than width; x is its left or right
 * end. */
void pd_put(struct pd *c, const struct pd_face *f, float size, float x, float y, float width,
            const char *utf8, enum pd_align al);
/* One line of UTF-8 text that must show whole (an invoice number, a name, an amount): in a
 * smaller size, down to 7 pt, when it is wider than width at size; only then cut. */
void pd_put_whole(struct pd *c, const struct pd_face *f, float size, float x, float y, float width,
                  const char *utf8, enum pd_align al);
/* A wrapped block from the baseline y down; returns the baseline below its last line. */
float pd_block(struct pd *c, const struct pd_face *f, float size, float x, float y, float width,
               float leading, const char *utf8, int max_lines);

/* ---- rules and fills ------------------------------------------------------------------------- */
void pd_set_fill(struct pd *c, struct pd_rgb col);
void pd_hline(struct pd *c, float x0, float x1, float y, float w, struct pd_rgb col);
void pd_fill_rect(struct pd *c, float x, float y, float w, float h, struct pd_rgb col);

/* ---- Dutch notation (integer arithmetic only) ------------------------------------------------ */
/* 123456 -> "€ 1.234,56", -5 -> "€ -0,05" (the space is a no-break space). */
void pd_money(int64_t cents, char *out, size_t n);
/* Thousandths -> "-1.500,25": grouped, trailing fraction zeros dropped, no sign on zero. */
void pd_quantity(int64_t milli, char *out, size_t n);
/* Basis points -> 2100 "21%", 550 "5,5%", 925 "9,25%". */
void pd_rate(int64_t bp, char *out, size_t n);
/* A checked date "2026-03-31" -> "31-03-2026". */
void pd_date(const char *s, char *out, size_t n);
/* "NL91ABNA0417164300" -> "NL91 ABNA 0417 1643 00" (no-break spaces). */
void pd_iban(const char *s, char *out, size_t n);

#endif
