// Customers of a cooperative: create/read/update with validation (KvK, VAT id, Peppol id, address,
// payment terms), scope and roles, the ?name= filter, pagination, CSV, ETag/If-Match,
// idempotency, audit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, coreCast, assertProblem, assertEtag, assertKeys, assertAudited, assertIdempotentCreate, apiCooperative,
	apiCustomer, address, listAll, csvRows, rawJson, uuid, VALID, INVALID, RFC3339_UTC, UUID_RE,
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

const KEYS = ['id', 'cooperative_id', 'name', 'address', 'kvk_number', 'vat_id', 'email', 'peppol_id', 'payment_terms_days', 'created_at', 'updated_at'];
const CSV_HEADER = ['id', 'cooperative_id', 'name', 'street', 'house_number', 'postal_code', 'city', 'country', 'kvk_number', 'vat_id', 'email', 'peppol_id', 'payment_terms_days', 'created_at', 'updated_at'];
const customers = (coop) => `/v1/cooperatives/${coop}/customers`;
const post = (body, token = c.admin, coop = c.coopA) => srv.api('POST', customers(coop), { token, body });
const patch = (id, body, token = c.admin, headers = {}) => srv.api('PATCH', `/v1/customers/${id}`, { token, body, headers });
const get = (id, token = c.admin) => srv.api('GET', `/v1/customers/${id}`, { token });

test('POST customers with a name only: 201, payment_terms_days 30, address null, Location, ETag, audit customer.create', async () => {
	const r = await post({ name: 'Bakkerij Jansen' }, c.bookkeeperA.token);
	assert.equal(r.status, 201, r.text);
	assertKeys(r.json, KEYS, 'customer');
	assert.match(r.json.id, UUID_RE);
	assert.match(r.json.created_at, RFC3339_UTC);
	assert.equal(r.json.cooperative_id, c.coopA);
	assert.equal(r.json.name, 'Bakkerij Jansen');
	assert.equal(r.json.payment_terms_days, 30);
	for (const k of ['address', 'kvk_number', 'vat_id', 'email', 'peppol_id']) assert.equal(r.json[k], null, k);
	assert.equal(r.headers.get('location'), `/v1/customers/${r.json.id}`);
	assertEtag(r, 1);
	const g = await get(r.json.id, c.auditorA.token);
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, r.json);
	assertEtag(g, 1);
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: r.json.id, action: 'customer.create', actorRole: 'bookkeeper', otherChain: null });
});

test('POST customers with every field (VAT id vectors, Peppol id, address normalised)', async () => {
	const body = {
		name: 'Gemeentelijk Sportbedrijf',
		address: address({ postal_code: '3511ab', city: 'Utrecht' }),
		kvk_number: VALID.kvk,
		vat_id: VALID.vat,
		email: 'facturen@sport.example',
		peppol_id: '0106:12345678',
		payment_terms_days: 14,
	};
	const r = await post(body, c.coopAdminA.token);
	assert.equal(r.status, 201, r.text);
	assert.deepEqual(r.json.address, { ...body.address, postal_code: '3511 AB', country: 'NL' });
	for (const k of ['name', 'kvk_number', 'vat_id', 'email', 'peppol_id', 'payment_terms_days']) assert.deepEqual(r.json[k], body[k], k);
	for (const vat of ['NL000099998B57', 'NL004495445B01']) assert.equal((await post({ name: 'X', vat_id: vat })).status, 201, vat);
	for (const days of [0, 365]) assert.equal((await post({ name: 'X', payment_terms_days: days })).json.payment_terms_days, days);
	assert.equal((await post({ name: 'X', peppol_id: '0190:00000000000000000001' })).status, 201);
	const be = await post({ name: 'Client BE', address: address({ country: 'BE', postal_code: '1000', city: 'Brussel' }) });
	assert.equal(be.status, 201, be.text);
	assert.equal(be.json.address.country, 'BE');
	assert.equal((await post({ name: 'No address', address: null })).json.address, null);
});

