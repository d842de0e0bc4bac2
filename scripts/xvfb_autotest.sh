#!/usr/bin/env bash
# Runs `cargo run --example EXAMPLE -- --autotest OUT.png` in a real window under Xvfb, rendered
# by Mesa's software Vulkan (lavapipe), and the example checks its own screenshot:
# - editor (default): types a prompt, presses Generate, applies the sheet to its hero and checks
#   that the generated frame is on screen;
# - top_down: holds the arrow keys until the walker faces north-west, lets go and checks that
#   the screen shows the north-west row's frame, better than any other row's;
# - tilemap: paints a lake from the generated autotile set and checks every tile on screen.
# Then this script checks the PNG itself: it exists, has the window's size and is not blank.
#
# Usage: [EXAMPLE=top_down|tilemap] scripts/xvfb_autotest.sh [OUT.png] [extra cargo args, e.g. --release]
# Needs: xvfb, mesa-vulkan-drivers (CI installs them with .ci/install-system-packages).
set -euo pipefail
cd "$(dirname "$0")/.."

example="${EXAMPLE:-editor}"
case "$example" in
  editor) window=1100x640 ;;
  top_down) window=800x600 ;;
  tilemap) window=768x512 ;;
  *) echo "no autotest for example $example" >&2; exit 1 ;;
esac
out="${1:-${CARGO_TARGET_DIR:-target}/autotest/$example.png}"
shift || true
mkdir -p "$(dirname "$out")"
rm -f "$out"

icd=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n1 || true)
if [ -z "$icd" ]; then
  echo "no lavapipe ICD under /usr/share/vulkan/icd.d (install mesa-vulkan-drivers)" >&2
  exit 1
fi
export VK_ICD_FILENAMES="$icd" WGPU_BACKEND=vulkan
export RUST_LOG="${RUST_LOG:-warn,$example=info,bevy_dgx_pixels=info}"

cargo build "$@" --example "$example"
timeout 600 xvfb-run -a -s "-screen 0 1280x800x24" cargo run "$@" --example "$example" -- --autotest "$out"

python3 - "$out" "$window" <<'PY'
import struct, sys, zlib
path = sys.argv[1]
want = tuple(int(side) for side in sys.argv[2].split("x"))
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == want, f"screenshot is {width}x{height}, not the {sys.argv[2]} window"
idat, pos = b"", 8
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + length]
    pos += 12 + length
raw = zlib.decompress(idat)
distinct = len(set(raw[i:i + 3] for i in range(1, min(len(raw), 4_000_000), 4)))
assert distinct > 8, f"screenshot looks blank ({distinct} colours)"
print(f"screenshot {path}: {width}x{height}, {distinct}+ colours")
PY
