-- Checks the arithmetic of the monthly settlement (settlement_compute, sql/functions/settlement.sql)
-- against SPEC §6.3 on a database that coopd migrated: the four worked examples, and the edges
-- (half a cent, negative turnover, fee minimum/maximum/waiver, flat-rate costs, approved costs,
-- the exemption cap, age on the first day of the month, months outside the window, a member
-- off benefit, each income basis, premiums, hours and warnings). Month: March 2026 (the 2026
-- parameters: exemption 25 %, cap 28500). Everything runs in a transaction that is rolled back.
-- Run as tests/run.sh does: psql URL -X -q -v ON_ERROR_STOP=1 -f tests/unit/settlement_sql_check.sql
\set ON_ERROR_STOP 1
BEGIN;

CREATE SEQUENCE pg_temp.numbers;

-- An issued invoice (or, with a negative net, a credit note) of member m for customer c.
CREATE FUNCTION pg_temp.issued(m uuid, c uuid, net bigint, supply date, issued date,
                               override boolean DEFAULT false) RETURNS uuid
LANGUAGE sql AS $$
    INSERT INTO invoices (cooperative_id, member_id, customer_id, kind, status, number, series_year,
                          series_number, issue_date, supply_date, due_date, net_cents, vat_cents,
                          gross_cents, issued_at, credit_of, reason, rate_floor_override)
    SELECT mm.cooperative_id, m, c, 'invoice', 'issued', 'T-' || gen_random_uuid(),
           extract(year FROM issued)::integer, nextval('pg_temp.numbers'), issued, supply,
           issued + 14, net, net * 21 / 100, net + net * 21 / 100, now(), NULL, NULL,
           CASE WHEN override THEN '{"reason": "test"}'::jsonb END
    FROM members mm WHERE mm.id = m
    RETURNING id;
$$;

