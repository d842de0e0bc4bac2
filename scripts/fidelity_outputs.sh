#!/usr/bin/env bash
# Writes what `dgx-pixels pixelize` makes of every degraded set of the fidelity bench, with the
# size given and in auto, so that two builds' outputs can be compared byte for byte: a change
# meant to keep the outputs (a faster loop, a refactor) shows it with `diff -r`, over 1,000
# sprites when ten sets are built, in seconds rather than a scored run's minutes. Each mode's
# report.txt keeps what the CLI printed (size found, grid confidence), compared the same way.
#
#   scripts/fidelity_outputs.sh OUT_DIR [SEED ...]    # default: every set in the bench's cache
#   BIN=path/to/older/dgx-pixels scripts/fidelity_outputs.sh /tmp/before
#   scripts/fidelity_outputs.sh /tmp/after && diff -r /tmp/before /tmp/after && echo same
#
# Sets come from the bench's setup.sh (seed 8675309) and degrade.py --ensure --seed N.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${FIDELITY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dgx-pixels-fidelity}"
BIN="${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/dgx-pixels}"
OUT="${1:?usage: scripts/fidelity_outputs.sh OUT_DIR [SEED ...]}"
shift
[ -x "$BIN" ] || { echo "build first: cargo build --release -p dgx_pixels_server (or set BIN)" >&2; exit 1; }

if [ $# -gt 0 ]; then
  sets=()
  for seed in "$@"; do
    set_dir="$(ls -d "$CACHE/degraded/seed$seed-"* 2>/dev/null | head -n1 || true)"
    [ -n "$set_dir" ] || { echo "no degraded set for seed $seed: degrade.py --ensure --seed $seed" >&2; exit 1; }
    sets+=("$set_dir")
  done
else
  mapfile -t sets < <(ls -d "$CACHE/degraded/seed"* 2>/dev/null)
  [ ${#sets[@]} -gt 0 ] || { echo "no degraded sets in $CACHE: run the bench's setup.sh" >&2; exit 1; }
fi

for set_dir in "${sets[@]}"; do
  seed="$(basename "$set_dir" | cut -d- -f1)"
  mkdir -p "$OUT/$seed/given" "$OUT/$seed/auto"
  python3 "$ROOT/scripts/fidelity_list.py" "$set_dir/manifest.json" |
  while read -r name size colors; do
    for mode in given auto; do
      [ "$mode" = auto ] && size=auto
      "$BIN" pixelize "$set_dir/$name" "$OUT/$seed/$mode/$name" --size "$size" --colors "$colors" \
        2>> "$OUT/$seed/$mode/report.txt" || { echo "failed: $set_dir/$name --size $size" >&2; exit 1; }
    done
  done
done
echo "$(find "$OUT" -name '*.png' | wc -l) outputs of $BIN in $OUT"
