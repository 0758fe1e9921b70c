-- pgbench script: the statement behind GET /v1/users/{id} (service/domain/users.c, user_get),
-- as a platform admin sends it ($2 = NULL), for a seeded user picked at random.
--
--   service: SELECT user_doc(u)::text, u.row_version FROM users u
--            WHERE u.id = $1 AND ($2::uuid IS NULL OR u.cooperative_id = $2)
--
-- pgbench -M prepared sends its variables as untyped text parameters, as the service does, but
-- it can only compute integers and cannot send a NULL (a null variable goes out as the text
-- 'NULL'). So:
--   $1: bench.sh seeds user n with the id 00000000-0000-4000-8000-<n as 12 hex digits>, and this
--       script builds that id from the integer parameter :n inside the statement. to_hex, lpad
--       and the uuid cast run once per execution (the index key), well under a microsecond
--       against a round trip of ~100 us here, and they make pgbench do slightly MORE work than
--       the service. (Looking the uuid up in a side table would add a second index scan.)
--   $2: written as NULL::uuid. The planner folds the scope test away, where the service's
--       generic plan keeps it as a filter on the one fetched row: tens of nanoseconds.
-- Both statements switch to a generic plan after five executions (pg_prepared_statements) and
-- that plan is the same Index Scan using users_pkey. One statement outside a transaction block:
-- one round trip, as in the service.
-- Before it, in the same pipeline, the token check (see get_member.sql).
\set n random(1, :nusers)
\startpipeline
SELECT t.usable FROM token_usable(:tok_user, :tok_jti, :tok_iat::bigint) t(usable);
SELECT user_doc(u)::text, u.row_version FROM users u WHERE u.id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::integer), 12, '0'))::uuid AND (NULL::uuid IS NULL OR u.cooperative_id = NULL::uuid);
\endpipeline
