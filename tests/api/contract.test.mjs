// The contract validator itself (tests/contract/validate/contract.mjs), without a server: it
// accepts responses that fit api/openapi.yaml and refuses an undocumented status, field, header
// or content type, a wrong type, a missing required header and a wrong CSV header row. A small
// inline document checks the unevaluatedProperties semantics through allOf and free-form objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT } from './harness.mjs'; // installs the validator's packages when they are missing
import { loadContract, loadGaps, Contract, csvHeaderRow } from '../contract/validate/contract.mjs';

const contract = loadContract(path.resolve(ROOT, process.env.COOPD_CONTRACT_DOC || 'api/openapi.yaml'));
const VERSION = contract.doc.info.version;
const USER_CSV_HEADER = 'id,username,kind,role,cooperative_id,member_id,municipality_code,disabled,created_at,updated_at';

const headers = (over = {}) => {
	const h = { 'Content-Type': 'application/json; charset=utf-8', 'X-Request-Id': 'req-1', 'API-Version': VERSION, 'Cache-Control': 'no-store', 'Content-Length': '1', ...over };
	for (const k of Object.keys(h)) if (h[k] === null) delete h[k];
	return Object.entries(h).flat();
};
const problem = (status, code) =>
	JSON.stringify({ type: `urn:coopd:problem:${code}`, title: 'x', status, detail: 'x', code, request_id: 'req-1' });
const user = (over = {}) =>
	JSON.stringify({
		id: '6f1c2b8e-3d4a-4c5b-9e7f-0a1b2c3d4e5f',
		username: 'j.jansen',
		kind: 'person',
		role: 'platform_admin',
		cooperative_id: null,
		member_id: null,
		municipality_code: null,
		disabled: false,
		created_at: '2026-01-02T03:04:05Z',
		updated_at: '2026-01-02T03:04:05Z',
		...over,
	});
const check = (method, p, status, h, body) => contract.check({ method, path: p, status, headers: h, body });

test('good responses pass: JSON, problem+json, HEAD, CSV, an unknown path answered 404', () => {
	assert.deepEqual(check('GET', '/v1/health', 200, headers(), '{"status":"ok"}'), []);
	assert.deepEqual(check('HEAD', '/v1/health', 200, headers(), ''), [], 'HEAD is checked like GET');
	assert.deepEqual(check('GET', '/v1/me?x=1', 200, headers(), user()), []);
	assert.deepEqual(check('GET', '/v1/users/6f1c2b8e-3d4a-4c5b-9e7f-0a1b2c3d4e5f', 200, headers({ ETag: '"3"' }), user()), []);
	const unauthorized = headers({ 'Content-Type': 'application/problem+json', 'WWW-Authenticate': 'Bearer' });
	assert.deepEqual(check('GET', '/v1/me', 401, unauthorized, problem(401, 'unauthorized')), []);
	assert.deepEqual(check('GET', '/v1/users', 200, headers({ 'Content-Type': 'text/csv; charset=utf-8' }), `${USER_CSV_HEADER}\r\n`), []);
	const nf = headers({ 'Content-Type': 'application/problem+json' });
	assert.deepEqual(check('GET', '/v1/no-such-thing', 404, nf, problem(404, 'not_found')), []);
	const mna = headers({ 'Content-Type': 'application/problem+json', Allow: 'GET' });
	assert.deepEqual(check('DELETE', '/v1/health', 405, mna, problem(405, 'method_not_allowed')), []);
	assert.deepEqual(check('GET', '/v1/health', 400, nf, problem(400, 'bad_request')), [], 'the parser\'s 400 is global');
});

test('an undocumented status fails', () => {
	const e = check('GET', '/v1/health', 418, headers({ 'Content-Type': 'application/problem+json' }), problem(418, 'teapot'));
	assert.match(e.join('\n'), /status 418 is not documented for GET \/v1\/health/);
	const e2 = check('GET', '/v1/health', 400, headers({ 'Content-Type': 'application/problem+json' }), problem(400, 'invalid_parameter'));
	assert.match(e2.join('\n'), /only as bad_request/, 'a global status only with its code');
	assert.match(check('GET', '/v1/no-such-thing', 200, headers(), '{}').join('\n'), /not in the document/);
});

