#!/usr/bin/env bash
# End-to-end test of the monitoring kit: a real node scraped by a real
# Prometheus (CTest "observability_e2e", label "integration").
#
#   COMPTOIR_BINARY=build/app/comptoir tests/observability/e2e.sh
#
# 1. Starts a demo node (SQLite in a private temporary directory, a free
#    loopback port, metrics.flush_interval_ms = 200) and checks its /metrics:
#    `promtool check metrics` finds nothing, and every name of the catalogue
#    (docs/observability.md) is served with its type.
# 2. Starts Prometheus (Debian package) on a free loopback port with a private
#    TSDB, on a copy of deploy/prometheus/prometheus.yml whose intervals are
#    cut to 1 s (nothing else changed), the shipped rules.yml, and a targets
#    file written by deploy/prometheus/targets.sh from the node's config.
# 3. Drives traffic with curl: stock reads (several stores and tokens, 401,
#    404), sales with Idempotency-Key in every store and a replay, a 422, a
#    return, a sale of a product's last units (an out-of-stock alert), reports
#    and the dashboard twice (cache hits), an unmatched path. Counters must
#    match it exactly, read from /metrics before and after (waiting for the
#    flush): http_requests_total of the stock route per status, sales,
#    revenue, returns, refunds and open out-of-stock alerts per store.
# 4. Once Prometheus has scraped the final counts, queries every PromQL
#    expression of the dashboard (deploy/grafana/dashboards/comptoir.json,
#    with $node = .*, $__rate_interval = 1m, $__interval = 15s, $__range = 5m)
#    and of rules.yml as an instant query; each must succeed and return at
#    least one series with a finite value. Recording rules are queried as
#    written, and so are the series they record. An alerting rule returns
#    nothing on a healthy node (its threshold is not crossed), so for each one
#    its left-hand side (the expression without the final `<op> <number>`,
#    which rules.yml keeps last) is what must return data; the whole
#    expression is queried too, and reported. Every rule must evaluate
#    without error, the node selector of the dashboard must list the node, and
#    ComptoirStockOut must be pending or firing for the store sold out.
#
# Needs: prometheus and promtool (Debian package prometheus), curl, python3
# with PyYAML (python3-yaml). Everything started is stopped by pid on exit;
# COMPTOIR_E2E_KEEP=1 keeps the temporary directory (configs, logs, /metrics
# snapshots).
set -euo pipefail

NAME=observability_e2e
REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
BINARY=${COMPTOIR_BINARY:-${1:-}}
FLUSH_MS=200
KEEP=${COMPTOIR_E2E_KEEP:-0}

