// Invoicing through the cooperative (SPEC §5, §9; RULES.md §1, §2): drafts by the office and by
// members, line validation, amounts and VAT rounding, issuing with every 422 rule, gapless
// numbers, frozen issued invoices, credit notes, payments and refunds, list filters and CSV,
// idempotent replays, scope, the audit trail and the quarter's VAT return.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, assertProblem, listAll, uuid, RFC3339_UTC, UUID_RE, INV_IDS, nlDate, addDays, twoDatesOfOneYear, quarterOf,
	invCreate, invCooperative, invMember, invCustomer, invLine, invSmallCoop, invDraft, invIssueReq, invIssue, invIssued,
	invAudit, invWorld, hex,
} from './harness.mjs';

let env;
let srv;
let w;

before(async () => {
	env = await setup();
	srv = env.srv;
	w = await invWorld(srv);
});
after(() => srv?.kill());

const INVOICE_KEYS = [
	'id', 'cooperative_id', 'kind', 'status', 'number', 'member_id', 'customer_id', 'issue_date', 'supply_date', 'due_date',
	'description', 'lines', 'totals', 'paid_cents', 'open_cents', 'credit_of', 'credited_by', 'reason', 'rate_floor_override',
	'issued_at', 'created_at', 'updated_at',
];
const LINE_KEYS = ['line_no', 'description', 'quantity', 'unit', 'unit_price_cents', 'activity_category', 'vat_category', 'vat_rate_bp', 'net_cents'];
const PAYMENT_KEYS = ['id', 'invoice_id', 'amount_cents', 'received_on', 'method', 'reference', 'created_at'];
const CSV_HEADER = ['id', 'kind', 'status', 'number', 'member_id', 'customer_id', 'issue_date', 'supply_date', 'due_date', 'net_cents', 'vat_cents', 'gross_cents', 'paid_cents', 'credit_of', 'created_at'];

const invoices = (coop) => `/v1/cooperatives/${coop}/invoices`;
const bk = () => w.bookkeeperA.token;
const get = (id, token = w.admin) => srv.api('GET', `/v1/invoices/${id}`, { token });
const patch = (id, body, token = bk()) => srv.api('PATCH', `/v1/invoices/${id}`, { token, body });
const del = (id, token = bk()) => srv.api('DELETE', `/v1/invoices/${id}`, { token });
const submit = (id, token) => srv.api('POST', `/v1/invoices/${id}/submit`, { token });
const credit = (id, body, token = bk(), headers = {}) => srv.api('POST', `/v1/invoices/${id}/credit-notes`, { token, body, headers });
const pay = (id, body, token = bk(), headers = {}) =>
	srv.api('POST', `/v1/invoices/${id}/payments`, { token, body: { received_on: nlDate(), method: 'bank', ...body }, headers });
const draftA = (body = {}, token = bk()) => invDraft(srv, token, w.coopA, { member_id: w.memberA, customer_id: w.custNL, ...body });
const issuedA = async (body = {}, issueBody) => invIssue(srv, bk(), (await draftA(body)).id, issueBody);
const countInvoices = async (coop) => Number((await env.sql(`select count(*) as n from invoices where cooperative_id = '${coop}'`))[0].n);
const sortVat = (v) => [...v].sort((a, b) => (a.vat_category + String(9999 - a.vat_rate_bp).padStart(5, '0')).localeCompare(b.vat_category + String(9999 - b.vat_rate_bp).padStart(5, '0')));

function assertInvoice(inv, expect = {}) {
	assert.deepEqual(Object.keys(inv).sort(), [...INVOICE_KEYS].sort(), `Invoice keys: ${JSON.stringify(inv)}`);
	assert.match(inv.id, UUID_RE);
	assert.match(inv.created_at, RFC3339_UTC);
	assert.match(inv.updated_at, RFC3339_UTC);
	assert.ok(Array.isArray(inv.lines) && Array.isArray(inv.credited_by), JSON.stringify(inv));
	for (const l of inv.lines) assert.deepEqual(Object.keys(l).sort(), [...LINE_KEYS].sort(), `line keys: ${JSON.stringify(l)}`);
	assert.deepEqual(Object.keys(inv.totals).sort(), ['gross_cents', 'net_cents', 'vat', 'vat_cents']);
	// the totals always add up: lines → VAT groups → totals
	const net = inv.lines.reduce((s, l) => s + l.net_cents, 0);
	assert.equal(inv.totals.net_cents, net, `net total = sum of lines: ${JSON.stringify(inv.totals)}`);
	assert.equal(inv.totals.vat.reduce((s, v) => s + v.base_cents, 0), net);
	assert.equal(inv.totals.vat_cents, inv.totals.vat.reduce((s, v) => s + v.vat_cents, 0));
	assert.equal(inv.totals.gross_cents, inv.totals.net_cents + inv.totals.vat_cents);
	for (const [k, v] of Object.entries(expect)) assert.deepEqual(inv[k], v, `Invoice.${k}: ${JSON.stringify(inv)}`);
	return inv;
}

function assertIssued(inv, coopPrefix) {
	assertInvoice(inv);
	assert.equal(inv.status, 'issued');
	assert.match(inv.number, new RegExp(`^${coopPrefix}${inv.issue_date.slice(0, 4)}-\\d{5}$`), inv.number);
	assert.match(inv.issued_at, RFC3339_UTC);
	assert.equal(inv.paid_cents, 0);
}

async function prefixOf(coop) {
	const r = await srv.api('GET', `/v1/cooperatives/${coop}`, { token: w.admin });
	assert.equal(r.status, 200, r.text);
	return r.json.invoice_prefix;
}

// ---------------------------------------------------------------------------------------------
// Drafts
test('a bookkeeper drafts an invoice for a member: 201 draft without number, the member\'s activity and S 21% by default, line and totals, Location, ETag, audit invoice.create', async () => {
	const supply = nlDate(-3);
	const r = await srv.api('POST', invoices(w.coopA), {
		token: bk(),
		body: { member_id: w.memberA, customer_id: w.custNL, supply_date: supply, description: 'Tuinonderhoud', lines: [invLine()] },
	});
	assert.equal(r.status, 201, r.text);
	const inv = assertInvoice(r.json, {
		cooperative_id: w.coopA,
		kind: 'invoice',
		status: 'draft',
		number: null,
		member_id: w.memberA,
		customer_id: w.custNL,
		issue_date: null,
		supply_date: supply,
		due_date: null,
		description: 'Tuinonderhoud',
		paid_cents: 0,
		open_cents: null,
		credit_of: null,
		credited_by: [],
		reason: null,
		rate_floor_override: null,
		issued_at: null,
	});
	assert.deepEqual(inv.lines, [
		{ line_no: 1, description: 'Snoeien en maaien', quantity: '4.5', unit: 'hour', unit_price_cents: 3000, activity_category: 'gardening', vat_category: 'S', vat_rate_bp: 2100, net_cents: 13500 },
	]);
	assert.deepEqual(inv.totals, { net_cents: 13500, vat: [{ vat_category: 'S', vat_rate_bp: 2100, base_cents: 13500, vat_cents: 2835 }], vat_cents: 2835, gross_cents: 16335 });
	assert.equal(r.headers.get('location'), `/v1/invoices/${inv.id}`);
	assert.match(r.headers.get('etag') ?? '', /^"\d+"$/);
	const g = await get(inv.id, w.auditorA.token);
	assert.equal(g.status, 200, g.text);
	assert.deepEqual(g.json, inv);
	const events = await invAudit(srv, w.admin, w.coopA, inv.id, 'invoice.create');
	assert.equal(events.length, 1, JSON.stringify(events));
	assert.equal(events[0].actor_role, 'bookkeeper');
	assert.equal(events[0].cooperative_id, w.coopA);
});

test('a member drafts for itself only: member_id defaults to itself; another member\'s id → 422 invalid_reference; a customer of another cooperative → 422 invalid_reference; the office must name the member', async () => {
	const m = w.memberUserA.token;
	const own = await invDraft(srv, m, w.coopA, { customer_id: w.custNL });
	assert.equal(own.member_id, w.memberA);
	assert.equal(own.status, 'draft');
	const explicit = await invDraft(srv, m, w.coopA, { member_id: w.memberA, customer_id: w.custNL });
	assert.equal(explicit.member_id, w.memberA);
	const before = await countInvoices(w.coopA);
	const other = await srv.api('POST', invoices(w.coopA), { token: m, body: { member_id: w.memberA2, customer_id: w.custNL, supply_date: nlDate(), lines: [invLine()] } });
	assertProblem(other, 422, 'invalid_reference', { field: 'member_id', fieldCode: 'invalid_reference' });
	const foreignCustomer = await srv.api('POST', invoices(w.coopA), { token: m, body: { customer_id: w.custB, supply_date: nlDate(), lines: [invLine()] } });
	assertProblem(foreignCustomer, 422, 'invalid_reference', { field: 'customer_id', fieldCode: 'invalid_reference' });
	const unknownCustomer = await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberA, customer_id: uuid(), supply_date: nlDate(), lines: [] } });
	assertProblem(unknownCustomer, 422, 'invalid_reference', { field: 'customer_id', fieldCode: 'invalid_reference' });
	const foreignMember = await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberB, customer_id: w.custNL, supply_date: nlDate(), lines: [] } });
	assertProblem(foreignMember, 422, 'invalid_reference', { field: 'member_id', fieldCode: 'invalid_reference' });
	const noMember = await srv.api('POST', invoices(w.coopA), { token: bk(), body: { customer_id: w.custNL, supply_date: nlDate(), lines: [] } });
	assertProblem(noMember, 422, 'validation_failed', { field: 'member_id', fieldCode: 'required' });
	const noSupply = await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberA, customer_id: w.custNL, lines: [] } });
	assertProblem(noSupply, 422, 'validation_failed', { field: 'supply_date', fieldCode: 'required' });
	const future = await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(), issue_date: nlDate(2), lines: [] } });
	assertProblem(future, 422, 'validation_failed', { field: 'issue_date' });
	assert.equal(await countInvoices(w.coopA), before, 'nothing was created by the refused drafts');
	// a member never issues
	assertProblem(await invIssueReq(srv, m, own.id), 403, 'forbidden');
	// an empty draft is fine (lines may be empty until issue)
	const empty = await invDraft(srv, bk(), w.coopA, { member_id: w.memberA, customer_id: w.custNL, lines: [] });
	assert.deepEqual(empty.lines, []);
	assert.deepEqual(empty.totals, { net_cents: 0, vat: [], vat_cents: 0, gross_cents: 0 });
});

