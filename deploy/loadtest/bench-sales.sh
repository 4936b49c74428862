#!/usr/bin/env bash
# Durable-sales benchmark: Comptoir's committed sales/s against pgbench on the
# same private PostgreSQL 15 server, on loopback only.
#
#   deploy/loadtest/bench-sales.sh [options]
#
#   --duration S          wrk run, seconds (default 30)
#   --connections N       wrk concurrent connections (default 64)
#   --threads N           wrk threads (default 2)
#   --warmup S            warm-up wrk run before the measurement (default 5)
#   --pgbench-duration S  pgbench -T (default 15; 0 skips pgbench); pgbench -c is
#                         --connections, at most 190 (the cluster allows 200)
#   --io-threads N        [http] io_threads of the benchmark config (default 1)
#   --scheduler-threads N [actors] scheduler_threads (default 2)
#   --workers N           [actors] workers (default 4)
#   --max-batch N         [sales] max_batch (default 256)
#   --token MODE          clerk | admin | mixed: the tokens sales.lua uses (default clerk)
#   --binary PATH         comptoir binary (default build/app/comptoir)
#   --keep                keep the temporary directory (config, logs, wrk output)
#   -h, --help            this text
#
# Steps: private PostgreSQL (tests/support/pg.sh, synchronous_commit and fsync
# on, checked), `comptoir generate --stores 5 --products 200 --stock 1000000`,
# `comptoir serve` on a free 127.0.0.1 port, warm-up, `wrk -s sales.lua`, the
# stores' batch-size histograms from /metrics, SIGTERM, count of the sales rows
# committed during the run, then `pgbench -i` + `pgbench -c N -j 2 -T S -b
# simple-update` on another database of the same server. Everything it starts
# is stopped by pid on exit, success or not. The server, PostgreSQL and wrk
# share the machine's cores: that is part of the measurement.
set -euo pipefail

BENCH_NAME=bench-sales
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
LUA_SCRIPT=$REPO_ROOT/deploy/loadtest/sales.lua

DURATION=30
CONNECTIONS=64
WRK_THREADS=2
WARMUP=5
PGBENCH_DURATION=15
IO_THREADS=1
SCHEDULER_THREADS=2
WORKERS=4
MAX_BATCH=256
TOKEN=clerk
BINARY=$REPO_ROOT/build/app/comptoir
KEEP=0
STORES=5
PRODUCTS=200
STOCK=1000000

usage() { sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while (( $# > 0 )); do
    opt=$1
    case "$opt" in
        -h|--help) usage; exit 0 ;;
        --keep) KEEP=1; shift; continue ;;
    esac
    (( $# >= 2 )) || die "$opt needs a value"
    val=$2
    case "$opt" in
        --duration) val=${val%s}; positive "$opt" "$val"; DURATION=$val ;;
        --connections) positive "$opt" "$val"; CONNECTIONS=$val ;;
        --threads) positive "$opt" "$val"; WRK_THREADS=$val ;;
        --warmup) val=${val%s}; positive "$opt" "$val" 0; WARMUP=$val ;;
        --pgbench-duration) val=${val%s}; positive "$opt" "$val" 0; PGBENCH_DURATION=$val ;;
        --io-threads) positive "$opt" "$val"; IO_THREADS=$val ;;
        --scheduler-threads) positive "$opt" "$val"; SCHEDULER_THREADS=$val ;;
        --workers) positive "$opt" "$val"; WORKERS=$val ;;
        --max-batch) positive "$opt" "$val"; MAX_BATCH=$val ;;
        --token) [[ "$val" =~ ^(clerk|admin|mixed)$ ]] || die "--token: clerk, admin or mixed"; TOKEN=$val ;;
        --binary) BINARY=$val ;;
        *) usage >&2; exit 2 ;;
    esac
    shift 2
done
(( WRK_THREADS <= CONNECTIONS )) || die "--threads must not exceed --connections"

# --- tools -------------------------------------------------------------------
check_tools "$BINARY"
find_pg_bindir
[[ -x "$PG_BINDIR/psql" && -x "$PG_BINDIR/pgbench" ]] \
    || die "psql/pgbench not found in '$PG_BINDIR' (Debian 12: package postgresql-15, /usr/lib/postgresql/15/bin)"
