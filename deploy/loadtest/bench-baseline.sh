#!/usr/bin/env bash
# Stock-read baseline (issue 9, first target): Comptoir's cached
# GET /api/v1/stores/1/stock against Debian's nginx serving the same JSON body
# with `return 200`, same wrk command, on loopback only.
#
#   deploy/loadtest/bench-baseline.sh [options]
#
#   --duration S        each wrk run, seconds (default 30)
#   --connections N     wrk connections (default 64; wrk runs one thread, -t1)
#   --runs N            Comptoir/nginx pairs, alternating (default 3)
#   --warmup S          a warm-up wrk run against each before the runs (default 2; 0: none)
#   --access-log on|off the node's [log] access (default on, as shipped)
#   --io-threads N      the node's [http] io_threads (default: as shipped, 1)
#   --perf S            after the runs, one more Comptoir run during which
#                       `perf record -F 999 -g -p PID -- sleep S` samples the
#                       node; prints the head of `perf report --no-children`
#                       (default 0: no profile; not counted in the table)
#   --binary PATH       comptoir binary (default build/app/comptoir; copied to
#                       the temporary directory first)
#   --keep              keep the temporary directory (config, logs, body, wrk output)
#   -h, --help          this text
#
# Steps: `comptoir serve` on a free 127.0.0.1 port with the shipped defaults
# (SQLite database in the temporary directory, filled with the demo chain,
# demo tokens, access log on, log level info, its output to a file); one
# GET /api/v1/stores/1/stock (token demo-clerk-1), the body saved; Debian's
# nginx (/usr/sbin/nginx, $NGINX) as a normal process with its own config in
# the temporary directory (worker_processes auto, access_log off,
# keepalive_requests 100000) answering every request with that exact body
# (`return 200 '<body>'`, default_type application/json) on another free
# port; then, --runs times, `wrk -t1 -c64 -d30s --latency` with the same
# Authorization header against Comptoir, then against nginx. A table of req/s,
# p50 and p99 per run, the medians and the ratio; the target is Comptoir >= 50 %
# of nginx's req/s (ratio of the medians). Everything it starts is stopped by
# pid on exit, success or not. wrk, Comptoir and nginx share the machine.
set -euo pipefail

BENCH_NAME=bench-baseline
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

NGINX=${NGINX:-/usr/sbin/nginx}
DURATION=30
CONNECTIONS=64
RUNS=3
WARMUP=2
ACCESS_LOG=on
IO_THREADS=
PERF_S=0
BINARY=$REPO_ROOT/build/app/comptoir
KEEP=0
TOKEN=demo-clerk-1
STOCK_PATH=/api/v1/stores/1/stock

usage() { sed -n '2,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while (( $# > 0 )); do
    opt=$1
    case "$opt" in
        -h|--help) usage; exit 0 ;;
        --keep) KEEP=1; shift; continue ;;
    esac
    (( $# >= 2 )) || die "$opt needs a value (--help)"
    val=$2
    case "$opt" in
        --duration) val=${val%s}; positive "$opt" "$val"; DURATION=$val ;;
        --connections) positive "$opt" "$val"; CONNECTIONS=$val ;;
        --runs) positive "$opt" "$val"; RUNS=$val ;;
        --warmup) val=${val%s}; positive "$opt" "$val" 0; WARMUP=$val ;;
        --access-log) [[ "$val" =~ ^(on|off)$ ]] || die "--access-log: on or off, got '$val'"; ACCESS_LOG=$val ;;
        --io-threads) positive "$opt" "$val"; IO_THREADS=$val ;;
        --perf) val=${val%s}; positive "$opt" "$val" 0; PERF_S=$val ;;
        --binary) BINARY=$val ;;
        *) usage >&2; exit 2 ;;
    esac
    shift 2
done

# --- tools -------------------------------------------------------------------
check_tools "$BINARY"
[[ -x "$NGINX" ]] || die "no nginx at $NGINX (apt-get install nginx-light)"
if (( PERF_S > 0 )); then
    command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
fi

# --- cleanup -----------------------------------------------------------------
bench_workdir comptoir-bench-baseline "comptoir.toml, serve.log, stock.json, nginx/, wrk-*.txt, perf.data"
NGINX_PID=""
PERF_PID=""
cleanup_more() {
    stop_pid "$PERF_PID" 10
    stop_pid "$NGINX_PID" 10
}

private_binary "$BINARY"

