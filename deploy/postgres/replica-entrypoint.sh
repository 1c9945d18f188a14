#!/bin/bash
# The streaming replica: on first start, copy the primary with pg_basebackup (-R writes
# standby.signal and primary_conninfo, so Postgres starts as a hot standby that follows the
# primary's WAL); afterwards start the copy as it is. Then the official image's entrypoint.
set -euo pipefail

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready --host postgres --username replicator --dbname postgres --quiet; do
        echo "replica: waiting for the primary"
        sleep 2
    done
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 0700 "$PGDATA"
    gosu postgres env PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup \
        --host postgres --username replicator --pgdata "$PGDATA" \
        --wal-method stream --write-recovery-conf --checkpoint fast --progress
fi

exec docker-entrypoint.sh "$@"
