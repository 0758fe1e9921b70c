// Invoice PDFs render every text the API accepts (issue item 5): a customer named with 200 × ü,
// a line description with a decomposed accent (a + U+0301), customer and member names in
// Turkish, Polish and Arabic and with 𝕏 (outside the BMP) give 200 application/pdf for the
// issued invoice, and pdftotext reads the names back as text. coopd refuses to start (exit
// code 2, naming the file) when the DejaVu fonts the PDFs embed are missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setup, contractCheck, run, runCoopd, coopdEnv, freePort, onCleanup, nlDate, invMunicipality, invSmallCoop, invLine, invDraft, invIssue } from './harness.mjs';

let env;
let srv;
let admin;
let muni;
const dir = fs.mkdtempSync('/tmp/coopd-pdf-unicode-');
onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));

before(async () => {
	env = await setup();
	srv = env.srv;
	admin = await srv.adminToken();
	muni = await invMunicipality(srv, admin);
});
after(() => srv?.kill());

/** The issued invoice of a fresh cooperative whose member and customer are given. */
async function issued({ member, customer, lines }) {
	const c = await invSmallCoop(srv, admin, muni, { member, customer });
	const d = await invDraft(srv, admin, c.id, { member_id: c.member.id, customer_id: c.customer.id, supply_date: nlDate(-1), lines });
	return invIssue(srv, admin, d.id);
}

/** GET /v1/invoices/{id}/pdf: asserts 200 application/pdf; returns the text pdftotext reads. */
async function pdfText(id) {
	const res = await fetch(`${srv.base}/v1/invoices/${id}/pdf`, { headers: { authorization: `Bearer ${admin}` } });
	const body = Buffer.from(await res.arrayBuffer());
	const bad = contractCheck('GET', `/v1/invoices/${id}/pdf`, { status: res.status, headers: res.headers, body });
	if (bad) throw new Error(bad);
	assert.equal(res.status, 200, `GET pdf: ${res.status} ${body.toString('utf8').slice(0, 300)}`);
	assert.match(res.headers.get('content-type') ?? '', /^application\/pdf/);
	assert.equal(body.subarray(0, 5).toString('latin1'), '%PDF-', 'the body is a PDF');
	assert.ok(body.includes('DejaVuSans') && body.includes('/FontFile2'), 'DejaVu Sans is embedded');
	const file = path.join(dir, `${id}.pdf`);
	fs.writeFileSync(file, body);
	const t = await run('pdftotext', ['-enc', 'UTF-8', file, '-']);
	assert.equal(t.code, 0, `pdftotext: ${t.stderr}`);
	return t.stdout;
}

/** Text compared as a reader sees it: NFKC (Arabic presentation forms become letters), without
 * the bidi controls pdftotext puts around right-to-left runs, white space collapsed. */
const plain = (t) =>
	t
		.normalize('NFKC')
		.replace(/[\u202a-\u202e\u200e\u200f]/g, '')
		.replace(/\s+/g, ' ');

test('a customer named with 200 × ü, a Turkish and Polish member and a line with a + U+0301: 200 application/pdf, the names come out as text, the accent composed', async () => {
	const inv = await issued({
		customer: { name: 'ü'.repeat(200) },
		member: { first_name: 'Ayşegül İğdır', last_name: 'Wiśniewska-Żółć', activity_description: 'Hovenier' },
		lines: [invLine({ description: 'Snoeien bij Cafe\u0301 De Linde' })],
	});
	const text = plain(await pdfText(inv.id));
	assert.ok(text.includes('Ayşegül İğdır Wiśniewska-Żółć — Hovenier'), `the member's Turkish and Polish name in:\n${text}`);
	assert.ok(text.includes('Snoeien bij Café De Linde'), `the description with the accent composed (U+00E9) in:\n${text}`);
	assert.ok(!text.includes('e\u0301'), 'no loose combining accent left');
	assert.ok(/ü{30,}/.test(text), 'the customer name');
	assert.ok(text.includes('ü...') || text.includes('ü…'), 'the 200 × ü name is cut with an ellipsis');
	assert.ok(text.includes(inv.number), `the number ${inv.number}`);
	assert.ok(!text.includes('?'), `no question marks in:\n${text}`);
});

test('customer and member names with 𝕏, Turkish, Polish and Arabic: 200 application/pdf; 𝕏 prints as X, the Arabic in reading order, Turkish and Polish as text', async () => {
	const inv = await issued({
		customer: { name: '𝕏 Ağaç İşleri — شركة النور' },
		member: { first_name: 'محمد', last_name: 'Łukasiewicz', activity_description: 'Timmerman' },
		lines: [invLine({ description: 'Kozijnen 𝕏-serie, ığüşöç' })],
	});
	const text = plain(await pdfText(inv.id));
	assert.ok(text.includes('X Ağaç İşleri'), `the customer's Turkish name (𝕏 as X) in:\n${text}`);
	assert.ok(text.includes('شركة النور'), `the customer's Arabic name in:\n${text}`);
	assert.ok(text.includes('Łukasiewicz'), `the member's Polish name in:\n${text}`);
	assert.ok(text.includes('محمد'), `the member's Arabic name in:\n${text}`);
	assert.ok(text.includes('Kozijnen X-serie, ığüşöç'), `the line in:\n${text}`);
	assert.ok(!text.includes('𝕏'), 'libharu draws the BMP only: 𝕏 is replaced');
});

test('coopd refuses to start without its fonts: exit code 2 and a message naming the missing file', async () => {
	const r = await runCoopd([], coopdEnv(env.dbUrl, await freePort(), { COOPD_FONT_DIR: path.join(dir, 'no-fonts') }), { timeout: 20000 });
	assert.equal(r.code, 2, `exit code 2 (got ${r.code}, signal ${r.signal}); stderr:\n${r.stderr}`);
	assert.ok(r.stderr.includes(path.join(dir, 'no-fonts', 'DejaVuSans.ttf')), `the message names the file: ${r.stderr}`);
	assert.ok(r.stderr.includes('fonts-dejavu-core'), `the message names the package: ${r.stderr}`);
});

test('coopd exits 0 on SIGTERM without a sanitizer report', async () => {
	await srv.stop();
});
