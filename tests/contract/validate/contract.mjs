// The contract check: a response (method, path, status, headers, body) against api/openapi.yaml
// (OpenAPI 3.1, JSON Schema 2020-12 through Ajv's 2020 dialect).
//
//   const contract = loadContract('api/openapi.yaml');
//   const errors = contract.check({ method, path, status, headers, body });  // [] when it fits
//
// What is checked:
//   - the request matches an operation (path template + method; HEAD as GET when the document
//     has no HEAD). A path the document does not have must be answered with the document's
//     NotFound response, a method the path does not have with its MethodNotAllowed response;
//   - the status is documented for the operation (or a range such as 4XX, or default);
//   - every response header is either standard HTTP (STANDARD_HEADERS) or documented on that
//     response; documented headers validate against their schema, required ones are present;
//   - the Content-Type is documented for that status; a JSON body (application/json and
//     application/problem+json) validates against the schema. With `closed: true` (the default)
//     an object that the document describes by its properties takes no undocumented property
//     (`unevaluatedProperties: false` is added wherever the document says nothing), so an
//     undocumented field fails even where the document has no `additionalProperties: false`;
//   - a text/csv body: its header row equals the columns the document lists (csvColumns()).
//
// Each schema is compiled once per process (on first use) and cached.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

/** Headers every response may carry without the document naming them (lower case). */
export const STANDARD_HEADERS = new Set([
	// HTTP/1.1 message framing and connection management
	'date',
	'connection',
	'content-length',
	'content-type',
	'transfer-encoding',
	'keep-alive',
	// caching (the document's conventions say every response is `Cache-Control: no-store`)
	'cache-control',
	'pragma',
	'expires',
	'vary',
	// CORS (coopd sends none today; a proxy in front may)
	'access-control-allow-origin',
	'access-control-allow-credentials',
	'access-control-allow-methods',
	'access-control-allow-headers',
	'access-control-expose-headers',
	'access-control-max-age',
]);

/**
 * Answers the document's conventions describe for every request, whatever the operation: the
 * HTTP layer answers them before (or instead of) any route. A status the operation does not
 * document is accepted only with one of these codes, validated against the component response.
 * The document's own list (`x-global-responses` at its root: [{status, code, response}]) is used
 * when it has one; until then this mirrors the conventions and the error table of
 * info.description (see /work/notes/contract-doc-fixes.md).
 */
export const GLOBAL_RESPONSES = [
	{ status: 400, code: 'bad_request', response: 'BadRequest' }, // the HTTP parser refused the request
	{ status: 408, code: 'request_timeout', response: 'BadRequest' }, // the request did not arrive in time
	{ status: 413, code: 'payload_too_large', response: 'PayloadTooLarge' }, // COOPD_BODY_LIMIT, on any path
	{ status: 503, code: 'service_unavailable', response: 'ServiceUnavailable' }, // at capacity / shutting down
	{ status: 505, code: 'http_version_not_supported', response: 'BadRequest' },
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const COMPONENTS_ID = 'urn:coopd:openapi:components';
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The essence of a media type: "application/json; charset=utf-8" → "application/json". */
export const essence = (ct) => String(ct ?? '').split(';')[0].trim().toLowerCase();

/** The cells of the first line of an RFC 4180 text (quoted cells allowed). */
export function csvHeaderRow(text, separator = ',') {
	const cells = [];
	let cell = '';
	let inQ = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (inQ) {
			if (ch === '"' && text[i + 1] === '"') {
				cell += '"';
				i++;
			} else if (ch === '"') inQ = false;
			else cell += ch;
		} else if (ch === '"') inQ = true;
		else if (ch === separator) {
			cells.push(cell);
			cell = '';
		} else if (ch === '\r' || ch === '\n') break;
		else cell += ch;
	}
	cells.push(cell);
	return cells;
}

/**
 * The columns the document lists for a CSV media type object, or null when it lists none.
 * Looked up, in this order: `x-csv-columns` (an array) on the media type or its schema; the
 * schema's `items.properties` keys when the schema is an array of objects (a row schema); the
 * first line of the media type's (or the schema's) example.
 */
