-- 006: the members' money that the monthly settlement counts besides invoices (SPEC §5
-- "Members' money"): expenses, hours per ISO week and premiums (art. 31.2.j). The rules that
-- write them (deciding an expense, granting a premium) are functions in
-- sql/functions/money.sql.

-- ---- expenses -----------------------------------------------------------------------------------
-- Costs a member made for its business, recorded by the member or the office and decided by the
-- office. amount_cents includes VAT; vat_cents is its VAT part. Only approved expenses count
-- (cost_mode approved_costs), excluding VAT.
CREATE TABLE expenses (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    member_id uuid NOT NULL,
    cooperative_id uuid NOT NULL,
    date date NOT NULL,
    description text NOT NULL CHECK (plain_text(description, 500)),
    category text NOT NULL CHECK (category IN ('travel', 'training', 'phone', 'materials', 'other')),
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    vat_cents bigint NOT NULL DEFAULT 0,
    receipt_reference text CHECK (plain_text(receipt_reference, 200)),
    long_term_obligation boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'approved', 'rejected')),
    decision_reason text CHECK (plain_text(decision_reason, 500)),
    decided_by uuid REFERENCES users,
    decided_at timestamptz,
    created_by uuid REFERENCES users,
    row_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (member_id, cooperative_id) REFERENCES members (id, cooperative_id),
    CONSTRAINT expenses_vat CHECK (vat_cents BETWEEN 0 AND amount_cents),
    CONSTRAINT expenses_decision CHECK ((status = 'submitted') = (decided_at IS NULL)
        AND (status <> 'rejected' OR decision_reason IS NOT NULL))
);
CREATE INDEX expenses_member ON expenses (member_id, date, seq);
CREATE INDEX expenses_cooperative ON expenses (cooperative_id, date) WHERE status = 'approved';

-- ---- hours ---------------------------------------------------------------------------------------
-- Hours per ISO week: week_start is the Monday of the week. A week counts in the month and the
-- year of its Thursday (the ISO rule that gives a week its year).
CREATE TABLE member_hours (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    member_id uuid NOT NULL,
    cooperative_id uuid NOT NULL,
    week_start date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
    business_hours numeric(6, 2) NOT NULL DEFAULT 0 CHECK (business_hours BETWEEN 0 AND 168),
    jobsearch_hours numeric(6, 2) NOT NULL DEFAULT 0 CHECK (jobsearch_hours BETWEEN 0 AND 168),
    applications integer NOT NULL DEFAULT 0 CHECK (applications BETWEEN 0 AND 1000),
    created_by uuid REFERENCES users,
    row_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (member_id, cooperative_id) REFERENCES members (id, cooperative_id),
    CONSTRAINT member_hours_week UNIQUE (member_id, week_start),
    CONSTRAINT member_hours_total CHECK (business_hours + jobsearch_hours <= 168)
);

-- ---- premiums ------------------------------------------------------------------------------------
-- Premiums (art. 31 lid 2 j) granted to a member: reported on the settlement row of the month of
-- granted_on, never deducted. At most premium_max_count a calendar year, within
-- premium_year_cap_cents (premium_grant checks both under a lock of the member). Append-only: a
-- premium granted in error is a matter for the municipality, not an edit.
CREATE TABLE premiums (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    member_id uuid NOT NULL,
    cooperative_id uuid NOT NULL,
    granted_on date NOT NULL,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    reason text NOT NULL CHECK (plain_text(reason, 500)),
    created_by uuid REFERENCES users,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (member_id, cooperative_id) REFERENCES members (id, cooperative_id)
);
CREATE INDEX premiums_member ON premiums (member_id, granted_on);

-- refuse_change: the trigger function of every "this never changes" rule from here on (its
-- message is the trigger's argument). Defined here only so that the trigger can be created;
-- the live definition is the one in sql/functions/common.sql, applied right after the
-- migrations.
CREATE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = '42501';
END $$;
CREATE TRIGGER premiums_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON premiums
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('premiums are append-only');
