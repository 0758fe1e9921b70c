// Idempotency-Key on POST /v1/users: replay, reuse with another body, per-user scope, concurrent
// duplicates, key syntax, errors not stored, client secrets not replayed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, cast, assertProblem, assertUser, uname, password, hex } from './harness.mjs';

let env;
let srv;
let c;

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await cast(srv, env.dbUrl);
});
after(() => srv?.kill());

const post = (token, body, key, extra = {}) =>
	srv.api('POST', '/v1/users', { token, body, headers: key === undefined ? extra : { 'idempotency-key': key, ...extra } });
const countByName = async (u) => Number((await env.sql(`select count(*) as n from users where username = '${u}'`))[0].n);
const newBody = (fields = {}) => ({ username: uname('idem'), password: password(), role: 'bookkeeper', cooperative_id: c.coopA, ...fields });

test('the same key and body replays the first response (status, body, Location) with Idempotent-Replayed: true and creates one user', async () => {
	const key = `key-${hex(8)}`;
	const body = newBody();
	const first = await post(c.admin, body, key);
	assert.equal(first.status, 201, first.text);
	assert.equal(first.headers.get('idempotent-replayed'), null, 'the first response is not a replay');
	const second = await post(c.admin, body, key);
	assert.equal(second.status, 201, second.text);
	assert.equal(second.headers.get('idempotent-replayed'), 'true');
	assert.deepEqual(second.json, first.json);
	assert.equal(second.headers.get('location'), first.headers.get('location'));
	const third = await post(c.admin, body, key);
	assert.equal(third.status, 201);
	assert.deepEqual(third.json, first.json);
	assert.equal(await countByName(body.username), 1);
});

test('a replay does not depend on the JSON key order or whitespace of the same body', async () => {
	const key = `order-${hex(8)}`;
	const body = newBody();
	const first = await post(c.admin, body, key);
	assert.equal(first.status, 201);
	const reordered = JSON.stringify(Object.fromEntries(Object.entries(body).reverse()), null, 2);
	const r = await srv.api('POST', '/v1/users', { token: c.admin, rawBody: reordered, headers: { 'idempotency-key': key } });
	assert.ok(
		(r.status === 201 && r.headers.get('idempotent-replayed') === 'true') || (r.status === 422 && r.json.code === 'idempotency_key_reused'),
		`same body reformatted: ${r.status} ${r.text}`,
	);
	assert.equal(await countByName(body.username), 1);
});

test('the same key with another body answers 422 idempotency_key_reused and creates nothing', async () => {
	const key = `reuse-${hex(8)}`;
	const a = newBody();
	assert.equal((await post(c.admin, a, key)).status, 201);
	const b = newBody();
	const r = await post(c.admin, b, key);
	assertProblem(r, 422, 'idempotency_key_reused');
	assert.equal(await countByName(b.username), 0);
});

test('keys are scoped per user: two users may use the same key', async () => {
	const key = `shared-${hex(8)}`;
	const a = newBody();
	const b = newBody();
	const ra = await post(c.admin, a, key);
	const rb = await post(c.coopAdminA.token, b, key);
	assert.equal(ra.status, 201, ra.text);
	assert.equal(rb.status, 201, rb.text);
	assert.equal(rb.headers.get('idempotent-replayed'), null);
	assert.notEqual(ra.json.id, rb.json.id);
	// even with the same body, the other user's request is not a replay of the first
	const key2 = `shared2-${hex(8)}`;
	const same = newBody();
	assert.equal((await post(c.admin, same, key2)).status, 201);
	const r2 = await post(c.coopAdminA.token, same, key2);
	assert.equal(r2.headers.get('idempotent-replayed'), null, 'not a replay of another user');
	assertProblem(r2, 409, 'already_exists');
});

