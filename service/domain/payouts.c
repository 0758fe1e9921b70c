/* Payouts and their SEPA files (payouts.h). */
#include "payouts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "body.h"
#include "lib/bigstack.h"
#include "lib/parse.h"
#include "lib/sepa.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

#define PAYOUT_MAX_TRANSFERS  1000
#define PAYOUT_MAX_DAYS_AHEAD 365

/* $3 the cooperative: its payouts, oldest first. */
static struct list_stmt payout_list =
    LIST_STMT("payout_doc(p)::text", "payouts p", "p.seq", "p.cooperative_id = $3");

/* The ETag: 1 while booked, 2 once cancelled, 3 once a bank statement shows it executed (a
 * payout changes once, one way or the other). */
#define PAYOUT_VERSION                                                                             \
	"CASE WHEN p.status = 'cancelled' THEN 2 WHEN p.executed_on IS NOT NULL THEN 3 ELSE 1 END"

static struct stmt payout_get =
    STMT("SELECT payout_doc(p)::text AS doc, " PAYOUT_VERSION " AS row_version FROM payouts p"
         " WHERE p.id = $1 AND ($2::uuid IS NULL OR p.cooperative_id = $2)");

/* The index of the first transfer whose member_id names no member of the cooperative $2 (null:
 * none); $1 the transfers. */
static struct stmt unknown_member =
    STMT("SELECT min(t.ord) - 1 AS i FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY"
         " AS t(x, ord) WHERE NOT EXISTS (SELECT 1 FROM members m"
         "   WHERE m.id = (t.x ->> 'member_id')::uuid AND m.cooperative_id = $2)");

/* $1 cooperative, $2 execution date, $3 the transfers, $4 the user. (The functions answer the
 * payout's document themselves: a query calling them sees its own snapshot, without the
 * transfers they wrote.) */
static struct stmt payout_insert = STMT("SELECT d::text AS doc, d->>'id' AS id, 1 AS row_version"
                                        " FROM payout_create($1, $2::date, $3::jsonb, $4) d");

static struct stmt payout_lock =
    STMT("SELECT " PAYOUT_VERSION " AS row_version, p.cooperative_id FROM payouts p"
         " WHERE p.id = $1 AND ($2::uuid IS NULL OR p.cooperative_id = $2) FOR UPDATE");

/* $1 payout, $2 reason, $3 the user. */
static struct stmt payout_cancel = STMT("SELECT d::text AS doc, d->>'id' AS id, 2 AS row_version"
                                        " FROM payout_cancel($1, $2, $3) d");

/* The renderer's document (lib/sepa.h), in the caller's cooperative scope. */
static struct stmt payout_sepa =
    STMT("SELECT payout_sepa_doc(p)::text AS doc, p.status, p.message_id FROM payouts p"
         " WHERE p.id = $1 AND ($2::uuid IS NULL OR p.cooperative_id = $2)");

