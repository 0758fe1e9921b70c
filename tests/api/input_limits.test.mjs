// Hostile and unlucky input that must get a clear 4xx and never reach the database's log
// (issue 7, items 6, 7, 8 and the smaller ones):
// - numbers out of range (1e400, 2^63) in money and integer fields: 422 on the field, as 1.5 gets;
// - control characters in text: the service refuses them on the field before the database's
//   CHECK does, and the clusters coopd starts keep failing rows out of the server log;
// - query parameters: limit=" 5" and limit=50%00 are 400; a cursor beyond int64 is 400; a
//   non-uuid cooperative_id filter is 400 invalid_parameter, and the log does not repeat it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	setup, cast, assertProblem, memberBody, rawJson, startCluster, psql, hex, apiCustomer,
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

const feePolicy = (text) =>
	rawJson(srv, 'POST', `/v1/cooperatives/${c.coopA}/fee-policies`, c.admin, text);

test('out-of-range numbers in money and integer fields are 422 on the field, like 1.5', async () => {
	const cases = [
		['fixed_monthly_cents', '1e400'],
		['fixed_monthly_cents', '9223372036854775808'],
		['fixed_monthly_cents', '-9223372036854775809'],
		['fixed_monthly_cents', '123456789012345678901234567890'],
		['percentage_bp', '1.5e308'],
		['percentage_bp', '-1E+99999999999999999999'],
	];
	for (const [field, num] of cases) {
		const r = await feePolicy(`{"valid_from":"2026-01-01","percentage_bp":0,"fixed_monthly_cents":0,"${field}":${num}}`.replace(`"${field}":0,`, ''));
		assertProblem(r, 422, 'validation_failed', { field, fieldCode: 'invalid_value' });
		const fe = r.json.errors.find((e) => e.field === field);
		assert.match(fe.message, /out of range/, `${field}: ${num}`);
	}
	const real = await feePolicy('{"valid_from":"2026-01-01","percentage_bp":0,"fixed_monthly_cents":1.5}');
	assertProblem(real, 422, 'validation_failed', { field: 'fixed_monthly_cents', fieldCode: 'invalid_type' });
});

test('the largest int64 and tiny or zero reals are parsed normally (their own field errors)', async () => {
	const r = await feePolicy('{"valid_from":"2026-01-01","percentage_bp":0,"fixed_monthly_cents":9223372036854775807}');
	assert.ok([201, 422].includes(r.status), r.text);
	const z = await feePolicy('{"valid_from":"2026-01-01","percentage_bp":0,"fixed_monthly_cents":0e999999}');
	assertProblem(z, 422, 'validation_failed', { field: 'fixed_monthly_cents', fieldCode: 'invalid_type' });
	const tiny = await feePolicy('{"valid_from":"2026-01-01","percentage_bp":0,"fixed_monthly_cents":1e-400}');
	assert.equal(tiny.status, 422, tiny.text);
});

test('an out-of-range number inside an array item is reported on that item\'s field', async () => {
	const customer = await apiCustomer(srv, c.admin, c.coopA);
	const r = await srv.api('POST', `/v1/cooperatives/${c.coopA}/invoices`, {
		token: c.admin,
		rawBody: `{"member_id":"${c.memberA}","customer_id":"${customer.id}","supply_date":"2026-01-05","lines":[{"description":"x","quantity":"1","unit":"hour","unit_price_cents":99999999999999999999}]}`,
	});
	assert.equal(r.status, 422, r.text);
	assert.ok(r.json.errors.some((e) => e.field === 'lines[0].unit_price_cents' && /out of range/.test(e.message)), r.text);
});

test('a control character in a name is a field error from the service, not a failing row in the database', async () => {
	for (const [field, value] of [['first_name', 'Fat\tima'], ['last_name', 'Bak\u0085ker'], ['first_name', 'A\u2028B'], ['first_name', 'Es\u007f']]) {
		const r = await srv.api('POST', `/v1/cooperatives/${c.coopA}/members`, { token: c.admin, body: memberBody(c.muni, { [field]: value }) });
		assertProblem(r, 422, 'validation_failed', { field, fieldCode: 'invalid_value' });
	}
	const addr = await srv.api('POST', `/v1/cooperatives/${c.coopA}/members`, {
		token: c.admin,
		body: memberBody(c.muni, { address: { street: 'Kerk\nstraat', house_number: '1', postal_code: '1012 AB', city: 'Amsterdam' } }),
	});
	assertProblem(addr, 422, 'validation_failed', { field: 'address.street', fieldCode: 'invalid_value' });
	const ok = await srv.api('POST', `/v1/cooperatives/${c.coopA}/members`, { token: c.admin, body: memberBody(c.muni, { first_name: 'Çağrı Łucja 𝕏' }) });
	assert.equal(ok.status, 201, `non-ASCII letters are text, not control characters: ${ok.text}`);
});

test('the clusters coopd starts keep failing rows and statement texts out of the server log', async () => {
	const shown = await env.sql("select current_setting('log_error_verbosity') as v, current_setting('log_min_error_statement') as s");
	assert.deepEqual(shown[0], { v: 'terse', s: 'panic' });
	// A cluster of our own, to read its log: a CHECK fails on a row with a recognisable e-mail.
	const cl = await startCluster();
	try {
		const marker = `leak.${hex(6)}@example.org`;
		await psql(cl.url, 'create table t (email text check (email not like \'leak.%\'))').catch(() => {});
		await psql(cl.url, `insert into t values ('${marker}')`).catch(() => {});
		const log = fs.readFileSync(path.join(cl.dir, 'server.log'), 'utf8');
		assert.match(log, /violates check constraint/, 'the failure itself is logged');
		assert.ok(!log.includes(marker), `the failing row is not in the server log:\n${log.slice(-2000)}`);
	} finally {
		await cl.stop();
	}
});

test('limit must be plain digits: " 5", "+5", "50%00" and "5x" are 400 invalid_parameter', async () => {
	for (const l of ['%205', '+5', '50%00', '5x', '0', '201', '', '0005']) {
		assertProblem(await srv.api('GET', `/v1/users?limit=${l}`, { token: c.admin }), 400, 'invalid_parameter');
	}
	assert.equal((await srv.api('GET', '/v1/users?limit=5', { token: c.admin })).status, 200);
});

test('a cursor beyond int64 is 400 invalid_parameter (no overflow, no silent restart)', async () => {
	for (const after of ['c1zzzzzzzzzzzz', 'czzzzzzzzzzzzz', 'c2fxgbl8ouyvzk', 'c%00', 'c-1']) {
		assertProblem(await srv.api('GET', `/v1/users?after=${after}`, { token: c.admin }), 400, 'invalid_parameter');
	}
	// 2^63 - 1 in base 36 is the largest position a cursor may name
	assert.equal((await srv.api('GET', '/v1/users?after=c1y2p0ij32e8e7', { token: c.admin })).status, 200);
});

test('a non-uuid cooperative_id filter is 400 invalid_parameter and the log does not repeat the value', async () => {
	const probe = `x${hex(5)}`;
	assertProblem(await srv.api('GET', `/v1/users?cooperative_id=${probe}`, { token: c.admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', `/v1/users?cooperative_id=${probe}${'0'.repeat(30)}`, { token: c.admin }), 400, 'invalid_parameter');
	assert.ok(!srv.stderr.includes(probe), 'the value is not in the log');
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
