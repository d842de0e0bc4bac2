"""Drive a running ComfyUI over HTTP (POST /prompt, GET /history) and time SDXL runs.

The project's ComfyUI-direct baseline driver (from shared/bench/gpu/drive.py), kept here so the
comparison in BENCHMARKS.md ("ComfyUI backend (H100)") can be rerun with scripts/gpu/bench.sh.
Added: --plan compare (the matrix our server is measured on, sized to share one device call).

usage: python3 drive.py --url http://127.0.0.1:8188 --log COMFY_LOG --out results.json
                        [--plan full|smoke|fast] [--label NAME]
"""
import argparse
import json
import os
import re
import statistics
import threading
import time
import urllib.parse
import urllib.request
import uuid

P = argparse.ArgumentParser()
P.add_argument("--url", default="http://127.0.0.1:8188")
P.add_argument("--log", required=True)
P.add_argument("--out", required=True)
P.add_argument("--plan", default="full")
P.add_argument("--label", default="default")
P.add_argument("--ckpt", default="sdxl_random_fp16.safetensors")
P.add_argument("--lora", default="lora_random_r64.safetensors")
P.add_argument("--steps", type=int, default=30)
P.add_argument("--budget-s", type=float, default=400.0, help="skip optional phases past this")
P.add_argument("--sizes", default="1024,512", help="canvas sides of the stream plan")
A = P.parse_args()
CLIENT = str(uuid.uuid4())
T_START = time.time()
RESULTS = {"label": A.label, "plan": A.plan, "phases": {}, "errors": []}


def http(path, data=None, timeout=30):
    req = urllib.request.Request(A.url + path)
    if data is not None:
        req.data = json.dumps(data).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = r.read()
    return body


def jget(path):
    return json.loads(http(path))


# ---------------- GPU memory sampler (NVML) ----------------
MEM = {"phase": "startup", "peak": {}, "ok": False}


def mem_sampler():
    try:
        import pynvml
        pynvml.nvmlInit()
        h = pynvml.nvmlDeviceGetHandleByIndex(0)
        MEM["ok"] = True
        MEM["gpu_name"] = pynvml.nvmlDeviceGetName(h)
        if isinstance(MEM["gpu_name"], bytes):
            MEM["gpu_name"] = MEM["gpu_name"].decode()
        MEM["total_mib"] = pynvml.nvmlDeviceGetMemoryInfo(h).total / 2**20
        while True:
            used = pynvml.nvmlDeviceGetMemoryInfo(h).used / 2**20
            ph = MEM["phase"]
            MEM["peak"][ph] = max(MEM["peak"].get(ph, 0.0), used)
            MEM["peak"]["overall"] = max(MEM["peak"].get("overall", 0.0), used)
            time.sleep(0.05)
    except Exception as e:  # no GPU locally
        MEM["error"] = repr(e)


threading.Thread(target=mem_sampler, daemon=True).start()

# ---------------- workflow ----------------
SEED = [1000]
TEXT_N = [0]


