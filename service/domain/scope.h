/* Whether the object a path names as the parent of what it asks for is there for the caller
 * (SPEC §2): out of scope and missing are the same answer, 404 not_found, so that a caller
 * cannot learn that an object exists. The role check came before (routes.c); the statements
 * that read or write an object carry the same scope in their WHERE clause.
 *
 * Each function returns 0, or -1 with r->err (404, or the database's error); those that read
 * the database check out the request's connection (req_db). Nothing is owned. */
#ifndef COOPD_DOMAIN_SCOPE_H
#define COOPD_DOMAIN_SCOPE_H

#include "http/http.h"

/* For routes under /v1/cooperatives/{coop_id}: the caller may see that cooperative and it
 * exists. */
int coop_open(struct req *r, const char *coop_id);

/* The member is visible: its own record for a member, its cooperative's for the office. */
int member_open(struct req *r, const char *member_id);

/* member_open for the member the path names (r->params[0]), locked for the rest of the
 * request's transaction, so that the writes of one member's records (permissions, premiums)
 * are checked and made one at a time; copies its cooperative and municipality. */
int member_open_for_update(struct req *r, char coop[ID_LEN], char muni[8]);

/* The invoice is visible: a member sees its own, the office its cooperative's. */
int invoice_open(struct req *r, const char *invoice_id);

/* A municipality user sees its own municipality only (no database). */
int municipality_visible(struct req *r, const char *code);
/* The municipality is visible and exists. */
int municipality_open(struct req *r, const char *code);

#endif
