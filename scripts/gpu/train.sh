#!/bin/bash
# On the GPU machine, from the repo root: style training on real ComfyUI with our node
# (comfyui_nodes/dgx_pixels, DgxPixelsTrainLora) and the server's `train_style` template.
#   bash scripts/gpu/train.sh 2>&1 | tail -60
# First records the CI fixtures (train, train_error, train_interrupt, and object_info with the
# dataset loader and our nodes) at a tiny size into $OUT/fixtures.tar.gz; then trains on the 20
# sprites of .gpu/dataset (PNG + .txt caption each; made by `dgx-pixels generate`) at 1024² for
# $STEPS steps (default 60), rank 32, lr 1e-4, cosine, and renders with and without the LoRA.
# Needs .gpu/ComfyUI, .gpu/mkweights.py and .whl/ (shared/bench/gpu/README.md, "Recipe").
source scripts/gpu/common.sh
setup_python
make_weights
install_batch_nodes
LOG="$OUT/comfyui_train.log"
start_comfy "$LOG" --whitelist-custom-nodes dgx_pixels
wait_comfy "$LOG" || exit 1
echo "== ComfyUI up (t=$(el)s)"
mkdir -p /tmp/fixtures
timeout 240 python3 scripts/comfyui/record.py --out /tmp/fixtures --batch-nodes \
  --only "${RECORD:-object_info,our_nodes,train,train_error,train_interrupt}"
tar -czf "$OUT/fixtures.tar.gz" -C /tmp/fixtures .
echo "== fixtures recorded (t=$(el)s)"
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 250 > /tmp/gpu_mem.csv &
SAMPLER=$!
timeout 420 python3 scripts/gpu/drive_train.py .gpu/dataset "$BASE/models/loras" "$OUT" \
  --steps "${STEPS:-60}" --rank "${RANK:-32}"
kill $SAMPLER
echo "GPU memory used, peak over the run (nvidia-smi, MiB): $(sort -n /tmp/gpu_mem.csv | tail -1)"
echo "ComfyUI's 'lora key not loaded' lines: $(grep -c 'lora key not loaded' "$LOG")"
grep -i "error\|Traceback" "$LOG" | head -20
stop_comfy
echo "== done (t=$(el)s)"
