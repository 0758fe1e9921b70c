// Health, readiness, metrics, the OpenAPI document and the HTTP conventions every response
// follows (X-Request-Id, API-Version, 404/405, problem documents).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setup, ROOT, assertProblem, API_VERSION_RE, hex, runCoopd } from './harness.mjs';

let env;
let srv;
let admin;
let apiVersion;

before(async () => {
	env = await setup();
	srv = env.srv;
	admin = await srv.adminToken();
});
after(() => srv?.kill());

/** The path keys under `paths:` of the YAML document (two-space indented keys). */
function yamlPathKeys(yaml) {
	const lines = yaml.split('\n');
	const start = lines.findIndex((l) => /^paths:\s*$/.test(l));
	assert.ok(start >= 0, 'openapi.yaml has a paths: section');
	const keys = [];
	for (const l of lines.slice(start + 1)) {
		if (/^\S/.test(l)) break;
		const m = /^ {2}['"]?(\/[^'":]*)['"]?:\s*$/.exec(l);
		if (m) keys.push(m[1]);
	}
	return keys;
}

test('GET /v1/health answers 200 {"status":"ok"} without a token', async () => {
	const r = await srv.api('GET', '/v1/health');
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /^application\/json/);
	assert.deepEqual(r.json, { status: 'ok' });
});

test('GET /v1/ready answers 200 {"status":"ready"} while the database is up', async () => {
	const r = await srv.api('GET', '/v1/ready');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { status: 'ready' });
});

test('every response carries API-Version equal to info.version of the OpenAPI document', async () => {
	const doc = await srv.api('GET', '/v1/openapi.json');
	assert.equal(doc.status, 200);
	apiVersion = doc.json.info.version;
	assert.match(apiVersion, API_VERSION_RE);
	const responses = [
		doc,
		await srv.api('GET', '/v1/health'),
		await srv.api('GET', '/metrics'),
		await srv.api('GET', '/v1/me', { token: admin }),
		await srv.api('GET', '/v1/me'), // 401
		await srv.api('GET', '/v1/nothing-here'), // 404
		await srv.api('DELETE', '/v1/health'), // 405
		await srv.api('POST', '/v1/auth/token', { rawBody: '{', headers: { 'content-type': 'application/json' } }), // 400
	];
	for (const r of responses) {
		assert.equal(r.headers.get('api-version'), apiVersion, `API-Version on a ${r.status}`);
		const n = r.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'api-version').length;
		assert.equal(n, 1, `exactly one API-Version header on a ${r.status}`);
	}
});

test('coopd --version prints the same version as the API-Version header', async () => {
	const r = await runCoopd(['--version'], {});
	assert.equal(r.code, 0, r.stderr);
	const h = await srv.api('GET', '/v1/health');
	assert.ok(r.stdout.includes(h.headers.get('api-version')), `--version printed ${JSON.stringify(r.stdout)}`);
});

test('GET /v1/openapi.json is the OpenAPI 3.1.0 document whose info.version is the API-Version', async () => {
	const r = await srv.api('GET', '/v1/openapi.json');
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /^application\/json/);
	assert.equal(r.json.openapi, '3.1.0');
	assert.equal(r.json.info.version, r.headers.get('api-version'));
	assert.ok(r.json.paths && Object.keys(r.json.paths).length > 0);
});

