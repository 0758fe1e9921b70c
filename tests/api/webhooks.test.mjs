// Webhooks (issue 14, part h-hooks): subscriptions of a cooperative or a municipality, the
// outbox written with the change, and the delivery worker, against a real coopd, a real
// PostgreSQL and a receiver in this file (node:http) that checks every Standard Webhooks
// signature with node:crypto and every body against the document's top-level `webhooks`.
//
// The receiver's behaviour is chosen by the path a subscription names: /ok answers 204, /flaky
// fails the first attempts of some deliveries with 500, /slow hangs past the delivery timeout on
// the first attempt, /fail answers 503 until told otherwise, /hold keeps the first request
// without an answer (coopd is killed meanwhile). Each test works in a cooperative of its own, so
// that its subscriptions hear only of its own events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import {
	setup, startCoopd, runCoopd, coopdEnv, createDatabase, ROOT, run, psql, assertProblem, assertAudited, assertKeys, listAll, waitFor, sleep,
	hex, nlDate, addDays, lit, RFC3339_UTC, UUID_RE, invMunicipality, invSmallCoop, invMember, invIssued, invCreate,
	userWithToken,
} from './harness.mjs';
import { loadContract } from '../contract/validate/contract.mjs';

// The worker's settings for the file: short waits, so that retries, timeouts and disabling
// happen within seconds; the receiver listens on 127.0.0.1.
const WEBHOOK_ENV = {
	COOPD_WEBHOOK_ALLOW_PRIVATE: '1',
	COOPD_WEBHOOK_POLL_MS: '200',
	COOPD_WEBHOOK_RETRY_FIRST_MS: '300',
	COOPD_WEBHOOK_RETRY_MAX_MS: '1000',
	COOPD_WEBHOOK_TIMEOUT_MS: '1500',
	COOPD_WEBHOOK_CONNECT_TIMEOUT_MS: '1000',
	COOPD_WEBHOOK_DISABLE_AFTER_S: '4',
	COOPD_WEBHOOK_CHECK_INTERVAL_S: '1',
};
const TIMEOUT_MS = Number(WEBHOOK_ENV.COOPD_WEBHOOK_TIMEOUT_MS);

const SUBSCRIPTION_KEYS = ['id', 'cooperative_id', 'municipality_code', 'url', 'events', 'description', 'enabled', 'disabled_reason', 'disabled_detail', 'disabled_at', 'failing_since', 'created_at', 'updated_at'];
const DELIVERY_KEYS = ['id', 'subscription_id', 'event_id', 'type', 'status', 'attempts', 'next_attempt_at', 'delivered_at', 'created_at', 'payload', 'attempt_log'];
const ATTEMPT_KEYS = ['attempt', 'started_at', 'duration_ms', 'status_code', 'error', 'response_excerpt'];
const SECRET_RE = /^whsec_[A-Za-z0-9+/]{43}=$/;
const ALL_EVENTS = ['invoice.issued', 'invoice.paid', 'invoice.credited', 'payout.created', 'settlement.finalized', 'settlement.corrected', 'permission.expiring'];

let env;
let srv;
let admin;
let muni1;
let muni2;
let receiver;

// ---------------------------------------------------------------------------------------------
// The document's webhook payload schemas, compiled by the contract validator (closed: a field
// the document does not name fails).
const contract = loadContract(path.join(ROOT, 'api/openapi.yaml'));
const payloadValidators = new Map();
function assertPayloadFits(body) {
	const type = body?.type;
	assert.ok(contract.doc.webhooks?.[type], `the document has a webhook ${type}`);
	let v = payloadValidators.get(type);
	if (!v) {
		v = contract.ajv.compile(contract.transform(contract.doc.webhooks[type].post.requestBody.content['application/json'].schema, true));
		payloadValidators.set(type, v);
	}
	assert.ok(v(body), `${type} fits api/openapi.yaml: ${JSON.stringify(v.errors?.slice(0, 5))}\n${JSON.stringify(body)}`);
}

// ---------------------------------------------------------------------------------------------
// The receiver.
class Receiver {
	constructor() {
		this.requests = []; // every request, in arrival order: {path, headers, raw, json, at, status}
		this.secrets = new Map(); // path → the subscription's secret
		this.behaviour = new Map(); // path → (req record, earlier attempts of its webhook-id) → status | {hang} | {hold}
		this.held = [];
		this.server = http.createServer((req, res) => {
			const parts = [];
			req.on('data', (d) => parts.push(d));
			req.on('end', () => this.handle(req, res, Buffer.concat(parts).toString('utf8')));
		});
		this.sockets = new Set();
		this.server.on('connection', (s) => {
			this.sockets.add(s);
			s.on('close', () => this.sockets.delete(s));
		});
	}
	async start() {
		await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
		this.port = this.server.address().port;
	}
	stop() {
		for (const s of this.sockets) s.destroy();
		this.server.close();
	}
	url(p) {
		return `http://127.0.0.1:${this.port}${p}`;
	}
	handle(req, res, raw) {
		let json;
		try {
			json = JSON.parse(raw);
		} catch {
			json = undefined;
		}
		const rec = { path: req.url, method: req.method, headers: req.headers, raw, json, at: Date.now(), status: null };
		const earlier = this.requests.filter((x) => x.path === rec.path && x.headers['webhook-id'] === rec.headers['webhook-id']).length;
		this.requests.push(rec);
		const decide = this.behaviour.get(req.url) ?? (() => 204);
		const what = decide(rec, earlier);
		if (what && what.hold) {
			this.held.push(res);
			return;
		}
		if (what && what.hang) {
			// past the delivery timeout, then an answer coopd no longer waits for
			setTimeout(() => {
				if (!res.destroyed) {
					res.writeHead(200);
					res.end();
				}
			}, what.hang);
			rec.status = 'hung';
			return;
		}
		rec.status = what;
		res.writeHead(what, { 'content-type': 'text/plain' });
		res.end(what >= 300 ? `receiver says no (${what})` : '');
	}
	/** The requests to path p (the subscription's). */
	to(p) {
		return this.requests.filter((x) => x.path === p);
	}
	/** Those answered 2xx. */
	accepted(p) {
		return this.to(p).filter((x) => typeof x.status === 'number' && x.status < 300);
	}
}

