// A streamed CSV export runs under a statement timeout of its own (COOPD_EXPORT_TIMEOUT_MS), not
// the one of ordinary statements (COOPD_STATEMENT_TIMEOUT_MS): a municipality's whole settlement
// feed takes longer to produce than any request may take. Here ordinary statements get 100 ms
// and the feed holds enough rows that its export takes longer than that.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { setup, startCoopd, psql, apiCooperative, apiMunicipality, hex, csvRows, VALID } from './harness.mjs';

const common = {
	COOPD_STATEMENT_TIMEOUT_MS: '100',
	COOPD_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
	COOPD_BOOTSTRAP_ADMIN_PASSWORD: `admin-${hex(8)}`,
};
const ROWS = 30000; // 3,000 members, ten finalized months each

let env;
let srv;
let short; // the same service with exports held to the ordinary statement timeout
let muni;

before(async () => {
	env = await setup({ env: common });
	srv = env.srv;
	const admin = await srv.adminToken();
	muni = await apiMunicipality(srv, admin);
	const coop = (await apiCooperative(srv, admin, { vat_id: VALID.vat, iban: VALID.iban })).id;
	// finalized rows inserted as a correction's versions are: they enter the feed
	await psql(env.dbUrl, `
INSERT INTO members (cooperative_id, first_name, last_name, date_of_birth, street, house_number,
                     postal_code, city, municipality_code, municipal_reference, status, joined_on,
                     activity_category, on_benefit)
SELECT '${coop}', 'Lid', 'Export ' || m, date '1970-01-01' + m, 'Neude', '1', '3512 AE', 'Utrecht',
       '${muni}', 'E-' || m, 'active', date '2020-01-01', 'gardening', true
FROM generate_series(1, ${ROWS / 10}) AS m;
INSERT INTO settlement_periods (cooperative_id, period, status, calculated_at, finalized_at)
SELECT '${coop}', make_date(2025, k, 1), 'final', now(), now() FROM generate_series(1, 10) AS k;
INSERT INTO settlement_rows (cooperative_id, member_id, period, version, status,
    settles_with_municipality, municipality_code, municipal_reference, income_basis, cost_mode,
    turnover_cents, fee_cents, fee_deducted_cents, costs_cents, base_cents, tax_reservation_cents,
    net_income_cents, exemption_cents, premium_cents, amount_to_settle_cents, business_hours,
    business_hours_ytd, warnings, calculated_at, finalized_at)
SELECT m.cooperative_id, m.id, make_date(2025, k, 1), 1, 'final', true, m.municipality_code,
       m.municipal_reference, 'work_period', 'none', 100000, 0, 0, 0, 100000, 10000, 90000, 0, 0,
       90000, 40, 40 * k, '{}', now(), now()
FROM members m CROSS JOIN generate_series(1, 10) AS k WHERE m.cooperative_id = '${coop}';`);
	short = await startCoopd({ dbUrl: env.dbUrl, env: { ...common, COOPD_EXPORT_TIMEOUT_MS: '100' } });
});
after(async () => {
	await short?.kill();
	await srv?.kill();
});

const exportFeed = async (s) => s.api('GET', `/v1/municipalities/${muni}/settlements`, { token: await s.adminToken(), headers: { accept: 'text/csv' }, timeoutMs: 120000 });

test('an export longer than the statement timeout streams every row (COOPD_EXPORT_TIMEOUT_MS)', async () => {
	const r = await exportFeed(srv);
	assert.equal(r.status, 200, r.text.slice(0, 300));
	assert.ok(r.ms > 150, `the export took longer than the 100 ms statement timeout (${Math.round(r.ms)} ms), or this test proves nothing`);
	const rows = csvRows(r.text).filter((x) => x.length > 1);
	assert.equal(rows.length, ROWS + 1, 'the header and every row');
	assert.equal(rows.at(-1).at(-1), rows.at(-1).at(-1).trim());
});

test('held to the ordinary 100 ms, the same export is cut off: the timeout is what lets it finish; the client sees the transfer fail, never a shorter file that looks whole', async () => {
	// Cut off before its first row, the export answers an error status; cut off while streaming,
	// the connection closes without the closing chunk and the client's read fails. Never a 200
	// that ends normally.
	let outcome;
	try {
		const r = await exportFeed(short);
		outcome = `status ${r.status}, ${csvRows(r.text).filter((x) => x.length > 1).length} lines`;
		assert.ok(r.status >= 500, `a cut-off export answered ${outcome}`);
	} catch (e) {
		if (e instanceof assert.AssertionError) throw e;
		outcome = `transfer failed: ${e.message}`;
	}
	assert.ok(outcome);
	// an ordinary request still works on that service
	const me = await short.api('GET', '/v1/me', { token: await short.adminToken() });
	assert.equal(me.status, 200, me.text);
});
