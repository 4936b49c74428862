#!/usr/bin/env bash
# Private, throw-away PostgreSQL server for the test suite (see
# tests/CMakeLists.txt, which calls this as CTest fixtures).
#
#   pg.sh start DIR          create a fresh cluster in DIR, start it on a free
#                            127.0.0.1 port, write its base URL to DIR/url
#   pg.sh stop DIR           stop that server and delete DIR
#   pg.sh run DIR NAME CMD.. (re)create database NAME on that server, export
#                            COMPTOIR_TEST_DATABASE_URL=<base url>NAME, exec CMD
#
# Layout of DIR: data/ (the cluster), log (server log), port, url, and the
# server's Unix socket (.s.PGSQL.<port>). When DIR cannot hold the cluster
# (root and user postgres cannot reach DIR, or the socket path would be too
# long), the cluster lives in /tmp/comptoir-pg.XXXXXX instead, named in
# DIR/home, and `stop` removes it too. Only the server whose pid is in
# DIR/data/postmaster.pid is ever stopped or killed; the system cluster (if
# the postgresql package installed one) is never touched.
#
# initdb refuses to run as root: when run as root, the server runs as the
# `postgres` system user and DIR is owned by it.
#
# Environment: PG_BINDIR overrides the PostgreSQL binaries directory (default:
# the newest /usr/lib/postgresql/<version>/bin).
set -euo pipefail

PG_USER=comptoir          # superuser of the private cluster (trust auth)
START_TIMEOUT=60          # seconds pg_ctl waits for the server to accept connections
PORT_ATTEMPTS=5           # start attempts with different ports on a collision

die() { printf 'pg.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'pg.sh: %s\n' "$*" >&2; }

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# --- PostgreSQL binaries -----------------------------------------------------
find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "$PG_BINDIR/initdb" ]] || die "PG_BINDIR=$PG_BINDIR has no initdb"
        printf '%s\n' "$PG_BINDIR"
        return
    fi
    local dir
    # Newest installed major version (sort -V orders 9.6 < 10 < 15 < 16).
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null \
        | sort -V | while read -r d; do [[ -x "$d/initdb" ]] && echo "$d"; done | tail -n 1)
    [[ -n "$dir" ]] || die "no PostgreSQL server found under /usr/lib/postgresql (install the postgresql package, e.g. deploy/dev.sh install)"
    printf '%s\n' "$dir"
}

# --- running as the cluster owner --------------------------------------------
IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

