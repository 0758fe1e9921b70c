// The audit trail: every write appends an event to the right hash chain; readers and scope;
// filters; verification (ok, and after tampering); append-only trigger; no secrets in changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, cast, createUser, createCooperative, assertProblem, listAll, password, uname, hex, RFC3339_UTC, UUID_RE,
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

const coopEvents = (token, coop, q = '') => listAll(srv, token, `/v1/cooperatives/${coop}/audit-events${q}`, 200);
const platformEvents = (token, q = '') => listAll(srv, token, `/v1/audit-events${q}`, 200);
const EVENT_KEYS = ['id', 'seq', 'cooperative_id', 'municipality_code', 'occurred_at', 'actor_user_id', 'actor_role', 'action', 'object_type', 'object_id', 'request_id', 'changes', 'prev_hash', 'hash'].sort();
const HASHES = /\$y\$|\$2[aby]\$|\$6\$|\$5\$/;

function assertChain(events) {
	events.forEach((e, i) => {
		assert.deepEqual(Object.keys(e).sort(), EVENT_KEYS, JSON.stringify(e));
		assert.equal(e.seq, i + 1, 'seq counts 1, 2, ... in order');
		assert.equal(e.prev_hash, i === 0 ? '' : events[i - 1].hash, `event ${e.seq} links to its predecessor`);
		assert.match(e.hash, /^[0-9a-f]{64}$/);
		assert.match(e.occurred_at, RFC3339_UTC);
		assert.match(e.id, UUID_RE);
		assert.equal(typeof e.changes, 'object');
	});
}

test('creating a user of a cooperative appends user.create to that cooperative chain, with actor and request id', async () => {
	const rid = `audit-create-${hex(6)}`;
	const body = { username: uname('aud'), password: password(), role: 'bookkeeper', cooperative_id: c.coopA };
	const r = await srv.api('POST', '/v1/users', { token: c.admin, body, headers: { 'x-request-id': rid } });
	assert.equal(r.status, 201, r.text);
	const events = await coopEvents(c.admin, c.coopA, `?object_id=${r.json.id}`);
	assert.equal(events.length, 1, JSON.stringify(events));
	const e = events[0];
	assert.equal(e.action, 'user.create');
	assert.equal(e.object_type, 'user');
	assert.equal(e.object_id, r.json.id);
	assert.equal(e.cooperative_id, c.coopA);
	assert.equal(e.actor_user_id, c.adminUser.id);
	assert.equal(e.actor_role, 'platform_admin');
	assert.equal(e.request_id, rid);
	assert.ok(!JSON.stringify(e).includes(body.password), 'no password in the event');
	assert.doesNotMatch(JSON.stringify(e), HASHES);
	const platform = await platformEvents(c.admin, `?object_id=${r.json.id}`);
	assert.equal(platform.length, 0, 'not in the platform chain');
});

test('PATCH and DELETE append user.update and user.disable; a password change never shows the password', async () => {
	const u = await createUser(srv, c.coopAdminA.token, { role: 'auditor' });
	const np = password();
	assert.equal((await srv.api('PATCH', `/v1/users/${u.user.id}`, { token: c.coopAdminA.token, body: { password: np } })).status, 200);
	assert.equal((await srv.api('DELETE', `/v1/users/${u.user.id}`, { token: c.coopAdminA.token })).status, 204);
	const events = await coopEvents(c.coopAdminA.token, c.coopA, `?object_id=${u.user.id}`);
	assert.deepEqual(events.map((e) => e.action), ['user.create', 'user.update', 'user.disable']);
	for (const e of events) {
		assert.equal(e.actor_user_id, c.coopAdminA.user.id);
		assert.equal(e.actor_role, 'coop_admin');
		const text = JSON.stringify(e);
		assert.ok(!text.includes(np) && !text.includes(u.password), `no password in ${e.action}`);
		assert.doesNotMatch(text, HASHES);
	}
	const stored = await env.sql(`select changes::text as ch from audit_events where object_id = '${u.user.id}'`);
	for (const row of stored) assert.ok(!row.ch.includes(np) && !row.ch.includes(u.password) && !HASHES.test(row.ch), 'not in the database either');
});

test('a platform user (platform_admin, municipality) is audited in the platform chain at /v1/audit-events', async () => {
	const p = await createUser(srv, c.admin, { role: 'platform_admin' });
	const m = await createUser(srv, c.admin, { role: 'municipality', municipality_code: c.muni });
	for (const id of [p.user.id, m.user.id]) {
		const ev = await platformEvents(c.admin, `?object_id=${id}`);
		assert.equal(ev.length, 1);
		assert.equal(ev[0].action, 'user.create');
		assert.equal(ev[0].cooperative_id, null);
	}
	for (const coop of [c.coopA, c.coopB]) {
		const ev = await coopEvents(c.admin, coop, `?object_id=${p.user.id}`);
		assert.equal(ev.length, 0);
	}
});

