-- Checks audit_append_many (sql/functions/audit.sql), the audit of a write of many rows
-- (write_many, service/domain/resource.h), on a database that coopd migrated:
--   1. one event per element, in the array's order, with the element's id and changes (none: {});
--   2. the chain still verifies, and the events follow those already in it;
--   3. an empty array appends nothing.
-- Run as tests/run.sh does: psql URL -X -q -v ON_ERROR_STOP=1 -f tests/unit/audit_sql_check.sql
\set ON_ERROR_STOP 1

DO $$
DECLARE
    chain_id uuid;
    n integer;
    got text[];
    v record;
BEGIN
    INSERT INTO municipalities (code, name) VALUES ('GM0363', 'Amsterdam') ON CONFLICT DO NOTHING;
    INSERT INTO cooperatives (legal_name, invoice_prefix, kvk_number, street, house_number,
                              postal_code, city)
    VALUES ('Audit check', 'AC', '12345678', 'Damrak', '1', '1012 LG', 'Amsterdam')
    RETURNING id INTO chain_id;
    PERFORM audit_append(chain_id, NULL, NULL, 'platform_admin', 'thing.create', 'thing', 'first',
                         'req-0', '{}');
    n := audit_append_many(chain_id, 'GM0363', NULL, 'bookkeeper', 'thing.create', 'thing',
                           'req-1', '[{"id": "c", "changes": {"amount_cents": 3}},
                                      {"id": "a", "changes": null}, {"id": "b"}]');
    IF n <> 3 THEN
        RAISE EXCEPTION 'audit_append_many returned %, not 3', n;
    END IF;
    SELECT array_agg(e.object_id || '/' || e.seq || '/' || e.changes::text || '/' || e.request_id
                     || '/' || e.municipality_code ORDER BY e.seq)
      INTO got FROM audit_events e WHERE e.chain = chain_id::text AND e.request_id = 'req-1';
    IF got IS DISTINCT FROM ARRAY['c/2/{"amount_cents": 3}/req-1/GM0363', 'a/3/{}/req-1/GM0363',
                                  'b/4/{}/req-1/GM0363'] THEN
        RAISE EXCEPTION 'events not in the array''s order, or with other content: %', got;
    END IF;
    SELECT * INTO v FROM audit_verify(chain_id::text);
    IF NOT v.ok OR v.events <> 4 THEN
        RAISE EXCEPTION 'the chain does not verify after audit_append_many: %', v;
    END IF;
    IF audit_append_many(chain_id, NULL, NULL, NULL, 'thing.create', 'thing', 'req-2', '[]') <> 0
       OR (SELECT count(*) FROM audit_events e WHERE e.chain = chain_id::text) <> 4 THEN
        RAISE EXCEPTION 'an empty array appended events';
    END IF;
END
$$;