die() { printf '%s: FAILED: %s\n' "$NAME" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$NAME" "$*" >&2; }

PY=/usr/bin/python3
[[ -x "$PY" ]] || PY=python3
[[ -n "$BINARY" ]] || die "set COMPTOIR_BINARY to the comptoir binary (or pass it as argument)"
[[ -x "$BINARY" ]] || die "no comptoir binary at $BINARY"
for tool in prometheus promtool; do
    command -v "$tool" >/dev/null || die "$tool not found: apt-get install prometheus (deploy/dev.sh install)"
done
command -v curl >/dev/null || die "curl not found"
"$PY" -c 'import yaml' 2>/dev/null || die "$PY cannot import yaml: apt-get install python3-yaml"

# -- processes and cleanup -------------------------------------------------------
WORK=$(mktemp -d /tmp/comptoir-obs-e2e.XXXXXX)
NODE_PID=""
PROM_PID=""

# shellcheck source=../../deploy/lib/processes.sh
. "$REPO_ROOT/deploy/lib/processes.sh"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$PROM_PID" 10
    stop_pid "$NODE_PID" 15
    if (( rc != 0 )); then
        for log in node.log prometheus.log; do
            [[ -s "$WORK/$log" ]] || continue
            printf -- '--- last lines of %s ---\n' "$log" >&2
            tail -n 25 "$WORK/$log" >&2
        done
    fi
    if [[ "$KEEP" == 1 ]]; then
        say "kept $WORK"
    else
        rm -rf -- "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# -- helpers in Python: exposition text, PromQL, the kit's files -----------------------
cat >"$WORK/helper.py" <<'PY'
import json, math, re, sys, time, urllib.parse, urllib.request

def parse_exposition(path):
    """{(name, frozenset(labels)): value} and {name: type} of a /metrics file."""
    samples, types = {}, {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line)
        if not m:
            sys.exit(f"unparsable /metrics line: {line!r}")
        labels = frozenset(label_re.findall(m.group(3) or ""))
        samples[(m.group(1), labels)] = float(m.group(4))
    return samples, types

def total(path, name, **want):
    """Sum of the samples of `name` whose labels include `want`."""
    samples, _ = parse_exposition(path)
    return sum(v for (n, labels), v in samples.items()
               if n == name and all((k, v2) in labels for k, v2 in want.items()))

def cmd_sum(path, name, *pairs):
    want = dict(p.split("=", 1) for p in pairs)
    value = total(path, name, **want)
    print(int(value) if value == int(value) else value)

def cmd_catalogue(doc, path):
    """Every name of the catalogue is served, with the catalogue's type."""
    _, types = parse_exposition(path)
    problems, count = [], 0
    for line in open(doc, encoding="utf-8"):
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            for name in re.findall(r"`([a-z_:][a-z0-9_:]*)`", cells[0]):
                count += 1
                if name not in types:
                    problems.append(f"{name}: not served")
                elif types[name] != cells[1]:
                    problems.append(f"{name}: served as {types[name]}, catalogue says {cells[1]}")
        elif line.startswith("`process_"):
            for name in re.findall(r"`(process_[a-z_]+)`", line):
                count += 1
                if name not in types:
                    problems.append(f"{name}: not served")
    if count < 20:
        problems.append(f"only {count} names read from {doc}: has its layout changed?")
    for p in problems:
        print(p)
    print(f"{count} catalogue names checked", file=sys.stderr)
    sys.exit(1 if problems else 0)

# -- Prometheus --------------------------------------------------------------------------
def api(base, path, **params):
    data = urllib.parse.urlencode(params).encode() if params else None
    with urllib.request.urlopen(urllib.request.Request(base + path, data=data), timeout=10) as r:
        return json.load(r)

def query(base, expr):
    try:
        answer = api(base, "/api/v1/query", query=expr, time=f"{time.time():.3f}")
    except urllib.error.HTTPError as e:
        try:
            answer = json.load(e)
        except Exception:
            return None, f"HTTP {e.code}"
    except Exception as e:
        return None, str(e)
    if answer.get("status") != "success":
        return None, f"{answer.get('errorType')}: {answer.get('error')}"
    data = answer["data"]
    if data["resultType"] == "scalar":
        return [float(data["result"][1])], None
    return [float(s["value"][1]) for s in data["result"]], None

def cmd_value(base, expr):
    """The single value of an expression (nothing if it has none)."""
    values, error = query(base, expr)
    if error:
        sys.exit(error)
    if len(values) == 1:
        v = values[0]
        print(int(v) if v == int(v) else v)

GRAFANA_VARIABLES = [
    (r"\$__rate_interval|\$\{__rate_interval\}", "1m"),
    (r"\$__interval|\$\{__interval\}", "15s"),
    (r"\$__range|\$\{__range\}", "5m"),
    (r"\$node\b|\$\{node\}|\$\{node:regex\}", ".*"),
]
ALERT_THRESHOLD = re.compile(r"^(?P<lhs>.*\S)\s*(?P<op>==|!=|>=|<=|>|<)(\s*bool)?\s*(?P<number>[-+]?[0-9.eE+-]+)\s*$", re.S)

def dashboard_expressions(path):
    dash = json.load(open(path, encoding="utf-8"))
    def walk(panels):
        for p in panels:
            yield p
            yield from walk(p.get("panels", []))
    for panel in walk(dash["panels"]):
        for t in panel.get("targets", []):
            if t.get("hide"):
                continue
            expr = t["expr"]
            for pattern, value in GRAFANA_VARIABLES:
                expr = re.sub(pattern, value, expr)
            yield f"dashboard: {panel['title']} [{t['refId']}]", expr

def rules(path):
    import yaml
    for group in yaml.safe_load(open(path, encoding="utf-8"))["groups"]:
        yield from group["rules"]

def cmd_check_expressions(base, dashboard, rules_path):
    failures, lines = [], []
    def check(where, expr):
        flat = " ".join(expr.split())
        if "$" in flat:
            failures.append(f"{where}: a variable is left: {flat}")
            return
        values, error = query(base, flat)
        if error:
            failures.append(f"{where}: error: {error}: {flat}")
        elif not values:
            failures.append(f"{where}: no data: {flat}")
        elif not any(math.isfinite(v) for v in values):
            failures.append(f"{where}: only NaN/Inf ({len(values)} series): {flat}")
        else:
            lines.append(f"  ok {len(values):3d} series  {where}: {flat}")
    for where, expr in dashboard_expressions(dashboard):
        check(where, expr)
    for rule in rules(rules_path):
        if "record" in rule:
            check(f"rules: record {rule['record']}", rule["expr"])
            check(f"rules: series {rule['record']}", rule["record"])
            continue
        m = ALERT_THRESHOLD.match(rule["expr"].strip())
        if not m:
            failures.append(f"rules: alert {rule['alert']}: not `<expression> <op> <number>`: {rule['expr']}")
            continue
        check(f"rules: alert {rule['alert']} (left-hand side)", m.group("lhs"))
        values, error = query(base, " ".join(rule["expr"].split()))
        if error:
            failures.append(f"rules: alert {rule['alert']}: error: {error}")
        else:
            lines.append(f"  (alert {rule['alert']}: its whole expression returns {len(values)} series now)")
    print("\n".join(lines))
    for f in failures:
        print(f"FAILED {f}")
    sys.exit(1 if failures else 0)

def cmd_rules_health(base):
    """Every rule evaluated, without error."""
    groups = api(base, "/api/v1/rules")["data"]["groups"]
    bad = [f"{r['name']}: {r.get('health')} {r.get('lastError', '')}"
           for g in groups for r in g["rules"] if r.get("health") != "ok"]
    count = sum(len(g["rules"]) for g in groups)
    if not count:
        bad.append("no rules loaded")
    for b in bad:
        print(b)
    print(f"{count} rules, all healthy" if not bad else "", file=sys.stderr)
    sys.exit(1 if bad else 0)

def cmd_alert_state(base, alertname, *pairs):
    """The state (pending, firing) of an alert with these labels, if any."""
    want = dict(p.split("=", 1) for p in pairs)
    for a in api(base, "/api/v1/alerts")["data"]["alerts"]:
        if a["labels"].get("alertname") == alertname and all(a["labels"].get(k) == v for k, v in want.items()):
            print(a["state"])
            return

def cmd_node_variable(base, dashboard):
    """The values Grafana's `node` variable would offer (label_values(SELECTOR, LABEL))."""
    for v in json.load(open(dashboard, encoding="utf-8"))["templating"]["list"]:
        if v["name"] == "node":
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", q)
            if not m:
                sys.exit(f"node variable: not label_values(selector, label): {q}")
            answer = api(base, f"/api/v1/label/{m.group(2)}/values?" + urllib.parse.urlencode({"match[]": m.group(1)}))
            print(" ".join(answer["data"]))
            return
    sys.exit("the dashboard has no variable `node`")

def cmd_json(path, *keys):
    """A member of a JSON file (keys: members or list indexes)."""
    value = json.load(open(path, encoding="utf-8"))
    for k in keys:
        value = value[int(k)] if isinstance(value, list) else value[k]
    print(value if not isinstance(value, (dict, list)) else json.dumps(value))

def cmd_scarcest(path):
    """product_id and on_hand of the stock line with the fewest units (> 0)."""
    items = [i for i in json.load(open(path, encoding="utf-8"))["items"] if i["on_hand"] > 0]
    best = min(items, key=lambda i: (i["on_hand"], i["product_id"]))
    print(best["product_id"], best["on_hand"])

commands = {name[4:].replace("_", "-"): f for name, f in dict(globals()).items() if name.startswith("cmd_")}
commands[sys.argv[1]](*sys.argv[2:])
PY
helper() { "$PY" "$WORK/helper.py" "$@"; }

# -- 1. the node ------------------------------------------------------------------------------
NODE_PORT=$(free_port)
NODE_URL=http://127.0.0.1:$NODE_PORT
NODE_CONFIG=$WORK/e2e-node.toml
cat >"$NODE_CONFIG" <<EOF
[http]
address = "127.0.0.1"
port = $NODE_PORT

[database]
url = "sqlite://$WORK/node.db"

[metrics]
flush_interval_ms = $FLUSH_MS

[demo]
enabled = true
EOF

say "starting the node on $NODE_URL ($BINARY)"
env -u COMPTOIR_CONFIG -u COMPTOIR_HTTP_PORT -u COMPTOIR_HTTP_ADDRESS -u COMPTOIR_DATABASE_URL \
    "$BINARY" serve --config "$NODE_CONFIG" >"$WORK/node.log" 2>&1 &
NODE_PID=$!
for (( i = 0; ; i++ )); do
    kill -0 "$NODE_PID" 2>/dev/null || die "comptoir serve exited"
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$NODE_URL/health/ready" || true)" == 200 ]] && break
    (( i < 600 )) || die "the node is not ready after 60 s"
    sleep 0.1
