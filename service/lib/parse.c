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

/* H. Hinnant's civil_from_days: the date of a day counted from 1970-01-01, as YYYY-MM-DD. */
static void date_from_days(int64_t z, char out[11])
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	int y = (int)(yoe + era * 400 + (m <= 2));
	const int parts[][2] = {{y, 4}, {m, 2}, {d, 2}}; /* y is 1900..9999 here */
	char *o = out;
	for (int i = 0; i < 3; i++) {
		for (int k = parts[i][1] - 1, v = parts[i][0]; k >= 0; k--, v /= 10)
			o[k] = (char)('0' + v % 10);
		o += parts[i][1];
		*o++ = i < 2 ? '-' : '\0';
	}
}

/* Days since 1970-01-01 of 1 January (mday 1) or 4 January (mday 4) of year y. */
static int64_t january(int y, int mday)
{
	char s[11] = "0000-01-0";
	for (int k = 3, v = y; k >= 0; k--, v /= 10)
		s[k] = (char)('0' + v % 10);
	s[9] = (char)('0' + mday);
	s[10] = '\0';
	int64_t days = 0;
	parse_date(s, &days);
	return days;
}

int parse_iso_week(const char *s, char monday[11])
{
	if (!s || strlen(s) != 8 || s[4] != '-' || s[5] != 'W')
		return -1;
	int y = digits(s, 4), w = digits(s + 6, 2);
	if (y < 1900 || y > 9998 || w < 1 || w > 53)
		return -1;
	/* 4 January always lies in week 1; 1970-01-01 was a Thursday (ISO weekday 4). */
	int64_t jan4 = january(y, 4);
	int64_t weekday = ((jan4 % 7) + 7 + 3) % 7; /* 0 = Monday */
	int64_t day = jan4 - weekday + 7 * (int64_t)(w - 1);
	if (day + 3 >= january(y + 1, 1)) /* its Thursday lies in the next year: no week 53 */
		return -1;
	if (monday)
		date_from_days(day, monday);
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
