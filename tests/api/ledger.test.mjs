// Members' money (SPEC §5 "Members' money", §9; issue 10): the member ledger booked by events
// (payment shares, fees of finalized months and their corrections, payouts and their
// reversals), payouts with their SEPA credit transfer files (pain.001.001.03), the race of two
// payouts for one balance, cancelling a payout, collective costs and the cooperative's finances
// of a year, checked against figures computed here from what the API itself returns.
// Everything is built through the API; psql only proves what the database refuses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	setup, ROOT, run, assertProblem, assertAudited, assertIdempotentCreate, assertKeys, listAll, csvRows, nlDate, addDays,
	hex, uuid, RFC3339_UTC, UUID_RE, INV_IDS, invWorld, invCooperative, invMember, invCustomer, invLine, invIssued, invCreate,
	userWithToken,
} from './harness.mjs';

let env;
let srv;
let w;

before(async () => {
	// a generous pool wait: the races below send many requests at once, and a request must
	// never be answered 503 only because the pool was busy for a moment
	env = await setup({ env: { COOPD_DB_TIMEOUT_MS: '15000' } });
	srv = env.srv;
	w = await invWorld(srv);
});
after(() => srv?.kill());

// ---------------------------------------------------------------------------------------------
// Shapes, dates and small helpers.
const ENTRY_KEYS = ['id', 'member_id', 'cooperative_id', 'entry_no', 'date', 'kind', 'amount_cents', 'balance_cents', 'invoice_id', 'payment_id', 'payout_id', 'period', 'settlement_version', 'reverses_entry_id', 'created_at'];
const PAYOUT_KEYS = ['id', 'cooperative_id', 'status', 'execution_date', 'message_id', 'debtor', 'transfers', 'count', 'total_cents', 'created_at', 'created_by', 'cancelled_at', 'cancel_reason', 'executed_on'];
const TRANSFER_KEYS = ['line_no', 'member_id', 'name', 'iban', 'amount_cents', 'description', 'end_to_end_id', 'ledger_entry_id'];
const COST_KEYS = ['id', 'cooperative_id', 'date', 'category', 'description', 'amount_cents', 'created_at', 'created_by'];
const CATEGORIES = ['training', 'rent', 'overhead', 'insurance', 'administration', 'other'];
const FINANCE_KEYS = ['cooperative_id', 'year', 'as_of', 'payments_received_cents', 'vat_received_cents', 'vat_invoiced_cents', 'fee_income_cents', 'collective_costs_cents', 'collective_costs_by_category', 'payouts_cents', 'member_balances_change_cents', 'member_balances_cents', 'reserve_cents', 'reserve_cap_cents', 'reserve_above_cap', 'warnings'];
const SEPA_TEXT = /^[A-Za-z0-9/\-?:().,'+ ]*$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

const TODAY = nlDate();
const YEAR = Number(TODAY.slice(0, 4));
/** The last day of the previous month and that month ("YYYY-MM"): a month that has ended. */
const LAST_MONTH_END = addDays(`${TODAY.slice(0, 7)}-01`, -1);
const LAST_MONTH = LAST_MONTH_END.slice(0, 7);
const inLastMonth = (day) => `${LAST_MONTH}-${String(day).padStart(2, '0')}`;

const IBANS = ['NL20INGB0001234567', 'NL50ABNA0001234567', 'NL92RABO0001234567', 'NL61INGB0417164300', 'NL36RABO0417164300', 'NL69INGB0123456789', 'NL44RABO0123456789', 'NL98INGB1234567890', 'NL31ABNA1234567890', 'NL73RABO1234567890'];
let ibanSeq = 0;
const nextIban = () => IBANS[ibanSeq++ % IBANS.length];

const sum = (xs, f = (x) => x) => xs.reduce((s, x) => s + f(x), 0);
const bkA = () => w.bookkeeperA.token;

/** A member of coopId (not on benefit, active since 2020) with an IBAN unless over says otherwise. */
function member(coopId, over = {}) {
	return invMember(srv, w.admin, coopId, w.muni, { iban: nextIban(), ...over });
}

/** An invoice line of one piece at net cents (21 % unless rate says otherwise). */
const line = (net, rate = 2100, over = {}) => invLine({ description: 'Werkzaamheden', quantity: '1', unit: 'piece', unit_price_cents: net, activity_category: 'gardening', vat_rate_bp: rate, ...over });

/** Issues an invoice for memberId with these lines; returns it. */
function issue(coopId, memberId, customerId, lines, over = {}) {
	return invIssued(srv, w.admin, coopId, { member_id: memberId, customer_id: customerId, lines, ...over });
}

/** Records a payment (a refund when negative); asserts 201; returns it. */
async function pay(invoiceId, amount, receivedOn = TODAY, token = w.admin) {
	const r = await srv.api('POST', `/v1/invoices/${invoiceId}/payments`, { token, body: { amount_cents: amount, received_on: receivedOn, method: 'bank' } });
	assert.equal(r.status, 201, `payment of ${amount} on ${invoiceId}: ${r.text}`);
	return r.json;
}

/** Credits an invoice (whole, or the lines given); asserts 201; returns the credit note. */
async function credit(invoiceId, lines) {
	const body = { reason: 'Creditering' };
	if (lines) body.lines = lines;
	const r = await srv.api('POST', `/v1/invoices/${invoiceId}/credit-notes`, { token: w.admin, body });
	assert.equal(r.status, 201, `credit note of ${invoiceId}: ${r.text}`);
	return r.json;
}

/** An invoice of net cents for the member, paid in full: the member's balance grows by net. */
async function fund(coopId, memberId, customerId, net) {
	const inv = await issue(coopId, memberId, customerId, [line(net)]);
	await pay(inv.id, inv.totals.gross_cents);
	return inv;
}

/** The member's whole ledger (all pages). */
const ledger = (memberId, token = w.admin, limit = 100) => listAll(srv, token, `/v1/members/${memberId}/ledger`, limit);

/** The member's balance: the balance after its last entry (0 without entries). */
async function balanceOf(memberId) {
	const es = await ledger(memberId);
	return es.length ? es[es.length - 1].balance_cents : 0;
}

/** Asserts the shape of every entry, entry_no 1..n and balance_cents the running sum; returns the final balance. */
function assertLedger(entries, memberId) {
	let running = 0;
	entries.forEach((e, i) => {
		assertKeys(e, ENTRY_KEYS, 'ledger entry');
		assert.match(e.id, UUID_RE);
		assert.equal(e.member_id, memberId);
		assert.equal(e.entry_no, i + 1, `entry_no ${i + 1}: ${JSON.stringify(e)}`);
		assert.match(e.date, DATE_RE);
		assert.match(e.created_at, RFC3339_UTC);
		assert.ok(['payment_share', 'fee', 'payout', 'reversal'].includes(e.kind), e.kind);
		assert.ok(Number.isInteger(e.amount_cents) && Number.isInteger(e.balance_cents), JSON.stringify(e));
		running += e.amount_cents;
		assert.equal(e.balance_cents, running, `balance after entry ${e.entry_no} is the running sum: ${JSON.stringify(entries)}`);
		if (e.kind !== 'fee') {
			assert.equal(e.period, null, JSON.stringify(e));
			assert.equal(e.settlement_version, null, JSON.stringify(e));
		}
		if (e.kind !== 'reversal') assert.equal(e.reverses_entry_id, null, JSON.stringify(e));
	});
	return running;
}

/** Asserts the shape of a payout document and that its counts and sums add up; returns it. */
function assertPayout(p) {
	assertKeys(p, PAYOUT_KEYS, 'payout');
	assert.match(p.id, UUID_RE);
	assert.ok(['booked', 'cancelled'].includes(p.status), p.status);
	assert.match(p.execution_date, DATE_RE);
	assert.equal(typeof p.message_id, 'string');
	assert.ok(p.message_id.length >= 1 && p.message_id.length <= 35, `message_id of at most 35 characters: ${p.message_id}`);
	assertKeys(p.debtor, ['name', 'iban', 'bic'], 'payout.debtor');
	assert.match(p.created_at, RFC3339_UTC);
	assert.equal(p.count, p.transfers.length);
	assert.equal(p.total_cents, sum(p.transfers, (t) => t.amount_cents));
	p.transfers.forEach((t, i) => {
		assertKeys(t, TRANSFER_KEYS, 'payout transfer');
		assert.equal(t.line_no, i + 1);
		assert.equal(t.end_to_end_id, `${p.message_id}-${String(t.line_no).padStart(4, '0')}`, 'end_to_end_id is the message id and the line number');
		assert.ok(t.end_to_end_id.length <= 35, t.end_to_end_id);
		assert.match(t.ledger_entry_id, UUID_RE);
	});
	assert.equal(new Set(p.transfers.map((t) => t.end_to_end_id)).size, p.count, 'end_to_end_ids are unique');
	return p;
}

const payoutsPath = (coopId) => `/v1/cooperatives/${coopId}/payouts`;
const postPayout = (coopId, body, token = w.admin, headers = {}) => srv.api('POST', payoutsPath(coopId), { token, body, headers });
const payoutsOf = (coopId) => listAll(srv, w.admin, payoutsPath(coopId), 100);

/** Creates a payout; asserts 201; returns it. */
async function payout(coopId, transfers, over = {}, token = w.admin) {
	const r = await postPayout(coopId, { transfers, ...over }, token);
	assert.equal(r.status, 201, `payout ${JSON.stringify(transfers)}: ${r.text}`);
	return assertPayout(r.json);
}

const cancel = (payoutId, reason = 'Verkeerd bedrag', token = w.admin) => srv.api('POST', `/v1/payouts/${payoutId}/cancel`, { token, body: { reason } });

/** The ledgers of several members, to prove that a refused request wrote nothing. */
const snapshot = async (coopId, memberIds) => ({ payouts: await payoutsOf(coopId), ledgers: await Promise.all(memberIds.map((m) => ledger(m))) });

// ---------------------------------------------------------------------------------------------
// SEPA helpers: the schema (xmllint) and the rules it cannot check (regexes on the text).
const SEPA_XSD = process.env.SEPA_XSD || path.join(ROOT, '..', 'shared/validators/iso20022/pain.001.001.03.xsd');

const xmlDecode = (s) => s
	.replace(/&#x([0-9a-fA-F]+);/g, (_, h) => String.fromCodePoint(parseInt(h, 16)))
	.replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
	.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
/** The inner XML of every element <name> (any namespace prefix). */
const blocks = (xml, name) => [...xml.matchAll(new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}>`, 'g'))].map((m) => m[1]);
/** The decoded text of every simple element <name>. */
const texts = (xml, name) => blocks(xml, name).map((b) => xmlDecode(b.trim()));
const one = (xml, name) => {
	const all = texts(xml, name);
	assert.equal(all.length, 1, `exactly one <${name}>: ${all.length}`);
	return all[0];
};
/** "123.45" → 12345 (integer arithmetic, no floating point). */
function cents(s) {
	const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(s);
	assert.ok(m, `an amount with at most two decimals: ${s}`);
	return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

async function fetchSepa(payoutId, token = w.admin) {
	return srv.api('GET', `/v1/payouts/${payoutId}/sepa`, { token });
}

/** Validates a pain.001.001.03 text against the XSD with xmllint (skipped, loudly, without the schema). */
async function assertSchemaValid(t, xml) {
	if (!fs.existsSync(SEPA_XSD)) {
		const msg = `SEPA schema validation skipped: ${SEPA_XSD} does not exist (set SEPA_XSD)`;
		t.diagnostic(msg);
		console.log(msg);
		return false;
	}
	const r = await run('xmllint', ['--noout', '--schema', SEPA_XSD, '-'], { input: xml });
	assert.equal(r.code, 0, `xmllint --schema pain.001.001.03.xsd: ${r.stderr}\n${xml}`);
	return true;
}

// ---------------------------------------------------------------------------------------------
// Ledger: payment shares
test('a payment books a payment_share of round(payment × net / gross), half away from zero: 608 of 1216 (net 1005) is 502.5 and books 503, dated received_on', async () => {
	const m = await member(w.coopA);
	const inv = await issue(w.coopA, m.id, w.custNL, [line(1005)]);
	assert.deepEqual([inv.totals.net_cents, inv.totals.gross_cents], [1005, 1216]);
	const day = nlDate(-1);
	const p = await pay(inv.id, 608, day);
	const es = await ledger(m.id);
	assert.equal(es.length, 1, JSON.stringify(es));
	assertLedger(es, m.id);
	const e = es[0];
	assert.equal(e.kind, 'payment_share');
	assert.equal(e.amount_cents, 503, '608 × 1005 / 1216 = 502.5 rounds half up to 503');
	assert.equal(e.balance_cents, 503);
	assert.equal(e.entry_no, 1);
	assert.equal(e.date, day, 'dated the day the payment was received');
	assert.equal(e.invoice_id, inv.id);
	assert.equal(e.payment_id, p.id);
	assert.equal(e.cooperative_id, w.coopA);
	assert.equal(e.payout_id, null);
	assert.equal(e.period, null);
	assert.equal(e.settlement_version, null);
	assert.equal(e.reverses_entry_id, null);
});

test('the payment that completes an invoice gets the remaining net: 608 + 608 of 1216 book 503 + 502 = 1005, not 503 + 503', async () => {
	const m = await member(w.coopA);
	const inv = await issue(w.coopA, m.id, w.custNL, [line(1005)]);
	await pay(inv.id, 608);
	const last = await pay(inv.id, 608);
	const es = await ledger(m.id);
	assertLedger(es, m.id);
	assert.deepEqual(es.map((e) => e.amount_cents), [503, 502]);
	assert.equal(es[1].payment_id, last.id);
	assert.equal(sum(es, (e) => e.amount_cents), inv.totals.net_cents);
});

test('partial payments 400 + 400 + 410 of 1210 (net 1000) book 331 + 331 + 338: the shares of an invoice sum to its net exactly, where rounding alone would give 1001', async () => {
	const r = (p) => Math.round((p * 1000) / 1210);
	assert.equal(r(400) + r(400) + r(410), 1001, 'the amounts are chosen so that rounding alone does not add up');
	const m = await member(w.coopA);
	const inv = await issue(w.coopA, m.id, w.custNL, [line(1000)]);
	assert.deepEqual([inv.totals.net_cents, inv.totals.gross_cents], [1000, 1210]);
	const days = [nlDate(-2), nlDate(-1), TODAY];
	const ps = [];
	for (const [i, amount] of [400, 400, 410].entries()) ps.push(await pay(inv.id, amount, days[i]));
	const es = await ledger(m.id);
	assertLedger(es, m.id);
	assert.deepEqual(es.map((e) => e.amount_cents), [331, 331, 338]);
	assert.deepEqual(es.map((e) => e.payment_id), ps.map((p) => p.id));
	assert.deepEqual(es.map((e) => e.date), days);
	assert.deepEqual(es.map((e) => e.balance_cents), [331, 662, 1000]);
	const g = await srv.api('GET', `/v1/invoices/${inv.id}`, { token: w.admin });
	assert.equal(g.json.status, 'paid');
});

test('a refund (negative payment on a credit note) books a negative share, half away from zero: −608 of −1216 books −503; the refund completing the credit note gets its remaining net (−502)', async () => {
	const m = await member(w.coopA);
	const inv = await issue(w.coopA, m.id, w.custNL, [line(1005)]);
	await pay(inv.id, 1216);
	const cn = await credit(inv.id);
	assert.deepEqual([cn.totals.net_cents, cn.totals.gross_cents], [-1005, -1216]);
	const r1 = await pay(cn.id, -608);
	const r2 = await pay(cn.id, -608);
	const es = await ledger(m.id);
	assertLedger(es, m.id);
	assert.deepEqual(es.map((e) => e.kind), ['payment_share', 'payment_share', 'payment_share']);
	assert.deepEqual(es.map((e) => e.amount_cents), [1005, -503, -502]);
	assert.deepEqual(es.map((e) => e.balance_cents), [1005, 502, 0]);
	assert.deepEqual(es.slice(1).map((e) => [e.invoice_id, e.payment_id]), [[cn.id, r1.id], [cn.id, r2.id]], 'a refund\'s share names the credit note and the refund');
});

test('the payment completing a partly credited invoice gets (net + net of its credit notes) − the shares booked on it so far', async () => {
	const m = await member(w.coopA);
	const inv = await issue(w.coopA, m.id, w.custNL, [line(1000)]); // gross 1210
	await pay(inv.id, 605); // share 500
	const cn = await credit(inv.id, [line(301)]); // net −301, VAT −63, gross −364
	assert.deepEqual([cn.totals.net_cents, cn.totals.gross_cents], [-301, -364]);
	const g = (await srv.api('GET', `/v1/invoices/${inv.id}`, { token: w.admin })).json;
	assert.equal(g.open_cents, 1210 - 364 - 605);
	await pay(inv.id, g.open_cents);
	const es = await ledger(m.id);
	assertLedger(es, m.id);
	assert.deepEqual(es.map((e) => e.amount_cents), [500, 1000 - 301 - 500]);
	assert.equal(sum(es, (e) => e.amount_cents), inv.totals.net_cents + cn.totals.net_cents, 'the shares of the invoice sum to its net minus what was credited');
	assert.equal((await srv.api('GET', `/v1/invoices/${inv.id}`, { token: w.admin })).json.status, 'paid');
});

test('entries are numbered 1..n per member in booking order, balance_cents is the running sum, and the list pages with limit/after', async () => {
	const m = await member(w.coopA);
	const other = await member(w.coopA);
	const a = await issue(w.coopA, m.id, w.custNL, [line(10000), line(2000, 900)]);
	const b = await issue(w.coopA, m.id, w.custNL, [line(777)]);
	await pay(a.id, 5000, nlDate(-1));
	await pay(b.id, b.totals.gross_cents, nlDate(-5)); // booked later, dated earlier: booking order counts
	await fund(w.coopA, other.id, w.custNL, 1234);
	await pay(a.id, a.totals.gross_cents - 5000);
	const all = await ledger(m.id);
	assert.equal(all.length, 3);
	const final = assertLedger(all, m.id);
	assert.equal(final, 12000 + 777);
	assert.deepEqual(all.map((e) => e.invoice_id), [a.id, b.id, a.id], 'entries in booking order, not date order');
	assert.deepEqual(await ledger(m.id, w.admin, 1), all, 'one entry per page gives the same list');
	const first = await srv.api('GET', `/v1/members/${m.id}/ledger?limit=2`, { token: w.admin });
	assert.equal(first.status, 200, first.text);
	assert.equal(first.json.data.length, 2);
	assert.equal(typeof first.json.next_cursor, 'string');
	const rest = await srv.api('GET', `/v1/members/${m.id}/ledger?limit=2&after=${encodeURIComponent(first.json.next_cursor)}`, { token: w.admin });
	assert.deepEqual(rest.json.data.map((e) => e.entry_no), [3]);
	assert.equal(rest.json.next_cursor, null);
	const theirs = await ledger(other.id);
	assert.deepEqual(theirs.map((e) => e.entry_no), [1], 'numbering is per member');
	assert.equal(assertLedger(theirs, other.id), 1234);
	assertProblem(await srv.api('GET', `/v1/members/${m.id}/ledger?limit=0`, { token: w.admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', `/v1/members/${m.id}/ledger?after=garbage`, { token: w.admin }), 400, 'invalid_parameter');
});

test('ledger scope: the member reads its own ledger; another member\'s is 404; another cooperative\'s staff 404; a municipality 403; auditor, bookkeeper and coop_admin read', async () => {
	await fund(w.coopA, w.memberA, w.custNL, 2500);
	const own = await srv.api('GET', `/v1/members/${w.memberA}/ledger`, { token: w.memberUserA.token });
	assert.equal(own.status, 200, own.text);
	assert.ok(own.json.data.length >= 1);
	assert.ok(own.json.data.every((e) => e.member_id === w.memberA));
	assertProblem(await srv.api('GET', `/v1/members/${w.memberA}/ledger`, { token: w.memberUserA2.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/members/${w.memberA2}/ledger`, { token: w.memberUserA.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/members/${w.memberA}/ledger`, { token: w.bookkeeperB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/members/${w.memberA}/ledger`, { token: w.coopAdminB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/members/${uuid()}/ledger`, { token: w.admin }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/members/${w.memberA}/ledger`, { token: w.municipalityUser.token }), 403, 'forbidden');
	for (const token of [w.auditorA.token, bkA(), w.coopAdminA.token, w.admin]) {
		const r = await srv.api('GET', `/v1/members/${w.memberA}/ledger`, { token });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json.data, own.json.data, 'everyone allowed sees the same entries');
	}
});

