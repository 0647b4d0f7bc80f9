#!/usr/bin/env bash
# HTTP side by side: requests/s and p99 latency of GET /api/me (one token
# verification per request) on the axum example (token cache off and on),
# the actix example, jwt-authorizer, a hand-written axum + jsonwebtoken
# middleware and Node (aws-jwt-verify behind node:http), all verifying the
# same token against the same key set; plus the axum example's /health (no
# verification) as the HTTP ceiling. Figures are ratios to the axum example
# with the token cache off, measured in one sitting.
#
# Everything runs on 127.0.0.1: local-issuer serves the pool's key set and
# prints the token; each server fetches the key set from it. The servers
# run pinned to one CPU, wrk (Debian's package: apt-get install wrk) to
# another, when the machine has two or more. Each round runs every case
# once (a wrk warm-up, then the measured wrk run), in a rotated order, so
# that a drifting machine affects all cases alike; the table reports the
# median over rounds.
#
# Usage, from anywhere in the repository:
#   benches/http/run.sh [--duration S] [--warmup S] [--rounds N] [--connections N] [--out FILE]
#   benches/http/run.sh --smoke     # 1 s per case, one round: checks that it all works
# Defaults: --duration 10 --warmup 2 --rounds 3 --connections 32 (about
# 4 min of load after the builds). Builds with cargo (CARGO_TARGET_DIR, or
# target/; the peers in $CARGO_TARGET_DIR/peers) and installs the Node peer
# with npm ci.
set -euo pipefail

duration=10
warmup=2
rounds=3
connections=32
out=
while [ $# -gt 0 ]; do
    case $1 in
        --duration) duration=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --smoke) duration=1; warmup=0; rounds=1; shift ;;
        *) echo "unknown argument $1; see the usage at the top of $0" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
peers_target=$target/peers

for tool in wrk taskset curl node npm; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed (wrk: apt-get install wrk)" >&2; exit 2; }
done

echo "building (release) ..." >&2
cargo build --release -q --locked -p cognito-jwt-examples --bin axum-server --bin actix-server --bin local-issuer
(cd benches/http/peers && CARGO_TARGET_DIR=$peers_target cargo build --release -q --locked)
(cd benches/node && npm ci --no-audit --no-fund --loglevel=error >&2)

# Servers on CPU 1, the load generator (and the key-set server) on CPU 0.
if [ "$(nproc)" -ge 2 ]; then
    server_cpu=(taskset -c 1)
    load_cpu=(taskset -c 0)
    pinning="servers pinned to CPU 1 (one worker thread each), wrk to CPU 0"
else
    server_cpu=()
    load_cpu=()
    pinning="one CPU: servers and wrk share it (no pinning)"
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Wait until file $1 has a line matching $2.
wait_for() {
    for _ in $(seq 200); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "timed out waiting for '$2' in $1:" >&2
    cat "$1" "${1%.out}.log" >&2 2>/dev/null || true
    exit 1
}

"${load_cpu[@]}" "$target/release/local-issuer" > "$work/pool.env" 2> "$work/issuer.log" &
pids+=($!)
wait_for "$work/pool.env" "^export ADMIN_TOKEN="
# shellcheck disable=SC1091
. "$work/pool.env"

# Start server $1 with command "${@:2}"; its URL goes to $work/$1.url.
start() {
    local name=$1
    shift
    BIND_ADDR=127.0.0.1:0 RUST_LOG=warn TOKIO_WORKER_THREADS=1 \
        COGNITO_USER_POOL_ID=$COGNITO_USER_POOL_ID COGNITO_CLIENT_ID=$COGNITO_CLIENT_ID \
        COGNITO_TOKEN_USE=access COGNITO_JWKS_URI=$COGNITO_JWKS_URI \
        "${server_cpu[@]}" "$@" > "$work/$name.out" 2> "$work/$name.log" &
    pids+=($!)
    wait_for "$work/$name.out" "^listening on "
    sed -n 's/^listening on //p' "$work/$name.out" | head -n1 > "$work/$name.url"
}

start axum-off env TOKEN_CACHE_MAX_BYTES=0 "$target/release/axum-server"
start axum-on env TOKEN_CACHE_MAX_BYTES=67108864 "$target/release/axum-server"
start actix "$target/release/actix-server"
start jwt-authorizer "$peers_target/release/jwt-authorizer-server"
start jsonwebtoken "$peers_target/release/jsonwebtoken-server"
start node node benches/node/http-server.mjs

