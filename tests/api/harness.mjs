// The API test harness: a private PostgreSQL cluster, a fresh database per test file, coopd
// started on a free port with its stderr captured, psql for fixtures, an HTTP client, JWT
// helpers and user fixtures. Node's standard library only.
//
// Environment:
//   COOPD_BIN          the binary under test (default build/coopd, relative to the repository)
//   COOPD_TEST_PGURL   URL of the maintenance database of an already running cluster (set by
//                      tests/run.sh so that all test files share one cluster); without it each
//                      test process starts its own cluster and removes it on exit.
//   COOPD_CONTRACT     "off" skips the contract check of responses (below); default on.
//   COOPD_CONTRACT_DOC the document responses are checked against (default api/openapi.yaml).
//   COOPD_CONTRACT_TALLY  a file to which each test process appends "contract <file> <validated>
//                      <failures> <exempt>" at its end (tests/run.sh sums the lines).
//
// The contract check: every response request() receives is validated against api/openapi.yaml
// (tests/contract/validate/contract.mjs: documented status, headers, content type, JSON body
// schema with undocumented fields refused, CSV header row). A response that does not fit makes
// request() reject with the method, path, status and the schema errors, and is also recorded:
// the file's `after` hook prints "contract: N responses validated, M failures" to stderr and
// fails when M > 0 (so a failure is not lost when a test swallows the rejection). A request
// sent with {contract: false} is not checked (counted as exempt): only for bytes the document
// cannot describe on purpose.
import { spawn, spawnSync, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.resolve(ROOT, process.env.COOPD_BIN || 'build/coopd');
export const PGCLUSTER = path.join(ROOT, 'deploy/local/pgcluster.sh');
export const SANITIZED = /san/.test(path.basename(BIN));

// ---------------------------------------------------------------------------------------------
// Cleanup that also runs when tests fail or the process is interrupted.
const cleanups = new Set();
function runCleanups() {
	for (const fn of [...cleanups].reverse()) {
		try {
			fn();
		} catch {
			/* best effort */
		}
		cleanups.delete(fn);
	}
}
process.on('exit', runCleanups);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
	process.on(sig, () => {
		runCleanups();
		process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
	});
}
export function onCleanup(fn) {
	cleanups.add(fn);
	return () => cleanups.delete(fn);
}

// ---------------------------------------------------------------------------------------------
// Small utilities.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const hex = (n = 4) => crypto.randomBytes(n).toString('hex');
export const uuid = () => crypto.randomUUID();

export function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.unref();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

export function run(cmd, args, { env, timeout = 60000, input } = {}) {
	return new Promise((resolve) => {
		const child = execFile(
			cmd,
			args,
			{ env, timeout, maxBuffer: 64 << 20, encoding: 'utf8' },
			(err, stdout, stderr) => {
				resolve({
					code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
					signal: err?.signal ?? null,
					killed: !!err?.killed,
					stdout,
					stderr,
				});
			},
		);
		if (input !== undefined) child.stdin.end(input);
	});
}

/** Parses Prometheus text into [{name, labels, value}]. */
export function parseMetrics(text) {
	const out = [];
	for (const line of text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/.exec(line);
		if (!m) {
			out.push({ name: null, line });
			continue;
		}
		const labels = {};
		if (m[3]) for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
		out.push({ name: m[1], labels, value: Number(m[4]) });
	}
	return out;
}

/** Waits until cond() is truthy (polling), or throws with msg after timeoutMs. */
export async function waitFor(cond, { timeoutMs = 10000, intervalMs = 50, msg = 'condition' } = {}) {
	const end = Date.now() + timeoutMs;
	let last;
	for (;;) {
		try {
			last = await cond();
			if (last) return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end) throw new Error(`timed out waiting for ${msg} (last: ${last?.message ?? last})`);
		await sleep(intervalMs);
	}
}

// ---------------------------------------------------------------------------------------------
// psql: rows of the (last) result as objects of strings (null for NULL).
function parseCsv(text) {
	const rows = [];
	let row = [];
	let field = '';
	let quoted = false;
	let inQ = false;
	const push = () => {
		row.push(!quoted && field === '\\N' ? null : field);
		field = '';
		quoted = false;
	};
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (inQ) {
			if (ch === '"') {
				if (text[i + 1] === '"') {
					field += '"';
					i++;
				} else inQ = false;
			} else field += ch;
		} else if (ch === '"') {
			inQ = true;
			quoted = true;
		} else if (ch === ',') push();
		else if (ch === '\n') {
			push();
			rows.push(row);
			row = [];
		} else if (ch !== '\r') field += ch;
	}
	if (field !== '' || quoted || row.length) {
		push();
		rows.push(row);
	}
	return rows;
}

export async function psql(url, sql) {
	const r = await run('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--csv', '-P', 'null=\\N', '-c', sql], {
		env: { PATH: process.env.PATH, LANG: 'C.UTF-8', PGCONNECT_TIMEOUT: '10' },
	});
	if (r.code !== 0) {
		const e = new Error(`psql failed (${r.code}): ${r.stderr.trim()}\nSQL: ${sql}`);
		e.stderr = r.stderr;
		throw e;
	}
	const table = parseCsv(r.stdout);
	if (table.length === 0) return [];
	const [head, ...body] = table;
	return body.map((cells) => Object.fromEntries(head.map((h, i) => [h, cells[i]])));
}

