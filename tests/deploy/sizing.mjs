// Sizing figures for deploy/README.md ("Sizing"): not a test, not part of `make test`.
//   node tests/deploy/sizing.mjs [MEMBERS]        (default 10000; build/coopd must exist)
// A private PostgreSQL (deploy/local/pgcluster.sh, fsync off: sizes and CPU, not durability) and
// build/coopd with its default configuration (1024 threads, pool 6). Everything goes through the
// API, as a cooperative would enter it: MEMBERS members on benefit with a permission, one issued
// invoice of two lines each (MEMBERS invoices), then last month calculated (MEMBERS draft
// settlement rows) and finalized. Printed: coopd's resident memory idle, after the writes and
// under load (wrk, 16 connections, GET of a member and of an invoice, 10 s each); the database's
// growth per 10,000 invoices and per 10,000 settlement rows, table by table (after VACUUM and
// CHECKPOINT; pg_total_relation_size, indexes and TOAST included), and the size of a custom-format
// pg_dump of the whole database (the fiscal archive's format); the write rates seen on the
// way; and the machine's load average (a shared machine: the rates are lower bounds).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const N = Number(process.argv[2] || 10000);
const CONCURRENCY = 8;
const work = fs.mkdtempSync('/tmp/coopd-sizing-');
fs.chmodSync(work, 0o755);
const pgdir = path.join(work, 'pg');
let coopd = null;
// As bench.sh does (STYLE.md, "Measuring on these machines"): as root, the autogroup scheduler
// is switched off for the run (PostgreSQL's backends would otherwise starve coopd's threads on
// 2 CPUs) and restored at the end.
const autogroup = '/proc/sys/kernel/sched_autogroup_enabled';
let autogroupWas = null;
if (process.getuid() === 0 && fs.existsSync(autogroup)) {
	autogroupWas = fs.readFileSync(autogroup, 'utf8').trim();
	fs.writeFileSync(autogroup, '0');
}

function cleanup() {
	if (autogroupWas !== null) fs.writeFileSync(autogroup, autogroupWas);
	if (coopd && coopd.exitCode === null) coopd.kill('SIGTERM');
	spawnSync(path.join(root, 'deploy/local/pgcluster.sh'), ['stop', pgdir]);
	fs.rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const freePort = () => new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes) => (bytes / 1048576).toFixed(1);
const rssKb = (pid, field = 'VmRSS') => Number(/\d+/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field)))[0]);
function psql(url, sql) { return execFileSync('psql', [url, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim(); }

const pgPort = await freePort();
const url = execFileSync(path.join(root, 'deploy/local/pgcluster.sh'), ['start', pgdir, String(pgPort), 'coopd'], { env: { ...process.env, PGCLUSTER_FAST: '1' }, encoding: 'utf8' }).trim();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const adminPw = `admin-${crypto.randomBytes(6).toString('hex')}`;
coopd = spawn(path.join(root, 'build/coopd'), [], {
	env: { PATH: process.env.PATH, LANG: 'C.UTF-8', DATABASE_URL: url, COOPD_LISTEN: `127.0.0.1:${port}`, COOPD_JWT_SECRET: crypto.randomBytes(32).toString('hex'), COOPD_BOOTSTRAP_ADMIN_PASSWORD: adminPw },
	stdio: ['ignore', 'ignore', fs.openSync(path.join(work, 'coopd.log'), 'a')],
});
for (let i = 0; ; i++) {
	try { if ((await fetch(`${base}/v1/ready`)).status === 200) break; } catch { /* not yet */ }
	if (i > 300) throw new Error('coopd did not become ready');
	await sleep(100);
}

async function call(token, method, p, body) {
	const r = await fetch(base + p, { method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
	const text = await r.text();
	if (r.status > 299) throw new Error(`${method} ${p}: ${r.status} ${text}`);
	return text ? JSON.parse(text) : null;
}
async function parallel(n, fn) { // fn(i) for i < n, CONCURRENCY at a time; returns seconds
	const t0 = performance.now();
	let next = 0;
	await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (next < n) await fn(next++); }));
	return (performance.now() - t0) / 1000;
}
const tables = ['invoices', 'invoice_lines', 'audit_events', 'members', 'permissions', 'settlement_rows', 'settlement_feed', 'settlement_changes', 'ledger_entries', 'member_accounts', 'invoice_series'];
function sizes() {
	psql(url, 'VACUUM ANALYZE'); psql(url, 'CHECKPOINT');
	const out = { db: Number(psql(url, 'select pg_database_size(current_database())')) };
	for (const t of tables) out[t] = Number(psql(url, `select coalesce(pg_total_relation_size(to_regclass('${t}')), 0)`));
	return out;
}
function growth(a, b, per) {
	const scale = 10000 / per;
	const parts = tables.map((t) => [t, (b[t] - a[t]) * scale]).filter(([, d]) => Math.abs(d) >= 65536).map(([t, d]) => `${t} ${mb(d)}`);
	return `${mb((b.db - a.db) * scale)} MB (${parts.join(', ')})`;
}

const token = (await (await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ grant_type: 'password', username: 'admin', password: adminPw }) })).json()).access_token;
await sleep(2000);
const report = [];
report.push(`coopd RSS idle after start: ${(rssKb(coopd.pid) / 1024).toFixed(1)} MB`);