test('PATCH replaces fields and all lines of a draft; submit hands it over; a member cannot change its submitted draft (409 invoice_not_draft), the bookkeeper can; DELETE → 204', async () => {
	const m = w.memberUserA.token;
	const d = await invDraft(srv, m, w.coopA, { customer_id: w.custNL, lines: [invLine(), invLine({ description: 'Afvoer groen', quantity: '1', unit: 'piece', unit_price_cents: 2500 })] });
	assert.equal(d.lines.length, 2);
	const p = await patch(d.id, { description: 'Gewijzigd', supply_date: nlDate(-1), lines: [invLine({ quantity: '2', unit_price_cents: 4000 })] }, m);
	assert.equal(p.status, 200, p.text);
	assertInvoice(p.json, { status: 'draft', description: 'Gewijzigd', supply_date: nlDate(-1), number: null });
	assert.equal(p.json.lines.length, 1, 'lines replaced');
	assert.equal(p.json.lines[0].net_cents, 8000);
	assert.equal(p.json.totals.gross_cents, 9680);
	assertProblem(await patch(d.id, { customer_id: w.custB }, m), 422, 'invalid_reference', { field: 'customer_id' });
	assertProblem(await patch(d.id, { lines: [invLine({ quantity: 'x' })] }, m), 422, 'validation_failed', { field: 'lines[0].quantity' });
	assertProblem(await patch(d.id, { member_id: w.memberA2 }, m), 422, 'validation_failed', { field: 'member_id', fieldCode: 'unknown_field' });

	const s = await submit(d.id, m);
	assert.equal(s.status, 200, s.text);
	assertInvoice(s.json, { status: 'submitted', number: null });
	assertProblem(await submit(d.id, m), 409, 'invoice_not_draft');
	const before = (await get(d.id)).json;
	assertProblem(await patch(d.id, { description: 'Nog eens' }, m), 409, 'invoice_not_draft');
	assertProblem(await del(d.id, m), 409, 'invoice_not_draft');
	assert.deepEqual((await get(d.id)).json, before, 'the submitted draft is unchanged');
	const byOffice = await patch(d.id, { description: 'Door boekhouding' });
	assert.equal(byOffice.status, 200, byOffice.text);
	assertInvoice(byOffice.json, { status: 'submitted', description: 'Door boekhouding' });
	assert.equal((await invAudit(srv, w.admin, w.coopA, d.id, 'invoice.submit')).length, 1);
	assert.equal((await invAudit(srv, w.admin, w.coopA, d.id, 'invoice.update')).length, 2);

	// the office issues a submitted draft
	const issued = await invIssue(srv, bk(), d.id);
	assert.equal(issued.status, 'issued');

	const gone = await draftA();
	const r = await del(gone.id);
	assert.equal(r.status, 204, r.text);
	assert.equal(r.text, '');
	assertProblem(await get(gone.id), 404, 'not_found');
	assertProblem(await del(gone.id), 404, 'not_found');
	assert.equal((await invAudit(srv, w.admin, w.coopA, gone.id, 'invoice.delete')).length, 1);
	// a member deletes its own unsubmitted draft
	const mine = await invDraft(srv, m, w.coopA, { customer_id: w.custNL });
	assert.equal((await del(mine.id, m)).status, 204);
});

test('line validation: quantity "abc", "0", "1.2345", "-1" or a number, unit "week", reals and strings in unit_price_cents → 422 naming lines[i].field; nothing is stored', async () => {
	const before = await countInvoices(w.coopA);
	const cases = [
		[{ quantity: 'abc' }, 'lines[0].quantity', 'invalid_value'],
		[{ quantity: '0' }, 'lines[0].quantity', 'invalid_value'],
		[{ quantity: '0.000' }, 'lines[0].quantity', 'invalid_value'],
		[{ quantity: '1.2345' }, 'lines[0].quantity', 'invalid_value'],
		[{ quantity: '-1' }, 'lines[0].quantity', 'invalid_value'],
		[{ quantity: '1.' }, 'lines[0].quantity', 'invalid_value'],
		[{ quantity: 4.5 }, 'lines[0].quantity', 'invalid_type'],
		[{ unit: 'week' }, 'lines[0].unit', 'invalid_value'],
		[{ vat_category: 'X' }, 'lines[0].vat_category', 'invalid_value'],
		[{ vat_rate_bp: 0 }, 'lines[0].vat_rate_bp', 'invalid_value'],
		[{ vat_rate_bp: 21.5 }, 'lines[0].vat_rate_bp', 'invalid_type'],
		[{ unit_price_cents: 12.5 }, 'lines[0].unit_price_cents', 'invalid_type'],
		[{ unit_price_cents: '3000' }, 'lines[0].unit_price_cents', 'invalid_type'],
		[{ unit_price_cents: -1 }, 'lines[0].unit_price_cents', 'invalid_value'],
		[{ activity_category: 'Tuin Onderhoud' }, 'lines[0].activity_category', 'invalid_value'],
		[{ description: '' }, 'lines[0].description', 'too_short'],
	];
	for (const [over, field, code] of cases) {
		const r = await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(), lines: [invLine(over)] } });
		assertProblem(r, 422, 'validation_failed', { field, fieldCode: code });
	}
	// a real written as 1e3 is not rounded into cents either
	const raw = `{"member_id":"${w.memberA}","customer_id":"${w.custNL}","supply_date":"${nlDate()}","lines":[{"description":"x","quantity":"1","unit":"hour","unit_price_cents":1e3}]}`;
	assertProblem(await srv.api('POST', invoices(w.coopA), { token: bk(), rawBody: raw }), 422, 'validation_failed', { field: 'lines[0].unit_price_cents', fieldCode: 'invalid_type' });
	// the index names the offending line; missing fields are required
	const second = await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(), lines: [invLine(), invLine({ quantity: '1.2345' })] } });
	const prob = assertProblem(second, 422, 'validation_failed', { field: 'lines[1].quantity' });
	assert.ok(!prob.errors.some((e) => e.field.startsWith('lines[0]')), JSON.stringify(prob));
	const missing = await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(), lines: [{ description: 'x' }] } });
	for (const f of ['quantity', 'unit', 'unit_price_cents']) assertProblem(missing, 422, 'validation_failed', { field: `lines[0].${f}`, fieldCode: 'required' });
	assertProblem(await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate() } }), 422, 'validation_failed', { field: 'lines', fieldCode: 'required' });
	assertProblem(await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(), lines: {} } }), 422, 'validation_failed', { field: 'lines', fieldCode: 'invalid_type' });
	assertProblem(await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(), lines: ['x'] } }), 422, 'validation_failed', { field: 'lines[0]', fieldCode: 'invalid_type' });
	assert.equal(await countInvoices(w.coopA), before, 'no refused draft was stored');
});

test('a line names its VAT category and rate: S 21% and 9%, Z, E and AE with rate 0 are accepted; S with rate 0 or Z/E/AE with a rate → 422 on lines[0].vat_rate_bp', async () => {
	const ok = await draftA({
		lines: [
			invLine({ vat_category: 'S', vat_rate_bp: 2100 }),
			invLine({ vat_category: 'S', vat_rate_bp: 900 }),
			invLine({ vat_category: 'Z' }),
			invLine({ vat_category: 'E', vat_rate_bp: 0 }),
			invLine({ vat_category: 'AE' }),
		],
	});
	assert.deepEqual(ok.lines.map((l) => [l.vat_category, l.vat_rate_bp]), [['S', 2100], ['S', 900], ['Z', 0], ['E', 0], ['AE', 0]]);
	const before = await countInvoices(w.coopA);
	for (const over of [{ vat_category: 'S', vat_rate_bp: 0 }, { vat_category: 'Z', vat_rate_bp: 900 }, { vat_category: 'AE', vat_rate_bp: 2100 }, { vat_category: 'E', vat_rate_bp: 2100 }]) {
		const r = await srv.api('POST', invoices(w.coopA), { token: bk(), body: { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(), lines: [invLine(over)] } });
		assertProblem(r, 422, 'validation_failed', { field: 'lines[0].vat_rate_bp', fieldCode: 'invalid_value' });
	}
	assert.equal(await countInvoices(w.coopA), before);
});

