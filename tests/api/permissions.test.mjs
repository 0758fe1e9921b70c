// Permissions (toestemmingen): creation and validation, derived status, overlap (revoked ones
// count up to revoked_on), length against the municipal policy, municipality of the member,
// exemption window and its statutory maximum over all permissions, revocation, renewal links,
// scope and roles, lists, idempotency, audit, and concurrent creation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, coreCast, assertProblem, assertEtag, assertKeys, assertAudited, assertIdempotentCreate, apiMember,
	apiMunicipality, apiPermission, apiCreate, permissionBody, listAll, todayNl, rawJson, uuid, INVALID, RFC3339_UTC, UUID_RE,
} from './harness.mjs';

let env;
let srv;
let c;

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await coreCast(srv);
});
after(() => srv?.kill());

const KEYS = ['id', 'member_id', 'cooperative_id', 'municipality_code', 'decision_reference', 'valid_from', 'valid_until', 'goal', 'business_hours_per_week', 'jobsearch_hours_per_week', 'exemption_from', 'exemption_until', 'status', 'revoked_on', 'revocation_reason', 'renews_permission_id', 'created_at', 'updated_at'];
const perms = (member) => `/v1/members/${member}/permissions`;
const post = (member, body, token = c.admin, headers) => srv.api('POST', perms(member), { token, body, headers });
const revoke = (id, body, token = c.admin, headers) => srv.api('POST', `/v1/permissions/${id}/revoke`, { token, body, headers });
const get = (id, token = c.admin) => srv.api('GET', `/v1/permissions/${id}`, { token });
/** A fresh member of cooperative A living in muni (default muni1). */
const freshMember = async (muni = c.muni1, coop = c.coopA) => (await apiMember(srv, c.admin, coop, muni)).id;

// ---------------------------------------------------------------------------------------------
test('POST permissions: 201 with every field, hours as trimmed decimal strings, months YYYY-MM, Location, ETag, audit with the municipality', async () => {
	const m = await freshMember();
	const body = permissionBody(c.muni1, {
		decision_reference: 'BESL/2025/0042',
		valid_from: todayNl(-30),
		valid_until: todayNl(60),
		goal: 'social_activation',
		business_hours_per_week: '12.5',
		jobsearch_hours_per_week: '8.000',
		exemption_from: todayNl(-30).slice(0, 7),
		exemption_until: todayNl(-30).slice(0, 7),
	});
	const r = await post(m, body, c.bookkeeperA.token);
	assert.equal(r.status, 201, r.text);
	assertKeys(r.json, KEYS, 'permission');
	assert.match(r.json.id, UUID_RE);
	assert.match(r.json.created_at, RFC3339_UTC);
	assert.equal(r.json.member_id, m);
	assert.equal(r.json.cooperative_id, c.coopA);
	for (const k of ['municipality_code', 'decision_reference', 'valid_from', 'valid_until', 'goal', 'exemption_from', 'exemption_until']) assert.equal(r.json[k], body[k], k);
	assert.equal(r.json.business_hours_per_week, '12.5');
	assert.equal(r.json.jobsearch_hours_per_week, '8');
	assert.equal(r.json.status, 'active');
	for (const k of ['revoked_on', 'revocation_reason', 'renews_permission_id']) assert.equal(r.json[k], null, k);
	assert.equal(r.headers.get('location'), `/v1/permissions/${r.json.id}`);
	assertEtag(r, 1);
	const g = await get(r.json.id, c.auditorA.token);
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, r.json);
	assertEtag(g, 1);
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: r.json.id, action: 'permission.create', actorRole: 'bookkeeper', municipality: c.muni1, otherChain: null });
	// minimal body: hours and exemption null
	const min = await post(await freshMember(), permissionBody(c.muni1));
	assert.equal(min.status, 201, min.text);
	for (const k of ['business_hours_per_week', 'jobsearch_hours_per_week', 'exemption_from', 'exemption_until']) assert.equal(min.json[k], null, k);
	for (const [v, want] of [['0.125', '0.125'], ['40', '40'], ['7.50', '7.5'], ['0', '0']]) {
		const x = await post(await freshMember(), permissionBody(c.muni1, { business_hours_per_week: v }));
		assert.equal(x.status, 201, `${v}: ${x.text}`);
		assert.equal(x.json.business_hours_per_week, want, v);
	}
});