/** Runs SQL in a background psql; returns {child, done} (done resolves with {code, stderr}). */
export function psqlBackground(url, sql) {
	const child = spawn('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
		env: { PATH: process.env.PATH, LANG: 'C.UTF-8' },
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	let stderr = '';
	child.stderr.on('data', (d) => (stderr += d));
	const off = onCleanup(() => child.kill('SIGKILL'));
	const done = new Promise((resolve) =>
		child.on('exit', (code) => {
			off();
			resolve({ code, stderr });
		}),
	);
	return { child, done };
}

/** Quotes a SQL literal. */
export const lit = (s) => (s === null || s === undefined ? 'NULL' : `'${String(s).replaceAll("'", "''")}'`);

// ---------------------------------------------------------------------------------------------
// PostgreSQL clusters.
export class Cluster {
	constructor({ dir = null, base = null, port = null, url }) {
		this.dir = dir; // null: a cluster this process does not own
		this.base = base;
		this.port = port;
		this.url = url; // the maintenance database "postgres"
	}
	urlFor(db) {
		return this.url.replace(/\/[^/]*$/, `/${db}`);
	}
	async stop() {
		assert.ok(this.dir, 'cannot stop a cluster this process does not own');
		const r = await run(PGCLUSTER, ['stop', this.dir]);
		assert.equal(r.code, 0, `pgcluster stop failed: ${r.stderr}`);
	}
	async start() {
		assert.ok(this.dir, 'cannot start a cluster this process does not own');
		const r = await run(PGCLUSTER, ['start', this.dir, String(this.port), 'postgres'], {
			env: { ...process.env, PGCLUSTER_FAST: '1' },
		});
		assert.equal(r.code, 0, `pgcluster start failed: ${r.stderr}`);
	}
	destroySync() {
		if (!this.dir) return;
		spawnSync(PGCLUSTER, ['stop', this.dir], { stdio: 'ignore', timeout: 60000 });
		fs.rmSync(this.base, { recursive: true, force: true });
	}
}

/** A new private cluster in a temporary directory, removed when the process exits. */
export async function startCluster() {
	const base = fs.mkdtempSync('/tmp/coopd-test-pg-');
	fs.chmodSync(base, 0o755);
	const dir = path.join(base, 'pg');
	const cluster = new Cluster({ dir, base, url: null });
	onCleanup(() => cluster.destroySync());
	let lastErr = '';
	for (let attempt = 0; attempt < 4; attempt++) {
		const port = await freePort();
		const r = await run(PGCLUSTER, ['start', dir, String(port), 'postgres'], {
			env: { ...process.env, PGCLUSTER_FAST: '1' },
		});
		if (r.code === 0) {
			cluster.port = port;
			cluster.url = r.stdout.trim().split('\n').pop();
			return cluster;
		}
		lastErr = r.stderr;
	}
	throw new Error(`could not start a PostgreSQL cluster: ${lastErr}`);
}

let shared;
/** The cluster shared by the test files of one run (COOPD_TEST_PGURL) or of this process. */
export function sharedCluster() {
	if (!shared) {
		shared = process.env.COOPD_TEST_PGURL
			? Promise.resolve(new Cluster({ url: process.env.COOPD_TEST_PGURL }))
			: startCluster();
	}
	return shared;
}

/** A fresh, empty database in the cluster; returns its URL. */
export async function createDatabase(cluster) {
	const name = `coopd_t_${hex(6)}`;
	await psql(cluster.url, `CREATE DATABASE ${name}`);
	return cluster.urlFor(name);
}

// ---------------------------------------------------------------------------------------------
// The contract check (see the head of this file).
const CONTRACT_DIR = path.join(ROOT, 'tests/contract/validate');
const contractOn = process.env.COOPD_CONTRACT !== 'off';
const contractStats = { validated: 0, failures: [], exempt: 0 };
let contract = null;
if (contractOn) {
	// A single test file run without tests/run.sh: install the pinned validator first (before
	// the import: a module whose dependency failed to resolve stays failed in this process).
	if (!fs.existsSync(path.join(CONTRACT_DIR, 'node_modules/ajv/package.json'))) {
		const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--silent'], { cwd: CONTRACT_DIR, encoding: 'utf8', timeout: 300000 });
		if (r.status !== 0) throw new Error(`contract: npm ci in ${CONTRACT_DIR} failed: ${r.stderr || r.error}`);
	}
	const mod = await import('../contract/validate/contract.mjs');
	contract = mod.loadContract(path.resolve(ROOT, process.env.COOPD_CONTRACT_DOC || 'api/openapi.yaml'), { gaps: mod.loadGaps() });
	after(() => {
		const file = path.relative(ROOT, process.argv[1] ?? '?');
		const n = contractStats.failures.length;
		const gaps = [...contract.gapHits].map(([id, k]) => `${id}=${k}`).join(',');
		process.stderr.write(
			`contract: ${contractStats.validated} responses validated, ${n} failures` +
				`${contractStats.exempt ? `, ${contractStats.exempt} exempt` : ''}${gaps ? `, known document gaps ${gaps}` : ''} (${file})\n`,
		);
		if (process.env.COOPD_CONTRACT_TALLY)
			fs.appendFileSync(process.env.COOPD_CONTRACT_TALLY, `contract ${file} ${contractStats.validated} ${n} ${contractStats.exempt} ${gaps || '-'}\n`);
		// Failing here stops the file's later after hooks (which stop coopd): clean up first, or
		// the process would wait for its children until the file's timeout.
		if (n) runCleanups();
		if (n) assert.fail(`contract: ${n} responses do not fit api/openapi.yaml:\n${contractStats.failures.slice(0, 20).join('\n')}`);
	});
}

/**
 * Checks one response against the document; returns null or the error text (also recorded).
 * res: {status, rawHeaders | headers, body (Buffer) | text}. Exported for the tests that read
 * responses their own way (binary bodies through fetch()).
 */
export function contractCheck(method, p, res) {
	if (!contract) return null;
	contractStats.validated++;
	const errors = contract.check({ method, path: p, status: res.status, headers: res.rawHeaders ?? res.headers, body: res.body ?? res.text });
	if (!errors.length) return null;
	const msg = `contract: ${method} ${p} → ${res.status}: ${errors.join('; ')}`;
	contractStats.failures.push(msg);
	return msg;
}

/** Counts a response that is not checked on purpose ({contract: false}). */
export function contractExempt() {
	contractStats.exempt++;
}

// ---------------------------------------------------------------------------------------------
// HTTP client: one connection per request (Connection: close), full control over headers.
function makeHeaders(rawHeaders) {
	const h = new Headers();
	for (let i = 0; i < rawHeaders.length; i += 2) {
		try {
			h.append(rawHeaders[i], rawHeaders[i + 1]);
		} catch {
			/* a header value Headers refuses: ignore */
		}
	}
	return h;
}

/**
 * request(base, method, path, {token, body, headers, rawBody, chunks, timeoutMs})
 *   body: a value sent as JSON (Content-Type: application/json unless headers say otherwise)
 *   rawBody: a string or Buffer sent as is (Content-Type: application/json unless given)
 *   headers: extra headers; a header set to null is not sent
 *   chunks: an array of strings/Buffers sent with Transfer-Encoding: chunked
 *   contract: false skips the contract check of the response (counted as exempt)
 * → {status, headers (Headers), rawHeaders, json, text, ms}; rejects when the response does not
 *   fit api/openapi.yaml
 */
export function request(base, method, p, opts = {}) {
	const { token, body, rawBody, chunks, timeoutMs = 20000 } = opts;
	const headers = {};
	for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
	if (token !== undefined && token !== null && !('authorization' in headers)) headers.authorization = `Bearer ${token}`;
	let payload = null;
	if (rawBody !== undefined) payload = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody);
	else if (body !== undefined) payload = Buffer.from(JSON.stringify(body));
	if ((payload || chunks) && !('content-type' in headers)) headers['content-type'] = 'application/json';
	if (payload) headers['content-length'] = String(payload.length);
	for (const k of Object.keys(headers)) if (headers[k] === null || headers[k] === undefined) delete headers[k];
	const url = new URL(p, base);
	const started = performance.now();
	return new Promise((resolve, reject) => {
		const req = http.request(
			{
				host: url.hostname,
				port: url.port,
				method,
				path: url.pathname + url.search,
				headers,
				agent: false,
				timeout: timeoutMs,
			},
			(res) => {
				const parts = [];
				res.on('data', (d) => parts.push(d));
				res.on('error', reject);
				res.on('end', () => {
					const bodyBuf = Buffer.concat(parts);
					const text = bodyBuf.toString('utf8');
					let json;
					try {
						json = text ? JSON.parse(text) : undefined;
					} catch {
						json = undefined;
					}
					if (opts.contract === false) contractExempt();
					else if (opts.contract !== 'probe') {
						const bad = contractCheck(method, url.pathname + url.search, { status: res.statusCode, rawHeaders: res.rawHeaders, body: bodyBuf });
						if (bad) {
							reject(new Error(`${bad}\nbody: ${text.slice(0, 600)}`));
							return;
						}
					}
					resolve({
						status: res.statusCode,
						headers: makeHeaders(res.rawHeaders),
						rawHeaders: res.rawHeaders,
						json,
						text,
						ms: performance.now() - started,
					});
				});
			},
		);
		req.on('timeout', () => req.destroy(new Error(`${method} ${p}: no response within ${timeoutMs} ms`)));
		req.on('error', reject);
		if (chunks) {
			(async () => {
				for (const c of chunks) {
					if (!req.write(c)) await new Promise((r) => req.once('drain', r));
				}
				req.end();
			})().catch(reject);
		} else req.end(payload ?? undefined);
	});
}

