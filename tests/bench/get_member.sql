-- pgbench script: the statement behind GET /v1/members/{id} (service/domain/members.c,
-- member_get), as a platform admin sends it ($2 and $3 = NULL), for a seeded member picked at
-- random. The id is built from :n exactly as in get_user.sql (see the reasoning there): bench.sh
-- seeds member n with the id 00000000-0000-4000-9000-<n as 12 hex digits>.
--
--   service: SELECT member_doc(m)::text, m.row_version FROM members m
--            WHERE m.id = $1 AND ($2::uuid IS NULL OR m.cooperative_id = $2)
--              AND ($3::uuid IS NULL OR m.id = $3)
\set n random(1, :nusers)
SELECT member_doc(m)::text, m.row_version FROM members m WHERE m.id = ('00000000-0000-4000-9000-' || lpad(to_hex(:n::integer), 12, '0'))::uuid AND (NULL::uuid IS NULL OR m.cooperative_id = NULL::uuid) AND (NULL::uuid IS NULL OR m.id = NULL::uuid);
