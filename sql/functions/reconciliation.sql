-- The annual reconciliation of a member's year (SPEC §6.4).
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- The months of year p_year in which the member's row settled with a municipality, each with
-- its latest finalized version, and whether the exemption applied to it then (the rules of the
-- month: the covering permission's window, the age on the month's first day, the parameters).
CREATE OR REPLACE FUNCTION reconciliation_months(p_member uuid, p_year integer)
RETURNS TABLE (period date, turnover_cents bigint, costs_cents bigint, fee_deducted_cents bigint,
               base_cents bigint, net_income_cents bigint, amount_to_settle_cents bigint,
               exempt boolean, exemption_bp integer, exemption_cap_cents bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.period, s.turnover_cents, s.costs_cents, s.fee_deducted_cents, s.base_cents,
           s.net_income_cents, s.amount_to_settle_cents,
           coalesce(p.exemption_from <= s.period
                    AND s.period <= least(p.exemption_until,
                                          coalesce(date_trunc('month', p.revoked_on)::date,
                                                   p.exemption_until))
                    AND m.date_of_birth + make_interval(years => par.exemption_min_age) <= s.period,
                    false),
           par.exemption_bp, par.exemption_monthly_cap_cents
    FROM (SELECT DISTINCT ON (x.period) x.* FROM settlement_rows x
          WHERE x.member_id = p_member AND x.version IS NOT NULL
            AND x.period >= make_date(p_year, 1, 1) AND x.period < make_date(p_year + 1, 1, 1)
          ORDER BY x.period, x.version DESC) s
    JOIN members m ON m.id = s.member_id
    LEFT JOIN permissions p ON p.id = s.permission_id
    LEFT JOIN LATERAL (SELECT t.* FROM statutory_parameters t WHERE t.valid_from <= s.period
                       ORDER BY t.valid_from DESC LIMIT 1) par ON true
    WHERE s.settles_with_municipality
$$;

-- The reconciliation as the API shows it, without id and status: §6.4 step by step. Δ is
-- spread over the months in proportion to their net income (all 0: to their base; those 0 too:
-- equally): each month floor(|Δ| × w / Σw), the cents left over one each to the months with
-- the largest remainders (ties: the earlier month), then Δ's sign. The parts sum to Δ exactly.
CREATE OR REPLACE FUNCTION reconciliation_compute(p_member uuid, p_year integer, p_tax bigint,
                                                  p_costs bigint)
RETURNS jsonb LANGUAGE sql STABLE AS $$
WITH mo AS (SELECT * FROM reconciliation_months(p_member, p_year)),
tot AS (
    SELECT count(*) AS n, coalesce(sum(mo.net_income_cents), 0) AS sum_n,
           coalesce(sum(mo.base_cents), 0) AS sum_b,
           coalesce(sum(mo.turnover_cents - mo.fee_deducted_cents), 0) AS sum_t_fd
    FROM mo
),
y AS (
    SELECT tot.*, CASE WHEN p_costs IS NULL THEN tot.sum_b
                       ELSE greatest(0, tot.sum_t_fd - p_costs) END AS base_y
    FROM tot
),
d AS (
    SELECT y.*, greatest(0, y.base_y - p_tax) AS n_actual,
           greatest(0, y.base_y - p_tax) - y.sum_n AS delta
    FROM y
),
w AS (
    SELECT mo.*, d.delta,
           CASE WHEN d.sum_n > 0 THEN mo.net_income_cents
                WHEN d.sum_b > 0 THEN mo.base_cents ELSE 1 END::numeric AS w
    FROM mo, d
),
a AS (
    SELECT w.*, sum(w.w) OVER () AS sum_w, abs(w.delta)::numeric * w.w AS share FROM w
),
f AS (
    SELECT a.*, floor(a.share / a.sum_w) AS fl, mod(a.share, a.sum_w) AS rem FROM a
),
r AS (
    SELECT f.*, abs(f.delta) - sum(f.fl) OVER () AS leftover,
           row_number() OVER (ORDER BY f.rem DESC, f.period) AS rank
    FROM f
),
m AS (
    SELECT r.*, (sign(r.delta::numeric)
                 * (r.fl + CASE WHEN r.rank <= r.leftover THEN 1 ELSE 0 END))::bigint AS alloc
    FROM r
),
e AS (
    SELECT m.*, m.net_income_cents + m.alloc AS n2,
           CASE WHEN m.exempt THEN least(bp_of(m.net_income_cents + m.alloc, m.exemption_bp),
                                         coalesce(m.exemption_cap_cents,
                                                  m.net_income_cents + m.alloc))
                ELSE 0 END AS e2
    FROM m
),
s AS (
    SELECT e.*, e.n2 - e.e2 AS s2, e.n2 - e.e2 - e.amount_to_settle_cents AS diff FROM e
),
total AS (SELECT coalesce(sum(s.diff), 0)::bigint AS t FROM s)
SELECT jsonb_build_object(
    'member_id', p_member, 'year', p_year, 'actual_tax_cents', p_tax,
    'actual_costs_cents', p_costs, 'base_cents', d.base_y,
    'actual_net_income_cents', d.n_actual, 'provisional_net_income_cents', d.sum_n,
    'delta_cents', d.delta,
    'months', coalesce((SELECT jsonb_agg(jsonb_build_object(
        'period', month_text(s.period), 'base_cents', s.base_cents,
        'provisional_net_income_cents', s.net_income_cents,
        'provisional_amount_to_settle_cents', s.amount_to_settle_cents,
        'allocated_delta_cents', s.alloc, 'net_income_cents', s.n2, 'exemption_cents', s.e2,
        'amount_to_settle_cents', s.s2, 'difference_cents', s.diff) ORDER BY s.period)
        FROM s), '[]'::jsonb),
    'total_difference_cents', total.t,
    'outcome', CASE WHEN total.t > 0 THEN 'claim' WHEN total.t < 0 THEN 'back_payment'
                    ELSE 'none' END,
    'outcome_cents', abs(total.t),
    'months_count', d.n)
FROM d, total
$$;

CREATE OR REPLACE FUNCTION reconciliation_doc(x reconciliations) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    x.id, x.member_id, x.cooperative_id, x.year, x.status, x.actual_tax_cents,
    x.actual_costs_cents, x.base_cents, x.actual_net_income_cents,
    x.provisional_net_income_cents, x.delta_cents, x.months, x.total_difference_cents,
    x.outcome, x.outcome_cents, rfc3339(x.calculated_at),
    rfc3339(x.finalized_at))::reconciliation_doc_fields);

