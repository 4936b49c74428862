#!/usr/bin/env bash
# Load-test kit: steps the load of one wrk scenario (connections 1 -> 256)
# against a node or a cluster, with the server's /metrics deltas, and writes a
# Markdown report, a CSV and SVG plots (gnuplot).
#
#   deploy/loadtest/run.sh --scenario S [target] [options]
#   deploy/loadtest/run.sh --scenario S --compare SETUP... [options]
#   deploy/loadtest/run.sh --scenario mix --cluster N --failover AT [options]
#
# Scenarios (the wrk scripts next to this one):
#   stock      GET /api/v1/stores/{id}/stock, a random store each time
#   reports    GET /api/v1/reports/sales, the last 28 days (REPORT_MODE=uncached
#              in the environment: a new window each time, see reports.lua)
#   products   PATCH /api/v1/products/{id} (price or name) for half the
#              requests, GET /api/v1/products/{id} for the others
#   sales      POST /api/v1/stores/{id}/sales, unique Idempotency-Keys
#   mix        60% stock reads, 20% product reads, 15% sales, 5% reports
#
# Target (default: its own node):
#   (none)            a private PostgreSQL (tests/support/pg.sh), or SQLite with
#                     --sqlite; `comptoir generate`; `comptoir serve` (demo
#                     tokens on) on a free 127.0.0.1 port
#   --url URL         a node or load balancer that runs already; --token (the
#                     stores and products are counted through the API unless
#                     --stores/--products are given)
#   --cluster N       N nodes (1..5) behind nginx: deploy/cluster/run.sh on a
#                     generated PostgreSQL database; --strategy S (round_robin,
#                     least_conn, ip_hash, weighted)
#   --compare SETUP.. the same steps against each SETUP in turn, "N" or
#                     "N:STRATEGY" ("1": one node, through nginx too), each a
#                     fresh cluster on a fresh database; a combined report.
#                     The SETUPs are the arguments after --compare up to the
#                     next --option.
#   --failover AT     with --cluster N (N >= 2): one step (default 64
#                     connections, 30 s); at AT seconds the node that owns the
#                     most stores is killed (SIGKILL); answers are counted per
#                     second; errors by status and recovery time reported
#
# Options:
#   --steps LIST        connections per step (default 1,2,4,8,16,32,64,128,256)
#   --duration S        seconds per step (default 10; failover 30)
#   --threads T         wrk threads (default 2; at most a step's connections)
#   --warmup S          a warm-up at 8 connections before the steps (default 2; 0: none)
#   --timeout S         wrk's request timeout (default 10)
#   --token TOKEN       bearer token of every request (default demo-admin; the
#                       mix, sales, products and reports need admin or hq rights)
#   --metrics URL,...   with --url: the nodes whose URL/metrics to scrape
#                       (default: URL itself, if it serves /metrics)
#   --out DIR           where the report goes (default var/loadtest/SCENARIO-DATE)
#   --sqlite            own node on SQLite instead of PostgreSQL
#   --stores N --products M --stock Q --sales S
#                       comptoir generate (default 10, 1000, 1000000, 10000:
#                       enough stock that sales never run out)
#   --access-log on|off own node's [log] access (default on, the server's default
#                       and the local cluster's)
#   --config-extra FILE TOML appended to the own node's config (not [http],
#                       [database], [demo] nor [log]), e.g. [actors] workers
#   --binary PATH       comptoir (default $COMPTOIR_BINARY, else build/app/comptoir)
#   --keep              keep the work directory (configs, logs, raw wrk output)
#   -h, --help          this text
#
# Output in DIR: results.csv (one row per step), report.md, throughput.svg,
# latency.svg, raw/ (wrk's output); with --compare one subdirectory per setup
# and the combined files; with --failover timeline.csv and timeline.svg.
# Progress goes to stderr. Everything started is stopped by pid on exit.
set -euo pipefail

BENCH_NAME=loadtest
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
LT_DIR=$REPO_ROOT/deploy/loadtest
CLUSTER_SH=$REPO_ROOT/deploy/cluster/run.sh

usage() { sed -n '2,63p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

COMMAND_LINE=deploy/loadtest/run.sh
for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:,=@%+-]+$ ]]; then COMMAND_LINE+=" $arg"; else COMMAND_LINE+=" $(printf '%q' "$arg")"; fi
done
SCENARIO=""
URL=""
TOKEN=demo-admin
METRICS=""
CLUSTER=0
STRATEGY=round_robin
FAILOVER=""
STEPS=""
DURATION=""
THREADS=2
WARMUP=2
TIMEOUT=10
OUT=""
SQLITE=0
STORES=""
PRODUCTS=""
STOCK=1000000
SALES=10000
ACCESS_LOG=on
CONFIG_EXTRA=""
BINARY=${COMPTOIR_BINARY:-$REPO_ROOT/build/app/comptoir}
KEEP=0
COMPARE=()

