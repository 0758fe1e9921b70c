-- 008: what changed after a month was finalized (SPEC §5 "Settlement": late invoices, credit
-- notes, payments, approved expenses and premiums that count in a finalized month make its row
-- stale until a correction settles it).
--
-- A marker per member and month, written by triggers whatever path the change takes; it says
-- that something that may count in that month changed after the month was finalized. Corrections
-- recalculate the marked rows, write version n+1 of those whose figures changed, and remove the
-- markers of the month. Markers are not history: the versions are.
CREATE TABLE settlement_changes (
    member_id uuid NOT NULL REFERENCES members,
    period date NOT NULL CHECK (period = date_trunc('month', period)::date),
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, period)
);

-- The trigger functions are defined here only so that the triggers can be created; their live
-- definitions are those of sql/functions/settlement.sql. settlement_mark_row takes the names of
-- the row's date columns that place it in a month.
CREATE FUNCTION settlement_mark_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;
CREATE FUNCTION settlement_mark_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;
CREATE TRIGGER settlement_mark_invoice AFTER UPDATE OF number ON invoices
    FOR EACH ROW WHEN (OLD.number IS NULL AND NEW.number IS NOT NULL)
    EXECUTE FUNCTION settlement_mark_row('supply_date', 'issue_date');
CREATE TRIGGER settlement_mark_payment AFTER INSERT ON payments
    FOR EACH ROW EXECUTE FUNCTION settlement_mark_payment();
CREATE TRIGGER settlement_mark_expense AFTER UPDATE OF status ON expenses
    FOR EACH ROW WHEN (NEW.status = 'approved' AND OLD.status <> 'approved')
    EXECUTE FUNCTION settlement_mark_row('date');
CREATE TRIGGER settlement_mark_premium AFTER INSERT ON premiums
    FOR EACH ROW EXECUTE FUNCTION settlement_mark_row('granted_on');
