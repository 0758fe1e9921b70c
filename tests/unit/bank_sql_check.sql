-- Checks how bank entries name invoices (bank_numbers_named, sql/functions/bank.sql) on a
-- database that coopd migrated: the invoice numbers customers type in a remittance text, as
-- the matching's first two rules read them, and the texts that must name nothing. The prefix
-- is WERK (numbers WERK2026-00012) and, for the prefix-in-a-prefix cases, W and WERK1.
-- Run as tests/run.sh does: psql URL -X -q -v ON_ERROR_STOP=1 -f tests/unit/bank_sql_check.sql
\set ON_ERROR_STOP 1

DO $$
DECLARE
    c record;
    got text[];
    wrong text := '';
    n integer := 0;
BEGIN
    FOR c IN SELECT * FROM (VALUES
        -- as coopd writes it, and as customers type it
        ('WERK2026-00012', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('Factuur WERK2026-00012', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('werk 2026 12', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('WERK 2026/12', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('Werk-2026-012', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('werk.2026.00012', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('WERK202600012', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('WERK2026 12 dank je wel', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('fact.nr:WERK_2026_12.', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('#werk2026#12', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('WERK 2026 - 00012', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        ('werk2026-99999', ARRAY['WERK'], ARRAY['WERK2026-99999']),
        ('WERK2026-0000012', ARRAY['WERK'], ARRAY['WERK2026-00012']),
        -- a text cut into lines and joined (bank_remittance_text joins them both ways)
        ('Betaling factuur WERK 2026/ 4 tuinonderhoud', ARRAY['WERK'], ARRAY['WERK2026-00004']),
        ('/REMI/Fact. WERK-2026-06/EREF/NOTPROVIDED', ARRAY['WERK'], ARRAY['WERK2026-00006']),
        -- several numbers, each once
        ('WERK2026-00012 en werk 2026 13, WERK2026-12', ARRAY['WERK'],
         ARRAY['WERK2026-00012', 'WERK2026-00013']),
        -- several prefixes of one cooperative (the prefix was changed)
        ('OUD2025-00003 en WERK2026-00001', ARRAY['OUD', 'WERK'],
         ARRAY['OUD2025-00003', 'WERK2026-00001']),
        -- a prefix that is the start of another: each reads its own numbers
        ('WERK12026-00005', ARRAY['W', 'WERK1'], ARRAY['WERK12026-00005']),
        ('W 2026 5', ARRAY['W', 'WERK1'], ARRAY['W2026-00005']),
        -- not a number of this cooperative
        ('Factuur 2026-00012', ARRAY['WERK'], ARRAY[]::text[]),
        ('WERKPLAATS 2026 12', ARRAY['WERK'], ARRAY[]::text[]),
        ('NETWERK2026-00012', ARRAY['WERK'], ARRAY[]::text[]),
        ('WERK26-12', ARRAY['WERK'], ARRAY[]::text[]),
        ('WERK2026-123456', ARRAY['WERK'], ARRAY[]::text[]),
        ('WERK 2026 x 12', ARRAY['WERK'], ARRAY[]::text[]),
        ('', ARRAY['WERK'], ARRAY[]::text[]),
        (NULL, ARRAY['WERK'], ARRAY[]::text[]),
        ('WERK2026-00012', ARRAY[]::text[], ARRAY[]::text[])
    ) AS t(txt, prefixes, want) LOOP
        got := bank_numbers_named(c.txt, c.prefixes);
        n := n + 1;
        IF got IS DISTINCT FROM c.want THEN
            wrong := wrong || format(E'\n  %L with %s: %s, expected %s', c.txt, c.prefixes, got,
                                     c.want);
        END IF;
    END LOOP;
    IF wrong <> '' THEN
        RAISE EXCEPTION 'bank_numbers_named:%', wrong;
    END IF;
    RAISE NOTICE 'bank_numbers_named: % texts read as expected', n;
END
$$;