test('GET /v1/ledger-entries/{id}: the entry as listed, for the same roles and scope (own member 200, another member 404, another cooperative 404, municipality 403, unknown 404)', async () => {
	await fund(w.coopA, w.memberA, w.custNL, 1500);
	const es = await ledger(w.memberA);
	const e = es[es.length - 1];
	for (const token of [w.admin, w.coopAdminA.token, bkA(), w.auditorA.token, w.memberUserA.token]) {
		const r = await srv.api('GET', `/v1/ledger-entries/${e.id}`, { token });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json, e);
	}
	assertProblem(await srv.api('GET', `/v1/ledger-entries/${e.id}`, { token: w.memberUserA2.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/ledger-entries/${e.id}`, { token: w.bookkeeperB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/ledger-entries/${e.id}`, { token: w.municipalityUser.token }), 403, 'forbidden');
	assertProblem(await srv.api('GET', `/v1/ledger-entries/${uuid()}`, { token: w.admin }), 404, 'not_found');
});

test('the ledger as CSV (Accept: text/csv): a header row and one row per entry, money as integer cents', async () => {
	const m = await member(w.coopA);
	const inv = await issue(w.coopA, m.id, w.custNL, [line(1000)]);
	await pay(inv.id, 400);
	await pay(inv.id, 400);
	await pay(inv.id, 410);
	const es = await ledger(m.id);
	const r = await srv.api('GET', `/v1/members/${m.id}/ledger`, { token: w.admin, headers: { accept: 'text/csv' } });
	assert.equal(r.status, 200, r.text);
	assert.match(r.headers.get('content-type') ?? '', /^text\/csv/);
	const rows = csvRows(r.text);
	const header = rows[0];
	for (const k of ['id', 'entry_no', 'date', 'kind', 'amount_cents', 'balance_cents']) assert.ok(header.includes(k), `CSV header has ${k}: ${header}`);
	assert.equal(rows.length, 1 + es.length, r.text);
	const col = (k) => header.indexOf(k);
	rows.slice(1).forEach((row, i) => {
		assert.equal(row[col('id')], es[i].id);
		assert.equal(row[col('entry_no')], String(es[i].entry_no));
		assert.equal(row[col('kind')], es[i].kind);
		assert.equal(row[col('amount_cents')], String(es[i].amount_cents));
		assert.equal(row[col('balance_cents')], String(es[i].balance_cents));
	});
	const mine = await srv.api('GET', `/v1/members/${w.memberA}/ledger`, { token: w.memberUserA.token, headers: { accept: 'text/csv' } });
	assert.equal(mine.status, 200, 'a member reads its own ledger as CSV');
	assertProblem(await srv.api('GET', `/v1/members/${m.id}/ledger`, { token: w.memberUserA.token, headers: { accept: 'text/csv' } }), 404, 'not_found');
});