test('status is derived: active today, expired when valid_until lies in the past, revoked once revoked', async () => {
	const m = await freshMember();
	const past = await apiPermission(srv, c.admin, m, c.muni1, { valid_from: '2020-01-01', valid_until: '2020-06-30' });
	assert.equal(past.status, 'expired');
	const yesterday = await apiPermission(srv, c.admin, m, c.muni1, { valid_from: todayNl(-100), valid_until: todayNl(-1) });
	assert.equal(yesterday.status, 'expired');
	const today = await apiPermission(srv, c.admin, m, c.muni1, { valid_from: todayNl(0), valid_until: todayNl(0) });
	assert.equal(today.status, 'active', 'valid_until today is still active');
	const future = await apiPermission(srv, c.admin, m, c.muni1, { valid_from: todayNl(30), valid_until: todayNl(90) });
	assert.equal(future.status, 'active');
	const r = await revoke(future.id, { revoked_on: todayNl(30), reason: 'Gestopt' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'revoked');
	assert.equal((await get(past.id)).json.status, 'expired');
	const list = await listAll(srv, c.admin, perms(m), 50);
	assert.deepEqual(list.map((p) => p.status), ['expired', 'expired', 'active', 'revoked']);
});

test('POST permissions validation: required fields, enums, dates, hours, months, identifiers, unknown and read-only fields', async () => {
	const m = await freshMember();
	const p = (over) => post(m, permissionBody(c.muni1, over));
	for (const k of ['municipality_code', 'decision_reference', 'valid_from', 'valid_until', 'goal']) {
		const b = permissionBody(c.muni1);
		delete b[k];
		assertProblem(await post(m, b), 422, 'validation_failed', { field: k, fieldCode: 'required' });
	}
	assertProblem(await p({ goal: 'employment' }), 422, 'validation_failed', { field: 'goal', fieldCode: 'invalid_value' });
	assertProblem(await p({ valid_from: '2030-02-30' }), 422, 'validation_failed', { field: 'valid_from', fieldCode: 'invalid_value' });
	assertProblem(await p({ valid_from: '2030-06-01', valid_until: '2030-05-31' }), 422, 'validation_failed', { field: 'valid_until', fieldCode: 'invalid_value' });
	for (const bad of ['12.3456', 'abc', '-1', '1,5', '.5', '5.', '']) {
		const r = await p({ business_hours_per_week: bad });
		assertProblem(r, 422, 'validation_failed', { field: 'business_hours_per_week' });
	}
	assertProblem(await p({ jobsearch_hours_per_week: '12.3456' }), 422, 'validation_failed', { field: 'jobsearch_hours_per_week', fieldCode: 'invalid_value' });
	assertProblem(await p({ business_hours_per_week: 12.5 }), 422, 'validation_failed', { field: 'business_hours_per_week', fieldCode: 'invalid_type' });
	assertProblem(await rawJson(srv, 'POST', perms(m), c.admin, JSON.stringify(permissionBody(c.muni1, { business_hours_per_week: '@' })).replace('"@"', '1e2')), 422, 'validation_failed', { field: 'business_hours_per_week', fieldCode: 'invalid_type' });
	assertProblem(await p({ exemption_from: '2030-01' }), 422, 'validation_failed', { field: 'exemption_until', fieldCode: 'required' });
	assertProblem(await p({ exemption_until: '2030-01' }), 422, 'validation_failed', { field: 'exemption_from', fieldCode: 'required' });
	assertProblem(await p({ exemption_from: '2030-13', exemption_until: '2030-13' }), 422, 'validation_failed', { field: 'exemption_from', fieldCode: 'invalid_value' });
	assertProblem(await p({ exemption_from: '2030-1', exemption_until: '2030-02' }), 422, 'validation_failed', { field: 'exemption_from' });
	assertProblem(await p({ exemption_from: '2030-01-01', exemption_until: '2030-02' }), 422, 'validation_failed', { field: 'exemption_from' });
	assertProblem(await p({ exemption_from: '2030-03', exemption_until: '2030-02' }), 422, 'validation_failed', { field: 'exemption_until', fieldCode: 'invalid_value' });
	assertProblem(await p({ municipality_code: INVALID.municipality }), 422, 'validation_failed', { field: 'municipality_code', fieldCode: 'invalid_municipality_code' });
	assertProblem(await p({ renews_permission_id: 'not-an-id' }), 422, 'validation_failed', { field: 'renews_permission_id', fieldCode: 'invalid_value' });
	assertProblem(await p({ decision_reference: '' }), 422, 'validation_failed', { field: 'decision_reference', fieldCode: 'too_short' });
	for (const k of ['status', 'revoked_on', 'revocation_reason', 'member_id', 'cooperative_id', 'id']) {
		const v = k === 'status' ? 'active' : k === 'revoked_on' ? '2030-02-01' : k === 'revocation_reason' ? 'x' : uuid();
		assertProblem(await p({ [k]: v }), 422, 'validation_failed', { field: k, fieldCode: 'unknown_field' });
	}
	assert.deepEqual(await listAll(srv, c.admin, perms(m), 50), [], 'nothing was created');
});

test('the exemption window must lie inside the permission\'s months → else 422 validation_failed', async () => {
	const m = await freshMember();
	const base = { valid_from: '2030-03-15', valid_until: '2030-08-10' };
	for (const [ef, eu] of [['2030-02', '2030-04'], ['2030-08', '2030-09'], ['2029-12', '2030-01'], ['2030-09', '2030-09']]) {
		assertProblem(await post(m, permissionBody(c.muni1, { ...base, exemption_from: ef, exemption_until: eu })), 422, 'validation_failed', { field: 'exemption_from' });
	}
	const edge = await post(m, permissionBody(c.muni1, { ...base, exemption_from: '2030-03', exemption_until: '2030-08' }));
	assert.equal(edge.status, 201, `the permission's first and last month are inside: ${edge.text}`);
	assert.equal(edge.json.exemption_from, '2030-03');
	assert.equal(edge.json.exemption_until, '2030-08');
});

test('permissions of one member never overlap (422 permission_overlap); adjacent ones and other members are fine', async () => {
	const m = await freshMember();
	await apiPermission(srv, c.admin, m, c.muni1, { valid_from: '2030-01-01', valid_until: '2030-06-30' });
	for (const [f, u] of [['2030-06-30', '2030-12-31'], ['2029-12-01', '2030-01-01'], ['2030-02-01', '2030-03-01'], ['2029-07-01', '2030-06-30']]) {
		assertProblem(await post(m, permissionBody(c.muni1, { valid_from: f, valid_until: u })), 422, 'permission_overlap');
	}
	assert.equal((await post(m, permissionBody(c.muni1, { valid_from: '2030-07-01', valid_until: '2030-12-31' }))).status, 201);
	assert.equal((await post(m, permissionBody(c.muni1, { valid_from: '2029-07-01', valid_until: '2029-12-31' }))).status, 201);
	assert.equal((await post(await freshMember(), permissionBody(c.muni1, { valid_from: '2030-01-01', valid_until: '2030-06-30' }))).status, 201);
	assert.equal((await listAll(srv, c.admin, perms(m), 50)).length, 3);
});

test('a revoked permission counts up to revoked_on: the days after it are free', async () => {
	const m = await freshMember();
	const p = await apiPermission(srv, c.admin, m, c.muni1, { valid_from: '2031-01-01', valid_until: '2031-12-31' });
	assert.equal((await revoke(p.id, { revoked_on: '2031-06-30', reason: 'Werk gevonden' })).status, 200);
	assertProblem(await post(m, permissionBody(c.muni1, { valid_from: '2031-06-30', valid_until: '2031-12-31' })), 422, 'permission_overlap');
	assertProblem(await post(m, permissionBody(c.muni1, { valid_from: '2031-03-01', valid_until: '2031-04-30' })), 422, 'permission_overlap');
	const next = await post(m, permissionBody(c.muni1, { valid_from: '2031-07-01', valid_until: '2031-12-31' }));
	assert.equal(next.status, 201, next.text);
});

test('valid_until beyond permission_max_months of the policy in force at valid_from → 422 permission_too_long (default 12; a policy of 6)', async () => {
	// without a policy: 12 months
	const m = await freshMember();
	assertProblem(await post(m, permissionBody(c.muni1, { valid_from: '2030-01-01', valid_until: '2031-01-02' })), 422, 'permission_too_long');
	assertProblem(await post(m, permissionBody(c.muni1, { valid_from: '2030-01-01', valid_until: '2032-01-01' })), 422, 'permission_too_long');
	assert.equal((await post(m, permissionBody(c.muni1, { valid_from: '2030-01-01', valid_until: '2030-12-31' }))).status, 201, 'twelve months');
	// a municipality whose policy allows 6 months from 2029, 24 months from 2033
	const muni = await apiMunicipality(srv, c.admin);
	await apiCreate(srv, c.admin, `/v1/municipalities/${muni}/policies`, { valid_from: '2029-01-01', permission_max_months: 6 });
	await apiCreate(srv, c.admin, `/v1/municipalities/${muni}/policies`, { valid_from: '2033-01-01', permission_max_months: 24 });
	const m6 = await freshMember(muni);
	assertProblem(await post(m6, permissionBody(muni, { valid_from: '2030-01-01', valid_until: '2030-07-02' })), 422, 'permission_too_long');
	assertProblem(await post(m6, permissionBody(muni, { valid_from: '2030-01-01', valid_until: '2030-12-31' })), 422, 'permission_too_long');
	const six = await post(m6, permissionBody(muni, { valid_from: '2030-01-01', valid_until: '2030-06-30' }));
	assert.equal(six.status, 201, `six months: ${six.text}`);
	// before the first policy: the default 12
	assert.equal((await post(m6, permissionBody(muni, { valid_from: '2028-01-01', valid_until: '2028-12-31' }))).status, 201);
	// the policy in force at valid_from counts, not the one at valid_until
	assertProblem(await post(m6, permissionBody(muni, { valid_from: '2032-11-01', valid_until: '2033-12-31' })), 422, 'permission_too_long');
	assert.equal((await post(m6, permissionBody(muni, { valid_from: '2033-01-01', valid_until: '2034-12-31' }))).status, 201, 'the 24-month policy');
});

test('a permission must come from the member\'s current municipality (422 municipality_mismatch), also after a move', async () => {
	const m = await freshMember(c.muni1);
	assertProblem(await post(m, permissionBody(c.muni2)), 422, 'municipality_mismatch');
	assertProblem(await post(m, permissionBody('GM9993')), 422, 'municipality_mismatch');
	assert.equal((await srv.api('PATCH', `/v1/members/${m}`, { token: c.admin, body: { municipality_code: c.muni2 } })).status, 200);
	assertProblem(await post(m, permissionBody(c.muni1, { valid_from: '2032-01-01', valid_until: '2032-06-30' })), 422, 'municipality_mismatch');
	const r = await post(m, permissionBody(c.muni2, { valid_from: '2032-01-01', valid_until: '2032-06-30' }));
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.municipality_code, c.muni2);
});

