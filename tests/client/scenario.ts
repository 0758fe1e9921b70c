// The typed client scenario: the way an integrator would use coopd from TypeScript, with types
// generated from api/openapi.yaml by openapi-typescript (generated/api.d.ts, made by run.mjs) and
// calls through openapi-fetch. tsc --strict checks it before it runs; run.mjs then calls
// scenario() against a real coopd. Any unexpected answer throws.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api.js";

type Schemas = components["schemas"];
// The list endpoints answer application/json and text/csv: without the media type argument
// their `data` would be the union of the JSON page and a string.
type Client = ReturnType<typeof createClient<paths, "application/json">>;

function check(cond: boolean, what: string): asserts cond {
	if (!cond) throw new Error(`check failed: ${what}`);
}

/** The body of a successful answer, or an Error naming the call, the status and the problem. */
function ok<T>(call: string, r: { data?: T; error?: unknown; response: Response }): T {
	if (r.data === undefined || !r.response.ok)
		throw new Error(`${call}: ${r.response.status} ${JSON.stringify(r.error ?? null)}`);
	return r.data;
}

function client(baseUrl: string, token?: string): Client {
	return createClient<paths, "application/json">({
		baseUrl,
		headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
	});
}

async function login(baseUrl: string, grant: Schemas["TokenRequest"]): Promise<string> {
	const r = await client(baseUrl).POST("/v1/auth/token", { body: grant });
	const t: Schemas["TokenResponse"] = ok(`token (${grant.grant_type})`, r);
	check(t.token_type === "Bearer", "a Bearer token");
	return t.access_token;
}

export interface Settings {
	baseUrl: string;
	adminPassword: string;
	/** A fresh municipality code (GMnnnn) and a suffix for unique names. */
	municipality: string;
	unique: string;
}