done

# scrape FILE: the node's /metrics into FILE, after the counts of what it
# answered so far have been flushed (two flush intervals).
flush_wait() { sleep "$(awk -v ms="$FLUSH_MS" 'BEGIN { print 2 * ms / 1000 }')"; }
scrape() {
    local headers
    headers=$(curl -sS -D - -o "$1" -w '%{http_code}' "$NODE_URL/metrics") || die "GET /metrics failed"
    [[ "${headers: -3}" == 200 ]] || die "GET /metrics answered ${headers: -3}"
    grep -qi '^content-type: text/plain; version=0.0.4' <<<"$headers" \
        || die "GET /metrics: not Content-Type text/plain; version=0.0.4: $(grep -i '^content-type' <<<"$headers")"
}
check_metrics() {
    local out
    if ! out=$(promtool check metrics <"$1" 2>&1) || [[ -n "$out" ]]; then
        die "promtool check metrics on $2: ${out:-exit status not 0}"
    fi
}

scrape "$WORK/metrics-start.txt"
check_metrics "$WORK/metrics-start.txt" "the node's first /metrics"
say "promtool check metrics: clean ($(grep -c '^[a-z]' "$WORK/metrics-start.txt") samples)"
missing=$(helper catalogue "$REPO_ROOT/docs/observability.md" "$WORK/metrics-start.txt") \
    || die "/metrics against the catalogue of docs/observability.md:"$'\n'"$missing"

