/* Lists: pages and CSV exports (list.h). */
#include "list.h"

#include <stdint.h>
#include <stdio.h>

#include "lib/csv.h"

#define BOOLOID         16
#define MAX_LIST_PARAMS 12

/* A page from res, fetched with LIMIT limit + 1: at most limit items, and a next_cursor when
 * there was one more row. A feed (feed_after >= 0, the position the page started after) always
 * has a next_cursor: after its last item, or where it started when it has none. */
static int list_result(struct req *r, const PGresult *res, int limit, long long feed_after)
{
	int n = PQntuples(res);
	resp_list_begin(r);
	for (int i = 0; i < n && i < limit; i++)
		resp_list_item(r, db_col(res, i, "doc"));
	char cursor[32];
	int last = n > limit ? limit - 1 : feed_after >= 0 ? n - 1 : -1;
	if (last >= 0)
		cursor_encode(db_col_ll(res, last, "pos"), cursor, sizeof cursor);
	else if (feed_after >= 0)
		cursor_encode(feed_after, cursor, sizeof cursor);
	return resp_list_end(r, last >= 0 || feed_after >= 0 ? cursor : NULL);
}

struct csv_ctx {
	struct req *r;
	int started;
};

/* One row of the stream (RFC 4180; the header row from the column names, booleans as
 * true/false, NULL as an empty field). */
static int csv_row(void *ctx, const PGresult *res, int is_last)
{
	struct csv_ctx *c = ctx;
	struct req *r = c->r;
	int n = PQnfields(res);
	if (!c->started) {
		if (resp_stream_begin(r, 200, "text/csv; charset=utf-8; header=present") != 0)
			return -1;
		c->started = 1;
		for (int i = 0; i < n; i++)
			csv_field(&r->out, PQfname(res, i), i == 0);
		csv_end_row(&r->out);
	}
	if (is_last)
		return 0;
	for (int i = 0; i < n; i++) {
		const char *v = db_str(res, 0, i);
		if (v && PQftype(res, i) == BOOLOID)
			v = v[0] == 't' ? "true" : "false";
		csv_field(&r->out, v, i == 0);
	}
	csv_end_row(&r->out);
	return resp_stream_flush(r, 0);
}

/* Every row of statement s as CSV, streamed in chunks. */
static int csv_export(struct req *r, struct stmt *s, int nparams, const char *const *params)
{
	struct csv_ctx c = {r, 0};
	int rc = db_stream(r->db, s, nparams, params, csv_row, &c, &r->err);
	if (c.started && resp_stream_end(r) != 0)
		rc = -1;
	return rc;
}

/* list_query and list_feed: feed 0 or 1. */
static int list_run(struct req *r, struct list_stmt *s, int nfilters, const char *const *filters,
                    int feed)
{
	if (nfilters > MAX_LIST_PARAMS - 2) {
		err_internal(&r->err);
		return -1;
	}
	if (!req_db(r))
		return -1;
	char after[24], limit_text[12];
	const char *p[MAX_LIST_PARAMS] = {after, limit_text};
	for (int i = 0; i < nfilters; i++)
		p[2 + i] = filters[i];
	int limit;
	long long pos = INT64_MIN;
	if (r->csv && s->csv.sql) {
		if (feed && req_page(r, &limit, &pos) != 0)
			return -1;
		snprintf(after, sizeof after, "%lld", pos);
		p[1] = NULL; /* LIMIT NULL: every row */
		return csv_export(r, &s->csv, 2 + nfilters, p);
	}
	if (req_page(r, &limit, &pos) != 0)
		return -1;
	snprintf(after, sizeof after, "%lld", pos);
	snprintf(limit_text, sizeof limit_text, "%d", limit + 1);
	PGresult *res = db_exec_last(r->db, &s->page, 2 + nfilters, p, &r->err);
	if (!res)
		return -1;
	int rc = list_result(r, res, limit, feed ? pos : -1);
	PQclear(res);
	return rc;
}

int list_query(struct req *r, struct list_stmt *s, int nfilters, const char *const *filters)
{
	return list_run(r, s, nfilters, filters, 0);
}

int list_feed(struct req *r, struct list_stmt *s, int nfilters, const char *const *filters)
{
	return list_run(r, s, nfilters, filters, 1);
}

int list_children(struct req *r, int (*open)(struct req *r, const char *id), struct list_stmt *s)
{
	const char *f[] = {r->params[0]};
	return open(r, r->params[0]) != 0 ? -1 : list_query(r, s, 1, f);
}
