// The demo data `make run` loads into a new database (deploy/local/demo.sh, SPEC §8): a new user
// must find every screen filled — issued invoices with gapless numbers, a credit note, payments,
// finalized months, the current month calculated, the municipal feed, a payout — and a login for
// every role. Loaded through the API as a bookkeeper would; a second run changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROOT, onCleanup, run, setup } from './harness.mjs';

let srv, sql, logins;
const DEMO = path.join(ROOT, 'deploy/local/demo.sh');

before(async () => {
	({ srv, sql } = await setup());
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coopd-demo-'));
	onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
	logins = path.join(dir, 'logins');
	const r = await run(DEMO, [srv.base, srv.adminPassword, logins], { timeout: 120000 });
	assert.equal(r.code, 0, `demo.sh failed: ${r.stderr}`);
});
after(() => srv?.kill());

const password = (role) =>
	fs.readFileSync(logins, 'utf8').split('\n').find((l) => l.startsWith(`${role} `)).split(' ')[1];

const all = async (token, p) => {
	const items = [];
	for (let after = ''; ; ) {
		const r = await srv.api('GET', `${p}${p.includes('?') ? '&' : '?'}limit=200${after}`, { token });
		assert.equal(r.status, 200, `${p}: ${r.status} ${r.text}`);
		items.push(...r.json.data);
		if (!r.json.next_cursor || r.json.data.length === 0) return items;
		after = `&after=${r.json.next_cursor}`;
	}
};

test('the bookkeeper finds issued invoices with gapless numbers, a credit note, payments and drafts', async () => {
	const token = await srv.login('boekhouder', password('bookkeeper'));
	const [coop] = await all(token, '/v1/cooperatives');
	assert.equal(coop.legal_name, 'Sociale Coöperatie De Werkplaats U.A.');
	const invoices = await all(token, `/v1/cooperatives/${coop.id}/invoices`);
	const issued = invoices.filter((i) => i.status !== 'draft').map((i) => i.number).sort();
	assert.ok(issued.length >= 10, `issued: ${issued.length}`);
	const seqs = issued.map((n) => Number(n.split('-').at(-1)));
	assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i), 'numbers are gapless');
	assert.ok(invoices.some((i) => i.kind === 'credit_note'), 'a credit note');
	assert.ok(invoices.some((i) => i.status === 'paid'), 'a paid invoice');
	assert.ok(invoices.some((i) => i.status === 'issued' && i.paid_cents > 0 && i.open_cents > 0), 'a partly paid invoice');
	const members = await all(token, `/v1/cooperatives/${coop.id}/members`);
	assert.equal(members.length, 8);
	assert.deepEqual(
		[...new Set(members.map((m) => m.status))].sort(),
		['active', 'applicant', 'ended', 'suspended'],
	);
});

test('three months are finalized and the current one calculated; the feed and a payout are there', async () => {
	const token = await srv.login('beheer', password('coop_admin'));
	const [coop] = await all(token, '/v1/cooperatives');
	const month = (back) => {
		const d = new Date();
		d.setUTCDate(1);
		d.setUTCMonth(d.getUTCMonth() - back);
		return d.toISOString().slice(0, 7);
	};
	for (const back of [3, 2, 1, 0]) {
		const rows = await all(token, `/v1/cooperatives/${coop.id}/settlements/${month(back)}`);
		assert.ok(rows.length > 0, `rows of ${month(back)}`);
		const want = back ? 'final' : 'draft';
		assert.ok(rows.every((row) => row.status === want), `${month(back)}: ${rows.map((row) => row.status)}`);
		if (back) assert.ok(rows.some((row) => row.turnover_cents > 0));
	}
	const payouts = await all(token, `/v1/cooperatives/${coop.id}/payouts`);
	assert.equal(payouts.length, 1);
	const muni = await srv.login('gemeente.amsterdam', password('municipality'));
	const feed = await all(muni, '/v1/municipalities/GM0363/settlements');
	assert.ok(feed.length >= 3, `feed items: ${feed.length}`);
	assert.ok(feed.every((row) => row.municipality_code === 'GM0363'));
	const me = await srv.login('fatima', password('member'));
	const r = await srv.api('GET', '/v1/me', { token: me });
	assert.equal(r.status, 200);
	assert.equal(r.json.role, 'member');
});

test('a second run on a database with a cooperative changes nothing', async () => {
	const count = async () =>
		JSON.stringify(await sql('SELECT (SELECT count(*) FROM cooperatives) AS c, (SELECT count(*) FROM invoices) AS i'));
	const before = await count();
	const r = await run(DEMO, [srv.base, srv.adminPassword, logins], { timeout: 60000 });
	assert.equal(r.code, 0, r.stderr);
	assert.equal(await count(), before);
});
