#include "password.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* struct crypt_data is large (~32 KiB): keep it off the worker's stack. */
static const char *crypt_heap(const char *pw, const char *setting, char *out, size_t outlen)
{
	struct crypt_data *cd = calloc(1, sizeof *cd);
	if (!cd)
		return NULL;
	const char *h = crypt_r(pw, setting, cd);
	const char *ret = NULL;
	/* crypt_r signals failure with a hash starting with '*' (or NULL). */
	if (h && h[0] != '*' && strlen(h) < outlen) {
		memcpy(out, h, strlen(h) + 1);
		ret = out;
	}
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return ret;
}

int password_hash(const char *pw, char *out, size_t outlen)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	/* NULL random bytes: libxcrypt draws the salt from the kernel. */
	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof setting))
		return -1;
	return crypt_heap(pw, setting, out, outlen) ? 0 : -1;
}

int password_verify(const char *pw, const char *hash)
{
	char out[CRYPT_OUTPUT_SIZE];
	if (!crypt_heap(pw, hash, out, sizeof out))
		return 0;
	size_t n = strlen(hash);
	return strlen(out) == n && CRYPTO_memcmp(out, hash, n) == 0;
}

static char burn_hash[CRYPT_OUTPUT_SIZE];
static pthread_once_t burn_once = PTHREAD_ONCE_INIT;

static void burn_init(void)
{
	char pw[33];
	if (random_hex(pw, 16) != 0 || password_hash(pw, burn_hash, sizeof burn_hash) != 0)
		burn_hash[0] = '\0';
}

void password_burn(const char *pw)
{
	/* A real hash of a random password: the same algorithm and cost as stored hashes. */
	pthread_once(&burn_once, burn_init);
	if (burn_hash[0])
		(void)password_verify(pw, burn_hash);
}

int random_hex(char *out, size_t nbytes)
{
	unsigned char b[64];
	if (nbytes > sizeof b || RAND_bytes(b, (int)nbytes) != 1)
		return -1;
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}