static const struct field transfer_fields[] = {
    {"member_id", F_UUID, FIELD_REQUIRED, 0, 0, NULL},
    {"amount_cents", F_CENTS, FIELD_REQUIRED, 1, SEPA_MAX_CENTS, NULL},
    {"description", F_STRING, 0, 1, SEPA_USTRD_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field payouts_create_fields[] = {
    {"execution_date", F_DATE, 0, 0, 0, NULL},
    {"transfers", F_ARRAY, FIELD_REQUIRED, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field payouts_cancel_fields[] = {
    {"reason", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int payouts_list(struct req *r)
{
	return list_children(r, coop_open, &payout_list);
}

int payouts_get(struct req *r)
{
	return get_in_coop(r, &payout_get);
}

/* The execution date: today when absent, else from today to a year ahead (a bank refuses a
 * date in the past). */
static void check_execution_date(struct req *r, char out[11])
{
	char today[11];
	today_amsterdam(today);
	const char *d = body_str(r, "execution_date");
	int64_t day, first;
	if (!d) {
		snprintf(out, 11, "%s", today);
		return;
	}
	snprintf(out, 11, "%s", d);
	if (parse_date(today, &first) == 0 && parse_date(d, &day) == 0 &&
	    (day < first || day > first + PAYOUT_MAX_DAYS_AHEAD))
		err_field(&r->err, "execution_date", "invalid_value",
		          "must be today or a later day within a year (Europe/Amsterdam)");
}

/* The transfers: 1..PAYOUT_MAX_TRANSFERS, each valid, remittance text in the SEPA character set
 * (a bank refuses others). */
static void check_transfers(struct req *r)
{
	json_t *t = json_object_get(r->body, "transfers");
	if (!json_is_array(t))
		return;
	size_t n = json_array_size(t);
	if (n < 1 || n > PAYOUT_MAX_TRANSFERS) {
		err_field(&r->err, "transfers", "invalid_value", "must hold 1 to 1000 transfers");
		return;
	}
	if (validate_items(r, "transfers", transfer_fields) != 0)
		return;
	size_t i;
	json_t *item;
	json_array_foreach(t, i, item)
	{
		const char *d = json_string_value(json_object_get(item, "description"));
		char field[48];
		snprintf(field, sizeof field, "transfers[%zu].description", i);
		if (d && !sepa_text_ok(d))
			err_field(
			    &r->err, field, "invalid_characters",
			    "may hold only a-z A-Z 0-9 / - ? : ( ) . , ' + and spaces (SEPA)");
		else if (d && d[strspn(d, " ")] == '\0')
			err_field(&r->err, field, "invalid_value",
			          "must say something, not only spaces");
	}
}

/* Every transfer names a member of the cooperative: else invalid_reference on its member_id. */
static int check_members(struct req *r, const char *transfers)
{
	const char *p[] = {transfers, r->params[0]};
	PGresult *res = db_exec_last(r->db, &unknown_member, 2, p, &r->err);
	if (!res)
		return -1;
	const char *i = db_col(res, 0, "i");
	if (i) {
		char field[48];
		snprintf(field, sizeof field, "transfers[%s].member_id", i);
		err_field(&r->err, field, "invalid_reference",
		          "names no member of this cooperative");
	}
	PQclear(res);
	return r->err.status ? -1 : 0;
}

int payouts_create_check(struct req *r)
{
	char date[11];
	check_execution_date(r, date);
	check_transfers(r);
	return r->err.status ? -1 : 0;
}

int payouts_create(struct req *r)
{
	/* payouts_create_check has run (routes.c); this takes the date it checked */
	char date[11];
	check_execution_date(r, date);
	if (r->err.status || coop_open(r, r->params[0]) != 0)
		return -1;
	char *transfers = json_dumps(json_object_get(r->body, "transfers"), JSON_COMPACT);
	if (!transfers)
		return err_internal(&r->err);
	int rc = check_members(r, transfers);
	if (rc == 0) {
		const char *p[] = {r->params[0], date, transfers, r->who.sub};
		struct write_info w = {"payout.create", "payout", r->params[0], NULL};
		rc = write_one(r, &payout_insert, 4, p, 201, "/v1/payouts", &w, r->body);
	}
	free(transfers);
	return rc;
}

int payouts_cancel(struct req *r)
{
	char coop[ID_LEN];
	if (lock_in_coop(r, &payout_lock, coop, NULL) != 0)
		return -1;
	const char *p[] = {r->params[0], body_str(r, "reason"), r->who.sub};
	struct write_info w = {"payout.cancel", "payout", coop, NULL};
	return write_one(r, &payout_cancel, 3, p, 200, NULL, &w, r->body);
}

int payouts_sepa(struct req *r)
{
	if (!req_db(r))
		return -1;
	const char *p[] = {r->params[0], scope_coop(&r->who)};
	PGresult *res = db_exec_last(r->db, &payout_sepa, 2, p, &r->err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return err_not_found(&r->err);
	}
	if (strcmp(db_col(res, 0, "status"), "booked") != 0) {
		PQclear(res);
		err_set(&r->err, 409, "payout_cancelled",
		        "this payout was cancelled: it has no file to upload");
		return -1;
	}
	char name[64], err[160];
	snprintf(name, sizeof name, "%s.xml", db_col(res, 0, "message_id"));
	json_error_t je;
	json_t *doc = json_loads(db_col(res, 0, "doc"), 0, &je);
	PQclear(res);
	if (!doc)
		return err_internal(&r->err);
	size_t len = 0;
	/* libxml2 on a thread with a large stack: civetweb's workers have 100 KiB */
	char *xml = render_with_stack(sepa_render, doc, &len, err, sizeof err);
	json_decref(doc);
	/* The payout's data were checked when it was booked: a refusal here is ours (500, logged).
	 */
	return respond_file(r, "application/xml; charset=utf-8", (unsigned char *)xml, len, err,
	                    name);
}
