/* Where webhooks go (webhook_url.h). */
#include "webhook_url.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int host_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* A host name: labels of 1..63 letters, digits and '-' (not at either end), joined by dots. */
static int valid_name(const char *h)
{
	size_t n = strlen(h), label = 0;
	if (n == 0 || n > WEBHOOK_HOST_MAX || h[0] == '.' || h[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!host_char(h[i]))
			return 0;
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (h[i] == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return h[n - 1] != '-';
}

int webhook_url_parse(const char *url, struct webhook_url *out, const char **why)
{
	struct webhook_url u = {0};
	const char *reason = NULL;
	size_t len = url ? strlen(url) : 0;
	if (len == 0 || len > WEBHOOK_URL_MAX) {
		reason = "must be 1 to 2048 characters";
		goto fail;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
			reason = "must be printable ASCII without spaces (percent-encode the rest)";
			goto fail;
		}
	const char *p;
	if (strncasecmp(url, "https://", 8) == 0) {
		u.https = 1;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else {
		reason = "must be an http:// or https:// URL";
		goto fail;
	}
	if (strchr(url, '#')) {
		reason = "must not have a fragment (#)";
		goto fail;
	}
	size_t alen = strcspn(p, "/?");
	if (memchr(p, '@', alen)) {
		reason = "must not hold credentials (user@host)";
		goto fail;
	}
	if (alen == 0) {
		reason = "must name a host";
		goto fail;
	}
	const char *end = p + alen, *port = NULL;
	if (p[0] == '[') {
		const char *close = memchr(p, ']', alen);
		if (!close || close == p + 1 || (size_t)(close - p - 1) > 45) {
			reason = "has a malformed IPv6 address";
			goto fail;
		}
		for (size_t i = 0; i < (size_t)(close - p - 1); i++)
			u.host[i] = (char)lower(p[1 + i]);
		unsigned char a[16];
		if (inet_pton(AF_INET6, u.host, a) != 1) {
			reason = "has a malformed IPv6 address";
			goto fail;
		}
		u.host_ip = 6;
		if (close + 1 < end) {
			if (close[1] != ':') {
				reason = "has a malformed host";
				goto fail;
			}
			port = close + 2;
		}
	} else {
		const char *colon = memchr(p, ':', alen);
		size_t hlen = colon ? (size_t)(colon - p) : alen;
		if (hlen == 0 || hlen > WEBHOOK_HOST_MAX) {
			reason = "must name a host of at most 253 characters";
			goto fail;
		}
		for (size_t i = 0; i < hlen; i++)
			u.host[i] = (char)lower(p[i]);
		u.host[hlen] = '\0';
		if (!valid_name(u.host)) {
			reason = "has a malformed host name";
			goto fail;
		}
		unsigned char a[4];
		if (inet_pton(AF_INET, u.host, a) == 1)
			u.host_ip = 4;
		if (colon)
			port = colon + 1;
	}
	u.port = u.https ? 443 : 80;
	if (port) {
		long n = 0;
		const char *q = port;
		for (; q < end && *q >= '0' && *q <= '9' && n <= 65535; q++)
			n = n * 10 + (*q - '0');
		if (q == port || q != end || n < 1 || n > 65535) {
			reason = "has a malformed port (1 to 65535)";
			goto fail;
		}
		u.port = (int)n;
	}
	if (out)
		*out = u;
	return 0;
fail:
	if (why)
		*why = reason;
	return -1;
}

static int v4_refused(const unsigned char *a)
{
	return a[0] == 0 ||                               /* 0.0.0.0/8: this network */
	       a[0] == 10 ||                              /* 10/8 */
	       (a[0] == 100 && (a[1] & 0xc0) == 64) ||    /* 100.64/10, shared address space */
	       a[0] == 127 ||                             /* loopback */
	       (a[0] == 169 && a[1] == 254) ||            /* link-local */
	       (a[0] == 172 && (a[1] & 0xf0) == 16) ||    /* 172.16/12 */
	       (a[0] == 192 && a[1] == 168) ||            /* 192.168/16 */
	       (a[0] == 192 && a[1] == 0 && a[2] == 0) || /* 192.0.0/24, protocol assignments */
	       a[0] >= 224;                               /* multicast, reserved, broadcast */
}

int webhook_addr_refused(int family, const unsigned char *a)
{
	if (family == AF_INET)
		return v4_refused(a);
	if (family != AF_INET6)
		return 1;
	static const unsigned char zero[12] = {0};
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
	/* ::a.b.c.d (also :: and ::1), ::ffff:a.b.c.d, 64:ff9b::a.b.c.d: by the IPv4 address */
	if (memcmp(a, zero, 12) == 0 || memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return v4_refused(a + 12);
	return (a[0] & 0xfe) == 0xfc ||                   /* fc00::/7, unique local */
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || /* fe80::/10, link-local */
	       a[0] == 0xff;                              /* multicast */
}

int webhook_host_refused(const char *host)
{
	size_t n = strlen(host);
	return strcmp(host, "localhost") == 0 ||
	       (n > 10 && strcmp(host + n - 10, ".localhost") == 0);
}

long long webhook_retry_delay_ms(int attempt, long long first_ms, long long max_ms, unsigned jitter)
{
	long long d = first_ms;
	for (int i = 1; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	if (jitter > 1000)
		jitter = 500;
	return d * (750 + (long long)jitter / 2) / 1000;
}
