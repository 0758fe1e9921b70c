/* IP addresses and CIDR ranges, for deciding which peers may name the client's address
 * (X-Forwarded-For). Pure functions, no allocation, thread-safe. */
#ifndef COOPD_NETADDR_H
#define COOPD_NETADDR_H
#include <stddef.h>

struct net_range {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network byte order; IPv4 in the first 4 bytes */
	int prefix;             /* 0..32 or 0..128 */
};

/* Parses "192.0.2.7", "10.0.0.0/8", "2001:db8::/32" (no spaces). 0, or -1 when malformed. */
int net_range_parse(const char *s, struct net_range *out);
/* Parses a comma-separated list of ranges into out (at most max). The count, or -1. */
int net_range_list_parse(const char *s, struct net_range *out, int max);
/* 1 when the textual address addr (IPv4, IPv6, or IPv4-mapped IPv6) lies in one of the ranges. */
int net_addr_in(const char *addr, const struct net_range *ranges, int n);
/* 1 when s is a textual IPv4 or IPv6 address. */
int net_addr_valid(const char *s);

#endif
