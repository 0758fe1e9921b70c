'use strict';
// The peer of `make bench` (issue 15): GET /v1/members/:id and GET /v1/users/:id as a Node
// developer would write them with Fastify, node-postgres and fast-jwt, doing the work coopd
// does for the same requests, so that the benchmark compares the implementations, not the work.
//
// Per request, as coopd (service/http/server.c authenticate, service/auth/token.c,
// service/auth/context.c, service/domain/members.c and users.c, service/db/pool.c):
// - the bearer token is verified: HS256 only (the algorithm pinned), the secret's bytes as given
//   (COOPD_JWT_SECRET, not base64-decoded), iss and aud (COOPD_JWT_ISSUER, COOPD_JWT_AUDIENCE;
//   coopd's defaults "coopd" and "coopd-api"), exp, nbf and iat integers checked with 60 s of
//   leeway, typ "JWT" when present, no crit, a kid when present must be the secret's key id, and
//   the claim shapes: sub a lowercase UUID, a known role, a non-empty jti, the scope claims that
//   fit the role;
// - the route's role check (coopd's route table: users ADMINS, members MEMBER_READERS): 403;
// - in the database, the token check token_usable(sub, jti, iat) and the read with the scope
//   parameters of the caller (NULL for a platform admin), in one implicit transaction.
// The document comes from the database as text (member_doc(m)::text) and is passed through
// unparsed, with the ETag from row_version. Errors are problem+json as coopd writes them.
//
// Environment: DATABASE_URL, COOPD_JWT_SECRET (required); COOPD_DB_POOL (6, coopd's default),
// COOPD_JWT_ISSUER, COOPD_JWT_AUDIENCE, COOPD_STATEMENT_TIMEOUT_MS (5000), PEER_LISTEN
// (127.0.0.1:8090), PEER_QUERIES (combined | separate, see below).
//
// One process (node's default deployment; no cluster module), logging off; run it with
// NODE_ENV=production.

const crypto = require('node:crypto');
const Fastify = require('fastify');
const { createVerifier } = require('fast-jwt');
const { Pool } = require('pg');

const LEEWAY_SECONDS = 60; // coopd's TOKEN_LEEWAY_SECONDS
const TOKEN_MAX_LEN = 8192; // coopd's TOKEN_MAX_LEN

function env(name, fallback) {
	const v = process.env[name];
	return v === undefined || v === '' ? fallback : v;
}
function envInt(name, fallback, min, max) {
	const s = env(name, String(fallback));
	const n = Number(s);
	if (!/^[0-9]+$/.test(s) || n < min || n > max) fail(`${name} must be an integer ${min}..${max}`);
	return n;
}
function fail(msg) {
	process.stderr.write(`peer: ${msg}\n`);
	process.exit(2);
}

const databaseUrl = env('DATABASE_URL') || fail('DATABASE_URL is required');
const secret = env('COOPD_JWT_SECRET') || fail('COOPD_JWT_SECRET is required');
if (Buffer.byteLength(secret) < 32 || Buffer.byteLength(secret) > 4096)
	fail('COOPD_JWT_SECRET must be 32 to 4096 bytes');
const issuer = env('COOPD_JWT_ISSUER', 'coopd');
const audience = env('COOPD_JWT_AUDIENCE', 'coopd-api');
const poolSize = envInt('COOPD_DB_POOL', 6, 1, 100);
const statementTimeout = envInt('COOPD_STATEMENT_TIMEOUT_MS', 5000, 100, 600000);
const listen = env('PEER_LISTEN', '127.0.0.1:8090');
const queries = env('PEER_QUERIES', 'combined');
if (queries !== 'combined' && queries !== 'separate') fail('PEER_QUERIES is combined or separate');
const at = listen.lastIndexOf(':');
const host = listen.slice(0, at);
const port = Number(listen.slice(at + 1));

// The key id coopd puts in `kid`: the first 16 hex digits of SHA-256 over the secret.
const kid = crypto.createHash('sha256').update(secret).digest('hex').slice(0, 16);

// coopd keeps the last 4 verified tokens per worker thread (verify_cached in server.c) and only
// checks exp on a hit; fast-jwt's own cache is the equivalent here (an LRU keyed by a hash of
// the token, entries valid until exp + leeway), so neither side verifies a signature per
// request of a keep-alive client that sends the same token. A hit returns the same result
// object, so the principal derived from it is kept with it (WeakMap) and not rebuilt.
const verify = createVerifier({
	key: secret,
	algorithms: ['HS256'],
	allowedIss: issuer,
	allowedAud: audience,
	clockTolerance: LEEWAY_SECONDS * 1000,
	requiredClaims: ['exp', 'nbf', 'iat', 'iss', 'aud', 'sub', 'role', 'jti'],
	complete: true,
	cache: 64,
});
const principals = new WeakMap();