test('ledger entries are made by events only: no client may write one (POST/PATCH/DELETE → 405)', async () => {
	const es = await ledger(w.memberA);
	const e = es[0];
	for (const [method, p] of [['POST', `/v1/members/${w.memberA}/ledger`], ['PATCH', `/v1/ledger-entries/${e.id}`], ['DELETE', `/v1/ledger-entries/${e.id}`]]) {
		const r = await srv.api(method, p, { token: w.admin, body: method === 'DELETE' ? undefined : { kind: 'payout', amount_cents: -1 } });
		assertProblem(r, 405, 'method_not_allowed');
		assert.ok(r.headers.get('allow'), `${method} ${p}: Allow header`);
	}
	assert.deepEqual(await ledger(w.memberA), es);
});

test('ledger entries are append-only in the database: UPDATE, DELETE and TRUNCATE of ledger_entries are refused', async () => {
	const es = await ledger(w.memberA);
	const e = es[0];
	// each statement runs inside a transaction that is rolled back, so that a failure of this
	// test cannot destroy the data of the others
	await assert.rejects(env.sql(`BEGIN; UPDATE ledger_entries SET amount_cents = amount_cents + 1 WHERE id = '${e.id}'; ROLLBACK;`), /psql failed/, 'UPDATE is refused');
	await assert.rejects(env.sql(`BEGIN; DELETE FROM ledger_entries WHERE id = '${e.id}'; ROLLBACK;`), /psql failed/, 'DELETE is refused');
	await assert.rejects(env.sql('BEGIN; TRUNCATE ledger_entries CASCADE; ROLLBACK;'), /psql failed/, 'TRUNCATE is refused');
	assert.deepEqual(await ledger(w.memberA), es, 'the entries are as they were');
});

// ---------------------------------------------------------------------------------------------
// Ledger: fees of finalized months and their corrections
test('finalizing a month books −fee_cents of each version-1 row with a fee (kind fee, period, settlement_version 1, dated the month\'s last day); a row without fee books nothing; a correction books only fee differences', async () => {
	// a cooperative of its own: finalizing closes the month for all its members
	const coop = await invCooperative(srv, w.admin);
	const cust = await invCustomer(srv, w.admin, coop.id);
	await invCreate(srv, w.admin, `/v1/cooperatives/${coop.id}/fee-policies`, { valid_from: '2025-01-01', percentage_bp: 500 });
	const up = await member(coop.id); // 20000 → fee 1000; +5000 late → 1250
	const down = await member(coop.id); // 10000 → fee 500; −4000 credited → 300
	const same = await member(coop.id); // 20000 → fee 1000; +1 cent late → still 1000
	const idle = await member(coop.id); // no turnover → no fee
	await issue(coop.id, up.id, cust.id, [line(20000)], { supply_date: inLastMonth(3) });
	const downInv = await issue(coop.id, down.id, cust.id, [line(10000)], { supply_date: inLastMonth(10) });
	await issue(coop.id, same.id, cust.id, [line(20000)], { supply_date: inLastMonth(20) });
	// work of this month does not count in last month
	await issue(coop.id, idle.id, cust.id, [line(30000)], { supply_date: TODAY });

	const base = `/v1/cooperatives/${coop.id}/settlements/${LAST_MONTH}`;
	assert.equal((await srv.api('POST', base, { token: w.admin })).status, 200);
	for (const m of [up, down, same, idle]) assert.deepEqual(await ledger(m.id), [], 'calculating books nothing');
	const fin = await srv.api('POST', `${base}/finalize`, { token: w.admin });
	assert.equal(fin.status, 200, fin.text);
	const rows = Object.fromEntries((await listAll(srv, w.admin, base, 100)).map((x) => [x.member_id, x]));
	assert.deepEqual([up, down, same, idle].map((m) => rows[m.id].fee_cents), [1000, 500, 1000, 0]);

	for (const m of [up, down, same]) {
		const es = await ledger(m.id);
		assertLedger(es, m.id);
		assert.equal(es.length, 1, JSON.stringify(es));
		const e = es[0];
		assert.equal(e.kind, 'fee');
		assert.equal(e.amount_cents, -rows[m.id].fee_cents);
		assert.equal(e.period, LAST_MONTH);
		assert.equal(e.settlement_version, 1);
		assert.equal(e.date, LAST_MONTH_END, 'dated the last day of the settled month');
		assert.equal(e.cooperative_id, coop.id);
		for (const k of ['invoice_id', 'payment_id', 'payout_id', 'reverses_entry_id']) assert.equal(e[k], null, `${k}: ${JSON.stringify(e)}`);
	}
	assert.deepEqual(await ledger(idle.id), [], 'a fee of 0 books nothing');

	// late changes to the finalized month: more turnover, a credit note, one cent more
	await issue(coop.id, up.id, cust.id, [line(5000)], { supply_date: inLastMonth(25) });
	await credit(downInv.id, [line(4000)]);
	await issue(coop.id, same.id, cust.id, [line(1)], { supply_date: inLastMonth(26) });
	const corr = await srv.api('POST', `${base}/corrections`, { token: w.admin, body: { reason: 'Late facturen' } });
	assert.equal(corr.status, 200, corr.text);
	const v2 = Object.fromEntries((await listAll(srv, w.admin, base, 100)).map((x) => [x.member_id, x]));
	assert.deepEqual([up, down, same].map((m) => [v2[m.id].version, v2[m.id].fee_cents]), [[2, 1250], [2, 300], [2, 1000]], 'three rows changed; one kept its fee');

	const upEs = await ledger(up.id);
	assertLedger(upEs, up.id);
	assert.deepEqual(upEs.map((e) => [e.kind, e.amount_cents, e.period, e.settlement_version, e.date]), [
		['fee', -1000, LAST_MONTH, 1, LAST_MONTH_END],
		['fee', -250, LAST_MONTH, 2, LAST_MONTH_END],
	], 'a higher fee books −(fee v2 − fee v1)');
	const downEs = await ledger(down.id);
	assertLedger(downEs, down.id);
	assert.deepEqual(downEs.map((e) => [e.kind, e.amount_cents, e.period, e.settlement_version]), [
		['fee', -500, LAST_MONTH, 1],
		['fee', 200, LAST_MONTH, 2],
	], 'a lower fee books the difference back');
	const sameEs = await ledger(same.id);
	assert.deepEqual(sameEs.map((e) => [e.kind, e.amount_cents, e.settlement_version]), [['fee', -1000, 1]], 'an unchanged fee books nothing');
	assert.deepEqual(await ledger(idle.id), []);
});

// ---------------------------------------------------------------------------------------------
// Payouts
test('POST payouts: 201 with Location and the payout document (debtor, transfers with name, IBAN, end_to_end_id, ledger entry), count and total; each transfer books a payout entry of −amount dated execution_date; audit payout.create', async () => {
	const a = await member(w.coopA, { first_name: 'Fatima', last_name: 'El Amrani' });
	const b = await member(w.coopA, { first_name: 'Jan', last_name: 'de Vries' });
	await fund(w.coopA, a.id, w.custNL, 12345);
	await fund(w.coopA, b.id, w.custNL, 5000);
	const coop = (await srv.api('GET', `/v1/cooperatives/${w.coopA}`, { token: w.admin })).json;
	const exec = nlDate(2);
	const r = await postPayout(w.coopA, {
		execution_date: exec,
		transfers: [
			{ member_id: a.id, amount_cents: 12000, description: 'Uitbetaling november' },
			{ member_id: b.id, amount_cents: 5000 },
		],
	}, bkA());
	assert.equal(r.status, 201, r.text);
	const p = assertPayout(r.json);
	assert.equal(r.headers.get('location'), `/v1/payouts/${p.id}`);
	assert.equal(p.cooperative_id, w.coopA);
	assert.equal(p.status, 'booked');
	assert.equal(p.execution_date, exec);
	assert.equal(p.count, 2);
	assert.equal(p.total_cents, 17000);
	assert.equal(p.created_by, w.bookkeeperA.user.id);
	assert.equal(p.cancelled_at, null);
	assert.equal(p.cancel_reason, null);
	assert.deepEqual(p.debtor, { name: coop.legal_name, iban: coop.iban, bic: coop.bic });
	assert.deepEqual(p.transfers.map((t) => [t.member_id, t.name, t.iban, t.amount_cents, t.description]), [
		[a.id, 'Fatima El Amrani', a.iban, 12000, 'Uitbetaling november'],
		[b.id, 'Jan de Vries', b.iban, 5000, `Uitbetaling ${exec}`],
	]);
	for (const [m, t, before] of [[a, p.transfers[0], 12345], [b, p.transfers[1], 5000]]) {
		const es = await ledger(m.id);
		assertLedger(es, m.id);
		const e = es[es.length - 1];
		assert.equal(e.id, t.ledger_entry_id);
		assert.equal(e.kind, 'payout');
		assert.equal(e.amount_cents, -t.amount_cents);
		assert.equal(e.balance_cents, before - t.amount_cents);
		assert.equal(e.date, exec, 'dated the execution date');
		assert.equal(e.payout_id, p.id);
		for (const k of ['invoice_id', 'payment_id', 'period', 'settlement_version', 'reverses_entry_id']) assert.equal(e[k], null, k);
	}
	assert.equal(await balanceOf(b.id), 0, 'the whole balance may be paid out');
	const g = await srv.api('GET', `/v1/payouts/${p.id}`, { token: w.auditorA.token });
	assert.equal(g.status, 200, g.text);
	assert.deepEqual(g.json, p);
	await assertAudited(srv, w.admin, { chain: w.coopA, objectId: p.id, action: 'payout.create', actorRole: 'bookkeeper', otherChain: w.coopB });
});

test('execution_date defaults to today and a transfer\'s description to "Uitbetaling <execution_date>"; message ids are unique per payout', async () => {
	const m = await member(w.coopA);
	await fund(w.coopA, m.id, w.custNL, 3000);
	const p1 = await payout(w.coopA, [{ member_id: m.id, amount_cents: 1000 }]);
	const p2 = await payout(w.coopA, [{ member_id: m.id, amount_cents: 1000 }], { execution_date: TODAY });
	assert.equal(p1.execution_date, TODAY);
	assert.equal(p1.transfers[0].description, `Uitbetaling ${TODAY}`);
	assert.notEqual(p1.message_id, p2.message_id);
	const all = await payoutsOf(w.coopA);
	assert.equal(new Set(all.map((p) => p.message_id)).size, all.length, 'every payout has its own message id');
	assert.equal(new Set(all.flatMap((p) => p.transfers.map((t) => t.end_to_end_id))).size, sum(all, (p) => p.count), 'end_to_end_ids are unique across payouts');
	assert.equal(await balanceOf(m.id), 1000);
});