test('exemption months summed over the member\'s permissions may not exceed the statutory 6 (422 exemption_limit_exceeded)', async () => {
	const m = await freshMember();
	await apiPermission(srv, c.admin, m, c.muni1, { valid_from: '2030-01-01', valid_until: '2030-12-31', exemption_from: '2030-01', exemption_until: '2030-04' });
	assertProblem(await post(m, permissionBody(c.muni1, { valid_from: '2031-01-01', valid_until: '2031-12-31', exemption_from: '2031-01', exemption_until: '2031-03' })), 422, 'exemption_limit_exceeded');
	const ok = await post(m, permissionBody(c.muni1, { valid_from: '2031-01-01', valid_until: '2031-12-31', exemption_from: '2031-05', exemption_until: '2031-06' }));
	assert.equal(ok.status, 201, `4 + 2 = 6 months: ${ok.text}`);
	assertProblem(await post(m, permissionBody(c.muni1, { valid_from: '2032-01-01', valid_until: '2032-12-31', exemption_from: '2032-01', exemption_until: '2032-01' })), 422, 'exemption_limit_exceeded');
	assert.equal((await post(m, permissionBody(c.muni1, { valid_from: '2032-01-01', valid_until: '2032-12-31' }))).status, 201, 'without an exemption');
	// one permission alone with 7 months
	const m2 = await freshMember();
	assertProblem(await post(m2, permissionBody(c.muni1, { valid_from: '2030-01-01', valid_until: '2030-12-31', exemption_from: '2030-01', exemption_until: '2030-07' })), 422, 'exemption_limit_exceeded');
	assert.equal((await post(m2, permissionBody(c.muni1, { valid_from: '2030-01-01', valid_until: '2030-12-31', exemption_from: '2030-01', exemption_until: '2030-06' }))).status, 201);
	// members do not share the limit
	const m3 = await freshMember();
	assert.equal((await post(m3, permissionBody(c.muni1, { valid_from: '2030-01-01', valid_until: '2030-12-31', exemption_from: '2030-02', exemption_until: '2030-07' }))).status, 201);
});

