// The legal documents of an issued invoice (SPEC §5, RULES.md §1 and §5): GET /v1/invoices/{id}/pdf
// (read back with pdftotext: every field a legal Dutch invoice must show) and /ubl (UBL 2.1 in the
// SI-UBL 2.0 profile, checked with xmllint XPath and, for every document these tests produce, by
// the official SI-UBL 2.0 validation rules through tests/ubl/validate.sh), for a standard invoice,
// mixed 21%/9%, zero rate, a KOR cooperative, reverse charge, a credit note and a partly paid
// invoice; drafts have no documents; scope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	setup, assertProblem, contractCheck, run, onCleanup, uuid, ROOT, INV_IDS, nlDate, invWorld, invSmallCoop, invCustomer, invLine, invDraft, invIssue,
} from './harness.mjs';

let env;
let srv;
let w;
const docs = {}; // name → {inv, customer, pdfText, xmlFile}
const ublDir = fs.mkdtempSync('/tmp/coopd-ubl-');
onCleanup(() => fs.rmSync(ublDir, { recursive: true, force: true }));

before(async () => {
	env = await setup();
	srv = env.srv;
	w = await invWorld(srv);
});
after(() => srv?.kill());

const bk = () => w.bookkeeperA.token;
const CUSTOMIZATION_ID = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0';

/** GET with the raw body bytes (the PDF is binary). */
async function getRaw(p, token) {
	const res = await fetch(`${srv.base}${p}`, { headers: { authorization: `Bearer ${token}` } });
	const body = Buffer.from(await res.arrayBuffer());
	const bad = contractCheck('GET', p, { status: res.status, headers: res.headers, body });
	if (bad) throw new Error(bad);
	let json;
	try {
		json = JSON.parse(body.toString('utf8'));
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, body, text: body.toString('utf8'), json };
}

