/* The audit trail: every write appends an event in its own transaction (SPEC §5 Audit). */
#ifndef COOPD_AUDIT_H
#define COOPD_AUDIT_H

#include <libpq-fe.h>

#include "http/http.h"

/* Appends an event for the current request inside its transaction. cooperative_id selects the
 * chain (NULL: the platform chain); changes is borrowed and must never hold secrets.
 * 0 or -1 with r->err. */
int audit_record(struct req *r, const char *cooperative_id, const char *municipality_code,
                 const char *action, const char *object_type, const char *object_id,
                 json_t *changes);

/* audit_record for each row of rows (a result with a column "id" and, optionally, "changes"
 * as JSON text; null or absent: no changes), in the order of the rows, with one statement.
 * No rows: nothing. 0 or -1 with r->err (500 when a row has no id). */
int audit_record_rows(struct req *r, const char *cooperative_id, const char *municipality_code,
                      const char *action, const char *object_type, const PGresult *rows);

int audit_list_coop(struct req *r);
int audit_verify_coop(struct req *r);
int audit_list_platform(struct req *r);
/* GET /v1/municipalities/{code}/audit-events: the events with that municipality_code. */
int audit_list_municipality(struct req *r);
int audit_verify_platform(struct req *r);

#endif
