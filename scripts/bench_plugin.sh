#!/usr/bin/env bash
# Measures the Bevy plugin (BENCHMARKS.md, "Bevy plugin"):
#   1. click → sprite visible: the editor under Xvfb + lavapipe presses Generate on the embedded
#      procedural server and applies the sheet, 20 rounds; time from Generate to the update in
#      which the hero's Sprite shows the new sheet (rendered that frame).
#   2. file change → reload: a headless app watching a temp project; time from the end of an
#      atomic rewrite of png + atlas + sprite.ron to the update that holds the new layout.
#   3. the panel's CPU cost per frame (layout + tessellation), 8 jobs and 12 sheets, bare egui.
# Usage: scripts/bench_plugin.sh [cargo profile args, e.g. --release]
set -euo pipefail
cd "$(dirname "$0")/.."
profile=("$@")

icd=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json | head -n1)
export VK_ICD_FILENAMES="$icd" WGPU_BACKEND=vulkan RUST_LOG="warn,editor=info"
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== 1. click -> sprite visible (editor, embedded procedural server, 20 rounds)"
cargo build "${profile[@]}" --example editor
xvfb-run -a -s "-screen 0 1280x800x24" cargo run "${profile[@]}" --example editor -- \
  --autotest "${CARGO_TARGET_DIR:-target}/bench-editor.png" --repeat 20 2>&1 | grep -E "click to visible|autotest (passed|failed)"

echo "== 2. file change -> reload"
cargo test "${profile[@]}" -p dgx_pixels --test e2e -- --ignored bench_file_change_to_reload --nocapture 2>&1 \
  | grep "file change to reload"

echo "== 3. panel cost per frame"
cargo test "${profile[@]}" -p bevy_dgx_pixels -- --ignored bench_panel_frame --nocapture 2>&1 | grep "panel frame"