PGBENCH=$PG_BINDIR/pgbench

# --- cleanup -----------------------------------------------------------------
bench_workdir comptoir-bench "comptoir.toml, serve.log, wrk-*.txt, pgbench*.txt, postgresql.log"

# CPU seconds (user+system) of a postmaster and all its children.
cpu_of_pg() {
    local pm=$1 hz pid
    local -a files=("$pm/stat")
    hz=$(getconf CLK_TCK)
    while read -r pid; do files+=("$pid/stat"); done < <(ps -o pid= --ppid "$pm")
    (cd /proc && cat "${files[@]}" 2>/dev/null) \
        | sed 's/^.*) //' | awk -v hz="$hz" '{ t += $12 + $13 } END { printf "%.2f", t / hz }'
}
# Busy and total jiffies of the whole machine.
machine_cpu() { awk '/^cpu / { b = $2+$3+$4+$7+$8; t = b+$5+$6; print b, t }' /proc/stat; }

# --- PostgreSQL ----------------------------------------------------------------
start_pg
PG_HOME=$WORK/pg
[[ -f "$WORK/pg/home" ]] && PG_HOME=$(cat "$WORK/pg/home")
POSTMASTER=$(head -n 1 "$PG_HOME/data/postmaster.pid")
pgq() { local db=$1; shift; "${PSQL[@]}" -d "$PG_BASE_URL$db" -c "$@"; }

PG_VERSION=$(pgq postgres "SHOW server_version")
SYNC_COMMIT=$(pgq postgres "SHOW synchronous_commit")
FSYNC=$(pgq postgres "SHOW fsync")
WAL_SYNC_METHOD=$(pgq postgres "SHOW wal_sync_method")
[[ "$SYNC_COMMIT" == on && "$FSYNC" == on ]] \
    || die "synchronous_commit=$SYNC_COMMIT fsync=$FSYNC: both must be on for a durable benchmark"
# Time WAL fsyncs (pg_stat_wal.wal_sync_time): evidence of what a commit waits for.
pgq postgres "ALTER SYSTEM SET track_wal_io_timing = on" >/dev/null
pgq postgres "SELECT pg_reload_conf()" >/dev/null
say "PostgreSQL $PG_VERSION: synchronous_commit=$SYNC_COMMIT fsync=$FSYNC wal_sync_method=$WAL_SYNC_METHOD"
pgq postgres "CREATE DATABASE comptoir_bench" >/dev/null
pgq postgres "CREATE DATABASE pgbench_bench" >/dev/null
DB_URL=${PG_BASE_URL}comptoir_bench

wal_stats() { pgq postgres "SELECT wal_records, wal_write, wal_sync, round(wal_sync_time::numeric, 1) FROM pg_stat_wal" | tr '|' ' '; }
xact_commits() { pgq postgres "SELECT xact_commit FROM pg_stat_database WHERE datname = '$1'"; }

# --- data and server ------------------------------------------------------------
say "comptoir generate --stores $STORES --products $PRODUCTS --stock $STOCK"
COMPTOIR_DATABASE_URL=$DB_URL "$BINARY" generate --stores "$STORES" --products "$PRODUCTS" \
    --stock "$STOCK" >"$WORK/generate.log" 2>&1 || { cat "$WORK/generate.log" >&2; die "comptoir generate failed"; }

PORT=$(free_port)
cat >"$WORK/comptoir.toml" <<EOF
# Written by deploy/loadtest/bench-sales.sh
[http]
address = "127.0.0.1"
port = $PORT
io_threads = $IO_THREADS

[actors]
scheduler_threads = $SCHEDULER_THREADS
workers = $WORKERS

[database]
url = "$DB_URL"

[sales]
max_batch = $MAX_BATCH

[demo]
enabled = true

[log]
level = "info"
EOF

say "comptoir serve on 127.0.0.1:$PORT (io_threads=$IO_THREADS scheduler_threads=$SCHEDULER_THREADS workers=$WORKERS max_batch=$MAX_BATCH)"
BASE=http://127.0.0.1:$PORT
start_server "$BINARY" "$WORK/comptoir.toml" "$WORK/serve.log" "$BASE" 30 10

