-- The scale data set of `make bench` (tests/bench/scale.sh, BENCH_ONLY=scale): cooperatives with
-- two years of issued invoices (numbered as invoice_issue numbers them, with their lines),
-- payments, approved expenses, and every month but the last finalized, with the settlement rows
-- of the members on benefit and their settlement feed. Set-based and in one transaction.
--
-- psql variables (scale.sh sets them from BENCH_SCALE_*):
--   coops        cooperatives of the data set                          (100)
--   members      members of each                                       (10000)
--   growth       more cooperatives, their sizes as an array text       ('{1000,100000}')
--   months       months of invoices, ending with last month            (24)
--   invoices     invoices per member over those months                 (1)
--   benefit_pct  percent of the members on benefit                     (6)
--   paid_pct     percent of the invoices paid (one payment each)       (20)
--   feed_big     feed rows of the largest municipality                 (1000000)
-- The last month stays open (it is the month scale.sh calculates); the months before it are
-- final. The members on benefit settle with their municipality and have a settlement row in
-- every final month, and so feed rows: the first of them (in the order member number, then
-- cooperative, which spreads a municipality over every cooperative) are residents of GM9001
-- until it has about feed_big feed rows, the next of GM9002 (a tenth of that), the next of
-- GM9003 (a hundredth); the others live in GM9010..GM9029.
--
-- Ids are computed, so that scale.sh can name things: cooperative k is
-- 00000000-0000-4000-5c00-<k as 12 hex digits>, member g (numbered over all cooperatives)
-- ...-5c02-<g>, invoice n ...-5c03-<n>.
--
-- Triggers: the loads go through every trigger, with two exceptions, each written out below:
-- invoices are inserted as issued (their lines after them, with invoice_lines_frozen switched
-- off for the load), and nothing that the issue path's triggers would have written is left out.

\set ON_ERROR_STOP 1
BEGIN;

CREATE TEMPORARY TABLE scale_p ON COMMIT DROP AS
SELECT (date_trunc('month', today_nl()) - interval '1 month')::date AS open_month,
       (date_trunc('month', today_nl()) - make_interval(months => :months))::date AS first_month,
       (date_trunc('month', today_nl()) - make_interval(months => :months))::date AS first_day,
       (date_trunc('month', today_nl()) - interval '1 day')::date AS last_day,
       (date_trunc('month', today_nl())::date
        - (date_trunc('month', today_nl()) - make_interval(months => :months))::date) AS ndays,
       :months - 1 AS final_months;

-- ---- cooperatives ---------------------------------------------------------------------------
CREATE TEMPORARY TABLE scale_coops ON COMMIT DROP AS
SELECT k, n, ('00000000-0000-4000-5c00-' || lpad(to_hex(k), 12, '0'))::uuid AS id,
       (sum(n) OVER (ORDER BY k) - n)::bigint AS first_g
FROM (SELECT k, :members AS n FROM generate_series(1, :coops) AS k
      UNION ALL
      SELECT :coops + o::integer, x FROM unnest(:'growth'::integer[]) WITH ORDINALITY AS g(x, o)) c;

INSERT INTO municipalities (code, name)
SELECT 'GM' || lpad(c::text, 4, '0'), 'Schaal ' || c
FROM (SELECT unnest(ARRAY[9001, 9002, 9003]) AS c UNION ALL SELECT generate_series(9010, 9029)) m
ON CONFLICT DO NOTHING;
INSERT INTO municipal_policies (municipality_code, valid_from, fee_deductible, tax_reservation_bp)
SELECT code, '2020-01-01', true, 1000 FROM municipalities WHERE code BETWEEN 'GM9001' AND 'GM9029'
ON CONFLICT DO NOTHING;

INSERT INTO cooperatives (id, legal_name, invoice_prefix, kvk_number, vat_id, iban, street,
                          house_number, postal_code, city)
SELECT c.id, 'Schaal ' || c.k, 'SC' || c.k, '12345678', 'NL002455799B11', 'NL91ABNA0417164300',
       'Neude', '11', '3512 AE', 'Utrecht'
