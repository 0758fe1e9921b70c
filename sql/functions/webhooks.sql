-- Webhooks (issue 14, sql/014_webhooks.sql): the outbox written by triggers, the documents of
-- subscriptions and deliveries, and what the delivery worker (service/worker/) runs: claiming a
-- due delivery, recording an attempt, the periodic permission.expiring check and the purge.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- ---- documents ----------------------------------------------------------------------------------
-- A subscription as the API shows it: never its secret.
CREATE OR REPLACE FUNCTION webhook_subscription_doc(s webhook_subscriptions) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'id', s.id, 'cooperative_id', s.cooperative_id, 'municipality_code', s.municipality_code,
    'url', s.url, 'events', to_json(s.events), 'description', s.description,
    'enabled', s.enabled, 'disabled_reason', s.disabled_reason,
    'disabled_detail', s.disabled_detail, 'disabled_at', rfc3339(s.disabled_at),
    'failing_since', rfc3339(s.failing_since), 'created_at', rfc3339(s.created_at),
    'updated_at', rfc3339(s.updated_at));

-- A delivery with its event's payload and the log of its attempts. attempts counts the
-- attempts begun; the log holds those that ended (one cut off by a crash has no entry).
CREATE OR REPLACE FUNCTION webhook_delivery_doc(d webhook_deliveries) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT json_build_object(
    'id', d.id, 'subscription_id', d.subscription_id, 'event_id', d.event_id, 'type', e.type,
    'status', d.status, 'attempts', d.attempts,
    'next_attempt_at', CASE WHEN d.status = 'pending' THEN rfc3339(d.next_attempt_at) END,
    'delivered_at', rfc3339(d.delivered_at), 'created_at', rfc3339(d.created_at),
    'payload', e.body::json,
    'attempt_log', coalesce((SELECT json_agg(json_build_object(
            'attempt', a.attempt, 'started_at', rfc3339(a.started_at),
            'duration_ms', a.duration_ms, 'status_code', a.status_code, 'error', a.error,
            'response_excerpt', a.response_excerpt) ORDER BY a.attempt)
        FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]'::json))
    FROM webhook_events e WHERE e.id = d.event_id);

-- ---- subscriptions --------------------------------------------------------------------------
-- At most this many subscriptions per owner.
CREATE OR REPLACE FUNCTION webhook_subscriptions_max() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 25;

-- A new subscription of a cooperative (p_coop) or a municipality (p_muni). Owners create one at
-- a time (an advisory lock per owner), so the cap holds under concurrency.
CREATE OR REPLACE FUNCTION webhook_subscription_create(p_coop uuid, p_muni text, p_url text,
    p_events text[], p_description text, p_secret text, p_user uuid)
RETURNS webhook_subscriptions LANGUAGE plpgsql AS $$
DECLARE
    s webhook_subscriptions;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('webhooks ' || coalesce(p_coop::text, p_muni), 0));
    IF (SELECT count(*) FROM webhook_subscriptions
        WHERE cooperative_id IS NOT DISTINCT FROM p_coop
          AND municipality_code IS NOT DISTINCT FROM p_muni) >= webhook_subscriptions_max() THEN
        RAISE EXCEPTION 'too_many_webhooks: an owner has at most % subscriptions; delete one first',
            webhook_subscriptions_max() USING ERRCODE = 'CO422';
    END IF;
    INSERT INTO webhook_subscriptions (cooperative_id, municipality_code, url, events,
                                       description, secret, created_by)
    VALUES (p_coop, p_muni, p_url, p_events, p_description, p_secret, p_user)
    RETURNING * INTO s;
    RETURN s;
END $$;

