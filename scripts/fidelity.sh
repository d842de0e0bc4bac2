#!/usr/bin/env bash
# Runs the shared fidelity bench on `dgx-pixels pixelize`, GIVEN and AUTO, beside the built-in
# peers (seed pipeline, ImageMagick, proper-pixel-art, unfake) in one table.
#
#   scripts/fidelity.sh [OUT_DIR] [extra run.py flags, e.g. --only dgx-pixels --limit 10]
#
# Needs a release build (cargo build --release -p dgx_pixels_server) and the bench's setup.sh
# run once. BIN overrides the binary; FIDELITY_BENCH the bench folder.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${FIDELITY_BENCH:-$ROOT/../shared/bench/fidelity}"
BIN="${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/dgx-pixels}"
OUT="${1:-${TMPDIR:-/tmp}/dgx-pixels-fidelity/run-$(date +%Y%m%d-%H%M%S)}"
shift || true
[ -x "$BIN" ] || { echo "build first: cargo build --release -p dgx_pixels_server (or set BIN)" >&2; exit 1; }
python3 "$BENCH/run.py" --defaults --out "$OUT" \
  --tool "dgx-pixels@given=$BIN pixelize {in} {out} --size {w}x{h} --colors {colors}" \
  --tool "dgx-pixels@auto=$BIN pixelize {in} {out} --size auto --colors {colors}" \
  --tool "dgx-pixels@version=$BIN --version" \
  "$@"
echo "table: $OUT/results.md"
