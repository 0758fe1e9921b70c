/* Municipalities (municipalities.h). */
#include "municipalities.h"

#include "lib/ids.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

static struct list_stmt list_stmt =
    LIST_STMT("municipality_doc(m)::text", "municipalities m", "m.seq", "true");

static struct stmt get_stmt = STMT("SELECT municipality_doc(m)::text AS doc, m.row_version"
                                   " FROM municipalities m WHERE m.code = $1");

/* The code is the id. */
static struct stmt insert_stmt =
    STMT("INSERT INTO municipalities AS m (code, name) VALUES ($1, $2)"
         " RETURNING municipality_doc(m)::text AS doc, m.code AS id, m.row_version");

static struct stmt lock_stmt =
    STMT("SELECT row_version FROM municipalities WHERE code = $1 FOR UPDATE");

static struct stmt update_stmt = STMT(
    "UPDATE municipalities m SET name = $2, row_version = m.row_version + 1, updated_at = now()"
    " WHERE m.code = $1 RETURNING municipality_doc(m)::text AS doc, m.code AS id, m.row_version");

int municipalities_list(struct req *r)
{
	return list_query(r, &list_stmt, 0, NULL);
}

const struct field municipalities_create_fields[] = {
    {"code", F_STRING, FIELD_REQUIRED, 0, 0, NULL},
    {"name", F_STRING, FIELD_REQUIRED, 1, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int municipalities_create(struct req *r)
{
	const char *code = body_str(r, "code");
	if (!municipality_code_valid(code)) {
		err_field(&r->err, "code", "invalid_municipality_code",
		          "must be a CBS code like GM0363");
		return -1;
	}
	const char *p[] = {code, body_str(r, "name")};
	struct write_info w = {"municipality.create", "municipality", NULL, code};
	return write_one(r, &insert_stmt, 2, p, 201, "/v1/municipalities", &w, r->body);
}

int municipalities_get(struct req *r)
{
	if (municipality_visible(r, r->params[0]) != 0)
		return -1;
	const char *p[] = {r->params[0]};
	return get_one(r, &get_stmt, 1, p);
}

const struct field municipalities_patch_fields[] = {
    {"name", F_STRING, FIELD_REQUIRED, 1, 200, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int municipalities_patch(struct req *r)
{
	PGresult *row;
	const char *p[] = {r->params[0], body_str(r, "name")};
	if (lock_one(r, &lock_stmt, 1, p, &row) != 0)
		return -1;
	PQclear(row);
	struct write_info w = {"municipality.update", "municipality", NULL, r->params[0]};
	return write_one(r, &update_stmt, 2, p, 200, NULL, &w, r->body);
}
