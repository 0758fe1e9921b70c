// Municipalities and their dated policies: create/read/update, CBS code validation, scope of the
// municipality role (own code only; another → 404), roles (403), policy defaults and rules,
// ordering by valid_from, single GET + Location, ETag/If-Match, idempotent replay, audit events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, coreCast, assertProblem, assertEtag, assertKeys, assertAudited, assertIdempotentCreate, apiMunicipality,
	listAll, muniCode, rawJson, uuid, hex, RFC3339_UTC, UUID_RE, INVALID,
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

const POLICY_KEYS = ['id', 'municipality_code', 'valid_from', 'income_basis', 'cost_mode', 'flat_rate_bp', 'fee_deductible', 'tax_reservation_bp', 'max_single_expense_cents', 'permission_max_months', 'created_at'];
const count = (table, where = 'true') => async () => Number((await env.sql(`select count(*) as n from ${table} where ${where}`))[0].n);
const policies = (code) => `/v1/municipalities/${code}/policies`;
/** A CBS code not in use yet. */
async function freeCode() {
	for (;;) {
		const code = muniCode();
		if ((await srv.api('GET', `/v1/municipalities/${code}`, { token: c.admin })).status === 404) return code;
	}
}

// ---------------------------------------------------------------------------------------------
// Municipalities.
test('POST /v1/municipalities (platform_admin): 201 {code, name}, Location, ETag, audit event in the platform chain', async () => {
	const code = await freeCode();
	const r = await srv.api('POST', '/v1/municipalities', { token: c.admin, body: { code, name: 'Utrecht' } });
	assert.equal(r.status, 201, r.text);
	assert.deepEqual(r.json, { code, name: 'Utrecht' });
	assert.equal(r.headers.get('location'), `/v1/municipalities/${code}`);
	assertEtag(r, 1);
	await assertAudited(srv, c.admin, { chain: null, objectId: code, action: 'municipality.create', actorRole: 'platform_admin', municipality: code });
	const g = await srv.api('GET', r.headers.get('location'), { token: c.admin });
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, { code, name: 'Utrecht' });
});

test('POST /v1/municipalities with an existing code → 409 already_exists', async () => {
	assertProblem(await srv.api('POST', '/v1/municipalities', { token: c.admin, body: { code: c.muni1, name: 'Again' } }), 409, 'already_exists');
});

test('POST /v1/municipalities validation: GM363 and other bad codes → invalid_municipality_code; required; unknown field; name too long', async () => {
	for (const bad of [INVALID.municipality, 'GM03630', 'gm0363', '0363', 'XX0363']) {
		const r = await srv.api('POST', '/v1/municipalities', { token: c.admin, body: { code: bad, name: 'X' } });
		assertProblem(r, 422, 'validation_failed', { field: 'code', fieldCode: 'invalid_municipality_code' });
	}
	assertProblem(await srv.api('POST', '/v1/municipalities', { token: c.admin, body: { name: 'X' } }), 422, 'validation_failed', { field: 'code', fieldCode: 'required' });
	assertProblem(await srv.api('POST', '/v1/municipalities', { token: c.admin, body: { code: muniCode() } }), 422, 'validation_failed', { field: 'name', fieldCode: 'required' });
	assertProblem(await srv.api('POST', '/v1/municipalities', { token: c.admin, body: { code: muniCode(), name: '' } }), 422, 'validation_failed', { field: 'name', fieldCode: 'too_short' });
	assertProblem(await srv.api('POST', '/v1/municipalities', { token: c.admin, body: { code: muniCode(), name: 'x'.repeat(201) } }), 422, 'validation_failed', { field: 'name', fieldCode: 'too_long' });
	assertProblem(await srv.api('POST', '/v1/municipalities', { token: c.admin, body: { code: muniCode(), name: 'X', province: 'UT' } }), 422, 'validation_failed', { field: 'province', fieldCode: 'unknown_field' });
	assertProblem(await srv.api('POST', '/v1/municipalities', { token: c.admin, body: { code: 363, name: 'X' } }), 422, 'validation_failed', { field: 'code', fieldCode: 'invalid_type' });
});

test('POST /v1/municipalities is for platform_admin only (403 for every other role)', async () => {
	for (const role of ['coop_admin', 'bookkeeper', 'auditor', 'member', 'municipality']) {
		assertProblem(await srv.api('POST', '/v1/municipalities', { token: c.tokens[role], body: { code: muniCode(), name: 'X' } }), 403, 'forbidden');
	}
});

