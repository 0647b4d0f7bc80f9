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

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# shellcheck source=benches/lib.sh
. benches/lib.sh
bench_options "$@"
target=${CARGO_TARGET_DIR:-$root/target}
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

for tool in wrk taskset curl "$nginx_bin"; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done

echo "building (release) ..." >&2
cargo build --release -q --locked -p cognito-jwt-cli --bin cognito-jwt
cargo build --release -q --locked -p cognito-jwt-examples --bin axum-server --bin local-issuer

bench_pinning "servers and nginx"
start_issuer

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
# character changed (see start_issuer); this also loads every key set.
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

wrk_rounds "gateway"

m() { median < "$work/$1.$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", a - b }'; }
{
    report_header "Gateway" "; $("$nginx_bin" -v 2>&1 | cut -d' ' -f3)"
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
