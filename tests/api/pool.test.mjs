// The database pool: with every connection busy a request waits COOPD_DB_TIMEOUT_MS and then
// answers 503 service_unavailable with Retry-After (no hang); a statement that runs out of
// COOPD_STATEMENT_TIMEOUT_MS answers 504 timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, sharedCluster, createDatabase, startCoopd, createUser, createCooperative, psql, psqlBackground, waitFor, assertProblem } from './harness.mjs';

let env;
let srv;
let admin;
let coop;

before(async () => {
	env = await setup({ env: { COOPD_DB_POOL: '1', COOPD_DB_TIMEOUT_MS: '300' } });
	srv = env.srv;
	admin = await srv.adminToken();
	coop = await createCooperative(env.dbUrl, 'Coop Pool');
});
after(() => srv?.kill());

/** Locks table users in dbUrl for `seconds`; resolves when the lock is held. */
async function lockUsers(dbUrl, seconds) {
	const bg = psqlBackground(dbUrl, `BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(${seconds});`);
	await waitFor(
		async () => {
			const rows = await psql(
				dbUrl,
				`select count(*) as n from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'users' and l.mode = 'AccessExclusiveLock' and l.granted and l.pid <> pg_backend_pid()`,
			);
			return rows[0].n === '1';
		},
		{ msg: 'the lock on users', timeoutMs: 10000 },
	);
	return bg;
}

/** Resolves when a query of dbUrl waits on a lock. */
function waitForLockWaiter(dbUrl) {
	return waitFor(
		async () => (await psql(dbUrl, `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n !== '0',
		{ msg: 'a request blocked on the lock', timeoutMs: 10000 },
	);
}

test('with the only pool connection busy, a request answers 503 service_unavailable with Retry-After within the checkout timeout', async () => {
	const u = await createUser(srv, admin, { role: 'bookkeeper', cooperative_id: coop });
	assert.equal(await srv.metric('coopd_db_pool_size'), 1, 'coopd_db_pool_size is COOPD_DB_POOL');
	const lock = await lockUsers(env.dbUrl, 3);
	const slow = srv.api('PATCH', `/v1/users/${u.user.id}`, { token: admin, body: { disabled: true } });
	await waitForLockWaiter(env.dbUrl);
	assert.equal(await srv.metric('coopd_db_pool_in_use'), 1, 'the one connection is in use');
	const t0 = performance.now();
	const r = await srv.api('GET', `/v1/users/${u.user.id}`, { token: admin, timeoutMs: 10000 });
	const ms = performance.now() - t0;
	assertProblem(r, 503, 'service_unavailable');
	assert.match(r.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After in seconds');
	assert.ok(ms >= 250, `waited for the checkout timeout (${ms.toFixed(0)} ms)`);
	assert.ok(ms < 2000, `answered quickly (${ms.toFixed(0)} ms)`);
	const h = await srv.api('GET', '/v1/health');
	assert.equal(h.status, 200, 'health does not need a connection');
	const done = await slow;
	assert.equal(done.status, 200, `the blocked PATCH completes once the lock is gone: ${done.text}`);
	assert.equal(done.json.disabled, true);
	await lock.done;
	const again = await srv.api('GET', `/v1/users/${u.user.id}`, { token: admin });
	assert.equal(again.status, 200, 'the pool recovers');
	assert.equal(await srv.metric('coopd_db_pool_in_use'), 0);
	assert.ok((await srv.metric('coopd_http_requests_total', { status: '503' })) >= 1, 'the 503 is counted');
});

test('a write waiting for a busy pool also answers 503 and changes nothing', async () => {
	const target = await createUser(srv, admin, { role: 'bookkeeper', cooperative_id: coop });
	const lock = await lockUsers(env.dbUrl, 2);
	const u = { username: `pool.${Date.now()}`, password: 'pool-password-1', role: 'auditor', cooperative_id: coop };
	const first = srv.api('PATCH', `/v1/users/${target.user.id}`, { token: admin, body: { password: 'target-password-new-1' } });
	await waitForLockWaiter(env.dbUrl);
	const r = await srv.api('POST', '/v1/users', { token: admin, body: u });
	assertProblem(r, 503, 'service_unavailable');
	assert.ok(r.headers.get('retry-after'));
	const f = await first;
	assert.equal(f.status, 200, f.text);
	await lock.done;
	const n = await psql(env.dbUrl, `select count(*) as n from users where username = '${u.username}'`);
	assert.equal(n[0].n, '0');
});

test('a statement that runs out of COOPD_STATEMENT_TIMEOUT_MS answers 504 timeout and the connection is reused', async () => {
	const db = await createDatabase(await sharedCluster());
	const s = await startCoopd({ dbUrl: db, env: { COOPD_STATEMENT_TIMEOUT_MS: '500', COOPD_DB_POOL: '1' } });
	try {
		const tok = await s.adminToken();
		const me = (await s.api('GET', '/v1/me', { token: tok })).json;
		const c2 = await createCooperative(db, 'Coop Timeout');
		const u = await createUser(s, tok, { role: 'bookkeeper', cooperative_id: c2 });
		const lock = await lockUsers(db, 2);
		const t0 = performance.now();
		const r = await s.api('PATCH', `/v1/users/${u.user.id}`, { token: tok, body: { disabled: true }, timeoutMs: 10000 });
		const ms = performance.now() - t0;
		assertProblem(r, 504, 'timeout');
		assert.ok(ms < 1900, `cut off by the statement timeout (${ms.toFixed(0)} ms)`);
		assert.ok(!/canceling statement|SQLSTATE|ERROR:/i.test(r.text), 'no database message reaches the client');
		await lock.done;
		const g = await s.api('GET', `/v1/users/${u.user.id}`, { token: tok });
		assert.equal(g.status, 200, 'the single connection works again');
		assert.equal(g.json.disabled, false, 'the timed-out change was rolled back');
		assert.equal((await s.api('GET', '/v1/me', { token: tok })).json.id, me.id);
	} finally {
		await s.stop();
	}
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
