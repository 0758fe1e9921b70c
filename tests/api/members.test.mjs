// Members: create/read/update with validation (identifiers, address, municipality reference),
// scope (coop roles: own cooperative; member: own record), the lifecycle (every allowed and
// forbidden transition), a move, filters, pagination, CSV, ETag/If-Match, idempotency, audit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, coreCast, assertProblem, assertEtag, assertKeys, assertAudited, assertIdempotentCreate, apiCooperative,
	apiMember, apiMunicipality, memberBody, address, listAll, csvRows, rawJson, uuid, VALID, INVALID, RFC3339_UTC, UUID_RE,
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

const KEYS = ['id', 'cooperative_id', 'first_name', 'last_name', 'date_of_birth', 'address', 'email', 'phone', 'iban', 'municipality_code', 'municipal_reference', 'on_benefit', 'activity_description', 'activity_category', 'status', 'joined_on', 'left_on', 'exit_reason', 'created_at', 'updated_at'];
const CSV_HEADER = ['id', 'cooperative_id', 'first_name', 'last_name', 'date_of_birth', 'street', 'house_number', 'postal_code', 'city', 'country', 'email', 'phone', 'iban', 'municipality_code', 'municipal_reference', 'on_benefit', 'activity_description', 'activity_category', 'status', 'joined_on', 'left_on', 'exit_reason', 'created_at', 'updated_at'];
const members = (coop) => `/v1/cooperatives/${coop}/members`;
const post = (body, token = c.admin, coop = c.coopA) => srv.api('POST', members(coop), { token, body });
const patch = (id, body, token = c.admin, headers = {}) => srv.api('PATCH', `/v1/members/${id}`, { token, body, headers });
const get = (id, token = c.admin) => srv.api('GET', `/v1/members/${id}`, { token });

// ---------------------------------------------------------------------------------------------
// Creating and reading.
test('POST members with the required fields: 201 applicant on benefit, Location, ETag, audit member.create in the cooperative chain', async () => {
	const body = memberBody(c.muni1);
	const r = await post(body, c.bookkeeperA.token);
	assert.equal(r.status, 201, r.text);
	assertKeys(r.json, KEYS, 'member');
	assert.match(r.json.id, UUID_RE);
	assert.match(r.json.created_at, RFC3339_UTC);
	assert.equal(r.json.cooperative_id, c.coopA);
	assert.equal(r.json.status, 'applicant');
	assert.equal(r.json.on_benefit, true);
	assert.equal(r.json.municipality_code, c.muni1);
	assert.equal(r.json.date_of_birth, body.date_of_birth);
	assert.deepEqual(r.json.address, { ...body.address, country: 'NL' });
	for (const k of ['email', 'phone', 'iban', 'municipal_reference', 'activity_description', 'activity_category', 'joined_on', 'left_on', 'exit_reason']) assert.equal(r.json[k], null, k);
	assert.equal(r.headers.get('location'), `/v1/members/${r.json.id}`);
	assertEtag(r, 1);
	const g = await get(r.json.id, c.auditorA.token);
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, r.json);
	assertEtag(g, 1);
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: r.json.id, action: 'member.create', actorRole: 'bookkeeper', otherChain: null });
});

test('POST members with every field; status active needs joined_on; IBAN and postal code normalised', async () => {
	const body = memberBody(c.muni2, {
		email: 'fatima@example.org',
		phone: '06-12345678',
		iban: 'nl02abna0123456789',
		municipal_reference: 'PW-2025-0042',
		on_benefit: false,
		activity_description: 'Fietsen repareren aan huis',
		activity_category: 'bike_repair',
		status: 'active',
		joined_on: '2025-02-01',
		address: address({ postal_code: '1012ab' }),
	});
	const r = await post(body, c.coopAdminA.token);
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.iban, VALID.iban2);
	assert.equal(r.json.address.postal_code, '1012 AB');
	for (const k of ['email', 'phone', 'municipal_reference', 'on_benefit', 'activity_description', 'activity_category', 'status', 'joined_on', 'municipality_code']) assert.deepEqual(r.json[k], body[k], k);
	assertProblem(await post(memberBody(c.muni1, { status: 'active' })), 422, 'validation_failed', { field: 'joined_on', fieldCode: 'required' });
	assertProblem(await post(memberBody(c.muni1, { status: 'active', joined_on: null })), 422, 'validation_failed', { field: 'joined_on', fieldCode: 'required' });
	for (const s of ['suspended', 'ended']) assertProblem(await post(memberBody(c.muni1, { status: s, joined_on: '2025-01-01' })), 422, 'validation_failed', { field: 'status', fieldCode: 'invalid_value' });
	assertProblem(await post(memberBody(c.muni1, { status: 'retired' })), 422, 'validation_failed', { field: 'status', fieldCode: 'invalid_value' });
	const withJoin = await post(memberBody(c.muni1, { joined_on: '2025-03-01' }));
	assert.equal(withJoin.status, 201, 'an applicant may carry a joined_on');
	assert.equal(withJoin.json.status, 'applicant');
});