/** Checks a request as a Standard Webhooks receiver would: the signature over id.timestamp.body
 * with the key of the subscription's secret, in constant time; a timestamp within 5 minutes. */
function assertSigned(rec, secret) {
	const id = rec.headers['webhook-id'];
	const ts = rec.headers['webhook-timestamp'];
	const sig = rec.headers['webhook-signature'];
	assert.match(id ?? '', UUID_RE, 'webhook-id');
	assert.match(ts ?? '', /^\d{10}$/, 'webhook-timestamp');
	assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 300, `webhook-timestamp ${ts} is now`);
	assert.match(sig ?? '', /^v1,[A-Za-z0-9+/]{43}=$/, 'webhook-signature');
	const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
	const expected = Buffer.from(`v1,${crypto.createHmac('sha256', key).update(`${id}.${ts}.${rec.raw}`).digest('base64')}`);
	assert.ok(crypto.timingSafeEqual(Buffer.from(sig), expected), `the signature of ${id} verifies`);
	assert.equal(rec.headers['content-type'], 'application/json');
	assert.equal(rec.method, 'POST');
	assertPayloadFits(rec.json);
}

/** A subscription through the API (asserts 201); remembers its secret for the receiver. */
async function subscribe(token, p, body) {
	const r = await srv.api('POST', '/v1/webhooks', { token, body: { url: receiver.url(p), ...body } });
	assert.equal(r.status, 201, `subscribe ${p}: ${r.status} ${r.text}`);
	assert.match(r.json.secret, SECRET_RE);
	receiver.secrets.set(p, r.json.secret);
	return r.json;
}

/** A path of its own on the receiver. */
const pathOf = (kind) => `/${kind}/${hex(4)}`;

/** The subscription's deliveries (all pages). */
const deliveries = (id, token = admin, q = '') => listAll(srv, token, `/v1/webhooks/${id}/deliveries${q}`, 50);

/** Waits until the subscription has n delivered deliveries; returns all its deliveries. */
async function delivered(id, n, { timeoutMs = 20000 } = {}) {
	return waitFor(
		async () => {
			const ds = await deliveries(id);
			return ds.filter((d) => d.status === 'delivered').length >= n ? ds : null;
		},
		{ timeoutMs, intervalMs: 200, msg: `${n} deliveries of ${id}` },
	);
}

/** A small cooperative (member not on benefit, customer) with a coop admin and a bookkeeper. */
async function coop() {
	const c = await invSmallCoop(srv, admin, muni1);
	c.coopAdmin = await userWithToken(srv, admin, { role: 'coop_admin', cooperative_id: c.id });
	c.bookkeeper = await userWithToken(srv, admin, { role: 'bookkeeper', cooperative_id: c.id });
	return c;
}

const issue = (c, body = {}) => invIssued(srv, c.bookkeeper.token, c.id, { member_id: c.member.id, customer_id: c.customer.id, ...body });
const pay = (invoice, amount = invoice.totals.gross_cents) =>
	invCreate(srv, admin, `/v1/invoices/${invoice.id}/payments`, { amount_cents: amount, received_on: nlDate(), method: 'bank' });

before(async () => {
	receiver = new Receiver();
	await receiver.start();
	env = await setup({ env: WEBHOOK_ENV });
	srv = env.srv;
	admin = await srv.adminToken();
	muni1 = await invMunicipality(srv, admin);
	muni2 = await invMunicipality(srv, admin);
});
after(async () => {
	receiver?.stop();
	await srv?.kill();
});

// ---------------------------------------------------------------------------------------------
test('a cooperative administrator subscribes its cooperative: 201 with a Standard Webhooks secret shown once; GET, the list and an Idempotency-Key replay carry none; audited without secret or query', async () => {
	const c = await coop();
	const body = { url: `${receiver.url(pathOf('ok'))}?token=geheim-${hex(3)}`, events: ['invoice.issued', 'invoice.paid'], description: 'Boekhoudpakket' };
	const key = `idem-${hex(6)}`;
	const first = await srv.api('POST', '/v1/webhooks', { token: c.coopAdmin.token, body, headers: { 'idempotency-key': key } });
	assert.equal(first.status, 201, first.text);
	assertKeys(first.json, [...SUBSCRIPTION_KEYS, 'secret'], 'created subscription');
	assert.match(first.json.secret, SECRET_RE);
	assert.equal(Buffer.from(first.json.secret.slice(6), 'base64').length, 32, 'a 32-byte key');
	assert.equal(first.json.cooperative_id, c.id, 'the caller\'s own cooperative');
	assert.equal(first.json.municipality_code, null);
	assert.deepEqual(first.json.events, body.events);
	assert.equal(first.json.enabled, true);
	assert.match(first.json.created_at, RFC3339_UTC);
	assert.equal(first.headers.get('location'), `/v1/webhooks/${first.json.id}`);
	const replay = await srv.api('POST', '/v1/webhooks', { token: c.coopAdmin.token, body, headers: { 'idempotency-key': key } });
	assert.equal(replay.status, 201);
	assert.equal(replay.headers.get('idempotent-replayed'), 'true');
	assert.equal(replay.json.id, first.json.id, 'one subscription');
	assert.equal(replay.json.secret, undefined, 'the replay does not repeat the secret');
	const got = await srv.api('GET', `/v1/webhooks/${first.json.id}`, { token: c.coopAdmin.token });
	assert.equal(got.status, 200);
	assertKeys(got.json, SUBSCRIPTION_KEYS, 'subscription');
	assert.match(got.headers.get('etag') ?? '', /^"\d+"$/);
	const list = await listAll(srv, c.coopAdmin.token, '/v1/webhooks', 10);
	assert.deepEqual(list.map((x) => x.id), [first.json.id]);
	assert.ok(!JSON.stringify(list).includes('whsec_'), 'no secret in the list');
	// a platform admin's list filters by owner
	const byCoop = await listAll(srv, admin, `/v1/webhooks?cooperative_id=${c.id}`, 10);
	assert.deepEqual(byCoop.map((x) => x.id), [first.json.id]);
	assertProblem(await srv.api('GET', '/v1/webhooks?enabled=maybe', { token: admin }), 400, 'invalid_parameter');
	assertProblem(await srv.api('GET', '/v1/webhooks?municipality_code=363', { token: admin }), 400, 'invalid_parameter');
	const e = await assertAudited(srv, admin, { chain: c.id, objectId: first.json.id, action: 'webhook.create', actorRole: 'coop_admin' });
	assert.equal(e.changes.url, `${receiver.url(body.url.slice(receiver.url('').length, body.url.indexOf('?')))}?`, 'the URL without its query');
	assert.ok(!JSON.stringify(e.changes).includes('geheim') && !JSON.stringify(e.changes).includes('whsec_'), `no token or secret in the audit event: ${JSON.stringify(e.changes)}`);
	assert.ok(!srv.stderr.includes(first.json.secret), 'the secret is not logged');
	assert.ok(!srv.stderr.includes('geheim'), 'the URL query is not logged');
	// a subscription the database holds has the secret it answered
	const rows = await env.sql(`select secret from webhook_subscriptions where id = ${lit(first.json.id)}`);
	assert.equal(rows[0].secret, first.json.secret);
});

