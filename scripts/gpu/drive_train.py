"""Train a style on real ComfyUI with our node and measure it (scripts/gpu/train.sh runs this).

The dataset (a folder of sprites, each with a .txt caption) is upscaled by nearest neighbour to
the training size, as the server prepares it, uploaded into ComfyUI's input folder with
/upload/image, and trained with the server's `train_style` template (DgxPixelsTrainLora). Prints
seconds per step (from the node's per-step WebSocket messages), the loss at the start and end,
the GPU's peak memory, the LoRA's size and keys; then copies the LoRA into ComfyUI's loras folder
and renders one prompt at a fixed seed with and without it, printing how much the image moved.

usage: python3 drive_train.py DATASET LORAS_DIR OUT [--steps N] [--rank R] [--lr X] [--size PX]
"""
import argparse
import asyncio
import copy
import io
import json
import os
import shutil
import struct
import time
import urllib.parse
import urllib.request
import uuid

import aiohttp
import numpy as np
from PIL import Image

URL = "http://127.0.0.1:8188"
HERE = os.path.dirname(os.path.abspath(__file__))
WORKFLOWS = os.path.join(HERE, "..", "..", "server", "workflows")

P = argparse.ArgumentParser()
P.add_argument("dataset")
P.add_argument("loras")
P.add_argument("out")
P.add_argument("--steps", type=int, default=60)
P.add_argument("--rank", type=int, default=32)
P.add_argument("--lr", type=float, default=1e-4)
P.add_argument("--size", type=int, default=1024)
P.add_argument("--ckpt", default="sdxl_random_fp16.safetensors")
A = P.parse_args()


def load(name):
    with open(os.path.join(WORKFLOWS, name + ".json")) as f:
        return json.load(f)


def titled(wf, title):
    return next(n for n in wf.values() if n.get("_meta", {}).get("title") == title)


