#!/usr/bin/env bash
# Memory benchmark (issue 9, memory targets): a node's resident memory when
# ready and after a mixed load, (a) on the demo chain, (b) on a large chain
# made by `comptoir generate`, on loopback only.
#
#   deploy/loadtest/bench-memory.sh [options]
#
#   --duration S          the demo node's mixed load, seconds (default 60)
#   --large-duration S    the large node's mixed load, seconds (default 30)
#   --connections N       wrk connections (default 16)
#   --threads N           wrk threads (default 2)
#   --only demo|large     run one of the two nodes only
#   --postgresql          the large chain on a private PostgreSQL 15
#                         (tests/support/pg.sh) instead of a SQLite file
#   --stores N --products M --stock Q
#                         the large chain: comptoir generate (default 100,
#                         10000, 1000000: Q units of each product in each
#                         store, so the sales never run out)
#   --ready-timeout S     wait for /health/ready at most S seconds (default 600)
#   --binary PATH         comptoir binary (default build/app/comptoir; copied
#                         to the temporary directory first)
#   --keep                keep the temporary directory (databases, configs,
#                         logs, wrk output)
#   -h, --help            this text
#
# Each node runs `comptoir serve` on a free 127.0.0.1 port with the shipped
# defaults (access log on, log level info, its output to a file), demo mode
# on (for the demo-admin token) and its own database:
#   (a) demo: an empty SQLite file, which the node fills with the demo chain
#       (5 stores, 50 products);
#   (b) large: `comptoir generate --stores 100 --products 10000 --stock
#       1000000` (timed) into a SQLite file, or PostgreSQL with --postgresql.
# For each: RSS when /health/ready first answers 200; then `wrk -tT -cN -dS
# -s deploy/loadtest/mix.lua` (60 % stock reads, 20 % product reads, 15 %
# sales, 5 % reports, token demo-admin), VmRSS sampled every 5 s; after it,
# RSS from /metrics (process_resident_memory_bytes) and from /proc/PID/status
# (VmRSS, RssAnon, RssFile, and VmHWM, the peak). Targets: demo < 64 MB,
# large < 256 MB after the load (1 MB = 2^20 bytes). With PostgreSQL the
# server's own memory is not counted (another process). Everything it starts
# is stopped by pid on exit, success or not.
set -euo pipefail

BENCH_NAME=bench-memory
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
LUA_SCRIPT=$REPO_ROOT/deploy/loadtest/mix.lua

DURATION=60
LARGE_DURATION=30
CONNECTIONS=16
WRK_THREADS=2
ONLY=""
BACKEND=sqlite
STORES=100
PRODUCTS=10000
STOCK=1000000
READY_TIMEOUT=600
BINARY=$REPO_ROOT/build/app/comptoir
KEEP=0
DEMO_TARGET_MB=64
LARGE_TARGET_MB=256

usage() { sed -n '2,40p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while (( $# > 0 )); do
    opt=$1
    case "$opt" in
        -h|--help) usage; exit 0 ;;
        --keep) KEEP=1; shift; continue ;;
        --postgresql) BACKEND=postgresql; shift; continue ;;
    esac
    (( $# >= 2 )) || die "$opt needs a value (--help)"
    val=$2
    case "$opt" in
        --duration) val=${val%s}; positive "$opt" "$val"; DURATION=$val ;;
        --large-duration) val=${val%s}; positive "$opt" "$val"; LARGE_DURATION=$val ;;
        --connections) positive "$opt" "$val"; CONNECTIONS=$val ;;
        --threads) positive "$opt" "$val"; WRK_THREADS=$val ;;
        --only) [[ "$val" =~ ^(demo|large)$ ]] || die "--only: demo or large, got '$val'"; ONLY=$val ;;
        --stores) positive "$opt" "$val"; STORES=$val ;;
        --products) positive "$opt" "$val"; PRODUCTS=$val ;;
        --stock) positive "$opt" "$val"; STOCK=$val ;;
        --ready-timeout) positive "$opt" "$val"; READY_TIMEOUT=$val ;;
        --binary) BINARY=$val ;;
        *) usage >&2; exit 2 ;;
    esac
    shift 2
