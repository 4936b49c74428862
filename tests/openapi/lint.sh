#!/usr/bin/env bash
# Lints the OpenAPI document (net/openapi.json, served at /openapi.json) with
# Redocly CLI and the rules of tests/openapi/redocly.yaml: the CTest test
# "openapi_lint" (label "lint").
#
#   tests/openapi/lint.sh [document.json]
#
# Redocly CLI is installed by npm, once, into a cache directory outside the
# repository: $COMPTOIR_NPM_CACHE/redocly-<version> (default
# ~/.cache/comptoir/npm). The first run needs the npm registry; later runs
# work offline. Needs node >= 20.19 (or >= 22.12) and npm.
#
# Exit status: 0 when the document has no errors and no warnings; 1 when it
# has some or the install failed; 77 (CTest: skipped) when node or npm is
# missing or node is too old, unless COMPTOIR_LINT_REQUIRED=1, which makes
# that a failure too.
set -euo pipefail

# Pinned: a new Redocly release may bring new rules. To upgrade, change this,
# run the script and fix what the new version reports.
readonly REDOCLY_VERSION=2.77.0

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd -- "$here/../.." && pwd -P)
document=${1:-$repo/net/openapi.json}
config=$here/redocly.yaml
cache=${COMPTOIR_NPM_CACHE:-${HOME:?HOME is not set; set COMPTOIR_NPM_CACHE}/.cache/comptoir/npm}
prefix=$cache/redocly-$REDOCLY_VERSION
redocly=$prefix/node_modules/.bin/redocly

skip() {
    echo "openapi_lint: $*" >&2
    if [[ ${COMPTOIR_LINT_REQUIRED:-0} == 1 ]]; then
        echo "openapi_lint: FAILED (COMPTOIR_LINT_REQUIRED=1)" >&2
        exit 1
    fi
    echo "openapi_lint: SKIPPED" >&2
    exit 77
}

command -v node >/dev/null 2>&1 || skip "node is not installed (needs node >= 20.19 and npm)"
command -v npm >/dev/null 2>&1 || skip "npm is not installed (needs node >= 20.19 and npm)"
# Redocly CLI 2.x declares engines ">=22.12.0 || >=20.19.0 <21.0.0".
if ! node -e '
    const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22 ? 0 : 1);
'; then
    skip "node $(node --version) is too old for Redocly CLI $REDOCLY_VERSION (needs >= 20.19 or >= 22.12)"
fi
[[ -f $document ]] || { echo "openapi_lint: no such document: $document" >&2; exit 1; }

# shellcheck source=tests/support/npm_install_once.sh
source "$repo/tests/support/npm_install_once.sh"
npm_install_once openapi_lint @redocly/cli "$REDOCLY_VERSION" "$prefix"
[[ -x $redocly ]] || { echo "openapi_lint: FAILED: no $redocly after the install" >&2; exit 1; }

# No usage data sent, no update notices.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true REDOCLY_SUPPRESS_NOTIFICATIONS=true
echo "openapi_lint: redocly $REDOCLY_VERSION lint --config ${config#"$repo"/} ${document#"$repo"/}" >&2
status=0
output=$("$redocly" lint --config "$config" --max-problems 1000 "$document" 2>&1) || status=$?
printf '%s\n' "$output"
if ((status != 0)); then
    echo "openapi_lint: FAILED: Redocly found errors in $document (exit $status)" >&2
    exit 1
fi
# Redocly exits 0 on warnings; the document is kept free of them too.
if grep -qE 'You have [0-9]+ warnings?' <<<"$output"; then
    echo "openapi_lint: FAILED: Redocly found warnings in $document" >&2
    exit 1
fi
echo "openapi_lint: OK" >&2
