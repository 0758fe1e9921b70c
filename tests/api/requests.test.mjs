// Request bodies: content type (415), size limit (413), strict JSON (400) and field validation
// (422). This file's coopd runs with COOPD_BODY_LIMIT=2048.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, createCooperative, assertProblem, uname, password } from './harness.mjs';

const LIMIT = 2048;
let env;
let srv;
let admin;
let coopId;
let someUser;

before(async () => {
	env = await setup({ env: { COOPD_BODY_LIMIT: String(LIMIT) } });
	srv = env.srv;
	admin = await srv.adminToken();
	coopId = await createCooperative(env.dbUrl, 'Coop R');
	const r = await srv.api('POST', '/v1/users', {
		token: admin,
		body: { username: uname('bk'), password: password(), role: 'bookkeeper', cooperative_id: coopId },
	});
	assert.equal(r.status, 201, r.text);
	someUser = r.json;
});
after(() => srv?.kill());

const validUser = () => ({ username: uname('v'), password: password(), role: 'bookkeeper', cooperative_id: coopId });

test('a body without Content-Type: application/json answers 415 unsupported_media_type', async () => {
	const body = JSON.stringify(validUser());
	for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json', null]) {
		const r = await srv.api('POST', '/v1/users', { token: admin, rawBody: body, headers: { 'content-type': ct } });
		assertProblem(r, 415, 'unsupported_media_type');
	}
	const p = await srv.api('PATCH', `/v1/users/${someUser.id}`, { token: admin, rawBody: '{"disabled":false}', headers: { 'content-type': 'text/plain' } });
	assertProblem(p, 415, 'unsupported_media_type');
	const t = await srv.api('POST', '/v1/auth/token', {
		rawBody: JSON.stringify({ grant_type: 'password', username: 'admin', password: srv.adminPassword }),
		headers: { 'content-type': 'text/plain' },
	});
	assertProblem(t, 415, 'unsupported_media_type');
	const n = await env.sql(`select count(*) as n from users where username = ${"'" + JSON.parse(body).username + "'"}`);
	assert.equal(n[0].n, '0', 'nothing was created');
});

test('Content-Type application/json with a charset parameter is accepted', async () => {
	for (const ct of ['application/json; charset=utf-8', 'application/json;charset=UTF-8']) {
		const r = await srv.api('POST', '/v1/users', { token: admin, rawBody: JSON.stringify(validUser()), headers: { 'content-type': ct } });
		assert.equal(r.status, 201, `${ct}: ${r.text}`);
	}
});

test('a body larger than COOPD_BODY_LIMIT answers 413 payload_too_large', async () => {
	const big = { ...validUser(), padding: 'x'.repeat(LIMIT * 2) };
	const r = await srv.api('POST', '/v1/users', { token: admin, body: big });
	assertProblem(r, 413, 'payload_too_large');
	const t = await srv.api('POST', '/v1/auth/token', { body: { grant_type: 'password', username: 'admin', password: 'p'.repeat(LIMIT + 10) } });
	assertProblem(t, 413, 'payload_too_large');
	const huge = await srv.api('POST', '/v1/users', { token: admin, rawBody: Buffer.alloc(256 * 1024, 0x20) });
	assertProblem(huge, 413, 'payload_too_large');
});

test('a chunked body that grows beyond COOPD_BODY_LIMIT answers 413 payload_too_large', async () => {
	const head = `{"username":"${uname('ch')}","password":"${password()}","role":"bookkeeper","padding":"`;
	const chunks = [head, ...Array.from({ length: 8 }, () => 'y'.repeat(512)), '"}'];
	const r = await srv.api('POST', '/v1/users', { token: admin, chunks });
	assertProblem(r, 413, 'payload_too_large');
});

test('a body just under COOPD_BODY_LIMIT is read and validated (not 413)', async () => {
	const body = { ...validUser() };
	const base = JSON.stringify({ ...body, note: '' }).length;
	body.note = 'n'.repeat(LIMIT - base - 8);
	const r = await srv.api('POST', '/v1/users', { token: admin, body });
	assertProblem(r, 422, 'validation_failed', { field: 'note', fieldCode: 'unknown_field' });
});

test('malformed JSON answers 400 malformed_json', async () => {
	for (const raw of ['{', '{"username":}', '{"a":1,}', "{'a':1}", '{}x', 'nul', '\xff\xfe', '']) {
		const r = await srv.api('POST', '/v1/users', { token: admin, rawBody: raw });
		assertProblem(r, 400, 'malformed_json');
	}
	const t = await srv.api('POST', '/v1/auth/token', { rawBody: '{"grant_type":"password",' });
	assertProblem(t, 400, 'malformed_json');
	const p = await srv.api('PATCH', `/v1/users/${someUser.id}`, { token: admin, rawBody: '{"disabled":tru}' });
	assertProblem(p, 400, 'malformed_json');
});

