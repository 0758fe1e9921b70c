-- The members' ledgers, payouts, collective costs and the cooperative's finances (SPEC §5
-- "Members' money", §9): which event books which entry, the balance under a lock, payouts and
-- their SEPA document, and the year's flows and positions.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).
--
-- Locks, always in this order, so that bookings never deadlock: the cooperative's row (FOR SHARE
-- by a change that may count in a month, FOR NO KEY UPDATE by a finalization or correction:
-- settlement_mark), then members' accounts in member_id order. A payout takes only accounts.

-- ---- booking an entry ---------------------------------------------------------------------------
-- Trigger ledger_entries_book (010), BEFORE INSERT: numbers the entry and sets its running
-- balance from the member's account, which it updates (the account row's lock is the member's
-- ledger lock, held to the end of the transaction). A payout may not take the balance below 0:
-- payout_create checks that first with a clear message; this is the rule whatever path a payout
-- entry takes. A reversal books the opposite of an entry of the same member.
CREATE OR REPLACE FUNCTION ledger_book() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    a member_accounts;
    r ledger_entries;
BEGIN
    IF NEW.kind = 'reversal' THEN
        SELECT * INTO r FROM ledger_entries WHERE id = NEW.reverses_entry_id;
        IF r.member_id IS DISTINCT FROM NEW.member_id OR r.kind = 'reversal'
           OR NEW.amount_cents <> -r.amount_cents THEN
            RAISE EXCEPTION 'a reversal books the opposite of an entry of the same member'
                USING ERRCODE = '42501';
        END IF;
    END IF;
    INSERT INTO member_accounts (member_id, cooperative_id)
    VALUES (NEW.member_id, NEW.cooperative_id) ON CONFLICT (member_id) DO NOTHING;
    UPDATE member_accounts SET balance_cents = balance_cents + NEW.amount_cents,
                               entries = entries + 1
     WHERE member_id = NEW.member_id RETURNING * INTO a;
    IF NEW.kind = 'payout' AND a.balance_cents < 0 THEN
        RAISE EXCEPTION 'insufficient_balance: a transfer of % cents is above the member''s balance of % cents',
            -NEW.amount_cents, a.balance_cents - NEW.amount_cents USING ERRCODE = 'CO422';
    END IF;
    NEW.entry_no := a.entries;
    NEW.balance_cents := a.balance_cents;
    RETURN NEW;
END $$;

-- The member's net share of a payment on an invoice, or of a refund (a negative payment) on a
-- credit note (SPEC §9): round(payment × net / gross), except that the payment that brings the
-- document's open amount to 0 gets what remains of its net, so that the shares of a document
-- sum to its net exactly. An invoice's net is its own plus its credit notes' (they reduce what
-- the customer owes); p is the payment, already inserted.
CREATE OR REPLACE FUNCTION payment_net_share(p payments) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN d.open_after = 0
            THEN d.net - (SELECT coalesce(sum(e.amount_cents), 0) FROM ledger_entries e
                          WHERE e.invoice_id = d.id AND e.kind = 'payment_share')
        WHEN d.gross_cents = 0 THEN 0
        ELSE round(p.amount_cents::numeric * d.net_cents / d.gross_cents)::bigint END
    FROM (SELECT i.id, i.net_cents, i.gross_cents,
                 CASE WHEN i.kind = 'invoice' THEN i.net_cents + invoice_credited_net(i.id)
                      ELSE i.net_cents END AS net,
                 CASE WHEN i.kind = 'invoice' THEN i.gross_cents + invoice_credited(i.id)
                      ELSE i.gross_cents END
                 - (SELECT sum(x.amount_cents) FROM payments x WHERE x.invoice_id = i.id)
                     AS open_after
          FROM invoices i WHERE i.id = p.invoice_id) d;
$$;

-- Trigger ledger_payment (010), AFTER INSERT ON payments: books the payment's share.
CREATE OR REPLACE FUNCTION ledger_book_payment() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    share bigint := payment_net_share(NEW);
BEGIN
    PERFORM 1 FROM cooperatives WHERE id = NEW.cooperative_id FOR SHARE; -- the lock order
    IF share <> 0 THEN
        INSERT INTO ledger_entries (cooperative_id, member_id, date, kind, amount_cents,
                                    invoice_id, payment_id, created_by)
        SELECT i.cooperative_id, i.member_id, NEW.received_on, 'payment_share', share, i.id,
               NEW.id, NEW.created_by
        FROM invoices i WHERE i.id = NEW.invoice_id;
    END IF;
    RETURN NULL;
