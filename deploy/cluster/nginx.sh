#!/usr/bin/env bash
# An nginx in front of the nodes of a Comptoir cluster, run as a normal user
# from a directory of its own (Debian package nginx-light, /usr/sbin/nginx).
#
#   deploy/cluster/nginx.sh render DIR --listen ADDR:PORT [--strategy S] NODE[=WEIGHT]...
#       write DIR/nginx.conf: upstream `comptoir` of the NODEs (host:port of
#       their HTTP listeners), nginx listening on ADDR:PORT. S is round_robin
#       (default), least_conn, ip_hash or weighted (round robin, weight=WEIGHT
#       written for every node, default 1); a =WEIGHT is honoured by every
#       strategy. Runnable with `nginx -p DIR -c DIR/nginx.conf`.
#   deploy/cluster/nginx.sh start DIR   check DIR/nginx.conf (nginx -t), start
#       nginx on it, wait until it answers; its pid is in DIR/nginx.pid
#   deploy/cluster/nginx.sh stop DIR    stop that nginx by its pid
#   deploy/cluster/nginx.sh --help      this text
#
# Everything nginx writes stays in DIR: nginx.pid, error.log, access.log (one
# JSON line per request with the node that answered, its status and timings,
# a list when nginx retried), tmp/. The proxy rules are those of
# deploy/cluster/nginx-site.conf (see docs/cluster.md): passive health checks
# (max_fails=3 fail_timeout=5s), keep-alive connections to the nodes, and a
# retry on the next node (error, timeout, 502, 504) for GET, HEAD and
# OPTIONS, and for POST and PATCH only when they carry an Idempotency-Key; an
# unkeyed POST or PATCH is never sent twice. X-Request-Id is passed on (nginx
# makes one when the client sent none).
#
# Environment: NGINX (the binary, default /usr/sbin/nginx).
set -euo pipefail

REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
NGINX=${NGINX:-/usr/sbin/nginx}

