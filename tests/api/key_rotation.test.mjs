// Rotating the JWT signing key without logging anybody out (deploy/README.md, "Rotating the JWT
// key"): coopd verifies with one optional second key that never signs (COOPD_JWT_SECOND_SECRET
// for HS256, COOPD_JWT_SECOND_PUBLIC_KEY_FILE for ES256/RS256), and issued tokens name their key
// in the header `kid` (the first 16 hex digits of SHA-256 over the secret, or over the public
// key's DER SubjectPublicKeyInfo). The rollout has three phases; during each, instances of the
// phase before and of the phase after run side by side on one database, and a token of either
// must be accepted by both:
//   0 → 1: every instance also verifies the new key (signing with the old);
//   1 → 2: every instance signs with the new key (keeping the old as second);
//   2 → 3: the old key is removed (after the longest token lifetime).
// Real coopd processes on a real PostgreSQL; HS256 and ES256.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
	sharedCluster, createDatabase, startCoopd, runCoopd, coopdEnv, freePort, decodeJwt, signJwt, claimsFor,
	assertProblem, onCleanup, hex,
} from './harness.mjs';

const ADMIN_PASSWORD = `admin-${hex(8)}`; // the same on every instance of one database
const kidOf = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);

let cluster;
let dir;
const started = [];

before(async () => {
	cluster = await sharedCluster();
	dir = fs.mkdtempSync('/tmp/coopd-test-rotation-');
	onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
});
after(async () => {
	for (const s of started) await s.kill();
});

/** A coopd on dbUrl with the given JWT variables (null = unset); small, several run at once. */
async function instance(dbUrl, jwt) {
	const srv = await startCoopd({
		dbUrl,
		env: { COOPD_THREADS: '32', COOPD_DB_POOL: '2', COOPD_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD, COOPD_JWT_SECRET: null, ...jwt },
	});
	started.push(srv);
	return srv;
}

async function tokenOf(srv) {
	return srv.login('admin', ADMIN_PASSWORD);
}

/** GET /v1/me on srv with token: the status. */
async function meStatus(srv, token) {
	const r = await srv.api('GET', '/v1/me', { token });
	if (r.status !== 200) assertProblem(r, 401, 'unauthorized');
	return r.status;
}

/** Both directions: a token issued by a is accepted by b and the other way round. */
async function assertMutual(a, b, what) {
	const ta = await tokenOf(a);
	const tb = await tokenOf(b);
	assert.equal(await meStatus(b, ta), 200, `${what}: a token of the first instance on the second`);
	assert.equal(await meStatus(a, tb), 200, `${what}: a token of the second instance on the first`);
	assert.equal(await meStatus(a, ta), 200);
	assert.equal(await meStatus(b, tb), 200);
}

/** The start-up line naming the key ids, and no secret anywhere in the log. */
function assertLogs(srv, { signing, second }, secrets) {
	const line = srv.logLines().find((l) => /^jwt (HS256|ES256|RS256): signing key id/.test(l.msg ?? ''));
	assert.ok(line, `a start-up line names the key ids:\n${srv.tail()}`);
	assert.ok(line.msg.includes(`signing key id ${signing}`), line.msg);
	if (second) assert.ok(line.msg.endsWith(`second verification key id ${second}`), line.msg);
	else assert.ok(!line.msg.includes('second'), line.msg);
	for (const s of secrets) assert.ok(!srv.stderr.includes(s), 'the log holds no secret');
}

