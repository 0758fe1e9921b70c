// The monthly settlement (thermometer), built through the API the way a bookkeeper works (SPEC §5,
// §6.3, §9; issue 9): invoices, credit notes, expenses and premiums of March 2026, the month
// calculated, listed (JSON and CSV), one member's thermometer, finalized, and what may no longer
// happen afterwards, through the API or in the database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
	setup, cast, assertProblem, contractCheck, apiCreate, apiCooperative, apiMember, apiMunicipality, apiPermission, userWithToken, VALID, run, psqlBackground,
} from './harness.mjs';

let env;
let srv;
let c;
let coop;
let muni;
let customer;
const people = {};

const MARCH = '2026-03';

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await cast(srv, env.dbUrl);
	const admin = c.admin;
	// fee 5 %, deductible; tax reservation 10 %; the worked examples 2-4 of SPEC §6.3
	coop = (await apiCooperative(srv, admin, { vat_id: VALID.vat, iban: VALID.iban })).id;
	await apiCreate(srv, admin, `/v1/cooperatives/${coop}/fee-policies`, { valid_from: '2025-01-01', percentage_bp: 500 });
	muni = await apiMunicipality(srv, admin);
	await apiCreate(srv, admin, `/v1/municipalities/${muni}/policies`, { valid_from: '2025-01-01', fee_deductible: true, tax_reservation_bp: 1000 });
	customer = (await apiCreate(srv, admin, `/v1/cooperatives/${coop}/customers`, {
		name: 'Buurthuis De Pijp', kvk_number: VALID.kvk,
		address: { street: 'Van Ostadestraat', house_number: '153', postal_code: '1072 SV', city: 'Amsterdam' },
	})).id;
	const person = async (label, born, over = {}) => {
		const m = await apiMember(srv, admin, coop, muni, { date_of_birth: born, status: 'active', joined_on: '2025-01-01', municipal_reference: `REF-${label}`, ...over });
		if (over.on_benefit !== false)
			await apiPermission(srv, admin, m.id, muni, { valid_from: '2026-01-01', valid_until: '2026-12-31', exemption_from: '2026-03', exemption_until: '2026-08' });
		people[label] = m.id;
		return m.id;
	};
	await person('ex2', '1991-03-01'); // 35
	await person('ex3', '1991-03-01');
	await person('ex4', '1999-03-02'); // 26 on 1 March 2026
	await person('off', '1980-01-01', { on_benefit: false });
	await person('quiet', '1980-01-01'); // no turnover
});
after(() => srv?.kill());

/** Issues an invoice of one line for member m: net cents, supplied on supply. */
async function invoice(m, net, supply) {
	const d = await apiCreate(srv, c.admin, `/v1/cooperatives/${coop}/invoices`, {
		member_id: m, customer_id: customer, supply_date: supply,
		lines: [{ description: 'Tuinonderhoud', quantity: '1', unit: 'piece', unit_price_cents: net, activity_category: 'gardening', vat_category: 'S', vat_rate_bp: 2100 }],
	});
	const r = await srv.api('POST', `/v1/invoices/${d.id}/issue`, { token: c.admin });
	assert.equal(r.status, 200, r.text);
	return r.json;
}

const calc = (period = MARCH, token = c.admin) => srv.api('POST', `/v1/cooperatives/${coop}/settlements/${period}`, { token });
const rows = async (period = MARCH) => {
	const r = await srv.api('GET', `/v1/cooperatives/${coop}/settlements/${period}?limit=100`, { token: c.admin });
	assert.equal(r.status, 200, r.text);
	return Object.fromEntries(r.json.data.map((x) => [x.member_id, x]));
};
const FIGURES = ['turnover_cents', 'fee_cents', 'fee_deducted_cents', 'costs_cents', 'base_cents', 'tax_reservation_cents', 'net_income_cents', 'exemption_cents', 'amount_to_settle_cents', 'premium_cents'];
const figures = (row) => FIGURES.map((k) => row[k]);