test('POST /v1/permissions/{id}/revoke: 200 revoked, ETag grows, audit; again → 409; outside the permission → 422; validation; stale If-Match → 412', async () => {
	const m = await freshMember();
	const p = await apiPermission(srv, c.admin, m, c.muni1, { valid_from: '2030-01-01', valid_until: '2030-06-30' });
	assertProblem(await revoke(p.id, { revoked_on: '2029-12-31', reason: 'x' }), 422, 'validation_failed', { field: 'revoked_on', fieldCode: 'invalid_value' });
	assertProblem(await revoke(p.id, { revoked_on: '2030-07-01', reason: 'x' }), 422, 'validation_failed', { field: 'revoked_on', fieldCode: 'invalid_value' });
	assertProblem(await revoke(p.id, { revoked_on: '2030-03-01' }), 422, 'validation_failed', { field: 'reason', fieldCode: 'required' });
	assertProblem(await revoke(p.id, { reason: 'x' }), 422, 'validation_failed', { field: 'revoked_on', fieldCode: 'required' });
	assertProblem(await revoke(p.id, { revoked_on: '2030-03-01', reason: '' }), 422, 'validation_failed', { field: 'reason', fieldCode: 'too_short' });
	assertProblem(await revoke(p.id, { revoked_on: '2030-03-01', reason: 'x', status: 'revoked' }), 422, 'validation_failed', { field: 'status', fieldCode: 'unknown_field' });
	assertProblem(await revoke(p.id, { revoked_on: '2030-03-01', reason: 'x' }, c.admin, { 'if-match': '"7"' }), 412, 'precondition_failed');
	assert.equal((await get(p.id)).json.revoked_on, null, 'nothing changed yet');
	const r = await revoke(p.id, { revoked_on: '2030-03-01', reason: 'Fulltime werk' }, c.bookkeeperA.token, { 'if-match': '"1"' });
	assert.equal(r.status, 200, r.text);
	assertKeys(r.json, KEYS, 'permission');
	assert.equal(r.json.status, 'revoked');
	assert.equal(r.json.revoked_on, '2030-03-01');
	assert.equal(r.json.revocation_reason, 'Fulltime werk');
	assertEtag(r, 2);
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: p.id, action: 'permission.revoke', actorRole: 'bookkeeper', municipality: c.muni1 });
	assertProblem(await revoke(p.id, { revoked_on: '2030-04-01', reason: 'again' }), 409, 'conflict');
	assert.equal((await get(p.id)).json.revoked_on, '2030-03-01');
	// the edges are inside
	const e1 = await apiPermission(srv, c.admin, m, c.muni1, { valid_from: '2031-01-01', valid_until: '2031-01-31' });
	assert.equal((await revoke(e1.id, { revoked_on: '2031-01-01', reason: 'first day' })).status, 200);
	const e2 = await apiPermission(srv, c.admin, m, c.muni1, { valid_from: '2031-02-01', valid_until: '2031-02-28' });
	assert.equal((await revoke(e2.id, { revoked_on: '2031-02-28', reason: 'last day' })).status, 200);
});

