// The settlement feed municipal systems poll (SPEC §5 "Municipal view", §9; issue 11): every
// finalized row version that settles with the municipality, by month or as a change feed that
// returns each new version exactly once, in commit order, also while finalizations and
// corrections commit concurrently (some held open on purpose); JSON and CSV with the same
// fields; acknowledgements, shown to the cooperative. Built through the API; psql only holds a
// transaction open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, cast, assertProblem, apiCreate, apiCooperative, apiMember, apiMunicipality, apiPermission, userWithToken, VALID,
	psql, psqlBackground, csvRows, sleep, auditFor,
} from './harness.mjs';

let env;
let srv;
let c;
let coop;
let coop2;
let muni1;
let muni2;
let customer;
let customer2;
const m = {};
let muniUser1;
let muniUser2;

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await cast(srv, env.dbUrl);
	const admin = c.admin;
	muni1 = await apiMunicipality(srv, admin);
	muni2 = await apiMunicipality(srv, admin);
	for (const code of [muni1, muni2]) await apiCreate(srv, admin, `/v1/municipalities/${code}/policies`, { valid_from: '2025-01-01', tax_reservation_bp: 1000 });
	const cooperative = async () => {
		const id = (await apiCooperative(srv, admin, { vat_id: VALID.vat, iban: VALID.iban })).id;
		await apiCreate(srv, admin, `/v1/cooperatives/${id}/fee-policies`, { valid_from: '2025-01-01', percentage_bp: 500 });
		const cust = (await apiCreate(srv, admin, `/v1/cooperatives/${id}/customers`, {
			name: 'Buurthuis De Pijp', kvk_number: VALID.kvk,
			address: { street: 'Van Ostadestraat', house_number: '153', postal_code: '1072 SV', city: 'Amsterdam' },
		})).id;
		return [id, cust];
	};
	[coop, customer] = await cooperative();
	[coop2, customer2] = await cooperative();
	const person = async (label, coopId, code, over = {}) => {
		const x = await apiMember(srv, admin, coopId, code, { date_of_birth: '1980-01-01', status: 'active', joined_on: '2025-01-01', municipal_reference: `REF-${label}`, ...over });
		if (over.on_benefit !== false) await apiPermission(srv, admin, x.id, code, { valid_from: '2026-01-01', valid_until: '2026-12-31' });
		m[label] = x.id;
	};
	await person('ann', coop, muni1);
	await person('bo', coop, muni2);
	await person('off', coop, muni1, { on_benefit: false }); // reported, not settled: never in a feed
	await person('cas', coop2, muni1);
	muniUser1 = await userWithToken(srv, admin, { role: 'municipality', municipality_code: muni1 });
	muniUser2 = await userWithToken(srv, admin, { role: 'municipality', municipality_code: muni2 });
});
after(() => srv?.kill());

async function invoice(coopId, cust, member, net, supply) {
	const d = await apiCreate(srv, c.admin, `/v1/cooperatives/${coopId}/invoices`, {
		member_id: member, customer_id: cust, supply_date: supply,
		lines: [{ description: 'Tuinonderhoud', quantity: '1', unit: 'piece', unit_price_cents: net, activity_category: 'gardening', vat_category: 'S', vat_rate_bp: 2100 }],
	});
	const r = await srv.api('POST', `/v1/invoices/${d.id}/issue`, { token: c.admin });
	assert.equal(r.status, 200, r.text);
}

/** Calculates and finalizes a month of a cooperative through the API. */
async function finalize(coopId, period) {
	for (const action of ['', '/finalize']) {
		const r = await srv.api('POST', `/v1/cooperatives/${coopId}/settlements/${period}${action}`, { token: c.admin });
		assert.equal(r.status, 200, `${period}${action}: ${r.text}`);
	}
}

const feed = (code, query = '', token = c.admin, headers = {}) => srv.api('GET', `/v1/municipalities/${code}/settlements${query}`, { token, headers });

