// Members' money besides invoices (SPEC §5, issue 9): expenses and their decision against the
// municipal policy, hours per ISO week with the year so far and the 80 % warning, premiums within
// the statutory count and cap of a calendar year.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, cast, assertProblem, apiCreate, apiMember, apiMunicipality, RFC3339_UTC } from './harness.mjs';

let env;
let srv;
let c;
let muni; // a municipality whose policy allows expenses of at most 500.00
let member; // a member of cooperative A in muni
let other; // another member of cooperative A

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await cast(srv, env.dbUrl);
	muni = await apiMunicipality(srv, c.admin);
	await apiCreate(srv, c.admin, `/v1/municipalities/${muni}/policies`, { valid_from: '2020-01-01', max_single_expense_cents: 50000 });
	member = (await apiMember(srv, c.admin, c.coopA, muni)).id;
	other = (await apiMember(srv, c.admin, c.coopA, muni)).id;
});
after(() => srv?.kill());

const EXPENSE_KEYS = ['id', 'member_id', 'cooperative_id', 'date', 'description', 'category', 'amount_cents', 'vat_cents', 'receipt_reference', 'long_term_obligation', 'status', 'decision_reason', 'decided_by', 'decided_at', 'created_at', 'updated_at'];
const expense = (over = {}) => ({ date: '2026-03-10', description: 'Treinreis klant', category: 'travel', amount_cents: 4235, vat_cents: 0, ...over });
const postExpense = (body, token = c.bookkeeperA.token, m = member) => srv.api('POST', `/v1/members/${m}/expenses`, { token, body });
const decide = (id, action, body, token = c.bookkeeperA.token) => srv.api('POST', `/v1/expenses/${id}/${action}`, { token, body });
const auditOf = async (id) => (await env.sql(`select action from audit_events where object_id = '${id}' order by seq`)).map((e) => e.action);

// ---- expenses ---------------------------------------------------------------------------------
test('a bookkeeper records an expense for a member: 201 submitted, Location, audited', async () => {
	const r = await postExpense(expense({ vat_cents: 735, receipt_reference: 'NS-2026-0310' }));
	assert.equal(r.status, 201, r.text);
	assert.deepEqual(Object.keys(r.json).sort(), [...EXPENSE_KEYS].sort());
	assert.equal(r.json.status, 'submitted');
	assert.equal(r.json.member_id, member);
	assert.equal(r.json.cooperative_id, c.coopA);
	assert.equal(r.json.amount_cents, 4235);
	assert.equal(r.json.vat_cents, 735);
	assert.equal(r.json.long_term_obligation, false);
	assert.equal(r.json.decided_at, null);
	assert.match(r.json.created_at, RFC3339_UTC);
	assert.equal(r.headers.get('location'), `/v1/expenses/${r.json.id}`);
	assert.deepEqual(await auditOf(r.json.id), ['expense.create']);
	const g = await srv.api('GET', `/v1/expenses/${r.json.id}`, { token: c.auditorA.token });
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, r.json);
});

