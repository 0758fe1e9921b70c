// GET /metrics as an operator's Prometheus reads it: promtool-clean text, latency histograms by
// route, the process_* family, the build-info gauge, and COOPD_METRICS_LISTEN (the metrics on an
// address of their own, refused at start when it is bad or the API's own).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import {
	setup,
	startCoopd,
	runCoopd,
	coopdEnv,
	freePort,
	request,
	parseMetrics,
	waitFor,
	assertProblem,
	run,
	hex,
} from './harness.mjs';

let env;
let srv;
let startedAfter, startedBefore; // seconds since the epoch around the start of srv
const extra = []; // servers started by single tests

before(async () => {
	startedAfter = Date.now() / 1000;
	env = await setup();
	srv = env.srv;
	startedBefore = Date.now() / 1000;
});
after(async () => {
	for (const s of extra) await s.kill();
	await srv?.kill();
});

const PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const NO_PROMTOOL = 'promtool is not installed (deploy/local/deps.sh test installs the Debian package prometheus)';

async function scrape(base = srv.base) {
	const r = await request(base, 'GET', '/metrics');
	assert.equal(r.status, 200, r.text);
	assert.match(r.headers.get('content-type'), /^text\/plain; ?version=0\.0\.4/);
	const samples = parseMetrics(r.text);
	const bad = samples.filter((s) => s.name === null);
	assert.deepEqual(bad, [], 'every sample line is well formed');
	return { text: r.text, samples };
}

const pick = (samples, name, labels = {}) =>
	samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const one = (samples, name, labels = {}) => {
	const hits = pick(samples, name, labels);
	assert.equal(hits.length, 1, `one sample of ${name} ${JSON.stringify(labels)}: ${JSON.stringify(hits)}`);
	return hits[0].value;
};

async function promtool(text) {
	const r = await run('promtool', ['check', 'metrics'], { input: text });
	return r;
}

/** Some traffic of every kind: 200, 401, 404 (unmatched), 405, a login. */
async function traffic(base = srv.base) {
	await request(base, 'GET', '/v1/health');
	await request(base, 'GET', '/v1/me');
	await request(base, 'GET', `/v1/zz-${hex(4)}`);
	await request(base, 'DELETE', '/v1/health');
	await srv.adminToken();
}

// ---------------------------------------------------------------------------------------------
test('GET /metrics passes promtool check metrics (HELP and TYPE for every family, lint-clean)', async (t) => {
	if (!PROMTOOL) return t.skip(NO_PROMTOOL);
	await traffic();
	const { text } = await scrape();
	const r = await promtool(text);
	assert.equal(r.code, 0, `promtool check metrics:\n${r.stdout}${r.stderr}`);
	assert.equal((r.stdout + r.stderr).trim(), '', 'promtool reports no problem');
	// promtool can fail: a sample without HELP is reported.
	const broken = await promtool(`${text}coopd_undeclared_total 1\n`);
	assert.notEqual(broken.code, 0, 'promtool catches a family without HELP');
	assert.match(broken.stdout + broken.stderr, /coopd_undeclared_total no help text/);
});

test('every sample belongs to a family announced with # HELP and # TYPE, each once', async () => {
	await traffic();
	const { text, samples } = await scrape();
	const help = new Map(), type = new Map();
	for (const line of text.split('\n')) {
		const m = /^# (HELP|TYPE) (\S+) (.+)$/.exec(line);
		if (!m) continue;
		const map = m[1] === 'HELP' ? help : type;
		assert.ok(!map.has(m[2]), `one # ${m[1]} for ${m[2]}`);
		map.set(m[2], m[3]);
	}
	for (const s of samples) {
		const fam = type.get(s.name) === undefined ? s.name.replace(/_(bucket|sum|count)$/, '') : s.name;
		assert.ok(type.has(fam), `# TYPE for ${s.name}`);
		assert.ok(help.has(fam), `# HELP for ${s.name}`);
		if (fam !== s.name) assert.equal(type.get(fam), 'histogram', `${s.name} belongs to a histogram`);
		if (type.get(s.name) === 'histogram') assert.fail(`${s.name} is a histogram: its samples are _bucket, _sum and _count`);
		if (fam.endsWith('_total')) assert.equal(type.get(fam), 'counter', `${fam} is a counter`);
	}
	for (const fam of [
		'coopd_http_requests_total',
		'coopd_http_request_duration_seconds',
		'coopd_db_pool_size',
		'coopd_db_pool_in_use',
		'coopd_db_pool_waiting',
		'coopd_db_errors_total',
		'process_cpu_seconds_total',
		'process_resident_memory_bytes',
		'process_virtual_memory_bytes',
		'process_open_fds',
		'process_max_fds',
		'process_start_time_seconds',
		'coopd_build_info',
	])
		assert.ok(type.has(fam), `the family ${fam} is exported`);
	assert.equal(type.get('coopd_http_request_duration_seconds'), 'histogram');
	assert.equal(type.get('process_cpu_seconds_total'), 'counter');
});

