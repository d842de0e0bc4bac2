#!/usr/bin/env bash
# Job-status reads: our server vs nginx serving the same JSON as a static file, in one run.
#
# Usage: scripts/bench_server.sh [DURATION_SECONDS] [CONNECTIONS]
# Needs: wrk and nginx (installed from apt if missing); builds dgx-pixels in release.
# Everything listens on 127.0.0.1 only. Results go to stdout; copy them into BENCHMARKS.md.
set -euo pipefail

DURATION="${1:-10}"
CONNECTIONS="${2:-64}"
THREADS=2
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/dgx-pixels/target}"

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    apt-get install -y wrk nginx >/dev/null
fi
cargo build --release -q -p dgx_pixels_server 2>/dev/null
BIN="$CARGO_TARGET_DIR/release/dgx-pixels"

WORK="$(mktemp -d)"
chmod 755 "$WORK" # nginx workers run as an unprivileged user
SERVER_PID=""
NGINX_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# Our server on a free port, one completed 4-frame job to read.
"$BIN" serve --bind 127.0.0.1:0 --data-dir "$WORK/data" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/serve.out" && break; sleep 0.1; done
URL="$(sed -n 's/^listening on //p' "$WORK/serve.out")"
JOB="$(curl -sf -X POST "$URL/api/v1/generate" -d '{"prompt":"red knight, walk cycle","frames":4,"seed":1}' \
    | sed -E 's/.*"job_id":"([^"]+)".*/\1/')"
for _ in $(seq 100); do
    curl -sf "$URL/api/v1/jobs/$JOB" | grep -q '"status":"completed"' && break
    sleep 0.1
done
mkdir -p "$WORK/www"
curl -sf "$URL/api/v1/jobs/$JOB" >"$WORK/www/job.json"

# nginx serving the very same bytes, as many workers as cores.
NGINX_PORT=18787
cat >"$WORK/nginx.conf" <<CONF
worker_processes $(nproc);
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 4096; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / { root $WORK/www; default_type application/json; }
    }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NGINX_PORT/job.json" >/dev/null && break; sleep 0.1; done
cmp <(curl -sf "http://127.0.0.1:$NGINX_PORT/job.json") "$WORK/www/job.json"

echo "body: $(wc -c <"$WORK/www/job.json") bytes; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency; $(nproc) cores"
run() {
    local name="$1" url="$2"
    local out rps p99
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url")"
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    printf '%-12s %12s req/s   p99 %s\n' "$name" "$rps" "$p99"
}
# Alternate, so a neighbour's load hits both sides alike.
for round in 1 2; do
    echo "round $round"
    run dgx-pixels "$URL/api/v1/jobs/$JOB"
    run nginx "http://127.0.0.1:$NGINX_PORT/job.json"
done
