/* Lists: pages and CSV exports (list.h). */
#include "list.h"

#include <civetweb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * true/false, NULL as an empty field). In the Excel dialect (r->csv_excel) a byte order mark
 * first and ';' between fields. */
static int csv_row(void *ctx, const PGresult *res, int is_last)
{
	struct csv_ctx *c = ctx;
	struct req *r = c->r;
	int n = PQnfields(res);
	char sep = r->csv_excel ? ';' : ',';
	if (!c->started) {
		if (resp_stream_begin(r, 200,
		                      r->csv_excel
		                          ? "text/csv; charset=utf-8; header=present; dialect=excel"
		                          : "text/csv; charset=utf-8; header=present") != 0)
			return -1;
		c->started = 1;
		if (r->csv_excel)
			sbuf_puts(&r->out, CSV_BOM);
		for (int i = 0; i < n; i++)
			csv_field_sep(&r->out, PQfname(res, i), i == 0, sep);
		csv_end_row(&r->out);
	}
	if (is_last)
		return 0;
	for (int i = 0; i < n; i++) {
		const char *v = db_str(res, 0, i);
		if (v && PQftype(res, i) == BOOLOID)
			v = v[0] == 't' ? "true" : "false";
		csv_field_sep(&r->out, v, i == 0, sep);
	}
	csv_end_row(&r->out);
	return resp_stream_flush(r, 0);
}

/* Every row of statement s as CSV, streamed in chunks. */
static int csv_export(struct req *r, struct stmt *s, int nparams, const char *const *params)
{
	struct csv_ctx c = {r, 0};
	int rc = db_stream(r->db, s, nparams, params, csv_row, &c, &r->err);
	/* Only a complete export gets the closing chunk: one cut off (the export timeout, a lost
	 * database) ends without it, and the dispatcher closes the connection, so that the client
	 * sees a truncated transfer rather than a shorter file that looks whole. */
	if (rc == 0 && c.started && resp_stream_end(r) != 0)
		rc = -1;
	return rc;
}

int list_query(struct req *r, struct list_stmt *s, int nfilters, const char *const *filters)
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
	int rc = list_result(r, res, limit, -1);
	PQclear(res);
	return rc;
}

/* The query of a logged read as the audit event records it: {"format", "parameters"}, the
 * request's query string (the cursor, limit and filters) as the client sent it, at most 512 bytes
 * of it. Civetweb refuses a request line with raw bytes outside ASCII; a byte that is not
 * printable ASCII would still become '?', so that the event is always valid JSON. */
char *read_query_json(struct req *r)
{
	const char *qs = r->ri && r->ri->query_string ? r->ri->query_string : "";
	char clean[513];
	size_t n = 0;
	for (; qs[n] && n < sizeof clean - 1; n++)
		clean[n] = qs[n] >= 0x20 && qs[n] < 0x7f ? qs[n] : '?';
	clean[n] = '\0';
	json_t *q = json_pack("{s:s, s:s}", "format", r->csv ? "csv" : "json", "parameters", clean);
	char *text = q ? json_dumps(q, JSON_COMPACT) : NULL;
	json_decref(q);
	return text;
}

/* The CSV form of logged list s with its parameters p (n of them; the last two: the request id
 * and the query): logs every row the export will hold, commits that, then streams those rows.
 * On a read replica the rows are counted there, logged on the primary (req_write_aside) and
 * streamed from the replica's same snapshot; on the primary they are logged in the request's
 * transaction and streamed in a read-only transaction of its own, on the primary too (a replica
 * that lags might not have every row logged). */
