#!/usr/bin/env bash
# Runs `cargo run --example editor -- --autotest OUT.png` in a real window under Xvfb, rendered
# by Mesa's software Vulkan (lavapipe): the editor types a prompt, presses Generate, applies the
# sheet to its hero, screenshots the window and checks that the generated frame is on screen.
# Then this script checks the PNG itself: it exists, has the window's size and is not blank.
#
# Usage: scripts/xvfb_autotest.sh [OUT.png] [extra cargo args, e.g. --release]
# Needs: xvfb, mesa-vulkan-drivers (CI installs them with .ci/install-system-packages).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-${CARGO_TARGET_DIR:-target}/autotest/editor.png}"
shift || true
mkdir -p "$(dirname "$out")"
rm -f "$out"

icd=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n1 || true)
if [ -z "$icd" ]; then
  echo "no lavapipe ICD under /usr/share/vulkan/icd.d (install mesa-vulkan-drivers)" >&2
  exit 1
fi
export VK_ICD_FILENAMES="$icd" WGPU_BACKEND=vulkan
export RUST_LOG="${RUST_LOG:-warn,editor=info,bevy_dgx_pixels=info}"

cargo build "$@" --example editor
timeout 600 xvfb-run -a -s "-screen 0 1280x800x24" cargo run "$@" --example editor -- --autotest "$out"

python3 - "$out" <<'PY'
import struct, sys, zlib
path = sys.argv[1]
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == (1100, 640), f"screenshot is {width}x{height}, not the 1100x640 window"
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
