// Validates the Kubernetes manifests of deploy/kubernetes offline, one "ok"/"FAIL" line per
// check and a closing "N passed, N failed":
//   - every file a kustomization names exists (resources, patches);
//   - CloudNativePG resources (Cluster, Pooler, ScheduledBackup, Backup) against the
//     openAPIV3Schema of their CRD in ../shared/validators/cloudnative-pg/ (Ajv; the x-kubernetes-*
//     extensions are interpreted: int-or-string, preserve-unknown-fields; every object schema
//     with properties refuses other properties). Skipped, and said so, when the CRDs are absent;
//   - core kinds with kubernetes-models (types, enums and required fields; it does not refuse
//     unknown fields);
//   - the ServiceMonitor by hand (no schema offline): apiVersion, kind, selector, endpoints,
//     and that it selects a Service of the set that has the port it names;
//   - coopd's own requirements on its Deployment (replicas, probes, hardening, secrets, the
//     optional second JWT key);
//   - the fiscal archive CronJob (once a year, pg_dump from the read-only service as a read-only
//     role the Cluster declares, a pinned rclone upload that S3 Object Lock accepts, hardening,
//     the NetworkPolicies that let it reach the database and nothing else);
//   - the examples (examples/*.yaml: the point-in-time restore Cluster) against the CRD schema
//     and what a restore needs (its source is the backed-up cluster's archive, a target time
//     with an offset, its own backups elsewhere);
//   - the overlay rendered by `kubectl kustomize` when kubectl is on PATH, each object again;
//   - negative cases: broken manifests must fail the same validators.
// Usage: node tests/deploy/validate.mjs [deploy/kubernetes]
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import YAML from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const root = path.resolve(process.argv[2] || path.join(repo, "deploy/kubernetes"));
const crdDir = process.env.COOPD_CNPG_CRDS || path.resolve(repo, "../shared/validators/cloudnative-pg");

let passed = 0;
let failed = 0;
function report(ok, what, detail) {
	if (ok) {
		passed++;
		console.log(`ok   ${what}`);
	} else {
		failed++;
		console.log(`FAIL ${what}`);
		if (detail) console.log(String(detail).split("\n").slice(0, 20).map((l) => "    " + l).join("\n"));
	}
}

// --- CloudNativePG CRD schemas -----------------------------------------------------------------
// A structural schema as JSON Schema: x-kubernetes-int-or-string allows an integer or a string;
// x-kubernetes-preserve-unknown-fields keeps an object open; any other object with properties is
// closed, so a misspelt field fails instead of being pruned by the API server.
function structural(s) {
	if (Array.isArray(s)) return s.map(structural);
	if (!s || typeof s !== "object") return s;
	const out = {};
	for (const [k, v] of Object.entries(s)) {
		if (k.startsWith("x-kubernetes-")) continue;
		if (k === "properties" || k === "patternProperties") {
			out[k] = Object.fromEntries(Object.entries(v).map(([n, p]) => [n, structural(p)]));
		} else if (k === "format") {
			continue; // formats (int32, date-time, byte, ...) are not checked
		} else {
			out[k] = structural(v);
		}
	}
	if (s["x-kubernetes-int-or-string"]) {
		delete out.type;
		out.anyOf = [{ type: "integer" }, { type: "string" }];
	}
	if (s.properties && !s["x-kubernetes-preserve-unknown-fields"] && out.additionalProperties === undefined)
		out.additionalProperties = false;
	return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });
const crdValidators = new Map(); // "apiVersion/kind" -> validate function
let crdsPresent = false;
if (existsSync(crdDir)) {
	for (const f of readdirSync(crdDir).filter((f) => f.endsWith(".yaml")).sort()) {
		const crd = YAML.parse(readFileSync(path.join(crdDir, f), "utf8"));
		if (crd?.kind !== "CustomResourceDefinition") continue;
		for (const v of crd.spec.versions) {
			const schema = structural(v.schema.openAPIV3Schema);
			schema.properties.metadata = { type: "object" };
			crdValidators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(schema));
		}
	}
	crdsPresent = crdValidators.size > 0;
}

// --- core kinds ----------------------------------------------------------------------------
async function coreModel(apiVersion, kind) {
	const group = apiVersion.includes("/") ? apiVersion : `v1`;
	const mod = group === "v1" ? `kubernetes-models/v1/${kind}` : `kubernetes-models/${group}/${kind}`;
	try {
		const m = await import(mod);
		return m[kind];
	} catch {
		return null;
	}
}

