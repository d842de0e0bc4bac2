#!/bin/bash
# On the GPU machine, from the repo root: a style trained through our server on real ComfyUI,
# the way a user does it. Our server (.gpu/bin/dgx-pixels, built here) runs with --models at
# ComfyUI's loras folder; `dgx-pixels train-style` sends the 20 sprites of .gpu/dataset as
# uploads; then the same request at a fixed seed is generated with and without the new style.
#   bash scripts/gpu/train_server.sh 2>&1 | tail -40
source scripts/gpu/common.sh
setup_python
make_weights
install_batch_nodes
LOG="$OUT/comfyui_train_server.log"
start_comfy "$LOG" --whitelist-custom-nodes dgx_pixels
wait_comfy "$LOG" || exit 1
serve_on_loras
echo "== ComfyUI and our server up (t=$(el)s)"
T1=$(date +%s.%N)
.gpu/bin/dgx-pixels train-style probe --images .gpu/dataset --steps "${STEPS:-40}" --rank 32 \
  --server http://127.0.0.1:8787 2>&1 | tail -3
T2=$(date +%s.%N)
echo "train-style took $(python3 -c "print(round($T2 - $T1, 1))") s"
curl -s "http://127.0.0.1:8787/api/v1/jobs?limit=1" | python3 -c "import json,sys; j=json.load(sys.stdin)[0]; print('job', j['status'], json.dumps(j.get('style')), json.dumps(j.get('train_step')))"
ls -la "$BASE/models/loras/styles/"
cat "$BASE/models/loras/styles/probe.json"; echo
curl -s http://127.0.0.1:8787/api/v1/models | python3 -c "import json,sys; print([ (s['name'], s['file'], s['trigger_words']) for s in json.load(sys.stdin)['styles']])"
python3 - <<'PY'
import io, json, time, urllib.request as u
import numpy as np
from PIL import Image
api = "http://127.0.0.1:8787/api/v1"
def call(method, url, body=None):
    req = u.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                    headers={"content-type": "application/json"})
    with u.urlopen(req, timeout=60) as r:
        return r.read()
def sheet(extra):
    body = {"prompt": "pixel art knight", "seed": 4242, "steps": 20, **extra}
    job = json.loads(call("POST", api + "/generate", body))["job_id"]
    for _ in range(600):
        j = json.loads(call("GET", f"{api}/jobs/{job}"))
        if j["status"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.2)
    print("generate", extra, j["status"], j.get("error"))
    return np.asarray(Image.open(io.BytesIO(call("GET", f"{api}/jobs/{job}/raw/0.png"))).convert("RGB"), dtype=np.float32)
without = sheet({})
with_style = sheet({"style": "probe", "lora_strength": 1.0})
print(f"raw frame, mean |with - without| per channel: {np.abs(with_style - without).mean():.2f} / 255")
PY
echo "== server log (tail)"; tail -5 "$OUT/server.log"
stop_comfy