test('the worked examples of SPEC §6.3 through the API: draft rows of every active member', async () => {
	await invoice(people.ex2, 70000, '2026-03-02');
	await invoice(people.ex2, 50000, '2026-03-31');
	await invoice(people.ex3, 200000, '2026-03-10');
	await invoice(people.ex4, 120000, '2026-03-10');
	await invoice(people.off, 40000, '2026-03-12');
	// not in March: supplied in February, issued in March (work_period counts the supply date)
	await invoice(people.ex2, 99900, '2026-02-27');
	const r = await calc();
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.period, MARCH);
	assert.equal(r.json.status, 'open');
	assert.equal(r.json.rows, 5);
	assert.equal(r.json.settling_rows, 4);
	const all = await rows();
	assert.deepEqual(figures(all[people.ex2]), [120000, 6000, 6000, 0, 114000, 11400, 102600, 25650, 76950, 0]);
	assert.deepEqual(figures(all[people.ex3]), [200000, 10000, 10000, 0, 190000, 19000, 171000, 28500, 142500, 0]);
	assert.deepEqual(figures(all[people.ex4]), [120000, 6000, 6000, 0, 114000, 11400, 102600, 0, 102600, 0]);
	const ex2 = all[people.ex2];
	assert.equal(ex2.status, 'draft');
	assert.equal(ex2.version, null);
	assert.equal(ex2.stale, false);
	assert.equal(ex2.settles_with_municipality, true);
	assert.equal(ex2.municipality_code, muni);
	assert.equal(ex2.municipal_reference, 'REF-ex2');
	assert.equal(ex2.income_basis, 'work_period');
	assert.equal(ex2.cost_mode, 'none');
	assert.equal(ex2.policy_valid_from, '2025-01-01');
	assert.equal(ex2.parameters_valid_from, '2026-01-01');
	assert.equal(ex2.period, MARCH);
	assert.ok(ex2.permission_id);
	// off benefit: reported, not settled
	const off = all[people.off];
	assert.equal(off.settles_with_municipality, false);
	assert.equal(off.municipality_code, null);
	assert.equal(off.amount_to_settle_cents, 0);
	assert.equal(off.exemption_cents, 0);
	// off benefit the member's own municipality's policy applies: fee 2000 deducted, 10 % reserved
	assert.deepEqual(figures(off), [40000, 2000, 2000, 0, 38000, 3800, 34200, 0, 0, 0]);
	// no turnover: the fee is waived
	assert.deepEqual(figures(all[people.quiet]), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
	// one customer for all of the turnover: a sign of disguised employment
	assert.ok(ex2.warnings.includes('single_customer'), JSON.stringify(ex2.warnings));
});

test('a credit note lowers the month; recalculating rewrites only the drafts that changed; the thermometer shows the live draft', async () => {
	const inv = await invoice(people.ex4, 10000, '2026-03-20');
	const cn = await srv.api('POST', `/v1/invoices/${inv.id}/credit-notes`, { token: c.admin, body: { reason: 'Dubbel gefactureerd' } });
	assert.equal(cn.status, 201, cn.text);
	const before = await rows();
	assert.equal(before[people.ex4].turnover_cents, 120000, 'drafts are what was calculated');
	const t = await srv.api('GET', `/v1/members/${people.ex4}/thermometer/${MARCH}`, { token: c.admin });
	assert.equal(t.status, 200, t.text);
	assert.equal(t.json.status, 'draft');
	assert.equal(t.json.id, null, 'a live calculation');
	assert.equal(t.json.turnover_cents, 120000, 'invoice and credit note cancel out');
	// hours of March change quiet's draft; nothing changes ex4's
	const h = await srv.api('POST', `/v1/members/${people.quiet}/hours`, { token: c.admin, body: { week: '2026-W11', business_hours: '5' } });
	assert.equal(h.status, 201, h.text);
	assert.equal((await calc()).status, 200);
	const after = await rows();
	assert.equal(after[people.ex4].id, before[people.ex4].id, 'the same figures: the draft stays as it was');
	assert.equal(after[people.ex4].calculated_at, before[people.ex4].calculated_at);
	assert.notEqual(after[people.quiet].id, before[people.quiet].id, 'a draft that changed is replaced');
	assert.equal(after[people.quiet].business_hours, '5');
	const n = await env.sql(`select count(*) as n from settlement_rows where cooperative_id = '${coop}'`);
	assert.equal(n[0].n, '5', 'one draft per member, never two');
	// a member who is no longer active in the month loses its draft
	const gone = await apiMember(srv, c.admin, coop, muni, { date_of_birth: '1980-01-01', status: 'active', joined_on: '2026-03-01' });
	assert.equal((await calc()).status, 200);
	assert.ok((await rows())[gone.id], 'a member of March has a draft');
	const p = await srv.api('PATCH', `/v1/members/${gone.id}`, { token: c.admin, body: { joined_on: '2026-04-01' } });
	assert.equal(p.status, 200, p.text);
	assert.equal((await calc()).status, 200);
	assert.equal((await rows())[gone.id], undefined, 'joined after March: no draft');
});

