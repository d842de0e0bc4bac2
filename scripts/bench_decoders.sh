#!/usr/bin/env bash
# PNG decoders side by side, in one run, on the pixelize speed inputs (scripts/bench_inputs.py,
# 3 x 1024x1024 RGB) and the public fidelity set (50 degraded sprites, 168-1024 px a side):
#  1. decode time alone, in one process (the sprite crate's `decoders` example);
#  2. whole-process `dgx-pixels pixelize` per image, for each binary in BINS (each built with
#     another decoder), hyperfine on one core (CORE, default 1).
#
#   BINS="ours=path/to/dgx-pixels zune=path/to/other" RUNS=20 scripts/bench_decoders.sh
#
# DECODERS names a `decoders` example binary built earlier (e.g. from an older tree, so its
# first row is that tree's decoder); by default the current tree's is built.
# Needs hyperfine and the fidelity bench's setup.sh run once.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${FIDELITY_BENCH:-$ROOT/../shared/bench/fidelity}"
CACHE="${FIDELITY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dgx-pixels-fidelity}"
PY="$CACHE/venv/bin/python"
RUNS="${RUNS:-20}"
CORE="${CORE:-1}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
DEFAULT_BIN="$TARGET/release/dgx-pixels"
BINS="${BINS:-current=$DEFAULT_BIN}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

[ -x "$PY" ] || { echo "run $BENCH/setup.sh first" >&2; exit 1; }
FIDELITY="$(ls -d "$CACHE"/degraded/*/ | head -1)"
[ -n "$FIDELITY" ] || { echo "no degraded fidelity inputs under $CACHE/degraded: run $BENCH/setup.sh" >&2; exit 1; }
mkdir -p "$WORK/bench" "$WORK/out"
"$PY" "$ROOT/scripts/bench_inputs.py" "$BENCH" "$WORK/bench"

DECODERS="${DECODERS:-}"
if [ -z "$DECODERS" ]; then
  (cd "$ROOT" && cargo build --release --quiet -p dgx_pixels_sprite --example decoders)
  DECODERS="$TARGET/release/examples/decoders"
fi
echo "## decode alone, pixelize bench inputs (best of $RUNS per file)"
taskset -c "$CORE" "$DECODERS" --runs "$RUNS" "$WORK"/bench/in*.png
echo
echo "## decode alone, fidelity set (best of $RUNS per file)"
taskset -c "$CORE" "$DECODERS" --runs "$RUNS" "$FIDELITY"*.png
echo

commands=()
for entry in $BINS; do
  name="${entry%%=*}" bin="${entry#*=}"
  [ -x "$bin" ] || { echo "$name: no executable at $bin" >&2; exit 1; }
  commands+=("$bin pixelize {img} $WORK/out/$name.png --size auto --colors 16")
done
for set in bench fidelity; do
  if [ "$set" = bench ]; then images="$(ls "$WORK"/bench/in*.png | paste -sd, -)"; else images="$(ls "$FIDELITY"*.png | paste -sd, -)"; fi
  taskset -c "$CORE" hyperfine -N --style none --warmup 3 --runs "$RUNS" -L img "$images" \
    --export-json "$WORK/$set.json" "${commands[@]}" >/dev/null 2>"$WORK/hyperfine.log" ||
    { cat "$WORK/hyperfine.log" >&2; exit 1; }
  echo "## whole pixelize --size auto --colors 16, $set ($RUNS runs per image and binary)"
  "$PY" - "$WORK/$set.json" $BINS <<'PYEOF'
import json, statistics, sys
names = {entry.split("=", 1)[1]: entry.split("=", 1)[0] for entry in sys.argv[2:]}
per_tool = {name: [] for name in names.values()}
for r in json.load(open(sys.argv[1]))["results"]:
    per_tool[names[r["command"].split(" ", 1)[0]]].append(statistics.median(r["times"]))
first = None
print("| binary | images | median of per-image medians, ms | sum of per-image medians, ms | vs first |")
print("|---|---|---|---|---|")
for name, medians in per_tool.items():
    total = sum(medians)
    first = first or total
    print(f"| {name} | {len(medians)} | {statistics.median(medians) * 1e3:.2f} | {total * 1e3:.1f} | {total / first:.2f}x |")
PYEOF
  echo
done
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
