#!/usr/bin/env bash
# Whole-process speed of `dgx-pixels pixelize` beside the seed pipeline and ImageMagick, on the
# same 1024x1024 RGB fakes (-> 32x32, 16 colours, backdrop removed), all on one core (CORE, default 1),
# in one run.
#
#   scripts/bench_pixelize.sh            # needs: hyperfine, ImageMagick, the fidelity bench venv
#   RUNS=50 BIN=path/to/dgx-pixels scripts/bench_pixelize.sh
#   BASELINE=path/to/older/dgx-pixels scripts/bench_pixelize.sh   # before/after in the same run
#
# The inputs are made by scripts/bench_inputs.py (the fidelity bench's own degrader on its 32x32
# truth sprites, 1024x1024 RGB).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${FIDELITY_BENCH:-$ROOT/../shared/bench/fidelity}"
CACHE="${FIDELITY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dgx-pixels-fidelity}"
PY="$CACHE/venv/bin/python"
BIN="${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/dgx-pixels}"
RUNS="${RUNS:-30}"
CORE="${CORE:-1}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

[ -x "$BIN" ] || { echo "build first: cargo build --release -p dgx_pixels_server (or set BIN)" >&2; exit 1; }
[ -x "$PY" ] || { echo "run $BENCH/setup.sh first" >&2; exit 1; }

"$PY" "$ROOT/scripts/bench_inputs.py" "$BENCH" "$WORK"

IMAGES="$(ls "$WORK"/in*.png | paste -sd, -)"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1 MAGICK_THREAD_LIMIT=1
BASELINE_CMD=()
[ -n "${BASELINE:-}" ] && BASELINE_CMD=("$BASELINE pixelize {img} $WORK/out-base.png --size 32x32 --colors 16")
# hyperfine itself is pinned and the tools inherit its core: a `taskset` per run would add its
# own start (0.6 ms) to every tool's time.
taskset -c "$CORE" hyperfine -N --warmup 3 --runs "$RUNS" -L img "$IMAGES" \
  --export-json "$WORK/speed.json" \
  "${BASELINE_CMD[@]}" \
  "$BIN pixelize {img} $WORK/out-dgx.png --size 32x32 --colors 16" \
  "convert {img} -filter point -resize 32x32! -colors 16 PNG32:$WORK/out-im.png" \
  "$PY $BENCH/tools/seed_pipeline.py {img} $WORK/out-seed.png 32 32 16" \
  >&2

echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$PY" - "$WORK/speed.json" <<'PYEOF'
import json, sys, statistics
runs = json.load(open(sys.argv[1]))["results"]
tools = {}
for r in runs:
    cmd = r["command"]
    name = {"out-base.png": "baseline", "out-dgx.png": "dgx-pixels", "out-im.png": "imagemagick"}.get(
        next((o for o in ("out-base.png", "out-dgx.png", "out-im.png") if o in cmd), ""), "seed")
    tool = tools.setdefault(name, {"wall": [], "cpu": []})
    tool["wall"].extend(r["times"])
    # hyperfine keeps only the mean CPU time of a command (user + system, all its threads).
    tool["cpu"].extend([r["user"] + r["system"]] * len(r["times"]))
ours = {k: statistics.median(v) for k, v in tools["dgx-pixels"].items()}
print("| tool | median wall ms / image | mean wall ms | CPU ms (user+sys) | wall vs dgx-pixels | CPU vs dgx-pixels |")
print("|---|---|---|---|---|---|")
for name, t in tools.items():
    wall, cpu = statistics.median(t["wall"]), statistics.mean(t["cpu"])
    print(f"| {name} | {wall * 1000:.1f} | {statistics.mean(t['wall']) * 1000:.1f} | {cpu * 1000:.1f} "
          f"| {wall / ours['wall']:.1f}x | {cpu / ours['cpu']:.1f}x |")
PYEOF
