# shellcheck shell=bash
# Sourced by tests/bench/bench.sh (which defines psql_q, login, median, ratio, verdict, die, $base,
# $work, $db_url, $coopd_pid, $rounds, ...): the helpers of the municipal feed's measurements
# (used by bench.sh's feed section too), and scale_section, the measurements on the scale data
# set (BENCH_ONLY=scale, also in all).
#
# The scale data set (tests/bench/scale.sql): BENCH_SCALE_COOPS cooperatives of
# BENCH_SCALE_MEMBERS members, and one more cooperative of each size in BENCH_SCALE_GROWTH, with
# two years of issued invoices, payments, expenses and finalized months (all but last month),
# whose settlement rows fill the feed of three municipalities with about BENCH_SCALE_FEED, a
# tenth and a hundredth as many rows. Then, each against its yardstick in the same run (medians
# of BENCH_ROUNDS):
#   - the month calculation (POST /v1/cooperatives/{id}/settlements/{YYYY-MM}) of last month for
#     the first cooperative and the growth cooperatives, and its time per member (target: the
#     BENCH_SCALE_MEMBERS cooperative under 1 s);
#   - the municipal feed as CSV of each of the three municipalities, against one COPY of the same
#     query, and its time per row; and as JSON pages of 200 for the middle one, against COPY of
#     the same page statements (target at most 1.5 times COPY, memory flat);
#   - the first cooperative's invoice list: a page deep in it (after= a cursor near its end) and
#     the first page, BENCH_SCALE_REQUESTS requests each on one keep-alive connection (target:
#     the deep page's median latency about the first's, at most 1.5 times);
#   - coopd's peak resident memory (VmHWM) through the whole section (target under 64 MiB).
#
# Environment (all optional):
#   BENCH_SCALE_COOPS        cooperatives of the data set                        (100)
#   BENCH_SCALE_MEMBERS      members of each                                     (10000)
#   BENCH_SCALE_GROWTH       sizes of the growth cooperatives (space separated)  (1000 100000)
#   BENCH_SCALE_MONTHS       months of invoices, ending with last month          (24)
#   BENCH_SCALE_INVOICES     invoices per member over those months               (1)
#   BENCH_SCALE_BENEFIT_PCT  percent of the members on benefit                   (6)
#   BENCH_SCALE_PAID_PCT     percent of the invoices paid                        (20)
#   BENCH_SCALE_FEED         feed rows of the largest municipality               (1000000)
#   BENCH_SCALE_REQUESTS     requests per list page measured                     (200)
# A developer's small run: BENCH_ONLY=scale BENCH_SCALE_COOPS=4 BENCH_SCALE_MEMBERS=500
# BENCH_SCALE_GROWTH="100 2000" BENCH_SCALE_FEED=3000 BENCH_ROUNDS=1.

