#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "db/db.h"
#include "lib/sbuf.h"
#include "list.h"
#include "scope.h"

static struct stmt append = STMT("SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)");
static struct stmt append_many =
    STMT("SELECT audit_append_many($1, $2, $3, $4, $5, $6, $7, $8::jsonb)");

/* $3 the chain (a cooperative's id or 'platform'), $4 action, $5 object_id. */
static struct list_stmt list = LIST_STMT("audit_doc(e)::text", "audit_events e", "e.seq",
                                         "e.chain = $3 AND ($4::text IS NULL OR e.action = $4)"
                                         " AND ($5::text IS NULL OR e.object_id = $5)");

/* $3 the municipality, $4 action, $5 object_id: every event that names it (its reads of
 * residents' personal data and its writes), in every chain, in the order they were appended. */
static struct list_stmt municipal_list =
    LIST_STMT("audit_doc(e)::text", "audit_events e", "e.gseq",
              "e.municipality_code = $3 AND ($4::text IS NULL OR e.action = $4)"
              " AND ($5::text IS NULL OR e.object_id = $5)");

static struct stmt verify =
    STMT("SELECT json_build_object('ok', v.ok, 'events', v.events)::text AS doc,"
         "  v.first_bad_event_id FROM audit_verify($1) v");

/* Runs s with the event's common parameters ($1 chain .. $6 object type) followed by the
 * statement's own, last (at most 3). */
static int append_events(struct req *r, struct stmt *s, const char *cooperative_id,
                         const char *municipality_code, const char *action, const char *object_type,
                         int nown, const char *const *own)
{
	const char *p[9] = {cooperative_id,
	                    municipality_code,
	                    r->who.sub[0] ? r->who.sub : NULL,
	                    r->who.role ? role_name(r->who.role) : NULL,
	                    action,
	                    object_type};
	for (int i = 0; i < nown; i++)
		p[6 + i] = own[i];
	PGresult *res = db_exec(r->db, s, 6 + nown, p, &r->err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

int audit_record(struct req *r, const char *cooperative_id, const char *municipality_code,
                 const char *action, const char *object_type, const char *object_id,
                 json_t *changes)
{
	char *ch = changes ? json_dumps(changes, JSON_COMPACT) : NULL;
	const char *own[] = {object_id, r->request_id, ch ? ch : "{}"};
	int rc = append_events(r, &append, cooperative_id, municipality_code, action, object_type,
	                       3, own);
	free(ch);
	return rc;
}

int audit_record_rows(struct req *r, const char *cooperative_id, const char *municipality_code,
                      const char *action, const char *object_type, const PGresult *rows)
{
	int n = PQntuples(rows), with_changes = PQfnumber(rows, "changes") >= 0, bad = 0;
	if (n == 0)
		return 0;
	/* [{"id": ..., "changes": ...}, ...]: the changes are the database's own JSON text. */
	struct sbuf events = {0};
	for (int i = 0; i < n; i++) {
		const char *id = db_col(rows, i, "id");
		const char *changes = with_changes ? db_col(rows, i, "changes") : NULL;
		bad |= id == NULL;
		sbuf_puts(&events, i ? ",{\"id\":\"" : "[{\"id\":\"");
		sbuf_json_escape(&events, id ? id : "");
		sbuf_puts(&events, "\",\"changes\":");
		sbuf_puts(&events, changes ? changes : "{}");
		sbuf_puts(&events, "}");
	}
	sbuf_puts(&events, "]");
	int rc;
	if (bad || events.oom) {
		rc = err_internal(&r->err); /* a row without id: the statement is wrong */
	} else {
		const char *own[] = {r->request_id, events.data};
		rc = append_events(r, &append_many, cooperative_id, municipality_code, action,
		                   object_type, 2, own);
	}
	sbuf_free(&events);
	return rc;
}

/* The events of chain (or municipality) by list s, with the filters ?action= and ?object_id=. */
static int list_events(struct req *r, struct list_stmt *s, const char *chain)
{
	char action[64], object_id[128];
	int has_action = req_query(r, "action", action, sizeof action);
	int has_object = req_query(r, "object_id", object_id, sizeof object_id);
	if (has_action < 0 || has_object < 0) {
		err_set(&r->err, 400, "invalid_parameter", "a filter is too long");
		return -1;
	}
	const char *f[] = {chain, has_action ? action : NULL, has_object ? object_id : NULL};
	return list_query(r, s, 3, f);
}

static int list_chain(struct req *r, const char *chain)
{
	return list_events(r, &list, chain);
}

static int verify_chain(struct req *r, const char *chain)
{
	const char *p[] = {chain};
	PGresult *res = db_exec_last(r->db, &verify, 1, p, &r->err);
	if (!res)
		return -1;
	json_error_t je;
	json_t *doc = json_loads(db_col(res, 0, "doc"), 0, &je);
	const char *bad = db_col(res, 0, "first_bad_event_id");
	if (doc && bad)
		json_object_set_new(doc, "first_bad_event_id", json_string(bad));
	PQclear(res);
	if (!doc)
		return err_internal(&r->err);
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

int audit_list_municipality(struct req *r)
{
	return municipality_open(r, r->params[0]) ? -1
	                                          : list_events(r, &municipal_list, r->params[0]);
}
