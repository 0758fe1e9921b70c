// The plans of the big lists' cursor pages: a deep page (after= a cursor near the end) must read
// its table by an index whose Index Cond holds the cursor (key > $1), with no Sort of the table's
// rows and no Seq Scan of the table, on tables of a few thousand ANALYZEd rows. Lists: a
// cooperative's invoices and members, the municipal settlement feed, a month's settlement rows,
// an invoice's payments, a cooperative's audit trail.
//
// How the statements coopd runs are explained: auto_explain, loaded into coopd's own sessions.
// The test starts a cluster of its own (it reads that cluster's server log), seeds the data,
// then sets session_preload_libraries = 'auto_explain' with log_min_duration 0 and JSON output
// on the test's database and restarts coopd, whose new pool connections load it: every
// statement coopd executes is logged with the plan PostgreSQL actually ran, for the prepared
// statement and the parameters coopd bound. Other ways were weighed: pg_stat_statements needs
// shared_preload_libraries (a restart of the cluster) and gives the text, not the plan; EXPLAIN
// of a copy of the SQL in the test (read from the C sources, or from pg_stat_activity) would
// plan a statement that may differ from what coopd prepared, and not with coopd's generic plan.
// Each deep page is requested 7 times: a prepared statement gets custom plans for its first five
// executions and may then switch to a generic one; every one of those plans must qualify.
// (A benchmark is not a test: nothing here is timed; bench.sh's scale section measures.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startCluster, createDatabase, startCoopd, psql, lit } from './harness.mjs';

const N = 3000; // rows of each list
let cluster;
let dbUrl;
let srv;
let admin;
const ids = {};

// The JSON plans auto_explain wrote to the server log since byte offset `from`.
function plansSince(from) {
	const log = fs.readFileSync(path.join(cluster.dir, 'server.log'), 'utf8').slice(from);
	const out = [];
	const re = /duration: [0-9.]+ ms\s+plan:\s*\n/g;
	let m;
	while ((m = re.exec(log))) {
		// the JSON object runs to the first line that starts a new log entry
		const rest = log.slice(m.index + m[0].length);
		const end = rest.search(/\n(?=\d{4}-\d{2}-\d{2} )/);
		const text = end < 0 ? rest : rest.slice(0, end);
		try {
			out.push(JSON.parse(text));
		} catch {
			/* a line of something else */
		}
	}
	return out;
}

function* nodes(plan) {
	yield plan;
	for (const p of plan.Plans ?? []) yield* nodes(p);
}

// The nodes whose rows reach a node: its children but not its InitPlans and SubPlans.
function* input(plan) {
	for (const p of plan.Plans ?? []) {
		if (p['Parent Relationship'] === 'InitPlan' || p['Parent Relationship'] === 'SubPlan') continue;
		yield p;
		yield* input(p);
	}
}

// The reasons a plan does not read `table` by its cursor (an empty list: it does).
function planProblems(plan, table, key) {
	const problems = [];
	const all = [...nodes(plan)];
	const scans = all.filter((n) => n['Relation Name'] === table);
	const cursorScan = scans.find(
		(n) => (n['Node Type'] === 'Index Scan' || n['Node Type'] === 'Index Only Scan') && new RegExp(`\\b${key}"? > `).test(n['Index Cond'] ?? ''),
	);
	if (!cursorScan) problems.push(`no Index Scan of ${table} whose Index Cond holds "${key} > ..." (scans: ${scans.map((n) => `${n['Node Type']} ${n['Index Cond'] ?? ''}`).join('; ') || 'none'})`);
	for (const n of scans) if (n['Node Type'] === 'Seq Scan' || n['Node Type'] === 'Bitmap Heap Scan') problems.push(`${n['Node Type']} of ${table}`);
	// A Sort over a CTE's page (a feed page re-sorted for its audit event) sorts at most a page;
	// any other Sort sorts the table's rows.
	for (const n of all) {
		if (n['Node Type'] !== 'Sort') continue;
		const below = [...input(n)].filter((x) => /Scan$/.test(x['Node Type']));
		if (!below.every((x) => x['Node Type'] === 'CTE Scan')) problems.push(`a Sort (${(n['Sort Key'] ?? []).join(', ')}) over the table's rows`);
	}
	return problems;
}