test('a KOR cooperative drafts E lines by default and refuses an S line (422 on lines[0].vat_category)', async () => {
	const kor = await invSmallCoop(srv, w.admin, w.muni, { coop: { vat_scheme: 'kor' } });
	const r = await srv.api('POST', invoices(kor.id), { token: w.admin, body: { member_id: kor.member.id, customer_id: kor.customer.id, supply_date: nlDate(), lines: [invLine({ vat_category: 'S', vat_rate_bp: 2100 })] } });
	assertProblem(r, 422, 'validation_failed', { field: 'lines[0].vat_category', fieldCode: 'invalid_value' });
	const d = await invDraft(srv, w.admin, kor.id, { member_id: kor.member.id, customer_id: kor.customer.id });
	assert.deepEqual([d.lines[0].vat_category, d.lines[0].vat_rate_bp], ['E', 0]);
	assert.deepEqual(d.totals, { net_cents: 13500, vat: [{ vat_category: 'E', vat_rate_bp: 0, base_cents: 13500, vat_cents: 0 }], vat_cents: 0, gross_cents: 13500 });
	const issued = await invIssue(srv, w.admin, d.id);
	assert.equal(issued.status, 'issued');
	assert.equal(issued.totals.vat_cents, 0);
	assert.equal(issued.open_cents, 13500);
});

// ---------------------------------------------------------------------------------------------
// Amounts
test('line net = quantity × unit price rounded half away from zero: 0.125 × 333 = 41.625 → 42, 2.5 × 101 = 252.5 → 253, 0.333 × 3 = 0.999 → 1', async () => {
	const d = await draftA({
		lines: [
			invLine({ quantity: '0.125', unit_price_cents: 333 }),
			invLine({ quantity: '2.5', unit_price_cents: 101 }),
			invLine({ quantity: '0.333', unit_price_cents: 3 }),
			invLine({ quantity: '1.005', unit_price_cents: 100 }),
			invLine({ quantity: '1500.25', unit_price_cents: 1 }),
		],
	});
	assert.deepEqual(d.lines.map((l) => l.quantity), ['0.125', '2.5', '0.333', '1.005', '1500.25']);
	assert.deepEqual(d.lines.map((l) => l.net_cents), [42, 253, 1, 101, 1500]);
	// 1897 × 21% = 398.37 → 398
	assert.deepEqual(d.totals, { net_cents: 1897, vat: [{ vat_category: 'S', vat_rate_bp: 2100, base_cents: 1897, vat_cents: 398 }], vat_cents: 398, gross_cents: 2295 });
	const issued = await invIssue(srv, bk(), d.id);
	assert.deepEqual(issued.lines, d.lines);
	assert.deepEqual(issued.totals, d.totals);
	assert.equal(issued.open_cents, 2295);
});

test('VAT is computed once per (category, rate) on the summed base: two 21% lines of 50 cents give 21, not 2 × 11; two 9% lines of 50 give 9, not 2 × 5', async () => {
	const d = await draftA({
		lines: [
			invLine({ quantity: '1', unit: 'piece', unit_price_cents: 50 }),
			invLine({ quantity: '1', unit: 'piece', unit_price_cents: 50 }),
			invLine({ quantity: '1', unit: 'piece', unit_price_cents: 50, vat_rate_bp: 900 }),
			invLine({ quantity: '1', unit: 'piece', unit_price_cents: 50, vat_rate_bp: 900 }),
			invLine({ quantity: '7', unit: 'km', unit_price_cents: 100, vat_category: 'Z' }),
		],
	});
	assert.deepEqual(sortVat(d.totals.vat), [
		{ vat_category: 'S', vat_rate_bp: 2100, base_cents: 100, vat_cents: 21 },
		{ vat_category: 'S', vat_rate_bp: 900, base_cents: 100, vat_cents: 9 },
		{ vat_category: 'Z', vat_rate_bp: 0, base_cents: 700, vat_cents: 0 },
	]);
	assert.equal(d.totals.net_cents, 900);
	assert.equal(d.totals.vat_cents, 30);
	assert.equal(d.totals.gross_cents, 930);
	const issued = await invIssue(srv, bk(), d.id);
	assert.deepEqual(sortVat(issued.totals.vat), sortVat(d.totals.vat));
	assert.equal(issued.open_cents, 930);
});

// ---------------------------------------------------------------------------------------------
// Issuing
test('issue: number {prefix}{YYYY}-00001 then -00002, status issued, issue_date today (Europe/Amsterdam), due_date = issue_date + the customer\'s payment terms, a draft\'s own due_date kept, ETag, audit invoice.issue', async () => {
	const f = await invSmallCoop(srv, w.admin, w.muni, { customer: { payment_terms_days: 14 } });
	const d = await invDraft(srv, w.admin, f.id, { member_id: f.member.id, customer_id: f.customer.id });
	const t0 = nlDate();
	const r = await invIssueReq(srv, w.admin, d.id);
	const t1 = nlDate();
	assert.equal(r.status, 200, r.text);
	const inv = r.json;
	assertIssued(inv, f.coop.invoice_prefix);
	assert.ok([t0, t1].includes(inv.issue_date), `issue_date ${inv.issue_date} is today ${t0}`);
	assert.equal(inv.number, `${f.coop.invoice_prefix}${inv.issue_date.slice(0, 4)}-00001`);
	assert.equal(inv.due_date, addDays(inv.issue_date, 14));
	assert.equal(inv.open_cents, 16335);
	assert.deepEqual(inv.lines, d.lines);
	assert.deepEqual(inv.totals, d.totals);
	assert.match(r.headers.get('etag') ?? '', /^"\d+"$/);
	assert.deepEqual((await get(inv.id)).json, inv);
	const ev = await invAudit(srv, w.admin, f.id, inv.id, 'invoice.issue');
	assert.equal(ev.length, 1, JSON.stringify(ev));
	assert.equal(ev[0].changes?.number, inv.number, JSON.stringify(ev[0]));

	const due = addDays(inv.issue_date, 60);
	const d2 = await invDraft(srv, w.admin, f.id, { member_id: f.member.id, customer_id: f.customer.id, due_date: due });
	assert.equal(d2.due_date, due);
	const inv2 = await invIssue(srv, w.admin, d2.id, {});
	assert.equal(inv2.number, `${f.coop.invoice_prefix}${inv2.issue_date.slice(0, 4)}-00002`);
	assert.equal(inv2.due_date, due, 'the draft\'s due_date is kept');
});

test('issue keeps the issue_date a draft carries; an issue_date in the issue body sets it; the series is the year of the issue date', async () => {
	const [early, late] = twoDatesOfOneYear();
	const f = await invSmallCoop(srv, w.admin, w.muni, { customer: { payment_terms_days: 30 } });
	const d = await invDraft(srv, w.admin, f.id, { member_id: f.member.id, customer_id: f.customer.id, supply_date: early, issue_date: early });
	assert.equal(d.issue_date, early);
	const inv = await invIssue(srv, w.admin, d.id);
	assert.equal(inv.issue_date, early, 'the draft\'s issue_date is kept (SPEC §9)');
	assert.equal(inv.due_date, addDays(early, 30));
	assert.equal(inv.number, `${f.coop.invoice_prefix}${early.slice(0, 4)}-00001`);
	const d2 = await invDraft(srv, w.admin, f.id, { member_id: f.member.id, customer_id: f.customer.id, supply_date: early });
	const inv2 = await invIssue(srv, w.admin, d2.id, { issue_date: late });
	assert.equal(inv2.issue_date, late);
	assert.equal(inv2.number, `${f.coop.invoice_prefix}${late.slice(0, 4)}-00002`);
});

test('issue_date_before_last_issued: an issue date before the series\' last issued date → 422, the draft stays a draft and no number is used', async () => {
	const [early, late] = twoDatesOfOneYear();
	const f = await invSmallCoop(srv, w.admin, w.muni);
	const first = await invIssued(srv, w.admin, f.id, { member_id: f.member.id, customer_id: f.customer.id, supply_date: early }, { issue_date: late });
	assert.equal(first.number, `${f.coop.invoice_prefix}${late.slice(0, 4)}-00001`);
	const d = await invDraft(srv, w.admin, f.id, { member_id: f.member.id, customer_id: f.customer.id, supply_date: early });
	assertProblem(await invIssueReq(srv, w.admin, d.id, { issue_date: early }), 422, 'issue_date_before_last_issued');
	const still = (await get(d.id)).json;
	assert.equal(still.status, 'draft');
	assert.equal(still.number, null);
	const ok = await invIssue(srv, w.admin, d.id, { issue_date: late });
	assert.equal(ok.number, `${f.coop.invoice_prefix}${late.slice(0, 4)}-00002`, 'the refused attempt used no number');
});

