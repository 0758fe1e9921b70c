/* Webhooks: Standard Webhooks signatures (lib/webhook_sign.c) against the reference test
 * vector, and the URL, address and retry rules (lib/webhook_url.c). */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/webhook_sign.h"
#include "lib/webhook_url.h"
#include "unit.h"

/* The test vector the Standard Webhooks reference libraries share (secret, msg id, timestamp,
 * body, and the signature they all compute). */
static void test_reference_vector(void)
{
	char sig[WEBHOOK_SIGNATURE_LEN];
	const char *body = "{\"test\": 2432232314}";
	CHECK_INT(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	                       "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), sig,
	                       sizeof sig),
	          0);
	CHECK_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* the reference libraries also take the secret without its prefix */
	CHECK_INT(webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
	                       1614265330, body, strlen(body), sig, sizeof sig),
	          0);
	CHECK_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* one byte of the body, the id or the time changed: another signature */
	CHECK_INT(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	                       "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, strlen(body), sig,
	                       sizeof sig),
	          0);
	CHECK(strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") != 0);
}

/* A secret of coopd's own form (32 bytes) signs as node:crypto computes it:
 * createHmac('sha256', Buffer.alloc(32, 7)).update(`${id}.${ts}.${body}`).digest('base64'). */
static void test_coopd_secret(void)
{
	unsigned char key[WEBHOOK_KEY_BYTES];
	memset(key, 7, sizeof key);
	char secret[WEBHOOK_SECRET_LEN], sig[WEBHOOK_SIGNATURE_LEN];
	CHECK_INT(webhook_secret_format(key, sizeof key, secret, sizeof secret), 0);
	CHECK_STR(secret, "whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=");
	CHECK_INT(strlen(secret), WEBHOOK_SECRET_LEN - 1);
	const char *body = "{\"type\":\"invoice.issued\"}";
	CHECK_INT(webhook_sign(secret, "0b2c4d6e-8f10-4a2b-9c3d-4e5f60718293", 1765000000, body,
	                       strlen(body), sig, sizeof sig),
	          0);
	CHECK_STR(sig, "v1,VL0cKxKsB0mjD6Sio+agrdQx+Z6RJPNggoHb315CQ2Q=");
	unsigned char back[WEBHOOK_KEY_MAX];
	size_t n = 0;
	CHECK_INT(webhook_secret_key(secret, back, sizeof back, &n), 0);
	CHECK_INT(n, 32);
	CHECK(memcmp(back, key, 32) == 0);
	/* too small a buffer for the secret or the signature */
	CHECK_INT(webhook_secret_format(key, sizeof key, secret, 50), -1);
	CHECK_INT(webhook_sign(secret, "x", 1, body, strlen(body), sig, 47), -1);
}

