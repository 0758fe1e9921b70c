#!/usr/bin/env bash
# A private PostgreSQL cluster for development, tests and benchmarks.
#
#   pgcluster.sh start DIR PORT [DBNAME]   create (first time) and start the cluster in DIR,
#                                          listening on 127.0.0.1:PORT; create DBNAME; print its URL
#   pgcluster.sh stop DIR                  stop it (fast shutdown), waiting until it is down
#   pgcluster.sh url DIR PORT DBNAME       print the libpq URL of DBNAME
#
# PostgreSQL refuses to run as root: when this runs as root the server runs as the `postgres`
# user, which then owns DIR. Access is password-only (scram-sha-256) over loopback TCP; the
# password is generated on first start and kept in DIR/../$(basename DIR).password (mode 600).
# Set PGCLUSTER_FAST=1 for throwaway clusters (fsync off): tests and benchmarks, never real data.
set -euo pipefail

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
	bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "$bindir/initdb" ] || { echo "pgcluster: PostgreSQL server binaries not found" >&2; exit 1; }

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pwfile_of() { echo "$(dirname "$1")/$(basename "$1").password"; }

url_of() { # DIR PORT DB
	local pw
	pw=$(cat "$(pwfile_of "$1")")
	echo "postgresql://coopd:${pw}@127.0.0.1:$2/$3"
}

cmd=${1:-}
case "$cmd" in
start)
	dir=$2 port=$3 db=${4:-coopd}
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	pwfile=$(pwfile_of "$dir")
	if [ ! -s "$dir/PG_VERSION" ]; then
		umask 077
		[ -s "$pwfile" ] || openssl rand -hex 24 >"$pwfile"
		tmp_pw=$(mktemp)
		cp "$pwfile" "$tmp_pw"
		if [ "$(id -u)" -eq 0 ]; then
			chown postgres: "$dir" "$tmp_pw"
			if ! runuser -u postgres -- test -x "$dir"; then
				echo "pgcluster: user postgres cannot reach $dir (check the permissions of its parents)" >&2
				exit 1
			fi
		fi
		as_owner "$bindir/initdb" -D "$dir" -U coopd --pwfile="$tmp_pw" -E UTF8 --no-locale \
			--auth=scram-sha-256 >"$dir.initdb.log" 2>&1 || { cat "$dir.initdb.log" >&2; rm -f "$tmp_pw"; exit 1; }
		rm -f "$tmp_pw"
		{
			echo "listen_addresses = '127.0.0.1'"
			echo "unix_socket_directories = ''"
			echo "max_connections = 100"
			echo "shared_buffers = 256MB"
			echo "log_min_messages = warning"
			# No row contents or statement texts in the server log: a failing CHECK would
			# otherwise log the whole row ("Failing row contains ...") with names and e-mail.
			echo "log_error_verbosity = terse"
			echo "log_min_error_statement = panic"
			echo "log_parameter_max_length_on_error = 0"
			if [ "${PGCLUSTER_FAST:-0}" = 1 ]; then
				echo "fsync = off"
				echo "synchronous_commit = off"
				echo "full_page_writes = off"
			fi
		} | as_owner tee -a "$dir/postgresql.conf" >/dev/null
	fi
	if ! as_owner "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
		as_owner "$bindir/pg_ctl" -D "$dir" -o "-p $port" -l "$dir/server.log" -w -t 60 start >/dev/null ||
			{ tail -n 20 "$dir/server.log" >&2; exit 1; }
	fi
	export PGPASSWORD
	PGPASSWORD=$(cat "$pwfile")
	if ! psql -h 127.0.0.1 -p "$port" -U coopd -d postgres -Atqc "select 1 from pg_database where datname = '$db'" | grep -q 1; then
		psql -h 127.0.0.1 -p "$port" -U coopd -d postgres -qc "create database \"$db\"" >/dev/null
	fi
	url_of "$dir" "$port" "$db"
	;;
stop)
	dir=$2
	[ -d "$dir" ] || exit 0
	if as_owner "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
		as_owner "$bindir/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
	fi
	;;
url)
	url_of "$2" "$3" "$4"
	;;
*)
	echo "usage: pgcluster.sh start DIR PORT [DB] | stop DIR | url DIR PORT DB" >&2
	exit 2
	;;
esac
