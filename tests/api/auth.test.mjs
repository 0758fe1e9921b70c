// Token issuance (password and client_credentials grants), token verification against forged
// tokens, and GET /v1/me for every role.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
	setup, cast, assertProblem, assertUser, createUser, decodeJwt, signJwt, claimsFor, uname, password,
	b64json, UUID_RE,
} from './harness.mjs';

let env;
let srv;
let c; // the cast: admin token, coops, one user per role

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await cast(srv, env.dbUrl);
});
after(() => srv?.kill());

const now = () => Math.floor(Date.now() / 1000);

function assertUnauthorized(r, what) {
	assertProblem(r, 401, 'unauthorized');
	assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/i, `WWW-Authenticate on the 401 of ${what}`);
}

// ---------------------------------------------------------------------------------------------
test('the password grant returns a Bearer token with expires_in and the documented claims', async () => {
	const r = await srv.token({ grant_type: 'password', username: c.bookkeeperA.username, password: c.bookkeeperA.password });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(Object.keys(r.json).sort(), ['access_token', 'expires_in', 'token_type']);
	assert.equal(r.json.token_type, 'Bearer');
	assert.equal(r.json.expires_in, 3600, 'default COOPD_TOKEN_TTL');
	assert.match(r.headers.get('cache-control') ?? '', /no-store/);
	const { header, payload } = decodeJwt(r.json.access_token);
	assert.equal(header.alg, 'HS256');
	assert.equal(payload.iss, 'coopd');
	assert.equal(payload.aud, 'coopd-api');
	assert.equal(payload.sub, c.bookkeeperA.user.id);
	assert.equal(payload.role, 'bookkeeper');
	assert.equal(payload.coop, env.srv && c.coopA);
	assert.equal(payload.member ?? null, null);
	assert.equal(payload.municipality ?? null, null);
	for (const k of ['iat', 'nbf', 'exp']) assert.ok(Number.isInteger(payload[k]), `${k} is an integer`);
	assert.equal(payload.exp - payload.iat, r.json.expires_in);
	assert.ok(Math.abs(payload.iat - now()) <= 5, 'iat is now');
	assert.equal(typeof payload.jti, 'string');
	assert.ok(payload.jti.length >= 8);
	const again = await srv.token({ grant_type: 'password', username: c.bookkeeperA.username, password: c.bookkeeperA.password });
	assert.notEqual(decodeJwt(again.json.access_token).payload.jti, payload.jti, 'every token has its own jti');
});

test('tokens carry the scope claims of member and municipality users', async () => {
	const m = decodeJwt(c.memberUserA.token).payload;
	assert.equal(m.role, 'member');
	assert.equal(m.coop, c.coopA);
	assert.equal(m.member, c.memberA);
	const g = decodeJwt(c.municipalityUser.token).payload;
	assert.equal(g.role, 'municipality');
	assert.equal(g.municipality, c.muni);
	assert.equal(g.coop ?? null, null);
	const a = decodeJwt(c.admin).payload;
	assert.equal(a.role, 'platform_admin');
	assert.equal(a.coop ?? null, null);
});

test('a wrong password answers 401 invalid_credentials', async () => {
	const r = await srv.token({ grant_type: 'password', username: c.auditorA.username, password: 'wrong-password-123' });
	assertProblem(r, 401, 'invalid_credentials');
	assert.ok(!('access_token' in r.json));
});

test('an unknown username answers the same 401 invalid_credentials', async () => {
	const r = await srv.token({ grant_type: 'password', username: uname('ghost'), password: 'whatever-password' });
	assertProblem(r, 401, 'invalid_credentials');
});

