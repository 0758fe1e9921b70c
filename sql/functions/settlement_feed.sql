-- The settlement feed municipal systems poll (SPEC §5 "Municipal view", §9), and their
-- acknowledgements. (After settlement.sql, whose settlement_row_doc it uses.)
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- ---- the feed -----------------------------------------------------------------------------------
-- Gives the rows p_rows (in that order) the next positions of the feed. The counter row stays
-- locked until the transaction ends, so positions become visible in the order they were taken
-- (011 says why that is commit order). Taken late in a finalization or correction, the lock is
-- held only for the rest of it.
CREATE OR REPLACE FUNCTION settlement_feed_enter(p_rows uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    n integer := cardinality(p_rows);
    first bigint;
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    UPDATE settlement_feed_counter SET last_position = last_position + n
    RETURNING last_position - n + 1 INTO first;
    INSERT INTO settlement_feed (position, row_id, municipality_code)
    SELECT first + r.ord - 1, s.id, s.municipality_code
    FROM unnest(p_rows) WITH ORDINALITY AS r(id, ord) JOIN settlement_rows s ON s.id = r.id;
END $$;

-- Trigger settlement_feed_finalized (011): the rows a finalization made version 1 that settle
-- with a municipality. (Drafts also change by UPDATE when recalculated, with a new id: rows are
-- matched by seq.)
CREATE OR REPLACE FUNCTION settlement_feed_finalized() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM settlement_feed_enter(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.seq = n.seq
        WHERE o.status = 'draft' AND n.status = 'final' AND n.settles_with_municipality
        ORDER BY n.seq));
    RETURN NULL;
END $$;

-- Trigger settlement_feed_corrected (011): a correction's new versions that settle with a
-- municipality.
CREATE OR REPLACE FUNCTION settlement_feed_corrected() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM settlement_feed_enter(ARRAY(
        SELECT n.id FROM new_rows n
        WHERE n.status = 'final' AND n.settles_with_municipality ORDER BY n.seq));
    RETURN NULL;
END $$;

-- A feed item: the row version as every settlement list shows it, and the cursor to poll after
-- it (the text cursor_encode in http/request.c makes: "c" and the position in base 36).
CREATE OR REPLACE FUNCTION list_cursor(pos bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    WITH RECURSIVE d(v, s) AS (
        SELECT pos / 36, substr('0123456789abcdefghijklmnopqrstuvwxyz', (pos % 36)::integer + 1, 1)
        UNION ALL
        SELECT d.v / 36, substr('0123456789abcdefghijklmnopqrstuvwxyz', (d.v % 36)::integer + 1, 1)
                         || d.s
        FROM d WHERE d.v > 0
    )
    SELECT 'c' || s FROM d WHERE v = 0;
$$;

CREATE OR REPLACE FUNCTION settlement_feed_doc(f settlement_feed, s settlement_rows) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (settlement_row_doc(s)::jsonb || jsonb_build_object('cursor', list_cursor(f.position)))::json;

-- POST .../settlements/{row_id}/acknowledgement: the municipal system processed this version.
-- Once per version: acknowledging again answers the first acknowledgement. The row must be in
-- the municipality's feed (else nothing: 404).
CREATE OR REPLACE FUNCTION settlement_acknowledge(p_code text, p_row uuid, p_user uuid)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    s settlement_rows;
BEGIN
    SELECT r.* INTO s FROM settlement_feed f JOIN settlement_rows r ON r.id = f.row_id
     WHERE f.row_id = p_row AND f.municipality_code = p_code;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO settlement_acknowledgements (row_id, municipality_code, acknowledged_by)
    VALUES (p_row, p_code, p_user) ON CONFLICT (row_id) DO NOTHING;
    RETURN settlement_row_doc(s);
END $$;