test('an undocumented field fails, also where the document has no additionalProperties: false', () => {
	assert.match(check('GET', '/v1/health', 200, headers(), '{"status":"ok","uptime":3}').join('\n'), /undocumented field "uptime"/);
	assert.match(check('GET', '/v1/me', 200, headers(), user({ password_hash: 'x' })).join('\n'), /undocumented field "password_hash"/);
	const p = JSON.parse(problem(401, 'unauthorized'));
	p.trace = 'SQL';
	const unauthorized = headers({ 'Content-Type': 'application/problem+json', 'WWW-Authenticate': 'Bearer' });
	assert.match(check('GET', '/v1/me', 401, unauthorized, JSON.stringify(p)).join('\n'), /undocumented field "trace"/);
});

test('a wrong type, a missing required field and a bad enum value fail', () => {
	assert.match(check('GET', '/v1/me', 200, headers(), user({ disabled: 'no' })).join('\n'), /\/disabled: must be boolean/);
	const noId = JSON.parse(user());
	delete noId.id;
	assert.match(check('GET', '/v1/me', 200, headers(), JSON.stringify(noId)).join('\n'), /must have required property 'id'/);
	assert.match(check('GET', '/v1/health', 200, headers(), '{"status":"fine"}').join('\n'), /\/status: must be equal to one of the allowed values/);
	assert.match(check('GET', '/v1/health', 200, headers(), 'not json').join('\n'), /is not JSON/);
});

test('an undocumented header, a missing required header or a bad header value fails', () => {
	assert.match(check('GET', '/v1/health', 200, headers({ 'X-Powered-By': 'civetweb' }), '{"status":"ok"}').join('\n'), /header x-powered-by is not documented/);
	assert.match(check('GET', '/v1/health', 200, headers({ ETag: '"1"' }), '{"status":"ok"}').join('\n'), /header etag is not documented/, 'a header documented elsewhere, not on this response');
	assert.match(check('GET', '/v1/health', 200, headers({ 'API-Version': null }), '{"status":"ok"}').join('\n'), /required header API-Version is missing/);
	assert.match(check('GET', '/v1/health', 200, headers({ 'API-Version': 'v1' }), '{"status":"ok"}').join('\n'), /header API-Version: "v1"/);
	assert.deepEqual(check('GET', '/v1/health', 200, headers({ Date: 'Mon, 07 Dec 2026 10:00:00 GMT', Connection: 'close' }), '{"status":"ok"}'), [], 'standard headers pass');
});

test('an undocumented content type fails', () => {
	assert.match(check('GET', '/v1/health', 200, headers({ 'Content-Type': 'text/html' }), '<p>ok</p>').join('\n'), /content type text\/html is not documented/);
	assert.match(check('GET', '/v1/health', 200, headers({ 'Content-Type': null }), '{"status":"ok"}').join('\n'), /without Content-Type/);
});

test('a wrong CSV header row fails', () => {
	const csv = headers({ 'Content-Type': 'text/csv' });
	const missing = check('GET', '/v1/users', 200, csv, 'id,username,kind,role\r\n');
	assert.match(missing.join('\n'), /CSV header row differs.*missing cooperative_id/);
	const extra = check('GET', '/v1/users', 200, csv, `${USER_CSV_HEADER},password_hash\r\n`);
	assert.match(extra.join('\n'), /undocumented password_hash/);
	const order = USER_CSV_HEADER.split(',').reverse().join(',');
	assert.match(check('GET', '/v1/users', 200, csv, `${order}\n`).join('\n'), /CSV header row differs/, 'the order counts');
	assert.deepEqual(csvHeaderRow('"a","b,c",d\r\n1,2,3'), ['a', 'b,c', 'd']);
});