# -- 2. Prometheus ------------------------------------------------------------------------------
PROM_DIR=$WORK/prometheus
PROM_PORT=$(free_port)
PROM_URL=http://127.0.0.1:$PROM_PORT
mkdir -p "$PROM_DIR/targets" "$PROM_DIR/data"
cp "$REPO_ROOT/deploy/prometheus/prometheus.yml" "$REPO_ROOT/deploy/prometheus/rules.yml" "$PROM_DIR/"
# The shipped configuration, with 1 s intervals.
sed -i -e 's/^\(  scrape_interval:\) 5s$/\1 1s/' -e 's/^\(  scrape_timeout:\) 4s$/\1 1s/' \
    -e 's/^\(  evaluation_interval:\) 5s$/\1 1s/' "$PROM_DIR/prometheus.yml"
(( $(grep -cE '^  (scrape_interval|scrape_timeout|evaluation_interval): 1s$' "$PROM_DIR/prometheus.yml") == 3 )) \
    || die "deploy/prometheus/prometheus.yml: its global intervals are no longer 5s/4s/5s; update this script"
"$REPO_ROOT/deploy/prometheus/targets.sh" "$NODE_CONFIG" >"$PROM_DIR/targets/comptoir.json"
promtool check config "$PROM_DIR/prometheus.yml" >"$WORK/check-config.txt" 2>&1 \
    || die "promtool check config: $(cat "$WORK/check-config.txt")"