# ---- the feed's helpers ------------------------------------------------------------------------
# The municipality the COPY side runs as (row-level security), set before use.
feed_muni=
# The statements of service/domain/settlement_feed.c, with the municipality and position 0.
feed_from() { # CODE
	cat <<SQL
FROM settlement_feed f JOIN settlement_rows s ON s.id = f.row_id
CROSS JOIN LATERAL json_to_record(settlement_feed_doc(f, s)) AS x(id uuid, member_id uuid,
  cooperative_id uuid, period text, version integer, supersedes_version integer, status text,
  stale boolean, settles_with_municipality boolean, municipality_code text,
  municipal_reference text, permission_id uuid, income_basis text, cost_mode text,
  policy_valid_from date, parameters_valid_from date, fee_policy_valid_from date,
  turnover_cents bigint, fee_cents bigint, fee_deducted_cents bigint, costs_cents bigint,
  base_cents bigint, tax_reservation_cents bigint, net_income_cents bigint,
  exemption_cents bigint, premium_cents bigint, amount_to_settle_cents bigint,
  business_hours text, business_hours_ytd text, warnings text[], correction_reason text,
  calculated_at text, finalized_at text, acknowledged_at text, cursor text)
WHERE f.position > 0 AND f.municipality_code = '$1'
ORDER BY f.position
SQL
}
feed_csv_sql() {
	echo "COPY (SELECT x.id, x.member_id, x.cooperative_id, x.period, x.version,
  x.supersedes_version, x.status, x.stale, x.settles_with_municipality, x.municipality_code,
  x.municipal_reference, x.permission_id, x.income_basis, x.cost_mode, x.policy_valid_from,
  x.parameters_valid_from, x.fee_policy_valid_from, x.turnover_cents, x.fee_cents,
  x.fee_deducted_cents, x.costs_cents, x.base_cents, x.tax_reservation_cents,
  x.net_income_cents, x.exemption_cents, x.premium_cents, x.amount_to_settle_cents,
  x.business_hours, x.business_hours_ytd, array_to_string(x.warnings, ' ') AS warnings,
  x.correction_reason, x.calculated_at, x.finalized_at, x.acknowledged_at, x.cursor
$(feed_from "$1")) TO STDOUT WITH (FORMAT csv, HEADER)"
}
feed_json_sql() {
	echo "COPY (SELECT settlement_feed_doc(f, s)::text FROM settlement_feed f
  JOIN settlement_rows s ON s.id = f.row_id WHERE f.municipality_code = '$1' AND f.position > 0
  ORDER BY f.position) TO STDOUT"
}
# The statement of every JSON page of the feed as service/domain/list.h (LOGGED_LIST) and
# settlement_feed.c make it, with the values coopd binds: $1 the position the page comes after,
# $2 the limit + 1, $3 the municipality, $4 no month, $5 the request id, $6 the query. The
# pages' boundaries are computed beforehand, as coopd's client follows next_cursor.
feed_pages_sql() { # CODE
	psql_q -At -v code="$1" <<'SQL'
SELECT format($f$COPY (WITH page AS MATERIALIZED (SELECT settlement_feed_doc(f, s)::text AS doc,
  f.position AS pos, s.cooperative_id AS c, s.member_id AS m
  FROM settlement_feed f JOIN settlement_rows s ON s.id = f.row_id
  WHERE f.position > %1$s AND (f.municipality_code = %2$L
    AND (NULL::date IS NULL OR s.period = NULL::date)) ORDER BY f.position LIMIT 201),
logged AS MATERIALIZED (SELECT audit_municipal_read(%2$L, 'settlements.read', 'settlement_row',
  'bench-' || %1$s, %3$L::jsonb, array_agg(p.c ORDER BY p.pos), array_agg(p.m ORDER BY p.pos),
  NULL) AS n FROM (SELECT c, m, pos FROM page ORDER BY pos LIMIT 201::bigint - 1) p)
SELECT doc, pos FROM page WHERE (SELECT n FROM logged) IS NOT NULL ORDER BY pos) TO STDOUT;$f$,
  after, :'code', json_build_object('format', 'json', 'parameters',
                                    'limit=200' || CASE WHEN after > 0 THEN '&after=' || list_cursor(after) ELSE '' END))
FROM (SELECT coalesce(lag(position) OVER (ORDER BY position), 0) AS after,
             row_number() OVER (ORDER BY position) AS i
      FROM settlement_feed WHERE municipality_code = :'code') x
WHERE i % 200 = 1 ORDER BY after
SQL
}
# seconds and output bytes of a command
timed() { # OUT_FILE COMMAND...
	local out=$1 a b
	shift
	a=$(date +%s.%N)
	"$@" >"$out" || die "bench: $* failed"
	b=$(date +%s.%N)
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }'
}
# COPY runs as coopd runs a municipal system's request: as the role coopd_municipal, with the
# municipality set, under the same row-level security
feed_copy() { PGOPTIONS="-c role=coopd_municipal -c coopd.municipality=$feed_muni" psql "$db_url" -X -q -c "$1"; }
# (the same COPY without parallel workers, as one backend runs it: shown, not judged; a page of
# 200 is always read by one backend, while COPY of the whole feed gets a Gather with workers)
feed_copy_serial() {
	PGOPTIONS="-c role=coopd_municipal -c coopd.municipality=$feed_muni -c max_parallel_workers_per_gather=0" \
		psql "$db_url" -X -q -c "$1"
}
# the pages' statements as coopd runs them: as its municipal API client, each page a transaction
feed_copy_pages() { # USER_ID FILE
	PGOPTIONS="-c role=coopd_municipal -c coopd.municipality=$feed_muni -c coopd.user_id=$1 -c coopd.role=municipality" \
		psql "$db_url" -X -q -v ON_ERROR_STOP=1 -f "$2"
}
feed_csv_api() { # CODE
	curl -fsS -H "Authorization: Bearer $token" -H 'Accept: text/csv' \
		"$base/v1/municipalities/$1/settlements"
}
# every JSON page of the feed, one request after another on one keep-alive connection, as a
# municipal system polls it: each page's next_cursor followed (node's http module with a
# keep-alive agent: a shell loop would measure itself, and fetch costs ~1 ms a request itself).
# The client reads next_cursor from the end of the page, as psql writes COPY's rows without
# parsing them: parsing 500 pages would cost the client 1 to 2 s of the same two CPUs. Every page
# is parsed after the clock stops (the items are compared with COPY's).
feed_json_api() { # CODE
	node -e '
const http = require("http");
const [base, token, code] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (url) => new Promise((resolve, reject) => {
	http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
		const parts = [];
		res.on("data", (d) => parts.push(d));
		res.on("end", () => resolve([res.statusCode, Buffer.concat(parts)]));
	}).on("error", reject);
});
(async () => {
	let after = "";
	for (;;) {
		const [status, page] = await get(`${base}/v1/municipalities/${code}/settlements?limit=200${after}`);
		if (status !== 200) throw new Error(`feed page: ${status}`);
		if (page.subarray(0, 10).toString("latin1") === "{\"data\":[]") break;
		const next = /"next_cursor":"(c[0-9a-z]+)"}$/.exec(page.subarray(-48).toString("latin1"));
		if (!next) throw new Error("feed page: no next_cursor at its end");
		process.stdout.write(page);
		process.stdout.write("\n");
		after = `&after=${next[1]}`;
	}
	agent.destroy();
})().catch((e) => { console.error(e.message); process.exit(1); });' "$base" "$token" "$1"
}
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$coopd_pid/status"; } # kB
# the feed is read as a municipal system reads it: an API client of the municipality
# (client_credentials), whose requests run under row-level security and are audited
client_token() { # CODE: a new API client of that municipality, logged in
	local secret
	secret=$(curl -fsS -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
		-d "{\"username\":\"bench-feed-$1\",\"kind\":\"client\",\"role\":\"municipality\",\"municipality_code\":\"$1\"}" \
		"$base/v1/users" | sed -n 's/.*"client_secret" *: *"\([^"]*\)".*/\1/p')
	[ -n "$secret" ] || return 1
	curl -fsS -H 'Content-Type: application/json' \
		-d "{\"grant_type\":\"client_credentials\",\"client_id\":\"bench-feed-$1\",\"client_secret\":\"$secret\"}" \
		"$base/v1/auth/token" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p'
}