test('issue_date_in_future: issuing with an issue date after today → 422 issue_date_in_future and the draft stays a draft', async () => {
	const d = await draftA();
	const r = await invIssueReq(srv, bk(), d.id, { issue_date: nlDate(2) });
	assertProblem(r, 422, 'issue_date_in_future');
	assert.equal((await get(d.id)).json.status, 'draft');
});

test('no_active_permission: a member on benefit needs a permission covering supply_date; with one it issues; a member not on benefit needs none', async () => {
	const noPerm = await draftA({ member_id: w.memberNoPerm });
	assertProblem(await invIssueReq(srv, bk(), noPerm.id), 422, 'no_active_permission');
	const outside = await draftA({ member_id: w.memberA2, supply_date: nlDate(-150) });
	assertProblem(await invIssueReq(srv, bk(), outside.id), 422, 'no_active_permission');
	for (const id of [noPerm.id, outside.id]) {
		const g = (await get(id)).json;
		assert.equal(g.status, 'draft');
		assert.equal(g.number, null);
	}
	const covered = await draftA({ member_id: w.memberA2, supply_date: nlDate(-10) });
	assert.equal((await invIssue(srv, bk(), covered.id)).status, 'issued');
	const edge = await draftA({ member_id: w.memberA2, supply_date: w.permA2.valid_from });
	assert.equal((await invIssue(srv, bk(), edge.id)).status, 'issued', 'the first day of the permission is covered');
	const notOnBenefit = await draftA({ member_id: w.memberA, supply_date: nlDate(-150) });
	assert.equal((await invIssue(srv, bk(), notOnBenefit.id)).status, 'issued');
	// a revoked permission stops covering from the revocation day
	const revoked = await invMember(srv, w.admin, w.coopA, w.muni, { on_benefit: true });
	const perm = await invCreate(srv, w.admin, `/v1/members/${revoked.id}/permissions`, { municipality_code: w.muni, decision_reference: `R-${hex(2)}`, valid_from: nlDate(-100), valid_until: nlDate(50), goal: 'social_activation' });
	const rv = await srv.api('POST', `/v1/permissions/${perm.id}/revoke`, { token: bk(), body: { revoked_on: nlDate(-20), reason: 'werk gevonden' } });
	assert.equal(rv.status, 200, rv.text);
	const afterRevocation = await draftA({ member_id: revoked.id, supply_date: nlDate(-5) });
	assertProblem(await invIssueReq(srv, bk(), afterRevocation.id), 422, 'no_active_permission');
	const beforeRevocation = await draftA({ member_id: revoked.id, supply_date: nlDate(-30) });
	assert.equal((await invIssue(srv, bk(), beforeRevocation.id)).status, 'issued');
});

test('member_not_active: only work done while a member is invoiced; an ended member\'s permissions show ended', async () => {
	const applicant = await invMember(srv, w.admin, w.coopA, w.muni, { status: 'applicant', joined_on: null });
	assertProblem(await invIssueReq(srv, bk(), (await draftA({ member_id: applicant.id })).id), 422, 'member_not_active');
	const late = await invMember(srv, w.admin, w.coopA, w.muni, { joined_on: nlDate(-10) });
	assertProblem(await invIssueReq(srv, bk(), (await draftA({ member_id: late.id, supply_date: nlDate(-11) })).id), 422, 'member_not_active');
	assert.equal((await invIssue(srv, bk(), (await draftA({ member_id: late.id, supply_date: nlDate(-10) })).id)).status, 'issued', 'the day of joining counts');
	// an ended member: work up to left_on may be invoiced afterwards, work after it not
	const leaver = await invMember(srv, w.admin, w.coopA, w.muni, { on_benefit: true, joined_on: nlDate(-200) });
	const perm = await invCreate(srv, w.admin, `/v1/members/${leaver.id}/permissions`, { municipality_code: w.muni, decision_reference: `L-${hex(2)}`, valid_from: nlDate(-100), valid_until: nlDate(100), goal: 'reintegration' });
	const before = await draftA({ member_id: leaver.id, supply_date: nlDate(-40) });
	const after = await draftA({ member_id: leaver.id, supply_date: nlDate(-5) });
	const ended = await srv.api('PATCH', `/v1/members/${leaver.id}`, { token: bk(), body: { status: 'ended', left_on: nlDate(-30), exit_reason: 'employment' } });
	assert.equal(ended.status, 200, ended.text);
	assert.equal((await invIssue(srv, bk(), before.id)).status, 'issued', 'work done before leaving');
	assertProblem(await invIssueReq(srv, bk(), after.id), 422, 'member_not_active');
	const p = await srv.api('GET', `/v1/permissions/${perm.id}`, { token: bk() });
	assert.equal(p.json.status, 'ended');
	assert.equal(p.json.valid_until, perm.valid_until, 'the municipality\'s decision is not rewritten');
	// a suspended member is not invoiced while suspended, also for earlier work
	const paused = await invMember(srv, w.admin, w.coopA, w.muni);
	const earlier = await draftA({ member_id: paused.id, supply_date: nlDate(-3) });
	assert.equal((await srv.api('PATCH', `/v1/members/${paused.id}`, { token: bk(), body: { status: 'suspended' } })).status, 200);
	assertProblem(await invIssueReq(srv, bk(), earlier.id), 422, 'member_not_active');
	// and a credit note is always possible: crediting the ended member's invoice
	const inv = await invIssue(srv, bk(), (await draftA({ member_id: late.id, supply_date: nlDate(-9) })).id);
	assert.equal((await srv.api('PATCH', `/v1/members/${late.id}`, { token: bk(), body: { status: 'ended', left_on: nlDate(-1), exit_reason: 'moved' } })).status, 200);
	assert.equal((await credit(inv.id, { reason: 'Verhuisd' })).status, 201);
});

test('below_rate_floor: a line under the floor of its activity and unit → 422; a bookkeeper\'s override reason → 403; a coop_admin\'s override issues with rate_floor_override {reason, by, at} and is audited', async () => {
	const rf = await srv.api('POST', `/v1/cooperatives/${w.coopA}/rate-floors`, { token: w.coopAdminA.token, body: { activity_category: 'window_cleaning', unit: 'hour', minimum_unit_price_cents: 2500 } });
	assert.equal(rf.status, 201, rf.text);
	const low = await draftA({ lines: [invLine({ activity_category: 'window_cleaning', unit_price_cents: 2499 })] });
	assertProblem(await invIssueReq(srv, bk(), low.id), 422, 'below_rate_floor');
	assertProblem(await invIssueReq(srv, w.coopAdminA.token, low.id), 422, 'below_rate_floor');
	assertProblem(await invIssueReq(srv, bk(), low.id, { rate_floor_override_reason: 'Buurtactie' }), 403, 'forbidden');
	assert.equal((await get(low.id)).json.status, 'draft');
	const r = await invIssueReq(srv, w.coopAdminA.token, low.id, { rate_floor_override_reason: 'Buurtactie voor de voedselbank' });
	assert.equal(r.status, 200, r.text);
	const o = r.json.rate_floor_override;
	assert.deepEqual(Object.keys(o ?? {}).sort(), ['at', 'by', 'reason'], JSON.stringify(r.json));
	assert.equal(o.reason, 'Buurtactie voor de voedselbank');
	assert.equal(o.by, w.coopAdminA.user.id);
	assert.match(o.at, RFC3339_UTC);
	const ev = await invAudit(srv, w.admin, w.coopA, low.id, 'invoice.issue');
	assert.equal(ev.length, 1);
	assert.equal(ev[0].actor_role, 'coop_admin');
	assert.equal(ev[0].changes.rate_floor_override_reason, 'Buurtactie voor de voedselbank', JSON.stringify(ev[0]));
	// exactly at the floor, another unit or another activity: no override needed, none stored
	const atFloor = await issuedA({ lines: [invLine({ activity_category: 'window_cleaning', unit_price_cents: 2500 }), invLine({ activity_category: 'window_cleaning', unit: 'km', unit_price_cents: 10 }), invLine({ unit_price_cents: 100 })] });
	assert.equal(atFloor.rate_floor_override, null);
});

test('reverse_charge_without_vat_id: an AE line for a customer without VAT id → 422; with the customer\'s VAT id it issues', async () => {
	const bad = await draftA({ customer_id: w.custNoVat, lines: [invLine({ vat_category: 'AE' })] });
	assertProblem(await invIssueReq(srv, bk(), bad.id), 422, 'reverse_charge_without_vat_id');
	const ok = await issuedA({ customer_id: w.custDE, lines: [invLine({ vat_category: 'AE' })] });
	assert.deepEqual(ok.totals, { net_cents: 13500, vat: [{ vat_category: 'AE', vat_rate_bp: 0, base_cents: 13500, vat_cents: 0 }], vat_cents: 0, gross_cents: 13500 });
	// a customer without VAT id is fine without AE lines
	assert.equal((await issuedA({ customer_id: w.custNoVat })).status, 'issued');
});