def workflow(w, h, batch, steps=None, lora=True, prefix="bench"):
    SEED[0] += 1
    TEXT_N[0] += 1
    steps = steps or A.steps
    wf = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": A.ckpt}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {
            "text": "pixel art sprite sheet of a knight, variant %d, side view, 8 frames" % TEXT_N[0],
            "clip": ["2", 1] if lora else ["1", 1]}},
        "4": {"class_type": "CLIPTextEncode", "inputs": {
            "text": "blurry, photo, 3d render", "clip": ["2", 1] if lora else ["1", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": w, "height": h, "batch_size": batch}},
        "6": {"class_type": "KSampler", "inputs": {
            "model": ["2", 0] if lora else ["1", 0], "seed": SEED[0], "steps": steps, "cfg": 7.5,
            "sampler_name": "euler", "scheduler": "normal", "positive": ["3", 0],
            "negative": ["4", 0], "latent_image": ["5", 0], "denoise": 1.0}},
        "7": {"class_type": "VAEDecode", "inputs": {"samples": ["6", 0], "vae": ["1", 2]}},
        "8": {"class_type": "SaveImage", "inputs": {"images": ["7", 0], "filename_prefix": prefix}},
    }
    if lora:
        wf["2"] = {"class_type": "LoraLoader", "inputs": {
            "model": ["1", 0], "clip": ["1", 1], "lora_name": A.lora,
            "strength_model": 0.8, "strength_clip": 0.8}}
    return wf


class WS:
    """Completion events from ComfyUI's /ws (what a real client should use instead of polling)."""

    def __init__(self):
        self.done, self.success = {}, {}
        self.cv = threading.Condition()
        self.ok = False
        self.err = None
        threading.Thread(target=self._run, daemon=True).start()
        t0 = time.time()
        while not self.ok and self.err is None and time.time() - t0 < 10:
            time.sleep(0.05)

    def _run(self):
        import asyncio
        try:
            asyncio.run(self._main())
        except Exception as e:
            self.err = repr(e)

    async def _main(self):
        import aiohttp
        url = A.url.replace("http", "ws", 1) + "/ws?clientId=" + CLIENT
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(url, max_msg_size=0) as ws:
                self.ok = True
                async for msg in ws:
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        continue
                    t = time.time()
                    d = json.loads(msg.data)
                    typ, data = d.get("type"), d.get("data") or {}
                    pid = data.get("prompt_id")
                    if typ == "execution_success":
                        self.success[pid] = t
                    fin = typ in ("execution_error", "execution_interrupted") or (
                        typ == "executing" and data.get("node") is None and pid)
                    if fin:
                        with self.cv:
                            self.done.setdefault(pid, t)
                            self.cv.notify_all()

    def wait(self, pid, timeout=600):
        with self.cv:
            if not self.cv.wait_for(lambda: pid in self.done, timeout):
                raise TimeoutError(pid)
            return self.done[pid]


WSC = [None]


def submit(wf):
    r = json.loads(http("/prompt", {"prompt": wf, "client_id": CLIENT}))
    if r.get("node_errors"):
        raise RuntimeError("node_errors: %s" % json.dumps(r["node_errors"])[:2000])
    return r["prompt_id"]


def wait(pid, timeout=600, mode="ws"):
    if mode == "ws" and WSC[0] is not None and WSC[0].ok:
        t = WSC[0].wait(pid, timeout)
        e = jget("/history/" + pid).get(pid, {})
        return t, e
    interval = 0.01 if mode == "poll10" else 0.05
    t0 = time.time()
    while time.time() - t0 < timeout:
        h = jget("/history/" + pid)
        if pid in h:
            e = h[pid]
            st = e.get("status", {})
            if st.get("completed") or st.get("status_str") in ("success", "error"):
                return time.time(), e
        time.sleep(interval)
    raise TimeoutError(pid)


def exec_span(entry):
    """execution_start -> execution_success from ComfyUI's own timestamps (ms)."""
    ts = {}
    for m in entry.get("status", {}).get("messages", []):
        if isinstance(m, list) and len(m) == 2 and isinstance(m[1], dict) and "timestamp" in m[1]:
            ts[m[0]] = m[1]["timestamp"]
    if "execution_start" in ts and "execution_success" in ts:
        return (ts["execution_success"] - ts["execution_start"]) / 1000.0
    return None


def check_ok(entry):
    st = entry.get("status", {})
    if st.get("status_str") != "success":
        raise RuntimeError("prompt failed: %s" % json.dumps(st)[:3000])


def log_size():
    try:
        return os.path.getsize(A.log)
    except OSError:
        return 0


ITS_RE = re.compile(r"(\d+)/(\d+) \[[0-9:<>]+,\s*([0-9.]+)(it/s|s/it)\]")
EXEC_RE = re.compile(r"Prompt executed in ([0-9.:]+) seconds")


def log_stats(a, b):
    with open(A.log, "rb") as f:
        f.seek(a)
        txt = f.read(b - a).decode("utf-8", "replace")
    its = []
    # one sampler bar per executed prompt: take the last finished-bar reading per segment
    for seg in re.split(r"Prompt executed in", txt.replace("\r", "\n"))[:-1]:
        last = None
        for m in ITS_RE.finditer(seg):
            n, tot, v, unit = int(m.group(1)), int(m.group(2)), float(m.group(3)), m.group(4)
            if n == tot and tot > 1:
                last = v if unit == "it/s" else 1.0 / v
        if last is not None:
            its.append(last)
    execs = []
    for m in EXEC_RE.finditer(txt):
        s = m.group(1)
        if ":" in s:  # h:mm:ss style
            parts = [float(x) for x in s.split(":")]
            v = 0.0
            for p in parts:
                v = v * 60 + p
            execs.append(v)
        else:
            execs.append(float(s))
    return its, execs


def phase(name, fn):
    if time.time() - T_START > A.budget_s and name not in ("a_1024_b1",):
        RESULTS["phases"][name] = {"skipped": "time budget"}
        print("SKIP", name, flush=True)
        return
    MEM["phase"] = name
    a = log_size()
    t0 = time.time()
    try:
        res = fn()
    except Exception as e:
        res = {"error": repr(e)}
        RESULTS["errors"].append("%s: %r" % (name, e))
    time.sleep(0.3)
    its, execs = log_stats(a, log_size())
    res["comfy_it_per_s"] = its
    res["comfy_prompt_executed_s"] = execs
    if its:
        res["comfy_it_per_s_median"] = statistics.median(its)
    res["gpu_mem_peak_mib"] = MEM["peak"].get(name)
    res["phase_wall_s"] = time.time() - t0
    RESULTS["phases"][name] = res
    print("PHASE", name, json.dumps({k: v for k, v in res.items() if k not in ("comfy_prompt_executed_s",)}), flush=True)
    save()


def sequential(w, h, batch, n_warm, n_timed, lora=True, steps=None, mode="ws"):
    def run():
        warm, timed, spans = [], [], []
        for i in range(n_warm + n_timed):
            t0 = time.time()
            pid = submit(workflow(w, h, batch, steps=steps, lora=lora))
            t1, e = wait(pid, mode=mode)
            check_ok(e)
            dt = t1 - t0
            (warm if i < n_warm else timed).append(dt)
            if i >= n_warm:
                spans.append(exec_span(e))
            last = e
        out = {"w": w, "h": h, "batch": batch, "steps": steps or A.steps, "lora": lora, "wait": mode,
               "warmup_s": warm, "timed_s": timed,
               "median_s_per_prompt": statistics.median(timed),
               "median_s_per_image": statistics.median(timed) / batch,
               "images_per_min": 60.0 * batch / statistics.median(timed),
               "exec_span_s": spans}
        # fetch one output image over /view
        try:
            img = list(last["outputs"].values())[0]["images"][0]
            q = urllib.parse.urlencode({"filename": img["filename"], "subfolder": img["subfolder"], "type": img["type"]})
            t0 = time.time()
            body = http("/view?" + q)
            out["view_fetch_s"] = time.time() - t0
            out["png_bytes"] = len(body)
        except Exception as ex:
            out["view_fetch_error"] = repr(ex)
        return out
    return run


def queued(w, h, batch, n, mode="ws"):
    def run():
        t0 = time.time()
        pids = [submit(workflow(w, h, batch)) for _ in range(n)]
        t_sub = time.time() - t0
        done = []
        for pid in pids:
            t1, e = wait(pid, mode=mode)
            check_ok(e)
            done.append(t1 - t0)
        total = done[-1]
        return {"w": w, "h": h, "batch": batch, "n_prompts": n, "wait": mode, "submit_all_s": t_sub,
                "completion_times_s": done, "total_s": total,
                "s_per_image": total / (n * batch), "images_per_min": 60.0 * n * batch / total}
    return run


def save():
    RESULTS["gpu"] = {k: MEM.get(k) for k in ("gpu_name", "total_mib", "error")}
    RESULTS["gpu_mem_peak_mib"] = MEM["peak"]
    RESULTS["elapsed_s"] = time.time() - T_START
    with open(A.out, "w") as f:
        json.dump(RESULTS, f, indent=1)


def main():
    t0 = time.time()
    while True:
        try:
            RESULTS["system_stats"] = jget("/system_stats")
            break
        except Exception:
            if time.time() - t0 > 240:
                raise SystemExit("ComfyUI did not come up")
            time.sleep(0.5)
    RESULTS["server_up_wait_s"] = time.time() - t0
    print("server up after %.1fs" % RESULTS["server_up_wait_s"], flush=True)
    try:
        oi = jget("/object_info/CheckpointLoaderSimple")
        RESULTS["ckpts_seen"] = oi["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0]
        print("checkpoints:", RESULTS["ckpts_seen"], flush=True)
    except Exception as e:
        RESULTS["errors"].append("object_info: %r" % e)

    WSC[0] = WS()
    RESULTS["ws_ok"], RESULTS["ws_err"] = WSC[0].ok, WSC[0].err
    print("websocket ok:", WSC[0].ok, WSC[0].err, flush=True)
    if A.plan == "smoke":
        phase("smoke", sequential(64, 64, 1, 0, 1, steps=2))
        phase("smoke_b2_poll", sequential(64, 64, 2, 0, 1, steps=2, mode="poll10"))
    elif A.plan == "fast":
        phase("cold_first_prompt", sequential(1024, 1024, 1, 0, 1))
        phase("a_1024_b1", sequential(1024, 1024, 1, 1, 5))
        phase("d_512_b1", sequential(512, 512, 1, 1, 5))
    elif A.plan == "fp16acc":
        phase("cold_first_prompt", sequential(1024, 1024, 1, 0, 1))
        phase("b_1024_b8", sequential(1024, 1024, 8, 1, 2))
        phase("a_1024_b1", sequential(1024, 1024, 1, 1, 5))
        phase("b_512_b8", sequential(512, 512, 8, 1, 3))
    elif A.plan == "compare":
        phase("cold_first_prompt", sequential(1024, 1024, 1, 0, 1))
        for size in (1024, 768, 512):
            phase("a_%d_b1" % size, sequential(size, size, 1, 1, 3))
            phase("c_%d_8x_b1_queued" % size, queued(size, size, 1, 8))
            phase("b_%d_b8" % size, sequential(size, size, 8, 1, 2))
    elif A.plan == "b1024":
        phase("cold_first_prompt", sequential(1024, 1024, 1, 0, 1))
        phase("a_1024_b1", sequential(1024, 1024, 1, 1, 3))
        phase("c_1024_8x_b1_queued", queued(1024, 1024, 1, 8))
        phase("b_1024_b8", sequential(1024, 1024, 8, 1, 3))
    elif A.plan == "stream":
        phase("cold_first_prompt", sequential(1024, 1024, 1, 0, 1))
        for size in map(int, A.sizes.split(",")):
            phase("c_%d_16x_b1_queued" % size, queued(size, size, 1, 16))
    elif A.plan == "b1024_again":
        phase("b_1024_b8_again", sequential(1024, 1024, 8, 0, 3))
    elif A.plan == "full2":
        phase("cold_first_prompt", sequential(1024, 1024, 1, 0, 1))
        phase("a_1024_b1", sequential(1024, 1024, 1, 1, 5))
        phase("a_1024_b1_poll10ms", sequential(1024, 1024, 1, 0, 5, mode="poll10"))
        phase("d_512_b1", sequential(512, 512, 1, 1, 5))
        phase("d_768_b1", sequential(768, 768, 1, 1, 5))
        phase("b_512_b8", sequential(512, 512, 8, 1, 3))
        phase("b_768_b8", sequential(768, 768, 8, 1, 3))
        phase("b_1024_b8", sequential(1024, 1024, 8, 1, 3))
        phase("c_1024_8x_b1_queued", queued(1024, 1024, 1, 8))
        phase("c_512_8x_b1_queued", queued(512, 512, 1, 8))
    else:
        phase("cold_first_prompt", sequential(1024, 1024, 1, 0, 1))
        phase("a_1024_b1", sequential(1024, 1024, 1, 1, 5))
        phase("d_512_b1", sequential(512, 512, 1, 1, 5))
        phase("d_768_b1", sequential(768, 768, 1, 1, 5))
        phase("c_1024_8x_b1_queued", queued(1024, 1024, 1, 8))
        phase("b_1024_b8", sequential(1024, 1024, 8, 1, 3))
        phase("a_1024_b1_nolora", sequential(1024, 1024, 1, 1, 3, lora=False))
    save()
    print("DONE", json.dumps(RESULTS["gpu_mem_peak_mib"]), "errors:", RESULTS["errors"], flush=True)


main()
