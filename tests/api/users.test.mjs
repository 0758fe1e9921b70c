// Users: create/read/update/disable, validation, scope rules of platform_admin and coop_admin,
// ETag/If-Match, filters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, cast, createUser, createCooperative, hex, assertProblem, assertUser, uname, password, uuid,
	listAll,
} from './harness.mjs';

let env;
let srv;
let c;

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await cast(srv, env.dbUrl);
});
after(() => srv?.kill());

const post = (token, body, headers) => srv.api('POST', '/v1/users', { token, body, headers });
const get = (token, id) => srv.api('GET', `/v1/users/${id}`, { token });
const patch = (token, id, body, headers) => srv.api('PATCH', `/v1/users/${id}`, { token, body, headers });
const del = (token, id) => srv.api('DELETE', `/v1/users/${id}`, { token });
const countUsers = async (where) => Number((await env.sql(`select count(*) as n from users where ${where}`))[0].n);

// ---------------------------------------------------------------------------------------------
// Creation by the platform administrator.
test('platform_admin creates a user of every role: 201, Location and the User object without secrets', async () => {
	const cases = [
		{ role: 'platform_admin' },
		{ role: 'coop_admin', cooperative_id: c.coopA },
		{ role: 'bookkeeper', cooperative_id: c.coopB },
		{ role: 'auditor', cooperative_id: c.coopA },
		{ role: 'member', cooperative_id: c.coopA, member_id: c.memberA },
		{ role: 'municipality', municipality_code: c.muni },
	];
	for (const fields of cases) {
		const body = { username: uname(fields.role), password: password(), ...fields };
		const r = await post(c.admin, body);
		assert.equal(r.status, 201, `${fields.role}: ${r.text}`);
		assertUser(r.json, {
			username: body.username,
			kind: 'person',
			role: fields.role,
			cooperative_id: fields.cooperative_id ?? null,
			member_id: fields.member_id ?? null,
			municipality_code: fields.municipality_code ?? null,
			disabled: false,
		});
		assert.equal(r.headers.get('location'), `/v1/users/${r.json.id}`);
		assert.ok(!r.text.includes(body.password), 'the password is not echoed');
		assert.ok(!/\$y\$|\$2[aby]\$|\$6\$/.test(r.text), 'no hash in the response');
		const stored = await env.sql(`select secret_hash from users where id = '${r.json.id}'`);
		assert.notEqual(stored[0].secret_hash, body.password, 'the password is stored hashed');
		assert.match(stored[0].secret_hash, /^\$/);
		// the new user can log in and see itself
		const tok = await srv.login(body.username, body.password);
		assert.equal((await srv.api('GET', '/v1/me', { token: tok })).json.id, r.json.id);
	}
});

test('GET /v1/users/{id} returns the User with an ETag "<n>"', async () => {
	const r = await get(c.admin, c.bookkeeperA.user.id);
	assert.equal(r.status, 200);
	assertUser(r.json, { id: c.bookkeeperA.user.id, role: 'bookkeeper', cooperative_id: c.coopA });
	assert.match(r.headers.get('etag') ?? '', /^"\d+"$/);
});

test('username rules: 3..64 characters of [A-Za-z0-9._@-] (422 too_short, too_long, invalid_value)', async () => {
	const base = { password: password(), role: 'bookkeeper', cooperative_id: c.coopA };
	assertProblem(await post(c.admin, { ...base, username: 'ab' }), 422, 'validation_failed', { field: 'username', fieldCode: 'too_short' });
	assertProblem(await post(c.admin, { ...base, username: 'a'.repeat(65) }), 422, 'validation_failed', { field: 'username', fieldCode: 'too_long' });
	for (const bad of ['has space', 'semi;colon', 'caf\u00e9x', 'quote"s', 'slash/x', '']) {
		const r = await post(c.admin, { ...base, username: bad });
		assertProblem(r, 422, 'validation_failed', { field: 'username' });
	}
	for (const good of ['abc', 'x'.repeat(60) + hex(2), `Mixed.Case_1-2@x.${hex(2)}`]) {
		const r = await post(c.admin, { ...base, username: good });
		assert.equal(r.status, 201, `${good}: ${r.text}`);
	}
	assertProblem(await post(c.admin, { password: password(), role: 'bookkeeper', cooperative_id: c.coopA }), 422, 'validation_failed', { field: 'username', fieldCode: 'required' });
});