// ---------------------------------------------------------------------------------------------
// HS256
test('HS256: the three phases, each with instances of the phase before and after on one database; a removed key is 401', async () => {
	const db = await createDatabase(cluster);
	const OLD = crypto.randomBytes(32).toString('hex');
	const NEW = crypto.randomBytes(32).toString('hex');
	const p0 = await instance(db, { COOPD_JWT_SECRET: OLD });
	const p1 = await instance(db, { COOPD_JWT_SECRET: OLD, COOPD_JWT_SECOND_SECRET: NEW });
	const p2 = await instance(db, { COOPD_JWT_SECRET: NEW, COOPD_JWT_SECOND_SECRET: OLD });
	const p3 = await instance(db, { COOPD_JWT_SECRET: NEW });

	// The kid of issued tokens is the signing key's: the old one until phase 2.
	const kids = {};
	for (const [name, srv] of Object.entries({ p0, p1, p2, p3 })) {
		const { header } = decodeJwt(await tokenOf(srv));
		assert.equal(header.alg, 'HS256');
		kids[name] = header.kid;
	}
	assert.equal(kids.p0, kidOf(OLD));
	assert.equal(kids.p1, kidOf(OLD));
	assert.equal(kids.p2, kidOf(NEW));
	assert.equal(kids.p3, kidOf(NEW));
	assert.match(kids.p0, /^[0-9a-f]{16}$/);

	await assertMutual(p0, p1, 'phase 0 → 1');
	await assertMutual(p1, p2, 'phase 1 → 2');
	await assertMutual(p2, p3, 'phase 2 → 3');

	// After phase 3 the old key is gone: the tokens it signed (phases 0 and 1) are refused, and
	// an instance of phase 0 refuses the new key's tokens.
	assert.equal(await meStatus(p3, await tokenOf(p0)), 401);
	assert.equal(await meStatus(p3, await tokenOf(p1)), 401);
	assert.equal(await meStatus(p0, await tokenOf(p2)), 401);
	assert.equal(await meStatus(p0, await tokenOf(p3)), 401);

	assertLogs(p0, { signing: kidOf(OLD) }, [OLD, NEW]);
	assertLogs(p1, { signing: kidOf(OLD), second: kidOf(NEW) }, [OLD, NEW]);
	assertLogs(p2, { signing: kidOf(NEW), second: kidOf(OLD) }, [OLD, NEW]);
	assertLogs(p3, { signing: kidOf(NEW) }, [OLD, NEW]);
	for (const s of [p0, p1, p2, p3]) await s.stop();
});

test('HS256: a token without kid (as issued before key ids) is accepted when signed by the main or the second key; another key, an unknown kid, or a kid naming the other key is 401', async () => {
	const db = await createDatabase(cluster);
	const MAIN = crypto.randomBytes(32).toString('hex');
	const SECOND = crypto.randomBytes(32).toString('hex');
	const OTHER = crypto.randomBytes(32).toString('hex');
	const srv = await instance(db, { COOPD_JWT_SECRET: MAIN, COOPD_JWT_SECOND_SECRET: SECOND });
	const admin = (await srv.api('GET', '/v1/me', { token: await tokenOf(srv) })).json;
	const claims = () => claimsFor(admin);

	assert.equal(await meStatus(srv, signJwt(claims(), MAIN)), 200, 'no kid, the main key');
	assert.equal(await meStatus(srv, signJwt(claims(), SECOND)), 200, 'no kid, the second key');
	assert.equal(await meStatus(srv, signJwt(claims(), OTHER)), 401, 'no kid, a key coopd does not have');
	assert.equal(await meStatus(srv, signJwt(claims(), SECOND, { header: { kid: kidOf(SECOND) } })), 200);
	assert.equal(await meStatus(srv, signJwt(claims(), MAIN, { header: { kid: kidOf(MAIN) } })), 200);
	// The kid chooses the key: a signature by the other one is not tried.
	assert.equal(await meStatus(srv, signJwt(claims(), MAIN, { header: { kid: kidOf(SECOND) } })), 401);
	assert.equal(await meStatus(srv, signJwt(claims(), SECOND, { header: { kid: kidOf(MAIN) } })), 401);
	assert.equal(await meStatus(srv, signJwt(claims(), MAIN, { header: { kid: kidOf(OTHER) } })), 401);
	assert.equal(await meStatus(srv, signJwt(claims(), MAIN, { header: { kid: 42 } })), 401);
	// The claim checks still apply to the second key's tokens.
	assert.equal(await meStatus(srv, signJwt(claimsFor(admin, { iss: 'someone-else' }), SECOND)), 401);
	assert.equal(await meStatus(srv, signJwt(claimsFor(admin, { now: Math.floor(Date.now() / 1000) - 7200 }), SECOND)), 401);
	assert.equal(await meStatus(srv, signJwt(claims(), SECOND, { alg: 'HS512' })), 401);
	await srv.stop();
	assert.ok(!srv.stderr.includes(SECOND), 'the log holds no second secret');
});