test('a subscription that breaks the rules is a 422 with a field error per problem; a bookkeeper, auditor or member gets 403', async () => {
	const c = await coop();
	const tk = c.coopAdmin.token;
	const bad = async (body, field, code, token = tk) => {
		const r = await srv.api('POST', '/v1/webhooks', { token, body: { url: receiver.url('/ok/x'), events: ['invoice.issued'], ...body } });
		assertProblem(r, 422, code === 'invalid_reference' ? 'invalid_reference' : 'validation_failed', { field, fieldCode: code });
	};
	await bad({ url: 'ftp://hooks.example.nl/x' }, 'url', 'invalid_url');
	await bad({ url: 'https://user:pw@hooks.example.nl/x' }, 'url', 'invalid_url');
	await bad({ url: 'https://hooks.example.nl/x#frag' }, 'url', 'invalid_url');
	await bad({ url: 'https://hooks.example.nl:99999/x' }, 'url', 'invalid_url');
	await bad({ url: `https://hooks.example.nl/${'a'.repeat(2030)}` }, 'url', 'too_long');
	await bad({ url: 'https://hooks example.nl/' }, 'url', 'invalid_url');
	await bad({ events: [] }, 'events', 'invalid_value');
	await bad({ events: ['invoice.issued', 'invoice.issued'] }, 'events[1]', 'invalid_value');
	await bad({ events: ['invoice.deleted'] }, 'events[0]', 'invalid_value');
	await bad({ events: 'invoice.issued' }, 'events', 'invalid_type');
	await bad({ secret: 'whsec_mine' }, 'secret', 'unknown_field');
	await bad({ municipality_code: muni1 }, 'municipality_code', 'invalid_value');
	await bad({ cooperative_id: crypto.randomUUID() }, 'cooperative_id', 'invalid_reference');
	// a platform admin names exactly one owner, one that exists
	await bad({}, 'cooperative_id', 'required', admin);
	await bad({ cooperative_id: c.id, municipality_code: muni1 }, 'municipality_code', 'required', admin);
	await bad({ cooperative_id: crypto.randomUUID() }, 'cooperative_id', 'invalid_reference', admin);
	await bad({ municipality_code: 'GM9999', events: ['settlement.finalized'] }, 'municipality_code', 'invalid_reference', admin);
	// a municipality hears of its residents' settlements and permissions only
	const mu = await userWithToken(srv, admin, { role: 'municipality', municipality_code: muni1 });
	await bad({ events: ['settlement.finalized', 'invoice.paid'] }, 'events[1]', 'not_for_municipality', mu.token);
	await bad({ municipality_code: muni2, events: ['settlement.finalized'] }, 'municipality_code', 'invalid_reference', mu.token);
	await bad({ cooperative_id: c.id, events: ['settlement.finalized'] }, 'cooperative_id', 'invalid_value', mu.token);
	// the roles that may not subscribe
	for (const role of ['bookkeeper', 'auditor']) {
		const u = role === 'bookkeeper' ? c.bookkeeper : await userWithToken(srv, admin, { role, cooperative_id: c.id });
		assertProblem(await srv.api('POST', '/v1/webhooks', { token: u.token, body: { url: receiver.url('/ok/x'), events: ['invoice.issued'] } }), 403, 'forbidden');
		assertProblem(await srv.api('GET', '/v1/webhooks', { token: u.token }), 403, 'forbidden');
	}
	// nothing was written
	assert.equal((await listAll(srv, admin, `/v1/webhooks?cooperative_id=${c.id}`, 10)).length, 0);
	// a scheme in capitals is stored in lower case
	const upper = await srv.api('POST', '/v1/webhooks', { token: tk, body: { url: `HTTP://127.0.0.1:${receiver.port}/ok/upper`, events: ['invoice.issued'] } });
	assert.equal(upper.status, 201, upper.text);
	assert.equal(upper.json.url, `http://127.0.0.1:${receiver.port}/ok/upper`);
	// the PATCH takes the same checks
	const s = await subscribe(tk, pathOf('ok'), { events: ['invoice.issued'] });
	assertProblem(await srv.api('PATCH', `/v1/webhooks/${s.id}`, { token: tk, body: { url: 'gopher://x.nl/' } }), 422, 'validation_failed', { field: 'url', fieldCode: 'invalid_url' });
	assertProblem(await srv.api('PATCH', `/v1/webhooks/${s.id}`, { token: tk, body: { events: ['nope'] } }), 422, 'validation_failed', { field: 'events[0]' });
	assertProblem(await srv.api('PATCH', `/v1/webhooks/${s.id}`, { token: tk, body: { enabled: 'yes' } }), 422, 'validation_failed', { field: 'enabled' });
	assertProblem(await srv.api('PATCH', `/v1/webhooks/${s.id}`, { token: tk, body: { enabled: true }, headers: { 'if-match': '"99"' } }), 412, 'precondition_failed');
});

