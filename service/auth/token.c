/* Issuing and verifying coopd's access tokens with libjwt 1.10.2 (see token.h).
 *
 * libjwt 1.10 takes the algorithm from the token and has no claim validation, so this file
 * pins the algorithm and checks every claim itself. Claims are read from libjwt's parsed
 * grants re-read with Jansson, so a claim of the wrong JSON type is seen as such (libjwt's
 * jwt_get_grant_int would read a string exp as 0).
 *
 * Keys: for ES256/RS256 the PEM files are parsed with OpenSSL, their type checked, and
 * re-serialised (private: unencrypted PKCS#8, public: SubjectPublicKeyInfo), so libjwt always
 * gets a PEM it can read. Nothing here is mutable after start-up (token_keys_new and
 * token_keys_add_second).
 *
 * Key ids: every verification key has a kid, the first 16 hex digits of SHA-256 over the
 * secret (HS256) or over the public key's DER SubjectPublicKeyInfo (ES256/RS256). Issued tokens
 * name the signing key's kid in their header; verification picks the key by it. Why a hash
 * prefix of an HS256 secret may be public: the secret has at least 32 bytes, SHA-256 is not
 * invertible, and 64 bits of its output give no shortcut to the secret. Anyone holding one
 * issued token can already test a guessed secret offline (recompute the HMAC signature), so the
 * kid adds no means of attack that a token does not already give; it only tells the two keys
 * apart. */
#include "token.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "lib/ids.h"
#include "lib/parse.h"

#define SECRET_MIN_LEN 32
#define SECRET_MAX_LEN 4096
#define KEY_FILE_MAX   65536 /* bytes; a PEM key is a few KiB at most */
#define NAME_MAX_LEN   255   /* issuer, audience */
#define TTL_MIN        60
#define TTL_MAX        3600
#define JTI_BYTES      16
#define KID_HEX        16   /* hex digits of a key id */
#define HEADER_MAX     1024 /* bytes of a decoded JOSE header whose kid is read */

/* A key that verifies: the signing key's own, or the second one (verifies, never signs). */
struct verify_key {
	unsigned char *key; /* owned, NUL-terminated; HS256: the secret, else SPKI PEM */
	int len;
	char kid[KID_HEX + 1];
};

struct token_keys {
	jwt_alg_t alg;
	unsigned char *sign_key; /* owned, NUL-terminated; HS256: the secret, else PKCS#8 PEM */
	int sign_key_len;
	struct verify_key verify[2]; /* [0] the signing key's, [1] the second key when nverify 2 */
	int nverify;
	char issuer[NAME_MAX_LEN + 1];
	char audience[NAME_MAX_LEN + 1];
	int ttl;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int given(const char *s)
{
	return s && *s;
}

/* Copies len bytes into a new NUL-terminated malloc'ed buffer the caller owns. */
static unsigned char *dup_bytes(const void *p, size_t len)
{
	unsigned char *d = malloc(len + 1);

	if (!d)
		return NULL;
	memcpy(d, p, len);
	d[len] = '\0';
	return d;
}

static void free_secret(unsigned char *p, int len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, (size_t)len);
	free(p);
}

