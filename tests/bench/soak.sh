# shellcheck shell=bash disable=SC2154 # (work, coopd_pid, threads, ...: bench.sh's variables)
# The soak of `make bench` (BENCH_ONLY=soak, and the last section of a whole run): sourced by
# bench.sh, whose service, database, helpers and variables it uses.
#
# For BENCH_SOAK_SECONDS (600) wrk runs soak.lua at $connections connections (16): a mix of 70 %
# reads (members, invoices and customers by id, the first page of the members and invoices of a
# cooperative), 20 % writes (a draft invoice with two lines, a customer, an expense, a member's
# phone number) and 10 % issuing of drafts seeded beforehand (each exactly once), across
# BENCH_SOAK_COOPS cooperatives, as a platform admin. Meanwhile coopd's resident memory (VmRSS)
# and open file descriptors are sampled every 10 s. It prints the responses per status, the
# throughput and latency, the samples' first, last and highest values, and two targets:
#   - no error: every answer a 2xx, or one of the two statuses the contract allows under load:
#     503 with Retry-After (SPEC §3: "the database is unreachable or the pool is exhausted";
#     api/openapi.yaml ServiceUnavailable on every route; README "Connections": at capacity) and
#     429 (SPEC §3 "rate limited"; api/openapi.yaml TooManyRequests, which only the login
#     throttle answers, and the soak does not log in); no socket error or timeout of wrk;
#   - stable: the last sample's RSS within 10 % of the one after the first minute (after the
#     first 10 s, for runs under two minutes), and its open descriptors within 4 of that one's.
#
# Environment (all optional):
#   BENCH_SOAK_SECONDS     the soak's duration in seconds                          (600)
#   BENCH_SOAK_COOPS       cooperatives                                            (20)
#   BENCH_SOAK_MEMBERS     members of each cooperative (three in four on benefit)  (50)
#   BENCH_SOAK_ISSUE_RATE  an upper bound of the issuing rate (invoices/s), to size the drafts:
#                          RATE × (BENCH_SOAK_SECONDS + 10) of them                (250)

soak_seconds=${BENCH_SOAK_SECONDS:-600}
soak_seconds=${soak_seconds%s}
soak_coops=${BENCH_SOAK_COOPS:-20}
soak_members=${BENCH_SOAK_MEMBERS:-50}
soak_issue_rate=${BENCH_SOAK_ISSUE_RATE:-250}
for v in soak_seconds soak_coops soak_members soak_issue_rate; do
	is_uint "${!v}" || die "$v must be a positive integer (got '${!v}')"
done
soak_interval=10
soak_customers=3 # of each cooperative
soak_drafts=$((soak_issue_rate * (soak_seconds + 10)))
# every cooperative numbers its invoices in one series a year, of at most 99999
[ $(((soak_drafts + soak_coops - 1) / soak_coops)) -le 99999 ] ||
	die "BENCH_SOAK_ISSUE_RATE × (BENCH_SOAK_SECONDS + 10) / BENCH_SOAK_COOPS is more than the 99999 numbers of a series; lower the rate or add cooperatives"
# The token must outlive the run: coopd's token lifetime is COOPD_TOKEN_TTL (3600 s by default,
# at most 3600), and bench.sh passes other COOPD_* variables on unchanged.
soak_ttl=${COOPD_TOKEN_TTL:-3600}
[ "$soak_seconds" -le $((soak_ttl - 60)) ] ||
	die "BENCH_SOAK_SECONDS ($soak_seconds) must be at least 60 s shorter than the token lifetime COOPD_TOKEN_TTL ($soak_ttl)"

# --- data -----------------------------------------------------------------------------------
# Set up like the issuing benchmark's cooperatives (see seed_drafts in bench.sh): with VAT id
# and IBAN, customers with an address, a rate floor, members (three in four on benefit with a
# permission covering every supply date), and drafts of 1 to 3 lines above the floor. Ids are
# computed: 50a50000-0000-4000-<kind>-<n as 12 hex digits>, kind 8001 a cooperative, 8002 a
# member, 8003 a customer, 8004 a draft. Member j of cooperative k is (k - 1) * members + j,
# customer j of it (k - 1) * 3 + j; draft n belongs to cooperative (n - 1) % coops + 1, so that
# neighbours in the list of drafts (and the drafts a thread issues one after the other) lie in
# different cooperatives.
soak_start=$(date +%s.%N)
psql_q -v coops="$soak_coops" -v nmembers="$soak_members" -v ncust="$soak_customers" \
	-v drafts="$soak_drafts" <<'SQL'
