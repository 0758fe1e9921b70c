/* Lists: a page of JSON documents with an opaque cursor, or, when the client asks for text/csv
 * and the list has that form, every row as CSV, streamed. Both forms come from one SQL text.
 *
 * A list's two statements are made by LIST_STMT / LIST_STMT_CSV from its parts: `from` (the FROM
 * clause), `key` (the position that orders the list and that the cursor holds: a bigint, e.g.
 * m.seq) and `where` (the filters). Parameters, in both forms: $1 the position the page starts
 * after, $2 the row limit, $3... the filters. The page form selects (doc, pos); the CSV form the
 * columns given, whose names become the header row; it runs with $1 the lowest position and $2
 * null (no limit).
 *
 * Every function returns 0 with the response set (for CSV: streamed), or -1 with r->err.
 * No PGresult outlives a call. */
#ifndef COOPD_DOMAIN_LIST_H
#define COOPD_DOMAIN_LIST_H

#include "db/db.h"
#include "http/http.h"

struct list_stmt {
	struct stmt page; /* (doc, pos) */
	struct stmt csv;  /* the CSV columns; sql NULL when the list has no CSV form */
};

#define LIST_SQL(select, from, key, where)                                                         \
	"SELECT " select " FROM " from " WHERE " key " > $1 AND (" where ") ORDER BY " key         \
	" LIMIT $2"
#define LIST_PAGE(doc, from, key, where)                                                           \
	STMT(LIST_SQL(doc " AS doc, " key " AS pos", from, key, where))
/* A list with a JSON form only; doc is the expression of an item's JSON text. */
#define LIST_STMT(doc, from, key, where)                                                           \
	{                                                                                          \
		.page = LIST_PAGE(doc, from, key, where), .csv = STMT(NULL)                        \
	}
/* A list with a JSON and a CSV form; columns is the CSV form's SELECT list. */
#define LIST_STMT_CSV(doc, columns, from, key, where)                                              \
	{                                                                                          \
		.page = LIST_PAGE(doc, from, key, where),                                          \
		.csv = STMT(LIST_SQL(columns, from, key, where))                                   \
	}

/* Runs list s with the filters ($3...; at most 10): a page by ?after= and ?limit= (400
 * invalid_parameter when they are bad), or, with Accept: text/csv and a CSV form, every row. */
int list_query(struct req *r, struct list_stmt *s, int nfilters, const char *const *filters);

/* list_query for a change feed polled by position: next_cursor is never null (after the last
 * item, or the position asked for when nothing came after it), and the CSV form too starts after
 * ?after= (a page's position must never decrease: a feed's positions are never below 0). */
int list_feed(struct req *r, struct list_stmt *s, int nfilters, const char *const *filters);

/* A list of what belongs to the object the path names (r->params[0]), without other filters:
 * open (scope.h: coop_open, member_open, ...) must let the caller see that object (else 404);
 * $3 is its id. */
int list_children(struct req *r, int (*open)(struct req *r, const char *id), struct list_stmt *s);

#endif
