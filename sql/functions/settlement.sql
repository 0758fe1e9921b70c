-- The monthly settlement per member, the "thermometer" (SPEC §6.2, §6.3, §9): which money counts
-- in a month, the arithmetic, the warnings, and the calculation of a cooperative's month into
-- draft rows, set-based: one statement computes every member's row.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).
--
-- Rounding: every "round" of §6 is PostgreSQL's round() of an exact numeric, which rounds half
-- a cent away from zero (0.5 → 1, -0.5 → -1).

-- settlement_compute reads what counts itself: the helper it had, called with a subquery
-- argument, was planned apart and generically, and took most of the calculation's time.
DROP FUNCTION IF EXISTS settlement_turnover(uuid, date, date, uuid, text[]);

-- The rows of a cooperative's month (p_period: its first day), every member active in it
-- (§9), or only p_member: §6.3's figures and warnings, and the versions of the rules that
-- applied. One statement, set-based: what the rows need of other tables (permissions, policies,
-- invoices, payments, expenses, premiums, hours) is read for the whole cooperative at once and
-- joined by hash, never looked up per member.
CREATE OR REPLACE FUNCTION settlement_compute(p_coop uuid, p_period date, p_member uuid)
RETURNS TABLE (member_id uuid, settles_with_municipality boolean, municipality_code text,
               municipal_reference text, permission_id uuid, income_basis text, cost_mode text,
               policy_valid_from date, parameters_valid_from date, fee_policy_valid_from date,
               turnover_cents bigint, fee_cents bigint, fee_deducted_cents bigint,
               costs_cents bigint, base_cents bigint, tax_reservation_cents bigint,
               net_income_cents bigint, exemption_cents bigint, premium_cents bigint,
               amount_to_settle_cents bigint, business_hours numeric, business_hours_ytd numeric,
               warnings text[])