while (( $# > 0 )); do
    opt=$1
    case "$opt" in
        -h|--help) usage; exit 0 ;;
        --keep) KEEP=1; shift; continue ;;
        --sqlite) SQLITE=1; shift; continue ;;
        --compare)
            shift
            while (( $# > 0 )) && [[ "$1" != --* ]]; do COMPARE+=("$1"); shift; done
            (( ${#COMPARE[@]} > 0 )) || die "--compare needs setups: N or N:STRATEGY"
            continue ;;
    esac
    (( $# >= 2 )) || die "$opt needs a value (--help)"
    val=$2
    case "$opt" in
        --scenario) [[ "$val" =~ ^(stock|reports|products|sales|mix)$ ]] \
                        || die "--scenario: stock, reports, products, sales or mix, got '$val'"
                    SCENARIO=$val ;;
        --url) URL=${val%/} ;;
        --token) TOKEN=$val ;;
        --metrics) METRICS=$val ;;
        --cluster) [[ "$val" =~ ^[1-5]$ ]] || die "--cluster: 1 to 5 nodes, got '$val'"; CLUSTER=$val ;;
        --strategy) STRATEGY=$val ;;
        --failover) val=${val%s}; positive "$opt" "$val"; FAILOVER=$val ;;
        --steps) [[ "$val" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--steps: comma-separated connection counts"
                 STEPS=$val ;;
        --duration) val=${val%s}; positive "$opt" "$val"; DURATION=$val ;;
        --threads) positive "$opt" "$val"; THREADS=$val ;;
        --warmup) val=${val%s}; positive "$opt" "$val" 0; WARMUP=$val ;;
        --timeout) val=${val%s}; positive "$opt" "$val"; TIMEOUT=$val ;;
        --out) OUT=$val ;;
        --stores) positive "$opt" "$val"; STORES=$val ;;
        --products) positive "$opt" "$val"; PRODUCTS=$val ;;
        --stock) positive "$opt" "$val"; STOCK=$val ;;
        --sales) positive "$opt" "$val" 0; SALES=$val ;;
        --access-log) [[ "$val" =~ ^(on|off)$ ]] || die "--access-log: on or off"; ACCESS_LOG=$val ;;
        --config-extra) [[ -f "$val" ]] || die "--config-extra: no file $val"; CONFIG_EXTRA=$(cd -- "$(dirname -- "$val")" && pwd -P)/$(basename -- "$val") ;;
        --binary) BINARY=$val ;;
        *) usage >&2; exit 2 ;;
    esac
    shift 2
done