END $$;

-- Trigger ledger_fees_finalized (010), AFTER UPDATE ON settlement_rows: the rows a finalization
-- made version 1 book their fee, dated the last day of the month. (Drafts also change by
-- UPDATE when recalculated, with a new id: rows are matched by seq.)
CREATE OR REPLACE FUNCTION ledger_book_finalized() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_entries (cooperative_id, member_id, date, kind, amount_cents, period,
                                settlement_version)
    SELECT n.cooperative_id, n.member_id, month_last(n.period), 'fee', -n.fee_cents, n.period,
           n.version
    FROM new_rows n JOIN old_rows o ON o.seq = n.seq
    WHERE o.status = 'draft' AND n.status = 'final' AND n.fee_cents <> 0
    ORDER BY n.member_id;
    RETURN NULL;
END $$;

-- Trigger ledger_fees_corrected (010), AFTER INSERT ON settlement_rows: a correction's version
-- n+1 books the difference of its fee to version n's (all of it for a member without one).
CREATE OR REPLACE FUNCTION ledger_book_corrected() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_entries (cooperative_id, member_id, date, kind, amount_cents, period,
                                settlement_version)
    SELECT n.cooperative_id, n.member_id, month_last(n.period), 'fee',
           -(n.fee_cents - coalesce(o.fee_cents, 0)), n.period, n.version
    FROM new_rows n
    LEFT JOIN settlement_rows o ON o.member_id = n.member_id AND o.period = n.period
                               AND o.version = n.supersedes_version
    WHERE n.status = 'final' AND n.fee_cents <> coalesce(o.fee_cents, 0)
    ORDER BY n.member_id;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_entry_doc(e ledger_entries) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    e.id, e.member_id, e.cooperative_id, e.entry_no, e.date, e.kind, e.amount_cents,
    e.balance_cents, e.invoice_id, e.payment_id, e.payout_id, month_text(e.period),
    e.settlement_version, e.reverses_entry_id, rfc3339(e.created_at))::ledger_entry_doc_fields);

-- ---- payouts ------------------------------------------------------------------------------------
-- Trigger payouts_guard (010): a payout changes once, from booked to cancelled (and who, when,
-- why), or from booked to executed by the bank (executed_on, set by a bank statement's import:
-- bank.sql), and is never deleted.
CREATE OR REPLACE FUNCTION payouts_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.status <> 'booked' OR OLD.executed_on IS NOT NULL
       OR NOT ((NEW.status = 'cancelled' AND NEW.executed_on IS NULL)
               OR (NEW.status = 'booked' AND NEW.executed_on IS NOT NULL
                   AND (NEW.cancelled_at, NEW.cancelled_by, NEW.cancel_reason)
                       IS NOT DISTINCT FROM (OLD.cancelled_at, OLD.cancelled_by, OLD.cancel_reason)))
       OR (NEW.id, NEW.seq, NEW.cooperative_id, NEW.execution_date, NEW.message_id,
           NEW.debtor_name, NEW.debtor_iban, NEW.debtor_bic, NEW.transfer_count,
           NEW.total_cents, NEW.created_by, NEW.created_at)
          IS DISTINCT FROM
          (OLD.id, OLD.seq, OLD.cooperative_id, OLD.execution_date, OLD.message_id,
           OLD.debtor_name, OLD.debtor_iban, OLD.debtor_bic, OLD.transfer_count,
           OLD.total_cents, OLD.created_by, OLD.created_at) THEN
        RAISE EXCEPTION 'a payout changes only once: from booked to cancelled, or to executed by the bank'
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION payout_doc(p payouts) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    p.id, p.cooperative_id, p.status, p.execution_date, p.message_id,
    json_build_object('name', p.debtor_name, 'iban', p.debtor_iban, 'bic', p.debtor_bic)
        AS debtor,
    (SELECT json_agg(json_build_object(
         'line_no', t.line_no, 'member_id', t.member_id, 'name', t.name, 'iban', t.iban,
         'amount_cents', t.amount_cents, 'description', t.description,
         'end_to_end_id', t.end_to_end_id,
         'ledger_entry_id', (SELECT e.id FROM ledger_entries e WHERE e.payout_id = p.id
                             AND e.member_id = t.member_id AND e.kind = 'payout'))
         ORDER BY t.line_no)
     FROM payout_transfers t WHERE t.payout_id = p.id) AS transfers,
    p.transfer_count AS count, p.total_cents, rfc3339(p.created_at) AS created_at,
    p.created_by, rfc3339(p.cancelled_at) AS cancelled_at, p.cancel_reason, p.executed_on) d);

