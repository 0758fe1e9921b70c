-- pgbench script: the transaction behind POST /v1/invoices/{id}/issue (service/domain/invoices.c,
-- invoices_issue; the route is RF_IDEMPOTENT, so service/http/server.c run_in_tx wraps it in one
-- transaction), as a platform admin sends it without a body and without an Idempotency-Key
-- (then no idempotency statement runs):
--
--   BEGIN
--   lock_stmt:  SELECT i.row_version, i.cooperative_id, i.status, i.kind, i.member_id
--               FROM invoices i WHERE i.id = $1 AND ($2::uuid IS NULL OR i.cooperative_id = $2)
--                 AND ($3::uuid IS NULL OR i.member_id = $3) FOR UPDATE
--   issue_stmt: SELECT invoice_doc(x)::text, x.id, x.row_version, x.number
--               FROM invoice_issue($1, $2::date, $3::jsonb) x          ($2, $3 = NULL: today)
--   audit_append (service/domain/audit.c):
--               SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
--               (the invoice's cooperative, NULL, the caller's user id, 'platform_admin',
--                'invoice.issue', 'invoice', the invoice id, the request id,
--                '{"status":"issued","number":"<the new number>"}')
--   COMMIT
--
-- Variables from bench.sh (-D): actor (the admin's user id), role, action, object_type. They,
-- the ids and the number go out as text parameters as in the service (pgbench -M prepared).
-- Differences, all of them costing pgbench (not the service) a little:
--   * The draft: the service gets the id in the URL; pgbench takes the next draft of its set with
--     one more statement in the transaction, before the locks: nextval of a sequence that
--     bench.sh points at this round's drafts (bench.sh seeds draft n with the id
--     00000000-0000-4000-a000-<n as 12 hex digits>). One more round trip and a nextval per
--     transaction, which the service does not do. It lies before the row and series locks, so it
--     adds latency and CPU but does not lengthen the part that is serialised per cooperative.
--     (When the round's drafts are used up nextval fails: the run fails instead of issuing twice.)
--   * $2, $3 of the lock are written NULL::uuid (pgbench cannot send a NULL; as in
--     get_member.sql): the planner folds the scope tests away, tens of nanoseconds.
--   * The changes document is concatenated around the number in the statement (pgbench cannot
--     build strings) and cast to jsonb as the service's $9::jsonb is; the request id is a random
--     19-digit number instead of the service's 32 hex digits.
--   * pgbench keeps every column of the results (\gset) like the service reads them.
-- BEGIN and COMMIT are prepared statements here, simple queries (PQexec) in the service.
\set rid random(1000000000000000000, 9223372036854775806)
BEGIN;
SELECT '00000000-0000-4000-a000-' || lpad(to_hex(nextval('bench_pg_next')), 12, '0') AS id \gset
SELECT i.row_version, i.cooperative_id, i.status, i.kind, i.member_id FROM invoices i WHERE i.id = :id AND (NULL::uuid IS NULL OR i.cooperative_id = NULL::uuid) AND (NULL::uuid IS NULL OR i.member_id = NULL::uuid) FOR UPDATE \gset
SELECT invoice_doc(x)::text, x.id, x.row_version, x.number FROM invoice_issue(:id, NULL::date, NULL::jsonb) x \gset
SELECT audit_append(:cooperative_id, NULL, :actor, :role, :action, :object_type, :id, :rid, ('{"status":"issued","number":"' || :number || '"}')::jsonb);
COMMIT;
