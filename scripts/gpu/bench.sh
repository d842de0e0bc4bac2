#!/bin/bash
# On the GPU machine, from the repo root: real ComfyUI driven directly, then the same ComfyUI
# driven through our server, in one run on one card (BENCHMARKS.md, "ComfyUI backend (H100)").
#   bash scripts/gpu/bench.sh 2>&1 | tee $OUT/bench.log
# Needs .gpu/ComfyUI, .whl/ (see common.sh) and an x86_64 release build of our server at
# .gpu/bin/dgx-pixels (cargo build --release -p dgx_pixels_server; copy target/release/dgx-pixels).
#
# PLAN=matrix (default): direct and server at 1024², 768², 512² (singles and 8-frame sheets).
# PLAN=stream: single-frame jobs with different prompts, ComfyUI with our batch nodes
#   (comfyui_nodes/dgx_pixels): direct one-prompt-per-image (16 queued) vs our server batching
#   24 jobs, at 1024² and 512² (STREAM_SIZES=768 for other canvas sides).
# PLAN=facings: records the `facings` CI fixture (our batch nodes loaded, previews on), then at
#   1024²: one 4-direction 4-frame sheet through our server vs the same unmirrored vs four
#   one-facing requests (FACING_ROUNDS rounds, default 3), first with our batch nodes, then on a
#   stock ComfyUI (STOCK_ROUNDS, default 2, skipped when time is short).
# PLAN=interleave: first records the CI fixtures (previews on), then at 1024² only: direct,
#   server (shipped PreviewImage templates), server with SaveImage templates (as the direct
#   driver's workflow), direct again: so drift over the run shows.
source scripts/gpu/common.sh
PLAN=${PLAN:-matrix}
STREAM_SIZES=${STREAM_SIZES:-1024,512}
setup_python
make_weights
echo "== weights ready (t=$(el)s)"

if [ "$PLAN" = interleave ]; then
  start_comfy "/tmp/comfyui_record.log" --preview-method latent2rgb
  wait_comfy "/tmp/comfyui_record.log" || exit 1
  mkdir -p /tmp/fixtures
  timeout 150 python3 scripts/comfyui/record.py --out /tmp/fixtures --broken-lora broken_style.safetensors \
    --die-cmd "kill -9 \$(cat /tmp/comfy.pid)" \
    --revive-cmd "bash -c 'source scripts/gpu/common.sh; start_comfy /tmp/comfyui_record.log --preview-method latent2rgb'"
  stop_comfy
  tar -czf "$OUT/fixtures.tar.gz" -C /tmp/fixtures .
  echo "== fixtures recorded (t=$(el)s)"
fi

if [ "$PLAN" = facings ]; then
  install_batch_nodes
  start_comfy "/tmp/comfyui_record.log" --preview-method latent2rgb --whitelist-custom-nodes dgx_pixels
  wait_comfy "/tmp/comfyui_record.log" || exit 1
  mkdir -p /tmp/fixtures
  timeout 120 python3 scripts/comfyui/record.py --out /tmp/fixtures --batch-nodes --only facings
  stop_comfy
  tar -czf "$OUT/fixtures.tar.gz" -C /tmp/fixtures .
  echo "== facings fixture recorded (t=$(el)s)"
fi

LOG="$OUT/comfyui_bench.log"
# Default flags, as the baseline: no previews, no --fast.
if [ "$PLAN" = stream ] || [ "$PLAN" = facings ]; then
  install_batch_nodes
  start_comfy "$LOG" --whitelist-custom-nodes dgx_pixels
else
  start_comfy "$LOG"
