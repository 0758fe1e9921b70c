// Login throttling: COOPD_LOGIN_MAX_FAILURES=3 consecutive failures for one name lock it for
// COOPD_LOGIN_LOCKOUT_SECONDS=2 (429 too_many_attempts with Retry-After, even with the right
// secret); the lockout passes by itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, createUser, createCooperative, assertProblem, sleep, uname } from './harness.mjs';

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

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
