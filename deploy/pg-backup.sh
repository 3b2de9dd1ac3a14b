#!/bin/sh
# One PostgreSQL backup with pg_dump (custom format), then retention: keep the newest BACKUP_KEEP.
#
#   docker compose --profile backup run --rm pg-backup          (compose.yaml's pg-backup service)
#   PGHOST=... PGUSER=... PGDATABASE=... PGPASSWORD=... BACKUP_DIR=/srv/backups sh deploy/pg-backup.sh
#
# Connection settings are libpq's PG* variables (the password never goes on the command line).
# Restore into an empty database:  pg_restore --clean --if-exists --no-owner -d scrum FILE.dump
# The dump holds personal data encrypted with SCRUM_ENCRYPTION_KEY: keep that key elsewhere.
set -eu

dir="${BACKUP_DIR:-./backups}"
keep="${BACKUP_KEEP:-14}"
case "$keep" in
    '' | *[!0-9]*) echo "pg-backup: BACKUP_KEEP must be a whole number (0 keeps all)" >&2; exit 2 ;;
esac

umask 077
mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$dir/scrum-bot-$stamp.dump"

if ! pg_dump --format=custom --no-owner --no-privileges --file="$out.part"; then
    rm -f "$out.part"
    echo "pg-backup: pg_dump failed; no backup written" >&2
    exit 1
fi
mv "$out.part" "$out"
echo "pg-backup: wrote $out"

if [ "$keep" -gt 0 ]; then
    # The glob lists our files oldest first (names sort by time); delete all but the newest $keep.
    total=0
    for f in "$dir"/scrum-bot-*Z.dump; do
        [ -f "$f" ] && total=$((total + 1))
    done
    excess=$((total - keep))
    for f in "$dir"/scrum-bot-*Z.dump; do
        [ "$excess" -gt 0 ] || break
        [ -f "$f" ] || continue
        rm -f "$f"
        echo "pg-backup: removed $f"
        excess=$((excess - 1))
    done
fi