test('revoke: roles and scope (auditor/member/municipality → 403; another cooperative → 404; unknown → 404)', async () => {
	const mB = (await apiMember(srv, c.admin, c.coopB, c.muni2)).id;
	const pB = await apiPermission(srv, c.admin, mB, c.muni2);
	const pA = await apiPermission(srv, c.admin, await freshMember(), c.muni1);
	for (const role of ['auditor', 'member', 'municipality']) assertProblem(await revoke(pA.id, { revoked_on: pA.valid_from, reason: 'x' }, c.tokens[role]), 403, 'forbidden');
	for (const role of ['coop_admin', 'bookkeeper']) assertProblem(await revoke(pB.id, { revoked_on: pB.valid_from, reason: 'x' }, c.tokens[role]), 404, 'not_found');
	assertProblem(await revoke(uuid(), { revoked_on: '2030-01-01', reason: 'x' }), 404, 'not_found');
	assert.equal((await revoke(pB.id, { revoked_on: pB.valid_from, reason: 'x' }, c.bookkeeperB.token)).status, 200);
	assert.equal((await revoke(pA.id, { revoked_on: pA.valid_from, reason: 'x' }, c.coopAdminA.token)).status, 200);
});

test('renews_permission_id: a permission of the same member is stored; another member\'s or an unknown one → 422 invalid_reference', async () => {
	const m = await freshMember();
	const first = await apiPermission(srv, c.admin, m, c.muni1, { valid_from: '2030-01-01', valid_until: '2030-06-30' });
	const r = await post(m, permissionBody(c.muni1, { valid_from: '2030-07-01', valid_until: '2030-12-31', renews_permission_id: first.id }));
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.renews_permission_id, first.id);
	const other = await apiPermission(srv, c.admin, await freshMember(), c.muni1);
	const bad = assertProblem(await post(m, permissionBody(c.muni1, { valid_from: '2031-01-01', valid_until: '2031-06-30', renews_permission_id: other.id })), 422, 'invalid_reference', { field: 'renews_permission_id', fieldCode: 'invalid_reference' });
	assert.ok(bad.errors.every((e) => e.code === 'invalid_reference'));
	const mB = (await apiMember(srv, c.admin, c.coopB, c.muni2)).id;
	const pB = await apiPermission(srv, c.admin, mB, c.muni2);
	assertProblem(await post(m, permissionBody(c.muni1, { valid_from: '2031-01-01', valid_until: '2031-06-30', renews_permission_id: pB.id })), 422, 'invalid_reference', { field: 'renews_permission_id', fieldCode: 'invalid_reference' });
	assertProblem(await post(m, permissionBody(c.muni1, { valid_from: '2031-01-01', valid_until: '2031-06-30', renews_permission_id: uuid() })), 422, 'invalid_reference', { field: 'renews_permission_id', fieldCode: 'invalid_reference' });
	assert.equal((await post(m, permissionBody(c.muni1, { valid_from: '2031-01-01', valid_until: '2031-06-30', renews_permission_id: null }))).status, 201);
});