# --- checks ------------------------------------------------------------------
[[ -n "$SCENARIO" ]] || die "--scenario is required (--help)"
check_strategy() {
    [[ "$1" =~ ^(round_robin|least_conn|ip_hash|weighted)$ ]] \
        || die "strategy: round_robin, least_conn, ip_hash or weighted, got '$1'"
}
check_strategy "$STRATEGY"
targets=$(( ${URL:+1} + (CLUSTER > 0) + (${#COMPARE[@]} > 0) ))
(( targets <= 1 )) || die "--url, --cluster and --compare exclude each other"
for setup in "${COMPARE[@]}"; do
    [[ "$setup" =~ ^([1-5])(:(.*))?$ ]] || die "--compare: a setup is N or N:STRATEGY (N 1..5), got '$setup'"
    [[ -z "${BASH_REMATCH[3]}" ]] || check_strategy "${BASH_REMATCH[3]}"
done
if [[ -n "$FAILOVER" ]]; then
    (( CLUSTER >= 2 )) || die "--failover needs --cluster N with N >= 2"
    STEPS=${STEPS:-64}
    [[ "$STEPS" =~ ^[0-9]+$ ]] || die "--failover runs one step: --steps takes one connection count"
    DURATION=${DURATION:-30}
    (( FAILOVER < DURATION )) || die "--failover $FAILOVER: not within the step's $DURATION s"
fi
STEPS=${STEPS:-1,2,4,8,16,32,64,128,256}
DURATION=${DURATION:-10}
IFS=, read -r -a STEP_LIST <<<"$STEPS"
(( SQLITE == 0 || (CLUSTER == 0 && ${#COMPARE[@]} == 0) )) || die "a cluster needs PostgreSQL: no --sqlite with --cluster or --compare"
[[ -z "$URL" || $SQLITE == 0 ]] || die "--sqlite is for its own node, not --url"
[[ -n "$URL" || -z "$METRICS" ]] || die "--metrics goes with --url"

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found"
command -v gnuplot >/dev/null || die "gnuplot not found (apt-get install gnuplot-nox)"
if [[ -z "$URL" ]]; then
    [[ -x "$BINARY" ]] || die "no comptoir binary at $BINARY (build it: deploy/dev.sh build, or --binary)"
    if (( SQLITE )); then
        command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"
    else
        find_pg_bindir
        [[ -x "$PG_BINDIR/psql" ]] || die "psql not found in '$PG_BINDIR' (Debian 12: package postgresql-15)"
    fi
fi
STORES=${STORES:-}
PRODUCTS=${PRODUCTS:-}
if [[ -z "$URL" ]]; then
    STORES=${STORES:-10}
    PRODUCTS=${PRODUCTS:-1000}
fi

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-$REPO_ROOT/var/loadtest/$SCENARIO-$STAMP}
mkdir -p -- "$OUT"
OUT=$(cd -- "$OUT" && pwd -P)

# --- work directory, cleanup ------------------------------------------------------
bench_workdir comptoir-loadtest "configs, node and cluster logs, generate logs"
CLUSTERS_STARTED=()   # cluster directories deploy/cluster/run.sh started
cleanup_more() {
    local dir
    for dir in "${CLUSTERS_STARTED[@]}"; do
        "$CLUSTER_SH" stop --dir "$dir" >>"$dir.stop.log" 2>&1 || say "could not stop the cluster in $dir"
    done
    CLUSTERS_STARTED=()
}

if [[ -z "$URL" ]]; then
    # Another build may replace the binary while we run: a private copy, in
    # the layout deploy/cluster/run.sh --build expects.
    mkdir -p "$WORK/build/app"
    cp "$BINARY" "$WORK/build/app/comptoir"
    COMPTOIR=$WORK/build/app/comptoir
fi
RUN_ID=$(date +%s)-$$-$RANDOM
IS_TTY=0
[[ -t 2 ]] && IS_TTY=1

# --- machine facts ---------------------------------------------------------------
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
MEM_GB=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
WRK_VERSION=$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2 || true)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
BUILD_TYPE=""

# --- PostgreSQL ----------------------------------------------------------------------
DB_COUNTER=0
if [[ -z "$URL" && $SQLITE == 0 ]]; then
    start_pg
fi

# new_database: a fresh database filled by comptoir generate; DB_URL.
new_database() {
    DB_COUNTER=$(( DB_COUNTER + 1 ))
    if (( SQLITE )); then
        DB_URL=sqlite://$WORK/loadtest-$DB_COUNTER.db
    else
        "${PSQL[@]}" -d "${PG_BASE_URL}postgres" -c "CREATE DATABASE loadtest_$DB_COUNTER" >/dev/null
        DB_URL=${PG_BASE_URL}loadtest_$DB_COUNTER
    fi
    say "comptoir generate --stores $STORES --products $PRODUCTS --stock $STOCK --sales $SALES ($([[ $SQLITE == 1 ]] && echo SQLite || echo PostgreSQL))"
    COMPTOIR_DATABASE_URL=$DB_URL "$COMPTOIR" generate --stores "$STORES" --products "$PRODUCTS" \
        --stock "$STOCK" --sales "$SALES" >"$WORK/generate-$DB_COUNTER.log" 2>&1 &
    CHILD_PID=$!
    wait "$CHILD_PID" || { cat "$WORK/generate-$DB_COUNTER.log" >&2; die "comptoir generate failed"; }
    CHILD_PID=""
}

# --- targets ---------------------------------------------------------------------
# Each start_* sets BASE (what wrk loads), METRICS_URLS (each node's base URL)
# and TARGET_DESC; stop_target stops what the last one started.
TARGET_CLUSTER_DIR=""
METRICS_URLS=()

start_own_node() {
    new_database
    local port config=$WORK/node-$DB_COUNTER.toml
    port=$(free_port)
    cat >"$config" <<EOF
# Written by deploy/loadtest/run.sh
[http]
address = "127.0.0.1"
port = $port

[database]
url = "$DB_URL"

[demo]
enabled = true

[log]
level = "warn"
access = $([[ $ACCESS_LOG == on ]] && echo true || echo false)
EOF
    if [[ -n "$CONFIG_EXTRA" ]]; then
        printf '\n# --config-extra %s\n' "$CONFIG_EXTRA" >>"$config"
        cat "$CONFIG_EXTRA" >>"$config"
    fi
    BASE=http://127.0.0.1:$port
    say "comptoir serve on $BASE ($config)"
    start_server "$COMPTOIR" "$config" "$WORK/node-$DB_COUNTER.log" "$BASE" 60 20
    METRICS_URLS=("$BASE")
    TARGET_DESC="one node ($([[ $SQLITE == 1 ]] && echo SQLite || echo PostgreSQL), access log $ACCESS_LOG), direct"
}

# cluster_state DIR KEY: a value of deploy/cluster/run.sh's state file.
cluster_state() { sed -n "s/^$2=//p" "$1/cluster.state" | tail -n 1; }

start_cluster() { # NODES STRATEGY
    local nodes=$1 strategy=$2 dir k
    new_database
    dir=$WORK/cluster-$DB_COUNTER
    say "deploy/cluster/run.sh start --nodes $nodes --strategy $strategy (log $dir.log)"
    CLUSTERS_STARTED+=("$dir")
    # The nodes take the generated database from COMPTOIR_DATABASE_URL, which
    # overrides the url of the configs run.sh writes; run.sh's own PostgreSQL
    # stays empty.
    COMPTOIR_DATABASE_URL=$DB_URL "$CLUSTER_SH" start --dir "$dir" --nodes "$nodes" \
        --strategy "$strategy" --build "$WORK/build" >"$dir.log" 2>&1 \
        || { tail -n 30 "$dir.log" >&2; die "deploy/cluster/run.sh start failed (log above)"; }
    TARGET_CLUSTER_DIR=$dir
    BASE=http://127.0.0.1:$(cluster_state "$dir" NGINX)
    METRICS_URLS=()
    for (( k = 1; k <= nodes; k++ )); do
        METRICS_URLS+=("http://127.0.0.1:$(cluster_state "$dir" "NODE_$k")")
    done
    TARGET_DESC="$nodes node(s) on PostgreSQL behind nginx ($strategy), access log on"
    wait_settled "$nodes"
    say "cluster ready: nginx on $BASE"
}

# wait_settled NODES: until every location has a live owner, NODES nodes own
# some (fewer if there are fewer locations) and the owners have not changed
# for 3 s: the nodes started one after the other, and locations move (503 for
# them meanwhile) until the shares are even (docs/cluster.md).
wait_settled() {
    local nodes=$1 i sig last="" stable=0 total owned owners
    for (( i = 0; i < 120; i++ )); do
        sig=$("${PSQL[@]}" -d "$DB_URL" -c "
            SELECT (SELECT count(*) FROM locations) || '|' || count(*) || '|' || count(DISTINCT n.node_id) || '|' ||
                   coalesce(string_agg(o.location_id || ':' || n.node_id || ':' || o.epoch, ',' ORDER BY o.location_id), '')
              FROM location_owners o JOIN cluster_nodes n ON n.incarnation = o.owner
             WHERE n.expires_at > clock_timestamp()" 2>/dev/null || true)
        IFS='|' read -r total owned owners _ <<<"$sig"
        if [[ -n "$total" && "$owned" == "$total" ]] && (( owners == (nodes < total ? nodes : total) )); then
            if [[ "$sig" == "$last" ]]; then
                stable=$(( stable + 1 ))
                (( stable < 6 )) || { say "ownership settled: $owned locations over $owners node(s)"; return 0; }
            else
                stable=0
            fi
        else
            stable=0
        fi
        last=$sig
        sleep 0.5
    done
    die "the cluster's ownership did not settle within 60 s (last: ${sig:-no answer})"
}

stop_target() {
    if [[ -n "$SERVER_PID" ]]; then
        stop_pid "$SERVER_PID" 15
        SERVER_PID=""
    fi
    if [[ -n "$TARGET_CLUSTER_DIR" ]]; then
        say "stopping the cluster"
        "$CLUSTER_SH" stop --dir "$TARGET_CLUSTER_DIR" >>"$TARGET_CLUSTER_DIR.stop.log" 2>&1 \
            || say "could not stop the cluster in $TARGET_CLUSTER_DIR"
        local -a left=()
        local dir
        for dir in "${CLUSTERS_STARTED[@]}"; do
            [[ "$dir" == "$TARGET_CLUSTER_DIR" ]] || left+=("$dir")
        done
        CLUSTERS_STARTED=("${left[@]}")
        TARGET_CLUSTER_DIR=""
    fi
}

# use_url: --url, its /metrics, and the numbers of stores and products.
use_url() {
    BASE=$URL
    local code
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$BASE/health/ready" || true)
    [[ "$code" == 200 ]] || die "$BASE/health/ready answered '$code', not 200"
    METRICS_URLS=()
    if [[ -n "$METRICS" ]]; then
        IFS=, read -r -a METRICS_URLS <<<"$METRICS"
        METRICS_URLS=("${METRICS_URLS[@]%/}")
    elif curl -s -f -m 5 "$BASE/metrics" 2>/dev/null | grep -q '^process_cpu_seconds_total'; then
        METRICS_URLS=("$BASE")
    else
        say "no /metrics at $BASE: no server metrics in the report (--metrics URL,...)"
    fi
    if [[ -z "$STORES" || -z "$PRODUCTS" ]]; then
        local counted
        counted=$(python3 - "$BASE" "$TOKEN" <<'PY'
import json, sys, urllib.parse, urllib.request
base, token = sys.argv[1], sys.argv[2]
def ids(path):
    found, cursor = [], None
    while True:
        url = base + path + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
        page = json.load(urllib.request.urlopen(req, timeout=10))
        found += [item["id"] for item in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            return found
for name, path in (("stores", "/api/v1/stores?limit=500"), ("products", "/api/v1/products?limit=500")):
    got = ids(path)
    if not got:
        sys.exit(f"no {name} at {base}")
    if sorted(got) != list(range(1, len(got) + 1)):
        print(f"warning: the {name} are not numbered 1..{len(got)}: the scripts pick ids in 1..{max(got)}", file=sys.stderr)
    print(max(got))
PY
        ) || die "could not count the stores and products of $BASE (token $TOKEN)"
        STORES=${STORES:-$(sed -n 1p <<<"$counted")}
        PRODUCTS=${PRODUCTS:-$(sed -n 2p <<<"$counted")}
    fi
    TARGET_DESC="$BASE (given)"
}

# --- metrics ---------------------------------------------------------------------
# scrape TAG: each node's /metrics into $WORK/metrics-TAG-K.txt (empty when it
# does not answer, e.g. a killed node).
scrape() {
    local k
    for k in "${!METRICS_URLS[@]}"; do
        curl -s -f -m 3 "${METRICS_URLS[k]}/metrics" >"$WORK/metrics-$1-$k.txt" 2>/dev/null \
            || : >"$WORK/metrics-$1-$k.txt"
    done
}

# metric_deltas BEFORE AFTER: "batch_mean hit_ratio cpu_s rss_mb nodes" over
# the nodes that answered both scrapes ("" for what is unknown).
metric_deltas() {
    local -a files=()
    local k
    for k in "${!METRICS_URLS[@]}"; do
        files+=("$WORK/metrics-$1-$k.txt" "$WORK/metrics-$2-$k.txt")
    done
    python3 - "${files[@]}" <<'PY'
import sys
def read(path):
    sums = {}
    try:
        for line in open(path):
            if not line.strip() or line.startswith("#"):
                continue
            name_labels, _, value = line.rstrip("\n").rpartition(" ")
            name = name_labels.split("{", 1)[0]
            try:
                sums[name] = sums.get(name, 0.0) + float(value)
            except ValueError:
                pass
    except OSError:
        pass
    return sums
files = sys.argv[1:]
d = {"bs": 0.0, "bc": 0.0, "h": 0.0, "m": 0.0, "cpu": 0.0}
rss, nodes, rss_seen = 0.0, 0, False
for before, after in zip(files[0::2], files[1::2]):
    a, b = read(before), read(after)
    if b and "process_resident_memory_bytes" in b:
        rss += b["process_resident_memory_bytes"]
        rss_seen = True
    if not a or not b:
        continue
    nodes += 1
    for key, name in (("bs", "comptoir_commit_batch_size_sum"), ("bc", "comptoir_commit_batch_size_count"),
                      ("h", "comptoir_cache_hits_total"), ("m", "comptoir_cache_misses_total"),
                      ("cpu", "process_cpu_seconds_total")):
        d[key] += b.get(name, 0.0) - a.get(name, 0.0)
out = [
    f"{d['bs'] / d['bc']:.2f}" if d["bc"] > 0 else "",
    f"{d['h'] / (d['h'] + d['m']):.4f}" if d["h"] + d["m"] > 0 else "",
    f"{d['cpu']:.2f}" if nodes else "",
    f"{rss / 1048576:.1f}" if rss_seen else "",
    f"{nodes}/{len(files) // 2}",
]
print(" ".join(x if x else "-" for x in out))
PY
}

build_type_of() { # METRICS FILE
    sed -n 's/^comptoir_build_info{.*build_type="\([^"]*\)".*/\1/p' "$1" | head -n 1
}

# --- wrk -------------------------------------------------------------------------
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

# run_wrk NAME CONNECTIONS SECONDS PROGRESS: the scenario's script; its output
# in $WORK/wrk-NAME.txt. While it runs, PROGRESS (a label) and the seconds
# elapsed on a terminal; with FAILOVER_AT set, the failover kill at that second.
run_wrk() {
    local name=$1 conns=$2 seconds=$3 label=$4 threads=$THREADS t0 now elapsed=0
    (( threads <= conns )) || threads=$conns
    LOADTEST_STORES=$STORES LOADTEST_PRODUCTS=$PRODUCTS LOADTEST_TOKEN=$TOKEN \
        LOADTEST_RUN="$RUN_ID-$name" LOADTEST_TIMELINE=${TIMELINE:-0} \
        wrk -t"$threads" -c"$conns" -d"$seconds"s --timeout "$TIMEOUT"s -s "$LT_DIR/$SCENARIO.lua" "$BASE" \
        >"$WORK/wrk-$name.txt" 2>&1 &
    WRK_PID=$!
    t0=$(date +%s%3N)
    WRK_STARTED=$t0
    while kill -0 "$WRK_PID" 2>/dev/null; do
        now=$(date +%s%3N)
        elapsed=$(( (now - t0) / 1000 ))
        if [[ -n "${FAILOVER_AT:-}" && -z "${KILLED_AT:-}" ]] && (( now - t0 >= FAILOVER_AT * 1000 )); then
            (( IS_TTY )) && printf '\n' >&2
            failover_kill
        fi
        (( IS_TTY )) && printf '\r%s: %s: %d/%d s ' "$BENCH_NAME" "$label" "$elapsed" "$seconds" >&2
        sleep 0.1
    done
    (( IS_TTY )) && printf '\r\033[K' >&2
    wait "$WRK_PID" || { cat "$WORK/wrk-$name.txt" >&2; WRK_PID=""; die "wrk failed"; }
    WRK_PID=""
    grep -q '^LOADTEST_RESULT' "$WORK/wrk-$name.txt" \
        || { cat "$WORK/wrk-$name.txt" >&2; die "wrk printed no LOADTEST_RESULT"; }
    THREADS_USED=$threads
}

CSV_HEADER=setup,connections,threads,duration_s,requests,rps,p50_us,p90_us,p99_us,max_us,non2xx,socket_errors,statuses,batch_mean,cache_hit_ratio,cpu_s,rss_mb,nodes_scraped

# run_steps LABEL DIR: the warm-up and the steps against BASE; DIR/results.csv.
run_steps() {
    local label=$1 dir=$2 k=0 n=${#STEP_LIST[@]} conns name result deltas
    mkdir -p "$dir/raw"
    echo "$CSV_HEADER" >"$dir/results.csv"
    if (( WARMUP > 0 )); then
        run_wrk "$label-warmup" 8 "$WARMUP" "[$label] warm-up, 8 connections"
    fi
    FAILOVER_AT=$FAILOVER   # armed for the steps only, not the warm-up
    scrape "$label-0"
    [[ -n "$BUILD_TYPE" ]] || BUILD_TYPE=$(build_type_of "$WORK/metrics-$label-0-0.txt" 2>/dev/null || true)
    for conns in "${STEP_LIST[@]}"; do
        k=$(( k + 1 ))
        name="$label-c$conns"
        say "[$label] step $k/$n: $conns connections, ${DURATION} s"
        scrape "$name-before"
        run_wrk "$name" "$conns" "$DURATION" "[$label] step $k/$n, $conns connections"
        scrape "$name-after"
        cp "$WORK/wrk-$name.txt" "$dir/raw/c$conns.txt"
        result=$(grep '^LOADTEST_RESULT' "$WORK/wrk-$name.txt")
        deltas=$(metric_deltas "$name-before" "$name-after")
        local rps p50 p90 p99 max non2xx sock statuses batch hit cpu rss nodes
        rps=$(field "$result" rps); p50=$(field "$result" p50_us); p90=$(field "$result" p90_us)
        p99=$(field "$result" p99_us); max=$(field "$result" max_us)
        non2xx=$(field "$result" non2xx); sock=$(field "$result" socket_errors)
        statuses=$(field "$result" statuses); statuses=${statuses//,/;}
        read -r batch hit cpu rss nodes <<<"$deltas"
        printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$label" "$conns" "$THREADS_USED" \
            "$(awk -v us="$(field "$result" duration_us)" 'BEGIN { printf "%.2f", us / 1e6 }')" \
            "$(field "$result" requests)" "$rps" "$p50" "$p90" "$p99" "$max" "$non2xx" "$sock" "$statuses" \
            "$batch" "$hit" "$cpu" "$rss" "$nodes" >>"$dir/results.csv"
        say "[$label] step $k/$n: $conns connections: $(printf '%.0f' "$rps") req/s, p50 $(ms "$p50") ms, p99 $(ms "$p99") ms, non-2xx $non2xx, socket errors $sock, CPU $cpu s, RSS $rss MB"
        (( k == n )) || sleep 1
    done
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# --- failover --------------------------------------------------------------------
FAILOVER_AT=""
KILLED_AT=""
KILLED_NODE=""
OWNERS_BEFORE=""

# failover_kill: SIGKILL to the node that owns the most stores (leases alive).
failover_kill() {
    local dir=$TARGET_CLUSTER_DIR node pid cmdline
    OWNERS_BEFORE=$("${PSQL[@]}" -d "$DB_URL" -c "
        SELECT n.node_id || ':' || count(*)
          FROM location_owners o
          JOIN cluster_nodes n ON n.incarnation = o.owner
          JOIN locations l ON l.id = o.location_id AND l.kind = 'store'
         WHERE n.expires_at > clock_timestamp()
         GROUP BY n.node_id ORDER BY count(*) DESC, n.node_id" | tr '\n' ' ') || true
    node=${OWNERS_BEFORE%%:*}
    [[ "$node" =~ ^node-[1-5]$ ]] || { KILLED_AT=none; say "failover: no live owner found (owners: '$OWNERS_BEFORE')"; return 0; }
    pid=$(cat "$dir/$node.pid" 2>/dev/null || true)
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)
    if [[ ! "$pid" =~ ^[0-9]+$ || "$cmdline" != *"$dir/$node.toml"* ]]; then
        KILLED_AT=none
        say "failover: $node (pid '$pid') does not run"
        return 0
    fi
    kill -KILL "$pid"
    KILLED_AT=$(date +%s.%N)
    KILLED_NODE=$node
    say "failover: killed $node (pid $pid, SIGKILL); store owners before: $OWNERS_BEFORE"
}

# --- reports ---------------------------------------------------------------------
machine_facts() {
    cat <<EOF
- Command: \`$COMMAND_LINE\`
- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)
- Machine: $(nproc) CPUs (\`nproc\`), $CPU_MODEL, $MEM_GB GB RAM, $(uname -sr); the server(s), PostgreSQL, nginx and wrk share it
- Build: ${BUILD_TYPE:-unknown} (\`comptoir_build_info\`); $WRK_VERSION
- Load: \`wrk -t$THREADS -c<step> -d${DURATION}s --timeout ${TIMEOUT}s -s deploy/loadtest/$SCENARIO.lua\` (threads at most the connections), token \`$TOKEN\`, warm-up ${WARMUP} s at 8 connections
EOF
    if [[ -z "$URL" ]]; then
        echo "- Data: \`comptoir generate --stores $STORES --products $PRODUCTS --stock $STOCK --sales $SALES\` (a fresh database per setup)"
    else
        echo "- Data: $STORES stores and $PRODUCTS products at the target"
    fi
}

# step_table CSV: the Markdown table of the steps of one setup.
step_table() {
    echo '| connections | threads | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | socket errors | non-2xx by status | batch mean | cache hits | CPU s (%) | RSS MB | nodes |'
    echo '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|'
    awk -F, 'NR > 1 {
        hit = ($15 == "-") ? "-" : sprintf("%.1f%%", 100 * $15)
        cpu = ($16 == "-") ? "-" : sprintf("%s (%.0f%%)", $16, 100 * $16 / $4)
        printf "| %d | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %d | %d | %s | %s | %s | %s | %s | %s |\n",
            $2, $3, $6, $7 / 1000, $8 / 1000, $9 / 1000, $10 / 1000, $11, $12, $13, $14, hit, cpu, $17, $18 }' "$1"
}

# peak_lines CSV: the peak and the lowest load reaching 80% of it.
peak_lines() {
    awk -F, 'NR > 1 { c[NR] = $2; r[NR] = $6; p99[NR] = $9; p50[NR] = $7; e[NR] = $11 + $12; if ($6 > peak) { peak = $6; at = NR } }
        END {
            if (!at) { print "- No step."; exit }
            printf "- Peak: **%.0f req/s** at %d connections (p50 %.2f ms, p99 %.2f ms, %d errors).\n", peak, c[at], p50[at] / 1000, p99[at] / 1000, e[at]
            for (i = 2; i <= NR; i++) if (r[i] >= 0.8 * peak) { k = i; break }
            printf "- ~80%% of peak: the fewest connections reaching %.0f req/s: **%d connections, %.0f req/s (%.0f%% of peak), p50 %.2f ms, p99 %.2f ms, %d non-2xx or socket errors**.\n",
                0.8 * peak, c[k], r[k], 100 * r[k] / peak, p50[k] / 1000, p99[k] / 1000, e[k]
        }' "$1"
}

GNUPLOT_HEAD="set terminal svg size 820,480 dynamic noenhanced font 'sans,11' background '#ffffff'
set datafile separator ','
set logscale x 2
set xlabel 'connections (wrk, closed loop)'
set grid
set key top left"

# plot_setups OUT_DIR TITLE LABEL=CSV...: throughput.svg and latency.svg, a
# curve (req/s; p50 dashed and p99 solid) per CSV.
plot_setups() {
    local dir=$1 title=$2 i=0 spec label csv tp="" lat=""
    shift 2
    for spec in "$@"; do
        i=$(( i + 1 ))
        label=${spec%%=*}
        csv=${spec#*=}
        tp+="${tp:+, }'$csv' skip 1 using 2:6 with linespoints lw 2 lc $i pt 7 title '$label'"
        lat+="${lat:+, }'$csv' skip 1 using 2:(\$9/1000) with linespoints lw 2 lc $i pt 7 title '$label p99'"
        lat+=", '$csv' skip 1 using 2:(\$7/1000) with linespoints lw 1 dt 2 lc $i pt 6 title '$label p50'"
    done
    gnuplot 2>>"$WORK/gnuplot.log" <<EOF || { cat "$WORK/gnuplot.log" >&2; die "gnuplot failed"; }
$GNUPLOT_HEAD
set output '$dir/throughput.svg'
set title '$title: throughput'
set ylabel 'req/s'
set yrange [0:*]
plot $tp
set output '$dir/latency.svg'
set title '$title: latency'
set ylabel 'ms'
set logscale y 10
set yrange [*:*]
plot $lat
EOF
}

write_report() { # DIR LABEL
    local dir=$1 label=$2
    {
        echo "# Load test: $SCENARIO on $TARGET_DESC"
        echo
        machine_facts
        echo "- Metrics: each target node's \`/metrics\` scraped before and after each step (${#METRICS_URLS[@]} node(s))"
        echo
        echo "## Steps"
        echo
        step_table "$dir/results.csv"
        echo
        peak_lines "$dir/results.csv"
        echo
        echo "![throughput](throughput.svg)"
        echo
        echo "![latency](latency.svg)"
        echo
        reading_notes
    } >"$dir/report.md"
}

reading_notes() {
    cat <<'EOF'
## How to read it

- wrk is a closed loop: each connection sends its next request when the
  previous answer is in. More connections raise throughput until the server
  (or the machine) saturates; after that they only add queueing, so latency
  grows with connections while req/s stays flat or falls.
- "~80% of peak" is the lowest step whose req/s reaches 80% of the peak: the
  load a deployment should plan for, with its latency and errors.
- non-2xx: answers other than 2xx, by status (409 out of stock, 503
  overloaded or owner unavailable, 502/504 from nginx, ...); socket errors:
  connect, read, write errors and timeouts seen by wrk.
- batch mean: sales and returns per store commit (group commit) during the
  step; cache hits: hits / (hits + misses) over the stock views, reports and
  dashboard; CPU s: the target nodes' CPU time during the step (% of one
  core); RSS: the nodes' resident memory after the step (summed over nodes);
  nodes: nodes whose /metrics answered before and after the step.
- The machine runs the load generator and everything else too: compare runs
  made on the same machine, at the same load average.
EOF
}

# --- failover report ------------------------------------------------------------------
write_failover() { # DIR
    local dir=$1 wrk_out
    wrk_out=$(ls "$dir"/raw/c*.txt)
    grep '^LOADTEST_SECOND' "$wrk_out" | sed 's/^LOADTEST_SECOND t=\([0-9]*\) ok=\([0-9]*\) non2xx=\([0-9]*\)/\1,\2,\3/' \
        >"$WORK/seconds.csv"
    python3 - "$WORK/seconds.csv" "$dir/timeline.csv" "${KILLED_AT:-none}" "$wrk_out" "$WRK_STARTED" "$FAILOVER" >"$WORK/failover.md" <<'PY'
import sys
seconds_csv, timeline_csv, killed, wrk_out, started_ms, asked = sys.argv[1:7]
rows = [tuple(int(x) for x in line.split(",")) for line in open(seconds_csv) if line.strip()]
result = next(l for l in open(wrk_out) if l.startswith("LOADTEST_RESULT"))
fields = dict(kv.split("=", 1) for kv in result.split()[1:])
t0 = rows[0][0] if rows else 0
with open(timeline_csv, "w") as out:
    out.write("second,ok,non2xx\n")
    for t, ok, bad in rows:
        out.write(f"{t - t0},{ok},{bad}\n")
print("## Failover\n")
if killed == "none" or not rows:
    print("No node was killed (see the progress messages).")
    sys.exit(0)
k = float(killed)
ks = int(k)
# Whole seconds only: the first and last buckets are partial.
full = rows[1:-1]
before = [ok for t, ok, _ in full if t < ks]
avg = sum(before) / len(before) if before else 0.0
after = [(t, ok, bad) for t, ok, bad in full if t > ks]
recovered = None
for i, (t, ok, _) in enumerate(after):
    nxt = after[i + 1][1] if i + 1 < len(after) else ok
    if ok >= 0.9 * avg and nxt >= 0.9 * avg:
        recovered = t
        break
low = min((ok for _, ok, _ in after), default=0)
errs_after = sum(bad for t, _, bad in rows if t >= ks)
print(f"- Killed {k - int(started_ms) / 1000:.1f} s after wrk started (asked: {asked} s); "
      f"second {ks - t0} of the table below (seconds are counted from the whole second wrk started in).")
print(f"- Throughput before the kill: {avg:.0f} 2xx/s on average over {len(before)} whole seconds.")
print(f"- Lowest whole second after the kill: {low} 2xx/s ({100 * low / avg if avg else 0:.0f}% of before).")
if recovered is None:
    print("- **Not back to 90% of the pre-kill average within the step.**")
else:
    print(f"- **Back to >= 90% of the pre-kill average {recovered - k:.1f} s after the kill** "
          f"(the first whole second at or above it, and the next one too; 1 s resolution).")
last_bad = max((t for t, _, bad in rows if t >= ks and bad > 0), default=None)
if last_bad is None:
    print("- No non-2xx answer from the kill on.")
else:
    print(f"- Last non-2xx answer in second {last_bad - t0}, {last_bad + 1 - k:.1f} s after the kill at most.")
print(f"- Errors clients saw: non-2xx by status `{fields.get('statuses', '-')}` "
      f"({fields.get('non2xx', '0')} in all, {errs_after} from the kill's second on); socket errors "
      f"{fields.get('socket_errors', '0')} (connect {fields.get('connect_errors')}, read {fields.get('read_errors')}, "
      f"write {fields.get('write_errors')}, timeouts {fields.get('timeouts')}).")
print("\n![per second](timeline.svg)\n")
print("| second | 2xx | non-2xx |\n|---:|---:|---:|")
for t, ok, bad in rows:
    mark = " (kill)" if t == ks else ""
    print(f"| {t - t0}{mark} | {ok} | {bad} |")
PY
    local kill_x
    kill_x=$(awk -v k="${KILLED_AT:-0}" -v t0="$(head -n 1 "$WORK/seconds.csv" | cut -d, -f1)" 'BEGIN { printf "%.2f", k - t0 }')
    gnuplot 2>>"$WORK/gnuplot.log" <<EOF || { cat "$WORK/gnuplot.log" >&2; die "gnuplot failed"; }
set terminal svg size 820,480 dynamic noenhanced font 'sans,11' background '#ffffff'
set datafile separator ','
set output '$dir/timeline.svg'
set title 'failover: answers per second (kill at $kill_x s)'
set xlabel 'seconds since the step started (whole seconds; first and last partial)'
set ylabel 'answers/s'
set grid
set key top right
set yrange [0:*]
$(if [[ "${KILLED_AT:-none}" != none ]]; then echo "set arrow from $kill_x, graph 0 to $kill_x, graph 1 nohead lc rgb 'red' dt 2"; fi)
plot '$dir/timeline.csv' skip 1 using 1:2 with linespoints lw 2 pt 7 title '2xx', \
     '$dir/timeline.csv' skip 1 using 1:3 with linespoints lw 2 pt 6 title 'non-2xx'
EOF
    {
        echo
        echo "- Killed: ${KILLED_NODE:-none}; store owners (node:stores) just before: ${OWNERS_BEFORE:-unknown}"
        cat "$WORK/failover.md"
    } >>"$dir/report.md"
}

# --- main ------------------------------------------------------------------------------
if (( ${#COMPARE[@]} > 0 )); then
    specs=()
    i=0
    for setup in "${COMPARE[@]}"; do
        i=$(( i + 1 ))
        nodes=${setup%%:*}
        strategy=round_robin
        [[ "$setup" == *:* ]] && strategy=${setup#*:}
        label="$nodes-$strategy"
        say "setup $i/${#COMPARE[@]}: $nodes node(s), nginx $strategy"
        start_cluster "$nodes" "$strategy"
        run_steps "$label" "$OUT/$label"
        write_report "$OUT/$label" "$label"
        plot_setups "$OUT/$label" "$SCENARIO, $label" "$label=$OUT/$label/results.csv"
        stop_target
        specs+=("$label=$OUT/$label/results.csv")
    done
    {
        echo "$CSV_HEADER"
        for spec in "${specs[@]}"; do tail -n +2 "${spec#*=}"; done
    } >"$OUT/results.csv"
    plot_setups "$OUT" "$SCENARIO: load-balancing study" "${specs[@]}"
    {
        echo "# Load-balancing study: $SCENARIO"
        echo
        machine_facts
        echo "- Setups: each is a fresh local cluster (deploy/cluster/run.sh) of N nodes on a fresh generated PostgreSQL database, nginx in front with the strategy; \"1\" is one node through nginx too"
        echo
        echo "## Peaks"
        echo
        for spec in "${specs[@]}"; do
            echo "### ${spec%%=*} ([report](${spec%%=*}/report.md))"
            echo
            peak_lines "${spec#*=}"
            echo
        done
        echo "## req/s by connections"
        echo
        python3 - "${specs[@]}" <<'PY'
import sys
setups = [(s.split("=", 1)[0], s.split("=", 1)[1]) for s in sys.argv[1:]]
data = {}
steps = []
for label, path in setups:
    for line in list(open(path))[1:]:
        f = line.rstrip("\n").split(",")
        c = int(f[1])
        if c not in steps:
            steps.append(c)
        data[(label, c)] = f
for title, col, fmt in (("req/s", 5, lambda v: f"{float(v):.0f}"), ("p99 ms", 8, lambda v: f"{int(v) / 1000:.2f}"),
                        ("non-2xx + socket errors", None, None)):
    print(f"### {title}\n")
    print("| connections | " + " | ".join(l for l, _ in setups) + " |")
    print("|---:|" + "---:|" * len(setups))
    for c in sorted(steps):
        cells = []
        for label, _ in setups:
            f = data.get((label, c))
            if f is None:
                cells.append("-")
            elif col is None:
                cells.append(str(int(f[10]) + int(f[11])))
            else:
                cells.append(fmt(f[col]))
        print(f"| {c} | " + " | ".join(cells) + " |")
    print()
PY
        echo "![throughput](throughput.svg)"
        echo
        echo "![latency](latency.svg)"
        echo
        reading_notes
        cat <<'EOF'
- ip_hash hashes the first three octets of an IPv4 client address: wrk on
  127.0.0.1 is one client, so every request goes to one node.
- weighted: deploy/cluster/run.sh gives node-1 weight 2 (twice the requests
  from nginx, twice the locations), the others 1, as for a machine twice the
  size; on one machine all of them share the same cores.
EOF
    } >"$OUT/report.md"
else
    if [[ -n "$URL" ]]; then
        use_url
        label=url
    elif (( CLUSTER > 0 )); then
        start_cluster "$CLUSTER" "$STRATEGY"
        label="$CLUSTER-$STRATEGY"
    else
        start_own_node
        label=node
    fi
    [[ -z "$FAILOVER" ]] || TIMELINE=1
    run_steps "$label" "$OUT"
    write_report "$OUT" "$label"
    plot_setups "$OUT" "$SCENARIO, $label" "$label=$OUT/results.csv"
    [[ -z "$FAILOVER" ]] || write_failover "$OUT"
    stop_target
fi

say "report: $OUT/report.md"
if (( KEEP )); then
    say "work directory kept: $WORK"
fi
