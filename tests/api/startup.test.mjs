// Start-up: migrations (`coopd migrate`, checksums, edited migrations refused), configuration
// validated at start (exit code 2 naming the variable), bootstrap administrator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, sharedCluster, createDatabase, psql, runCoopd, startCoopd, coopdEnv, freePort, hex } from './harness.mjs';

let cluster;
let db; // migrated by the first test

before(async () => {
	cluster = await sharedCluster();
	db = await createDatabase(cluster);
});

const migrationFiles = () =>
	fs
		.readdirSync(path.join(ROOT, 'sql'))
		.filter((f) => /^\d+.*\.sql$/.test(f))
		.sort();
const envFor = async (dbUrl, overrides = {}) => coopdEnv(dbUrl, await freePort(), overrides);

function assertRefused(r, variable) {
	assert.equal(r.code, 2, `exit code 2 for a bad ${variable} (got ${r.code}, signal ${r.signal}); stderr:\n${r.stderr}`);
	assert.ok(r.stderr.includes(variable), `the message names ${variable}: ${r.stderr}`);
}

// ---------------------------------------------------------------------------------------------
test('coopd migrate applies every migration and records its SHA-256 checksum', async () => {
	const r = await runCoopd(['migrate'], await envFor(db));
	assert.equal(r.code, 0, r.stderr);
	const rows = await psql(db, 'select version, name, checksum from schema_migrations order by version');
	const files = migrationFiles();
	assert.deepEqual(rows.map((x) => x.name), files);
	for (const row of rows) {
		const sum = crypto.createHash('sha256').update(fs.readFileSync(path.join(ROOT, 'sql', row.name))).digest('hex');
		assert.equal(row.checksum, sum, `checksum of ${row.name}`);
		assert.equal(Number(row.version), parseInt(row.name, 10));
	}
	const t = await psql(db, `select to_regclass('users') as u, to_regclass('audit_events') as a`);
	assert.equal(t[0].u, 'users');
	assert.equal(t[0].a, 'audit_events');
});

test('coopd migrate a second time changes nothing and exits 0', async () => {
	const before1 = await psql(db, 'select version, checksum, applied_at from schema_migrations order by version');
	const r = await runCoopd(['migrate'], await envFor(db));
	assert.equal(r.code, 0, r.stderr);
	const after1 = await psql(db, 'select version, checksum, applied_at from schema_migrations order by version');
	assert.deepEqual(after1, before1);
});

test('two coopd migrate at once on a new database both succeed and apply each migration once', async () => {
	const fresh = await createDatabase(cluster);
	const [a, b] = await Promise.all([runCoopd(['migrate'], await envFor(fresh)), runCoopd(['migrate'], await envFor(fresh))]);
	assert.equal(a.code, 0, a.stderr);
	assert.equal(b.code, 0, b.stderr);
	const rows = await psql(fresh, 'select count(*) as n from schema_migrations');
	assert.equal(Number(rows[0].n), migrationFiles().length);
});

test('a migration changed after it was applied stops migrate and start-up with a clear message', async () => {
	const edited = await createDatabase(cluster);
	assert.equal((await runCoopd(['migrate'], await envFor(edited))).code, 0);
	await psql(edited, `update schema_migrations set checksum = 'x' where version = (select min(version) from schema_migrations)`);
	const m = await runCoopd(['migrate'], await envFor(edited));
	assert.notEqual(m.code, 0, 'migrate refuses');
	assert.match(m.stderr, /changed after it was applied/);
	assert.ok(m.stderr.includes(migrationFiles()[0]), `names the migration: ${m.stderr}`);
	const s = await runCoopd([], await envFor(edited), { timeout: 20000 });
	assert.notEqual(s.code, 0, `serve refuses (code ${s.code}, signal ${s.signal})`);
	assert.equal(s.signal, null, 'it exits by itself, not killed by the timeout');
	assert.match(s.stderr, /changed after it was applied/);
});