# as_owner CMD...: run CMD as the owner of the cluster (postgres when root).
as_owner() {
    if (( IS_ROOT )); then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# --- helpers -----------------------------------------------------------------
# Absolute path of DIR (DIR need not exist; its parent must).
abspath() {
    local d=$1 parent
    parent=$(dirname -- "$d")
    [[ -d "$parent" ]] || mkdir -p -- "$parent"
    printf '%s/%s\n' "$(cd -- "$parent" && pwd -P)" "$(basename -- "$d")"
}

# Pid of the postmaster of DATA if it is running (and really is the server of
# DATA: guards against a recycled pid), else nothing.
running_pid() {
    local data=$1 pid cwd
    [[ -f "$data/postmaster.pid" ]] || return 0
    pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    # The postmaster's working directory is its data directory.
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
    if [[ -n "$cwd" && "$cwd" != "$(cd -- "$data" && pwd -P)" ]]; then
        return 0
    fi
    printf '%s\n' "$pid"
}

# Stop the server of DATA: pg_ctl stop -m fast, else SIGQUIT/SIGKILL by pid.
stop_server() {
    local data=$1 pid
    pid=$(running_pid "$data")
    [[ -n "$pid" ]] || return 0
    log "stopping PostgreSQL (pid $pid) in $data"
    if (cd / && as_owner "$BINDIR/pg_ctl" -D "$data" stop -m fast -w -t 30) >&2; then
        return 0
    fi
    log "pg_ctl stop failed; killing pid $pid"
    kill -QUIT "$pid" 2>/dev/null || true     # immediate shutdown
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    die "could not stop PostgreSQL pid $pid"
}

# A free TCP port on 127.0.0.1 (the kernel picks one; a race with another
# process is handled by retrying the start).
free_port() {
    local port
    if command -v python3 >/dev/null 2>&1 && port=$(python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null) && [[ "$port" =~ ^[0-9]+$ ]]; then
        printf '%s\n' "$port"
        return
    fi
    # Fallback: random ports until one refuses connections (probably free).
    for _ in $(seq 1 50); do
        port=$(( 20000 + RANDOM % 30000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return
        fi
    done
    die "could not find a free port"
}

# The directory holding the cluster (data/, log, Unix socket) of DIR: DIR
# itself, or the directory named in DIR/home (see cmd_start).
home_of() {
    local dir=$1 home
    if [[ -f "$dir/home" ]]; then
        home=$(cat "$dir/home")
        # Only ever a directory this script created.
        if [[ "$home" == /tmp/comptoir-pg.* && -d "$home" ]]; then
            printf '%s\n' "$home"
            return
        fi
    fi
    printf '%s\n' "$dir"
}

# Can the cluster live in DIR itself? Not when root and the postgres user
# cannot reach DIR (e.g. a clone under /root), nor when the Unix socket path
# DIR/.s.PGSQL.<port> would exceed the kernel's limit (107 bytes).
dir_usable() {
    local dir=$1
    (( ${#dir} + 16 <= 100 )) || return 1
    (( IS_ROOT )) || return 0
    runuser -u postgres -- test -x "$dir" 2>/dev/null
}

# Stop the server of DIR (if any) and remove DIR and its cluster home.
remove_cluster() {
    local dir=$1 home
    [[ -e "$dir" ]] || return 0
    home=$(home_of "$dir")
    if [[ -d "$home/data" ]]; then
        stop_server "$home/data"
    fi
    [[ "$home" == "$dir" ]] || rm -rf -- "$home"
    rm -rf -- "$dir"
}

# --- commands ----------------------------------------------------------------
cmd_start() {
    local dir home data port attempt pid
    dir=$(abspath "$1")

    # Remove a stale cluster of an earlier run (stopping its server first).
    remove_cluster "$dir"
    mkdir -p -- "$dir"
    chmod 755 "$dir"
    if (( IS_ROOT )); then
        getent passwd postgres >/dev/null \
            || die "running as root but there is no 'postgres' system user (install the postgresql package)"
    fi
    home=$dir
    if ! dir_usable "$dir"; then
        home=$(mktemp -d /tmp/comptoir-pg.XXXXXX)
        chmod 755 "$home"
        printf '%s\n' "$home" >"$dir/home"
        log "$dir cannot hold the cluster (user postgres cannot reach it, or the socket path is too long); using $home"
    fi
    if (( IS_ROOT )); then
        chown postgres: "$home"
    fi
    data=$home/data

    log "initdb ($BINDIR) in $data"
    if ! (cd "$home" && as_owner "$BINDIR/initdb" -D "$data" -U "$PG_USER" \
            --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1); then
        cat "$dir/initdb.log" >&2
        die "initdb failed (output above)"
    fi

    for attempt in $(seq 1 "$PORT_ATTEMPTS"); do
        port=$(free_port)
        # postgresql.auto.conf is read after postgresql.conf: these settings win.
        printf '%s\n' \
            "# Written by tests/support/pg.sh" \
            "listen_addresses = '127.0.0.1'" \
            "port = $port" \
            "unix_socket_directories = '$home'" \
            "max_connections = 200" \
            "logging_collector = off" \
            | as_owner tee "$data/postgresql.auto.conf" >/dev/null
        rm -f -- "$home/log"      # the log of this attempt only
        log "starting PostgreSQL on 127.0.0.1:$port (attempt $attempt)"
        if (cd "$home" && as_owner "$BINDIR/pg_ctl" -D "$data" -l "$home/log" \
                -w -t "$START_TIMEOUT" start) >/dev/null 2>&1; then
            printf '%s\n' "$port" >"$dir/port"
            printf 'postgresql://%s@127.0.0.1:%s/\n' "$PG_USER" "$port" >"$dir/url"
            log "ready: $(cat "$dir/url")"
            return 0
        fi
        # A server that came up late or half-way must not be left behind.
        pid=$(running_pid "$data")
        if [[ -n "$pid" ]]; then
            stop_server "$data"
        fi
        if grep -qiE 'could not bind|address already in use|could not create any TCP/IP sockets' "$home/log" 2>/dev/null; then
            log "port $port is taken, retrying with another one"
            continue
        fi
        break
    done
    echo "----- PostgreSQL server log ($home/log) -----" >&2
    cat "$home/log" >&2 2>/dev/null || echo "(no log)" >&2
    echo "--------------------------------------------" >&2
    die "PostgreSQL could not start in $data (log above)"
}

cmd_stop() {
    local dir
    dir=$(abspath "$1")
    if [[ ! -e "$dir" ]]; then
        log "nothing to stop in $dir"
        return 0
    fi
    remove_cluster "$dir"
    log "stopped and removed $dir"
}

cmd_run() {
    local dir=$1 name=$2 home port url quoted attempt
    shift 2
    (( $# > 0 )) || die "run: no command given"
    dir=$(abspath "$dir")
    home=$(home_of "$dir")
    [[ "$name" =~ ^[A-Za-z0-9_][A-Za-z0-9_-]*$ ]] \
        || die "run: database name '$name' must consist of letters, digits, '_' and '-'"
    if [[ ! -f "$dir/url" || ! -f "$dir/port" || -z "$(running_pid "$home/data")" ]]; then
        die "no PostgreSQL server is running in $dir (was 'pg.sh start $dir' run, e.g. by the postgres_start test?)"
    fi
    port=$(cat "$dir/port")
    url=$(cat "$dir/url")
    quoted="\"$name\""

    # Drop and create over the Unix socket. Serialized with a lock so that
    # parallel tests do not run CREATE DATABASE at the same time; WITH (FORCE)
    # ends sessions a crashed earlier test may have left.
    local -a psql=("$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$home" -p "$port" -U "$PG_USER" -d postgres)
    for attempt in 1 2 3; do
        if (
            flock -w 60 9 || true
            export PGOPTIONS='-c client_min_messages=warning'
            "${psql[@]}" -c "DROP DATABASE IF EXISTS $quoted WITH (FORCE)" &&
            "${psql[@]}" -c "CREATE DATABASE $quoted"
        ) 9>>"$dir/create.lock"; then
            break
        fi
        (( attempt < 3 )) || die "could not create database $name on $url"
        sleep 1
    done

    export COMPTOIR_TEST_DATABASE_URL="$url$name"
    log "COMPTOIR_TEST_DATABASE_URL=$COMPTOIR_TEST_DATABASE_URL"
    exec "$@"
}

# --- main --------------------------------------------------------------------
(( $# >= 2 )) || usage
BINDIR=$(find_bindir)
case "$1" in
    start) (( $# == 2 )) || usage; cmd_start "$2" ;;
    stop)  (( $# == 2 )) || usage; cmd_stop "$2" ;;
    run)   (( $# >= 4 )) || usage; shift; cmd_run "$@" ;;
    *)     usage ;;
esac
