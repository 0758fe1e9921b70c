// The numbering proof (SPEC §5 "Numbering", RULES.md §1): one series per cooperative per year,
// shared by invoices and credit notes, gapless and unique under concurrency and rollback.
//
// More than 200 issue requests run over 16 parallel keep-alive connections against the drafts of
// one cooperative while credit notes are created in the same series. Some requests must fail:
//   (a) drafts that fail a check before a number is taken (a member on benefit without permission),
//   (b) two issue requests racing for the same draft (exactly one 200, the other 409),
//   (c) failures after the number was taken: a trigger installed in this test's own database
//       raises for invoices described 'FAIL AFTER NUMBER' when their number is set, so the issuing
//       transaction rolls back after it took the next number of the series.
// Afterwards the numbers of the series are exactly 1..N (N = the successful responses plus the
// invoices issued before), without duplicates or gaps, and every failed draft is still a draft.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { setup, contractCheck, nlDate, invMunicipality, invSmallCoop, invMember, invLine, invIssued } from './harness.mjs';

let env;
let srv;
let w;

before(async () => {
	env = await setup();
	srv = env.srv;
	const admin = await srv.adminToken();
	w = { admin, muni: await invMunicipality(srv, admin) };
});
after(() => srv?.kill());

const CONNECTIONS = 16;
const FAIL_AFTER_NUMBER = 'FAIL AFTER NUMBER';

/** A client over CONNECTIONS keep-alive sockets. */
function keepAliveClient(base) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS });
	const url = new URL(base);
	const sockets = new Set();
	const call = (method, p, { token, body, timeoutMs = 20000 } = {}) =>
		new Promise((resolve, reject) => {
			const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
			const headers = { authorization: `Bearer ${token}` };
			if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(payload.length) });
			const req = http.request({ host: url.hostname, port: url.port, method, path: p, headers, agent, timeout: timeoutMs }, (res) => {
				sockets.add(res.socket);
				const parts = [];
				res.on('data', (d) => parts.push(d));
				res.on('error', reject);
				res.on('end', () => {
					const buf = Buffer.concat(parts);
					const bad = contractCheck(method, p, { status: res.statusCode, rawHeaders: res.rawHeaders, body: buf });
					if (bad) return reject(new Error(bad));
					const text = buf.toString('utf8');
					let json;
					try {
						json = JSON.parse(text);
					} catch {
						json = undefined;
					}
					resolve({ status: res.statusCode, json, text });
				});
			});
			req.on('timeout', () => req.destroy(new Error(`${method} ${p}: no response within ${timeoutMs} ms`)));
			req.on('error', reject);
			req.end(payload ?? undefined);
		});
	return { call, sockets, close: () => agent.destroy() };
}

/** Runs the jobs (functions returning promises) with `width` of them in flight at a time. */
async function pool(jobs, width) {
	const results = new Array(jobs.length);
	let next = 0;
	const worker = async () => {
		while (next < jobs.length) {
			const i = next++;
			try {
				results[i] = await jobs[i]();
			} catch (e) {
				results[i] = { error: e };
			}
		}
	};
	await Promise.all(Array.from({ length: width }, worker));
	return results;
}