test('POST permissions: roles and scope (auditor/member/municipality → 403; a member of another cooperative → 404; unknown member → 404)', async () => {
	const mA = await freshMember();
	for (const role of ['auditor', 'member', 'municipality']) assertProblem(await post(mA, permissionBody(c.muni1), c.tokens[role]), 403, 'forbidden');
	assertProblem(await post(c.memberA, permissionBody(c.muni1), c.memberUserA.token), 403, 'forbidden');
	for (const role of ['coop_admin', 'bookkeeper']) assertProblem(await post(c.memberB, permissionBody(c.muni2), c.tokens[role]), 404, 'not_found');
	assertProblem(await post(uuid(), permissionBody(c.muni1)), 404, 'not_found');
	assert.equal((await post(mA, permissionBody(c.muni1), c.coopAdminA.token)).status, 201);
});

test('reading permissions: coop roles of the cooperative; the member its own only (another member → 404); municipality → 403', async () => {
	const pA = await apiPermission(srv, c.admin, c.memberA, c.muni1, { valid_from: '2040-01-01', valid_until: '2040-06-30' });
	const pA2 = await apiPermission(srv, c.admin, c.memberA2, c.muni1, { valid_from: '2040-01-01', valid_until: '2040-06-30' });
	const pB = await apiPermission(srv, c.admin, c.memberB, c.muni2, { valid_from: '2040-01-01', valid_until: '2040-06-30' });
	for (const role of ['platform_admin', 'coop_admin', 'bookkeeper', 'auditor', 'member']) {
		const r = await get(pA.id, c.tokens[role]);
		assert.equal(r.status, 200, `${role}: ${r.text}`);
		assertEtag(r);
		const l = await srv.api('GET', perms(c.memberA), { token: c.tokens[role] });
		assert.equal(l.status, 200, role);
		assert.ok(l.json.data.some((x) => x.id === pA.id));
		if (role === 'platform_admin') continue;
		assertProblem(await get(pB.id, c.tokens[role]), 404, 'not_found');
		assertProblem(await srv.api('GET', perms(c.memberB), { token: c.tokens[role] }), 404, 'not_found');
	}
	assertProblem(await get(pA2.id, c.memberUserA.token), 404, 'not_found');
	assertProblem(await srv.api('GET', perms(c.memberA2), { token: c.memberUserA.token }), 404, 'not_found');
	assert.equal((await get(pA2.id, c.bookkeeperA.token)).status, 200);
	assertProblem(await get(pA.id, c.municipalityUser.token), 403, 'forbidden');
	assertProblem(await srv.api('GET', perms(c.memberA), { token: c.municipalityUser.token }), 403, 'forbidden');
	assertProblem(await get(uuid()), 404, 'not_found');
	assertProblem(await srv.api('GET', perms(uuid()), { token: c.admin }), 404, 'not_found');
});

