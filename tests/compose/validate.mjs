// Checks docker/compose.yaml: against the Compose Specification JSON schema (the copy that the
// pinned dclint package ships, schemas/compose.schema.json; Ajv, draft-07), as written and with
// docker/env.example's values interpolated; then the rules of the single-host setup that the
// schema cannot express (what is published, start order, health checks, the env file). One
// line "ok   ..." or "FAIL ..." per check, then "N passed, N failed"; exit 1 on a failure.
//   node tests/compose/validate.mjs [docker/compose.yaml [docker/env.example]]
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const composePath = resolve(process.argv[2] ?? `${root}/docker/compose.yaml`);
const envPath = resolve(process.argv[3] ?? `${root}/docker/env.example`);
// The package's exports do not name the schema file: read it from the installed package.
const schemaPath = `${here}/node_modules/dclint/schemas/compose.schema.json`;
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));

let passed = 0;
let failed = 0;
function check(name, problems) {
	if (problems.length === 0) {
		passed++;
		console.log(`ok   ${name}`);
	} else {
		failed++;
		console.log(`FAIL ${name}`);
		for (const p of problems) console.log(`    ${p}`);
	}
}

// The schema's union types are its own affair: only its keywords are held to strict mode.
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
// The schema names the draft-07 meta-schema by its https address; Ajv knows it by http.
const draft07 = JSON.parse(readFileSync(`${here}/node_modules/ajv/dist/refs/json-schema-draft-07.json`, 'utf8'));
ajv.addMetaSchema({ ...draft07, $id: schema.$schema });
const validate = ajv.compile(schema);
const schemaErrors = (doc) =>
	validate(doc) ? [] : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);

const text = readFileSync(composePath, 'utf8');
const parsed = YAML.parseDocument(text, { merge: true, prettyErrors: true });
if (parsed.errors.length > 0) {
	check(`${relative(root, composePath)} parses as YAML`, parsed.errors.map(String));
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(1);
}
const doc = parsed.toJS({ maxAliasCount: 100 });

// docker/env.example: NAME=value lines.
const env = new Map();
for (const line of readFileSync(envPath, 'utf8').split('\n')) {
	const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
	if (m) env.set(m[1], m[2]);
}

// Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, $$.
const used = new Set();
function interpolate(s) {
	return s.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (all, name, op, arg) => {
		if (all === '$$') return '$';
		used.add(name);
		const v = env.get(name);
		const unsetOrEmpty = v === undefined || (op?.startsWith(':') && v === '');
		if (op === ':-' || op === '-') return unsetOrEmpty ? arg : v;
		if ((op === ':?' || op === '?') && unsetOrEmpty) return `<${name} missing: ${arg}>`;
		return v ?? '';
	});
}
function interpolateAll(x) {
	if (typeof x === 'string') return interpolate(x);
	if (Array.isArray(x)) return x.map(interpolateAll);
	if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, interpolateAll(v)]));
	return x;
}
const resolved = interpolateAll(doc);

check(`${relative(root, composePath)} against the Compose Specification schema (dclint 3.1.0's copy)`, schemaErrors(doc));
check('the same with docker/env.example interpolated', schemaErrors(resolved));

// The schema must be able to say no: an unknown depends_on condition and a misspelt key.
{
	const bad = structuredClone(doc);
	bad.services.coopd.depends_on.migrate.condition = 'service_finished';
	bad.services.db.helthcheck = bad.services.db.healthcheck;
	const errs = schemaErrors(bad);
	check('the schema rejects a wrong depends_on condition and an unknown service key',
		errs.length >= 2 ? [] : [`expected two or more errors, got ${JSON.stringify(errs)}`]);
}

const svc = doc.services ?? {};
const rsvc = resolved.services ?? {};
const need = (cond, msg, out) => {
	if (!cond) out.push(msg);
};

