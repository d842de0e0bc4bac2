#!/bin/bash
# On the GPU machine, from the repo root: presets end to end (issue "half a second to a sprite").
#   bash scripts/gpu/presets.sh 2>&1 | tail -30
# ComfyUI with random SDXL weights and our nodes; the random rank-64 LoRA of mkweights.py stands
# in for a distillation LoRA (same shape; speed does not depend on the weights). Our server
# (.gpu/bin/dgx-pixels, a release build of this tree) runs with --distill-lora on it.
# scripts/gpu/drive_presets.py then times submit → files on disk per preset, ComfyUI direct, and
# a 64-job fast stream.
# About 2 minutes of device time with N=3 STREAM=32, 4 with the defaults (N=6 STREAM=64);
# PRESETS=fast times only the fast preset.
source scripts/gpu/common.sh
setup_python
make_weights
install_batch_nodes
LOG="$OUT/comfyui_presets.log"
start_comfy "$LOG" --whitelist-custom-nodes dgx_pixels
wait_comfy "$LOG" || exit 1
serve_on_loras --distill-lora lora_random_r64.safetensors
curl -s http://127.0.0.1:8787/health; echo
echo "== ComfyUI and our server up (t=$(el)s)"
timeout 420 python3 scripts/gpu/drive_presets.py "$OUT/presets" --n "${N:-6}" --stream "${STREAM:-64}" \
  --presets "${PRESETS:-fast,standard,quality}"
cp "$OUT/presets/presets.json" "$OUT/presets.json" 2>/dev/null
rm -rf "$OUT/presets"
echo "== done (t=$(el)s)"
stop_comfy
