#!/bin/bash
# On the GPU machine, from the repo root: ComfyUI's own levers on the fast graph (issue "half a
# second to a sprite"), straight to ComfyUI, and the `frames` fixture of our DgxPixelsSendImages.
#   bash scripts/gpu/levers.sh 2>&1 | tail -40
# 1. Records `frames` and `our_nodes` (scripts/comfyui/record.py --batch-nodes, previews on like
#    the other fixtures) into $OUT/fixtures_frames.tar.gz.
# 2. With our nodes loaded: the fast graph (512², euler/sgm_uniform, cfg 1, the random rank-64
#    LoRA) at batch 1, 8 and 16: PreviewImage + /view (base), our frame sender (send), 2 steps,
#    TorchCompileModel (inductor); then ComfyUI restarted with --fast fp16_accumulation: base
#    and send again. Rows in $OUT/levers.jsonl.
source scripts/gpu/common.sh
setup_python
make_weights
install_batch_nodes
REC=/tmp/fixtures
mkdir -p $REC
start_comfy "$OUT/comfyui_record.log" --whitelist-custom-nodes dgx_pixels --preview-method latent2rgb
wait_comfy "$OUT/comfyui_record.log" || exit 1
timeout 120 python3 scripts/comfyui/record.py --out $REC --batch-nodes --only frames,our_nodes
tar -czf "$OUT/fixtures_frames.tar.gz" -C $REC .
stop_comfy
echo "== recorded (t=$(el)s)"

lever() { timeout "$1" python3 scripts/gpu/drive_levers.py "${@:2}" --out "$OUT/levers.jsonl" || echo "lever $2 failed or timed out"; }
start_comfy "$OUT/comfyui_levers.log" --whitelist-custom-nodes dgx_pixels
wait_comfy "$OUT/comfyui_levers.log" || exit 1
lever 120 base
lever 90 send --send
lever 90 2step --steps 2
lever 90 2step-send --steps 2 --send
echo "== plain levers done (t=$(el)s)"
lever 240 compile --compile inductor --batches 1,8
echo "== compile done (t=$(el)s)"
stop_comfy
start_comfy "$OUT/comfyui_fp16acc.log" --whitelist-custom-nodes dgx_pixels --fast fp16_accumulation
wait_comfy "$OUT/comfyui_fp16acc.log" || exit 1
lever 120 fp16acc
lever 90 fp16acc-send --send
stop_comfy
echo "== done (t=$(el)s)"
grep -i "error\|Traceback" "$OUT"/comfyui_*.log | head -20
