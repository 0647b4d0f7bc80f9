#!/usr/bin/env bash
# The gateway under load, in one sitting (issue 25):
#   1. checks per second of `cognito-jwt gateway`'s /auth against the axum
#      example server's GET /api/me (one verification per request each),
#      token cache off and on;
#   2. the latency nginx adds with auth_request to the gateway: nginx →
#      upstream against nginx → gateway → upstream (the upstream is the
#      axum example's /health, no verification), p50 and p99, at one
#      connection and at --connections.
# Figures are ratios (1) and differences (2) measured in one sitting.
#
# Everything runs on 127.0.0.1: local-issuer serves the pool's key set and
# prints the token. Servers (gateway, axum example, nginx; one worker
# thread or process each) are pinned to CPU 1, wrk to CPU 0, when the
# machine has two or more. Each round runs every case once, in a rotated
# order; the table reports the median over rounds.
#
# Usage, from anywhere in the repository:
#   benches/gateway/run.sh [--duration S] [--warmup S] [--rounds N] [--connections N] [--out FILE]
#   benches/gateway/run.sh --smoke     # 1 s per case, one round
# Defaults: --duration 10 --warmup 2 --rounds 3 --connections 32 (about
# 5 min of load after the builds). Needs wrk (apt-get install wrk), nginx,
# taskset and curl; builds with cargo (CARGO_TARGET_DIR, or target/).
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
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

for tool in wrk taskset curl "$nginx_bin"; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done

echo "building (release) ..." >&2
cargo build --release -q --locked -p cognito-jwt-cli --bin cognito-jwt
cargo build --release -q --locked -p cognito-jwt-examples --bin axum-server --bin local-issuer

if [ "$(nproc)" -ge 2 ]; then
    server_cpu=(taskset -c 1)
    load_cpu=(taskset -c 0)
    pinning="servers and nginx pinned to CPU 1 (one worker each), wrk to CPU 0"
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
start gateway-off env TOKEN_CACHE_MAX_BYTES=0 "$target/release/cognito-jwt" gateway
start gateway-on env TOKEN_CACHE_MAX_BYTES=67108864 "$target/release/cognito-jwt" gateway

# nginx with two servers: one straight to the upstream, one through
# auth_request to the gateway (the recipe's check and protected.conf).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
direct_port=$(free_port)
checked_port=$(free_port)
upstream=$(sed 's|^http://||' "$work/axum-off.url")
gateway=$(sed 's|^http://||' "$work/gateway-off.url")
cp cognito-jwt-cli/recipes/auth_common.conf cognito-jwt-cli/recipes/protected.conf "$work/"
cat > "$work/nginx.conf" <<EOT
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/client_body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    upstream cognito_jwt_gateway { server $gateway; keepalive 64; }
    upstream service { server $upstream; keepalive 64; }
    server {
        listen 127.0.0.1:$direct_port;
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://service;
        }
    }
    server {
        listen 127.0.0.1:$checked_port;
        location = /_auth {
            internal;
            proxy_pass http://cognito_jwt_gateway/auth?;
            include $work/auth_common.conf;
        }
        location / {
            auth_request /_auth;
            include $work/protected.conf;
        }
        location @auth_403 { return 403; }
        location @auth_500 { return 500; }
    }
}
EOT
"${server_cpu[@]}" "$nginx_bin" -p "$work" -c "$work/nginx.conf" 2> "$work/nginx.log" &
pids+=($!)
for port in "$direct_port" "$checked_port"; do
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
done