// --- the ServiceMonitor, by hand -----------------------------------------------------------
function checkServiceMonitor(sm, objects) {
	const errs = [];
	if (sm.apiVersion !== "monitoring.coreos.com/v1") errs.push("apiVersion must be monitoring.coreos.com/v1");
	if (!sm.metadata?.name) errs.push("metadata.name is required");
	const spec = sm.spec;
	if (!spec || typeof spec !== "object") return [...errs, "spec is required"];
	const sel = spec.selector?.matchLabels;
	if (!spec.selector || typeof spec.selector !== "object") errs.push("spec.selector is required");
	if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) errs.push("spec.endpoints must list at least one endpoint");
	const known = new Set(["selector", "endpoints", "namespaceSelector", "jobLabel", "targetLabels", "podTargetLabels",
		"sampleLimit", "scrapeProtocols", "attachMetadata", "targetLimit"]);
	for (const k of Object.keys(spec)) if (!known.has(k)) errs.push(`spec.${k} is not a ServiceMonitor field`);
	const services = objects.filter((o) => o.kind === "Service" &&
		sel && Object.entries(sel).every(([k, v]) => o.metadata?.labels?.[k] === v));
	if (sel && services.length === 0) errs.push("spec.selector matches no Service of the set");
	for (const [i, e] of (spec.endpoints || []).entries()) {
		if (!e || typeof e !== "object" || (!e.port && e.targetPort === undefined)) { errs.push(`endpoints[${i}] needs port or targetPort`); continue; }
		if (e.path !== undefined && (typeof e.path !== "string" || !e.path.startsWith("/"))) errs.push(`endpoints[${i}].path must start with /`);
		if (e.scheme !== undefined && !["http", "https", "HTTP", "HTTPS"].includes(e.scheme)) errs.push(`endpoints[${i}].scheme must be http or https`);
		if (e.interval !== undefined && !/^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/.test(e.interval)) errs.push(`endpoints[${i}].interval is not a duration`);
		if (e.port && services.length && !services.some((s) => s.spec?.ports?.some((p) => p.name === e.port)))
			errs.push(`endpoints[${i}].port "${e.port}" is not a port name of the selected Service`);
	}
	return errs;
}

// --- hardening every container of ours shares ----------------------------------------------
function hardening(c, pod, what) {
	const errs = [];
	const sc = c.securityContext || {};
	if (!(sc.runAsNonRoot || pod.securityContext?.runAsNonRoot)) errs.push(`${what}: runAsNonRoot is required`);
	if (sc.readOnlyRootFilesystem !== true) errs.push(`${what}: readOnlyRootFilesystem must be true`);
	if (sc.allowPrivilegeEscalation !== false) errs.push(`${what}: allowPrivilegeEscalation must be false`);
	if (!(sc.capabilities?.drop || []).includes("ALL")) errs.push(`${what}: capabilities must drop ALL`);
	if ((sc.seccompProfile?.type || pod.securityContext?.seccompProfile?.type) !== "RuntimeDefault")
		errs.push(`${what}: seccompProfile must be RuntimeDefault`);
	if (!c.resources?.requests || !c.resources?.limits?.memory) errs.push(`${what}: resources: requests and a memory limit are required`);
	return errs;
}
const envOf = (c) => Object.fromEntries((c.env || []).map((e) => [e.name, e]));
const labelsMatch = (sel, labels) => !!sel && Object.entries(sel).every(([k, v]) => labels?.[k] === v);

