#!/usr/bin/env bash
# HTTP load figure for the axum example server: requests/s for /health (no
# auth) and /api/me (one verification per request), with and without the
# verifier's token cache. Everything runs on 127.0.0.1 against a local
# issuer; nothing else is contacted.
#
# Needs wrk (Debian: apt-get install wrk). Usage, from the repository root:
#   examples/scripts/http-load.sh [duration, default 10s] [connections, default 32]
set -euo pipefail

duration=${1:-10s}
connections=${2:-32}
target=${CARGO_TARGET_DIR:-target}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
cargo build --release -q -p cognito-jwt-examples --bin axum-server --bin local-issuer

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Wait until $1 has $2 lines.
wait_for_lines() {
    for _ in $(seq 100); do
        [ "$(wc -l < "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    echo "timed out waiting for $1" >&2
    exit 1
}

"$target/release/local-issuer" > "$work/pool.env" 2> "$work/issuer.log" &
pids+=($!)
wait_for_lines "$work/pool.env" 5
# shellcheck disable=SC1091
. "$work/pool.env"

echo "wrk -t2 -c$connections -d$duration, axum-server in release, RUST_LOG=warn"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs"
printf '%-12s %-8s %12s %14s\n' "token cache" "route" "requests/s" "latency avg"
for cache in 0 67108864; do
    BIND_ADDR=127.0.0.1:0 RUST_LOG=warn TOKEN_CACHE_MAX_BYTES=$cache \
        COGNITO_USER_POOL_ID=$COGNITO_USER_POOL_ID COGNITO_CLIENT_ID=$COGNITO_CLIENT_ID COGNITO_TOKEN_USE=access \
        COGNITO_JWKS_URI=$COGNITO_JWKS_URI \
        "$target/release/axum-server" > "$work/server-$cache.out" 2> "$work/server-$cache.log" &
    server=$!
    pids+=("$server")
    wait_for_lines "$work/server-$cache.out" 1
    url=$(sed -n 's/^listening on //p' "$work/server-$cache.out")
    # One verified request first, so that the key set is loaded.
    curl -fsS -o /dev/null -H "Authorization: Bearer $USER_TOKEN" "$url/api/me"
    label=$([ "$cache" = 0 ] && echo off || echo "$cache")
    for route in /health /api/me; do
        wrk -t2 -c"$connections" -d"$duration" -H "Authorization: Bearer $USER_TOKEN" \
            "$url$route" > "$work/wrk.txt"
        if grep -q "Non-2xx" "$work/wrk.txt"; then
            cat "$work/wrk.txt" >&2
            echo "error: non-2xx answers on $route" >&2
            exit 1
        fi
        rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")
        latency=$(awk '/Latency/ {print $2; exit}' "$work/wrk.txt")
        printf '%-12s %-8s %12s %14s\n' "$label" "$route" "$rps" "$latency"
    done
    kill -TERM "$server"
    wait "$server" || true
done
