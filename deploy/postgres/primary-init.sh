#!/bin/bash
# Runs once, when the primary's data folder is first made (the official image runs every
# script in /docker-entrypoint-initdb.d/ then): a role the replica streams as, allowed to
# connect for replication from the compose network.
set -euo pipefail

psql -v ON_ERROR_STOP=1 -v password="$REPLICATION_PASSWORD" \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