test('a payout keeps the member\'s name and IBAN and the cooperative\'s name, IBAN and BIC of the moment it was made', async () => {
	const coop = await invCooperative(srv, w.admin, { legal_name: 'Werkplaats Noord U.A.' });
	const cust = await invCustomer(srv, w.admin, coop.id);
	const m = await member(coop.id, { first_name: 'Noor', last_name: 'Jansen', iban: 'NL44RABO0123456789' });
	await fund(coop.id, m.id, cust.id, 4000);
	const p = await payout(coop.id, [{ member_id: m.id, amount_cents: 4000 }]);
	assert.deepEqual(p.debtor, { name: 'Werkplaats Noord U.A.', iban: INV_IDS.iban, bic: INV_IDS.bic });
	const pm = await srv.api('PATCH', `/v1/members/${m.id}`, { token: w.admin, body: { last_name: 'Visser', iban: 'NL98INGB1234567890' } });
	assert.equal(pm.status, 200, pm.text);
	const pc = await srv.api('PATCH', `/v1/cooperatives/${coop.id}`, { token: w.admin, body: { legal_name: 'Werkplaats Noord Nieuw U.A.', iban: INV_IDS.iban2 } });
	assert.equal(pc.status, 200, pc.text);
	const g = (await srv.api('GET', `/v1/payouts/${p.id}`, { token: w.admin })).json;
	assert.deepEqual(g, p, 'nothing of the payout changed');
	assert.equal(g.transfers[0].name, 'Noor Jansen');
	assert.equal(g.transfers[0].iban, 'NL44RABO0123456789');
});

