/* Webhook subscriptions (issue 14; README "Webhooks"): a cooperative (its coop_admin, or a
 * platform admin for it) or a municipality (its municipality users, or a platform admin)
 * subscribes a URL to events; coopd signs and delivers them (service/worker/). The
 * subscription's scope is its owner's: a caller sees the subscriptions of its own cooperative or
 * municipality (a platform admin every one), and any other answers 404. The secret is made by
 * coopd and shown once, in the answer to the creation.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_WEBHOOKS_H
#define COOPD_WEBHOOKS_H

#include "http/http.h"

int webhooks_list(struct req *r);
int webhooks_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int webhooks_create_check(struct req *r);
int webhooks_get(struct req *r);
int webhooks_patch(struct req *r);
int webhooks_patch_check(struct req *r);
int webhooks_delete(struct req *r);
/* GET /v1/webhooks/{id}/deliveries: the subscription's delivery log, oldest first. */
int webhooks_deliveries(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field webhooks_create_fields[];
extern const struct field webhooks_patch_fields[];

#endif
