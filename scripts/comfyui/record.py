"""Record real exchanges with a running ComfyUI as JSON fixtures for the CI stand-in.

Talks to a ComfyUI over HTTP and its /ws WebSocket exactly as the server's `comfyui` backend does,
and writes one JSON file per scenario: every HTTP request and response (bodies as JSON, images as
base64) and every WebSocket frame in order (text frames as JSON, binary preview frames as base64),
each stamped with seconds since the scenario began. The workflows are the server's own templates
(server/workflows/*.json), filled by node title at a tiny canvas and a few steps so the fixtures
stay small.

usage: python3 record.py --url http://127.0.0.1:8188 --out server/tests/fixtures/comfyui
           [--ckpt NAME] [--lora NAME] [--broken-lora NAME] [--size 64] [--steps 3]
           [--die-cmd CMD --revive-cmd CMD] [--batch-nodes] [--only NAME,...]

Scenarios: object_info, txt2img, sheet, facings (needs our batch nodes, comfyui_nodes/dgx_pixels,
loaded: a 4-direction sheet of 2 frames as the server sends it, the rows s, w and n drawn, as one
batch of 6 items with a prompt and a seed each), tile and tile_single (the seamless template,
batch 2 and 1; our nodes), frames (txt2img, batch 2, saved by our DgxPixelsSendImages: the
images as raw pixels in binary WebSocket messages, nothing to /view),
our_nodes (object_info of our four nodes, written as object_info_dgx_nodes.json), img2img, node_errors_lora, node_errors_checkpoint,
execution_error (needs --broken-lora: a file in ComfyUI's loras folder that is not a valid
safetensors file), interrupt (interrupt a running prompt and delete a queued one from /queue),
died (needs --die-cmd and --revive-cmd: ComfyUI is killed mid-prompt and started again), and,
with our nodes, train (a dataset uploaded with captions, the `train_style` template, the LoRA from
/view), train_error (an empty caption makes the trainer raise) and train_interrupt.
Needs Python 3.10+ and aiohttp (a ComfyUI dependency).
"""
import argparse
import asyncio
import base64
import copy
import hashlib
import io
import json
import os
import struct
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib

import aiohttp

HERE = os.path.dirname(os.path.abspath(__file__))
WORKFLOWS = os.path.join(HERE, "..", "..", "server", "workflows")
OUR_NODES = ["DgxPixelsTextBatch", "DgxPixelsBatchKSampler", "DgxPixelsSeamless", "DgxPixelsSeamlessVAEDecode",
             "DgxPixelsTrainLora", "DgxPixelsSendImages"]
USED_NODES = ["CheckpointLoaderSimple", "LoraLoader", "CLIPTextEncode", "EmptyLatentImage", "KSampler",
              "VAEDecode", "VAEEncode", "LoadImage", "RepeatLatentBatch", "SaveImage", "PreviewImage",
              "LoadImageTextSetFromFolderNode"]
# Answers larger than this that are neither JSON nor an image (a trained LoRA from /view) are kept
# as their size, digest and first bytes, so the fixtures stay small.
KEEP_BYTES = 65536

P = argparse.ArgumentParser()
P.add_argument("--url", default="http://127.0.0.1:8188")
P.add_argument("--out", required=True)
P.add_argument("--ckpt", default="sdxl_random_fp16.safetensors")
P.add_argument("--lora", default="lora_random_r64.safetensors")
P.add_argument("--broken-lora", default=None)
P.add_argument("--size", type=int, default=64)
P.add_argument("--steps", type=int, default=3)
P.add_argument("--die-cmd", default=None)
P.add_argument("--revive-cmd", default=None)
P.add_argument("--only", default=None, help="comma-separated scenario names")
P.add_argument("--batch-nodes", action="store_true",
               help="ComfyUI has our nodes (comfyui_nodes/dgx_pixels): record `facings`, `tile`, `our_nodes` too")
A = P.parse_args()


