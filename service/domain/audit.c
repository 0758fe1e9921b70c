#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "common.h"
#include "db/db.h"

static struct stmt append = STMT("SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)");

/* chain = cooperative id or 'platform' */
static struct stmt list =
    STMT("SELECT audit_doc(e)::text, e.seq FROM audit_events e"
         " WHERE e.chain = $1 AND e.seq > $2 AND ($3::text IS NULL OR e.action = $3)"
         "   AND ($4::text IS NULL OR e.object_id = $4)"
         " ORDER BY e.seq LIMIT $5");

static struct stmt verify =
    STMT("SELECT json_build_object('ok', v.ok, 'events', v.events)::text, v.first_bad_event_id"
         " FROM audit_verify($1) v");

int audit_record(struct req *r, const char *cooperative_id, const char *municipality_code,
                 const char *action, const char *object_type, const char *object_id,
                 json_t *changes)
{
	char *ch = changes ? json_dumps(changes, JSON_COMPACT) : NULL;
	const char *p[] = {cooperative_id,
	                   municipality_code,
	                   r->who.sub[0] ? r->who.sub : NULL,
	                   r->who.role ? role_name(r->who.role) : NULL,
	                   action,
	                   object_type,
	                   object_id,
	                   r->request_id,
	                   ch ? ch : "{}"};
	PGresult *res = db_exec(r->db, &append, 9, p, &r->err);
	free(ch);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

static int list_chain(struct req *r, const char *chain)
{
	int limit;
	long long after;
	char action[64], object_id[128];
	if (req_page(r, &limit, &after) != 0)
		return -1;
	int has_action = req_query(r, "action", action, sizeof action);
	int has_object = req_query(r, "object_id", object_id, sizeof object_id);
	if (has_action < 0 || has_object < 0) {
		err_set(&r->err, 400, "invalid_parameter", "a filter is too long");
		return -1;
	}
	char a[24], l[12];
	page_params(after, limit, a, l);
	const char *p[] = {chain, a, has_action ? action : NULL, has_object ? object_id : NULL, l};
	PGresult *res = db_exec(r->db, &list, 5, p, &r->err);
	if (!res)
		return -1;
	int rc = list_result(r, res, limit);
	PQclear(res);
	return rc;
}

static int verify_chain(struct req *r, const char *chain)
{
	const char *p[] = {chain};
	PGresult *res = db_exec(r->db, &verify, 1, p, &r->err);
	if (!res)
		return -1;
	json_error_t je;
	json_t *doc = json_loads(PQgetvalue(res, 0, 0), 0, &je);
	if (doc && db_str(res, 0, 1))
		json_object_set_new(doc, "first_bad_event_id", json_string(db_str(res, 0, 1)));
	PQclear(res);
	if (!doc) {
		err_set(&r->err, 500, "internal_error", "internal error");
		return -1;
	}
	return resp_json(r, 200, doc);
}

int audit_list_coop(struct req *r)
{
	return coop_open(r, r->params[0]) ? -1 : list_chain(r, r->params[0]);
}

int audit_verify_coop(struct req *r)
{
	return coop_open(r, r->params[0]) ? -1 : verify_chain(r, r->params[0]);
}

int audit_list_platform(struct req *r)
{
	return req_db(r) ? list_chain(r, "platform") : -1;
}

int audit_verify_platform(struct req *r)
{
	return req_db(r) ? verify_chain(r, "platform") : -1;
}
