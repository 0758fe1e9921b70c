-- 015: the field lists of the plain documents, as composite types (issue 15: reading one resource
-- cheaply).
--
-- A document function of sql/functions/ (member_doc and the others below) used to be
-- `RETURN (SELECT row_to_json(d) FROM (SELECT ...) d)`. PostgreSQL never inlines a SQL function
-- whose body holds a subquery: every call ran through the SQL-function executor, which parses and
-- plans the body anew in every statement that calls it. On GET /v1/members/{id} that was about
-- 60 us of the server's 120 us. Written as `row_to_json(ROW(...)::<name>_fields)` the body is one
-- expression, which the planner inlines into the calling statement (planned once, as a prepared
-- statement), and the document is byte for byte what it was: row_to_json names the fields after
-- the type's attributes, in their order.
--
-- A field added to a document is an ALTER TYPE ... ADD ATTRIBUTE in a new migration, together with
-- the function's new ROW(...) in sql/functions/ (migrations run before the function files).

-- audit_doc (sql/functions/)
CREATE TYPE audit_doc_fields AS (
    id uuid,
    seq bigint,
    cooperative_id uuid,
    municipality_code text,
    occurred_at text,
    actor_user_id uuid,
    actor_role text,
    action text,
    object_type text,
    object_id text,
    request_id text,
    changes jsonb,
    prev_hash text,
    hash text
);

-- bank_entry_doc (sql/functions/)
CREATE TYPE bank_entry_doc_fields AS (
    id uuid,
    cooperative_id uuid,
    statement_id uuid,
    account_iban text,
    reference text,
    account_servicer_reference text,
    entry_reference text,
    booking_date date,
    value_date date,
    direction text,
    amount_cents bigint,
    reversal boolean,
    counterparty_name text,
    counterparty_iban text,
    end_to_end_id text,
    remittance_information text[],
    structured_references text[],
    additional_information text,
    batch_references text[],
    end_to_end_ids text[],
    transaction_count integer,
    status text,
    match_rule text,
    unmatched_reason text,
    suggested_invoice_id uuid,
    invoice_id uuid,
    payment_id uuid,
    payout_id uuid,
    dismiss_reason text,
    decided_by uuid,
    decided_at text,
    created_at text
);

-- cooperative_doc (sql/functions/)
CREATE TYPE cooperative_doc_fields AS (
    id uuid,
    legal_name text,
    trade_name text,
    kvk_number text,
    rsin text,
    vat_id text,
    iban text,
    bic text,
    address json,
    email text,
    phone text,
    vat_scheme text,
    invoice_prefix text,
    reserve_cap_cents bigint,
    statutes jsonb,
    board jsonb,
    created_at text,
    updated_at text
);

-- fee_policy_doc (sql/functions/)
CREATE TYPE fee_policy_doc_fields AS (
    id uuid,
    cooperative_id uuid,
    valid_from date,
    percentage_bp integer,
    fixed_monthly_cents bigint,
    minimum_monthly_cents bigint,
    maximum_monthly_cents bigint,
    waive_without_turnover boolean,
    created_at text
);

-- shareholder_doc (sql/functions/)
CREATE TYPE shareholder_doc_fields AS (
    id uuid,
    cooperative_id uuid,
    municipality_code text,
    since date,
    until date,
    created_at text,
    updated_at text
);

-- rate_floor_doc (sql/functions/)
CREATE TYPE rate_floor_doc_fields AS (
    id uuid,
    cooperative_id uuid,
    activity_category text,
    unit text,
    minimum_unit_price_cents bigint,
    created_at text,
    updated_at text
);

-- payment_doc (sql/functions/)
CREATE TYPE payment_doc_fields AS (
    id uuid,
    invoice_id uuid,
    amount_cents bigint,
    received_on date,
    method text,
    reference text,
    created_at text
);

-- ledger_entry_doc (sql/functions/)
CREATE TYPE ledger_entry_doc_fields AS (
    id uuid,
    member_id uuid,
    cooperative_id uuid,
    entry_no integer,
    date date,
    kind text,
    amount_cents bigint,
    balance_cents bigint,
    invoice_id uuid,
    payment_id uuid,
    payout_id uuid,
    period text,
    settlement_version integer,
    reverses_entry_id uuid,
    created_at text
);

