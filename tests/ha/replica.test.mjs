// Read replicas (README, "Read replicas"): coopd with DATABASE_READ_URL on a real streaming
// standby. The lag-tolerant routes (x-read-replica in api/openapi.yaml) are read there and the
// rest on the primary; a standby too far behind, or stopped, sends them to the primary; a
// municipal read served by the standby records its audit events on the primary before it
// answers, exactly for the items it sends.
//
// Two coopd instances share the pair: `patient` allows an hour of lag, so that a standby whose
// replay is paused keeps serving (and shows what it serves is the standby's), `strict` allows
// the minimum, 100 ms. The standby is asynchronous: stopped, it holds up no commit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startPair } from './cluster.mjs';
import { startCoopd, cast, createUser, parseMetrics, psql, waitFor, sleep, hex } from '../api/harness.mjs';

let pair, patient, strict, c;
const servers = [];

/** coopd_db_reads_total of srv by destination: {replica, down, lag}. */
async function reads(srv) {
	const r = await srv.api('GET', '/metrics');
	assert.equal(r.status, 200);
	const m = parseMetrics(r.text).filter((s) => s.name === 'coopd_db_reads_total');
	const v = (f) => m.find(f)?.value ?? NaN;
	return {
		replica: v((s) => s.labels.to === 'replica'),
		down: v((s) => s.labels.to === 'primary' && s.labels.reason === 'down'),
		lag: v((s) => s.labels.to === 'primary' && s.labels.reason === 'lag'),
	};
}

/** Waits until the standby has replayed everything the primary wrote so far. */
async function caughtUp() {
	const target = await pair.primary.currentLsn();
	await waitFor(async () => (await pair.standby.sql(`select pg_last_wal_replay_lsn() >= '${target}'::pg_lsn as ok`))[0].ok === 't', {
		timeoutMs: 15000,
		msg: 'the standby to catch up',
	});
}

const userIds = async (srv, token) => {
	const r = await srv.api('GET', '/v1/users?limit=200', { token });
	assert.equal(r.status, 200, r.text);
	return r.json.data.map((u) => u.id);
};

before(async () => {
	pair = await startPair({ sync: false });
	const dbUrl = pair.primary.url('coopd');
	const shared = {
		DATABASE_READ_URL: pair.standby.url('coopd'),
		COOPD_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
		COOPD_BOOTSTRAP_ADMIN_PASSWORD: `admin-${hex(8)}`,
	};
	patient = await startCoopd({ dbUrl, env: { ...shared, COOPD_READ_MAX_LAG_MS: '3600000' } });
	servers.push(patient);
	strict = await startCoopd({ dbUrl, env: { ...shared, COOPD_READ_MAX_LAG_MS: '100' } });
	servers.push(strict);
	c = await cast(patient, dbUrl);
	// residents of the municipality: members past the application
	await psql(dbUrl, `update members set status = 'active', joined_on = current_date where id in ('${c.memberA}', '${c.memberB}')`);
	await caughtUp();
});

after(async () => {
	for (const s of servers) await s.kill();
	pair?.destroy();
});

test('lists are read from the standby; single resources and writes go to the primary', async () => {
	await caughtUp();
	const before0 = await reads(patient);
	await pair.standby.pauseReplay();
	try {
		const u = await createUser(patient, c.admin, { role: 'bookkeeper', cooperative_id: c.coopA });
		const one = await patient.api('GET', `/v1/users/${u.user.id}`, { token: c.admin });
		assert.equal(one.status, 200, 'the new user, from the primary');
		assert.ok(!(await userIds(patient, c.admin)).includes(u.user.id), 'the list comes from the paused standby: the user is not there yet');
		const after0 = await reads(patient);
		assert.ok(after0.replica > before0.replica, `reads went to the replica: ${JSON.stringify([before0, after0])}`);

		// strict allows 100 ms: once its connections look again (every second), the standby is
		// behind and the primary serves the list.
		await sleep(1200);
		const lagBefore = (await reads(strict)).lag;
		assert.ok((await userIds(strict, c.admin)).includes(u.user.id), 'too far behind: the list comes from the primary');
		assert.ok((await reads(strict)).lag > lagBefore, 'counted as a read sent to the primary for lag');
	} finally {
		await pair.standby.resumeReplay();
	}
	await caughtUp();
	const ids = await userIds(patient, c.admin);
	assert.equal(new Set(ids).size, ids.length);
	await sleep(1100); // strict's connections look again
	const r0 = (await reads(strict)).replica;
	await userIds(strict, c.admin);
	assert.ok((await reads(strict)).replica > r0, 'caught up: strict reads from the standby again');
});

test('a municipal read served by the standby records its audit events on the primary, for exactly the items sent', async () => {
	const token = c.municipalityUser.token;
	await caughtUp();
	await pair.standby.pauseReplay();
	try {
		const before0 = await reads(patient);
		const page = await patient.api('GET', `/v1/municipalities/${c.muni}/residents`, { token });
		assert.equal(page.status, 200, page.text);
		const items = page.json.data.map((d) => d.member_id).sort();
		assert.deepEqual(items, [c.memberA, c.memberB].sort());
		assert.ok((await reads(patient)).replica > before0.replica, 'the page was read from the standby');
		const rid = page.headers.get('x-request-id');
		const q = `select e.cooperative_id, e.changes from audit_events e where e.request_id = '${rid}' and e.action = 'residents.read' order by e.cooperative_id`;
		const events = await pair.primary.sql(q, 'coopd');
		assert.equal(events.length, 2, 'one event per cooperative, on the primary');
		const logged = events.flatMap((e) => JSON.parse(e.changes).member_ids).sort();
		assert.deepEqual(logged, items, 'the events name exactly the items sent');
		assert.equal((await pair.standby.sql(q, 'coopd')).length, 0, 'the paused standby does not have them: they were written on the primary');

		const csv = await patient.api('GET', `/v1/municipalities/${c.muni}/residents`, { token, headers: { accept: 'text/csv' } });
		assert.equal(csv.status, 200, csv.text);
		const rows = csv.text.trim().split('\r\n').slice(1);
		assert.equal(rows.length, 2, csv.text);
		const crid = csv.headers.get('x-request-id');
		const cev = await pair.primary.sql(`select sum((changes->>'items')::int) as n from audit_events where request_id = '${crid}'`, 'coopd');
		assert.equal(Number(cev[0].n), rows.length, 'the CSV export logged as many items as it sent');
	} finally {
		await pair.standby.resumeReplay();
	}
});

test('a stopped standby sends reads to the primary; they come back when it is back', async () => {
	await caughtUp();
	await userIds(patient, c.admin); // a pooled connection to the standby
	await pair.standby.stop();
	try {
		const before0 = await reads(patient);
		for (let i = 0; i < 5; i++) {
			const r = await patient.api('GET', '/v1/users', { token: c.admin });
			assert.equal(r.status, 200, `a list while the standby is down: ${r.status} ${r.text}`);
			const res = await patient.api('GET', `/v1/municipalities/${c.muni}/residents`, { token: c.municipalityUser.token });
			assert.equal(res.status, 200, `a municipal read while the standby is down: ${res.status} ${res.text}`);
		}
		assert.ok((await reads(patient)).down > before0.down, 'counted as reads sent to the primary, replica down');
	} finally {
		await pair.standby.start();
	}
	await caughtUp();
	await waitFor(
		async () => {
			const r0 = (await reads(patient)).replica;
			await userIds(patient, c.admin);
			return (await reads(patient)).replica > r0;
		},
		{ timeoutMs: 10000, intervalMs: 200, msg: 'reads to return to the standby' },
	);
});