LANGUAGE sql STABLE AS $$
WITH
-- the permission covering the month (two: the later one)
pm AS (
    SELECT DISTINCT ON (p.member_id) p.*
    FROM permissions p
    WHERE p.cooperative_id = p_coop AND (p_member IS NULL OR p.member_id = p_member)
      AND p.covers && daterange(p_period, month_last(p_period), '[]')
    ORDER BY p.member_id, p.valid_from DESC, p.seq DESC
),
-- members active in the month
m AS (
    SELECT m.id, m.date_of_birth, m.municipality_code AS own_muni, m.municipal_reference,
           m.on_benefit, m.joined_on, pm.id AS permission_id, pm.municipality_code AS perm_muni,
           pm.valid_until AS perm_until,
           pm.exemption_from IS NOT NULL AND pm.exemption_from <= p_period
               AND p_period <= least(pm.exemption_until,
                                    coalesce(date_trunc('month', pm.revoked_on)::date,
                                             pm.exemption_until)) AS in_window,
           -- the settling municipality (§9): the permission's, else the member's own; none off
           -- benefit. The policy is that municipality's, or the member's own off benefit.
           CASE WHEN m.on_benefit THEN coalesce(pm.municipality_code, m.municipality_code) END
               AS settle_muni,
           CASE WHEN m.on_benefit THEN coalesce(pm.municipality_code, m.municipality_code)
                ELSE m.municipality_code END AS policy_muni
    FROM members m LEFT JOIN pm ON pm.member_id = m.id
    WHERE m.cooperative_id = p_coop AND (p_member IS NULL OR m.id = p_member)
      AND m.status <> 'applicant' AND m.joined_on <= month_last(p_period)
      AND (m.left_on IS NULL OR m.left_on >= p_period)
),
-- every municipality's policy for the month (§6.1)
pol AS (
    SELECT DISTINCT ON (p.municipality_code) p.*
    FROM municipal_policies p WHERE p.valid_from <= p_period
    ORDER BY p.municipality_code, p.valid_from DESC
),
r AS (
    SELECT m.*, pol.valid_from AS policy_from,
           coalesce(pol.income_basis, 'work_period') AS basis,
           coalesce(pol.cost_mode, 'none') AS cost_mode, pol.flat_rate_bp,
           coalesce(pol.fee_deductible, false) AS fee_deductible,
           coalesce(pol.tax_reservation_bp, 0) AS tax_bp
    FROM m LEFT JOIN pol ON pol.municipality_code = m.policy_muni
),
-- What counts (§6.2) of the cooperative's issued invoices and credit notes over the last 12
-- months up to the month, per member, customer and income basis: by supply_date (work_period),
-- by issue_date (invoice_date), and the net part of each payment received (payment_date),
-- round(payment × net / gross); credit notes count negative. A basis that no member's policy
-- uses is not read at all.
tx AS MATERIALIZED (
    SELECT i.member_id, i.customer_id, 'work_period' AS basis, i.supply_date AS day,
           i.net_cents AS cents, i.rate_floor_override IS NOT NULL AS o
    FROM invoices i
    WHERE EXISTS (SELECT 1 FROM r WHERE r.basis = 'work_period')
      AND i.cooperative_id = p_coop AND i.number IS NOT NULL
      AND i.supply_date BETWEEN month_add(p_period, -11) AND month_last(p_period)
      AND (p_member IS NULL OR i.member_id = p_member)
    UNION ALL
    SELECT i.member_id, i.customer_id, 'invoice_date', i.issue_date, i.net_cents,
           i.rate_floor_override IS NOT NULL
    FROM invoices i
    WHERE EXISTS (SELECT 1 FROM r WHERE r.basis = 'invoice_date')
      AND i.cooperative_id = p_coop AND i.number IS NOT NULL
      AND i.issue_date BETWEEN month_add(p_period, -11) AND month_last(p_period)
      AND (p_member IS NULL OR i.member_id = p_member)
    UNION ALL
    SELECT i.member_id, i.customer_id, 'payment_date', p.received_on,
           CASE WHEN i.gross_cents = 0 THEN 0
                ELSE round(p.amount_cents::numeric * i.net_cents / i.gross_cents)::bigint END,
           i.rate_floor_override IS NOT NULL
    FROM payments p JOIN invoices i ON i.id = p.invoice_id
    WHERE EXISTS (SELECT 1 FROM r WHERE r.basis = 'payment_date')
      AND p.cooperative_id = p_coop
      AND p.received_on BETWEEN month_add(p_period, -11) AND month_last(p_period)
      AND (p_member IS NULL OR i.member_id = p_member)
),
-- per member on its own basis: the month (and whether an invoice of it was issued below the
-- rate floor), the last 3 months (no turnover), and the largest share of one customer in the 12
-- months (single customer); two aggregations, so that the one with a group per customer
-- carries one sum only
tm AS (
    SELECT x.member_id, x.basis, sum(x.cents) FILTER (WHERE x.day >= p_period) AS cm,
           sum(x.cents) FILTER (WHERE x.day >= month_add(p_period, -2)) AS c3,
           bool_or(x.o) FILTER (WHERE x.day >= p_period) AS om
    FROM tx x GROUP BY x.member_id, x.basis
),
tc AS (
    SELECT y.member_id, y.basis, sum(y.c12) AS total12, max(y.c12) AS top12
    FROM (SELECT x.member_id, x.basis, x.customer_id, sum(x.cents) AS c12 FROM tx x
          GROUP BY x.member_id, x.basis, x.customer_id) y
    GROUP BY y.member_id, y.basis
),
t AS (
    SELECT r.id, coalesce(tm.cm, 0)::bigint AS turnover, coalesce(tm.om, false) AS overridden,
           coalesce(tm.c3, 0) AS turnover3, tc.total12, tc.top12
    FROM r LEFT JOIN tm ON tm.member_id = r.id AND tm.basis = r.basis
    LEFT JOIN tc ON tc.member_id = r.id AND tc.basis = r.basis
),
costs AS (
    SELECT e.member_id, sum(e.amount_cents - e.vat_cents)::bigint AS cents
    FROM expenses e
    WHERE e.cooperative_id = p_coop AND e.status = 'approved'
      AND e.date BETWEEN p_period AND month_last(p_period)
      AND (p_member IS NULL OR e.member_id = p_member)
    GROUP BY e.member_id
),
prem AS (
    SELECT p.member_id, sum(p.amount_cents)::bigint AS cents
    FROM premiums p
    WHERE p.cooperative_id = p_coop AND p.granted_on BETWEEN p_period AND month_last(p_period)
      AND (p_member IS NULL OR p.member_id = p_member)
    GROUP BY p.member_id
),
-- a week counts in the month and the year of its Thursday
hrs AS (
    SELECT h.member_id,
           sum(h.business_hours) FILTER (WHERE h.week_start + 3 >= p_period) AS month,
           sum(h.business_hours) AS ytd
    FROM member_hours h
    WHERE h.cooperative_id = p_coop
      AND h.week_start + 3 BETWEEN make_date(extract(year FROM p_period)::integer, 1, 1)
                               AND month_last(p_period)
      AND (p_member IS NULL OR h.member_id = p_member)
    GROUP BY h.member_id
),
fp AS (
    SELECT f.* FROM fee_policies f
    WHERE f.cooperative_id = p_coop AND f.valid_from <= p_period
    ORDER BY f.valid_from DESC LIMIT 1
),
par AS (
    SELECT s.* FROM statutory_parameters s WHERE s.valid_from <= p_period
    ORDER BY s.valid_from DESC LIMIT 1
),
-- §6.3, step by step (f materialized: its fee and costs are used over and over below, and an
-- inlined f would compute them again in every expression that uses them)
f AS MATERIALIZED (
    SELECT r.*, t.turnover AS tt, t.overridden,
           CASE WHEN fp.id IS NULL OR (t.turnover <= 0 AND fp.waive_without_turnover) THEN 0
                ELSE least(greatest(bp_of(greatest(t.turnover, 0), fp.percentage_bp)
                                    + fp.fixed_monthly_cents,
                                    coalesce(fp.minimum_monthly_cents, 0)),
                           coalesce(fp.maximum_monthly_cents, 'Infinity'::numeric))::bigint
           END AS fee,
           CASE r.cost_mode WHEN 'approved_costs' THEN coalesce(costs.cents, 0)
                            WHEN 'flat_rate' THEN bp_of(greatest(t.turnover, 0), r.flat_rate_bp)
                            ELSE 0 END AS c,
           fp.valid_from AS fee_from, par.valid_from AS par_from,
           r.date_of_birth + make_interval(years => par.exemption_min_age) <= p_period AS old_enough,
           par.exemption_bp, par.exemption_monthly_cap_cents AS cap,
           par.hours_criterion, coalesce(prem.cents, 0) AS p, coalesce(hrs.month, 0) AS hours,
           coalesce(hrs.ytd, 0) AS ytd, t.turnover3, t.total12, t.top12
    FROM r JOIN t ON t.id = r.id
    LEFT JOIN costs ON costs.member_id = r.id
    LEFT JOIN prem ON prem.member_id = r.id LEFT JOIN hrs ON hrs.member_id = r.id
    LEFT JOIN fp ON true LEFT JOIN par ON true
),
g AS (
    SELECT f.*, CASE WHEN f.fee_deductible THEN f.fee ELSE 0 END AS fd,
           greatest(0, f.tt - f.c - CASE WHEN f.fee_deductible THEN f.fee ELSE 0 END) AS base
    FROM f
),
h AS (
    SELECT g.*, bp_of(g.base, g.tax_bp) AS x, g.base - bp_of(g.base, g.tax_bp) AS n FROM g
),
e AS (
    SELECT h.*,
           CASE WHEN h.settle_muni IS NOT NULL AND h.in_window AND h.old_enough
                THEN least(bp_of(h.n, h.exemption_bp), coalesce(h.cap, h.n)) ELSE 0 END AS ex
    FROM h
)
SELECT e.id, e.settle_muni IS NOT NULL, e.settle_muni, e.municipal_reference, e.permission_id,
       e.basis, e.cost_mode, e.policy_from, e.par_from, e.fee_from,
       e.tt, e.fee, e.fd, e.c, e.base, e.x, e.n, e.ex, e.p,
       CASE WHEN e.settle_muni IS NOT NULL THEN e.n - e.ex ELSE 0 END,
       e.hours, e.ytd,
       array_remove(ARRAY[
           CASE WHEN e.permission_id IS NOT NULL
                     AND e.perm_until <= month_last(p_period) + 60
                THEN 'permission_expires_within_60_days' END,
           CASE WHEN e.ytd >= 0.8 * e.hours_criterion THEN 'hours_criterion_80_percent' END,
           CASE WHEN e.turnover3 <= 0 AND e.joined_on <= month_add(p_period, -2)
                THEN 'no_turnover_3_months' END,
           CASE WHEN e.overridden THEN 'rate_floor_overridden' END,
           CASE WHEN e.settle_muni IS NOT NULL AND e.permission_id IS NULL AND e.tt <> 0
                THEN 'turnover_without_permission' END,
           CASE WHEN e.total12 > 0 AND e.top12 * 10 >= e.total12 * 9 THEN 'single_customer' END
       ], NULL)