def http(method, path, body=None, form=None, timeout=120):
    data, headers = None, {}
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in form.items():
            if isinstance(value, tuple):
                parts.append(b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                             b'Content-Type: application/octet-stream\r\n\r\n%s\r\n'
                             % (boundary.encode(), name.encode(), value[0].encode(), value[1]))
            else:
                parts.append(b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                             % (boundary.encode(), name.encode(), value.encode()))
        data = b"".join(parts) + b"--%s--\r\n" % boundary.encode()
        headers["Content-Type"] = "multipart/form-data; boundary=" + boundary
    req = urllib.request.Request(URL + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
        return json.loads(raw) if "json" in r.headers.get("Content-Type", "") else raw


def upload_dataset():
    folder = "dgx_pixels_train/probe-" + uuid.uuid4().hex[:8]
    names = sorted(f for f in os.listdir(A.dataset) if f.endswith(".png"))
    for name in names:
        img = Image.open(os.path.join(A.dataset, name)).convert("RGBA")
        scale = A.size // max(img.size)
        big = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
        canvas = Image.new("RGBA", (A.size, A.size), (0, 0, 0, 0))
        canvas.paste(big, ((A.size - big.width) // 2, (A.size - big.height) // 2))
        flat = Image.new("RGB", canvas.size, (255, 255, 255))
        flat.paste(canvas, mask=canvas.split()[3])
        buf = io.BytesIO()
        flat.save(buf, "PNG")
        with open(os.path.join(A.dataset, name[:-4] + ".txt"), "rb") as f:
            caption = f.read()
        for fname, content in ((name, buf.getvalue()), (name[:-4] + ".txt", caption)):
            http("POST", "/upload/image", form={"image": (fname, content), "type": "input",
                                                "subfolder": folder, "overwrite": "true"})
    return folder, len(names)


async def run(wf):
    """Submits `wf`, returns (history entry, the WebSocket messages with their arrival time)."""
    client_id = uuid.uuid4().hex
    messages = []
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(URL.replace("http", "ws") + "/ws?clientId=" + client_id, max_msg_size=0) as ws:
            resp = await asyncio.to_thread(http, "POST", "/prompt", {"prompt": wf, "client_id": client_id})
            pid = resp["prompt_id"]
            while True:
                msg = await asyncio.wait_for(ws.receive(), 600)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                m = json.loads(msg.data)
                messages.append((time.time(), m))
                d = m.get("data") or {}
                if d.get("prompt_id") != pid:
                    continue
                if m["type"] in ("execution_error", "execution_interrupted"):
                    print("FAILED", json.dumps(d)[:2000])
                    break
                if m["type"] == "executing" and d.get("node") is None:
                    break
    hist = await asyncio.to_thread(http, "GET", "/history/" + pid)
    return hist.get(pid, {}), messages


def lora_keys(raw):
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    return header


def render(lora, strength, seed=777):
    wf = load("txt2img")
    titled(wf, "Checkpoint")["inputs"]["ckpt_name"] = A.ckpt
    lo = titled(wf, "LoRA")["inputs"]
    lo["lora_name"], lo["strength_model"], lo["strength_clip"] = lora, strength, strength
    titled(wf, "Positive prompt")["inputs"]["text"] = "probestyle, pixel art knight"
    s = titled(wf, "Sampler")["inputs"]
    s["seed"], s["steps"] = seed, 20
    return copy.deepcopy(wf)


async def main():
    t0 = time.time()
    folder, count = upload_dataset()
    print(f"uploaded {count} images + captions to {folder} at {A.size}² in {time.time() - t0:.1f}s")
    wf = load("train_style")
    titled(wf, "Checkpoint")["inputs"]["ckpt_name"] = A.ckpt
    titled(wf, "Dataset")["inputs"]["folder"] = folder
    titled(wf, "Train")["inputs"].update(steps=A.steps, rank=A.rank, learning_rate=A.lr, seed=5,
                                         warmup_steps=max(1, A.steps // 10), filename_prefix="dgx_pixels/probe")
    t1 = time.time()
    entry, messages = await run(wf)
    total = time.time() - t1
    steps = [(t, m["data"]) for t, m in messages if m["type"] == "dgx_pixels.train_step"]
    out = next(iter(entry.get("outputs", {}).values()), {})
    print(f"prompt done in {total:.1f}s; status {entry.get('status', {}).get('status_str')}; "
          f"{len(steps)} step messages")
    if len(steps) >= 3:
        per = (steps[-1][0] - steps[1][0]) / (len(steps) - 2)
        print(f"seconds/step (steps 2..{len(steps)}): {per:.3f}; first step at {steps[0][0] - t1:.1f}s "
              f"after submit (load, VAE encode, captions)")
        losses = [d["loss"] for _, d in steps]
        k = max(1, len(losses) // 5)
        print(f"loss mean first {k}: {np.mean(losses[:k]):.4f}, last {k}: {np.mean(losses[-k:]):.4f}; "
              f"min {min(losses):.4f} max {max(losses):.4f}")
        print("lr at steps 1, mid, last:", steps[0][1]["lr"], steps[len(steps) // 2][1]["lr"], steps[-1][1]["lr"])
    print("node output (no loss list):", json.dumps({k: v for k, v in out.items() if k != "loss"}))
    if not out.get("lora"):
        return
    info = out["lora"][0]
    q = urllib.parse.urlencode(info)
    t2 = time.time()
    raw = http("GET", "/view?" + q, timeout=600)
    print(f"/view of the LoRA: {len(raw) / 1e6:.1f} MB in {time.time() - t2:.2f}s")
    keys = lora_keys(raw)
    print(f"{len(keys)} tensors; sample keys: {sorted(keys)[:3]}")
    name = "probe_style.safetensors"
    with open(os.path.join(A.loras, name), "wb") as f:
        f.write(raw)
    images = {}
    for label, strength in (("without", 0.0), ("with", 1.0)):
        entry, _ = await run(render(name, strength))
        img = next(i for o in entry["outputs"].values() for i in o.get("images", []))
        png = http("GET", "/view?" + urllib.parse.urlencode(img))
        images[label] = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float32)
        Image.open(io.BytesIO(png)).save(os.path.join(A.out, f"render_{label}.png"))
    print(f"mean |with - without| per channel: {np.abs(images['with'] - images['without']).mean():.2f} / 255")
    with open(os.path.join(A.out, "train_steps.json"), "w") as f:
        json.dump([{"t": round(t - t1, 3), **d} for t, d in steps], f)


asyncio.run(main())