fi
wait_comfy "$LOG" || exit 1
DIRECT_PLAN=compare; [ "$PLAN" = interleave ] && DIRECT_PLAN=b1024; [ "$PLAN" = stream ] && DIRECT_PLAN=stream
if [ "$PLAN" = stream ] || [ "$PLAN" = facings ]; then
  python3 -c "import json, urllib.request as u; print(json.dumps({c: json.load(u.urlopen('http://127.0.0.1:8188/object_info/' + c))
    for c in ('DgxPixelsTextBatch', 'DgxPixelsBatchKSampler')}, indent=1))" > "$OUT/object_info_batch_nodes.real.json"
  # (the CI fixture of all our nodes, object_info_dgx_nodes.json, is recorded by scripts/gpu/tile.sh)
fi
if [ "$PLAN" != facings ]; then
  echo "== ComfyUI up (t=$(el)s); ComfyUI-direct driver ($DIRECT_PLAN)"
  timeout 280 python3 scripts/gpu/drive_direct.py --log "$LOG" --out "$OUT/results_direct.json" \
    --plan $DIRECT_PLAN --label direct --budget-s 250 --sizes "$STREAM_SIZES"
fi

echo "== direct done (t=$(el)s); our server"
serve /tmp/dgxdata
if [ "$PLAN" = interleave ]; then
  timeout 200 python3 scripts/gpu/drive_server.py --out "$OUT/results_server.json" --sizes 1024 --sheets 5
  kill $SERVER; wait $SERVER
  echo "== server with SaveImage templates (t=$(el)s)"
  mkdir -p /tmp/dgxsave/workflows
  for wf in txt2img sheet; do
    python3 - server/workflows/$wf.json /tmp/dgxsave/workflows/$wf.json <<'PY'
import json, sys
wf = json.load(open(sys.argv[1]))
save = next(k for k, n in wf.items() if n.get("_meta", {}).get("title") == "Save")
wf[save] = {"class_type": "SaveImage", "inputs": {"images": wf[save]["inputs"]["images"],
            "filename_prefix": "dgx-pixels/frame"}, "_meta": {"title": "Save"}}
json.dump(wf, open(sys.argv[2], "w"), indent=1)
PY
  done
  serve /tmp/dgxsave
  timeout 120 python3 scripts/gpu/drive_server.py --out "$OUT/results_server_saveimage.json" --sizes 1024 \
    --sheets 5 --no-latency --no-singles
  kill $SERVER
  echo "== direct again (t=$(el)s)"
  timeout 60 python3 scripts/gpu/drive_direct.py --log "$LOG" --out "$OUT/results_direct_again.json" \
    --plan b1024_again --label direct_again --budget-s 60
elif [ "$PLAN" = facings ]; then
  timeout $(( 540 - $(el) )) python3 scripts/gpu/drive_server.py --out "$OUT/results_facings_nodes.json" \
    --sizes 1024 --singles 0 --sheets 0 --no-latency --no-singles --facings "${FACING_ROUNDS:-3}"
  kill $SERVER; wait $SERVER
  stop_comfy
  if [ $(( 570 - $(el) )) -gt 150 ]; then
    echo "== stock ComfyUI, no batch nodes (t=$(el)s)"
    start_comfy "$LOG"
    wait_comfy "$LOG" || exit 1
    serve /tmp/dgxstock
    timeout $(( 570 - $(el) )) python3 scripts/gpu/drive_server.py --out "$OUT/results_facings_stock.json" \
      --sizes 1024 --singles 0 --sheets 0 --no-latency --no-singles --facings "${STOCK_ROUNDS:-2}"
    kill $SERVER
  fi
elif [ "$PLAN" = stream ]; then
  timeout $(( 570 - $(el) )) python3 scripts/gpu/drive_server.py --out "$OUT/results_server.json" --sizes "$STREAM_SIZES" \
    --singles 24 --sheets 0 --no-latency
  kill $SERVER
else
  timeout $(( 570 - $(el) )) python3 scripts/gpu/drive_server.py --out "$OUT/results_server.json"
  kill $SERVER
fi
echo "== all done (t=$(el)s)"
stop_comfy
nvidia-smi --query-gpu=name,driver_version --format=csv
