// The audit file (issue 14, XAF 3.2): GET /v1/cooperatives/{id}/auditfile?year= — a year of a
// cooperative's books as an XML Auditfile Financieel. A year is built through the API (invoices
// at several VAT rates and reverse charge, a credit note, payments by bank and in cash, a refund,
// fees of a finalized and corrected month, an approved expense, collective costs of this year
// and last, payouts, one cancelled), and the file is checked: valid against the XAF 3.2 schema
// (xmllint), every transaction, journal and the whole balanced, the header's counts and totals
// the sums of its lines, the balances equal to GET .../finances of the same year, the turnover
// and VAT of each quarter equal to GET .../vat-returns, the opening balance the closing balance
// of the year before, names in any script intact; an empty year is still a valid file; scope,
// roles and bad years; and coopd's memory stays flat while it streams a large year (bulk data
// made with the real SQL functions through psql).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
	setup, ROOT, run, contractCheck, lit, assertProblem, listAll, nlDate, addDays, hex, quarterOf, SANITIZED, INV_IDS,
	invWorld, invCooperative, invMember, invCustomer, invLine, invIssued, invCreate,
} from './harness.mjs';

let env;
let srv;
let w;

before(async () => {
	env = await setup({ env: { COOPD_DB_TIMEOUT_MS: '15000' } });
	srv = env.srv;
	w = await invWorld(srv);
});
after(() => srv?.kill());

const TODAY = nlDate();
const YEAR = Number(TODAY.slice(0, 4));
/** The last day of the previous month and that month ("YYYY-MM"): a month that has ended. */
const LAST_MONTH_END = addDays(`${TODAY.slice(0, 7)}-01`, -1);
const LAST_MONTH = LAST_MONTH_END.slice(0, 7);
const inLastMonth = (day) => `${LAST_MONTH}-${String(day).padStart(2, '0')}`;

const XAF_XSD = process.env.XAF_XSD || path.join(ROOT, '..', 'shared/validators/xaf/XmlAuditfileFinancieel3.2.xsd');
const NS = 'http://www.auditfiles.nl/XAF/3.2';
const sum = (xs, f = (x) => x) => xs.reduce((s, x) => s + f(x), 0);
/** -x without -0 (strict assertions tell 0 and -0 apart). */
const neg = (x) => 0 - x;