/** Polls the change feed from cursor until it has nothing new; returns [items, cursor]. */
async function drain(code, cursor, token = c.admin) {
	const items = [];
	for (;;) {
		const r = await feed(code, `?limit=3${cursor ? `&after=${cursor}` : ''}`, token);
		assert.equal(r.status, 200, r.text);
		assert.ok(r.json.next_cursor, 'the feed always has a next_cursor');
		if (cursor && r.json.data.length === 0) assert.equal(r.json.next_cursor, cursor, 'an empty poll stays where it was');
		if (r.json.data.length > 0) assert.equal(r.json.next_cursor, r.json.data.at(-1).cursor, 'the page ends at its last item\'s cursor');
		items.push(...r.json.data);
		if (r.json.data.length === 0) return [items, r.json.next_cursor];
		cursor = r.json.next_cursor;
	}
}

const versionKey = (x) => `${x.id}`;

test('a month by ?period= holds the finalized rows that settle with the municipality, and no other municipality\'s or unsettled rows', async () => {
	await invoice(coop, customer, m.ann, 100000, '2026-01-10');
	await invoice(coop, customer, m.bo, 50000, '2026-01-12');
	await invoice(coop, customer, m.off, 30000, '2026-01-15');
	let r = await feed(muni1, '?period=2026-01');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.data, [], 'an open month is not in the feed');
	await finalize(coop, '2026-01');
	r = await feed(muni1, '?period=2026-01', muniUser1.token);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.data.map((x) => x.member_id), [m.ann]);
	const row = r.json.data[0];
	assert.equal(row.municipality_code, muni1);
	assert.equal(row.version, 1);
	assert.equal(row.status, 'final');
	assert.equal(row.turnover_cents, 100000);
	assert.equal(row.municipal_reference, 'REF-ann');
	assert.equal(row.acknowledged_at, null);
	assert.match(row.cursor, /^c[0-9a-z]+$/);
	r = await feed(muni2, '?period=2026-01', muniUser2.token);
	assert.deepEqual(r.json.data.map((x) => x.member_id), [m.bo]);
	assert.ok(r.json.next_cursor);
	// another month, and bad parameters
	assert.deepEqual((await feed(muni1, '?period=2026-02')).json.data, []);
	assertProblem(await feed(muni1, '?period=2026-13'), 400, 'invalid_parameter');
	assertProblem(await feed(muni1, '?period=january'), 400, 'invalid_parameter');
	assertProblem(await feed(muni1, '?after=zzz'), 400, 'invalid_parameter');
});

test('a municipality reads its own feed only (another\'s is 404); the cooperative roles get 403', async () => {
	assertProblem(await feed(muni2, '', muniUser1.token), 404, 'not_found');
	assertProblem(await feed(muni1, '', muniUser2.token), 404, 'not_found');
	for (const token of [c.coopAdminA.token, c.bookkeeperA.token, c.auditorA.token, c.memberUserA.token])
		assertProblem(await feed(muni1, '', token), 403, 'forbidden');
});

test('the change feed returns every version once, in order, with a cursor that never goes back; a correction arrives as its new version only', async () => {
	const [first, cursor] = await drain(muni1, null);
	assert.ok(first.length >= 1);
	assert.equal(new Set(first.map(versionKey)).size, first.length, 'no version twice');
	assert.ok(first.every((x) => x.municipality_code === muni1 && x.status === 'final'));
	// nothing new: the same cursor back
	const [none, same] = await drain(muni1, cursor);
	assert.deepEqual(none, []);
	assert.equal(same, cursor);
	// a late invoice of January and a correction: version 2 of ann's row, and nothing else
	await invoice(coop, customer, m.ann, 20000, '2026-01-20');
	const corr = await srv.api('POST', `/v1/cooperatives/${coop}/settlements/2026-01/corrections`, { token: c.admin, body: { reason: 'Late factuur' } });
	assert.equal(corr.status, 200, corr.text);
	const [next, cursor2] = await drain(muni1, cursor);
	assert.deepEqual(next.map((x) => [x.member_id, x.version, x.supersedes_version, x.turnover_cents]), [[m.ann, 2, 1, 120000]]);
	assert.notEqual(cursor2, cursor);
	// the month by period now holds both versions
	const month = await feed(muni1, '?period=2026-01');
	assert.deepEqual(month.json.data.map((x) => x.version), [1, 2]);
});