FROM e
$$;

-- ---- rows and months as the API shows them ------------------------------------------------------
-- Whether a row is the current one of its member and month: the draft of an open month, the
-- latest version of a finalized one.
CREATE OR REPLACE FUNCTION settlement_row_current(s settlement_rows) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN s.version IS NULL THEN true
            ELSE NOT EXISTS (SELECT 1 FROM settlement_rows x WHERE x.member_id = s.member_id
                             AND x.period = s.period AND x.version > s.version) END;

-- Whether something that may count in a finalized row changed after its month was finalized
-- (settlement_changes), so that the current version may be out of date until corrected.
-- (settlement_row_doc spells this out: keep the two the same.)
CREATE OR REPLACE FUNCTION settlement_row_stale(s settlement_rows) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN s.version IS NOT NULL
       AND EXISTS (SELECT 1 FROM settlement_changes c
                   WHERE c.member_id = s.member_id AND c.period = s.period)
       AND settlement_row_current(s);

-- stale is settlement_row_stale (with settlement_row_current) written out: a function with a
-- subquery is never inlined, and one called from another function's body is parsed and planned
-- again at every call (PostgreSQL 15), two plannings per document that were a third of its cost
-- (a feed page, a CSV export and every settlement list make one document per row).
CREATE OR REPLACE FUNCTION settlement_row_doc(s settlement_rows) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    s.id, s.member_id, s.cooperative_id, month_text(s.period) AS period, s.version,
    s.supersedes_version, s.status,
    (s.version IS NOT NULL
     AND EXISTS (SELECT 1 FROM settlement_changes c
                 WHERE c.member_id = s.member_id AND c.period = s.period)
     AND NOT EXISTS (SELECT 1 FROM settlement_rows x WHERE x.member_id = s.member_id
                     AND x.period = s.period AND x.version > s.version)) AS stale,
    s.settles_with_municipality,
    s.municipality_code, s.municipal_reference, s.permission_id, s.income_basis, s.cost_mode,
    s.policy_valid_from, s.parameters_valid_from, s.fee_policy_valid_from, s.turnover_cents,
    s.fee_cents, s.fee_deducted_cents, s.costs_cents, s.base_cents, s.tax_reservation_cents,
    s.net_income_cents, s.exemption_cents, s.premium_cents, s.amount_to_settle_cents,
    trim_scale(s.business_hours)::text AS business_hours,
    trim_scale(s.business_hours_ytd)::text AS business_hours_ytd, s.warnings,
    s.correction_reason, rfc3339(s.calculated_at) AS calculated_at,
    rfc3339(s.finalized_at) AS finalized_at,
    (SELECT rfc3339(a.acknowledged_at) FROM settlement_acknowledgements a WHERE a.row_id = s.id)
        AS acknowledged_at) d);

