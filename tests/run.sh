#!/usr/bin/env bash
# The `make test` runner (the Makefile has built build/coopd, build/coopd-san and build/tests/*):
#   1. every unit test binary in build/tests/ (each ends with "N passed, N failed");
#   1a. the contract document: redocly lint (recommended-strict) and its examples (Ajv 2020);
#   1a'. the Kubernetes manifests of deploy/kubernetes (tests/deploy/validate.mjs);
#   1b. every libFuzzer target of tests/fuzz/ over its corpus, then a short mutation run;
#   1c. the single-host setup of docker/ (tests/compose/run.sh, no Docker engine needed);
#   1d. the restore drill (tests/deploy/restore.sh): deploy/README.md's dump restore and
#      point-in-time recovery against real PostgreSQL servers and coopd;
#   2. every tests/unit/*.sql check on a freshly migrated database;
#   2b. the typed client (tests/client/run.mjs): TypeScript types generated from api/openapi.yaml,
#      a scenario type-checked with tsc --strict and run through openapi-fetch against coopd;
#   3. the API suite (tests/api/*.test.mjs, node:test; every response validated against
#      api/openapi.yaml, the sum printed under "== contract") against build/coopd and then against
#      build/coopd-san (AddressSanitizer + UndefinedBehaviorSanitizer; a leak or error makes
#      coopd's exit code non-zero, which the suite reports as a failure);
#   4. the tests on a primary and a streaming standby of their own (tests/ha/): failover (two
#      coopd instances, the primary killed under load and the standby promoted) and read
#      replicas (DATABASE_READ_URL on the standby); against build/coopd only, bounded by
#      `timeout`.
# One private PostgreSQL cluster (fsync off) serves the whole run; every API test file makes its
# own database in it. The last line of output is "N passed, N failed"; the exit status is
# non-zero when anything failed.
#
# Environment: COOPD_TEST_FILES (default tests/api/) limits the API files;
# COOPD_TEST_BINS (default "build/coopd build/coopd-san") chooses the binaries; step 4 runs
# when COOPD_TEST_FILES is unset (a whole run) or COOPD_TEST_HA=1.
set -uo pipefail
cd "$(dirname "$0")/.."

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LANG=C.UTF-8

passed=0
failed=0
failures=()
contract_summary=()

