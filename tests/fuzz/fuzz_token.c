/* Fuzz target: access-token verification (token_verify, HS256 with a second verification key).
 *
 * Two kinds of input:
 * - a token as text (the seeds are tokens token_issue made for every role at FUZZ_NOW, so the
 *   mutations start from tokens that verify, with the signing key's kid; and tokens of the
 *   second key, with and without its kid);
 * - a text starting with '{': the claims JSON, or "header JSON\n{claims JSON}", which this
 *   target signs with the signing secret, so that the claim checks behind the signature
 *   are reached as well; starting with "2{", the same signed with the second secret, so that
 *   the choice of the key by the header's kid is reached.
 *
 * Invariants (abort on violation):
 * - TOKEN_OK: a known role, a non-empty lowercase UUID sub, a non-empty jti, the scope claims
 *   that role needs (and no others), exp not passed; and the principal, issued again, verifies
 *   to the same principal;
 * - any other result: *out is zeroed.
 *
 * COOPD_FUZZ_WRITE_SEEDS=dir build/fuzz/fuzz_token writes one issued token per role into dir
 * (how tests/fuzz/corpus/token/issued-kid-* were made; issued-* without kid came from the
 * build before key ids) and exits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/token.h"
#include "fuzz.h"

#define FUZZ_SECRET "fuzz-secret-0123456789-abcdefghij-0123456789"
#define FUZZ_SECOND "fuzz-second-secret-0123456789-abcdefghij-0123"
#define FUZZ_NOW    ((time_t)1700000000)
#define FUZZ_SUB    "8f14e45f-ceea-4e7a-9c1b-2f0a6c1d9b10"
#define FUZZ_COOP   "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b"
#define FUZZ_MEMBER "6fa459ea-ee8a-4ca4-894e-db77e160355e"
#define FUZZ_MUNI   "GM0363"

static struct token_keys *keys;

static void fill_principal(struct principal *p, enum role r)
{
	memset(p, 0, sizeof *p);
	p->role = r;
	strcpy(p->sub, FUZZ_SUB);
	if (r == ROLE_COOP_ADMIN || r == ROLE_BOOKKEEPER || r == ROLE_AUDITOR || r == ROLE_MEMBER)
		strcpy(p->coop, FUZZ_COOP);
	if (r == ROLE_MEMBER)
		strcpy(p->member, FUZZ_MEMBER);
	if (r == ROLE_MUNICIPALITY)
		strcpy(p->municipality, FUZZ_MUNI);
}

static void write_seeds(const char *dir)
{
	for (int r = ROLE_NONE + 1; r < ROLE_COUNT; r++) {
		struct principal p;
		fill_principal(&p, (enum role)r);
		char *tok = token_issue(keys, &p, FUZZ_NOW);
		FUZZ_ASSERT(tok);
		char path[4096];
		snprintf(path, sizeof path, "%s/issued-kid-%s", dir, role_name((enum role)r));
		FILE *f = fopen(path, "wb");
		FUZZ_ASSERT(f);
		fputs(tok, f);
		fclose(f);
		free(tok);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[256];
	keys = token_keys_new("HS256", FUZZ_SECRET, NULL, NULL, "coopd", "coopd-api", 3600, err,
	                      sizeof err);
	if (!keys || token_keys_add_second(keys, FUZZ_SECOND, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "token keys: %s\n", err);
		abort();
	}
	const char *dir = getenv("COOPD_FUZZ_WRITE_SEEDS");
	if (dir && *dir) {
		write_seeds(dir);
		token_keys_free(keys);
		exit(0);
	}
	return 0;
}

static int lower_uuid(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

static int municipality_code(const char *s)
{
	return strlen(s) == 6 && s[0] == 'G' && s[1] == 'M' && s[2] >= '0' && s[2] <= '9' &&
	       s[3] >= '0' && s[3] <= '9' && s[4] >= '0' && s[4] <= '9' && s[5] >= '0' &&
	       s[5] <= '9';
}

static void check_ok(const struct principal *p, time_t now)
{
	FUZZ_ASSERT(p->role > ROLE_NONE && p->role < ROLE_COUNT && role_name(p->role));
	FUZZ_ASSERT(p->sub[0] && lower_uuid(p->sub));
	FUZZ_ASSERT(p->jti[0]);
	FUZZ_ASSERT(p->exp >= (long long)now - TOKEN_LEEWAY_SECONDS);
	int coop = p->coop[0] != 0, member = p->member[0] != 0, muni = p->municipality[0] != 0;
	FUZZ_ASSERT(!coop || lower_uuid(p->coop));
	FUZZ_ASSERT(!member || lower_uuid(p->member));
	FUZZ_ASSERT(!muni || municipality_code(p->municipality));
	switch (p->role) {
	case ROLE_PLATFORM_ADMIN:
		FUZZ_ASSERT(!coop && !member && !muni);
		break;
	case ROLE_COOP_ADMIN:
	case ROLE_BOOKKEEPER:
	case ROLE_AUDITOR:
		FUZZ_ASSERT(coop && !member && !muni);
		break;
	case ROLE_MEMBER:
		FUZZ_ASSERT(coop && member && !muni);
		break;
	case ROLE_MUNICIPALITY:
		FUZZ_ASSERT(muni && !coop && !member);
		break;
	default:
		FUZZ_ASSERT(!"unknown role");
	}

	/* A principal that verified is consistent: issued again, it verifies to itself. */
	char *again = token_issue(keys, p, now);
	FUZZ_ASSERT(again);
	struct principal q;
	FUZZ_ASSERT(token_verify(keys, again, now, &q) == TOKEN_OK);
	FUZZ_ASSERT(q.role == p->role && !strcmp(q.sub, p->sub) && !strcmp(q.coop, p->coop) &&
	            !strcmp(q.member, p->member) && !strcmp(q.municipality, p->municipality));
	free(again);
}

