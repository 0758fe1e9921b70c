#!/usr/bin/env bash
# Installs the Debian packages coopd needs for one purpose, only when some are missing.
# Usage: deps.sh build|run|test|bench|all     Idempotent; runs `apt-get update` first when installing.
set -euo pipefail

# nodejs and npm install the API reference page's script (docs/web/, embedded in the binary).
# libcurl (OpenSSL flavour) is the HTTP client of the webhook deliveries.
build=(gcc make pkg-config libcivetweb-dev libjansson-dev libjwt-dev libpq-dev libssl-dev
       libcrypt-dev libyaml-dev libxml2-dev libhpdf-dev libfribidi-dev libunistring-dev
       libcurl4-openssl-dev nodejs npm)
# The invoice PDFs embed DejaVu Sans: coopd refuses to start without it. libcurl4 delivers the
# webhooks; ca-certificates lets it verify https receivers.
run=(postgresql openssl curl fonts-dejavu-core libcurl4 ca-certificates)
# Saxon-HE runs the official SI-UBL validation; poppler-utils reads the PDFs back; chromium
# renders the API reference page headless (tests/api/docs.test.mjs); prometheus carries
# promtool, which checks /metrics (tests/api/metrics.test.mjs); only promtool is used (on a
# machine with systemd the package also enables a Prometheus server on :9090). caddy checks
# and runs docker/Caddyfile (tests/compose/; on a machine with systemd the package also enables
# a Caddy server on :80).
test=(nodejs postgresql openssl libxml2-utils libsaxonhe-java default-jre-headless poppler-utils clang libclang-rt-14-dev
      chromium prometheus caddy)
bench=(wrk postgresql-contrib)

want=()
for purpose in "$@"; do
	case "$purpose" in
	build) want+=("${build[@]}") ;;
	run) want+=("${build[@]}" "${run[@]}") ;;
	test) want+=("${build[@]}" "${run[@]}" "${test[@]}") ;;
	bench) want+=("${build[@]}" "${run[@]}" "${bench[@]}") ;;
	all) want+=("${build[@]}" "${run[@]}" "${test[@]}" "${bench[@]}") ;;
	*) echo "deps.sh: unknown purpose '$purpose'" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	# node, npm and java may come from elsewhere than Debian (a preinstalled one is good enough;
	# NodeSource's nodejs brings its own npm).
	if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
	if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
	if [ "$p" = default-jre-headless ] && command -v java >/dev/null 2>&1; then continue; fi
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

# de-duplicate
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
