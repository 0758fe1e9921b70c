-- Municipalities, their dated policies and the national statutory parameters.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

CREATE OR REPLACE FUNCTION municipality_doc(m municipalities) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object('code', m.code, 'name', m.name);

CREATE OR REPLACE FUNCTION statutory_doc(s statutory_parameters) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    s.id, s.valid_from, s.exemption_bp, s.exemption_monthly_cap_cents, s.exemption_max_months,
    s.exemption_min_age, s.premium_year_cap_cents, s.premium_max_count, s.hours_criterion,
    s.norm_single_cents, s.norm_couple_cents, s.additional_exemption_bp,
    s.additional_exemption_max_months, s.buffer_budget_year_cents, s.source,
    rfc3339(s.created_at))::statutory_doc_fields);

-- The version in force on a day: the latest with valid_from <= that day.
CREATE OR REPLACE FUNCTION statutory_on(d date) RETURNS statutory_parameters
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT s FROM statutory_parameters s WHERE s.valid_from <= d
        ORDER BY s.valid_from DESC LIMIT 1);

CREATE OR REPLACE FUNCTION policy_doc(p municipal_policies) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    p.id, p.municipality_code, p.valid_from, p.income_basis, p.cost_mode, p.flat_rate_bp,
    p.fee_deductible, p.tax_reservation_bp, p.max_single_expense_cents, p.permission_max_months,
    rfc3339(p.created_at))::policy_doc_fields);
