#!/bin/sh
# Dumps the history database to BACKUP_DIR in pg_dump's custom format (compressed, restorable table by table
# with pg_restore), then deletes dumps older than KEEP_DAYS. The connection comes from libpq's variables
# (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). The CronJob runs this very file (ConfigMap
# gridgame-history-backup), and the restore drill in the tests does too.
set -eu
dir=${BACKUP_DIR:-/backup}
keep=${KEEP_DAYS:-14}
file="$dir/gridgame-history-$(date -u +%Y%m%dT%H%M%SZ).dump"
# A dump is complete or absent: it is written under a temporary name and renamed once pg_dump succeeded.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$file.partial"
mv "$file.partial" "$file"
echo "wrote $file ($(wc -c <"$file") bytes)"
find "$dir" -name 'gridgame-history-*.dump' -mtime +"$keep" -print -delete
