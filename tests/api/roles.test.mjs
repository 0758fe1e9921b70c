// The role and scope matrix, driven by `coopd routes`.
//
// Roles: every authenticated route answers 401 without a token, 403 forbidden to every role it
// does not list, and neither 401 nor 403 to the roles it lists; public routes need no token.
//
// Scope (SPEC §2: out of scope is 404): two cooperatives A and B, each with members, a permission,
// a customer, a shareholder, a rate floor, a fee policy and a user, and two municipalities with a
// policy each. Every route is called by every role it lists with objects of the caller's own
// scope (→ 2xx, with a valid body for writes) and with objects of the other scope (→ 404).
// PARAMS maps each path parameter to those objects per kind of caller; EXPECT holds the body
// (and fresh objects for destructive calls) per route. A route that `coopd routes` lists without
// an EXPECT entry, or with a parameter PARAMS cannot map, fails the suite: a new route needs a
// scope rule here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
	setup, coreCast, runCoopd, assertProblem, uuid, uname, password, hex, muniCode, apiCreate, apiPermission,
	apiCustomer, coopBody, memberBody, permissionBody, listAll, VALID, decodeJwt, signJwt,
} from './harness.mjs';

const ROLES = ['platform_admin', 'coop_admin', 'bookkeeper', 'auditor', 'member', 'municipality'];
let env;
let srv;
let c;
let routes;
let tokens;
let w; // the world: objects of side A and side B

// ---------------------------------------------------------------------------------------------
// The kind of caller decides what is "own" and what is "foreign".
const KIND = {
	platform_admin: 'platform', // everything is own
	coop_admin: 'coop',
	bookkeeper: 'coop',
	auditor: 'coop',
	member: 'member',
	municipality: 'municipality',
};

/*
 * PARAMS[param][kind] = {own: [labels], foreign: [labels]}; a label names an object in
 * OBJECTS[param] (A: cooperative A / municipality 1 side, A2: another member of cooperative A and
 * its permission, B: cooperative B / municipality 2 side). No foreign labels = global for that
 * kind. A parameter is looked up as "<previous segment>/{name}" first (policy_id means a fee
 * policy under fee-policies and a municipal policy under policies), then as "name".
 */
const BOTH = { own: ['A', 'B'], foreign: [] };
const COOP_SCOPED = { own: ['A'], foreign: ['B'] };
const PARAMS = {
	coop_id: { platform: BOTH, coop: COOP_SCOPED, member: COOP_SCOPED },
	member_id: { platform: BOTH, coop: COOP_SCOPED, member: { own: ['A'], foreign: ['A2', 'B'] } },
	permission_id: { platform: BOTH, coop: COOP_SCOPED, member: { own: ['A'], foreign: ['A2', 'B'] } },
	customer_id: { platform: BOTH, coop: COOP_SCOPED },
	shareholder_id: { platform: BOTH, coop: COOP_SCOPED },
	rate_floor_id: { platform: BOTH, coop: COOP_SCOPED },
	'fee-policies/{policy_id}': { platform: BOTH, coop: COOP_SCOPED },
	'policies/{policy_id}': { platform: BOTH, coop: BOTH, municipality: { own: ['A'], foreign: ['B'] } },
	parameters_id: { platform: { own: ['A'], foreign: [] }, coop: { own: ['A'], foreign: [] }, member: { own: ['A'], foreign: [] }, municipality: { own: ['A'], foreign: [] } },
	user_id: { platform: BOTH, coop: COOP_SCOPED },
	code: { platform: BOTH, coop: BOTH, municipality: { own: ['A'], foreign: ['B'] } },
	invoice_id: { platform: BOTH, coop: COOP_SCOPED, member: { own: ['A'], foreign: ['A2', 'B'] } },
	payment_id: { platform: BOTH, coop: COOP_SCOPED },
	expense_id: { platform: BOTH, coop: COOP_SCOPED, member: { own: ['A'], foreign: ['A2', 'B'] } },
	hours_id: { platform: BOTH, coop: COOP_SCOPED, member: { own: ['A'], foreign: ['A2', 'B'] } },
	premium_id: { platform: BOTH, coop: COOP_SCOPED, member: { own: ['A'], foreign: ['A2', 'B'] } },
	entry_id: { platform: BOTH, coop: COOP_SCOPED, member: { own: ['A'], foreign: ['A2', 'B'] } },
	payout_id: { platform: BOTH, coop: COOP_SCOPED },
	cost_id: { platform: BOTH, coop: COOP_SCOPED },
	// a row version in the settlement feed of municipality 1 (A) or 2 (B)
	row_id: { platform: BOTH, municipality: { own: ['A'], foreign: ['B'] } },
	// a quarter is no object: the cooperative of the path carries the scope
	quarter: { platform: { own: ['A'], foreign: [] }, coop: { own: ['A'], foreign: [] } },
	// a month is no object either: the cooperative or member of the path carries the scope
	period: { platform: { own: ['A'], foreign: [] }, coop: { own: ['A'], foreign: [] }, member: { own: ['A'], foreign: [] } },
	year: { platform: { own: ['A'], foreign: [] }, coop: { own: ['A'], foreign: [] }, member: { own: ['A'], foreign: [] } },
	// issue 14, bank statement import: an import and a bank entry of cooperative A or B
	statement_id: { platform: BOTH, coop: COOP_SCOPED },
	bank_entry_id: { platform: BOTH, coop: COOP_SCOPED },
};
// the municipal transparency view: cooperative A has municipality 1's residents, B municipality 2's
PARAMS.coop_id.municipality = { own: ['A'], foreign: ['B'] };
// webhooks (issue 14, part h-hooks): subscriptions of cooperative A and B (A, B) and of
// municipality 1 and 2 (MA, MB); a subscription's scope is its owner's
PARAMS.webhook_id = {
	platform: { own: ['A', 'B', 'MA', 'MB'], foreign: [] },
	coop: { own: ['A'], foreign: ['B', 'MA'] },
	municipality: { own: ['MA'], foreign: ['MB', 'A'] },
};

