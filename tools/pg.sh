#!/bin/bash
# A scratch PostgreSQL 15 (with PostGIS when installed) for the tests and benchmarks:
#   tools/pg.sh start DIR [PORT]   initdb DIR if new, start it, print its connection string
#   tools/pg.sh restart DIR [fast|immediate]
#   tools/pg.sh stop DIR
# It listens on a Unix socket in DIR and on 127.0.0.1:PORT (default 54329), trusting local
# connections (a scratch server, never a deployment: see docs/DEPLOY.md for one). Run as root
# it runs the server as the `postgres` user, which initdb requires.
set -euo pipefail
cmd=${1:?start, restart or stop}; dir=${2:?a directory}; port=${3:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $cmd in
start)
    if [ ! -s "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"
        [ "$(id -u)" = 0 ] && chown postgres "$dir"
        as_owner "$bin/initdb" -D "$dir" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
            || { cat "$dir.initdb.log" >&2; exit 1; }
        cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
wal_level = replica
max_wal_senders = 10
CONF
        echo "host all all 0.0.0.0/0 trust" >>"$dir/pg_hba.conf"
        echo "host replication all 0.0.0.0/0 trust" >>"$dir/pg_hba.conf"
    fi
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
    echo "host=$dir port=$port user=postgres dbname=postgres"
    ;;
restart)
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -m "${3:-fast}" -w -t 60 restart >/dev/null
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*) echo "usage: tools/pg.sh start|stop DIR [PORT]" >&2; exit 2 ;;
esac