/* The key id of key bytes: the first KID_HEX hex digits of their SHA-256. */
static void kid_of(const unsigned char *bytes, size_t len, char out[KID_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(bytes, len, md);
	for (int i = 0; i < KID_HEX / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[KID_HEX] = '\0';
	OPENSSL_cleanse(md, sizeof md);
}

/* The key id of a public key (or of a private key's public part): over its DER
 * SubjectPublicKeyInfo, as `openssl pkey -pubout -outform DER | sha256sum` prints it. */
static int kid_of_pkey(EVP_PKEY *pkey, char out[KID_HEX + 1])
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(pkey, &der);

	if (len <= 0 || !der) {
		ERR_clear_error();
		return -1;
	}
	kid_of(der, (size_t)len, out);
	OPENSSL_free(der);
	return 0;
}

/* ---- shape checks shared by issue and verify ---- */

/* Whether the scope claims (NULL = absent) fit role r. */
static int scope_fits(enum role r, const char *coop, const char *member, const char *municipality)
{
	switch (r) {
	case ROLE_PLATFORM_ADMIN:
		return !coop && !member && !municipality;
	case ROLE_COOP_ADMIN:
	case ROLE_BOOKKEEPER:
	case ROLE_AUDITOR:
		return text_is_uuid_lower(coop) && !member && !municipality;
	case ROLE_MEMBER:
		return text_is_uuid_lower(coop) && text_is_uuid_lower(member) && !municipality;
	case ROLE_MUNICIPALITY:
		return municipality_code_valid(municipality) && !coop && !member;
	default:
		return 0;
	}
}

static const char *nonempty_or_null(const char *s)
{
	return (s && *s) ? s : NULL;
}

/* Fails when src (with its NUL) does not fit; dst is then "". */
static int copy_str(char *dst, size_t dstsize, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsize) {
		dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/* xxx.yyy.zzz of base64url characters, no segment empty, at most TOKEN_MAX_LEN bytes. */
static int is_jwt_shape(const char *t)
{
	size_t n = strnlen(t, TOKEN_MAX_LEN + 1);
	size_t seg = 0;
	int dots = 0;

	if (n == 0 || n > TOKEN_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (c == '.') {
			if (seg == 0 || ++dots > 2)
				return 0;
			seg = 0;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		           (c >= '0' && c <= '9') || c == '-' || c == '_') {
			seg++;
		} else {
			return 0;
		}
	}
	return dots == 2 && seg > 0;
}

/* ---- key loading ---- */

/* Refuses to decrypt: without this OpenSSL would prompt on the terminal for a passphrase. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Reads the file at path (at most KEY_FILE_MAX bytes) into *out (malloc'ed, the caller wipes
 * and frees it with free_secret). what names the file in messages. */
static int read_key_file(const char *path, const char *what, unsigned char **out, int *outlen,
                         char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	FILE *f = NULL;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	f = fopen(path, "rb");
	if (!f) {
		set_err(err, errlen, "could not open %s \"%s\": %s", what, path, strerror(errno));
		goto cleanup;
	}
	buf = malloc(KEY_FILE_MAX + 1);
	if (!buf) {
		set_err(err, errlen, "out of memory");
		goto cleanup;
	}
	len = fread(buf, 1, KEY_FILE_MAX + 1, f);
	if (ferror(f)) {
		set_err(err, errlen, "could not read %s \"%s\"", what, path);
		goto cleanup;
	}
	if (len > KEY_FILE_MAX) {
		set_err(err, errlen, "%s \"%s\" is larger than %d bytes", what, path, KEY_FILE_MAX);
		goto cleanup;
	}
	*out = buf;
	*outlen = (int)len;
	buf = NULL;
	rc = 0;
cleanup:
	if (buf)
		free_secret(buf, KEY_FILE_MAX + 1);
	if (f)
		fclose(f);
	return rc;
}

/* Parses a PEM private (is_private) or public key file. Returns an EVP_PKEY the caller frees,
 * or NULL with a message. */
static EVP_PKEY *load_pem_key(const char *path, int is_private, char *err, size_t errlen)
{
	const char *what = is_private ? "jwt private key file" : "jwt public key file";
	unsigned char *buf = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int len = 0;

	if (read_key_file(path, what, &buf, &len, err, errlen) != 0)
		goto cleanup;
	bio = BIO_new_mem_buf(buf, len);
	if (!bio) {
		set_err(err, errlen, "out of memory");
		goto cleanup;
	}
	if (is_private)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	else
		pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	if (!pkey) {
		if (is_private)
			set_err(err, errlen,
			        "%s \"%s\" holds no readable PEM private key (encrypted keys are "
			        "not supported)",
			        what, path);
		else
			set_err(err, errlen, "%s \"%s\" holds no PEM public key", what, path);
	}
cleanup:
	BIO_free(bio);
	free_secret(buf, len);
	ERR_clear_error();
	return pkey;
}

static int is_p256(const EVP_PKEY *pkey)
{
	char group[80];
	size_t glen = 0;

	if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &glen) != 1)
		return 0;
	return OBJ_txt2nid(group) == NID_X9_62_prime256v1 ||
	       EC_curve_nist2nid(group) == NID_X9_62_prime256v1;
}

