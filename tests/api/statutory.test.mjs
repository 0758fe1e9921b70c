// Statutory parameters: the three seeded versions with the figures of RULES.md §3, readable by
// every role; platform_admin adds versions (also the 2027 "in balans" fields); validation,
// duplicates, single GET + Location, idempotent replay, ordering by valid_from, audit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, coreCast, assertProblem, assertEtag, assertKeys, assertAudited, assertIdempotentCreate, listAll, rawJson,
	uuid, RFC3339_UTC, UUID_RE,
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

const ROLES = ['platform_admin', 'coop_admin', 'bookkeeper', 'auditor', 'member', 'municipality'];
const KEYS = ['id', 'valid_from', 'exemption_bp', 'exemption_monthly_cap_cents', 'exemption_max_months', 'exemption_min_age', 'premium_year_cap_cents', 'premium_max_count', 'hours_criterion', 'norm_single_cents', 'norm_couple_cents', 'additional_exemption_bp', 'additional_exemption_max_months', 'buffer_budget_year_cents', 'source', 'created_at'];
const P = '/v1/statutory-parameters';

// RULES.md §3, to the cent.
const SEEDED = [
	{ valid_from: '2025-01-01', exemption_monthly_cap_cents: 27300, premium_year_cap_cents: 326300, norm_single_cents: 134545, norm_couple_cents: 192207 },
	{ valid_from: '2025-07-01', exemption_monthly_cap_cents: 27800, premium_year_cap_cents: 332600, norm_single_cents: 136906, norm_couple_cents: 195580 },
	{ valid_from: '2026-01-01', exemption_monthly_cap_cents: 28500, premium_year_cap_cents: 339800, norm_single_cents: 140150, norm_couple_cents: 200213 },
].map((v) => ({
	...v,
	exemption_bp: 2500,
	exemption_max_months: 6,
	exemption_min_age: 27,
	premium_max_count: 2,
	hours_criterion: 1225,
	additional_exemption_bp: null,
	additional_exemption_max_months: null,
	buffer_budget_year_cents: null,
}));

const full = (over = {}) => ({
	valid_from: '2027-01-01',
	exemption_bp: 2500,
	exemption_monthly_cap_cents: 29000,
	exemption_max_months: 6,
	exemption_min_age: 27,
	premium_year_cap_cents: 345000,
	premium_max_count: 2,
	hours_criterion: 1225,
	...over,
});

async function seeded(token) {
	const r = await srv.api('GET', `${P}?limit=200`, { token });
	assert.equal(r.status, 200, r.text);
	return r.json.data.filter((x) => SEEDED.some((s) => s.valid_from === x.valid_from));
}

test('the three seeded versions carry the RULES.md §3 figures exactly, for every role', async () => {
	for (const role of ROLES) {
		const got = await seeded(c.tokens[role]);
		assert.equal(got.length, 3, `${role}: ${JSON.stringify(got)}`);
		got.forEach((g, i) => {
			assertKeys(g, KEYS, 'statutory parameters');
			assert.match(g.id, UUID_RE);
			assert.match(g.created_at, RFC3339_UTC);
			for (const [k, v] of Object.entries(SEEDED[i])) assert.deepEqual(g[k], v, `${role} ${g.valid_from} ${k}`);
			assert.equal(typeof g.source, 'string');
		});
	}
});

