// Cooperatives (legal data, identifiers, address, statutes, board; scope and roles; PATCH with
// If-Match) and what belongs to them: dated fee policies, social shareholders (no overlapping
// shareholdings) and rate floors (unique per category and unit; PATCH, DELETE).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, coreCast, assertProblem, assertEtag, assertKeys, assertAudited, assertIdempotentCreate, apiCooperative,
	apiMunicipality, apiCreate, coopBody, address, listAll, rawJson, uuid, hex, VALID, INVALID, RFC3339_UTC, UUID_RE,
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

const COOP_KEYS = ['id', 'legal_name', 'trade_name', 'kvk_number', 'rsin', 'vat_id', 'iban', 'bic', 'address', 'email', 'phone', 'vat_scheme', 'invoice_prefix', 'reserve_cap_cents', 'statutes', 'board', 'created_at', 'updated_at'];
const FEE_KEYS = ['id', 'cooperative_id', 'valid_from', 'percentage_bp', 'fixed_monthly_cents', 'minimum_monthly_cents', 'maximum_monthly_cents', 'waive_without_turnover', 'created_at'];
const SH_KEYS = ['id', 'cooperative_id', 'municipality_code', 'since', 'until', 'created_at', 'updated_at'];
const RF_KEYS = ['id', 'cooperative_id', 'activity_category', 'unit', 'minimum_unit_price_cents', 'created_at', 'updated_at'];
const count = (table, where = 'true') => async () => Number((await env.sql(`select count(*) as n from ${table} where ${where}`))[0].n);
const postCoop = (body, token = c.admin) => srv.api('POST', '/v1/cooperatives', { token, body });
const patchCoop = (id, body, token = c.admin, headers = {}) => srv.api('PATCH', `/v1/cooperatives/${id}`, { token, body, headers });

// ---------------------------------------------------------------------------------------------
// Cooperatives.
test('POST /v1/cooperatives with the required fields: 201, defaults, Location, ETag, audit in the platform chain', async () => {
	const body = coopBody();
	const r = await postCoop(body);
	assert.equal(r.status, 201, r.text);
	assertKeys(r.json, COOP_KEYS, 'cooperative');
	assert.match(r.json.id, UUID_RE);
	assert.match(r.json.created_at, RFC3339_UTC);
	assert.match(r.json.updated_at, RFC3339_UTC);
	assert.deepEqual(r.json.address, { ...body.address, country: 'NL' });
	assert.equal(r.json.legal_name, body.legal_name);
	assert.equal(r.json.kvk_number, VALID.kvk);
	assert.equal(r.json.invoice_prefix, body.invoice_prefix);
	assert.equal(r.json.vat_scheme, 'standard');
	assert.deepEqual(r.json.statutes, []);
	assert.deepEqual(r.json.board, []);
	for (const k of ['trade_name', 'rsin', 'vat_id', 'iban', 'bic', 'email', 'phone', 'reserve_cap_cents']) assert.equal(r.json[k], null, k);
	assert.equal(r.headers.get('location'), `/v1/cooperatives/${r.json.id}`);
	assertEtag(r, 1);
	await assertAudited(srv, c.admin, { chain: null, objectId: r.json.id, action: 'cooperative.create', actorRole: 'platform_admin' });
	const g = await srv.api('GET', r.headers.get('location'), { token: c.admin });
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, r.json);
	assertEtag(g, 1);
});

test('POST /v1/cooperatives with every field: identifiers, address, statutes and board as given (IBAN normalised, postal code normalised)', async () => {
	const body = coopBody({
		trade_name: 'De Werkplaats',
		rsin: VALID.rsin,
		vat_id: VALID.vat,
		iban: 'nl91 abna 0417 1643 00',
		bic: 'ABNANL2A',
		address: address({ postal_code: '1012ab' }),
		email: 'bestuur@werkplaats.example',
		phone: '+31 20 123 4567',
		vat_scheme: 'kor',
		reserve_cap_cents: 2500000,
		statutes: [
			{ title: 'Statuten', adopted_on: '2020-05-01', document_url: 'https://example.org/statuten.pdf', special_statute: false },
			{ title: 'Huishoudelijk reglement', adopted_on: '2021-01-15' },
		],
		board: [
			{ name: 'J. de Vries', position: 'voorzitter', since: '2020-05-01' },
			{ name: 'A. Yilmaz', position: 'penningmeester' },
		],
	});
	const r = await postCoop(body);
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.iban, VALID.iban);
	assert.equal(r.json.address.postal_code, '1012 AB');
	for (const k of ['trade_name', 'rsin', 'vat_id', 'bic', 'email', 'phone', 'vat_scheme', 'reserve_cap_cents']) assert.deepEqual(r.json[k], body[k], k);
	assert.deepEqual(r.json.statutes, [
		body.statutes[0],
		{ title: 'Huishoudelijk reglement', adopted_on: '2021-01-15', document_url: null, special_statute: false },
	]);
	assert.equal(r.json.board.length, 2);
	assert.deepEqual(r.json.board[0], body.board[0]);
	assert.equal(r.json.board[1].name, 'A. Yilmaz');
	// the other valid vectors of RULES.md §4
	for (const vat of ['NL000099998B57', 'NL004495445B01']) assert.equal((await postCoop(coopBody({ vat_id: vat }))).status, 201, vat);
	assert.equal((await postCoop(coopBody({ iban: VALID.iban2 }))).status, 201);
	// a foreign address: no Dutch postal code rule
	const be = await postCoop(coopBody({ address: address({ country: 'BE', postal_code: '1000', city: 'Brussel' }) }));
	assert.equal(be.status, 201, be.text);
	assert.equal(be.json.address.country, 'BE');
	assert.equal(be.json.address.postal_code, '1000');
});