test('incomplete_invoice_data: no lines, a customer without address, a cooperative without VAT id or without IBAN → 422; no number is used', async () => {
	const f = await invSmallCoop(srv, w.admin, w.muni);
	const noAddr = await invCustomer(srv, w.admin, f.id, { address: null });
	const base = { member_id: f.member.id, customer_id: f.customer.id };
	const empty = await invDraft(srv, w.admin, f.id, { ...base, lines: [] });
	assertProblem(await invIssueReq(srv, w.admin, empty.id), 422, 'incomplete_invoice_data');
	const na = await invDraft(srv, w.admin, f.id, { ...base, customer_id: noAddr.id });
	assertProblem(await invIssueReq(srv, w.admin, na.id), 422, 'incomplete_invoice_data');
	const d = await invDraft(srv, w.admin, f.id, base);
	const pv = await srv.api('PATCH', `/v1/cooperatives/${f.id}`, { token: w.admin, body: { vat_id: null } });
	assert.equal(pv.status, 200, pv.text);
	assertProblem(await invIssueReq(srv, w.admin, d.id), 422, 'incomplete_invoice_data');
	assert.equal((await srv.api('PATCH', `/v1/cooperatives/${f.id}`, { token: w.admin, body: { vat_id: INV_IDS.vat, iban: null } })).status, 200);
	assertProblem(await invIssueReq(srv, w.admin, d.id), 422, 'incomplete_invoice_data');
	for (const id of [empty.id, na.id, d.id]) {
		const g = (await get(id)).json;
		assert.equal(g.status, 'draft');
		assert.equal(g.number, null);
	}
	assert.equal((await srv.api('PATCH', `/v1/cooperatives/${f.id}`, { token: w.admin, body: { iban: INV_IDS.iban } })).status, 200);
	const ok = await invIssue(srv, w.admin, d.id);
	assert.equal(ok.number, `${f.coop.invoice_prefix}${ok.issue_date.slice(0, 4)}-00001`, 'the refused attempts used no number');
});

test('kor_requires_exempt_lines: a draft with an S line in a cooperative that switched to the KOR afterwards → 422; replaced by E lines it issues without VAT', async () => {
	const f = await invSmallCoop(srv, w.admin, w.muni);
	const d = await invDraft(srv, w.admin, f.id, { member_id: f.member.id, customer_id: f.customer.id });
	assert.equal(d.lines[0].vat_category, 'S');
	const pk = await srv.api('PATCH', `/v1/cooperatives/${f.id}`, { token: w.admin, body: { vat_scheme: 'kor' } });
	assert.equal(pk.status, 200, pk.text);
	assertProblem(await invIssueReq(srv, w.admin, d.id), 422, 'kor_requires_exempt_lines');
	assert.equal((await get(d.id)).json.status, 'draft');
	const p = await patch(d.id, { lines: [invLine()] }, w.admin);
	assert.equal(p.status, 200, p.text);
	assert.equal(p.json.lines[0].vat_category, 'E');
	const inv = await invIssue(srv, w.admin, d.id);
	assert.equal(inv.totals.vat_cents, 0);
	assert.equal(inv.number, `${f.coop.invoice_prefix}${inv.issue_date.slice(0, 4)}-00001`);
});

test('an issued invoice is frozen: issuing again, PATCH, DELETE and submit → 409 invoice_not_draft and the invoice is unchanged', async () => {
	const inv = await issuedA();
	const before = await get(inv.id);
	assertProblem(await invIssueReq(srv, bk(), inv.id), 409, 'invoice_not_draft');
	assertProblem(await patch(inv.id, { description: 'Anders' }), 409, 'invoice_not_draft');
	assertProblem(await patch(inv.id, { lines: [invLine({ unit_price_cents: 1 })] }), 409, 'invoice_not_draft');
	assertProblem(await del(inv.id), 409, 'invoice_not_draft');
	assertProblem(await submit(inv.id, bk()), 409, 'invoice_not_draft');
	const after = await get(inv.id);
	assert.deepEqual(after.json, before.json);
	assert.equal(after.headers.get('etag'), before.headers.get('etag'));
	// and the database refuses changes to it as well
	await assert.rejects(env.sql(`update invoices set description = 'x' where id = '${inv.id}'`), /invoice_not_draft/);
	await assert.rejects(env.sql(`delete from invoices where id = '${inv.id}'`), /invoice_not_draft/);
	await assert.rejects(env.sql(`update invoice_lines set unit_price_cents = 1 where invoice_id = '${inv.id}'`), /invoice_not_draft/);
});

// ---------------------------------------------------------------------------------------------
// Credit notes
test('a full credit note: 201 issued credit note with negative amounts, its own next number, credit_of/credited_by, the original becomes credited; again → 409 nothing_to_credit', async () => {
	const prefix = await prefixOf(w.coopA);
	const orig = await issuedA({ lines: [invLine(), invLine({ description: 'Afvoer', quantity: '2', unit: 'piece', unit_price_cents: 1250, vat_category: 'Z' })] });
	const r = await credit(orig.id, { reason: 'Dubbel gefactureerd' });
	assert.equal(r.status, 201, r.text);
	const cn = assertInvoice(r.json, {
		kind: 'credit_note',
		status: 'issued',
		credit_of: orig.id,
		credited_by: [],
		reason: 'Dubbel gefactureerd',
		member_id: orig.member_id,
		customer_id: orig.customer_id,
		supply_date: orig.supply_date,
		cooperative_id: w.coopA,
	});
	assert.equal(r.headers.get('location'), `/v1/invoices/${cn.id}`);
	assert.deepEqual(cn, (await get(cn.id)).json, 'the 201 body is the stored credit note (lines and totals included)');
	assert.match(cn.number, new RegExp(`^${prefix}\\d{4}-\\d{5}$`));
	assert.equal(Number(cn.number.slice(-5)), Number(orig.number.slice(-5)) + 1, `the next number after ${orig.number}: ${cn.number}`);
	assert.ok([nlDate(), nlDate(-1)].includes(cn.issue_date), 'a credit note is dated today');
	assert.deepEqual(cn.lines.map((l) => [l.quantity, l.unit_price_cents, l.net_cents, l.vat_category, l.vat_rate_bp]), orig.lines.map((l) => [`-${l.quantity}`, l.unit_price_cents, -l.net_cents, l.vat_category, l.vat_rate_bp]));
	assert.equal(cn.totals.net_cents, -orig.totals.net_cents);
	assert.equal(cn.totals.vat_cents, -orig.totals.vat_cents);
	assert.equal(cn.totals.gross_cents, -orig.totals.gross_cents);
	assert.deepEqual(sortVat(cn.totals.vat), sortVat(orig.totals.vat).map((v) => ({ ...v, base_cents: 0 - v.base_cents || 0, vat_cents: 0 - v.vat_cents || 0 })));
	assert.equal(cn.open_cents, cn.totals.gross_cents);
	const o = (await get(orig.id)).json;
	assert.equal(o.status, 'credited');
	assert.deepEqual(o.credited_by, [cn.id]);
	assert.equal(o.open_cents, 0);
	assertProblem(await credit(orig.id, { reason: 'Nog eens' }), 409, 'nothing_to_credit');
	assertProblem(await credit(cn.id, { reason: 'Creditnota van creditnota' }), 422, 'cannot_credit_credit_note');
	assertProblem(await credit(cn.id, { description: 'x' }), 422, 'validation_failed', { field: 'reason' });
	const ev = await invAudit(srv, w.admin, w.coopA, cn.id, 'invoice.credit');
	assert.equal(ev.length, 1, JSON.stringify(ev));
	assert.equal(ev[0].changes?.credit_of, orig.id);
});