/** Runs the scenario; returns one line per step done. */
export async function scenario(s: Settings): Promise<string[]> {
	const done: string[] = [];
	const period = "2026-03";

	// A platform administrator logs in.
	const admin = client(s.baseUrl, await login(s.baseUrl, { grant_type: "password", username: "admin", password: s.adminPassword }));
	const me: Schemas["User"] = ok("me", await admin.GET("/v1/me"));
	check(me.role === "platform_admin", "admin is a platform_admin");
	done.push("logged in as admin (password grant)");

	// The municipality with its policy, the cooperative with its fee policy.
	const muni: Schemas["Municipality"] = ok("municipality", await admin.POST("/v1/municipalities", {
		body: { code: s.municipality, name: `Gemeente ${s.unique}` },
	}));
	ok("municipal policy", await admin.POST("/v1/municipalities/{code}/policies", {
		params: { path: { code: muni.code } },
		body: { valid_from: "2025-01-01", tax_reservation_bp: 1000 },
	}));
	const coop: Schemas["Cooperative"] = ok("cooperative", await admin.POST("/v1/cooperatives", {
		body: {
			legal_name: `Werkcooperatie ${s.unique} U.A.`,
			kvk_number: "12345678",
			vat_id: "NL002455799B11",
			iban: "NL91ABNA0417164300",
			address: { street: "Oudegracht", house_number: "12", postal_code: "3511 AB", city: "Utrecht" },
			invoice_prefix: `T${s.unique.toUpperCase()}`,
		},
	}));
	ok("fee policy", await admin.POST("/v1/cooperatives/{coop_id}/fee-policies", {
		params: { path: { coop_id: coop.id } },
		body: { valid_from: "2025-01-01", percentage_bp: 500 },
	}));
	done.push(`created municipality ${muni.code} and cooperative ${coop.id}`);

	// A member on benefit, the municipality's permission, a customer.
	const member: Schemas["Member"] = ok("member", await admin.POST("/v1/cooperatives/{coop_id}/members", {
		params: { path: { coop_id: coop.id } },
		body: {
			first_name: "Fatima",
			last_name: "Bakker",
			date_of_birth: "1985-03-14",
			address: { street: "Kerkstraat", house_number: "7", postal_code: "3512 CD", city: "Utrecht" },
			municipality_code: muni.code,
			status: "active",
			joined_on: "2025-01-01",
			municipal_reference: `REF-${s.unique}`,
		},
	}));
	check(member.cooperative_id === coop.id, "the member is the cooperative's");
	const permission: Schemas["Permission"] = ok("permission", await admin.POST("/v1/members/{member_id}/permissions", {
		params: { path: { member_id: member.id } },
		body: {
			municipality_code: muni.code,
			decision_reference: `BESL-${s.unique}`,
			valid_from: "2026-01-01",
			valid_until: "2026-12-31",
			goal: "reintegration",
		},
	}));
	const customer: Schemas["Customer"] = ok("customer", await admin.POST("/v1/cooperatives/{coop_id}/customers", {
		params: { path: { coop_id: coop.id } },
		body: {
			name: "Buurthuis De Pijp",
			kvk_number: "12345678",
			address: { street: "Van Ostadestraat", house_number: "153", postal_code: "1072 SV", city: "Amsterdam" },
		},
	}));
	done.push(`created member ${member.id}, permission ${permission.id}, customer ${customer.id}`);

	// A draft invoice, issued.
	const draft: Schemas["Invoice"] = ok("draft invoice", await admin.POST("/v1/cooperatives/{coop_id}/invoices", {
		params: { path: { coop_id: coop.id } },
		body: {
			member_id: member.id,
			customer_id: customer.id,
			supply_date: `${period}-10`,
			lines: [{
				description: "Tuinonderhoud",
				quantity: "4",
				unit: "hour",
				unit_price_cents: 2500,
				activity_category: "gardening",
				vat_category: "S",
				vat_rate_bp: 2100,
			}],
		},
	}));
	check(draft.status === "draft" && draft.number === null, "a draft has no number");
	check(draft.totals.net_cents === 10000, `net 100.00 (${draft.totals.net_cents})`);
	const issued: Schemas["Invoice"] = ok("issue", await admin.POST("/v1/invoices/{invoice_id}/issue", {
		params: { path: { invoice_id: draft.id } },
	}));
	check(issued.status === "issued" && issued.number !== null, "an issued invoice has a number");
	const number: string = issued.number;
	done.push(`issued invoice ${number} (${issued.totals.gross_cents} cents gross)`);

	// Its PDF and its UBL e-invoice.
	const pdf = await admin.GET("/v1/invoices/{invoice_id}/pdf", {
		params: { path: { invoice_id: issued.id } },
		parseAs: "arrayBuffer",
	});
	const pdfBytes: ArrayBuffer = ok("pdf", pdf);
	check(pdf.response.headers.get("content-type") === "application/pdf", "the PDF's type");
	check(new TextDecoder().decode(pdfBytes.slice(0, 5)) === "%PDF-", "a PDF document");
	const ubl = await admin.GET("/v1/invoices/{invoice_id}/ubl", {
		params: { path: { invoice_id: issued.id } },
		parseAs: "text",
	});
	const ublText: string = ok("ubl", ubl);
	check(ublText.includes("<Invoice") && ublText.includes(`>${number}<`), "a UBL invoice with its number");
	done.push(`fetched the PDF (${pdfBytes.byteLength} bytes) and the UBL (${ublText.length} characters)`);

	// The month's settlement: calculated, read, finalized.
	const month: Schemas["SettlementPeriod"] = ok("calculate", await admin.POST("/v1/cooperatives/{coop_id}/settlements/{period}", {
		params: { path: { coop_id: coop.id, period } },
	}));
	check(month.status === "open" && month.turnover_cents === 10000, `calculated turnover 100.00 (${month.turnover_cents})`);
	const rows: Schemas["SettlementRowList"] = ok("settlement rows", await admin.GET("/v1/cooperatives/{coop_id}/settlements/{period}", {
		params: { path: { coop_id: coop.id, period } },
	}));
	const row: Schemas["SettlementRow"] | undefined = rows.data.find((x) => x.member_id === member.id);
	check(row !== undefined, "the member has a row");
	check(row.turnover_cents === 10000 && row.settles_with_municipality, "the row settles 100.00 with the municipality");
	const final: Schemas["SettlementPeriod"] = ok("finalize", await admin.POST("/v1/cooperatives/{coop_id}/settlements/{period}/finalize", {
		params: { path: { coop_id: coop.id, period } },
	}));
	check(final.status === "final", "the month is final");
	done.push(`calculated, read and finalized ${period}: ${month.rows} row(s), ${month.amount_to_settle_cents} cents to settle`);

	// The municipality's system: an API client, logged in with client_credentials, reads its feed.
	const created: Schemas["UserCreated"] = ok("api client", await admin.POST("/v1/users", {
		body: { username: `gm-koppeling-${s.unique}`, kind: "client", role: "municipality", municipality_code: muni.code },
	}));
	check(created.client_secret !== undefined, "a client gets its secret once");
	const system = client(s.baseUrl, await login(s.baseUrl, {
		grant_type: "client_credentials",
		client_id: created.username,
		client_secret: created.client_secret,
	}));
	const feed: Schemas["SettlementFeedPage"] = ok("feed", await system.GET("/v1/municipalities/{code}/settlements", {
		params: { path: { code: muni.code }, query: { period } },
	}));
	const item: Schemas["SettlementFeedItem"] | undefined = feed.data.find((x) => x.member_id === member.id);
	check(feed.data.length === 1 && item !== undefined, `the feed holds the member's row (${feed.data.length})`);
	check(item.status === "final" && item.version === 1 && item.turnover_cents === 10000, "version 1, final, 100.00");
	check(item.municipal_reference === `REF-${s.unique}`, "with the municipal reference");
	const other = await system.GET("/v1/cooperatives/{coop_id}/settlements/{period}", {
		params: { path: { coop_id: coop.id, period } },
	});
	check(other.response.status === 403 && other.error !== undefined, `a municipality cannot read the cooperative's month (${other.response.status})`);
	done.push(`read the municipal feed as ${created.username} (client_credentials): ${feed.data.length} row, cursor ${item.cursor}`);
	return done;
}