# --- Comptoir ------------------------------------------------------------------
PORT=$(free_port)
{
    echo "# Written by deploy/loadtest/bench-baseline.sh: the shipped defaults, but"
    echo "# its own port and database, and demo mode (off unless a file turns it on)."
    echo "[http]"
    echo "port = $PORT"
    [[ -n $IO_THREADS ]] && echo "io_threads = $IO_THREADS"
    echo
    echo "[database]"
    echo "url = \"sqlite://$WORK/comptoir.db\""
    echo
    echo "[demo]"
    echo "enabled = true"
    if [[ $ACCESS_LOG == off ]]; then
        echo
        echo "[log]"
        echo "access = false"
    fi
} >"$WORK/comptoir.toml"
C_BASE=http://127.0.0.1:$PORT
say "comptoir serve on $C_BASE (demo chain on SQLite, access log $ACCESS_LOG)"
start_server "$COMPTOIR" "$WORK/comptoir.toml" "$WORK/serve.log" "$C_BASE" 60 10

AUTH="Authorization: Bearer $TOKEN"
code=$(curl -s -o "$WORK/stock.json" -D "$WORK/comptoir-headers.txt" -w '%{http_code}' -H "$AUTH" "$C_BASE$STOCK_PATH" || true)
[[ "$code" == 200 ]] || die "GET $STOCK_PATH answered '$code', not 200"
BODY_BYTES=$(wc -c <"$WORK/stock.json")
C_HEADER_BYTES=$(wc -c <"$WORK/comptoir-headers.txt")
# The body goes into nginx.conf as a single-quoted string: nginx would expand
# a $ there, and a quote or backslash would need escaping.
if grep -q "[\$'\\\\]" "$WORK/stock.json" || [[ $(wc -l <"$WORK/stock.json") -gt 1 ]]; then
    die "the stock body holds a \$, a quote, a backslash or a newline: cannot be put into nginx.conf as is"
fi
say "stock of store 1: $BODY_BYTES bytes of JSON"

# --- nginx ---------------------------------------------------------------------
NGINX_PORT=$(free_port)
NGINX_DIR=$WORK/nginx
mkdir -p "$NGINX_DIR/tmp"
{
    cat <<EOF
# Written by deploy/loadtest/bench-baseline.sh: a fixed JSON body, the
# stock of store 1 as Comptoir served it.
daemon off;
worker_processes auto;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log notice;

events {
    worker_connections 1024;
}

http {
    default_type application/json;
    server_tokens off;
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path $NGINX_DIR/tmp/client_body;
    proxy_temp_path $NGINX_DIR/tmp/proxy;
    fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
    scgi_temp_path $NGINX_DIR/tmp/scgi;

    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
EOF
    printf "            return 200 '%s';\n" "$(cat "$WORK/stock.json")"
    cat <<EOF
        }
    }
}
EOF
} >"$NGINX_DIR/nginx.conf"
NGINX_RUN=("$NGINX" -p "$NGINX_DIR/" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf")
"${NGINX_RUN[@]}" -t -q 2>"$NGINX_DIR/test.log" || { cat "$NGINX_DIR/test.log" >&2; die "nginx -t rejects $NGINX_DIR/nginx.conf"; }
# daemon off: nginx's master is our child, stopped by its pid.
"${NGINX_RUN[@]}" >"$NGINX_DIR/stdout.log" 2>&1 &
NGINX_PID=$!
N_BASE=http://127.0.0.1:$NGINX_PORT
for (( i = 0; ; i++ )); do
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$NGINX_DIR/error.log" >&2; die "nginx exited"; }
    code=$(curl -s -o "$WORK/nginx-body.json" -D "$WORK/nginx-headers.txt" -w '%{http_code}' -H "$AUTH" "$N_BASE$STOCK_PATH" || true)
    [[ "$code" == 200 ]] && break
    (( i < 100 )) || die "nginx did not answer 200 on $N_BASE within 10 s"
    sleep 0.1
done
cmp -s "$WORK/stock.json" "$WORK/nginx-body.json" || die "nginx's body differs from Comptoir's"
N_HEADER_BYTES=$(wc -c <"$WORK/nginx-headers.txt")
say "nginx $("$NGINX" -v 2>&1 | sed 's/^.*version: //') on $N_BASE (pid $NGINX_PID, $(grep -c '' <(pgrep -P "$NGINX_PID" || true)) workers): same body"

# --- runs ----------------------------------------------------------------------
# wrk_stats FILE: "rps p50_ms p99_ms non2xx socket_errors" from wrk --latency output.
wrk_stats() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
            if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
            if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
            return v + 0
        }
        /^Requests\/sec:/ { rps = $2 }
        /^ +50% / { p50 = ms($2) }
        /^ +99% / { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { gsub(/,/, ""); sock = $4 + $6 + $8 + $10 }
        END { printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, bad, sock }' "$1"
}

