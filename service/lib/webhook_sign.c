/* Standard Webhooks signatures (webhook_sign.h). */
#include "webhook_sign.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

int webhook_secret_format(const unsigned char *key, size_t n, char *out, size_t outlen)
{
	size_t prefix = strlen(WEBHOOK_SECRET_PREFIX);
	if (n < 1 || n > WEBHOOK_KEY_MAX || outlen < prefix + 4 * ((n + 2) / 3) + 1)
		return -1;
	memcpy(out, WEBHOOK_SECRET_PREFIX, prefix);
	EVP_EncodeBlock((unsigned char *)out + prefix, key, (int)n); /* writes the NUL too */
	return 0;
}

/* 1 when c belongs to the standard base64 alphabet (not the padding). */
static int b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int webhook_secret_key(const char *secret, unsigned char *key, size_t keylen, size_t *n)
{
	size_t prefix = strlen(WEBHOOK_SECRET_PREFIX);
	if (!secret || keylen < WEBHOOK_KEY_MAX)
		return -1;
	if (strncmp(secret, WEBHOOK_SECRET_PREFIX, prefix) == 0)
		secret += prefix;
	size_t len = strlen(secret), pad = 0;
	/* Whole groups of four: letters, then at most two '=' at the end. EVP_DecodeBlock does
	 * not check the padding itself and counts padded bytes as zeros. */
	if (len == 0 || len % 4 != 0 || len > 4 * ((WEBHOOK_KEY_MAX + 2) / 3))
		return -1;
	while (pad < 2 && secret[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (!b64_char(secret[i]))
			return -1;
	unsigned char buf[3 * ((WEBHOOK_KEY_MAX + 2) / 3)];
	int got = EVP_DecodeBlock(buf, (const unsigned char *)secret, (int)len);
	if (got < 0 || (size_t)got < pad || (size_t)got - pad > WEBHOOK_KEY_MAX ||
	    (size_t)got - pad == 0)
		return -1;
	*n = (size_t)got - pad;
	memcpy(key, buf, *n);
	return 0;
}

int webhook_sign(const char *secret, const char *id, long long timestamp, const char *body,
                 size_t len, char *out, size_t outlen)
{
	unsigned char key[WEBHOOK_KEY_MAX];
	size_t keylen;
	if (!id || !body || outlen < WEBHOOK_SIGNATURE_LEN || timestamp < 0 ||
	    webhook_secret_key(secret, key, sizeof key, &keylen) != 0)
		return -1;
	/* "<id>.<timestamp>.": the MAC is fed in three parts, the body where it lies. */
	char head[160];
	int hn = snprintf(head, sizeof head, "%s.%lld.", id, timestamp);
	if (hn < 0 || (size_t)hn >= sizeof head)
		return -1;
	unsigned char mac[EVP_MAX_MD_SIZE];
	int rc = -1;
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
	                       OSSL_PARAM_construct_end()};
	size_t outl = 0;
	if (ctx && EVP_MAC_init(ctx, key, keylen, params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)head, (size_t)hn) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1 &&
	    EVP_MAC_final(ctx, mac, &outl, sizeof mac) == 1 && outl == 32) {
		memcpy(out, "v1,", 3);
		EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)outl);
		rc = 0;
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}