# ---- the scale section -------------------------------------------------------------------------
# scale_settle COOP_ID PERIOD: seconds of one month calculation (curl's wall time); the answer
# in $work/scale_settle.json
scale_settle() {
	curl -fsS -o "$work/scale_settle.json" -w '%{time_total}' -X POST \
		-H "Authorization: Bearer $token" "$base/v1/cooperatives/$1/settlements/$2" ||
		die "the settlement call of $1 failed"
}

# scale_latency URL COUNT: COUNT GET requests of URL one after another on one keep-alive
# connection (as the feed's JSON client above); prints the median and the 90th percentile in ms
scale_latency() {
	node -e '
const http = require("http");
const [url, token, count] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = () => new Promise((resolve, reject) => {
	const t0 = process.hrtime.bigint();
	http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
		let n = 0;
		res.on("data", (d) => { n += d.length; });
		res.on("end", () => {
			if (res.statusCode !== 200 || n < 20) reject(new Error(`list page: ${res.statusCode}`));
			else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
		});
	}).on("error", reject);
});
(async () => {
	const t = [];
	for (let i = 0; i < Number(count); i++) t.push(await get());
	agent.destroy();
	t.sort((a, b) => a - b);
	console.log(t[Math.floor((t.length - 1) / 2)].toFixed(3), t[Math.floor((t.length - 1) * 0.9)].toFixed(3));
})().catch((e) => { console.error(e.message); process.exit(1); });' "$1" "$token" "$2"
}

scale_coop_id() { printf '00000000-0000-4000-5c00-%012x' "$1"; }
per_unit_us() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.2f", (n > 0 ? s * 1e6 / n : 0) }'; }

