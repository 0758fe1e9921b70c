// One request, one transaction, with the caller's identity in it (issue 8, item 2): the
// dispatcher opens the transaction — REPEATABLE READ READ ONLY for a read, READ COMMITTED for a
// write — whose first statement checks the token and sets coopd.user_id, coopd.role,
// coopd.cooperative_id, coopd.member_id and coopd.municipality with set_config(..., true).
// A read of ONE statement (the hot single-resource reads, a list page) is the exception the
// design allows: it goes out with the token check alone, in one pipeline that PostgreSQL runs
// as one implicit transaction, and carries the caller's scope as parameters of its own
// statement (the settings would cost it several per cent of its throughput, make bench).
//
// The probe: in this file's own database the document functions of cooperatives,
// municipalities, fee policies, permissions and municipal policies are replaced by ones that
// also report what the statement saw of its transaction. The service passes the documents
// through unchanged, so the answer shows it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, cast, apiPermission } from './harness.mjs';

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
		LANGUAGE sql STABLE AS $$ SELECT json_build_object('id', f.id, 'probe', ${PROBE}) $$;
		CREATE OR REPLACE FUNCTION permission_doc(p permissions) RETURNS json
		LANGUAGE sql STABLE AS $$ SELECT json_build_object('id', p.id, 'probe', ${PROBE}) $$;
		CREATE OR REPLACE FUNCTION policy_doc(p municipal_policies) RETURNS json
		LANGUAGE sql STABLE AS $$ SELECT json_build_object('id', p.id, 'probe', ${PROBE}) $$;`);
	// The probe documents are not the documented ones on purpose: no contract check from here on
	// (the requests are counted as exempt).
	srv.contractExempt = 'document functions replaced by probes';
});
after(() => srv?.kill());

async function probe(method, path, token, body) {
	const r = await srv.api(method, path, { token, body });
	assert.equal(r.status, 200, r.text);
	return r.json.probe;
}

const me = async (token) => (await srv.api('GET', '/v1/me', { token })).json;

test('a read of one statement checks the token in the same round trip and carries the scope in its own parameters', async () => {
	const p = await probe('GET', `/v1/cooperatives/${c.coopA}`, c.coopAdminA.token);
	// not set: NULL, or '' on a connection where an earlier transaction set it
	assert.ok(!p.role, `no identity settings on the hot path (role ${p.role})`);
	assert.ok(!p.user_id, `no identity settings on the hot path (user_id ${p.user_id})`);
	// its scope is the statement's: another cooperative's admin gets 404
	const r = await srv.api('GET', `/v1/cooperatives/${c.coopA}`, { token: c.coopAdminB.token });
	assert.equal(r.status, 404, r.text);
});

test('a member\'s and a municipality\'s reads of several statements carry their member and municipality', async () => {
	await apiPermission(srv, c.admin, c.memberA, c.muni);
	const m = (await srv.api('GET', `/v1/members/${c.memberA}/permissions`, { token: c.memberUserA.token }));
	assert.equal(m.status, 200, m.text);
	const pm = m.json.data[0].probe;
	assert.equal(pm.role, 'member');
	assert.equal(pm.cooperative_id, c.coopA);
	assert.equal(pm.member_id, c.memberA);
	assert.equal(pm.municipality, null);
	assert.equal(pm.user_id, (await me(c.memberUserA.token)).id);
	assert.equal(pm.read_only, 'on');

	const w = await srv.api('POST', `/v1/municipalities/${c.muni}/policies`, { token: c.admin, body: { valid_from: '2025-01-01' } });
	assert.equal(w.status, 201, w.text);
	const g = await srv.api('GET', `/v1/municipalities/${c.muni}/policies`, { token: c.municipalityUser.token });
	assert.equal(g.status, 200, g.text);
	const pg = g.json.data[0].probe;
	assert.equal(pg.role, 'municipality');
	assert.equal(pg.municipality, c.muni);
	assert.equal(pg.cooperative_id, null);
	assert.equal(pg.member_id, null);
	assert.equal(pg.read_only, 'on');
	assert.equal(pg.isolation, 'repeatable read');
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
	// more requests than the pool has connections, alternating callers; the platform admin has
	// no cooperative: nothing may be left of the others'
	await srv.api('POST', `/v1/cooperatives/${c.coopB}/fee-policies`, { token: c.coopAdminB.token, body: { valid_from: '2025-01-01' } });
	const callers = [c.coopAdminA, c.bookkeeperA, c.coopAdminB, { token: c.admin }];
	const want = await Promise.all(callers.map((u) => me(u.token)));
	const jobs = [];
	for (let i = 0; i < 40; i++) {
		const k = i % callers.length;
		const coop = k === 2 ? c.coopB : c.coopA;
		jobs.push(
			srv.api('GET', `/v1/cooperatives/${coop}/fee-policies`, { token: callers[k].token }).then((r) => {
				assert.equal(r.status, 200, r.text);
				return [k, r.json.data[0].probe];
			}),
		);
	}
	for (const [k, p] of await Promise.all(jobs)) {
		assert.equal(p.user_id, want[k].id);
		assert.equal(p.role, want[k].role);
		assert.equal(p.cooperative_id, want[k].cooperative_id ?? null);
		assert.equal(p.member_id, null);
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
