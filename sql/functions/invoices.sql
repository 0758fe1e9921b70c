-- Invoicing through the cooperative: issued invoices frozen, VAT per invoice, issuing with a
-- gapless number, credit notes, payments and the VAT return. The cooperative is the legal entity
-- that issues every invoice.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- Issued invoices and their lines never change; only the payment status of an issued invoice
-- moves (issued → paid → issued on a refund, issued|paid → credited). Triggers invoices_frozen
-- and invoice_lines_frozen (004).
CREATE OR REPLACE FUNCTION invoices_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.number IS NOT NULL THEN
            RAISE EXCEPTION 'invoice_not_draft: an issued invoice is never deleted' USING ERRCODE = 'CO409';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.number IS NOT NULL AND (
           NEW.number IS DISTINCT FROM OLD.number OR NEW.issue_date IS DISTINCT FROM OLD.issue_date
        OR NEW.supply_date IS DISTINCT FROM OLD.supply_date OR NEW.due_date IS DISTINCT FROM OLD.due_date
        OR NEW.net_cents IS DISTINCT FROM OLD.net_cents OR NEW.vat_cents IS DISTINCT FROM OLD.vat_cents
        OR NEW.gross_cents IS DISTINCT FROM OLD.gross_cents OR NEW.customer_id IS DISTINCT FROM OLD.customer_id
        OR NEW.member_id IS DISTINCT FROM OLD.member_id OR NEW.description IS DISTINCT FROM OLD.description
        OR NEW.supplier IS DISTINCT FROM OLD.supplier OR NEW.customer IS DISTINCT FROM OLD.customer
        OR NEW.member IS DISTINCT FROM OLD.member OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.credit_of IS DISTINCT FROM OLD.credit_of OR NEW.reason IS DISTINCT FROM OLD.reason
        OR NEW.rate_floor_override IS DISTINCT FROM OLD.rate_floor_override
        OR NEW.status IN ('draft', 'submitted')) THEN
        RAISE EXCEPTION 'invoice_not_draft: an issued invoice never changes' USING ERRCODE = 'CO409';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION invoice_lines_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    inv uuid := CASE WHEN TG_OP = 'INSERT' THEN NEW.invoice_id ELSE OLD.invoice_id END;
BEGIN
    -- A credit note's lines are written in the transaction that issues it, before its number.
    IF EXISTS (SELECT 1 FROM invoices WHERE id = inv AND number IS NOT NULL) THEN
        RAISE EXCEPTION 'invoice_not_draft: the lines of an issued invoice never change'
            USING ERRCODE = 'CO409';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

-- The VAT breakdown: per (category, rate) the summed base, and the VAT on it rounded once
-- (half away from zero, so a credit note mirrors its invoice).
CREATE OR REPLACE FUNCTION invoice_vat(p_invoice uuid)
RETURNS TABLE (vat_category text, vat_rate_bp integer, base_cents bigint, vat_cents bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT l.vat_category, l.vat_rate_bp, sum(l.net_cents)::bigint,
           round(sum(l.net_cents) * l.vat_rate_bp / 10000.0)::bigint
    FROM invoice_lines l WHERE l.invoice_id = p_invoice
    GROUP BY l.vat_category, l.vat_rate_bp
    ORDER BY l.vat_category, l.vat_rate_bp DESC
$$;

-- Money credited on an invoice so far (negative), by its credit notes: gross, and net.
CREATE OR REPLACE FUNCTION invoice_credited(p_invoice uuid) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT coalesce(sum(c.gross_cents), 0)::bigint FROM invoices c WHERE c.credit_of = p_invoice);

-- An invoice is fully credited when its net is: each credit note rounds its own VAT once, so
-- the credited VAT may differ from the invoice's by a cent.
CREATE OR REPLACE FUNCTION invoice_credited_net(p_invoice uuid) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT coalesce(sum(c.net_cents), 0)::bigint FROM invoices c WHERE c.credit_of = p_invoice);

