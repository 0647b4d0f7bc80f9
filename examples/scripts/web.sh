#!/usr/bin/env bash
# The whole system on this machine: the example web app (examples/web/) in a
# browser, a local Cognito user pool (cognito-local), and the axum example
# server verifying the pool's access tokens. Everything listens on 127.0.0.1.
#
#   bash examples/scripts/web.sh             # start it all, print the URL; Ctrl-C stops it all
#   bash examples/scripts/web.sh --install   # only install the pinned npm packages
#
# It installs cognito-local and playwright-core (pinned in
# web/package-lock.json) into web/node_modules on first use, starts
# cognito-local on a free port, creates a user pool and an app client there
# (web/pool.mjs), starts axum-server with that pool's variables (building it
# unless AXUM_SERVER_BIN names a binary), serves the pages and forwards /api/
# to the server (web/serve.mjs), and prints the URL. cognito-local writes
# the confirmation and password-reset codes to its log instead of mailing
# them; they are printed here as they come.
#
# Options:
#   --state-dir DIR  keep the logs and cognito-local's data in DIR and write
#                    DIR/stack.json once everything answers (the browser test
#                    reads it); default: a temporary directory, removed on exit
# Variables:
#   WEB_PORT         the pages' port (default: any free port)
#   AXUM_SERVER_BIN  an axum-server binary to run instead of building one
#
# Needs Node.js 20+ with npm, flock (util-linux) and, without
# AXUM_SERVER_BIN, the Rust toolchain. Every process it starts is stopped by
# its PID when it exits; Ctrl-C or SIGTERM exits 0, a service that stops on
# its own exits 1.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/examples/scripts/web"

fail() { echo "error: $*" >&2; exit 1; }

install_only=""
state=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --install) install_only=yes ;;
    --state-dir) state="${2:?--state-dir needs a directory}"; shift ;;
    *) fail "unknown argument '$1'; usage: web.sh [--install] [--state-dir DIR]" ;;
  esac
  shift
done

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || fail "Node.js 20 or later with npm is needed (Debian: apt-get install nodejs npm)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || fail "Node.js $(node --version) is too old: cognito-local and playwright-core need 20 or later"

# The pinned packages, installed again only when the lock file changes. The
# lock on package-lock.json keeps two runs from installing at once.
install_packages() {
  local want stamp="$dir/node_modules/.installed-lock-sha256"
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  (
    flock 9
    if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
      echo "installing cognito-local and playwright-core (pinned in $dir/package-lock.json)..." >&2
      (cd "$dir" && timeout 600 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) \
        || fail "npm ci in $dir failed"
      echo "$want" >"$stamp"
    fi
  ) 9<"$dir/package-lock.json"
}
install_packages
[[ -n "$install_only" ]] && exit 0