test('POST customers validation: identifier vectors, Peppol id, payment terms, reals, required, unknown fields', async () => {
	const cases = [
		[{ kvk_number: INVALID.kvk }, 'kvk_number', 'invalid_kvk_number'],
		[{ vat_id: INVALID.vat }, 'vat_id', 'invalid_vat_id'],
		[{ email: 'no-at-sign' }, 'email', 'invalid_email'],
		[{ address: address({ postal_code: INVALID.postal[0] }) }, 'address.postal_code', 'invalid_postal_code'],
		[{ address: address({ postal_code: INVALID.postal[1] }) }, 'address.postal_code', 'invalid_postal_code'],
		[{ peppol_id: '12345678' }, 'peppol_id', 'invalid_value'],
		[{ peppol_id: 'ABCD:12345678' }, 'peppol_id', 'invalid_value'],
		[{ peppol_id: '0106:1234 5678' }, 'peppol_id', 'invalid_value'],
		[{ payment_terms_days: 366 }, 'payment_terms_days', 'invalid_value'],
		[{ payment_terms_days: -1 }, 'payment_terms_days', 'invalid_value'],
		[{ payment_terms_days: 30.5 }, 'payment_terms_days', 'invalid_type'],
		[{ payment_terms_days: '30' }, 'payment_terms_days', 'invalid_type'],
		[{ name: '' }, 'name', 'too_short'],
		[{ name: 'x'.repeat(201) }, 'name', 'too_long'],
		[{ address: address({ street: undefined }) }, 'address.street', 'required'],
		[{ address: 'Dam 1' }, 'address', 'invalid_type'],
		[{ iban: VALID.iban }, 'iban', 'unknown_field'],
		[{ cooperative_id: c.coopB }, 'cooperative_id', 'unknown_field'],
		[{ id: uuid() }, 'id', 'unknown_field'],
	];
	for (const [over, field, code] of cases) assertProblem(await post({ name: 'Klant', ...over }), 422, 'validation_failed', { field, fieldCode: code });
	assertProblem(await post({}), 422, 'validation_failed', { field: 'name', fieldCode: 'required' });
	assertProblem(await rawJson(srv, 'POST', customers(c.coopA), c.admin, '{"name":"Klant","payment_terms_days":3e1}'), 422, 'validation_failed', { field: 'payment_terms_days', fieldCode: 'invalid_type' });
	assert.equal(Number((await env.sql(`select count(*) as n from customers where name = 'Klant'`))[0].n), 0);
});

test('POST customers: roles and scope (auditor/member/municipality → 403; another cooperative → 404); Idempotency-Key replays', async () => {
	for (const role of ['auditor', 'member', 'municipality']) assertProblem(await post({ name: 'X' }, c.tokens[role]), 403, 'forbidden');
	for (const role of ['coop_admin', 'bookkeeper']) assertProblem(await post({ name: 'X' }, c.tokens[role], c.coopB), 404, 'not_found');
	assertProblem(await post({ name: 'X' }, c.admin, uuid()), 404, 'not_found');
	const count = async () => Number((await env.sql(`select count(*) as n from customers where cooperative_id = '${c.coopB}'`))[0].n);
	await assertIdempotentCreate(srv, c.bookkeeperB.token, customers(c.coopB), { name: 'Idempotent B.V.', payment_terms_days: 7 }, count);
});

test('GET /v1/customers/{id}: coop roles of its cooperative; another cooperative → 404; member/municipality → 403', async () => {
	const a = await apiCustomer(srv, c.admin, c.coopA);
	const b = await apiCustomer(srv, c.admin, c.coopB);
	for (const role of ['platform_admin', 'coop_admin', 'bookkeeper', 'auditor']) {
		const r = await get(a.id, c.tokens[role]);
		assert.equal(r.status, 200, role);
		assertEtag(r);
		if (role !== 'platform_admin') assertProblem(await get(b.id, c.tokens[role]), 404, 'not_found');
	}
	for (const role of ['member', 'municipality']) assertProblem(await get(a.id, c.tokens[role]), 403, 'forbidden');
	assertProblem(await get(uuid()), 404, 'not_found');
	assertProblem(await get('x'), 404, 'not_found');
});

