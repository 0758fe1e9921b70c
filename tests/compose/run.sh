#!/usr/bin/env bash
# The checks of the single-host setup in docker/ (no Docker engine needed), each printing one
# "ok   ..." or "FAIL ..." line (tests/run.sh counts them under "== compose"):
#   - docker/compose.yaml against the Compose Specification schema and the setup's rules
#     (validate.mjs; pinned packages from package-lock.json by `npm ci`, skipped while
#     node_modules holds what that lock file names);
#   - docker/Caddyfile with `caddy validate` (Debian's caddy, deploy/local/deps.sh test) in both
#     TLS modes, and a broken copy refused;
#   - Caddy running docker/Caddyfile (local CA, high ports) in front of an echo server: what it
#     forwards (caddy.test.mjs);
#   - docker/backup.sh and coopd's healthcheck command against a throw-away PostgreSQL
#     (backup.test.sh).
#   tests/compose/run.sh [COOPD_BIN]       (default build/coopd)
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/coopd}
dir=tests/compose
status=0
fail() { echo "FAIL $*"; status=1; }

work=$(mktemp -d /tmp/coopd-compose-run.XXXXXX)
trap 'rm -rf "$work"' EXIT

if cmp -s "$dir/package-lock.json" "$dir/node_modules/.coopd-package-lock.json" ||
	{ (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$work/npm.out" 2>&1 &&
		cp "$dir/package-lock.json" "$dir/node_modules/.coopd-package-lock.json"; }; then
	node "$dir/validate.mjs" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
else
	tail -n 20 "$work/npm.out" | sed 's/^/    /'
	fail "npm ci in $dir"
fi

# Caddy keeps its state (certificates, the local CA) under these.
export XDG_DATA_HOME=$work/caddy-data XDG_CONFIG_HOME=$work/caddy-config
if ! command -v caddy >/dev/null; then
	fail "caddy is not installed (deploy/local/deps.sh test)"
else
	for mode in internal ops@example.nl; do
		if out=$(COOPD_DOMAIN=coopd.example.nl COOPD_TLS=$mode caddy validate --adapter caddyfile \
			--config docker/Caddyfile 2>&1); then
			echo "ok   caddy validate docker/Caddyfile with COOPD_TLS=$mode ($(caddy version | cut -d' ' -f1))"
		else
			printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /'
			fail "caddy validate docker/Caddyfile with COOPD_TLS=$mode"
		fi
	done
	sed 's/^\t\tmax_buffer_size 1MB/\t\tmax_bufer_size 1MB/' docker/Caddyfile >"$work/Caddyfile.broken"
	if ! cmp -s docker/Caddyfile "$work/Caddyfile.broken" &&
		! COOPD_DOMAIN=coopd.example.nl COOPD_TLS=internal caddy validate --adapter caddyfile \
			--config "$work/Caddyfile.broken" >/dev/null 2>&1; then
		echo "ok   caddy validate refuses a Caddyfile with a misspelt subdirective"
	else
		fail "caddy validate accepted a broken Caddyfile (or the copy was not broken)"
	fi
	node "$dir/caddy.test.mjs" || status=1
fi

"$dir/backup.test.sh" "$bin" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
exit $status