scale_section() {
	local coops=${BENCH_SCALE_COOPS:-100} members=${BENCH_SCALE_MEMBERS:-10000}
	local growth=${BENCH_SCALE_GROWTH:-1000 100000} months=${BENCH_SCALE_MONTHS:-24}
	local invoices=${BENCH_SCALE_INVOICES:-1} benefit=${BENCH_SCALE_BENEFIT_PCT:-6}
	local paid=${BENCH_SCALE_PAID_PCT:-20} feed_big=${BENCH_SCALE_FEED:-1000000}
	local requests=${BENCH_SCALE_REQUESTS:-200}
	local v g
	for v in coops members months invoices benefit feed_big requests; do
		is_uint "${!v}" || die "BENCH_SCALE_*: $v must be a positive integer (got '${!v}')"
	done
	[[ $paid =~ ^[0-9]+$ ]] && [ "$paid" -le 100 ] || die "BENCH_SCALE_PAID_PCT must be 0 to 100"
	[ "$benefit" -le 100 ] || die "BENCH_SCALE_BENEFIT_PCT must be at most 100"
	[ "$months" -ge 2 ] || die "BENCH_SCALE_MONTHS must be at least 2 (one final month, one open)"
	for g in $growth; do is_uint "$g" || die "BENCH_SCALE_GROWTH: '$g' is no positive integer"; done
	# the three feed municipalities need their members on benefit
	local need have
	need=$(awk -v f="$feed_big" -v m="$months" 'BEGIN { x = f / (m - 1); printf "%d", x * 1.111 + 3 }')
	have=$(((coops * members + $(echo "$growth" | tr ' ' '\n' | awk '{ s += $1 } END { print s + 0 }')) * benefit / 100))
	[ "$have" -ge "$need" ] ||
		die "BENCH_SCALE_FEED $feed_big needs about $need members on benefit; the data set has $have (raise BENCH_SCALE_BENEFIT_PCT or the members)"

	local hwm_begin seed_start seed_s
	hwm_begin=$(hwm)
	echo
	echo "scale data set: $coops cooperatives of $members members, growth cooperatives of ${growth:-none} members,"
	echo "  $months months of invoices ($invoices per member), $benefit % on benefit, $paid % of the invoices paid"
	seed_start=$(date +%s.%N)
	psql_q -v coops="$coops" -v members="$members" -v growth="{$(echo $growth | tr ' ' ',')}" \
		-v months="$months" -v invoices="$invoices" -v benefit_pct="$benefit" \
		-v paid_pct="$paid" -v feed_big="$feed_big" -f "$bench_dir/scale.sql" >/dev/null ||
		die "seeding the scale data set failed"
	seed_s=$(awk -v a="$seed_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	local counts
	counts=$(psql_q -At -F ' ' -c "SELECT (SELECT count(*) FROM invoices), (SELECT count(*) FROM invoice_lines),
		(SELECT count(*) FROM payments), (SELECT count(*) FROM expenses),
		(SELECT count(*) FROM settlement_rows), (SELECT count(*) FROM settlement_feed),
		(SELECT count(*) FROM members)")
	local n_inv n_lines n_pay n_exp n_rows n_feed n_members
	read -r n_inv n_lines n_pay n_exp n_rows n_feed n_members <<<"$counts"
	echo "  seeded in ${seed_s} s: $n_members members, $n_inv invoices ($n_lines lines), $n_pay payments," \
		"$n_exp expenses, $n_rows settlement rows, $n_feed feed rows"

	token=$(login)
	[ -n "$token" ] || die "could not log in as admin"
	local period
	period=$(psql_q -Atc "SELECT to_char(date_trunc('month', today_nl()) - interval '1 month', 'YYYY-MM')")

	# -- the month calculation, and its cost per member ------------------------------------------
	local -a sizes=("$members") ks=(1)
	local k=$coops
	for g in $growth; do
		k=$((k + 1))
		sizes+=("$g") ks+=("$k")
	done
	local i r coop first rows t
	local -a c_first=() c_med=() c_rounds=()
	for i in "${!ks[@]}"; do
		coop=$(scale_coop_id "${ks[$i]}")
		first=$(scale_settle "$coop" "$period") # writes every draft
		rows=$(sed -n 's/.*"rows" *: *\([0-9]*\).*/\1/p' "$work/scale_settle.json")
		[ "$rows" = "${sizes[$i]}" ] || die "the calculation of cooperative ${ks[$i]} answered $rows rows, not ${sizes[$i]}"
		local -a ts=()
		for ((r = 1; r <= rounds; r++)); do ts+=("$(scale_settle "$coop" "$period")"); done
		c_first+=("$first") c_med+=("$(median "${ts[@]}")") c_rounds+=("${ts[*]}")
	done
	echo
	echo "POST /v1/cooperatives/{id}/settlements/$period on the scale data set (the first calculation writes"
	echo "  every draft; the recalculations find nothing changed; medians of $rounds):"
	printf '  %10s %12s %14s %18s %16s\n' members "first s" "recalc s" "first us/member" "recalc us/member"
	for i in "${!ks[@]}"; do # (smallest first, so that growth reads down the column)
		printf '  %10d %12.3f %14.3f %18s %16s\n' "${sizes[$i]}" "${c_first[$i]}" "${c_med[$i]}" \
			"$(per_unit_us "${c_first[$i]}" "${sizes[$i]}")" "$(per_unit_us "${c_med[$i]}" "${sizes[$i]}")"
	done | sort -n
	printf '  target under 1 s for %s members (the data set'"'"'s cooperative): %s\n' "$members" \
		"$(verdict "$(awk -v f="${c_first[0]}" -v s="${c_med[0]}" 'BEGIN { print (f < 1 && s < 1) }')")"

	# -- the municipal feed, and its cost per row ------------------------------------------------
	admin_token=$token
	local code n_code
	local -a f_codes=() f_rows=() f_api=() f_copy=()
	for code in GM9003 GM9002 GM9001; do
		n_code=$(psql_q -Atc "SELECT count(*) FROM settlement_feed WHERE municipality_code = '$code'")
		[ "$n_code" -gt 0 ] || continue
		feed_muni=$code
		token=$(client_token "$code")
		[ -n "$token" ] || die "could not make an API client of $code"
		local -a fa=() fc=()
		for ((r = 1; r <= rounds; r++)); do
			fc+=("$(timed "$work/scale_copy.csv" feed_copy "$(feed_csv_sql "$code")")")
			fa+=("$(timed "$work/scale_api.csv" feed_csv_api "$code")")
		done
		rows=$(($(wc -l <"$work/scale_api.csv") - 1))
		if [ "$rows" != "$n_code" ]; then # (cut off: coopd's log says why, e.g. the export timeout)
			echo "  MISS: the API export of $code ended after $rows of its $n_code rows (see coopd's log)"
			feed_incomplete=1
		fi
		f_codes+=("$code") f_rows+=("$n_code") f_api+=("$(median "${fa[@]}")") f_copy+=("$(median "${fc[@]}")")
		if [ "$code" = GM9002 ]; then
			# the JSON pages, as the feed section measures them
			local client_id
			client_id=$(psql_q -Atc "SELECT id FROM users WHERE username = 'bench-feed-$code'")
			feed_pages_sql "$code" >"$work/scale_pages.sql" || die "could not write the pages' statements"
			local -a ja=() jp=()
			for ((r = 1; r <= rounds; r++)); do
				jp+=("$(timed "$work/scale_pages.out" feed_copy_pages "$client_id" "$work/scale_pages.sql")")
				ja+=("$(timed "$work/scale_api.json" feed_json_api "$code")")
			done
			cmp -s <(node -e 'require("fs").readFileSync(0, "utf8").trim().split("\n").forEach((l) =>
				JSON.parse(l).data.forEach((d) => console.log(d.id)))' <"$work/scale_api.json") \
				<(cut -f1 "$work/scale_pages.out" | sed 's/^{"id":"\([^"]*\)".*/\1/' | uniq) ||
				die "the pages of COPY and of the API hold different items ($code)"
			local j_rows=$n_code j_api j_pages
			j_api=$(median "${ja[@]}") j_pages=$(median "${jp[@]}")
		fi
	done
	local hwm_feed
	hwm_feed=$(hwm)
	echo
	echo "GET /v1/municipalities/{code}/settlements on the scale data set (medians of $rounds):"
	printf '  %-8s %10s %12s %12s %6s %14s %14s\n' code rows "CSV API s" "COPY s" ratio "API us/row" "COPY us/row"
	local fails=0
	for i in "${!f_codes[@]}"; do
		printf '  %-8s %10d %12.3f %12.3f %6s %14s %14s\n' "${f_codes[$i]}" "${f_rows[$i]}" "${f_api[$i]}" \
			"${f_copy[$i]}" "$(ratio "${f_api[$i]}" "${f_copy[$i]}")" \
			"$(per_unit_us "${f_api[$i]}" "${f_rows[$i]}")" "$(per_unit_us "${f_copy[$i]}" "${f_rows[$i]}")"
		awk -v a="${f_api[$i]}" -v c="${f_copy[$i]}" 'BEGIN { exit !(c > 0 && a / c <= 1.5) }' || fails=$((fails + 1))
	done
	if [ -n "${j_api:-}" ]; then
		printf '  GM9002 as JSON pages of 200 (%d pages): %.3f s, COPY of the same page statements %.3f s; ratio %s\n' \
			"$(((j_rows + 199) / 200))" "$j_api" "$j_pages" "$(ratio "$j_api" "$j_pages")"
		printf '  target JSON at most 1.5 times COPY: %s\n' \
			"$(verdict "$(awk -v a="$j_api" -v c="$j_pages" 'BEGIN { print (c > 0 && a / c <= 1.5) }')")"
	fi
	[ "${feed_incomplete:-0}" = 0 ] || fails=$((fails + 1))
	printf '  target CSV at most 1.5 times COPY (every municipality, every row): %s\n' "$(verdict "$([ "$fails" = 0 ] && echo 1 || echo 0)")"
	printf '  coopd peak resident memory: %s kB before the section, %s kB after the feeds\n' "$hwm_begin" "$hwm_feed"

	# -- list pages deep in the invoice table --------------------------------------------------------
	token=$(login)
	[ -n "$token" ] || die "could not log in as admin"
	coop=$(scale_coop_id 1)
	local n_coop deep_after api_cursor sql_cursor
	n_coop=$(psql_q -Atc "SELECT count(*) FROM invoices WHERE cooperative_id = '$coop'")
	# the cursor coopd gives after an invoice (checked against its own next_cursor), of the
	# invoice 50 before the end of the cooperative's list: the page after it is the last full one
	api_cursor=$(curl -fsS -H "Authorization: Bearer $token" "$base/v1/cooperatives/$coop/invoices?limit=50" |
		sed -n 's/.*"next_cursor" *: *"\([^"]*\)".*/\1/p')
	sql_cursor=$(psql_q -Atc "SELECT list_cursor(seq) FROM invoices WHERE cooperative_id = '$coop'
		ORDER BY seq OFFSET 49 LIMIT 1")
	[ -n "$api_cursor" ] && [ "$api_cursor" = "$sql_cursor" ] ||
		die "the invoice list's cursor ($api_cursor) is not list_cursor(seq) ($sql_cursor)"
	deep_after=$(psql_q -Atc "SELECT list_cursor(seq) FROM invoices WHERE cooperative_id = '$coop'
		ORDER BY seq DESC OFFSET 50 LIMIT 1")
	local -a l_first=() l_deep=() l_ratio=()
	local lf ld
	for ((r = 1; r <= rounds; r++)); do
		lf=$(scale_latency "$base/v1/cooperatives/$coop/invoices?limit=50" "$requests")
		ld=$(scale_latency "$base/v1/cooperatives/$coop/invoices?limit=50&after=$deep_after" "$requests")
		l_first+=("${lf%% *}") l_deep+=("${ld%% *}") l_ratio+=("$(awk -v d="${ld%% *}" -v f="${lf%% *}" 'BEGIN { printf "%.2f", (f > 0 ? d / f : 0) }')")
	done
	local m_lr
	m_lr=$(median "${l_ratio[@]}")
	echo
	echo "GET /v1/cooperatives/{id}/invoices?limit=50 in a table of $n_inv invoices ($n_coop of the cooperative;"
	echo "  $requests requests per page and round on one keep-alive connection, medians of $rounds):"
	printf '  first page %.3f ms, a page %d invoices from the end %.3f ms; ratio deep/first %s (rounds: %s)\n' \
		"$(median "${l_first[@]}")" 50 "$(median "${l_deep[@]}")" "$m_lr" "${l_ratio[*]}"
	printf '  target deep about first (at most 1.5 times): %s\n' \
		"$(verdict "$(awk -v r="$m_lr" 'BEGIN { print (r > 0 && r <= 1.5) }')")"

	local hwm_end
	hwm_end=$(hwm)
	echo
	printf 'coopd peak resident memory (VmHWM) through the scale section: %s kB (%.1f MiB); target under 64 MiB: %s\n' \
		"$hwm_end" "$(awk -v k="$hwm_end" 'BEGIN { print k / 1024 }')" \
		"$(verdict "$(awk -v k="$hwm_end" 'BEGIN { print (k < 65536) }')")"
}
