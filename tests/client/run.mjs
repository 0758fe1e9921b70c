// The typed client step of `make test` (tests/run.sh): installs the pinned tools (npm ci, only
// when node_modules is missing or older than the lock file), generates TypeScript types from
// api/openapi.yaml with openapi-typescript, type-checks scenario.ts with tsc --strict (a type
// error fails the step before anything runs), then starts coopd on a fresh database (the
// harness: COOPD_TEST_PGURL's cluster, else one of its own) and runs the scenario against it.
// Exit status 0 when everything passed. COOPD_BIN chooses the binary (default build/coopd).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, setup } from '../api/harness.mjs';

const dir = path.join(ROOT, 'tests/client');
const out = path.join(ROOT, 'build/client');

function step(what, cmd, args) {
	const r = spawnSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
	if (r.status !== 0) {
		console.log(`FAIL ${what}: ${cmd} ${args.join(' ')} (exit ${r.status})`);
		console.log(`${r.stdout}${r.stderr}`.trim().split('\n').slice(-40).map((l) => `    ${l}`).join('\n'));
		process.exit(1);
	}
	console.log(`ok   ${what}`);
}

const mtime = (p) => (fs.existsSync(p) ? fs.statSync(p).mtimeMs : 0);
const stamp = path.join(dir, 'node_modules/.package-lock.json');
if (mtime(stamp) < mtime(path.join(dir, 'package-lock.json')))
	step('npm ci', 'npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error']);
fs.mkdirSync(path.join(dir, 'generated'), { recursive: true });
// --default-non-nullable=false: a property with a default that the document does not list as
// required stays optional (the service fills it in when a request leaves it out).
step('openapi-typescript api/openapi.yaml', 'node_modules/.bin/openapi-typescript',
	['../../api/openapi.yaml', '--default-non-nullable=false', '-o', 'generated/api.d.ts']);
step('tsc --strict', 'node_modules/.bin/tsc', ['-p', '.', '--outDir', out]);
// The compiled scenario imports openapi-fetch: resolve it from tests/client/node_modules.
fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
fs.rmSync(path.join(out, 'node_modules'), { force: true, recursive: true });
fs.symlinkSync(path.join(dir, 'node_modules'), path.join(out, 'node_modules'));

let srv;
try {
	const env = await setup();
	srv = env.srv;
	const { scenario } = await import(pathToFileURL(path.join(out, 'scenario.js')).href);
	const lines = await scenario({
		baseUrl: srv.base,
		adminPassword: srv.adminPassword,
		municipality: `GM${1000 + crypto.randomInt(8000)}`,
		unique: crypto.randomBytes(3).toString('hex'),
	});
	for (const l of lines) console.log(`ok   ${l}`);
	await srv.stop(); // a clean exit, no sanitizer report, no secret in the log
} catch (e) {
	console.log(`FAIL scenario: ${e.stack ?? e}`);
	if (srv) console.log(srv.tail().split('\n').slice(-20).map((l) => `    ${l}`).join('\n'));
	await srv?.kill();
	process.exit(1);
}