export function csvColumns(media, resolve = (x) => x) {
	if (!media) return null;
	const schema = media.schema ? resolve(media.schema) : null;
	for (const src of [media, schema]) if (Array.isArray(src?.['x-csv-columns'])) return src['x-csv-columns'];
	const items = schema?.items ? resolve(schema.items) : null;
	if (schema?.type === 'array' && isObj(items?.properties)) return Object.keys(items.properties);
	const exampleTexts = [];
	if (typeof media.example === 'string') exampleTexts.push(media.example);
	if (isObj(media.examples)) for (const e of Object.values(media.examples)) if (typeof resolve(e)?.value === 'string') exampleTexts.push(resolve(e).value);
	if (typeof schema?.example === 'string') exampleTexts.push(schema.example);
	if (Array.isArray(schema?.examples)) for (const e of schema.examples) if (typeof e === 'string') exampleTexts.push(e);
	return exampleTexts.length ? csvHeaderRow(exampleTexts[0]) : null;
}

/** Header values as [name (lower case), value] pairs from Headers, a raw header array or an object. */
function headerPairs(h) {
	if (!h) return [];
	if (Array.isArray(h)) {
		const out = [];
		for (let i = 0; i + 1 < h.length; i += 2) out.push([String(h[i]).toLowerCase(), String(h[i + 1])]);
		return out;
	}
	if (typeof h.forEach === 'function' && typeof h.get === 'function') {
		const out = [];
		h.forEach((v, k) => out.push([k.toLowerCase(), v]));
		return out;
	}
	return Object.entries(h).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k.toLowerCase(), String(x)]));
}

