// A real failover (issue 13): a PostgreSQL primary with a synchronous streaming standby
// (tests/ha/cluster.mjs), two coopd instances on the multi-host DATABASE_URL (one as a URL, one
// as key=value pairs), a bounded load of invoice issuing with Idempotency-Keys and municipal
// reads over both instances, the primary killed (SIGKILL) mid-load and the standby promoted a
// second later. Then: every invoice a client saw issued is on the new primary with the number
// the client got; each series is gapless; a key never made two invoices or two numbers; no 500;
// both instances write and read again within seconds. The figures go to the test's output
// (the lines after "failover figures").
// Before that, the same two instances show that nothing a user sees depends on one process:
// the login throttle, idempotency keys and logouts hold across them.
//
// COOPD_BIN chooses the binary (default build/coopd). Run alone: `make test-ha`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
	startCoopd, waitFor, sleep, hex, nlDate, invWorld, invLine, invCreate, invIssued, createUser, assertProblem,
} from '../api/harness.mjs';
import { startPair } from './cluster.mjs';

// The load: LOOPS_PER_COOP issuing loops on each of two cooperatives, READERS municipal
// readers; the primary is killed KILL_AFTER_MS into the load, the standby promoted
// PROMOTE_AFTER_MS later, and the load stops LOAD_MS after it began.
// A request whose answer stays open (503, 409 in progress, a broken connection) is retried with
// the same key until GRACE_MS after the stop.
//
// Replication stalls just before the kill, so that the kill finds commits in flight in both
// states a real failure leaves them in, instead of leaving that to microseconds of timing:
// - 2 × HOLD_MS before the kill the standby's WAL receiver is frozen: the WAL of the commits
//   under way still reaches the standby's socket, but nothing is acknowledged. Their requests
//   are cut off by the kill, the standby has them, and their retries must get the stored
//   answer, not a second object or number. (The readers pause just before: their audit events
//   would otherwise be the commits caught, holding the cooperatives' audit chains.)
// - HOLD_MS before the kill the primary's WAL sender is frozen too: what commits from then on
//   never leaves the primary. An asynchronous standby loses those acknowledged invoices (tried:
//   startPair({sync: false}) fails this test); with synchronous replication they are never
//   acknowledged.
const LOOPS_PER_COOP = 3;
const READERS = 2;
const KILL_AFTER_MS = 5000;
const PROMOTE_AFTER_MS = 1000;
const HOLD_MS = 300;
const LOAD_MS = 18000;
const GRACE_MS = 20000;
const REQUEST_TIMEOUT_MS = 10000;
// Both instances must write again this soon after the promotion.
const RECOVERY_BOUND_MS = 5000;
const MAX_FAILURES = 3;

let pair;
let a; // coopd on the URL form
let b; // coopd on the key=value form
let w; // the invoicing world (harness invWorld)
let period; // last month, calculated and finalized: the feed has rows of it
let seedInvoice;

before(async () => {
	pair = await startPair({ db: 'coopd' });
	const shared = {
		COOPD_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
		COOPD_BOOTSTRAP_ADMIN_PASSWORD: `admin-${hex(8)}`,
		COOPD_LOGIN_MAX_FAILURES: String(MAX_FAILURES),
	};
	[a, b] = await Promise.all([startCoopd({ dbUrl: pair.url(), env: shared }), startCoopd({ dbUrl: pair.keyValue(), env: shared })]);
	for (const s of [a, b]) await waitFor(async () => (await s.api('GET', '/v1/ready')).status === 200, { timeoutMs: 30000, intervalMs: 100, msg: 'coopd ready' });
	w = await invWorld(a);
	// Settlement rows of last month for the municipal feed: policies, then calculate and finalize.
	await invCreate(a, w.admin, `/v1/municipalities/${w.muni}/policies`, { valid_from: '2025-01-01', tax_reservation_bp: 1000 });
	for (const coop of [w.coopA, w.coopB]) await invCreate(a, w.admin, `/v1/cooperatives/${coop}/fee-policies`, { valid_from: '2025-01-01', percentage_bp: 500 });
	const today = nlDate();
	const [y, m] = [Number(today.slice(0, 4)), Number(today.slice(5, 7))];
	period = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
	for (const action of ['', '/finalize']) {
		const r = await b.api('POST', `/v1/cooperatives/${w.coopA}/settlements/${period}${action}`, { token: w.admin });
		assert.equal(r.status, 200, `settlement ${period}${action}: ${r.text}`);
	}
	seedInvoice = await invIssued(b, w.bookkeeperA.token, w.coopA, { member_id: w.memberA, customer_id: w.custNL });
});

