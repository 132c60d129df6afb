#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the PostgreSQL suite: installed from Debian's packages where
# missing, initialised in a temporary folder, listening on 127.0.0.1 and a socket in that folder,
# with a database `overhear_test`. Prints the URL the tests take as OVERHEAR_TEST_POSTGRES, or
# nothing (and why, on stderr) where no server can be started, then the cluster's folder. `postgres.sh stop DIR` stops it.
set -u
if [ "${1:-}" = "stop" ]; then
    dir=$2
    runas=""; [ "$(id -u)" -eq 0 ] && runas="runuser -u postgres --"
    $runas "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1
    exit 0
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] && command -v apt-get >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql; } >/dev/null 2>&1
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
if [ -z "$bin" ]; then
    echo "PostgreSQL could not be installed" >&2
    exit 0
fi
port=${OVERHEAR_PG_PORT:-54329}
dir=$(mktemp -d /tmp/overhear-pg.XXXXXX)
runas=""
if [ "$(id -u)" -eq 0 ]; then
    # The server refuses to run as root: Debian's package made the user `postgres`.
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$dir"
    runas="runuser -u postgres --"
fi
if ! $runas "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
    echo "initdb failed: $(tail -3 "$dir/initdb.log")" >&2
    exit 0
fi
# Members of `overhear_password_users` sign in with a password (the tests that check a password is
# taken from where overhear says, and never printed); everyone else is trusted.
hba="$dir/data/pg_hba.conf"
{ echo "host all +overhear_password_users 127.0.0.1/32 scram-sha-256"; cat "$hba"; } > "$hba.new" && mv "$hba.new" "$hba"
[ -n "$runas" ] && chown postgres "$hba"
if ! $runas "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null 2>&1; then
    echo "the server did not start: $(tail -3 "$dir/server.log")" >&2
    exit 0
fi
"$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -c "CREATE DATABASE overhear_test" >/dev/null 2>&1
"$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -c "CREATE ROLE overhear_password_users NOLOGIN" >/dev/null 2>&1
echo "postgres://postgres@127.0.0.1:$port/overhear_test $dir"