/** 16335 → "€ 163,35"; 123456789 → "€ 1.234.567,89" (Dutch notation). */
function eur(cents) {
	const neg = cents < 0;
	const m = Math.abs(cents);
	const whole = String(Math.floor(m / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
	return `€ ${neg ? '-' : ''}${whole},${String(m % 100).padStart(2, '0')}`;
}
const nlDay = (d) => `${d.slice(8, 10)}-${d.slice(5, 7)}-${d.slice(0, 4)}`;
/** pdftotext output with no-break spaces as spaces and runs of white space collapsed. */
const flat = (t) => t.replace(/\u00a0/g, ' ').replace(/[ \t]+/g, ' ');

async function pdfText(id, token = bk()) {
	const r = await getRaw(`/v1/invoices/${id}/pdf`, token);
	assert.equal(r.status, 200, `GET pdf: ${r.status} ${r.text.slice(0, 300)}`);
	assert.match(r.headers.get('content-type') ?? '', /^application\/pdf/);
	assert.match(r.headers.get('content-disposition') ?? '', /^attachment; filename="[A-Z0-9]+-[0-9]+\.pdf"$/, 'saved under the invoice number');
	assert.equal(r.body.subarray(0, 5).toString('latin1'), '%PDF-', 'the body is a PDF');
	const file = path.join(ublDir, `${id}.pdf`);
	fs.writeFileSync(file, r.body);
	const t = await run('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-']);
	assert.equal(t.code, 0, `pdftotext: ${t.stderr}`);
	fs.rmSync(file);
	return flat(t.stdout);
}

async function ubl(id, name, token = bk()) {
	const r = await getRaw(`/v1/invoices/${id}/ubl`, token);
	assert.equal(r.status, 200, `GET ubl: ${r.status} ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') ?? '', /^application\/xml/);
	assert.match(r.headers.get('content-disposition') ?? '', /^attachment; filename="[A-Z0-9]+-[0-9]+\.xml"$/);
	const file = path.join(ublDir, `${name}.xml`);
	fs.writeFileSync(file, r.body);
	const lint = await run('xmllint', ['--noout', file]);
	assert.equal(lint.code, 0, `xmllint --noout ${name}: ${lint.stderr}`);
	return file;
}

/** A path of local names: "Invoice/LegalMonetaryTotal/PayableAmount" → XPath with local-name(). */
const L = (p) => p.split('/').map((seg) => (seg.startsWith('@') ? seg : `*[local-name()='${seg}']`)).join('/');
const SEP = '#~#';

/** Evaluates XPath 1.0 expressions in one xmllint run (concat of their string values). */
async function xpAll(file, exprs) {
	if (exprs.length === 0) return [];
	const joined = exprs.length === 1 ? `string(${exprs[0]})` : `concat(${exprs.map((e) => `string(${e})`).join(`, '${SEP}', `)})`;
	const r = await run('xmllint', ['--xpath', joined, file]);
	// xmllint exits 10 and prints nothing when the result is an empty string
	if (r.code !== 0 && r.code !== 10) assert.fail(`xmllint --xpath on ${file}: ${r.code} ${r.stderr}`);
	const out = r.stdout.replace(/\n$/, '');
	return exprs.length === 1 ? [out] : out.split(SEP);
}
const xp = async (file, expr) => (await xpAll(file, [expr]))[0];
const str = (file, p) => xp(file, `/${L(p)}`);
const num = async (file, p) => Number(await str(file, p));
const count = async (file, p) => Number(await xp(file, `count(/${L(p)})`));

/** The TaxSubtotals as [{cat, percent, base, vat}] sorted by category and percent. */
async function subtotals(file, root) {
	const n = await count(file, `${root}/TaxTotal/TaxSubtotal`);
	const exprs = [];
	for (let i = 1; i <= n; i++) {
		const s = `/${L(`${root}/TaxTotal`)}/*[local-name()='TaxSubtotal'][${i}]`;
		exprs.push(`${s}/${L('TaxCategory/ID')}`, `${s}/${L('TaxCategory/Percent')}`, `${s}/${L('TaxableAmount')}`, `${s}/${L('TaxAmount')}`);
	}
	const v = await xpAll(file, exprs);
	const out = [];
	for (let i = 0; i < n; i++) out.push({ cat: v[4 * i], percent: Number(v[4 * i + 1]), base: Number(v[4 * i + 2]), vat: Number(v[4 * i + 3]) });
	return out.sort((a, b) => `${a.cat}${200 - a.percent}`.localeCompare(`${b.cat}${200 - b.percent}`));
}

/**
 * The mandatory content of SI-UBL 2.0 (RULES.md §5) against the invoice JSON: one xmllint run
 * for the header, parties, payment means and totals, one for the lines.
 */
async function assertUblBasics(file, inv, { root = 'Invoice', lineName = 'InvoiceLine' } = {}) {
	const sign = inv.kind === 'credit_note' ? -1 : 1;
	const t = inv.totals;
	const S = (p) => `/${L(`${root}/${p}`)}`;
	const checks = [
		['CustomizationID', S('CustomizationID'), CUSTOMIZATION_ID],
		['ID', S('ID'), inv.number],
		['IssueDate', S('IssueDate'), inv.issue_date],
		['DocumentCurrencyCode', S('DocumentCurrencyCode'), 'EUR'],
		['supplier CompanyID schemeID', `${S('AccountingSupplierParty/Party/PartyLegalEntity/CompanyID')}/@schemeID`, '0106'],
		['supplier CompanyID (KvK)', S('AccountingSupplierParty/Party/PartyLegalEntity/CompanyID'), INV_IDS.kvk],
		['supplier VAT id', S('AccountingSupplierParty/Party/PartyTaxScheme/CompanyID'), INV_IDS.vat],
		['supplier country', S('AccountingSupplierParty/Party/PostalAddress/Country/IdentificationCode'), 'NL'],
		['supplier has a RegistrationName', `boolean(${S('AccountingSupplierParty/Party/PartyLegalEntity/RegistrationName')}[normalize-space()])`, 'true'],
		['customer has a RegistrationName', `boolean(${S('AccountingCustomerParty/Party/PartyLegalEntity/RegistrationName')}[normalize-space()])`, 'true'],
		['customer has a country', `boolean(${S('AccountingCustomerParty/Party/PostalAddress/Country/IdentificationCode')}[normalize-space()])`, 'true'],
		['LineExtensionAmount', S('LegalMonetaryTotal/LineExtensionAmount'), (sign * t.net_cents) / 100],
		['TaxExclusiveAmount', S('LegalMonetaryTotal/TaxExclusiveAmount'), (sign * t.net_cents) / 100],
		['TaxInclusiveAmount', S('LegalMonetaryTotal/TaxInclusiveAmount'), (sign * t.gross_cents) / 100],
		['PayableAmount', S('LegalMonetaryTotal/PayableAmount'), (sign * inv.open_cents) / 100],
		['PayableAmount currency', `${S('LegalMonetaryTotal/PayableAmount')}/@currencyID`, 'EUR'],
		['TaxTotal/TaxAmount', S('TaxTotal/TaxAmount'), (sign * t.vat_cents) / 100],
		['TaxSubtotal count', `count(${S('TaxTotal/TaxSubtotal')})`, t.vat.length],
		['line count', `count(${S(lineName)})`, inv.lines.length],
		['PaymentMeans count', `count(${S('PaymentMeans')})`, null],
		['PaymentMeansCode', S('PaymentMeans/PaymentMeansCode'), null],
		['PayeeFinancialAccount/ID', S('PaymentMeans/PayeeFinancialAccount/ID'), null],
	];
	const got = await xpAll(file, checks.map((c) => c[1]));
	const wrong = [];
	checks.forEach(([label, , want], i) => {
		if (want === null) return;
		const ok = typeof want === 'number' ? Number(got[i]) === want && got[i] !== '' : got[i] === want;
		if (!ok) wrong.push(`${label}: ${JSON.stringify(got[i])}, expected ${JSON.stringify(want)}`);
	});
	const pm = Object.fromEntries(checks.map((c, i) => [c[0], got[i]]));
	// an invoice asks for a SEPA credit transfer to the cooperative's IBAN; a credit note may
	// leave payment means out (the cooperative pays back), but if it names them they are the same
	if (inv.kind === 'invoice' || Number(pm['PaymentMeans count']) > 0) {
		if (!['30', '58'].includes(pm.PaymentMeansCode)) wrong.push(`PaymentMeansCode ${JSON.stringify(pm.PaymentMeansCode)}, expected 30 or 58`);
		if (pm['PayeeFinancialAccount/ID'] !== INV_IDS.iban) wrong.push(`PayeeFinancialAccount/ID ${JSON.stringify(pm['PayeeFinancialAccount/ID'])}, expected ${INV_IDS.iban}`);
	}
	assert.deepEqual(wrong, [], `UBL ${path.basename(file)} of ${inv.number}`);
	assert.deepEqual(
		await subtotals(file, root),
		t.vat
			.map((v) => ({ cat: v.vat_category, percent: v.vat_rate_bp / 100, base: (sign * v.base_cents) / 100, vat: (sign * v.vat_cents) / 100 }))
			.sort((a, b) => `${a.cat}${200 - a.percent}`.localeCompare(`${b.cat}${200 - b.percent}`)),
		'one TaxSubtotal per VAT category and rate',
	);
	const lineExprs = [];
	inv.lines.forEach((l, i) => {
		const p = `/${L(root)}/*[local-name()='${lineName}'][${i + 1}]`;
		const q = `${p}/*[local-name()='InvoicedQuantity' or local-name()='CreditedQuantity']`;
		lineExprs.push(`${p}/${L('LineExtensionAmount')}`, `${p}/${L('Price/PriceAmount')}`, `${p}/${L('Item/Name')}`, `${p}/${L('Item/ClassifiedTaxCategory/ID')}`, `${p}/${L('Item/ClassifiedTaxCategory/Percent')}`, q, `${q}/@unitCode`);
	});
	const lv = await xpAll(file, lineExprs);
	inv.lines.forEach((l, i) => {
		const [amount, price, name, cat, percent, qty, unitCode] = lv.slice(7 * i, 7 * i + 7);
		assert.deepEqual(
			{ amount: Number(amount), price: Number(price), name, cat, percent: Number(percent), qty: Number(qty), unitCode: unitCode.length > 0 },
			{ amount: (sign * l.net_cents) / 100, price: l.unit_price_cents / 100, name: l.description, cat: l.vat_category, percent: l.vat_rate_bp / 100, qty: sign * Number(l.quantity), unitCode: true },
			`UBL line ${i + 1} (quantities and amounts positive)`,
		);
	});
}

/** The legal content every invoice PDF shows (RULES.md §1). */
function assertPdfBasics(text, inv, customer, { supplierName } = {}) {
	assert.ok(text.includes(inv.number), `number ${inv.number} in:\n${text}`);
	assert.ok(text.includes(nlDay(inv.issue_date)), `issue date ${nlDay(inv.issue_date)}`);
	assert.ok(text.includes(nlDay(inv.supply_date)), `supply date ${nlDay(inv.supply_date)}`);
	assert.ok(text.includes(`KvK ${INV_IDS.kvk}`) || text.includes(INV_IDS.kvk), 'supplier KvK number');
	assert.ok(text.includes(INV_IDS.vat), 'supplier VAT id');
	if (supplierName) assert.ok(text.includes(supplierName), `supplier name ${supplierName}`);
	assert.ok(text.includes(customer.name), `customer name ${customer.name}`);
	const a = customer.address;
	assert.ok(text.includes(`${a.street} ${a.house_number}`), `customer street ${a.street} ${a.house_number}`);
	assert.ok(text.includes(a.postal_code) && text.includes(a.city), `customer postal code and city ${a.postal_code} ${a.city}`);
	for (const l of inv.lines) assert.ok(text.includes(l.description), `line ${l.description}`);
	assert.ok(text.replace(/\s/g, '').includes(INV_IDS.iban), 'the IBAN');
	assert.ok(!/\?\?/.test(text), 'no unprintable characters');
}

const draftA = (body = {}) => invDraft(srv, bk(), w.coopA, { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(-3), ...body });
const issuedA = async (body = {}) => invIssue(srv, bk(), (await draftA(body)).id);
const customer = async (id) => (await srv.api('GET', `/v1/customers/${id}`, { token: w.admin })).json;
const coopName = async (id) => (await srv.api('GET', `/v1/cooperatives/${id}`, { token: w.admin })).json.legal_name;

// ---------------------------------------------------------------------------------------------
test('a standard invoice: the PDF shows number, dates, supplier KvK and VAT id, customer name and address, lines, the 21% breakdown, totals in Dutch notation (€ 163,35), the IBAN and a payment instruction', async () => {
	const inv = await issuedA({ description: 'Tuinonderhoud november' });
	assert.equal(inv.totals.gross_cents, 16335);
	const cust = await customer(w.custNL);
	const text = await pdfText(inv.id);
	assertPdfBasics(text, inv, cust, { supplierName: await coopName(w.coopA) });
	assert.ok(text.includes(nlDay(inv.due_date)), `due date ${nlDay(inv.due_date)}`);
	assert.ok(text.includes('4,5'), 'quantity 4,5');
	assert.ok(text.includes(eur(3000)), 'unit price € 30,00');
	assert.ok(text.includes(eur(13500)), 'net € 135,00');
	assert.ok(/21\s?%/.test(text), 'the rate 21%');
	assert.ok(text.includes(eur(2835)), 'VAT € 28,35');
	assert.ok(text.includes('€ 163,35'), `gross € 163,35 in:\n${text}`);
	assert.match(text, /over te maken|overmaken|betalen|te betalen/i, 'a payment instruction');
	assert.ok(!/verlegd/i.test(text), 'no reverse charge text');
	const file = await ubl(inv.id, 'standard');
	await assertUblBasics(file, inv);
	assert.equal(await str(file, 'Invoice/InvoiceTypeCode'), '380');
	assert.equal(await str(file, 'Invoice/DueDate'), inv.due_date);
	assert.equal(await xp(file, `string(/${L('Invoice/InvoiceLine/InvoicedQuantity')}/@unitCode)`), 'HUR');
	docs.standard = { inv, file };
});

test('mixed 21% and 9%: two VAT groups in the PDF and two TaxSubtotals in the UBL', async () => {
	const inv = await issuedA({
		lines: [
			invLine({ description: 'Snoeien', quantity: '2', unit_price_cents: 3000 }),
			invLine({ description: 'Bloembollen', quantity: '10', unit: 'piece', unit_price_cents: 250, vat_rate_bp: 900 }),
		],
	});
	const text = await pdfText(inv.id);
	assertPdfBasics(text, inv, await customer(w.custNL));
	assert.ok(/21\s?%/.test(text) && /9\s?%/.test(text), 'both rates');
	assert.ok(text.includes(eur(1260)) && text.includes(eur(225)), 'both VAT amounts (€ 12,60 and € 2,25)');
	assert.ok(text.includes(eur(inv.totals.gross_cents)), 'the gross total');
	const file = await ubl(inv.id, 'mixed_21_9');
	await assertUblBasics(file, inv);
	assert.equal(await count(file, 'Invoice/TaxTotal/TaxSubtotal'), 2);
	docs.mixed = { inv, file };
});

test('zero rate: category Z at 0% in the PDF and the UBL', async () => {
	const inv = await issuedA({ lines: [invLine({ description: 'Export levering', quantity: '3', unit: 'piece', unit_price_cents: 1999, vat_category: 'Z' })] });
	assert.equal(inv.totals.vat_cents, 0);
	const text = await pdfText(inv.id);
	assertPdfBasics(text, inv, await customer(w.custNL));
	assert.ok(/0\s?%/.test(text), 'the rate 0%');
	assert.ok(text.includes(eur(5997)), 'the total € 59,97');
	const file = await ubl(inv.id, 'zero_rate');
	await assertUblBasics(file, inv);
	assert.deepEqual(await subtotals(file, 'Invoice'), [{ cat: 'Z', percent: 0, base: 59.97, vat: 0 }]);
	docs.zero = { inv, file };
});

test('a KOR cooperative: no VAT, the exemption under the kleineondernemersregeling in the PDF, category E with an exemption reason in the UBL', async () => {
	const kor = await invSmallCoop(srv, w.admin, w.muni, { coop: { vat_scheme: 'kor', legal_name: 'Kleine Cooperatie U.A.' } });
	const d = await invDraft(srv, w.admin, kor.id, { member_id: kor.member.id, customer_id: kor.customer.id, supply_date: nlDate(-2) });
	const inv = await invIssue(srv, w.admin, d.id);
	assert.deepEqual(inv.totals.vat.map((v) => [v.vat_category, v.vat_rate_bp, v.vat_cents]), [['E', 0, 0]]);
	const text = await pdfText(inv.id, w.admin);
	assertPdfBasics(text, inv, kor.customer, { supplierName: 'Kleine Cooperatie U.A.' });
	assert.match(text, /kleineondernemersregeling|KOR/i, 'the KOR exemption is stated');
	assert.ok(text.includes(eur(13500)), 'the total without VAT');
	const file = await ubl(inv.id, 'kor', w.admin);
	await assertUblBasics(file, inv);
	assert.equal(await str(file, 'Invoice/TaxTotal/TaxSubtotal/TaxCategory/ID'), 'E');
	assert.ok((await str(file, 'Invoice/TaxTotal/TaxSubtotal/TaxCategory/TaxExemptionReason')).length > 0, 'an exemption reason');
	docs.kor = { inv, file };
});

test('reverse charge: "Btw verlegd" and the customer\'s VAT id in the PDF, category AE with the customer\'s VAT id in the UBL', async () => {
	const inv = await issuedA({ customer_id: w.custDE, lines: [invLine({ description: 'Ontwerp tuin', quantity: '8', unit_price_cents: 4500, vat_category: 'AE' })] });
	const cust = await customer(w.custDE);
	const text = await pdfText(inv.id);
	assertPdfBasics(text, inv, cust);
	assert.match(text, /btw verlegd/i, '"btw verlegd"');
	assert.ok(text.includes(INV_IDS.deVat), 'the customer\'s VAT id');
	assert.ok(text.includes(eur(36000)), 'the total € 360,00');
	const file = await ubl(inv.id, 'reverse_charge');
	await assertUblBasics(file, inv);
	assert.equal(await str(file, 'Invoice/TaxTotal/TaxSubtotal/TaxCategory/ID'), 'AE');
	assert.equal(await str(file, 'Invoice/AccountingCustomerParty/Party/PartyTaxScheme/CompanyID'), INV_IDS.deVat);
	assert.equal(await str(file, 'Invoice/AccountingCustomerParty/Party/PostalAddress/Country/IdentificationCode'), 'DE');
	docs.reverse = { inv, file };
});

test('a credit note: the PDF refers to the original\'s number and states the reason; the UBL is a CreditNote (381) with positive amounts and a BillingReference to the original', async () => {
	const orig = await issuedA();
	const cr = await srv.api('POST', `/v1/invoices/${orig.id}/credit-notes`, { token: bk(), body: { reason: 'Werk niet uitgevoerd' } });
	assert.equal(cr.status, 201, cr.text);
	const cn = (await srv.api('GET', `/v1/invoices/${cr.json.id}`, { token: bk() })).json;
	const text = await pdfText(cn.id);
	assertPdfBasics(text, cn, await customer(w.custNL));
	assert.ok(text.includes(orig.number), `the original's number ${orig.number}`);
	assert.ok(text.includes(nlDay(orig.issue_date)), 'the original\'s date');
	assert.ok(text.includes('Werk niet uitgevoerd'), 'the reason');
	assert.match(text, /credit/i, 'it says it is a credit note');
	assert.ok(text.includes('163,35'), 'the credited amount');
	const file = await ubl(cn.id, 'credit_note');
	assert.equal(await count(file, 'CreditNote'), 1, 'the root element is CreditNote');
	await assertUblBasics(file, cn, { root: 'CreditNote', lineName: 'CreditNoteLine' });
	assert.equal(await str(file, 'CreditNote/CreditNoteTypeCode'), '381');
	assert.equal(await str(file, 'CreditNote/BillingReference/InvoiceDocumentReference/ID'), orig.number);
	assert.equal(await num(file, 'CreditNote/LegalMonetaryTotal/PayableAmount'), 163.35, 'positive amounts');
	assert.equal(await num(file, 'CreditNote/LegalMonetaryTotal/TaxInclusiveAmount'), 163.35);
	docs.credit = { inv: cn, file };
});

test('a partly paid invoice: the PDF shows what was paid and what is open; the UBL has PrepaidAmount and PayableAmount = the open amount', async () => {
	const inv0 = await issuedA();
	const p = await srv.api('POST', `/v1/invoices/${inv0.id}/payments`, { token: bk(), body: { amount_cents: 10000, received_on: nlDate(), method: 'bank' } });
	assert.equal(p.status, 201, p.text);
	const inv = (await srv.api('GET', `/v1/invoices/${inv0.id}`, { token: bk() })).json;
	assert.equal(inv.open_cents, 6335);
	const text = await pdfText(inv.id);
	assertPdfBasics(text, inv, await customer(w.custNL));
	assert.ok(text.includes(eur(10000)), 'paid € 100,00');
	assert.ok(text.includes(eur(6335)), 'open € 63,35');
	const file = await ubl(inv.id, 'partly_paid');
	await assertUblBasics(file, inv);
	assert.equal(await num(file, 'Invoice/LegalMonetaryTotal/PrepaidAmount'), 100);
	assert.equal(await num(file, 'Invoice/LegalMonetaryTotal/PayableAmount'), 63.35);
	docs.partlyPaid = { inv, file };
});

test('the documents of an invoice stay available after it was credited, partly or fully (books are kept 7 years)', async () => {
	const partly = await issuedA();
	const c1 = await srv.api('POST', `/v1/invoices/${partly.id}/credit-notes`, { token: bk(), body: { reason: 'Een uur minder', lines: [invLine({ quantity: '1' })] } });
	assert.equal(c1.status, 201, c1.text);
	const full = await issuedA();
	const c2 = await srv.api('POST', `/v1/invoices/${full.id}/credit-notes`, { token: bk(), body: { reason: 'Geannuleerd' } });
	assert.equal(c2.status, 201, c2.text);
	const problems = [];
	for (const [name, inv] of [['partly_credited', partly], ['fully_credited', full]]) {
		for (const kind of ['pdf', 'ubl']) {
			const r = await getRaw(`/v1/invoices/${inv.id}/${kind}`, bk());
			if (r.status !== 200) problems.push(`${name} ${kind}: ${r.status} ${r.text.slice(0, 300)}`);
			else if (kind === 'ubl') {
				const file = path.join(ublDir, `${name}.xml`);
				fs.writeFileSync(file, r.body);
				// the invoice as issued: nothing paid on it, so it still asks for its gross
				assert.equal(await num(file, 'Invoice/LegalMonetaryTotal/TaxInclusiveAmount'), 163.35);
			}
		}
	}
	assert.deepEqual(problems, [], 'documents of credited invoices');
});

test('a Dutch customer without KvK number: the PDF is made, the UBL answers 422 ubl_not_possible (SI-UBL needs the buyer\'s KvK)', async () => {
	const noKvk = await invCustomer(srv, w.admin, w.coopA, { name: 'Particulier Zonder KvK', kvk_number: null, vat_id: null });
	const inv = await issuedA({ customer_id: noKvk.id });
	const text = await pdfText(inv.id);
	assertPdfBasics(text, inv, noKvk);
	const r = await srv.api('GET', `/v1/invoices/${inv.id}/ubl`, { token: bk() });
	assertProblem(r, 422, 'ubl_not_possible');
});

test('drafts have no documents (409 invoice_not_issued); scope: own member 200, another member 404, another cooperative 404, a municipality 403, unknown 404', async () => {
	const d = await draftA();
	for (const kind of ['pdf', 'ubl']) assertProblem(await srv.api('GET', `/v1/invoices/${d.id}/${kind}`, { token: bk() }), 409, 'invoice_not_issued');
	const sub = await srv.api('POST', `/v1/invoices/${d.id}/submit`, { token: bk() });
	assert.equal(sub.status, 200, sub.text);
	for (const kind of ['pdf', 'ubl']) assertProblem(await srv.api('GET', `/v1/invoices/${d.id}/${kind}`, { token: bk() }), 409, 'invoice_not_issued');
	const inv = docs.standard?.inv ?? (await issuedA());
	for (const kind of ['pdf', 'ubl']) {
		const p = `/v1/invoices/${inv.id}/${kind}`;
		assert.equal((await getRaw(p, w.memberUserA.token)).status, 200, `own member ${kind}`);
		assert.equal((await getRaw(p, w.auditorA.token)).status, 200, `auditor ${kind}`);
		assert.equal((await getRaw(p, w.coopAdminA.token)).status, 200, `coop_admin ${kind}`);
		assert.equal((await getRaw(p, w.admin)).status, 200, `platform_admin ${kind}`);
		assertProblem(await srv.api('GET', p, { token: w.memberUserA2.token }), 404, 'not_found');
		assertProblem(await srv.api('GET', p, { token: w.coopAdminB.token }), 404, 'not_found');
		assertProblem(await srv.api('GET', p, { token: w.bookkeeperB.token }), 404, 'not_found');
		assertProblem(await srv.api('GET', p, { token: w.municipalityUser.token }), 403, 'forbidden');
		assertProblem(await srv.api('GET', `/v1/invoices/${uuid()}/${kind}`, { token: bk() }), 404, 'not_found');
		assertProblem(await srv.api('GET', p), 401, 'unauthorized');
	}
});

test('every UBL document of these tests passes the official SI-UBL 2.0 validation (tests/ubl/validate.sh: no fatal failed assert)', { timeout: 120000 }, async () => {
	const files = fs.readdirSync(ublDir).filter((f) => f.endsWith('.xml'));
	assert.ok(files.length > 0, 'UBL documents were produced');
	const script = path.join(ROOT, 'tests/ubl/validate.sh');
	assert.ok(fs.existsSync(script), `${script} exists`);
	const r = await run('sh', [script, ublDir], { env: { ...process.env }, timeout: 110000 });
	const out = `${r.stdout}${r.stderr}`;
	assert.equal(r.code, 0, `validate.sh exited ${r.code}:\n${out}`);
	const xsl = path.resolve(ROOT, process.env.SIUBL_XSL || '../shared/validators/si-ubl-2.0/si-ubl-2.0.xsl');
	if (fs.existsSync(xsl)) assert.doesNotMatch(out, /SKIPPED/, `the stylesheet exists at ${xsl}, so the validation ran:\n${out}`);
	else console.log(`official SI-UBL validation skipped: ${xsl} is missing\n${out}`);
	// every kind of document was produced and validated
	const expected = ['standard', 'mixed_21_9', 'zero_rate', 'kor', 'reverse_charge', 'credit_note', 'partly_paid'];
	const missing = expected.filter((n) => !files.includes(`${n}.xml`));
	assert.deepEqual(missing, [], `documents not produced (see the failing tests above): ${missing.join(', ')}`);
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