let seq = 0;
const n = () => ++seq;
const uniqueDate = () => {
	const d = new Date(Date.UTC(1950, 0, 1) + n() * 86400000);
	return d.toISOString().slice(0, 10);
};
const usedCodes = new Set();
const freshCode = () => {
	for (;;) {
		const code = muniCode();
		if (!usedCodes.has(code)) {
			usedCodes.add(code);
			return code;
		}
	}
};
const coopOf = (label) => (label === 'B' ? w.coopB : w.coopA);
const memberOf = (label) => ({ A: w.memberA, A2: w.memberA2, B: w.memberB })[label];
const muniOfMember = (label) => (label === 'B' ? w.muni2 : w.muni1);
/** A permission of that member with its own unique year (no overlaps). */
const freshPermission = (label) => {
	const year = 2100 + n();
	return apiPermission(srv, w.admin, memberOf(label), muniOfMember(label), { valid_from: `${year}-01-01`, valid_until: `${year}-03-31` });
};

/** An expense of that label's member (A, A2 or B), submitted. */
const expenseBody = () => ({ date: '2000-01-05', description: 'Matrix', category: 'travel', amount_cents: 1000 });
const freshExpense = (label) => apiCreate(srv, w.admin, `/v1/members/${memberOf(label)}/expenses`, expenseBody());
/** A week no call has used yet (hours: one entry per member and week). */
const freshWeek = () => {
	const k = n();
	return `${1950 + Math.floor(k / 52)}-W${String((k % 52) + 1).padStart(2, '0')}`;
};

/** A year of its own (2001...) whose January is finalized in the cooperative of that label's
 * member, so that the member has a settled month to reconcile. */
let settledYears = 0;
const settledYear = async (label) => {
	const year = 2001 + settledYears++;
	const coop = label === 'B' ? w.coopB : w.coopA;
	for (const action of ['', '/finalize']) {
		const r = await srv.api('POST', `/v1/cooperatives/${coop}/settlements/${year}-01${action}`, { token: w.admin });
		assert.equal(r.status, 200, r.text);
	}
	return String(year);
};

/** A payout of one cent to member A (cooperative A) or B: every member was paid for an invoice
 * first, so each call has a balance to pay from. */
const payoutBody = (label) => ({ transfers: [{ member_id: memberOf(label === 'B' ? 'B' : 'A'), amount_cents: 1 }] });
const freshPayout = (label) => apiCreate(srv, w.admin, `/v1/cooperatives/${coopOf(label)}/payouts`, payoutBody(label));

/** A draft of that label's member (A, A2 or B) for a customer of its cooperative. */
const draftBody = (label, { forMember = false } = {}) => ({
	...(forMember ? {} : { member_id: memberOf(label) }),
	customer_id: label === 'B' ? w.invCustomerB.id : w.invCustomerA.id,
	supply_date: '2000-01-01',
	lines: [{ description: 'Matrix', quantity: '1', unit: 'hour', unit_price_cents: 5000, activity_category: 'matrix' }],
});
const freshDraft = (label) => apiCreate(srv, w.admin, `/v1/cooperatives/${coopOf(label)}/invoices`, draftBody(label));
const freshIssued = async (label) => {
	const d = await freshDraft(label);
	const r = await srv.api('POST', `/v1/invoices/${d.id}/issue`, { token: w.admin });
	assert.equal(r.status, 200, r.text);
	return r.json;
};

/** Issue 14, bank statement import: a camt.053.001.02 statement of the cooperatives' account
 * (both have VALID.iban) with one new credit that names no invoice (it stays unmatched). */
const bankStatement = () =>
	'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>' +
	`<GrpHdr><MsgId>M${n()}</MsgId></GrpHdr><Stmt><Id>S${n()}</Id><Acct><Id><IBAN>${VALID.iban}</IBAN></Id></Acct>` +
	`<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2000-01-04</Dt></BookgDt>` +
	`<AcctSvcrRef>MATRIX-${n()}-${hex(4)}</AcctSvcrRef></Ntry></Stmt></BkToCstmrStmt></Document>`;
/** A new unmatched bank entry of the cooperative of that label. */
const freshBankEntry = async (label) => {
	const r = await srv.api('POST', `/v1/cooperatives/${coopOf(label)}/bank-statements`, { token: w.admin, rawBody: bankStatement(), headers: { 'content-type': 'application/xml' } });
	assert.equal(r.status, 201, r.text);
	const e = await srv.api('GET', `/v1/cooperatives/${coopOf(label)}/bank-entries?statement_id=${r.json.id}`, { token: w.admin });
	assert.equal(e.json.data.length, 1, e.text);
	return { statement: r.json, entry: e.json.data[0] };
};
/** A webhook subscription body for the caller's role (webhooks, part h-hooks); TEST-NET-1, an
 * address coopd delivers to without COOPD_WEBHOOK_ALLOW_PRIVATE. owner: the label whose
 * cooperative or municipality a platform admin names. */
const webhookBody = (role, owner = 'A') => {
	const muni = owner.startsWith('M');
	const body = { url: `https://192.0.2.10/matrix/${n()}`, events: [role === 'municipality' || muni ? 'settlement.finalized' : 'invoice.issued'] };
	if (role === 'platform_admin') Object.assign(body, muni ? { municipality_code: owner === 'MB' ? w.muni2 : w.muni1 } : { cooperative_id: coopOf(owner) });
	return body;
};
const freshWebhook = (label) => apiCreate(srv, w.admin, '/v1/webhooks', webhookBody('platform_admin', label));

/*
 * EXPECT[`${method} ${path}`] = {public?, body?(ctx), raw?(ctx) (an XML body), prepare?(ctx) → param overrides}.
 * ctx = {role, labels: {param: label}, ids: {param: id}, fresh}.
 */