test('a disabled user cannot obtain a token (401 invalid_credentials)', async () => {
	const u = await createUser(srv, c.admin, { role: 'bookkeeper', cooperative_id: c.coopA });
	assert.equal(await srv.login(u.username, u.password).then(() => 'ok'), 'ok');
	const d = await srv.api('DELETE', `/v1/users/${u.user.id}`, { token: c.admin });
	assert.equal(d.status, 204, d.text);
	const r = await srv.token({ grant_type: 'password', username: u.username, password: u.password });
	assertProblem(r, 401, 'invalid_credentials');
});

test('a token issued before its user was deleted answers 401 from the moment the deletion committed', async () => {
	const u = await createUser(srv, c.admin, { role: 'auditor', cooperative_id: c.coopA });
	const tok = await srv.login(u.username, u.password);
	assert.equal((await srv.api('GET', '/v1/me', { token: tok })).status, 200);
	assert.equal((await srv.api('DELETE', `/v1/users/${u.user.id}`, { token: c.admin })).status, 204);
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: tok }), 'GET /v1/me after the deletion');
});

test('the client_credentials grant issues a token to a client user with its client_secret', async () => {
	const u = await createUser(srv, c.admin, { kind: 'client', role: 'municipality', municipality_code: c.muni });
	assert.equal(typeof u.clientSecret, 'string');
	assert.ok(u.clientSecret.length >= 20, 'a long generated secret');
	const r = await srv.token({ grant_type: 'client_credentials', client_id: u.username, client_secret: u.clientSecret });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.token_type, 'Bearer');
	const p = decodeJwt(r.json.access_token).payload;
	assert.equal(p.sub, u.user.id);
	assert.equal(p.role, 'municipality');
	assert.equal(p.municipality, c.muni);
	const me = await srv.api('GET', '/v1/me', { token: r.json.access_token });
	assert.equal(me.status, 200);
	assertUser(me.json, { id: u.user.id, kind: 'client', role: 'municipality', municipality_code: c.muni });
	const wrong = await srv.token({ grant_type: 'client_credentials', client_id: u.username, client_secret: `${u.clientSecret}x` });
	assertProblem(wrong, 401, 'invalid_credentials');
});

test('a grant of the wrong kind answers 401 invalid_credentials (client with password grant, person with client_credentials)', async () => {
	const cl = await createUser(srv, c.admin, { kind: 'client', role: 'municipality', municipality_code: c.muni });
	const a = await srv.token({ grant_type: 'password', username: cl.username, password: cl.clientSecret });
	assertProblem(a, 401, 'invalid_credentials');
	const p = await createUser(srv, c.admin, { role: 'bookkeeper', cooperative_id: c.coopA });
	const b = await srv.token({ grant_type: 'client_credentials', client_id: p.username, client_secret: p.password });
	assertProblem(b, 401, 'invalid_credentials');
});

test('an unknown or missing grant_type answers 422 validation_failed on grant_type', async () => {
	for (const body of [
		{ grant_type: 'authorization_code', username: 'admin', password: srv.adminPassword },
		{ grant_type: 'PASSWORD', username: 'admin', password: srv.adminPassword },
		{ username: 'admin', password: srv.adminPassword },
		{ grant_type: 7, username: 'admin', password: srv.adminPassword },
	]) {
		const r = await srv.token(body);
		assertProblem(r, 422, 'validation_failed', { field: 'grant_type' });
	}
});

test('a password grant without username or password answers 422 validation_failed (required)', async () => {
	assertProblem(await srv.token({ grant_type: 'password', username: 'admin' }), 422, 'validation_failed', { field: 'password', fieldCode: 'required' });
	assertProblem(await srv.token({ grant_type: 'password', password: 'x'.repeat(12) }), 422, 'validation_failed', { field: 'username', fieldCode: 'required' });
	assertProblem(await srv.token({ grant_type: 'client_credentials', client_id: 'abc' }), 422, 'validation_failed', { field: 'client_secret', fieldCode: 'required' });
	assertProblem(
		await srv.token({ grant_type: 'client_credentials', client_id: 'abc', client_secret: 'x', password: 'y' }),
		422,
		'validation_failed',
		{ field: 'password', fieldCode: 'unknown_field' },
	);
});