CREATE OR REPLACE FUNCTION settlement_period_doc(sp settlement_periods) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT json_build_object(
    'cooperative_id', sp.cooperative_id, 'period', month_text(sp.period), 'status', sp.status,
    'calculated_at', rfc3339(sp.calculated_at), 'finalized_at', rfc3339(sp.finalized_at),
    'rows', count(*), 'settling_rows', count(*) FILTER (WHERE s.settles_with_municipality),
    'turnover_cents', coalesce(sum(s.turnover_cents), 0),
    'fee_cents', coalesce(sum(s.fee_cents), 0),
    'net_income_cents', coalesce(sum(s.net_income_cents), 0),
    'exemption_cents', coalesce(sum(s.exemption_cents), 0),
    'amount_to_settle_cents', coalesce(sum(s.amount_to_settle_cents), 0))
    FROM settlement_rows s
    WHERE s.cooperative_id = sp.cooperative_id AND s.period = sp.period
      AND settlement_row_current(s));

-- ---- calculating and finalizing a month --------------------------------------------------------
-- settlement_compute's rows as drafts of settlement_rows (no id yet): what is written, and what
-- the thermometer of an open month shows live.
CREATE OR REPLACE FUNCTION settlement_drafts(p_coop uuid, p_period date, p_member uuid)
RETURNS SETOF settlement_rows LANGUAGE sql STABLE AS $$
    SELECT NULL::uuid, NULL::bigint, p_coop, c.member_id, p_period, NULL::integer, NULL::integer,
           'draft', c.settles_with_municipality, c.municipality_code, c.municipal_reference,
           c.permission_id, c.income_basis, c.cost_mode, c.policy_valid_from,
           c.parameters_valid_from, c.fee_policy_valid_from, c.turnover_cents, c.fee_cents,
           c.fee_deducted_cents, c.costs_cents, c.base_cents, c.tax_reservation_cents,
           c.net_income_cents, c.exemption_cents, c.premium_cents, c.amount_to_settle_cents,
           c.business_hours, c.business_hours_ytd, c.warnings, NULL::text, now(),
           NULL::timestamptz
    FROM settlement_compute(p_coop, p_period, p_member) c
