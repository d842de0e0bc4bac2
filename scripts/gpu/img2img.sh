#!/bin/bash
# On the GPU machine, from the repo root: an edit of an existing sprite through our server on real
# ComfyUI (img2img). A 1024² txt2img job, then variations of its frame at two denoise strengths
# (`source` + `denoise` on POST /api/v1/generate), one of them with 4 frames; what ComfyUI was
# asked (LoadImage's uploaded name, KSampler's denoise, batch amount) is read back from its
# /history, and the sheets and raw frames are kept in $OUT.
#   bash scripts/gpu/img2img.sh 2>&1 | tail -40
# Needs what bench.sh needs (.gpu/ComfyUI, .whl/, .gpu/bin/dgx-pixels).
source scripts/gpu/common.sh
setup_python
make_weights
LOG="$OUT/comfyui_img2img.log"
start_comfy "$LOG"
wait_comfy "$LOG" || exit 1
serve /tmp/dgxi2i
echo "== ComfyUI and server up (t=$(el)s)"
timeout 400 python3 - "$OUT" <<'PY'
import json, sys, time, urllib.request as u
out, api, comfy = sys.argv[1], "http://127.0.0.1:8787/api/v1", "http://127.0.0.1:8188"

def call(method, url, body=None):
    req = u.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                    headers={"content-type": "application/json"})
    with u.urlopen(req, timeout=30) as r:
        return json.load(r)

def wait_up():
    for _ in range(120):
        try:
            return call("GET", "http://127.0.0.1:8787/health")
        except Exception:
            time.sleep(0.5)
    raise SystemExit("server did not come up")

def run(label, body):
    t = time.time()
    job = call("POST", api + "/generate", body)["job_id"]
    while True:
        state = call("GET", f"{api}/jobs/{job}")
        if state["status"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.2)
    took = time.time() - t
    print(f"{label}: {state['status']} in {took:.2f} s {state.get('error') or ''}", flush=True)
    if state["status"] == "completed":
        for name in ("sheet.png", "raw/0.png"):
            with u.urlopen(f"{api}/jobs/{job}/{name}") as r, open(f"{out}/{label}-{name.replace('/', '-')}", "wb") as f:
                f.write(r.read())
    return job, state, took

print("health:", json.dumps(wait_up()))
base = {"prompt": "a knight with a sword, pixel art", "style": "lora_random_r64", "width": 1024, "height": 1024,
        "steps": 30, "sprite": {"width": 64, "height": 64}, "seed": 7}
source, state, _ = run("txt2img", base)
if state["status"] != "completed":
    raise SystemExit(1)
results = {}
for label, denoise, frames in (("vary-0.35", 0.35, 1), ("vary-0.75x4", 0.75, 4)):
    body = dict(base, prompt="the same knight, red armour, pixel art", seed=11, frames=frames,
                source={"job": source, "frame": 0}, denoise=denoise)
    job, state, took = run(label, body)
    results[label] = {"status": state["status"], "seconds": round(took, 2), "frames": frames}
# What ComfyUI was asked: the img2img prompts in its history.
history = call("GET", comfy + "/history?max_items=10")
for prompt_id, entry in history.items():
    graph = entry["prompt"][2]
    load = [n["inputs"] for n in graph.values() if n["class_type"] == "LoadImage"]
    if not load:
        continue
    sampler = [n["inputs"] for n in graph.values() if n["class_type"] == "KSampler"][0]
    batch = [n["inputs"].get("amount") for n in graph.values() if n["class_type"] == "RepeatLatentBatch"]
    status = entry.get("status", {}).get("status_str")
    print(f"ComfyUI prompt {prompt_id}: LoadImage {load[0]['image']}, denoise {sampler['denoise']}, "
          f"steps {sampler['steps']}, batch {batch}, {status}", flush=True)
json.dump({"source_job": source, "variations": results, "history": history}, open(f"{out}/img2img.json", "w"), indent=1)
PY
echo "== done (t=$(el)s)"
kill $SERVER; stop_comfy
grep -E 'Prompt executed|Traceback|Error' "$LOG" | tail -8
