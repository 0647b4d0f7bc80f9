#!/usr/bin/env bash
# Lambda cold start, side by side: time from spawning an authorizer to its
# first answered invocation, and its peak RSS, for the Rust
# `apigw-authorizer` and an aws-jwt-verify authorizer on Node
# (benches/node/authorizer.mjs), each with the key set bundled, and fetched
# at init from 127.0.0.1 over HTTP and over HTTPS (a test CA made at start-up,
# trusted through SSL_CERT_FILE by Rust and NODE_EXTRA_CA_CERTS by Node);
# and `webpki-authorizer`, the same Rust init with compiled-in roots beside
# the platform's store. The `cold-start` binary of cognito-jwt-benches is
# the Lambda Runtime API for all of them and does the timing; see its docs.
#
# Usage, from anywhere in the repository:
#   benches/cold-start/run.sh [--rounds N]   # default 20 rounds (about 2 min)
#   benches/cold-start/run.sh --smoke        # 2 rounds: checks that it all works
# The first row is the floor: `noop-authorizer`, the same Lambda runtime
# answering Allow without verifying anything.
# Builds with cargo (CARGO_TARGET_DIR, or target/) and installs the Node
# authorizer's dependencies with npm ci.
set -euo pipefail

rounds=20
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --smoke) rounds=2; shift ;;
        *) echo "unknown argument $1; see the usage at the top of $0" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
command -v node >/dev/null || { echo "node is not installed" >&2; exit 2; }

echo "building (release) ..." >&2
cargo build --release -q --locked -p cognito-jwt-examples --bin apigw-authorizer
cargo build --release -q --locked -p cognito-jwt-benches --bin cold-start --bin noop-authorizer \
    --bin webpki-authorizer
(cd benches/node && npm ci --no-audit --no-fund --loglevel=error >&2)

echo "Lambda cold start side by side, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)), load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs; Node $(node --version), not pinned"
"$target/release/cold-start" --rust "$target/release/apigw-authorizer" \
    --noop "$target/release/noop-authorizer" --webpki "$target/release/webpki-authorizer" \
    --node-script benches/node/authorizer.mjs --node "$(command -v node)" --rounds "$rounds"