// --- the fiscal archive CronJob --------------------------------------------------------------
function checkFiscalArchive(cj, objects) {
	const errs = [];
	const spec = cj.spec || {};
	const f = String(spec.schedule ?? "").trim().split(/\s+/);
	if (f.length !== 5 || !f.slice(0, 3).every((x) => /^[0-9]+$/.test(x)) || f[3] !== "1" || f[4] !== "*")
		errs.push(`schedule "${spec.schedule}" must run once a year in January ("M H D 1 *")`);
	if (!spec.timeZone) errs.push("timeZone is required: the closed year is a calendar year of the Netherlands");
	if (spec.concurrencyPolicy !== "Forbid") errs.push("concurrencyPolicy must be Forbid");
	const tmpl = spec.jobTemplate?.spec?.template || {};
	const pod = tmpl.spec || {};
	const init = pod.initContainers || [];
	const main = pod.containers || [];
	for (const c of [...init, ...main]) errs.push(...hardening(c, pod, `container ${c.name}`));
	const text = (c) => [...(c.command || []), ...(c.args || [])].join(" ");
	const dump = [...init, ...main].find((c) => /\bpg_dump\b/.test(text(c)));
	let cluster = null;
	if (!dump) errs.push("no container runs pg_dump");
	else {
		if (!init.includes(dump)) errs.push("pg_dump must run in an init container, before the upload");
		if (!/pg_dump (.* )?(--format=custom|-Fc)\b/.test(text(dump))) errs.push("pg_dump must write the custom format (--format=custom)");
		const env = envOf(dump);
		const host = env.PGHOST?.value ?? "";
		if (!/-ro$/.test(host)) errs.push(`PGHOST "${host}" must be the cluster's read-only service (<cluster>-ro)`);
		const userSecret = env.PGUSER?.valueFrom?.secretKeyRef?.name;
		if (!userSecret || !env.PGPASSWORD?.valueFrom?.secretKeyRef) errs.push("PGUSER and PGPASSWORD must come from a Secret");
		cluster = objects.find((o) => o.kind === "Cluster" && host === `${o.metadata?.name}-ro`);
		if (!cluster && objects.some((o) => o.kind === "Cluster")) errs.push(`PGHOST "${host}" is the read-only service of no Cluster of the set`);
		if (cluster && userSecret) {
			const role = (cluster.spec?.managed?.roles || []).find((r) => r.passwordSecret?.name === userSecret);
			if (!role) errs.push(`the Cluster declares no managed role whose passwordSecret is ${userSecret}`);
			else {
				if (!(role.inRoles || []).includes("pg_read_all_data")) errs.push(`role ${role.name} must be in pg_read_all_data`);
				if (role.inherit === false) errs.push(`role ${role.name} must inherit (pg_read_all_data's rights)`);
				if (role.bypassrls !== true) errs.push(`role ${role.name} needs bypassrls: pg_dump refuses tables whose policies hide rows`);
				if (role.login !== true) errs.push(`role ${role.name} must log in`);
				for (const k of ["superuser", "createdb", "createrole", "replication"])
					if (role[k]) errs.push(`role ${role.name} must not have ${k}`);
				if ((role.inRoles || []).some((r) => r !== "pg_read_all_data")) errs.push(`role ${role.name} must be in no role but pg_read_all_data`);
			}
		}
	}
	const up = main.find((c) => /(^|\/)rclone(:|@)/.test(c.image || ""));
	if (!up) errs.push("no rclone container uploads the dump");
	else {
		const tag = (up.image.split("@")[0].split("/").pop().split(":")[1]) ?? "";
		if (!up.image.includes("@sha256:") && (!/^v?[0-9]+\.[0-9]+\.[0-9]+$/.test(tag)))
			errs.push(`the rclone image "${up.image}" must be pinned to a version (or a digest)`);
		const args = (up.args || []).join(" ");
		if (!/--s3-upload-cutoff[= ]0\b/.test(args))
			errs.push("the upload must be multipart (--s3-upload-cutoff=0): each part then carries the Content-MD5 that S3 requires in an Object Lock bucket");
		for (const [name, e] of Object.entries(envOf(up)))
			if (/ACCESS_KEY|SECRET/.test(name) && !e.valueFrom?.secretKeyRef) errs.push(`${name} must come from a Secret`);
	}
	if (dump && up) {
		const vols = Object.fromEntries((pod.volumes || []).map((v) => [v.name, v]));
		const shared = (dump.volumeMounts || []).filter((m) => (up.volumeMounts || []).some((n) => n.name === m.name) && vols[m.name]?.emptyDir);
		if (shared.length === 0) errs.push("the dump and the upload must share an emptyDir volume");
	}
	const labels = tmpl.metadata?.labels || {};
	const nps = objects.filter((o) => o.kind === "NetworkPolicy");
	if (nps.length) {
		const own = nps.filter((np) => labelsMatch(np.spec?.podSelector?.matchLabels, labels));
		const egressDb = own.some((np) => (np.spec.policyTypes || []).includes("Egress") &&
			(np.spec.egress || []).some((e) => (e.ports || []).some((p) => p.port === 5432) && (e.to || []).length > 0));
		if (!egressDb) errs.push("no NetworkPolicy restricts the archive pod's egress and lets it reach the database on 5432");
		if (!own.some((np) => (np.spec.policyTypes || []).includes("Ingress") && (np.spec.ingress || []).length === 0))
			errs.push("no NetworkPolicy refuses every connection to the archive pod");
		const admitted = nps.some((np) => np.spec?.podSelector?.matchLabels?.["cnpg.io/podRole"] === "instance" &&
			(np.spec.ingress || []).some((r) => (r.ports || []).some((p) => p.port === 5432) &&
				(r.from || []).some((fr) => fr.podSelector && !fr.namespaceSelector && labelsMatch(fr.podSelector.matchLabels, labels))));
		if (!admitted) errs.push("the database instances' NetworkPolicy does not admit the archive pod on 5432");
	}
	return errs;
}