# Every check must let the token through and refuse it with one signature
# character changed (the tenth from the end); this also loads every key set.
i=$(( ${#USER_TOKEN} - 10 ))
c=${USER_TOKEN:$i:1}
tampered=${USER_TOKEN:0:$i}$([ "$c" = A ] && echo B || echo A)${USER_TOKEN:$((i + 1))}
check() { # check <url> <token> <expected status>
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$1")
    [ "$status" = "$3" ] || { echo "$1 answered $status, expected $3" >&2; exit 1; }
}
for server in axum-off axum-on; do
    check "$(cat "$work/$server.url")/api/me" "$USER_TOKEN" 200
    check "$(cat "$work/$server.url")/api/me" "$tampered" 401
done
for server in gateway-off gateway-on; do
    check "$(cat "$work/$server.url")/auth" "$USER_TOKEN" 200
    check "$(cat "$work/$server.url")/auth" "$tampered" 401
done
check "http://127.0.0.1:$checked_port/health" "$USER_TOKEN" 200
check "http://127.0.0.1:$checked_port/health" "$tampered" 401
check "http://127.0.0.1:$direct_port/health" "$USER_TOKEN" 200

# Percentile $2 (50%, 99%) from wrk's latency distribution, in ms.
percentile_ms() {
    awk -v p="$2" '$1 == p {
        v = $2
        if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
        printf "%.3f\n", v
    }' "$1"
}
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# name | url | connections | label
cases=(
    "axum-off|$(cat "$work/axum-off.url")/api/me|$connections|axum example /api/me, token cache off"
    "gateway-off|$(cat "$work/gateway-off.url")/auth|$connections|gateway /auth, token cache off"
    "axum-on|$(cat "$work/axum-on.url")/api/me|$connections|axum example /api/me, token cache on (64 MiB)"
    "gateway-on|$(cat "$work/gateway-on.url")/auth|$connections|gateway /auth, token cache on (64 MiB)"
    "nginx-1|http://127.0.0.1:$direct_port/health|1|nginx → upstream, 1 connection"
    "nginx-gw-1|http://127.0.0.1:$checked_port/health|1|nginx → gateway → upstream, 1 connection"
    "nginx-n|http://127.0.0.1:$direct_port/health|$connections|nginx → upstream, $connections connections"
    "nginx-gw-n|http://127.0.0.1:$checked_port/health|$connections|nginx → gateway → upstream, $connections connections"
)

header="Authorization: Bearer $USER_TOKEN"
echo "gateway: $rounds round(s) of ${#cases[@]} cases, wrk -t1, ${warmup}s warm-up + ${duration}s each" >&2
for round in $(seq "$rounds"); do
    for offset in $(seq 0 $((${#cases[@]} - 1))); do
        index=$(((round - 1 + offset) % ${#cases[@]}))
        IFS='|' read -r name url conns _ <<< "${cases[$index]}"
        if [ "$warmup" != 0 ]; then
            "${load_cpu[@]}" wrk -t1 -c"$conns" -d"${warmup}s" -H "$header" "$url" > /dev/null
        fi
        "${load_cpu[@]}" wrk -t1 -c"$conns" -d"${duration}s" --latency -H "$header" "$url" > "$work/wrk.txt"
        if grep -q -e "Non-2xx" -e "Socket errors" "$work/wrk.txt"; then
            cat "$work/wrk.txt" >&2
            echo "error: $name: failed requests (see above)" >&2
            exit 1
        fi
        awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt" >> "$work/$name.rps"
        percentile_ms "$work/wrk.txt" 50% >> "$work/$name.p50"
        percentile_ms "$work/wrk.txt" 99% >> "$work/$name.p99"
        printf '  round %s: %-12s %10s req/s, p50 %s ms, p99 %s ms\n' "$round" "$name" \
            "$(tail -n1 "$work/$name.rps")" "$(tail -n1 "$work/$name.p50")" "$(tail -n1 "$work/$name.p99")" >&2
    done
done

m() { median < "$work/$1.$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", a - b }'; }
{
    echo "Gateway, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)), load average $(cut -d' ' -f1-3 /proc/loadavg) after the runs"
    echo "$pinning; $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), -t1, ${warmup}s warm-up + ${duration}s per case, median of $rounds round(s); $("$nginx_bin" -v 2>&1 | cut -d' ' -f3)"
    echo "token: ${#USER_TOKEN} bytes, RS256 (RSA-2048), from local-issuer; key set on 127.0.0.1"
    echo
    echo "| checks, -c$connections | req/s | × axum example /api/me | p99 ms |"
    echo "|---|---:|---:|---:|"
    for pair in "axum-off axum-off" "gateway-off axum-off" "axum-on axum-on" "gateway-on axum-on"; do
        read -r name base <<< "$pair"
        for entry in "${cases[@]}"; do
            IFS='|' read -r n _ _ label <<< "$entry"
            [ "$n" = "$name" ] || continue
            printf '| %s | %.0f | %s | %s |\n' "$label" "$(m "$name" rps)" "$(ratio "$(m "$name" rps)" "$(m "$base" rps)")" "$(m "$name" p99)"
        done
    done
    echo
    echo "| nginx in front of an upstream | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms |"
    echo "|---|---:|---:|---:|---:|---:|"
    for pair in "nginx-1 nginx-1" "nginx-gw-1 nginx-1" "nginx-n nginx-n" "nginx-gw-n nginx-n"; do
        read -r name base <<< "$pair"
        for entry in "${cases[@]}"; do
            IFS='|' read -r n _ _ label <<< "$entry"
            [ "$n" = "$name" ] || continue
            printf '| %s | %.0f | %s | %s | %s | %s |\n' "$label" "$(m "$name" rps)" "$(m "$name" p50)" "$(m "$name" p99)" \
                "$(minus "$(m "$name" p50)" "$(m "$base" p50)")" "$(minus "$(m "$name" p99)" "$(m "$base" p99)")"
        done
    done
} | tee "${out:-/dev/null}"
