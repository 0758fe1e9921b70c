// Start-up without the database and failover between hosts: coopd starts while PostgreSQL is
// down (liveness 200, readiness and the API 503 with Retry-After) and becomes ready by itself
// when it comes; a multi-host DATABASE_URL is tried in order; when the host it uses dies, coopd
// serves from the next one without a restart. This file stops clusters, so it runs on clusters
// of its own; here each cluster is migrated by coopd itself. A streaming standby promoted
// mid-load, and read replicas, are tests/ha/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
	ROOT, startCluster, psql, startCoopd, runCoopd, coopdEnv, freePort, assertProblem, waitFor, signJwt, claimsFor, uuid, uname, password, hex, sleep,
} from './harness.mjs';

const servers = [];
after(async () => {
	for (const s of servers) await s.kill();
});

const migrationCount = () => fs.readdirSync(path.join(ROOT, 'sql')).filter((f) => /^\d+.*\.sql$/.test(f)).length;

/** A database of the given name in cluster c; returns the parts of its URL. */
async function namedDatabase(c, name) {
	await psql(c.url, `CREATE DATABASE ${name}`);
	const u = new URL(c.urlFor(name));
	return { url: c.urlFor(name), host: u.hostname, port: u.port, user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), db: name };
}

/** Keeps a stopped cluster's port from being taken by another process until it starts again
 * (the machine is shared): a listener that closes every connection at once, which is also what
 * a database that is going away looks like. */
async function holdPort(port) {
	const server = net.createServer((sock) => sock.destroy());
	await new Promise((resolve, reject) => server.once('error', reject).listen(Number(port), '127.0.0.1', resolve));
	return () => new Promise((resolve) => server.close(resolve));
}

const dbLines = (srv) => srv.logLines().filter((l) => /database/i.test(l.msg ?? l.unparsed ?? '') && l.msg !== 'request');

// ---------------------------------------------------------------------------------------------
test('started while PostgreSQL is down: health 200, ready and the API 503 with Retry-After; ready by itself when it comes', async () => {
	const cluster = await startCluster();
	const d = await namedDatabase(cluster, `coopd_t_${hex(6)}`);
	await cluster.stop();
	const release = await holdPort(cluster.port);

	const pw = `admin-${hex(8)}`;
	const t0 = Date.now();
	const srv = await startCoopd({ dbUrl: d.url, env: { COOPD_BOOTSTRAP_ADMIN_PASSWORD: pw } });
	servers.push(srv);
	assert.ok(Date.now() - t0 < 15000, 'it listens without waiting for the database');
	// A second instance waits with it: when the database comes, both migrate, one at a time.
	const other = await startCoopd({ dbUrl: d.url, env: { COOPD_BOOTSTRAP_ADMIN_PASSWORD: pw } });
	servers.push(other);
	assert.equal((await srv.api('GET', '/v1/health')).status, 200);

	const ready = await srv.api('GET', '/v1/ready');
	assertProblem(ready, 503, 'service_unavailable');
	assert.match(ready.headers.get('retry-after') ?? '', /^\d+$/);
	// A valid signature gets past the token check; what follows needs the database.
	const token = signJwt(claimsFor({ id: uuid(), role: 'platform_admin' }), srv.secret);
	for (const [m, p, body] of [['GET', '/v1/users'], ['GET', '/v1/me'], ['POST', '/v1/users', { username: uname(), password: password(), role: 'platform_admin' }]]) {
		const r = await srv.api(m, p, { token, body });
		assertProblem(r, 503, 'service_unavailable');
		assert.match(r.headers.get('retry-after') ?? '', /^\d+$/, `${m} ${p}: Retry-After`);
	}
	assertProblem(await srv.token({ grant_type: 'password', username: 'admin', password: pw }), 503, 'service_unavailable');

	// Retrying with backoff (0.25 s doubling to 5 s) for a while logs the failure once.
	await sleep(4000);
	const lines = dbLines(srv);
	assert.ok(lines.length >= 1 && lines.length <= 2, `one line per state change, not per attempt: ${JSON.stringify(lines)}`);
	assert.ok(!srv.stderr.includes(d.password), 'no password of DATABASE_URL in the log');

	await release();
	await cluster.start();
	const t1 = Date.now();
	await waitFor(async () => (await srv.api('GET', '/v1/ready')).status === 200, { timeoutMs: 10000, intervalMs: 100, msg: '/v1/ready 200 once PostgreSQL is up' });
	const recovery = Date.now() - t1;
	assert.ok(recovery < 7000, `ready ${recovery} ms after the database came up`);
	const rows = await psql(d.url, 'select count(*) as n from schema_migrations');
	assert.equal(Number(rows[0].n), migrationCount(), 'the migrations were applied');
	await waitFor(async () => (await other.api('GET', '/v1/ready')).status === 200, { timeoutMs: 10000, intervalMs: 100, msg: 'the second instance ready' });
	const admins = await psql(d.url, `select count(*) as n from users where role = 'platform_admin'`);
	assert.equal(admins[0].n, '1', 'one bootstrap administrator for the two instances');
	const admin = await srv.login('admin', pw); // the bootstrap administrator was created
	const users = await srv.api('GET', '/v1/users', { token: admin });
	assert.equal(users.status, 200, users.text);
	assert.ok(users.json.data.some((u) => u.username === 'admin'));
	assert.ok(srv.logLines().some((l) => /database up after \d+ attempts/.test(l.msg ?? '')), 'the recovery is logged');
	await Promise.all([srv.stop(), other.stop()]);
	cluster.destroySync();
});

