/* Premiums granted to a member (premiums.h). */
#include "premiums.h"

#include "body.h"
#include "list.h"
#include "resource.h"
#include "scope.h"

/* $3 the member. */
static struct list_stmt premium_list = LIST_STMT(
    "premium_doc(p)::text", "premiums p", "dated_key(p.granted_on, p.seq)", "p.member_id = $3");

/* Premiums never change: their ETag is constant. */
static struct stmt premium_get =
    STMT("SELECT premium_doc(p)::text AS doc, 1 AS row_version FROM premiums p"
         " WHERE p.id = $1 AND ($2::uuid IS NULL OR p.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR p.member_id = $3)");

/* $1 member, $2 granted_on, $3 amount, $4 reason, $5 the user who records it. */
static struct stmt premium_insert =
    STMT("SELECT premium_doc(p)::text AS doc, p.id, 1 AS row_version"
         " FROM premium_grant($1, $2::date, $3, $4, $5) p");

const struct field premiums_create_fields[] = {
    {"granted_on", F_DATE, FIELD_REQUIRED, 0, 0, NULL},
    {"amount_cents", F_CENTS, FIELD_REQUIRED, 1, MAX_CENTS, NULL},
    {"reason", F_STRING, FIELD_REQUIRED, 1, 500, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

int premiums_list(struct req *r)
{
	return list_children(r, member_open, &premium_list);
}

int premiums_get(struct req *r)
{
	return get_in_scope(r, &premium_get);
}

int premiums_create(struct req *r)
{
	char coop[ID_LEN], muni[8];
	if (member_open_for_update(r, coop, muni) != 0)
		return -1;
	char amount[24];
	const char *p[] = {r->params[0], body_str(r, "granted_on"),
	                   body_integer_text(r, "amount_cents", amount), body_str(r, "reason"),
	                   r->who.sub};
	struct write_info w = {"premium.create", "premium", coop, muni};
	return write_one(r, &premium_insert, 5, p, 201, "/v1/premiums", &w, r->body);
}
