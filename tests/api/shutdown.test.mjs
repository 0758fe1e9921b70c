// SIGTERM: coopd stops accepting, lets in-flight requests finish, and exits 0; idle keep-alive
// connections do not hold it up.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setup, createUser, createCooperative, psql, psqlBackground, waitFor, sleep } from './harness.mjs';

const servers = [];
after(async () => {
	for (const s of servers) await s.kill();
});

async function lockUsers(dbUrl, seconds) {
	const bg = psqlBackground(dbUrl, `BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(${seconds});`);
	await waitFor(
		async () =>
			(await psql(dbUrl, `select count(*) as n from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'users' and l.mode = 'AccessExclusiveLock' and l.granted`))[0].n === '1',
		{ msg: 'the lock on users' },
	);
	return bg;
}

test('SIGTERM during a slow request: the request completes with 200, then coopd exits 0', async () => {
	const env = await setup();
	const srv = env.srv;
	servers.push(srv);
	const admin = await srv.adminToken();
	const coop = await createCooperative(env.dbUrl, 'Coop Drain');
	const u = await createUser(srv, admin, { role: 'bookkeeper', cooperative_id: coop });
	const lock = await lockUsers(env.dbUrl, 1);
	const slow = srv.api('PATCH', `/v1/users/${u.user.id}`, { token: admin, body: { disabled: true }, timeoutMs: 20000 });
	await waitFor(
		async () => (await psql(env.dbUrl, `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n !== '0',
		{ msg: 'the PATCH blocked on the lock' },
	);
	srv.signal('SIGTERM');
	await sleep(200);
	assert.equal(srv.exitInfo, null, 'coopd waits for the in-flight request');
	// a new request after SIGTERM is not served normally: refused, reset, or 503
	let late;
	try {
		late = await srv.api('GET', '/v1/health', { timeoutMs: 5000 });
	} catch (e) {
		late = { error: e };
	}
	assert.ok(late.error || late.status === 503, `a request after SIGTERM got ${late.status} (expected refused or 503)`);
	const r = await slow;
	assert.equal(r.status, 200, `the in-flight PATCH completes: ${r.text}`);
	assert.equal(r.json.disabled, true);
	await lock.done;
	await srv.stop({ timeoutMs: 15000 });
	const rows = await psql(env.dbUrl, `select disabled from users where id = '${u.user.id}'`);
	assert.equal(rows[0].disabled, 't', 'the change was committed');
});

test('SIGTERM with idle keep-alive connections open: coopd exits 0 within 5 s', async () => {
	const env = await setup();
	const srv = env.srv;
	servers.push(srv);
	const sockets = [];
	for (let i = 0; i < 3; i++) {
		const s = net.connect(srv.port, '127.0.0.1');
		s.on('error', () => {});
		await new Promise((r) => s.once('connect', r));
		s.write('GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
		await new Promise((r) => s.once('data', r));
		sockets.push(s);
	}
	const t0 = performance.now();
	await srv.stop({ timeoutMs: 5000 });
	assert.ok(performance.now() - t0 < 5000);
	for (const s of sockets) s.destroy();
});

test('SIGINT also drains and exits 0', async () => {
	const env = await setup();
	const srv = env.srv;
	servers.push(srv);
	assert.equal((await srv.api('GET', '/v1/health')).status, 200);
	srv.signal('SIGINT');
	const info = await Promise.race([srv.exited, sleep(15000).then(() => null)]);
	assert.ok(info, 'exited within 15 s');
	assert.equal(info.code, 0, srv.tail());
});