test('a migration found edited only once the database comes up stops coopd by itself with exit code 2', async () => {
	const cluster = await startCluster();
	const d = await namedDatabase(cluster, `coopd_t_${hex(6)}`);
	assert.equal((await runCoopd(['migrate'], coopdEnv(d.url, await freePort()))).code, 0);
	await psql(d.url, `update schema_migrations set checksum = 'x' where version = (select min(version) from schema_migrations)`);
	await cluster.stop();
	const release = await holdPort(cluster.port);
	const srv = await startCoopd({ dbUrl: d.url });
	servers.push(srv);
	assertProblem(await srv.api('GET', '/v1/ready'), 503, 'service_unavailable');
	await release();
	await cluster.start();
	let timer;
	const info = await Promise.race([srv.exited, new Promise((r) => { timer = setTimeout(() => r(null), 20000); })]);
	clearTimeout(timer);
	assert.ok(info, `coopd exits by itself; stderr:\n${srv.tail()}`);
	assert.deepEqual(info, { code: 2, signal: null }, srv.tail());
	assert.match(srv.stderr, /changed after it was applied/);
	assert.doesNotMatch(srv.stderr, /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/);
	cluster.destroySync();
});

test('SIGTERM while the database is still down: coopd exits 0 promptly', async () => {
	const port = await freePort();
	const srv = await startCoopd({ dbUrl: `postgresql://coopd:pw-${hex(6)}@127.0.0.1:${port}/nowhere` });
	servers.push(srv);
	assertProblem(await srv.api('GET', '/v1/ready'), 503, 'service_unavailable');
	const t0 = Date.now();
	await srv.stop({ timeoutMs: 10000 });
	assert.ok(Date.now() - t0 < 8000, `stopped in ${Date.now() - t0} ms`);
});

test('a configuration error with the database down still exits 2 before any connection', async () => {
	const port = await freePort();
	const pw = `pw-${hex(8)}`;
	const down = `postgresql://coopd:${pw}@127.0.0.1:${port}/nowhere`;
	const bad = await runCoopd([], coopdEnv(down, await freePort(), { COOPD_LISTEN: 'nonsense' }), { timeout: 20000 });
	assert.equal(bad.code, 2, bad.stderr);
	assert.match(bad.stderr, /COOPD_LISTEN/);
	assert.doesNotMatch(bad.stderr, /database not ready|cannot connect/, 'no connection was tried');
	// A DATABASE_URL libpq cannot parse is a configuration error too; the message does not quote it.
	const unparsable = await runCoopd([], coopdEnv(`postgresql://coopd:${pw}@127.0.0.1:${port}/x?nosuchoption=1`, await freePort()), { timeout: 20000 });
	assert.equal(unparsable.code, 2, unparsable.stderr);
	assert.match(unparsable.stderr, /DATABASE_URL/);
	assert.ok(!unparsable.stderr.includes(pw), 'the password is not printed');
	const kv = await runCoopd(['migrate'], coopdEnv(`host=127.0.0.1 port=${port} password=${pw} dbname`, await freePort()), { timeout: 20000 });
	assert.equal(kv.code, 2, kv.stderr);
	assert.ok(!kv.stderr.includes(pw), 'the password is not printed');
	// `coopd migrate` with the database down: exit 1 (a job runner tries again), not 2.
	const m = await runCoopd(['migrate'], coopdEnv(down, await freePort()), { timeout: 20000 });
	assert.equal(m.code, 1, m.stderr);
	assert.ok(!m.stderr.includes(pw), 'the password is not printed');
});

