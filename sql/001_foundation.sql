-- coopd foundation: the objects that scope every request (municipalities, cooperatives and
-- members in their minimal form; later migrations add their domain columns), users and their
-- credentials, login throttling, idempotency keys and the hash-chained audit trail.
-- Ids are UUIDs; `seq` (an identity) gives every listable table its stable creation order for
-- cursor pagination. Money is bigint cents everywhere.

CREATE FUNCTION rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

CREATE TABLE municipalities (
    code text PRIMARY KEY CHECK (code ~ '^GM[0-9]{4}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cooperatives (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    legal_name text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 200),
    invoice_prefix text NOT NULL UNIQUE CHECK (invoice_prefix ~ '^[A-Z0-9]{1,10}$'),
    row_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE members (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    cooperative_id uuid NOT NULL REFERENCES cooperatives,
    first_name text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    municipality_code text NOT NULL REFERENCES municipalities,
    status text NOT NULL DEFAULT 'applicant'
        CHECK (status IN ('applicant', 'active', 'suspended', 'ended')),
    row_version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, cooperative_id)
);
CREATE INDEX members_cooperative ON members (cooperative_id, seq);

-- People and API clients. A client (a municipal system) authenticates with client_credentials:
-- its username is the client_id. Only a slow salted hash of the password or secret is kept.
CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    username text NOT NULL CHECK (username ~ '^[A-Za-z0-9._@-]{3,64}$'),
    kind text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'client')),
    secret_hash text NOT NULL CHECK (secret_hash LIKE '$%'),
    role text NOT NULL CHECK (role IN ('platform_admin', 'coop_admin', 'bookkeeper', 'auditor',
                                       'member', 'municipality')),
    cooperative_id uuid REFERENCES cooperatives,
    member_id uuid,
    municipality_code text REFERENCES municipalities,
    disabled boolean NOT NULL DEFAULT false,
    row_version integer NOT NULL DEFAULT 1,
    created_by uuid REFERENCES users,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- a member user belongs to a member of the same cooperative
    FOREIGN KEY (member_id, cooperative_id) REFERENCES members (id, cooperative_id),
    -- the scope fields fit the role (SPEC §2)
    CONSTRAINT users_scope_fits_role CHECK (CASE role
        WHEN 'platform_admin' THEN cooperative_id IS NULL AND member_id IS NULL
                                   AND municipality_code IS NULL
        WHEN 'member' THEN cooperative_id IS NOT NULL AND member_id IS NOT NULL
                           AND municipality_code IS NULL
        WHEN 'municipality' THEN cooperative_id IS NULL AND member_id IS NULL
                                 AND municipality_code IS NOT NULL
        ELSE cooperative_id IS NOT NULL AND member_id IS NULL AND municipality_code IS NULL
    END)
);
CREATE UNIQUE INDEX users_username_unique ON users (lower(username));
CREATE INDEX users_cooperative ON users (cooperative_id, seq);

-- The public shape of a user: never a hash.
CREATE FUNCTION user_doc(u users) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    u.id, u.username, u.kind, u.role, u.cooperative_id, u.member_id, u.municipality_code,
    u.disabled, rfc3339(u.created_at) AS created_at, rfc3339(u.updated_at) AS updated_at) d);

-- Failed logins per (lower-cased) username; kept in the database so that throttling survives
-- restarts and holds across instances.
CREATE TABLE login_throttle (
    username text PRIMARY KEY,
    failures integer NOT NULL CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL,
    locked_until timestamptz
);

