// The database goes away and comes back: readiness and API answer 503 quickly (no hang) while
// PostgreSQL is down, and recover without restarting coopd. This file stops PostgreSQL, so it
// runs on a cluster of its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, createDatabase, psql, startCoopd, createCooperative, createUser, assertProblem, waitFor, uname, password } from './harness.mjs';

let cluster;
let db;
let srv;
let admin;
let coop;
let bk;
let errorsBefore;

before(async () => {
	cluster = await startCluster();
	db = await createDatabase(cluster);
	srv = await startCoopd({ dbUrl: db, env: { COOPD_DB_TIMEOUT_MS: '1000' } });
	admin = await srv.adminToken();
	coop = await createCooperative(db, 'Coop Outage');
	bk = await createUser(srv, admin, { role: 'bookkeeper', cooperative_id: coop });
});
after(() => srv?.kill());

async function timed(p) {
	const t0 = performance.now();
	const r = await p;
	return { r, ms: performance.now() - t0 };
}

test('with the database up, /v1/ready answers 200', async () => {
	const r = await srv.api('GET', '/v1/ready');
	assert.equal(r.status, 200, r.text);
	errorsBefore = await srv.metric('coopd_db_errors_total');
	assert.equal(typeof errorsBefore, 'number');
});

test('with PostgreSQL stopped, /v1/ready answers 503 service_unavailable with Retry-After in under 5 s', async () => {
	await cluster.stop();
	for (let i = 0; i < 3; i++) {
		const { r, ms } = await timed(srv.api('GET', '/v1/ready', { timeoutMs: 30000 }));
		assertProblem(r, 503, 'service_unavailable');
		assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
		assert.ok(ms < 5000, `answered in ${ms.toFixed(0)} ms`);
	}
});

test('with PostgreSQL stopped, API calls answer 503 service_unavailable in under 5 s (no hang)', async () => {
	const calls = [
		() => srv.api('GET', '/v1/users', { token: admin, timeoutMs: 30000 }),
		() => srv.api('GET', `/v1/users/${bk.user.id}`, { token: admin, timeoutMs: 30000 }),
		() => srv.api('POST', '/v1/users', { token: admin, body: { username: uname(), password: password(), role: 'auditor', cooperative_id: coop }, timeoutMs: 30000 }),
		() => srv.api('PATCH', `/v1/users/${bk.user.id}`, { token: admin, body: { disabled: true }, timeoutMs: 30000 }),
		() => srv.api('GET', '/v1/me', { token: admin, timeoutMs: 30000 }),
	];
	for (const call of calls) {
		const { r, ms } = await timed(call());
		assertProblem(r, 503, 'service_unavailable');
		assert.ok(r.headers.get('retry-after'), 'Retry-After');
		assert.ok(ms < 5000, `answered in ${ms.toFixed(0)} ms`);
		assert.ok(!/libpq|PQ|connection to server|could not connect|SQLSTATE/i.test(r.text), `no database message reaches the client: ${r.text}`);
	}
	const par = await Promise.all(Array.from({ length: 8 }, () => timed(srv.api('GET', '/v1/users', { token: admin, timeoutMs: 30000 }))));
	for (const { r, ms } of par) {
		assert.equal(r.status, 503);
		assert.ok(ms < 5000, `concurrent call answered in ${ms.toFixed(0)} ms`);
	}
});

test('with PostgreSQL stopped, the token endpoint answers 503, not 401, and counts no login failure', async () => {
	const { r, ms } = await timed(srv.token({ grant_type: 'password', username: bk.username, password: bk.password }));
	assertProblem(r, 503, 'service_unavailable');
	assert.ok(ms < 5000, `answered in ${ms.toFixed(0)} ms`);
});

test('with PostgreSQL stopped, /v1/health and /metrics still answer 200 and coopd_db_errors_total grew', async () => {
	assert.equal((await srv.api('GET', '/v1/health')).status, 200);
	const m = await srv.api('GET', '/metrics');
	assert.equal(m.status, 200);
	assert.ok((await srv.metric('coopd_db_errors_total')) > errorsBefore, 'database errors are counted');
});

test('after PostgreSQL restarts, /v1/ready and the API answer 200 again without restarting coopd', async () => {
	await cluster.start();
	await waitFor(async () => (await srv.api('GET', '/v1/ready')).status === 200, { timeoutMs: 20000, intervalMs: 200, msg: '/v1/ready 200 after the restart' });
	const r = await waitFor(
		async () => {
			const x = await srv.api('GET', '/v1/users', { token: admin });
			return x.status === 200 ? x : false;
		},
		{ timeoutMs: 10000, intervalMs: 200, msg: 'GET /v1/users 200 after the restart' },
	);
	assert.ok(r.json.data.some((u) => u.id === bk.user.id));
	for (let i = 0; i < 8; i++) {
		const x = await srv.api('GET', `/v1/users/${bk.user.id}`, { token: admin });
		assert.equal(x.status, 200, `request ${i} after recovery: ${x.text}`);
	}
	assert.equal((await srv.token({ grant_type: 'password', username: bk.username, password: bk.password })).status, 200);
	const c = await srv.api('POST', '/v1/users', { token: admin, body: { username: uname(), password: password(), role: 'auditor', cooperative_id: coop } });
	assert.equal(c.status, 201, c.text);
	assert.equal((await srv.api('GET', `/v1/users/${bk.user.id}`, { token: admin })).json.disabled, false, 'the PATCH during the outage did not happen');
	const t = await psql(db, `select count(*) as n from login_throttle where username = lower('${bk.username}')`);
	assert.equal(t[0].n, '0', 'the login attempted during the outage was not counted as a failure');
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