test('the bootstrap administrator is audited in the platform chain', async () => {
	const ev = await platformEvents(c.admin, `?object_id=${c.adminUser.id}`);
	assert.equal(ev.length, 1, JSON.stringify(ev));
	assert.match(ev[0].action, /^user\.(create|bootstrap)$/);
	assert.equal(ev[0].cooperative_id, null);
	assert.equal(ev[0].changes.role, 'platform_admin');
	assert.doesNotMatch(JSON.stringify(ev[0]), HASHES);
	assert.ok(!JSON.stringify(ev[0]).includes(srv.adminPassword), 'no bootstrap password in the event');
});

test('chains are hash-linked: seq 1..N, prev_hash = previous hash; verify says ok with events = N', async () => {
	const coop = await createCooperative(env.dbUrl, 'Coop Chain');
	for (let i = 0; i < 3; i++) await createUser(srv, c.admin, { role: 'bookkeeper', cooperative_id: coop });
	const events = await coopEvents(c.admin, coop);
	assert.equal(events.length, 3);
	assertChain(events);
	const v = await srv.api('GET', `/v1/cooperatives/${coop}/audit-events/verify`, { token: c.admin });
	assert.equal(v.status, 200, v.text);
	assert.deepEqual(v.json, { ok: true, events: 3 });
	const all = await platformEvents(c.admin);
	assertChain(all);
	const pv = await srv.api('GET', '/v1/audit-events/verify', { token: c.admin });
	assert.equal(pv.status, 200, pv.text);
	assert.deepEqual(pv.json, { ok: true, events: all.length });
});

test('verify of a cooperative without events says ok with 0 events', async () => {
	const coop = await createCooperative(env.dbUrl, 'Coop Empty');
	const v = await srv.api('GET', `/v1/cooperatives/${coop}/audit-events/verify`, { token: c.admin });
	assert.equal(v.status, 200, v.text);
	assert.deepEqual(v.json, { ok: true, events: 0 });
	const l = await srv.api('GET', `/v1/cooperatives/${coop}/audit-events`, { token: c.admin });
	assert.deepEqual(l.json, { data: [], next_cursor: null });
});

test('a failed write appends no event', async () => {
	const before = await env.sql(`select count(*) as n from audit_events`);
	assertProblem(await srv.api('POST', '/v1/users', { token: c.admin, body: { username: 'ab', role: 'bookkeeper', cooperative_id: c.coopA } }), 422, 'validation_failed');
	assertProblem(await srv.api('DELETE', `/v1/users/${c.coopAdminA.user.id}`, { token: c.coopAdminA.token }), 409, 'conflict');
	assertProblem(await srv.api('POST', '/v1/users', { token: c.admin, body: { username: c.bookkeeperA.username, password: password(), role: 'auditor', cooperative_id: c.coopA } }), 409, 'already_exists');
	const after = await env.sql(`select count(*) as n from audit_events`);
	assert.equal(after[0].n, before[0].n);
});

test('a cooperative chain is readable by platform_admin and that cooperative\'s coop_admin and auditor', async () => {
	for (const t of [c.admin, c.coopAdminA.token, c.auditorA.token]) {
		const r = await srv.api('GET', `/v1/cooperatives/${c.coopA}/audit-events`, { token: t });
		assert.equal(r.status, 200, r.text);
		assert.ok(r.json.data.length > 0);
		assert.ok(r.json.data.every((e) => e.cooperative_id === c.coopA));
		const v = await srv.api('GET', `/v1/cooperatives/${c.coopA}/audit-events/verify`, { token: t });
		assert.equal(v.status, 200, v.text);
		assert.equal(v.json.ok, true);
	}
});

