/* HTTP header fields (httphdr.h). */
#include "httphdr.h"

#include <string.h>
#include <strings.h>

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static size_t token_len(const char *p)
{
	size_t n = 0;
	while (is_tchar((unsigned char)p[n]))
		n++;
	return n;
}

/* The length of the quoted-string at p, quotes included; 0 when there is none. */
static size_t quoted_len(const char *p)
{
	if (*p != '"')
		return 0;
	for (size_t n = 1;;) {
		unsigned char c = (unsigned char)p[n];
		if (c == '"')
			return n + 1;
		if (c == '\\') {
			unsigned char e = (unsigned char)p[n + 1];
			if (!e || (e < 0x20 && e != '\t') || e == 0x7f)
				return 0;
			n += 2;
			continue;
		}
		if (!c || (c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
		n++;
	}
}

/* After the next comma outside a quoted-string, or at the end. */
static const char *skip_entry(const char *p)
{
	while (*p && *p != ',') {
		size_t q = *p == '"' ? quoted_len(p) : 1;
		p += q ? q : 1;
	}
	return *p ? p + 1 : p;
}

/* qvalue (RFC 9110 §12.4.2) in thousandths, or -1. */
static int qvalue(const char *v, size_t n)
{
	if (n == 0 || n > 5 || (v[0] != '0' && v[0] != '1'))
		return -1;
	int q = (v[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (v[1] != '.')
		return -1;
	int scale = 100;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (v[i] < '0' || v[i] > '9' || (q == 1000 && v[i] != '0'))
			return -1;
		q += (v[i] - '0') * scale;
	}
	return q;
}

static int ieq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

struct range {
	const char *type, *sub;
	size_t tlen, slen;
	int q;        /* thousandths */
	int params;   /* media-type parameters before q */
	int excel;    /* dialect=excel */
	int unusable; /* a parameter coopd cannot honour */
};

/* One entry of Accept at *pp; *pp moves past its comma. 1 when it parsed. */
static int parse_range(const char **pp, struct range *rg)
{
	const char *p = ows(*pp);
	memset(rg, 0, sizeof *rg);
	rg->q = 1000;
	rg->type = p;
	rg->tlen = token_len(p);
	p += rg->tlen;
	if (!rg->tlen || *p != '/')
		goto bad;
	rg->sub = ++p;
	rg->slen = token_len(p);
	p += rg->slen;
	if (!rg->slen || (ieq(rg->type, rg->tlen, "*") && !ieq(rg->sub, rg->slen, "*")))
		goto bad;
	int after_q = 0;
	for (;;) {
		p = ows(p);
		if (!*p || *p == ',')
			break;
		if (*p != ';')
			goto bad;
		p = ows(p + 1);
		if (!*p || *p == ',' || *p == ';')
			continue;
		const char *name = p;
		size_t nlen = token_len(p);
		p += nlen;
		if (!nlen || *p != '=')
			goto bad;
		p++;
		int is_quoted = *p == '"';
		size_t vlen = is_quoted ? quoted_len(p) : token_len(p);
		if (!vlen)
			goto bad;
		const char *val = is_quoted ? p + 1 : p;
		size_t inner = is_quoted ? vlen - 2 : vlen;
		p += vlen;
		if (after_q)
			continue; /* accept-ext: ignored */
		if (ieq(name, nlen, "q")) {
			rg->q = is_quoted ? -1 : qvalue(val, inner);
			if (rg->q < 0)
				goto bad;
			after_q = 1;
			continue;
		}
		rg->params++;
		if (ieq(name, nlen, "charset"))
			rg->unusable |= !ieq(val, inner, "utf-8");
		else if (ieq(name, nlen, "dialect")) {
			rg->excel = ieq(val, inner, "excel");
			rg->unusable |= !rg->excel;
		}
	}
	*pp = *p == ',' ? p + 1 : p;
	return 1;
bad:
	*pp = skip_entry(p);
	return 0;
}

/* How specifically rg names offer ("type/subtype"): 3 with parameters, 2 exactly, 1 by type,
 * 0 by the full wildcard; -1 when it does not match. */
static int specificity(const struct range *rg, const char *offer)
{
	const char *slash = strchr(offer, '/');
	size_t tlen = (size_t)(slash - offer);
	if (ieq(rg->type, rg->tlen, "*"))
		return 0;
	if (rg->tlen != tlen || strncasecmp(rg->type, offer, tlen) != 0)
		return -1;
	if (ieq(rg->sub, rg->slen, "*"))
		return 1;
	if (!ieq(rg->sub, rg->slen, slash + 1))
		return -1;
	return rg->params ? 3 : 2;
}

struct accept_choice accept_choose(const char *field, const char *const *offers, int n)
{
	struct accept_choice c = {0, 0};
	if (!field || n <= 0 || strlen(field) > ACCEPT_MAX_LEN)
		return c;
	if (!*ows(field))
		return c;
	/* Per offer: the most specific matching range so far, its weight and dialect. */
	int spec[8], q[8], excel[8];
	if (n > 8)
		n = 8;
	for (int i = 0; i < n; i++)
		spec[i] = -1, q[i] = 0, excel[i] = 0;
	const char *p = field;
	int entries = 0, parsed = 0;
	while (*p) {
		if (++entries > ACCEPT_MAX_ENTRIES)
			return c;
		struct range rg;
		if (!parse_range(&p, &rg))
			continue;
		parsed++;
		for (int i = 0; i < n; i++) {
			int s = specificity(&rg, offers[i]);
			if (s > spec[i]) {
				spec[i] = s;
				q[i] = rg.unusable ? 0 : rg.q;
				excel[i] = rg.excel && !rg.unusable;
			}
		}
	}
	if (!parsed)
		return c; /* nothing but malformed entries: disregarded */
	int best = -1;
	for (int i = 0; i < n; i++)
		if (q[i] > 0 && (best < 0 || q[i] > q[best]))
			best = i;
	c.index = best;
	c.excel = best >= 0 ? excel[best] : 0;
	return c;
}

int etag_none_match(const char *field, const char *etag)
{
	if (!field || !etag)
		return 0;
	const char *p = ows(field);
	if (*p == '*')
		return *ows(p + 1) == '\0';
	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	size_t elen = strlen(etag);
	int match = 0;
	while (*p) {
		p = ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (!*p)
			break;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return 0;
		size_t n = 1;
		for (;;) {
			unsigned char c = (unsigned char)p[n];
			if (c == '"')
				break;
			if (c == 0x21 || (c >= 0x23 && c != 0x7f))
				n++;
			else
				return 0;
		}
		n++;
		match |= n == elen && memcmp(p, etag, n) == 0;
		p = ows(p + n);
		if (*p && *p != ',')
			return 0;
	}
	return match;
}

static int safe_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

void content_disposition(struct sbuf *out, const char *name)
{
	int changed = 0;
	sbuf_puts(out, "attachment; filename=\"");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		/* One '_' per UTF-8 character, not per byte. */
		if ((*p & 0xc0) == 0x80 && p != (const unsigned char *)name && (p[-1] & 0x80))
			continue;
		char ch = safe_char(*p) ? (char)*p : '_';
		changed |= ch != (char)*p;
		sbuf_append(out, &ch, 1);
	}
	sbuf_puts(out, "\"");
	if (!changed)
		return;
	static const char hexd[] = "0123456789ABCDEF";
	sbuf_puts(out, "; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		/* attr-char (RFC 8187 §3.2.1) */
		if (safe_char(*p) || (*p && strchr("!#$&+^`|~", *p))) {
			sbuf_append(out, (const char *)p, 1);
		} else {
			char pct[3] = {'%', hexd[*p >> 4], hexd[*p & 15]};
			sbuf_append(out, pct, 3);
		}
	}
}
