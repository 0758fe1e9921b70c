#!/usr/bin/env bash
# docker/backup.sh on the host, against a throw-away PostgreSQL (deploy/local/pgcluster.sh) with
# coopd's migrated schema: a dump is made in the custom format, dumps older than
# BACKUP_KEEP_DAYS are removed and younger ones kept, a failing pg_dump leaves no file behind,
# and a dump restores (backup.sh restore, pg_restore) into a fresh server with the same rows,
# and not while a client is connected. Then coopd's
# compose healthcheck command (bash /dev/tcp, taken from docker/compose.yaml) against a running
# coopd and a stopped one. One "ok   ..." or "FAIL ..." line per check; exit 1 on a failure.
#   tests/compose/backup.test.sh [COOPD_BIN]      (default build/coopd)
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/coopd}

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

work=$(mktemp -d /tmp/coopd-compose-test.XXXXXX)
chmod 755 "$work"
coopd_pid=
cleanup() {
	[ -n "$coopd_pid" ] && kill "$coopd_pid" 2>/dev/null && wait "$coopd_pid" 2>/dev/null
	deploy/local/pgcluster.sh stop "$work/pg" >/dev/null 2>&1 || true
	deploy/local/pgcluster.sh stop "$work/pg2" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

free_port() {
	node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

url=
for attempt in 1 2 3; do
	port=$(free_port)
	url=$(PGCLUSTER_FAST=1 deploy/local/pgcluster.sh start "$work/pg" "$port" coopd 2>"$work/pg.err") && break
	url=
done
if [ -z "$url" ]; then
	fail "PostgreSQL for the backup test did not start: $(tail -n 3 "$work/pg.err")"
	echo "$passed passed, $failed failed"
	exit 1
fi
if ! DATABASE_URL=$url "$bin" migrate >"$work/migrate.out" 2>&1; then
	fail "coopd migrate on the test database: $(tail -n 3 "$work/migrate.out")"
	echo "$passed passed, $failed failed"
	exit 1
fi
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=coopd PGDATABASE=coopd
export PGPASSWORD
PGPASSWORD=$(cat "$work/pg.password")
psql -X -q -v ON_ERROR_STOP=1 -c "create table backup_probe(id int primary key, note text);
	insert into backup_probe select g, 'row ' || g from generate_series(1, 500) g" >/dev/null

export BACKUP_DIR=$work/backups BACKUP_KEEP_DAYS=7
mkdir -p "$BACKUP_DIR"
# Dumps of earlier nights: 8 and 30 days old go, 6 days old stays; a file of another name stays.
touch -d '8 days ago' "$BACKUP_DIR/coopd-old8.dump"
touch -d '30 days ago' "$BACKUP_DIR/coopd-old30.dump" "$BACKUP_DIR/coopd-old30.dump.partial"
touch -d '6 days ago' "$BACKUP_DIR/coopd-young6.dump"
touch -d '30 days ago' "$BACKUP_DIR/notes.txt"

if bash docker/backup.sh once 2>"$work/once.err"; then
	ok "backup.sh once exits 0 ($(grep -o 'wrote .*' "$work/once.err" | sed 's#wrote .*/#wrote #'))"
else
	fail "backup.sh once failed: $(tail -n 5 "$work/once.err")"
fi
mapfile -t new < <(find "$BACKUP_DIR" -name 'coopd-2*.dump')
if [ ${#new[@]} -eq 1 ] && [ "$(head -c 5 "${new[0]}")" = PGDMP ] &&
	[[ $(basename "${new[0]}") =~ ^coopd-[0-9]{8}T[0-9]{6}Z\.dump$ ]]; then
	ok "one new dump in pg_dump's custom format: $(basename "${new[0]}")"
else
	fail "expected one new custom-format dump, found: ${new[*]:-none}"
fi
left=$(cd "$BACKUP_DIR" && ls | grep -v '^coopd-2' | sort | tr '\n' ' ')
if [ "$left" = "coopd-young6.dump notes.txt " ]; then
	ok "dumps older than BACKUP_KEEP_DAYS=7 removed (8 and 30 days, a stale .partial), 6 days and other files kept"
else
	fail "after pruning, expected 'coopd-young6.dump notes.txt', found: $left"
fi

# `backup.sh restore` into a fresh server (no coopd_municipal role yet): same rows, coopd's
# schema, and `coopd migrate` finds nothing to apply.
dump=${new[0]:-/nonexistent}
url2=
for attempt in 1 2 3; do
	port2=$(free_port)
	url2=$(PGCLUSTER_FAST=1 deploy/local/pgcluster.sh start "$work/pg2" "$port2" postgres 2>"$work/pg2.err") && break
	url2=
done
q() { psql -X -Atq -c "select count(*), sum(id) from backup_probe" \
	-c "select count(*) from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')" \
	-c "select count(*) from schema_migrations" "$@" | tr '\n' ' '; }
if [ -z "$url2" ]; then
	fail "the second PostgreSQL did not start: $(tail -n 3 "$work/pg2.err")"
elif PGPORT=$port2 PGPASSWORD=$(cat "$work/pg2.password") bash docker/backup.sh restore "$dump" 2>"$work/restore.err"; then
	a=$(q)
	b=$(PGPORT=$port2 PGPASSWORD=$(cat "$work/pg2.password") q)
	if [ "$a" = "$b" ] && [[ $b == "500|125250 "* ]] &&
		DATABASE_URL=${url2%/*}/coopd "$bin" migrate >"$work/migrate2.out" 2>&1; then
		ok "backup.sh restore (pg_restore) into a fresh server: same rows, tables and migrations ($b); coopd migrate then succeeds"
	else
		fail "restored database differs or does not migrate: '$a' vs '$b' $(tail -n 2 "$work/migrate2.out" 2>/dev/null)"
	fi
else
	fail "backup.sh restore failed: $(tail -n 5 "$work/restore.err")"
fi

# While a client is connected, restore refuses (DROP DATABASE waits 5 s for it, then gives up)
# and the database stays as it was.
psql -X -q -c "select pg_sleep(30)" >/dev/null 2>&1 &
holder=$!
sleep 0.5
if bash docker/backup.sh restore "$dump" 2>"$work/restore2.err"; then
	fail "backup.sh restore replaced a database that a client was connected to"
elif [ "$(q)" = "$a" ] && grep -q 'is coopd stopped' "$work/restore2.err"; then
	ok "backup.sh restore refuses while a client is connected; the database is untouched"
else
	fail "refused restore: unexpected state '$(q)' / $(tail -n 2 "$work/restore2.err")"
fi
psql -X -q -d postgres -c "select pg_terminate_backend(pid) from pg_stat_activity where query like 'select pg_sleep(30)%'" >/dev/null
wait "$holder" 2>/dev/null

# A failing pg_dump (wrong password) exits non-zero and leaves neither a dump nor a .partial.
before=$(ls "$BACKUP_DIR" | sort)
if PGPASSWORD=wrong bash docker/backup.sh once 2>"$work/fail.err"; then
	fail "backup.sh once exited 0 although pg_dump could not connect"
elif [ "$(ls "$BACKUP_DIR" | sort)" = "$before" ] && grep -q 'pg_dump failed' "$work/fail.err"; then
	ok "a failing pg_dump exits non-zero, is logged, and leaves no file"
else
	fail "a failing pg_dump left files or no log line: $(ls "$BACKUP_DIR" | tr '\n' ' ') / $(tail -n 2 "$work/fail.err")"
fi

# Bad settings stop the service with exit code 2 before anything runs.
if BACKUP_KEEP_DAYS=0 bash docker/backup.sh once 2>/dev/null; then rc=0; else rc=$?; fi
if BACKUP_AT=25:00 bash docker/backup.sh loop 2>/dev/null; then rc2=0; else rc2=$?; fi
if [ "$rc" = 2 ] && [ "$rc2" = 2 ]; then
	ok "BACKUP_KEEP_DAYS=0 and BACKUP_AT=25:00 are refused (exit 2)"
else
	fail "bad settings: exit $rc and $rc2, expected 2 and 2"
fi

# coopd's healthcheck of docker/compose.yaml, with the port of a coopd started here.
health=$(node -e '
const YAML = require("./tests/compose/node_modules/yaml");
const d = YAML.parseDocument(require("fs").readFileSync("docker/compose.yaml", "utf8"), { merge: true }).toJS();
const t = d.services.coopd.healthcheck.test;
if (t[0] !== "CMD" || t[1] !== "bash" || t[2] !== "-c") process.exit(1);
console.log(t[3]);')
if [ -z "$health" ]; then
	fail "coopd's healthcheck in docker/compose.yaml is not [CMD, bash, -c, ...]"
else
	hport=$(free_port)
	health_here=${health//127.0.0.1\/8080/127.0.0.1\/$hport}
	DATABASE_URL=$url COOPD_LISTEN=127.0.0.1:$hport COOPD_JWT_SECRET=$(openssl rand -hex 32) \
		"$bin" >"$work/coopd.log" 2>&1 &
	coopd_pid=$!
	up=
	for _ in $(seq 1 100); do
		if timeout 3 bash -c "$health_here" 2>/dev/null; then up=1; break; fi
		sleep 0.1
	done
	if [ -n "$up" ]; then ok "the healthcheck command passes against a running coopd"; else
		fail "the healthcheck command did not pass against a running coopd: $(tail -n 3 "$work/coopd.log")"
	fi
	kill "$coopd_pid" 2>/dev/null
	wait "$coopd_pid" 2>/dev/null
	coopd_pid=
	if timeout 3 bash -c "$health_here" 2>/dev/null; then
		fail "the healthcheck command passes with coopd stopped"
	else
		ok "the healthcheck command fails with coopd stopped"
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