const UUID_LOWER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_ANY = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MUNICIPALITY = /^GM[0-9]{4}$/;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// Whether the scope claims fit the role (token.c scope_fits).
function scopeFits(role, coop, member, municipality) {
	switch (role) {
	case 'platform_admin':
		return coop === undefined && member === undefined && municipality === undefined;
	case 'coop_admin':
	case 'bookkeeper':
	case 'auditor':
		return UUID_LOWER.test(coop) && member === undefined && municipality === undefined;
	case 'member':
		return UUID_LOWER.test(coop) && UUID_LOWER.test(member) && municipality === undefined;
	case 'municipality':
		return MUNICIPALITY.test(municipality) && coop === undefined && member === undefined;
	default:
		return false;
	}
}

const isOptionalString = (v) => v === undefined || typeof v === 'string';

// The checks fast-jwt does not make (token.c token_verify): null when the token is not usable.
function principalOf(result) {
	const { header, payload: c } = result;
	if (header.typ !== undefined && header.typ !== 'JWT') return null;
	if (header.kid !== undefined && header.kid !== kid) return null;
	if (!Number.isSafeInteger(c.exp) || !Number.isSafeInteger(c.nbf) || !Number.isSafeInteger(c.iat))
		return null;
	if (typeof c.sub !== 'string' || !UUID_LOWER.test(c.sub) || typeof c.role !== 'string' ||
	    typeof c.jti !== 'string' || c.jti === '')
		return null;
	if (!isOptionalString(c.coop) || !isOptionalString(c.member) || !isOptionalString(c.municipality))
		return null;
	if (!scopeFits(c.role, c.coop, c.member, c.municipality)) return null;
	return {
		sub: c.sub, role: c.role, jti: c.jti, iat: String(c.iat), iatSeconds: c.iat,
		coop: c.coop ?? null, member: c.member ?? null,
	};
}

class Problem extends Error {
	constructor(status, code, detail) {
		super(detail);
		this.status = status;
		this.code = code;
	}
}
const TITLES = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error',
	503: 'Service Unavailable' };

function authenticate(request, roles) {
	const h = request.headers.authorization;
	if (typeof h !== 'string' || h.slice(0, 7).toLowerCase() !== 'bearer ')
		throw new Problem(401, 'unauthorized', 'a bearer token is required');
	const token = h.slice(7).replace(/^ +/, '');
	if (token.length > TOKEN_MAX_LEN || !JWT_SHAPE.test(token))
		throw new Problem(401, 'unauthorized', 'the token is not valid');
	let result, who;
	try {
		result = verify(token);
	} catch (e) {
		throw new Problem(401, 'unauthorized',
			e.code === 'FAST_JWT_EXPIRED' || e.code === 'FAST_JWT_INACTIVE'
				? 'the token has expired' : 'the token is not valid');
	}
	who = principals.get(result);
	if (who === undefined) {
		who = principalOf(result);
		principals.set(result, who);
	}
	if (who === null) throw new Problem(401, 'unauthorized', 'the token is not valid');
	// iat in the future beyond the leeway (coopd answers "expired" for it, as for nbf)
	if (who.iatSeconds > Date.now() / 1000 + LEEWAY_SECONDS)
		throw new Problem(401, 'unauthorized', 'the token has expired');
	if (!roles.has(who.role))
		throw new Problem(403, 'forbidden', 'your role may not use this endpoint');
	return who;
}

// coopd's connections: the same session settings (service/db/pool.c pool_init).
const pool = new Pool({
	connectionString: databaseUrl,
	max: poolSize,
	options: `-c statement_timeout=${statementTimeout} -c TimeZone=UTC -c lock_timeout=${statementTimeout} -c jit=off`,
	application_name: 'coopd-bench-peer',
});
pool.on('error', () => {}); // an idle client that lost its server is dropped by the pool

