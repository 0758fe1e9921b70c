-- 014: webhooks (issue 14): subscriptions of a cooperative or a municipality, the outbox of
-- events, one delivery per event and subscription, and the log of every delivery attempt.
--
-- Events are written by triggers on the tables whose changes they announce (invoices, settlement
-- rows, payouts), in the transaction of the change: no code path can commit a change without
-- its event, and a rolled back change has none. permission.expiring is written by a periodic
-- check of the delivery worker, once per permission and end date (webhook_permission_notices).
-- The delivery worker (service/worker/) claims due deliveries with FOR UPDATE SKIP LOCKED, so
-- that several coopd instances share the work; every state lives here, so a restart loses
-- nothing. The functions are in sql/functions/webhooks.sql.

CREATE TABLE webhook_subscriptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    -- the owner: a cooperative or a municipality, never both
    cooperative_id uuid REFERENCES cooperatives,
    municipality_code text REFERENCES municipalities,
    url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048 AND url ~ '^https?://[^/?#@[:space:][:cntrl:]]+([/?][^#[:space:][:cntrl:]]*)?$'),
    events text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 7 AND events <@ ARRAY[
        'invoice.issued', 'invoice.paid', 'invoice.credited', 'settlement.finalized',
        'settlement.corrected', 'permission.expiring', 'payout.created']),
    description text CHECK (plain_text(description, 500)),
    -- The signing key, "whsec_" and the base64 of 32 random bytes. It must be kept readable to
    -- sign with; it never leaves coopd after the answer that created the subscription.
    secret text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/]{43}=$'),
    enabled boolean NOT NULL DEFAULT true,
    disabled_reason text CHECK (disabled_reason IN ('disabled_by_request', 'deliveries_failing')),
    disabled_detail text CHECK (plain_text(disabled_detail, 500)),
    disabled_at timestamptz,
    -- the first failure since the last success (null: the last attempt succeeded, or none yet)
    failing_since timestamptz,
    created_by uuid REFERENCES users,
    row_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_subscriptions_owner CHECK ((cooperative_id IS NULL) <> (municipality_code IS NULL)),
    -- A municipality hears of its residents' settlements and permissions only.
    CONSTRAINT webhook_subscriptions_municipal_events CHECK (municipality_code IS NULL OR events <@ ARRAY[
        'settlement.finalized', 'settlement.corrected', 'permission.expiring']),
    CONSTRAINT webhook_subscriptions_disabled CHECK (enabled = (disabled_reason IS NULL)
        AND enabled = (disabled_at IS NULL) AND (disabled_detail IS NULL OR NOT enabled))
);
CREATE INDEX webhook_subscriptions_cooperative ON webhook_subscriptions (cooperative_id, seq)
    WHERE cooperative_id IS NOT NULL;
CREATE INDEX webhook_subscriptions_municipality ON webhook_subscriptions (municipality_code, seq)
    WHERE municipality_code IS NOT NULL;

-- The outbox: one row per event, with the body exactly as it is sent (its bytes are signed, and
-- a retry sends the same bytes). An event is written only when a subscription wants it.
CREATE TABLE webhook_events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    type text NOT NULL CHECK (type IN ('invoice.issued', 'invoice.paid', 'invoice.credited',
        'settlement.finalized', 'settlement.corrected', 'permission.expiring', 'payout.created')),
    -- What the event is about; deliveries of one subject to one subscription go out in order.
    subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 100),
    cooperative_id uuid NOT NULL,
    -- the municipality concerned (a settlement row that settles with it, its permission)
    municipality_code text,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One delivery per event and subscription. Its id is the webhook-id header, the same on every
-- attempt. A pending delivery is due at next_attempt_at; the worker that claims it moves that
-- past the attempt's time limit (a lease), so that a coopd killed mid-attempt leaves it due
-- again later for any instance.
CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES webhook_events,
    subject text NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, subscription_id),
    CONSTRAINT webhook_deliveries_delivered CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subject ON webhook_deliveries (subscription_id, subject, seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, seq);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- Every attempt: when, how long, the HTTP status (null when none came), the error code, and
-- at most 256 characters of what the receiver answered. Nothing else of the response is kept.
CREATE TABLE webhook_attempts (
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries ON DELETE CASCADE,
    attempt integer NOT NULL CHECK (attempt >= 1),
    started_at timestamptz NOT NULL,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    status_code integer CHECK (status_code BETWEEN 100 AND 999),
    error text CHECK (error ~ '^[a-z_]{1,40}$'),
    response_excerpt text CHECK (length(response_excerpt) <= 256),
    PRIMARY KEY (delivery_id, attempt),
    CONSTRAINT webhook_attempts_outcome CHECK (error IS NOT NULL OR status_code BETWEEN 200 AND 299)
);

-- permission.expiring goes out once per permission and end date: a permission extended later
-- (a new valid_until) is announced again when its new end comes near.
CREATE TABLE webhook_permission_notices (
    permission_id uuid NOT NULL REFERENCES permissions,
    valid_until date NOT NULL,
    noticed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (permission_id, valid_until)
);

-- The triggers that write the outbox. The trigger functions are defined here only so that the
-- triggers can be created; their live definitions are those of sql/functions/webhooks.sql.
CREATE FUNCTION webhook_invoice_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;
CREATE FUNCTION webhook_settlement_finalized() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;
CREATE FUNCTION webhook_settlement_corrected() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;
CREATE FUNCTION webhook_payout_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;

-- An invoice or credit note issued (its number set), and an invoice that became paid: whatever
-- wrote it (a payment through the API, a bank statement import, SQL).
CREATE TRIGGER webhook_invoices AFTER UPDATE ON invoices
    FOR EACH ROW
    WHEN ((OLD.number IS NULL AND NEW.number IS NOT NULL)
          OR (NEW.status = 'paid' AND OLD.status IS DISTINCT FROM 'paid'))
    EXECUTE FUNCTION webhook_invoice_changed();
-- A finalization makes draft rows version 1 (UPDATE); a correction inserts version n+1.
CREATE TRIGGER webhook_settlement_finalized AFTER UPDATE ON settlement_rows
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_settlement_finalized();
CREATE TRIGGER webhook_settlement_corrected AFTER INSERT ON settlement_rows
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_settlement_corrected();
CREATE TRIGGER webhook_payouts AFTER INSERT ON payouts
    FOR EACH ROW EXECUTE FUNCTION webhook_payout_created();

-- Municipal requests (sql/012) manage the municipality's own subscriptions and read their
-- deliveries; row-level security keeps them to those.
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_subscriptions TO coopd_municipal;
GRANT SELECT ON webhook_deliveries, webhook_events, webhook_attempts TO coopd_municipal;

ALTER TABLE webhook_subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_webhooks ON webhook_subscriptions TO coopd_municipal
    USING (municipality_code = municipal_scope())
    WITH CHECK (municipality_code = municipal_scope());

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_webhook_deliveries ON webhook_deliveries FOR SELECT TO coopd_municipal
    USING (EXISTS (SELECT 1 FROM webhook_subscriptions s
                   WHERE s.id = webhook_deliveries.subscription_id
                     AND s.municipality_code = municipal_scope()));

ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_webhook_events ON webhook_events FOR SELECT TO coopd_municipal
    USING (municipality_code = municipal_scope());

ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_webhook_attempts ON webhook_attempts FOR SELECT TO coopd_municipal
    USING (EXISTS (SELECT 1 FROM webhook_deliveries d JOIN webhook_subscriptions s
                       ON s.id = d.subscription_id
                   WHERE d.id = webhook_attempts.delivery_id
                     AND s.municipality_code = municipal_scope()));
