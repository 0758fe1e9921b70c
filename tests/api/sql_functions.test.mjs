// sql/functions/: the live definitions of the SQL functions, applied at start after the numbered
// migrations in one transaction, only when their combined checksum differs from the one recorded
// in schema_functions (or a migration ran), so that a normal start rewrites nothing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, sharedCluster, createDatabase, psql, startCoopd, runCoopd, coopdEnv, freePort } from './harness.mjs';

const APPLIED = /applied sql\/functions \(checksum ([0-9a-f]{64})\)/;

let cluster;
before(async () => {
	cluster = await sharedCluster();
});

// The checksum coopd records: SHA-256 over every file's name and contents, each followed by a
// NUL byte, in name order (service/db/migrate.c).
function expectedChecksum() {
	const dir = path.join(ROOT, 'sql', 'functions');
	const h = crypto.createHash('sha256');
	for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.sql')).sort()) {
		h.update(f).update(Buffer.from([0])).update(fs.readFileSync(path.join(dir, f))).update(Buffer.from([0]));
	}
	return h.digest('hex');
}

async function startAndStop(db) {
	const srv = await startCoopd({ dbUrl: db });
	await srv.stop();
	return srv.stderr;
}

test('the first start applies sql/functions once and records the checksum of every embedded file', async () => {
	const db = await createDatabase(cluster);
	const log = await startAndStop(db);
	const m = log.match(APPLIED);
	assert.ok(m, `the log says the functions were applied:\n${log}`);
	assert.equal(log.match(new RegExp(APPLIED, 'g')).length, 1, 'applied once');
	assert.equal(m[1], expectedChecksum(), 'every file of sql/functions/ is embedded, in name order');
	const rows = await psql(db, 'select checksum from schema_functions');
	assert.deepEqual(rows, [{ checksum: m[1] }]);
});

test('a second start on the same database does not apply sql/functions again', async () => {
	const db = await createDatabase(cluster);
	await startAndStop(db);
	const before1 = await psql(db, 'select checksum, applied_at from schema_functions');
	const xmin = await psql(db, `select xmin::text as x from pg_proc where proname = 'invoice_issue'`);
	const log = await startAndStop(db);
	assert.doesNotMatch(log, APPLIED, `no re-apply on a normal start:\n${log}`);
	assert.deepEqual(await psql(db, 'select checksum, applied_at from schema_functions'), before1);
	assert.deepEqual(await psql(db, `select xmin::text as x from pg_proc where proname = 'invoice_issue'`), xmin, 'the function row was not rewritten');
});

test('after the recorded checksum changed, a restart applies sql/functions again and records it', async () => {
	const db = await createDatabase(cluster);
	await startAndStop(db);
	// a stale definition, as an older binary would have left it
	await psql(db, `update schema_functions set checksum = 'stale'`);
	await psql(db, `create or replace function rfc3339(t timestamptz) returns text
		language sql immutable strict parallel safe return 'stale'`);
	const log = await startAndStop(db);
	const m = log.match(APPLIED);
	assert.ok(m, `re-applied:\n${log}`);
	assert.deepEqual(await psql(db, 'select checksum from schema_functions'), [{ checksum: expectedChecksum() }]);
	const r = await psql(db, `select rfc3339('2026-01-02 03:04:05+00') as t`);
	assert.equal(r[0].t, '2026-01-02T03:04:05Z', 'the live definition is back');
});

test('several coopd migrate at once on a new database apply sql/functions exactly once', async () => {
	const db = await createDatabase(cluster);
	const runs = await Promise.all([1, 2, 3].map(async () => runCoopd(['migrate'], coopdEnv(db, await freePort()))));
	for (const r of runs) assert.equal(r.code, 0, r.stderr);
	const applied = runs.filter((r) => APPLIED.test(r.stderr)).length;
	assert.equal(applied, 1, 'one of them applied the functions, the others found them current');
});
