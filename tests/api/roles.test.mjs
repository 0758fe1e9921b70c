// The role matrix, driven by `coopd routes`: every authenticated route answers 401 without a
// token, 403 forbidden to every role it does not list, and neither 401 nor 403 to the roles it
// lists; public routes need no token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, cast, runCoopd, assertProblem, uuid } from './harness.mjs';

const ROLES = ['platform_admin', 'coop_admin', 'bookkeeper', 'auditor', 'member', 'municipality'];
let env;
let srv;
let c;
let routes;
let tokens;

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await cast(srv, env.dbUrl);
	const r = await runCoopd(['routes'], {});
	assert.equal(r.code, 0, r.stderr);
	routes = JSON.parse(r.stdout);
	tokens = {
		platform_admin: c.admin,
		coop_admin: c.coopAdminA.token,
		bookkeeper: c.bookkeeperA.token,
		auditor: c.auditorA.token,
		member: c.memberUserA.token,
		municipality: c.municipalityUser.token,
	};
});
after(() => srv?.kill());

function concrete(path) {
	return path.replace(/\{([a-z_]+)(:[a-z]+)?\}/g, (_, name) => {
		if (name === 'coop_id') return c.coopA;
		if (name === 'code' || name === 'municipality_code') return c.muni;
		return uuid(); // an unknown object: allowed roles get 404, not 403
	});
}

function call(rt, token) {
	const opts = { token };
	if (['POST', 'PATCH', 'PUT'].includes(rt.method)) opts.body = {};
	return srv.api(rt.method, concrete(rt.path), opts);
}

test('coopd routes lists every route with method, path, roles, auth and idempotent', () => {
	assert.ok(Array.isArray(routes) && routes.length >= 16, `${routes.length} routes`);
	for (const rt of routes) {
		assert.match(rt.method, /^(GET|POST|PATCH|PUT|DELETE)$/);
		assert.match(rt.path, /^\/(v1\/|metrics$)/);
		assert.ok(Array.isArray(rt.roles));
		for (const role of rt.roles) assert.ok(ROLES.includes(role), role);
		assert.equal(typeof rt.auth, 'boolean');
		assert.equal(typeof rt.idempotent, 'boolean');
		assert.equal(rt.auth, rt.roles.length > 0, `${rt.method} ${rt.path}: auth iff roles`);
	}
	const keys = routes.map((rt) => `${rt.method} ${rt.path}`);
	assert.equal(new Set(keys).size, keys.length, 'no duplicate routes');
});

test('every authenticated route answers 401 unauthorized without a token', async () => {
	for (const rt of routes.filter((x) => x.auth)) {
		const r = await call(rt, undefined);
		assertProblem(r, 401, 'unauthorized');
	}
});

test('public routes answer without a token (never 401 or 403)', async () => {
	for (const rt of routes.filter((x) => !x.auth)) {
		const r = await call(rt, undefined);
		assert.ok(![401, 403].includes(r.status), `${rt.method} ${rt.path}: ${r.status}`);
	}
});

test('every authenticated route answers 403 forbidden to each role it does not list', async () => {
	let checked = 0;
	for (const rt of routes.filter((x) => x.auth)) {
		for (const role of ROLES.filter((x) => !rt.roles.includes(x))) {
			const r = await call(rt, tokens[role]);
			assert.equal(r.status, 403, `${role} on ${rt.method} ${rt.path}: ${r.status} ${r.text}`);
			assertProblem(r, 403, 'forbidden');
			checked++;
		}
	}
	assert.ok(checked > 20, `${checked} forbidden pairs checked`);
});

test('every authenticated route lets each role it lists through the role check (neither 401 nor 403)', async () => {
	for (const rt of routes.filter((x) => x.auth)) {
		for (const role of rt.roles) {
			const r = await call(rt, tokens[role]);
			assert.ok(![401, 403].includes(r.status), `${role} on ${rt.method} ${rt.path}: ${r.status} ${r.text}`);
			assert.ok(r.status < 500, `${role} on ${rt.method} ${rt.path}: ${r.status} ${r.text}`);
		}
	}
});

test('the role check comes before the scope check: a forbidden role gets 403 even for an unknown id', async () => {
	assertProblem(await srv.api('GET', `/v1/users/${uuid()}`, { token: tokens.bookkeeper }), 403, 'forbidden');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${uuid()}/audit-events`, { token: tokens.member }), 403, 'forbidden');
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
