#!/usr/bin/env bash
# Nightly dump of coopd's database (the `backup` service of docker/compose.yaml).
#
#   backup.sh once    one pg_dump now, then remove the dumps older than BACKUP_KEEP_DAYS
#   backup.sh loop    sleep until BACKUP_AT (HH:MM, local time of TZ), run `once`, repeat
#   backup.sh restore FILE
#                     replace the database PGDATABASE by the dump FILE (pg_restore); refused
#                     while anything (coopd) is connected to it
#
# The connection comes from libpq's variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD).
# BACKUP_DIR (default /backups) receives coopd-YYYYMMDDTHHMMSSZ.dump in pg_dump's custom format,
# restored with pg_restore (docker/README.md, "Backups"). A dump is written under a .partial
# name and renamed when pg_dump succeeded, so a file named *.dump is always complete.
# Tested on the host in `make test` (tests/compose/backup.test.sh).
set -euo pipefail

BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_AT=${BACKUP_AT:-02:30}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

check_config() {
	if ! [[ $BACKUP_KEEP_DAYS =~ ^[0-9]+$ ]] || [ "$BACKUP_KEEP_DAYS" -lt 1 ]; then
		log "BACKUP_KEEP_DAYS must be a whole number of days, at least 1"
		exit 2
	fi
	if ! [[ $BACKUP_AT =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]]; then
		log "BACKUP_AT must be HH:MM"
		exit 2
	fi
}

# One dump; prints its path. The file is complete or absent.
dump() {
	local name tmp
	name="$BACKUP_DIR/${PGDATABASE:-coopd}-$(date -u +%Y%m%dT%H%M%SZ).dump"
	tmp="$name.partial"
	mkdir -p "$BACKUP_DIR"
	if ! pg_dump --format=custom --no-password --file="$tmp"; then
		rm -f "$tmp"
		return 1
	fi
	mv "$tmp" "$name"
	echo "$name"
}

# Removes the dumps (and leftover partial files) older than BACKUP_KEEP_DAYS days.
prune() {
	find "$BACKUP_DIR" -maxdepth 1 -type f \( -name '*.dump' -o -name '*.dump.partial' \) \
		-mmin +$((BACKUP_KEEP_DAYS * 24 * 60)) -print -delete
}

once() {
	local file
	if file=$(dump); then
		log "wrote $file ($(stat -c %s "$file") bytes)"
	else
		log "pg_dump failed; the older dumps are kept"
		return 1
	fi
	prune | while IFS= read -r old; do log "removed $old"; done
}

# Drops and recreates PGDATABASE, then restores FILE into it in one transaction. The role
# coopd_municipal is global to the server, not part of a dump: it is created first when missing
# (as migration 012 does), so that the dump's grants to it apply.
restore() {
	local file=${1:-} db=${PGDATABASE:-coopd}
	if [ -z "$file" ] || [ ! -f "$file" ]; then
		log "restore: no such dump: '$file'"
		exit 2
	fi
	pg_restore --list "$file" >/dev/null || { log "restore: $file is not a pg_dump archive"; exit 2; }
	log "restore: replacing database $db by $file"
	psql -X -q -v ON_ERROR_STOP=1 -d postgres <<-SQL || { log "restore: could not recreate $db (is coopd stopped?)"; exit 1; }
		DROP DATABASE IF EXISTS "$db";
		CREATE DATABASE "$db";
		DO \$\$
		BEGIN
		    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'coopd_municipal') THEN
		        CREATE ROLE coopd_municipal NOLOGIN NOSUPERUSER NOINHERIT NOCREATEDB NOCREATEROLE NOBYPASSRLS;
		    END IF;
		    IF NOT pg_has_role(current_user, 'coopd_municipal', 'MEMBER') THEN
		        GRANT coopd_municipal TO CURRENT_USER;
		    END IF;
		END \$\$;
	SQL
	pg_restore --no-owner --exit-on-error --single-transaction -d "$db" "$file" ||
		{ log "restore: pg_restore failed (one transaction: $db is left empty)"; exit 1; }
	log "restore: done"
}

# Seconds from now until the next BACKUP_AT.
seconds_until_next() {
	local now next
	now=$(date +%s)
	next=$(date -d "today $BACKUP_AT" +%s)
	[ "$next" -gt "$now" ] || next=$(date -d "tomorrow $BACKUP_AT" +%s)
	echo $((next - now))
}

check_config
case "${1:-loop}" in
once)
	once
	;;
restore)
	restore "${2:-}"
	;;
loop)
	log "dumps at $BACKUP_AT ($(date +%Z)) into $BACKUP_DIR, kept $BACKUP_KEEP_DAYS days"
	# As the container's PID 1, bash ignores SIGTERM without a trap; the sleeps run in the
	# background so that a `docker stop` ends the wait at once.
	trap 'log stopped; exit 0' TERM INT
	while :; do
		sleep "$(seconds_until_next)" &
		wait $!
		once || true # a failed night is logged; the next one tries again
		sleep 60 &   # past the minute of BACKUP_AT
		wait $!
	done
	;;
*)
	echo "usage: backup.sh once|loop|restore FILE" >&2
	exit 2
	;;
esac
