-- Checks sql/functions/ on a database that coopd migrated (migrations, then the function files):
--   1. the function files were applied and their checksum recorded (schema_functions);
--   2. every RAISE EXCEPTION of every function names its SQLSTATE: an application rule
--      ("code: detail") carries class CO + its 4xx HTTP status, nothing raises P0001, and one
--      code always has the same status; and a raised rule reaches the caller so;
--   3. the files hold only CREATE OR REPLACE FUNCTION, one definition per function, and every
--      function of schema public has its live definition there;
--   4. applying the files again changes no definition.
-- Run from the repository root (the files are read relative to it), as tests/run.sh does:
--   psql URL -X -q -v ON_ERROR_STOP=1 -f tests/unit/functions_sql_check.sql
-- Step 4 runs in a transaction that is rolled back, so the script leaves nothing behind.
\set ON_ERROR_STOP 1
\set fn_files `cat sql/functions/*.sql 2>/dev/null`

-- The functions of schema public that are ours (not those of an extension such as btree_gist).
CREATE TEMPORARY VIEW own_functions AS
SELECT p.oid, p.oid::regprocedure::text AS signature, p.proname, p.prosrc
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e');

-- 1. applied and recorded
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM schema_functions WHERE checksum ~ '^[0-9a-f]{64}$') THEN
        RAISE EXCEPTION 'schema_functions holds no checksum: sql/functions was not applied';
    END IF;
END
$$;

-- 2. every RAISE EXCEPTION: 'literal' [, args] USING ERRCODE = '.....'
CREATE TEMPORARY TABLE raises AS
SELECT f.signature, m[1] AS message, m[2] AS rest,
       substring(m[2] FROM $re$(?i)ERRCODE\s*=\s*'([0-9A-Z]{5})'$re$) AS errcode,
       substring(m[1] FROM '^([a-z0-9_]+): ') AS code
FROM own_functions f
CROSS JOIN LATERAL regexp_matches(f.prosrc,
    $re$RAISE\s+EXCEPTION\s+'((?:[^']|'')*)'([^;]*);$re$, 'gi') AS m;

DO $$
DECLARE
    wrong text;
BEGIN
    -- a RAISE that is not a notice and not of the form above (RAISE 'x' defaults to EXCEPTION)
    SELECT string_agg(signature, ', ') INTO wrong FROM own_functions f
    WHERE (SELECT count(*) FROM regexp_matches(f.prosrc,
               '\mRAISE\s+(?!(?:DEBUG|LOG|INFO|NOTICE|WARNING)\M)', 'gi'))
       <> (SELECT count(*) FROM raises r WHERE r.signature = f.signature);
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'functions with a RAISE not written as RAISE EXCEPTION ''code: detail'' USING ERRCODE: %', wrong;
    END IF;

    SELECT string_agg(format('%s: %s', signature, message), '; ') INTO wrong FROM raises
    WHERE errcode IS NULL OR errcode = 'P0001';
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'RAISE EXCEPTION without an explicit ERRCODE other than P0001: %', wrong;
    END IF;

    SELECT string_agg(format('%s: %s (%s)', signature, message, errcode), '; ') INTO wrong
    FROM raises WHERE (code IS NOT NULL) <> (errcode ~ '^CO4[0-9]{2}$');
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'a rule "code: detail" must raise class CO with a 4xx status, and only a rule may: %', wrong;
    END IF;

    SELECT string_agg(format('%s (%s)', code, codes), '; ') INTO wrong FROM (
        SELECT code, string_agg(DISTINCT errcode, ', ') AS codes FROM raises
        WHERE code IS NOT NULL GROUP BY code HAVING count(DISTINCT errcode) > 1) x;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'a rule code raised with different statuses: %', wrong;
    END IF;

    RAISE NOTICE 'raises: % rule raises of % codes carry class CO; % others name their SQLSTATE',
        (SELECT count(*) FROM raises WHERE code IS NOT NULL),
        (SELECT count(DISTINCT code) FROM raises),
        (SELECT count(*) FROM raises WHERE code IS NULL);
END
$$;

-- 2b. a rule reaches the caller with its class CO SQLSTATE (an invoice that does not exist has
-- no lines: incomplete_invoice_data, 422)
DO $$
BEGIN
    BEGIN
        PERFORM invoice_issue(gen_random_uuid(), NULL, NULL);
    EXCEPTION WHEN SQLSTATE 'CO422' THEN
        IF SQLERRM NOT LIKE 'incomplete_invoice_data: %' THEN
            RAISE EXCEPTION 'invoice_issue raised CO422 with the message %', SQLERRM;
        END IF;
        RETURN;
    END;
    RAISE EXCEPTION 'invoice_issue of a missing invoice raised nothing';
END
$$;

-- 3. the files: only CREATE OR REPLACE FUNCTION, each function once
SELECT set_config('coopd.fn_src', :'fn_files', false) \g /dev/null
DO $$
DECLARE
    src text := current_setting('coopd.fn_src');
    wrong text;
BEGIN
    IF src = '' THEN
        RAISE EXCEPTION 'sql/functions/*.sql not found: run this from the repository root';
    END IF;
    -- comments out first (they may say anything), then every CREATE
    src := regexp_replace(src, '--[^\n]*', '', 'g');
    SELECT string_agg(DISTINCT m[1], ', ') INTO wrong
    FROM regexp_matches(src, '\mCREATE\s+(?!OR\s+REPLACE\s+FUNCTION\M)(\w+(\s+\w+)?)', 'gi') AS m;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'sql/functions holds more than CREATE OR REPLACE FUNCTION: CREATE %', wrong;
    END IF;
    SELECT string_agg(name, ', ') INTO wrong FROM (
        SELECT lower(m[1]) AS name FROM regexp_matches(src,
            '\mCREATE\s+OR\s+REPLACE\s+FUNCTION\s+(\w+)\s*\(', 'gi') AS m
        GROUP BY 1 HAVING count(*) > 1) x;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'functions defined more than once in sql/functions: %', wrong;
    END IF;
END
$$;

-- 4. again: every function of the database is replaced (so it lives in the files), and none
-- changes
CREATE TEMPORARY TABLE defs_before AS
SELECT oid, signature, pg_get_functiondef(oid) AS def FROM own_functions;

BEGIN;
:fn_files
DO $$
DECLARE
    wrong text;
BEGIN
    -- a row CREATE OR REPLACE rewrote has this transaction's xmin
    SELECT string_agg(f.signature, ', ') INTO wrong
    FROM own_functions f JOIN pg_proc p ON p.oid = f.oid
    WHERE p.xmin <> pg_current_xact_id()::xid;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'functions without a live definition in sql/functions: %', wrong;
    END IF;
    SELECT string_agg(coalesce(b.signature, a.signature), ', ') INTO wrong
    FROM defs_before b
    FULL JOIN (SELECT oid, signature, pg_get_functiondef(oid) AS def FROM own_functions) a
        USING (oid)
    WHERE a.def IS DISTINCT FROM b.def;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'applying sql/functions again changed: %', wrong;
    END IF;
    RAISE NOTICE 'sql/functions: % functions, applying them again changes none',
        (SELECT count(*) FROM defs_before);
END
$$;
ROLLBACK;

DROP TABLE defs_before;
DROP TABLE raises;
DROP VIEW own_functions;
