// The municipal view (SPEC §5 "Municipal view", §7, §9; issue 11): the overview of the
// cooperatives a municipality's residents work in or it holds a share of, the residents list
// (JSON and CSV, minimal personal data), the transparency view of one cooperative (with other
// municipalities' counts of 1-4 shown as "<5"), and the municipality's part of the finalized
// annual reconciliations (JSON and CSV). A leak test: two municipalities with residents in one
// cooperative and a resident who moves from one to the other mid-year; every endpoint, JSON and
// CSV, holds only the caller's residents and figures. Built through the API only.
//
// Settled months are fixed (June 2025; March, May and August 2026: ended by the time this
// runs); what counts "today" (permissions in force, expiring, shareholdings) is set relative to
// today, and the default years are checked against the explicit ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
	setup, cast, assertProblem, assertKeys, apiCreate, apiCooperative, apiMember, apiMunicipality, apiPermission,
	userWithToken, listAll, csvRows, todayNl, addDays, VALID, psql, run,
} from './harness.mjs';

let env;
let srv;
let c;
let admin;
let muni1;
let muni2;
let user1; // a municipality user of muni1
let user2; // of muni2
const coop = {}; // X: residents of both; Y: muni1 a shareholder only; T: the "<5" counts; Z: muni2 only
const ids = {}; // members by label
const perms = {}; // permissions covering today, by member label
let customerX;
const recon = {}; // finalized reconciliations by label

const TODAY = todayNl();
const YEAR = Number(TODAY.slice(0, 4));
const month = (date) => date.slice(0, 7);

const RESIDENT_KEYS = ['member_id', 'first_name', 'last_name', 'municipal_reference', 'cooperative_id', 'cooperative_name', 'status', 'permission', 'exemption_from', 'exemption_until'];
const PERMISSION_KEYS = ['id', 'municipality_code', 'valid_from', 'valid_until', 'goal', 'status'];
const RESIDENTS_CSV = ['member_id', 'first_name', 'last_name', 'municipal_reference', 'cooperative_id', 'cooperative_name', 'status', 'permission_id', 'permission_municipality_code', 'permission_valid_from', 'permission_valid_until', 'permission_goal', 'permission_status', 'exemption_from', 'exemption_until'];
const RECONCILIATION_KEYS = ['id', 'member_id', 'municipal_reference', 'cooperative_id', 'year', 'finalized_at', 'months', 'difference_cents', 'outcome', 'outcome_cents'];
const RECONCILIATIONS_CSV = ['reconciliation_id', 'member_id', 'municipal_reference', 'cooperative_id', 'year', 'finalized_at', 'outcome', 'period', 'base_cents', 'provisional_net_income_cents', 'provisional_amount_to_settle_cents', 'allocated_delta_cents', 'net_income_cents', 'exemption_cents', 'amount_to_settle_cents', 'difference_cents'];
const OVERVIEW_ITEM_KEYS = ['cooperative_id', 'legal_name', 'shareholder_since', 'residents', 'active_permissions', 'permissions_expiring_60_days', 'turnover_ytd_cents', 'amount_settled_ytd_cents', 'outflow_ytd'];
const REASONS = ['employment', 'full_time_business', 'bbz', 'other_income', 'moved', 'deceased', 'other'];
const outflow = (over = {}) => ({ ...Object.fromEntries(REASONS.map((k) => [k, 0])), ...over });

async function member(label, coopId, code, over = {}) {
	const m = await apiMember(srv, admin, coopId, code, {
		first_name: label[0].toUpperCase() + label.slice(1), last_name: `Lid${label}`, date_of_birth: '1980-01-01',
		status: 'active', joined_on: '2025-01-01', municipal_reference: `REF-${label}`, ...over,
	});
	ids[label] = m.id;
	return m.id;
}

const permission = (label, code, from, until, over = {}) => apiPermission(srv, admin, ids[label], code, { valid_from: from, valid_until: until, goal: 'reintegration', ...over });

async function invoice(label, net, supply) {
	const d = await apiCreate(srv, admin, `/v1/cooperatives/${coop.X}/invoices`, {
		member_id: ids[label], customer_id: customerX, supply_date: supply,
		lines: [{ description: 'Tuinonderhoud', quantity: '1', unit: 'piece', unit_price_cents: net, activity_category: 'gardening', vat_category: 'S', vat_rate_bp: 2100 }],
	});
	const r = await srv.api('POST', `/v1/invoices/${d.id}/issue`, { token: admin });
	assert.equal(r.status, 200, r.text);
}

async function finalize(period) {
	for (const action of ['', '/finalize']) {
		const r = await srv.api('POST', `/v1/cooperatives/${coop.X}/settlements/${period}${action}`, { token: admin });
		assert.equal(r.status, 200, `${period}${action}: ${r.text}`);
	}
}

async function patch(label, body) {
	const r = await srv.api('PATCH', `/v1/members/${ids[label]}`, { token: admin, body });
	assert.equal(r.status, 200, r.text);
}