CREATE OR REPLACE FUNCTION invoice_doc(i invoices) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    i.id, i.cooperative_id, i.kind, i.status, i.number, i.member_id, i.customer_id, i.issue_date,
    i.supply_date, i.due_date, i.description,
    coalesce((SELECT json_agg(row_to_json(x) ORDER BY x.line_no) FROM (SELECT l.line_no,
        l.description, trim_scale(l.quantity)::text AS quantity, l.unit, l.unit_price_cents,
        l.activity_category, l.vat_category, l.vat_rate_bp, l.net_cents
        FROM invoice_lines l WHERE l.invoice_id = i.id) x), '[]') AS lines,
    (SELECT row_to_json(t) FROM (SELECT
        coalesce(sum(v.base_cents), 0)::bigint AS net_cents,
        coalesce(json_agg(row_to_json(v)), '[]') AS vat,
        coalesce(sum(v.vat_cents), 0)::bigint AS vat_cents,
        coalesce(sum(v.base_cents + v.vat_cents), 0)::bigint AS gross_cents
     FROM invoice_vat(i.id) v) t) AS totals,
    i.paid_cents,
    CASE WHEN i.gross_cents IS NULL THEN NULL
         WHEN i.kind = 'invoice' THEN i.gross_cents + invoice_credited(i.id) - i.paid_cents
         ELSE i.gross_cents - i.paid_cents END AS open_cents,
    i.credit_of,
    coalesce((SELECT json_agg(c.id ORDER BY c.seq) FROM invoices c WHERE c.credit_of = i.id), '[]')
        AS credited_by,
    i.reason, i.rate_floor_override,
    rfc3339(i.issued_at) AS issued_at, rfc3339(i.created_at) AS created_at,
    rfc3339(i.updated_at) AS updated_at) d);

-- Trigger payments_append_only (004): a payment is never updated or deleted. Not a client rule
-- (the service never tries): SQLSTATE 42501, a 500 if it ever happens.
CREATE OR REPLACE FUNCTION payments_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payments are append-only: book a correction instead' USING ERRCODE = '42501';
END $$;

CREATE OR REPLACE FUNCTION payment_doc(p payments) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    p.id, p.invoice_id, p.amount_cents, p.received_on, p.method, p.reference,
    rfc3339(p.created_at))::payment_doc_fields);

-- Issues a draft (or submitted) invoice: every legal check, then the next number of the series,
-- all in the caller's transaction. Raises "code: detail" (SQLSTATE CO409/CO422) on a broken rule.
-- p_override: {"reason","by"} from a coop_admin, or NULL.
CREATE OR REPLACE FUNCTION invoice_issue(p_invoice uuid, p_issue_date date, p_override jsonb)
RETURNS invoices LANGUAGE plpgsql AS $$
DECLARE
    i invoices;
    c cooperatives;
    cu customers;
    m members;
    s invoice_series;
    d date;
    y integer;
    n integer;
    bad text;
