#!/bin/bash
# On the GPU machine, from the repo root: real ComfyUI driven directly, then the same ComfyUI
# driven through our server, in one run on one card (BENCHMARKS.md, "ComfyUI backend (H100)").
#   bash scripts/gpu/bench.sh 2>&1 | tee $OUT/bench.log
# Needs .gpu/ComfyUI, .whl/ (see common.sh) and an x86_64 release build of our server at
# .gpu/bin/dgx-pixels (cargo build --release -p dgx_pixels_server; copy target/release/dgx-pixels).
source scripts/gpu/common.sh
setup_python
make_weights
echo "== weights ready (t=$(el)s)"
LOG="$OUT/comfyui_bench.log"
# Default flags, as the baseline: no previews, no --fast.
start_comfy "$LOG"
wait_comfy "$LOG" || exit 1
echo "== ComfyUI up (t=$(el)s); ComfyUI-direct driver"
timeout 280 python3 scripts/gpu/drive_direct.py --log "$LOG" --out "$OUT/results_direct.json" \
  --plan compare --label direct --budget-s 250
echo "== direct done (t=$(el)s); our server"
D=/tmp/dgxdata
mkdir -p $D/models/lora
# A style whose file name is the LoRA ComfyUI has; our server only reads the name and sidecar.
head -c 1024 /dev/zero > $D/models/lora/lora_random_r64.safetensors
echo '{"recommended_strength": 0.8}' > $D/models/lora/lora_random_r64.json
.gpu/bin/dgx-pixels serve --backend comfyui --comfyui http://127.0.0.1:8188 --data-dir $D \
  --bind 127.0.0.1:8787 > "$OUT/server.log" 2>&1 &
SERVER=$!
timeout $(( 570 - $(el) )) python3 scripts/gpu/drive_server.py --out "$OUT/results_server.json"
echo "== server done (t=$(el)s)"
kill $SERVER; stop_comfy
nvidia-smi --query-gpu=name,driver_version --format=csv
