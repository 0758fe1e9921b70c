/* Invoices: drafts, issuing and credit notes (invoices.h). */
#include "invoices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "body.h"
#include "lib/parse.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* ---- statements ----------------------------------------------------------------------------- */

/* $3 cooperative, $4 the caller's member scope, then the filters status, kind, member_id,
 * customer_id, issued_from, issued_to. */
static struct list_stmt invoice_list = LIST_STMT_CSV(
    "invoice_doc(i)::text",
    "i.id, i.kind, i.status, i.number, i.member_id, i.customer_id, i.issue_date,"
    "  i.supply_date, i.due_date, i.net_cents, i.vat_cents, i.gross_cents, i.paid_cents,"
    "  i.credit_of, rfc3339(i.created_at) AS created_at",
    "invoices i", "i.seq",
    "i.cooperative_id = $3"
    " AND ($4::uuid IS NULL OR i.member_id = $4) AND ($5::text IS NULL OR i.status = $5)"
    " AND ($6::text IS NULL OR i.kind = $6) AND ($7::uuid IS NULL OR i.member_id = $7)"
    " AND ($8::uuid IS NULL OR i.customer_id = $8) AND ($9::date IS NULL OR i.issue_date >= $9)"
    " AND ($10::date IS NULL OR i.issue_date <= $10)");

/* $2 cooperative scope, $3 member scope. */
static struct stmt get_stmt =
    STMT("SELECT invoice_doc(i)::text AS doc, i.row_version FROM invoices i"
         " WHERE i.id = $1 AND ($2::uuid IS NULL OR i.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR i.member_id = $3)");

static struct stmt lock_stmt =
    STMT("SELECT i.row_version, i.cooperative_id, i.status, i.kind, i.member_id FROM invoices i"
         " WHERE i.id = $1 AND ($2::uuid IS NULL OR i.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR i.member_id = $3) FOR UPDATE");

static struct stmt doc_stmt =
    STMT("SELECT invoice_doc(i)::text AS doc, i.id, i.row_version FROM invoices i WHERE i.id = $1");

/* What a draft needs from its cooperative, member and customer ($1 coop, $2 member, $3
 * customer). */
static struct stmt draft_context =
    STMT("SELECT c.vat_scheme, m.id IS NOT NULL AS member_found, m.activity_category,"
         "  (SELECT 1 FROM customers u WHERE u.id = $3 AND u.cooperative_id = $1) IS NOT NULL"
         "   AS customer_found"
         " FROM cooperatives c LEFT JOIN members m ON m.id = $2 AND m.cooperative_id = c.id"
         " WHERE c.id = $1");

/* $1 the body, $2 the cooperative, $3 the user who drafts. */
static struct stmt insert_stmt = STMT(
    "INSERT INTO invoices AS i (cooperative_id, member_id, customer_id, supply_date, issue_date,"
    "  due_date, description, created_by)"
    " SELECT $2, b.member_id, b.customer_id, b.supply_date, b.issue_date, b.due_date,"
    "  b.description, $3 FROM jsonb_populate_record(NULL::invoices, $1::jsonb) b"
    " RETURNING i.id");

/* $1 the body, $2 the invoice. */
static struct stmt update_stmt =
    STMT("UPDATE invoices i SET (customer_id, supply_date, issue_date, due_date, description) ="
         "  (SELECT b.customer_id, b.supply_date, b.issue_date, b.due_date, b.description"
         "   FROM jsonb_populate_record(i, $1::jsonb) b),"
         "  row_version = i.row_version + 1, updated_at = now() WHERE i.id = $2 RETURNING i.id");

static struct stmt delete_lines = STMT("DELETE FROM invoice_lines WHERE invoice_id = $1");

static struct stmt insert_lines =
    STMT("INSERT INTO invoice_lines (invoice_id, line_no, description, quantity, unit,"
         "  unit_price_cents, activity_category, vat_category, vat_rate_bp)"
         " SELECT $1, e.ord, l.description, l.quantity, l.unit, l.unit_price_cents,"
         "  l.activity_category, l.vat_category, l.vat_rate_bp"
         " FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(v, ord)"
         " CROSS JOIN LATERAL jsonb_to_record(e.v) AS l(description text, quantity numeric,"
         "  unit text, unit_price_cents bigint, activity_category text, vat_category text,"
         "  vat_rate_bp integer)");