FROM scale_coops c;
-- the fee policy starts with the open month: the final months had none (so their rows have no
-- fee, which is what the calculation gave then), the open month's calculation works it out
INSERT INTO fee_policies (cooperative_id, valid_from, percentage_bp, minimum_monthly_cents)
SELECT c.id, p.open_month, 500, 1000 FROM scale_coops c, scale_p p;
INSERT INTO customers (id, cooperative_id, name, street, house_number, postal_code, city, country,
                       kvk_number, email, payment_terms_days)
SELECT ('00000000-0000-4000-5c01-' || lpad(to_hex((c.k - 1) * 20 + j), 12, '0'))::uuid, c.id,
       'Klant ' || j, 'Rokin', '12', '1012 KT', 'Amsterdam', 'NL', '12345678',
       'klant' || j || '@example.org', 14
FROM scale_coops c, generate_series(1, 20) AS j;

-- ---- members --------------------------------------------------------------------------------
-- member g = first_g + j of cooperative k; on benefit: j % 100 < benefit_pct
CREATE TEMPORARY TABLE scale_members ON COMMIT DROP AS
SELECT c.k, c.id AS coop, j, c.first_g + j AS g,
       ('00000000-0000-4000-5c02-' || lpad(to_hex(c.first_g + j), 12, '0'))::uuid AS id,
       j % 100 < :benefit_pct AS on_benefit
FROM scale_coops c, generate_series(1, c.n) AS j;
CREATE TEMPORARY TABLE scale_benefit ON COMMIT DROP AS
SELECT id, row_number() OVER (ORDER BY j, k) AS b FROM scale_members WHERE on_benefit;
CREATE TEMPORARY TABLE scale_munis ON COMMIT DROP AS
SELECT ceil(:feed_big::numeric / p.final_months)::bigint AS big,
       ceil(:feed_big::numeric / 10 / p.final_months)::bigint AS mid,
       ceil(:feed_big::numeric / 100 / p.final_months)::bigint AS small
FROM scale_p p;

INSERT INTO members (id, cooperative_id, first_name, last_name, date_of_birth, street, house_number,
                     postal_code, city, municipality_code, municipal_reference, status, joined_on,
                     activity_category, activity_description, iban, email, on_benefit)
SELECT m.id, m.coop, 'Lid', 'Schaal ' || m.g, date '1960-01-01' + (m.g % 15000)::integer, 'Kade',
       (m.g % 300 + 1)::text, '3511 AB', 'Utrecht',
       CASE WHEN b.b IS NULL THEN 'GM90' || (10 + m.g % 20)
            WHEN b.b <= x.big THEN 'GM9001'
            WHEN b.b <= x.big + x.mid THEN 'GM9002'
            WHEN b.b <= x.big + x.mid + x.small THEN 'GM9003'
            ELSE 'GM90' || (10 + b.b % 20) END,
       'S-' || m.g, 'active', p.first_day - 365, 'gardening', 'Tuinonderhoud',
       'NL91ABNA0417164300', 'lid' || m.g || '@example.org', m.on_benefit
FROM scale_members m LEFT JOIN scale_benefit b ON b.id = m.id, scale_munis x, scale_p p
ORDER BY m.g;

-- a permission over the whole span and a year beyond, for every member on benefit
INSERT INTO permissions (member_id, cooperative_id, municipality_code, decision_reference,
                         valid_from, valid_until, goal)
SELECT m.id, m.cooperative_id, m.municipality_code, 'B-' || m.municipal_reference,
       p.first_day - 30, p.last_day + 365, 'reintegration'
FROM members m JOIN scale_members s ON s.id = m.id, scale_p p
WHERE m.on_benefit;

-- ---- invoices -------------------------------------------------------------------------------
-- Invoice t (1-based) of member g is number n = (g - 1) * invoices + t, supplied (and issued,
-- due in 14 days) on a day of the span; 1 to 3 lines of hours at 21 % VAT: line l has quantity
-- l + n % 4 at 2500 + n % 1000 cents, so the net is price × (nl (nl + 1) / 2 + nl × (n % 4)),
-- and the VAT, rounded once per (category, rate) as invoice_vat does, round(net × 21 / 100).
-- Numbered per cooperative and year in the order of the issue dates, as invoice_issue
-- numbers them ("<prefix><year>-<5 digits>").
CREATE TEMPORARY TABLE scale_invoices ON COMMIT DROP AS
SELECT n, id, coop, k, member, d, nl, price, net,
       round(net * 21 / 100.0)::bigint AS vat,
       row_number() OVER (PARTITION BY coop, extract(year FROM d) ORDER BY d, n) AS series_number
