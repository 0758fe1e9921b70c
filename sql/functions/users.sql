-- Users, their tokens and their logins: the public shape of a user, token revocation (a verified
-- token is used only while its user exists and is enabled, it was issued after the user's tokens
-- were last revoked, and it was not logged out) and login throttling.
--
-- These are the live definitions (README, "SQL functions"): the files of sql/functions/ are
-- re-applied in one transaction at start whenever one of them changed, so every statement is
-- CREATE OR REPLACE. A rule raises "code: detail" with SQLSTATE CO + its HTTP status (CO409).

-- The public shape of a user: never a hash.
CREATE OR REPLACE FUNCTION user_doc(u users) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
RETURN row_to_json(ROW(
    u.id, u.username, u.kind, u.role, u.cooperative_id, u.member_id, u.municipality_code,
    u.disabled, rfc3339(u.created_at), rfc3339(u.updated_at))::user_doc_fields);

-- Trigger users_revoke_tokens (005): disabling a user (and so deleting, which disables) stamps
-- tokens_revoked_at; enabling again does not revive the tokens issued before.
CREATE OR REPLACE FUNCTION users_revoke_tokens() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.disabled AND NOT OLD.disabled THEN
        NEW.tokens_revoked_at := now();
    END IF;
    RETURN NEW;
END $$;

-- iat is the token's issue time in whole seconds; a token issued in the second of a revocation
-- counts as issued before it. One row, true when the token may be used. A set-returning
-- function, called in FROM (auth/context.c): PostgreSQL inlines such a function, subqueries
-- and all, into the calling statement, which is then planned once as a prepared statement. A
-- scalar function with a subquery is never inlined: its body was planned again on every
-- request (about 60 us of the server's time per request; 015).
CREATE OR REPLACE FUNCTION token_usable(p_user uuid, p_jti text, p_iat bigint)
RETURNS SETOF boolean
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM users u
                   WHERE u.id = p_user AND NOT u.disabled
                     AND (u.tokens_revoked_at IS NULL
                          OR p_iat > extract(epoch FROM u.tokens_revoked_at)))
       AND NOT EXISTS (SELECT 1 FROM revoked_tokens t WHERE t.jti = p_jti);
END;

-- Logs a token out; also forgets logged-out tokens that have expired (past the verifier's leeway).
-- SECURITY DEFINER: a municipal request (coopd_municipal, 012) may read its own logged-out
-- tokens, not write the table.
CREATE OR REPLACE FUNCTION token_revoke(p_user uuid, p_jti text, p_exp bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DELETE FROM revoked_tokens WHERE expires_at < now() - interval '5 minutes';
    INSERT INTO revoked_tokens (jti, user_id, expires_at)
    VALUES (p_jti, p_user, to_timestamp(p_exp)) ON CONFLICT (jti) DO NOTHING;
$$;

-- Counts an attempt of p_username from p_source. Returns 0 when the attempt may be evaluated, or
-- the seconds until the name may be tried again from there. Attempts count up while they come
-- within p_lockout seconds of each other; the attempt after p_max of them locks the pair for
-- p_lockout seconds, after which counting starts again.
CREATE OR REPLACE FUNCTION login_attempt(p_username text, p_source text, p_max integer, p_lockout integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    t login_throttle;
    n integer;
    t_now timestamptz;
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
    -- now() is the transaction's start: a concurrent attempt may have waited for the row lock
    -- since then, and the lock it reads was set after that start.
    t_now := clock_timestamp();
    IF t.locked_until > t_now THEN
        RETURN greatest(1, ceil(extract(epoch FROM t.locked_until - t_now)))::integer;
    END IF;
    n := t.attempts;
    IF t.locked_until IS NOT NULL OR t.last_attempt_at < t_now - make_interval(secs => p_lockout) THEN
        n := 0;
    END IF;
    IF n >= p_max THEN
        UPDATE login_throttle SET attempts = n,
            locked_until = t_now + make_interval(secs => p_lockout)
        WHERE username = t.username AND source = t.source;
        RETURN p_lockout;
    END IF;
    UPDATE login_throttle SET attempts = n + 1, last_attempt_at = t_now, locked_until = NULL
    WHERE username = t.username AND source = t.source;
    RETURN 0;
END $$;