# run_wrk NAME URL SECONDS: wrk -t1 in the background (WRK_PID, stopped by the
# cleanup), its output in $WORK/wrk-NAME.txt.
run_wrk() {
    wrk -t1 -c"$CONNECTIONS" -d"$3"s --latency -H "$AUTH" "$2$STOCK_PATH" >"$WORK/wrk-$1.txt" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || { cat "$WORK/wrk-$1.txt" >&2; die "wrk failed"; }
    WRK_PID=""
    grep -q '^Requests/sec:' "$WORK/wrk-$1.txt" || { cat "$WORK/wrk-$1.txt" >&2; die "wrk printed no Requests/sec"; }
}

if (( WARMUP > 0 )); then
    say "warm-up: ${WARMUP}s against each"
    run_wrk warmup-comptoir "$C_BASE" "$WARMUP"
    run_wrk warmup-nginx "$N_BASE" "$WARMUP"
fi

ROWS=()
C_RPS=(); N_RPS=(); C_P50=(); C_P99=(); N_P50=(); N_P99=(); RATIOS=()
BAD_TOTAL=0
for (( r = 1; r <= RUNS; r++ )); do
    load_c=$(load_avg)
    say "run $r/$RUNS: Comptoir (load $load_c)"
    cpu0=$(cpu_of "$SERVER_PID")
    run_wrk "comptoir-$r" "$C_BASE" "$DURATION"
    cpu1=$(cpu_of "$SERVER_PID")
    read -r c_rps c_p50 c_p99 c_bad c_sock < <(wrk_stats "$WORK/wrk-comptoir-$r.txt")
    c_cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v s="$DURATION" 'BEGIN { printf "%.0f", 100 * (b - a) / s }')
    load_n=$(load_avg)
    say "run $r/$RUNS: nginx (load $load_n)"
    run_wrk "nginx-$r" "$N_BASE" "$DURATION"
    read -r n_rps n_p50 n_p99 n_bad n_sock < <(wrk_stats "$WORK/wrk-nginx-$r.txt")
    ratio=$(awk -v a="$c_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    say "run $r/$RUNS: Comptoir $c_rps req/s (p50 $c_p50 ms, p99 $c_p99 ms), nginx $n_rps req/s (p50 $n_p50 ms, p99 $n_p99 ms): ratio $ratio"
    BAD_TOTAL=$(( BAD_TOTAL + c_bad + c_sock + n_bad + n_sock ))
    C_RPS+=("$c_rps"); C_P50+=("$c_p50"); C_P99+=("$c_p99")
    N_RPS+=("$n_rps"); N_P50+=("$n_p50"); N_P99+=("$n_p99"); RATIOS+=("$ratio")
    ROWS+=("$(printf '| %s | %s | %s / %s ms | %s%% | %s | %s | %s / %s ms | %s | %s | %s |' \
        "$r" "$c_rps" "$c_p50" "$c_p99" "$c_cpu" "$((c_bad + c_sock))" "$n_rps" "$n_p50" "$n_p99" "$((n_bad + n_sock))" \
        "$ratio" "$load_c / $load_n")")
done

# median VALUES...: the middle value (the mean of the two middle ones for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
MC_RPS=$(median "${C_RPS[@]}"); MN_RPS=$(median "${N_RPS[@]}")
MRATIO=$(awk -v a="$MC_RPS" -v b="$MN_RPS" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
HELD=0
for ratio in "${RATIOS[@]}"; do
    awk -v x="$ratio" 'BEGIN { exit !(x >= 0.5) }' && HELD=$(( HELD + 1 ))
done
if awk -v x="$MRATIO" 'BEGIN { exit !(x >= 0.5) }'; then
    VERDICT="MET: Comptoir reaches $(awk -v x="$MRATIO" 'BEGIN { printf "%.0f", 100 * x }') % of nginx's req/s (target >= 50 %; held in $HELD of $RUNS runs)"
else
    NEED=$(awk -v a="$MC_RPS" -v b="$MN_RPS" 'BEGIN { printf "%.0f", b / 2 }')
    VERDICT="MISSED: Comptoir reaches $(awk -v x="$MRATIO" 'BEGIN { printf "%.0f", 100 * x }') % of nginx's req/s (target >= 50 %, i.e. $NEED req/s: $(awk -v a="$MC_RPS" -v n="$NEED" 'BEGIN { printf "%.0f", n - a }') req/s or $(awk -v a="$MC_RPS" -v n="$NEED" 'BEGIN { printf "%.0f", 100 * (n / a - 1) }') % short; held in $HELD of $RUNS runs)"
fi

# --- profile -------------------------------------------------------------------
PERF_TOP=""
if (( PERF_S > 0 )); then
    say "profile: one more Comptoir run, perf record -F 999 -g -p $SERVER_PID -- sleep $PERF_S"
    wrk -t1 -c"$CONNECTIONS" -d"$(( PERF_S + 4 ))"s --latency -H "$AUTH" "$C_BASE$STOCK_PATH" >"$WORK/wrk-perf.txt" 2>&1 &
    WRK_PID=$!
    sleep 2
    perf record -F 999 -g -p "$SERVER_PID" -o "$WORK/perf.data" -- sleep "$PERF_S" >"$WORK/perf-record.log" 2>&1 &
    PERF_PID=$!
    wait "$PERF_PID" || { cat "$WORK/perf-record.log" >&2; die "perf record failed"; }
    PERF_PID=""
    wait "$WRK_PID" || true
    WRK_PID=""
    perf report -i "$WORK/perf.data" --stdio --no-children 2>/dev/null >"$WORK/perf-report.txt" || true
    # perf_sorted KEY LINES: the head of a flat report sorted by KEY, trailing padding cut.
    perf_sorted() {
        perf report -i "$WORK/perf.data" --stdio --no-children --sort "$1" -g none 2>/dev/null \
            | grep -v -e '^#' -e '^$' | sed -e 's/[[:space:]]*$//' -e 's/[[:space:]]*-[[:space:]]*-$//' | head -n "$2" || true
    }
    perf_sorted comm,pid 12 >"$WORK/perf-threads.txt"
    perf_sorted dso 12 >"$WORK/perf-dso.txt"
    perf_sorted symbol 40 >"$WORK/perf-symbols.txt"
    PERF_TOP=$(head -n 60 "$WORK/perf-report.txt" | sed 's/[[:space:]]*$//')
fi

# --- summary -------------------------------------------------------------------
cat <<EOF

==== Stock-read baseline: Comptoir against nginx ====
machine      $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); wrk, Comptoir and nginx share them
request      GET $STOCK_PATH, $AUTH
             body $BODY_BYTES bytes; headers: Comptoir $C_HEADER_BYTES bytes, nginx $N_HEADER_BYTES bytes
comptoir     $("$COMPTOIR" --version 2>/dev/null | head -n 1), shipped defaults$([[ -n $IO_THREADS ]] && echo " but io_threads $IO_THREADS"), SQLite demo chain, access log $ACCESS_LOG$([[ $ACCESS_LOG == on ]] && echo " (to a file)")
nginx        $("$NGINX" -v 2>&1 | sed 's/^.*version: //'), worker_processes auto ($(grep -c '' <(pgrep -P "$NGINX_PID" || true)) workers), access_log off, keepalive_requests 100000, return 200
wrk          wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency -H '$AUTH', $RUNS pairs alternating$( (( WARMUP > 0 )) && echo ", after a ${WARMUP}s warm-up each")

| run | Comptoir req/s | p50 / p99 | Comptoir CPU | errors | nginx req/s | p50 / p99 | errors | ratio | load (1/5/15 min) Comptoir / nginx |
|---|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")
| **median** | **$MC_RPS** | $(median "${C_P50[@]}") / $(median "${C_P99[@]}") ms | | | **$MN_RPS** | $(median "${N_P50[@]}") / $(median "${N_P99[@]}") ms | | **$MRATIO** | |

errors: non-2xx responses plus socket errors (wrk). CPU: 100 % = one core.
target       Comptoir >= 50 % of nginx's req/s: $VERDICT
EOF
(( BAD_TOTAL == 0 )) || echo "WARNING      $BAD_TOTAL non-2xx responses or socket errors (see the errors columns)"
if [[ -n "$PERF_TOP" ]]; then
    cat <<EOF

profile      perf record -F 999 -g -p <comptoir> -- sleep $PERF_S during a wrk run like the above
             ($(sed -n 's/^Requests\/sec:[[:space:]]*//p' "$WORK/wrk-perf.txt") req/s while sampled)

by thread (perf report --no-children --sort comm,pid -g none):
$(cat "$WORK/perf-threads.txt")

by object (--sort dso -g none):
$(cat "$WORK/perf-dso.txt")

top symbols (--sort symbol -g none):
$(cat "$WORK/perf-symbols.txt")

perf report --stdio --no-children | head -60:
$PERF_TOP
EOF
fi