RUN_ID=$(date +%s)-$$
run_wrk() { # NAME SECONDS
    SALES_STORES=$STORES SALES_PRODUCTS=$PRODUCTS SALES_TOKEN=$TOKEN SALES_RUN="$RUN_ID-$1" \
        wrk_run "$1" SALES_RESULT -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$2"s --latency -s "$LUA_SCRIPT" "$BASE"
}
field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<" $1"; }

if (( WARMUP > 0 )); then
    say "warm-up: ${WARMUP}s"
    run_wrk warmup "$WARMUP"
fi
sleep 1   # let the warm-up's last commits land
ROWS_BEFORE=$(pgq comptoir_bench "SELECT count(*) FROM sales")
read -r _ _ WAL_SYNC0 WAL_SYNC_MS0 < <(wal_stats)
XACT0=$(xact_commits comptoir_bench)
CPU_SERVER0=$(cpu_of "$SERVER_PID"); CPU_PG0=$(cpu_of_pg "$POSTMASTER"); read -r BUSY0 TOTAL0 < <(machine_cpu)

say "measuring: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s -s deploy/loadtest/sales.lua"
RUN_START=$(date -u +%Y-%m-%dT%H:%M:%S)
run_wrk run "$DURATION"
CPU_SERVER1=$(cpu_of "$SERVER_PID"); CPU_PG1=$(cpu_of_pg "$POSTMASTER"); read -r BUSY1 TOTAL1 < <(machine_cpu)
RESULT=$(grep '^SALES_RESULT' "$WORK/wrk-run.txt")

# The stores' batch sizes, from /metrics (actors flush their counts every
# metrics.flush_interval_ms, 1 s by default: wait for the last flush).
sleep 1.2
curl -s -m 5 "$BASE/metrics" >"$WORK/metrics.txt" || : >"$WORK/metrics.txt"
say "stopping comptoir (SIGTERM)"
stop_pid "$SERVER_PID" 15
SERVER_PID=""
read -r _ _ WAL_SYNC1 WAL_SYNC_MS1 < <(wal_stats)
XACT1=$(xact_commits comptoir_bench)
ROWS_AFTER=$(pgq comptoir_bench "SELECT count(*) FROM sales")
# Sales committed in each whole second of the run (created_at is set by the store).
TIMELINE=$(pgq comptoir_bench "SELECT string_agg(n::text, ' ' ORDER BY s) FROM (
    SELECT substr(created_at, 1, 19) AS s, count(*) AS n FROM sales
    WHERE created_at >= '$RUN_START' GROUP BY 1) t")
ROWS=$(( ROWS_AFTER - ROWS_BEFORE ))

DURATION_US=$(field "$RESULT" duration_us)
CREATED=$(field "$RESULT" created)
NON201=$(field "$RESULT" non201)
REQUESTS=$(field "$RESULT" requests)
SOCKET_ERRORS=$(field "$RESULT" socket_errors)
P50=$(field "$RESULT" p50_us); P90=$(field "$RESULT" p90_us); P99=$(field "$RESULT" p99_us); PMAX=$(field "$RESULT" max_us)
SALES_PER_S=$(awk -v r="$ROWS" -v us="$DURATION_US" 'BEGIN { printf "%.0f", r / (us / 1e6) }')
# Requests still in flight when wrk stopped may commit without wrk counting
# their 201: up to one per connection.
DIFF=$(( ROWS - CREATED ))
if (( DIFF >= 0 && DIFF <= CONNECTIONS )); then
    MATCH="yes (rows - wrk 201s = $DIFF, at most one in flight per connection)"
else
    MATCH="NO (rows - wrk 201s = $DIFF)"
fi

# Batch-size histogram summed over the stores (whole server life: warm-up
# included), from comptoir_commit_batch_size (cumulative buckets per store).
BATCH_LINES=$(grep '^comptoir_commit_batch_size' "$WORK/metrics.txt" || true)
BATCH_SUM=$(awk '/^comptoir_commit_batch_size_bucket/ {
        le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le); n[le] += $2 }
    END { prev = 0
        for (i = 0; i <= 9; i++) { b = 2 ^ i; if ((b "") in n) { c = n[b ""] - prev; prev = n[b ""]; if (c > 0) printf "<=%d:%d ", b, c } }
        if ("+Inf" in n && n["+Inf"] - prev > 0) printf ">512:%d", n["+Inf"] - prev }' <<<"$BATCH_LINES")
