#!/usr/bin/env bash
# Interoperability with a real OpenID provider: panva's oidc-provider (npm,
# OpenID Certified), started on a free loopback port, mints a JWT access
# token (client credentials, RFC 9068) and an ID token (authorization code
# flow with PKCE) signed with each of RS256, PS256, ES256 and EdDSA;
# `cognito-jwt oidc verify` must accept each of them after OIDC discovery,
# and refuse a tampered token, a wrong audience and an algorithm it was not
# told to accept. With the provider's DPoP feature it also mints a
# DPoP-bound access token (`cnf.jkt`) and proofs for it: the CLI must accept
# it with its genuine proof (`--dpop-proof`), and refuse it as a bearer
# token, with a proof for another method, and with a proof made for another
# token. The same token and proof sent to `cognito-jwt gateway` (the
# provider as OIDC_ISSUER, DPoP on with PUBLIC_URL) are accepted once,
# refused when the identical proof is replayed, and refused as a bearer
# token.
#
#   bash examples/scripts/oidc-provider.sh
#
# Needs Node.js (20.19+) with npm, curl, and the Rust toolchain. Without Node it
# prints a SKIPPED line and exits 0. Set COGNITO_JWT_BIN to test a built
# binary instead of building cognito-jwt-cli here. Exit 0 when every check
# passed, 1 otherwise.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/examples/scripts/oidc-provider"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIPPED: Node.js is not installed; the oidc-provider interoperability test did not run"
  exit 0
fi

if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "SKIPPED: Node.js $(node --version) is older than 20.19, which oidc-provider 9 needs; the oidc-provider interoperability test did not run"
  exit 0
fi

fail() { echo "error: $*" >&2; exit 1; }

# The provider's packages, exactly as locked.
(cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2) \
  || fail "npm ci in $dir failed"

# The CLI, built once (not timed per check).
if [[ -z "${COGNITO_JWT_BIN:-}" ]]; then
  (cd "$root" && timeout 1200 cargo build -q -p cognito-jwt-cli --locked) \
    || fail "cargo build -p cognito-jwt-cli failed"
  COGNITO_JWT_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/cognito-jwt"
fi
[[ -x "$COGNITO_JWT_BIN" ]] || fail "no cognito-jwt binary at $COGNITO_JWT_BIN"

work="$(mktemp -d)"
provider_pid=""
gateway_pid=""
cleanup() {
  for pid in "$gateway_pid" "$provider_pid"; do
    if [[ -n "$pid" ]]; then
      kill "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Port 0: the provider takes a free loopback port and names it in "issuer".
# The timeout is a backstop for a provider left behind.
timeout 600 node "$dir/provider.mjs" "${PORT:-0}" >"$work/tokens.json" 2>"$work/provider.log" &
provider_pid=$!

for _ in $(seq 1 60); do
  [[ -s "$work/tokens.json" ]] && break
  kill -0 "$provider_pid" 2>/dev/null || break
  sleep 0.5
done
if [[ ! -s "$work/tokens.json" ]]; then
  cat "$work/provider.log" >&2
  fail "the provider printed no tokens within 30 s"
fi

field() { # field PATH...: a value of the tokens document
  node -e '
    let v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const k of process.argv.slice(2)) v = v[k];
    process.stdout.write(String(v));
  ' "$work/tokens.json" "$@"
}
issuer="$(field issuer)"

# The discovery document must answer before the checks.
discovered=""
for _ in $(seq 1 20); do
  if node -e '
    fetch(process.argv[1] + "/.well-known/openid-configuration", { signal: AbortSignal.timeout(2000) })
      .then((r) => r.json())
      .then((d) => process.exit(d.issuer === process.argv[1] && d.jwks_uri ? 0 : 1), () => process.exit(1));
  ' "$issuer"; then
    discovered=yes
    break
  fi
  sleep 0.5
done
[[ -n "$discovered" ]] || fail "no discovery document at $issuer within 10 s"
echo "provider: $issuer (oidc-provider $(node -p 'require(process.argv[1]).version' "$dir/node_modules/oidc-provider/package.json"), Node $(node --version))"

passed=0
failed=0
# check NAME WANT_EXIT ARGS...: run the CLI, compare its exit code.
check() {
  local name="$1" want="$2"
  shift 2
  local got
  timeout 30 "$COGNITO_JWT_BIN" oidc verify --issuer "$issuer" --allow-http "$@" \
    >"$work/out" 2>&1
  got=$?
  if [[ "$got" == "$want" ]]; then
    passed=$((passed + 1))
    printf 'ok    %-44s exit %s%s\n' "$name" "$got" "$([[ "$got" != 0 ]] && printf ': %s' "$(head -n1 "$work/out")")"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-44s exit %s, expected %s\n' "$name" "$got" "$want"
    sed 's/^/      /' "$work/out"
  fi
}

# The DPoP-bound token and its genuine proof through the gateway, first
# (the proof was made when the provider started, and is good for 60 s):
# accepted once, refused when replayed, refused as a bearer token.
dpop_at="$(field dpop token)"
dpop_aud="$(field dpop audience)"
dpop_url="$(field dpop url)"
dpop_origin="$(printf '%s' "$dpop_url" | sed -E 's#^(https?://[^/]+).*#\1#')"
dpop_path="${dpop_url#"$dpop_origin"}"
env -i PATH="$PATH" OIDC_ISSUER="$issuer" OIDC_AUDIENCE="$dpop_aud" OIDC_ALGORITHMS=ES256 \
  PUBLIC_URL="$dpop_origin" BIND_ADDR=127.0.0.1:0 \
  timeout 300 "$COGNITO_JWT_BIN" gateway --allow-http --access-token-profile >"$work/gateway.out" 2>"$work/gateway.log" &