test('another cooperative\'s coop_admin gets 404 on a cooperative chain; other roles 403', async () => {
	for (const p of [`/v1/cooperatives/${c.coopA}/audit-events`, `/v1/cooperatives/${c.coopA}/audit-events/verify`]) {
		assertProblem(await srv.api('GET', p, { token: c.coopAdminB.token }), 404, 'not_found');
		for (const who of [c.bookkeeperA, c.memberUserA, c.municipalityUser]) assertProblem(await srv.api('GET', p, { token: who.token }), 403, 'forbidden');
	}
	assertProblem(await srv.api('GET', `/v1/cooperatives/${crypto.randomUUID()}/audit-events`, { token: c.coopAdminA.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${crypto.randomUUID()}/audit-events`, { token: c.admin }), 404, 'not_found');
});

test('the platform chain is readable by platform_admin only (403 for every other role)', async () => {
	for (const who of [c.coopAdminA, c.bookkeeperA, c.auditorA, c.memberUserA, c.municipalityUser]) {
		assertProblem(await srv.api('GET', '/v1/audit-events', { token: who.token }), 403, 'forbidden');
		assertProblem(await srv.api('GET', '/v1/audit-events/verify', { token: who.token }), 403, 'forbidden');
	}
});

test('audit events filter by action and object_id', async () => {
	const u = await createUser(srv, c.admin, { role: 'bookkeeper', cooperative_id: c.coopA });
	await srv.api('PATCH', `/v1/users/${u.user.id}`, { token: c.admin, body: { disabled: true } });
	await srv.api('PATCH', `/v1/users/${u.user.id}`, { token: c.admin, body: { disabled: false } });
	const updates = await coopEvents(c.admin, c.coopA, '?action=user.update');
	assert.ok(updates.length >= 2);
	assert.ok(updates.every((e) => e.action === 'user.update'));
	const mine = await coopEvents(c.admin, c.coopA, `?object_id=${u.user.id}&action=user.update`);
	assert.equal(mine.length, 2);
	const none = await coopEvents(c.admin, c.coopA, '?action=user.nothing');
	assert.equal(none.length, 0);
});

test('audit event lists page with limit and next_cursor', async () => {
	const all = await coopEvents(c.admin, c.coopA);
	const paged = await listAll(srv, c.admin, `/v1/cooperatives/${c.coopA}/audit-events`, 2);
	assert.deepEqual(paged.map((e) => e.id), all.map((e) => e.id));
	assertProblem(await srv.api('GET', `/v1/cooperatives/${c.coopA}/audit-events?limit=0`, { token: c.admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', `/v1/audit-events?after=garbage`, { token: c.admin }), 400, 'invalid_parameter');
});

test('the database refuses UPDATE and DELETE of audit events (append-only trigger)', async () => {
	await assert.rejects(env.sql(`update audit_events set action = 'user.hacked'`), /append-only/);
	await assert.rejects(env.sql(`delete from audit_events`), /append-only/);
	await assert.rejects(env.sql(`truncate audit_events`), /append-only|cannot truncate/);
});

test('after tampering with an event (trigger disabled), verify answers ok:false with first_bad_event_id', async () => {
	const coop = await createCooperative(env.dbUrl, 'Coop Tamper');
	for (let i = 0; i < 3; i++) await createUser(srv, c.admin, { role: 'auditor', cooperative_id: coop });
	const events = await coopEvents(c.admin, coop);
	assert.equal(events.length, 3);
	const victim = events[1];
	await env.sql(
		`alter table audit_events disable trigger audit_events_no_update; ` +
			`update audit_events set changes = '{"role":"platform_admin"}' where id = '${victim.id}'; ` +
			`alter table audit_events enable trigger audit_events_no_update`,
	);
	const v = await srv.api('GET', `/v1/cooperatives/${coop}/audit-events/verify`, { token: c.admin });
	assert.equal(v.status, 200, v.text);
	assert.deepEqual(v.json, { ok: false, events: 3, first_bad_event_id: victim.id });
	const pv = await srv.api('GET', '/v1/audit-events/verify', { token: c.admin });
	assert.equal(pv.json.ok, true, 'the platform chain is unaffected');
	const av = await srv.api('GET', `/v1/cooperatives/${c.coopA}/audit-events/verify`, { token: c.admin });
	assert.equal(av.json.ok, true, 'other cooperatives are unaffected');
});

test('deleting an event from the middle of a chain (trigger disabled) is detected by verify', async () => {
	const coop = await createCooperative(env.dbUrl, 'Coop Gap');
	for (let i = 0; i < 3; i++) await createUser(srv, c.admin, { role: 'auditor', cooperative_id: coop });
	const events = await coopEvents(c.admin, coop);
	await env.sql(
		`alter table audit_events disable trigger audit_events_no_update; ` +
			`delete from audit_events where id = '${events[1].id}'; ` +
			`alter table audit_events enable trigger audit_events_no_update`,
	);
	const v = await srv.api('GET', `/v1/cooperatives/${coop}/audit-events/verify`, { token: c.admin });
	assert.equal(v.status, 200, v.text);
	assert.equal(v.json.ok, false);
	assert.equal(v.json.first_bad_event_id, events[2].id);
});

test('tampering with the platform chain is detected by /v1/audit-events/verify', async () => {
	const events = await platformEvents(c.admin);
	const victim = events[events.length - 1];
	await env.sql(
		`alter table audit_events disable trigger audit_events_no_update; ` +
			`update audit_events set actor_role = 'coop_admin' where id = '${victim.id}'; ` +
			`alter table audit_events enable trigger audit_events_no_update`,
	);
	const v = await srv.api('GET', '/v1/audit-events/verify', { token: c.admin });
	assert.equal(v.status, 200, v.text);
	assert.deepEqual(v.json, { ok: false, events: events.length, first_bad_event_id: victim.id });
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
