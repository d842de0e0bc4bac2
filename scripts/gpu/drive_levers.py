"""ComfyUI's own levers on the fast graph, straight to ComfyUI (issue "half a second to a sprite").

For each batch size: N prompts one after another after 2 warm-up, each timed from POST /prompt to
its images in hand (PNGs through /history and /view, or the raw frames of our
DgxPixelsSendImages with --send); p50 and p90 seconds, and images per minute at the p50.
With --compile BACKEND the model goes through ComfyUI's TorchCompileModel first; the first
prompt of each batch size (compilation) is reported apart.

usage: python3 drive_levers.py LABEL [--n 5] [--batches 1,8,16] [--steps 4] [--send]
                               [--compile inductor|cudagraphs] [--items same-negative|distinct-negative]
                               [--out FILE.jsonl]
"""
import argparse
import asyncio
import json
import statistics
import time

import aiohttp

from comfy_direct import Direct, fast_graph

P = argparse.ArgumentParser()
P.add_argument("label")
P.add_argument("--n", type=int, default=5)
P.add_argument("--batches", default="1,8,16")
P.add_argument("--steps", type=int, default=4)
P.add_argument("--send", action="store_true")
P.add_argument("--compile", default=None)
P.add_argument("--items", default=None, choices=["same-negative", "distinct-negative"],
               help="a batch of jobs through our batch nodes, as the server sends it")
P.add_argument("--out", default=None)
A = P.parse_args()


async def main():
    seed = 7000
    async with aiohttp.ClientSession() as session:
        comfy = await Direct.open(session)
        for batch in [int(b) for b in A.batches.split(",")]:
            times, first = [], None
            for i in range(A.n + 2):
                seed += 1
                graph = fast_graph(seed, batch=batch, steps=A.steps, send=A.send, compile_backend=A.compile,
                                   items=A.items)
                t0 = time.perf_counter()
                pid = await asyncio.to_thread(comfy.submit, graph)
                before = comfy.frames
                await comfy.until_done([pid])
                got = comfy.frames - before if A.send else len(await asyncio.to_thread(comfy.fetch, pid))
                seconds = time.perf_counter() - t0
                if got != batch:
                    raise RuntimeError(f"{A.label} batch {batch}: {got} images")
                if i == 0:
                    first = seconds
                if i >= 2:
                    times.append(seconds)
            times.sort()
            p50 = statistics.median(times)
            row = {"label": A.label, "batch": batch, "steps": A.steps, "send": A.send, "compile": A.compile,
                   "items": A.items,
                   "first_s": round(first, 3), "p50_s": round(p50, 3),
                   "p90_s": round(times[min(len(times) - 1, int(len(times) * 0.9))], 3),
                   "images_per_min": round(batch / p50 * 60, 1), "n": len(times)}
            print(json.dumps(row), flush=True)
            if A.out:
                with open(A.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
        await comfy.ws.close()


asyncio.run(main())