-- The renderer's document of a payout's SEPA credit transfer file (lib/sepa.h). created_at is
-- the local time the batch was made: the same file whenever it is fetched.
CREATE OR REPLACE FUNCTION payout_sepa_doc(p payouts) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'message_id', p.message_id,
    'created_at', to_char(p.created_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD"T"HH24:MI:SS'),
    'execution_date', p.execution_date,
    'debtor', json_build_object('name', p.debtor_name, 'iban', p.debtor_iban,
                                'bic', p.debtor_bic),
    'transfers', (SELECT json_agg(json_build_object(
                      'end_to_end_id', t.end_to_end_id, 'amount_cents', t.amount_cents,
                      'name', t.name, 'iban', t.iban, 'description', t.description)
                      ORDER BY t.line_no)
                  FROM payout_transfers t WHERE t.payout_id = p.id));

-- The transfers of a payout request, numbered from 1; a transfer without a description gets
-- "Uitbetaling <execution date>".
CREATE OR REPLACE FUNCTION payout_lines(p_transfers jsonb, p_execution date)
RETURNS TABLE (line_no integer, member_id uuid, amount_cents bigint, description text)
LANGUAGE sql STABLE AS $$
    SELECT t.ord::integer, (t.x ->> 'member_id')::uuid, (t.x ->> 'amount_cents')::bigint,
           coalesce(t.x ->> 'description', 'Uitbetaling ' || to_char(p_execution, 'YYYY-MM-DD'))
    FROM jsonb_array_elements(p_transfers) WITH ORDINALITY AS t(x, ord);
$$;

-- POST .../payouts: a batch of transfers (p_transfers: [{member_id, amount_cents, description?}],
-- checked by the service: members of the cooperative, amounts, descriptions in the SEPA
-- character set), booked all at once or not at all. The members' accounts are locked in
-- member_id order first; then no transfer may be above its member's balance.
CREATE OR REPLACE FUNCTION payout_create(p_coop uuid, p_execution date, p_transfers jsonb,
                                         p_user uuid)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    c cooperatives;
    p payouts;
    n bigint := nextval(pg_get_serial_sequence('payouts', 'seq'));
    bad record;
