/* Checking rendered PDFs in unit tests (test_pdf.c, test_statement_pdf.c): the framing of a
 * PDF, its text through pdftotext (poppler-utils) with white space squeezed, the check that
 * every word lies within the page margins, HAS/LACKS checks on the text, and the contract every
 * renderer keeps (a libharu error at any drawing step fails cleanly, the same document gives
 * the same bytes on any thread, a 64 KiB stack is enough). The PDFs and their text checks need
 * PDF_OUT_DIR (a directory to write them to); without it the text checks are skipped. */
#ifndef COOPD_PDF_TEXT_H
#define COOPD_PDF_TEXT_H
#include "unit.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uninorm.h>

static inline const char *out_dir(void)
{
	const char *d = getenv("PDF_OUT_DIR");
	return d && *d && !strchr(d, '\'') ? d : NULL;
}

static inline int framed(const unsigned char *b, size_t n)
{
	if (!b || n < 10 || memcmp(b, "%PDF-", 5) != 0)
		return 0;
	while (n && (b[n - 1] == '\n' || b[n - 1] == '\r'))
		n--;
	return n >= 5 && memcmp(b + n - 5, "%%EOF", 5) == 0;
}

/* Collapses every run of white space to one space, so that line breaks do not matter. */
static inline void squeeze(char *s)
{
	char *o = s;
	int space = 0;
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			space = 1;
			continue;
		}
		if (space && o != s)
			*o++ = ' ';
		space = 0;
		*o++ = *s;
	}
	*o = '\0';
}

/* The text of the PDF twice: in reading order and then with -layout (a table row stays
 * together), white space squeezed. pdftotext's stderr is dropped: it warns about every page
 * that libharu 2.3.0's ToUnicode CMap uses "begincidrange", while the text comes out right. */
static inline char *run_pdftotext(const char *path)
{
	char cmd[1400], *text = NULL;
	size_t len = 0, cap = 0, n;
	snprintf(cmd, sizeof cmd,
	         "pdftotext -enc UTF-8 '%s' - 2>/dev/null && echo '|' && "
	         "pdftotext -layout -enc UTF-8 '%s' - 2>/dev/null",
	         path, path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *t = realloc(text, cap += 65536);
			if (!t)
				break;
			text = t;
		}
		n = fread(text + len, 1, cap - len - 1, p);
		len += n;
	} while (n > 0);
	if (pclose(p) != 0) {
		free(text);
		return NULL;
	}
	if (text) {
		text[len] = '\0';
		squeeze(text);
	}
	return text;
}

/* Every word of the PDF lies within the page's margins (56 pt left and right; pdftotext -bbox
 * measures words by the advance widths of their glyphs). */