-- A subscription enabled again (PATCH): its pending deliveries are due now rather than after
-- their backoff, and the workers are woken. SECURITY DEFINER: a municipality's request may not
-- write deliveries itself; the subscription must still be the caller's (the route checked it
-- under its lock; municipal_scope() is null for every other caller).
CREATE OR REPLACE FUNCTION webhook_resume(p_subscription uuid) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = p_subscription AND enabled
                   AND (municipal_scope() IS NULL OR municipality_code = municipal_scope())) THEN
        RETURN 0;
    END IF;
    UPDATE webhook_deliveries SET next_attempt_at = now()
    WHERE subscription_id = p_subscription AND status = 'pending' AND next_attempt_at > now();
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM pg_notify('coopd_webhooks', '');
    RETURN n;
END $$;

-- ---- the outbox -----------------------------------------------------------------------------
-- Writes events of one type (arrays of the same length, in order: subject, cooperative,
-- municipality, data) for which an enabled subscription asks, and one delivery per such
-- subscription, then wakes the delivery workers (NOTIFY, sent at commit). A cooperative's
-- subscription hears of its cooperative's events; a municipality's of the events that name it.
-- The body is {type, timestamp, data}: written once, the same bytes on every attempt.
-- SECURITY DEFINER: the outbox is written whatever role the change runs as.
CREATE OR REPLACE FUNCTION webhook_enqueue(p_type text, p_subject text[], p_cooperative uuid[],
                                           p_municipality text[], p_data json[])
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    WITH e AS (
        SELECT x.subject, x.cooperative_id, x.municipality_code, x.data, x.ord
        FROM unnest(p_subject, p_cooperative, p_municipality, p_data) WITH ORDINALITY
            AS x(subject, cooperative_id, municipality_code, data, ord)
        WHERE webhook_wanted(p_type, x.cooperative_id, x.municipality_code)),
    ev AS (
        INSERT INTO webhook_events (type, subject, cooperative_id, municipality_code, body)
        SELECT p_type, e.subject, e.cooperative_id, e.municipality_code,
               json_build_object('type', p_type, 'timestamp', rfc3339(now()), 'data', e.data)::text
        FROM e ORDER BY e.ord
        RETURNING id, seq, subject, cooperative_id, municipality_code)
    INSERT INTO webhook_deliveries (subscription_id, event_id, subject)
    SELECT s.id, ev.id, ev.subject
    FROM ev JOIN webhook_subscriptions s
        ON s.enabled AND p_type = ANY (s.events)
       AND (s.cooperative_id = ev.cooperative_id OR s.municipality_code = ev.municipality_code)
    ORDER BY ev.seq, s.seq;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM pg_notify('coopd_webhooks', '');
    END IF;
    RETURN n;
END $$;

-- Whether any subscription is enabled at all: the triggers do nothing more when none is.
CREATE OR REPLACE FUNCTION webhooks_wanted() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled);