test('≥ 200 concurrent issue requests over 16 connections, with checks failing, races on one draft and rollbacks after the number was taken, leave one gapless series 1..N shared with credit notes', { timeout: 60000 }, async () => {
	const started = Date.now();
	const admin = w.admin;
	const f = await invSmallCoop(srv, admin, w.muni);
	const onBenefit = await invMember(srv, admin, f.id, w.muni, { on_benefit: true, first_name: 'Zonder', last_name: 'Toestemming' });

	// (c) the fault: raise when an invoice described FAIL AFTER NUMBER gets its number
	await env.sql(`
		create function test_fail_after_number() returns trigger language plpgsql as $$
		begin
			if new.description = '${FAIL_AFTER_NUMBER}' then
				raise exception 'fault injected by the numbering test after the number was taken';
			end if;
			return new;
		end $$;
		create trigger test_fail_after_number before update of number on invoices
			for each row execute function test_fail_after_number();`);

	// invoices issued beforehand, to be credited while the storm runs
	const PRE = 6;
	const pre = [];
	for (let i = 0; i < PRE; i++) pre.push(await invIssued(srv, admin, f.id, { member_id: f.member.id, customer_id: f.customer.id }));
	assert.deepEqual(pre.map((x) => Number(x.number.slice(-5))), [1, 2, 3, 4, 5, 6]);

	const client = keepAliveClient(srv.base);
	try {
		// the drafts, created concurrently as well
		const N_OK = 130;
		const N_RACED = 45; // of the OK drafts, these get two issue requests at once
		const N_NOPERM = 20;
		const N_FAIL = 30;
		const specs = [
			...Array.from({ length: N_OK }, (_, i) => ({ kind: 'ok', raced: i < N_RACED, body: { member_id: f.member.id, description: `Opdracht ${i + 1}` } })),
			...Array.from({ length: N_NOPERM }, () => ({ kind: 'noperm', body: { member_id: onBenefit.id, description: 'Zonder toestemming' } })),
			...Array.from({ length: N_FAIL }, () => ({ kind: 'fail', body: { member_id: f.member.id, description: FAIL_AFTER_NUMBER } })),
		];
		const created = await pool(
			specs.map((s, i) => () =>
				client.call('POST', `/v1/cooperatives/${f.id}/invoices`, {
					token: admin,
					body: { customer_id: f.customer.id, supply_date: nlDate(), lines: [invLine({ quantity: String(1 + (i % 7)) })], ...s.body },
				}),
			),
			CONNECTIONS,
		);
		created.forEach((r, i) => {
			assert.ok(!r.error, `draft ${i}: ${r.error}`);
			assert.equal(r.status, 201, `draft ${i}: ${r.status} ${r.text}`);
			specs[i].id = r.json.id;
		});

		// the storm: issue requests (pairs for the raced drafts, side by side so that they run at
		// the same moment) and credit notes in between, in a shuffled order
		const groups = specs.map((s) => (s.raced ? [s, s] : [s]));
		for (const p of pre) groups.push([{ kind: 'credit', id: p.id }]);
		for (let i = groups.length - 1; i > 0; i--) {
			const j = Math.floor(Math.random() * (i + 1));
			[groups[i], groups[j]] = [groups[j], groups[i]];
		}
		const plan = groups.flat();
		const issueRequests = plan.filter((s) => s.kind !== 'credit').length;
		assert.ok(issueRequests >= 200, `${issueRequests} issue requests`);
		const results = await pool(
			plan.map((s) => () =>
				s.kind === 'credit'
					? client.call('POST', `/v1/invoices/${s.id}/credit-notes`, { token: admin, body: { reason: 'Creditering tijdens de storm' } })
					: client.call('POST', `/v1/invoices/${s.id}/issue`, { token: admin, body: {} }),
			),
			CONNECTIONS,
		);
		assert.ok(client.sockets.size > 1 && client.sockets.size <= CONNECTIONS, `${client.sockets.size} connections used`);

		// every response is what its draft deserved
		const byDraft = new Map();
		const numbers = [];
		results.forEach((r, i) => {
			const s = plan[i];
			assert.ok(!r.error, `request ${i} (${s.kind} ${s.id}): ${r.error}`);
			if (s.kind === 'credit') {
				assert.equal(r.status, 201, `credit note of ${s.id}: ${r.status} ${r.text}`);
				numbers.push(r.json.number);
				return;
			}
			if (!byDraft.has(s.id)) byDraft.set(s.id, []);
			byDraft.get(s.id).push(r);
			if (r.status === 200) {
				assert.equal(r.json.status, 'issued');
				numbers.push(r.json.number);
			}
		});
		let ok200 = 0;
		for (const s of specs) {
			const rs = byDraft.get(s.id);
			if (s.kind === 'ok') {
				assert.equal(rs.length, s.raced ? 2 : 1);
				const wins = rs.filter((r) => r.status === 200);
				assert.equal(wins.length, 1, `exactly one 200 for draft ${s.id}: ${rs.map((r) => `${r.status} ${r.text}`).join(' | ')}`);
				ok200++;
				if (s.raced) {
					const lost = rs.find((r) => r.status !== 200);
					assert.equal(lost.status, 409, `the losing request of the race: ${lost.status} ${lost.text}`);
					assert.equal(lost.json?.code, 'invoice_not_draft', lost.text);
				}
			} else if (s.kind === 'noperm') {
				assert.equal(rs[0].status, 422, rs[0].text);
				assert.equal(rs[0].json?.code, 'no_active_permission', rs[0].text);
			} else {
				assert.equal(rs[0].status, 500, `the injected fault after the number: ${rs[0].status} ${rs[0].text}`);
				assert.equal(rs[0].json?.code, 'internal_error', rs[0].text);
			}
		}
		assert.equal(ok200, N_OK);
		assert.equal(numbers.length, N_OK + PRE, 'one number per successful response');
		assert.equal(new Set(numbers).size, numbers.length, 'no number was given twice');

		// the series in the database: exactly 1..N per year, no duplicate, no gap
		const rows = await env.sql(`select number, series_year, series_number, kind, status from invoices where cooperative_id = '${f.id}' and number is not null order by series_year, series_number`);
		const N = PRE + N_OK + PRE; // invoices issued before, the storm's invoices, its credit notes
		assert.equal(rows.length, N, `${rows.length} numbered invoices and credit notes`);
		const years = [...new Set(rows.map((r) => r.series_year))];
		for (const y of years) {
			const ns = rows.filter((r) => r.series_year === y).map((r) => Number(r.series_number));
			assert.deepEqual(ns, Array.from({ length: ns.length }, (_, i) => i + 1), `series ${y} is 1..${ns.length} without gaps or duplicates`);
			for (const r of rows.filter((x) => x.series_year === y)) assert.equal(r.number, `${f.coop.invoice_prefix}${y}-${r.series_number.padStart(5, '0')}`);
			const series = await env.sql(`select last_number from invoice_series where cooperative_id = '${f.id}' and year = ${Number(y)}`);
			assert.equal(Number(series[0].last_number), ns.length, `the series counter of ${y} stands at its last number`);
		}
		assert.deepEqual(new Set(rows.map((r) => r.number)), new Set([...numbers, ...pre.map((p) => p.number)]), 'the numbers answered are the numbers stored');
		assert.equal(rows.filter((r) => r.kind === 'credit_note').length, PRE);

		// every failed draft is still a draft without a number
		const failed = specs.filter((s) => s.kind !== 'ok').map((s) => `'${s.id}'`);
		const left = await env.sql(`select id, status, number, series_number, issued_at from invoices where id in (${failed.join(',')})`);
		assert.equal(left.length, N_NOPERM + N_FAIL);
		for (const r of left) assert.deepEqual([r.status, r.number, r.series_number, r.issued_at], ['draft', null, null, null], JSON.stringify(r));
		const sample = await client.call('GET', `/v1/invoices/${specs.find((s) => s.kind === 'fail').id}`, { token: admin });
		assert.equal(sample.status, 200);
		assert.equal(sample.json.status, 'draft');
		assert.equal(sample.json.number, null);

		// a failed draft issues normally once the fault is gone, with the next number
		await env.sql('drop trigger test_fail_after_number on invoices');
		const again = await client.call('POST', `/v1/invoices/${specs.find((s) => s.kind === 'fail').id}/issue`, { token: admin, body: {} });
		assert.equal(again.status, 200, again.text);
		assert.equal(Number(again.json.number.slice(-5)), rows.filter((r) => r.series_year === again.json.issue_date.slice(0, 4)).length + 1);

		// the audit chain of the cooperative stayed intact under the concurrency
		const v = await client.call('GET', `/v1/cooperatives/${f.id}/audit-events/verify`, { token: admin });
		assert.equal(v.status, 200, v.text);
		assert.equal(v.json.ok, true, v.text);
		const issuedEvents = await env.sql(`select count(*) as n from audit_events where cooperative_id = '${f.id}' and action = 'invoice.issue'`);
		assert.equal(Number(issuedEvents[0].n), PRE + N_OK + 1, 'one invoice.issue event per issued invoice, none for the rolled back attempts');
	} finally {
		client.close();
	}
	assert.ok(Date.now() - started < 60000, `the proof took ${Date.now() - started} ms`);
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