test('an owner has at most 25 subscriptions (422 too_many_webhooks); deleting one makes room, and DELETE is 204 then 404', async () => {
	const c = await coop();
	const ids = [];
	for (let i = 0; i < 25; i++) ids.push((await subscribe(c.coopAdmin.token, pathOf('ok'), { events: ['payout.created'] })).id);
	const over = await srv.api('POST', '/v1/webhooks', { token: c.coopAdmin.token, body: { url: receiver.url('/ok/26'), events: ['payout.created'] } });
	assertProblem(over, 422, 'too_many_webhooks');
	const del = await srv.api('DELETE', `/v1/webhooks/${ids[0]}`, { token: c.coopAdmin.token });
	assert.equal(del.status, 204, del.text);
	assertProblem(await srv.api('GET', `/v1/webhooks/${ids[0]}`, { token: c.coopAdmin.token }), 404, 'not_found');
	assertProblem(await srv.api('DELETE', `/v1/webhooks/${ids[0]}`, { token: c.coopAdmin.token }), 404, 'not_found');
	await assertAudited(srv, admin, { chain: c.id, objectId: ids[0], action: 'webhook.delete', actorRole: 'coop_admin' });
	await subscribe(c.coopAdmin.token, pathOf('ok'), { events: ['payout.created'] });
});

test('scope: another cooperative\'s administrator and another municipality get 404 for a subscription and its log and do not list it', async () => {
	const a = await coop();
	const b = await coop();
	const subA = await subscribe(a.coopAdmin.token, pathOf('ok'), { events: ['invoice.issued'] });
	const mu1 = await userWithToken(srv, admin, { role: 'municipality', municipality_code: muni1 });
	const mu2 = await userWithToken(srv, admin, { role: 'municipality', municipality_code: muni2 });
	const subM = await subscribe(mu1.token, pathOf('ok'), { events: ['settlement.finalized'] });
	assert.equal(subM.municipality_code, muni1);
	assert.equal(subM.cooperative_id, null);
	for (const [token, id] of [[b.coopAdmin.token, subA.id], [b.coopAdmin.token, subM.id], [mu2.token, subM.id], [mu2.token, subA.id], [mu1.token, subA.id], [a.coopAdmin.token, subM.id]]) {
		assertProblem(await srv.api('GET', `/v1/webhooks/${id}`, { token }), 404, 'not_found');
		assertProblem(await srv.api('GET', `/v1/webhooks/${id}/deliveries`, { token }), 404, 'not_found');
		assertProblem(await srv.api('PATCH', `/v1/webhooks/${id}`, { token, body: { enabled: false } }), 404, 'not_found');
		assertProblem(await srv.api('DELETE', `/v1/webhooks/${id}`, { token }), 404, 'not_found');
	}
	assert.ok(!(await listAll(srv, b.coopAdmin.token, '/v1/webhooks', 50)).some((x) => x.id === subA.id || x.id === subM.id));
	assert.ok(!(await listAll(srv, mu2.token, '/v1/webhooks', 50)).some((x) => x.id === subA.id || x.id === subM.id));
	// even a filter naming another owner finds nothing
	assert.deepEqual(await listAll(srv, b.coopAdmin.token, `/v1/webhooks?cooperative_id=${a.id}`, 50), []);
	assert.deepEqual(await listAll(srv, mu2.token, `/v1/webhooks?municipality_code=${muni1}`, 50), []);
	// the owners themselves still see and may change theirs
	assert.equal((await srv.api('GET', `/v1/webhooks/${subM.id}`, { token: mu1.token })).status, 200);
	assert.deepEqual((await listAll(srv, mu1.token, '/v1/webhooks', 50)).map((x) => x.id), [subM.id]);
	const patched = await srv.api('PATCH', `/v1/webhooks/${subM.id}`, { token: mu1.token, body: { description: 'Koppeling' } });
	assert.equal(patched.status, 200, patched.text);
	assert.equal(patched.json.description, 'Koppeling');
	// the municipality's writes are in the platform chain with its code
	await assertAudited(srv, admin, { chain: null, objectId: subM.id, action: 'webhook.update', actorRole: 'municipality', municipality: muni1 });
	// and the database's row-level security holds the line for municipal requests too
	const asMunicipality = async (code, sql) => {
		const r = await run('psql', [env.dbUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-A', '-t', '-c', sql], {
			env: { PATH: process.env.PATH, LANG: 'C.UTF-8', PGOPTIONS: `-c role=coopd_municipal -c coopd.municipality=${code}` },
		});
		assert.equal(r.code, 0, `${sql}: ${r.stderr}`);
		return r.stdout.trim();
	};
	const ids = `(${lit(subM.id)}, ${lit(subA.id)})`;
	assert.equal(await asMunicipality(muni2, `SELECT count(*) FROM webhook_subscriptions WHERE id IN ${ids}`), '0', 'municipality 2 sees neither in SQL');
	assert.equal(await asMunicipality(muni1, `SELECT count(*) FROM webhook_subscriptions WHERE id IN ${ids}`), '1', 'municipality 1 its own only');
});

