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

/* A list of residents' personal data read by a municipality (SPEC §7): every read is an audit
 * event per cooperative in the response (audit_municipal_read, sql/functions/audit.sql), and the
 * events name exactly the items that leave the service; they commit before the items are sent.
 * - page: the page of LIST_PAGE, and its items logged, in one statement (on the primary).
 * - read: the page alone, with each item's cooperative (c) and member (m): on a read replica,
 *   whose transaction cannot write; audit then logs the items on the primary.
 * - groups (CSV): every row the export will hold, grouped by cooperative and member (the rows of
 *   a whole feed are many), as the arrays audit takes (cooperatives, members_logged, items),
 *   with bound, the highest position, and members, the members ('{...}' uuid[] text).
 * - audit: logs items: $1 the municipality, $2 the request id, $3 the query (a JSON object),
 *   $4 cooperatives, $5 members, $6 the items of each pair (null: one each), as array texts.
 * - csv (CSV): the CSV form of LIST_SQL over the rows logged: position at most $bound, member in
 *   $members. On the primary the export reads a later snapshot than groups (the events commit
 *   first); these conditions keep it to what was logged (a row that entered the list in between
 *   waits for the next read). On a replica it reads groups' own snapshot.
 * Parameters: $1 position after, $2 limit (page, read: limit + 1; CSV: null), $3 the municipality,
 * then the list's other filters; page takes two more, the request id and the query, csv two
 * more, bound and members; the macros take the numbers of these two. coop and member are the
 * expressions of an item's cooperative and member. */
struct logged_list {
	struct stmt page, read, groups, audit, csv;
};
#define LOGGED_LIST(doc, columns, csv_from, csv_key, coop, member, from, key, where, action, type, \
                    p1, p2)                                                                        \
	{                                                                                          \
		.page =                                                                            \
		    STMT("WITH page AS MATERIALIZED (SELECT " doc " AS doc, " key " AS pos, " coop \
		         " AS c, " member " AS m FROM " from " WHERE " key " > $1 AND (" where     \
		         ") ORDER BY " key " LIMIT $2), logged AS MATERIALIZED ("                  \
		         "SELECT audit_municipal_read($3, '" action "', '" type "', " p1 ", " p2   \
		         "::jsonb, array_agg(p.c ORDER BY p.pos), array_agg(p.m ORDER BY p.pos),"  \
		         " NULL)"                                                                  \
		         " AS n FROM (SELECT c, m, pos FROM page ORDER BY pos"                     \
		         " LIMIT $2::bigint - 1) p)"                                               \
		         " SELECT doc, pos FROM page WHERE (SELECT n FROM logged) IS NOT NULL"     \
		         " ORDER BY pos"),                                                         \
		.read = STMT("SELECT " doc " AS doc, " key " AS pos, " coop " AS c, " member       \
		             " AS m FROM " from " WHERE " key " > $1 AND (" where                  \
		             ") ORDER BY " key " LIMIT $2"),                                       \
		.groups =                                                                          \
		    STMT("SELECT array_agg(x.c)::text AS cooperatives,"                            \
		         " array_agg(x.m)::text AS members_logged, array_agg(x.n)::text AS items," \
		         " max(x.pos) AS bound, array_agg(DISTINCT x.m)::text AS members"          \
		         " FROM (SELECT " coop " AS c, " member " AS m, count(*) AS n, max(" key   \
		         ") AS pos FROM " from " WHERE " key " > $1 AND (" where ") GROUP BY 1, 2" \
		         " LIMIT $2) x"),                                                          \
		.audit = STMT("SELECT audit_municipal_read($1, '" action "', '" type "', $2,"      \
		              " $3::jsonb, $4::uuid[], $5::uuid[], $6::bigint[]) AS events"),      \
		.csv = STMT(LIST_SQL(columns,                                                      \
		                     csv_from " JOIN unnest(" p2 "::uuid[]) AS logged(member_id)"  \
		                              " ON logged.member_id = " member,                    \
		                     csv_key, key " <= " p1 "::bigint AND (" where ")")),          \
	}

/* Runs list s with the filters ($3...; at most 10): a page by ?after= and ?limit= (400
 * invalid_parameter when they are bad), or, with Accept: text/csv and a CSV form, every row. */
int list_query(struct req *r, struct list_stmt *s, int nfilters, const char *const *filters);

/* The query of a logged read as its audit event records it (a JSON object's text, to free), or
 * NULL when out of memory. */
char *read_query_json(struct req *r);

/* list_query for a logged list; filters[0] is the municipality. feed 1: a change feed polled by
 * position: next_cursor is never null (after the last item, or the position asked for when
 * nothing came after it), and the CSV form too starts after ?after= (a page's position must never
 * decrease: a feed's positions are never below 0). */
int list_logged(struct req *r, struct logged_list *s, int nfilters, const char *const *filters,
                int feed);

/* A list of what belongs to the object the path names (r->params[0]), without other filters:
 * open (scope.h: coop_open, member_open, ...) must let the caller see that object (else 404);
 * $3 is its id. */
int list_children(struct req *r, int (*open)(struct req *r, const char *id), struct list_stmt *s);

#endif
