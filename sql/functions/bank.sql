-- Bank statements (CAMT.053) and their entries (issue 14, sql/013_bank.sql): the import, the
-- matching of credits to invoices and of debits to payouts, and a bookkeeper's assignments and
-- dismissals of what could not be matched.
--
-- These are the live definitions (README, "SQL functions"): every statement is CREATE OR
-- REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status.
--
-- Locks, in this order: the cooperative's bank lock (bank_lock: one import, assignment or
-- dismissal per cooperative at a time), the cooperative's row FOR SHARE (the order of
-- ledger.sql), then an invoice or a payout FOR UPDATE; a payment's trigger then takes the
-- member's account. An assignment or dismissal has locked its entry's row before (bank.c).
--
-- Matching a credit (money in), in this order, and only when certain:
--   1. invoice_number: the remittance text (Ustrd lines, creditor references, additional
--      information) names invoice numbers of this cooperative as customers type them: its
--      prefix, the year and the number, in any case, with spaces, dots, slashes, dashes or
--      nothing between, with or without leading zeros ("WERK2026-00012", "werk 2026 12",
--      "WERK 2026/12", "Werk-2026-012"). Exactly one invoice named: booked when it is open and
--      the amount at most what is open (a part payment too); else unmatched with that invoice
--      suggested (invoice_not_open, amount_exceeds_open). Several: unmatched.
--   2. end_to_end_id: the same, in the end-to-end ids the payer gave (invoices carry no payment
--      reference of their own: the payer's accounting package often puts the number there).
--   3. amount_and_account: no invoice named; exactly one open invoice whose open amount is the
--      amount, of a customer known to pay from the entry's IBAN (bank_known_accounts: learned
--      from every entry booked on that customer's invoices).
-- The first rule that finds a number decides; a later rule is not asked. A reversal is never
-- matched. A debit (money out) is matched to a payout of the cooperative: by its batch's
-- message id (Btch or Refs MsgId/PmtInfId, the payout's message_id), the amount its total; or
-- by the end-to-end ids of its transactions, all of them transfers of one payout that sum to
-- the amount. Anything else stays unmatched.

-- One import, assignment or dismissal of a cooperative's bank entries at a time; then the
-- cooperative's row, as every change that may count in a month takes it (ledger.sql).
CREATE OR REPLACE FUNCTION bank_lock(p_coop uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('coopd.bank:' || p_coop::text, 0));
    PERFORM 1 FROM cooperatives WHERE id = p_coop FOR SHARE;
END $$;

-- The entries of an import's document (lib/camt.h), in file order, with the reference that
-- identifies each: its AcctSvcrRef, or 'H' and the SHA-256 of its fields (its position in the
-- file left out, so that the same entry in another file gives the same hash).
CREATE OR REPLACE FUNCTION bank_doc_entries(p_doc jsonb)
RETURNS TABLE (line integer, reference text, entry jsonb)
LANGUAGE sql STABLE AS $$
    SELECT (en ->> 'line')::integer,
           coalesce(en ->> 'account_servicer_reference',
                    'H' || encode(sha256(convert_to((en - 'line')::text, 'UTF8')), 'hex')),
           en
    FROM jsonb_array_elements(p_doc -> 'statements') AS st,
         jsonb_array_elements(st -> 'entries') AS en
$$;

-- A JSON array of strings as text[], in order.
CREATE OR REPLACE FUNCTION bank_text_array(j jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE
RETURN ARRAY(SELECT t.v FROM jsonb_array_elements_text(coalesce(j, '[]')) WITH ORDINALITY
             AS t(v, n) ORDER BY t.n);

-- The text an entry's invoice numbers are looked for in (rule 1): the Ustrd lines joined with
-- spaces and also without (a bank cuts long texts into lines anywhere, in a number too), the
-- creditor references and the additional information, kept apart by '|', which no number
-- spans.
CREATE OR REPLACE FUNCTION bank_remittance_text(e bank_entries) RETURNS text
LANGUAGE sql STABLE
RETURN concat_ws(' | ', array_to_string(e.remittance, ' '), array_to_string(e.remittance, ''),
                 array_to_string(e.structured_references, ' | '), e.additional_information);

-- The prefixes of the cooperative's invoice numbers: its invoice_prefix now and those its
-- numbered invoices carry (a prefix may have changed). Only A-Z0-9 (they go into a pattern).
CREATE OR REPLACE FUNCTION bank_prefixes(p_coop uuid) RETURNS text[]
LANGUAGE sql STABLE
RETURN ARRAY(SELECT DISTINCT x.p FROM (
                 SELECT c.invoice_prefix AS p FROM cooperatives c WHERE c.id = p_coop
                 UNION ALL
                 SELECT DISTINCT left(i.number, -10) FROM invoices i
                 WHERE i.cooperative_id = p_coop AND i.number IS NOT NULL) x
             WHERE x.p ~ '^[A-Z0-9]{1,10}$' ORDER BY x.p);

-- The invoice numbers p_text names, written as coopd writes them (PREFIXYYYY-NNNNN), for the
-- prefixes given (rules 1 and 2): a prefix not preceded by a letter or digit, the year, the
-- number; between them any of " ./_:#-" or nothing; in any case; leading zeros of the number
-- optional; the number not followed by a digit.
CREATE OR REPLACE FUNCTION bank_numbers_named(p_text text, p_prefixes text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE
RETURN ARRAY(SELECT DISTINCT x.prefix || m[1] || '-' || lpad(m[2], 5, '0')
             FROM unnest(p_prefixes) AS x(prefix)
             CROSS JOIN LATERAL regexp_matches(upper(coalesce(p_text, '')),
                 '(?<![A-Z0-9])' || x.prefix
                 || '[ ./_:#-]*([0-9]{4})[ ./_:#-]*0*([0-9]{1,5})(?![0-9])', 'g') AS m
             ORDER BY 1);

-- The invoices and credit notes of the cooperative with those numbers (the numbers are
-- read once, then each looked up by the unique index on invoices.number).
CREATE OR REPLACE FUNCTION bank_invoices_named(p_coop uuid, p_text text, p_prefixes text[])
RETURNS uuid[]
LANGUAGE sql STABLE
RETURN ARRAY(SELECT i.id FROM unnest(bank_numbers_named(p_text, p_prefixes)) AS n(number)
             JOIN invoices i ON i.number = n.number AND i.cooperative_id = p_coop
             ORDER BY i.number);

-- What is open on an invoice (what its customer still owes), or on a credit note (what is
-- still to be refunded, negative).
CREATE OR REPLACE FUNCTION bank_open_cents(i invoices) RETURNS bigint
LANGUAGE sql STABLE
RETURN CASE WHEN i.kind = 'invoice' THEN i.gross_cents + invoice_credited(i.id)
            ELSE i.gross_cents END - i.paid_cents;

-- An entry stays unmatched, for a reason, perhaps with the one invoice it seems to be about.
-- (Entries are imported as no_candidate: most need no change.)
CREATE OR REPLACE FUNCTION bank_leave(p_entry uuid, p_reason text, p_suggested uuid)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE bank_entries SET unmatched_reason = p_reason, suggested_invoice_id = p_suggested
     WHERE id = p_entry
       AND (unmatched_reason, suggested_invoice_id) IS DISTINCT FROM (p_reason, p_suggested);
END $$;

-- Books entry e as a payment on invoice p_invoice (a refund on a credit note for a debit):
-- payment_record checks it and books its ledger effects, as for a payment recorded by hand
-- (method bank, reference the entry's, received on its booking date). The entry becomes
-- matched; its IBAN becomes known for the invoice's customer. An assignment (p_rule
-- 'assigned') records who decided.
CREATE OR REPLACE FUNCTION bank_book(e bank_entries, p_invoice uuid, p_rule text, p_user uuid)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    pay payments;
BEGIN
    pay := payment_record(p_invoice, e.amount_cents, e.booking_date, 'bank', e.reference, p_user);
    UPDATE bank_entries
       SET status = 'matched', match_rule = p_rule, unmatched_reason = NULL,
           suggested_invoice_id = NULL, invoice_id = p_invoice, payment_id = pay.id,
           decided_by = CASE WHEN p_rule = 'assigned' THEN p_user END,
           decided_at = CASE WHEN p_rule = 'assigned' THEN now() END
     WHERE id = e.id;
    IF e.counterparty_iban IS NOT NULL THEN
        INSERT INTO bank_known_accounts (cooperative_id, iban, customer_id, learned_from)
        SELECT i.cooperative_id, e.counterparty_iban, i.customer_id, e.id
        FROM invoices i WHERE i.id = p_invoice
        ON CONFLICT DO NOTHING;
    END IF;
END $$;

-- Rules 1 to 3 for a credit (see the top of this file).
CREATE OR REPLACE FUNCTION bank_match_credit(e bank_entries, p_prefixes text[], p_user uuid)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    found uuid[];
    rule text := 'invoice_number';
    i invoices;
    open bigint;
BEGIN
    IF e.reversal THEN
        PERFORM bank_leave(e.id, 'reversal', NULL);
        RETURN;
    END IF;
    found := bank_invoices_named(e.cooperative_id, bank_remittance_text(e), p_prefixes);
    IF cardinality(found) = 0 THEN
        rule := 'end_to_end_id';
        found := bank_invoices_named(e.cooperative_id, array_to_string(e.end_to_end_ids, ' | '),
                                     p_prefixes);
    END IF;
    IF cardinality(found) > 1 THEN
        PERFORM bank_leave(e.id, 'several_candidates', NULL);
        RETURN;
    ELSIF cardinality(found) = 1 THEN
        SELECT * INTO i FROM invoices WHERE id = found[1] FOR UPDATE;
        open := bank_open_cents(i);
        IF i.kind <> 'invoice' OR open <= 0 THEN
            PERFORM bank_leave(e.id, 'invoice_not_open', i.id);
        ELSIF e.amount_cents > open THEN
            PERFORM bank_leave(e.id, 'amount_exceeds_open', i.id);
        ELSE
            PERFORM bank_book(e, i.id, rule, p_user);
        END IF;
        RETURN;
    END IF;

    -- rule 3: the exact open amount, from an account known for the invoice's customer
    IF e.counterparty_iban IS NOT NULL THEN
        SELECT coalesce(array_agg(x.id), '{}') INTO found FROM invoices x
        WHERE x.cooperative_id = e.cooperative_id AND x.kind = 'invoice' AND x.status = 'issued'
          AND x.customer_id IN (SELECT k.customer_id FROM bank_known_accounts k
                                WHERE k.cooperative_id = e.cooperative_id
                                  AND k.iban = e.counterparty_iban)
          AND bank_open_cents(x) = e.amount_cents;
        IF cardinality(found) > 1 THEN
            PERFORM bank_leave(e.id, 'several_candidates', NULL);
            RETURN;
        ELSIF cardinality(found) = 1 THEN
            SELECT * INTO i FROM invoices WHERE id = found[1] FOR UPDATE;
            -- still open for exactly this amount now that it is locked
            IF bank_open_cents(i) = e.amount_cents THEN
                PERFORM bank_book(e, i.id, 'amount_and_account', p_user);
                RETURN;
            END IF;
        END IF;
    END IF;
    PERFORM bank_leave(e.id, 'no_candidate', NULL);
END $$;

-- The transfers of payout p_payout that entry e shows carried out: recorded, the entry matched
-- (p_rule), and the payout executed once all its transfers are.
CREATE OR REPLACE FUNCTION bank_execute(e bank_entries, p_payout uuid, p_lines integer[],
                                        p_rule text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bank_payout_transfers (payout_id, line_no, cooperative_id, entry_id)
    SELECT p_payout, l, e.cooperative_id, e.id FROM unnest(p_lines) AS l ORDER BY l;
    UPDATE bank_entries SET status = 'matched', match_rule = p_rule, unmatched_reason = NULL,
                            suggested_invoice_id = NULL, payout_id = p_payout
     WHERE id = e.id;
    UPDATE payouts p SET executed_on = e.booking_date
     WHERE p.id = p_payout
       AND (SELECT count(*) FROM bank_payout_transfers b WHERE b.payout_id = p.id)
           = p.transfer_count;
END $$;

-- A debit: a payout of the cooperative, by its batch or by its transfers.
CREATE OR REPLACE FUNCTION bank_match_debit(e bank_entries) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
    lines integer[];
    total bigint;
    rule text;
    po payouts;
BEGIN
    IF e.reversal THEN
        PERFORM bank_leave(e.id, 'reversal', NULL);
        RETURN;
    END IF;
    SELECT coalesce(array_agg(p.id), '{}') INTO ids FROM payouts p
    WHERE p.cooperative_id = e.cooperative_id AND p.message_id = ANY (e.batch_references);
    IF cardinality(ids) = 1 THEN
        -- the whole batch: every transfer of the payout, for its total
        rule := 'payout_batch';
        SELECT * INTO po FROM payouts WHERE id = ids[1] FOR UPDATE;
        lines := ARRAY(SELECT t.line_no FROM payout_transfers t WHERE t.payout_id = po.id
                       ORDER BY t.line_no);
        total := po.total_cents;
    ELSIF cardinality(ids) = 0 AND cardinality(e.end_to_end_ids) > 0 THEN
        -- transfer by transfer: every end-to-end id of the entry a transfer of one payout
        rule := 'payout_transfers';
        SELECT coalesce(array_agg(DISTINCT t.payout_id), '{}'),
               coalesce(array_agg(t.line_no ORDER BY t.line_no), '{}'),
               coalesce(sum(t.amount_cents), 0)
          INTO ids, lines, total
          FROM payout_transfers t
         WHERE t.cooperative_id = e.cooperative_id AND t.end_to_end_id = ANY (e.end_to_end_ids);
        IF cardinality(ids) = 1 THEN
            SELECT * INTO po FROM payouts WHERE id = ids[1] FOR UPDATE;
        END IF;
    END IF;
    IF cardinality(ids) = 0 THEN
        PERFORM bank_leave(e.id, 'no_candidate', NULL);
    ELSIF cardinality(ids) > 1 THEN
        PERFORM bank_leave(e.id, 'several_candidates', NULL);
    ELSIF po.status = 'cancelled' THEN
        PERFORM bank_leave(e.id, 'payout_cancelled', NULL);
    ELSIF EXISTS (SELECT 1 FROM bank_payout_transfers b
                  WHERE b.payout_id = po.id AND b.line_no = ANY (lines)) THEN
        PERFORM bank_leave(e.id, 'payout_already_executed', NULL);
    ELSIF total <> -e.amount_cents
          OR (rule = 'payout_transfers' AND cardinality(lines) <> cardinality(e.end_to_end_ids))
    THEN
        -- another amount, or end-to-end ids of which some name no transfer
        PERFORM bank_leave(e.id, 'amount_differs', NULL);
    ELSE
        PERFORM bank_execute(e, po.id, lines, rule);
    END IF;
END $$;

-- POST /v1/cooperatives/{id}/bank-statements: the document of a statement file (lib/camt.h),
-- imported whole or not at all. The file must be of the cooperative's account (its IBAN);
-- entries known already (by reference) are counted, not imported again; every new entry is
-- matched in file order (so that an account learned from one entry serves the next). Answers
-- the import's document (bank_statement_doc).
CREATE OR REPLACE FUNCTION bank_import(p_coop uuid, p_doc jsonb, p_user uuid) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    c cooperatives;
    s bank_statements;
    bad record;
    listed integer;
    fresh integer;
    inserted integer;
    prefixes text[];
    e bank_entries;
BEGIN
    PERFORM bank_lock(p_coop);
    SELECT * INTO c FROM cooperatives WHERE id = p_coop;
    IF c.iban IS NULL THEN
        RAISE EXCEPTION 'cooperative_without_iban: the cooperative has no IBAN, so no statement can be of its account'
            USING ERRCODE = 'CO422';
    END IF;
    SELECT x.n INTO bad
    FROM jsonb_array_elements(p_doc -> 'statements') WITH ORDINALITY AS x(st, n)
    WHERE x.st ->> 'iban' IS DISTINCT FROM c.iban ORDER BY x.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'statement_other_account: statement % of the file is of another account than the cooperative''s IBAN; nothing was imported',
            bad.n USING ERRCODE = 'CO422';
    END IF;

    SELECT count(*),
           count(DISTINCT d.reference) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM bank_entries b WHERE b.cooperative_id = p_coop
                 AND b.account_iban = c.iban AND b.reference = d.reference))
      INTO listed, fresh
      FROM bank_doc_entries(p_doc) d;

    INSERT INTO bank_statements (cooperative_id, account_iban, message_id, statement_ids,
                                 from_date, to_date, opening_balance_cents,
                                 closing_balance_cents, entries_in_file, entries_new,
                                 entries_known, entries_skipped, created_by)
    SELECT p_coop, c.iban, p_doc ->> 'message_id',
           ARRAY(SELECT y.st ->> 'id' FROM jsonb_array_elements(p_doc -> 'statements')
                 WITH ORDINALITY AS y(st, n) ORDER BY y.n),
           (SELECT min(coalesce((y.st ->> 'from_date')::date,
                                (SELECT min((z.en ->> 'booking_date')::date)
                                 FROM jsonb_array_elements(y.st -> 'entries') z(en))))
            FROM jsonb_array_elements(p_doc -> 'statements') y(st)),
           (SELECT max(coalesce((y.st ->> 'to_date')::date,
                                (SELECT max((z.en ->> 'booking_date')::date)
                                 FROM jsonb_array_elements(y.st -> 'entries') z(en))))
            FROM jsonb_array_elements(p_doc -> 'statements') y(st)),
           (p_doc -> 'statements' -> 0 ->> 'opening_balance_cents')::bigint,
           (p_doc -> 'statements' -> -1 ->> 'closing_balance_cents')::bigint,
           listed + sk.n, fresh, listed - fresh, sk.n, p_user
    FROM (SELECT coalesce(sum((y.st ->> 'skipped')::integer), 0)::integer AS n
          FROM jsonb_array_elements(p_doc -> 'statements') y(st)) sk
    RETURNING * INTO s;

    INSERT INTO bank_entries (cooperative_id, statement_id, account_iban, reference, line_no,
                              account_servicer_reference, entry_reference, booking_date,
                              value_date, amount_cents, reversal, end_to_end_id,
                              counterparty_name, counterparty_iban, remittance,
                              structured_references, additional_information, batch_references,
                              end_to_end_ids, transaction_count, unmatched_reason)
    SELECT p_coop, s.id, c.iban, d.reference, d.line, d.entry ->> 'account_servicer_reference',
           d.entry ->> 'entry_reference', (d.entry ->> 'booking_date')::date,
           (d.entry ->> 'value_date')::date, (d.entry ->> 'amount_cents')::bigint,
           (d.entry ->> 'reversal')::boolean, d.entry ->> 'end_to_end_id',
           d.entry ->> 'counterparty_name', d.entry ->> 'counterparty_iban',
           bank_text_array(d.entry -> 'remittance'),
           bank_text_array(d.entry -> 'structured_references'),
           d.entry ->> 'additional_information', bank_text_array(d.entry -> 'batch_references'),
           bank_text_array(d.entry -> 'end_to_end_ids'),
           (d.entry ->> 'transaction_count')::integer, 'no_candidate'
    FROM bank_doc_entries(p_doc) d ORDER BY d.line
    ON CONFLICT (cooperative_id, account_iban, reference) DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted <> fresh THEN -- the bank lock makes this impossible
        RAISE EXCEPTION 'bank import counted % new entries and inserted %', fresh, inserted
            USING ERRCODE = 'XX000';
    END IF;

    prefixes := bank_prefixes(p_coop);
    FOR e IN SELECT * FROM bank_entries WHERE statement_id = s.id ORDER BY line_no LOOP
        IF e.amount_cents > 0 THEN
            PERFORM bank_match_credit(e, prefixes, p_user);
        ELSE
            PERFORM bank_match_debit(e);
        END IF;
    END LOOP;
    RETURN bank_statement_doc(s);
END $$;

-- POST /v1/bank-entries/{id}/assign: a bookkeeper books an unmatched entry on an invoice of
-- the cooperative (a debit as a refund on a credit note). The invoice was checked to be the
-- cooperative's (bank.c); payment_record checks what it checks for any payment.
CREATE OR REPLACE FUNCTION bank_entry_assign(p_entry uuid, p_invoice uuid, p_user uuid)
RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    e bank_entries;
    i invoices;
BEGIN
    PERFORM bank_lock((SELECT x.cooperative_id FROM bank_entries x WHERE x.id = p_entry));
    SELECT * INTO e FROM bank_entries WHERE id = p_entry;
    IF e.status = 'matched' THEN
        RAISE EXCEPTION 'bank_entry_matched: the entry is matched already: its payment or payout is booked'
            USING ERRCODE = 'CO409';
    ELSIF e.status = 'dismissed' THEN
        RAISE EXCEPTION 'bank_entry_dismissed: the entry was dismissed'
            USING ERRCODE = 'CO409';
    END IF;
    SELECT * INTO i FROM invoices WHERE id = p_invoice AND cooperative_id = e.cooperative_id;
    IF NOT FOUND THEN -- bank.c checked it first, with a field error
        RAISE EXCEPTION 'invalid_reference: the invoice is not one of the cooperative''s'
            USING ERRCODE = 'CO422';
    ELSIF (e.amount_cents > 0) <> (i.kind = 'invoice') THEN
        RAISE EXCEPTION 'bank_entry_direction: money in (a credit) is assigned to an invoice, money out (a debit) to a credit note'
            USING ERRCODE = 'CO422';
    END IF;
    PERFORM bank_book(e, i.id, 'assigned', p_user);
    RETURN (SELECT bank_entry_doc(x) FROM bank_entries x WHERE x.id = p_entry);
END $$;

-- POST /v1/bank-entries/{id}/dismiss: nothing is to be booked for an unmatched entry (bank
-- costs, a transfer between own accounts, a payment handled otherwise).
CREATE OR REPLACE FUNCTION bank_entry_dismiss(p_entry uuid, p_reason text, p_user uuid)
RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    e bank_entries;
BEGIN
    PERFORM bank_lock((SELECT x.cooperative_id FROM bank_entries x WHERE x.id = p_entry));
    SELECT * INTO e FROM bank_entries WHERE id = p_entry;
    IF e.status = 'matched' THEN
        RAISE EXCEPTION 'bank_entry_matched: the entry is matched already: its payment or payout is booked'
            USING ERRCODE = 'CO409';
    ELSIF e.status = 'dismissed' THEN
        RAISE EXCEPTION 'bank_entry_dismissed: the entry was dismissed already'
            USING ERRCODE = 'CO409';
    END IF;
    UPDATE bank_entries SET status = 'dismissed', dismiss_reason = p_reason,
                            suggested_invoice_id = NULL, decided_by = p_user, decided_at = now()
     WHERE id = p_entry RETURNING * INTO e;
    RETURN bank_entry_doc(e);
END $$;

-- Trigger bank_entries_guard (013): an entry is never deleted, and changes only while unmatched
-- (its matching during the import, then an assignment or a dismissal), never in what the bank
-- said.
CREATE OR REPLACE FUNCTION bank_entries_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.status <> 'unmatched'
       OR (NEW.id, NEW.seq, NEW.cooperative_id, NEW.statement_id, NEW.account_iban,
           NEW.reference, NEW.line_no, NEW.account_servicer_reference, NEW.entry_reference,
           NEW.booking_date, NEW.value_date, NEW.amount_cents, NEW.reversal, NEW.end_to_end_id,
           NEW.counterparty_name, NEW.counterparty_iban, NEW.remittance,
           NEW.structured_references, NEW.additional_information, NEW.batch_references,
           NEW.end_to_end_ids, NEW.transaction_count, NEW.created_at)
          IS DISTINCT FROM
          (OLD.id, OLD.seq, OLD.cooperative_id, OLD.statement_id, OLD.account_iban,
           OLD.reference, OLD.line_no, OLD.account_servicer_reference, OLD.entry_reference,
           OLD.booking_date, OLD.value_date, OLD.amount_cents, OLD.reversal, OLD.end_to_end_id,
           OLD.counterparty_name, OLD.counterparty_iban, OLD.remittance,
           OLD.structured_references, OLD.additional_information, OLD.batch_references,
           OLD.end_to_end_ids, OLD.transaction_count, OLD.created_at) THEN
        RAISE EXCEPTION 'a bank entry changes only while unmatched, and never in what the bank said'
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;

-- ---- documents ----------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION bank_entry_doc(e bank_entries) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    e.id, e.cooperative_id, e.statement_id, e.account_iban, e.reference,
    e.account_servicer_reference, e.entry_reference, e.booking_date, e.value_date,
    CASE WHEN e.amount_cents > 0 THEN 'credit' ELSE 'debit' END, e.amount_cents,
    e.reversal, e.counterparty_name, e.counterparty_iban, e.end_to_end_id,
    e.remittance, e.structured_references, e.additional_information,
    e.batch_references, e.end_to_end_ids, e.transaction_count, e.status, e.match_rule,
    e.unmatched_reason, e.suggested_invoice_id, e.invoice_id, e.payment_id, e.payout_id,
    e.dismiss_reason, e.decided_by, rfc3339(e.decided_at),
    rfc3339(e.created_at))::bank_entry_doc_fields);

-- An entry's ETag: 1 while unmatched, 2 once decided or matched (it changes once).
CREATE OR REPLACE FUNCTION bank_entry_version(e bank_entries) RETURNS integer
LANGUAGE sql IMMUTABLE
RETURN CASE WHEN e.status = 'unmatched' THEN 1 ELSE 2 END;

-- An import with what became of the entries it brought: per status their number and the sums
-- of their credits and debits (both as positive cents).
CREATE OR REPLACE FUNCTION bank_statement_doc(s bank_statements) RETURNS json
LANGUAGE sql STABLE
RETURN (SELECT row_to_json(d) FROM (SELECT
    s.id, s.cooperative_id, s.account_iban, s.message_id, s.statement_ids, s.from_date,
    s.to_date, s.opening_balance_cents, s.closing_balance_cents,
    json_build_object('in_file', s.entries_in_file, 'new', s.entries_new,
                      'already_imported', s.entries_known, 'skipped', s.entries_skipped)
        AS entries,
    json_build_object('count', t.matched, 'credits_cents', t.matched_in,
                      'debits_cents', t.matched_out) AS matched,
    json_build_object('count', t.unmatched, 'credits_cents', t.unmatched_in,
                      'debits_cents', t.unmatched_out) AS unmatched,
    json_build_object('count', t.dismissed, 'credits_cents', t.dismissed_in,
                      'debits_cents', t.dismissed_out) AS dismissed,
    s.created_by, rfc3339(s.created_at) AS created_at
    FROM (SELECT
        count(*) FILTER (WHERE e.status = 'matched') AS matched,
        coalesce(sum(e.amount_cents) FILTER (WHERE e.status = 'matched' AND e.amount_cents > 0), 0)
            AS matched_in,
        coalesce(-sum(e.amount_cents) FILTER (WHERE e.status = 'matched' AND e.amount_cents < 0), 0)
            AS matched_out,
        count(*) FILTER (WHERE e.status = 'unmatched') AS unmatched,
        coalesce(sum(e.amount_cents) FILTER (WHERE e.status = 'unmatched' AND e.amount_cents > 0), 0)
            AS unmatched_in,
        coalesce(-sum(e.amount_cents) FILTER (WHERE e.status = 'unmatched' AND e.amount_cents < 0), 0)
            AS unmatched_out,
        count(*) FILTER (WHERE e.status = 'dismissed') AS dismissed,
        coalesce(sum(e.amount_cents) FILTER (WHERE e.status = 'dismissed' AND e.amount_cents > 0), 0)
            AS dismissed_in,
        coalesce(-sum(e.amount_cents) FILTER (WHERE e.status = 'dismissed' AND e.amount_cents < 0), 0)
            AS dismissed_out
        FROM bank_entries e WHERE e.statement_id = s.id) t) d);

-- An import's ETag: it changes whenever one of its entries is decided.
CREATE OR REPLACE FUNCTION bank_statement_version(s bank_statements) RETURNS bigint
LANGUAGE sql STABLE
RETURN 1 + (SELECT count(*) FROM bank_entries e
            WHERE e.statement_id = s.id AND e.decided_at IS NOT NULL);
