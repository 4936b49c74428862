#!/usr/bin/env bash
# Developer entry point of Comptoir (Debian 12).
#
#   deploy/dev.sh run [comptoir serve args...]
#                          install missing packages, build build/ and run
#                          build/app/comptoir serve from the repository root
#                          (default SQLite database: var/comptoir.db)
#   deploy/dev.sh test     install, build build/ and run all tests (the OpenAPI
#                          lint included), then build build-asan/ (Debug,
#                          ASan+UBSan) and run the unit and integration tests
#                          there, then build the fuzz targets (clang 16) in
#                          build-fuzz/ and run each for FUZZ_SECONDS
#   deploy/dev.sh build    install missing packages and build build/
#   deploy/dev.sh install  install missing packages only
#   deploy/dev.sh --help   this text
#
# Environment: JOBS (parallel build/test jobs, default 2), CCACHE_DIR (ccache
# default otherwise), ASAN_OPTIONS / UBSAN_OPTIONS (sanitizer test run),
# FUZZ_SECONDS (per fuzz target, default 60), COMPTOIR_NPM_CACHE (where the
# npm tools of the tests are installed, default ~/.cache/comptoir/npm).
set -euo pipefail

REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
BUILD_DIR=$REPO_ROOT/build
ASAN_BUILD_DIR=$REPO_ROOT/build-asan
JOBS=${JOBS:-2}

# Debian packages needed to build, test and run Comptoir: the one list.
PACKAGES=(
    build-essential cmake ccache pkg-config
    libcaf-dev libboost1.81-dev libboost-json1.81-dev
    libsoci-dev libsqlite3-dev libpq-dev
    prometheus-cpp-dev doctest-dev libtomlplusplus-dev libspdlog-dev libssl-dev
    postgresql      # server binaries for the tests' private cluster (tests/support/pg.sh)
    sqlite3 curl wrk
    clang-16 libclang-rt-16-dev # libFuzzer targets (fuzz/): clang 14 rejects libstdc++ 12 ranges
    prometheus python3-yaml     # the monitoring kit's checks (promtool) and end-to-end test
    nginx-light                 # the local cluster's load balancer (deploy/cluster/nginx.sh)
    gnuplot-nox                 # the load-test kit's plots (deploy/loadtest/run.sh)
    chromium                    # the web page's end-to-end tests (tests/web/run.sh)
)
# Node.js and npm run the OpenAPI linter (tests/openapi/lint.sh); Debian's
# packages are installed only when no node/npm is on the PATH already.
NODE_PACKAGES=(nodejs npm)

# ccache: the CMakeLists sets it as compiler launcher when found. A base dir
# makes the cache hit across clones at different paths; CCACHE_DIR keeps its
# default (~/.cache/ccache or ~/.ccache) unless set by the caller.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$REPO_ROOT}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}

usage() {
    sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

section() {
    printf '\n==== %s ====\n' "$*"
}

die() {
    printf 'dev.sh: error: %s\n' "$*" >&2
    exit 1
}

# --- packages ----------------------------------------------------------------
is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

install_packages() {
    section "Packages"
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        echo "dpkg/apt-get not found: not a Debian system, skipping package installation."
        echo "Needed (Debian names): ${PACKAGES[*]}"
        return 0
    fi

    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        for pkg in "${NODE_PACKAGES[@]}"; do
            is_installed "$pkg" || missing+=("$pkg")
        done
    fi
    if (( ${#missing[@]} == 0 )); then
        echo "All ${#PACKAGES[@]} packages are installed."
        return 0
    fi
    echo "Missing packages: ${missing[*]}"

    # Root runs apt-get directly, anyone else through sudo.
    local -a sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 \
            || die "missing packages (${missing[*]}) and not root and no sudo: install them as root"
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
    # Debian's prometheus package starts a system-wide Prometheus on :9090;
    # the tests start their own, and deploy/observability/run.sh is the way
    # to run one against the nodes of this checkout.
    if [[ " ${missing[*]} " == *" prometheus "* ]] && [[ -d /run/systemd/system ]]; then
        echo "Stopping and disabling the prometheus service the package started."
        "${sudo[@]}" systemctl disable --now prometheus || true
    fi
}

# --- build -------------------------------------------------------------------
# configure_and_build DIR BUILD_TYPE [extra cmake args...] [-- targets...]
configure_and_build() {
    local dir=$1 type=$2
    shift 2
    local -a cmake_args=() targets=()
    while (( $# > 0 )); do
        if [[ "$1" == "--" ]]; then
            shift
            targets=("$@")
            break
        fi
        cmake_args+=("$1")
        shift
    done

    section "Configure ${dir#"$REPO_ROOT"/} ($type${cmake_args[*]:+ ${cmake_args[*]}})"
    cmake -S "$REPO_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="$type" "${cmake_args[@]}"

    section "Build ${dir#"$REPO_ROOT"/}${targets[*]:+ (targets: ${targets[*]})}"
    local -a target_args=()
    (( ${#targets[@]} == 0 )) || target_args=(--target "${targets[@]}")
    cmake --build "$dir" -j "$JOBS" "${target_args[@]}"
}

build_main() {
    configure_and_build "$BUILD_DIR" RelWithDebInfo -- "$@"
}

# --- tests -------------------------------------------------------------------
run_tests() {
    local failed=()

    build_main
    # The OpenAPI lint (label "lint") must run here, not be skipped for want
    # of node/npm (tests/openapi/lint.sh).
    export COMPTOIR_LINT_REQUIRED=1
    # Likewise the browser tests (label "browser", tests/web/run.sh).
    export COMPTOIR_BROWSER_REQUIRED=1
    section "Tests: all (build/)"
    if ! ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"; then
        failed+=("all tests in build/")
    fi

    # Sanitizer build: the unit and integration tests (the integration tests
    # start the ASan build of the server). halt_on_error makes UBSan findings
    # fail the test instead of just printing.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    configure_and_build "$ASAN_BUILD_DIR" Debug -DCOMPTOIR_SANITIZE=ON
    section "Tests: unit and integration, ASan+UBSan (build-asan/)"
    if ! ctest --test-dir "$ASAN_BUILD_DIR" --output-on-failure -j "$JOBS" -L 'unit|integration'; then
        failed+=("unit and integration tests in build-asan/")
    fi

    section "Fuzzing: ${FUZZ_SECONDS:-60} s per target (build-fuzz/)"
    if ! JOBS=$JOBS "$REPO_ROOT/fuzz/run.sh" "${FUZZ_SECONDS:-60}"; then
        failed+=("fuzzing (fuzz/run.sh)")
    fi

    section "Summary"
    if command -v ccache >/dev/null 2>&1; then
        echo "ccache (cumulative statistics):"
        ccache --show-stats 2>/dev/null | grep -iE 'hits|misses' | head -n 4 || true
    fi
    if (( ${#failed[@]} > 0 )); then
        printf 'FAILED: %s\n' "${failed[@]}"
        return 1
    fi
    echo "All tests passed."
}

# --- main --------------------------------------------------------------------
main() {
    local cmd=${1:-}
    (( $# == 0 )) || shift
    case "$cmd" in
        install)
            install_packages
            ;;
        build)
            install_packages
            build_main
            ;;
        test)
            install_packages
            run_tests
            ;;
        run)
            install_packages
            build_main comptoir
            section "Run: build/app/comptoir serve${*:+ ${*@Q}}"
            cd "$REPO_ROOT"
            exec "$BUILD_DIR/app/comptoir" serve "$@"
            ;;
        -h|--help|help)
            usage
            ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