/* Whether pkey can be used with alg; what names the key in messages. */
static int check_key_type(const EVP_PKEY *pkey, jwt_alg_t alg, const char *what, char *err,
                          size_t errlen)
{
	if (alg == JWT_ALG_RS256) {
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
			set_err(err, errlen, "%s is not an RSA key, which RS256 needs", what);
			return -1;
		}
		if (EVP_PKEY_get_bits(pkey) < 2048) {
			set_err(err, errlen, "%s is shorter than 2048 bits", what);
			return -1;
		}
		return 0;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC || !is_p256(pkey)) {
		set_err(err, errlen, "%s is not an EC P-256 key, which ES256 needs", what);
		return -1;
	}
	return 0;
}

/* Serialises pkey as PEM (private: unencrypted PKCS#8; else SubjectPublicKeyInfo) into a
 * malloc'ed NUL-terminated buffer the caller wipes and frees. */
static int pem_encode(EVP_PKEY *pkey, int is_private, unsigned char **out, int *outlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (!bio)
		goto cleanup;
	if (is_private) {
		if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
			goto cleanup;
	} else if (PEM_write_bio_PUBKEY(bio, pkey) != 1) {
		goto cleanup;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0 || len > KEY_FILE_MAX || !data)
		goto cleanup;
	*out = dup_bytes(data, (size_t)len);
	if (!*out)
		goto cleanup;
	*outlen = (int)len;
	rc = 0;
cleanup:
	BIO_free(bio); /* OpenSSL clears a memory BIO's buffer when freeing it */
	ERR_clear_error();
	return rc;
}

/* Fills k->sign_key and k->verify[0] from the PEM files for ES256/RS256. */
static int load_key_pair(struct token_keys *k, const char *private_key_file,
                         const char *public_key_file, char *err, size_t errlen)
{
	EVP_PKEY *priv = NULL, *pub = NULL;
	int rc = -1;

	priv = load_pem_key(private_key_file, 1, err, errlen);
	if (!priv)
		goto cleanup;
	if (check_key_type(priv, k->alg, "jwt private key", err, errlen) != 0)
		goto cleanup;
	if (given(public_key_file)) {
		pub = load_pem_key(public_key_file, 0, err, errlen);
		if (!pub)
			goto cleanup;
		if (check_key_type(pub, k->alg, "jwt public key", err, errlen) != 0)
			goto cleanup;
		if (EVP_PKEY_eq(priv, pub) != 1) {
			set_err(err, errlen, "jwt public key does not match the private key");
			goto cleanup;
		}
	}
	if (pem_encode(priv, 1, &k->sign_key, &k->sign_key_len) != 0 ||
	    pem_encode(pub ? pub : priv, 0, &k->verify[0].key, &k->verify[0].len) != 0 ||
	    kid_of_pkey(pub ? pub : priv, k->verify[0].kid) != 0) {
		set_err(err, errlen, "could not encode the jwt keys");
		goto cleanup;
	}
	k->nverify = 1;
	rc = 0;
cleanup:
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	ERR_clear_error();
	return rc;
}

/* Issues and verifies one token, so that a key libjwt cannot use fails at start. */
static int self_test(const struct token_keys *k)
{
	struct principal p, got;
	time_t now = time(NULL);
	char *tok;
	int rc;

	memset(&p, 0, sizeof p);
	p.role = ROLE_PLATFORM_ADMIN;
	memcpy(p.sub, "00000000-0000-0000-0000-000000000000", UUID_TEXT_LEN + 1);
	tok = token_issue(k, &p, now);
	if (!tok)
		return -1;
	rc = token_verify(k, tok, now, &got) == TOKEN_OK ? 0 : -1;
	free(tok);
	return rc;
}