test('POST /v1/cooperatives identifier vectors of RULES.md §4 → 422 validation_failed with the identifier code', async () => {
	const cases = [
		[{ kvk_number: INVALID.kvk }, 'kvk_number', 'invalid_kvk_number'],
		[{ kvk_number: '123456789' }, 'kvk_number', 'invalid_kvk_number'],
		[{ kvk_number: '1234567a' }, 'kvk_number', 'invalid_kvk_number'],
		[{ rsin: INVALID.rsin }, 'rsin', 'invalid_rsin'],
		[{ vat_id: INVALID.vat }, 'vat_id', 'invalid_vat_id'],
		[{ iban: INVALID.iban }, 'iban', 'invalid_iban'],
		[{ bic: 'ABN' }, 'bic', 'invalid_bic'],
		[{ email: 'not-an-address' }, 'email', 'invalid_email'],
		[{ address: address({ postal_code: INVALID.postal[0] }) }, 'address.postal_code', 'invalid_postal_code'],
		[{ address: address({ postal_code: INVALID.postal[1] }) }, 'address.postal_code', 'invalid_postal_code'],
		[{ address: address({ postal_code: '1234 SD' }) }, 'address.postal_code', 'invalid_postal_code'],
		[{ address: address({ postal_code: '12345' }) }, 'address.postal_code', 'invalid_postal_code'],
	];
	for (const [over, field, code] of cases) {
		const r = await postCoop(coopBody(over));
		assertProblem(r, 422, 'validation_failed', { field, fieldCode: code });
	}
	assert.equal(Number((await env.sql(`select count(*) as n from cooperatives where rsin = '${INVALID.rsin}' or kvk_number = '${INVALID.kvk}'`))[0].n), 0);
});

test('POST /v1/cooperatives validation: required fields, invoice_prefix, enums, reals in money, nested names, unknown fields', async () => {
	for (const k of ['legal_name', 'kvk_number', 'address', 'invoice_prefix']) {
		const b = coopBody();
		delete b[k];
		assertProblem(await postCoop(b), 422, 'validation_failed', { field: k, fieldCode: 'required' });
	}
	assertProblem(await postCoop(coopBody({ invoice_prefix: 'ab-1' })), 422, 'validation_failed', { field: 'invoice_prefix', fieldCode: 'invalid_value' });
	assertProblem(await postCoop(coopBody({ invoice_prefix: 'ABCDEFGHIJK' })), 422, 'validation_failed', { field: 'invoice_prefix', fieldCode: 'too_long' });
	assertProblem(await postCoop(coopBody({ invoice_prefix: '' })), 422, 'validation_failed', { field: 'invoice_prefix', fieldCode: 'too_short' });
	assertProblem(await postCoop(coopBody({ vat_scheme: 'small' })), 422, 'validation_failed', { field: 'vat_scheme', fieldCode: 'invalid_value' });
	assertProblem(await postCoop(coopBody({ reserve_cap_cents: 12.5 })), 422, 'validation_failed', { field: 'reserve_cap_cents', fieldCode: 'invalid_type' });
	assertProblem(await postCoop(coopBody({ reserve_cap_cents: -1 })), 422, 'validation_failed', { field: 'reserve_cap_cents', fieldCode: 'invalid_value' });
	const raw = JSON.stringify(coopBody({ reserve_cap_cents: 777 })).replace('777', '1e2');
	assertProblem(await rawJson(srv, 'POST', '/v1/cooperatives', c.admin, raw), 422, 'validation_failed', { field: 'reserve_cap_cents', fieldCode: 'invalid_type' });
	assertProblem(await postCoop(coopBody({ address: 'Damrak 1' })), 422, 'validation_failed', { field: 'address', fieldCode: 'invalid_type' });
	assertProblem(await postCoop(coopBody({ address: null })), 422, 'validation_failed', { field: 'address', fieldCode: 'invalid_type' });
	const noStreet = address();
	delete noStreet.street;
	assertProblem(await postCoop(coopBody({ address: noStreet })), 422, 'validation_failed', { field: 'address.street', fieldCode: 'required' });
	assertProblem(await postCoop(coopBody({ address: address({ floor: 2 }) })), 422, 'validation_failed', { field: 'address.floor', fieldCode: 'unknown_field' });
	assertProblem(await postCoop(coopBody({ address: address({ country: 'nl' }) })), 422, 'validation_failed', { field: 'address.country', fieldCode: 'invalid_value' });
	assertProblem(await postCoop(coopBody({ statutes: [{ adopted_on: '2020-01-01' }] })), 422, 'validation_failed', { field: 'statutes[0].title', fieldCode: 'required' });
	assertProblem(await postCoop(coopBody({ statutes: [{ title: 'S', adopted_on: '2020-01-01' }, { title: 'T', adopted_on: '2020-02-30' }] })), 422, 'validation_failed', { field: 'statutes[1].adopted_on', fieldCode: 'invalid_value' });
	assertProblem(await postCoop(coopBody({ statutes: ['Statuten'] })), 422, 'validation_failed', { field: 'statutes[0]', fieldCode: 'invalid_type' });
	assertProblem(await postCoop(coopBody({ statutes: [{ title: 'S', adopted_on: '2020-01-01', special_statute: 'no' }] })), 422, 'validation_failed', { field: 'statutes[0].special_statute', fieldCode: 'invalid_type' });
	assertProblem(await postCoop(coopBody({ board: [{ name: 'A', position: 'lid' }, { position: 'lid' }] })), 422, 'validation_failed', { field: 'board[1].name', fieldCode: 'required' });
	assertProblem(await postCoop(coopBody({ board: {} })), 422, 'validation_failed', { field: 'board', fieldCode: 'invalid_type' });
	assertProblem(await postCoop(coopBody({ id: uuid() })), 422, 'validation_failed', { field: 'id', fieldCode: 'unknown_field' });
	assertProblem(await postCoop(coopBody({ created_at: '2020-01-01T00:00:00Z' })), 422, 'validation_failed', { field: 'created_at', fieldCode: 'unknown_field' });
	assertProblem(await postCoop(coopBody({ street: 'Damrak' })), 422, 'validation_failed', { field: 'street', fieldCode: 'unknown_field' });
	assertProblem(await postCoop(coopBody({ phone: '12' })), 422, 'validation_failed', { field: 'phone', fieldCode: 'too_short' });
});