// ---------------------------------------------------------------------------------------------
test('multi-host URL: a closed port first, the real cluster second: coopd works', async () => {
	const cluster = await startCluster();
	const d = await namedDatabase(cluster, `coopd_t_${hex(6)}`);
	const closed = await freePort();
	const url = `postgresql://${encodeURIComponent(d.user)}:${encodeURIComponent(d.password)}@127.0.0.1:${closed},${d.host}:${d.port}/${d.db}`;
	const srv = await startCoopd({ dbUrl: url });
	servers.push(srv);
	assert.equal((await srv.api('GET', '/v1/ready')).status, 200);
	const admin = await srv.adminToken();
	const c = await srv.api('POST', '/v1/users', { token: admin, body: { username: uname(), password: password(), role: 'platform_admin' } });
	assert.equal(c.status, 201, c.text);
	const rows = await psql(d.url, 'select count(*) as n from schema_migrations');
	assert.equal(Number(rows[0].n), migrationCount());
	await srv.stop();
	cluster.destroySync();
});

test('failover: host=first,second target_session_attrs=read-write; the first dies mid-run, coopd serves from the second', async (t) => {
	const [first, second] = await Promise.all([startCluster(), startCluster()]);
	const name = `coopd_t_${hex(6)}`;
	const a = await namedDatabase(first, name);
	const b = await namedDatabase(second, name);
	await psql(second.url, `ALTER ROLE ${a.user} PASSWORD '${a.password.replaceAll("'", "''")}'`); // one password for both hosts
	const pw = `admin-${hex(8)}`;
	// The second cluster is migrated, with its bootstrap administrator, by a coopd of its own.
	const bUrl = b.url.replace(`:${encodeURIComponent(b.password)}@`, `:${encodeURIComponent(a.password)}@`);
	const prep = await startCoopd({ dbUrl: bUrl, env: { COOPD_BOOTSTRAP_ADMIN_PASSWORD: pw } });
	await prep.stop();

	const url = `host=${a.host},${b.host} port=${a.port},${b.port} dbname=${name} user=${a.user} password=${a.password} target_session_attrs=read-write`;
	const srv = await startCoopd({ dbUrl: url, env: { COOPD_BOOTSTRAP_ADMIN_PASSWORD: pw, COOPD_DB_TIMEOUT_MS: '1000' } });
	servers.push(srv);
	const onFirst = await srv.login('admin', pw);
	const made = await srv.api('POST', '/v1/users', { token: onFirst, body: { username: uname('first'), password: password(), role: 'platform_admin' } });
	assert.equal(made.status, 201, made.text);
	assert.equal((await psql(a.url, `select count(*) as n from users where username like 'first.%'`))[0].n, '1');

	// Writes keep coming while the first cluster stops: each answers 201, 503 with Retry-After,
	// or 401 once the token's user is not on the host coopd talks to (the writer logs in again:
	// the second host has an administrator of its own).
	let writing = true;
	let token = onFirst;
	const statuses = [];
	const writer = (async () => {
		while (writing) {
			const r = await srv.api('POST', '/v1/users', { token, body: { username: uname('load'), password: password(), role: 'platform_admin' }, timeoutMs: 30000 });
			statuses.push(r.status);
			if (r.status === 503) assert.match(r.headers.get('retry-after') ?? '', /^\d+$/, `503 with Retry-After: ${r.text}`);
			if (r.status === 401) {
				const l = await srv.token({ grant_type: 'password', username: 'admin', password: pw });
				if (l.status === 200) token = l.json.access_token;
			}
			await sleep(20);
		}
	})();
	await waitFor(() => statuses.length >= 3, { timeoutMs: 10000, msg: 'writes before the stop' });
	await first.stop();
	const t0 = Date.now();
	const n0 = statuses.length;
	await waitFor(async () => (await srv.api('GET', '/v1/ready')).status === 200, { timeoutMs: 15000, intervalMs: 100, msg: '/v1/ready 200 on the second host' });
	const recovery = Date.now() - t0;
	await waitFor(() => statuses.slice(n0).includes(201), { timeoutMs: 10000, msg: 'a write acknowledged by the second host' });
	writing = false;
	await writer;
	const count = (x) => statuses.filter((s) => s === x).length;
	t.diagnostic(`writes: ${statuses.length} (201: ${count(201)}, 503: ${count(503)}, 401: ${count(401)}); ready on the second host ${recovery} ms after the first stopped`);
	const bad = statuses.filter((s) => s !== 201 && s !== 503 && s !== 401);
	assert.deepEqual(bad, [], `every write answered 201, 401 or 503: ${statuses.join(',')}`);
	assert.ok(recovery < 10000, `ready again in ${recovery} ms`);
	// The writes acknowledged after the stop are on the second host (those before it went to the
	// first); none half-applied (one transaction per request).
	const onB = Number((await psql(bUrl, `select count(*) as n from users where username like 'load.%'`))[0].n);
	assert.ok(onB >= 1 && onB <= count(201), `the second host has ${onB} of the ${count(201)} acknowledged writes`);

	const onSecond = await srv.login('admin', pw); // the second host's administrator
	const r = await srv.api('POST', '/v1/users', { token: onSecond, body: { username: uname('second'), password: password(), role: 'platform_admin' } });
	assert.equal(r.status, 201, r.text);
	assert.equal((await psql(bUrl, `select count(*) as n from users where username like 'second.%'`))[0].n, '1', 'written on the second host');
	assert.ok(!srv.stderr.includes(a.password), 'no password of DATABASE_URL in the log');
	await srv.stop();
	first.destroySync();
	second.destroySync();
});