{
	const p = [];
	for (const [name, s] of Object.entries(svc)) {
		if (name !== 'proxy') need(!s.ports, `${name} publishes ports ${JSON.stringify(s.ports)}`, p);
		need(s.network_mode !== 'host', `${name} uses the host's network`, p);
	}
	const ports = (rsvc.proxy?.ports ?? []).map(String).sort();
	need(JSON.stringify(ports) === JSON.stringify(['443:443', '80:80']),
		`the proxy publishes ${JSON.stringify(ports)}, expected 80:80 and 443:443`, p);
	need(doc.networks?.backend?.internal === true, 'the database network is not internal', p);
	need(JSON.stringify(svc.db?.networks) === '["backend"]', 'db is on other networks than backend', p);
	check('only the proxy publishes ports, 80 and 443; the database is on an internal network only', p);
}

{
	const p = [];
	need(svc.db?.image === 'postgres:15', `db image is ${svc.db?.image}, expected postgres:15`, p);
	need(svc.db?.healthcheck?.test, 'db has no healthcheck', p);
	need(svc.db?.volumes?.includes('pgdata:/var/lib/postgresql/data') && 'pgdata' in (doc.volumes ?? {}),
		'the database directory is not the named volume pgdata', p);
	need(JSON.stringify(svc.migrate?.command) === '["migrate"]', 'migrate does not run `coopd migrate`', p);
	need(svc.migrate?.image === svc.coopd?.image, 'migrate runs another image than coopd', p);
	need(svc.migrate?.restart === 'no', 'migrate is restarted (it must be a one-shot job)', p);
	need(svc.migrate?.depends_on?.db?.condition === 'service_healthy', 'migrate does not wait for a healthy db', p);
	need(svc.coopd?.depends_on?.db?.condition === 'service_healthy', 'coopd does not wait for a healthy db', p);
	need(svc.coopd?.depends_on?.migrate?.condition === 'service_completed_successfully',
		'coopd does not wait for the migrations to complete successfully', p);
	check('start order: db healthy, then `coopd migrate` to completion, then coopd', p);
}

{
	const p = [];
	const t = JSON.stringify(svc.coopd?.healthcheck?.test ?? '');
	need(t.includes('/v1/health') && t.includes('8080'), `coopd's healthcheck does not probe /v1/health on 8080: ${t}`, p);
	check("coopd's healthcheck probes /v1/health", p);
}

{
	const p = [];
	const trusted = rsvc.coopd?.environment?.COOPD_TRUSTED_PROXIES;
	const proxyIp = rsvc.proxy?.networks?.frontend?.ipv4_address;
	need(trusted && trusted === proxyIp, `COOPD_TRUSTED_PROXIES (${trusted}) is not the proxy's address (${proxyIp})`, p);
	const subnet = resolved.networks?.frontend?.ipam?.config?.[0]?.subnet ?? '';
	need(proxyIp && subnet.startsWith(proxyIp.split('.').slice(0, 3).join('.') + '.'),
		`the proxy's address ${proxyIp} is not in the frontend subnet ${subnet}`, p);
	check("coopd trusts X-Forwarded-For from the proxy's fixed address only", p);
}

{
	const p = [];
	const b = svc.backup ?? {};
	need(b.image === 'postgres:15', 'the backup service does not run postgres:15 (its pg_dump must match the server)', p);
	need((b.volumes ?? []).some((v) => v.startsWith('backups:')) && 'backups' in (doc.volumes ?? {}),
		'the dumps do not go into the named volume backups', p);
	need((b.volumes ?? []).some((v) => v.startsWith('./backup.sh:')), 'docker/backup.sh is not mounted', p);
	need(b.environment?.PGHOST === 'db', 'the backup does not dump the db service', p);
	check('the backup service: postgres:15, docker/backup.sh, named volume backups', p);
}

{
	const p = [];
	for (const name of [...used].sort()) need(env.has(name), `${name} is used in compose.yaml but not in env.example`, p);
	for (const name of env.keys()) need(used.has(name), `${name} is in env.example but compose.yaml does not use it`, p);
	for (const secret of ['POSTGRES_PASSWORD', 'COOPD_JWT_SECRET', 'COOPD_BOOTSTRAP_ADMIN_PASSWORD'])
		need(env.get(secret) === '', `env.example holds a value for ${secret}`, p);
	check('docker/env.example documents every variable of compose.yaml, and no secret value', p);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
