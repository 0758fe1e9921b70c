/* Fuzz target: the small parsers of lib/parse.h and the municipality code of lib/ids.h.
 *
 * Input: two option bytes, then the text (any bytes, NUL included). For parse_decimal, the first
 * gives the decimals (its low 7 bits modulo 19) and whether a '-' is allowed (its high bit), the
 * second the limit (one of `limits`, modulo their number). Every parser sees the text in its
 * (ptr, len) form where it has one, and as a NUL-terminated copy.
 *
 * Invariants (abort on violation), each against a reference written differently here:
 * - uuid_valid: 36 bytes, hyphens at 8/13/18/23, hex digits elsewhere (lower case only when
 *   asked); text_is_uuid(_lower) agree on the copy;
 * - parse_date: accepts exactly the YYYY-MM-DD texts from 1900 whose day exists (a day exists
 *   when converting it to a day number and back gives it again), and the days it gives convert
 *   back to the same text; text_is_date agrees;
 * - parse_month: accepts exactly the texts t for which t + "-01" is a date, and gives that date;
 * - parse_decimal: accepts exactly the texts of its grammar whose value (computed in 128 bits)
 *   times 10^decimals is within the limit, and gives that value; the output is untouched on
 *   failure;
 * - municipality_code_valid(_n): "GM" and 4 digits, the two forms agreeing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ids.h"
#include "lib/parse.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int dig(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- UUID ---- */

static int ref_uuid(const char *t, size_t n, int lower)
{
	static const char hex_lower[] = "0123456789abcdef", hex_any[] = "0123456789abcdefABCDEF";
	if (n != 36)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int hyphen_here = i == 8 || i == 13 || i == 18 || i == 23;
		if (hyphen_here != (t[i] == '-'))
			return 0;
		if (!hyphen_here && (!t[i] || !strchr(lower ? hex_lower : hex_any, t[i])))
			return 0;
	}
	return 1;
}

static void check_uuid(const char *t, size_t n, const char *z, int has_nul)
{
	for (int lower = 0; lower <= 1; lower++)
		FUZZ_ASSERT(uuid_valid(t, n, lower) == ref_uuid(t, n, lower));
	FUZZ_ASSERT(!uuid_valid(t, n, 1) || uuid_valid(t, n, 0));
	if (!has_nul) {
		FUZZ_ASSERT(text_is_uuid(z) == uuid_valid(t, n, 0));
		FUZZ_ASSERT(text_is_uuid_lower(z) == uuid_valid(t, n, 1));
	}
}

/* ---- dates ---- */

/* Day numbers since 1970-01-01 and back (proleptic Gregorian; any y, m 1..12, d 1..31: a day
 * that does not exist comes back as another). */
static int64_t to_days(int64_t y, int64_t m, int64_t d)
{
	int64_t a = (14 - m) / 12, yy = y + 4800 - a, mm = m + 12 * a - 3;
	return d + (153 * mm + 2) / 5 + 365 * yy + yy / 4 - yy / 100 + yy / 400 - 32045 - 2440588;
}

static void from_days(int64_t days, int64_t *y, int64_t *m, int64_t *d)
{
	int64_t a = days + 2440588 + 32044, b = (4 * a + 3) / 146097, c = a - 146097 * b / 4;
	int64_t dd = (4 * c + 3) / 1461, e = c - 1461 * dd / 4, mm = (5 * e + 2) / 153;
	*d = e - (153 * mm + 2) / 5 + 1;
	*m = mm + 3 - 12 * (mm / 10);
	*y = 100 * b + dd - 4800 + mm / 10;
}

static int ref_date(const char *t, size_t n)
{
	if (n != 10 || t[4] != '-' || t[7] != '-')
		return 0;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !dig(t[i]))
			return 0;
	int64_t y = ((t[0] - '0') * 10 + t[1] - '0') * 100 + (t[2] - '0') * 10 + t[3] - '0';
	int64_t m = (t[5] - '0') * 10 + t[6] - '0', d = (t[8] - '0') * 10 + t[9] - '0';
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	int64_t y2, m2, d2;
	from_days(to_days(y, m, d), &y2, &m2, &d2);
	return y2 == y && m2 == m && d2 == d;
}

