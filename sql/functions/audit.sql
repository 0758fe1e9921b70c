-- The audit trail: append-only, one hash chain per cooperative and one for platform events
-- (chain = the cooperative id, or 'platform'). Each event's hash covers the previous hash and the
-- event's own content, so any edit or deletion breaks verification.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- The hash of one event: the previous event's hash and every field of this one.
CREATE OR REPLACE FUNCTION audit_hash(prev_hash text, e audit_events) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN encode(sha256(convert_to(concat_ws('|',
    prev_hash, e.chain, e.seq::text, coalesce(e.cooperative_id::text, ''),
    coalesce(e.municipality_code, ''),
    to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    coalesce(e.actor_user_id::text, ''), coalesce(e.actor_role, ''), e.action, e.object_type,
    coalesce(e.object_id, ''), coalesce(e.request_id, ''), e.changes::text), 'UTF8')), 'hex');

-- Trigger audit_events_no_update (001): events are never updated or deleted. Not a client
-- rule (the service never tries): SQLSTATE 42501, a 500 if it ever happens.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = '42501';
END $$;

-- Appends one event to its chain inside the caller's transaction. The chain row is locked, so
-- events of one chain are strictly ordered and the chain has no forks. Busy chains (every issued
-- invoice appends to its cooperative's) lock the existing chain row first and only try to create
-- it when it is missing: an INSERT ... ON CONFLICT against a row that another transaction holds
-- waits for that transaction, a second queue on the same row.
-- SECURITY DEFINER: municipal requests run as coopd_municipal (012), which may not write the
-- trail itself; it appends through this function and reads only its own municipality's events.
CREATE OR REPLACE FUNCTION audit_append(p_cooperative_id uuid, p_municipality_code text, p_actor uuid,
                             p_role text, p_action text, p_object_type text, p_object_id text,
                             p_request_id text, p_changes jsonb)
RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    c text := coalesce(p_cooperative_id::text, 'platform');
    h audit_chains;
    e audit_events;
BEGIN
    SELECT * INTO h FROM audit_chains WHERE chain = c FOR UPDATE;
    IF NOT FOUND THEN -- the chain's first event
        INSERT INTO audit_chains (chain, last_seq, last_hash) VALUES (c, 0, '')
            ON CONFLICT (chain) DO NOTHING;
        SELECT * INTO h FROM audit_chains WHERE chain = c FOR UPDATE;
    END IF;
    e.id := gen_random_uuid();
    e.chain := c;
    e.seq := h.last_seq + 1;
    e.cooperative_id := p_cooperative_id;
    e.municipality_code := p_municipality_code;
    e.occurred_at := date_trunc('microseconds', clock_timestamp());
    e.actor_user_id := p_actor;
    e.actor_role := p_role;
    e.action := p_action;
    e.object_type := p_object_type;
    e.object_id := p_object_id;
    e.request_id := p_request_id;
    e.changes := coalesce(p_changes, '{}');
    e.prev_hash := h.last_hash;
    e.hash := audit_hash(h.last_hash, e);
    INSERT INTO audit_events (id, chain, seq, cooperative_id, municipality_code, occurred_at,
                              actor_user_id, actor_role, action, object_type, object_id,
                              request_id, changes, prev_hash, hash)
    VALUES (e.id, e.chain, e.seq, e.cooperative_id, e.municipality_code, e.occurred_at,
            e.actor_user_id, e.actor_role, e.action, e.object_type, e.object_id,
            e.request_id, e.changes, e.prev_hash, e.hash);
    UPDATE audit_chains SET last_seq = e.seq, last_hash = e.hash WHERE chain = c;
    RETURN e.id;
END $$;

-- Appends one event per element of p_events ([{"id": object id, "changes": {...}}, ...]; no
-- changes, or null: {}), in the array's order, all with the same chain, actor, action and
-- request: the audit of a write of many rows (write_many, service/domain/resource.h) in one
-- statement. Returns how many.
CREATE OR REPLACE FUNCTION audit_append_many(p_cooperative_id uuid, p_municipality_code text,
                                             p_actor uuid, p_role text, p_action text,
                                             p_object_type text, p_request_id text,
                                             p_events jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    ev jsonb;
    n integer := 0;
BEGIN
    FOR ev IN SELECT x.value FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x
              ORDER BY x.ordinality LOOP
        PERFORM audit_append(p_cooperative_id, p_municipality_code, p_actor, p_role, p_action,
                             p_object_type, ev->>'id', p_request_id,
                             nullif(ev->'changes', 'null'));
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- Verifies one chain: every event's prev_hash is its predecessor's hash, its hash matches its
-- content, sequence numbers have no gaps and the chain head agrees with the last event.
CREATE OR REPLACE FUNCTION audit_verify(p_chain text, OUT ok boolean, OUT events bigint,
                             OUT first_bad_event_id uuid)
LANGUAGE sql STABLE AS $$
    WITH ev AS (
        SELECT e.id, e.seq, e.hash, e.prev_hash,
               audit_hash(e.prev_hash, e) AS recomputed,
               lag(e.hash, 1, '') OVER (ORDER BY e.seq) AS expected_prev,
               row_number() OVER (ORDER BY e.seq) AS n
        FROM audit_events e WHERE e.chain = p_chain
    ), bad AS (
        SELECT id, seq FROM ev
        WHERE hash <> recomputed OR prev_hash <> expected_prev OR seq <> n
        ORDER BY seq LIMIT 1
    ), head AS (
        SELECT coalesce((SELECT last_hash FROM audit_chains WHERE chain = p_chain), '') AS h,
               coalesce((SELECT last_seq FROM audit_chains WHERE chain = p_chain), 0) AS s
    )
    SELECT (SELECT count(*) FROM bad) = 0
           AND (SELECT h FROM head) = coalesce((SELECT hash FROM ev ORDER BY seq DESC LIMIT 1), '')
           AND (SELECT s FROM head) = (SELECT count(*) FROM ev),
           (SELECT count(*) FROM ev),
           (SELECT id FROM bad)
$$;

CREATE OR REPLACE FUNCTION audit_doc(e audit_events) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    e.id, e.seq, e.cooperative_id, e.municipality_code, rfc3339(e.occurred_at),
    e.actor_user_id, e.actor_role, e.action, e.object_type, e.object_id, e.request_id,
    e.changes, e.prev_hash, e.hash)::audit_doc_fields);