BEGIN
    SELECT * INTO c FROM cooperatives WHERE id = p_coop;
    IF c.iban IS NULL THEN
        RAISE EXCEPTION 'cooperative_without_iban: the cooperative needs an IBAN to pay from'
            USING ERRCODE = 'CO422';
    END IF;
    SELECT x.* INTO bad FROM (
        SELECT b.line_no, m.iban IS NULL AS no_iban,
               b.line_no > min(b.line_no) OVER (PARTITION BY b.member_id) AS twice
        FROM payout_lines(p_transfers, p_execution) b JOIN members m ON m.id = b.member_id) x
    WHERE x.no_iban OR x.twice ORDER BY x.line_no LIMIT 1;
    IF FOUND AND bad.twice THEN
        RAISE EXCEPTION 'duplicate_member: transfers[%] names a member that an earlier transfer pays; one transfer per member',
            bad.line_no - 1 USING ERRCODE = 'CO422';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'member_without_iban: the member of transfers[%] has no IBAN to pay to',
            bad.line_no - 1 USING ERRCODE = 'CO422';
    END IF;

    PERFORM 1 FROM member_accounts a
     WHERE a.member_id IN (SELECT b.member_id FROM payout_lines(p_transfers, p_execution) b)
     ORDER BY a.member_id FOR NO KEY UPDATE;
    SELECT b.line_no, b.amount_cents, coalesce(a.balance_cents, 0) AS balance INTO bad
    FROM payout_lines(p_transfers, p_execution) b
    LEFT JOIN member_accounts a ON a.member_id = b.member_id
    WHERE b.amount_cents > coalesce(a.balance_cents, 0)
    ORDER BY b.line_no LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insufficient_balance: transfers[%] of % cents is above the member''s balance of % cents',
            bad.line_no - 1, bad.amount_cents, bad.balance USING ERRCODE = 'CO422';
    END IF;

    INSERT INTO payouts (seq, cooperative_id, execution_date, message_id, debtor_name,
                         debtor_iban, debtor_bic, transfer_count, total_cents, created_by)
    SELECT n, p_coop, p_execution, c.invoice_prefix || '-U' || lpad(n::text, 6, '0'),
           c.legal_name, c.iban, c.bic, count(*), sum(b.amount_cents), p_user
    FROM payout_lines(p_transfers, p_execution) b
    RETURNING * INTO p;
    INSERT INTO payout_transfers (payout_id, line_no, cooperative_id, member_id, name, iban,
                                  amount_cents, description, end_to_end_id)
    SELECT p.id, b.line_no, p_coop, b.member_id, m.first_name || ' ' || m.last_name, m.iban,
           b.amount_cents, b.description, p.message_id || '-' || lpad(b.line_no::text, 4, '0')
    FROM payout_lines(p_transfers, p_execution) b JOIN members m ON m.id = b.member_id;
    INSERT INTO ledger_entries (cooperative_id, member_id, date, kind, amount_cents, payout_id,
                                created_by)
    SELECT p_coop, b.member_id, p_execution, 'payout', -b.amount_cents, p.id, p_user
    FROM payout_lines(p_transfers, p_execution) b ORDER BY b.member_id;
    RETURN payout_doc(p);
END $$;

-- POST /v1/payouts/{id}/cancel: a batch the bank did not carry out. Each of its entries is
-- reversed (today), which restores the balances; the payout keeps its transfers and says why.
-- A payout that an imported bank statement shows carried out, whole or in part, is refused.
CREATE OR REPLACE FUNCTION payout_cancel(p_payout uuid, p_reason text, p_user uuid)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    p payouts;
BEGIN
    SELECT * INTO p FROM payouts WHERE id = p_payout FOR UPDATE;
    IF p.status = 'cancelled' THEN
        RAISE EXCEPTION 'payout_cancelled: this payout was cancelled already'
            USING ERRCODE = 'CO409';
    ELSIF p.executed_on IS NOT NULL
          OR EXISTS (SELECT 1 FROM bank_payout_transfers b WHERE b.payout_id = p.id) THEN
        RAISE EXCEPTION 'payout_executed: a bank statement shows this payout carried out; it cannot be cancelled'
            USING ERRCODE = 'CO409';
    END IF;
    PERFORM 1 FROM member_accounts a
     WHERE a.member_id IN (SELECT t.member_id FROM payout_transfers t WHERE t.payout_id = p.id)
     ORDER BY a.member_id FOR NO KEY UPDATE;
    INSERT INTO ledger_entries (cooperative_id, member_id, date, kind, amount_cents, payout_id,
                                reverses_entry_id, created_by)
    SELECT e.cooperative_id, e.member_id, today_nl(), 'reversal', -e.amount_cents, p.id, e.id,
           p_user
    FROM ledger_entries e WHERE e.payout_id = p.id AND e.kind = 'payout'
    ORDER BY e.member_id;
    UPDATE payouts SET status = 'cancelled', cancelled_at = now(), cancelled_by = p_user,
                       cancel_reason = p_reason
     WHERE id = p.id RETURNING * INTO p;
    RETURN payout_doc(p);
END $$;

-- ---- collective costs ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION collective_cost_doc(c collective_costs) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    c.id, c.cooperative_id, c.date, c.category, c.description, c.amount_cents, c.created_by,
    rfc3339(c.created_at))::collective_cost_doc_fields);

