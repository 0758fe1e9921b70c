// Bank statement import (issue 14, "Money in"): CAMT.053.001.02 statements imported through
// the API, their credits matched to invoices by the three rules (the invoice number as
// customers type it, the end-to-end id, the exact open amount from an account known for the
// customer) and booked as payments with a payment's ledger effects, debits matched to the
// cooperative's payouts, the rest kept as entries a bookkeeper assigns or dismisses. A statement
// imported twice books nothing twice; one that is malformed, of another account or in another
// currency is refused and nothing is booked. The bank styles of tests/fixtures/camt/ import as
// written, and the finances' identity still holds afterwards.
// Statements are written here from the ISO 20022 camt.053.001.02 definition (see `statement`);
// psql only proves what the database refuses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	setup, ROOT, assertProblem, assertAudited, listAll, csvRows, nlDate, hex, uuid, RFC3339_UTC, UUID_RE, INV_IDS,
	coopBody, invWorld, invSmallCoop, invMember, invCustomer, invLine, invIssued, invCreate, invAudit, userWithToken, assertKeys,
} from './harness.mjs';

let env;
let srv;
let w;

before(async () => {
	// a small statement limit, so that "too large" is quick to reach
	env = await setup({ env: { COOPD_BANK_STATEMENT_LIMIT: '262144', COOPD_DB_TIMEOUT_MS: '15000' } });
	srv = env.srv;
	w = await invWorld(srv);
	w.prefixA = (await srv.api('GET', `/v1/cooperatives/${w.coopA}`, { token: w.admin })).json.invoice_prefix;
});
after(() => srv?.kill());

const TODAY = nlDate();
const YEAR = TODAY.slice(0, 4);
const ENTRY_KEYS = ['id', 'cooperative_id', 'statement_id', 'account_iban', 'reference', 'account_servicer_reference', 'entry_reference', 'booking_date', 'value_date', 'direction', 'amount_cents', 'reversal', 'counterparty_name', 'counterparty_iban', 'end_to_end_id', 'remittance_information', 'structured_references', 'additional_information', 'batch_references', 'end_to_end_ids', 'transaction_count', 'status', 'match_rule', 'unmatched_reason', 'suggested_invoice_id', 'invoice_id', 'payment_id', 'payout_id', 'dismiss_reason', 'decided_by', 'decided_at', 'created_at'];
const STATEMENT_KEYS = ['id', 'cooperative_id', 'account_iban', 'message_id', 'statement_ids', 'from_date', 'to_date', 'opening_balance_cents', 'closing_balance_cents', 'entries', 'matched', 'unmatched', 'dismissed', 'created_by', 'created_at'];
const IBANS = { jansen: 'NL69INGB0123456789', linde: 'NL20INGB0001234567', bakker: 'NL61INGB0417164300', vries: 'NL92RABO0001234567', other: 'NL44RABO0123456789' };