BEGIN
    SELECT * INTO i FROM invoices WHERE id = p_invoice FOR UPDATE;
    IF i.number IS NOT NULL THEN
        RAISE EXCEPTION 'invoice_not_draft: the invoice was issued already' USING ERRCODE = 'CO409';
    END IF;
    -- The date given when issuing, else the draft's own, else today (SPEC §9).
    d := coalesce(p_issue_date, i.issue_date, today_nl());
    IF d > today_nl() THEN
        RAISE EXCEPTION 'issue_date_in_future: the issue date lies in the future' USING ERRCODE = 'CO422';
    END IF;
    SELECT * INTO c FROM cooperatives WHERE id = i.cooperative_id;
    SELECT * INTO cu FROM customers WHERE id = i.customer_id;
    SELECT * INTO m FROM members WHERE id = i.member_id;

    IF NOT EXISTS (SELECT 1 FROM invoice_lines WHERE invoice_id = i.id) THEN
        RAISE EXCEPTION 'incomplete_invoice_data: the invoice has no lines' USING ERRCODE = 'CO422';
    END IF;
    bad := concat_ws(', ',
        CASE WHEN c.vat_id IS NULL THEN 'the cooperative''s VAT id' END,
        CASE WHEN c.iban IS NULL THEN 'the cooperative''s IBAN' END,
        CASE WHEN cu.street IS NULL THEN 'the customer''s address' END);
    IF bad <> '' THEN
        RAISE EXCEPTION 'incomplete_invoice_data: a legal invoice needs %', bad USING ERRCODE = 'CO422';
    END IF;
    IF c.vat_scheme = 'kor' AND EXISTS (SELECT 1 FROM invoice_lines
            WHERE invoice_id = i.id AND vat_category <> 'E') THEN
        RAISE EXCEPTION 'kor_requires_exempt_lines: a cooperative under the KOR invoices without VAT (category E)'
            USING ERRCODE = 'CO422';
    END IF;
    IF cu.vat_id IS NULL AND EXISTS (SELECT 1 FROM invoice_lines
            WHERE invoice_id = i.id AND vat_category = 'AE') THEN
        RAISE EXCEPTION 'reverse_charge_without_vat_id: reverse charge (AE) needs the customer''s VAT id'
            USING ERRCODE = 'CO422';
    END IF;
    -- Only work done while a member may be invoiced (SPEC §10): joined on or before the supply
    -- date and not left before it, not an applicant, and not suspended now. Work done before
    -- leaving may still be invoiced afterwards; a credit note is always possible.
    IF i.kind = 'invoice' AND (m.status IN ('applicant', 'suspended') OR m.joined_on IS NULL
            OR m.joined_on > i.supply_date OR m.left_on < i.supply_date) THEN
        RAISE EXCEPTION 'member_not_active: %',
            CASE WHEN m.status = 'applicant' THEN 'the member is an applicant, whose work is invoiced once it has joined'
                 WHEN m.status = 'suspended' THEN 'the member is suspended, and nothing is invoiced for it meanwhile'
                 WHEN m.joined_on IS NULL OR m.joined_on > i.supply_date
                     THEN format('the member joined after the supply date %s', i.supply_date)
                 ELSE format('the member left before the supply date %s', i.supply_date) END
            USING ERRCODE = 'CO422';
    END IF;
    -- A member on benefit works only under a permission that covers the day of the work (a
    -- credit note needs none).
    IF i.kind = 'invoice' AND m.on_benefit AND NOT EXISTS (SELECT 1 FROM permissions p
            WHERE p.member_id = m.id AND p.covers @> i.supply_date) THEN
        RAISE EXCEPTION 'no_active_permission: no permission of the member covers the supply date %',
            i.supply_date USING ERRCODE = 'CO422';
    END IF;
    -- Unfair competition: no line below the rate floor of its activity and unit.
    IF i.kind = 'invoice' AND p_override IS NULL AND EXISTS (SELECT 1 FROM invoice_lines l JOIN rate_floors f
            ON f.cooperative_id = i.cooperative_id AND f.activity_category = l.activity_category
               AND f.unit = l.unit
            WHERE l.invoice_id = i.id AND l.unit_price_cents < f.minimum_unit_price_cents) THEN
        RAISE EXCEPTION 'below_rate_floor: a line is priced below the rate floor of its activity'
            USING ERRCODE = 'CO422';
    END IF;

    -- The number: lock the series row of the year, take the next, all in this transaction.
    y := extract(year FROM d);
    SELECT * INTO s FROM invoice_series WHERE cooperative_id = i.cooperative_id AND year = y
        FOR UPDATE;
    IF NOT FOUND THEN -- the first invoice of the year
        INSERT INTO invoice_series (cooperative_id, year) VALUES (i.cooperative_id, y)
            ON CONFLICT DO NOTHING;
        SELECT * INTO s FROM invoice_series WHERE cooperative_id = i.cooperative_id AND year = y
            FOR UPDATE;
    END IF;
    IF d < s.last_issue_date THEN
        RAISE EXCEPTION 'issue_date_before_last_issued: the series already has an invoice of %',
            s.last_issue_date USING ERRCODE = 'CO422';
    END IF;
    n := s.last_number + 1;
    UPDATE invoice_series SET last_number = n, last_issue_date = d
        WHERE cooperative_id = i.cooperative_id AND year = y;

    UPDATE invoices SET
        status = 'issued', issue_date = d, series_year = y, series_number = n,
        number = c.invoice_prefix || y || '-' || lpad(n::text, 5, '0'),
        due_date = coalesce(i.due_date, d + cu.payment_terms_days),
        net_cents = t.net, vat_cents = t.vat, gross_cents = t.net + t.vat,
        supplier = cooperative_doc(c)::jsonb, customer = customer_doc(cu)::jsonb,
        member = jsonb_build_object('first_name', m.first_name, 'last_name', m.last_name,
                                    'activity_description', m.activity_description),
        rate_floor_override = CASE WHEN p_override IS NULL THEN NULL
            ELSE p_override || jsonb_build_object('at', rfc3339(now())) END,
        issued_at = now(), row_version = row_version + 1, updated_at = now()
    FROM (SELECT coalesce(sum(base_cents), 0) AS net, coalesce(sum(vat_cents), 0) AS vat
          FROM invoice_vat(p_invoice)) t
    WHERE id = p_invoice
    RETURNING * INTO i;
    RETURN i;
END $$;

-- Creates an issued credit note for an issued invoice, in the caller's transaction. p_lines:
-- NULL credits whatever remains (the original's lines when nothing was credited yet, else one
-- line per VAT group with the remaining base); or an array of lines whose quantity is the
-- positive amount credited. Per VAT group, never more than the original is credited.
CREATE OR REPLACE FUNCTION credit_note_create(p_invoice uuid, p_lines jsonb, p_reason text,
                                   p_supply_date date, p_user uuid)
