/* A member's hours per ISO week (SPEC §5 "Members' money"): business hours, job-search hours and
 * applications, recorded by the office or by the member for itself, one entry per week (409
 * already_exists for a second; PATCH corrects it). Each entry shows the business hours of its
 * ISO year so far and the warning hours_criterion_80_percent once they reach 80 % of the
 * statutory hours criterion. A week counts in the month and year of its Thursday.
 *
 * Route handlers (http.h): each returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_HOURS_H
#define COOPD_HOURS_H

#include "http/http.h"

int hours_list(struct req *r);
int hours_create(struct req *r);
/* Checks of a body beyond its field table, run before the handler (router.h: check). */
int hours_create_check(struct req *r);
int hours_patch_check(struct req *r);
int hours_get(struct req *r);
int hours_patch(struct req *r);

/* The bodies the routes take (routes.c; the dispatcher checks them before the handler). */
extern const struct field hours_create_fields[], hours_patch_fields[];

#endif
