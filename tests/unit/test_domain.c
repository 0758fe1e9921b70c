/* The pure parts of the domain's shared steps: a list's two forms come from one SQL text, and
 * columns are read by name (db/result.c). */
#include <libpq-fe.h>

#include "db/db.h"
#include "domain/list.h"
#include "domain/resource.h"
#include "unit.h"

static void test_a_lists_page_and_csv_forms_share_one_sql_text(void)
{
	struct list_stmt s = LIST_STMT_CSV("t_doc(x)::text", "x.id, x.name", "things x", "x.seq",
	                                   "x.owner = $3 AND ($4::text IS NULL OR x.kind = $4)");
	const char *tail =
	    " FROM things x WHERE x.seq > $1 AND (x.owner = $3 AND ($4::text IS NULL OR"
	    " x.kind = $4)) ORDER BY x.seq LIMIT $2";
	char want[512];
	snprintf(want, sizeof want, "SELECT t_doc(x)::text AS doc, x.seq AS pos%s", tail);
	CHECK_STR(s.page.sql, want);
	snprintf(want, sizeof want, "SELECT x.id, x.name%s", tail);
	CHECK_STR(s.csv.sql, want);
	CHECK_INT(s.page.id, 0);
	CHECK_INT(s.csv.id, 0);
}

static void test_a_list_without_csv_form_has_no_csv_statement(void)
{
	struct list_stmt s =
	    LIST_STMT("t_doc(x)::text", "things x", "dated_key(x.d, x.seq)", "true");
	CHECK_STR(s.page.sql,
	          "SELECT t_doc(x)::text AS doc, dated_key(x.d, x.seq) AS pos FROM things x"
	          " WHERE dated_key(x.d, x.seq) > $1 AND (true)"
	          " ORDER BY dated_key(x.d, x.seq) LIMIT $2");
	CHECK(s.csv.sql == NULL);
}

/* A result as libpq would return it: columns doc, row_version, flag; row 0 has a SQL null in
 * flag, row 1 has values everywhere. */
static PGresult *result(void)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc cols[3];
	memset(cols, 0, sizeof cols);
	cols[0].name = "doc";
	cols[1].name = "row_version";
	cols[2].name = "flag";
	for (int i = 0; i < 3; i++)
		cols[i].format = 0;
	CHECK(PQsetResultAttrs(res, 3, cols));
	CHECK(PQsetvalue(res, 0, 0, "{\"a\":1}", 7));
	CHECK(PQsetvalue(res, 0, 1, "42", 2));
	CHECK(PQsetvalue(res, 0, 2, NULL, -1));
	CHECK(PQsetvalue(res, 1, 0, "{}", 2));
	CHECK(PQsetvalue(res, 1, 1, "7", 1));
	CHECK(PQsetvalue(res, 1, 2, "t", 1));
	return res;
}

static void test_columns_are_read_by_name(void)
{
	PGresult *res = result();
	CHECK_STR(db_col(res, 0, "doc"), "{\"a\":1}");
	CHECK_STR(db_col(res, 1, "row_version"), "7");
	CHECK_INT(db_col_ll(res, 0, "row_version"), 42);
	CHECK_INT(db_col_true(res, 1, "flag"), 1);
	char buf[4];
	db_col_copy(res, 0, "doc", buf, sizeof buf);
	CHECK_STR(buf, "{\"a");
	PQclear(res);
}

static void test_sql_null_and_a_missing_column_read_as_null(void)
{
	PGresult *res = result();
	CHECK(db_col(res, 0, "flag") == NULL);
	CHECK_INT(db_col_ll(res, 0, "flag"), 0);
	CHECK_INT(db_col_true(res, 0, "flag"), 0);
	CHECK(db_col(res, 0, "no_such_column") == NULL);
	CHECK_INT(db_col_ll(res, 1, "no_such_column"), 0);
	char buf[8] = "x";
	db_col_copy(res, 0, "flag", buf, sizeof buf);
	CHECK_STR(buf, "");
	PQclear(res);
}

int main(void)
{
	RUN(test_a_lists_page_and_csv_forms_share_one_sql_text);
	RUN(test_a_list_without_csv_form_has_no_csv_statement);
	RUN(test_columns_are_read_by_name);
	RUN(test_sql_null_and_a_missing_column_read_as_null);
	UNIT_END();
}