test('GET /v1/openapi.yaml serves api/openapi.yaml with the same paths as openapi.json', async () => {
	const y = await srv.api('GET', '/v1/openapi.yaml');
	assert.equal(y.status, 200);
	assert.match(y.text, /^openapi:\s*['"]?3\.1\.0['"]?\s*$/m);
	const onDisk = fs.readFileSync(path.join(ROOT, 'api/openapi.yaml'), 'utf8');
	assert.equal(y.text, onDisk, 'the served YAML is api/openapi.yaml');
	const j = await srv.api('GET', '/v1/openapi.json');
	assert.deepEqual(yamlPathKeys(y.text).sort(), Object.keys(j.json.paths).sort());
	const ver = /^ {2}version:\s*['"]?([^'"\s]+)['"]?\s*$/m.exec(y.text);
	assert.equal(ver?.[1], j.json.info.version, 'info.version is the same in both documents');
});

test('the OpenAPI paths and methods are exactly the routes coopd serves, with the same roles', async () => {
	const r = await runCoopd(['routes'], {});
	assert.equal(r.code, 0, r.stderr);
	const routes = JSON.parse(r.stdout);
	const norm = (p) => p.replace(/\{([a-z_]+)(:[a-z]+)?\}/g, '{$1}');
	const fromRoutes = new Map(routes.map((rt) => [`${rt.method} ${norm(rt.path)}`, rt]));
	const doc = (await srv.api('GET', '/v1/openapi.json')).json;
	const fromDoc = new Map();
	for (const [p, item] of Object.entries(doc.paths))
		for (const m of ['get', 'post', 'put', 'patch', 'delete'])
			if (item[m]) fromDoc.set(`${m.toUpperCase()} ${p}`, item[m]);
	assert.deepEqual([...fromRoutes.keys()].sort(), [...fromDoc.keys()].sort());
	for (const [k, op] of fromDoc) {
		const rt = fromRoutes.get(k);
		assert.ok(Array.isArray(op['x-roles']), `${k} documents x-roles`);
		assert.deepEqual([...rt.roles].sort(), [...op['x-roles']].sort(), `roles of ${k}`);
		assert.equal(rt.auth, op['x-roles'].length > 0, `auth of ${k}`);
		assert.equal(rt.idempotent, op['x-idempotent'] === true, `x-idempotent of ${k}`);
		assert.equal(rt.read_replica, op['x-read-replica'] === true, `x-read-replica of ${k}`);
	}
});

test('GET /metrics is Prometheus text with request counters, a duration histogram and pool gauges', async () => {
	await srv.api('GET', '/v1/health');
	await srv.api('GET', '/v1/me', { token: admin });
	await srv.api('GET', '/v1/me'); // 401
	const r = await srv.api('GET', '/metrics');
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /^text\/plain; ?version=0\.0\.4/);
	const samples = [];
	for (const line of r.text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/.exec(line);
		assert.ok(m, `a well-formed sample line: ${JSON.stringify(line)}`);
		const labels = {};
		if (m[3]) for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
		samples.push({ name: m[1], labels, value: Number(m[4]) });
	}
	const find = (name, labels = {}) =>
		samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
	const health = find('coopd_http_requests_total', { route: '/v1/health', method: 'GET', status: '200' });
	assert.equal(health.length, 1, 'one counter for GET /v1/health 200');
	assert.ok(health[0].value >= 2, `health counter ${health[0].value}`);
	assert.ok(find('coopd_http_requests_total', { method: 'GET', status: '401' }).some((s) => s.labels.route.startsWith('/v1/me')));
	assert.match(r.text, /^# TYPE coopd_http_requests_total counter$/m);
	assert.match(r.text, /^# TYPE coopd_http_request_duration_seconds histogram$/m);
	const buckets = find('coopd_http_request_duration_seconds_bucket');
	assert.ok(buckets.length > 0, 'histogram buckets');
	assert.ok(buckets.some((b) => b.labels.le === '+Inf'), 'a +Inf bucket');
	assert.ok(find('coopd_http_request_duration_seconds_sum').length > 0, 'histogram _sum');
	const counts = find('coopd_http_request_duration_seconds_count');
	assert.ok(counts.length > 0 && counts.reduce((a, s) => a + s.value, 0) >= 3, 'histogram _count');
	for (const g of ['coopd_db_pool_size', 'coopd_db_pool_in_use', 'coopd_db_pool_waiting', 'coopd_db_errors_total']) {
		assert.equal(find(g).length, 1, `${g} present once`);
		assert.ok(Number.isFinite(find(g)[0].value), `${g} is a number`);
	}
	assert.equal(find('coopd_db_pool_size')[0].value, 6, 'pool size is COOPD_DB_POOL (default 6)');
});

test('metrics label unknown paths and ids by route template, never the raw path', async () => {
	const junk = `/v1/zz-${hex(6)}`;
	await srv.api('GET', junk);
	const id = env.srv && (await srv.api('GET', '/v1/me', { token: admin })).json.id;
	await srv.api('GET', `/v1/users/${id}`, { token: admin });
	const r = await srv.api('GET', '/metrics');
	assert.ok(!r.text.includes(junk), 'the unknown path is not a label value');
	assert.ok(!r.text.includes(id), 'the user id is not a label value');
});

test('X-Request-Id is echoed when the client sends 1..128 printable characters', async () => {
	for (const id of ['abc-123', 'x', 'A'.repeat(128), 'req:42/with.punct~']) {
		const r = await srv.api('GET', '/v1/health', { headers: { 'x-request-id': id } });
		assert.equal(r.headers.get('x-request-id'), id);
	}
	const err = await srv.api('GET', '/v1/me', { headers: { 'x-request-id': 'trace-401' } });
	assert.equal(err.status, 401);
	assert.equal(err.headers.get('x-request-id'), 'trace-401');
	assert.equal(err.json.request_id, 'trace-401', 'the problem body carries the request id');
});

test('X-Request-Id is generated when absent, too long or not printable ASCII', async () => {
	const a = await srv.api('GET', '/v1/health');
	const b = await srv.api('GET', '/v1/health');
	for (const r of [a, b]) assert.match(r.headers.get('x-request-id') ?? '', /^[\x21-\x7e]{8,128}$/);
	assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'), 'generated ids differ');
	const long = 'L'.repeat(129);
	const c = await srv.api('GET', '/v1/health', { headers: { 'x-request-id': long } });
	assert.notEqual(c.headers.get('x-request-id'), long);
	assert.match(c.headers.get('x-request-id') ?? '', /^[\x21-\x7e]{8,128}$/);
	const d = await srv.api('GET', '/v1/health', { headers: { 'x-request-id': 'caf\u00e9' } });
	assert.notEqual(d.headers.get('x-request-id'), 'caf\u00e9');
	assert.match(d.headers.get('x-request-id') ?? '', /^[\x21-\x7e]{8,128}$/);
	const e = await srv.api('GET', '/v1/health', { headers: { 'x-request-id': '' } });
	assert.match(e.headers.get('x-request-id') ?? '', /^[\x21-\x7e]{8,128}$/);
});

test('responses are not cacheable (Cache-Control: no-store)', async () => {
	for (const r of [await srv.api('GET', '/v1/me', { token: admin }), await srv.api('GET', '/v1/nope')])
		assert.match(r.headers.get('cache-control') ?? '', /no-store/);
});

test('an unknown path answers 404 not_found as a problem document', async () => {
	assertProblem(await srv.api('GET', '/v1/does-not-exist'), 404, 'not_found');
	assertProblem(await srv.api('GET', '/v2/health'), 404, 'not_found');
	assertProblem(await srv.api('GET', '/v1/users/00000000-0000-4000-8000-000000000000/extra', { token: admin }), 404, 'not_found');
});

test('a path id that is not a UUID answers 404 not_found like an unknown id', async () => {
	for (const id of ['not-a-uuid', '123', 'ffffffff-ffff-ffff-ffff-fffffffffffff', '%27%20or%201%3D1']) {
		assertProblem(await srv.api('GET', `/v1/users/${id}`, { token: admin }), 404, 'not_found');
		assertProblem(await srv.api('PATCH', `/v1/users/${id}`, { token: admin, body: { disabled: true } }), 404, 'not_found');
		assertProblem(await srv.api('DELETE', `/v1/users/${id}`, { token: admin }), 404, 'not_found');
	}
	assertProblem(await srv.api('GET', '/v1/cooperatives/nope/audit-events', { token: admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/users/${crypto.randomUUID()}`, { token: admin }), 404, 'not_found');
});

test('a known path with another method answers 405 method_not_allowed with Allow', async () => {
	const cases = [
		['DELETE', '/v1/health', ['GET']],
		['POST', '/metrics', ['GET']],
		['PUT', '/v1/users', ['GET', 'POST']],
		['POST', '/v1/users/00000000-0000-4000-8000-000000000000', ['GET', 'PATCH', 'DELETE']],
		['GET', '/v1/auth/token', ['POST']],
	];
	for (const [method, p, allowed] of cases) {
		const r = await srv.api(method, p, { token: admin });
		assertProblem(r, 405, 'method_not_allowed');
		const allow = (r.headers.get('allow') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
		for (const m of allowed) assert.ok(allow.includes(m), `Allow of ${p} includes ${m}: ${r.headers.get('allow')}`);
		assert.ok(!allow.includes(method), `Allow of ${p} excludes ${method}`);
	}
});

test('a request the HTTP parser rejects (a tab in a header value) still gets a problem document with API-Version and X-Request-Id', async () => {
	const r = await srv.api('GET', '/v1/health', { headers: { 'x-note': 'a\tb' } });
	if (r.status === 200) return; // accepted: nothing to check
	assertProblem(r, 400, r.json?.code ?? 'malformed_request');
	assert.match(r.headers.get('x-request-id') ?? '', /^[\x21-\x7e]{8,128}$/);
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
