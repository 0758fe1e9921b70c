/* Identifier checks: the rules and test vectors of RULES.md §4 (see ids.h). ASCII only; the
 * <ctype.h> classes are not used because they depend on the locale. */
#include "ids.h"

#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_upper_alnum(char c)
{
	return is_digit(c) || is_upper(c);
}

static char to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* 1 when s[0..n) are all digits. */
static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* Feeds one character into a running ISO 7064 mod 97 remainder: a digit appends one decimal
 * digit, a letter appends its value A=10..Z=35 as two. The remainder stays below 97, so
 * r * 100 + 35 never overflows: no big numbers. The caller passes only [0-9A-Z]. */
static unsigned mod97_step(unsigned r, char c)
{
	if (is_digit(c))
		return (r * 10 + (unsigned)(c - '0')) % 97;
	return (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
}

/* The 11-test of RULES.md §4 on 9 digits: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 ≡ 0 (mod 11).
 * 000000000 passes the arithmetic but is no number, so it is rejected. */
static int eleven_test(const char *d)
{
	static const int weight[9] = {9, 8, 7, 6, 5, 4, 3, 2, -1};
	int sum = 0, nonzero = 0;

	for (int i = 0; i < 9; i++) {
		sum += weight[i] * (d[i] - '0');
		nonzero |= d[i] != '0';
	}
	return nonzero && sum % 11 == 0;
}

/* RULES.md §4: exactly 8 digits (no check digit). */
int kvk_valid(const char *s)
{
	return s && strlen(s) == 8 && digits(s, 8);
}

/* RULES.md §4: 9 digits, 11-test with weights 9..2 and -1. */
int rsin_valid(const char *s)
{
	return s && strlen(s) == 9 && digits(s, 9) && eleven_test(s);
}

/* RULES.md §4: "NL" + 9 digits + "B" + 2 digits; the whole string passes ISO 7064 mod 97
 * (the method of the ids issued to sole proprietors since 2020) or the 9 digits pass the
 * 11-test (the older ids, RSIN-based). 9 zeros are rejected as for the RSIN, although
 * NL000000000B73 satisfies the mod 97 formula. */
int vat_id_nl_valid(const char *s)
{
	if (!s || strlen(s) != 14 || s[0] != 'N' || s[1] != 'L' || !digits(s + 2, 9) ||
	    s[11] != 'B' || !digits(s + 12, 2) || strncmp(s + 2, "000000000", 9) == 0)
		return 0;
	unsigned r = 0;
	for (int i = 0; i < 14; i++)
		r = mod97_step(r, s[i]);
	return r == 1 || eleven_test(s + 2);
}

/* Any country: 2 upper-case letters + 2..13 upper-case letters or digits; NL ids must pass the
 * Dutch check, others are checked for format only (customers abroad). */
int vat_id_valid(const char *s)
{
	if (!s)
		return 0;
	size_t len = strlen(s);
	if (len < 4 || len > 15 || !is_upper(s[0]) || !is_upper(s[1]))
		return 0;
	for (size_t i = 2; i < len; i++)
		if (!is_upper_alnum(s[i]))
			return 0;
	if (s[0] == 'N' && s[1] == 'L')
		return vat_id_nl_valid(s);
	return 1;
}

/* RULES.md §4: move the first 4 characters to the end, letters A=10..Z=35, mod 97 == 1; an NL
 * IBAN has 18 characters. Also ISO 13616: at most 34 characters; the shortest national format
 * (Norway) has 15; check digits 00, 01 and 99 are never issued (01 and 99 are the aliases of 98
 * and 02 that mod 97 alone would accept). */
int iban_valid(const char *s)
{
	if (!s)
		return 0;
	size_t len = strlen(s);
	if (len < 15 || len > 34 || !is_upper(s[0]) || !is_upper(s[1]) || !digits(s + 2, 2))
		return 0;
	if ((s[2] == '0' && (s[3] == '0' || s[3] == '1')) || (s[2] == '9' && s[3] == '9'))
		return 0;
	for (size_t i = 4; i < len; i++)
		if (!is_upper_alnum(s[i]))
			return 0;
	if (s[0] == 'N' && s[1] == 'L') {
		/* NLkk BBBB CCCCCCCCCC: bank code of 4 letters, account number of 10 digits. */
		if (len != 18 || !is_upper(s[4]) || !is_upper(s[5]) || !is_upper(s[6]) ||
		    !is_upper(s[7]) || !digits(s + 8, 10))
			return 0;
	}
	unsigned r = 0;
	for (size_t i = 4; i < len; i++)
		r = mod97_step(r, s[i]);
	for (size_t i = 0; i < 4; i++)
		r = mod97_step(r, s[i]);
	return r == 1;
}

void iban_normalize(const char *in, char *out, size_t n)
{
	if (!out || n == 0)
		return;
	out[0] = '\0';
	if (!in)
		return;
	size_t k = 0;
	for (const char *p = in; *p; p++) {
		if (*p == ' ')
			continue;
		if (k + 1 >= n) {
			out[0] = '\0'; /* does not fit: never hand back a truncated IBAN */
			return;
		}
		out[k++] = to_upper(*p);
	}
	out[k] = '\0';
}

/* RULES.md §4: 4 digits (the first not 0), an optional space, 2 letters, not SA, SD or SS
 * (PostNL does not issue these letter pairs). */
int postal_code_nl_valid(const char *s)
{
	if (!s)
		return 0;
	size_t len = strlen(s);
	if (len != 6 && len != 7)
		return 0;
	if (s[0] < '1' || s[0] > '9' || !digits(s + 1, 3))
		return 0;
	if (len == 7 && s[4] != ' ')
		return 0;
	const char *l = s + len - 2;
	if (!is_upper(l[0]) || !is_upper(l[1]))
		return 0;
	return !(l[0] == 'S' && (l[1] == 'A' || l[1] == 'D' || l[1] == 'S'));
}

void postal_code_nl_normalize(const char *in, char *out, size_t n)
{
	if (!out || n == 0)
		return;
	out[0] = '\0';
	if (!in)
		return;
	const char *b = in, *e = in + strlen(in);
	while (b < e && *b == ' ')
		b++;
	while (e > b && e[-1] == ' ')
		e--;
	size_t len = (size_t)(e - b);
	/* "1234AB", "1234 AB", "1234   ab": 4 characters, spaces, 2 characters. */
	size_t gap = 0;
	while (len >= 4 && 4 + gap < len && b[4 + gap] == ' ')
		gap++;
	if (len >= 6 && len - gap == 6) {
		if (n < 8)
			return;
		for (int i = 0; i < 4; i++)
			out[i] = to_upper(b[i]);
		out[4] = ' ';
		out[5] = to_upper(b[len - 2]);
		out[6] = to_upper(b[len - 1]);
		out[7] = '\0';
		return;
	}
	if (len + 1 > n)
		return;
	for (size_t i = 0; i < len; i++)
		out[i] = to_upper(b[i]);
	out[len] = '\0';
}

/* RULES.md §4: "GM" + 4 digits (CBS). */
int municipality_code_valid_n(const char *s, size_t n)
{
	return s && n == 6 && s[0] == 'G' && s[1] == 'M' && digits(s + 2, 4);
}

int municipality_code_valid(const char *s)
{
	return s && municipality_code_valid_n(s, strlen(s));
}

/* ISO 9362 as ISO 20022 writes it (BICIdentifier, [A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?):
 * bank (4 letters), country (2 letters), location (2 alnum: the first not 0 or 1, the second not
 * the letter O), branch (3 alnum, optional). A BIC a SEPA file could not carry is refused on
 * input. */
int bic_valid(const char *s)
{
	if (!s)
		return 0;
	size_t len = strlen(s);
	if (len != 8 && len != 11)
		return 0;
	for (size_t i = 0; i < 6; i++)
		if (!is_upper(s[i]))
			return 0;
	for (size_t i = 6; i < len; i++)
		if (!is_upper_alnum(s[i]))
			return 0;
	return s[6] != '0' && s[6] != '1' && s[7] != 'O';
}

/* Plausible, not proven: the mailbox is only known to exist once a message arrives. 254 bytes
 * is the longest address a path (RFC 5321, 256 with the angle brackets) can carry. */
int email_plausible(const char *s)
{
	if (!s)
		return 0;
	size_t len = strlen(s);
	if (len > 254)
		return 0;
	const char *at = NULL;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f)
			return 0;
		if (c == '@') {
			if (at)
				return 0;
			at = p;
		}
	}
	if (!at || at == s)
		return 0;
	/* domain: labels separated by single dots, at least two, none empty */
	const char *d = at + 1;
	int dots = 0;
	if (*d == '\0' || *d == '.' || s[len - 1] == '.')
		return 0;
	for (const char *p = d; *p; p++) {
		if (*p == '.') {
			if (p[1] == '.')
				return 0;
			dots++;
		}
	}
	return dots > 0;
}