static inline void within_margins(const char *path)
{
	char cmd[700], buf[8192];
	int words = 0, outside = 0;
	snprintf(cmd, sizeof cmd, "pdftotext -bbox '%s' - 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	CHECK(p != NULL);
	while (p && fgets(buf, sizeof buf, p)) {
		double x0, y0, x1, y1;
		const char *w = strstr(buf, "<word ");
		if (!w || sscanf(w, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"",
		                 &x0, &y0, &x1, &y1) != 4)
			continue;
		words++;
		if (x0 < 55.5 || x1 > 539.8 || y0 < 0 || y1 > 841.89) {
			if (outside++ < 5)
				fprintf(stderr, "  %s: a word outside the margins: %s", path, w);
		}
	}
	if (p)
		CHECK(pclose(p) == 0);
	CHECK(words > 0);
	CHECK_INT(outside, 0);
}

static inline void has(const char *text, const char *needle, int line)
{
	char want[1024];
	snprintf(want, sizeof want, "%s", needle);
	squeeze(want);
	if (text && !strstr(text, want)) {
		fprintf(stderr, "  %s:%d: text lacks \"%s\"\n", __FILE__, line, want);
		unit_failed_checks++;
	}
}

/* s in NFKC (presentation forms become letters) without the bidi controls pdftotext puts
 * around right-to-left runs; malloc'ed. */
static inline char *nfkc(const char *s)
{
	size_t n = 0;
	uint8_t *r = u8_normalize(UNINORM_NFKC, (const uint8_t *)s, strlen(s), NULL, &n);
	char *out = malloc(n + 1), *o = out;
	for (size_t i = 0; r && out && i < n; i++) {
		/* U+202A..U+202E are E2 80 AA..AE */
		if (i + 2 < n && r[i] == 0xE2 && r[i + 1] == 0x80 && r[i + 2] >= 0xAA &&
		    r[i + 2] <= 0xAE) {
			i += 2;
			continue;
		}
		*o++ = (char)r[i];
	}
	if (out)
		*o = '\0';
	free(r);
	return out;
}

/* As has(), after NFKC of both: for right-to-left text, which pdftotext gives back in logical
 * order but in the presentation forms the PDF draws. */
static inline void has_nfkc(const char *text, const char *needle, int line)
{
	char *t = text ? nfkc(text) : NULL, *n = nfkc(needle);
	if (text && (!t || !n || !strstr(t, n))) {
		fprintf(stderr, "  %s:%d: text lacks (NFKC) \"%s\"\n", __FILE__, line, needle);
		unit_failed_checks++;
	}
	free(t);
	free(n);
}

static inline void lacks(const char *text, const char *needle, int line)
{
	if (text && strstr(text, needle)) {
		fprintf(stderr, "  %s:%d: text has \"%s\"\n", __FILE__, line, needle);
		unit_failed_checks++;
	}
}

/* As lacks(), in any case of ASCII letters. */
static inline void lacks_ci(const char *text, const char *needle, int line)
{
	if (text && strcasestr(text, needle)) {
		fprintf(stderr, "  %s:%d: text has \"%s\" (in some case)\n", __FILE__, line,
		        needle);
		unit_failed_checks++;
	}
}

static inline int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; text && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Writes pdf (len bytes) as PDF_OUT_DIR/file, checks that it stays within the margins and
 * returns its text (the caller frees it); NULL, and nothing written, without PDF_OUT_DIR.
 * Frees pdf. */
static inline char *pdf_text_of(const char *file, unsigned char *pdf, size_t len)
{
	char path[600];
	const char *dir = out_dir();
	if (!dir) {
		free(pdf);
		return NULL;
	}
	mkdir(dir, 0777); /* an existing directory is fine; fopen reports the rest */
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK(fwrite(pdf, 1, len, f) == len);
		CHECK(fclose(f) == 0);
	}
	free(pdf);
	within_margins(path);
	char *text = run_pdftotext(path);
	CHECK(text != NULL);
	return text;
}

/* A string of n characters: word repeated (UTF-8, whole characters); malloc'ed. */
static inline char *filler_chars(const char *word, size_t n)
{
	size_t wl = strlen(word), o = 0;
	char *s = malloc(n * 4 + 1);
	for (size_t i = 0, k = 0; s && i < n; i++) {
		do
			s[o++] = word[k++ % wl];
		while (((unsigned char)word[k % wl] & 0xC0) == 0x80);
	}
	if (s)
		s[o] = '\0';
	return s;
}

/* ---- the renderers' common contract -----------------------------------------------------------
 */

typedef unsigned char *(*pdf_render_fn)(const json_t *doc, size_t *len, char *err, size_t errlen);
typedef unsigned char *(*pdf_render_failing_fn)(const json_t *doc, size_t *len, char *err,
                                                size_t errlen, long step);

/* Makes libharu report an error at the first, second, ... drawing step until a render of doc
 * succeeds: every failure must be a NULL with "libharu error" and *len 0, never a crash and
 * (under ASan) never a leak. Returns the PDF that finally rendered (the caller frees it), and the
 * number of failing steps in *steps. */
static inline unsigned char *pdf_fail_at_every_step(pdf_render_failing_fn render, const json_t *doc,
                                                    size_t *len, long *steps)
{
	int bad = 0;
	unsigned char *pdf = NULL;
	long n;
	for (n = 0; n < 100000 && !pdf; n++) {
		char err[128] = "";
		*len = 1;
		pdf = render(doc, len, err, sizeof err, n);
		if (!pdf && (*len != 0 || !strstr(err, "libharu error")) && bad++ < 3)
			fprintf(stderr, "  step %ld: len %zu, \"%s\"\n", n, *len, err);
	}
	CHECK_INT(bad, 0);
	CHECK(pdf != NULL && framed(pdf, *len));
	*steps = n - 1;
	CHECK(*steps > 100 && *steps < 100000);
	printf("     (a libharu error at each of %ld steps: all reported)\n", *steps);
	return pdf;
}