struct token_keys *token_keys_new(const char *alg, const char *secret, const char *private_key_file,
                                  const char *public_key_file, const char *issuer,
                                  const char *audience, int ttl_seconds, char *err, size_t errlen)
{
	struct token_keys *k = NULL;

	set_err(err, errlen, "%s", "");
	k = calloc(1, sizeof *k);
	if (!k) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	if (!given(alg) || strcmp(alg, "HS256") == 0) {
		k->alg = JWT_ALG_HS256;
	} else if (strcmp(alg, "ES256") == 0) {
		k->alg = JWT_ALG_ES256;
	} else if (strcmp(alg, "RS256") == 0) {
		k->alg = JWT_ALG_RS256;
	} else {
		set_err(err, errlen, "jwt algorithm must be HS256, ES256 or RS256");
		goto fail;
	}
	if (!given(issuer) || strlen(issuer) > NAME_MAX_LEN) {
		set_err(err, errlen, "jwt issuer must be 1 to %d bytes", NAME_MAX_LEN);
		goto fail;
	}
	if (!given(audience) || strlen(audience) > NAME_MAX_LEN) {
		set_err(err, errlen, "jwt audience must be 1 to %d bytes", NAME_MAX_LEN);
		goto fail;
	}
	if (ttl_seconds < TTL_MIN || ttl_seconds > TTL_MAX) {
		set_err(err, errlen, "token ttl must be %d to %d seconds", TTL_MIN, TTL_MAX);
		goto fail;
	}
	memcpy(k->issuer, issuer, strlen(issuer) + 1);
	memcpy(k->audience, audience, strlen(audience) + 1);
	k->ttl = ttl_seconds;

	if (k->alg == JWT_ALG_HS256) {
		size_t n = given(secret) ? strlen(secret) : 0;
		if (given(private_key_file) || given(public_key_file)) {
			set_err(err, errlen, "jwt key files are not used with HS256");
			goto fail;
		}
		if (n == 0) {
			set_err(err, errlen, "jwt secret is required for HS256");
			goto fail;
		}
		if (n < SECRET_MIN_LEN || n > SECRET_MAX_LEN) {
			set_err(err, errlen, "jwt secret must be %d to %d bytes", SECRET_MIN_LEN,
			        SECRET_MAX_LEN);
			goto fail;
		}
		k->sign_key = dup_bytes(secret, n);
		k->sign_key_len = k->sign_key ? (int)n : 0;
		k->verify[0].key = dup_bytes(secret, n);
		k->verify[0].len = k->verify[0].key ? (int)n : 0;
		if (!k->sign_key || !k->verify[0].key) {
			set_err(err, errlen, "out of memory");
			goto fail;
		}
		kid_of((const unsigned char *)secret, n, k->verify[0].kid);
		k->nverify = 1;
	} else {
		if (given(secret)) {
			set_err(err, errlen, "jwt secret is not used with %s", jwt_alg_str(k->alg));
			goto fail;
		}
		if (!given(private_key_file)) {
			set_err(err, errlen, "jwt private key file is required for %s",
			        jwt_alg_str(k->alg));
			goto fail;
		}
		if (load_key_pair(k, private_key_file, public_key_file, err, errlen) != 0)
			goto fail;
	}
	if (self_test(k) != 0) {
		set_err(err, errlen, "jwt self-test failed: an issued token did not verify");
		goto fail;
	}
	return k;
fail:
	token_keys_free(k);
	return NULL;
}

void token_keys_free(struct token_keys *k)
{
	if (!k)
		return;
	free_secret(k->sign_key, k->sign_key_len);
	for (int i = 0; i < 2; i++)
		free_secret(k->verify[i].key, k->verify[i].len);
	OPENSSL_cleanse(k, sizeof *k);
	free(k);
}

int token_ttl(const struct token_keys *k)
{
	return k ? k->ttl : 0;
}

