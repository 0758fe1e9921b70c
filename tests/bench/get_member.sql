-- pgbench script: the statement behind GET /v1/members/{id} (service/domain/members.c,
-- member_get), as a platform admin sends it ($2 and $3 = NULL), for a seeded member picked at
-- random. The id is built from :n exactly as in get_user.sql (see the reasoning there): bench.sh
-- seeds member n with the id 00000000-0000-4000-9000-<n as 12 hex digits>.
--
--   service: SELECT member_doc(m)::text, m.row_version FROM members m
--            WHERE m.id = $1 AND ($2::uuid IS NULL OR m.cooperative_id = $2)
--              AND ($3::uuid IS NULL OR m.id = $3)
--
-- Before it, in the same pipeline (one round trip, one implicit transaction, as coopd sends them:
-- service/db/pool.c exec_attempt), the token check of auth/context.c, for the admin whose token
-- the service gets (bench.sh passes its id, a jti and an iat: two index probes whatever the
-- values).
\set n random(1, :nusers)
\startpipeline
SELECT t.usable FROM token_usable(:tok_user, :tok_jti, :tok_iat::bigint) t(usable);
SELECT member_doc(m)::text, m.row_version FROM members m WHERE m.id = ('00000000-0000-4000-9000-' || lpad(to_hex(:n::integer), 12, '0'))::uuid AND (NULL::uuid IS NULL OR m.cooperative_id = NULL::uuid) AND (NULL::uuid IS NULL OR m.id = NULL::uuid);
\endpipeline
