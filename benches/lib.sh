# What benches/http/run.sh and benches/gateway/run.sh share: their options,
# CPU pinning, a scratch directory and the processes it holds (stopped on
# exit), the key-set server, starting an example server, the tampered
# token, the wrk rounds and the report's first lines. Sourced, after
# `set -euo pipefail`, from the repository root.

# Options: --duration S, --warmup S, --rounds N, --connections N, --out FILE,
# --smoke (1 s per case, one round). Sets the variables of the same names.
bench_options() {
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
}

# Servers on CPU 1, the load generator (and the key-set server) on CPU 0,
# when there are two CPUs: sets server_cpu, load_cpu, and pinning (for the
# report; $1 names what is pinned to CPU 1).
bench_pinning() {
    if [ "$(nproc)" -ge 2 ]; then
        server_cpu=(taskset -c 1)
        load_cpu=(taskset -c 0)
        pinning="$1 pinned to CPU 1 (one worker each), wrk to CPU 0"
    else
        server_cpu=()
        load_cpu=()
        pinning="one CPU: servers and wrk share it (no pinning)"
    fi
}

# A scratch directory ($work) and the processes started in it ($pids),
# stopped and removed on exit.
work=$(mktemp -d)
pids=()
bench_cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap bench_cleanup EXIT

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

# local-issuer, serving the pool's key set; its variables (USER_TOKEN,
# COGNITO_*) are exported here. Sets tampered: USER_TOKEN with one
# signature character changed, the tenth from the end (the last one carries
# only two bits of the signature, and a lenient base64url decoder ignores
# the other four, so changing only those would not alter the signature).
start_issuer() {
    "${load_cpu[@]}" "$target/release/local-issuer" > "$work/pool.env" 2> "$work/issuer.log" &
    pids+=($!)
    wait_for "$work/pool.env" "^export ADMIN_TOKEN="
    # shellcheck disable=SC1091
    . "$work/pool.env"
    local i=$((${#USER_TOKEN} - 10))
    local c=${USER_TOKEN:$i:1}
    tampered=${USER_TOKEN:0:$i}$([ "$c" = A ] && echo B || echo A)${USER_TOKEN:$((i + 1))}
}

# Start server $1 with command "${@:2}", configured for the pool; its URL
# goes to $work/$1.url.
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

# Percentile $2 (50%, 99%) from wrk's latency distribution in file $1, in ms.
percentile_ms() {
    awk -v p="$2" '$1 == p {
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

# Run every entry of the array `cases` ("name|url|connections|label") once
# per round, in a rotated order so that a drifting machine affects all
# alike: a wrk warm-up, then the measured run with the user's token. Each
# run's req/s, p50 and p99 go to $work/<name>.rps, .p50 and .p99; any
# failed request stops the script. $1 names the runs in the progress lines.
wrk_rounds() {
    local header="Authorization: Bearer $USER_TOKEN"
    local round offset index name url conns
    echo "$1: $rounds round(s) of ${#cases[@]} cases, wrk -t1, ${warmup}s warm-up + ${duration}s each" >&2
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
            printf '  round %s: %-15s %10s req/s, p50 %s ms, p99 %s ms\n' "$round" "$name" \
                "$(tail -n1 "$work/$name.rps")" "$(tail -n1 "$work/$name.p50")" "$(tail -n1 "$work/$name.p99")" >&2
        done
    done
}

# The report's first lines: $1 the title, $2 what follows the wrk
# settings on the third line (may be empty).
report_header() {
    echo "$1, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)), load average $(cut -d' ' -f1-3 /proc/loadavg) after the runs"
    echo "$pinning; $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), -t1, ${warmup}s warm-up + ${duration}s per case, median of $rounds round(s)$2"
    echo "token: ${#USER_TOKEN} bytes, RS256 (RSA-2048), from local-issuer; key set on 127.0.0.1"
}
