// HTTP as clients expect it (RFC 9110; SPEC §9 "HTTP"): HEAD wherever GET is, Accept with
// q-values and 406, If-None-Match → 304, Content-Disposition on downloads, the Excel dialect of
// CSV, CORS only for configured origins, and X-Request-Id / API-Version on every answer,
// civetweb's own included (raw sockets).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setup, startCoopd, runCoopd, coreCast, assertProblem, assertEtag, csvRows, API_VERSION_RE, hex } from './harness.mjs';

let env;
let srv;
let c;

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await coreCast(srv);
});
after(() => srv?.kill());

const membersPath = () => `/v1/cooperatives/${c.coopA}/members`;

/** Sends bytes on a fresh connection; resolves with what came back until close or timeout. */
function raw(port, bytes, ms = 5000) {
	return new Promise((resolve) => {
		const s = net.connect(port, '127.0.0.1');
		const parts = [];
		s.on('data', (d) => parts.push(d));
		const done = () => resolve(Buffer.concat(parts).toString('latin1'));
		s.on('close', done);
		s.on('error', done);
		s.setTimeout(ms, () => s.destroy());
		s.write(bytes);
	});
}

function parseRaw(text) {
	const end = text.indexOf('\r\n\r\n');
	const head = end >= 0 ? text.slice(0, end) : text;
	const [statusLine, ...lines] = head.split('\r\n');
	const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
	return { status: Number(statusLine.split(' ')[1]), statusLine, headers, body: end >= 0 ? text.slice(end + 4) : '' };
}

// --- HEAD ------------------------------------------------------------------------------------
test('HEAD on a single resource: the status and headers of the GET (Content-Length, ETag, Content-Type), no body', async () => {
	const p = `/v1/members/${c.memberA}`;
	const g = await srv.api('GET', p, { token: c.admin });
	const h = await srv.api('HEAD', p, { token: c.admin });
	assert.equal(h.status, 200);
	assert.equal(h.text, '');
	for (const k of ['content-type', 'content-length', 'etag', 'api-version', 'cache-control'])
		assert.equal(h.headers.get(k), g.headers.get(k), k);
	assert.equal(Number(h.headers.get('content-length')), Buffer.byteLength(g.text));
	assert.ok(h.headers.get('x-request-id'));
});

