-- 005: tokens that stop working before they expire, and login throttling without races.

-- ---- revocation ---------------------------------------------------------------------------------
-- A verified token is used only while its user exists and is enabled, it was issued after the
-- user's tokens were last revoked, and it was not logged out. Every authenticated request checks
-- token_usable() in its own snapshot, so a change answers 401 from the moment it committed.

-- Set when a user is disabled (and so deleted, which disables): tokens issued up to then stay
-- refused even if the user is enabled again.
ALTER TABLE users ADD COLUMN tokens_revoked_at timestamptz;

CREATE FUNCTION users_revoke_tokens() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.disabled AND NOT OLD.disabled THEN
        NEW.tokens_revoked_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER users_revoke_tokens BEFORE UPDATE OF disabled ON users
    FOR EACH ROW EXECUTE FUNCTION users_revoke_tokens();

-- Logged-out tokens, until they would have expired anyway.
CREATE TABLE revoked_tokens (
    jti text PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 64),
    user_id uuid NOT NULL REFERENCES users,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

-- iat is the token's issue time in whole seconds; a token issued in the second of a revocation
-- counts as issued before it.
CREATE FUNCTION token_usable(p_user uuid, p_jti text, p_iat bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN EXISTS (SELECT 1 FROM users u
               WHERE u.id = p_user AND NOT u.disabled
                 AND (u.tokens_revoked_at IS NULL
                      OR p_iat > extract(epoch FROM u.tokens_revoked_at)))
   AND NOT EXISTS (SELECT 1 FROM revoked_tokens t WHERE t.jti = p_jti);

-- Logs a token out; also forgets logged-out tokens that have expired (past the verifier's leeway).
CREATE FUNCTION token_revoke(p_user uuid, p_jti text, p_exp bigint) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM revoked_tokens WHERE expires_at < now() - interval '5 minutes';
    INSERT INTO revoked_tokens (jti, user_id, expires_at)
    VALUES (p_jti, p_user, to_timestamp(p_exp)) ON CONFLICT (jti) DO NOTHING;
$$;

-- ---- login throttling ---------------------------------------------------------------------------
-- Attempts are counted per (username, client address) before the password is checked, in one
-- locked row, so that concurrent guesses cannot all pass one check: at most p_max attempts are
-- ever evaluated between two locks. Counting per address means that someone guessing from one
-- address locks out that address only, not the user (who logs in from elsewhere). A successful
-- login deletes its row. Rows are personal data (an address): they are kept a day at most.
DROP FUNCTION login_record_failure(text, integer, integer);
DROP TABLE login_throttle;

CREATE TABLE login_throttle (
    username text NOT NULL,
    source text NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
    attempts integer NOT NULL CHECK (attempts >= 0),
    last_attempt_at timestamptz NOT NULL,
    locked_until timestamptz,
    PRIMARY KEY (username, source)
);
CREATE INDEX login_throttle_age ON login_throttle (last_attempt_at);

-- Counts an attempt of p_username from p_source. Returns 0 when the attempt may be evaluated, or
-- the seconds until the name may be tried again from there. Attempts count up while they come
-- within p_lockout seconds of each other; the attempt after p_max of them locks the pair for
-- p_lockout seconds, after which counting starts again.
CREATE FUNCTION login_attempt(p_username text, p_source text, p_max integer, p_lockout integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    t login_throttle;
    n integer;
BEGIN
    IF random() < 0.01 THEN
        DELETE FROM login_throttle
        WHERE last_attempt_at < now() - interval '1 day'
          AND (locked_until IS NULL OR locked_until < now());
    END IF;
    INSERT INTO login_throttle (username, source, attempts, last_attempt_at)
    VALUES (lower(p_username), p_source, 0, now())
    ON CONFLICT (username, source) DO NOTHING;
    SELECT * INTO t FROM login_throttle
    WHERE username = lower(p_username) AND source = p_source FOR UPDATE;
    IF t.locked_until > now() THEN
        RETURN greatest(1, ceil(extract(epoch FROM t.locked_until - now())))::integer;
    END IF;
    n := t.attempts;
    IF t.locked_until IS NOT NULL OR t.last_attempt_at < now() - make_interval(secs => p_lockout) THEN
        n := 0;
    END IF;
    IF n >= p_max THEN
        UPDATE login_throttle SET attempts = n,
            locked_until = now() + make_interval(secs => p_lockout)
        WHERE username = t.username AND source = t.source;
        RETURN p_lockout;
    END IF;
    UPDATE login_throttle SET attempts = n + 1, last_attempt_at = now(), locked_until = NULL
    WHERE username = t.username AND source = t.source;
    RETURN 0;
END $$;
