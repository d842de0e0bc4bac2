#!/bin/bash
# Shared setup for the GPU-machine scripts; sourced, not run. Run from the repo root with real
# ComfyUI's source in the ignored .gpu/ComfyUI and its missing wheels in the ignored .whl/
# (see ../../../shared/bench/gpu/README.md, "Recipe"). Nothing here fetches or builds ComfyUI.
set -u -o pipefail
export PYTHONUNBUFFERED=1
ROOT=$PWD
OUT=${OUT:-/tmp/out}
BASE=/tmp/comfybase
mkdir -p "$OUT" "$BASE/models" /tmp/fe
T0=$(date +%s)
el() { echo $(( $(date +%s) - T0 )); }

setup_python() {
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$ROOT/.gpu/stubs
}

# Random SDXL checkpoint + LoRA (shared/bench/gpu/mkweights.py), plus a LoRA file that is not a
# safetensors file at all: it passes ComfyUI's validation (the name is listed) and fails when
# loaded, which gives a real execution_error.
make_weights() {
  python3 .gpu/mkweights.py "$BASE/models" > /tmp/mkweights.log 2>&1 || { cat /tmp/mkweights.log; exit 1; }
  head -c 4096 /dev/urandom > "$BASE/models/loras/broken_style.safetensors"
}

# Our batch nodes (comfyui_nodes/dgx_pixels) into ComfyUI's custom_nodes; loaded only when a
# start_comfy call adds --whitelist-custom-nodes dgx_pixels (all others stay disabled).
install_batch_nodes() {
  mkdir -p "$BASE/custom_nodes" && rm -rf "$BASE/custom_nodes/dgx_pixels"
  cp -r comfyui_nodes/dgx_pixels "$BASE/custom_nodes/dgx_pixels"
}

# start_comfy LOG [extra flags]: starts ComfyUI in the background, PID in /tmp/comfy.pid.
start_comfy() {
  local log=$1; shift
  (cd .gpu/ComfyUI && exec python3 main.py --listen 127.0.0.1 --port 8188 --front-end-root /tmp/fe \
     --disable-api-nodes --disable-all-custom-nodes --base-directory "$BASE" "$@" >> "$log" 2>&1) &
  echo $! > /tmp/comfy.pid
}

wait_comfy() {
  for _ in $(seq 1 240); do
    python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8188/system_stats', timeout=2)" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "ComfyUI did not come up"; tail -30 "$1"; return 1
}

stop_comfy() {
  kill "$(cat /tmp/comfy.pid)" 2>/dev/null; sleep 1; kill -9 "$(cat /tmp/comfy.pid)" 2>/dev/null; true
}

# serve DATA_DIR: our server (.gpu/bin/dgx-pixels) on the ComfyUI above, on 127.0.0.1:8787, with
# a style named like ComfyUI's LoRA (the server only reads the file's name and sidecar); its PID
# in $SERVER, its log appended to $OUT/server.log.
serve() {
  mkdir -p "$1/models/lora"
  head -c 1024 /dev/zero > "$1/models/lora/lora_random_r64.safetensors"
  echo '{"recommended_strength": 0.8}' > "$1/models/lora/lora_random_r64.json"
  .gpu/bin/dgx-pixels serve --backend comfyui --comfyui http://127.0.0.1:8188 --data-dir "$1" \
    --bind 127.0.0.1:8787 >> "$OUT/server.log" 2>&1 &
  SERVER=$!
}

# serve_on_loras [more serve flags]: our server (.gpu/bin/dgx-pixels) on the ComfyUI above with
# ComfyUI's own loras folder as its models folder (so a style it trains is one ComfyUI loads),
# data in /tmp/srv, on 127.0.0.1:8787, its log appended to $OUT/server.log; returns once
# /health answers (or after 30 s).
serve_on_loras() {
  .gpu/bin/dgx-pixels serve --backend comfyui --comfyui http://127.0.0.1:8188 --data-dir /tmp/srv \
    --models "$BASE/models/loras" --bind 127.0.0.1:8787 "$@" >> "$OUT/server.log" 2>&1 &
  for _ in $(seq 1 60); do curl -sf http://127.0.0.1:8787/health >/dev/null && break; sleep 0.5; done
}
