/* The route table and its matcher. Every endpoint is one row of the table in routes.c. */
#ifndef COOPD_ROUTER_H
#define COOPD_ROUTER_H
#include <stddef.h>

#include "http.h"

/* Route flags */
#define RF_PUBLIC        0x01u /* no token needed */
#define RF_IDEMPOTENT    0x04u /* honours Idempotency-Key */
#define RF_BODY          0x08u /* needs a JSON object body */
#define RF_BODY_OPTIONAL 0x20u /* takes a JSON object body when one is sent */
#define RF_CSV           0x10u /* also answers Accept: text/csv */
/* A GET that writes the audit trail (a municipal read of residents' personal data): its
 * transaction is READ COMMITTED and may write, as a write's is. */
#define RF_LOGGED 0x40u
/* What a route answers when it does not answer JSON (Accept is negotiated against it, 406
 * otherwise): a PDF, an XML document (UBL, SEPA), text/plain (metrics), YAML, the docs page
 * (HTML) and its script. */
#define RF_PDF  0x80u
#define RF_XML  0x100u
#define RF_TEXT 0x200u
#define RF_YAML 0x400u
#define RF_HTML 0x800u
#define RF_JS   0x1000u
/* A read that tolerates replication lag (lists, exports, reports, the municipal views): served
 * by a read replica when DATABASE_READ_URL is set (db_acquire_read). A logged read's audit
 * events are written on the primary all the same (req_write_aside). */
#define RF_REPLICA 0x2000u
/* Takes a document body that is not JSON: an XML file (application/xml or text/xml, else 415),
 * at most COOPD_BANK_STATEMENT_LIMIT bytes (413), read into r->raw_body as sent and parsed by
 * the handler (a bank statement, lib/camt.h). Has no field table. */
#define RF_XML_BODY 0x4000u

/* Path patterns use typed parameters: {name:uuid}, {name:municipality} (GMnnnn),
 * {name:period} (YYYY-MM from 1900), {name:quarter} (YYYY-Qn), {name:year} (YYYY). A segment
 * that does not fit its type does not match, so a malformed id is a 404 like an unknown one. */
struct route {
	const char *method;
	const char *pattern;
	handler_fn handler;
	unsigned roles; /* R(ROLE_...) mask; ignored with RF_PUBLIC */
	unsigned flags;
	/* The fields of the body (with RF_BODY or RF_BODY_OPTIONAL, and only then): a body that
	 * breaks them is a 422 before the handler runs, so a handler starts from a body of the
	 * right shape and adds only the checks a table cannot say. */
	const struct field *body;
	/* The route's own checks of a body beyond its fields (identifiers, an address, one field
	 * against another): pure, no database. They run after the field table even when it found
	 * errors, so that one 422 lists every field error of a body (server.c, validate_body). */
	int (*check)(struct req *r);
};

extern const struct route routes[];
extern const size_t route_count;

enum route_match { MATCH_OK = 0, MATCH_NOT_FOUND, MATCH_BAD_METHOD, MATCH_REFUSED };

/* Checks the table once at start (patterns well-formed). Returns 0 or -1 with a message. */
int router_init(char *err, size_t errlen);
/* Matches method and path (without query). On MATCH_OK sets r->route and r->params; on
 * MATCH_BAD_METHOD writes the allowed methods ("GET, POST") into allow. */
enum route_match router_match(struct req *r, const char *method, const char *path, char *allow,
                              size_t allowlen);
/* Index of a route in the table (for metrics). */
size_t route_index(const struct route *rt);

#endif
