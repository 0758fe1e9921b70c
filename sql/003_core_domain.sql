-- The core domain: municipalities with their dated policies, the national statutory parameters,
-- cooperatives (their legal data, fee policies, social shareholders, rate floors), members,
-- the municipal permissions for part-time entrepreneurship, and customers.
-- Invariants are held here as well as in the service: identifier checks, the member lifecycle,
-- one permission per member per day, the exemption window and its statutory maximum.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Business dates use the Dutch calendar (SPEC §9).
CREATE FUNCTION today_nl() RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (now() AT TIME ZONE 'Europe/Amsterdam')::date;

CREATE FUNCTION month_text(d date) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_char(d, 'YYYY-MM');

-- Text a human typed: 1 to n characters, no control characters.
CREATE FUNCTION plain_text(t text, n integer) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN length(t) BETWEEN 1 AND n AND t !~ '[[:cntrl:]]';

-- The list position of a dated version: ordered by valid_from, then creation. One bigint, so
-- that the cursor of such a list is as simple as that of any other (seq < 2^32 here).
CREATE FUNCTION dated_key(d date, seq bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (d - date '1900-01-01')::bigint * 4294967296 + seq;

-- ---- municipalities -----------------------------------------------------------------------------
ALTER TABLE municipalities
    ADD COLUMN row_version integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE FUNCTION municipality_doc(m municipalities) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object('code', m.code, 'name', m.name);

-- ---- statutory parameters (national, dated) -----------------------------------------------------
CREATE TABLE statutory_parameters (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    valid_from date NOT NULL UNIQUE,
    exemption_bp integer NOT NULL CHECK (exemption_bp BETWEEN 0 AND 10000),
    exemption_monthly_cap_cents bigint CHECK (exemption_monthly_cap_cents >= 0), -- null: no cap
    exemption_max_months integer NOT NULL CHECK (exemption_max_months BETWEEN 0 AND 120),
    exemption_min_age integer NOT NULL CHECK (exemption_min_age BETWEEN 0 AND 120),
    premium_year_cap_cents bigint NOT NULL CHECK (premium_year_cap_cents >= 0),
    premium_max_count integer NOT NULL CHECK (premium_max_count BETWEEN 0 AND 12),
    hours_criterion integer NOT NULL CHECK (hours_criterion BETWEEN 1 AND 8784),
    norm_single_cents bigint CHECK (norm_single_cents >= 0),
    norm_couple_cents bigint CHECK (norm_couple_cents >= 0),
    -- Participatiewet in balans (expected 2027): art. 34a exemption and art. 34b buffer budget.
    additional_exemption_bp integer CHECK (additional_exemption_bp BETWEEN 0 AND 10000),
    additional_exemption_max_months integer CHECK (additional_exemption_max_months BETWEEN 0 AND 120),
    buffer_budget_year_cents bigint CHECK (buffer_budget_year_cents >= 0),
    source text CHECK (plain_text(source, 500)),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO statutory_parameters (valid_from, exemption_bp, exemption_monthly_cap_cents,
    exemption_max_months, exemption_min_age, premium_year_cap_cents, premium_max_count,
    hours_criterion, norm_single_cents, norm_couple_cents, source)
VALUES
    ('2025-01-01', 2500, 27300, 6, 27, 326300, 2, 1225, 134545, 192207,
     'Participatiewet art. 31 lid 2 j en n, art. 21 (tekst 1 januari 2025)'),
    ('2025-07-01', 2500, 27800, 6, 27, 332600, 2, 1225, 136906, 195580,
     'Participatiewet art. 31 lid 2 j en n, art. 21 (tekst 1 juli 2025)'),
    ('2026-01-01', 2500, 28500, 6, 27, 339800, 2, 1225, 140150, 200213,
     'Participatiewet art. 31 lid 2 j en n, art. 21 (tekst 1 januari 2026)');

CREATE FUNCTION statutory_doc(s statutory_parameters) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    s.id, s.valid_from, s.exemption_bp, s.exemption_monthly_cap_cents, s.exemption_max_months,
    s.exemption_min_age, s.premium_year_cap_cents, s.premium_max_count, s.hours_criterion,
    s.norm_single_cents, s.norm_couple_cents, s.additional_exemption_bp,
    s.additional_exemption_max_months, s.buffer_budget_year_cents, s.source,
    rfc3339(s.created_at) AS created_at) d);

