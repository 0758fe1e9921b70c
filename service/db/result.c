/* Reading result columns by name (db.h). */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"

const char *db_col(const PGresult *res, int row, const char *name)
{
	int col = PQfnumber(res, name);
	if (col < 0) {
		log_msg("error", NULL, "the result has no column %s", name);
		return NULL;
	}
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

long long db_col_ll(const PGresult *res, int row, const char *name)
{
	const char *v = db_col(res, row, name);
	return v ? strtoll(v, NULL, 10) : 0;
}

int db_col_true(const PGresult *res, int row, const char *name)
{
	const char *v = db_col(res, row, name);
	return v && v[0] == 't';
}

void db_col_copy(const PGresult *res, int row, const char *name, char *out, size_t outlen)
{
	const char *v = db_col(res, row, name);
	snprintf(out, outlen, "%s", v ? v : "");
}