int token_keys_add_second(struct token_keys *k, const char *secret, const char *public_key_file,
                          char *err, size_t errlen)
{
	struct verify_key *v;
	EVP_PKEY *pub = NULL;
	int rc = -1;

	set_err(err, errlen, "%s", "");
	if (!given(secret) && !given(public_key_file))
		return 0;
	if (!k || k->nverify != 1) {
		set_err(err, errlen, "a second jwt key needs the main key, and there is only one");
		return -1;
	}
	if (given(secret) && given(public_key_file)) {
		set_err(
		    err, errlen,
		    "give a second jwt secret (HS256) or a second public key file (ES256/RS256), "
		    "not both");
		return -1;
	}
	v = &k->verify[1];
	if (k->alg == JWT_ALG_HS256) {
		size_t n = given(secret) ? strlen(secret) : 0;
		if (!given(secret)) {
			set_err(
			    err, errlen,
			    "a second jwt public key file is not used with HS256 (give a second "
			    "secret)");
			goto cleanup;
		}
		if (n < SECRET_MIN_LEN || n > SECRET_MAX_LEN) {
			set_err(err, errlen, "second jwt secret must be %d to %d bytes",
			        SECRET_MIN_LEN, SECRET_MAX_LEN);
			goto cleanup;
		}
		if ((int)n == k->verify[0].len && CRYPTO_memcmp(secret, k->verify[0].key, n) == 0) {
			set_err(err, errlen, "second jwt secret is the same as the main one");
			goto cleanup;
		}
		v->key = dup_bytes(secret, n);
		if (!v->key) {
			set_err(err, errlen, "out of memory");
			goto cleanup;
		}
		v->len = (int)n;
		kid_of((const unsigned char *)secret, n, v->kid);
	} else {
		if (given(secret)) {
			set_err(err, errlen,
			        "a second jwt secret is not used with %s (give a second public key "
			        "file)",
			        jwt_alg_str(k->alg));
			goto cleanup;
		}
		pub = load_pem_key(public_key_file, 0, err, errlen);
		if (!pub)
			goto cleanup;
		if (check_key_type(pub, k->alg, "second jwt public key", err, errlen) != 0)
			goto cleanup;
		if (pem_encode(pub, 0, &v->key, &v->len) != 0 || kid_of_pkey(pub, v->kid) != 0) {
			set_err(err, errlen, "could not encode the second jwt public key");
			goto cleanup;
		}
		if (v->len == k->verify[0].len &&
		    memcmp(v->key, k->verify[0].key, (size_t)v->len) == 0) {
			set_err(err, errlen, "second jwt public key is the main key itself");
			goto cleanup;
		}
	}
	if (strcmp(v->kid, k->verify[0].kid) == 0) { /* 64 bits alike: not by chance */
		set_err(err, errlen, "the two jwt keys have the same key id");
		goto cleanup;
	}
	k->nverify = 2;
	rc = 0;
cleanup:
	if (rc != 0) {
		free_secret(v->key, v->len);
		memset(v, 0, sizeof *v);
	}
	EVP_PKEY_free(pub);
	ERR_clear_error();
	return rc;
}

const char *token_key_id(const struct token_keys *k, int which)
{
	if (!k || which < 0 || which >= k->nverify)
		return NULL;
	return k->verify[which].kid;
}

/* ---- issue ---- */

static int random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[JTI_BYTES];

	if (nbytes > sizeof buf || RAND_bytes(buf, (int)nbytes) != 1) {
		ERR_clear_error();
		return -1;
	}
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 0x0f];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

char *token_issue(const struct token_keys *k, const struct principal *p, time_t now)
{
	const char *role, *coop, *member, *municipality;
	char jti[2 * JTI_BYTES + 1];
	char *out = NULL;
	jwt_t *jwt = NULL;

	if (!k || !p || !k->sign_key)
		return NULL;
	/* Bounded reads of the principal's fixed arrays, then the rules token_verify applies. */
	if (!memchr(p->sub, '\0', sizeof p->sub) || !memchr(p->coop, '\0', sizeof p->coop) ||
	    !memchr(p->member, '\0', sizeof p->member) ||
	    !memchr(p->municipality, '\0', sizeof p->municipality))
		return NULL;
	role = role_name(p->role);
	coop = nonempty_or_null(p->coop);
	member = nonempty_or_null(p->member);
	municipality = nonempty_or_null(p->municipality);
	if (!role || !text_is_uuid_lower(p->sub) ||
	    !scope_fits(p->role, coop, member, municipality))
		return NULL;
	if (random_hex(jti, JTI_BYTES) != 0)
		return NULL;

	if (jwt_new(&jwt) != 0)
		goto cleanup;
	if (jwt_set_alg(jwt, k->alg, k->sign_key, k->sign_key_len) != 0)
		goto cleanup;
	if (jwt_add_header(jwt, "kid", k->verify[0].kid) != 0)
		goto cleanup;
	if (jwt_add_grant(jwt, "iss", k->issuer) || jwt_add_grant(jwt, "aud", k->audience) ||
	    jwt_add_grant(jwt, "sub", p->sub) || jwt_add_grant(jwt, "role", role) ||
	    (coop && jwt_add_grant(jwt, "coop", coop)) ||
	    (member && jwt_add_grant(jwt, "member", member)) ||
	    (municipality && jwt_add_grant(jwt, "municipality", municipality)) ||
	    jwt_add_grant_int(jwt, "iat", (long)now) || jwt_add_grant_int(jwt, "nbf", (long)now) ||
	    jwt_add_grant_int(jwt, "exp", (long)now + k->ttl) || jwt_add_grant(jwt, "jti", jti))
		goto cleanup;
	/* libjwt 1.10 allocates the encoded token with malloc: the caller frees it with free(). */
	out = jwt_encode_str(jwt);
cleanup:
	jwt_free(jwt); /* wipes libjwt's copy of the key */
	ERR_clear_error();
	return out;
}