test('a database with a migration this binary does not know stops start-up', async () => {
	const newer = await createDatabase(cluster);
	assert.equal((await runCoopd(['migrate'], await envFor(newer))).code, 0);
	await psql(newer, `insert into schema_migrations(version, name, checksum) values (999, '999_future.sql', 'abc')`);
	const s = await runCoopd([], await envFor(newer), { timeout: 20000 });
	assert.notEqual(s.code, 0);
	assert.equal(s.signal, null);
	assert.match(s.stderr, /999_future\.sql/);
});

// ---------------------------------------------------------------------------------------------
// Configuration refused at start: exit code 2 and a message naming the variable.
test('a missing DATABASE_URL is refused (exit 2, names DATABASE_URL)', async () => {
	assertRefused(await runCoopd([], await envFor(db, { DATABASE_URL: null })), 'DATABASE_URL');
	assertRefused(await runCoopd(['migrate'], await envFor(db, { DATABASE_URL: null })), 'DATABASE_URL');
});

test('a missing or short COOPD_JWT_SECRET is refused (exit 2, names COOPD_JWT_SECRET, does not print it)', async () => {
	const short = 'k'.repeat(31);
	const r = await runCoopd([], await envFor(db, { COOPD_JWT_SECRET: short }));
	assertRefused(r, 'COOPD_JWT_SECRET');
	assert.ok(!r.stderr.includes(short), 'the secret is not printed');
	assertRefused(await runCoopd([], await envFor(db, { COOPD_JWT_SECRET: null })), 'COOPD_JWT_SECRET');
});

test('a bad COOPD_LISTEN is refused (exit 2, names COOPD_LISTEN)', async () => {
	const values = ['nonsense', '127.0.0.1', '127.0.0.1:99999', '127.0.0.1:0', ':8080', '127.0.0.1:80a'];
	const results = await Promise.all(values.map(async (v) => runCoopd([], await envFor(db, { COOPD_LISTEN: v }))));
	results.forEach((r) => assertRefused(r, 'COOPD_LISTEN'));
});

test('COOPD_DB_POOL=0 and other out-of-range numbers are refused (exit 2, names the variable)', async () => {
	const cases = [
		['COOPD_DB_POOL', '0'],
		['COOPD_DB_POOL', 'abc'],
		['COOPD_DB_POOL', '-3'],
		['COOPD_THREADS', '0'],
		['COOPD_DB_TIMEOUT_MS', 'soon'],
		['COOPD_STATEMENT_TIMEOUT_MS', '1.5'],
		['COOPD_BODY_LIMIT', '-1'],
		['COOPD_TOKEN_TTL', '7200'],
		['COOPD_TOKEN_TTL', '59'],
		['COOPD_LOGIN_MAX_FAILURES', '0'],
		['COOPD_LOGIN_LOCKOUT_SECONDS', 'x'],
	];
	const results = await Promise.all(cases.map(async ([k, v]) => runCoopd([], await envFor(db, { [k]: v }))));
	results.forEach((r, i) => assertRefused(r, cases[i][0]));
});

test('an unknown COOPD_JWT_ALG, or RS256/ES256 without readable key files, is refused (exit 2, names COOPD_JWT_*)', async () => {
	assertRefused(await runCoopd([], await envFor(db, { COOPD_JWT_ALG: 'HS512' })), 'COOPD_JWT_ALG');
	assertRefused(await runCoopd([], await envFor(db, { COOPD_JWT_ALG: 'none' })), 'COOPD_JWT_ALG');
	const r = await runCoopd([], await envFor(db, { COOPD_JWT_ALG: 'RS256', COOPD_JWT_SECRET: null }));
	assert.equal(r.code, 2, r.stderr);
	assert.match(r.stderr, /COOPD_JWT_(PRIVATE|PUBLIC)_KEY_FILE/);
	const missing = await runCoopd([], await envFor(db, {
		COOPD_JWT_ALG: 'ES256', COOPD_JWT_SECRET: null,
		COOPD_JWT_PRIVATE_KEY_FILE: `/nonexistent/${hex(4)}.pem`, COOPD_JWT_PUBLIC_KEY_FILE: `/nonexistent/${hex(4)}.pem`,
	}));
	assert.equal(missing.code, 2, missing.stderr);
	assert.match(missing.stderr, /COOPD_JWT_(PRIVATE|PUBLIC)_KEY_FILE/);
});