test('GET permissions lists by valid_from (not creation order)', async () => {
	const m = await freshMember();
	const dates = [['2032-01-01', '2032-06-30'], ['2030-01-01', '2030-06-30'], ['2031-01-01', '2031-06-30']];
	for (const [f, u] of dates) await apiPermission(srv, c.admin, m, c.muni1, { valid_from: f, valid_until: u });
	const r = await srv.api('GET', `${perms(m)}?limit=200`, { token: c.admin });
	assert.deepEqual(r.json.data.map((x) => x.valid_from), ['2030-01-01', '2031-01-01', '2032-01-01']);
	for (const x of r.json.data) assertKeys(x, KEYS, 'permission');
});

test('GET permissions in pages (limit 1) follows the valid_from order, each permission once', async () => {
	const m = await freshMember();
	for (const [f, u] of [['2032-01-01', '2032-06-30'], ['2030-01-01', '2030-06-30'], ['2031-01-01', '2031-06-30']]) await apiPermission(srv, c.admin, m, c.muni1, { valid_from: f, valid_until: u });
	const paged = await listAll(srv, c.admin, perms(m), 1);
	assert.deepEqual(paged.map((x) => x.valid_from), ['2030-01-01', '2031-01-01', '2032-01-01']);
});

test('POST permissions with an Idempotency-Key replays the 201 and creates one permission', async () => {
	const m = await freshMember();
	const count = async () => Number((await env.sql(`select count(*) as n from permissions where member_id = '${m}'`))[0].n);
	await assertIdempotentCreate(srv, c.bookkeeperA.token, perms(m), permissionBody(c.muni1), count);
});

test('concurrency: two overlapping permissions for one member sent at once → exactly one 201, the other 422 permission_overlap', async () => {
	for (let round = 0; round < 6; round++) {
		const m = await freshMember();
		const [a, b] = await Promise.all([
			post(m, permissionBody(c.muni1, { valid_from: '2030-01-01', valid_until: '2030-06-30' }), c.bookkeeperA.token),
			post(m, permissionBody(c.muni1, { valid_from: '2030-03-01', valid_until: '2030-08-31' }), c.coopAdminA.token),
		]);
		const statuses = [a.status, b.status].sort();
		assert.deepEqual(statuses, [201, 422], `round ${round}: ${a.status} ${a.text} / ${b.status} ${b.text}`);
		assertProblem(a.status === 422 ? a : b, 422, 'permission_overlap');
		assert.equal((await listAll(srv, c.admin, perms(m), 50)).length, 1);
	}
});

test('concurrency: two exemption windows that together exceed 6 months, sent at once → exactly one 201', async () => {
	for (let round = 0; round < 4; round++) {
		const m = await freshMember();
		const [a, b] = await Promise.all([
			post(m, permissionBody(c.muni1, { valid_from: '2030-01-01', valid_until: '2030-06-30', exemption_from: '2030-01', exemption_until: '2030-04' })),
			post(m, permissionBody(c.muni1, { valid_from: '2031-01-01', valid_until: '2031-06-30', exemption_from: '2031-01', exemption_until: '2031-04' }), c.bookkeeperA.token),
		]);
		assert.deepEqual([a.status, b.status].sort(), [201, 422], `round ${round}: ${a.text} / ${b.text}`);
		assertProblem(a.status === 422 ? a : b, 422, 'exemption_limit_exceeded');
	}
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
