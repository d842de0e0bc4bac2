#!/usr/bin/env bash
# Drives the MCP endpoint with the official MCP Python SDK (PyPI `mcp`), a client we did not
# write: starts `dgx-pixels serve` on loopback with a token and `--allow-root`, runs
# scripts/mcp/client_test.py against /mcp (and against `dgx-pixels mcp --stdio`), stops the server.
#
#   scripts/mcp_test.sh                 # builds dgx-pixels with cargo first
#   DGX_PIXELS_BIN=path/to/dgx-pixels scripts/mcp_test.sh
#
# The SDK goes into a virtualenv outside the repository, $DGX_PIXELS_MCP_VENV (default
# ~/.cache/dgx-pixels/mcp-venv), created and filled from PyPI on first use.
# Exit status: 0 pass, 1 fail, 77 when Python or the SDK cannot be set up (no python3, no
# network to PyPI): server/tests/mcp.rs skips then, unless $CI is set.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=mcp/sdk_venv.sh
source "$repo/scripts/mcp/sdk_venv.sh"
setup_venv || exit $?

bin="${DGX_PIXELS_BIN:-}"
if [[ -z "$bin" ]]; then
    (cd "$repo" && cargo build --quiet -p dgx_pixels_server --bin dgx-pixels)
    bin="${CARGO_TARGET_DIR:-$repo/target}/debug/dgx-pixels"
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$venv/bin/python" "$repo/scripts/mcp/client_test.py" fixtures "$tmp"
token="mcp-test-$RANDOM$RANDOM"
RUST_LOG=warn DGX_PIXELS_TOKEN="$token" "$bin" serve --bind 127.0.0.1:0 --data-dir "$tmp/data" \
    --allow-root "$tmp/root" --game http://127.0.0.1:9 >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!

addr=""
for _ in $(seq 1 300); do
    addr="$(sed -n 's|^listening on http://||p' "$tmp/serve.out" | head -n 1)"
    [[ -n "$addr" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "mcp_test: server exited:" >&2; cat "$tmp/serve.err" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$addr" ]] || { echo "mcp_test: server did not start in 30 s" >&2; cat "$tmp/serve.err" >&2; exit 1; }

if ! timeout 300 "$venv/bin/python" "$repo/scripts/mcp/client_test.py" \
    --url "http://$addr/mcp" --token "$token" --tmp "$tmp" --bin "$bin"; then
    echo "mcp_test: FAILED; server log:" >&2
    tail -n 40 "$tmp/serve.err" >&2
    exit 1
fi