RETURNS invoices LANGUAGE plpgsql AS $$
DECLARE
    o invoices;
    cn invoices;
    k integer;
BEGIN
    SELECT * INTO o FROM invoices WHERE id = p_invoice FOR UPDATE;
    IF o.kind = 'credit_note' THEN
        RAISE EXCEPTION 'cannot_credit_credit_note: a credit note cannot be credited'
            USING ERRCODE = 'CO422';
    END IF;
    IF o.number IS NULL THEN
        RAISE EXCEPTION 'invoice_not_issued: only an issued invoice can be credited'
            USING ERRCODE = 'CO409';
    END IF;
    IF o.net_cents + invoice_credited_net(o.id) = 0 THEN
        RAISE EXCEPTION 'nothing_to_credit: the invoice is fully credited' USING ERRCODE = 'CO409';
    END IF;

    INSERT INTO invoices (cooperative_id, member_id, customer_id, kind, supply_date, description,
                          credit_of, reason, created_by)
    VALUES (o.cooperative_id, o.member_id, o.customer_id, 'credit_note',
            coalesce(p_supply_date, o.supply_date), 'Creditnota op factuur ' || o.number,
            o.id, p_reason, p_user)
    RETURNING * INTO cn;

    IF p_lines IS NOT NULL THEN
        INSERT INTO invoice_lines (invoice_id, line_no, description, quantity, unit,
                                   unit_price_cents, activity_category, vat_category, vat_rate_bp)
        SELECT cn.id, e.ord, l.description, -l.quantity, l.unit, l.unit_price_cents,
               l.activity_category, l.vat_category, l.vat_rate_bp
        FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS e(v, ord)
        CROSS JOIN LATERAL jsonb_to_record(e.v) AS l(description text, quantity numeric,
            unit text, unit_price_cents bigint, activity_category text, vat_category text,
            vat_rate_bp integer);
    ELSIF NOT EXISTS (SELECT 1 FROM invoices WHERE credit_of = o.id AND id <> cn.id) THEN
        INSERT INTO invoice_lines (invoice_id, line_no, description, quantity, unit,
                                   unit_price_cents, activity_category, vat_category, vat_rate_bp)
        SELECT cn.id, l.line_no, l.description, -l.quantity, l.unit, l.unit_price_cents,
               l.activity_category, l.vat_category, l.vat_rate_bp
        FROM invoice_lines l WHERE l.invoice_id = o.id;
    ELSE
        INSERT INTO invoice_lines (invoice_id, line_no, description, quantity, unit,
                                   unit_price_cents, activity_category, vat_category, vat_rate_bp)
        SELECT cn.id, row_number() OVER (ORDER BY g.vat_category, g.vat_rate_bp DESC),
               'Restant factuur ' || o.number, -1, 'piece', g.remaining, g.activity_category,
               g.vat_category, g.vat_rate_bp
        FROM (SELECT ov.vat_category, ov.vat_rate_bp,
                     ov.base_cents + coalesce((SELECT sum(cv.base_cents) FROM invoices c
                         CROSS JOIN LATERAL invoice_vat(c.id) cv
                         WHERE c.credit_of = o.id AND c.id <> cn.id
                           AND cv.vat_category = ov.vat_category
                           AND cv.vat_rate_bp = ov.vat_rate_bp), 0) AS remaining,
                     (SELECT l.activity_category FROM invoice_lines l WHERE l.invoice_id = o.id
                        AND l.vat_category = ov.vat_category AND l.vat_rate_bp = ov.vat_rate_bp
                      ORDER BY l.line_no LIMIT 1) AS activity_category
              FROM invoice_vat(o.id) ov) g
        WHERE g.remaining > 0;
    END IF;

    -- Per VAT group the credit notes together never exceed the original.
    IF NOT EXISTS (SELECT 1 FROM invoice_lines WHERE invoice_id = cn.id) THEN
        RAISE EXCEPTION 'nothing_to_credit: nothing remains to be credited' USING ERRCODE = 'CO409';
    END IF;
    IF EXISTS (SELECT 1 FROM invoice_vat(cn.id) nv
               LEFT JOIN invoice_vat(o.id) ov USING (vat_category, vat_rate_bp)
               WHERE ov.base_cents IS NULL OR nv.base_cents >= 0
                  OR ov.base_cents + (SELECT coalesce(sum(cv.base_cents), 0) FROM invoices c
                         CROSS JOIN LATERAL invoice_vat(c.id) cv
                         WHERE c.credit_of = o.id AND cv.vat_category = nv.vat_category
                           AND cv.vat_rate_bp = nv.vat_rate_bp) < 0) THEN
        RAISE EXCEPTION 'credit_exceeds_invoice: a credit note may not credit more than the invoice per VAT rate, nor a rate the invoice does not have'
            USING ERRCODE = 'CO422';
    END IF;

    cn := invoice_issue(cn.id, NULL, NULL);
    IF o.net_cents + invoice_credited_net(o.id) = 0 THEN
        UPDATE invoices SET status = 'credited', row_version = row_version + 1, updated_at = now()
            WHERE id = o.id;
    END IF;
    RETURN cn;