export class Contract {
	/**
	 * doc: the parsed OpenAPI document. closed: treat undocumented properties of described objects
	 * as failures (unevaluatedProperties semantics) even where the document does not say
	 * `additionalProperties: false`.
	 */
	constructor(doc, { closed = true, gaps = [] } = {}) {
		if (!/^3\.1\./.test(String(doc.openapi))) throw new Error(`contract: OpenAPI 3.1 expected, the document is ${doc.openapi}`);
		this.doc = doc;
		this.closed = closed;
		this.cache = new Map();
		this.gaps = gaps.map((g) => ({ ...g, re: new RegExp(g.error) }));
		this.gapHits = new Map();
		this.globals = Array.isArray(doc['x-global-responses']) ? doc['x-global-responses'] : GLOBAL_RESPONSES;
		this.ajv = new Ajv2020({
			strict: true,
			strictTypes: false,
			strictTuples: false,
			strictRequired: false,
			allowUnionTypes: true,
			allErrors: true,
			validateFormats: true,
		});
		addFormats(this.ajv);
		// OpenAPI's own schema keywords and the vendor extensions the document uses: annotations.
		const extra = new Set(['example', 'discriminator', 'xml', 'externalDocs']);
		const formats = new Set();
		const scan = (o) => {
			if (Array.isArray(o)) return o.forEach(scan);
			if (!isObj(o)) return;
			for (const [k, v] of Object.entries(o)) {
				if (k.startsWith('x-')) extra.add(k);
				if (k === 'format' && typeof v === 'string') formats.add(v);
				scan(v);
			}
		};
		scan(doc.components?.schemas);
		scan(doc.paths);
		scan(doc.components?.responses);
		scan(doc.components?.headers);
		for (const k of extra) this.ajv.addKeyword({ keyword: k, schemaType: undefined, valid: true });
		// Formats Ajv does not know (e.g. int32/int64 are known; "json" is not) only annotate.
		for (const f of formats) if (!this.ajv.formats[f]) this.ajv.addFormat(f, true);
		const defs = {};
		for (const [name, s] of Object.entries(doc.components?.schemas ?? {})) defs[name] = this.transform(s, false);
		this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: defs });
		// Path templates, most specific first (fewest parameters, literal segments earliest).
		this.paths = Object.keys(doc.paths ?? {}).map((t) => {
			const segs = t.split('/');
			const re = new RegExp(`^${segs.map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
			const rank = segs.map((s) => (/^\{/.test(s) ? '1' : '0')).join('');
			return { template: t, re, params: segs.filter((s) => s.startsWith('{')).length, rank };
		});
		this.paths.sort((a, b) => a.params - b.params || (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
	}

	/** Follows a local $ref ("#/components/...") in the document. */
	resolve(o) {
		let seen = 0;
		while (isObj(o) && typeof o.$ref === 'string' && o.$ref.startsWith('#/') && seen++ < 20) {
			let t = this.doc;
			for (const part of o.$ref.slice(2).split('/')) t = t?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
			if (t === undefined) throw new Error(`contract: unresolved $ref ${o.$ref}`);
			o = t;
		}
		return o;
	}

	/** Whether a schema (through $ref and in-place applicators) names properties an object may have. */
	describesProperties(s, seen = new Set()) {
		if (!isObj(s) || seen.has(s)) return false;
		seen.add(s);
		if (isObj(s.properties) || isObj(s.patternProperties) || 'additionalProperties' in s || 'unevaluatedProperties' in s) return true;
		if (typeof s.$ref === 'string' && this.describesProperties(this.resolve({ $ref: s.$ref }), seen)) return true;
		for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[k]) && s[k].some((x) => this.describesProperties(x, seen))) return true;
		for (const k of ['if', 'then', 'else']) if (this.describesProperties(s[k], seen)) return true;
		return false;
	}

	/**
	 * A copy of schema s for Ajv: local component $refs pointed at the compiled components; with
	 * `closed`, `unevaluatedProperties: false` added at every place where an instance location
	 * begins (the root of a response, each property value, array item, ...) unless the document
	 * already says what else an object may hold there. In-place applicators (allOf, oneOf, ...)
	 * stay open so that they can be combined; the boundary sees what they evaluated.
	 */
	transform(s, boundary) {
		if (!isObj(s)) return s;
		const out = {};
		for (const [k, v] of Object.entries(s)) {
			if (k === '$ref' && typeof v === 'string') {
				const m = /^#\/components\/schemas\/(.+)$/.exec(v);
				out.$ref = m ? `${COMPONENTS_ID}#/$defs/${m[1]}` : v;
			} else if ((k === 'properties' || k === 'patternProperties' || k === 'dependentSchemas') && isObj(v)) {
				out[k] = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, this.transform(ps, k !== 'dependentSchemas')]));
			} else if (k === 'prefixItems' && Array.isArray(v)) {
				out[k] = v.map((x) => this.transform(x, true));
			} else if (['items', 'additionalProperties', 'contains', 'unevaluatedItems', 'unevaluatedProperties'].includes(k)) {
				out[k] = this.transform(v, true);
			} else if (['allOf', 'anyOf', 'oneOf'].includes(k) && Array.isArray(v)) {
				out[k] = v.map((x) => this.transform(x, false));
			} else if (['not', 'if', 'then', 'else'].includes(k)) {
				out[k] = this.transform(v, false);
			} else out[k] = v;
		}
		if (this.closed && boundary && !('additionalProperties' in s) && !('unevaluatedProperties' in s) && this.describesProperties(s))
			out.unevaluatedProperties = false;
		return out;
	}

	/** The compiled validator of a response schema (cached by its place in the document). */
	validator(key, schema) {
		let v = this.cache.get(key);
		if (!v) {
			v = this.ajv.compile(this.transform(schema, true));
			this.cache.set(key, v);
		}
		return v;
	}

	/** The operation for method and path: {template, method, operation} or {template, missing}. */
	match(method, rawPath) {
		const p = String(rawPath).split('?')[0].split('#')[0];
		const hit = this.paths.find((x) => x.re.test(p));
		if (!hit) return null;
		const item = this.doc.paths[hit.template];
		let m = method.toLowerCase();
		if (m === 'head' && !item.head) m = 'get';
		if (!METHODS.includes(m) || !item[m]) return { template: hit.template, method: m, operation: null };
		return { template: hit.template, method: m, operation: item[m] };
	}

	/** The response object for a status: exact, then a range ("4XX"), then default. */
	responseFor(responses, status) {
		const s = String(status);
		const r = responses?.[s] ?? responses?.[`${s[0]}XX`] ?? responses?.[`${s[0]}xx`] ?? responses?.default;
		return r ? { response: this.resolve(r), key: responses[s] ? s : responses[`${s[0]}XX`] ? `${s[0]}XX` : 'default' } : null;
	}

	/**
	 * Checks one response; returns a list of error strings (empty when the response fits).
	 * body: a Buffer or a string (the whole body as received); headers: Headers, raw header
	 * array or object.
	 */
	check(res) {
		const errors = this.checkAll(res);
		if (!errors.length || !this.gaps.length) return errors;
		// Known differences whose document fix is written down but not yet applied: not failures.
		const m = this.match(res.method, res.path);
		const op = m ? `${m.method.toUpperCase()} ${m.template}` : null;
		return errors.filter((e) => {
			const g = this.gaps.find((x) => x.operation === op && (x.status === undefined || x.status === res.status) && x.re.test(e));
			if (g) this.gapHits.set(g.id, (this.gapHits.get(g.id) ?? 0) + 1);
			return !g;
		});
	}

	/** check() without the known gaps. */
	checkAll({ method, path, status, headers, body }) {
		const errors = [];
		const m = this.match(method, path);
		let response;
		let where;
		let wantCode = null;
		// (an entry with a `method` answers only that method: the CORS preflight, OPTIONS)
		const global = this.globals.find(
			(g) => g.status === status && (!g.method || g.method.toUpperCase() === method.toUpperCase()),
		);
		const globalResponse = () => {
			response = this.resolve(this.doc.components.responses[global.response]);
			where = `global ${status} ${global.code} (components/responses/${global.response})`;
			wantCode = global.code;
		};
		if (global && !(m?.operation && this.responseFor(m.operation.responses, status))) globalResponse();
		else if (!m) {
			// A path the document does not have: only the router's NotFound answer is documented.
			const nf = this.doc.components?.responses?.NotFound;
			if (status !== 404 || !nf) return [`the path is not in the document and the status ${status} is not its NotFound (404) answer`];
			response = this.resolve(nf);
			where = 'components/responses/NotFound';
		} else if (!m.operation) {
			const mna = this.doc.components?.responses?.MethodNotAllowed;
			if (status !== 405 || !mna) return [`${method.toUpperCase()} is not an operation of ${m.template} and the status ${status} is not its MethodNotAllowed (405) answer`];
			response = this.resolve(mna);
			where = 'components/responses/MethodNotAllowed';
		} else {
			const r = this.responseFor(m.operation.responses, status);
			if (!r) return [`status ${status} is not documented for ${m.method.toUpperCase()} ${m.template} (documented: ${Object.keys(m.operation.responses ?? {}).join(', ')})`];
			response = r.response;
			where = `paths/${m.template}/${m.method}/responses/${r.key}`;
		}

		// Headers.
		const documented = new Map();
		for (const [name, h] of Object.entries(response.headers ?? {})) documented.set(name.toLowerCase(), { name, header: this.resolve(h) });
		const got = headerPairs(headers);
		const gotNames = new Set(got.map(([k]) => k));
		for (const [k, v] of got) {
			if (STANDARD_HEADERS.has(k)) continue;
			const d = documented.get(k);
			if (!d) {
				errors.push(`header ${k} is not documented for this response (${where})`);
				continue;
			}
			if (d.header.schema) {
				const sch = this.resolve(d.header.schema);
				const types = [].concat(sch.type ?? []);
				let value = v;
				if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(v)) value = Number(v);
				const validate = this.validator(`${where}/headers/${d.name}`, d.header.schema);
				if (!validate(value)) errors.push(`header ${d.name}: ${JSON.stringify(v)} ${this.ajv.errorsText(validate.errors, { dataVar: 'value' })}`);
			}
		}
		for (const [k, d] of documented) if (d.header.required && !gotNames.has(k) && !STANDARD_HEADERS.has(k)) errors.push(`required header ${d.name} is missing`);

		// Content.
		const buf = body === undefined || body === null ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(String(body));
		const ctHeader = got.find(([k]) => k === 'content-type')?.[1];
		const ct = essence(ctHeader);
		// the Excel dialect of a CSV export separates its fields with ';'
		const excel = /;\s*dialect=excel\b/i.test(ctHeader ?? '');
		const content = response.content ?? {};
		const isHead = method.toUpperCase() === 'HEAD';
		if (!ct) {
			if (buf.length) errors.push(`a ${buf.length}-byte body without Content-Type`);
			return errors;
		}
		let mediaKey = Object.keys(content).find((k) => essence(k) === ct);
		if (!mediaKey) mediaKey = Object.keys(content).find((k) => essence(k) === `${ct.split('/')[0]}/*`) ?? Object.keys(content).find((k) => k === '*/*');
		if (!mediaKey) {
			errors.push(`content type ${ct} is not documented for this response (${where}: ${Object.keys(content).join(', ') || 'no content'})`);
			return errors;
		}
		if (isHead || status === 204 || status === 304) return errors;
		const media = content[mediaKey];
		if (wantCode) {
			let code;
			try {
				code = JSON.parse(buf.toString('utf8')).code;
			} catch {
				/* reported below */
			}
			if (code !== wantCode) errors.push(`status ${status} is documented here only as ${wantCode}, got code ${JSON.stringify(code)} (${where})`);
		}
		const text = buf.toString('utf8');
		if (ct === 'application/json' || ct.endsWith('+json')) {
			let json;
			try {
				json = JSON.parse(text);
			} catch {
				errors.push(`the ${ct} body is not JSON: ${text.slice(0, 120)}`);
				return errors;
			}
			if (media.schema) {
				const validate = this.validator(`${where}/content/${mediaKey}`, media.schema);
				if (!validate(json)) errors.push(...formatAjv(validate.errors));
			}
		} else if (ct === 'text/csv') {
			const want = csvColumns(media, (x) => this.resolve(x));
			if (!want) errors.push(`the document lists no CSV columns for ${where}`);
			else {
				const have = text.length ? csvHeaderRow(text.replace(/^\uFEFF/, ''), excel ? ';' : ',') : [];
				if (have.join(',') !== want.join(',')) {
					const missing = want.filter((c) => !have.includes(c));
					const extra = have.filter((c) => !want.includes(c));
					errors.push(
						`CSV header row differs from the document: got [${have.join(',')}], documented [${want.join(',')}]` +
							(missing.length ? `; missing ${missing.join(',')}` : '') +
							(extra.length ? `; undocumented ${extra.join(',')}` : ''),
					);
				}
			}
			// The CSV text against its schema too (a string schema: e.g. the header row's pattern).
			if (media.schema && !errors.length) {
				const validate = this.validator(`${where}/content/${mediaKey}`, media.schema);
				if (!validate(text)) errors.push(...formatAjv(validate.errors).map((e) => `CSV text: ${e}`));
			}
		}
		return errors;
	}
}