before(async () => {
	cluster = await startCluster();
	dbUrl = await createDatabase(cluster);
	srv = await startCoopd({ dbUrl }); // applies the migrations
	const q = (sql) => psql(dbUrl, sql);
	const [coop] = await q(`
		INSERT INTO municipalities (code, name) VALUES ('GM0599', 'Rotterdam'), ('GM0600', 'Elders');
		INSERT INTO cooperatives (legal_name, invoice_prefix, kvk_number, vat_id, iban, street, house_number, postal_code, city)
		SELECT 'Plan ' || k, 'PLAN' || k, '12345678', 'NL002455799B11', 'NL91ABNA0417164300', 'Kade', '1', '3011 AB', 'Rotterdam'
		FROM generate_series(1, 3) AS k;
		SELECT id FROM cooperatives WHERE invoice_prefix = 'PLAN1'`);
	ids.coop = coop.id;
	const c = lit(ids.coop);
	// members of three cooperatives, N of ours; the other cooperatives' rows make the filter count
	await q(`
		INSERT INTO members (cooperative_id, first_name, last_name, date_of_birth, street, house_number, postal_code, city,
		                     municipality_code, municipal_reference, status, joined_on, activity_category, on_benefit)
		SELECT c.id, 'Lid', 'Plan ' || m, date '1970-01-01' + m, 'Kade', '1', '3011 AB', 'Rotterdam',
		       CASE WHEN m % 3 = 0 THEN 'GM0600' ELSE 'GM0599' END, 'P-' || m, 'active', date '2020-01-01', 'gardening', true
		FROM cooperatives c, generate_series(1, ${N}) AS m WHERE c.invoice_prefix LIKE 'PLAN%';
		INSERT INTO customers (cooperative_id, name) SELECT id, 'Klant' FROM cooperatives WHERE invoice_prefix LIKE 'PLAN%';
		-- draft invoices of every member
		INSERT INTO invoices (cooperative_id, member_id, customer_id, supply_date, description)
		SELECT m.cooperative_id, m.id, cu.id, date '2025-01-01' + (m.seq % 300)::integer, 'Werk'
		FROM members m JOIN customers cu ON cu.cooperative_id = m.cooperative_id;
		-- one issued invoice with N payments of a cent
		INSERT INTO invoices (cooperative_id, member_id, customer_id, status, number, series_year, series_number,
		                      issue_date, supply_date, due_date, net_cents, vat_cents, gross_cents, issued_at)
		SELECT m.cooperative_id, m.id, cu.id, 'issued', 'PLAN12025-00001', 2025, 1, date '2025-03-01', date '2025-03-01',
		       date '2025-03-15', 10000000, 2100000, 12100000, now()
		FROM members m JOIN customers cu ON cu.cooperative_id = m.cooperative_id
		WHERE m.cooperative_id = ${c} ORDER BY m.seq LIMIT 1;
		INSERT INTO invoice_series (cooperative_id, year, last_number, last_issue_date) VALUES (${c}, 2025, 1, '2025-03-01');
		INSERT INTO payments (invoice_id, cooperative_id, amount_cents, received_on, method)
		SELECT i.id, i.cooperative_id, 1, date '2025-03-02', 'bank' FROM invoices i, generate_series(1, ${N})
		WHERE i.number = 'PLAN12025-00001';
		-- a finalized month of every member of every cooperative: settlement rows, and the feed
		INSERT INTO settlement_periods (cooperative_id, period, status, calculated_at, finalized_at)
		SELECT id, '2025-03-01', 'final', now(), now() FROM cooperatives WHERE invoice_prefix LIKE 'PLAN%';
		INSERT INTO settlement_rows (cooperative_id, member_id, period, version, status, settles_with_municipality,
		    municipality_code, municipal_reference, income_basis, cost_mode, turnover_cents, fee_cents, fee_deducted_cents,
		    costs_cents, base_cents, tax_reservation_cents, net_income_cents, exemption_cents, premium_cents,
		    amount_to_settle_cents, business_hours, business_hours_ytd, calculated_at, finalized_at)
		SELECT m.cooperative_id, m.id, '2025-03-01', 1, 'final', true, m.municipality_code, m.municipal_reference,
		       'work_period', 'none', 1000, 0, 0, 0, 1000, 100, 900, 0, 0, 900, 0, 0, now(), now()
		FROM members m ORDER BY m.seq;
		-- the cooperative's audit trail
		SELECT count(audit_append(${c}, NULL, NULL, 'platform_admin', 'test.event', 'invoice', 'x' || k, 'req-' || k, '{}'))
		FROM generate_series(1, ${N}) AS k;`);
	await q('VACUUM ANALYZE');
	const [inv] = await q(`SELECT id FROM invoices WHERE number = 'PLAN12025-00001'`);
	ids.invoice = inv.id;
	// auto_explain for coopd's sessions from now on: a restart opens new ones
	await q(`
		ALTER DATABASE ${dbUrl.split('/').pop()} SET session_preload_libraries = 'auto_explain';
		ALTER DATABASE ${dbUrl.split('/').pop()} SET auto_explain.log_min_duration = 0;
		ALTER DATABASE ${dbUrl.split('/').pop()} SET auto_explain.log_format = 'json'`);
	const keep = { COOPD_BOOTSTRAP_ADMIN_PASSWORD: srv.adminPassword, COOPD_JWT_SECRET: srv.secret };
	await srv.kill();
	srv = await startCoopd({ dbUrl, env: keep });
	admin = await srv.adminToken();
});
after(() => srv?.kill());

