-- pgbench script: the statement behind GET /v1/users/{id} (service/domain/users.c, user_get),
-- as a platform admin sends it ($2 = NULL), for a seeded user picked at random.
--
--   service: SELECT user_doc(u)::text, u.row_version FROM users u
--            WHERE u.id = $1 AND ($2::uuid IS NULL OR u.cooperative_id = $2)
--
-- pgbench (-M prepared) binds its variables as parameters, but it can only compute integers
-- and cannot send a NULL (a null variable is sent as the text 'NULL'). So:
--   $1: bench.sh seeds user n with the id 00000000-0000-4000-8000-<n in 12 hex digits>, and this
--       script builds that id from the integer parameter :n inside the statement. The plan is
--       the service's (an index scan on users_pkey; the key is computed once per execution,
--       not per row); to_hex + lpad + the uuid cast cost well under a microsecond, against a
--       round trip of ~100 us, and they make pgbench do slightly MORE work than the service.
--       (The alternative, looking the uuid up in a side table, costs a second index scan.)
--   $2: written as NULL::uuid. The planner folds the scope test away, where the service's
--       generic plan keeps it as a filter on the one fetched row: tens of nanoseconds.
-- One statement outside a transaction block: one round trip, as in the service.
\set n random(1, :nusers)
SELECT user_doc(u)::text, u.row_version FROM users u WHERE u.id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::integer), 12, '0'))::uuid AND (NULL::uuid IS NULL OR u.cooperative_id = NULL::uuid);
