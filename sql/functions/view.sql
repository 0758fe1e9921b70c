-- The municipal view (SPEC §5 "Municipal view", §7, §9): what a municipality reads of its
-- residents and of the cooperatives they work in or it holds a share of. The settlement feed is
-- apart (settlement_feed.sql). (After common.sql, cooperatives.sql, ledger.sql and members.sql,
-- whose functions it calls.)
--
-- Every query names the municipality in its own WHERE clause (p_code); row-level security (012)
-- narrows the rows a municipal request sees to the same municipality, a second line of defence.
-- Some parts read beyond the municipality's own rows on purpose: the transparency view's counts
-- of members per municipality ("<5" for another municipality's 1-4), the cooperative's finances,
-- and the check that a settlement row version is the member's latest of its month (a later one
-- may settle with another municipality). They go through the SECURITY DEFINER functions below,
-- which return counts, totals or a yes/no. (The stale flag of a feed item, settlement_row_doc,
-- looks at the versions the caller can see: under row-level security, the municipality's own.)
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- A resident of the municipality (§9): a member who lives there and is no applicant. Inlined
-- where it is used, so the index on members (municipality_code) serves it.
CREATE OR REPLACE FUNCTION municipal_resident(m members, p_code text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN m.municipality_code = p_code AND m.status <> 'applicant';

-- A resident as the municipality sees it: minimal personal data (§7: no address, date of
-- birth, email, phone or IBAN), the cooperative, and the permission covering today (at most
-- one: a member's permissions never overlap) with its exemption window as months.
CREATE OR REPLACE FUNCTION municipal_resident_doc(m members) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT json_build_object(
    'member_id', m.id, 'first_name', m.first_name, 'last_name', m.last_name,
    'municipal_reference', m.municipal_reference, 'cooperative_id', m.cooperative_id,
    'cooperative_name', c.legal_name, 'status', m.status,
    'permission', CASE WHEN p.id IS NOT NULL THEN json_build_object(
        'id', p.id, 'municipality_code', p.municipality_code, 'valid_from', p.valid_from,
        'valid_until', p.valid_until, 'goal', p.goal, 'status', permission_status(p)) END,
    'exemption_from', month_text(p.exemption_from),
    'exemption_until', month_text(p.exemption_until))
    FROM cooperatives c
    LEFT JOIN permissions p ON p.member_id = m.id AND p.covers @> today_nl()
    WHERE c.id = m.cooperative_id);

-- GET /v1/municipalities/{code}/overview?year=: one item per cooperative with residents of the
-- municipality or a shareholding of it (past, present or future), by legal name. Residents are
-- counted as they are today; turnover, amount settled and outflow over the year p_year.
-- A permission "in force" covers today and belongs to a member who has not left before today
-- (SPEC §10: after left_on an ended member's permissions no longer show as active); by_goal
-- counts the residents with one.
CREATE OR REPLACE FUNCTION municipal_overview(p_code text, p_year integer) RETURNS json
LANGUAGE sql STABLE AS $$
WITH d AS (
    SELECT today_nl() AS today, make_date(p_year, 1, 1) AS first, make_date(p_year, 12, 31) AS last
),
co AS (
    SELECT c.id, c.legal_name FROM cooperatives c
    WHERE c.id IN (SELECT m.cooperative_id FROM members m WHERE municipal_resident(m, p_code)
                   UNION
                   SELECT s.cooperative_id FROM shareholders s WHERE s.municipality_code = p_code)
),
-- the residents, each with its permission in force today (if any)
res AS (
    SELECT m.cooperative_id,
           count(*) AS total,
           count(*) FILTER (WHERE m.status = 'active') AS active,
           count(*) FILTER (WHERE m.status = 'suspended') AS suspended,
           count(*) FILTER (WHERE m.status = 'ended') AS ended,
           count(*) FILTER (WHERE p.goal = 'reintegration') AS reintegration,
           count(*) FILTER (WHERE p.goal = 'social_activation') AS social_activation
    FROM members m
    LEFT JOIN permissions p ON p.member_id = m.id AND p.covers @> today_nl()
                           AND (m.left_on IS NULL OR m.left_on >= today_nl())
    WHERE municipal_resident(m, p_code)
    GROUP BY m.cooperative_id
),
-- the residents who left in the year, by exit reason (every reason, zeros included)
gone AS (
    SELECT m.cooperative_id, m.exit_reason, count(*) AS n
    FROM d, members m
    WHERE municipal_resident(m, p_code) AND m.left_on BETWEEN d.first AND d.last
    GROUP BY m.cooperative_id, m.exit_reason
),
outflow AS (
    SELECT co.id AS cooperative_id, json_object_agg(k.reason, coalesce(g.n, 0) ORDER BY k.ord) AS doc
    FROM co CROSS JOIN unnest(ARRAY['employment', 'full_time_business', 'bbz', 'other_income',
                                    'moved', 'deceased', 'other']) WITH ORDINALITY AS k(reason, ord)
    LEFT JOIN gone g ON g.cooperative_id = co.id AND g.exit_reason = k.reason
    GROUP BY co.id
),
-- the municipality's permissions of the cooperative's members in force today
perm AS (
    SELECT p.cooperative_id, count(*) AS active,
           count(*) FILTER (WHERE p.valid_until <= d.today + 60) AS expiring
    FROM d, co
    JOIN permissions p ON p.cooperative_id = co.id
    JOIN members m ON m.id = p.member_id
    WHERE p.municipality_code = p_code AND p.covers @> d.today
      AND (m.left_on IS NULL OR m.left_on >= d.today)
    GROUP BY p.cooperative_id
),
-- the current (latest finalized) versions of the year's rows that settle with the municipality
settled AS (
    SELECT s.cooperative_id, sum(s.turnover_cents) AS turnover,
           sum(s.amount_to_settle_cents) AS settled
    FROM d, co
    JOIN settlement_rows s ON s.cooperative_id = co.id
    WHERE s.period BETWEEN d.first AND d.last AND s.version IS NOT NULL
      AND s.settles_with_municipality AND s.municipality_code = p_code
      AND NOT EXISTS (SELECT 1 FROM settlement_rows x WHERE x.member_id = s.member_id
                      AND x.period = s.period AND x.version > s.version)
    GROUP BY s.cooperative_id
),
-- the shareholding covering today, else the latest
share AS (
    SELECT DISTINCT ON (s.cooperative_id) s.cooperative_id, s.since
    FROM d, shareholders s
    WHERE s.municipality_code = p_code
    ORDER BY s.cooperative_id, (s.since <= d.today AND coalesce(s.until >= d.today, true)) DESC,
             s.since DESC
)
SELECT json_build_object(
    'municipality_code', p_code, 'year', p_year,
    'cooperatives', coalesce(json_agg(json_build_object(
        'cooperative_id', co.id, 'legal_name', co.legal_name, 'shareholder_since', share.since,
        'residents', json_build_object(
            'total', coalesce(res.total, 0),
            'by_status', json_build_object('active', coalesce(res.active, 0),
                                           'suspended', coalesce(res.suspended, 0),
                                           'ended', coalesce(res.ended, 0)),
            'by_goal', json_build_object('reintegration', coalesce(res.reintegration, 0),
                                         'social_activation', coalesce(res.social_activation, 0))),
        'active_permissions', coalesce(perm.active, 0),
        'permissions_expiring_60_days', coalesce(perm.expiring, 0),
        'turnover_ytd_cents', coalesce(settled.turnover, 0),
        'amount_settled_ytd_cents', coalesce(settled.settled, 0),
        'outflow_ytd', outflow.doc)
        ORDER BY co.legal_name, co.id), '[]'::json))
FROM co
LEFT JOIN res ON res.cooperative_id = co.id
LEFT JOIN perm ON perm.cooperative_id = co.id
LEFT JOIN settled ON settled.cooperative_id = co.id
LEFT JOIN share ON share.cooperative_id = co.id
LEFT JOIN outflow ON outflow.cooperative_id = co.id
$$;

-- The parts of the municipal view that read beyond the municipality's own rows. Municipal
-- requests run as coopd_municipal (012), which row-level security limits to the municipality's
-- residents; these functions run as coopd's own user (SECURITY DEFINER) and return counts,
-- totals or a yes/no, never a row.
-- The active and suspended members of a cooperative per municipality: counts.
CREATE OR REPLACE FUNCTION cooperative_members_by_municipality(p_coop uuid)
RETURNS TABLE (code text, n bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
SELECT m.municipality_code, count(*) FROM members m
WHERE m.cooperative_id = p_coop AND m.status IN ('active', 'suspended')
GROUP BY m.municipality_code
$$;

-- The cooperative's fee income, collective costs and reserve of a year (the transparency view's
-- part of cooperative_finances).
CREATE OR REPLACE FUNCTION cooperative_public_finances(p_coop uuid, p_year integer) RETURNS json
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
SELECT json_build_object(
    'year', x -> 'year', 'fee_income_cents', x -> 'fee_income_cents',
    'collective_costs_cents', x -> 'collective_costs_cents',
    'collective_costs_by_category', x -> 'collective_costs_by_category',
    'reserve_cents', x -> 'reserve_cents', 'reserve_cap_cents', x -> 'reserve_cap_cents')
FROM cooperative_finances(p_coop, p_year) x
$$;

-- Whether a later finalized version of the member's month exists (it may settle with another
-- municipality, whose row the caller cannot see).
CREATE OR REPLACE FUNCTION settlement_superseded(p_member uuid, p_period date, p_version integer)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
SELECT EXISTS (SELECT 1 FROM settlement_rows y WHERE y.member_id = p_member
               AND y.period = p_period AND y.version > p_version)
$$;

-- GET /v1/municipalities/{code}/cooperatives/{coop_id}: the transparency view of a cooperative
-- the municipality has a resident in or has held a share of (else null: 404, as for an unknown
-- id). members_by_municipality counts the active and suspended members per municipality with
-- at least one: exact for the viewing municipality and from 5 on, "<5" for another's 1-4.
CREATE OR REPLACE FUNCTION municipal_cooperative_view(p_code text, p_coop uuid) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'cooperative', json_build_object(
        'legal_name', c.legal_name, 'trade_name', c.trade_name, 'kvk_number', c.kvk_number,
        'address', address_doc(c.street, c.house_number, c.postal_code, c.city, c.country),
        'email', c.email, 'phone', c.phone),
    'fee_policy', (SELECT fee_policy_doc(f) FROM fee_policies f
                   WHERE f.cooperative_id = c.id AND f.valid_from <= today_nl()
                   ORDER BY f.valid_from DESC LIMIT 1),
    'finances', cooperative_public_finances(c.id, extract(year FROM today_nl())::integer),
    'board', c.board, 'statutes', c.statutes,
    'members_by_municipality', (
        SELECT coalesce(json_agg(json_build_object(
                   'municipality_code', g.code,
                   'count', CASE WHEN g.code = p_code OR g.n >= 5 THEN to_json(g.n)
                                 ELSE to_json('<5'::text) END) ORDER BY g.code), '[]'::json)
        FROM cooperative_members_by_municipality(c.id) g),
    'residents', (SELECT coalesce(json_agg(municipal_resident_doc(m) ORDER BY m.seq), '[]'::json)
                  FROM members m WHERE m.cooperative_id = c.id AND municipal_resident(m, p_code)))
FROM cooperatives c
WHERE c.id = p_coop
  AND (EXISTS (SELECT 1 FROM members m WHERE m.cooperative_id = c.id
               AND municipal_resident(m, p_code))
       OR EXISTS (SELECT 1 FROM shareholders s WHERE s.cooperative_id = c.id
                  AND s.municipality_code = p_code))
$$;

-- GET /v1/municipalities/{code}/reconciliations: a finalized reconciliation as the
-- municipality sees it, with only the months that settled with it (the month's current
-- finalized row settles with the municipality) and its part of the difference; no row when no
-- month did. A member who moved in the year is in each municipality's list with its own
-- months. municipal_reference is the one the municipality's last such month was settled under
-- (the member's present one may be another municipality's).
CREATE OR REPLACE FUNCTION municipal_reconciliation(x reconciliations, p_code text)
RETURNS SETOF json LANGUAGE sql STABLE AS $$
WITH mo AS (
    SELECT e.month, e.n, s.municipal_reference
    FROM jsonb_array_elements(x.months) WITH ORDINALITY AS e(month, n)
    JOIN settlement_rows s ON s.member_id = x.member_id
                          AND s.period = to_date(e.month ->> 'period', 'YYYY-MM')
    WHERE s.version IS NOT NULL AND s.settles_with_municipality AND s.municipality_code = p_code
      AND NOT settlement_superseded(s.member_id, s.period, s.version)
),
t AS (SELECT sum((mo.month ->> 'difference_cents')::bigint) AS diff FROM mo)
SELECT json_build_object(
    'id', x.id, 'member_id', x.member_id,
    'municipal_reference', (SELECT mo.municipal_reference FROM mo ORDER BY mo.n DESC LIMIT 1),
    'cooperative_id', x.cooperative_id, 'year', x.year,
    'finalized_at', rfc3339(x.finalized_at),
    'months', (SELECT json_agg(mo.month ORDER BY mo.n) FROM mo),
    'difference_cents', t.diff,
    'outcome', CASE WHEN t.diff > 0 THEN 'claim' WHEN t.diff < 0 THEN 'back_payment'
                    ELSE 'none' END,
    'outcome_cents', abs(t.diff))
FROM t WHERE t.diff IS NOT NULL
$$;