CREATE FUNCTION pg_temp.soak_id(kind text, n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
AS $$ SELECT ('50a50000-0000-4000-' || kind || '-' || lpad(to_hex(n), 12, '0'))::uuid $$;
INSERT INTO municipalities (code, name) VALUES ('GM0363', 'Amsterdam') ON CONFLICT DO NOTHING;
INSERT INTO cooperatives (id, legal_name, invoice_prefix, kvk_number, vat_id, iban, street,
                          house_number, postal_code, city)
SELECT pg_temp.soak_id('8001', k), 'Bench soak ' || k, 'SOAK' || k, '12345678', 'NL002455799B11',
       'NL91ABNA0417164300', 'Damrak', '1', '1012 LG', 'Amsterdam'
FROM generate_series(1, :coops) AS k;
INSERT INTO customers (id, cooperative_id, name, street, house_number, postal_code, city, country,
                       kvk_number, email, payment_terms_days)
SELECT pg_temp.soak_id('8003', c), pg_temp.soak_id('8001', (c - 1) / :ncust + 1), 'Klant soak ' || c,
       'Rokin', '12', '1012 KT', 'Amsterdam', 'NL', '12345678', 'soakklant' || c || '@example.org', 14
FROM generate_series(1, :coops * :ncust) AS c;
INSERT INTO rate_floors (cooperative_id, activity_category, unit, minimum_unit_price_cents)
SELECT pg_temp.soak_id('8001', k), 'gardening', 'hour', 2000
FROM generate_series(1, :coops) AS k;
INSERT INTO members (id, cooperative_id, first_name, last_name, date_of_birth, street, house_number,
                     postal_code, city, municipality_code, municipal_reference, status, joined_on,
                     activity_category, activity_description, iban, email, on_benefit)
SELECT pg_temp.soak_id('8002', m), pg_temp.soak_id('8001', (m - 1) / :nmembers + 1), 'Lid',
       'Soak ' || m, date '1970-01-01' + (m % 15000), 'Kade', (m % 300 + 1)::text, '1011 AB',
       'Amsterdam', 'GM0363', 'S-' || m, 'active', date '2025-01-01', 'gardening', 'Tuinonderhoud',
       'NL91ABNA0417164300', 'soak' || m || '@example.org', m % 4 <> 0
FROM generate_series(1, :coops * :nmembers) AS m;
INSERT INTO permissions (member_id, cooperative_id, municipality_code, decision_reference,
                         valid_from, valid_until, goal)
SELECT m.id, m.cooperative_id, 'GM0363', 'B-' || m.municipal_reference, today_nl() - 400,
       today_nl() + 400, 'reintegration'
FROM members m WHERE m.id::text LIKE '50a50000-0000-4000-8002-%' AND m.on_benefit;
-- draft n: cooperative k = (n - 1) % coops + 1, its member ((n - 1) / coops) % nmembers + 1 and
-- customer n % ncust + 1; supply dates in the last four weeks
INSERT INTO invoices (id, cooperative_id, member_id, customer_id, supply_date, description)
SELECT pg_temp.soak_id('8004', n), pg_temp.soak_id('8001', k),
       pg_temp.soak_id('8002', (k - 1) * :nmembers + ((n - 1) / :coops) % :nmembers + 1),
       pg_temp.soak_id('8003', (k - 1) * :ncust + n % :ncust + 1),
       today_nl() - n % 28, 'Werkzaamheden soak ' || n
FROM generate_series(1, :drafts) AS n, LATERAL (SELECT (n - 1) % :coops + 1 AS k) AS s;
-- 1 to 3 lines: hours at 21 % (above the floor), material at 9 %, kilometres at 21 %
INSERT INTO invoice_lines (invoice_id, line_no, description, quantity, unit, unit_price_cents,
                           activity_category, vat_category, vat_rate_bp)
SELECT pg_temp.soak_id('8004', n), l, (ARRAY['Tuinonderhoud', 'Plantmateriaal', 'Reiskosten'])[l],
       (ARRAY[n % 8 + 1.5, n % 5 + 1, n % 40 + 10])[l], (ARRAY['hour', 'piece', 'km'])[l],
       (ARRAY[2500 + n % 1000, 350 + n % 200, 23])[l], 'gardening', 'S', (ARRAY[2100, 900, 2100])[l]
FROM generate_series(1, :drafts) AS n, generate_series(1, n % 3 + 1) AS l;
SQL
psql_q -c "VACUUM ANALYZE" -c "CHECKPOINT"
psql_q -Atc "SELECT id FROM cooperatives WHERE id::text LIKE '50a50000-0000-4000-8001-%' ORDER BY id" \
	>"$work/soak_coops"
psql_q -At -F ' ' -v nmembers="$soak_members" -v ncust="$soak_customers" <<'SQL' >"$work/soak_members"
SELECT m.cooperative_id, m.id,
       ('50a50000-0000-4000-8003-' || lpad(to_hex((n - 1) / :nmembers * :ncust + n % :ncust + 1), 12, '0'))
FROM members m, LATERAL (SELECT ('x' || right(m.id::text, 12))::bit(48)::bigint AS n) x
WHERE m.id::text LIKE '50a50000-0000-4000-8002-%' ORDER BY m.id
SQL
psql_q -Atc "SELECT id FROM invoices WHERE id::text LIKE '50a50000-0000-4000-8004-%' AND status = 'draft'
	ORDER BY id" >"$work/soak_drafts"
if [ "$(wc -l <"$work/soak_coops")" -ne "$soak_coops" ] ||
	[ "$(wc -l <"$work/soak_members")" -ne $((soak_coops * soak_members)) ] ||
	[ "$(wc -l <"$work/soak_drafts")" -ne "$soak_drafts" ]; then
	die "seeding the soak failed"
fi
soak_seed_s=$(awk -v a="$soak_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

# --- sampling -------------------------------------------------------------------------------
soak_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$coopd_pid/status"; } # kB
soak_fds() { find "/proc/$coopd_pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
# Every soak_interval seconds from START (epoch seconds) "SECONDS RSS_kB FDS" to OUT, while
# wrk runs: before SECONDS have passed (a sample at the very end could see the clients'
# connections closing), until the file STOP exists or coopd is gone.
soak_sampler() { # START OUT STOP SECONDS
	local next=0 now rss fds
	while [ ! -e "$3" ] && kill -0 "$coopd_pid" 2>/dev/null; do
		now=$(($(date +%s) - $1))
		if [ "$now" -ge "$next" ] && [ "$now" -lt "$4" ]; then
			rss=$(soak_rss) && fds=$(soak_fds) && echo "$now $rss $fds" >>"$2"
			next=$((next + soak_interval))
		fi
		sleep 1
	done
}

# --- the run --------------------------------------------------------------------------------
soak_out=$work/out/soak
mkdir -p "$soak_out"
token=$(login) # a fresh token, valid for the whole run (checked above)
[ -n "$token" ] || die "could not log in as admin"
soak_log_from=$(($(stat -c %s "$work/coopd.log") + 1))
soak_fds_before=$(soak_fds)
soak_rss_before=$(soak_rss)
rm -f "$soak_out/samples" "$soak_out/stop"
soak_sampler "$(date +%s)" "$soak_out/samples" "$soak_out/stop" "$soak_seconds" &
soak_sampler_pid=$!
soak_result=$(BENCH_TOKEN=$token BENCH_WRK_THREADS=$threads \
	BENCH_SOAK_COOPS=$work/soak_coops BENCH_SOAK_MEMBERS=$work/soak_members \
	BENCH_SOAK_DRAFTS=$work/soak_drafts \
	BENCH_SOAK_DATE=$(psql_q -Atc "SELECT today_nl() - 1") \
	run_wrk "$bench_dir/soak.lua" "$soak_seconds" "$soak_out/wrk.txt")
touch "$soak_out/stop"
wait "$soak_sampler_pid" || true
sleep 2 # the clients' connections closed
soak_fds_after=$(soak_fds)
soak_rss_after=$(soak_rss)

# --- the figures ----------------------------------------------------------------------------
read -r soak_rps soak_p50 soak_p99 _ soak_cu soak_pu soak_wu soak_oth <<<"$soak_result"
# wrk's socket errors (connect, read, write, timeout) are errors too
soak_sock=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$soak_out/wrk.txt")
soak_sock=${soak_sock:-0}
soak_status() { awk -v lo="$1" -v hi="$2" '$1 == "soak:" && $2 == "status" && $3 >= lo && $3 <= hi { n += $4 }
	END { print n + 0 }' "$soak_out/wrk.txt"; }
soak_total=$(soak_status 0 999)
soak_2xx=$(soak_status 200 299)
soak_429=$(soak_status 429 429)
soak_503=$(soak_status 503 503)
soak_errors=$((soak_total - soak_2xx - soak_429 - soak_503 + soak_sock))
[ "$soak_total" -gt 0 ] || die "the soak's wrk script reported no responses; see $soak_out/wrk.txt (BENCH_KEEP=1 keeps it)"
soak_short=$(awk '$1 == "soak:" && $2 == "drafts_short" { print $3 }' "$soak_out/wrk.txt")
[ -s "$soak_out/samples" ] || die "no sample of coopd's memory was taken"
# the reference sample: the first one after the first minute (after the first interval, when the
# load has begun, in runs shorter than two minutes)
soak_ref_at=60 soak_ref_name="the first minute"
if [ "$soak_seconds" -lt 120 ]; then
	soak_ref_at=$soak_interval soak_ref_name="the first $soak_interval s"
fi
read -r soak_first_t soak_first_rss soak_first_fds <"$soak_out/samples"
read -r soak_last_t soak_last_rss soak_last_fds < <(tail -n 1 "$soak_out/samples")
read -r soak_ref_t soak_ref_rss soak_ref_fds < <(awk -v at="$soak_ref_at" '$1 >= at { print; exit }' "$soak_out/samples")
if [ -z "${soak_ref_t:-}" ]; then # (a run too short for a sample after the reference time)
	soak_ref_t=$soak_last_t soak_ref_rss=$soak_last_rss soak_ref_fds=$soak_last_fds
fi
soak_max_rss=$(awk '$2 > m { m = $2 } END { print m }' "$soak_out/samples")
soak_max_fds=$(awk '$3 > m { m = $3 } END { print m }' "$soak_out/samples")
soak_nsamples=$(wc -l <"$soak_out/samples")
soak_rss_ok=$(awk -v l="$soak_last_rss" -v r="$soak_ref_rss" 'BEGIN { print (l <= r * 1.1 && l >= r * 0.9) }')
soak_fds_ok=$(awk -v l="$soak_last_fds" -v r="$soak_ref_fds" 'BEGIN { d = l - r; print (d <= 4 && d >= -4) }')
# what coopd logged during the soak besides its access log
tail -c +"$soak_log_from" "$work/coopd.log" >"$soak_out/coopd-all.log"
{ grep -v '"msg":"request"' "$soak_out/coopd-all.log" || true; } >"$soak_out/coopd.log"
# Per route, from coopd's access log (service time, without the client's share): "COUNT METHOD
# ROUTE P50_MS P99_MS NON2XX", busiest first. A line's fields come in a fixed order:
# ..."method":"GET","route":"/v1/...","status":200,"duration_us":1234,...
soak_routes() {
	awk -F'"' '/"msg":"request"/ {
		m = r = s = d = ""
		for (i = 1; i < NF; i++) {
			if ($i == "method") m = $(i + 2)
			else if ($i == "route") r = $(i + 2)
			else if ($i == "status") { s = $(i + 1); gsub(/[^0-9]/, "", s) }
			else if ($i == "duration_us") { d = $(i + 1); gsub(/[^0-9]/, "", d) }
		}
		if (m != "" && r != "" && d != "") print m, r, d, (s ~ /^2/ ? 0 : 1)
	}' "$soak_out/coopd-all.log" | sort -k1,1 -k2,2 -k3,3n | awk '
	function flush() {
		if (n == 0) return
		i50 = int(n * 0.50); if (i50 < n * 0.50) i50++
		i99 = int(n * 0.99); if (i99 < n * 0.99) i99++
		printf "%d %s %s %.2f %.2f %d\n", n, pm, pr, a[i50] / 1000, a[i99] / 1000, bad
	}
	$1 != pm || $2 != pr { flush(); n = 0; bad = 0; pm = $1; pr = $2 }
	{ a[++n] = $3; bad += $4 }
	END { flush() }' | sort -k1,1nr
}
soak_log_errors=$(grep -c '"level":"error"' "$soak_out/coopd.log" || true)
soak_log_warns=$(grep -c '"level":"warn"' "$soak_out/coopd.log" || true)

echo
echo "Soak: ${soak_seconds} s of mixed load (70 % reads, 20 % writes, 10 % issuing), wrk -t$threads -c$connections, as a platform admin;"
echo "  $soak_coops cooperatives of $soak_members members and $soak_customers customers each, $soak_drafts drafts to issue (seeded in ${soak_seed_s} s)"
printf '  requests sent:'
awk '$1 == "soak:" && $2 == "sent" { printf " %s %d", $3, $4 }' "$soak_out/wrk.txt"
echo
printf '  %.0f requests/s, p50 %.2f ms, p99 %.2f ms; CPU us per request: coopd %s + postgres %s (wrk %s); others %s%% CPU\n' \
	"$soak_rps" "$soak_p50" "$soak_p99" "$soak_cu" "$soak_pu" "$soak_wu" "$soak_oth"
printf '  responses %d: 2xx %d, 3xx %d, 4xx %d (429 %d), 5xx %d (503 %d); socket errors %d\n' \
	"$soak_total" "$soak_2xx" "$(soak_status 300 399)" "$(soak_status 400 499)" "$soak_429" \
	"$(soak_status 500 599)" "$soak_503" "$soak_sock"
printf '  by status:'
awk '$1 == "soak:" && $2 == "status" { printf " %s %d", $3, $4 }' "$soak_out/wrk.txt"
echo
if [ "$soak_errors" -gt 0 ]; then
	echo "  the first non-2xx answers of each wrk thread:"
	awk '$1 == "soak:" && $2 == "sample" { $1 = ""; $2 = ""; sub(/^ +/, ""); print "    " substr($0, 1, 300) }' \
		"$soak_out/wrk.txt"
fi
if [ "${soak_short:-0}" -gt 0 ]; then
	echo "  WARNING: the drafts ran out: $soak_short issuing requests became reads (the mix was off);"
	echo "           set BENCH_SOAK_ISSUE_RATE higher than the issuing rate"
fi
echo "  per route, from coopd's access log (time in the service): requests, p50 and p99 ms, non-2xx"
soak_routes | awk '{ printf "    %-6s %-44s %8d %8.2f %8.2f %6d\n", $2, $3, $1, $4, $5, $6 }'
printf '  coopd RSS (kB), %d samples every %d s: first %s (%d s), after %s %s (%d s), last %s (%d s), max %s;\n' \
	"$soak_nsamples" "$soak_interval" "$soak_first_rss" "$soak_first_t" "$soak_ref_name" "$soak_ref_rss" \
	"$soak_ref_t" "$soak_last_rss" "$soak_last_t" "$soak_max_rss"
printf '    before the soak %s, 2 s after it %s\n' "$soak_rss_before" "$soak_rss_after"
printf '  coopd open fds: first %s, after %s %s, last %s, max %s; before the soak %s, 2 s after it %s\n' \
	"$soak_first_fds" "$soak_ref_name" "$soak_ref_fds" "$soak_last_fds" "$soak_max_fds" \
	"$soak_fds_before" "$soak_fds_after"
echo "    (the clients' $connections sockets are open during the run; the pool opens connections as the load needs them)"
printf '  coopd logged %d error and %d warning lines during the soak\n' "$soak_log_errors" "$soak_log_warns"
if [ "$soak_log_errors" -gt 0 ] || [ "$soak_log_warns" -gt 0 ]; then
	grep -E '"level":"(error|warn)"' "$soak_out/coopd.log" | head -n 5 | cut -c 1-300 | sed 's/^/    /'
fi
printf '  target no errors (every answer 2xx, or 429/503 as documented): %s (%d errors)\n' \
	"$(verdict "$((soak_errors == 0))")" "$soak_errors"
printf '  target stable (the last sample within 10 %% of RSS and 4 fds of the one after %s): RSS %s, fds %s\n' \
	"$soak_ref_name" "$(verdict "$soak_rss_ok")" "$(verdict "$soak_fds_ok")"
if awk -v o="${soak_oth:-0}" 'BEGIN { exit !(o > 10) }'; then
	echo "  WARNING: other processes used ${soak_oth}% of the CPU time: throughput and latency are depressed"
fi