// ---------------------------------------------------------------------------------------------
// Statements, written from the camt.053.001.02 message definition.
const esc = (s) => String(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const euros = (cents) => (Math.abs(cents) / 100).toFixed(2);

/**
 * One Ntry. e: {amount (cents; credit > 0, debit < 0), ref (AcctSvcrRef; null: none; default a
 * fresh one), booking, ccy, status, reversal, addtl, batch (message id of a payout batch), txs:
 * [{e2e, name, iban, ustrd: [], strd: [], amount, msgId}] (default one from e: e2e, name, iban,
 * ustrd, strd; noDetails: none)}.
 */
function ntry(e) {
	const credit = e.amount > 0;
	const booking = e.booking ?? TODAY;
	let x = `<Ntry>${e.ntryRef ? `<NtryRef>${esc(e.ntryRef)}</NtryRef>` : ''}<Amt Ccy="${e.ccy ?? 'EUR'}">${euros(e.amount)}</Amt>`;
	x += `<CdtDbtInd>${credit ? 'CRDT' : 'DBIT'}</CdtDbtInd>${e.reversal ? '<RvslInd>true</RvslInd>' : ''}<Sts>${e.status ?? 'BOOK'}</Sts>`;
	x += `<BookgDt><Dt>${booking}</Dt></BookgDt><ValDt><Dt>${booking}</Dt></ValDt>`;
	if (e.ref !== null) x += `<AcctSvcrRef>${esc(e.ref ?? `R${hex(8)}`)}</AcctSvcrRef>`;
	x += `<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>${credit ? 'RCDT' : 'ICDT'}</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>`;
	const txs = e.txs ?? (e.noDetails ? [] : [{ e2e: e.e2e, name: e.name, iban: e.iban, ustrd: e.ustrd, strd: e.strd }]);
	if (txs.length || e.batch) {
		x += '<NtryDtls>';
		if (e.batch) x += `<Btch><MsgId>${esc(e.batch)}</MsgId><PmtInfId>${esc(e.batch)}</PmtInfId><NbOfTxs>${txs.length}</NbOfTxs></Btch>`;
		for (const t of txs) {
			x += `<TxDtls><Refs>${t.msgId ? `<MsgId>${esc(t.msgId)}</MsgId><PmtInfId>${esc(t.msgId)}</PmtInfId>` : ''}<EndToEndId>${esc(t.e2e ?? 'NOTPROVIDED')}</EndToEndId></Refs>`;
			if (t.amount) x += `<AmtDtls><TxAmt><Amt Ccy="EUR">${euros(t.amount)}</Amt></TxAmt></AmtDtls>`;
			const [party, account] = credit ? ['Dbtr', 'DbtrAcct'] : ['Cdtr', 'CdtrAcct'];
			if (t.name || t.iban)
				x += `<RltdPties>${t.name ? `<${party}><Nm>${esc(t.name)}</Nm></${party}>` : ''}${t.iban ? `<${account}><Id><IBAN>${t.iban}</IBAN></Id></${account}>` : ''}</RltdPties>`;
			const ustrd = t.ustrd ?? [];
			const strd = t.strd ?? [];
			if (ustrd.length || strd.length)
				x += `<RmtInf>${ustrd.map((u) => `<Ustrd>${esc(u)}</Ustrd>`).join('')}${strd.map((r) => `<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>${esc(r)}</Ref></CdtrRefInf></Strd>`).join('')}</RmtInf>`;
			x += '</TxDtls>';
		}
		x += '</NtryDtls>';
	}
	if (e.addtl) x += `<AddtlNtryInf>${esc(e.addtl)}</AddtlNtryInf>`;
	return `${x}</Ntry>`;
}

/** A camt.053.001.02 document of one statement of entries (with balances that add up unless
 * closing is given). */
function statement(entries, { iban = INV_IDS.iban, ccy = 'EUR', msgId = `MSG-${hex(6)}`, stmtId = `STMT-${hex(6)}`, opening = 500000, closing, balances = true } = {}) {
	const booked = entries.filter((e) => (e.status ?? 'BOOK') === 'BOOK').reduce((s, e) => s + e.amount, 0);
	const close = closing ?? opening + booked;
	const bal = (cd, cents) => `<Bal><Tp><CdOrPrtry><Cd>${cd}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">${euros(cents)}</Amt><CdtDbtInd>${cents < 0 ? 'DBIT' : 'CRDT'}</CdtDbtInd><Dt><Dt>${TODAY}</Dt></Dt></Bal>`;
	return (
		'<?xml version="1.0" encoding="UTF-8"?>\n' +
		'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>' +
		`<GrpHdr><MsgId>${esc(msgId)}</MsgId><CreDtTm>${TODAY}T06:00:00</CreDtTm></GrpHdr>` +
		`<Stmt><Id>${esc(stmtId)}</Id><CreDtTm>${TODAY}T06:00:00</CreDtTm><Acct><Id><IBAN>${iban}</IBAN></Id><Ccy>${ccy}</Ccy></Acct>` +
		(balances ? bal('OPBD', opening) + bal('CLBD', close) : '') +
		entries.map(ntry).join('') +
		'</Stmt></BkToCstmrStmt></Document>'
	);
}

const statementsPath = (coopId) => `/v1/cooperatives/${coopId}/bank-statements`;
const entriesPath = (coopId) => `/v1/cooperatives/${coopId}/bank-entries`;

/** POSTs an XML text as a statement of coopId. */
function postStatement(coopId, xml, { token = w.admin, headers = {} } = {}) {
	return srv.api('POST', statementsPath(coopId), { token, rawBody: xml, headers: { 'content-type': 'application/xml', ...headers } });
}

/** Imports (asserts 201); returns {statement, entries (of this import, in file order)}. */
async function importStatement(coopId, xml, opts) {
	const r = await postStatement(coopId, xml, opts);
	assert.equal(r.status, 201, `import: ${r.status} ${r.text}`);
	const entries = await listAll(srv, w.admin, `${entriesPath(coopId)}?statement_id=${r.json.id}`, 200);
	return { statement: r.json, entries, response: r };
}

/** An invoice line of one piece at net cents, 21 % VAT: gross = net + round(net × 0.21). */
const line = (net) => invLine({ description: 'Werkzaamheden', quantity: '1', unit: 'piece', unit_price_cents: net, activity_category: 'gardening', vat_rate_bp: 2100 });
const grossOf = (net) => net + Math.round(net * 0.21);

/** An issued invoice of coopId (memberA's, customer custNL unless given) at net cents. */
function issue(net, { coopId = w.coopA, member = w.memberA, customer = w.custNL } = {}) {
	return invIssued(srv, w.admin, coopId, { member_id: member, customer_id: customer, lines: [line(net)] });
}

const getInvoice = async (id) => (await srv.api('GET', `/v1/invoices/${id}`, { token: w.admin })).json;
const paymentsOf = async (id) => listAll(srv, w.admin, `/v1/invoices/${id}/payments`, 200);
const getEntry = async (id, token = w.admin) => srv.api('GET', `/v1/bank-entries/${id}`, { token });
/** "PREFIX2026-00012" → its year and number. */
const parts = (number) => ({ prefix: number.slice(0, -10), year: number.slice(-10, -6), n: Number(number.slice(-5)) });

async function countsOf(coopId) {
	const statements = await listAll(srv, w.admin, statementsPath(coopId), 200);
	const entries = await listAll(srv, w.admin, entriesPath(coopId), 200);
	const sql = await env.sql(`select count(*) as n from payments where cooperative_id = '${coopId}'`);
	return { statements: statements.length, entries: entries.length, payments: Number(sql[0].n) };
}

/** Asserts the finances' identity of the year (SPEC §9). */
async function assertIdentity(coopId, year = YEAR) {
	const r = await srv.api('GET', `/v1/cooperatives/${coopId}/finances?year=${year}`, { token: w.admin });
	assert.equal(r.status, 200, r.text);
	const f = r.json;
	assert.equal(f.payments_received_cents - f.payouts_cents, f.vat_received_cents + f.member_balances_change_cents + f.fee_income_cents, JSON.stringify(f));
	return f;
}

// ---------------------------------------------------------------------------------------------
// The import and rule 1.
test('POST bank-statements: 201 with Location, ETag and the import; a credit naming an open invoice\'s number books a payment (method bank, the entry\'s reference, received on its booking date) and the invoice becomes paid', async () => {
	const inv = await issue(10000);
	const ref = `R${hex(8)}`;
	const xml = statement([{ amount: inv.open_cents, ref, name: 'Hoveniersbedrijf De Linde B.V.', iban: IBANS.linde, ustrd: [`Factuur ${inv.number}`] }], { msgId: 'RABO-1', stmtId: 'NL91-1' });
	const r = await postStatement(w.coopA, xml, { token: w.bookkeeperA.token });
	assert.equal(r.status, 201, r.text);
	const s = r.json;
	assertKeys(s, STATEMENT_KEYS, 'BankStatement');
	assert.equal(r.headers.get('location'), `/v1/bank-statements/${s.id}`);
	assert.equal(r.headers.get('etag'), '"1"');
	assert.equal(s.cooperative_id, w.coopA);
	assert.equal(s.account_iban, INV_IDS.iban);
	assert.equal(s.message_id, 'RABO-1');
	assert.deepEqual(s.statement_ids, ['NL91-1']);
	assert.equal(s.opening_balance_cents, 500000);
	assert.equal(s.closing_balance_cents, 500000 + inv.open_cents);
	assert.equal(s.from_date, TODAY);
	assert.equal(s.to_date, TODAY);
	assert.deepEqual(s.entries, { in_file: 1, new: 1, already_imported: 0, skipped: 0 });
	assert.deepEqual(s.matched, { count: 1, credits_cents: inv.open_cents, debits_cents: 0 });
	assert.deepEqual(s.unmatched, { count: 0, credits_cents: 0, debits_cents: 0 });
	assert.match(s.created_at, RFC3339_UTC);
	assert.equal(s.created_by, w.bookkeeperA.user.id);

	const after = await getInvoice(inv.id);
	assert.equal(after.status, 'paid');
	assert.equal(after.open_cents, 0);
	const pays = await paymentsOf(inv.id);
	assert.equal(pays.length, 1);
	assert.equal(pays[0].amount_cents, inv.open_cents);
	assert.equal(pays[0].method, 'bank');
	assert.equal(pays[0].reference, ref);
	assert.equal(pays[0].received_on, TODAY);

	const e = (await listAll(srv, w.admin, `${entriesPath(w.coopA)}?statement_id=${s.id}`, 200))[0];
	assertKeys(e, ENTRY_KEYS, 'BankEntry');
	assert.equal(e.status, 'matched');
	assert.equal(e.match_rule, 'invoice_number');
	assert.equal(e.invoice_id, inv.id);
	assert.equal(e.payment_id, pays[0].id);
	assert.equal(e.reference, ref);
	assert.equal(e.account_servicer_reference, ref);
	assert.equal(e.direction, 'credit');
	assert.equal(e.amount_cents, inv.open_cents);
	assert.equal(e.counterparty_name, 'Hoveniersbedrijf De Linde B.V.');
	assert.equal(e.counterparty_iban, IBANS.linde);
	assert.deepEqual(e.remittance_information, [`Factuur ${inv.number}`]);
	assert.equal(e.unmatched_reason, null);
	assert.equal(e.decided_at, null);

	// audited as a payment recorded by hand is, with the entry it came from
	const ev = await assertAudited(srv, w.admin, { chain: w.coopA, objectId: pays[0].id, action: 'payment.create', actorRole: 'bookkeeper' });
	assert.deepEqual(ev.changes, { invoice_id: inv.id, amount_cents: inv.open_cents, received_on: TODAY, method: 'bank', reference: ref, bank_entry_id: e.id });
	// the payment's share is on the member's ledger, as for any payment
	const ledger = await listAll(srv, w.admin, `/v1/members/${w.memberA}/ledger`, 200);
	assert.ok(ledger.some((x) => x.payment_id === pays[0].id && x.kind === 'payment_share' && x.amount_cents === 10000), 'the net share is booked');
});

test('a payment an import books is announced like any other: the invoice.paid webhook event is in the outbox, written in the import\'s transaction', async () => {
	// TEST-NET-1: an address coopd accepts without COOPD_WEBHOOK_ALLOW_PRIVATE (nothing answers there)
	const hook = await srv.api('POST', '/v1/webhooks', { token: w.admin, body: { cooperative_id: w.coopA, url: `https://192.0.2.10/bank-${hex(4)}`, events: ['invoice.paid'] } });
	assert.equal(hook.status, 201, hook.text);
	try {
		const inv = await issue(4321);
		const none = await env.sql(`select count(*)::int as n from webhook_events where type = 'invoice.paid' and subject = 'invoice:${inv.id}'`);
		assert.equal(Number(none[0].n), 0, 'not paid yet: no event');
		await importStatement(w.coopA, statement([{ amount: inv.open_cents, ref: `R${hex(8)}`, name: 'De Linde', iban: IBANS.linde, ustrd: [`Factuur ${inv.number}`] }]));
		assert.equal((await getInvoice(inv.id)).status, 'paid');
		const ev = await env.sql(`select e.cooperative_id, (select count(*)::int from webhook_deliveries d where d.event_id = e.id and d.subscription_id = '${hook.json.id}') as deliveries from webhook_events e where e.type = 'invoice.paid' and e.subject = 'invoice:${inv.id}'`);
		assert.equal(ev.length, 1, 'one invoice.paid event');
		assert.equal(ev[0].cooperative_id, w.coopA);
		assert.equal(Number(ev[0].deliveries), 1, 'one delivery to the subscription');
	} finally {
		assert.equal((await srv.api('DELETE', `/v1/webhooks/${hook.json.id}`, { token: w.admin })).status, 204);
	}
});

test('rule 1 reads invoice numbers as customers type them: lower case, spaces, slashes, dots, dashes, without leading zeros, cut over Ustrd lines, as a creditor reference or in AddtlNtryInf', async () => {
	const invs = [];
	for (let i = 0; i < 8; i++) invs.push(await issue(1000 + i));
	const typed = invs.map((inv) => parts(inv.number));
	const low = (p) => p.prefix.toLowerCase();
	const entries = [
		{ ustrd: [`${low(typed[0])} ${typed[0].year} ${typed[0].n}`] },
		{ ustrd: [`Betreft ${typed[1].prefix} ${typed[1].year}/${typed[1].n} dank u`] },
		{ ustrd: [`fact.${low(typed[2])}.${typed[2].year}.${String(typed[2].n).padStart(3, '0')}`] },
		{ ustrd: [`Factuur ${invs[3].number.slice(0, 6)}`, `${invs[3].number.slice(6)} tuin`] },
		{ strd: [invs[4].number] },
		{ noDetails: true, addtl: `/TRTP/SEPA OVERBOEKING/IBAN/${IBANS.bakker}/NAME/A. Bakker/REMI/Fact. ${typed[5].prefix}-${typed[5].year}-${typed[5].n}/EREF/NOTPROVIDED` },
		{ ustrd: [`${typed[6].prefix}${typed[6].year}${String(typed[6].n).padStart(5, '0')}`] },
		{ ustrd: [`#${typed[7].prefix}_${typed[7].year}_${typed[7].n}.`] },
	].map((e, i) => ({ amount: invs[i].open_cents, iban: IBANS.vries, ...e }));
	const { statement: s, entries: got } = await importStatement(w.coopA, statement(entries));
	assert.equal(s.matched.count, 8, JSON.stringify(got.map((e) => [e.status, e.unmatched_reason, e.remittance_information, e.additional_information])));
	for (let i = 0; i < 8; i++) {
		assert.equal(got[i].status, 'matched', JSON.stringify(got[i]));
		assert.equal(got[i].match_rule, 'invoice_number');
		assert.equal(got[i].invoice_id, invs[i].id);
		assert.equal((await getInvoice(invs[i].id)).status, 'paid');
	}
});

test('rule 1: a part payment is booked and the rest stays open; more than is open stays unmatched (amount_exceeds_open), a paid invoice\'s number too (invoice_not_open), each with the invoice suggested; two numbers: several_candidates; a number of another cooperative is no number', async () => {
	const part = await issue(20000);
	const over = await issue(3000);
	const paid = await issue(4000);
	const a = await issue(5000);
	const b = await issue(6000);
	const foreign = await issue(7000, { coopId: w.coopB, member: w.memberB, customer: w.custB });
	await importStatement(w.coopA, statement([{ amount: paid.open_cents, ustrd: [paid.number] }]));
	assert.equal((await getInvoice(paid.id)).status, 'paid');

	const { entries } = await importStatement(w.coopA, statement([
		{ amount: 5000, ustrd: [`Deelbetaling ${part.number}`] },
		{ amount: over.open_cents + 1, ustrd: [over.number] },
		{ amount: paid.open_cents, ustrd: [`nogmaals ${paid.number}`] },
		{ amount: a.open_cents, ustrd: [`${a.number} en ${b.number}`] },
		{ amount: foreign.open_cents, ustrd: [foreign.number] },
	]));
	assert.deepEqual(entries.map((e) => [e.status, e.match_rule, e.unmatched_reason]), [
		['matched', 'invoice_number', null],
		['unmatched', null, 'amount_exceeds_open'],
		['unmatched', null, 'invoice_not_open'],
		['unmatched', null, 'several_candidates'],
		['unmatched', null, 'no_candidate'],
	]);
	assert.deepEqual(entries.map((e) => e.suggested_invoice_id), [null, over.id, paid.id, null, null]);
	const p = await getInvoice(part.id);
	assert.equal(p.status, 'issued');
	assert.equal(p.paid_cents, 5000);
	assert.equal(p.open_cents, part.open_cents - 5000);
	for (const inv of [over, a, b]) assert.equal((await getInvoice(inv.id)).paid_cents, 0);
	assert.equal((await getInvoice(foreign.id)).paid_cents, 0, 'another cooperative\'s invoice is never paid');
	assert.equal((await paymentsOf(paid.id)).length, 1, 'a paid invoice is not paid again');
});

test('rule 2: the end-to-end id names the invoice when the remittance names none; rule 1 decides before rule 2', async () => {
	const a = await issue(8100);
	const b = await issue(8200);
	const c = await issue(8300);
	const { entries } = await importStatement(w.coopA, statement([
		{ amount: a.open_cents, e2e: a.number, ustrd: ['Crediteurenbetaling week 48'] },
		{ amount: b.open_cents, e2e: c.number, ustrd: [`Factuur ${b.number}`] },
	]));
	assert.equal(entries[0].status, 'matched');
	assert.equal(entries[0].match_rule, 'end_to_end_id');
	assert.equal(entries[0].end_to_end_id, a.number);
	assert.equal(entries[0].invoice_id, a.id);
	assert.equal(entries[1].match_rule, 'invoice_number');
	assert.equal(entries[1].invoice_id, b.id);
	assert.equal((await getInvoice(c.id)).paid_cents, 0);
});

test('rule 3: the exact open amount from an IBAN known for the customer (learned from an entry booked before) is booked; an unknown IBAN, another amount or two open invoices of that amount stay unmatched; a number found decides before rule 3', async () => {
	const cust = (await invCustomer(srv, w.admin, w.coopA, { name: `Zorgboerderij ${hex(2)}` })).id;
	const iban = 'NL36RABO0417164300';
	const first = await issue(9100, { customer: cust });
	const second = await issue(9200, { customer: cust });
	// nothing is known of this IBAN yet: no number, so unmatched
	const before = await importStatement(w.coopA, statement([{ amount: second.open_cents, iban, ustrd: ['Onderhoud'] }]));
	assert.equal(before.entries[0].unmatched_reason, 'no_candidate');
	// the customer pays the first by its number: the IBAN becomes known
	await importStatement(w.coopA, statement([{ amount: first.open_cents, iban, ustrd: [first.number] }]));
	const { entries } = await importStatement(w.coopA, statement([
		{ amount: second.open_cents, iban, ustrd: ['Onderhoud november'] },
		{ amount: 12345, iban, ustrd: ['Onderhoud december'] },
		{ amount: second.open_cents, iban: IBANS.other, ustrd: ['Onderhoud november'] },
	]));
	assert.deepEqual(entries.map((e) => [e.status, e.match_rule, e.unmatched_reason]), [
		['matched', 'amount_and_account', null],
		['unmatched', null, 'no_candidate'],
		['unmatched', null, 'no_candidate'],
	]);
	assert.equal(entries[0].invoice_id, second.id);
	assert.equal((await getInvoice(second.id)).status, 'paid');

	// two open invoices of the same amount: not certain
	const x = await issue(9300, { customer: cust });
	const y = await issue(9300, { customer: cust });
	const two = await importStatement(w.coopA, statement([{ amount: x.open_cents, iban, ustrd: ['Onderhoud'] }]));
	assert.equal(two.entries[0].unmatched_reason, 'several_candidates');
	// the customer pays a paid invoice again: its number is found, so it is not booked on an
	// open invoice of the same amount
	const again = await importStatement(w.coopA, statement([{ amount: first.open_cents, iban, ustrd: [`Factuur ${first.number}`] }]));
	assert.equal(again.entries[0].unmatched_reason, 'invoice_not_open');
	assert.equal(again.entries[0].suggested_invoice_id, first.id);
	for (const inv of [x, y]) assert.equal((await getInvoice(inv.id)).paid_cents, 0);
	const known = await env.sql(`select count(*) as n from bank_known_accounts where customer_id = '${cust}' and iban = '${iban}'`);
	assert.equal(known[0].n, '1');
});

test('a reversal and a credit without any reference stay unmatched (reversal, no_candidate); pending entries and entries of 0.00 are skipped', async () => {
	const inv = await issue(4400);
	const { statement: s, entries } = await importStatement(w.coopA, statement([
		{ amount: inv.open_cents, reversal: true, ustrd: [inv.number] },
		{ amount: 777, ustrd: ['Gift'] },
		{ amount: 888, status: 'PDNG', ustrd: [inv.number] },
		{ amount: -999, reversal: true, ustrd: ['Storno'] },
	]));
	assert.deepEqual(entries.map((e) => e.unmatched_reason), ['reversal', 'no_candidate', 'reversal']);
	assert.deepEqual(s.entries, { in_file: 4, new: 3, already_imported: 0, skipped: 1 });
	assert.deepEqual(s.unmatched, { count: 3, credits_cents: inv.open_cents + 777, debits_cents: 999 });
	assert.equal((await getInvoice(inv.id)).paid_cents, 0);
});

// ---------------------------------------------------------------------------------------------
// Twice.
test('importing the same statement twice books nothing twice: the second import answers 201 with already_imported and no new entry or payment; an overlapping statement brings only its new entries; entries without AcctSvcrRef are known by their fields', async () => {
	const a = await issue(5100);
	const b = await issue(5200);
	const entryA = { amount: a.open_cents, ustrd: [a.number], ref: `R${hex(8)}` };
	const noRef = { amount: 4321, ref: null, noDetails: true, addtl: `Storting ${hex(4)}` };
	const xml = statement([entryA, noRef]);
	const first = await importStatement(w.coopA, xml);
	assert.deepEqual(first.statement.entries, { in_file: 2, new: 2, already_imported: 0, skipped: 0 });
	assert.match(first.entries[1].reference, /^H[0-9a-f]{64}$/);
	const before = await countsOf(w.coopA);
	const second = await importStatement(w.coopA, xml);
	assert.notEqual(second.statement.id, first.statement.id);
	assert.deepEqual(second.statement.entries, { in_file: 2, new: 0, already_imported: 2, skipped: 0 });
	assert.deepEqual(second.statement.matched, { count: 0, credits_cents: 0, debits_cents: 0 });
	assert.equal(second.entries.length, 0);
	const afterTwice = await countsOf(w.coopA);
	assert.deepEqual(afterTwice, { ...before, statements: before.statements + 1 });
	assert.equal((await paymentsOf(a.id)).length, 1);

	// the next day's statement repeats both and adds one: only that one is new
	const overlap = await importStatement(w.coopA, statement([entryA, noRef, { amount: b.open_cents, ustrd: [b.number] }], { msgId: `MSG-${hex(4)}` }));
	assert.deepEqual(overlap.statement.entries, { in_file: 3, new: 1, already_imported: 2, skipped: 0 });
	assert.equal(overlap.entries.length, 1);
	assert.equal(overlap.entries[0].invoice_id, b.id);
	assert.equal((await paymentsOf(a.id)).length, 1);
	assert.equal((await paymentsOf(b.id)).length, 1);
});

test('the same statement imported twice at the same time books once: one import brings the entries, the other finds them known', async () => {
	const invs = [await issue(5500), await issue(5600)];
	const xml = statement(invs.map((inv) => ({ amount: inv.open_cents, ustrd: [inv.number] })));
	const [r1, r2] = await Promise.all([postStatement(w.coopA, xml), postStatement(w.coopA, xml)]);
	assert.equal(r1.status, 201, r1.text);
	assert.equal(r2.status, 201, r2.text);
	assert.deepEqual([r1.json.entries.new, r2.json.entries.new].sort(), [0, 2]);
	assert.deepEqual([r1.json.entries.already_imported, r2.json.entries.already_imported].sort(), [0, 2]);
	for (const inv of invs) assert.equal((await paymentsOf(inv.id)).length, 1);
});

test('Idempotency-Key: a retry replays the first 201 (Idempotent-Replayed) without a second import; the same key with another file is 422 idempotency_key_reused', async () => {
	const inv = await issue(5300);
	const xml = statement([{ amount: inv.open_cents, ustrd: [inv.number] }]);
	const key = `imp-${hex(6)}`;
	const before = await countsOf(w.coopA);
	const r1 = await postStatement(w.coopA, xml, { headers: { 'idempotency-key': key } });
	assert.equal(r1.status, 201, r1.text);
	const r2 = await postStatement(w.coopA, xml, { headers: { 'idempotency-key': key } });
	assert.equal(r2.status, 201, r2.text);
	assert.equal(r2.headers.get('idempotent-replayed'), 'true');
	assert.deepEqual(r2.json, r1.json);
	assert.equal(r2.headers.get('location'), r1.headers.get('location'));
	const after = await countsOf(w.coopA);
	assert.equal(after.statements, before.statements + 1);
	assertProblem(await postStatement(w.coopA, statement([]), { headers: { 'idempotency-key': key } }), 422, 'idempotency_key_reused');
});

// ---------------------------------------------------------------------------------------------
// Refusals: nothing imported.
test('refused with 422 and nothing imported or booked: another account, another currency, malformed, truncated, a DTD, another message, a statement that does not add up, an empty body; 415 for JSON; 413 above COOPD_BANK_STATEMENT_LIMIT', async () => {
	const inv = await issue(5400);
	const good = [{ amount: inv.open_cents, ustrd: [inv.number] }];
	const before = await countsOf(w.coopA);
	const fixture = (name) => fs.readFileSync(path.join(ROOT, 'tests/fixtures/camt', name), 'utf8');
	const xml = statement(good);
	const cases = [
		['statement_other_account', statement(good, { iban: INV_IDS.iban2 })],
		['statement_currency', statement([{ ...good[0], ccy: 'USD' }])],
		['statement_currency', statement(good, { ccy: 'USD' })],
		['statement_malformed', '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'],
		['statement_unsupported', '<Document><BkToCstmrStmt/></Document>'],
		['statement_malformed', xml.slice(0, Math.floor(xml.length * 0.7))],
		['statement_malformed', fixture('dtd-entities.xml')],
		['statement_malformed', 'not xml at all'],
		['statement_malformed', ''],
		['statement_unsupported', fixture('camt054.xml')],
		['statement_unsupported', xml.replace('camt.053.001.02', 'camt.053.001.08')],
		['statement_balance_mismatch', statement(good, { closing: 1 })],
		['statement_invalid', xml.replace(`<Amt Ccy="EUR">${euros(inv.open_cents)}</Amt>`, '<Amt Ccy="EUR">12,50</Amt>')],
		['statement_too_large', statement(good).replace('<BkToCstmrStmt>', `<BkToCstmrStmt>${'<X>'.repeat(40)}${'</X>'.repeat(40)}`)],
	];
	for (const [code, body] of cases) {
		const r = await postStatement(w.coopA, body);
		assertProblem(r, 422, code);
	}
	// another account's statement names nobody's data in the answer
	const other = await postStatement(w.coopA, statement(good, { iban: INV_IDS.iban2 }));
	assert.ok(!other.text.includes(INV_IDS.iban2), 'the other IBAN is not quoted');

	const asJson = await srv.api('POST', statementsPath(w.coopA), { token: w.admin, body: { statements: [] } });
	assertProblem(asJson, 415, 'unsupported_media_type');
	assertProblem(await postStatement(w.coopA, xml, { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
	const textXml = await postStatement(w.coopA, statement([]), { headers: { 'content-type': 'text/xml; charset=utf-8' } });
	assert.equal(textXml.status, 201, 'text/xml is an XML body too');

	const many = Array.from({ length: 900 }, (_, i) => ({ amount: 100 + i, ustrd: [`Betaling ${'x'.repeat(100)}`] }));
	const huge = statement(many);
	assert.ok(huge.length > 262144, `${huge.length} bytes`);
	assertProblem(await postStatement(w.coopA, huge), 413, 'payload_too_large');

	const after = await countsOf(w.coopA);
	assert.deepEqual(after, { ...before, statements: before.statements + 1 }, 'only the text/xml import was made');
	assert.equal((await getInvoice(inv.id)).paid_cents, 0);
});

test('a cooperative without an IBAN cannot import: 422 cooperative_without_iban', async () => {
	const coop = await invCreate(srv, w.admin, '/v1/cooperatives', coopBody());
	assert.equal(coop.iban, null);
	assertProblem(await postStatement(coop.id, statement([{ amount: 100, ustrd: ['x'] }])), 422, 'cooperative_without_iban');
});

// ---------------------------------------------------------------------------------------------
// Payouts.
/** A member of coopId with an IBAN and a balance of at least net (an invoice paid in full). */
async function fundedMember(coopId, customer, net) {
	const m = await invMember(srv, w.admin, coopId, w.muni, { iban: IBANS.jansen });
	const inv = await issue(net, { coopId, member: m.id, customer });
	const r = await srv.api('POST', `/v1/invoices/${inv.id}/payments`, { token: w.admin, body: { amount_cents: inv.open_cents, received_on: TODAY, method: 'bank' } });
	assert.equal(r.status, 201, r.text);
	return m;
}

async function payout(coopId, transfers) {
	const r = await srv.api('POST', `/v1/cooperatives/${coopId}/payouts`, { token: w.admin, body: { transfers } });
	assert.equal(r.status, 201, r.text);
	return r.json;
}

test('a debit with a payout batch\'s message id and total executes the payout (executed_on, ETag 3) and matches the entry; an executed payout cannot be cancelled (409 payout_executed); the same debit again stays unmatched (payout_already_executed)', async () => {
	const m1 = await fundedMember(w.coopA, w.custNL, 30000);
	const m2 = await fundedMember(w.coopA, w.custNL, 40000);
	const p = await payout(w.coopA, [{ member_id: m1.id, amount_cents: 20000 }, { member_id: m2.id, amount_cents: 35075 }]);
	assert.equal(p.executed_on, null);
	const batch = {
		amount: -p.total_cents,
		batch: p.message_id,
		txs: p.transfers.map((t) => ({ e2e: t.end_to_end_id, msgId: p.message_id, amount: t.amount_cents, name: t.name, iban: t.iban, ustrd: [t.description] })),
	};
	const { entries } = await importStatement(w.coopA, statement([batch]));
	const e = entries[0];
	assert.equal(e.status, 'matched', JSON.stringify(e));
	assert.equal(e.match_rule, 'payout_batch');
	assert.equal(e.payout_id, p.id);
	assert.equal(e.direction, 'debit');
	assert.equal(e.amount_cents, -p.total_cents);
	assert.deepEqual(e.batch_references, [p.message_id]);
	assert.deepEqual(e.end_to_end_ids, p.transfers.map((t) => t.end_to_end_id));
	assert.equal(e.transaction_count, 2);
	assert.equal(e.counterparty_name, null);
	const g = await srv.api('GET', `/v1/payouts/${p.id}`, { token: w.admin });
	assert.equal(g.json.status, 'booked');
	assert.equal(g.json.executed_on, TODAY);
	assert.equal(g.headers.get('etag'), '"3"');
	assertProblem(await srv.api('POST', `/v1/payouts/${p.id}/cancel`, { token: w.admin, body: { reason: 'te laat' } }), 409, 'payout_executed');
	const ev = await assertAudited(srv, w.admin, { chain: w.coopA, objectId: p.id, action: 'payout.execute', actorRole: 'platform_admin' });
	assert.deepEqual(ev.changes, { executed_on: TODAY, bank_entry_id: e.id });
	const again = await importStatement(w.coopA, statement([{ ...batch }]));
	assert.equal(again.entries[0].unmatched_reason, 'payout_already_executed');
	// the database keeps the rule too
	await assert.rejects(env.sql(`update payouts set status = 'cancelled', cancelled_at = now(), cancel_reason = 'x' where id = '${p.id}'`), /a payout changes only once/);
	await assert.rejects(env.sql(`update payouts set executed_on = executed_on + 1 where id = '${p.id}'`), /a payout changes only once/);
});

test('a payout the bank books transfer by transfer is executed when its last transfer is matched; a debit of another amount (amount_differs), of a cancelled payout (payout_cancelled) or of nothing known (no_candidate) stays unmatched', async () => {
	const m1 = await fundedMember(w.coopA, w.custNL, 10000);
	const m2 = await fundedMember(w.coopA, w.custNL, 10000);
	const p = await payout(w.coopA, [{ member_id: m1.id, amount_cents: 3000 }, { member_id: m2.id, amount_cents: 4000 }]);
	const [t1, t2] = p.transfers;
	const one = await importStatement(w.coopA, statement([{ amount: -t1.amount_cents, e2e: t1.end_to_end_id, name: t1.name, iban: t1.iban }]));
	assert.equal(one.entries[0].match_rule, 'payout_transfers');
	assert.equal(one.entries[0].payout_id, p.id);
	assert.equal((await srv.api('GET', `/v1/payouts/${p.id}`, { token: w.admin })).json.executed_on, null, 'one of two transfers');
	assertProblem(await srv.api('POST', `/v1/payouts/${p.id}/cancel`, { token: w.admin, body: { reason: 'x' } }), 409, 'payout_executed');
	const two = await importStatement(w.coopA, statement([
		{ amount: -(t2.amount_cents + 1), e2e: t2.end_to_end_id },
		{ amount: -t2.amount_cents, e2e: t2.end_to_end_id, booking: TODAY },
	]));
	assert.deepEqual(two.entries.map((e) => [e.status, e.unmatched_reason]), [['unmatched', 'amount_differs'], ['matched', null]]);
	assert.equal((await srv.api('GET', `/v1/payouts/${p.id}`, { token: w.admin })).json.executed_on, TODAY);
	await assertAudited(srv, w.admin, { chain: w.coopA, objectId: p.id, action: 'payout.execute' });

	const m3 = await fundedMember(w.coopA, w.custNL, 10000);
	const cancelled = await payout(w.coopA, [{ member_id: m3.id, amount_cents: 2500 }]);
	const c = await srv.api('POST', `/v1/payouts/${cancelled.id}/cancel`, { token: w.admin, body: { reason: 'niet aangeboden' } });
	assert.equal(c.status, 200, c.text);
	const rest = await importStatement(w.coopA, statement([
		{ amount: -2500, batch: cancelled.message_id, txs: [{ e2e: cancelled.transfers[0].end_to_end_id }] },
		{ amount: -1250, noDetails: true, addtl: 'Kosten betalingsverkeer' },
		{ amount: -5000, e2e: `ONBEKEND-${hex(3)}`, name: 'Verhuurder', iban: IBANS.other, ustrd: ['Huur december'] },
	]));
	assert.deepEqual(rest.entries.map((e) => e.unmatched_reason), ['payout_cancelled', 'no_candidate', 'no_candidate']);
	assert.equal((await srv.api('GET', `/v1/payouts/${cancelled.id}`, { token: w.admin })).json.executed_on, null);
});

// ---------------------------------------------------------------------------------------------
// Decisions.
test('POST assign books the entry on the invoice chosen (match_rule assigned, decided_by, decided_at) and learns the IBAN; assigning again is 409 bank_entry_matched; a stale If-Match is 412; audited as bank_entry.assign', async () => {
	const cust = (await invCustomer(srv, w.admin, w.coopA, { name: `Bouwbedrijf ${hex(2)}` })).id;
	const iban = 'NL98INGB1234567890';
	const inv = await issue(6100, { customer: cust });
	const later = await issue(6200, { customer: cust });
	const { entries } = await importStatement(w.coopA, statement([{ amount: inv.open_cents, iban, ustrd: ['Zie bijlage'] }]));
	const e = entries[0];
	assert.equal(e.unmatched_reason, 'no_candidate');
	const g = await getEntry(e.id, w.auditorA.token);
	assert.equal(g.status, 200);
	assert.equal(g.headers.get('etag'), '"1"');
	assertProblem(await srv.api('POST', `/v1/bank-entries/${e.id}/assign`, { token: w.bookkeeperA.token, body: { invoice_id: inv.id }, headers: { 'if-match': '"2"' } }), 412, 'precondition_failed');
	const r = await srv.api('POST', `/v1/bank-entries/${e.id}/assign`, { token: w.bookkeeperA.token, body: { invoice_id: inv.id }, headers: { 'if-match': '"1"' } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.headers.get('etag'), '"2"');
	assertKeys(r.json, ENTRY_KEYS, 'BankEntry');
	assert.equal(r.json.status, 'matched');
	assert.equal(r.json.match_rule, 'assigned');
	assert.equal(r.json.invoice_id, inv.id);
	assert.equal(r.json.decided_by, w.bookkeeperA.user.id);
	assert.match(r.json.decided_at, RFC3339_UTC);
	const pays = await paymentsOf(inv.id);
	assert.equal(pays.length, 1);
	assert.equal(r.json.payment_id, pays[0].id);
	assert.equal(pays[0].reference, e.reference);
	assert.equal((await getInvoice(inv.id)).status, 'paid');
	assertProblem(await srv.api('POST', `/v1/bank-entries/${e.id}/assign`, { token: w.bookkeeperA.token, body: { invoice_id: later.id } }), 409, 'bank_entry_matched');
	assertProblem(await srv.api('POST', `/v1/bank-entries/${e.id}/dismiss`, { token: w.bookkeeperA.token, body: { reason: 'x' } }), 409, 'bank_entry_matched');
	await assertAudited(srv, w.admin, { chain: w.coopA, objectId: e.id, action: 'bank_entry.assign', actorRole: 'bookkeeper' });
	await assertAudited(srv, w.admin, { chain: w.coopA, objectId: pays[0].id, action: 'payment.create', actorRole: 'bookkeeper' });
	// the IBAN is now known for the customer: the next payment of the exact amount is matched
	const next = await importStatement(w.coopA, statement([{ amount: later.open_cents, iban, ustrd: ['Zie bijlage'] }]));
	assert.equal(next.entries[0].match_rule, 'amount_and_account');
	assert.equal(next.entries[0].invoice_id, later.id);
});

test('assign refuses: an invoice of another cooperative or none (422 invalid_reference), more than is open (422 overpayment), a draft (409 invoice_not_issued), money in on a credit note (422 bank_entry_direction); a debit assigned to a credit note books a refund', async () => {
	const inv = await issue(6300);
	const foreign = await issue(6300, { coopId: w.coopB, member: w.memberB, customer: w.custB });
	const draft = (await srv.api('POST', `/v1/cooperatives/${w.coopA}/invoices`, { token: w.admin, body: { member_id: w.memberA, customer_id: w.custNL, supply_date: TODAY, lines: [line(100)] } })).json;
	const paid = await issue(6400);
	await srv.api('POST', `/v1/invoices/${paid.id}/payments`, { token: w.admin, body: { amount_cents: paid.open_cents, received_on: TODAY, method: 'bank' } });
	const cn = await srv.api('POST', `/v1/invoices/${paid.id}/credit-notes`, { token: w.admin, body: { reason: 'Dubbel gefactureerd' } });
	assert.equal(cn.status, 201, cn.text);
	const { entries } = await importStatement(w.coopA, statement([
		{ amount: inv.open_cents + 1, ustrd: ['geen nummer'] },
		{ amount: -paid.open_cents, ustrd: ['Terugbetaling'], iban: IBANS.linde },
	]));
	const [credit, debit] = entries;
	const assign = (id, invoiceId) => srv.api('POST', `/v1/bank-entries/${id}/assign`, { token: w.admin, body: { invoice_id: invoiceId } });
	assertProblem(await assign(credit.id, foreign.id), 422, 'invalid_reference', { field: 'invoice_id', fieldCode: 'invalid_reference' });
	assertProblem(await assign(credit.id, uuid()), 422, 'invalid_reference', { field: 'invoice_id' });
	assertProblem(await assign(credit.id, inv.id), 422, 'overpayment');
	assertProblem(await assign(credit.id, draft.id), 409, 'invoice_not_issued');
	assertProblem(await assign(credit.id, cn.json.id), 422, 'bank_entry_direction');
	assertProblem(await assign(debit.id, inv.id), 422, 'bank_entry_direction');
	assertProblem(await srv.api('POST', `/v1/bank-entries/${credit.id}/assign`, { token: w.admin, body: {} }), 422, 'validation_failed', { field: 'invoice_id', fieldCode: 'required' });
	assert.equal((await getEntry(credit.id)).json.status, 'unmatched', 'the refused calls changed nothing');
	const refund = await assign(debit.id, cn.json.id);
	assert.equal(refund.status, 200, refund.text);
	const refunds = await paymentsOf(cn.json.id);
	assert.equal(refunds.length, 1);
	assert.equal(refunds[0].amount_cents, debit.amount_cents);
});

test('POST dismiss keeps the reason (decided_by, decided_at); dismissing or assigning it again is 409 bank_entry_dismissed; a reason is required; audited as bank_entry.dismiss', async () => {
	const { entries } = await importStatement(w.coopA, statement([{ amount: -1500, noDetails: true, addtl: 'Kosten betalingsverkeer' }]));
	const e = entries[0];
	assertProblem(await srv.api('POST', `/v1/bank-entries/${e.id}/dismiss`, { token: w.admin, body: {} }), 422, 'validation_failed', { field: 'reason', fieldCode: 'required' });
	const r = await srv.api('POST', `/v1/bank-entries/${e.id}/dismiss`, { token: w.coopAdminA.token, body: { reason: 'Bankkosten, geboekt als collectieve kosten' } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'dismissed');
	assert.equal(r.json.dismiss_reason, 'Bankkosten, geboekt als collectieve kosten');
	assert.equal(r.json.unmatched_reason, 'no_candidate');
	assert.equal(r.json.decided_by, w.coopAdminA.user.id);
	assertProblem(await srv.api('POST', `/v1/bank-entries/${e.id}/dismiss`, { token: w.admin, body: { reason: 'nogmaals' } }), 409, 'bank_entry_dismissed');
	const inv = await issue(100);
	assertProblem(await srv.api('POST', `/v1/bank-entries/${e.id}/assign`, { token: w.admin, body: { invoice_id: inv.id } }), 409, 'bank_entry_dismissed');
	await assertAudited(srv, w.admin, { chain: w.coopA, objectId: e.id, action: 'bank_entry.dismiss', actorRole: 'coop_admin' });
	// the database keeps an entry as the bank said it, and a decided one as decided
	await assert.rejects(env.sql(`update bank_entries set amount_cents = 1 where id = '${e.id}'`), /changes only while unmatched/);
	await assert.rejects(env.sql(`delete from bank_entries where id = '${e.id}'`), /changes only while unmatched/);
	await assert.rejects(env.sql(`update bank_statements set message_id = 'x' where id = '${e.statement_id}'`), /never changes/);
});

// ---------------------------------------------------------------------------------------------
// Lists, reads, scope, audit.
test('GET bank-entries: by status and by import, cursor pages in import order, CSV with its header row; GET bank-statements: the imports with live counts; GET one with an ETag and If-None-Match 304', async () => {
	const inv = await issue(7100);
	const { statement: s, entries } = await importStatement(w.coopA, statement([
		{ amount: inv.open_cents, ustrd: [inv.number] },
		{ amount: 111, ustrd: ['a'] },
		{ amount: 222, ustrd: ['b'] },
	]));
	const unmatched = await listAll(srv, w.auditorA.token, `${entriesPath(w.coopA)}?status=unmatched&statement_id=${s.id}`, 1);
	assert.deepEqual(unmatched.map((e) => e.amount_cents), [111, 222]);
	const matched = await listAll(srv, w.auditorA.token, `${entriesPath(w.coopA)}?status=matched&statement_id=${s.id}`, 1);
	assert.deepEqual(matched.map((e) => e.id), [entries[0].id]);
	assertProblem(await srv.api('GET', `${entriesPath(w.coopA)}?status=open`, { token: w.admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', `${entriesPath(w.coopA)}?statement_id=nope`, { token: w.admin }), 400, 'invalid_parameter');

	const csv = await srv.api('GET', `${entriesPath(w.coopA)}?statement_id=${s.id}`, { token: w.admin, headers: { accept: 'text/csv' } });
	assert.equal(csv.status, 200);
	assert.match(csv.headers.get('content-type'), /^text\/csv/);
	const rows = csvRows(csv.text);
	assert.deepEqual(rows[0].slice(0, 3), ['id', 'statement_id', 'reference']);
	assert.equal(rows.length, 4);
	assert.equal(rows[1][0], entries[0].id);

	// the dismissal of one entry changes the import's counts and ETag
	const g1 = await srv.api('GET', `/v1/bank-statements/${s.id}`, { token: w.auditorA.token });
	assert.equal(g1.status, 200);
	assert.equal(g1.headers.get('etag'), '"1"');
	assert.equal((await srv.api('GET', `/v1/bank-statements/${s.id}`, { token: w.admin, headers: { 'if-none-match': '"1"' } })).status, 304);
	await srv.api('POST', `/v1/bank-entries/${entries[1].id}/dismiss`, { token: w.admin, body: { reason: 'Gift' } });
	const g2 = await srv.api('GET', `/v1/bank-statements/${s.id}`, { token: w.admin });
	assert.equal(g2.headers.get('etag'), '"2"');
	assert.deepEqual(g2.json.unmatched, { count: 1, credits_cents: 222, debits_cents: 0 });
	assert.deepEqual(g2.json.dismissed, { count: 1, credits_cents: 111, debits_cents: 0 });
	const all = await listAll(srv, w.admin, statementsPath(w.coopA), 3);
	assert.equal(all.at(-1).id, s.id, 'imports oldest first');
	assert.deepEqual(all.at(-1), g2.json);
	assert.equal((await getEntry(entries[1].id)).headers.get('etag'), '"2"');
});

test('scope and roles: another cooperative\'s bookkeeper gets 404 for the import, the imports, the entries and their decisions; a member or a municipality gets 403; an auditor reads but may not import or decide (403)', async () => {
	const { statement: s, entries } = await importStatement(w.coopA, statement([{ amount: 333, ustrd: ['x'] }]));
	const e = entries[0];
	const bB = w.bookkeeperB.token;
	assertProblem(await postStatement(w.coopA, statement([{ amount: 1, ustrd: ['y'] }]), { token: bB }), 404, 'not_found');
	assertProblem(await srv.api('GET', statementsPath(w.coopA), { token: bB }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/bank-statements/${s.id}`, { token: bB }), 404, 'not_found');
	assertProblem(await srv.api('GET', entriesPath(w.coopA), { token: bB }), 404, 'not_found');
	assertProblem(await getEntry(e.id, bB), 404, 'not_found');
	assertProblem(await srv.api('POST', `/v1/bank-entries/${e.id}/dismiss`, { token: bB, body: { reason: 'x' } }), 404, 'not_found');
	assertProblem(await srv.api('POST', `/v1/bank-entries/${e.id}/assign`, { token: bB, body: { invoice_id: uuid() } }), 404, 'not_found');
	for (const token of [w.memberUserA.token, w.municipalityUser.token]) {
		assertProblem(await srv.api('GET', entriesPath(w.coopA), { token }), 403, 'forbidden');
		assertProblem(await getEntry(e.id, token), 403, 'forbidden');
		assertProblem(await postStatement(w.coopA, statement([]), { token }), 403, 'forbidden');
	}
	assertProblem(await postStatement(w.coopA, statement([]), { token: w.auditorA.token }), 403, 'forbidden');
	assertProblem(await srv.api('POST', `/v1/bank-entries/${e.id}/dismiss`, { token: w.auditorA.token, body: { reason: 'x' } }), 403, 'forbidden');
	assert.equal((await srv.api('GET', entriesPath(w.coopA), { token: w.auditorA.token })).status, 200);
	assertProblem(await getEntry(uuid()), 404, 'not_found');
	assert.equal((await getEntry(e.id)).json.status, 'unmatched', 'nothing was decided');
});

test('an import is audited as bank_statement.import with its ids and counts, never the entries\' names, IBANs or texts', async () => {
	const { statement: s } = await importStatement(w.coopA, statement([{ amount: 444, name: 'Geheime Naam', iban: IBANS.other, ustrd: ['Geheime omschrijving'] }]));
	await assertAudited(srv, w.admin, { chain: w.coopA, objectId: s.id, action: 'bank_statement.import', actorRole: 'platform_admin' });
	const [ev] = await invAudit(srv, w.admin, w.coopA, s.id, 'bank_statement.import');
	const text = JSON.stringify(ev.changes);
	assert.deepEqual(ev.changes.entries, s.entries);
	assert.equal(ev.changes.message_id, s.message_id);
	for (const secret of ['Geheime', IBANS.other]) assert.ok(!text.includes(secret), `the event holds ${secret}`);
});

// ---------------------------------------------------------------------------------------------
// The bank styles of the fixtures, end to end.
test('the Rabobank, ING, AddtlNtryInf-only and payout-batch statements of tests/fixtures/camt import as written: every invoice they name is paid, the rest unmatched; the finances\' identity holds', async () => {
	const { coop, member, customer } = await invSmallCoop(srv, w.admin, w.muni, { member: { iban: IBANS.jansen } });
	const nets = [10000, 5000, 2500, 4000, 8000, 5000, 18595];
	const invs = [];
	for (const net of nets) invs.push(await issue(net, { coopId: coop.id, member: member.id, customer: customer.id }));
	assert.deepEqual(invs.map((i) => i.open_cents), [12100, 6050, 3025, 4840, 9680, 6050, 22500]);
	assert.ok(invs.every((i, k) => i.number.endsWith(`-0000${k + 1}`)));
	const prefix = coop.invoice_prefix;
	const load = (name) =>
		fs
			.readFileSync(path.join(ROOT, 'tests/fixtures/camt', name), 'utf8')
			.replaceAll('WERK', prefix)
			.replaceAll('werk', prefix.toLowerCase())
			.replaceAll('2026', YEAR);

	const rabo = await importStatement(coop.id, load('rabobank.xml'));
	assert.deepEqual(rabo.statement.entries, { in_file: 4, new: 4, already_imported: 0, skipped: 0 });
	assert.deepEqual(rabo.entries.map((e) => [e.status, e.match_rule, e.unmatched_reason]), [
		['matched', 'invoice_number', null],
		['matched', 'invoice_number', null],
		['matched', 'invoice_number', null],
		['unmatched', null, 'no_candidate'],
	]);
	assert.equal(rabo.statement.closing_balance_cents, 119925);

	// ING: the number cut over two lines, an end-to-end id, a pending entry, a payment of the
	// exact open amount from the account that paid invoice 1, a reversal
	const ing = await importStatement(coop.id, load('ing.xml'));
	assert.deepEqual(ing.statement.entries, { in_file: 5, new: 4, already_imported: 0, skipped: 1 });
	assert.deepEqual(ing.entries.map((e) => [e.status, e.match_rule, e.unmatched_reason]), [
		['matched', 'invoice_number', null],
		['matched', 'end_to_end_id', null],
		['matched', 'amount_and_account', null],
		['unmatched', null, 'reversal'],
	]);
	assert.equal(ing.entries[2].invoice_id, invs[6].id);
	assert.equal(ing.statement.from_date, `${YEAR}-11-25`);

	const addtl = await importStatement(coop.id, load('addtl-info.xml'));
	assert.equal(addtl.entries[0].invoice_id, invs[5].id);
	assert.match(addtl.entries[0].reference, /^H[0-9a-f]{64}$/);
	assert.equal(addtl.entries[0].booking_date, `${YEAR}-11-26`);

	for (const inv of invs) assert.equal((await getInvoice(inv.id)).status, 'paid', inv.number);

	// the payout batch: the fixture's message id is the payout's
	const m2 = await invMember(srv, w.admin, coop.id, w.muni, { iban: IBANS.other });
	const inv2 = await issue(40000, { coopId: coop.id, member: m2.id, customer: customer.id });
	await srv.api('POST', `/v1/invoices/${inv2.id}/payments`, { token: w.admin, body: { amount_cents: inv2.open_cents, received_on: TODAY, method: 'bank' } });
	const p = await payout(coop.id, [{ member_id: member.id, amount_cents: 20000 }, { member_id: m2.id, amount_cents: 35075 }]);
	const batch = load('payout-batch.xml').replaceAll(`${prefix}-U000001`, p.message_id);
	const paid = await importStatement(coop.id, batch);
	assert.equal(paid.entries[0].match_rule, 'payout_batch');
	assert.equal((await srv.api('GET', `/v1/payouts/${p.id}`, { token: w.admin })).json.executed_on, `${YEAR}-12-08`);

	// again, all of them: nothing new
	for (const name of ['rabobank.xml', 'ing.xml', 'addtl-info.xml']) {
		const again = await importStatement(coop.id, load(name));
		assert.equal(again.statement.entries.new, 0, name);
	}
	for (const inv of invs) assert.equal((await paymentsOf(inv.id)).length, 1, inv.number);
	const f = await assertIdentity(coop.id);
	assert.ok(f.payments_received_cents >= nets.reduce((s, n) => s + grossOf(n), 0), JSON.stringify(f));
	await assertIdentity(w.coopA);
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
