#!/usr/bin/env bash
# A whole Comptoir cluster on this machine's loopback, for trying it out:
# a private PostgreSQL, N nodes, nginx in front of them, Prometheus scraping
# them. Nothing is installed or started system-wide.
#
#   deploy/cluster/run.sh start  [--dir DIR] [--nodes N] [--strategy S] [--build DIR]
#   deploy/cluster/run.sh status [--dir DIR]
#   deploy/cluster/run.sh stop   [--dir DIR]
#
#   --dir DIR       everything of this cluster (default var/cluster in the checkout)
#   --nodes N       1 to 5 nodes (default 3)
#   --strategy S    nginx's: round_robin (default), least_conn, ip_hash, weighted
#                   (weighted: node-1 counts double, as a machine twice the size
#                   would: nginx weight=2 and cluster.weight = 2, the others 1)
#                   (deploy/cluster/nginx.sh; ip_hash sends every loopback client
#                   to one node)
#   --build DIR     the build directory whose app/comptoir runs (default build/)
#
# start: PostgreSQL (tests/support/pg.sh) in DIR/postgres with a database
# `comptoir`; DIR/node-K.toml written in the shape of deploy/cluster/node-K.toml
# (free loopback ports, cluster ports below 32768, demo mode on: demo data and
# the demo tokens); node-1 started and waited for (GET /health/ready), then the
# others; nginx (DIR/nginx) on a free port; Prometheus (DIR/prometheus, through
# deploy/observability/run.sh) scraping every node. It prints the URLs and
# tokens. Node K logs to DIR/node-K.log, its pid is in DIR/node-K.pid.
# status: each process alive or not, each node's readiness, and which node
# owns which location (PostgreSQL: location_owners, cluster_nodes).
# stop: nginx, Prometheus, the nodes (SIGTERM, all at once), PostgreSQL last,
# each by its pid; PostgreSQL's data is deleted with it (the next start loads
# the demo chain again). The logs and configs stay in DIR.
set -euo pipefail

REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
PG_SH=$REPO_ROOT/tests/support/pg.sh
NGINX_SH=$REPO_ROOT/deploy/cluster/nginx.sh
PROMETHEUS_SH=$REPO_ROOT/deploy/observability/run.sh
TARGETS_SH=$REPO_ROOT/deploy/prometheus/targets.sh
READY_TIMEOUT=60          # seconds a node has to answer /health/ready with 200
NODE_STOP_TIMEOUT=20      # seconds a node has to stop after SIGTERM (drain: 4 s)

