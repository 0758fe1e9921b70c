#!/usr/bin/env bash
# The restore drill ("== restore drill" in `make test`): the commands of deploy/README.md run
# against real PostgreSQL servers and a real coopd, and each command block must stand in the
# guide line by line, so that the guide is what is tested.
#   (a) dump and restore: invoices issued through coopd; docker/backup.sh's pg_dump; restored into
#       a fresh server with the guide's createdb/psql/pg_restore; coopd on it sees the same
#       invoices, the audit chains verify, and the next invoice gets the next number;
#   (b) point-in-time recovery: WAL archiving as the guide sets it up, a pg_basebackup, invoices,
#       a target time, more invoices; a new data directory from the base backup with the guide's
#       restore_command / recovery_target_time / recovery.signal, promoted: exactly the invoices
#       before the target time are there, and the next one continues from them;
#   (c) the fiscal archive's role (deploy/kubernetes/base/fiscal-archive-cronjob.yaml): pg_dump
#       as a role with pg_read_all_data and BYPASSRLS reads every table; without BYPASSRLS it
#       fails.
# Own free ports and directories under /tmp; everything it started is stopped by its pid or
# data directory; each wait is bounded. One "ok   ..." or "FAIL ..." line per check, the timings
# in them, and "N passed, N failed" at the end.
#   tests/deploy/restore.sh [COOPD_BIN]      (default build/coopd)
# The guide's command blocks are single-quoted on purpose: their variables expand when they run.
# shellcheck disable=SC2016
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
bin=$(realpath "${1:-build/coopd}")
guide=deploy/README.md

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/pg_ctl" ] || bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
export PATH="$bindir:$PATH"

exec 3>&1 # the check lines, also from inside redirected blocks
work=$(mktemp -d /tmp/coopd-restore-drill.XXXXXX)
chmod 755 "$work"
# Files the PostgreSQL server user writes (the WAL archive, base backup, restored data directory).
pgfiles=$work/pgfiles
mkdir -m 755 "$pgfiles"
[ "$(id -u)" -eq 0 ] && chown postgres: "$pgfiles"

