#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/csv.h"

int list_result(struct req *r, const PGresult *res, int limit)
{
	int n = PQntuples(res);
	resp_list_begin(r);
	for (int i = 0; i < n && i < limit; i++)
		resp_list_item(r, PQgetvalue(res, i, 0));
	char cursor[32];
	if (n > limit)
		cursor_encode(atoll(PQgetvalue(res, limit - 1, 1)), cursor, sizeof cursor);
	return resp_list_end(r, n > limit ? cursor : NULL);
}

void page_params(long long after, int limit, char after_buf[24], char limit_buf[12])
{
	snprintf(after_buf, 24, "%lld", after);
	snprintf(limit_buf, 12, "%d", limit + 1);
}

int not_found(struct req *r)
{
	err_set(&r->err, 404, "not_found", "no such resource");
	return -1;
}

#define BOOLOID 16

struct csv_ctx {
	struct req *r;
	int started;
};

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

int csv_export(struct req *r, struct stmt *s, int nparams, const char *const *params)
{
	struct csv_ctx c = {r, 0};
	int rc = db_stream(r->db, s, nparams, params, csv_row, &c, &r->err);
	if (c.started && resp_stream_end(r) != 0)
		rc = -1;
	return rc;
}