test('events are delivered signed: the signature verifies with node:crypto, each body fits the document, carries ids and figures but no names, addresses, IBANs or e-mail; the log shows each attempt', async () => {
	const c = await coop();
	const p = pathOf('ok');
	const s = await subscribe(c.coopAdmin.token, p, { events: ALL_EVENTS });
	const inv = await issue(c);
	await pay(inv);
	const inv2 = await issue(c);
	const credit = await invCreate(srv, c.bookkeeper.token, `/v1/invoices/${inv2.id}/credit-notes`, { reason: 'Dubbel gefactureerd' });
	await srv.api('PATCH', `/v1/members/${c.member.id}`, { token: admin, body: { iban: 'NL20INGB0001234567' } });
	const payout = await invCreate(srv, admin, `/v1/cooperatives/${c.id}/payouts`, { transfers: [{ member_id: c.member.id, amount_cents: 100 }] });
	const ds = await delivered(s.id, 5);
	assert.deepEqual(ds.map((d) => d.type), ['invoice.issued', 'invoice.paid', 'invoice.issued', 'invoice.credited', 'payout.created']);
	for (const d of ds) {
		assertKeys(d, DELIVERY_KEYS, 'delivery');
		assert.equal(d.status, 'delivered');
		assert.equal(d.attempts, 1);
		assert.equal(d.next_attempt_at, null);
		assert.equal(d.attempt_log.length, 1);
		assertKeys(d.attempt_log[0], ATTEMPT_KEYS, 'attempt');
		assert.equal(d.attempt_log[0].status_code, 204);
		assert.equal(d.attempt_log[0].error, null);
		const recs = receiver.to(p).filter((x) => x.headers['webhook-id'] === d.id);
		assert.equal(recs.length, 1, `delivery ${d.id} arrived once`);
		assertSigned(recs[0], s.secret);
		assert.deepEqual(recs[0].json, d.payload, 'the log holds the payload as sent');
		assert.equal(recs[0].json.type, d.type);
	}
	const [issued, paid, , credited, paidOut] = ds.map((d) => d.payload.data);
	assert.deepEqual(
		{ ...issued },
		{
			invoice_id: inv.id, cooperative_id: c.id, member_id: c.member.id, customer_id: c.customer.id, number: inv.number, issue_date: inv.issue_date,
			supply_date: inv.supply_date, due_date: inv.due_date, net_cents: inv.totals.net_cents, vat_cents: inv.totals.vat_cents, gross_cents: inv.totals.gross_cents,
		},
	);
	assert.equal(paid.invoice_id, inv.id);
	assert.equal(paid.paid_cents, inv.totals.gross_cents);
	assert.equal(paid.paid_on, nlDate());
	assert.equal(credited.invoice_id, inv2.id);
	assert.equal(credited.credit_note_id, credit.id);
	assert.equal(credited.credit_note_number, credit.number);
	assert.equal(credited.gross_cents, -inv2.totals.gross_cents);
	assert.equal(credited.fully_credited, true);
	assert.equal(credited.invoice_open_cents, 0);
	assert.deepEqual(paidOut, { payout_id: payout.id, cooperative_id: c.id, execution_date: payout.execution_date, message_id: payout.message_id, count: 1, total_cents: 100 });
	// ids and figures only: nothing of the member's, the customer's or the cooperative's person
	const sent = receiver.to(p).map((x) => x.raw).join('\n');
	for (const personal of [c.member.first_name, c.member.last_name, c.member.address.street, c.member.email, 'NL20INGB0001234567', c.customer.name, c.customer.email, c.coop.iban, c.coop.email, c.coop.legal_name].filter(Boolean))
		assert.ok(!sent.includes(personal), `the deliveries do not carry ${personal}`);
	// the same event to a second subscription is a delivery of its own, with its own webhook-id
	const ds2 = await deliveries(s.id, admin, '?status=delivered');
	assert.equal(ds2.length, 5);
	assert.deepEqual(await deliveries(s.id, admin, '?status=pending'), []);
	assertProblem(await srv.api('GET', `/v1/webhooks/${s.id}/deliveries?status=lost`, { token: admin }), 400, 'invalid_parameter');
});

test('a 500 is retried with the same webhook-id, a new timestamp and signature; the log keeps the failed attempt with its status and a short excerpt', async () => {
	const c = await coop();
	const p = pathOf('flaky');
	receiver.behaviour.set(p, (rec, earlier) => (earlier < 2 ? 500 : 200));
	const s = await subscribe(c.coopAdmin.token, p, { events: ['invoice.issued'] });
	const inv = await issue(c);
	const [d] = await delivered(s.id, 1);
	assert.equal(d.payload.data.invoice_id, inv.id);
	assert.equal(d.attempts, 3);
	assert.deepEqual(d.attempt_log.map((a) => [a.attempt, a.status_code, a.error]), [[1, 500, 'http_status'], [2, 500, 'http_status'], [3, 200, null]]);
	assert.equal(d.attempt_log[0].response_excerpt, 'receiver says no (500)');
	const recs = receiver.to(p);
	assert.equal(recs.length, 3);
	assert.ok(recs.every((r) => r.headers['webhook-id'] === d.id), 'the same webhook-id on every attempt');
	assert.equal(new Set(recs.map((r) => r.raw)).size, 1, 'the same body bytes on every attempt');
	for (const r of recs) assertSigned(r, s.secret);
	// the waits grow (0.3 s, then about twice that, jittered by ±25 %)
	const gap1 = recs[1].at - recs[0].at;
	const gap2 = recs[2].at - recs[1].at;
	assert.ok(gap1 >= 200 && gap2 >= 400, `backoff between attempts: ${gap1} ms, ${gap2} ms`);
	const sub = await srv.api('GET', `/v1/webhooks/${s.id}`, { token: admin });
	assert.equal(sub.json.failing_since, null, 'a success clears the failures');
	assert.equal(sub.json.enabled, true);
});

test('a receiver slower than COOPD_WEBHOOK_TIMEOUT_MS gets the delivery again; the first attempt is logged as a timeout; the request that made the event never waited', async () => {
	const c = await coop();
	const p = pathOf('slow');
	receiver.behaviour.set(p, (rec, earlier) => (earlier === 0 ? { hang: TIMEOUT_MS + 2000 } : 204));
	const s = await subscribe(c.coopAdmin.token, p, { events: ['invoice.issued', 'invoice.paid'] });
	const draft = await invCreate(srv, c.bookkeeper.token, `/v1/cooperatives/${c.id}/invoices`, { member_id: c.member.id, customer_id: c.customer.id, supply_date: nlDate(), lines: [{ description: 'Snoeien', quantity: '2', unit: 'hour', unit_price_cents: 3000 }] });
	const issued = await srv.api('POST', `/v1/invoices/${draft.id}/issue`, { token: c.bookkeeper.token });
	assert.equal(issued.status, 200);
	// while the receiver hangs, requests are answered at once
	await waitFor(() => receiver.to(p).length === 1, { msg: 'the first attempt' });
	const t0 = Date.now();
	const paid = await srv.api('POST', `/v1/invoices/${draft.id}/payments`, { token: c.bookkeeper.token, body: { amount_cents: issued.json.totals.gross_cents, received_on: nlDate(), method: 'bank' } });
	assert.equal(paid.status, 201);
	assert.ok(Date.now() - t0 < TIMEOUT_MS, `a payment is answered while a delivery hangs (${Date.now() - t0} ms)`);
	const ds = await delivered(s.id, 2);
	const first = ds.find((d) => d.type === 'invoice.issued');
	assert.equal(first.attempt_log[0].error, 'timeout');
	assert.equal(first.attempt_log[0].status_code, null);
	assert.ok(first.attempt_log[0].duration_ms >= TIMEOUT_MS - 100 && first.attempt_log[0].duration_ms < TIMEOUT_MS + 1500, `the attempt lasted the timeout: ${first.attempt_log[0].duration_ms} ms`);
	assert.equal(first.attempt_log.at(-1).error, null);
	const recs = receiver.to(p).filter((r) => r.headers['webhook-id'] === first.id);
	assert.ok(recs.length >= 2);
	for (const r of recs) assertSigned(r, s.secret);
});

