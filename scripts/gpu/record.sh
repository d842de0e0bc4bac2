#!/bin/bash
# On the GPU machine, from the repo root: record real ComfyUI exchanges for the CI stand-in.
#   bash scripts/gpu/record.sh 2>&1 | tee $OUT/record.log
# Brings back $OUT/fixtures.tar.gz (unpack into server/tests/fixtures/comfyui/) and ComfyUI's log.
source scripts/gpu/common.sh
setup_python
make_weights
echo "== weights ready (t=$(el)s)"
# Previews on, so the WebSocket carries ComfyUI's binary preview frames as a real UI sees them.
PREVIEW="--preview-method latent2rgb"
start_comfy "$OUT/comfyui_record.log" $PREVIEW
wait_comfy "$OUT/comfyui_record.log" || exit 1
echo "== ComfyUI up (t=$(el)s)"
REC=/tmp/fixtures
mkdir -p $REC
timeout 420 python3 scripts/comfyui/record.py --out $REC --broken-lora broken_style.safetensors \
  --die-cmd "kill -9 \$(cat /tmp/comfy.pid)" \
  --revive-cmd "bash -c 'source scripts/gpu/common.sh; start_comfy $OUT/comfyui_record.log $PREVIEW'"
echo "== recorded (t=$(el)s)"
stop_comfy
tar -czf "$OUT/fixtures.tar.gz" -C $REC .
ls -la $REC
