#!/usr/bin/env bash
# Instructions one whole `dgx-pixels pixelize` run executes, the mean per image over a degraded
# set of the fidelity bench, with the size given and in auto: a speed figure that this VM's
# noise does not move (valgrind's callgrind counts instructions, not seconds: the same binary on
# the same inputs gives the same count). Cache misses and the kernel's time are not in it; wall
# time is scripts/fidelity.sh's (the bench) and scripts/bench_pixelize.sh's (hyperfine).
#
#   scripts/pixelize_instructions.sh                                  # the release build
#   BASELINE=path/to/older/dgx-pixels scripts/pixelize_instructions.sh   # before/after
#   SEED=3 scripts/pixelize_instructions.sh   # another set (degrade.py --ensure --seed 3 first)
#
# Needs valgrind and the bench's setup.sh run once. Takes about a second an image and mode.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${FIDELITY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dgx-pixels-fidelity}"
BIN="${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/dgx-pixels}"
SEED="${SEED:-8675309}"
SET="$(ls -d "$CACHE/degraded/seed$SEED-"* 2>/dev/null | head -n1 || true)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build first: cargo build --release -p dgx_pixels_server (or set BIN)" >&2; exit 1; }
[ -n "$SET" ] || { echo "no degraded set for seed $SEED in $CACHE: run the bench's setup.sh or degrade.py --ensure --seed $SEED" >&2; exit 1; }

# name, WxH, colour budget of each image
python3 "$ROOT/scripts/fidelity_list.py" "$SET/manifest.json" > "$WORK/list"

# Mean instructions (millions) per image of binary $1 in mode $2 (given or auto).
instructions() {
  local name size colors
  while read -r name size colors; do
    [ "$2" = auto ] && size=auto
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      "$1" pixelize "$SET/$name" "$WORK/out.png" --size "$size" --colors "$colors" 2>&1 \
      | awk '/Collected/ { print $4 }'
  done < "$WORK/list" | awk '{ sum += $1 } END { printf "%.1f", sum / NR / 1e6 }'
}

echo "$(wc -l < "$WORK/list") images of $SET"
echo "| binary | given: M instructions / image | auto: M instructions / image |"
echo "|---|---|---|"
for bin in ${BASELINE:+"$BASELINE"} "$BIN"; do
  echo "| $bin | $(instructions "$bin" given) | $(instructions "$bin" auto) |"
done