test('partial credit notes: lines first (positive quantities), then the rest without lines → the original is credited; more than remains → 422 credit_exceeds_invoice; a draft → 409 invoice_not_issued', async () => {
	const orig = await issuedA({ lines: [invLine({ quantity: '10', unit_price_cents: 3000 })] }); // 30000 + 6300
	const over = await credit(orig.id, { reason: 'Te veel', lines: [invLine({ quantity: '11', unit_price_cents: 3000, activity_category: 'gardening' })] });
	assertProblem(over, 422, 'credit_exceeds_invoice');
	const otherRate = await credit(orig.id, { reason: 'Ander tarief', lines: [invLine({ quantity: '1', unit_price_cents: 100, activity_category: 'gardening', vat_category: 'Z' })] });
	assertProblem(otherRate, 422, 'credit_exceeds_invoice');
	assertProblem(await credit(orig.id, { reason: 'Leeg', lines: [] }), 422, 'validation_failed', { field: 'lines' });
	assertProblem(await credit(orig.id, { reason: 'Fout', lines: [invLine({ quantity: 'abc', activity_category: 'gardening' })] }), 422, 'validation_failed', { field: 'lines[0].quantity' });
	const supply = nlDate(-2);
	const p = await credit(orig.id, { reason: 'Vier uur minder', supply_date: supply, lines: [invLine({ description: 'Correctie uren', quantity: '4', unit_price_cents: 3000, activity_category: 'gardening' })] });
	assert.equal(p.status, 201, p.text);
	const pn = (await get(p.json.id)).json; // the stored credit note (the 201 body is checked by the full-credit test)
	assertInvoice(pn, { kind: 'credit_note', status: 'issued', credit_of: orig.id, supply_date: supply });
	assert.deepEqual(pn.lines.map((l) => [l.description, l.quantity, l.net_cents]), [['Correctie uren', '-4', -12000]]);
	assert.deepEqual(pn.totals, { net_cents: -12000, vat: [{ vat_category: 'S', vat_rate_bp: 2100, base_cents: -12000, vat_cents: -2520 }], vat_cents: -2520, gross_cents: -14520 });
	let o = (await get(orig.id)).json;
	assert.equal(o.status, 'issued');
	assert.equal(o.open_cents, 36300 - 14520);
	assert.deepEqual(o.credited_by, [p.json.id]);
	assertProblem(await credit(orig.id, { reason: 'Te veel', lines: [invLine({ quantity: '6.001', unit_price_cents: 3000, activity_category: 'gardening' })] }), 422, 'credit_exceeds_invoice');
	const rest = await credit(orig.id, { reason: 'Rest' });
	assert.equal(rest.status, 201, rest.text);
	const rn = (await get(rest.json.id)).json;
	assert.equal(rn.totals.net_cents, -18000);
	assert.equal(rn.totals.gross_cents, -(36300 - 14520));
	assert.equal(rn.supply_date, orig.supply_date, 'a credit note takes the original\'s supply date');
	assert.equal(Number(rest.json.number.slice(-5)), Number(p.json.number.slice(-5)) + 1);
	o = (await get(orig.id)).json;
	assert.equal(o.status, 'credited');
	assert.equal(o.open_cents, 0);
	assert.deepEqual(o.credited_by, [p.json.id, rest.json.id]);
	assertProblem(await credit(orig.id, { reason: 'Niets meer' }), 409, 'nothing_to_credit');
	const d = await draftA();
	assertProblem(await credit(d.id, { reason: 'Concept' }), 409, 'invoice_not_issued');
	assertProblem(await credit(uuid(), { reason: 'Onbekend' }), 404, 'not_found');
	assertProblem(await credit(orig.id, { reason: 'Lid' }, w.memberUserA.token), 403, 'forbidden');
});

test('partial credits whose VAT rounds differently: crediting the rest credits the whole base and leaves the original credited (nothing more to credit)', async () => {
	// 101 cents at 21% → VAT 21 (21.21). A credit of 50 has VAT −11 (−10.5 rounded away from
	// zero); the rest (51) has VAT −11 (−10.71) by the same rule, one cent more VAT than remained.
	// The base is then fully credited: the original must count as fully credited.
	const orig = await issuedA({ lines: [invLine({ quantity: '1', unit: 'piece', unit_price_cents: 101 })] });
	assert.equal(orig.totals.gross_cents, 122);
	const p = await credit(orig.id, { reason: 'Deel', lines: [invLine({ quantity: '1', unit: 'piece', unit_price_cents: 50, activity_category: 'gardening' })] });
	assert.equal(p.status, 201, p.text);
	const pn = (await get(p.json.id)).json;
	assert.deepEqual([pn.totals.net_cents, pn.totals.vat_cents], [-50, -11]);
	const rest = await credit(orig.id, { reason: 'Rest' });
	assert.equal(rest.status, 201, rest.text);
	const rn = (await get(rest.json.id)).json;
	assert.equal(pn.totals.net_cents + rn.totals.net_cents, -101, 'the credit notes together credit the whole base');
	for (const v of rn.totals.vat) assert.equal(v.vat_cents, Math.sign(v.base_cents) * Math.round((Math.abs(v.base_cents) * v.vat_rate_bp) / 10000), 'each credit note follows the VAT rule itself');
	const o = (await get(orig.id)).json;
	assert.equal(o.status, 'credited', `fully credited (the whole base): ${JSON.stringify({ status: o.status, open_cents: o.open_cents, credited: [pn.totals.gross_cents, rn.totals.gross_cents] })}`);
	assertProblem(await credit(orig.id, { reason: 'Niets meer' }), 409, 'nothing_to_credit');
});

