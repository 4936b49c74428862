#!/usr/bin/env bash
# Consolidated sales report benchmark: GET /api/v1/reports/sales with 10k and
# with 1M sales in the database, same wrk command, on loopback only.
#
#   deploy/loadtest/bench-reports.sh [options]
#
#   --postgresql          use a private PostgreSQL 15 (tests/support/pg.sh)
#                         instead of SQLite files
#   --both                SQLite, then PostgreSQL
#   --sizes LIST          sales counts, comma-separated (default 10000,1000000)
#   --duration S          each wrk run, seconds (default 20)
#   --connections N       wrk concurrent connections (default 16)
#   --warmup S            cached warm-up before the measurements (default 3)
#   --seed X              comptoir generate --seed (default 42)
#   --cache-ttl-ms MS     [reports] cache_ttl_ms of the server (default 5000, the
#                         shipped value; a cached entry expires that often)
#   --ready-timeout S     wait for /health/ready at most S seconds (default 600)
#   --binary PATH         comptoir binary (default build/app/comptoir; copied
#                         to the temporary directory first)
#   --keep                keep the temporary directory (databases, logs, wrk output)
#   -h, --help            this text
#
# For each backend and size: `comptoir generate --stores 10 --products 1000
# --stock 1000 --sales N --days 56 --seed X` into an empty database (timed);
# `comptoir serve` on a free 127.0.0.1 port, timed until /health/ready answers
# 200 (this includes each store's rebuild of its per-day aggregates); a check
# that the report for the last 28 days equals what SQL computes; a cached
# warm-up; then the same wrk command twice, `wrk -t1 -c16 -d20s --latency -s
# deploy/loadtest/reports.lua`: (a) cached, the same window every request;
# (b) uncached, a window never asked before on every request (a cache miss:
# the head office gathers every store's summary again). Then SIGTERM. A
# summary gives p50/p90/p99, req/s and the ratio of the largest size to the
# smallest. Everything it starts is stopped by pid on exit, success or not.
set -euo pipefail

BENCH_NAME=bench-reports
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
LUA_SCRIPT=$REPO_ROOT/deploy/loadtest/reports.lua

BACKENDS=(sqlite)
SIZES=10000,1000000
DURATION=20
CONNECTIONS=16
WARMUP=3
SEED=42
READY_TIMEOUT=600
BINARY=$REPO_ROOT/build/app/comptoir
KEEP=0
STORES=10
PRODUCTS=1000
STOCK=1000
DAYS=56
CACHE_TTL_MS=5000

usage() { sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while (( $# )); do
    opt=$1
    case "$opt" in
        -h|--help) usage; exit 0 ;;
        --keep) KEEP=1; shift; continue ;;
        --postgresql) BACKENDS=(postgresql); shift; continue ;;
        --both) BACKENDS=(sqlite postgresql); shift; continue ;;
    esac
    (( $# >= 2 )) || { usage >&2; exit 2; }
    val=$2
    case "$opt" in
        --sizes) [[ "$val" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--sizes: comma-separated sales counts"; SIZES=$val ;;
        --duration) val=${val%s}; positive "$opt" "$val"; DURATION=$val ;;
        --connections) positive "$opt" "$val"; CONNECTIONS=$val ;;
        --warmup) val=${val%s}; positive "$opt" "$val" 0; WARMUP=$val ;;
        --seed) positive "$opt" "$val" 0; SEED=$val ;;
        --cache-ttl-ms) positive "$opt" "$val"; CACHE_TTL_MS=$val ;;
        --ready-timeout) positive "$opt" "$val"; READY_TIMEOUT=$val ;;
        --binary) BINARY=$val ;;
        *) usage >&2; exit 2 ;;
    esac
    shift 2
done
IFS=, read -r -a SIZE_LIST <<<"$SIZES"