test('POST members identifier vectors (RULES.md §4) and the municipality reference', async () => {
	const cases = [
		[{ iban: INVALID.iban }, 'iban', 'invalid_iban'],
		[{ email: 'fatima-at-example.org' }, 'email', 'invalid_email'],
		[{ municipality_code: INVALID.municipality }, 'municipality_code', 'invalid_municipality_code'],
		[{ address: address({ postal_code: INVALID.postal[0] }) }, 'address.postal_code', 'invalid_postal_code'],
		[{ address: address({ postal_code: INVALID.postal[1] }) }, 'address.postal_code', 'invalid_postal_code'],
	];
	for (const [over, field, code] of cases) assertProblem(await post(memberBody(c.muni1, over)), 422, 'validation_failed', { field, fieldCode: code });
	const ref = assertProblem(await post(memberBody('GM9995')), 422, 'invalid_reference', { field: 'municipality_code', fieldCode: 'invalid_reference' });
	assert.equal(ref.errors.length, 1);
});

test('POST members validation: required fields, dates, category, lengths, types, unknown and read-only fields', async () => {
	for (const k of ['first_name', 'last_name', 'date_of_birth', 'address', 'municipality_code']) {
		const b = memberBody(c.muni1);
		delete b[k];
		assertProblem(await post(b), 422, 'validation_failed', { field: k, fieldCode: 'required' });
	}
	assertProblem(await post(memberBody(c.muni1, { date_of_birth: '1985-02-29' })), 422, 'validation_failed', { field: 'date_of_birth', fieldCode: 'invalid_value' });
	assertProblem(await post(memberBody(c.muni1, { date_of_birth: '14-03-1985' })), 422, 'validation_failed', { field: 'date_of_birth', fieldCode: 'invalid_value' });
	assertProblem(await post(memberBody(c.muni1, { first_name: '' })), 422, 'validation_failed', { field: 'first_name', fieldCode: 'too_short' });
	assertProblem(await post(memberBody(c.muni1, { last_name: 'x'.repeat(101) })), 422, 'validation_failed', { field: 'last_name', fieldCode: 'too_long' });
	assertProblem(await post(memberBody(c.muni1, { activity_category: 'Bike Repair' })), 422, 'validation_failed', { field: 'activity_category', fieldCode: 'invalid_value' });
	assertProblem(await post(memberBody(c.muni1, { on_benefit: 'true' })), 422, 'validation_failed', { field: 'on_benefit', fieldCode: 'invalid_type' });
	assertProblem(await post(memberBody(c.muni1, { address: address({ city: undefined }) })), 422, 'validation_failed', { field: 'address.city', fieldCode: 'required' });
	for (const k of ['id', 'cooperative_id', 'created_at', 'left_on', 'exit_reason', 'bsn']) {
		assertProblem(await post(memberBody(c.muni1, { [k]: k === 'cooperative_id' ? c.coopB : '2025-01-01' })), 422, 'validation_failed', { field: k, fieldCode: 'unknown_field' });
	}
	assert.equal(Number((await env.sql(`select count(*) as n from members where cooperative_id = '${c.coopB}' and first_name = 'Fatima'`))[0].n), 0);
});

test('POST members: roles and scope (member/auditor/municipality → 403; another cooperative → 404; unknown → 404)', async () => {
	for (const role of ['auditor', 'member', 'municipality']) assertProblem(await post(memberBody(c.muni1), c.tokens[role]), 403, 'forbidden');
	for (const role of ['coop_admin', 'bookkeeper']) assertProblem(await post(memberBody(c.muni1), c.tokens[role], c.coopB), 404, 'not_found');
	assertProblem(await post(memberBody(c.muni1), c.admin, uuid()), 404, 'not_found');
	assert.equal((await post(memberBody(c.muni2), c.bookkeeperB.token, c.coopB)).status, 201);
});