class Recorder:
    """One scenario's exchanges, in order."""

    def __init__(self, name):
        self.name = name
        self.t0 = time.time()
        self.client_id = uuid.uuid4().hex
        self.http = []
        self.ws = []
        self.notes = {}

    def t(self):
        return round(time.time() - self.t0, 4)

    def request(self, method, path, body=None, form=None, timeout=60):
        entry = {"t": self.t(), "method": method, "path": path}
        data, headers = None, {}
        if body is not None:
            entry["request_json"] = body
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            data, ctype, entry["request_form"] = multipart(form)
            headers["Content-Type"] = ctype
        req = urllib.request.Request(A.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, ctype, raw = r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            status, ctype, raw = e.code, e.headers.get("Content-Type", ""), e.read()
        except OSError as e:
            entry["error"] = repr(e)
            self.http.append(entry)
            return None, None
        entry["status"], entry["content_type"] = status, ctype
        parsed = None
        if "json" in ctype:
            parsed = json.loads(raw)
            entry["response_json"] = parsed
        elif ctype.startswith("image/"):
            entry["response_b64"] = base64.b64encode(raw).decode()
        elif len(raw) > KEEP_BYTES:
            entry["response_size"] = len(raw)
            entry["response_sha256"] = hashlib.sha256(raw).hexdigest()
            entry["response_head_b64"] = base64.b64encode(raw[:256]).decode()
        else:
            entry["response_text"] = raw.decode("utf-8", "replace")
        self.http.append(entry)
        return status, parsed

    def save(self):
        doc = {"scenario": self.name, "comfyui_url": A.url, "client_id": self.client_id, "notes": self.notes,
               "http": self.http, "ws": self.ws}
        path = os.path.join(A.out, self.name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
        print("wrote", path, len(self.http), "http,", len(self.ws), "ws", flush=True)


def multipart(form):
    boundary = uuid.uuid4().hex
    out, described = io.BytesIO(), {}
    for name, value in form.items():
        out.write(("--%s\r\n" % boundary).encode())
        if isinstance(value, tuple):
            filename, content = value
            out.write(('Content-Disposition: form-data; name="%s"; filename="%s"\r\n' % (name, filename)).encode())
            kind = b"text/plain" if filename.endswith(".txt") else b"image/png"
            out.write(b"Content-Type: " + kind + b"\r\n\r\n" + content + b"\r\n")
            described[name] = {"filename": filename, "b64": base64.b64encode(content).decode()}
        else:
            out.write(('Content-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (name, value)).encode())
            described[name] = value
    out.write(("--%s--\r\n" % boundary).encode())
    return out.getvalue(), "multipart/form-data; boundary=" + boundary, described


def tiny_png(w, h, cell=8):
    """A w×h RGB checkerboard PNG of `cell`-pixel squares, made without Pillow."""
    rows = b"".join(b"\x00" + bytes(((x // cell + y // cell) % 2 * 200 + 30) for x in range(w) for _ in range(3))
                    for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def load(name):
    with open(os.path.join(WORKFLOWS, name + ".json")) as f:
        return json.load(f)


def titled(wf, title):
    return next(n for n in wf.values() if n.get("_meta", {}).get("title") == title)


def fill(wf, seed, batch, prompt="pixel art knight, side view", lora=None, ckpt=None):
    wf = copy.deepcopy(wf)
    titled(wf, "Checkpoint")["inputs"]["ckpt_name"] = ckpt or A.ckpt
    lo = titled(wf, "LoRA")["inputs"]
    lo["lora_name"], lo["strength_model"], lo["strength_clip"] = lora or A.lora, 0.8, 0.8
    titled(wf, "Positive prompt")["inputs"]["text"] = prompt
    titled(wf, "Negative prompt")["inputs"]["text"] = "blurry, photo"
    s = titled(wf, "Sampler")["inputs"]
    s["seed"], s["steps"], s["cfg"] = seed, A.steps, 7.5
    canvas = titled(wf, "Canvas")
    if canvas["class_type"] == "EmptyLatentImage":
        canvas["inputs"].update(width=A.size, height=A.size, batch_size=batch)
    else:
        canvas["inputs"]["amount"] = batch
    return wf


async def ws_listen(rec, stop, ready):
    url = A.url.replace("http", "ws", 1) + "/ws?clientId=" + rec.client_id
    try:
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(url, max_msg_size=0) as ws:
                ready.set()
                while not stop.is_set():
                    try:
                        msg = await asyncio.wait_for(ws.receive(), 0.2)
                    except asyncio.TimeoutError:
                        continue
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        rec.ws.append({"t": rec.t(), "kind": "text", "json": json.loads(msg.data)})
                    elif msg.type == aiohttp.WSMsgType.BINARY:
                        rec.ws.append({"t": rec.t(), "kind": "binary", "b64": base64.b64encode(msg.data).decode()})
                    else:
                        rec.ws.append({"t": rec.t(), "kind": "closed", "detail": str(msg.type), "extra": str(msg.extra)})
                        return
    except Exception as e:  # the died scenario ends here
        rec.ws.append({"t": rec.t(), "kind": "closed", "detail": repr(e)})
        ready.set()


def finished(rec, pid):
    for m in rec.ws:
        if m["kind"] == "closed":
            return True
        d = m.get("json", {}).get("data") or {}
        typ = m.get("json", {}).get("type")
        if d.get("prompt_id") == pid and (typ in ("execution_error", "execution_interrupted") or (
                typ == "executing" and d.get("node") is None)):
            return True
    return False


async def run_prompt(rec, wf, expect_images=True, during=None, timeout=300):
    """POST /prompt, follow /ws to the end, then /history and /view as the backend does."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(ws_listen(rec, stop, ready))
    await asyncio.wait_for(ready.wait(), 15)
    await asyncio.sleep(0.2)
    body = {"prompt": wf, "client_id": rec.client_id, "prompt_id": str(uuid.uuid4())}
    status, resp = await asyncio.to_thread(rec.request, "POST", "/prompt", body)
    pid = (resp or {}).get("prompt_id")
    rec.notes["prompt_id"] = pid
    if status == 200 and pid:
        if during is not None:
            await during(rec, pid)
        t0 = time.time()
        while not finished(rec, pid) and time.time() - t0 < timeout:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the trailing status message
    stop.set()
    await task
    if status == 200 and pid and not rec.notes.get("skip_history"):
        _, hist = await asyncio.to_thread(rec.request, "GET", "/history/" + pid)
        if expect_images and hist and pid in hist:
            for out in hist[pid].get("outputs", {}).values():
                for img in out.get("images", []):
                    q = urllib.parse.urlencode({"filename": img["filename"], "subfolder": img["subfolder"],
                                                "type": img["type"]})
                    await asyncio.to_thread(rec.request, "GET", "/view?" + q)
    return pid


async def scenario_object_info():
    rec = Recorder("object_info")
    rec.request("GET", "/system_stats")
    rec.request("GET", "/queue")
    _, info = rec.request("GET", "/object_info")
    # Trim the whole-catalogue answer to the nodes we use, and say how many there were.
    entry = rec.http[-1]
    rec.notes["object_info_node_count"] = len(info)
    entry["response_json"] = {k: v for k, v in info.items() if k in USED_NODES}
    rec.notes["trimmed_to"] = USED_NODES
    rec.request("GET", "/object_info/LoraLoader")
    rec.request("GET", "/object_info/NoSuchNode")
    rec.save()


async def scenario_txt2img(name, template, seed, batch):
    rec = Recorder(name)
    await run_prompt(rec, fill(load(template), seed, batch))
    rec.save()


# The view words the server puts after the prompt per facing (server/src/backend/comfyui/facing.rs).
VIEW_WORDS = {"s": "front view, facing the viewer", "w": "side view, in profile, facing left",
              "n": "back view, facing away from the viewer"}


def batch_items(wf, prompts, negatives, seeds):
    """What the server's Workflow::batch_items does: the prompt encoders become DgxPixelsTextBatch
    and the KSampler DgxPixelsBatchKSampler, each item with its own text and seed."""
    for title, texts in (("Positive prompt", prompts), ("Negative prompt", negatives)):
        node = titled(wf, title)
        node["class_type"] = "DgxPixelsTextBatch"
        del node["inputs"]["text"]
        node["inputs"]["texts"] = json.dumps(texts, separators=(",", ":"))
    sampler = titled(wf, "Sampler")
    sampler["class_type"] = "DgxPixelsBatchKSampler"
    del sampler["inputs"]["seed"]
    sampler["inputs"]["seeds"] = json.dumps(seeds, separators=(",", ":"))
    return wf


async def scenario_facings():
    """A 4-direction sheet of 2 frames, mirrored: rows s, w, n drawn, item (facing, frame) seeded
    seed + frame, as the server's ComfyUI backend sends it when the batch nodes are there."""
    rec = Recorder("facings")
    seed, frames, base = 2468, 2, "pixel art knight, walk cycle"
    prompts = ["%s, %s" % (base, VIEW_WORDS[f]) for f in ("s", "w", "n") for _ in range(frames)]
    seeds = [seed + k for _ in range(3) for k in range(frames)]
    wf = batch_items(fill(load("txt2img"), seed, len(prompts), prompt=base), prompts,
                     ["blurry, photo"] * len(prompts), seeds)
    rec.notes["items"] = [{"prompt": p, "seed": s} for p, s in zip(prompts, seeds)]
    await run_prompt(rec, wf)
    rec.save()


async def scenario_tile(name, batch):
    """The server's `tile` template (our seamless nodes) with a batch of `batch` tiles."""
    rec = Recorder(name)
    await run_prompt(rec, fill(load("tile"), 1357 + batch, batch, prompt="pixel art grass, top-down, seamless texture"))
    rec.save()


async def scenario_frames():
    """txt2img with a batch of 2 whose save node is our DgxPixelsSendImages, as the server sends it
    when ComfyUI has the node: the frames arrive over the WebSocket, /history names no image."""
    rec = Recorder("frames")
    wf = fill(load("txt2img"), 4321, 2)
    titled(wf, "Save")["class_type"] = "DgxPixelsSendImages"
    await run_prompt(rec, wf, expect_images=False)
    rec.save()


async def scenario_our_nodes():
    """GET /object_info/{class} for every node of comfyui_nodes/dgx_pixels, as the stand-in serves them."""
    rec = Recorder("object_info_dgx_nodes")
    for name in OUR_NODES:
        rec.request("GET", "/object_info/" + name)
    doc = {"notes": "Recorded from real ComfyUI with comfyui_nodes/dgx_pixels installed by scripts/comfyui/record.py "
                    "(scenario our_nodes): GET /object_info/{class} for each of our nodes."}
    for entry in rec.http:
        doc.update(entry.get("response_json") or {})
    with open(os.path.join(A.out, "object_info_dgx_nodes.json"), "w") as f:
        json.dump(doc, f, indent=1)
    print("wrote object_info_dgx_nodes.json", sorted(k for k in doc if k != "notes"), flush=True)


async def scenario_img2img():
    rec = Recorder("img2img")
    form = {"image": ("dgx-pixels-source.png", tiny_png(A.size, A.size)), "type": "input", "overwrite": "true"}
    _, up = await asyncio.to_thread(rec.request, "POST", "/upload/image", None, form)
    wf = fill(load("img2img"), 4242, 2)
    titled(wf, "Source image")["inputs"]["image"] = up["name"]
    await run_prompt(rec, wf)
    rec.save()


async def scenario_node_errors(name, **bad):
    rec = Recorder(name)
    await run_prompt(rec, fill(load("txt2img"), 7, 1, **bad), expect_images=False)
    rec.save()


async def scenario_execution_error():
    rec = Recorder("execution_error")
    await run_prompt(rec, fill(load("txt2img"), 8, 1, lora=A.broken_lora), expect_images=False)
    rec.save()


async def scenario_interrupt():
    """Two prompts queued: interrupt the running one at its first progress, delete the queued one."""
    rec = Recorder("interrupt")
    slow = fill(load("txt2img"), 9, 1)
    titled(slow, "Sampler")["inputs"]["steps"] = 60
    titled(slow, "Canvas")["inputs"].update(width=512, height=512)

    async def during(rec, pid):
        queued = fill(load("txt2img"), 10, 1)
        _, r2 = await asyncio.to_thread(rec.request, "POST", "/prompt",
                                        {"prompt": queued, "client_id": rec.client_id, "prompt_id": str(uuid.uuid4())})
        rec.notes["queued_prompt_id"] = (r2 or {}).get("prompt_id")
        await wait_progress(rec, pid)
        await asyncio.to_thread(rec.request, "GET", "/queue")
        await asyncio.to_thread(rec.request, "POST", "/queue", {"delete": [rec.notes["queued_prompt_id"]]})
        await asyncio.to_thread(rec.request, "POST", "/interrupt", {"prompt_id": pid})
        await asyncio.sleep(0.5)
        await asyncio.to_thread(rec.request, "GET", "/queue")
    await run_prompt(rec, slow, expect_images=False, during=during)
    rec.save()


def train_prompt(folder, steps, seed):
    """The server's `train_style` template at a tiny size: rank 1, so the LoRA stays small."""
    wf = load("train_style")
    titled(wf, "Checkpoint")["inputs"]["ckpt_name"] = A.ckpt
    titled(wf, "Dataset")["inputs"]["folder"] = folder
    titled(wf, "Train")["inputs"].update(steps=steps, rank=1, learning_rate=0.0001, seed=seed, warmup_steps=1,
                                         filename_prefix="dgx_pixels/recorded")
    return wf


async def upload_dataset(rec, captions):
    """Uploads one checkerboard image per caption, each with its caption as a .txt beside it, into
    a fresh sub-folder of ComfyUI's input folder, as the server does; returns the sub-folder."""
    folder = "dgx_pixels_train/rec-" + uuid.uuid4().hex[:8]
    for i, caption in enumerate(captions):
        for name, content in (("%02d.png" % i, tiny_png(A.size, A.size, 4 + 4 * i)),
                              ("%02d.txt" % i, caption.encode())):
            form = {"image": (name, content), "type": "input", "subfolder": folder, "overwrite": "true"}
            await asyncio.to_thread(rec.request, "POST", "/upload/image", None, form)
    return folder


async def scenario_train():
    """A style trained on two images for 3 steps; then the LoRA fetched through /view."""
    rec = Recorder("train")
    folder = await upload_dataset(rec, ["recstyle, pixel art knight", "recstyle, pixel art tree"])
    pid = await run_prompt(rec, train_prompt(folder, 3, 21), expect_images=False)
    hist = rec.http[-1].get("response_json") or {}
    for out in hist.get(pid, {}).get("outputs", {}).values():
        for lora in out.get("lora", []):
            q = urllib.parse.urlencode({"filename": lora["filename"], "subfolder": lora["subfolder"],
                                        "type": lora["type"]})
            await asyncio.to_thread(rec.request, "GET", "/view?" + q)
    rec.save()


async def scenario_train_error():
    """An empty caption: ComfyUI's dataset loader then yields one conditioning too many and the
    trainer raises (the server always writes a caption; this records a real trainer failure)."""
    rec = Recorder("train_error")
    folder = await upload_dataset(rec, ["recstyle, pixel art knight", ""])
    await run_prompt(rec, train_prompt(folder, 3, 22), expect_images=False)
    rec.save()


async def scenario_train_interrupt():
    """A long training interrupted at its second step."""
    rec = Recorder("train_interrupt")
    folder = await upload_dataset(rec, ["recstyle, pixel art knight", "recstyle, pixel art tree"])

    async def during(rec, pid):
        await wait_progress(rec, pid, kind="dgx_pixels.train_step", count=2)
        await asyncio.to_thread(rec.request, "POST", "/interrupt", {"prompt_id": pid})
    await run_prompt(rec, train_prompt(folder, 500, 23), expect_images=False, during=during)
    rec.save()


async def wait_progress(rec, pid, timeout=120, kind="progress", count=1):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if sum(m.get("json", {}).get("type") == kind for m in rec.ws) >= count:
            return
        await asyncio.sleep(0.02)


async def scenario_died():
    """ComfyUI is killed at the first progress of a prompt and started again: what a client sees."""
    rec = Recorder("died")
    slow = fill(load("txt2img"), 11, 1)
    titled(slow, "Sampler")["inputs"]["steps"] = 60
    titled(slow, "Canvas")["inputs"].update(width=512, height=512)
    rec.notes["skip_history"] = True

    async def during(rec, pid):
        await wait_progress(rec, pid)
        subprocess.run(A.die_cmd, shell=True, check=False)
        rec.notes["killed_at"] = rec.t()
        await asyncio.sleep(1.0)
        await asyncio.to_thread(rec.request, "GET", "/system_stats", None, None, 3)
        subprocess.run(A.revive_cmd, shell=True, check=False)
        t0, tries = time.time(), 0
        while time.time() - t0 < 240:
            tries += 1
            try:
                with urllib.request.urlopen(A.url + "/system_stats", timeout=2):
                    break
            except OSError:
                await asyncio.sleep(0.5)
        rec.notes["revived_after_s"], rec.notes["revive_polls"] = round(time.time() - t0, 2), tries
        await asyncio.to_thread(rec.request, "GET", "/history/" + pid)
        await asyncio.to_thread(rec.request, "GET", "/queue")
    await run_prompt(rec, slow, expect_images=False, during=during)
    rec.save()


async def main():
    os.makedirs(A.out, exist_ok=True)
    only = set(A.only.split(",")) if A.only else None
    plan = [
        ("object_info", scenario_object_info),
        ("txt2img", lambda: scenario_txt2img("txt2img", "txt2img", 1234, 1)),
        ("sheet", lambda: scenario_txt2img("sheet", "sheet", 5678, 4)),
        ("facings", scenario_facings if A.batch_nodes else None),
        ("tile", (lambda: scenario_tile("tile", 2)) if A.batch_nodes else None),
        ("tile_single", (lambda: scenario_tile("tile_single", 1)) if A.batch_nodes else None),
        ("frames", scenario_frames if A.batch_nodes else None),
        ("our_nodes", scenario_our_nodes if A.batch_nodes else None),
        ("img2img", scenario_img2img),
        ("node_errors_lora", lambda: scenario_node_errors("node_errors_lora", lora="missing_style.safetensors")),
        ("node_errors_checkpoint", lambda: scenario_node_errors("node_errors_checkpoint", ckpt="missing.safetensors")),
        ("execution_error", scenario_execution_error if A.broken_lora else None),
        ("interrupt", scenario_interrupt),
        ("died", scenario_died if A.die_cmd and A.revive_cmd else None),
        ("train", scenario_train if A.batch_nodes else None),
        ("train_error", scenario_train_error if A.batch_nodes else None),
        ("train_interrupt", scenario_train_interrupt if A.batch_nodes else None),
    ]
    for name, fn in plan:
        if fn is None or (only and name not in only):
            continue
        t0 = time.time()
        try:
            await fn()
        except Exception as e:
            print("FAILED", name, repr(e), flush=True)
        print("scenario", name, "%.1fs" % (time.time() - t0), flush=True)


asyncio.run(main())