aws_jwt_verify=$(node -p 'require("./benches/node/node_modules/aws-jwt-verify/package.json").version')
# name | server | route | label
cases=(
    "health|axum-off|/health|axum example, /health (no verification: the HTTP ceiling)"
    "axum-off|axum-off|/api/me|axum example, token cache off (the baseline)"
    "axum-on|axum-on|/api/me|axum example, token cache on (64 MiB)"
    "actix|actix|/api/me|actix example, token cache off"
    "jwt-authorizer|jwt-authorizer|/api/me|jwt-authorizer 0.15 (axum 0.7, jsonwebtoken 9 on ring)"
    "jsonwebtoken|jsonwebtoken|/api/me|hand-written axum 0.8 + jsonwebtoken 12 decode (aws-lc-rs)"
    "node|node|/api/me|aws-jwt-verify $aws_jwt_verify + node:http (Node $(node --version))"
)

# Every server must accept the token (same user) and refuse it with one
# signature character changed; this also loads every key set. The changed
# character is the tenth from the end: the last one carries only two bits
# of the signature, and a lenient base64url decoder (Node's Buffer) ignores
# the other four, so changing only those would not alter the signature.
i=$(( ${#USER_TOKEN} - 10 ))
c=${USER_TOKEN:$i:1}
tampered=${USER_TOKEN:0:$i}$([ "$c" = A ] && echo B || echo A)${USER_TOKEN:$((i + 1))}
expected_sub=
for server in axum-off axum-on actix jwt-authorizer jsonwebtoken node; do
    url=$(cat "$work/$server.url")
    body=$(curl -fsS -H "Authorization: Bearer $USER_TOKEN" "$url/api/me") || {
        echo "$server refused the token:" >&2; cat "$work/$server.log" >&2; exit 1; }
    sub=$(printf '%s' "$body" | sed -n 's/.*"sub":"\([^"]*\)".*/\1/p')
    [ -n "$sub" ] && { [ -z "$expected_sub" ] || [ "$sub" = "$expected_sub" ]; } || {
        echo "$server answered $body" >&2; exit 1; }
    expected_sub=$sub
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tampered" "$url/api/me")
    case $status in
        401|403) ;;
        *) echo "$server answered $status to a tampered token" >&2; exit 1 ;;
    esac
done

# p99 from wrk's latency distribution, in ms.
p99_ms() {
    awk '/^ +99%/ {
        v = $2
        if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
        printf "%.3f\n", v
    }' "$1"
}

# Median of the numbers on stdin (the lower middle for an even count).
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

header="Authorization: Bearer $USER_TOKEN"
echo "HTTP side by side: $rounds round(s) of ${#cases[@]} cases, wrk -t1 -c$connections, ${warmup}s warm-up + ${duration}s each" >&2
for round in $(seq "$rounds"); do
    for offset in $(seq 0 $((${#cases[@]} - 1))); do
        index=$(((round - 1 + offset) % ${#cases[@]}))
        IFS='|' read -r name server route _ <<< "${cases[$index]}"
        url=$(cat "$work/$server.url")$route
        if [ "$warmup" != 0 ]; then
            "${load_cpu[@]}" wrk -t1 -c"$connections" -d"${warmup}s" -H "$header" "$url" > /dev/null
        fi
        "${load_cpu[@]}" wrk -t1 -c"$connections" -d"${duration}s" --latency -H "$header" "$url" > "$work/wrk.txt"
        if grep -q -e "Non-2xx" -e "Socket errors" "$work/wrk.txt"; then
            cat "$work/wrk.txt" >&2
            echo "error: $name: failed requests (see above)" >&2
            exit 1
        fi
        awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt" >> "$work/$name.rps"
        p99_ms "$work/wrk.txt" >> "$work/$name.p99"
        printf '  round %s: %-15s %10s req/s, p99 %s ms\n' "$round" "$name" \
            "$(tail -n1 "$work/$name.rps")" "$(tail -n1 "$work/$name.p99")" >&2
    done
done

base_rps=$(median < "$work/axum-off.rps")
base_p99=$(median < "$work/axum-off.p99")
{
    echo "HTTP side by side, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)), load average $(cut -d' ' -f1-3 /proc/loadavg) after the runs"
    echo "$pinning; $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), -t1 -c$connections, ${warmup}s warm-up + ${duration}s per case, median of $rounds round(s)"
    echo "token: ${#USER_TOKEN} bytes, RS256 (RSA-2048), from local-issuer; key set on 127.0.0.1"
    echo
    echo "| server | req/s | × axum example | p99 ms | × axum example |"
    echo "|---|---:|---:|---:|---:|"
    for entry in "${cases[@]}"; do
        IFS='|' read -r name _ _ label <<< "$entry"
        rps=$(median < "$work/$name.rps")
        p99=$(median < "$work/$name.p99")
        awk -v label="$label" -v rps="$rps" -v p99="$p99" -v brps="$base_rps" -v bp99="$base_p99" \
            'BEGIN { printf "| %s | %.0f | %.2f | %.2f | %.2f |\n", label, rps, rps / brps, p99, p99 / bp99 }'
    done
} | tee ${out:+"$out"}