-- The expected figures of one member's row: the columns of §6.3 in order
-- T, F, Fd, C, B, X, N, E, S, P.
CREATE FUNCTION pg_temp.expect(label text, coop uuid, m uuid, want bigint[], want_settles boolean,
                               want_warnings text[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    got bigint[];
BEGIN
    SELECT * INTO r FROM settlement_compute(coop, date '2026-03-01', m);
    IF NOT FOUND THEN
        RAISE EXCEPTION '%: no row', label;
    END IF;
    got := ARRAY[r.turnover_cents, r.fee_cents, r.fee_deducted_cents, r.costs_cents, r.base_cents,
                 r.tax_reservation_cents, r.net_income_cents, r.exemption_cents,
                 r.amount_to_settle_cents, r.premium_cents];
    IF got IS DISTINCT FROM want OR r.settles_with_municipality IS DISTINCT FROM want_settles THEN
        RAISE EXCEPTION '%: T F Fd C B X N E S P = %, settles %; expected %, settles %',
            label, got, r.settles_with_municipality, want, want_settles;
    END IF;
    IF want_warnings IS NOT NULL AND r.warnings IS DISTINCT FROM want_warnings THEN
        RAISE EXCEPTION '%: warnings %, expected %', label, r.warnings, want_warnings;
    END IF;
END $$;

DO $$
DECLARE
    free_coop uuid;  -- no fee policy
    fee_coop uuid;   -- fee 5 %
    clamp_coop uuid; -- fee 5 % + 10.00 a month, at least 25.00, at most 40.00, not waived
    cust uuid;
    cust2 uuid;
    m uuid;
    flat text := 'GM9001';
    ex text := 'GM9002';    -- fee deductible, tax reservation 10 %
    approved text := 'GM9003';
    payment text := 'GM9004';
    issuedate text := 'GM9005';
BEGIN
    INSERT INTO municipalities (code, name)
    VALUES (flat, 'Vlak'), (ex, 'Voorbeeld'), (approved, 'Kosten'), (payment, 'Betaald'),
           (issuedate, 'Factuurdatum');
    INSERT INTO municipal_policies (municipality_code, valid_from, cost_mode, flat_rate_bp)
    VALUES (flat, '2026-01-01', 'flat_rate', 4000);
    INSERT INTO municipal_policies (municipality_code, valid_from, fee_deductible, tax_reservation_bp)
    VALUES (ex, '2026-01-01', true, 1000);
    -- a later version does not apply to March
    INSERT INTO municipal_policies (municipality_code, valid_from, tax_reservation_bp)
    VALUES (ex, '2026-03-02', 9000);
    INSERT INTO municipal_policies (municipality_code, valid_from, cost_mode)
    VALUES (approved, '2026-01-01', 'approved_costs');
    INSERT INTO municipal_policies (municipality_code, valid_from, income_basis)
    VALUES (payment, '2026-01-01', 'payment_date'), (issuedate, '2026-01-01', 'invoice_date');

    INSERT INTO cooperatives (legal_name, invoice_prefix, kvk_number, street, house_number,
                              postal_code, city)
    VALUES ('Vrij', 'SVRIJ', '12345678', 'Damrak', '1', '1012 LG', 'Amsterdam') RETURNING id INTO free_coop;
    INSERT INTO cooperatives (legal_name, invoice_prefix, kvk_number, street, house_number,
                              postal_code, city)
    VALUES ('Fee', 'SFEE', '12345678', 'Damrak', '1', '1012 LG', 'Amsterdam') RETURNING id INTO fee_coop;
    INSERT INTO cooperatives (legal_name, invoice_prefix, kvk_number, street, house_number,
                              postal_code, city)
    VALUES ('Klem', 'SKLEM', '12345678', 'Damrak', '1', '1012 LG', 'Amsterdam') RETURNING id INTO clamp_coop;
    INSERT INTO fee_policies (cooperative_id, valid_from, percentage_bp) VALUES (fee_coop, '2025-01-01', 500);
    INSERT INTO fee_policies (cooperative_id, valid_from, percentage_bp, fixed_monthly_cents,
                              minimum_monthly_cents, maximum_monthly_cents, waive_without_turnover)
    VALUES (clamp_coop, '2025-01-01', 500, 1000, 2500, 4000, false);

    CREATE TEMPORARY TABLE people (label text PRIMARY KEY, id uuid, coop uuid);

    -- every member: active since 2025, on benefit, with a permission of its municipality
    -- covering 2026 (exemption window March–August unless said otherwise)
    CREATE FUNCTION pg_temp.person(label text, coop uuid, muni text, born date,
                                   on_benefit boolean DEFAULT true, window_from date DEFAULT '2026-03-01',
                                   window_until date DEFAULT '2026-08-01',
                                   permission boolean DEFAULT true) RETURNS uuid
    LANGUAGE plpgsql AS $f$
    DECLARE
        id uuid;
    BEGIN
        INSERT INTO members (cooperative_id, first_name, last_name, date_of_birth, municipality_code,
                             municipal_reference, on_benefit, status, joined_on, street,
                             house_number, postal_code, city)
        VALUES (coop, 'Test', label, born, muni, 'REF-' || label, on_benefit, 'active', '2025-01-01',
                'Kade', '1', '1011 AB', 'Amsterdam')
        RETURNING members.id INTO id;
        IF permission THEN
            INSERT INTO permissions (member_id, cooperative_id, municipality_code, decision_reference,
                                     valid_from, valid_until, goal, exemption_from, exemption_until)
            VALUES (id, coop, muni, 'B-' || label, '2026-01-01', '2026-12-31', 'reintegration',
                    window_from, window_until);
        END IF;
        INSERT INTO people VALUES (label, id, coop);
        RETURN id;
    END $f$;

    INSERT INTO customers (cooperative_id, name) VALUES (free_coop, 'Klant') RETURNING id INTO cust;

    -- 1. flat rate 40 %, no fee, no tax reservation: T 10000 → C 4000, N 6000, S 6000
    --    (no exemption window: E 0)
    m := pg_temp.person('ex1', free_coop, flat, '1990-01-01', window_from => NULL, window_until => NULL);
    PERFORM pg_temp.issued(m, cust, 10000, '2026-03-15', '2026-03-20');
    PERFORM pg_temp.expect('example 1', free_coop, m, ARRAY[10000, 0, 0, 4000, 6000, 0, 6000, 0, 6000, 0]::bigint[], true);

    -- 2-4: fee 5 %, deductible, no costs, tax reservation 10 %, window active
    INSERT INTO customers (cooperative_id, name) VALUES (fee_coop, 'Klant') RETURNING id INTO cust;
    INSERT INTO customers (cooperative_id, name) VALUES (fee_coop, 'Tweede klant') RETURNING id INTO cust2;
    m := pg_temp.person('ex2', fee_coop, ex, '1991-03-01'); -- 35 on 1 March 2026
    PERFORM pg_temp.issued(m, cust, 70000, '2026-03-02', '2026-03-31');
    PERFORM pg_temp.issued(m, cust2, 50000, '2026-03-31', '2026-04-02');
    PERFORM pg_temp.expect('example 2', fee_coop, m, ARRAY[120000, 6000, 6000, 0, 114000, 11400, 102600, 25650, 76950, 0]::bigint[], true, '{}');
    m := pg_temp.person('ex3', fee_coop, ex, '1991-03-01');
    PERFORM pg_temp.issued(m, cust, 200000, '2026-03-10', '2026-03-10');
    PERFORM pg_temp.expect('example 3', fee_coop, m, ARRAY[200000, 10000, 10000, 0, 190000, 19000, 171000, 28500, 142500, 0]::bigint[], true);
    -- 4. aged 26: 27 only on 2 March, after the first day of the month
    m := pg_temp.person('ex4', fee_coop, ex, '1999-03-02');
    PERFORM pg_temp.issued(m, cust, 120000, '2026-03-10', '2026-03-10');
    PERFORM pg_temp.expect('example 4', fee_coop, m, ARRAY[120000, 6000, 6000, 0, 114000, 11400, 102600, 0, 102600, 0]::bigint[], true);
    -- 27 on the first day counts
    m := pg_temp.person('age27', fee_coop, ex, '1999-03-01');
    PERFORM pg_temp.issued(m, cust, 120000, '2026-03-10', '2026-03-10');
    PERFORM pg_temp.expect('27 on the first day', fee_coop, m, ARRAY[120000, 6000, 6000, 0, 114000, 11400, 102600, 25650, 76950, 0]::bigint[], true);

    -- months outside the window: it begins in April
    m := pg_temp.person('window', fee_coop, ex, '1980-01-01', window_from => '2026-04-01', window_until => '2026-06-01');
    PERFORM pg_temp.issued(m, cust, 120000, '2026-03-10', '2026-03-10');
    PERFORM pg_temp.expect('outside the window', fee_coop, m, ARRAY[120000, 6000, 6000, 0, 114000, 11400, 102600, 0, 102600, 0]::bigint[], true);

    -- exactly half a cent rounds away from zero: T 10 → F = round(0.5) = 1, B 9,
    -- X = round(0.9) = 1, N 8, E = round(2.0) = 2, S 6; and T 30 → F = round(1.5) = 2, B 28,
    -- X = round(2.8) = 3, N 25, E = round(6.25) = 6, S 19
    m := pg_temp.person('half', fee_coop, ex, '1980-01-01');
    PERFORM pg_temp.issued(m, cust, 10, '2026-03-10', '2026-03-10');
    PERFORM pg_temp.expect('half a cent (fee of 10)', fee_coop, m, ARRAY[10, 1, 1, 0, 9, 1, 8, 2, 6, 0]::bigint[], true);
    m := pg_temp.person('half2', fee_coop, ex, '1980-01-01');
    PERFORM pg_temp.issued(m, cust, 30, '2026-03-10', '2026-03-10');
    PERFORM pg_temp.expect('half a cent (fee of 30)', fee_coop, m, ARRAY[30, 2, 2, 0, 28, 3, 25, 6, 19, 0]::bigint[], true);
    -- below half rounds down: flat 40 % of 3 = 1.2 → 1
    m := pg_temp.person('down', free_coop, flat, '1980-01-01', window_from => NULL, window_until => NULL);
    PERFORM pg_temp.issued(m, (SELECT id FROM customers WHERE cooperative_id = free_coop LIMIT 1), 3, '2026-03-10', '2026-03-10');
    PERFORM pg_temp.expect('below half a cent', free_coop, m, ARRAY[3, 0, 0, 1, 2, 0, 2, 0, 2, 0]::bigint[], true);

    -- negative turnover (a credit note larger than the month's invoices): B 0; the fee is
    -- waived without turnover
    m := pg_temp.person('credit', fee_coop, ex, '1980-01-01');
    PERFORM pg_temp.issued(m, cust, 3000, '2026-03-05', '2026-03-05');
    PERFORM pg_temp.issued(m, cust, -8000, '2026-03-06', '2026-03-06');
    PERFORM pg_temp.expect('negative turnover', fee_coop, m, ARRAY[-5000, 0, 0, 0, 0, 0, 0, 0, 0, 0]::bigint[], true);

    -- the fee's minimum, maximum and no waiver (cooperative "Klem", no municipality rules)
    INSERT INTO customers (cooperative_id, name) VALUES (clamp_coop, 'Klant') RETURNING id INTO cust;
    m := pg_temp.person('min', clamp_coop, flat, '1980-01-01', window_from => NULL, window_until => NULL);
    PERFORM pg_temp.expect('fee minimum without turnover, not waived', clamp_coop, m, ARRAY[0, 2500, 0, 0, 0, 0, 0, 0, 0, 0]::bigint[], true);
    m := pg_temp.person('mid', clamp_coop, flat, '1980-01-01', window_from => NULL, window_until => NULL);
    PERFORM pg_temp.issued(m, cust, 50000, '2026-03-05', '2026-03-05'); -- 2500 + 1000 = 3500
    PERFORM pg_temp.expect('fee between minimum and maximum', clamp_coop, m, ARRAY[50000, 3500, 0, 20000, 30000, 0, 30000, 0, 30000, 0]::bigint[], true);
    m := pg_temp.person('max', clamp_coop, flat, '1980-01-01', window_from => NULL, window_until => NULL);
    PERFORM pg_temp.issued(m, cust, 100000, '2026-03-05', '2026-03-05'); -- 5000 + 1000 → 4000
    PERFORM pg_temp.expect('fee maximum', clamp_coop, m, ARRAY[100000, 4000, 0, 40000, 60000, 0, 60000, 0, 60000, 0]::bigint[], true);

    -- approved costs: approved expenses of the month, without their VAT; others do not count
    INSERT INTO customers (cooperative_id, name) VALUES (free_coop, 'Klant kosten') RETURNING id INTO cust;
    m := pg_temp.person('costs', free_coop, approved, '1980-01-01');
    PERFORM pg_temp.issued(m, cust, 80000, '2026-03-05', '2026-03-05');
    INSERT INTO expenses (member_id, cooperative_id, date, description, category, amount_cents, vat_cents, status, decided_at)
    VALUES (m, free_coop, '2026-03-03', 'Trein', 'travel', 12100, 2100, 'approved', now()),
           (m, free_coop, '2026-03-31', 'Telefoon', 'phone', 5000, 0, 'approved', now()),
           (m, free_coop, '2026-03-04', 'Laptop', 'materials', 99900, 0, 'submitted', NULL),
           (m, free_coop, '2026-04-01', 'April', 'other', 1000, 0, 'approved', now());
    -- C = 10000 + 5000; B 65000; E = 25 % = 16250; S 48750
    PERFORM pg_temp.expect('approved costs', free_coop, m, ARRAY[80000, 0, 0, 15000, 65000, 0, 65000, 16250, 48750, 0]::bigint[], true);

    -- the exemption cap, a premium (reported, not deducted) and the hours of the month
    m := pg_temp.person('cap', free_coop, approved, '1980-01-01');
    PERFORM pg_temp.issued(m, cust, 400000, '2026-03-05', '2026-03-05');
    INSERT INTO premiums (member_id, cooperative_id, granted_on, amount_cents, reason)
    VALUES (m, free_coop, '2026-03-20', 150000, 'test'), (m, free_coop, '2026-02-20', 1000, 'februari');
    PERFORM pg_temp.expect('exemption cap and premium', free_coop, m, ARRAY[400000, 0, 0, 0, 400000, 0, 400000, 28500, 371500, 150000]::bigint[], true);

    -- off benefit: reported, not settled; no municipality, E 0, S 0
    m := pg_temp.person('off', free_coop, approved, '1980-01-01', on_benefit => false, permission => false);
    PERFORM pg_temp.issued(m, cust, 40000, '2026-03-05', '2026-03-05');
    PERFORM pg_temp.expect('off benefit', free_coop, m, ARRAY[40000, 0, 0, 0, 40000, 0, 40000, 0, 0, 0]::bigint[], false);
    IF (SELECT municipality_code FROM settlement_compute(free_coop, '2026-03-01', m)) IS NOT NULL THEN
        RAISE EXCEPTION 'off benefit: a municipality';
    END IF;

    -- on benefit without a permission: settles with its own municipality, with a warning
    m := pg_temp.person('noperm', free_coop, approved, '1980-01-01', permission => false);
    PERFORM pg_temp.issued(m, cust, 40000, '2026-03-05', '2026-03-05');
    PERFORM pg_temp.expect('without permission', free_coop, m, ARRAY[40000, 0, 0, 0, 40000, 0, 40000, 0, 40000, 0]::bigint[], true,
                           '{turnover_without_permission,single_customer}');

    -- income bases: the same three invoices, by supply date, issue date and payment
    INSERT INTO customers (cooperative_id, name) VALUES (free_coop, 'Klant bases') RETURNING id INTO cust;
    m := pg_temp.person('work', free_coop, flat, '1980-01-01', window_from => NULL, window_until => NULL);
    PERFORM pg_temp.issued(m, cust, 1000, '2026-02-27', '2026-03-02'); -- issued in March
    PERFORM pg_temp.issued(m, cust, 2000, '2026-03-30', '2026-04-01'); -- supplied in March
    PERFORM pg_temp.expect('work_period', free_coop, m, ARRAY[2000, 0, 0, 800, 1200, 0, 1200, 0, 1200, 0]::bigint[], true);
    m := pg_temp.person('issue', free_coop, issuedate, '1980-01-01', permission => false);
    PERFORM pg_temp.issued(m, cust, 1000, '2026-02-27', '2026-03-02');
    PERFORM pg_temp.issued(m, cust, 2000, '2026-03-30', '2026-04-01');
    PERFORM pg_temp.expect('invoice_date', free_coop, m, ARRAY[1000, 0, 0, 0, 1000, 0, 1000, 0, 1000, 0]::bigint[], true);
    PERFORM pg_temp.person('pay', free_coop, payment, '1980-01-01', permission => false);

    -- a move between municipalities in March: the permission of the old one ends on the 14th,
    -- the new one's begins on the 15th; both cover March, and the later one settles, under its
    -- municipality's policy (flat rate 40 %, no tax reservation), not the old one's
    m := pg_temp.person('moved', free_coop, flat, '1980-01-01', permission => false);
    INSERT INTO permissions (member_id, cooperative_id, municipality_code, decision_reference,
                             valid_from, valid_until, goal)
    VALUES (m, free_coop, ex, 'B-old', '2025-06-01', '2026-03-14', 'reintegration'),
           (m, free_coop, flat, 'B-new', '2026-03-15', '2026-12-31', 'reintegration');
    PERFORM pg_temp.issued(m, (SELECT id FROM customers WHERE cooperative_id = free_coop LIMIT 1),
                           10000, '2026-03-10', '2026-03-10');
    PERFORM pg_temp.expect('a move: the later permission and its policy', free_coop, m,
                           ARRAY[10000, 0, 0, 4000, 6000, 0, 6000, 0, 6000, 0]::bigint[], true);
    IF (SELECT municipality_code FROM settlement_compute(free_coop, '2026-03-01', m)) <> flat THEN
        RAISE EXCEPTION 'a move: settles with the old municipality';
    END IF;

    -- hours: a week counts in the month of its Thursday; the year so far, and the warning at
    -- 80 % of 1225 h (980)
    m := pg_temp.person('hours', free_coop, flat, '1980-01-01', window_from => NULL, window_until => NULL);
    INSERT INTO member_hours (member_id, cooperative_id, week_start, business_hours)
    SELECT m, free_coop, w, 160
    FROM unnest(ARRAY['2026-01-05', '2026-01-12', '2026-01-19', '2026-01-26', '2026-02-02',
                      '2026-02-09']::date[]) AS w;
    INSERT INTO member_hours (member_id, cooperative_id, week_start, business_hours)
    VALUES (m, free_coop, '2026-02-23', 10),  -- Thursday 26 February
           (m, free_coop, '2026-03-02', 20),  -- Thursday 5 March
           (m, free_coop, '2026-03-30', 40);  -- Thursday 2 April: not March
    IF (SELECT ARRAY[business_hours, business_hours_ytd] FROM settlement_compute(free_coop, '2026-03-01', m))
       IS DISTINCT FROM ARRAY[20, 990]::numeric[]
       OR NOT (SELECT 'hours_criterion_80_percent' = ANY (warnings) FROM settlement_compute(free_coop, '2026-03-01', m)) THEN
        RAISE EXCEPTION 'hours: %', (SELECT row(business_hours, business_hours_ytd, warnings)
                                      FROM settlement_compute(free_coop, '2026-03-01', m));
    END IF;
END $$;

-- payment_date: one invoice of net 1000, gross 1210, paid in three parts. 605 in March counts
-- round(605 × 1000 / 1210) = 500, 1 cent in March round(0.826) = 1, 604 in April not at all.
DO $$
DECLARE
    m uuid := (SELECT id FROM people WHERE label = 'pay');
    coop uuid := (SELECT coop FROM people WHERE label = 'pay');
    inv uuid;
BEGIN
    inv := pg_temp.issued(m, (SELECT id FROM customers WHERE cooperative_id = coop LIMIT 1), 1000,
                          '2026-01-10', '2026-01-10');
    INSERT INTO payments (invoice_id, cooperative_id, amount_cents, received_on, method)
    VALUES (inv, coop, 605, '2026-03-10', 'bank'), (inv, coop, 1, '2026-03-11', 'bank'),
           (inv, coop, 604, '2026-04-02', 'bank');
    PERFORM pg_temp.expect('payment_date', coop, m, ARRAY[501, 0, 0, 0, 501, 0, 501, 0, 501, 0]::bigint[], true);
END $$;

ROLLBACK;