-- Records a failed login: failures count up while they come within the lockout period of each
-- other; reaching p_max locks the name for p_lockout seconds, after which counting restarts.
CREATE FUNCTION login_record_failure(p_username text, p_max integer, p_lockout integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t login_throttle;
    n integer;
BEGIN
    SELECT * INTO t FROM login_throttle WHERE username = lower(p_username) FOR UPDATE;
    IF NOT FOUND THEN
        n := 1;
    ELSIF (t.locked_until IS NOT NULL AND t.locked_until <= now())
          OR t.last_failure_at < now() - make_interval(secs => p_lockout) THEN
        n := 1;
    ELSE
        n := t.failures + 1;
    END IF;
    INSERT INTO login_throttle (username, failures, last_failure_at, locked_until)
    VALUES (lower(p_username), n, now(),
            CASE WHEN n >= p_max THEN now() + make_interval(secs => p_lockout) END)
    ON CONFLICT (username) DO UPDATE SET failures = EXCLUDED.failures,
        last_failure_at = EXCLUDED.last_failure_at, locked_until = EXCLUDED.locked_until;
END $$;

-- Idempotency-Key records: the first successful response of a (user, key), replayed for 24 h
-- or more.
CREATE TABLE idempotency_keys (
    user_id uuid NOT NULL REFERENCES users,
    key text NOT NULL CHECK (key ~ '^[\x21-\x7e]{1,255}$'),
    request_hash text NOT NULL,
    status integer NOT NULL CHECK (status BETWEEN 200 AND 299),
    location text,
    etag text,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The audit trail: append-only, one hash chain per cooperative and one for platform events
-- (chain = the cooperative id, or 'platform'). Each event's hash covers the previous hash and
-- the event's own content, so any edit or deletion breaks verification.
CREATE TABLE audit_chains (
    chain text PRIMARY KEY,
    last_seq bigint NOT NULL,
    last_hash text NOT NULL
);

CREATE TABLE audit_events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    gseq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    chain text NOT NULL,
    seq bigint NOT NULL CHECK (seq >= 1),
    cooperative_id uuid REFERENCES cooperatives,
    municipality_code text REFERENCES municipalities,
    occurred_at timestamptz NOT NULL,
    actor_user_id uuid,
    actor_role text,
    action text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    object_type text NOT NULL,
    object_id text,
    request_id text,
    changes jsonb NOT NULL DEFAULT '{}',
    prev_hash text NOT NULL,
    hash text NOT NULL,
    UNIQUE (chain, seq),
    CHECK (chain = coalesce(cooperative_id::text, 'platform'))
);
CREATE INDEX audit_events_cooperative ON audit_events (cooperative_id, seq);
CREATE INDEX audit_events_municipality ON audit_events (municipality_code, gseq)
    WHERE municipality_code IS NOT NULL;

CREATE FUNCTION audit_hash(prev_hash text, e audit_events) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN encode(sha256(convert_to(concat_ws('|',
    prev_hash, e.chain, e.seq::text, coalesce(e.cooperative_id::text, ''),
    coalesce(e.municipality_code, ''),
    to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    coalesce(e.actor_user_id::text, ''), coalesce(e.actor_role, ''), e.action, e.object_type,
    coalesce(e.object_id, ''), coalesce(e.request_id, ''), e.changes::text), 'UTF8')), 'hex');

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Appends one event to its chain inside the caller's transaction. The chain row is locked, so
-- events of one chain are strictly ordered and the chain has no forks.
CREATE FUNCTION audit_append(p_cooperative_id uuid, p_municipality_code text, p_actor uuid,
                             p_role text, p_action text, p_object_type text, p_object_id text,
                             p_request_id text, p_changes jsonb)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    c text := coalesce(p_cooperative_id::text, 'platform');
    h audit_chains;
    e audit_events;
BEGIN
    INSERT INTO audit_chains (chain, last_seq, last_hash) VALUES (c, 0, '')
        ON CONFLICT (chain) DO NOTHING;
    SELECT * INTO h FROM audit_chains WHERE chain = c FOR UPDATE;
    e.id := gen_random_uuid();
    e.chain := c;
    e.seq := h.last_seq + 1;
    e.cooperative_id := p_cooperative_id;
    e.municipality_code := p_municipality_code;
    e.occurred_at := date_trunc('microseconds', clock_timestamp());
    e.actor_user_id := p_actor;
    e.actor_role := p_role;
    e.action := p_action;
    e.object_type := p_object_type;
    e.object_id := p_object_id;
    e.request_id := p_request_id;
    e.changes := coalesce(p_changes, '{}');
    e.prev_hash := h.last_hash;
    e.hash := audit_hash(h.last_hash, e);
    INSERT INTO audit_events (id, chain, seq, cooperative_id, municipality_code, occurred_at,
                              actor_user_id, actor_role, action, object_type, object_id,
                              request_id, changes, prev_hash, hash)
    VALUES (e.id, e.chain, e.seq, e.cooperative_id, e.municipality_code, e.occurred_at,
            e.actor_user_id, e.actor_role, e.action, e.object_type, e.object_id,
            e.request_id, e.changes, e.prev_hash, e.hash);
    UPDATE audit_chains SET last_seq = e.seq, last_hash = e.hash WHERE chain = c;
    RETURN e.id;
END $$;

-- Verifies one chain: every event's prev_hash is its predecessor's hash, its hash matches its
-- content, sequence numbers have no gaps and the chain head agrees with the last event.
CREATE FUNCTION audit_verify(p_chain text, OUT ok boolean, OUT events bigint,
                             OUT first_bad_event_id uuid)
LANGUAGE sql STABLE AS $$
    WITH ev AS (
        SELECT e.id, e.seq, e.hash, e.prev_hash,
               audit_hash(e.prev_hash, e) AS recomputed,
               lag(e.hash, 1, '') OVER (ORDER BY e.seq) AS expected_prev,
               row_number() OVER (ORDER BY e.seq) AS n
        FROM audit_events e WHERE e.chain = p_chain
    ), bad AS (
        SELECT id, seq FROM ev
        WHERE hash <> recomputed OR prev_hash <> expected_prev OR seq <> n
        ORDER BY seq LIMIT 1
    ), head AS (
        SELECT coalesce((SELECT last_hash FROM audit_chains WHERE chain = p_chain), '') AS h,
               coalesce((SELECT last_seq FROM audit_chains WHERE chain = p_chain), 0) AS s
    )
    SELECT (SELECT count(*) FROM bad) = 0
           AND (SELECT h FROM head) = coalesce((SELECT hash FROM ev ORDER BY seq DESC LIMIT 1), '')
           AND (SELECT s FROM head) = (SELECT count(*) FROM ev),
           (SELECT count(*) FROM ev),
           (SELECT id FROM bad)
$$;

CREATE FUNCTION audit_doc(e audit_events) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT row_to_json(d) FROM (SELECT
    e.id, e.seq, e.cooperative_id, e.municipality_code, rfc3339(e.occurred_at) AS occurred_at,
    e.actor_user_id, e.actor_role, e.action, e.object_type, e.object_id, e.request_id,
    e.changes, e.prev_hash, e.hash) d);