async function reconcile(label, year, tax, { final = true } = {}) {
	const p = `/v1/members/${ids[label]}/reconciliations/${year}`;
	let r = await srv.api('POST', p, { token: admin, body: { actual_tax_cents: tax } });
	assert.equal(r.status, 200, r.text);
	if (final) {
		r = await srv.api('POST', `${p}/finalize`, { token: admin });
		assert.equal(r.status, 200, r.text);
	}
	return r.json;
}

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await cast(srv, env.dbUrl);
	admin = c.admin;
	muni1 = await apiMunicipality(srv, admin, undefined, 'Gemeente Noord');
	muni2 = await apiMunicipality(srv, admin, undefined, 'Gemeente Zuid');
	// muni1: fee deductible, no tax reservation (S = T − F); muni2: also 10 % tax reservation
	await apiCreate(srv, admin, `/v1/municipalities/${muni1}/policies`, { valid_from: '2025-01-01', fee_deductible: true });
	await apiCreate(srv, admin, `/v1/municipalities/${muni2}/policies`, { valid_from: '2025-01-01', fee_deductible: true, tax_reservation_bp: 1000 });
	user1 = await userWithToken(srv, admin, { role: 'municipality', municipality_code: muni1 });
	user2 = await userWithToken(srv, admin, { role: 'municipality', municipality_code: muni2 });

	// X: the cooperative with residents of both municipalities (fee 5 %)
	coop.X = (await apiCooperative(srv, admin, {
		legal_name: 'Zorgcoöperatie Noord U.A.', trade_name: 'Zorg Noord', vat_id: VALID.vat, iban: VALID.iban,
		email: 'bestuur@zorgnoord.example', phone: '+31201234567', reserve_cap_cents: 500000,
		statutes: [
			{ title: 'Statuten Zorgcoöperatie Noord U.A.', adopted_on: '2024-06-14', document_url: 'https://zorgnoord.example/statuten.pdf', special_statute: false },
			{ title: 'Reglement sociaal aandeelhouders', adopted_on: '2024-06-14', special_statute: true },
		],
		board: [{ name: 'Anke de Vries', position: 'voorzitter', since: '2024-06-14' }, { name: 'Piet Jansen', position: 'penningmeester' }],
	})).id;
	await apiCreate(srv, admin, `/v1/cooperatives/${coop.X}/fee-policies`, { valid_from: '2025-01-01', percentage_bp: 500 });
	await apiCreate(srv, admin, `/v1/cooperatives/${coop.X}/fee-policies`, { valid_from: `${YEAR + 2}-01-01`, percentage_bp: 700 });
	await apiCreate(srv, admin, `/v1/cooperatives/${coop.X}/shareholders`, { municipality_code: muni1, since: '2025-01-01', until: '2025-12-31' });
	await apiCreate(srv, admin, `/v1/cooperatives/${coop.X}/collective-costs`, { date: TODAY, category: 'rent', description: 'Huur werkplaats', amount_cents: 12000 });
	await apiCreate(srv, admin, `/v1/cooperatives/${coop.X}/collective-costs`, { date: TODAY, category: 'training', description: 'Cursus boekhouden', amount_cents: 3000 });
	customerX = (await apiCreate(srv, admin, `/v1/cooperatives/${coop.X}/customers`, {
		name: 'Buurthuis De Pijp', kvk_number: VALID.kvk,
		address: { street: 'Van Ostadestraat', house_number: '153', postal_code: '1072 SV', city: 'Amsterdam' },
	})).id;

	// X's members, in this order (the residents lists are ordered by member)
	await member('ann', coop.X, muni1);
	await permission('ann', muni1, '2026-01-01', '2026-08-31');
	perms.ann = await permission('ann', muni1, addDays(TODAY, -20), addDays(TODAY, 200), {
		goal: 'social_activation', exemption_from: month(addDays(TODAY, 30)), exemption_until: month(addDays(TODAY, 60)),
	});
	await member('bert', coop.X, muni1);
	await permission('bert', muni1, '2026-01-15', '2026-08-31');
	perms.bert = await permission('bert', muni1, addDays(TODAY, -20), addDays(TODAY, 40)); // expires within 60 days
	await member('cora', coop.X, muni1);
	await permission('cora', muni1, '2025-01-01', '2025-12-31');
	await member('dirk', coop.X, muni1);
	await permission('dirk', muni1, '2026-01-01', '2026-08-31');
	perms.dirk = await permission('dirk', muni1, addDays(TODAY, -20), addDays(TODAY, 40)); // no longer in force: he left
	await member('eva', coop.X, muni1);
	await member('off', coop.X, muni1, { on_benefit: false });
	await member('fay', coop.X, muni1, { status: undefined, joined_on: undefined }); // an applicant: no resident
	await member('mo', coop.X, muni1, { municipal_reference: 'N1-MO' });
	await permission('mo', muni1, '2026-01-01', '2026-06-30');
	await member('bo', coop.X, muni2, { municipal_reference: 'N2-BO' });
	await permission('bo', muni2, '2026-01-01', '2026-08-31');
	perms.bo = await permission('bo', muni2, addDays(TODAY, -20), addDays(TODAY, 40));

	// June 2025: cora's income; then she is suspended, and eva leaves (moved)
	await invoice('cora', 60000, '2025-06-10');
	await finalize('2025-06');
	await patch('cora', { status: 'suspended' });
	await patch('eva', { status: 'ended', left_on: '2025-08-31', exit_reason: 'moved' });
	// March 2026, finalized, then a late invoice of ann's and a correction (her version 2)
	await invoice('ann', 200000, '2026-03-10');
	await invoice('mo', 100000, '2026-03-10');
	await invoice('bo', 30000, '2026-03-10');
	await invoice('dirk', 10000, '2026-03-10');
	await invoice('off', 50000, '2026-03-10');
	await finalize('2026-03');
	await invoice('ann', 20000, '2026-03-20');
	const corr = await srv.api('POST', `/v1/cooperatives/${coop.X}/settlements/2026-03/corrections`, { token: admin, body: { reason: 'Late factuur' } });
	assert.equal(corr.status, 200, corr.text);
	await patch('dirk', { status: 'ended', left_on: '2026-04-30', exit_reason: 'employment' });
	// May 2026
	await invoice('bert', 40000, '2026-05-12');
	await finalize('2026-05');
	// mo moves to muni2 in July: a new municipality, case number and permission
	await patch('mo', { municipality_code: muni2, municipal_reference: 'N2-MO' });
	await permission('mo', muni2, '2026-07-01', '2026-08-31', { goal: 'social_activation' });
	perms.mo = await permission('mo', muni2, addDays(TODAY, -20), addDays(TODAY, 200), { goal: 'social_activation' });
	await invoice('mo', 50000, '2026-08-14');
	await finalize('2026-08');
	// the annual reconciliations: cora 2025 (a back-payment), mo 2026 (a claim, over both
	// municipalities), bert 2026 (nothing); bo's 2026 stays a draft
	recon.cora = await reconcile('cora', 2025, 5700);
	recon.mo = await reconcile('mo', 2026, 0);
	recon.bert = await reconcile('bert', 2026, 0);
	recon.bo = await reconcile('bo', 2026, 0, { final: false });

	// Y: muni1 holds a share (now, and again from a later date), no residents
	coop.Y = (await apiCooperative(srv, admin, { legal_name: 'Anders Werk U.A.' })).id;
	await apiCreate(srv, admin, `/v1/cooperatives/${coop.Y}/shareholders`, { municipality_code: muni1, since: '2024-03-01', until: addDays(TODAY, 10) });
	await apiCreate(srv, admin, `/v1/cooperatives/${coop.Y}/shareholders`, { municipality_code: muni1, since: addDays(TODAY, 11) });
	// Z: muni2's resident zed, and an applicant of muni1 (no resident)
	coop.Z = (await apiCooperative(srv, admin, { legal_name: 'Zuid Coop U.A.' })).id;
	await member('zed', coop.Z, muni2, { municipal_reference: 'N2-ZED' });
	await member('fay2', coop.Z, muni1, { status: undefined, joined_on: undefined });
});
after(() => srv?.kill());

const get = async (p, token = admin, headers = {}) => {
	const r = await srv.api('GET', p, { token, headers });
	assert.equal(r.status, 200, `${p}: ${r.text}`);
	return r;
};
const json = async (p, token) => (await get(p, token)).json;
/** A CSV response as [header, rows as objects]. */
const csv = async (p, token) => {
	const r = await get(p, token, { accept: 'text/csv' });
	assert.match(r.headers.get('content-type'), /^text\/csv/);
	const rows = csvRows(r.text).filter((x) => x.length > 1);
	return [rows[0], rows.slice(1).map((cells) => Object.fromEntries(rows[0].map((h, i) => [h, cells[i]])))];
};
const base = (code) => `/v1/municipalities/${code}`;