test('order per subject: invoice.paid waits until invoice.issued of the same invoice was delivered, while another invoice\'s events do not wait', async () => {
	const c = await coop();
	const p = pathOf('flaky');
	let slowInvoice = null;
	// the first three attempts of the first invoice's invoice.issued fail
	receiver.behaviour.set(p, (rec, earlier) => (rec.json?.data?.invoice_id === slowInvoice && rec.json?.type === 'invoice.issued' && earlier < 3 ? 500 : 204));
	const s = await subscribe(c.coopAdmin.token, p, { events: ['invoice.issued', 'invoice.paid'] });
	const draft = await invCreate(srv, c.bookkeeper.token, `/v1/cooperatives/${c.id}/invoices`, { member_id: c.member.id, customer_id: c.customer.id, supply_date: nlDate(), lines: [{ description: 'Snoeien', quantity: '2', unit: 'hour', unit_price_cents: 3000 }] });
	slowInvoice = draft.id;
	const x = await srv.api('POST', `/v1/invoices/${draft.id}/issue`, { token: c.bookkeeper.token });
	assert.equal(x.status, 200);
	await waitFor(() => receiver.to(p).length >= 1, { msg: 'the first attempt' });
	await pay(x.json);
	const y = await issue(c);
	await pay(y);
	const ds = await delivered(s.id, 4, { timeoutMs: 30000 });
	const recs = receiver.to(p);
	const firstOk = (invoiceId, type) => recs.findIndex((r) => r.json.data.invoice_id === invoiceId && r.json.type === type && r.status < 300);
	const firstSeen = (invoiceId, type) => recs.findIndex((r) => r.json.data.invoice_id === invoiceId && r.json.type === type);
	assert.equal(recs.filter((r) => r.json.data.invoice_id === x.json.id && r.json.type === 'invoice.issued').length, 4, 'three failures, then the delivery');
	assert.ok(firstSeen(x.json.id, 'invoice.paid') > firstOk(x.json.id, 'invoice.issued'), `invoice.paid was not even tried before invoice.issued was delivered: ${recs.map((r) => `${r.json.type}:${r.json.data.invoice_id === x.json.id ? 'x' : 'y'}:${r.status}`).join(' ')}`);
	assert.ok(firstOk(y.id, 'invoice.issued') < firstOk(x.json.id, 'invoice.issued'), 'the other invoice did not wait for the first');
	assert.ok(firstOk(y.id, 'invoice.paid') > firstOk(y.id, 'invoice.issued'));
	// the log lists the deliveries in the order of their events
	assert.deepEqual(ds.map((d) => [d.type, d.payload.data.invoice_id]), [['invoice.issued', x.json.id], ['invoice.paid', x.json.id], ['invoice.issued', y.id], ['invoice.paid', y.id]]);
});

test('a municipal subscription receives its residents\' settlement events and permission.expiring only; the cooperative\'s receives them all, with ids and figures', async () => {
	const c = await coop();
	const mu1 = await userWithToken(srv, admin, { role: 'municipality', municipality_code: muni1 });
	const pm = pathOf('ok');
	const pc = pathOf('ok');
	const subM = await subscribe(mu1.token, pm, { events: ['settlement.finalized', 'settlement.corrected', 'permission.expiring'] });
	const subC = await subscribe(c.coopAdmin.token, pc, { events: ['settlement.finalized', 'settlement.corrected', 'permission.expiring'] });
	// two members on benefit since 2000, one living in each municipality
	const m1 = await invMember(srv, admin, c.id, muni1, { on_benefit: true, joined_on: '2000-01-01', municipal_reference: 'ZK-0001' });
	const m2 = await invMember(srv, admin, c.id, muni2, { on_benefit: true, joined_on: '2000-01-01', municipal_reference: 'ZK-0002' });
	// their permissions end in 10 days (permission.expiring); m1 worked in March 2001 under one
	const perm = (m, muni, from, until) => invCreate(srv, admin, `/v1/members/${m.id}/permissions`, { municipality_code: muni, decision_reference: `BESL-${hex(3)}`, valid_from: from, valid_until: until, goal: 'reintegration' });
	const p1 = await perm(m1, muni1, addDays(nlDate(), -100), addDays(nlDate(), 10));
	const p2 = await perm(m2, muni2, addDays(nlDate(), -100), addDays(nlDate(), 10));
	await perm(m1, muni1, '2001-01-01', '2001-06-30');
	for (const action of ['', '/finalize']) {
		const r = await srv.api('POST', `/v1/cooperatives/${c.id}/settlements/2001-03${action}`, { token: c.bookkeeper.token });
		assert.equal(r.status, 200, r.text);
	}
	// a late invoice of m1 for March 2001, then the correction: version 2 of m1's month
	await issue(c, { member_id: m1.id, supply_date: '2001-03-15' });
	const corr = await srv.api('POST', `/v1/cooperatives/${c.id}/settlements/2001-03/corrections`, { token: c.bookkeeper.token, body: { reason: 'Late factuur' } });
	assert.equal(corr.status, 200, corr.text);
	// the cooperative: both rows finalized (the first member joined in 2020: no row), m1
	// corrected, two permissions expiring
	const dc = await delivered(subC.id, 5);
	const byType = (ds, t) => ds.filter((d) => d.type === t).map((d) => d.payload.data);
	assert.deepEqual(byType(dc, 'settlement.finalized').map((x) => x.member_id).sort(), [m1.id, m2.id].sort());
	assert.deepEqual(byType(dc, 'settlement.corrected').map((x) => [x.member_id, x.version, x.supersedes_version]), [[m1.id, 2, 1]]);
	assert.deepEqual(byType(dc, 'permission.expiring').map((x) => x.permission_id).sort(), [p1.id, p2.id].sort());
	// the municipality: only m1's rows and permission
	const dm = await delivered(subM.id, 3);
	await sleep(1500); // nothing more comes for it
	const dm2 = await deliveries(subM.id, mu1.token);
	assert.equal(dm2.length, 3, `the municipality got 3 deliveries: ${JSON.stringify(dm2.map((d) => [d.type, d.payload.data.member_id]))}`);
	const fin = byType(dm, 'settlement.finalized');
	assert.deepEqual(fin.map((x) => x.member_id), [m1.id]);
	assert.equal(fin[0].municipality_code, muni1);
	assert.equal(fin[0].settles_with_municipality, true);
	assert.equal(fin[0].period, '2001-03');
	assert.equal(fin[0].version, 1);
	assert.deepEqual(byType(dm, 'settlement.corrected').map((x) => [x.member_id, x.version]), [[m1.id, 2]]);
	const exp = byType(dm, 'permission.expiring');
	assert.deepEqual(exp.map((x) => x.permission_id), [p1.id]);
	assert.equal(exp[0].days_left, 10);
	assert.equal(exp[0].valid_until, addDays(nlDate(), 10));
	// the figures are the row's own
	// (the municipality's feed holds every version)
	const rows = await srv.api('GET', `/v1/municipalities/${muni1}/settlements?period=2001-03&limit=200`, { token: admin });
	const row = rows.json.data.find((r) => r.member_id === m1.id && r.version === 1);
	assert.ok(row, `version 1 of m1's month in the feed: ${rows.text}`);
	for (const k of ['turnover_cents', 'fee_cents', 'base_cents', 'net_income_cents', 'exemption_cents', 'amount_to_settle_cents']) assert.equal(fin[0][k], row[k], k);
	assert.equal(fin[0].settlement_row_id, row.id);
	// signed, and no case number or name
	for (const rec of receiver.to(pm)) {
		assertSigned(rec, subM.secret);
		for (const personal of ['ZK-0001', 'ZK-0002', m1.last_name, m2.last_name]) assert.ok(!rec.raw.includes(personal), `no ${personal} in ${rec.raw}`);
	}
	// permission.expiring comes once per permission and end date, though the check runs every second
	await sleep(2500);
	assert.equal((await deliveries(subC.id)).filter((d) => d.type === 'permission.expiring').length, 2);
	// an extended permission is announced again when its new end comes near
	const ext = await srv.api('GET', `/v1/permissions/${p1.id}`, { token: admin });
	assert.equal(ext.status, 200);
	await env.sql(`update permissions set valid_until = valid_until + 5 where id = ${lit(p1.id)}`);
	const again = await waitFor(async () => {
		const ds = byType(await deliveries(subM.id), 'permission.expiring');
		return ds.length === 2 ? ds : null;
	}, { timeoutMs: 10000, msg: 'the extended permission announced again' });
	assert.equal(again[1].valid_until, addDays(nlDate(), 15));
	assert.equal(again[1].days_left, 15);
});

