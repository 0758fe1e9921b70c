// Runs Caddy with docker/Caddyfile (COOPD_TLS=internal, the local CA; free high ports instead of
// 80 and 443; coopd:8080 replaced by an echo server here) and checks what the proxy does: the
// certificate is issued by the local CA, X-Forwarded-For reaching coopd is the client's address
// alone (a forged one is dropped), HSTS is set and Server is not, a slowly sent body reaches
// coopd only when complete, and plain HTTP redirects to HTTPS.
// One "ok   ..." or "FAIL ..." line per check; exit 1 on a failure. Caddy's state goes to
// XDG_DATA_HOME / XDG_CONFIG_HOME (tests/compose/run.sh points them at a temporary directory).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'coopd-caddy-'));
const dataHome = process.env.XDG_DATA_HOME ?? join(work, 'data');
const domain = 'coopd.test';
let failed = 0;
const ok = (name) => console.log(`ok   ${name}`);
const fail = (name, why) => {
	failed++;
	console.log(`FAIL ${name}`);
	if (why) console.log(`    ${why}`);
};

const freePort = () =>
	new Promise((res) => {
		const s = net.createServer().listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => res(port));
		});
	});

// The upstream: answers with the headers and the body length it received.
const seen = [];
const upstream = http.createServer((req, res) => {
	let n = 0;
	req.on('data', (c) => (n += c.length));
	req.on('end', () => {
		seen.push({ url: req.url, headers: req.headers, bytes: n });
		res.setHeader('content-type', 'application/json');
		res.end(JSON.stringify({ headers: req.headers, bytes: n }));
	});
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upPort = upstream.address().port;
const httpPort = await freePort();
const httpsPort = await freePort();

const original = readFileSync(join(root, 'docker/Caddyfile'), 'utf8');
const caddyfile = original
	.replace('\tadmin off\n', `\tadmin off\n\thttp_port ${httpPort}\n\thttps_port ${httpsPort}\n`)
	.replace('reverse_proxy coopd:8080 {', `reverse_proxy 127.0.0.1:${upPort} {`);
if (caddyfile === original || !caddyfile.includes(`127.0.0.1:${upPort}`) || !caddyfile.includes(`https_port ${httpsPort}`)) {
	fail('docker/Caddyfile has the shape this test rewrites (admin off; reverse_proxy coopd:8080 {)');
	process.exit(1);
}
writeFileSync(join(work, 'Caddyfile'), caddyfile);

const caddy = spawn('caddy', ['run', '--adapter', 'caddyfile', '--config', join(work, 'Caddyfile')], {
	env: { ...process.env, COOPD_DOMAIN: domain, COOPD_TLS: 'internal', XDG_DATA_HOME: dataHome },
	stdio: ['ignore', 'ignore', 'pipe'],
});
let caddyLog = '';
caddy.stderr.on('data', (c) => (caddyLog += c));
const finish = () => {
	caddy.kill('SIGTERM');
	upstream.close();
	rmSync(work, { recursive: true, force: true });
};

const rootCert = join(dataHome, 'caddy/pki/authorities/local/root.crt');
function request(method, path, { headers = {}, body, plain = false } = {}) {
	return new Promise((res, rej) => {
		const opts = plain
			? { host: '127.0.0.1', port: httpPort, method, path, headers: { host: domain, ...headers } }
			: {
					host: '127.0.0.1',
					port: httpsPort,
					method,
					path,
					servername: domain,
					ca: existsSync(rootCert) ? readFileSync(rootCert) : undefined,
					headers: { host: domain, ...headers },
				};
		const req = (plain ? http : https).request(opts, (r) => {
			let data = '';
			r.on('data', (c) => (data += c));
			r.on('end', () => res({ status: r.statusCode, headers: r.headers, body: data }));
		});
		req.on('error', rej);
		req.setTimeout(10000, () => req.destroy(new Error('timeout')));
		if (body) req.write(body);
		req.end();
	});
}

try {
	let first;
	let lastError;
	for (let i = 0; i < 150 && !first; i++) {
		try {
			first = await request('GET', '/v1/health', { headers: { 'x-forwarded-for': '203.0.113.9' } });
		} catch (e) {
			lastError = e;
			await new Promise((r) => setTimeout(r, 100));
		}
	}
	if (!first) {
		fail('Caddy serves docker/Caddyfile over TLS from its local CA', `${lastError}\n${caddyLog.split('\n').slice(-5).join('\n')}`);
		process.exit(1);
	}
	ok('Caddy serves docker/Caddyfile over TLS, the certificate verified against its local CA root');

	const xff = JSON.parse(first.body).headers['x-forwarded-for'];
	if (first.status === 200 && xff === '127.0.0.1') ok("X-Forwarded-For reaching coopd is the client's address alone (a forged one dropped)");
	else fail('X-Forwarded-For', `status ${first.status}, upstream saw x-forwarded-for: ${xff}`);

	if (first.headers['strict-transport-security'] && !first.headers.server) ok('HSTS set, no Server header');
	else fail('response headers', JSON.stringify(first.headers));

	// A body sent in two halves a second apart reaches coopd only when it is complete.
	const half = 300 * 1024;
	const before = seen.length;
	let startedEarly = false;
	const onStart = () => (startedEarly = true);
	upstream.once('request', onStart);
	const slow = await new Promise((res, rej) => {
		const req = https.request(
			{ host: '127.0.0.1', port: httpsPort, method: 'POST', path: '/v1/auth/token', servername: domain,
			  ca: readFileSync(rootCert), headers: { host: domain, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
			(r) => {
				let data = '';
				r.on('data', (c) => (data += c));
				r.on('end', () => res({ status: r.statusCode, body: data }));
			});
		req.on('error', rej);
		req.write(Buffer.alloc(half, 0x20));
		setTimeout(() => {
			if (!startedEarly) upstream.off('request', onStart);
			req.end(Buffer.alloc(half, 0x20));
		}, 1000);
	});
	const got = JSON.parse(slow.body);
	if (slow.status === 200 && !startedEarly && got.bytes === 2 * half && seen.length === before + 1)
		ok('a body trickled in two halves reaches coopd only once it is complete (buffered), whole');
	else fail('buffered body', `status ${slow.status}, upstream reached before the body was complete: ${startedEarly}, got ${got.bytes} bytes`);

	const redirect = await request('GET', '/v1/health', { plain: true });
	if ([301, 302, 307, 308].includes(redirect.status) && String(redirect.headers.location).startsWith(`https://${domain}`))
		ok(`plain HTTP redirects to HTTPS (${redirect.status})`);
	else fail('HTTP redirect', `status ${redirect.status}, location ${redirect.headers.location}`);
} catch (e) {
	fail('caddy test', String(e?.stack ?? e));
} finally {
	finish();
}
process.exit(failed === 0 ? 0 : 1);
