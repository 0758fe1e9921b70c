-- What the row-level security policies of municipal requests read (012): the municipality and
-- the caller the request's transaction was given (auth/context.c). A setting that is not set, or
-- that an earlier transaction of the connection set and that is now '', reads as NULL, which
-- matches no row.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE.

CREATE OR REPLACE FUNCTION municipal_scope() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN nullif(current_setting('coopd.municipality', true), '');

CREATE OR REPLACE FUNCTION request_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
RETURN nullif(current_setting('coopd.user_id', true), '')::uuid;