test('a subscription whose deliveries fail for COOPD_WEBHOOK_DISABLE_AFTER_S is disabled and says why; it gets no new events then; enabled again, what waited goes out in order', async () => {
	const c = await coop();
	const p = pathOf('fail');
	let up = false;
	receiver.behaviour.set(p, () => (up ? 204 : 503));
	const s = await subscribe(c.coopAdmin.token, p, { events: ['invoice.issued'] });
	const inv = await issue(c);
	const off = await waitFor(async () => {
		const r = await srv.api('GET', `/v1/webhooks/${s.id}`, { token: c.coopAdmin.token });
		return r.json.enabled === false ? r : null;
	}, { timeoutMs: 20000, intervalMs: 250, msg: 'the subscription disabled' });
	assert.equal(off.json.disabled_reason, 'deliveries_failing');
	assert.match(off.json.disabled_detail, /since .*HTTP 503/);
	assert.match(off.json.disabled_at, RFC3339_UTC);
	assert.match(off.json.failing_since, RFC3339_UTC);
	// (the timestamps have whole seconds)
	assert.ok(Date.parse(off.json.disabled_at) - Date.parse(off.json.failing_since) >= 4000 - 1000, 'disabled after the configured time');
	assert.match(srv.stderr, new RegExp(`webhook subscription ${s.id} disabled`));
	const [d] = await deliveries(s.id);
	assert.equal(d.status, 'pending');
	const attempts = receiver.to(p).length;
	assert.ok(attempts >= 3, `${attempts} attempts`);
	// disabled: no new events, no more attempts
	await issue(c);
	await sleep(1500);
	assert.equal((await deliveries(s.id)).length, 1, 'no delivery for an event after the disabling');
	assert.equal(receiver.to(p).length, attempts, 'no attempt while disabled');
	// the receiver is fixed; enabling sends what waited, at once
	up = true;
	const on = await srv.api('PATCH', `/v1/webhooks/${s.id}`, { token: c.coopAdmin.token, body: { enabled: true } });
	assert.equal(on.status, 200, on.text);
	assert.equal(on.json.enabled, true);
	assert.equal(on.json.disabled_reason, null);
	assert.equal(on.json.failing_since, null);
	const [done] = await delivered(s.id, 1, { timeoutMs: 5000 });
	assert.equal(done.payload.data.invoice_id, inv.id);
	// disabling by request says so
	const byHand = await srv.api('PATCH', `/v1/webhooks/${s.id}`, { token: c.coopAdmin.token, body: { enabled: false } });
	assert.equal(byHand.json.disabled_reason, 'disabled_by_request');
	assert.equal(byHand.json.disabled_detail, null);
});