static void verify(const char *token)
{
	struct principal p;
	memset(&p, 0x5a, sizeof p); /* token_verify must overwrite all of it */
	enum token_result res = token_verify(keys, token, FUZZ_NOW, &p);
	FUZZ_ASSERT(res >= TOKEN_OK && res <= TOKEN_BAD_CLAIMS);
	if (res == TOKEN_OK) {
		check_ok(&p, FUZZ_NOW);
	} else {
		static const struct principal zero;
		FUZZ_ASSERT(memcmp(&p, &zero, sizeof p) == 0);
	}
}

/* base64url of data without padding, appended to out at *n. */
static void b64url(const unsigned char *data, size_t len, char *out, size_t *n)
{
	int k = EVP_EncodeBlock((unsigned char *)out + *n, data, (int)len);
	FUZZ_ASSERT(k >= 0);
	for (int i = 0; i < k; i++) {
		char *c = out + *n + i;
		if (*c == '+')
			*c = '-';
		else if (*c == '/')
			*c = '_';
	}
	while (k > 0 && out[*n + k - 1] == '=')
		k--;
	*n += (size_t)k;
	out[*n] = '\0';
}

/* header.payload.signature, signed with secret; the caller frees it. */
static char *sign(const char *secret, const char *header, size_t hlen, const char *payload,
                  size_t plen)
{
	size_t cap = 4 * ((hlen + 2) / 3) + 4 * ((plen + 2) / 3) + 4 * (32 / 3 + 1) + 8;
	char *tok = malloc(cap);
	FUZZ_ASSERT(tok);
	size_t n = 0;
	b64url((const unsigned char *)header, hlen, tok, &n);
	tok[n++] = '.';
	b64url((const unsigned char *)payload, plen, tok, &n);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	FUZZ_ASSERT(HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)tok, n,
	                 mac, &maclen));
	tok[n++] = '.';
	b64url(mac, maclen, tok, &n);
	return tok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > TOKEN_MAX_LEN + 16)
		return 0; /* refused by length before anything else; nothing to learn */
	char *text = malloc(size + 1);
	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';

	int second = size > 1 && text[0] == '2' && text[1] == '{';
	if ((size > 0 && text[0] == '{') || second) {
		static const char def_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
		const char *body = text + second;
		size_t bsize = size - (size_t)second;
		const char *header = def_header, *payload = body;
		size_t hlen = sizeof def_header - 1, plen = bsize;
		const char *nl = memchr(body, '\n', bsize);
		if (nl && nl + 1 < body + bsize && nl[1] == '{') {
			header = body;
			hlen = (size_t)(nl - body);
			payload = nl + 1;
			plen = bsize - hlen - 1;
		}
		char *tok = sign(second ? FUZZ_SECOND : FUZZ_SECRET, header, hlen, payload, plen);
		verify(tok);
		free(tok);
	} else {
		verify(text);
	}
	free(text);
	return 0;
}
