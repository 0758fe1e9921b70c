/* One resource at a time (resource.h). */
#include "resource.h"

#include <stdlib.h>

#include "audit.h"
#include "auth/authz.h"
#include "body.h"
#include "scope.h"
#include "log.h"

/* 1 when statement s finds a row, 0 when not, -1 with r->err. */
static int row_exists(struct req *r, struct stmt *s, int nparams, const char *const *params)
{
	if (!req_db(r))
		return -1;
	PGresult *res = db_exec(r->db, s, nparams, params, &r->err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	PQclear(res);
	return found;
}

int require_row(struct req *r, struct stmt *s, int nparams, const char *const *params)
{
	int found = row_exists(r, s, nparams, params);
	return found > 0 ? 0 : found < 0 ? -1 : err_not_found(&r->err);
}

int require_ref(struct req *r, struct stmt *s, int nparams, const char *const *params,
                const char *field)
{
	int found = row_exists(r, s, nparams, params);
	if (found == 0)
		err_field(&r->err, field, "invalid_reference",
		          "does not name an object you can see");
	return found > 0 ? 0 : -1;
}

static struct stmt municipality_exists = STMT("SELECT 1 FROM municipalities WHERE code = $1");

int require_municipality_ref(struct req *r)
{
	const char *p[] = {body_str(r, "municipality_code")};
	return p[0] ? require_ref(r, &municipality_exists, 1, p, "municipality_code") : 0;
}

int get_one(struct req *r, struct stmt *s, int nparams, const char *const *params)
{
	if (!req_db(r))
		return -1;
	PGresult *res = db_exec_last(r->db, s, nparams, params, &r->err);
	if (!res)
		return -1;
	int rc;
	if (PQntuples(res) == 1) {
		resp_set_etag(r, db_col(res, 0, "row_version"));
		rc = resp_json_text(r, 200, db_col(res, 0, "doc"));
	} else {
		rc = err_not_found(&r->err);
	}
	PQclear(res);
	return rc;
}

int get_in_coop(struct req *r, struct stmt *s)
{
	const char *p[] = {r->params[0], scope_coop(&r->who)};
	return get_one(r, s, 2, p);
}

int get_in_scope(struct req *r, struct stmt *s)
{
	const char *p[] = {r->params[0], scope_coop(&r->who), scope_member(&r->who)};
	return get_one(r, s, 3, p);
}

/* Runs a writing statement that must write one row, and copies that row's id. The result, or
 * NULL with r->err (404 when no row was written). */
static PGresult *write_row(struct req *r, struct stmt *s, int nparams, const char *const *params,
                           char id[ID_LEN])
{
	PGresult *res = db_exec(r->db, s, nparams, params, &r->err);
	if (res && PQntuples(res) != 1) {
		PQclear(res);
		res = NULL;
		err_not_found(&r->err);
	}
	if (res)
		db_col_copy(res, 0, "id", id, ID_LEN);
	return res;
}

int write_one(struct req *r, struct stmt *s, int nparams, const char *const *params, int status,
              const char *collection, const struct write_info *w, json_t *changes)
{
	char id[ID_LEN];
	PGresult *res = write_row(r, s, nparams, params, id);
	if (!res)
		return -1;
	if (status == 204) {
		resp_empty(r, 204);
	} else {
		const char *version = db_col(res, 0, "row_version");
		if (version) /* NULL: a result that is not a versioned resource */
			resp_set_etag(r, version);
		resp_json_text(r, status, db_col(res, 0, "doc"));
	}
	PQclear(res);
	if (status == 201 && collection)
		resp_set_location(r, collection, id);
	return audit_record(r, w->coop, w->municipality, w->action, w->object_type, id, changes);
}

int write_body(struct req *r, struct stmt *s, const char *key, int status, const char *collection,
               const struct write_info *w)
{
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, key};
	int rc = write_one(r, s, key ? 2 : 1, p, status, collection, w, r->body);
	free(body);
	return rc;
}

int write_member_record(struct req *r, struct stmt *s, const char *collection, const char *action,
                        const char *object_type)
{
	char coop[ID_LEN], muni[8];
	if (member_open_for_update(r, coop, muni) != 0)
		return -1;
	char *body = body_text(r);
	if (!body)
		return -1;
	const char *p[] = {body, r->params[0], coop, r->who.sub};
	struct write_info w = {action, object_type, coop, NULL};
	int rc = write_one(r, s, 4, p, 201, collection, &w, r->body);
	free(body);
	return rc;
}

int write_many(struct req *r, struct stmt *s, int nparams, const char *const *params,
               const struct write_info *w, int *written)
{
	*written = 0;
	if (!req_db(r))
		return -1;
	PGresult *res = db_exec(r->db, s, nparams, params, &r->err);
	if (!res)
		return -1;
	int rc = audit_record_rows(r, w->coop, w->municipality, w->action, w->object_type, res);
	if (rc == 0)
		*written = PQntuples(res);
	PQclear(res);
	return rc;
}

int lock_one(struct req *r, struct stmt *s, int nparams, const char *const *params, PGresult **row)
{
	long want;
	*row = NULL;
	if (req_if_match(r, &want) < 0)
		return -1;
	PGresult *res = db_exec(r->db, s, nparams, params, &r->err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return err_not_found(&r->err);
	}
	if (want > 0 && want != db_col_ll(res, 0, "row_version")) {
		PQclear(res);
		err_set(&r->err, 412, "precondition_failed",
		        "If-Match does not match the current version");
		return -1;
	}
	*row = res;
	return 0;
}

int lock_in_coop(struct req *r, struct stmt *s, char coop[ID_LEN], PGresult **row)
{
	PGresult *res;
	const char *p[] = {r->params[0], scope_coop(&r->who)};
	if (lock_one(r, s, 2, p, &res) != 0)
		return -1;
	db_col_copy(res, 0, "cooperative_id", coop, ID_LEN);
	if (row)
		*row = res;
	else
		PQclear(res);
	return 0;
}

int lock_in_coop_municipality(struct req *r, struct stmt *s, char coop[ID_LEN], char muni[8],
                              PGresult **row)
{
	if (lock_in_coop(r, s, coop, row) != 0)
		return -1;
	db_col_copy(*row, 0, "municipality_code", muni, 8);
	return 0;
}

int respond_file(struct req *r, const char *content_type, unsigned char *buf, size_t len,
                 const char *err, const char *filename)
{
	if (!buf) {
		log_msg("error", r->request_id, "render: %s", err);
		err_set(&r->err, 500, "internal_error", "the document could not be made");
		return -1;
	}
	resp_body(r, 200, content_type, (const char *)buf, len);
	resp_filename(r, filename);
	free(buf);
	return 0;
}
