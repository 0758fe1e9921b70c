-- Checks the annual reconciliation (reconciliation_compute, sql/functions/reconciliation.sql)
-- against SPEC §6.4 on a database that coopd migrated: the largest-remainder allocation (exact
-- sums, ties to the earlier month, weights by net income), actual costs, the exemption
-- recomputed with the rules of the month, and the outcome. Finalized settlement rows of 2026
-- are written directly; everything is rolled back.
-- Run as tests/run.sh does: psql URL -X -q -v ON_ERROR_STOP=1 -f tests/unit/reconciliation_sql_check.sql
\set ON_ERROR_STOP 1
\o /dev/null
BEGIN;

CREATE TEMPORARY TABLE ctx AS SELECT NULL::uuid AS coop, NULL::uuid AS member;

DO $$
DECLARE
    v_coop uuid;
    v_member uuid;
BEGIN
    INSERT INTO municipalities (code, name) VALUES ('GM9101', 'Afrekening') ON CONFLICT DO NOTHING;
    INSERT INTO cooperatives (legal_name, invoice_prefix, kvk_number, street, house_number,
                              postal_code, city)
    VALUES ('Jaar', 'SJAAR', '12345678', 'Damrak', '1', '1012 LG', 'Amsterdam') RETURNING id INTO v_coop;
    INSERT INTO members (cooperative_id, first_name, last_name, date_of_birth, municipality_code,
                         status, joined_on, street, house_number, postal_code, city)
    VALUES (v_coop, 'Jaar', 'Lid', '1980-01-01', 'GM9101', 'active', '2025-01-01', 'Kade', '1',
            '1011 AB', 'Amsterdam') RETURNING id INTO v_member;
    UPDATE ctx SET coop = v_coop, member = v_member;
END $$;

-- A finalized settling row of month `period` with T, C and N (no fee, no tax reservation, no
-- exemption unless e > 0).
CREATE FUNCTION pg_temp.row(period date, t bigint, c bigint, e bigint DEFAULT 0) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO settlement_periods (cooperative_id, period, status, calculated_at, finalized_at)
    SELECT ctx.coop, period, 'final', now(), now() FROM ctx ON CONFLICT DO NOTHING;
    INSERT INTO settlement_rows (cooperative_id, member_id, period, version, status,
        settles_with_municipality, municipality_code, income_basis, cost_mode, turnover_cents,
        fee_cents, fee_deducted_cents, costs_cents, base_cents, tax_reservation_cents,
        net_income_cents, exemption_cents, premium_cents, amount_to_settle_cents, business_hours,
        business_hours_ytd, calculated_at, finalized_at)
    SELECT ctx.coop, ctx.member, period, 1, 'final', true, 'GM9101', 'work_period',
           'approved_costs', t, 0, 0, c, t - c, 0, t - c, e, 0, t - c - e, 0, 0, now(), now()
    FROM ctx;
$$;

-- The allocated parts of a reconciliation, in month order.
CREATE FUNCTION pg_temp.parts(tax bigint, costs bigint) RETURNS bigint[]
LANGUAGE sql AS $$
    SELECT array_agg((x ->> 'allocated_delta_cents')::bigint ORDER BY x ->> 'period')
    FROM ctx, jsonb_array_elements(reconciliation_compute(ctx.member, 2026, tax, costs) -> 'months') x;
$$;

CREATE FUNCTION pg_temp.expect(label text, got anyelement, want anyelement) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF got IS DISTINCT FROM want THEN
        RAISE EXCEPTION '%: got %, expected %', label, got, want;
    END IF;
END $$;

-- three months of N 100 each (T 150, C 50)
SELECT pg_temp.row('2026-01-01', 150, 50), pg_temp.row('2026-02-01', 150, 50),
       pg_temp.row('2026-03-01', 150, 50);
-- actual costs 149 instead of 150: B_Y = 450 - 149 = 301, Δ = +1: one cent, the tie to January
SELECT pg_temp.expect('Δ +1, ties to the earlier month', pg_temp.parts(0, 149), ARRAY[1, 0, 0]::bigint[]);
SELECT pg_temp.expect('Δ +2', pg_temp.parts(0, 148), ARRAY[1, 1, 0]::bigint[]);
-- tax 100: N_actual 200, Δ -100: 33 each and the cent left over to January
SELECT pg_temp.expect('Δ -100', pg_temp.parts(100, NULL), ARRAY[-34, -33, -33]::bigint[]);
-- tax above the base: N_actual 0, Δ -300: every month to 0, never below
SELECT pg_temp.expect('Δ -300', pg_temp.parts(1000, NULL), ARRAY[-100, -100, -100]::bigint[]);
SELECT pg_temp.expect('no difference', pg_temp.parts(0, NULL), ARRAY[0, 0, 0]::bigint[]);

-- weights follow the net income: a fourth month with N 300 (T 300, C 0), Δ -300 of 600
SELECT pg_temp.row('2026-04-01', 300, 0);
SELECT pg_temp.expect('weighted', pg_temp.parts(300, NULL), ARRAY[-50, -50, -50, -150]::bigint[]);
-- remainders decide: Δ = -7 of N (100, 100, 100, 300): 7/6 → 1.1666 each small month, 3.5 the
-- large one: floors 1, 1, 1, 3 (6), the last cent to the largest remainder (0.5 of April)
SELECT pg_temp.expect('largest remainder', pg_temp.parts(7, NULL), ARRAY[-1, -1, -1, -4]::bigint[]);

-- the totals and the outcome: Δ -100 over months without exemption: S' = N', each month settles
-- less, a back-payment of 100
DO $$
DECLARE
    r jsonb := (SELECT reconciliation_compute(ctx.member, 2026, 100, NULL) FROM ctx);
BEGIN
    PERFORM pg_temp.expect('base', (r ->> 'base_cents')::bigint, 600::bigint);
    PERFORM pg_temp.expect('actual net', (r ->> 'actual_net_income_cents')::bigint, 500::bigint);
    PERFORM pg_temp.expect('provisional net', (r ->> 'provisional_net_income_cents')::bigint, 600::bigint);
    PERFORM pg_temp.expect('delta', (r ->> 'delta_cents')::bigint, -100::bigint);
    PERFORM pg_temp.expect('total', (r ->> 'total_difference_cents')::bigint, -100::bigint);
    PERFORM pg_temp.expect('outcome', r ->> 'outcome', 'back_payment');
    PERFORM pg_temp.expect('outcome cents', (r ->> 'outcome_cents')::bigint, 100::bigint);
    PERFORM pg_temp.expect('sum of parts', (SELECT sum((x ->> 'allocated_delta_cents')::bigint)
        FROM jsonb_array_elements(r -> 'months') x), -100::numeric);
END $$;

ROLLBACK;
