/* Migrations: the numbered files of sql/, embedded in the binary, applied in order, each in its
 * own transaction, recorded with a SHA-256 checksum. A migration that changed after it was
 * applied stops start-up: history is never rewritten, a fix is a new migration. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "embedded.h"
#include "log.h"

#define MIGRATION_LOCK_KEY 4242001 /* pg_advisory_lock key: one migrator at a time */

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int run(PGconn *pg, const char *sql, char *err, size_t errlen, const char *what)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(res);
		return 0;
	}
	snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(res));
	PQclear(res);
	return -1;
}

/* Version = the leading digits of the file name ("001_foundation.sql" → 1). */
static int version_of(const char *name)
{
	if (!isdigit((unsigned char)name[0]))
		return -1;
	return atoi(name);
}

int db_migrate(const char *url, char *err, size_t errlen)
{
	int rc = -1;
	PGresult *applied = NULL;
	PGconn *pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "cannot connect to the database (check DATABASE_URL)");
		goto cleanup;
	}
	PQclear(PQexec(pg, "SET client_min_messages = warning"));
	char lock[96];
	snprintf(lock, sizeof lock, "SELECT pg_advisory_lock(%d)", MIGRATION_LOCK_KEY);
	if (run(pg, lock, err, errlen, "migration lock") ||
	    run(pg,
	        "CREATE TABLE IF NOT EXISTS schema_migrations ("
	        " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
	        " applied_at timestamptz NOT NULL DEFAULT now())",
	        err, errlen, "schema_migrations"))
		goto cleanup;

	applied =
	    PQexec(pg, "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
	if (PQresultStatus(applied) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "reading schema_migrations: %s",
		         PQresultErrorMessage(applied));
		goto cleanup;
	}

	int known = 0, last = 0;
	for (const struct embedded_file *m = embedded_migrations; m->name; m++, known++) {
		int v = version_of(m->name);
		if (v <= last) {
			snprintf(err, errlen, "migration %s: versions must increase", m->name);
			goto cleanup;
		}
		last = v;
		char sum[65];
		sha256_hex(m->start, (size_t)(m->end - m->start), sum);

		int found = -1;
		for (int i = 0; i < PQntuples(applied); i++)
			if (atoi(PQgetvalue(applied, i, 0)) == v)
				found = i;
		if (found >= 0) {
			if (strcmp(PQgetvalue(applied, found, 2), sum) != 0) {
				snprintf(err, errlen,
				         "migration %s was changed after it was applied (checksum "
				         "mismatch); add a new migration instead of editing it",
				         m->name);
				goto cleanup;
			}
			continue;
		}
		if (run(pg, "BEGIN", err, errlen, m->name) ||
		    run(pg, m->start, err, errlen, m->name)) {
			PQclear(PQexec(pg, "ROLLBACK"));
			goto cleanup;
		}
		char vbuf[16];
		snprintf(vbuf, sizeof vbuf, "%d", v);
		const char *params[] = {vbuf, m->name, sum};
		PGresult *ins =
		    PQexecParams(pg,
		                 "INSERT INTO schema_migrations(version, name, checksum) "
		                 "VALUES ($1, $2, $3)",
		                 3, NULL, params, NULL, NULL, 0);
		int ok = PQresultStatus(ins) == PGRES_COMMAND_OK;
		PQclear(ins);
		if (!ok || run(pg, "COMMIT", err, errlen, m->name)) {
			if (!ok)
				snprintf(err, errlen, "recording migration %s failed", m->name);
			PQclear(PQexec(pg, "ROLLBACK"));
			goto cleanup;
		}
		log_msg("info", NULL, "applied migration %s", m->name);
	}
	for (int i = 0; i < PQntuples(applied); i++) {
		if (atoi(PQgetvalue(applied, i, 0)) > last) {
			snprintf(err, errlen,
			         "the database has migration %s, which this binary does not know",
			         PQgetvalue(applied, i, 1));
			goto cleanup;
		}
	}
	(void)known;
	rc = 0;
cleanup:
	PQclear(applied);
	PQfinish(pg);
	return rc;
}
