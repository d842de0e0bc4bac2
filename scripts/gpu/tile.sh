#!/bin/bash
# On the GPU machine, from the repo root: seamless tiles on real ComfyUI with our nodes
# (comfyui_nodes/dgx_pixels). Records the CI fixtures `tile.json` (the shipped `tile` template,
# batch 2, 64², previews on) and `object_info_dgx_nodes.json`; then, through our server at 1024²
# and 30 steps, 2-frame tile jobs and 1-frame sprite jobs (txt2img) from the same prompt, and
# measures each raw frame's seams: the step ratio (the border line's mean step over the largest
# inside line's) and the edge band contrast (mean colour of the outer 2 pixels against the
# rest, as dgx_pixels_sprite::tile::edge_band_contrast computes it).
#   bash scripts/gpu/tile.sh 2>&1 | tail -40
# Then a 16-tile wang16 tileset between grass and shallow water, twice (its two terrains are two
# tile prompts). RECORD=tile_single records the 1-tile fixture the tileset test replays.
# Needs what bench.sh needs (.gpu/ComfyUI, .whl/, .gpu/bin/dgx-pixels).
source scripts/gpu/common.sh
setup_python
make_weights
install_batch_nodes
start_comfy /tmp/comfyui_record.log --preview-method latent2rgb --whitelist-custom-nodes dgx_pixels
wait_comfy /tmp/comfyui_record.log || exit 1
mkdir -p /tmp/fixtures
timeout 150 python3 scripts/comfyui/record.py --out /tmp/fixtures --batch-nodes --only "${RECORD:-tile,our_nodes}"
stop_comfy
tar -czf "$OUT/fixtures.tar.gz" -C /tmp/fixtures .
echo "== fixtures recorded (t=$(el)s)"
LOG="$OUT/comfyui_tile.log"
start_comfy "$LOG" --whitelist-custom-nodes dgx_pixels
wait_comfy "$LOG" || exit 1
serve /tmp/dgxtile
echo "== ComfyUI and server up (t=$(el)s)"
timeout 300 python3 - "$OUT" <<'PY'
import io, json, sys, time, urllib.request as u
import numpy as np
from PIL import Image
out, api = sys.argv[1], "http://127.0.0.1:8787/api/v1"

def call(method, url, body=None):
    req = u.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                    headers={"content-type": "application/json"})
    with u.urlopen(req, timeout=30) as r:
        return json.load(r)

def seam_ratio(png):
    """The larger border line's mean RGB step over the largest inside line's, per axis."""
    a = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float32)
    ratios = []
    for axis in (1, 0):
        steps = np.sqrt(((np.roll(a, -1, axis=axis) - a) ** 2).sum(axis=2)).mean(axis=1 - axis)
        ratios.append(float(steps[-1] / max(steps[:-1].max(), 1e-6)))
    return max(ratios)

def band(png, k=2):
    a = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64)
    mask = np.zeros(a.shape[:2], bool)
    mask[:k, :] = mask[-k:, :] = mask[:, :k] = mask[:, -k:] = True
    return float(np.linalg.norm(a[mask].mean(0) - a[~mask].mean(0)))

for _ in range(120):
    try:
        call("GET", "http://127.0.0.1:8787/health"); break
    except Exception:
        time.sleep(0.5)
base = {"prompt": "pixel art grass, top-down", "style": "lora_random_r64", "width": 1024, "height": 1024,
        "steps": 30, "sprite": {"width": 32, "height": 32}}
results = {}
tileset = {"kind": "tileset", "lower": "grass", "upper": "shallow water"}
for label, extra in (("warmup", {"seed": 1}), ("sprite", {"seed": 5}), ("tile", {"seed": 5, "kind": "tile", "frames": 2}),
                     ("sprite_again", {"seed": 6}), ("tile_again", {"seed": 6, "kind": "tile", "frames": 2}),
                     ("tileset", dict(tileset, seed=7)), ("tileset_again", dict(tileset, seed=8))):
    t = time.time()
    job = call("POST", api + "/generate", dict(base, **extra))["job_id"]
    while (state := call("GET", f"{api}/jobs/{job}"))["status"] not in ("completed", "failed", "cancelled"):
        time.sleep(0.1)
    took = time.time() - t
    entry = {"status": state["status"], "seconds": round(took, 2), "error": state.get("error")}
    if state["status"] == "completed":
        # A tileset keeps its two terrains as raw frames; its 16 tiles are composed from them.
        frames = 2 if extra.get("kind") == "tileset" else state["result"]["frames"]
        raws = [u.urlopen(f"{api}/jobs/{job}/raw/{i}.png").read() for i in range(frames)]
        sheet = u.urlopen(f"{api}/jobs/{job}/sheet.png").read()
        entry["raw_seam_ratio"] = [round(seam_ratio(r), 3) for r in raws]
        entry["raw_edge_band"] = [round(band(r), 1) for r in raws]
        if label in ("sprite", "tile", "tileset"):
            open(f"{out}/{label}-raw0.png", "wb").write(raws[0])
            open(f"{out}/{label}-sheet.png", "wb").write(sheet)
    results[label] = entry
    print(label, json.dumps(entry), flush=True)
json.dump(results, open(f"{out}/tile.json", "w"), indent=1)
PY
echo "== done (t=$(el)s)"
kill $SERVER; stop_comfy
grep -E 'Prompt executed|Traceback|Error' "$LOG" | tail -8