// ---------------------------------------------------------------------------------------------
// Reading the file: a small XML reader (elements, text, the five entities and character
// references; the declaration; attributes only as text), enough for what coopd writes. xmllint
// checks well-formedness and the schema; this gives the tests a tree to add up.
const decode = (s) => s
	.replace(/&#x([0-9a-fA-F]+);/g, (_, h) => String.fromCodePoint(parseInt(h, 16)))
	.replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
	.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

function parseXml(xml) {
	const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
	assert.ok(decl, `the file starts with the XML declaration: ${xml.slice(0, 80)}`);
	const doc = { name: '#document', attrs: '', children: [], text: '' };
	const stack = [doc];
	const re = /<(\/?)([A-Za-z_][\w.-]*)([^>]*?)(\/?)>|([^<]+)/gy;
	re.lastIndex = decl[0].length;
	while (re.lastIndex < xml.length) {
		const m = re.exec(xml);
		assert.ok(m, `unreadable XML at ${re.lastIndex}: ${xml.slice(re.lastIndex, re.lastIndex + 80)}`);
		const top = stack[stack.length - 1];
		if (m[5] !== undefined) {
			top.text += decode(m[5]);
		} else if (m[1]) {
			assert.equal(m[2], top.name, `</${m[2]}> closes <${top.name}>`);
			stack.pop();
		} else {
			const node = { name: m[2], attrs: m[3], children: [], text: '' };
			top.children.push(node);
			if (!m[4]) stack.push(node);
		}
	}
	assert.equal(stack.length, 1, 'every element is closed');
	assert.equal(doc.children.length, 1, 'one root element');
	return doc.children[0];
}
const kids = (n, name) => n.children.filter((c) => c.name === name);
const kid = (n, name) => {
	const all = kids(n, name);
	assert.ok(all.length <= 1, `at most one <${name}> in <${n.name}>`);
	return all[0];
};
/** The text of the child element name, or undefined. */
const val = (n, name) => kid(n, name)?.text;
/** "1234.05" → 123405 (integer arithmetic, no floating point). */
function cents(s) {
	const m = /^(\d+)\.(\d{2})$/.exec(s ?? '');
	assert.ok(m, `an amount with two decimals: ${s}`);
	return Number(m[1]) * 100 + Number(m[2]);
}
/** A line's amount, debit positive. */
const signed = (n) => (val(n, 'amntTp') === 'C' ? neg : (x) => x)(cents(val(n, 'amnt')));

/** The file as the tests use it: {xml, root, company, journals: [{id, type, transactions: [{nr, date, period, desc, amount, lines: [{acc, amount, ...}]}]}], ...}. */
function readFile(xml) {
	const root = parseXml(xml);
	assert.equal(root.name, 'auditfile');
	assert.match(root.attrs, new RegExp(`xmlns="${NS.replace(/\./g, '\\.')}"`));
	const company = kid(root, 'company');
	const tx = kid(company, 'transactions');
	const journals = kids(tx, 'journal').map((j) => ({
		id: val(j, 'jrnID'),
		type: val(j, 'jrnTp'),
		desc: val(j, 'desc'),
		transactions: kids(j, 'transaction').map((t) => ({
			nr: val(t, 'nr'),
			desc: val(t, 'desc'),
			period: Number(val(t, 'periodNumber')),
			date: val(t, 'trDt'),
			amount: cents(val(t, 'amnt')),
			amountType: val(t, 'amntTp'),
			lines: kids(t, 'trLine').map((l) => ({
				nr: val(l, 'nr'),
				acc: val(l, 'accID'),
				doc: val(l, 'docRef'),
				effDate: val(l, 'effDate'),
				desc: val(l, 'desc'),
				amount: signed(l),
				rel: val(l, 'custSupID'),
				inv: val(l, 'invRef'),
				vat: kid(l, 'vat') && {
					id: val(kid(l, 'vat'), 'vatID'),
					perc: val(kid(l, 'vat'), 'vatPerc'),
					amount: (val(kid(l, 'vat'), 'vatAmntTp') === 'C' ? neg : (x) => x)(cents(val(kid(l, 'vat'), 'vatAmnt'))),
				},
			})),
		})),
	}));
	const ob = kid(company, 'openingBalance');
	return {
		xml,
		root,
		header: kid(root, 'header'),
		company,
		relations: kids(kid(company, 'customersSuppliers'), 'customerSupplier'),
		accounts: kids(kid(company, 'generalLedger'), 'ledgerAccount'),
		vatCodes: kids(kid(company, 'vatCodes'), 'vatCode'),
		periods: kids(kid(company, 'periods'), 'period'),
		opening: ob && {
			node: ob,
			date: val(ob, 'opBalDate'),
			count: Number(val(ob, 'linesCount')),
			debit: cents(val(ob, 'totalDebit')),
			credit: cents(val(ob, 'totalCredit')),
			lines: kids(ob, 'obLine').map((l) => ({ acc: val(l, 'accID'), amount: signed(l) })),
		},
		totals: { count: Number(val(tx, 'linesCount')), debit: cents(val(tx, 'totalDebit')), credit: cents(val(tx, 'totalCredit')) },
		journals,
		lines: journals.flatMap((j) => j.transactions.flatMap((t) => t.lines.map((l) => ({ ...l, journal: j.id, tr: t })))),
	};
}

/** Per account: the sum of the lines (debit positive), of lines passing keep. */
function movements(f, keep = () => true) {
	const m = {};
	for (const l of f.lines) if (keep(l)) m[l.acc] = (m[l.acc] ?? 0) + l.amount;
	return m;
}
const mv = (m, acc) => m[acc] ?? 0;

/** Validates an audit file against the XAF 3.2 schema with xmllint (skipped, loudly, without it). */
async function assertSchemaValid(t, xml) {
	if (!fs.existsSync(XAF_XSD)) {
		const msg = `XAF schema validation skipped: ${XAF_XSD} does not exist (set XAF_XSD)`;
		t.diagnostic(msg);
		console.log(msg);
		return false;
	}
	const file = path.join(os.tmpdir(), `auditfile-${process.pid}-${hex(4)}.xaf`);
	fs.writeFileSync(file, xml);
	try {
		const r = await run('xmllint', ['--noout', '--schema', XAF_XSD, file], { timeout: 120000 });
		assert.equal(r.code, 0, `xmllint --schema XmlAuditfileFinancieel3.2.xsd: ${r.stderr.slice(0, 3000)}`);
	} finally {
		fs.rmSync(file, { force: true });
	}
	return true;
}

/** Every transaction balances, every journal, and the whole; the header counts and totals are the lines'. */
function assertBalanced(f) {
	let debit = 0;
	let credit = 0;
	let count = 0;
	for (const j of f.journals) {
		let jd = 0;
		let jc = 0;
		const nrs = new Set();
		for (const t of j.transactions) {
			assert.ok(!nrs.has(t.nr), `transaction nr ${t.nr} is unique in journal ${j.id}`);
			nrs.add(t.nr);
			const d = sum(t.lines.filter((l) => l.amount > 0), (l) => l.amount);
			const c = neg(sum(t.lines.filter((l) => l.amount < 0), (l) => l.amount));
			assert.equal(d, c, `journal ${j.id} transaction ${t.nr} (${t.desc}): debit ${d} = credit ${c}: ${JSON.stringify(t.lines)}`);
			assert.equal(t.amount, d, `transaction ${t.nr}: amnt is its debit total`);
			assert.equal(t.amountType, 'D');
			assert.equal(t.period, Number(t.date.slice(5, 7)), `transaction ${t.nr}: periodNumber is the month of trDt ${t.date}`);
			t.lines.forEach((l, i) => {
				assert.equal(l.nr, String(i + 1), `transaction ${t.nr}: lines numbered from 1`);
				assert.equal(l.effDate, t.date);
				assert.ok(l.doc, `transaction ${t.nr} line ${l.nr} has a docRef`);
			});
			jd += d;
			jc += c;
			count += t.lines.length;
		}
		assert.equal(jd, jc, `journal ${j.id}: debit = credit`);
		debit += jd;
		credit += jc;
	}
	assert.equal(debit, credit, 'the transactions balance in total');
	assert.deepEqual(f.totals, { count, debit, credit }, 'the header of <transactions> holds the count of the lines and their totals');
	if (f.opening) {
		assert.equal(f.opening.count, f.opening.lines.length);
		assert.equal(f.opening.debit, sum(f.opening.lines.filter((l) => l.amount > 0), (l) => l.amount));
		assert.equal(f.opening.credit, neg(sum(f.opening.lines.filter((l) => l.amount < 0), (l) => l.amount)));
		assert.equal(f.opening.debit, f.opening.credit, 'the opening balance balances');
	}
}

const auditfile = (coopId, query = '', token = w.admin, headers = {}) => srv.api('GET', `/v1/cooperatives/${coopId}/auditfile${query}`, { token, headers, timeoutMs: 120000 });

/** Fetches, asserts 200 with the file's headers, validates against the schema and the sums; returns the read file. */
async function fetchFile(t, coopId, year, token = w.admin) {
	const r = await auditfile(coopId, `?year=${year}`, token);
	assert.equal(r.status, 200, r.text.slice(0, 500));
	assert.equal(r.headers.get('content-type'), 'application/xml; charset=utf-8');
	assert.match(r.headers.get('content-disposition') ?? '', new RegExp(`^attachment; filename="auditfile-\\d{8}-${year}\\.xaf"`));
	assert.equal(r.headers.get('transfer-encoding'), 'chunked', 'the file is streamed');
	await assertSchemaValid(t, r.text);
	const f = readFile(r.text);
	assertBalanced(f);
	return f;
}

// ---------------------------------------------------------------------------------------------
// A year of a cooperative, built through the API.
let world;
function xafWorld() {
	world ??= (async () => {
		const coop = await invCooperative(srv, w.admin, { legal_name: 'Coöperatie De Werkplaats U.A.' });
		await invCreate(srv, w.admin, `/v1/cooperatives/${coop.id}/fee-policies`, { valid_from: '2025-01-01', percentage_bp: 500 });
		const custNL = await invCustomer(srv, w.admin, coop.id, { name: 'Hoveniersbedrijf De Linde & Zn. <B.V.>' });
		const custDE = await invCustomer(srv, w.admin, coop.id, {
			name: 'Gartenbau Schmidt GmbH',
			address: { street: 'Unter den Linden', house_number: '5', postal_code: '10117', city: 'Berlin', country: 'DE' },
			kvk_number: null,
			vat_id: INV_IDS.deVat,
		});
		const custGreek = await invCustomer(srv, w.admin, coop.id, { name: 'Ελληνική Εταιρεία Κήπων Α.Ε. με πολύ μεγάλο όνομα που κόβεται', vat_id: null });
		const custArabic = await invCustomer(srv, w.admin, coop.id, { name: 'شركة الأمل للحدائق', vat_id: null, kvk_number: null });
		const m1 = await invMember(srv, w.admin, coop.id, w.muni, { first_name: 'Fatima', last_name: 'El Amrani', iban: 'NL20INGB0001234567' });
		const m2 = await invMember(srv, w.admin, coop.id, w.muni, { first_name: 'Joëlle', last_name: 'Bakker', iban: 'NL50ABNA0001234567' });
		const m3 = await invMember(srv, w.admin, coop.id, w.muni, { first_name: 'يوسف', last_name: 'Ελευθερίου', iban: 'NL92RABO0001234567' });
		const line = (net, over = {}) => invLine({ description: 'Werkzaamheden', quantity: '1', unit: 'piece', unit_price_cents: net, activity_category: 'gardening', ...over });
		const issue = (member, customer, lines, over = {}) => invIssued(srv, w.admin, coop.id, { member_id: member.id, customer_id: customer.id, lines, supply_date: inLastMonth(5), ...over });
		const pay = async (inv, amount, method = 'bank', reference = undefined) => {
			const body = { amount_cents: amount, received_on: TODAY, method };
			if (reference) body.reference = reference;
			return invCreate(srv, w.admin, `/v1/invoices/${inv.id}/payments`, body);
		};
		// three rates and a zero rate on one invoice, paid in two parts by bank
		const inv1 = await issue(m1, custNL, [line(10000), line(5000, { vat_rate_bp: 900 }), line(3333, { vat_rate_bp: 600 }), line(2000, { vat_category: 'Z', vat_rate_bp: 0 })]);
		await pay(inv1, 10000, 'bank', 'Factuur 1 deel 1');
		await pay(inv1, inv1.totals.gross_cents - 10000);
		// reverse charge to a German business, paid in cash
		const inv2 = await issue(m2, custDE, [line(20000, { vat_category: 'AE', vat_rate_bp: 0 })]);
		await pay(inv2, inv2.totals.gross_cents, 'cash');
		// the Greek customer, paid otherwise; the Arabic customer, paid, then credited and partly refunded
		const inv3 = await issue(m3, custGreek, [line(4321)]);
		await pay(inv3, 1000, 'other');
		const inv4 = await issue(m3, custArabic, [line(20000)], { supply_date: inLastMonth(12) });
		await pay(inv4, inv4.totals.gross_cents);
		// fees: last month finalized, then the credit note, then the correction
		const base = `/v1/cooperatives/${coop.id}/settlements/${LAST_MONTH}`;
		assert.equal((await srv.api('POST', base, { token: w.admin })).status, 200);
		const fin = await srv.api('POST', `${base}/finalize`, { token: w.admin });
		assert.equal(fin.status, 200, fin.text);
		const cn = await invCreate(srv, w.admin, `/v1/invoices/${inv4.id}/credit-notes`, { reason: 'Werk niet geleverd' });
		await pay(cn, -12100, 'bank', 'Terugbetaling');
		const corr = await srv.api('POST', `${base}/corrections`, { token: w.admin, body: { reason: 'Factuur gecrediteerd' } });
		assert.equal(corr.status, 200, corr.text);
		// an approved expense (the member's own cost: no booking of the cooperative)
		const exp = await invCreate(srv, w.admin, `/v1/members/${m1.id}/expenses`, { date: inLastMonth(7), description: 'Snoeischaar', category: 'materials', amount_cents: 2420, vat_cents: 420 });
		assert.equal((await srv.api('POST', `/v1/expenses/${exp.id}/approve`, { token: w.admin })).status, 200);
		// collective costs of this year (one a correction) and of last year
		const costsPath = `/v1/cooperatives/${coop.id}/collective-costs`;
		for (const [date, category, amount] of [[TODAY, 'training', 30000], [TODAY, 'rent', 12000], [TODAY, 'rent', -500], [TODAY, 'insurance', 4500], [`${YEAR - 1}-06-15`, 'other', 1000]]) {
			await invCreate(srv, w.admin, costsPath, { date, category, description: `Kosten ${category} <${date}>`, amount_cents: amount });
		}
		// a payout, and one cancelled
		const payout = await invCreate(srv, w.admin, `/v1/cooperatives/${coop.id}/payouts`, { transfers: [{ member_id: m1.id, amount_cents: 5000 }, { member_id: m2.id, amount_cents: 2000 }] });
		const undone = await invCreate(srv, w.admin, `/v1/cooperatives/${coop.id}/payouts`, { transfers: [{ member_id: m1.id, amount_cents: 3000 }] });
		const c = await srv.api('POST', `/v1/payouts/${undone.id}/cancel`, { token: w.admin, body: { reason: 'Verkeerd bedrag' } });
		assert.equal(c.status, 200, c.text);
		return { coop, custNL, custDE, custGreek, custArabic, m1, m2, m3, inv1, inv2, inv3, inv4, cn, payout, undone };
	})();
	return world;
}

// ---------------------------------------------------------------------------------------------
const finances = async (coopId, year) => {
	const r = await srv.api('GET', `/v1/cooperatives/${coopId}/finances?year=${year}`, { token: w.admin });
	assert.equal(r.status, 200, r.text);
	return r.json;
};
/** The cost category booked on each account (the chart's descriptions are the file's). */
const COST_ACCOUNTS = { training: '4100', rent: '4200', overhead: '4300', insurance: '4400', administration: '4500', other: '4900' };
const VAT_ACCOUNTS = ['1510', '1520', '1530'];
/** The lines of the bank and cash journals' payment transactions (those with a receivable line) and the rest. */
const isPayment = (l) => ['BNK', 'KAS'].includes(l.journal) && l.tr.lines.some((x) => x.acc === '1300');
const openingOf = (f) => Object.fromEntries((f.opening?.lines ?? []).map((l) => [l.acc, l.amount]));

test('the year of a cooperative: a schema-valid XAF 3.2 file whose transactions, journals and total balance, with the header\'s counts and totals', async (t) => {
	const { coop } = await xafWorld();
	const r = await auditfile(coop.id, `?year=${YEAR}`);
	assert.equal(r.headers.get('content-disposition'), `attachment; filename="auditfile-${coop.kvk_number}-${YEAR}.xaf"`);
	const f = await fetchFile(t, coop.id, YEAR);
	assert.equal(f.xml, r.text, 'the same file twice (nothing in it changes between downloads of the same books but the creation date)');
	assert.deepEqual(f.journals.map((j) => [j.id, j.type]), [['VRK', 'S'], ['BNK', 'B'], ['KAS', 'C'], ['MEM', 'M']]);
	assert.equal(val(kid(f.company, 'transactions').children.find((c) => c.name === 'journal' && val(c, 'jrnID') === 'BNK'), 'bankAccNr'), coop.iban, 'the bank journal names the cooperative\'s account');
	assert.ok(f.lines.length > 40, `${f.lines.length} lines`);
	// the header
	assert.equal(val(f.header, 'fiscalYear'), String(YEAR));
	assert.equal(val(f.header, 'startDate'), `${YEAR}-01-01`);
	assert.equal(val(f.header, 'endDate'), `${YEAR}-12-31`);
	assert.equal(val(f.header, 'curCode'), 'EUR');
	assert.equal(val(f.header, 'dateCreated'), TODAY);
	assert.equal(val(f.header, 'softwareDesc'), 'coopd');
	assert.equal(val(f.header, 'softwareVersion'), r.headers.get('api-version'));
	// the company
	assert.equal(val(f.company, 'companyIdent'), coop.kvk_number);
	assert.equal(val(f.company, 'companyName'), 'Coöperatie De Werkplaats U.A.');
	assert.equal(val(f.company, 'taxRegistrationCountry'), 'NL');
	assert.equal(val(f.company, 'taxRegIdent'), coop.vat_id);
	const addr = kid(f.company, 'streetAddress');
	assert.deepEqual(['streetname', 'number', 'city', 'postalCode', 'country'].map((k) => val(addr, k)), ['Oudegracht', '12', 'Utrecht', '3511 AB', 'NL']);
	// periods: the twelve months
	assert.deepEqual(f.periods.map((p) => [val(p, 'periodNumber'), val(p, 'startDatePeriod'), val(p, 'endDatePeriod')]).slice(0, 2), [['1', `${YEAR}-01-01`, `${YEAR}-01-31`], ['2', `${YEAR}-02-01`, `${YEAR}-02-${YEAR % 4 === 0 ? 29 : 28}`]]);
	assert.equal(f.periods.length, 12);
	// every account used is in the chart, with its type
	const chart = Object.fromEntries(f.accounts.map((a) => [val(a, 'accID'), val(a, 'accTp')]));
	for (const l of f.lines) assert.ok(l.acc in chart, `account ${l.acc} is in the chart`);
	for (const [acc, tp] of Object.entries(chart)) assert.equal(tp, /^[0-3]/.test(acc) ? 'B' : 'P', `${acc} is a ${/^[0-3]/.test(acc) ? 'balance sheet' : 'profit and loss'} account`);
});

test('the journals: sales (receivable = turnover per VAT rate + VAT; the member\'s share), bank and cash (payments, refunds, payouts and their cancellation), memorial (fees of a month and their correction, collective costs)', async (t) => {
	const x = await xafWorld();
	const f = await fetchFile(t, x.coop.id, YEAR);
	const tr = (journal, nr) => {
		const found = f.journals.find((j) => j.id === journal).transactions.find((y) => y.nr === nr);
		assert.ok(found, `transaction ${nr} in ${journal}: ${f.journals.find((j) => j.id === journal).transactions.map((y) => y.nr)}`);
		return found;
	};
	const byAcc = (y) => y.lines.map((l) => [l.acc, l.amount, l.rel ?? null]);
	const K = (c) => f.relations.find((r) => val(r, 'custSupName') === [...c.name].slice(0, 50).join('')).children.find((c2) => c2.name === 'custSupID').text;
	const L = (m) => f.relations.find((r) => val(r, 'custSupName') === `${m.first_name} ${m.last_name}`).children.find((c2) => c2.name === 'custSupID').text;
	// an invoice at 21 %, 9 %, 6 % and 0 %
	const i1 = tr('VRK', x.inv1.number);
	assert.equal(i1.date, x.inv1.issue_date);
	assert.equal(i1.desc, `Factuur ${x.inv1.number}`);
	assert.deepEqual(byAcc(i1), [
		['1300', 23083, K(x.custNL)],
		['8000', -10000, null], ['8010', -5000, null], ['8020', -3333, null], ['8030', -2000, null],
		['1510', -2100, null], ['1520', -450, null], ['1530', -200, null],
		['7000', 20333, L(x.m1)], ['1660', -20333, L(x.m1)],
	]);
	assert.deepEqual(i1.lines.filter((l) => l.vat).map((l) => [l.vat.id, l.vat.perc, l.vat.amount]), [['1a', '21.00', -2100], ['1b', '9.00', -450], ['1c', '6.00', -200], ['1e', '0.00', 0]]);
	assert.equal(i1.lines[0].inv, x.inv1.number, 'the receivable names the invoice');
	// reverse charge to another EU country: box 3b, no VAT
	assert.deepEqual(byAcc(tr('VRK', x.inv2.number)), [['1300', 20000, K(x.custDE)], ['8040', -20000, null], ['7000', 20000, L(x.m2)], ['1660', -20000, L(x.m2)]]);
	// the credit note: the invoice reversed
	const c = tr('VRK', x.cn.number);
	assert.equal(c.desc, `Creditnota ${x.cn.number} op factuur ${x.inv4.number}`);
	assert.deepEqual(byAcc(c), [['1300', -24200, K(x.custArabic)], ['8000', 20000, null], ['1510', 4200, null], ['7000', -20000, L(x.m3)], ['1660', 20000, L(x.m3)]]);
	assert.deepEqual(c.lines.find((l) => l.vat).vat, { id: '1a', perc: '21.00', amount: 4200 }, 'VAT given back is a debit');
	// payments: the bank or the cash account against the receivable; the member's share moves to its current account
	const p1 = tr('BNK', `${x.inv1.number}-B1`);
	assert.equal(p1.desc, `Betaling ${x.inv1.number}: Factuur 1 deel 1`);
	const share1 = Math.round((10000 * 20333) / 23083);
	assert.deepEqual(byAcc(p1), [['1100', 10000, null], ['1300', -10000, K(x.custNL)], ['1660', share1, L(x.m1)], ['1650', -share1, L(x.m1)]]);
	assert.deepEqual(byAcc(tr('BNK', `${x.inv1.number}-B2`)), [['1100', 13083, null], ['1300', -13083, K(x.custNL)], ['1660', 20333 - share1, L(x.m1)], ['1650', -(20333 - share1), L(x.m1)]], 'the payment that completes an invoice gets the rest of its net');
	assert.deepEqual(byAcc(tr('KAS', `${x.inv2.number}-B1`)), [['1110', 20000, null], ['1300', -20000, K(x.custDE)], ['1660', 20000, L(x.m2)], ['1650', -20000, L(x.m2)]], 'a payment in cash is in the cash journal');
	assert.equal(tr('KAS', `${x.inv3.number}-B1`).lines[0].desc, 'Overige ontvangst');
	const refund = tr('BNK', `${x.cn.number}-B1`);
	assert.equal(refund.desc, `Terugbetaling ${x.cn.number}: Terugbetaling`);
	assert.deepEqual(byAcc(refund), [['1100', -12100, null], ['1300', 12100, K(x.custArabic)], ['1660', -10000, L(x.m3)], ['1650', 10000, L(x.m3)]]);
	// payouts: the bank against each member's current account, in the order of the transfers
	const po = tr('BNK', x.payout.message_id);
	assert.deepEqual(byAcc(po), [['1100', -7000, null], ['1650', 5000, L(x.m1)], ['1650', 2000, L(x.m2)]]);
	assert.deepEqual(po.lines.slice(1).map((l) => l.doc), x.payout.transfers.map((y) => y.end_to_end_id), 'each transfer\'s line names its end-to-end id');
	assert.deepEqual(byAcc(tr('BNK', x.undone.message_id)), [['1100', -3000, null], ['1650', 3000, L(x.m1)]]);
	const back = tr('BNK', `${x.undone.message_id}-R`);
	assert.equal(back.desc, `Uitbetaling ${x.undone.message_id} geannuleerd`);
	assert.deepEqual(byAcc(back), [['1100', 3000, null], ['1650', -3000, L(x.m1)]]);
	// fees: the month's finalization, then the correction of the credited member's fee
	const rows = await listAll(srv, w.admin, `/v1/cooperatives/${x.coop.id}/settlements/${LAST_MONTH}`, 100);
	const feeYear = Number(LAST_MONTH.slice(0, 4));
	const fm = feeYear === YEAR ? f : await fetchFile(t, x.coop.id, feeYear);
	const fees = fm.journals.find((j) => j.id === 'MEM').transactions.filter((y) => y.nr.startsWith(`CONTR${LAST_MONTH}`));
	assert.deepEqual(fees.map((y) => [y.nr, y.date, y.desc]), [[`CONTR${LAST_MONTH}-1`, LAST_MONTH_END, `Contributie ${LAST_MONTH}`], [`CONTR${LAST_MONTH}-2`, LAST_MONTH_END, `Contributie ${LAST_MONTH}, correctie`]]);
	const ledgerFees = async (m) => (await listAll(srv, w.admin, `/v1/members/${m.id}/ledger`, 100)).filter((e) => e.kind === 'fee');
	const v1 = [];
	for (const m of [x.m1, x.m2, x.m3]) for (const e of await ledgerFees(m)) if (e.settlement_version === 1) v1.push([L(m), e.amount_cents]);
	assert.deepEqual(fees[0].lines.slice(1).map((l) => [l.rel, -l.amount]).sort(), v1.sort(), 'one line per member\'s fee entry, on 1650');
	assert.deepEqual(fees[0].lines[0].acc, '8100');
	assert.equal(fees[0].lines[0].amount, sum(v1, (e) => e[1]), 'the fee income of the finalization, credited');
	const m3v2 = (await ledgerFees(x.m3)).find((e) => e.settlement_version === 2);
	assert.ok(m3v2 && m3v2.amount_cents > 0, `the correction gave the credited member its fee back: ${JSON.stringify(rows)}`);
	assert.deepEqual(byAcc(fees[1]), [['8100', m3v2.amount_cents, null], ['1650', -m3v2.amount_cents, L(x.m3)]]);
	// collective costs: the cost account against the bank; a correction the other way
	const costs = f.journals.find((j) => j.id === 'MEM').transactions.filter((y) => y.nr.startsWith('KOST'));
	assert.deepEqual(costs.map((y) => [y.nr, byAcc(y)]), [
		[`KOST${YEAR}-00001`, [['4100', 30000, null], ['1100', -30000, null]]],
		[`KOST${YEAR}-00002`, [['4200', 12000, null], ['1100', -12000, null]]],
		[`KOST${YEAR}-00003`, [['4200', -500, null], ['1100', 500, null]]],
		[`KOST${YEAR}-00004`, [['4400', 4500, null], ['1100', -4500, null]]],
	]);
	assert.equal(costs[0].desc, `Kosten training <${TODAY}>`);
});

test('the file agrees with GET .../finances of the same year: fee income, collective costs per category, VAT invoiced, payments received, payouts, VAT received, the members\' balances and their change, the reserve', async (t) => {
	const { coop } = await xafWorld();
	for (const year of [YEAR - 1, YEAR]) {
		const f = await fetchFile(t, coop.id, year);
		const fin = await finances(coop.id, year);
		const m = movements(f);
		const open = openingOf(f);
		const chart = Object.fromEntries(f.accounts.map((a) => [val(a, 'accID'), val(a, 'accTp')]));
		const what = `year ${year}: ${JSON.stringify(fin)} ${JSON.stringify(m)}`;
		assert.equal(neg(mv(m, '8100')), fin.fee_income_cents, `fee income, ${what}`);
		for (const [cat, acc] of Object.entries(COST_ACCOUNTS)) assert.equal(mv(m, acc), fin.collective_costs_by_category[cat], `collective costs ${cat}, ${what}`);
		assert.equal(sum(Object.values(COST_ACCOUNTS), (acc) => mv(m, acc)), fin.collective_costs_cents);
		assert.equal(neg(sum(VAT_ACCOUNTS, (acc) => mv(m, acc))), fin.vat_invoiced_cents, `VAT invoiced, ${what}`);
		const payments = f.lines.filter(isPayment);
		const received = neg(sum(payments.filter((l) => l.acc === '1300'), (l) => l.amount));
		assert.equal(received, fin.payments_received_cents, `payments received, ${what}`);
		const shares = neg(sum(payments.filter((l) => l.acc === '1650'), (l) => l.amount));
		assert.equal(received - shares, fin.vat_received_cents, `VAT received: payments minus the members' shares, ${what}`);
		const payouts = sum(f.lines.filter((l) => l.journal === 'BNK' && !isPayment(l) && l.acc === '1650'), (l) => l.amount);
		assert.equal(payouts, fin.payouts_cents, `payouts, ${what}`);
		assert.equal(neg(mv(m, '1650')), fin.member_balances_change_cents, `members' balances change, ${what}`);
		assert.equal(neg((open['1650'] ?? 0) + mv(m, '1650')), fin.member_balances_cents, `members' balances at the year's end, ${what}`);
		const result = neg(sum(Object.keys(m).filter((acc) => chart[acc] === 'P'), (acc) => m[acc]));
		assert.equal(neg(open['0500'] ?? 0) + result, fin.reserve_cents, `the reserve: brought forward plus the year's result, ${what}`);
		assert.equal(result, fin.fee_income_cents - fin.collective_costs_cents, 'the year\'s result is fee income minus collective costs: the turnover is the members\'');
		assert.equal(received - payouts, fin.vat_received_cents + fin.member_balances_change_cents + fin.fee_income_cents, 'the finances\' identity, from the file');
	}
});

test('the turnover and VAT of each quarter in the sales journal equal the VAT return of that quarter, box by box', async (t) => {
	const { coop } = await xafWorld();
	const f = await fetchFile(t, coop.id, YEAR);
	const sales = f.lines.filter((l) => l.journal === 'VRK');
	const quarters = [...new Set(sales.map((l) => quarterOf(l.tr.date)))];
	assert.ok(quarters.length >= 1);
	for (const q of quarters) {
		const r = await srv.api('GET', `/v1/cooperatives/${coop.id}/vat-returns/${q}`, { token: w.admin });
		assert.equal(r.status, 200, r.text);
		const inQ = sales.filter((l) => quarterOf(l.tr.date) === q && l.vat);
		for (const [box, b] of Object.entries(r.json.boxes)) {
			const lines = inQ.filter((l) => l.vat.id === box);
			assert.equal(neg(sum(lines, (l) => l.amount)), b.base_cents, `${q} box ${box}: turnover`);
			assert.equal(neg(sum(lines, (l) => l.vat.amount)), b.vat_cents, `${q} box ${box}: VAT`);
		}
		const vatLines = sales.filter((l) => quarterOf(l.tr.date) === q && VAT_ACCOUNTS.includes(l.acc));
		assert.equal(neg(sum(vatLines, (l) => l.amount)), r.json.vat_due_cents, `${q}: the VAT accounts hold the VAT due`);
		assert.equal(new Set(inQ.map((l) => l.tr.nr)).size, r.json.invoices, `${q}: one transaction per invoice and credit note`);
	}
	const codes = Object.fromEntries(f.vatCodes.map((v) => [val(v, 'vatID'), val(v, 'vatToPayAccID') ?? null]));
	assert.deepEqual(codes, { '1a': '1510', '1b': '1520', '1c': '1530', '1e': null, '3b': null });
});

test('the opening balance is the closing balance of the year before (its result in the reserve), and a year before any booking has none', async (t) => {
	const { coop } = await xafWorld();
	const prev = await fetchFile(t, coop.id, YEAR - 1);
	const cur = await fetchFile(t, coop.id, YEAR);
	const chart = Object.fromEntries(cur.accounts.map((a) => [val(a, 'accID'), val(a, 'accTp')]));
	const closing = { ...openingOf(prev) };
	for (const l of prev.lines) {
		const acc = chart[l.acc] === 'P' ? '0500' : l.acc;
		closing[acc] = (closing[acc] ?? 0) + l.amount;
	}
	for (const k of Object.keys(closing)) if (closing[k] === 0) delete closing[k];
	assert.deepEqual(openingOf(cur), closing);
	assert.equal(cur.opening.date, `${YEAR}-01-01`);
	assert.deepEqual(cur.opening.lines.map((l) => l.acc), Object.keys(closing).sort(), 'by account number');
	// last year's collective cost of 10.00, paid from the bank, is in the reserve
	assert.equal(openingOf(cur)['0500'], 1000 + (openingOf(prev)['0500'] ?? 0) - (prev.lines.some((l) => l.acc === '8100') ? -movements(prev)['8100'] : 0));
	const before = await fetchFile(t, coop.id, YEAR - 2);
	assert.equal(before.opening, undefined, 'no openingBalance without earlier bookings');
	assert.equal(before.totals.count, 0);
});

test('relations: exactly the customers (custSupTp C, with KvK number, VAT registration and address) and members (O, with their bank account) that the lines name; names in any script come out whole (cut at 50 characters)', async (t) => {
	const x = await xafWorld();
	const f = await fetchFile(t, x.coop.id, YEAR);
	const ids = f.relations.map((r) => val(r, 'custSupID'));
	assert.deepEqual([...ids].sort(), [...new Set(f.lines.map((l) => l.rel).filter(Boolean))].sort(), 'the relations are those the lines name');
	const rel = (name) => f.relations.find((r) => val(r, 'custSupName') === name);
	const nl = rel(x.custNL.name);
	assert.ok(nl, `${x.custNL.name} (&, < and > escaped on the way): ${f.relations.map((r) => val(r, 'custSupName'))}`);
	assert.deepEqual(['custSupTp', 'commerceNr', 'taxRegistrationCountry', 'taxRegIdent'].map((k) => val(nl, k)), ['C', '87654321', 'NL', INV_IDS.vat2]);
	assert.equal(val(kid(nl, 'streetAddress'), 'streetname'), 'Stationsplein');
	const de = rel('Gartenbau Schmidt GmbH');
	assert.deepEqual(['taxRegistrationCountry', 'taxRegIdent', 'commerceNr'].map((k) => val(de, k)), ['DE', INV_IDS.deVat, undefined]);
	assert.equal(val(kid(de, 'streetAddress'), 'country'), 'DE');
	const greek = [...x.custGreek.name];
	assert.ok(greek.length > 50);
	const g = rel(greek.slice(0, 50).join(''));
	assert.ok(g, `the Greek name cut to 50 characters: ${f.relations.map((r) => val(r, 'custSupName'))}`);
	assert.equal(val(g, 'taxRegIdent'), undefined, 'no VAT id, no registration');
	assert.ok(rel('شركة الأمل للحدائق'), 'the Arabic name');
	for (const m of [x.m1, x.m2, x.m3]) {
		const r = rel(`${m.first_name} ${m.last_name}`);
		assert.ok(r, `member ${m.first_name} ${m.last_name}`);
		assert.equal(val(r, 'custSupTp'), 'O');
		assert.equal(val(kid(r, 'bankAccount'), 'bankAccNr'), m.iban);
		assert.equal(kid(r, 'streetAddress'), undefined, 'no member\'s address');
	}
	// every member's current account in the file is its ledger
	for (const m of [x.m1, x.m2, x.m3]) {
		const id = val(rel(`${m.first_name} ${m.last_name}`), 'custSupID');
		const entries = (await listAll(srv, w.admin, `/v1/members/${m.id}/ledger`, 100)).filter((e) => e.date.startsWith(String(YEAR)));
		assert.equal(neg(sum(f.lines.filter((l) => l.acc === '1650' && l.rel === id), (l) => l.amount)), sum(entries, (e) => e.amount_cents), `the 1650 lines of ${id} are its ledger entries`);
		assert.equal(f.lines.filter((l) => l.acc === '1650' && l.rel === id).length, entries.length, 'one line per entry');
	}
	// the text is UTF-8 as written
	assert.ok(Buffer.from(f.xml, 'utf8').toString('utf8') === f.xml);
	assert.ok(f.xml.includes('Coöperatie De Werkplaats U.A.') && f.xml.includes('يوسف Ελευθερίου'));
});

test('an approved expense is the member\'s own cost, not a booking of the cooperative: approving one changes no line', async (t) => {
	const x = await xafWorld();
	const before = await fetchFile(t, x.coop.id, YEAR);
	const exp = await invCreate(srv, w.admin, `/v1/members/${x.m2.id}/expenses`, { date: TODAY, description: 'Bladblazer', category: 'materials', amount_cents: 12100, vat_cents: 2100 });
	assert.equal((await srv.api('POST', `/v1/expenses/${exp.id}/approve`, { token: w.admin })).status, 200);
	const after = await fetchFile(t, x.coop.id, YEAR);
	assert.equal(after.xml, before.xml);
	assert.ok(!after.xml.includes('Bladblazer') && !after.xml.includes('Snoeischaar'));
});

test('a year without activity is still a valid file: four empty journals, no relations, no opening balance, totals of 0.00', async (t) => {
	const coop = await invCooperative(srv, w.admin, { vat_id: null, rsin: '111222333' });
	for (const year of [2001, 2024]) {
		const f = await fetchFile(t, coop.id, year);
		assert.deepEqual(f.journals.map((j) => [j.id, j.transactions.length]), [['VRK', 0], ['BNK', 0], ['KAS', 0], ['MEM', 0]]);
		assert.deepEqual(f.totals, { count: 0, debit: 0, credit: 0 });
		assert.equal(f.relations.length, 0);
		assert.equal(f.opening, undefined);
		assert.equal(val(f.company, 'taxRegIdent'), '111222333', 'without a VAT id: the RSIN');
		assert.equal(f.periods[1].children.find((c) => c.name === 'endDatePeriod').text, year === 2024 ? '2024-02-29' : '2001-02-28');
		assert.equal(f.periods[11].children.find((c) => c.name === 'endDatePeriod').text, `${year}-12-31`);
	}
});

test('without ?year the file is of the current year; HEAD answers the headers alone', async () => {
	const { coop } = await xafWorld();
	const r = await auditfile(coop.id);
	assert.equal(r.status, 200);
	assert.equal(r.headers.get('content-disposition'), `attachment; filename="auditfile-${coop.kvk_number}-${YEAR}.xaf"`);
	assert.equal(val(kid(parseXml(r.text), 'header'), 'fiscalYear'), String(YEAR));
	const h = await srv.api('HEAD', `/v1/cooperatives/${coop.id}/auditfile?year=${YEAR}`, { token: w.admin });
	assert.equal(h.status, 200);
	assert.equal(h.headers.get('content-type'), 'application/xml; charset=utf-8');
	assert.equal(h.headers.get('content-disposition'), r.headers.get('content-disposition'));
	assert.equal(h.text, '');
});

test('year validation: not a year from 2000 to 2100 → 400 invalid_parameter', async () => {
	const { coop } = await xafWorld();
	const wrong = [];
	for (const y of ['', 'abc', '1999', '2101', '2026.5', '-2026', '+2026', ' 2026', '02026', '1e3', '２０２６', '99999999999999999999']) {
		const r = await auditfile(coop.id, `?year=${encodeURIComponent(y)}`);
		try {
			assertProblem(r, 400, 'invalid_parameter');
		} catch {
			wrong.push(`year=${JSON.stringify(y)} → ${r.status} ${r.json?.code}`);
		}
	}
	assert.deepEqual(wrong, []);
	for (const y of [2000, 2100]) assert.equal((await auditfile(coop.id, `?year=${y}`)).status, 200, `year ${y}`);
});

test('roles and scope: the cooperative\'s administrators, bookkeepers and auditors and platform administrators read it; another cooperative\'s office gets 404, members and municipalities 403, no token 401', async () => {
	for (const [who, token] of [['platform admin', w.admin], ['coop admin', w.coopAdminA.token], ['bookkeeper', w.bookkeeperA.token], ['auditor', w.auditorA.token]]) {
		const r = await auditfile(w.coopA, `?year=${YEAR}`, token);
		assert.equal(r.status, 200, `${who}: ${r.status} ${r.text.slice(0, 200)}`);
	}
	for (const token of [w.coopAdminB.token, w.bookkeeperB.token]) assertProblem(await auditfile(w.coopA, `?year=${YEAR}`, token), 404, 'not_found');
	assertProblem(await auditfile('00000000-0000-4000-8000-000000000000', `?year=${YEAR}`), 404, 'not_found');
	for (const token of [w.memberUserA.token, w.municipalityUser.token]) assertProblem(await auditfile(w.coopA, `?year=${YEAR}`, token), 403, 'forbidden');
	assertProblem(await auditfile(w.coopA, `?year=${YEAR}`, null), 401, 'unauthorized');
	assertProblem(await auditfile(w.coopA, `?year=${YEAR}`, w.admin, { accept: 'application/json' }), 406, 'not_acceptable');
});

// ---------------------------------------------------------------------------------------------
// A large year: memory stays flat while coopd streams it.
/** coopd's resident set in KiB (/proc/<pid>/status). */
function rssKb(pid) {
	const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
	assert.ok(m, 'VmRSS in /proc/<pid>/status');
	return Number(m[1]);
}

/** GET of the audit file, sampling coopd's RSS as the chunks arrive; contract-checked like every response. */
function streamAuditfile(coopId, year, pid) {
	const p = `/v1/cooperatives/${coopId}/auditfile?year=${year}`;
	const url = new URL(p, srv.base);
	return new Promise((resolve, reject) => {
		const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET', agent: false, headers: { authorization: `Bearer ${w.admin}` }, timeout: 600000 }, (res) => {
			const parts = [];
			let peak = 0;
			let last = 0;
			res.on('data', (d) => {
				parts.push(d);
				const now = performance.now();
				if (now - last > 5) {
					peak = Math.max(peak, rssKb(pid));
					last = now;
				}
			});
			res.on('error', reject);
			res.on('end', () => {
				peak = Math.max(peak, rssKb(pid));
				const body = Buffer.concat(parts);
				const bad = contractCheck('GET', p, { status: res.statusCode, rawHeaders: res.rawHeaders, body });
				if (bad) reject(new Error(bad));
				else resolve({ status: res.statusCode, body, peak });
			});
		});
		req.on('timeout', () => req.destroy(new Error(`${p}: no response`)));
		req.on('error', reject);
		req.end();
	});
}