static int logged_export(struct req *r, struct logged_list *s, const char **p, int n)
{
	bool replica = db_conn_replica(r->db);
	PGresult *g = db_tx_export(r->db, &r->err) == 0
	                  ? db_exec(r->db, &s->groups, n - 2, p, &r->err)
	                  : NULL;
	if (!g)
		return -1;
	const char *a[] = {p[2],
	                   p[n - 2],
	                   p[n - 1],
	                   db_col(g, 0, "cooperatives"),
	                   db_col(g, 0, "members_logged"),
	                   db_col(g, 0, "items")};
	int rc;
	if (replica) {
		rc = req_write_aside(r, &s->audit, 6, a);
	} else {
		PGresult *logged = db_exec(r->db, &s->audit, 6, a, &r->err);
		rc = logged ? req_commit(r) : -1;
		PQclear(logged);
		r->read_only = true;
		r->primary_only = true;
	}
	const char *b = db_col(g, 0, "bound"), *m = db_col(g, 0, "members");
	char *bound = b ? strdup(b) : NULL, *members = m ? strdup(m) : NULL;
	PQclear(g);
	if (rc == 0 && ((b && !bound) || (m && !members)))
		rc = err_internal(&r->err);
	if (rc == 0) {
		p[n - 2] = bound;
		p[n - 1] = members;
		rc = req_db(r) ? csv_export(r, &s->csv, n, p) : -1;
	}
	free(bound);
	free(members);
	return rc;
}

/* An array's text ('{a,b}') of column col of rows 0 .. n - 1 of res (NULL for a null), or NULL
 * when out of memory; to free. */
static char *array_text(const PGresult *res, int n, const char *col)
{
	struct sbuf b = {0};
	int f = PQfnumber(res, col);
	sbuf_puts(&b, "{");
	for (int i = 0; i < n; i++) {
		if (i)
			sbuf_puts(&b, ",");
		sbuf_puts(&b, PQgetisnull(res, i, f) ? "NULL" : PQgetvalue(res, i, f));
	}
	sbuf_puts(&b, "}");
	if (b.oom) {
		sbuf_free(&b);
		return NULL;
	}
	return b.data;
}

/* A page of logged list s on a read replica: read there, its items logged on the primary before
 * the page is answered. p as for page (n of them). */
static int logged_page_replica(struct req *r, struct logged_list *s, const char **p, int n,
                               int limit, long long feed_after)
{
	PGresult *res = db_exec_last(r->db, &s->read, n - 2, p, &r->err);
	if (!res)
		return -1;
	int items = PQntuples(res) < limit ? PQntuples(res) : limit, rc = 0;
	if (items > 0) {
		char *coops = array_text(res, items, "c"), *members = array_text(res, items, "m");
		const char *a[] = {p[2], p[n - 2], p[n - 1], coops, members, NULL};
		rc = coops && members ? req_write_aside(r, &s->audit, 6, a) : err_internal(&r->err);
		free(coops);
		free(members);
	}
	if (rc == 0)
		rc = list_result(r, res, limit, feed_after);
	PQclear(res);
	return rc;
}

int list_logged(struct req *r, struct logged_list *s, int nfilters, const char *const *filters,
                int feed)
{
	if (nfilters > MAX_LIST_PARAMS - 4) {
		err_internal(&r->err);
		return -1;
	}
	if (!req_db(r))
		return -1;
	int limit = 0;
	long long pos = INT64_MIN;
	if ((feed || !r->csv) && req_page(r, &limit, &pos) != 0)
		return -1;
	char after[24], limit_text[12];
	snprintf(after, sizeof after, "%lld", pos);
	snprintf(limit_text, sizeof limit_text, "%d", limit + 1);
	const char *p[MAX_LIST_PARAMS] = {after, r->csv ? NULL : limit_text};
	for (int i = 0; i < nfilters; i++)
		p[2 + i] = filters[i];
	char *query = read_query_json(r);
	if (!query)
		return err_internal(&r->err);
	p[2 + nfilters] = r->request_id;
	p[3 + nfilters] = query;
	int n = 4 + nfilters, rc;
	if (r->csv) {
		rc = logged_export(r, s, p, n);
	} else if (db_conn_replica(r->db)) {
		rc = logged_page_replica(r, s, p, n, limit, feed ? pos : -1);
	} else {
		PGresult *res = db_exec(r->db, &s->page, n, p, &r->err);
		rc = res ? list_result(r, res, limit, feed ? pos : -1) : -1;
		PQclear(res);
	}
	free(query);
	return rc;
}

int list_children(struct req *r, int (*open)(struct req *r, const char *id), struct list_stmt *s)
{
	const char *f[] = {r->params[0]};
	return open(r, r->params[0]) != 0 ? -1 : list_query(r, s, 1, f);
}
