-- Shared helpers: timestamps and dates as the API writes them, text a human typed, the list
-- key of dated versions, an address as JSON, and basis points of an amount in whole cents.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- A timestamp as the API writes it: UTC, whole seconds, RFC 3339.
-- STABLE, as to_char is (it reads the locale for TM patterns): a SQL function is inlined only
-- when its body is no more volatile than it is declared, and one that is not inlined into a
-- document function (a *_doc) has its body parsed and planned again for every document. That
-- was a third of a settlement row document's cost.
CREATE OR REPLACE FUNCTION rfc3339(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

-- Business dates use the Dutch calendar (SPEC §9).
CREATE OR REPLACE FUNCTION today_nl() RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (now() AT TIME ZONE 'Europe/Amsterdam')::date;

-- (STABLE for the reason rfc3339 is.)
CREATE OR REPLACE FUNCTION month_text(d date) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
RETURN to_char(d, 'YYYY-MM');

-- The last day of d's month, and the first day of the month n months from d's (d a month's first
-- day): written as functions so that a query's bounds stay readable, and inlined and folded to
-- constants where the month is known when the query is planned.
CREATE OR REPLACE FUNCTION month_last(d date) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (date_trunc('month', d::timestamp) + interval '1 month - 1 day')::date;

CREATE OR REPLACE FUNCTION month_add(d date, n integer) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (d + make_interval(months => n))::date;

-- Text a human typed: 1 to n characters, no control characters.
CREATE OR REPLACE FUNCTION plain_text(t text, n integer) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN length(t) BETWEEN 1 AND n AND t !~ '[[:cntrl:]]';

-- The list position of a dated version: ordered by valid_from, then creation. One bigint, so
-- that the cursor of such a list is as simple as that of any other (seq < 2^32 here).
CREATE OR REPLACE FUNCTION dated_key(d date, seq bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (d - date '1900-01-01')::bigint * 4294967296 + seq;

-- STABLE as json_build_object is: a function declared more stable than its body is never
-- inlined into the documents that call it (015).
CREATE OR REPLACE FUNCTION address_doc(street text, house_number text, postal_code text, city text,
                            country text) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN street IS NULL THEN NULL ELSE json_build_object(
    'street', street, 'house_number', house_number, 'postal_code', postal_code, 'city', city,
    'country', country) END;

-- x × bp / 10000, rounded to whole cents (bp: basis points, 100 = 1 %).
CREATE OR REPLACE FUNCTION bp_of(x bigint, bp integer) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN round(x::numeric * bp / 10000)::bigint;

-- The trigger function of every "this never changes" rule (premiums, finalized settlement rows
-- and reconciliations): refuses with the trigger's argument as the message. Not a client rule
-- (the service never tries): SQLSTATE 42501, a 500 if it ever happens.
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = '42501';
END $$;
