/* Standard Webhooks signatures (https://www.standardwebhooks.com): what a receiver checks to
 * know that a delivery came from coopd and was not changed on the way.
 *
 * - The secret is "whsec_" followed by the base64 of the key bytes; coopd makes 32 random bytes.
 * - The signed content is "<webhook-id>.<webhook-timestamp>.<body>": the delivery's id, the
 *   attempt's Unix time in seconds (decimal), and the body's exact bytes.
 * - The signature is HMAC-SHA256 of that content with the key, sent in the header
 *   webhook-signature as "v1,<base64 of the 32-byte MAC>".
 *
 * Pure functions (OpenSSL's HMAC and base64, no I/O), safe to call from any thread. Each returns 0,
 * or -1 when an argument is malformed or out doesn't fit. */
#ifndef COOPD_WEBHOOK_SIGN_H
#define COOPD_WEBHOOK_SIGN_H
#include <stddef.h>

#define WEBHOOK_SECRET_PREFIX "whsec_"
#define WEBHOOK_KEY_BYTES     32 /* the key coopd makes */
#define WEBHOOK_KEY_MAX       64 /* the longest key webhook_sign takes */
/* "whsec_" + base64 of WEBHOOK_KEY_BYTES (44 characters) + NUL */
#define WEBHOOK_SECRET_LEN 51
/* "v1," + base64 of 32 bytes (44 characters) + NUL */
#define WEBHOOK_SIGNATURE_LEN 48

/* The secret text of key (n bytes, 1..WEBHOOK_KEY_MAX) into out (outlen >= 7 + 4 * ceil(n / 3)). */
int webhook_secret_format(const unsigned char *key, size_t n, char *out, size_t outlen);

/* The key bytes of a secret ("whsec_" + standard base64 with padding; the prefix may be left
 * out, as the reference libraries allow) into key (keylen >= WEBHOOK_KEY_MAX); *n its length. */
int webhook_secret_key(const char *secret, unsigned char *key, size_t keylen, size_t *n);

/* The header value "v1,<base64>" for delivery id at Unix time timestamp with body (len bytes),
 * into out (outlen >= WEBHOOK_SIGNATURE_LEN). */
int webhook_sign(const char *secret, const char *id, long long timestamp, const char *body,
                 size_t len, char *out, size_t outlen);

#endif