// --- the restore example ---------------------------------------------------------------------
// A Cluster bootstrapped by recovery: from the archive of the cluster it replaces (same
// destinationPath and serverName), to a time with an explicit offset, and backing up elsewhere.
function checkRestoreCluster(c, source) {
	const errs = [];
	const rec = c.spec?.bootstrap?.recovery;
	if (!rec) return ["spec.bootstrap.recovery is required"];
	const ext = (c.spec.externalClusters || []).find((e) => e.name === rec.source);
	if (!ext) errs.push(`bootstrap.recovery.source "${rec.source}" names no externalClusters entry`);
	else if (!ext.barmanObjectStore) errs.push(`externalClusters ${ext.name} has no barmanObjectStore`);
	const t = rec.recoveryTarget?.targetTime;
	if (t === undefined) errs.push("recoveryTarget.targetTime is required (point in time)");
	else if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$/.test(t) || Number.isNaN(Date.parse(t.replace(" ", "T").replace(/([+-][0-9]{2})$/, "$1:00"))))
		errs.push(`targetTime "${t}" must be a timestamp with its UTC offset`);
	const srcStore = source?.spec?.backup?.barmanObjectStore;
	if (source && ext?.barmanObjectStore) {
		if (ext.barmanObjectStore.destinationPath !== srcStore?.destinationPath)
			errs.push(`externalClusters ${ext.name}: destinationPath must be the backed-up cluster's (${srcStore?.destinationPath})`);
		if ((ext.barmanObjectStore.serverName ?? ext.name) !== source.metadata.name)
			errs.push(`externalClusters ${ext.name}: serverName must be ${source.metadata.name}, the name its backups carry`);
		if (c.metadata?.name === source.metadata.name) errs.push("the restored cluster needs a new name");
		const own = c.spec.backup?.barmanObjectStore;
		if (own && own.destinationPath === srcStore?.destinationPath && (own.serverName ?? c.metadata.name) === source.metadata.name)
			errs.push("the restored cluster must not archive into the archive it was restored from");
		const major = (img) => String(img ?? "").split(":").pop().split(".")[0];
		if (source.spec.imageName && major(c.spec.imageName) !== major(source.spec.imageName))
			errs.push(`imageName ${c.spec.imageName} is another PostgreSQL major version than the backups' (${source.spec.imageName})`);
	}
	return errs;
}

