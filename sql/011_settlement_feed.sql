-- 011: the settlement feed municipal systems poll (SPEC §5 "Municipal view", §9), and their
-- acknowledgements.
--
-- Every finalized settlement row version that settles with a municipality gets a position in
-- the feed when it becomes final (a finalization's version 1, a correction's version n+1). A
-- municipal system polls "after the last position I saw" and must get every version exactly
-- once: so a position may never become visible after a higher one. An identity or sequence
-- taken at insert time does not give that (a transaction that took 7 may commit after one that
-- took 8, and a poll between the two commits would step over 7 for good). Positions are taken
-- instead from the one counter row, whose lock the transaction then holds until it ends: the
-- next transaction that takes positions waits for it, so positions become visible in the order
-- they were taken, which is commit order. (A transaction that rolls back leaves a gap, which
-- a poll steps over harmlessly.) The functions are in sql/functions/settlement_feed.sql.
CREATE TABLE settlement_feed_counter (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_position bigint NOT NULL CHECK (last_position >= 0)
);
INSERT INTO settlement_feed_counter (last_position) VALUES (0);

CREATE TABLE settlement_feed (
    position bigint PRIMARY KEY CHECK (position >= 1),
    row_id uuid NOT NULL UNIQUE REFERENCES settlement_rows,
    municipality_code text NOT NULL REFERENCES municipalities,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX settlement_feed_municipality ON settlement_feed (municipality_code, position);

-- A municipal system confirms that it processed a row version: once per version (acknowledging
-- again changes nothing).
CREATE TABLE settlement_acknowledgements (
    row_id uuid PRIMARY KEY REFERENCES settlement_rows,
    municipality_code text NOT NULL REFERENCES municipalities,
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    acknowledged_by uuid REFERENCES users
);

CREATE TRIGGER settlement_feed_never_changes BEFORE UPDATE OR DELETE ON settlement_feed
    FOR EACH ROW EXECUTE FUNCTION refuse_change('the settlement feed never changes');
CREATE TRIGGER settlement_feed_no_truncate BEFORE TRUNCATE ON settlement_feed
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the settlement feed never changes');
CREATE TRIGGER settlement_acknowledgements_never_change
    BEFORE UPDATE OR DELETE ON settlement_acknowledgements
    FOR EACH ROW EXECUTE FUNCTION refuse_change('acknowledgements never change');
CREATE TRIGGER settlement_acknowledgements_no_truncate BEFORE TRUNCATE ON settlement_acknowledgements
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('acknowledgements never change');

-- The rows a finalization made final or a correction inserted enter the feed. The trigger
-- functions are defined here only so that the triggers can be created; their live definitions
-- are those of sql/functions/settlement_feed.sql.
CREATE FUNCTION settlement_feed_finalized() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;
CREATE FUNCTION settlement_feed_corrected() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;
CREATE TRIGGER settlement_feed_finalized AFTER UPDATE ON settlement_rows
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_feed_finalized();
CREATE TRIGGER settlement_feed_corrected AFTER INSERT ON settlement_rows
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_feed_corrected();
