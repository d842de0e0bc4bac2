"""The assistant's game tools against a real game, with the official MCP Python SDK.

Run by scripts/mcp_game_test.sh, which starts the editor example with `--remote` under Xvfb in
a project folder of its own. This script starts `dgx-pixels mcp --stdio --game URL` the way an
assistant does and checks:
  * generate_sprite → deploy_to_bevy → spawn_sprite at a position: a screenshot taken through
    the `screenshot` tool shows the sprite's frame, pixel for pixel, where its pivot was put
    (and did not show it there before the spawn);
  * list_sprites lists the scene's hero and the spawned sprite with its sheet and position;
  * spawn_sprite with a job_id writes the job into the game's generated/ folder and shows it;
    apply_to_entity changes what the hero shows;
  * bad input (a path out of the assets, a position that is not finite, an unknown entity, a job
    that is not completed, no sheet at all) is a tool error each, and nothing is spawned.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import struct
import sys
import time
import urllib.request
import zlib
from pathlib import Path

from mcp import Client, StdioServerParameters

GAME_TOOLS = {"list_sprites", "spawn_sprite", "apply_to_entity", "screenshot"}
# How far a screenshot pixel's channels may be from the sprite's (the window's colour conversion
# rounds), and the share of opaque pixels that must match.
TOLERANCE = 12
SHOWN = 0.9


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def text_of(result) -> str:
    return "".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def decode_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, channels, rows) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG")
    at, idat, width = 8, b"", 0
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check(depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {depth}/{colour}/{interlace}")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = bytearray(), bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                row[i] = (row[i] + left) & 255
            elif kind == 2:
                row[i] = (row[i] + up) & 255
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows += row
        previous = row
    return width, height, channels, bytes(rows)


class Picture:
    def __init__(self, png: bytes):
        self.width, self.height, self.channels, self.rows = decode_png(png)

    def pixel(self, x: int, y: int) -> tuple[int, ...] | None:
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        at = (y * self.width + x) * self.channels
        return tuple(self.rows[at:at + self.channels])


def share_shown(frame: Picture, shot: Picture, left: int, top: int) -> float:
    """The share of the frame's opaque pixels that `shot` shows in their colour at (left, top)."""
    opaque = matching = 0
    for y in range(frame.height):
        for x in range(frame.width):
            pixel = frame.pixel(x, y)
            if pixel[3] < 255:
                continue
            opaque += 1
            seen = shot.pixel(left + x, top + y)
            if seen and all(abs(seen[c] - pixel[c]) <= TOLERANCE for c in range(3)):
                matching += 1
    return matching / max(opaque, 1)


def best_share(frame: Picture, shot: Picture, left: float, top: float) -> float:
    """The best share within 2 px of (left, top): a half-pixel pivot may round either way."""
    return max(
        share_shown(frame, shot, round(left) + dx, round(top) + dy) for dx in range(-2, 3) for dy in range(-2, 3)
    )


def frame_and_pivot(project: Path, stem: str) -> tuple[Picture, tuple[float, float]]:
    """A one-frame sheet's frame and its `.sprite.ron` pivot (fractions from the top-left)."""
    frame = Picture((project / "assets" / f"{stem}.png").read_bytes())
    meta = (project / "assets" / f"{stem}.sprite.ron").read_text()
    found = re.search(r"pivot:\s*\(\s*([0-9.]+)\s*,\s*([0-9.]+)\s*\)", meta)
    check(found is not None, f"no pivot in {stem}.sprite.ron")
    return frame, (float(found.group(1)), float(found.group(2)))


def expected_top_left(shot: Picture, frame: Picture, pivot, position) -> tuple[float, float]:
    """Where a 2D camera at the origin (scale 1) draws the frame whose pivot is at `position`."""
    x = shot.width / 2 + position[0] - pivot[0] * frame.width
    y = shot.height / 2 - position[1] - pivot[1] * frame.height
    return x, y


