-- The member's monthly statement (GET /v1/members/{id}/thermometer/{YYYY-MM}/pdf): the page a
-- part-time entrepreneur hands to the municipality's income consultant. One JSON document for
-- the renderer (lib/statement_pdf.h): the cooperative, the member (name and municipal
-- reference, the only link to the municipal file), the month's thermometer row, the documents
-- that counted in
-- it (at most 500, the renderer's STATEMENT_DOCUMENTS_MAX, and how many more), and the months
-- of the year so far.

-- What counted in the row's turnover, one entry per document (§6.2, on the row's income
-- basis): issued invoices and credit notes by supply_date or issue_date, or the net part of each
-- payment received. Only what was there when the row was calculated: a finalized version lists
-- what it counted, and what came later makes the row stale (its correction will list it).
CREATE OR REPLACE FUNCTION statement_documents(p_member uuid, p_period date, p_basis text,
                                               p_as_of timestamptz)
RETURNS TABLE (number text, kind text, day date, customer text, counted_cents bigint)
LANGUAGE sql STABLE AS $$
    SELECT i.number, i.kind, CASE p_basis WHEN 'work_period' THEN i.supply_date
                                          ELSE i.issue_date END,
           i.customer->>'name', i.net_cents
    FROM invoices i
    WHERE p_basis IN ('work_period', 'invoice_date') AND i.member_id = p_member
      AND i.number IS NOT NULL AND i.issued_at <= p_as_of
      AND CASE p_basis WHEN 'work_period' THEN i.supply_date ELSE i.issue_date END
          BETWEEN p_period AND month_last(p_period)
    UNION ALL
    SELECT i.number, 'payment', p.received_on, i.customer->>'name',
           CASE WHEN i.gross_cents = 0 THEN 0
                ELSE round(p.amount_cents::numeric * i.net_cents / i.gross_cents) END::bigint
    FROM payments p JOIN invoices i ON i.id = p.invoice_id
    WHERE p_basis = 'payment_date' AND i.member_id = p_member AND p.created_at <= p_as_of
      AND p.received_on BETWEEN p_period AND month_last(p_period)
$$;

-- The statement document of a member and month, or NULL when the member has no row for it
-- (not active in the month). The row is the thermometer's: the latest finalized version, or a
-- live calculation of an open month. The year lists every month from January up to the month:
-- its current row (final or draft) or none.
CREATE OR REPLACE FUNCTION statement_doc(p_member uuid, p_period date) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH t AS (SELECT settlement_thermometer(p_member, p_period) AS row),
    docs AS (
        -- as of the stored row's calculation (to the microsecond), or now for a live draft
        SELECT d.* FROM t, statement_documents(p_member, p_period, t.row->>'income_basis',
            coalesce((SELECT s.calculated_at FROM settlement_rows s
                      WHERE s.id = (t.row->>'id')::uuid), now())) d
    ),
    shown AS (SELECT * FROM docs ORDER BY day, number LIMIT 500),
    months AS (
        SELECT g.m::date AS period,
               CASE WHEN g.m::date = p_period THEN t.row
                    ELSE (SELECT settlement_row_doc(s) FROM settlement_rows s
                          WHERE s.member_id = p_member AND s.period = g.m::date
                            AND settlement_row_current(s)
                          ORDER BY s.version DESC NULLS LAST LIMIT 1) END AS row
        FROM t, generate_series(date_trunc('year', p_period), p_period, interval '1 month') g(m)
    )
    SELECT json_build_object(
        'period', month_text(p_period),
        'made_on', today_nl(),
        'cooperative', json_build_object(
            'legal_name', c.legal_name, 'trade_name', c.trade_name, 'kvk_number', c.kvk_number,
            'street', c.street, 'house_number', c.house_number, 'postal_code', c.postal_code,
            'city', c.city, 'email', c.email),
        'member', json_build_object(
            'first_name', m.first_name, 'last_name', m.last_name,
            'municipal_reference', t.row->>'municipal_reference',
            'municipality_code', t.row->>'municipality_code', 'municipality_name', mu.name),
        'row', t.row,
        'documents', (SELECT coalesce(json_agg(json_build_object(
                          'number', d.number, 'kind', d.kind, 'date', d.day,
                          'customer', d.customer, 'counted_cents', d.counted_cents)
                          ORDER BY d.day, d.number), '[]')
                      FROM shown d),
        'more_documents', (SELECT count(*) FROM docs) - (SELECT count(*) FROM shown),
        'year', (SELECT json_agg(json_build_object(
                     'period', month_text(y.period), 'status', y.row->>'status',
                     'turnover_cents', (y.row->>'turnover_cents')::bigint,
                     'base_cents', (y.row->>'base_cents')::bigint,
                     'tax_reservation_cents', (y.row->>'tax_reservation_cents')::bigint,
                     'net_income_cents', (y.row->>'net_income_cents')::bigint,
                     'exemption_cents', (y.row->>'exemption_cents')::bigint,
                     'amount_to_settle_cents', (y.row->>'amount_to_settle_cents')::bigint)
                     ORDER BY y.period)
                 FROM months y))
    FROM t JOIN members m ON m.id = p_member
    JOIN cooperatives c ON c.id = m.cooperative_id
    LEFT JOIN municipalities mu ON mu.code = t.row->>'municipality_code'
    WHERE t.row IS NOT NULL
$$;