$$;

-- Whether a freshly calculated row d says what the member's current row c says: its money and
-- where it settles (what a correction is made for), and with p_all also everything else a row
-- shows (hours, warnings, the rules that applied) — what makes a draft worth rewriting.
CREATE OR REPLACE FUNCTION settlement_same(d settlement_rows, c settlement_rows, p_all boolean)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (d.settles_with_municipality, d.municipality_code, d.turnover_cents, d.fee_cents,
        d.fee_deducted_cents, d.costs_cents, d.base_cents, d.tax_reservation_cents,
        d.net_income_cents, d.exemption_cents, d.premium_cents, d.amount_to_settle_cents)
       IS NOT DISTINCT FROM
       (c.settles_with_municipality, c.municipality_code, c.turnover_cents, c.fee_cents,
        c.fee_deducted_cents, c.costs_cents, c.base_cents, c.tax_reservation_cents,
        c.net_income_cents, c.exemption_cents, c.premium_cents, c.amount_to_settle_cents)
   AND (NOT p_all
        OR (d.municipal_reference, d.permission_id, d.income_basis, d.cost_mode,
            d.policy_valid_from, d.parameters_valid_from, d.fee_policy_valid_from,
            d.business_hours, d.business_hours_ytd, d.warnings)
           IS NOT DISTINCT FROM
           (c.municipal_reference, c.permission_id, c.income_basis, c.cost_mode,
            c.policy_valid_from, c.parameters_valid_from, c.fee_policy_valid_from,
            c.business_hours, c.business_hours_ytd, c.warnings));