test('password rules for a person: required, 12..200 characters', async () => {
	const base = { role: 'bookkeeper', cooperative_id: c.coopA };
	assertProblem(await post(c.admin, { ...base, username: uname() }), 422, 'validation_failed', { field: 'password', fieldCode: 'required' });
	assertProblem(await post(c.admin, { ...base, username: uname(), password: 'x'.repeat(11) }), 422, 'validation_failed', { field: 'password', fieldCode: 'too_short' });
	assertProblem(await post(c.admin, { ...base, username: uname(), password: 'x'.repeat(201) }), 422, 'validation_failed', { field: 'password', fieldCode: 'too_long' });
	assert.equal((await post(c.admin, { ...base, username: uname(), password: 'x'.repeat(12) })).status, 201);
	assert.equal((await post(c.admin, { ...base, username: uname(), password: 'y'.repeat(200) })).status, 201);
});

test('a client user must not have a password and gets a generated client_secret', async () => {
	const bad = await post(c.admin, { username: uname('cl'), kind: 'client', password: password(), role: 'municipality', municipality_code: c.muni });
	assertProblem(bad, 422, 'validation_failed', { field: 'password' });
	const r = await post(c.admin, { username: uname('cl'), kind: 'client', role: 'municipality', municipality_code: c.muni });
	assert.equal(r.status, 201, r.text);
	assertUser(r.json, { kind: 'client', role: 'municipality' }, { allowSecret: true });
	assert.equal(typeof r.json.client_secret, 'string');
	const g = await get(c.admin, r.json.id);
	assert.ok(!('client_secret' in g.json), 'the secret is never shown again');
	const l = await srv.api('GET', '/v1/users?limit=200', { token: c.admin });
	assert.ok(!l.text.includes(r.json.client_secret), 'not in the list either');
	const k = await post(c.admin, { username: uname('k'), kind: 'robot', role: 'municipality', municipality_code: c.muni });
	assertProblem(k, 422, 'validation_failed', { field: 'kind', fieldCode: 'invalid_value' });
});

test('an unknown role answers 422 invalid_value on role; a missing role 422 required', async () => {
	assertProblem(await post(c.admin, { username: uname(), password: password(), role: 'root' }), 422, 'validation_failed', { field: 'role', fieldCode: 'invalid_value' });
	assertProblem(await post(c.admin, { username: uname(), password: password() }), 422, 'validation_failed', { field: 'role', fieldCode: 'required' });
});

test('scope fields must fit the role (422 validation_failed on the misfit field)', async () => {
	const p = password();
	const cases = [
		[{ role: 'coop_admin' }, 'cooperative_id'],
		[{ role: 'bookkeeper' }, 'cooperative_id'],
		[{ role: 'auditor' }, 'cooperative_id'],
		[{ role: 'member', cooperative_id: c.coopA }, 'member_id'],
		[{ role: 'member', member_id: c.memberA }, 'cooperative_id'],
		[{ role: 'municipality' }, 'municipality_code'],
		[{ role: 'platform_admin', cooperative_id: c.coopA }, 'cooperative_id'],
		[{ role: 'platform_admin', municipality_code: c.muni }, 'municipality_code'],
		[{ role: 'bookkeeper', cooperative_id: c.coopA, member_id: c.memberA }, 'member_id'],
		[{ role: 'bookkeeper', cooperative_id: c.coopA, municipality_code: c.muni }, 'municipality_code'],
		[{ role: 'municipality', municipality_code: c.muni, cooperative_id: c.coopA }, 'cooperative_id'],
	];
	for (const [fields, field] of cases) {
		const r = await post(c.admin, { username: uname(), password: p, ...fields });
		assertProblem(r, 422, 'validation_failed', { field });
	}
});

test('unknown cooperative, member or municipality answers 422 invalid_reference naming the field', async () => {
	const p = password();
	const cases = [
		[{ role: 'bookkeeper', cooperative_id: uuid() }, 'cooperative_id'],
		[{ role: 'member', cooperative_id: c.coopA, member_id: uuid() }, 'member_id'],
		[{ role: 'member', cooperative_id: c.coopA, member_id: c.memberB }, 'member_id'], // a member of another coop
		[{ role: 'municipality', municipality_code: 'GM9999' }, 'municipality_code'],
	];
	for (const [fields, field] of cases) {
		const r = await post(c.admin, { username: uname(), password: p, ...fields });
		assertProblem(r, 422, 'invalid_reference', { field, fieldCode: 'invalid_reference' });
	}
	const notUuid = await post(c.admin, { username: uname(), password: p, role: 'bookkeeper', cooperative_id: 'not-a-uuid' });
	assert.equal(notUuid.status, 422, notUuid.text);
	assert.ok(notUuid.json.errors.some((e) => e.field === 'cooperative_id'), notUuid.text);
	const badCode = await post(c.admin, { username: uname(), password: p, role: 'municipality', municipality_code: 'GM363' });
	assert.equal(badCode.status, 422, badCode.text);
	assert.ok(badCode.json.errors.some((e) => e.field === 'municipality_code'), badCode.text);
});

