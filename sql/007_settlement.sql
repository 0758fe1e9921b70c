-- 007: the monthly settlement per member, the "thermometer" (SPEC §5 "Settlement", §6.3, §9).
-- A cooperative's month is calculated into draft rows (recalculating replaces them), then
-- finalized: every row becomes version 1 and never changes again; a correction is a new
-- version. The arithmetic is the SQL function settlement_compute (sql/functions/settlement.sql);
-- the invariants between the figures are constraints here, so that no path can store a row
-- whose figures do not add up.

-- One row per cooperative and month that was calculated: open until finalized.
CREATE TABLE settlement_periods (
    cooperative_id uuid NOT NULL REFERENCES cooperatives,
    period date NOT NULL CHECK (period = date_trunc('month', period)::date),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'final')),
    calculated_at timestamptz NOT NULL,
    finalized_at timestamptz,
    finalized_by uuid REFERENCES users,
    PRIMARY KEY (cooperative_id, period),
    CONSTRAINT settlement_periods_final CHECK ((status = 'final') = (finalized_at IS NOT NULL))
);

CREATE TABLE settlement_rows (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    cooperative_id uuid NOT NULL,
    member_id uuid NOT NULL,
    period date NOT NULL,
    version integer CHECK (version >= 1), -- null: a draft
    supersedes_version integer,
    status text NOT NULL CHECK (status IN ('draft', 'final')),
    -- What applied when the row was calculated, kept as it was (like an issued invoice's parties):
    -- a record, not a reference, so no foreign keys on municipality_code and permission_id.
    settles_with_municipality boolean NOT NULL,
    municipality_code text,
    municipal_reference text,
    permission_id uuid,
    income_basis text NOT NULL CHECK (income_basis IN ('work_period', 'invoice_date', 'payment_date')),
    cost_mode text NOT NULL CHECK (cost_mode IN ('none', 'approved_costs', 'flat_rate')),
    policy_valid_from date,
    parameters_valid_from date,
    fee_policy_valid_from date,
    turnover_cents bigint NOT NULL,
    fee_cents bigint NOT NULL CHECK (fee_cents >= 0),
    fee_deducted_cents bigint NOT NULL,
    costs_cents bigint NOT NULL CHECK (costs_cents >= 0),
    base_cents bigint NOT NULL,
    tax_reservation_cents bigint NOT NULL CHECK (tax_reservation_cents >= 0),
    net_income_cents bigint NOT NULL,
    exemption_cents bigint NOT NULL CHECK (exemption_cents >= 0),
    premium_cents bigint NOT NULL CHECK (premium_cents >= 0),
    amount_to_settle_cents bigint NOT NULL,
    business_hours numeric(8, 2) NOT NULL,
    business_hours_ytd numeric(8, 2) NOT NULL,
    warnings text[] NOT NULL DEFAULT '{}',
    correction_reason text CHECK (plain_text(correction_reason, 500)),
    calculated_at timestamptz NOT NULL,
    finalized_at timestamptz,
    FOREIGN KEY (member_id, cooperative_id) REFERENCES members (id, cooperative_id),
    FOREIGN KEY (cooperative_id, period) REFERENCES settlement_periods,
    CONSTRAINT settlement_rows_status CHECK ((status = 'final') = (version IS NOT NULL)
        AND (status = 'final') = (finalized_at IS NOT NULL)),
    CONSTRAINT settlement_rows_versions CHECK (supersedes_version IS NULL
        OR (supersedes_version = version - 1 AND correction_reason IS NOT NULL)),
    -- §6.3, whatever computed the row
    CONSTRAINT settlement_rows_fee_deducted CHECK (fee_deducted_cents IN (0, fee_cents)),
    CONSTRAINT settlement_rows_base CHECK (base_cents = greatest(0, turnover_cents - costs_cents - fee_deducted_cents)),
    CONSTRAINT settlement_rows_net CHECK (net_income_cents = base_cents - tax_reservation_cents
        AND tax_reservation_cents <= base_cents),
    CONSTRAINT settlement_rows_settle CHECK (exemption_cents <= net_income_cents
        AND amount_to_settle_cents = CASE WHEN settles_with_municipality
                                          THEN net_income_cents - exemption_cents ELSE 0 END),
    CONSTRAINT settlement_rows_municipality CHECK (settles_with_municipality = (municipality_code IS NOT NULL)
        AND (settles_with_municipality OR exemption_cents = 0))
);
CREATE UNIQUE INDEX settlement_rows_draft ON settlement_rows (member_id, period) WHERE version IS NULL;
CREATE UNIQUE INDEX settlement_rows_version ON settlement_rows (member_id, period, version)
    WHERE version IS NOT NULL;
CREATE INDEX settlement_rows_cooperative ON settlement_rows (cooperative_id, period, seq);

-- A finalized row never changes, whatever path a write takes (SPEC §5); drafts are replaced.
CREATE TRIGGER settlement_rows_final BEFORE UPDATE OR DELETE ON settlement_rows
    FOR EACH ROW WHEN (OLD.status = 'final')
    EXECUTE FUNCTION refuse_change('finalized settlement rows never change');
CREATE TRIGGER settlement_rows_no_truncate BEFORE TRUNCATE ON settlement_rows
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('finalized settlement rows never change');

-- What the month's calculation reads, by cooperative and date, of issued invoices only.
CREATE INDEX invoices_cooperative_supply ON invoices (cooperative_id, supply_date)
    WHERE number IS NOT NULL;
CREATE INDEX invoices_cooperative_issue ON invoices (cooperative_id, issue_date)
    WHERE number IS NOT NULL;
CREATE INDEX member_hours_member ON member_hours (member_id, week_start);
