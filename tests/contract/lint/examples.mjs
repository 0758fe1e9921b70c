// Every example in api/openapi.yaml is valid against its schema, and nothing goes without one.
//
//   node tests/contract/lint/examples.mjs [path/to/openapi.yaml]
//
// Checked with Ajv in JSON Schema 2020-12 mode (OpenAPI 3.1's dialect), formats included:
// - every component schema has `examples` (at least one), and every `examples` of a schema,
//   anywhere in the document (a property's, a media type's schema), validates against that
//   schema;
// - every operation's (and every webhook's) 2xx answer with a body has an example per media type (media-type
//   `example` or `examples`; binary media types such as application/pdf excepted), and so has
//   every request body; each of them, and every other media-type or parameter example (error
//   answers included), validates against its schema.
// Prints one line per problem and a last line "examples: N checked, M failed"; exits 1 on any
// failure.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.resolve(process.argv[2] ?? path.join(here, '../../../api/openapi.yaml'));
const doc = YAML.parse(fs.readFileSync(file, 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, logger: false });
addFormats(ajv);
ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isInteger(n) });
ajv.addFormat('int32', { type: 'number', validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('json', (s) => {
	try {
		JSON.parse(s);
		return true;
	} catch {
		return false;
	}
});
const BASE = 'https://coopd.invalid/openapi.json';
ajv.addSchema(doc, BASE);

let checked = 0;
const problems = [];
const ptr = (parts) => '#/' + parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const at = (parts) => parts.reduce((o, k) => o?.[k], doc);
const deref = (obj) => {
	for (let i = 0; obj && typeof obj.$ref === 'string' && i < 10; i++) obj = at(obj.$ref.slice(2).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~')));
	return obj;
};

const validators = new Map();
function check(schemaParts, value, where) {
	const key = ptr(schemaParts);
	let v = validators.get(key);
	if (!v) {
		try {
			v = ajv.compile({ $ref: BASE + key });
		} catch (e) {
			problems.push(`${where}: the schema does not compile: ${e.message}`);
			return;
		}
		validators.set(key, v);
	}
	checked++;
	if (!v(value)) {
		const errs = v.errors.slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
		problems.push(`${where}: the example is not valid: ${errs.join('; ')}`);
	}
}

// Schema-level `examples` anywhere below a schema.
function walkSchema(s, parts) {
	if (!s || typeof s !== 'object' || Array.isArray(s)) return;
	if ('example' in s) problems.push(`${ptr(parts)}: a schema with "example" (OpenAPI 3.1 schemas use "examples")`);
	if ('examples' in s) {
		if (!Array.isArray(s.examples) || s.examples.length === 0) problems.push(`${ptr(parts)}: "examples" is not a non-empty array`);
		else s.examples.forEach((ex, i) => check(parts, ex, `${ptr(parts)}/examples/${i}`));
	}
	for (const k of ['properties', 'patternProperties', '$defs'])
		if (s[k]) for (const [n, sub] of Object.entries(s[k])) walkSchema(sub, [...parts, k, n]);
	for (const k of ['items', 'additionalProperties', 'not', 'contains', 'if', 'then', 'else'])
		if (s[k] && typeof s[k] === 'object') walkSchema(s[k], [...parts, k]);
	for (const k of ['allOf', 'oneOf', 'anyOf', 'prefixItems']) if (Array.isArray(s[k])) s[k].forEach((sub, i) => walkSchema(sub, [...parts, k, i]));
}

for (const [name, s] of Object.entries(doc.components?.schemas ?? {})) {
	if (!Array.isArray(s.examples) || s.examples.length === 0) problems.push(`#/components/schemas/${name}: no examples`);
	walkSchema(s, ['components', 'schemas', name]);
}

const BINARY = /^(application\/pdf|application\/octet-stream|image\/)/;

// A media type object: its schema's own examples, and its example(s) against the schema.
function checkMedia(media, mediaParts, mt, required, where) {
	if (!media.schema) {
		if (!BINARY.test(mt)) problems.push(`${where} ${mt}: no schema`);
		return;
	}
	const schemaParts = [...mediaParts, 'schema'];
	walkSchema(media.schema, schemaParts);
	const values = [];
	if ('example' in media) values.push(['example', media.example]);
	for (const [n, ex] of Object.entries(media.examples ?? {})) {
		const e = deref(ex);
		if (e && 'value' in e) values.push([`examples/${n}`, e.value]);
		else if (!e?.externalValue) problems.push(`${where} ${mt}: example ${n} has no value`);
	}
	if (values.length === 0 && required && !BINARY.test(mt)) problems.push(`${where} ${mt}: no example`);
	for (const [n, v] of values) check(schemaParts, v, `${where} ${mt} ${n}`);
}

function checkParameter(p, parts, where) {
	const prm = deref(p);
	if (!prm?.schema) return;
	const pParts = p.$ref ? p.$ref.slice(2).split('/') : parts;
	walkSchema(prm.schema, [...pParts, 'schema']);
	if ('example' in prm) check([...pParts, 'schema'], prm.example, `${where} parameter ${prm.name} example`);
	for (const [n, ex] of Object.entries(prm.examples ?? {})) {
		const e = deref(ex);
		if (e && 'value' in e) check([...pParts, 'schema'], e.value, `${where} parameter ${prm.name} examples/${n}`);
	}
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options', 'trace'];
let operations = 0;
// The API's paths, and the requests coopd itself sends (the top-level webhooks of OpenAPI 3.1).
for (const [root, p, item] of ['paths', 'webhooks'].flatMap((r) => Object.entries(doc[r] ?? {}).map(([k, v]) => [r, k, v]))) {
	(item.parameters ?? []).forEach((prm, i) => checkParameter(prm, [root, p, 'parameters', i], p));
	for (const m of METHODS) {
		const op = item[m];
		if (!op) continue;
		operations++;
		const where = `${m.toUpperCase()} ${root === 'webhooks' ? `webhook ${p}` : p}`;
		const opParts = [root, p, m];
		(op.parameters ?? []).forEach((prm, i) => checkParameter(prm, [...opParts, 'parameters', i], where));
		if (op.requestBody) {
			const rb = deref(op.requestBody);
			const rbParts = op.requestBody.$ref ? op.requestBody.$ref.slice(2).split('/') : [...opParts, 'requestBody'];
			for (const [mt, media] of Object.entries(rb.content ?? {})) checkMedia(media, [...rbParts, 'content', mt], mt, true, `${where} request body`);
		}
		let success = 0;
		for (const [code, r] of Object.entries(op.responses ?? {})) {
			const resp = deref(r);
			const rParts = r.$ref ? r.$ref.slice(2).split('/') : [...opParts, 'responses', code];
			const ok = /^2/.test(code);
			if (ok) success++;
			for (const [mt, media] of Object.entries(resp?.content ?? {})) checkMedia(media, [...rParts, 'content', mt], mt, ok, `${where} ${code}`);
		}
		if (success === 0) problems.push(`${where}: no 2xx response`);
	}
}

for (const pr of problems) console.log(pr);
console.log(`examples: ${checked} checked in ${Object.keys(doc.components?.schemas ?? {}).length} schemas and ${operations} operations, ${problems.length} failed`);
process.exit(problems.length ? 1 : 0);