test('PATCH /v1/customers/{id}: fields change, ETag grows, stale If-Match → 412, address removable, audit; roles and scope', async () => {
	const a = await apiCustomer(srv, c.admin, c.coopA, { address: address(), kvk_number: VALID.kvk });
	const r = await patch(a.id, { payment_terms_days: 60, email: 'ap@klant.example' }, c.bookkeeperA.token, { 'if-match': '"1"' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.payment_terms_days, 60);
	assert.equal(r.json.email, 'ap@klant.example');
	assert.equal(r.json.name, a.name);
	assert.deepEqual(r.json.address, a.address);
	assertEtag(r, 2);
	assertProblem(await patch(a.id, { payment_terms_days: 10 }, c.bookkeeperA.token, { 'if-match': '"1"' }), 412, 'precondition_failed');
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: a.id, action: 'customer.update', actorRole: 'bookkeeper' });
	const noAddr = await patch(a.id, { address: null });
	assert.equal(noAddr.status, 200, noAddr.text);
	assert.equal(noAddr.json.address, null);
	const again = await patch(a.id, { address: address({ postal_code: '9999zz' }) });
	assert.equal(again.status, 200, again.text);
	assert.equal(again.json.address.postal_code, '9999 ZZ');
	// validation
	assertProblem(await patch(a.id, { vat_id: INVALID.vat }), 422, 'validation_failed', { field: 'vat_id', fieldCode: 'invalid_vat_id' });
	assertProblem(await patch(a.id, { kvk_number: INVALID.kvk }), 422, 'validation_failed', { field: 'kvk_number', fieldCode: 'invalid_kvk_number' });
	assertProblem(await patch(a.id, { name: null }), 422, 'validation_failed', { field: 'name', fieldCode: 'invalid_type' });
	assertProblem(await patch(a.id, { payment_terms_days: 12.5 }), 422, 'validation_failed', { field: 'payment_terms_days', fieldCode: 'invalid_type' });
	assertProblem(await patch(a.id, { cooperative_id: c.coopB }), 422, 'validation_failed', { field: 'cooperative_id', fieldCode: 'unknown_field' });
	// roles and scope
	const b = await apiCustomer(srv, c.admin, c.coopB);
	for (const role of ['auditor', 'member', 'municipality']) assertProblem(await patch(a.id, { payment_terms_days: 1 }, c.tokens[role]), 403, 'forbidden');
	for (const role of ['coop_admin', 'bookkeeper']) assertProblem(await patch(b.id, { payment_terms_days: 1 }, c.tokens[role]), 404, 'not_found');
	assertProblem(await patch(uuid(), { payment_terms_days: 1 }), 404, 'not_found');
	assert.equal((await get(b.id)).json.payment_terms_days, 30);
});

