#include "common.h"

#include <stdio.h>
#include <stdlib.h>

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
