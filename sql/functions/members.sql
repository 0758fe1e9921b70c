-- Members: the lifecycle, the municipal permissions and their exemption months, and the
-- members' customers.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- The lifecycle (SPEC §9): applicant → active, active ⇄ suspended, active|suspended → ended.
-- Trigger members_status_transition (003).
CREATE OR REPLACE FUNCTION member_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> OLD.status AND NOT (
           (OLD.status = 'applicant' AND NEW.status = 'active')
        OR (OLD.status = 'active' AND NEW.status IN ('suspended', 'ended'))
        OR (OLD.status = 'suspended' AND NEW.status IN ('active', 'ended'))) THEN
        RAISE EXCEPTION 'invalid_status_transition: % cannot become %', OLD.status, NEW.status
            USING ERRCODE = 'CO409';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION member_doc(m members) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    m.id, m.cooperative_id, m.first_name, m.last_name, m.date_of_birth,
    address_doc(m.street, m.house_number, m.postal_code, m.city, m.country),
    m.email, m.phone, m.iban, m.municipality_code, m.municipal_reference, m.on_benefit,
    m.activity_description, m.activity_category, m.status, m.joined_on, m.left_on, m.exit_reason,
    rfc3339(m.created_at), rfc3339(m.updated_at))::member_doc_fields);

-- Exemption months a permission uses: its window, cut off at the month of revocation.
CREATE OR REPLACE FUNCTION permission_exemption_months(p permissions) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p.exemption_from IS NULL THEN 0 ELSE greatest(0,
    (extract(year FROM age(least(p.exemption_until,
        coalesce(date_trunc('month', p.revoked_on)::date, p.exemption_until)), p.exemption_from))
     * 12 + extract(month FROM age(least(p.exemption_until,
        coalesce(date_trunc('month', p.revoked_on)::date, p.exemption_until)), p.exemption_from)))::integer
    + 1) END;

-- The exemption (vrijlating) lasts at most the statutory number of months over all of a
-- member's permissions (Participatiewet art. 31 lid 2 n). The member row is locked so that two
-- concurrent permissions cannot both slip under the limit. Constraint trigger
-- permissions_exemption_limit (003).
CREATE OR REPLACE FUNCTION permissions_exemption_limit() RETURNS trigger
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
            used, coalesce(allowed, 0) USING ERRCODE = 'CO422';
    END IF;
    RETURN NULL;
END $$;

-- A permission's status: revoked by the municipality; ended, when the member left the
-- cooperative before today (the decision itself is not rewritten: valid_until stays what the
-- municipality decided, but nobody works under it any more); expired; else active.
CREATE OR REPLACE FUNCTION permission_status(p permissions) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN p.revoked_on IS NOT NULL THEN 'revoked'
            WHEN EXISTS (SELECT 1 FROM members m WHERE m.id = p.member_id
                         AND m.left_on < today_nl()) THEN 'ended'
            WHEN p.valid_until < today_nl() THEN 'expired'
            ELSE 'active' END;

CREATE OR REPLACE FUNCTION permission_doc(p permissions) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    p.id, p.member_id, p.cooperative_id, p.municipality_code, p.decision_reference, p.valid_from,
    p.valid_until, p.goal, trim_scale(p.business_hours_per_week)::text,
    trim_scale(p.jobsearch_hours_per_week)::text,
    month_text(p.exemption_from), month_text(p.exemption_until),
    permission_status(p), p.revoked_on, p.revocation_reason, p.renews_permission_id,
    rfc3339(p.created_at), rfc3339(p.updated_at))::permission_doc_fields);

CREATE OR REPLACE FUNCTION customer_doc(c customers) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    c.id, c.cooperative_id, c.name,
    address_doc(c.street, c.house_number, c.postal_code, c.city, c.country),
    c.kvk_number, c.vat_id, c.email, c.peppol_id, c.payment_terms_days,
    rfc3339(c.created_at), rfc3339(c.updated_at))::customer_doc_fields);