test('memory stays flat: coopd streams a large year without holding it (its RSS grows by far less than the file), and the file is valid and balanced', async (t) => {
	const year = YEAR - 2;
	const coop = await invCooperative(srv, w.admin, { legal_name: 'Werkcooperatie Groot U.A.' });
	const members = [];
	const customers = [];
	for (let i = 0; i < 10; i++) {
		members.push(await invMember(srv, w.admin, coop.id, w.muni, { first_name: `Lid ${i}`, iban: 'NL20INGB0001234567' }));
		customers.push(await invCustomer(srv, w.admin, coop.id, { name: `Klant ${i} B.V.` }));
	}
	// The bulk through the real SQL functions (issuing, payment and its ledger booking), in
	// batches: invoices of three lines (21 %, 9 %, 0 %), each paid in full.
	const n = SANITIZED ? 1000 : 4000;
	const batch = 500;
	const ids = (xs) => `ARRAY[${xs.map((x) => lit(x.id)).join(',')}]::uuid[]`;
	for (let done = 0; done < n; done += batch) {
		await env.sql(`DO $$
			DECLARE ms uuid[] := ${ids(members)}; cs uuid[] := ${ids(customers)}; inv uuid; i invoices; k integer;
			BEGIN
				FOR k IN ${done + 1}..${done + batch} LOOP
					INSERT INTO invoices (cooperative_id, member_id, customer_id, supply_date, issue_date)
					VALUES (${lit(coop.id)}, ms[1 + k % 10], cs[1 + (k / 10) % 10], '${year}-06-15', '${year}-06-15') RETURNING id INTO inv;
					INSERT INTO invoice_lines (invoice_id, line_no, description, quantity, unit, unit_price_cents, activity_category, vat_category, vat_rate_bp)
					VALUES (inv, 1, 'Snoeien & maaien', 2.5, 'hour', 3000 + k, 'gardening', 'S', 2100),
					       (inv, 2, 'Materiaal', 1, 'piece', 1250, 'gardening', 'S', 900),
					       (inv, 3, 'Advies', 1, 'piece', 500, 'gardening', 'Z', 0);
					i := invoice_issue(inv, '${year}-06-15', NULL);
					PERFORM payment_record(inv, i.gross_cents, '${year}-07-01', 'bank', 'Bulk ' || k, NULL);
				END LOOP;
			END $$`);
	}
	const pid = srv.proc.pid;
	assert.equal((await auditfile(coop.id, `?year=${year - 1}`)).status, 200, 'a small file first: the statements prepared, the threads warm');
	const before = rssKb(pid);
	const r = await streamAuditfile(coop.id, year, pid);
	assert.equal(r.status, 200);
	const size = r.body.length;
	const growth = r.peak - before;
	const msg = `the file: ${(size / 1048576).toFixed(1)} MiB; coopd's RSS ${before} kB before, at most ${r.peak} kB while streaming (+${growth} kB)`;
	t.diagnostic(msg);
	console.log(msg);
	assert.ok(size > (SANITIZED ? 4 : 16) * 1048576, msg);
	if (SANITIZED) {
		t.diagnostic('the RSS bound is not checked under AddressSanitizer (its quarantine keeps freed memory)');
	} else {
		assert.ok(growth * 1024 < size / 4, `coopd's memory grew by less than a quarter of the file: ${msg}`);
	}
	await assertSchemaValid(t, r.body.toString('utf8'));
	const f = readFile(r.body.toString('utf8'));
	assertBalanced(f);
	assert.equal(f.journals[0].transactions.length, n);
	assert.equal(f.journals[1].transactions.length, n);
	const fin = await finances(coop.id, year);
	assert.equal(neg(mv(movements(f), '1650')), fin.member_balances_change_cents);
	assert.equal(neg(sum(f.lines.filter((l) => l.acc === '1300' && l.journal === 'BNK'), (l) => l.amount)), fin.payments_received_cents);
});