function formatAjv(errs) {
	const out = [];
	for (const e of errs ?? []) {
		const at = e.instancePath || '(body)';
		if (e.keyword === 'unevaluatedProperties' || e.keyword === 'additionalProperties') {
			const p = e.params.unevaluatedProperty ?? e.params.additionalProperty;
			out.push(`${at}: undocumented field "${p}" (schema ${e.schemaPath})`);
		} else out.push(`${at}: ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''} (schema ${e.schemaPath})`);
		if (out.length >= 8) {
			out.push(`... ${errs.length - 8} more schema errors`);
			break;
		}
	}
	return out;
}

/**
 * Reads and prepares the document at file (YAML or JSON). Parsing the YAML takes most of a
 * second, so the parsed form is kept as JSON in the temporary directory, named by the SHA-256
 * of the text (a changed document is parsed again).
 */
export function loadContract(file, opts = {}) {
	const text = fs.readFileSync(file, 'utf8');
	const sum = crypto.createHash('sha256').update(text).digest('hex').slice(0, 32);
	const cached = path.join(os.tmpdir(), `coopd-contract-${sum}.json`);
	let doc;
	try {
		doc = JSON.parse(fs.readFileSync(cached, 'utf8'));
	} catch {
		doc = YAML.parse(text);
		try {
			const tmp = `${cached}.${process.pid}`;
			fs.writeFileSync(tmp, JSON.stringify(doc));
			fs.renameSync(tmp, cached);
		} catch {
			/* no cache: parse next time too */
		}
	}
	return new Contract(doc, opts);
}

/**
 * The known gaps between the document and the service whose document fix is written down for
 * the integrator (doc-gaps.json next to this file: [{id, operation, status, error, fix}], error a
 * regular expression over the error text). Empty once the fixes are in api/openapi.yaml.
 */
export function loadGaps(file = new URL('./doc-gaps.json', import.meta.url)) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		if (e.code === 'ENOENT') return [];
		throw e;
	}
}