// ---------------------------------------------------------------------------------------------
// ES256
function keyPair(name) {
	const kp = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const priv = path.join(dir, `${name}.key.pem`);
	const pub = path.join(dir, `${name}.pub.pem`);
	fs.writeFileSync(priv, kp.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
	fs.writeFileSync(pub, kp.publicKey.export({ type: 'spki', format: 'pem' }));
	return { ...kp, priv, pub, kid: kidOf(kp.publicKey.export({ type: 'spki', format: 'der' })) };
}

test('ES256: the three phases with a second public key file, on one database; the kid is the public key DER hash; a removed key is 401', async () => {
	const db = await createDatabase(cluster);
	const a = keyPair('es-old');
	const b = keyPair('es-new');
	const es = (priv, second) => ({ COOPD_JWT_ALG: 'ES256', COOPD_JWT_PRIVATE_KEY_FILE: priv, COOPD_JWT_SECOND_PUBLIC_KEY_FILE: second ?? null });
	const p0 = await instance(db, es(a.priv));
	const p1 = await instance(db, es(a.priv, b.pub));
	const p2 = await instance(db, es(b.priv, a.pub));
	const p3 = await instance(db, es(b.priv));

	const t1 = await tokenOf(p1);
	const t2 = await tokenOf(p2);
	assert.equal(decodeJwt(t1).header.kid, a.kid);
	assert.equal(decodeJwt(t2).header.kid, b.kid);
	assert.equal(decodeJwt(t2).header.alg, 'ES256');
	await assertMutual(p0, p1, 'phase 0 → 1');
	await assertMutual(p1, p2, 'phase 1 → 2');
	await assertMutual(p2, p3, 'phase 2 → 3');
	assert.equal(await meStatus(p3, t1), 401, 'the removed key');
	assert.equal(await meStatus(p0, t2), 401, 'the key not yet known');

	// Without kid: tried with both keys.
	const admin = (await p2.api('GET', '/v1/me', { token: t2 })).json;
	assert.equal(await meStatus(p2, signJwt(claimsFor(admin), a.privateKey, { alg: 'ES256' })), 200);
	assert.equal(await meStatus(p2, signJwt(claimsFor(admin), b.privateKey, { alg: 'ES256' })), 200);
	assert.equal(await meStatus(p3, signJwt(claimsFor(admin), a.privateKey, { alg: 'ES256' })), 401);
	// HS256 keyed with the second public key's PEM: the algorithm stays pinned.
	assert.equal(await meStatus(p2, signJwt(claimsFor(admin), fs.readFileSync(a.pub, 'utf8'), { alg: 'HS256' })), 401);

	assertLogs(p1, { signing: a.kid, second: b.kid }, []);
	assertLogs(p2, { signing: b.kid, second: a.kid }, []);
	for (const s of [p0, p1, p2, p3]) await s.stop();
});

// ---------------------------------------------------------------------------------------------
// Configuration errors: exit 2 before anything is served, naming the variable, never the secret.
test('a wrong second key is a configuration error: exit 2 with a message naming the variable and never the secret', async () => {
	const db = await createDatabase(cluster);
	const ec = keyPair('es-cfg');
	const ec2 = keyPair('es-cfg2');
	const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
	const rsaPub = path.join(dir, 'rsa.pub.pem');
	fs.writeFileSync(rsaPub, rsa.publicKey.export({ type: 'spki', format: 'pem' }));
	const S = crypto.randomBytes(32).toString('hex');
	const S2 = crypto.randomBytes(32).toString('hex');
	const short = 'x'.repeat(31);
	const es = { COOPD_JWT_ALG: 'ES256', COOPD_JWT_SECRET: null, COOPD_JWT_PRIVATE_KEY_FILE: ec.priv };
	const cases = [
		['a second secret without the main one', { COOPD_JWT_SECRET: null, COOPD_JWT_SECOND_SECRET: S2 }, /COOPD_JWT_SECOND_SECRET .*needs the signing key/],
		['a second public key file without the private key', { ...es, COOPD_JWT_PRIVATE_KEY_FILE: null, COOPD_JWT_SECOND_PUBLIC_KEY_FILE: ec2.pub }, /COOPD_JWT_SECOND_PUBLIC_KEY_FILE .*needs the signing key/],
		['a second secret shorter than 32 bytes', { COOPD_JWT_SECRET: S, COOPD_JWT_SECOND_SECRET: short }, /COOPD_JWT_SECOND_SECRET: second jwt secret must be 32 to 4096 bytes/],
		['a second secret equal to the main one', { COOPD_JWT_SECRET: S, COOPD_JWT_SECOND_SECRET: S }, /COOPD_JWT_SECOND_SECRET: .*same as the main/],
		['HS256 with a second public key file', { COOPD_JWT_SECRET: S, COOPD_JWT_SECOND_PUBLIC_KEY_FILE: ec2.pub }, /COOPD_JWT_SECOND_PUBLIC_KEY_FILE: .*not used with HS256/],
		['both kinds of second key', { COOPD_JWT_SECRET: S, COOPD_JWT_SECOND_SECRET: S2, COOPD_JWT_SECOND_PUBLIC_KEY_FILE: ec2.pub }, /COOPD_JWT_SECOND_SECRET \/ COOPD_JWT_SECOND_PUBLIC_KEY_FILE: .*not both/],
		['ES256 with a second secret', { ...es, COOPD_JWT_SECOND_SECRET: S2 }, /COOPD_JWT_SECOND_SECRET: .*not used with ES256/],
		['ES256 with an RSA second public key', { ...es, COOPD_JWT_SECOND_PUBLIC_KEY_FILE: rsaPub }, /COOPD_JWT_SECOND_PUBLIC_KEY_FILE: second jwt public key is not an EC P-256 key/],
		['RS256 with an EC second public key', { COOPD_JWT_ALG: 'RS256', COOPD_JWT_SECRET: null, COOPD_JWT_PRIVATE_KEY_FILE: writeRsaPriv(rsa), COOPD_JWT_SECOND_PUBLIC_KEY_FILE: ec2.pub }, /COOPD_JWT_SECOND_PUBLIC_KEY_FILE: second jwt public key is not an RSA key/],
		['ES256 with its own public key as second', { ...es, COOPD_JWT_SECOND_PUBLIC_KEY_FILE: ec.pub }, /COOPD_JWT_SECOND_PUBLIC_KEY_FILE: second jwt public key is the main key/],
		['a second public key file that holds a private key', { ...es, COOPD_JWT_SECOND_PUBLIC_KEY_FILE: ec2.priv }, /COOPD_JWT_SECOND_PUBLIC_KEY_FILE: .*holds no PEM public key/],
		['a second public key file that does not exist', { ...es, COOPD_JWT_SECOND_PUBLIC_KEY_FILE: path.join(dir, 'missing.pem') }, /COOPD_JWT_SECOND_PUBLIC_KEY_FILE: could not open/],
	];
	for (const [what, env, message] of cases) {
		const r = await runCoopd([], coopdEnv(db, await freePort(), env), { timeout: 20000 });
		assert.equal(r.code, 2, `${what}: exit code (stderr: ${r.stderr})`);
		assert.match(r.stderr, message, what);
		for (const secret of [S, S2, short]) assert.ok(!r.stderr.includes(secret), `${what}: the message quotes no secret`);
		assert.ok(!r.stderr.includes(fs.readFileSync(ec2.priv, 'utf8').split('\n')[1]), `${what}: no key material`);
	}
});

function writeRsaPriv(kp) {
	const p = path.join(dir, 'rsa.key.pem');
	fs.writeFileSync(p, kp.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
	return p;
}