die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'run.sh: %s\n' "$*" >&2; }
usage() { sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# shellcheck source=SCRIPTDIR/../lib/processes.sh
source "$REPO_ROOT/deploy/lib/processes.sh"

cmd=${1:-}
(( $# == 0 )) || shift
DIR=$REPO_ROOT/var/cluster
NODES=3
STRATEGY=round_robin
BUILD=$REPO_ROOT/build
while (( $# > 0 )); do
    case "$1" in
        --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; DIR=$2; shift 2 ;;
        --nodes) [[ $# -ge 2 ]] || die "--nodes needs a value"; NODES=$2; shift 2 ;;
        --strategy) [[ $# -ge 2 ]] || die "--strategy needs a value"; STRATEGY=$2; shift 2 ;;
        --build) [[ $# -ge 2 ]] || die "--build needs a value"; BUILD=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 64 ;;
    esac
done
[[ "$NODES" =~ ^[1-5]$ ]] || die "--nodes must be 1 to 5, got '$NODES'"
case "$STRATEGY" in
    round_robin|least_conn|ip_hash|weighted) ;;
    *) die "--strategy must be round_robin, least_conn, ip_hash or weighted, got '$STRATEGY'" ;;
esac
[[ "$cmd" != start ]] || mkdir -p -- "$DIR"
if [[ -d "$DIR" ]]; then
    DIR=$(cd -- "$DIR" && pwd -P)
elif [[ "$DIR" != /* ]]; then
    DIR=$PWD/$DIR
fi
STATE=$DIR/cluster.state   # what start started: read by status and stop

# --- helpers -----------------------------------------------------------------
# A free loopback TCP port below 32768 (outside Linux's ephemeral range, as the
# cluster port should be), none of those given as arguments.
free_low_port() {
    python3 - "$@" <<'PY'
import random, socket, sys
taken = set(int(p) for p in sys.argv[1:])
for _ in range(200):
    port = random.randint(20000, 32767)
    if port in taken:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit("no free port below 32768")
PY
}

# A free loopback port (any), none of those given as arguments.
free_port_except() {
    local port i
    for (( i = 0; i < 20; i++ )); do
        port=$(free_port)
        [[ " $* " != *" $port "* ]] && { echo "$port"; return 0; }
    done
    die "no free port"
}

# The pid in FILE if that process runs and its command line has TEXT.
live_pid() {
    local file=$1 text=$2 pid cmdline
    [[ -f "$file" ]] || return 1
    pid=$(cat "$file" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [[ "$cmdline" == *"$text"* ]] || return 1
    echo "$pid"
}

node_pid() { live_pid "$DIR/node-$1.pid" "$DIR/node-$1.toml"; }

# PostgreSQL's postmaster pid (pg.sh keeps its cluster in DIR/postgres, or in
# the /tmp directory named in DIR/postgres/home).
postgres_pid() {
    local home=$DIR/postgres pid
    [[ -f "$home/home" ]] && home=$(cat "$home/home")
    [[ -f "$home/data/postmaster.pid" ]] || return 1
    pid=$(head -n 1 "$home/data/postmaster.pid")
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

http_code() {
    curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true
}

# --- start -------------------------------------------------------------------
# node_weight K: node K's weight, in nginx and in the cluster.
node_weight() {
    if [[ "$STRATEGY" == weighted && "$1" == 1 ]]; then echo 2; else echo 1; fi
}

write_node_config() {
    local k=$1 http_port=$2 cluster_port=$3 seeds=$4 url=$5
    cat >"$DIR/node-$k.toml" <<EOF
# Node $k of the local cluster: written by deploy/cluster/run.sh start, in the
# shape of deploy/cluster/node-$k.toml but on loopback and with demo mode ON
# (demo data and the demo tokens: never for a real store chain).

[http]
address = "127.0.0.1"
port = $http_port

[database]
url = "$url"

[cluster]
enabled = true
node_id = "node-$k"
address = "127.0.0.1"
port = $cluster_port
seeds = [$seeds]
weight = $(node_weight "$k")
heartbeat_interval_ms = 500
connection_timeout_ms = 2000
lease_ttl_ms = 3000

[log]
level = "info"
access = true

[demo]
enabled = true
EOF
}

start_node() {
    local k=$1
    (cd "$DIR" && exec "$BIN" serve --config "$DIR/node-$k.toml" >>"$DIR/node-$k.log" 2>&1) &
    echo $! >"$DIR/node-$k.pid"
    say "node-$k started (pid $!), log $DIR/node-$k.log"
}

# wait_ready K PORT: until node K answers /health/ready with 200.
wait_ready() {
    local k=$1 port=$2 i
    for (( i = 0; i < READY_TIMEOUT * 10; i++ )); do
        node_pid "$k" >/dev/null || {
            tail -n 20 "$DIR/node-$k.log" >&2
            die "node-$k exited (log above: $DIR/node-$k.log)"
        }
        [[ "$(http_code "http://127.0.0.1:$port/health/ready")" == 200 ]] && {
            say "node-$k ready on 127.0.0.1:$port"
            return 0
        }
        sleep 0.1
    done
    tail -n 20 "$DIR/node-$k.log" >&2
    die "node-$k not ready after ${READY_TIMEOUT} s (log above: $DIR/node-$k.log)"
}

start() {
    local bin=$BUILD/app/comptoir
    [[ "$bin" == /* ]] || bin=$PWD/$bin
    [[ -x "$bin" ]] || die "$bin not found: build it (deploy/dev.sh build, or --build DIR)"
    BIN=$bin
    command -v curl >/dev/null || die "curl not found"
    command -v psql >/dev/null || die "psql not found (package postgresql-client)"
    command -v prometheus >/dev/null || die "prometheus not found: deploy/dev.sh install"
    [[ -x "${NGINX:-/usr/sbin/nginx}" ]] || die "nginx not found: deploy/dev.sh install (nginx-light)"
    if [[ -f "$STATE" ]] && anything_runs; then
        die "a cluster still runs from $DIR: run.sh stop --dir $DIR first"
    fi
    rm -f "$STATE" "$DIR"/node-*.toml "$DIR"/node-*.pid   # of an earlier run (logs stay)

    # From here on, a failure stops whatever was started.
    trap 'say "start failed: stopping what was started"; stop >/dev/null 2>&1 || true' EXIT

    # PostgreSQL, and its database `comptoir` (pg.sh run creates it).
    "$PG_SH" start "$DIR/postgres"
    echo "POSTGRES=1" >>"$STATE"
    "$PG_SH" run "$DIR/postgres" comptoir true >/dev/null 2>&1 \
        || die "could not create the database comptoir in $DIR/postgres"
    local url
    url="$(cat "$DIR/postgres/url")comptoir"

    # Ports: HTTP anywhere free, cluster below 32768; all distinct.
    local -a http_ports=() cluster_ports=()
    local k
    local -a taken=() configs=()
    for (( k = 1; k <= NODES; k++ )); do
        http_ports[k]=$(free_port_except "${taken[@]}")
        taken+=("${http_ports[k]}")
        cluster_ports[k]=$(free_low_port "${taken[@]}")
        taken+=("${cluster_ports[k]}")
    done
    local j seeds
    for (( k = 1; k <= NODES; k++ )); do
        seeds=""
        for (( j = 1; j <= NODES; j++ )); do
            (( j == k )) || seeds+="${seeds:+, }\"127.0.0.1:${cluster_ports[j]}\""
        done
        write_node_config "$k" "${http_ports[k]}" "${cluster_ports[k]}" "$seeds" "$url"
        configs+=("$DIR/node-$k.toml")
        echo "NODE_$k=${http_ports[k]}" >>"$STATE"
    done
    echo "NODES=$NODES" >>"$STATE"
    echo "DATABASE_URL=$url" >>"$STATE"

    # Demo data goes into the empty database once: node-1 alone first.
    start_node 1
    wait_ready 1 "${http_ports[1]}"
    for (( k = 2; k <= NODES; k++ )); do
        start_node "$k"
    done
    for (( k = 2; k <= NODES; k++ )); do
        wait_ready "$k" "${http_ports[k]}"
    done

    # nginx in front.
    local nginx_port nodes=()
    nginx_port=$(free_port_except "${taken[@]}")
    taken+=("$nginx_port")
    for (( k = 1; k <= NODES; k++ )); do
        nodes+=("127.0.0.1:${http_ports[k]}=$(node_weight "$k")")
    done
    "$NGINX_SH" render "$DIR/nginx" --listen "127.0.0.1:$nginx_port" --strategy "$STRATEGY" "${nodes[@]}"
    echo "NGINX=$nginx_port" >>"$STATE"
    "$NGINX_SH" start "$DIR/nginx"

    # Prometheus: the kit's prometheus.yml, with this cluster's targets file
    # (its rules file by absolute path).
    local prom=$DIR/prometheus prom_port
    mkdir -p "$prom/targets"
    sed -e "s#^  - rules.yml\$#  - $REPO_ROOT/deploy/prometheus/rules.yml#" \
        "$REPO_ROOT/deploy/prometheus/prometheus.yml" >"$prom/prometheus.yml"
    grep -q "^  - $REPO_ROOT/deploy/prometheus/rules.yml\$" "$prom/prometheus.yml" \
        || die "deploy/prometheus/prometheus.yml changed shape: no '  - rules.yml' line"
    "$TARGETS_SH" "${configs[@]}" >"$prom/targets/comptoir.json"
    prom_port=$(free_port_except "${taken[@]}")
    echo "PROMETHEUS=$prom_port" >>"$STATE"
    "$PROMETHEUS_SH" start --dir "$prom" --port "$prom_port" --config "$prom/prometheus.yml" \
        --retention 2d

    trap - EXIT
    cat <<EOF

Comptoir cluster of $NODES node(s) runs from $DIR
  through nginx ($STRATEGY):  http://127.0.0.1:$nginx_port   (access log $DIR/nginx/access.log)
EOF
    for (( k = 1; k <= NODES; k++ )); do
        printf '  node-%s:  http://127.0.0.1:%s   cluster port %s   log %s\n' \
            "$k" "${http_ports[k]}" "${cluster_ports[k]}" "$DIR/node-$k.log"
    done
    cat <<EOF
  Prometheus:  http://127.0.0.1:$prom_port   (targets: $prom/targets/comptoir.json)
  PostgreSQL:  $url
  tokens (demo mode): demo-admin, demo-hq, demo-logistics, demo-clerk-1 ... demo-clerk-5

  curl -s -H 'Authorization: Bearer demo-admin' http://127.0.0.1:$nginx_port/api/v1/stores
  $0 status --dir $DIR
  $0 stop --dir $DIR
EOF
}

# --- status ------------------------------------------------------------------
state() {
    [[ -f "$STATE" ]] || return 0
    sed -n "s/^$1=//p" "$STATE" | tail -n 1
}

anything_runs() {
    local k
    postgres_pid >/dev/null && return 0
    live_pid "$DIR/nginx/nginx.pid" "$DIR/nginx/nginx.conf" >/dev/null && return 0
    live_pid "$DIR/prometheus/prometheus.pid" "$DIR/prometheus/data" >/dev/null && return 0
    for k in 1 2 3 4 5; do
        node_pid "$k" >/dev/null && return 0
    done
    return 1
}

alive() {
    if [[ -n "$1" ]]; then echo "alive (pid $1)"; else echo "NOT running"; fi
}

status() {
    [[ -f "$STATE" ]] || { echo "no cluster was started from $DIR"; return 3; }
    local k pid port url nodes code
    nodes=$(state NODES)
    pid=$(postgres_pid || true)
    printf '%-12s %s  %s\n' postgresql "$(alive "$pid")" "$(state DATABASE_URL)"
    for (( k = 1; k <= ${nodes:-0}; k++ )); do
        pid=$(node_pid "$k" || true)
        port=$(state "NODE_$k")
        code=$([[ -n "$pid" ]] && http_code "http://127.0.0.1:$port/health/ready" || echo -)
        printf '%-12s %s  http://127.0.0.1:%s  /health/ready %s\n' "node-$k" "$(alive "$pid")" "$port" "$code"
    done
    port=$(state NGINX)
    pid=$(live_pid "$DIR/nginx/nginx.pid" "$DIR/nginx/nginx.conf" || true)
    [[ -n "$port" ]] && printf '%-12s %s  http://127.0.0.1:%s\n' nginx "$(alive "$pid")" "$port"
    port=$(state PROMETHEUS)
    pid=$(live_pid "$DIR/prometheus/prometheus.pid" "$DIR/prometheus/data" || true)
    [[ -n "$port" ]] && printf '%-12s %s  http://127.0.0.1:%s\n' prometheus "$(alive "$pid")" "$port"

    url=$(state DATABASE_URL)
    if [[ -z "$url" ]] || ! postgres_pid >/dev/null; then
        return 0
    fi
    echo
    echo "Location owners (location_owners join cluster_nodes; dead = lease expired):"
    if ! PGCONNECT_TIMEOUT=3 psql -X -q -v ON_ERROR_STOP=1 "$url" -P footer=off -c "
        SELECT o.location_id AS location,
               coalesce(n.node_id, '-') AS node,
               o.epoch,
               CASE WHEN n.node_id IS NULL THEN 'no owner'
                    WHEN n.expires_at > clock_timestamp() THEN 'live'
                    ELSE 'dead' END AS lease,
               to_char(o.since, 'YYYY-MM-DD HH24:MI:SS') AS since
          FROM location_owners o
          LEFT JOIN cluster_nodes n ON n.incarnation = o.owner
         ORDER BY o.location_id" 2>&1; then
        echo "(no ownership tables: is the cluster code in this build?)"
    fi
}

# --- stop --------------------------------------------------------------------
stop() {
    local k pid
    if [[ -f "$DIR/nginx/nginx.conf" ]]; then
        "$NGINX_SH" stop "$DIR/nginx"
    fi
    if [[ -d "$DIR/prometheus" ]]; then
        "$PROMETHEUS_SH" stop --dir "$DIR/prometheus"
    fi
    # All nodes at once: stopped one by one, each would hand its locations to
    # the ones still running just before they stop too.
    local -a pids=()
    for k in 1 2 3 4 5; do
        if pid=$(node_pid "$k"); then
            say "stopping node-$k (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    for pid in "${pids[@]}"; do
        stop_pid "$pid" "$NODE_STOP_TIMEOUT"
    done
    (( ${#pids[@]} == 0 )) || say "nodes stopped"
    rm -f "$DIR"/node-*.pid
    if [[ -d "$DIR/postgres" ]]; then
        "$PG_SH" stop "$DIR/postgres"
    fi
    rm -f "$STATE"
}

case "$cmd" in
    start) start ;;
    status) status ;;
    stop) stop ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 64 ;;
esac