test('five concurrent requests with the same key create exactly one user; the others are replays or 409 idempotency_in_progress', async () => {
	const key = `race-${hex(8)}`;
	const body = newBody();
	const rs = await Promise.all(Array.from({ length: 5 }, () => post(c.admin, body, key)));
	const fresh = rs.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') !== 'true');
	assert.equal(fresh.length, 1, `exactly one original 201: ${rs.map((r) => `${r.status}/${r.headers.get('idempotent-replayed')}`).join(', ')}`);
	for (const r of rs) {
		if (r === fresh[0]) continue;
		if (r.status === 201) {
			assert.equal(r.headers.get('idempotent-replayed'), 'true');
			assert.deepEqual(r.json, fresh[0].json);
		} else assertProblem(r, 409, 'idempotency_in_progress');
	}
	assert.equal(await countByName(body.username), 1);
	const after = await post(c.admin, body, key);
	assert.equal(after.status, 201);
	assert.equal(after.headers.get('idempotent-replayed'), 'true');
});

test('an invalid Idempotency-Key (empty, longer than 255, non-ASCII) answers 400 invalid_parameter', async () => {
	for (const key of ['', 'k'.repeat(256), 'cl\u00e9', '\u00ff'.repeat(10)]) {
		const body = newBody();
		const r = await post(c.admin, body, key);
		assertProblem(r, 400, 'invalid_parameter');
		assert.equal(await countByName(body.username), 0, `nothing created for key ${JSON.stringify(key.slice(0, 10))}`);
	}
	const ok = await post(c.admin, newBody(), `${'k'.repeat(250)}${hex(2)}`.slice(0, 255));
	assert.equal(ok.status, 201, `a 255-character key is fine: ${ok.text}`);
	const punct = await post(c.admin, newBody(), `!#$%&'()*+,-./:;<=>?@[]^_\`{|}~${hex(2)}`);
	assert.equal(punct.status, 201, `printable punctuation is fine: ${punct.text}`);
});

test('an error response is not stored: the key may be retried with a corrected body', async () => {
	const key = `err-${hex(8)}`;
	const bad = newBody({ password: 'short' });
	assertProblem(await post(c.admin, bad, key), 422, 'validation_failed');
	const good = newBody();
	const r = await post(c.admin, good, key);
	assert.equal(r.status, 201, r.text);
	assert.equal(r.headers.get('idempotent-replayed'), null);
	const dupKey = `dup-${hex(8)}`;
	assertProblem(await post(c.admin, { ...newBody(), username: good.username }, dupKey), 409, 'already_exists');
	const r2 = await post(c.admin, newBody(), dupKey);
	assert.equal(r2.status, 201, r2.text);
});

test('a client user gets its client_secret once; a replay does not contain it', async () => {
	const key = `client-${hex(8)}`;
	const body = { username: uname('cl'), kind: 'client', role: 'municipality', municipality_code: c.muni };
	const first = await post(c.admin, body, key);
	assert.equal(first.status, 201, first.text);
	assert.equal(typeof first.json.client_secret, 'string');
	const replay = await post(c.admin, body, key);
	assert.equal(replay.status, 201, replay.text);
	assert.equal(replay.headers.get('idempotent-replayed'), 'true');
	assert.ok(!('client_secret' in replay.json), `no client_secret in the replay: ${replay.text}`);
	assert.ok(!replay.text.includes(first.json.client_secret));
	assertUser(replay.json, { id: first.json.id });
	const stored = await env.sql(`select body from idempotency_keys where key = '${key}'`);
	assert.equal(stored.length, 1);
	assert.ok(!stored[0].body.includes(first.json.client_secret), 'the stored response does not keep the secret');
});

test('a stored response never contains the password of the created user', async () => {
	const key = `pw-${hex(8)}`;
	const body = newBody();
	assert.equal((await post(c.admin, body, key)).status, 201);
	const rows = await env.sql(`select * from idempotency_keys where key = '${key}'`);
	assert.equal(rows.length, 1);
	assert.ok(!JSON.stringify(rows[0]).includes(body.password));
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
