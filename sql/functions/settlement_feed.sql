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
-- it: the text cursor_encode in http/request.c makes, "c" and the position in base 36 (13
-- digits hold any bigint position; the leading zeros go).
-- The digit of n % 36 in base 36.
CREATE OR REPLACE FUNCTION base36_digit(n bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN substr('0123456789abcdefghijklmnopqrstuvwxyz', (n % 36)::integer + 1, 1);

-- Not STRICT: a STRICT SQL function is inlined only when its body is strict, which coalesce and
-- nullif are not; called instead of inlined, it cost every feed item some 8 µs, a quarter of its
-- row's document. (Positions are never null.)
CREATE OR REPLACE FUNCTION list_cursor(pos bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 'c' || coalesce(nullif(ltrim(
              base36_digit(pos / 4738381338321616896) ||
              base36_digit(pos / 131621703842267136) || base36_digit(pos / 3656158440062976) ||
              base36_digit(pos / 101559956668416) || base36_digit(pos / 2821109907456) ||
              base36_digit(pos / 78364164096) || base36_digit(pos / 2176782336) ||
              base36_digit(pos / 60466176) || base36_digit(pos / 1679616) ||
              base36_digit(pos / 46656) || base36_digit(pos / 1296) || base36_digit(pos / 36) ||
              base36_digit(pos),
           '0'), ''), '0');

-- (The row's document with the cursor as its last member, joined as text: a jsonb round trip
-- would parse and print every item of a feed export twice.)
CREATE OR REPLACE FUNCTION settlement_feed_doc(f settlement_feed, s settlement_rows) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (left(settlement_row_doc(s)::text, -1) || ',"cursor":"' || list_cursor(f.position)
        || '"}')::json;

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