// ---------------------------------------------------------------------------------------------
// JWTs.
export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const b64json = (obj) => b64url(JSON.stringify(obj));

export function decodeJwt(token) {
	const [h, p, s] = token.split('.');
	return {
		header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
		payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
		signature: s,
		signingInput: `${h}.${p}`,
	};
}

/** Signs a JWT. key: HMAC secret (HS*), private key (RS256/ES256), ignored for none. */
export function signJwt(payload, key, { alg = 'HS256', header = {} } = {}) {
	const input = `${b64json({ alg, typ: 'JWT', ...header })}.${b64json(payload)}`;
	let sig;
	if (alg === 'none') sig = Buffer.alloc(0);
	else if (alg.startsWith('HS')) sig = crypto.createHmac(`sha${alg.slice(2)}`, key).update(input).digest();
	else if (alg === 'RS256') sig = crypto.sign('sha256', Buffer.from(input), key);
	else if (alg === 'ES256') sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
	else throw new Error(`signJwt: unsupported alg ${alg}`);
	return `${input}.${b64url(sig)}`;
}

/** The claims coopd puts into a token for a user (scope claims only when set). */
export function claimsFor(user, { now = Math.floor(Date.now() / 1000), ttl = 600, iss = 'coopd', aud = 'coopd-api' } = {}) {
	const c = { iss, aud, sub: user.id, role: user.role };
	if (user.cooperative_id) c.coop = user.cooperative_id;
	if (user.member_id) c.member = user.member_id;
	if (user.municipality_code) c.municipality = user.municipality_code;
	Object.assign(c, { iat: now, nbf: now, exp: now + ttl, jti: uuid() });
	return c;
}

// ---------------------------------------------------------------------------------------------
// coopd processes.
function baseEnv() {
	const e = { PATH: process.env.PATH, LANG: 'C.UTF-8' };
	for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'TZ', 'HOME']) if (process.env[k]) e[k] = process.env[k];
	return e;
}

const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer/;