/* ---- verify ---- */

/* The string value of v, or NULL when v is absent, not a string, or holds a NUL byte. */
static const char *json_cstr(const json_t *v)
{
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	return strlen(s) == json_string_length(v) ? s : NULL;
}

static int audience_ok(const json_t *aud, const char *want)
{
	const char *s;
	size_t i;
	json_t *item;

	if (json_is_array(aud)) {
		json_array_foreach(aud, i, item)
		{
			s = json_cstr(item);
			if (s && strcmp(s, want) == 0)
				return 1;
		}
		return 0;
	}
	s = json_cstr(aud);
	return s && strcmp(s, want) == 0;
}

/* Reads an optional string claim: *out = NULL when absent; fails when present but not a
 * string (including JSON null). */
static int optional_str(const json_t *claims, const char *name, const char **out)
{
	const json_t *v = json_object_get(claims, name);

	*out = NULL;
	if (!v)
		return 0;
	*out = json_cstr(v);
	return *out ? 0 : -1;
}

/* Parses JSON text produced by libjwt (json_dumps), then frees the text. */
static json_t *load_and_free(char *text)
{
	json_t *j;

	if (!text)
		return NULL;
	j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	free(text); /* json_dumps output, allocated with Jansson's default malloc */
	return j;
}

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes n base64url characters (unpadded) into out, which has room for n * 3 / 4 bytes.
 * Returns the number of bytes, or -1 for a character or a length base64url cannot have. */
static long b64url_decode(const char *in, size_t n, unsigned char *out)
{
	unsigned int acc = 0;
	int bits = 0;
	long o = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return o;
}

/* Reads the kid of the token's header (before the signature is checked: it only chooses the
 * key). Returns 0 with *which = -1 when the header has no kid, 0 with *which the index of the
 * key named, or -1: a header that is not a JSON object of at most HEADER_MAX bytes, a kid that
 * is not a string, or a kid of no configured key. */
static int key_by_kid(const struct token_keys *k, const char *token, int *which)
{
	size_t hlen = strcspn(token, ".");
	unsigned char *buf = NULL;
	json_t *header = NULL;
	const json_t *kid;
	const char *s;
	long n;
	int rc = -1;

	*which = -1;
	if (hlen == 0 || hlen > (HEADER_MAX / 3) * 4 + 3)
		return -1;
	buf = malloc(hlen * 3 / 4 + 1);
	if (!buf)
		return -1;
	n = b64url_decode(token, hlen, buf);
	if (n <= 0)
		goto cleanup;
	header = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(header))
		goto cleanup;
	kid = json_object_get(header, "kid");
	if (!kid) {
		rc = 0;
		goto cleanup;
	}
	s = json_cstr(kid);
	if (!s)
		goto cleanup;
	for (int i = 0; i < k->nverify; i++) {
		if (strcmp(s, k->verify[i].kid) == 0) {
			*which = i;
			rc = 0;
			break;
		}
	}
cleanup:
	json_decref(header);
	free(buf);
	return rc;
}

/* jwt_decode with the key the header's kid names, or without a kid (tokens issued before key
 * ids) with the signing key's and then the second. Always with a key: libjwt 1.10 skips the
 * signature without one. */
static int decode_with_keys(const struct token_keys *k, const char *token, jwt_t **jwt)
{
	int which;

	*jwt = NULL;
	if (key_by_kid(k, token, &which) != 0)
		return -1;
	for (int i = 0; i < k->nverify; i++) {
		if (which >= 0 && i != which)
			continue;
		if (jwt_decode(jwt, token, k->verify[i].key, k->verify[i].len) == 0 && *jwt)
			return 0;
		jwt_free(*jwt);
		*jwt = NULL;
	}
	return -1;
}