// The lists: the path, the table read by the cursor and its key column, and the SQL (run by the
// test) that gives the cursor of an item some 20 from the end of the list.
const lists = () => [
	{
		name: "a cooperative's invoices",
		path: `/v1/cooperatives/${ids.coop}/invoices`,
		table: 'invoices',
		key: 'seq',
		cursor: `SELECT list_cursor(seq) AS c FROM invoices WHERE cooperative_id = ${lit(ids.coop)} ORDER BY seq DESC OFFSET 20 LIMIT 1`,
	},
	{
		name: "a cooperative's members",
		path: `/v1/cooperatives/${ids.coop}/members`,
		table: 'members',
		key: 'seq',
		cursor: `SELECT list_cursor(seq) AS c FROM members WHERE cooperative_id = ${lit(ids.coop)} ORDER BY seq DESC OFFSET 20 LIMIT 1`,
	},
	{
		name: 'the municipal settlement feed',
		path: `/v1/municipalities/GM0599/settlements`,
		table: 'settlement_feed',
		key: 'position',
		cursor: `SELECT list_cursor(position) AS c FROM settlement_feed WHERE municipality_code = 'GM0599' ORDER BY position DESC OFFSET 20 LIMIT 1`,
	},
	{
		name: "a month's settlement rows",
		path: `/v1/cooperatives/${ids.coop}/settlements/2025-03`,
		table: 'settlement_rows',
		key: 'seq',
		cursor: `SELECT list_cursor(seq) AS c FROM settlement_rows WHERE cooperative_id = ${lit(ids.coop)} ORDER BY seq DESC OFFSET 20 LIMIT 1`,
	},
	{
		name: "an invoice's payments",
		path: `/v1/invoices/${ids.invoice}/payments`,
		table: 'payments',
		key: 'seq',
		cursor: `SELECT list_cursor(seq) AS c FROM payments WHERE invoice_id = ${lit(ids.invoice)} ORDER BY seq DESC OFFSET 20 LIMIT 1`,
	},
	{
		name: "a cooperative's audit trail",
		path: `/v1/cooperatives/${ids.coop}/audit-events`,
		table: 'audit_events',
		key: 'seq',
		cursor: `SELECT list_cursor(seq) AS c FROM audit_events WHERE chain = ${lit(ids.coop)} ORDER BY seq DESC OFFSET 20 LIMIT 1`,
	},
];

for (const i of [0, 1, 2, 3, 4, 5]) {
	test(`list plan ${i + 1}: a deep page is read by the index, cursor in its Index Cond, no Sort, no Seq Scan`, async (t) => {
		const l = lists()[i];
		t.diagnostic(l.name);
		const [{ c: cursor }] = await psql(dbUrl, l.cursor);
		assert.ok(cursor, `${l.name}: the list has rows`);
		const from = fs.statSync(path.join(cluster.dir, 'server.log')).size;
		for (let k = 0; k < 7; k++) {
			const r = await srv.api('GET', `${l.path}?limit=10&after=${cursor}`, { token: admin });
			assert.equal(r.status, 200, `${l.name}: ${r.text}`);
			assert.equal(r.json.data.length, 10, `${l.name}: a full deep page`);
		}
		// the statements of this list: those that read the table ordered by its cursor key
		const order = new RegExp(`ORDER BY \\w+\\.${l.key} LIMIT \\$2`);
		const mine = plansSince(from).filter((p) => order.test(p['Query Text'] ?? '') && [...nodes(p.Plan)].some((n) => n['Relation Name'] === l.table));
		assert.ok(mine.length >= 7, `${l.name}: auto_explain logged ${mine.length} plans of the list's statement, not 7`);
		for (const p of mine) {
			const problems = planProblems(p.Plan, l.table, l.key);
			assert.deepEqual(problems, [], `${l.name}: ${p['Query Text']}\n${JSON.stringify(p.Plan, null, 1)}`);
		}
	});
}
