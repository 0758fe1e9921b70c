// Login throttling: COOPD_LOGIN_MAX_FAILURES=3 consecutive failures for one name from one client
// address lock that pair for COOPD_LOGIN_LOCKOUT_SECONDS=2 (429 too_many_attempts with
// Retry-After, even with the right secret); the lockout passes by itself. Attempts are counted
// before they are evaluated, so concurrent guesses cannot race past the limit; another address
// is not locked out (X-Forwarded-For counts only from COOPD_TRUSTED_PROXIES).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, startCoopd, createUser, createCooperative, assertProblem, sleep, uname } from './harness.mjs';

const MAX = 3;
const LOCKOUT = 2;
let env;
let srv;
let admin;
let coop;

before(async () => {
	env = await setup({ env: { COOPD_LOGIN_MAX_FAILURES: String(MAX), COOPD_LOGIN_LOCKOUT_SECONDS: String(LOCKOUT) } });
	srv = env.srv;
	admin = await srv.adminToken();
	coop = await createCooperative(env.dbUrl, 'Coop T');
});
after(() => srv?.kill());

const pw = (u, p) => srv.token({ grant_type: 'password', username: u, password: p });

function assertLocked(r) {
	assertProblem(r, 429, 'too_many_attempts');
	const ra = r.headers.get('retry-after');
	assert.match(ra ?? '', /^\d+$/, `Retry-After is a number of seconds: ${ra}`);
	assert.ok(Number(ra) >= 1 && Number(ra) <= LOCKOUT, `Retry-After ${ra} within the lockout of ${LOCKOUT} s`);
	assert.ok(!r.json.access_token);
}

test('after COOPD_LOGIN_MAX_FAILURES failures the name gets 429 with Retry-After even with the right password, and recovers after the lockout', async () => {
	const u = await createUser(srv, admin, { role: 'bookkeeper', cooperative_id: coop });
	for (let i = 1; i <= MAX; i++) assertProblem(await pw(u.username, `wrong-password-${i}`), 401, 'invalid_credentials');
	const locked = await pw(u.username, u.password);
	assertLocked(locked);
	assertLocked(await pw(u.username, 'wrong-password-again'));
	await sleep(Number(locked.headers.get('retry-after')) * 1000 + 600);
	const ok = await pw(u.username, u.password);
	assert.equal(ok.status, 200, `after the lockout: ${ok.text}`);
	assert.equal(typeof ok.json.access_token, 'string');
});

test('the lockout of one name does not affect another', async () => {
	const a = await createUser(srv, admin, { role: 'auditor', cooperative_id: coop });
	const b = await createUser(srv, admin, { role: 'auditor', cooperative_id: coop });
	for (let i = 0; i < MAX; i++) await pw(a.username, 'wrong-password-x');
	assertLocked(await pw(a.username, a.password));
	const r = await pw(b.username, b.password);
	assert.equal(r.status, 200, r.text);
});

test('a successful login resets the count: failures must be consecutive to lock', async () => {
	const u = await createUser(srv, admin, { role: 'auditor', cooperative_id: coop });
	for (let round = 0; round < 3; round++) {
		for (let i = 0; i < MAX - 1; i++) assertProblem(await pw(u.username, 'wrong-password-y'), 401, 'invalid_credentials');
		const r = await pw(u.username, u.password);
		assert.equal(r.status, 200, `round ${round}: ${r.text}`);
	}
});

test('client_credentials are throttled per client_id', async () => {
	const muni = (await env.sql(`insert into municipalities(code, name) values('GM0518','Den Haag') on conflict do nothing returning code`))[0]?.code ?? 'GM0518';
	const cl = await createUser(srv, admin, { kind: 'client', role: 'municipality', municipality_code: muni });
	const cc = (secret) => srv.token({ grant_type: 'client_credentials', client_id: cl.username, client_secret: secret });
	for (let i = 0; i < MAX; i++) assertProblem(await cc('wrong-secret'), 401, 'invalid_credentials');
	assertLocked(await cc(cl.clientSecret));
});

test('an unknown username is throttled like a known one (no enumeration)', async () => {
	const ghost = uname('ghost');
	for (let i = 0; i < MAX; i++) assertProblem(await pw(ghost, 'wrong-password-z'), 401, 'invalid_credentials');
	assertLocked(await pw(ghost, 'wrong-password-z'));
});