// ---------------------------------------------------------------------------------------------
// Payments
test('payments: a partial payment then the rest → paid; overpayment → 422 overpayment; zero, negative, reals → 422; a draft → 409 invoice_not_issued; the list and GET /v1/payments/{id}; audit payment.create', async () => {
	const inv = await issuedA(); // 16335
	const r1 = await pay(inv.id, { amount_cents: 10000, reference: 'Bank 2026-001' });
	assert.equal(r1.status, 201, r1.text);
	assert.deepEqual(Object.keys(r1.json).sort(), [...PAYMENT_KEYS].sort());
	assert.equal(r1.json.invoice_id, inv.id);
	assert.equal(r1.json.amount_cents, 10000);
	assert.equal(r1.json.method, 'bank');
	assert.equal(r1.json.reference, 'Bank 2026-001');
	assert.equal(r1.json.received_on, nlDate());
	assert.match(r1.json.created_at, RFC3339_UTC);
	assert.equal(r1.headers.get('location'), `/v1/payments/${r1.json.id}`);
	let g = (await get(inv.id)).json;
	assert.equal(g.status, 'issued');
	assert.equal(g.paid_cents, 10000);
	assert.equal(g.open_cents, 6335);
	assertProblem(await pay(inv.id, { amount_cents: 6336 }), 422, 'overpayment');
	assertProblem(await pay(inv.id, { amount_cents: -100 }), 422, 'overpayment');
	assertProblem(await pay(inv.id, { amount_cents: 0 }), 422, 'validation_failed', { field: 'amount_cents' });
	assertProblem(await pay(inv.id, { amount_cents: 100.5 }), 422, 'validation_failed', { field: 'amount_cents', fieldCode: 'invalid_type' });
	assertProblem(await pay(inv.id, { amount_cents: 100, method: 'crypto' }), 422, 'validation_failed', { field: 'method' });
	assertProblem(await pay(inv.id, { amount_cents: 100, received_on: '2026-13-01' }), 422, 'validation_failed', { field: 'received_on' });
	assert.deepEqual((await get(inv.id)).json, g, 'refused payments changed nothing');
	const r2 = await pay(inv.id, { amount_cents: 6335, method: 'cash' });
	assert.equal(r2.status, 201, r2.text);
	assert.equal(r2.json.reference, null);
	g = (await get(inv.id)).json;
	assert.equal(g.status, 'paid');
	assert.equal(g.paid_cents, 16335);
	assert.equal(g.open_cents, 0);
	assertProblem(await pay(inv.id, { amount_cents: 1 }), 422, 'overpayment');
	const list = await listAll(srv, w.auditorA.token, `/v1/invoices/${inv.id}/payments`, 1);
	assert.deepEqual(list.map((p) => p.id), [r1.json.id, r2.json.id]);
	assert.deepEqual(list[0], r1.json);
	const own = await srv.api('GET', `/v1/invoices/${inv.id}/payments`, { token: w.memberUserA.token });
	assert.equal(own.status, 200, 'a member reads the payments of its own invoice');
	const one = await srv.api('GET', `/v1/payments/${r1.json.id}`, { token: bk() });
	assert.equal(one.status, 200, one.text);
	assert.deepEqual(one.json, r1.json);
	assertProblem(await srv.api('GET', `/v1/payments/${r1.json.id}`, { token: w.coopAdminB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/payments/${r1.json.id}`, { token: w.memberUserA.token }), 403, 'forbidden');
	assertProblem(await srv.api('GET', `/v1/payments/${r1.json.id}`, { token: w.municipalityUser.token }), 403, 'forbidden');
	assertProblem(await pay(inv.id, { amount_cents: 1 }, w.memberUserA.token), 403, 'forbidden');
	const d = await draftA();
	assertProblem(await pay(d.id, { amount_cents: 100 }), 409, 'invoice_not_issued');
	assertProblem(await pay(uuid(), { amount_cents: 100 }), 404, 'not_found');
	const ev = await invAudit(srv, w.admin, w.coopA, r1.json.id, 'payment.create');
	assert.equal(ev.length, 1, JSON.stringify(ev));
	assert.equal(ev[0].cooperative_id, w.coopA);
	// payments are append-only in the database
	await assert.rejects(env.sql(`update payments set amount_cents = 1 where id = '${r1.json.id}'`), /append-only/);
});

test('a refund is a negative payment on a credit note, down to its open amount; a positive payment on a credit note → 422 overpayment', async () => {
	const inv = await issuedA(); // 16335
	assert.equal((await pay(inv.id, { amount_cents: 16335 })).status, 201);
	const cn = (await get((await credit(inv.id, { reason: 'Klacht' })).json.id)).json;
	assert.equal(cn.open_cents, -16335);
	assertProblem(await pay(cn.id, { amount_cents: 100 }), 422, 'overpayment');
	assertProblem(await pay(cn.id, { amount_cents: -16336 }), 422, 'overpayment');
	const part = await pay(cn.id, { amount_cents: -6335, reference: 'Terugbetaling deel' });
	assert.equal(part.status, 201, part.text);
	assert.equal(part.json.amount_cents, -6335);
	let g = (await get(cn.id)).json;
	assert.equal(g.paid_cents, -6335);
	assert.equal(g.open_cents, -10000);
	assert.equal(g.status, 'issued');
	assert.equal((await pay(cn.id, { amount_cents: -10000 })).status, 201);
	g = (await get(cn.id)).json;
	assert.equal(g.open_cents, 0);
	assert.equal(g.status, 'paid');
	const o = (await get(inv.id)).json;
	assert.equal(o.status, 'credited');
	const list = await listAll(srv, bk(), `/v1/invoices/${cn.id}/payments`, 10);
	assert.deepEqual(list.map((p) => p.amount_cents), [-6335, -10000]);
});

// ---------------------------------------------------------------------------------------------
// Lists
test('the invoice list filters by status, kind, member_id, customer_id, issued_from and issued_to, pages, and exports CSV', async () => {
	const [d1, d2] = twoDatesOfOneYear();
	const f = await invSmallCoop(srv, w.admin, w.muni);
	const m2 = await invMember(srv, w.admin, f.id, w.muni);
	const c2 = await invCustomer(srv, w.admin, f.id);
	const inv1 = await invIssued(srv, w.admin, f.id, { member_id: f.member.id, customer_id: f.customer.id, supply_date: d1 }, { issue_date: d1 });
	const inv2 = await invIssued(srv, w.admin, f.id, { member_id: m2.id, customer_id: c2.id, supply_date: d1 }, { issue_date: d2 });
	const draft = await invDraft(srv, w.admin, f.id, { member_id: f.member.id, customer_id: c2.id });
	const cn = (await credit(inv1.id, { reason: 'Vergissing' }, w.admin)).json;
	assert.equal((await pay(inv2.id, { amount_cents: inv2.totals.gross_cents }, w.admin)).status, 201);
	const ids = async (q) => (await listAll(srv, w.admin, `${invoices(f.id)}${q}`, 2)).map((x) => x.id);
	assert.deepEqual(await ids(''), [inv1.id, inv2.id, draft.id, cn.id]);
	assert.deepEqual(await ids('?status=draft'), [draft.id]);
	assert.deepEqual(await ids('?status=paid'), [inv2.id]);
	assert.deepEqual(await ids('?status=credited'), [inv1.id]);
	assert.deepEqual(await ids('?status=issued'), [cn.id]);
	assert.deepEqual(await ids('?kind=credit_note'), [cn.id]);
	assert.deepEqual(await ids('?kind=invoice'), [inv1.id, inv2.id, draft.id]);
	assert.deepEqual(await ids(`?member_id=${f.member.id}`), [inv1.id, draft.id, cn.id]);
	assert.deepEqual(await ids(`?customer_id=${c2.id}`), [inv2.id, draft.id]);
	assert.deepEqual(await ids(`?issued_from=${d2}`), [inv2.id, cn.id]);
	assert.deepEqual(await ids(`?issued_to=${d1}`), [inv1.id]);
	assert.deepEqual(await ids(`?issued_from=${d1}&issued_to=${d1}`), [inv1.id]);
	assert.deepEqual(await ids(`?member_id=${f.member.id}&kind=invoice`), [inv1.id, draft.id]);
	assert.deepEqual(await ids(`?member_id=${uuid()}`), []);
	assertProblem(await srv.api('GET', `${invoices(f.id)}?member_id=abc`, { token: w.admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', `${invoices(f.id)}?issued_from=yesterday`, { token: w.admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', `${invoices(f.id)}?status=bogus`, { token: w.admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', `${invoices(f.id)}?kind=invoices`, { token: w.admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', `${invoices(f.id)}?issued_to=2026-02-30`, { token: w.admin }), 400, 'invalid_parameter');
	const one = await srv.api('GET', `${invoices(f.id)}?limit=1`, { token: w.admin });
	assert.equal(one.status, 200);
	assert.equal(one.json.data.length, 1);
	assertInvoice(one.json.data[0]);
	assert.equal(typeof one.json.next_cursor, 'string');

	const csv = await srv.api('GET', invoices(f.id), { token: w.admin, headers: { accept: 'text/csv' } });
	assert.equal(csv.status, 200, csv.text);
	assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
	const rows = csv.text.trim().split(/\r?\n/).map((l) => l.split(','));
	assert.deepEqual(rows[0], CSV_HEADER);
	assert.equal(rows.length, 5, csv.text);
	const row2 = Object.fromEntries(CSV_HEADER.map((h, i) => [h, rows.find((r) => r[0] === inv2.id)?.[i]]));
	assert.equal(row2.number, inv2.number);
	assert.equal(row2.status, 'paid');
	assert.equal(row2.issue_date, d2);
	assert.equal(Number(row2.gross_cents), inv2.totals.gross_cents);
	assert.equal(Number(row2.paid_cents), inv2.totals.gross_cents);
	const rowCn = Object.fromEntries(CSV_HEADER.map((h, i) => [h, rows.find((r) => r[0] === cn.id)?.[i]]));
	assert.equal(rowCn.kind, 'credit_note');
	assert.equal(rowCn.credit_of, inv1.id);
	assert.equal(Number(rowCn.gross_cents), -inv1.totals.gross_cents);
	const filtered = await srv.api('GET', `${invoices(f.id)}?kind=credit_note`, { token: w.admin, headers: { accept: 'text/csv' } });
	assert.equal(filtered.text.trim().split(/\r?\n/).length, 2, filtered.text);
});

// ---------------------------------------------------------------------------------------------
// Idempotency
test('an issue replayed with the same Idempotency-Key answers the same invoice (Idempotent-Replayed) and uses one number; a payment replayed is booked once', async () => {
	const d = await draftA();
	const key = `issue-${hex(6)}`;
	const first = await invIssueReq(srv, bk(), d.id, {}, { 'idempotency-key': key });
	assert.equal(first.status, 200, first.text);
	const second = await invIssueReq(srv, bk(), d.id, {}, { 'idempotency-key': key });
	assert.equal(second.status, 200, second.text);
	assert.equal(second.headers.get('idempotent-replayed'), 'true');
	assert.deepEqual(second.json, first.json);
	const next = await issuedA();
	assert.equal(Number(next.number.slice(-5)), Number(first.json.number.slice(-5)) + 1, 'the replay took no number');
	assertProblem(await invIssueReq(srv, bk(), d.id, {}, { 'idempotency-key': `other-${hex(4)}` }), 409, 'invoice_not_draft');

	const pkey = `pay-${hex(6)}`;
	const body = { amount_cents: 5000, received_on: nlDate(), method: 'bank', reference: 'idem' };
	const p1 = await srv.api('POST', `/v1/invoices/${d.id}/payments`, { token: bk(), body, headers: { 'idempotency-key': pkey } });
	assert.equal(p1.status, 201, p1.text);
	const p2 = await srv.api('POST', `/v1/invoices/${d.id}/payments`, { token: bk(), body, headers: { 'idempotency-key': pkey } });
	assert.equal(p2.status, 201, p2.text);
	assert.equal(p2.headers.get('idempotent-replayed'), 'true');
	assert.deepEqual(p2.json, p1.json);
	assert.equal(p2.headers.get('location'), p1.headers.get('location'));
	const list = await listAll(srv, bk(), `/v1/invoices/${d.id}/payments`, 10);
	assert.equal(list.length, 1, 'one payment only');
	assert.equal((await get(d.id)).json.paid_cents, 5000);

	const ckey = `credit-${hex(6)}`;
	const c1 = await credit(next.id, { reason: 'idem' }, bk(), { 'idempotency-key': ckey });
	const c2 = await credit(next.id, { reason: 'idem' }, bk(), { 'idempotency-key': ckey });
	assert.equal(c1.status, 201, c1.text);
	assert.equal(c2.status, 201, c2.text);
	assert.deepEqual(c2.json, c1.json);
	assert.deepEqual((await get(next.id)).json.credited_by, [c1.json.id], 'one credit note only');
});

// ---------------------------------------------------------------------------------------------
// Scope
test('scope: a member sees its own invoices only (another member\'s → 404), another cooperative\'s staff gets 404, a municipality 403, an auditor reads but never writes', async () => {
	const mineDraft = await invDraft(srv, w.memberUserA.token, w.coopA, { customer_id: w.custNL });
	const mineIssued = await issuedA();
	const other = await issuedA({ member_id: w.memberA2, supply_date: nlDate(-1) });
	const m = w.memberUserA.token;
	const list = await listAll(srv, m, invoices(w.coopA), 50);
	assert.ok(list.length >= 2);
	assert.ok(list.every((i) => i.member_id === w.memberA), 'only the member\'s own invoices');
	assert.ok(list.some((i) => i.id === mineIssued.id) && list.some((i) => i.id === mineDraft.id));
	assert.deepEqual(await listAll(srv, m, `${invoices(w.coopA)}?member_id=${w.memberA2}`, 50), [], 'a filter never widens the scope');
	const csv = await srv.api('GET', invoices(w.coopA), { token: m, headers: { accept: 'text/csv' } });
	assert.equal(csv.status, 200);
	assert.ok(!csv.text.includes(other.id), 'nor does the CSV show another member\'s invoice');
	assert.equal((await get(mineIssued.id, m)).status, 200);
	for (const [method, suffix, body] of [['GET', '', undefined], ['PATCH', '', { description: 'x' }], ['DELETE', '', undefined], ['POST', '/submit', undefined], ['GET', '/payments', undefined], ['GET', '/pdf', undefined], ['GET', '/ubl', undefined]]) {
		assertProblem(await srv.api(method, `/v1/invoices/${other.id}${suffix}`, { token: m, body }), 404, 'not_found');
	}
	assertProblem(await srv.api('GET', invoices(w.coopB), { token: m }), 404, 'not_found');
	// staff of cooperative B
	const b = w.coopAdminB.token;
	for (const [method, suffix, body] of [['GET', '', undefined], ['PATCH', '', { description: 'x' }], ['DELETE', '', undefined], ['POST', '/issue', {}], ['POST', '/credit-notes', { reason: 'x' }], ['POST', '/payments', { amount_cents: 1, received_on: nlDate(), method: 'bank' }], ['GET', '/payments', undefined], ['GET', '/pdf', undefined], ['GET', '/ubl', undefined]]) {
		assertProblem(await srv.api(method, `/v1/invoices${method === 'PATCH' || method === 'DELETE' ? `/${mineDraft.id}` : `/${mineIssued.id}`}${suffix}`, { token: b, body }), 404, 'not_found');
	}
	assertProblem(await srv.api('GET', invoices(w.coopA), { token: b }), 404, 'not_found');
	assertProblem(await srv.api('POST', invoices(w.coopA), { token: w.bookkeeperB.token, body: { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(), lines: [] } }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${w.coopA}/vat-returns/${quarterOf(nlDate())}`, { token: b }), 404, 'not_found');
	// a municipality has no business here at all
	const mu = w.municipalityUser.token;
	assertProblem(await srv.api('GET', invoices(w.coopA), { token: mu }), 403, 'forbidden');
	assertProblem(await get(mineIssued.id, mu), 403, 'forbidden');
	assertProblem(await srv.api('GET', `/v1/invoices/${mineIssued.id}/payments`, { token: mu }), 403, 'forbidden');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${w.coopA}/vat-returns/${quarterOf(nlDate())}`, { token: mu }), 403, 'forbidden');
	// an auditor reads everything of its cooperative and writes nothing
	const a = w.auditorA.token;
	assert.equal((await get(other.id, a)).status, 200);
	assert.equal((await srv.api('GET', invoices(w.coopA), { token: a })).status, 200);
	assertProblem(await srv.api('POST', invoices(w.coopA), { token: a, body: { member_id: w.memberA, customer_id: w.custNL, supply_date: nlDate(), lines: [] } }), 403, 'forbidden');
	assertProblem(await invIssueReq(srv, a, mineDraft.id), 403, 'forbidden');
	assertProblem(await credit(mineIssued.id, { reason: 'x' }, a), 403, 'forbidden');
	assertProblem(await pay(mineIssued.id, { amount_cents: 1 }, a), 403, 'forbidden');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${w.coopA}/vat-returns/${quarterOf(nlDate())}`, { token: m }), 403, 'forbidden');
	assert.equal((await get(mineDraft.id)).json.status, 'draft', 'the refused calls changed nothing');
});

