#!/usr/bin/env bash
# The walkthrough of README.md in one script: a local user pool
# (local-issuer), `cognito-jwt gateway` in GATEWAY_ANONYMOUS=allow mode,
# app.py (a Flask-style backend on Python's standard library) and nginx in
# front of it, all on 127.0.0.1. Stops everything on exit.
#
#   bash examples/gateway/run.sh           # serve on :8080 until Ctrl-C
#   bash examples/gateway/run.sh --smoke   # free ports, check every route, exit
#
# Needs python3 and nginx (Debian: /usr/sbin/nginx).
set -euo pipefail
cd "$(dirname "$0")/../.."
smoke=false
[ "${1:-}" = "--smoke" ] && smoke=true

nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
for program in python3 "$nginx_bin" curl; do
  if ! command -v "$program" >/dev/null 2>&1; then
    echo "SKIPPED: examples/gateway/run.sh: $program is not installed"
    # CI installs what its steps need: a skip there hides a missing step.
    [ "${CI:-}" = true ] && exit 1
    exit 0
  fi
done

dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if $smoke; then
  nginx_port=$(free_port) gateway_port=$(free_port) app_port=$(free_port)
else
  nginx_port=8080 gateway_port=8081 app_port=5000
fi

target=${CARGO_TARGET_DIR:-target}
cargo build -q -p cognito-jwt-cli --bin cognito-jwt
cargo build -q -p cognito-jwt-examples --bin local-issuer

# A local user pool: its key set, the COGNITO_* variables, two tokens.
"$target/debug/local-issuer" > "$dir/pool.env" 2>"$dir/issuer.log" &
pids+=($!)
until grep -q ADMIN_TOKEN "$dir/pool.env" 2>/dev/null; do sleep 0.1; done
# shellcheck disable=SC1091
. "$dir/pool.env"

GATEWAY_ANONYMOUS=allow BIND_ADDR="127.0.0.1:$gateway_port" \
  "$target/debug/cognito-jwt" gateway >"$dir/gateway.out" 2>"$dir/gateway.log" &
pids+=($!)
python3 examples/gateway/app.py "$app_port" >"$dir/app.out" 2>"$dir/app.log" &
pids+=($!)
sed -e "s|@NGINX@|127.0.0.1:$nginx_port|" -e "s|@GATEWAY@|127.0.0.1:$gateway_port|" \
    -e "s|@APP@|127.0.0.1:$app_port|" -e "s|@DIR@|$dir|g" \
    examples/gateway/nginx.conf > "$dir/nginx.conf"
cp cognito-jwt-cli/recipes/protected.conf "$dir/protected.conf"
"$nginx_bin" -p "$dir" -c "$dir/nginx.conf" &
pids+=($!)
for port in "$gateway_port" "$app_port" "$nginx_port"; do
  for _ in $(seq 300); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
done

base="http://127.0.0.1:$nginx_port"
if ! $smoke; then
  cat <<EOT
nginx        $base   (every request checked by the gateway)
gateway      http://127.0.0.1:$gateway_port   (GATEWAY_ANONYMOUS=allow)
app.py       http://127.0.0.1:$app_port

Try:
  curl -s $base/api/activities/home
  curl -s -H "Authorization: Bearer $USER_TOKEN" $base/api/activities/home
  curl -s -H "Authorization: Bearer $USER_TOKEN" $base/api/me
  curl -s -H "X-Auth-Sub: admin" $base/api/me
  curl -si -H "Authorization: Bearer $USER_TOKEN" $base/api/admin
  curl -s -H "Authorization: Bearer $ADMIN_TOKEN" $base/api/admin
Ctrl-C stops everything.
EOT
  wait
  exit 0
fi

failures=0
expect() { # expect <what> <status> <text in the body, or -> [curl arguments...]
  local what=$1 status=$2 text=$3
  shift 3
  local body code
  body=$(curl -s -w '\n%{http_code}' "$@")
  code=${body##*$'\n'}
  body=${body%$'\n'*}
  if [ "$code" != "$status" ] || { [ "$text" != - ] && [[ "$body" != *"$text"* ]]; }; then
    echo "FAILED: $what: got $code $body"
    failures=$((failures + 1))
  else
    echo "ok: $what: $code"
  fi
}
user=(-H "Authorization: Bearer $USER_TOKEN")
admin=(-H "Authorization: Bearer $ADMIN_TOKEN")
expect "home without a token: the public items" 200 '"signed_in_as": null' "$base/api/activities/home"
expect "home with alice's token: one more item" 200 'Welcome back, alice' "${user[@]}" "$base/api/activities/home"
expect "home with a forged token: refused" 401 - -H "Authorization: Bearer ${USER_TOKEN}x" "$base/api/activities/home"
expect "home with a spoofed X-Auth-Sub: still anonymous" 200 '"signed_in_as": null' -H "X-Auth-Sub: admin" -H "X-Auth-Username: admin" "$base/api/activities/home"
expect "me without a token" 401 - "$base/api/me"
expect "me with a spoofed X-Auth-Sub" 401 - -H "X-Auth-Sub: admin" "$base/api/me"
expect "me with alice's token" 200 '"username": "alice"' "${user[@]}" "$base/api/me"
expect "admin as alice" 403 - "${user[@]}" "$base/api/admin"
expect "admin as ada" 200 '"welcome": "ada"' "${admin[@]}" "$base/api/admin"
if [ "$failures" -gt 0 ]; then
  echo "$failures failed"; exit 1
fi
echo "9 passed, 0 failed"
