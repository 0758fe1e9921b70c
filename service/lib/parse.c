/* The small text formats (see parse.h). */
#include "parse.h"

#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of n ASCII digits at s, or -1 when one is not a digit. */
static int digits(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* ---- UUID ---- */

int uuid_valid(const char *s, size_t n, int lowercase_only)
{
	if (!s || n != UUID_TEXT_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!is_digit(c) && !(c >= 'a' && c <= 'f') &&
		           (lowercase_only || !(c >= 'A' && c <= 'F'))) {
			return 0;
		}
	}
	return 1;
}

int text_is_uuid(const char *s)
{
	return s && uuid_valid(s, strlen(s), 0);
}

int text_is_uuid_lower(const char *s)
{
	return s && uuid_valid(s, strlen(s), 1);
}

/* ---- dates and months ---- */

/* "YYYY-MM" at s (7 bytes): the year (1900..9999) and month (1..12), or -1. */
static int year_month(const char *s, int *y, int *m)
{
	*y = digits(s, 4);
	*m = s[4] == '-' ? digits(s + 5, 2) : -1;
	return *y >= 1900 && *m >= 1 && *m <= 12 ? 0 : -1;
}

static int days_in_month(int y, int m)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return mdays[m - 1] + (m == 2 && leap);
}

int parse_date(const char *s, int64_t *days)
{
	int y, m, d;
	if (!s || strlen(s) != 10 || year_month(s, &y, &m) != 0 || s[7] != '-')
		return -1;
	d = digits(s + 8, 2);
	if (d < 1 || d > days_in_month(y, m))
		return -1;
	if (days) {
		/* H. Hinnant's days_from_civil (y >= 1900, so no negative eras) */
		int64_t yy = y - (m <= 2);
		int64_t era = yy / 400, yoe = yy - era * 400;
		int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		*days = era * 146097 + doe - 719468;
	}
	return 0;
}

int text_is_date(const char *s)
{
	return parse_date(s, NULL) == 0;
}

int parse_month(const char *s, size_t n, char first_day[11])
{
	int y, m;
	if (!s || n != 7 || year_month(s, &y, &m) != 0)
		return -1;
	if (first_day) {
		memcpy(first_day, s, 7);
		memcpy(first_day + 7, "-01", 4);
	}
	return 0;
}

/* ---- decimals ---- */

/* *v = *v * 10 + d within limit; -1 when it would exceed it. */
static int shift_in(int64_t *v, int d, int64_t limit)
{
	if (d > limit || *v > (limit - d) / 10)
		return -1;
	*v = *v * 10 + d;
	return 0;
}

int parse_decimal(const char *s, unsigned decimals, int64_t limit, unsigned flags, int64_t *scaled)
{
	int64_t v = 0;
	unsigned fraction = 0;
	int neg = 0;
	if (!s || limit < 0 || decimals > 18)
		return -1;
	if (*s == '-' && (flags & DECIMAL_NEGATIVE)) {
		neg = 1;
		s++;
	}
	if (!is_digit(*s))
		return -1;
	for (; is_digit(*s); s++) /* leading zeros keep v at 0: "000…07" is 7 */
		if (shift_in(&v, *s - '0', limit) != 0)
			return -1;
	if (*s == '.') {
		for (s++; is_digit(*s); s++, fraction++)
			if (fraction == decimals || shift_in(&v, *s - '0', limit) != 0)
				return -1;
		if (fraction == 0)
			return -1;
	}
	if (*s)
		return -1;
	for (; fraction < decimals; fraction++)
		if (shift_in(&v, 0, limit) != 0)
			return -1;
	if (scaled)
		*scaled = neg ? -v : v;
	return 0;
}
