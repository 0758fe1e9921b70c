/* One resource at a time: reading it, writing it together with its audit event, locking it for a
 * change, and checking that an object named by the path or the body exists. (Lists: list.h.)
 *
 * The statements name their columns (db.h): doc (the resource's JSON text), id (what the audit
 * event and Location name), row_version (the ETag), cooperative_id.
 *
 * Every function returns 0, or -1 with r->err set: 404 not_found when the statement finds no
 * row (a missing object and one out of the caller's scope are the same answer), 412 for a stale
 * If-Match, a field error for a bad reference, or the database's error (db.h). A PGresult is
 * cleared where it was got, except lock_one's *row, which the caller reads and clears. Writing
 * functions run in the request's transaction (the dispatcher opened it); the audit event goes
 * into the same transaction, so a write and its event commit or roll back together. */
#ifndef COOPD_DOMAIN_RESOURCE_H
#define COOPD_DOMAIN_RESOURCE_H

#include <libpq-fe.h>

#include "db/db.h"
#include "http/http.h"

/* 0 when statement s finds a row, else 404. For "the object the path names must be visible"
 * checks (scope.h). */
int require_row(struct req *r, struct stmt *s, int nparams, const char *const *params);

/* 0 when statement s finds the object a body field names, else the field error
 * invalid_reference on field (SPEC §9). */
int require_ref(struct req *r, struct stmt *s, int nparams, const char *const *params,
                const char *field);
/* The municipality the body's municipality_code names exists (nothing to check when absent). */
int require_municipality_ref(struct req *r);

/* Answers 200 with the one row of statement s, (doc, row_version), and its ETag. */
int get_one(struct req *r, struct stmt *s, int nparams, const char *const *params);
/* get_one for the object the path names (r->params[0]) in the caller's scope: s takes ($1 id,
 * $2 scope_coop) — get_in_coop — or ($1 id, $2 scope_coop, $3 scope_member) — get_in_scope. */
int get_in_coop(struct req *r, struct stmt *s);
int get_in_scope(struct req *r, struct stmt *s);

/* Answers 200 with a rendered file: buf (malloc'ed, taken and freed here), len bytes of
 * content_type, offered for saving as filename. buf NULL (the renderer failed): 500
 * internal_error, and the renderer's message err goes to the log only. */
int respond_file(struct req *r, const char *content_type, unsigned char *buf, size_t len,
                 const char *err, const char *filename);

/* What a write records in the audit trail. */
struct write_info {
	const char *action;       /* "member.create" */
	const char *object_type;  /* "member" */
	const char *coop;         /* the cooperative's chain; NULL for the platform chain */
	const char *municipality; /* the municipality concerned, or NULL */
};

/* Runs a writing statement that returns (doc, id, row_version) of the one row it wrote (none:
 * 404), answers status with that document and its ETag (201: and Location collection/id; 204:
 * no body), and appends the audit event of w for id with changes (borrowed; never secrets). */
int write_one(struct req *r, struct stmt *s, int nparams, const char *const *params, int status,
              const char *collection, const struct write_info *w, json_t *changes);

/* The UPDATE of a resource written whole from its body (write_body: $1 the body, $2 the id), for
 * table (alias a) and its column list: the columns the body names take its values
 * (jsonb_populate_record over the row; inside the sub-select the bare names are the body's),
 * the others keep theirs. Returns (doc, id, row_version); doc_fn makes a row's document. */
#define UPDATE_FROM_BODY(table, a, columns, doc_fn)                                                \
	"UPDATE " table " " a " SET (" columns ") = (SELECT " columns                              \
	" FROM jsonb_populate_record(" a ", $1::jsonb) b), row_version = " a ".row_version + 1,"   \
	" updated_at = now() WHERE " a ".id = $2"                                                  \
	" RETURNING " doc_fn "(" a ")::text AS doc, " a ".id, " a ".row_version"

/* The INSERT of a resource under its cooperative written from its body (write_body: $1 the
 * body, $2 the cooperative): the columns take the body's values (null where it has none).
 * Returns (doc, id, row_version). */
#define INSERT_FROM_BODY(table, a, columns, doc_fn)                                                \
	"INSERT INTO " table " AS " a " (cooperative_id, " columns ") SELECT $2, " columns         \
	" FROM jsonb_populate_record(NULL::" table ", $1::jsonb) b"                                \
	" RETURNING " doc_fn "(" a ")::text AS doc, " a ".id, " a ".row_version"

/* write_one with the validated body as JSON text for $1 and, when key is not NULL, key as $2
 * (the parent of a new object, or the object a change applies to); changes: the body. */
int write_body(struct req *r, struct stmt *s, const char *key, int status, const char *collection,
               const struct write_info *w);

/* A record of the member the path names (r->params[0]) written from the body: the member is
 * locked in the caller's scope (member_open_for_update: 404 outside it), then s runs with $1
 * the body as JSON text, $2 the member, $3 its cooperative, $4 the caller, and must return
 * (doc, id, row_version); 201 with Location collection/id, audited as action on object_type
 * in the cooperative's chain, with the body as changes. */
int write_member_record(struct req *r, struct stmt *s, const char *collection, const char *action,
                        const char *object_type);

/* N rows written, one audit event each, in the request's transaction (a settlement's lines, a
 * payout batch), in two statements whatever N is: s writes the rows set-based (for example
 * INSERT ... SELECT ... FROM jsonb_to_recordset($1)) and returns id and, optionally, changes
 * (jsonb) of every row it wrote; then the event of w is appended for each, in the order of the
 * result (audit_record_rows). *written: the number of rows. Answers nothing: the caller does,
 * and decides whether 0 rows is an error. On failure the dispatcher rolls the whole
 * transaction back, rows and events alike. */
int write_many(struct req *r, struct stmt *s, int nparams, const char *const *params,
               const struct write_info *w, int *written);

/* Locks a resource for a change: statement s (SELECT row_version, ... FOR UPDATE, scoped)
 * must return one row, else 404; If-Match must name its version, else 412. On success *row
 * holds the result for the caller to read and clear. */
int lock_one(struct req *r, struct stmt *s, int nparams, const char *const *params, PGresult **row);

/* lock_one for the object the path names (r->params[0]) in the caller's cooperative scope:
 * s takes ($1 id, $2 scope_coop) and returns row_version and cooperative_id, which is copied to
 * coop ("" when null). row NULL: the result is cleared here; else as lock_one. */
int lock_in_coop(struct req *r, struct stmt *s, char coop[ID_LEN], PGresult **row);
/* lock_in_coop for an object that concerns one municipality (a permission, a shareholding): s
 * also returns municipality_code, copied to muni, the audit event's municipality ("" when
 * null). row is required, as for lock_one. */
int lock_in_coop_municipality(struct req *r, struct stmt *s, char coop[ID_LEN], char muni[8],
                              PGresult **row);

#endif