after(async () => {
	for (const s of [a, b]) await s?.kill();
	pair?.destroy();
});

// ---------------------------------------------------------------------------------------------
// Several instances: state a user sees lives in PostgreSQL, not in one process.
test('the login throttle counts failures on both instances together: locked on both after MAX failures spread over them', async () => {
	const u = await createUser(a, w.admin, { role: 'auditor', cooperative_id: w.coopA });
	const login = (s, pw) => s.token({ grant_type: 'password', username: u.username, password: pw });
	for (let i = 0; i < MAX_FAILURES; i++) assertProblem(await login(i % 2 ? b : a, `wrong-password-${i}`), 401, 'invalid_credentials');
	for (const s of [a, b]) {
		const r = await login(s, u.password);
		assertProblem(r, 429, 'too_many_attempts');
		assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
	}
});

test('an Idempotency-Key used on one instance is replayed by the other: the same answer, one object', async () => {
	const key = `cross-${hex(8)}`;
	const body = { name: `Klant ${hex(3)} B.V.`, payment_terms_days: 30 };
	const p = `/v1/cooperatives/${w.coopA}/customers`;
	const first = await a.api('POST', p, { token: w.bookkeeperA.token, body, headers: { 'idempotency-key': key } });
	assert.equal(first.status, 201, first.text);
	const again = await b.api('POST', p, { token: w.bookkeeperA.token, body, headers: { 'idempotency-key': key } });
	assert.equal(again.status, 201, again.text);
	assert.equal(again.headers.get('idempotent-replayed'), 'true');
	assert.deepEqual(again.json, first.json);
	assert.equal(again.headers.get('location'), first.headers.get('location'));
	const other = await b.api('POST', p, { token: w.bookkeeperA.token, body: { ...body, payment_terms_days: 14 }, headers: { 'idempotency-key': key } });
	assertProblem(other, 422, 'idempotency_key_reused');
	const n = await pair.primary.sql(`select count(*) as n from customers where name = '${body.name}'`, 'coopd');
	assert.equal(n[0].n, '1', 'one customer for the key on two instances');
});

test('a token logged out on one instance is refused on the other', async () => {
	const u = await createUser(a, w.admin, { role: 'auditor', cooperative_id: w.coopA });
	const tok = await a.login(u.username, u.password);
	assert.equal((await b.api('GET', '/v1/me', { token: tok })).status, 200);
	const out = await a.api('POST', '/v1/auth/logout', { token: tok });
	assert.equal(out.status, 204, out.text);
	assertProblem(await b.api('GET', '/v1/me', { token: tok }), 401, 'unauthorized');
	assertProblem(await b.api('GET', `/v1/cooperatives/${w.coopA}`, { token: tok }), 401, 'unauthorized');
});

