-- 013: bank statements (CAMT.053) and the entries they bring (issue 14, "Money in"): what a
-- bookkeeper imports every week, the payments coopd books from it, what it could not match
-- and what a bookkeeper decided about that. The rules are functions in sql/functions/bank.sql.

-- ---- payouts the bank carried out --------------------------------------------------------------
-- A booked payout whose debit a statement shows is executed: executed_on is the bank's booking
-- date (of the whole batch, or of the last of its transfers). It is set once and never changes;
-- such a payout can no longer be cancelled (payouts_guard, payout_cancel in ledger.sql).
ALTER TABLE payouts ADD COLUMN executed_on date;
ALTER TABLE payouts ADD CONSTRAINT payouts_executed
    CHECK (executed_on IS NULL OR status = 'booked');

-- ---- imports ------------------------------------------------------------------------------------
-- One row per file imported (POST .../bank-statements), also when it brought nothing new. The
-- counts are those of the import; what became of its entries since is read from bank_entries.
CREATE TABLE bank_statements (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    cooperative_id uuid NOT NULL REFERENCES cooperatives,
    account_iban text NOT NULL CHECK (iban_valid(account_iban)),
    message_id text NOT NULL CHECK (plain_text(message_id, 35)),
    statement_ids text[] NOT NULL
        CHECK (cardinality(statement_ids) BETWEEN 1 AND 100 AND array_position(statement_ids, NULL) IS NULL),
    from_date date,
    to_date date,
    opening_balance_cents bigint,
    closing_balance_cents bigint,
    entries_in_file integer NOT NULL CHECK (entries_in_file >= 0),
    entries_new integer NOT NULL CHECK (entries_new >= 0),
    entries_known integer NOT NULL CHECK (entries_known >= 0),
    entries_skipped integer NOT NULL CHECK (entries_skipped >= 0),
    created_by uuid REFERENCES users,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bank_statements_counts
        CHECK (entries_new + entries_known + entries_skipped = entries_in_file),
    UNIQUE (id, cooperative_id)
);
CREATE INDEX bank_statements_cooperative ON bank_statements (cooperative_id, seq);

-- ---- entries ------------------------------------------------------------------------------------
-- A booked entry of the cooperative's account, once: reference is the bank's AcctSvcrRef, or
-- for a bank that gives none 'H' and a SHA-256 of the entry's fields, unique per cooperative
-- and account, so that importing a statement again (or one that overlaps it) brings nothing
-- twice. Amounts are signed: credits (money in) positive, debits negative.
--
-- status: unmatched (imported, nothing booked: unmatched_reason says why), matched (a payment
-- booked on invoice_id, or a payout of the cooperative that the bank carried out), dismissed (a
-- bookkeeper decided that nothing is to be booked: dismiss_reason). Only an unmatched entry
-- changes (bank_entries_guard), once, to matched or dismissed.
CREATE TABLE bank_entries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    cooperative_id uuid NOT NULL,
    statement_id uuid NOT NULL,
    account_iban text NOT NULL CHECK (iban_valid(account_iban)),
    reference text NOT NULL CHECK (plain_text(reference, 65)),
    line_no integer NOT NULL CHECK (line_no >= 1),
    account_servicer_reference text CHECK (plain_text(account_servicer_reference, 35)),
    entry_reference text CHECK (plain_text(entry_reference, 35)),
    booking_date date NOT NULL,
    value_date date,
    amount_cents bigint NOT NULL CHECK (amount_cents <> 0),
    reversal boolean NOT NULL,
    end_to_end_id text CHECK (plain_text(end_to_end_id, 35)),
    counterparty_name text CHECK (plain_text(counterparty_name, 140)),
    counterparty_iban text CHECK (iban_valid(counterparty_iban)),
    remittance text[] NOT NULL DEFAULT '{}',
    structured_references text[] NOT NULL DEFAULT '{}',
    additional_information text CHECK (plain_text(additional_information, 1000)),
    batch_references text[] NOT NULL DEFAULT '{}',
    end_to_end_ids text[] NOT NULL DEFAULT '{}',
    transaction_count integer NOT NULL CHECK (transaction_count >= 0),
    status text NOT NULL DEFAULT 'unmatched' CHECK (status IN ('unmatched', 'matched', 'dismissed')),
    match_rule text CHECK (match_rule IN ('invoice_number', 'end_to_end_id', 'amount_and_account',
                                          'payout_batch', 'payout_transfers', 'assigned')),
    unmatched_reason text CHECK (unmatched_reason IN ('no_candidate', 'several_candidates',
        'invoice_not_open', 'amount_exceeds_open', 'reversal', 'payout_cancelled',
        'payout_already_executed', 'amount_differs')),
    suggested_invoice_id uuid REFERENCES invoices,
    invoice_id uuid REFERENCES invoices,
    payment_id uuid UNIQUE REFERENCES payments,
    payout_id uuid REFERENCES payouts,
    dismiss_reason text CHECK (plain_text(dismiss_reason, 500)),
    decided_by uuid REFERENCES users,
    decided_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (statement_id, cooperative_id) REFERENCES bank_statements (id, cooperative_id),
    CONSTRAINT bank_entries_reference UNIQUE (cooperative_id, account_iban, reference),
    -- what each status carries: a matched entry its payment (on an invoice) or its payout, an
    -- unmatched or dismissed one the reason it was not matched; a decision its author and time
    CONSTRAINT bank_entries_state CHECK (CASE status
        WHEN 'matched' THEN match_rule IS NOT NULL AND unmatched_reason IS NULL
            AND dismiss_reason IS NULL AND suggested_invoice_id IS NULL
            AND ((payment_id IS NOT NULL AND invoice_id IS NOT NULL AND payout_id IS NULL
                  AND match_rule NOT IN ('payout_batch', 'payout_transfers'))
                 OR (payout_id IS NOT NULL AND payment_id IS NULL AND invoice_id IS NULL
                     AND match_rule IN ('payout_batch', 'payout_transfers')))
            AND (match_rule = 'assigned') = (decided_at IS NOT NULL)
        WHEN 'unmatched' THEN match_rule IS NULL AND unmatched_reason IS NOT NULL
            AND payment_id IS NULL AND invoice_id IS NULL AND payout_id IS NULL
            AND dismiss_reason IS NULL AND decided_at IS NULL
        ELSE match_rule IS NULL AND unmatched_reason IS NOT NULL AND payment_id IS NULL
            AND invoice_id IS NULL AND payout_id IS NULL AND dismiss_reason IS NOT NULL
            AND decided_at IS NOT NULL END),
    CONSTRAINT bank_entries_decided CHECK ((decided_at IS NULL) = (decided_by IS NULL))
);
CREATE INDEX bank_entries_cooperative ON bank_entries (cooperative_id, seq);
CREATE INDEX bank_entries_statement ON bank_entries (statement_id, seq);
CREATE INDEX bank_entries_unmatched ON bank_entries (cooperative_id, seq) WHERE status = 'unmatched';