-- The version in force on a day: the latest with valid_from <= that day.
CREATE FUNCTION statutory_on(d date) RETURNS statutory_parameters
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT s FROM statutory_parameters s WHERE s.valid_from <= d
        ORDER BY s.valid_from DESC LIMIT 1);

-- ---- municipal policies (dated) -----------------------------------------------------------------
CREATE TABLE municipal_policies (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    municipality_code text NOT NULL REFERENCES municipalities,
    valid_from date NOT NULL,
    income_basis text NOT NULL DEFAULT 'work_period'
        CHECK (income_basis IN ('work_period', 'invoice_date', 'payment_date')),
    cost_mode text NOT NULL DEFAULT 'none'
        CHECK (cost_mode IN ('none', 'approved_costs', 'flat_rate')),
    flat_rate_bp integer CHECK (flat_rate_bp BETWEEN 0 AND 10000),
    fee_deductible boolean NOT NULL DEFAULT false,
    tax_reservation_bp integer NOT NULL DEFAULT 0 CHECK (tax_reservation_bp BETWEEN 0 AND 10000),
    max_single_expense_cents bigint CHECK (max_single_expense_cents >= 0),
    permission_max_months integer NOT NULL DEFAULT 12 CHECK (permission_max_months BETWEEN 1 AND 60),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (municipality_code, valid_from),
    CONSTRAINT municipal_policies_flat_rate CHECK ((cost_mode = 'flat_rate') = (flat_rate_bp IS NOT NULL))
);

CREATE FUNCTION policy_doc(p municipal_policies) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    p.id, p.municipality_code, p.valid_from, p.income_basis, p.cost_mode, p.flat_rate_bp,
    p.fee_deductible, p.tax_reservation_bp, p.max_single_expense_cents, p.permission_max_months,
    rfc3339(p.created_at) AS created_at) d);

-- ---- cooperatives -------------------------------------------------------------------------------
ALTER TABLE cooperatives
    ADD COLUMN trade_name text CHECK (plain_text(trade_name, 200)),
    ADD COLUMN kvk_number text NOT NULL CHECK (kvk_valid(kvk_number)),
    ADD COLUMN rsin text CHECK (rsin_valid(rsin)),
    ADD COLUMN vat_id text CHECK (vat_id_valid(vat_id)),
    ADD COLUMN iban text CHECK (iban_valid(iban)),
    ADD COLUMN bic text CHECK (bic_valid(bic)),
    ADD COLUMN street text NOT NULL CHECK (plain_text(street, 200)),
    ADD COLUMN house_number text NOT NULL CHECK (plain_text(house_number, 20)),
    ADD COLUMN postal_code text NOT NULL CHECK (plain_text(postal_code, 20)),
    ADD COLUMN city text NOT NULL CHECK (plain_text(city, 100)),
    ADD COLUMN country text NOT NULL DEFAULT 'NL' CHECK (country ~ '^[A-Z]{2}$'),
    ADD COLUMN email text CHECK (email_plausible(email)),
    ADD COLUMN phone text CHECK (phone ~ '^\+?[0-9 ()-]{6,20}$'),
    ADD COLUMN vat_scheme text NOT NULL DEFAULT 'standard' CHECK (vat_scheme IN ('standard', 'kor')),
    ADD COLUMN reserve_cap_cents bigint CHECK (reserve_cap_cents >= 0),
    ADD COLUMN statutes jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(statutes) = 'array'),
    ADD COLUMN board jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(board) = 'array'),
    ADD CONSTRAINT cooperatives_postal_code_nl CHECK (country <> 'NL' OR postal_code_nl_valid(postal_code)),
    ADD CONSTRAINT cooperatives_legal_name_text CHECK (plain_text(legal_name, 200));

CREATE FUNCTION address_doc(street text, house_number text, postal_code text, city text,
                            country text) RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN street IS NULL THEN NULL ELSE json_build_object(
    'street', street, 'house_number', house_number, 'postal_code', postal_code, 'city', city,
    'country', country) END;

CREATE FUNCTION cooperative_doc(c cooperatives) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    c.id, c.legal_name, c.trade_name, c.kvk_number, c.rsin, c.vat_id, c.iban, c.bic,
    address_doc(c.street, c.house_number, c.postal_code, c.city, c.country) AS address,
    c.email, c.phone, c.vat_scheme, c.invoice_prefix, c.reserve_cap_cents, c.statutes, c.board,
    rfc3339(c.created_at) AS created_at, rfc3339(c.updated_at) AS updated_at) d);

