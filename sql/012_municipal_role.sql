-- 012: row-level security for municipal requests, a second line of defence behind the WHERE
-- clauses of the municipal view (SPEC §7, issue 11): a bug in C or in a query must not be able to
-- show one municipality another's residents.
--
-- Every request of a municipal principal runs as the database role coopd_municipal for its whole
-- transaction (auth/context.c: set_config('role', ...) in the statement that also sets
-- coopd.municipality). That role owns nothing, cannot bypass row-level security and may read only
-- the tables granted below; on the tables with residents' personal data the policies let it see
-- the rows of the municipality set in the transaction and nothing else (no municipality set: no
-- rows). What the municipal view must know beyond its own rows (the transparency view's counts
-- of members per municipality, the cooperative's finances) it reads through SECURITY DEFINER
-- functions that return aggregates only (sql/functions/view.sql); the audit trail is written
-- through audit_append, also SECURITY DEFINER.
--
-- The role is cluster-wide. Creating it takes CREATEROLE (a superuser, or the role coopd
-- migrates as); where coopd's database user may not create roles (CloudNativePG's application
-- user), the operator creates it beforehand (a managed role: NOLOGIN, no BYPASSRLS) and makes
-- coopd's user a member of it: README, "Row-level security". A table added later that municipal
-- requests read needs its GRANT (and, when it holds personal data, its policy) in the migration
-- that adds it.
-- (Databases of one cluster may migrate at once, as the tests' do: a role or membership that
-- another one created in the meantime is fine.)
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'coopd_municipal') THEN
        BEGIN
            CREATE ROLE coopd_municipal NOLOGIN NOSUPERUSER NOINHERIT NOCREATEDB NOCREATEROLE
                NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'coopd_municipal'
               AND (rolsuper OR rolbypassrls OR rolcreaterole)) THEN
        RAISE EXCEPTION 'the role coopd_municipal must not be a superuser, bypass row-level security or create roles';
    END IF;
    IF NOT pg_has_role(current_user, 'coopd_municipal', 'MEMBER') THEN
        BEGIN
            GRANT coopd_municipal TO CURRENT_USER;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END $$;

-- The setting every policy reads: the municipality of the request's transaction, or NULL.
CREATE FUNCTION municipal_scope() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN nullif(current_setting('coopd.municipality', true), '');

-- The caller of the request (coopd.user_id), or NULL.
CREATE FUNCTION request_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
RETURN nullif(current_setting('coopd.user_id', true), '')::uuid;

GRANT USAGE ON SCHEMA public TO coopd_municipal;

-- Reference data without personal data: every row.
GRANT SELECT ON municipalities, statutory_parameters, municipal_policies, cooperatives,
                fee_policies, shareholders, settlement_periods, settlement_changes
    TO coopd_municipal;
-- A municipality adds its own policies (the route checks it; the policy below too).
GRANT INSERT ON municipal_policies TO coopd_municipal;

-- Residents' personal data: the rows of the municipality only.
GRANT SELECT ON members, permissions, settlement_rows, settlement_feed,
                settlement_acknowledgements, reconciliations, audit_events
    TO coopd_municipal;
GRANT INSERT ON settlement_acknowledgements TO coopd_municipal;

-- The caller's own user row (GET /v1/me, the token check), its logged-out tokens and its
-- Idempotency-Key records.
GRANT SELECT ON users, revoked_tokens TO coopd_municipal;
-- (UPDATE: a key is stored by INSERT ... ON CONFLICT DO UPDATE.)
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO coopd_municipal;

-- Row-level security binds roles that do not own the table (coopd's own user owns them all and
-- is not bound); only coopd_municipal has policies, so any other such role sees nothing.
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_residents ON members FOR SELECT TO coopd_municipal
    USING (municipality_code = municipal_scope());

ALTER TABLE permissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_permissions ON permissions FOR SELECT TO coopd_municipal
    USING (municipality_code = municipal_scope());

-- A row version settles with at most one municipality: the one it names.
ALTER TABLE settlement_rows ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_settlement_rows ON settlement_rows FOR SELECT TO coopd_municipal
    USING (settles_with_municipality AND municipality_code = municipal_scope());

ALTER TABLE settlement_feed ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_feed ON settlement_feed FOR SELECT TO coopd_municipal
    USING (municipality_code = municipal_scope());

ALTER TABLE settlement_acknowledgements ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_acknowledgements ON settlement_acknowledgements TO coopd_municipal
    USING (municipality_code = municipal_scope())
    WITH CHECK (municipality_code = municipal_scope());

-- A member's reconciliation of a year: seen by a municipality that a month of that year settled
-- with (the months themselves are narrowed to its own by municipal_reconciliation).
ALTER TABLE reconciliations ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_reconciliations ON reconciliations FOR SELECT TO coopd_municipal
    USING (EXISTS (SELECT 1 FROM settlement_rows s
                   WHERE s.member_id = reconciliations.member_id
                     AND s.period >= make_date(reconciliations.year, 1, 1)
                     AND s.period < make_date(reconciliations.year + 1, 1, 1)
                     AND s.version IS NOT NULL AND s.settles_with_municipality
                     AND s.municipality_code = municipal_scope()));

-- The events of the municipality's reads and writes (GET /v1/municipalities/{code}/audit-events).
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_audit_events ON audit_events FOR SELECT TO coopd_municipal
    USING (municipality_code = municipal_scope());

ALTER TABLE municipal_policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_policies_read ON municipal_policies FOR SELECT TO coopd_municipal
    USING (true);
CREATE POLICY municipal_policies_own ON municipal_policies FOR INSERT TO coopd_municipal
    WITH CHECK (municipality_code = municipal_scope());

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_self ON users FOR SELECT TO coopd_municipal
    USING (id = request_user_id());

ALTER TABLE revoked_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_own_tokens ON revoked_tokens FOR SELECT TO coopd_municipal
    USING (user_id = request_user_id());

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY municipal_own_keys ON idempotency_keys TO coopd_municipal
    USING (user_id = request_user_id()) WITH CHECK (user_id = request_user_id());