-- Writes the month's rows from a fresh calculation, in one statement, and returns how many it
-- wrote. Only what changed is written: a calculation of 10,000 members in which three changed
-- writes three rows (the cost of writing a row, with its constraints and indexes, is most of a
-- month's calculation).
-- p_reason NULL (an open month): the drafts. A member whose draft says something else than the
-- calculation has it replaced (a new id, calculated_at now); a member without one gets one; a
-- member no longer
-- active in the month loses its draft; a draft that still says the same stays as it is (its
-- calculated_at is when its figures were calculated; the month's own calculated_at is the
-- last calculation).
-- p_reason given (a finalized month): corrections, only for the members whose money figures
-- changed (hours and warnings alone make no new version), each as version n+1 superseding n
-- with the reason, or version 1 for a member that had no row.
--
-- Every join here is between whole sets of the cooperative's month, so nested loops are off: the
-- planner plans this function without knowing the cooperative (a generic plan) and, right after
-- the month's first rows were written, from statistics that still count none of them, and a
-- nested loop over two sets of 10,000 rows it takes for one row each is quadratic (30 s where
-- a hash join takes milliseconds). The aggregations are sorted rather than hashed: one of them
-- has a group per member and customer (50,000 for 10,000 members), and sorting them is faster
-- than hashing them. JIT is off too: compiling this plan takes seconds.
CREATE OR REPLACE FUNCTION settlement_write_rows(p_coop uuid, p_period date, p_reason text)
RETURNS integer LANGUAGE sql SET enable_nestloop = off SET enable_hashagg = off SET jit = off
AS $$
    WITH d AS MATERIALIZED (
        SELECT * FROM settlement_drafts(p_coop, p_period, NULL)
    ),
    -- each member's current row: its draft, or (corrections) its latest version
    c AS MATERIALIZED (
        SELECT DISTINCT ON (s.member_id) s.*
        FROM settlement_rows s
        WHERE s.cooperative_id = p_coop AND s.period = p_period
          AND (s.version IS NULL) = (p_reason IS NULL)
        ORDER BY s.member_id, s.version DESC
    ),
    changed AS MATERIALIZED (
        SELECT d.*, c.version AS current_version, c.id AS current_id
        FROM d LEFT JOIN c ON c.member_id = d.member_id
        WHERE c.id IS NULL OR NOT settlement_same(d, c, p_reason IS NULL)
    ),
    vanished AS (
        DELETE FROM settlement_rows s
        WHERE p_reason IS NULL AND s.cooperative_id = p_coop AND s.period = p_period
          AND s.version IS NULL AND NOT EXISTS (SELECT 1 FROM d WHERE d.member_id = s.member_id)
    ),
    -- a draft that changed is replaced in its place (the sub-statements of one statement run in
    -- no set order, so a DELETE and an INSERT of the same member's draft would collide on the
    -- one-draft index); it gets a new id, and keeps its place (seq) in the month's list
    replaced AS (
        UPDATE settlement_rows s
        SET id = gen_random_uuid(), settles_with_municipality = x.settles_with_municipality,
            municipality_code = x.municipality_code, municipal_reference = x.municipal_reference,
            permission_id = x.permission_id, income_basis = x.income_basis,
            cost_mode = x.cost_mode, policy_valid_from = x.policy_valid_from,
            parameters_valid_from = x.parameters_valid_from,
            fee_policy_valid_from = x.fee_policy_valid_from, turnover_cents = x.turnover_cents,
            fee_cents = x.fee_cents, fee_deducted_cents = x.fee_deducted_cents,
            costs_cents = x.costs_cents, base_cents = x.base_cents,
            tax_reservation_cents = x.tax_reservation_cents,
            net_income_cents = x.net_income_cents, exemption_cents = x.exemption_cents,
            premium_cents = x.premium_cents, amount_to_settle_cents = x.amount_to_settle_cents,
            business_hours = x.business_hours, business_hours_ytd = x.business_hours_ytd,
            warnings = x.warnings, calculated_at = now()
        FROM changed x
        WHERE p_reason IS NULL AND s.id = x.current_id AND s.cooperative_id = p_coop
          AND s.period = p_period AND s.version IS NULL
        RETURNING 1
    ),
    written AS (
        INSERT INTO settlement_rows (cooperative_id, member_id, period, version,
            supersedes_version, status, settles_with_municipality, municipality_code,
            municipal_reference, permission_id, income_basis, cost_mode, policy_valid_from,
            parameters_valid_from, fee_policy_valid_from, turnover_cents, fee_cents,
            fee_deducted_cents, costs_cents, base_cents, tax_reservation_cents,
            net_income_cents, exemption_cents, premium_cents, amount_to_settle_cents,
            business_hours, business_hours_ytd, warnings, correction_reason, calculated_at,
            finalized_at)
        SELECT x.cooperative_id, x.member_id, x.period,
               CASE WHEN p_reason IS NOT NULL THEN coalesce(x.current_version, 0) + 1 END,
               x.current_version,
               CASE WHEN p_reason IS NOT NULL THEN 'final' ELSE 'draft' END,
               x.settles_with_municipality, x.municipality_code, x.municipal_reference,
               x.permission_id, x.income_basis, x.cost_mode, x.policy_valid_from,
               x.parameters_valid_from, x.fee_policy_valid_from, x.turnover_cents, x.fee_cents,
               x.fee_deducted_cents, x.costs_cents, x.base_cents, x.tax_reservation_cents,
               x.net_income_cents, x.exemption_cents, x.premium_cents,
               x.amount_to_settle_cents, x.business_hours, x.business_hours_ytd, x.warnings,
               CASE WHEN x.current_version IS NOT NULL THEN p_reason END, now(),
               CASE WHEN p_reason IS NOT NULL THEN now() END
        FROM changed x
        WHERE p_reason IS NOT NULL OR x.current_id IS NULL
        RETURNING 1)
    SELECT ((SELECT count(*) FROM written) + (SELECT count(*) FROM replaced))::integer;
$$;

-- Brings the drafts of a cooperative's month up to a fresh calculation (the caller holds the
-- month's row locked).
CREATE OR REPLACE FUNCTION settlement_write_drafts(p_coop uuid, p_period date) RETURNS void
LANGUAGE sql AS $$
    SELECT settlement_write_rows(p_coop, p_period, NULL);
$$;

-- The thermometer of a member and month: the latest finalized version when the month is
-- finalized, else a live calculation (a draft without id). NULL when the member has no row
-- (it was not active in the month).
CREATE OR REPLACE FUNCTION settlement_thermometer(p_member uuid, p_period date) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT settlement_row_doc(s) FROM settlement_rows s
         WHERE s.member_id = p_member AND s.period = p_period AND s.version IS NOT NULL
         ORDER BY s.version DESC LIMIT 1),
        (SELECT settlement_row_doc(d)
         FROM members m, settlement_drafts(m.cooperative_id, p_period, m.id) d
         WHERE m.id = p_member
           AND NOT EXISTS (SELECT 1 FROM settlement_periods sp
                           WHERE sp.cooperative_id = m.cooperative_id AND sp.period = p_period
                             AND sp.status = 'final')))
