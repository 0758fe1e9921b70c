-- Boolean checks of the Dutch (and a few international) identifiers of RULES.md §4, used in table
-- CHECK constraints (`CHECK (iban_valid(iban))`). They implement the same rules as
-- service/lib/ids.c, which checks input first and gives the field errors; these guard the tables.
-- tests/unit/ids_sql_check.sql proves that both give the same answers.
-- All are IMMUTABLE, PARALLEL SAFE and STRICT: NULL in gives NULL out, which a CHECK passes, so
-- nullable columns work. Only the canonical form is valid (upper case, no stray spaces).
-- Character classes are spelled out ([0-9], [A-Z]): PostgreSQL's regex ranges compare code
-- points, whereas \d and [[:alpha:]] follow the locale. A CASE guards every cast, because SQL
-- does not promise to evaluate the operands of AND from left to right.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- ISO 7064 mod 97 of a string of [0-9A-Z]: digits as themselves, letters A=10 … Z=35; numeric
-- holds the whole number exactly (at most 68 digits for the longest IBAN). NULL for other text.
CREATE OR REPLACE FUNCTION iso7064_mod97(s text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN s ~ '^[0-9A-Z]+$' THEN
    ((SELECT string_agg(CASE WHEN c ~ '^[0-9]$' THEN c ELSE (ascii(c) - 55)::text END, ''
                        ORDER BY n)
      FROM regexp_split_to_table(s, '') WITH ORDINALITY AS t(c, n))::numeric % 97)::integer
END;

-- The 11-test of RULES.md §4 on 9 digits: 9*d1 + 8*d2 + … + 2*d8 − 1*d9 ≡ 0 (mod 11); nine
-- zeros satisfy the sum but are no number and fail.
CREATE OR REPLACE FUNCTION eleven_test(d text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN d ~ '^[0-9]{9}$' AND d <> '000000000' THEN
    (SELECT sum(substr(d, i, 1)::integer * (ARRAY[9, 8, 7, 6, 5, 4, 3, 2, -1])[i])
     FROM generate_series(1, 9) AS i) % 11 = 0
ELSE false END;

-- KvK number: exactly 8 digits, no check digit.
CREATE OR REPLACE FUNCTION kvk_valid(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN s ~ '^[0-9]{8}$';

-- RSIN: 9 digits passing the 11-test.
CREATE OR REPLACE FUNCTION rsin_valid(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN eleven_test(s);

-- Dutch VAT id: NL + 9 digits + B + 2 digits, and the whole string passes mod 97 (ids issued
-- since 2020) or the 9 digits pass the 11-test (the older, RSIN-based ids). Nine zeros fail.
CREATE OR REPLACE FUNCTION vat_id_nl_valid(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN s ~ '^NL[0-9]{9}B[0-9]{2}$' AND substr(s, 3, 9) <> '000000000' THEN
    iso7064_mod97(s) = 1 OR eleven_test(substr(s, 3, 9))
ELSE false END;

-- Any VAT id: 2 upper-case letters + 2..13 upper-case letters or digits; an NL id must pass the
-- Dutch check, others are checked for format only (customers abroad).
CREATE OR REPLACE FUNCTION vat_id_valid(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN s !~ '^[A-Z]{2}[0-9A-Z]{2,13}$' THEN false
            WHEN left(s, 2) = 'NL' THEN vat_id_nl_valid(s)
            ELSE true END;

-- IBAN: 2 letters, 2 check digits (not 00, 01 or 99: never issued, and 01 and 99 are the mod 97
-- aliases of 98 and 02), 11..30 letters or digits; NL is NLkk + 4-letter bank + 10 digits
-- (18 in all); the first 4 characters moved to the end give mod 97 = 1.
CREATE OR REPLACE FUNCTION iban_valid(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN s !~ '^[A-Z]{2}[0-9]{2}[0-9A-Z]{11,30}$'
                 OR substr(s, 3, 2) IN ('00', '01', '99')
                 OR (left(s, 2) = 'NL' AND s !~ '^NL[0-9]{2}[A-Z]{4}[0-9]{10}$') THEN false
            ELSE iso7064_mod97(substr(s, 5) || left(s, 4)) = 1 END;

-- Dutch postal code: 4 digits (the first not 0), an optional single space, 2 upper-case letters,
-- not SA, SD or SS.
CREATE OR REPLACE FUNCTION postal_code_nl_valid(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN s ~ '^[1-9][0-9]{3} ?[A-Z]{2}$' AND right(s, 2) NOT IN ('SA', 'SD', 'SS');

-- CBS municipality code: GM + 4 digits.
CREATE OR REPLACE FUNCTION municipality_code_valid(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN s ~ '^GM[0-9]{4}$';

-- BIC (ISO 9362, as ISO 20022's BICIdentifier, as bic_valid in ids.c): 4 letters bank, 2
-- letters country, 2 letters or digits location (the first not 0 or 1, the second not the letter
-- O), optionally 3 letters or digits branch: a BIC a SEPA file can carry.
CREATE OR REPLACE FUNCTION bic_valid(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN s ~ '^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$';

-- A plausible e-mail address (as email_plausible in ids.c): at most 254 bytes, exactly one @,
-- a non-empty local part, a domain of at least two non-empty dot-separated labels, no spaces or
-- control characters.
CREATE OR REPLACE FUNCTION email_plausible(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN octet_length(s) <= 254
    AND s ~ '^[^@]+@[^@.]+(\.[^@.]+)+$'
    AND s !~ '[\x01-\x20\x7F]';
