"""Time presets end to end through our server, as the plugin does it, beside ComfyUI direct.

For each preset (fast, standard, quality) at a 32×32 sprite with 1 and 4 frames: submit, follow
the job's SSE stream with the files inline (`?files=inline`), decode the sheet, write the three
files atomically: submit → files on disk, p50/p90 over N jobs after 2 warm-up. Then the fast
1-frame graph sent straight to ComfyUI (POST /prompt, websocket until done, /history, /view).
Then a stream of 64 single-frame fast jobs submitted at once through our server (sprites per
minute), against 64 one-image prompts queued straight to ComfyUI.

usage: python3 drive_presets.py OUT_DIR [--n 6] [--stream 64] [--presets fast,standard,quality]
"""
import argparse
import asyncio
import base64
import io
import json
import os
import statistics
import time
import urllib.request

import aiohttp
from PIL import Image

from comfy_direct import Direct, call, fast_graph

API = "http://127.0.0.1:8787/api/v1"
P = argparse.ArgumentParser()
P.add_argument("out")
P.add_argument("--n", type=int, default=6)
P.add_argument("--stream", type=int, default=64)
P.add_argument("--presets", default="fast,standard,quality", help="which presets to time, comma-separated")
A = P.parse_args()
SEED = [100]


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def job_to_files(preset, frames):
    """Submit → SSE with files inline → decode → three files on disk; seconds."""
    SEED[0] += 1
    body = {"prompt": "knight, variant %d" % SEED[0], "seed": SEED[0], "frames": frames, "preset": preset,
            "sprite": {"width": 32, "height": 32}}
    t0 = time.perf_counter()
    job = call("POST", API + "/generate", body)["job_id"]
    req = urllib.request.Request(f"{API}/jobs/{job}/events?files=inline", headers={"accept": "text/event-stream"})
    event, done = None, None
    with urllib.request.urlopen(req, timeout=600) as r:
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("completed", "failed", "cancelled"):
                done = (event, json.loads(line[5:]))
                break
    if done is None or done[0] != "completed":
        raise RuntimeError(f"job {job}: {done}")
    files = done[1]["files"]
    png = base64.b64decode(files["sheet_png"])
    Image.open(io.BytesIO(png)).convert("RGBA").load()
    stem = os.path.join(A.out, "files", job)
    write_atomic(stem + ".sprite.ron", files["sprite_ron"].encode())
    write_atomic(stem + ".atlas.ron", files["atlas_ron"].encode())
    write_atomic(stem + ".png", png)
    return time.perf_counter() - t0


def pct(values):
    values = sorted(values)
    return {"p50": round(statistics.median(values), 3),
            "p90": round(values[min(len(values) - 1, int(len(values) * 0.9))], 3), "n": len(values)}


async def direct(n_sequential, n_queued):
    """ComfyUI straight: sequential prompts timed to the image fetched, then n_queued at once."""
    async with aiohttp.ClientSession() as session:
        comfy = await Direct.open(session)

        def submit():
            SEED[0] += 1
            return comfy.submit(fast_graph(SEED[0]))

        times = []
        for i in range(n_sequential + 2):
            t0 = time.perf_counter()
            pid = await asyncio.to_thread(submit)
            await comfy.until_done([pid])
            await asyncio.to_thread(comfy.fetch, pid)
            if i >= 2:
                times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        pids = [await asyncio.to_thread(submit) for _ in range(n_queued)]
        await comfy.until_done(pids)
        stream_s = time.perf_counter() - t0
        await comfy.ws.close()
    return times, stream_s


def server_stream(n):
    t0 = time.perf_counter()
    jobs = []
    for _ in range(n):
        SEED[0] += 1
        body = {"prompt": "knight, variant %d" % SEED[0], "seed": SEED[0], "preset": "fast",
                "sprite": {"width": 32, "height": 32}}
        jobs.append(call("POST", API + "/generate", body)["job_id"])
    pending = set(jobs)
    while pending:
        for job in list(pending):
            status = call("GET", f"{API}/jobs/{job}")["status"]
            if status in ("completed", "failed", "cancelled"):
                pending.discard(job)
        time.sleep(0.05)
    return time.perf_counter() - t0


def main():
    os.makedirs(os.path.join(A.out, "files"), exist_ok=True)
    results = {}
    for preset in A.presets.split(","):
        for frames in (1, 4):
            times = []
            for i in range(A.n + 2):
                seconds = job_to_files(preset, frames)
                if i >= 2:
                    times.append(seconds)
            results[f"server {preset} {frames}f"] = pct(times)
            print(f"server {preset:8s} {frames} frame(s), submit → files on disk: {pct(times)}", flush=True)
    seq, stream_s = asyncio.run(direct(A.n, A.stream))
    results["direct fast 1f"] = pct(seq)
    print(f"direct   fast     1 frame, submit → image fetched: {pct(seq)}", flush=True)
    results["direct stream"] = {"images": A.stream, "seconds": round(stream_s, 2),
                                "per_min": round(A.stream / stream_s * 60, 1)}
    print(f"direct stream: {A.stream} one-image prompts in {stream_s:.1f} s = {A.stream / stream_s * 60:.0f}/min", flush=True)
    stream = server_stream(A.stream)
    results["server stream"] = {"jobs": A.stream, "seconds": round(stream, 2), "per_min": round(A.stream / stream * 60, 1)}
    print(f"server stream: {A.stream} fast jobs in {stream:.1f} s = {A.stream / stream * 60:.0f} sprites/min", flush=True)
    with open(os.path.join(A.out, "presets.json"), "w") as f:
        json.dump(results, f, indent=1)


main()