enum token_result token_verify(const struct token_keys *k, const char *token, time_t now,
                               struct principal *out)
{
	enum token_result res = TOKEN_MALFORMED;
	const json_t *exp, *nbf, *iat;
	const char *typ, *sub, *role_str, *jti, *coop, *member, *municipality;
	json_t *header = NULL, *claims = NULL, *v;
	struct principal p;
	jwt_t *jwt = NULL;
	enum role role;

	memset(&p, 0, sizeof p);
	if (out)
		memset(out, 0, sizeof *out);
	if (!k || !token || !out || k->nverify < 1)
		goto cleanup;
	if (!is_jwt_shape(token))
		goto cleanup;
	if (decode_with_keys(k, token, &jwt) != 0)
		goto cleanup;
	/* Pinning the algorithm rejects "none" and an HS256 token keyed with our public key. */
	if (jwt_get_alg(jwt) != k->alg)
		goto cleanup;

	header = load_and_free(jwt_get_headers_json(jwt, NULL));
	if (!json_is_object(header))
		goto cleanup;
	v = json_object_get(header, "typ");
	if (v && (!(typ = json_cstr(v)) || strcmp(typ, "JWT") != 0))
		goto cleanup;
	if (json_object_get(header, "crit")) /* no extensions are understood (RFC 7515 4.1.11) */
		goto cleanup;
	claims = load_and_free(jwt_get_grants_json(jwt, NULL));
	if (!json_is_object(claims))
		goto cleanup;

	res = TOKEN_BAD_CLAIMS;
	exp = json_object_get(claims, "exp");
	nbf = json_object_get(claims, "nbf");
	iat = json_object_get(claims, "iat");
	if (!json_is_integer(exp) || !json_is_integer(nbf) || !json_is_integer(iat))
		goto cleanup;
	res = TOKEN_EXPIRED;
	/* exp + leeway >= now and nbf - leeway <= now, written so that no claim can overflow. */
	if (json_integer_value(exp) < (json_int_t)now - TOKEN_LEEWAY_SECONDS ||
	    json_integer_value(nbf) > (json_int_t)now + TOKEN_LEEWAY_SECONDS ||
	    json_integer_value(iat) > (json_int_t)now + TOKEN_LEEWAY_SECONDS)
		goto cleanup;
	res = TOKEN_WRONG_ISSUER;
	v = json_object_get(claims, "iss");
	if (!json_cstr(v) || strcmp(json_cstr(v), k->issuer) != 0)
		goto cleanup;
	res = TOKEN_WRONG_AUDIENCE;
	if (!audience_ok(json_object_get(claims, "aud"), k->audience))
		goto cleanup;

	res = TOKEN_BAD_CLAIMS;
	sub = json_cstr(json_object_get(claims, "sub"));
	role_str = json_cstr(json_object_get(claims, "role"));
	jti = json_cstr(json_object_get(claims, "jti"));
	if (!text_is_uuid_lower(sub) || !role_str || !jti || jti[0] == '\0')
		goto cleanup;
	role = role_from_name(role_str);
	if (role == ROLE_NONE)
		goto cleanup;
	if (optional_str(claims, "coop", &coop) != 0 ||
	    optional_str(claims, "member", &member) != 0 ||
	    optional_str(claims, "municipality", &municipality) != 0)
		goto cleanup;
	if (!scope_fits(role, coop, member, municipality))
		goto cleanup;

	p.role = role;
	p.exp = json_integer_value(exp);
	p.iat = json_integer_value(iat);
	if (copy_str(p.sub, sizeof p.sub, sub) != 0 || copy_str(p.jti, sizeof p.jti, jti) != 0 ||
	    (coop && copy_str(p.coop, sizeof p.coop, coop) != 0) ||
	    (member && copy_str(p.member, sizeof p.member, member) != 0) ||
	    (municipality && copy_str(p.municipality, sizeof p.municipality, municipality) != 0))
		goto cleanup;
	*out = p;
	res = TOKEN_OK;
cleanup:
	json_decref(header);
	json_decref(claims);
	jwt_free(jwt);
	if (res != TOKEN_OK)
		ERR_clear_error(); /* leave no OpenSSL errors in this thread's queue */
	return res;
}