test('HEAD follows the GET route for lists, CSV exports and errors (401, 404); a path without GET answers 405 whose Allow names HEAD only with GET', async () => {
	const l = await srv.api('HEAD', membersPath(), { token: c.admin });
	assert.equal(l.status, 200);
	assert.equal(l.text, '');
	assert.match(l.headers.get('content-type'), /^application\/json/);
	const csv = await srv.api('HEAD', membersPath(), { token: c.admin, headers: { accept: 'text/csv' } });
	assert.equal(csv.status, 200);
	assert.equal(csv.text, '');
	assert.match(csv.headers.get('content-type'), /^text\/csv/);
	assert.match(csv.headers.get('content-disposition'), /^attachment; filename="members-/);
	const unauth = await srv.api('HEAD', membersPath());
	assert.equal(unauth.status, 401);
	assert.equal(unauth.text, '');
	assert.match(unauth.headers.get('content-type'), /^application\/problem\+json/);
	assert.ok(Number(unauth.headers.get('content-length')) > 0, 'the length of the problem the GET would get');
	assert.equal((await srv.api('HEAD', '/v1/nothing-here', { token: c.admin })).status, 404);
	const post = await srv.api('HEAD', '/v1/auth/token');
	assert.equal(post.status, 405);
	assert.equal(post.headers.get('allow'), 'POST');
	const patch = await srv.api('PUT', `/v1/members/${c.memberA}`, { token: c.admin, body: {} });
	assertProblem(patch, 405, 'method_not_allowed');
	assert.equal(patch.headers.get('allow'), 'GET, PATCH, HEAD');
});

test('HEAD over HTTP/1.0 on a raw socket: headers only, then the connection closes', async () => {
	const out = parseRaw(await raw(srv.port, 'HEAD /v1/health HTTP/1.0\r\n\r\n'));
	assert.equal(out.status, 200);
	assert.equal(out.headers.get('content-length'), '15');
	assert.equal(out.body, '');
});

// --- Accept ----------------------------------------------------------------------------------
test('Accept q-values pick JSON or CSV on a CSV list; */*, text/* and no Accept fall back; q=0 excludes', async () => {
	const kind = async (accept) => {
		const r = await srv.api('GET', membersPath(), { token: c.admin, headers: accept === undefined ? {} : { accept } });
		assert.equal(r.status, 200, `${accept}: ${r.text}`);
		assert.match(r.headers.get('vary') ?? '', /Accept/);
		return /^text\/csv/.test(r.headers.get('content-type')) ? 'csv' : /^application\/json/.test(r.headers.get('content-type')) ? 'json' : r.headers.get('content-type');
	};
	assert.equal(await kind('text/csv;q=0.5, application/json'), 'json');
	assert.equal(await kind('text/csv, application/json;q=0.1'), 'csv');
	assert.equal(await kind('*/*'), 'json');
	assert.equal(await kind(undefined), 'json');
	assert.equal(await kind('application/json;q=0, text/csv;q=0.2'), 'csv');
	assert.equal(await kind('text/*'), 'csv', 'text/* names only CSV among the offers');
	assert.equal(await kind('application/xml;q=0.9, */*;q=0.1'), 'json');
	assert.equal(await kind('x'.repeat(2000)), 'json', 'an oversized Accept is disregarded');
});

test('406 not_acceptable when a route is asked only for what it cannot produce: a list, a single resource, the YAML document', async () => {
	for (const [p, accept] of [
		[membersPath(), 'application/xml'],
		[membersPath(), 'text/csv;q=0, application/json;q=0'],
		[membersPath(), 'text/csv;charset=iso-8859-1'],
		[`/v1/members/${c.memberA}`, 'text/csv'],
		['/v1/openapi.yaml', 'application/json'],
	]) {
		const r = await srv.api('GET', p, { token: c.admin, headers: { accept } });
		assertProblem(r, 406, 'not_acceptable');
	}
	const ok = await srv.api('GET', '/v1/openapi.yaml', { headers: { accept: 'application/yaml, */*;q=0.1' } });
	assert.equal(ok.status, 200);
	const m = await srv.api('GET', '/metrics', { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' } });
	assert.equal(m.status, 200);
	// authentication is decided first
	assertProblem(await srv.api('GET', membersPath(), { headers: { accept: 'application/xml' } }), 401, 'unauthorized');
});

// --- If-None-Match ---------------------------------------------------------------------------
test('If-None-Match: the current ETag (strong, weak, in a list, or *) → 304 without a body, keeping ETag, API-Version and X-Request-Id; another tag → 200', async () => {
	const p = `/v1/members/${c.memberA}`;
	const g = await srv.api('GET', p, { token: c.admin });
	const v = assertEtag(g);
	const etag = g.headers.get('etag');
	for (const inm of [etag, `W/${etag}`, `"999999", ${etag}`, '*']) {
		const r = await srv.api('GET', p, { token: c.admin, headers: { 'if-none-match': inm, 'x-request-id': `inm-${hex(3)}` } });
		assert.equal(r.status, 304, `${inm}: ${r.status} ${r.text}`);
		assert.equal(r.text, '');
		assert.equal(r.headers.get('etag'), etag);
		assert.match(r.headers.get('api-version') ?? '', API_VERSION_RE);
		assert.match(r.headers.get('x-request-id') ?? '', /^inm-/);
		assert.equal(r.headers.get('content-type'), null);
		assert.equal(r.headers.get('content-length'), null);
	}
	const head = await srv.api('HEAD', p, { token: c.admin, headers: { 'if-none-match': etag } });
	assert.equal(head.status, 304);
	for (const inm of [`"${v + 1}"`, 'garbage', `${etag} x`]) {
		const r = await srv.api('GET', p, { token: c.admin, headers: { 'if-none-match': inm } });
		assert.equal(r.status, 200, inm);
		assert.equal(r.json.id, c.memberA);
	}
	// a change makes the old tag stale
	const patched = await srv.api('PATCH', p, { token: c.admin, body: { phone: '0612345678' }, headers: { 'if-none-match': etag } });
	assert.equal(patched.status, 200, 'If-None-Match does not apply to a PATCH');
	assert.equal((await srv.api('GET', p, { token: c.admin, headers: { 'if-none-match': etag } })).status, 200);
	// lists have no ETag: If-None-Match: * changes nothing there
	assert.equal((await srv.api('GET', membersPath(), { token: c.admin, headers: { 'if-none-match': '*' } })).status, 200);
	// errors stay errors
	assertProblem(await srv.api('GET', `/v1/members/${c.memberB}`, { token: c.coopAdminA.token, headers: { 'if-none-match': '*' } }), 404, 'not_found');
});

// --- CSV: file names and the Excel dialect ---------------------------------------------------
test('a CSV export is a download named after the route and its parameters (members-<coop>.csv)', async () => {
	const r = await srv.api('GET', membersPath(), { token: c.admin, headers: { accept: 'text/csv' } });
	assert.equal(r.status, 200);
	assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8; header=present');
	assert.equal(r.headers.get('content-disposition'), `attachment; filename="members-${c.coopA}.csv"`);
	assert.ok(!r.text.startsWith('\ufeff'), 'RFC 4180 has no byte order mark');
	assert.match(r.text.split('\r\n')[0], /^id,cooperative_id,first_name,/);
});

test('Accept: text/csv; dialect=excel gives a UTF-8 BOM, ";" separators, CRLF, money still in integer cents', async () => {
	await srv.api('POST', `/v1/cooperatives/${c.coopA}/members`, {
		token: c.admin,
		body: { first_name: 'Zoë', last_name: 'de Vries; Jansen', date_of_birth: '1990-01-02', address: { street: 'Damrak', house_number: '1a', postal_code: '1012 AB', city: 'Amsterdam' }, municipality_code: c.muni1 },
	});
	const r = await new Promise((resolve, reject) => {
		const http = require_http();
		const req = http.request({ host: '127.0.0.1', port: srv.port, path: membersPath(), headers: { authorization: `Bearer ${c.admin}`, accept: 'text/csv; dialect=excel' } }, (res) => {
			const parts = [];
			res.on('data', (d) => parts.push(d));
			res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes: Buffer.concat(parts) }));
		});
		req.on('error', reject);
		req.end();
	});
	assert.equal(r.status, 200);
	assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8; header=present; dialect=excel');
	assert.deepEqual([...r.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte order mark');
	const text = r.bytes.subarray(3).toString('utf8');
	const lines = text.split('\r\n');
	assert.equal(lines.at(-1), '', 'every row ends with CRLF');
	assert.ok(!/[^\r]\n/.test(text), 'no bare LF');
	assert.match(lines[0], /^id;cooperative_id;first_name;last_name;date_of_birth;/);
	const row = lines.find((l) => l.includes('Zoë'));
	assert.ok(row, text);
	assert.ok(row.includes(';"de Vries; Jansen";'), `a field with ';' is quoted: ${row}`);
	assert.match(r.headers['content-disposition'], /^attachment; filename="members-.*\.csv"$/);
	// the ledger: cents as integers, not localised
	const led = await srv.api('GET', `/v1/members/${c.memberA}/ledger`, { token: c.admin, headers: { accept: 'text/csv;dialect=excel' } });
	assert.equal(led.status, 200);
	assert.match(led.headers.get('content-disposition'), new RegExp(`^attachment; filename="ledger-${c.memberA}\\.csv"$`));
	assert.ok(!/\d,\d/.test(led.text), 'no decimal commas');
});

import { createRequire } from 'node:module';
const require_http = () => createRequire(import.meta.url)('node:http');

// --- CORS ------------------------------------------------------------------------------------
test('without COOPD_CORS_ORIGINS: no Access-Control-* header anywhere; a preflight is an OPTIONS like any other (405)', async () => {
	const origin = 'https://app.example.nl';
	const g = await srv.api('GET', '/v1/health', { headers: { origin } });
	assert.equal(g.status, 200);
	assert.ok(!g.rawHeaders.some((h, i) => i % 2 === 0 && /^access-control-/i.test(h)), JSON.stringify(g.rawHeaders));
	const pf = await srv.api('OPTIONS', membersPath(), { headers: { origin, 'access-control-request-method': 'GET' } });
	assertProblem(pf, 405, 'method_not_allowed');
	assert.ok(!pf.rawHeaders.some((h, i) => i % 2 === 0 && /^access-control-/i.test(h)));
});

test('with COOPD_CORS_ORIGINS: a listed origin gets Allow-Origin, Vary: Origin and the exposed headers, preflight 204; an unlisted one nothing', async () => {
	const s2 = await startCoopd({ dbUrl: env.dbUrl, env: { COOPD_CORS_ORIGINS: 'https://app.example.nl, http://localhost:5173', COOPD_JWT_SECRET: srv.secret } });
	try {
		const token = c.admin;
		const g = await s2.api('GET', `/v1/members/${c.memberA}`, { token, headers: { origin: 'http://localhost:5173' } });
		assert.equal(g.status, 200);
		assert.equal(g.headers.get('access-control-allow-origin'), 'http://localhost:5173');
		assert.match(g.headers.get('vary') ?? '', /Origin/);
		const exposed = (g.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
		for (const h of ['ETag', 'Location', 'API-Version', 'X-Request-Id', 'Idempotent-Replayed', 'Content-Disposition', 'Retry-After']) assert.ok(exposed.includes(h), h);
		// errors carry it too, so that the browser lets the page read the problem
		const e = await s2.api('GET', `/v1/members/${c.memberA}`, { headers: { origin: 'https://app.example.nl' } });
		assertProblem(e, 401, 'unauthorized');
		assert.equal(e.headers.get('access-control-allow-origin'), 'https://app.example.nl');

		const pf = await s2.api('OPTIONS', `/v1/members/${c.memberA}`, { headers: { origin: 'https://app.example.nl', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, content-type, if-match' } });
		assert.equal(pf.status, 204, pf.text);
		assert.equal(pf.text, '');
		assert.equal(pf.headers.get('access-control-allow-origin'), 'https://app.example.nl');
		assert.equal(pf.headers.get('access-control-allow-methods'), 'GET, PATCH, HEAD');
		const allowed = pf.headers.get('access-control-allow-headers').split(/,\s*/);
		for (const h of ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'Idempotency-Key']) assert.ok(allowed.includes(h), h);
		assert.ok(Number(pf.headers.get('access-control-max-age')) > 0);
		assert.match(pf.headers.get('api-version') ?? '', API_VERSION_RE);
		assertProblem(await s2.api('OPTIONS', '/v1/nothing', { headers: { origin: 'https://app.example.nl', 'access-control-request-method': 'GET' } }), 404, 'not_found');

		for (const origin of ['https://evil.example', 'https://app.example.nl.evil.example', 'null', 'https://APP.example.nl']) {
			const u = await s2.api('GET', '/v1/health', { headers: { origin } });
			assert.ok(!u.rawHeaders.some((h, i) => i % 2 === 0 && /^access-control-/i.test(h)), origin);
			assert.doesNotMatch(u.headers.get('vary') ?? '', /Origin/);
			const upf = await s2.api('OPTIONS', '/v1/health', { headers: { origin, 'access-control-request-method': 'GET' } });
			assertProblem(upf, 405, 'method_not_allowed');
			assert.ok(!upf.rawHeaders.some((h, i) => i % 2 === 0 && /^access-control-/i.test(h)), origin);
		}
	} finally {
		await s2.stop();
	}
});

test('a bad COOPD_CORS_ORIGINS is refused at start with exit 2', async () => {
	for (const bad of ['*', 'app.example.nl', 'https://app.example.nl/', 'https://app.example.nl/path', 'ftp://x.nl', 'https://x.nl:0', 'https://x.nl:99999', 'https://x.nl,,https://y.nl', 'https://Upper.nl']) {
		const r = await runCoopd(['serve'], { DATABASE_URL: env.dbUrl, COOPD_JWT_SECRET: hex(32), COOPD_CORS_ORIGINS: bad, COOPD_LISTEN: '127.0.0.1:1' });
		assert.equal(r.code, 2, `${bad}: ${r.code} ${r.stderr}`);
		assert.match(r.stderr, /COOPD_CORS_ORIGINS/);
	}
});

// --- every answer identifies itself, civetweb's own included ---------------------------------
test('raw sockets: malformed requests get problem documents with X-Request-Id and API-Version; ambiguous framing is refused', async () => {
	const cases = [
		['GARBAGE\r\n\r\n', 400],
		['GET /v1/health\r\n\r\n', 400],
		['GET /v1/health HTTP/2.0\r\nHost: x\r\n\r\n', 505],
		['GET /v1/he\0alth HTTP/1.1\r\nHost: x\r\n\r\n', 400],
		[`GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20000)}\r\n\r\n`, null],
		[`GET /${'a'.repeat(17000)} HTTP/1.1\r\nHost: x\r\n\r\n`, null],
		['POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 411],
		['POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400],
		['POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
		['CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
		['GET /v1/health HTTP/1.1\r\nHost x\r\n\r\n', 400],
	];
	for (const [req, status] of cases) {
		const out = parseRaw(await raw(srv.port, req));
		const what = `${JSON.stringify(req.slice(0, 60))} → ${out.statusLine}`;
		if (status) assert.equal(out.status, status, what);
		else assert.ok(out.status >= 400 && out.status < 500, what);
		assert.match(out.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/, what);
		assert.match(out.headers.get('api-version') ?? '', API_VERSION_RE, what);
		assert.match(out.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
		const body = JSON.parse(out.body);
		assert.equal(body.status, out.status, what);
		assert.equal(body.request_id, out.headers.get('x-request-id'), what);
		assert.doesNotMatch(out.statusLine, / Error$/, `a real reason phrase: ${what}`);
	}
	// Civetweb closes asterisk-form and absolute-form requests without an answer and without
	// calling coopd (README "HTTP"): nothing is sent, not even civetweb's own text.
	for (const req of ['OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', `GET http://127.0.0.1:${srv.port}/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`])
		assert.equal(await raw(srv.port, req), '', req);
	// civetweb's own CORS preflight answer (Access-Control-Allow-Origin: *) is switched off
	const pf = parseRaw(await raw(srv.port, 'OPTIONS /v1/health HTTP/1.1\r\nHost: x\r\nOrigin: https://a.nl\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n'));
	assert.equal(pf.status, 405);
	assert.equal(pf.headers.get('access-control-allow-origin'), undefined);
	assert.match(pf.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
});

// --- one 422 with every field error ----------------------------------------------------------
test('a member body with several wrong fields gets one 422 listing each: table errors (unknown, type, date) together with the checks beyond the table (IBAN, address, status rule)', async () => {
	const r = await srv.api('POST', membersPath(), {
		token: c.admin,
		body: {
			first_name: 'Ann',
			last_name: 'Smit',
			date_of_birth: '1990-02-30',
			nickname: 'x',
			iban: 'NL91ABNA0417164301',
			address: { street: 'Damrak', house_number: '1', postal_code: '0123 AB', city: 'Amsterdam' },
			municipality_code: c.muni1,
			status: 'ended',
			on_benefit: 'yes',
		},
	});
	const p = assertProblem(r, 422, 'validation_failed');
	const fields = p.errors.map((e) => e.field).sort();
	for (const f of ['date_of_birth', 'nickname', 'iban', 'address.postal_code', 'status', 'on_benefit']) assert.ok(fields.includes(f), `${f} in ${JSON.stringify(p.errors)}`);
});

test('a field the table refused is not reported again by the later check; nested errors of a refused object are left out', async () => {
	const r = await srv.api('POST', membersPath(), {
		token: c.admin,
		body: { first_name: 'Ann', last_name: 'Smit', date_of_birth: '1990-01-01', iban: 12345, address: 'Damrak 1', municipality_code: c.muni1, activity_category: 'Bad Category' },
	});
	const p = assertProblem(r, 422, 'validation_failed');
	const byField = {};
	for (const e of p.errors) (byField[e.field] ??= []).push(e);
	assert.equal(byField.iban?.length, 1, JSON.stringify(p.errors));
	assert.equal(byField.iban[0].code, 'invalid_type');
	assert.equal(byField.address?.length, 1, JSON.stringify(p.errors));
	assert.ok(byField.activity_category, 'the check beyond the table still runs on the other fields');
});

test('cooperatives, customers, shareholders and permissions also list table and check errors together', async () => {
	const coop = await srv.api('POST', '/v1/cooperatives', { token: c.admin, body: { kvk_number: '1234567', invoice_prefix: 'lower-case', address: { street: 'Damrak' }, extra: 1 } });
	const cf = assertProblem(coop, 422, 'validation_failed').errors.map((e) => e.field);
	for (const f of ['legal_name', 'kvk_number', 'invoice_prefix', 'address.house_number', 'extra']) assert.ok(cf.includes(f), `${f} in ${JSON.stringify(cf)}`);
	const cust = await srv.api('POST', `/v1/cooperatives/${c.coopA}/customers`, { token: c.admin, body: { name: '', vat_id: 'NL123456789B90', peppol_id: 'nope' } });
	const kf = assertProblem(cust, 422, 'validation_failed').errors.map((e) => e.field);
	for (const f of ['name', 'vat_id', 'peppol_id']) assert.ok(kf.includes(f), `${f} in ${JSON.stringify(kf)}`);
	const perm = await srv.api('POST', `/v1/members/${c.memberA}/permissions`, { token: c.admin, body: { municipality_code: c.muni1, valid_from: '2030-06-01', valid_until: '2030-01-01', goal: 'nope', business_hours_per_week: 'x' } });
	const pf = assertProblem(perm, 422, 'validation_failed').errors.map((e) => e.field);
	for (const f of ['valid_until', 'goal', 'business_hours_per_week', 'decision_reference']) assert.ok(pf.includes(f), `${f} in ${JSON.stringify(pf)}`);
});

test('a user body lists its table errors with the role and scope rules in one 422; a refused role leaves its scope unjudged', async () => {
	const r = await srv.api('POST', '/v1/users', {
		token: c.admin,
		body: { username: 'has space', password: 'short', role: 'member', municipality_code: 'GM12', extra: true },
	});
	const p = assertProblem(r, 422, 'validation_failed');
	const got = p.errors.map((e) => `${e.field}:${e.code}`).sort();
	for (const want of ['username:invalid_value', 'password:too_short', 'extra:unknown_field', 'cooperative_id:required', 'member_id:required', 'municipality_code:invalid_value'])
		assert.ok(got.includes(want), `${want} in ${JSON.stringify(got)}`);
	const bad = await srv.api('POST', '/v1/users', { token: c.admin, body: { username: 'ok.name', password: 'x'.repeat(12), role: 'nobody', cooperative_id: c.coopA } });
	const q = assertProblem(bad, 422, 'validation_failed');
	assert.deepEqual(q.errors.map((e) => e.field), ['role'], JSON.stringify(q.errors));
});

test('expenses and hours: a future date or week and a second wrong field come in one 422 with the table errors', async () => {
	const future = new Date(Date.now() + 40 * 86400000).toISOString().slice(0, 10);
	const e = await srv.api('POST', `/v1/members/${c.memberA}/expenses`, { token: c.admin, body: { date: future, description: '', category: 'training', amount_cents: 100, vat_cents: 500 } });
	const ef = assertProblem(e, 422, 'validation_failed').errors.map((x) => x.field);
	for (const f of ['date', 'description', 'vat_cents']) assert.ok(ef.includes(f), `${f} in ${JSON.stringify(ef)}`);
	const h = await srv.api('POST', `/v1/members/${c.memberA}/hours`, { token: c.admin, body: { week: '2026-W60', business_hours: 'lots', applications: -1 } });
	const hf = assertProblem(h, 422, 'validation_failed').errors.map((x) => x.field);
	for (const f of ['week', 'business_hours', 'applications']) assert.ok(hf.includes(f), `${f} in ${JSON.stringify(hf)}`);
});
