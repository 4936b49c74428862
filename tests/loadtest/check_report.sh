#!/usr/bin/env bash
# Checks the output of the load-test kit (deploy/loadtest/run.sh) after the
# CTest smoke run `loadtest_kit`:
#
#   tests/loadtest/check_report.sh DIR [ROWS]
#
# Fails unless DIR/results.csv has ROWS step rows (default 2), each with
# req/s > 0 and 0 socket errors, DIR/report.md exists and is not empty, and
# DIR/throughput.svg and DIR/latency.svg exist and are well-formed SVG
# (xmllint --noout when xmllint is installed, else a grep for <svg and </svg>).
set -euo pipefail

die() { printf 'check_report.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'check_report.sh: %s\n' "$*" >&2; }
usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

(( $# >= 1 && $# <= 2 )) || { usage >&2; exit 2; }
DIR=$1
ROWS=${2:-2}
[[ "$ROWS" =~ ^[0-9]+$ ]] || die "ROWS must be an integer, got '$ROWS'"

CSV=$DIR/results.csv
[[ -s "$CSV" ]] || die "no $CSV"
head -n 1 "$CSV" | grep -q '^setup,connections,threads,duration_s,requests,rps,' \
    || die "$CSV: unexpected header: $(head -n 1 "$CSV")"
rows=$(( $(wc -l <"$CSV") - 1 ))
(( rows == ROWS )) || die "$CSV has $rows step rows, expected $ROWS"
# Columns: 2 connections, 6 rps, 12 socket_errors.
bad=$(awk -F, 'NR > 1 && !($6 > 0 && $12 == 0) { printf "connections %s: %s req/s, %s socket errors; ", $2, $6, $12 }' "$CSV")
[[ -z "$bad" ]] || die "$CSV: $bad"

[[ -s "$DIR/report.md" ]] || die "no $DIR/report.md"
grep -q '^| connections |' "$DIR/report.md" || die "$DIR/report.md has no step table"

for svg in throughput latency; do
    file=$DIR/$svg.svg
    [[ -s "$file" ]] || die "no $file"
    if command -v xmllint >/dev/null; then
        xmllint --noout "$file" || die "$file is not well-formed XML"
        grep -q '<svg' "$file" || die "$file is no SVG"
    else
        if ! grep -q '<svg' "$file" || ! grep -q '</svg>' "$file"; then
            die "$file is no complete SVG"
        fi
    fi
done
say "ok: $rows steps, report.md, throughput.svg and latency.svg in $DIR"
