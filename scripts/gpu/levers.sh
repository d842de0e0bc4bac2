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
# 3. Jobs batched through our nodes as the server sends them (a prompt and a seed per item) at
#    batch 8 and 16, saved by our frame sender: one shared negative prompt (what the server
#    sends; DgxPixelsTextBatch encodes it once) against a negative per item (what encoding every
#    item's text costs). PLAN=items runs only this part.
source scripts/gpu/common.sh
setup_python
make_weights
install_batch_nodes
lever() { timeout "$1" python3 scripts/gpu/drive_levers.py "${@:2}" --out "$OUT/levers.jsonl" || echo "lever $2 failed or timed out"; }
items() {
  start_comfy "$OUT/comfyui_items.log" --whitelist-custom-nodes dgx_pixels
  wait_comfy "$OUT/comfyui_items.log" || exit 1
  lever 90 items-same --send --items same-negative --batches 8,16
  lever 90 items-distinct --send --items distinct-negative --batches 8,16
  stop_comfy
}
if [ "${PLAN:-all}" = items ]; then items; echo "== done (t=$(el)s)"; exit 0; fi
REC=/tmp/fixtures
mkdir -p $REC
start_comfy "$OUT/comfyui_record.log" --whitelist-custom-nodes dgx_pixels --preview-method latent2rgb
wait_comfy "$OUT/comfyui_record.log" || exit 1
timeout 120 python3 scripts/comfyui/record.py --out $REC --batch-nodes --only frames,our_nodes
tar -czf "$OUT/fixtures_frames.tar.gz" -C $REC .
stop_comfy
echo "== recorded (t=$(el)s)"

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
items
echo "== done (t=$(el)s)"
grep -i "error\|Traceback" "$OUT"/comfyui_*.log | head -20