test('a duplicate username answers 409 already_exists (case-insensitively)', async () => {
	const u = await createUser(srv, c.admin, { role: 'bookkeeper', cooperative_id: c.coopA, username: uname('Dup') });
	assertProblem(await post(c.admin, { username: u.username, password: password(), role: 'auditor', cooperative_id: c.coopA }), 409, 'already_exists');
	assertProblem(await post(c.admin, { username: u.username.toLowerCase(), password: password(), role: 'auditor', cooperative_id: c.coopA }), 409, 'already_exists');
	assert.equal(await countUsers(`lower(username) = lower('${u.username}')`), 1);
});

// ---------------------------------------------------------------------------------------------
// coop_admin scope.
test('coop_admin creates users of its own cooperative; an omitted cooperative_id means its own', async () => {
	for (const role of ['coop_admin', 'bookkeeper', 'auditor']) {
		const r = await post(c.coopAdminA.token, { username: uname(role), password: password(), role });
		assert.equal(r.status, 201, `${role}: ${r.text}`);
		assertUser(r.json, { role, cooperative_id: c.coopA });
	}
	const explicit = await post(c.coopAdminA.token, { username: uname(), password: password(), role: 'bookkeeper', cooperative_id: c.coopA });
	assert.equal(explicit.status, 201, explicit.text);
	const m = await post(c.coopAdminA.token, { username: uname('m'), password: password(), role: 'member', member_id: c.memberA });
	assert.equal(m.status, 201, m.text);
	assertUser(m.json, { role: 'member', cooperative_id: c.coopA, member_id: c.memberA });
});

test('coop_admin creating a user in another cooperative answers 422 invalid_reference on cooperative_id', async () => {
	const before = await countUsers(`cooperative_id = '${c.coopB}'`);
	const r = await post(c.coopAdminA.token, { username: uname(), password: password(), role: 'bookkeeper', cooperative_id: c.coopB });
	assertProblem(r, 422, 'invalid_reference', { field: 'cooperative_id', fieldCode: 'invalid_reference' });
	const m = await post(c.coopAdminA.token, { username: uname(), password: password(), role: 'member', member_id: c.memberB });
	assertProblem(m, 422, 'invalid_reference', { field: 'member_id' });
	assert.equal(await countUsers(`cooperative_id = '${c.coopB}'`), before);
});

test('coop_admin creating a platform_admin or municipality user answers 403 forbidden', async () => {
	assertProblem(await post(c.coopAdminA.token, { username: uname(), password: password(), role: 'platform_admin' }), 403, 'forbidden');
	assertProblem(await post(c.coopAdminA.token, { username: uname(), password: password(), role: 'municipality', municipality_code: c.muni }), 403, 'forbidden');
});

test('coop_admin lists only the users of its own cooperative (a cooperative_id filter never widens it)', async () => {
	const all = await listAll(srv, c.coopAdminA.token, '/v1/users', 50);
	assert.ok(all.length >= 5, `${all.length} users`);
	for (const u of all) assert.equal(u.cooperative_id, c.coopA, JSON.stringify(u));
	assert.ok(all.some((u) => u.id === c.coopAdminA.user.id));
	const widened = await srv.api('GET', `/v1/users?cooperative_id=${c.coopB}`, { token: c.coopAdminA.token });
	assert.equal(widened.status, 200, widened.text);
	assert.deepEqual(widened.json.data, []);
	const b = await listAll(srv, c.coopAdminB.token, '/v1/users', 50);
	assert.ok(b.every((u) => u.cooperative_id === c.coopB));
	assert.ok(!b.some((u) => u.id === c.coopAdminA.user.id));
});

test('coop_admin gets 404 for GET, PATCH and DELETE of a user outside its cooperative', async () => {
	for (const target of [c.coopAdminB.user.id, c.adminUser.id, c.municipalityUser.user.id]) {
		assertProblem(await get(c.coopAdminA.token, target), 404, 'not_found');
		assertProblem(await patch(c.coopAdminA.token, target, { disabled: true }), 404, 'not_found');
		assertProblem(await del(c.coopAdminA.token, target), 404, 'not_found');
	}
	const still = await get(c.admin, c.coopAdminB.user.id);
	assert.equal(still.json.disabled, false, 'nothing changed');
	assert.equal((await get(c.coopAdminA.token, c.bookkeeperA.user.id)).status, 200, 'its own coop user is visible');
});