/** The histogram of one route as {buckets: Map(le → cumulative), sum, count}; zeros when absent. */
function histogram(samples, route, method) {
	const labels = { route, method };
	const buckets = new Map(pick(samples, 'coopd_http_request_duration_seconds_bucket', labels).map((s) => [s.labels.le, s.value]));
	const sum = pick(samples, 'coopd_http_request_duration_seconds_sum', labels);
	const count = pick(samples, 'coopd_http_request_duration_seconds_count', labels);
	return { buckets, sum: sum.length ? sum[0].value : 0, count: count.length ? count[0].value : 0 };
}

const LE = ['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

/** Sends one request and proves that its route's histogram moved by exactly that request, in the
 * bucket of the duration the access log gives for it (the same measurement). */
async function assertHistogramMoves(route, method, send) {
	const before = histogram((await scrape()).samples, route, method);
	const id = `metrics-${hex(6)}`;
	const r = await send({ 'x-request-id': id });
	assert.ok(r.status < 500, `${method} ${route}: ${r.status} ${r.text}`);
	const line = await waitFor(() => srv.logLines().find((l) => l.request_id === id && l.msg === 'request'), { msg: `the access log line of ${id}` });
	assert.equal(line.route, route);
	const us = line.duration_us;
	const after = histogram((await scrape()).samples, route, method);
	assert.deepEqual([...after.buckets.keys()], LE, `buckets 1 ms to 10 s and +Inf for ${route}`);
	assert.equal(after.count - before.count, 1, `_count of ${route} grew by one`);
	assert.equal(after.buckets.get('+Inf'), after.count, '_count equals the +Inf bucket');
	for (const le of LE) {
		const bound = le === '+Inf' ? Infinity : Math.round(Number(le) * 1e6);
		const grew = after.buckets.get(le) - (before.buckets.get(le) ?? 0);
		assert.equal(grew, us <= bound ? 1 : 0, `bucket le=${le} for a request of ${us} µs`);
	}
	assert.ok(Math.abs(after.sum - before.sum - us / 1e6) < 2e-6, `_sum grew by ${us} µs (${before.sum} → ${after.sum})`);
	return us;
}

test("a request moves its own route's histogram: _count by one, the bucket of its duration and those above, none below", async () => {
	await assertHistogramMoves('/v1/health', 'GET', (headers) => srv.api('GET', '/v1/health', { headers }));
	// A password login hashes: a slower request, in a later bucket than the first.
	await assertHistogramMoves('/v1/auth/token', 'POST', (headers) =>
		srv.api('POST', '/v1/auth/token', { headers, body: { grant_type: 'password', username: 'admin', password: srv.adminPassword } }),
	);
	// Unknown paths share one series, labelled by no path of theirs.
	await assertHistogramMoves('unmatched', '', (headers) => srv.api('GET', `/v1/none-${hex(4)}`, { headers }));
});

test('the histogram of another route does not move', async () => {
	const before = histogram((await scrape()).samples, '/v1/ready', 'GET');
	await srv.api('GET', '/v1/health');
	const after = histogram((await scrape()).samples, '/v1/ready', 'GET');
	assert.deepEqual(after, before);
});

test('process_* values are plausible: resident memory, descriptors, CPU time that grows, start time', async () => {
	let s = (await scrape()).samples;
	const rss = one(s, 'process_resident_memory_bytes');
	const vm = one(s, 'process_virtual_memory_bytes');
	assert.ok(rss > 1 << 20, `resident memory ${rss} bytes`);
	assert.ok(vm >= rss, `virtual ${vm} ≥ resident ${rss}`);
	const fds = one(s, 'process_open_fds');
	const max = one(s, 'process_max_fds');
	assert.ok(fds >= 4 && fds < max, `open fds ${fds} of at most ${max}`);
	assert.ok(max >= 1024, `max fds ${max} (coopd raises the soft limit for its threads)`);
	const start = one(s, 'process_start_time_seconds');
	assert.ok(start >= startedAfter - 2 && start <= startedBefore + 2, `start time ${start} within ${startedAfter}..${startedBefore}`);

	// Connections held open are descriptors of coopd's.
	const socks = await Promise.all(
		Array.from({ length: 6 }, () => new Promise((resolve, reject) => {
			const c = net.connect(srv.port, '127.0.0.1', () => resolve(c));
			c.on('error', reject);
		})),
	);
	try {
		await waitFor(async () => one((await scrape()).samples, 'process_open_fds') >= fds + 6, { msg: 'six more open fds' });
	} finally {
		for (const c of socks) c.destroy();
	}

	// CPU time: password logins hash; the counter has clock-tick resolution (10 ms).
	const cpu0 = one(s, 'process_cpu_seconds_total');
	assert.ok(cpu0 > 0, `cpu ${cpu0}`);
	let cpu = cpu0;
	for (let i = 0; i < 200 && cpu <= cpu0; i++) {
		await srv.token({ grant_type: 'password', username: 'admin', password: srv.adminPassword });
		if (i % 5 === 4) cpu = one((await scrape()).samples, 'process_cpu_seconds_total');
	}
	assert.ok(cpu > cpu0, `process_cpu_seconds_total grew: ${cpu0} → ${cpu}`);
	const wall = Date.now() / 1000 - start;
	assert.ok(cpu < wall * 64, `cpu ${cpu} s in ${wall} s of wall time`);
	s = (await scrape()).samples;
	assert.ok(one(s, 'process_resident_memory_bytes') > 0);
});

test('coopd_build_info is 1 with the version that coopd --version prints', async () => {
	const v = await runCoopd(['--version'], {});
	assert.equal(v.code, 0, v.stderr);
	const version = /^coopd (\S+)$/.exec(v.stdout.trim())[1];
	const { samples } = await scrape();
	const info = pick(samples, 'coopd_build_info');
	assert.equal(info.length, 1);
	assert.equal(info[0].value, 1);
	assert.equal(info[0].labels.version, version);
	assert.ok(info[0].labels.compiler, 'the compiler is named');
	assert.match(info[0].labels.civetweb ?? '', /^\d+\.\d+/);
});

test('without COOPD_METRICS_LISTEN, /metrics is served on the API address', async () => {
	const r = await srv.api('GET', '/metrics');
	assert.equal(r.status, 200);
	assert.match(r.text, /^# TYPE coopd_http_requests_total counter$/m);
});

test('COOPD_METRICS_LISTEN: /metrics only on that address, which serves nothing else; the API address answers 404 for it', async (t) => {
	const mport = await freePort();
	const split = await startCoopd({ dbUrl: env.dbUrl, env: { COOPD_METRICS_LISTEN: `127.0.0.1:${mport}` } });
	extra.push(split);
	const mbase = `http://127.0.0.1:${mport}`;

	assertProblem(await split.api('GET', '/metrics'), 404, 'not_found');
	// (not contract-checked: the document describes /metrics where it is served; on the API
	// address of a split it is no path at all, so another method is a 404 too, not a 405)
	assertProblem(await split.api('POST', '/metrics', { contract: false }), 404, 'not_found');
	assert.equal((await split.api('GET', '/v1/health')).status, 200, 'the API goes on as before');

	const m = await request(mbase, 'GET', '/metrics');
	assert.equal(m.status, 200);
	assert.match(m.headers.get('content-type'), /^text\/plain; ?version=0\.0\.4/);
	// (the metrics address serves nothing but /metrics: not the document's API, not checked)
	const apart = { contract: false };
	assertProblem(await request(mbase, 'GET', '/v1/health', apart), 404, 'not_found');
	assertProblem(await request(mbase, 'GET', '/v1/openapi.json', apart), 404, 'not_found');
	assertProblem(await request(mbase, 'GET', '/metrics/x', apart), 404, 'not_found');
	const post = await request(mbase, 'POST', '/metrics');
	assertProblem(post, 405, 'method_not_allowed');
	assert.match(post.headers.get('allow') ?? '', /GET/);

	// The API's traffic is counted and shown on the metrics address.
	const { samples, text } = await scrape(mbase);
	assert.ok(one(samples, 'coopd_http_requests_total', { route: '/v1/health', method: 'GET', status: '200' }) >= 2);
	assert.ok(one(samples, 'coopd_http_requests_total', { route: 'unmatched', method: '', status: '404' }) >= 2, 'the 404s for /metrics on the API address');
	assert.ok(one(samples, 'coopd_http_request_duration_seconds_count', { route: '/metrics', method: 'GET' }) >= 1, 'scrapes are counted too');
	if (PROMTOOL) {
		const r = await promtool(text);
		assert.equal(r.code, 0, `promtool check metrics:\n${r.stdout}${r.stderr}`);
	} else t.diagnostic(NO_PROMTOOL);

	// A keep-alive scraper (fetch keeps its connection): many scrapes, one after the other.
	for (let i = 0; i < 20; i++) {
		const f = await fetch(`${mbase}/metrics`);
		assert.equal(f.status, 200);
		assert.match(await f.text(), /^coopd_build_info\{/m);
	}

	await split.stop(); // both listeners stop cleanly (exit 0, no sanitizer report)
	await assert.rejects(request(mbase, 'GET', '/metrics', { timeoutMs: 2000 }), 'the metrics listener is closed too');
});

test('the metrics address answers while every API worker thread is held by an idle connection', async () => {
	const mport = await freePort();
	const busy = await startCoopd({
		dbUrl: env.dbUrl,
		env: { COOPD_METRICS_LISTEN: `127.0.0.1:${mport}`, COOPD_THREADS: '8', COOPD_REQUEST_TIMEOUT_MS: '3000' },
	});
	extra.push(busy);
	const socks = [];
	try {
		// Eight connections that send nothing: each holds one of the eight API threads.
		for (let i = 0; i < 8; i++)
			socks.push(await new Promise((resolve, reject) => {
				const c = net.connect(busy.port, '127.0.0.1', () => resolve(c));
				c.on('error', () => {});
				c.once('error', reject);
			}));
		await assert.rejects(busy.api('GET', '/v1/health', { timeoutMs: 700 }), 'the API has no thread left');
		const m = await request(`http://127.0.0.1:${mport}`, 'GET', '/metrics', { timeoutMs: 2000 });
		assert.equal(m.status, 200);
		assert.ok(one(parseMetrics(m.text), 'process_open_fds') >= 8);
	} finally {
		for (const c of socks) c.destroy();
	}
	await busy.stop();
});

test('a bad COOPD_METRICS_LISTEN, or the address of COOPD_LISTEN, is refused at start (exit 2, names the variable)', async () => {
	const port = await freePort();
	const values = [
		'nope',
		'9464',
		'127.0.0.1',
		'127.0.0.1:0',
		'127.0.0.1:65536',
		':9464',
		'127.0.0.1:9464s',
		'127.0.0.1:9464,127.0.0.1:9465',
		`127.0.0.1:${port}`,
		`0.0.0.0:${port}`,
	];
	const results = await Promise.all(
		values.map((v) => runCoopd([], coopdEnv(env.dbUrl, port, { COOPD_METRICS_LISTEN: v }), { timeout: 20000 })),
	);
	results.forEach((r, i) => {
		assert.equal(r.code, 2, `exit 2 for COOPD_METRICS_LISTEN=${values[i]} (got ${r.code}, signal ${r.signal}): ${r.stderr}`);
		assert.match(r.stderr, /COOPD_METRICS_LISTEN/, `the message names the variable: ${r.stderr}`);
	});
	assert.match(results.at(-1).stderr, /another address than COOPD_LISTEN/);
});

test('a metrics address that is taken stops start-up (exit 2) and frees the API address', async () => {
	const taken = net.createServer();
	await new Promise((resolve) => taken.listen(0, '127.0.0.1', resolve));
	try {
		const port = await freePort();
		const e = coopdEnv(env.dbUrl, port, { COOPD_METRICS_LISTEN: `127.0.0.1:${taken.address().port}` });
		const r = await runCoopd([], e, { timeout: 30000 });
		assert.equal(r.code, 2, `exit 2 (got ${r.code}, signal ${r.signal}): ${r.stderr}`);
		assert.match(r.stderr, /metrics listener/);
		// Nothing is left listening on the API address: it can be bound again.
		const probe = net.createServer();
		await new Promise((resolve, reject) => {
			probe.once('error', reject);
			probe.listen(port, '127.0.0.1', resolve);
		});
		probe.close();
	} finally {
		taken.close();
	}
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
