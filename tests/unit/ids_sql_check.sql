-- Checks the SQL identifier functions of sql/002_identifiers.sql against every test vector of
-- RULES.md §4 and the edge cases of tests/unit/test_ids.c: each row states the answer the C
-- function gives (tests/unit/test_ids.c asserts the same), and any difference raises an exception.
-- Run on a database with the migrations applied:
--   psql URL -X -q -v ON_ERROR_STOP=1 -f tests/unit/ids_sql_check.sql
-- The cases live in a temporary table, so the script leaves nothing behind.
\set ON_ERROR_STOP 1

CREATE TEMPORARY TABLE ids_case (fn text NOT NULL, input text, expected boolean);

INSERT INTO ids_case (fn, input, expected) VALUES
    -- RULES.md §4 vectors
    ('kvk_valid', '12345678', true),
    ('kvk_valid', '1234567', false),
    ('rsin_valid', '111222333', true),
    ('rsin_valid', '111252333', false),
    ('vat_id_nl_valid', 'NL002455799B11', true),   -- mod 97 only
    ('vat_id_nl_valid', 'NL000099998B57', true),   -- mod 97 only
    ('vat_id_nl_valid', 'NL004495445B01', true),   -- 11-test only
    ('vat_id_nl_valid', 'NL123456789B90', false),
    ('vat_id_valid', 'NL002455799B11', true),
    ('vat_id_valid', 'NL000099998B57', true),
    ('vat_id_valid', 'NL004495445B01', true),
    ('vat_id_valid', 'NL123456789B90', false),
    ('iban_valid', 'NL91ABNA0417164300', true),
    ('iban_valid', 'NL02ABNA0123456789', true),
    ('iban_valid', 'NL91ABNA0417164301', false),
    ('postal_code_nl_valid', '1012 AB', true),
    ('postal_code_nl_valid', '0123 AB', false),
    ('municipality_code_valid', 'GM0363', true),
    ('municipality_code_valid', 'GM363', false),
    -- empty strings
    ('kvk_valid', '', false),
    ('rsin_valid', '', false),
    ('vat_id_nl_valid', '', false),
    ('vat_id_valid', '', false),
    ('iban_valid', '', false),
    ('postal_code_nl_valid', '', false),
    ('municipality_code_valid', '', false),
    ('bic_valid', '', false),
    ('email_plausible', '', false),
    -- KvK
    ('kvk_valid', '00000001', true),
    ('kvk_valid', '123456789', false),
    ('kvk_valid', '1234567A', false),
    ('kvk_valid', '1234 5678', false),
    ('kvk_valid', ' 12345678', false),
    ('kvk_valid', '12345678 ', false),
    ('kvk_valid', '+1234567', false),
    -- RSIN
    ('rsin_valid', '100000009', true),
    ('rsin_valid', '100000000', false),
    ('rsin_valid', '000000000', false),
    ('rsin_valid', '11122233', false),
    ('rsin_valid', '1112223330', false),
    ('rsin_valid', '11122233A', false),
    ('rsin_valid', '111 222 333', false),
    ('rsin_valid', '-11222333', false),
    ('rsin_valid', '002455799', false),
    ('rsin_valid', '000099998', false),
    ('rsin_valid', '004495445', true),
    -- Dutch VAT id
    ('vat_id_nl_valid', 'NL004495445B02', true),
    ('vat_id_nl_valid', 'NL111222333B01', true),
    ('vat_id_nl_valid', 'NL002455799B12', false),
    ('vat_id_nl_valid', 'NL000099998B58', false),
    ('vat_id_nl_valid', 'NL100000009B39', true),   -- both methods
    ('vat_id_nl_valid', 'NL000000000B73', false),  -- mod 97 holds, nine zeros
    ('vat_id_nl_valid', 'nl002455799B11', false),
    ('vat_id_nl_valid', 'NL002455799b11', false),
    ('vat_id_nl_valid', 'NL 002455799B11', false),
    ('vat_id_nl_valid', 'NL002455799B1', false),
    ('vat_id_nl_valid', 'NL002455799B111', false),
    ('vat_id_nl_valid', 'NL02455799B11', false),
    ('vat_id_nl_valid', 'NL002455799C11', false),
    ('vat_id_nl_valid', 'BE002455799B11', false),
    ('vat_id_nl_valid', 'NL00245579AB11', false),
    -- VAT id of any country
    ('vat_id_valid', 'DE123456789', true),
    ('vat_id_valid', 'BE0123456789', true),
    ('vat_id_valid', 'ATU12345678', true),
    ('vat_id_valid', 'FR12345678901', true),
    ('vat_id_valid', 'XX12', true),
    ('vat_id_valid', 'XX1234567890123', true),
    ('vat_id_valid', 'XX1', false),
    ('vat_id_valid', 'XX12345678901234', false),
    ('vat_id_valid', 'de123456789', false),
    ('vat_id_valid', 'DE 123456789', false),
    ('vat_id_valid', 'DE12345678-9', false),
    ('vat_id_valid', 'D1123456789', false),
    ('vat_id_valid', 'atu12345678', false),
    ('vat_id_valid', 'NL1234', false),
    ('vat_id_valid', 'NL002455799', false),
    ('vat_id_valid', 'NL000000000B73', false),
    -- IBAN
    ('iban_valid', 'DE89370400440532013000', true),
    ('iban_valid', 'GB82WEST12345698765432', true),
    ('iban_valid', 'BE71096123456769', true),
    ('iban_valid', 'FR1420041010050500013M02606', true),
    ('iban_valid', 'NO9386011117947', true),
    ('iban_valid', 'DE89370400440532013001', false),
    ('iban_valid', 'GB82WEST12345698765433', false),
    ('iban_valid', 'NL92ABNA0417164300', false),
    ('iban_valid', 'NL91ABNA0417164030', false),
    ('iban_valid', 'NL91 ABNA 0417 1643 00', false),
    ('iban_valid', 'NL91ABNA0417164300 ', false),
    ('iban_valid', 'nl91abna0417164300', false),
    ('iban_valid', 'NL91abna0417164300', false),
    ('iban_valid', 'NL91ABNA04171643000', false),
    ('iban_valid', 'NL91ABNA041716430', false),
    ('iban_valid', 'NL44ABN10417164300', false),
    ('iban_valid', 'NL98ABNA1000000023', true),
    ('iban_valid', 'NL01ABNA1000000023', false),
    ('iban_valid', 'NL02ABNA1000000005', true),
    ('iban_valid', 'NL99ABNA1000000005', false),
    ('iban_valid', 'NL00ABNA1000000005', false),
    ('iban_valid', 'NL9', false),
    ('iban_valid', 'NO698601111794', false),
    ('iban_valid', '1291ABNA0417164300', false),
    ('iban_valid', 'NLX1ABNA0417164300', false),
    ('iban_valid', 'DE89-370400440532013000', false),
    ('iban_valid', 'XX891234567890123456789012345678901', false),
    -- postal code
    ('postal_code_nl_valid', '1012AB', true),
    ('postal_code_nl_valid', '9999 ZZ', true),
    ('postal_code_nl_valid', '1000 AA', true),
    ('postal_code_nl_valid', '0123AB', false),
    ('postal_code_nl_valid', '1012 SA', false),
    ('postal_code_nl_valid', '1012 SD', false),
    ('postal_code_nl_valid', '1012 SS', false),
    ('postal_code_nl_valid', '1012SS', false),
    ('postal_code_nl_valid', '1012 SB', true),
    ('postal_code_nl_valid', '1012 AS', true),
    ('postal_code_nl_valid', '1012 ab', false),
    ('postal_code_nl_valid', '1012 aB', false),
    ('postal_code_nl_valid', '1012  AB', false),
    ('postal_code_nl_valid', ' 1012 AB', false),
    ('postal_code_nl_valid', '1012 AB ', false),
    ('postal_code_nl_valid', '1012-AB', false),
    ('postal_code_nl_valid', '101 AB', false),
    ('postal_code_nl_valid', '10123 AB', false),
    ('postal_code_nl_valid', '1012 A', false),
    ('postal_code_nl_valid', '1012 ABC', false),
    ('postal_code_nl_valid', '1O12 AB', false),
    ('postal_code_nl_valid', '1012 A1', false),
    -- municipality code
    ('municipality_code_valid', 'GM0014', true),
    ('municipality_code_valid', 'gm0363', false),
    ('municipality_code_valid', 'GM03630', false),
    ('municipality_code_valid', 'GM036A', false),
    ('municipality_code_valid', 'GM 0363', false),
    ('municipality_code_valid', '0363', false),
    ('municipality_code_valid', 'PV0363', false),
    -- BIC
    ('bic_valid', 'ABNANL2A', true),
    ('bic_valid', 'RABONL2U', true),
    ('bic_valid', 'DEUTDEFF500', true),
    ('bic_valid', 'INGBNL2AXXX', true),
    ('bic_valid', 'ABNANL2', false),
    ('bic_valid', 'ABNANL2AX', false),
    ('bic_valid', 'ABNANL2AXX', false),
    ('bic_valid', 'ABNANL2AXXXX', false),
    ('bic_valid', 'abnanl2a', false),
    ('bic_valid', 'AB1ANL2A', false),
    ('bic_valid', 'ABNAN12A', false),
    ('bic_valid', 'ABNANL2a', false),
    ('bic_valid', 'ABNA NL2A', false),
    ('bic_valid', 'ABNANL2-XXX', false),
    -- e-mail
    ('email_plausible', 'jan@example.nl', true),
    ('email_plausible', 'j.de.vries+coop@mail.example.org', true),
    ('email_plausible', 'a@b.c', true),
    ('email_plausible', 'jan.example.nl', false),
    ('email_plausible', 'jan@@example.nl', false),
    ('email_plausible', 'jan@ex@ample.nl', false),
    ('email_plausible', '@example.nl', false),
    ('email_plausible', 'jan@', false),
    ('email_plausible', '@', false),
    ('email_plausible', 'jan@localhost', false),
    ('email_plausible', 'jan@.example.nl', false),
    ('email_plausible', 'jan@example.nl.', false),
    ('email_plausible', 'jan@example..nl', false),
    ('email_plausible', 'jan@.', false),
    ('email_plausible', 'jan @example.nl', false),
    ('email_plausible', 'jan@example.nl ', false),
    ('email_plausible', ' jan@example.nl', false),
    ('email_plausible', E'jan@exa\tmple.nl', false),
    ('email_plausible', E'jan\n@example.nl', false),
    ('email_plausible', E'jan\x7f@example.nl', false),
    ('email_plausible', repeat('a', 64) || '@' || repeat('b', 135) || '.' || repeat('b', 53), true),
    ('email_plausible', repeat('a', 64) || '@' || repeat('b', 135) || '.' || repeat('b', 54), false);