test('POST members with an Idempotency-Key replays the 201 and creates one member', async () => {
	const count = async () => Number((await env.sql(`select count(*) as n from members where cooperative_id = '${c.coopA}'`))[0].n);
	await assertIdempotentCreate(srv, c.bookkeeperA.token, members(c.coopA), memberBody(c.muni1, { first_name: 'Idem' }), count);
});

test('GET /v1/members/{id}: coop roles of its cooperative; the member its own record only; others → 404; municipality → 403', async () => {
	for (const role of ['platform_admin', 'coop_admin', 'bookkeeper', 'auditor']) {
		const r = await get(c.memberA, c.tokens[role]);
		assert.equal(r.status, 200, role);
		assertEtag(r);
		if (role !== 'platform_admin') assertProblem(await get(c.memberB, c.tokens[role]), 404, 'not_found');
	}
	const own = await get(c.memberA, c.memberUserA.token);
	assert.equal(own.status, 200);
	assert.equal(own.json.id, c.memberA);
	assertProblem(await get(c.memberA2, c.memberUserA.token), 404, 'not_found');
	assertProblem(await get(c.memberB, c.memberUserA.token), 404, 'not_found');
	assertProblem(await get(c.memberA, c.municipalityUser.token), 403, 'forbidden');
	assertProblem(await get(uuid()), 404, 'not_found');
	assertProblem(await get('123'), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/members/${c.memberA}`, {}), 401, 'unauthorized');
});

// ---------------------------------------------------------------------------------------------
// Updating and the lifecycle.
test('PATCH members: fields change, ETag grows, stale If-Match → 412, audit member.update; roles and scope', async () => {
	const m = await apiMember(srv, c.admin, c.coopA, c.muni1);
	const r = await patch(m.id, { phone: '+31612345678', municipal_reference: 'REF-1', email: 'nieuw@example.org' }, c.bookkeeperA.token, { 'if-match': '"1"' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.phone, '+31612345678');
	assert.equal(r.json.municipal_reference, 'REF-1');
	assert.equal(r.json.first_name, m.first_name, 'untouched fields stay');
	assertEtag(r, 2);
	assertProblem(await patch(m.id, { phone: '+31600000000' }, c.bookkeeperA.token, { 'if-match': '"1"' }), 412, 'precondition_failed');
	assert.equal((await get(m.id)).json.phone, '+31612345678');
	await assertAudited(srv, c.admin, { chain: c.coopA, objectId: m.id, action: 'member.update', actorRole: 'bookkeeper' });
	for (const role of ['auditor', 'member', 'municipality']) assertProblem(await patch(m.id, { phone: '+31600000000' }, c.tokens[role]), 403, 'forbidden');
	for (const role of ['coop_admin', 'bookkeeper']) assertProblem(await patch(c.memberB, { phone: '+31600000000' }, c.tokens[role]), 404, 'not_found');
	assertProblem(await patch(uuid(), { phone: '+31600000000' }), 404, 'not_found');
	// validation on PATCH
	assertProblem(await patch(m.id, { iban: INVALID.iban }), 422, 'validation_failed', { field: 'iban', fieldCode: 'invalid_iban' });
	assertProblem(await patch(m.id, { address: address({ postal_code: INVALID.postal[0] }) }), 422, 'validation_failed', { field: 'address.postal_code', fieldCode: 'invalid_postal_code' });
	assertProblem(await patch(m.id, { first_name: null }), 422, 'validation_failed', { field: 'first_name', fieldCode: 'invalid_type' });
	assertProblem(await patch(m.id, { cooperative_id: c.coopB }), 422, 'validation_failed', { field: 'cooperative_id', fieldCode: 'unknown_field' });
	assertProblem(await patch(m.id, { exit_reason: 'bored' }), 422, 'validation_failed', { field: 'exit_reason', fieldCode: 'invalid_value' });
	assertEtag(await get(m.id), 2);
});

test('a move: municipality_code and on_benefit change by PATCH; an unknown municipality → 422 invalid_reference', async () => {
	const m = await apiMember(srv, c.admin, c.coopA, c.muni1);
	const r = await patch(m.id, { municipality_code: c.muni2, on_benefit: false });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.municipality_code, c.muni2);
	assert.equal(r.json.on_benefit, false);
	assertProblem(await patch(m.id, { municipality_code: 'GM9994' }), 422, 'invalid_reference', { field: 'municipality_code', fieldCode: 'invalid_reference' });
	assertProblem(await patch(m.id, { municipality_code: INVALID.municipality }), 422, 'validation_failed', { field: 'municipality_code', fieldCode: 'invalid_municipality_code' });
	assert.equal((await get(m.id)).json.municipality_code, c.muni2);
});

/** A member in the given status (through the API). */
async function memberIn(status) {
	const m = await apiMember(srv, c.admin, c.coopA, c.muni1, status === 'applicant' ? {} : { status: 'active', joined_on: '2025-01-01' });
	if (status === 'suspended') assert.equal((await patch(m.id, { status: 'suspended' })).status, 200);
	if (status === 'ended') assert.equal((await patch(m.id, { status: 'ended', left_on: '2025-06-30', exit_reason: 'employment' })).status, 200);
	const g = await get(m.id);
	assert.equal(g.json.status, status);
	return g.json;
}

const ALLOWED = [
	['applicant', 'active'],
	['active', 'suspended'],
	['active', 'ended'],
	['suspended', 'active'],
	['suspended', 'ended'],
];
const STATUSES = ['applicant', 'active', 'suspended', 'ended'];

test('every allowed transition succeeds (with joined_on, left_on and exit_reason where needed) and is audited', async () => {
	for (const [from, to] of ALLOWED) {
		const m = await memberIn(from);
		const body = { status: to };
		if (to === 'active' && from === 'applicant') body.joined_on = '2025-03-01';
		if (to === 'ended') Object.assign(body, { left_on: '2025-09-30', exit_reason: 'full_time_business' });
		const r = await patch(m.id, body, c.bookkeeperA.token);
		assert.equal(r.status, 200, `${from} → ${to}: ${r.text}`);
		assert.equal(r.json.status, to);
		if (to === 'ended') {
			assert.equal(r.json.left_on, '2025-09-30');
			assert.equal(r.json.exit_reason, 'full_time_business');
		}
		const ev = await listAll(srv, c.admin, `/v1/cooperatives/${c.coopA}/audit-events?object_id=${m.id}&action=member.update`, 200);
		assert.ok(ev.some((e) => e.changes?.status === to), `${from} → ${to} audited: ${JSON.stringify(ev)}`);
	}
});

test('every other transition → 409 invalid_status_transition and changes nothing', async () => {
	let checked = 0;
	for (const from of STATUSES) {
		for (const to of STATUSES) {
			if (from === to || ALLOWED.some(([f, t]) => f === from && t === to)) continue;
			const m = await memberIn(from);
			const body = { status: to, joined_on: '2025-01-01' };
			if (to === 'ended') Object.assign(body, { left_on: '2025-12-31', exit_reason: 'other' });
			assertProblem(await patch(m.id, body), 409, 'invalid_status_transition');
			const after = await get(m.id);
			assert.equal(after.json.status, from, `${from} → ${to} left the status alone`);
			assertEtag(after, m.status === 'applicant' ? 1 : undefined);
			checked++;
		}
	}
	assert.equal(checked, 7, 'applicant→suspended/ended, active→applicant, suspended→applicant, ended→applicant/active/suspended');
});

test('the same status again is no transition: 200', async () => {
	for (const s of STATUSES) {
		const m = await memberIn(s);
		const r = await patch(m.id, { status: s });
		assert.equal(r.status, 200, `${s} → ${s}: ${r.text}`);
		assert.equal(r.json.status, s);
	}
});

test('becoming active needs joined_on (in the body or already set); ending needs left_on and exit_reason', async () => {
	const a = await memberIn('applicant');
	assertProblem(await patch(a.id, { status: 'active' }), 422, 'validation_failed', { field: 'joined_on', fieldCode: 'required' });
	assertProblem(await patch(a.id, { status: 'active', joined_on: null }), 422, 'validation_failed', { field: 'joined_on', fieldCode: 'required' });
	assert.equal((await get(a.id)).json.status, 'applicant');
	const pre = await apiMember(srv, c.admin, c.coopA, c.muni1, { joined_on: '2025-04-01' });
	const act = await patch(pre.id, { status: 'active' });
	assert.equal(act.status, 200, 'joined_on already set: ' + act.text);
	assert.equal(act.json.joined_on, '2025-04-01');
	for (const from of ['active', 'suspended']) {
		const m = await memberIn(from);
		assertProblem(await patch(m.id, { status: 'ended', exit_reason: 'moved' }), 422, 'validation_failed', { field: 'left_on', fieldCode: 'required' });
		assertProblem(await patch(m.id, { status: 'ended', left_on: '2025-12-31' }), 422, 'validation_failed', { field: 'exit_reason', fieldCode: 'required' });
		const both = assertProblem(await patch(m.id, { status: 'ended' }), 422, 'validation_failed');
		assert.deepEqual(both.errors.map((e) => e.field).sort(), ['exit_reason', 'left_on']);
		assert.equal((await get(m.id)).json.status, from);
		// left_on and exit_reason set first, ended later
		assert.equal((await patch(m.id, { left_on: '2025-12-31', exit_reason: 'deceased' })).status, 200);
		const r = await patch(m.id, { status: 'ended' });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.exit_reason, 'deceased');
	}
	for (const reason of ['employment', 'full_time_business', 'bbz', 'other_income', 'moved', 'deceased', 'other']) {
		const m = await memberIn('active');
		const r = await patch(m.id, { status: 'ended', left_on: '2025-10-31', exit_reason: reason });
		assert.equal(r.status, 200, `${reason}: ${r.text}`);
	}
});

test('an ended member cannot lose its left_on or exit_reason; left_on before joined_on → 422', async () => {
	const m = await memberIn('ended');
	assertProblem(await patch(m.id, { left_on: null }), 422, 'validation_failed');
	assertProblem(await patch(m.id, { exit_reason: null }), 422, 'validation_failed');
	const a = await memberIn('active');
	assertProblem(await patch(a.id, { status: 'ended', left_on: '2024-12-31', exit_reason: 'moved' }), 422, 'validation_failed');
	assert.equal((await get(a.id)).json.status, 'active');
});

// ---------------------------------------------------------------------------------------------
// Lists, filters, CSV.
test('GET members: creation order, pagination, the cooperative\'s own members only; member/municipality → 403; another cooperative → 404', async () => {
	const coop = (await apiCooperative(srv, c.admin)).id;
	const made = [];
	for (let i = 0; i < 5; i++) made.push((await apiMember(srv, c.admin, coop, c.muni1, { first_name: `Lid${i}` })).id);
	const all = await listAll(srv, c.admin, members(coop), 2);
	assert.deepEqual(all.map((m) => m.id), made);
	for (const m of all) assertKeys(m, KEYS, 'member');
	for (const role of ['coop_admin', 'bookkeeper', 'auditor']) {
		const mine = await listAll(srv, c.tokens[role], members(c.coopA), 50);
		assert.ok(mine.every((m) => m.cooperative_id === c.coopA));
		assert.ok(mine.some((m) => m.id === c.memberA));
		assertProblem(await srv.api('GET', members(coop), { token: c.tokens[role] }), 404, 'not_found');
	}
	for (const role of ['member', 'municipality']) assertProblem(await srv.api('GET', members(c.coopA), { token: c.tokens[role] }), 403, 'forbidden');
	assertProblem(await srv.api('GET', members(uuid()), { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', `${members(coop)}?limit=201`, { token: c.admin }), 400, 'invalid_parameter');
});

test('GET members filters: status, municipality_code, on_benefit, activity_category (combined); bad values → 400', async () => {
	const coop = (await apiCooperative(srv, c.admin)).id;
	const m2 = await apiMunicipality(srv, c.admin);
	const a = await apiMember(srv, c.admin, coop, c.muni1, { activity_category: 'catering' });
	const b = await apiMember(srv, c.admin, coop, m2, { status: 'active', joined_on: '2025-01-01', on_benefit: false, activity_category: 'catering' });
	const d = await apiMember(srv, c.admin, coop, m2, { status: 'active', joined_on: '2025-01-01', activity_category: 'gardening' });
	const ids = async (q) => (await listAll(srv, c.admin, `${members(coop)}?${q}`, 50)).map((m) => m.id);
	assert.deepEqual(await ids('status=applicant'), [a.id]);
	assert.deepEqual(await ids('status=active'), [b.id, d.id]);
	assert.deepEqual(await ids('status=ended'), []);
	assert.deepEqual(await ids(`municipality_code=${m2}`), [b.id, d.id]);
	assert.deepEqual(await ids('on_benefit=false'), [b.id]);
	assert.deepEqual(await ids('on_benefit=true'), [a.id, d.id]);
	assert.deepEqual(await ids('activity_category=catering'), [a.id, b.id]);
	assert.deepEqual(await ids(`status=active&activity_category=catering&municipality_code=${m2}`), [b.id]);
	assert.deepEqual(await ids('status=active&on_benefit=true'), [d.id]);
	assertProblem(await srv.api('GET', `${members(coop)}?status=retired`, { token: c.admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', `${members(coop)}?on_benefit=yes`, { token: c.admin }), 400, 'invalid_parameter');
	// a filter with pagination
	const paged = await listAll(srv, c.admin, `${members(coop)}?activity_category=catering`, 1);
	assert.deepEqual(paged.map((m) => m.id), [a.id, b.id]);
});

test('GET members with Accept: text/csv: RFC 4180 with a header row, quoting, booleans, the filters apply', async () => {
	const coop = (await apiCooperative(srv, c.admin)).id;
	const a = await apiMember(srv, c.admin, coop, c.muni1, { first_name: 'Jan, Piet', last_name: 'de "Bakker"', activity_description: 'Koken; bakken' });
	const b = await apiMember(srv, c.admin, coop, c.muni2, { status: 'active', joined_on: '2025-01-01', on_benefit: false, iban: VALID.iban, email: 'b@example.org' });
	const r = await srv.api('GET', members(coop), { token: c.admin, headers: { accept: 'text/csv' } });
	assert.equal(r.status, 200, r.text);
	assert.match(r.headers.get('content-type') ?? '', /^text\/csv/);
	assert.ok(r.text.includes('\r\n'), 'CRLF line ends');
	assert.ok(r.text.includes('"Jan, Piet"'), 'a comma is quoted');
	assert.ok(r.text.includes('"de ""Bakker"""'), 'a quote is doubled inside quotes');
	const rows = csvRows(r.text);
	assert.deepEqual(rows[0], CSV_HEADER);
	assert.equal(rows.length, 3, r.text);
	const obj = (row) => Object.fromEntries(CSV_HEADER.map((h, i) => [h, row[i]]));
	const ra = obj(rows[1]);
	const rb = obj(rows[2]);
	assert.equal(ra.id, a.id);
	assert.equal(ra.cooperative_id, coop, 'the cooperative_id column the contract promises');
	assert.equal(ra.first_name, 'Jan, Piet');
	assert.equal(ra.last_name, 'de "Bakker"');
	assert.equal(ra.postal_code, a.address.postal_code);
	assert.equal(ra.on_benefit, 'true');
	assert.equal(ra.status, 'applicant');
	assert.equal(ra.email, '');
	assert.equal(ra.date_of_birth, a.date_of_birth);
	assert.equal(rb.id, b.id);
	assert.equal(rb.on_benefit, 'false');
	assert.equal(rb.iban, VALID.iban);
	assert.equal(rb.joined_on, '2025-01-01');
	assert.match(rb.created_at, RFC3339_UTC);
	const f = await srv.api('GET', `${members(coop)}?status=active`, { token: c.admin, headers: { accept: 'text/csv' } });
	const frows = csvRows(f.text);
	assert.equal(frows.length, 2);
	assert.equal(frows[1][0], b.id);
	// an empty list still has its header
	const empty = await srv.api('GET', `${members(coop)}?status=ended`, { token: c.admin, headers: { accept: 'text/csv' } });
	assert.equal(empty.status, 200);
	assert.deepEqual(csvRows(empty.text), [CSV_HEADER]);
	// scope and roles as for JSON
	assertProblem(await srv.api('GET', members(coop), { token: c.coopAdminA.token, headers: { accept: 'text/csv' } }), 404, 'not_found');
	assertProblem(await srv.api('GET', members(coop), { token: c.memberUserA.token, headers: { accept: 'text/csv' } }), 403, 'forbidden');
	const aud = await srv.api('GET', members(c.coopA), { token: c.auditorA.token, headers: { accept: 'text/csv' } });
	assert.equal(aud.status, 200);
	assert.ok(csvRows(aud.text).slice(1).some((row) => row[0] === c.memberA));
});

test('a real number in a JSON body where a string or boolean is expected → invalid_type (raw JSON)', async () => {
	assertProblem(await rawJson(srv, 'POST', members(c.coopA), c.admin, JSON.stringify(memberBody(c.muni1)).replace('"Fatima"', '1e2')), 422, 'validation_failed', { field: 'first_name', fieldCode: 'invalid_type' });
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