/* doc is refused: NULL, *len 0, and a message containing want (line: the caller's, for the
 * report). Takes doc (decref'ed here). */
static inline void pdf_check_refused(pdf_render_fn render, json_t *doc, const char *want, int line)
{
	char err[256] = "";
	size_t len = 7;
	unsigned char *pdf = render(doc, &len, err, sizeof err);
	if (pdf || len != 0 || !strstr(err, want)) {
		fprintf(stderr, "  %s:%d: expected a refusal with \"%s\", got %s \"%s\"\n",
		        __FILE__, line, want, pdf ? "a PDF" : "NULL", err);
		unit_failed_checks++;
	}
	free(pdf);
	json_decref(doc);
}

struct pdf_job {
	pdf_render_fn render;
	const json_t *doc;
	const unsigned char *expect;
	size_t expect_len;
	int times, mismatches;
};

static inline void *pdf_render_times(void *arg)
{
	struct pdf_job *j = arg;
	for (int i = 0; i < j->times; i++) {
		size_t len;
		char err[128];
		unsigned char *pdf = j->render(j->doc, &len, err, sizeof err);
		if (!pdf || len != j->expect_len || memcmp(pdf, j->expect, len) != 0)
			j->mismatches++;
		free(pdf);
	}
	return NULL;
}

/* The same document gives the same bytes: once more in a row, and `times` times on each of four
 * threads at once. */
static inline void pdf_check_same_bytes(pdf_render_fn render, const json_t *doc, int times)
{
	size_t len = 0;
	char err[128] = "";
	unsigned char *expect = render(doc, &len, err, sizeof err);
	CHECK(expect != NULL);
	if (!expect)
		return;
	struct pdf_job again = {render, doc, expect, len, 1, 0};
	pdf_render_times(&again);
	CHECK_INT(again.mismatches, 0);
	pthread_t th[4];
	struct pdf_job jobs[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct pdf_job){render, doc, expect, len, times, 0};
		CHECK(pthread_create(&th[i], NULL, pdf_render_times, &jobs[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(jobs[i].mismatches, 0);
	}
	free(expect);
}

struct pdf_small_job {
	pdf_render_fn render;
	const json_t *doc;
	size_t len;
	char err[128];
	int ok;
};

static inline void *pdf_render_once(void *arg)
{
	struct pdf_small_job *j = arg;
	unsigned char *pdf = j->render(j->doc, &j->len, j->err, sizeof j->err);
	j->ok = pdf && framed(pdf, j->len);
	free(pdf);
	return NULL;
}

/* The renderer asks little stack of its caller (civetweb's workers have 100 KiB in Debian's
 * build; libharu's UTF-8 fonts alone take 128 KiB, on the renderer's own thread): doc renders
 * on a thread with a 64 KiB stack, under ASan too. */
static inline void pdf_check_small_stack(pdf_render_fn render, const json_t *doc, const char *name)
{
	struct pdf_small_job j = {render, doc, 0, "", 0};
	pthread_attr_t attr;
	pthread_t th;
	CHECK(pthread_attr_init(&attr) == 0);
	CHECK(pthread_attr_setstacksize(&attr, 64 * 1024) == 0);
	int rc = pthread_create(&th, &attr, pdf_render_once, &j);
	CHECK(rc == 0);
	if (rc == 0)
		pthread_join(th, NULL);
	pthread_attr_destroy(&attr);
	if (!j.ok)
		fprintf(stderr, "  %s on a 64 KiB stack: %s\n", name, j.err);
	CHECK(j.ok);
}

#define HAS(t, s)      has(t, s, __LINE__)
#define HAS_NFKC(t, s) has_nfkc(t, s, __LINE__)
#define LACKS(t, s)    lacks(t, s, __LINE__)
#define LACKS_CI(t, s) lacks_ci(t, s, __LINE__)

#endif