-- A read of residents' personal data (SPEC §7, §9 "Audit"): one event per cooperative whose
-- residents the response holds, in that cooperative's chain and with the municipality, so that
-- it shows in both trails. p_cooperatives, p_members and p_items are parallel arrays: a
-- cooperative, a member and how many items of the response are theirs (p_items null: one each,
-- an element per item; an export of many rows passes them grouped). The event counts its
-- cooperative's items and lists their members. It names the
-- reader: the caller of the request (coopd.user_id) with its role and, for an API client, its
-- client_id (a person's username is not repeated into the cooperative's trail). Chains are
-- appended in the order of their cooperative's id, so that two such reads never wait for each
-- other crosswise. Returns the number of events (none when there were no items).
CREATE OR REPLACE FUNCTION audit_municipal_read(p_code text, p_action text, p_object_type text,
                                                p_request_id text, p_query jsonb,
                                                p_cooperatives uuid[], p_members uuid[],
                                                p_items bigint[])
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    actor uuid := request_user_id();
    reader jsonb;
    g record;
    n integer := 0;
BEGIN
    IF cardinality(p_cooperatives) IS DISTINCT FROM cardinality(p_members)
       OR cardinality(p_items) <> cardinality(p_members) THEN
        -- the calling statement is wrong: a 500
        RAISE EXCEPTION 'the arrays of audit_municipal_read differ in length' USING ERRCODE = 'XX000';
    END IF;
    SELECT jsonb_build_object('user_id', u.id, 'kind', u.kind, 'role', u.role)
           || CASE WHEN u.kind = 'client' THEN jsonb_build_object('client_id', u.username)
                   ELSE '{}' END
      INTO reader FROM users u WHERE u.id = actor;
    FOR g IN SELECT x.c, sum(coalesce(x.n, 1)) AS items,
                    jsonb_agg(DISTINCT x.m) FILTER (WHERE x.m IS NOT NULL) AS members
             FROM unnest(p_cooperatives, p_members, p_items) AS x(c, m, n)
             WHERE x.c IS NOT NULL GROUP BY x.c ORDER BY x.c LOOP
        PERFORM audit_append(g.c, p_code, actor, nullif(current_setting('coopd.role', true), ''),
                             p_action, p_object_type, NULL, p_request_id,
                             jsonb_build_object('reader', coalesce(reader, '{}'), 'query',
                                                coalesce(p_query, '{}'), 'items', g.items,
                                                'member_ids', coalesce(g.members, '[]')));
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