test('a server that stops taking writes (SQLSTATE 25006): writes answer 503 with Retry-After, never 500, and work again when it takes them', async (t) => {
	const cluster = await startCluster();
	const d = await namedDatabase(cluster, `coopd_t_${hex(6)}`);
	const srv = await startCoopd({ dbUrl: d.url });
	servers.push(srv);
	const admin = await srv.adminToken();
	const before = await srv.api('GET', '/v1/users', { token: admin });
	assert.equal(before.status, 200);
	// What a primary turned standby looks like to a connection that survived: read-only.
	await psql(cluster.url, 'ALTER SYSTEM SET default_transaction_read_only = on');
	await psql(cluster.url, 'SELECT pg_reload_conf()');
	const names = [];
	const statuses = [];
	for (let i = 0; i < 4; i++) {
		const username = uname('ro');
		names.push(username);
		const r = await srv.api('POST', '/v1/users', { token: admin, body: { username, password: password(), role: 'platform_admin' } });
		statuses.push(r.status);
		assertProblem(r, 503, 'service_unavailable');
		assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
	}
	t.diagnostic(`writes on the read-only server: ${statuses.join(',')}`);
	assertProblem(await srv.api('GET', '/v1/ready'), 503, 'service_unavailable'); // no host takes writes
	await psql(cluster.url, 'ALTER SYSTEM RESET default_transaction_read_only');
	await psql(cluster.url, 'SELECT pg_reload_conf()');
	await waitFor(async () => (await srv.api('GET', '/v1/ready')).status === 200, { timeoutMs: 10000, intervalMs: 100, msg: '/v1/ready 200 again' });
	const r = await srv.api('POST', '/v1/users', { token: admin, body: { username: uname('rw'), password: password(), role: 'platform_admin' } });
	assert.equal(r.status, 201, r.text);
	const half = await psql(d.url, `select count(*) as n from users where username in (${names.map((n) => `'${n}'`).join(',')})`);
	assert.equal(half[0].n, '0', 'nothing of the refused writes was applied');
	assert.doesNotMatch(srv.stderr, /"status":500/, 'no 500 in the access log');
	await srv.stop();
	cluster.destroySync();
});