// ---------------------------------------------------------------------------------------------
test('overview: one item per cooperative with residents or a shareholding, by legal name, with exact figures of the year', async () => {
	const o = await json(`${base(muni1)}/overview?year=2026`, user1.token);
	assertKeys(o, ['municipality_code', 'year', 'cooperatives']);
	assert.equal(o.municipality_code, muni1);
	assert.equal(o.year, 2026);
	assert.deepEqual(o.cooperatives.map((x) => x.legal_name), ['Anders Werk U.A.', 'Zorgcoöperatie Noord U.A.'], 'not Z: an applicant is no resident');
	const [y, x] = o.cooperatives;
	for (const item of o.cooperatives) assertKeys(item, OVERVIEW_ITEM_KEYS, 'overview item');
	assert.deepEqual(x, {
		cooperative_id: coop.X,
		legal_name: 'Zorgcoöperatie Noord U.A.',
		shareholder_since: '2025-01-01', // none covers today: the latest
		// ann, bert, off active; cora suspended; dirk, eva ended (fay is an applicant, mo moved away)
		residents: { total: 6, by_status: { active: 3, suspended: 1, ended: 2 }, by_goal: { reintegration: 1, social_activation: 1 } },
		active_permissions: 2, // ann's and bert's (dirk's is no longer in force: he left)
		permissions_expiring_60_days: 1, // bert's
		// the current versions settled with muni1: ann 220000 (version 2), mo 100000 (March,
		// before he moved), dirk 10000, bert 40000; amounts T − 5 % fee
		turnover_ytd_cents: 370000,
		amount_settled_ytd_cents: 209000 + 95000 + 9500 + 38000,
		outflow_ytd: outflow({ employment: 1 }),
	});
	assert.deepEqual(y, {
		cooperative_id: coop.Y,
		legal_name: 'Anders Werk U.A.',
		shareholder_since: '2024-03-01', // the shareholding covering today, not the later one
		residents: { total: 0, by_status: { active: 0, suspended: 0, ended: 0 }, by_goal: { reintegration: 0, social_activation: 0 } },
		active_permissions: 0,
		permissions_expiring_60_days: 0,
		turnover_ytd_cents: 0,
		amount_settled_ytd_cents: 0,
		outflow_ytd: outflow(),
	});
	// another year: its turnover and outflow; residents and permissions are today's
	const o25 = await json(`${base(muni1)}/overview?year=2025`, user1.token);
	const x25 = o25.cooperatives.find((i) => i.cooperative_id === coop.X);
	assert.equal(o25.year, 2025);
	assert.equal(x25.turnover_ytd_cents, 60000);
	assert.equal(x25.amount_settled_ytd_cents, 57000);
	assert.deepEqual(x25.outflow_ytd, outflow({ moved: 1 }));
	assert.deepEqual(x25.residents, x.residents);
	assert.equal(x25.active_permissions, 2);
	// without ?year=: the current year
	assert.deepEqual(await json(`${base(muni1)}/overview`, user1.token), await json(`${base(muni1)}/overview?year=${YEAR}`, user1.token));
	assert.deepEqual((await json(`${base(muni1)}/overview?year=2000`)).cooperatives.map((i) => i.turnover_ytd_cents), [0, 0]);
});

test('overview of the other municipality: its residents (mo since he moved) and what settled with it', async () => {
	const o = await json(`${base(muni2)}/overview?year=2026`, user2.token);
	assert.deepEqual(o.cooperatives.map((x) => x.cooperative_id), [coop.X, coop.Z]);
	assert.deepEqual(o.cooperatives[0], {
		cooperative_id: coop.X,
		legal_name: 'Zorgcoöperatie Noord U.A.',
		shareholder_since: null,
		residents: { total: 2, by_status: { active: 2, suspended: 0, ended: 0 }, by_goal: { reintegration: 1, social_activation: 1 } },
		active_permissions: 2,
		permissions_expiring_60_days: 1,
		// bo in March (30000, S = 25650 after 10 % tax reservation) and mo in August (50000, S 42750)
		turnover_ytd_cents: 80000,
		amount_settled_ytd_cents: 25650 + 42750,
		outflow_ytd: outflow(),
	});
	assert.equal(o.cooperatives[1].residents.total, 1);
	assert.equal(o.cooperatives[1].shareholder_since, null);
});