FROM (SELECT n, ('00000000-0000-4000-5c03-' || lpad(to_hex(n), 12, '0'))::uuid AS id,
             m.coop, m.k, m.id AS member,
             p.first_day + ((m.g * 37 + t * 101) % p.ndays)::integer AS d,
             (n % 3 + 1)::integer AS nl, 2500 + n % 1000 AS price,
             (2500 + n % 1000) * ((n % 3 + 1) * (n % 3 + 2) / 2 + (n % 3 + 1) * (n % 4)) AS net
      FROM scale_members m, generate_series(1, :invoices) AS t, scale_p p,
           LATERAL (SELECT (m.g - 1) * :invoices + t AS n) x) i;

CREATE TEMPORARY TABLE scale_docs ON COMMIT DROP AS
SELECT c.id AS coop, cooperative_doc(c)::jsonb AS supplier FROM cooperatives c JOIN scale_coops s ON s.id = c.id;
CREATE TEMPORARY TABLE scale_customer_docs ON COMMIT DROP AS
SELECT cu.id, row_number() OVER (PARTITION BY cu.cooperative_id ORDER BY cu.seq) - 1 AS j,
       cu.cooperative_id AS coop, customer_doc(cu)::jsonb AS doc
FROM customers cu JOIN scale_coops s ON s.id = cu.cooperative_id;

-- Paid invoices (n % 100 < paid_pct) are inserted paid in full; their payment follows below.
INSERT INTO invoices (id, cooperative_id, member_id, customer_id, status, number, series_year,
                      series_number, issue_date, supply_date, due_date, description, net_cents,
                      vat_cents, gross_cents, paid_cents, supplier, customer, member, issued_at,
                      created_at, updated_at)
SELECT i.id, i.coop, i.member, cu.id,
       CASE WHEN i.n % 100 < :paid_pct THEN 'paid' ELSE 'issued' END,
       'SC' || i.k || extract(year FROM i.d) || '-' || lpad(i.series_number::text, 5, '0'),
       extract(year FROM i.d)::integer, i.series_number, i.d, i.d, i.d + 14, 'Werk ' || i.n,
       i.net, i.vat, i.net + i.vat, CASE WHEN i.n % 100 < :paid_pct THEN i.net + i.vat ELSE 0 END,
       sd.supplier, cu.doc,
       jsonb_build_object('first_name', 'Lid', 'last_name', 'Schaal ' || m.g,
                          'activity_description', 'Tuinonderhoud'),
       i.d + time '10:00', i.d + time '09:00', i.d + time '10:00'
FROM scale_invoices i JOIN scale_members m ON m.id = i.member
JOIN scale_docs sd ON sd.coop = i.coop
JOIN scale_customer_docs cu ON cu.coop = i.coop AND cu.j = i.n % 20
ORDER BY i.d, i.n;

INSERT INTO invoice_series (cooperative_id, year, last_number, last_issue_date)
SELECT coop, extract(year FROM d)::integer, max(series_number), max(d)
FROM scale_invoices GROUP BY coop, extract(year FROM d)::integer;

