/* The caller in the database: every request that touches the database runs in one
 * transaction (opened by the dispatcher, see db_tx_open), whose first statement is the one
 * built here. It
 * - sets the caller's identity for that transaction only (set_config(..., true)):
 *   coopd.user_id, coopd.role, coopd.cooperative_id, coopd.member_id, coopd.municipality
 *   (not set when the caller has none: read them with nullif(current_setting(.., true), '')),
 *   and, for a read, transaction_read_only — what row-level security, the audit of
 *   personal-data reads and SQL functions read with current_setting('coopd.role', true);
 * - for a municipal principal, switches to the database role coopd_municipal for the rest of
 *   the transaction: row-level security then keeps every statement to the municipality's own
 *   residents (sql/012_municipal_role.sql);
 * - checks that the verified token is still usable (SPEC §9 "Auth"): its user exists and is
 *   enabled, it was issued after the user's tokens were last revoked, and it was not logged
 *   out (sql/functions, token_usable). A token that is not fails the request with 401.
 * It costs no round trip of its own: it goes out with the request's first statement. A read of
 * one statement gets the check alone (struct db_context's check): its statement carries the
 * caller's scope as parameters, and the settings would cost it 5-10 % of its throughput. Not a
 * municipal principal's read: its role and municipality must always be set.
 *
 * Owns nothing: the parameters live in struct auth_context, which the caller keeps for as
 * long as the transaction runs. */
#ifndef COOPD_AUTH_CONTEXT_H
#define COOPD_AUTH_CONTEXT_H

#include <stdbool.h>

#include "db/db.h"
#include "principal.h"

struct auth_context {
	char iat[24];
	const char *values[8];
	struct db_context db; /* what db_tx_open takes */
};

/* Fills ctx for who (who must outlive ctx). read_only: the statement also makes the
 * transaction read-only (transaction_read_only), so that a read is one even where it runs in
 * the implicit transaction of a single pipeline (db_exec_last). */
void auth_context_init(struct auth_context *ctx, const struct principal *who, bool read_only);

#endif
