-- 009: the annual reconciliation of a member's year (SPEC §5, §6.4): the provisional monthly
-- figures set against the income tax actually assessed, the difference spread over the months,
-- and what the member owes the municipality or is owed. A draft is recalculated at will; a
-- finalized one never changes (a trigger refuses it, whatever path a write takes).
CREATE TABLE reconciliations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    member_id uuid NOT NULL,
    cooperative_id uuid NOT NULL,
    year integer NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    status text NOT NULL CHECK (status IN ('draft', 'final')),
    actual_tax_cents bigint NOT NULL CHECK (actual_tax_cents >= 0),
    actual_costs_cents bigint CHECK (actual_costs_cents >= 0),
    base_cents bigint NOT NULL CHECK (base_cents >= 0),
    actual_net_income_cents bigint NOT NULL CHECK (actual_net_income_cents >= 0),
    provisional_net_income_cents bigint NOT NULL,
    delta_cents bigint NOT NULL,
    months jsonb NOT NULL CHECK (jsonb_typeof(months) = 'array'),
    total_difference_cents bigint NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('claim', 'back_payment', 'none')),
    outcome_cents bigint NOT NULL,
    calculated_at timestamptz NOT NULL,
    finalized_at timestamptz,
    finalized_by uuid REFERENCES users,
    row_version integer NOT NULL DEFAULT 1,
    FOREIGN KEY (member_id, cooperative_id) REFERENCES members (id, cooperative_id),
    CONSTRAINT reconciliations_member_year UNIQUE (member_id, year),
    CONSTRAINT reconciliations_final CHECK ((status = 'final') = (finalized_at IS NOT NULL)),
    -- §6.4, whatever computed it
    CONSTRAINT reconciliations_delta CHECK (delta_cents = actual_net_income_cents - provisional_net_income_cents
        AND actual_net_income_cents = greatest(0, base_cents - actual_tax_cents)),
    CONSTRAINT reconciliations_outcome CHECK (outcome_cents = abs(total_difference_cents)
        AND outcome = CASE WHEN total_difference_cents > 0 THEN 'claim'
                           WHEN total_difference_cents < 0 THEN 'back_payment' ELSE 'none' END)
);

CREATE TRIGGER reconciliations_final BEFORE UPDATE OR DELETE ON reconciliations
    FOR EACH ROW WHEN (OLD.status = 'final')
    EXECUTE FUNCTION refuse_change('finalized reconciliations never change');
CREATE TRIGGER reconciliations_no_truncate BEFORE TRUNCATE ON reconciliations
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('finalized reconciliations never change');