COMMITS=$(awk '/^comptoir_commit_batch_size_count/ { s += $2 } END { print s + 0 }' <<<"$BATCH_LINES")
MEAN_BATCH=$(awk '/^comptoir_commit_batch_size_sum/ { s += $2 } /^comptoir_commit_batch_size_count/ { c += $2 }
    END { if (c > 0) printf "%.1f", s / c; else print "n/a" }' <<<"$BATCH_LINES")

SECS=$(awk -v us="$DURATION_US" 'BEGIN { printf "%.2f", us / 1e6 }')
per_s() { awk -v a="$1" -v b="$2" -v s="$SECS" 'BEGIN { printf "%.0f", (b - a) / s }'; }
WAL_SYNC_PER_S=$(per_s "$WAL_SYNC0" "$WAL_SYNC1")
WAL_SYNC_AVG_MS=$(awk -v a="$WAL_SYNC0" -v b="$WAL_SYNC1" -v x="$WAL_SYNC_MS0" -v y="$WAL_SYNC_MS1" 'BEGIN { if (b > a) printf "%.2f", (y - x) / (b - a); else print "n/a" }')
XACT_PER_S=$(per_s "$XACT0" "$XACT1")
CPU_SERVER=$(awk -v a="$CPU_SERVER0" -v b="$CPU_SERVER1" -v s="$SECS" 'BEGIN { printf "%.0f%%", 100 * (b - a) / s }')
CPU_PG=$(awk -v a="$CPU_PG0" -v b="$CPU_PG1" -v s="$SECS" 'BEGIN { printf "%.0f%%", 100 * (b - a) / s }')
CPU_MACHINE=$(awk -v a="$BUSY0" -v b="$BUSY1" -v x="$TOTAL0" -v y="$TOTAL1" -v n="$(nproc)" 'BEGIN { printf "%.0f%% of %d cores", 100 * n * (b - a) / (y - x), n }')
CPU_OTHER=$(awk -v m="${CPU_MACHINE%%%*}" -v s="${CPU_SERVER%\%}" -v p="${CPU_PG%\%}" 'BEGIN { printf "%.0f%%", m - s - p }')

# --- pgbench -------------------------------------------------------------------
PGBENCH_TPS=""
# pg.sh's cluster has max_connections = 200.
PGBENCH_CLIENTS=$(( CONNECTIONS < 190 ? CONNECTIONS : 190 ))
if (( PGBENCH_DURATION > 0 )); then
    say "pgbench -i, then pgbench -c $PGBENCH_CLIENTS -j 2 -T $PGBENCH_DURATION -b simple-update"
    "$PGBENCH" -i -q "${PG_BASE_URL}pgbench_bench" >"$WORK/pgbench-init.txt" 2>&1 \
        || { cat "$WORK/pgbench-init.txt" >&2; die "pgbench -i failed"; }
    read -r _ _ PGB_SYNC0 PGB_SYNC_MS0 < <(wal_stats)
    CPU_PGB_PG0=$(cpu_of_pg "$POSTMASTER"); read -r PBUSY0 PTOTAL0 < <(machine_cpu)
    "$PGBENCH" -c "$PGBENCH_CLIENTS" -j 2 -T "$PGBENCH_DURATION" -b simple-update "${PG_BASE_URL}pgbench_bench" \
        >"$WORK/pgbench.txt" 2>&1 &
    CHILD_PID=$!
    sleep "$(( PGBENCH_DURATION - 1 ))"
    CPU_PGB_PG1=$(cpu_of_pg "$POSTMASTER"); read -r PBUSY1 PTOTAL1 < <(machine_cpu)
    wait "$CHILD_PID" || { cat "$WORK/pgbench.txt" >&2; die "pgbench failed"; }
    CHILD_PID=""
    read -r _ _ PGB_SYNC1 PGB_SYNC_MS1 < <(wal_stats)
    PGBENCH_TPS=$(sed -n 's/^tps = \([0-9]*\)[0-9.]* (without initial connection time).*/\1/p' "$WORK/pgbench.txt")
    [[ -n "$PGBENCH_TPS" ]] || { cat "$WORK/pgbench.txt" >&2; die "no tps in the pgbench output"; }
    PGBENCH_LAT=$(sed -n 's/^latency average = \(.*\)$/\1/p' "$WORK/pgbench.txt")
    PGB_SYNC_PER_S=$(awk -v a="$PGB_SYNC0" -v b="$PGB_SYNC1" -v s="$PGBENCH_DURATION" 'BEGIN { printf "%.0f", (b - a) / s }')
    PGB_SYNC_AVG_MS=$(awk -v a="$PGB_SYNC0" -v b="$PGB_SYNC1" -v x="$PGB_SYNC_MS0" -v y="$PGB_SYNC_MS1" 'BEGIN { if (b > a) printf "%.2f", (y - x) / (b - a); else print "n/a" }')
    PGB_CPU_PG=$(awk -v a="$CPU_PGB_PG0" -v b="$CPU_PGB_PG1" -v s="$(( PGBENCH_DURATION - 1 ))" 'BEGIN { printf "%.0f%%", 100 * (b - a) / s }')
    PGB_CPU_MACHINE=$(awk -v a="$PBUSY0" -v b="$PBUSY1" -v x="$PTOTAL0" -v y="$PTOTAL1" -v n="$(nproc)" 'BEGIN { printf "%.0f%% of %d cores", 100 * n * (b - a) / (y - x), n }')
    RATIO=$(awk -v a="$SALES_PER_S" -v b="$PGBENCH_TPS" 'BEGIN { printf "%.2f", a / b }')
fi

# --- summary -------------------------------------------------------------------
ms() { awk -v us="$1" 'BEGIN { printf "%.1f ms", us / 1000 }'; }
cat <<EOF

==== Durable sales benchmark ====
machine              $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); server, PostgreSQL and wrk share them
PostgreSQL           $PG_VERSION, synchronous_commit=$SYNC_COMMIT, fsync=$FSYNC, wal_sync_method=$WAL_SYNC_METHOD
data                 comptoir generate --stores $STORES --products $PRODUCTS --stock $STOCK
comptoir config      io_threads=$IO_THREADS scheduler_threads=$SCHEDULER_THREADS workers=$WORKERS max_batch=$MAX_BATCH (tokens: $TOKEN)
load                 wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s -s deploy/loadtest/sales.lua (after a ${WARMUP}s warm-up)

