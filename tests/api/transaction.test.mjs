// One request, one transaction, with the caller's identity in it (issue 8, item 2): the
// dispatcher opens the transaction — read-only for a read (REPEATABLE READ when it runs more than
// one statement; a read of one statement is one snapshot anyway and runs as one implicit
// transaction, in one round trip), READ COMMITTED for a write — and sets coopd.user_id, coopd.role, coopd.cooperative_id, coopd.member_id and
// coopd.municipality with set_config(..., true) before the handler's first statement runs.
//
// The probe: in this file's own database the document functions of cooperatives and
// municipalities and of fee policies are replaced by ones that also report what the statement saw of its
// transaction. The service passes the documents through unchanged, so the answer shows it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, cast } from './harness.mjs';

let env;
let srv;
let c;

// A setting the caller has no value for is not set: it reads as NULL, or as '' where an earlier
// transaction of the connection set it; nullif makes both null, as the README tells SQL to read it.
const PROBE = `json_build_object(
    'user_id', current_setting('coopd.user_id', true),
    'role', current_setting('coopd.role', true),
    'cooperative_id', nullif(current_setting('coopd.cooperative_id', true), ''),
    'member_id', nullif(current_setting('coopd.member_id', true), ''),
    'municipality', nullif(current_setting('coopd.municipality', true), ''),
    'read_only', current_setting('transaction_read_only'),
    'isolation', current_setting('transaction_isolation'),
    'xact_start', (SELECT xact_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()),
    'statement_start', statement_timestamp()::text)`;

before(async () => {
	env = await setup();
	srv = env.srv;
	c = await cast(srv, env.dbUrl);
	await env.sql(`
		CREATE OR REPLACE FUNCTION cooperative_doc(c cooperatives) RETURNS json
		LANGUAGE sql STABLE AS $$ SELECT json_build_object('id', c.id, 'probe', ${PROBE}) $$;
		CREATE OR REPLACE FUNCTION municipality_doc(m municipalities) RETURNS json
		LANGUAGE sql STABLE AS $$ SELECT json_build_object('code', m.code, 'probe', ${PROBE}) $$;
		CREATE OR REPLACE FUNCTION fee_policy_doc(f fee_policies) RETURNS json
		LANGUAGE sql STABLE AS $$ SELECT json_build_object('id', f.id, 'probe', ${PROBE}) $$;`);
});
after(() => srv?.kill());

async function probe(method, path, token, body) {
	const r = await srv.api(method, path, { token, body });
	assert.equal(r.status, 200, r.text);
	return r.json.probe;
}

const me = async (token) => (await srv.api('GET', '/v1/me', { token })).json;

test('a single-resource read runs read-only with the caller\'s identity set', async () => {
	const user = await me(c.coopAdminA.token);
	const p = await probe('GET', `/v1/cooperatives/${c.coopA}`, c.coopAdminA.token);
	assert.deepEqual(
		{ ...p, xact_start: undefined, statement_start: undefined },
		{
			user_id: user.id,
			role: 'coop_admin',
			cooperative_id: c.coopA,
			member_id: null,
			municipality: null,
			read_only: 'on',
			isolation: p.isolation,
			xact_start: undefined,
			statement_start: undefined,
		},
	);
});

test('a member\'s and a municipality\'s reads carry their member and municipality', async () => {
	const m = await probe('GET', `/v1/cooperatives/${c.coopA}`, c.memberUserA.token);
	assert.equal(m.role, 'member');
	assert.equal(m.cooperative_id, c.coopA);
	assert.equal(m.member_id, c.memberA);
	assert.equal(m.user_id, (await me(c.memberUserA.token)).id);

	const g = await probe('GET', `/v1/municipalities/${c.muni}`, c.municipalityUser.token);
	assert.equal(g.role, 'municipality');
	assert.equal(g.municipality, c.muni);
	assert.equal(g.cooperative_id, null);
	assert.equal(g.read_only, 'on');
});