export class Coopd {
	constructor({ proc, port, env, dbUrl, bin }) {
		this.proc = proc;
		this.port = port;
		this.env = env;
		this.dbUrl = dbUrl;
		this.bin = bin;
		this.base = `http://127.0.0.1:${port}`;
		this.secret = env.COOPD_JWT_SECRET;
		this.adminPassword = env.COOPD_BOOTSTRAP_ADMIN_PASSWORD;
		this.exitInfo = null;
		this._stderr = [];
		this._stdout = [];
		proc.stderr.on('data', (d) => this._stderr.push(d));
		proc.stdout.on('data', (d) => this._stdout.push(d));
		this.exited = new Promise((resolve) =>
			proc.on('exit', (code, signal) => {
				this.exitInfo = { code, signal };
				resolve(this.exitInfo);
			}),
		);
		this._off = onCleanup(() => {
			if (!this.exitInfo) proc.kill('SIGKILL');
		});
		this.exited.then(() => this._off());
	}
	get stderr() {
		return Buffer.concat(this._stderr).toString('utf8');
	}
	get stdout() {
		return Buffer.concat(this._stdout).toString('utf8');
	}
	/** The JSON log lines of stderr (non-JSON lines come back as {unparsed: line}). */
	logLines() {
		return this.stderr
			.split('\n')
			.filter((l) => l.length)
			.map((l) => {
				try {
					return JSON.parse(l);
				} catch {
					return { unparsed: l };
				}
			});
	}
	tail(n = 6000) {
		const s = this.stderr;
		return s.length > n ? `...${s.slice(-n)}` : s;
	}
	/** Requests to this coopd; with `contractExempt` set (a reason), none is contract-checked. */
	api(method, p, opts) {
		return request(this.base, method, p, this.contractExempt ? { ...opts, contract: false } : opts);
	}
	/** The value of one metric sample (labels must match), or undefined. */
	async metric(name, labels = {}) {
		const r = await this.api('GET', '/metrics');
		const hits = parseMetrics(r.text).filter(
			(x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
		);
		return hits.length ? hits.reduce((a, x) => a + x.value, 0) : undefined;
	}
	async token(body) {
		return this.api('POST', '/v1/auth/token', { body });
	}
	/** Logs in with the password grant; asserts success; returns the access token. */
	async login(username, password) {
		const r = await this.token({ grant_type: 'password', username, password });
		assert.equal(r.status, 200, `login of ${username} failed: ${r.status} ${r.text}`);
		return r.json.access_token;
	}
	async adminToken() {
		if (!this._adminToken) this._adminToken = await this.login('admin', this.adminPassword);
		return this._adminToken;
	}
	/** Sends a signal (once per kind) without waiting. */
	signal(sig = 'SIGTERM') {
		this.sent = this.sent ?? new Set();
		if (!this.exitInfo && !this.sent.has(sig)) this.proc.kill(sig);
		this.sent.add(sig);
	}
	/** SIGTERM (unless already sent); asserts a clean exit (code 0, no sanitizer report) within timeoutMs. */
	async stop({ timeoutMs = 30000 } = {}) {
		this.signal('SIGTERM');
		let timer;
		const info = await Promise.race([
			this.exited,
			new Promise((r) => {
				timer = setTimeout(() => r(null), timeoutMs);
			}),
		]);
		clearTimeout(timer);
		if (!info) {
			this.proc.kill('SIGKILL');
			await this.exited;
			assert.fail(`coopd did not exit within ${timeoutMs} ms of SIGTERM; stderr:\n${this.tail()}`);
		}
		assert.ok(
			info.code === 0 && info.signal === null,
			`coopd exited with code ${info.code} signal ${info.signal} after SIGTERM (expected 0); stderr:\n${this.tail()}`,
		);
		assert.doesNotMatch(this.stderr, SANITIZER_REPORT, `sanitizer report in stderr:\n${this.tail()}`);
		for (const [what, secret] of [['COOPD_JWT_SECRET', this.secret], ['the bootstrap password', this.adminPassword], ['an admin token', this._adminToken]])
			if (secret) assert.ok(!this.stderr.includes(secret), `the log contains ${what}`);
	}
	kill() {
		if (!this.exitInfo) this.proc.kill('SIGKILL');
		return this.exited;
	}
}

/** Environment for a coopd on dbUrl listening on port (overrides may set a key to null = unset). */
export function coopdEnv(dbUrl, port, overrides = {}) {
	const env = {
		...baseEnv(),
		DATABASE_URL: dbUrl,
		COOPD_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
		COOPD_BOOTSTRAP_ADMIN_PASSWORD: `admin-${hex(8)}`,
		COOPD_LISTEN: `127.0.0.1:${port}`,
		// COOPD_TEST_READ_URL=self: the database is its own read replica, so that the suite runs
		// every lag-tolerant read through the read pool (tests/run.sh does so for the sanitized
		// binary).
		...(process.env.COOPD_TEST_READ_URL === 'self' ? { DATABASE_READ_URL: dbUrl } : {}),
		...overrides,
	};
	for (const k of Object.keys(env)) if (env[k] === null || env[k] === undefined) delete env[k];
	return env;
}

/** Starts coopd on a free port and waits until /v1/health answers 200. */
export async function startCoopd({ dbUrl, env = {}, bin = BIN, timeoutMs = 30000 } = {}) {
	for (let attempt = 0; ; attempt++) {
		const port = await freePort();
		const fullEnv = coopdEnv(dbUrl, port, env);
		const proc = spawn(bin, [], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
		const srv = new Coopd({ proc, port, env: fullEnv, dbUrl, bin });
		const end = Date.now() + timeoutMs;
		for (;;) {
			if (srv.exitInfo) break;
			// Until coopd listens, another process may hold the port for a moment: only the answer
			// that ends the wait is contract-checked.
			let r = null;
			try {
				r = await request(srv.base, 'GET', '/v1/health', { timeoutMs: 2000, contract: 'probe' });
			} catch {
				/* not listening yet */
			}
			if (r?.status === 200) {
				const bad = contractCheck('GET', '/v1/health', r);
				if (bad) throw new Error(bad);
				return srv;
			}
			if (Date.now() > end) {
				await srv.kill();
				throw new Error(`coopd did not answer /v1/health within ${timeoutMs} ms; stderr:\n${srv.tail()}`);
			}
			await sleep(50);
		}
		// It exited: retry once when the port was taken meanwhile, else report.
		if (attempt < 2 && /address already in use|bind|listen/i.test(srv.stderr)) continue;
		throw new Error(`coopd exited during start-up (code ${srv.exitInfo.code}, signal ${srv.exitInfo.signal}); stderr:\n${srv.tail()}`);
	}
}

/** Runs coopd to completion (e.g. `migrate`, `routes`, a refused configuration). */
export async function runCoopd(args, env, { bin = BIN, timeout = 30000 } = {}) {
	const full = { ...baseEnv(), ...env };
	for (const k of Object.keys(full)) if (full[k] === null || full[k] === undefined) delete full[k];
	return run(bin, args, { env: full, timeout });
}

// ---------------------------------------------------------------------------------------------
// Per-file setup.
/** A fresh database on the shared cluster and a coopd on it: {cluster, dbUrl, srv, sql}. */
export async function setup({ env = {}, cluster } = {}) {
	const c = cluster ?? (await sharedCluster());
	const dbUrl = await createDatabase(c);
	const srv = await startCoopd({ dbUrl, env });
	return { cluster: c, dbUrl, srv, sql: (q) => psql(dbUrl, q) };
}

// ---------------------------------------------------------------------------------------------
// Fixtures.
let muniCounter = 0;
/** Inserts a municipality (a fresh random code unless given); returns its code. */
export async function createMunicipality(dbUrl, code, name = 'Gemeente Test') {
	for (;;) {
		const c = code ?? `GM${String(1000 + ((process.pid * 7 + muniCounter++ * 131 + crypto.randomInt(9000)) % 9000)).padStart(4, '0')}`;
		const rows = await psql(dbUrl, `insert into municipalities(code, name) values(${lit(c)}, ${lit(name)}) on conflict do nothing returning code`);
		if (rows.length) return rows[0].code;
		if (code) return code; // it existed already
	}
}

/** Inserts a cooperative (with the legal data migration 003 requires); returns its id. */
export async function createCooperative(dbUrl, legalName = `Coop ${hex(3)}`) {
	const prefix = `C${hex(4).toUpperCase()}`;
	const rows = await psql(
		dbUrl,
		`insert into cooperatives(id, legal_name, invoice_prefix, kvk_number, street, house_number, postal_code, city)` +
			` values(gen_random_uuid(), ${lit(legalName)}, ${lit(prefix)}, '12345678', 'Dam', '1', '1012 AB', 'Amsterdam') returning id`,
	);
	return rows[0].id;
}

/** Inserts a member of coopId living in municipalityCode; returns its id. */
export async function createMember(dbUrl, coopId, municipalityCode, first = 'Ann', last = 'Smit') {
	const rows = await psql(
		dbUrl,
		`insert into members(id, cooperative_id, first_name, last_name, municipality_code, date_of_birth, street, house_number, postal_code, city)` +
			` values(gen_random_uuid(), ${lit(coopId)}, ${lit(first)}, ${lit(last)}, ${lit(municipalityCode)}, '1980-05-17', 'Kerkstraat', '12', '1012 AB', 'Amsterdam') returning id`,
	);
	return rows[0].id;
}

export const uname = (prefix = 'u') => `${prefix}.${hex(4)}`;
export const password = () => `pw-${hex(10)}`;

/** Creates a user through the API (asserts 201); returns {user, password, username, body}. */
export async function createUser(srv, token, fields, { headers } = {}) {
	const body = { username: uname(fields.role ?? 'u'), ...fields };
	let pw = null;
	if ((body.kind ?? 'person') === 'person' && !('password' in fields)) body.password = password();
	pw = body.password ?? null;
	const r = await srv.api('POST', '/v1/users', { token, body, headers });
	assert.equal(r.status, 201, `creating user ${JSON.stringify(body)} failed: ${r.status} ${r.text}`);
	return { user: r.json, password: pw, username: body.username, response: r, clientSecret: r.json.client_secret };
}

/** Creates a user and logs it in: {user, token, password, username}. */
export async function userWithToken(srv, adminToken, fields) {
	const u = await createUser(srv, adminToken, fields);
	if (u.user.kind === 'client') {
		const r = await srv.token({ grant_type: 'client_credentials', client_id: u.username, client_secret: u.clientSecret });
		assert.equal(r.status, 200, `client login failed: ${r.status} ${r.text}`);
		return { ...u, token: r.json.access_token };
	}
	return { ...u, token: await srv.login(u.username, u.password) };
}

/**
 * The usual cast: two cooperatives (A, B), a municipality, a member in each coop, and one
 * logged-in user per role (coop roles in A; coopAdminB in B).
 */
export async function cast(srv, dbUrl) {
	const admin = await srv.adminToken();
	const muni = await createMunicipality(dbUrl);
	const coopA = await createCooperative(dbUrl, 'Coop A');
	const coopB = await createCooperative(dbUrl, 'Coop B');
	const memberA = await createMember(dbUrl, coopA, muni);
	const memberB = await createMember(dbUrl, coopB, muni);
	const adminMe = await srv.api('GET', '/v1/me', { token: admin });
	assert.equal(adminMe.status, 200, adminMe.text);
	const c = { admin, adminUser: adminMe.json, muni, coopA, coopB, memberA, memberB };
	c.coopAdminA = await userWithToken(srv, admin, { role: 'coop_admin', cooperative_id: coopA });
	c.coopAdminB = await userWithToken(srv, admin, { role: 'coop_admin', cooperative_id: coopB });
	c.bookkeeperA = await userWithToken(srv, admin, { role: 'bookkeeper', cooperative_id: coopA });
	c.auditorA = await userWithToken(srv, admin, { role: 'auditor', cooperative_id: coopA });
	c.memberUserA = await userWithToken(srv, admin, { role: 'member', cooperative_id: coopA, member_id: memberA });
	c.municipalityUser = await userWithToken(srv, admin, { role: 'municipality', municipality_code: muni });
	return c;
}

// ---------------------------------------------------------------------------------------------
// Assertions shared by the test files.
export const API_VERSION_RE = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** Asserts an RFC 9457 problem with the given status and code; returns the body. */
export function assertProblem(r, status, code, { field, fieldCode } = {}) {
	const where = `${r.status} ${r.headers.get('content-type')} ${r.text}`;
	assert.equal(r.status, status, `expected ${status} ${code}, got ${where}`);
	assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/, `problem content type: ${where}`);
	assert.ok(r.json && typeof r.json === 'object', `problem body is JSON: ${where}`);
	assert.equal(r.json.status, status, `problem.status: ${where}`);
	assert.equal(r.json.code, code, `problem.code: ${where}`);
	for (const k of ['type', 'title', 'detail', 'request_id']) assert.equal(typeof r.json[k], 'string', `problem.${k} is a string: ${where}`);
	assert.equal(r.json.request_id, r.headers.get('x-request-id'), `problem.request_id = X-Request-Id: ${where}`);
	assert.match(r.headers.get('api-version') ?? '', API_VERSION_RE, `API-Version on an error: ${where}`);
	if (field !== undefined) {
		assert.ok(Array.isArray(r.json.errors), `problem.errors[] present: ${where}`);
		const hit = r.json.errors.find((e) => e.field === field && (fieldCode === undefined || e.code === fieldCode));
		assert.ok(hit, `errors[] has field ${field}${fieldCode ? ` with code ${fieldCode}` : ''}: ${where}`);
		assert.equal(typeof hit.message, 'string', `errors[].message: ${where}`);
	}
	return r.json;
}

export const USER_KEYS = ['id', 'username', 'kind', 'role', 'cooperative_id', 'member_id', 'municipality_code', 'disabled', 'created_at', 'updated_at'];
export const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Asserts the User object shape (exactly its documented keys, plus client_secret if allowed). */
export function assertUser(u, expect = {}, { allowSecret = false } = {}) {
	const keys = Object.keys(u).filter((k) => !(allowSecret && k === 'client_secret')).sort();
	assert.deepEqual(keys, [...USER_KEYS].sort(), `User keys: ${JSON.stringify(u)}`);
	assert.match(u.id, UUID_RE);
	assert.match(u.created_at, RFC3339_UTC);
	assert.match(u.updated_at, RFC3339_UTC);
	assert.equal(typeof u.disabled, 'boolean');
	for (const [k, v] of Object.entries(expect)) assert.deepEqual(u[k], v, `User.${k}: ${JSON.stringify(u)}`);
}

/** Follows next_cursor from path (which may carry a query) and returns all items. */
export async function listAll(srv, token, p, limit = 2, startAfter = null) {
	const sep = p.includes('?') ? '&' : '?';
	let url = `${p}${sep}limit=${limit}${startAfter ? `&after=${encodeURIComponent(startAfter)}` : ''}`;
	const all = [];
	for (let pages = 0; pages < 1000; pages++) {
		const r = await srv.api('GET', url, { token });
		assert.equal(r.status, 200, `${url}: ${r.text}`);
		assert.ok(Array.isArray(r.json.data), r.text);
		assert.ok(r.json.data.length <= limit, `page longer than limit ${limit}: ${r.text}`);
		all.push(...r.json.data);
		if (r.json.next_cursor === null) return all;
		assert.equal(typeof r.json.next_cursor, 'string', r.text);
		url = `${p}${sep}limit=${limit}&after=${encodeURIComponent(r.json.next_cursor)}`;
	}
	throw new Error('pagination did not end');
}

// ---------------------------------------------------------------------------------------------
// The core domain (issue 3): identifier vectors (RULES.md §4), valid bodies, API fixtures.
export const VALID = {
	kvk: '12345678',
	rsin: '111222333',
	vat: 'NL002455799B11',
	iban: 'NL91ABNA0417164300',
	iban2: 'NL02ABNA0123456789',
	postal: '1012 AB',
	municipality: 'GM0363',
};
export const INVALID = {
	kvk: '1234567',
	rsin: '111252333',
	vat: 'NL123456789B90',
	iban: 'NL91ABNA0417164301',
	postal: ['0123 AB', '1234 SA'],
	municipality: 'GM363',
};

/** RFC 4180 rows of a CSV text (CRLF or LF line ends), every cell a string. */
export function csvRows(text) {
	return parseCsv(text).map((row) => row.map((c) => (c === null ? '\\N' : c)));
}

/** Today (or today + days) in the Europe/Amsterdam calendar as YYYY-MM-DD. */
export function todayNl(days = 0) {
	const d = new Date(Date.now() + days * 86400000);
	return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

export const address = (over = {}) => ({ street: 'Damrak', house_number: '1a', postal_code: '1012 AB', city: 'Amsterdam', ...over });

let coreSeq = 0;
/** A number unique within this process (for names, prefixes, dates). */
export const nextSeq = () => ++coreSeq;

/** A fresh random CBS code GM1000..GM8999 (not checked against the database); tests use GM9xxx as unknown codes. */
export const muniCode = () => `GM${1000 + crypto.randomInt(8000)}`;

export function coopBody(over = {}) {
	return {
		legal_name: `Cooperatie ${hex(3)} U.A.`,
		kvk_number: VALID.kvk,
		address: address(),
		invoice_prefix: `P${hex(4).toUpperCase()}`,
		...over,
	};
}

export function memberBody(municipalityCode, over = {}) {
	return {
		first_name: 'Fatima',
		last_name: `Bakker ${hex(2)}`,
		date_of_birth: '1985-03-14',
		address: address({ street: 'Kerkstraat', house_number: '12' }),
		municipality_code: municipalityCode,
		...over,
	};
}

export function permissionBody(municipalityCode, over = {}) {
	return {
		municipality_code: municipalityCode,
		decision_reference: `BESL-${hex(3)}`,
		valid_from: '2030-01-01',
		valid_until: '2030-06-30',
		goal: 'reintegration',
		...over,
	};
}

/** POSTs body to path and asserts 201; returns the created object. */
export async function apiCreate(srv, token, p, body, { headers } = {}) {
	const r = await srv.api('POST', p, { token, body, headers });
	assert.equal(r.status, 201, `POST ${p} ${JSON.stringify(body)}: ${r.status} ${r.text}`);
	return r.json;
}

/** Creates a municipality through the API (a fresh code unless given); returns its code. */
export async function apiMunicipality(srv, token, code, name = `Gemeente ${hex(2)}`) {
	for (let i = 0; i < 50; i++) {
		const c = code ?? muniCode();
		const r = await srv.api('POST', '/v1/municipalities', { token, body: { code: c, name } });
		if (r.status === 201) return r.json.code;
		if (r.status === 409 && !code) continue;
		assert.fail(`POST /v1/municipalities ${c}: ${r.status} ${r.text}`);
	}
	throw new Error('no free municipality code');
}

export const apiCooperative = (srv, token, over = {}) => apiCreate(srv, token, '/v1/cooperatives', coopBody(over));
export const apiMember = (srv, token, coopId, municipalityCode, over = {}) =>
	apiCreate(srv, token, `/v1/cooperatives/${coopId}/members`, memberBody(municipalityCode, over));
export const apiPermission = (srv, token, memberId, municipalityCode, over = {}) =>
	apiCreate(srv, token, `/v1/members/${memberId}/permissions`, permissionBody(municipalityCode, over));
export const apiCustomer = (srv, token, coopId, over = {}) =>
	apiCreate(srv, token, `/v1/cooperatives/${coopId}/customers`, { name: `Klant ${hex(3)} B.V.`, ...over });

/** Asserts an ETag "<n>" (n = version when given); returns n. */
export function assertEtag(r, version) {
	const etag = r.headers.get('etag');
	assert.match(etag ?? '', /^"\d+"$/, `ETag on ${r.status}: ${etag}`);
	const n = Number(etag.slice(1, -1));
	if (version !== undefined) assert.equal(n, version, `ETag version: ${etag}`);
	return n;
}

/** Asserts that the object has exactly these keys. */
export function assertKeys(obj, keys, what = 'object') {
	assert.deepEqual(Object.keys(obj ?? {}).sort(), [...keys].sort(), `${what} keys: ${JSON.stringify(obj)}`);
}

/**
 * The audit events of one chain about one object: chain is a cooperative id or null (the
 * platform chain). Read with a platform admin's token.
 */
export async function auditFor(srv, adminToken, chain, objectId, action) {
	const base = chain ? `/v1/cooperatives/${chain}/audit-events` : '/v1/audit-events';
	const q = [`object_id=${encodeURIComponent(objectId)}`];
	if (action) q.push(`action=${encodeURIComponent(action)}`);
	return listAll(srv, adminToken, `${base}?${q.join('&')}`, 200);
}

/** Asserts exactly one audit event of action about objectId in the chain (and none in the other). */
export async function assertAudited(srv, adminToken, { chain, objectId, action, actorRole, municipality, otherChain = undefined }) {
	const events = await auditFor(srv, adminToken, chain, objectId, action);
	assert.equal(events.length, 1, `one ${action} event for ${objectId} in chain ${chain ?? 'platform'}: ${JSON.stringify(events)}`);
	const e = events[0];
	assert.equal(e.action, action);
	assert.equal(e.object_id, objectId);
	assert.equal(e.cooperative_id, chain ?? null);
	if (actorRole) assert.equal(e.actor_role, actorRole);
	if (municipality !== undefined) assert.equal(e.municipality_code, municipality, `municipality_code of ${action}`);
	if (otherChain !== undefined) {
		const other = await auditFor(srv, adminToken, otherChain, objectId, action);
		assert.equal(other.length, 0, `${action} is not in chain ${otherChain ?? 'platform'}`);
	}
	const verify = await srv.api('GET', chain ? `/v1/cooperatives/${chain}/audit-events/verify` : '/v1/audit-events/verify', { token: adminToken });
	assert.equal(verify.status, 200, verify.text);
	assert.equal(verify.json.ok, true, `chain verifies: ${verify.text}`);
	return e;
}

/**
 * Idempotent replay of a creating POST: the same key and body twice → the first 201 replayed
 * with Idempotent-Replayed: true and the same Location; count() (the number of objects) grows by one.
 */
export async function assertIdempotentCreate(srv, token, p, body, count) {
	const key = `idem-${hex(8)}`;
	const before = count ? await count() : 0;
	const first = await srv.api('POST', p, { token, body, headers: { 'idempotency-key': key } });
	assert.equal(first.status, 201, `POST ${p}: ${first.text}`);
	assert.equal(first.headers.get('idempotent-replayed'), null);
	const second = await srv.api('POST', p, { token, body, headers: { 'idempotency-key': key } });
	assert.equal(second.status, 201, `replay of POST ${p}: ${second.text}`);
	assert.equal(second.headers.get('idempotent-replayed'), 'true');
	assert.deepEqual(second.json, first.json);
	assert.equal(second.headers.get('location'), first.headers.get('location'));
	if (count) assert.equal(await count(), before + 1, `one object created by POST ${p} and its replay`);
	return first.json;
}

/**
 * The core cast, all through the API: two municipalities (muni1, muni2), two cooperatives (A, B)
 * and in each a member (A also memberA2), and one logged-in user per role (coop roles of A,
 * coopAdminB and bookkeeperB of B, a member user of memberA, a municipality user of muni1).
 */
export async function coreCast(srv) {
	const admin = await srv.adminToken();
	const adminMe = await srv.api('GET', '/v1/me', { token: admin });
	const c = { admin, adminUser: adminMe.json };
	c.muni1 = await apiMunicipality(srv, admin, undefined, 'Gemeente Een');
	c.muni2 = await apiMunicipality(srv, admin, undefined, 'Gemeente Twee');
	c.coopA = (await apiCooperative(srv, admin, { legal_name: 'Cooperatie A U.A.' })).id;
	c.coopB = (await apiCooperative(srv, admin, { legal_name: 'Cooperatie B U.A.' })).id;
	c.memberA = (await apiMember(srv, admin, c.coopA, c.muni1, { first_name: 'Anna' })).id;
	c.memberA2 = (await apiMember(srv, admin, c.coopA, c.muni1, { first_name: 'Aziz' })).id;
	c.memberB = (await apiMember(srv, admin, c.coopB, c.muni2, { first_name: 'Bram' })).id;
	c.coopAdminA = await userWithToken(srv, admin, { role: 'coop_admin', cooperative_id: c.coopA });
	c.coopAdminB = await userWithToken(srv, admin, { role: 'coop_admin', cooperative_id: c.coopB });
	c.bookkeeperA = await userWithToken(srv, admin, { role: 'bookkeeper', cooperative_id: c.coopA });
	c.bookkeeperB = await userWithToken(srv, admin, { role: 'bookkeeper', cooperative_id: c.coopB });
	c.auditorA = await userWithToken(srv, admin, { role: 'auditor', cooperative_id: c.coopA });
	c.memberUserA = await userWithToken(srv, admin, { role: 'member', cooperative_id: c.coopA, member_id: c.memberA });
	c.municipalityUser = await userWithToken(srv, admin, { role: 'municipality', municipality_code: c.muni1 });
	c.municipalityUser2 = await userWithToken(srv, admin, { role: 'municipality', municipality_code: c.muni2 });
	c.tokens = {
		platform_admin: admin,
		coop_admin: c.coopAdminA.token,
		bookkeeper: c.bookkeeperA.token,
		auditor: c.auditorA.token,
		member: c.memberUserA.token,
		municipality: c.municipalityUser.token,
	};
	return c;
}

/** Sends a raw JSON text (e.g. with 1e2, which JSON.stringify cannot produce). */
export function rawJson(srv, method, p, token, text, headers = {}) {
	return srv.api(method, p, { token, rawBody: text, headers });
}

// ---------------------------------------------------------------------------------------------
// Invoicing (issue 4): a world built through the API with legally complete cooperatives,
// members, permissions and customers, and small helpers for drafts, issuing and dates.
// (Named inv*/nl* so that they never collide with the core-domain helpers of issue 3.)
export const INV_IDS = {
	kvk: '12345678',
	vat: 'NL002455799B11',
	vat2: 'NL004495445B01',
	vat3: 'NL000099998B57',
	iban: 'NL91ABNA0417164300',
	iban2: 'NL02ABNA0123456789',
	bic: 'ABNANL2A',
	deVat: 'DE123456789',
};

/** A date in the Europe/Amsterdam calendar: today + days, as YYYY-MM-DD. */
export function nlDate(days = 0) {
	const d = new Date(Date.now() + days * 86400000);
	return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** YYYY-MM-DD + n days (calendar arithmetic in UTC, no time zone involved). */
export function addDays(date, n) {
	const d = new Date(`${date}T00:00:00Z`);
	d.setUTCDate(d.getUTCDate() + n);
	return d.toISOString().slice(0, 10);
}

/** Two dates [earlier, later] of one calendar year, neither after today (Amsterdam). */
export function twoDatesOfOneYear() {
	const today = nlDate();
	if (today.slice(5) !== '01-01') return [`${today.slice(0, 4)}-01-01`, today];
	const y = Number(today.slice(0, 4)) - 1;
	return [`${y}-12-30`, `${y}-12-31`];
}

/** "2026-Q4" for a date. */
export const quarterOf = (date) => `${date.slice(0, 4)}-Q${Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1}`;

/** POSTs body and asserts 201; returns the created object. */
export async function invCreate(srv, token, p, body) {
	const r = await srv.api('POST', p, { token, body });
	assert.equal(r.status, 201, `POST ${p} ${JSON.stringify(body)}: ${r.status} ${r.text}`);
	return r.json;
}

let invSeq = 0;
/** A cooperative with every field a legal invoice needs (through the API); returns it. */
export async function invCooperative(srv, admin, over = {}) {
	return invCreate(srv, admin, '/v1/cooperatives', {
		legal_name: `Werkcooperatie ${hex(2)} U.A.`,
		kvk_number: INV_IDS.kvk,
		vat_id: INV_IDS.vat,
		iban: INV_IDS.iban,
		bic: INV_IDS.bic,
		address: { street: 'Oudegracht', house_number: '12', postal_code: '3511 AB', city: 'Utrecht' },
		email: 'administratie@werk.example',
		invoice_prefix: `I${hex(3).toUpperCase()}${++invSeq % 10}`,
		...over,
	});
}

/** A municipality with a fresh code (through the API); returns its code. */
export async function invMunicipality(srv, admin) {
	for (let i = 0; i < 50; i++) {
		const code = `GM${1000 + crypto.randomInt(8000)}`;
		const r = await srv.api('POST', '/v1/municipalities', { token: admin, body: { code, name: `Gemeente ${hex(2)}` } });
		if (r.status === 201) return r.json.code;
		if (r.status !== 409) assert.fail(`POST /v1/municipalities: ${r.status} ${r.text}`);
	}
	throw new Error('no free municipality code');
}

/** A member of coopId (not on benefit unless over says so), activity gardening; returns it. */
export function invMember(srv, admin, coopId, muni, over = {}) {
	return invCreate(srv, admin, `/v1/cooperatives/${coopId}/members`, {
		first_name: 'Fatima',
		last_name: `Bakker ${hex(2)}`,
		date_of_birth: '1985-03-14',
		address: { street: 'Kerkstraat', house_number: '7', postal_code: '3512 CD', city: 'Utrecht' },
		municipality_code: muni,
		on_benefit: false,
		activity_description: 'Tuinonderhoud',
		activity_category: 'gardening',
		status: 'active',
		joined_on: '2020-01-01',
		...over,
	});
}

/** A Dutch business customer with address, KvK and VAT id (payment terms 14 days) unless over. */
export function invCustomer(srv, admin, coopId, over = {}) {
	return invCreate(srv, admin, `/v1/cooperatives/${coopId}/customers`, {
		name: `Hoveniersbedrijf ${hex(2)} B.V.`,
		address: { street: 'Stationsplein', house_number: '3', postal_code: '3511 ED', city: 'Utrecht' },
		kvk_number: '87654321',
		vat_id: INV_IDS.vat2,
		email: 'crediteuren@klant.example',
		payment_terms_days: 14,
		...over,
	});
}

/** An invoice line (4.5 hours of gardening at € 30.00 unless over). */
export const invLine = (over = {}) => ({ description: 'Snoeien en maaien', quantity: '4.5', unit: 'hour', unit_price_cents: 3000, ...over });

/** A cooperative with a member (not on benefit) and a customer: {coop, member, customer}. */
export async function invSmallCoop(srv, admin, muni, { coop: coopOver = {}, member: memberOver = {}, customer: customerOver = {} } = {}) {
	const coop = await invCooperative(srv, admin, coopOver);
	const member = await invMember(srv, admin, coop.id, muni, memberOver);
	const customer = await invCustomer(srv, admin, coop.id, customerOver);
	return { coop, member, customer, id: coop.id };
}

/** Creates a draft (asserts 201); returns the Invoice. */
export async function invDraft(srv, token, coopId, body) {
	const r = await srv.api('POST', `/v1/cooperatives/${coopId}/invoices`, { token, body: { supply_date: nlDate(), lines: [invLine()], ...body } });
	assert.equal(r.status, 201, `draft ${JSON.stringify(body)}: ${r.status} ${r.text}`);
	return r.json;
}

/** POST /v1/invoices/{id}/issue (body optional); returns the response. */
export function invIssueReq(srv, token, id, body, headers = {}) {
	return srv.api('POST', `/v1/invoices/${id}/issue`, body === undefined ? { token, headers } : { token, body, headers });
}

/** Issues (asserts 200); returns the Invoice. */
export async function invIssue(srv, token, id, body) {
	const r = await invIssueReq(srv, token, id, body);
	assert.equal(r.status, 200, `issue ${id}: ${r.status} ${r.text}`);
	return r.json;
}

/** A draft issued at once: returns the issued Invoice. */
export async function invIssued(srv, token, coopId, body, issueBody) {
	const d = await invDraft(srv, token, coopId, body);
	return invIssue(srv, token, d.id, issueBody);
}

/** The audit events of one action about one object in a cooperative's chain. */
export function invAudit(srv, admin, coopId, objectId, action) {
	const q = [`object_id=${encodeURIComponent(objectId)}`];
	if (action) q.push(`action=${encodeURIComponent(action)}`);
	return listAll(srv, admin, `/v1/cooperatives/${coopId}/audit-events?${q.join('&')}`, 200);
}

/**
 * The invoicing world, all through the API: a municipality; cooperative A with full legal data
 * (members: memberA not on benefit, memberA2 on benefit with a permission from 120 days ago to
 * 60 days ahead, memberNoPerm on benefit without permission; customers: custNL, custNoAddr
 * (no address), custNoVat (no VAT id), custDE (Berlin, VAT id DE123456789)); cooperative B with a
 * member and a customer; users: coopAdminA, bookkeeperA, auditorA, memberUserA (memberA),
 * memberUserA2 (memberA2), municipalityUser, coopAdminB, bookkeeperB.
 */
export async function invWorld(srv) {
	const admin = await srv.adminToken();
	const w = { admin };
	w.muni = await invMunicipality(srv, admin);
	w.coopA = (await invCooperative(srv, admin, { legal_name: 'Werkcooperatie Utrecht U.A.' })).id;
	w.coopB = (await invCooperative(srv, admin, { legal_name: 'Werkcooperatie Zwolle U.A.' })).id;
	w.memberA = (await invMember(srv, admin, w.coopA, w.muni, { first_name: 'Anna' })).id;
	w.memberA2 = (await invMember(srv, admin, w.coopA, w.muni, { first_name: 'Aziz', on_benefit: true })).id;
	w.memberNoPerm = (await invMember(srv, admin, w.coopA, w.muni, { first_name: 'Noor', on_benefit: true })).id;
	w.memberB = (await invMember(srv, admin, w.coopB, w.muni, { first_name: 'Bram' })).id;
	w.permA2 = await invCreate(srv, admin, `/v1/members/${w.memberA2}/permissions`, {
		municipality_code: w.muni,
		decision_reference: `BESL-${hex(3)}`,
		valid_from: nlDate(-120),
		valid_until: nlDate(60),
		goal: 'reintegration',
	});
	w.custNL = (await invCustomer(srv, admin, w.coopA, { name: 'Hoveniersbedrijf De Linde B.V.' })).id;
	w.custNoAddr = (await invCustomer(srv, admin, w.coopA, { name: 'Klant Zonder Adres', address: null })).id;
	w.custNoVat = (await invCustomer(srv, admin, w.coopA, { name: 'Bakkerij Jansen', vat_id: null })).id;
	w.custDE = (
		await invCustomer(srv, admin, w.coopA, {
			name: 'Gartenbau Schmidt GmbH',
			address: { street: 'Unter den Linden', house_number: '5', postal_code: '10117', city: 'Berlin', country: 'DE' },
			kvk_number: null,
			vat_id: INV_IDS.deVat,
		})
	).id;
	w.custB = (await invCustomer(srv, admin, w.coopB)).id;
	w.coopAdminA = await userWithToken(srv, admin, { role: 'coop_admin', cooperative_id: w.coopA });
	w.bookkeeperA = await userWithToken(srv, admin, { role: 'bookkeeper', cooperative_id: w.coopA });
	w.auditorA = await userWithToken(srv, admin, { role: 'auditor', cooperative_id: w.coopA });
	w.memberUserA = await userWithToken(srv, admin, { role: 'member', cooperative_id: w.coopA, member_id: w.memberA });
	w.memberUserA2 = await userWithToken(srv, admin, { role: 'member', cooperative_id: w.coopA, member_id: w.memberA2 });
	w.municipalityUser = await userWithToken(srv, admin, { role: 'municipality', municipality_code: w.muni });
	w.coopAdminB = await userWithToken(srv, admin, { role: 'coop_admin', cooperative_id: w.coopB });
	w.bookkeeperB = await userWithToken(srv, admin, { role: 'bookkeeper', cooperative_id: w.coopB });
	return w;
}