-- NULL in gives NULL out, so that nullable columns pass their CHECK.
INSERT INTO ids_case (fn, input, expected)
SELECT fn, NULL, NULL
FROM unnest(ARRAY['kvk_valid', 'rsin_valid', 'vat_id_nl_valid', 'vat_id_valid', 'iban_valid',
                  'postal_code_nl_valid', 'municipality_code_valid', 'bic_valid',
                  'email_plausible']) AS fn;

DO $$
DECLARE
    c record;
    got boolean;
    n integer := 0;
    bad text[] := '{}';
BEGIN
    FOR c IN SELECT * FROM ids_case ORDER BY fn, input LOOP
        EXECUTE format('SELECT %I($1)', c.fn) INTO got USING c.input;
        n := n + 1;
        IF got IS DISTINCT FROM c.expected THEN
            bad := bad || format('%s(%L) = %s, expected %s', c.fn, c.input,
                                 coalesce(got::text, 'NULL'), coalesce(c.expected::text, 'NULL'));
        END IF;
    END LOOP;
    IF cardinality(bad) > 0 THEN
        RAISE EXCEPTION 'identifier checks: % of % cases differ from C: %', cardinality(bad), n,
            array_to_string(bad, '; ');
    END IF;
    RAISE NOTICE 'identifier checks: % cases agree with C', n;
END
$$;

-- Functions meant for CHECK constraints must be immutable, parallel safe and strict.
DO $$
DECLARE
    wrong text;
BEGIN
    SELECT string_agg(proname, ', ') INTO wrong
    FROM pg_proc
    WHERE proname IN ('kvk_valid', 'rsin_valid', 'vat_id_nl_valid', 'vat_id_valid', 'iban_valid',
                      'postal_code_nl_valid', 'municipality_code_valid', 'bic_valid',
                      'email_plausible', 'iso7064_mod97', 'eleven_test')
      AND (provolatile <> 'i' OR proparallel <> 's' OR NOT proisstrict);
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'identifier functions not immutable, parallel safe and strict: %', wrong;
    END IF;
END
$$;

DROP TABLE ids_case;
