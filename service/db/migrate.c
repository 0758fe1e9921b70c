/* Migrations: the numbered files of sql/, embedded in the binary, applied in order, each in its
 * own transaction, recorded with a SHA-256 checksum. A migration that changed after it was
 * applied stops start-up: history is never rewritten, a fix is a new migration.
 *
 * Then the function files of sql/functions/ (the one live definition of every function, all
 * CREATE OR REPLACE): applied in name order in one transaction when their combined checksum
 * differs from the one recorded in schema_functions, or when a migration was applied in this
 * run (it may have replaced or dropped a function). A normal start rewrites nothing. All of it
 * runs under one advisory lock, so instances starting at once take turns. The connection is
 * made like the pool's (db_connect): of several hosts, the one that takes writes. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "embedded.h"
#include "log.h"

#define MIGRATION_LOCK_KEY 4242001 /* pg_advisory_lock key: one migrator at a time */
#define FUNCTIONS_DIR      "sql/functions/"

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The combined checksum of the function files: SHA-256 over every file's name and contents, each
 * followed by a NUL byte, in order; so renaming, adding or removing a file changes it too. */
static int functions_checksum(char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	int ok = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		ok = 1;
		for (const struct embedded_file *f = embedded_functions; ok && f->name; f++)
			ok = EVP_DigestUpdate(ctx, f->name, strlen(f->name) + 1) &&
			     EVP_DigestUpdate(ctx, f->start, (size_t)(f->end - f->start)) &&
			     EVP_DigestUpdate(ctx, "", 1);
		ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
	}
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
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

/* Applies sql/functions/ when its checksum differs from the recorded one, or when force is set
 * (a migration ran). The caller holds the migration lock. */
static int apply_functions(PGconn *pg, int force, char *err, size_t errlen)
{
	int rc = -1;
	PGresult *res = NULL;
	char sum[65];
	if (functions_checksum(sum) != 0) {
		snprintf(err, errlen, "sql/functions: cannot compute the checksum");
		return -1;
	}
	const char *prev = NULL;
	for (const struct embedded_file *f = embedded_functions; f->name; f++) {
		if (prev && strcmp(prev, f->name) >= 0) {
			snprintf(err, errlen,
			         FUNCTIONS_DIR "%s: the files must be embedded in name order",
			         f->name);
			return -1;
		}
		prev = f->name;
	}
	if (run(pg,
	        "CREATE TABLE IF NOT EXISTS schema_functions ("
	        " id boolean PRIMARY KEY DEFAULT true CHECK (id), checksum text NOT NULL,"
	        " applied_at timestamptz NOT NULL DEFAULT now())",
	        err, errlen, "schema_functions"))
		return -1;
	res = PQexec(pg, "SELECT checksum FROM schema_functions");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "reading schema_functions: %s", PQresultErrorMessage(res));
		goto cleanup;
	}
	if (!force && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), sum) == 0) {
		rc = 0; /* unchanged: the functions in the database are these */
		goto cleanup;
	}
	PQclear(res);
	res = NULL;

	if (run(pg, "BEGIN", err, errlen, "sql/functions"))
		goto cleanup;
	for (const struct embedded_file *f = embedded_functions; f->name; f++) {
		char what[160];
		snprintf(what, sizeof what, "function file " FUNCTIONS_DIR "%s failed", f->name);
		if (run(pg, f->start, err, errlen, what))
			goto rollback;
	}
	const char *params[] = {sum};
	res = PQexecParams(pg,
	                   "INSERT INTO schema_functions (id, checksum) VALUES (true, $1) "
	                   "ON CONFLICT (id) DO UPDATE SET checksum = EXCLUDED.checksum, "
	                   "applied_at = now()",
	                   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "recording the sql/functions checksum failed: %s",
		         PQresultErrorMessage(res));
		goto rollback;
	}
	if (run(pg, "COMMIT", err, errlen, "sql/functions"))
		goto rollback;
	log_msg("info", NULL, "applied sql/functions (checksum %s)", sum);
	rc = 0;
	goto cleanup;
rollback:
	PQclear(PQexec(pg, "ROLLBACK"));
cleanup:
	PQclear(res);
	return rc;
}

int db_migrate(const char *url, char *err, size_t errlen)
{
	int rc = -1;
	PGresult *applied = NULL;
	PGconn *pg = db_connect(url, NULL, "read-write");
	if (PQstatus(pg) != CONNECTION_OK) {
		char why[400];
		db_conn_error(url, pg, why, sizeof why);
		snprintf(err, errlen, "cannot connect to the database: %s", why);
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

	int known = 0, last = 0, ran = 0;
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
		ran++;
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
	if (apply_functions(pg, ran > 0, err, errlen))
		goto cleanup;
	rc = 0;
cleanup:
	/* A lost connection (or none) is for retrying: every step was a transaction of its own. */
	if (rc != 0 && PQstatus(pg) != CONNECTION_OK)
		rc = DB_UNREACHABLE;
	PQclear(applied);
	PQfinish(pg);
	return rc;
}
