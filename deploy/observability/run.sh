#!/usr/bin/env bash
# Runs a Prometheus (Debian package `prometheus`) on this checkout's
# deploy/prometheus/prometheus.yml: it scrapes the nodes of
# deploy/prometheus/targets/*.json and evaluates deploy/prometheus/rules.yml.
#
#   deploy/observability/run.sh start  [--port N] [--address A] [--dir DIR] [--retention T] [--config F]
#   deploy/observability/run.sh stop   [--dir DIR]
#   deploy/observability/run.sh reload [--dir DIR] [--config F]   re-read the config and rules (SIGHUP)
#   deploy/observability/run.sh status [--dir DIR]   running or not, and its targets' health
#
#   --port N       HTTP port of Prometheus (default 9090)
#   --address A    address it listens on (default 127.0.0.1)
#   --dir DIR      its directory: TSDB in DIR/data, DIR/prometheus.log,
#                  DIR/prometheus.pid, DIR/address (default var/prometheus in
#                  the checkout)
#   --retention T  how long samples are kept (default 15d)
#   --config F     another prometheus.yml (default deploy/prometheus/prometheus.yml;
#                  deploy/cluster/run.sh gives its own, scraping its nodes)
#
# start checks the config and rules with promtool, starts Prometheus in the
# background and waits until it is ready; stop ends it by the pid in
# DIR/prometheus.pid (only if that pid is a Prometheus using DIR). Which nodes
# are scraped: deploy/prometheus/targets.sh (Prometheus re-reads the targets
# file by itself). Grafana: deploy/grafana and the README, section Monitoring.
set -euo pipefail

REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
CONFIG=$REPO_ROOT/deploy/prometheus/prometheus.yml

die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'run.sh: %s\n' "$*" >&2; }
usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

cmd=${1:-}
(( $# == 0 )) || shift
PORT=9090
ADDRESS=127.0.0.1
DIR=$REPO_ROOT/var/prometheus
RETENTION=15d
while (( $# > 0 )); do
    case "$1" in
        --port) [[ $# -ge 2 ]] || die "--port needs a value"; PORT=$2; shift 2 ;;
        --address) [[ $# -ge 2 ]] || die "--address needs a value"; ADDRESS=$2; shift 2 ;;
        --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; DIR=$2; shift 2 ;;
        --retention) [[ $# -ge 2 ]] || die "--retention needs a value"; RETENTION=$2; shift 2 ;;
        --config) [[ $# -ge 2 ]] || die "--config needs a file"; CONFIG=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 64 ;;
    esac
done
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || (( PORT < 1 || PORT > 65535 )); then
    die "--port needs a port number, got '$PORT'"
fi
PID_FILE=$DIR/prometheus.pid
[[ -f "$CONFIG" ]] || die "no config file $CONFIG"
CONFIG=$(cd -- "$(dirname -- "$CONFIG")" && pwd -P)/$(basename -- "$CONFIG")

# The pid of the Prometheus this directory's pid file names, if it still runs
# and is a Prometheus on this directory (a pid may be reused).
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid cmdline
    pid=$(cat "$PID_FILE")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ "$cmdline" == *prometheus* && "$cmdline" == *"--storage.tsdb.path=$DIR/data"* ]] || return 1
    echo "$pid"
}

url() {
    local address
    address=$(cat "$DIR/address" 2>/dev/null || echo "$ADDRESS:$PORT")
    echo "http://${address/#0.0.0.0/127.0.0.1}"
}

start() {
    if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
        die "prometheus and promtool not found: apt-get install prometheus (deploy/dev.sh install)"
    fi
    command -v curl >/dev/null || die "curl not found"
    local pid
    if pid=$(running_pid); then
        die "Prometheus already runs on $DIR (pid $pid, $(url)): stop it first"
    fi
    promtool check config "$CONFIG" >/dev/null || { promtool check config "$CONFIG"; die "bad config"; }
    mkdir -p "$DIR/data"
    DIR=$(cd -- "$DIR" && pwd -P)
    PID_FILE=$DIR/prometheus.pid
    local listen=$ADDRESS:$PORT
    [[ "$ADDRESS" == *:* ]] && listen="[$ADDRESS]:$PORT"
    echo "$listen" >"$DIR/address"
    prometheus --config.file="$CONFIG" \
        --storage.tsdb.path="$DIR/data" \
        --storage.tsdb.retention.time="$RETENTION" \
        --web.listen-address="$listen" \
        >>"$DIR/prometheus.log" 2>&1 &
    pid=$!
    echo "$pid" >"$PID_FILE"
    local i
    for (( i = 0; i < 300; i++ )); do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$DIR/prometheus.log" >&2
            rm -f "$PID_FILE"
            die "Prometheus exited (log: $DIR/prometheus.log)"
        fi
        [[ "$(curl -s -o /dev/null -w '%{http_code}' "$(url)/-/ready" || true)" == 200 ]] && break
        sleep 0.1
    done
    (( i < 300 )) || { stop; die "Prometheus not ready after 30 s (log: $DIR/prometheus.log)"; }
    say "Prometheus runs (pid $pid) at $(url), data in $DIR/data, log $DIR/prometheus.log"
}

stop() {
    local pid i
    if ! pid=$(running_pid); then
        say "no Prometheus runs on $DIR"
        rm -f "$PID_FILE"
        return 0
    fi
    kill -TERM "$pid"
    for (( i = 0; i < 300; i++ )); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "pid $pid did not stop in 30 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    say "Prometheus (pid $pid) stopped"
}

reload() {
    local pid
    pid=$(running_pid) || die "no Prometheus runs on $DIR"
    promtool check config "$CONFIG" >/dev/null || { promtool check config "$CONFIG"; die "bad config: not reloaded"; }
    kill -HUP "$pid"
    say "Prometheus (pid $pid) reloads $CONFIG"
}

status() {
    local pid
    if ! pid=$(running_pid); then
        echo "no Prometheus runs on $DIR"
        return 3
    fi
    echo "Prometheus runs (pid $pid) at $(url), data in $DIR/data"
    curl -s "$(url)/api/v1/targets?state=active" | python3 -c '
import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    node, url, health = t["labels"].get("node", "?"), t["scrapeUrl"], t["health"]
    print(f"  {node:<20} {url:<40} {health}  " + t["lastError"])
' || true
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    reload) reload ;;
    status) status ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 64 ;;
esac