static void check_date(const char *z, size_t n, int has_nul)
{
	int64_t days = INT64_MIN;
	int ok = parse_date(z, &days) == 0;
	FUZZ_ASSERT(ok == text_is_date(z));
	FUZZ_ASSERT(ok == ref_date(z, strlen(z)));
	FUZZ_ASSERT(has_nul || strlen(z) == n);
	if (!ok) {
		FUZZ_ASSERT(days == INT64_MIN);
		return;
	}
	int64_t y, m, d;
	char back[32];
	from_days(days, &y, &m, &d);
	snprintf(back, sizeof back, "%04lld-%02lld-%02lld", (long long)y, (long long)m,
	         (long long)d);
	FUZZ_ASSERT(strcmp(back, z) == 0);
}

static void check_month(const char *t, size_t n)
{
	char first[11] = "untouched!", want[11];
	int ok = parse_month(t, n, first) == 0;
	int ref = n == 7 && (memcpy(want, t, 7), memcpy(want + 7, "-01", 4), ref_date(want, 10));
	FUZZ_ASSERT(ok == ref);
	FUZZ_ASSERT(ok ? strcmp(first, want) == 0 && text_is_date(first)
	               : strcmp(first, "untouched!") == 0);
	FUZZ_ASSERT(parse_month(t, n, NULL) == (ok ? 0 : -1));
}

/* ---- decimals ---- */

static const int64_t limits[] = {0, 1, 999, 999999999999, 999999999999999, INT64_MAX};

static void check_decimal(const char *z, unsigned decimals, unsigned flags, int64_t limit)
{
	const char *p = z;
	int neg = 0, ok = 1;
	unsigned fraction = 0;
	__int128 v = 0;
	const __int128 huge = (__int128)1 << 100;
	if (*p == '-' && (flags & DECIMAL_NEGATIVE)) {
		neg = 1;
		p++;
	}
	size_t idigits = strspn(p, "0123456789");
	ok = idigits > 0;
	for (size_t i = 0; i < idigits; i++)
		v = v < huge ? v * 10 + (p[i] - '0') : huge;
	p += idigits;
	if (ok && *p == '.') {
		size_t f = strspn(p + 1, "0123456789");
		ok = f >= 1 && f <= decimals;
		for (size_t i = 0; ok && i < f; i++)
			v = v < huge ? v * 10 + (p[1 + i] - '0') : huge;
		fraction = (unsigned)f;
		p += 1 + f;
	}
	ok = ok && *p == '\0';
	for (; ok && fraction < decimals; fraction++)
		v = v < huge ? v * 10 : huge;
	ok = ok && v <= limit;

	int64_t got = 4242;
	int rc = parse_decimal(z, decimals, limit, flags, &got);
	FUZZ_ASSERT(rc == (ok ? 0 : -1));
	FUZZ_ASSERT(ok ? got == (int64_t)(neg ? -v : v) : got == 4242);
	FUZZ_ASSERT(parse_decimal(z, decimals, limit, flags, NULL) == rc);
}

/* ---- municipality codes ---- */

static void check_municipality(const char *t, size_t n, const char *z, int has_nul)
{
	int ref = n == 6 && t[0] == 'G' && t[1] == 'M' && dig(t[2]) && dig(t[3]) && dig(t[4]) &&
	          dig(t[5]);
	FUZZ_ASSERT(municipality_code_valid_n(t, n) == ref);
	if (!has_nul)
		FUZZ_ASSERT(municipality_code_valid(z) == ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned decimals = (data[0] & 0x7fu) % 19, flags = data[0] & 0x80u ? DECIMAL_NEGATIVE : 0;
	int64_t limit = limits[data[1] % (sizeof limits / sizeof limits[0])];
	size_t n = size - 2;
	/* the text in an exact-size buffer (ASan sees any read past n), and a NUL-terminated copy
	 */
	char *t = malloc(n ? n : 1), *z = malloc(n + 1);
	FUZZ_ASSERT(t && z);
	memcpy(t, data + 2, n);
	memcpy(z, data + 2, n);
	z[n] = '\0';
	int has_nul = memchr(t, '\0', n) != NULL;

	check_uuid(t, n, z, has_nul);
	check_date(z, n, has_nul);
	check_month(t, n);
	check_decimal(z, decimals, flags, limit);
	check_municipality(t, n, z, has_nul);
	free(t);
	free(z);
	return 0;
}
