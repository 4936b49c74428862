# Process helpers shared by the scripts that start servers (the load-test
# benchmarks, the monitoring kit's end-to-end test); sourced, not run.
# The sourcing script defines say MESSAGE (its own log line).
# shellcheck shell=bash

# stop_pid PID SECONDS: SIGTERM, wait, then SIGKILL. Only our own children.
stop_pid() {
    local pid=$1 wait_s=$2 i
    [[ -n "$pid" ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < wait_s * 10; i++ )); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    say "pid $pid did not stop in ${wait_s}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# free_port: a loopback TCP port that was free a moment ago.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