if [[ -z "${AXUM_SERVER_BIN:-}" ]]; then
  (cd "$root" && cargo build -q -p cognito-jwt-examples --bin axum-server --locked) \
    || fail "cargo build -p cognito-jwt-examples --bin axum-server failed"
  target="${CARGO_TARGET_DIR:-target}"
  [[ "$target" == /* ]] || target="$root/$target"
  AXUM_SERVER_BIN="$target/debug/axum-server"
fi
[[ -x "$AXUM_SERVER_BIN" ]] || fail "no axum-server binary at $AXUM_SERVER_BIN"

own_state=""
if [[ -z "$state" ]]; then
  state="$(mktemp -d)"
  own_state=yes
fi
mkdir -p "$state"
state="$(cd "$state" && pwd)"

cognito_pid="" api_pid="" pages_pid="" codes_pid=""

# stop PID...: SIGTERM, then SIGKILL for any still there after 5 s.
stop() {
  local pid
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=""
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=yes; done
    [[ -z "$alive" ]] && break
    sleep 0.1
  done
  for pid in "$@"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
cleanup() {
  local status=$? pid pids=()
  for pid in "$codes_pid" "$pages_pid" "$api_pid" "$cognito_pid"; do
    [[ -n "$pid" ]] && pids+=("$pid")
  done
  [[ ${#pids[@]} -gt 0 ]] && stop "${pids[@]}"
  if [[ -n "$own_state" && $status == 0 ]]; then
    rm -rf "$state"
  elif [[ -n "$own_state" ]]; then
    echo "the logs are kept in $state" >&2
  fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# wait_for FILE PATTERN PID SECONDS: the first line of FILE matching PATTERN
# (extended regex), while PID lives; fails after SECONDS.
wait_for() {
  local file="$1" pattern="$2" pid="$3" line
  for _ in $(seq 1 $(($4 * 10))); do
    line="$(grep -a -m1 -E "$pattern" "$file" 2>/dev/null || true)"
    [[ -n "$line" ]] && { echo "$line"; return 0; }
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# cognito-local reads HOST and PORT and names itself http://HOST:PORT in its
# tokens' iss. A free port may be taken before it binds: three tries.
mkdir -p "$state/cognito-local"
for attempt in 1 2 3; do
  cognito_port="$(free_port)"
  (cd "$state/cognito-local" && HOST=127.0.0.1 PORT="$cognito_port" \
    exec node "$dir/node_modules/cognito-local/lib/bin/start.js") >"$state/cognito-local.log" 2>&1 &
  cognito_pid=$!
  wait_for "$state/cognito-local.log" "Cognito Local running on" "$cognito_pid" 30 >/dev/null && break
  stop "$cognito_pid"
  cognito_pid=""
  [[ $attempt == 3 ]] && { cat "$state/cognito-local.log" >&2; fail "cognito-local did not start"; }
done
cognito_url="http://127.0.0.1:$cognito_port"

timeout 30 node "$dir/pool.mjs" "$cognito_url" >"$state/pool.json" \
  || fail "cannot create the user pool on cognito-local ($state/cognito-local.log)"
pool_field() { node -p "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'))[process.argv[2]]" "$state/pool.json" "$1"; }
pool_id="$(pool_field userPoolId)"
client_id="$(pool_field clientId)"
issuer="$(pool_field issuer)"

# A clean environment: only the pool's variables, whatever the caller's shell
# holds (a stray COGNITO_ISSUER_HOSTS beside COGNITO_ISSUER stops start-up).
env -i PATH="$PATH" RUST_LOG="${RUST_LOG:-info}" \
  COGNITO_USER_POOL_ID="$pool_id" COGNITO_CLIENT_ID="$client_id" COGNITO_TOKEN_USE=access \
  COGNITO_ISSUER="$issuer" COGNITO_JWKS_URI="$(pool_field jwksUri)" BIND_ADDR=127.0.0.1:0 \
  "$AXUM_SERVER_BIN" >"$state/axum-server.out" 2>"$state/axum-server.log" &
api_pid=$!
api_url="$(wait_for "$state/axum-server.out" "^listening on " "$api_pid" 30)" \
  || { cat "$state/axum-server.log" >&2; fail "axum-server did not start"; }
api_url="${api_url#listening on }"

node "$dir/serve.mjs" --root "$root/examples/web" --pool "$state/pool.json" --api "$api_url" \
  --port "${WEB_PORT:-0}" \
  --notice "A local user pool (cognito-local): the codes it would mail appear in the terminal running examples/scripts/web.sh." \
  >"$state/pages.out" 2>"$state/pages.log" &
pages_pid=$!
pages_url="$(wait_for "$state/pages.out" "^serving on " "$pages_pid" 30)" \
  || { cat "$state/pages.log" >&2; fail "the pages server did not start"; }
pages_url="${pages_url#serving on }/"

node "$dir/codes.mjs" "$state/cognito-local.log" &
codes_pid=$!

# What a test needs to drive the app, written whole once everything answers.
node -e '
  const fs = require("fs");
  const [state, pages, api, cognito, ...pids] = process.argv.slice(1);
  const pool = JSON.parse(fs.readFileSync(`${state}/pool.json`, "utf8"));
  const stack = { pages, api, cognito, ...pool, cognitoLog: `${state}/cognito-local.log`, pids: pids.map(Number) };
  fs.writeFileSync(`${state}/stack.json.tmp`, JSON.stringify(stack, null, 2) + "\n");
' "$state" "$pages_url" "$api_url" "$cognito_url" "$cognito_pid" "$api_pid" "$pages_pid" "$codes_pid"
mv "$state/stack.json.tmp" "$state/stack.json"

cognito_version="$(node -p "require(process.argv[1]).version" "$dir/node_modules/cognito-local/package.json")"
cat <<EOF
The cognito-jwt example app (nothing here reaches beyond 127.0.0.1)
  user pool  $pool_id, app client $client_id (cognito-local $cognito_version, $cognito_url)
  API        $api_url (axum-server, accepting the pool's access tokens; iss $issuer)
  pages      $pages_url (examples/web; /api/ forwarded to the API)
  logs       $state/{cognito-local,axum-server,pages}.log

Open $pages_url in a browser.
Codes: cognito-local writes each confirmation and password-reset code to its
log instead of mailing it; they appear below as they are sent.
Ctrl-C stops everything.

EOF

status=0
wait -n "$cognito_pid" "$api_pid" "$pages_pid" "$codes_pid" || status=$?
for name in cognito_pid api_pid pages_pid codes_pid; do
  if ! kill -0 "${!name}" 2>/dev/null; then
    echo "error: ${name%_pid} stopped (exit status $status); logs in $state" >&2
  fi
done
exit 1
