/* Is the parent object there for the caller (scope.h). */
#include "scope.h"

#include <string.h>

#include "auth/authz.h"
#include "resource.h"

static struct stmt coop_exists = STMT("SELECT 1 FROM cooperatives WHERE id = $1");

/* $2 cooperative scope, $3 member scope (NULL: not confined). */
static struct stmt member_visible =
    STMT("SELECT 1 FROM members m WHERE m.id = $1 AND ($2::uuid IS NULL OR m.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR m.id = $3)");

static struct stmt invoice_visible =
    STMT("SELECT 1 FROM invoices i WHERE i.id = $1 AND ($2::uuid IS NULL OR i.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR i.member_id = $3)");

static struct stmt municipality_exists = STMT("SELECT 1 FROM municipalities WHERE code = $1");

static struct stmt member_for_update =
    STMT("SELECT m.cooperative_id, m.municipality_code FROM members m"
         " WHERE m.id = $1 AND ($2::uuid IS NULL OR m.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR m.id = $3) FOR UPDATE");

int coop_open(struct req *r, const char *coop_id)
{
	const char *p[] = {coop_id};
	return authz_coop(&r->who, coop_id, &r->err) != 0 ? -1 : require_row(r, &coop_exists, 1, p);
}

/* id, then the caller's cooperative and member scope. */
static int open_in_scope(struct req *r, struct stmt *s, const char *id)
{
	const char *p[] = {id, scope_coop(&r->who), scope_member(&r->who)};
	return require_row(r, s, 3, p);
}

int member_open(struct req *r, const char *member_id)
{
	return open_in_scope(r, &member_visible, member_id);
}

int member_open_for_update(struct req *r, char coop[ID_LEN], char muni[8])
{
	const char *p[] = {r->params[0], scope_coop(&r->who), scope_member(&r->who)};
	PGresult *res = db_exec(r->db, &member_for_update, 3, p, &r->err);
	if (!res)
		return -1;
	int found = PQntuples(res) == 1;
	if (found) {
		db_col_copy(res, 0, "cooperative_id", coop, ID_LEN);
		db_col_copy(res, 0, "municipality_code", muni, 8);
	}
	PQclear(res);
	return found ? 0 : err_not_found(&r->err);
}

int invoice_open(struct req *r, const char *invoice_id)
{
	return open_in_scope(r, &invoice_visible, invoice_id);
}

int municipality_visible(struct req *r, const char *code)
{
	if (r->who.role == ROLE_MUNICIPALITY && strcmp(r->who.municipality, code) != 0)
		return err_not_found(&r->err);
	return 0;
}

int municipality_open(struct req *r, const char *code)
{
	const char *p[] = {code};
	return municipality_visible(r, code) != 0 ? -1 : require_row(r, &municipality_exists, 1, p);
}