def wait_for_game(url: str, seconds: float) -> None:
    """Until the game answers `dgx_pixels/info` over BRP (the window and renderer take a while)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "dgx_pixels/info"}).encode()
    deadline, last = time.monotonic() + seconds, ""
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as answer:
                if "result" in json.loads(answer.read()):
                    return
        except OSError as err:
            last = str(err)
        time.sleep(0.5)
    raise AssertionError(f"the game did not answer BRP at {url} within {seconds} s ({last})")


async def call(client, tool: str, args: dict):
    result = await client.call_tool(tool, args)
    check(not result.is_error, f"{tool} {args}: {text_of(result)}")
    return result.structured_content


async def refused(client, tool: str, args: dict, expect: str) -> str:
    result = await client.call_tool(tool, args)
    message = text_of(result)
    check(result.is_error, f"{tool} {args} was accepted: {message}")
    check(expect in message, f"{tool} {args}: `{expect}` not in {message!r}")
    return message


async def screenshot(client, out: Path | None = None) -> Picture:
    result = await client.call_tool("screenshot", {})
    check(not result.is_error, f"screenshot: {text_of(result)}")
    images = [block for block in result.content if getattr(block, "type", "") == "image"]
    check(len(images) == 1 and images[0].mime_type == "image/png", "screenshot has no PNG image")
    png = base64.b64decode(images[0].data)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(png)
    shot = Picture(png)
    size = (result.structured_content["width"], result.structured_content["height"])
    check((shot.width, shot.height) == size, f"screenshot {shot.width}x{shot.height}, reported {size}")
    return shot


async def until_shown(client, frame: Picture, pivot, position, out: Path | None = None) -> float:
    """Screenshots until the frame shows at `position` (the sheet loads asynchronously), ≤ 30 s."""
    deadline, share = time.monotonic() + 30, 0.0
    while time.monotonic() < deadline:
        shot = await screenshot(client, out)
        share = best_share(frame, shot, *expected_top_left(shot, frame, pivot, position))
        if share >= SHOWN:
            return share
        await asyncio.sleep(0.5)
    raise AssertionError(f"the sprite did not show at {position}: {share:.0%} of its pixels")


async def sprites(client) -> list[dict]:
    return (await call(client, "list_sprites", {}))["sprites"]


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--game", required=True)
    parser.add_argument("--project", required=True, type=Path)
    parser.add_argument("--tmp", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    wait_for_game(args.game, 180)
    print(f"game: answering BRP at {args.game}")

    params = StdioServerParameters(
        command=args.bin,
        args=["mcp", "--stdio", "--data-dir", str(args.tmp / "mcp-data"), "--allow-root", str(args.project),
              "--game", args.game],
        env={**os.environ, "RUST_LOG": "warn"},
    )
    async with Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        check(GAME_TOOLS <= names, f"tools/list lacks game tools: {sorted(names)}")

        # generate → deploy
        made = await call(client, "generate_sprite", {
            "prompt": "red slime, idle", "frames": 1, "backend": "procedural", "seed": 11, "wait_seconds": 120,
        })
        job_id = made["job"]["id"]
        deployed = await call(client, "deploy_to_bevy", {
            "job_id": job_id, "bevy_project": str(args.project), "category": "characters", "name": "slime",
        })
        check(deployed["asset_path"] == "characters/slime.png", f"deploy: {deployed}")
        frame, pivot = frame_and_pivot(args.project, "characters/slime")
        print(f"generated job {job_id} and deployed it as {deployed['asset_path']} ({frame.width}x{frame.height})")

        # The scene as the assistant sees it.
        before = await sprites(client)
        hero = [sprite for sprite in before if sprite.get("name") == "hero"]
        check(len(hero) == 1 and hero[0]["position"][:2] == [250.0, -100.0], f"hero not listed: {before}")
        position = [0.0, 150.0]
        shot = await screenshot(client)
        empty = best_share(frame, shot, *expected_top_left(shot, frame, pivot, position))
        check(empty < 0.5, f"the sprite's pixels are at {position} before the spawn ({empty:.0%})")

        # spawn at a position → screenshot shows it there
        spawned = await call(client, "spawn_sprite", {
            "asset": deployed["asset_path"], "position": position, "name": "mcp_slime",
        })
        check(spawned["position"][:2] == position, f"spawned at {spawned['position']}")
        share = await until_shown(client, frame, pivot, position, args.out)
        print(f"spawned entity {spawned['entity']} at {position}: the screenshot shows {share:.0%} of its pixels "
              f"there (before: {empty:.0%}); saved {args.out}")
        listed = {sprite.get("name"): sprite for sprite in await sprites(client)}
        check(listed.get("mcp_slime", {}).get("sheet") == "characters/slime.sprite.ron", f"list: {listed}")
        check(len(listed) == len({s.get('name') for s in before}) + 1, "list_sprites did not grow by one")

        # A job straight into the game, next to the hero; then the hero shows that job's sheet.
        other = await call(client, "generate_sprite", {
            "prompt": "blue slime, idle", "frames": 1, "backend": "procedural", "seed": 12, "wait_seconds": 120,
        })
        near = await call(client, "spawn_sprite", {
            "job_id": other["job"]["id"], "position": [-120.0, 0.0], "near": "hero",
        })
        stem = near["deployed"]["asset_path"].removesuffix(".png")
        check(stem.startswith("generated/"), f"a job goes to generated/: {near['deployed']}")
        check(near["position"][:2] == [130.0, -100.0], f"near the hero: {near['position']}")
        job_frame, job_pivot = frame_and_pivot(args.project, stem)
        await until_shown(client, job_frame, job_pivot, near["position"][:2])
        applied = await call(client, "apply_to_entity", {"entity": "hero", "job_id": other["job"]["id"]})
        check(applied["entity"] == hero[0]["entity"], f"applied to {applied}")
        hero_now = next(s for s in await sprites(client) if s.get("name") == "hero")
        check(hero_now.get("sheet") == f"{stem}.sprite.ron", f"hero shows {hero_now.get('sheet')}")
        print(f"hero: entity {hero[0]['entity']} at {hero[0]['position']}; job {other['job']['id']} spawned near it as "
              f"entity {near['entity']} at {near['position']}, written to {near['deployed']['sheet']}; then applied "
              f"to the hero")

        # Bad input: each a tool error, nothing spawned.
        count = len(await sprites(client))
        queued = await call(client, "generate_batch", {
            "requests": [{"prompt": f"castle {i}", "sprite": {"width": 512, "height": 512}, "frames": 64}
                         for i in range(20)],
            "wait_seconds": 0,
        })
        # The last of 20 big jobs is still queued when this runs (each takes seconds on 2 cores).
        table = [
            ("spawn_sprite", {"job_id": queued["jobs"][-1]["job"]["id"], "position": [0, 0]}, "not completed"),
            ("spawn_sprite", {"asset": "../../outside.png", "position": [0, 0]}, "asset"),
            ("spawn_sprite", {"asset": "/etc/passwd.png", "position": [0, 0]}, "asset"),
            ("spawn_sprite", {"asset": deployed["asset_path"], "position": [1e39, 0]}, "position"),
            ("spawn_sprite", {"asset": deployed["asset_path"], "position": [0, 0], "near": 987654321}, "no entity"),
            ("spawn_sprite", {"asset": deployed["asset_path"], "position": [0, 0], "near": "nobody"}, "no entity"),
            ("spawn_sprite", {"job_id": "no-such-job", "position": [0, 0]}, "no-such-job"),
            ("spawn_sprite", {"position": [0, 0]}, "asset"),
            ("apply_to_entity", {"entity": "nobody", "asset": deployed["asset_path"]}, "no entity"),
            ("apply_to_entity", {"entity": "hero", "asset": "characters/slime.txt"}, "asset"),
        ]
        for tool, bad, expect in table:
            message = await refused(client, tool, bad, expect)
            print(f"  refused  {tool} {json.dumps(bad)[:60]:62} {message[:90]}")
        check(len(await sprites(client)) == count, "a refused call spawned something")
    print("\nMCP game test: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(asyncio.wait_for(main(), timeout=280)))