$$;

-- POST .../settlements/{YYYY-MM}: (re)calculates the drafts of a month that has begun and is
-- not finalized.
-- Both answer the month's document (settlement_period_doc), made after the rows were written:
-- a query calling them sees its own snapshot, without them.
CREATE OR REPLACE FUNCTION settlement_calculate(p_coop uuid, p_period date)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    sp settlement_periods;
BEGIN
    IF p_period > date_trunc('month', today_nl()) THEN
        RAISE EXCEPTION 'period_in_future: % has not begun', month_text(p_period)
            USING ERRCODE = 'CO422';
    END IF;
    INSERT INTO settlement_periods AS x (cooperative_id, period, calculated_at)
    VALUES (p_coop, p_period, now())
    ON CONFLICT (cooperative_id, period) DO UPDATE SET calculated_at = excluded.calculated_at
        WHERE x.status = 'open'
    RETURNING * INTO sp;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'period_finalized: % is finalized; corrections make new versions',
            month_text(p_period) USING ERRCODE = 'CO409';
    END IF;
    PERFORM settlement_write_drafts(p_coop, p_period);
    RETURN settlement_period_doc(sp);
END $$;

-- The lock a finalization or correction holds against the changes that may count in the
-- cooperative's months (see settlement_mark). Its statements after this one see every change
-- that committed while it waited (READ COMMITTED: each statement takes a new snapshot).
CREATE OR REPLACE FUNCTION settlement_lock_months(p_coop uuid) RETURNS void
LANGUAGE sql AS $$
    SELECT 1 FROM cooperatives WHERE id = p_coop FOR NO KEY UPDATE;
$$;

-- POST .../finalize: a month that has ended and was calculated is calculated once more, so
-- that what is frozen is what the data say now, and every row becomes version 1.
CREATE OR REPLACE FUNCTION settlement_finalize(p_coop uuid, p_period date, p_user uuid)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    sp settlement_periods;
BEGIN
    PERFORM settlement_lock_months(p_coop);
    SELECT * INTO sp FROM settlement_periods
     WHERE cooperative_id = p_coop AND period = p_period FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'period_not_calculated: calculate % before finalizing it',
            month_text(p_period) USING ERRCODE = 'CO409';
    END IF;
    IF sp.status = 'final' THEN
        RAISE EXCEPTION 'period_finalized: % is finalized already', month_text(p_period)
            USING ERRCODE = 'CO409';
    END IF;
    IF (p_period + interval '1 month')::date > today_nl() THEN
        RAISE EXCEPTION 'period_not_closed: % has not ended', month_text(p_period)
            USING ERRCODE = 'CO409';
    END IF;
    PERFORM settlement_write_drafts(p_coop, p_period);
    UPDATE settlement_rows SET version = 1, status = 'final', finalized_at = now()
     WHERE cooperative_id = p_coop AND period = p_period AND version IS NULL;
    UPDATE settlement_periods SET status = 'final', calculated_at = now(), finalized_at = now(),
           finalized_by = p_user
     WHERE cooperative_id = p_coop AND period = p_period RETURNING * INTO sp;
    RETURN settlement_period_doc(sp);
