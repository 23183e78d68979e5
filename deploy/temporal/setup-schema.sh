#!/bin/sh
# Temporal's two databases on PostgreSQL, created and migrated to the schema of the
# temporal-sql-tool's own server version (temporalio/admin-tools). Safe to run again: an
# existing database is kept and only migrated forward. Connection: SQL_PLUGIN, SQL_HOST,
# SQL_PORT, SQL_USER, SQL_PASSWORD (deploy/compose.yaml).
set -eu
schemas=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  case "$db" in
    temporal) dir="$schemas/temporal/versioned" ;;
    *) dir="$schemas/visibility/versioned" ;;
  esac
  temporal-sql-tool --db "$db" create || echo "database $db exists"
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema -d "$dir"
done
echo "Temporal's schema is up to date"