// ---------------------------------------------------------------------------------------------
// Verification of tokens.
test('a request without Authorization answers 401 unauthorized with WWW-Authenticate: Bearer', async () => {
	assertUnauthorized(await srv.api('GET', '/v1/me'), 'no header');
	assertUnauthorized(await srv.api('GET', '/v1/users'), 'no header');
	assertUnauthorized(await srv.api('POST', '/v1/users', { body: {} }), 'no header');
});

test('an Authorization header that is not a Bearer token answers 401', async () => {
	for (const h of [`Basic ${Buffer.from(`admin:${srv.adminPassword}`).toString('base64')}`, 'Bearer', 'Bearer ', `Token ${c.admin}`, c.admin, 'Bearer a.b.c', 'Bearer not-a-jwt', `Bearer ${c.admin}.extra`]) {
		assertUnauthorized(await srv.api('GET', '/v1/me', { headers: { authorization: h } }), JSON.stringify(h.slice(0, 20)));
	}
});

test('a token minted with the configured secret and correct claims is accepted (the forging helper is right)', async () => {
	for (const who of [c.adminUser, c.coopAdminA.user, c.memberUserA.user, c.municipalityUser.user]) {
		const tok = signJwt(claimsFor(who), srv.secret);
		const r = await srv.api('GET', '/v1/me', { token: tok });
		assert.equal(r.status, 200, `${who.role}: ${r.text}`);
		assert.equal(r.json.id, who.id);
	}
});

test('alg none is rejected (401)', async () => {
	const claims = claimsFor(c.adminUser);
	const tok = signJwt(claims, null, { alg: 'none' });
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: tok }), 'alg none');
	const noneUpper = `${b64json({ alg: 'None', typ: 'JWT' })}.${b64json(claims)}.`;
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: noneUpper }), 'alg None');
	const realSig = c.admin.split('.')[2];
	const noneWithSig = `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(claims)}.${realSig}`;
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: noneWithSig }), 'alg none with a signature');
});

test('an HS256 token signed with another secret is rejected (401)', async () => {
	const tok = signJwt(claimsFor(c.adminUser), crypto.randomBytes(32).toString('hex'));
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: tok }), 'other secret');
	const empty = signJwt(claimsFor(c.adminUser), '');
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: empty }), 'empty secret');
});

test('a token signed with the right secret but another HMAC algorithm (HS384, HS512) is rejected (401)', async () => {
	for (const alg of ['HS384', 'HS512']) {
		const tok = signJwt(claimsFor(c.adminUser), srv.secret, { alg });
		assertUnauthorized(await srv.api('GET', '/v1/me', { token: tok }), alg);
	}
});

test('a tampered payload (role changed to platform_admin, signature kept) is rejected (401)', async () => {
	const { header, payload, signature } = decodeJwt(c.bookkeeperA.token);
	const forged = `${b64json(header)}.${b64json({ ...payload, role: 'platform_admin' })}.${signature}`;
	assertUnauthorized(await srv.api('GET', '/v1/users', { token: forged }), 'tampered role');
	const otherCoop = `${b64json(header)}.${b64json({ ...payload, coop: c.coopB })}.${signature}`;
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: otherCoop }), 'tampered coop');
	// the untampered token still works
	assert.equal((await srv.api('GET', '/v1/me', { token: c.bookkeeperA.token })).status, 200);
});

test('an expired token (exp more than 60 s ago) is rejected (401)', async () => {
	const t = now();
	const tok = signJwt({ ...claimsFor(c.adminUser), iat: t - 3600, nbf: t - 3600, exp: t - 120 }, srv.secret);
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: tok }), 'expired');
});

test('a token that expired less than 60 s ago is still accepted (leeway)', async () => {
	const t = now();
	const tok = signJwt({ ...claimsFor(c.adminUser), iat: t - 600, nbf: t - 600, exp: t - 20 }, srv.secret);
	assert.equal((await srv.api('GET', '/v1/me', { token: tok })).status, 200);
});

