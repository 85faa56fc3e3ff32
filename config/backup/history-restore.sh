#!/bin/sh
# Restores a dump written by history-backup.sh into the database libpq's variables name (PGHOST, PGPORT,
# PGUSER, PGPASSWORD, PGDATABASE), which must exist and be empty: all or nothing, in one transaction.
# Usage: history-restore.sh /backup/gridgame-history-YYYYMMDDTHHMMSSZ.dump   (see docs/backup-restore.md)
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DUMP" >&2; exit 2; }
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="${PGDATABASE:-postgres}" "$1"
echo "restored $1 into ${PGDATABASE:-postgres}"