// ---------------------------------------------------------------------------------------------
// Audit
test('create, issue, credit and payment are audit events in the cooperative\'s chain (not in another chain), and the chain verifies', async () => {
	const d = await draftA();
	const inv = await invIssue(srv, bk(), d.id);
	const p = (await pay(inv.id, { amount_cents: 100 })).json;
	const cn = (await credit(inv.id, { reason: 'Audit' })).json;
	for (const [id, action] of [[inv.id, 'invoice.create'], [inv.id, 'invoice.issue'], [cn.id, 'invoice.credit'], [p.id, 'payment.create']]) {
		const ev = await invAudit(srv, w.admin, w.coopA, id, action);
		assert.equal(ev.length, 1, `${action} ${id}: ${JSON.stringify(ev)}`);
		assert.equal(ev[0].cooperative_id, w.coopA);
		assert.equal(ev[0].actor_role, 'bookkeeper');
		assert.equal(ev[0].actor_user_id, w.bookkeeperA.user.id);
		assert.equal((await invAudit(srv, w.admin, w.coopB, id, action)).length, 0);
	}
	const v = await srv.api('GET', `/v1/cooperatives/${w.coopA}/audit-events/verify`, { token: w.admin });
	assert.equal(v.status, 200, v.text);
	assert.equal(v.json.ok, true, v.text);
});

// ---------------------------------------------------------------------------------------------
// VAT return
test('the VAT return of a quarter: 1a, 1b, 1e and 3b from the invoices and credit notes issued in it, vat_due_cents, the count; another quarter is not counted', async () => {
	const f = await invSmallCoop(srv, w.admin, w.muni);
	const nl = f.customer.id;
	const de = (await invCustomer(srv, w.admin, f.id, { name: 'Gartenbau Schmidt GmbH', address: { street: 'Unter den Linden', house_number: '5', postal_code: '10117', city: 'Berlin', country: 'DE' }, kvk_number: null, vat_id: INV_IDS.deVat })).id;
	const today = nlDate();
	const q = quarterOf(today);
	const base = { member_id: f.member.id };
	const L = (price, over = {}) => invLine({ quantity: '1', unit: 'piece', unit_price_cents: price, ...over });
	// one invoice of an earlier quarter, issued first (the series runs forward in time)
	const [qy, qn] = [Number(q.slice(0, 4)), Number(q.slice(6))];
	const prevQ = qn === 1 ? `${qy - 1}-Q4` : `${qy}-Q${qn - 1}`;
	const prevDate = qn === 1 ? `${qy - 1}-12-15` : `${qy}-${String(3 * (qn - 1) - 1).padStart(2, '0')}-15`;
	await invIssued(srv, w.admin, f.id, { ...base, customer_id: nl, supply_date: prevDate, lines: [L(99900)] }, { issue_date: prevDate });
	// this quarter
	await invIssued(srv, w.admin, f.id, { ...base, customer_id: nl, lines: [L(10000), L(5000, { vat_rate_bp: 900 })] }); // 1a 10000/2100, 1b 5000/450
	await invIssued(srv, w.admin, f.id, { ...base, customer_id: nl, lines: [L(3000, { vat_category: 'Z' }), L(2000, { vat_category: 'E' })] }); // 1e 5000
	await invIssued(srv, w.admin, f.id, { ...base, customer_id: nl, lines: [L(7000, { vat_category: 'AE' })] }); // 1e 7000 (reverse charge within NL)
	await invIssued(srv, w.admin, f.id, { ...base, customer_id: de, lines: [L(8000, { vat_category: 'AE' })] }); // 3b 8000
	const credited = await invIssued(srv, w.admin, f.id, { ...base, customer_id: nl, lines: [L(4000)] }); // 1a 4000/840 ...
	assert.equal((await credit(credited.id, { reason: 'Geannuleerd' }, w.admin)).status, 201); // ... and back: −4000/−840
	await invDraft(srv, w.admin, f.id, { ...base, customer_id: nl, lines: [L(123456)] }); // drafts never count
	const r = await srv.api('GET', `/v1/cooperatives/${f.id}/vat-returns/${q}`, { token: w.admin });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.cooperative_id, f.id);
	assert.equal(r.json.period, q);
	assert.deepEqual(r.json.boxes, {
		'1a': { base_cents: 10000, vat_cents: 2100 },
		'1b': { base_cents: 5000, vat_cents: 450 },
		'1c': { base_cents: 0, vat_cents: 0 },
		'1e': { base_cents: 12000, vat_cents: 0 },
		'3b': { base_cents: 8000, vat_cents: 0 },
	});
	assert.equal(r.json.vat_due_cents, 2550);
	assert.equal(r.json.invoices, 6, 'five invoices and one credit note were issued in the quarter');
	const prev = await srv.api('GET', `/v1/cooperatives/${f.id}/vat-returns/${prevQ}`, { token: w.admin });
	assert.equal(prev.status, 200, prev.text);
	assert.deepEqual(prev.json.boxes['1a'], { base_cents: 99900, vat_cents: 20979 });
	assert.equal(prev.json.vat_due_cents, 20979);
	assert.equal(prev.json.invoices, 1);
});

test('the VAT return of a quarter without invoices is all zeros; the office and the auditor may read it', async () => {
	const f = await invSmallCoop(srv, w.admin, w.muni);
	const r = await srv.api('GET', `/v1/cooperatives/${f.id}/vat-returns/2001-Q1`, { token: w.admin });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, {
		cooperative_id: f.id,
		period: '2001-Q1',
		boxes: { '1a': { base_cents: 0, vat_cents: 0 }, '1b': { base_cents: 0, vat_cents: 0 }, '1c': { base_cents: 0, vat_cents: 0 }, '1e': { base_cents: 0, vat_cents: 0 }, '3b': { base_cents: 0, vat_cents: 0 } },
		vat_due_cents: 0,
		invoices: 0,
	});
	for (const t of [bk(), w.auditorA.token, w.coopAdminA.token]) assert.equal((await srv.api('GET', `/v1/cooperatives/${w.coopA}/vat-returns/2001-Q2`, { token: t })).status, 200);
	assert.ok([400, 404].includes((await srv.api('GET', `/v1/cooperatives/${w.coopA}/vat-returns/2001-Q5`, { token: w.admin })).status));
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