test('POST /v1/cooperatives: a taken invoice_prefix → 409 already_exists', async () => {
	const a = await apiCooperative(srv, c.admin);
	assertProblem(await postCoop(coopBody({ invoice_prefix: a.invoice_prefix })), 409, 'already_exists');
});

test('POST /v1/cooperatives is for platform_admin only; Idempotency-Key replays', async () => {
	for (const role of ['coop_admin', 'bookkeeper', 'auditor', 'member', 'municipality']) assertProblem(await postCoop(coopBody(), c.tokens[role]), 403, 'forbidden');
	await assertIdempotentCreate(srv, c.admin, '/v1/cooperatives', coopBody(), count('cooperatives'));
});

test('GET /v1/cooperatives: platform_admin sees all; coop roles and members only their own; municipality → 403', async () => {
	const all = await listAll(srv, c.admin, '/v1/cooperatives', 2);
	const ids = all.map((x) => x.id);
	assert.ok(ids.includes(c.coopA) && ids.includes(c.coopB));
	assert.equal(new Set(ids).size, ids.length);
	for (const x of all) assertKeys(x, COOP_KEYS, 'cooperative');
	for (const role of ['coop_admin', 'bookkeeper', 'auditor', 'member']) {
		const r = await srv.api('GET', '/v1/cooperatives', { token: c.tokens[role] });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json.data.map((x) => x.id), [c.coopA], role);
		assert.equal(r.json.next_cursor, null);
	}
	const b = await srv.api('GET', '/v1/cooperatives', { token: c.coopAdminB.token });
	assert.deepEqual(b.json.data.map((x) => x.id), [c.coopB]);
	assertProblem(await srv.api('GET', '/v1/cooperatives', { token: c.municipalityUser.token }), 403, 'forbidden');
});