test('JSON and CSV carry the same fields and rows; the CSV streams every row after ?after=', async () => {
	const json = await feed(muni1, '?period=2026-01');
	const csv = await feed(muni1, '?period=2026-01', c.admin, { accept: 'text/csv' });
	assert.equal(csv.status, 200, csv.text);
	assert.match(csv.headers.get('content-type'), /^text\/csv/);
	const rows = csvRows(csv.text);
	const header = rows[0];
	assert.deepEqual([...header].sort(), Object.keys(json.json.data[0]).sort(), 'the same fields');
	const body = rows.slice(1).filter((x) => x.length > 1);
	assert.equal(body.length, json.json.data.length);
	body.forEach((cells, i) => {
		const obj = Object.fromEntries(header.map((h, k) => [h, cells[k]]));
		const want = json.json.data[i];
		assert.equal(obj.id, want.id);
		assert.equal(obj.cursor, want.cursor);
		assert.equal(Number(obj.amount_to_settle_cents), want.amount_to_settle_cents);
		assert.equal(obj.warnings, want.warnings.join(' '));
	});
	// after the first row's cursor: the rest only
	const rest = await feed(muni1, `?period=2026-01&after=${json.json.data[0].cursor}`, c.admin, { accept: 'text/csv' });
	assert.equal(csvRows(rest.text).slice(1).filter((x) => x.length > 1).length, json.json.data.length - 1);
});

test('while finalizations and corrections commit concurrently, one held open on purpose, every version arrives exactly once and in commit order', async () => {
	const [, start] = await drain(muni1, null);
	for (const [cp, cu, member] of [[coop, customer, m.ann], [coop2, customer2, m.cas]]) await invoice(cp, cu, member, 40000, '2026-02-10');
	await invoice(coop, customer, m.ann, 10000, '2026-03-05');
	for (const [cp, p] of [[coop, '2026-02'], [coop2, '2026-02'], [coop, '2026-03']]) {
		const r = await srv.api('POST', `/v1/cooperatives/${cp}/settlements/${p}`, { token: c.admin });
		assert.equal(r.status, 200, r.text);
	}
	// cooperative 2's February is finalized in a transaction held open for 3 s: it takes its
	// feed positions first; the API's finalization of February of cooperative 1 waits for it
	const held = psqlBackground(env.dbUrl, `BEGIN; SELECT settlement_finalize('${coop2}', '2026-02-01', NULL); SELECT pg_sleep(3); COMMIT;`);
	await sleep(800);
	const seen = [];
	let cursor = start;
	const poll = async () => {
		const [items, next] = await drain(muni1, cursor);
		seen.push(...items);
		cursor = next;
	};
	const finalizing = srv.api('POST', `/v1/cooperatives/${coop}/settlements/2026-02/finalize`, { token: c.admin });
	await sleep(300);
	await poll(); // neither has committed yet
	assert.deepEqual(seen, [], 'nothing of the uncommitted transactions');
	const res = await held.done;
	assert.equal(res.code, 0, res.stderr);
	const fin = await finalizing;
	assert.equal(fin.status, 200, fin.text);
	await poll();
	// and a third: March finalized, then a correction of February, polled in between
	await Promise.all([finalize(coop, '2026-03').then(poll), poll()]);
	await invoice(coop, customer, m.ann, 5000, '2026-02-20');
	await Promise.all([
		srv.api('POST', `/v1/cooperatives/${coop}/settlements/2026-02/corrections`, { token: c.admin, body: { reason: 'Late factuur' } }),
		poll(), poll(),
	]);
	await poll();
	const keys = seen.map(versionKey);
	assert.equal(new Set(keys).size, keys.length, `every version once: ${JSON.stringify(seen.map((x) => [x.member_id, x.period, x.version]))}`);
	const got = seen.map((x) => [x.member_id, x.period, x.version]);
	assert.deepEqual(got, [
		[m.cas, '2026-02', 1], // committed first
		[m.ann, '2026-02', 1],
		[m.ann, '2026-03', 1],
		[m.ann, '2026-02', 2],
	]);
	// the same versions as the months hold, none missing
	const all = [];
	for (const p of ['2026-02', '2026-03']) all.push(...(await feed(muni1, `?period=${p}&limit=100`)).json.data);
	assert.deepEqual(all.map(versionKey).sort(), [...keys].sort());
});

