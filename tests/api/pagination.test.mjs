// Cursor pagination of lists: limit 1..200 (default 50), next_cursor until null, creation order,
// no duplicates, bad limit or cursor → 400 invalid_parameter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, createUser, createCooperative, assertProblem, listAll, hex } from './harness.mjs';

let env;
let srv;
let admin;
let coop;
let made = [];

before(async () => {
	env = await setup();
	srv = env.srv;
	admin = await srv.adminToken();
	coop = await createCooperative(env.dbUrl, 'Coop Pages');
	for (let i = 0; i < 5; i++) made.push((await createUser(srv, admin, { role: 'bookkeeper', cooperative_id: coop })).user);
});
after(() => srv?.kill());

test('limit=2 pages follow next_cursor until null, in creation order, with no duplicates', async () => {
	const pages = [];
	let url = `/v1/users?cooperative_id=${coop}&limit=2`;
	for (;;) {
		const r = await srv.api('GET', url, { token: admin });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(Object.keys(r.json).sort(), ['data', 'next_cursor']);
		assert.ok(r.json.data.length <= 2);
		pages.push(r.json.data);
		if (r.json.next_cursor === null) break;
		assert.equal(typeof r.json.next_cursor, 'string');
		assert.ok(pages.length < 10, 'pagination ends');
		url = `/v1/users?cooperative_id=${coop}&limit=2&after=${encodeURIComponent(r.json.next_cursor)}`;
	}
	const ids = pages.flat().map((u) => u.id);
	assert.deepEqual(ids, made.map((u) => u.id));
	assert.equal(new Set(ids).size, ids.length, 'no duplicates');
	assert.deepEqual(pages.slice(0, 2).map((p) => p.length), [2, 2]);
});

test('the last page has next_cursor null; a single page that holds everything too', async () => {
	const r = await srv.api('GET', `/v1/users?cooperative_id=${coop}&limit=200`, { token: admin });
	assert.equal(r.status, 200);
	assert.equal(r.json.data.length, 5);
	assert.equal(r.json.next_cursor, null);
	const exact = await srv.api('GET', `/v1/users?cooperative_id=${coop}&limit=5`, { token: admin });
	assert.equal(exact.json.data.length, 5);
	if (exact.json.next_cursor !== null) {
		const rest = await srv.api('GET', `/v1/users?cooperative_id=${coop}&limit=5&after=${encodeURIComponent(exact.json.next_cursor)}`, { token: admin });
		assert.deepEqual(rest.json, { data: [], next_cursor: null });
	}
});

test('limit=1 walks every item one by one', async () => {
	const all = await listAll(srv, admin, `/v1/users?cooperative_id=${coop}`, 1);
	assert.deepEqual(all.map((u) => u.id), made.map((u) => u.id));
});

test('without limit a page holds at most 50 items', async () => {
	const big = await createCooperative(env.dbUrl, 'Coop Big');
	await env.sql(
		`insert into users(username, secret_hash, role, cooperative_id) select 'bulk.${hex(3)}.' || g, '$y$dummy', 'bookkeeper', '${big}' from generate_series(1, 60) g`,
	);
	const r = await srv.api('GET', `/v1/users?cooperative_id=${big}`, { token: admin });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.data.length, 50);
	assert.equal(typeof r.json.next_cursor, 'string');
	const r2 = await srv.api('GET', `/v1/users?cooperative_id=${big}&after=${encodeURIComponent(r.json.next_cursor)}`, { token: admin });
	assert.equal(r2.json.data.length, 10);
	assert.equal(r2.json.next_cursor, null);
	const ids = [...r.json.data, ...r2.json.data].map((u) => u.username);
	assert.deepEqual(ids, Array.from({ length: 60 }, (_, i) => ids[0].replace(/\d+$/, String(i + 1))), 'creation order');
	const max = await srv.api('GET', `/v1/users?cooperative_id=${big}&limit=200`, { token: admin });
	assert.equal(max.json.data.length, 60);
});

test('items created while paging show up on later pages, never twice', async () => {
	const p1 = await srv.api('GET', `/v1/users?cooperative_id=${coop}&limit=2`, { token: admin });
	const extra = (await createUser(srv, admin, { role: 'auditor', cooperative_id: coop })).user;
	made.push(extra);
	const rest = await listAll(srv, admin, `/v1/users?cooperative_id=${coop}`, 2, p1.json.next_cursor);
	const ids = [...p1.json.data, ...rest].map((u) => u.id);
	assert.deepEqual(ids, made.map((u) => u.id));
});

test('limit outside 1..200 or not an integer answers 400 invalid_parameter', async () => {
	for (const l of ['0', '201', 'abc', '-1', '1.5', '', '1e2', '10abc', '99999999999999999999']) {
		assertProblem(await srv.api('GET', `/v1/users?limit=${encodeURIComponent(l)}`, { token: admin }), 400, 'invalid_parameter');
	}
});

test('a bad cursor answers 400 invalid_parameter', async () => {
	for (const cur of ['garbage', '!!!', 'not a cursor', '{"seq":1}', 'c-5', `c${'z'.repeat(40)}`, 'c', '\u00e9t\u00e9']) {
		const r = await srv.api('GET', `/v1/users?after=${encodeURIComponent(cur)}`, { token: admin });
		assertProblem(r, 400, 'invalid_parameter');
	}
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