test('GET /v1/statutory-parameters/{id}: every role, ETag "1"; unknown or malformed id → 404; no token → 401', async () => {
	const list = await seeded(c.admin);
	for (const role of ROLES) {
		for (const v of list) {
			const r = await srv.api('GET', `${P}/${v.id}`, { token: c.tokens[role] });
			assert.equal(r.status, 200, r.text);
			assert.deepEqual(r.json, v);
			assertEtag(r, 1);
		}
	}
	assertProblem(await srv.api('GET', `${P}/${uuid()}`, { token: c.memberUserA.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `${P}/2025-01-01`, { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', P, {}), 401, 'unauthorized');
	assertProblem(await srv.api('GET', `${P}/${list[0].id}`, {}), 401, 'unauthorized');
});

test('POST (platform_admin) → 201 with Location to the single GET, optional fields null, audit in the platform chain', async () => {
	const r = await srv.api('POST', P, { token: c.admin, body: full() });
	assert.equal(r.status, 201, r.text);
	assertKeys(r.json, KEYS, 'statutory parameters');
	for (const [k, v] of Object.entries(full())) assert.deepEqual(r.json[k], v, k);
	for (const k of ['norm_single_cents', 'norm_couple_cents', 'additional_exemption_bp', 'additional_exemption_max_months', 'buffer_budget_year_cents', 'source']) assert.equal(r.json[k], null, k);
	assert.equal(r.headers.get('location'), `${P}/${r.json.id}`);
	assertEtag(r, 1);
	const g = await srv.api('GET', r.headers.get('location'), { token: c.municipalityUser.token });
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, r.json);
	await assertAudited(srv, c.admin, { chain: null, objectId: r.json.id, action: 'statutory_parameters.create', actorRole: 'platform_admin' });
});

test('POST expresses the 2027 "Participatiewet in balans" rules without code changes: uncapped exemption, art. 34a and 34b fields', async () => {
	const body = full({
		valid_from: '2028-01-01',
		exemption_monthly_cap_cents: null,
		additional_exemption_bp: 1500,
		additional_exemption_max_months: 12,
		buffer_budget_year_cents: 100000,
		norm_single_cents: 145000,
		norm_couple_cents: 207000,
		source: 'Participatiewet in balans, art. 34a en 34b',
	});
	const r = await srv.api('POST', P, { token: c.admin, body });
	assert.equal(r.status, 201, r.text);
	for (const [k, v] of Object.entries(body)) assert.deepEqual(r.json[k], v, k);
});

test('POST with an existing valid_from → 409 already_exists (also for a seeded one)', async () => {
	assertProblem(await srv.api('POST', P, { token: c.admin, body: full({ valid_from: '2026-01-01' }) }), 409, 'already_exists');
	assert.equal((await srv.api('POST', P, { token: c.admin, body: full({ valid_from: '2029-01-01' }) })).status, 201);
	assertProblem(await srv.api('POST', P, { token: c.admin, body: full({ valid_from: '2029-01-01', exemption_bp: 3000 }) }), 409, 'already_exists');
});

test('POST validation: required fields, ranges, reals and strings in money fields, unknown fields', async () => {
	const post = (body) => srv.api('POST', P, { token: c.admin, body });
	for (const k of ['valid_from', 'exemption_bp', 'exemption_monthly_cap_cents', 'exemption_max_months', 'exemption_min_age', 'premium_year_cap_cents', 'premium_max_count', 'hours_criterion']) {
		const b = full({ valid_from: '2030-01-01' });
		delete b[k];
		assertProblem(await post(b), 422, 'validation_failed', { field: k, fieldCode: 'required' });
	}
	for (const k of ['exemption_monthly_cap_cents', 'premium_year_cap_cents', 'norm_single_cents', 'norm_couple_cents', 'buffer_budget_year_cents']) {
		assertProblem(await post(full({ valid_from: '2030-01-01', [k]: 12.5 })), 422, 'validation_failed', { field: k, fieldCode: 'invalid_type' });
		assertProblem(await post(full({ valid_from: '2030-01-01', [k]: '27300' })), 422, 'validation_failed', { field: k, fieldCode: 'invalid_type' });
		const raw = JSON.stringify(full({ valid_from: '2030-01-01', [k]: 777 })).replace('777', '1e2');
		assertProblem(await rawJson(srv, 'POST', P, c.admin, raw), 422, 'validation_failed', { field: k, fieldCode: 'invalid_type' });
		assertProblem(await post(full({ valid_from: '2030-01-01', [k]: -1 })), 422, 'validation_failed', { field: k, fieldCode: 'invalid_value' });
	}
	assertProblem(await post(full({ valid_from: '2030-01-01', exemption_bp: 10001 })), 422, 'validation_failed', { field: 'exemption_bp', fieldCode: 'invalid_value' });
	assertProblem(await post(full({ valid_from: '2030-01-01', exemption_bp: 25.5 })), 422, 'validation_failed', { field: 'exemption_bp', fieldCode: 'invalid_type' });
	assertProblem(await post(full({ valid_from: '2030-01-01', hours_criterion: 0 })), 422, 'validation_failed', { field: 'hours_criterion', fieldCode: 'invalid_value' });
	assertProblem(await post(full({ valid_from: '2030-01-01', premium_max_count: 13 })), 422, 'validation_failed', { field: 'premium_max_count', fieldCode: 'invalid_value' });
	assertProblem(await post(full({ valid_from: '2030-01-01', exemption_bp: null })), 422, 'validation_failed', { field: 'exemption_bp', fieldCode: 'invalid_type' });
	assertProblem(await post(full({ valid_from: '2030-13-01' })), 422, 'validation_failed', { field: 'valid_from', fieldCode: 'invalid_value' });
	assertProblem(await post(full({ valid_from: '2030-01-01', source: '' })), 422, 'validation_failed', { field: 'source', fieldCode: 'too_short' });
	assertProblem(await post(full({ valid_from: '2030-01-01', minimum_wage_cents: 1 })), 422, 'validation_failed', { field: 'minimum_wage_cents', fieldCode: 'unknown_field' });
	assertProblem(await post(full({ valid_from: '2030-01-01', id: uuid() })), 422, 'validation_failed', { field: 'id', fieldCode: 'unknown_field' });
	const all = await listAll(srv, c.admin, P, 200);
	assert.ok(!all.some((x) => x.valid_from === '2030-01-01'), 'nothing was created by the invalid bodies');
});

test('POST is for platform_admin only', async () => {
	for (const role of ROLES.filter((x) => x !== 'platform_admin')) {
		assertProblem(await srv.api('POST', P, { token: c.tokens[role], body: full({ valid_from: '2031-01-01' }) }), 403, 'forbidden');
	}
});

test('POST with an Idempotency-Key replays the 201 and creates one version', async () => {
	const count = async () => Number((await env.sql('select count(*) as n from statutory_parameters'))[0].n);
	await assertIdempotentCreate(srv, c.admin, P, full({ valid_from: '2032-01-01' }), count);
});

test('the list is ordered by valid_from: a version added later for an earlier date comes first', async () => {
	const r = await srv.api('POST', P, { token: c.admin, body: full({ valid_from: '2024-07-01', exemption_monthly_cap_cents: 26900 }) });
	assert.equal(r.status, 201, r.text);
	const all = (await srv.api('GET', `${P}?limit=200`, { token: c.bookkeeperA.token })).json.data;
	const dates = all.map((x) => x.valid_from);
	assert.deepEqual(dates, [...dates].sort(), 'sorted by valid_from');
	assert.equal(dates[0], '2024-07-01');
	assert.equal(new Set(dates).size, dates.length);
});

test('the list in pages (limit 1 and 2) follows the same valid_from order, each version once', async () => {
	const all = (await srv.api('GET', `${P}?limit=200`, { token: c.admin })).json.data.map((x) => x.id);
	for (const limit of [1, 2]) {
		const paged = await listAll(srv, c.admin, P, limit);
		assert.deepEqual(paged.map((x) => x.id), all, `limit=${limit}`);
	}
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