-- ---- fee policies (dated) -----------------------------------------------------------------------
CREATE TABLE fee_policies (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    cooperative_id uuid NOT NULL REFERENCES cooperatives,
    valid_from date NOT NULL,
    percentage_bp integer NOT NULL DEFAULT 0 CHECK (percentage_bp BETWEEN 0 AND 10000),
    fixed_monthly_cents bigint NOT NULL DEFAULT 0 CHECK (fixed_monthly_cents >= 0),
    minimum_monthly_cents bigint CHECK (minimum_monthly_cents >= 0),
    maximum_monthly_cents bigint CHECK (maximum_monthly_cents >= 0),
    waive_without_turnover boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cooperative_id, valid_from),
    CONSTRAINT fee_policies_min_max CHECK (minimum_monthly_cents IS NULL
        OR maximum_monthly_cents IS NULL OR minimum_monthly_cents <= maximum_monthly_cents)
);

CREATE FUNCTION fee_policy_doc(f fee_policies) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    f.id, f.cooperative_id, f.valid_from, f.percentage_bp, f.fixed_monthly_cents,
    f.minimum_monthly_cents, f.maximum_monthly_cents, f.waive_without_turnover,
    rfc3339(f.created_at) AS created_at) d);

-- ---- social shareholders ------------------------------------------------------------------------
CREATE TABLE shareholders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    cooperative_id uuid NOT NULL REFERENCES cooperatives,
    municipality_code text NOT NULL REFERENCES municipalities,
    since date NOT NULL,
    until date,
    row_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (until IS NULL OR until >= since),
    CONSTRAINT shareholders_no_overlap EXCLUDE USING gist (cooperative_id WITH =,
        municipality_code WITH =, daterange(since, until, '[]') WITH &&)
);
CREATE INDEX shareholders_municipality ON shareholders (municipality_code);

CREATE FUNCTION shareholder_doc(s shareholders) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    s.id, s.cooperative_id, s.municipality_code, s.since, s.until,
    rfc3339(s.created_at) AS created_at, rfc3339(s.updated_at) AS updated_at) d);

-- ---- rate floors (unfair competition) -----------------------------------------------------------
CREATE TABLE rate_floors (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    cooperative_id uuid NOT NULL REFERENCES cooperatives,
    activity_category text NOT NULL CHECK (activity_category ~ '^[a-z0-9_]{1,64}$'),
    unit text NOT NULL CHECK (unit IN ('hour', 'piece', 'day', 'km')),
    minimum_unit_price_cents bigint NOT NULL CHECK (minimum_unit_price_cents >= 0),
    row_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cooperative_id, activity_category, unit)
);

CREATE FUNCTION rate_floor_doc(f rate_floors) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    f.id, f.cooperative_id, f.activity_category, f.unit, f.minimum_unit_price_cents,
    rfc3339(f.created_at) AS created_at, rfc3339(f.updated_at) AS updated_at) d);

-- ---- members ------------------------------------------------------------------------------------
ALTER TABLE members
    ADD COLUMN date_of_birth date NOT NULL CHECK (date_of_birth >= '1900-01-01'),
    ADD COLUMN street text NOT NULL CHECK (plain_text(street, 200)),
    ADD COLUMN house_number text NOT NULL CHECK (plain_text(house_number, 20)),
    ADD COLUMN postal_code text NOT NULL CHECK (plain_text(postal_code, 20)),
    ADD COLUMN city text NOT NULL CHECK (plain_text(city, 100)),
    ADD COLUMN country text NOT NULL DEFAULT 'NL' CHECK (country ~ '^[A-Z]{2}$'),
    ADD COLUMN email text CHECK (email_plausible(email)),
    ADD COLUMN phone text CHECK (phone ~ '^\+?[0-9 ()-]{6,20}$'),
    ADD COLUMN iban text CHECK (iban_valid(iban)),
    ADD COLUMN municipal_reference text CHECK (plain_text(municipal_reference, 64)),
    ADD COLUMN on_benefit boolean NOT NULL DEFAULT true,
    ADD COLUMN activity_description text CHECK (plain_text(activity_description, 500)),
    ADD COLUMN activity_category text CHECK (activity_category ~ '^[a-z0-9_]{1,64}$'),
    ADD COLUMN joined_on date,
    ADD COLUMN left_on date,
    ADD COLUMN exit_reason text CHECK (exit_reason IN ('employment', 'full_time_business', 'bbz',
        'other_income', 'moved', 'deceased', 'other')),
    ADD CONSTRAINT members_postal_code_nl CHECK (country <> 'NL' OR postal_code_nl_valid(postal_code)),
    ADD CONSTRAINT members_joined CHECK (status = 'applicant' OR joined_on IS NOT NULL),
    ADD CONSTRAINT members_ended CHECK (status <> 'ended'
        OR (left_on IS NOT NULL AND exit_reason IS NOT NULL)),
    ADD CONSTRAINT members_left_after_joined CHECK (left_on IS NULL OR joined_on IS NULL
        OR left_on >= joined_on),
    ADD CONSTRAINT members_names_text CHECK (plain_text(first_name, 100) AND plain_text(last_name, 100));
