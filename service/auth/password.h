/* Passwords and client secrets: slow salted hashes with the system crypt (yescrypt). */
#ifndef COOPD_PASSWORD_H
#define COOPD_PASSWORD_H
#include <stddef.h>

/* Hashes pw into out (>= 128 bytes). 0 or -1. */
int password_hash(const char *pw, char *out, size_t outlen);
/* 1 when pw matches hash, else 0. Constant time in the comparison. */
int password_verify(const char *pw, const char *hash);
/* Spends the time of one verification, so that unknown user names answer as slowly as known
 * ones. */
void password_burn(const char *pw);
/* A random secret of 2*nbytes hex characters into out (>= 2*nbytes+1). 0 or -1. */
int random_hex(char *out, size_t nbytes);

#endif
