#include "netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fills family and addr from a textual address; an IPv4-mapped IPv6 address counts as IPv4. */
static int parse_addr(const char *s, int *family, unsigned char addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return -1;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(addr, mapped, 12) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = AF_INET;
	} else {
		*family = AF_INET6;
	}
	return 0;
}

int net_addr_valid(const char *s)
{
	int family;
	unsigned char addr[16];
	return parse_addr(s, &family, addr) == 0;
}

int net_range_parse(const char *s, struct net_range *out)
{
	char text[64];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof text)
		return -1;
	memcpy(text, s, n + 1);
	char *slash = strchr(text, '/');
	if (slash)
		*slash = '\0';
	if (parse_addr(text, &out->family, out->addr) != 0)
		return -1;
	int max = out->family == AF_INET ? 32 : 128;
	out->prefix = max;
	if (slash) {
		char *end;
		long p = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || p < 0 || p > max)
			return -1;
		out->prefix = (int)p;
	}
	return 0;
}

int net_range_list_parse(const char *s, struct net_range *out, int max)
{
	int n = 0;
	const char *p = s;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[64];
		if (len == 0 || len >= sizeof item || n == max)
			return -1;
		memcpy(item, p, len);
		item[len] = '\0';
		if (net_range_parse(item, &out[n]) != 0)
			return -1;
		n++;
		p += len;
		if (*p == ',' && !*++p)
			return -1; /* a trailing comma */
	}
	return n;
}

static int in_range(int family, const unsigned char addr[16], const struct net_range *r)
{
	if (family != r->family)
		return 0;
	int full = r->prefix / 8, rest = r->prefix % 8;
	if (memcmp(addr, r->addr, (size_t)full) != 0)
		return 0;
	if (!rest)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (addr[full] & mask) == (r->addr[full] & mask);
}

int net_addr_in(const char *s, const struct net_range *ranges, int n)
{
	int family;
	unsigned char addr[16];
	if (parse_addr(s, &family, addr) != 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (in_range(family, addr, &ranges[i]))
			return 1;
	return 0;
}
