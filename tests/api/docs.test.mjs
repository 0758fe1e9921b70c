// The API reference page, GET /v1/docs: its headers (type, Content-Security-Policy, caching),
// and the page itself rendered by headless Chromium (Debian `chromium`, installed by
// deploy/local/deps.sh test): every operation of the OpenAPI document is on the page, the
// browser logged no error, and it fetched nothing from another origin.
//
// Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: the
// commands go in on fd 3, the events and answers come out on fd 4, each message JSON followed by
// a NUL byte), so neither a debugging port nor a WebSocket client is needed. The rendered page
// is saved as a PNG: $COOPD_DOCS_SCREENSHOT, else /tmp/coopd-docs-<pid>.png (the top of the page),
// and one operation beside it (…-operation.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setup, onCleanup, sleep } from './harness.mjs';

let env;
let srv;

before(async () => {
	env = await setup();
	srv = env.srv;
});
after(() => srv?.kill());

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find(
	(c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0,
);

/** The CSP's directives as a Map of name → list of sources. */
function cspDirectives(header) {
	const m = new Map();
	for (const part of header.split(';')) {
		const [name, ...sources] = part.trim().split(/\s+/);
		if (name) m.set(name, sources);
	}
	return m;
}

test('GET /v1/docs is an HTML page without a token, under a strict Content-Security-Policy', async () => {
	const r = await srv.api('GET', '/v1/docs');
	assert.equal(r.status, 200, r.text);
	assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
	assert.match(r.text, /^<!doctype html>/i);
	assert.match(r.text, /<redoc spec-url="openapi\.json"/);
	assert.doesNotMatch(r.text, /https?:\/\//, 'the page names no other origin');
	assert.doesNotMatch(r.text, /<script>|<script[^>]*>[^<\s]/, 'no inline script');
	const csp = cspDirectives(r.headers.get('content-security-policy') ?? '');
	assert.deepEqual(csp.get('default-src'), ["'none'"]);
	assert.deepEqual(csp.get('script-src'), ["'self'"], 'scripts from this origin only: no inline, no eval');
	assert.deepEqual(csp.get('connect-src'), ["'self'"]);
	assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
	assert.deepEqual(csp.get('base-uri'), ["'none'"]);
	assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
	assert.equal(r.headers.get('cache-control'), 'no-cache');
	assert.match(r.headers.get('etag') ?? '', /^"[0-9a-f]{16}"$/);
});

test('the page script is JavaScript, cached for a day, and both answer 304 to their ETag', async () => {
	const js = await srv.api('GET', '/v1/docs/redoc.standalone.js');
	assert.equal(js.status, 200);
	assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
	assert.equal(js.headers.get('cache-control'), 'public, max-age=86400');
	assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
	assert.ok(js.text.length > 100000 && js.text.includes('Redoc'), 'Redoc standalone bundle');
	const page = await srv.api('GET', '/v1/docs');
	assert.notEqual(js.headers.get('etag'), page.headers.get('etag'));
	for (const [p, first] of [['/v1/docs/redoc.standalone.js', js], ['/v1/docs', page]]) {
		const etag = first.headers.get('etag');
		const again = await srv.api('GET', p, { headers: { 'If-None-Match': etag } });
		assert.equal(again.status, 304, p);
		assert.equal(again.text, '');
		assert.equal(again.headers.get('etag'), etag);
		assert.equal(again.headers.get('cache-control'), first.headers.get('cache-control'));
		const other = await srv.api('GET', p, { headers: { 'If-None-Match': '"0000000000000000"' } });
		assert.equal(other.status, 200, `${p}: another ETag gets the body`);
		assert.equal(other.text, first.text);
	}
	// Every other response keeps Cache-Control: no-store.
	assert.equal((await srv.api('GET', '/v1/openapi.json')).headers.get('cache-control'), 'no-store');
	const missing = await srv.api('GET', '/v1/docs/other.js');
	assert.equal(missing.status, 404);
	assert.equal(missing.headers.get('cache-control'), 'no-store');
	assert.equal(missing.headers.get('content-security-policy'), null);
});

test('POST /v1/docs answers 405', async () => {
	const r = await srv.api('POST', '/v1/docs', { body: {} });
	assert.equal(r.status, 405);
});

// ---------------------------------------------------------------------------------------------
// Headless Chromium over the DevTools protocol.
class Browser {
	constructor(bin, userDataDir) {
		this.proc = spawn(
			bin,
			[
				'--headless',
				'--no-sandbox', // the tests run as root in CI
				'--disable-gpu',
				'--disable-dev-shm-usage',
				'--no-first-run',
				'--no-default-browser-check',
				'--disable-extensions',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
				'--remote-debugging-pipe',
				`--user-data-dir=${userDataDir}`,
				'--window-size=1400,1000',
			],
			{ stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
		);
		this.stderr = '';
		this.proc.stderr.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
		this.exited = new Promise((resolve) => this.proc.on('exit', resolve));
		this.off = onCleanup(() => this.proc.kill('SIGKILL'));
		this.nextId = 1;
		this.pending = new Map();
		this.listeners = [];
		let buf = Buffer.alloc(0);
		this.proc.stdio[4].on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			for (let i; (i = buf.indexOf(0)) >= 0; ) {
				const msg = JSON.parse(buf.subarray(0, i).toString('utf8'));
				buf = buf.subarray(i + 1);
				if (msg.id && this.pending.has(msg.id)) {
					const { resolve, reject } = this.pending.get(msg.id);
					this.pending.delete(msg.id);
					if (msg.error) reject(new Error(`${msg.error.message} (${msg.error.code})`));
					else resolve(msg.result);
				} else if (msg.method) for (const fn of this.listeners) fn(msg);
			}
		});
		this.exited.then(() => {
			for (const { reject } of this.pending.values()) reject(new Error(`chromium exited:\n${this.stderr}`));
			this.pending.clear();
		});
	}

	send(method, params = {}, sessionId = undefined) {
		const id = this.nextId++;
		const msg = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
		return new Promise((resolve, reject) => {
			this.pending.set(id, { resolve, reject });
			this.proc.stdio[3].write(msg + '\0');
		});
	}

	on(fn) {
		this.listeners.push(fn);
	}

	async close() {
		try {
			await Promise.race([this.send('Browser.close'), sleep(5000)]);
		} catch {
			/* it may exit before answering */
		}
		const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
		await this.exited;
		clearTimeout(t);
		this.off();
	}
}

test('headless Chromium renders every operation of the document, with no console error and nothing from another origin', { timeout: 150000 }, async () => {
	assert.ok(CHROMIUM, 'chromium is installed (deploy/local/deps.sh test)');
	const doc = (await srv.api('GET', '/v1/openapi.json')).json;
	const opIds = new Set();
	// the API's operations, and the requests coopd sends (the top-level webhooks, which Redoc
	// renders as operations too)
	for (const item of [...Object.values(doc.paths), ...Object.values(doc.webhooks ?? {})])
		for (const m of ['get', 'post', 'put', 'patch', 'delete']) if (item[m]) opIds.add(item[m].operationId);
	assert.ok(opIds.size > 50 && !opIds.has(undefined), 'every operation has an operationId');

	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coopd-chromium-'));
	onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
	const browser = new Browser(CHROMIUM, dir);
	const errors = [];
	const requests = [];
	browser.on((msg) => {
		const p = msg.params ?? {};
		if (msg.method === 'Runtime.exceptionThrown')
			errors.push(`exception: ${p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text}`);
		else if (msg.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert'))
			errors.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description).join(' ')}`);
		else if (msg.method === 'Log.entryAdded' && p.entry.level === 'error')
			errors.push(`${p.entry.source}: ${p.entry.text} ${p.entry.url ?? ''}`);
		else if (msg.method === 'Network.requestWillBeSent') requests.push(p.request.url);
		else if (msg.method === 'Network.loadingFailed' && !p.canceled)
			errors.push(`network: ${p.errorText} ${p.blockedReason ?? ''}`);
	});
	try {
		const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
		const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
		const send = (method, params) => browser.send(method, params, sessionId);
		for (const domain of ['Runtime', 'Log', 'Network', 'Page']) await send(`${domain}.enable`);
		await send('Page.navigate', { url: `${srv.base}/v1/docs` });

		// Redoc renders each operation as a section "tag/<tag>/operation/<operationId>".
		const rendered = async () => {
			const r = await send('Runtime.evaluate', {
				expression: `JSON.stringify([...document.querySelectorAll('[data-section-id*="/operation/"]')]
					.map((e) => e.getAttribute('data-section-id').replace(/^.*\\/operation\\//, '')))`,
				returnByValue: true,
			});
			return new Set(JSON.parse(r.result.value ?? '[]'));
		};
		let seen = new Set();
		const end = Date.now() + 90000;
		while (Date.now() < end && seen.size < opIds.size && errors.length === 0) {
			await sleep(500);
			seen = await rendered();
		}
		await sleep(1000); // let late errors (a worker, a style) arrive
		const shot = process.env.COOPD_DOCS_SCREENSHOT || path.join(os.tmpdir(), `coopd-docs-${process.pid}.png`);
		const png = await send('Page.captureScreenshot', { format: 'png' });
		fs.writeFileSync(shot, Buffer.from(png.data, 'base64'));
		// A second picture: one operation, with its request body and responses.
		await send('Runtime.evaluate', {
			expression: `document.querySelector('[data-section-id$="/operation/issueInvoice"]')?.scrollIntoView()`,
		});
		await sleep(1000);
		const png2 = await send('Page.captureScreenshot', { format: 'png' });
		fs.writeFileSync(shot.replace(/(\.png)?$/, '-operation.png'), Buffer.from(png2.data, 'base64'));
		const title = (await send('Runtime.evaluate', { expression: 'document.title', returnByValue: true })).result.value;
		const heading = (
			await send('Runtime.evaluate', { expression: `document.querySelector('h1')?.textContent ?? ''`, returnByValue: true })
		).result.value;

		assert.deepEqual(errors, [], 'no console error, exception, CSP violation or failed load');
		assert.equal(title, 'coopd API reference');
		assert.equal(heading.replace(/\s*\(.*$/, ''), doc.info.title, 'the document title is the page heading');
		assert.deepEqual([...opIds].filter((id) => !seen.has(id)), [], 'every operation is on the page');
		assert.deepEqual([...seen].filter((id) => !opIds.has(id)), [], 'and no other');
		const foreign = requests.filter((u) => !u.startsWith(`${srv.base}/`) && !/^(data|blob):/.test(u));
		assert.deepEqual(foreign, [], 'nothing is fetched from another origin');
		assert.ok(requests.includes(`${srv.base}/v1/openapi.json`), 'the page loaded coopd\'s own document');
		assert.ok(requests.includes(`${srv.base}/v1/docs/redoc.standalone.js`));
	} finally {
		await browser.close();
	}
});