// ---------------------------------------------------------------------------------------------
test('failover under load: primary killed, standby promoted; every acknowledged invoice kept with its number, series gapless, no key issued twice, no 500, both instances back within seconds', async (t) => {
	const inst = [a, b];
	const t0 = Date.now();
	const now = () => Date.now() - t0;
	let killAt = null;
	let promoteAt = null; // pg_promote() called
	let promotedAt = null; // it returned and the standby takes writes
	let stopping = false;
	let stopAt = Infinity;
	let quiet = false; // the readers pause
	let readersBusy = 0;
	const deadline = () => (stopping ? stopAt + GRACE_MS : Infinity);
	const run = hex(3);

	// Every answer: {kind, inst (0 = A, 1 = B), status ('conn': no HTTP answer), t (sent, ms), code}.
	const answers = [];
	const unexpected = []; // answers no client of a healthy service should get
	const contractErrors = [];
	async function call(i, kind, method, p, opts) {
		const started = now();
		let r;
		try {
			r = await inst[i].api(method, p, { ...opts, timeoutMs: REQUEST_TIMEOUT_MS });
		} catch (e) {
			if (/^contract:/.test(e.message)) contractErrors.push(e.message.split('\n')[0]);
			r = { status: 'conn', error: e.message.split('\n')[0] };
		}
		answers.push({ kind, inst: i, status: r.status, t: started, code: r.json?.code });
		if (typeof r.status === 'number' && r.status >= 500 && r.status !== 503) unexpected.push(`${method} ${p} on ${i ? 'B' : 'A'}: ${r.status} ${r.text}`);
		return r;
	}
	const retryAfterMs = (r) => (r.status === 503 ? Number(r.headers.get('retry-after') ?? '1') * 1000 : 250);
	const open = (r) => r.status === 'conn' || r.status === 503 || (r.status === 409 && r.json?.code === 'idempotency_in_progress');

	/** Sends one keyed request until it has a definitive answer; alternates the instances. */
	async function keyed(loop, kind, method, p, token, body, key) {
		const got = [];
		for (;;) {
			const i = loop.next++ % 2;
			const r = await call(i, kind, method, p, { token, body, headers: { 'idempotency-key': key } });
			got.push(r);
			if (r.status === 503 && !/^\d+$/.test(r.headers.get('retry-after') ?? '')) unexpected.push(`503 without Retry-After: ${r.text}`);
			if (!open(r)) return { final: r, got, inst: i };
			if (now() > deadline()) return { final: null, got };
			await sleep(retryAfterMs(r));
		}
	}

	// Issuing loops: a draft (keyed), then its issue (keyed), over and over.
	const drafts = []; // {key, id, answers: [ids of 201s]}
	const issued = []; // {key, draftKey, id, coop, number, t, inst, replayed, answers: [{id, number}]}
	const unresolved = [];
	const coops = [
		{ id: w.coopA, token: w.bookkeeperA.token, member: w.memberA, customer: w.custNL },
		{ id: w.coopB, token: w.bookkeeperB.token, member: w.memberB, customer: w.custB },
	];
	async function issuer(n) {
		const coop = coops[n % 2];
		const loop = { next: n };
		for (let i = 0; !stopping; i++) {
			const dkey = `ha-${run}-${n}-${i}-draft`;
			const body = { member_id: coop.member, customer_id: coop.customer, supply_date: nlDate(), description: `ha-load ${dkey}`, lines: [invLine()] };
			const d = await keyed(loop, 'draft', 'POST', `/v1/cooperatives/${coop.id}/invoices`, coop.token, body, dkey);
			const created = d.got.filter((r) => r.status === 201);
			drafts.push({ key: dkey, ids: created.map((r) => r.json.id), replayed: d.final?.headers.get('idempotent-replayed') === 'true' });
			if (!d.final) {
				unresolved.push(`draft ${dkey}`);
				return;
			}
			if (d.final.status !== 201) {
				unexpected.push(`draft ${dkey}: ${d.final.status} ${d.final.text}`);
				return;
			}
			const id = d.final.json.id;
			const ikey = `ha-${run}-${n}-${i}-issue`;
			const s = await keyed(loop, 'issue', 'POST', `/v1/invoices/${id}/issue`, coop.token, undefined, ikey);
			if (!s.final) {
				unresolved.push(`issue ${ikey}`);
				return;
			}
			if (s.final.status !== 200) {
				unexpected.push(`issue ${ikey}: ${s.final.status} ${s.final.text}`);
				return;
			}
			const oks = s.got.filter((r) => r.status === 200);
			issued.push({
				key: ikey, draftKey: dkey, id: s.final.json.id, coop: coop.id, number: s.final.json.number, status: s.final.json.status, t: now(), inst: s.inst,
				replayed: s.final.headers.get('idempotent-replayed') === 'true', retried: s.got.length > 1, answers: oks.map((r) => ({ id: r.json.id, number: r.json.number })),
			});
		}
	}

	// Municipal readers (the feed, residents, overview: audited reads, so writes too) and
	// invoice reads of what was acknowledged (any instance sees it with its number).
	const readMismatch = [];
	async function reader(n) {
		let k = n;
		const muni = `/v1/municipalities/${w.muni}`;
		const paths = [`${muni}/settlements?period=${period}`, `${muni}/residents`, `${muni}/overview`, 'invoice'];
		while (!stopping) {
			if (quiet) {
				await sleep(10);
				continue;
			}
			readersBusy++;
			const which = paths[k % paths.length];
			const i = k++ % 2;
			let r;
			if (which === 'invoice') {
				const ofA = issued.filter((x) => x.coop === w.coopA);
				const seen = ofA.length ? ofA[crypto.randomInt(ofA.length)] : seedInvoice;
				r = await call(i, 'read', 'GET', `/v1/invoices/${seen.id}`, { token: w.bookkeeperA.token });
				if (r.status === 200 && r.json.number !== seen.number) readMismatch.push(`${seen.id}: read ${r.json.number}, issued ${seen.number}`);
				if (r.status !== 200 && !open(r)) unexpected.push(`GET invoice: ${r.status} ${r.text}`);
			} else {
				r = await call(i, 'read', 'GET', which, { token: w.municipalityUser.token });
				if (r.status === 200 && which.includes('settlements') && r.json.data.length < 1) readMismatch.push(`the feed of ${period} is empty`);
				if (r.status !== 200 && !open(r)) unexpected.push(`GET ${which}: ${r.status} ${r.text}`);
			}
			readersBusy--;
			await sleep(open(r) ? retryAfterMs(r) : 20);
		}
	}

	// After the kill: per instance, a keyed write and a read every 100 ms until both succeed.
	const recovery = [{}, {}];
	async function probe(i) {
		const key = `ha-${run}-probe-${i}`;
		const body = { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(), description: `ha-probe ${key}`, lines: [invLine()] };
		while (!(recovery[i].write && recovery[i].read) && now() < killAt + 30000) {
			if (!recovery[i].write) {
				const r = await call(i, 'probe', 'POST', `/v1/cooperatives/${w.coopA}/invoices`, { token: w.bookkeeperA.token, body, headers: { 'idempotency-key': key } });
				if (r.status === 201) recovery[i].write = now();
				else if (!open(r)) unexpected.push(`probe write on ${i ? 'B' : 'A'}: ${r.status} ${r.text}`);
			}
			if (!recovery[i].read) {
				const r = await call(i, 'probe', 'GET', `/v1/invoices/${seedInvoice.id}`, { token: w.bookkeeperA.token });
				if (r.status === 200) recovery[i].read = now();
				else if (!open(r)) unexpected.push(`probe read on ${i ? 'B' : 'A'}: ${r.status} ${r.text}`);
			}
			await sleep(100);
		}
	}

	const loops = [];
	for (let n = 0; n < 2 * LOOPS_PER_COOP; n++) loops.push(issuer(n));
	for (let n = 0; n < READERS; n++) loops.push(reader(n));
	await sleep(KILL_AFTER_MS - 2 * HOLD_MS);
	quiet = true;
	await waitFor(() => readersBusy === 0, { timeoutMs: REQUEST_TIMEOUT_MS, intervalMs: 5, msg: 'the readers to pause' });
	await pair.standby.holdReceiver();
	await sleep(HOLD_MS);
	await pair.primary.holdSender(pair.standby.name);
	await sleep(HOLD_MS);
	const before = issued.length;
	killAt = now();
	await pair.primary.kill();
	const killedAt = now();
	pair.standby.release();
	quiet = false;
	const probes = [probe(0), probe(1)];
	await sleep(PROMOTE_AFTER_MS);
	promoteAt = now();
	await pair.standby.promote();
	promotedAt = now();
	await sleep(Math.max(0, LOAD_MS - now()));
	stopAt = now();
	stopping = true;
	await Promise.all([...loops, ...probes]);
	const endAt = now();

	// --- the figures -----------------------------------------------------------------------
	const byStatus = {};
	for (const x of answers) byStatus[x.status] = (byStatus[x.status] ?? 0) + 1;
	const count = (f) => answers.filter(f).length;
	const lostAtKill = count((x) => (x.kind === 'draft' || x.kind === 'issue') && x.t < killAt && (x.status === 503 || x.status === 'conn'));
	const firstWrite = (i) => answers.find((x) => x.inst === i && x.t >= killAt && (x.kind === 'issue' || x.kind === 'draft') && (x.status === 200 || x.status === 201));
	const lines = [
		`failover figures (run ${run}; ${2 * LOOPS_PER_COOP} issuing loops on 2 cooperatives, ${READERS} municipal readers, 2 coopd instances)`,
		`  timeline (ms from the start of the load): SIGKILL of the primary at ${killAt} (its processes gone at ${killedAt}); pg_promote() at ${promoteAt}, the standby taking writes at ${promotedAt}; load stopped at ${stopAt}, last answer at ${endAt}`,
		`  requests: ${answers.length} total; by status: ${Object.entries(byStatus).map(([k, v]) => `${k}: ${v}`).join(', ')}`,
		`  503s: ${byStatus[503] ?? 0} (${count((x) => x.status === 503 && x.t >= killAt)} sent after the kill; ${lostAtKill} writes in flight at the kill answered 503 or cut off); connection errors: ${byStatus.conn ?? 0}; 409 in progress: ${count((x) => x.code === 'idempotency_in_progress')}`,
		`  keyed retries: ${count((x) => x.kind === 'draft' || x.kind === 'issue') - drafts.length - issued.length} resends; issues answered after a retry: ${issued.filter((x) => x.retried).length}; answers replayed from the stored answer (the commit had reached the standby, its answer was lost): ${issued.filter((x) => x.replayed).length} issues, ${drafts.filter((d) => d.replayed).length} drafts`,
		`  invoices issued: ${issued.length} (${before} before the kill, ${issued.filter((x) => x.t > promotedAt).length} acknowledged after the promotion); drafts created: ${drafts.length}`,
		...[0, 1].map((i) => {
			const r = recovery[i];
			const fw = firstWrite(i);
			return `  recovery of ${i ? 'B (key=value)' : 'A (URL)'}: first 2xx write ${r.write ? `${r.write - killAt} ms after the kill, ${r.write - promoteAt} ms after pg_promote()` : 'never'}; first 2xx read ${r.read ? `${r.read - killAt} ms after the kill` : 'never'} (probes every 100 ms); the load's first acknowledged write sent ${fw ? `${fw.t - killAt} ms after the kill` : 'never'}`;
		}),
	];
	for (const l of lines) t.diagnostic(l);

	// --- what must hold --------------------------------------------------------------------
	// Durability first: the new primary holds every acknowledged draft, and every acknowledged
	// invoice with the number its client got.
	const db = (q) => pair.standby.sql(q, 'coopd');
	const rows = await db(`select id, number, status, description from invoices where description like 'ha-load ha-${run}-%'`);
	const byId = new Map(rows.map((r) => [r.id, r]));
	const lostDrafts = drafts.filter((d) => d.ids.length && !byId.has(d.ids[0]));
	assert.deepEqual(lostDrafts.map((d) => `${d.key} → ${d.ids[0]}`), [], 'every acknowledged draft is on the new primary');
	const lost = issued.filter((x) => byId.get(x.id)?.number !== x.number || byId.get(x.id)?.status !== 'issued');
	assert.deepEqual(lost.map((x) => `${x.id} ${x.number} → ${JSON.stringify(byId.get(x.id) ?? null)}`), [], 'every acknowledged invoice is on the new primary with its number');

	// A key never made two objects or two numbers: one id per draft key in every answer and in
	// the database (the key is in the description), one (id, number) per issue key in every
	// answer and in the stored answer.
	for (const d of drafts) assert.ok(new Set(d.ids).size <= 1, `draft key ${d.key} answered with several ids: ${d.ids}`);
	const perKey = new Map();
	for (const r of rows) perKey.set(r.description, (perKey.get(r.description) ?? 0) + 1);
	assert.deepEqual([...perKey].filter(([, n]) => n > 1), [], 'no draft key made two invoices');
	assert.equal(rows.length, drafts.filter((d) => d.ids.length).length, 'as many load invoices in the database as draft keys answered 201');
	for (const x of issued) {
		assert.equal(x.status, 'issued');
		assert.match(x.number, /^[A-Z0-9]{1,10}\d{4}-\d{5}$/);
		for (const o of x.answers) assert.deepEqual(o, { id: x.id, number: x.number }, `issue key ${x.key} answered differently`);
	}
	assert.equal(new Set(issued.map((x) => x.number)).size, issued.length, 'no number acknowledged twice');
	const stored = await db(`select key, body::json->>'number' as number, body::json->>'id' as id from idempotency_keys where key like 'ha-${run}-%-issue'`);
	const storedBy = new Map(stored.map((r) => [r.key, r]));
	for (const x of issued) assert.deepEqual({ id: storedBy.get(x.key)?.id, number: storedBy.get(x.key)?.number }, { id: x.id, number: x.number }, `stored answer of ${x.key}`);
	assert.ok(issued.some((x) => x.replayed) || drafts.some((d) => d.replayed), 'some retry was answered from a commit that reached the standby unacknowledged');

	// Gapless series: numbers 1..N, no duplicates, formatted from the sequence number, and the
	// series row at N.
	const series = await db(`
		select i.cooperative_id, i.series_year, count(*) as n, count(distinct i.series_number) as distinct_n,
		       min(i.series_number) as lo, max(i.series_number) as hi, s.last_number,
		       bool_and(i.number = c.invoice_prefix || i.series_year || '-' || lpad(i.series_number::text, 5, '0')) as formatted
		from invoices i join cooperatives c on c.id = i.cooperative_id
		join invoice_series s on s.cooperative_id = i.cooperative_id and s.year = i.series_year
		where i.number is not null and i.cooperative_id in ('${w.coopA}', '${w.coopB}')
		group by i.cooperative_id, i.series_year, s.last_number`);
	assert.ok(series.length >= 2, `a series per cooperative: ${JSON.stringify(series)}`);
	for (const s of series) {
		assert.deepEqual(
			{ lo: s.lo, hi: s.hi, distinct: s.distinct_n, last: s.last_number, formatted: s.formatted },
			{ lo: '1', hi: s.n, distinct: s.n, last: s.n, formatted: 't' },
			`series ${s.cooperative_id} ${s.series_year} is 1..${s.n} without gaps or duplicates`,
		);
	}
	t.diagnostic(`  series on the new primary: ${series.map((s) => `${s.cooperative_id.slice(0, 8)} ${s.series_year}: 1..${s.n}`).join('; ')}`);

	// Every answer was one a client of a healthy service may get, and both instances came back.
	assert.deepEqual(contractErrors, [], 'every answer fits api/openapi.yaml');
	assert.deepEqual(unexpected, [], 'no 500 and no other answer a valid request should not get');
	assert.deepEqual(unresolved, [], 'every keyed request got a definitive answer');
	assert.deepEqual(readMismatch, [], 'reads show what was acknowledged');
	assert.ok(before > 0, 'invoices were issued before the kill');
	assert.ok((byStatus[503] ?? 0) > 0, 'the kill happened under load: some requests were answered 503');
	for (const i of [0, 1]) {
		assert.ok(recovery[i].write && recovery[i].read, `instance ${i ? 'B' : 'A'} writes and reads again`);
		assert.ok(recovery[i].write - promoteAt < RECOVERY_BOUND_MS, `instance ${i ? 'B' : 'A'} wrote ${recovery[i].write - promoteAt} ms after pg_promote()`);
		assert.ok(issued.some((x) => x.inst === i && x.t > promotedAt), `the load issued through instance ${i ? 'B' : 'A'} after the promotion`);
	}
	assert.ok(!(await pair.standby.inRecovery()), 'the standby is the primary now');

	for (const s of [a, b]) {
		assert.doesNotMatch(s.stderr, /"status":5(0[0-24-9]|[1-9]\d)/, 'no 5xx other than 503 in the access log');
		assert.ok(!s.stderr.includes(pair.primary.password), 'no database password in the log');
	}
	await Promise.all([a.stop(), b.stop()]);
});