test('GET customers: creation order, pagination, own cooperative only, ?name= substring case-insensitive; member/municipality → 403', async () => {
	const coop = (await apiCooperative(srv, c.admin)).id;
	const names = ['Bakkerij Jansen', 'Fietsenmaker De Spaak', 'BAKKER & Zn', 'Kapsalon Knip', 'Zorgboerderij'];
	const made = [];
	for (const n of names) made.push((await apiCustomer(srv, c.admin, coop, { name: n })).id);
	const all = await listAll(srv, c.admin, customers(coop), 2);
	assert.deepEqual(all.map((x) => x.id), made);
	for (const x of all) assertKeys(x, KEYS, 'customer');
	const byName = async (q) => (await listAll(srv, c.admin, `${customers(coop)}?name=${encodeURIComponent(q)}`, 50)).map((x) => x.name);
	assert.deepEqual(await byName('bakker'), ['Bakkerij Jansen', 'BAKKER & Zn']);
	assert.deepEqual(await byName('SPAAK'), ['Fietsenmaker De Spaak']);
	assert.deepEqual(await byName('& z'), ['BAKKER & Zn']);
	assert.deepEqual(await byName('nobody'), []);
	assert.deepEqual((await listAll(srv, c.admin, `${customers(coop)}?name=a`, 1)).length, 4, 'filter with pages');
	for (const role of ['coop_admin', 'bookkeeper', 'auditor']) {
		const mine = await listAll(srv, c.tokens[role], customers(c.coopA), 50);
		assert.ok(mine.every((x) => x.cooperative_id === c.coopA));
		assertProblem(await srv.api('GET', customers(coop), { token: c.tokens[role] }), 404, 'not_found');
	}
	assertProblem(await srv.api('GET', customers(c.coopA), { token: c.tokens.municipality }), 403, 'forbidden');
	// a member chooses a customer for its draft: id, name and place only, its own cooperative's
	const chosen = await listAll(srv, c.tokens.member, customers(c.coopA), 50);
	assert.ok(chosen.length > 0);
	for (const x of chosen) assert.deepEqual(Object.keys(x).sort(), ['city', 'country', 'id', 'name']);
	const named = await listAll(srv, c.tokens.member, `${customers(c.coopA)}?name=${encodeURIComponent(chosen[0].name)}`, 50);
	assert.ok(named.some((x) => x.id === chosen[0].id), 'the name filter applies');
	assertProblem(await srv.api('GET', customers(coop), { token: c.tokens.member }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/customers/${chosen[0].id}`, { token: c.tokens.member }), 403, 'forbidden');
	const csv = await srv.api('GET', customers(c.coopA), { token: c.tokens.member, headers: { accept: 'text/csv' } });
	assert.match(csv.headers.get('content-type'), /^application\/json/, 'members get no CSV export of the customers');
	assertProblem(await srv.api('GET', customers(uuid()), { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', `${customers(coop)}?limit=0`, { token: c.admin }), 400, 'invalid_parameter');
});

test('GET customers with Accept: text/csv: header row, quoting, the address spread over columns, ?name= applies', async () => {
	const coop = (await apiCooperative(srv, c.admin)).id;
	const a = await apiCustomer(srv, c.admin, coop, { name: 'Smit, "De Haan" & Co', address: address(), kvk_number: VALID.kvk, peppol_id: '0106:12345678' });
	const b = await apiCustomer(srv, c.admin, coop, { name: 'Zonder Adres' });
	const r = await srv.api('GET', customers(coop), { token: c.admin, headers: { accept: 'text/csv' } });
	assert.equal(r.status, 200, r.text);
	assert.match(r.headers.get('content-type') ?? '', /^text\/csv/);
	assert.ok(r.text.includes('"Smit, ""De Haan"" & Co"'), r.text);
	assert.ok(r.text.endsWith('\r\n'));
	const rows = csvRows(r.text);
	assert.deepEqual(rows[0], CSV_HEADER);
	assert.equal(rows.length, 3);
	const obj = (row) => Object.fromEntries(CSV_HEADER.map((h, i) => [h, row[i]]));
	const ra = obj(rows[1]);
	assert.equal(ra.id, a.id);
	assert.equal(ra.cooperative_id, coop, 'the cooperative_id column the contract promises');
	assert.equal(ra.name, 'Smit, "De Haan" & Co');
	assert.equal(ra.street, a.address.street);
	assert.equal(ra.postal_code, a.address.postal_code);
	assert.equal(ra.country, 'NL');
	assert.equal(ra.kvk_number, VALID.kvk);
	assert.equal(ra.peppol_id, '0106:12345678');
	assert.equal(ra.payment_terms_days, '30');
	assert.match(ra.created_at, RFC3339_UTC);
	const rb = obj(rows[2]);
	assert.equal(rb.id, b.id);
	assert.equal(rb.street, '');
	const f = csvRows((await srv.api('GET', `${customers(coop)}?name=zonder`, { token: c.admin, headers: { accept: 'text/csv' } })).text);
	assert.deepEqual(f.map((row) => row[0]), ['id', b.id]);
	assertProblem(await srv.api('GET', customers(coop), { token: c.coopAdminA.token, headers: { accept: 'text/csv' } }), 404, 'not_found');
	assertProblem(await srv.api('GET', customers(coop), { token: c.memberUserA.token, headers: { accept: 'text/csv' } }), 404, 'not_found'); // members may list their own cooperative's customers (JSON only)
	const aud = await srv.api('GET', customers(c.coopA), { token: c.auditorA.token, headers: { accept: 'text/csv' } });
	assert.equal(aud.status, 200);
	assert.deepEqual(csvRows(aud.text)[0], CSV_HEADER);
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
