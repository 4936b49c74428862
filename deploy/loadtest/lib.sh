# Shared setup of the loadtest benchmarks (bench-sales.sh, bench-reports.sh),
# sourced by them, not run: logging, option checks, the temporary directory
# and the cleanup trap that stops by pid everything a benchmark started, a
# free loopback port, starting `comptoir serve` and waiting for /health/ready,
# a private PostgreSQL through tests/support/pg.sh, and wrk runs.
#
# Before sourcing, a script sets BENCH_NAME (the prefix of its messages).
# After bench_workdir, it keeps the pids of what it starts in SERVER_PID,
# WRK_PID and CHILD_PID (pgbench, comptoir generate) and sets PG_STARTED=1
# before starting PostgreSQL; the cleanup stops them on exit. A script that
# starts more (run.sh: local clusters) defines cleanup_more, which the cleanup
# calls after stopping wrk and before stopping the server and PostgreSQL.
# shellcheck shell=bash

REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
PG_SH=$REPO_ROOT/tests/support/pg.sh

die() { printf '%s: error: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
# shellcheck source=SCRIPTDIR/../lib/processes.sh
. "$REPO_ROOT/deploy/lib/processes.sh"

# positive OPTION VALUE [MIN]: VALUE must be an integer >= MIN (default 1).
positive() {
    if ! [[ "$2" =~ ^[0-9]+$ ]] || (( $2 < ${3:-1} )); then
        die "$1 needs an integer >= ${3:-1}, got '$2'"
    fi
}

# check_tools BINARY: the comptoir binary, wrk and curl are there.
check_tools() {
    [[ -x "$1" ]] || die "no comptoir binary at $1 (build it: deploy/dev.sh build)"
    command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
    command -v curl >/dev/null || die "curl not found"
}

# find_pg_bindir: PG_BINDIR from the environment, else the newest
# /usr/lib/postgresql/*/bin; exported (pg.sh reads it). PSQL: psql, quiet,
# unaligned, tuples only, stopping at the first error.
find_pg_bindir() {
    PG_BINDIR=${PG_BINDIR:-}
    if [[ -z "$PG_BINDIR" ]]; then
        PG_BINDIR=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
    fi
    export PG_BINDIR
    # shellcheck disable=SC2034  # used by the benchmark scripts
    PSQL=("$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1)
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$WRK_PID" 2
    if declare -F cleanup_more >/dev/null; then
        cleanup_more || say "cleanup_more failed"
    fi
    stop_pid "$CHILD_PID" 5
    stop_pid "$SERVER_PID" 15
    if (( PG_STARTED )); then
        local home=$WORK/pg
        [[ -f "$WORK/pg/home" ]] && home=$(cat "$WORK/pg/home")
        cp -f "$home/log" "$WORK/postgresql.log" 2>/dev/null || true
        "$PG_SH" stop "$WORK/pg" >/dev/null 2>&1 || say "could not stop PostgreSQL in $WORK/pg"
    fi
    if (( KEEP )); then
        say "kept $WORK ($KEPT_FILES)"
    else
        rm -rf -- "$WORK"
    fi
    exit "$rc"
}

# bench_workdir NAME KEPT_FILES: WORK=/tmp/NAME.XXXXXX and the cleanup trap;
# with --keep (KEEP=1) the cleanup names KEPT_FILES as what WORK holds.
bench_workdir() {
    WORK=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 755 "$WORK"
    KEPT_FILES=$2
    SERVER_PID=""
    WRK_PID=""
    CHILD_PID=""
    PG_STARTED=0
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}


# private_binary BINARY: COMPTOIR=$WORK/comptoir, a private copy of BINARY
# (another build may replace it while the benchmark runs).
private_binary() {
    cp "$1" "$WORK/comptoir"
    # shellcheck disable=SC2034  # the bench scripts run $COMPTOIR
    COMPTOIR=$WORK/comptoir
}

now_s() { date +%s.%N; }
# elapsed START END: seconds between two now_s, one decimal.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

# CPU seconds (user+system) of a pid.
cpu_of() {
    local pid=$1 hz
    hz=$(getconf CLK_TCK)
    awk -v hz="$hz" '{ t += $14 + $15 } END { printf "%.2f", t / hz }' "/proc/$pid/stat" 2>/dev/null || echo 0
}

# start_pg: a private PostgreSQL in $WORK/pg (tests/support/pg.sh);
# PG_BASE_URL: its URL, to which a database name is appended.
start_pg() {
    say "starting a private PostgreSQL in $WORK/pg"
    PG_STARTED=1
    "$PG_SH" start "$WORK/pg" 2>"$WORK/pg-start.log" || { cat "$WORK/pg-start.log" >&2; die "pg.sh start failed"; }
    # shellcheck disable=SC2034  # used by the benchmark scripts
    PG_BASE_URL=$(cat "$WORK/pg/url")
}

# start_server BINARY CONFIG LOG URL TIMEOUT_S POLLS_PER_S: `comptoir serve`
# in the background (SERVER_PID), then wait until URL/health/ready answers 200,
# polling POLLS_PER_S times a second; the log and an error if it exits first or
# is not ready after TIMEOUT_S seconds.
start_server() {
    local binary=$1 config=$2 log=$3 url=$4 timeout_s=$5 polls=$6 poll_s i
    poll_s=$(awk -v n="$polls" 'BEGIN { print 1 / n }')
    "$binary" serve --config "$config" >"$log" 2>&1 &
    SERVER_PID=$!
    for (( i = 0; ; i++ )); do
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; die "comptoir serve exited"; }
        [[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health/ready" || true)" == 200 ]] && break
        (( i < timeout_s * polls )) || { cat "$log" >&2; die "comptoir not ready after $timeout_s s"; }
        sleep "$poll_s"
    done
}

# wrk_run NAME MARKER WRK_ARGS...: wrk in the background (WRK_PID, so that the
# cleanup can stop it), its output in $WORK/wrk-NAME.txt, which must hold a
# line starting with MARKER (printed by the Lua script's done()).
wrk_run() {
    local name=$1 marker=$2
    shift 2
    wrk "$@" >"$WORK/wrk-$name.txt" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || { cat "$WORK/wrk-$name.txt" >&2; die "wrk failed"; }
    WRK_PID=""
    grep -q "^$marker" "$WORK/wrk-$name.txt" || { cat "$WORK/wrk-$name.txt" >&2; die "wrk printed no $marker"; }
}
