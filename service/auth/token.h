/* Issuing and verifying coopd's access tokens (libjwt 1.10).
 *
 * Verification follows STYLE.md: a configured key is always passed to jwt_decode, the
 * header's algorithm must equal the configured one (so `none` and HS/RS confusion fail), and
 * exp/nbf (60 s leeway), iss and aud are checked here because libjwt 1.10 does not.
 *
 * Key rotation: besides the signing key, one optional second key verifies and never signs
 * (token_keys_add_second). Issued tokens carry the signing key's id in the header `kid`; a
 * token with a kid is verified with that key only (an unknown kid fails), one without a kid
 * (issued before key ids existed) with the signing key's and then the second.
 */
#ifndef COOPD_TOKEN_H
#define COOPD_TOKEN_H

#include <stddef.h>
#include <time.h>

#include "principal.h"

#define TOKEN_LEEWAY_SECONDS 60
#define TOKEN_MAX_LEN        8192 /* longer tokens are rejected before libjwt sees them */

struct token_keys; /* opaque, immutable after token_keys_new; safe to share between threads */

/* Loads the signing configuration. alg is "HS256" (default when NULL/""), "ES256" or "RS256".
 * NULL and "" mean "not given" for every string argument.
 * - HS256 needs secret: its bytes as given (not base64-decoded), 32..4096 bytes. Key files
 *   must not be given.
 * - ES256/RS256 need private_key_file (PEM, PKCS#8 or traditional, unencrypted): coopd always
 *   signs. public_key_file (PEM "PUBLIC KEY") is optional: without it the public key is derived
 *   from the private key; with it, it must match the private key. secret must not be given.
 *   RS256 needs an RSA key of >= 2048 bits, ES256 an EC key on P-256; another type is an error.
 * issuer and audience: 1..255 bytes. ttl_seconds: 60..3600.
 * A freshly issued token must verify (self-test), so a key libjwt cannot use fails here.
 * Returns NULL and writes a short message (never key material) into err on bad config.
 * The caller owns the result and frees it with token_keys_free (which wipes the keys). */
struct token_keys *token_keys_new(const char *alg, const char *secret, const char *private_key_file,
                                  const char *public_key_file, const char *issuer,
                                  const char *audience, int ttl_seconds, char *err, size_t errlen);
void token_keys_free(struct token_keys *k);

/* Adds the second verification key to k, of k's algorithm: for HS256 secret (32..4096 bytes,
 * not the main secret), for ES256/RS256 public_key_file (PEM "PUBLIC KEY" of the type the
 * algorithm needs, not the main key). NULL and "" mean "not given"; neither given: nothing is
 * added and 0 is returned. Both given, the other algorithm's kind, or a second call: -1 with a
 * short message (never key material) in err. Call before k is shared between threads. */
int token_keys_add_second(struct token_keys *k, const char *secret, const char *public_key_file,
                          char *err, size_t errlen);

/* The key id (16 lowercase hex digits) of the signing key (which 0) or of the second key
 * (which 1), as issued tokens name it in `kid`: the first 16 hex digits of SHA-256 over the
 * HS256 secret or over the DER SubjectPublicKeyInfo of the public key. NULL when there is no
 * such key. Borrowed from k. */
const char *token_key_id(const struct token_keys *k, int which);

/* The configured lifetime of issued tokens, in seconds. */
int token_ttl(const struct token_keys *k);

/* Issues a token for p (sub, role and the scope claims that are non-empty), iat = nbf = now,
 * exp = now + ttl, a random jti (32 hex digits), signed with the signing key and naming its
 * key id in the header (`kid`). p must be consistent (the same rules
 * token_verify applies: known role, lowercase UUIDs, scope fitting the role), else NULL.
 * Returns a malloc'ed string the caller frees with free(), or NULL. */
char *token_issue(const struct token_keys *k, const struct principal *p, time_t now);

enum token_result {
	TOKEN_OK = 0,
	TOKEN_MALFORMED, /* not a JWT, bad signature, wrong algorithm */
	TOKEN_EXPIRED,   /* exp (+leeway) passed, or nbf or iat (-leeway) not reached */
	TOKEN_WRONG_ISSUER,
	TOKEN_WRONG_AUDIENCE,
	TOKEN_BAD_CLAIMS /* missing/ill-typed sub, role, exp, iat, nbf, jti, or scope claims that do
	                    not fit the role */
};

/* Verifies token at time now and fills *out (zeroed unless TOKEN_OK). sub, coop and member
 * must be lowercase canonical UUIDs (as PostgreSQL prints them), municipality ^GM[0-9]{4}$.
 * Never logs the token. Thread-safe. */
enum token_result token_verify(const struct token_keys *k, const char *token, time_t now,
                               struct principal *out);

#endif