test('a COOPD_BOOTSTRAP_ADMIN_PASSWORD shorter than 12 characters is refused (exit 2)', async () => {
	const r = await runCoopd([], await envFor(db, { COOPD_BOOTSTRAP_ADMIN_PASSWORD: 'short-pw' }));
	assertRefused(r, 'COOPD_BOOTSTRAP_ADMIN_PASSWORD');
	assert.ok(!r.stderr.includes('short-pw'), 'the password is not printed');
});

test('an unreachable database does not stop start-up: coopd listens, is not ready, and its log does not reveal the password', async () => {
	// Exit code 2 means a configuration error (the systemd unit does not restart on it); a
	// database that comes up later is not one (tests/api/failover.test.mjs: it becomes ready).
	const port = await freePort();
	const pw = `secret-${hex(8)}`;
	const wrong = cluster.url.replace(/:\/\/([^:]+):([^@]+)@/, `://$1:${pw}@`);
	for (const url of [`postgresql://coopd:${pw}@127.0.0.1:${port}/nowhere?connect_timeout=3`, wrong]) {
		const srv = await startCoopd({ dbUrl: url });
		try {
			assert.equal((await srv.api('GET', '/v1/health')).status, 200);
			const r = await srv.api('GET', '/v1/ready');
			assert.equal(r.status, 503, r.text);
			assert.ok(r.headers.get('retry-after'), 'Retry-After');
			assert.match(srv.stderr, /database not ready/);
		} finally {
			await srv.stop();
		}
		assert.ok(!srv.stderr.includes(pw), `no password in the log: ${srv.stderr}`);
	}
});

// ---------------------------------------------------------------------------------------------
test('COOPD_BOOTSTRAP_ADMIN_PASSWORD creates admin only on a database without users', async () => {
	const fresh = await createDatabase(cluster);
	const first = await startCoopd({ dbUrl: fresh, env: { COOPD_BOOTSTRAP_ADMIN_PASSWORD: 'first-password-123' } });
	try {
		await first.login('admin', 'first-password-123');
	} finally {
		await first.stop();
	}
	const second = await startCoopd({ dbUrl: fresh, env: { COOPD_BOOTSTRAP_ADMIN_PASSWORD: 'second-password-456' } });
	try {
		assert.equal((await second.token({ grant_type: 'password', username: 'admin', password: 'first-password-123' })).status, 200);
		assert.equal((await second.token({ grant_type: 'password', username: 'admin', password: 'second-password-456' })).status, 401);
		const n = await psql(fresh, `select count(*) as n from users where role = 'platform_admin'`);
		assert.equal(n[0].n, '1');
	} finally {
		await second.stop();
	}
});

test('without COOPD_BOOTSTRAP_ADMIN_PASSWORD a new database starts with no users', async () => {
	const fresh = await createDatabase(cluster);
	const srv = await startCoopd({ dbUrl: fresh, env: { COOPD_BOOTSTRAP_ADMIN_PASSWORD: null } });
	try {
		const n = await psql(fresh, 'select count(*) as n from users');
		assert.equal(n[0].n, '0');
		assert.equal((await srv.api('GET', '/v1/ready')).status, 200);
	} finally {
		await srv.stop();
	}
});

test('coopd serve applies pending migrations itself before listening', async () => {
	const fresh = await createDatabase(cluster);
	const srv = await startCoopd({ dbUrl: fresh });
	try {
		const rows = await psql(fresh, 'select count(*) as n from schema_migrations');
		assert.equal(Number(rows[0].n), migrationFiles().length);
	} finally {
		await srv.stop();
	}
});

test('coopd with an unknown command prints usage and exits 2', async () => {
	const r = await runCoopd(['frobnicate'], {});
	assert.equal(r.code, 2);
	assert.match(r.stderr, /usage/i);
});
