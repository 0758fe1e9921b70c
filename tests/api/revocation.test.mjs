// Revoked tokens (issue 7, item 2; SPEC §9 "Auth"): a token of a user who is disabled or deleted
// answers 401 from the moment the change committed, for reads, writes and streamed exports alike;
// POST /v1/auth/logout revokes the presented token only; re-enabling a user does not revive the
// tokens issued before it was disabled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, cast, assertProblem, createUser, uname, password } from './harness.mjs';

let env;
let srv;
let c;

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await cast(srv, env.dbUrl);
});
after(() => srv?.kill());

function assertRevoked(r, what) {
	assertProblem(r, 401, 'unauthorized');
	assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/i, `WWW-Authenticate on ${what}`);
}

const disable = (id, disabled = true) => srv.api('PATCH', `/v1/users/${id}`, { token: c.admin, body: { disabled } });

test('a disabled user\'s token answers 401 on the next read, write and list, also on a kept-alive connection', async () => {
	const u = await createUser(srv, c.admin, { role: 'coop_admin', cooperative_id: c.coopA });
	const tok = await srv.login(u.username, u.password);
	assert.equal((await srv.api('GET', `/v1/cooperatives/${c.coopA}`, { token: tok })).status, 200);
	const d = await disable(u.user.id);
	assert.equal(d.status, 200, d.text);
	assertRevoked(await srv.api('GET', '/v1/me', { token: tok }), 'GET /v1/me');
	assertRevoked(await srv.api('GET', `/v1/cooperatives/${c.coopA}`, { token: tok }), 'a single-resource read');
	assertRevoked(await srv.api('GET', '/v1/users', { token: tok }), 'a list');
	assertRevoked(await srv.api('GET', '/v1/users', { token: tok, headers: { accept: 'text/csv' } }), 'a streamed CSV export');
	const w = await srv.api('POST', '/v1/users', {
		token: tok,
		body: { username: uname(), password: password(), role: 'auditor', cooperative_id: c.coopA },
	});
	assertRevoked(w, 'a write');
	const n = await env.sql(`select count(*) as n from users where created_by = '${u.user.id}'`);
	assert.equal(n[0].n, '0', 'the refused write left nothing behind');
	const bad = await srv.api('POST', '/v1/users', { token: tok, body: { username: 'x' } });
	assertRevoked(bad, 'an invalid write (401 before 422)');
});

test('re-enabling a user does not revive tokens issued before it was disabled; a new login works', async () => {
	const u = await createUser(srv, c.admin, { role: 'auditor', cooperative_id: c.coopA });
	const old = await srv.login(u.username, u.password);
	assert.equal((await disable(u.user.id)).status, 200);
	assert.equal((await disable(u.user.id, false)).status, 200);
	assertRevoked(await srv.api('GET', '/v1/me', { token: old }), 'the old token after re-enabling');
	await new Promise((r) => setTimeout(r, 1100)); // tokens carry whole seconds
	const fresh = await srv.login(u.username, u.password);
	const me = await srv.api('GET', '/v1/me', { token: fresh });
	assert.equal(me.status, 200, me.text);
});

test('POST /v1/auth/logout revokes the presented token only (204), and a second logout is 401', async () => {
	const u = await createUser(srv, c.admin, { role: 'auditor', cooperative_id: c.coopA });
	const a = await srv.login(u.username, u.password);
	const b = await srv.login(u.username, u.password);
	const out = await srv.api('POST', '/v1/auth/logout', { token: a });
	assert.equal(out.status, 204, out.text);
	assert.equal(out.text, '');
	assertRevoked(await srv.api('GET', '/v1/me', { token: a }), 'the logged-out token');
	assertRevoked(await srv.api('POST', '/v1/auth/logout', { token: a }), 'a second logout');
	const me = await srv.api('GET', '/v1/me', { token: b });
	assert.equal(me.status, 200, `another token of the same user still works: ${me.text}`);
	const rows = await env.sql(`select count(*) as n from revoked_tokens where user_id = '${u.user.id}'`);
	assert.equal(rows[0].n, '1');
});

test('refusing a revoked token keeps the pooled database connections (no reconnect per refusal)', async () => {
	const u = await createUser(srv, c.admin, { role: 'coop_admin', cooperative_id: c.coopA });
	const tok = await srv.login(u.username, u.password);
	assert.equal((await srv.api('POST', '/v1/auth/logout', { token: tok })).status, 204);
	const pids = async () => (await env.sql("select pid from pg_stat_activity where application_name = 'coopd' and datname = current_database()")).map((r) => r.pid).sort();
	for (let i = 0; i < 10; i++) assertRevoked(await srv.api('GET', '/v1/me', { token: tok }), 'a refused request');
	const before = await pids();
	for (let i = 0; i < 30; i++) assertRevoked(await srv.api('GET', `/v1/users/${u.user.id}`, { token: tok }), 'a refused request');
	assert.deepEqual(await pids(), before, 'the same backends serve before and after');
});

test('POST /v1/auth/logout without a token is 401', async () => {
	assertRevoked(await srv.api('POST', '/v1/auth/logout', {}), 'logout without a token');
});

test('an idempotent replay with a revoked token is 401, not the stored response', async () => {
	const u = await createUser(srv, c.admin, { role: 'coop_admin', cooperative_id: c.coopA });
	const tok = await srv.login(u.username, u.password);
	const body = { username: uname(), password: password(), role: 'auditor', cooperative_id: c.coopA };
	const headers = { 'idempotency-key': `k-${uname()}` };
	const first = await srv.api('POST', '/v1/users', { token: tok, body, headers });
	assert.equal(first.status, 201, first.text);
	assert.equal((await disable(u.user.id)).status, 200);
	assertRevoked(await srv.api('POST', '/v1/users', { token: tok, body, headers }), 'the replay');
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