END $$;

-- Records a payment: on an invoice a positive amount up to what is open; on a credit note a
-- refund, a negative amount down to what is open. The status follows the open amount.
CREATE OR REPLACE FUNCTION payment_record(p_invoice uuid, p_amount bigint, p_received_on date,
                               p_method text, p_reference text, p_user uuid)
RETURNS payments LANGUAGE plpgsql AS $$
DECLARE
    i invoices;
    open_before bigint;
    p payments;
BEGIN
    SELECT * INTO i FROM invoices WHERE id = p_invoice FOR UPDATE;
    IF i.number IS NULL THEN
        RAISE EXCEPTION 'invoice_not_issued: payments are booked on issued invoices'
            USING ERRCODE = 'CO409';
    END IF;
    open_before := CASE WHEN i.kind = 'invoice' THEN i.gross_cents + invoice_credited(i.id)
                        ELSE i.gross_cents END - i.paid_cents;
    IF (i.kind = 'invoice' AND (p_amount <= 0 OR p_amount > open_before))
       OR (i.kind = 'credit_note' AND (p_amount >= 0 OR p_amount < open_before)) THEN
        RAISE EXCEPTION 'overpayment: % cents are open; a payment may not exceed that', open_before
            USING ERRCODE = 'CO422';
    END IF;
    INSERT INTO payments (invoice_id, cooperative_id, amount_cents, received_on, method,
                          reference, created_by)
    VALUES (i.id, i.cooperative_id, p_amount, p_received_on, p_method, p_reference, p_user)
    RETURNING * INTO p;
    UPDATE invoices SET paid_cents = paid_cents + p_amount,
        status = CASE WHEN status = 'credited' THEN 'credited'
                      WHEN open_before - p_amount = 0 THEN 'paid' ELSE 'issued' END,
        row_version = row_version + 1, updated_at = now()
    WHERE id = i.id;
    RETURN p;
END $$;

-- The VAT return of a quarter (aangifte omzetbelasting), from the invoices and credit notes
-- issued in it. Boxes: 1a 21%, 1b 9%, 1c other rates, 1e zero rate, exempt (KOR) and reverse
-- charge within NL, 3b reverse charge to customers in other EU countries; 5a the VAT due.
CREATE OR REPLACE FUNCTION vat_return(p_cooperative uuid, p_from date, p_to date) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH lines AS (
        SELECT CASE
                 WHEN v.vat_category = 'S' AND v.vat_rate_bp = 2100 THEN '1a'
                 WHEN v.vat_category = 'S' AND v.vat_rate_bp = 900 THEN '1b'
                 WHEN v.vat_category = 'S' THEN '1c'
                 WHEN v.vat_category = 'AE' AND coalesce(i.customer ->> 'vat_id', 'NL') NOT LIKE 'NL%'
                   THEN '3b'
                 ELSE '1e' END AS box,
               v.base_cents, v.vat_cents
        FROM invoices i CROSS JOIN LATERAL invoice_vat(i.id) v
        WHERE i.cooperative_id = p_cooperative AND i.number IS NOT NULL
          AND i.issue_date BETWEEN p_from AND p_to
    ), boxes AS (
        SELECT b.box, coalesce(sum(l.base_cents), 0)::bigint AS base_cents,
               coalesce(sum(l.vat_cents), 0)::bigint AS vat_cents
        FROM unnest(ARRAY['1a', '1b', '1c', '1e', '3b']) AS b(box)
        LEFT JOIN lines l ON l.box = b.box
        GROUP BY b.box
    )
    SELECT json_build_object(
        'boxes', (SELECT json_object_agg(box, json_build_object('base_cents', base_cents,
                      'vat_cents', vat_cents) ORDER BY box) FROM boxes),
        'vat_due_cents', (SELECT sum(vat_cents)::bigint FROM boxes WHERE box IN ('1a', '1b', '1c')),
        'invoices', (SELECT count(*) FROM invoices i WHERE i.cooperative_id = p_cooperative
                       AND i.number IS NOT NULL AND i.issue_date BETWEEN p_from AND p_to))
$$;