die() { printf 'nginx.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'nginx.sh: %s\n' "$*" >&2; }
usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# shellcheck source=SCRIPTDIR/../lib/processes.sh
source "$REPO_ROOT/deploy/lib/processes.sh"

# host:port with an IPv4 address, a host name or a [IPv6] address.
ENDPOINT_RE='^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})$'

check_endpoint() {
    local what=$1 value=$2
    [[ "$value" =~ $ENDPOINT_RE ]] || die "$what must be HOST:PORT (IPv6: [ADDR]:PORT), got '$value'"
    local port=${BASH_REMATCH[3]}
    (( 10#$port >= 1 && 10#$port <= 65535 )) || die "$what: port $port is not in 1..65535"
}

# Absolute path of DIR, created if missing.
dir_of() {
    mkdir -p -- "$1"
    (cd -- "$1" && pwd -P)
}

# --- render ------------------------------------------------------------------
render() {
    (( $# > 0 )) || die "render needs DIR"
    local dir=$1 listen="" strategy=round_robin
    shift
    local -a nodes=()
    while (( $# > 0 )); do
        case "$1" in
            --listen) [[ $# -ge 2 ]] || die "--listen needs ADDR:PORT"; listen=$2; shift 2 ;;
            --strategy) [[ $# -ge 2 ]] || die "--strategy needs a value"; strategy=$2; shift 2 ;;
            -*) die "unknown option '$1'" ;;
            *) nodes+=("$1"); shift ;;
        esac
    done
    [[ -n "$listen" ]] || die "render needs --listen ADDR:PORT"
    check_endpoint --listen "$listen"
    (( ${#nodes[@]} > 0 )) || die "render needs at least one NODE (host:port)"
    local balance
    case "$strategy" in
        round_robin|weighted) balance="# round robin (nginx's default)" ;;
        least_conn) balance="least_conn;" ;;
        ip_hash) balance="ip_hash;     # IPv4: the first 3 octets are hashed (all of 127.0.0.x -> one node)" ;;
        *) die "--strategy must be round_robin, least_conn, ip_hash or weighted, got '$strategy'" ;;
    esac

    local servers="" node address weight seen=" "
    for node in "${nodes[@]}"; do
        address=${node%%=*}
        weight=""
        [[ "$node" == *=* ]] && weight=${node#*=}
        check_endpoint NODE "$address"
        [[ "$seen" != *" $address "* ]] || die "node $address is given twice"
        seen+="$address "
        if [[ -n "$weight" ]]; then
            if ! [[ "$weight" =~ ^[0-9]{1,3}$ ]] || (( 10#$weight < 1 || 10#$weight > 100 )); then
                die "weight of $address must be an integer from 1 to 100, got '$weight'"
            fi
            weight=$(( 10#$weight ))
        elif [[ "$strategy" == weighted ]]; then
            weight=1
        fi
        servers+="        server $address${weight:+ weight=$weight} max_fails=3 fail_timeout=5s;"$'\n'
    done

    dir=$(dir_of "$dir")
    mkdir -p "$dir/tmp"
    local conf=$dir/nginx.conf
    cat >"$conf.new" <<EOF
# nginx in front of a Comptoir cluster: written by deploy/cluster/nginx.sh
# render (strategy $strategy). Run: deploy/cluster/nginx.sh start $dir
# or: nginx -p $dir/ -e $dir/error.log -c $conf
# The proxy rules are those of deploy/cluster/nginx-site.conf (docs/cluster.md).
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log notice;

events {
    worker_connections 1024;
}

http {
    default_type application/octet-stream;
    server_tokens off;
    client_body_temp_path $dir/tmp/client_body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;

    upstream comptoir {
        $balance
$servers        keepalive 16;               # idle keep-alive connections to the nodes, per worker
    }

    # POST or PATCH without an Idempotency-Key: never resent once sent.
    map "\$request_method:\$http_idempotency_key" \$comptoir_unsafe_retry {
        "~^(POST|PATCH):\$" 1;
        default 0;
    }
    # The client's X-Request-Id, else one made here: nginx's access log and
    # the node's carry the same id.
    map \$http_x_request_id \$comptoir_request_id {
        "" \$request_id;
        default \$http_x_request_id;
    }

    # One JSON line per request; upstream_* list every node tried, in order.
    log_format comptoir_upstream escape=json '{"time":"\$time_iso8601","client":"\$remote_addr",'
        '"method":"\$request_method","uri":"\$request_uri","status":\$status,'
        '"bytes":\$body_bytes_sent,"request_id":"\$comptoir_request_id",'
        '"upstream":"\$upstream_addr","upstream_status":"\$upstream_status",'
        '"upstream_connect_s":"\$upstream_connect_time","upstream_response_s":"\$upstream_response_time",'
        '"request_s":\$request_time}';
    access_log $dir/access.log comptoir_upstream;

    server {
        listen $listen;
        client_max_body_size 1m;             # the node's http.body_limit_bytes

        proxy_http_version 1.1;              # keep-alive to the nodes
        proxy_set_header Connection "";
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_set_header X-Request-Id \$comptoir_request_id;
        proxy_connect_timeout 1s;
        proxy_send_timeout 6s;
        proxy_read_timeout 6s;               # above the node's actors.request_timeout_ms (5 s)
        proxy_next_upstream_tries 3;
        proxy_next_upstream_timeout 10s;

        location / {
            error_page 418 = @comptoir_no_retry;
            if (\$comptoir_unsafe_retry) {
                return 418;
            }
            proxy_next_upstream error timeout http_502 http_504 non_idempotent;
            proxy_pass http://comptoir;
        }

        # Unkeyed POST/PATCH: to another node only if it was never sent
        # (connection refused, connect timeout).
        location @comptoir_no_retry {
            proxy_next_upstream error timeout;
            proxy_pass http://comptoir;
        }
    }
}
EOF
    mv -f "$conf.new" "$conf"
    say "wrote $conf (listen $listen, strategy $strategy, ${#nodes[@]} node(s))"
}

# --- start / stop ------------------------------------------------------------
# The pid of the nginx master of DIR, if it runs (a pid may be reused: its
# command line must name DIR/nginx.conf).
running_pid() {
    local dir=$1 pid cmdline
    [[ -f "$dir/nginx.pid" ]] || return 1
    pid=$(cat "$dir/nginx.pid" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [[ "$cmdline" == *nginx* && "$cmdline" == *"$dir/nginx.conf"* ]] || return 1
    echo "$pid"
}

# The first `listen` of DIR/nginx.conf as a URL base for probing.
probe_url() {
    local listen
    listen=$(awk '$1 == "listen" { sub(/;$/, "", $2); print $2; exit }' "$1/nginx.conf")
    [[ -n "$listen" ]] || die "no listen directive in $1/nginx.conf"
    listen=${listen/#0.0.0.0:/127.0.0.1:}
    listen=${listen/#\[::\]:/[::1]:}
    echo "http://$listen"
}

start() {
    (( $# == 1 )) || die "start needs DIR"
    [[ -f "$1/nginx.conf" ]] || die "no $1/nginx.conf: run nginx.sh render first"
    [[ -x "$NGINX" ]] || die "$NGINX not found: apt-get install nginx-light (deploy/dev.sh install)"
    command -v curl >/dev/null || die "curl not found"
    local dir pid url i code
    dir=$(dir_of "$1")
    if pid=$(running_pid "$dir"); then
        die "nginx already runs on $dir (pid $pid): stop it first"
    fi
    local -a run=("$NGINX" -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf")
    "${run[@]}" -t -q || die "nginx -t rejects $dir/nginx.conf (above)"
    rm -f "$dir/nginx.pid"
    "${run[@]}" || die "nginx did not start (log: $dir/error.log)"
    url=$(probe_url "$dir")
    # Any HTTP answer will do (a 502 when no node is up yet still is nginx).
    for (( i = 0; i < 100; i++ )); do
        if pid=$(running_pid "$dir"); then
            code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url/health/live" || true)
            [[ "$code" == 000 ]] || break
        fi
        sleep 0.1
    done
    if (( i == 100 )); then
        tail -n 20 "$dir/error.log" >&2 || true
        if pid=$(running_pid "$dir"); then
            stop_pid "$pid" 10
        fi
        die "nginx did not answer on $url within 10 s (log: $dir/error.log)"
    fi
    say "nginx runs (pid $pid) on $url, access log $dir/access.log"
}

stop() {
    (( $# == 1 )) || die "stop needs DIR"
    local dir pid
    if [[ ! -d "$1" ]] || ! pid=$(running_pid "$(cd -- "$1" && pwd -P)"); then
        say "no nginx runs on $1"
        return 0
    fi
    dir=$(cd -- "$1" && pwd -P)
    stop_pid "$pid" 10
    rm -f "$dir/nginx.pid"
    say "nginx (pid $pid) stopped"
}

cmd=${1:-}
(( $# == 0 )) || shift
case "$cmd" in
    render) render "$@" ;;
    start) start "$@" ;;
    stop) stop "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 64 ;;
esac