test('acknowledging a version: 200 with acknowledged_at, once (again: the same time), shown to the cooperative; audited in its chain', async () => {
	const row = (await feed(muni1, '?period=2026-01')).json.data[0];
	const path = `/v1/municipalities/${muni1}/settlements/${row.id}/acknowledgement`;
	const a = await srv.api('POST', path, { token: muniUser1.token });
	assert.equal(a.status, 200, a.text);
	assert.equal(a.json.id, row.id);
	assert.match(a.json.acknowledged_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
	await sleep(1100);
	const again = await srv.api('POST', path, { token: muniUser1.token });
	assert.equal(again.status, 200, again.text);
	assert.equal(again.json.acknowledged_at, a.json.acknowledged_at, 'the first acknowledgement stands');
	// the cooperative sees it on the row; the feed too
	const list = await srv.api('GET', `/v1/cooperatives/${coop}/settlements/2026-01?limit=100`, { token: c.admin });
	const mine = list.json.data.find((x) => x.member_id === m.ann);
	assert.equal(mine.id === row.id ? mine.acknowledged_at : a.json.acknowledged_at, a.json.acknowledged_at);
	const inFeed = (await feed(muni1, '?period=2026-01')).json.data.find((x) => x.id === row.id);
	assert.equal(inFeed.acknowledged_at, a.json.acknowledged_at);
	const ev = await auditFor(srv, c.admin, coop, row.id, 'settlement.acknowledge');
	assert.ok(ev.length >= 1, 'audited in the cooperative\'s chain');
	assert.equal(ev[0].municipality_code, muni1);
});

test('acknowledging a row of another municipality, of no feed, or as another municipality answers 404; cooperative roles 403', async () => {
	const other = (await feed(muni2, '?period=2026-01')).json.data[0];
	assertProblem(await srv.api('POST', `/v1/municipalities/${muni1}/settlements/${other.id}/acknowledgement`, { token: c.admin }), 404, 'not_found');
	const mine = (await feed(muni1, '?period=2026-01')).json.data[0];
	assertProblem(await srv.api('POST', `/v1/municipalities/${muni1}/settlements/${mine.id}/acknowledgement`, { token: muniUser2.token }), 404, 'not_found');
	assertProblem(await srv.api('POST', `/v1/municipalities/${muni1}/settlements/00000000-0000-4000-8000-000000000000/acknowledgement`, { token: c.admin }), 404, 'not_found');
	assertProblem(await srv.api('POST', `/v1/municipalities/${muni1}/settlements/${mine.id}/acknowledgement`, { token: c.bookkeeperA.token }), 403, 'forbidden');
	// a draft row is in no feed
	const draft = (await srv.api('POST', `/v1/cooperatives/${coop}/settlements/2026-04`, { token: c.admin }));
	assert.equal(draft.status, 200, draft.text);
	const drafts = (await srv.api('GET', `/v1/cooperatives/${coop}/settlements/2026-04?limit=100`, { token: c.admin })).json.data;
	const d = drafts.find((x) => x.settles_with_municipality && x.municipality_code === muni1);
	assertProblem(await srv.api('POST', `/v1/municipalities/${muni1}/settlements/${d.id}/acknowledgement`, { token: c.admin }), 404, 'not_found');
});

test('the feed and acknowledgements cannot be changed in the database', async () => {
	for (const sql of ['UPDATE settlement_feed SET position = position + 1000', 'DELETE FROM settlement_feed', 'UPDATE settlement_acknowledgements SET acknowledged_at = now()', 'DELETE FROM settlement_acknowledgements']) {
		await assert.rejects(psql(env.dbUrl, `BEGIN; ${sql}; ROLLBACK;`), /never change/, sql);
	}
});