static struct stmt delete_stmt =
    STMT("DELETE FROM invoices i WHERE i.id = $1"
         " RETURNING invoice_doc(i)::text AS doc, i.id, 0 AS row_version");

static struct stmt submit_stmt =
    STMT("UPDATE invoices i SET status = 'submitted', row_version = i.row_version + 1,"
         "  updated_at = now() WHERE i.id = $1"
         " RETURNING invoice_doc(i)::text AS doc, i.id, i.row_version");

/* The issuing transaction's one statement: every check and the number (sql/004). */
static struct stmt issue_stmt =
    STMT("SELECT x.id, x.number FROM invoice_issue($1, $2::date, $3::jsonb) x");

static struct stmt credit_stmt =
    STMT("SELECT x.id, x.number FROM credit_note_create($1, $2::jsonb, $3, $4::date, $5) x");

/* ---- helpers -------------------------------------------------------------------------------- */

static const char *const vat_categories[] = {"S", "Z", "E", "AE", NULL};

const struct field invoice_line_fields[] = {
    {"description", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {"quantity", F_STRING, FIELD_REQUIRED, 1, 14, NULL},
    {"unit", F_ENUM, FIELD_REQUIRED, 0, 0, unit_names},
    {"unit_price_cents", F_CENTS, FIELD_REQUIRED, 0, MAX_PRICE, NULL},
    {"activity_category", F_STRING, 0, 1, 64, NULL},
    {"vat_category", F_ENUM, 0, 0, 0, vat_categories},
    {"vat_rate_bp", F_INT, 0, 0, 10000, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* Checks the lines array of the body and fills in the defaults: the member's activity category,
 * VAT category S at 21% (E at 0% under the KOR). Field errors name lines[i].field. */
static void check_lines(struct req *r, const char *default_category, int kor)
{
	if (validate_items(r, "lines", invoice_line_fields) != 0)
		return;
	json_t *lines = json_object_get(r->body, "lines");
	size_t i;
	json_t *l;
	char field[48];
	json_array_foreach(lines, i, l)
	{
		const char *q = json_string_value(json_object_get(l, "quantity"));
		int64_t milli;
		if (parse_decimal(q, 3, DECIMAL3_LIMIT, 0, &milli) != 0 || milli == 0) {
			snprintf(field, sizeof field, "lines[%zu].quantity", i);
			err_field(
			    &r->err, field, "invalid_value",
			    "must be a positive decimal with at most 3 decimals, like \"1.5\"");
		}
		json_t *cat = json_object_get(l, "activity_category");
		if (!cat && default_category)
			json_object_set_new(l, "activity_category", json_string(default_category));
		else if (!cat || !activity_category_valid(json_string_value(cat))) {
			snprintf(field, sizeof field, "lines[%zu].activity_category", i);
			err_field(&r->err, field, cat ? "invalid_value" : "required",
			          "must be an activity category (a-z, 0-9, _)");
		}
		/* A copy: setting the field below frees the string the body held. */
		char vc[4];
		const char *given = json_string_value(json_object_get(l, "vat_category"));
		snprintf(vc, sizeof vc, "%s", given ? given : (kor ? "E" : "S"));
		json_object_set_new(l, "vat_category", json_string(vc));
		json_t *rate = json_object_get(l, "vat_rate_bp");
		long long bp = rate ? json_integer_value(rate) : (strcmp(vc, "S") == 0 ? 2100 : 0);
		json_object_set_new(l, "vat_rate_bp", json_integer(bp));
		if ((strcmp(vc, "S") == 0) != (bp > 0)) {
			snprintf(field, sizeof field, "lines[%zu].vat_rate_bp", i);
			err_field(&r->err, field, "invalid_value",
			          "category S needs a rate above 0; Z, E and AE have rate 0");
		}
		if (kor && strcmp(vc, "E") != 0) {
			snprintf(field, sizeof field, "lines[%zu].vat_category", i);
			err_field(&r->err, field, "invalid_value",
			          "a cooperative under the KOR invoices without VAT (category E)");
		}
	}
}

/* The date a draft may carry as issue date: not in the future (SPEC §9). */
static void check_dates(struct req *r)
{
	const char *issue = body_str(r, "issue_date");
	char today[11];
	today_amsterdam(today);
	if (issue && strcmp(issue, today) > 0)
		err_field(&r->err, "issue_date", "invalid_value", "must not lie in the future");
	const char *due = body_str(r, "due_date");
	if (issue && due && strcmp(due, issue) < 0)
		err_field(&r->err, "due_date", "invalid_value", "must not be before issue_date");
}

/* Reads what a draft needs of its context and checks the body's lines against it (check_lines):
 * whether the cooperative is under the KOR, and the member's activity category. The member and
 * the customer (when given) must be of the cooperative. 0, or -1 with r->err. */
static int check_draft(struct req *r, const char *coop, const char *member, const char *customer)
{
	const char *p[] = {coop, member, customer};
	PGresult *res = db_exec(r->db, &draft_context, 3, p, &r->err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return err_not_found(&r->err);
	}
	const char *scheme = db_col(res, 0, "vat_scheme");
	int kor = scheme && strcmp(scheme, "kor") == 0;
	char category[72];
	db_col_copy(res, 0, "activity_category", category, sizeof category);
	if (member && !db_col_true(res, 0, "member_found"))
		err_field(&r->err, "member_id", "invalid_reference",
		          "no such member in this cooperative");
	if (customer && !db_col_true(res, 0, "customer_found"))
		err_field(&r->err, "customer_id", "invalid_reference",
		          "no such customer in this cooperative");
	PQclear(res);
	if (r->err.status)
		return -1;
	check_lines(r, category[0] ? category : NULL, kor);
	return r->err.status ? -1 : 0;
}

/* Writes a draft: statement s with the body ($1), key ($2: the cooperative of a new draft, or
 * the invoice changed) and by ($3: the user who drafts a new one; NULL for a change), then its
 * lines when the body has them. Copies the invoice's id. 0, or -1 with r->err. */
static int save_draft(struct req *r, struct stmt *s, const char *key, const char *by,
                      char id[ID_LEN])
{
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, key, by};
	PGresult *res = db_exec(r->db, s, by ? 3 : 2, p, &r->err);
	free(body);
	if (!res)
		return -1;
	db_col_copy(res, 0, "id", id, ID_LEN);
	PQclear(res);
	json_t *lines = json_object_get(r->body, "lines");
	if (!lines)
		return 0;
	const char *dp[] = {id};
	res = db_exec(r->db, &delete_lines, 1, dp, &r->err);
	if (!res)
		return -1;
	PQclear(res);
	char *text = json_dumps(lines, JSON_COMPACT);
	const char *lp[] = {id, text};
	res = db_exec(r->db, &insert_lines, 2, lp, &r->err);
	free(text);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

int lock_invoice(struct req *r, struct locked_invoice *l)
{
	PGresult *row;
	const char *lp[] = {r->params[0], scope_coop(&r->who), scope_member(&r->who)};
	if (lock_one(r, &lock_stmt, 3, lp, &row) != 0)
		return -1;
	db_col_copy(row, 0, "cooperative_id", l->coop, sizeof l->coop);
	db_col_copy(row, 0, "status", l->status, sizeof l->status);
	db_col_copy(row, 0, "kind", l->kind, sizeof l->kind);
	db_col_copy(row, 0, "member_id", l->member, sizeof l->member);
	PQclear(row);
	return 0;
}

/* Drafts change while they are drafts; a member's only while not yet submitted. */
static int require_editable(struct req *r, const char *status)
{
	int editable = strcmp(status, "draft") == 0 ||
	               (strcmp(status, "submitted") == 0 && r->who.role != ROLE_MEMBER);
	if (!editable)
		err_set(&r->err, 409, "invoice_not_draft", "the invoice is %s and cannot change",
		        status);
	return editable ? 0 : -1;
}

/* ---- drafts -------------------------------------------------------------------------------- */

const struct field invoices_create_fields[] = {
    {"member_id", F_UUID, 0, 0, 0, NULL},
    {"customer_id", F_UUID, FIELD_REQUIRED, 0, 0, NULL},
    {"supply_date", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"issue_date", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {"due_date", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {"description", F_STRING, FIELD_NULLABLE, 1, 1000, NULL},
    {"lines", F_ARRAY, FIELD_REQUIRED, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field invoices_patch_fields[] = {
    {"customer_id", F_UUID, 0, 0, 0, NULL},
    {"supply_date", F_DATE, 0, 0, 0, NULL},
    {"issue_date", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {"due_date", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {"description", F_STRING, FIELD_NULLABLE, 1, 1000, NULL},
    {"lines", F_ARRAY, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int invoices_list(struct req *r)
{
	if (coop_open(r, r->params[0]) != 0)
		return -1;
	static const char *const names[] = {"status",      "kind",        "member_id",
	                                    "customer_id", "issued_from", "issued_to"};
	char v[6][40];
	const char *f[8] = {r->params[0], scope_member(&r->who)};
	for (int i = 0; i < 6; i++) {
		int got = req_query(r, names[i], v[i], sizeof v[i]);
		if (got < 0) {
			err_set(&r->err, 400, "invalid_parameter", "%s is too long", names[i]);
			return -1;
		}
		f[2 + i] = got ? v[i] : NULL;
	}
	/* Filters are typed in SQL; a malformed one is a 400, not a database error. */
	static const char *const statuses[] = {"draft", "submitted", "issued", "paid", "credited"};
	int ok = 1;
	if (f[2]) {
		ok = 0;
		for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
			ok |= strcmp(f[2], statuses[i]) == 0;
	}
	if (f[3])
		ok &= strcmp(f[3], "invoice") == 0 || strcmp(f[3], "credit_note") == 0;
	for (int i = 4; i < 6; i++)
		ok &= !f[i] || text_is_uuid(f[i]);
	for (int i = 6; i < 8; i++)
		ok &= !f[i] || text_is_date(f[i]);
	if (!ok) {
		err_set(&r->err, 400, "invalid_parameter", "a filter has an invalid value");
		return -1;
	}
	return list_query(r, &invoice_list, 8, f);
}

int invoices_get(struct req *r)
{
	return get_in_scope(r, &get_stmt);
}

int invoices_create(struct req *r)
{
	check_dates(r);
	/* A member drafts for itself only; the body cannot widen that. */
	const char *member = body_str(r, "member_id");
	if (r->who.role == ROLE_MEMBER) {
		if (!member)
			json_object_set_new(r->body, "member_id", json_string(r->who.member));
		else if (strcmp(member, r->who.member) != 0)
			err_field(&r->err, "member_id", "invalid_reference",
			          "you may draft invoices for yourself only");
		member = r->who.member;
	} else if (!member) {
		err_field(&r->err, "member_id", "required", "is required");
	}
	char id[ID_LEN];
	if (r->err.status || coop_open(r, r->params[0]) != 0 ||
	    check_draft(r, r->params[0], member, body_str(r, "customer_id")) != 0 ||
	    save_draft(r, &insert_stmt, r->params[0], r->who.sub, id) != 0)
		return -1;
	const char *dp[] = {id};
	struct write_info w = {"invoice.create", "invoice", r->params[0], NULL};
	return write_one(r, &doc_stmt, 1, dp, 201, "/v1/invoices", &w, r->body);
}

int invoices_patch(struct req *r)
{
	check_dates(r);
	struct locked_invoice l;
	if (r->err.status || lock_invoice(r, &l) != 0 || require_editable(r, l.status) != 0)
		return -1;
	if ((json_object_get(r->body, "lines") || body_has(r, "customer_id")) &&
	    check_draft(r, l.coop, l.member, body_str(r, "customer_id")) != 0)
		return -1;
	char id[ID_LEN];
	if (save_draft(r, &update_stmt, r->params[0], NULL, id) != 0)
		return -1;
	const char *dp[] = {id};
	struct write_info w = {"invoice.update", "invoice", l.coop, NULL};
	return write_one(r, &doc_stmt, 1, dp, 200, NULL, &w, r->body);
}

int invoices_delete(struct req *r)
{
	struct locked_invoice l;
	if (lock_invoice(r, &l) != 0 || require_editable(r, l.status) != 0)
		return -1;
	const char *p[] = {r->params[0]};
	struct write_info w = {"invoice.delete", "invoice", l.coop, NULL};
	return write_one(r, &delete_stmt, 1, p, 204, NULL, &w, NULL);
}

int invoices_submit(struct req *r)
{
	struct locked_invoice l;
	if (lock_invoice(r, &l) != 0)
		return -1;
	if (strcmp(l.status, "draft") != 0) {
		err_set(&r->err, 409, "invoice_not_draft", "only a draft can be submitted");
		return -1;
	}
	const char *p[] = {r->params[0]};
	struct write_info w = {"invoice.submit", "invoice", l.coop, NULL};
	return write_one(r, &submit_stmt, 1, p, 200, NULL, &w, NULL);
}

/* ---- issuing and crediting ------------------------------------------------------------------ */

const struct field invoices_issue_fields[] = {
    {"issue_date", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {"rate_floor_override_reason", F_STRING, FIELD_NULLABLE, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* Runs an issuing statement (issue or credit note: it returns id and number) and answers with
 * the numbered document, read by a statement of its own: a document built in the same statement
 * as the function that wrote its lines would not see them. */
static int numbered(struct req *r, struct stmt *s, int n, const char *const *p, int status,
                    const char *action, const char *coop, json_t *changes)
{
	PGresult *res = db_exec(r->db, s, n, p, &r->err);
	if (!res)
		return -1;
	char id[ID_LEN];
	db_col_copy(res, 0, "id", id, sizeof id);
	json_object_set_new(changes, "number", json_string(db_col(res, 0, "number")));
	PQclear(res);
	const char *dp[] = {id};
	struct write_info w = {action, "invoice", coop, NULL};
	return write_one(r, &doc_stmt, 1, dp, status, "/v1/invoices", &w, changes);
}

int invoices_issue(struct req *r)
{
	if (!r->body)
		r->body = json_object();
	const char *reason = body_str(r, "rate_floor_override_reason");
	if (reason && r->who.role != ROLE_COOP_ADMIN && r->who.role != ROLE_PLATFORM_ADMIN) {
		err_set(&r->err, 403, "forbidden", "only a coop_admin may override a rate floor");
		return -1;
	}
	struct locked_invoice l;
	if (r->err.status || lock_invoice(r, &l) != 0 || require_editable(r, l.status) != 0)
		return -1;
	char *override = NULL;
	if (reason) {
		json_t *o = json_pack("{s:s, s:s}", "reason", reason, "by", r->who.sub);
		override = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	const char *p[] = {r->params[0], body_str(r, "issue_date"), override};
	json_t *changes = json_pack("{s:s}", "status", "issued");
	if (reason)
		json_object_set_new(changes, "rate_floor_override_reason", json_string(reason));
	int rc = numbered(r, &issue_stmt, 3, p, 200, "invoice.issue", l.coop, changes);
	json_decref(changes);
	free(override);
	return rc;
}

const struct field invoices_credit_fields[] = {
    {"reason", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {"supply_date", F_DATE, FIELD_NULLABLE, 0, 0, NULL},
    {"lines", F_ARRAY, FIELD_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int invoices_credit(struct req *r)
{
	struct locked_invoice l;
	if (lock_invoice(r, &l) != 0)
		return -1;
	char *lines = NULL;
	json_t *arr = json_object_get(r->body, "lines");
	if (json_is_array(arr)) {
		if (json_array_size(arr) == 0) {
			err_field(
			    &r->err, "lines", "invalid_value",
			    "give the lines to credit, or leave lines out to credit the rest");
			return -1;
		}
		if (check_draft(r, l.coop, l.member, NULL) != 0)
			return -1;
		lines = json_dumps(arr, JSON_COMPACT);
	}
	const char *p[] = {r->params[0], lines, body_str(r, "reason"), body_str(r, "supply_date"),
	                   r->who.sub};
	json_t *changes =
	    json_pack("{s:s, s:s}", "credit_of", r->params[0], "reason", body_str(r, "reason"));
	int rc = numbered(r, &credit_stmt, 5, p, 201, "invoice.credit", l.coop, changes);
	json_decref(changes);
	free(lines);
	return rc;
}
