/* Cooperatives (coöperaties): the list (a cooperative's users see their own), creation by the
 * platform, reading and changes, with statutes and board as nested arrays. What belongs to a
 * cooperative has a file of its own: fee_policies.h, shareholders.h, rate_floors.h, members.h,
 * customers.h, invoices.h.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_COOPERATIVES_H
#define COOPD_COOPERATIVES_H

#include "http/http.h"

int cooperatives_list(struct req *r);
int cooperatives_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int cooperatives_create_check(struct req *r);
int cooperatives_patch_check(struct req *r);
int cooperatives_get(struct req *r);
int cooperatives_patch(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field cooperatives_create_fields[], cooperatives_patch_fields[];
/* The items of a cooperative's statutes[] and board[]. */
extern const struct field cooperative_statute_fields[], cooperative_board_fields[];

#endif
