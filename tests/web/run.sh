#!/usr/bin/env bash
# End-to-end tests of the managers' web page (net/web/, served at /): the
# CTest test "web_e2e" (label "browser"). Playwright (playwright-core from
# npm) drives Debian's chromium headless against a real comptoir node that
# e2e.mjs starts on a private SQLite database and a free loopback port.
#
#   tests/web/run.sh <artifacts dir>
#
# Needs COMPTOIR_BINARY (the built comptoir). Screenshots of every view, by
# role, and the node's log go to the artifacts dir. playwright-core is
# installed by npm, once, into $COMPTOIR_NPM_CACHE/playwright-core-<version>
# (default ~/.cache/comptoir/npm); it never downloads a browser. The first run
# needs the npm registry; later runs work offline. COMPTOIR_CHROMIUM names
# another chromium binary (default /usr/bin/chromium, Debian's "chromium").
#
# Exit status: 0 when every case passed; 1 when one failed or the install
# failed; 77 (CTest: skipped) when chromium, node or npm is missing or node
# is too old, unless COMPTOIR_BROWSER_REQUIRED=1, which makes that a failure.
set -euo pipefail

# Pinned: known to drive Debian's chromium 156. To upgrade, change this and
# run the tests.
readonly PLAYWRIGHT_VERSION=1.64.1

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
artifacts=${1:?usage: tests/web/run.sh <artifacts dir>}
chromium=${COMPTOIR_CHROMIUM:-/usr/bin/chromium}
cache=${COMPTOIR_NPM_CACHE:-${HOME:?HOME is not set; set COMPTOIR_NPM_CACHE}/.cache/comptoir/npm}
prefix=$cache/playwright-core-$PLAYWRIGHT_VERSION

skip() {
    echo "web_e2e: $*" >&2
    if [[ ${COMPTOIR_BROWSER_REQUIRED:-0} == 1 ]]; then
        echo "web_e2e: FAILED (COMPTOIR_BROWSER_REQUIRED=1)" >&2
        exit 1
    fi
    echo "web_e2e: SKIPPED" >&2
    exit 77
}

[[ -x $chromium ]] || skip "no chromium at $chromium (Debian package \"chromium\"; deploy/dev.sh installs it)"
command -v node >/dev/null 2>&1 || skip "node is not installed (needs node >= 20 and npm)"
command -v npm >/dev/null 2>&1 || skip "npm is not installed (needs node >= 20 and npm)"
# playwright-core 1.64 declares engines "node >= 20".
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
    skip "node $(node --version) is too old for playwright-core $PLAYWRIGHT_VERSION (needs >= 20)"
fi
if [[ -z ${COMPTOIR_BINARY:-} || ! -x $COMPTOIR_BINARY ]]; then
    echo "web_e2e: FAILED: COMPTOIR_BINARY must name the built comptoir binary (is: '${COMPTOIR_BINARY:-}')" >&2
    exit 1
fi

# playwright-core has no install script and downloads no browser.
# shellcheck source=tests/support/npm_install_once.sh
source "$here/../support/npm_install_once.sh"
npm_install_once web_e2e playwright-core "$PLAYWRIGHT_VERSION" "$prefix"

mkdir -p -- "$artifacts"
artifacts=$(cd -- "$artifacts" && pwd -P)
rm -f -- "$artifacts"/*.png "$artifacts"/comptoir.log

# Chromium's profile and the node's database live in this directory, removed
# at the end whatever happens (e2e.mjs stops the node itself).
work=$(mktemp -d "${TMPDIR:-/tmp}/comptoir-web-e2e.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

echo "web_e2e: playwright-core $PLAYWRIGHT_VERSION, $("$chromium" --version 2>/dev/null | head -n 1)" >&2
status=0
TMPDIR=$work \
    COMPTOIR_WEB_WORK=$work \
    COMPTOIR_WEB_ARTIFACTS=$artifacts \
    COMPTOIR_CHROMIUM=$chromium \
    COMPTOIR_PLAYWRIGHT=$prefix/node_modules/playwright-core \
    node --test --test-reporter=spec --test-concurrency=1 "$here/e2e.mjs" || status=$?
echo "web_e2e: screenshots in $artifacts" >&2
if ((status != 0)); then
    echo "web_e2e: FAILED" >&2
    exit 1
fi
echo "web_e2e: OK" >&2