const statuses = (rs) => rs.map((r) => r.status).sort().join(',');

test('40 concurrent wrong passwords for one name: at most COOPD_LOGIN_MAX_FAILURES are evaluated, the rest get 429', async () => {
	const u = await createUser(srv, admin, { role: 'auditor', cooperative_id: coop });
	const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => pw(u.username, `wrong-password-${i}`)));
	const evaluated = rs.filter((r) => r.status === 401).length;
	const locked = rs.filter((r) => r.status === 429).length;
	assert.ok(evaluated <= MAX, `at most ${MAX} evaluated: ${statuses(rs)}`);
	assert.equal(evaluated + locked, 40, `every answer is 401 or 429: ${statuses(rs)}`);
	for (const r of rs.filter((x) => x.status === 429)) assertLocked(r);
	assertLocked(await pw(u.username, u.password));
});

test('30 concurrent guesses that include the right one: at most COOPD_LOGIN_MAX_FAILURES are evaluated', async () => {
	const u = await createUser(srv, admin, { role: 'auditor', cooperative_id: coop });
	const guesses = Array.from({ length: 30 }, (_, i) => (i === 17 ? u.password : `wrong-password-${i}`));
	const rs = await Promise.all(guesses.map((g) => pw(u.username, g)));
	const evaluated = rs.filter((r) => r.status === 401 || r.status === 200).length;
	assert.ok(evaluated <= MAX, `at most ${MAX} evaluated: ${statuses(rs)}`);
	assert.equal(rs.filter((r) => r.status === 429).length, 30 - evaluated, statuses(rs));
});

test('the lock holds per client address: guesses from one address do not lock the user out elsewhere', async () => {
	const { COOPD_LISTEN: _, ...same } = srv.env; // the same configuration on another port
	const proxied = await startCoopd({ dbUrl: env.dbUrl, env: { ...same, COOPD_TRUSTED_PROXIES: '127.0.0.1,::1' } });
	try {
		const u = await createUser(srv, admin, { role: 'auditor', cooperative_id: coop });
		const from = (addr, p) => proxied.api('POST', '/v1/auth/token', { body: { grant_type: 'password', username: u.username, password: p }, headers: { 'x-forwarded-for': `198.51.100.9, ${addr}` } });
		for (let i = 0; i < MAX; i++) assertProblem(await from('203.0.113.5', 'wrong-password'), 401, 'invalid_credentials');
		assertLocked(await from('203.0.113.5', u.password));
		const elsewhere = await from('192.0.2.44', u.password);
		assert.equal(elsewhere.status, 200, `the user logs in from another address: ${elsewhere.text}`);
		const rows = await env.sql(`select source from login_throttle where username = lower('${u.username}')`);
		assert.deepEqual(rows.map((r) => r.source), ['203.0.113.5'], 'the last X-Forwarded-For entry is the address');
		// a last entry that is no address counts as the proxy's own address, never as text
		for (const junk of ['203.0.113.5, <script>', '203.0.113.5,', ' ', `${'9'.repeat(70)}`, '::ffff:999.1.1.1']) {
			const v = uname('xff');
			const r = await proxied.api('POST', '/v1/auth/token', { body: { grant_type: 'password', username: v, password: 'wrong-password' }, headers: { 'x-forwarded-for': junk } });
			assertProblem(r, 401, 'invalid_credentials');
			const src = await env.sql(`select source from login_throttle where username = lower('${v}')`);
			assert.ok(['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(src[0]?.source), `${JSON.stringify(junk)} → ${src[0]?.source}`);
		}
	} finally {
		await proxied.stop();
	}
});

test('X-Forwarded-For from a peer that is not a trusted proxy is ignored (no way around the lock)', async () => {
	const u = await createUser(srv, admin, { role: 'auditor', cooperative_id: coop });
	const from = (addr, p) => srv.api('POST', '/v1/auth/token', { body: { grant_type: 'password', username: u.username, password: p }, headers: { 'x-forwarded-for': addr } });
	for (let i = 0; i < MAX; i++) assertProblem(await from(`203.0.113.${i + 1}`, 'wrong-password'), 401, 'invalid_credentials');
	assertLocked(await from('192.0.2.45', u.password));
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