CREATE INDEX members_municipality ON members (municipality_code);

-- The lifecycle (SPEC §9): applicant → active, active ⇄ suspended, active|suspended → ended.
CREATE FUNCTION member_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> OLD.status AND NOT (
           (OLD.status = 'applicant' AND NEW.status = 'active')
        OR (OLD.status = 'active' AND NEW.status IN ('suspended', 'ended'))
        OR (OLD.status = 'suspended' AND NEW.status IN ('active', 'ended'))) THEN
        RAISE EXCEPTION 'invalid_status_transition: % cannot become %', OLD.status, NEW.status
            USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER members_status_transition BEFORE UPDATE OF status ON members
    FOR EACH ROW EXECUTE FUNCTION member_status_transition();

CREATE FUNCTION member_doc(m members) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    m.id, m.cooperative_id, m.first_name, m.last_name, m.date_of_birth,
    address_doc(m.street, m.house_number, m.postal_code, m.city, m.country) AS address,
    m.email, m.phone, m.iban, m.municipality_code, m.municipal_reference, m.on_benefit,
    m.activity_description, m.activity_category, m.status, m.joined_on, m.left_on, m.exit_reason,
    rfc3339(m.created_at) AS created_at, rfc3339(m.updated_at) AS updated_at) d);

-- ---- permissions (toestemmingen) ----------------------------------------------------------------
-- A permission covers a day when the day lies in [valid_from, valid_until] and it was not revoked
-- before that day (SPEC §9): `covers` is that range, and no two of one member's overlap.
CREATE TABLE permissions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    member_id uuid NOT NULL,
    cooperative_id uuid NOT NULL,
    municipality_code text NOT NULL REFERENCES municipalities,
    decision_reference text NOT NULL CHECK (plain_text(decision_reference, 100)),
    valid_from date NOT NULL,
    valid_until date NOT NULL,
    goal text NOT NULL CHECK (goal IN ('reintegration', 'social_activation')),
    business_hours_per_week numeric(6, 3) CHECK (business_hours_per_week BETWEEN 0 AND 168),
    jobsearch_hours_per_week numeric(6, 3) CHECK (jobsearch_hours_per_week BETWEEN 0 AND 168),
    exemption_from date, -- first day of the first month of the exemption window
    exemption_until date, -- first day of its last month
    revoked_on date,
    revocation_reason text CHECK (plain_text(revocation_reason, 500)),
    renews_permission_id uuid REFERENCES permissions,
    row_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    covers daterange GENERATED ALWAYS AS
        (daterange(valid_from, least(valid_until, coalesce(revoked_on, valid_until)), '[]')) STORED,
    FOREIGN KEY (member_id, cooperative_id) REFERENCES members (id, cooperative_id),
    CHECK (valid_until >= valid_from),
    CONSTRAINT permissions_revocation CHECK ((revoked_on IS NULL) = (revocation_reason IS NULL)
        AND (revoked_on IS NULL OR revoked_on BETWEEN valid_from AND valid_until)),
    CONSTRAINT permissions_exemption_window CHECK ((exemption_from IS NULL) = (exemption_until IS NULL)
        AND (exemption_from IS NULL OR (
            exemption_from = date_trunc('month', exemption_from)
            AND exemption_until = date_trunc('month', exemption_until)
            AND exemption_from <= exemption_until
            AND exemption_from >= date_trunc('month', valid_from)
            AND exemption_until <= date_trunc('month', valid_until)))),
    CONSTRAINT permissions_no_overlap EXCLUDE USING gist (member_id WITH =, covers WITH &&)
);
CREATE INDEX permissions_member ON permissions (member_id, seq);

