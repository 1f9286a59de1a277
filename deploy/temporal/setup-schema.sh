#!/bin/sh
# Temporal's schema on PostgreSQL, run by the compose job temporal-schema (temporalio/admin-tools).
# The databases exist already (deploy/postgres-init); `setup-schema -v 0.0` only creates the
# version table when it is missing, and `update-schema` applies the versions this release lacks, so
# running it again, or after upgrading the image, is safe.
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${POSTGRES_PWD:?}"
export SQL_PLUGIN=postgres12 SQL_HOST="$POSTGRES_SEEDS" SQL_PORT="${DB_PORT:-5432}"
export SQL_USER="$POSTGRES_USER" SQL_PASSWORD="$POSTGRES_PWD"
schemas=/etc/temporal/schema/postgresql/v12

until nc -z "$SQL_HOST" "$SQL_PORT"; do
  echo "waiting for PostgreSQL at $SQL_HOST:$SQL_PORT"
  sleep 1
done

temporal-sql-tool --db "${DBNAME:-temporal}" setup-schema -v 0.0
temporal-sql-tool --db "${DBNAME:-temporal}" update-schema -d "$schemas/temporal/versioned"
temporal-sql-tool --db "${VISIBILITY_DBNAME:-temporal_visibility}" setup-schema -v 0.0
temporal-sql-tool --db "${VISIBILITY_DBNAME:-temporal_visibility}" update-schema -d "$schemas/visibility/versioned"
echo "Temporal schema is up to date"