test('residents: minimal personal data, the permission covering today and its exemption window, by member; pages and CSV agree', async () => {
	const page = await json(`${base(muni1)}/residents?limit=200`, user1.token);
	assert.equal(page.next_cursor, null);
	assert.deepEqual(page.data.map((x) => x.member_id), ['ann', 'bert', 'cora', 'dirk', 'eva', 'off'].map((l) => ids[l]));
	for (const item of page.data) {
		assertKeys(item, RESIDENT_KEYS, 'resident');
		if (item.permission) assertKeys(item.permission, PERMISSION_KEYS, 'resident permission');
	}
	const [ann, bert, cora, dirk, eva] = page.data;
	assert.deepEqual(ann, {
		member_id: ids.ann, first_name: 'Ann', last_name: 'Lidann', municipal_reference: 'REF-ann', cooperative_id: coop.X,
		cooperative_name: 'Zorgcoöperatie Noord U.A.', status: 'active',
		permission: { id: perms.ann.id, municipality_code: muni1, valid_from: perms.ann.valid_from, valid_until: perms.ann.valid_until, goal: 'social_activation', status: 'active' },
		exemption_from: month(addDays(TODAY, 30)), exemption_until: month(addDays(TODAY, 60)),
	});
	assert.equal(bert.permission.id, perms.bert.id);
	assert.equal(bert.exemption_from, null);
	assert.equal(cora.status, 'suspended');
	assert.equal(cora.permission, null, 'her permission ended last year');
	assert.equal(dirk.status, 'ended');
	assert.deepEqual([dirk.permission.id, dirk.permission.status], [perms.dirk.id, 'ended'], 'it covers today, but he left');
	assert.equal(eva.permission, null);
	// paged: the same items
	assert.deepEqual(await listAll(srv, user1.token, `${base(muni1)}/residents`, 2), page.data);
	// CSV: the same residents and fields, the permission's as permission_* columns
	const [header, rows] = await csv(`${base(muni1)}/residents`, user1.token);
	assert.deepEqual(header, RESIDENTS_CSV);
	assert.equal(rows.length, page.data.length);
	rows.forEach((row, i) => {
		const want = page.data[i];
		for (const k of ['member_id', 'first_name', 'last_name', 'municipal_reference', 'cooperative_id', 'cooperative_name', 'status']) assert.equal(row[k], want[k], k);
		for (const k of PERMISSION_KEYS) assert.equal(row[`permission_${k}`], want.permission ? want.permission[k] : '', `permission_${k}`);
		assert.equal(row.exemption_from, want.exemption_from ?? '');
	});
	// muni2: mo (moved in) with his new case number and permission, bo, and zed of cooperative Z
	const two = await json(`${base(muni2)}/residents`, user2.token);
	assert.deepEqual(two.data.map((x) => [x.member_id, x.municipal_reference, x.permission?.id ?? null]), [
		[ids.mo, 'N2-MO', perms.mo.id], [ids.bo, 'N2-BO', perms.bo.id], [ids.zed, 'N2-ZED', null],
	]);
	assert.equal(two.data[2].cooperative_name, 'Zuid Coop U.A.');
	assertProblem(await srv.api('GET', `${base(muni1)}/residents?limit=0`, { token: user1.token }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', `${base(muni1)}/residents?after=zzz`, { token: user1.token }), 400, 'invalid_parameter');
});

test('transparency: the cooperative, fee policy in force, finances of the year, board, statutes, member counts and the residents', async () => {
	const v = await json(`${base(muni1)}/cooperatives/${coop.X}`, user1.token);
	assertKeys(v, ['cooperative', 'fee_policy', 'finances', 'board', 'statutes', 'members_by_municipality', 'residents']);
	assert.deepEqual(v.cooperative, {
		legal_name: 'Zorgcoöperatie Noord U.A.', trade_name: 'Zorg Noord', kvk_number: VALID.kvk,
		address: { street: 'Damrak', house_number: '1a', postal_code: '1012 AB', city: 'Amsterdam', country: 'NL' },
		email: 'bestuur@zorgnoord.example', phone: '+31201234567',
	});
	const full = await json(`/v1/cooperatives/${coop.X}`);
	assert.equal(v.fee_policy.valid_from, '2025-01-01', 'the version in force today, not the later one');
	assert.equal(v.fee_policy.percentage_bp, 500);
	const policies = await json(`/v1/cooperatives/${coop.X}/fee-policies`);
	assert.deepEqual(v.fee_policy, policies.data.find((p) => p.valid_from === '2025-01-01'), 'the fee policy document');
	const fin = await json(`/v1/cooperatives/${coop.X}/finances`);
	assert.deepEqual(v.finances, {
		year: YEAR, fee_income_cents: fin.fee_income_cents, collective_costs_cents: 15000,
		collective_costs_by_category: { training: 3000, rent: 12000, overhead: 0, insurance: 0, administration: 0, other: 0 },
		reserve_cents: fin.reserve_cents, reserve_cap_cents: 500000,
	});
	assert.equal(fin.year, YEAR);
	assert.deepEqual(v.board, full.board);
	assert.deepEqual(v.statutes, full.statutes);
	assert.equal(v.board.length, 2);
	assert.equal(v.statutes[1].special_statute, true);
	// active and suspended members: muni1 has 4 (ann, bert, off; cora), exact for the viewer;
	// muni2 has 2 (mo, bo): "<5"
	assert.deepEqual(v.members_by_municipality, [{ municipality_code: muni1, count: 4 }, { municipality_code: muni2, count: '<5' }].sort((a, b) => (a.municipality_code < b.municipality_code ? -1 : 1)));
	// the residents: exactly the items of the residents list of this cooperative
	const list = (await json(`${base(muni1)}/residents`, user1.token)).data.filter((x) => x.cooperative_id === coop.X);
	assert.deepEqual(v.residents, list);
	// the other municipality sees its own count exactly and muni1's as "<5"
	const v2 = await json(`${base(muni2)}/cooperatives/${coop.X}`, user2.token);
	assert.deepEqual(Object.fromEntries(v2.members_by_municipality.map((x) => [x.municipality_code, x.count])), { [muni1]: '<5', [muni2]: 2 });
	assert.deepEqual(v2.residents.map((x) => x.member_id), [ids.mo, ids.bo]);
	// a shareholding only: no residents, no fee policy, finances of nothing
	const y = await json(`${base(muni1)}/cooperatives/${coop.Y}`, user1.token);
	assert.equal(y.fee_policy, null);
	assert.deepEqual(y.members_by_municipality, []);
	assert.deepEqual(y.residents, []);
	assert.deepEqual([y.finances.fee_income_cents, y.finances.collective_costs_cents, y.finances.reserve_cents, y.finances.reserve_cap_cents], [0, 0, 0, null]);
	assert.deepEqual([y.board, y.statutes], [[], []]);
});

test('transparency: "<5" for another municipality\'s 1 to 4 members, exact at 5 and for the viewer, none listed at 0', async () => {
	const admin_ = admin;
	const codes = {};
	for (const k of ['A', 'B', 'C', 'D']) codes[k] = await apiMunicipality(srv, admin_);
	coop.T = (await apiCooperative(srv, admin_, { legal_name: 'Telcoop U.A.' })).id;
	await apiCreate(srv, admin_, `/v1/cooperatives/${coop.T}/shareholders`, { municipality_code: muni1, since: '2025-01-01' });
	const add = (code, n, over = {}) => Promise.all(Array.from({ length: n }, (_, i) => apiMember(srv, admin_, coop.T, code, { status: 'active', joined_on: '2025-01-01', last_name: `Tel ${i}`, ...over })));
	await add(muni1, 1);
	await add(codes.A, 1);
	await add(codes.B, 3);
	const susp = (await add(codes.B, 1))[0];
	assert.equal((await srv.api('PATCH', `/v1/members/${susp.id}`, { token: admin_, body: { status: 'suspended' } })).status, 200);
	await add(codes.C, 5);
	const gone = (await add(codes.D, 1))[0]; // ended, and an applicant: 0 active or suspended
	assert.equal((await srv.api('PATCH', `/v1/members/${gone.id}`, { token: admin_, body: { status: 'ended', left_on: '2026-01-31', exit_reason: 'other' } })).status, 200);
	await add(codes.D, 1, { status: undefined, joined_on: undefined });
	const counts = async (code, token) => Object.fromEntries((await json(`${base(code)}/cooperatives/${coop.T}`, token)).members_by_municipality.map((x) => [x.municipality_code, x.count]));
	assert.deepEqual(await counts(muni1, user1.token), { [muni1]: 1, [codes.A]: '<5', [codes.B]: '<5', [codes.C]: 5 });
	// municipality A (a resident, no share) sees its own 1 exactly and muni1's 1 as "<5"
	const userA = await userWithToken(srv, admin_, { role: 'municipality', municipality_code: codes.A });
	assert.deepEqual(await counts(codes.A, userA.token), { [muni1]: '<5', [codes.A]: 1, [codes.B]: '<5', [codes.C]: 5 });
	// D's resident left: D still sees the cooperative (an ended resident is a resident), its own count is 0: not listed
	const d = await json(`${base(codes.D)}/cooperatives/${coop.T}`);
	assert.ok(!d.members_by_municipality.some((x) => x.municipality_code === codes.D));
	assert.deepEqual(d.residents.map((x) => x.member_id), [gone.id]);
	// ordered by code
	const order = (await json(`${base(muni1)}/cooperatives/${coop.T}`)).members_by_municipality.map((x) => x.municipality_code);
	assert.deepEqual(order, [...order].sort());
});

test('transparency: a cooperative without residents or shareholding of the municipality answers 404, like an unknown one', async () => {
	for (const token of [user1.token, admin]) {
		assertProblem(await srv.api('GET', `${base(muni1)}/cooperatives/${coop.Z}`, { token }), 404, 'not_found'); // only an applicant
		assertProblem(await srv.api('GET', `${base(muni1)}/cooperatives/${c.coopA}`, { token }), 404, 'not_found');
		assertProblem(await srv.api('GET', `${base(muni1)}/cooperatives/00000000-0000-4000-8000-000000000000`, { token }), 404, 'not_found');
	}
	assertProblem(await srv.api('GET', `${base(muni2)}/cooperatives/${coop.Y}`, { token: user2.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `${base(muni1)}/cooperatives/not-a-uuid`, { token: user1.token }), 404, 'not_found');
});

test('reconciliations: the finalized ones of the year with the municipality\'s months only, its part of the difference and outcome', async () => {
	const one = await json(`${base(muni1)}/reconciliations?year=2026`, user1.token);
	assert.equal(one.next_cursor, null);
	for (const item of one.data) assertKeys(item, RECONCILIATION_KEYS, 'reconciliation item');
	assert.deepEqual(one.data.map((x) => x.member_id), [ids.mo, ids.bert], 'finalized only (not bo\'s draft), by creation');
	const [mo1, bert] = one.data;
	// mo's year: March 95000 and May 0 settled with muni1, August 42750 with muni2; Δ 4750 spread
	// by net income: March +3276 (the largest remainder takes the last cent), August +1474
	assert.deepEqual(recon.mo.months.map((m) => [m.period, m.difference_cents]), [['2026-03', 3276], ['2026-05', 0], ['2026-08', 1474]]);
	assert.deepEqual(mo1, {
		id: recon.mo.id, member_id: ids.mo, municipal_reference: 'N1-MO', cooperative_id: coop.X, year: 2026,
		finalized_at: recon.mo.finalized_at, months: recon.mo.months.slice(0, 2), difference_cents: 3276, outcome: 'claim', outcome_cents: 3276,
	});
	assert.equal(bert.outcome, 'none');
	assert.equal(bert.difference_cents, 0);
	assert.deepEqual(bert.months, recon.bert.months);
	const two = await json(`${base(muni2)}/reconciliations?year=2026`, user2.token);
	assert.deepEqual(two.data, [{
		id: recon.mo.id, member_id: ids.mo, municipal_reference: 'N2-MO', cooperative_id: coop.X, year: 2026,
		finalized_at: recon.mo.finalized_at, months: [recon.mo.months[2]], difference_cents: 1474, outcome: 'claim', outcome_cents: 1474,
	}]);
	// 2025: cora's back-payment (tax 5700 on 57000)
	const y25 = await json(`${base(muni1)}/reconciliations?year=2025`, user1.token);
	assert.deepEqual(y25.data.map((x) => [x.member_id, x.difference_cents, x.outcome, x.outcome_cents, x.municipal_reference]), [[ids.cora, -5700, 'back_payment', 5700, 'REF-cora']]);
	assert.deepEqual((await json(`${base(muni2)}/reconciliations?year=2025`, user2.token)).data, []);
	// without ?year=: the previous year
	assert.deepEqual(await json(`${base(muni1)}/reconciliations`, user1.token), await json(`${base(muni1)}/reconciliations?year=${YEAR - 1}`, user1.token));
	// paged
	assert.deepEqual(await listAll(srv, user1.token, `${base(muni1)}/reconciliations?year=2026`, 1), one.data);
});

test('reconciliations as CSV: one row per month that settled with the municipality; the months\' differences add up to the item\'s', async () => {
	const items = (await json(`${base(muni1)}/reconciliations?year=2026`, user1.token)).data;
	const [header, rows] = await csv(`${base(muni1)}/reconciliations?year=2026`, user1.token);
	assert.deepEqual(header, RECONCILIATIONS_CSV);
	assert.deepEqual(rows.map((r) => [r.reconciliation_id, r.period]), items.flatMap((x) => x.months.map((m) => [x.id, m.period])));
	for (const x of items) {
		const mine = rows.filter((r) => r.reconciliation_id === x.id);
		assert.equal(mine.reduce((s, r) => s + Number(r.difference_cents), 0), x.difference_cents);
		for (const [i, r] of mine.entries()) {
			assert.deepEqual([r.member_id, r.municipal_reference, r.cooperative_id, r.year, r.finalized_at, r.outcome], [x.member_id, x.municipal_reference, x.cooperative_id, '2026', x.finalized_at, x.outcome]);
			for (const k of Object.keys(x.months[i])) assert.equal(r[k], String(x.months[i][k]), k);
		}
	}
	const [, rows2] = await csv(`${base(muni2)}/reconciliations?year=2026`, user2.token);
	assert.deepEqual(rows2.map((r) => [r.member_id, r.period, r.difference_cents, r.municipal_reference]), [[ids.mo, '2026-08', '1474', 'N2-MO']]);
});

test('LEAK: every municipal endpoint, in JSON and CSV, holds only the caller\'s residents and figures, also for the resident who moved', async () => {
	const muni1People = ['ann', 'bert', 'cora', 'dirk', 'eva', 'off'];
	const muni2People = ['bo', 'zed'];
	const bodies = async (code, token) => {
		const out = [];
		const paths = ['/overview', '/overview?year=2025', '/residents', '/reconciliations?year=2026', '/reconciliations?year=2025', '/settlements', '/settlements?period=2026-08'];
		for (const p of paths) out.push([p, (await get(`${base(code)}${p}`, token)).text]);
		for (const p of ['/residents', '/reconciliations?year=2026', '/reconciliations?year=2025', '/settlements']) out.push([`${p} (CSV)`, (await get(`${base(code)}${p}`, token, { accept: 'text/csv' })).text]);
		out.push(['/cooperatives/X', (await get(`${base(code)}/cooperatives/${coop.X}`, token)).text]);
		// page by page with a cursor, and the feed's CSV from a cursor on
		for (const p of ['/residents', '/reconciliations?year=2026', '/reconciliations?year=2025']) out.push([`${p} (by cursor)`, JSON.stringify(await listAll(srv, token, `${base(code)}${p}`, 1))]);
		for (const p of ['/settlements', '/settlements?period=2026-03']) {
			let cursor = '';
			let text = '';
			for (let n = 0; ; n++) {
				assert.ok(n < 100, 'the feed ends');
				const r = (await get(`${base(code)}${p}${p.includes('?') ? '&' : '?'}limit=1${cursor}`, token)).json;
				if (r.data.length === 0) break;
				text += JSON.stringify(r);
				cursor = `&after=${r.next_cursor}`;
				if (n === 0) out.push([`${p} (CSV after a cursor)`, (await get(`${base(code)}${p}${p.includes('?') ? '&' : '?'}after=${r.next_cursor}`, token, { accept: 'text/csv' })).text]);
			}
			out.push([`${p} (by cursor)`, text]);
		}
		return out;
	};
	const absent = (texts, needles, who) => {
		for (const [p, text] of texts) for (const needle of needles) assert.ok(!text.includes(needle), `${who} ${p} contains ${needle}`);
	};
	const one = await bodies(muni1, user1.token);
	// nothing of muni2's residents, nor of mo since he moved (his name, his new case number)
	absent(one, [...muni2People.flatMap((l) => [ids[l], `Lid${l}`]), 'N2-BO', 'N2-MO', 'N2-ZED', 'Lidmo'], muni1);
	const two = await bodies(muni2, user2.token);
	// nothing of muni1's residents, nor of mo before he moved (his old case number)
	absent(two, [...muni1People.flatMap((l) => [ids[l], `Lid${l}`, `REF-${l}`]), 'N1-MO'], muni2);
	// mo: a resident of muni2 only; in both municipalities' reconciliations and feeds with their own months
	const texts = (list, p) => list.filter(([q]) => q.startsWith(p)).map(([, t]) => t).join('\n');
	assert.ok(!texts(one, '/residents').includes(ids.mo), 'mo is no longer muni1\'s resident');
	assert.ok(texts(two, '/residents').includes(ids.mo));
	assert.ok(texts(one, '/reconciliations?year=2026').includes(ids.mo));
	assert.ok(texts(two, '/reconciliations?year=2026').includes(ids.mo));
	assert.ok(texts(one, '/settlements').includes('N1-MO'));
	assert.ok(texts(two, '/settlements').includes('N2-MO'));
	// mo's reconciliation: each municipality its own months, its own part of the difference
	const months = async (code, token) => (await json(`${base(code)}/reconciliations?year=2026`, token)).data.filter((x) => x.member_id === ids.mo).map((x) => [x.months.map((m) => m.period), x.difference_cents]);
	assert.deepEqual(await months(muni1, user1.token), [[['2026-03', '2026-05'], 3276]]);
	assert.deepEqual(await months(muni2, user2.token), [[['2026-08'], 1474]]);
	const moRows = async (code, token) => (await csv(`${base(code)}/reconciliations?year=2026`, token))[1].filter((r) => r.member_id === ids.mo).map((r) => r.period);
	assert.deepEqual(await moRows(muni1, user1.token), ['2026-03', '2026-05']);
	assert.deepEqual(await moRows(muni2, user2.token), ['2026-08']);
	// and the feed: mo's rows before the move in muni1's, after it in muni2's
	const feed = async (code, token) => (await json(`${base(code)}/settlements?limit=200`, token)).data; // fewer than 200 rows
	const moFeed = async (code, token) => (await feed(code, token)).filter((x) => x.member_id === ids.mo && x.period.startsWith('2026')).map((x) => x.period);
	assert.deepEqual(await moFeed(muni1, user1.token), ['2026-03', '2026-05']);
	assert.deepEqual(await moFeed(muni2, user2.token), ['2026-08']);
	// the feed: every row settles with the caller
	for (const [code, token] of [[muni1, user1.token], [muni2, user2.token]]) {
		const rows = await feed(code, token);
		assert.ok(rows.length > 0);
		assert.ok(rows.every((x) => x.municipality_code === code && x.settles_with_municipality), code);
	}
	// the transparency view: residents of the caller only; the others only as counts
	for (const [code, token, people] of [[muni1, user1.token, muni1People], [muni2, user2.token, ['mo', 'bo']]]) {
		const v = await json(`${base(code)}/cooperatives/${coop.X}`, token);
		assert.deepEqual(v.residents.map((x) => x.member_id), people.map((l) => ids[l]));
	}
});

test('roles: platform_admin reads every municipality; a municipality its own (another code 404); cooperative roles and members 403', async () => {
	const paths = (code) => [`${base(code)}/overview`, `${base(code)}/residents`, `${base(code)}/cooperatives/${coop.X}`, `${base(code)}/reconciliations`];
	for (const p of [...paths(muni1), ...paths(muni2)]) assert.equal((await srv.api('GET', p, { token: admin })).status, 200, p);
	for (const p of paths(muni1)) {
		assert.equal((await srv.api('GET', p, { token: user1.token })).status, 200, p);
		assertProblem(await srv.api('GET', p, { token: user2.token }), 404, 'not_found');
		assertProblem(await srv.api('GET', p, { token: c.municipalityUser.token }), 404, 'not_found');
		// the CSV form of another municipality's list is a 404 too; a view without a CSV form
		// answers 406 to a client that accepts only CSV, whatever the municipality (Accept is
		// decided by the route, before the resource: it says nothing about the other code)
		const csvForm = /\/(residents|reconciliations)$/.test(p);
		assertProblem(await srv.api('GET', p, { token: user2.token, headers: { accept: 'text/csv' } }), csvForm ? 404 : 406, csvForm ? 'not_found' : 'not_acceptable');
		for (const token of [c.coopAdminA.token, c.bookkeeperA.token, c.auditorA.token, c.memberUserA.token]) assertProblem(await srv.api('GET', p, { token }), 403, 'forbidden');
		assertProblem(await srv.api('GET', p), 401, 'unauthorized');
	}
	for (const p of paths('GM9999')) assertProblem(await srv.api('GET', p, { token: admin }), 404, 'not_found');
	// a cooperative's own administrator is no municipality, even of a cooperative it runs
	const coopAdminX = await userWithToken(srv, admin, { role: 'coop_admin', cooperative_id: coop.X });
	assertProblem(await srv.api('GET', `${base(muni1)}/cooperatives/${coop.X}`, { token: coopAdminX.token }), 403, 'forbidden');
	assertProblem(await srv.api('POST', `${base(muni1)}/overview`, { token: admin }), 405, 'method_not_allowed');
});

test('a year that is not an integer from 2000 to 2100 answers 400 invalid_parameter', async () => {
	for (const p of ['overview', 'reconciliations']) {
		for (const y of ['abc', '1999', '2101', '2026.0', '+2026', '-2026', '', '20260', '2e3', '%202026']) {
			assertProblem(await srv.api('GET', `${base(muni1)}/${p}?year=${y}`, { token: user1.token }), 400, 'invalid_parameter');
		}
		for (const y of ['2000', '2100']) assert.equal((await srv.api('GET', `${base(muni1)}/${p}?year=${y}`, { token: user1.token })).status, 200);
	}
	// the year is checked before the municipality: 400 also for another one's code
	assertProblem(await srv.api('GET', `${base(muni2)}/overview?year=x`, { token: user1.token }), 400, 'invalid_parameter');
});

/** The municipality's audit events after position `after` (all pages), as token reads them. */
const eventsOf = async (code, token = admin) => listAll(srv, token, `${base(code)}/audit-events`, 200);
const sorted = (xs) => [...xs].sort();

test('AUDIT: every read of residents\' personal data is one event per cooperative, naming the reader, in the cooperative\'s trail and the municipality\'s', async () => {
	const sys = await userWithToken(srv, admin, { kind: 'client', role: 'municipality', municipality_code: muni1 });
	const seen = new Set((await eventsOf(muni1)).map((e) => e.id));
	// the events each read must append: one per cooperative in the answer, in the order of the
	// cooperatives' ids, with that cooperative's members and number of items
	const expected = [];
	const expect = (action, format, items) => { // items: [cooperative, member, item key]
		for (const coopId of [...new Set(items.map(([cc]) => cc))].sort()) {
			const mine = items.filter(([cc]) => cc === coopId);
			expected.push({ action, format, coopId, members: [...new Set(mine.map(([, m]) => m))], items: new Set(mine.map(([, , k]) => k)).size });
		}
	};
	const page = async (p, action, itemsOf) => {
		const r = await json(p, sys.token);
		expect(action, 'json', itemsOf(r));
		return r;
	};
	const csvRead = async (p, action, itemColumn) => {
		const [, rows] = await csv(p, sys.token);
		expect(action, 'csv', rows.map((x) => [x.cooperative_id, x.member_id, x[itemColumn]]));
		return rows;
	};
	const listed = (r) => r.data.map((x) => [x.cooperative_id, x.member_id, x.id ?? x.member_id]);
	const residents = await page(`${base(muni1)}/residents?limit=2`, 'residents.read', listed);
	assert.equal(residents.data.length, 2);
	assert.ok(residents.next_cursor, 'a page of 2 of more residents');
	await csvRead(`${base(muni1)}/residents`, 'residents.read', 'member_id');
	await page(`${base(muni1)}/cooperatives/${coop.X}`, 'transparency.read', (r) => r.residents.map((x) => [coop.X, x.member_id, x.member_id]));
	const feed = await page(`${base(muni1)}/settlements?limit=3`, 'settlements.read', listed);
	await csvRead(`${base(muni1)}/settlements?after=${feed.next_cursor}`, 'settlements.read', 'id');
	await page(`${base(muni1)}/reconciliations?year=2026`, 'reconciliations.read', listed);
	await csvRead(`${base(muni1)}/reconciliations?year=2026`, 'reconciliations.read', 'reconciliation_id'); // a row per month
	// reads without personal data, or with none to show, are no events
	await json(`${base(muni1)}/overview`, sys.token);
	assert.deepEqual((await json(`${base(muni1)}/reconciliations?year=2000`, sys.token)).data, []);

	// the municipality reads its own trail: the expected events, in order
	const fresh = (await eventsOf(muni1, sys.token)).filter((e) => !seen.has(e.id));
	assert.equal(fresh.length, expected.length, JSON.stringify(fresh.map((e) => e.action)));
	fresh.forEach((e, i) => {
		const x = expected[i];
		assert.equal(e.action, x.action);
		assert.equal(e.municipality_code, muni1);
		assert.equal(e.cooperative_id, x.coopId);
		assert.equal(e.actor_user_id, sys.user.id);
		assert.equal(e.actor_role, 'municipality');
		assert.deepEqual(e.changes.reader, { user_id: sys.user.id, kind: 'client', role: 'municipality', client_id: sys.username });
		assert.equal(e.changes.query.format, x.format);
		assert.equal(e.changes.items, x.items, `${x.action} ${x.format}`);
		assert.deepEqual(sorted(e.changes.member_ids), sorted(x.members), `${x.action} ${x.format}: exactly the members answered`);
	});
	assert.match(fresh[0].changes.query.parameters, /limit=2/);
	// the same events in the cooperative's trail, whose chain still verifies
	const coopEvents = await listAll(srv, admin, `/v1/cooperatives/${coop.X}/audit-events`, 200);
	const inCoop = new Set(coopEvents.map((e) => e.id));
	assert.ok(fresh.filter((e) => e.cooperative_id === coop.X).every((e) => inCoop.has(e.id)));
	assert.ok(fresh.some((e) => e.cooperative_id === coop.X));
	const v = await json(`/v1/cooperatives/${coop.X}/audit-events/verify`);
	assert.equal(v.ok, true, JSON.stringify(v));
	// a person's read names the user, not its username
	await json(`${base(muni1)}/residents?limit=1`, user1.token);
	const last = (await eventsOf(muni1, user1.token)).at(-1);
	assert.deepEqual(last.changes.reader, { user_id: user1.user.id, kind: 'person', role: 'municipality' });
	assert.equal(last.changes.items, 1);

	// who may read a municipality's trail: itself and platform admins
	assert.ok((await eventsOf(muni2, user2.token)).every((e) => e.municipality_code === muni2));
	assert.ok(!(await eventsOf(muni2)).some((e) => e.actor_user_id === sys.user.id));
	assertProblem(await srv.api('GET', `${base(muni1)}/audit-events`, { token: user2.token }), 404, 'not_found');
	for (const token of [c.coopAdminA.token, c.auditorA.token, c.memberUserA.token]) assertProblem(await srv.api('GET', `${base(muni1)}/audit-events`, { token }), 403, 'forbidden');
	assertProblem(await srv.api('GET', `${base(muni1)}/audit-events`), 401, 'unauthorized');
	// ?action= narrows it
	const feedEvents = await listAll(srv, sys.token, `${base(muni1)}/audit-events?action=settlements.read`, 200);
	assert.ok(feedEvents.length >= 2 && feedEvents.every((e) => e.action === 'settlements.read'));
});

test('AUDIT: a bad cursor or limit is a 400 and no event; raw bytes in the query are refused, percent-encoded ones recorded as sent', async () => {
	const count = async () => (await eventsOf(muni1)).length;
	const before = await count();
	for (const q of ['after=zz!', 'after=c', 'limit=0', 'limit=201', 'limit=x', `after=${'c'.repeat(300)}`]) {
		for (const p of ['/residents', '/settlements', '/reconciliations']) {
			assertProblem(await srv.api('GET', `${base(muni1)}${p}?${q}`, { token: user1.token }), 400, 'invalid_parameter');
		}
		assertProblem(await srv.api('GET', `${base(muni1)}/settlements?${q}`, { token: user1.token, headers: { accept: 'text/csv' } }), 400, 'invalid_parameter');
	}
	assert.equal(await count(), before, 'a refused read is no event');
	// raw bytes (Latin-1 é, then 0xff) in the query string, as a hand-written client sends them
	const head = `GET ${base(muni1)}/residents?limit=1&note=caf`;
	const tail = ` HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${user1.token}\r\nConnection: close\r\n\r\n`;
	const text = await new Promise((resolve, reject) => {
		const chunks = [];
		const sock = net.connect({ host: '127.0.0.1', port: srv.port }, () => sock.end(Buffer.concat([Buffer.from(head), Buffer.from([0xe9, 0xff]), Buffer.from(tail)])));
		sock.on('data', (d) => chunks.push(d));
		sock.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
		sock.on('error', reject);
	});
	assert.match(text, /^HTTP\/1\.1 400 /, text);
	assert.match(text, /application\/problem\+json/);
	assert.equal(await count(), before);
	// the same bytes percent-encoded: read, and the query kept as the client sent it
	await json(`${base(muni1)}/residents?limit=1&note=caf%E9%FF`, user1.token);
	const last = (await eventsOf(muni1)).at(-1);
	assert.equal(last.action, 'residents.read');
	assert.equal(last.changes.query.parameters, 'limit=1&note=caf%E9%FF');
});

/** Runs one statement as coopd_municipal with coopd.municipality = code (null: not set), as
 * coopd's municipal requests do, straight in SQL; returns the rows. */
async function asMunicipalRole(code, sql) {
	const options = ['-c role=coopd_municipal', ...(code ? [`-c coopd.municipality=${code}`] : [])].join(' ');
	const r = await run('psql', [env.dbUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-A', '-t', '-F', '|', '-c', sql], {
		env: { PATH: process.env.PATH, LANG: 'C.UTF-8', PGOPTIONS: options },
	});
	assert.equal(r.code, 0, `${sql}: ${r.stderr}`);
	return r.stdout.split('\n').filter((l) => l !== '');
}

test('ROW-LEVEL SECURITY: under the municipal role the municipality\'s queries return nothing with the other municipality set, or none', async () => {
	// the role: no superuser, no BYPASSRLS, owns no table; coopd's own user is a member of it
	const [role] = await psql(env.dbUrl, "SELECT rolsuper, rolbypassrls, rolcanlogin, (SELECT count(*) FROM pg_class WHERE relowner = r.oid) AS owns FROM pg_roles r WHERE rolname = 'coopd_municipal'");
	assert.deepEqual(role, { rolsuper: 'f', rolbypassrls: 'f', rolcanlogin: 'f', owns: '0' });
	// the municipal view's own queries, for muni1 (the municipality named in the query)
	const queries = {
		residents: `SELECT m.id FROM members m WHERE municipal_resident(m, '${muni1}')`,
		resident_docs: `SELECT municipal_resident_doc(m)->>'member_id' FROM members m WHERE municipal_resident(m, '${muni1}')`,
		feed: `SELECT s.member_id FROM settlement_feed f JOIN settlement_rows s ON s.id = f.row_id WHERE f.municipality_code = '${muni1}'`,
		feed_docs: `SELECT settlement_feed_doc(f, s)->>'id' FROM settlement_feed f JOIN settlement_rows s ON s.id = f.row_id WHERE f.municipality_code = '${muni1}'`,
		reconciliations: `SELECT d.doc->>'id' FROM reconciliations x CROSS JOIN LATERAL municipal_reconciliation(x, '${muni1}') AS d(doc) WHERE x.status = 'final'`,
		transparency_residents: `SELECT json_array_length(municipal_cooperative_view('${muni1}', '${coop.X}')->'residents')`,
		permissions: `SELECT p.id FROM permissions p WHERE p.municipality_code = '${muni1}'`,
		settlement_rows: `SELECT s.id FROM settlement_rows s WHERE s.municipality_code = '${muni1}'`,
		audit_events: `SELECT e.id FROM audit_events e WHERE e.municipality_code = '${muni1}'`,
	};
	for (const [name, sql] of Object.entries(queries)) {
		const own = await asMunicipalRole(muni1, sql);
		assert.ok(own.length > 0 && own[0] !== '0', `${name}: muni1 sees its own rows (the test can fail)`);
		for (const code of [muni2, null]) {
			const rows = await asMunicipalRole(code, sql);
			// (muni1 held a share of X: the transparency view shows, without a resident)
			assert.ok(rows.length === 0 || (name === 'transparency_residents' && ['', '0'].includes(rows[0])), `${name} with ${code ?? 'no municipality'}: ${rows}`);
		}
	}
	// nor anything of other municipalities without a WHERE at all
	const all = await asMunicipalRole(muni2, 'SELECT DISTINCT municipality_code FROM members UNION SELECT DISTINCT municipality_code FROM settlement_feed UNION SELECT DISTINCT municipality_code FROM permissions');
	assert.deepEqual(all, [muni2]);
	// tables it has no business with are closed altogether; and it writes no audit event itself
	for (const t of ['invoices', 'customers', 'payments', 'ledger_entries', 'expenses', 'audit_chains']) {
		const r = await run('psql', [env.dbUrl, '-X', '-q', '-c', `SELECT count(*) FROM ${t}`], { env: { PATH: process.env.PATH, PGOPTIONS: '-c role=coopd_municipal' } });
		assert.match(r.stderr, /permission denied/, t);
	}
	const w = await run('psql', [env.dbUrl, '-X', '-q', '-c', `INSERT INTO audit_events (chain, seq, action, object_type, prev_hash, hash) VALUES ('platform', 999999, 'x.y', 'x', '', '')`], { env: { PATH: process.env.PATH, PGOPTIONS: `-c role=coopd_municipal -c coopd.municipality=${muni1}` } });
	assert.match(w.stderr, /permission denied/);
});

test('ROW-LEVEL SECURITY: coopd\'s municipal requests run under the municipal role (take a grant away and they fail)', async () => {
	const p = `${base(muni1)}/overview`;
	assert.equal((await srv.api('GET', p, { token: user1.token })).status, 200);
	await psql(env.dbUrl, 'REVOKE SELECT ON shareholders FROM coopd_municipal');
	try {
		assertProblem(await srv.api('GET', p, { token: user1.token }), 500, 'internal_error');
		assert.equal((await srv.api('GET', p, { token: admin })).status, 200, 'the platform admin runs as coopd\'s own user');
	} finally {
		await psql(env.dbUrl, 'GRANT SELECT ON shareholders TO coopd_municipal');
	}
	assert.equal((await srv.api('GET', p, { token: user1.token })).status, 200);
});

test('ROW-LEVEL SECURITY: a municipal write with an Idempotency-Key replays under the role, and another user\'s same key is its own', async () => {
	const key = `muni-${Date.now()}`;
	const post = (code, token, validFrom) => srv.api('POST', `${base(code)}/policies`, { token, body: { valid_from: validFrom }, headers: { 'idempotency-key': key } });
	const first = await post(muni1, user1.token, '2031-01-01');
	assert.equal(first.status, 201, first.text);
	const replay = await post(muni1, user1.token, '2031-01-01');
	assert.equal(replay.status, 201);
	assert.equal(replay.json.id, first.json.id, 'replayed, not created again');
	assertProblem(await post(muni1, user1.token, '2032-01-01'), 422, 'idempotency_key_reused');
	// the other municipality's user, same key: a request of its own
	const other = await post(muni2, user2.token, '2031-01-01');
	assert.equal(other.status, 201, other.text);
	assert.notEqual(other.json.id, first.json.id);
	assert.equal(other.json.municipality_code, muni2);
	// and its acknowledgement of a feed row, with a key, twice: one acknowledgement
	const row = (await json(`${base(muni2)}/settlements?limit=1`, user2.token)).data[0];
	const ack = () => srv.api('POST', `${base(muni2)}/settlements/${row.id}/acknowledgement`, { token: user2.token, headers: { 'idempotency-key': `${key}-ack` } });
	const a1 = await ack();
	const a2 = await ack();
	assert.equal(a1.status, 200, a1.text);
	assert.equal(a2.status, 200);
	assert.equal(a2.json.acknowledged_at, a1.json.acknowledged_at);
	assert.equal(a1.headers.get('etag'), null, 'an acknowledgement carries no ETag (api/openapi.yaml documents none)');
	assert.equal(a2.headers.get('etag'), null, 'nor its replay');
	// its own user, and logging out, under the role: the logged-out token is refused afterwards
	const u = await userWithToken(srv, admin, { role: 'municipality', municipality_code: muni2 });
	const me = await srv.api('GET', '/v1/me', { token: u.token });
	assert.equal(me.status, 200, me.text);
	assert.equal(me.json.id, u.user.id);
	const out = await srv.api('POST', '/v1/auth/logout', { token: u.token });
	assert.ok(out.status === 204 || out.status === 200, out.text);
	assertProblem(await srv.api('GET', '/v1/me', { token: u.token }), 401, 'unauthorized');
	assertProblem(await srv.api('GET', `${base(muni2)}/overview`, { token: u.token }), 401, 'unauthorized');
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