gateway_pid=$!
gateway=""
for _ in $(seq 1 100); do
  gateway="$(sed -n 's#^listening on \(http://.*\)$#\1#p' "$work/gateway.out")"
  [[ -n "$gateway" ]] && [[ "$(curl -s -o /dev/null -w '%{http_code}' "$gateway/ready")" == 200 ]] && break
  kill -0 "$gateway_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$gateway" ]] || [[ "$(curl -s -o /dev/null -w '%{http_code}' "$gateway/ready")" != 200 ]]; then
  cat "$work/gateway.log" >&2
  fail "the gateway did not get ready with the provider's key set within 10 s"
fi
# gate NAME WANT_STATUS CURL_ARGS...: ask the gateway as a proxy would.
gate() {
  local name="$1" want="$2"
  shift 2
  local got
  got="$(curl -s -o "$work/out" -D "$work/headers" -w '%{http_code}' \
    -H "X-Forwarded-Method: GET" -H "X-Forwarded-Uri: $dpop_path" "$@" "$gateway/auth")"
  if [[ "$got" == "$want" ]]; then
    passed=$((passed + 1))
    printf 'ok    %-44s HTTP %s%s\n' "$name" "$got" "$(grep -i '^www-authenticate:' "$work/headers" | grep -o 'error="[a-z_]*"' | sed 's/^/: /')"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-44s HTTP %s, expected %s\n' "$name" "$got" "$want"
    sed 's/^/      /' "$work/headers" "$work/out"
  fi
}
dpop_proof="$(field dpop proof)"
gate "gateway: DPoP-bound token with its proof" 200 \
  -H "Authorization: DPoP $dpop_at" -H "DPoP: $dpop_proof"
gate "gateway: the same proof again (replay)" 401 \
  -H "Authorization: DPoP $dpop_at" -H "DPoP: $dpop_proof"
gate "gateway: DPoP-bound token as a bearer token" 401 \
  -H "Authorization: Bearer $dpop_at"
kill "$gateway_pid" 2>/dev/null
wait "$gateway_pid" 2>/dev/null
gateway_pid=""

# The same token with sub changed to mallory, its signature kept.
tamper() {
  node -e '
    const [h, p, s] = process.argv[1].split(".");
    const claims = JSON.parse(Buffer.from(p, "base64url"));
    claims.sub = "mallory";
    process.stdout.write([h, Buffer.from(JSON.stringify(claims)).toString("base64url"), s].join("."));
  ' "$1"
}

for alg in RS256 PS256 ES256 EdDSA; do
  other=RS256
  [[ "$alg" == RS256 ]] && other=ES256

  at="$(field access_tokens "$alg" token)"
  resource="$(field access_tokens "$alg" audience)"
  check "$alg access token (client credentials)" 0 \
    --access-token-profile --audience "$resource" --algorithm "$alg" "$at"
  check "$alg access token, tampered" 1 \
    --access-token-profile --audience "$resource" --algorithm "$alg" "$(tamper "$at")"
  check "$alg access token, wrong audience" 1 \
    --access-token-profile --audience https://api.example.test/other --algorithm "$alg" "$at"
  check "$alg access token, only $other accepted" 1 \
    --access-token-profile --audience "$resource" --algorithm "$other" "$at"

  idt="$(field id_tokens "$alg" token)"
  client="$(field id_tokens "$alg" audience)"
  check "$alg ID token (authorization code)" 0 \
    --audience "$client" --algorithm "$alg" "$idt"
  check "$alg ID token, tampered" 1 \
    --audience "$client" --algorithm "$alg" "$(tamper "$idt")"
  check "$alg ID token, wrong audience" 1 \
    --audience web-other --algorithm "$alg" "$idt"
  check "$alg ID token, as an access token" 1 \
    --access-token-profile --audience "$client" --algorithm "$alg" "$idt"
done

dpop() { # dpop NAME WANT_EXIT ARGS...: the bound token with ARGS
  local name="$1" want="$2"
  shift 2
  check "$name" "$want" --access-token-profile --audience "$dpop_aud" --algorithm ES256 "$@" "$dpop_at"
}
dpop "DPoP-bound access token with its proof" 0 \
  --dpop-proof "$(field dpop proof)" --method GET --url "$dpop_url"
dpop "DPoP-bound access token as a bearer token" 1
dpop "DPoP-bound, proof for another method" 1 \
  --dpop-proof "$(field dpop proof_for_post)" --method GET --url "$dpop_url"
dpop "DPoP-bound, proof for another token (ath)" 1 \
  --dpop-proof "$(field dpop proof_for_another_token)" --method GET --url "$dpop_url"
dpop "DPoP-bound, proof for another URL" 1 \
  --dpop-proof "$(field dpop proof)" --method GET --url "https://api.example.test/admin"

echo "$passed passed, $failed failed"
[[ "$failed" == 0 ]]