coopd_pid=
clusters=()
# shellcheck disable=SC2317 # (called by the trap)
cleanup() {
	[ -n "$coopd_pid" ] && kill -TERM "$coopd_pid" 2>/dev/null && wait "$coopd_pid" 2>/dev/null
	for d in "${clusters[@]}"; do as_pg "$bindir/pg_ctl" -D "$d" -m immediate -w -t 30 stop >/dev/null 2>&1; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
free_port() {
	node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# A cluster of deploy/local/pgcluster.sh; prints its URL. DIR PORT DB
cluster() {
	local url
	url=$(PGCLUSTER_FAST=1 deploy/local/pgcluster.sh start "$1" "$2" "$3" 2>"$work/pg.err") ||
		{ sed 's/^/    /' "$work/pg.err" >&2; return 1; }
	clusters+=("$1")
	echo "$url"
}

# A command block of the guide, run with the variables it names. Each line must stand in
# deploy/README.md as a whole line (the guide shows these blocks verbatim). NAME AS BLOCK, where
# AS is "pg" (the server's user, as the guide says) or "client".
in_guide() { # NAME BLOCK
	local missing=()
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		grep -qxF -- "$line" "$guide" || missing+=("$line")
	done <<<"$2"
	if [ ${#missing[@]} -eq 0 ]; then
		ok "$guide shows the drill's commands: $1" >&3
	else
		fail "$guide lacks lines of the drill's commands ($1):" >&3
		printf '    %s\n' "${missing[@]}" >&3
	fi
}
run_block() { # NAME AS BLOCK (not in a subshell: in_guide counts)
	in_guide "$1" "$3"
	exec_block "$2" "$3"
}
exec_block() { # AS BLOCK
	local vars=(PGDATA="${PGDATA:-}" PGCONF="${PGCONF:-}" ARCHIVE="${ARCHIVE:-}" BACKUP="${BACKUP:-}"
		TARGET_TIME="${TARGET_TIME:-}" DUMP="${DUMP:-}" PGHOST="${PGHOST:-}" PGPORT="${PGPORT:-}"
		PGUSER="${PGUSER:-}" PGPASSWORD="${PGPASSWORD:-}" PATH="$PATH")
	if [ "$1" = pg ]; then
		(cd "$pgfiles" && as_pg env "${vars[@]}" bash -euo pipefail -c "$2")
	else
		env "${vars[@]}" bash -euo pipefail -c "$2"
	fi
}

# The guide's checks of a restored database: each statement prints nothing when all is well.
CHECKS='
psql -X -d coopd -At -c "SELECT c.chain, v.events, v.first_bad_event_id FROM audit_chains c, LATERAL audit_verify(c.chain) v WHERE NOT v.ok"
psql -X -d coopd -At -c "SELECT s.cooperative_id, s.year, s.last_number, count(i.id), max(i.series_number) FROM invoice_series s LEFT JOIN invoices i ON i.cooperative_id = s.cooperative_id AND i.series_year = s.year AND i.number IS NOT NULL GROUP BY 1, 2, 3 HAVING s.last_number <> count(i.id) OR s.last_number <> coalesce(max(i.series_number), 0)"
'
checks() { # LABEL: run CHECKS against the server of PGHOST/PGPORT/PGUSER/PGPASSWORD
	local out
	in_guide "checks of a restored database" "$CHECKS"
	if out=$(exec_block client "$CHECKS" 2>&1) && [ -z "$out" ]; then
		ok "$1 the guide's checks print nothing (audit chains verify, invoice series whole)"
	else
		fail "$1 the guide's checks: $out"
	fi
}

# coopd on a database URL; sets base. Waits (bounded) until /v1/ready answers 200.
admin_pw="admin-$(openssl rand -hex 8)"
jwt=$(openssl rand -hex 32)
start_coopd() {
	local port
	port=$(free_port)
	base=http://127.0.0.1:$port
	DATABASE_URL=$1 COOPD_JWT_SECRET=$jwt COOPD_BOOTSTRAP_ADMIN_PASSWORD=$admin_pw \
		COOPD_LISTEN=127.0.0.1:$port COOPD_THREADS=32 COOPD_DB_POOL=2 "$bin" >>"$work/coopd.log" 2>&1 &
	coopd_pid=$!
	for _ in $(seq 1 300); do
		kill -0 "$coopd_pid" 2>/dev/null || { coopd_pid=; tail -n 5 "$work/coopd.log" >&2; return 1; }
		[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$base/v1/ready")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}
stop_coopd() {
	[ -n "$coopd_pid" ] || return 0
	kill -TERM "$coopd_pid" && wait "$coopd_pid"
	coopd_pid=
}
api() { node tests/deploy/restore-api.mjs "$1" "$base" "$admin_pw" "${@:2}"; }
numbers_of() { node -e 'const s=JSON.parse(process.argv[1]); console.log(s.numbers.join(" "))' "$1"; }
chains_ok() { node -e 'const s=JSON.parse(process.argv[1]); process.exit(s.chain.ok && s.platform_chain.ok && s.chain.events > 0 ? 0 : 1)' "$1"; }
year=$(TZ=Europe/Amsterdam date +%Y)
num() { printf 'DRILL%s-%05d' "$year" "$1"; }
pw_of() { cat "$1.password"; }

# ---------------------------------------------------------------------------------------------
# (a) dump and restore
echo "-- (a) pg_dump (docker/backup.sh) and pg_restore into a fresh server"
port_a=$(free_port)
if ! url_a=$(cluster "$work/dump-src" "$port_a" coopd); then
	fail "(a) PostgreSQL for the dump did not start"
	finish
fi
if start_coopd "$url_a" && ids=$(api seed) && read -r coop member customer <<<"$ids" &&
	issued=$(api issue "$coop" "$member" "$customer" 3 | paste -sd' '); then
	ok "(a) three invoices issued through coopd: $issued"
else
	fail "(a) could not make the data through coopd: $(tail -n 3 "$work/coopd.log")"
	finish
fi
before=$(api state "$coop")
stop_coopd

t0=$(now)
if PGHOST=127.0.0.1 PGPORT=$port_a PGUSER=coopd PGDATABASE=coopd PGPASSWORD=$(pw_of "$work/dump-src") \
	BACKUP_DIR=$work/dumps BACKUP_KEEP_DAYS=14 bash docker/backup.sh once 2>"$work/backup.err"; then
	DUMP=$(ls "$work"/dumps/coopd-*.dump)
	ok "(a) docker/backup.sh once: $(basename "$DUMP"), $(stat -c %s "$DUMP") bytes, in $(secs "$t0" "$(now)") s"
else
	fail "(a) docker/backup.sh once: $(tail -n 3 "$work/backup.err")"
	finish
fi

# (c) on the same server: the fiscal archive's role.
archive_pw=$(openssl rand -hex 12)
psql "$url_a" -X -q -v ON_ERROR_STOP=1 -c "CREATE ROLE coopd_archive LOGIN BYPASSRLS PASSWORD '$archive_pw' IN ROLE pg_read_all_data" \
	-c "CREATE ROLE drill_no_bypass LOGIN PASSWORD '$archive_pw' IN ROLE pg_read_all_data" >/dev/null
if PGHOST=127.0.0.1 PGPORT=$port_a PGDATABASE=coopd PGUSER=coopd_archive PGPASSWORD=$archive_pw \
	pg_dump --format=custom --no-password --file="$work/archive.dump" 2>"$work/archive.err" &&
	pg_restore --list "$work/archive.dump" >"$work/archive.list" && grep -q 'TABLE DATA public invoices ' "$work/archive.list"; then
	ok "(c) the fiscal archive's pg_dump as a role in pg_read_all_data with BYPASSRLS reads every table"
else
	fail "(c) pg_dump as coopd_archive: $(tail -n 3 "$work/archive.err")"
fi
if ! PGHOST=127.0.0.1 PGPORT=$port_a PGDATABASE=coopd PGUSER=drill_no_bypass PGPASSWORD=$archive_pw \
	pg_dump --format=custom --no-password --file="$work/no-bypass.dump" 2>"$work/no-bypass.err" &&
	grep -q 'row-level security' "$work/no-bypass.err"; then
	ok "(c) without BYPASSRLS the same pg_dump is refused (row-level security)"
else
	fail "(c) pg_dump without BYPASSRLS was not refused for row-level security: $(tail -n 2 "$work/no-bypass.err")"
fi
deploy/local/pgcluster.sh stop "$work/dump-src" >/dev/null

port_b=$(free_port)
if ! cluster "$work/dump-dst" "$port_b" postgres >/dev/null; then
	fail "(a) the fresh PostgreSQL did not start"
	finish
fi
export DUMP
t0=$(now)
if PGHOST=127.0.0.1 PGPORT=$port_b PGUSER=coopd PGPASSWORD=$(pw_of "$work/dump-dst") run_block "pg_restore of a dump" client '
createdb coopd
psql -X -d coopd -v ON_ERROR_STOP=1 -c "CREATE ROLE coopd_municipal NOLOGIN NOSUPERUSER NOINHERIT NOCREATEDB NOCREATEROLE NOBYPASSRLS" -c "GRANT coopd_municipal TO CURRENT_USER"
pg_restore --no-owner --exit-on-error --single-transaction -d coopd "$DUMP"
' >"$work/restore.out" 2>&1; then
	ok "(a) restored into a fresh server in $(secs "$t0" "$(now)") s"
else
	fail "(a) the restore failed: $(tail -n 5 "$work/restore.out")"
fi
PGHOST=127.0.0.1 PGPORT=$port_b PGUSER=coopd PGPASSWORD=$(pw_of "$work/dump-dst") checks "(a)"
url_b_coopd=$(deploy/local/pgcluster.sh url "$work/dump-dst" "$port_b" coopd)
if start_coopd "$url_b_coopd" && after=$(api state "$coop"); then
	if [ "$(numbers_of "$after")" = "$(numbers_of "$before")" ] && [ "$(numbers_of "$after")" = "$(num 1) $(num 2) $(num 3)" ]; then
		ok "(a) coopd on the restored database lists the same issued invoices ($(numbers_of "$after"))"
	else
		fail "(a) invoices before: $(numbers_of "$before"); after the restore: $(numbers_of "$after")"
	fi
	if chains_ok "$after"; then ok "(a) the audit chains verify after the restore ($after)"; else fail "(a) audit chains after the restore: $after"; fi
	next=$(api issue "$coop" "$member" "$customer" 1)
	if [ "$next" = "$(num 4)" ]; then ok "(a) the next invoice continues the series: $next"; else fail "(a) the next invoice got $next, not $(num 4)"; fi
else
	fail "(a) coopd on the restored database: $(tail -n 3 "$work/coopd.log")"
fi
stop_coopd
deploy/local/pgcluster.sh stop "$work/dump-dst" >/dev/null

# ---------------------------------------------------------------------------------------------
# (b) point-in-time recovery
echo "-- (b) WAL archive, pg_basebackup, recovery to a point in time"
port_c=$(free_port)
if ! url_c=$(cluster "$work/pitr-src" "$port_c" coopd); then
	fail "(b) PostgreSQL for the recovery did not start"
	finish
fi
export PGHOST=127.0.0.1 PGPORT=$port_c PGUSER=coopd PGPASSWORD
PGPASSWORD=$(pw_of "$work/pitr-src")
export PGDATA=$work/pitr-src PGCONF=$work/pitr-src/postgresql.conf ARCHIVE=$pgfiles/wal-archive BACKUP=$pgfiles/base
if run_block "WAL archiving" pg '
mkdir -p "$ARCHIVE"
cat >>"$PGCONF" <<EOF
archive_mode = on
archive_command = '"'"'test ! -f $ARCHIVE/%f && cp %p $ARCHIVE/%f'"'"'
EOF
' && as_pg "$bindir/pg_ctl" -D "$PGDATA" -w -t 60 restart >/dev/null &&
	[ "$(psql "$url_c" -XAtc 'show archive_mode')" = on ]; then
	ok "(b) WAL archiving on"
else
	fail "(b) WAL archiving did not come on"
fi

if start_coopd "$url_c" && ids=$(api seed) && read -r coop member customer <<<"$ids"; then
	ok "(b) a cooperative, member and customer made through coopd"
else
	fail "(b) could not make the data through coopd: $(tail -n 3 "$work/coopd.log")"
	finish
fi
t0=$(now)
if run_block "pg_basebackup" pg '
pg_basebackup --pgdata="$BACKUP" --format=tar --gzip --wal-method=fetch --checkpoint=fast
' 2>"$work/basebackup.err"; then
	ok "(b) pg_basebackup: $(du -sh "$BACKUP" | cut -f1) in $(secs "$t0" "$(now)") s"
else
	fail "(b) pg_basebackup: $(tail -n 3 "$work/basebackup.err")"
	finish
fi
first=$(api issue "$coop" "$member" "$customer" 3 | paste -sd' ')
sleep 1
TARGET_TIME=$(psql "$url_c" -XAtc "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
export TARGET_TIME
sleep 1
later=$(api issue "$coop" "$member" "$customer" 2 | paste -sd' ')
ok "(b) issued $first before $TARGET_TIME and $later after it"
LOST_QUERY='
psql -X -d coopd -At -c "SELECT number, issued_at FROM invoices WHERE issued_at > '"'"'$TARGET_TIME'"'"' ORDER BY issued_at"
'
in_guide "invoices after the target time" "$LOST_QUERY"
lost=$(exec_block client "$LOST_QUERY" | cut -d'|' -f1 | paste -sd' ')
if [ "$lost" = "$later" ]; then ok "(b) the guide's query lists the invoices a recovery to the target would lose: $lost"; else fail "(b) invoices after the target time: '$lost', not $later"; fi
stop_coopd
# The segment holding the last commits, switched out and archived (bounded wait).
seg=$(psql "$url_c" -XAtc "select pg_walfile_name(pg_current_wal_insert_lsn())")
psql "$url_c" -XAtqc "select pg_switch_wal()" >/dev/null
for _ in $(seq 1 300); do [ -f "$ARCHIVE/$seg" ] && break; sleep 0.1; done
if [ -f "$ARCHIVE/$seg" ]; then ok "(b) the WAL up to the later invoices is archived ($seg)"; else fail "(b) $seg was not archived within 30 s"; fi
deploy/local/pgcluster.sh stop "$work/pitr-src" >/dev/null

export PGDATA=$pgfiles/restored PGCONF=$pgfiles/restored/postgresql.conf
port_d=$(free_port)
t0=$(now)
run_block "recovery to a point in time" pg '
mkdir -m 700 "$PGDATA"
tar -xzf "$BACKUP/base.tar.gz" -C "$PGDATA"
cat >>"$PGCONF" <<EOF
restore_command = '"'"'cp $ARCHIVE/%f %p'"'"'
recovery_target_time = '"'"'$TARGET_TIME'"'"'
recovery_target_action = '"'"'promote'"'"'
archive_mode = off
EOF
touch "$PGDATA/recovery.signal"
' 2>"$work/recovery.err" || fail "(b) preparing the recovery: $(tail -n 3 "$work/recovery.err")"
clusters+=("$PGDATA")
if as_pg "$bindir/pg_ctl" -D "$PGDATA" -o "-p $port_d" -l "$PGDATA/server.log" -w -t 120 start >/dev/null; then
	url_d=postgresql://coopd:$PGPASSWORD@127.0.0.1:$port_d/coopd
	for _ in $(seq 1 600); do [ "$(psql "$url_d" -XAtc 'select pg_is_in_recovery()' 2>/dev/null)" = f ] && break; sleep 0.1; done
	if [ "$(psql "$url_d" -XAtc 'select pg_is_in_recovery()' 2>/dev/null)" = f ]; then
		ok "(b) recovered and promoted in $(secs "$t0" "$(now)") s ($(as_pg grep -o 'recovery stopping before commit[^,]*' "$PGDATA/server.log" | head -n 1))"
	else
		fail "(b) not promoted within 60 s: $(as_pg tail -n 5 "$PGDATA/server.log")"
	fi
else
	fail "(b) the restored server did not start: $(as_pg tail -n 5 "$PGDATA/server.log" 2>/dev/null)"
fi
PGPORT=$port_d checks "(b)"
if start_coopd "$url_d" && after=$(api state "$coop"); then
	if [ "$(numbers_of "$after")" = "$first" ]; then
		ok "(b) exactly the invoices issued before the target time are there ($(numbers_of "$after"))"
	else
		fail "(b) expected $first, found $(numbers_of "$after")"
	fi
	if chains_ok "$after"; then ok "(b) the audit chains verify after the recovery"; else fail "(b) audit chains after the recovery: $after"; fi
	next=$(api issue "$coop" "$member" "$customer" 1)
	if [ "$next" = "$(num 4)" ]; then ok "(b) the next invoice continues from the recovered ones: $next"; else fail "(b) the next invoice got $next, not $(num 4)"; fi
else
	fail "(b) coopd on the recovered database: $(tail -n 3 "$work/coopd.log")"
fi
stop_coopd
as_pg "$bindir/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
finish