-- Whether an enabled subscription wants events of p_type of cooperative p_coop or about
-- municipality p_muni (null: none): the rows a trigger makes events of.
CREATE OR REPLACE FUNCTION webhook_wanted(p_type text, p_coop uuid, p_muni text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN EXISTS (SELECT 1 FROM webhook_subscriptions s
               WHERE s.enabled AND p_type = ANY (s.events)
                 AND (s.cooperative_id = p_coop OR s.municipality_code = p_muni));

-- Trigger webhook_invoices (014): invoice.issued when an invoice gets its number,
-- invoice.credited when a credit note does (about the invoice it credits: deliveries of one
-- invoice go out in order), invoice.paid when an invoice becomes paid.
CREATE OR REPLACE FUNCTION webhook_invoice_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    o invoices;
BEGIN
    IF NOT webhooks_wanted() THEN
        RETURN NULL;
    END IF;
    IF OLD.number IS NULL AND NEW.number IS NOT NULL AND NEW.kind = 'invoice' THEN
        PERFORM webhook_enqueue('invoice.issued', ARRAY['invoice:' || NEW.id],
            ARRAY[NEW.cooperative_id], ARRAY[NULL::text], ARRAY[json_build_object(
                'invoice_id', NEW.id, 'cooperative_id', NEW.cooperative_id,
                'member_id', NEW.member_id, 'customer_id', NEW.customer_id,
                'number', NEW.number, 'issue_date', NEW.issue_date,
                'supply_date', NEW.supply_date, 'due_date', NEW.due_date,
                'net_cents', NEW.net_cents, 'vat_cents', NEW.vat_cents,
                'gross_cents', NEW.gross_cents)]);
    ELSIF OLD.number IS NULL AND NEW.number IS NOT NULL THEN
        SELECT * INTO o FROM invoices WHERE id = NEW.credit_of;
        PERFORM webhook_enqueue('invoice.credited', ARRAY['invoice:' || o.id],
            ARRAY[NEW.cooperative_id], ARRAY[NULL::text], ARRAY[json_build_object(
                'invoice_id', o.id, 'cooperative_id', NEW.cooperative_id,
                'member_id', NEW.member_id, 'customer_id', NEW.customer_id,
                'number', o.number, 'credit_note_id', NEW.id,
                'credit_note_number', NEW.number, 'issue_date', NEW.issue_date,
                'net_cents', NEW.net_cents, 'vat_cents', NEW.vat_cents,
                'gross_cents', NEW.gross_cents,
                'invoice_open_cents', o.gross_cents + invoice_credited(o.id) - o.paid_cents,
                'fully_credited', o.net_cents + invoice_credited_net(o.id) = 0)]);
    END IF;
    IF NEW.status = 'paid' AND OLD.status IS DISTINCT FROM 'paid' AND NEW.kind = 'invoice' THEN
        PERFORM webhook_enqueue('invoice.paid', ARRAY['invoice:' || NEW.id],
            ARRAY[NEW.cooperative_id], ARRAY[NULL::text], ARRAY[json_build_object(
                'invoice_id', NEW.id, 'cooperative_id', NEW.cooperative_id,
                'member_id', NEW.member_id, 'customer_id', NEW.customer_id,
                'number', NEW.number, 'gross_cents', NEW.gross_cents,
                'paid_cents', NEW.paid_cents,
                'paid_on', (SELECT p.received_on FROM payments p WHERE p.invoice_id = NEW.id
                            ORDER BY p.seq DESC LIMIT 1))]);
    END IF;
    RETURN NULL;
END $$;

-- The data of a settlement event: the row version's ids and figures, never its case number
-- (municipal_reference) or free text.
CREATE OR REPLACE FUNCTION webhook_settlement_data(p_id uuid, p_cooperative uuid, p_member uuid,
    p_period date, p_version integer, p_supersedes integer, p_settles boolean,
    p_municipality text, p_permission uuid, p_figures bigint[], p_finalized timestamptz)
RETURNS json LANGUAGE sql STABLE PARALLEL SAFE
RETURN json_build_object(
    'settlement_row_id', p_id, 'cooperative_id', p_cooperative, 'member_id', p_member,
    'period', to_char(p_period, 'YYYY-MM'), 'version', p_version,
    'supersedes_version', p_supersedes, 'settles_with_municipality', p_settles,
    'municipality_code', p_municipality, 'permission_id', p_permission,
    'turnover_cents', p_figures[1], 'fee_cents', p_figures[2],
    'fee_deducted_cents', p_figures[3], 'costs_cents', p_figures[4],
    'base_cents', p_figures[5], 'tax_reservation_cents', p_figures[6],
    'net_income_cents', p_figures[7], 'exemption_cents', p_figures[8],
    'premium_cents', p_figures[9], 'amount_to_settle_cents', p_figures[10],
    'finalized_at', to_char(p_finalized AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'));

-- Trigger webhook_settlement_finalized (014): the rows a finalization made version 1
-- (settlement.finalized). The municipality hears only of rows that settle with it. (Drafts also
-- change by UPDATE when recalculated: rows are matched by seq, as in settlement_feed_finalized.)
CREATE OR REPLACE FUNCTION webhook_settlement_finalized() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhooks_wanted() THEN
        RETURN NULL;
    END IF;
    PERFORM webhook_enqueue('settlement.finalized', x.subjects, x.coops, x.munis, x.data)
    FROM (SELECT array_agg('settlement:' || n.member_id || ':' || to_char(n.period, 'YYYY-MM')
                           ORDER BY n.seq) AS subjects,
                 array_agg(n.cooperative_id ORDER BY n.seq) AS coops,
                 array_agg(CASE WHEN n.settles_with_municipality THEN n.municipality_code END
                           ORDER BY n.seq) AS munis,
                 array_agg(webhook_settlement_data(n.id, n.cooperative_id, n.member_id, n.period,
                     n.version, n.supersedes_version, n.settles_with_municipality,
                     n.municipality_code, n.permission_id, ARRAY[n.turnover_cents, n.fee_cents,
                     n.fee_deducted_cents, n.costs_cents, n.base_cents, n.tax_reservation_cents,
                     n.net_income_cents, n.exemption_cents, n.premium_cents,
                     n.amount_to_settle_cents], n.finalized_at) ORDER BY n.seq) AS data
          FROM new_rows n JOIN old_rows o ON o.seq = n.seq
          WHERE o.status = 'draft' AND n.status = 'final'
            AND webhook_wanted('settlement.finalized', n.cooperative_id,
                               CASE WHEN n.settles_with_municipality THEN n.municipality_code END)) x
    WHERE x.subjects IS NOT NULL;
    RETURN NULL;
END $$;

-- Trigger webhook_settlement_corrected (014): a correction's new versions
-- (settlement.corrected). Drafts inserted by a calculation are not final: nothing.
CREATE OR REPLACE FUNCTION webhook_settlement_corrected() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhooks_wanted() THEN
        RETURN NULL;
    END IF;
    PERFORM webhook_enqueue('settlement.corrected', x.subjects, x.coops, x.munis, x.data)
    FROM (SELECT array_agg('settlement:' || n.member_id || ':' || to_char(n.period, 'YYYY-MM')
                           ORDER BY n.seq) AS subjects,
                 array_agg(n.cooperative_id ORDER BY n.seq) AS coops,
                 array_agg(CASE WHEN n.settles_with_municipality THEN n.municipality_code END
                           ORDER BY n.seq) AS munis,
                 array_agg(webhook_settlement_data(n.id, n.cooperative_id, n.member_id, n.period,
                     n.version, n.supersedes_version, n.settles_with_municipality,
                     n.municipality_code, n.permission_id, ARRAY[n.turnover_cents, n.fee_cents,
                     n.fee_deducted_cents, n.costs_cents, n.base_cents, n.tax_reservation_cents,
                     n.net_income_cents, n.exemption_cents, n.premium_cents,
                     n.amount_to_settle_cents], n.finalized_at) ORDER BY n.seq) AS data
          FROM new_rows n
          WHERE n.status = 'final'
            AND webhook_wanted('settlement.corrected', n.cooperative_id,
                               CASE WHEN n.settles_with_municipality THEN n.municipality_code END)) x
    WHERE x.subjects IS NOT NULL;
    RETURN NULL;
END $$;

-- Trigger webhook_payouts (014): payout.created, with the batch's figures (no names, no IBANs).
CREATE OR REPLACE FUNCTION webhook_payout_created() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhooks_wanted() THEN
        RETURN NULL;
    END IF;
    PERFORM webhook_enqueue('payout.created', ARRAY['payout:' || NEW.id],
        ARRAY[NEW.cooperative_id], ARRAY[NULL::text], ARRAY[json_build_object(
            'payout_id', NEW.id, 'cooperative_id', NEW.cooperative_id,
            'execution_date', NEW.execution_date, 'message_id', NEW.message_id,
            'count', NEW.transfer_count, 'total_cents', NEW.total_cents)]);
    RETURN NULL;
END $$;

-- permission.expiring: one event per permission and end date, for the permissions that cover
-- today (not revoked, of a member that has not left) and end within p_days days, of which a
-- subscription wants to hear (the cooperative's, or the permission's municipality's). Run by
-- the worker at start and every check interval; the notices' key makes it once, whatever the
-- number of instances. Returns the number of deliveries written.
CREATE OR REPLACE FUNCTION webhook_permissions_expiring(p_days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer := 0;
BEGIN
    IF NOT webhooks_wanted() THEN
        RETURN 0;
    END IF;
    WITH due AS (
        INSERT INTO webhook_permission_notices (permission_id, valid_until)
        SELECT p.id, p.valid_until FROM permissions p JOIN members m ON m.id = p.member_id
        WHERE p.revoked_on IS NULL AND p.valid_from <= today_nl()
          AND p.valid_until BETWEEN today_nl() AND today_nl() + p_days
          AND (m.left_on IS NULL OR m.left_on >= today_nl())
          AND webhook_wanted('permission.expiring', p.cooperative_id, p.municipality_code)
        ON CONFLICT DO NOTHING
        RETURNING permission_id)
    SELECT webhook_enqueue('permission.expiring',
               array_agg('permission:' || p.id ORDER BY p.valid_until, p.seq),
               array_agg(p.cooperative_id ORDER BY p.valid_until, p.seq),
               array_agg(p.municipality_code ORDER BY p.valid_until, p.seq),
               array_agg(json_build_object(
                   'permission_id', p.id, 'member_id', p.member_id,
                   'cooperative_id', p.cooperative_id, 'municipality_code', p.municipality_code,
                   'goal', p.goal, 'valid_from', p.valid_from, 'valid_until', p.valid_until,
                   'days_left', p.valid_until - today_nl()) ORDER BY p.valid_until, p.seq))
    INTO n
    FROM due JOIN permissions p ON p.id = due.permission_id;
    RETURN coalesce(n, 0);
END $$;

-- ---- the delivery worker ----------------------------------------------------------------------
-- Claims the next due delivery: pending, due, of an enabled subscription, and not behind an
-- undelivered earlier delivery of the same subject to the same subscription (order per
-- subject). SKIP LOCKED lets workers of several instances claim side by side. The claim counts
-- the attempt and moves next_attempt_at p_lease_ms ahead: nobody else takes it meanwhile, and
-- if this worker dies, it is due again then. No row: nothing is due.
CREATE OR REPLACE FUNCTION webhook_claim(p_lease_ms integer)
RETURNS TABLE (delivery_id uuid, attempt integer, subscription_id uuid, url text, secret text,
               body text)
LANGUAGE sql AS $$
    WITH c AS (
        SELECT d.id FROM webhook_deliveries d
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
          AND EXISTS (SELECT 1 FROM webhook_subscriptions s
                      WHERE s.id = d.subscription_id AND s.enabled)
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
                          WHERE e.subscription_id = d.subscription_id AND e.subject = d.subject
                            AND e.status = 'pending' AND e.seq < d.seq)
        ORDER BY d.next_attempt_at, d.seq
        LIMIT 1
        FOR UPDATE OF d SKIP LOCKED)
    UPDATE webhook_deliveries d
    SET attempts = d.attempts + 1,
        next_attempt_at = now() + p_lease_ms * interval '1 millisecond'
    FROM c, webhook_subscriptions s, webhook_events ev
    WHERE d.id = c.id AND s.id = d.subscription_id AND ev.id = d.event_id
    RETURNING d.id, d.attempts, s.id, s.url, s.secret, ev.body
$$;

-- Milliseconds until the next pending delivery of an enabled subscription is due (0 when one
-- is due now), or null when none is pending: how long a worker may sleep.
-- (The first in due order of an enabled subscription: the index's order, so the waiting
-- deliveries of a disabled subscription are stepped over, not all read.)
CREATE OR REPLACE FUNCTION webhook_next_due_ms() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT greatest(0, ceil(extract(epoch FROM d.next_attempt_at - clock_timestamp()) * 1000))::bigint
    FROM webhook_deliveries d
    WHERE d.status = 'pending'
      AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.id = d.subscription_id AND s.enabled)
    ORDER BY d.next_attempt_at
    LIMIT 1
$$;

-- Records an attempt that ended: p_error null means a 2xx answer (delivered); 'interrupted'
-- (coopd stopped during the attempt) makes it due again at once, no failure of the receiver;
-- otherwise the delivery is due again after p_retry_ms, and a subscription whose deliveries
-- have failed without a success for p_disable_after_s seconds is disabled, saying why. The subscription is
-- locked first, then the delivery (the order PATCH takes them in). Returns 'disabled' when this
-- attempt disabled the subscription, else ''. A result that comes after another instance took
-- the delivery over (its lease ran out) is logged but does not reschedule it.
CREATE OR REPLACE FUNCTION webhook_record(p_delivery uuid, p_attempt integer,
    p_started timestamptz, p_duration_ms integer, p_status integer, p_error text,
    p_excerpt text, p_retry_ms bigint, p_disable_after_s integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    d webhook_deliveries;
    s webhook_subscriptions;
BEGIN
    SELECT * INTO s FROM webhook_subscriptions
    WHERE id = (SELECT subscription_id FROM webhook_deliveries WHERE id = p_delivery)
    FOR NO KEY UPDATE;
    SELECT * INTO d FROM webhook_deliveries WHERE id = p_delivery FOR UPDATE;
    IF NOT FOUND THEN
        RETURN ''; -- the subscription was deleted meanwhile
    END IF;
    INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code,
                                  error, response_excerpt)
    VALUES (p_delivery, p_attempt, p_started, greatest(p_duration_ms, 0), p_status, p_error,
            p_excerpt)
    ON CONFLICT DO NOTHING;
    IF d.status = 'delivered' THEN
        RETURN '';
    END IF;
    IF p_error IS NULL THEN
        UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now()
        WHERE id = p_delivery;
        UPDATE webhook_subscriptions SET failing_since = NULL, row_version = row_version + 1,
            updated_at = now()
        WHERE id = s.id AND failing_since IS NOT NULL;
        RETURN '';
    END IF;
    IF p_error = 'interrupted' THEN
        UPDATE webhook_deliveries SET next_attempt_at = now()
        WHERE id = p_delivery AND attempts = p_attempt;
        RETURN '';
    END IF;
    UPDATE webhook_deliveries SET next_attempt_at = now() + p_retry_ms * interval '1 millisecond'
    WHERE id = p_delivery AND attempts = p_attempt;
    IF s.failing_since IS NULL THEN
        UPDATE webhook_subscriptions SET failing_since = p_started,
            row_version = row_version + 1, updated_at = now()
        WHERE id = s.id;
    ELSIF s.enabled AND s.failing_since <= now() - p_disable_after_s * interval '1 second' THEN
        UPDATE webhook_subscriptions SET enabled = false, disabled_reason = 'deliveries_failing',
            disabled_at = now(), row_version = row_version + 1, updated_at = now(),
            disabled_detail = format('every delivery has failed since %s (the last: %s); '
                                     'fix the receiver, then PATCH {"enabled": true}',
                                     rfc3339(s.failing_since),
                                     CASE WHEN p_status IS NOT NULL
                                          THEN 'HTTP ' || p_status ELSE p_error END)
        WHERE id = s.id;
        RETURN 'disabled';
    END IF;
    RETURN '';
END $$;

-- Deletes what is older than p_days days and needed no more: delivered deliveries (with their
-- attempts), then events without deliveries, and notices of permissions that ended. Pending
-- deliveries are never purged. Returns the number of deliveries deleted.
CREATE OR REPLACE FUNCTION webhook_purge(p_days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM webhook_deliveries
    WHERE status = 'delivered' AND delivered_at < now() - p_days * interval '1 day';
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM webhook_events e
    WHERE e.created_at < now() - p_days * interval '1 day'
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id);
    DELETE FROM webhook_permission_notices
    WHERE valid_until < today_nl() - p_days;
    RETURN n;
END $$;