test('platform_admin lists users of every cooperative and the platform', async () => {
	const all = await listAll(srv, c.admin, '/v1/users', 200);
	const ids = new Set(all.map((u) => u.id));
	for (const u of [c.adminUser, c.coopAdminA.user, c.coopAdminB.user, c.municipalityUser.user, c.memberUserA.user]) assert.ok(ids.has(u.id), u.username);
	for (const u of all) assertUser(u);
});

test('bookkeeper, auditor, member and municipality get 403 forbidden on every /v1/users route', async () => {
	for (const who of [c.bookkeeperA, c.auditorA, c.memberUserA, c.municipalityUser]) {
		const t = who.token;
		assertProblem(await srv.api('GET', '/v1/users', { token: t }), 403, 'forbidden');
		assertProblem(await post(t, { username: uname(), password: password(), role: 'bookkeeper', cooperative_id: c.coopA }), 403, 'forbidden');
		assertProblem(await get(t, who.user.id), 403, 'forbidden');
		assertProblem(await get(t, c.coopAdminA.user.id), 403, 'forbidden');
		assertProblem(await patch(t, who.user.id, { password: password() }), 403, 'forbidden');
		assertProblem(await del(t, c.bookkeeperA.user.id), 403, 'forbidden');
	}
	assert.equal((await get(c.admin, c.bookkeeperA.user.id)).json.disabled, false);
});

// ---------------------------------------------------------------------------------------------
// PATCH, ETag, DELETE.
test('PATCH with a stale If-Match answers 412 precondition_failed and changes nothing', async () => {
	const u = await createUser(srv, c.admin, { role: 'bookkeeper', cooperative_id: c.coopA });
	const g = await get(c.admin, u.user.id);
	const etag = g.headers.get('etag');
	const stale = `"${Number(etag.replaceAll('"', '')) + 7}"`;
	const r = await patch(c.admin, u.user.id, { disabled: true }, { 'if-match': stale });
	assertProblem(r, 412, 'precondition_failed');
	assert.equal((await get(c.admin, u.user.id)).json.disabled, false);
	assert.equal((await get(c.admin, u.user.id)).headers.get('etag'), etag);
});

test('PATCH with the current If-Match answers 200 with the User and a new ETag; the old ETag is then stale', async () => {
	const u = await createUser(srv, c.admin, { role: 'bookkeeper', cooperative_id: c.coopA });
	const etag = (await get(c.admin, u.user.id)).headers.get('etag');
	const r = await patch(c.admin, u.user.id, { disabled: true }, { 'if-match': etag });
	assert.equal(r.status, 200, r.text);
	assertUser(r.json, { id: u.user.id, disabled: true });
	const newTag = r.headers.get('etag');
	assert.match(newTag ?? '', /^"\d+"$/);
	assert.notEqual(newTag, etag);
	assert.equal((await get(c.admin, u.user.id)).headers.get('etag'), newTag);
	assertProblem(await patch(c.admin, u.user.id, { disabled: false }, { 'if-match': etag }), 412, 'precondition_failed');
});

test('If-Match: * always matches and no If-Match applies the change unconditionally', async () => {
	const u = await createUser(srv, c.admin, { role: 'auditor', cooperative_id: c.coopA });
	const a = await patch(c.admin, u.user.id, { disabled: true }, { 'if-match': '*' });
	assert.equal(a.status, 200, a.text);
	assert.equal(a.json.disabled, true);
	const b = await patch(c.admin, u.user.id, { disabled: false });
	assert.equal(b.status, 200, b.text);
	assert.equal(b.json.disabled, false);
});

test('PATCH password: the new password logs in, the old one no longer does', async () => {
	const u = await createUser(srv, c.admin, { role: 'bookkeeper', cooperative_id: c.coopA });
	const np = password();
	const r = await patch(c.coopAdminA.token, u.user.id, { password: np });
	assert.equal(r.status, 200, r.text);
	assert.ok(!r.text.includes(np));
	assert.equal((await srv.token({ grant_type: 'password', username: u.username, password: np })).status, 200);
	assertProblem(await srv.token({ grant_type: 'password', username: u.username, password: u.password }), 401, 'invalid_credentials');
	assertProblem(await patch(c.admin, u.user.id, { password: 'short' }), 422, 'validation_failed', { field: 'password', fieldCode: 'too_short' });
});