# --- tools -------------------------------------------------------------------
check_tools "$BINARY"
command -v python3 >/dev/null || die "python3 not found"
NEED_PG=0
for b in "${BACKENDS[@]}"; do [[ $b == postgresql ]] && NEED_PG=1; done
for b in "${BACKENDS[@]}"; do
    [[ $b == sqlite ]] && { command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"; }
done
if (( NEED_PG )); then
    find_pg_bindir
    [[ -x "$PG_BINDIR/psql" ]] || die "psql not found in '$PG_BINDIR' (Debian 12: package postgresql-15)"
fi

# --- cleanup -----------------------------------------------------------------
bench_workdir comptoir-bench-reports "databases, comptoir-*.toml, serve-*.log, wrk-*.txt, report-*.json"

private_binary "$BINARY"

rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# --- PostgreSQL ----------------------------------------------------------------
if (( NEED_PG )); then
    start_pg
    PG_VERSION=$("${PSQL[@]}" -d "${PG_BASE_URL}postgres" -c "SHOW server_version")
    say "PostgreSQL $PG_VERSION at $PG_BASE_URL"
fi

# sql BACKEND TARGET QUERY: rows as a|b|c lines.
sql() {
    if [[ $1 == sqlite ]]; then
        sqlite3 -batch -bail "$2" "$3"
    else
        "${PSQL[@]}" -d "$2" -c "$3"
    fi
}

# check_report BACKEND TARGET FROM TO JSON_FILE: the report's numbers against SQL.
check_report() {
    local backend=$1 target=$2 from=$3 to=$4 json=$5 returns
    returns=$(sql "$backend" "$target" "SELECT COUNT(*) FROM returns")
    [[ "$returns" == 0 ]] || { echo "the check assumes no returns; the database has $returns"; return 1; }
    # created_at is an ISO 8601 UTC text: a day D holds the texts in [D, D + 1).
    sql "$backend" "$target" "SELECT s.store_id, COUNT(*), CAST(SUM(s.total_cents) AS BIGINT)
        FROM sales s WHERE s.created_at >= '$from' AND s.created_at < '$to'
        GROUP BY s.store_id ORDER BY s.store_id" >"$WORK/sql-stores.txt"
    sql "$backend" "$target" "SELECT l.product_id, CAST(SUM(l.quantity) AS BIGINT),
        CAST(SUM(l.quantity * l.unit_price_cents) AS BIGINT)
        FROM sale_lines l JOIN sales s ON s.id = l.sale_id
        WHERE s.created_at >= '$from' AND s.created_at < '$to'
        GROUP BY l.product_id ORDER BY 2 DESC, 3 DESC, 1 LIMIT 10" >"$WORK/sql-top.txt"
    sql "$backend" "$target" "SELECT k.location_id, CAST(SUM(k.on_hand) AS BIGINT),
        SUM(CASE WHEN k.on_hand < k.reorder_point THEN 1 ELSE 0 END)
        FROM stock k JOIN locations c ON c.id = k.location_id AND c.kind = 'store'
        GROUP BY k.location_id ORDER BY k.location_id" >"$WORK/sql-stock.txt"
    python3 - "$json" "$WORK/sql-stores.txt" "$WORK/sql-top.txt" "$WORK/sql-stock.txt" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
def rows(path):
    return [tuple(int(x) for x in line.split("|")) for line in open(path) if line.strip()]
sql_stores = {r[0]: (r[1], r[2]) for r in rows(sys.argv[2])}
got_stores = {s["store_id"]: (s["sales_count"], s["revenue_cents"]) for s in report["stores"]}
# A store without a sale in the window has no SQL row but a zero report row.
for store, v in got_stores.items():
    sql_stores.setdefault(store, (0, 0))
problems = []
if got_stores != sql_stores:
    problems.append(f"stores: report {sorted(got_stores.items())} != SQL {sorted(sql_stores.items())}")
sql_top = rows(sys.argv[3])
got_top = [(p["product_id"], p["quantity"], p["revenue_cents"]) for p in report["top_products"]]
if got_top != sql_top:
    problems.append(f"top products: report {got_top} != SQL {sql_top}")
sql_stock = rows(sys.argv[4])
got_stock = [(s["store_id"], s["on_hand_total"], s["below_reorder"]) for s in report["stock"]]
if got_stock != sql_stock:
    problems.append(f"stock: report {got_stock} != SQL {sql_stock}")
if problems:
    print("; ".join(problems))
    sys.exit(1)
sales = sum(v[0] for v in got_stores.values())
revenue = sum(v[1] for v in got_stores.values())
print(f"equal: {len(got_stores)} stores, {sales} sales, {revenue} cents, top 10 products, stock totals")
PY
}

# --- one backend, one size -------------------------------------------------------
declare -A R   # results: R[backend,size,key]

run_wrk() { # NAME MODE SECONDS TODAY
    REPORT_MODE=$2 REPORT_TODAY=$4 REPORT_SPAN=$(( DAYS + 1 )) \
        wrk_run "$1" REPORT_RESULT -t1 -c"$CONNECTIONS" -d"$3"s --latency -s "$LUA_SCRIPT" "$BASE"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

bench_one() { # BACKEND SIZE
    local backend=$1 size=$2 tag="$1-$2" url target t0 t1 port
    if [[ $backend == sqlite ]]; then
        target=$WORK/sales-$size.db
        url=sqlite://$target
    else
        "${PSQL[@]}" -d "${PG_BASE_URL}postgres" -c "CREATE DATABASE comptoir_$size" >/dev/null
        target=${PG_BASE_URL}comptoir_$size
        url=$target
    fi

    say "[$tag] load $(load1): comptoir generate --stores $STORES --products $PRODUCTS --stock $STOCK --sales $size --days $DAYS --seed $SEED"
    t0=$(now_s)
    COMPTOIR_DATABASE_URL=$url "$COMPTOIR" generate --stores "$STORES" --products "$PRODUCTS" \
        --stock "$STOCK" --sales "$size" --days "$DAYS" --seed "$SEED" >"$WORK/generate-$tag.log" 2>&1 &
    CHILD_PID=$!
    wait "$CHILD_PID" || { cat "$WORK/generate-$tag.log" >&2; die "comptoir generate failed"; }
    CHILD_PID=""
    t1=$(now_s)
    R[$tag,generate_s]=$(elapsed "$t0" "$t1")
    # generate spreads the sales over [now - days, now): today is the day it ran.
    local today
    today=$(date -u +%F)
    R[$tag,rows]=$(sql "$backend" "$target" "SELECT COUNT(*) FROM sales")
    R[$tag,lines]=$(sql "$backend" "$target" "SELECT COUNT(*) FROM sale_lines")
    if [[ $backend == sqlite ]]; then
        R[$tag,db_size]="$(( $(stat -c %s "$target") / 1024 / 1024 )) MB"
    else
        R[$tag,db_size]=$("${PSQL[@]}" -d "$target" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
    fi
    say "[$tag] generated ${R[$tag,rows]} sales (${R[$tag,lines]} lines) in ${R[$tag,generate_s]} s"

    port=$(free_port)
    cat >"$WORK/comptoir-$tag.toml" <<EOF
# Written by deploy/loadtest/bench-reports.sh
[http]
address = "127.0.0.1"
port = $port

[database]
url = "$url"

[reports]
cache_ttl_ms = $CACHE_TTL_MS

[demo]
enabled = true

[log]
level = "info"
EOF
    BASE=http://127.0.0.1:$port
    say "[$tag] comptoir serve on 127.0.0.1:$port"
    t0=$(now_s)
    start_server "$COMPTOIR" "$WORK/comptoir-$tag.toml" "$WORK/serve-$tag.log" "$BASE" "$READY_TIMEOUT" 50
    t1=$(now_s)
    R[$tag,ready_s]=$(elapsed "$t0" "$t1")
    R[$tag,rss_ready]=$(rss_mb "$SERVER_PID")
    say "[$tag] ready after ${R[$tag,ready_s]} s (RSS ${R[$tag,rss_ready]} MB)"

    # Sanity: the report of the last 28 days against SQL (first request: a miss).
    local from to
    from=$(date -u -d "$today - 27 days" +%F)
    to=$(date -u -d "$today + 1 day" +%F)
    curl -s -f -H 'Authorization: Bearer demo-hq' "$BASE/api/v1/reports/sales?from=$from&to=$to" \
        >"$WORK/report-$tag.json" || die "[$tag] GET /api/v1/reports/sales failed"
    R[$tag,report_bytes]=$(stat -c %s "$WORK/report-$tag.json")
    if R[$tag,check]=$(check_report "$backend" "$target" "$from" "$to" "$WORK/report-$tag.json"); then
        say "[$tag] report [$from, $to) vs SQL: ${R[$tag,check]}"
    else
        say "[$tag] report [$from, $to) vs SQL: MISMATCH: ${R[$tag,check]}"
        R[$tag,check]="MISMATCH: ${R[$tag,check]}"
    fi

    if (( WARMUP > 0 )); then
        say "[$tag] warm-up: ${WARMUP}s cached"
        run_wrk "$tag-warmup" cached "$WARMUP" "$today"
    fi
    local mode cpu0 cpu1 result
    for mode in cached uncached; do
        R[$tag,$mode,load]=$(load1)
        say "[$tag] load ${R[$tag,$mode,load]}: REPORT_MODE=$mode wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency -s deploy/loadtest/reports.lua"
        cpu0=$(cpu_of "$SERVER_PID")
        run_wrk "$tag-$mode" "$mode" "$DURATION" "$today"
        cpu1=$(cpu_of "$SERVER_PID")
        result=$(grep '^REPORT_RESULT' "$WORK/wrk-$tag-$mode.txt")
        for key in requests ok non200 rps p50_us p90_us p99_us max_us socket_errors last_from last_to duration_us; do
            R[$tag,$mode,$key]=$(field "$result" "$key")
        done
        R[$tag,$mode,cpu]=$(awk -v a="$cpu0" -v b="$cpu1" -v us="${R[$tag,$mode,duration_us]}" \
            'BEGIN { printf "%.0f%%", 100 * (b - a) / (us / 1e6) }')
        R[$tag,$mode,rss]=$(rss_mb "$SERVER_PID")
        say "[$tag] $mode: ${R[$tag,$mode,rps]} req/s, p50 ${R[$tag,$mode,p50_us]} us, p99 ${R[$tag,$mode,p99_us]} us, non-200 ${R[$tag,$mode,non200]}, comptoir CPU ${R[$tag,$mode,cpu]}, RSS ${R[$tag,$mode,rss]} MB"
    done
    R[$tag,uncached,first]="from=$(date -u -d "$today - $DAYS days" +%F)&to=$(date -u -d "$today + 2 days" +%F)"

    say "[$tag] stopping comptoir (SIGTERM)"
    stop_pid "$SERVER_PID" 15
    SERVER_PID=""
    # A 1M-sale database is large: drop it before the next one.
    if (( ! KEEP )); then
        if [[ $backend == sqlite ]]; then
            rm -f -- "$target" "$target-wal" "$target-shm"
        else
            "${PSQL[@]}" -d "${PG_BASE_URL}postgres" -c "DROP DATABASE comptoir_$size" >/dev/null
        fi
    fi
}

LOAD_START=$(cat /proc/loadavg)
for backend in "${BACKENDS[@]}"; do
    for size in "${SIZE_LIST[@]}"; do
        bench_one "$backend" "$size"
    done
done
LOAD_END=$(cat /proc/loadavg)

# --- summary -------------------------------------------------------------------
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
SMALL=${SIZE_LIST[0]}
LARGE=${SIZE_LIST[${#SIZE_LIST[@]}-1]}
cat <<EOF

==== Consolidated sales report benchmark ====
machine     $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); comptoir and wrk share them
load        /proc/loadavg at start: $LOAD_START; at end: $LOAD_END
data        comptoir generate --stores $STORES --products $PRODUCTS --stock $STOCK --sales N --days $DAYS --seed $SEED
load        wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency -s deploy/loadtest/reports.lua (REPORT_MODE=cached | uncached), after a ${WARMUP}s cached warm-up
config      default actors (1 I/O thread, 1 scheduler thread, 4 workers), [reports] cache_ttl_ms = $CACHE_TTL_MS, demo token demo-hq
EOF
for backend in "${BACKENDS[@]}"; do
    printf '\n-- %s%s --\n' "$backend" "$( [[ $backend == postgresql ]] && printf ' %s' "$PG_VERSION")"
    for size in "${SIZE_LIST[@]}"; do
        t="$backend-$size"
        printf '%8s sales: generate %s s (%s lines, %s); ready after %s s, RSS %s MB; report %s bytes\n' \
            "$size" "${R[$t,generate_s]}" "${R[$t,lines]}" "${R[$t,db_size]}" "${R[$t,ready_s]}" "${R[$t,rss_ready]}" "${R[$t,report_bytes]}"
        printf '          SQL check (last 28 days): %s\n' "${R[$t,check]}"
    done
    printf '\n| sales | mode | req/s | p50 ms | p90 ms | p99 ms | max ms | non-200 | socket errors | comptoir CPU | RSS after MB | load |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n'
    for mode in cached uncached; do
        for size in "${SIZE_LIST[@]}"; do
            t="$backend-$size"
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$size" "$mode" \
                "${R[$t,$mode,rps]}" "$(ms "${R[$t,$mode,p50_us]}")" "$(ms "${R[$t,$mode,p90_us]}")" \
                "$(ms "${R[$t,$mode,p99_us]}")" "$(ms "${R[$t,$mode,max_us]}")" "${R[$t,$mode,non200]}" \
                "${R[$t,$mode,socket_errors]}" "${R[$t,$mode,cpu]}" "${R[$t,$mode,rss]}" "${R[$t,$mode,load]}"
        done
    done
    for mode in cached uncached; do
        s="$backend-$SMALL"; l="$backend-$LARGE"
        printf '%-8s ratio %s/%s: p50 %s, p99 %s, req/s %s  (target: p50 and p99 <= 2)\n' "$mode" "$LARGE" "$SMALL" \
            "$(ratio "${R[$l,$mode,p50_us]}" "${R[$s,$mode,p50_us]}")" \
            "$(ratio "${R[$l,$mode,p99_us]}" "${R[$s,$mode,p99_us]}")" \
            "$(ratio "${R[$l,$mode,rps]}" "${R[$s,$mode,rps]}")"
    done
    for size in "${SIZE_LIST[@]}"; do
        t="$backend-$size"
        printf 'uncached windows at %s sales: %s distinct, first %s, last from=%s&to=%s\n' "$size" \
            "${R[$t,uncached,requests]}" "${R[$t,uncached,first]}" "${R[$t,uncached,last_from]}" "${R[$t,uncached,last_to]}"
    done
done