// The SQL. coopd sends the token check and the read in one libpq pipeline with one sync: one
// round trip, one implicit transaction. node-postgres has no pipelining, so by default
// (PEER_QUERIES=combined) the two statements are one prepared statement, the check as a
// one-row subquery left-joined to the read: one round trip and one snapshot, as in coopd; the
// database does the same work (the check's two index probes and the read's one, and member_doc).
// PEER_QUERIES=separate sends them as two named prepared statements on one pooled client, one
// after the other: two round trips and two implicit transactions.
// coopd's own check statement (service/auth/context.c): token_usable() is a set-returning
// function called in FROM, so that PostgreSQL inlines it (in the select list it would not be).
const CHECK = 'SELECT t.usable FROM token_usable($1, $2, $3::bigint) t(usable)';
const READS = {
	member: {
		read: 'SELECT member_doc(m)::text AS doc, m.row_version FROM members m' +
			' WHERE m.id = $1 AND ($2::uuid IS NULL OR m.cooperative_id = $2)' +
			'   AND ($3::uuid IS NULL OR m.id = $3)',
		params: (id, who) => [id, who.coop, who.member],
		roles: new Set(['platform_admin', 'coop_admin', 'bookkeeper', 'auditor', 'member']),
	},
	user: {
		read: 'SELECT user_doc(u)::text AS doc, u.row_version FROM users u' +
			' WHERE u.id = $1 AND ($2::uuid IS NULL OR u.cooperative_id = $2)',
		params: (id, who) => [id, who.coop],
		roles: new Set(['platform_admin', 'coop_admin']),
	},
};
for (const [name, r] of Object.entries(READS)) {
	// the read's parameters renumbered after the check's three
	const shifted = r.read.replace(/\$([0-9]+)/g, (_, n) => `$${Number(n) + 3}`);
	r.combined = {
		name: `${name}_get_checked`,
		text: `SELECT c.usable, d.doc, d.row_version FROM (${CHECK}) c LEFT JOIN (${shifted}) d ON true`,
	};
	r.check = { name: 'token_check', text: CHECK };
	r.readStmt = { name: `${name}_get`, text: r.read };
}

async function fetchDoc(kind, id, who) {
	const r = READS[kind];
	const check = [who.sub, who.jti, who.iat];
	if (queries === 'combined') {
		const res = await pool.query({ ...r.combined, values: check.concat(r.params(id, who)) });
		const row = res.rows[0];
		return { usable: row.usable === true, row: row.doc === null ? null : row };
	}
	const client = await pool.connect();
	try {
		const c = await client.query({ ...r.check, values: check });
		const res = await client.query({ ...r.readStmt, values: r.params(id, who) });
		return { usable: c.rows[0].usable === true, row: res.rows[0] ?? null };
	} finally {
		client.release();
	}
}

const app = Fastify({ logger: false, return503OnClosing: true });

app.setErrorHandler((err, request, reply) => {
	const status = err instanceof Problem ? err.status : err.statusCode >= 400 && err.statusCode < 500
		? err.statusCode : 500;
	const code = err instanceof Problem ? err.code : status === 500 ? 'internal_error' : 'bad_request';
	const detail = err instanceof Problem ? err.message : status === 500 ? 'internal error' : 'bad request';
	if (status === 401) reply.header('www-authenticate', 'Bearer');
	reply.code(status).header('content-type', 'application/problem+json').header('cache-control', 'no-store')
		.send(JSON.stringify({ type: `urn:coopd:problem:${code}`, title: TITLES[status] ?? 'Error', status,
			detail, code, request_id: request.id }));
});
app.setNotFoundHandler((request) => {
	throw new Problem(404, 'not_found', 'no such resource');
});

function route(kind) {
	const r = READS[kind];
	return async (request, reply) => {
		// a path whose id is no UUID matches no route in coopd: 404 before the token is looked at
		const id = request.params.id;
		if (!UUID_ANY.test(id)) throw new Problem(404, 'not_found', 'no such resource');
		const who = authenticate(request, r.roles);
		const { usable, row } = await fetchDoc(kind, id, who);
		if (!usable) throw new Problem(401, 'unauthorized', 'the token has been revoked');
		if (row === null) throw new Problem(404, 'not_found', 'no such resource');
		const etag = `"${row.row_version}"`;
		reply.header('etag', etag).header('cache-control', 'no-store').header('x-request-id', request.id);
		if (request.headers['if-none-match'] === etag) return reply.code(304).send();
		return reply.type('application/json; charset=utf-8').send(row.doc);
	};
}
app.get('/v1/members/:id', route('member'));
app.get('/v1/users/:id', route('user'));

async function main() {
	await app.listen({ host, port });
	const stop = () => {
		app.close().then(() => pool.end()).then(() => process.exit(0), () => process.exit(1));
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}
main().catch((e) => fail(e.message));
