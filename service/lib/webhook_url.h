/* What coopd delivers webhooks to: the URL rules of a subscription, the addresses it refuses,
 * and the wait before a failed delivery is tried again. Pure functions, no I/O, thread-safe.
 *
 * A subscription URL is http or https, at most WEBHOOK_URL_MAX bytes of printable ASCII, with a
 * host (a name, an IPv4 address or a bracketed IPv6 address), an optional port 1..65535, an
 * optional path and query; no credentials (user@), no fragment, no spaces. Names are letters,
 * digits, '-' and '.' (an internationalised name in its xn-- form).
 *
 * Refused addresses (unless COOPD_WEBHOOK_ALLOW_PRIVATE=1): unspecified (0.0.0.0/8, ::),
 * loopback (127.0.0.0/8, ::1), private (10/8, 172.16/12, 192.168/16, fc00::/7), shared address
 * space (100.64/10), link-local (169.254/16, fe80::/10), multicast (224/4, ff00::/8), the
 * reserved 240/4 and broadcast; IPv4 inside IPv6 (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::/96) by
 * its IPv4 address. The host names localhost and *.localhost (RFC 6761) too. */
#ifndef COOPD_WEBHOOK_URL_H
#define COOPD_WEBHOOK_URL_H
#include <stddef.h>

#define WEBHOOK_URL_MAX  2048
#define WEBHOOK_HOST_MAX 253

struct webhook_url {
	int https;                       /* 1: https, 0: http */
	char host[WEBHOOK_HOST_MAX + 1]; /* lower case; an IPv6 address without its brackets */
	int host_ip;                     /* 4 or 6 when the host is an address, 0 for a name */
	int port;                        /* the explicit port, or 443 / 80 */
};

/* Parses url into out (may be NULL). 0, or -1 with *why, a static reason for the client ("must
 * not hold credentials"). */
int webhook_url_parse(const char *url, struct webhook_url *out, const char **why);

/* 1 when coopd does not deliver to the address: family AF_INET (addr: 4 bytes) or AF_INET6
 * (16 bytes), network byte order. Any other family is refused too. */
int webhook_addr_refused(int family, const unsigned char *addr);

/* 1 when the host name is one coopd never resolves for delivery (localhost, *.localhost). */
int webhook_host_refused(const char *host);

/* The wait in milliseconds before attempt `attempt` + 1, after attempt `attempt` (1, 2, ...)
 * failed: first_ms, twice as long after each earlier failure, at most max_ms; then times a
 * jitter factor from 0.75 to 1.25 that jitter chooses (0..1000, spread evenly; anything else
 * is 1), so that the retries of many deliveries spread out. Integer arithmetic. */
long long webhook_retry_delay_ms(int attempt, long long first_ms, long long max_ms,
                                 unsigned jitter);

#endif
