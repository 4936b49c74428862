#!/usr/bin/env bash
# Checks the monitoring kit's files without running anything (CTest
# "observability_kit", label "kit"):
#
#   - promtool check config deploy/prometheus/prometheus.yml (its rule file
#     and its file_sd target files included);
#   - promtool check rules deploy/prometheus/rules.yml;
#   - promtool test rules deploy/prometheus/rules_test.yml: every alert fires
#     on synthetic series where it should and stays silent elsewhere;
#   - deploy/prometheus/targets.sh on config/comptoir.toml writes exactly the
#     shipped targets/comptoir.json;
#   - the Grafana dashboard: valid JSON, Grafana 10 schema, unique panel ids,
#     every panel on the ${DS_PROMETHEUS} data source, whose default is the uid
#     of provisioning/datasources/prometheus.yml; every PromQL expression
#     parses (promtool check rules on a generated rule file), every metric it
#     or rules.yml reads is in the catalogue (docs/observability.md) or
#     recorded by rules.yml, and the provisioning files are valid YAML.
#
# Whether the expressions return data from a real node is
# tests/observability/e2e.sh. Needs promtool (Debian package prometheus) and
# python3 with PyYAML (python3-yaml).
set -euo pipefail

REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
PROM=$REPO_ROOT/deploy/prometheus
NAME=observability_kit

die() { printf '%s: FAILED: %s\n' "$NAME" "$*" >&2; exit 1; }
step() { printf '%s: %s\n' "$NAME" "$*" >&2; }

PY=/usr/bin/python3
[[ -x "$PY" ]] || PY=python3
command -v promtool >/dev/null || die "promtool not found: apt-get install prometheus (deploy/dev.sh install)"
"$PY" -c 'import yaml' 2>/dev/null || die "$PY cannot import yaml: apt-get install python3-yaml"

WORK=$(mktemp -d /tmp/comptoir-obs-kit.XXXXXX)
trap 'rm -rf -- "$WORK"' EXIT

step "$(promtool --version 2>&1 | head -n 1)"
step "promtool check config"
promtool check config "$PROM/prometheus.yml" || die "promtool check config deploy/prometheus/prometheus.yml"
step "promtool check rules"
promtool check rules "$PROM/rules.yml" || die "promtool check rules deploy/prometheus/rules.yml"
step "promtool test rules"
(cd "$PROM" && promtool test rules rules_test.yml) || die "promtool test rules deploy/prometheus/rules_test.yml"

step "targets.sh config/comptoir.toml = targets/comptoir.json"
"$PROM/targets.sh" "$REPO_ROOT/config/comptoir.toml" >"$WORK/targets.json" || die "targets.sh failed"
diff -u "$PROM/targets/comptoir.json" "$WORK/targets.json" \
    || die "deploy/prometheus/targets/comptoir.json is not what targets.sh writes for config/comptoir.toml"

step "Grafana dashboard and provisioning"
"$PY" - "$REPO_ROOT" "$WORK/dashboard-rules.yml" <<'PY' || die "the dashboard or the provisioning files (above)"
import json, re, sys, yaml

root, rules_out = sys.argv[1], sys.argv[2]
problems = []
dash = json.load(open(f"{root}/deploy/grafana/dashboards/comptoir.json", encoding="utf-8"))
datasources = yaml.safe_load(open(f"{root}/deploy/grafana/provisioning/datasources/prometheus.yml"))
providers = yaml.safe_load(open(f"{root}/deploy/grafana/provisioning/dashboards/comptoir.yml"))
rules = yaml.safe_load(open(f"{root}/deploy/prometheus/rules.yml"))

# Schema 36-39 is what Grafana 10.x writes.
if not 36 <= dash.get("schemaVersion", 0) <= 39:
    problems.append(f"schemaVersion {dash.get('schemaVersion')}: not a Grafana 10 dashboard")
if dash.get("uid") != "comptoir":
    problems.append("the dashboard's uid is not 'comptoir'")