// --- what coopd requires of its Deployment -------------------------------------------------
function checkCoopdDeployment(d) {
	const errs = [];
	const spec = d.spec || {};
	const pod = spec.template?.spec || {};
	const c = (pod.containers || []).find((x) => x.name === "coopd");
	if (!c) return ["no container named coopd"];
	if (!(spec.replicas >= 2)) errs.push("replicas must be at least 2");
	const probe = (p, pathWanted, name) => {
		if (p?.httpGet?.path !== pathWanted) errs.push(`${name} must GET ${pathWanted}`);
	};
	probe(c.livenessProbe, "/v1/health", "livenessProbe");
	probe(c.readinessProbe, "/v1/ready", "readinessProbe");
	if (!c.startupProbe) errs.push("startupProbe is required");
	if (!c.resources?.requests || !c.resources?.limits?.memory) errs.push("resources: requests and a memory limit are required");
	const sc = c.securityContext || {};
	if (!(sc.runAsNonRoot || pod.securityContext?.runAsNonRoot)) errs.push("runAsNonRoot is required");
	if (sc.readOnlyRootFilesystem !== true) errs.push("readOnlyRootFilesystem must be true");
	if (sc.allowPrivilegeEscalation !== false) errs.push("allowPrivilegeEscalation must be false");
	if (!(sc.capabilities?.drop || []).includes("ALL")) errs.push("capabilities must drop ALL");
	const seccomp = sc.seccompProfile?.type || pod.securityContext?.seccompProfile?.type;
	if (seccomp !== "RuntimeDefault") errs.push("seccompProfile must be RuntimeDefault");
	const env = Object.fromEntries((c.env || []).map((e) => [e.name, e]));
	if (!env.COOPD_JWT_SECRET?.valueFrom?.secretKeyRef && !env.COOPD_JWT_PRIVATE_KEY_FILE)
		errs.push("the JWT key must come from a Secret");
	// Key rotation (deploy/README.md): the second key from the same Secret, optional, so that it
	// is set by adding a key to the Secret and a rollout restart, not by a manifest change.
	const main = env.COOPD_JWT_SECRET?.valueFrom?.secretKeyRef;
	const second = env.COOPD_JWT_SECOND_SECRET;
	if (main && !second) errs.push("COOPD_JWT_SECOND_SECRET must be wired (optional) for key rotation");
	if (second) {
		const r = second.valueFrom?.secretKeyRef;
		if (!r) errs.push("COOPD_JWT_SECOND_SECRET must come from a Secret");
		else {
			if (r.optional !== true) errs.push("COOPD_JWT_SECOND_SECRET must be optional: true (present only during a rotation)");
			if (main && r.name !== main.name) errs.push("COOPD_JWT_SECOND_SECRET must come from the Secret of COOPD_JWT_SECRET");
			if (main && r.key === main.key) errs.push("COOPD_JWT_SECOND_SECRET must be another key of that Secret");
		}
	}
	if (!env.DATABASE_URL) errs.push("DATABASE_URL is required");
	if (!env.PGPASSWORD?.valueFrom?.secretKeyRef && !env.DATABASE_URL?.valueFrom?.secretKeyRef)
		errs.push("the database password must come from a Secret");
	if (env.COOPD_LISTEN?.value?.split(":")[0] !== "0.0.0.0") errs.push("COOPD_LISTEN must listen on 0.0.0.0 in a container");
	return errs;
}

// --- one object --------------------------------------------------------------------------------
async function validateObject(o, objects) {
	if (!o || typeof o !== "object" || typeof o.apiVersion !== "string" || typeof o.kind !== "string")
		return { errs: ["not a Kubernetes object (apiVersion and kind are required)"] };
	const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
	if (group === "postgresql.cnpg.io") {
		if (!crdsPresent) return { skipped: true };
		const v = crdValidators.get(`${group}/${version}/${o.kind}`);
		if (!v) return { errs: [`no CRD schema for ${o.apiVersion} ${o.kind}`] };
		if (!o.metadata?.name) return { errs: ["metadata.name is required"] };
		return { errs: v(o) ? [] : v.errors.map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""}`) };
	}
	if (o.apiVersion === "monitoring.coreos.com/v1" && o.kind === "ServiceMonitor")
		return { errs: checkServiceMonitor(o, objects) };
	const Model = await coreModel(o.apiVersion, o.kind);
	if (!Model) return { errs: [`unknown kind ${o.apiVersion} ${o.kind}`] };
	const errs = [];
	try {
		new Model(o).validate();
	} catch (e) {
		errs.push(e.message);
	}
	if (!o.metadata?.name) errs.push("metadata.name is required");
	if (o.kind === "Deployment" && o.metadata?.name === "coopd") errs.push(...checkCoopdDeployment(o));
	if (o.kind === "CronJob" && o.metadata?.name === "coopd-fiscal-archive") errs.push(...checkFiscalArchive(o, objects));
	return { errs };
}

async function validateSet(label, docs) {
	const objects = docs.map((d) => d.obj);
	for (const { obj, where } of docs) {
		const r = await validateObject(obj, objects);
		const what = `${label}${where} ${obj?.kind ?? "?"}/${obj?.metadata?.name ?? "?"}`;
		if (r.skipped) console.log(`SKIPPED ${what}: the CloudNativePG CRDs are not in ${crdDir}`);
		else report(r.errs.length === 0, what, r.errs.join("\n"));
	}
}

function readDocs(file) {
	return YAML.parseAllDocuments(readFileSync(file, "utf8"))
		.map((d, i) => {
			if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
			return { obj: d.toJS(), where: `${path.relative(repo, file)}#${i + 1}` };
		})
		.filter((d) => d.obj !== null);
}