test('PATCH password of a client user answers 422 (a client has a generated secret)', async () => {
	const cl = await createUser(srv, c.admin, { kind: 'client', role: 'municipality', municipality_code: c.muni });
	const r = await patch(c.admin, cl.user.id, { password: password() });
	assertProblem(r, 422, 'validation_failed', { field: 'password' });
});

test('DELETE answers 204, keeps the user as disabled, and its login then fails', async () => {
	const u = await createUser(srv, c.admin, { role: 'bookkeeper', cooperative_id: c.coopA });
	await srv.login(u.username, u.password);
	const d = await del(c.coopAdminA.token, u.user.id);
	assert.equal(d.status, 204, d.text);
	assert.equal(d.text, '', 'no body on 204');
	assert.equal(d.headers.get('etag'), null, 'no ETag on 204: there is no user in the body (api/openapi.yaml documents none)');
	const g = await get(c.admin, u.user.id);
	assert.equal(g.status, 200, 'the user is kept');
	assert.equal(g.json.disabled, true);
	assert.equal(await countUsers(`id = '${u.user.id}'`), 1);
	assertProblem(await srv.token({ grant_type: 'password', username: u.username, password: u.password }), 401, 'invalid_credentials');
	const again = await del(c.admin, u.user.id);
	assert.ok([204, 409].includes(again.status), `deleting a disabled user again: ${again.status}`);
});

test('PATCH {"disabled": false} enables a disabled user again', async () => {
	const u = await createUser(srv, c.admin, { role: 'auditor', cooperative_id: c.coopA });
	assert.equal((await del(c.admin, u.user.id)).status, 204);
	const r = await patch(c.admin, u.user.id, { disabled: false });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.disabled, false);
	assert.equal((await srv.token({ grant_type: 'password', username: u.username, password: u.password })).status, 200);
});

test('a user cannot disable itself: DELETE or PATCH disabled on oneself answers 409 conflict', async () => {
	assertProblem(await del(c.coopAdminA.token, c.coopAdminA.user.id), 409, 'conflict');
	assertProblem(await patch(c.coopAdminA.token, c.coopAdminA.user.id, { disabled: true }), 409, 'conflict');
	assertProblem(await del(c.admin, c.adminUser.id), 409, 'conflict');
	assert.equal((await get(c.admin, c.coopAdminA.user.id)).json.disabled, false);
	assert.equal((await srv.api('GET', '/v1/me', { token: c.admin })).json.disabled, false);
});

test('DELETE or PATCH of an unknown user id answers 404 not_found', async () => {
	assertProblem(await del(c.admin, uuid()), 404, 'not_found');
	assertProblem(await patch(c.admin, uuid(), { disabled: true }), 404, 'not_found');
	assertProblem(await get(c.admin, uuid()), 404, 'not_found');
});

// ---------------------------------------------------------------------------------------------
// Filters.
test('GET /v1/users filters by role, cooperative_id and disabled', async () => {
	const coopC = await createCooperative(env.dbUrl, 'Coop Filter');
	const made = [];
	for (const role of ['bookkeeper', 'auditor', 'bookkeeper']) made.push((await createUser(srv, c.admin, { role, cooperative_id: coopC })).user);
	assert.equal((await del(c.admin, made[2].id)).status, 204);
	const byCoop = await listAll(srv, c.admin, `/v1/users?cooperative_id=${coopC}`, 50);
	assert.deepEqual(byCoop.map((u) => u.id), made.map((u) => u.id), 'creation order');
	const bk = await listAll(srv, c.admin, `/v1/users?cooperative_id=${coopC}&role=bookkeeper`, 50);
	assert.deepEqual(bk.map((u) => u.id), [made[0].id, made[2].id]);
	const dis = await listAll(srv, c.admin, `/v1/users?cooperative_id=${coopC}&disabled=true`, 50);
	assert.deepEqual(dis.map((u) => u.id), [made[2].id]);
	const en = await listAll(srv, c.admin, `/v1/users?cooperative_id=${coopC}&disabled=false`, 50);
	assert.deepEqual(en.map((u) => u.id), [made[0].id, made[1].id]);
	const roles = await listAll(srv, c.admin, '/v1/users?role=municipality', 50);
	assert.ok(roles.length >= 1 && roles.every((u) => u.role === 'municipality'));
});

test('a bad filter value answers 400 invalid_parameter', async () => {
	for (const q of ['disabled=maybe', 'role=wizard', 'cooperative_id=not-a-uuid']) {
		assertProblem(await srv.api('GET', `/v1/users?${q}`, { token: c.admin }), 400, 'invalid_parameter');
	}
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