variables = {v["name"]: v for v in dash["templating"]["list"]}
ds_uids = [d["uid"] for d in datasources["datasources"] if d["type"] == "prometheus"]
if variables.get("DS_PROMETHEUS", {}).get("current", {}).get("value") not in ds_uids:
    problems.append(f"variable DS_PROMETHEUS does not default to the provisioned uid {ds_uids}")
if "node" not in variables:
    problems.append("no variable `node`")
if not any(p.get("type") == "file" and p.get("options", {}).get("path") for p in providers["providers"]):
    problems.append("provisioning/dashboards/comptoir.yml has no file provider with a path")

def walk(panels):
    for p in panels:
        yield p
        yield from walk(p.get("panels", []))

ids, expressions = set(), []
for panel in walk(dash["panels"]):
    if panel["id"] in ids:
        problems.append(f"panel id {panel['id']} twice")
    ids.add(panel["id"])
    if panel["type"] == "row":
        continue
    if panel.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
        problems.append(f"panel {panel['title']!r}: data source is not ${{DS_PROMETHEUS}}")
    if not panel.get("targets"):
        problems.append(f"panel {panel['title']!r}: no query")
    for t in panel.get("targets", []):
        if t.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            problems.append(f"panel {panel['title']!r} [{t['refId']}]: data source is not ${{DS_PROMETHEUS}}")
        expr = t.get("expr", "").strip()
        if not expr:
            problems.append(f"panel {panel['title']!r} [{t['refId']}]: empty expression")
            continue
        expressions.append((f"{panel['title']} [{t['refId']}]", expr))

# Every expression as a recording rule, so that promtool parses it.
grafana_variables = [(r"\$__rate_interval", "1m"), (r"\$__interval", "15s"), (r"\$__range", "5m"),
                     (r"\$node\b|\$\{node\}", ".*")]
generated = []
for i, (where, expr) in enumerate(expressions):
    for pattern, value in grafana_variables:
        expr = re.sub(pattern, value, expr)
    if "$" in expr:
        problems.append(f"{where}: unknown variable in {expr}")
    generated.append({"record": f"dashboard:expression_{i}", "expr": expr})
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": generated}]}, open(rules_out, "w"))

# Metric names: the catalogue's (a histogram also as _bucket, _sum, _count),
# the recorded ones, and Prometheus' own up and ALERTS.
known = {"up", "ALERTS"}
for line in open(f"{root}/docs/observability.md", encoding="utf-8"):
    if line.startswith("| `"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for name in re.findall(r"`([a-z_:][a-z0-9_:]*)`", cells[0]):
            known.add(name)
            if cells[1] == "histogram":
                known.update(name + s for s in ("_bucket", "_sum", "_count"))
    elif line.startswith("`process_"):
        known.update(re.findall(r"`(process_[a-z_]+)`", line))
recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
known |= recorded

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
            "bool", "offset", "inf", "nan"}
def metric_names(expr):
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)             # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)                         # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)                        # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        after = expr[m.end():].lstrip()
        if after.startswith("(") or m.group(0).lower() in KEYWORDS:
            continue
        if re.fullmatch(r"[0-9.]*e[0-9]*", m.group(0)):
            continue
        yield m.group(0)

used = [(f"dashboard: {w}", e) for w, e in expressions]
used += [(f"rules.yml: {r.get('record') or r.get('alert')}", r["expr"]) for g in rules["groups"] for r in g["rules"]]
for where, expr in used:
    for name in metric_names(expr):
        if name not in known:
            problems.append(f"{where}: {name} is neither in docs/observability.md nor recorded by rules.yml")
for where, expr in used:
    if where.startswith("dashboard") and not any(n in recorded or n.startswith(("comptoir_", "http_", "process_")) or n in ("up", "ALERTS")
                                                for n in metric_names(expr)):
        problems.append(f"{where}: reads no metric")

for p in problems:
    print(p)
print(f"{len(expressions)} dashboard expressions, {len(recorded)} recorded series, {len(ids)} panels", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
promtool check rules "$WORK/dashboard-rules.yml" >"$WORK/dashboard-check.txt" 2>&1 \
    || { cat "$WORK/dashboard-check.txt" >&2; die "dashboard expressions that do not parse (above)"; }
step "PASSED"
