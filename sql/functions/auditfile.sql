-- The audit file (XAF 3.2, XML Auditfile Financieel) of a cooperative's calendar year, for
-- GET /v1/cooperatives/{id}/auditfile?year= (service/domain/auditfile.c writes the XML): the
-- cooperative's books in the accounts and journals an accountant's package imports. Nothing here
-- is stored: every booking line is derived, when the file is made, from the issued invoices and
-- credit notes, the payments, the members' ledger entries and the collective costs. As the
-- members' ledger and GET .../finances come from the same rows, the file's balances agree with
-- the finances of the same year by construction (README, "Audit file (XAF)").
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. This file comes before common.sql, invoices.sql and ledger.sql in name
-- order: its bodies use only tables, built-in functions, the functions the migrations created
-- (invoice_vat) and the functions defined above them here.

-- ---- the chart of accounts ----------------------------------------------------------------------
-- acc_type: B balance sheet (balans), P profit and loss (winst-en-verliesrekening).
-- cost_category: the collective costs' category booked on the account.
-- The invoiced turnover is the cooperative's own (it issues the invoices and owes their VAT);
-- the members' share of it (7000) is a cost of the same amount, owed to the members at once
-- (1660) and moved to their current accounts (1650) as the customers pay. The cooperative's
-- result of a year is therefore its fee income minus its collective costs: the change of its
-- reserve (0500, where the results of earlier years are in the opening balance).
CREATE OR REPLACE FUNCTION auditfile_accounts()
RETURNS TABLE (acc_id text, acc_desc text, acc_type text, cost_category text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    VALUES
        ('0500', 'Algemene reserve', 'B', NULL::text),
        ('1100', 'Bank', 'B', NULL),
        ('1110', 'Kas en overige ontvangsten', 'B', NULL),
        ('1300', 'Debiteuren', 'B', NULL),
        ('1510', 'Af te dragen btw hoog tarief', 'B', NULL),
        ('1520', 'Af te dragen btw laag tarief', 'B', NULL),
        ('1530', 'Af te dragen btw overige tarieven', 'B', NULL),
        ('1650', 'Rekening-courant leden', 'B', NULL),
        ('1660', 'Aandeel leden in openstaande facturen', 'B', NULL),
        ('4100', 'Collectieve kosten opleiding', 'P', 'training'),
        ('4200', 'Collectieve kosten huisvesting', 'P', 'rent'),
        ('4300', 'Collectieve kosten algemeen', 'P', 'overhead'),
        ('4400', 'Collectieve kosten verzekeringen', 'P', 'insurance'),
        ('4500', 'Collectieve kosten administratie', 'P', 'administration'),
        ('4900', 'Collectieve kosten overig', 'P', 'other'),
        ('7000', 'Aandeel leden in de omzet', 'P', NULL),
        ('8000', 'Omzet hoog tarief', 'P', NULL),
        ('8010', 'Omzet laag tarief', 'P', NULL),
        ('8020', 'Omzet overige tarieven', 'P', NULL),
        ('8030', 'Omzet nultarief, vrijgesteld of verlegd binnen Nederland', 'P', NULL),
        ('8040', 'Omzet verlegd naar andere EU-landen', 'P', NULL),
        ('8100', 'Contributie leden', 'P', NULL)
$$;

-- ---- VAT codes ----------------------------------------------------------------------------------
-- One code per box of the VAT return (aangifte omzetbelasting) a group of invoice lines counts
-- in, as GET .../vat-returns/{quarter} counts it (vat_return, invoices.sql): the turnover
-- account of the box, and the account of the VAT owed where the box has VAT.
CREATE OR REPLACE FUNCTION auditfile_vat_codes()
RETURNS TABLE (vat_id text, vat_desc text, to_pay_acc text, turnover_acc text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    VALUES
        ('1a', 'Leveringen en diensten belast met hoog tarief (rubriek 1a)', '1510', '8000'),
        ('1b', 'Leveringen en diensten belast met laag tarief (rubriek 1b)', '1520', '8010'),
        ('1c', 'Leveringen en diensten belast met overige tarieven (rubriek 1c)', '1530', '8020'),
        ('1e', 'Leveringen en diensten belast met 0% of niet bij u belast (rubriek 1e)', NULL,
         '8030'),
        ('3b', 'Leveringen en diensten naar andere EU-landen, btw verlegd (rubriek 3b)', NULL,
         '8040')
$$;

-- The box of a VAT group (category, rate) of an invoice to a customer with that VAT id: the
-- rule of vat_return.
CREATE OR REPLACE FUNCTION auditfile_vat_box(p_category text, p_rate_bp integer,
                                             p_customer_vat_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN p_category = 'S' AND p_rate_bp = 2100 THEN '1a'
    WHEN p_category = 'S' AND p_rate_bp = 900 THEN '1b'
    WHEN p_category = 'S' THEN '1c'
    WHEN p_category = 'AE' AND coalesce(p_customer_vat_id, 'NL') NOT LIKE 'NL%' THEN '3b'
    ELSE '1e' END;

-- ---- journals -----------------------------------------------------------------------------------
-- jrn_type as the schema names them: S sales, B bank, C cash, M memorial.
CREATE OR REPLACE FUNCTION auditfile_journals()
RETURNS TABLE (journal_no integer, jrn_id text, jrn_desc text, jrn_type text, offset_acc text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    VALUES
        (1, 'VRK', 'Verkoopboek: facturen en creditnota''s', 'S', NULL::text),
        (2, 'BNK', 'Bankboek: betalingen per bank en uitbetalingen aan leden', 'B', '1100'),
        (3, 'KAS', 'Kas: betalingen contant of anders ontvangen', 'C', '1110'),
        (4, 'MEM', 'Memoriaal: contributies en collectieve kosten', 'M', NULL)
$$;

-- ---- the booking lines --------------------------------------------------------------------------
-- Every booking line of the cooperative dated from p_first to p_last. amount_cents: debit
-- positive, credit negative; each transaction's lines sum to 0. A transaction is the lines of
-- one (journal_no, src, tr_key); tr_date, tr_nr (unique within its journal) and tr_desc are the
-- same on all its lines; line_ord orders its lines. rel_id names the customer ('K' and its
-- seq: klant) or member ('L' and its seq: lid) a line is about. The vat_* columns are those of
-- a turnover line.
--
-- src 1: an invoice or credit note issued: receivable (1300) = turnover per VAT group (80xx) +
--   VAT (15xx); and the member's share (7000 against 1660), its net. Lines of 0.00 are left
--   out, but for the receivable: a document of 0.00 still shows in its journal.
-- src 2: a payment received (a refund negative): bank 1100 or cash 1110 against 1300; and the
--   member's share of it (its payment_share ledger entry) from 1660 to the member's current
--   account 1650.
-- src 3, 4: a payout (all its transfers: 1650 against 1100) and its cancellation (the reversals).
-- src 5: the fees booked by one finalization or correction of a month (1650 against 8100).
-- src 6: a reversal of a payment's share (1650 against 1660).
-- src 7: a collective cost (4xxx against 1100; a correction negative).
-- The ledger entries map one to one on the lines of 1650: its balance is the members' balances.
CREATE OR REPLACE FUNCTION auditfile_lines(p_coop uuid, p_first date, p_last date)
RETURNS TABLE (journal_no integer, src integer, tr_key bigint, tr_date date, tr_nr text,
               tr_desc text, line_ord bigint, acc_id text, amount_cents bigint, doc_ref text,
               line_desc text, rel_id text, inv_ref text, vat_id text, vat_rate_bp integer,
               vat_cents bigint)
LANGUAGE sql STABLE AS $$
    WITH
    pay AS ( -- every payment of the cooperative, numbered per document
        SELECT p.*, row_number() OVER (PARTITION BY p.invoice_id ORDER BY p.seq) AS n
        FROM payments p WHERE p.cooperative_id = p_coop
    ),
    le AS ( -- the ledger entries that are not a payment's share, a reversal as what it reverses
        SELECT e.seq, e.member_id, e.amount_cents, e.date, e.created_at, e.kind,
               coalesce(r.kind, e.kind) AS class, coalesce(e.payout_id, r.payout_id) AS payout_id,
               coalesce(e.period, r.period) AS period, e.settlement_version
        FROM ledger_entries e LEFT JOIN ledger_entries r ON r.id = e.reverses_entry_id
        WHERE e.cooperative_id = p_coop AND e.kind <> 'payment_share'
          AND e.date BETWEEN p_first AND p_last
    ),
    lk AS ( -- ... with their transaction: the source and the group of entries booked together
        SELECT le.*,
               CASE WHEN le.kind = 'payout' THEN 3 WHEN le.class = 'payout' THEN 4
                    WHEN le.class = 'fee' THEN 5 ELSE 6 END AS src,
               CASE WHEN le.class = 'payout' THEN le.payout_id::text || ' ' || le.kind ELSE '' END
               || CASE WHEN le.kind = 'payout' THEN '' ELSE ' ' || le.created_at::text END
               || CASE WHEN le.class = 'fee' THEN ' ' || le.period::text ELSE '' END AS grp
        FROM le
    ),
    lg AS (
        SELECT lk.*,
               min(lk.seq) OVER w AS tr_key, sum(lk.amount_cents) OVER w AS total,
               dense_rank() OVER (PARTITION BY lk.src, lk.period ORDER BY lk.created_at) AS n
        FROM lk WINDOW w AS (PARTITION BY lk.src, lk.grp)
    )
    -- 1: sales
    SELECT 1, 1, i.series_number::bigint, i.issue_date, i.number,
           CASE WHEN i.kind = 'invoice' THEN 'Factuur ' || i.number
                ELSE 'Creditnota ' || i.number || ' op factuur ' || o.number END,
           l.ord, l.acc, l.amount, i.number, l.descr, l.rel, l.inv, l.vat_id, l.vat_rate_bp,
           l.vat_cents
    FROM invoices i
    JOIN customers cu ON cu.id = i.customer_id
    JOIN members m ON m.id = i.member_id
    LEFT JOIN invoices o ON o.id = i.credit_of
    CROSS JOIN LATERAL (
        SELECT 0::bigint AS ord, '1300' AS acc, i.gross_cents AS amount,
               cu.name AS descr, 'K' || cu.seq AS rel, i.number AS inv, NULL::text AS vat_id,
               NULL::integer AS vat_rate_bp, NULL::bigint AS vat_cents
        UNION ALL
        SELECT 100 + v.k, c.turnover_acc, -v.base_cents, 'Omzet rubriek ' || c.vat_id, NULL, NULL,
               c.vat_id, v.vat_rate_bp, v.vat_cents
        FROM invoice_vat(i.id) WITH ORDINALITY AS v(vat_category, vat_rate_bp, base_cents,
                                                      vat_cents, k)
        JOIN auditfile_vat_codes() c
          ON c.vat_id = auditfile_vat_box(v.vat_category, v.vat_rate_bp, i.customer ->> 'vat_id')
        WHERE v.base_cents <> 0 OR v.vat_cents <> 0
        UNION ALL
        SELECT 200 + v.k, c.to_pay_acc, -v.vat_cents, 'Btw rubriek ' || c.vat_id, NULL, NULL, NULL,
               NULL, NULL
        FROM invoice_vat(i.id) WITH ORDINALITY AS v(vat_category, vat_rate_bp, base_cents,
                                                      vat_cents, k)
        JOIN auditfile_vat_codes() c
          ON c.vat_id = auditfile_vat_box(v.vat_category, v.vat_rate_bp, i.customer ->> 'vat_id')
        WHERE v.vat_cents <> 0
        UNION ALL
        SELECT x.ord, x.acc, x.amount, 'Aandeel lid', 'L' || m.seq, NULL, NULL, NULL, NULL
        FROM (VALUES (300::bigint, '7000', i.net_cents), (301, '1660', -i.net_cents))
             AS x(ord, acc, amount)
        WHERE i.net_cents <> 0
    ) l
    WHERE i.cooperative_id = p_coop AND i.number IS NOT NULL
      AND i.issue_date BETWEEN p_first AND p_last

    UNION ALL
    -- 2: payments and refunds
    SELECT CASE WHEN p.method = 'bank' THEN 2 ELSE 3 END, 2, p.seq, p.received_on,
           i.number || '-B' || p.n,
           CASE WHEN p.amount_cents < 0 THEN 'Terugbetaling ' ELSE 'Betaling ' END || i.number
           || coalesce(': ' || p.reference, ''),
           l.ord, l.acc, l.amount, i.number, l.descr, l.rel, l.inv, NULL, NULL, NULL
    FROM pay p
    JOIN invoices i ON i.id = p.invoice_id
    JOIN customers cu ON cu.id = i.customer_id
    JOIN members m ON m.id = i.member_id
    LEFT JOIN ledger_entries e ON e.payment_id = p.id AND e.kind = 'payment_share'
    CROSS JOIN LATERAL (VALUES
        (0::bigint, CASE WHEN p.method = 'bank' THEN '1100' ELSE '1110' END, p.amount_cents,
         CASE WHEN p.method = 'bank' THEN 'Bank' WHEN p.method = 'cash' THEN 'Kas'
              ELSE 'Overige ontvangst' END, NULL, NULL),
        (1, '1300', -p.amount_cents, cu.name, 'K' || cu.seq, i.number),
        (2, '1660', e.amount_cents, 'Aandeel lid', 'L' || m.seq, NULL),
        (3, '1650', -e.amount_cents, 'Rekening-courant lid', 'L' || m.seq, NULL)
    ) AS l(ord, acc, amount, descr, rel, inv)
    WHERE p.received_on BETWEEN p_first AND p_last AND l.amount IS NOT NULL AND l.amount <> 0

    UNION ALL
    -- 3, 4, 5, 6: payouts, their cancellations, fees, reversed shares: the entry's line on 1650
    -- and, on the group's first entry, the counter line of the group's total (first); a payout's
-- transfers in their order
    SELECT CASE WHEN g.src IN (3, 4) THEN 2 ELSE 4 END, g.src, g.tr_key, g.date,
           CASE g.src WHEN 3 THEN po.message_id
                      WHEN 4 THEN po.message_id || '-R'
                      WHEN 5 THEN 'CONTR' || to_char(g.period, 'YYYY-MM') || '-' || g.n
                      ELSE 'CORR-' || g.tr_key END,
           CASE g.src WHEN 3 THEN 'Uitbetaling ' || po.message_id
                      WHEN 4 THEN 'Uitbetaling ' || po.message_id || ' geannuleerd'
                      WHEN 5 THEN 'Contributie ' || to_char(g.period, 'YYYY-MM')
                                  || CASE WHEN g.settlement_version > 1 THEN ', correctie'
                                          ELSE '' END
                      ELSE 'Correctie aandeel lid' END,
           l.ord, l.acc, l.amount,
           CASE WHEN l.ord = 0 OR g.src NOT IN (3, 4) THEN
                CASE WHEN g.src IN (3, 4) THEN po.message_id
                     WHEN g.src = 5 THEN to_char(g.period, 'YYYY-MM') || ' v'
                                         || g.settlement_version
                     ELSE 'CORR-' || g.tr_key END
                ELSE t.end_to_end_id END,
           l.descr, l.rel, NULL, NULL, NULL, NULL
    FROM lg g
    JOIN members m ON m.id = g.member_id
    LEFT JOIN payouts po ON po.id = g.payout_id
    LEFT JOIN payout_transfers t ON t.payout_id = g.payout_id AND t.member_id = g.member_id
    CROSS JOIN LATERAL (VALUES
        (CASE WHEN g.src IN (3, 4) THEN t.line_no ELSE g.seq END, '1650', -g.amount_cents,
         CASE WHEN g.src IN (3, 4) THEN coalesce(t.description, 'Uitbetaling')
              WHEN g.src = 5 THEN 'Contributie lid' ELSE 'Rekening-courant lid' END,
         'L' || m.seq),
        (0, CASE g.src WHEN 5 THEN '8100' WHEN 6 THEN '1660' ELSE '1100' END, g.total,
         CASE g.src WHEN 5 THEN 'Contributie' WHEN 6 THEN 'Aandeel leden' ELSE 'Bank' END, NULL)
    ) AS l(ord, acc, amount, descr, rel)
    WHERE (l.ord <> 0 OR g.seq = g.tr_key) AND l.amount <> 0

    UNION ALL
    -- 7: collective costs
    SELECT 4, 7, k.seq, k.date,
           'KOST' || to_char(k.date, 'YYYY') || '-'
           || lpad(k.n::text, greatest(5, length(k.n::text)), '0'),
           k.description, l.ord, l.acc, l.amount, k.id::text, l.descr, NULL, NULL, NULL, NULL,
           NULL
    FROM (SELECT c.*, row_number() OVER (PARTITION BY extract(year FROM c.date) ORDER BY c.seq)
                          AS n
          FROM collective_costs c WHERE c.cooperative_id = p_coop) k
    JOIN auditfile_accounts() a ON a.cost_category = k.category
    CROSS JOIN LATERAL (VALUES (0::bigint, a.acc_id, k.amount_cents, a.acc_desc),
                               (1, '1100', -k.amount_cents, 'Bank')) AS l(ord, acc, amount, descr)
    WHERE k.date BETWEEN p_first AND p_last
$$;

-- ---- what the file's sections need besides the lines --------------------------------------------
-- The count of the lines and their debit and credit totals (the header of <transactions>).
CREATE OR REPLACE FUNCTION auditfile_totals(p_coop uuid, p_first date, p_last date)
RETURNS TABLE (lines bigint, debit_cents bigint, credit_cents bigint)
LANGUAGE sql STABLE AS $$
    SELECT count(*), coalesce(sum(l.amount_cents) FILTER (WHERE l.amount_cents > 0), 0)::bigint,
           coalesce(-sum(l.amount_cents) FILTER (WHERE l.amount_cents < 0), 0)::bigint
    FROM auditfile_lines(p_coop, p_first, p_last) l
$$;

-- The balances at the start of p_first of the balance sheet accounts, from every line dated
-- before it; the profit and loss accounts of those years closed into the reserve (0500). The
-- accounts with a balance other than 0, by number (debit positive).
CREATE OR REPLACE FUNCTION auditfile_opening(p_coop uuid, p_first date)
RETURNS TABLE (acc_id text, balance_cents bigint)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN a.acc_type = 'P' THEN '0500' ELSE l.acc_id END AS acc,
           sum(l.amount_cents)::bigint
    FROM auditfile_lines(p_coop, '-infinity', p_first - 1) l
    JOIN auditfile_accounts() a ON a.acc_id = l.acc_id
    GROUP BY 1
    HAVING sum(l.amount_cents) <> 0
    ORDER BY 1
$$;

-- The relations the lines name: customers (rel_type 'C') with their registration and address,
-- members ('M') with the account they are paid on; by kind, then creation.
CREATE OR REPLACE FUNCTION auditfile_relations(p_coop uuid, p_first date, p_last date)
RETURNS TABLE (rel_id text, rel_type text, name text, kvk_number text, vat_id text,
               street text, house_number text, postal_code text, city text, country text,
               iban text)
LANGUAGE sql STABLE AS $$
    WITH r AS (
        SELECT DISTINCT l.rel_id FROM auditfile_lines(p_coop, p_first, p_last) l
        WHERE l.rel_id IS NOT NULL
    )
    SELECT x.rel_id, x.rel_type, x.name, x.kvk_number, x.vat_id, x.street, x.house_number,
           x.postal_code, x.city, x.country, x.iban
    FROM (
        SELECT 'K' || c.seq AS rel_id, 'C' AS rel_type, c.seq, c.name, c.kvk_number, c.vat_id,
               c.street, c.house_number, c.postal_code, c.city, c.country, NULL::text AS iban
        FROM customers c JOIN r ON r.rel_id = 'K' || c.seq
        WHERE c.cooperative_id = p_coop
        UNION ALL
        SELECT 'L' || m.seq, 'M', m.seq, m.first_name || ' ' || m.last_name, NULL, NULL, NULL,
               NULL, NULL, NULL, NULL, m.iban
        FROM members m JOIN r ON r.rel_id = 'L' || m.seq
        WHERE m.cooperative_id = p_coop
    ) x
    ORDER BY x.rel_type, x.seq
$$;