test('private addresses are refused without COOPD_WEBHOOK_ALLOW_PRIVATE: at creation (422 url_not_allowed), and at delivery for a name that resolves to one', async () => {
	const dbUrl = await createDatabase(env.cluster);
	const strict = await startCoopd({ dbUrl, env: { ...WEBHOOK_ENV, COOPD_WEBHOOK_ALLOW_PRIVATE: null } });
	try {
		const tk = await strict.adminToken();
		const m = await invMunicipality(strict, tk);
		const c = await invSmallCoop(strict, tk, m);
		const refuse = async (url, code = 'url_not_allowed') => {
			const r = await strict.api('POST', '/v1/webhooks', { token: tk, body: { url, events: ['invoice.issued'], cooperative_id: c.id } });
			assertProblem(r, 422, 'validation_failed', { field: 'url', fieldCode: code });
		};
		for (const host of ['127.0.0.1', '127.1.2.3', '10.0.0.5', '172.16.4.4', '192.168.1.10', '169.254.169.254', '100.64.1.1', '0.0.0.0', '224.0.0.1', '[::1]', '[fe80::1]', '[fd00::7]', '[::ffff:127.0.0.1]', 'localhost', 'api.localhost'])
			await refuse(`http://${host}:${receiver.port}/hook`);
		// a name is resolved: one that resolves to loopback, and one that does not resolve
		await refuse(`http://127.1:${receiver.port}/hook`);
		await refuse('https://no-such-host.invalid/hook', 'url_unresolvable');
		// a public address is fine
		const ok = await strict.api('POST', '/v1/webhooks', { token: tk, body: { url: 'https://192.0.2.10/hook', events: ['payout.created'], cooperative_id: c.id } });
		assert.equal(ok.status, 201, ok.text);
		// a subscription whose name resolves to loopback by the time it is delivered (written
		// here in SQL, as if its DNS answer had changed): the worker refuses to connect
		const secret = `whsec_${crypto.randomBytes(32).toString('base64')}`;
		const [row] = await psql(dbUrl, `insert into webhook_subscriptions (cooperative_id, url, events, secret) values (${lit(c.id)}, ${lit(`http://localhost:${receiver.port}/strict`)}, '{invoice.issued}', ${lit(secret)}) returning id`);
		const before = receiver.to('/strict').length;
		await invIssued(strict, tk, c.id, { member_id: c.member.id, customer_id: c.customer.id });
		const [d] = await waitFor(async () => {
			const ds = await listAll(strict, tk, `/v1/webhooks/${row.id}/deliveries`, 10);
			return ds[0]?.attempt_log.length ? ds : null;
		}, { timeoutMs: 10000, msg: 'an attempt' });
		assert.equal(d.status, 'pending');
		assert.equal(d.attempt_log[0].error, 'address_not_allowed');
		assert.equal(d.attempt_log[0].status_code, null);
		assert.equal(receiver.to('/strict').length, before, 'the receiver was never reached');
	} finally {
		await strict.stop();
	}
});

test('a bad COOPD_WEBHOOK_* value stops start-up with exit code 2 and a message naming the variable', async () => {
	const bad = [
		['COOPD_WEBHOOK_ALLOW_PRIVATE', 'yes', /COOPD_WEBHOOK_ALLOW_PRIVATE must be an integer from 0 to 1/],
		['COOPD_WEBHOOK_WORKERS', '17', /COOPD_WEBHOOK_WORKERS must be an integer from 0 to 16/],
		['COOPD_WEBHOOK_TIMEOUT_MS', '10s', /COOPD_WEBHOOK_TIMEOUT_MS/],
		['COOPD_WEBHOOK_CONNECT_TIMEOUT_MS', '20000', /COOPD_WEBHOOK_CONNECT_TIMEOUT_MS must not exceed COOPD_WEBHOOK_TIMEOUT_MS/],
		['COOPD_WEBHOOK_RETRY_MAX_MS', '1000', /COOPD_WEBHOOK_RETRY_MAX_MS must be at least COOPD_WEBHOOK_RETRY_FIRST_MS/],
		['COOPD_WEBHOOK_DISABLE_AFTER_S', '0', /COOPD_WEBHOOK_DISABLE_AFTER_S/],
		['COOPD_WEBHOOK_EXPIRING_DAYS', '366', /COOPD_WEBHOOK_EXPIRING_DAYS/],
		['COOPD_WEBHOOK_CHECK_INTERVAL_S', '-1', /COOPD_WEBHOOK_CHECK_INTERVAL_S/],
		['COOPD_WEBHOOK_RETENTION_DAYS', 'x', /COOPD_WEBHOOK_RETENTION_DAYS/],
		['COOPD_WEBHOOK_POLL_MS', '50', /COOPD_WEBHOOK_POLL_MS/],
	];
	for (const [name, value, message] of bad) {
		const r = await runCoopd([], coopdEnv(env.dbUrl, 1, { [name]: value }), { timeout: 20000 });
		assert.equal(r.code, 2, `exit code 2 for ${name}=${value} (got ${r.code}): ${r.stderr}`);
		assert.match(r.stderr, message);
	}
});

test('nothing is lost when coopd is killed (SIGKILL) mid-delivery: after a restart the delivery comes again with the same webhook-id, and an event written while coopd was down follows it', async () => {
	const c = await coop();
	const p = pathOf('hold');
	receiver.behaviour.set(p, (rec, earlier) => (earlier === 0 && rec.json?.type === 'invoice.issued' ? { hold: true } : 204));
	const s = await subscribe(c.coopAdmin.token, p, { events: ['invoice.issued', 'invoice.paid'] });
	const inv = await issue(c);
	await waitFor(() => receiver.to(p).length === 1, { msg: 'the first attempt, held by the receiver' });
	const held = receiver.to(p)[0];
	await srv.kill();
	for (const res of receiver.held.splice(0)) res.destroy();
	// while coopd is down, a payment booked in SQL makes the invoice paid: its trigger writes the event
	await env.sql(`select payment_record(${lit(inv.id)}, ${inv.totals.gross_cents}, current_date, 'bank', 'bank', NULL)`);
	const old = srv;
	srv = await startCoopd({ dbUrl: env.dbUrl, env: { ...WEBHOOK_ENV, COOPD_JWT_SECRET: old.env.COOPD_JWT_SECRET, COOPD_BOOTSTRAP_ADMIN_PASSWORD: old.env.COOPD_BOOTSTRAP_ADMIN_PASSWORD } });
	const ds = await delivered(s.id, 2, { timeoutMs: 30000 });
	assert.deepEqual(ds.map((d) => d.type), ['invoice.issued', 'invoice.paid']);
	const again = receiver.to(p).filter((r) => r.headers['webhook-id'] === held.headers['webhook-id']);
	assert.equal(again.length, 2, 'the held delivery came again');
	assert.equal(again[1].raw, held.raw, 'with the same body');
	assert.ok(again[1].at - held.at >= TIMEOUT_MS, 'after the lease of the killed attempt ran out');
	for (const r of receiver.to(p)) assertSigned(r, s.secret);
	const paidRec = receiver.accepted(p).find((r) => r.json.type === 'invoice.paid');
	assert.ok(paidRec.at > again[1].at, 'invoice.paid after invoice.issued');
	assert.equal(ds[0].attempts, 2, 'two attempts begun');
	assert.equal(ds[0].attempt_log.length, 1, 'the killed one has no log entry');
	await srv.stop();
});