test('a token whose nbf lies more than 60 s in the future is rejected (401); within the leeway it is accepted', async () => {
	const t = now();
	const future = signJwt({ ...claimsFor(c.adminUser), nbf: t + 300, iat: t, exp: t + 900 }, srv.secret);
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: future }), 'nbf future');
	const soon = signJwt({ ...claimsFor(c.adminUser), nbf: t + 20, iat: t, exp: t + 900 }, srv.secret);
	assert.equal((await srv.api('GET', '/v1/me', { token: soon })).status, 200);
});

test('a token with a wrong iss or aud is rejected (401)', async () => {
	const a = signJwt(claimsFor(c.adminUser, { iss: 'someone-else' }), srv.secret);
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: a }), 'iss');
	const b = signJwt(claimsFor(c.adminUser, { aud: 'other-api' }), srv.secret);
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: b }), 'aud');
	const noIss = claimsFor(c.adminUser);
	delete noIss.iss;
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: signJwt(noIss, srv.secret) }), 'no iss');
	const noAud = claimsFor(c.adminUser);
	delete noAud.aud;
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: signJwt(noAud, srv.secret) }), 'no aud');
});

test('a token without exp, or with a non-integer exp, is rejected (401)', async () => {
	const noExp = claimsFor(c.adminUser);
	delete noExp.exp;
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: signJwt(noExp, srv.secret) }), 'no exp');
	const strExp = { ...claimsFor(c.adminUser), exp: String(now() + 600) };
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: signJwt(strExp, srv.secret) }), 'string exp');
});

test('a token with an unknown role or without sub is rejected (401)', async () => {
	const bad = { ...claimsFor(c.adminUser), role: 'superuser' };
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: signJwt(bad, srv.secret) }), 'unknown role');
	const noSub = claimsFor(c.adminUser);
	delete noSub.sub;
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: signJwt(noSub, srv.secret) }), 'no sub');
});

test('coop roles whose token lacks the coop claim are rejected (401)', async () => {
	const claims = claimsFor(c.coopAdminA.user);
	delete claims.coop;
	assertUnauthorized(await srv.api('GET', '/v1/me', { token: signJwt(claims, srv.secret) }), 'coop_admin without coop');
});

// ---------------------------------------------------------------------------------------------
test('GET /v1/me returns the caller for every role, with its scope fields and no secret', async () => {
	const cases = [
		[c.admin, { id: c.adminUser.id, username: 'admin', role: 'platform_admin', kind: 'person', cooperative_id: null, member_id: null, municipality_code: null, disabled: false }],
		[c.coopAdminA.token, { id: c.coopAdminA.user.id, role: 'coop_admin', cooperative_id: c.coopA, member_id: null, municipality_code: null }],
		[c.bookkeeperA.token, { id: c.bookkeeperA.user.id, role: 'bookkeeper', cooperative_id: c.coopA, member_id: null }],
		[c.auditorA.token, { id: c.auditorA.user.id, role: 'auditor', cooperative_id: c.coopA }],
		[c.memberUserA.token, { id: c.memberUserA.user.id, role: 'member', cooperative_id: c.coopA, member_id: c.memberA, municipality_code: null }],
		[c.municipalityUser.token, { id: c.municipalityUser.user.id, role: 'municipality', cooperative_id: null, member_id: null, municipality_code: c.muni }],
	];
	for (const [token, expect] of cases) {
		const r = await srv.api('GET', '/v1/me', { token });
		assert.equal(r.status, 200, `${expect.role}: ${r.text}`);
		assertUser(r.json, expect);
		assert.match(r.json.id, UUID_RE);
		assert.ok(!/\$y\$|\$2[aby]\$|\$6\$/.test(r.text), 'no password hash in /v1/me');
	}
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