-- POST /v1/members/{id}/reconciliations/{YYYY}: computes the draft (replacing an earlier draft).
CREATE OR REPLACE FUNCTION reconciliation_calculate(p_member uuid, p_year integer, p_tax bigint,
                                                    p_costs bigint)
RETURNS reconciliations LANGUAGE plpgsql AS $$
DECLARE
    c jsonb;
    x reconciliations;
BEGIN
    PERFORM 1 FROM members WHERE id = p_member FOR UPDATE; -- one calculation at a time
    PERFORM 1 FROM reconciliations WHERE member_id = p_member AND year = p_year
        AND status = 'final';
    IF FOUND THEN
        RAISE EXCEPTION 'reconciliation_finalized: the reconciliation of % is finalized', p_year
            USING ERRCODE = 'CO409';
    END IF;
    c := reconciliation_compute(p_member, p_year, p_tax, p_costs);
    IF (c ->> 'months_count')::integer = 0 THEN
        RAISE EXCEPTION 'nothing_to_reconcile: no finalized month of % settled with a municipality',
            p_year USING ERRCODE = 'CO422';
    END IF;
    INSERT INTO reconciliations AS r (member_id, cooperative_id, year, status, actual_tax_cents,
        actual_costs_cents, base_cents, actual_net_income_cents, provisional_net_income_cents,
        delta_cents, months, total_difference_cents, outcome, outcome_cents, calculated_at)
    SELECT p_member, m.cooperative_id, p_year, 'draft', p_tax, p_costs,
           (c ->> 'base_cents')::bigint, (c ->> 'actual_net_income_cents')::bigint,
           (c ->> 'provisional_net_income_cents')::bigint, (c ->> 'delta_cents')::bigint,
           c -> 'months', (c ->> 'total_difference_cents')::bigint, c ->> 'outcome',
           (c ->> 'outcome_cents')::bigint, now()
    FROM members m WHERE m.id = p_member
    ON CONFLICT ON CONSTRAINT reconciliations_member_year DO UPDATE SET
        actual_tax_cents = excluded.actual_tax_cents,
        actual_costs_cents = excluded.actual_costs_cents, base_cents = excluded.base_cents,
        actual_net_income_cents = excluded.actual_net_income_cents,
        provisional_net_income_cents = excluded.provisional_net_income_cents,
        delta_cents = excluded.delta_cents, months = excluded.months,
        total_difference_cents = excluded.total_difference_cents, outcome = excluded.outcome,
        outcome_cents = excluded.outcome_cents, calculated_at = excluded.calculated_at,
        row_version = r.row_version + 1
    RETURNING * INTO x;
    RETURN x;
END $$;

-- POST .../finalize: freezes the draft.
CREATE OR REPLACE FUNCTION reconciliation_finalize(p_member uuid, p_year integer, p_user uuid)
RETURNS reconciliations LANGUAGE plpgsql AS $$
DECLARE
    x reconciliations;
BEGIN
    SELECT * INTO x FROM reconciliations WHERE member_id = p_member AND year = p_year FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'reconciliation_not_calculated: compute the reconciliation of % first',
            p_year USING ERRCODE = 'CO409';
    END IF;
    IF x.status = 'final' THEN
        RAISE EXCEPTION 'reconciliation_finalized: the reconciliation of % is finalized already',
            p_year USING ERRCODE = 'CO409';
    END IF;
    UPDATE reconciliations SET status = 'final', finalized_at = now(), finalized_by = p_user,
           row_version = row_version + 1
     WHERE id = x.id RETURNING * INTO x;
    RETURN x;
END $$;