test('closed objects: allOf parts combine, extras fail, free-form objects stay open, closed:false relaxes', () => {
	const doc = {
		openapi: '3.1.0',
		info: { title: 't', version: '1.0.0' },
		paths: {
			'/x': {
				get: {
					responses: {
						200: { description: 'x', content: { 'application/json': { schema: { $ref: '#/components/schemas/Ext' } } } },
					},
				},
			},
		},
		components: {
			schemas: {
				Base: { type: 'object', properties: { id: { type: 'string' }, meta: { type: 'object' } } },
				Ext: {
					allOf: [{ $ref: '#/components/schemas/Base' }, { type: 'object', properties: { n: { type: ['integer', 'null'] }, sub: { type: 'object', properties: { a: { type: 'string' } } } } }],
				},
			},
		},
	};
	const h = ['Content-Type', 'application/json'];
	const strict = new Contract(structuredClone(doc));
	const run = (c, body) => c.check({ method: 'GET', path: '/x', status: 200, headers: h, body: JSON.stringify(body) });
	assert.deepEqual(run(strict, { id: 'a', n: null, meta: { anything: 1 }, sub: { a: 'b' } }), []);
	assert.match(run(strict, { id: 'a', n: 1, zz: 1 }).join('\n'), /undocumented field "zz"/);
	assert.match(run(strict, { id: 'a', sub: { a: 'b', zz: 1 } }).join('\n'), /\/sub: undocumented field "zz"/);
	assert.match(run(strict, { id: 'a', n: 1.5 }).join('\n'), /\/n: must be integer/);
	assert.deepEqual(run(new Contract(structuredClone(doc), { closed: false }), { id: 'a', zz: 1 }), []);
	assert.throws(() => new Contract({ ...structuredClone(doc), openapi: '3.0.3' }), /OpenAPI 3\.1 expected/);
});

test('a CSV schema with x-csv-columns and a pattern: the columns and the text are checked; known gaps are reported, not failed', () => {
	const doc = {
		openapi: '3.1.0',
		info: { title: 't', version: '1.0.0' },
		paths: {
			'/l': {
				get: {
					responses: {
						200: {
							description: 'x',
							headers: { 'X-Only': { schema: { type: 'string' } } },
							content: { 'text/csv': { schema: { $ref: '#/components/schemas/LCsv' } } },
						},
					},
				},
			},
		},
		components: {
			schemas: {
				LCsv: { type: 'string', contentMediaType: 'text/csv', 'x-csv-columns': ['id', 'name'], pattern: '^id,name\\r\\n' },
			},
		},
	};
	const c = new Contract(structuredClone(doc));
	const run = (k, body, h = []) => k.check({ method: 'GET', path: '/l', status: 200, headers: ['Content-Type', 'text/csv; charset=utf-8; header=present', ...h], body });
	assert.deepEqual(run(c, 'id,name\r\n1,a\r\n'), []);
	assert.match(run(c, 'id,naam\r\n').join('\n'), /CSV header row differs/);
	assert.match(run(c, 'id,name\n1,a\n').join('\n'), /CSV text: .*must match pattern/, 'the pattern of the schema (CRLF)');
	const gapped = new Contract(structuredClone(doc), { gaps: [{ id: 'G1', operation: 'GET /l', status: 200, error: '^header x-extra is not documented' }] });
	assert.deepEqual(run(gapped, 'id,name\r\n', ['X-Extra', '1']), [], 'a known gap is not a failure');
	assert.equal(gapped.gapHits.get('G1'), 1, 'but it is counted');
	assert.match(run(gapped, 'id,name\r\n', ['X-Other', '1']).join('\n'), /header x-other is not documented/, 'only that gap');
});

test('every entry of doc-gaps.json names an operation of the document and a fix', () => {
	for (const g of loadGaps()) {
		const [method, template] = g.operation.split(' ');
		assert.ok(contract.doc.paths[template]?.[method.toLowerCase()], `${g.id}: ${g.operation} is an operation of api/openapi.yaml`);
		assert.ok(g.fix && g.error && new RegExp(g.error), `${g.id} has an error pattern and a fix`);
	}
});