say "starting Prometheus on $PROM_URL"
prometheus --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
for (( i = 0; ; i++ )); do
    kill -0 "$PROM_PID" 2>/dev/null || die "prometheus exited"
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$PROM_URL/-/ready" || true)" == 200 ]] && break
    (( i < 300 )) || die "Prometheus is not ready after 30 s"
    sleep 0.1
done
for (( i = 0; ; i++ )); do
    [[ "$(helper value "$PROM_URL" 'up{job="comptoir", node="e2e-node"}')" == 1 ]] && break
    (( i < 150 )) || die "Prometheus does not scrape the node (up != 1 after 30 s)"
    sleep 0.2
done
nodes=$(helper node-variable "$PROM_URL" "$REPO_ROOT/deploy/grafana/dashboards/comptoir.json")
[[ " $nodes " == *" e2e-node "* ]] || die "the dashboard's node variable offers '$nodes', not e2e-node"
say "Prometheus scrapes node e2e-node"

# -- 3. traffic ----------------------------------------------------------------------------------
# req METHOD PATH TOKEN [BODY [IDEMPOTENCY-KEY]]: the status; the body in $WORK/body.json.
req() {
    local -a args=(-s -o "$WORK/body.json" -w '%{http_code}' -X "$1")
    [[ -n "$3" ]] && args+=(-H "Authorization: Bearer $3")
    [[ -n "${4:-}" ]] && args+=(-H 'Content-Type: application/json' --data "$4")
    [[ -n "${5:-}" ]] && args+=(-H "Idempotency-Key: $5")
    curl "${args[@]}" "$NODE_URL$2"
}
# expect STATUS METHOD PATH TOKEN [BODY [KEY]]
expect() {
    local want=$1 got
    shift
    got=$(req "$@")
    [[ "$got" == "$want" ]] || die "$1 $2: expected $want, got $got: $(head -c 300 "$WORK/body.json")"
}

STOCK_ROUTE='/api/v1/stores/{id}/stock'
flush_wait
scrape "$WORK/metrics-before.txt"
declare -A stock_sent=([200]=0 [401]=0 [404]=0)
for store in 1 2 3 4 5; do
    for (( k = 0; k < 4; k++ )); do
        expect 200 GET "/api/v1/stores/$store/stock" "demo-clerk-$store"
        stock_sent[200]=$(( stock_sent[200] + 1 ))
    done
done
for token in demo-hq demo-logistics demo-admin; do
    expect 200 GET /api/v1/stores/1/stock "$token"
    stock_sent[200]=$(( stock_sent[200] + 1 ))
done
expect 401 GET /api/v1/stores/2/stock ""
expect 401 GET /api/v1/stores/2/stock "not-a-token"
stock_sent[401]=2
expect 404 GET /api/v1/stores/999/stock demo-hq
stock_sent[404]=1
stock_total=$(( stock_sent[200] + stock_sent[401] + stock_sent[404] ))

# Counts reach /metrics within a flush interval; then they must be exact.
before=$(helper sum "$WORK/metrics-before.txt" http_requests_total route="$STOCK_ROUTE")
for (( i = 0; ; i++ )); do
    scrape "$WORK/metrics-after-stock.txt"
    now=$(helper sum "$WORK/metrics-after-stock.txt" http_requests_total route="$STOCK_ROUTE")
    (( now >= before + stock_total )) && break
    (( i < 50 )) || die "http_requests_total{route=\"$STOCK_ROUTE\"} went from $before to $now after $stock_total requests"
    sleep 0.1
done
flush_wait
scrape "$WORK/metrics-after-stock.txt"
for status in 200 401 404; do
    b=$(helper sum "$WORK/metrics-before.txt" http_requests_total route="$STOCK_ROUTE" method=GET status="$status")
    a=$(helper sum "$WORK/metrics-after-stock.txt" http_requests_total route="$STOCK_ROUTE" method=GET status="$status")
    (( a - b == stock_sent[$status] )) \
        || die "http_requests_total{method=\"GET\", route=\"$STOCK_ROUTE\", status=\"$status\"} grew by $(( a - b )), not ${stock_sent[$status]}"
