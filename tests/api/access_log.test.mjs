// The access log: one JSON line per request on stderr with request_id, method, route (the
// template, not the raw path) and status; never a password, secret or token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, createUser, createCooperative, createMunicipality, signJwt, claimsFor, password, uname, hex } from './harness.mjs';

let env;
let srv;
const secrets = [];
const sent = []; // {rid, method, status, routeCheck}
let usernames = [];

before(async () => {
	env = await setup();
	srv = env.srv;
	const rid = (tag) => `log-${tag}-${hex(4)}`;
	const call = async (tag, method, p, opts = {}) => {
		const id = rid(tag);
		const r = await srv.api(method, p, { ...opts, headers: { ...(opts.headers ?? {}), 'x-request-id': id } });
		sent.push({ rid: id, method, status: r.status, path: p });
		return r;
	};
	const login = await call('login', 'POST', '/v1/auth/token', { body: { grant_type: 'password', username: 'admin', password: srv.adminPassword } });
	assert.equal(login.status, 200);
	const admin = login.json.access_token;
	secrets.push(srv.adminPassword, admin, admin.split('.')[2], srv.secret);
	const coop = await createCooperative(env.dbUrl, 'Coop Log');
	const muni = await createMunicipality(env.dbUrl);
	const pw = password();
	const body = { username: uname('logged'), password: pw, role: 'bookkeeper', cooperative_id: coop };
	const created = await call('create', 'POST', '/v1/users', { token: admin, body });
	assert.equal(created.status, 201);
	secrets.push(pw);
	usernames.push(body.username);
	const cl = await call('client', 'POST', '/v1/users', { token: admin, body: { username: uname('client'), kind: 'client', role: 'municipality', municipality_code: muni } });
	assert.equal(cl.status, 201);
	secrets.push(cl.json.client_secret);
	usernames.push(cl.json.username);
	const ct = await call('cc', 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: cl.json.username, client_secret: cl.json.client_secret } });
	assert.equal(ct.status, 200);
	secrets.push(ct.json.access_token);
	const wrongPw = `wrong-${hex(8)}`;
	secrets.push(wrongPw);
	assert.equal((await call('fail', 'POST', '/v1/auth/token', { body: { grant_type: 'password', username: body.username, password: wrongPw } })).status, 401);
	const np = password();
	secrets.push(np);
	assert.equal((await call('patch', 'PATCH', `/v1/users/${created.json.id}`, { token: admin, body: { password: np } })).status, 200);
	assert.equal((await call('get', 'GET', `/v1/users/${created.json.id}`, { token: admin })).status, 200);
	assert.equal((await call('me', 'GET', '/v1/me', { token: admin })).status, 200);
	assert.equal((await call('404', 'GET', `/v1/nothing/${hex(4)}`)).status, 404);
	const forged = signJwt(claimsFor((await srv.api('GET', '/v1/me', { token: admin })).json), 'x'.repeat(40));
	secrets.push(forged);
	assert.equal((await call('401', 'GET', '/v1/me', { token: forged })).status, 401);
	assert.equal((await call('422', 'POST', '/v1/users', { token: admin, body: { username: 'ab', password: pw } })).status, 422);
	const badJson = `{"password":"${np}",`;
	assert.equal((await call('400', 'POST', '/v1/users', { token: admin, rawBody: badJson })).status, 400);
	const dbPw = /:\/\/[^:]+:([^@]+)@/.exec(env.dbUrl)?.[1];
	if (dbPw) secrets.push(dbPw);
	await createUser(srv, admin, { role: 'auditor', cooperative_id: coop }).then((u) => {
		secrets.push(u.password);
		usernames.push(u.username);
	});
});
after(() => srv?.kill());

const requestLines = () => srv.logLines().filter((l) => l.msg === 'request');

test('every stderr line is one JSON object with ts, level and msg', () => {
	const lines = srv.logLines();
	assert.ok(lines.length > sent.length);
	for (const l of lines) {
		assert.ok(!l.unparsed, `not JSON: ${l.unparsed}`);
		assert.equal(typeof l.ts, 'string');
		assert.equal(typeof l.level, 'string');
		assert.equal(typeof l.msg, 'string');
	}
});

test('the access log has exactly one line per request with its request_id, method, route and status', () => {
	const lines = requestLines();
	for (const s of sent) {
		const mine = lines.filter((l) => l.request_id === s.rid);
		assert.equal(mine.length, 1, `one access-log line for ${s.rid}: ${JSON.stringify(mine)}`);
		const l = mine[0];
		assert.equal(l.status, s.status, `status of ${s.method} ${s.path}`);
		assert.equal(l.method, s.method);
		assert.equal(typeof l.route, 'string');
	}
});

test('the access log names the route template, never the raw path with ids', () => {
	const lines = requestLines();
	const get = lines.find((l) => l.request_id === sent.find((s) => s.path.startsWith('/v1/users/') && s.method === 'GET').rid);
	assert.match(get.route, /^\/v1\/users\/\{user_id/);
	assert.ok(!/[0-9a-f]{8}-[0-9a-f]{4}-/.test(get.route), get.route);
	const nf = lines.find((l) => l.request_id === sent.find((s) => s.status === 404).rid);
	assert.ok(!nf.route.includes('/v1/nothing/'), `an unknown path is not logged as a route: ${nf.route}`);
});

test('a generated request id appears in the access log as returned in X-Request-Id', async () => {
	const r = await srv.api('GET', '/v1/health');
	const id = r.headers.get('x-request-id');
	await new Promise((res) => setTimeout(res, 50));
	const mine = requestLines().filter((l) => l.request_id === id);
	assert.equal(mine.length, 1);
	assert.equal(mine[0].route, '/v1/health');
	assert.equal(mine[0].status, 200);
});

test('the log never contains a password, client secret, token or signing secret', () => {
	const log = srv.stderr;
	for (const s of secrets) {
		assert.ok(s && s.length >= 8, 'a real secret to look for');
		assert.ok(!log.includes(s), `the log contains a secret: ${s.slice(0, 6)}…`);
	}
	assert.ok(!/Bearer /.test(log), 'no Authorization header in the log');
	assert.ok(!/\$y\$|\$2[aby]\$|\$6\$/.test(log), 'no password hash in the log');
});

test('the log carries user ids, not usernames (no personal data)', () => {
	const log = srv.stderr;
	for (const u of usernames) assert.ok(!log.includes(u), `the log contains the username ${u}`);
	assert.ok(requestLines().some((l) => typeof l.user_id === 'string'), 'authenticated requests log the user id');
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
	for (const s of secrets) assert.ok(!srv.stderr.includes(s), 'nothing leaked at shutdown either');
});
