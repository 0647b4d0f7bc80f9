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

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# shellcheck source=benches/lib.sh
. benches/lib.sh
bench_options "$@"
target=${CARGO_TARGET_DIR:-$root/target}
peers_target=$target/peers

for tool in wrk taskset curl node npm; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed (wrk: apt-get install wrk)" >&2; exit 2; }
done

echo "building (release) ..." >&2
cargo build --release -q --locked -p cognito-jwt-examples --bin axum-server --bin actix-server --bin local-issuer
(cd benches/http/peers && CARGO_TARGET_DIR=$peers_target cargo build --release -q --locked)
(cd benches/node && npm ci --no-audit --no-fund --loglevel=error >&2)

bench_pinning "servers"
start_issuer

start axum-off env TOKEN_CACHE_MAX_BYTES=0 "$target/release/axum-server"
start axum-on env TOKEN_CACHE_MAX_BYTES=67108864 "$target/release/axum-server"
start actix "$target/release/actix-server"
start jwt-authorizer "$peers_target/release/jwt-authorizer-server"
start jsonwebtoken "$peers_target/release/jsonwebtoken-server"
start node node benches/node/http-server.mjs

aws_jwt_verify=$(node -p 'require("./benches/node/node_modules/aws-jwt-verify/package.json").version')
url_of() { echo "$(cat "$work/$1.url")$2"; }
# name | url | connections | label
cases=(
    "health|$(url_of axum-off /health)|$connections|axum example, /health (no verification: the HTTP ceiling)"
    "axum-off|$(url_of axum-off /api/me)|$connections|axum example, token cache off (the baseline)"
    "axum-on|$(url_of axum-on /api/me)|$connections|axum example, token cache on (64 MiB)"
    "actix|$(url_of actix /api/me)|$connections|actix example, token cache off"
    "jwt-authorizer|$(url_of jwt-authorizer /api/me)|$connections|jwt-authorizer 0.15 (axum 0.7, jsonwebtoken 9 on ring)"
    "jsonwebtoken|$(url_of jsonwebtoken /api/me)|$connections|hand-written axum 0.8 + jsonwebtoken 12 decode (aws-lc-rs)"
    "node|$(url_of node /api/me)|$connections|aws-jwt-verify $aws_jwt_verify + node:http (Node $(node --version))"
)

# Every server must accept the token (same user) and refuse it with one
# signature character changed (see start_issuer); this also loads every
# key set.
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

wrk_rounds "HTTP side by side"

base_rps=$(median < "$work/axum-off.rps")
base_p99=$(median < "$work/axum-off.p99")
{
    report_header "HTTP side by side" "; -c$connections"
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