-- ---- what the matching learns -------------------------------------------------------------------
-- The accounts customers paid from: an IBAN is known for a customer once an entry from it was
-- booked on one of the customer's invoices (matched by its number, or assigned by a
-- bookkeeper). The third matching rule (exact open amount from a known account) reads it.
CREATE TABLE bank_known_accounts (
    cooperative_id uuid NOT NULL,
    iban text NOT NULL CHECK (iban_valid(iban)),
    customer_id uuid NOT NULL,
    learned_from uuid NOT NULL REFERENCES bank_entries,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cooperative_id, iban, customer_id),
    FOREIGN KEY (customer_id, cooperative_id) REFERENCES customers (id, cooperative_id)
);

-- The transfers of payouts that a statement shows carried out: the whole batch by one entry,
-- or transfer by transfer. A transfer is carried out once.
CREATE TABLE bank_payout_transfers (
    payout_id uuid NOT NULL,
    line_no integer NOT NULL,
    cooperative_id uuid NOT NULL,
    entry_id uuid NOT NULL REFERENCES bank_entries,
    PRIMARY KEY (payout_id, line_no),
    FOREIGN KEY (payout_id, line_no) REFERENCES payout_transfers (payout_id, line_no)
);
CREATE INDEX bank_payout_transfers_entry ON bank_payout_transfers (entry_id);

-- The third rule looks for open invoices of a customer by their open amount.
CREATE INDEX invoices_open_by_customer ON invoices (customer_id)
    WHERE kind = 'invoice' AND status = 'issued';

-- ---- never changed ------------------------------------------------------------------------------
CREATE TRIGGER bank_statements_never_change BEFORE UPDATE OR DELETE ON bank_statements
    FOR EACH ROW EXECUTE FUNCTION refuse_change('an imported bank statement never changes');
CREATE TRIGGER bank_statements_no_truncate BEFORE TRUNCATE ON bank_statements
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('an imported bank statement never changes');
CREATE TRIGGER bank_payout_transfers_never_change BEFORE UPDATE OR DELETE ON bank_payout_transfers
    FOR EACH ROW EXECUTE FUNCTION refuse_change('a carried out transfer never changes');
CREATE TRIGGER bank_known_accounts_never_change BEFORE UPDATE ON bank_known_accounts
    FOR EACH ROW EXECUTE FUNCTION refuse_change('a known account never changes');
CREATE TRIGGER bank_entries_no_truncate BEFORE TRUNCATE ON bank_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('bank entries are never deleted');

-- Defined here only so that the trigger can be created; the live definition is that of
-- sql/functions/bank.sql.
CREATE FUNCTION bank_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;
-- an entry changes only while unmatched: its matching, or a bookkeeper's decision
CREATE TRIGGER bank_entries_guard BEFORE UPDATE OR DELETE ON bank_entries
    FOR EACH ROW EXECUTE FUNCTION bank_entries_guard();