work=$(mktemp -d /tmp/coopd-test-run.XXXXXX)
chmod 755 "$work"
pgdir="$work/pg"
cleanup() {
	deploy/local/pgcluster.sh stop "$pgdir" >/dev/null 2>&1 || true
	rm -rf "$work" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

count() { # passed failed label
	passed=$((passed + $1))
	failed=$((failed + $2))
}

# The result of a node --test run: its TAP file, exit code, label and start time. Counts its
# passed and failed (cancelled tests fail, and so does a runner that failed or was stopped by
# timeout without a failing test), lists each failure under the label, prints the line.
count_tap() { # tap rc label start
	local tap=$1 rc=$2 label=$3 start=$4 p f c l
	p=$(grep -E '^# pass [0-9]+$' "$tap" | tail -n 1 | awk '{print $3}')
	f=$(grep -E '^# fail [0-9]+$' "$tap" | tail -n 1 | awk '{print $3}')
	c=$(grep -E '^# cancelled [0-9]+$' "$tap" | tail -n 1 | awk '{print $3}')
	p=${p:-0} f=${f:-0} c=${c:-0}
	f=$((f + c))
	if [ -z "$(grep -E '^# pass ' "$tap")" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
		f=$((f + 1))
		failures+=("$label: node --test exited $rc")
	fi
	count "$p" "$f"
	echo "$label: $p passed, $f failed ($(($(date +%s) - start)) s)"
	while IFS= read -r l; do
		failures+=("$label: ${l#*not ok }")
	done < <(grep -E '^ *not ok [0-9]+ - ' "$tap" | grep -v ' # SKIP' | sed 's/^ *//')
}

# --- 1. unit tests --------------------------------------------------------------------------
echo "== unit tests"
shopt -s nullglob
# The document renderers write what they render here: the PDFs are read back with pdftotext,
# and the UBL files go through the official SI-UBL 2.0 rules below.
export PDF_OUT_DIR=$work/pdf UBL_OUT_DIR=$work/ubl
mkdir -p "$PDF_OUT_DIR" "$UBL_OUT_DIR"
for t in build/tests/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=$(basename "$t")
	out=$("$t" 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	p=0 f=0
	if [ -n "$line" ]; then
		p=${line%% passed*}
		f=${line#*, }
		f=${f%% failed}
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed, or a sanitizer stopped it
	count "$p" "$f"
	echo "$name: $p passed, $f failed"
	if [ "$f" -ne 0 ]; then
		printf '%s\n' "$out" | grep -v '^ok ' | tail -n 60 | sed 's/^/    /'
		failures+=("unit $name (exit $rc)")
	fi
done

# The official SI-UBL 2.0 validation of every UBL sample, in one JVM (a skip is reported, not
# counted: the stylesheet lives outside the repository, in ../shared/validators).
echo "== SI-UBL 2.0 validation of the unit samples"
if out=$(tests/ubl/validate.sh "$UBL_OUT_DIR" 2>&1); then
	printf '%s\n' "$out" | tail -n 3
	printf '%s\n' "$out" | grep -q SKIPPED || count 1 0
else
	printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /'
	count 0 1
	failures+=("SI-UBL validation of the unit samples")
fi

# --- 1a. the contract document -------------------------------------------------------------
# api/openapi.yaml under Redocly's recommended-strict rules (tests/contract/lint/redocly.yaml),
# then every example in it against its schema (tests/contract/lint/examples.mjs, Ajv 2020): one
# passed or failed each. The pinned tools come from tests/contract/lint/package-lock.json by
# `npm ci`, skipped while node_modules holds what that lock file names.
echo "== contract lint"
lintdir=tests/contract/lint
if cmp -s "$lintdir/package-lock.json" "$lintdir/node_modules/.coopd-package-lock.json" ||
	{ (cd "$lintdir" && npm ci --no-audit --no-fund --loglevel=error) >"$work/npm-lint.out" 2>&1 &&
		cp "$lintdir/package-lock.json" "$lintdir/node_modules/.coopd-package-lock.json"; }; then
	if out=$(cd "$lintdir" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 \
		node_modules/.bin/redocly lint --config redocly.yaml ../../../api/openapi.yaml 2>&1); then
		count 1 0
		echo "ok   redocly lint api/openapi.yaml (recommended-strict): $(printf '%s\n' "$out" | grep -E 'valid|Woohoo' | tail -n 1)"
	else
		count 0 1
		echo "FAIL redocly lint api/openapi.yaml (recommended-strict)"
		printf '%s\n' "$out" | grep -v -E '^\s*$|[╔╚║]' | tail -n 60 | sed 's/^/    /'
		failures+=("contract lint: redocly lint api/openapi.yaml")
	fi
	if out=$(node "$lintdir/examples.mjs" api/openapi.yaml 2>&1); then
		count 1 0
		echo "ok   $(printf '%s\n' "$out" | tail -n 1)"
	else
		count 0 1
		echo "FAIL examples of api/openapi.yaml against their schemas"
		printf '%s\n' "$out" | head -n 40 | sed 's/^/    /'
		printf '%s\n' "$out" | tail -n 1 | sed 's/^/    /'
		failures+=("contract lint: examples of api/openapi.yaml")
	fi
else
	tail -n 30 "$work/npm-lint.out" | sed 's/^/    /'
	count 0 2
	failures+=("contract lint: npm ci in $lintdir failed")
fi

# --- 1a'. the Kubernetes manifests ------------------------------------------------------------
# deploy/kubernetes (base and example overlay) by tests/deploy/validate.mjs: the CloudNativePG
# resources against their CRD schemas in ../shared/validators/cloudnative-pg (skipped, and said,
# when absent), core kinds with kubernetes-models, the ServiceMonitor by hand, the overlay
# rendered by `kubectl kustomize` when kubectl is installed, and broken manifests that must be
# refused: one passed or failed per check. Pinned packages from tests/deploy/package-lock.json.
echo "== deploy manifests"
deploydir=tests/deploy
if cmp -s "$deploydir/package-lock.json" "$deploydir/node_modules/.coopd-package-lock.json" ||
	{ (cd "$deploydir" && npm ci --no-audit --no-fund --loglevel=error) >"$work/npm-deploy.out" 2>&1 &&
		cp "$deploydir/package-lock.json" "$deploydir/node_modules/.coopd-package-lock.json"; }; then
	node "$deploydir/validate.mjs" >"$work/deploy.out" 2>&1
	rc=$?
	grep -E '^(FAIL|SKIPPED)' "$work/deploy.out" | head -n 60
	grep -A 20 '^FAIL ' "$work/deploy.out" | grep '^    ' | head -n 40
	p=$(grep -c '^ok   ' "$work/deploy.out")
	f=$(grep -c '^FAIL ' "$work/deploy.out")
	while IFS= read -r l; do failures+=("deploy ${l#FAIL }"); done < <(grep '^FAIL ' "$work/deploy.out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		failures+=("deploy: tests/deploy/validate.mjs exited $rc")
	fi
	count "$p" "$f"
	echo "deploy manifests: $p passed, $f failed"
else
	tail -n 30 "$work/npm-deploy.out" | sed 's/^/    /'
	count 0 1
	failures+=("deploy: npm ci in $deploydir failed")
fi

# --- 1b. the fuzz targets -------------------------------------------------------------------
# Every libFuzzer target of tests/fuzz/ (clang, ASan + UBSan) over its committed corpus, then a
# short bounded mutation run: one passed or failed per target. A crash, a leak or a sanitizer
# report fails the target (the input is kept under build/fuzz/artifacts/).
echo "== fuzz targets (corpus replay, then a short mutation run)"
if out=$(make --no-print-directory -j"$(nproc)" fuzz-build 2>&1); then
	tests/fuzz/run.sh smoke 2>&1 | tee "$work/fuzz.out"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok   ' "$work/fuzz.out")
	f=$(grep -c '^FAIL ' "$work/fuzz.out")
	while IFS= read -r l; do
		l=${l#FAIL }
		failures+=("fuzz ${l%%:*}")
	done < <(grep '^FAIL ' "$work/fuzz.out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then # the runner itself failed
		f=1
		failures+=("fuzz: tests/fuzz/run.sh exited $rc")
	fi
	count "$p" "$f"
else
	printf '%s\n' "$out" | grep -v '^clang ' | tail -n 30 | sed 's/^/    /'
	count 0 1
	failures+=("fuzz: make fuzz-build failed")
fi

# --- 1c. the single-host setup (docker/) ---------------------------------------------------
# docker/compose.yaml against the Compose Specification schema and the setup's rules, the
# Caddyfile with `caddy validate` and run in front of an echo server, docker/backup.sh (dump,
# retention, restore) and coopd's healthcheck command against throw-away PostgreSQL servers of
# its own (tests/compose/run.sh): one passed or failed per "ok"/"FAIL" line.
echo "== compose"
tests/compose/run.sh build/coopd 2>&1 | tee "$work/compose.out"
rc=${PIPESTATUS[0]}
p=$(grep -c '^ok   ' "$work/compose.out")
f=$(grep -c '^FAIL ' "$work/compose.out")
while IFS= read -r l; do
	failures+=("compose: ${l#FAIL }")
done < <(grep '^FAIL ' "$work/compose.out")
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then # the script itself failed
	f=1
	failures+=("compose: tests/compose/run.sh exited $rc")
fi
count "$p" "$f"
echo "compose: $p passed, $f failed"

# --- 1d. the restore drill (deploy/README.md) -------------------------------------------------
# tests/deploy/restore.sh: a pg_dump (docker/backup.sh) restored into a fresh server, and a
# point-in-time recovery from pg_basebackup and archived WAL, each with the guide's commands
# (every line of them must stand in deploy/README.md), checked through coopd: the invoices are
# those before the dump or the target time and the next one continues the series. Its own
# PostgreSQL servers, ports and directories; bounded. One passed or failed per "ok"/"FAIL" line.
echo "== restore drill"
timeout 900 tests/deploy/restore.sh build/coopd 2>&1 | grep -v -E '^[0-9]+ passed, [0-9]+ failed$' | tee "$work/restore.out"
rc=${PIPESTATUS[0]}
p=$(grep -c '^ok   ' "$work/restore.out")
f=$(grep -c '^FAIL ' "$work/restore.out")
while IFS= read -r l; do
	failures+=("restore drill: ${l#FAIL }")
done < <(grep '^FAIL ' "$work/restore.out")
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then # the script itself failed (or ran out of time)
	f=1
	failures+=("restore drill: tests/deploy/restore.sh exited $rc")
fi
count "$p" "$f"
echo "restore drill: $p passed, $f failed"

# --- the cluster ----------------------------------------------------------------------------
pgurl=
for attempt in 1 2 3; do
	port=$(free_port)
	if pgurl=$(PGCLUSTER_FAST=1 deploy/local/pgcluster.sh start "$pgdir" "$port" postgres 2>"$work/pg.err"); then
		break
	fi
	pgurl=
done
if [ -z "$pgurl" ]; then
	echo "could not start PostgreSQL:"
	sed 's/^/    /' "$work/pg.err"
	count 0 1
	echo "$passed passed, $failed failed"
	exit 1
fi
export COOPD_TEST_PGURL=$pgurl

# --- 2. SQL checks on a migrated database ---------------------------------------------------
sql_checks=(tests/unit/*.sql)
if [ ${#sql_checks[@]} -gt 0 ]; then
	echo "== SQL checks"
	for f in "${sql_checks[@]}"; do
		db="coopd_sqlcheck_$(basename "$f" .sql | tr -c 'a-z0-9_\n' '_')"
		dburl="${pgurl%/*}/$db"
		if psql "$pgurl" -X -q -c "create database $db" >"$work/sql.out" 2>&1 &&
			DATABASE_URL=$dburl build/coopd migrate >>"$work/sql.out" 2>&1 &&
			psql "$dburl" -X -q -v ON_ERROR_STOP=1 -f "$f" >>"$work/sql.out" 2>&1; then
			count 1 0
			echo "ok   $f"
		else
			count 0 1
			echo "FAIL $f"
			tail -n 30 "$work/sql.out" | sed 's/^/    /'
			failures+=("sql $f")
		fi
	done
fi

read -r -a files <<<"${COOPD_TEST_FILES:-tests/api/}"
read -r -a bins <<<"${COOPD_TEST_BINS:-build/coopd build/coopd-san}"

# The contract validator's pinned packages: the harness (the API suite's and the typed
# client's) validates every response against api/openapi.yaml with them.
echo "== contract validator packages"
if out=$(cd tests/contract/validate && npm ci --no-audit --no-fund --silent 2>&1); then
	echo "ok   npm ci tests/contract/validate"
else
	printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
	count 0 1
	failures+=("contract: npm ci in tests/contract/validate failed")
fi

# --- 2b. the typed client -------------------------------------------------------------------
# One passed or failed: npm ci (when needed), openapi-typescript, tsc --strict, then the
# scenario against its own coopd (the first binary) on a fresh database of the cluster.
echo "== typed client (openapi-typescript, tsc --strict, openapi-fetch) against ${bins[0]}"
if COOPD_BIN=${bins[0]} node tests/client/run.mjs; then
	count 1 0
else
	count 0 1
	failures+=("typed client (tests/client/run.mjs)")
fi

# --- 3. the API suite against each binary ---------------------------------------------------
# Every response the suite receives is validated against api/openapi.yaml by the harness (the
# contract check, tests/contract/validate/, installed above). Each test process
# appends its count to the tally; the sum is printed at the end.
for bin in "${bins[@]}"; do
	label=$(basename "$bin")
	tap="$work/api-$label.tap"
	echo "== API suite against $bin"
	if [ ! -x "$bin" ]; then
		echo "$bin is missing"
		count 0 1
		failures+=("api $label: binary missing")
		continue
	fi
	start=$(date +%s)
	export COOPD_CONTRACT_TALLY="$work/contract-$label.tally"
	: >"$COOPD_CONTRACT_TALLY"
	# The sanitized binary runs with the database as its own read replica (DATABASE_READ_URL):
	# every lag-tolerant route goes through the read pool and the replica's audit path; the plain
	# binary runs without one. Both paths are tested on every run.
	read_url=
	case $label in *san*) read_url=self ;; esac
	echo "(read replica: ${read_url:-none})"
	COOPD_TEST_READ_URL=$read_url COOPD_BIN=$bin node --test --test-concurrency=2 --test-timeout=180000 \
		--test-reporter=spec --test-reporter-destination=stdout \
		--test-reporter=tap --test-reporter-destination="$tap" \
		"${files[@]}"
	count_tap "$tap" $? "api $label" "$start"
	contract_summary+=("$label: $(awk '
		{ n += $3; m += $4; x += $5; f++
		  if ($6 != "-") { k = split($6, g, ","); for (i = 1; i <= k; i++) { split(g[i], kv, "="); gap[kv[1]] += kv[2] } } }
		END { printf "%d responses validated against api/openapi.yaml, %d failures, %d exempt, in %d test files", n, m, x, f
		      s = ""; for (id in gap) s = s " " id "(" gap[id] ")"
		      if (s != "") printf "; known document gaps (contract-doc-fixes):%s", s }' "$COOPD_CONTRACT_TALLY")")
done

# --- 4. failover (tests/ha/) -----------------------------------------------------------------
# Its own clusters (tests/ha/cluster.mjs), not the shared one; one passed or failed per test.
# The figures (requests, 503s, recovery per instance) are the "failover figures" lines.
if [ -z "${COOPD_TEST_FILES:-}" ] || [ "${COOPD_TEST_HA:-0}" = 1 ]; then
	echo "== failover and read replicas (primary and standby) against build/coopd"
	tap="$work/ha.tap"
	start=$(date +%s)
	COOPD_BIN=build/coopd COOPD_CONTRACT_TALLY= timeout -k 10 240 node --test --test-timeout=150000 \
		--test-reporter=spec --test-reporter-destination=stdout \
		--test-reporter=tap --test-reporter-destination="$tap" \
		tests/ha/*.test.mjs
	count_tap "$tap" $? "failover" "$start"
fi

if [ ${#contract_summary[@]} -gt 0 ]; then
	echo "== contract"
	printf '  %s\n' "${contract_summary[@]}"
fi
if [ ${#failures[@]} -gt 0 ]; then
	echo "== failures"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