-- collective_cost_doc (sql/functions/)
CREATE TYPE collective_cost_doc_fields AS (
    id uuid,
    cooperative_id uuid,
    date date,
    category text,
    description text,
    amount_cents bigint,
    created_by uuid,
    created_at text
);

-- member_doc (sql/functions/)
CREATE TYPE member_doc_fields AS (
    id uuid,
    cooperative_id uuid,
    first_name text,
    last_name text,
    date_of_birth date,
    address json,
    email text,
    phone text,
    iban text,
    municipality_code text,
    municipal_reference text,
    on_benefit boolean,
    activity_description text,
    activity_category text,
    status text,
    joined_on date,
    left_on date,
    exit_reason text,
    created_at text,
    updated_at text
);

-- permission_doc (sql/functions/)
CREATE TYPE permission_doc_fields AS (
    id uuid,
    member_id uuid,
    cooperative_id uuid,
    municipality_code text,
    decision_reference text,
    valid_from date,
    valid_until date,
    goal text,
    business_hours_per_week text,
    jobsearch_hours_per_week text,
    exemption_from text,
    exemption_until text,
    status text,
    revoked_on date,
    revocation_reason text,
    renews_permission_id uuid,
    created_at text,
    updated_at text
);

-- customer_doc (sql/functions/)
CREATE TYPE customer_doc_fields AS (
    id uuid,
    cooperative_id uuid,
    name text,
    address json,
    kvk_number text,
    vat_id text,
    email text,
    peppol_id text,
    payment_terms_days integer,
    created_at text,
    updated_at text
);

-- expense_doc (sql/functions/)
CREATE TYPE expense_doc_fields AS (
    id uuid,
    member_id uuid,
    cooperative_id uuid,
    date date,
    description text,
    category text,
    amount_cents bigint,
    vat_cents bigint,
    receipt_reference text,
    long_term_obligation boolean,
    status text,
    decision_reason text,
    decided_by uuid,
    decided_at text,
    created_at text,
    updated_at text
);

-- premium_doc (sql/functions/)
CREATE TYPE premium_doc_fields AS (
    id uuid,
    member_id uuid,
    cooperative_id uuid,
    granted_on date,
    amount_cents bigint,
    reason text,
    created_at text
);

-- statutory_doc (sql/functions/)
CREATE TYPE statutory_doc_fields AS (
    id uuid,
    valid_from date,
    exemption_bp integer,
    exemption_monthly_cap_cents bigint,
    exemption_max_months integer,
    exemption_min_age integer,
    premium_year_cap_cents bigint,
    premium_max_count integer,
    hours_criterion integer,
    norm_single_cents bigint,
    norm_couple_cents bigint,
    additional_exemption_bp integer,
    additional_exemption_max_months integer,
    buffer_budget_year_cents bigint,
    source text,
    created_at text
);

-- policy_doc (sql/functions/)
CREATE TYPE policy_doc_fields AS (
    id uuid,
    municipality_code text,
    valid_from date,
    income_basis text,
    cost_mode text,
    flat_rate_bp integer,
    fee_deductible boolean,
    tax_reservation_bp integer,
    max_single_expense_cents bigint,
    permission_max_months integer,
    created_at text
);

-- reconciliation_doc (sql/functions/)
CREATE TYPE reconciliation_doc_fields AS (
    id uuid,
    member_id uuid,
    cooperative_id uuid,
    year integer,
    status text,
    actual_tax_cents bigint,
    actual_costs_cents bigint,
    base_cents bigint,
    actual_net_income_cents bigint,
    provisional_net_income_cents bigint,
    delta_cents bigint,
    months jsonb,
    total_difference_cents bigint,
    outcome text,
    outcome_cents bigint,
    calculated_at text,
    finalized_at text
);

-- user_doc (sql/functions/)
CREATE TYPE user_doc_fields AS (
    id uuid,
    username text,
    kind text,
    role text,
    cooperative_id uuid,
    member_id uuid,
    municipality_code text,
    disabled boolean,
    created_at text,
    updated_at text
);

-- The token check becomes a set-returning function (sql/functions/users.sql), which PostgreSQL
-- inlines; its return type changes, so the old one goes first.
DROP FUNCTION token_usable(uuid, text, bigint);
