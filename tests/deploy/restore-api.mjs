// The API side of the restore drill (tests/deploy/restore.sh): data made through coopd, and what
// a restored database must show through it. Node's standard library only.
//   node restore-api.mjs seed  BASE ADMIN_PASSWORD            → "COOP MEMBER CUSTOMER"
//   node restore-api.mjs issue BASE ADMIN_PASSWORD COOP MEMBER CUSTOMER N
//                                                             → the N new invoice numbers, one a line
//   node restore-api.mjs state BASE ADMIN_PASSWORD COOP       → {"numbers":[...], "chain":{...},
//                                                                "platform_chain":{...}}
// Exits 1 with the method, path, status and body of the first answer that is not a 2xx.
const [cmd, base, password, ...rest] = process.argv.slice(2);

async function call(token, method, path, body) {
	const r = await fetch(base + path, {
		method,
		headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined,
		signal: AbortSignal.timeout(20000),
	});
	const text = await r.text();
	if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} answered ${r.status}: ${text}`);
	return text ? JSON.parse(text) : null;
}

async function login() {
	const t = await call(null, 'POST', '/v1/auth/token', { grant_type: 'password', username: 'admin', password });
	return t.access_token;
}

async function seed(token) {
	await call(token, 'POST', '/v1/municipalities', { code: 'GM0363', name: 'Amsterdam' });
	const coop = await call(token, 'POST', '/v1/cooperatives', {
		legal_name: 'Sociale Coöperatie Hersteld U.A.', trade_name: 'Hersteld', kvk_number: '12345678', rsin: '111222333',
		vat_id: 'NL002455799B11', iban: 'NL91ABNA0417164300', bic: 'ABNANL2A',
		address: { street: 'Damrak', house_number: '1', postal_code: '1012 LG', city: 'Amsterdam', country: 'NL' },
		email: 'administratie@hersteld.example', phone: '+31 20 123 4567', vat_scheme: 'standard', invoice_prefix: 'DRILL',
		reserve_cap_cents: 2500000, statutes: [], board: [],
	});
	// Not on benefit: issuing needs no permission.
	const member = await call(token, 'POST', `/v1/cooperatives/${coop.id}/members`, {
		first_name: 'Fatima', last_name: 'El Amrani', date_of_birth: '1988-04-12',
		address: { street: 'Kade', house_number: '1', postal_code: '1011 AB', city: 'Amsterdam' },
		municipality_code: 'GM0363', municipal_reference: 'Z-2025-1001', on_benefit: false, iban: 'NL02ABNA0123456789',
		activity_description: 'Tuinonderhoud', activity_category: 'gardening', status: 'active', joined_on: '2025-01-01',
	});
	const customer = await call(token, 'POST', `/v1/cooperatives/${coop.id}/customers`, {
		name: 'Buurthuis De Linde', address: { street: 'Lindengracht', house_number: '20', postal_code: '1015 KK', city: 'Amsterdam' },
		kvk_number: '87654321', email: 'info@delinde.example', payment_terms_days: 14,
	});
	return `${coop.id} ${member.id} ${customer.id}`;
}

async function issue(token, coop, member, customer, n) {
	const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Amsterdam' });
	const numbers = [];
	for (let i = 0; i < n; i++) {
		const draft = await call(token, 'POST', `/v1/cooperatives/${coop}/invoices`, {
			member_id: member, customer_id: customer, supply_date: today,
			lines: [{ description: 'Snoeien', quantity: '2', unit: 'hour', unit_price_cents: 3000, activity_category: 'gardening', vat_category: 'S', vat_rate_bp: 2100 }],
		});
		numbers.push((await call(token, 'POST', `/v1/invoices/${draft.id}/issue`)).number);
	}
	return numbers.join('\n');
}

async function state(token, coop) {
	const numbers = [];
	for (let after = null; ;) {
		const page = await call(token, 'GET', `/v1/cooperatives/${coop}/invoices?status=issued&limit=200${after ? `&after=${after}` : ''}`);
		numbers.push(...page.data.map((i) => i.number));
		if (!page.next_cursor) break;
		after = encodeURIComponent(page.next_cursor);
	}
	numbers.sort();
	const chain = await call(token, 'GET', `/v1/cooperatives/${coop}/audit-events/verify`);
	const platform = await call(token, 'GET', '/v1/audit-events/verify');
	return JSON.stringify({ numbers, chain, platform_chain: platform });
}

try {
	const token = await login();
	if (cmd === 'seed') console.log(await seed(token));
	else if (cmd === 'issue') console.log(await issue(token, rest[0], rest[1], rest[2], Number(rest[3])));
	else if (cmd === 'state') console.log(await state(token, rest[0]));
	else throw new Error(`unknown command ${cmd}`);
} catch (e) {
	console.error(`restore-api ${cmd}: ${e.message}`);
	process.exit(1);
}