Comptoir
  committed sales/s  $SALES_PER_S   ($ROWS sales rows committed in ${SECS}s)
  wrk 201s           $CREATED of $REQUESTS responses; rows match: $MATCH
  non-2xx            $NON201$(grep '^SALES_NON201_STATUSES' "$WORK/wrk-run.txt" | sed 's/^SALES_NON201_STATUSES/  statuses:/' || true)
  socket errors      $SOCKET_ERRORS
  latency            p50 $(ms "$P50"), p90 $(ms "$P90"), p99 $(ms "$P99"), max $(ms "$PMAX")
  batch sizes        $BATCH_SUM  (summed over stores, warm-up included; $COMMITS commits, mean $MEAN_BATCH sales/commit)
  sales per second   $TIMELINE
  PostgreSQL         $XACT_PER_S commits/s, $WAL_SYNC_PER_S WAL fsyncs/s (mean fsync $WAL_SYNC_AVG_MS ms)
  CPU (100% = 1 core) comptoir $CPU_SERVER, PostgreSQL $CPU_PG, rest (wrk, kernel softirq) $CPU_OTHER; machine $CPU_MACHINE
EOF
if [[ -n "$PGBENCH_TPS" ]]; then
cat <<EOF

pgbench -c $PGBENCH_CLIENTS -j 2 -T $PGBENCH_DURATION -b simple-update (same server, database pgbench_bench, scale 1)
  TPS                $PGBENCH_TPS   (latency average $PGBENCH_LAT)
  PostgreSQL         $PGB_SYNC_PER_S WAL fsyncs/s (mean fsync $PGB_SYNC_AVG_MS ms)
  CPU                PostgreSQL $PGB_CPU_PG, machine $PGB_CPU_MACHINE

ratio                Comptoir committed sales/s / pgbench TPS = $RATIO
EOF
fi
printf '\nper-store batch sizes (/metrics):\n%s\n' "$(grep -v '_bucket' <<<"$BATCH_LINES" || true)"
