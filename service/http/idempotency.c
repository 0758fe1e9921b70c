#include "idempotency.h"

#include <civetweb.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "router.h"

static struct stmt lock_key =
    STMT("SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))");

static struct stmt find_key =
    STMT("SELECT request_hash, status, location, etag, body FROM idempotency_keys"
         " WHERE user_id = $1 AND key = $2 AND created_at > now() - interval '24 hours'");

/* Also removes a few keys older than 48 hours, so the table stays small without a janitor. */
static struct stmt store_key =
    STMT("WITH purge AS (DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY("
         "  SELECT ctid FROM idempotency_keys WHERE created_at < now() - interval '48 hours'"
         "  LIMIT 20)))"
         " INSERT INTO idempotency_keys (user_id, key, request_hash, status, location, etag, body)"
         " VALUES ($1, $2, $3, $4, $5, $6, $7)"
         " ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash,"
         "  status = EXCLUDED.status, location = EXCLUDED.location, etag = EXCLUDED.etag,"
         "  body = EXCLUDED.body, created_at = now()");

int idem_parse(struct req *r, struct idem *i)
{
	memset(i, 0, sizeof *i);
	if (!(r->route->flags & RF_IDEMPOTENT))
		return 0;
	const char *k = req_header(r, "Idempotency-Key");
	if (!k)
		return 0;
	size_t n = strlen(k);
	int ok = n >= 1 && n <= 255;
	for (size_t j = 0; ok && j < n; j++)
		ok = k[j] >= 0x21 && k[j] <= 0x7e;
	if (!ok) {
		err_set(&r->err, 400, "invalid_parameter",
		        "Idempotency-Key must be 1 to 255 printable ASCII characters");
		return -1;
	}
	memcpy(i->key, k, n + 1);
	i->present = true;

	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[32];
	unsigned int dlen = 0;
	const char *qs = r->ri->query_string ? r->ri->query_string : "";
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, r->ri->request_method, strlen(r->ri->request_method));
	EVP_DigestUpdate(md, "\n", 1);
	EVP_DigestUpdate(md, r->ri->local_uri, strlen(r->ri->local_uri));
	EVP_DigestUpdate(md, "\n", 1);
	EVP_DigestUpdate(md, qs, strlen(qs));
	EVP_DigestUpdate(md, "\n", 1);
	if (r->raw_body)
		EVP_DigestUpdate(md, r->raw_body, r->raw_len);
	EVP_DigestFinal_ex(md, digest, &dlen);
	EVP_MD_CTX_free(md);
	for (unsigned j = 0; j < 32; j++)
		snprintf(i->hash + 2 * j, 3, "%02x", digest[j]);
	return 0;
}

int idem_claim(struct req *r, struct idem *i)
{
	if (!i->present)
		return 0;
	const char *p[] = {r->who.sub, i->key};
	if (!req_db(r))
		return -1;
	PGresult *res = db_exec(r->db, &lock_key, 2, p, &r->err);
	if (!res)
		return -1;
	int locked = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!locked) {
		err_set(&r->err, 409, "idempotency_in_progress",
		        "a request with this Idempotency-Key is still being processed");
		return -1;
	}
	res = db_exec(r->db, &find_key, 2, p, &r->err);
	if (!res)
		return -1;
	int rc = 0;
	if (PQntuples(res) == 1) {
		if (strcmp(PQgetvalue(res, 0, 0), i->hash) != 0) {
			err_set(&r->err, 422, "idempotency_key_reused",
			        "this Idempotency-Key was used for a different request");
			rc = -1;
		} else {
			resp_json_text(r, (int)db_ll(res, 0, 1), PQgetvalue(res, 0, 4));
			if (db_str(res, 0, 2))
				snprintf(r->location, sizeof r->location, "%s", db_str(res, 0, 2));
			if (db_str(res, 0, 3))
				snprintf(r->etag, sizeof r->etag, "%s", db_str(res, 0, 3));
			r->replayed = true;
		}
	}
	PQclear(res);
	return rc;
}

int idem_store(struct req *r, struct idem *i)
{
	if (!i->present)
		return 0;
	char status[8];
	snprintf(status, sizeof status, "%d", r->status);
	const char *p[] = {r->who.sub,
	                   i->key,
	                   i->hash,
	                   status,
	                   r->location[0] ? r->location : NULL,
	                   r->etag[0] ? r->etag : NULL,
	                   r->idem_body ? r->idem_body : (r->out.data ? r->out.data : "")};
	PGresult *res = db_exec(r->db, &store_key, 7, p, &r->err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}