test('a member reads its own thermometer; another member\'s and another cooperative\'s are 404; members may not calculate', async () => {
	const me = await userWithToken(srv, c.admin, { role: 'member', cooperative_id: coop, member_id: people.ex3 });
	const own = await srv.api('GET', `/v1/members/${people.ex3}/thermometer/${MARCH}`, { token: me.token });
	assert.equal(own.status, 200, own.text);
	assert.equal(own.json.turnover_cents, 200000);
	assertProblem(await srv.api('GET', `/v1/members/${people.ex2}/thermometer/${MARCH}`, { token: me.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${coop}/settlements/${MARCH}`, { token: c.coopAdminA.token }), 404, 'not_found');
	assertProblem(await srv.api('POST', `/v1/cooperatives/${coop}/settlements/${MARCH}`, { token: me.token }), 403, 'forbidden');
	// a member not active in the month has no thermometer
	assertProblem(await srv.api('GET', `/v1/members/${people.ex2}/thermometer/2024-01`, { token: c.admin }), 404, 'not_found');
});

test('a month that has not begun cannot be calculated; one that has not ended, or was not calculated, cannot be finalized', async () => {
	assertProblem(await calc('2099-01'), 422, 'period_in_future');
	assertProblem(await srv.api('POST', `/v1/cooperatives/${coop}/settlements/2026-02/finalize`, { token: c.admin }), 409, 'period_not_calculated');
	const now = new Date();
	const current = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
	assert.equal((await calc(current)).status, 200);
	assertProblem(await srv.api('POST', `/v1/cooperatives/${coop}/settlements/${current}/finalize`, { token: c.admin }), 409, 'period_not_closed');
});

test('finalize freezes the month as version 1; afterwards nothing changes it, through the API or in the database', async () => {
	const f = await srv.api('POST', `/v1/cooperatives/${coop}/settlements/${MARCH}/finalize`, { token: c.admin });
	assert.equal(f.status, 200, f.text);
	assert.equal(f.json.status, 'final');
	assert.match(f.json.finalized_at, /Z$/);
	const all = await rows();
	for (const row of Object.values(all)) {
		assert.equal(row.status, 'final');
		assert.equal(row.version, 1);
		assert.equal(row.supersedes_version, null);
		assert.match(row.finalized_at, /Z$/);
	}
	assert.deepEqual(figures(all[people.ex2]), [120000, 6000, 6000, 0, 114000, 11400, 102600, 25650, 76950, 0]);
	const t = await srv.api('GET', `/v1/members/${people.ex2}/thermometer/${MARCH}`, { token: c.admin });
	assert.equal(t.json.version, 1);
	assert.equal(t.json.id, all[people.ex2].id);
	assert.equal(t.headers.get('etag'), '"1"');
	assertProblem(await calc(), 409, 'period_finalized');
	assertProblem(await srv.api('POST', `/v1/cooperatives/${coop}/settlements/${MARCH}/finalize`, { token: c.admin }), 409, 'period_finalized');
	const id = all[people.ex2].id;
	await assert.rejects(env.sql(`update settlement_rows set amount_to_settle_cents = 0 where id = '${id}'`), /never change/);
	await assert.rejects(env.sql(`delete from settlement_rows where id = '${id}'`), /never change/);
	await assert.rejects(env.sql('truncate settlement_rows cascade'), /never change/);
	const ev = await env.sql(`select action from audit_events where chain = '${coop}' and object_type = 'settlement_period' order by seq`);
	assert.deepEqual([...new Set(ev.map((e) => e.action))].sort(), ['settlement.calculate', 'settlement.finalize']);
});

test('the database refuses a row whose figures do not add up, whatever wrote it', async () => {
	await assert.rejects(env.sql(`insert into settlement_rows (cooperative_id, member_id, period, status, settles_with_municipality,
		municipality_code, income_basis, cost_mode, turnover_cents, fee_cents, fee_deducted_cents, costs_cents, base_cents,
		tax_reservation_cents, net_income_cents, exemption_cents, premium_cents, amount_to_settle_cents, business_hours,
		business_hours_ytd, calculated_at)
		values ('${coop}', '${people.ex2}', '2026-03-01', 'draft', true, '${muni}', 'work_period', 'none', 1000, 0, 0, 0, 1000,
		0, 1000, 0, 0, 999, 0, 0, now())`), /settlement_rows_settle/);
});

test('the month as CSV: a header and one line per row, figures as integers', async () => {
	const r = await srv.api('GET', `/v1/cooperatives/${coop}/settlements/${MARCH}`, { token: c.admin, headers: { accept: 'text/csv' } });
	assert.equal(r.status, 200, r.text);
	const lines = r.text.trim().split(/\r?\n/);
	const header = lines[0].split(',');
	for (const k of ['member_id', 'municipal_reference', 'period', 'version', 'amount_to_settle_cents', 'warnings']) assert.ok(header.includes(k), k);
	assert.equal(lines.length, 1 + 5);
	const col = header.indexOf('amount_to_settle_cents');
	assert.ok(lines.slice(1).some((l) => l.split(',')[col] === '76950'), r.text);
});

test('after finalization: a late invoice makes the row stale; corrections write version 2 of that row only, with the reason', async () => {
	// work of March, invoiced in December: counts in the finalized March (work_period)
	await invoice(people.ex2, 10000, '2026-03-25');
	// an approved expense of March for ex3: cost_mode none, so it changes nothing but is marked
	const e = await apiCreate(srv, c.admin, `/v1/members/${people.ex3}/expenses`, { date: '2026-03-05', description: 'Trein', category: 'travel', amount_cents: 1000 });
	assert.equal((await srv.api('POST', `/v1/expenses/${e.id}/approve`, { token: c.admin })).status, 200);
	let all = await rows();
	assert.equal(all[people.ex2].stale, true);
	assert.equal(all[people.ex3].stale, true);
	assert.equal(all[people.ex4].stale, false);
	const t = await srv.api('GET', `/v1/members/${people.ex2}/thermometer/${MARCH}`, { token: c.admin });
	assert.equal(t.json.stale, true);
	assert.equal(t.json.version, 1);
	assertProblem(await srv.api('POST', `/v1/cooperatives/${coop}/settlements/${MARCH}/corrections`, { token: c.admin, body: {} }), 422, 'validation_failed', { field: 'reason', fieldCode: 'required' });
	const r = await srv.api('POST', `/v1/cooperatives/${coop}/settlements/${MARCH}/corrections`, { token: c.admin, body: { reason: 'Late factuur maart' } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.corrected_rows, 1);
	all = await rows();
	const ex2 = all[people.ex2];
	assert.equal(ex2.version, 2);
	assert.equal(ex2.supersedes_version, 1);
	assert.equal(ex2.correction_reason, 'Late factuur maart');
	assert.equal(ex2.stale, false);
	// T 130000: F 6500, B 123500, X 12350, N 111150, E min(27788, 28500) = 27788 (27787.5 rounds up), S 83362
	assert.deepEqual(figures(ex2), [130000, 6500, 6500, 0, 123500, 12350, 111150, 27788, 83362, 0]);
	assert.equal(all[people.ex3].version, 1, 'unchanged figures keep their version');
	assert.equal(all[people.ex3].stale, false, 'and the marker is settled');
	const v = await env.sql(`select version, amount_to_settle_cents from settlement_rows where member_id = '${people.ex2}' and period = '2026-03-01' order by version`);
	assert.deepEqual(v, [{ version: '1', amount_to_settle_cents: '76950' }, { version: '2', amount_to_settle_cents: '83362' }], 'version 1 is kept as it was');
	assertProblem(await srv.api('POST', `/v1/cooperatives/${coop}/settlements/2026-02/corrections`, { token: c.admin, body: { reason: 'x' } }), 409, 'period_not_calculated');
	const now = new Date();
	const current = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
	assertProblem(await srv.api('POST', `/v1/cooperatives/${coop}/settlements/${current}/corrections`, { token: c.admin, body: { reason: 'x' } }), 409, 'period_not_finalized');
	const ev = await env.sql(`select count(*) as n from audit_events where chain = '${coop}' and action = 'settlement.correct'`);
	assert.equal(ev[0].n, '1');
});

/** GET the member's statement PDF of a month: the response, and the text pdftotext reads from it
 * (no-break spaces as spaces, white space collapsed) when it is a PDF. */
async function statement(m, period, token = c.admin) {
	const res = await fetch(`${srv.base}/v1/members/${m}/thermometer/${period}/pdf`, { headers: { authorization: `Bearer ${token}` } });
	const body = Buffer.from(await res.arrayBuffer());
	const bad = contractCheck('GET', `/v1/members/${m}/thermometer/${period}/pdf`, { status: res.status, headers: res.headers, body });
	if (bad) throw new Error(bad);
	if (res.status !== 200) return { status: res.status, headers: res.headers, json: JSON.parse(body.toString('utf8')) };
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coopd-statement-'));
	try {
		fs.writeFileSync(path.join(dir, 's.pdf'), body);
		const t = await run('pdftotext', ['-layout', '-enc', 'UTF-8', path.join(dir, 's.pdf'), '-']);
		assert.equal(t.code, 0, `pdftotext: ${t.stderr}`);
		return { status: 200, headers: res.headers, body, text: t.stdout.replace(/\u00a0/g, ' ').replace(/\s+/g, ' ') };
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

test('the statement PDF of a member\'s month: the row\'s figures, the documents that counted, the version, for the member itself', async () => {
	const s = await statement(people.ex2, MARCH);
	assert.equal(s.status, 200);
	assert.match(s.headers.get('content-type'), /^application\/pdf/);
	assert.equal(s.headers.get('content-disposition'), 'attachment; filename="inkomstenopgave-2026-03.pdf"');
	assert.equal(s.body.subarray(0, 5).toString('latin1'), '%PDF-');
	const t = s.text;
	for (const want of ['Inkomstenopgave maart 2026', 'REF-ex2', '2 · definitief', 'Correctie van versie 1: Late factuur maart',
		// version 2 (T 130000): the calculation of SPEC §6.3 line by line
		'Omzet (excl. btw) € 1.300,00', 'Bijdrage aan de coöperatie aftrekbaar volgens de gemeente − € 65,00',
		'Grondslag', '€ 1.235,00', 'Belastingreservering', '− € 123,50', 'Netto-inkomen € 1.111,50',
		'Vrijlating art. 31 lid 2 onder n Participatiewet − € 277,88', 'Te verrekenen met de gemeente € 833,62',
		// the three invoices supplied in March, by supply date; the one supplied in February is not
		'02-03-2026', '25-03-2026', '31-03-2026', '€ 700,00', '€ 500,00', '€ 100,00', 'Buurthuis De Pijp',
		'Thermometer 2026 tot en met maart', 'Signalen']) assert.ok(t.includes(want), `statement lacks "${want}":\n${t}`);
	assert.ok(!t.includes('27-02-2026') && !t.includes('€ 999,00'), 'the invoice supplied in February does not count');
	assert.ok(!/BSN|burgerservice/i.test(t));

	// the member itself reads its own; another member's and a month without a row are 404
	const me = await userWithToken(srv, c.admin, { role: 'member', cooperative_id: coop, member_id: people.ex3 });
	const own = await statement(people.ex3, MARCH, me.token);
	assert.equal(own.status, 200);
	assert.ok(own.text.includes('Te verrekenen met de gemeente € 1.425,00'), own.text);
	assertProblem(await statement(people.ex2, MARCH, me.token), 404, 'not_found');
	assertProblem(await statement(people.ex2, '2024-01'), 404, 'not_found');

	// off benefit: reported, not settled
	const off = await statement(people.off, MARCH);
	assert.ok(off.text.includes('Niet te verrekenen'), off.text);

	// a late credit note makes ex4's row stale: the statement says so and still lists only what the
	// version counted (the credit note is for the correction)
	const late = await invoice(people.ex4, 5000, '2026-03-30');
	assert.equal((await srv.api('POST', `/v1/invoices/${late.id}/credit-notes`, { token: c.admin, body: { reason: 'Vergissing' } })).status, 201);
	const stale = await statement(people.ex4, MARCH);
	assert.ok(stale.text.includes('Let op: na de vaststelling zijn gegevens van deze maand gewijzigd'), stale.text);
	assert.ok(!stale.text.includes('€ 50,00') && !stale.text.includes('De documenten hieronder tellen op tot'), stale.text);

	// an open month: a live draft, marked as such
	const now = new Date();
	const current = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
	const draft = await statement(people.ex2, current);
	assert.equal(draft.status, 200);
	assert.ok(draft.text.includes('Concept: deze maand is nog niet vastgesteld'), draft.text);
});

test('the annual reconciliation of SPEC §6.4 through the API: draft, recomputed, finalized; then it never changes', async () => {
	const path = `/v1/members/${people.ex2}/reconciliations/2026`;
	// March is ex2's only finalized settling month of 2026 (version 2: N 111150, S 83362)
	const r = await srv.api('POST', path, { token: c.admin, body: { actual_tax_cents: 0 } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'draft');
	assert.equal(r.json.year, 2026);
	assert.equal(r.json.base_cents, 123500);
	assert.equal(r.json.actual_net_income_cents, 123500);
	assert.equal(r.json.provisional_net_income_cents, 111150);
	assert.equal(r.json.delta_cents, 12350);
	assert.equal(r.json.actual_costs_cents, null);
	// N' 123500: E' = min(30875, 28500) = 28500, S' 95000, 11638 more than settled: a claim
	assert.deepEqual(r.json.months, [{
		period: MARCH, base_cents: 123500, provisional_net_income_cents: 111150, provisional_amount_to_settle_cents: 83362,
		allocated_delta_cents: 12350, net_income_cents: 123500, exemption_cents: 28500, amount_to_settle_cents: 95000, difference_cents: 11638,
	}]);
	assert.equal(r.json.total_difference_cents, 11638);
	assert.equal(r.json.outcome, 'claim');
	assert.equal(r.json.outcome_cents, 11638);
	// recomputed with the tax assessed: N_actual 103500, Δ -7650, E' 25875, S' 77625: a back-payment
	const again = await srv.api('POST', path, { token: c.admin, body: { actual_tax_cents: 20000 } });
	assert.equal(again.status, 200, again.text);
	assert.equal(again.json.id, r.json.id, 'the draft is replaced in place');
	assert.equal(again.json.months[0].difference_cents, -5737);
	assert.equal(again.json.outcome, 'back_payment');
	assert.equal(again.json.outcome_cents, 5737);
	// a member reads its own; another's is 404
	const me = await userWithToken(srv, c.admin, { role: 'member', cooperative_id: coop, member_id: people.ex2 });
	const own = await srv.api('GET', path, { token: me.token });
	assert.equal(own.status, 200, own.text);
	assert.equal(own.json.outcome_cents, 5737);
	assertProblem(await srv.api('GET', `/v1/members/${people.ex3}/reconciliations/2026`, { token: me.token }), 404, 'not_found');
	assertProblem(await srv.api('POST', path, { token: me.token, body: { actual_tax_cents: 0 } }), 403, 'forbidden');
	assertProblem(await srv.api('POST', `/v1/members/${people.ex2}/reconciliations/2025`, { token: c.admin, body: { actual_tax_cents: 0 } }), 422, 'nothing_to_reconcile');
	assertProblem(await srv.api('POST', path, { token: c.admin, body: {} }), 422, 'validation_failed', { field: 'actual_tax_cents', fieldCode: 'required' });
	assertProblem(await srv.api('POST', `/v1/members/${people.ex3}/reconciliations/2026/finalize`, { token: c.admin }), 409, 'reconciliation_not_calculated');
	const fin = await srv.api('POST', `${path}/finalize`, { token: c.admin });
	assert.equal(fin.status, 200, fin.text);
	assert.equal(fin.json.status, 'final');
	assert.match(fin.json.finalized_at, /Z$/);
	assertProblem(await srv.api('POST', path, { token: c.admin, body: { actual_tax_cents: 1 } }), 409, 'reconciliation_finalized');
	assertProblem(await srv.api('POST', `${path}/finalize`, { token: c.admin }), 409, 'reconciliation_finalized');
	await assert.rejects(env.sql(`update reconciliations set outcome_cents = 0 where id = '${r.json.id}'`), /never change/);
	await assert.rejects(env.sql(`delete from reconciliations where id = '${r.json.id}'`), /never change/);
	const ev = await env.sql(`select action from audit_events where object_id = '${r.json.id}' order by seq`);
	assert.deepEqual(ev.map((e) => e.action), ['reconciliation.calculate', 'reconciliation.calculate', 'reconciliation.finalize']);
});

test('a month built with payments, premiums and hours through the API: the payment basis, the premium reported, the Thursday rule', async () => {
	// a member whose municipality counts income when it is paid
	const payMuni = await apiMunicipality(srv, c.admin);
	await apiCreate(srv, c.admin, `/v1/municipalities/${payMuni}/policies`, { valid_from: '2025-01-01', income_basis: 'payment_date' });
	const payer = (await apiMember(srv, c.admin, coop, payMuni, { date_of_birth: '1980-01-01', status: 'active', joined_on: '2025-01-01' })).id;
	await apiPermission(srv, c.admin, payer, payMuni, { valid_from: '2026-01-01', valid_until: '2026-12-31' });
	const inv = await invoice(payer, 10000, '2026-01-20'); // net 10000, gross 12100
	for (const [amount, day] of [[6050, '2026-02-15'], [6050, '2026-03-02']]) {
		const p = await srv.api('POST', `/v1/invoices/${inv.id}/payments`, { token: c.admin, body: { amount_cents: amount, received_on: day, method: 'bank' } });
		assert.equal(p.status, 201, p.text);
	}
	// ex3: a premium and hours in February; the week of Monday 23 February counts in February
	// (Thursday the 26th), the week of Monday 2 March in March
	assert.equal((await srv.api('POST', `/v1/members/${people.ex3}/premiums`, { token: c.admin, body: { granted_on: '2026-02-10', amount_cents: 25000, reason: 'Uitstroom' } })).status, 201);
	for (const [week, hours] of [['2026-W07', '12.5'], ['2026-W09', '7'], ['2026-W10', '30']]) {
		const h = await srv.api('POST', `/v1/members/${people.ex3}/hours`, { token: c.admin, body: { week, business_hours: hours } });
		assert.equal(h.status, 201, h.text);
	}
	assert.equal((await calc('2026-02')).status, 200);
	const feb = await rows('2026-02');
	// half of the gross paid in February: round(6050 × 10000 / 12100) = 5000 counts
	assert.equal(feb[payer].income_basis, 'payment_date');
	assert.equal(feb[payer].turnover_cents, 5000);
	assert.equal(feb[people.ex3].premium_cents, 25000, 'reported');
	assert.equal(feb[people.ex3].amount_to_settle_cents, 0, 'not deducted: no turnover in February');
	assert.equal(feb[people.ex3].business_hours, '19.5');
	assert.equal(feb[people.ex3].business_hours_ytd, '19.5');
	const t = await srv.api('GET', `/v1/members/${people.ex3}/thermometer/2026-04`, { token: c.admin });
	assert.equal(t.status, 200, t.text);
	assert.equal(t.json.business_hours_ytd, '49.5', 'the year so far includes March');
	// the statement on the payment basis lists the payment received in February, at its net part
	const st = await statement(payer, '2026-02');
	for (const want of ['Ontvangen betalingen die meetellen', 'Ontvangen op', 'Betaling', '15-02-2026', '€ 50,00',
		'ontvangstdatum van de betaling']) assert.ok(st.text.includes(want), `statement lacks "${want}":\n${st.text}`);
	assert.ok(!st.text.includes('02-03-2026'), 'the payment of March counts in March');
	const prem = await statement(people.ex3, '2026-02');
	assert.ok(prem.text.includes('Premie art. 31 lid 2 onder j Participatiewet, niet verrekend € 250,00'), prem.text);
	assert.ok(prem.text.includes('19,5 uur'), prem.text);
});

test('an invoice issued while its month is being finalized is counted, or makes the row stale: it is never lost', async () => {
	const MAY = '2026-05';
	const d = await apiCreate(srv, c.admin, `/v1/cooperatives/${coop}/invoices`, {
		member_id: people.ex3, customer_id: customer, supply_date: '2026-05-12',
		lines: [{ description: 'Snoeiwerk', quantity: '1', unit: 'piece', unit_price_cents: 50000, activity_category: 'gardening', vat_category: 'S', vat_rate_bp: 2100 }],
	});
	assert.equal((await calc(MAY)).status, 200);
	// one transaction issues the invoice and stays open a while; meanwhile the month is finalized
	const issuing = psqlBackground(env.dbUrl, `BEGIN; SELECT invoice_issue('${d.id}', NULL, NULL); SELECT pg_sleep(1.5); COMMIT;`);
	await new Promise((resolve) => setTimeout(resolve, 500));
	const finalizing = psqlBackground(env.dbUrl, `SELECT settlement_finalize('${coop}', '${MAY}-01', NULL);`);
	const [a, b] = await Promise.all([issuing.done, finalizing.done]);
	assert.equal(a.code, 0, a.stderr);
	assert.equal(b.code, 0, b.stderr);
	const row = (await rows(MAY))[people.ex3];
	assert.equal(row.version, 1);
	assert.ok(row.turnover_cents === 50000 || row.stale, `neither counted nor stale: ${JSON.stringify(row)}`);
});

test('hostile input to the month, the year and their bodies: malformed paths 404, a garbage cursor 400, numbers out of range and odd text 422', async () => {
	for (const p of [`/v1/cooperatives/${coop}/settlements/2026-13`, `/v1/cooperatives/${coop}/settlements/2026-3`,
		`/v1/cooperatives/${coop}/settlements/2026-00`, `/v1/members/${people.ex2}/thermometer/26-03`,
		`/v1/members/${people.ex2}/thermometer/2026-3/pdf`,
		`/v1/members/${people.ex2}/reconciliations/99999`, `/v1/members/${people.ex2}/reconciliations/0999`]) {
		assertProblem(await srv.api('GET', p, { token: c.admin }), 404, 'not_found');
	}
	for (const after of ['garbage', 'c9999999999999', '%00']) {
		assertProblem(await srv.api('GET', `/v1/cooperatives/${coop}/settlements/${MARCH}?after=${after}`, { token: c.admin }), 400, 'invalid_parameter');
	}
	const corr = `/v1/cooperatives/${coop}/settlements/${MARCH}/corrections`;
	for (const [reason, code] of [['x'.repeat(501), 'too_long'], ['bel\u0007', 'invalid_value'], [{}, 'invalid_type'], ['', 'too_short']]) {
		const r = await srv.api('POST', corr, { token: c.admin, body: { reason } });
		assertProblem(r, 422, 'validation_failed', { field: 'reason' });
		assert.ok(r.json.errors.some((e) => e.code === code), `${JSON.stringify(reason)}: ${r.text}`);
	}
	const rec = `/v1/members/${people.ex3}/reconciliations/2026`;
	for (const raw of ['1e400', '-1', '12.5', '99999999999999999999']) {
		const r = await srv.api('POST', rec, { token: c.admin, rawBody: `{"actual_tax_cents":${raw}}` });
		assertProblem(r, 422, 'validation_failed', { field: 'actual_tax_cents' });
	}
	for (const week of ['２０２６-W05', '2026-W05\u200b', '2026-Ｗ05', '2026-W-5']) {
		assertProblem(await srv.api('POST', `/v1/members/${people.ex3}/hours`, { token: c.admin, body: { week } }), 422, 'validation_failed', { field: 'week' });
	}
	const n = await env.sql(`select count(*) as n from settlement_rows where member_id = '${people.ex2}' and period = '2026-03-01'`);
	assert.equal(n[0].n, '2', 'nothing was written');
});