END $$;

-- ---- after finalization: stale rows and corrections ---------------------------------------------
-- Marks the months of a member's finalized rows that the days fall in (a change counts in a
-- month by one of these days, whatever the income basis): the row shows stale until corrected.
--
-- A change and the finalization or correction of its month must not pass each other unseen:
-- finalizing without an invoice that is being issued, while the issuing transaction looks for
-- a final month before the finalization has committed, would lose the invoice for good (neither
-- counted nor marked). So every change takes the cooperative's row FOR SHARE before it looks,
-- and settlement_lock_months takes it FOR NO KEY UPDATE: a finalization waits for the changes
-- under way and then sees them; a change that comes during one waits, then sees the month
-- final and marks it. (Changes do not wait for each other, and FOR NO KEY UPDATE leaves the
-- foreign-key checks on the cooperative alone.)
CREATE OR REPLACE FUNCTION settlement_mark(p_coop uuid, p_member uuid, VARIADIC p_days date[])
RETURNS void LANGUAGE sql AS $$
    SELECT 1 FROM cooperatives WHERE id = p_coop FOR SHARE;
    INSERT INTO settlement_changes (member_id, period)
    SELECT DISTINCT p_member, date_trunc('month', d)::date FROM unnest(p_days) AS d
    WHERE d IS NOT NULL AND EXISTS (
        SELECT 1 FROM settlement_periods sp
        WHERE sp.cooperative_id = p_coop AND sp.period = date_trunc('month', d)::date
          AND sp.status = 'final')
    ON CONFLICT (member_id, period) DO UPDATE SET changed_at = now();
$$;

-- Triggers of 008: an invoice or credit note issued (its supply and issue dates), an expense
-- approved (its date), a premium granted (its day): the row's cooperative and member, and the
-- days of the date columns the trigger names.
CREATE OR REPLACE FUNCTION settlement_mark_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    doc jsonb := to_jsonb(NEW);
BEGIN
    PERFORM settlement_mark(NEW.cooperative_id, NEW.member_id,
                            VARIADIC ARRAY(SELECT (doc ->> c)::date FROM unnest(TG_ARGV) AS c));
    RETURN NULL;
END $$;

-- A payment received (its day), for the member of its invoice.
CREATE OR REPLACE FUNCTION settlement_mark_payment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM settlement_mark(NEW.cooperative_id, i.member_id, NEW.received_on)
       FROM invoices i WHERE i.id = NEW.invoice_id;
    RETURN NULL;
END $$;

-- POST .../corrections: the month is calculated again; a member whose figures changed gets
-- version n+1 of its row (superseding n, with the reason), a member that had no row version 1;
-- the others keep theirs. The month's markers are settled either way.
CREATE OR REPLACE FUNCTION settlement_correct(p_coop uuid, p_period date, p_reason text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    sp settlement_periods;
    n integer;
BEGIN
    PERFORM settlement_lock_months(p_coop);
    SELECT * INTO sp FROM settlement_periods
     WHERE cooperative_id = p_coop AND period = p_period FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'period_not_calculated: % was never calculated', month_text(p_period)
            USING ERRCODE = 'CO409';
    END IF;
    IF sp.status <> 'final' THEN
        RAISE EXCEPTION 'period_not_finalized: % is open: calculate it again instead',
            month_text(p_period) USING ERRCODE = 'CO409';
    END IF;
    n := settlement_write_rows(p_coop, p_period, p_reason);
    DELETE FROM settlement_changes x USING members m
     WHERE x.member_id = m.id AND m.cooperative_id = p_coop AND x.period = p_period;
    RETURN (settlement_period_doc(sp)::jsonb || jsonb_build_object('corrected_rows', n))::json;
END $$;
