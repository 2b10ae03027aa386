#!/usr/bin/env bash
# Backup and restore drill (docs/deploy.md "Restoring a backup"): seed a PostgreSQL database
# with the demo tenant, dump it with pg_dump (custom format, as RDS/Managed PostgreSQL exports
# are restored), restore into a fresh database with pg_restore, and compare row counts of every
# table. Exits non-zero if anything differs.
#
#   deploy/restore_drill.sh [postgres://postgres@127.0.0.1:5432]
set -Eeuo pipefail
cd "$(dirname "$0")/.."
SERVER="${1:-postgres://postgres@127.0.0.1:5432}"
SOURCE="fastlead_drill_source"
TARGET="fastlead_drill_restored"
DUMP="$(mktemp -d)/fastlead.dump"
PY=.venv/bin/python

for db in "$SOURCE" "$TARGET"; do
    psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done
export DJANGO_SECRET_KEY="drill-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export JWT_SIGNING_KEY="drill-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export FIELD_ENCRYPTION_KEYS="drill-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export DATABASE_URL="$SERVER/$SOURCE"
echo "==> seeding $SOURCE (migrate + demo data)"
$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo >/dev/null
echo "==> pg_dump -Fc"
pg_dump -Fc --no-owner -d "$SERVER/$SOURCE" -f "$DUMP"
echo "==> pg_restore into $TARGET"
pg_restore --no-owner -d "$SERVER/$TARGET" "$DUMP"

counts() {
    psql "$SERVER/$1" -Atc "SELECT string_agg(format('SELECT %L, count(*) FROM %I', tablename, tablename), ' UNION ALL ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'" |
        psql "$SERVER/$1" -At | sort
}
diff <(counts "$SOURCE") <(counts "$TARGET") && echo "==> restored: every table has the same rows ($(counts "$TARGET" | wc -l) tables, $(counts "$TARGET" | awk -F'|' '{s+=$2} END {print s}') rows)"