test('POST /v1/municipalities with an Idempotency-Key replays the 201', async () => {
	await assertIdempotentCreate(srv, c.admin, '/v1/municipalities', { code: await freeCode(), name: 'Idem' }, count('municipalities'));
});

test('GET /v1/municipalities lists {code, name} for platform_admin and coop roles, paginated in creation order', async () => {
	const made = [];
	for (let i = 0; i < 3; i++) made.push(await apiMunicipality(srv, c.admin));
	for (const role of ['platform_admin', 'coop_admin', 'bookkeeper', 'auditor']) {
		const all = await listAll(srv, c.tokens[role], '/v1/municipalities', 2);
		for (const m of all) assertKeys(m, ['code', 'name'], 'municipality');
		const codes = all.map((m) => m.code);
		for (const code of [c.muni1, c.muni2, ...made]) assert.ok(codes.includes(code), `${role} sees ${code}`);
		assert.deepEqual(codes.slice(codes.indexOf(made[0]), codes.indexOf(made[0]) + 3), made, 'creation order');
		assert.equal(new Set(codes).size, codes.length);
	}
	for (const role of ['member', 'municipality']) assertProblem(await srv.api('GET', '/v1/municipalities', { token: c.tokens[role] }), 403, 'forbidden');
	assertProblem(await srv.api('GET', '/v1/municipalities?limit=0', { token: c.admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', '/v1/municipalities?after=garbage', { token: c.admin }), 400, 'invalid_parameter');
});

test('GET /v1/municipalities/{code}: 200 + ETag for readers; a municipality sees its own code only (other → 404); member → 403', async () => {
	for (const role of ['platform_admin', 'coop_admin', 'bookkeeper', 'auditor']) {
		for (const code of [c.muni1, c.muni2]) {
			const r = await srv.api('GET', `/v1/municipalities/${code}`, { token: c.tokens[role] });
			assert.equal(r.status, 200, `${role} ${code}: ${r.text}`);
			assert.equal(r.json.code, code);
			assertEtag(r);
		}
	}
	const own = await srv.api('GET', `/v1/municipalities/${c.muni1}`, { token: c.municipalityUser.token });
	assert.equal(own.status, 200);
	assert.deepEqual(own.json, { code: c.muni1, name: 'Gemeente Een' });
	assertProblem(await srv.api('GET', `/v1/municipalities/${c.muni2}`, { token: c.municipalityUser.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/municipalities/${c.muni1}`, { token: c.municipalityUser2.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/municipalities/${c.muni1}`, { token: c.memberUserA.token }), 403, 'forbidden');
	assertProblem(await srv.api('GET', '/v1/municipalities/GM9999', { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', '/v1/municipalities/GM363', { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/municipalities/${c.muni1}`, {}), 401, 'unauthorized');
});

test('PATCH /v1/municipalities/{code} (platform_admin) renames; ETag grows; stale If-Match → 412; audit municipality.update', async () => {
	const code = await apiMunicipality(srv, c.admin, undefined, 'Oudnaam');
	const g = await srv.api('GET', `/v1/municipalities/${code}`, { token: c.admin });
	const v = assertEtag(g);
	const r = await srv.api('PATCH', `/v1/municipalities/${code}`, { token: c.admin, body: { name: 'Nieuwnaam' }, headers: { 'if-match': `"${v}"` } });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { code, name: 'Nieuwnaam' });
	assertEtag(r, v + 1);
	assertProblem(await srv.api('PATCH', `/v1/municipalities/${code}`, { token: c.admin, body: { name: 'Stale' }, headers: { 'if-match': `"${v}"` } }), 412, 'precondition_failed');
	const star = await srv.api('PATCH', `/v1/municipalities/${code}`, { token: c.admin, body: { name: 'Ster' }, headers: { 'if-match': '*' } });
	assert.equal(star.status, 200, star.text);
	assert.equal((await srv.api('GET', `/v1/municipalities/${code}`, { token: c.admin })).json.name, 'Ster');
	const events = await listAll(srv, c.admin, `/v1/audit-events?object_id=${code}&action=municipality.update`, 200);
	assert.equal(events.length, 2);
	assert.equal(events[0].municipality_code, code);
	assert.equal(events[0].cooperative_id, null);
});

test('PATCH /v1/municipalities/{code}: validation (required name, unknown field code), unknown code → 404, non-admins → 403', async () => {
	assertProblem(await srv.api('PATCH', `/v1/municipalities/${c.muni2}`, { token: c.admin, body: {} }), 422, 'validation_failed', { field: 'name', fieldCode: 'required' });
	assertProblem(await srv.api('PATCH', `/v1/municipalities/${c.muni2}`, { token: c.admin, body: { name: 'X', code: 'GM0001' } }), 422, 'validation_failed', { field: 'code', fieldCode: 'unknown_field' });
	assertProblem(await srv.api('PATCH', '/v1/municipalities/GM9998', { token: c.admin, body: { name: 'X' } }), 404, 'not_found');
	for (const role of ['coop_admin', 'bookkeeper', 'auditor', 'member', 'municipality']) {
		assertProblem(await srv.api('PATCH', `/v1/municipalities/${c.muni1}`, { token: c.tokens[role], body: { name: 'X' } }), 403, 'forbidden');
	}
});

// ---------------------------------------------------------------------------------------------
// Policies.
test('POST policies with only valid_from: 201 with the defaults, Location to the single GET (ETag "1"), audit policy.create', async () => {
	const code = await apiMunicipality(srv, c.admin);
	const r = await srv.api('POST', policies(code), { token: c.admin, body: { valid_from: '2025-01-01' } });
	assert.equal(r.status, 201, r.text);
	assertKeys(r.json, POLICY_KEYS, 'policy');
	assert.match(r.json.id, UUID_RE);
	assert.match(r.json.created_at, RFC3339_UTC);
	const { id, created_at: _, ...rest } = r.json;
	assert.deepEqual(rest, {
		municipality_code: code,
		valid_from: '2025-01-01',
		income_basis: 'work_period',
		cost_mode: 'none',
		flat_rate_bp: null,
		fee_deductible: false,
		tax_reservation_bp: 0,
		max_single_expense_cents: null,
		permission_max_months: 12,
	});
	assert.equal(r.headers.get('location'), `/v1/municipalities/${code}/policies/${id}`);
	const g = await srv.api('GET', r.headers.get('location'), { token: c.admin });
	assert.equal(g.status, 200, g.text);
	assert.deepEqual(g.json, r.json);
	assertEtag(g, 1);
	await assertAudited(srv, c.admin, { chain: null, objectId: id, action: 'policy.create', actorRole: 'platform_admin', municipality: code });
});

test('POST policies with every field: values stored as given (flat_rate with flat_rate_bp)', async () => {
	const code = await apiMunicipality(srv, c.admin);
	const body = {
		valid_from: '2026-01-01',
		income_basis: 'payment_date',
		cost_mode: 'flat_rate',
		flat_rate_bp: 1500,
		fee_deductible: true,
		tax_reservation_bp: 2000,
		max_single_expense_cents: 50000,
		permission_max_months: 6,
	};
	const r = await srv.api('POST', policies(code), { token: c.admin, body });
	assert.equal(r.status, 201, r.text);
	for (const [k, v] of Object.entries(body)) assert.deepEqual(r.json[k], v, k);
	for (const basis of ['work_period', 'invoice_date']) {
		const x = await srv.api('POST', policies(code), { token: c.admin, body: { valid_from: basis === 'work_period' ? '2027-01-01' : '2028-01-01', income_basis: basis, cost_mode: 'approved_costs' } });
		assert.equal(x.status, 201, x.text);
		assert.equal(x.json.income_basis, basis);
		assert.equal(x.json.cost_mode, 'approved_costs');
		assert.equal(x.json.flat_rate_bp, null);
	}
});

test('POST policies: the same valid_from again → 409 already_exists; another municipality may use it', async () => {
	const code = await apiMunicipality(srv, c.admin);
	assert.equal((await srv.api('POST', policies(code), { token: c.admin, body: { valid_from: '2025-07-01' } })).status, 201);
	assertProblem(await srv.api('POST', policies(code), { token: c.admin, body: { valid_from: '2025-07-01', cost_mode: 'approved_costs' } }), 409, 'already_exists');
	const other = await apiMunicipality(srv, c.admin);
	assert.equal((await srv.api('POST', policies(other), { token: c.admin, body: { valid_from: '2025-07-01' } })).status, 201);
});

test('POST policies validation: flat_rate_bp iff flat_rate, ranges, enums, reals in money, unknown fields', async () => {
	const p = policies(c.muni2);
	const post = (body) => srv.api('POST', p, { token: c.admin, body });
	assertProblem(await post({}), 422, 'validation_failed', { field: 'valid_from', fieldCode: 'required' });
	assertProblem(await post({ valid_from: '2025-02-30' }), 422, 'validation_failed', { field: 'valid_from', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '01-01-2025' }), 422, 'validation_failed', { field: 'valid_from', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2031-01-01', cost_mode: 'flat_rate' }), 422, 'validation_failed', { field: 'flat_rate_bp', fieldCode: 'required' });
	assertProblem(await post({ valid_from: '2031-01-01', cost_mode: 'flat_rate', flat_rate_bp: null }), 422, 'validation_failed', { field: 'flat_rate_bp', fieldCode: 'required' });
	assertProblem(await post({ valid_from: '2031-01-01', flat_rate_bp: 1000 }), 422, 'validation_failed', { field: 'flat_rate_bp', fieldCode: 'invalid_value' });
	// 0 is a rate: with another mode it is refused, not stored as meaningless; null is absent
	assertProblem(await post({ valid_from: '2031-01-01', cost_mode: 'approved_costs', flat_rate_bp: 0 }), 422, 'validation_failed', { field: 'flat_rate_bp', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2031-01-01', cost_mode: 'approved_costs', flat_rate_bp: 1000 }), 422, 'validation_failed', { field: 'flat_rate_bp', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2031-01-01', cost_mode: 'flat_rate', flat_rate_bp: 10001 }), 422, 'validation_failed', { field: 'flat_rate_bp', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2031-01-01', cost_mode: 'flat_rate', flat_rate_bp: 12.5 }), 422, 'validation_failed', { field: 'flat_rate_bp', fieldCode: 'invalid_type' });
	assertProblem(await post({ valid_from: '2031-01-01', income_basis: 'cash' }), 422, 'validation_failed', { field: 'income_basis', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2031-01-01', cost_mode: 'all' }), 422, 'validation_failed', { field: 'cost_mode', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2031-01-01', fee_deductible: 'yes' }), 422, 'validation_failed', { field: 'fee_deductible', fieldCode: 'invalid_type' });
	assertProblem(await post({ valid_from: '2031-01-01', tax_reservation_bp: -1 }), 422, 'validation_failed', { field: 'tax_reservation_bp', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2031-01-01', tax_reservation_bp: 10001 }), 422, 'validation_failed', { field: 'tax_reservation_bp', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2031-01-01', permission_max_months: 0 }), 422, 'validation_failed', { field: 'permission_max_months', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2031-01-01', permission_max_months: 61 }), 422, 'validation_failed', { field: 'permission_max_months', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2031-01-01', max_single_expense_cents: 12.5 }), 422, 'validation_failed', { field: 'max_single_expense_cents', fieldCode: 'invalid_type' });
	assertProblem(await post({ valid_from: '2031-01-01', max_single_expense_cents: '100' }), 422, 'validation_failed', { field: 'max_single_expense_cents', fieldCode: 'invalid_type' });
	assertProblem(await rawJson(srv, 'POST', p, c.admin, '{"valid_from":"2031-01-01","max_single_expense_cents":1e2}'), 422, 'validation_failed', { field: 'max_single_expense_cents', fieldCode: 'invalid_type' });
	assertProblem(await rawJson(srv, 'POST', p, c.admin, '{"valid_from":"2031-01-01","max_single_expense_cents":100.0}'), 422, 'validation_failed', { field: 'max_single_expense_cents', fieldCode: 'invalid_type' });
	assertProblem(await post({ valid_from: '2031-01-01', municipality_code: c.muni1 }), 422, 'validation_failed', { field: 'municipality_code', fieldCode: 'unknown_field' });
	assertProblem(await post({ valid_from: '2031-01-01', id: uuid() }), 422, 'validation_failed', { field: 'id', fieldCode: 'unknown_field' });
	// none of these created a 2031 policy
	const all = await listAll(srv, c.admin, p, 200);
	assert.ok(!all.some((x) => x.valid_from === '2031-01-01'), JSON.stringify(all));
	// null max_single_expense_cents is allowed (no limit)
	const ok = await post({ valid_from: '2031-01-01', max_single_expense_cents: null });
	assert.equal(ok.status, 201, ok.text);
	assert.equal(ok.json.max_single_expense_cents, null);
});

test('policies of an unknown municipality → 404 (list, create, single)', async () => {
	assertProblem(await srv.api('GET', policies('GM9997'), { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('POST', policies('GM9997'), { token: c.admin, body: { valid_from: '2025-01-01' } }), 404, 'not_found');
	assertProblem(await srv.api('GET', `${policies(c.muni1)}/${uuid()}`, { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', `${policies(c.muni1)}/not-a-uuid`, { token: c.admin }), 404, 'not_found');
});

test('GET policies lists by valid_from (not creation order); readers are platform_admin, coop roles and the own municipality', async () => {
	const code = await apiMunicipality(srv, c.admin);
	const dates = ['2027-01-01', '2025-01-01', '2026-07-01', '2026-01-01'];
	const made = {};
	for (const d of dates) made[d] = (await srv.api('POST', policies(code), { token: c.admin, body: { valid_from: d } })).json.id;
	for (const role of ['platform_admin', 'coop_admin', 'bookkeeper', 'auditor']) {
		const r = await srv.api('GET', `${policies(code)}?limit=200`, { token: c.tokens[role] });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.next_cursor, null);
		assert.deepEqual(r.json.data.map((x) => x.valid_from), [...dates].sort(), role);
		for (const x of r.json.data) assertKeys(x, POLICY_KEYS, 'policy');
		assert.deepEqual(r.json.data.map((x) => x.id), [...dates].sort().map((d) => made[d]));
	}
	assertProblem(await srv.api('GET', policies(code), { token: c.memberUserA.token }), 403, 'forbidden');
	assertProblem(await srv.api('GET', policies(code), { token: c.municipalityUser.token }), 404, 'not_found');
});

test('GET policies in pages (limit 1..3) gives the same valid_from order, each policy once', async () => {
	const code = await apiMunicipality(srv, c.admin);
	const dates = ['2027-01-01', '2025-01-01', '2026-07-01', '2026-01-01', '2024-01-01'];
	for (const d of dates) assert.equal((await srv.api('POST', policies(code), { token: c.admin, body: { valid_from: d } })).status, 201);
	for (const limit of [1, 2, 3]) {
		const all = await listAll(srv, c.admin, policies(code), limit);
		assert.deepEqual(all.map((x) => x.valid_from), [...dates].sort(), `limit=${limit}`);
	}
});

test('the municipality role adds and reads its own policies; another municipality → 404; a policy read through another code → 404', async () => {
	const mine = await srv.api('POST', policies(c.muni1), { token: c.municipalityUser.token, body: { valid_from: '2024-01-01', cost_mode: 'approved_costs' } });
	assert.equal(mine.status, 201, mine.text);
	assert.equal(mine.json.municipality_code, c.muni1);
	await assertAudited(srv, c.admin, { chain: null, objectId: mine.json.id, action: 'policy.create', actorRole: 'municipality', municipality: c.muni1 });
	const list = await listAll(srv, c.municipalityUser.token, policies(c.muni1), 50);
	assert.ok(list.some((x) => x.id === mine.json.id));
	const one = await srv.api('GET', `${policies(c.muni1)}/${mine.json.id}`, { token: c.municipalityUser.token });
	assert.equal(one.status, 200);
	assertEtag(one, 1);
	// the other municipality
	assertProblem(await srv.api('POST', policies(c.muni2), { token: c.municipalityUser.token, body: { valid_from: '2024-01-01' } }), 404, 'not_found');
	assertProblem(await srv.api('GET', policies(c.muni1), { token: c.municipalityUser2.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `${policies(c.muni1)}/${mine.json.id}`, { token: c.municipalityUser2.token }), 404, 'not_found');
	// the right id under the wrong municipality
	assertProblem(await srv.api('GET', `${policies(c.muni2)}/${mine.json.id}`, { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', `${policies(c.muni2)}/${mine.json.id}`, { token: c.municipalityUser2.token }), 404, 'not_found');
	// coop roles and members may not write policies
	for (const role of ['coop_admin', 'bookkeeper', 'auditor', 'member']) {
		assertProblem(await srv.api('POST', policies(c.muni1), { token: c.tokens[role], body: { valid_from: '2024-02-01' } }), 403, 'forbidden');
	}
	assertProblem(await srv.api('GET', `${policies(c.muni1)}/${mine.json.id}`, { token: c.memberUserA.token }), 403, 'forbidden');
});

test('POST policies with an Idempotency-Key replays the 201 and creates one policy', async () => {
	const code = await apiMunicipality(srv, c.admin);
	await assertIdempotentCreate(srv, c.admin, policies(code), { valid_from: '2025-01-01', tax_reservation_bp: 100 }, count('municipal_policies', `municipality_code = '${code}'`));
	const reused = await srv.api('POST', policies(code), { token: c.admin, body: { valid_from: '2025-02-01' }, headers: { 'idempotency-key': `k-${hex(4)}` } });
	assert.equal(reused.status, 201);
	const again = await srv.api('POST', policies(code), { token: c.admin, body: { valid_from: '2025-03-01' }, headers: { 'idempotency-key': 'same-key-other-body' } });
	assert.equal(again.status, 201);
	assertProblem(await srv.api('POST', policies(code), { token: c.admin, body: { valid_from: '2025-04-01' }, headers: { 'idempotency-key': 'same-key-other-body' } }), 422, 'idempotency_key_reused');
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
