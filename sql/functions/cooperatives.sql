-- Cooperatives and what hangs off them: fee policies, social shareholders, rate floors.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

CREATE OR REPLACE FUNCTION cooperative_doc(c cooperatives) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    c.id, c.legal_name, c.trade_name, c.kvk_number, c.rsin, c.vat_id, c.iban, c.bic,
    address_doc(c.street, c.house_number, c.postal_code, c.city, c.country),
    c.email, c.phone, c.vat_scheme, c.invoice_prefix, c.reserve_cap_cents, c.statutes, c.board,
    rfc3339(c.created_at), rfc3339(c.updated_at))::cooperative_doc_fields);

CREATE OR REPLACE FUNCTION fee_policy_doc(f fee_policies) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    f.id, f.cooperative_id, f.valid_from, f.percentage_bp, f.fixed_monthly_cents,
    f.minimum_monthly_cents, f.maximum_monthly_cents, f.waive_without_turnover,
    rfc3339(f.created_at))::fee_policy_doc_fields);

CREATE OR REPLACE FUNCTION shareholder_doc(s shareholders) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    s.id, s.cooperative_id, s.municipality_code, s.since, s.until,
    rfc3339(s.created_at), rfc3339(s.updated_at))::shareholder_doc_fields);

CREATE OR REPLACE FUNCTION rate_floor_doc(f rate_floors) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    f.id, f.cooperative_id, f.activity_category, f.unit, f.minimum_unit_price_cents,
    rfc3339(f.created_at), rfc3339(f.updated_at))::rate_floor_doc_fields);