done
a=$(helper sum "$WORK/metrics-after-stock.txt" http_requests_total route="$STOCK_ROUTE")
(( a - before == stock_total )) || die "http_requests_total{route=\"$STOCK_ROUTE\"} grew by $(( a - before )), not $stock_total"
a=$(helper sum "$WORK/metrics-after-stock.txt" http_request_duration_seconds_count route="$STOCK_ROUTE")
b=$(helper sum "$WORK/metrics-before.txt" http_request_duration_seconds_count route="$STOCK_ROUTE")
(( a - b == stock_total )) || die "http_request_duration_seconds_count{route=\"$STOCK_ROUTE\"} grew by $(( a - b )), not $stock_total"
b=$(helper sum "$WORK/metrics-before.txt" comptoir_cache_hits_total cache=stock_view)
a=$(helper sum "$WORK/metrics-after-stock.txt" comptoir_cache_hits_total cache=stock_view)
(( a - b >= stock_sent[200] - 5 )) || die "comptoir_cache_hits_total{cache=\"stock_view\"} grew by $(( a - b )) over ${stock_sent[200]} reads of 5 stores"
say "stock route: $stock_total requests, counted exactly (${stock_sent[200]} x 200, ${stock_sent[401]} x 401, ${stock_sent[404]} x 404)"

# Sales in every store (one replayed), a refused basket, a return, and the
# last units of store 3's scarcest product; the head office's report and
# dashboard cached before them, read again after (each twice: the second
# from the cache), and store 1's stock read again after its sales.
expect 200 GET /api/v1/stores/3/stock demo-clerk-3
read -r scarce_product scarce_units < <(helper scarcest "$WORK/body.json")
expect 200 GET '/api/v1/reports/sales?from=2000-01-01' demo-hq
expect 200 GET /api/v1/dashboard demo-hq
flush_wait
scrape "$WORK/metrics-before-sales.txt"
declare -A sales_sent=() revenue_sent=()
first_sale=""
for store in 1 2 3 4 5; do
    sales_sent[$store]=0
    revenue_sent[$store]=0
    for (( k = 1; k <= 2; k++ )); do
        body="{\"lines\":[{\"product_id\":$k,\"quantity\":$(( store + k ))},{\"product_id\":$(( k + 10 )),\"quantity\":1}]}"
        expect 201 POST "/api/v1/stores/$store/sales" "demo-clerk-$store" "$body" "e2e-$store-$k"
        sales_sent[$store]=$(( sales_sent[$store] + 1 ))
        revenue_sent[$store]=$(( revenue_sent[$store] + $(helper json "$WORK/body.json" total_cents) ))
        [[ -n "$first_sale" ]] || { first_sale=$(helper json "$WORK/body.json" id); first_body=$body; }
    done
done
expect 201 POST /api/v1/stores/1/sales demo-clerk-1 "$first_body" e2e-1-1   # a replay: no new sale
expect 422 POST /api/v1/stores/2/sales demo-clerk-2 '{"lines":[]}' e2e-2-empty
expect 201 POST /api/v1/stores/3/sales demo-clerk-3 \
    "{\"lines\":[{\"product_id\":$scarce_product,\"quantity\":$scarce_units}]}" e2e-3-last-units
sales_sent[3]=$(( sales_sent[3] + 1 ))
revenue_sent[3]=$(( revenue_sent[3] + $(helper json "$WORK/body.json" total_cents) ))
expect 201 POST "/api/v1/sales/$first_sale/returns" demo-clerk-1 '{"lines":[{"product_id":1,"quantity":1}]}' e2e-1-return
refund_sent=$(helper json "$WORK/body.json" refund_cents)

for (( k = 0; k < 2; k++ )); do
    expect 200 GET '/api/v1/reports/sales?from=2000-01-01' demo-hq
    expect 200 GET /api/v1/dashboard demo-hq
done
expect 200 GET /api/v1/stores/1/stock demo-clerk-1
expect 200 GET /api/v1/alerts demo-hq
expect 200 GET '/api/v1/products?limit=5' demo-clerk-2
expect 404 GET /api/v1/no-such-route demo-hq
expect 401 GET /api/v1/products ""