-- invoice_lines_frozen refuses lines of a numbered invoice and writes nothing itself: an issued
-- invoice's lines were written while it was a draft. Inserting the invoices as issued first
-- (they are their own foreign key's target) needs it off for this statement; the lines are
-- exactly those the totals above were computed from.
ALTER TABLE invoice_lines DISABLE TRIGGER invoice_lines_frozen;
INSERT INTO invoice_lines (invoice_id, line_no, description, quantity, unit, unit_price_cents,
                           activity_category, vat_category, vat_rate_bp)
SELECT i.id, l, 'Tuinonderhoud', l + i.n % 4, 'hour', i.price, 'gardening', 'S', 2100
FROM scale_invoices i, generate_series(1, i.nl) AS l;
ALTER TABLE invoice_lines ENABLE TRIGGER invoice_lines_frozen;

-- ---- payments and expenses ------------------------------------------------------------------
-- One payment in full per paid invoice, ten days after its issue, through every trigger
-- (ledger_payment books the member's share, settlement_mark_payment finds no final month yet:
-- the months are finalized below, after their payments, as they would have been).
-- The triggers run per row, and their statements are planned while the tables they read are
-- still empty (no statistics inside this transaction): with sequential scans, which this load
-- then repeats for every one of its rows over ledger_entries as it grows (quadratic: most of an
-- hour at full size). In service the tables are analyzed and these plans use their indexes; so
-- they do here, for this statement.
SET LOCAL enable_seqscan = off;
INSERT INTO payments (invoice_id, cooperative_id, amount_cents, received_on, method, reference)
SELECT i.id, i.coop, i.net + i.vat, least(i.d + 10, p.last_day), 'bank', 'Betaling ' || i.n
FROM scale_invoices i, scale_p p
WHERE i.n % 100 < :paid_pct
ORDER BY least(i.d + 10, p.last_day), i.n;
RESET enable_seqscan;

-- four approved expenses per member on benefit over the span
INSERT INTO expenses (member_id, cooperative_id, date, description, category, amount_cents,
                      vat_cents, status, decided_at)
SELECT m.id, m.coop, p.first_day + ((m.g * 13 + e * 89) % p.ndays)::integer, 'Reiskosten',
       'travel', 1000 + (m.g + e) % 5000, 0, 'approved', now()
FROM scale_members m, generate_series(1, 4) AS e, scale_p p
WHERE m.on_benefit;

-- ---- finalized months -----------------------------------------------------------------------
INSERT INTO settlement_periods (cooperative_id, period, status, calculated_at, finalized_at)
SELECT c.id, (p.first_month + make_interval(months => f))::date, 'final',
       p.first_month + make_interval(months => f + 1, days => 2),
       p.first_month + make_interval(months => f + 1, days => 3)
FROM scale_coops c, scale_p p, generate_series(0, p.final_months - 1) AS f;

-- Version 1 of every member on benefit in every final month, as a finalization leaves it:
-- the month's invoiced net as turnover (basis work_period, cost mode none), no fee (no fee
-- policy then), 10 % tax reservation, no exemption (the permissions have no window). Inserted
-- final, in month order, they enter the feed through settlement_feed_corrected as a
-- correction's versions do (the positions follow the insert's order); no fee: no ledger entry.
INSERT INTO settlement_rows (cooperative_id, member_id, period, version, status,
    settles_with_municipality, municipality_code, municipal_reference, permission_id,
    income_basis, cost_mode, policy_valid_from, parameters_valid_from, turnover_cents, fee_cents,
    fee_deducted_cents, costs_cents, base_cents, tax_reservation_cents, net_income_cents,
    exemption_cents, premium_cents, amount_to_settle_cents, business_hours, business_hours_ytd,
    warnings, calculated_at, finalized_at)
SELECT m.cooperative_id, m.id, sp.period, 1, 'final', true, m.municipality_code,
       m.municipal_reference, pm.id, 'work_period', 'none', '2020-01-01',
       (SELECT max(valid_from) FROM statutory_parameters WHERE valid_from <= sp.period),
       t.net, 0, 0, 0, t.net, t.net / 10, t.net - t.net / 10, 0, 0, t.net - t.net / 10, 0, 0,
       '{}', sp.calculated_at, sp.finalized_at
FROM settlement_periods sp
JOIN scale_coops c ON c.id = sp.cooperative_id
JOIN members m ON m.cooperative_id = sp.cooperative_id AND m.on_benefit
JOIN permissions pm ON pm.member_id = m.id
LEFT JOIN (SELECT i.member, date_trunc('month', i.d)::date AS period, sum(i.net)::bigint AS net
           FROM scale_invoices i GROUP BY 1, 2) n ON n.member = m.id AND n.period = sp.period
CROSS JOIN LATERAL (SELECT coalesce(n.net, 0) AS net) t
ORDER BY sp.period, c.k, m.seq;

COMMIT;
VACUUM ANALYZE;
