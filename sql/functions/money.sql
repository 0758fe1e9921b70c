-- Members' money besides invoices (SPEC §5): expenses and their decision, hours per ISO week,
-- premiums within the statutory caps.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- The municipal policy that applies to month M of a municipality: the latest version with
-- valid_from <= the first day of M (SPEC §6.1); NULL when there is none.
CREATE OR REPLACE FUNCTION policy_for_month(p_municipality text, p_day date)
RETURNS municipal_policies LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT p FROM municipal_policies p
        WHERE p.municipality_code = p_municipality
          AND p.valid_from <= date_trunc('month', p_day)::date
        ORDER BY p.valid_from DESC LIMIT 1);

-- ---- expenses -----------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION expense_doc(e expenses) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    e.id, e.member_id, e.cooperative_id, e.date, e.description, e.category, e.amount_cents,
    e.vat_cents, e.receipt_reference, e.long_term_obligation, e.status, e.decision_reason,
    e.decided_by, rfc3339(e.decided_at), rfc3339(e.created_at),
    rfc3339(e.updated_at))::expense_doc_fields);

-- Approves or rejects a submitted expense (the caller has locked it). Approval is refused for a
-- long-term obligation and above the max_single_expense_cents of the policy of the member's
-- municipality for the expense's month (the Werkwijzer: no large investments, no long-term
-- obligations such as a lease car or office rent).
CREATE OR REPLACE FUNCTION expense_decide(p_expense uuid, p_approve boolean, p_reason text,
                                          p_user uuid)
RETURNS expenses LANGUAGE plpgsql AS $$
DECLARE
    e expenses;
    lim bigint;
BEGIN
    SELECT * INTO e FROM expenses WHERE id = p_expense FOR UPDATE;
    IF e.status <> 'submitted' THEN
        RAISE EXCEPTION 'invalid_status_transition: the expense was % already', e.status
            USING ERRCODE = 'CO409';
    END IF;
    IF p_approve THEN
        IF e.long_term_obligation THEN
            RAISE EXCEPTION 'investment_not_allowed: a long-term obligation (a lease, a rent) cannot be approved'
                USING ERRCODE = 'CO422';
        END IF;
        SELECT (policy_for_month(m.municipality_code, e.date)).max_single_expense_cents INTO lim
            FROM members m WHERE m.id = e.member_id;
        IF e.amount_cents > lim THEN
            RAISE EXCEPTION 'investment_not_allowed: the expense exceeds the municipality''s maximum of % cents for one expense',
                lim USING ERRCODE = 'CO422';
        END IF;
    END IF;
    UPDATE expenses SET status = CASE WHEN p_approve THEN 'approved' ELSE 'rejected' END,
           decision_reason = p_reason, decided_by = p_user, decided_at = now(),
           row_version = row_version + 1, updated_at = now()
     WHERE id = p_expense RETURNING * INTO e;
    RETURN e;
END $$;

-- ---- hours --------------------------------------------------------------------------------------
-- An ISO week as the API writes it: 2026-W05.
CREATE OR REPLACE FUNCTION iso_week_text(monday date) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_char(monday, 'IYYY-"W"IW');

-- Business hours of a member's ISO year up to and including the week of h: h's own (as the row
-- is, also inside the statement that writes it) and those of the earlier weeks of its year.
CREATE OR REPLACE FUNCTION business_hours_ytd(h member_hours) RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE
RETURN h.business_hours + (SELECT coalesce(sum(x.business_hours), 0) FROM member_hours x
        WHERE x.member_id = h.member_id AND x.week_start < h.week_start
          AND x.week_start >= to_date(to_char(h.week_start, 'IYYY') || '-1', 'IYYY-IW'));

-- Warnings of a year's business hours: at 80 % of the statutory hours criterion (1,225 h a
-- year makes an entrepreneur for the tax law, no longer a part-time one).
CREATE OR REPLACE FUNCTION hours_warnings(ytd numeric, on_day date) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN ytd >= 0.8 * (statutory_on(on_day)).hours_criterion
            THEN json_build_array('hours_criterion_80_percent') ELSE '[]'::json END;

CREATE OR REPLACE FUNCTION hours_doc(h member_hours) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    h.id, h.member_id, h.cooperative_id, iso_week_text(h.week_start) AS week,
    trim_scale(h.business_hours)::text AS business_hours,
    trim_scale(h.jobsearch_hours)::text AS jobsearch_hours, h.applications,
    trim_scale(y.ytd)::text AS business_hours_ytd,
    hours_warnings(y.ytd, h.week_start + 3) AS warnings,
    rfc3339(h.created_at) AS created_at, rfc3339(h.updated_at) AS updated_at
    FROM (SELECT business_hours_ytd(h) AS ytd) y) d);

-- ---- premiums -----------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION premium_doc(p premiums) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    p.id, p.member_id, p.cooperative_id, p.granted_on, p.amount_cents, p.reason,
    rfc3339(p.created_at))::premium_doc_fields);

-- Grants a premium within the caps of the statutory parameters in force on granted_on: at most
-- premium_max_count premiums in its calendar year, together at most premium_year_cap_cents.
-- The member row is locked, so two grants at once cannot both slip under a cap.
CREATE OR REPLACE FUNCTION premium_grant(p_member uuid, p_granted_on date, p_amount bigint,
                                         p_reason text, p_user uuid)
RETURNS premiums LANGUAGE plpgsql AS $$
DECLARE
    s statutory_parameters := statutory_on(p_granted_on);
    coop uuid;
    n integer;
    total bigint;
    p premiums;
BEGIN
    SELECT m.cooperative_id INTO coop FROM members m WHERE m.id = p_member FOR UPDATE;
    SELECT count(*), coalesce(sum(x.amount_cents), 0) INTO n, total FROM premiums x
     WHERE x.member_id = p_member
       AND x.granted_on >= date_trunc('year', p_granted_on)::date
       AND x.granted_on < (date_trunc('year', p_granted_on) + interval '1 year')::date;
    IF s IS NULL OR n + 1 > s.premium_max_count THEN
        RAISE EXCEPTION 'premium_cap_exceeded: at most % premiums a calendar year; % were granted in %',
            coalesce(s.premium_max_count, 0), n, extract(year FROM p_granted_on)
            USING ERRCODE = 'CO422';
    END IF;
    IF total + p_amount > s.premium_year_cap_cents THEN
        RAISE EXCEPTION 'premium_cap_exceeded: premiums of at most % cents a calendar year; % were granted in %',
            s.premium_year_cap_cents, total, extract(year FROM p_granted_on)
            USING ERRCODE = 'CO422';
    END IF;
    INSERT INTO premiums (member_id, cooperative_id, granted_on, amount_cents, reason, created_by)
    VALUES (p_member, coop, p_granted_on, p_amount, p_reason, p_user) RETURNING * INTO p;
    RETURN p;
END $$;