for (( i = 0; ; i++ )); do
    scrape "$WORK/metrics-after-sales.txt"
    now=$(helper sum "$WORK/metrics-after-sales.txt" comptoir_returns_total store=1)
    was=$(helper sum "$WORK/metrics-before-sales.txt" comptoir_returns_total store=1)
    (( now > was )) && break
    (( i < 50 )) || die "comptoir_returns_total{store=\"1\"} did not grow after a return"
    sleep 0.1
done
flush_wait
scrape "$WORK/metrics-after-sales.txt"
# delta NAME LABEL=VALUE...: how much NAME grew over the sales.
delta() {
    echo $(( $(helper sum "$WORK/metrics-after-sales.txt" "$@") - $(helper sum "$WORK/metrics-before-sales.txt" "$@") ))
}
for store in 1 2 3 4 5; do
    d=$(delta comptoir_sales_total store="$store")
    (( d == sales_sent[$store] )) || die "comptoir_sales_total{store=\"$store\"} grew by $d, not ${sales_sent[$store]}"
    d=$(delta comptoir_sales_revenue_cents_total store="$store")
    (( d == revenue_sent[$store] )) || die "comptoir_sales_revenue_cents_total{store=\"$store\"} grew by $d, not ${revenue_sent[$store]}"
done
d=$(delta comptoir_returns_total store=1)
(( d == 1 )) || die "comptoir_returns_total{store=\"1\"} grew by $d, not 1"
d=$(delta comptoir_returns_refund_cents_total store=1)
(( d == refund_sent )) || die "comptoir_returns_refund_cents_total{store=\"1\"} grew by $d, not $refund_sent"
d=$(delta comptoir_open_alerts store=3 kind=out_of_stock)
(( d == 1 )) || die "comptoir_open_alerts{store=\"3\", kind=\"out_of_stock\"} grew by $d, not 1 (product $scarce_product sold out)"
# The report and the dashboard: cached before the sales, dropped by them,
# missed then hit after; store 1's stock view replaced once read again.
for cache in report dashboard; do
    for counter in hits misses invalidations; do
        d=$(delta "comptoir_cache_${counter}_total" cache="$cache")
        (( d >= 1 )) || die "comptoir_cache_${counter}_total{cache=\"$cache\"} did not grow"
    done
done
d=$(delta comptoir_cache_invalidations_total cache=stock_view)
(( d >= 1 )) || die "comptoir_cache_invalidations_total{cache=\"stock_view\"} did not grow (store 1's stock read after its sales)"
say "sales, revenue, returns, refunds and the out-of-stock alert counted exactly; cache hits, misses, invalidations counted"
check_metrics "$WORK/metrics-after-sales.txt" "/metrics after the traffic"

# -- 4. every expression of the dashboard and the rules ---------------------------------------------
# Wait until Prometheus has the last counts, then a few more evaluations.
last_sales=$(helper sum "$WORK/metrics-after-sales.txt" comptoir_sales_total)
for (( i = 0; ; i++ )); do
    [[ "$(helper value "$PROM_URL" 'sum(comptoir_sales_total{job="comptoir"})')" == "$last_sales" ]] && break
    (( i < 100 )) || die "Prometheus does not see the $last_sales sales after 20 s"
    sleep 0.2
done
sleep 3
rules_out=$(helper rules-health "$PROM_URL") || die "rules that do not evaluate:"$'\n'"$rules_out"
say "querying every expression of the dashboard and rules.yml"
if ! helper check-expressions "$PROM_URL" "$REPO_ROOT/deploy/grafana/dashboards/comptoir.json" \
        "$REPO_ROOT/deploy/prometheus/rules.yml" >"$WORK/expressions.txt"; then
    cat "$WORK/expressions.txt" >&2
    die "expressions without data (above)"
fi
cat "$WORK/expressions.txt" >&2
state=$(helper alert-state "$PROM_URL" ComptoirStockOut store=3 kind=out_of_stock)
[[ "$state" == pending || "$state" == firing ]] \
    || die "ComptoirStockOut for store 3 is '${state:-inactive}', not pending, after its product $scarce_product sold out"
say "ComptoirStockOut is $state for store 3"
say "PASSED"