test('a read of several statements (the cooperative must exist, then its list) runs in one REPEATABLE READ READ ONLY transaction', async () => {
	for (const valid_from of ['2025-01-01', '2026-01-01']) {
		const w = await srv.api('POST', `/v1/cooperatives/${c.coopA}/fee-policies`, { token: c.coopAdminA.token, body: { valid_from } });
		assert.equal(w.status, 201, w.text);
	}
	const r = await srv.api('GET', `/v1/cooperatives/${c.coopA}/fee-policies`, { token: c.bookkeeperA.token });
	assert.equal(r.status, 200, r.text);
	const probes = r.json.data.map((i) => i.probe);
	assert.equal(probes.length, 2);
	const user = await me(c.bookkeeperA.token);
	for (const p of probes) {
		assert.equal(p.role, 'bookkeeper');
		assert.equal(p.user_id, user.id);
		assert.equal(p.cooperative_id, c.coopA);
		assert.equal(p.read_only, 'on');
		assert.equal(p.isolation, 'repeatable read');
		assert.equal(p.xact_start, probes[0].xact_start, 'one transaction');
		assert.ok(p.statement_start > p.xact_start, 'the list ran after the transaction began with the first statement');
	}
});

test('a write runs in a READ COMMITTED read-write transaction with the caller\'s identity set', async () => {
	const user = await me(c.coopAdminA.token);
	const p = await probe('PATCH', `/v1/cooperatives/${c.coopA}`, c.coopAdminA.token, { trade_name: 'Probe' });
	assert.equal(p.user_id, user.id);
	assert.equal(p.role, 'coop_admin');
	assert.equal(p.cooperative_id, c.coopA);
	assert.equal(p.read_only, 'off');
	assert.equal(p.isolation, 'read committed');
	// the statement that wrote the row ran after the one that locked it, in the same transaction
	assert.ok(p.statement_start > p.xact_start, `${p.statement_start} after ${p.xact_start}`);
});

test('the identity does not outlive the request: the next caller on the pooled connection sees its own', async () => {
	// more requests than the pool has connections, alternating callers
	// (the platform admin has no cooperative and no member: nothing may be left of the others')
	const callers = [c.coopAdminA, c.memberUserA, c.coopAdminB, { token: c.admin }];
	const want = await Promise.all(callers.map((u) => me(u.token)));
	const jobs = [];
	for (let i = 0; i < 40; i++) {
		const k = i % callers.length;
		const coop = k === 2 ? c.coopB : c.coopA;
		jobs.push(probe('GET', `/v1/cooperatives/${coop}`, callers[k].token).then((p) => [k, p]));
	}
	for (const [k, p] of await Promise.all(jobs)) {
		assert.equal(p.user_id, want[k].id);
		assert.equal(p.role, want[k].role);
		assert.equal(p.member_id, want[k].member_id ?? null);
		assert.equal(p.cooperative_id, want[k].cooperative_id ?? null);
	}
});

// A rule raised in SQL carries its status and code (SQLSTATE class CO + status, "code: detail"):
// a rule added in SQL alone reaches the client as that problem, never as a 500, and the write
// it stopped leaves nothing behind.
test('a rule raised in SQL with class CO answers its status and code, and the write leaves nothing', async () => {
	await env.sql(`
		CREATE FUNCTION probe_rule() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.trade_name = 'Forbidden' THEN
				RAISE EXCEPTION 'probe_rule: trade names may not be Forbidden' USING ERRCODE = 'CO409';
			ELSIF NEW.trade_name = 'Codeless' THEN
				RAISE EXCEPTION 'no code in this message' USING ERRCODE = 'CO422';
			END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER probe_rule BEFORE UPDATE ON cooperatives FOR EACH ROW EXECUTE FUNCTION probe_rule();`);
	const before1 = await env.sql(`SELECT trade_name, row_version FROM cooperatives WHERE id = '${c.coopB}'`);
	const r = await srv.api('PATCH', `/v1/cooperatives/${c.coopB}`, { token: c.coopAdminB.token, body: { trade_name: 'Forbidden' } });
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.code, 'probe_rule');
	assert.equal(r.json.detail, 'trade names may not be Forbidden');
	const r2 = await srv.api('PATCH', `/v1/cooperatives/${c.coopB}`, { token: c.coopAdminB.token, body: { trade_name: 'Codeless' } });
	assert.equal(r2.status, 422, r2.text);
	assert.equal(r2.json.code, 'rule_violation');
	assert.deepEqual(await env.sql(`SELECT trade_name, row_version FROM cooperatives WHERE id = '${c.coopB}'`), before1);
	const audit = await env.sql(`SELECT count(*)::int AS n FROM audit_events WHERE object_id = '${c.coopB}' AND action = 'cooperative.update'`);
	assert.deepEqual(audit, [{ n: '0' }]);
});
