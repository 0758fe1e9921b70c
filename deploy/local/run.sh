#!/usr/bin/env bash
# `make run`: coopd on a private PostgreSQL cluster under .local/ (unless DATABASE_URL is set),
# with a generated development signing key and admin password. Ctrl-C stops coopd, then the
# cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
local_dir=$root/.local
mkdir -p "$local_dir"
chmod 755 "$local_dir"

bin=${COOPD_BIN:-$root/build/coopd}
export COOPD_LISTEN=${COOPD_LISTEN:-127.0.0.1:8080}

own_cluster=0
if [ -z "${DATABASE_URL:-}" ]; then
	port=${COOPD_PG_PORT:-54329}
	echo "run: starting the private PostgreSQL cluster in .local/pg (port $port)"
	DATABASE_URL=$(deploy/local/pgcluster.sh start "$local_dir/pg" "$port" coopd)
	export DATABASE_URL
	own_cluster=1
fi

# A development signing key and admin password, generated once and kept under .local/.
if [ -z "${COOPD_JWT_SECRET:-}" ] && [ -z "${COOPD_JWT_PRIVATE_KEY_FILE:-}" ]; then
	[ -s "$local_dir/jwt_secret" ] || (umask 077 && openssl rand -hex 32 >"$local_dir/jwt_secret")
	COOPD_JWT_SECRET=$(cat "$local_dir/jwt_secret")
	export COOPD_JWT_SECRET
fi
if [ -z "${COOPD_BOOTSTRAP_ADMIN_PASSWORD:-}" ]; then
	[ -s "$local_dir/admin_password" ] ||
		(umask 077 && openssl rand -base64 18 | tr -d '/+=' >"$local_dir/admin_password")
	COOPD_BOOTSTRAP_ADMIN_PASSWORD=$(cat "$local_dir/admin_password")
	export COOPD_BOOTSTRAP_ADMIN_PASSWORD
fi

coopd_pid=
stop() {
	trap - INT TERM EXIT
	if [ -n "$coopd_pid" ] && kill -0 "$coopd_pid" 2>/dev/null; then
		kill -TERM "$coopd_pid" 2>/dev/null || true
		wait "$coopd_pid" 2>/dev/null || true
	fi
	if [ "$own_cluster" = 1 ]; then
		echo "run: stopping the PostgreSQL cluster"
		deploy/local/pgcluster.sh stop "$local_dir/pg" || true
	fi
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

"$bin" &
coopd_pid=$!

base="http://$COOPD_LISTEN"
for _ in $(seq 1 100); do
	if curl -fsS "$base/v1/health" >/dev/null 2>&1; then break; fi
	if ! kill -0 "$coopd_pid" 2>/dev/null; then
		wait "$coopd_pid" || true
		echo "run: coopd did not start (see the messages above)" >&2
		exit 1
	fi
	sleep 0.1
done

# A new database gets the demo cooperative (through the API, like any client).
deploy/local/demo.sh "$base" "$COOPD_BOOTSTRAP_ADMIN_PASSWORD" "$local_dir/demo_logins" ||
	echo "run: the demo data was not loaded (see above)" >&2

cat <<MSG

coopd is running on $base
  username: admin
  password: $COOPD_BOOTSTRAP_ADMIN_PASSWORD   (set when the database had no users)
MSG
if [ -s "$local_dir/demo_logins" ]; then
	echo
	echo "Demo logins (cooperative De Werkplaats, municipality Amsterdam):"
	while read -r role password; do
		case "$role" in
		coop_admin) user=beheer ;; bookkeeper) user=boekhouder ;; auditor) user=accountant ;;
		member) user=fatima ;; municipality) user=gemeente.amsterdam ;; *) continue ;;
		esac
		printf '  %-14s %-20s %s\n' "$role" "$user" "$password"
	done <"$local_dir/demo_logins"
fi
cat <<MSG

Log in and call /v1/me:
  curl -s $base/v1/me -H "Authorization: Bearer \$(curl -s $base/v1/auth/token -H 'Content-Type: application/json' -d '{"grant_type":"password","username":"admin","password":"$COOPD_BOOTSTRAP_ADMIN_PASSWORD"}' | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')"

Ctrl-C stops coopd and the cluster.
MSG

wait "$coopd_pid"
