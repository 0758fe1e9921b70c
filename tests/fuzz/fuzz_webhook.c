/* Fuzz target: what comes from outside into the webhook code (lib/webhook_url.h,
 * lib/webhook_sign.h): a subscription's URL, a secret, a body to sign, an address, an attempt.
 *
 * Input: any bytes. The URL parser and the secret decoder see the bytes as a NUL-terminated text
 * (up to the first NUL); the signer signs all of them as a body; the first 16 bytes are an
 * address of either family; the first bytes give a retry's attempt number and a jitter.
 *
 * Invariants (abort on violation):
 * - webhook_url_parse: accepted only for "http://" or "https://" (either case) texts of at most
 *   2048 printable ASCII bytes without a space or '#', and no '@' before the path; the host is
 *   not empty, at most 253 bytes, lower case, found in the URL (ignoring case), an address of
 *   the family host_ip says when it says one; the port 1..65535; refused with a reason;
 * - webhook_secret_key: a key of 1..64 bytes; formatted again and decoded again, the same key;
 * - webhook_sign: any body signs under a valid secret as "v1," and 44 base64 characters, the same
 *   for the same input, another for another timestamp;
 * - webhook_addr_refused: 0 or 1; an IPv4 address and its ::ffff: form agree;
 * - webhook_retry_delay_ms: within 0.75 and 1.25 times the wait (the first, twice as long per
 *   earlier failure, at most the maximum), never above 1.25 times the maximum. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "lib/webhook_sign.h"
#include "lib/webhook_url.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* 1 when needle occurs in hay ignoring ASCII case. */
static int contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return 1;
	return 0;
}

static void check_url(const char *t)
{
	struct webhook_url u;
	const char *why = NULL;
	int rc = webhook_url_parse(t, &u, &why);
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc != 0) {
		FUZZ_ASSERT(why != NULL && why[0] != '\0');
		return;
	}
	size_t n = strlen(t);
	FUZZ_ASSERT(n >= 8 && n <= WEBHOOK_URL_MAX);
	FUZZ_ASSERT(strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0);
	FUZZ_ASSERT(u.https == (strncasecmp(t, "https://", 8) == 0));
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(t[i] > 0x20 && t[i] < 0x7f && t[i] != '#');
	const char *auth = t + (u.https ? 8 : 7);
	FUZZ_ASSERT(memchr(auth, '@', strcspn(auth, "/?")) == NULL);
	size_t hn = strlen(u.host);
	FUZZ_ASSERT(hn >= 1 && hn <= WEBHOOK_HOST_MAX);
	for (size_t i = 0; i < hn; i++)
		FUZZ_ASSERT(!isupper((unsigned char)u.host[i]));
	FUZZ_ASSERT(contains_nocase(t, u.host));
	FUZZ_ASSERT(u.port >= 1 && u.port <= 65535);
	unsigned char a[16];
	if (u.host_ip == 4)
		FUZZ_ASSERT(inet_pton(AF_INET, u.host, a) == 1);
	else if (u.host_ip == 6)
		FUZZ_ASSERT(inet_pton(AF_INET6, u.host, a) == 1);
	else
		FUZZ_ASSERT(u.host_ip == 0 && inet_pton(AF_INET, u.host, a) != 1);
	FUZZ_ASSERT(webhook_host_refused(u.host) == 0 || webhook_host_refused(u.host) == 1);
}

static void check_secret(const char *t)
{
	unsigned char key[WEBHOOK_KEY_MAX], again[WEBHOOK_KEY_MAX];
	size_t n = 0, m = 0;
	if (webhook_secret_key(t, key, sizeof key, &n) != 0)
		return;
	FUZZ_ASSERT(n >= 1 && n <= WEBHOOK_KEY_MAX);
	char secret[8 + 4 * ((WEBHOOK_KEY_MAX + 2) / 3)];
	FUZZ_ASSERT(webhook_secret_format(key, n, secret, sizeof secret) == 0);
	FUZZ_ASSERT(webhook_secret_key(secret, again, sizeof again, &m) == 0);
	FUZZ_ASSERT(m == n && memcmp(key, again, n) == 0);
}

static int signature_shape(const char *s)
{
	if (strlen(s) != 47 || strncmp(s, "v1,", 3) != 0 || s[46] != '=')
		return 0;
	for (int i = 3; i < 46; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
			return 0;
	return 1;
}

static void check_sign(const uint8_t *data, size_t size)
{
	static const char secret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	char a[WEBHOOK_SIGNATURE_LEN], b[WEBHOOK_SIGNATURE_LEN], c[WEBHOOK_SIGNATURE_LEN];
	const char *body = (const char *)data;
	FUZZ_ASSERT(webhook_sign(secret, "msg_fuzz", 1765000000, body, size, a, sizeof a) == 0);
	FUZZ_ASSERT(signature_shape(a));
	FUZZ_ASSERT(webhook_sign(secret, "msg_fuzz", 1765000000, body, size, b, sizeof b) == 0);
	FUZZ_ASSERT(strcmp(a, b) == 0);
	FUZZ_ASSERT(webhook_sign(secret, "msg_fuzz", 1765000001, body, size, c, sizeof c) == 0);
	FUZZ_ASSERT(strcmp(a, c) != 0);
}

static void check_addresses(const uint8_t *data, size_t size)
{
	unsigned char a[16] = {0};
	memcpy(a, data, size < 16 ? size : 16);
	int r4 = webhook_addr_refused(AF_INET, a), r6 = webhook_addr_refused(AF_INET6, a);
	FUZZ_ASSERT((r4 == 0 || r4 == 1) && (r6 == 0 || r6 == 1));
	unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memcpy(mapped + 12, a, 4);
	FUZZ_ASSERT(webhook_addr_refused(AF_INET6, mapped) == r4);
}

static void check_delay(const uint8_t *data, size_t size)
{
	if (size < 4)
		return;
	int attempt = 1 + data[0];
	long long first = 100 + (long long)data[1] * 1000, max = first + (long long)data[2] * 60000;
	unsigned jitter = (unsigned)data[size - 1] * 5; /* 0..1275: past 1000 too */
	long long d = webhook_retry_delay_ms(attempt, first, max, jitter);
	long long base = first;
	for (int i = 1; i < attempt && base < max; i++)
		base *= 2;
	if (base > max)
		base = max;
	FUZZ_ASSERT(d * 4 >= base * 3 - 4 && d * 4 <= base * 5);
	FUZZ_ASSERT(d * 4 <= max * 5);
	if (jitter > 1000)
		FUZZ_ASSERT(d == base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t = malloc(size + 1);
	if (!t)
		return 0;
	memcpy(t, data, size);
	t[size] = '\0';
	check_url(t);
	check_secret(t);
	free(t);
	check_sign(data, size);
	check_addresses(data, size);
	check_delay(data, size);
	return 0;
}