-- Exemption months a permission uses: its window, cut off at the month of revocation.
CREATE FUNCTION permission_exemption_months(p permissions) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p.exemption_from IS NULL THEN 0 ELSE greatest(0,
    (extract(year FROM age(least(p.exemption_until,
        coalesce(date_trunc('month', p.revoked_on)::date, p.exemption_until)), p.exemption_from))
     * 12 + extract(month FROM age(least(p.exemption_until,
        coalesce(date_trunc('month', p.revoked_on)::date, p.exemption_until)), p.exemption_from)))::integer
    + 1) END;

-- The exemption (vrijlating) lasts at most the statutory number of months over all of a
-- member's permissions (Participatiewet art. 31 lid 2 n). The member row is locked so that two
-- concurrent permissions cannot both slip under the limit.
CREATE FUNCTION permissions_exemption_limit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    used integer;
    allowed integer;
BEGIN
    IF NEW.exemption_from IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM members WHERE id = NEW.member_id FOR UPDATE;
    SELECT coalesce(sum(permission_exemption_months(p)), 0) INTO used
        FROM permissions p WHERE p.member_id = NEW.member_id;
    allowed := (statutory_on(NEW.exemption_from)).exemption_max_months;
    IF used > coalesce(allowed, 0) THEN
        RAISE EXCEPTION 'exemption_limit_exceeded: the exemption would last % months in all; at most % are allowed',
            used, coalesce(allowed, 0) USING ERRCODE = 'P0001';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER permissions_exemption_limit AFTER INSERT OR UPDATE ON permissions
    FOR EACH ROW EXECUTE FUNCTION permissions_exemption_limit();

CREATE FUNCTION permission_status(p permissions) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN p.revoked_on IS NOT NULL THEN 'revoked'
            WHEN p.valid_until < today_nl() THEN 'expired'
            ELSE 'active' END;

CREATE FUNCTION permission_doc(p permissions) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    p.id, p.member_id, p.cooperative_id, p.municipality_code, p.decision_reference, p.valid_from,
    p.valid_until, p.goal, trim_scale(p.business_hours_per_week)::text AS business_hours_per_week,
    trim_scale(p.jobsearch_hours_per_week)::text AS jobsearch_hours_per_week,
    month_text(p.exemption_from) AS exemption_from, month_text(p.exemption_until) AS exemption_until,
    permission_status(p) AS status, p.revoked_on, p.revocation_reason, p.renews_permission_id,
    rfc3339(p.created_at) AS created_at, rfc3339(p.updated_at) AS updated_at) d);

-- ---- customers ----------------------------------------------------------------------------------
CREATE TABLE customers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    cooperative_id uuid NOT NULL REFERENCES cooperatives,
    name text NOT NULL CHECK (plain_text(name, 200)),
    street text CHECK (plain_text(street, 200)),
    house_number text CHECK (plain_text(house_number, 20)),
    postal_code text CHECK (plain_text(postal_code, 20)),
    city text CHECK (plain_text(city, 100)),
    country text CHECK (country ~ '^[A-Z]{2}$'),
    kvk_number text CHECK (kvk_valid(kvk_number)),
    vat_id text CHECK (vat_id_valid(vat_id)),
    email text CHECK (email_plausible(email)),
    peppol_id text CHECK (peppol_id ~ '^[0-9]{4}:[A-Za-z0-9._-]{1,64}$'),
    payment_terms_days integer NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 365),
    row_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customers_address CHECK (num_nulls(street, house_number, postal_code, city, country)
        IN (0, 5)),
    CONSTRAINT customers_postal_code_nl CHECK (country IS DISTINCT FROM 'NL'
        OR postal_code_nl_valid(postal_code))
);
CREATE INDEX customers_cooperative ON customers (cooperative_id, seq);

CREATE FUNCTION customer_doc(c customers) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    c.id, c.cooperative_id, c.name,
    address_doc(c.street, c.house_number, c.postal_code, c.city, c.country) AS address,
    c.kvk_number, c.vat_id, c.email, c.peppol_id, c.payment_terms_days,
    rfc3339(c.created_at) AS created_at, rfc3339(c.updated_at) AS updated_at) d);