done
(( WRK_THREADS <= CONNECTIONS )) || die "--threads must not exceed --connections"
NODES=(demo large)
[[ -z "$ONLY" ]] || NODES=("$ONLY")

# --- tools -------------------------------------------------------------------
check_tools "$BINARY"
if [[ $BACKEND == postgresql && " ${NODES[*]} " == *" large "* ]]; then
    find_pg_bindir
    [[ -x "$PG_BINDIR/psql" ]] || die "psql not found in '$PG_BINDIR' (Debian 12: package postgresql-15)"
fi

# --- cleanup -----------------------------------------------------------------
bench_workdir comptoir-bench-memory "*.db, *.toml, serve-*.log, generate.log, wrk-*.txt, metrics-*.txt"

private_binary "$BINARY"

# status_mb PID FIELD: a kB field of /proc/PID/status (VmRSS, VmHWM, RssAnon, RssFile) in MB.
status_mb() { awk -v f="$2:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
# metrics_mb URL NAME: process_resident_memory_bytes of URL/metrics in MB ($WORK/metrics-NAME.txt).
metrics_mb() {
    curl -s -m 10 "$1/metrics" >"$WORK/metrics-$2.txt" 2>/dev/null || : >"$WORK/metrics-$2.txt"
    awk '$1 == "process_resident_memory_bytes" { printf "%.1f", $2 / 1048576; found = 1 } END { if (!found) printf "?" }' "$WORK/metrics-$2.txt"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

if [[ $BACKEND == postgresql && " ${NODES[*]} " == *" large "* ]]; then
    start_pg
    PG_VERSION=$("${PSQL[@]}" -d "${PG_BASE_URL}postgres" -c "SHOW server_version")
    say "PostgreSQL $PG_VERSION at $PG_BASE_URL"
fi

# write_config NAME DB_URL: $WORK/NAME.toml, the shipped defaults but the port
# (PORT), the database, and demo mode.
write_config() {
    PORT=$(free_port)
    cat >"$WORK/$1.toml" <<EOF
# Written by deploy/loadtest/bench-memory.sh: the shipped defaults, but its
# own port and database, and demo mode (off unless a file turns it on).
[http]
port = $PORT

[database]
url = "$2"

[demo]
enabled = true
EOF
}

declare -A R   # results, R[node.key]

# measure NAME STORES PRODUCTS SECONDS: the node of $WORK/NAME.toml (running,
# SERVER_PID, BASE): RSS at ready, the mix, RSS after; into R[NAME.*].
measure() {
    local name=$1 stores=$2 products=$3 seconds=$4 samples="" i=0 result
    R[$name.ready_vmrss]=$(status_mb "$SERVER_PID" VmRSS)
    R[$name.ready_metrics]=$(metrics_mb "$BASE" "$name-ready")
    R[$name.ready_anon]=$(status_mb "$SERVER_PID" RssAnon)
    R[$name.ready_file]=$(status_mb "$SERVER_PID" RssFile)
    R[$name.ready_hwm]=$(status_mb "$SERVER_PID" VmHWM)
    R[$name.threads]=$(awk '$1 == "Threads:" { print $2 }' "/proc/$SERVER_PID/status")
    say "[$name] ready: VmRSS ${R[$name.ready_vmrss]} MB (/metrics ${R[$name.ready_metrics]} MB), VmHWM ${R[$name.ready_hwm]} MB"
    R[$name.load]=$(load_avg)
    say "[$name] mix: wrk -t$WRK_THREADS -c$CONNECTIONS -d${seconds}s -s deploy/loadtest/mix.lua (load ${R[$name.load]})"
    LOADTEST_STORES=$stores LOADTEST_PRODUCTS=$products LOADTEST_TOKEN=demo-admin \
        wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$seconds"s --latency -s "$LUA_SCRIPT" "$BASE" >"$WORK/wrk-$name.txt" 2>&1 &
    WRK_PID=$!
    while kill -0 "$WRK_PID" 2>/dev/null; do
        sleep 1
        i=$(( i + 1 ))
        if (( i % 5 == 0 )) && kill -0 "$WRK_PID" 2>/dev/null; then
            samples+="$(status_mb "$SERVER_PID" VmRSS) "
        fi
    done
    wait "$WRK_PID" || { cat "$WORK/wrk-$name.txt" >&2; die "wrk failed"; }
    WRK_PID=""
    result=$(grep '^LOADTEST_RESULT' "$WORK/wrk-$name.txt") || { cat "$WORK/wrk-$name.txt" >&2; die "wrk printed no LOADTEST_RESULT"; }
    sleep 1.2   # the metrics actor samples the process every flush_interval_ms (1 s)
    R[$name.after_vmrss]=$(status_mb "$SERVER_PID" VmRSS)
    R[$name.after_metrics]=$(metrics_mb "$BASE" "$name-after")
    R[$name.after_anon]=$(status_mb "$SERVER_PID" RssAnon)
    R[$name.after_file]=$(status_mb "$SERVER_PID" RssFile)
    R[$name.hwm]=$(status_mb "$SERVER_PID" VmHWM)
    R[$name.samples]=${samples% }
    R[$name.rps]=$(printf '%.0f' "$(field "$result" rps)")
    R[$name.requests]=$(field "$result" requests)
    R[$name.p50]=$(ms "$(field "$result" p50_us)")
    R[$name.p99]=$(ms "$(field "$result" p99_us)")
    R[$name.non2xx]=$(field "$result" non2xx)
    R[$name.statuses]=$(field "$result" statuses)
    R[$name.socket]=$(field "$result" socket_errors)
    say "[$name] after: VmRSS ${R[$name.after_vmrss]} MB (/metrics ${R[$name.after_metrics]} MB), VmHWM ${R[$name.hwm]} MB; ${R[$name.rps]} req/s, non-2xx ${R[$name.non2xx]} (${R[$name.statuses]})"
}

for node in "${NODES[@]}"; do
    if [[ $node == demo ]]; then
        write_config demo "sqlite://$WORK/demo.db"
        BASE=http://127.0.0.1:$PORT
        say "[demo] comptoir serve on $BASE (demo chain on SQLite)"
        t0=$(now_s)
        start_server "$COMPTOIR" "$WORK/demo.toml" "$WORK/serve-demo.log" "$BASE" "$READY_TIMEOUT" 10
        R[demo.ready_s]=$(elapsed "$t0" "$(now_s)")
        measure demo 5 50 "$DURATION"
    else
        if [[ $BACKEND == postgresql ]]; then
            "${PSQL[@]}" -d "${PG_BASE_URL}postgres" -c "CREATE DATABASE comptoir_large" >/dev/null
            DB_URL=${PG_BASE_URL}comptoir_large
        else
            DB_URL=sqlite://$WORK/large.db
        fi
        say "[large] comptoir generate --stores $STORES --products $PRODUCTS --stock $STOCK ($BACKEND)"
        R[large.gen_load]=$(load_avg)
        t0=$(now_s)
        COMPTOIR_DATABASE_URL=$DB_URL "$COMPTOIR" generate --stores "$STORES" --products "$PRODUCTS" \
            --stock "$STOCK" >"$WORK/generate.log" 2>&1 &
        CHILD_PID=$!
        wait "$CHILD_PID" || { cat "$WORK/generate.log" >&2; die "comptoir generate failed"; }
        CHILD_PID=""
        R[large.gen_s]=$(elapsed "$t0" "$(now_s)")
        if [[ $BACKEND == sqlite ]]; then
            R[large.db_size]="$(du -m "$WORK/large.db" | cut -f1) MB"
        else
            R[large.db_size]=$("${PSQL[@]}" -d "$DB_URL" -c "SELECT pg_size_pretty(pg_database_size('comptoir_large'))")
        fi
        say "[large] generated in ${R[large.gen_s]} s (${R[large.db_size]})"
        write_config large "$DB_URL"
        BASE=http://127.0.0.1:$PORT
        say "[large] comptoir serve on $BASE"
        t0=$(now_s)
        start_server "$COMPTOIR" "$WORK/large.toml" "$WORK/serve-large.log" "$BASE" "$READY_TIMEOUT" 5
        R[large.ready_s]=$(elapsed "$t0" "$(now_s)")
        measure large "$STORES" "$PRODUCTS" "$LARGE_DURATION"
    fi
    say "[$node] stopping comptoir (SIGTERM)"
    stop_pid "$SERVER_PID" 15
    SERVER_PID=""
done

# --- summary -------------------------------------------------------------------
# verdict MB TARGET: met or missed, by how much.
verdict() {
    awk -v x="$1" -v t="$2" 'BEGIN {
        if (x == "?") { print "unknown (no figure)"; exit }
        if (x < t) printf "MET (%.1f MB under, %.0f %% of the target)", t - x, 100 * x / t
        else printf "MISSED (%.1f MB over, %.0f %% of the target)", x - t, 100 * x / t }'
}
cat <<EOF

==== Memory benchmark ====
machine      $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(awk '/^MemTotal:/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo)
comptoir     $("$COMPTOIR" --version 2>/dev/null | head -n 1), shipped defaults (access log on, to a file), demo tokens
load         wrk -t$WRK_THREADS -c$CONNECTIONS --latency -s deploy/loadtest/mix.lua, token demo-admin
MB = 2^20 bytes; RSS after = 1.2 s after wrk stopped; VmHWM = peak RSS of the process's life

| node | data | ready after | RSS ready (VmRSS / metrics) | mix | req/s | p50 / p99 | non-2xx | RSS after (VmRSS / metrics) | anon / file after | VmHWM | load before mix |
|---|---|---|---|---|---|---|---|---|---|---|---|
EOF
for node in "${NODES[@]}"; do
    if [[ $node == demo ]]; then
        data="demo chain (SQLite)"; secs=$DURATION
    else
        data="generate $STORES x $PRODUCTS, stock $STOCK ($BACKEND)"; secs=$LARGE_DURATION
    fi
    printf '| %s | %s | %s s | %s / %s MB | %s s | %s | %s / %s ms | %s%s | **%s** / %s MB | %s / %s MB | %s MB | %s |\n' \
        "$node" "$data" "${R[$node.ready_s]}" "${R[$node.ready_vmrss]}" "${R[$node.ready_metrics]}" "$secs" \
        "${R[$node.rps]}" "${R[$node.p50]}" "${R[$node.p99]}" "${R[$node.non2xx]}" \
        "$([[ ${R[$node.statuses]} == - ]] || echo " (${R[$node.statuses]})")" \
        "${R[$node.after_vmrss]}" "${R[$node.after_metrics]}" "${R[$node.after_anon]}" "${R[$node.after_file]}" \
        "${R[$node.hwm]}" "${R[$node.load]}"
done
echo
for node in "${NODES[@]}"; do
    echo "$node: VmRSS every 5 s during the mix (MB): ${R[$node.samples]}; threads at ready: ${R[$node.threads]}; socket errors ${R[$node.socket]}"
    if [[ $node == large ]]; then
        echo "large: comptoir generate took ${R[large.gen_s]} s (load before: ${R[large.gen_load]}); database ${R[large.db_size]}"
    fi
done
echo
for node in "${NODES[@]}"; do
    if [[ $node == demo ]]; then target=$DEMO_TARGET_MB; else target=$LARGE_TARGET_MB; fi
    echo "target $node < $target MB after the load: $(verdict "${R[$node.after_vmrss]}" "$target"); peak (VmHWM) $(verdict "${R[$node.hwm]}" "$target")"
done
