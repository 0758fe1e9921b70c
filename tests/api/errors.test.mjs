// Internal errors: a failing statement answers 500 internal_error without the database's message
// (which goes to the log), and a write whose audit event cannot be appended is rolled back (the
// event is written in the same transaction).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, createCooperative, createMunicipality, memberBody, assertProblem, uname, password, hex } from './harness.mjs';

let env;
let srv;
let admin;
let coop;
const MARK = `internal-detail-${hex(6)}`;

before(async () => {
	env = await setup();
	srv = env.srv;
	admin = await srv.adminToken();
	coop = await createCooperative(env.dbUrl, 'Coop Errors');
});
after(() => srv?.kill());

test('a failing statement answers 500 internal_error; the database message goes to the log only', async () => {
	const original = (await env.sql(`select pg_get_functiondef('user_doc(users)'::regprocedure) as def`))[0].def;
	await env.sql(`create or replace function user_doc(u users) returns json language plpgsql stable as $$ begin raise exception '${MARK}'; end $$`);
	try {
		const rid = `err-${hex(4)}`;
		const r = await srv.api('GET', '/v1/me', { token: admin, headers: { 'x-request-id': rid } });
		assertProblem(r, 500, 'internal_error');
		assert.ok(!r.text.includes(MARK), `the database message does not reach the client: ${r.text}`);
		assert.ok(!/SQLSTATE|ERROR:|PL\/pgSQL|user_doc/i.test(r.text), r.text);
		await new Promise((res) => setTimeout(res, 50));
		const lines = srv.logLines().filter((l) => l.request_id === rid);
		assert.ok(lines.some((l) => l.msg === 'request' && l.status === 500), 'the 500 is in the access log');
		assert.ok(srv.stderr.includes(MARK), 'the database message is logged for the operator');
	} finally {
		await env.sql(original);
	}
	assert.equal((await srv.api('GET', '/v1/me', { token: admin })).status, 200, 'works again once repaired');
});

test('a write whose audit event fails is rolled back (audit in the same transaction)', async () => {
	const original = (await env.sql(`select pg_get_functiondef(p.oid) as def from pg_proc p where p.proname = 'audit_append'`))[0].def;
	const argtypes = (await env.sql(`select pg_get_function_identity_arguments(p.oid) as a from pg_proc p where p.proname = 'audit_append'`))[0].a;
	await env.sql(
		`create or replace function audit_append(${argtypes}) returns uuid language plpgsql as $$ begin raise exception '${MARK}'; end $$`,
	);
	const body = { username: uname('rollback'), password: password(), role: 'bookkeeper', cooperative_id: coop };
	try {
		const r = await srv.api('POST', '/v1/users', { token: admin, body });
		assertProblem(r, 500, 'internal_error');
		const n = await env.sql(`select count(*) as n from users where username = '${body.username}'`);
		assert.equal(n[0].n, '0', 'no user without its audit event');
		const k = await env.sql(`select count(*) as n from idempotency_keys`);
		assert.equal(k[0].n, '0');
	} finally {
		await env.sql(original);
	}
	const ok = await srv.api('POST', '/v1/users', { token: admin, body });
	assert.equal(ok.status, 201, ok.text);
	const ev = await env.sql(`select count(*) as n from audit_events where object_id = '${ok.json.id}'`);
	assert.equal(ev[0].n, '1');
});


/** Makes the next `failures` writes (`event`) of `table` fail with SQLSTATE `state` (a sequence
 * counts: unlike a table it is not rolled back with the failing transaction). */
async function injectFailures(state, failures, { table = 'users', event = 'update' } = {}) {
	const seq = `fault_${hex(4)}`;
	await env.sql(`create sequence ${seq}`);
	await env.sql(
		`create or replace function inject_fault() returns trigger language plpgsql as $$ begin
		   if nextval('${seq}') <= ${failures} then raise exception 'injected' using errcode = '${state}'; end if;
		   return new; end $$`,
	);
	await env.sql(`create trigger inject_fault before ${event} on ${table} for each row execute function inject_fault()`);
	const restore = async () => {
		await env.sql(`drop trigger inject_fault on ${table}`);
		await env.sql(`drop function inject_fault()`);
		await env.sql(`drop sequence ${seq}`);
	};
	return { restore, seq };
}

async function bookkeeper() {
	const r = await srv.api('POST', '/v1/users', { token: admin, body: { username: uname('retry'), password: password(), role: 'bookkeeper', cooperative_id: coop } });
	assert.equal(r.status, 201, r.text);
	return r.json;
}

for (const [state, name] of [['40001', 'a serialization failure'], ['40P01', 'a deadlock']]) {
	test(`${name} (${state}) is retried: the write succeeds once, with one audit event`, async () => {
		const u = await bookkeeper();
		const { restore, seq } = await injectFailures(state, 2);
		try {
			const r = await srv.api('PATCH', `/v1/users/${u.id}`, { token: admin, body: { disabled: true } });
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.disabled, true);
			const ev = await env.sql(`select count(*) as n from audit_events where object_id = '${u.id}' and action = 'user.update'`);
			assert.equal(ev[0].n, '1', 'the retried transaction wrote its event once');
			const tries = await env.sql(`select last_value from ${seq}`);
			assert.equal(tries[0].last_value, '3', 'two failed tries, the third succeeded');
		} finally {
			await restore();
		}
	});
}

test('a retried write sees the body as the client sent it, not as the failed try left it', async () => {
	// Creating a member rewrites the parsed body (the address is flattened into columns); the
	// retry must start again from the request, or it would refuse its own leftovers.
	const muni = await createMunicipality(env.dbUrl);
	const body = memberBody(muni, { iban: 'nl91 abna 0417 1643 00' });
	const { restore, seq } = await injectFailures('40001', 1, { table: 'members', event: 'insert' });
	try {
		const r = await srv.api('POST', `/v1/cooperatives/${coop}/members`, { token: admin, body });
		assert.equal(r.status, 201, r.text);
		assert.deepEqual(r.json.address, { ...body.address, country: 'NL' });
		assert.equal(r.json.iban, 'NL91ABNA0417164300');
		const tries = await env.sql(`select last_value from ${seq}`);
		assert.equal(tries[0].last_value, '2', 'one failed try, the second succeeded');
	} finally {
		await restore();
	}
});

test('a transaction that keeps failing with 40001 stops after a bounded number of tries: 503 with Retry-After, nothing written', async () => {
	const u = await bookkeeper();
	const { restore, seq } = await injectFailures('40001', 1000);
	try {
		const t0 = Date.now();
		const r = await srv.api('PATCH', `/v1/users/${u.id}`, { token: admin, body: { disabled: true } });
		assertProblem(r, 503, 'service_unavailable');
		assert.ok(Number(r.headers.get('retry-after')) >= 1, 'Retry-After');
		assert.ok(Date.now() - t0 < 2000, 'bounded: no long retry loop');
		const tries = await env.sql(`select last_value from ${seq}`);
		assert.equal(tries[0].last_value, '4', 'four tries in all (TX_ATTEMPTS in server.c)');
		const row = await env.sql(`select disabled from users where id = '${u.id}'`);
		assert.equal(row[0].disabled, 'f', 'nothing was written');
	} finally {
		await restore();
	}
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