test('payouts are read by the cooperative\'s office and auditor (list newest last, GET one); a member or municipality gets 403, another cooperative 404', async () => {
	const m = await member(w.coopA);
	await fund(w.coopA, m.id, w.custNL, 2000);
	const p1 = await payout(w.coopA, [{ member_id: m.id, amount_cents: 500 }]);
	const p2 = await payout(w.coopA, [{ member_id: m.id, amount_cents: 700 }]);
	for (const token of [w.admin, w.coopAdminA.token, bkA(), w.auditorA.token]) {
		const all = await listAll(srv, token, payoutsPath(w.coopA), 2);
		const ids = all.map((p) => p.id);
		assert.ok(ids.indexOf(p1.id) >= 0 && ids.indexOf(p1.id) < ids.indexOf(p2.id), 'newest last');
		assert.equal(ids[ids.length - 1], p2.id);
		assert.deepEqual(all.find((p) => p.id === p2.id), p2);
		assert.equal((await srv.api('GET', `/v1/payouts/${p1.id}`, { token })).status, 200);
	}
	for (const token of [w.memberUserA.token, w.municipalityUser.token]) {
		assertProblem(await srv.api('GET', payoutsPath(w.coopA), { token }), 403, 'forbidden');
		assertProblem(await srv.api('GET', `/v1/payouts/${p1.id}`, { token }), 403, 'forbidden');
	}
	assertProblem(await srv.api('GET', payoutsPath(w.coopA), { token: w.bookkeeperB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/payouts/${p1.id}`, { token: w.bookkeeperB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/payouts/${p1.id}/sepa`, { token: w.coopAdminB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/payouts/${uuid()}`, { token: w.admin }), 404, 'not_found');
});

test('insufficient_balance: a transfer above the member\'s balance → 422 naming the transfer; nothing is written, also when only the second of two transfers fails', async () => {
	const a = await member(w.coopA);
	const b = await member(w.coopA);
	await fund(w.coopA, a.id, w.custNL, 5000);
	await fund(w.coopA, b.id, w.custNL, 3000);
	const before = await snapshot(w.coopA, [a.id, b.id]);
	const one = await postPayout(w.coopA, { transfers: [{ member_id: a.id, amount_cents: 5001 }] });
	assertProblem(one, 422, 'insufficient_balance');
	assert.match(one.json.detail, /transfers\[0\]/, one.text);
	const second = await postPayout(w.coopA, { transfers: [{ member_id: a.id, amount_cents: 5000 }, { member_id: b.id, amount_cents: 3001 }] });
	assertProblem(second, 422, 'insufficient_balance');
	assert.match(second.json.detail, /transfers\[1\]/, second.text);
	assert.deepEqual(await snapshot(w.coopA, [a.id, b.id]), before, 'all or nothing: no payout, no ledger entry');
	// a member without any entry has a balance of 0
	const empty = await member(w.coopA);
	assertProblem(await postPayout(w.coopA, { transfers: [{ member_id: empty.id, amount_cents: 1 }] }), 422, 'insufficient_balance');
	const ok = await payout(w.coopA, [{ member_id: a.id, amount_cents: 5000 }, { member_id: b.id, amount_cents: 3000 }]);
	assert.equal(ok.total_cents, 8000, 'exactly the balances may be paid');
});

test('member_without_iban: a transfer to a member without IBAN → 422; nothing is written', async () => {
	const rich = await member(w.coopA);
	const noIban = await member(w.coopA, { iban: null });
	await fund(w.coopA, rich.id, w.custNL, 2000);
	await fund(w.coopA, noIban.id, w.custNL, 2000);
	const before = await snapshot(w.coopA, [rich.id, noIban.id]);
	assertProblem(await postPayout(w.coopA, { transfers: [{ member_id: noIban.id, amount_cents: 100 }] }), 422, 'member_without_iban');
	assertProblem(await postPayout(w.coopA, { transfers: [{ member_id: rich.id, amount_cents: 100 }, { member_id: noIban.id, amount_cents: 100 }] }), 422, 'member_without_iban');
	assert.deepEqual(await snapshot(w.coopA, [rich.id, noIban.id]), before);
});

test('duplicate_member: one member twice in a batch → 422; nothing is written', async () => {
	const m = await member(w.coopA);
	await fund(w.coopA, m.id, w.custNL, 2000);
	const before = await snapshot(w.coopA, [m.id]);
	assertProblem(await postPayout(w.coopA, { transfers: [{ member_id: m.id, amount_cents: 100 }, { member_id: m.id, amount_cents: 200 }] }), 422, 'duplicate_member');
	assert.deepEqual(await snapshot(w.coopA, [m.id]), before);
});

test('invalid_reference on transfers[i].member_id: a member of another cooperative or an unknown id → 422; nothing is written', async () => {
	const m = await member(w.coopA);
	await fund(w.coopA, m.id, w.custNL, 2000);
	const before = await snapshot(w.coopA, [m.id]);
	assertProblem(await postPayout(w.coopA, { transfers: [{ member_id: w.memberB, amount_cents: 100 }] }), 422, 'invalid_reference', { field: 'transfers[0].member_id' });
	assertProblem(await postPayout(w.coopA, { transfers: [{ member_id: m.id, amount_cents: 100 }, { member_id: uuid(), amount_cents: 100 }] }), 422, 'invalid_reference', { field: 'transfers[1].member_id' });
	assert.deepEqual(await snapshot(w.coopA, [m.id]), before);
	// nor does cooperative B's member ledger show anything
	assert.deepEqual(await ledger(w.memberB), []);
});

test('validation: execution_date in the past or more than 365 days ahead, amounts 0/negative/real/too large, a description outside the SEPA set, no transfers, unknown fields → 422 validation_failed naming the field', async () => {
	const m = await member(w.coopA);
	const m2 = await member(w.coopA);
	await fund(w.coopA, m.id, w.custNL, 2000);
	await fund(w.coopA, m2.id, w.custNL, 2000);
	const ok = { member_id: m.id, amount_cents: 100 };
	const before = await snapshot(w.coopA, [m.id, m2.id]);
	const cases = [
		[{ execution_date: nlDate(-1), transfers: [ok] }, 'execution_date'],
		[{ execution_date: nlDate(366), transfers: [ok] }, 'execution_date'],
		[{ execution_date: '2026-02-30', transfers: [ok] }, 'execution_date'],
		[{ execution_date: 20261231, transfers: [ok] }, 'execution_date'],
		[{}, 'transfers'],
		[{ transfers: [] }, 'transfers'],
		[{ transfers: Array.from({ length: 1001 }, () => ({ member_id: uuid(), amount_cents: 1 })) }, 'transfers'],
		[{ transfers: [{ ...ok, amount_cents: 0 }] }, 'transfers[0].amount_cents'],
		[{ transfers: [{ ...ok, amount_cents: -100 }] }, 'transfers[0].amount_cents'],
		[{ transfers: [{ ...ok, amount_cents: 12.5 }] }, 'transfers[0].amount_cents'],
		[{ transfers: [{ ...ok, amount_cents: '100' }] }, 'transfers[0].amount_cents'],
		[{ transfers: [{ ...ok, amount_cents: 100000000000 }] }, 'transfers[0].amount_cents'],
		[{ transfers: [{ amount_cents: 100 }] }, 'transfers[0].member_id'],
		[{ transfers: [{ ...ok, description: 'Uitbetaling #12 & co' }] }, 'transfers[0].description'],
		[{ transfers: [{ ...ok, description: 'Voor Zoë' }] }, 'transfers[0].description'],
		[{ transfers: [{ ...ok, description: 'Uitbetaling €10' }] }, 'transfers[0].description'],
		[{ transfers: [{ ...ok, description: '' }] }, 'transfers[0].description'],
		[{ transfers: [{ ...ok, description: 'x'.repeat(141) }] }, 'transfers[0].description'],
		[{ transfers: [ok, { member_id: m2.id, amount_cents: 50, description: 'under_score' }] }, 'transfers[1].description'],
		[{ transfers: [ok], status: 'cancelled' }, 'status'],
	];
	// every case is tried; the ones answered otherwise are reported together
	const wrong = [];
	const check = (label, r, field) => {
		try {
			assertProblem(r, 422, 'validation_failed', { field });
		} catch {
			wrong.push(`${label} → ${r.status} ${r.json?.code ?? ''} ${JSON.stringify(r.json?.errors ?? r.json?.id ?? '')}`);
		}
	};
	for (const [body, field] of cases) check(`${field} in ${JSON.stringify(body).slice(0, 120)}`, await postPayout(w.coopA, body), field);
	const raw = await srv.api('POST', payoutsPath(w.coopA), { token: w.admin, rawBody: `{"transfers":[{"member_id":"${m.id}","amount_cents":1e2}]}` });
	check('amount_cents 1e2', raw, 'transfers[0].amount_cents');
	assert.deepEqual(wrong, [], 'each invalid body → 422 validation_failed naming the field');
	// the SEPA set itself is accepted: letters, digits and / - ? : ( ) . , ' + space, 140 characters
	const fine = await payout(w.coopA, [{ ...ok, description: "Uitbetaling (deel 1/2) - nov.: 't Hof + ? ".padEnd(140, 'x') }], { execution_date: nlDate(365) });
	assert.equal(fine.transfers[0].description.length, 140);
	assert.equal(fine.execution_date, nlDate(365), 'at most 365 days ahead is accepted');
	const after = await snapshot(w.coopA, [m.id, m2.id]);
	assert.equal(after.payouts.length, before.payouts.length + 1, 'only the valid payout was written');
	assert.deepEqual(after.ledgers[1], before.ledgers[1]);
	assert.equal(after.ledgers[0].length, before.ledgers[0].length + 1);
});

test('an Idempotency-Key replays the same payout (Idempotent-Replayed) and books one set of entries; the key with another body → 422 idempotency_key_reused', async () => {
	const m = await member(w.coopA);
	await fund(w.coopA, m.id, w.custNL, 3000);
	const body = { transfers: [{ member_id: m.id, amount_cents: 1200 }] };
	const p = await assertIdempotentCreate(srv, bkA(), payoutsPath(w.coopA), body, async () => (await payoutsOf(w.coopA)).length);
	const es = await ledger(m.id);
	assert.deepEqual(es.filter((e) => e.kind === 'payout').map((e) => [e.payout_id, e.amount_cents]), [[p.id, -1200]], 'one payout entry');
	assert.equal(es[es.length - 1].balance_cents, 1800);
	// the same key and body once more: still the same payout
	const key = `idem-${hex(6)}`;
	const first = await postPayout(w.coopA, body, bkA(), { 'idempotency-key': key });
	assert.equal(first.status, 201, first.text);
	const other = await postPayout(w.coopA, { transfers: [{ member_id: m.id, amount_cents: 1 }] }, bkA(), { 'idempotency-key': key });
	assertProblem(other, 422, 'idempotency_key_reused');
	assert.equal(await balanceOf(m.id), 600);
});

test('roles: a member, an auditor and a municipality may not create payouts (403); another cooperative\'s bookkeeper gets 404; coop_admin and platform_admin may', async () => {
	const m = await member(w.coopA);
	await fund(w.coopA, m.id, w.custNL, 3000);
	const body = { transfers: [{ member_id: m.id, amount_cents: 100 }] };
	const before = await snapshot(w.coopA, [m.id]);
	for (const token of [w.memberUserA.token, w.auditorA.token, w.municipalityUser.token]) assertProblem(await postPayout(w.coopA, body, token), 403, 'forbidden');
	assertProblem(await postPayout(w.coopA, body, w.bookkeeperB.token), 404, 'not_found');
	assert.deepEqual(await snapshot(w.coopA, [m.id]), before);
	await payout(w.coopA, body.transfers, {}, w.coopAdminA.token);
	await payout(w.coopA, body.transfers, {}, w.admin);
	assert.equal(await balanceOf(m.id), 2800);
	// cooperative B's bookkeeper cannot pay A's member out of B either
	assertProblem(await postPayout(w.coopB, body, w.bookkeeperB.token), 422, 'invalid_reference', { field: 'transfers[0].member_id' });
});

// ---------------------------------------------------------------------------------------------
// Concurrency: a balance is never paid out twice
test('two payouts racing for a member\'s whole balance: exactly one 201 and one 422 insufficient_balance, in each of five rounds; the balance never goes negative', async () => {
	for (let round = 0; round < 5; round++) {
		const m = await member(w.coopA);
		const B = 4000 + 111 * round;
		await fund(w.coopA, m.id, w.custNL, B);
		const body = { transfers: [{ member_id: m.id, amount_cents: B }] };
		const rs = await Promise.all([postPayout(w.coopA, body, bkA()), postPayout(w.coopA, body, w.coopAdminA.token)]);
		const statuses = rs.map((r) => r.status).sort();
		assert.deepEqual(statuses, [201, 422], `round ${round}: ${rs.map((r) => `${r.status} ${r.text}`).join(' | ')}`);
		assertProblem(rs.find((r) => r.status === 422), 422, 'insufficient_balance');
		const es = await ledger(m.id);
		assert.equal(assertLedger(es, m.id), 0, `round ${round}: the balance is 0`);
		assert.deepEqual(es.map((e) => e.kind), ['payment_share', 'payout']);
		assert.ok(es.every((e) => e.balance_cents >= 0), `never negative: ${JSON.stringify(es)}`);
	}
});

test('twenty concurrent payouts of 700 against a balance of 10000: exactly 14 succeed and 6 get 422 insufficient_balance; the sum paid never exceeds the balance and the ledger stays consistent', async () => {
	const m = await member(w.coopA);
	const B = 10000;
	await fund(w.coopA, m.id, w.custNL, B);
	const tokens = [bkA(), w.coopAdminA.token, w.admin];
	const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => postPayout(w.coopA, { transfers: [{ member_id: m.id, amount_cents: 700 }] }, tokens[i % 3])));
	for (const r of rs) {
		if (r.status !== 201) assertProblem(r, 422, 'insufficient_balance');
	}
	const ok = rs.filter((r) => r.status === 201);
	assert.ok(sum(ok, (r) => r.json.total_cents) <= B, 'never more than the balance');
	assert.equal(ok.length, Math.floor(B / 700), `every payout that fitted succeeded: ${rs.map((r) => r.status).join(',')}`);
	const es = await ledger(m.id);
	const final = assertLedger(es, m.id);
	assert.equal(final, B - 700 * ok.length);
	assert.ok(es.every((e) => e.balance_cents >= 0), 'the balance is never negative');
	assert.deepEqual(new Set(es.filter((e) => e.kind === 'payout').map((e) => e.payout_id)), new Set(ok.map((r) => r.json.id)), 'one entry per successful payout');
});

test('two payouts naming the same two members in opposite order at the same time both succeed (no deadlock reaches the client)', async () => {
	for (let round = 0; round < 3; round++) {
		const a = await member(w.coopA);
		const b = await member(w.coopA);
		await fund(w.coopA, a.id, w.custNL, 2000);
		await fund(w.coopA, b.id, w.custNL, 2000);
		const rs = await Promise.all([
			postPayout(w.coopA, { transfers: [{ member_id: a.id, amount_cents: 1000 }, { member_id: b.id, amount_cents: 1000 }] }, bkA()),
			postPayout(w.coopA, { transfers: [{ member_id: b.id, amount_cents: 1000 }, { member_id: a.id, amount_cents: 1000 }] }, w.coopAdminA.token),
		]);
		assert.deepEqual(rs.map((r) => r.status), [201, 201], rs.map((r) => r.text).join(' | '));
		for (const m of [a, b]) {
			const es = await ledger(m.id);
			assert.equal(assertLedger(es, m.id), 0);
		}
	}
});

// ---------------------------------------------------------------------------------------------
// SEPA credit transfer files
let sepaWorld;
/** A cooperative named with a diaeresis, three members (one "Zoë Şahin") and a payout of three transfers. */
function sepaPayout() {
	sepaWorld ??= (async () => {
		const coop = await invCooperative(srv, w.admin, { legal_name: 'Coöperatie De Werkplaats U.A.' });
		const cust = await invCustomer(srv, w.admin, coop.id);
		const zoe = await member(coop.id, { first_name: 'Zoë', last_name: 'Şahin', iban: 'NL20INGB0001234567' });
		const fatima = await member(coop.id, { first_name: 'Fatima', last_name: 'El Amrani', iban: 'NL36RABO0417164300' });
		const jan = await member(coop.id, { first_name: 'Jan-Willem', last_name: "O'Neill", iban: 'NL31ABNA1234567890' });
		for (const m of [zoe, fatima, jan]) await fund(coop.id, m.id, cust.id, 50000);
		const exec = nlDate(1);
		const p = await payout(coop.id, [
			{ member_id: zoe.id, amount_cents: 12345 },
			{ member_id: fatima.id, amount_cents: 40001, description: 'Uitbetaling november (deel 1/2)' },
			{ member_id: jan.id, amount_cents: 99, description: "Voorschot 't Hof" },
		], { execution_date: exec });
		const r = await fetchSepa(p.id);
		return { coop, zoe, fatima, jan, exec, p, r, xml: r.text };
	})();
	return sepaWorld;
}

test('GET /v1/payouts/{id}/sepa: 200 application/xml; charset=utf-8, Content-Disposition attachment with filename "<message_id>.xml", a pain.001.001.03 document valid against the XSD', async (t) => {
	const { p, r, xml } = await sepaPayout();
	assert.equal(r.status, 200, r.text);
	assert.match(r.headers.get('content-type') ?? '', /^application\/xml;\s*charset=utf-8$/i);
	assert.equal(r.headers.get('content-disposition'), `attachment; filename="${p.message_id}.xml"`);
	assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>/i);
	assert.match(xml, /urn:iso:std:iso:20022:tech:xsd:pain\.001\.001\.03/);
	await assertSchemaValid(t, xml);
	// another cooperative's auditor has no access; the payout's own auditor has
	assertProblem(await fetchSepa(p.id, w.auditorA.token), 404, 'not_found');
	const auditor = await userWithToken(srv, w.admin, { role: 'auditor', cooperative_id: p.cooperative_id });
	const again = await fetchSepa(p.id, auditor.token);
	assert.equal(again.status, 200);
	assert.equal(again.text, xml, 'the same file every time');
	const memberUser = await userWithToken(srv, w.admin, { role: 'member', cooperative_id: p.cooperative_id, member_id: p.transfers[0].member_id });
	assertProblem(await fetchSepa(p.id, memberUser.token), 403, 'forbidden');
});

test('SEPA: NbOfTxs is the number of transfers in GrpHdr and PmtInf; CtrlSum is the sum of InstdAmt (integer cents) and equals total_cents/100; every currency is EUR', async () => {
	const { p, xml } = await sepaPayout();
	const grp = blocks(xml, 'GrpHdr');
	assert.equal(grp.length, 1);
	const pmt = blocks(xml, 'PmtInf');
	assert.equal(pmt.length, 1, 'one payment information block');
	assert.equal(one(grp[0], 'MsgId'), p.message_id);
	assert.equal(one(grp[0], 'NbOfTxs'), String(p.count));
	assert.equal(one(pmt[0], 'NbOfTxs'), String(p.count));
	const txs = blocks(xml, 'CdtTrfTxInf');
	assert.equal(txs.length, p.count);
	const amounts = txs.map((tx) => cents(one(tx, 'InstdAmt')));
	assert.equal(cents(one(grp[0], 'CtrlSum')), sum(amounts));
	assert.equal(cents(one(pmt[0], 'CtrlSum')), sum(amounts));
	assert.equal(sum(amounts), p.total_cents);
	const ccys = [...xml.matchAll(/\sCcy="([^"]*)"/g)].map((m) => m[1]);
	assert.ok(ccys.length >= p.count, 'every amount names its currency');
	assert.ok(ccys.every((c) => c === 'EUR'), `only EUR: ${ccys}`);
	const ccyElements = texts(xml, 'Ccy');
	assert.ok(ccyElements.every((c) => c === 'EUR'), `<Ccy> elements are EUR: ${ccyElements}`);
});

test('SEPA: payment method TRF, service level SEPA, charges SLEV, requested execution date = execution_date', async () => {
	const { p, xml } = await sepaPayout();
	const pmt = blocks(xml, 'PmtInf')[0];
	assert.equal(one(pmt, 'PmtMtd'), 'TRF');
	const svc = blocks(xml, 'SvcLvl');
	assert.ok(svc.length >= 1, 'a service level');
	for (const s of svc) assert.equal(one(s, 'Cd'), 'SEPA');
	const chrg = texts(xml, 'ChrgBr');
	assert.ok(chrg.length >= 1, 'a charge bearer');
	assert.ok(chrg.every((c) => c === 'SLEV'), `ChrgBr SLEV: ${chrg}`);
	assert.equal(one(pmt, 'ReqdExctnDt'), p.execution_date);
	assert.match(one(blocks(xml, 'GrpHdr')[0], 'CreDtTm'), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
});

test('SEPA: the debtor is the cooperative (name transliterated, its IBAN and BIC); each transfer has the payout\'s EndToEndId, the member\'s IBAN, its amount, a transliterated creditor name and an Ustrd of at most 140 SEPA characters', async () => {
	const { p, xml, zoe, fatima, jan } = await sepaPayout();
	const pmt = blocks(xml, 'PmtInf')[0];
	assert.equal(one(blocks(pmt, 'Dbtr')[0], 'Nm'), 'Cooperatie De Werkplaats U.A.');
	assert.equal(one(blocks(pmt, 'DbtrAcct')[0], 'IBAN'), INV_IDS.iban);
	assert.equal(p.debtor.iban, INV_IDS.iban);
	assert.equal(one(blocks(pmt, 'DbtrAgt')[0], 'BIC'), INV_IDS.bic);
	const txs = blocks(xml, 'CdtTrfTxInf').map((tx) => ({
		e2e: one(tx, 'EndToEndId'),
		amount: cents(one(tx, 'InstdAmt')),
		name: one(blocks(tx, 'Cdtr')[0], 'Nm'),
		iban: one(blocks(tx, 'CdtrAcct')[0], 'IBAN'),
		ustrd: texts(tx, 'Ustrd'),
	}));
	const e2es = txs.map((x) => x.e2e);
	assert.equal(new Set(e2es).size, e2es.length, 'EndToEndIds are unique');
	assert.deepEqual([...e2es].sort(), p.transfers.map((t) => t.end_to_end_id).sort(), 'and are the payout\'s');
	const byE2e = Object.fromEntries(txs.map((x) => [x.e2e, x]));
	const expected = [[zoe, 'Zoe Sahin'], [fatima, 'Fatima El Amrani'], [jan, "Jan-Willem O'Neill"]];
	p.transfers.forEach((t, i) => {
		const x = byE2e[t.end_to_end_id];
		assert.equal(x.amount, t.amount_cents);
		assert.equal(x.iban, expected[i][0].iban);
		assert.equal(x.name, expected[i][1], `creditor name transliterated: ${x.name}`);
		assert.deepEqual(x.ustrd, [t.description]);
	});
	assert.equal(p.transfers[0].name, 'Zoë Şahin', 'the JSON keeps the name as it is');
	for (const s of texts(xml, 'Nm')) assert.match(s, SEPA_TEXT, `Nm in the SEPA character set: ${s}`);
	for (const s of texts(xml, 'Ustrd')) {
		assert.ok(s.length <= 140, `Ustrd of at most 140 characters: ${s}`);
		assert.match(s, SEPA_TEXT, `Ustrd in the SEPA character set: ${s}`);
	}
});

test('SEPA: a cooperative without BIC still gives a valid file (debtor.bic null); a cancelled payout\'s file → 409 payout_cancelled', async (t) => {
	const coop = await invCooperative(srv, w.admin, { bic: null });
	assert.equal(coop.bic, null);
	const cust = await invCustomer(srv, w.admin, coop.id);
	const m = await member(coop.id);
	await fund(coop.id, m.id, cust.id, 2500);
	const p = await payout(coop.id, [{ member_id: m.id, amount_cents: 1000 }]);
	assert.equal(p.debtor.bic, null);
	const r = await fetchSepa(p.id);
	assert.equal(r.status, 200, r.text);
	await assertSchemaValid(t, r.text);
	assert.equal(one(blocks(r.text, 'GrpHdr')[0], 'NbOfTxs'), '1');
	assert.equal(cents(one(blocks(r.text, 'CdtTrfTxInf')[0], 'InstdAmt')), 1000);
	const c = await cancel(p.id);
	assert.equal(c.status, 200, c.text);
	assertProblem(await fetchSepa(p.id), 409, 'payout_cancelled');
});

test('SEPA: every payout file fetched in this file validates against the schema, also one of many transfers with amounts of every size', async (t) => {
	const coop = await invCooperative(srv, w.admin);
	const cust = await invCustomer(srv, w.admin, coop.id);
	const ms = [];
	for (let i = 0; i < 12; i++) ms.push(await member(coop.id, { first_name: ['Özlem', 'Ángel', 'Łukasz', 'Søren', 'Émile', 'Ines'][i % 6], last_name: `Ñúñez-Ørsted ${i}` }));
	for (const m of ms) await fund(coop.id, m.id, cust.id, 1000000);
	const amounts = [1, 9, 10, 99, 100, 101, 999, 1000, 12345, 100000, 999999, 1000000];
	const p = await payout(coop.id, ms.map((m, i) => ({ member_id: m.id, amount_cents: amounts[i] })));
	const r = await fetchSepa(p.id);
	assert.equal(r.status, 200, r.text);
	await assertSchemaValid(t, r.text);
	const txs = blocks(r.text, 'CdtTrfTxInf');
	assert.deepEqual(txs.map((tx) => cents(one(tx, 'InstdAmt'))).sort((a, b) => a - b), [...amounts].sort((a, b) => a - b));
	assert.equal(cents(one(blocks(r.text, 'GrpHdr')[0], 'CtrlSum')), sum(amounts));
	for (const tx of txs) assert.match(one(blocks(tx, 'Cdtr')[0], 'Nm'), SEPA_TEXT);
});

// ---------------------------------------------------------------------------------------------
// Cancelling a payout
test('cancel: 200 with status cancelled, cancelled_at and cancel_reason; a reversal entry of +amount per payout entry (reverses_entry_id, payout_id, dated today) restores the balance; audit payout.cancel', async () => {
	const a = await member(w.coopA);
	const b = await member(w.coopA);
	await fund(w.coopA, a.id, w.custNL, 6000);
	await fund(w.coopA, b.id, w.custNL, 4000);
	const p = await payout(w.coopA, [{ member_id: a.id, amount_cents: 6000 }, { member_id: b.id, amount_cents: 1500 }], { execution_date: nlDate(3) });
	assert.equal(await balanceOf(a.id), 0);
	const r = await cancel(p.id, 'IBAN klopte niet', bkA());
	assert.equal(r.status, 200, r.text);
	const c = assertPayout(r.json);
	assert.equal(c.status, 'cancelled');
	assert.match(c.cancelled_at, RFC3339_UTC);
	assert.equal(c.cancel_reason, 'IBAN klopte niet');
	assert.deepEqual({ ...c, status: p.status, cancelled_at: null, cancel_reason: null }, p, 'nothing else changed');
	assert.deepEqual((await srv.api('GET', `/v1/payouts/${p.id}`, { token: w.admin })).json, c);
	for (const [m, t, balance] of [[a, p.transfers[0], 6000], [b, p.transfers[1], 4000]]) {
		const es = await ledger(m.id);
		assert.equal(assertLedger(es, m.id), balance, 'the balance is restored');
		const rev = es[es.length - 1];
		assert.equal(rev.kind, 'reversal');
		assert.equal(rev.amount_cents, t.amount_cents);
		assert.equal(rev.reverses_entry_id, t.ledger_entry_id);
		assert.equal(rev.payout_id, p.id);
		assert.equal(rev.date, TODAY, 'a reversal is dated the day of cancelling');
		const orig = es.find((e) => e.id === t.ledger_entry_id);
		assert.equal(orig.kind, 'payout');
		assert.equal(orig.amount_cents, -t.amount_cents, 'the payout entry itself is kept');
		assert.ok(orig.entry_no < rev.entry_no);
	}
	// the restored balance can be paid out again
	await payout(w.coopA, [{ member_id: a.id, amount_cents: 6000 }]);
	await assertAudited(srv, w.admin, { chain: w.coopA, objectId: p.id, action: 'payout.cancel', actorRole: 'bookkeeper', otherChain: w.coopB });
});

test('cancelling a cancelled payout → 409 payout_cancelled and books nothing; the reason is required (1..500); member and auditor 403; another cooperative 404', async () => {
	const m = await member(w.coopA);
	await fund(w.coopA, m.id, w.custNL, 3000);
	const p = await payout(w.coopA, [{ member_id: m.id, amount_cents: 3000 }]);
	assertProblem(await srv.api('POST', `/v1/payouts/${p.id}/cancel`, { token: w.admin, body: {} }), 422, 'validation_failed', { field: 'reason' });
	assertProblem(await cancel(p.id, ''), 422, 'validation_failed', { field: 'reason' });
	assertProblem(await cancel(p.id, 'x'.repeat(501)), 422, 'validation_failed', { field: 'reason' });
	for (const token of [w.memberUserA.token, w.auditorA.token, w.municipalityUser.token]) assertProblem(await cancel(p.id, 'Nee', token), 403, 'forbidden');
	assertProblem(await cancel(p.id, 'Nee', w.bookkeeperB.token), 404, 'not_found');
	assertProblem(await cancel(uuid(), 'Onbekend'), 404, 'not_found');
	assert.equal((await srv.api('GET', `/v1/payouts/${p.id}`, { token: w.admin })).json.status, 'booked', 'the refused calls changed nothing');
	const first = await cancel(p.id, 'Dubbel', w.coopAdminA.token);
	assert.equal(first.status, 200, first.text);
	const es = await ledger(m.id);
	assertProblem(await cancel(p.id, 'Nog eens'), 409, 'payout_cancelled');
	assert.deepEqual(await ledger(m.id), es, 'nothing booked twice');
	assert.equal(es[es.length - 1].balance_cents, 3000);
	assert.equal((await srv.api('GET', `/v1/payouts/${p.id}`, { token: w.admin })).json.cancel_reason, 'Dubbel');
});

test('two cancels of one payout at the same time: exactly one 200 and one 409 payout_cancelled; the reversals are booked once', async () => {
	for (let round = 0; round < 3; round++) {
		const m = await member(w.coopA);
		await fund(w.coopA, m.id, w.custNL, 2000);
		const p = await payout(w.coopA, [{ member_id: m.id, amount_cents: 1500 }]);
		const rs = await Promise.all([cancel(p.id, 'Eerste', bkA()), cancel(p.id, 'Tweede', w.coopAdminA.token)]);
		assert.deepEqual(rs.map((r) => r.status).sort(), [200, 409], rs.map((r) => r.text).join(' | '));
		assertProblem(rs.find((r) => r.status === 409), 409, 'payout_cancelled');
		const es = await ledger(m.id);
		assert.equal(assertLedger(es, m.id), 2000);
		assert.deepEqual(es.map((e) => e.kind), ['payment_share', 'payout', 'reversal']);
	}
});

// ---------------------------------------------------------------------------------------------
// Collective costs
const costsPath = (coopId) => `/v1/cooperatives/${coopId}/collective-costs`;
const postCost = (coopId, body, token = w.admin, headers = {}) => srv.api('POST', costsPath(coopId), { token, body, headers });

test('collective costs: POST → 201 with Location and the document; GET one; the list in creation order and as CSV; a negative amount is a correction; audit collective_cost.create', async () => {
	const coop = await invCooperative(srv, w.admin);
	const bk = await userWithToken(srv, w.admin, { role: 'bookkeeper', cooperative_id: coop.id });
	const body = { date: nlDate(-10), category: 'training', description: 'Cursus boekhouden voor leden', amount_cents: 45000 };
	const r = await postCost(coop.id, body, bk.token);
	assert.equal(r.status, 201, r.text);
	assertKeys(r.json, COST_KEYS, 'collective cost');
	assert.match(r.json.id, UUID_RE);
	assert.match(r.json.created_at, RFC3339_UTC);
	assert.equal(r.json.cooperative_id, coop.id);
	assert.equal(r.json.created_by, bk.user.id);
	for (const [k, v] of Object.entries(body)) assert.equal(r.json[k], v, k);
	assert.equal(r.headers.get('location'), `/v1/collective-costs/${r.json.id}`);
	const g = await srv.api('GET', `/v1/collective-costs/${r.json.id}`, { token: w.admin });
	assert.equal(g.status, 200, g.text);
	assert.deepEqual(g.json, r.json);
	const more = [];
	for (const [category, amount] of [['rent', 120000], ['insurance', 8900], ['rent', -20000]]) {
		more.push(await invCreate(srv, w.admin, costsPath(coop.id), { date: nlDate(-5), category, description: `Kosten ${category}`, amount_cents: amount }));
	}
	assert.equal(more[2].amount_cents, -20000, 'a correction or refund is a negative cost');
	const all = await listAll(srv, w.admin, costsPath(coop.id), 2);
	assert.deepEqual(all.map((x) => x.id), [r.json.id, ...more.map((x) => x.id)]);
	assert.deepEqual(all[0], r.json);
	const csv = await srv.api('GET', costsPath(coop.id), { token: w.admin, headers: { accept: 'text/csv' } });
	assert.equal(csv.status, 200, csv.text);
	assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
	const rows = csvRows(csv.text);
	for (const k of ['id', 'date', 'category', 'description', 'amount_cents']) assert.ok(rows[0].includes(k), `CSV header has ${k}: ${rows[0]}`);
	assert.equal(rows.length, 1 + all.length);
	const col = (k) => rows[0].indexOf(k);
	assert.deepEqual(rows.slice(1).map((row) => [row[col('id')], row[col('category')], row[col('amount_cents')]]), all.map((x) => [x.id, x.category, String(x.amount_cents)]));
	await assertAudited(srv, w.admin, { chain: coop.id, objectId: r.json.id, action: 'collective_cost.create', actorRole: 'bookkeeper', otherChain: w.coopA });
});

test('collective costs validation: category outside the list, amount 0 or real, missing or empty description, more than 500 characters, an invalid date, unknown fields → 422 validation_failed naming the field; nothing is stored', async () => {
	const coop = await invCooperative(srv, w.admin);
	const ok = { date: nlDate(), category: 'overhead', description: 'Printerpapier', amount_cents: 1999 };
	const cases = [
		[{ ...ok, category: 'party' }, 'category'],
		[{ ...ok, category: 'Training' }, 'category'],
		[{ ...ok, amount_cents: 0 }, 'amount_cents'],
		[{ ...ok, amount_cents: 19.99 }, 'amount_cents'],
		[{ ...ok, amount_cents: '1999' }, 'amount_cents'],
		[{ ...ok, description: '' }, 'description'],
		[{ ...ok, description: 'x'.repeat(501) }, 'description'],
		[{ ...ok, date: '2026-02-30' }, 'date'],
		[{ ...ok, id: uuid() }, 'id'],
	];
	for (const key of ['date', 'category', 'description', 'amount_cents']) {
		const body = { ...ok };
		delete body[key];
		cases.push([body, key]);
	}
	for (const [body, field] of cases) assertProblem(await postCost(coop.id, body), 422, 'validation_failed', { field });
	assert.deepEqual(await listAll(srv, w.admin, costsPath(coop.id), 10), []);
	for (const category of CATEGORIES) assert.equal((await postCost(coop.id, { ...ok, category })).status, 201, category);
	assert.equal((await listAll(srv, w.admin, costsPath(coop.id), 10)).length, CATEGORIES.length);
});

test('collective costs scope and roles: another cooperative\'s bookkeeper 404; a member and a municipality 403; an auditor reads but may not create (403); they are never changed or deleted (405)', async () => {
	const r = await postCost(w.coopA, { date: nlDate(), category: 'administration', description: 'Accountant', amount_cents: 25000 }, bkA());
	assert.equal(r.status, 201, r.text);
	const id = r.json.id;
	assertProblem(await srv.api('GET', `/v1/collective-costs/${id}`, { token: w.bookkeeperB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', costsPath(w.coopA), { token: w.bookkeeperB.token }), 404, 'not_found');
	assertProblem(await postCost(w.coopA, { date: nlDate(), category: 'rent', description: 'x', amount_cents: 1 }, w.bookkeeperB.token), 404, 'not_found');
	for (const token of [w.memberUserA.token, w.municipalityUser.token]) {
		assertProblem(await srv.api('GET', `/v1/collective-costs/${id}`, { token }), 403, 'forbidden');
		assertProblem(await srv.api('GET', costsPath(w.coopA), { token }), 403, 'forbidden');
		assertProblem(await postCost(w.coopA, { date: nlDate(), category: 'rent', description: 'x', amount_cents: 1 }, token), 403, 'forbidden');
	}
	assertProblem(await postCost(w.coopA, { date: nlDate(), category: 'rent', description: 'x', amount_cents: 1 }, w.auditorA.token), 403, 'forbidden');
	const g = await srv.api('GET', `/v1/collective-costs/${id}`, { token: w.auditorA.token });
	assert.equal(g.status, 200, g.text);
	assert.ok((await listAll(srv, w.auditorA.token, costsPath(w.coopA), 50)).some((x) => x.id === id));
	assertProblem(await srv.api('GET', `/v1/collective-costs/${uuid()}`, { token: w.admin }), 404, 'not_found');
	for (const method of ['PATCH', 'DELETE']) {
		const x = await srv.api(method, `/v1/collective-costs/${id}`, { token: w.admin, body: method === 'PATCH' ? { amount_cents: 1 } : undefined });
		assert.equal(x.status, 405, `${method}: ${x.status} ${x.text}`);
	}
	assert.deepEqual((await srv.api('GET', `/v1/collective-costs/${id}`, { token: w.admin })).json, r.json);
});

test('collective costs: the same Idempotency-Key replays the first 201 and stores one cost', async () => {
	const coop = await invCooperative(srv, w.admin);
	await assertIdempotentCreate(srv, w.admin, costsPath(coop.id), { date: nlDate(), category: 'rent', description: 'Huur december', amount_cents: 90000 },
		async () => (await listAll(srv, w.admin, costsPath(coop.id), 50)).length);
});

// ---------------------------------------------------------------------------------------------
// Finances of a year
let finWorld;
/**
 * A cooperative's year built through the API: fee 5 %; member f1 with an invoice of a 21 % and a
 * 9 % line paid in two parts; member f2 with an invoice paid in full, credited after the month
 * was finalized and partly refunded; last month finalized (fees 750 and 1000) and corrected
 * (f2's fee to 0); collective costs this year (one a negative correction) and one of last year;
 * a payout and a cancelled payout.
 */
function financeWorld() {
	finWorld ??= (async () => {
		const coop = await invCooperative(srv, w.admin, { legal_name: 'Werkcooperatie Financien U.A.' });
		const cust = await invCustomer(srv, w.admin, coop.id);
		await invCreate(srv, w.admin, `/v1/cooperatives/${coop.id}/fee-policies`, { valid_from: '2025-01-01', percentage_bp: 500 });
		const f1 = await member(coop.id, { first_name: 'Femke' });
		const f2 = await member(coop.id, { first_name: 'Farid' });
		const inv1 = await issue(coop.id, f1.id, cust.id, [line(10000), line(5000, 900)], { supply_date: inLastMonth(5) });
		assert.deepEqual([inv1.totals.net_cents, inv1.totals.vat_cents, inv1.totals.gross_cents], [15000, 2550, 17550]);
		await pay(inv1.id, 8000);
		await pay(inv1.id, 9550);
		const inv2 = await issue(coop.id, f2.id, cust.id, [line(20000)], { supply_date: inLastMonth(12) });
		await pay(inv2.id, 24200);
		const base = `/v1/cooperatives/${coop.id}/settlements/${LAST_MONTH}`;
		assert.equal((await srv.api('POST', base, { token: w.admin })).status, 200);
		const fin = await srv.api('POST', `${base}/finalize`, { token: w.admin });
		assert.equal(fin.status, 200, fin.text);
		const cn = await credit(inv2.id);
		await pay(cn.id, -12100);
		const corr = await srv.api('POST', `${base}/corrections`, { token: w.admin, body: { reason: 'Factuur gecrediteerd' } });
		assert.equal(corr.status, 200, corr.text);
		const costs = [];
		for (const [date, category, amount] of [[TODAY, 'training', 300], [TODAY, 'overhead', 150], [TODAY, 'rent', -50], [`${YEAR - 1}-06-15`, 'other', 100]]) {
			costs.push(await invCreate(srv, w.admin, costsPath(coop.id), { date, category, description: `Kosten ${category}`, amount_cents: amount }));
		}
		const paid = await payout(coop.id, [{ member_id: f1.id, amount_cents: 5000 }, { member_id: f2.id, amount_cents: 2000 }]);
		const undone = await payout(coop.id, [{ member_id: f1.id, amount_cents: 3000 }]);
		const c = await cancel(undone.id);
		assert.equal(c.status, 200, c.text);
		return { coop, cust, f1, f2, inv1, inv2, cn, costs, paid, undone };
	})();
	return finWorld;
}

const finances = (coopId, query = '', token = w.admin) => srv.api('GET', `/v1/cooperatives/${coopId}/finances${query}`, { token });

/** The finances of a year computed here from the members' ledgers, the payments, the invoices and the costs the API returns. */
async function expectedFinances(coopId, year) {
	const asOf = year === YEAR ? TODAY : `${year}-12-31`;
	const inYear = (d) => d.slice(0, 4) === String(year);
	const upTo = (d) => d <= asOf;
	const members = await listAll(srv, w.admin, `/v1/cooperatives/${coopId}/members`, 100);
	const entries = [];
	for (const m of members) {
		const es = await ledger(m.id);
		assertLedger(es, m.id);
		entries.push(...es);
	}
	const byId = new Map(entries.map((e) => [e.id, e]));
	const invoices = (await listAll(srv, w.admin, `/v1/cooperatives/${coopId}/invoices`, 100)).filter((i) => i.number !== null);
	const payments = [];
	for (const i of invoices) payments.push(...(await listAll(srv, w.admin, `/v1/invoices/${i.id}/payments`, 100)));
	const costs = await listAll(srv, w.admin, costsPath(coopId), 100);
	const coop = (await srv.api('GET', `/v1/cooperatives/${coopId}`, { token: w.admin })).json;

	const amounts = (es) => sum(es, (e) => e.amount_cents);
	/** Entries of a kind and the reversals of entries of that kind. */
	const flow = (kind, pred) => amounts(entries.filter((e) => pred(e.date) && (e.kind === kind || (e.kind === 'reversal' && byId.get(e.reverses_entry_id)?.kind === kind))));
	const paymentsInYear = payments.filter((p) => inYear(p.received_on));
	const paymentIds = new Set(paymentsInYear.map((p) => p.id));
	const shares = entries.filter((e) => e.kind === 'payment_share' && paymentIds.has(e.payment_id));
	assert.deepEqual(shares.map((e) => e.id).sort(), entries.filter((e) => e.kind === 'payment_share' && inYear(e.date)).map((e) => e.id).sort(), 'the shares of the year\'s payments are the shares dated in the year');
	const paymentsReceived = sum(paymentsInYear, (p) => p.amount_cents);
	const costsInYear = costs.filter((c) => inYear(c.date));
	const byCategory = Object.fromEntries(CATEGORIES.map((k) => [k, sum(costsInYear.filter((c) => c.category === k), (c) => c.amount_cents)]));
	const reserve = 0 - flow('fee', upTo) - sum(costs.filter((c) => upTo(c.date)), (c) => c.amount_cents);
	const cap = coop.reserve_cap_cents;
	const above = cap !== null && reserve > cap;
	return {
		cooperative_id: coopId,
		year,
		as_of: asOf,
		payments_received_cents: paymentsReceived,
		vat_received_cents: paymentsReceived - amounts(shares),
		vat_invoiced_cents: sum(invoices.filter((i) => inYear(i.issue_date)), (i) => i.totals.vat_cents),
		fee_income_cents: 0 - flow('fee', inYear),
		collective_costs_cents: sum(costsInYear, (c) => c.amount_cents),
		collective_costs_by_category: byCategory,
		payouts_cents: 0 - flow('payout', inYear),
		member_balances_change_cents: amounts(entries.filter((e) => inYear(e.date))),
		member_balances_cents: amounts(entries.filter((e) => upTo(e.date))),
		reserve_cents: reserve,
		reserve_cap_cents: cap,
		reserve_above_cap: above,
		warnings: above ? ['reserve_above_cap'] : [],
	};
}

test('finances of the year: every figure equals what follows from the ledger, payments, invoices and collective costs read through the API', async () => {
	const { coop } = await financeWorld();
	const r = await finances(coop.id, `?year=${YEAR}`);
	assert.equal(r.status, 200, r.text);
	assertKeys(r.json, FINANCE_KEYS, 'finances');
	assertKeys(r.json.collective_costs_by_category, CATEGORIES, 'collective_costs_by_category');
	const expected = await expectedFinances(coop.id, YEAR);
	assert.deepEqual(r.json, expected);
	// and the figures themselves, worked out by hand (the fee month lies in this year unless this is January)
	if (LAST_MONTH.startsWith(String(YEAR))) {
		assert.deepEqual(
			[r.json.payments_received_cents, r.json.vat_received_cents, r.json.vat_invoiced_cents, r.json.fee_income_cents, r.json.payouts_cents, r.json.member_balances_change_cents, r.json.member_balances_cents],
			[
				17550 + 24200 - 12100, // two payments of inv1, inv2 in full, half of it refunded
				(17550 + 24200 - 12100) - (15000 + 20000 - 10000), // minus the net shares
				2550 + 4200 - 4200, // inv1 (21 % and 9 %), inv2, its credit note
				750 + 1000 - 1000, // fees of version 1, f2's fee corrected to 0
				5000 + 2000, // the cancelled payout counts neither way
				25000 - 750 - 7000,
				25000 - 750 - 7000,
			],
		);
	}
	assert.deepEqual(r.json.collective_costs_by_category, { training: 300, rent: -50, overhead: 150, insurance: 0, administration: 0, other: 0 });
	assert.equal(r.json.collective_costs_cents, 400);
});

test('finances: payments_received − payouts = vat_received + member_balances_change + fee_income, to the cent', async () => {
	const { coop } = await financeWorld();
	for (const year of [YEAR, YEAR - 1]) {
		const f = (await finances(coop.id, `?year=${year}`)).json;
		assert.equal(f.payments_received_cents - f.payouts_cents, f.vat_received_cents + f.member_balances_change_cents + f.fee_income_cents, `${year}: ${JSON.stringify(f)}`);
	}
	assert.ok((await finances(coop.id, `?year=${YEAR}`)).json.payments_received_cents > 0, 'the identity is tested on a year with money in it');
});

test('finances: reserve = all fee income − all collective costs up to as_of (last year\'s cost included); reserve_above_cap and the warning only when reserve_cap_cents is below the reserve', async () => {
	const { coop } = await financeWorld();
	const patchCap = async (cap) => {
		const r = await srv.api('PATCH', `/v1/cooperatives/${coop.id}`, { token: w.admin, body: { reserve_cap_cents: cap } });
		assert.equal(r.status, 200, r.text);
	};
	let f = (await finances(coop.id, `?year=${YEAR}`)).json;
	const expected = await expectedFinances(coop.id, YEAR);
	assert.equal(f.reserve_cents, expected.reserve_cents);
	if (LAST_MONTH.startsWith(String(YEAR))) assert.equal(f.reserve_cents, 750 - (300 + 150 - 50) - 100);
	assert.equal(f.reserve_cap_cents, null);
	assert.equal(f.reserve_above_cap, false);
	assert.deepEqual(f.warnings, []);
	const reserve = f.reserve_cents;
	await patchCap(reserve - 1);
	f = (await finances(coop.id, `?year=${YEAR}`)).json;
	assert.equal(f.reserve_cap_cents, reserve - 1);
	assert.equal(f.reserve_above_cap, true);
	assert.deepEqual(f.warnings, ['reserve_above_cap']);
	await patchCap(reserve);
	f = (await finances(coop.id, `?year=${YEAR}`)).json;
	assert.equal(f.reserve_above_cap, false, 'a reserve equal to the cap is not above it');
	assert.deepEqual(f.warnings, []);
	await patchCap(null);
	f = (await finances(coop.id, `?year=${YEAR}`)).json;
	assert.equal(f.reserve_cap_cents, null);
	assert.equal(f.reserve_above_cap, false);
	// a cooperative with a reserve well above its cap
	const rich = await invCooperative(srv, w.admin, { reserve_cap_cents: 0 });
	const cust = await invCustomer(srv, w.admin, rich.id);
	await invCreate(srv, w.admin, `/v1/cooperatives/${rich.id}/fee-policies`, { valid_from: '2025-01-01', percentage_bp: 1000 });
	const m = await member(rich.id);
	await issue(rich.id, m.id, cust.id, [line(50000)], { supply_date: inLastMonth(7) });
	const base = `/v1/cooperatives/${rich.id}/settlements/${LAST_MONTH}`;
	assert.equal((await srv.api('POST', base, { token: w.admin })).status, 200);
	assert.equal((await srv.api('POST', `${base}/finalize`, { token: w.admin })).status, 200);
	const g = (await finances(rich.id)).json;
	assert.equal(g.reserve_cents, 5000);
	assert.equal(g.reserve_cap_cents, 0);
	assert.equal(g.reserve_above_cap, true);
	assert.deepEqual(g.warnings, ['reserve_above_cap']);
	assert.deepEqual(g, await expectedFinances(rich.id, YEAR));
});

test('finances of last year hold only what was dated in it (its collective cost; no payments yet); a year without any activity is all zeros', async () => {
	const { coop } = await financeWorld();
	const prev = await finances(coop.id, `?year=${YEAR - 1}`);
	assert.equal(prev.status, 200, prev.text);
	assert.deepEqual(prev.json, await expectedFinances(coop.id, YEAR - 1));
	assert.equal(prev.json.as_of, `${YEAR - 1}-12-31`);
	assert.equal(prev.json.collective_costs_by_category.other, 100);
	assert.equal(prev.json.payments_received_cents, 0);
	const fresh = await invCooperative(srv, w.admin);
	for (const year of [2001, YEAR]) {
		const r = await finances(fresh.id, `?year=${year}`);
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json, {
			cooperative_id: fresh.id,
			year,
			as_of: year === YEAR ? TODAY : `${year}-12-31`,
			payments_received_cents: 0,
			vat_received_cents: 0,
			vat_invoiced_cents: 0,
			fee_income_cents: 0,
			collective_costs_cents: 0,
			collective_costs_by_category: { training: 0, rent: 0, overhead: 0, insurance: 0, administration: 0, other: 0 },
			payouts_cents: 0,
			member_balances_change_cents: 0,
			member_balances_cents: 0,
			reserve_cents: 0,
			reserve_cap_cents: null,
			reserve_above_cap: false,
			warnings: [],
		});
	}
	const old = (await finances(coop.id, '?year=2001')).json;
	for (const k of FINANCE_KEYS.filter((x) => x.endsWith('_cents') && x !== 'reserve_cap_cents')) assert.equal(old[k], 0, `${k} of 2001`);
});

test('finances without ?year are those of the current year (Europe/Amsterdam), as of today', async () => {
	const { coop } = await financeWorld();
	const r = await finances(coop.id);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.year, YEAR);
	assert.equal(typeof r.json.year, 'number');
	assert.equal(r.json.as_of, TODAY);
	assert.deepEqual(r.json, (await finances(coop.id, `?year=${YEAR}`)).json);
});

test('finances year validation: not an integer or outside 2000..2100 → 400 invalid_parameter, like every query parameter', async () => {
	const { coop } = await financeWorld();
	const wrong = [];
	for (const y of ['abc', '1800', '1999', '2101', '2026.5', '-2026', '1e3', '２０２６', '99999999999999999999']) {
		const r = await finances(coop.id, `?year=${encodeURIComponent(y)}`);
		try {
			assertProblem(r, 400, 'invalid_parameter');
		} catch {
			wrong.push(`year=${y} → ${r.status} ${r.json?.code}`);
		}
	}
	assert.deepEqual(wrong, [], 'every invalid year → 400 invalid_parameter, not another answer');
	for (const y of [2000, 2100]) assert.equal((await finances(coop.id, `?year=${y}`)).status, 200, `year ${y} is allowed`);
});

test('finances are read by the cooperative\'s office and auditor; a member or municipality gets 403, another cooperative 404', async () => {
	for (const token of [w.admin, w.coopAdminA.token, bkA(), w.auditorA.token]) {
		const r = await finances(w.coopA, '', token);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.cooperative_id, w.coopA);
	}
	for (const token of [w.memberUserA.token, w.municipalityUser.token]) assertProblem(await finances(w.coopA, '', token), 403, 'forbidden');
	assertProblem(await finances(w.coopA, '', w.coopAdminB.token), 404, 'not_found');
	assertProblem(await finances(uuid()), 404, 'not_found');
	// cooperative A's figures also satisfy the identity, after everything the tests above did
	const f = (await finances(w.coopA)).json;
	assert.equal(f.payments_received_cents - f.payouts_cents, f.vat_received_cents + f.member_balances_change_cents + f.fee_income_cents, JSON.stringify(f));
	assert.deepEqual(f, await expectedFinances(w.coopA, YEAR));
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
