/* Idempotency-Key (SPEC §3), a phase of the dispatcher for writing routes (RF_IDEMPOTENT):
 * the first successful response of a (user, key) is stored in the same transaction as the
 * change it reports and replayed for the same body; another body is 422
 * idempotency_key_reused; a duplicate arriving while the first runs is 409.
 *
 * Owns its rows of idempotency_keys (purged after 48 hours) and nothing in memory: struct idem
 * lives on the dispatcher's stack. Every function returns 0, or -1 with r->err set. */
#ifndef COOPD_IDEMPOTENCY_H
#define COOPD_IDEMPOTENCY_H
#include <stdbool.h>

#include "http.h"

struct idem {
	bool present;
	char key[256];
	char hash[65]; /* SHA-256 of method, path, query and body */
};

/* Reads and checks the header (routes with RF_IDEMPOTENT only). 0, or -1 with 400. */
int idem_parse(struct req *r, struct idem *i);
/* Inside the request's transaction: takes the key's lock and replays a stored response
 * (r->replayed) when there is one. 0, or -1 with r->err (409 / 422). */
int idem_claim(struct req *r, struct idem *i);
/* Stores the response about to be committed. 0 or -1. */
int idem_store(struct req *r, struct idem *i);

#endif
