"""ComfyUI driven straight, as a client that knows the knobs would: the fast graph (the server's
txt2img template at a 512² canvas, euler/sgm_uniform, 4 steps, cfg 1, the distillation LoRA),
POST /prompt, the /ws socket until `executing` with no node, then /history and /view (or the raw
frames our DgxPixelsSendImages node sends on the socket). Shared by drive_presets.py and
drive_levers.py; needs aiohttp (a ComfyUI dependency).
"""
import asyncio
import json
import os
import urllib.parse
import urllib.request
import uuid

import aiohttp

COMFY = "http://127.0.0.1:8188"
WORKFLOWS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "server", "workflows")
FRAME_EVENT = 0x44475846


def call(method, url, body=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def fast_graph(seed, batch=1, steps=4, size=512, send=False, compile_backend=None, items=None):
    """The fast graph as our server sends it for one frame; `batch` images from one seed, `send`
    saves with our DgxPixelsSendImages, `compile_backend` puts TorchCompileModel between the LoRA
    and the sampler. `items="same-negative"` makes it a batch of `batch` jobs as the server sends
    them through our batch nodes (a prompt and a seed per item, one shared negative prompt);
    `items="distinct-negative"` gives each item its own negative too."""
    with open(os.path.join(WORKFLOWS, "txt2img.json")) as f:
        wf = json.load(f)
    by = {n["_meta"]["title"]: n for n in wf.values()}
    by["Checkpoint"]["inputs"]["ckpt_name"] = "sdxl_random_fp16.safetensors"
    by["LoRA"]["inputs"].update(lora_name="lora_random_r64.safetensors", strength_model=1.0, strength_clip=1.0)
    by["Positive prompt"]["inputs"]["text"] = "knight, variant %d" % seed
    by["Sampler"]["inputs"].update(seed=seed, steps=steps, cfg=1.0, sampler_name="euler", scheduler="sgm_uniform")
    by["Canvas"]["inputs"].update(width=size, height=size, batch_size=batch)
    if items:
        prompts = ["knight, variant %d" % (seed * 100 + i) for i in range(batch)]
        negatives = (["blurry, photo, %d" % i for i in range(batch)] if items == "distinct-negative"
                     else ["blurry, photo"] * batch)
        for title, texts in (("Positive prompt", prompts), ("Negative prompt", negatives)):
            node = by[title]
            node["class_type"] = "DgxPixelsTextBatch"
            node["inputs"] = {"texts": json.dumps(texts), "clip": node["inputs"]["clip"]}
        sampler = by["Sampler"]
        sampler["class_type"] = "DgxPixelsBatchKSampler"
        del sampler["inputs"]["seed"]
        sampler["inputs"]["seeds"] = json.dumps([seed * 100 + i for i in range(batch)])
    if send:
        by["Save"]["class_type"] = "DgxPixelsSendImages"
    if compile_backend:
        wf["90"] = {"class_type": "TorchCompileModel", "inputs": {"model": ["2", 0], "backend": compile_backend},
                    "_meta": {"title": "Compile"}}
        by["Sampler"]["inputs"]["model"] = ["90", 0]
    return wf


class Direct:
    """One /ws connection; prompts queued on it and followed to their end."""

    def __init__(self, session, ws, client):
        self.session, self.ws, self.client = session, ws, client
        self.frames = 0

    @classmethod
    async def open(cls, session):
        client = uuid.uuid4().hex
        ws = await session.ws_connect(COMFY.replace("http", "ws") + "/ws?clientId=" + client, max_msg_size=0)
        return cls(session, ws, client)

    def submit(self, graph):
        return call("POST", COMFY + "/prompt", {"prompt": graph, "client_id": self.client})["prompt_id"]

    async def until_done(self, pids, timeout=900):
        left = set(pids)
        while left:
            msg = await asyncio.wait_for(self.ws.receive(), timeout)
            if msg.type == aiohttp.WSMsgType.BINARY:
                if int.from_bytes(msg.data[:4], "big") == FRAME_EVENT:
                    self.frames += 1
                continue
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"socket: {msg.type}")
            m = json.loads(msg.data)
            d = m.get("data") or {}
            if m["type"] == "execution_error":
                raise RuntimeError(json.dumps(d)[:2000])
            if m["type"] == "executing" and d.get("node") is None and d.get("prompt_id") in left:
                left.discard(d["prompt_id"])

    def fetch(self, pid):
        """Every image the prompt wrote, through /history and /view: the bytes."""
        hist = call("GET", f"{COMFY}/history/{pid}")[pid]
        out = []
        for o in hist["outputs"].values():
            for img in o.get("images", []):
                with urllib.request.urlopen(COMFY + "/view?" + urllib.parse.urlencode(img)) as r:
                    out.append(r.read())
        return out