test('a member records its own expenses and reads them; another member\'s are 404 to it', async () => {
	const own = await postExpense(expense(), c.memberUserA.token, c.memberA);
	assert.equal(own.status, 201, own.text);
	const list = await srv.api('GET', `/v1/members/${c.memberA}/expenses`, { token: c.memberUserA.token });
	assert.equal(list.status, 200);
	assert.ok(list.json.data.some((e) => e.id === own.json.id));
	assertProblem(await postExpense(expense(), c.memberUserA.token, member), 404, 'not_found');
	const theirs = await postExpense(expense());
	assertProblem(await srv.api('GET', `/v1/expenses/${theirs.json.id}`, { token: c.memberUserA.token }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/members/${member}/expenses`, { token: c.memberUserA.token }), 404, 'not_found');
	assertProblem(await postExpense(expense(), c.coopAdminB.token), 404, 'not_found');
});

test('bad expenses are 422 on their field, and nothing is written', async () => {
	const before = (await env.sql(`select count(*) as n from expenses`))[0].n;
	const cases = [
		[{ vat_cents: 5000 }, 'vat_cents', 'invalid_value'],
		[{ date: '2099-01-01' }, 'date', 'invalid_value'],
		[{ category: 'lease_car' }, 'category', 'invalid_value'],
		[{ amount_cents: 0 }, 'amount_cents', 'out_of_range'],
		[{ amount_cents: 12.5 }, 'amount_cents', 'invalid_type'],
		[{ description: '' }, 'description', 'too_short'],
	];
	for (const [over, field] of cases) {
		const r = await postExpense(expense(over));
		assertProblem(r, 422, 'validation_failed');
		assert.ok(r.json.errors.some((e) => e.field === field), `${JSON.stringify(over)}: ${r.text}`);
	}
	assert.equal((await env.sql(`select count(*) as n from expenses`))[0].n, before);
});

test('approving within the policy: 200 approved with reason and decider; a second decision is 409', async () => {
	const e = (await postExpense(expense({ amount_cents: 50000 }))).json;
	const r = await decide(e.id, 'approve', { reason: 'Reiskosten klantbezoek' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'approved');
	assert.equal(r.json.decision_reason, 'Reiskosten klantbezoek');
	assert.equal(r.json.decided_by, c.bookkeeperA.user.id);
	assert.match(r.json.decided_at, RFC3339_UTC);
	assertProblem(await decide(e.id, 'reject', { reason: 'toch niet' }), 409, 'invalid_status_transition');
	assertProblem(await decide(e.id, 'approve'), 409, 'invalid_status_transition');
	assert.deepEqual(await auditOf(e.id), ['expense.create', 'expense.approve']);
});

test('approval without a body; rejecting needs a reason', async () => {
	const a = (await postExpense(expense())).json;
	const r = await decide(a.id, 'approve');
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.decision_reason, null);
	const b = (await postExpense(expense())).json;
	assertProblem(await decide(b.id, 'reject', {}), 422, 'validation_failed', { field: 'reason', fieldCode: 'required' });
	const rej = await decide(b.id, 'reject', { reason: 'Geen bon' });
	assert.equal(rej.status, 200, rej.text);
	assert.equal(rej.json.status, 'rejected');
	assert.equal(rej.json.decision_reason, 'Geen bon');
});

test('investment_not_allowed: above the policy\'s maximum for one expense, or a long-term obligation', async () => {
	const big = (await postExpense(expense({ amount_cents: 50001, category: 'materials' }))).json;
	assertProblem(await decide(big.id, 'approve'), 422, 'investment_not_allowed');
	const lease = (await postExpense(expense({ amount_cents: 100, long_term_obligation: true, description: 'Lease auto' }))).json;
	assertProblem(await decide(lease.id, 'approve'), 422, 'investment_not_allowed');
	for (const id of [big.id, lease.id]) {
		const g = await srv.api('GET', `/v1/expenses/${id}`, { token: c.admin });
		assert.equal(g.json.status, 'submitted', 'a refused approval changes nothing');
		assert.deepEqual(await auditOf(id), ['expense.create']);
	}
	// rejecting them is allowed
	assert.equal((await decide(big.id, 'reject', { reason: 'investering' })).status, 200);
	// without a policy maximum (the cast's municipality has no policy) any amount may be approved
	const free = (await postExpense(expense({ amount_cents: 900000 }), c.bookkeeperA.token, c.memberA)).json;
	assert.equal((await decide(free.id, 'approve')).status, 200);
});

test('a member may not decide its own expenses (403); the database refuses a vat above the amount too', async () => {
	const e = (await postExpense(expense(), c.memberUserA.token, c.memberA)).json;
	assertProblem(await decide(e.id, 'approve', undefined, c.memberUserA.token), 403, 'forbidden');
	await assert.rejects(env.sql(`update expenses set vat_cents = amount_cents + 1 where id = '${e.id}'`), /expenses_vat/);
});

// ---- hours --------------------------------------------------------------------------------------
const postHours = (body, token = c.bookkeeperA.token, m = member) => srv.api('POST', `/v1/members/${m}/hours`, { token, body });

test('hours of an ISO week: 201 with the week, decimal hours as text and the year so far', async () => {
	const r = await postHours({ week: '2026-W05', business_hours: '12.5', jobsearch_hours: '4', applications: 2 });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.week, '2026-W05');
	assert.equal(r.json.business_hours, '12.5');
	assert.equal(r.json.jobsearch_hours, '4');
	assert.equal(r.json.applications, 2);
	assert.equal(r.json.business_hours_ytd, '12.5');
	assert.deepEqual(r.json.warnings, []);
	assert.equal(r.headers.get('location'), `/v1/hours/${r.json.id}`);
	const next = await postHours({ week: '2026-W06', business_hours: '10' });
	assert.equal(next.json.business_hours_ytd, '22.5');
	assertProblem(await postHours({ week: '2026-W05', business_hours: '1' }), 409, 'already_exists', { field: 'week' });
	// the first week of ISO year 2026 began on Monday 29 December 2025: a year of its own
	const w1 = await postHours({ week: '2026-W01', business_hours: '1' });
	assert.equal(w1.json.business_hours_ytd, '1');
	const later = await srv.api('GET', `/v1/hours/${next.json.id}`, { token: c.admin });
	assert.equal(later.json.business_hours_ytd, '23.5', 'the year so far includes every earlier week');
});

test('bad hours are 422: weeks that do not exist or lie ahead, too many decimals, more than 168 a week', async () => {
	for (const [body, field] of [
		[{ week: '2025-W53' }, 'week'],
		[{ week: '2026-W5' }, 'week'],
		[{ week: '2099-W01' }, 'week'],
		[{ week: '2026-W10', business_hours: '1.255' }, 'business_hours'],
		[{ week: '2026-W10', jobsearch_hours: '169' }, 'jobsearch_hours'],
		[{ week: '2026-W10', business_hours: 12 }, 'business_hours'],
		[{ week: '2026-W10', business_hours: '100', jobsearch_hours: '100' }, 'jobsearch_hours'],
	]) {
		const r = await postHours(body);
		assertProblem(r, 422, 'validation_failed');
		assert.ok(r.json.errors.some((e) => e.field === field), `${JSON.stringify(body)}: ${r.text}`);
	}
});

test('at 80 % of the hours criterion (980 of 1,225 h) the week says hours_criterion_80_percent', async () => {
	const m = (await apiMember(srv, c.admin, c.coopA, muni)).id;
	let last;
	for (let wk = 10; wk < 16; wk++) last = (await postHours({ week: `2026-W${wk}`, business_hours: '163.5' }, c.admin, m)).json;
	assert.equal(last.business_hours_ytd, '981');
	assert.deepEqual(last.warnings, ['hours_criterion_80_percent']);
	const list = await srv.api('GET', `/v1/members/${m}/hours`, { token: c.admin });
	assert.deepEqual(list.json.data.map((h) => h.warnings.length), [0, 0, 0, 0, 0, 1]);
	// a correction below the line takes the warning away
	const fixed = await srv.api('PATCH', `/v1/hours/${last.id}`, { token: c.bookkeeperA.token, body: { business_hours: '160' } });
	assert.equal(fixed.status, 200, fixed.text);
	assert.equal(fixed.json.business_hours_ytd, '977.5');
	assert.deepEqual(fixed.json.warnings, []);
});

test('a member records and corrects its own hours; another member\'s are 404 to it', async () => {
	const own = await postHours({ week: '2026-W20', business_hours: '8' }, c.memberUserA.token, c.memberA);
	assert.equal(own.status, 201, own.text);
	const p = await srv.api('PATCH', `/v1/hours/${own.json.id}`, { token: c.memberUserA.token, body: { applications: 3 } });
	assert.equal(p.status, 200, p.text);
	assert.equal(p.json.applications, 3);
	assert.equal(p.json.business_hours, '8');
	const theirs = (await postHours({ week: '2026-W20', business_hours: '8' })).json;
	assertProblem(await srv.api('PATCH', `/v1/hours/${theirs.id}`, { token: c.memberUserA.token, body: { applications: 1 } }), 404, 'not_found');
	assertProblem(await srv.api('GET', `/v1/hours/${theirs.id}`, { token: c.memberUserA.token }), 404, 'not_found');
});

// ---- premiums -----------------------------------------------------------------------------------
const grant = (body, m, token = c.bookkeeperA.token) => srv.api('POST', `/v1/members/${m}/premiums`, { token, body });

test('premiums: two a calendar year, together within the year\'s cap (339,800 in 2026)', async () => {
	const m = (await apiMember(srv, c.admin, c.coopA, muni)).id;
	const a = await grant({ granted_on: '2026-02-01', amount_cents: 200000, reason: 'Uitstroom naar werk' }, m);
	assert.equal(a.status, 201, a.text);
	assert.deepEqual(Object.keys(a.json).sort(), ['amount_cents', 'cooperative_id', 'created_at', 'granted_on', 'id', 'member_id', 'reason']);
	assert.equal(a.headers.get('location'), `/v1/premiums/${a.json.id}`);
	assertProblem(await grant({ granted_on: '2026-05-01', amount_cents: 139801, reason: 'x' }, m), 422, 'premium_cap_exceeded');
	const b = await grant({ granted_on: '2026-05-01', amount_cents: 139800, reason: 'Tweede premie' }, m);
	assert.equal(b.status, 201, b.text);
	assertProblem(await grant({ granted_on: '2026-11-01', amount_cents: 1, reason: 'derde' }, m), 422, 'premium_cap_exceeded');
	// another calendar year counts afresh (the 2025 cap of 332,600 from 1 July)
	assert.equal((await grant({ granted_on: '2025-12-31', amount_cents: 332600, reason: 'vorig jaar' }, m)).status, 201);
	assertProblem(await grant({ granted_on: '2025-08-01', amount_cents: 1, reason: 'x' }, m), 422, 'premium_cap_exceeded');
	const list = await srv.api('GET', `/v1/members/${m}/premiums`, { token: c.auditorA.token });
	assert.deepEqual(list.json.data.map((p) => p.granted_on), ['2025-12-31', '2026-02-01', '2026-05-01']);
	const ev = await env.sql(`select action, municipality_code from audit_events where object_id = '${a.json.id}'`);
	assert.deepEqual(ev, [{ action: 'premium.create', municipality_code: muni }]);
});

test('premiums: only the office grants them (403 for a member, who reads its own); never changed in the database', async () => {
	assertProblem(await grant({ granted_on: '2026-02-01', amount_cents: 100, reason: 'x' }, c.memberA, c.memberUserA.token), 403, 'forbidden');
	const p = (await grant({ granted_on: '2026-02-01', amount_cents: 100, reason: 'Certificaat' }, c.memberA)).json;
	const list = await srv.api('GET', `/v1/members/${c.memberA}/premiums`, { token: c.memberUserA.token });
	assert.equal(list.status, 200);
	assert.ok(list.json.data.some((x) => x.id === p.id));
	assert.equal((await srv.api('GET', `/v1/premiums/${p.id}`, { token: c.memberUserA.token })).status, 200);
	assertProblem(await srv.api('GET', `/v1/members/${other}/premiums`, { token: c.memberUserA.token }), 404, 'not_found');
	await assert.rejects(env.sql(`update premiums set amount_cents = 1 where id = '${p.id}'`), /append-only/);
	await assert.rejects(env.sql(`delete from premiums where id = '${p.id}'`), /append-only/);
});
