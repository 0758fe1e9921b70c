// Asymmetric signing keys: coopd with COOPD_JWT_ALG=RS256 and ES256 and PEM key files. Tokens it
// issues verify with the public key; HS/RS confusion (an HS256 token keyed with the public key
// PEM) and tokens of another algorithm are rejected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
	sharedCluster, createDatabase, startCoopd, decodeJwt, signJwt, claimsFor, assertProblem, onCleanup,
} from './harness.mjs';

let dir;
let rsa;
let ec;
let rs; // coopd RS256
let es; // coopd ES256
let hs; // coopd HS256 with its own issuer, audience and token lifetime

function writeKeys(name, kp) {
	const priv = path.join(dir, `${name}.key.pem`);
	const pub = path.join(dir, `${name}.pub.pem`);
	fs.writeFileSync(priv, kp.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
	fs.writeFileSync(pub, kp.publicKey.export({ type: 'spki', format: 'pem' }));
	return { priv, pub, pubPem: kp.publicKey.export({ type: 'spki', format: 'pem' }) };
}

before(async () => {
	dir = fs.mkdtempSync('/tmp/coopd-test-keys-');
	onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
	rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
	ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
	rsa.files = writeKeys('rsa', rsa);
	ec.files = writeKeys('ec', ec);
	const cluster = await sharedCluster();
	const db = await createDatabase(cluster);
	rs = await startCoopd({
		dbUrl: db,
		env: { COOPD_JWT_ALG: 'RS256', COOPD_JWT_SECRET: null, COOPD_JWT_PRIVATE_KEY_FILE: rsa.files.priv, COOPD_JWT_PUBLIC_KEY_FILE: rsa.files.pub },
	});
	const db2 = await createDatabase(cluster);
	es = await startCoopd({
		dbUrl: db2,
		env: { COOPD_JWT_ALG: 'ES256', COOPD_JWT_SECRET: null, COOPD_JWT_PRIVATE_KEY_FILE: ec.files.priv, COOPD_JWT_PUBLIC_KEY_FILE: ec.files.pub },
	});
	hs = await startCoopd({
		dbUrl: await createDatabase(cluster),
		env: { COOPD_JWT_ISSUER: 'coopd-test-issuer', COOPD_JWT_AUDIENCE: 'coopd-test-audience', COOPD_TOKEN_TTL: '120' },
	});
});
after(async () => {
	await rs?.kill();
	await es?.kill();
	await hs?.kill();
});

async function me(srv, token) {
	return srv.api('GET', '/v1/me', { token });
}
function assert401(r) {
	assertProblem(r, 401, 'unauthorized');
}

test('an RS256 coopd issues RS256 tokens that verify with its public key', async () => {
	const tok = await rs.adminToken();
	const { header, signingInput, signature } = decodeJwt(tok);
	assert.equal(header.alg, 'RS256');
	assert.ok(crypto.verify('sha256', Buffer.from(signingInput), rsa.publicKey, Buffer.from(signature, 'base64url')), 'RSA signature verifies');
	assert.equal((await me(rs, tok)).status, 200);
});

test('an RS256 token minted with the private key is accepted by the RS256 coopd', async () => {
	const admin = (await me(rs, await rs.adminToken())).json;
	const tok = signJwt(claimsFor(admin), rsa.privateKey, { alg: 'RS256' });
	const r = await me(rs, tok);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.id, admin.id);
});

test('HS/RS confusion: an HS256 token keyed with the public key PEM is rejected by the RS256 coopd (401)', async () => {
	const admin = (await me(rs, await rs.adminToken())).json;
	const claims = claimsFor(admin);
	assert401(await me(rs, signJwt(claims, rsa.files.pubPem, { alg: 'HS256' })));
	assert401(await me(rs, signJwt(claims, rsa.files.pubPem.trim(), { alg: 'HS256' })));
	const der = rsa.publicKey.export({ type: 'spki', format: 'der' });
	assert401(await me(rs, signJwt(claims, der, { alg: 'HS256' })));
	assert401(await me(rs, signJwt(claims, rsa.files.pubPem, { alg: 'HS512' })));
});

test('the RS256 coopd rejects alg none, tokens of another key pair and ES256 tokens (401)', async () => {
	const admin = (await me(rs, await rs.adminToken())).json;
	const claims = claimsFor(admin);
	assert401(await me(rs, signJwt(claims, null, { alg: 'none' })));
	const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
	assert401(await me(rs, signJwt(claims, other.privateKey, { alg: 'RS256' })));
	assert401(await me(rs, signJwt(claims, ec.privateKey, { alg: 'ES256' })));
});

test('an RS256 token with a tampered payload is rejected (401)', async () => {
	const tok = await rs.adminToken();
	const { header, payload, signature } = decodeJwt(tok);
	const b = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
	assert401(await me(rs, `${b(header)}.${b({ ...payload, sub: crypto.randomUUID() })}.${signature}`));
});

test('an ES256 coopd issues ES256 tokens that verify with its public key', async () => {
	const tok = await es.adminToken();
	const { header, signingInput, signature } = decodeJwt(tok);
	assert.equal(header.alg, 'ES256');
	const sig = Buffer.from(signature, 'base64url');
	assert.equal(sig.length, 64, 'JWS ES256 signatures are raw r||s (64 bytes)');
	assert.ok(crypto.verify('sha256', Buffer.from(signingInput), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, sig));
	assert.equal((await me(es, tok)).status, 200);
});

test('the ES256 coopd accepts ES256 tokens minted with its key and rejects HS256 keyed with its public key PEM and RS256 (401)', async () => {
	const admin = (await me(es, await es.adminToken())).json;
	const claims = claimsFor(admin);
	assert.equal((await me(es, signJwt(claims, ec.privateKey, { alg: 'ES256' }))).status, 200);
	assert401(await me(es, signJwt(claims, ec.files.pubPem, { alg: 'HS256' })));
	assert401(await me(es, signJwt(claims, rsa.privateKey, { alg: 'RS256' })));
	assert401(await me(es, signJwt(claims, null, { alg: 'none' })));
});

test('COOPD_JWT_ISSUER, COOPD_JWT_AUDIENCE and COOPD_TOKEN_TTL shape the tokens and their verification', async () => {
	const r = await hs.token({ grant_type: 'password', username: 'admin', password: hs.adminPassword });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.expires_in, 120);
	const { payload } = decodeJwt(r.json.access_token);
	assert.equal(payload.iss, 'coopd-test-issuer');
	assert.equal(payload.aud, 'coopd-test-audience');
	assert.equal(payload.exp - payload.iat, 120);
	const admin = (await me(hs, r.json.access_token)).json;
	assert.equal((await me(hs, signJwt(claimsFor(admin, { iss: 'coopd-test-issuer', aud: 'coopd-test-audience' }), hs.secret))).status, 200);
	assert401(await me(hs, signJwt(claimsFor(admin), hs.secret))); // the default iss/aud no longer fit
	assert401(await me(hs, signJwt(claimsFor(admin, { iss: 'coopd-test-issuer' }), hs.secret)));
	assert401(await me(hs, signJwt(claimsFor(admin, { aud: 'coopd-test-audience' }), hs.secret)));
});

test('the HS256 coopd with its own issuer exits 0 on SIGTERM without a sanitizer report', async () => {
	await hs.stop();
});

test('the RS256 coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await rs.stop();
});

test('the ES256 coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await es.stop();
});