-- ---- the cooperative's finances -----------------------------------------------------------------
-- GET .../finances?year= (SPEC §9): the flows dated in the year and the positions at its end
-- (today for the current year). Every flow comes from the ledger or the payments, so that the
-- books balance to the cent by construction:
--   payments_received − payouts = vat_received + member_balances_change + fee_income,
-- as every entry is a payment's share, a fee or a payout (a reversal counts as what it reverses)
-- and vat_received is what the payments brought in beyond the members' shares.
CREATE OR REPLACE FUNCTION cooperative_finances(p_coop uuid, p_year integer) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH y AS (
        SELECT make_date(p_year, 1, 1) AS first, make_date(p_year, 12, 31) AS last,
               least(make_date(p_year, 12, 31), today_nl()) AS as_of
    ),
    e AS ( -- every entry of the cooperative, a reversal as what it reverses
        SELECT x.date, x.amount_cents, coalesce(r.kind, x.kind) AS class
        FROM ledger_entries x LEFT JOIN ledger_entries r ON r.id = x.reverses_entry_id
        WHERE x.cooperative_id = p_coop
    ),
    flows AS (
        SELECT coalesce(sum(e.amount_cents) FILTER (WHERE e.class = 'payment_share'), 0) AS shares,
               -coalesce(sum(e.amount_cents) FILTER (WHERE e.class = 'fee'), 0) AS fees,
               -coalesce(sum(e.amount_cents) FILTER (WHERE e.class = 'payout'), 0) AS payouts,
               coalesce(sum(e.amount_cents), 0) AS change
        FROM e, y WHERE e.date BETWEEN y.first AND y.last
    ),
    positions AS (
        SELECT coalesce(sum(e.amount_cents), 0) AS balances,
               -coalesce(sum(e.amount_cents) FILTER (WHERE e.class = 'fee'), 0) AS fees
        FROM e, y WHERE e.date <= y.as_of
    ),
    received AS (
        SELECT coalesce(sum(p.amount_cents), 0) AS cents
        FROM payments p, y
        WHERE p.cooperative_id = p_coop AND p.received_on BETWEEN y.first AND y.last
    ),
    invoiced AS (
        SELECT coalesce(sum(i.vat_cents), 0) AS vat
        FROM invoices i, y
        WHERE i.cooperative_id = p_coop AND i.number IS NOT NULL
          AND i.issue_date BETWEEN y.first AND y.last
    ),
    costs AS ( -- every category, zeros included
        SELECT k.category, k.n,
               coalesce(sum(c.amount_cents) FILTER (WHERE c.date >= y.first), 0) AS year,
               coalesce(sum(c.amount_cents) FILTER (WHERE c.date <= y.as_of), 0) AS to_date
        FROM y CROSS JOIN unnest(ARRAY['training', 'rent', 'overhead', 'insurance',
                                       'administration', 'other']) WITH ORDINALITY AS k(category, n)
        LEFT JOIN collective_costs c ON c.cooperative_id = p_coop AND c.category = k.category
                                    AND c.date <= y.last
        GROUP BY k.category, k.n
    ),
    reserve AS (
        SELECT po.fees - (SELECT sum(c.to_date) FROM costs c) AS cents, co.reserve_cap_cents AS cap
        FROM positions po, cooperatives co WHERE co.id = p_coop
    )
    SELECT json_build_object(
        'cooperative_id', p_coop, 'year', p_year, 'as_of', y.as_of,
        'payments_received_cents', rc.cents,
        'vat_received_cents', rc.cents - f.shares,
        'vat_invoiced_cents', iv.vat,
        'fee_income_cents', f.fees,
        'collective_costs_cents', (SELECT sum(c.year) FROM costs c),
        'collective_costs_by_category', (SELECT json_object_agg(c.category, c.year ORDER BY c.n)
                                         FROM costs c),
        'payouts_cents', f.payouts,
        'member_balances_change_cents', f.change,
        'member_balances_cents', po.balances,
        'reserve_cents', rs.cents,
        'reserve_cap_cents', rs.cap,
        'reserve_above_cap', coalesce(rs.cents > rs.cap, false),
        'warnings', CASE WHEN rs.cents > rs.cap THEN json_build_array('reserve_above_cap')
                         ELSE json_build_array() END)
    FROM y, flows f, positions po, received rc, invoiced iv, reserve rs;
$$;
