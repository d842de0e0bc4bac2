#!/usr/bin/env bash
# The assistant's game tools end to end, driven by the official MCP Python SDK (PyPI `mcp`)
# against a real game: the editor example with `--remote` (Bevy's remote protocol on loopback)
# in a real window under Xvfb, rendered by Mesa's software Vulkan (lavapipe), and
# `dgx-pixels mcp --stdio --game URL` started by the SDK as an assistant would.
# scripts/mcp/game_test.py runs generate → deploy → list → spawn at a position → screenshot and
# checks the sprite's pixels in the screenshot at that position, then the bad inputs.
#
#   scripts/mcp_game_test.sh            # builds the editor example and dgx-pixels with cargo first
#
# Needs: xvfb, mesa-vulkan-drivers (.ci/install-system-packages), python3 (the SDK goes into a
# virtualenv, see scripts/mcp/sdk_venv.sh). Exit status: 0 pass, 1 fail, 77 when the SDK cannot
# be set up.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=mcp/sdk_venv.sh
source "$repo/scripts/mcp/sdk_venv.sh"
setup_venv || exit $?

icd=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n1 || true)
[[ -n "$icd" ]] || { echo "mcp_game_test: no lavapipe ICD (install mesa-vulkan-drivers)" >&2; exit 1; }

target="${CARGO_TARGET_DIR:-$repo/target}"
(cd "$repo" && cargo build --quiet --example editor && cargo build --quiet -p dgx_pixels_server --bin dgx-pixels)

tmp="$(mktemp -d)"
game_pid=""
cleanup() {
    if [[ -n "$game_pid" ]]; then
        kill -- "-$game_pid" 2>/dev/null || true
        wait "$game_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# The game's project: a Cargo.toml (what deploy_to_bevy checks for) and a copy of the assets.
mkdir -p "$tmp/game"
printf '[package]\nname = "game"\n' >"$tmp/game/Cargo.toml"
cp -r "$repo/assets" "$tmp/game/assets"
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Its own process group, so the cleanup stops xvfb-run, Xvfb and the game together.
VK_ICD_FILENAMES="$icd" WGPU_BACKEND=vulkan BEVY_ASSET_ROOT="$tmp/game" RUST_LOG="${RUST_LOG:-warn}" \
    setsid xvfb-run -a -s "-screen 0 1280x800x24" "$target/debug/examples/editor" --remote "127.0.0.1:$port" \
    >"$tmp/game.log" 2>&1 &
game_pid=$!

if ! timeout 300 "$venv/bin/python" "$repo/scripts/mcp/game_test.py" --bin "$target/debug/dgx-pixels" \
    --game "http://127.0.0.1:$port" --project "$tmp/game" --tmp "$tmp" --out "$target/autotest/mcp_game.png"; then
    echo "mcp_game_test: FAILED; game log:" >&2
    tail -n 40 "$tmp/game.log" >&2
    exit 1
fi