// --- the kustomizations ----------------------------------------------------------------------
function kustomizations(dir) {
	const out = [];
	for (const e of readdirSync(dir)) {
		const p = path.join(dir, e);
		if (statSync(p).isDirectory()) out.push(...kustomizations(p));
		else if (e === "kustomization.yaml") out.push(p);
	}
	return out.sort();
}

async function main() {
	if (!crdsPresent)
		console.log(`SKIPPED the CloudNativePG schema validation: no CRDs in ${crdDir} (in CI they are there)`);
	const kfiles = kustomizations(root);
	report(kfiles.length >= 2, `kustomizations found under ${path.relative(repo, root)} (${kfiles.length})`);
	for (const k of kfiles) {
		const dir = path.dirname(k);
		const kz = YAML.parse(readFileSync(k, "utf8"));
		const missing = [];
		const resources = [];
		for (const r of kz.resources || []) {
			const p = path.resolve(dir, r);
			if (!existsSync(p)) missing.push(`resources: ${r}`);
			else if (statSync(p).isDirectory()) { if (!existsSync(path.join(p, "kustomization.yaml"))) missing.push(`resources: ${r} has no kustomization.yaml`); }
			else resources.push(p);
		}
		const patches = [...(kz.patches || []).map((x) => x.path).filter(Boolean), ...(kz.patchesStrategicMerge || [])];
		for (const p of patches) if (!existsSync(path.resolve(dir, p))) missing.push(`patches: ${p}`);
		report(missing.length === 0, `${path.relative(repo, k)}: every named file exists`, missing.join("\n"));
		// The files a kustomization names as resources are whole objects: validate each.
		const docs = resources.flatMap(readDocs);
		await validateSet("", docs);
		// A patch must be an object of a kind and name the kustomization builds.
		for (const p of patches) {
			const pd = readDocs(path.resolve(dir, p));
			const bad = pd.filter((d) => !d.obj?.kind || !d.obj?.metadata?.name).map((d) => d.where);
			report(bad.length === 0, `${path.relative(repo, path.resolve(dir, p))}: a patch naming kind and metadata.name`, bad.join("\n"));
		}
	}

	// The overlay rendered, when kubectl (with its built-in kustomize) is installed.
	const overlay = path.join(root, "overlays/example");
	const kubectl = spawnSync("kubectl", ["kustomize", overlay], { encoding: "utf8" });
	if (kubectl.error) {
		console.log("SKIPPED rendering the overlay: kubectl is not installed (every file was validated above)");
	} else {
		report(kubectl.status === 0, `kubectl kustomize ${path.relative(repo, overlay)}`, kubectl.stderr);
		if (kubectl.status === 0) {
			const docs = YAML.parseAllDocuments(kubectl.stdout).map((d, i) => ({ obj: d.toJS(), where: `#${i + 1}` }));
			const kinds = new Set(docs.map((d) => d.obj.kind));
			const want = ["Cluster", "ScheduledBackup", "Pooler", "Deployment", "Job", "Service", "Ingress",
				"NetworkPolicy", "PodDisruptionBudget", "ServiceMonitor", "CronJob"];
			const lacking = want.filter((k) => !kinds.has(k));
			report(lacking.length === 0, "the rendered overlay holds every kind coopd needs", `missing: ${lacking.join(", ")}`);
			const podOf = (o) => o.spec?.jobTemplate?.spec?.template?.spec || o.spec?.template?.spec || {};
			const images = docs.flatMap((d) => [...(podOf(d.obj).initContainers || []), ...(podOf(d.obj).containers || [])].map((c) => c.image));
			report(images.length > 0 && images.every((i) => i.includes("/") && i.includes(":")),
				"the overlay replaces the placeholder image", images.join("\n"));
			await validateSet("rendered overlay", docs);
		}
	}

	// The examples: whole objects, validated like the base, and a restore Cluster against the
	// cluster whose backups it restores (the base with the example overlay's backup store).
	const exdir = path.join(root, "examples");
	const baseCluster = readDocs(path.join(root, "base", "cluster.yaml"))[0].obj;
	const overlayCluster = readDocs(path.join(root, "overlays", "example", "cluster.yaml"))[0].obj;
	const source = JSON.parse(JSON.stringify(baseCluster));
	source.spec.imageName = overlayCluster.spec?.imageName ?? source.spec.imageName;
	Object.assign(source.spec.backup.barmanObjectStore, overlayCluster.spec?.backup?.barmanObjectStore || {});
	const examples = existsSync(exdir) ? readdirSync(exdir).filter((f) => f.endsWith(".yaml")).sort() : [];
	report(examples.includes("restore-cluster.yaml"), "deploy/kubernetes/examples/restore-cluster.yaml exists");
	for (const f of examples) {
		const docs = readDocs(path.join(exdir, f));
		await validateSet("", docs);
		for (const { obj, where } of docs)
			if (obj.kind === "Cluster" && obj.spec?.bootstrap?.recovery) {
				const errs = checkRestoreCluster(obj, source);
				report(errs.length === 0, `${where} restores ${source.metadata.name} (${source.spec.backup.barmanObjectStore.destinationPath}) to a point in time`, errs.join("\n"));
			}
	}

	// Negative cases: each must be refused.
	const base = (f) => readDocs(path.join(root, "base", f))[0].obj;
	const clone = (o) => JSON.parse(JSON.stringify(o));
	const broken = [];
	{ const c = clone(base("cluster.yaml")); c.spec.instances = "three"; broken.push(["a Cluster with instances: \"three\"", c, true]); }
	{ const c = clone(base("cluster.yaml")); c.spec.instancez = 3; broken.push(["a Cluster with a misspelt field", c, true]); }
	{ const c = clone(base("cluster.yaml")); c.spec.backup.retentionPolicy = "7y"; broken.push(["a Cluster with retentionPolicy 7y", c, true]); }
	{ const p = clone(base("pooler.yaml")); p.spec.pgbouncer.poolMode = "statement"; broken.push(["a Pooler in statement mode", p, true]); }
	{ const s = clone(base("scheduled-backup.yaml")); delete s.spec.cluster; broken.push(["a ScheduledBackup without its cluster", s, true]); }
	{ const d = clone(base("deployment.yaml")); delete d.spec.template.spec.containers; broken.push(["a Deployment without containers", d, false]); }
	{ const d = clone(base("deployment.yaml")); d.spec.replicas = "2"; broken.push(["a Deployment with replicas: \"2\"", d, false]); }
	{ const d = clone(base("deployment.yaml")); d.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false; broken.push(["coopd with a writable root file system", d, false]); }
	{ const s = clone(base("service.yaml")); s.spec.ports[0].port = "eighty"; broken.push(["a Service with a port name for a number", s, false]); }
	{ const i = clone(base("ingress.yaml")); i.spec.rules[0].http.paths[0].pathType = "Everything"; broken.push(["an Ingress with a bad pathType", i, false]); }
	{ const m = clone(base("servicemonitor.yaml")); delete m.spec.endpoints; broken.push(["a ServiceMonitor without endpoints", m, false]); }
	{ const m = clone(base("servicemonitor.yaml")); m.spec.endpoints[0].port = "web"; broken.push(["a ServiceMonitor naming a port the Service lacks", m, false]); }
	{ const d = clone(base("deployment.yaml")); d.spec.template.spec.containers[0].env.find((e) => e.name === "COOPD_JWT_SECOND_SECRET").valueFrom.secretKeyRef.optional = false; broken.push(["coopd with a second JWT key that is not optional", d, false]); }
	{ const d = clone(base("deployment.yaml")); d.spec.template.spec.containers[0].env.find((e) => e.name === "COOPD_JWT_SECOND_SECRET").valueFrom.secretKeyRef.name = "other"; broken.push(["coopd with a second JWT key from another Secret", d, false]); }
	{ const d = clone(base("deployment.yaml")); d.spec.template.spec.containers[0].env = d.spec.template.spec.containers[0].env.filter((e) => e.name !== "COOPD_JWT_SECOND_SECRET"); broken.push(["coopd without the second JWT key's wiring", d, false]); }
	const archive = () => clone(base("fiscal-archive-cronjob.yaml"));
	const archivePod = (a) => a.spec.jobTemplate.spec.template.spec;
	{ const a = archive(); a.spec.schedule = "0 3 * * *"; broken.push(["a fiscal archive every night", a, false]); }
	{ const a = archive(); delete a.spec.timeZone; broken.push(["a fiscal archive without its time zone", a, false]); }
	{ const a = archive(); archivePod(a).containers[0].image = "docker.io/rclone/rclone:latest"; broken.push(["a fiscal archive with rclone:latest", a, false]); }
	{ const a = archive(); archivePod(a).containers[0].args = archivePod(a).containers[0].args.filter((x) => !x.startsWith("--s3-upload-cutoff")); broken.push(["a fiscal archive whose small puts lack Content-MD5", a, false]); }
	{ const a = archive(); archivePod(a).initContainers[0].securityContext.readOnlyRootFilesystem = false; broken.push(["a fiscal archive dump with a writable root file system", a, false]); }
	{ const a = archive(); archivePod(a).initContainers[0].env.find((e) => e.name === "PGHOST").value = "coopd-db-rw"; broken.push(["a fiscal archive dumping the primary", a, false]); }
	{ const a = archive(); archivePod(a).containers[0].env.find((e) => e.name === "RCLONE_CONFIG_ARCHIVE_SECRET_ACCESS_KEY").value = "x"; delete archivePod(a).containers[0].env.find((e) => e.name === "RCLONE_CONFIG_ARCHIVE_SECRET_ACCESS_KEY").valueFrom; broken.push(["a fiscal archive with its bucket secret in the manifest", a, false]); }
	{ const a = archive(); a.spec.jobTemplate.spec.template.metadata.labels["app.kubernetes.io/component"] = "archive"; broken.push(["a fiscal archive pod no NetworkPolicy names", a, false]); }
	const archiveSet = [baseCluster, ...readDocs(path.join(root, "base", "networkpolicy.yaml")).map((d) => d.obj)];
	const withRole = (change) => { const c = clone(baseCluster); change(c.spec.managed.roles.find((r) => r.name === "coopd_archive")); return c; };
	const roleCases = [
		["a fiscal archive role that is superuser", (r) => { r.superuser = true; }],
		["a fiscal archive role without pg_read_all_data", (r) => { r.inRoles = []; }],
		["a fiscal archive role without bypassrls", (r) => { r.bypassrls = false; }],
		["a fiscal archive role that may write (pg_write_all_data)", (r) => { r.inRoles.push("pg_write_all_data"); }],
	];
	const restore = () => clone(readDocs(path.join(exdir, "restore-cluster.yaml"))[0].obj);
	const restoreCases = [];
	{ const c = restore(); c.spec.bootstrap.recovery.source = "nowhere"; restoreCases.push(["a restore whose source names no external cluster", c]); }
	{ const c = restore(); c.spec.bootstrap.recovery.recoveryTarget.targetTime = "2026-12-07 14:30:00"; restoreCases.push(["a restore target time without its offset", c]); }
	{ const c = restore(); c.spec.backup.barmanObjectStore.destinationPath = source.spec.backup.barmanObjectStore.destinationPath; c.spec.backup.barmanObjectStore.serverName = "coopd-db"; restoreCases.push(["a restored cluster archiving into its source's archive", c]); }
	{ const c = restore(); c.spec.externalClusters[0].barmanObjectStore.serverName = "coopd-db-restore"; restoreCases.push(["a restore from the wrong server name", c]); }
	{ const c = restore(); c.spec.imageName = "ghcr.io/cloudnative-pg/postgresql:16"; restoreCases.push(["a restore with another PostgreSQL major version", c]); }
	const set = [base("service.yaml")];
	for (const [what, o, cnpg] of broken) {
		if (cnpg && !crdsPresent) { console.log(`SKIPPED negative: ${what} (no CRDs)`); continue; }
		const r = await validateObject(o, o.kind === "CronJob" ? [...archiveSet, o] : [...set, o]);
		report(r.errs && r.errs.length > 0, `negative: ${what} is refused${r.errs?.length ? ` (${r.errs[0].split("\n")[0].slice(0, 100)})` : ""}`);
	}
	for (const [what, change] of roleCases) {
		const errs = checkFiscalArchive(archive(), [withRole(change), ...archiveSet.slice(1)]);
		report(errs.length > 0, `negative: ${what} is refused${errs.length ? ` (${errs[0].slice(0, 100)})` : ""}`);
	}
	for (const [what, c] of restoreCases) {
		const errs = checkRestoreCluster(c, source);
		report(errs.length > 0, `negative: ${what} is refused${errs.length ? ` (${errs[0].slice(0, 100)})` : ""}`);
	}
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.log(`FAIL the validator itself: ${e.stack || e}`);
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
});
