#!/usr/bin/env bash
# Writes the Prometheus file_sd target list of Comptoir nodes, read from their
# config files, on standard output.
#
#   deploy/prometheus/targets.sh CONFIG.toml... > deploy/prometheus/targets/comptoir.json
#
# One target per config: its [http] address and port (defaults 127.0.0.1 and
# 8080, as for the node). A node listening on every interface (0.0.0.0, ::)
# is scraped on loopback (127.0.0.1, [::1]). Each target gets the label
# `node` = the config file's name without directory and extension
# (config/store-a.toml: store-a); two configs with the same stem, or the same
# address and port, are an error. Environment overrides of a running node
# (COMPTOIR_HTTP_PORT, COMPTOIR_HTTP_ADDRESS) are not seen: write them in its
# config. Prometheus re-reads the file by itself (prometheus.yml:
# file_sd_configs), no restart needed.
#
# Needs python3 (3.11+, tomllib).
set -euo pipefail

if [[ $# -eq 0 || "$1" == -h || "$1" == --help ]]; then
    sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    [[ $# -eq 0 ]] && exit 64
    exit 0
fi

python=/usr/bin/python3
[[ -x "$python" ]] || python=python3

exec "$python" - "$@" <<'PY'
import ipaddress, json, os, sys, tomllib

def fail(message):
    print(f"targets.sh: error: {message}", file=sys.stderr)
    sys.exit(1)

groups, seen_nodes, seen_targets = [], {}, {}
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    except tomllib.TOMLDecodeError as e:
        fail(f"{path}: not valid TOML: {e}")
    http = config.get("http", {})
    if not isinstance(http, dict):
        fail(f"{path}: [http] is not a table")
    address = http.get("address", "127.0.0.1")
    port = http.get("port", 8080)
    if not isinstance(address, str):
        fail(f"{path}: http.address must be a string")
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        fail(f"{path}: http.port must be an integer from 1 to 65535")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        fail(f"{path}: http.address '{address}' is not an IP address")
    if ip.is_unspecified:
        ip = ipaddress.ip_address("::1" if ip.version == 6 else "127.0.0.1")
    target = f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"
    node = os.path.splitext(os.path.basename(path))[0]
    if node in seen_nodes:
        fail(f"{path} and {seen_nodes[node]} would both be node '{node}': rename one")
    if target in seen_targets:
        fail(f"{path} and {seen_targets[target]} both listen on {target}")
    seen_nodes[node], seen_targets[target] = path, path
    groups.append({"targets": [target], "labels": {"node": node}})

json.dump(groups, sys.stdout, indent=2)
sys.stdout.write("\n")
PY