const EXPECT = {
	'GET /v1/health': { public: true },
	'GET /v1/ready': { public: true },
	'GET /metrics': { public: true },
	'GET /v1/openapi.json': { public: true },
	'GET /v1/openapi.yaml': { public: true },
	'GET /v1/docs': { public: true },
	'GET /v1/docs/redoc.standalone.js': { public: true },
	'POST /v1/auth/token': { public: true },
	// logging out revokes the token: each call gets a token of its own
	'POST /v1/auth/logout': { freshToken: true },
	'GET /v1/me': {},
	'GET /v1/users': {},
	'POST /v1/users': { body: () => ({ username: uname('mx'), password: password(), role: 'auditor', cooperative_id: w.coopA }) },
	'GET /v1/users/{user_id:uuid}': {},
	'PATCH /v1/users/{user_id:uuid}': { body: () => ({ disabled: false }) },
	'DELETE /v1/users/{user_id:uuid}': {
		prepare: async (ctx) => ({ user_id: (await apiCreate(srv, w.admin, '/v1/users', { username: uname('del'), password: password(), role: 'auditor', cooperative_id: coopOf(ctx.labels.user_id) })).id }),
	},
	'GET /v1/municipalities': {},
	'POST /v1/municipalities': { body: () => ({ code: freshCode(), name: `Gemeente ${hex(2)}` }) },
	'GET /v1/municipalities/{code:municipality}': {},
	'PATCH /v1/municipalities/{code:municipality}': { body: () => ({ name: `Hernoemd ${hex(2)}` }) },
	'GET /v1/municipalities/{code:municipality}/policies': {},
	'POST /v1/municipalities/{code:municipality}/policies': { body: () => ({ valid_from: uniqueDate() }) },
	'GET /v1/municipalities/{code:municipality}/policies/{policy_id:uuid}': {},
	'GET /v1/statutory-parameters': {},
	'POST /v1/statutory-parameters': {
		body: () => ({ valid_from: uniqueDate(), exemption_bp: 2500, exemption_monthly_cap_cents: 28500, exemption_max_months: 6, exemption_min_age: 27, premium_year_cap_cents: 339800, premium_max_count: 2, hours_criterion: 1225 }),
	},
	'GET /v1/statutory-parameters/{parameters_id:uuid}': {},
	'GET /v1/cooperatives': {},
	'POST /v1/cooperatives': { body: () => coopBody() },
	'GET /v1/cooperatives/{coop_id:uuid}': {},
	'PATCH /v1/cooperatives/{coop_id:uuid}': { body: () => ({ phone: '+31201234567' }) },
	'GET /v1/cooperatives/{coop_id:uuid}/fee-policies': {},
	'POST /v1/cooperatives/{coop_id:uuid}/fee-policies': { body: () => ({ valid_from: uniqueDate(), percentage_bp: 500 }) },
	'GET /v1/cooperatives/{coop_id:uuid}/fee-policies/{policy_id:uuid}': {},
	'GET /v1/cooperatives/{coop_id:uuid}/shareholders': {},
	'POST /v1/cooperatives/{coop_id:uuid}/shareholders': {
		body: () => {
			const year = 2100 + n();
			return { municipality_code: w.muni1, since: `${year}-01-01`, until: `${year}-12-31` };
		},
	},
	'GET /v1/shareholders/{shareholder_id:uuid}': {},
	'PATCH /v1/shareholders/{shareholder_id:uuid}': { body: () => ({ until: '2000-12-31' }) },
	'GET /v1/cooperatives/{coop_id:uuid}/rate-floors': {},
	'POST /v1/cooperatives/{coop_id:uuid}/rate-floors': { body: () => ({ activity_category: `cat_${n()}`, unit: 'hour', minimum_unit_price_cents: 100 }) },
	'GET /v1/rate-floors/{rate_floor_id:uuid}': {},
	'PATCH /v1/rate-floors/{rate_floor_id:uuid}': { body: () => ({ minimum_unit_price_cents: 150 }) },
	'DELETE /v1/rate-floors/{rate_floor_id:uuid}': {
		prepare: async (ctx) => ({ rate_floor_id: (await apiCreate(srv, w.admin, `/v1/cooperatives/${coopOf(ctx.labels.rate_floor_id)}/rate-floors`, { activity_category: `del_${n()}`, unit: 'km', minimum_unit_price_cents: 10 })).id }),
	},
	'GET /v1/cooperatives/{coop_id:uuid}/members': {},
	'POST /v1/cooperatives/{coop_id:uuid}/members': { body: (ctx) => memberBody(ctx.labels.coop_id === 'B' ? w.muni2 : w.muni1) },
	'GET /v1/members/{member_id:uuid}': {},
	'PATCH /v1/members/{member_id:uuid}': { body: () => ({ phone: '+31612345678' }) },
	'GET /v1/members/{member_id:uuid}/permissions': {},
	'POST /v1/members/{member_id:uuid}/permissions': {
		body: (ctx) => {
			const year = 2100 + n();
			return permissionBody(muniOfMember(ctx.labels.member_id), { valid_from: `${year}-01-01`, valid_until: `${year}-03-31` });
		},
	},
	'GET /v1/permissions/{permission_id:uuid}': {},
	'POST /v1/permissions/{permission_id:uuid}/revoke': {
		prepare: async (ctx) => {
			ctx.fresh = await freshPermission(ctx.labels.permission_id);
			return { permission_id: ctx.fresh.id };
		},
		body: (ctx) => ({ revoked_on: ctx.fresh.valid_from, reason: 'matrix' }),
	},
	'GET /v1/cooperatives/{coop_id:uuid}/customers': {},
	'POST /v1/cooperatives/{coop_id:uuid}/customers': { body: () => ({ name: `Klant ${hex(3)}` }) },
	'GET /v1/customers/{customer_id:uuid}': {},
	'PATCH /v1/customers/{customer_id:uuid}': { body: () => ({ payment_terms_days: 21 }) },
	'GET /v1/members/{member_id:uuid}/expenses': {},
	'POST /v1/members/{member_id:uuid}/expenses': { body: expenseBody },
	'GET /v1/expenses/{expense_id:uuid}': {},
	'POST /v1/expenses/{expense_id:uuid}/approve': { prepare: async (ctx) => ({ expense_id: (await freshExpense(ctx.labels.expense_id)).id }) },
	'POST /v1/expenses/{expense_id:uuid}/reject': {
		prepare: async (ctx) => ({ expense_id: (await freshExpense(ctx.labels.expense_id)).id }),
		body: () => ({ reason: 'matrix' }),
	},
	'GET /v1/members/{member_id:uuid}/hours': {},
	'POST /v1/members/{member_id:uuid}/hours': { body: () => ({ week: freshWeek(), business_hours: '4' }) },
	'GET /v1/hours/{hours_id:uuid}': {},
	'PATCH /v1/hours/{hours_id:uuid}': { body: () => ({ business_hours: '5.5' }) },
	'GET /v1/members/{member_id:uuid}/premiums': {},
	// one premium a year per call: the statutory count allows two a calendar year
	'POST /v1/members/{member_id:uuid}/premiums': { body: () => ({ granted_on: `${2100 + n()}-03-01`, amount_cents: 100, reason: 'matrix' }) },
	'GET /v1/premiums/{premium_id:uuid}': {},
	'POST /v1/cooperatives/{coop_id:uuid}/settlements/{period:period}': {},
	'GET /v1/cooperatives/{coop_id:uuid}/settlements/{period:period}': {},
	// each call finalizes a month of its own, calculated first
	'POST /v1/cooperatives/{coop_id:uuid}/settlements/{period:period}/finalize': {
		prepare: async (ctx) => {
			const k = n();
			const period = `${1960 + Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
			const r = await srv.api('POST', `/v1/cooperatives/${coopOf(ctx.labels.coop_id)}/settlements/${period}`, { token: w.admin });
			assert.equal(r.status, 200, r.text);
			return { period };
		},
	},
	// each call corrects a month of its own, calculated and finalized first
	'POST /v1/cooperatives/{coop_id:uuid}/settlements/{period:period}/corrections': {
		prepare: async (ctx) => {
			const k = n();
			const period = `${1960 + Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
			for (const action of ['', '/finalize']) {
				const r = await srv.api('POST', `/v1/cooperatives/${coopOf(ctx.labels.coop_id)}/settlements/${period}${action}`, { token: w.admin });
				assert.equal(r.status, 200, r.text);
			}
			return { period };
		},
		body: () => ({ reason: 'matrix' }),
	},
	'GET /v1/members/{member_id:uuid}/thermometer/{period:period}': {},
	'GET /v1/members/{member_id:uuid}/thermometer/{period:period}/pdf': {},
	// a year of its own per call, with a finalized month in which the member settled
	'POST /v1/members/{member_id:uuid}/reconciliations/{year:year}': {
		prepare: async (ctx) => ({ year: await settledYear(ctx.labels.member_id) }),
		body: () => ({ actual_tax_cents: 100 }),
	},
	'GET /v1/members/{member_id:uuid}/reconciliations/{year:year}': {},
	'POST /v1/members/{member_id:uuid}/reconciliations/{year:year}/finalize': {
		prepare: async (ctx) => {
			const year = await settledYear(ctx.labels.member_id);
			const r = await srv.api('POST', `/v1/members/${memberOf(ctx.labels.member_id)}/reconciliations/${year}`, { token: w.admin, body: { actual_tax_cents: 0 } });
			assert.equal(r.status, 200, r.text);
			return { year };
		},
	},
	'GET /v1/cooperatives/{coop_id:uuid}/invoices': {},
	'POST /v1/cooperatives/{coop_id:uuid}/invoices': {
		body: (ctx) => ({ ...draftBody(ctx.labels.coop_id, { forMember: ctx.role === 'member' }), lines: [] }),
	},
	'GET /v1/invoices/{invoice_id:uuid}': {},
	'PATCH /v1/invoices/{invoice_id:uuid}': {
		prepare: async (ctx) => ({ invoice_id: (await freshDraft(ctx.labels.invoice_id)).id }),
		body: () => ({ description: 'matrix' }),
	},
	'DELETE /v1/invoices/{invoice_id:uuid}': { prepare: async (ctx) => ({ invoice_id: (await freshDraft(ctx.labels.invoice_id)).id }) },
	'POST /v1/invoices/{invoice_id:uuid}/submit': { prepare: async (ctx) => ({ invoice_id: (await freshDraft(ctx.labels.invoice_id)).id }) },
	'POST /v1/invoices/{invoice_id:uuid}/issue': { prepare: async (ctx) => ({ invoice_id: (await freshDraft(ctx.labels.invoice_id)).id }) },
	'POST /v1/invoices/{invoice_id:uuid}/credit-notes': {
		prepare: async (ctx) => ({ invoice_id: (await freshIssued(ctx.labels.invoice_id)).id }),
		body: () => ({ reason: 'matrix' }),
	},
	'GET /v1/invoices/{invoice_id:uuid}/payments': {},
	'POST /v1/invoices/{invoice_id:uuid}/payments': {
		prepare: async (ctx) => ({ invoice_id: (await freshIssued(ctx.labels.invoice_id)).id }),
		body: () => ({ amount_cents: 100, received_on: '2000-01-02', method: 'bank' }),
	},
	'GET /v1/payments/{payment_id:uuid}': {},
	'GET /v1/invoices/{invoice_id:uuid}/pdf': {},
	'GET /v1/invoices/{invoice_id:uuid}/ubl': {},
	'GET /v1/cooperatives/{coop_id:uuid}/vat-returns/{quarter:quarter}': {},
	'GET /v1/members/{member_id:uuid}/ledger': {},
	'GET /v1/ledger-entries/{entry_id:uuid}': {},
	'GET /v1/cooperatives/{coop_id:uuid}/payouts': {},
	'POST /v1/cooperatives/{coop_id:uuid}/payouts': { body: (ctx) => payoutBody(ctx.labels.coop_id) },
	'GET /v1/payouts/{payout_id:uuid}': {},
	'GET /v1/payouts/{payout_id:uuid}/sepa': {},
	'POST /v1/payouts/{payout_id:uuid}/cancel': {
		prepare: async (ctx) => ({ payout_id: (await freshPayout(ctx.labels.payout_id)).id }),
		body: () => ({ reason: 'matrix' }),
	},
	'GET /v1/cooperatives/{coop_id:uuid}/collective-costs': {},
	'POST /v1/cooperatives/{coop_id:uuid}/collective-costs': { body: () => ({ date: '2000-01-03', category: 'rent', description: 'Matrix', amount_cents: 100 }) },
	'GET /v1/collective-costs/{cost_id:uuid}': {},
	'GET /v1/cooperatives/{coop_id:uuid}/finances': {},
	// issue 14, the XAF audit file
	'GET /v1/cooperatives/{coop_id:uuid}/auditfile': {},
	'GET /v1/municipalities/{code:municipality}/settlements': {},
	'POST /v1/municipalities/{code:municipality}/settlements/{row_id:uuid}/acknowledgement': {},
	'GET /v1/municipalities/{code:municipality}/overview': {},
	'GET /v1/municipalities/{code:municipality}/residents': {},
	'GET /v1/municipalities/{code:municipality}/cooperatives/{coop_id:uuid}': {},
	'GET /v1/municipalities/{code:municipality}/reconciliations': {},
	'GET /v1/audit-events': {},
	'GET /v1/audit-events/verify': {},
	'GET /v1/cooperatives/{coop_id:uuid}/audit-events': {},
	'GET /v1/cooperatives/{coop_id:uuid}/audit-events/verify': {},
	'GET /v1/municipalities/{code:municipality}/audit-events': {},
	// issue 14, bank statement import
	'POST /v1/cooperatives/{coop_id:uuid}/bank-statements': { raw: () => bankStatement() },
	'GET /v1/cooperatives/{coop_id:uuid}/bank-statements': {},
	'GET /v1/bank-statements/{statement_id:uuid}': {},
	'GET /v1/cooperatives/{coop_id:uuid}/bank-entries': {},
	'GET /v1/bank-entries/{bank_entry_id:uuid}': {},
	'POST /v1/bank-entries/{bank_entry_id:uuid}/assign': {
		prepare: async (ctx) => {
			ctx.fresh = await freshIssued(ctx.labels.bank_entry_id);
			return { bank_entry_id: (await freshBankEntry(ctx.labels.bank_entry_id)).entry.id };
		},
		body: (ctx) => ({ invoice_id: ctx.fresh.id }),
	},
	'POST /v1/bank-entries/{bank_entry_id:uuid}/dismiss': {
		prepare: async (ctx) => ({ bank_entry_id: (await freshBankEntry(ctx.labels.bank_entry_id)).entry.id }),
		body: () => ({ reason: 'matrix' }),
	},
	// webhooks (issue 14, part h-hooks)
	'GET /v1/webhooks': {},
	'POST /v1/webhooks': { body: (ctx) => webhookBody(ctx.role) },
	'GET /v1/webhooks/{webhook_id:uuid}': {},
	'PATCH /v1/webhooks/{webhook_id:uuid}': { body: () => ({ enabled: true }) },
	'DELETE /v1/webhooks/{webhook_id:uuid}': { prepare: async (ctx) => ({ webhook_id: (await freshWebhook(ctx.labels.webhook_id)).id }) },
	'GET /v1/webhooks/{webhook_id:uuid}/deliveries': {},
};

// ---------------------------------------------------------------------------------------------
before(async () => {
	env = await setup();
	srv = env.srv;
	c = await coreCast(srv);
	const r = await runCoopd(['routes'], {});
	assert.equal(r.code, 0, r.stderr);
	routes = JSON.parse(r.stdout);
	tokens = c.tokens;
	const admin = c.admin;
	w = { ...c };
	usedCodes.add(c.muni1).add(c.muni2);
	const year = (y) => ({ valid_from: `${y}-01-01` });
	// members since 2000: their work may be invoiced, and each has a thermometer
	for (const m of [c.memberA, c.memberA2, c.memberB]) {
		const act = await srv.api('PATCH', `/v1/members/${m}`, { token: admin, body: { status: 'active', joined_on: '2000-01-01' } });
		assert.equal(act.status, 200, act.text);
	}
	w.permA = await apiPermission(srv, admin, c.memberA, c.muni1, { valid_from: '2000-01-01', valid_until: '2000-06-30' });
	w.permA2 = await apiPermission(srv, admin, c.memberA2, c.muni1, { valid_from: '2000-01-01', valid_until: '2000-06-30' });
	w.permB = await apiPermission(srv, admin, c.memberB, c.muni2, { valid_from: '2000-01-01', valid_until: '2000-06-30' });
	w.customerA = await apiCustomer(srv, admin, c.coopA);
	w.customerB = await apiCustomer(srv, admin, c.coopB);
	w.shareholderA = await apiCreate(srv, admin, `/v1/cooperatives/${c.coopA}/shareholders`, { municipality_code: c.muni1, since: '2000-01-01', until: '2000-12-31' });
	w.shareholderB = await apiCreate(srv, admin, `/v1/cooperatives/${c.coopB}/shareholders`, { municipality_code: c.muni2, since: '2000-01-01', until: '2000-12-31' });
	w.rateFloorA = await apiCreate(srv, admin, `/v1/cooperatives/${c.coopA}/rate-floors`, { activity_category: 'matrix', unit: 'hour', minimum_unit_price_cents: 1000 });
	w.rateFloorB = await apiCreate(srv, admin, `/v1/cooperatives/${c.coopB}/rate-floors`, { activity_category: 'matrix', unit: 'hour', minimum_unit_price_cents: 1000 });
	w.feeA = await apiCreate(srv, admin, `/v1/cooperatives/${c.coopA}/fee-policies`, year(2000));
	w.feeB = await apiCreate(srv, admin, `/v1/cooperatives/${c.coopB}/fee-policies`, year(2000));
	w.policy1 = await apiCreate(srv, admin, `/v1/municipalities/${c.muni1}/policies`, year(2000));
	w.policy2 = await apiCreate(srv, admin, `/v1/municipalities/${c.muni2}/policies`, year(2000));
	w.userA = await apiCreate(srv, admin, '/v1/users', { username: uname('ua'), password: password(), role: 'auditor', cooperative_id: c.coopA });
	w.userB = await apiCreate(srv, admin, '/v1/users', { username: uname('ub'), password: password(), role: 'auditor', cooperative_id: c.coopB });
	// Invoicing: legally complete cooperatives and customers, an issued invoice per member
	// (A2 is another member of A's cooperative) and a payment per cooperative.
	for (const coop of [c.coopA, c.coopB]) {
		const r = await srv.api('PATCH', `/v1/cooperatives/${coop}`, { token: admin, body: { vat_id: VALID.vat, iban: VALID.iban } });
		assert.equal(r.status, 200, r.text);
	}
	const customer = { name: 'Matrix B.V.', kvk_number: VALID.kvk, address: { street: 'Dam', house_number: '1', postal_code: '1012 AB', city: 'Amsterdam' } };
	w.invCustomerA = await apiCreate(srv, admin, `/v1/cooperatives/${c.coopA}/customers`, customer);
	w.invCustomerB = await apiCreate(srv, admin, `/v1/cooperatives/${c.coopB}/customers`, customer);
	w.invoiceA = await freshIssued('A');
	w.invoiceA2 = await freshIssued('A2');
	w.invoiceB = await freshIssued('B');
	w.paymentA = await apiCreate(srv, admin, `/v1/invoices/${w.invoiceA.id}/payments`, { amount_cents: 100, received_on: '2000-01-02', method: 'bank' });
	w.paymentB = await apiCreate(srv, admin, `/v1/invoices/${w.invoiceB.id}/payments`, { amount_cents: 100, received_on: '2000-01-02', method: 'bank' });
	// Members' money: every member paid (a ledger entry each, a balance to pay out from) and
	// with an IBAN; a payout and a collective cost per cooperative.
	for (const [label, inv] of [['A', w.invoiceA], ['A2', w.invoiceA2], ['B', w.invoiceB]]) {
		const m = memberOf(label);
		const r = await srv.api('PATCH', `/v1/members/${m}`, { token: admin, body: { iban: VALID.iban } });
		assert.equal(r.status, 200, r.text);
		await apiCreate(srv, admin, `/v1/invoices/${inv.id}/payments`, { amount_cents: 5000, received_on: '2000-01-03', method: 'bank' });
		const l = await srv.api('GET', `/v1/members/${m}/ledger`, { token: admin });
		assert.equal(l.status, 200, l.text);
		w[`entry${label}`] = l.json.data[0];
	}
	w.payoutA = await freshPayout('A');
	w.payoutB = await freshPayout('B');
	w.costA = await apiCreate(srv, admin, `/v1/cooperatives/${c.coopA}/collective-costs`, { date: '2000-01-03', category: 'rent', description: 'Matrix', amount_cents: 100 });
	w.costB = await apiCreate(srv, admin, `/v1/cooperatives/${c.coopB}/collective-costs`, { date: '2000-01-03', category: 'rent', description: 'Matrix', amount_cents: 100 });
	// the finalized June 2000 rows (below) of members on benefit are in their municipality's feed
	for (const label of ['A', 'A2', 'B']) {
		const m = memberOf(label);
		w[`expense${label}`] = await freshExpense(label);
		w[`hours${label}`] = await apiCreate(srv, admin, `/v1/members/${m}/hours`, { week: freshWeek(), business_hours: '3' });
		w[`premium${label}`] = await apiCreate(srv, admin, `/v1/members/${m}/premiums`, { granted_on: '2026-01-15', amount_cents: 100, reason: 'matrix' });
	}
	for (const coop of [c.coopA, c.coopB])
		for (const action of ['', '/finalize']) {
			const r = await srv.api('POST', `/v1/cooperatives/${coop}/settlements/2000-06${action}`, { token: admin });
			assert.equal(r.status, 200, r.text);
		}
	for (const m of [c.memberA, c.memberA2, c.memberB]) {
		const r = await srv.api('POST', `/v1/members/${m}/reconciliations/2000`, { token: admin, body: { actual_tax_cents: 0 } });
		assert.equal(r.status, 200, r.text);
	}
	for (const [label, code] of [['A', c.muni1], ['B', c.muni2]]) {
		const r = await srv.api('GET', `/v1/municipalities/${code}/settlements?period=2000-06`, { token: admin });
		assert.equal(r.status, 200, r.text);
		assert.ok(r.json.data.length > 0, `the June 2000 rows of ${code} are in its feed`);
		w[`feedRow${label}`] = r.json.data[0].id;
	}
	// issue 14, bank statement import: an import with one entry per cooperative
	w.bankA = await freshBankEntry('A');
	w.bankB = await freshBankEntry('B');
	const params = await srv.api('GET', '/v1/statutory-parameters', { token: admin });
	w.parameters = params.json.data[0].id;
	w.objects = {
		coop_id: { A: c.coopA, B: c.coopB },
		member_id: { A: c.memberA, A2: c.memberA2, B: c.memberB },
		permission_id: { A: w.permA.id, A2: w.permA2.id, B: w.permB.id },
		customer_id: { A: w.customerA.id, B: w.customerB.id },
		shareholder_id: { A: w.shareholderA.id, B: w.shareholderB.id },
		rate_floor_id: { A: w.rateFloorA.id, B: w.rateFloorB.id },
		'fee-policies/{policy_id}': { A: w.feeA.id, B: w.feeB.id },
		'policies/{policy_id}': { A: w.policy1.id, B: w.policy2.id },
		parameters_id: { A: w.parameters },
		user_id: { A: w.userA.id, B: w.userB.id },
		code: { A: c.muni1, B: c.muni2 },
		invoice_id: { A: w.invoiceA.id, A2: w.invoiceA2.id, B: w.invoiceB.id },
		payment_id: { A: w.paymentA.id, B: w.paymentB.id },
		quarter: { A: '2026-Q1' },
		period: { A: '2026-01' },
		year: { A: '2000' },
		expense_id: { A: w.expenseA.id, A2: w.expenseA2.id, B: w.expenseB.id },
		hours_id: { A: w.hoursA.id, A2: w.hoursA2.id, B: w.hoursB.id },
		premium_id: { A: w.premiumA.id, A2: w.premiumA2.id, B: w.premiumB.id },
		entry_id: { A: w.entryA.id, A2: w.entryA2.id, B: w.entryB.id },
		payout_id: { A: w.payoutA.id, B: w.payoutB.id },
		cost_id: { A: w.costA.id, B: w.costB.id },
		row_id: { A: w.feedRowA, B: w.feedRowB },
		statement_id: { A: w.bankA.statement.id, B: w.bankB.statement.id },
		bank_entry_id: { A: w.bankA.entry.id, B: w.bankB.entry.id },
		webhook_id: {},
	};
	for (const label of ['A', 'B', 'MA', 'MB']) w.objects.webhook_id[label] = (await freshWebhook(label)).id;
});
after(() => srv?.kill());

const key = (rt) => `${rt.method} ${rt.path}`;

/** The parameters of a route path: [{name, key (the PARAMS entry), raw}]. */
function paramsOf(p) {
	const out = [];
	const segs = p.split('/');
	segs.forEach((seg, i) => {
		const m = /^\{([a-z_]+)(?::[a-z]+)?\}$/.exec(seg);
		if (!m) return;
		const qualified = `${segs[i - 1]}/{${m[1]}}`;
		out.push({ name: m[1], raw: seg, key: qualified in PARAMS ? qualified : m[1] });
	});
	return out;
}

/** Problems with the scope table for a route (an empty list when it is covered). */
function coverage(rt) {
	const problems = [];
	if (!(key(rt) in EXPECT)) problems.push(`${key(rt)}: no expectation in EXPECT (add a scope rule for the new route)`);
	else if (!!EXPECT[key(rt)].public !== !rt.auth) problems.push(`${key(rt)}: EXPECT says public=${!!EXPECT[key(rt)].public}, coopd routes says auth=${rt.auth}`);
	for (const p of paramsOf(rt.path)) {
		if (!(p.key in PARAMS)) {
			problems.push(`${key(rt)}: parameter ${p.name} is not mapped in PARAMS`);
			continue;
		}
		for (const role of rt.roles) {
			if (!PARAMS[p.key][KIND[role]]) problems.push(`${key(rt)}: no scope rule for parameter ${p.key} and role ${role}`);
		}
	}
	return problems;
}

/** The calls of a route for a role: [{side: 'own'|'foreign', labels}] */
function combos(rt, role) {
	const ps = paramsOf(rt.path);
	const rules = ps.map((p) => PARAMS[p.key][KIND[role]]);
	const out = [];
	const nOwn = Math.max(1, ...rules.map((r) => r.own.length));
	for (let k = 0; k < nOwn; k++) out.push({ side: 'own', labels: Object.fromEntries(ps.map((p, i) => [p.key, rules[i].own[Math.min(k, rules[i].own.length - 1)]])) });
	const nForeign = Math.max(0, ...rules.map((r) => r.foreign.length));
	for (let k = 0; k < nForeign; k++) {
		out.push({
			side: 'foreign',
			labels: Object.fromEntries(ps.map((p, i) => [p.key, rules[i].foreign.length ? rules[i].foreign[Math.min(k, rules[i].foreign.length - 1)] : rules[i].own[0]])),
		});
	}
	return out;
}

/** Calls rt as role (token may be undefined) with the objects of labels. */
/** The role's token, or a copy with a jti of its own for a route that revokes what it is sent. */
const tokenFor = (rt, token) =>
	EXPECT[key(rt)]?.freshToken && token ? signJwt({ ...decodeJwt(token).payload, jti: uuid().replaceAll('-', '') }, srv.secret) : token;

async function callWith(rt, role, token, labels) {
	const ps = paramsOf(rt.path);
	const ctx = { role, labels: {}, ids: {} };
	for (const p of ps) {
		ctx.labels[p.name] = labels[p.key];
		ctx.ids[p.name] = w.objects[p.key]?.[labels[p.key]] ?? uuid(); // unmapped: reported by the coverage test
	}
	const exp = EXPECT[key(rt)] ?? {};
	if (exp.prepare) Object.assign(ctx.ids, await exp.prepare(ctx));
	let path = rt.path;
	for (const p of ps) path = path.replace(p.raw, ctx.ids[p.name]);
	const opts = { token: tokenFor(rt, token) };
	if (exp.raw) Object.assign(opts, { rawBody: exp.raw(ctx), headers: { 'content-type': 'application/xml' } });
	else if (['POST', 'PATCH', 'PUT'].includes(rt.method)) opts.body = exp.body ? exp.body(ctx) : {};
	const r = await srv.api(rt.method, path, opts);
	return { r, path, body: opts.body };
}

/** Own labels for a role that is not listed (the role check comes first). */
const anyLabels = (rt) => Object.fromEntries(paramsOf(rt.path).map((p) => [p.key, 'A']));

// ---------------------------------------------------------------------------------------------
test('coopd routes lists every route with method, path, roles, auth and idempotent', () => {
	assert.ok(Array.isArray(routes) && routes.length >= 16, `${routes.length} routes`);
	for (const rt of routes) {
		assert.match(rt.method, /^(GET|POST|PATCH|PUT|DELETE)$/);
		assert.match(rt.path, /^\/(v1\/|metrics$)/);
		assert.ok(Array.isArray(rt.roles));
		for (const role of rt.roles) assert.ok(ROLES.includes(role), role);
		assert.equal(typeof rt.auth, 'boolean');
		assert.equal(typeof rt.idempotent, 'boolean');
		assert.equal(rt.auth, rt.roles.length > 0, `${rt.method} ${rt.path}: auth iff roles`);
	}
	const keys = routes.map(key);
	assert.equal(new Set(keys).size, keys.length, 'no duplicate routes');
});

test('the scope table covers every route of coopd routes: an expectation per route, a mapping per path parameter and role', () => {
	const problems = routes.flatMap(coverage);
	assert.deepEqual(problems, [], `routes without a scope rule:\n${problems.join('\n')}`);
	const stale = Object.keys(EXPECT).filter((k) => !routes.some((rt) => key(rt) === k));
	assert.deepEqual(stale, [], 'EXPECT entries for routes coopd no longer has');
});

test('every creating POST is idempotent and every idempotent route is a POST', () => {
	for (const rt of routes) if (rt.idempotent) assert.equal(rt.method, 'POST', key(rt));
	// actions that change a state (revoke, submit, logout) are not creations
	const creating = routes.filter((rt) => rt.method === 'POST' && rt.auth && !/\/(revoke|submit|logout)$/.test(rt.path));
	for (const rt of creating) assert.equal(rt.idempotent, true, `${key(rt)} accepts Idempotency-Key`);
});

test('every authenticated route answers 401 unauthorized without a token', async () => {
	for (const rt of routes.filter((x) => x.auth)) {
		const { r, path } = await callWith(rt, null, undefined, anyLabels(rt));
		assert.equal(r.status, 401, `${rt.method} ${path}: ${r.status} ${r.text}`);
		assertProblem(r, 401, 'unauthorized');
	}
});

test('public routes answer without a token (never 401 or 403)', async () => {
	for (const rt of routes.filter((x) => !x.auth)) {
		const { r } = await callWith(rt, null, undefined, {});
		assert.ok(![401, 403].includes(r.status), `${rt.method} ${rt.path}: ${r.status}`);
	}
});

test('every authenticated route answers 403 forbidden to each role it does not list', async () => {
	let checked = 0;
	const wrong = [];
	for (const rt of routes.filter((x) => x.auth)) {
		for (const role of ROLES.filter((x) => !rt.roles.includes(x))) {
			const { r, path } = await callWith(rt, role, tokens[role], anyLabels(rt));
			if (r.status !== 403 || r.json?.code !== 'forbidden') wrong.push(`${role} ${rt.method} ${path}: ${r.status} ${r.text}`);
			checked++;
		}
	}
	assert.deepEqual(wrong, []);
	assert.ok(checked > 60, `${checked} forbidden pairs checked`);
});

test('every authenticated route lets each role it lists through the role check (neither 401 nor 403), also for unknown ids', async () => {
	for (const rt of routes.filter((x) => x.auth)) {
		const p = rt.path.replace(/\{([a-z_]+)(:[a-z]+)?\}/g, (_, name) => (name === 'coop_id' ? c.coopA : name === 'code' ? c.muni1 : uuid()));
		for (const role of rt.roles) {
			const opts = { token: tokenFor(rt, tokens[role]) };
			if (['POST', 'PATCH', 'PUT'].includes(rt.method)) opts.body = {};
			const r = await srv.api(rt.method, p, opts);
			assert.ok(![401, 403].includes(r.status), `${role} on ${rt.method} ${p}: ${r.status} ${r.text}`);
			assert.ok(r.status < 500, `${role} on ${rt.method} ${p}: ${r.status} ${r.text}`);
		}
	}
});

test('scope: every listed role reaches the objects of its own scope (2xx); platform_admin those of both sides', async () => {
	const wrong = [];
	let calls = 0;
	for (const rt of routes.filter((x) => x.auth)) {
		if (coverage(rt).length) {
			wrong.push(...coverage(rt));
			continue;
		}
		for (const role of rt.roles) {
			for (const combo of combos(rt, role).filter((x) => x.side === 'own')) {
				const { r, path, body } = await callWith(rt, role, tokens[role], combo.labels);
				calls++;
				if (r.status < 200 || r.status > 299) wrong.push(`${role} ${rt.method} ${path} ${JSON.stringify(combo.labels)} ${body ? JSON.stringify(body) : ''}: expected 2xx, got ${r.status} ${r.text}`);
			}
		}
	}
	assert.deepEqual(wrong, [], `own objects not reached:\n${wrong.join('\n')}`);
	assert.ok(calls > 150, `${calls} own calls`);
});

test('scope: every listed role gets 404 not_found for the objects of the other scope (never 403, never a write)', async () => {
	const before = await listAll(srv, c.admin, `/v1/cooperatives/${c.coopB}/audit-events`, 200);
	const platformBefore = await listAll(srv, c.admin, '/v1/audit-events', 200);
	const wrong = [];
	let calls = 0;
	for (const rt of routes.filter((x) => x.auth)) {
		if (coverage(rt).length) {
			wrong.push(...coverage(rt));
			continue;
		}
		for (const role of rt.roles) {
			for (const combo of combos(rt, role).filter((x) => x.side === 'foreign')) {
				const { r, path, body } = await callWith(rt, role, tokens[role], combo.labels);
				calls++;
				if (r.status !== 404 || r.json?.code !== 'not_found') wrong.push(`${role} ${rt.method} ${path} ${JSON.stringify(combo.labels)} ${body ? JSON.stringify(body) : ''}: expected 404 not_found, got ${r.status} ${r.text}`);
			}
		}
	}
	assert.deepEqual(wrong, [], `foreign objects not hidden:\n${wrong.join('\n')}`);
	assert.ok(calls > 60, `${calls} foreign calls`);
	// no foreign call wrote anything: the only new events in B's chain and the platform chain
	// come from the platform admin's fresh fixtures
	const after = await listAll(srv, c.admin, `/v1/cooperatives/${c.coopB}/audit-events`, 200);
	const platformAfter = await listAll(srv, c.admin, '/v1/audit-events', 200);
	const byOthers = [...after.slice(before.length), ...platformAfter.slice(platformBefore.length)].filter((e) => e.actor_role !== 'platform_admin');
	assert.deepEqual(byOthers, [], 'a foreign call left an audit event');
});

test('the role check comes before the scope check: a forbidden role gets 403 even for an unknown id', async () => {
	assertProblem(await srv.api('GET', `/v1/users/${uuid()}`, { token: tokens.bookkeeper }), 403, 'forbidden');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${uuid()}/audit-events`, { token: tokens.member }), 403, 'forbidden');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${c.coopB}/members`, { token: tokens.member }), 403, 'forbidden');
	assertProblem(await srv.api('GET', `/v1/members/${c.memberB}`, { token: tokens.municipality }), 403, 'forbidden');
});

test('scope fields in a body never widen the scope: coop_admin of A cannot create users in B; a member cannot read through another coop id', async () => {
	const r = await srv.api('POST', '/v1/users', { token: c.coopAdminA.token, body: { username: uname('x'), password: password(), role: 'auditor', cooperative_id: c.coopB } });
	assertProblem(r, 422, 'invalid_reference', { field: 'cooperative_id', fieldCode: 'invalid_reference' });
	assertProblem(await srv.api('GET', `/v1/members/${c.memberA}/permissions`, { token: c.coopAdminB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${c.coopA}/fee-policies/${w.feeA.id}`, { token: c.coopAdminB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/cooperatives/${c.coopB}/fee-policies/${w.feeA.id}`, { token: c.coopAdminB.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/municipalities/${c.muni1}/policies/${w.policy2.id}`, { token: c.municipalityUser.token }), 404, 'not_found');
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