static void test_malformed_secrets(void)
{
	unsigned char key[WEBHOOK_KEY_MAX];
	size_t n;
	const char *bad[] = {"", "whsec_", "whsec_abc", /* not whole groups of four */
	                     "whsec_ab=c",              /* padding inside */
	                     "whsec_a===",              /* three padding characters */
	                     "whsec_ab-_",              /* the URL alphabet */
	                     "whsec_ab c", "whsec_====",
	                     /* longer than 64 bytes */
	                     "whsec_"
	                     "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQ"
	                     "UFBQUFBQUFBQUFBQUFB",
	                     NULL};
	for (int i = 0; bad[i]; i++) {
		if (webhook_secret_key(bad[i], key, sizeof key, &n) != -1)
			fprintf(stderr, "  accepted secret %d\n", i);
		CHECK_INT(webhook_secret_key(bad[i], key, sizeof key, &n), -1);
	}
	char sig[WEBHOOK_SIGNATURE_LEN];
	CHECK_INT(webhook_sign("whsec_abc", "id", 1, "{}", 2, sig, sizeof sig), -1);
	CHECK_INT(webhook_sign(NULL, "id", 1, "{}", 2, sig, sizeof sig), -1);
	CHECK_INT(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "id", -1, "{}", 2, sig,
	                       sizeof sig),
	          -1);
	/* 64 bytes are the most a key may have */
	CHECK_INT(webhook_secret_key("whsec_"
	                             "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQ"
	                             "UFBQUFBQUFBQUFBQUFBQUFBQQ==",
	                             key, sizeof key, &n),
	          0);
	CHECK_INT(n, 64);
	/* padded forms decode to their length */
	CHECK_INT(webhook_secret_key("whsec_YQ==", key, sizeof key, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(key[0], 'a');
	CHECK_INT(webhook_secret_key("whsec_YWI=", key, sizeof key, &n), 0);
	CHECK_INT(n, 2);
}

static void test_urls(void)
{
	struct webhook_url u;
	const char *why = NULL;
	CHECK_INT(webhook_url_parse("https://hooks.example.nl/coopd?token=abc", &u, &why), 0);
	CHECK_INT(u.https, 1);
	CHECK_STR(u.host, "hooks.example.nl");
	CHECK_INT(u.port, 443);
	CHECK_INT(u.host_ip, 0);
	CHECK_INT(webhook_url_parse("HTTP://Hooks.Example.NL:8443", &u, &why), 0);
	CHECK_INT(u.https, 0);
	CHECK_STR(u.host, "hooks.example.nl");
	CHECK_INT(u.port, 8443);
	CHECK_INT(webhook_url_parse("http://127.0.0.1:9000/x", &u, &why), 0);
	CHECK_INT(u.host_ip, 4);
	CHECK_INT(webhook_url_parse("http://[::1]:9000/x", &u, &why), 0);
	CHECK_INT(u.host_ip, 6);
	CHECK_STR(u.host, "::1");
	CHECK_INT(u.port, 9000);
	CHECK_INT(webhook_url_parse("https://[2001:db8::1]/", &u, &why), 0);
	CHECK_INT(u.port, 443);
	/* an IPv6 host in lower case too (found by fuzz_webhook) */
	CHECK_INT(webhook_url_parse("http://[::FFFF:7F00:1]/", &u, &why), 0);
	CHECK_STR(u.host, "::ffff:7f00:1");

	const char *bad[] = {"ftp://example.nl/",
	                     "https://user:pw@example.nl/",
	                     "https://example.nl/#frag",
	                     "https:///path",
	                     "https://",
	                     "https://exa mple.nl/",
	                     "https://example.nl:0/",
	                     "https://example.nl:65536/",
	                     "https://example.nl:/",
	                     "https://example.nl:80a/",
	                     "https://[::1/",
	                     "https://[zz::1]/",
	                     "https://[::1]x/",
	                     "https://-bad.example.nl/",
	                     "https://bad-.example.nl/",
	                     "https://bad..example.nl/",
	                     "https://bad_host.nl/",
	                     "https://b\xc3\xa4"
	                     "d.nl/",
	                     "example.nl",
	                     "",
	                     NULL};
	for (int i = 0; bad[i]; i++) {
		why = NULL;
		if (webhook_url_parse(bad[i], &u, &why) != -1)
			fprintf(stderr, "  accepted %s\n", bad[i]);
		CHECK_INT(webhook_url_parse(bad[i], &u, &why), -1);
		CHECK(why != NULL);
	}
	char longurl[WEBHOOK_URL_MAX + 2];
	memset(longurl, 'a', sizeof longurl - 1);
	longurl[sizeof longurl - 1] = '\0';
	memcpy(longurl, "https://x.nl/", 13);
	CHECK_INT(webhook_url_parse(longurl, &u, &why), -1);
	longurl[WEBHOOK_URL_MAX] = '\0';
	CHECK_INT(webhook_url_parse(longurl, &u, &why), 0);
	CHECK_INT(webhook_url_parse(NULL, &u, &why), -1);
}

static int refused4(const char *s)
{
	unsigned char a[4];
	return inet_pton(AF_INET, s, a) == 1 ? webhook_addr_refused(AF_INET, a) : -1;
}

static int refused6(const char *s)
{
	unsigned char a[16];
	return inet_pton(AF_INET6, s, a) == 1 ? webhook_addr_refused(AF_INET6, a) : -1;
}

static void test_addresses(void)
{
	const char *no4[] = {
	    "0.0.0.0",        "127.0.0.1",       "127.255.1.2",     "10.1.2.3",   "172.16.0.1",
	    "172.31.255.255", "192.168.1.1",     "169.254.169.254", "100.64.0.1", "224.0.0.1",
	    "239.1.1.1",      "255.255.255.255", "240.0.0.1",       NULL};
	for (int i = 0; no4[i]; i++)
		CHECK_INT(refused4(no4[i]), 1);
	const char *yes4[] = {"8.8.8.8",     "172.15.0.1", "172.32.0.1",  "192.0.2.10",
	                      "100.128.0.1", "11.0.0.1",   "169.255.0.1", NULL};
	for (int i = 0; yes4[i]; i++)
		CHECK_INT(refused4(yes4[i]), 0);
	const char *no6[] = {
	    "::",           "::1",     "fe80::1",          "febf::1",         "fc00::1",
	    "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe",
	    "::127.0.0.1",  NULL};
	for (int i = 0; no6[i]; i++)
		CHECK_INT(refused6(no6[i]), 1);
	const char *yes6[] = {"2001:db8::1", "2a00:1450:4001::1", "::ffff:8.8.8.8", "fec0::1",
	                      NULL};
	for (int i = 0; yes6[i]; i++)
		CHECK_INT(refused6(yes6[i]), 0);
	unsigned char any[16] = {0};
	CHECK_INT(webhook_addr_refused(AF_UNIX, any), 1);
	CHECK_INT(webhook_host_refused("localhost"), 1);
	CHECK_INT(webhook_host_refused("api.localhost"), 1);
	CHECK_INT(webhook_host_refused("localhost.example.nl"), 0);
	CHECK_INT(webhook_host_refused("mylocalhost"), 0);
}

static void test_retry_delays(void)
{
	/* 30 s, twice as long per failure, up to 6 h; jitter 500 is the factor 1 */
	CHECK_INT(webhook_retry_delay_ms(1, 30000, 21600000, 500), 30000);
	CHECK_INT(webhook_retry_delay_ms(2, 30000, 21600000, 500), 60000);
	CHECK_INT(webhook_retry_delay_ms(3, 30000, 21600000, 500), 120000);
	CHECK_INT(webhook_retry_delay_ms(10, 30000, 21600000, 500), 15360000);
	CHECK_INT(webhook_retry_delay_ms(11, 30000, 21600000, 500), 21600000);
	CHECK_INT(webhook_retry_delay_ms(1000, 30000, 21600000, 500), 21600000);
	/* the jitter's ends: 0.75 and 1.25 times */
	CHECK_INT(webhook_retry_delay_ms(1, 30000, 21600000, 0), 22500);
	CHECK_INT(webhook_retry_delay_ms(1, 30000, 21600000, 1000), 37500);
	CHECK_INT(webhook_retry_delay_ms(11, 30000, 21600000, 1000), 27000000);
	CHECK_INT(webhook_retry_delay_ms(1, 30000, 21600000, 7000), 30000); /* out of range: 1 */
}

int main(void)
{
	RUN(test_reference_vector);
	RUN(test_coopd_secret);
	RUN(test_malformed_secrets);
	RUN(test_urls);
	RUN(test_addresses);
	RUN(test_retry_delays);
	UNIT_END();
}