test('GET /v1/cooperatives/{id}: own → 200 + ETag for coop roles and members; another → 404; municipality → 403; unknown → 404', async () => {
	for (const role of ['platform_admin', 'coop_admin', 'bookkeeper', 'auditor', 'member']) {
		const r = await srv.api('GET', `/v1/cooperatives/${c.coopA}`, { token: c.tokens[role] });
		assert.equal(r.status, 200, `${role}: ${r.text}`);
		assert.equal(r.json.id, c.coopA);
		assertEtag(r);
		if (role !== 'platform_admin') assertProblem(await srv.api('GET', `/v1/cooperatives/${c.coopB}`, { token: c.tokens[role] }), 404, 'not_found');
	}
	assert.equal((await srv.api('GET', `/v1/cooperatives/${c.coopB}`, { token: c.admin })).status, 200);
	assertProblem(await srv.api('GET', `/v1/cooperatives/${c.coopA}`, { token: c.municipalityUser.token }), 403, 'forbidden');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${uuid()}`, { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', '/v1/cooperatives/nope', { token: c.admin }), 404, 'not_found');
});

test('PATCH /v1/cooperatives/{id}: coop_admin of its own; the ETag grows; stale If-Match → 412; audit cooperative.update in the cooperative chain', async () => {
	const coop = await apiCooperative(srv, c.admin);
	// the platform admin for the ETag flow, the coop admin of A for scope
	const r = await patchCoop(coop.id, { trade_name: 'Nieuw', invoice_prefix: `N${hex(3).toUpperCase()}`, statutes: [{ title: 'Statuten', adopted_on: '2024-01-01', special_statute: true }] }, c.admin, { 'if-match': '"1"' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.trade_name, 'Nieuw');
	assert.equal(r.json.legal_name, coop.legal_name, 'fields not in the body stay');
	assert.deepEqual(r.json.address, coop.address);
	assert.deepEqual(r.json.statutes, [{ title: 'Statuten', adopted_on: '2024-01-01', special_statute: true, document_url: null }]);
	assertEtag(r, 2);
	assert.ok(r.json.updated_at >= coop.updated_at);
	assertProblem(await patchCoop(coop.id, { trade_name: 'Stale' }, c.admin, { 'if-match': '"1"' }), 412, 'precondition_failed');
	assert.equal((await srv.api('GET', `/v1/cooperatives/${coop.id}`, { token: c.admin })).json.trade_name, 'Nieuw');
	await assertAudited(srv, c.admin, { chain: coop.id, objectId: coop.id, action: 'cooperative.update', actorRole: 'platform_admin', otherChain: null });
	// coop_admin of A on A
	const own = await patchCoop(c.coopA, { phone: '+31201234567', address: address({ street: 'Singel', postal_code: '1015ab' }) }, c.coopAdminA.token);
	assert.equal(own.status, 200, own.text);
	assert.equal(own.json.phone, '+31201234567');
	assert.deepEqual(own.json.address, { street: 'Singel', house_number: '1a', postal_code: '1015 AB', city: 'Amsterdam', country: 'NL' });
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: c.coopA, action: 'cooperative.update', actorRole: 'coop_admin' });
	// coop_admin of A on B → 404; other roles → 403
	assertProblem(await patchCoop(c.coopB, { phone: '+31201234567' }, c.coopAdminA.token), 404, 'not_found');
	for (const role of ['bookkeeper', 'auditor', 'member', 'municipality']) assertProblem(await patchCoop(c.coopA, { phone: '+31201234567' }, c.tokens[role]), 403, 'forbidden');
	assertProblem(await patchCoop(uuid(), { phone: '+31201234567' }), 404, 'not_found');
});

test('PATCH /v1/cooperatives/{id} validation: identifiers, unknown fields, null for required fields, a taken prefix → 409', async () => {
	const a = await apiCooperative(srv, c.admin);
	const b = await apiCooperative(srv, c.admin);
	assertProblem(await patchCoop(a.id, { kvk_number: INVALID.kvk }), 422, 'validation_failed', { field: 'kvk_number', fieldCode: 'invalid_kvk_number' });
	assertProblem(await patchCoop(a.id, { rsin: INVALID.rsin }), 422, 'validation_failed', { field: 'rsin', fieldCode: 'invalid_rsin' });
	assertProblem(await patchCoop(a.id, { vat_id: INVALID.vat }), 422, 'validation_failed', { field: 'vat_id', fieldCode: 'invalid_vat_id' });
	assertProblem(await patchCoop(a.id, { iban: INVALID.iban }), 422, 'validation_failed', { field: 'iban', fieldCode: 'invalid_iban' });
	assertProblem(await patchCoop(a.id, { address: address({ postal_code: INVALID.postal[1] }) }), 422, 'validation_failed', { field: 'address.postal_code', fieldCode: 'invalid_postal_code' });
	assertProblem(await patchCoop(a.id, { legal_name: null }), 422, 'validation_failed', { field: 'legal_name', fieldCode: 'invalid_type' });
	assertProblem(await patchCoop(a.id, { address: null }), 422, 'validation_failed', { field: 'address', fieldCode: 'invalid_type' });
	assertProblem(await patchCoop(a.id, { reserve_cap_cents: 12.5 }), 422, 'validation_failed', { field: 'reserve_cap_cents', fieldCode: 'invalid_type' });
	assertProblem(await patchCoop(a.id, { id: b.id }), 422, 'validation_failed', { field: 'id', fieldCode: 'unknown_field' });
	assertProblem(await patchCoop(a.id, { invoice_prefix: b.invoice_prefix }), 409, 'already_exists');
	const g = await srv.api('GET', `/v1/cooperatives/${a.id}`, { token: c.admin });
	assert.deepEqual(g.json, a, 'the failed PATCHes changed nothing');
	assertEtag(g, 1);
	// null clears an optional field
	const cleared = await patchCoop(a.id, { reserve_cap_cents: 100 });
	assert.equal(cleared.json.reserve_cap_cents, 100);
	assert.equal((await patchCoop(a.id, { reserve_cap_cents: null })).json.reserve_cap_cents, null);
});

// ---------------------------------------------------------------------------------------------
// Fee policies.
const fees = (coop) => `/v1/cooperatives/${coop}/fee-policies`;

test('POST fee-policies (coop_admin): 201 with defaults, Location to the single GET (ETag "1"), audit fee_policy.create', async () => {
	const r = await srv.api('POST', fees(c.coopA), { token: c.coopAdminA.token, body: { valid_from: '2025-01-01' } });
	assert.equal(r.status, 201, r.text);
	assertKeys(r.json, FEE_KEYS, 'fee policy');
	const { id, created_at: _, ...rest } = r.json;
	assert.deepEqual(rest, { cooperative_id: c.coopA, valid_from: '2025-01-01', percentage_bp: 0, fixed_monthly_cents: 0, minimum_monthly_cents: null, maximum_monthly_cents: null, waive_without_turnover: true });
	assert.equal(r.headers.get('location'), `${fees(c.coopA)}/${id}`);
	const g = await srv.api('GET', r.headers.get('location'), { token: c.auditorA.token });
	assert.equal(g.status, 200, g.text);
	assert.deepEqual(g.json, r.json);
	assertEtag(g, 1);
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: id, action: 'fee_policy.create', actorRole: 'coop_admin', otherChain: null });
	const full = { valid_from: '2026-01-01', percentage_bp: 800, fixed_monthly_cents: 1500, minimum_monthly_cents: 1000, maximum_monthly_cents: 10000, waive_without_turnover: false };
	const f = await srv.api('POST', fees(c.coopA), { token: c.admin, body: full });
	assert.equal(f.status, 201, f.text);
	for (const [k, v] of Object.entries(full)) assert.deepEqual(f.json[k], v, k);
	const eq = await srv.api('POST', fees(c.coopA), { token: c.admin, body: { valid_from: '2026-07-01', minimum_monthly_cents: 500, maximum_monthly_cents: 500 } });
	assert.equal(eq.status, 201, 'minimum = maximum is allowed');
});

test('POST fee-policies validation: same valid_from → 409; maximum below minimum; ranges; reals in money; unknown fields', async () => {
	const p = fees(c.coopB);
	const post = (body) => srv.api('POST', p, { token: c.coopAdminB.token, body });
	assert.equal((await post({ valid_from: '2025-01-01' })).status, 201);
	assertProblem(await post({ valid_from: '2025-01-01', percentage_bp: 500 }), 409, 'already_exists');
	assertProblem(await post({}), 422, 'validation_failed', { field: 'valid_from', fieldCode: 'required' });
	assertProblem(await post({ valid_from: '2025-02-01', minimum_monthly_cents: 2000, maximum_monthly_cents: 1000 }), 422, 'validation_failed', { field: 'maximum_monthly_cents', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2025-02-01', percentage_bp: 10001 }), 422, 'validation_failed', { field: 'percentage_bp', fieldCode: 'invalid_value' });
	assertProblem(await post({ valid_from: '2025-02-01', percentage_bp: 7.5 }), 422, 'validation_failed', { field: 'percentage_bp', fieldCode: 'invalid_type' });
	for (const k of ['fixed_monthly_cents', 'minimum_monthly_cents', 'maximum_monthly_cents']) {
		assertProblem(await post({ valid_from: '2025-02-01', [k]: 12.5 }), 422, 'validation_failed', { field: k, fieldCode: 'invalid_type' });
		assertProblem(await rawJson(srv, 'POST', p, c.coopAdminB.token, `{"valid_from":"2025-02-01","${k}":1e2}`), 422, 'validation_failed', { field: k, fieldCode: 'invalid_type' });
		assertProblem(await post({ valid_from: '2025-02-01', [k]: -5 }), 422, 'validation_failed', { field: k, fieldCode: 'invalid_value' });
	}
	assertProblem(await post({ valid_from: '2025-02-01', fixed_monthly_cents: null }), 422, 'validation_failed', { field: 'fixed_monthly_cents', fieldCode: 'invalid_type' });
	assertProblem(await post({ valid_from: '2025-02-01', waive_without_turnover: 1 }), 422, 'validation_failed', { field: 'waive_without_turnover', fieldCode: 'invalid_type' });
	assertProblem(await post({ valid_from: '2025-02-01', cooperative_id: c.coopA }), 422, 'validation_failed', { field: 'cooperative_id', fieldCode: 'unknown_field' });
	const all = await listAll(srv, c.admin, p, 200);
	assert.deepEqual(all.map((x) => x.valid_from), ['2025-01-01']);
});

test('fee-policies: list ordered by valid_from; readers PA/CA/BK/AU; writers PA/CA; another cooperative → 404; member/municipality → 403', async () => {
	const coop = (await apiCooperative(srv, c.admin)).id;
	for (const d of ['2027-01-01', '2025-01-01', '2026-01-01']) await apiCreate(srv, c.admin, fees(coop), { valid_from: d });
	const all = (await srv.api('GET', `${fees(coop)}?limit=200`, { token: c.admin })).json.data;
	assert.deepEqual(all.map((x) => x.valid_from), ['2025-01-01', '2026-01-01', '2027-01-01']);
	for (const x of all) assertKeys(x, FEE_KEYS, 'fee policy');
	for (const role of ['coop_admin', 'bookkeeper', 'auditor']) {
		assert.equal((await srv.api('GET', fees(c.coopA), { token: c.tokens[role] })).status, 200, role);
		assertProblem(await srv.api('GET', fees(coop), { token: c.tokens[role] }), 404, 'not_found');
		assertProblem(await srv.api('GET', `${fees(coop)}/${all[0].id}`, { token: c.tokens[role] }), 404, 'not_found');
	}
	for (const role of ['member', 'municipality']) {
		assertProblem(await srv.api('GET', fees(c.coopA), { token: c.tokens[role] }), 403, 'forbidden');
		assertProblem(await srv.api('GET', `${fees(coop)}/${all[0].id}`, { token: c.tokens[role] }), 403, 'forbidden');
	}
	for (const role of ['bookkeeper', 'auditor', 'member', 'municipality']) assertProblem(await srv.api('POST', fees(c.coopA), { token: c.tokens[role], body: { valid_from: '2030-01-01' } }), 403, 'forbidden');
	assertProblem(await srv.api('POST', fees(coop), { token: c.coopAdminA.token, body: { valid_from: '2030-01-01' } }), 404, 'not_found');
	// the right fee policy through the wrong cooperative
	assertProblem(await srv.api('GET', `${fees(c.coopA)}/${all[0].id}`, { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', `${fees(uuid())}`, { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('POST', fees(uuid()), { token: c.admin, body: { valid_from: '2030-01-01' } }), 404, 'not_found');
});

test('fee-policies in pages (limit 1) follow the valid_from order, each once', async () => {
	const coop = (await apiCooperative(srv, c.admin)).id;
	const dates = ['2027-01-01', '2025-01-01', '2026-01-01'];
	for (const d of dates) await apiCreate(srv, c.admin, fees(coop), { valid_from: d });
	const paged = await listAll(srv, c.admin, fees(coop), 1);
	assert.deepEqual(paged.map((x) => x.valid_from), [...dates].sort());
});

test('POST fee-policies with an Idempotency-Key replays the 201', async () => {
	await assertIdempotentCreate(srv, c.coopAdminA.token, fees(c.coopA), { valid_from: '2031-01-01', percentage_bp: 500 }, count('fee_policies', `cooperative_id = '${c.coopA}'`));
});

// ---------------------------------------------------------------------------------------------
// Shareholders.
const shs = (coop) => `/v1/cooperatives/${coop}/shareholders`;

test('POST shareholders: 201, Location /v1/shareholders/{id} (ETag), audit shareholder.create with the municipality', async () => {
	const r = await srv.api('POST', shs(c.coopA), { token: c.coopAdminA.token, body: { municipality_code: c.muni1, since: '2020-01-01' } });
	assert.equal(r.status, 201, r.text);
	assertKeys(r.json, SH_KEYS, 'shareholder');
	assert.equal(r.json.cooperative_id, c.coopA);
	assert.equal(r.json.municipality_code, c.muni1);
	assert.equal(r.json.since, '2020-01-01');
	assert.equal(r.json.until, null);
	assert.equal(r.headers.get('location'), `/v1/shareholders/${r.json.id}`);
	assertEtag(r, 1);
	const g = await srv.api('GET', r.headers.get('location'), { token: c.bookkeeperA.token });
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, r.json);
	assertEtag(g, 1);
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: r.json.id, action: 'shareholder.create', actorRole: 'coop_admin', municipality: c.muni1, otherChain: null });
});

test('shareholdings of one municipality in one cooperative never overlap (422 shareholding_overlap); other municipality or cooperative may', async () => {
	const coop = (await apiCooperative(srv, c.admin)).id;
	const m = await apiMunicipality(srv, c.admin);
	const post = (body) => srv.api('POST', shs(coop), { token: c.admin, body: { municipality_code: m, ...body } });
	const first = await post({ since: '2020-01-01', until: '2020-12-31' });
	assert.equal(first.status, 201, first.text);
	assertProblem(await post({ since: '2020-06-01', until: '2021-06-30' }), 422, 'shareholding_overlap');
	assertProblem(await post({ since: '2019-01-01' }), 422, 'shareholding_overlap');
	assertProblem(await post({ since: '2020-12-31', until: '2021-01-31' }), 422, 'shareholding_overlap');
	const next = await post({ since: '2021-01-01' });
	assert.equal(next.status, 201, next.text);
	assertProblem(await post({ since: '2030-01-01' }), 422, 'shareholding_overlap');
	// same period, another municipality; same municipality, another cooperative
	assert.equal((await srv.api('POST', shs(coop), { token: c.admin, body: { municipality_code: c.muni2, since: '2020-01-01' } })).status, 201);
	assert.equal((await srv.api('POST', shs(c.coopB), { token: c.admin, body: { municipality_code: m, since: '2020-01-01' } })).status, 201);
	// PATCH that would create an overlap: opening the first one again
	assertProblem(await srv.api('PATCH', `/v1/shareholders/${first.json.id}`, { token: c.admin, body: { until: null } }), 422, 'shareholding_overlap');
	assert.equal(Number((await env.sql(`select count(*) as n from shareholders where cooperative_id = '${coop}' and municipality_code = '${m}'`))[0].n), 2);
});

test('POST shareholders validation: identifier GM363, unknown municipality → invalid_reference, until before since, dates, unknown field', async () => {
	const post = (body) => srv.api('POST', shs(c.coopA), { token: c.admin, body });
	assertProblem(await post({ municipality_code: INVALID.municipality, since: '2020-01-01' }), 422, 'validation_failed', { field: 'municipality_code', fieldCode: 'invalid_municipality_code' });
	const ref = assertProblem(await post({ municipality_code: 'GM9996', since: '2020-01-01' }), 422, 'invalid_reference', { field: 'municipality_code', fieldCode: 'invalid_reference' });
	assert.ok(ref.errors.every((e) => e.code === 'invalid_reference'));
	assertProblem(await post({ municipality_code: c.muni2, since: '2020-01-01', until: '2019-12-31' }), 422, 'validation_failed', { field: 'until', fieldCode: 'invalid_value' });
	assertProblem(await post({ municipality_code: c.muni2 }), 422, 'validation_failed', { field: 'since', fieldCode: 'required' });
	assertProblem(await post({ since: '2020-01-01' }), 422, 'validation_failed', { field: 'municipality_code', fieldCode: 'required' });
	assertProblem(await post({ municipality_code: c.muni2, since: '2020-1-1' }), 422, 'validation_failed', { field: 'since', fieldCode: 'invalid_value' });
	assertProblem(await post({ municipality_code: c.muni2, since: '2020-01-01', shares: 10 }), 422, 'validation_failed', { field: 'shares', fieldCode: 'unknown_field' });
	assertProblem(await post({ municipality_code: c.muni2, since: '2020-01-01', cooperative_id: c.coopB }), 422, 'validation_failed', { field: 'cooperative_id', fieldCode: 'unknown_field' });
});

test('PATCH /v1/shareholders/{id} {until}: 200, ETag grows, stale If-Match → 412, until before since → 422, audit shareholder.update', async () => {
	const sh = await apiCreate(srv, c.admin, shs(c.coopA), { municipality_code: c.muni2, since: '2015-01-01' });
	const r = await srv.api('PATCH', `/v1/shareholders/${sh.id}`, { token: c.coopAdminA.token, body: { until: '2015-12-31' }, headers: { 'if-match': '"1"' } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.until, '2015-12-31');
	assertEtag(r, 2);
	assertProblem(await srv.api('PATCH', `/v1/shareholders/${sh.id}`, { token: c.coopAdminA.token, body: { until: '2016-12-31' }, headers: { 'if-match': '"1"' } }), 412, 'precondition_failed');
	assertProblem(await srv.api('PATCH', `/v1/shareholders/${sh.id}`, { token: c.coopAdminA.token, body: { until: '2014-12-31' } }), 422, 'validation_failed', { field: 'until', fieldCode: 'invalid_value' });
	assertProblem(await srv.api('PATCH', `/v1/shareholders/${sh.id}`, { token: c.coopAdminA.token, body: {} }), 422, 'validation_failed', { field: 'until', fieldCode: 'required' });
	assertProblem(await srv.api('PATCH', `/v1/shareholders/${sh.id}`, { token: c.coopAdminA.token, body: { until: '2016-01-01', since: '2010-01-01' } }), 422, 'validation_failed', { field: 'since', fieldCode: 'unknown_field' });
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: sh.id, action: 'shareholder.update', actorRole: 'coop_admin', municipality: c.muni2 });
});

test('shareholders: list; readers PA/CA/BK/AU, writers PA/CA; another cooperative → 404; member/municipality → 403', async () => {
	const shB = await apiCreate(srv, c.admin, shs(c.coopB), { municipality_code: c.muni1, since: '2010-01-01', until: '2010-12-31' });
	const list = await listAll(srv, c.coopAdminB.token, shs(c.coopB), 1);
	assert.ok(list.some((x) => x.id === shB.id));
	for (const x of list) {
		assertKeys(x, SH_KEYS, 'shareholder');
		assert.equal(x.cooperative_id, c.coopB);
	}
	for (const role of ['coop_admin', 'bookkeeper', 'auditor']) {
		assert.equal((await srv.api('GET', shs(c.coopA), { token: c.tokens[role] })).status, 200);
		assertProblem(await srv.api('GET', shs(c.coopB), { token: c.tokens[role] }), 404, 'not_found');
		assertProblem(await srv.api('GET', `/v1/shareholders/${shB.id}`, { token: c.tokens[role] }), 404, 'not_found');
	}
	assertProblem(await srv.api('POST', shs(c.coopB), { token: c.coopAdminA.token, body: { municipality_code: c.muni2, since: '2011-01-01' } }), 404, 'not_found');
	assertProblem(await srv.api('PATCH', `/v1/shareholders/${shB.id}`, { token: c.coopAdminA.token, body: { until: '2010-06-30' } }), 404, 'not_found');
	for (const role of ['bookkeeper', 'auditor', 'member', 'municipality']) {
		assertProblem(await srv.api('POST', shs(c.coopA), { token: c.tokens[role], body: { municipality_code: c.muni2, since: '2011-01-01' } }), 403, 'forbidden');
		assertProblem(await srv.api('PATCH', `/v1/shareholders/${shB.id}`, { token: c.tokens[role], body: { until: '2010-06-30' } }), 403, 'forbidden');
	}
	for (const role of ['member', 'municipality']) {
		assertProblem(await srv.api('GET', shs(c.coopA), { token: c.tokens[role] }), 403, 'forbidden');
		assertProblem(await srv.api('GET', `/v1/shareholders/${shB.id}`, { token: c.tokens[role] }), 403, 'forbidden');
	}
	assertProblem(await srv.api('GET', `/v1/shareholders/${uuid()}`, { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', shs(uuid()), { token: c.admin }), 404, 'not_found');
});

test('POST shareholders with an Idempotency-Key replays the 201', async () => {
	await assertIdempotentCreate(srv, c.admin, shs(c.coopB), { municipality_code: c.muni2, since: '2000-01-01', until: '2000-12-31' }, count('shareholders', `cooperative_id = '${c.coopB}'`));
});

// ---------------------------------------------------------------------------------------------
// Rate floors.
const rfs = (coop) => `/v1/cooperatives/${coop}/rate-floors`;

test('POST rate-floors: 201, Location /v1/rate-floors/{id}, ETag; same (category, unit) → 409; another unit is fine; audit', async () => {
	const body = { activity_category: 'gardening', unit: 'hour', minimum_unit_price_cents: 2500 };
	const r = await srv.api('POST', rfs(c.coopA), { token: c.coopAdminA.token, body });
	assert.equal(r.status, 201, r.text);
	assertKeys(r.json, RF_KEYS, 'rate floor');
	for (const [k, v] of Object.entries(body)) assert.equal(r.json[k], v);
	assert.equal(r.json.cooperative_id, c.coopA);
	assert.equal(r.headers.get('location'), `/v1/rate-floors/${r.json.id}`);
	assertEtag(r, 1);
	const g = await srv.api('GET', r.headers.get('location'), { token: c.auditorA.token });
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, r.json);
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: r.json.id, action: 'rate_floor.create', actorRole: 'coop_admin', otherChain: null });
	assertProblem(await srv.api('POST', rfs(c.coopA), { token: c.coopAdminA.token, body: { ...body, minimum_unit_price_cents: 3000 } }), 409, 'already_exists');
	for (const unit of ['piece', 'day', 'km']) assert.equal((await srv.api('POST', rfs(c.coopA), { token: c.admin, body: { ...body, unit } })).status, 201, unit);
	assert.equal((await srv.api('POST', rfs(c.coopB), { token: c.admin, body })).status, 201, 'another cooperative may have the same floor');
});

test('POST rate-floors validation: category pattern, unit enum, reals in money, required, unknown field', async () => {
	const post = (body) => srv.api('POST', rfs(c.coopA), { token: c.admin, body: { activity_category: 'cleaning', unit: 'hour', minimum_unit_price_cents: 2000, ...body } });
	for (const bad of ['Cleaning', 'clean-ing', 'clean ing', 'x'.repeat(65)]) {
		const r = await post({ activity_category: bad });
		assertProblem(r, 422, 'validation_failed', { field: 'activity_category' });
	}
	assertProblem(await post({ activity_category: 'schoonmaak!' }), 422, 'validation_failed', { field: 'activity_category', fieldCode: 'invalid_value' });
	assertProblem(await post({ unit: 'week' }), 422, 'validation_failed', { field: 'unit', fieldCode: 'invalid_value' });
	assertProblem(await post({ minimum_unit_price_cents: 12.5 }), 422, 'validation_failed', { field: 'minimum_unit_price_cents', fieldCode: 'invalid_type' });
	assertProblem(await rawJson(srv, 'POST', rfs(c.coopA), c.admin, '{"activity_category":"cleaning","unit":"hour","minimum_unit_price_cents":1e2}'), 422, 'validation_failed', { field: 'minimum_unit_price_cents', fieldCode: 'invalid_type' });
	assertProblem(await post({ minimum_unit_price_cents: -1 }), 422, 'validation_failed', { field: 'minimum_unit_price_cents', fieldCode: 'invalid_value' });
	assertProblem(await post({ minimum_unit_price_cents: '2000' }), 422, 'validation_failed', { field: 'minimum_unit_price_cents', fieldCode: 'invalid_type' });
	assertProblem(await srv.api('POST', rfs(c.coopA), { token: c.admin, body: { unit: 'hour', minimum_unit_price_cents: 1 } }), 422, 'validation_failed', { field: 'activity_category', fieldCode: 'required' });
	assertProblem(await post({ note: 'x' }), 422, 'validation_failed', { field: 'note', fieldCode: 'unknown_field' });
	assert.equal(Number((await env.sql(`select count(*) as n from rate_floors where activity_category = 'cleaning'`))[0].n), 0);
});

test('PATCH /v1/rate-floors/{id}: price changes, ETag grows, stale If-Match → 412, only the price may change; DELETE → 204 then 404; audit', async () => {
	const rf = await apiCreate(srv, c.admin, rfs(c.coopA), { activity_category: 'bike_repair', unit: 'piece', minimum_unit_price_cents: 1500 });
	const r = await srv.api('PATCH', `/v1/rate-floors/${rf.id}`, { token: c.coopAdminA.token, body: { minimum_unit_price_cents: 1750 }, headers: { 'if-match': '"1"' } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.minimum_unit_price_cents, 1750);
	assertEtag(r, 2);
	assertProblem(await srv.api('PATCH', `/v1/rate-floors/${rf.id}`, { token: c.coopAdminA.token, body: { minimum_unit_price_cents: 1 }, headers: { 'if-match': '"1"' } }), 412, 'precondition_failed');
	assertProblem(await srv.api('PATCH', `/v1/rate-floors/${rf.id}`, { token: c.coopAdminA.token, body: { minimum_unit_price_cents: 12.5 } }), 422, 'validation_failed', { field: 'minimum_unit_price_cents', fieldCode: 'invalid_type' });
	assertProblem(await srv.api('PATCH', `/v1/rate-floors/${rf.id}`, { token: c.coopAdminA.token, body: { minimum_unit_price_cents: 100, unit: 'hour' } }), 422, 'validation_failed', { field: 'unit', fieldCode: 'unknown_field' });
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: rf.id, action: 'rate_floor.update', actorRole: 'coop_admin' });
	const d = await srv.api('DELETE', `/v1/rate-floors/${rf.id}`, { token: c.coopAdminA.token });
	assert.equal(d.status, 204, d.text);
	assert.equal(d.text, '');
	assertProblem(await srv.api('GET', `/v1/rate-floors/${rf.id}`, { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('DELETE', `/v1/rate-floors/${rf.id}`, { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('PATCH', `/v1/rate-floors/${rf.id}`, { token: c.admin, body: { minimum_unit_price_cents: 1 } }), 404, 'not_found');
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: rf.id, action: 'rate_floor.delete', actorRole: 'coop_admin' });
	// deleted: the same (category, unit) may be created again
	assert.equal((await srv.api('POST', rfs(c.coopA), { token: c.admin, body: { activity_category: 'bike_repair', unit: 'piece', minimum_unit_price_cents: 1500 } })).status, 201);
});

test('rate floors: list; readers PA/CA/BK/AU, writers PA/CA; another cooperative → 404; member/municipality → 403', async () => {
	const rfB = await apiCreate(srv, c.admin, rfs(c.coopB), { activity_category: 'catering', unit: 'day', minimum_unit_price_cents: 20000 });
	const list = await listAll(srv, c.coopAdminB.token, rfs(c.coopB), 1);
	assert.ok(list.some((x) => x.id === rfB.id));
	for (const x of list) assertKeys(x, RF_KEYS, 'rate floor');
	for (const role of ['coop_admin', 'bookkeeper', 'auditor']) {
		assert.equal((await srv.api('GET', rfs(c.coopA), { token: c.tokens[role] })).status, 200);
		assertProblem(await srv.api('GET', rfs(c.coopB), { token: c.tokens[role] }), 404, 'not_found');
		assertProblem(await srv.api('GET', `/v1/rate-floors/${rfB.id}`, { token: c.tokens[role] }), 404, 'not_found');
	}
	assertProblem(await srv.api('POST', rfs(c.coopB), { token: c.coopAdminA.token, body: { activity_category: 'x', unit: 'km', minimum_unit_price_cents: 1 } }), 404, 'not_found');
	assertProblem(await srv.api('PATCH', `/v1/rate-floors/${rfB.id}`, { token: c.coopAdminA.token, body: { minimum_unit_price_cents: 1 } }), 404, 'not_found');
	assertProblem(await srv.api('DELETE', `/v1/rate-floors/${rfB.id}`, { token: c.coopAdminA.token }), 404, 'not_found');
	for (const role of ['bookkeeper', 'auditor', 'member', 'municipality']) {
		assertProblem(await srv.api('POST', rfs(c.coopA), { token: c.tokens[role], body: { activity_category: 'x', unit: 'km', minimum_unit_price_cents: 1 } }), 403, 'forbidden');
		assertProblem(await srv.api('PATCH', `/v1/rate-floors/${rfB.id}`, { token: c.tokens[role], body: { minimum_unit_price_cents: 1 } }), 403, 'forbidden');
		assertProblem(await srv.api('DELETE', `/v1/rate-floors/${rfB.id}`, { token: c.tokens[role] }), 403, 'forbidden');
	}
	for (const role of ['member', 'municipality']) assertProblem(await srv.api('GET', rfs(c.coopA), { token: c.tokens[role] }), 403, 'forbidden');
	assert.equal((await srv.api('GET', `/v1/rate-floors/${rfB.id}`, { token: c.admin })).status, 200, 'still there');
});

test('POST rate-floors with an Idempotency-Key replays the 201', async () => {
	await assertIdempotentCreate(srv, c.coopAdminA.token, rfs(c.coopA), { activity_category: 'idem_cat', unit: 'km', minimum_unit_price_cents: 30 }, count('rate_floors', `cooperative_id = '${c.coopA}'`));
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