test('invalid UTF-8 inside a JSON string answers 400 malformed_json', async () => {
	const raw = Buffer.concat([Buffer.from('{"username":"ab'), Buffer.from([0xc3, 0x28]), Buffer.from('cd","role":"bookkeeper"}')]);
	assertProblem(await srv.api('POST', '/v1/users', { token: admin, rawBody: raw }), 400, 'malformed_json');
});

test('duplicate JSON keys answer 400 malformed_json', async () => {
	const u = validUser();
	const raw = `{"username":"${u.username}","password":"${u.password}","role":"bookkeeper","role":"platform_admin","cooperative_id":"${coopId}"}`;
	assertProblem(await srv.api('POST', '/v1/users', { token: admin, rawBody: raw }), 400, 'malformed_json');
	const n = await env.sql(`select count(*) as n from users where username = '${u.username}'`);
	assert.equal(n[0].n, '0');
	const p = await srv.api('PATCH', `/v1/users/${someUser.id}`, { token: admin, rawBody: '{"disabled":false,"disabled":true}' });
	assertProblem(p, 400, 'malformed_json');
	const t = await srv.api('POST', '/v1/auth/token', { rawBody: `{"grant_type":"password","username":"admin","username":"x","password":"${srv.adminPassword}"}` });
	assertProblem(t, 400, 'malformed_json');
});

test('a JSON top-level value that is not an object answers 400 malformed_json', async () => {
	for (const raw of ['[]', '[{"username":"abc"}]', '"text"', '42', 'null', 'true']) {
		assertProblem(await srv.api('POST', '/v1/users', { token: admin, rawBody: raw }), 400, 'malformed_json');
		assertProblem(await srv.api('PATCH', `/v1/users/${someUser.id}`, { token: admin, rawBody: raw }), 400, 'malformed_json');
	}
});

test('an unknown body field answers 422 validation_failed with code unknown_field (no mass assignment)', async () => {
	const r = await srv.api('POST', '/v1/users', { token: admin, body: { ...validUser(), is_admin: true } });
	assertProblem(r, 422, 'validation_failed', { field: 'is_admin', fieldCode: 'unknown_field' });
	for (const field of ['role', 'username', 'cooperative_id', 'id', 'created_at', 'kind']) {
		const p = await srv.api('PATCH', `/v1/users/${someUser.id}`, { token: admin, body: { [field]: field === 'role' ? 'platform_admin' : 'x' } });
		assertProblem(p, 422, 'validation_failed', { field, fieldCode: 'unknown_field' });
	}
	const g = await srv.api('GET', `/v1/users/${someUser.id}`, { token: admin });
	assert.equal(g.json.role, 'bookkeeper', 'the role did not change');
	const t = await srv.api('POST', '/v1/auth/token', { body: { grant_type: 'password', username: 'admin', password: srv.adminPassword, scope: 'all' } });
	assertProblem(t, 422, 'validation_failed', { field: 'scope', fieldCode: 'unknown_field' });
});

test('a field of the wrong JSON type answers 422 validation_failed with code invalid_type', async () => {
	const cases = [
		[{ ...validUser(), username: 42 }, 'username'],
		[{ ...validUser(), password: ['a'] }, 'password'],
		[{ ...validUser(), role: { name: 'bookkeeper' } }, 'role'],
		[{ ...validUser(), cooperative_id: 12 }, 'cooperative_id'],
	];
	for (const [body, field] of cases) {
		assertProblem(await srv.api('POST', '/v1/users', { token: admin, body }), 422, 'validation_failed', { field, fieldCode: 'invalid_type' });
	}
	for (const v of ['true', 1, 1.0, 0.5, 1e0, null]) {
		const p = await srv.api('PATCH', `/v1/users/${someUser.id}`, { token: admin, body: { disabled: v } });
		assertProblem(p, 422, 'validation_failed', { field: 'disabled', fieldCode: 'invalid_type' });
	}
	const real = await srv.api('PATCH', `/v1/users/${someUser.id}`, { token: admin, rawBody: '{"disabled":1.0}' });
	assertProblem(real, 422, 'validation_failed', { field: 'disabled', fieldCode: 'invalid_type' });
});

test('a 422 lists an error for every bad field', async () => {
	const r = await srv.api('POST', '/v1/users', { token: admin, body: { role: 'wizard', password: password(), extra: 1 } });
	const p = assertProblem(r, 422, 'validation_failed');
	const fields = new Set(p.errors.map((e) => `${e.field}:${e.code}`));
	assert.ok(fields.has('username:required'), JSON.stringify(p.errors));
	assert.ok(fields.has('role:invalid_value'), JSON.stringify(p.errors));
	assert.ok(fields.has('extra:unknown_field'), JSON.stringify(p.errors));
	for (const e of p.errors) assert.ok(['required', 'unknown_field', 'invalid_type', 'invalid_value', 'too_short', 'too_long', 'invalid_reference'].includes(e.code), e.code);
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