// Seed: a municipality with its policy, a cooperative with its fee policy, a customer, N members.
const nl = (d) => d.toLocaleDateString('sv-SE', { timeZone: 'Europe/Amsterdam' });
const today = new Date();
const prev = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 15));
const period = nl(prev).slice(0, 7);
await call(token, 'POST', '/v1/municipalities', { code: 'GM0363', name: 'Amsterdam' });
await call(token, 'POST', '/v1/municipalities/GM0363/policies', { valid_from: '2025-01-01', income_basis: 'work_period', cost_mode: 'flat_rate', flat_rate_bp: 4000, fee_deductible: true, tax_reservation_bp: 1000, max_single_expense_cents: 45000, permission_max_months: 12 });
const coop = await call(token, 'POST', '/v1/cooperatives', {
	legal_name: 'Sociale Coöperatie Maat U.A.', trade_name: 'Maat', kvk_number: '12345678', rsin: '111222333', vat_id: 'NL002455799B11', iban: 'NL91ABNA0417164300', bic: 'ABNANL2A',
	address: { street: 'Damrak', house_number: '1', postal_code: '1012 LG', city: 'Amsterdam', country: 'NL' }, email: 'a@maat.example', phone: '+31 20 123 4567',
	vat_scheme: 'standard', invoice_prefix: 'MAAT', reserve_cap_cents: 2500000, statutes: [], board: [],
});
await call(token, 'POST', `/v1/cooperatives/${coop.id}/fee-policies`, { valid_from: '2025-01-01', percentage_bp: 500, fixed_monthly_cents: 0, minimum_monthly_cents: 500, maximum_monthly_cents: 25000, waive_without_turnover: true });
const customer = await call(token, 'POST', `/v1/cooperatives/${coop.id}/customers`, { name: 'Buurthuis De Linde', address: { street: 'Lindengracht', house_number: '20', postal_code: '1015 KK', city: 'Amsterdam' }, kvk_number: '87654321', payment_terms_days: 14 });
const members = [];
const tMembers = await parallel(N, async (i) => {
	const m = await call(token, 'POST', `/v1/cooperatives/${coop.id}/members`, {
		first_name: 'Lid', last_name: `Nummer ${i}`, date_of_birth: '1985-01-20', address: { street: 'Kade', house_number: String(1 + (i % 500)), postal_code: '1011 AB', city: 'Amsterdam' },
		municipality_code: 'GM0363', municipal_reference: `Z-${100000 + i}`, on_benefit: true, iban: 'NL02ABNA0123456789', activity_description: 'Tuinonderhoud', activity_category: 'gardening', status: 'active', joined_on: '2025-01-01',
	});
	await call(token, 'POST', `/v1/members/${m.id}/permissions`, { municipality_code: 'GM0363', decision_reference: `TOE-${i}`, valid_from: `${period}-01`, valid_until: nl(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 6, 1))), goal: 'reintegration', business_hours_per_week: '16', jobsearch_hours_per_week: '8' });
	members[i] = m.id;
});
report.push(`${N} members with a permission through the API: ${(2 * N / tMembers).toFixed(0)} requests/s (${CONCURRENCY} clients, create + permission)`);
const s0 = sizes();
const invoices = [];
const tInvoices = await parallel(N, async (i) => {
	const d = await call(token, 'POST', `/v1/cooperatives/${coop.id}/invoices`, { member_id: members[i], customer_id: customer.id, supply_date: `${period}-15`, lines: [
		{ description: 'Snoeien en maaien', quantity: '4.5', unit: 'hour', unit_price_cents: 3000, activity_category: 'gardening', vat_category: 'S', vat_rate_bp: 2100 },
		{ description: 'Afvoer groenafval', quantity: '1', unit: 'piece', unit_price_cents: 2500, activity_category: 'gardening', vat_category: 'S', vat_rate_bp: 2100 }] });
	await call(token, 'POST', `/v1/invoices/${d.id}/issue`);
	invoices[i] = d.id;
});
report.push(`${N} invoices (2 lines) drafted and issued through the API: ${(N / tInvoices).toFixed(0)} invoices/s (${CONCURRENCY} clients, draft + issue)`);
const s1 = sizes();
report.push(`database growth per 10,000 issued invoices of 2 lines (with their audit events): ${growth(s0, s1, N)}`);
let t0 = performance.now();
await call(token, 'POST', `/v1/cooperatives/${coop.id}/settlements/${period}`);
const tCalc = (performance.now() - t0) / 1000;
const s2 = sizes();
t0 = performance.now();
await call(token, 'POST', `/v1/cooperatives/${coop.id}/settlements/${period}/finalize`);
const tFin = (performance.now() - t0) / 1000;
const s3 = sizes();
report.push(`month ${period} of ${N} members: calculated in ${tCalc.toFixed(2)} s, finalized in ${tFin.toFixed(2)} s`);
report.push(`database growth per 10,000 settlement rows, calculated (drafts): ${growth(s1, s2, N)}`);
report.push(`  and finalized (version 1, feed positions, fee ledger entries, audit events): ${growth(s1, s3, N)}`);
report.push(`database size in total: ${mb(s3.db)} MB for ${N} members, ${N} invoices, ${N} final settlement rows`);
t0 = performance.now();
const dumpFile = path.join(work, 'sizing.dump');
execFileSync('pg_dump', ['--format=custom', '--no-password', `--file=${dumpFile}`, url]);
report.push(`pg_dump --format=custom of it: ${mb(fs.statSync(dumpFile).size)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
report.push(`coopd RSS after the writes: ${(rssKb(coopd.pid) / 1024).toFixed(1)} MB (peak so far ${(rssKb(coopd.pid, 'VmHWM') / 1024).toFixed(1)} MB)`);

// Load: wrk on two GETs by id, with tests/bench/get_by_id.lua.
for (const [name, p, ids] of [['GET /v1/members/{id}', '/v1/members/{id}', members], ['GET /v1/invoices/{id}', '/v1/invoices/{id}', invoices]]) {
	const idsFile = path.join(work, 'ids');
	fs.writeFileSync(idsFile, ids.join('\n'));
	const out = execFileSync('wrk', ['-t2', '-c16', '-d10s', '--latency', '-s', path.join(root, 'tests/bench/get_by_id.lua'), base], { env: { ...process.env, BENCH_PATH: p, BENCH_IDS_FILE: idsFile, BENCH_TOKEN: token }, encoding: 'utf8' });
	const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)[1];
	const p99 = /99%\s+([\d.]+\w+)/.exec(out)[1];
	const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
	report.push(`${name}: ${Number(rps).toFixed(0)} requests/s, p99 ${p99}, non-2xx ${errors} (wrk -t2 -c16 -d10s); coopd RSS at the end ${(rssKb(coopd.pid) / 1024).toFixed(1)} MB`);
}
report.push(`coopd peak RSS (VmHWM) over the whole run: ${(rssKb(coopd.pid, 'VmHWM') / 1024).toFixed(1)} MB`);
const load = os.loadavg();
report.push(`machine: ${os.cpus().length} CPUs, load average at the end ${load.map((x) => x.toFixed(1)).join(' ')} (shared with other work); autogroup ${fs.readFileSync(autogroup, 'utf8').trim()} during the run`);
console.log(report.join('\n'));
coopd.kill('SIGTERM');
await new Promise((r) => coopd.on('exit', r));
